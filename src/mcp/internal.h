/* internal.h -- what the files of src/mcp share: the server, session, job
 * and era structures.  Not for use outside src/mcp.
 *
 * Locking: server->lock guards the registry pointer, its generation and the
 * session list; session->lock guards everything mutable in a session (state,
 * client capabilities, log level, the in-flight jobs and the requests sent
 * to the client, and its copy of the server's registry and generation, which
 * a swap updates under both locks: a request takes its snapshot under the
 * session lock alone).  A thread holding server->lock may take a session lock,
 * never the other way round.  session->cond is broadcast when a response
 * from the client arrives, a call is cancelled, or the session starts
 * closing.  The thread that lowers the last count of a closing session
 * frees it and calls its on_closed.
 */
#ifndef WC_MCP_INTERNAL_H
#define WC_MCP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "mcp/jsonrpc.h"
#include "mcp/server.h"
#include "plugin/registry.h"
#include "util/metrics.h"
#include "util/pool.h"

/* How a tool (by hash of its name) fares when attempted on a transport's
 * loop: tools that keep aborting stop being attempted. */
#define MCP_ATTEMPT_SLOTS 256
typedef struct mcp_attempt_stats {
    unsigned attempts, aborts, skipped;
} mcp_attempt_stats;

/* A message an attempt sent, held until the attempt stands. */
typedef struct mcp_held {
    struct mcp_held *next;
    size_t len;
    char data[];
} mcp_held;

#define MCP_EVENT_SUBJECTS 4 /* the event subjects events.c turns into notifications */

struct wc_mcp_server {
    wc_mcp_options opt; /* strings point into the copies below */
    char *name, *version, *instructions;
    wc_pool *pool;
    pthread_mutex_t lock;
    wc_registry *registry; /* may be NULL */
    unsigned long generation;
    wc_mcp_session *sessions;
    unsigned char state_key[64]; /* seals input-required requestStates */
    size_t state_key_len;
    pthread_mutex_t attempt_lock;
    mcp_attempt_stats attempts[MCP_ATTEMPT_SLOTS];
    struct mcp_audit *audit; /* audit.c; NULL: no audit events */
    /* events from the backplane (events.c) */
    void *event_subs[MCP_EVENT_SUBJECTS];
    atomic_uint_fast64_t events_delivered, events_dropped;
    atomic_uint_fast64_t share_failures; /* shared_session.c */
    void *changed_sub;                   /* its listen to other nodes' changes */
};

typedef enum mcp_state {
    MCP_NEW,         /* waiting for initialize */
    MCP_READY,       /* initialize answered */
    MCP_INITIALIZED, /* notifications/initialized received */
} mcp_state;

/* A request sent to the client by a plugin call, waiting for its answer. */
typedef struct mcp_pending {
    long long id;
    json_t *result, *error; /* owned once done */
    bool done;
    struct mcp_pending *next;
} mcp_pending;

typedef struct mcp_job mcp_job;

/* What one session may make the server remember (docs/CONFIG.md, "Limits
 * per session"): a client that asks for more gets -32602, or for cancels
 * the oldest is forgotten. */
#define MCP_EARLY_CANCELS 32            /* cancels of requests not seen yet */
#define MCP_MAX_CANCEL_ID_BYTES 256     /* a longer id is not remembered */
#define MCP_MAX_SUBSCRIPTIONS 1024      /* resources/subscribe URIs, or a listen's */
#define MCP_MAX_SUBSCRIPTION_URI 4096   /* bytes of one subscribed URI */
#define MCP_MAX_SUBSCRIPTION_BYTES (256u * 1024) /* all of them together */
#define MCP_BATCH 16 /* requests a reader hands to the pool at once */

struct wc_mcp_session {
    wc_mcp_server *server;
    wc_mcp_send_fn send;
    void *send_ctx;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* CLOCK_MONOTONIC */
    mcp_state state;
    char version[16];
    bool shapes_2025_03_26; /* results trimmed to that revision (revision.c) */
    bool can_sample, can_elicit;
    int log_level;
    wc_registry *registry; /* the server's, retained; may be NULL */
    unsigned long generation;
    mcp_job *jobs; /* in flight on the pool */
    /* how many: raised under the lock, lowered without it unless it drops
     * to 0 (a closing session is freed then) */
    atomic_size_t njobs;
    /* raw messages on the pool, not parsed yet; atomic so that queueing one
     * takes no lock (the lock is taken when it drops to 0 while closing) */
    atomic_size_t nqueued;
    /* Ids of notifications/cancelled that named no running request: the
     * request may still be queued unparsed (WC_MCP_RECEIVE_QUEUED). */
    json_t **early_cancels; /* MCP_EARLY_CANCELS slots, made on first use: an idle
                               session (an open event stream) stays small */
    unsigned nearly_cancels;
    mcp_pending *pending;
    long long next_request_id;
    json_t *subscriptions; /* resource URIs (keys) the client subscribed to; may be NULL */
    size_t subscription_bytes; /* the length of all those URIs */
    bool closing;
    /* Set with closing: called once the session is freed (count_done). */
    void (*on_closed)(void *ctx);
    void *on_closed_ctx;
    bool freeing; /* the one thread to free it was chosen */
    /* wc_mcp_session_cancel_all ran: no request of the session runs from
     * now on, not even one still queued unparsed (set under the lock). */
    atomic_bool cancelled;
    /* Its protocol era, set before the session is listed and never
     * changed, so read without the lock.  The stateless one's session
     * carries one request (or one subscriptions/listen), whose _meta says
     * everything. */
    const struct mcp_era *era;
    char audit_id[64];            /* the transport's session id, for audit events; "" none */
    char principal[256];          /* who, for audit events; "" none */
    char header_version[16];      /* the transport's MCP-Protocol-Version; "" none */
    /* Kept for a cluster's other nodes under audit_id (shared_session.c). */
    atomic_bool shared;
    pthread_mutex_t share_lock;   /* one put at a time */
    uint64_t shared_at_ms;        /* the last put, monotonic */
    /* The state as last read from or written to the store, and its
     * revision: the base a change is merged from when another node wrote
     * in between (compare-and-set, shared_session.c).  Under share_lock
     * and the session lock; NULL / 0 before the first. */
    json_t *shared_base;
    uint64_t shared_rev;
    atomic_bool ended_elsewhere;  /* another node removed its state (wc_mcp_session_ended_elsewhere) */
    char owner[128];              /* the transport's: who may use the session; "" anyone */
    json_t *client_capabilities;  /* this request's _meta clientCapabilities */
    json_t *listen_id;            /* an open subscriptions/listen: its request id */
    unsigned long long listen_tag;
    unsigned listen_lists;        /* LISTEN_* lists it asked to hear about */
    wc_mcp_session *prev, *next; /* in server->sessions */
    /* Requests received WC_MCP_RECEIVE_BATCHED and not yet on
     * the pool (queued_message *): the receiving thread's alone, and a
     * cache line away from the counts the workers move. */
    char batch_line[64];
    void *batch[MCP_BATCH];
    unsigned nbatch;
};

typedef int (*mcp_handler_fn)(mcp_job *job, json_t **result, wc_error *err);

/* Which protocol eras a method belongs to. */
#define MCP_ERA_SESSION 1u   /* initialize-based: 2025-06-18, 2025-11-25 */
#define MCP_ERA_STATELESS 2u /* 2026-07-28 */
#define MCP_ERA_BOTH 3u

typedef struct mcp_method {
    const char *name;
    mcp_handler_fn fn;
    bool on_worker;   /* may run plugin code: off the receiving thread */
    bool before_init; /* allowed before initialize */
    unsigned eras;
    const char *cache_scope; /* stateless results carry ttlMs and this cacheScope; NULL: not cacheable */
    /* Reads and writes a shared session's state in the cluster's store: for
     * such a session, off the receiving thread too (a transport's loop must
     * not wait for the store). */
    bool shares_state;
} mcp_method;

/* A handler's rc when it answered nothing and will not: the request stays
 * open (subscriptions/listen), its messages flowing on its tag. */
#define MCP_NO_ANSWER 1

/* A request's outcome on its way to becoming the answer. */
typedef struct mcp_answer {
    int rc;             /* 0 or a JSON-RPC error code */
    json_t *result;     /* rc 0: the result (NULL: {}), the handler's or `made` */
    const char *err;    /* rc not 0: the message */
    json_t *data;       /* the error's data (owned; may be NULL) */
    json_t *made;       /* a result made on the way (owned; may be NULL) */
    int http_status;    /* wc_mcp_route.http_status */
    char message[256];  /* room for err */
} mcp_answer;

/* What differs between the protocol eras: the initialize-based revisions
 * (stateful.c) and the stateless 2026-07-28 (stateless.c). */
typedef struct mcp_era {
    unsigned methods;          /* the MCP_ERA_* bit of the methods it has */
    const char *revision;      /* its one revision, named when a method is not in it; NULL:
                                  several */
    int unknown_method_status; /* wc_mcp_route.http_status of -32601 */
    bool client_requests;      /* a call may send requests to the client (sampling,
                                  elicitation); else it is refused (outbound.c) */
    bool result_text;          /* an answer may be the plugin's result bytes as they are */
    /* Checks a request before it is routed; NULL: none.  On refusal
     * returns false with the error to send (*data owned by the caller, may
     * be NULL) and the HTTP status a transport should use. */
    bool (*admit)(wc_mcp_session *session, const wc_rpc_message *msg, int *code,
                  char *message, size_t message_size, json_t **data, int *status);
    /* Takes what a job's request brings back from an earlier round (a
     * requestState) before it runs; NULL: nothing.  False: refused with
     * -32602 and message. */
    bool (*open)(mcp_job *job, char *message, size_t message_size);
    /* Turns a handler's outcome into the answer. */
    void (*finish)(mcp_job *job, mcp_answer *answer);
    /* A list changed (kind: one LISTEN_* bit; method: its notification) or
     * a resource did: tells the session if it asked.  Server lock held. */
    void (*list_changed)(wc_mcp_session *session, unsigned kind, const char *method);
    void (*resource_updated)(wc_mcp_session *session, const char *uri);
} mcp_era;

extern const mcp_era wc_mcp_era_stateful, wc_mcp_era_stateless;

/* One request being answered. */
struct mcp_job {
    wc_mcp_session *session;
    json_t *root;         /* owned by worker jobs; NULL for inline ones */
    const json_t *id;
    json_t *params;       /* may be NULL */
    const mcp_method *method;
    wc_registry *registry; /* retained on first use (wc_mcp_job_registry) */
    unsigned long generation;
    wc_call *call;         /* worker jobs only */
    unsigned long long tag; /* the transport's, for routing (0: none) */
    double started;         /* arrival, monotonic seconds (worker jobs) */
    /* Stateless revision: a client capability the call needed (a request
     * to the client it tried) that the request did not declare; the answer
     * is then -32021 naming it.  Written by the call's own thread. */
    const char *missing_capability;
    char *request_state;    /* the opened requestState of a stateless request, or NULL */
    bool attempt;           /* running as an attempt on the receiving thread (call.h) */
    mcp_held *held, **held_tail; /* what the attempt sent, in order */
    bool dropped;          /* cancelled by the client: send no answer */
    /* Run within its queued message's turn on a worker: that message's
     * count (nqueued) holds the session open until after the job ends. */
    bool in_queued;
    mcp_job *prev, *next;
    /* A tools/call received off the workers keeps its arguments' text
     * here: the bytes it came in do not outlive the receive call. */
    char arguments_copy[];
};

/* methods.c */
const mcp_method *wc_mcp_find_method(const char *name);
int wc_mcp_tools_call(mcp_job *job, json_t **result, wc_error *err);
/* The server's capabilities as the era announces them (initialize,
 * server/discover); NULL: out of memory. */
json_t *wc_mcp_capabilities(const mcp_era *era);

/* server.c */
/* A new session of the era, listed in the server's; NULL: out of memory. */
wc_mcp_session *wc_mcp_session_open(wc_mcp_server *server, const mcp_era *era,
                                    wc_mcp_send_fn send, void *ctx);
/* The server's registry as of the first call for this job (NULL: none). */
wc_registry *wc_mcp_job_registry(mcp_job *job);
void wc_mcp_session_send(wc_mcp_session *session, const wc_buf *out);
/* out NULL: the final route of a tag that gets no answer. */
void wc_mcp_session_send_routed(wc_mcp_session *session, unsigned long long tag, bool final,
                                const wc_buf *out);
/* params is stolen (may be NULL). */
void wc_mcp_session_notify(wc_mcp_session *session, const char *method, json_t *params);

/* stateless.c: the methods only the stateless era has */
#define LISTEN_TOOLS 1u
#define LISTEN_PROMPTS 2u
#define LISTEN_RESOURCES 4u
int wc_mcp_discover(mcp_job *job, json_t **result, wc_error *err);
int wc_mcp_listen(mcp_job *job, json_t **result, wc_error *err);

/* methods.c: whether one more subscribed URI of uri_len bytes fits a
 * session holding count URIs of bytes in all; if not, -32602 with why. */
int wc_mcp_subscription_fits(const char *method, size_t uri_len, size_t count, size_t bytes,
                             wc_error *err);

/* request_state.c */
/* The sealing key: secret (the config's) or, when NULL or empty, random. */
int wc_mcp_state_init(wc_mcp_server *server, const char *secret);

/* Events from the backplane as notifications (events.c): listens to the
 * event subjects when the server has a backplane that listens (0, or a
 * WC_E* code with err), and ends the
 * subscriptions (after stop, no handler runs). */
int wc_mcp_events_start(wc_mcp_server *server, wc_error *err);
void wc_mcp_events_stop(wc_mcp_server *server);
void wc_mcp_events_render_metrics(wc_mcp_server *server, wc_buf *out);

/* Audit events (audit.c): start the publishing thread when the server has
 * a backplane that publishes and audit is enabled (0, or a WC_E* code with err); stop it (what is queued
 * gets 2 s to go out); queue the event of a finished tools/call without
 * waiting (bytes_out: its JSON-RPC answer's, 0 when none was sent). */
typedef struct mcp_audit mcp_audit;
int wc_mcp_audit_start(wc_mcp_server *server, wc_error *err);
void wc_mcp_audit_stop(wc_mcp_server *server);
void wc_mcp_audit_call(mcp_job *job, wc_call_status status, double seconds,
                       size_t bytes_out);
void wc_mcp_audit_render_metrics(wc_mcp_server *server, wc_buf *out);
/* scope names the request ("tools/call\nname"); both return malloc'ed
 * text, or NULL (open: the state was changed, made for another request
 * or by another key). */
char *wc_mcp_state_seal(const wc_mcp_server *server, const char *scope, const char *state);
char *wc_mcp_state_open(const wc_mcp_server *server, const char *scope, const char *sealed);

/* shared_session.c: after a change of what the session keeps, put its
 * state for the cluster (when shared); failures are logged and counted.
 * share_now puts it (when shared and initialized): 0 or a WC_E* code with
 * err.  share_refresh puts it again once a quarter of the store's TTL
 * passed since the last put. */
void wc_mcp_session_shared_changed(wc_mcp_session *session);
/* Before a change: takes the state as shared now (another node may have
 * changed it since this one last did), so that the put after the change
 * keeps both.  Changes a client makes one after the other, through any
 * nodes, all hold; two at once through two nodes may lose one (the store
 * has no compare-and-set through the backplane). */
void wc_mcp_session_shared_sync(wc_mcp_session *session);
int wc_mcp_session_share_now(wc_mcp_session *session, wc_error *err);
void wc_mcp_session_share_refresh(wc_mcp_session *session);
void wc_mcp_shared_render_metrics(wc_mcp_server *server, wc_buf *out);
/* Listens to other nodes' changes of shared sessions (0, or a WC_E* code
 * with err); stop ends that. */
int wc_mcp_shared_start(wc_mcp_server *server, wc_error *err);
void wc_mcp_shared_stop(wc_mcp_server *server);

/* server.c: the backplane event (its id; 0: none) the calling thread is
 * turning into notifications: the messages it sends of a session (tag 0)
 * carry it in their route (wc_mcp_route.event).  The event passes through
 * the eras' list_changed and resource_updated on this one thread, so it
 * rides along here rather than as a parameter of each. */
void wc_mcp_event_cause(uint64_t id);

/* methods.c: whether initialize could have agreed on this revision. */
bool wc_mcp_version_supported(const char *version);

/* batch.c: JSON-RPC batches (revision 2025-03-26 only) */
#define MCP_BATCH_VERSION "2025-03-26"
#define MCP_MAX_BATCH 1024u /* messages in one batch; more: one -32600 for the batch */
typedef struct mcp_batch mcp_batch;
/* Whether the session's revision has batches (takes the session lock). */
bool wc_mcp_batch_allowed(wc_mcp_session *session);
/* Handles an array received under the transport's tag: answers, as one
 * array, once every request of it is answered. */
void wc_mcp_batch_handle(wc_mcp_session *session, const json_t *array, unsigned long long tag);
/* Whether a route's tag is a batch's (its address with this bit, which
 * user-space addresses never have): the message goes to wc_mcp_batch_route.
 * Inline: every message sent asks. */
#define MCP_BATCH_TAG (1ull << 63)
static inline bool wc_mcp_batch_tag(unsigned long long tag)
{
    return (tag & MCP_BATCH_TAG) != 0;
}
void wc_mcp_batch_route(wc_mcp_session *session, const wc_mcp_route *route, const char *data,
                        size_t len);
/* server.c: one message of a batch, as dispatch handles a message alone. */
void wc_mcp_handle_request(wc_mcp_session *session, wc_rpc_message *msg, unsigned long long tag);
void wc_mcp_handle_notification(wc_mcp_session *session, const wc_rpc_message *msg);

/* authorize.c: whether opts->authorize allows the plugin code a parsed
 * message (received as data) would run; as_batch: it is an array the
 * session handles as a batch. */
bool wc_mcp_authorized(wc_mcp_session *session, const wc_rpc_message *msg, bool as_batch,
                       const char *data, size_t len, const wc_mcp_receive_options *opts);

/* revision.c: a copy of a result trimmed to what revision 2025-03-26 has
 * (NULL: out of memory). */
json_t *wc_mcp_revision_2025_03_26(const char *method, const json_t *result);

/* outbound.c */
/* Fills the client port of a worker job's call (session lock held). */
void wc_mcp_job_client(mcp_job *job, wc_client_port *client);
/* A response from the client: to the waiting request, or dropped. */
void wc_mcp_route_response(wc_mcp_session *session, const wc_rpc_message *msg);

#endif
