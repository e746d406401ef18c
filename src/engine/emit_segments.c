/* emit_segments.c -- element and data segments.
 *
 * An element segment's contents become a constant array (`wc_elem<k>`); a
 * data segment's are read where they are in the module's bytes, which the
 * instance holds (`wc_data<k>` is an address in them): as C text they made
 * a module's megabytes of data hundreds of megabytes for the compilers to
 * parse (a 60 MiB segment: 7 s of CPU under the libtcc lock, 0.75 GB of
 * memory); the cache key holds the module's digest, so offsets in its bytes
 * are fixed for the code.  The instance keeps how much of each table.init and
 * memory.init may still read (`elen`, `dlen`: zero once dropped).
 * wc_init_segments() instantiates them as WebAssembly 2.0 says: every
 * active element segment in order (table.init then elem.drop; declarative
 * ones are just dropped), then every active data segment (memory.init then
 * data.drop); a trap stops it where it is, and what was written stays.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine/emit_internal.h"

static const wc_section *find_section(const wc_module_info *info, uint8_t id)
{
    for (uint32_t i = 0; i < info->nsections; i++)
        if (info->sections[i].id == id)
            return &info->sections[i];
    return NULL;
}

typedef struct segment {
    bool active, declarative;
    uint32_t table; /* elements: the table of an active segment */
    uint32_t memory; /* data: the memory of an active segment */
    uint8_t reftype;
    size_t offset_pos; /* active: the offset's constant expression */
    uint32_t count;    /* elements, or bytes */
    size_t items_pos;  /* data: the bytes */
    bool exprs;        /* elements given as expressions, not function indices */
} segment;

/* Reads segment headers; *pos is left at the items. */
static void read_elem_header(const wc_emit_module *m, size_t *pos, size_t end, segment *seg,
                             wc_buf *offset)
{
    const uint8_t *b = m->info->bytes;
    uint32_t flags = wc_emit_u32(b, pos, end);
    memset(seg, 0, sizeof *seg);
    seg->reftype = WC_VT_FUNCREF;
    seg->exprs = flags & 4;
    seg->active = !(flags & 1);
    seg->declarative = (flags & 3) == 3;
    if (seg->active && (flags & 2))
        seg->table = wc_emit_u32(b, pos, end);
    if (seg->active)
        wc_emit_const_expr(m, pos, end, offset);
    if (flags & 3) { /* an elemkind or a reftype */
        uint8_t kind = *pos < end ? b[(*pos)++] : 0;
        if (seg->exprs)
            seg->reftype = kind;
    }
    seg->count = wc_emit_u32(b, pos, end);
}

/* A function's wc_elem initializer. */
static void elem_func(const wc_emit_module *m, uint32_t f, wc_buf *out)
{
    wc_buf_printf(out, "{WC_ELEM_FUNC, %" PRIu32 ", 0, (wasm_rt_function_ptr_t)fn%" PRIu32,
                  m->info->func_types[f], f);
    wc_emit_tail_ref(m, f, out);
    wc_buf_str(out, "}");
}

/* One item of an element segment as a wc_elem initializer. */
static void elem_item(const wc_emit_module *m, const segment *seg, size_t *pos, size_t end, wc_buf *out)
{
    const uint8_t *b = m->info->bytes;
    if (!seg->exprs) {
        uint32_t f = wc_emit_u32(b, pos, end);
        elem_func(m, f, out);
        return;
    }
    uint8_t op = *pos < end ? b[(*pos)++] : 0x0b;
    if (op == 0xd2) {
        uint32_t f = wc_emit_u32(b, pos, end);
        elem_func(m, f, out);
    } else if (op == 0x23) {
        uint32_t g = wc_emit_u32(b, pos, end);
        wc_buf_printf(out, "{WC_ELEM_GLOBAL, 0, %" PRIu32 ", 0}", g);
    } else { /* ref.null t */
        (*pos)++;
        wc_buf_str(out, "{WC_ELEM_NULL, 0, 0, 0}");
    }
    if (*pos < end && b[*pos] == 0x0b)
        (*pos)++;
}

/* Reads a data segment's header; *pos is left at its bytes. */
static void read_data_header(const wc_emit_module *m, size_t *pos, size_t end, segment *seg,
                             wc_buf *offset)
{
    const uint8_t *b = m->info->bytes;
    uint32_t flags = wc_emit_u32(b, pos, end);
    memset(seg, 0, sizeof *seg);
    seg->active = flags != 1;
    if (flags == 2)
        seg->memory = wc_emit_u32(b, pos, end);
    if (seg->active)
        wc_emit_const_expr(m, pos, end, offset);
    seg->count = wc_emit_u32(b, pos, end);
    seg->items_pos = *pos;
    *pos += seg->count <= end - *pos ? seg->count : end - *pos;
}

/* A switch over the globals of a reference type, for element items that
 * are global.get. */
static void global_reader(const wc_emit_module *m, uint8_t reftype, wc_buf *out)
{
    bool funcref = reftype == WC_VT_FUNCREF;
    wc_buf_printf(out, "static %s wc_global_%s(wc_inst *instance, u32 g) {\n  switch (g) {\n",
                  wc_emit_ctype(reftype), funcref ? "funcref" : "externref");
    for (uint32_t g = 0; g < m->nglobals_total; g++) {
        if (m->global_types[g]->valtype != reftype)
            continue;
        wc_buf_printf(out, "  case %" PRIu32 ": return ", g);
        wc_emit_global(m, g, out);
        wc_buf_str(out, ";\n");
    }
    wc_buf_printf(out, "  default: return %s;\n  }\n}\n",
                  funcref ? "wasm_rt_funcref_null_value" : "(wasm_rt_externref_t)0");
}

static const char table_init_helpers[] =
    "static wasm_rt_funcref_t wc_elem_funcref(wc_inst *instance, const wc_elem *e) {\n"
    "  if (e->kind == WC_ELEM_FUNC) return (wasm_rt_funcref_t){wc_types[e->type], e->func, instance, e->tail};\n"
    "  if (e->kind == WC_ELEM_GLOBAL) return wc_global_funcref(instance, e->global);\n"
    "  return wasm_rt_funcref_null_value;\n"
    "}\n"
    "static void wc_funcref_table_init(wc_inst *instance, wasm_rt_funcref_table_t *t, const wc_elem *src,\n"
    "                                  u32 src_size, u32 d, u32 s, u32 n) {\n"
    "  RANGE_CHECK(src_size, s, n, OOB_TABLE);\n"
    "  RANGE_CHECK(t->size, d, n, OOB_TABLE);\n"
    "  for (u32 i = 0; i < n; i++) t->data[d + i] = wc_elem_funcref(instance, &src[s + i]);\n"
    "}\n"
    "static void wc_externref_table_init(wc_inst *instance, wasm_rt_externref_table_t *t,\n"
    "                                    const wc_elem *src, u32 src_size, u32 d, u32 s, u32 n) {\n"
    "  RANGE_CHECK(src_size, s, n, OOB_TABLE);\n"
    "  RANGE_CHECK(t->size, d, n, OOB_TABLE);\n"
    "  for (u32 i = 0; i < n; i++)\n"
    "    t->data[d + i] = src[s + i].kind == WC_ELEM_GLOBAL ? wc_global_externref(instance, src[s + i].global) : 0;\n"
    "}\n";

void wc_emit_segment_fields(const wc_emit_module *m, wc_buf *out)
{
    wc_buf_str(out, "  const u8 *mb; /* the module's bytes, where data segments are read */\n");
    wc_buf_printf(out, "  u32 elen[%" PRIu32 "];\n  u32 dlen[%" PRIu32 "];\n",
                  m->info->nelems ? m->info->nelems : 1, m->info->ndatas ? m->info->ndatas : 1);
}

int wc_emit_segments(const wc_emit_module *m, wc_buf *out, wc_error *err)
{
    (void)err;
    const wc_module_info *info = m->info;
    const uint8_t *b = info->bytes;
    wc_buf init, offset;
    wc_buf_init(&init);
    wc_buf_init(&offset);
    global_reader(m, WC_VT_FUNCREF, out);
    global_reader(m, WC_VT_EXTERNREF, out);
    wc_buf_str(out, table_init_helpers);

    wc_buf_str(&init, "static void wc_init_segments(wc_inst *instance) {\n"
                      "  instance->mb = wc_rt_module_bytes(instance->ctx);\n");
    const wc_section *sec = find_section(info, WC_SEC_ELEMENT);
    if (sec) {
        size_t pos = sec->offset, end = sec->offset + sec->size;
        uint32_t n = wc_emit_u32(b, &pos, end);
        for (uint32_t k = 0; k < n && k < info->nelems; k++) {
            segment seg;
            offset.len = 0;
            read_elem_header(m, &pos, end, &seg, &offset);
            wc_buf_printf(out, "static const wc_elem wc_elem%" PRIu32 "[] = {", k);
            for (uint32_t i = 0; i < seg.count && pos < end; i++) {
                wc_buf_str(out, i % 4 ? ", " : (i ? ",\n  " : "\n  "));
                elem_item(m, &seg, &pos, end, out);
            }
            wc_buf_str(out, seg.count ? "\n};\n" : "{0}};\n");
            wc_buf_printf(&init, "  instance->elen[%" PRIu32 "] = %" PRIu32 "u;\n", k,
                          seg.active || seg.declarative ? 0 : seg.count);
            if (seg.active) {
                const char *kind = m->table_types[seg.table]->elemtype == WC_VT_FUNCREF ? "funcref"
                                                                                        : "externref";
                wc_buf_printf(&init, "  wc_%s_table_init(instance, ", kind);
                wc_emit_table(m, seg.table, &init);
                wc_buf_printf(&init, ", wc_elem%" PRIu32 ", %" PRIu32 "u, ", k, seg.count);
                wc_buf_append(&init, offset.data, offset.len);
                wc_buf_printf(&init, ", 0, %" PRIu32 "u);\n", seg.count);
            }
        }
    }
    sec = find_section(info, WC_SEC_DATA);
    if (sec) {
        size_t pos = sec->offset, end = sec->offset + sec->size;
        uint32_t n = wc_emit_u32(b, &pos, end);
        for (uint32_t k = 0; k < n && k < info->ndatas; k++) {
            segment seg;
            offset.len = 0;
            read_data_header(m, &pos, end, &seg, &offset);
            wc_buf_printf(out, "#define wc_data%" PRIu32 " (instance->mb + %zuu)\n", k, seg.items_pos);
            wc_buf_printf(&init, "  instance->dlen[%" PRIu32 "] = %" PRIu32 "u;\n", k,
                          seg.active ? 0 : seg.count);
            if (seg.active) {
                wc_buf_printf(&init, "  wc_memory_init(%s, wc_data%" PRIu32 ", %" PRIu32 "u, ",
                              wc_emit_memory_at(m, seg.memory), k, seg.count);
                wc_buf_append(&init, offset.data, offset.len);
                wc_buf_printf(&init, ", 0, %" PRIu32 "u);\n", seg.count);
            }
        }
    }
    /* the active segments' pages are loaded: from here on writes are ordinary */
    wc_buf_str(&init, "  wc_rt_data_loaded();\n}\n");
    wc_buf_append(out, init.data, init.len);
    out->failed |= init.failed || offset.failed;
    wc_buf_free(&init);
    wc_buf_free(&offset);
    return 0;
}
