/* bus.h -- the event bus behind the server: publish, subscribe (subject
 * wildcards, queue groups), request/reply with a deadline, headers, and the
 * persistence the features on top need (a stream to append to and read from
 * a sequence, a key-value bucket).
 *
 * Two implementations behind one interface, chosen by the config's url:
 * in-process (no url, or "inproc": the default, no server) and NATS through
 * libnats ("nats://host:port", "tls://...", several separated by commas),
 * with JetStream for the stream and the KV operations.  The in-process bus
 * keeps NATS's semantics, so code written against one works on the other:
 *
 *   subjects   tokens separated by '.', no whitespace; a subscription's
 *              subject may use '*' (one token) and '>' (the rest, last
 *              token only); a published subject may not.
 *   groups     of the subscriptions in one queue group whose subject matches,
 *              one gets each message; plain subscriptions get every message.
 *   requests   a reply inbox and a deadline; "no responders" (nobody was
 *              subscribed when the request arrived) comes back at once as
 *              WC_ENORESPONDERS, distinct from WC_ETIMEDOUT (somebody might
 *              have answered, nobody did in time).
 *   headers    NATS headers: names and values of printable text, exact-case,
 *              a name may repeat (the services protocol's
 *              Nats-Service-Error / Nats-Service-Error-Code ride here).
 *
 * Bounds and what happens when full:
 *   - every subscription has a pending queue (config sub_max_msgs and
 *     sub_max_bytes); a message that finds it full is dropped for that
 *     subscription and counted (wc_bus_sub_dropped, wc_bus_stats.dropped):
 *     the publisher is not told, as NATS does for a slow consumer.
 *   - a message's payload is at most max_payload bytes and its headers at
 *     most WC_BUS_MAX_HEADERS: publish refuses more with WC_ETOOBIG.
 *   - subscriptions and requests in flight are counted against
 *     max_subscriptions and max_requests: more is refused with WC_EAGAIN.
 *   - while NATS is disconnected, publishes go to libnats's reconnect
 *     buffer (reconnect_buffer bytes) and are sent on reconnection; a full
 *     buffer refuses with WC_EAGAIN.  Requests fail at once with
 *     WC_ENOTCONN ("bus unavailable") instead of waiting out their deadline.
 *   - the in-process streams and buckets live in memory, all of them
 *     within store_max_bytes: a stream over its limits (or the total) drops
 *     its oldest messages, as JetStream's default discard policy does; a
 *     KV put that would go over refuses with WC_ENOSPC.
 *
 * Threads.  Every function is thread-safe.  A subscription's handler runs
 * on the bus's delivery thread for that subscription, one message at a time
 * in arrival order, never on the publisher's thread; it may call any bus
 * function (a request blocks only its own subscription's deliveries) and
 * may unsubscribe its own subscription.  Handlers of different
 * subscriptions run concurrently.
 *
 * Errors are WC_E* codes (util/error.h); functions taking a wc_error say
 * why in it.
 */
#ifndef WC_BUS_BUS_H
#define WC_BUS_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/cancel_token.h"
#include "util/error.h"

#define WC_BUS_MAX_SUBJECT 512    /* bytes of a subject or a queue group */
#define WC_BUS_MAX_HEADERS 64     /* header lines of a message */
#define WC_BUS_MAX_HEADER_TEXT 4096 /* bytes of one header's name or value */
#define WC_BUS_MAX_KEY 1024       /* bytes of a KV key */
#define WC_BUS_MAX_NAME 64        /* bytes of a stream or bucket name */

typedef struct wc_bus wc_bus;
typedef struct wc_bus_sub wc_bus_sub;

typedef struct wc_bus_config {
    /* NULL, "" or "inproc": in-process.  Otherwise NATS server URLs,
     * comma-separated: nats://[user:password@]host:port or tls://... */
    const char *url;
    const char *name;             /* the connection's name at the server */
    const char *token;            /* NATS auth: a token, */
    const char *user, *password;  /* or a user and password, */
    const char *credentials_file; /* or a .creds file (JWT + NKey seed) */
    const char *tls_ca;           /* PEM CA to verify the server (implies TLS) */
    const char *tls_cert, *tls_key; /* PEM client certificate and key */
    uint32_t connect_timeout_ms;
    uint32_t reconnect_wait_ms;   /* between attempts to one server */
    int max_reconnect;            /* attempts after a loss; -1: forever */
    uint32_t request_timeout_ms;  /* JetStream API calls (stream, KV) */
    uint32_t sub_max_msgs;        /* a subscription's pending queue */
    size_t sub_max_bytes;
    size_t max_payload;           /* bytes of a message's data */
    size_t max_subscriptions;
    size_t max_requests;          /* requests waiting for their reply */
    size_t reconnect_buffer;      /* NATS: bytes kept while disconnected */
    bool send_asap;               /* NATS: write each message at once (libnats otherwise
                                     waits up to 1 ms to send several in one write) */
    size_t store_max_bytes;       /* in-process: all streams and buckets */
} wc_bus_config;

/* The defaults: in-process; reconnect every 2 s forever; 2 s to connect
 * and for JetStream API calls; 65,536 messages / 64 MiB pending a
 * subscription (libnats's own defaults); 1 MiB payloads (NATS's default
 * max_payload); 4,096 subscriptions and 4,096 requests in flight; an 8 MiB
 * reconnect buffer; 64 MiB of in-process stream and KV data. */
void wc_bus_config_init(wc_bus_config *cfg);

/* Opens the bus cfg names.  NATS: a server that cannot be reached now is
 * not an error; the bus keeps trying in the background (reconnect policy of
 * cfg) and reports WC_BUS_DISCONNECTED meanwhile.  Errors: WC_EINVAL for a
 * bad url or option, WC_ENOENT for a credentials or TLS file that is not
 * there, WC_ENOMEM. */
int wc_bus_open(const wc_bus_config *cfg, wc_bus **out, wc_error *err);

/* Stops taking messages: every subscription stops receiving, delivers
 * what it holds, and the bus flushes what it has to send, all within
 * timeout_ms.  Publishing still works after a drain (for the last events
 * of a shutdown); subscribing does not.  Returns 0 or WC_ETIMEDOUT. */
int wc_bus_drain(wc_bus *bus, uint32_t timeout_ms);
/* Closes the bus: every subscription still open is ended (its handler has
 * returned and will not run again) and freed, so the owner must not use
 * its handle afterwards.  Requests waiting end with WC_ECANCELED. */
void wc_bus_close(wc_bus *bus);

/* "inproc" or "nats". */
const char *wc_bus_kind(const wc_bus *bus);

typedef enum wc_bus_state {
    WC_BUS_CONNECTED = 0, /* the in-process bus is always */
    WC_BUS_DISCONNECTED,  /* NATS: not yet connected or reconnecting */
    WC_BUS_CLOSED,        /* NATS gave up (max_reconnect) or was closed */
} wc_bus_state;

wc_bus_state wc_bus_get_state(const wc_bus *bus);
/* "connected", "disconnected", "closed". */
const char *wc_bus_state_name(wc_bus_state state);

typedef struct wc_bus_stats {
    uint64_t published;  /* messages accepted by publish (requests included) */
    uint64_t delivered;  /* messages handed to handlers */
    uint64_t dropped;    /* messages a full subscription queue dropped */
    uint64_t reconnects; /* NATS: connections regained after a loss */
} wc_bus_stats;

void wc_bus_get_stats(const wc_bus *bus, wc_bus_stats *out);
/* Appends the bus's part of /metrics (Prometheus text): its state and
 * wc_bus_stats as wasmcap_bus_* series. */
void wc_bus_render_metrics(const wc_bus *bus, wc_buf *out);

/* --- messages --- */

typedef struct wc_bus_header {
    const char *name;
    const char *value;
} wc_bus_header;

/* A message to publish, or one the bus hands over.  What the bus hands to
 * a handler is borrowed for the handler's call; a reply (wc_bus_request)
 * belongs to the caller, who frees it with wc_bus_msg_free. */
typedef struct wc_bus_msg {
    const char *subject;
    const char *reply;      /* where to answer, or NULL */
    const wc_bus_header *headers;
    size_t header_count;
    const void *data;       /* may be NULL when len is 0 */
    size_t len;
    uint64_t sequence;      /* a stream message's sequence, else 0 */
} wc_bus_msg;

/* The value of the first header called name (exact case), or NULL. */
const char *wc_bus_msg_header(const wc_bus_msg *msg, const char *name);
/* A copy of msg in one allocation, or NULL (out of memory). */
wc_bus_msg *wc_bus_msg_copy(const wc_bus_msg *msg);
void wc_bus_msg_free(wc_bus_msg *msg);

/* Checks a subject to publish to (wildcards = false) or to subscribe to
 * (wildcards = true).  Returns 0 or WC_EINVAL / WC_ETOOBIG with the reason
 * in err (may be NULL). */
int wc_bus_check_subject(const char *subject, bool wildcards, wc_error *err);
/* Whether subject (no wildcards) falls under filter ('*' and '>' allowed). */
bool wc_bus_subject_matches(const char *filter, const char *subject);

/* --- publish, subscribe, request --- */

/* Sends msg (subject, reply, headers, data; sequence is ignored).  Returns
 * 0 when the bus took it, WC_EINVAL for a bad subject or header, WC_ETOOBIG
 * over max_payload or WC_BUS_MAX_HEADERS, WC_EAGAIN when NATS's reconnect
 * buffer is full, WC_ENOTCONN when the NATS connection is closed for good,
 * WC_ECANCELED once the bus is closing. */
int wc_bus_publish(wc_bus *bus, const wc_bus_msg *msg);
/* The same for a subject and bytes, without headers. */
int wc_bus_publish_data(wc_bus *bus, const char *subject, const void *data, size_t len);

typedef void (*wc_bus_handler)(void *ctx, const wc_bus_msg *msg);

/* Subscribes handler(ctx, msg) to subject (wildcards allowed); queue_group
 * NULL for every message, or a group name: one member of the group gets
 * each.  Returns 0, WC_EINVAL (subject, group), WC_EAGAIN (max_subscriptions),
 * WC_ECANCELED (drained or closing), WC_ENOMEM. */
int wc_bus_subscribe(wc_bus *bus, const char *subject, const char *queue_group,
                     wc_bus_handler handler, void *ctx, wc_bus_sub **out);
/* Ends sub and frees it.  From another thread: returns once its handler has
 * returned for the last time.  From its own handler: returns at once, and
 * the handler is not called again after it returns. */
void wc_bus_unsubscribe(wc_bus_sub *sub);
/* Messages this subscription's full queue dropped. */
uint64_t wc_bus_sub_dropped(const wc_bus_sub *sub);

/* Sends request (its reply field is ignored: the bus makes an inbox) and
 * waits up to timeout_ms for the first answer, which *reply gets.  Returns
 * 0, WC_ENORESPONDERS (nobody subscribed to the subject), WC_ETIMEDOUT,
 * WC_ENOTCONN (NATS disconnected), WC_EAGAIN (max_requests in flight), or a
 * publish error; err says which in words. */
int wc_bus_request(wc_bus *bus, const wc_bus_msg *request, uint32_t timeout_ms,
                   wc_bus_msg **reply, wc_error *err);
/* As wc_bus_request, and a cancellation of cancel (may be NULL) ends the
 * wait within WC_BUS_CANCEL_POLL_MS with WC_ECANCELED: a plugin's request
 * must stop when its call does.  The answer that comes after is dropped. */
#define WC_BUS_CANCEL_POLL_MS 10
int wc_bus_request_cancellable(wc_bus *bus, const wc_bus_msg *request, uint32_t timeout_ms,
                               const wc_cancel_token *cancel, wc_bus_msg **reply,
                               wc_error *err);

/* --- streams (JetStream): messages kept, read back from a sequence --- */

typedef struct wc_bus_stream_config {
    const char *name;        /* letters, digits, '-', '_' */
    const char *subject;     /* the subjects it keeps (wildcards allowed) */
    uint64_t max_age_ms;     /* 0: no limit of that kind */
    uint64_t max_bytes;
    uint64_t max_msgs;
    uint64_t max_msgs_per_subject; /* the oldest of a subject go past it */
} wc_bus_stream_config;

/* A message published with this header is kept once: another with the
 * same value within WC_BUS_DEDUPE_MS of the first (or the stream's
 * max_age_ms, if shorter) is not kept again (JetStream's duplicate
 * window; the in-process bus remembers the last
 * WC_BUS_DEDUPE_IDS of each stream).  stream_append of such a duplicate
 * returns 0 with the first's sequence. */
#define WC_BUS_MSG_ID "Nats-Msg-Id"
#define WC_BUS_DEDUPE_MS 120000
#define WC_BUS_DEDUPE_IDS 4096

/* Creates the stream, or updates its limits if it exists.  From then on
 * every message published on its subject is kept (by a plain publish too).
 * Returns 0, WC_EINVAL, WC_ENOTCONN, WC_EAGAIN (in-process: 64 streams), or
 * WC_EIO with the server's reason. */
int wc_bus_stream_ensure(wc_bus *bus, const wc_bus_stream_config *cfg, wc_error *err);
/* Publishes msg and waits for the stream that keeps its subject to store
 * it; *sequence (may be NULL) gets its sequence.  Returns 0, WC_ENOTFOUND
 * (no stream keeps the subject), WC_ENOTCONN, or a publish error. */
int wc_bus_stream_append(wc_bus *bus, const wc_bus_msg *msg, uint64_t *sequence, wc_error *err);

/* Called for each message read, in sequence order; msg is borrowed.
 * Returning non-zero stops the read. */
typedef int (*wc_bus_stream_fn)(void *ctx, const wc_bus_msg *msg);
/* Reads the stream's messages from sequence from_seq on (an earlier
 * sequence that is gone starts at the first kept), at most max_msgs of
 * them.  Returns how many fn got, or WC_ENOTFOUND (no such stream),
 * WC_ENOTCONN, WC_EIO. */
int wc_bus_stream_read(wc_bus *bus, const char *stream, uint64_t from_seq, size_t max_msgs,
                       wc_bus_stream_fn fn, void *ctx, wc_error *err);

/* The first and last sequence the stream keeps (0, 0 when it keeps none
 * and never kept any).  Returns 0, WC_ENOTFOUND, WC_ENOTCONN, WC_EIO. */
int wc_bus_stream_bounds(wc_bus *bus, const char *stream, uint64_t *first, uint64_t *last,
                         wc_error *err);

/* The same for the messages kept on one subject (no wildcards) only, each
 * with its sequence: a read by subject that does not step over the
 * stream's other subjects (JetStream's direct get, which the streams
 * stream_ensure makes allow). */
int wc_bus_stream_read_subject(wc_bus *bus, const char *stream, const char *subject,
                               uint64_t from_seq, size_t max_msgs, wc_bus_stream_fn fn,
                               void *ctx, wc_error *err);

/* --- key-value buckets (JetStream KV) --- */

typedef struct wc_bus_kv_config {
    const char *bucket;      /* letters, digits, '-', '_' */
    uint64_t max_bytes;      /* 0: no limit of that kind */
    uint32_t max_value_size;
    uint64_t ttl_ms;
} wc_bus_kv_config;

/* Creates the bucket if it does not exist.  Returns 0, WC_EINVAL,
 * WC_ENOTCONN, WC_EAGAIN (in-process: 64 buckets), WC_EIO. */
int wc_bus_kv_ensure(wc_bus *bus, const wc_bus_kv_config *cfg, wc_error *err);
/* Keys: 1..WC_BUS_MAX_KEY bytes of letters, digits and - / _ = . (not
 * starting or ending with '.'), as JetStream KV allows.  Every call returns
 * WC_ENOTFOUND for a bucket that does not exist, WC_EINVAL for a bad key,
 * WC_ENOTCONN when NATS is disconnected. */
int wc_bus_kv_put(wc_bus *bus, const char *bucket, const char *key, const void *value,
                  size_t len, uint64_t *revision, wc_error *err);
/* *value (malloc'd, NUL-terminated past len; the caller frees it) and *len
 * get the value; *revision (may be NULL) its revision.  WC_ENOTFOUND when
 * the key has no value. */
int wc_bus_kv_get(wc_bus *bus, const char *bucket, const char *key, void **value, size_t *len,
                  uint64_t *revision, wc_error *err);
/* 0 also when the key had no value. */
int wc_bus_kv_delete(wc_bus *bus, const char *bucket, const char *key, wc_error *err);
/* Compare-and-set (JetStream's expected last subject sequence): the put
 * or the delete happens only while the key's latest revision is
 * `expected`, a revision wc_bus_kv_get or a put gave (for a put, 0: only
 * while the key has no value: never written, or deleted).  Returns 0, or
 * WC_ECONFLICT when another writer changed the key since (read it again
 * and retry), WC_ENOSPC when the bucket is at its max_bytes, or the errors
 * of wc_bus_kv_put / wc_bus_kv_delete. */
int wc_bus_kv_update(wc_bus *bus, const char *bucket, const char *key, const void *value,
                     size_t len, uint64_t expected, uint64_t *revision, wc_error *err);
int wc_bus_kv_delete_if(wc_bus *bus, const char *bucket, const char *key, uint64_t expected,
                        wc_error *err);
/* Called for each key with a value starting with prefix, in byte order.
 * Returning non-zero stops the listing. */
typedef int (*wc_bus_key_fn)(void *ctx, const char *key);
/* Lists at most max_keys keys of bucket starting with prefix ("" for all).
 * Returns how many fn got.  To give them in order, NATS reads every key
 * under the prefix's whole tokens (a prefix "a.b.c" reads a.b.>, which the
 * server filters: keep what is listed together under a token), at most
 * WC_BUS_KV_SCAN_MAX of them: more is WC_ETOOBIG. */
#define WC_BUS_KV_SCAN_MAX 100000
int wc_bus_kv_keys(wc_bus *bus, const char *bucket, const char *prefix, size_t max_keys,
                   wc_bus_key_fn fn, void *ctx, wc_error *err);

#endif
