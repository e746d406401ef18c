/* exceptions.c -- the handler chain and the caught exceptions of exception
 * handling (wasm-rt.h explains the scheme).
 *
 * Per thread: the innermost handler, and a stack of exceptions (tag and
 * payload) that catch bodies hold.  Catch bodies nest dynamically, so the
 * stack is last in, first out: a throw pushes its exception, the handler
 * that takes it moves it down to the height its try began at (dropping the
 * exceptions of the catch bodies the throw left), and the catch body pops it
 * as it ends.  Both arrays grow by doubling up to fixed bounds and are freed
 * when the outermost host entry leaves, so nothing outlives a call.  Calls
 * into another instance push a wc_rt_entry (on their own frame) naming its
 * depth: whatever unwinds past them, a caught throw or a trap, puts those
 * depths back.
 */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "engine/runtime/runtime.h"

_Static_assert(sizeof(jmp_buf) <= sizeof(((wc_rt_handler *)0)->env),
               "wc_rt_handler's env must hold a jmp_buf");

typedef struct caught {
    const wc_rt_tag *tag;
    uint32_t first; /* index of its payload in values */
} caught;

__thread wc_rt_eh_thread wc_rt_eh; /* wasm-rt.h */
static _Thread_local caught *exceptions;
static _Thread_local uint32_t exceptions_cap;
static _Thread_local wc_rt_value *values;
static _Thread_local uint32_t nvalues, values_cap;

void wc_rt_try_enter(wc_rt_handler *h, uint32_t *depth)
{
    h->builtin_jmp = 0;
    h->outer = wc_rt_eh.handlers;
    h->depth = depth;
    h->saved_depth = *depth;
    h->caught = wc_rt_eh.nexceptions;
    h->entries = wc_rt_eh.entries;
    wc_rt_eh.handlers = h;
}

void wc_rt_try_leave(wc_rt_handler *h)
{
    wc_rt_eh.handlers = h->outer;
}

void wc_rt_entry_push(wc_rt_entry *entry, uint32_t *depth)
{
    entry->outer = wc_rt_eh.entries;
    entry->depth = depth;
    entry->saved = *depth;
    wc_rt_eh.entries = entry;
}

void wc_rt_entry_pop(wc_rt_entry *entry)
{
    wc_rt_eh.entries = entry->outer;
}

/* The depths of the calls into other instances above `mark`, whose frames
 * an exception or a trap unwinds, as they were before those calls. */
static void restore_entries(wc_rt_entry *mark)
{
    wc_rt_entry *e = wc_rt_eh.entries;
    for (; e && e != mark; e = e->outer)
        *e->depth = e->saved; /* bounded: each is a live frame's */
    wc_rt_eh.entries = e;
}

void wc_rt_entries_unwind(wc_rt_entry *mark)
{
    restore_entries(mark);
}

/* Room for one more exception of n values, or a trap. */
static void reserve(uint32_t n)
{
    if (wc_rt_eh.nexceptions >= WC_RT_MAX_CAUGHT || n > WC_RT_MAX_CAUGHT_VALUES - nvalues)
        wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);
    if (wc_rt_eh.nexceptions == exceptions_cap) {
        uint32_t cap = exceptions_cap ? exceptions_cap * 2 : 16;
        caught *grown = realloc(exceptions, cap * sizeof *grown);
        if (!grown)
            wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);
        exceptions = grown;
        exceptions_cap = cap;
    }
    if (n > values_cap - nvalues) {
        uint32_t cap = values_cap ? values_cap : 64;
        while (cap - nvalues < n)
            cap *= 2; /* bounded: nvalues + n <= WC_RT_MAX_CAUGHT_VALUES */
        wc_rt_value *grown = realloc(values, (size_t)cap * sizeof *grown);
        if (!grown)
            wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);
        values = grown;
        values_cap = cap;
    }
}

/* Hands the exception on top of the stack to the innermost handler. */
WASM_RT_NO_RETURN static void unwind(void)
{
    wc_rt_handler *h = wc_rt_eh.handlers;
    if (!h)
        wasm_rt_trap(WASM_RT_TRAP_UNCAUGHT_EXCEPTION);
    wc_rt_eh.handlers = h->outer;
    caught top = exceptions[wc_rt_eh.nexceptions - 1];
    if (h->caught < wc_rt_eh.nexceptions - 1) {
        uint32_t n = top.tag->nvalues, to = exceptions[h->caught].first;
        if (n) /* values is NULL until a payload is held */
            memmove(values + to, values + top.first, n * sizeof *values);
        top.first = to;
        exceptions[h->caught] = top;
        wc_rt_eh.nexceptions = h->caught + 1;
        nvalues = to + n;
    }
    restore_entries(h->entries);
    *h->depth = h->saved_depth;
    if (h->builtin_jmp)
        __builtin_longjmp((void **)h->env, 1);
    longjmp((struct __jmp_buf_tag *)(void *)h->env, 1);
}

void wc_rt_throw(const wc_rt_tag *tag, const wc_rt_value *payload)
{
    reserve(tag->nvalues);
    exceptions[wc_rt_eh.nexceptions++] = (caught){tag, nvalues};
    if (tag->nvalues)
        memcpy(values + nvalues, payload, tag->nvalues * sizeof *values);
    nvalues += tag->nvalues;
    unwind();
}

void wc_rt_rethrow(uint32_t index)
{
    const caught e = exceptions[index];
    reserve(e.tag->nvalues);
    exceptions[wc_rt_eh.nexceptions++] = (caught){e.tag, nvalues};
    if (e.tag->nvalues)
        memcpy(values + nvalues, values + e.first, e.tag->nvalues * sizeof *values);
    nvalues += e.tag->nvalues;
    unwind();
}

const wc_rt_tag *wc_rt_caught_tag(uint32_t index)
{
    return exceptions[index].tag;
}

const wc_rt_value *wc_rt_caught_values(uint32_t index)
{
    return values + exceptions[index].first;
}

void wc_rt_catch_leave(uint32_t height)
{
    if (height < wc_rt_eh.nexceptions) {
        nvalues = exceptions[height].first;
        wc_rt_eh.nexceptions = height;
    }
}

uint32_t wc_rt_caught_count(void)
{
    return wc_rt_eh.nexceptions;
}

wc_rt_exceptions_mark wc_rt_exceptions_enter(void)
{
    wc_rt_exceptions_mark mark = {wc_rt_eh.handlers, wc_rt_eh.nexceptions, wc_rt_eh.entries};
    wc_rt_eh.handlers = NULL;
    return mark;
}

void wc_rt_exceptions_leave(wc_rt_exceptions_mark mark)
{
    wc_rt_eh.handlers = mark.handlers;
    restore_entries(mark.entries);
    wc_rt_catch_leave(mark.caught);
    if (wc_rt_eh.nexceptions == 0 && !wc_rt_eh.handlers) {
        free(exceptions);
        free(values);
        exceptions = NULL;
        values = NULL;
        exceptions_cap = values_cap = 0;
    }
}
