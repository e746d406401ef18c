/* http_limits.h -- the size and time limits of an HTTP connection: the
 * part of the connection layer (http_conn.h) that the server's options
 * (http.h) carry, in a header of its own so that http.h, a door of the
 * transport layer, does not bring in the connection layer's internals.
 */
#ifndef WC_TRANSPORT_HTTP_LIMITS_H
#define WC_TRANSPORT_HTTP_LIMITS_H

#include <stddef.h>

typedef struct http_limits {
    size_t max_head_bytes;     /* default 16 KiB */
    size_t max_body_bytes;     /* default 4 MiB */
    int head_timeout_ms;       /* default 10,000 */
    int body_timeout_ms;       /* default 30,000 */
    int idle_timeout_ms;       /* keep-alive; default 60,000 */
    int write_timeout_ms;      /* default 30,000 */
    size_t max_pending_output; /* default 8 MiB */
    unsigned max_connections;  /* default: what the fd limit allows */
    unsigned max_connections_per_client; /* default 1,024 */
} http_limits;

void http_limits_default(http_limits *limits);

#endif
