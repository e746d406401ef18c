/* tail.c -- the loop that runs a chain of tail calls, and the area through
 * which their arguments and results pass (wasm-rt.h explains the scheme).
 *
 * Neither libtcc nor gcc 12 promises to turn a call in tail position into a
 * jump, so a tail call returns to this loop instead, which makes the next
 * call: the stack holds the loop's frame and the running function's, however
 * long the chain.  The area is per thread, not per instance: a chain may
 * cross instances (return_call_indirect through a shared table), and a
 * nested chain (an ordinary call made inside a tail-called function) is
 * finished before the outer one touches the area again, because a tail entry
 * copies its arguments out on entry and writes its results only as it
 * returns.
 */
#include "engine/runtime/runtime.h"

#include <pthread.h>
#include <stdlib.h>

/* Allocated by a thread's first tail call, not a thread-local array: every
 * thread of the process (a server has a dozen, most never run Wasm) would
 * carry and zero its 32 KiB at creation.  Freed as the thread exits. */
static _Thread_local wc_rt_value *tail_area;
static pthread_once_t area_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t area_key;

static void make_area_key(void)
{
    pthread_key_create(&area_key, free);
}

wc_rt_value *wc_rt_tail_area(void)
{
    if (LIKELY(tail_area != NULL))
        return tail_area;
    pthread_once(&area_key_once, make_area_key);
    wc_rt_value *area = calloc(WC_RT_TAIL_AREA_VALUES, sizeof *area);
    if (!area)
        wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);
    pthread_setspecific(area_key, area);
    return tail_area = area;
}

void wc_rt_tail_run(wc_rt_tail_fn fn, void *instance, wc_rt_value *area)
{
    /* A chain that moves into another instance (return_call_indirect
     * through a shared table) records its depth, as a call into it does:
     * an exception thrown through the chain puts it back.  One entry is
     * enough, since only one function of the chain is live at a time. */
    void *home = instance;
    wc_rt_entry entry;
    bool recorded = false;
    /* Bounded by the guest's own interrupt checks: every tail entry tests
     * its instance's interrupt flag, so a deadline stops an endless chain. */
    while (fn) {
        if (instance != home) {
            if (!recorded)
                wc_rt_entry_push(&entry, &WC_RT_HDR(instance)->depth);
            entry.depth = &WC_RT_HDR(instance)->depth;
            entry.saved = *entry.depth;
            recorded = true;
        }
        wc_rt_tail next = {NULL, NULL};
        fn(instance, area, &next);
        fn = next.fn;
        instance = next.instance;
    }
    if (recorded)
        wc_rt_entry_pop(&entry);
}
