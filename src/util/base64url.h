/* base64url.h -- unpadded base64url (RFC 4648 section 5, as JWS uses it). */
#ifndef WC_UTIL_BASE64URL_H
#define WC_UTIL_BASE64URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes strictly: only A-Z a-z 0-9 '-' '_', no '=', no length of the
 * form 4n+1, unused trailing bits zero -- so one byte string has exactly
 * one encoding, and what we accept is what any other decoder (libjwt's
 * included) reads the same way.  Returns malloc'ed bytes (NUL-terminated,
 * not counted), or NULL. */
uint8_t *wc_b64url_decode(const char *in, size_t len, size_t *out_len);
/* Whether wc_b64url_decode would accept in[0..len). */
bool wc_b64url_valid(const char *in, size_t len);
/* The encoding's length for len bytes (without the NUL). */
size_t wc_b64url_encoded_len(size_t len);
/* Writes the encoding and a NUL to out (wc_b64url_encoded_len(len) + 1
 * bytes); returns its length. */
size_t wc_b64url_encode(const uint8_t *in, size_t len, char *out);

#endif
