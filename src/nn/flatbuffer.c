/* flatbuffer.c -- see flatbuffer.h. */
#include "nn/flatbuffer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void wc_fb_reader_init(wc_fb_reader *r, const uint8_t *data, size_t size, const char *format,
                       wc_error *err)
{
    memset(r, 0, sizeof *r);
    r->data = data;
    r->size = size;
    r->format = format;
    r->err = err;
    /* Unshared, every copied element takes at least 4 bytes of the buffer. */
    r->copy_budget = size;
}

void wc_fb_context(wc_fb_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->context, sizeof r->context, fmt, ap);
    va_end(ap);
}

int wc_fb_fail(wc_fb_reader *r, uint64_t offset, const char *fmt, ...)
{
    r->code = WC_EMALFORMED;
    if (!r->err)
        return r->code;
    r->err->code = r->code;
    size_t size = sizeof r->err->msg;
    int n = snprintf(r->err->msg, size, "%s: offset 0x%llx: %s%s", r->format,
                     (unsigned long long)offset, r->context, r->context[0] ? " " : "");
    if (n >= 0 && (size_t)n < size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err->msg + n, size - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return r->code;
}

static bool fits(const wc_fb_reader *r, uint64_t pos, uint64_t len)
{
    return pos <= r->size && len <= r->size - pos;
}

static uint16_t load_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t load_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t load_u64(const uint8_t *p)
{
    return (uint64_t)load_u32(p) | (uint64_t)load_u32(p + 4) << 32;
}

/* The table whose i32 vtable offset is at pos. */
static int table_at(wc_fb_reader *r, uint64_t pos, const char *what, wc_fb_table *t)
{
    const char *sp = what[0] ? " " : "";
    if (!fits(r, pos, 4))
        return wc_fb_fail(r, pos, "%s%stable starts past the end of the file (size 0x%zx)", what,
                          sp, r->size);
    int64_t back = (int32_t)load_u32(r->data + pos);
    int64_t vtable = (int64_t)pos - back;
    if (vtable < 0 || !fits(r, (uint64_t)vtable, 4))
        return wc_fb_fail(r, pos, "%s%stable's vtable offset %lld points outside the file", what,
                          sp, (long long)back);
    t->pos = pos;
    t->vtable = (uint64_t)vtable;
    t->vtable_size = load_u16(r->data + t->vtable);
    t->table_size = load_u16(r->data + t->vtable + 2);
    if (t->vtable_size < 4 || t->vtable_size % 2)
        return wc_fb_fail(r, t->vtable,
                          "%s%svtable has size %u, expected an even size of at least 4", what, sp,
                          t->vtable_size);
    if (!fits(r, t->vtable, t->vtable_size))
        return wc_fb_fail(r, t->vtable, "%s%svtable runs past the end of the file (size %u)", what,
                          sp, t->vtable_size);
    if (t->table_size < 4)
        return wc_fb_fail(r, t->vtable, "%s%stable has size %u, expected at least 4", what, sp,
                          t->table_size);
    if (!fits(r, pos, t->table_size))
        return wc_fb_fail(r, pos, "%s%stable runs past the end of the file (size %u)", what, sp,
                          t->table_size);
    return 0;
}

int wc_fb_root(wc_fb_reader *r, const char identifier[4], wc_fb_table *root)
{
    if (r->size < 8)
        return wc_fb_fail(
            r, 0, "file of %zu bytes is too short for a FlatBuffers root and identifier", r->size);
    if (memcmp(r->data + 4, identifier, 4) != 0)
        return wc_fb_fail(r, 4, "file identifier is not \"%.4s\"", identifier);
    return table_at(r, load_u32(r->data), "root", root);
}

/* The position of field id's width bytes, or 0 when absent (a field can
 * never be at the table's own position, where its vtable offset is). */
static int field_pos(wc_fb_reader *r, const wc_fb_table *t, unsigned id, size_t width,
                     const char *what, uint64_t *pos)
{
    *pos = 0;
    uint64_t slot = 4 + 2 * (uint64_t)id;
    if (slot + 2 > t->vtable_size)
        return 0;
    uint16_t off = load_u16(r->data + t->vtable + slot);
    if (!off)
        return 0;
    if (off < 4 || off + width > t->table_size)
        return wc_fb_fail(r, t->vtable + slot,
                          "%s field at offset %u does not fit in its table of %u bytes", what, off,
                          t->table_size);
    *pos = t->pos + off;
    return 0;
}

#define SCALAR_FIELD(NAME, TYPE, WIDTH, LOAD)                                                      \
    int NAME(wc_fb_reader *r, const wc_fb_table *t, unsigned id, const char *what, TYPE dflt,      \
             TYPE *out)                                                                            \
    {                                                                                              \
        uint64_t pos;                                                                              \
        if (field_pos(r, t, id, WIDTH, what, &pos))                                                \
            return WC_EMALFORMED;                                                                  \
        *out = pos ? (LOAD) : dflt;                                                                \
        return 0;                                                                                  \
    }

SCALAR_FIELD(wc_fb_u8, uint8_t, 1, r->data[pos])
SCALAR_FIELD(wc_fb_i8, int8_t, 1, (int8_t)r->data[pos])
SCALAR_FIELD(wc_fb_bool, bool, 1, r->data[pos] != 0)
SCALAR_FIELD(wc_fb_i32, int32_t, 4, (int32_t)load_u32(r->data + pos))
SCALAR_FIELD(wc_fb_u32, uint32_t, 4, load_u32(r->data + pos))
SCALAR_FIELD(wc_fb_u64, uint64_t, 8, load_u64(r->data + pos))

int wc_fb_f32(wc_fb_reader *r, const wc_fb_table *t, unsigned id, const char *what, float dflt,
              float *out)
{
    uint32_t bits;
    uint32_t dflt_bits;
    memcpy(&dflt_bits, &dflt, 4);
    if (wc_fb_u32(r, t, id, what, dflt_bits, &bits))
        return WC_EMALFORMED;
    memcpy(out, &bits, 4);
    return 0;
}

/* Follows the u32 offset stored in field id; *target 0 when absent. */
static int offset_field(wc_fb_reader *r, const wc_fb_table *t, unsigned id, const char *what,
                        uint64_t *target)
{
    uint64_t pos;
    if (field_pos(r, t, id, 4, what, &pos))
        return WC_EMALFORMED;
    *target = pos ? pos + load_u32(r->data + pos) : 0;
    return 0;
}

int wc_fb_table_field(wc_fb_reader *r, const wc_fb_table *t, unsigned id, const char *what,
                      wc_fb_table *out, bool *present)
{
    uint64_t target;
    if (offset_field(r, t, id, what, &target))
        return WC_EMALFORMED;
    *present = target != 0;
    return target ? table_at(r, target, what, out) : 0;
}

static int vector_at(wc_fb_reader *r, uint64_t pos, size_t elem_size, const char *what,
                     wc_fb_vector *out)
{
    if (!fits(r, pos, 4))
        return wc_fb_fail(r, pos, "%s vector starts past the end of the file (size 0x%zx)", what,
                          r->size);
    out->len = load_u32(r->data + pos);
    out->pos = pos + 4;
    out->present = true;
    if (!fits(r, out->pos, (uint64_t)out->len * elem_size))
        return wc_fb_fail(r, pos, "%s vector runs past the end of the file (length %u)", what,
                          out->len);
    return 0;
}

int wc_fb_vector_field(wc_fb_reader *r, const wc_fb_table *t, unsigned id, size_t elem_size,
                       const char *what, wc_fb_vector *out)
{
    uint64_t target;
    memset(out, 0, sizeof *out);
    if (offset_field(r, t, id, what, &target))
        return WC_EMALFORMED;
    return target ? vector_at(r, target, elem_size, what, out) : 0;
}

int wc_fb_string_field(wc_fb_reader *r, const wc_fb_table *t, unsigned id, const char *what,
                       const char **s, uint32_t *len)
{
    wc_fb_vector v;
    *s = NULL;
    *len = 0;
    if (wc_fb_vector_field(r, t, id, 1, what, &v))
        return WC_EMALFORMED;
    if (!v.present)
        return 0;
    if (!fits(r, v.pos + v.len, 1))
        return wc_fb_fail(r, v.pos - 4,
                          "%s string of %u bytes has no NUL before the end of the file", what,
                          v.len);
    if (r->data[v.pos + v.len] != 0)
        return wc_fb_fail(r, v.pos + v.len, "%s string of %u bytes is not followed by a NUL", what,
                          v.len);
    *s = (const char *)r->data + v.pos;
    *len = v.len;
    return 0;
}

int wc_fb_union_field(wc_fb_reader *r, const wc_fb_table *t, unsigned id, const char *what,
                      uint8_t *type, wc_fb_table *value)
{
    bool present;
    if (wc_fb_u8(r, t, id - 1, what, 0, type))
        return WC_EMALFORMED;
    if (wc_fb_table_field(r, t, id, what, value, &present))
        return WC_EMALFORMED;
    if (*type && !present)
        return wc_fb_fail(r, t->pos, "%s union has type %u but no value", what, *type);
    return 0;
}

int wc_fb_vector_table(wc_fb_reader *r, const wc_fb_vector *v, uint32_t i, const char *what,
                       wc_fb_table *out)
{
    uint64_t slot = v->pos + 4 * (uint64_t)i;
    return table_at(r, slot + load_u32(r->data + slot), what, out);
}

int32_t wc_fb_vector_i32(const wc_fb_reader *r, const wc_fb_vector *v, uint32_t i)
{
    return (int32_t)load_u32(r->data + v->pos + 4 * (uint64_t)i);
}

int64_t wc_fb_vector_i64(const wc_fb_reader *r, const wc_fb_vector *v, uint32_t i)
{
    return (int64_t)load_u64(r->data + v->pos + 8 * (uint64_t)i);
}

float wc_fb_vector_f32(const wc_fb_reader *r, const wc_fb_vector *v, uint32_t i)
{
    uint32_t bits = load_u32(r->data + v->pos + 4 * (uint64_t)i);
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

int wc_fb_claim(wc_fb_reader *r, const wc_fb_vector *v, const char *what)
{
    if (v->len > r->copy_budget)
        return wc_fb_fail(r, v->pos - 4,
                          "%s vector (length %u) takes the elements read past %zu, more than a "
                          "file of this size can hold: vectors are shared too often",
                          what, v->len, r->size);
    r->copy_budget -= v->len;
    return 0;
}
