/* atomic.h -- the engine's side of the atomic helpers (runtime/atomic.c):
 * wait and notify, which both tiers' units call, and the names and
 * addresses of every helper, which code.c gives to libtcc. */
#ifndef WC_ENGINE_RUNTIME_ATOMIC_H
#define WC_ENGINE_RUNTIME_ATOMIC_H

#include <stddef.h>
#include <stdint.h>

typedef struct wc_rt_atomic_symbol {
    const char *name;
    const void *addr;
} wc_rt_atomic_symbol;

extern const wc_rt_atomic_symbol wc_rt_atomic_symbols[];
extern const size_t wc_rt_atomic_nsymbols;

/* memory.atomic.notify at p (checked: aligned, within the memory): the
 * waiters woken, always 0 -- no other thread runs in an instance's
 * memory, so nobody waits.  The access is made, so a 32-bit memory's
 * guard region still faults out of bounds. */
uint32_t wc_rt_atomic_notify(uint8_t *p, uint32_t count);

/* memory.atomic.wait32/64 (bytes 4 or 8) at p: traps "expected shared
 * memory" on an unshared one; 1 when the value there is not `expected`;
 * else, with no thread to wake it, sleeps out the timeout (nanoseconds,
 * negative: forever) and returns 2 ("timed out").  It sleeps in slices and
 * returns early once *irq is set (the watchdog's deadline or an
 * interruption), so a guest waiting forever is stopped at its deadline:
 * the caller's interrupt check traps then. */
uint32_t wc_rt_atomic_wait(uint8_t *p, uint64_t expected, uint32_t bytes, int64_t timeout,
                           uint32_t shared, const volatile uint32_t *irq);

#endif
