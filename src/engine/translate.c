/* translate.c -- instrumented Wasm → one self-contained C translation unit.
 *
 * Runs Debian's wasm2c on the instrumented module, then joins into a single
 * source: our own wasm-rt.h (embedded in the binary), the generated header
 * and code, and a glue section generated here from the module description.
 * The glue defines the host side of every import (a trampoline that packs
 * the arguments into wc_rt_value slots and calls the engine), a uniform
 * calling wrapper for every exported function, accessors for other exports,
 * and the `wc_glue` table through which the engine drives the unit.  Both
 * compiler tiers compile exactly this text.
 */
#include "engine/translate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/instrument.h"
#include "util/fs.h"
#include "util/process.h"

extern const char wc_wasm_rt_header[];

static char type_letter(uint8_t vt)
{
    switch (vt) {
    case WC_VT_I32: return 'i';
    case WC_VT_I64: return 'j';
    case WC_VT_F32: return 'f';
    case WC_VT_F64: return 'd';
    case WC_VT_FUNCREF: return 'r';
    default: return 'e';
    }
}

static const char *c_type(uint8_t vt)
{
    switch (vt) {
    case WC_VT_I32: return "u32";
    case WC_VT_I64: return "u64";
    case WC_VT_F32: return "f32";
    case WC_VT_F64: return "f64";
    case WC_VT_FUNCREF: return "wasm_rt_funcref_t";
    default: return "wasm_rt_externref_t";
    }
}

static const char *value_field(uint8_t vt)
{
    switch (vt) {
    case WC_VT_I32: return "i32";
    case WC_VT_I64: return "i64";
    case WC_VT_F32: return "f32";
    case WC_VT_F64: return "f64";
    case WC_VT_FUNCREF: return "funcref";
    default: return "externref";
    }
}

/* The C return type wasm2c uses for a function type. */
static void return_type(wc_buf *b, const wc_functype *ft)
{
    if (ft->nresults == 0) {
        wc_buf_str(b, "void");
    } else if (ft->nresults == 1) {
        wc_buf_str(b, c_type(ft->results[0]));
    } else {
        wc_buf_str(b, "struct wasm_multi_");
        for (uint32_t i = 0; i < ft->nresults; i++)
            wc_buf_byte(b, (uint8_t)type_letter(ft->results[i]));
    }
}

/* Stores the C value `expr` of a call into results r[]. */
static void store_results(wc_buf *b, const wc_functype *ft)
{
    if (ft->nresults == 1) {
        wc_buf_printf(b, "  r[0].%s = v;\n", value_field(ft->results[0]));
    } else {
        for (uint32_t i = 0; i < ft->nresults; i++)
            wc_buf_printf(b, "  r[%u].%s = v.%c%u;\n", i, value_field(ft->results[i]),
                          type_letter(ft->results[i]), i);
    }
}

static void glue_import_func(wc_buf *b, uint32_t index, const wc_functype *ft)
{
    return_type(b, ft);
    wc_buf_printf(b, " Z_hZ_f%u(struct Z_h_instance_t *ctx", index);
    for (uint32_t i = 0; i < ft->nparams; i++)
        wc_buf_printf(b, ", %s p%u", c_type(ft->params[i]), i);
    wc_buf_printf(b, ") {\n  wc_rt_value a[%u], r[%u];\n", ft->nparams ? ft->nparams : 1,
                  ft->nresults ? ft->nresults : 1);
    for (uint32_t i = 0; i < ft->nparams; i++)
        wc_buf_printf(b, "  a[%u].%s = p%u;\n", i, value_field(ft->params[i]), i);
    wc_buf_printf(b, "  wc_rt_call_import(ctx, %u, a, r);\n", index);
    if (ft->nresults == 1) {
        wc_buf_printf(b, "  return r[0].%s;\n", value_field(ft->results[0]));
    } else if (ft->nresults > 1) {
        wc_buf_str(b, "  ");
        return_type(b, ft);
        wc_buf_str(b, " v;\n");
        for (uint32_t i = 0; i < ft->nresults; i++)
            wc_buf_printf(b, "  v.%c%u = r[%u].%s;\n", type_letter(ft->results[i]), i, i,
                          value_field(ft->results[i]));
        wc_buf_str(b, "  return v;\n");
    }
    wc_buf_str(b, "}\n");
}

static void glue_import_other(wc_buf *b, uint32_t index, const wc_import *imp)
{
    switch (imp->kind) {
    case WC_EXTERN_MEMORY:
        wc_buf_printf(b, "wasm_rt_memory_t *Z_hZ_m%u(struct Z_h_instance_t *ctx) "
                         "{ return wc_rt_import_ptr(ctx, %u); }\n", index, index);
        break;
    case WC_EXTERN_TABLE:
        wc_buf_printf(b, "wasm_rt_%s_table_t *Z_hZ_t%u(struct Z_h_instance_t *ctx) "
                         "{ return wc_rt_import_ptr(ctx, %u); }\n",
                      imp->desc.table.elemtype == WC_VT_FUNCREF ? "funcref" : "externref",
                      index, index);
        break;
    case WC_EXTERN_GLOBAL:
        wc_buf_printf(b, "%s *Z_hZ_g%u(struct Z_h_instance_t *ctx) "
                         "{ return wc_rt_import_ptr(ctx, %u); }\n",
                      c_type(imp->desc.global.valtype), index, index);
        break;
    default:
        break;
    }
}

static void glue_export_call(wc_buf *b, uint32_t index, const wc_functype *ft)
{
    wc_buf_printf(b, "static void wc_export_call_%u(void *inst, const wc_rt_value *a, "
                     "wc_rt_value *r) {\n  (void)a; (void)r;\n  ", index);
    if (ft->nresults) {
        return_type(b, ft);
        wc_buf_str(b, " v = ");
    }
    wc_buf_printf(b, "Z_mZ_e%u((Z_m_instance_t *)inst", index);
    for (uint32_t i = 0; i < ft->nparams; i++)
        wc_buf_printf(b, ", a[%u].%s", i, value_field(ft->params[i]));
    wc_buf_str(b, ");\n");
    if (ft->nresults)
        store_results(b, ft);
    wc_buf_str(b, "}\n");
}

static void generate_glue(wc_buf *b, const wc_module_info *info)
{
    bool has_imports = info->nimports > 0;
    bool has_memory = info->nimported_memories + info->nmemories > 0;

    wc_buf_str(b, "\n/* ---- wasmcap glue ---- */\n");
    for (uint32_t i = 0; i < info->nimports; i++) {
        const wc_import *imp = &info->imports[i];
        if (imp->kind == WC_EXTERN_FUNC)
            glue_import_func(b, i, &info->types[imp->desc.func_type]);
        else
            glue_import_other(b, i, imp);
    }
    for (uint32_t i = 0; i < info->nexports; i++) {
        const wc_export *ex = &info->exports[i];
        if (ex->kind == WC_EXTERN_FUNC)
            glue_export_call(b, i, wc_module_func_type(info, ex->index));
        else
            wc_buf_printf(b, "static void *wc_export_ptr_%u(void *inst) "
                             "{ return (void *)Z_mZ_e%u((Z_m_instance_t *)inst); }\n", i, i);
    }
    uint32_t n = info->nexports;
    wc_buf_printf(b, "static const wc_rt_export_call_fn wc_export_calls[%u] = {", n + 1);
    for (uint32_t i = 0; i < n; i++) {
        if (info->exports[i].kind == WC_EXTERN_FUNC)
            wc_buf_printf(b, "wc_export_call_%u, ", i);
        else
            wc_buf_str(b, "0, ");
    }
    wc_buf_printf(b, "0};\nstatic const wc_rt_export_ptr_fn wc_export_ptrs[%u] = {", n + 1);
    for (uint32_t i = 0; i < n; i++) {
        if (info->exports[i].kind != WC_EXTERN_FUNC)
            wc_buf_printf(b, "wc_export_ptr_%u, ", i);
        else
            wc_buf_str(b, "0, ");
    }
    wc_buf_str(b, "0};\n");
    wc_buf_printf(b,
                  "static void wc_instantiate(void *inst, void *ctx) {\n"
                  "  (void)ctx;\n  Z_m_instantiate((Z_m_instance_t *)inst%s);\n}\n",
                  has_imports ? ", (struct Z_h_instance_t *)ctx" : "");
    wc_buf_str(b, "static void wc_free(void *inst) { Z_m_free((Z_m_instance_t *)inst); }\n");
    wc_buf_str(b, "static volatile uint32_t *wc_interrupt_flag(void *inst) "
                  "{ return (volatile uint32_t *)Z_mZ_" WC_INTERRUPT_EXPORT "((Z_m_instance_t *)inst); }\n");
    if (has_memory)
        wc_buf_str(b, "static wasm_rt_memory_t *wc_memory0(void *inst) "
                      "{ return Z_mZ_" WC_MEMORY_EXPORT "((Z_m_instance_t *)inst); }\n");
    wc_buf_printf(b,
                  "const wc_rt_glue wc_glue = {\n"
                  "  WC_RT_ABI, sizeof(Z_m_instance_t), Z_m_init_module, wc_instantiate, wc_free,\n"
                  "  %u, wc_export_calls, wc_export_ptrs, wc_interrupt_flag, %s\n};\n",
                  n, has_memory ? "wc_memory0" : "0");
}

/* Appends the generated code with two corrections:
 * - f32.neg and f64.neg become bit flips: wasm2c emits `-(x)`, which libtcc
 *   compiles as a subtraction that quiets NaNs and loses their sign, while
 *   WebAssembly defines neg on the bits;
 * - the out-of-bounds traps of the table helpers become table traps: wasm2c
 *   raises the same OOB trap for tables and memories, and the two deserve
 *   different messages;
 * - element segments are applied before data segments, as instantiation
 *   does in WebAssembly 2.0 (wasm2c 1.0.32 does data first): when a data
 *   segment traps, the elements already written to an imported table stay;
 * - for libtcc, loads and stores become direct accesses (tcc_direct_access),
 *   and system headers are not included (wasm-rt.h declares what is used). */
/* libtcc never inlines: each load or store would be a call to wasm2c's
 * helper, which calls memcpy.  For libtcc, once the helpers are defined,
 * their names become macros that access the memory directly (x86-64 allows
 * unaligned accesses; libtcc does no type-based alias analysis). */
static const char tcc_direct_access[] =
    "#ifdef __TINYC__\n"
    "#define WC_LOAD(t1, t2, t3, m, a) ((t3)(t2) * (t1 *)((m)->data + (a)))\n"
    "#ifdef WC_TRACK_WRITES\n"
    "#define WC_STORE(t1, m, a, v) ((void)(*(t1 *)((m)->data + (a)) = (t1)(v)), WC_DIRTY(m, a))\n"
    "#else\n"
    "#define WC_STORE(t1, m, a, v) ((void)(*(t1 *)((m)->data + (a)) = (t1)(v)))\n"
    "#endif\n"
    "#define i32_load(m, a) WC_LOAD(u32, u32, u32, m, a)\n"
    "#define i64_load(m, a) WC_LOAD(u64, u64, u64, m, a)\n"
    "#define f32_load(m, a) WC_LOAD(f32, f32, f32, m, a)\n"
    "#define f64_load(m, a) WC_LOAD(f64, f64, f64, m, a)\n"
    "#define i32_load8_s(m, a) WC_LOAD(s8, s32, u32, m, a)\n"
    "#define i64_load8_s(m, a) WC_LOAD(s8, s64, u64, m, a)\n"
    "#define i32_load8_u(m, a) WC_LOAD(u8, u32, u32, m, a)\n"
    "#define i64_load8_u(m, a) WC_LOAD(u8, u64, u64, m, a)\n"
    "#define i32_load16_s(m, a) WC_LOAD(s16, s32, u32, m, a)\n"
    "#define i64_load16_s(m, a) WC_LOAD(s16, s64, u64, m, a)\n"
    "#define i32_load16_u(m, a) WC_LOAD(u16, u32, u32, m, a)\n"
    "#define i64_load16_u(m, a) WC_LOAD(u16, u64, u64, m, a)\n"
    "#define i64_load32_s(m, a) WC_LOAD(s32, s64, u64, m, a)\n"
    "#define i64_load32_u(m, a) WC_LOAD(u32, u64, u64, m, a)\n"
    "#define i32_store(m, a, v) WC_STORE(u32, m, a, v)\n"
    "#define i64_store(m, a, v) WC_STORE(u64, m, a, v)\n"
    "#define f32_store(m, a, v) WC_STORE(f32, m, a, v)\n"
    "#define f64_store(m, a, v) WC_STORE(f64, m, a, v)\n"
    "#define i32_store8(m, a, v) WC_STORE(u8, m, a, v)\n"
    "#define i32_store16(m, a, v) WC_STORE(u16, m, a, v)\n"
    "#define i64_store8(m, a, v) WC_STORE(u8, m, a, v)\n"
    "#define i64_store16(m, a, v) WC_STORE(u16, m, a, v)\n"
    "#define i64_store32(m, a, v) WC_STORE(u32, m, a, v)\n"
    "#endif\n";

static void append_corrected(wc_buf *out, const char *text)
{
    static const char last_helper[] = "DEFINE_STORE(i64_store32, u32, u64)\n";
    static const char data_first[] = "  init_memories(instance);\n  init_tables(instance);\n";
    static const char elems_first[] = "  init_tables(instance);\n  init_memories(instance);\n";
    const char *table_start = strstr(text, "static inline void funcref_table_init(");
    const char *table_end = table_start ? strstr(table_start, "DEFINE_TABLE_FILL(externref)") : NULL;
    const char *p = text;
    for (;;) {
        const char *neg = strstr(p, " = -(w2c_");
        const char *order = strstr(p, data_first);
        const char *helpers = strstr(p, last_helper);
        const char *oob = NULL;
        if (table_end && p < table_end) {
            oob = strstr(p > table_start ? p : table_start, "TRAP(OOB)");
            if (oob && oob >= table_end)
                oob = NULL;
        }
        const char *at = neg && (!oob || neg < oob) ? neg : oob;
        if (order && (!at || order < at))
            at = order;
        if (helpers && (!at || helpers < at))
            at = helpers;
        /* an #include line: at p itself, or after a newline */
        const char *include = strncmp(p, "#include <", 10) == 0 ? p : strstr(p, "\n#include <");
        if (include && include != p)
            include++;
        if (include && (!at || include < at))
            at = include;
        if (!at) {
            wc_buf_str(out, p);
            return;
        }
        wc_buf_append(out, p, (size_t)(at - p));
        if (at == include) {
            const char *eol = strchr(include, '\n');
            size_t len = eol ? (size_t)(eol - include) + 1 : strlen(include);
            wc_buf_str(out, "#ifndef __TINYC__\n");
            wc_buf_append(out, include, len);
            if (!eol)
                wc_buf_byte(out, '\n');
            wc_buf_str(out, "#endif\n");
            p = include + len;
        } else if (at == helpers) {
            wc_buf_str(out, last_helper);
            wc_buf_str(out, tcc_direct_access);
            p = helpers + strlen(last_helper);
        } else if (at == order) {
            wc_buf_str(out, elems_first);
            p = order + strlen(data_first);
        } else if (at == neg) {
            char letter = neg[strlen(" = -(w2c_")];
            wc_buf_str(out, letter == 'd' ? " = wc_rt_fneg64(" : " = wc_rt_fneg32(");
            p = neg + strlen(" = -(");
        } else {
            wc_buf_str(out, "TRAP(OOB_TABLE)");
            p = oob + strlen("TRAP(OOB)");
        }
    }
}

/* Every write the generated code makes to a linear memory also marks its
 * page (wasm-rt.h, WC_DIRTY): stores, memory.fill, memory.copy, and
 * LOAD_DATA, which goes through wc_load_data -- the active data segments
 * mark the pages they load apart, and into a memory that already holds this
 * module's untouched data they are not copied again.  That phase ends
 * before init_data_instances (which precedes the start function).  Each of
 * wasm2c's helpers is patched where it writes; one not found exactly once
 * fails the translation, so a different wasm2c cannot slip an unmarked
 * write past.  Big-endian hosts, whose helpers differ, are refused. */
static const struct {
    const char *find, *replace; /* replace: the text that takes find's place */
    bool optional;              /* may be absent (a module without data) */
} write_marks[] = {
    {"#if WABT_BIG_ENDIAN\n",
     "#if WABT_BIG_ENDIAN\n"
     "#error \"wasmcap tracks memory writes in the little-endian helpers only\"\n", false},
    {"    wasm_rt_memcpy(&mem->data[addr], &wrapped, sizeof(t1));            \\\n",
     "    wasm_rt_memcpy(&mem->data[addr], &wrapped, sizeof(t1));            \\\n"
     "    WC_DIRTY(mem, addr);                                               \\\n", false},
    {"    load_data(&(m.data[o]), i, s); \\\n", "    wc_load_data(&(m), o, i, s);   \\\n", false},
    {"  memset(mem->data + d, val, n);\n",
     "  memset(mem->data + d, val, n);\n  wc_dirty_range(mem, d, n);\n", false},
    {"  memmove(dest->data + dest_addr, src->data + src_addr, n);\n",
     "  memmove(dest->data + dest_addr, src->data + src_addr, n);\n"
     "  wc_dirty_range(dest, dest_addr, n);\n", false},
    {"  init_data_instances(instance);\n",
     "  wc_rt_data_loaded();\n  init_data_instances(instance);\n", true},
};

/* text with each write_marks line replaced; NULL (out of memory, a line
 * not there exactly once, or data loaded with no end to its phase). */
static char *mark_writes(const char *text)
{
    enum { N = sizeof write_marks / sizeof write_marks[0] };
    const char *at[N];
    for (size_t i = 0; i < N; i++) {
        at[i] = strstr(text, write_marks[i].find);
        if (at[i] && strstr(at[i] + 1, write_marks[i].find))
            return NULL;
        if (!at[i] && !write_marks[i].optional)
            return NULL;
    }
    if (!at[N - 1] && (strstr(text, "LOAD_DATA(instance") || strstr(text, "LOAD_DATA((*instance")))
        return NULL;
    wc_buf out;
    wc_buf_init(&out);
    const char *p = text;
    for (;;) {
        size_t next = N;
        for (size_t i = 0; i < N; i++)
            if (at[i] && at[i] >= p && (next == N || at[i] < at[next]))
                next = i;
        if (next == N)
            break;
        wc_buf_append(&out, p, (size_t)(at[next] - p));
        wc_buf_str(&out, write_marks[next].replace);
        p = at[next] + strlen(write_marks[next].find);
    }
    wc_buf_str(&out, p);
    char *result = (char *)wc_buf_cstr(&out);
    if (!result || out.failed) {
        wc_buf_free(&out);
        return NULL;
    }
    return result;
}

/* Appends text without the line that includes `header`. */
static int append_without_include(wc_buf *out, const char *text, const char *header)
{
    char line[256];
    snprintf(line, sizeof line, "#include \"%s\"\n", header);
    const char *at = strstr(text, line);
    if (!at)
        return WC_ECOMPILE;
    wc_buf joined;
    wc_buf_init(&joined);
    wc_buf_append(&joined, text, (size_t)(at - text));
    wc_buf_str(&joined, at + strlen(line));
    const char *cstr = wc_buf_cstr(&joined);
    if (cstr)
        append_corrected(out, cstr);
    out->failed |= joined.failed;
    wc_buf_free(&joined);
    return 0;
}

int wc_translate(const wc_module_info *info, bool track_writes, wc_buf *source, wc_error *err)
{
    wc_buf instrumented;
    wc_buf_init(&instrumented);
    uint32_t flag_index;
    int rc = wc_instrument(info, &instrumented, &flag_index, err);
    if (rc)
        return rc;

    char dir[4096], wasm_path[4200], c_path[4200], h_path[4200];
    rc = wc_make_temp_dir(dir, sizeof dir, "wasmcap");
    if (rc) {
        wc_buf_free(&instrumented);
        return wc_error_set(err, rc, "cannot create a temporary directory: %s", wc_strerror(rc));
    }
    snprintf(wasm_path, sizeof wasm_path, "%s/m.wasm", dir);
    snprintf(c_path, sizeof c_path, "%s/m.c", dir);
    snprintf(h_path, sizeof h_path, "%s/m.h", dir);
    uint8_t *c_text = NULL, *h_text = NULL;
    size_t c_len, h_len;
    rc = wc_write_file(wasm_path, instrumented.data, instrumented.len);
    wc_buf_free(&instrumented);
    if (rc) {
        rc = wc_error_set(err, rc, "cannot write %s: %s", wasm_path, wc_strerror(rc));
        goto done;
    }
    char output[2048];
    char *argv[] = {"wasm2c", wasm_path, "-n", "m", "-o", c_path, NULL};
    int status = wc_run_process(argv, output, sizeof output, NULL);
    if (status < 0) {
        rc = wc_error_set(err, WC_ECOMPILE, "cannot run wasm2c: %s (install Debian's wabt)",
                          wc_strerror(status));
        goto done;
    }
    if (status != 0) {
        rc = wc_error_set(err, WC_ECOMPILE, "wasm2c failed (status %d): %s", status, output);
        goto done;
    }
    if (wc_read_file(c_path, 0, &c_text, &c_len) != 0 || wc_read_file(h_path, 0, &h_text, &h_len) != 0) {
        rc = wc_error_set(err, WC_EIO, "cannot read wasm2c's output in %s", dir);
        goto done;
    }

    /* The interrupt flag must be re-read on every check: make it volatile. */
    const char *flag_decl = "  u32 w2c_" WC_INTERRUPT_EXPORT ";\n";
    char *decl = strstr((char *)h_text, flag_decl);
    if (!decl) {
        rc = wc_error_set(err, WC_ECOMPILE,
                          "wasm2c output has no interrupt flag member (unsupported wasm2c version?)");
        goto done;
    }
    wc_buf header;
    wc_buf_init(&header);
    wc_buf_append(&header, h_text, (size_t)(decl - (char *)h_text));
    wc_buf_str(&header, "  volatile u32 w2c_" WC_INTERRUPT_EXPORT ";\n");
    wc_buf_str(&header, decl + strlen(flag_decl));
    if (track_writes)
        wc_buf_str(source, "#define WC_TRACK_WRITES 1\n");
    wc_buf_str(source, wc_wasm_rt_header);
    int missing = append_without_include(source, wc_buf_cstr(&header) ? (char *)header.data : "",
                                         "wasm-rt.h");
    wc_buf_free(&header);
    if (missing) {
        rc = wc_error_set(err, WC_ECOMPILE, "unexpected wasm2c output (no include of wasm-rt.h)");
        goto done;
    }
    char *marked = track_writes ? mark_writes((char *)c_text) : strdup((char *)c_text);
    if (!marked) {
        rc = wc_error_set(err, WC_ECOMPILE,
                          "unexpected wasm2c output (its memory-write helpers were not found "
                          "once each) or out of memory");
        goto done;
    }
    int no_include = append_without_include(source, marked, "m.h");
    free(marked);
    if (no_include) {
        rc = wc_error_set(err, WC_ECOMPILE, "unexpected wasm2c output (no include of m.h)");
        goto done;
    }
    generate_glue(source, info);
    if (source->failed)
        rc = wc_error_set(err, WC_ENOMEM, "out of memory while translating");
done:
    free(c_text);
    free(h_text);
    wc_remove_dir(dir);
    return rc;
}
