/* test_call_arity.c -- calls as wide as the fast tier compiles, and wider
 * ones refused cleanly there and run by the optimized tier.
 *
 * libtcc holds a call's callee and all its arguments on a value stack of
 * 256 entries ("memory full (vstack)" past it), and an argument still
 * being evaluated takes more: a valid module with a call of ~250 arguments
 * failed the fast tier with libtcc's own message, at a width that depended
 * on the arguments' expressions.  Now a wide call's arguments are slots,
 * the fast tier refuses a function or call_indirect of more than
 * WC_TCC_MAX_PARAMS parameters with an error that says so, and the auto
 * tier waits for the optimized tier instead.  The widest shape measured is
 * v128 parameters with one result: 249 compile, 250 do not.
 *
 * A v128 operand at stack height 128 was named `v128`, the type's own name:
 * neither compiler took a function passing 129 v128 arguments.
 *
 * Each module: g of type (T x n) -> (i32) exported (so its export glue is
 * compiled), called by "run" directly and through a table
 * (call_indirect), with i32 arguments that are expressions or v128
 * constants.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "engine/emit.h"
#include "engine/engine.h"
#include "fast_engine.h"
#include "wasm_bytes.h"

enum { I32 = 0x7f, V128 = 0x7b };

/* n arguments of g onto the stack, for run (which has one i32 local). */
static void put_arguments(uint8_t *body, size_t *r, uint32_t n, uint8_t vt)
{
    for (uint32_t i = 0; i < n; i++) {
        if (vt == I32) { /* (local.get 0 + 3) * 5 ^ local.get 0 */
            static const uint8_t expr[] = {0x20, 0, 0x41, 3, 0x6a, 0x41, 5, 0x6c, 0x20, 0, 0x73};
            memcpy(body + *r, expr, sizeof expr), *r += sizeof expr;
        } else {
            body[(*r)++] = 0xfd, body[(*r)++] = 0x0c;
            memset(body + *r, (int)(i & 0xff), 16), *r += 16;
        }
    }
}

/* The module described at the top into out (64 KiB); returns its size. */
static size_t wide_call_module(uint32_t n, uint8_t vt, uint8_t *out)
{
    static uint8_t payload[65536], run[65536];
    size_t len = 8, p = 0, r = 0;
    memcpy(out, "\0asm\1\0\0\0", 8);
    payload[p++] = 2, payload[p++] = 0x60, payload[p++] = 0, payload[p++] = 0, payload[p++] = 0x60;
    put_u32(payload, &p, n);
    memset(payload + p, vt, n), p += n;
    payload[p++] = 1, payload[p++] = I32;
    put_section(out, &len, 1, payload, p);
    static const uint8_t funcs[] = {2, 0, 1}, table[] = {1, 0x70, 0, 1},
                         exports[] = {2, 3, 'r', 'u', 'n', 0, 0, 1, 'g', 0, 1},
                         elems[] = {1, 0, 0x41, 0, 0x0b, 1, 1};
    put_section(out, &len, 3, funcs, sizeof funcs);
    put_section(out, &len, 4, table, sizeof table);
    put_section(out, &len, 7, exports, sizeof exports);
    put_section(out, &len, 9, elems, sizeof elems);
    run[r++] = 1, run[r++] = 1, run[r++] = I32; /* one i32 local */
    put_arguments(run, &r, n, vt);
    run[r++] = 0x10, run[r++] = 1, run[r++] = 0x1a;                 /* call g, drop */
    put_arguments(run, &r, n, vt);
    run[r++] = 0x41, run[r++] = 0, run[r++] = 0x11, run[r++] = 1, run[r++] = 0; /* call_indirect */
    run[r++] = 0x1a, run[r++] = 0x0b;
    static const uint8_t g[] = {0, 0x41, 7, 0x0b};
    p = 0;
    payload[p++] = 2;
    put_u32(payload, &p, (uint32_t)r);
    memcpy(payload + p, run, r), p += r;
    put_u32(payload, &p, sizeof g);
    memcpy(payload + p, g, sizeof g), p += sizeof g;
    put_section(out, &len, 10, payload, p);
    return len;
}

/* Loads the module of n parameters of vt on tier and runs it; whether it
 * loaded, with the error in err when not. */
static bool load_and_run(wc_engine *engine, uint32_t n, uint8_t vt, wc_error *err, const char *what)
{
    static uint8_t module[65536 * 2];
    size_t size = wide_call_module(n, vt, module);
    wc_module *m = NULL;
    if (wc_module_new(engine, module, size, &m, err) != 0)
        return false;
    wc_instance_config config = {0};
    wc_instance *inst = NULL;
    wc_error call_err = {0};
    if (wc_instance_new(m, &config, NULL, 0, &inst, NULL, &call_err) != 0) {
        CHECK(0, "%s: instance: %s", what, call_err.msg);
    } else {
        wc_trap trap = wc_instance_call(inst, "run", NULL, NULL, &call_err);
        CHECK(trap == WC_TRAP_NONE, "%s: run: %s", what, wc_trap_name(trap));
        wc_instance_free(inst);
    }
    wc_module_release(m);
    return true;
}

static void test_tier(wc_tier tier, const char *tier_name)
{
    wc_engine *engine = test_tier_engine(tier);
    if (!engine) {
        CHECK(0, "no engine");
        return;
    }
    static const struct {
        uint8_t vt;
        uint32_t n;
    } widths[] = {{I32, 8}, {V128, 129}, {I32, WC_TCC_MAX_PARAMS}, {V128, WC_TCC_MAX_PARAMS},
                  {I32, WC_TCC_MAX_PARAMS + 1}, {V128, WC_TCC_MAX_PARAMS + 1}, {I32, 1000}};
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
        uint32_t n = widths[i].n;
        if (tier == WC_TIER_AUTO && n <= WC_TCC_MAX_PARAMS)
            continue; /* the fast tier's, as above (and no gcc in the background) */
        char what[96];
        snprintf(what, sizeof what, "%s tier: %u %s parameters", tier_name, n, widths[i].vt == I32 ? "i32" : "v128");
        wc_error err = {0};
        bool loaded = load_and_run(engine, n, widths[i].vt, &err, what);
        if (tier != WC_TIER_FAST || n <= WC_TCC_MAX_PARAMS)
            CHECK(loaded, "%s: %s", what, err.msg);
        else
            CHECK(!loaded && err.code == WC_ENOTSUP && strstr(err.msg, "the fast tier (libtcc) compiles calls of at most"),
                  "%s: %s (%s)", what, loaded ? "loaded" : "the wrong error", err.msg);
    }
    wc_engine_free(engine);
}

int main(void)
{
    test_tier(WC_TIER_FAST, "fast");
    test_tier(WC_TIER_OPTIMIZED, "optimized");
    test_tier(WC_TIER_AUTO, "auto"); /* past the fast tier's width it waits for the optimized tier */
    return check_report();
}
