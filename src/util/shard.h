/* shard.h -- which shard of a per-thread-sharded structure this thread
 * uses.  Counters and lists that every call touches from several workers
 * are split into WC_SHARDS cache-line-sized parts: threads take the indexes
 * in turn, so workers rarely share a line and never wait on each other's
 * lock; readers add the shards up. */
#ifndef WC_UTIL_SHARD_H
#define WC_UTIL_SHARD_H

#include <stdatomic.h>

#define WC_SHARDS 16

/* This thread's index in [0, WC_SHARDS), fixed for its lifetime. */
unsigned wc_thread_shard(void);

/* A counter in shards: wc_shard_add moves this thread's part, wc_shard_sum
 * reads them all (not a snapshot: parts may move while it adds). */
typedef struct wc_shard_count {
    atomic_long n;
} __attribute__((aligned(64))) wc_shard_count;

void wc_shard_add(wc_shard_count counter[WC_SHARDS], long delta);
long wc_shard_sum(const wc_shard_count counter[WC_SHARDS]);

#endif
