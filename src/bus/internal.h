/* internal.h -- what the bus's implementations share: the table of
 * operations each fills in, and the base every bus and subscription starts
 * with.  bus.c checks the arguments (subjects, headers, sizes, names) once
 * for both, so an implementation's operations get only valid input. */
#ifndef WC_BUS_INTERNAL_H
#define WC_BUS_INTERNAL_H

#include <stdatomic.h>

#include "bus/bus.h"

typedef struct wc_bus_ops {
    const char *kind;
    wc_bus_state (*state)(const wc_bus *bus);
    /* adds what the implementation counts itself (may be NULL) */
    void (*add_stats)(const wc_bus *bus, wc_bus_stats *out);
    int (*publish)(wc_bus *bus, const wc_bus_msg *msg);
    int (*subscribe)(wc_bus *bus, const char *subject, const char *group,
                     wc_bus_handler handler, void *ctx, wc_bus_sub **out);
    void (*unsubscribe)(wc_bus_sub *sub);
    uint64_t (*sub_dropped)(const wc_bus_sub *sub);
    /* cancel may be NULL */
    int (*request)(wc_bus *bus, const wc_bus_msg *request, uint32_t timeout_ms,
                   const wc_cancel_token *cancel, wc_bus_msg **reply, wc_error *err);
    int (*drain)(wc_bus *bus, uint32_t timeout_ms);
    void (*close)(wc_bus *bus);
    int (*stream_ensure)(wc_bus *bus, const wc_bus_stream_config *cfg, wc_error *err);
    int (*stream_append)(wc_bus *bus, const wc_bus_msg *msg, uint64_t *sequence, wc_error *err);
    int (*stream_read)(wc_bus *bus, const char *stream, uint64_t from_seq, size_t max_msgs,
                       wc_bus_stream_fn fn, void *ctx, wc_error *err);
    int (*stream_bounds)(wc_bus *bus, const char *stream, uint64_t *first, uint64_t *last,
                         wc_error *err);
    int (*stream_read_subject)(wc_bus *bus, const char *stream, const char *subject,
                               uint64_t from_seq, size_t max_msgs, wc_bus_stream_fn fn,
                               void *ctx, wc_error *err);
    int (*kv_ensure)(wc_bus *bus, const wc_bus_kv_config *cfg, wc_error *err);
    /* expected NULL: unconditional; else the key's last revision must be
     * *expected (0: the key has no value) or WC_ECONFLICT */
    int (*kv_put)(wc_bus *bus, const char *bucket, const char *key, const void *value,
                  size_t len, const uint64_t *expected, uint64_t *revision, wc_error *err);
    int (*kv_get)(wc_bus *bus, const char *bucket, const char *key, void **value, size_t *len,
                  uint64_t *revision, wc_error *err);
    int (*kv_delete)(wc_bus *bus, const char *bucket, const char *key, const uint64_t *expected,
                     wc_error *err);
    int (*kv_keys)(wc_bus *bus, const char *bucket, const char *prefix, size_t max_keys,
                   wc_bus_key_fn fn, void *ctx, wc_error *err);
} wc_bus_ops;

/* The first member of every implementation's bus. */
struct wc_bus {
    const wc_bus_ops *ops;
    /* cfg's numbers; its strings are not kept past open */
    wc_bus_config limits;
    atomic_uint_fast64_t published, delivered, dropped, reconnects;
};

/* The first member of every implementation's subscription. */
struct wc_bus_sub {
    wc_bus *bus;
};

/* Sets base's ops and limits (cfg's numbers) and zeroes its counters. */
void wc_bus_base_init(wc_bus *base, const wc_bus_ops *ops, const wc_bus_config *cfg);

int wc_bus_inproc_open(const wc_bus_config *cfg, wc_bus **out, wc_error *err);
int wc_bus_nats_open(const wc_bus_config *cfg, wc_bus **out, wc_error *err);

/* Whether some subject could match both filters (JetStream refuses two
 * streams whose subjects overlap). */
bool wc_bus_filters_overlap(const char *a, const char *b);
/* 0 or WC_EINVAL: a stream or bucket name ([A-Za-z0-9_-]{1,64}). */
int wc_bus_check_name(const char *what, const char *name, wc_error *err);
/* 0 or WC_EINVAL: a KV key. */
int wc_bus_check_key(const char *key, wc_error *err);

#endif
