/* backplane.h -- what stands behind the server: where its events come from,
 * where its audit records go, and, in a cluster, where its sessions' state
 * is kept for the other nodes.
 *
 * The protocol layer owns this port and the front end implements it (on
 * the bus: cli/bus_backplane.c), as host/client_port.h is owned by the host
 * and implemented by the protocol.  So mcp knows "an event arrived on
 * wasmcap.resources.updated" and "publish this record", never NATS, JetStream
 * or the in-process bus.  Every hook may be NULL: what it serves is then
 * off (no events, no audit records, nothing in /metrics).
 *
 * Threads: listen/unlisten are called by wc_mcp_server_new/free; the
 * event callback runs on whatever thread the implementation delivers on
 * (one at a time per listen, never inside listen); publish, ready and keep
 * are called from the audit thread; the render hooks from the transport's
 * thread serving /metrics or /healthz.  All must be thread-safe.
 */
#ifndef WC_MCP_BACKPLANE_H
#define WC_MCP_BACKPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/error.h"

/* Records published on a subject kept for later reading, within limits
 * (0: no limit of that kind); the oldest go first. */
typedef struct wc_backplane_keep {
    const char *name;    /* letters, digits, '-', '_' */
    const char *subject; /* wildcards allowed */
    uint64_t max_age_ms, max_bytes, max_msgs;
} wc_backplane_keep;

/* An event for the server: subject and bytes, borrowed for the call; id
 * its place in the order every node of a cluster sees the subject's events
 * in (the same on every node), or 0 when it has none. */
typedef void (*wc_backplane_event_fn)(void *server, const char *subject, const void *data,
                                      size_t len, uint64_t id);

/* One message of a session's log: its sequence (increasing, never reused)
 * and bytes, borrowed for the call. */
typedef void (*wc_backplane_entry_fn)(void *ctx, uint64_t seq, const void *data, size_t len);

typedef struct wc_backplane {
    void *ctx;
    /* Delivers every event on subject (no wildcards) to fn(server, ...)
     * until unlisten(*handle).  0, or a WC_E* code with err. */
    int (*listen)(void *ctx, const char *subject, wc_backplane_event_fn fn, void *server,
                  void **handle, wc_error *err);
    /* After it returns, fn is not running and will not run again. */
    void (*unlisten)(void *ctx, void *handle);
    /* Whether publish can take records now (e.g. NATS is connected). */
    bool (*ready)(void *ctx);
    /* Sends one record on subject without waiting for anyone: 0, or a
     * WC_E* code (the record is lost; the caller counts it). */
    int (*publish)(void *ctx, const char *subject, const void *data, size_t len);
    /* Keeps what is published on keep->subject (creates or updates the
     * store): 0, or a WC_E* code with err. */
    int (*keep)(void *ctx, const wc_backplane_keep *keep, wc_error *err);
    /* Appends its part of /metrics (Prometheus text) and of /healthz (one
     * line per part with a state: "bus: nats connected\n"). */
    void (*render_metrics)(void *ctx, wc_buf *out);
    void (*render_health)(void *ctx, wc_buf *out);

    /* The nodes of a cluster share their sessions' state through these
     * (NULL: one node, nothing shared).  key: a session id (letters and
     * digits).  put: 0, or a WC_E* code with err (WC_ENOSPC: the store is
     * full); with expected (NULL: unconditionally) only while the stored
     * state is at revision *expected, else WC_ECONFLICT (another node
     * wrote since it was read); *revision (may be NULL) gets the new one.
     * get: 0 with *data (malloc'd, NUL-terminated past *len; the caller
     * frees it) and *revision (may be NULL), WC_ENOTFOUND, or another
     * WC_E* code with err.
     * remove: 0 (also when there was nothing), or a WC_E* code.  They wait
     * for the store, at most the implementation's own timeout, on the
     * calling thread (a worker for the requests that change a session's
     * state; a transport's loop for the rare moments a node first sees a
     * session, or notifications/initialized). */
    int (*session_put)(void *ctx, const char *key, const void *data, size_t len,
                       const uint64_t *expected, uint64_t *revision, wc_error *err);
    int (*session_get)(void *ctx, const char *key, char **data, size_t *len, uint64_t *revision,
                       wc_error *err);
    int (*session_remove)(void *ctx, const char *key, wc_error *err);
    /* How long a shared state lives after its last put; a session in use
     * is put again once a quarter of it has passed.  0: for ever. */
    uint64_t session_ttl_ms;

    /* A shared session's log: the messages of the session itself (not of a
     * request), kept for whichever node holds the client's stream (NULL: no
     * logs).  append waits until the message is kept (the implementation's
     * timeout): 0, or a WC_E* code with err (the message is lost).  dedupe
     * (NULL: none) keeps it once however many nodes append it: each node
     * that has the session sends the notification an event causes.
     * follow calls fn(fn_ctx, ...) for each message kept after sequence
     * `after`, in order and once, then for each new one, on the
     * implementation's thread, until unfollow returns. */
    int (*log_append)(void *ctx, const char *session, const char *dedupe, const void *data,
                      size_t len, wc_error *err);
    int (*log_follow)(void *ctx, const char *session, uint64_t after, wc_backplane_entry_fn fn,
                      void *fn_ctx, void **handle, wc_error *err);
    void (*log_unfollow)(void *ctx, void *handle);
} wc_backplane;

#endif
