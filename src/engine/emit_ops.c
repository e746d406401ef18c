/* emit_ops.c -- numeric and memory instructions as C templates.
 *
 * $0 and $1 stand for the operands.  A PURE template uses each operand
 * once, cannot trap and reads no memory: the emitter may fold it into a
 * later expression.  A SIMPLE one is pure but names an operand more than
 * once (a macro), so its operands are made locals first.  A TRAP one may
 * trap: it runs as a statement, in order with everything else that may.
 */
#include "engine/emit_ops.h"

#define I WC_VT_I32
#define L WC_VT_I64
#define F WC_VT_F32
#define D WC_VT_F64
#define P WC_OP_PURE
#define S WC_OP_SIMPLE
#define T WC_OP_TRAP

static const wc_numeric_op numeric_ops[0xc5 - 0x45] = {
    [0x45 - 0x45] = {I, 0, I, P, "(u32)($0 == 0)"},
    [0x46 - 0x45] = {I, I, I, P, "(u32)($0 == $1)"},
    [0x47 - 0x45] = {I, I, I, P, "(u32)($0 != $1)"},
    [0x48 - 0x45] = {I, I, I, P, "(u32)((s32)$0 < (s32)$1)"},
    [0x49 - 0x45] = {I, I, I, P, "(u32)($0 < $1)"},
    [0x4a - 0x45] = {I, I, I, P, "(u32)((s32)$0 > (s32)$1)"},
    [0x4b - 0x45] = {I, I, I, P, "(u32)($0 > $1)"},
    [0x4c - 0x45] = {I, I, I, P, "(u32)((s32)$0 <= (s32)$1)"},
    [0x4d - 0x45] = {I, I, I, P, "(u32)($0 <= $1)"},
    [0x4e - 0x45] = {I, I, I, P, "(u32)((s32)$0 >= (s32)$1)"},
    [0x4f - 0x45] = {I, I, I, P, "(u32)($0 >= $1)"},
    [0x50 - 0x45] = {L, 0, I, P, "(u32)($0 == 0)"},
    [0x51 - 0x45] = {L, L, I, P, "(u32)($0 == $1)"},
    [0x52 - 0x45] = {L, L, I, P, "(u32)($0 != $1)"},
    [0x53 - 0x45] = {L, L, I, P, "(u32)((s64)$0 < (s64)$1)"},
    [0x54 - 0x45] = {L, L, I, P, "(u32)($0 < $1)"},
    [0x55 - 0x45] = {L, L, I, P, "(u32)((s64)$0 > (s64)$1)"},
    [0x56 - 0x45] = {L, L, I, P, "(u32)($0 > $1)"},
    [0x57 - 0x45] = {L, L, I, P, "(u32)((s64)$0 <= (s64)$1)"},
    [0x58 - 0x45] = {L, L, I, P, "(u32)($0 <= $1)"},
    [0x59 - 0x45] = {L, L, I, P, "(u32)((s64)$0 >= (s64)$1)"},
    [0x5a - 0x45] = {L, L, I, P, "(u32)($0 >= $1)"},
    [0x5b - 0x45] = {F, F, I, P, "(u32)($0 == $1)"},
    [0x5c - 0x45] = {F, F, I, P, "(u32)($0 != $1)"},
    [0x5d - 0x45] = {F, F, I, P, "(u32)($0 < $1)"},
    [0x5e - 0x45] = {F, F, I, P, "(u32)($0 > $1)"},
    [0x5f - 0x45] = {F, F, I, P, "(u32)($0 <= $1)"},
    [0x60 - 0x45] = {F, F, I, P, "(u32)($0 >= $1)"},
    [0x61 - 0x45] = {D, D, I, P, "(u32)($0 == $1)"},
    [0x62 - 0x45] = {D, D, I, P, "(u32)($0 != $1)"},
    [0x63 - 0x45] = {D, D, I, P, "(u32)($0 < $1)"},
    [0x64 - 0x45] = {D, D, I, P, "(u32)($0 > $1)"},
    [0x65 - 0x45] = {D, D, I, P, "(u32)($0 <= $1)"},
    [0x66 - 0x45] = {D, D, I, P, "(u32)($0 >= $1)"},
    [0x67 - 0x45] = {I, 0, I, S, "I32_CLZ($0)"},
    [0x68 - 0x45] = {I, 0, I, S, "I32_CTZ($0)"},
    [0x69 - 0x45] = {I, 0, I, P, "I32_POPCNT($0)"},
    [0x6a - 0x45] = {I, I, I, P, "($0 + $1)"},
    [0x6b - 0x45] = {I, I, I, P, "($0 - $1)"},
    [0x6c - 0x45] = {I, I, I, P, "($0 * $1)"},
    [0x6d - 0x45] = {I, I, I, T, "I32_DIV_S($0, $1)"},
    [0x6e - 0x45] = {I, I, I, T, "DIV_U($0, $1)"},
    [0x6f - 0x45] = {I, I, I, T, "I32_REM_S($0, $1)"},
    [0x70 - 0x45] = {I, I, I, T, "REM_U($0, $1)"},
    [0x71 - 0x45] = {I, I, I, P, "($0 & $1)"},
    [0x72 - 0x45] = {I, I, I, P, "($0 | $1)"},
    [0x73 - 0x45] = {I, I, I, P, "($0 ^ $1)"},
    [0x74 - 0x45] = {I, I, I, P, "($0 << ($1 & 31))"},
    [0x75 - 0x45] = {I, I, I, P, "(u32)((s32)$0 >> ($1 & 31))"},
    [0x76 - 0x45] = {I, I, I, P, "($0 >> ($1 & 31))"},
    [0x77 - 0x45] = {I, I, I, S, "ROTL($0, $1, 31)"},
    [0x78 - 0x45] = {I, I, I, S, "ROTR($0, $1, 31)"},
    [0x79 - 0x45] = {L, 0, L, S, "I64_CLZ($0)"},
    [0x7a - 0x45] = {L, 0, L, S, "I64_CTZ($0)"},
    [0x7b - 0x45] = {L, 0, L, P, "I64_POPCNT($0)"},
    [0x7c - 0x45] = {L, L, L, P, "($0 + $1)"},
    [0x7d - 0x45] = {L, L, L, P, "($0 - $1)"},
    [0x7e - 0x45] = {L, L, L, P, "($0 * $1)"},
    [0x7f - 0x45] = {L, L, L, T, "I64_DIV_S($0, $1)"},
    [0x80 - 0x45] = {L, L, L, T, "DIV_U($0, $1)"},
    [0x81 - 0x45] = {L, L, L, T, "I64_REM_S($0, $1)"},
    [0x82 - 0x45] = {L, L, L, T, "REM_U($0, $1)"},
    [0x83 - 0x45] = {L, L, L, P, "($0 & $1)"},
    [0x84 - 0x45] = {L, L, L, P, "($0 | $1)"},
    [0x85 - 0x45] = {L, L, L, P, "($0 ^ $1)"},
    [0x86 - 0x45] = {L, L, L, P, "($0 << ($1 & 63))"},
    [0x87 - 0x45] = {L, L, L, P, "(u64)((s64)$0 >> ($1 & 63))"},
    [0x88 - 0x45] = {L, L, L, P, "($0 >> ($1 & 63))"},
    [0x89 - 0x45] = {L, L, L, S, "ROTL($0, $1, 63)"},
    [0x8a - 0x45] = {L, L, L, S, "ROTR($0, $1, 63)"},
    [0x8b - 0x45] = {F, 0, F, P, "F32_ABS($0)"},
    [0x8c - 0x45] = {F, 0, F, P, "F32_NEG($0)"},
    [0x8d - 0x45] = {F, 0, F, P, "wc_ceil32($0)"},
    [0x8e - 0x45] = {F, 0, F, P, "wc_floor32($0)"},
    [0x8f - 0x45] = {F, 0, F, P, "wc_trunc32($0)"},
    [0x90 - 0x45] = {F, 0, F, P, "wc_nearest32($0)"},
    [0x91 - 0x45] = {F, 0, F, P, "wc_sqrt32($0)"},
    [0x92 - 0x45] = {F, F, F, P, "($0 + $1)"},
    [0x93 - 0x45] = {F, F, F, P, "($0 - $1)"},
    [0x94 - 0x45] = {F, F, F, P, "($0 * $1)"},
    [0x95 - 0x45] = {F, F, F, P, "($0 / $1)"},
    [0x96 - 0x45] = {F, F, F, S, "FMIN($0, $1)"},
    [0x97 - 0x45] = {F, F, F, S, "FMAX($0, $1)"},
    [0x98 - 0x45] = {F, F, F, P, "F32_COPYSIGN($0, $1)"},
    [0x99 - 0x45] = {D, 0, D, P, "F64_ABS($0)"},
    [0x9a - 0x45] = {D, 0, D, P, "F64_NEG($0)"},
    [0x9b - 0x45] = {D, 0, D, P, "wc_ceil64($0)"},
    [0x9c - 0x45] = {D, 0, D, P, "wc_floor64($0)"},
    [0x9d - 0x45] = {D, 0, D, P, "wc_trunc64($0)"},
    [0x9e - 0x45] = {D, 0, D, P, "wc_nearest64($0)"},
    [0x9f - 0x45] = {D, 0, D, P, "wc_sqrt64($0)"},
    [0xa0 - 0x45] = {D, D, D, P, "($0 + $1)"},
    [0xa1 - 0x45] = {D, D, D, P, "($0 - $1)"},
    [0xa2 - 0x45] = {D, D, D, P, "($0 * $1)"},
    [0xa3 - 0x45] = {D, D, D, P, "($0 / $1)"},
    [0xa4 - 0x45] = {D, D, D, S, "FMIN($0, $1)"},
    [0xa5 - 0x45] = {D, D, D, S, "FMAX($0, $1)"},
    [0xa6 - 0x45] = {D, D, D, P, "F64_COPYSIGN($0, $1)"},
    [0xa7 - 0x45] = {L, 0, I, P, "(u32)$0"},
    [0xa8 - 0x45] = {F, 0, I, T, "I32_TRUNC_S_F32($0)"},
    [0xa9 - 0x45] = {F, 0, I, T, "I32_TRUNC_U_F32($0)"},
    [0xaa - 0x45] = {D, 0, I, T, "I32_TRUNC_S_F64($0)"},
    [0xab - 0x45] = {D, 0, I, T, "I32_TRUNC_U_F64($0)"},
    [0xac - 0x45] = {I, 0, L, P, "(u64)(s64)(s32)$0"},
    [0xad - 0x45] = {I, 0, L, P, "(u64)$0"},
    [0xae - 0x45] = {F, 0, L, T, "I64_TRUNC_S_F32($0)"},
    [0xaf - 0x45] = {F, 0, L, T, "I64_TRUNC_U_F32($0)"},
    [0xb0 - 0x45] = {D, 0, L, T, "I64_TRUNC_S_F64($0)"},
    [0xb1 - 0x45] = {D, 0, L, T, "I64_TRUNC_U_F64($0)"},
    [0xb2 - 0x45] = {I, 0, F, P, "(f32)(s32)$0"},
    [0xb3 - 0x45] = {I, 0, F, P, "(f32)$0"},
    [0xb4 - 0x45] = {L, 0, F, P, "(f32)(s64)$0"},
    [0xb5 - 0x45] = {L, 0, F, P, "(f32)$0"},
    [0xb6 - 0x45] = {D, 0, F, P, "(f32)wc_quiet64($0)"},
    [0xb7 - 0x45] = {I, 0, D, P, "(f64)(s32)$0"},
    [0xb8 - 0x45] = {I, 0, D, P, "(f64)$0"},
    [0xb9 - 0x45] = {L, 0, D, P, "(f64)(s64)$0"},
    [0xba - 0x45] = {L, 0, D, P, "(f64)$0"},
    [0xbb - 0x45] = {F, 0, D, P, "(f64)wc_quiet32($0)"},
    [0xbc - 0x45] = {F, 0, I, P, "F32_BITS($0)"},
    [0xbd - 0x45] = {D, 0, L, P, "F64_BITS($0)"},
    [0xbe - 0x45] = {I, 0, F, P, "F32_FROM($0)"},
    [0xbf - 0x45] = {L, 0, D, P, "F64_FROM($0)"},
    [0xc0 - 0x45] = {I, 0, I, P, "(u32)(s32)(s8)$0"},
    [0xc1 - 0x45] = {I, 0, I, P, "(u32)(s32)(s16)$0"},
    [0xc2 - 0x45] = {L, 0, L, P, "(u64)(s64)(s8)$0"},
    [0xc3 - 0x45] = {L, 0, L, P, "(u64)(s64)(s16)$0"},
    [0xc4 - 0x45] = {L, 0, L, P, "(u64)(s64)(s32)$0"},
};

static const wc_numeric_op trunc_sat_ops[8] = {
    {F, 0, I, S, "I32_TRUNC_SAT_S_F32($0)"}, {F, 0, I, S, "I32_TRUNC_SAT_U_F32($0)"},
    {D, 0, I, S, "I32_TRUNC_SAT_S_F64($0)"}, {D, 0, I, S, "I32_TRUNC_SAT_U_F64($0)"},
    {F, 0, L, S, "I64_TRUNC_SAT_S_F32($0)"}, {F, 0, L, S, "I64_TRUNC_SAT_U_F32($0)"},
    {D, 0, L, S, "I64_TRUNC_SAT_S_F64($0)"}, {D, 0, L, S, "I64_TRUNC_SAT_U_F64($0)"},
};

/* 0x28..0x35: what is loaded, as the C type LD reads and the cast to the
 * result; 0x36..0x3e: the type stored. */
static const wc_memory_op memory_ops[0x3f - 0x28] = {
    {I, "LD(u32, $0)"}, {L, "LD(u64, $0)"}, {F, "LDF(f32, $0)"}, {D, "LDF(f64, $0)"},
    {I, "(u32)(s32)LD(s8, $0)"}, {I, "(u32)LD(u8, $0)"},
    {I, "(u32)(s32)LD(s16, $0)"}, {I, "(u32)LD(u16, $0)"},
    {L, "(u64)(s64)LD(s8, $0)"}, {L, "(u64)LD(u8, $0)"},
    {L, "(u64)(s64)LD(s16, $0)"}, {L, "(u64)LD(u16, $0)"},
    {L, "(u64)(s64)LD(s32, $0)"}, {L, "(u64)LD(u32, $0)"},
    {I, "u32"}, {L, "u64"}, {F, "f32"}, {D, "f64"},
    {I, "u8"}, {I, "u16"}, {L, "u8"}, {L, "u16"}, {L, "u32"},
};

const wc_numeric_op *wc_emit_numeric(uint8_t op)
{
    return op >= 0x45 && op <= 0xc4 ? &numeric_ops[op - 0x45] : NULL;
}

const wc_numeric_op *wc_emit_trunc_sat(uint32_t sub)
{
    return sub < 8 ? &trunc_sat_ops[sub] : NULL;
}

const wc_memory_op *wc_emit_memory_op(uint8_t op)
{
    return op >= 0x28 && op <= 0x3e ? &memory_ops[op - 0x28] : NULL;
}
