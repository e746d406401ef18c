/* sha256.c -- SHA-256 and HMAC-SHA256 over OpenSSL's SHA256_* functions.
 *
 * Every process hashes a module as it loads it.  Through EVP, the first
 * digest makes OpenSSL 3 read its config and set up its providers and
 * algorithm store: ~2 MiB of libcrypto's pages and heap resident for the
 * process's life (docs/BENCHMARKS.md, "Resident memory").  The SHA256_*
 * functions run the same CPU-specific block code (SHA-NI here) with no
 * such set-up; OpenSSL 3 marks them deprecated, hence the define. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "util/sha256.h"

#include <openssl/sha.h>
#include <string.h>

#include "util/hex.h"

#define BLOCK 64

static void digest_parts(SHA256_CTX *ctx, const void *const *parts, const size_t *sizes,
                         size_t n, uint8_t md[WC_SHA256_BYTES])
{
    for (size_t i = 0; i < n; i++)
        SHA256_Update(ctx, parts[i], sizes[i]);
    SHA256_Final(md, ctx);
}

void wc_sha256_hex(const void *const *parts, const size_t *sizes, size_t n, char hex[65])
{
    uint8_t md[WC_SHA256_BYTES];
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    digest_parts(&ctx, parts, sizes, n, md);
    wc_hex_encode(md, sizeof md, hex);
}

void wc_hmac_sha256(const void *key, size_t key_len, const void *const *parts,
                    const size_t *sizes, size_t n, uint8_t mac[WC_SHA256_BYTES])
{
    /* RFC 2104: H((K ^ opad) || H((K ^ ipad) || text)), K padded to a
     * block, or first hashed when longer than one. */
    uint8_t k[BLOCK] = {0}, pad[BLOCK], inner[WC_SHA256_BYTES];
    if (key_len > BLOCK)
        SHA256(key, key_len, k);
    else if (key_len)
        memcpy(k, key, key_len);
    SHA256_CTX ctx;
    for (int i = 0; i < BLOCK; i++)
        pad[i] = k[i] ^ 0x36;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, pad, BLOCK);
    digest_parts(&ctx, parts, sizes, n, inner);
    for (int i = 0; i < BLOCK; i++)
        pad[i] = k[i] ^ 0x5c;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, pad, BLOCK);
    SHA256_Update(&ctx, inner, sizeof inner);
    SHA256_Final(mac, &ctx);
    explicit_bzero(k, sizeof k);
    explicit_bzero(pad, sizeof pad);
    explicit_bzero(&ctx, sizeof ctx);
}
