/* http_conn.h -- HTTP/1.1 connections on a libevent loop: accepting,
 * reading requests within limits, writing replies and event streams.
 *
 * Built on libevent's event loop and plain events rather than on evhttp:
 * an idle event stream here costs one small struct and one struct event
 * (no buffers are kept while nothing is pending), where evhttp held about
 * 2.7 KB per stream (docs/BENCHMARKS.md, "HTTP layer").  Everything runs
 * on the loop's thread; nothing here is thread-safe.
 *
 * Defences: the whole request head must arrive within head_timeout_ms
 * (slowloris) and the body within body_timeout_ms; heads and bodies have
 * size limits (431, 413); a peer that reads its replies too slowly is
 * dropped once max_pending_output bytes wait or no byte could be written
 * for write_timeout_ms; idle keep-alive connections close after
 * idle_timeout_ms; connections are counted in total and per client
 * address.
 */
#ifndef WC_TRANSPORT_HTTP_CONN_H
#define WC_TRANSPORT_HTTP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "transport/http_limits.h"
#include "transport/http_parse.h"
#include "util/error.h"

struct event_base;
typedef struct ssl_ctx_st SSL_CTX;


typedef struct http_conn http_conn;
typedef struct http_listener http_listener;

/* A complete request.  body is NUL-terminated (not counted); body and
 * req's strings are valid during the call only.  A handler that returns
 * without replying must set an owner (http_conn_set_owner) so that it
 * learns when the connection goes away before it replies. */
typedef void (*http_request_fn)(void *ctx, http_conn *conn, const http_request *req,
                                char *body, size_t body_len);

typedef struct http_listener_options {
    const char *host; /* numeric address or name */
    const char *port;
    SSL_CTX *tls;     /* NULL: plain HTTP */
    http_limits limits;
    http_request_fn on_request;
    void *ctx;
} http_listener_options;

int http_listener_new(struct event_base *base, const http_listener_options *options,
                      http_listener **out, wc_error *err);
/* Closes the listening socket and every connection. */
void http_listener_free(http_listener *listener);
/* The bound port (useful with port "0"). */
int http_listener_port(const http_listener *listener);
unsigned http_listener_connections(const http_listener *listener);
/* Replies sent with a status in class (1 to 5: 1xx to 5xx). */
unsigned long long http_listener_responses(const http_listener *listener, int status_class);
/* Bytes read from (out false) or written to (out true) clients. */
unsigned long long http_listener_bytes(const http_listener *listener, bool out);
/* Stops accepting (connections in progress go on). */
void http_listener_stop_accepting(http_listener *listener);

/* --- per connection, on the loop thread --- */

/* The peer's address as text ("127.0.0.1", "::1") and raw form. */
const char *http_conn_peer(const http_conn *conn);
bool http_conn_peer_is_loopback(const http_conn *conn);
bool http_conn_is_tls(const http_conn *conn);

/* Called once when the connection goes away while an owner is set (the
 * peer closed it, it failed, or it was dropped).  The connection must not
 * be used after this, nor from within on_close.  Always called from the
 * loop, never from within the owner's own calls on the connection (reply,
 * stream_*): when one of those fails, the connection is closed at once
 * (later calls do nothing) and on_close follows from the loop, unless the
 * owner lets go first (set_owner NULL).  Likewise a pipelined request
 * behind a reply is handled from the loop, never inside the reply call. */
typedef void (*http_conn_close_fn)(void *owner, http_conn *conn);
void http_conn_set_owner(http_conn *conn, http_conn_close_fn on_close, void *owner);

/* A whole reply.  headers: extra "Name: value\r\n" lines or NULL.  Body
 * may be NULL with len 0.  HEAD requests get the headers only. */
void http_conn_reply(http_conn *conn, int status, const char *content_type,
                     const char *headers, const char *body, size_t len);
/* A reply whose body follows in pieces (chunked in HTTP/1.1; in HTTP/1.0
 * the connection closes at the end). */
void http_conn_stream_start(http_conn *conn, int status, const char *content_type,
                            const char *headers);
void http_conn_stream_write(http_conn *conn, const char *data, size_t len);
/* Ends the body; the connection goes on to the next request. */
void http_conn_stream_end(http_conn *conn);
/* Drops the connection at once (nothing more is written); the owner's
 * on_close is not called. */
void http_conn_abort(http_conn *conn);
/* The reply to the current request carries CORS headers for this Origin
 * (already checked by the caller); NULL: none. */
void http_conn_set_cors(http_conn *conn, const char *origin, size_t len);
/* Bytes queued but not written yet. */
size_t http_conn_pending(const http_conn *conn);

const char *http_status_text(int status);

#endif
