/* parse.c -- JSON text to jansson values in one pass over a pointer.
 *
 * Why not json_loadb: it reads each byte through a callback, copies every
 * token into a growable buffer, checks strings' UTF-8 a second time when
 * the value is made and a third time for keys.  Here the loop below reads
 * the text directly; a string without escapes goes from the input to
 * jansson in one copy (jansson's own), with escapes it is decoded into a
 * scratch buffer that lives as long as the parse.
 *
 * The parser is iterative: a container is attached to its parent as soon as
 * it is created and pushed on an explicit stack, so the nesting limit costs
 * no C stack and an error anywhere frees everything with one json_decref of
 * the root.  See parse.h for exactly what is accepted.
 */
#include "json/parse.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/scan.h"
#include "util/buf.h"

/* The stack block of a scratch buffer: most decoded strings fit. */
#define SCRATCH_BLOCK 256

typedef struct parser {
    const char *start, *end;
    unsigned flags;
    wc_json_error *err;
} parser;

/* Bytes a string may hold as they are: printable ASCII but '"' and '\'. */
static const uint8_t plain[256] = {
    [0x20 ... 0x21] = 1,
    [0x23 ... 0x5b] = 1,
    [0x5d ... 0x7f] = 1,
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/* --- errors --- */

static bool is_delimiter(unsigned char c)
{
    switch (c) {
    case ' ': case '\t': case '\r': case '\n': case ',': case ':':
    case '[': case ']': case '{': case '}':
        return true;
    }
    return false;
}

/* "'tok'" (printable ASCII, other bytes as \xNN) or "end of input". */
static void describe_near(char *out, size_t size, const char *at, const char *end)
{
    if (at >= end) {
        snprintf(out, size, "end of input");
        return;
    }
    size_t n = 0, i = 0;
    out[n++] = '\'';
    for (; at + i < end && i < 20 && n + 6 < size; i++) {
        unsigned char c = (unsigned char)at[i];
        if (i > 0 && is_delimiter(c))
            break;
        if (c >= 0x20 && c < 0x7f)
            out[n++] = (char)c;
        else
            n += (size_t)snprintf(out + n, size - n, "\\x%02x", c);
    }
    if (i == 20 && at + i < end && !is_delimiter((unsigned char)at[i]) && n + 5 < size)
        n += (size_t)snprintf(out + n, size - n, "...");
    out[n++] = '\'';
    out[n] = 0;
}

static void fail(parser *ps, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(parser *ps, const char *at, const char *fmt, ...)
{
    wc_json_error *e = ps->err;
    if (!e)
        return;
    char what[96], near[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (at) {
        describe_near(near, sizeof near, at, ps->end);
        /* both parts are bounded (96 bytes each): a cut is acceptable */
        int n = snprintf(e->text, sizeof e->text, "%s", what);
        if (n >= 0 && (size_t)n < sizeof e->text)
            snprintf(e->text + n, sizeof e->text - (size_t)n, " near %s", near);
    } else {
        snprintf(e->text, sizeof e->text, "%s", what);
        at = ps->start;
    }
    e->position = (size_t)(at - ps->start);
    e->line = 1;
    const char *line_start = ps->start;
    for (const char *p = ps->start; p < at; p++)
        if (*p == '\n')
            e->line++, line_start = p + 1;
    e->column = (int)(at - line_start) + 1;
}

/* --- UTF-8 --- */

/* The length of the valid UTF-8 sequence at p (whose first byte is >=
 * 0x80), or 0. */
static size_t utf8_seq(const char *p, const char *end)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t avail = (size_t)(end - p);
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xbf;
    size_t n;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0; /* overlong */
        else if (c == 0xed)
            hi = 0x9f; /* surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90; /* overlong */
        else if (c == 0xf4)
            hi = 0x8f; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

size_t wc_json_utf8_valid_prefix(const char *s, size_t len)
{
    const char *p = s, *end = s + len;
    while (p < end) {
        if ((unsigned char)*p < 0x80) {
            p++;
            continue;
        }
        size_t n = utf8_seq(p, end);
        if (!n)
            break;
        p += n;
    }
    return (size_t)(p - s);
}

/* --- strings --- */

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    return v;
}

static size_t utf8_encode(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* q at the opening quote.  On success *text and *len are the string's content
 * (in the input, or in sc when it had escapes) and the return value points
 * after the closing quote; NULL on error. */
static const char *scan_string(parser *ps, const char *q, wc_buf *sc, const char **text,
                               size_t *len)
{
    const char *open = q, *end = ps->end;
    const char *s = ++q;
    bool escaped = false;
    wc_buf_reset(sc);
    for (;;) {
        unsigned skip = 8;
        while (end - q >= 8 && (skip = wc_json_first_special8(q)) == 8)
            q += 8;
        if (skip < 8)
            q += skip;
        else
            while (q < end && plain[(unsigned char)*q])
                q++;
        if (q == end) {
            fail(ps, open, "premature end of input in string");
            return NULL;
        }
        unsigned char c = (unsigned char)*q;
        if (c == '"')
            break;
        if (c >= 0x80) {
            size_t n = utf8_seq(q, end);
            if (!n) {
                fail(ps, q, "invalid UTF-8 byte 0x%02x in string", c);
                return NULL;
            }
            q += n;
            continue;
        }
        if (c != '\\') {
            fail(ps, q, "control character 0x%02x in string (it must be escaped)", c);
            return NULL;
        }
        /* an escape: the plain run before it goes to the scratch buffer */
        wc_buf_append(sc, s, (size_t)(q - s));
        escaped = true;
        const char *esc = q;
        if (end - q < 2) {
            fail(ps, open, "premature end of input in string");
            return NULL;
        }
        char out[4];
        size_t n = 1;
        switch (q[1]) {
        case '"': out[0] = '"'; break;
        case '\\': out[0] = '\\'; break;
        case '/': out[0] = '/'; break;
        case 'b': out[0] = '\b'; break;
        case 'f': out[0] = '\f'; break;
        case 'n': out[0] = '\n'; break;
        case 'r': out[0] = '\r'; break;
        case 't': out[0] = '\t'; break;
        case 'u': {
            int cp = end - q >= 6 ? hex4(q + 2) : -1;
            if (cp < 0) {
                fail(ps, esc, "invalid \\u escape (4 hex digits expected)");
                return NULL;
            }
            if (cp == 0) {
                fail(ps, esc, "\\u0000 is not allowed in a string");
                return NULL;
            }
            if (cp >= 0xdc00 && cp <= 0xdfff) {
                fail(ps, esc, "invalid Unicode escape: a low surrogate without a high one");
                return NULL;
            }
            if (cp >= 0xd800 && cp <= 0xdbff) {
                int lo = end - q >= 12 && q[6] == '\\' && q[7] == 'u' ? hex4(q + 8) : -1;
                if (lo < 0xdc00 || lo > 0xdfff) {
                    fail(ps, esc, "invalid Unicode escape: a high surrogate without a low one");
                    return NULL;
                }
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                q += 6;
            }
            n = utf8_encode(out, (unsigned)cp);
            q += 4;
            break;
        }
        default:
            fail(ps, esc, "invalid escape");
            return NULL;
        }
        q += 2;
        wc_buf_append(sc, out, n);
        s = q;
    }
    if (escaped) {
        wc_buf_append(sc, s, (size_t)(q - s));
        if (sc->failed) { /* every append since the first failure did nothing */
            fail(ps, NULL, "out of memory");
            return NULL;
        }
        *text = (const char *)sc->data;
        *len = sc->len;
    } else {
        *text = s;
        *len = (size_t)(q - s);
    }
    return q + 1;
}

/* --- numbers --- */

static const double pow10_exact[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* strtod of [s, e) in the C locale's notation. */
static double slow_strtod(const char *s, size_t n, bool *ok)
{
    char small[64], *buf = n < sizeof small ? small : malloc(n + 1);
    if (!buf) {
        *ok = false;
        return 0;
    }
    memcpy(buf, s, n);
    buf[n] = 0;
    const char *point = localeconv()->decimal_point;
    if (point && point[0] != '.' && point[0] && !point[1]) {
        char *dot = strchr(buf, '.');
        if (dot)
            *dot = point[0];
    }
    char *stop;
    errno = 0;
    double v = strtod(buf, &stop);
    *ok = stop == buf + n;
    if (buf != small)
        free(buf);
    return v;
}

/* A number token read: an integer, or a real (correctly rounded). */
typedef struct number_value {
    bool real;
    json_int_t integer;
    double value;
} number_value;

/* p at '-' or a digit: reads the number into *out and returns the position
 * after it, or NULL (error set). */
static const char *read_number(parser *ps, const char *p, number_value *out)
{
    const char *s = p, *end = ps->end;
    bool neg = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    if (p == end || !is_digit(*p)) {
        fail(ps, s, "invalid number");
        return NULL;
    }
    /* Significant digits go to m while they fit; exp10 scales it. */
    uint64_t m = 0;
    int nd = 0, exp10 = 0;
    bool many = false, real = false;
    if (*p == '0') {
        p++;
    } else {
        for (; p < end && is_digit(*p); p++) {
            if (nd < 19)
                m = m * 10 + (uint64_t)(*p - '0'), nd++;
            else
                many = true;
        }
    }
    if (p < end && *p == '.') {
        real = true;
        p++;
        if (p == end || !is_digit(*p)) {
            fail(ps, s, "invalid number");
            return NULL;
        }
        for (; p < end && is_digit(*p); p++) {
            if (m == 0 && *p == '0') {
                exp10--;
            } else if (nd < 19) {
                m = m * 10 + (uint64_t)(*p - '0'), nd++;
                exp10--;
            } else {
                many = true;
            }
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        real = true;
        p++;
        bool eneg = false;
        if (p < end && (*p == '+' || *p == '-'))
            eneg = *p++ == '-';
        if (p == end || !is_digit(*p)) {
            fail(ps, s, "invalid number");
            return NULL;
        }
        int e = 0;
        for (; p < end && is_digit(*p); p++)
            if (e < 100000)
                e = e * 10 + (*p - '0');
        exp10 += eneg ? -e : e;
    }
    if (p < end && (is_digit(*p) || is_alpha(*p) || *p == '.' || *p == '+' || *p == '-')) {
        fail(ps, s, "invalid number");
        return NULL;
    }
    out->real = real;
    if (!real) {
        if (many) {
            fail(ps, s, "too big %sinteger", neg ? "negative " : "");
            return NULL;
        }
        /* at most 19 digits: m did not wrap, but may exceed int64 */
        uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        if (m > limit) {
            fail(ps, s, "too big %sinteger", neg ? "negative " : "");
            return NULL;
        }
        out->integer = neg ? (json_int_t)(0 - m) : (json_int_t)m;
        return p;
    }
    double v;
    if (!many && m == 0) {
        v = 0.0;
    } else if (!many && m <= (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
        /* both exact, so one correctly rounded operation (Clinger) */
        v = (double)m;
        v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
    } else {
        bool ok;
        v = slow_strtod(neg ? s + 1 : s, (size_t)(p - s) - neg, &ok);
        if (!ok) {
            fail(ps, NULL, "out of memory");
            return NULL;
        }
        if (isinf(v)) {
            fail(ps, s, "real number overflow");
            return NULL;
        }
    }
    out->value = neg ? -v : v;
    return p;
}

/* p at '-' or a digit: the number's value, or NULL (error set) with
 * *after unset.  With build false, only checked (json_true() stands in for
 * it: no allocation). */
static json_t *parse_number(parser *ps, const char *p, const char **after, bool build)
{
    number_value n;
    const char *q = read_number(ps, p, &n);
    if (!q)
        return NULL;
    *after = q;
    if (!build)
        return json_true();
    return n.real ? json_real(n.value) : json_integer(n.integer);
}

bool wc_json_number_token(const char *t, size_t n, bool *is_integer, json_int_t *integer,
                          double *real)
{
    if (n == 0 || (*t != '-' && !is_digit(*t)))
        return false;
    /* The common case, a short integer, without the general reader. */
    size_t sign = *t == '-', digits = n - sign;
    if (digits >= 1 && digits <= 18 && (t[sign] != '0' || digits == 1)) {
        json_int_t v = 0;
        size_t i = sign;
        for (; i < n && is_digit(t[i]); i++)
            v = v * 10 + (t[i] - '0');
        if (i == n) {
            *is_integer = true;
            *integer = sign ? -v : v;
            return true;
        }
    }
    parser ps = {.start = t, .end = t + n};
    number_value v;
    if (read_number(&ps, t, &v) != t + n)
        return false;
    *is_integer = !v.real;
    if (v.real)
        *real = v.value;
    else
        *integer = v.integer;
    return true;
}

/* p at 't', 'f' or 'n': the length of the literal there, or 0. */
static size_t literal_length(const char *p, const char *end)
{
    const char *word = *p == 't' ? "true" : *p == 'f' ? "false" : "null";
    size_t n = *p == 'f' ? 5 : 4;
    if ((size_t)(end - p) < n || memcmp(p, word, n) != 0 ||
        ((size_t)(end - p) > n && is_alpha(p[n])))
        return 0;
    return n;
}

/* p at '"': past the closing quote when everything before it is printable
 * ASCII without a backslash (a valid string as it is), else NULL. */
static const char *plain_ascii_string(const char *p, const char *end)
{
    unsigned skip = 8;
    p++;
    while (end - p >= 8 && (skip = wc_json_first_special8(p)) == 8)
        p += 8;
    if (skip < 8)
        p += skip;
    else
        while (p < end && plain[(unsigned char)*p])
            p++;
    return p < end && *p == '"' ? p + 1 : NULL;
}

/* p at '-' or a digit: past a short integer (at most 18 digits, no
 * leading zero) that nothing continues, else NULL. */
static const char *short_integer(const char *p, const char *end)
{
    const char *digits = p + (*p == '-'), *q = digits;
    while (q < end && is_digit(*q) && q - digits < 19)
        q++;
    size_t n = (size_t)(q - digits);
    if (n == 0 || n > 18 || (*digits == '0' && n > 1))
        return NULL;
    if (q < end && (is_digit(*q) || is_alpha(*q) || *q == '.' || *q == '+' || *q == '-'))
        return NULL;
    return q;
}

const char *wc_json_check_scalar(const char *p, const char *end)
{
    if (p == end)
        return NULL;
    /* the usual tokens first, without the general readers */
    const char *after = *p == '"' ? plain_ascii_string(p, end)
                        : *p == '-' || is_digit(*p) ? short_integer(p, end)
                                                    : NULL;
    if (after)
        return after;
    parser ps = {.start = p, .end = end};
    switch (*p) {
    case '"': {
        char block[SCRATCH_BLOCK];
        wc_buf sc;
        wc_buf_init_on(&sc, block, sizeof block);
        const char *text;
        size_t n;
        const char *after = scan_string(&ps, p, &sc, &text, &n);
        wc_buf_free(&sc);
        return after;
    }
    case 't':
    case 'f':
    case 'n': {
        size_t n = literal_length(p, end);
        return n ? p + n : NULL;
    }
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9': {
        number_value v;
        return read_number(&ps, p, &v);
    }
    default:
        return NULL;
    }
}

/* --- values --- */

static int attach(parser *ps, json_t **root, json_t *parent, const char *key, size_t klen,
                  const char *key_at, json_t *v)
{
    if (!v) {
        fail(ps, NULL, "out of memory");
        return -1;
    }
    if (!parent) {
        *root = v;
        return 0;
    }
    if (json_is_array(parent)) {
        if (json_array_append_new(parent, v) == 0)
            return 0;
    } else {
        size_t before = json_object_size(parent);
        if (json_object_setn_new_nocheck(parent, key, klen, v) == 0) {
            if ((ps->flags & WC_JSON_REJECT_DUPLICATES) && json_object_size(parent) == before) {
                fail(ps, key_at, "duplicate object key");
                return -1;
            }
            return 0;
        }
    }
    fail(ps, NULL, "out of memory");
    return -1;
}

#define SPAN_DEPTH_MAX 8

/* A container at depth (1-based) closed at p, just past its bracket. */
static void span_close(wc_json_spans *spans, const char *const *opened, size_t depth,
                       json_t *value, const char *data, const char *p)
{
    if (!spans || depth > spans->max_depth)
        return;
    if (spans->count == spans->cap) {
        spans->overflow = 1;
        return;
    }
    spans->items[spans->count++] = (wc_json_span){
        .value = value, .start = (size_t)(opened[depth - 1] - data), .end = (size_t)(p - data)};
}

const wc_json_span *wc_json_span_of(const wc_json_spans *spans, const json_t *value)
{
    for (size_t i = 0; i < spans->count; i++)
        if (spans->items[i].value == value)
            return &spans->items[i];
    return NULL;
}

/* Stand-ins on the stack for containers being skimmed (checked, not built):
 * json_is_object and json_is_array tell them apart like real ones. */
static json_t skim_object = {JSON_OBJECT, (size_t)-1};
static json_t skim_array = {JSON_ARRAY, (size_t)-1};

/* Keys of the skimmed objects now open, compared by their bytes, so that a
 * skimmed value hides no duplicate key either.  Keys written with escapes,
 * or more of them than fit here, cannot be compared so: that is reported
 * (wc_json_options.unchecked_duplicates) rather than guessed. */
#define SKIM_KEYS_MAX 128
#define SKIM_LEVELS_MAX 32

typedef struct skim_keys {
    const char *key[SKIM_KEYS_MAX];
    size_t len[SKIM_KEYS_MAX];
    size_t count;
    size_t base[SKIM_LEVELS_MAX]; /* per open skimmed object, its first key */
    size_t levels, untracked;     /* open skimmed objects tracked, and beyond */
    bool unchecked;
} skim_keys;

static void skim_object_open(skim_keys *k)
{
    if (k->levels < SKIM_LEVELS_MAX && !k->untracked) {
        k->base[k->levels++] = k->count;
    } else {
        k->untracked++;
        k->unchecked = true;
    }
}

static void skim_object_close(skim_keys *k)
{
    if (k->untracked)
        k->untracked--;
    else
        k->count = k->base[--k->levels];
}

/* A key of the innermost skimmed object: false when it is there already. */
static bool skim_key(skim_keys *k, const char *key, size_t klen, bool raw)
{
    if (k->untracked)
        return true;
    if (!raw || k->count == SKIM_KEYS_MAX) {
        k->unchecked = true;
        return true;
    }
    for (size_t i = k->base[k->levels - 1]; i < k->count; i++)
        if (k->len[i] == klen && memcmp(k->key[i], key, klen) == 0)
            return false;
    k->key[k->count] = key;
    k->len[k->count++] = klen;
    return true;
}

static bool is_listed(const char *const *names, const char *key, size_t klen)
{
    for (; *names; names++)
        if (strlen(*names) == klen && memcmp(*names, key, klen) == 0)
            return true;
    return false;
}

static bool skimmed(const wc_json_options *o, const char *key, size_t klen)
{
    return o->keep ? !is_listed(o->keep, key, klen) : o->skim && is_listed(o->skim, key, klen);
}

static json_t *parse(const char *data, size_t len, const wc_json_options *o, wc_json_error *err);

json_t *wc_json_parse(const char *data, size_t len, unsigned flags, wc_json_error *err)
{
    wc_json_options o = {.flags = flags};
    return parse(data, len, &o, err);
}

json_t *wc_json_parse_with(const char *data, size_t len, const wc_json_options *options,
                           wc_json_error *err)
{
    return parse(data, len, options, err);
}

static json_t *parse(const char *data, size_t len, const wc_json_options *o, wc_json_error *err)
{
    parser ps = {.start = data, .end = data + len, .flags = o->flags, .err = err};
    /* decoded strings with escapes: values, keys (not zeroed: a parse of a
     * few bytes should not pay for clearing half a kilobyte) */
    char val_block[SCRATCH_BLOCK], key_block[SCRATCH_BLOCK];
    wc_buf val, key_scratch;
    size_t max_depth = o->max_depth ? o->max_depth : WC_JSON_MAX_DEPTH;
    wc_json_spans *spans = o->spans;
    bool skimming_some = o->keep || o->skim;
    json_t *skim_placeholder = NULL; /* the member's empty stand-in */
    /* While skimming, the depth of the outermost skimmed container; 0 else. */
    size_t skim_depth = 0;
    bool first_member = false; /* for the message when a key is missing */
    bool failed = false;
    skim_keys sk;
    sk.count = sk.levels = sk.untracked = 0;
    sk.unchecked = false;
    const char *duplicate_at = NULL; /* a repeated key in a skimmed object */
    const char *opened[SPAN_DEPTH_MAX]; /* where the open containers began */
    if (spans) {
        spans->count = 0;
        spans->overflow = 0;
        if (spans->max_depth > SPAN_DEPTH_MAX)
            spans->max_depth = SPAN_DEPTH_MAX;
    }
/* Closes the innermost container: p is at its bracket. */
#define CLOSE_CONTAINER()                                                   \
    do {                                                                    \
        p++;                                                                \
        if (spans && (!skim_depth || depth == skim_depth))                  \
            span_close(spans, opened, depth,                                \
                       skim_depth ? skim_placeholder : stack[depth - 1], data, p); \
        if (stack[depth - 1] == &skim_object)                               \
            skim_object_close(&sk);                                         \
        if (depth-- == skim_depth)                                          \
            skim_depth = 0;                                                 \
    } while (0)
    wc_buf_init_on(&val, val_block, sizeof val_block);
    wc_buf_init_on(&key_scratch, key_block, sizeof key_block);
    if (err) {
        err->text[0] = 0;
        err->position = 0;
        err->line = err->column = 0;
    }
    const char *p = data, *end = data + len;
    json_t *root = NULL;
    json_t *small_stack[64], **stack = small_stack;
    size_t depth = 0, stack_cap = sizeof small_stack / sizeof *small_stack;
    const char *key = NULL, *key_at = NULL;
    size_t klen = 0;

    p = skip_ws(p, end);
value:
    /* p at a value: attach it to the top of the stack */
    {
        json_t *parent = depth ? stack[depth - 1] : NULL;
        bool skimming_now = skim_depth || (o->check_only && depth == 0);
        json_t *v;
        if (p == end) {
            fail(&ps, p, "a value expected");
            goto error;
        }
        switch (*p) {
        case '{':
        case '[': {
            bool object = *p == '{';
            if (depth >= max_depth) {
                fail(&ps, p, "maximum nesting depth (%d) exceeded", WC_JSON_MAX_DEPTH);
                goto error;
            }
            if (skimming_now) {
                if (duplicate_at) {
                    fail(&ps, duplicate_at, "duplicate object key");
                    goto error;
                }
                v = object ? &skim_object : &skim_array;
                if (!skim_depth)
                    skim_depth = 1; /* check_only: the whole text */
                if (object)
                    skim_object_open(&sk);
            } else {
                v = object ? json_object() : json_array();
                if (attach(&ps, &root, parent, key, klen, key_at, v))
                    goto error;
                if (skimming_some && depth == 1 && json_is_object(parent) &&
                    skimmed(o, key, klen)) {
                    /* the member keeps the empty container; its text is checked */
                    skim_depth = depth + 1;
                    skim_placeholder = v;
                    v = object ? &skim_object : &skim_array;
                    if (object)
                        skim_object_open(&sk);
                }
            }
            if (depth == stack_cap) {
                size_t cap = stack_cap * 2;
                json_t **grown = stack == small_stack ? malloc(cap * sizeof *grown)
                                                      : realloc(stack, cap * sizeof *grown);
                if (!grown) {
                    fail(&ps, NULL, "out of memory");
                    goto error;
                }
                if (stack == small_stack)
                    memcpy(grown, small_stack, sizeof small_stack);
                stack = grown;
                stack_cap = cap;
            }
            if (depth < SPAN_DEPTH_MAX)
                opened[depth] = p;
            stack[depth++] = v;
            p = skip_ws(p + 1, end);
            if (object) {
                if (p < end && *p == '}') {
                    CLOSE_CONTAINER();
                    goto after;
                }
                first_member = true;
                goto member;
            }
            if (p < end && *p == ']') {
                CLOSE_CONTAINER();
                goto after;
            }
            goto value;
        }
        case '"': {
            const char *text;
            size_t n;
            p = scan_string(&ps, p, &val, &text, &n);
            if (!p)
                goto error;
            if (skimming_now)
                goto skimmed_scalar;
            v = json_stringn_nocheck(text, n);
            break;
        }
        case 't':
        case 'f':
        case 'n': {
            size_t n = literal_length(p, end);
            if (!n) {
                fail(&ps, p, "invalid literal");
                goto error;
            }
            v = *p == 't' ? json_true() : *p == 'f' ? json_false() : json_null();
            p += n;
            if (skimming_now)
                goto skimmed_scalar;
            break;
        }
        case '-':
        case '0': case '1': case '2': case '3': case '4':
        case '5': case '6': case '7': case '8': case '9':
            v = parse_number(&ps, p, &p, !skimming_now);
            if (!v)
                goto error;
            if (skimming_now)
                goto skimmed_scalar;
            break;
        default:
            fail(&ps, p, is_alpha(*p) ? "invalid literal" : "a value expected");
            goto error;
        }
        if (attach(&ps, &root, parent, key, klen, key_at, v))
            goto error;
    }
    goto after;
skimmed_scalar:
    if (duplicate_at) {
        fail(&ps, duplicate_at, "duplicate object key");
        goto error;
    }
after:
    /* a value ended: what may follow depends on the container */
    if (depth == 0 && o->value_end) {
        *o->value_end = (size_t)(p - data);
        goto done;
    }
    p = skip_ws(p, end);
    if (depth == 0) {
        if (p != end) {
            fail(&ps, p, "end of input expected after the value");
            goto error;
        }
        goto done;
    }
    if (json_is_object(stack[depth - 1])) {
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            first_member = false;
            goto member;
        }
        if (p < end && *p == '}') {
            CLOSE_CONTAINER();
            goto after;
        }
        fail(&ps, p, "',' or '}' expected");
        goto error;
    }
    if (p < end && *p == ',') {
        p = skip_ws(p + 1, end);
        goto value;
    }
    if (p < end && *p == ']') {
        CLOSE_CONTAINER();
        goto after;
    }
    fail(&ps, p, "',' or ']' expected");
    goto error;

member:
    /* p at an object member's key */
    if (p == end || *p != '"') {
        fail(&ps, p, first_member ? "string or '}' expected" : "string (a key) expected");
        goto error;
    }
    key_at = p;
    p = scan_string(&ps, p, &key_scratch, &key, &klen);
    if (!p)
        goto error;
    /* Reported once the value is read, where attach would report it. */
    duplicate_at = stack[depth - 1] == &skim_object && (ps.flags & WC_JSON_REJECT_DUPLICATES) &&
                           !skim_key(&sk, key, klen, key > data && key < end)
                       ? key_at
                       : NULL;
    p = skip_ws(p, end);
    if (p == end || *p != ':') {
        fail(&ps, p, "':' expected");
        goto error;
    }
    p = skip_ws(p + 1, end);
    goto value;

error:
    json_decref(root);
    root = NULL;
    failed = true;
done:
    if (stack != small_stack)
        free(stack);
    wc_buf_free(&val);
    wc_buf_free(&key_scratch);
    if (o->check_only && !failed)
        root = json_true();
    if (o->unchecked_duplicates)
        *o->unchecked_duplicates = sk.unchecked && (ps.flags & WC_JSON_REJECT_DUPLICATES);
    if (!root && spans)
        spans->count = 0;
    return root;
#undef CLOSE_CONTAINER
}

