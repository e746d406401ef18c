/* text.c -- compact JSON text of a jansson value, fast.
 *
 * A plain recursive writer into a sink (text.h): no loop detection (a
 * value we hold cannot contain itself), no callbacks per piece, one room
 * check per piece that is a compare in the common case.  Everything it
 * writes matches json_dumpb(JSON_COMPACT | JSON_ENCODE_ANY) byte for byte,
 * which tests/test_json.c checks on random values.
 */
#include "json/text.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json/parse.h" /* WC_JSON_MAX_DEPTH */

static bool __attribute__((noinline)) grow(wc_json_sink *s, size_t n)
{
    if (s->failed || !s->grow || !s->grow(s, n)) {
        s->failed = true;
        return false;
    }
    return true;
}

static inline bool room(wc_json_sink *s, size_t n)
{
    return s->cap - s->len >= n || grow(s, n);
}

static inline void put(wc_json_sink *s, const char *data, size_t n)
{
    if (n && room(s, n)) {
        memcpy(s->data + s->len, data, n);
        s->len += n;
    }
}

static inline void put_byte(wc_json_sink *s, char c)
{
    if (room(s, 1))
        s->data[s->len++] = c;
}

/* 8 bytes at once: true when none is '"', '\' or a control character. */
static inline bool plain8(const char *q)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t w;
    memcpy(&w, q, 8);
    uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\');
    /* w's high bits are masked out: bytes >= 0x80 need no escape */
    uint64_t low = w & ~highs;
    uint64_t bad = (((low - ones * 0x20) & ~w) | ((quote - ones) & ~quote) |
                    ((bslash - ones) & ~bslash)) & highs;
    return bad == 0;
}

/* Bytes that need an escape: control characters, '"' and '\'. */
static const uint8_t escaped[256] = {
    [0x00 ... 0x1f] = 1,
    ['"'] = 1,
    ['\\'] = 1,
};

int wc_json_write_string(wc_json_sink *s, const char *str, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    /* Invariant: there is room for the rest of str as it is and the
     * closing quote; each escape makes room for itself. */
    if (!room(s, len + 2))
        return WC_ENOMEM;
    char *d = s->data + s->len;
    *d++ = '"';
    size_t i = 0;
    for (;;) {
        size_t start = i;
        while (len - i >= 8 && plain8(str + i))
            i += 8;
        while (i < len && !escaped[(unsigned char)str[i]])
            i++;
        memcpy(d, str + start, i - start);
        d += i - start;
        if (i == len)
            break;
        size_t need = 6 + (len - i - 1) + 1;
        if (s->cap - (size_t)(d - s->data) < need) {
            s->len = (size_t)(d - s->data);
            if (!room(s, need))
                return WC_ENOMEM;
            d = s->data + s->len;
        }
        unsigned char c = (unsigned char)str[i++];
        *d++ = '\\';
        switch (c) {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '\b': *d++ = 'b'; break;
        case '\f': *d++ = 'f'; break;
        case '\n': *d++ = 'n'; break;
        case '\r': *d++ = 'r'; break;
        case '\t': *d++ = 't'; break;
        default:
            d[0] = 'u', d[1] = '0', d[2] = '0', d[3] = hex[c >> 4], d[4] = hex[c & 15];
            d += 5;
        }
    }
    *d++ = '"';
    s->len = (size_t)(d - s->data);
    return 0;
}

static void write_integer(wc_json_sink *s, json_int_t v)
{
    char tmp[24];
    size_t n = sizeof tmp;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[--n] = '-';
    put(s, tmp + n, sizeof tmp - n);
}

/* "%.17g" of the common reals without snprintf.  For 1e-4 <= |v| < 1e17
 * (and 0) "%.17g" is fixed notation: the exact value rounded (half to
 * even) to 17 significant digits, trailing zeros dropped.  v is
 * mant * 2^-k with mant < 2^53 and k <= 66 there, so mant * 10^p (p <= 21)
 * fits 128 bits and the 17 digits come from one exact shift.  Returns the
 * length written to out, or 0 when v needs the general path. */
static size_t fast_real(double v, char *out)
{
    static const double pow10_below[] = {1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2, 1e3, 1e4, 1e5,
                                         1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
                                         1e15, 1e16};
    const uint64_t e16 = 10000000000000000ull, e17 = 100000000000000000ull;
    double a = fabs(v);
    if (a != 0 && (a < 1e-4 || a >= 1e17))
        return 0;
    size_t n = 0;
    if (signbit(v))
        out[n++] = '-';
    if (a == 0) {
        memcpy(out + n, "0.0", 3);
        return n + 3;
    }
    int e2;
    uint64_t mant = (uint64_t)ldexp(frexp(a, &e2), 53); /* a = mant * 2^(e2 - 53) */
    int e = e2 - 53;
    char digits[24];
    size_t t = sizeof digits;
    if (e >= 0) {
        /* an integer below 1e17: all its digits, then ".0" */
        uint64_t whole = mant << e;
        do {
            digits[--t] = (char)('0' + whole % 10);
            whole /= 10;
        } while (whole);
        memcpy(out + n, digits + t, sizeof digits - t);
        n += sizeof digits - t;
        memcpy(out + n, ".0", 2);
        return n + 2;
    }
    int k = -e;
    if (k > 100)
        return 0;
    int x = 16; /* the decimal exponent: 10^x <= a < 10^(x+1) */
    while (x > -4 && a < pow10_below[x + 4])
        x--;
    unsigned __int128 q = 0, rem = 0, mask = ((unsigned __int128)1 << k) - 1;
    for (int tries = 0;; tries++) {
        int p = 16 - x;
        if (tries > 2 || p < 0 || p > 21)
            return 0;
        unsigned __int128 p10 = 1;
        for (int i = 0; i < p; i++)
            p10 *= 10;
        unsigned __int128 big = (unsigned __int128)mant * p10;
        q = big >> k;
        rem = big & mask;
        if (q >= e17)
            x++; /* the estimate of x was low (10^x is rounded) */
        else if (q < e16)
            x--;
        else
            break;
    }
    unsigned __int128 half = (unsigned __int128)1 << (k - 1);
    if (rem > half || (rem == half && (q & 1)))
        q++;
    if (q == e17)
        q = e16, x++;
    if (x < -4 || x >= 17)
        return 0; /* "%.17g" would use an exponent */
    uint64_t d = (uint64_t)q;
    for (int i = 16; i >= 0; i--) {
        digits[i] = (char)('0' + d % 10);
        d /= 10;
    }
    int nd = 17;
    while (digits[nd - 1] == '0')
        nd--; /* digits[0] is not 0 */
    if (x >= 0) {
        int whole = x + 1;
        memcpy(out + n, digits, (size_t)whole);
        n += (size_t)whole;
        out[n++] = '.';
        if (nd > whole) {
            memcpy(out + n, digits + whole, (size_t)(nd - whole));
            n += (size_t)(nd - whole);
        } else {
            out[n++] = '0';
        }
    } else {
        out[n++] = '0';
        out[n++] = '.';
        for (int i = 0; i < -x - 1; i++)
            out[n++] = '0';
        memcpy(out + n, digits, (size_t)nd);
        n += (size_t)nd;
    }
    return n;
}

/* jansson's jsonp_dtostr: "%.17g", the locale's decimal point as '.', a
 * ".0" when there is neither a point nor an exponent, and no '+' or
 * leading zeros in the exponent. */
static int write_real(wc_json_sink *s, double v)
{
    if (!isfinite(v))
        return -1;
    char raw[40], out[48];
    size_t fast = fast_real(v, out);
    if (fast) {
        put(s, out, fast);
        return 0;
    }
    int n = snprintf(raw, sizeof raw, "%.17g", v);
    if (n <= 0 || (size_t)n >= sizeof raw)
        return -1;
    size_t k = 0;
    bool point = false, exponent = false, in_exp = false, exp_digit = false;
    for (int i = 0; i < n; i++) {
        char c = raw[i];
        if (c >= '0' && c <= '9') {
            if (in_exp && !exp_digit && c == '0' && i + 1 < n)
                continue; /* a leading zero of the exponent */
            exp_digit = exp_digit || in_exp;
            out[k++] = c;
        } else if (c == '-') {
            out[k++] = c;
        } else if (c == '+') {
            continue;
        } else if (c == 'e') {
            exponent = in_exp = true;
            out[k++] = c;
        } else if (!point) {
            /* the decimal point, in whatever the locale spells it */
            point = true;
            out[k++] = '.';
        }
    }
    if (!point && !exponent)
        out[k++] = '.', out[k++] = '0';
    put(s, out, k);
    return 0;
}

static int write_value(wc_json_sink *s, const json_t *v, int depth)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (depth >= WC_JSON_MAX_DEPTH)
            return -1;
        put_byte(s, '{');
        bool first = true;
        for (void *it = json_object_iter((json_t *)v); it;
             it = json_object_iter_next((json_t *)v, it)) {
            if (!first)
                put_byte(s, ',');
            first = false;
            wc_json_write_string(s, json_object_iter_key(it), json_object_iter_key_len(it));
            put_byte(s, ':');
            if (write_value(s, json_object_iter_value(it), depth + 1))
                return -1;
        }
        put_byte(s, '}');
        return 0;
    }
    case JSON_ARRAY: {
        if (depth >= WC_JSON_MAX_DEPTH)
            return -1;
        put_byte(s, '[');
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n; i++) {
            if (i)
                put_byte(s, ',');
            if (write_value(s, json_array_get(v, i), depth + 1))
                return -1;
        }
        put_byte(s, ']');
        return 0;
    }
    case JSON_STRING:
        wc_json_write_string(s, json_string_value(v), json_string_length(v));
        return 0;
    case JSON_INTEGER:
        write_integer(s, json_integer_value(v));
        return 0;
    case JSON_REAL:
        return write_real(s, json_real_value(v));
    case JSON_TRUE:
        put(s, "true", 4);
        return 0;
    case JSON_FALSE:
        put(s, "false", 5);
        return 0;
    case JSON_NULL:
        put(s, "null", 4);
        return 0;
    }
    return -1;
}

int wc_json_write(wc_json_sink *s, const json_t *value)
{
    if (!value || write_value(s, value, 0) != 0)
        return s->failed ? WC_ENOMEM : WC_EINVAL;
    return s->failed ? WC_ENOMEM : 0;
}

/* --- into a wc_buf --- */

typedef struct buf_sink {
    wc_json_sink sink; /* first: grow gets it */
    wc_buf *buf;
} buf_sink;

static bool buf_grow(wc_json_sink *sink, size_t extra)
{
    buf_sink *bs = (buf_sink *)sink;
    bs->buf->len = sink->len;
    if (!wc_buf_reserve(bs->buf, extra))
        return false;
    sink->data = (char *)bs->buf->data;
    sink->cap = bs->buf->cap - 1; /* wc_buf keeps a byte for wc_buf_cstr's NUL */
    return true;
}

static buf_sink buf_sink_on(wc_buf *out)
{
    return (buf_sink){
        .sink = {.data = (char *)out->data,
                 .len = out->len,
                 .cap = out->cap ? out->cap - 1 : 0,
                 .grow = buf_grow},
        .buf = out,
    };
}

static int buf_sink_end(buf_sink *bs, int rc)
{
    bs->buf->len = bs->sink.len;
    if (bs->sink.failed)
        bs->buf->failed = true;
    return rc;
}

int wc_json_text(const json_t *value, wc_buf *out)
{
    if (out->failed)
        return WC_ENOMEM;
    buf_sink bs = buf_sink_on(out);
    return buf_sink_end(&bs, wc_json_write(&bs.sink, value));
}

int wc_json_string_text(const char *s, size_t len, wc_buf *out)
{
    if (out->failed)
        return WC_ENOMEM;
    buf_sink bs = buf_sink_on(out);
    return buf_sink_end(&bs, wc_json_write_string(&bs.sink, s, len));
}
