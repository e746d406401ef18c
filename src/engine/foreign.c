/* foreign.c -- a call's deadline, interruption and stack limit in the
 * other instances it enters.
 *
 * Emitted code checks the interrupt flag and the stack limit of the
 * instance whose code runs (one load and a compare on every loop
 * back-edge), and the host sets them on the instance it calls.  When that
 * call enters another instance -- an imported export, or a funcref of it
 * in a shared table -- the other instance must see the same deadline, the
 * same interruption and the running thread's stack: wc_rt_enter_foreign
 * (or the import adapter) gives it this thread's stack limit and arms its
 * own watch at the call's deadline, once per call; the outermost host call
 * ends the scope, which disarms those watches, clears the deadlines and
 * interruptions it set and restores the call depths a trap or an exception
 * left behind.
 *
 * wc_instance_interrupt() runs on any thread: it sets the root's flag, then
 * walks the call's scope under `interrupt_lock` and stops every instance
 * the call has entered, and every call a host function made inside it
 * (scopes opened within, on the same thread).  So a scope is published (its
 * root's `interruptible` names it) under that lock before an instance is
 * added to it or a scope opened inside it, and unpublished before it ends;
 * whoever adds either checks, under the lock, whether the call was
 * interrupted already.  A call that enters nothing takes no lock.
 */
#include <stdlib.h>

#include "engine/internal.h"

static __thread wc_call_scope *current_scope;
static pthread_mutex_t interrupt_lock = PTHREAD_MUTEX_INITIALIZER;

/* Stops inst's code at its next check, unless something stops it already. */
static void stop(wc_instance *inst)
{
    uint32_t none = INTERRUPT_NONE;
    __atomic_compare_exchange_n(inst->interrupt, &none, INTERRUPT_FOREIGN, false, __ATOMIC_SEQ_CST,
                                __ATOMIC_SEQ_CST);
}

/* Whether the call of scope s, or one it runs inside, was interrupted. */
static bool interrupted(const wc_call_scope *s)
{
    for (; s; s = s->outer) { /* bounded: this thread's live scopes */
        uint32_t flag = __atomic_load_n(s->root->interrupt, __ATOMIC_SEQ_CST);
        if (flag == INTERRUPT_REQUESTED || flag == INTERRUPT_FOREIGN)
            return true;
    }
    return false;
}

/* Makes s and the scopes it runs inside reachable from their roots.
 * Under interrupt_lock. */
static void publish(wc_call_scope *s)
{
    for (; s && !s->published; s = s->outer) { /* bounded: this thread's live scopes */
        s->published = true;
        s->root->interruptible = s;
        if (s->outer)
            s->outer->inner = s;
    }
}

void wc_call_scope_open(wc_call_scope *scope, wc_instance *root, uint64_t deadline_ns)
{
    *scope = (wc_call_scope){.root = root, .deadline_ns = deadline_ns, .outer = current_scope};
    current_scope = scope;
    if (!scope->outer)
        return;
    /* a host function's call inside another call: interrupting that one
     * stops this one too */
    pthread_mutex_lock(&interrupt_lock);
    publish(scope);
    if (interrupted(scope->outer))
        stop(root);
    pthread_mutex_unlock(&interrupt_lock);
}

/* Clears *flag if it is `value`; returns whether it was. */
static bool consume(volatile uint32_t *flag, uint32_t value)
{
    return __atomic_compare_exchange_n(flag, &value, INTERRUPT_NONE, false, __ATOMIC_SEQ_CST,
                                       __ATOMIC_SEQ_CST);
}

wc_trap wc_call_scope_close(wc_call_scope *scope, bool trapped)
{
    wc_trap reason = WC_TRAP_NONE;
    if (scope->published) {
        pthread_mutex_lock(&interrupt_lock);
        for (uint32_t i = 0; i < scope->n; i++)
            if (consume(scope->entered[i].inst->interrupt, INTERRUPT_FOREIGN))
                reason = WC_TRAP_INTERRUPTED;
        if (scope->outer)
            scope->outer->inner = NULL;
        scope->root->interruptible = NULL;
        /* set by an interruption of the call this one ran inside */
        if (consume(scope->root->interrupt, INTERRUPT_FOREIGN))
            reason = WC_TRAP_INTERRUPTED;
        pthread_mutex_unlock(&interrupt_lock);
    }
    for (uint32_t i = 0; i < scope->n; i++) {
        wc_instance *inst = scope->entered[i].inst;
        wc_watchdog_disarm(&inst->module->engine->watchdog, &inst->borrowed_watch);
        if (consume(inst->interrupt, INTERRUPT_DEADLINE))
            reason = WC_TRAP_DEADLINE;
        /* the instance's own interruption, consumed by the call it stopped */
        else if (trapped && reason == WC_TRAP_NONE && consume(inst->interrupt, INTERRUPT_REQUESTED))
            reason = WC_TRAP_INTERRUPTED;
        inst->hdr.depth = scope->entered[i].depth;
        inst->scope = NULL;
    }
    free(scope->entered);
    current_scope = scope->outer;
    return reason;
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
    pthread_mutex_lock(&interrupt_lock); /* an interrupt may be reading the array */
    if (scope->n == scope->cap) {
        /* at most one entry per live instance */
        uint32_t cap = scope->cap ? scope->cap * 2 : 4;
        void *grown = realloc(scope->entered, cap * sizeof *scope->entered);
        if (!grown) {
            pthread_mutex_unlock(&interrupt_lock);
            wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION); /* the deadline could not follow the call */
        }
        scope->entered = grown;
        scope->cap = cap;
    }
    scope->entered[scope->n++] = (wc_entered){inst, inst->hdr.depth};
    inst->scope = scope;
    publish(scope);
    if (interrupted(scope))
        stop(inst);
    pthread_mutex_unlock(&interrupt_lock);
    if (!scope->deadline_ns)
        return;
    if (*scope->root->interrupt == INTERRUPT_DEADLINE ||
        wc_watchdog_arm_at(&inst->module->engine->watchdog, &inst->borrowed_watch, inst->interrupt,
                           INTERRUPT_DEADLINE, scope->deadline_ns) != 0)
        *inst->interrupt = INTERRUPT_DEADLINE; /* past it, or no watchdog: stop now */
}

void wc_call_interrupt(wc_instance *inst)
{
    __atomic_store_n(inst->interrupt, INTERRUPT_REQUESTED, __ATOMIC_SEQ_CST);
    pthread_mutex_lock(&interrupt_lock);
    for (wc_call_scope *s = inst->interruptible; s; s = s->inner) { /* bounded: live scopes */
        if (s != inst->interruptible)
            stop(s->root);
        for (uint32_t i = 0; i < s->n; i++)
            stop(s->entered[i].inst);
    }
    pthread_mutex_unlock(&interrupt_lock);
}

/* Every unit's instance starts as a wc_rt_instance_head, whose import
 * context starts with the wc_instance (see wc_instance.self). */
static wc_instance *engine_instance(void *instance)
{
    void *ctx = ((wc_rt_instance_head *)instance)->ctx;
    return *(wc_instance **)ctx;
}

void wc_rt_enter_foreign(void *instance)
{
    wc_call_enter_foreign(engine_instance(instance));
}

void wc_rt_enter_foreign_call(void *instance, wc_rt_entry *entry)
{
    wc_instance *inst = engine_instance(instance);
    wc_call_enter_foreign(inst);
    wc_rt_entry_push(entry, &inst->hdr.depth);
}
