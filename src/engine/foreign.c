/* foreign.c -- a call's deadline and stack limit in the other instances it
 * enters.
 *
 * Emitted code checks the interrupt flag and the stack limit of the
 * instance whose code runs (one load and a compare on every loop
 * back-edge), and the host sets them on the instance it calls.  When that
 * call enters another instance -- an imported export, or a funcref of it
 * in a shared table -- the other instance must see the same deadline and
 * the running thread's stack: wc_rt_enter_foreign (or the import adapter)
 * gives it this thread's stack limit and arms its own watch at the call's
 * deadline, once per call; the outermost host call ends the scope, which
 * disarms those watches, clears the deadlines they set and restores the
 * call depths a trap or an exception left behind.
 */
#include <stdlib.h>

#include "engine/internal.h"

static __thread wc_call_scope *current_scope;

void wc_call_scope_open(wc_call_scope *scope, wc_instance *root, uint64_t deadline_ns)
{
    *scope = (wc_call_scope){.root = root, .deadline_ns = deadline_ns, .outer = current_scope};
    current_scope = scope;
}

bool wc_call_scope_close(wc_call_scope *scope)
{
    bool deadline = false;
    for (uint32_t i = 0; i < scope->n; i++) {
        wc_instance *inst = scope->entered[i].inst;
        wc_watchdog_disarm(&inst->module->engine->watchdog, &inst->borrowed_watch);
        if (*inst->interrupt == INTERRUPT_DEADLINE) {
            deadline = true;
            *inst->interrupt = INTERRUPT_NONE;
        }
        inst->hdr.depth = scope->entered[i].depth;
        inst->scope = NULL;
    }
    free(scope->entered);
    current_scope = scope->outer;
    return deadline;
}

void wc_call_enter_foreign(wc_instance *inst)
{
    inst->hdr.stack_limit = wc_rt_stack_limit();
    wc_call_scope *scope = current_scope;
    /* entered already in this call, or in an outer one still running on
     * this thread (a host function that called another instance): its
     * watch is armed and its depth saved there */
    if (!scope || inst == scope->root || inst->scope)
        return;
    if (scope->n == scope->cap) {
        /* at most one entry per live instance */
        uint32_t cap = scope->cap ? scope->cap * 2 : 4;
        void *grown = realloc(scope->entered, cap * sizeof *scope->entered);
        if (!grown)
            wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION); /* the deadline could not follow the call */
        scope->entered = grown;
        scope->cap = cap;
    }
    scope->entered[scope->n++] = (wc_entered){inst, inst->hdr.depth};
    inst->scope = scope;
    if (!scope->deadline_ns)
        return;
    if (*scope->root->interrupt == INTERRUPT_DEADLINE ||
        wc_watchdog_arm_at(&inst->module->engine->watchdog, &inst->borrowed_watch, inst->interrupt,
                           INTERRUPT_DEADLINE, scope->deadline_ns) != 0)
        *inst->interrupt = INTERRUPT_DEADLINE; /* past it, or no watchdog: stop now */
}

void wc_rt_enter_foreign(void *instance)
{
    /* every unit's instance starts as a wc_rt_instance_head, whose import
     * context starts with the wc_instance (see wc_instance.self) */
    void *ctx = ((wc_rt_instance_head *)instance)->ctx;
    wc_call_enter_foreign(*(wc_instance **)ctx);
}
