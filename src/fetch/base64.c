/* base64.c -- standard base64 over OpenSSL's EVP block coders (base64.h). */
#include "fetch/base64.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>

char *wc_base64_encode(const void *data, size_t len)
{
    if (len > ((size_t)1 << 30))
        return NULL;
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

static bool is_b64(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

uint8_t *wc_base64_decode(const char *in, size_t len, size_t *out_len)
{
    if (len % 4 || len > ((size_t)1 << 30))
        return NULL;
    size_t pad = 0;
    if (len && in[len - 1] == '=')
        pad = (len >= 2 && in[len - 2] == '=') ? 2 : 1;
    /* EVP_DecodeBlock skips blanks and takes '=' anywhere: check first. */
    for (size_t i = 0; i < len - pad; i++)
        if (!is_b64(in[i]))
            return NULL;
    uint8_t *out = malloc(len / 4 * 3 + 1);
    if (!out)
        return NULL;
    int n = len ? EVP_DecodeBlock(out, (const unsigned char *)in, (int)len) : 0;
    if (n < 0) {
        free(out);
        return NULL;
    }
    *out_len = (size_t)n - pad;
    out[*out_len] = 0;
    return out;
}
