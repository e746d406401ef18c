/* base64.h -- standard padded base64 (RFC 4648 section 4), as registries
 * (Basic credentials, docker's config.json) and cosign (signatures) use it. */
#ifndef WC_FETCH_BASE64_H
#define WC_FETCH_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Malloc'ed, NUL-terminated encoding, or NULL when out of memory. */
char *wc_base64_encode(const void *data, size_t len);
/* Malloc'ed bytes (NUL-terminated, not counted) or NULL when in is not
 * base64 (length not a multiple of four, foreign characters, misplaced '='). */
uint8_t *wc_base64_decode(const char *in, size_t len, size_t *out_len);

#endif
