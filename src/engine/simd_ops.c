/* simd_ops.c -- the table of SIMD instructions (simd_ops.h). */
#include <pthread.h>
#include <stddef.h>

#include "engine/decode.h"
#include "engine/simd_ops.h"

#define V WC_VT_V128
#define I WC_VT_I32
#define L WC_VT_I64
#define F WC_VT_F32
#define D WC_VT_F64
#define N 0
#define NONE WC_SIMD_PLAIN
#define LANE WC_SIMD_LANE
#define SHUFFLE WC_SIMD_SHUFFLE

/* Operand counts: the last non-N operand. */
#define COUNT(a, b, c) ((c) ? 3 : (b) ? 2 : (a) ? 1 : 0)

/* Memory accesses: (code, name, cname, kind, bytes, lanes); the operands
 * are the address and, for lanes and stores, a v128. */
#define MEM(code, name, cname, kind, bytes, lanes, result, a, b)                                       \
    {code, name, cname, kind, lanes, bytes, result, {a, b, N}, COUNT(a, b, N), false}

static const wc_simd_op ops[] = {
    MEM(0x00, "v128.load", "v128_load", WC_SIMD_LOAD, 16, 0, V, I, N),
    MEM(0x01, "v128.load8x8_s", "v128_load8x8_s", WC_SIMD_LOAD, 8, 0, V, I, N),
    MEM(0x02, "v128.load8x8_u", "v128_load8x8_u", WC_SIMD_LOAD, 8, 0, V, I, N),
    MEM(0x03, "v128.load16x4_s", "v128_load16x4_s", WC_SIMD_LOAD, 8, 0, V, I, N),
    MEM(0x04, "v128.load16x4_u", "v128_load16x4_u", WC_SIMD_LOAD, 8, 0, V, I, N),
    MEM(0x05, "v128.load32x2_s", "v128_load32x2_s", WC_SIMD_LOAD, 8, 0, V, I, N),
    MEM(0x06, "v128.load32x2_u", "v128_load32x2_u", WC_SIMD_LOAD, 8, 0, V, I, N),
    MEM(0x07, "v128.load8_splat", "i8x16_splat", WC_SIMD_LOAD, 1, 0, V, I, N),
    MEM(0x08, "v128.load16_splat", "i16x8_splat", WC_SIMD_LOAD, 2, 0, V, I, N),
    MEM(0x09, "v128.load32_splat", "i32x4_splat", WC_SIMD_LOAD, 4, 0, V, I, N),
    MEM(0x0a, "v128.load64_splat", "i64x2_splat", WC_SIMD_LOAD, 8, 0, V, I, N),
    MEM(0x0b, "v128.store", "v128_store", WC_SIMD_STORE, 16, 0, N, I, V),
    {0x0c, "v128.const", "v128_const", WC_SIMD_CONST, 0, 0, V, {N, N, N}, 0, false},
#define WC_SIMD_OP(code, cname, name, imm, lanes, r, a, b, c, relaxed)                                 \
    {code, name, #cname, imm, lanes, 0, r, {a, b, c}, COUNT(a, b, c), relaxed},
#include "engine/runtime/simd_ops.def"
#undef WC_SIMD_OP
    MEM(0x54, "v128.load8_lane", "i8x16_replace_lane", WC_SIMD_LOAD_LANE, 1, 16, V, I, V),
    MEM(0x55, "v128.load16_lane", "i16x8_replace_lane", WC_SIMD_LOAD_LANE, 2, 8, V, I, V),
    MEM(0x56, "v128.load32_lane", "i32x4_replace_lane", WC_SIMD_LOAD_LANE, 4, 4, V, I, V),
    MEM(0x57, "v128.load64_lane", "i64x2_replace_lane", WC_SIMD_LOAD_LANE, 8, 2, V, I, V),
    MEM(0x58, "v128.store8_lane", "i8x16_extract_lane_u", WC_SIMD_STORE_LANE, 1, 16, N, I, V),
    MEM(0x59, "v128.store16_lane", "i16x8_extract_lane_u", WC_SIMD_STORE_LANE, 2, 8, N, I, V),
    MEM(0x5a, "v128.store32_lane", "i32x4_extract_lane", WC_SIMD_STORE_LANE, 4, 4, N, I, V),
    MEM(0x5b, "v128.store64_lane", "i64x2_extract_lane", WC_SIMD_STORE_LANE, 8, 2, N, I, V),
    MEM(0x5c, "v128.load32_zero", "v128_load32_zero", WC_SIMD_LOAD, 4, 0, V, I, N),
    MEM(0x5d, "v128.load64_zero", "v128_load64_zero", WC_SIMD_LOAD, 8, 0, V, I, N),
};

/* By code: the table's rows in opcode order are not dense (the memory
 * accesses sit apart), so a 0x114-entry index is built on first use. */
#define NCODES 0x114
static const wc_simd_op *by_code[NCODES];

static void build_index(void)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (ops[i].code < NCODES)
            by_code[ops[i].code] = &ops[i];
}

const wc_simd_op *wc_simd_op_find(uint32_t code)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, build_index);
    return code < NCODES ? by_code[code] : NULL;
}

const wc_simd_op *wc_simd_ops_all(uint32_t *n)
{
    *n = (uint32_t)(sizeof ops / sizeof ops[0]);
    return ops;
}
