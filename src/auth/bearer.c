/* bearer.c -- the Authorization header (RFC 6750 section 2.1) and the
 * static tokens of the config.
 *
 * A static token is a password, so comparing it must not tell an attacker
 * how much of a guess was right.  Both sides are hashed with SHA-256 and
 * the digests compared with CRYPTO_memcmp, against every configured token
 * without stopping at a match: the time depends on the length of the
 * presented token (which its sender knows) and the number of configured
 * tokens, never on their contents or lengths.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth/internal.h"

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static bool token68_ok(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '.' || c == '_' || c == '~' || c == '+' || c == '/'))
            break;
        i++;
    }
    if (i == 0)
        return false;
    while (i < len && s[i] == '=')
        i++;
    return i == len;
}

wc_auth_reason wc_bearer_parse_header(const char *header, const char **token, size_t *len,
                                      char *detail, size_t detail_size)
{
    *token = NULL;
    *len = 0;
    if (!header) {
        snprintf(detail, detail_size, "no Authorization header");
        return WC_AUTH_MISSING_TOKEN;
    }
    const char *p = header;
    while (is_ows(*p))
        p++;
    const char *end = p + strlen(p);
    while (end > p && is_ows(end[-1]))
        end--;
    if (p == end) {
        snprintf(detail, detail_size, "an empty Authorization header");
        return WC_AUTH_MISSING_TOKEN;
    }
    const char *scheme_end = p;
    while (scheme_end < end && !is_ows(*scheme_end))
        scheme_end++;
    size_t scheme_len = (size_t)(scheme_end - p);
    if (scheme_len != 6 || strncasecmp(p, "Bearer", 6) != 0) {
        /* Another scheme (Basic, ...) is no bearer token: the client is
         * told how to get one, not that it made an error. */
        char scheme[40];
        wc_auth_printable(scheme, sizeof scheme, p, scheme_len);
        snprintf(detail, detail_size, "the Authorization header uses the '%s' scheme, not Bearer", scheme);
        return WC_AUTH_MISSING_TOKEN;
    }
    const char *t = scheme_end;
    while (t < end && is_ows(*t))
        t++;
    if (t == end) {
        snprintf(detail, detail_size, "'Bearer' without a token");
        return WC_AUTH_MALFORMED_HEADER;
    }
    if (t == scheme_end || !token68_ok(t, (size_t)(end - t))) {
        snprintf(detail, detail_size, "the bearer token has characters outside token68 (RFC 7235) or spaces");
        return WC_AUTH_MALFORMED_HEADER;
    }
    *token = t;
    *len = (size_t)(end - t);
    return WC_AUTH_OK;
}

long wc_bearer_match(const wc_auth *auth, const char *token, size_t len)
{
    if (auth->opts.n_bearer_tokens == 0)
        return -1;
    uint8_t digest[WC_AUTH_DIGEST_LEN];
    unsigned digest_len = 0;
    if (!EVP_Digest(token, len, digest, &digest_len, EVP_sha256(), NULL) || digest_len != sizeof digest)
        return -1;
    size_t match = 0;
    uint32_t matched = 0;
    for (size_t i = 0; i < auth->opts.n_bearer_tokens; i++) {
        uint32_t diff = (uint32_t)CRYPTO_memcmp(digest, auth->token_digests[i], sizeof digest);
        uint32_t equal = ((diff | (0u - diff)) >> 31) ^ 1u; /* 1 when diff == 0, without a branch */
        size_t take = (size_t)0 - (size_t)(equal & ~matched & 1u); /* all ones for the first match */
        match = (match & ~take) | (i & take);
        matched |= equal;
    }
    OPENSSL_cleanse(digest, sizeof digest);
    return matched ? (long)match : -1;
}
