/* test_exceptions_runtime.c -- the runtime of exception handling
 * (runtime/exceptions.c), driven as generated code drives it: handlers
 * installed with _setjmp inside wc_rt_run, throws, rethrows, catch bodies,
 * traps inside a try, and exceptions that no handler takes. */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "engine/runtime/runtime.h"

#include "check.h"

static const wc_rt_tag pair = {2, 0}, empty = {0, 0};
static uint32_t depth; /* an instance's call depth */

#define TRY(h) (wc_rt_try_enter(&(h), &depth), _setjmp((struct __jmp_buf_tag *)(void *)(h).env))

/* Frames between the try and the throw raise the depth; the handler puts it back. */
static void deep_throw(int levels, uint32_t a, uint32_t b)
{
    depth++;
    if (levels < 0)
        return;
    if (levels > 0) {
        deep_throw(levels - 1, a, b);
        return;
    }
    wc_rt_value v[2] = {{.i32 = a}, {.i32 = b}};
    wc_rt_throw(&pair, v);
}

static void caught_across_frames(void *arg)
{
    (void)arg;
    static wc_rt_handler h;
    depth = 3;
    if (TRY(h) == 0) {
        deep_throw(5, 7, 9);
        CHECK(!"the throw returned", "in %s", __func__);
    }
    CHECK(depth == 3, "in %s", __func__);
    CHECK(wc_rt_caught_count() == h.caught + 1, "in %s", __func__);
    CHECK(wc_rt_caught_tag(h.caught) == &pair, "in %s", __func__);
    CHECK(wc_rt_caught_values(h.caught)[0].i32 == 7 && wc_rt_caught_values(h.caught)[1].i32 == 9, "in %s", __func__);
    wc_rt_catch_leave(h.caught);
    CHECK(wc_rt_caught_count() == 0, "in %s", __func__);
}

/* A throw from a catch body reaches the outer try; the inner exception is
 * dropped.  Then rethrow of the outer one reaches a third try. */
static void nested(void *arg)
{
    (void)arg;
    static wc_rt_handler outer, inner, third;
    if (TRY(third) == 0) {
        if (TRY(outer) == 0) {
            if (TRY(inner) == 0)
                wc_rt_throw(&empty, NULL);
            CHECK(wc_rt_caught_tag(inner.caught) == &empty, "in %s", __func__);
            wc_rt_value v[2] = {{.i32 = 1}, {.i32 = 2}};
            wc_rt_throw(&pair, v); /* from inner's catch body */
        }
        CHECK(wc_rt_caught_count() == outer.caught + 1, "in %s", __func__);
        CHECK(wc_rt_caught_tag(outer.caught) == &pair, "in %s", __func__);
        CHECK(wc_rt_caught_values(outer.caught)[1].i32 == 2, "in %s", __func__);
        wc_rt_rethrow(outer.caught);
    }
    CHECK(wc_rt_caught_count() == 1, "in %s", __func__);
    CHECK(wc_rt_caught_tag(third.caught) == &pair, "in %s", __func__);
    CHECK(wc_rt_caught_values(third.caught)[0].i32 == 1, "in %s", __func__);
    wc_rt_catch_leave(third.caught);
}

/* Exceptions without payload only (no value array yet): a throw from a
 * catch body moves the new one down to the outer try. */
static void nested_empty(void *arg)
{
    (void)arg;
    static wc_rt_handler outer, inner;
    if (TRY(outer) == 0) {
        if (TRY(inner) == 0)
            wc_rt_throw(&empty, NULL);
        wc_rt_throw(&empty, NULL);
    }
    CHECK(wc_rt_caught_count() == 1 && wc_rt_caught_tag(outer.caught) == &empty, "in %s", __func__);
    wc_rt_catch_leave(outer.caught);
}

/* A try whose body ends normally removes its handler: the throw after it
 * is not taken by it. */
static void left_try(void *arg)
{
    (void)arg;
    static wc_rt_handler h;
    if (TRY(h) == 0) {
        wc_rt_try_leave(&h);
        wc_rt_throw(&empty, NULL);
    }
    CHECK(!"a handler took an exception after its try ended", "in %s", __func__);
}

static void trap_in_try(void *arg)
{
    (void)arg;
    static wc_rt_handler h;
    if (TRY(h) == 0)
        wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE);
    CHECK(!"a trap was caught as an exception", "in %s", __func__);
}

static void throw_alone(void *arg)
{
    (void)arg;
    wc_rt_value v[2] = {{.i32 = 1}, {.i32 = 2}};
    wc_rt_throw(&pair, v);
}

/* A host call inside a try: its own uncaught exception stops at its
 * wc_rt_run; the try's handler stays installed for the caller. */
static void host_boundary(void *arg)
{
    (void)arg;
    static wc_rt_handler h;
    if (TRY(h) == 0) {
        CHECK(wc_rt_run(throw_alone, NULL) == WASM_RT_TRAP_UNCAUGHT_EXCEPTION, "in %s", __func__);
        wc_rt_throw(&empty, NULL);
    }
    CHECK(wc_rt_caught_tag(h.caught) == &empty, "in %s", __func__);
    wc_rt_catch_leave(h.caught);
}

/* gcc's unit: the handler installed inline and set by __builtin_setjmp, a throw from
 * frames below comes back through __builtin_longjmp, and a local changed
 * after the try began (not volatile) holds its new value in the handler. */
static __attribute__((noinline)) uint32_t builtin_catch(uint32_t start)
{
    wc_rt_handler h;
    uint32_t local = start;
    WC_RT_TRY_ENTER(h, &depth);
    if (__builtin_setjmp((void **)h.env)) {
        CHECK(wc_rt_caught_tag(h.caught) == &pair, "in %s", __func__);
        local += wc_rt_caught_values(h.caught)[1].i32;
        wc_rt_catch_leave(h.caught);
        return local;
    }
    local *= 3;
    deep_throw(4, 1, local);
    return 0;
}

static void builtin_across_frames(void *arg)
{
    (void)arg;
    depth = 2;
    for (uint32_t i = 1; i <= 50; i++)
        CHECK(builtin_catch(i) == 6 * i, "in %s (start %u)", __func__, i);
    CHECK(depth == 2, "in %s", __func__);
    CHECK(wc_rt_caught_count() == 0, "in %s", __func__);
}

int main(void)
{
    CHECK(wc_rt_run(builtin_across_frames, NULL) == WASM_RT_TRAP_NONE, "in %s", __func__);
    CHECK(wc_rt_run(caught_across_frames, NULL) == WASM_RT_TRAP_NONE, "in %s", __func__);
    CHECK(wc_rt_run(nested_empty, NULL) == WASM_RT_TRAP_NONE, "in %s", __func__);
    CHECK(wc_rt_run(nested, NULL) == WASM_RT_TRAP_NONE, "in %s", __func__);
    CHECK(wc_rt_run(left_try, NULL) == WASM_RT_TRAP_UNCAUGHT_EXCEPTION, "in %s", __func__);
    CHECK(wc_rt_caught_count() == 0, "in %s", __func__);
    CHECK(wc_rt_run(trap_in_try, NULL) == WASM_RT_TRAP_UNREACHABLE, "in %s", __func__);
    /* The trap dropped the handler: a throw in a new entry is uncaught. */
    CHECK(wc_rt_run(throw_alone, NULL) == WASM_RT_TRAP_UNCAUGHT_EXCEPTION, "in %s", __func__);
    CHECK(wc_rt_caught_count() == 0, "in %s", __func__);
    CHECK(wc_rt_run(host_boundary, NULL) == WASM_RT_TRAP_NONE, "in %s", __func__);
    /* Many throws and catches in a row leave nothing behind. */
    for (int i = 0; i < 100000; i++)
        CHECK(wc_rt_run(caught_across_frames, NULL) == WASM_RT_TRAP_NONE, "in %s", __func__);
    CHECK(wc_rt_caught_count() == 0, "in %s", __func__);
    if (failures) {
        printf("test_exceptions_runtime: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_exceptions_runtime: all passed\n");
    return 0;
}
