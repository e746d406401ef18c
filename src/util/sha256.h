/* sha256.h -- SHA-256 digests and HMAC-SHA256 (OpenSSL's SHA-256 block
 * functions underneath: see sha256.c for why not its EVP interface). */
#ifndef WC_UTIL_SHA256_H
#define WC_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define WC_SHA256_HEX_LEN 64
#define WC_SHA256_BYTES 32

/* Digest of the concatenation of n (data, size) parts; hex gets 65 bytes. */
void wc_sha256_hex(const void *const *parts, const size_t *sizes, size_t n, char hex[65]);

/* HMAC-SHA256 (RFC 2104) under key of the concatenation of n parts. */
void wc_hmac_sha256(const void *key, size_t key_len, const void *const *parts,
                    const size_t *sizes, size_t n, uint8_t mac[WC_SHA256_BYTES]);

#endif
