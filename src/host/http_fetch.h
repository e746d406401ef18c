/* http_fetch.h -- the libcurl client behind the http_fetch host function.
 *
 * One request from a plugin, under that plugin's permissions: http and https
 * only, every host (the first one and each redirect's) checked against
 * allowed_hosts, redirects followed by us (at most 5) so that each hop is
 * checked, the whole exchange bounded by a time limit, the response (body
 * and headers) by max_output_bytes, and a cancelled call aborting the
 * transfer.  Host and the framing/hop-by-hop headers are the host's to
 * write: a request that sets them is refused.
 *
 * Request (JSON object): {"method": "GET", "url": "...", "headers": {name: value},
 *                         "body": "..." | "body_base64": "..."}
 * Response (JSON object): {"status": 200, "headers": {lower-case name: value},
 *                          "body": "..." (UTF-8) | "body_base64": "..."}
 */
#ifndef WC_HOST_HTTP_FETCH_H
#define WC_HOST_HTTP_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "host/wasmcap.h"
#include "util/buf.h"
#include "util/cancel_token.h"

#define WC_HTTP_MAX_REDIRECTS 5

/* What a redirect may carry on.  Credentials (Authorization, Cookie,
 * Proxy-Authorization) go on only within one origin (scheme, host and port,
 * as browsers and curl judge it); leaving https for http is refused. */
typedef enum wc_http_redirect {
    WC_HTTP_REDIRECT_SAME_ORIGIN,
    WC_HTTP_REDIRECT_CROSS_ORIGIN, /* credentials dropped, for the rest of the request */
    WC_HTTP_REDIRECT_DOWNGRADE,    /* https -> http: not followed */
} wc_http_redirect;

/* Judges a redirect between two absolute URLs (unparsable: cross-origin). */
wc_http_redirect wc_http_redirect_kind(const char *from_url, const char *to_url);

/* Performs the request (request_len bytes of JSON at request) for plugin
 * `plugin` under perms, within timeout_ms (0: the plugin's timeout).  cancel
 * may be NULL (nothing cancels it).  Returns 0 with the response JSON
 * appended to out, or a WC_HOST_E* code with the error message appended to
 * out (a denial names the config key that grants the host). */
int wc_http_fetch(const char *plugin, const wc_permissions *perms, const wc_cancel_token *cancel,
                  uint32_t timeout_ms, const void *request, size_t request_len, wc_buf *out);

#endif
