/* flatbuffer.h -- checked reads of a FlatBuffers binary, for the model readers.
 *
 * The format (flatbuffers.dev, "FlatBuffers Binary Format"), little-endian:
 * the buffer starts with a u32 offset to the root table, optionally followed
 * by a 4-byte file identifier.  A table starts with an i32 that, subtracted
 * from the table's position, gives its vtable: u16 vtable size in bytes, u16
 * table size in bytes, then one u16 per field id, the field's offset in the
 * table (0 or past the vtable's end: the field is absent and has its
 * default).  Tables, vectors and strings are reached through u32 offsets
 * counted from where the offset is stored.  A vector is a u32 element count
 * and the elements; a string is a vector of bytes followed by a NUL.  A union
 * field with id N is a u8 type at id N-1 and a table at id N.
 *
 * Nothing here trusts the bytes: every position is computed in 64 bits and
 * checked against the buffer before a byte is read, every field against the
 * table's declared size, and scalars are read bytewise, so no alignment is
 * assumed.  A failure writes "NAME: offset 0xOFF: CONTEXT WHAT PROBLEM" and
 * returns WC_EMALFORMED; offsets are those of the bytes at fault.
 */
#ifndef WC_NN_FLATBUFFER_H
#define WC_NN_FLATBUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct wc_fb_reader {
    const uint8_t *data;
    size_t size;
    const char *format;   /* "tflite": starts every message */
    char context[96];     /* the object being read: "tensor 3" */
    uint64_t copy_budget; /* elements a caller may still copy out (wc_fb_claim) */
    wc_error *err;        /* NULL: no message wanted */
    int code;             /* of the first failure */
} wc_fb_reader;

typedef struct wc_fb_table {
    uint64_t pos, vtable;
    uint16_t vtable_size, table_size;
} wc_fb_table;

typedef struct wc_fb_vector {
    uint64_t pos; /* of the first element */
    uint32_t len;
    bool present;
} wc_fb_vector;

void wc_fb_reader_init(wc_fb_reader *r, const uint8_t *data, size_t size, const char *format,
                       wc_error *err);
/* Sets r->context (printf-style). */
void wc_fb_context(wc_fb_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes the message for a fault at offset; returns WC_EMALFORMED. */
int wc_fb_fail(wc_fb_reader *r, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The root table, after checking the identifier at bytes 4..8. */
int wc_fb_root(wc_fb_reader *r, const char identifier[4], wc_fb_table *root);

/* Scalar fields: the default when absent.  `what` names the field. */
int wc_fb_u8(wc_fb_reader *r, const wc_fb_table *t, unsigned id, const char *what, uint8_t dflt,
             uint8_t *out);
int wc_fb_i8(wc_fb_reader *r, const wc_fb_table *t, unsigned id, const char *what, int8_t dflt,
             int8_t *out);
int wc_fb_bool(wc_fb_reader *r, const wc_fb_table *t, unsigned id, const char *what, bool dflt,
               bool *out);
int wc_fb_i32(wc_fb_reader *r, const wc_fb_table *t, unsigned id, const char *what, int32_t dflt,
              int32_t *out);
int wc_fb_u32(wc_fb_reader *r, const wc_fb_table *t, unsigned id, const char *what, uint32_t dflt,
              uint32_t *out);
int wc_fb_u64(wc_fb_reader *r, const wc_fb_table *t, unsigned id, const char *what, uint64_t dflt,
              uint64_t *out);
int wc_fb_f32(wc_fb_reader *r, const wc_fb_table *t, unsigned id, const char *what, float dflt,
              float *out);

/* A table field; *present is false when the field is absent. */
int wc_fb_table_field(wc_fb_reader *r, const wc_fb_table *t, unsigned id, const char *what,
                      wc_fb_table *out, bool *present);
/* A vector field of elem_size-byte elements, checked to lie in the buffer
 * whole; an absent field is an empty vector with present false. */
int wc_fb_vector_field(wc_fb_reader *r, const wc_fb_table *t, unsigned id, size_t elem_size,
                       const char *what, wc_fb_vector *out);
/* A string field: NUL-terminated in the buffer (checked); *s is NULL when
 * absent.  It points into the buffer. */
int wc_fb_string_field(wc_fb_reader *r, const wc_fb_table *t, unsigned id, const char *what,
                       const char **s, uint32_t *len);
/* A union field whose value has id `id` (its type is at id - 1).  *type 0
 * (NONE) leaves *value unset. */
int wc_fb_union_field(wc_fb_reader *r, const wc_fb_table *t, unsigned id, const char *what,
                      uint8_t *type, wc_fb_table *value);

/* Element i of a vector of tables (i < v->len). */
int wc_fb_vector_table(wc_fb_reader *r, const wc_fb_vector *v, uint32_t i, const char *what,
                       wc_fb_table *out);
/* Elements of checked vectors (i < v->len). */
int32_t wc_fb_vector_i32(const wc_fb_reader *r, const wc_fb_vector *v, uint32_t i);
int64_t wc_fb_vector_i64(const wc_fb_reader *r, const wc_fb_vector *v, uint32_t i);
float wc_fb_vector_f32(const wc_fb_reader *r, const wc_fb_vector *v, uint32_t i);

/* Takes count elements from the copy budget: tables may share one vector,
 * so copying what they point at could otherwise cost far more memory than
 * the buffer's size. */
int wc_fb_claim(wc_fb_reader *r, const wc_fb_vector *v, const char *what);

#endif
