/* shard.c -- per-thread shard indexes, handed out round robin. */
#include "util/shard.h"

#include <stdatomic.h>
#include <stdint.h>

static atomic_uint next_index;

unsigned wc_thread_shard(void)
{
    static _Thread_local unsigned index = UINT32_MAX;
    if (index == UINT32_MAX)
        index = atomic_fetch_add_explicit(&next_index, 1, memory_order_relaxed) % WC_SHARDS;
    return index;
}

void wc_shard_add(wc_shard_count counter[WC_SHARDS], long delta)
{
    atomic_fetch_add_explicit(&counter[wc_thread_shard()].n, delta, memory_order_relaxed);
}

long wc_shard_sum(const wc_shard_count counter[WC_SHARDS])
{
    long sum = 0;
    for (int i = 0; i < WC_SHARDS; i++)
        sum += atomic_load_explicit(&counter[i].n, memory_order_relaxed);
    return sum;
}
