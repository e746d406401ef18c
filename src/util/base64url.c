/* base64url.c -- strict unpadded base64url (RFC 7515 section 2, RFC 4648
 * section 5): JWS segments and JWK members, sealed request states.
 *
 * Strict on purpose: libjwt's decoder skips characters it does not know and
 * ignores stray bits, so a token it verifies could be read differently by
 * us.  Refusing everything but the canonical encoding makes both readings
 * the same bytes.
 */
#include "util/base64url.h"

#include <stdlib.h>

/* 0..63 for the alphabet, 64 for everything else. */
static const uint8_t value_of[256] = {
    ['A'] = 0,  ['B'] = 1,  ['C'] = 2,  ['D'] = 3,  ['E'] = 4,  ['F'] = 5,  ['G'] = 6,  ['H'] = 7,
    ['I'] = 8,  ['J'] = 9,  ['K'] = 10, ['L'] = 11, ['M'] = 12, ['N'] = 13, ['O'] = 14, ['P'] = 15,
    ['Q'] = 16, ['R'] = 17, ['S'] = 18, ['T'] = 19, ['U'] = 20, ['V'] = 21, ['W'] = 22, ['X'] = 23,
    ['Y'] = 24, ['Z'] = 25, ['a'] = 26, ['b'] = 27, ['c'] = 28, ['d'] = 29, ['e'] = 30, ['f'] = 31,
    ['g'] = 32, ['h'] = 33, ['i'] = 34, ['j'] = 35, ['k'] = 36, ['l'] = 37, ['m'] = 38, ['n'] = 39,
    ['o'] = 40, ['p'] = 41, ['q'] = 42, ['r'] = 43, ['s'] = 44, ['t'] = 45, ['u'] = 46, ['v'] = 47,
    ['w'] = 48, ['x'] = 49, ['y'] = 50, ['z'] = 51, ['0'] = 52, ['1'] = 53, ['2'] = 54, ['3'] = 55,
    ['4'] = 56, ['5'] = 57, ['6'] = 58, ['7'] = 59, ['8'] = 60, ['9'] = 61, ['-'] = 62, ['_'] = 63,
};

static bool in_alphabet(unsigned char c)
{
    /* The table's zero entries are 'A' or not in the alphabet at all. */
    return value_of[c] != 0 || c == 'A';
}

bool wc_b64url_valid(const char *in, size_t len)
{
    if (len % 4 == 1)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!in_alphabet((unsigned char)in[i]))
            return false;
    /* The bits of the last character beyond the last whole byte must be 0. */
    if (len % 4 == 2 && (value_of[(unsigned char)in[len - 1]] & 0x0f))
        return false;
    if (len % 4 == 3 && (value_of[(unsigned char)in[len - 1]] & 0x03))
        return false;
    return true;
}

uint8_t *wc_b64url_decode(const char *in, size_t len, size_t *out_len)
{
    if (!wc_b64url_valid(in, len))
        return NULL;
    size_t n = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    uint8_t *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 6) | value_of[(unsigned char)in[i]];
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    out[o] = 0;
    *out_len = o;
    return out;
}

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t wc_b64url_encoded_len(size_t len)
{
    return len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
}

size_t wc_b64url_encode(const uint8_t *in, size_t len, char *out)
{
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = alphabet[(acc >> bits) & 63];
        }
        acc &= (1u << bits) - 1;
    }
    if (bits > 0)
        out[o++] = alphabet[(acc << (6 - bits)) & 63];
    out[o] = 0;
    return o;
}
