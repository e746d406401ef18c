/* server.h -- the MCP server: sessions speaking JSON-RPC 2.0 over any
 * transport, answered from a capability registry.
 *
 * A transport creates one session per client connection with a send
 * callback, hands it every complete message it receives, and closes it when
 * the connection ends.  The server never reads or writes a file descriptor
 * and never runs Wasm itself: calls go to the registry on the server's
 * worker pool and answer out of order.
 *
 * Protocol revisions 2025-11-25, 2025-06-18, 2025-03-26 (with JSON-RPC
 * batches, answered as one array) and 2024-11-05 (initialize-based): version negotiation, tools, resources, prompts,
 * completion, logging, progress, cancellation, pagination, and
 * sampling/elicitation requests from plugins to clients that declared
 * them; and 2026-07-28 (stateless, stateless.c).  A registry swap (a
 * reload) tells every initialized session that the lists changed.
 */
#ifndef WC_MCP_SERVER_H
#define WC_MCP_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "mcp/backplane.h"
#include "mcp/jsonrpc.h"
#include "util/buf.h"
#include "util/error.h"

/* The plugin layer's registry (plugin/registry.h), which a transport only
 * passes along. */
typedef struct wc_registry wc_registry;

#define WC_MCP_LATEST_VERSION "2025-11-25"

/* Audit events of tool calls on the backplane (mcp/audit.c). */
typedef struct wc_mcp_audit_options {
    bool enabled;            /* with a backplane: one event per tool call */
    bool include_arguments;  /* the call's arguments in its event */
    size_t queue;            /* events waiting to be published; 0: 16384 */
    const char *stream;      /* keep the events in this stream (JetStream); NULL: none */
    uint64_t stream_max_age_ms, stream_max_bytes, stream_max_msgs; /* 0: no limit */
} wc_mcp_audit_options;

typedef struct wc_mcp_options {
    const char *name;          /* serverInfo.name; default "wasmcap" */
    const char *version;       /* serverInfo.version; default "0" */
    const char *instructions;  /* InitializeResult.instructions; NULL: none */
    unsigned workers;          /* call threads; 0: the number of CPUs */
    size_t queue_size;         /* calls waiting for a thread; 0: 256 per thread */
    size_t max_message_bytes;  /* transports refuse longer messages; default 4 MiB */
    unsigned page_size;        /* items per list page; default 100 */
    int log_level;             /* a session's notifications/message level until
                                  logging/setLevel (wc_log_level; default info) */
    int request_timeout_ms;    /* a plugin's sampling or elicitation request; default 60,000 */
    long long cache_ttl_ms;    /* stateless revision: ttlMs of lists and reads; default 0 */
    const char *state_secret;  /* seals input-required requestStates; NULL: random per process
                                  (servers that share clients need the same one) */
    /* What stands behind the server (mcp/backplane.h: events in, audit
     * records out); borrowed, it outlives the server.  NULL: none. */
    const wc_backplane *backplane;
    wc_mcp_audit_options audit; /* default: enabled, no arguments, no stream */
} wc_mcp_options;

void wc_mcp_options_default(wc_mcp_options *options);

typedef struct wc_mcp_server wc_mcp_server;
typedef struct wc_mcp_session wc_mcp_session;

/* registry is retained (may be NULL: no capabilities). */
int wc_mcp_server_new(const wc_mcp_options *options, wc_registry *registry,
                      wc_mcp_server **out, wc_error *err);
/* Sessions must be closed first. */
void wc_mcp_server_free(wc_mcp_server *server);
const wc_mcp_options *wc_mcp_server_options(const wc_mcp_server *server);
/* The registry served now, retained (release it); NULL: none. */
wc_registry *wc_mcp_server_registry(wc_mcp_server *server);
/* Serves `registry` (retained) from now on; calls running on the old one
 * finish on it.  Initialized sessions get the list_changed notifications. */
void wc_mcp_server_swap(wc_mcp_server *server, wc_registry *registry);
/* The lists wc_mcp_server_update found changed. */
enum { WC_MCP_LIST_TOOLS = 1, WC_MCP_LIST_RESOURCES = 2, WC_MCP_LIST_PROMPTS = 4 };
/* wc_mcp_server_swap for a reload: only the lists that differ between
 * the registry served and this one (tools; resources and templates;
 * prompts) are announced, and which those were is returned (WC_MCP_LIST_*
 * bits; 0: nothing a client can see changed). */
unsigned wc_mcp_server_update(wc_mcp_server *server, wc_registry *registry);
/* Appends the protocol and plugin layers' part of /metrics (Prometheus
 * text format): Wasm instances, each plugin's compile tier, tool calls by
 * tool and status. */
void wc_mcp_server_render_metrics(wc_mcp_server *server, wc_buf *out);
/* Appends what /healthz adds to its "ok": one line per part that has a
 * state of its own ("bus: nats disconnected\n"); nothing when none. */
void wc_mcp_server_render_health(wc_mcp_server *server, wc_buf *out);
/* The inputSchema of the tool of that exposed name in the registry in use
 * (a new reference), or NULL when there is no such tool. */
json_t *wc_mcp_server_tool_input_schema(wc_mcp_server *server, const char *name);
/* Tells every session subscribed to uri (resources/subscribe) that the
 * resource changed: notifications/resources/updated.  Any thread. */
void wc_mcp_server_resource_updated(wc_mcp_server *server, const char *uri);
/* True when received messages wait for a worker: more answers are coming
 * soon, so a transport may hold small writes back to batch them.  Lock-free
 * and possibly stale; only false once the queue has drained. */
bool wc_mcp_server_backlog(const wc_mcp_server *server);

/* What an outgoing message belongs to, for transports that route messages
 * by request (Streamable HTTP answers a POST on that POST's own stream). */
typedef struct wc_mcp_route {
    /* The tag the transport gave the request this message answers or that
     * caused it (progress, logs, sampling requests of its call); 0: none,
     * a message of the session (list_changed, a request with no tag). */
    unsigned long long tag;
    /* This is the last message for the tag: its answer, or (data NULL) the
     * news that no answer comes because the client cancelled the request. */
    bool final;
    /* For an error answer of the stateless revision: the HTTP status the
     * revision gives it (400 for bad _meta and version errors, 404 for an
     * unknown method); in any revision 400 for a tagged message refused
     * without a usable id (answered with "id": null); 0: the transport's
     * usual one. */
    int http_status;
    /* A message of the session (tag 0) that a backplane event caused: the
     * event's id (wc_backplane_event_fn), the same on every node of a
     * cluster, so that a transport keeps it once; 0: none. */
    uint64_t event;
} wc_mcp_route;

/* Sends one complete JSON message (no newline); data is NULL only for a
 * final route without an answer.  Called from any thread, possibly from
 * several at once: it must be thread-safe. */
typedef void (*wc_mcp_send_fn)(void *ctx, const wc_mcp_route *route, const char *data,
                               size_t len);

wc_mcp_session *wc_mcp_session_new(wc_mcp_server *server, wc_mcp_send_fn send, void *ctx);

/* How wc_mcp_session_receive hands a message on. */
typedef enum wc_mcp_receive_mode {
    /* Parsed and routed on the calling thread; methods that may run plugin
     * code become jobs on the worker pool.  Thread-safe; may wait while
     * the worker queue is full. */
    WC_MCP_RECEIVE_NOW = 0,
    /* For a transport's reader thread: a request other than initialize is
     * copied and parsed, as well as run, on a worker, so the reader only
     * finds message boundaries.  Everything else (initialize,
     * notifications such as notifications/cancelled, responses from the
     * client, messages it cannot classify) is handled at once, in order,
     * as NOW. */
    WC_MCP_RECEIVE_QUEUED,
    /* QUEUED for a reader that takes many messages at once (stdio):
     * requests are handed to the pool in batches, one lock for up to 16,
     * when the batch is full, before a message handled at once (so order
     * is kept), and at wc_mcp_session_flush_batch, which the reader calls
     * when it has gone through what it read.  Only the receiving thread
     * may receive so (and it closes the session, which flushes too). */
    WC_MCP_RECEIVE_BATCHED,
} wc_mcp_receive_mode;

/* Plugin code a request would run, as an authorize hook is asked about it. */
typedef enum wc_mcp_code {
    WC_MCP_CODE_TOOL,      /* tools/call: name is the tool's exposed name */
    WC_MCP_CODE_PROMPT,    /* prompts/get, or completion/complete of a prompt: its exposed
                              name */
    WC_MCP_CODE_RESOURCES, /* resources/read, or completion/complete of a resource: name is
                              a plugin (by its config name) that may serve it, asked for
                              each */
    WC_MCP_CODE_UNKNOWN,   /* what would run cannot be told: name says why */
} wc_mcp_code;

typedef struct wc_mcp_access {
    wc_mcp_code code;
    const char *method; /* the request's; NULL for an unreadable batch */
    const char *name;
} wc_mcp_access;

/* True when the message may run that code.  Asked on the receiving thread,
 * within wc_mcp_session_receive, after the server's own parse, so what is
 * asked about is what would run; messages that run no plugin code are not
 * asked about. */
typedef bool (*wc_mcp_authorize_fn)(void *ctx, const wc_mcp_access *access);

typedef struct wc_mcp_receive_options {
    wc_mcp_receive_mode mode;
    /* Not 0: every message the request leads to carries it in its route. */
    unsigned long long tag;
    /* NOW, for an event loop's thread that must not wait: a tools/call,
     * resources/read or prompts/get is first attempted right here, within
     * attempt_ms and only while it has no effects (call.h); if it needs
     * more, it runs again in full on the worker pool.  Tools that keep
     * needing more stop being attempted.  0: no attempts. */
    unsigned attempt_ms;
    /* Not NULL: the message (every request of a batch) runs only what
     * this allows (a transport's per-tool authorization, with its
     * principal in authorize_ctx). */
    wc_mcp_authorize_fn authorize;
    void *authorize_ctx;
} wc_mcp_receive_options;

/* Handles one message (len bytes, not NUL-terminated) as opts says (NULL:
 * NOW, untagged, nothing to authorize).  False when authorize refused it:
 * nothing of it was handled or sent, not even its tag's final route, and
 * the transport answers it. */
bool wc_mcp_session_receive(wc_mcp_session *session, const char *data, size_t len,
                            const wc_mcp_receive_options *opts);
/* Hands the requests WC_MCP_RECEIVE_BATCHED kept to the pool. */
void wc_mcp_session_flush_batch(wc_mcp_session *session);
/* A session for the stateless revision (2026-07-28): no initialize; every
 * request carries its protocol version, client capabilities and log level
 * in params._meta.  header_version is the transport's MCP-Protocol-Version
 * header (NULL: none), which must agree with _meta.  Transports use one
 * per request (or per subscriptions/listen) and close it after the final
 * message. */
wc_mcp_session *wc_mcp_session_new_stateless(wc_mcp_server *server, wc_mcp_send_fn send,
                                             void *ctx, const char *header_version);
/* Tells sessions that asked (stateful ones, and stateless listeners that
 * subscribed to that list) that a list changed: kind "tools", "prompts"
 * or "resources".  Any thread. */
void wc_mcp_server_list_changed(wc_mcp_server *server, const char *kind);
/* Who the session's requests come from, for audit events: the
 * transport's session id (NULL: none) and the authenticated principal
 * (NULL: none).  Call before the first request; longer strings are cut. */
void wc_mcp_session_set_identity(wc_mcp_session *session, const char *id,
                                 const char *principal);
/* --- sessions a cluster's nodes share (mcp/shared_session.c) --- */

/* Whether the server's backplane keeps sessions for a cluster. */
bool wc_mcp_server_shares_sessions(const wc_mcp_server *server);
/* Keeps the session's state in the backplane under its id (set_identity,
 * which must come first) from now on, with owner (the transport's "who may
 * use it", at most 127 bytes; NULL: anyone): once initialize succeeds and
 * whenever its log level, subscriptions or initialized state change, before
 * that request is answered.  Nothing without a sharing backplane.  0, or a
 * WC_E* code with err. */
int wc_mcp_session_share(wc_mcp_session *session, const char *owner, wc_error *err);
/* Continues here a session some node shared under id: a session as
 * wc_mcp_session_new makes, in the state read back (checked: any node may
 * have written it), shared from now on; *owner gets its owner ("" none).
 * 0, WC_ENOTFOUND (no such shared session), WC_EINVAL (a state this server
 * cannot continue), or the store's error, with err. */
int wc_mcp_session_resume(wc_mcp_server *server, const char *id, wc_mcp_send_fn send,
                          void *ctx, char *owner, size_t owner_size, wc_mcp_session **out,
                          wc_error *err);
/* The client ended the session: its shared state goes, and the nodes that
 * have it are told (wasmcap.cluster.session_changed; they find the state
 * gone and end theirs: wc_mcp_session_ended_elsewhere), so every node
 * answers 404 for it.  Before close. */
void wc_mcp_session_unshare(wc_mcp_session *session);
/* Whether another node ended this shared session (the client's DELETE
 * there removed its state, and the node said so on the bus): the
 * transport ends it here too, and the client's next request is refused as
 * for any session that ended.  Thread-safe. */
bool wc_mcp_session_ended_elsewhere(const wc_mcp_session *session);

/* The protocol revision initialize agreed on ("" before it). */
void wc_mcp_session_version(wc_mcp_session *session, char *out, size_t size);
/* Cancels every request of the session that is running (as by
 * notifications/cancelled): they send no answer, only a final route.  The
 * session is being closed: worker requests still queued, or received
 * after this, never run either. */
void wc_mcp_session_cancel_all(wc_mcp_session *session);
/* True while requests of the session are queued or running. */
bool wc_mcp_session_busy(wc_mcp_session *session);
/* Sends an error with "id": null: a transport's answer to a message it
 * could not hand over (e.g. one over max_message_bytes). */
void wc_mcp_session_send_error(wc_mcp_session *session, int code, const char *message);
/* The same for a request whose id the transport found (NULL: "id": null). */
void wc_mcp_session_send_error_id(wc_mcp_session *session, const json_t *id, int code,
                                  const char *message);
/* Waits for the session's calls to finish (their answers are sent), wakes
 * plugin requests still waiting for the client, and frees the session.  No
 * other call on the session may run at the same time or after. */
void wc_mcp_session_close(wc_mcp_session *session);
/* The same without waiting: the session is freed, and on_closed(ctx)
 * called, by whichever thread ends its last call (this one when none
 * runs), after every message of the session was sent. */
void wc_mcp_session_close_then(wc_mcp_session *session, void (*on_closed)(void *ctx), void *ctx);

#endif
