/* emit_simd.h -- private to the emitter: a SIMD instruction as a C
 * template for emit_func.c (emit_simd.c; libtcc's in emit_simd_tcc.c). */
#ifndef WC_ENGINE_EMIT_SIMD_H
#define WC_ENGINE_EMIT_SIMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/simd_ops.h"
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
    uint8_t bytes;      /* accessed in memory */
    bool sets;          /* the template is a statement that writes the result
                         * into its slot, $3, instead of an expression */
    bool names;         /* the operands must be names (the template repeats
                         * them or takes their address) */
    uint32_t noperands; /* popped */
    uint32_t memory;    /* the memarg of a memory access: its memory */
    uint64_t offset;    /* and offset */
    wc_buf tmpl;        /* the template, NUL-terminated; the caller frees it */
} wc_simd_emit;

/* Reads the instruction after a 0xfd byte at b[*pos] (with its
 * immediates) into *out, for libtcc's unit or gcc's; *pos moves past it. */
void wc_emit_simd_op(const uint8_t *b, size_t *pos, size_t end, bool for_tcc, wc_simd_emit *out);

/* libtcc's template of op (emit_simd_tcc.c): lane is its lane immediate,
 * imm the 16 bytes of a v128.const or a shuffle as two u64.  Sets out's
 * kind, sets, names and tmpl. */
void wc_emit_simd_tcc(const wc_simd_op *op, uint32_t lane, const uint64_t imm[2], wc_simd_emit *out);

/* The C type of a lane, or a lane access, of `bytes`: u8 .. u64. */
const char *wc_emit_simd_lane_ctype(unsigned bytes);

/* Does libtcc's code call op's runtime helper (else it is inline)? */
bool wc_emit_simd_tcc_calls(const wc_simd_op *op);

#endif
