/* clock.c -- CLOCK_MONOTONIC and CLOCK_MONOTONIC_COARSE. */
#include "util/clock.h"

#include <stdatomic.h>
#include <time.h>

uint64_t wc_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t wc_monotonic_ms(void)
{
    return wc_monotonic_ns() / 1000000ull;
}

uint64_t wc_monotonic_coarse_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000ull + (uint64_t)ts.tv_nsec / 1000000ull;
}

/* The coarse clock lags the precise one by less than its resolution. */
static uint64_t coarse_lag_ns(void)
{
    static _Atomic uint64_t lag; /* 0: not read yet */
    uint64_t ns = atomic_load_explicit(&lag, memory_order_relaxed);
    if (!ns) {
        struct timespec res;
        if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) != 0)
            res = (struct timespec){.tv_sec = 0, .tv_nsec = 10000000}; /* HZ=100: the largest tick */
        ns = (uint64_t)res.tv_sec * 1000000000ull + (uint64_t)res.tv_nsec;
        if (!ns)
            ns = 1;
        atomic_store_explicit(&lag, ns, memory_order_relaxed);
    }
    return ns;
}

uint64_t wc_monotonic_deadline_ns(uint32_t timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + coarse_lag_ns() +
           (uint64_t)timeout_ms * 1000000ull;
}
