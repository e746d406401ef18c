/* nats_bus.h -- the NATS bus's connection, shared by nats.c (connection,
 * publish, subscribe, request) and nats_js.c (JetStream streams and KV). */
#ifndef WC_BUS_NATS_BUS_H
#define WC_BUS_NATS_BUS_H

#include <nats/nats.h>
#include <pthread.h>

#include "bus/internal.h"

#define NATS_MAX_BUCKETS 64 /* KV handles kept open */

typedef struct nats_sub nats_sub;

typedef struct nats_bus {
    wc_bus base;
    natsConnection *nc;
    jsCtx *js;
    atomic_int state; /* wc_bus_state */
    atomic_size_t requests; /* in flight, against max_requests */
    atomic_bool closing;    /* wc_bus_close is closing the connection */

    pthread_mutex_t lock; /* subs, n_subs, draining, ended_dropped, buckets, closed */
    pthread_cond_t closed_cond;
    bool closed; /* libnats made its last callback */
    nats_sub *subs;
    size_t n_subs;
    bool draining;
    uint64_t ended_dropped; /* what ended subscriptions had dropped */
    struct {
        char name[WC_BUS_MAX_NAME + 1];
        kvStore *kv;
    } buckets[NATS_MAX_BUCKETS];
    size_t n_buckets;
} nats_bus;

/* natsStatus as a WC_E* code. */
int wc_bus_nats_code(natsStatus s);
/* Sets err to s's code and "what: libnats's words (the last error's detail)". */
int wc_bus_nats_error(wc_error *err, natsStatus s, const char *what);
/* WC_ENOTCONN (err set) unless the connection is up. */
int wc_bus_nats_connected(nats_bus *bus, wc_error *err);
/* A natsMsg of msg's subject, reply, headers and data.  Returns 0 or a code. */
int wc_bus_nats_msg(const wc_bus_msg *msg, const char *reply, natsMsg **out);
/* Calls fn(ctx, view) with a wc_bus_msg borrowing m's parts (at most
 * WC_BUS_MAX_HEADERS headers); sequence as given. */
void wc_bus_nats_view(natsMsg *m, uint64_t sequence, void (*fn)(void *ctx, const wc_bus_msg *view),
                      void *ctx);

int wc_bus_nats_stream_ensure(wc_bus *bus, const wc_bus_stream_config *cfg, wc_error *err);
int wc_bus_nats_stream_append(wc_bus *bus, const wc_bus_msg *msg, uint64_t *sequence,
                              wc_error *err);
int wc_bus_nats_stream_bounds(wc_bus *bus, const char *stream, uint64_t *first,
                              uint64_t *last, wc_error *err);
int wc_bus_nats_stream_read_subject(wc_bus *bus, const char *stream, const char *subject,
                                    uint64_t from_seq, size_t max_msgs, wc_bus_stream_fn fn,
                                    void *ctx, wc_error *err);
int wc_bus_nats_stream_read(wc_bus *bus, const char *stream, uint64_t from_seq, size_t max_msgs,
                            wc_bus_stream_fn fn, void *ctx, wc_error *err);
int wc_bus_nats_kv_ensure(wc_bus *bus, const wc_bus_kv_config *cfg, wc_error *err);
int wc_bus_nats_kv_put(wc_bus *bus, const char *bucket, const char *key, const void *value,
                       size_t len, const uint64_t *expected, uint64_t *revision, wc_error *err);
int wc_bus_nats_kv_get(wc_bus *bus, const char *bucket, const char *key, void **value,
                       size_t *len, uint64_t *revision, wc_error *err);
int wc_bus_nats_kv_delete(wc_bus *bus, const char *bucket, const char *key,
                          const uint64_t *expected, wc_error *err);
int wc_bus_nats_kv_keys(wc_bus *bus, const char *bucket, const char *prefix, size_t max_keys,
                        wc_bus_key_fn fn, void *ctx, wc_error *err);
/* Destroys the KV handles (at close). */
void wc_bus_nats_kv_release(nats_bus *bus);

#endif
