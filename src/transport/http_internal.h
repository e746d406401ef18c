/* http_internal.h -- what the files of the HTTP transport share: the
 * server, its MCP sessions and their event streams.  Not for use outside
 * src/transport/http*.c.
 *
 * Threads: everything here belongs to the loop thread except the outbox,
 * which workers fill (under outbox_lock) with the messages their calls
 * send.  An ended session's MCP session is closed without waiting; the
 * thread that ends its last call posts the session back through the
 * outbox, behind every message its calls sent, and the loop frees it
 * there.
 */
#ifndef WC_TRANSPORT_HTTP_INTERNAL_H
#define WC_TRANSPORT_HTTP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "mcp/server.h"
#include "transport/http.h"
#include "transport/http_conn.h"
#include "util/counts.h"

#define HTTP_SESSION_ID_LEN 32 /* hex digits of 128 random bits */

typedef struct wc_http_server http_server;
typedef struct http_session http_session;
typedef struct http_budget http_budget;

/* "p:<principal id>" or "a:<address>" */
#define HTTP_BUDGET_KEY_MAX (2 + (WC_AUTH_PRINCIPAL_ID_LEN > WC_COUNTS_KEY_MAX       \
                                      ? WC_AUTH_PRINCIPAL_ID_LEN                  \
                                      : WC_COUNTS_KEY_MAX))

/* One event kept for replay: its number in the stream and its SSE text
 * (id and data lines, ready to write). */
typedef struct sse_event {
    unsigned long long seq;
    size_t len;
    struct sse_event *next;
    char text[];
} sse_event;

/* A stream of messages for one client request (a POST answered as an
 * event stream) or of the session itself (number 0: the GET stream).
 * Event ids are "<stream>-<seq>", unique in the session; seq 0 is the
 * priming event, which carries no message. */
typedef struct sse_stream {
    unsigned long long no;
    http_session *session;
    http_conn *conn;          /* the connection writing it now, or NULL */
    bool started;             /* the reply is an event stream (not JSON) */
    bool finished;            /* its last message (the answer) was logged */
    bool json_only;           /* the client accepts no event stream: answer as JSON */
    bool legacy;              /* the 2024-11-05 transport: events without ids */
    bool initialize;          /* answers initialize: the session lives only if it succeeds */
    unsigned long long next_seq;
    unsigned long long sent_seq; /* the last seq written to a connection */
    bool conn_has_id;            /* an event with an id went out on this connection */
    sse_event *log, *log_tail;   /* the last events, oldest first */
    size_t log_events, log_bytes;
    size_t request_bytes;        /* its request's body, charged until the answer */
    bool replay_listed;          /* in its budget's list of droppable logs */
    /* A shared session's own stream (a cluster's): its events are the
     * session's log, which this node follows while a connection reads it
     * (ids "0-<log sequence>"); nothing is kept here for replay. */
    bool followed;
    void *follow;                /* the backplane's follow handle, or NULL */
    /* A request's stream in a cluster (http_stream_log.c): the id of its
     * request as JSON text ("" unknown), for the lost-node answer; on the
     * node running the call, logged: its events go to the cluster's log
     * too; on another, from_log: it follows that log (reader: the
     * follower's context), and lost_timer ends it when nothing comes. */
    char request_id[96];
    bool logged;
    bool from_log;
    struct stream_log_reader *reader;
    struct event *lost_timer;
    struct sse_stream *replay_prev, *replay_next;
    struct sse_stream *prev, *next; /* in session->streams */
} sse_stream;

typedef enum http_era {
    HTTP_ERA_SESSION,   /* initialize-based (2025-06-18, 2025-11-25) */
    HTTP_ERA_LEGACY,    /* HTTP+SSE (2024-11-05): GET /sse, POST /messages */
    HTTP_ERA_STATELESS, /* 2026-07-28: one request (or listen), no id, not in the table */
} http_era;

struct http_session {
    char id[HTTP_SESSION_ID_LEN + 1];
    http_server *server;
    wc_mcp_session *mcp;
    http_era era;
    char client[WC_COUNTS_KEY_MAX + 1]; /* the address that opened it */
    char header[64];                    /* "Mcp-Session-Id: <id>\r\n" */
    /* With auth: the principal that opened it (wc_auth_principal.id); only
     * the same one may use it.  "" without auth. */
    char owner[WC_AUTH_PRINCIPAL_ID_LEN + 1];
    bool owner_counted; /* in server->sessions_per_principal */
    sse_stream *streams;
    unsigned nstreams;
    unsigned long long next_stream;
    /* The number of the session's own (GET) stream: 0, or in a cluster one
     * drawn like next_stream's start, so that event ids this node gives
     * never repeat ones another node gave for the session. */
    unsigned long long own_stream;
    unsigned legacy_in_flight; /* POSTs to /messages not answered yet (their tags) */
    /* Their bodies' bytes by tag, to release at each final message. */
    struct legacy_body {
        unsigned long long tag;
        size_t bytes;
    } *legacy_bodies;
    unsigned nlegacy_bodies;
    size_t legacy_bodies_cap;
    /* Kept for a cluster (wc_mcp_server_shares_sessions): its messages
     * of its own go to the shared log, its own stream follows that log. */
    bool shared;
    http_budget *budget; /* its client's (http_budget.c) */
    long long charged;   /* what it charged there and has not released */
    long long last_used_ms;
    bool closing;      /* ended: no new requests, freed from the outbox */
    http_session *hash_next;         /* in server->buckets */
    http_session *lru_prev, *lru_next; /* least recently used first */
};

typedef struct outbox_entry {
    http_session *session;
    unsigned long long tag;
    bool final;
    int http_status; /* wc_mcp_route's; 0: the usual */
    bool closed; /* its MCP session is freed: free it */
    uint64_t log_seq; /* not 0: a message of the session's shared log, at that sequence */
    unsigned long long stream_no; /* with log_seq: the stream following that log */
    size_t len;
    struct outbox_entry *next;
    char *data;  /* NULL: no answer comes for tag */
    char inline_data[];
} outbox_entry;

struct wc_http_server {
    wc_http_options opt;
    wc_mcp_server *mcp;
    struct event_base *base;
    http_listener *listener;
    SSL_CTX *tls;
    char *endpoint, *resource_url;
    bool bound_to_loopback;

    /* sessions by id */
    http_session **buckets;
    size_t nbuckets, nsessions;
    http_session *lru_head, *lru_tail;
    wc_counts *sessions_per_client;
    wc_counts *sessions_per_principal; /* with auth, by principal id */
    http_budget **budget_buckets;      /* by client (http_budget.c) */
    size_t budget_nbuckets, nbudgets;
    struct event sweep_ev;

    /* workers -> loop */
    pthread_mutex_t outbox_lock;
    outbox_entry *outbox_head, *outbox_tail;
    atomic_bool outbox_signalled;
    int wake_fd; /* eventfd */
    struct event wake_ev;

    /* sessions ended whose MCP session is not freed yet */
    pthread_mutex_t closing_lock;
    pthread_cond_t closing_cond;
    unsigned nclosing;

    /* With auth: who sent the request being handled (valid during it). */
    const wc_auth_principal *principal;
    atomic_bool stopping;
    pthread_t loop_thread;     /* the thread in wc_http_server_run */
    atomic_bool loop_running;
    struct event watch_ev;
    bool watching;
    bool (*watch_fn)(void *ctx);
    void *watch_ctx;
    wc_http_stats stats;
};

/* http_session.c */
int http_sessions_init(http_server *server);
void http_sessions_free(http_server *server);
/* A new session registered under a fresh random id; NULL when out of
 * memory.  Its MCP session sends through the outbox. */
http_session *http_session_create(http_server *server, http_era era, const char *client,
                                  const char *header_version);
http_session *http_session_find(http_server *server, const char *id, size_t len);
/* In a cluster (the MCP server shares sessions): the session another node
 * (or this one before a restart) shared under id, continued here and
 * registered; NULL when there is none, it is another principal's, or it
 * cannot be continued (logged).  Waits for the shared store, within the
 * bus's request timeout. */
http_session *http_session_resume(http_server *server, const char *id, size_t len,
                                  const char *client);
/* Hands the message of stream (a new one, tagged with its number) to its
 * session's MCP session, with auth under the request's principal's scopes.
 * A request is attempted on the loop when the options allow
 * (http.inline_budget_ms), else queued, and its body is charged to the
 * client's budget until the answer; anything else is handled at once.  One
 * the principal may not run is answered 403 here, and stream freed (with
 * a stateless session, the session ended). */
void http_session_receive(sse_stream *stream, const char *body, size_t len, bool request);
/* Charges the body of a /messages POST (tag) until its final message; -1:
 * out of memory. */
int http_session_charge_legacy(http_session *session, unsigned long long tag, size_t len);
void http_session_touch(http_session *session);
/* Forgets the session (404 from now on), closes its streams' connections
 * and closes its MCP session without waiting; cancel: stop its calls. */
void http_session_end(http_session *session, bool cancel);
/* A message for the session from the outbox (loop thread). */
void http_session_deliver(http_session *session, unsigned long long tag, bool final,
                          int http_status, const char *data, size_t len);
/* A message of a shared session's log, at sequence seq, for the stream
 * numbered stream_no that follows it (loop thread). */
void http_session_deliver_logged(http_session *session, unsigned long long stream_no,
                                 uint64_t seq, const char *data, size_t len);
/* Queues for the loop (any thread) a message of a log at seq, for the
 * session's stream numbered stream_no that follows it. */
void http_outbox_push_logged(http_session *session, unsigned long long stream_no, uint64_t seq,
                             const void *data, size_t len);

/* http_stream_log.c: a request's stream in a cluster, kept in the
 * cluster's log so that another node can resume it.  Loop thread. */
/* On the node running the call: logs the stream's next message (data
 * NULL: it ends without one), and first that the stream started. */
void http_stream_log_message(sse_stream *stream, const char *data, size_t len, bool final);
/* GET with Last-Event-ID "<no>-<after>" of a shared session: the stream
 * from the log (or this node's own replay when its call runs here). */
void http_stream_log_resume(http_session *session, http_conn *conn, unsigned long long no,
                            unsigned long long after);
/* An entry of the log of a stream that follows it. */
void http_stream_log_entry(sse_stream *stream, const char *data, size_t len);
/* Stops following the log (unfollowing the session's log too). */
void http_stream_log_unfollow(sse_stream *stream);
/* Before the stream is freed. */
void http_stream_log_free(sse_stream *stream);
/* Follows the shared session's log on stream (its own, followed) from
 * sequence after on: 0, or a WC_E* code with err. */
int http_session_follow(sse_stream *stream, uint64_t after, wc_error *err);
/* Its MCP session was freed and posted back: free it. */
void http_session_destroy(http_session *session);
void http_closing_init(http_server *server);
/* Waits until every ended session's MCP session is freed (its calls
 * ended) and posted back through the outbox. */
void http_closing_wait(http_server *server);

/* http_budget.c: bytes kept per client (http.max_client_bytes).  Loop
 * thread only. */
int http_budgets_init(http_server *server);
/* After every session was destroyed. */
void http_budgets_free(http_server *server);
/* The budget key of the request being handled: its principal with auth,
 * else peer (its address). */
void http_budget_key(const http_server *server, const char *peer,
                     char key[HTTP_BUDGET_KEY_MAX + 1]);
/* NULL: the client keeps nothing now. */
http_budget *http_budget_find(const http_server *server, const char *key);
/* A session's reference (created at 0 bytes when new); NULL: out of memory. */
http_budget *http_budget_acquire(http_server *server, const char *key);
void http_budget_release(http_server *server, http_budget *budget);
/* Adds delta (negative: releases) to the session's client and its own
 * total, which http_session_destroy releases whatever is left of. */
void http_budget_charge(http_session *session, long long delta);
size_t http_budget_bytes(const http_budget *budget); /* NULL: 0 */
/* The most any one client keeps now (for /metrics). */
size_t http_budget_max_bytes(const http_server *server);
/* Whether a request of len bytes fits the budget (NULL: the client keeps
 * nothing), after dropping the replay logs of its finished streams, oldest
 * first, as needed; false: refuse it (429, http_budget_refusal's text). */
bool http_budget_admit(http_server *server, http_budget *budget, size_t len);
void http_budget_refusal(const http_server *server, const http_budget *budget, size_t len,
                         char *out, size_t size);
/* A finished stream whose every event went out once may have its log
 * dropped for the budget; offer lists it (if so), withdraw unlists it (it
 * is being read again, or freed). */
void http_budget_offer_replay(sse_stream *stream);
void http_budget_withdraw_replay(sse_stream *stream);

/* http_sse.c */
sse_stream *sse_stream_new(http_session *session, unsigned long long no);
sse_stream *sse_stream_find(http_session *session, unsigned long long no);
void sse_stream_free(sse_stream *stream);
/* Attaches conn and starts the event stream on it: headers, then the
 * priming event (an id, empty data, and retry when polling is on). */
void sse_stream_start(sse_stream *stream, http_conn *conn, const char *extra_headers);
/* Adds one message (logged for replay; written when a connection is
 * attached).  final: the stream's last. */
void sse_stream_push(sse_stream *stream, const char *data, size_t len, bool final);
/* A message of the session's log for a followed stream: written when a
 * connection reads it and it is newer than what was written. */
void sse_stream_push_logged(sse_stream *stream, uint64_t seq, const char *data, size_t len);
/* Ends the stream without a message (its request was cancelled). */
void sse_stream_push_end(sse_stream *stream);
/* Takes over a stream after Last-Event-ID seq: replays what followed. */
void sse_stream_resume(sse_stream *stream, http_conn *conn, unsigned long long after,
                       const char *extra_headers);
/* A call's close_stream (SSE polling, SEP-1699): ends the stream's
 * connection mid-call, so that the client resumes with Last-Event-ID, but
 * only when it can: an event with an id went out on that connection (a
 * stream not started yet starts with its priming event when the session's
 * revision has one).  Otherwise (a 2025-06-18 reply still to be JSON, the
 * stateless revision, which has no session to resume in) the stream stays
 * and carries the answer.  The connection stays usable for the next
 * request (the chunked body just ends).  extra_headers as for start. */
void sse_stream_release(sse_stream *stream, const char *extra_headers);
/* Parses "<stream>-<seq>". */
bool sse_parse_event_id(const char *text, size_t len, unsigned long long *stream,
                        unsigned long long *seq);
void sse_stream_detach(sse_stream *stream);
/* The request's connection (stream->conn, no reply yet): forget it if it
 * goes away before the answer. */
void sse_stream_watch(sse_stream *stream);

/* http_mcp.c */
void http_mcp_handle(http_server *server, http_conn *conn, const http_request *req, char *body,
                     size_t body_len);
/* http_params.c: a stateless tools/call's Mcp-Param-* headers agree with
 * the arguments the tool marks with x-mcp-header; false with why. */
bool http_params_check(http_server *server, const http_request *req, const json_t *params,
                       wc_error *why);

/* http_legacy.c */
void http_legacy_sse(http_server *server, http_conn *conn, const http_request *req);
void http_legacy_message(http_server *server, http_conn *conn, const http_request *req,
                         char *body, size_t body_len);

/* http_scopes.c */
/* The request's principal as an authorize hook's context, and what the
 * hook refused. */
typedef struct http_scope_check {
    const wc_auth *auth;
    const wc_auth_principal *who;
    wc_auth_target target; /* WC_AUTH_TARGETS: not a scope, `what` says why */
    const char *what;      /* "call", "get prompt", ... (static text) */
    char name[256];        /* the tool, prompt or plugin */
} http_scope_check;
/* The hook (wc_mcp_authorize_fn; ctx: an http_scope_check): whether the
 * principal holds the scopes of the code. */
bool http_scopes_allow(void *ctx, const wc_mcp_access *access);
/* With auth, puts the request's principal in check and check in opts as
 * its authorize hook; without, leaves opts as they are. */
void http_scopes_hook(const http_server *server, http_scope_check *check,
                      wc_mcp_receive_options *opts);
/* The 403 for what check refused. */
void http_scopes_refuse(http_conn *conn, const http_scope_check *check);

/* http.c */
/* With auth: whether the request's principal has as many open sessions
 * as http.max_sessions_per_principal allows. */
bool http_principal_full(const http_server *server);
/* With auth: whether the session belongs to the request's principal. */
bool http_session_owned(const http_server *server, const http_session *session);
/* Replies with a JSON-RPC error object (id null) as the body. */
void http_reply_rpc_error(http_conn *conn, int status, int code, const char *message,
                          const char *headers);
/* The same naming the request's id (the stateless revision wants it on
 * every error). */
void http_reply_rpc_error_id(http_conn *conn, int status, const json_t *id, int code,
                             const char *message, const char *headers);
void http_reply_text(http_conn *conn, int status, const char *text, const char *headers);

#endif
