/* slow_backplane.h -- a cluster store that answers late: a backplane port
 * whose session_get and session_put wait slow_store_delay_ms before they
 * call the real one (a slow or distant NATS), for the tests and benchmarks
 * of what waits for the store.  One per process (the port's ctx stays the
 * real one's, so every other hook works unchanged).  Needs nats_server.h. */
#ifndef WC_TESTS_SLOW_BACKPLANE_H
#define WC_TESTS_SLOW_BACKPLANE_H

#include <stdatomic.h>

#include "mcp/backplane.h"

static atomic_int slow_store_delay_ms;
static const wc_backplane *slow_store_inner;

static int slow_store_get(void *ctx, const char *key, char **data, size_t *len,
                          uint64_t *revision, wc_error *err)
{
    nats_server_sleep_ms(atomic_load(&slow_store_delay_ms));
    return slow_store_inner->session_get(ctx, key, data, len, revision, err);
}

static int slow_store_put(void *ctx, const char *key, const void *data, size_t len,
                          const uint64_t *expected, uint64_t *revision, wc_error *err)
{
    nats_server_sleep_ms(atomic_load(&slow_store_delay_ms));
    return slow_store_inner->session_put(ctx, key, data, len, expected, revision, err);
}

/* out: inner with the slow store (inner must outlive it). */
static inline void slow_backplane_wrap(wc_backplane *out, const wc_backplane *inner)
{
    slow_store_inner = inner;
    *out = *inner;
    out->session_get = slow_store_get;
    out->session_put = slow_store_put;
}

#endif
