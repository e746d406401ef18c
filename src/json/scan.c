/* scan.c -- finding things in JSON text without parsing it: a reader
 * thread telling a request from other messages, a tool call's arguments
 * located in a request, a plugin's result checked member by member.  Each
 * scan reads the bytes once; strings and nested values are skipped 16
 * bytes at a time where SSE2 is there. */
#include "json/scan.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <string.h>

#include "json/parse.h"

const char *wc_json_scan_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* The first byte in [p, end) that is '"' or '\\' (or end): 16 bytes at a
 * time, since a request's params are scanned on the reader's thread. */
static const char *scan_quote_or_escape(const char *p, const char *end)
{
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    while (end - p >= 16) {
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned mask = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(b, quote), _mm_cmpeq_epi8(b, bslash)));
        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    while (p < end && *p != '"' && *p != '\\')
        p++;
    return p;
}

/* The first quote or bracket in [p, end) (or end). */
static const char *scan_special(const char *p, const char *end)
{
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), lbrace = _mm_set1_epi8('{'),
                  rbrace = _mm_set1_epi8('}'), lbracket = _mm_set1_epi8('['),
                  rbracket = _mm_set1_epi8(']');
    while (end - p >= 16) {
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i hit = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(b, quote), _mm_cmpeq_epi8(b, lbrace)),
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, rbrace), _mm_cmpeq_epi8(b, lbracket)),
                         _mm_cmpeq_epi8(b, rbracket)));
        unsigned mask = (unsigned)_mm_movemask_epi8(hit);
        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    while (p < end && *p != '"' && *p != '{' && *p != '}' && *p != '[' && *p != ']')
        p++;
    return p;
}

/* p at the opening quote: returns the position after the closing one. */
static const char *scan_string(const char *p, const char *end, bool *escaped)
{
    for (p++;; p++) {
        p = scan_quote_or_escape(p, end);
        if (p == end)
            return NULL;
        if (*p == '"')
            return p + 1;
        *escaped = true; /* a backslash: skip the byte it escapes */
        if (++p == end)
            return NULL;
    }
}

const char *wc_json_scan_value(const char *p, const char *end)
{
    bool escaped = false;
    if (p < end && *p == '"')
        return scan_string(p, end, &escaped);
    if (p < end && (*p == '{' || *p == '[')) {
        int depth = 0;
        while (p < end) {
            p = scan_special(p, end);
            if (p == end)
                break;
            if (*p == '"') {
                p = scan_string(p, end, &escaped);
                if (!p)
                    return NULL;
                continue;
            }
            if (*p == '{' || *p == '[')
                depth++;
            else if (--depth == 0)
                return p + 1;
            p++;
        }
        return NULL;
    }
    while (p < end && *p != ',' && *p != '}' && *p != ' ' && *p != '\t' && *p != '\n' &&
           *p != '\r')
        p++;
    return p;
}

bool wc_json_key_is(const wc_json_member_scan *m, const char *name)
{
    return !m->escaped && m->key_len == strlen(name) && memcmp(m->key, name, m->key_len) == 0;
}

int wc_json_scan_members(const char *p, const char *end,
                         bool (*visit)(void *ctx, const wc_json_member_scan *m), void *ctx,
                         const char **after)
{
    p = wc_json_scan_ws(p + 1, end);
    while (p < end && *p == '"') {
        wc_json_member_scan m = {.key = p + 1};
        const char *key_end = scan_string(p, end, &m.escaped);
        if (!key_end)
            return -1;
        m.key_len = (size_t)(key_end - 1 - m.key);
        p = wc_json_scan_ws(key_end, end);
        if (p == end || *p != ':')
            return -1;
        m.value = p = wc_json_scan_ws(p + 1, end);
        p = wc_json_scan_value(p, end);
        if (!p)
            return -1;
        m.value_len = (size_t)(p - m.value);
        if (!visit(ctx, &m))
            return 0;
        p = wc_json_scan_ws(p, end);
        if (p < end && *p == ',')
            p = wc_json_scan_ws(p + 1, end);
        else
            break;
    }
    if (p == end || *p != '}')
        return -1;
    *after = p + 1;
    return 1;
}

/* --- flat objects --- */

const char *wc_json_plain_string(const char *p, const char *end, const char **text, size_t *n)
{
    if (p == end || *p != '"')
        return NULL;
    const char *start = ++p;
    bool ascii = true;
    while (p < end && *p != '"') {
        unsigned char c = (unsigned char)*p;
        if (c == '\\' || c < 0x20)
            return NULL;
        ascii &= c < 0x80;
        p++;
    }
    if (p == end || (!ascii && wc_json_utf8_valid_prefix(start, (size_t)(p - start)) !=
                                   (size_t)(p - start)))
        return NULL;
    *text = start;
    *n = (size_t)(p - start);
    return p + 1;
}

/* Skips a scalar value (a string may have escapes); NULL for a container
 * or text that ends first. */
static const char *flat_scalar(const char *p, const char *end)
{
    if (p == end || *p == '{' || *p == '[')
        return NULL;
    return wc_json_scan_value(p, end);
}

int wc_json_flat_members(const char *data, size_t len, wc_json_member *out)
{
    const char *p = wc_json_scan_ws(data, data + len), *end = data + len;
    if (p == end || *p != '{')
        return -1;
    p = wc_json_scan_ws(p + 1, end);
    if (p < end && *p == '}')
        return wc_json_scan_ws(p + 1, end) == end ? 0 : -1;
    for (int n = 0;; ) {
        if (n == WC_JSON_FLAT_MAX)
            return -1;
        wc_json_member *m = &out[n];
        p = wc_json_plain_string(p, end, &m->key, &m->key_len);
        if (!p)
            return -1;
        for (int i = 0; i < n; i++)
            if (out[i].key_len == m->key_len && memcmp(out[i].key, m->key, m->key_len) == 0)
                return -1;
        p = wc_json_scan_ws(p, end);
        if (p == end || *p != ':')
            return -1;
        m->value = p = wc_json_scan_ws(p + 1, end);
        p = flat_scalar(p, end);
        if (!p || p == m->value)
            return -1;
        m->value_len = (size_t)(p - m->value);
        n++;
        p = wc_json_scan_ws(p, end);
        if (p < end && *p == ',') {
            p = wc_json_scan_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == '}' && wc_json_scan_ws(p + 1, end) == end)
            return n;
        return -1;
    }
}
