/* runtime.h -- the engine's side of the runtime (not seen by generated code).
 *
 * Process-wide state, all of it locked or atomic: the function-type registry,
 * the memory pool, and the SIGSEGV/SIGBUS handler that turns faults in guard
 * pages into traps.  Per-thread state (the trap target, the stack bounds, the
 * alternate signal stack) is thread-local.
 */
#ifndef WC_ENGINE_RUNTIME_H
#define WC_ENGINE_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "engine/runtime/wasm-rt.h"

/* Installs the signal handlers once per process; safe to call repeatedly. */
void wc_rt_global_init(void);

/* Runs fn(arg) with traps caught: returns WASM_RT_TRAP_NONE or the trap.
 * Nested calls (a host function calling back into Wasm) are allowed. */
wasm_rt_trap_t wc_rt_run(void (*fn)(void *arg), void *arg);

/* An entry from the host starts an empty handler chain (wasm-rt.h,
 * exception handling); leaving restores the caller's chain and drops what
 * the entry left.  Used by wc_rt_run. */
typedef struct wc_rt_exceptions_mark {
    wc_rt_handler *handlers;
    uint32_t caught;
    wc_rt_entry *entries;
} wc_rt_exceptions_mark;
wc_rt_exceptions_mark wc_rt_exceptions_enter(void);
/* A trap, before it leaves its frames: puts back the depths the calls into
 * other instances above `mark` recorded (their entries live on those
 * frames, which are not to be read once the trap has left them). */
void wc_rt_entries_unwind(wc_rt_entry *mark);
void wc_rt_exceptions_leave(wc_rt_exceptions_mark mark);
/* Caught exceptions this thread holds (for tests). */
uint32_t wc_rt_caught_count(void);

/* The lowest frame address Wasm code may reach on this thread, leaving room
 * for host functions and the signal handler. */
const char *wc_rt_stack_limit(void);

/* Memory limit, in pages, applied to memories allocated by this thread until
 * changed (set around instantiation).  0 means the default of 65535 pages. */
void wc_rt_set_memory_limit(uint32_t max_pages);
/* Whether memories allocated by this thread until changed are written only
 * by code that marks its writes, and the digest of the module whose
 * instance allocates them (set around instantiation; false ends it). */
void wc_rt_set_memory_tracking(bool tracked, const char *owner);

/* Pool bookkeeping, for tests and benchmarks. */
typedef struct wc_rt_pool_stats {
    size_t reserved;  /* reservations that exist (in use + pooled) */
    size_t pooled;    /* reservations waiting for reuse */
    size_t in_use;
    size_t kept_bytes; /* pooled slots' resident pages above 256 KiB each (bounded) */
} wc_rt_pool_stats;
void wc_rt_pool_stats_get(wc_rt_pool_stats *stats);
void wc_rt_pool_set_capacity(size_t capacity);

/* Registers a function type from type letters ("iI", "f"), as
 * wasm_rt_register_func_type would; returns its id. */
uint32_t wc_rt_func_type_id(const char *params, const char *results);

/* Called by the memory pool: is addr inside a live reservation? (signal-safe) */
int wc_rt_memory_contains(const void *addr);

#endif
