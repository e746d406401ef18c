/* emit_simd.h -- private to the emitter: a SIMD instruction as a C
 * template for emit_func.c (emit_simd.c). */
#ifndef WC_ENGINE_EMIT_SIMD_H
#define WC_ENGINE_EMIT_SIMD_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

enum {
    WC_SIMD_EMIT_PURE,    /* an expression over the operands $0..$2 */
    WC_SIMD_EMIT_LOAD,    /* an expression reading memory: $0 is the address */
    WC_SIMD_EMIT_STORE,   /* a statement writing memory: $0 is the address */
    WC_SIMD_EMIT_INVALID, /* not in a validated module */
    WC_SIMD_EMIT_NOMEM,
};

typedef struct wc_simd_emit {
    uint8_t kind;       /* WC_SIMD_EMIT_* */
    uint8_t result;     /* value type pushed, 0 for none */
    uint8_t bytes;      /* written by a store */
    uint32_t noperands; /* popped */
    uint32_t memory;    /* the memarg of a memory access: its memory */
    uint64_t offset;    /* and offset */
    wc_buf tmpl;        /* the template, NUL-terminated; the caller frees it */
} wc_simd_emit;

/* Reads the instruction after a 0xfd byte at b[*pos] (with its
 * immediates) into *out; *pos moves past it. */
void wc_emit_simd_op(const uint8_t *b, size_t *pos, size_t end, wc_simd_emit *out);

#endif
