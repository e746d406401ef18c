/* host.c -- the `spectest` host module the test scripts import from.
 *
 * Its contents are fixed by the test suite (see the suite's README): print
 * functions, globals holding 666 / 666.6, a 10-element funcref table (max 20)
 * and a one-page memory (max 2), and the same as a shared memory for the
 * threads proposal (`shared_memory`).
 */
#include "spectest/spectest.h"

#include <inttypes.h>
#include <string.h>

/* Prints "spectest.<name>(<args>)" when asked to (--verbose), else nothing.
 * env is the FILE to print to; the signature tells how to read the args. */
static void print_call(void *env, const char *name, const char *params,
                       const wc_value *args)
{
    FILE *out = env;
    if (!out)
        return;
    fprintf(out, "spectest.%s(", name);
    for (size_t i = 0; params[i]; i++) {
        if (i > 0)
            fputs(", ", out);
        switch (params[i]) {
        case 'i': fprintf(out, "%" PRId32 " : i32", (int32_t)args[i].i32); break;
        case 'I': fprintf(out, "%" PRId64 " : i64", (int64_t)args[i].i64); break;
        case 'f': fprintf(out, "%.9g : f32", (double)args[i].f32); break;
        case 'F': fprintf(out, "%.17g : f64", args[i].f64); break;
        default: fputs("?", out); break;
        }
    }
    fputs(")\n", out);
}

/* One host function per signature; they differ only in what they print. */
#define DEFINE_PRINT(name, params)                                              \
    static wc_trap host_##name(wc_instance *caller, void *env,                  \
                               const wc_value *args, wc_value *results)         \
    {                                                                           \
        (void)caller;                                                           \
        (void)results;                                                          \
        print_call(env, #name, params, args);                                   \
        return WC_TRAP_NONE;                                                    \
    }

DEFINE_PRINT(print, "")
DEFINE_PRINT(print_i32, "i")
DEFINE_PRINT(print_i64, "I")
DEFINE_PRINT(print_f32, "f")
DEFINE_PRINT(print_f64, "F")
DEFINE_PRINT(print_i32_f32, "if")
DEFINE_PRINT(print_f64_f64, "FF")

static wc_import_binding global_binding(const char *name, uint8_t valtype, wc_value *storage)
{
    return (wc_import_binding){
        .module = "spectest",
        .name = name,
        .ext = {.kind = WC_EXTERN_GLOBAL,
                .u.global = {.valtype = valtype, .mutable_ = false, .value = storage}},
    };
}

int spectest_host_init(spectest_host *host, wc_engine *engine, FILE *print_out,
                       wc_error *err)
{
    memset(host, 0, sizeof *host);

    int rc = wc_memory_new(engine, 1, 2, true, &host->memory, err);
    if (rc != 0)
        return rc;
    rc = wc_memory_new_shared(engine, 1, 2, &host->shared_memory, err);
    if (rc != 0) {
        spectest_host_free(host);
        return rc;
    }
    rc = wc_table_new(engine, WC_VT_FUNCREF, 10, 20, true, &host->table, err);
    if (rc != 0) {
        spectest_host_free(host);
        return rc;
    }

    host->global_i32.i32 = 666;
    host->global_i64.i64 = 666;
    host->global_f32.f32 = 666.6f;
    host->global_f64.f64 = 666.6;

    const wc_import_binding bindings[] = {
        WC_HOST_FUNC("spectest", "print", "", "", host_print, print_out),
        WC_HOST_FUNC("spectest", "print_i32", "i", "", host_print_i32, print_out),
        WC_HOST_FUNC("spectest", "print_i64", "I", "", host_print_i64, print_out),
        WC_HOST_FUNC("spectest", "print_f32", "f", "", host_print_f32, print_out),
        WC_HOST_FUNC("spectest", "print_f64", "F", "", host_print_f64, print_out),
        WC_HOST_FUNC("spectest", "print_i32_f32", "if", "", host_print_i32_f32, print_out),
        WC_HOST_FUNC("spectest", "print_f64_f64", "FF", "", host_print_f64_f64, print_out),
        global_binding("global_i32", WC_VT_I32, &host->global_i32),
        global_binding("global_i64", WC_VT_I64, &host->global_i64),
        global_binding("global_f32", WC_VT_F32, &host->global_f32),
        global_binding("global_f64", WC_VT_F64, &host->global_f64),
        {.module = "spectest", .name = "table",
         .ext = {.kind = WC_EXTERN_TABLE, .u.table = host->table}},
        {.module = "spectest", .name = "memory",
         .ext = {.kind = WC_EXTERN_MEMORY, .u.memory = host->memory}},
        {.module = "spectest", .name = "shared_memory",
         .ext = {.kind = WC_EXTERN_MEMORY, .u.memory = host->shared_memory}},
    };
    _Static_assert(sizeof bindings / sizeof bindings[0] <= SPECTEST_HOST_BINDINGS,
                   "spectest_host.bindings is too small");
    memcpy(host->bindings, bindings, sizeof bindings);
    host->nbindings = sizeof bindings / sizeof bindings[0];
    return 0;
}

void spectest_host_free(spectest_host *host)
{
    if (host->table)
        wc_table_free(host->table);
    if (host->memory)
        wc_memory_free(host->memory);
    if (host->shared_memory)
        wc_memory_free(host->shared_memory);
    memset(host, 0, sizeof *host);
}
