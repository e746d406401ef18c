/* scan.c -- finding things in JSON text without parsing it: a reader
 * thread telling a request from other messages, a tool call's arguments
 * located in a request, a plugin's result checked member by member.  Each
 * scan reads the bytes once; strings and nested values are skipped 16
 * bytes at a time where SSE2 is there. */
#include "json/scan.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <stdint.h>
#include <string.h>

#include "json/parse.h"

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

/* One byte of a container's text, for the blocks with a backslash and the
 * tail: *p moved past it (and past the byte a backslash in a string
 * escapes); true when the container ended there. */
static bool container_byte(const char **p, bool *in_string, int *depth)
{
    char c = *(*p)++;
    if (*in_string) {
        if (c == '\\')
            (*p)++;
        else if (c == '"')
            *in_string = false;
        return false;
    }
    if (c == '"')
        *in_string = true;
    else if (c == '{' || c == '[')
        (*depth)++;
    else if ((c == '}' || c == ']') && --*depth == 0)
        return true;
    return false;
}

#ifdef __SSE2__
/* 16 bytes without a backslash: the offset just past the bracket that
 * closes the container, or 0.  Which bytes lie inside strings is the
 * prefix XOR of the quotes (an opening quote counts as inside, a closing
 * one not), so only the brackets outside strings are walked. */
static unsigned container_block(__m128i b, bool *in_string, int *depth)
{
    unsigned quotes = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, _mm_set1_epi8('"')));
    unsigned opens = (unsigned)_mm_movemask_epi8(_mm_or_si128(
        _mm_cmpeq_epi8(b, _mm_set1_epi8('{')), _mm_cmpeq_epi8(b, _mm_set1_epi8('['))));
    unsigned closes = (unsigned)_mm_movemask_epi8(_mm_or_si128(
        _mm_cmpeq_epi8(b, _mm_set1_epi8('}')), _mm_cmpeq_epi8(b, _mm_set1_epi8(']'))));
    unsigned inside = quotes;
    inside ^= inside << 1;
    inside ^= inside << 2;
    inside ^= inside << 4;
    inside ^= inside << 8;
    inside &= 0xffff;
    if (*in_string)
        inside ^= 0xffff;
    *in_string = (inside >> 15) & 1;
    for (unsigned brackets = (opens | closes) & ~inside; brackets; brackets &= brackets - 1) {
        unsigned bit = brackets & -brackets;
        if (opens & bit)
            ++*depth;
        else if (--*depth == 0)
            return (unsigned)__builtin_ctz(bit) + 1;
    }
    return 0;
}

static bool has_backslash(__m128i b)
{
    return _mm_movemask_epi8(_mm_cmpeq_epi8(b, _mm_set1_epi8('\\'))) != 0;
}
#endif

/* p at '{' or '[': past the matching bracket, or NULL when the text ends
 * first.  Every request's params go through here on the reader thread:
 * 16 bytes at a time, the quotes and brackets of a block taken from bit
 * masks in order (the last bytes copied into a block padded with spaces,
 * which mean nothing here); only a block with a backslash goes byte by
 * byte. */
static const char *skip_container(const char *p, const char *end)
{
    bool in_string = false;
    int depth = 0;
#ifdef __SSE2__
    while (end - p >= 16) {
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)p);
        if (has_backslash(b)) {
            const char *block_end = p + 16;
            while (p < block_end)
                if (container_byte(&p, &in_string, &depth))
                    return p;
            continue; /* p may be one past the block: an escaped byte */
        }
        unsigned closed = container_block(b, &in_string, &depth);
        if (closed)
            return p + closed;
        p += 16;
    }
    if (p < end) {
        char tail[16];
        memset(tail, ' ', sizeof tail);
        memcpy(tail, p, (size_t)(end - p));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)tail);
        if (!has_backslash(b)) {
            unsigned closed = container_block(b, &in_string, &depth);
            return closed ? p + closed : NULL;
        }
    }
#endif
    while (p < end)
        if (container_byte(&p, &in_string, &depth))
            return p;
    return NULL;
}

const char *wc_json_scan_value(const char *p, const char *end)
{
    bool escaped = false;
    if (p < end && *p == '"')
        return scan_string(p, end, &escaped);
    if (p < end && (*p == '{' || *p == '['))
        return skip_container(p, end);
    while (p < end && *p != ',' && *p != '}' && *p != ' ' && *p != '\t' && *p != '\n' &&
           *p != '\r')
        p++;
    return p;
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
            return WC_EINVAL;
        m.key_len = (size_t)(key_end - 1 - m.key);
        p = wc_json_scan_ws(key_end, end);
        if (p == end || *p != ':')
            return WC_EINVAL;
        m.value = p = wc_json_scan_ws(p + 1, end);
        p = wc_json_scan_value(p, end);
        if (!p)
            return WC_EINVAL;
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
        return WC_EINVAL;
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
    for (;;) {
        unsigned skip = 8;
        while (end - p >= 8 && (skip = wc_json_first_special8(p)) == 8)
            p += 8;
        if (skip < 8)
            p += skip;
        else
            while (p < end && (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x80 &&
                   *p != '"' && *p != '\\')
                p++;
        if (p == end || *p == '"')
            break;
        unsigned char c = (unsigned char)*p;
        if (c == '\\' || c < 0x20)
            return NULL;
        ascii = false; /* checked as a whole below */
        p++;
    }
    if (p == end || (!ascii && wc_json_utf8_valid_prefix(start, (size_t)(p - start)) !=
                                   (size_t)(p - start)))
        return NULL;
    *text = start;
    *n = (size_t)(p - start);
    return p + 1;
}

/* Whether a[0..n) and b[0..n) are the same bytes (short keys: a loop costs
 * less than a call to memcmp). */
static bool same_bytes(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* Skips a scalar value (a string may have escapes); NULL for a container
 * or text that ends first.  With check, the token is checked as the parser
 * checks it. */
static const char *flat_scalar(const char *p, const char *end, bool check)
{
    if (p == end || *p == '{' || *p == '[')
        return NULL;
    return check ? wc_json_check_scalar(p, end) : wc_json_scan_value(p, end);
}

/* The flat object at p (at its '{'): its members into out and *count; the
 * position past its '}', or NULL. */
static const char *flat_object(const char *p, const char *end, bool check, wc_json_member *out,
                               int *count)
{
    p = wc_json_scan_ws(p + 1, end);
    if (p < end && *p == '}') {
        *count = 0;
        return p + 1;
    }
    for (int n = 0;;) {
        if (n == WC_JSON_FLAT_MAX)
            return NULL;
        wc_json_member *m = &out[n];
        p = wc_json_plain_string(p, end, &m->key, &m->key_len);
        if (!p)
            return NULL;
        for (int i = 0; i < n; i++)
            if (out[i].key_len == m->key_len && same_bytes(out[i].key, m->key, m->key_len))
                return NULL;
        p = wc_json_scan_ws(p, end);
        if (p == end || *p != ':')
            return NULL;
        m->value = p = wc_json_scan_ws(p + 1, end);
        p = flat_scalar(p, end, check);
        if (!p || p == m->value)
            return NULL;
        m->value_len = (size_t)(p - m->value);
        n++;
        p = wc_json_scan_ws(p, end);
        if (p < end && *p == ',') {
            p = wc_json_scan_ws(p + 1, end);
            continue;
        }
        if (p == end || *p != '}')
            return NULL;
        *count = n;
        return p + 1;
    }
}

int wc_json_flat_members(const char *data, size_t len, wc_json_member *out)
{
    const char *p = wc_json_scan_ws(data, data + len), *end = data + len;
    int count;
    if (p == end || *p != '{' || !(p = flat_object(p, end, false, out, &count)))
        return WC_EINVAL;
    return wc_json_scan_ws(p, end) == end ? count : WC_EINVAL;
}

const char *wc_json_flat_object_checked(const char *p, const char *end, wc_json_member *out,
                                        int *count)
{
    if (p == end || *p != '{')
        return NULL;
    return flat_object(p, end, true, out, count);
}
