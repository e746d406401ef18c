/* shard.h -- which shard of a per-thread-sharded structure this thread
 * uses.  Counters and lists that every call touches from several workers
 * are split into WC_SHARDS cache-line-sized parts: threads take the indexes
 * in turn, so workers rarely share a line and never wait on each other's
 * lock; readers add the shards up. */
#ifndef WC_UTIL_SHARD_H
#define WC_UTIL_SHARD_H

#define WC_SHARDS 16

/* This thread's index in [0, WC_SHARDS), fixed for its lifetime. */
unsigned wc_thread_shard(void);

#endif
