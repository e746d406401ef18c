/* utf8.h -- UTF-8 validation and repair for bytes that come from guests.
 *
 * Guest bytes end up in JSON strings (logs, notifications, kv key lists,
 * http bodies), and jansson refuses invalid UTF-8.  Validation is strict
 * (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
 */
#ifndef WC_UTIL_UTF8_H
#define WC_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/* True when the len bytes at data are valid UTF-8 (NUL bytes included). */
bool wc_utf8_valid(const void *data, size_t len);

/* Appends data to out, each invalid sequence replaced by U+FFFD (one per
 * maximal invalid subpart, as Unicode recommends). */
void wc_utf8_sanitize(wc_buf *out, const void *data, size_t len);

/* The length of the longest prefix of the len bytes at data, at most max,
 * that does not end inside a multi-byte sequence (for truncation). */
size_t wc_utf8_prefix(const void *data, size_t len, size_t max);

#endif
