/* simd.c -- the SIMD helpers libtcc's units call for the instructions
 * emit_simd_tcc.c does not write inline: wasm-simd.h's vector code, each
 * instruction wrapped in an exported function wc_rt_simd_<name> that takes
 * its v128 operands and result by pointer, and their table for code.c,
 * which gives them to libtcc by name.
 *
 * libtcc copies a struct it assigns with a call of memmove, so its units
 * keep a v128 as two u64 in place and pass its address; a helper reads and
 * writes the two halves with 8-byte accesses, as libtcc's code does (a
 * 16-byte load of what two 8-byte stores just wrote waits for them to
 * retire: a store-forwarding stall, which was most of a helper's time). */
#define WC_RT_VECTOR_V128
#include <math.h>
#include <stdint.h>

#include "engine/runtime/wasm-rt.h"

#include "engine/runtime/simd.h"
#include "engine/runtime/wasm-simd.h"

static inline v128 get(const uint64_t *p)
{
    return (v128){p[0], p[1]};
}

static inline void put(uint64_t *p, v128 v)
{
    p[0] = v[0];
    p[1] = v[1];
}

/* Parameters and arguments by operand type (simd_ops.def's letters): the
 * first operand without a comma before it, N none. */
#define PARAM1_V(x) const uint64_t *x
#define PARAM_V(x) , const uint64_t *x
#define PARAM_I(x) , uint32_t x
#define PARAM_L(x) , uint64_t x
#define PARAM_F(x) , float x
#define PARAM_D(x) , double x
#define PARAM_N(x)
#define ARG1_V(x) get(x)
#define ARG1_I(x) x
#define ARG1_L(x) x
#define ARG1_F(x) x
#define ARG1_D(x) x
#define ARG_V(x) , get(x)
#define ARG_I(x) , x
#define ARG_L(x) , x
#define ARG_F(x) , x
#define ARG_D(x) , x
#define ARG_N(x)
/* immediates: a lane index; a shuffle's 16 indices as two u64 */
#define IMM_PARAM_NONE
#define IMM_PARAM_LANE , int lane
#define IMM_PARAM_SHUFFLE , uint64_t mask_lo, uint64_t mask_hi
#define IMM_ARG_NONE
#define IMM_ARG_LANE , lane
#define IMM_ARG_SHUFFLE , (v128){mask_lo, mask_hi}

#define PARAMS(a, b, c, imm) PARAM_##a(a0) PARAM_##b(a1) PARAM_##c(a2) IMM_PARAM_##imm
#define ARGS(a, b, c, imm) ARG1_##a(a0) ARG_##b(a1) ARG_##c(a2) IMM_ARG_##imm

/* A v128 result goes to *dst (which may be an operand: read first); a
 * scalar one is returned, and its first operand is always a v128. */
#define HELPER_V(name, imm, a, b, c) \
    void wc_rt_simd_##name(uint64_t *dst PARAMS(a, b, c, imm)) { put(dst, wc_simd_##name(ARGS(a, b, c, imm))); }
#define HELPER_SCALAR(T, name, imm, a, b, c) \
    T wc_rt_simd_##name(PARAM1_##a(a0) PARAM_##b(a1) PARAM_##c(a2) IMM_PARAM_##imm) \
    { return wc_simd_##name(ARGS(a, b, c, imm)); }
#define HELPER_I(...) HELPER_SCALAR(uint32_t, __VA_ARGS__)
#define HELPER_L(...) HELPER_SCALAR(uint64_t, __VA_ARGS__)
#define HELPER_F(...) HELPER_SCALAR(float, __VA_ARGS__)
#define HELPER_D(...) HELPER_SCALAR(double, __VA_ARGS__)

#define WC_SIMD_OP(code, name, wname, imm, lanes, r, a, b, c, relaxed) HELPER_##r(name, imm, a, b, c)
#include "engine/runtime/simd_ops.def"
#undef WC_SIMD_OP

const wc_rt_simd_symbol wc_rt_simd_symbols[] = {
#define WC_SIMD_OP(code, name, ...) {"wc_rt_simd_" #name, (const void *)wc_rt_simd_##name},
#include "engine/runtime/simd_ops.def"
#undef WC_SIMD_OP
};

const size_t wc_rt_simd_nsymbols = sizeof wc_rt_simd_symbols / sizeof wc_rt_simd_symbols[0];
