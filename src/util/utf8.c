/* utf8.c -- strict UTF-8 checks (RFC 3629) and U+FFFD repair. */
#include "util/utf8.h"

#include <stdint.h>
#include <string.h>

/* The length of the ASCII run at the start of s (at most n), eight bytes a
 * step: most text (messages, JSON) is all ASCII, and a byte at a time cost
 * five instructions a byte where this costs under one. */
static size_t ascii_run(const uint8_t *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull)
            break;
    }
    while (i < n && s[i] < 0x80)
        i++;
    return i;
}

/* The length of the valid sequence at s (n bytes left), or 0 when the bytes
 * there do not start one.  *bad gets the length of the maximal invalid
 * subpart to replace when the result is 0. */
static size_t sequence(const uint8_t *s, size_t n, size_t *bad)
{
    uint8_t c = s[0];
    *bad = 1;
    if (c < 0x80)
        return 1;
    size_t need;
    uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0)
            lo = 0xA0; /* no overlong */
        else if (c == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0)
            lo = 0x90; /* no overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    for (size_t i = 1; i < need; i++) {
        if (i >= n)
            return 0;
        uint8_t b = s[i];
        uint8_t l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
        if (b < l || b > h)
            return 0;
        *bad = i + 1;
    }
    return need;
}

bool wc_utf8_valid(const void *data, size_t len)
{
    const uint8_t *s = data;
    size_t i = 0, bad;
    while (i < len) {
        i += ascii_run(s + i, len - i);
        if (i == len)
            break;
        size_t n = sequence(s + i, len - i, &bad);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

void wc_utf8_sanitize(wc_buf *out, const void *data, size_t len)
{
    const uint8_t *s = data;
    size_t i = 0, run = 0, bad; /* run: valid bytes not yet appended, ending at i */
    while (i < len) {
        size_t ascii = ascii_run(s + i, len - i);
        i += ascii;
        run += ascii;
        if (i == len)
            break;
        size_t n = sequence(s + i, len - i, &bad);
        if (n) {
            i += n;
            run += n;
            continue;
        }
        wc_buf_append(out, s + i - run, run);
        wc_buf_append(out, "\xEF\xBF\xBD", 3);
        run = 0;
        i += bad;
    }
    wc_buf_append(out, s + i - run, run);
}

size_t wc_utf8_prefix(const void *data, size_t len, size_t max)
{
    const uint8_t *s = data;
    if (len <= max)
        return len;
    size_t end = max;
    /* Back up over continuation bytes to the start of the character that
     * the cut would split, at most 3 bytes. */
    for (size_t k = 0; k < 4 && end > 0; k++) {
        if ((s[end] & 0xC0) != 0x80)
            return end;
        end--;
    }
    return (s[end] & 0xC0) != 0x80 ? end : max;
}
