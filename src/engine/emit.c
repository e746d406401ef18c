/* emit.c -- the engine's C emitter: one translation unit per module.
 *
 * The unit, in order: wasmcap's wasm-rt.h, the prelude (emit_prelude.c),
 * the function-type ids, the instance struct `wc_inst`, a prototype per
 * function, the import trampolines (emit_glue.c), the segments
 * (emit_segments.c), the function bodies (emit_func.c), instantiation and
 * freeing, and the glue table.  Both tiers compile exactly this text.
 */
#include "engine/emit.h"

#include <inttypes.h>
#include <stdlib.h>

#include "engine/emit_atomic.h"
#include "engine/emit_exceptions.h"
#include "engine/emit_internal.h"

extern const char wc_wasm_rt_header[];

static const char *rt_type(uint8_t vt)
{
    switch (vt) {
    case WC_VT_I32: return "WASM_RT_I32";
    case WC_VT_I64: return "WASM_RT_I64";
    case WC_VT_F32: return "WASM_RT_F32";
    case WC_VT_F64: return "WASM_RT_F64";
    case WC_VT_FUNCREF: return "WASM_RT_FUNCREF";
    case WC_VT_V128: return "WASM_RT_V128";
    default: return "WASM_RT_EXTERNREF";
    }
}

static void emit_types(const wc_emit_module *m, wc_buf *out)
{
    const wc_module_info *info = m->info;
    wc_buf_printf(out, "static u32 wc_types[%" PRIu32 "];\n", info->ntypes ? info->ntypes : 1);
    for (uint32_t t = 0; t < info->ntypes; t++) {
        const wc_functype *ft = &info->types[t];
        if (ft->nresults < 2)
            continue;
        wc_buf_str(out, "typedef struct {");
        for (uint32_t i = 0; i < ft->nresults; i++)
            wc_buf_printf(out, " %s v%" PRIu32 ";", wc_emit_ctype(ft->results[i]), i);
        wc_buf_printf(out, " } R%" PRIu32 ";\n", t);
    }
}

static void emit_struct(const wc_emit_module *m, wc_buf *out)
{
    const wc_module_info *info = m->info;
    /* begins as wc_rt_instance_head: the flag at offset 0 */
    wc_buf_str(out, "typedef struct wc_inst {\n  volatile u32 irq;\n"
                    "  void *ctx; /* the engine's import context */\n");
    for (uint32_t i = 0; i < m->nmemories_total; i++)
        wc_buf_printf(out, "  wasm_rt_memory_t %sm%" PRIu32 ";\n", i < info->nimported_memories ? "*" : "", i);
    for (uint32_t t = 0; t < m->ntables_total; t++)
        wc_buf_printf(out, "  wasm_rt_%s_table_t %st%" PRIu32 ";\n",
                      m->table_types[t]->elemtype == WC_VT_FUNCREF ? "funcref" : "externref",
                      t < info->nimported_tables ? "*" : "", t);
    for (uint32_t g = 0; g < m->nglobals_total; g++)
        wc_buf_printf(out, "  %s %sg%" PRIu32 ";\n", wc_emit_ctype(m->global_types[g]->valtype),
                      g < info->nimported_globals ? "*" : "", g);
    wc_emit_tag_fields(m, out);
    wc_emit_segment_fields(m, out);
    wc_buf_str(out, "} wc_inst;\n");
    if (!m->for_tcc) /* the same struct in both units: one check, not libtcc's time */
        wc_buf_str(out, "_Static_assert(__builtin_offsetof(wc_inst, ctx) == "
                        "__builtin_offsetof(wc_rt_instance_head, ctx), \"wc_inst's head\");\n");
}

static void emit_prototypes(const wc_emit_module *m, wc_buf *out)
{
    for (uint32_t f = 0; f < m->nfuncs_total; f++) {
        wc_emit_signature(m, f, out);
        wc_buf_str(out, ";\n");
    }
}

static void emit_lifecycle(const wc_emit_module *m, wc_buf *out)
{
    const wc_module_info *info = m->info;
    wc_buf_str(out, "static void wc_init_module(void) {\n");
    for (uint32_t t = 0; t < info->ntypes; t++) {
        const wc_functype *ft = &info->types[t];
        /* an array, not variadic arguments: a type may have 2000 values */
        wc_buf_str(out, "  { static const u8 s[] = {0");
        for (uint32_t i = 0; i < ft->nparams; i++)
            wc_buf_printf(out, ", %s", rt_type(ft->params[i]));
        for (uint32_t i = 0; i < ft->nresults; i++)
            wc_buf_printf(out, ", %s", rt_type(ft->results[i]));
        wc_buf_printf(out, "};\n    wc_types[%" PRIu32 "] = wc_rt_register_func_type_sig(%" PRIu32 ", %" PRIu32
                           ", s + 1); }\n",
                      t, ft->nparams, ft->nresults);
    }
    wc_buf_str(out, "}\n");

    wc_buf_str(out, "static void wc_instantiate(void *inst, void *ctx) {\n"
                    "  wc_inst *instance = inst;\n  instance->ctx = ctx;\n");
    for (uint32_t i = 0; i < info->nimports; i++) {
        const wc_import *imp = &info->imports[i];
        uint32_t k = m->import_of[i];
        if (imp->kind == WC_EXTERN_MEMORY)
            wc_buf_printf(out, "  instance->m%" PRIu32 " = wc_rt_import_ptr(ctx, %" PRIu32 ");\n", k, i);
        else if (imp->kind == WC_EXTERN_TABLE)
            wc_buf_printf(out, "  instance->t%" PRIu32 " = wc_rt_import_ptr(ctx, %" PRIu32 ");\n", k, i);
        else if (imp->kind == WC_EXTERN_GLOBAL)
            wc_buf_printf(out, "  instance->g%" PRIu32 " = wc_rt_import_ptr(ctx, %" PRIu32 ");\n", k, i);
    }
    for (uint32_t g = 0; g < info->nglobals; g++) {
        const wc_global *gl = &info->globals[g];
        size_t pos = gl->init_offset;
        wc_buf_printf(out, "  instance->g%" PRIu32 " = ", info->nimported_globals + g);
        wc_emit_const_expr(m, &pos, gl->init_offset + gl->init_size, out);
        wc_buf_str(out, ";\n");
    }
    for (uint32_t t = 0; t < info->ntables; t++) {
        const wc_tabletype *tt = &info->tables[t];
        wc_buf_printf(out, "  wasm_rt_allocate_%s_table(&instance->t%" PRIu32 ", %" PRIu32 "u, %" PRIu32 "u);\n",
                      tt->elemtype == WC_VT_FUNCREF ? "funcref" : "externref",
                      info->nimported_tables + t, tt->limits.min,
                      tt->limits.has_max ? tt->limits.max : UINT32_MAX);
    }
    for (uint32_t i = 0; i < info->nmemories; i++) {
        const wc_limits *l = &info->memories[i];
        uint32_t index = info->nimported_memories + i;
        wc_buf_printf(out, "  wasm_rt_allocate_memory(&instance->m%" PRIu32 ", %" PRIu32 "u, %" PRIu32 "u);\n",
                      index, l->min, l->has_max ? l->max : 65536);
        if (!l->has_max) /* what an importer of it checks */
            wc_buf_printf(out, "  instance->m%" PRIu32 ".declared_max = 0xffffffffu;\n", index);
        if (l->is64)
            wc_buf_printf(out, "  instance->m%" PRIu32 ".is64 = 1;\n", index);
        if (l->shared)
            wc_buf_printf(out, "  instance->m%" PRIu32 ".shared = 1;\n", index);
    }
    wc_emit_tag_init(m, out);
    wc_buf_str(out, "  wc_init_segments(instance);\n");
    if (info->has_start)
        wc_buf_printf(out, "  fn%" PRIu32 "(instance);\n", info->start);
    wc_buf_str(out, "}\n");

    wc_buf_str(out, "static void wc_free(void *inst) {\n  wc_inst *instance = inst;\n  (void)instance;\n");
    for (uint32_t t = 0; t < info->ntables; t++)
        wc_buf_printf(out, "  wasm_rt_free_%s_table(&instance->t%" PRIu32 ");\n",
                      info->tables[t].elemtype == WC_VT_FUNCREF ? "funcref" : "externref",
                      info->nimported_tables + t);
    for (uint32_t i = 0; i < info->nmemories; i++)
        wc_buf_printf(out, "  wasm_rt_free_memory(&instance->m%" PRIu32 ");\n",
                      info->nimported_memories + i);
    wc_buf_str(out, "}\n");
}

static int describe(const wc_module_info *info, bool track_writes, bool for_tcc, wc_emit_module *m)
{
    *m = (wc_emit_module){.info = info, .track_writes = track_writes, .for_tcc = for_tcc};
    m->nfuncs_total = info->nimported_funcs + info->nfuncs;
    m->nglobals_total = info->nimported_globals + info->nglobals;
    m->ntables_total = info->nimported_tables + info->ntables;
    m->has_memory = info->nimported_memories + info->nmemories > 0;
    m->memory_imported = info->nimported_memories > 0;
    m->nmemories_total = info->nimported_memories + info->nmemories;
    m->memory_names = calloc(m->nmemories_total + 1, sizeof *m->memory_names);
    m->memory_is64 = calloc(m->nmemories_total + 1, sizeof *m->memory_is64);
    if (!m->memory_names || !m->memory_is64)
        return WC_ENOMEM;
    for (uint32_t i = 0; i < info->nmemories; i++)
        m->memory_is64[info->nimported_memories + i] = info->memories[i].is64;
    for (uint32_t i = 0; i < m->nmemories_total; i++) {
        wc_buf name;
        wc_buf_init(&name);
        wc_buf_printf(&name, i < info->nimported_memories ? "instance->m%" PRIu32 : "(&instance->m%" PRIu32 ")", i);
        m->memory_names[i] = wc_buf_cstr(&name);
        if (!m->memory_names[i]) {
            wc_buf_free(&name);
            return WC_ENOMEM;
        }
    }
    m->global_types = calloc(m->nglobals_total + 1, sizeof *m->global_types);
    m->table_types = calloc(m->ntables_total + 1, sizeof *m->table_types);
    m->import_of = calloc(info->nimports + 1, sizeof *m->import_of);
    m->func_import = calloc(info->nimported_funcs + 1, sizeof *m->func_import);
    if (!m->global_types || !m->table_types || !m->import_of || !m->func_import)
        return WC_ENOMEM;
    uint32_t counts[WC_EXTERN_TAG + 1] = {0};
    for (uint32_t i = 0; i < info->nimports; i++) {
        const wc_import *imp = &info->imports[i];
        uint32_t k = counts[imp->kind]++;
        m->import_of[i] = k;
        if (imp->kind == WC_EXTERN_FUNC)
            m->func_import[k] = i;
        else if (imp->kind == WC_EXTERN_TABLE)
            m->table_types[k] = &imp->desc.table;
        else if (imp->kind == WC_EXTERN_GLOBAL)
            m->global_types[k] = &imp->desc.global;
        else if (imp->kind == WC_EXTERN_MEMORY)
            m->memory_is64[k] = imp->desc.memory.is64;
    }
    for (uint32_t t = 0; t < info->ntables; t++)
        m->table_types[info->nimported_tables + t] = &info->tables[t];
    for (uint32_t g = 0; g < info->nglobals; g++)
        m->global_types[info->nimported_globals + g] = &info->globals[g].type;
    return 0;
}

static void release(wc_emit_module *m)
{
    free(m->global_types);
    free(m->table_types);
    free(m->import_of);
    free(m->func_import);
    for (uint32_t i = 0; m->memory_names && i < m->nmemories_total; i++)
        free(m->memory_names[i]);
    free(m->memory_names);
    free(m->memory_is64);
}

static int emit_unit(const wc_module_info *info, bool track_writes, bool for_tcc, wc_buf *source,
                     wc_error *err)
{
    wc_emit_module m;
    if (describe(info, track_writes, for_tcc, &m) != 0) {
        release(&m);
        return wc_error_set(err, WC_ENOMEM, "out of memory while emitting C");
    }
    if (info->uses_simd)
        wc_emit_simd_preamble(source);
    wc_buf_str(source, wc_wasm_rt_header);
    wc_buf_str(source, wc_emit_prelude);
    if (info->uses_simd)
        wc_emit_simd_prelude(m.for_tcc, source);
    if (info->uses_atomics)
        wc_emit_atomic_prelude(source);
    emit_types(&m, source);
    emit_struct(&m, source);
    wc_buf_printf(source, "#define MEM %s\n", wc_emit_memory(&m));
    emit_prototypes(&m, source);
    wc_emit_tail_prototypes(&m, source);
    wc_emit_exceptions_prelude(&m, source);
    wc_emit_imports(&m, source);
    int rc = wc_emit_segments(&m, source, err);
    for (uint32_t f = 0; rc == 0 && f < info->nfuncs; f++)
        rc = wc_emit_function(&m, f, source, err);
    if (rc == 0) {
        wc_emit_tail_entries(&m, source);
        emit_lifecycle(&m, source);
        wc_emit_glue(&m, source);
        if (source->failed)
            rc = wc_error_set(err, WC_ENOMEM, "out of memory while emitting C");
    }
    release(&m);
    return rc;
}

int wc_emit(const wc_module_info *info, bool track_writes, wc_buf *source, wc_error *err)
{
    return emit_unit(info, track_writes, false, source, err);
}

int wc_emit_for_tcc(const wc_module_info *info, bool track_writes, wc_buf *source, wc_error *err)
{
    return emit_unit(info, track_writes, true, source, err);
}
