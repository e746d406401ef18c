/* simd_ops.h -- private to the engine: every 0xfd-prefixed instruction
 * (runtime/simd_ops.def and the memory accesses), for the validator
 * (validate_simd.c) and the emitter (emit_simd.c). */
#ifndef WC_ENGINE_SIMD_OPS_H
#define WC_ENGINE_SIMD_OPS_H

#include <stdbool.h>
#include <stdint.h>

enum {
    WC_SIMD_PLAIN,      /* a helper over its operands (simd_ops.def) */
    WC_SIMD_LANE,       /* a helper with a lane index immediate */
    WC_SIMD_SHUFFLE,    /* i8x16.shuffle: 16 lane indices */
    WC_SIMD_CONST,      /* v128.const: 16 bytes */
    WC_SIMD_LOAD,       /* memarg: a v128 from memory (splat, extend, zero) */
    WC_SIMD_STORE,      /* memarg: v128.store */
    WC_SIMD_LOAD_LANE,  /* memarg, lane: one lane from memory */
    WC_SIMD_STORE_LANE, /* memarg, lane: one lane to memory */
};

typedef struct wc_simd_op {
    uint32_t code;     /* after the 0xfd prefix */
    const char *name;  /* "i32x4.add" */
    const char *cname; /* "i32x4_add": the helper is wc_simd_<cname> */
    uint8_t kind;      /* WC_SIMD_* */
    uint8_t lanes;     /* of a lane immediate */
    uint8_t bytes;     /* accessed in memory (natural alignment) */
    uint8_t result;    /* value type, 0 for none */
    uint8_t operands[3];
    uint8_t noperands;
    bool relaxed;      /* of the relaxed-SIMD proposal */
} wc_simd_op;

/* The instruction with this code, or NULL. */
const wc_simd_op *wc_simd_op_find(uint32_t code);

/* Every helper an op may call, for declaring them to libtcc; n set to
 * their count. */
const wc_simd_op *wc_simd_ops_all(uint32_t *n);

#endif
