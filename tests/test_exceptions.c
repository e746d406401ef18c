/* test_exceptions.c -- exception handling as the engine compiles it, on
 * both tiers, beyond the spec folder: a tag exported by one instance,
 * thrown there (across frames of its own) and caught in another that
 * imports it; the depth of the instance whose frames a throw unwinds put
 * back (thousands of throws through it, by import and through a shared
 * table, and through a unit without exception handling that enters it
 * by call_indirect or return_call_indirect, under a call-depth limit of
 * 64);
 * a million throws and catches in constant memory; a deadline stopping a
 * guest that throws and catches forever; a trap that catch_all does not
 * take; rethrow; delegate to the caller; locals changed in a try seen by
 * its catch; branches and returns out of try and catch bodies; an
 * exception thrown inside a host function's call back into Wasm stopping
 * at that host boundary; and an uncaught one reaching the host as the
 * trap "uncaught exception".  The guests are tests/exception_guests/. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "engine/decode.h"
#include "engine/engine.h"
#include "engine/runtime/runtime.h"

#include "check.h"
#include "wat_guest.h"

#define MILLION 1000000u

typedef struct world {
    const char *tier;
    wc_engine *engine;
    wc_module *thrower_module, *catcher_module;
    wc_instance *thrower, *catcher;
} world;

/* env.host: calls the catcher's "uncaught" back; 77 when that call ended
 * with the trap "uncaught exception" and nothing is left caught. */
static wc_trap host_calls_back(wc_instance *caller, void *env, const wc_value *args,
                               wc_value *results)
{
    (void)env;
    (void)args;
    wc_error err = {0};
    wc_trap trap = wc_instance_call(caller, "uncaught", NULL, NULL, &err);
    results[0].i32 = trap == WC_TRAP_UNCAUGHT_EXCEPTION ? 77 : (uint32_t)-3;
    return WC_TRAP_NONE;
}

/* The catcher, its "a.deep" the export deep_name of deep_from (the
 * thrower's own, or one that reaches it through another unit). */
static bool link_deep(world *w, const wc_instance_config *config, wc_instance *deep_from,
                      const char *deep_name)
{
    wc_import_binding bindings[5] = {
        {.module = "a", .name = "e"},
        {.module = "a", .name = "throw"},
        {.module = "a", .name = "deep"},
        {.module = "a", .name = "table"},
        WC_HOST_FUNC("env", "host", "i", "i", host_calls_back, NULL),
    };
    for (int i = 0; i < 4; i++)
        if (wc_instance_export(i == 2 ? deep_from : w->thrower, i == 2 ? deep_name : bindings[i].name,
                               &bindings[i].ext) != 0) {
            CHECK(0, "%s tier: no export %s to link", w->tier, bindings[i].name);
            return false;
        }
    wc_error err = {0};
    if (wc_instance_new(w->catcher_module, config, bindings, 5, &w->catcher, NULL, &err) != 0) {
        CHECK(0, "%s tier: catcher: %s", w->tier, err.msg);
        return false;
    }
    return true;
}

static bool link(world *w, const wc_instance_config *config)
{
    return link_deep(w, config, w->thrower, "deep");
}

static bool world_new(world *w, wc_tier tier, const char *name)
{
    *w = (world){.tier = name};
    wc_engine_config cfg;
    wc_engine_config_default(&cfg);
    cfg.tier = tier;
    cfg.cache_dir = "";
    wc_error err = {0};
    if (wc_engine_new(&cfg, &w->engine, &err) != 0) {
        CHECK(0, "engine: %s", err.msg);
        return false;
    }
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    if (!wat_guest_compile_in(w->engine, "exception_guests", "thrower", "--enable-exceptions", tmp,
                              &w->thrower_module) ||
        !wat_guest_compile_in(w->engine, "exception_guests", "catcher", "--enable-exceptions", tmp,
                              &w->catcher_module)) {
        failures++;
        return false;
    }
    /* a depth limit that a few leaked frames per throw would reach at once */
    wc_instance_config config = {.max_call_depth = 64};
    if (wc_instance_new(w->thrower_module, &config, NULL, 0, &w->thrower, NULL, &err) != 0) {
        CHECK(0, "%s tier: thrower: %s", name, err.msg);
        return false;
    }
    return link(w, &config);
}

static void world_free(world *w)
{
    if (w->catcher)
        wc_instance_free(w->catcher);
    if (w->thrower)
        wc_instance_free(w->thrower);
    if (w->catcher_module)
        wc_module_release(w->catcher_module);
    if (w->thrower_module)
        wc_module_release(w->thrower_module);
    if (w->engine)
        wc_engine_free(w->engine);
}

/* Calls export name(args...) of inst; returns its first result. */
static wc_value call(world *w, wc_instance *inst, const char *name, wc_trap expected,
                     const wc_value *args)
{
    wc_value results[1] = {{0}};
    wc_error err = {0};
    wc_trap trap = wc_instance_call(inst, name, args, results, &err);
    CHECK(trap == expected, "%s tier: %s gave the trap \"%s\", not \"%s\" (%s)", w->tier, name,
          wc_trap_name(trap), wc_trap_name(expected), err.msg);
    CHECK(wc_rt_caught_count() == 0, "%s tier: %s left %u exceptions", w->tier, name,
          wc_rt_caught_count());
    return results[0];
}

static int32_t call_i32(world *w, const char *name, int32_t arg)
{
    wc_value a = {.i32 = (uint32_t)arg};
    return (int32_t)call(w, w->catcher, name, WC_TRAP_NONE, &a).i32;
}

static long max_rss_kib(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

/* Writes a section at `at`: id, size, contents; returns its length. */
static size_t section(uint8_t *at, uint8_t id, const uint8_t *bytes, size_t n)
{
    size_t k = 0;
    at[k++] = id;
    for (size_t v = n;; v >>= 7) { /* LEB128 */
        at[k++] = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
        if (!(v >> 7))
            break;
    }
    memcpy(at + k, bytes, n);
    return k + n;
}

/* "nest": WC_MAX_OPEN_TRIES tries open at once, a throw in the innermost
 * that every other's catch of another tag lets by, caught by the
 * outermost: 7.  The deepest nesting validation allows, each try's
 * handler on the function's frame. */
static size_t nested_tries(uint8_t *out)
{
    static uint8_t body[8 * WC_MAX_OPEN_TRIES + 64];
    size_t n = 0;
    body[n++] = 0x01, body[n++] = 0x01, body[n++] = 0x7f; /* one i32 local */
    for (uint32_t i = 0; i < WC_MAX_OPEN_TRIES; i++)
        body[n++] = 0x06, body[n++] = 0x40;
    body[n++] = 0x41, body[n++] = 0x07, body[n++] = 0x08, body[n++] = 0x00; /* throw 0 (7) */
    for (uint32_t i = 0; i + 1 < WC_MAX_OPEN_TRIES; i++)
        body[n++] = 0x07, body[n++] = 0x01, body[n++] = 0x1a, body[n++] = 0x0b; /* catch 1 drop end */
    body[n++] = 0x07, body[n++] = 0x00, body[n++] = 0x21, body[n++] = 0x00, body[n++] = 0x0b;
    body[n++] = 0x20, body[n++] = 0x00, body[n++] = 0x0b;
    static uint8_t code[sizeof body + 8];
    /* one body (the count, 1, where a section has its id), its size and bytes */
    size_t c = section(code, 0x01, body, n);
    static const uint8_t header[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    static const uint8_t types[] = {0x02, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x01, 0x7f};
    static const uint8_t funcs[] = {0x01, 0x01}, tags[] = {0x02, 0x00, 0x00, 0x00, 0x00};
    static const uint8_t exports[] = {0x01, 0x04, 'n', 'e', 's', 't', 0x00, 0x00};
    size_t k = sizeof header;
    memcpy(out, header, k);
    k += section(out + k, 1, types, sizeof types);
    k += section(out + k, 3, funcs, sizeof funcs);
    k += section(out + k, 13, tags, sizeof tags);
    k += section(out + k, 7, exports, sizeof exports);
    k += section(out + k, 10, code, c);
    return k;
}

static void test_nesting(wc_engine *engine, const char *name)
{
    static uint8_t bytes[8 * WC_MAX_OPEN_TRIES + 256];
    size_t size = nested_tries(bytes);
    wc_module *m = NULL;
    wc_instance *inst = NULL;
    wc_error err = {0};
    if (wc_module_new(engine, bytes, size, &m, &err) != 0) {
        CHECK(0, "%s tier: nested tries: %s", name, err.msg);
        return;
    }
    if (wc_instance_new(m, NULL, NULL, 0, &inst, NULL, &err) == 0) {
        wc_value result = {0};
        wc_trap trap = wc_instance_call(inst, "nest", NULL, &result, &err);
        CHECK(trap == WC_TRAP_NONE && result.i32 == 7, "%s tier: nest gave %s, %u", name,
              wc_trap_name(trap), result.i32);
        wc_instance_free(inst);
    } else {
        CHECK(0, "%s tier: nested tries: %s", name, err.msg);
    }
    wc_module_release(m);
}

/* A unit without exception handling between the thrower's frames and the
 * catcher (relay.wat, the catcher's "a.deep"), which enters the thrower
 * through the shared table by call_indirect or return_call_indirect: each
 * throw unwinds 21 frames of the thrower that no exception-handling unit
 * recorded, and its depth must still be put back (limit 64). */
static void test_relay(world *w)
{
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    wc_module *relay_module = NULL;
    if (!wat_guest_compile_in(w->engine, "exception_guests", "relay", "--enable-tail-call", tmp,
                              &relay_module)) {
        failures++;
        return;
    }
    wc_import_binding table = {.module = "a", .name = "table"};
    wc_instance_config config = {.max_call_depth = 64};
    wc_instance *relay = NULL;
    wc_error err = {0};
    if (wc_instance_export(w->thrower, "table", &table.ext) != 0 ||
        wc_instance_new(relay_module, &config, &table, 1, &relay, NULL, &err) != 0) {
        CHECK(0, "%s tier: relay: %s", w->tier, err.msg);
        wc_module_release(relay_module);
        return;
    }
    const char *exports[] = {"deep", "deep_tail"};
    for (int i = 0; i < 2; i++) {
        world through = *w;
        through.catcher = NULL;
        if (!link_deep(&through, &config, relay, exports[i]))
            continue;
        wc_value loop_args[2] = {{.i32 = 10000}, {.i32 = 20}};
        CHECK(call(&through, through.catcher, "deep_loop", WC_TRAP_NONE, loop_args).i32 == 420000,
              "%s tier: deep_loop through the relay's %s", w->tier, exports[i]);
        wc_instance_free(through.catcher);
    }
    wc_value sixty = {.i32 = 60};
    call(w, w->thrower, "deep", WC_TRAP_UNCAUGHT_EXCEPTION, &sixty); /* its depth is back at 0 */
    wc_instance_free(relay);
    wc_module_release(relay_module);
}

static void test_tier(wc_tier tier, const char *name)
{
    world w;
    if (!world_new(&w, tier, name)) {
        world_free(&w);
        return;
    }
    test_nesting(w.engine, name);
    CHECK(call_i32(&w, "across", 41) == 42, "%s tier: across", name);
    CHECK(call_i32(&w, "deep", 20) == 42, "%s tier: deep", name);
    /* 21 frames of the thrower unwound each time, its depth limit 64 */
    wc_value loop_args[2] = {{.i32 = 10000}, {.i32 = 20}};
    CHECK(call(&w, w.catcher, "deep_loop", WC_TRAP_NONE, loop_args).i32 == 420000,
          "%s tier: deep_loop", name);
    CHECK(call(&w, w.catcher, "deep_loop_indirect", WC_TRAP_NONE, loop_args).i32 == 420000,
          "%s tier: deep_loop_indirect", name);
    wc_value sixty = {.i32 = 60};
    call(&w, w.thrower, "deep", WC_TRAP_UNCAUGHT_EXCEPTION, &sixty); /* its depth is back at 0 */
    test_relay(&w);

    wc_value million = {.i32 = MILLION};
    CHECK(call(&w, w.catcher, "loop", WC_TRAP_NONE, &million).i64 == (uint64_t)MILLION * (MILLION + 1) / 2,
          "%s tier: a million throws", name);
    long before = max_rss_kib();
    call(&w, w.catcher, "loop", WC_TRAP_NONE, &million);
    CHECK(max_rss_kib() - before < 1024, "%s tier: a million more throws grew the peak RSS by %ld KiB",
          name, max_rss_kib() - before);

    call(&w, w.catcher, "trap_in_try", WC_TRAP_UNREACHABLE, NULL);
    CHECK(call_i32(&w, "rethrow", 5) == 1005, "%s tier: rethrow", name);
    CHECK(call_i32(&w, "delegate_to_caller", 6) == 6, "%s tier: delegate to the caller", name);
    call(&w, w.catcher, "uncaught", WC_TRAP_UNCAUGHT_EXCEPTION, NULL);
    CHECK(strcmp(wc_instance_trap_message(w.catcher), "uncaught exception") == 0,
          "%s tier: the uncaught trap says \"%s\"", name, wc_instance_trap_message(w.catcher));
    CHECK(call_i32(&w, "locals", 5) == 15, "%s tier: locals", name);
    CHECK(call_i32(&w, "via_host", 0) == 77, "%s tier: a throw in the host's callback", name);
    CHECK(call_i32(&w, "branch_out", 1000) == 9, "%s tier: branches out of try", name);
    CHECK(call_i32(&w, "returns", 0) == 11, "%s tier: returns out of try", name);
    /* the instances stay usable */
    CHECK(call_i32(&w, "across", 1) == 2, "%s tier: across after all", name);

    /* a guest that throws and catches forever stops at its deadline */
    wc_instance_free(w.catcher);
    w.catcher = NULL;
    wc_instance_config timed = {.timeout_ms = 100};
    if (link(&w, &timed))
        call(&w, w.catcher, "forever", WC_TRAP_DEADLINE, NULL);
    world_free(&w);
}

int main(void)
{
    test_tier(WC_TIER_FAST, "fast");
    test_tier(WC_TIER_OPTIMIZED, "optimized");
    if (failures) {
        printf("test_exceptions: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test_exceptions: %d checks passed\n", checks);
    return 0;
}
