/* test_cross_instance_deadline.c -- a call's deadline, and an interruption
 * of the instance the host called, stop guest code of another instance it
 * enters, on either tier.
 *
 * The host calls instance A with a 200 ms deadline on a thread of its own;
 * A enters instance B -- an imported export of B, or a funcref of B in a
 * shared table -- and B loops (an endless loop, or an endless chain of
 * tail calls).  The emitted interrupt checks read the flag of the instance
 * whose code runs, so B must be told of A's deadline when entered
 * (foreign.c); before that the call never returned.  On the table path B's
 * code also checked its frames against B's stack limit recorded on the
 * thread that instantiated it, so it trapped "call stack exhausted" at
 * once: the stack limit must be the running thread's.
 *
 * The same calls without a deadline are stopped by wc_instance_interrupt(A)
 * from the main thread, and so is B's loop run by a host function A calls
 * (which calls B itself: a call inside A's call, whose failure ends A's
 * call as interrupted); before, only A's flag was set and B looped on.
 * Each such call leaves no flag set behind: the next call runs until it is
 * interrupted too.  An interruption of A while it is idle stops its next
 * call at once and only that one.  After 3 s a test interrupts B itself so
 * that a failing call still ends.
 *
 * B: (table (export "t") 1 funcref) (elem (i32.const 0) $tspin)
 *    (func (export "spin") (loop (br 0)))
 *    (func $tspin (return_call $tspin))
 * A: (import "b" "spin" (func $spin)) (import "b" "t" (table 1 funcref))
 *    (func (export "via_import") (call $spin))
 *    (func (export "via_table") (call_indirect (i32.const 0)))
 */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "engine/engine.h"

static const uint8_t module_b[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x03,
    0x02, 0x00, 0x00, 0x04, 0x04, 0x01, 0x70, 0x00, 0x01, 0x07, 0x0c, 0x02, 0x01, 0x74, 0x01, 0x00,
    0x04, 0x73, 0x70, 0x69, 0x6e, 0x00, 0x00, 0x09, 0x07, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x01,
    0x0a, 0x0e, 0x02, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, 0x04, 0x00, 0x12, 0x01, 0x0b,
};
static const uint8_t module_a[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x02, 0x12,
    0x02, 0x01, 0x62, 0x04, 0x73, 0x70, 0x69, 0x6e, 0x00, 0x00, 0x01, 0x62, 0x01, 0x74, 0x01, 0x70,
    0x00, 0x01, 0x03, 0x03, 0x02, 0x00, 0x00, 0x07, 0x1a, 0x02, 0x0a, 0x76, 0x69, 0x61, 0x5f, 0x69,
    0x6d, 0x70, 0x6f, 0x72, 0x74, 0x00, 0x01, 0x09, 0x76, 0x69, 0x61, 0x5f, 0x74, 0x61, 0x62, 0x6c,
    0x65, 0x00, 0x02, 0x0a, 0x0e, 0x02, 0x04, 0x00, 0x10, 0x00, 0x0b, 0x07, 0x00, 0x41, 0x00, 0x11,
    0x00, 0x00, 0x0b,
};

typedef struct call {
    wc_instance *a;
    const char *name;
    wc_trap trap;
    volatile int done;
} call;

static void *run(void *arg)
{
    call *c = arg;
    wc_error err = {0};
    c->trap = wc_instance_call(c->a, c->name, NULL, NULL, &err);
    c->done = 1;
    return NULL;
}

/* A's import b.spin as a host function: B's spin called by the host, inside A's call. */
static wc_trap host_spin(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    (void)caller;
    (void)args;
    (void)results;
    wc_error err = {0};
    wc_trap trap = wc_instance_call(env, "spin", NULL, NULL, &err);
    return trap == WC_TRAP_NONE ? WC_TRAP_NONE : WC_TRAP_HOST;
}

/* BY_INTERRUPT: after 100 ms, which the call must still be running;
 * INTERRUPTED_BEFORE: A was interrupted while idle. */
typedef enum { BY_DEADLINE, BY_INTERRUPT, INTERRUPTED_BEFORE } stopper;

/* Runs A's export `name` on a thread and stops it as `how` says; the call
 * must end with `expected` within 3 s. */
static void stop_call(wc_instance *a, wc_instance *b, const char *name, stopper how, wc_trap expected,
                      const char *what)
{
    call c = {.a = a, .name = name};
    pthread_t thread;
    pthread_create(&thread, NULL, run, &c);
    if (how == BY_INTERRUPT) {
        usleep(100000); /* well inside B's loop */
        CHECK(!c.done, "%s: ended before it was interrupted (%s)", what, wc_trap_name(c.trap));
        wc_instance_interrupt(a);
    }
    for (int ms = 0; ms < 3000 && !c.done; ms += 10)
        usleep(10000);
    bool stopped = c.done;
    if (!stopped)
        wc_instance_interrupt(b); /* end it, so the test goes on */
    pthread_join(thread, NULL);
    CHECK(stopped && c.trap == expected, "%s: %s %s (%s)", what,
          how == BY_DEADLINE ? "the deadline" : how == BY_INTERRUPT ? "interrupting A" : "A's interruption",
          stopped ? "ended it with the wrong trap" : "did not stop B's loop in 3 s", wc_trap_name(c.trap));
}

static void test_tier(wc_tier tier, const char *tier_name)
{
    wc_engine_config cfg;
    wc_engine_config_default(&cfg);
    cfg.tier = tier;
    cfg.cache_dir = "";
    wc_engine *engine = NULL;
    wc_module *mb = NULL, *ma = NULL;
    wc_error err = {0};
    if (wc_engine_new(&cfg, &engine, &err) != 0 || wc_module_new(engine, module_b, sizeof module_b, &mb, &err) ||
        wc_module_new(engine, module_a, sizeof module_a, &ma, &err)) {
        CHECK(0, "%s tier: %s", tier_name, err.msg);
        return;
    }
    static const struct {
        const char *export;
        bool host; /* b.spin is a host function that calls B */
        stopper how;
    } cases[] = {
        {"via_import", false, BY_DEADLINE}, {"via_table", false, BY_DEADLINE},
        {"via_import", false, BY_INTERRUPT}, {"via_table", false, BY_INTERRUPT},
        {"via_import", true, BY_INTERRUPT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wc_instance *b = NULL, *a = NULL;
        char what[128];
        snprintf(what, sizeof what, "%s tier: %s%s", tier_name, cases[i].export,
                 cases[i].host ? " through a host function" : "");
        wc_instance_config config_b = {0}, config_a = {.timeout_ms = cases[i].how == BY_DEADLINE ? 200 : 0};
        wc_import_binding bindings[2] = {{.module = "b", .name = "spin"}, {.module = "b", .name = "t"}};
        if (wc_instance_new(mb, &config_b, NULL, 0, &b, NULL, &err) != 0 ||
            wc_instance_export(b, "spin", &bindings[0].ext) != 0 ||
            wc_instance_export(b, "t", &bindings[1].ext) != 0) {
            CHECK(0, "%s: instance B: %s", what, err.msg);
            wc_instance_free(b);
            break;
        }
        if (cases[i].host)
            bindings[0] = (wc_import_binding)WC_HOST_FUNC("b", "spin", "", "", host_spin, b);
        if (wc_instance_new(ma, &config_a, bindings, 2, &a, NULL, &err) != 0) {
            CHECK(0, "%s: instance A: %s", what, err.msg);
            wc_instance_free(b);
            break;
        }
        stop_call(a, b, cases[i].export, cases[i].how,
                  cases[i].how == BY_DEADLINE ? WC_TRAP_DEADLINE : WC_TRAP_INTERRUPTED, what);
        if (cases[i].how == BY_INTERRUPT) {
            /* nothing left set in A or B: the next call runs until interrupted */
            stop_call(a, b, cases[i].export, BY_INTERRUPT, WC_TRAP_INTERRUPTED, what);
            /* idle: the next call stops at its start, the one after runs on */
            wc_instance_interrupt(a);
            stop_call(a, b, cases[i].export, INTERRUPTED_BEFORE, WC_TRAP_INTERRUPTED, what);
            stop_call(a, b, cases[i].export, BY_INTERRUPT, WC_TRAP_INTERRUPTED, what);
        }
        wc_instance_free(a);
        wc_instance_free(b);
    }
    wc_module_release(ma);
    wc_module_release(mb);
    wc_engine_free(engine);
}

int main(void)
{
    test_tier(WC_TIER_FAST, "fast");
    test_tier(WC_TIER_OPTIMIZED, "optimized");
    return check_report();
}
