/* sha256.h -- SHA-256 digests as hex strings (OpenSSL underneath). */
#ifndef WC_UTIL_SHA256_H
#define WC_UTIL_SHA256_H

#include <stddef.h>

#define WC_SHA256_HEX_LEN 64

/* Digest of the concatenation of n (data, size) parts; hex gets 65 bytes. */
void wc_sha256_hex(const void *const *parts, const size_t *sizes, size_t n, char hex[65]);

#endif
