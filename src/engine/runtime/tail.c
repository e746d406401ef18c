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

static _Thread_local wc_rt_value tail_area[WC_RT_TAIL_AREA_VALUES];

wc_rt_value *wc_rt_tail_area(void)
{
    return tail_area;
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
