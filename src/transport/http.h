/* http.h -- MCP over HTTP: Streamable HTTP (revisions 2025-03-26,
 * 2025-06-18 and 2025-11-25, with resumable event streams) on one
 * endpoint, the legacy HTTP+SSE transport (2024-11-05) on /sse and
 * /messages, and the operational endpoints /healthz, /readyz and
 * /metrics.
 *
 * The server runs one event loop on the thread that calls
 * wc_http_server_run; plugin calls run on the MCP server's worker pool and
 * their messages come back to the loop through a queue.  Requests are
 * checked before anything else: Host and Origin against DNS rebinding,
 * then sizes and timeouts (http_limits.h), then the protocol's headers.
 */
#ifndef WC_TRANSPORT_HTTP_H
#define WC_TRANSPORT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "auth/auth.h"
#include "mcp/server.h"
#include "transport/http_limits.h"

typedef struct wc_http_options {
    const char *host;      /* default "127.0.0.1" */
    const char *port;      /* default "8080"; "0": any free port */
    const char *endpoint;  /* default "/mcp" */
    const char *tls_cert;  /* PEM files; both or neither */
    const char *tls_key;
    http_limits limits;    /* zero fields: the defaults of http_limits.h */
    /* Origins (scheme://host[:port]) allowed besides localhost's when
     * bound to loopback; "*" allows any. */
    const char *const *allowed_origins;
    size_t nallowed_origins;
    /* Host header values (host or host:port) allowed besides localhost's
     * when bound to loopback; when bound elsewhere and the list is empty,
     * any Host is accepted. */
    const char *const *allowed_hosts;
    size_t nallowed_hosts;
    unsigned max_sessions;            /* default 100,000 */
    unsigned max_sessions_per_client; /* by address; default 1,000 */
    /* With auth: open sessions (not stateless requests) of one principal
     * (wc_auth_principal.id), from any address; default 100.  What one
     * principal can make the server keep is this many times a session's
     * bounded state. */
    unsigned max_sessions_per_principal;
    unsigned max_streams_per_session; /* requests in flight and GET streams; default 64 */
    /* Bytes the server keeps for one client (its principal with auth, else
     * its address) over all its sessions: request bodies in flight and
     * event logs kept for replay.  Default 256 MiB; -1: no limit. */
    long long max_client_bytes;
    int session_idle_ms;              /* default 600,000 */
    unsigned sse_log_events;          /* kept per stream for replay; default 256 */
    size_t sse_log_bytes;             /* default 1 MiB */
    unsigned sse_keep_finished;       /* finished streams kept per session; default 16 */
    int sse_retry_ms;                 /* retry: in priming events; default 1,000; -1: none */
    /* In a cluster: a request's stream resumed on another node than the
     * one running its call ends with an error answer when no message of it
     * comes for this long (its node is taken for lost); default 60,000. */
    int cluster_lost_call_ms;
    bool no_get_stream;               /* GET on the endpoint answers 405 */
    bool no_legacy_sse;               /* no /sse and /messages */
    /* A tool call is first attempted on the loop's thread, within this
     * budget and only while it has no effects, before it goes to the
     * worker pool (wc_mcp_receive_options.attempt_ms): no hand-over between
     * threads for the short, pure calls capabilities mostly are.  Default
     * 2; -1: never. */
    int inline_budget_ms;
    /* Optional (borrowed; must outlive the server): every request to the
     * MCP endpoints needs a valid bearer token, tools/call, prompts/get,
     * resources/read and completion/complete the scopes of the tool,
     * prompt or plugin they run, a session answers only the principal that
     * opened it, and
     * /.well-known/oauth-protected-resource serves the RFC 9728 metadata. */
    wc_auth *auth;
} wc_http_options;

void wc_http_options_default(wc_http_options *options);

/* Counters for /metrics and tests (loop thread). */
typedef struct wc_http_stats {
    unsigned long long requests;
    unsigned long long sessions_opened, sessions_closed, sessions_expired;
    unsigned long long sessions_resumed; /* continued here from a cluster's shared state */
    unsigned long long events_sent;
    long long open_sessions, open_streams;
    long long client_bytes; /* kept for all clients (http.max_client_bytes) */
    unsigned long long client_budget_refusals, replay_logs_dropped;
} wc_http_stats;

typedef struct wc_http_server wc_http_server;

/* mcp must outlive the HTTP server. */
int wc_http_server_new(const wc_http_options *options, wc_mcp_server *mcp,
                       wc_http_server **out, wc_error *err);
/* Serves until wc_http_server_stop; returns 0. */
int wc_http_server_run(wc_http_server *server);
/* From any thread (not a signal handler): makes run return soon. */
void wc_http_server_stop(wc_http_server *server);
/* Calls fn(ctx) on the loop thread whenever fd is readable (e.g. a signal
 * self-pipe); fn returns true to stop the server. */
int wc_http_server_watch(wc_http_server *server, int fd, bool (*fn)(void *ctx), void *ctx);
/* Ends every session (their calls are cancelled and waited for) and frees
 * the server.  Not while run is running. */
void wc_http_server_free(wc_http_server *server);
int wc_http_server_port(const wc_http_server *server);

#endif
