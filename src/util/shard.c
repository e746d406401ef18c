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
