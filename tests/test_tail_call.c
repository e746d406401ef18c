/* test_tail_call.c -- tail calls (return_call, return_call_indirect) on
 * both tiers: ten million mutual tail calls between functions of different
 * signatures, direct and through a table, under a call-depth limit of 50
 * that an implementation growing the stack per call would hit at once;
 * several results, references and a tail call out of a block (the spec
 * tests have none of the first); an endless chain of tail calls still stops at its deadline; the proposal
 * turned off refuses them at validation; tail calls into a unit without
 * them (through a shared table) and into a host function; a callee with
 * more arguments than the area holds is refused; and a unit without tail calls
 * gains nothing from them (its calls stay direct C calls). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "engine/decode.h"
#include "engine/emit.h"
#include "engine/engine.h"
#include "wasm_bytes.h"

/* tests/test_tail_call.c's module, made by wat2wasm --enable-tail-call:
 * (module
 *   (type $t (func (param i32) (result i32)))
 *   (table 2 funcref)
 *   (elem (i32.const 0) $iping $ipong)
 *   (func $ping (export "ping") (param $n i64) (param $acc i32) (result i32)
 *     (if (result i32) (i64.eqz (local.get $n))
 *       (then (local.get $acc))
 *       (else (return_call $pong (i32.add (local.get $acc) (i32.const 1))
 *                                (i64.sub (local.get $n) (i64.const 1))
 *                                (f64.const 0.5)))))
 *   (func $pong (param $acc i32) (param $n i64) (param $x f64) (result i32)
 *     (if (result i32) (i64.eqz (local.get $n))
 *       (then (local.get $acc))
 *       (else (return_call $ping (i64.sub (local.get $n) (i64.const 1))
 *                                (i32.add (local.get $acc)
 *                                         (i32.trunc_f64_s (f64.add (local.get $x) (f64.const 1.5))))))))
 *   (func $iping (export "iping") (param $n i32) (result i32)
 *     (if (result i32) (i32.eqz (local.get $n))
 *       (then (i32.const 7))
 *       (else (return_call_indirect (type $t) (i32.sub (local.get $n) (i32.const 1)) (i32.const 1)))))
 *   (func $ipong (param $n i32) (result i32)
 *     (if (result i32) (i32.eqz (local.get $n))
 *       (then (i32.const 8))
 *       (else (return_call_indirect (type $t) (i32.sub (local.get $n) (i32.const 1)) (i32.const 0)))))
 *   (func (export "forever") (param $n i32) (result i32)
 *     (return_call 4 (i32.add (local.get $n) (i32.const 1))))
 * )
 */
static const uint8_t mutual[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x13, 0x03, 0x60, 0x01, 0x7f, 0x01,
    0x7f, 0x60, 0x02, 0x7e, 0x7f, 0x01, 0x7f, 0x60, 0x03, 0x7f, 0x7e, 0x7c, 0x01, 0x7f, 0x03,
    0x06, 0x05, 0x01, 0x02, 0x00, 0x00, 0x00, 0x04, 0x04, 0x01, 0x70, 0x00, 0x02, 0x07, 0x1a,
    0x03, 0x04, 0x70, 0x69, 0x6e, 0x67, 0x00, 0x00, 0x05, 0x69, 0x70, 0x69, 0x6e, 0x67, 0x00,
    0x02, 0x07, 0x66, 0x6f, 0x72, 0x65, 0x76, 0x65, 0x72, 0x00, 0x04, 0x09, 0x08, 0x01, 0x00,
    0x41, 0x00, 0x0b, 0x02, 0x02, 0x03, 0x0a, 0x7b, 0x05, 0x20, 0x00, 0x20, 0x00, 0x50, 0x04,
    0x7f, 0x20, 0x01, 0x05, 0x20, 0x01, 0x41, 0x01, 0x6a, 0x20, 0x00, 0x42, 0x01, 0x7d, 0x44,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0x3f, 0x12, 0x01, 0x0b, 0x0b, 0x22, 0x00, 0x20,
    0x01, 0x50, 0x04, 0x7f, 0x20, 0x00, 0x05, 0x20, 0x01, 0x42, 0x01, 0x7d, 0x20, 0x00, 0x20,
    0x02, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x3f, 0xa0, 0xaa, 0x6a, 0x12, 0x00,
    0x0b, 0x0b, 0x15, 0x00, 0x20, 0x00, 0x45, 0x04, 0x7f, 0x41, 0x07, 0x05, 0x20, 0x00, 0x41,
    0x01, 0x6b, 0x41, 0x01, 0x13, 0x00, 0x00, 0x0b, 0x0b, 0x15, 0x00, 0x20, 0x00, 0x45, 0x04,
    0x7f, 0x41, 0x08, 0x05, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x41, 0x00, 0x13, 0x00, 0x00, 0x0b,
    0x0b, 0x09, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x12, 0x04, 0x0b,
};

/* Two units sharing the host's table: a tail call into a unit without tail
 * calls (its funcref has no tail entry) and into a host function. */
/*
 * (module
 *   (import "env" "t" (table 2 funcref))
 *   (elem (i32.const 0) $g)
 *   (func $g (param i32) (result i32) (i32.add (i32.mul (local.get 0) (i32.const 2)) (i32.const 1))))
 */
static const uint8_t plainref[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01,
    0x7f, 0x02, 0x0b, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x74, 0x01, 0x70, 0x00, 0x02, 0x03,
    0x02, 0x01, 0x00, 0x09, 0x07, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x00, 0x0a, 0x0c, 0x01,
    0x0a, 0x00, 0x20, 0x00, 0x41, 0x02, 0x6c, 0x41, 0x01, 0x6a, 0x0b,
};
/*
 * (module
 *   (type $t (func (param i32) (result i32)))
 *   (import "env" "h" (func $h (param i32) (result i32)))
 *   (import "env" "t" (table 2 funcref))
 *   (func (export "via") (param i32) (result i32)
 *     (return_call_indirect (type $t) (local.get 0) (i32.const 0)))
 *   (func (export "host") (param i32) (result i32)
 *     (return_call $h (i32.add (local.get 0) (i32.const 1)))))
 */
static const uint8_t tailer[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01,
    0x7f, 0x02, 0x13, 0x02, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x68, 0x00, 0x00, 0x03, 0x65, 0x6e,
    0x76, 0x01, 0x74, 0x01, 0x70, 0x00, 0x02, 0x03, 0x03, 0x02, 0x00, 0x00, 0x07, 0x0e, 0x02,
    0x03, 0x76, 0x69, 0x61, 0x00, 0x01, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x00, 0x02, 0x0a, 0x15,
    0x02, 0x09, 0x00, 0x20, 0x00, 0x41, 0x00, 0x13, 0x00, 0x00, 0x0b, 0x09, 0x00, 0x20, 0x00,
    0x41, 0x01, 0x6a, 0x12, 0x00, 0x0b,
};

/* Multiple results, references and a tail call out of a block, made by
 * wat2wasm --enable-tail-call:
 * (module
 *   (table $t 2 funcref)
 *   (elem (table $t) (i32.const 0) func $pair $swap)
 *   (type $p (func (param i32 i64) (result i64 i32)))
 *   (func $pair (param i32 i64) (result i64 i32) (local.get 1) (local.get 0))
 *   (func $swap (param i32 i64) (result i64 i32)
 *     (return_call_indirect $t (type $p) (i32.add (local.get 0) (i32.const 1)) (i64.add (local.get 1) (i64.const 1)) (i32.const 0)))
 *   (func (export "mv") (param i32 i64) (result i64 i32)
 *     (if (i32.gt_u (local.get 0) (i32.const 100)) (then (return_call $pair (local.get 0) (local.get 1))))
 *     (return_call_indirect $t (type $p) (local.get 0) (local.get 1) (i32.const 1)))
 *   (func $r (param externref funcref) (result externref) (local.get 0))
 *   (func (export "refs") (param externref) (result externref)
 *     (return_call $r (local.get 0) (ref.func $pair)))
 *   (func (export "count") (param i32) (result i32)
 *     (local i32)
 *     (local.set 1 (i32.mul (local.get 0) (i32.const 2)))
 *     (block (br_if 0 (i32.eqz (local.get 0))) (return_call 5 (i32.sub (local.get 0) (i32.const 1))))
 *     (local.get 1))
 * )
 */
static const uint8_t values[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x18, 0x04, 0x60, 0x02, 0x7f, 0x7e,
    0x02, 0x7e, 0x7f, 0x60, 0x02, 0x6f, 0x70, 0x01, 0x6f, 0x60, 0x01, 0x6f, 0x01, 0x6f, 0x60,
    0x01, 0x7f, 0x01, 0x7f, 0x03, 0x07, 0x06, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x04,
    0x01, 0x70, 0x00, 0x02, 0x07, 0x15, 0x03, 0x02, 0x6d, 0x76, 0x00, 0x02, 0x04, 0x72, 0x65,
    0x66, 0x73, 0x00, 0x04, 0x05, 0x63, 0x6f, 0x75, 0x6e, 0x74, 0x00, 0x05, 0x09, 0x08, 0x01,
    0x00, 0x41, 0x00, 0x0b, 0x02, 0x00, 0x01, 0x0a, 0x60, 0x06, 0x06, 0x00, 0x20, 0x01, 0x20,
    0x00, 0x0b, 0x11, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x20, 0x01, 0x42, 0x01, 0x7c, 0x41,
    0x00, 0x13, 0x00, 0x00, 0x0b, 0x1a, 0x00, 0x20, 0x00, 0x41, 0xe4, 0x00, 0x4b, 0x04, 0x40,
    0x20, 0x00, 0x20, 0x01, 0x12, 0x00, 0x0b, 0x20, 0x00, 0x20, 0x01, 0x41, 0x01, 0x13, 0x00,
    0x00, 0x0b, 0x04, 0x00, 0x20, 0x00, 0x0b, 0x08, 0x00, 0x20, 0x00, 0xd2, 0x00, 0x12, 0x03,
    0x0b, 0x1c, 0x01, 0x01, 0x7f, 0x20, 0x00, 0x41, 0x02, 0x6c, 0x21, 0x01, 0x02, 0x40, 0x20,
    0x00, 0x45, 0x0d, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x12, 0x05, 0x0b, 0x20, 0x01, 0x0b,
};

#define CHAIN 10000000

static wc_instance *instance(wc_module *m, uint32_t timeout_ms)
{
    wc_instance_config config = {.max_call_depth = 50, .timeout_ms = timeout_ms};
    wc_instance *inst = NULL;
    wc_error err = {0};
    if (wc_instance_new(m, &config, NULL, 0, &inst, NULL, &err) != 0)
        CHECK(0, "instance: %s", err.msg);
    return inst;
}

/* values' functions: results in the area, several and of every kind. */
static void test_values(wc_engine *engine, const char *name)
{
    wc_module *m = NULL;
    wc_error err = {0};
    if (wc_module_new(engine, values, sizeof values, &m, &err) != 0) {
        CHECK(0, "%s tier: module: %s", name, err.msg);
        return;
    }
    wc_instance *inst = instance(m, 0);
    if (inst) {
        wc_value args[2] = {{.i32 = 5}, {.i64 = 7}}, results[2] = {{0}, {0}};
        wc_trap trap = wc_instance_call(inst, "mv", args, results, &err);
        CHECK(trap == WC_TRAP_NONE && results[0].i64 == 8 && results[1].i32 == 6,
              "%s tier: mv(5, 7) gave %s, %llu %u", name, wc_trap_name(trap), (unsigned long long)results[0].i64,
              results[1].i32);
        args[0].i32 = 500;
        trap = wc_instance_call(inst, "mv", args, results, &err);
        CHECK(trap == WC_TRAP_NONE && results[0].i64 == 7 && results[1].i32 == 500,
              "%s tier: mv(500, 7) gave %s, %llu %u", name, wc_trap_name(trap), (unsigned long long)results[0].i64,
              results[1].i32);
        int token;
        wc_value ref = {.externref = &token};
        trap = wc_instance_call(inst, "refs", &ref, results, &err);
        CHECK(trap == WC_TRAP_NONE && results[0].externref == &token, "%s tier: refs gave %s", name,
              wc_trap_name(trap));
        wc_value n = {.i32 = 1000000};
        trap = wc_instance_call(inst, "count", &n, results, &err);
        CHECK(trap == WC_TRAP_NONE && results[0].i32 == 0, "%s tier: count gave %s, %u", name, wc_trap_name(trap),
              results[0].i32);
        wc_instance_free(inst);
    }
    wc_module_release(m);
}

static void test_tier(wc_tier tier, const char *name)
{
    wc_engine_config cfg;
    wc_engine_config_default(&cfg);
    cfg.tier = tier;
    cfg.cache_dir = "";
    wc_engine *engine = NULL;
    wc_module *m = NULL;
    wc_error err = {0};
    if (wc_engine_new(&cfg, &engine, &err) != 0) {
        CHECK(0, "engine: %s", err.msg);
        return;
    }
    if (wc_module_new(engine, mutual, sizeof mutual, &m, &err) != 0) {
        CHECK(0, "%s tier: module: %s", name, err.msg);
        wc_engine_free(engine);
        return;
    }
    wc_instance *inst = instance(m, 0);
    if (inst) {
        /* ping adds 1 and pong 2 (0.5 + 1.5) as they count n down */
        wc_value args[2] = {{.i64 = CHAIN}, {.i32 = 0}}, result = {0};
        wc_trap trap = wc_instance_call(inst, "ping", args, &result, &err);
        CHECK(trap == WC_TRAP_NONE, "%s tier: ping gave %s", name, wc_trap_name(trap));
        CHECK(result.i32 == CHAIN / 2 * 3, "%s tier: ping gave %u, not %u", name, result.i32, CHAIN / 2 * 3);

        wc_value n = {.i32 = CHAIN + 1};
        trap = wc_instance_call(inst, "iping", &n, &result, &err);
        CHECK(trap == WC_TRAP_NONE, "%s tier: iping gave %s", name, wc_trap_name(trap));
        CHECK(result.i32 == 8, "%s tier: iping ended in %u, not in ipong's 8", name, result.i32);

        /* the instance stays usable after many chains */
        n.i32 = 4;
        trap = wc_instance_call(inst, "iping", &n, &result, &err);
        CHECK(trap == WC_TRAP_NONE && result.i32 == 7, "%s tier: iping(4) gave %s, %u", name,
              wc_trap_name(trap), result.i32);
        wc_instance_free(inst);
    }
    inst = instance(m, 50);
    if (inst) {
        wc_value n = {.i32 = 0}, result = {0};
        wc_trap trap = wc_instance_call(inst, "forever", &n, &result, &err);
        CHECK(trap == WC_TRAP_DEADLINE, "%s tier: an endless chain of tail calls gave %s", name,
              wc_trap_name(trap));
        wc_instance_free(inst);
    }
    wc_module_release(m);
    test_values(engine, name);
    wc_engine_free(engine);
}

static wc_trap host_triple(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    (void)caller;
    (void)env;
    results[0].i32 = args[0].i32 * 3;
    return WC_TRAP_NONE;
}

static void test_across_units(wc_tier tier, const char *name)
{
    wc_engine_config cfg;
    wc_engine_config_default(&cfg);
    cfg.tier = tier;
    cfg.cache_dir = "";
    wc_engine *engine = NULL;
    wc_table *table = NULL;
    wc_module *a = NULL, *b = NULL;
    wc_instance *ia = NULL, *ib = NULL;
    wc_error err = {0};
    if (wc_engine_new(&cfg, &engine, &err) != 0 || wc_table_new(engine, WC_VT_FUNCREF, 2, 2, true, &table, &err) != 0 ||
        wc_module_new(engine, plainref, sizeof plainref, &a, &err) != 0 ||
        wc_module_new(engine, tailer, sizeof tailer, &b, &err) != 0) {
        CHECK(0, "%s tier: setup: %s", name, err.msg);
        goto done;
    }
    wc_import_binding bindings[] = {
        WC_HOST_FUNC("env", "h", "i", "i", host_triple, NULL),
        {.module = "env", .name = "t", .ext = {.kind = WC_EXTERN_TABLE, .u.table = table}},
    };
    wc_instance_config config = {.max_call_depth = 50};
    if (wc_instance_new(a, &config, bindings + 1, 1, &ia, NULL, &err) != 0 ||
        wc_instance_new(b, &config, bindings, 2, &ib, NULL, &err) != 0) {
        CHECK(0, "%s tier: instances: %s", name, err.msg);
        goto done;
    }
    wc_value n = {.i32 = 20}, result = {0};
    wc_trap trap = wc_instance_call(ib, "via", &n, &result, &err);
    CHECK(trap == WC_TRAP_NONE && result.i32 == 41, "%s tier: a tail call into a unit without them gave %s, %u",
          name, wc_trap_name(trap), result.i32);
    trap = wc_instance_call(ib, "host", &n, &result, &err);
    CHECK(trap == WC_TRAP_NONE && result.i32 == 63, "%s tier: a tail call of a host function gave %s, %u", name,
          wc_trap_name(trap), result.i32);
done:
    if (ib)
        wc_instance_free(ib);
    if (ia)
        wc_instance_free(ia);
    if (b)
        wc_module_release(b);
    if (a)
        wc_module_release(a);
    if (table)
        wc_table_free(table);
    wc_engine_free(engine);
}

/* Off, the proposal's opcodes are illegal, as in WebAssembly 2.0. */
static void test_refused_when_off(void)
{
    wc_decode_limits limits;
    wc_decode_limits_default(&limits);
    limits.disabled_features = WC_FEATURE_TAIL_CALL;
    wc_module_info *info = NULL;
    wc_error err = {0};
    int rc = wc_decode(mutual, sizeof mutual, &limits, &info, &err);
    CHECK(rc != 0 && strstr(err.msg, "tail calls"), "tail calls turned off: rc %d, %s", rc, err.msg);
    if (rc == 0)
        wc_module_info_free(info);
}

/* Starts module with its header and the types 0 = (i32 x np) -> () and
 * 1 = () -> (), using body as scratch; returns the module's length. */
static size_t start_wide_type_module(uint8_t *module, uint8_t *body, uint32_t np)
{
    size_t n = 8, m = 0;
    memcpy(module, "\0asm\1\0\0\0", 8);
    put_u32(body, &m, 2);
    body[m++] = 0x60;
    put_u32(body, &m, np);
    memset(body + m, 0x7f, np);
    m += np;
    body[m++] = 0x00;
    body[m++] = 0x60, body[m++] = 0x00, body[m++] = 0x00;
    put_section(module, &n, 1, body, m);
    return n;
}

/* A tail call carries its arguments through an area of
 * WC_TAIL_CALL_MAX_VALUES values: a callee with more parameters is refused
 * at validation even when the limits allow such a type (otherwise the
 * arguments would be written past the area). */
static void test_area_bound(void)
{
    const uint32_t params[] = {WC_TAIL_CALL_MAX_VALUES, WC_TAIL_CALL_MAX_VALUES + 1};
    for (size_t k = 0; k < 2; k++) {
        uint32_t np = params[k];
        static uint8_t module[16384], body[8192];
        size_t n = start_wide_type_module(module, body, np), m = 0;
        /* functions: f of type 0, g of type 1 */
        m = 0;
        body[m++] = 2, body[m++] = 0, body[m++] = 1;
        put_section(module, &n, 3, body, m);
        /* code: f is empty; g is (return_call f (i32.const 0) ... np times) */
        uint8_t g[4096];
        size_t gn = 0;
        g[gn++] = 0x00; /* no locals */
        for (uint32_t i = 0; i < np; i++)
            g[gn++] = 0x41, g[gn++] = 0x00;
        g[gn++] = 0x12, g[gn++] = 0x00, g[gn++] = 0x0b;
        m = 0;
        body[m++] = 2;
        body[m++] = 2, body[m++] = 0x00, body[m++] = 0x0b;
        put_u32(body, &m, (uint32_t)gn);
        memcpy(body + m, g, gn);
        m += gn;
        put_section(module, &n, 10, body, m);

        wc_decode_limits limits;
        wc_decode_limits_default(&limits);
        limits.max_type_arity = 2 * WC_TAIL_CALL_MAX_VALUES;
        wc_module_info *info = NULL;
        wc_error err = {0};
        int rc = wc_decode(module, n, &limits, &info, &err);
        if (np <= WC_TAIL_CALL_MAX_VALUES)
            CHECK(rc == 0, "a tail call with %u arguments was refused: %s", np, err.msg);
        else
            CHECK(rc != 0 && strstr(err.msg, "return_call"), "a tail call with %u arguments: rc %d, %s", np, rc,
                  err.msg);
        if (rc == 0)
            wc_module_info_free(info);
    }
}

/* A function making a tail call is entered through its wrapper, which
 * stores the function's own arguments in the same area: a function of more
 * than WC_TAIL_CALL_MAX_VALUES parameters making one is refused too, even
 * when its callee takes none (it was accepted, and its wrapper wrote past
 * the thread's area). */
static void test_area_bound_caller(void)
{
    const uint32_t params[] = {WC_TAIL_CALL_MAX_VALUES, WC_TAIL_CALL_MAX_VALUES + 2};
    for (size_t k = 0; k < 2; k++) {
        uint32_t np = params[k];
        static uint8_t module[16384], body[8192];
        size_t n = start_wide_type_module(module, body, np);
        /* functions: f of type 0, g of type 1; code: f is (return_call g), g is empty */
        static const uint8_t funcs[] = {2, 0, 1}, code[] = {2, 4, 0x00, 0x12, 0x01, 0x0b, 2, 0x00, 0x0b};
        put_section(module, &n, 3, funcs, sizeof funcs);
        put_section(module, &n, 10, code, sizeof code);

        wc_decode_limits limits;
        wc_decode_limits_default(&limits);
        limits.max_type_arity = 2 * WC_TAIL_CALL_MAX_VALUES;
        wc_module_info *info = NULL;
        wc_error err = {0};
        int rc = wc_decode(module, n, &limits, &info, &err);
        if (np <= WC_TAIL_CALL_MAX_VALUES)
            CHECK(rc == 0, "a function of %u parameters making a tail call was refused: %s", np, err.msg);
        else
            CHECK(rc == WC_ETOOBIG && strstr(err.msg, "tail call"),
                  "a function of %u parameters making a tail call: rc %d, %s", np, rc, err.msg);
        if (rc == 0)
            wc_module_info_free(info);
    }
}

/* A unit without tail calls has no tail entries and funcrefs without one. */
static void test_no_cost_without(void)
{
    /* (table 1 funcref) (elem (i32.const 0) 0) (func (export "f")) */
    static const uint8_t plain[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
        0x03, 0x02, 0x01, 0x00, 0x04, 0x04, 0x01, 0x70, 0x00, 0x01, 0x07, 0x05, 0x01, 0x01,
        'f',  0x00, 0x00, 0x09, 0x07, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x00, 0x0a, 0x04,
        0x01, 0x02, 0x00, 0x0b,
    };
    const struct {
        const uint8_t *bytes;
        size_t size;
        bool tail;
    } units[] = {{plain, sizeof plain, false}, {mutual, sizeof mutual, true}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        wc_module_info *info = NULL;
        wc_error err = {0};
        if (wc_decode(units[i].bytes, units[i].size, NULL, &info, &err) != 0) {
            CHECK(0, "decode: %s", err.msg);
            continue;
        }
        wc_buf source;
        wc_buf_init(&source);
        CHECK(wc_emit(info, false, &source, &err) == 0, "emit: %s", err.msg);
        const char *text = wc_buf_cstr(&source);
        CHECK(text && (strstr(text, "fn0_tail") != NULL) == units[i].tail, "unit %zu: tail entries %s", i,
              units[i].tail ? "missing" : "emitted without tail calls");
        wc_buf_free(&source);
        wc_module_info_free(info);
    }
}

int main(void)
{
    test_refused_when_off();
    test_area_bound();
    test_area_bound_caller();
    test_no_cost_without();
    test_tier(WC_TIER_FAST, "fast");
    test_tier(WC_TIER_OPTIMIZED, "optimized");
    test_across_units(WC_TIER_FAST, "fast");
    test_across_units(WC_TIER_OPTIMIZED, "optimized");
    if (failures) {
        printf("test_tail_call: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test_tail_call: %d checks passed\n", checks);
    return 0;
}
