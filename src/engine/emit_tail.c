/* emit_tail.c -- what a unit that makes tail calls adds around its
 * functions (runtime/wasm-rt.h describes the scheme).
 *
 * A function whose body makes a tail call is emitted as its tail entry
 * `fn<i>_tail(instance, area, next)` (emit_func.c), and `fn<i>` becomes a
 * wrapper that stores its arguments in the thread's area and runs the chain;
 * every other function, imports included, gets a tail entry that calls it
 * ordinarily.  Ordinary calls between functions that make no tail call stay
 * direct C calls, as in units without tail calls.  Funcrefs made by such a
 * unit carry the tail entry, so return_call_indirect keeps the stack
 * constant across its table; a funcref without one (made by a unit without
 * tail calls) is called through `wc_tail_via<type>`, which calls it
 * ordinarily.
 */
#include <inttypes.h>
#include <stdio.h>

#include "engine/emit_internal.h"

void wc_emit_values_call(const wc_emit_module *m, uint32_t type, const char *callee, const char *inst,
                         const char *args, const char *results, wc_buf *out)
{
    const wc_functype *ft = &m->info->types[type];
    wc_buf_str(out, "  ");
    if (ft->nresults) {
        wc_emit_return_type(m, type, out);
        wc_buf_str(out, " v = ");
    }
    wc_buf_printf(out, "%s(%s", callee, inst);
    for (uint32_t i = 0; i < ft->nparams; i++)
        wc_buf_printf(out, ", %s[%" PRIu32 "].%s", args, i, wc_emit_field(ft->params[i]));
    wc_buf_str(out, ");\n");
    if (ft->nresults == 1)
        wc_buf_printf(out, "  %s[0].%s = v;\n", results, wc_emit_field(ft->results[0]));
    for (uint32_t i = 0; ft->nresults > 1 && i < ft->nresults; i++)
        wc_buf_printf(out, "  %s[%" PRIu32 "].%s = v.v%" PRIu32 ";\n", results, i,
                      wc_emit_field(ft->results[i]), i);
}

void wc_emit_tail_ref(const wc_emit_module *m, uint32_t func, wc_buf *out)
{
    if (m->info->tail_calls)
        wc_buf_printf(out, ", (wasm_rt_function_ptr_t)fn%" PRIu32 "_tail", func);
}

void wc_emit_tail_prototypes(const wc_emit_module *m, wc_buf *out)
{
    if (!m->info->tail_calls)
        return;
    for (uint32_t f = 0; f < m->nfuncs_total; f++)
        wc_buf_printf(out, "static void fn%" PRIu32 "_tail(void *, wc_rt_value *, wc_rt_tail *);\n", f);
    for (uint32_t t = 0; t < m->info->ntypes; t++)
        wc_buf_printf(out, "static void wc_tail_via%" PRIu32 "(void *, wc_rt_value *, wc_rt_tail *);\n", t);
}

/* fn<func> for a function emitted as its tail entry: runs the chain. */
static void wrapper(const wc_emit_module *m, uint32_t func, wc_buf *out)
{
    uint32_t type = m->info->func_types[func];
    const wc_functype *ft = &m->info->types[type];
    wc_emit_signature(m, func, out);
    wc_buf_str(out, " {\n  wc_rt_value *wc_a = wc_rt_tail_area();\n");
    for (uint32_t i = 0; i < ft->nparams; i++)
        wc_buf_printf(out, "  wc_a[%" PRIu32 "].%s = l%" PRIu32 ";\n", i, wc_emit_field(ft->params[i]), i);
    wc_buf_printf(out, "  wc_rt_tail_run(fn%" PRIu32 "_tail, instance, wc_a);\n", func);
    if (ft->nresults == 1) {
        wc_buf_printf(out, "  return wc_a[0].%s;\n", wc_emit_field(ft->results[0]));
    } else if (ft->nresults > 1) {
        wc_buf_printf(out, "  return (R%" PRIu32 "){", type);
        for (uint32_t i = 0; i < ft->nresults; i++)
            wc_buf_printf(out, "%swc_a[%" PRIu32 "].%s", i ? ", " : "", i, wc_emit_field(ft->results[i]));
        wc_buf_str(out, "};\n");
    }
    wc_buf_str(out, "}\n");
}

/* fn<func>_tail for a function that makes no tail call: calls it. */
static void adapter(const wc_emit_module *m, uint32_t func, wc_buf *out)
{
    wc_buf_printf(out, "static void fn%" PRIu32 "_tail(void *wc_vi, wc_rt_value *wc_a, wc_rt_tail *wc_next) {\n"
                       "  (void)wc_a; (void)wc_next;\n",
                  func);
    char callee[32];
    snprintf(callee, sizeof callee, "fn%" PRIu32, func);
    wc_emit_values_call(m, m->info->func_types[func], callee, "(wc_inst *)wc_vi", "wc_a", "wc_a", out);
    wc_buf_str(out, "}\n");
}

/* wc_tail_via<type>: a tail call through a funcref without a tail entry;
 * the funcref follows the arguments in the area. */
static void via(const wc_emit_module *m, uint32_t type, wc_buf *out)
{
    const wc_functype *ft = &m->info->types[type];
    wc_buf_printf(out, "static void wc_tail_via%" PRIu32 "(void *wc_vi, wc_rt_value *wc_a, wc_rt_tail *wc_next) {\n"
                       "  (void)wc_vi; (void)wc_next;\n"
                       "  wasm_rt_funcref_t wc_f = wc_a[%" PRIu32 "].funcref;\n",
                  type, ft->nparams);
    wc_buf callee;
    wc_buf_init(&callee);
    wc_buf_str(&callee, "((");
    wc_emit_return_type(m, type, &callee);
    wc_buf_str(&callee, " (*)(void *");
    for (uint32_t i = 0; i < ft->nparams; i++)
        wc_buf_printf(&callee, ", %s", wc_emit_ctype(ft->params[i]));
    wc_buf_str(&callee, "))wc_f.func)");
    wc_emit_values_call(m, type, wc_buf_cstr(&callee) ? (const char *)callee.data : "0",
                        "wc_f.module_instance", "wc_a", "wc_a", out);
    out->failed |= callee.failed;
    wc_buf_free(&callee);
    wc_buf_str(out, "}\n");
}

void wc_emit_tail_entries(const wc_emit_module *m, wc_buf *out)
{
    const wc_module_info *info = m->info;
    if (!info->tail_calls)
        return;
    for (uint32_t f = 0; f < m->nfuncs_total; f++) {
        bool defined = f >= info->nimported_funcs;
        if (defined && info->funcs[f - info->nimported_funcs].tail_calls)
            wrapper(m, f, out);
        else
            adapter(m, f, out);
    }
    for (uint32_t t = 0; t < info->ntypes; t++)
        via(m, t, out);
}

void wc_emit_tail_head(const wc_emit_module *m, uint32_t func, const char *qualifier, wc_buf *out)
{
    const wc_functype *ft = &m->info->types[m->info->func_types[func]];
    wc_buf_printf(out, "static void fn%" PRIu32 "_tail(void *wc_vi, wc_rt_value *wc_a, wc_rt_tail *wc_next) {\n"
                       "  wc_inst *instance = wc_vi;\n  (void)wc_next;\n",
                  func);
    for (uint32_t i = 0; i < ft->nparams; i++)
        wc_buf_printf(out, "  %s%s l%" PRIu32 " = wc_a[%" PRIu32 "].%s;\n", qualifier, wc_emit_ctype(ft->params[i]), i, i,
                      wc_emit_field(ft->params[i]));
}
