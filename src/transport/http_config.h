/* http_config.h -- the "http" section of wasmcap.json and the --http
 * address, as wc_http_options (docs/CONFIG.md documents the keys).
 */
#ifndef WC_TRANSPORT_HTTP_CONFIG_H
#define WC_TRANSPORT_HTTP_CONFIG_H

#include <jansson.h>

#include "transport/http.h"

typedef struct wc_http_config {
    wc_http_options options; /* strings point into the section or below */
    const char **origins, **hosts;
    char host[256], port[16];
    bool enabled; /* the section names a listen address */
} wc_http_config;

/* section may be NULL (every default, not enabled).  The section must
 * outlive the result.  Errors name the key: "http.max_sessions: ...". */
int wc_http_config_parse(const json_t *section, wc_http_config *out, wc_error *err);
void wc_http_config_free(wc_http_config *config);

/* "host:port", "[v6]:port" or "port" (then on 127.0.0.1). */
int wc_http_parse_listen(const char *text, char *host, size_t host_size, char *port,
                         size_t port_size, wc_error *err);

#endif
