/* inproc.h -- the in-process bus's memory store (inproc_store.c): its
 * streams and KV buckets, which inproc.c's publish feeds. */
#ifndef WC_BUS_INPROC_H
#define WC_BUS_INPROC_H

#include "bus/internal.h"

typedef struct inproc_store inproc_store;

/* All streams and buckets together hold at most max_bytes of data. */
inproc_store *inproc_store_new(size_t max_bytes);
void inproc_store_free(inproc_store *store);

/* Keeps msg in the stream whose subject it falls under.  Returns 1 with
 * *sequence set when kept (or kept before: a duplicate WC_BUS_MSG_ID within
 * WC_BUS_DEDUPE_MS), 0 when no stream keeps the subject, WC_ENOSPC
 * when the store is full of other streams' and buckets' data, WC_ENOMEM. */
int inproc_store_capture(inproc_store *store, const wc_bus_msg *msg, uint64_t *sequence);

int inproc_stream_ensure(inproc_store *store, const wc_bus_stream_config *cfg, wc_error *err);
int inproc_stream_bounds(inproc_store *store, const char *stream, uint64_t *first,
                         uint64_t *last, wc_error *err);
/* subject NULL: every message; else those of that subject only. */
int inproc_stream_read(inproc_store *store, const char *stream, const char *subject,
                       uint64_t from_seq, size_t max_msgs, wc_bus_stream_fn fn, void *ctx,
                       wc_error *err);
int inproc_kv_ensure(inproc_store *store, const wc_bus_kv_config *cfg, wc_error *err);
/* expected: as the ops table's (internal.h) */
int inproc_kv_put(inproc_store *store, const char *bucket, const char *key, const void *value,
                  size_t len, const uint64_t *expected, uint64_t *revision, wc_error *err);
int inproc_kv_get(inproc_store *store, const char *bucket, const char *key, void **value,
                  size_t *len, uint64_t *revision, wc_error *err);
int inproc_kv_delete(inproc_store *store, const char *bucket, const char *key,
                     const uint64_t *expected, wc_error *err);
int inproc_kv_keys(inproc_store *store, const char *bucket, const char *prefix, size_t max_keys,
                   wc_bus_key_fn fn, void *ctx, wc_error *err);

#endif
