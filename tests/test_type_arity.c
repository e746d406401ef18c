/* test_type_arity.c -- function types as wide as the decoder's limits
 * allow (max_type_arity: 1000 parameters and 1000 results) load and run.
 *
 * Every unit registers its function types when it is loaded.  That was a
 * variadic call with one argument per parameter and result: libtcc gives
 * up past about 250 arguments ("memory full (vstack)"), and the runtime
 * copied them into a 512-byte array and abort()ed past it -- a valid
 * module with a type of 600 parameters killed the process on the optimized
 * tier.  Each module here: g of type (i32 x n) -> () or () -> (i32 x n),
 * and "run" calling it.  A call with more than WC_TCC_MAX_PARAMS (249)
 * arguments is beyond libtcc too, so the fast tier refuses the wider
 * parameter cases (test_call_arity has that limit's shapes).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fast_engine.h"
#include "engine/emit.h"
#include "engine/engine.h"
#include "wasm_bytes.h"

/* The module described at the top, into out (16 KiB is enough). */
static size_t wide_module(uint32_t n, bool results, uint8_t *out)
{
    static uint8_t payload[8192];
    size_t len = 8, p = 0;
    memcpy(out, "\0asm\1\0\0\0", 8);
    /* types: 0 = () -> (), 1 = the wide one */
    payload[p++] = 2, payload[p++] = 0x60, payload[p++] = 0, payload[p++] = 0, payload[p++] = 0x60;
    put_u32(payload, &p, results ? 0 : n);
    if (!results)
        memset(payload + p, 0x7f, n), p += n;
    put_u32(payload, &p, results ? n : 0);
    if (results)
        memset(payload + p, 0x7f, n), p += n;
    put_section(out, &len, 1, payload, p);
    static const uint8_t funcs[] = {2, 0, 1}, exports[] = {1, 3, 'r', 'u', 'n', 0, 0};
    put_section(out, &len, 3, funcs, sizeof funcs);
    put_section(out, &len, 7, exports, sizeof exports);
    /* run: (i32.const 7) x n, call 1 -- or call 1, drop x n; g: its results */
    uint8_t run[4096], g[4096];
    size_t r = 0, q = 0;
    run[r++] = 0;
    g[q++] = 0;
    if (results) {
        run[r++] = 0x10, run[r++] = 1;
        memset(run + r, 0x1a, n), r += n;
        for (uint32_t i = 0; i < n; i++)
            g[q++] = 0x41, g[q++] = 7;
    } else {
        for (uint32_t i = 0; i < n; i++)
            run[r++] = 0x41, run[r++] = 7;
        run[r++] = 0x10, run[r++] = 1;
    }
    run[r++] = 0x0b, g[q++] = 0x0b;
    p = 0;
    payload[p++] = 2;
    put_u32(payload, &p, (uint32_t)r);
    memcpy(payload + p, run, r), p += r;
    put_u32(payload, &p, (uint32_t)q);
    memcpy(payload + p, g, q), p += q;
    put_section(out, &len, 10, payload, p);
    return len;
}

static void test_tier(wc_tier tier, const char *name)
{
    wc_engine *engine = test_tier_engine(tier);
    if (!engine) {
        CHECK(0, "no engine");
        return;
    }
    wc_error err = {0};
    static uint8_t module[16384];
    const uint32_t widths[] = {8, 250, 253, 600, 1000};
    for (int results = 0; results < 2; results++) {
        for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
            uint32_t n = widths[w];
            bool must_load = results || tier == WC_TIER_OPTIMIZED || n <= WC_TCC_MAX_PARAMS;
            size_t size = wide_module(n, results, module);
            wc_module *m = NULL;
            if (wc_module_new(engine, module, size, &m, &err) != 0) {
                CHECK(!must_load, "%s tier: %u %s: %s", name, n, results ? "results" : "parameters", err.msg);
                continue;
            }
            wc_instance_config config = {0};
            wc_instance *inst = NULL;
            if (wc_instance_new(m, &config, NULL, 0, &inst, NULL, &err) != 0) {
                CHECK(0, "%s tier: %u %s: instance: %s", name, n, results ? "results" : "parameters", err.msg);
            } else {
                wc_trap trap = wc_instance_call(inst, "run", NULL, NULL, &err);
                CHECK(trap == WC_TRAP_NONE, "%s tier: %u %s: %s", name, n, results ? "results" : "parameters",
                      wc_trap_name(trap));
                wc_instance_free(inst);
            }
            wc_module_release(m);
        }
    }
    wc_engine_free(engine);
}

int main(void)
{
    test_tier(WC_TIER_FAST, "fast");
    test_tier(WC_TIER_OPTIMIZED, "optimized");
    return check_report();
}
