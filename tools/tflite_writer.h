/* tflite_writer.h -- hand-laid FlatBuffers: the few primitives that write a
 * .tflite model without the flatbuffers library, for the model recipes
 * (plugins/supply-risk/model/) and the tests' builder (tests/tflite_builder.h).
 *
 * Objects are written front to back, a parent before its children, so every
 * offset points forward as the format requires.  Every table field gets an
 * 8-byte slot (slot i at table + 8 + 8 * i, absent fields have vtable entry
 * 0), wide enough for any scalar; narrower scalars sit in the slot's low
 * bytes, little-endian.  Vectors of multi-byte elements are copied as the
 * host lays them out, so the writer needs a little-endian host.
 */
#ifndef WC_TOOLS_TFLITE_WRITER_H
#define WC_TOOLS_TFLITE_WRITER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TFB_CAPACITY
#define TFB_CAPACITY (1 << 16)
#endif

typedef struct tfb {
    uint8_t b[TFB_CAPACITY];
    size_t n;
} tfb;

static inline size_t tfb_put(tfb *b, const void *p, size_t n)
{
    if (b->n + n > sizeof b->b) {
        printf("FAIL: model larger than the writer's %zu bytes\n", sizeof b->b);
        exit(1);
    }
    size_t pos = b->n;
    if (p)
        memcpy(b->b + pos, p, n);
    else
        memset(b->b + pos, 0, n);
    b->n += n;
    return pos;
}
static inline void tfb_set_u32(tfb *b, size_t pos, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b->b[pos + i] = (uint8_t)(v >> 8 * i);
}

static inline void tfb_set_u16(tfb *b, size_t pos, uint16_t v)
{
    b->b[pos] = (uint8_t)v;
    b->b[pos + 1] = (uint8_t)(v >> 8);
}

static inline uint32_t tfb_get_u32(const tfb *b, size_t pos)
{
    return (uint32_t)b->b[pos] | (uint32_t)b->b[pos + 1] << 8 | (uint32_t)b->b[pos + 2] << 16 |
           (uint32_t)b->b[pos + 3] << 24;
}

static inline size_t tfb_u32(tfb *b, uint32_t v)
{
    size_t pos = tfb_put(b, NULL, 4);
    tfb_set_u32(b, pos, v);
    return pos;
}

static inline void tfb_align(tfb *b)
{
    while (b->n % 8)
        tfb_put(b, NULL, 1);
}

static inline size_t tfb_slot(size_t table, unsigned field)
{
    return table + 8 + 8 * (size_t)field;
}

/* A table of nfields fields, field i present when bit i of present is set;
 * its vtable sits just before it. */
static inline size_t tfb_table(tfb *b, unsigned nfields, uint32_t present)
{
    tfb_align(b);
    size_t vtable = tfb_put(b, NULL, 4 + 2 * (size_t)nfields);
    tfb_set_u16(b, vtable, (uint16_t)(4 + 2 * nfields));
    tfb_set_u16(b, vtable + 2, (uint16_t)(8 + 8 * nfields));
    for (unsigned i = 0; i < nfields; i++)
        tfb_set_u16(b, vtable + 4 + 2 * i, present >> i & 1 ? (uint16_t)(8 + 8 * i) : 0);
    tfb_align(b);
    size_t table = tfb_put(b, NULL, 8 + 8 * (size_t)nfields);
    tfb_set_u32(b, table, (uint32_t)(table - vtable));
    return table;
}

static inline void tfb_set(tfb *b, size_t table, unsigned field, uint32_t v)
{
    tfb_set_u32(b, tfb_slot(table, field), v);
}

/* Points the offset stored at slot to target (which must follow it). */
static inline void tfb_link(tfb *b, size_t slot, size_t target)
{
    tfb_set_u32(b, slot, (uint32_t)(target - slot));
}

static inline void tfb_link_field(tfb *b, size_t table, unsigned field, size_t target)
{
    tfb_link(b, tfb_slot(table, field), target);
}

/* A vector of n elements of size elem_size; returns its length's position
 * (element i at pos + 4 + i * elem_size). */
static inline size_t tfb_vector(tfb *b, uint32_t n, size_t elem_size, const void *elems)
{
    tfb_align(b);
    size_t pos = tfb_u32(b, n);
    tfb_put(b, elems, n * elem_size);
    return pos;
}

static inline size_t tfb_vec_i32(tfb *b, uint32_t n, const int32_t *v)
{
    size_t pos = tfb_vector(b, n, 4, NULL);
    for (uint32_t i = 0; i < n; i++)
        tfb_set_u32(b, pos + 4 + 4 * i, (uint32_t)v[i]);
    return pos;
}

static inline size_t tfb_string(tfb *b, const char *s)
{
    size_t pos = tfb_vector(b, (uint32_t)strlen(s), 1, s);
    tfb_put(b, NULL, 1);
    return pos;
}

static inline size_t tfb_elem(size_t vector, uint32_t i)
{
    return vector + 4 + 4 * (size_t)i;
}

#endif
