/* atomic.c -- the atomic helpers libtcc's units call (libtcc has no
 * __atomic builtins): wasm-atomic.h compiled as exported functions
 * wc_rt_atomic_<helper><bits>; and wait and notify, which both tiers call
 * (atomic.h). */
#define _GNU_SOURCE
#include <stdint.h>
#include <time.h>

#include "engine/runtime/atomic.h"
#include "engine/runtime/wasm-rt.h"

#define WC_ATOMIC_RUNTIME
#include "engine/runtime/wasm-atomic.h"

#define WIDTH(bits)                                                                                \
    {"wc_rt_atomic_load" #bits, (const void *)wc_rt_atomic_load##bits},                            \
        {"wc_rt_atomic_store" #bits, (const void *)wc_rt_atomic_store##bits},                      \
        {"wc_rt_atomic_add" #bits, (const void *)wc_rt_atomic_add##bits},                          \
        {"wc_rt_atomic_sub" #bits, (const void *)wc_rt_atomic_sub##bits},                          \
        {"wc_rt_atomic_and" #bits, (const void *)wc_rt_atomic_and##bits},                          \
        {"wc_rt_atomic_or" #bits, (const void *)wc_rt_atomic_or##bits},                            \
        {"wc_rt_atomic_xor" #bits, (const void *)wc_rt_atomic_xor##bits},                          \
        {"wc_rt_atomic_xchg" #bits, (const void *)wc_rt_atomic_xchg##bits},                        \
        {"wc_rt_atomic_cmpxchg" #bits, (const void *)wc_rt_atomic_cmpxchg##bits}

const wc_rt_atomic_symbol wc_rt_atomic_symbols[] = {
    WIDTH(8), WIDTH(16), WIDTH(32), WIDTH(64),
    {"wc_rt_atomic_fence", (const void *)wc_rt_atomic_fence},
    {"wc_rt_atomic_notify", (const void *)wc_rt_atomic_notify},
    {"wc_rt_atomic_wait", (const void *)wc_rt_atomic_wait},
};

const size_t wc_rt_atomic_nsymbols = sizeof wc_rt_atomic_symbols / sizeof wc_rt_atomic_symbols[0];

uint32_t wc_rt_atomic_notify(uint8_t *p, uint32_t count)
{
    (void)count;
    (void)wc_rt_atomic_load32(p);
    return 0;
}

/* A slice of a wait: how soon an interrupt is seen. */
#define SLICE_NS 1000000

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

uint32_t wc_rt_atomic_wait(uint8_t *p, uint64_t expected, uint32_t bytes, int64_t timeout,
                           uint32_t shared, const volatile uint32_t *irq)
{
    uint64_t value = bytes == 8 ? wc_rt_atomic_load64(p) : wc_rt_atomic_load32(p);
    if (!shared)
        wasm_rt_trap(WASM_RT_TRAP_UNSHARED_WAIT);
    if (value != (bytes == 8 ? expected : (uint32_t)expected))
        return 1;
    /* Nothing can notify: the wait ends by its timeout, or early at an
     * interrupt.  Bounded by the timeout, or (forever) by the deadline. */
    int64_t start = now_ns();
    int64_t end = timeout < 0 || timeout > INT64_MAX - start ? INT64_MAX : start + timeout;
    for (int64_t t = start; t < end && !*irq; t = now_ns()) {
        int64_t left = end - t;
        struct timespec nap = {0, left < SLICE_NS ? (long)left : SLICE_NS};
        nanosleep(&nap, NULL);
    }
    return 2;
}
