/* curl_sink.h -- a libcurl body written into a wc_buf, capped.
 *
 * Every transfer wasmcap makes (a plugin's http_fetch, the JWKS of the
 * authorization server) must stop at a size limit whatever the server
 * announces: Content-Length can be absent or false, and bytes are counted
 * after decoding, so a compressed bomb stops at the cap too.  A transfer
 * that also counts other bytes against the same cap (the response headers
 * a plugin receives) charges them here.
 */
#ifndef WC_UTIL_CURL_SINK_H
#define WC_UTIL_CURL_SINK_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

typedef struct wc_curl_sink {
    wc_buf body;
    size_t max;      /* body plus charged, at most */
    size_t charged;  /* other bytes counted against max */
    bool exceeded;   /* a write or a charge would have passed max */
} wc_curl_sink;

void wc_curl_sink_init(wc_curl_sink *sink, size_t max);
void wc_curl_sink_free(wc_curl_sink *sink);
/* For the next transfer: body empty, nothing charged, not exceeded. */
void wc_curl_sink_reset(wc_curl_sink *sink);

/* Counts n more bytes against the cap; false (and exceeded) past it. */
bool wc_curl_sink_charge(wc_curl_sink *sink, size_t n);

/* CURLOPT_WRITEFUNCTION, with the sink as CURLOPT_WRITEDATA.  Taking less
 * than given fails the transfer with CURLE_WRITE_ERROR: past the cap
 * (exceeded set) or out of memory (body.failed set). */
size_t wc_curl_sink_write(char *data, size_t size, size_t nmemb, void *sink);

#endif
