/* emit_glue.c -- the unit's side of the engine interface (wasm-rt.h):
 *
 * - a trampoline per imported function, `fn<i>` like any function, that
 *   packs its arguments into wc_rt_value slots and calls wc_rt_call_import
 *   with the instance's import context (so host functions have one C
 *   signature whatever their Wasm type);
 * - a uniform wrapper per exported function (`args[] -> results[]`), so the
 *   engine calls any export without libffi, and an accessor per exported
 *   memory, table, global or tag;
 * - the `wc_glue` table through which the engine drives the unit.
 */
#include <inttypes.h>
#include <stdio.h>

#include "engine/emit_exceptions.h"
#include "engine/emit_internal.h"

void wc_emit_imports(const wc_emit_module *m, wc_buf *out)
{
    const wc_module_info *info = m->info;
    for (uint32_t f = 0; f < info->nimported_funcs; f++) {
        uint32_t type = info->func_types[f];
        const wc_functype *ft = &info->types[type];
        wc_emit_signature(m, f, out);
        wc_buf_printf(out, " {\n  wc_rt_value a[%" PRIu32 "], r[%" PRIu32 "];\n",
                      ft->nparams ? ft->nparams : 1, ft->nresults ? ft->nresults : 1);
        for (uint32_t i = 0; i < ft->nparams; i++)
            wc_buf_printf(out, "  a[%" PRIu32 "].%s = l%" PRIu32 ";\n", i,
                          wc_emit_field(ft->params[i]), i);
        wc_buf_printf(out, "  wc_rt_call_import(instance->ctx, %" PRIu32 ", a, r);\n",
                      m->func_import[f]);
        if (ft->nresults == 1) {
            wc_buf_printf(out, "  return r[0].%s;\n", wc_emit_field(ft->results[0]));
        } else if (ft->nresults > 1) {
            wc_buf_printf(out, "  return (R%" PRIu32 "){", type);
            for (uint32_t i = 0; i < ft->nresults; i++)
                wc_buf_printf(out, "%sr[%" PRIu32 "].%s", i ? ", " : "", i,
                              wc_emit_field(ft->results[i]));
            wc_buf_str(out, "};\n");
        }
        wc_buf_str(out, "}\n");
    }
}

static void export_call(const wc_emit_module *m, uint32_t index, uint32_t func, wc_buf *out)
{
    uint32_t type = m->info->func_types[func];
    wc_buf_printf(out,
                  "static void wc_export_call_%" PRIu32 "(void *inst, const wc_rt_value *a, "
                  "wc_rt_value *r) {\n  (void)a; (void)r;\n",
                  index);
    char callee[32];
    snprintf(callee, sizeof callee, "fn%" PRIu32, func);
    wc_emit_values_call(m, type, callee, "(wc_inst *)inst", "a", "r", out);
    wc_buf_str(out, "}\n");
}

static void export_ptr(const wc_emit_module *m, uint32_t index, const wc_export *ex, wc_buf *out)
{
    wc_buf_printf(out, "static void *wc_export_ptr_%" PRIu32 "(void *inst) {\n"
                       "  wc_inst *instance = inst;\n  return (void *)", index);
    switch (ex->kind) {
    case WC_EXTERN_MEMORY:
        wc_buf_str(out, wc_emit_memory_at(m, ex->index));
        break;
    case WC_EXTERN_TABLE:
        wc_emit_table(m, ex->index, out);
        break;
    case WC_EXTERN_TAG:
        wc_emit_tag(m, ex->index, out);
        break;
    default:
        if (ex->index < m->info->nimported_globals)
            wc_buf_printf(out, "instance->g%" PRIu32, ex->index);
        else
            wc_buf_printf(out, "&instance->g%" PRIu32, ex->index);
        break;
    }
    wc_buf_str(out, ";\n}\n");
}

void wc_emit_glue(const wc_emit_module *m, wc_buf *out)
{
    const wc_module_info *info = m->info;
    uint32_t n = info->nexports;
    wc_buf_str(out, "\n/* ---- wasmcap glue ---- */\n");
    for (uint32_t i = 0; i < n; i++) {
        const wc_export *ex = &info->exports[i];
        if (ex->kind == WC_EXTERN_FUNC)
            export_call(m, i, ex->index, out);
        else
            export_ptr(m, i, ex, out);
    }
    wc_buf_printf(out, "static const wc_rt_export_call_fn wc_export_calls[%" PRIu32 "] = {", n + 1);
    for (uint32_t i = 0; i < n; i++) {
        if (info->exports[i].kind == WC_EXTERN_FUNC)
            wc_buf_printf(out, "wc_export_call_%" PRIu32 ", ", i);
        else
            wc_buf_str(out, "0, ");
    }
    wc_buf_printf(out, "0};\nstatic const wc_rt_export_ptr_fn wc_export_ptrs[%" PRIu32 "] = {", n + 1);
    for (uint32_t i = 0; i < n; i++) {
        if (info->exports[i].kind != WC_EXTERN_FUNC)
            wc_buf_printf(out, "wc_export_ptr_%" PRIu32 ", ", i);
        else
            wc_buf_str(out, "0, ");
    }
    wc_buf_str(out, "0};\n");
    wc_buf_str(out, "static volatile uint32_t *wc_interrupt_flag(void *inst) "
                    "{ return &((wc_inst *)inst)->irq; }\n");
    if (m->has_memory)
        wc_buf_printf(out, "static wasm_rt_memory_t *wc_memory0(void *inst) "
                           "{ wc_inst *instance = inst; return %s; }\n", wc_emit_memory(m));
    wc_buf_printf(out,
                  "const wc_rt_glue wc_glue = {\n"
                  "  WC_RT_ABI, sizeof(wc_inst), wc_init_module, wc_instantiate, wc_free,\n"
                  "  %" PRIu32 ", wc_export_calls, wc_export_ptrs, wc_interrupt_flag, %s\n};\n",
                  n, m->has_memory ? "wc_memory0" : "0");
}
