/* test_emit.c -- the engine's C emitter (src/engine/emit*.c): the shape of
 * what it writes for libtcc (pure expressions folded, interrupt checks in
 * place), and behaviour that only holds if the emitted C keeps it on both
 * tiers: a load whose value is dropped still traps (gcc would delete it),
 * and a loop with no call in it still stops at its deadline. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "engine/decode.h"
#include "engine/emit.h"
#include "engine/engine.h"

/* (func (export "f") (param i32 i32) (result i32)
 *   local.get 0 local.get 1 i32.add i32.const 3 i32.mul) */
static const uint8_t arith[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f,
    0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x05, 0x01, 0x01, 'f',  0x00, 0x00, 0x0a, 0x0c,
    0x01, 0x0a, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x41, 0x03, 0x6c, 0x0b,
};

/* (func (export "spin") (loop (br 0))) */
static const uint8_t spin[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
    0x03, 0x02, 0x01, 0x00, 0x07, 0x08, 0x01, 0x04, 's',  'p',  'i',  'n',  0x00, 0x00,
    0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b,
};

/* (memory 1) (func (export "g") (drop (i32.load (i32.const 70000)))) */
static const uint8_t dropped_load[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
    0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x05, 0x01, 0x01, 'g',
    0x00, 0x00, 0x0a, 0x0c, 0x01, 0x0a, 0x00, 0x41, 0xf0, 0xa2, 0x04, 0x28, 0x02, 0x00,
    0x1a, 0x0b,
};

/* (memory 1) (func (export "s") (i32.store (i32.const 8) (i32.const 1))) */
static const uint8_t store[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
    0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x05, 0x01, 0x01, 's',
    0x00, 0x00, 0x0a, 0x0b, 0x01, 0x09, 0x00, 0x41, 0x08, 0x41, 0x01, 0x36, 0x02, 0x00,
    0x0b,
};

/* (memory 1)
 * (func (export "c") (i32.store offset=8 (i32.const 0xfffffffc) (i32.const 1)))
 * (func (export "p") (param i32) (result i32) (i32.load offset=4 (local.get 0))):
 * address + offset past 4 GiB, which must not wrap to a small address */
static const uint8_t wrap[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x09, 0x02, 0x60, 0x00, 0x00, 0x60, 0x01,
    0x7f, 0x01, 0x7f, 0x03, 0x03, 0x02, 0x00, 0x01, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x09, 0x02,
    0x01, 0x63, 0x00, 0x00, 0x01, 0x70, 0x00, 0x01, 0x0a, 0x13, 0x02, 0x09, 0x00, 0x41, 0x7c, 0x41,
    0x01, 0x36, 0x02, 0x08, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x28, 0x02, 0x04, 0x0b,
};

/* (func $twice (param i32) (result i32) (i32.shl (local.get 0) (i32.const 33)))
 * (func (export "q") (param i32) (result i32) (local i32)
 *   (local.set 1 (call $twice (local.get 0)))
 *   (block (br_if 0 (i32.lt_s (local.get 0) (i32.const 5)))
 *     (local.set 1 (i32.add (local.get 1) (i32.const 100))))
 *   (local.get 1)): q(3) = 6, q(7) = 114 */
static const uint8_t peephole[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x03, 0x03, 0x02, 0x00, 0x00, 0x07, 0x05, 0x01, 0x01, 0x71, 0x00, 0x01, 0x0a, 0x28, 0x02, 0x07,
    0x00, 0x20, 0x00, 0x41, 0x21, 0x74, 0x0b, 0x1e, 0x01, 0x01, 0x7f, 0x20, 0x00, 0x10, 0x00, 0x21,
    0x01, 0x02, 0x40, 0x20, 0x00, 0x41, 0x05, 0x48, 0x0d, 0x00, 0x20, 0x01, 0x41, 0xe4, 0x00, 0x6a,
    0x21, 0x01, 0x0b, 0x20, 0x01, 0x0b,
};

/* (func (export "big") (local i32 ... 200 of them)): a frame that may be
 * past a page (32 bytes a value, the bound libtcc's probe is skipped under) */
static const uint8_t many_locals[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
    0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 'b',  'i',  'g',  0x00, 0x00, 0x0a,
    0x07, 0x01, 0x05, 0x01, 0xc8, 0x01, 0x7f, 0x0b,
};

/* The unit emitted for bytes (for gcc, or for libtcc; writes tracked or
 * not); NULL (said) when it cannot be. */
static char *emitted(const uint8_t *bytes, size_t size, bool for_tcc, bool track_writes)
{
    wc_module_info *info = NULL;
    wc_error err = {0};
    if (wc_decode(bytes, size, NULL, &info, &err) != 0) {
        CHECK(0, "decode: %s", err.msg);
        return NULL;
    }
    wc_buf source;
    wc_buf_init(&source);
    int rc = (for_tcc ? wc_emit_for_tcc : wc_emit)(info, track_writes, &source, &err);
    CHECK(rc == 0, "emit: %s", err.msg);
    wc_module_info_free(info);
    char *text = rc == 0 ? wc_buf_cstr(&source) : NULL;
    if (!text)
        wc_buf_free(&source);
    return text;
}

static size_t count(const char *text, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(text, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

static void test_shape(void)
{
    char *text = emitted(arith, sizeof arith, false, false);
    if (text) {
        /* one expression, no statement per stack operation */
        CHECK(strstr(text, "return ((l0 + l1) * 3u);"), "the body was not folded:\n%s",
              strstr(text, "static u32 fn0(wc_inst *instance, u32 l0, u32 l1) {") ?: text);
        CHECK(count(text, "  IRQ;\n") == 1, "one interrupt check, at the entry");
    }
    free(text);
    text = emitted(spin, sizeof spin, false, false);
    if (text) {
        CHECK(strstr(text, "  IRQ_GOTO(L"), "no interrupt check on the back-edge");
        CHECK(count(text, "  IRQ;\n") == 1 && count(text, "  IRQ_GOTO(L") == 1,
              "checks at the entry and the back-edge");
    }
    free(text);
}

/* libtcc's unit spells out the macros gcc's uses (emit_spelled.c). */
static void test_spelled_for_tcc(void)
{
    static const char spelled_irq[] = "  if (instance->irq) wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE);\n";
    char *text = emitted(spin, sizeof spin, true, false);
    if (text) {
        CHECK(count(text, spelled_irq) == 2, "libtcc's unit: checks at the entry and the back-edge");
        CHECK(count(text, "  IRQ;\n") == 0, "libtcc's unit expands IRQ");
        const char *body = strstr(text, "static void fn0(wc_inst *instance) {");
        CHECK(body && !strstr(body, "STACK_PROBE"), "libtcc's unit probes no frame smaller than a page:\n%s",
              body ?: text);
        CHECK(body && strstr(body, "  wc_rt_hdr *H = (wc_rt_hdr *)instance - 1;\n  if (++H->depth > H->max_depth ||") &&
                  !strstr(body, "FUNC_"),
              "libtcc's unit checks the call depth through H, without the macros:\n%s", body ?: text);
    }
    free(text);
    text = emitted(many_locals, sizeof many_locals, true, false);
    CHECK(text && strstr(text, "static void fn0(wc_inst *instance) {\n  STACK_PROBE;\n"),
          "libtcc's unit probes a frame that may reach a page:\n%s", text ?: "");
    free(text);
    text = emitted(dropped_load, sizeof dropped_load, true, false);
    if (text) {
        const char *body = strstr(text, "static void fn0(wc_inst *instance) {");
        CHECK(body && strstr(body, "  i0 = *(wc_u32*)(M+70000u);\n"),
              "libtcc's unit reads memory directly:\n%s", body ?: text);
        CHECK(body && !strstr(body, "LD("), "libtcc's unit expands LD");
    }
    free(text);
    text = emitted(dropped_load, sizeof dropped_load, false, false);
    if (text) {
        const char *body = strstr(text, "static void fn0(wc_inst *instance) {");
        CHECK(body && strstr(body, "LD(u32, (u64)70000u)"), "gcc's unit keeps LD (its asm)");
    }
    free(text);
    /* a tracked store marks its page through memory 0's map read once per function */
    text = emitted(store, sizeof store, true, true);
    if (text) {
        const char *body = strstr(text, "static void fn0(wc_inst *instance) {");
        /* its first byte's page only (freeing zeroes what a store spills
         * into the next page), through the map read once */
        CHECK(body && strstr(body, "  u32 *const wc_D = (&instance->m0)->dirty;\n") &&
                  strstr(body, "  *(wc_u32*)(M+8u) = 1u;\n"
                               "  wc_D[8u>>12]=1;\n"
                               "  --H->depth; return;\n"),
              "libtcc's unit stores and marks the pages directly:\n%s", body ?: text);
        CHECK(body && !strstr(body, "WC_DIRTY(") && !strstr(body, "ST("), "libtcc's unit expands ST, WC_DIRTY");
    }
    free(text);
    /* libtcc's addresses step the pointer: M+a+off, a constant one added up */
    text = emitted(wrap, sizeof wrap, true, true);
    if (text) {
        CHECK(strstr(text, "  *(wc_u32*)(M+4294967300ull) = 1u;\n  wc_D[4294967300ull>>12]=1;\n"),
              "libtcc's unit adds a constant address and its offset in 64 bits:\n%s", text);
        CHECK(strstr(text, "*(wc_u32*)(M+l0+4u)"), "libtcc's unit steps M by the address, then the offset:\n%s",
              text);
    }
    free(text);
    /* fewer tokens for libtcc: a shift by a constant masked, a call's result
     * straight into the local it is set to, a comparison's cast and a
     * lone goto's braces dropped, an assignment's outer parentheses */
    text = emitted(peephole, sizeof peephole, true, false);
    if (text) {
        CHECK(strstr(text, "  return l0 << 1;\n") || strstr(text, "return (l0 << 1);"),
              "libtcc's unit masks a constant shift count:\n%s", text);
        CHECK(strstr(text, "  l1 = fn0(instance, l0);\n") && !strstr(text, "l1 = i0;"),
              "libtcc's unit sets a call's result straight into its local:\n%s", text);
        CHECK(strstr(text, "  if ((s32)l0 < (s32)5u) goto L"), "libtcc's unit branches on the bare comparison:\n%s",
              text);
        CHECK(strstr(text, "  l1 = l1 + 100u;\n"), "libtcc's unit assigns without the outer parentheses:\n%s",
              text);
    }
    free(text);
    text = emitted(store, sizeof store, false, true);
    if (text) {
        const char *body = strstr(text, "static void fn0(wc_inst *instance) {");
        CHECK(body && strstr(body, "  u32 *const wc_D = (&instance->m0)->dirty;\n") &&
                  strstr(body, "  ST(u32, (u64)8u, 1u);\n  wc_D[((u64)8u) >> 12] = 1;\n  FUNC_EPILOGUE"),
              "gcc's unit stores through ST and marks through the map read once:\n%s", body ?: text);
    }
    free(text);
}

/* (func (export "k") (param v128 v128) (result v128) (local v128)
 *   (local.set 2 (v128.and (local.get 0) (local.get 1)))
 *   (i32x4.add (local.get 2) (local.get 1))) */
static const uint8_t simd_kernel[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7b, 0x7b,
    0x01, 0x7b, 0x03, 0x02, 0x01, 0x00, 0x07, 0x05, 0x01, 0x01, 0x6b, 0x00, 0x00, 0x0a, 0x15,
    0x01, 0x13, 0x01, 0x01, 0x7b, 0x20, 0x00, 0x20, 0x01, 0xfd, 0x4e, 0x21, 0x02, 0x20, 0x02,
    0x20, 0x01, 0xfd, 0xae, 0x01, 0x0b,
};

/* libtcc copies every struct it assigns with a call of memmove: its SIMD
 * code works on a v128's halves in place (emit_simd_tcc.c), inline or
 * through a helper that takes pointers, and copies a v128 half by half;
 * gcc's unit calls the vector helpers by value. */
static void test_simd_for_tcc(void)
{
    char *text = emitted(simd_kernel, sizeof simd_kernel, true, false);
    const char *body = text ? strstr(text, "static v128 fn0(") : NULL;
    CHECK(body && strstr(body, "  V0.lo = (l0.lo & l1.lo); V0.hi = (l0.hi & l1.hi);\n"
                               "  l2.lo = V0.lo; l2.hi = V0.hi;\n"
                               "  wc_rt_simd_i32x4_add(&V0, &l2, &l1);\n"),
          "libtcc's SIMD on halves and by pointer:\n%s", body ?: text ?: "");
    const char *code = body ? strstr(body, "wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);") : NULL;
    CHECK(code && !strstr(code, "l2 = ") && !strstr(code, "V0 = "), "libtcc's unit assigns no v128 whole");
    CHECK(text && strstr(text, "void wc_rt_simd_i32x4_add(v128 *, const v128 *, const v128 *);\n") &&
              !strstr(text, "wc_rt_simd_v128_and("),
          "libtcc's unit declares the helpers it may call, by pointer");
    free(text);
    text = emitted(simd_kernel, sizeof simd_kernel, false, false);
    CHECK(text && strstr(text, "SIMD(i32x4_add)(l2, l1)"), "gcc's unit calls the vector helper");
    free(text);
}

static wc_module *module(wc_engine *engine, const uint8_t *bytes, size_t size)
{
    wc_module *m = NULL;
    wc_error err = {0};
    int rc = wc_module_new(engine, bytes, size, &m, &err);
    CHECK(rc == 0, "module: %s", err.msg);
    return m;
}

static wc_trap call(wc_module *m, const char *name, uint32_t timeout_ms)
{
    wc_instance_config config = {.timeout_ms = timeout_ms};
    wc_instance *inst = NULL;
    wc_error err = {0};
    if (wc_instance_new(m, &config, NULL, 0, &inst, NULL, &err) != 0) {
        CHECK(0, "instance: %s", err.msg);
        return WC_TRAP_NONE;
    }
    wc_trap trap = wc_instance_call(inst, name, NULL, NULL, &err);
    wc_instance_free(inst);
    return trap;
}

/* A module with one memory of 17 pages and, at address 16, an active data
 * segment of `n` bytes (n < 2^21); its bytes go to *size. */
static uint8_t *data_module(const uint8_t *data, uint32_t n, size_t *size)
{
    static const uint8_t head[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x03, 0x01, 0x00, 0x11};
    uint8_t *b = malloc(sizeof head + 16 + n);
    if (!b)
        return NULL;
    memcpy(b, head, sizeof head);
    size_t len = sizeof head;
    uint32_t body = 1 + 4 + 3 + n; /* count, flags + i32.const 16 + end, size, bytes */
    b[len++] = 0x0b;
    b[len++] = (uint8_t)(0x80 | (body & 0x7f)), b[len++] = (uint8_t)(0x80 | ((body >> 7) & 0x7f));
    b[len++] = (uint8_t)(body >> 14);
    static const uint8_t segment[] = {0x01, 0x00, 0x41, 0x10, 0x0b};
    memcpy(b + len, segment, sizeof segment);
    len += sizeof segment;
    b[len++] = (uint8_t)(0x80 | (n & 0x7f)), b[len++] = (uint8_t)(0x80 | ((n >> 7) & 0x7f));
    b[len++] = (uint8_t)(n >> 14);
    memcpy(b + len, data, n);
    *size = len + n;
    return b;
}

/* A data segment is read from the module's bytes, not written into the
 * unit as C text: a megabyte of data made a unit of megabytes, which
 * libtcc parsed for seconds under its lock (a 60 MiB segment: 7 s). */
static void test_data_not_in_unit(void)
{
    enum { n = 1 << 20 };
    uint8_t *data = malloc(n);
    if (!data)
        return;
    for (uint32_t i = 0; i < n; i++)
        data[i] = (uint8_t)(i * 2654435761u >> 24);
    size_t size;
    uint8_t *bytes = data_module(data, n, &size);
    for (int tcc = 0; bytes && tcc < 2; tcc++) {
        char *text = emitted(bytes, size, tcc, false);
        CHECK(text && strlen(text) < n / 8, "%s's unit holds the data segment: %zu bytes of C",
              tcc ? "libtcc" : "gcc", text ? strlen(text) : 0);
        free(text);
    }
    for (int tier = 0; bytes && tier < 2; tier++) {
        wc_engine_config cfg;
        wc_engine_config_default(&cfg);
        cfg.tier = tier ? WC_TIER_OPTIMIZED : WC_TIER_FAST;
        cfg.cache_dir = "";
        wc_engine *engine = NULL;
        wc_module *m = NULL;
        wc_instance *inst = NULL;
        wc_instance_config config = {0};
        wc_error err = {0};
        if (wc_engine_new(&cfg, &engine, &err) != 0 || wc_module_new(engine, bytes, size, &m, &err) != 0 ||
            wc_instance_new(m, &config, NULL, 0, &inst, NULL, &err) != 0) {
            CHECK(0, "data segment, tier %d: %s", tier, err.msg);
        } else {
            const uint8_t *memory = wc_memory_data(wc_instance_memory(inst));
            CHECK(memcmp(memory + 16, data, n) == 0 && memory[15] == 0 && memory[16 + n] == 0,
                  "data segment, tier %d: the memory does not hold it", tier);
        }
        wc_instance_free(inst);
        wc_module_release(m);
        wc_engine_free(engine);
    }
    free(bytes);
    free(data);
}

static void test_tier(wc_tier tier, const char *name)
{
    wc_engine_config cfg;
    wc_engine_config_default(&cfg);
    cfg.tier = tier;
    cfg.cache_dir = "";
    wc_engine *engine = NULL;
    wc_error err = {0};
    if (wc_engine_new(&cfg, &engine, &err) != 0) {
        CHECK(0, "engine: %s", err.msg);
        return;
    }
    wc_module *load = module(engine, dropped_load, sizeof dropped_load);
    if (load) {
        wc_trap trap = call(load, "g", 0);
        CHECK(trap == WC_TRAP_OOB_MEMORY, "%s tier: a dropped out-of-bounds load gave %s", name,
              wc_trap_name(trap));
        wc_module_release(load);
    }
    wc_module *wrapping = module(engine, wrap, sizeof wrap);
    if (wrapping) {
        wc_trap trap = call(wrapping, "c", 0);
        CHECK(trap == WC_TRAP_OOB_MEMORY, "%s tier: a constant address + offset past 4 GiB gave %s", name,
              wc_trap_name(trap));
        wc_instance_config config = {0};
        wc_instance *inst = NULL;
        wc_error err = {0};
        wc_value args[1] = {{.i32 = 0xfffffffeu}}, results[1] = {{0}};
        if (wc_instance_new(wrapping, &config, NULL, 0, &inst, NULL, &err) == 0) {
            trap = wc_instance_call(inst, "p", args, results, &err);
            CHECK(trap == WC_TRAP_OOB_MEMORY, "%s tier: an address + offset past 4 GiB gave %s", name,
                  wc_trap_name(trap));
        }
        wc_instance_free(inst);
        wc_module_release(wrapping);
    }
    wc_module *peep = module(engine, peephole, sizeof peephole);
    for (uint32_t x = 3; peep && x <= 7; x += 4) {
        wc_instance_config config = {0};
        wc_instance *inst = NULL;
        wc_error err = {0};
        wc_value args[1] = {{.i32 = x}}, results[1] = {{0}};
        if (wc_instance_new(peep, &config, NULL, 0, &inst, NULL, &err) == 0) {
            wc_trap trap = wc_instance_call(inst, "q", args, results, &err);
            CHECK(trap == WC_TRAP_NONE && results[0].i32 == (x < 5 ? 2 * x : 2 * x + 100),
                  "%s tier: q(%u) gave %u (%s)", name, x, results[0].i32, wc_trap_name(trap));
        }
        wc_instance_free(inst);
    }
    wc_module_release(peep);
    wc_module *loop = module(engine, spin, sizeof spin);
    if (loop) {
        wc_trap trap = call(loop, "spin", 50);
        CHECK(trap == WC_TRAP_DEADLINE, "%s tier: a spinning loop gave %s", name, wc_trap_name(trap));
        wc_module_release(loop);
    }
    wc_engine_free(engine);
}

int main(void)
{
    test_shape();
    test_spelled_for_tcc();
    test_simd_for_tcc();
    test_data_not_in_unit();
    test_tier(WC_TIER_FAST, "fast");
    test_tier(WC_TIER_OPTIMIZED, "optimized");
    if (failures) {
        printf("test_emit: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test_emit: all %d checks passed\n", checks);
    return 0;
}
