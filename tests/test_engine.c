/* test_engine.c -- the engine end to end: calls, traps, limits, hostile modules,
 * threads, tiers and the code cache.
 *
 * Modules are written in the text format and assembled with wabt's wat2wasm
 * at test time.  After every hostile case the same process loads and runs a
 * good module, to show that nothing was left broken.
 */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/runtime/runtime.h"
#include "util/fs.h"
#include "util/process.h"

static int failures;
static char tmpdir[4096];

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            failures++;                                                    \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
        }                                                                  \
    } while (0)

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Assembles WebAssembly text with wat2wasm. */
static uint8_t *wat(const char *text, size_t *size)
{
    static int counter;
    char wat_path[4200], wasm_path[4200], out[2048];
    snprintf(wat_path, sizeof wat_path, "%s/m%d.wat", tmpdir, counter);
    snprintf(wasm_path, sizeof wasm_path, "%s/m%d.wasm", tmpdir, counter++);
    if (wc_write_file(wat_path, text, strlen(text)) != 0)
        return NULL;
    char *argv[] = {"wat2wasm", "--enable-all", wat_path, "-o", wasm_path, NULL};
    if (wc_run_process(argv, out, sizeof out, NULL) != 0) {
        fprintf(stderr, "wat2wasm failed: %s\n", out);
        return NULL;
    }
    uint8_t *data;
    if (wc_read_file(wasm_path, 0, &data, size) != 0)
        return NULL;
    return data;
}

static wc_engine *new_engine_tracking(wc_tier tier, const char *cache_dir, bool track_writes)
{
    wc_engine_config config;
    wc_engine_config_default(&config);
    config.tier = tier;
    config.cache_dir = cache_dir;
    config.track_writes = track_writes;
    wc_engine *engine;
    wc_error err;
    if (wc_engine_new(&config, &engine, &err) != 0) {
        fprintf(stderr, "engine: %s\n", err.msg);
        exit(1);
    }
    return engine;
}

static wc_engine *new_engine(wc_tier tier, const char *cache_dir)
{
    return new_engine_tracking(tier, cache_dir, false);
}

static wc_module *load(wc_engine *engine, const char *text)
{
    size_t size;
    uint8_t *bytes = wat(text, &size);
    if (!bytes)
        return NULL;
    wc_module *module = NULL;
    wc_error err;
    if (wc_module_new(engine, bytes, size, &module, &err) != 0)
        fprintf(stderr, "module: %s\n", err.msg);
    free(bytes);
    return module;
}

static const char *good_text =
    "(module (memory 1)"
    "  (func (export \"add\") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))"
    "  (func (export \"store_load\") (param i32) (result i32)"
    "    (i32.store (i32.const 100) (local.get 0)) (i32.load (i32.const 100))))";

/* Loads and runs the good module: the engine is still healthy. */
static void check_still_works(wc_engine *engine, const char *after)
{
    wc_module *m = load(engine, good_text);
    CHECK(m != NULL, "good module failed to load after %s", after);
    if (!m)
        return;
    wc_instance *inst;
    wc_error err;
    CHECK(wc_instance_new(m, NULL, NULL, 0, &inst, NULL, &err) == 0, "after %s: %s", after, err.msg);
    wc_value args[2] = {{.i32 = 40}, {.i32 = 2}}, res[1];
    CHECK(wc_instance_call(inst, "add", args, res, &err) == WC_TRAP_NONE && res[0].i32 == 42,
          "add after %s", after);
    args[0].i32 = 7;
    CHECK(wc_instance_call(inst, "store_load", args, res, &err) == WC_TRAP_NONE && res[0].i32 == 7,
          "store_load after %s", after);
    wc_instance_free(inst);
    wc_module_release(m);
}

/* Calls `name` with one i32 argument on a fresh instance; returns the trap. */
static wc_trap call1(wc_module *m, const wc_instance_config *cfg, const char *name, uint32_t arg,
                     wc_value *result)
{
    wc_instance *inst;
    wc_error err;
    wc_trap trap = WC_TRAP_NONE;
    if (wc_instance_new(m, cfg, NULL, 0, &inst, &trap, &err) != 0)
        return trap ? trap : WC_TRAP_HOST;
    wc_value args[1] = {{.i32 = arg}}, res[1] = {{0}};
    trap = wc_instance_call(inst, name, args, res, &err);
    if (result)
        *result = res[0];
    wc_instance_free(inst);
    return trap;
}

static void test_calls_and_traps(wc_engine *engine)
{
    wc_module *m = load(engine,
        "(module (memory 1) (table 2 funcref) (elem (i32.const 0) $f)"
        "  (type $v (func)) (func $f (result i32) (i32.const 9))"
        "  (func (export \"unreachable\") (param i32) (result i32) unreachable)"
        "  (func (export \"div\") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))"
        "  (func (export \"overflow\") (param i32) (result i32) (i32.div_s (i32.const 0x80000000) (local.get 0)))"
        "  (func (export \"convert\") (param i32) (result i32) (i32.trunc_f32_s (f32.div (f32.const 0) (f32.const 0))))"
        "  (func (export \"load\") (param i32) (result i32) (i32.load (local.get 0)))"
        "  (func (export \"indirect\") (param i32) (result i32) (call_indirect (type $v) (local.get 0)) (i32.const 0))"
        "  (func (export \"multi\") (param i32) (result i32 i64 f64) (local.get 0) (i64.const -1) (f64.const 2.5)))");
    CHECK(m != NULL, "trap module");
    if (!m)
        return;
    wc_value r;
    CHECK(call1(m, NULL, "unreachable", 0, &r) == WC_TRAP_UNREACHABLE, "unreachable");
    CHECK(call1(m, NULL, "div", 0, &r) == WC_TRAP_DIV_BY_ZERO, "divide by zero");
    CHECK(call1(m, NULL, "div", 1, &r) == WC_TRAP_NONE && r.i32 == 1, "div ok");
    CHECK(call1(m, NULL, "overflow", (uint32_t)-1, &r) == WC_TRAP_INT_OVERFLOW, "overflow");
    CHECK(call1(m, NULL, "convert", 0, &r) == WC_TRAP_INVALID_CONVERSION, "conversion");
    CHECK(call1(m, NULL, "load", 65533, &r) == WC_TRAP_OOB_MEMORY, "load past the end");
    CHECK(call1(m, NULL, "load", 0xfffffff0u, &r) == WC_TRAP_OOB_MEMORY, "load far away");
    CHECK(call1(m, NULL, "load", 65532, &r) == WC_TRAP_NONE, "last word");
    CHECK(call1(m, NULL, "indirect", 0, &r) == WC_TRAP_INDIRECT_CALL, "signature mismatch");
    CHECK(call1(m, NULL, "indirect", 1, &r) == WC_TRAP_INDIRECT_CALL, "null element");
    CHECK(call1(m, NULL, "indirect", 5, &r) == WC_TRAP_INDIRECT_CALL, "undefined element");

    wc_instance *inst;
    wc_error err;
    CHECK(wc_instance_new(m, NULL, NULL, 0, &inst, NULL, &err) == 0, "%s", err.msg);
    /* One instance survives many traps in a row. */
    for (int i = 0; i < 1000; i++) {
        wc_value a[1] = {{.i32 = 70000}}, res[3];
        if (wc_instance_call(inst, "load", a, res, &err) != WC_TRAP_OOB_MEMORY) {
            CHECK(0, "trap %d of a series", i);
            break;
        }
    }
    wc_value a[1] = {{.i32 = 5}}, res[3];
    CHECK(wc_instance_call(inst, "multi", a, res, &err) == WC_TRAP_NONE && res[0].i32 == 5 &&
              res[1].i64 == UINT64_MAX && res[2].f64 == 2.5, "multi-value results");
    CHECK(wc_instance_call(inst, "nope", a, res, &err) == WC_TRAP_HOST && err.code == WC_ENOTFOUND,
          "unknown export");
    CHECK(strstr(wc_instance_trap_message(inst), "nope") != NULL, "message names the export");
    wc_instance_free(inst);
    wc_module_release(m);
    check_still_works(engine, "traps");
}

static const char *loop_text =
    "(module (func (export \"spin\") (param i32) (result i32) (loop $l (br $l)) (i32.const 0))"
    "  (func (export \"count\") (param i32) (result i32) (local i32)"
    "    (block $done (loop $l (br_if $done (i32.eqz (local.get 0)))"
    "      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))"
    "      (local.set 1 (i32.add (local.get 1) (i32.const 3))) (br $l))) (local.get 1)))";

static void test_deadline(wc_engine *engine, const char *tier)
{
    wc_module *m = load(engine, loop_text);
    CHECK(m != NULL, "loop module (%s)", tier);
    if (!m)
        return;
    wc_instance_config cfg = {.timeout_ms = 50};
    double start = now_ms();
    wc_trap trap = call1(m, &cfg, "spin", 0, NULL);
    double elapsed = now_ms() - start;
    CHECK(trap == WC_TRAP_DEADLINE, "infinite loop on %s tier: got %s", tier, wc_trap_name(trap));
    CHECK(elapsed >= 45 && elapsed < 1000, "deadline after %.1f ms on %s tier", elapsed, tier);
    wc_value r;
    CHECK(call1(m, &cfg, "count", 1000, &r) == WC_TRAP_NONE && r.i32 == 3000, "loop within the deadline");
    wc_module_release(m);
    check_still_works(engine, "a deadline");
}

/* timeout_whole_instance: one deadline for instantiation and every call. */
static void test_whole_instance_deadline(wc_engine *engine)
{
    wc_module *m = load(engine, loop_text);
    if (!m)
        return;
    wc_instance_config cfg = {.timeout_ms = 60, .timeout_whole_instance = true};
    wc_instance *inst;
    wc_error err;
    CHECK(wc_instance_new(m, &cfg, NULL, 0, &inst, NULL, &err) == 0, "%s", err.msg);
    if (inst) {
        wc_value a = {.i32 = 10}, r;
        CHECK(wc_instance_call(inst, "count", &a, &r, &err) == WC_TRAP_NONE, "a call within the deadline");
        usleep(100 * 1000);
        CHECK(wc_instance_call(inst, "count", &a, &r, &err) == WC_TRAP_DEADLINE,
              "a call after the instance's deadline traps");
        CHECK(wc_instance_call(inst, "count", &a, &r, &err) == WC_TRAP_DEADLINE, "and so does the next");
        wc_instance_free(inst);
    }
    /* an endless loop still ends at the deadline */
    CHECK(wc_instance_new(m, &cfg, NULL, 0, &inst, NULL, &err) == 0, "%s", err.msg);
    if (inst) {
        double start = now_ms();
        wc_value a = {.i32 = 0};
        CHECK(wc_instance_call(inst, "spin", &a, NULL, &err) == WC_TRAP_DEADLINE, "spin stopped");
        double elapsed = now_ms() - start;
        CHECK(elapsed >= 50 && elapsed < 1000, "whole-instance deadline after %.1f ms", elapsed);
        wc_instance_free(inst);
    }
    /* instances freed before their deadline leave nothing armed behind */
    for (int i = 0; i < 1000; i++) {
        CHECK(wc_instance_new(m, &cfg, NULL, 0, &inst, NULL, &err) == 0, "%s", err.msg);
        wc_instance_free(inst);
    }
    wc_module_release(m);
    check_still_works(engine, "whole-instance deadlines");
}

typedef struct interrupt_job {
    wc_instance *inst;
    int delay_ms;
} interrupt_job;

static void *interrupt_later(void *arg)
{
    interrupt_job *job = arg;
    usleep((useconds_t)job->delay_ms * 1000);
    wc_instance_interrupt(job->inst);
    return NULL;
}

static void test_interrupt(wc_engine *engine)
{
    wc_module *m = load(engine, loop_text);
    if (!m)
        return;
    wc_instance *inst;
    wc_error err;
    CHECK(wc_instance_new(m, NULL, NULL, 0, &inst, NULL, &err) == 0, "%s", err.msg);
    interrupt_job job = {inst, 20};
    pthread_t t;
    pthread_create(&t, NULL, interrupt_later, &job);
    wc_value a[1] = {{.i32 = 0}}, res[1];
    wc_trap trap = wc_instance_call(inst, "spin", a, res, &err);
    pthread_join(t, NULL);
    CHECK(trap == WC_TRAP_INTERRUPTED, "interrupted from another thread: got %s", wc_trap_name(trap));
    a[0].i32 = 4;
    CHECK(wc_instance_call(inst, "count", a, res, &err) == WC_TRAP_NONE && res[0].i32 == 12,
          "the next call runs normally");
    wc_instance_interrupt(inst); /* while idle: stops the next call */
    CHECK(wc_instance_call(inst, "count", a, res, &err) == WC_TRAP_INTERRUPTED, "pending interrupt");
    CHECK(wc_instance_call(inst, "count", a, res, &err) == WC_TRAP_NONE, "consumed by that call");
    wc_instance_free(inst);
    wc_module_release(m);
}

static void test_memory_limits(wc_engine *engine)
{
    wc_module *m = load(engine,
        "(module (memory 1)"
        "  (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0)))"
        "  (func (export \"touch\") (param i32) (result i32)"
        "    (i32.store (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)) (local.get 0))"
        "    (memory.size)))");
    if (!m)
        return;
    wc_instance_config cfg = {.max_memory_pages = 4};
    wc_instance *inst;
    wc_error err;
    CHECK(wc_instance_new(m, &cfg, NULL, 0, &inst, NULL, &err) == 0, "%s", err.msg);
    wc_value a[1] = {{.i32 = 3}}, r[1];
    CHECK(wc_instance_call(inst, "grow", a, r, &err) == WC_TRAP_NONE && r[0].i32 == 1, "grow to the limit");
    CHECK(!wc_instance_memory_limit_reached(inst), "limit not reached yet");
    CHECK(wc_instance_call(inst, "touch", a, r, &err) == WC_TRAP_NONE && r[0].i32 == 4, "use grown memory");
    a[0].i32 = 1;
    CHECK(wc_instance_call(inst, "grow", a, r, &err) == WC_TRAP_NONE && r[0].i32 == UINT32_MAX,
          "grow beyond the limit returns -1");
    CHECK(wc_instance_memory_limit_reached(inst), "the refusal is recorded");
    a[0].i32 = 0x10000;
    CHECK(wc_instance_call(inst, "grow", a, r, &err) == WC_TRAP_NONE && r[0].i32 == UINT32_MAX,
          "grow by 4 GiB returns -1");
    wc_instance_free(inst);
    wc_module_release(m);

    /* The module's own maximum is not the host's limit. */
    m = load(engine, "(module (memory 1 2)"
                     "  (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0))))");
    if (m) {
        CHECK(wc_instance_new(m, &cfg, NULL, 0, &inst, NULL, &err) == 0, "%s", err.msg);
        a[0].i32 = 2;
        CHECK(inst && wc_instance_call(inst, "grow", a, r, &err) == WC_TRAP_NONE &&
                  r[0].i32 == UINT32_MAX && !wc_instance_memory_limit_reached(inst),
              "a grow past the module's maximum is not the host's limit");
        wc_instance_free(inst);
        wc_module_release(m);
    }

    /* A module that needs more memory than allowed does not instantiate. */
    m = load(engine, "(module (memory 100))");
    if (m) {
        wc_trap trap;
        CHECK(wc_instance_new(m, &cfg, NULL, 0, &inst, &trap, &err) == WC_ETRAP &&
                  trap == WC_TRAP_MEMORY_LIMIT, "initial memory over the limit: %s", err.msg);
        wc_module_release(m);
    }
    check_still_works(engine, "memory limits");
}

static void test_recursion(wc_engine *engine)
{
    wc_module *m = load(engine,
        "(module (func $r (export \"recurse\") (param i32) (result i32)"
        "  (i32.add (call $r (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))"
        " (func $big (export \"big\") (param i32) (result i32)"
        "  (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)"
        "  (call $big (local.get 0))))");
    if (!m)
        return;
    CHECK(call1(m, NULL, "recurse", 0, NULL) == WC_TRAP_STACK_EXHAUSTED, "unbounded recursion");
    CHECK(call1(m, NULL, "big", 0, NULL) == WC_TRAP_STACK_EXHAUSTED, "recursion with big frames");
    wc_instance_config cfg = {.max_call_depth = 100};
    CHECK(call1(m, &cfg, "recurse", 0, NULL) == WC_TRAP_STACK_EXHAUSTED, "small depth limit");
    wc_module_release(m);
    check_still_works(engine, "stack exhaustion");
}

static wc_trap host_add(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    int *calls = env;
    (*calls)++;
    if (args[0].i32 == 13) {
        wc_instance_set_trap_message(caller, "13 is unlucky");
        return WC_TRAP_HOST;
    }
    results[0].i64 = (uint64_t)args[0].i32 + args[1].i64;
    return WC_TRAP_NONE;
}

static void test_imports(wc_engine *engine)
{
    wc_module *m = load(engine,
        "(module (import \"env\" \"add\" (func $add (param i32 i64) (result i64)))"
        "  (import \"env\" \"mem\" (memory 1))"
        "  (func (export \"go\") (param i32) (result i64) (call $add (local.get 0) (i64.const 1000))))");
    if (!m)
        return;
    int calls = 0;
    wc_memory *mem;
    wc_error err;
    CHECK(wc_memory_new(engine, 1, 0, false, &mem, &err) == 0, "%s", err.msg);
    wc_import_binding bindings[2] = {
        WC_HOST_FUNC("env", "add", "iI", "I", host_add, &calls),
        {.module = "env", .name = "mem", .ext = {.kind = WC_EXTERN_MEMORY, .u.memory = mem}},
    };
    wc_instance *inst;
    CHECK(wc_instance_new(m, NULL, bindings, 2, &inst, NULL, &err) == 0, "%s", err.msg);
    wc_value a[1] = {{.i32 = 5}}, r[1];
    CHECK(wc_instance_call(inst, "go", a, r, &err) == WC_TRAP_NONE && r[0].i64 == 1005, "host call");
    a[0].i32 = 13;
    CHECK(wc_instance_call(inst, "go", a, r, &err) == WC_TRAP_HOST, "host trap");
    CHECK(strcmp(wc_instance_trap_message(inst), "13 is unlucky") == 0, "host message: %s",
          wc_instance_trap_message(inst));
    a[0].i32 = 1;
    CHECK(wc_instance_call(inst, "go", a, r, &err) == WC_TRAP_NONE && r[0].i64 == 1001, "usable after host trap");
    CHECK(calls == 3, "host called %d times", calls);
    wc_instance_free(inst);

    /* Missing and mismatched imports name what is wrong. */
    CHECK(wc_instance_new(m, NULL, bindings, 1, &inst, NULL, &err) == WC_ELINK &&
              strstr(err.msg, "env.mem"), "missing memory: %s", err.msg);
    wc_import_binding wrong[2] = {
        WC_HOST_FUNC("env", "add", "ii", "I", host_add, &calls),
        bindings[1],
    };
    CHECK(wc_instance_new(m, NULL, wrong, 2, &inst, NULL, &err) == WC_ELINK &&
              strstr(err.msg, "env.add") && strstr(err.msg, "i64"), "mismatched function: %s", err.msg);
    wc_module_release(m);
    wc_memory_free(mem);
    check_still_works(engine, "link errors");
}

/* The engine remembers how imports were resolved; later instances linked
 * against tables with the same layout must still get their own env, and a
 * table with another layout or signature must be resolved afresh. */
static const char add_module[] = "env", add_name[] = "add", other_name[] = "other";
static const char sig_iI[] = "iI", sig_ii[] = "ii", sig_I[] = "I";

static void test_link_hints(wc_engine *engine)
{
    wc_module *m = load(engine,
        "(module (import \"env\" \"add\" (func $add (param i32 i64) (result i64)))"
        "  (func (export \"go\") (param i32) (result i64) (call $add (local.get 0) (i64.const 1))))");
    if (!m)
        return;
    int calls[3] = {0};
    wc_error err;
    for (int round = 0; round < 3; round++) {
        wc_import_binding table[2] = {
            WC_HOST_FUNC(add_module, other_name, sig_ii, sig_I, host_add, NULL),
            WC_HOST_FUNC(add_module, add_name, sig_iI, sig_I, host_add, &calls[round]),
        };
        wc_instance *inst;
        CHECK(wc_instance_new(m, NULL, table, 2, &inst, NULL, &err) == 0, "%s", err.msg);
        wc_value a[1] = {{.i32 = 2}}, r[1];
        CHECK(wc_instance_call(inst, "go", a, r, &err) == WC_TRAP_NONE && r[0].i64 == 3, "hinted call");
        wc_instance_free(inst);
        CHECK(calls[round] == 1, "round %d reached its own env (%d calls)", round, calls[round]);
    }
    /* Same names at another index: found by name. */
    int moved = 0;
    wc_import_binding reordered[1] = {WC_HOST_FUNC(add_module, add_name, sig_iI, sig_I, host_add, &moved)};
    wc_instance *inst;
    CHECK(wc_instance_new(m, NULL, reordered, 1, &inst, NULL, &err) == 0, "%s", err.msg);
    wc_value a[1] = {{.i32 = 2}}, r[1];
    CHECK(inst && wc_instance_call(inst, "go", a, r, &err) == WC_TRAP_NONE && moved == 1, "reordered table");
    wc_instance_free(inst);
    /* Same index, another signature: still refused. */
    wc_import_binding wrong[2] = {
        WC_HOST_FUNC(add_module, other_name, sig_ii, sig_I, host_add, NULL),
        WC_HOST_FUNC(add_module, add_name, sig_ii, sig_I, host_add, NULL),
    };
    CHECK(wc_instance_new(m, NULL, wrong, 2, &inst, NULL, &err) == WC_ELINK, "changed signature refused");
    wc_module_release(m);
}

static void test_hostile_modules(wc_engine *engine)
{
    wc_module *m;
    wc_error err;
    /* A memory claiming 4 GiB: refused by the decoder's limit, at once. */
    size_t size;
    uint8_t *bytes = wat("(module (memory 65536))", &size);
    if (bytes) {
        double start = now_ms();
        CHECK(wc_module_new(engine, bytes, size, &m, &err) == WC_ETOOBIG, "huge memory: %s", err.msg);
        CHECK(now_ms() - start < 50, "refused quickly");
        free(bytes);
    }
    /* A data segment whose length claims gigabytes. */
    static const uint8_t huge_data[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
        0x05, 0x03, 0x01, 0x00, 0x01,                         /* memory 1 */
        0x0b, 0x0a, 0x01, 0x00, 0x41, 0x00, 0x0b,             /* data: active, i32.const 0 */
        0xff, 0xff, 0xff, 0xff, 0x0f, 0x00,                   /* length 4 GiB - 1 */
    };
    double start = now_ms();
    CHECK(wc_module_new(engine, huge_data, sizeof huge_data, &m, &err) != 0, "huge data segment");
    CHECK(now_ms() - start < 50, "refused quickly");
    /* Every truncation and some corruptions of a real module. */
    bytes = wat(loop_text, &size);
    if (bytes) {
        /* A cut at a section boundary leaves a valid (smaller) module. */
        size_t refused = 0;
        for (size_t cut = 0; cut < size; cut++) {
            if (wc_module_new(engine, bytes, cut, &m, &err) == 0) {
                wc_module_release(m);
                continue;
            }
            refused++;
            CHECK(strstr(err.msg, "byte 0x") != NULL, "truncated at %zu: %s", cut, err.msg);
        }
        CHECK(refused + 8 >= size, "only %zu of %zu truncations refused", refused, size);
        uint8_t *copy = malloc(size);
        srand(7);
        int loaded = 0;
        for (int i = 0; i < 200; i++) {
            memcpy(copy, bytes, size);
            copy[(size_t)rand() % size] ^= (uint8_t)(1 + rand() % 255);
            if (wc_module_new(engine, copy, size, &m, &err) == 0) {
                loaded++;
                /* a valid mutant must also be safe to run */
                wc_instance_config cfg = {.timeout_ms = 50};
                call1(m, &cfg, "count", 10, NULL);
                wc_module_release(m);
            } else {
                CHECK(err.msg[0] != 0, "mutant %d has an error message", i);
            }
        }
        free(copy);
        free(bytes);
        (void)loaded;
    }
    /* Limits from the engine config: fewer functions than the module has. */
    wc_engine_config config;
    wc_engine_config_default(&config);
    config.tier = WC_TIER_FAST;
    config.limits.max_functions = 1;
    wc_engine *strict;
    wc_engine_new(&config, &strict, &err);
    bytes = wat(loop_text, &size);
    if (bytes) {
        CHECK(wc_module_new(strict, bytes, size, &m, &err) == WC_ETOOBIG, "max_functions: %s", err.msg);
        free(bytes);
    }
    wc_engine_free(strict);
    check_still_works(engine, "hostile modules");
}

typedef struct thread_job {
    wc_module *module;
    int iterations;
    int errors;
} thread_job;

static void *hammer(void *arg)
{
    thread_job *job = arg;
    for (int i = 0; i < job->iterations; i++) {
        wc_instance *inst;
        wc_error err;
        if (wc_instance_new(job->module, NULL, NULL, 0, &inst, NULL, &err) != 0) {
            job->errors++;
            continue;
        }
        wc_value a[2] = {{.i32 = (uint32_t)i}, {.i32 = 1}}, r[1];
        if (wc_instance_call(inst, "add", a, r, &err) != WC_TRAP_NONE || r[0].i32 != (uint32_t)i + 1)
            job->errors++;
        a[0].i32 = (uint32_t)i * 3;
        if (wc_instance_call(inst, "store_load", a, r, &err) != WC_TRAP_NONE || r[0].i32 != (uint32_t)i * 3)
            job->errors++;
        wc_instance_free(inst);
    }
    return NULL;
}

static void test_threads(wc_engine *engine)
{
    wc_module *m = load(engine, good_text);
    if (!m)
        return;
    enum { THREADS = 4 };
    pthread_t t[THREADS];
    thread_job jobs[THREADS];
    unsigned long long live_before, made_before, live_after, made_after;
    wc_instance_counts(&live_before, &made_before);
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (thread_job){m, 2000, 0};
        pthread_create(&t[i], NULL, hammer, &jobs[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        CHECK(jobs[i].errors == 0, "thread %d: %d errors", i, jobs[i].errors);
    }
    /* The counts (per thread shard) add up across the threads. */
    wc_instance_counts(&live_after, &made_after);
    CHECK(made_after - made_before == THREADS * 2000, "instances made: %llu",
          made_after - made_before);
    CHECK(live_after == live_before, "instances live: %llu, before %llu", live_after, live_before);
    wc_rt_pool_stats stats;
    wc_rt_pool_stats_get(&stats);
    CHECK(stats.in_use == 0, "memories in use after the threads: %zu", stats.in_use);
    CHECK(stats.reserved <= 64, "reservations after the threads: %zu", stats.reserved);
    wc_module_release(m);
}

/* VmRSS and VmSize of this process, in KiB. */
static void memory_usage(long *rss_kib, long *vm_kib)
{
    *rss_kib = *vm_kib = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        sscanf(line, "VmRSS: %ld", rss_kib);
        sscanf(line, "VmSize: %ld", vm_kib);
    }
    fclose(f);
}

/* 100,000 instantiate+call+free cycles leave RSS and virtual size flat. */
static void test_cycles_stay_flat(wc_engine *engine)
{
    wc_module *m = load(engine, good_text);
    if (!m)
        return;
    long rss0 = 0, vm0 = 0, rss1, vm1;
    for (int i = 0; i < 102000; i++) {
        if (i == 2000)
            memory_usage(&rss0, &vm0); /* after warm-up: pools and caches filled */
        wc_instance *inst;
        wc_error err;
        if (wc_instance_new(m, NULL, NULL, 0, &inst, NULL, &err) != 0) {
            CHECK(0, "cycle %d: %s", i, err.msg);
            break;
        }
        wc_value a[2] = {{.i32 = (uint32_t)i}, {.i32 = 2}}, r[1];
        if (wc_instance_call(inst, "store_load", a, r, &err) != WC_TRAP_NONE || r[0].i32 != (uint32_t)i)
            CHECK(0, "cycle %d", i);
        wc_instance_free(inst);
    }
    memory_usage(&rss1, &vm1);
#if defined(__SANITIZE_ADDRESS__)
    (void)rss1;
    (void)vm1; /* the sanitizer's quarantine holds freed memory on purpose */
#else
    CHECK(rss1 - rss0 < 1024, "RSS grew by %ld KiB over 100,000 cycles", rss1 - rss0);
    CHECK(vm1 - vm0 < 1024, "virtual size grew by %ld KiB over 100,000 cycles", vm1 - vm0);
#endif
    wc_module_release(m);
}

static void test_tiers_and_cache(void)
{
    char cache[4200];
    snprintf(cache, sizeof cache, "%s/cache", tmpdir);
    wc_engine *engine = new_engine(WC_TIER_AUTO, cache);
    size_t size;
    uint8_t *bytes = wat(loop_text, &size);
    if (!bytes)
        return;
    wc_module *m;
    wc_error err;
    CHECK(wc_module_new(engine, bytes, size, &m, &err) == 0, "%s", err.msg);
    CHECK(wc_module_tier(m) == WC_TIER_FAST, "a new module starts on the fast tier");
    CHECK(wc_module_wait_optimized(m, 60000, &err) == 0, "optimized tier: %s", err.msg);
    CHECK(wc_module_tier(m) == WC_TIER_OPTIMIZED, "then switches to the optimized tier");
    wc_value r;
    CHECK(call1(m, NULL, "count", 5, &r) == WC_TRAP_NONE && r.i32 == 15, "optimized code runs");
    wc_module_release(m);
    wc_engine_free(engine);

    /* A second engine (as a second process would) hits the cache. */
    engine = new_engine(WC_TIER_AUTO, cache);
    CHECK(wc_module_new(engine, bytes, size, &m, &err) == 0, "%s", err.msg);
    CHECK(wc_module_tier(m) == WC_TIER_OPTIMIZED, "cache hit serves the optimized tier at once");
    const char *digest = wc_module_digest(m);
    CHECK(strlen(digest) == 64, "digest");
    wc_module_release(m);
    wc_engine_free(engine);

    /* Corrupt every cached object: detected, not loaded, rebuilt. */
    char cmd[8600];
    snprintf(cmd, sizeof cmd, "for f in %s/*.so; do printf 'garbage' | dd of=$f bs=1 seek=200 conv=notrunc 2>/dev/null; done", cache);
    CHECK(system(cmd) == 0, "corrupting the cache");
    engine = new_engine(WC_TIER_AUTO, cache);
    CHECK(wc_module_new(engine, bytes, size, &m, &err) == 0, "%s", err.msg);
    CHECK(wc_module_tier(m) == WC_TIER_FAST, "a corrupt entry is not loaded");
    CHECK(wc_module_wait_optimized(m, 60000, &err) == 0, "rebuilt: %s", err.msg);
    wc_module_release(m);
    wc_engine_free(engine);
    engine = new_engine(WC_TIER_AUTO, cache);
    CHECK(wc_module_new(engine, bytes, size, &m, &err) == 0, "%s", err.msg);
    CHECK(wc_module_tier(m) == WC_TIER_OPTIMIZED, "the rebuilt entry is used");
    wc_module_release(m);
    wc_engine_free(engine);

    /* The optimized tier stops infinite loops too (the flag is re-read). */
    engine = new_engine(WC_TIER_OPTIMIZED, cache);
    test_deadline(engine, "optimized");
    wc_engine_free(engine);
    free(bytes);
}

/* A freed memory is zeroed only where it was written (the dirty map): every
 * way of writing must mark its page, or a call's data would reach the next
 * instance.  Each page of the memory gets one write, by one of fifteen
 * means in turn, plus writes through the host's pointer; memories of 1, 3,
 * 4 (the old map's reach), 5, 17 and 80 pages (above 256 KiB and 4 MiB).
 * The next instance, in the memory this thread just freed, must start
 * exactly as a fresh one, and grown to the same size must find only zeros
 * in the pages it grew into. */
static const char *scribble_text =
    "(module (memory (export \"mem\") 1 100)"
    "  (data (i32.const 100) \"pristine\")"
    "  (data $p \"PASSIVEPASSIVE\")"
    "  (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0)))"
    "  (func (export \"scribble\") (param $how i32)"
    "    (local $addr i32) (local $end i32) (local $m i32) (local $at i32)"
    "    (local.set $end (i32.mul (memory.size) (i32.const 65536)))"
    "    (block $done (loop $next"
    "      (br_if $done (i32.ge_u (local.get $addr) (local.get $end)))"
    "      (local.set $at (i32.add (local.get $addr) (i32.const 8)))"
    "      (local.set $m (i32.rem_u (i32.add (i32.shr_u (local.get $addr) (i32.const 12))"
    "                                        (local.get $how)) (i32.const 15)))"
    "      (if (i32.eq (local.get $m) (i32.const 0)) (then (i32.store (local.get $at) (i32.const -1))))"
    "      (if (i32.eq (local.get $m) (i32.const 1)) (then (i64.store (local.get $at) (i64.const -1))))"
    "      (if (i32.eq (local.get $m) (i32.const 2)) (then (f32.store (local.get $at) (f32.const -1))))"
    "      (if (i32.eq (local.get $m) (i32.const 3)) (then (f64.store (local.get $at) (f64.const -1))))"
    "      (if (i32.eq (local.get $m) (i32.const 4)) (then (i32.store8 (local.get $at) (i32.const 255))))"
    "      (if (i32.eq (local.get $m) (i32.const 5)) (then (i32.store16 (local.get $at) (i32.const 65535))))"
    "      (if (i32.eq (local.get $m) (i32.const 6)) (then (i64.store8 (local.get $at) (i64.const 255))))"
    "      (if (i32.eq (local.get $m) (i32.const 7)) (then (i64.store16 (local.get $at) (i64.const 65535))))"
    "      (if (i32.eq (local.get $m) (i32.const 8)) (then (i64.store32 (local.get $at) (i64.const -1))))"
    "      (if (i32.eq (local.get $m) (i32.const 9))"
    "        (then (memory.fill (local.get $at) (i32.const 171) (i32.const 16))))"
    "      (if (i32.eq (local.get $m) (i32.const 10))"
    "        (then (memory.copy (local.get $at) (i32.const 100) (i32.const 8))))"
    "      (if (i32.eq (local.get $m) (i32.const 11))"
    "        (then (memory.init $p (local.get $at) (i32.const 0) (i32.const 8))))"
    "      (if (i32.eq (local.get $m) (i32.const 12))"
    "        (then (v128.store (local.get $at) (v128.const i64x2 -1 -1))))"
    "      (if (i32.eq (local.get $m) (i32.const 13))"
    "        (then (v128.store16_lane 5 (local.get $at) (v128.const i64x2 -1 -1))))"
    "      (if (i32.and (i32.eq (local.get $m) (i32.const 14))"
    "                   (i32.lt_u (i32.add (local.get $addr) (i32.const 4096)) (local.get $end)))"
    "        (then (v128.store (i32.add (local.get $addr) (i32.const 4088)) (v128.const i64x2 -1 -1))))"
    "      (local.set $addr (i32.add (local.get $addr) (i32.const 4096)))"
    "      (br $next))))"
    ")";

static void test_freed_memory_is_clean(wc_engine *engine, const char *tier)
{
    wc_module *m = load(engine, scribble_text);
    CHECK(m != NULL, "%s: scribble module", tier);
    if (!m)
        return;
    wc_error err;
    wc_instance *inst;
    static uint8_t reference[80 * 65536];
    CHECK(wc_instance_new(m, NULL, NULL, 0, &inst, NULL, &err) == 0, "%s: %s", tier, err.msg);
    const uint8_t *mem = wc_instance_mem_view(inst, 0, 65536);
    CHECK(mem && memcmp(mem + 100, "pristine", 8) == 0, "%s: reference image", tier);
    if (mem)
        memcpy(reference, mem, 65536);
    wc_instance_free(inst);

    static const uint32_t pages[] = {1, 3, 4, 5, 17, 80};
    for (uint32_t how = 0; how < 15; how++) {
        for (size_t k = 0; k < sizeof pages / sizeof pages[0]; k++) {
            CHECK(wc_instance_new(m, NULL, NULL, 0, &inst, NULL, &err) == 0, "%s: %s", tier, err.msg);
            wc_value args[1] = {{.i32 = pages[k] - 1}}, res[1];
            if (pages[k] > 1)
                CHECK(wc_instance_call(inst, "grow", args, res, &err) == WC_TRAP_NONE &&
                          res[0].i32 == 1, "%s: grow", tier);
            args[0].i32 = how;
            CHECK(wc_instance_call(inst, "scribble", args, NULL, &err) == WC_TRAP_NONE,
                  "%s: scribble: %s", tier, err.msg);
            if (how == 0) { /* and the host's own writes */
                uint8_t *p = wc_instance_mem(inst, 20000, 30000);
                if (p)
                    memset(p, 0x5a, 30000);
            }
            wc_instance_free(inst);

            CHECK(wc_instance_new(m, NULL, NULL, 0, &inst, NULL, &err) == 0, "%s: %s", tier, err.msg);
            CHECK(wc_instance_mem_view(inst, 0, 65537) == NULL, "%s: one page again", tier);
            args[0].i32 = pages[k] - 1;
            if (pages[k] > 1)
                CHECK(wc_instance_call(inst, "grow", args, res, &err) == WC_TRAP_NONE &&
                          res[0].i32 == 1, "%s: grow after reuse", tier);
            size_t size = (size_t)pages[k] * 65536;
            mem = wc_instance_mem_view(inst, 0, size);
            size_t differ = 0;
            for (size_t i = 0; mem && i < size; i++)
                differ += mem[i] != reference[i];
            CHECK(mem && differ == 0, "%s: %zu bytes left over after writes by means %u in %u pages",
                  tier, differ, how, pages[k]);
            wc_instance_free(inst);
        }
    }
    wc_module_release(m);
}

/* A store across a page boundary marks both pages: the next instance in
 * the same memory finds the second page's bytes zero too. */
static const char *straddle_text =
    "(module (memory (export \"mem\") 2)"
    "  (func (export \"v128\") (param i32) (v128.store (local.get 0) (v128.const i64x2 -1 -1)))"
    "  (func (export \"lane\") (param i32) (v128.store64_lane 1 (local.get 0) (v128.const i64x2 -1 -1)))"
    "  (func (export \"i64\") (param i32) (i64.store (local.get 0) (i64.const -1))))";

static void test_straddling_stores(wc_engine *engine, const char *tier)
{
    wc_module *m = load(engine, straddle_text);
    CHECK(m != NULL, "%s: straddle module", tier);
    if (!m)
        return;
    static const struct {
        const char *func;
        uint32_t at;
    } stores[] = {{"v128", 4088}, {"v128", 4095}, {"lane", 4092}, {"i64", 4092}};
    for (size_t k = 0; k < sizeof stores / sizeof stores[0]; k++) {
        wc_instance *inst;
        wc_error err;
        CHECK(wc_instance_new(m, NULL, NULL, 0, &inst, NULL, &err) == 0, "%s: %s", tier, err.msg);
        wc_value args[1] = {{.i32 = stores[k].at}};
        CHECK(wc_instance_call(inst, stores[k].func, args, NULL, &err) == WC_TRAP_NONE, "%s: %s: %s", tier,
              stores[k].func, err.msg);
        wc_instance_free(inst);
        CHECK(wc_instance_new(m, NULL, NULL, 0, &inst, NULL, &err) == 0, "%s: %s", tier, err.msg);
        const uint8_t *mem = wc_instance_mem_view(inst, 0, 2 * 65536);
        size_t left = 0;
        for (size_t i = 4080; mem && i < 4112; i++)
            left += mem[i] != 0;
        CHECK(mem && left == 0, "%s: %zu bytes left over by %s at %u", tier, left, stores[k].func,
              stores[k].at);
        wc_instance_free(inst);
    }
    wc_module_release(m);
}

/* A page the data segments loaded, right after a page a store crossed
 * from, holds its data for the next instance (its first bytes, which
 * freeing zeroes after every written page, are put back). */
static const char *spill_text =
    "(module (memory (export \"mem\") 2) (data (i32.const 4096) \"ABCDEFGHIJKLMNOP\")"
    "  (func (export \"i64\") (param i32) (i64.store (local.get 0) (i64.const -1))))";

static void test_store_spill_into_data(wc_engine *engine, const char *tier)
{
    wc_module *m = load(engine, spill_text);
    CHECK(m != NULL, "%s: spill module", tier);
    if (!m)
        return;
    for (int round = 0; round < 3; round++) {
        wc_instance *inst;
        wc_error err;
        CHECK(wc_instance_new(m, NULL, NULL, 0, &inst, NULL, &err) == 0, "%s: %s", tier, err.msg);
        const uint8_t *mem = wc_instance_mem_view(inst, 0, 2 * 65536);
        CHECK(mem && memcmp(mem + 4096, "ABCDEFGHIJKLMNOP", 16) == 0 &&
                  memcmp(mem + 4088, "\0\0\0\0\0\0\0\0", 8) == 0,
              "%s: round %d: the data page after a crossing store is not as loaded", tier, round);
        wc_value args[1] = {{.i32 = 4092}};
        CHECK(wc_instance_call(inst, "i64", args, NULL, &err) == WC_TRAP_NONE, "%s: %s", tier, err.msg);
        wc_instance_free(inst);
    }
    wc_module_release(m);
}

/* A pooled memory is reused at the size its next instance asks for: a
 * memory that grew and was written everywhere, then freed, comes back at
 * one page with its guard exact (an access past it traps, memory.size is
 * 1), grows again into zeros, and the instance's page limit still holds. */
static const char *reuse_text =
    "(module (memory (export \"mem\") 1 100)"
    "  (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0)))"
    "  (func (export \"size\") (result i32) (memory.size))"
    "  (func (export \"load\") (param i32) (result i32) (i32.load (local.get 0)))"
    "  (func (export \"fill\") (memory.fill (i32.const 0) (i32.const 255)"
    "    (i32.mul (memory.size) (i32.const 65536)))))";
/* Data beyond the first 64 4 KiB pages (offset 300,000 is in page 73):
 * another module in the same memory must not see it, and the module's
 * next instance must. */
static const char *far_data_text =
    "(module (memory (export \"mem\") 6) (data (i32.const 300000) \"far-data\")"
    "  (func (export \"scribble\") (i32.store (i32.const 300004) (i32.const -1))"
    "    (i32.store (i32.const 390000) (i32.const -1))))";
static const char *plain6_text = "(module (memory (export \"mem\") 6))";

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static int32_t call_i32(wc_instance *inst, const char *name, int32_t arg, wc_trap *trap)
{
    wc_value args[1] = {{.i32 = arg}}, res[1] = {{.i32 = -7}};
    wc_error err;
    *trap = wc_instance_call(inst, name, args, res, &err);
    return res[0].i32;
}

static void test_memory_reuse(wc_engine *engine, const char *tier)
{
    wc_module *m = load(engine, reuse_text);
    wc_module *far = load(engine, far_data_text), *plain = load(engine, plain6_text);
    CHECK(m && far && plain, "%s: reuse modules", tier);
    if (!m || !far || !plain)
        goto out;
    wc_error err;
    wc_instance *inst;
    wc_trap trap;
    wc_instance_config limited = {.max_memory_pages = 4};
    for (int round = 0; round < 3; round++) {
        CHECK(wc_instance_new(m, NULL, NULL, 0, &inst, NULL, &err) == 0, "%s: %s", tier, err.msg);
        CHECK(call_i32(inst, "grow", 8, &trap) == 1 && trap == WC_TRAP_NONE, "%s: grow to 9", tier);
        CHECK(wc_instance_call(inst, "fill", NULL, NULL, &err) == WC_TRAP_NONE, "%s: fill", tier);
        wc_instance_free(inst);

        /* the same memory, one page again */
        CHECK(wc_instance_new(m, NULL, NULL, 0, &inst, NULL, &err) == 0, "%s: %s", tier, err.msg);
        CHECK(call_i32(inst, "size", 0, &trap) == 1, "%s: round %d: memory.size 1", tier, round);
        CHECK(call_i32(inst, "load", 65532, &trap) == 0 && trap == WC_TRAP_NONE,
              "%s: round %d: last word of page 1 is zero", tier, round);
        call_i32(inst, "load", 65533, &trap);
        CHECK(trap == WC_TRAP_OOB_MEMORY, "%s: round %d: a load across the end traps (%d)", tier, round,
              (int)trap);
        call_i32(inst, "load", 8 * 65536, &trap);
        CHECK(trap == WC_TRAP_OOB_MEMORY, "%s: round %d: a load in the old size traps", tier, round);
        CHECK(call_i32(inst, "grow", 8, &trap) == 1, "%s: round %d: grow again", tier, round);
        const uint8_t *mem = wc_instance_mem_view(inst, 0, 9 * 65536);
        CHECK(mem && all_zero(mem, 9 * 65536), "%s: round %d: grown pages are zero", tier, round);
        call_i32(inst, "load", 9 * 65536, &trap);
        CHECK(trap == WC_TRAP_OOB_MEMORY, "%s: round %d: past the new size traps", tier, round);
        CHECK(wc_instance_call(inst, "fill", NULL, NULL, &err) == WC_TRAP_NONE, "%s: fill", tier);
        wc_instance_free(inst);

        /* and under a smaller page limit */
        CHECK(wc_instance_new(m, &limited, NULL, 0, &inst, NULL, &err) == 0, "%s: %s", tier, err.msg);
        CHECK(call_i32(inst, "grow", 8, &trap) == -1 && trap == WC_TRAP_NONE,
              "%s: round %d: the limit refuses 9 pages", tier, round);
        CHECK(wc_instance_memory_limit_reached(inst), "%s: limit reached", tier);
        CHECK(call_i32(inst, "grow", 3, &trap) == 1, "%s: round %d: 4 pages allowed", tier, round);
        call_i32(inst, "load", 4 * 65536, &trap);
        CHECK(trap == WC_TRAP_OOB_MEMORY, "%s: round %d: past the limit traps", tier, round);
        mem = wc_instance_mem_view(inst, 0, 4 * 65536);
        CHECK(mem && all_zero(mem, 4 * 65536), "%s: round %d: limited memory is zero", tier, round);
        wc_instance_free(inst);

        /* data past the first 64 pages: its own module sees it, another not */
        CHECK(wc_instance_new(far, NULL, NULL, 0, &inst, NULL, &err) == 0, "%s: %s", tier, err.msg);
        mem = wc_instance_mem_view(inst, 0, 6 * 65536);
        CHECK(mem && memcmp(mem + 300000, "far-data", 8) == 0 && all_zero(mem, 300000) &&
                  all_zero(mem + 300008, 6 * 65536 - 300008),
              "%s: round %d: far data as loaded", tier, round);
        CHECK(wc_instance_call(inst, "scribble", NULL, NULL, &err) == WC_TRAP_NONE, "%s: scribble",
              tier);
        wc_instance_free(inst);
        CHECK(wc_instance_new(plain, NULL, NULL, 0, &inst, NULL, &err) == 0, "%s: %s", tier, err.msg);
        mem = wc_instance_mem_view(inst, 0, 6 * 65536);
        CHECK(mem && all_zero(mem, 6 * 65536), "%s: round %d: another module sees no far data",
              tier, round);
        wc_instance_free(inst);
    }
out:
    if (m)
        wc_module_release(m);
    if (far)
        wc_module_release(far);
    if (plain)
        wc_module_release(plain);
}

/* Pooled memories above 256 KiB keep their pages only within a budget
 * (64 MiB): 40 memories of 4 MiB, written whole and freed together, leave
 * at most that resident, and every one of them comes back zeroed. */
static void test_kept_budget(wc_engine *engine, const char *tier)
{
    enum { COUNT = 40, PAGES = 64 };
    wc_module *m = load(engine, reuse_text);
    CHECK(m != NULL, "%s: budget module", tier);
    if (!m)
        return;
    wc_instance *insts[COUNT];
    wc_error err;
    wc_trap trap;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < COUNT; i++) {
            CHECK(wc_instance_new(m, NULL, NULL, 0, &insts[i], NULL, &err) == 0, "%s: %s", tier,
                  err.msg);
            CHECK(call_i32(insts[i], "grow", PAGES - 1, &trap) == 1, "%s: grow to 4 MiB", tier);
            const uint8_t *mem = wc_instance_mem_view(insts[i], 0, (size_t)PAGES * 65536);
            CHECK(mem && all_zero(mem, (size_t)PAGES * 65536),
                  "%s: round %d: memory %d starts zeroed", tier, round, i);
            CHECK(wc_instance_call(insts[i], "fill", NULL, NULL, &err) == WC_TRAP_NONE, "%s: fill",
                  tier);
        }
        for (int i = 0; i < COUNT; i++)
            wc_instance_free(insts[i]);
        wc_rt_pool_stats stats;
        wc_rt_pool_stats_get(&stats);
        CHECK(stats.kept_bytes <= (64u << 20) && stats.kept_bytes >= (4u << 20),
              "%s: round %d: %zu bytes kept by the pool", tier, round, stats.kept_bytes);
    }
    wc_module_release(m);
}

/* The pages a module's data segments loaded, untouched since, stay for the
 * next instance of the same module, which copies nothing into them: that
 * instance must still start as a fresh one, another module must find none
 * of those bytes, and memory.init -- at run time or in a start function --
 * must still write. */
static const char *image_text_a =
    "(module (memory (export \"mem\") 1)"
    "  (data (i32.const 100) \"module-a\") (data (i32.const 20000) \"far-a\")"
    "  (data $p \"INIT\")"
    "  (func $start (memory.init $p (i32.const 300) (i32.const 0) (i32.const 4)))"
    "  (start $start)"
    "  (func (export \"far\") (i32.store (i32.const 40000) (i32.const 7)))"
    "  (func (export \"init\") (param i32) (memory.init $p (local.get 0) (i32.const 0) (i32.const 4))))";
static const char *image_text_b =
    "(module (memory (export \"mem\") 1) (data (i32.const 200) \"module-b\"))";

static bool memory_is(wc_instance *inst, const uint8_t *want, size_t n)
{
    const uint8_t *mem = wc_instance_mem_view(inst, 0, n);
    return mem && memcmp(mem, want, n) == 0;
}

static void test_data_images(wc_engine *engine, const char *tier)
{
    wc_module *a = load(engine, image_text_a), *b = load(engine, image_text_b);
    CHECK(a && b, "%s: image modules", tier);
    if (!a || !b) {
        if (a)
            wc_module_release(a);
        if (b)
            wc_module_release(b);
        return;
    }
    static uint8_t want_a[65536], want_b[65536];
    memset(want_a, 0, sizeof want_a);
    memcpy(want_a + 100, "module-a", 8);
    memcpy(want_a + 20000, "far-a", 5);
    memcpy(want_a + 300, "INIT", 4);
    memset(want_b, 0, sizeof want_b);
    memcpy(want_b + 200, "module-b", 8);
    wc_error err;
    wc_instance *inst;
    for (int round = 0; round < 6; round++) {
        /* a, twice (the second reloads), with a write to a page of its own */
        for (int i = 0; i < 2; i++) {
            CHECK(wc_instance_new(a, NULL, NULL, 0, &inst, NULL, &err) == 0, "%s: %s", tier, err.msg);
            CHECK(memory_is(inst, want_a, sizeof want_a), "%s: round %d: a starts fresh", tier, round);
            CHECK(wc_instance_call(inst, "far", NULL, NULL, &err) == WC_TRAP_NONE, "%s: far", tier);
            wc_value args[1] = {{.i32 = 50000 + round}};
            CHECK(wc_instance_call(inst, "init", args, NULL, &err) == WC_TRAP_NONE, "%s: init", tier);
            const uint8_t *at = wc_instance_mem_view(inst, 50000 + (uint64_t)round, 4);
            CHECK(at && memcmp(at, "INIT", 4) == 0, "%s: memory.init at run time wrote", tier);
            wc_instance_free(inst);
        }
        /* then b: none of a's bytes */
        CHECK(wc_instance_new(b, NULL, NULL, 0, &inst, NULL, &err) == 0, "%s: %s", tier, err.msg);
        CHECK(memory_is(inst, want_b, sizeof want_b), "%s: round %d: b finds a's data", tier, round);
        wc_instance_free(inst);
    }
    wc_module_release(a);
    wc_module_release(b);
}

/* Multi-memory: each memory has its own data, bounds and dirty map, and a
 * freed memory's pages go back to the pool as clean as a single memory's
 * (memory 1's data image was once taken for memory 0's by the next
 * instance: only an instance's first memory keeps an image). */
static const char *two_memories_text =
    "(module (memory $a 1) (memory $b 2)"
    "  (data (memory $a) (i32.const 100) \"zero\") (data (memory $b) (i32.const 100) \"ONE!\")"
    "  (func (export \"peek\") (param i32) (result i32)"
    "    (i32.add (i32.shl (i32.load8_u $a (local.get 0)) (i32.const 8)) (i32.load8_u $b (local.get 0))))"
    "  (func (export \"scribble\") (param i32)"
    "    (i32.store $b (local.get 0) (i32.const -1)) (memory.fill $a (i32.const 200) (i32.const 7) (i32.const 4))"
    "    (memory.copy $a $b (i32.const 300) (i32.const 100) (i32.const 4)))"
    "  (func (export \"grow1\") (result i32) (memory.grow $b (i32.const 1)))"
    "  (func (export \"size1\") (result i32) (memory.size $b)))";

static void test_multi_memory(wc_engine *engine, const char *tier)
{
    wc_module *m = load(engine, two_memories_text), *plain = load(engine, plain6_text);
    CHECK(m && plain, "%s: two memories", tier);
    if (!m || !plain) {
        if (m)
            wc_module_release(m);
        if (plain)
            wc_module_release(plain);
        return;
    }
    wc_error err;
    wc_trap trap;
    for (int round = 0; round < 4; round++) {
        /* another instance takes the memory this thread kept, so memory 0
         * gets the slot memory 1 left */
        wc_instance *inst, *other;
        CHECK(wc_instance_new(plain, NULL, NULL, 0, &other, NULL, &err) == 0, "%s: %s", tier, err.msg);
        CHECK(wc_instance_new(m, NULL, NULL, 0, &inst, NULL, &err) == 0, "%s: %s", tier, err.msg);
        wc_instance_free(other);
        /* 'z' in memory 0 over 'O' in memory 1, and nothing else written */
        CHECK(call_i32(inst, "peek", 100, &trap) == ('z' << 8 | 'O'), "%s: round %d: data", tier, round);
        CHECK(call_i32(inst, "peek", 1000, &trap) == 0, "%s: round %d: a fresh byte", tier, round);
        CHECK(call_i32(inst, "peek", 300, &trap) == 0, "%s: round %d: copy target fresh", tier, round);
        CHECK(call_i32(inst, "size1", 0, &trap) == 2, "%s: round %d: size of memory 1", tier, round);
        /* memory 1 has 2 pages, memory 0 one: 65536 is in bounds only in 1 */
        call_i32(inst, "peek", 65536, &trap);
        CHECK(trap == WC_TRAP_OOB_MEMORY, "%s: memory 0's own bounds", tier);
        if (round % 2 == 0) { /* a round that leaves the data pages untouched */
            wc_instance_free(inst);
            continue;
        }
        call_i32(inst, "scribble", 131072 - 4, &trap);
        CHECK(trap == WC_TRAP_NONE, "%s: store at memory 1's end", tier);
        call_i32(inst, "scribble", 131072 - 3, &trap);
        CHECK(trap == WC_TRAP_OOB_MEMORY, "%s: memory 1's own bounds", tier);
        call_i32(inst, "scribble", 1000, &trap);
        CHECK(call_i32(inst, "peek", 1000, &trap) == 0xff, "%s: store to memory 1", tier);
        CHECK(call_i32(inst, "peek", 300, &trap) == ('O' << 8), "%s: copy from memory 1 to 0", tier);
        CHECK(call_i32(inst, "grow1", 0, &trap) == 2, "%s: grow memory 1", tier);
        wc_instance_free(inst);
    }
    wc_module_release(m);
    wc_module_release(plain);
}

/* memory64: an address past the 8 GiB a reservation covers would reach
 * another memory or the host's heap unless checked: every access is. */
static const char *memory64_text =
    "(module (memory (export \"mem64\") i64 1 2)"
    "  (func (export \"load\") (param i64) (result i32) (i32.load (local.get 0)))"
    "  (func (export \"load_far\") (param i64) (result i32) (i32.load offset=0xffffffff (local.get 0)))"
    "  (func (export \"store\") (param i64) (i64.store (local.get 0) (i64.const -1)))"
    "  (func (export \"fill\") (param i64 i64) (memory.fill (local.get 0) (i32.const 1) (local.get 1)))"
    "  (func (export \"grow\") (param i64) (result i64) (memory.grow (local.get 0)))"
    "  (func (export \"size\") (result i64) (memory.size)))";

static wc_trap call_i64(wc_instance *inst, const char *name, uint64_t a, uint64_t b, uint64_t *result)
{
    wc_value args[2] = {{.i64 = (int64_t)a}, {.i64 = (int64_t)b}}, res[1] = {{.i64 = 0}};
    wc_error err;
    wc_trap trap = wc_instance_call(inst, name, args, res, &err);
    if (result)
        *result = (uint64_t)res[0].i64;
    return trap;
}

static void test_memory64(wc_engine *engine, const char *tier)
{
    wc_module *m = load(engine, memory64_text);
    CHECK(m != NULL, "%s: memory64 module", tier);
    if (!m)
        return;
    wc_error err;
    wc_instance *inst;
    CHECK(wc_instance_new(m, NULL, NULL, 0, &inst, NULL, &err) == 0, "%s: %s", tier, err.msg);
    uint64_t r = 0;
    static const uint64_t beyond[] = {65533, 1ull << 32, 9ull << 30, 1ull << 40, ~0ull - 2, ~0ull};
    for (size_t i = 0; i < sizeof beyond / sizeof beyond[0]; i++) {
        CHECK(call_i64(inst, "load", beyond[i], 0, NULL) == WC_TRAP_OOB_MEMORY, "%s: load at %llu",
              tier, (unsigned long long)beyond[i]);
        CHECK(call_i64(inst, "store", beyond[i] - 4, 0, NULL) == WC_TRAP_OOB_MEMORY,
              "%s: store at %llu", tier, (unsigned long long)beyond[i] - 4);
        CHECK(call_i64(inst, "fill", beyond[i], 4, NULL) == WC_TRAP_OOB_MEMORY, "%s: fill at %llu",
              tier, (unsigned long long)beyond[i]);
    }
    /* offset + address wrapping around 2^64 is out of bounds, not address 0 */
    CHECK(call_i64(inst, "load_far", ~0ull - 0x100, 0, NULL) == WC_TRAP_OOB_MEMORY, "%s: wrapped", tier);
    CHECK(call_i64(inst, "fill", 100, ~0ull, NULL) == WC_TRAP_OOB_MEMORY, "%s: fill length", tier);
    CHECK(call_i64(inst, "store", 65528, 0, NULL) == WC_TRAP_NONE, "%s: store at the end", tier);
    CHECK(call_i64(inst, "load", 65532, 0, &r) == WC_TRAP_NONE && r == 0xffffffffu, "%s: load", tier);
    CHECK(call_i64(inst, "grow", 1ull << 32, 0, &r) == WC_TRAP_NONE && r == ~0ull, "%s: huge grow", tier);
    CHECK(call_i64(inst, "grow", 1, 0, &r) == WC_TRAP_NONE && r == 1, "%s: grow", tier);
    CHECK(call_i64(inst, "size", 0, 0, &r) == WC_TRAP_NONE && r == 2, "%s: size", tier);
    CHECK(call_i64(inst, "load", 65536 * 2 - 4, 0, NULL) == WC_TRAP_NONE, "%s: grown", tier);
    CHECK(call_i64(inst, "load", 65536 * 2 - 3, 0, NULL) == WC_TRAP_OOB_MEMORY, "%s: grown end", tier);
    /* a memory's index type is part of its import type, both ways */
    wc_module *imports64 = load(engine, "(module (memory (import \"env\" \"mem\") i64 1))");
    wc_module *imports32 = load(engine, "(module (memory (import \"env\" \"mem\") 1))");
    CHECK(imports64 && imports32, "%s: importers", tier);
    wc_import_binding binding = {.module = "env", .name = "mem"};
    CHECK(wc_instance_export(inst, "mem64", &binding.ext) == 0, "%s: export", tier);
    wc_instance *importer = NULL;
    if (imports64 && imports32) {
        CHECK(wc_instance_new(imports64, NULL, &binding, 1, &importer, NULL, &err) == 0, "%s: %s", tier,
              err.msg);
        wc_instance_free(importer);
        CHECK(wc_instance_new(imports32, NULL, &binding, 1, &importer, NULL, &err) == WC_ELINK,
              "%s: an i64 memory for an i32 import", tier);
        wc_memory *mem32 = NULL;
        CHECK(wc_memory_new(engine, 1, 1, true, &mem32, &err) == 0, "%s: %s", tier, err.msg);
        binding.ext.u.memory = mem32;
        CHECK(wc_instance_new(imports64, NULL, &binding, 1, &importer, NULL, &err) == WC_ELINK,
              "%s: an i32 memory for an i64 import", tier);
        wc_memory_free(mem32);
    }
    if (imports64)
        wc_module_release(imports64);
    if (imports32)
        wc_module_release(imports32);
    wc_instance_free(inst);
    wc_module_release(m);
}

/* module_borrowed: the instance holds no reference of its own, except one
 * whose failed instantiation left its functions in an imported table: that
 * one outlives the caller's hold and keeps its module. */
static void test_borrowed_module(wc_engine *engine)
{
    wc_module *m = load(engine, good_text);
    if (!m)
        return;
    wc_instance_config cfg = {.module_borrowed = true};
    wc_value r;
    CHECK(call1(m, &cfg, "add", 41, &r) == WC_TRAP_NONE, "a borrowed instance runs");
    wc_module_release(m); /* after the instance: nothing else holds it */

    wc_table *table;
    wc_error err;
    if (wc_table_new(engine, WC_VT_FUNCREF, 2, 2, true, &table, &err) != 0) {
        CHECK(false, "table: %s", err.msg);
        return;
    }
    wc_import_binding bind = {.module = "t", .name = "tab",
                              .ext = {.kind = WC_EXTERN_TABLE, .u.table = table}};
    wc_module *leaves = load(engine,
        "(module (import \"t\" \"tab\" (table 2 funcref))"
        "  (func $f (result i32) (i32.const 42)) (elem (i32.const 0) $f)"
        "  (func $start unreachable) (start $start))");
    wc_module *caller = load(engine,
        "(module (import \"t\" \"tab\" (table 2 funcref)) (type $r (func (result i32)))"
        "  (func (export \"call0\") (result i32) (call_indirect (type $r) (i32.const 0))))");
    if (leaves && caller) {
        wc_instance *inst = NULL;
        wc_trap trap = WC_TRAP_NONE;
        CHECK(wc_instance_new(leaves, &cfg, &bind, 1, &inst, &trap, &err) == WC_ETRAP &&
                  trap == WC_TRAP_UNREACHABLE,
              "the start function traps: %s", err.msg);
        wc_module_release(leaves); /* the orphan still needs its code */
        leaves = NULL;
        CHECK(wc_instance_new(caller, NULL, &bind, 1, &inst, NULL, &err) == 0, "caller: %s",
              err.msg);
        wc_value res[1] = {{0}};
        CHECK(inst && wc_instance_call(inst, "call0", NULL, res, &err) == WC_TRAP_NONE &&
                  res[0].i32 == 42,
              "the orphan's function, called after its module's last outside hold: %s",
              err.msg);
        wc_instance_free(inst);
    }
    wc_module_release(leaves);
    wc_module_release(caller);
    wc_table_free(table); /* the orphan keeps its own reference until the engine goes */
}

/* v128 across the engine's interface: arguments, results (one and
 * several), globals (defined and exported), a host import and a
 * call_indirect, with lanes that would show a swapped half or a lost byte. */
static const char *simd_text =
    "(module"
    "  (import \"host\" \"twice\" (func $twice (param v128) (result v128)))"
    "  (global $g (export \"g\") (mut v128) (v128.const i32x4 5 6 7 8))"
    "  (table 1 funcref) (elem (i32.const 0) $add)"
    "  (type $binary (func (param v128 v128) (result v128)))"
    "  (func $add (export \"add\") (type $binary) (i32x4.add (local.get 0) (local.get 1)))"
    "  (func (export \"pair\") (param v128) (result v128 i32)"
    "    (local.get 0) (i32x4.extract_lane 2 (local.get 0)))"
    "  (func (export \"via\") (param v128) (result v128)"
    "    (global.set $g (call $twice (local.get 0)))"
    "    (call_indirect (type $binary) (global.get $g) (local.get 0) (i32.const 0))))";

static wc_trap host_twice(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    for (int i = 0; i < 16; i++)
        results[0].v128[i] = (uint8_t)(args[0].v128[i] * 2);
    return WC_TRAP_NONE;
}

static void test_simd_values(wc_tier tier, const char *name)
{
    wc_engine *engine = new_engine(tier, tmpdir);
    wc_module *m = load(engine, simd_text);
    CHECK(m != NULL, "%s: SIMD module", name);
    if (!m) {
        wc_engine_free(engine);
        return;
    }
    wc_import_binding binding = {.module = "host", .name = "twice",
                                 .ext = {.kind = WC_EXTERN_FUNC,
                                         .u.func = {.params = "v", .results = "v", .fn = host_twice}}};
    wc_instance *inst = NULL;
    wc_error err;
    CHECK(wc_instance_new(m, NULL, &binding, 1, &inst, NULL, &err) == 0, "%s: %s", name, err.msg);
    if (inst) {
        wc_value args[2], res[2];
        for (int i = 0; i < 16; i++) {
            args[0].v128[i] = (uint8_t)(i + 1);
            args[1].v128[i] = (uint8_t)(0x10 * i);
        }
        CHECK(wc_instance_call(inst, "add", args, res, &err) == WC_TRAP_NONE, "%s: add: %s", name, err.msg);
        bool same = true;
        for (int i = 0; i < 16; i++) /* no lane carries: bytes add alone */
            same &= res[0].v128[i] == (uint8_t)(i + 1 + 0x10 * i);
        CHECK(same, "%s: i32x4.add through the interface", name);
        CHECK(wc_instance_call(inst, "pair", args, res, &err) == WC_TRAP_NONE &&
                  memcmp(res[0].v128, args[0].v128, 16) == 0 && res[1].i32 == 0x0c0b0a09u,
              "%s: v128 and i32 results (%08x)", name, res[1].i32);
        CHECK(wc_instance_call(inst, "via", args, res, &err) == WC_TRAP_NONE, "%s: via: %s", name, err.msg);
        same = true;
        for (int i = 0; i < 16; i++) /* twice(x) + x through the table */
            same &= res[0].v128[i] == (uint8_t)(3 * (i + 1));
        CHECK(same, "%s: a host import and call_indirect with v128", name);
        wc_extern g;
        CHECK(wc_instance_export(inst, "g", &g) == 0 && g.kind == WC_EXTERN_GLOBAL &&
                  g.u.global.value->v128[0] == 2 && g.u.global.value->v128[15] == 32,
              "%s: the exported v128 global", name);
        wc_instance_free(inst);
    }
    wc_module_release(m);
    wc_engine_free(engine);
}

int main(void)
{
    if (wc_make_temp_dir(tmpdir, sizeof tmpdir, "wasmcap-test-engine") != 0) {
        perror("mkdtemp");
        return 1;
    }
    wc_engine *engine = new_engine(WC_TIER_FAST, "");
    check_still_works(engine, "start");
    test_calls_and_traps(engine);
    test_deadline(engine, "fast");
    test_whole_instance_deadline(engine);
    test_interrupt(engine);
    test_memory_limits(engine);
    test_recursion(engine);
    test_imports(engine);
    test_link_hints(engine);
    test_hostile_modules(engine);
    test_threads(engine);
    test_borrowed_module(engine);
    test_cycles_stay_flat(engine);
    test_freed_memory_is_clean(engine, "fast tier, writes not tracked");
    test_memory_reuse(engine, "fast tier, writes not tracked");
    wc_engine_free(engine);
    static const wc_tier tiers[] = {WC_TIER_FAST, WC_TIER_OPTIMIZED};
    for (int t = 0; t < 2; t++) {
        wc_engine *tracking = new_engine_tracking(tiers[t], tmpdir, true);
        test_freed_memory_is_clean(tracking, t ? "optimized tier" : "fast tier");
        test_straddling_stores(tracking, t ? "optimized tier" : "fast tier");
        test_store_spill_into_data(tracking, t ? "optimized tier" : "fast tier");
        test_data_images(tracking, t ? "optimized tier" : "fast tier");
        test_multi_memory(tracking, t ? "optimized tier" : "fast tier");
        test_memory64(tracking, t ? "optimized tier" : "fast tier");
        test_memory_reuse(tracking, t ? "optimized tier" : "fast tier");
        test_kept_budget(tracking, t ? "optimized tier" : "fast tier");
        wc_engine_free(tracking);
    }
    test_tiers_and_cache();
    test_simd_values(WC_TIER_FAST, "fast tier");
    test_simd_values(WC_TIER_OPTIMIZED, "optimized tier");

    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    if (failures) {
        fprintf(stderr, "test_engine: %d failures\n", failures);
        return 1;
    }
    printf("test_engine: all passed\n");
    return 0;
}
