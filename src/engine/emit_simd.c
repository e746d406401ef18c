/* emit_simd.c -- SIMD in the emitted C.
 *
 * For gcc an instruction is a call of the helper SIMD(<name>)
 * (runtime/wasm-simd.h): the unit embeds wasm-simd.h, whose helpers are
 * static inline functions over GCC vector types, so the optimized tier's
 * code is vector code.  libtcc has no vector types: there a v128 is a
 * struct of two u64 and emit_simd_tcc.c writes each instruction as
 * statements on its halves or a call of the runtime's helper
 * (runtime/simd.c) by pointer; this file declares those helpers.
 */
#include <inttypes.h>
#include <string.h>

#include "engine/emit_internal.h"
#include "engine/emit_simd.h"
#include "engine/memarg.h"
#include "engine/simd_ops.h"

extern const char wc_wasm_simd_header[];

/* An instruction of simd_ops.def (a runtime helper's)? */
static bool has_helper(const wc_simd_op *op)
{
    return op->kind == WC_SIMD_PLAIN || op->kind == WC_SIMD_LANE || op->kind == WC_SIMD_SHUFFLE;
}

/* The prototype of op's runtime helper (runtime/simd.c): v128 operands
 * and a v128 result by pointer, the result first. */
static void declare_helper(const wc_simd_op *op, wc_buf *out)
{
    bool vector = op->result == WC_VT_V128;
    wc_buf_printf(out, "%s wc_rt_simd_%s(%s", vector ? "void" : wc_emit_ctype(op->result), op->cname,
                  vector ? "v128 *" : "");
    for (uint32_t i = 0; i < op->noperands; i++) {
        const char *type = op->operands[i] == WC_VT_V128 ? "const v128 *" : wc_emit_ctype(op->operands[i]);
        wc_buf_printf(out, "%s%s", i || vector ? ", " : "", type);
    }
    if (op->kind == WC_SIMD_LANE)
        wc_buf_str(out, ", int");
    if (op->kind == WC_SIMD_SHUFFLE)
        wc_buf_str(out, ", u64, u64");
    wc_buf_str(out, ");\n");
}

/* gcc's unit for libtcc, which compiles it only to check it (the decode
 * fuzzer): wasm-simd.h's helpers by value over the runtime's by pointer. */
static void by_value_helper(const wc_simd_op *op, wc_buf *out)
{
    bool vector = op->result == WC_VT_V128;
    wc_buf_printf(out, "static %s wc_tcc_%s(", wc_emit_ctype(op->result), op->cname);
    for (uint32_t i = 0; i < op->noperands; i++)
        wc_buf_printf(out, "%s%s a%" PRIu32, i ? ", " : "", wc_emit_ctype(op->operands[i]), i);
    wc_buf_str(out, op->kind == WC_SIMD_LANE ? ", int lane" : op->kind == WC_SIMD_SHUFFLE ? ", v128 m" : "");
    wc_buf_printf(out, ") { %swc_rt_simd_%s(%s", vector ? "v128 r; " : "return ", op->cname, vector ? "&r" : "");
    for (uint32_t i = 0; i < op->noperands; i++)
        wc_buf_printf(out, "%s%sa%" PRIu32, i || vector ? ", " : "", op->operands[i] == WC_VT_V128 ? "&" : "", i);
    wc_buf_str(out, op->kind == WC_SIMD_LANE ? ", lane" : op->kind == WC_SIMD_SHUFFLE ? ", m.lo, m.hi" : "");
    wc_buf_str(out, vector ? "); return r; }\n" : "); }\n");
}

void wc_emit_simd_preamble(wc_buf *out)
{
    wc_buf_str(out, "#ifndef __TINYC__\n#define WC_RT_VECTOR_V128\n#endif\n");
}

void wc_emit_simd_prelude(bool for_tcc, wc_buf *out)
{
    uint32_t n;
    const wc_simd_op *ops = wc_simd_ops_all(&n);
    if (for_tcc) { /* the helpers its code calls */
        wc_buf_str(out, "typedef wc_rt_v128 v128;\n");
        for (uint32_t i = 0; i < n; i++)
            if (wc_emit_simd_tcc_calls(&ops[i]))
                declare_helper(&ops[i], out);
        return;
    }
    wc_buf_str(out, "#ifdef __TINYC__\n"
                    "typedef wc_rt_v128 v128;\n"
                    "typedef v128 wc_v128;\n");
    for (uint32_t i = 0; i < n; i++)
        if (has_helper(&ops[i])) {
            declare_helper(&ops[i], out);
            by_value_helper(&ops[i], out);
        }
    /* the loads that transform what they read */
    static const char *const extends[6][2] = {
        {"v128_load8x8_s", "i16x8_extend_low_i8x16_s"}, {"v128_load8x8_u", "i16x8_extend_low_i8x16_u"},
        {"v128_load16x4_s", "i32x4_extend_low_i16x8_s"}, {"v128_load16x4_u", "i32x4_extend_low_i16x8_u"},
        {"v128_load32x2_s", "i64x2_extend_low_i32x4_s"}, {"v128_load32x2_u", "i64x2_extend_low_i32x4_u"}};
    for (size_t i = 0; i < 6; i++)
        wc_buf_printf(out, "static v128 wc_tcc_%s(u64 x) { v128 r = {x, 0}; wc_rt_simd_%s(&r, &r); return r; }\n",
                      extends[i][0], extends[i][1]);
    wc_buf_str(out, "static v128 wc_tcc_v128_load32_zero(u32 x) { v128 r = {x, 0}; return r; }\n"
                    "static v128 wc_tcc_v128_load64_zero(u64 x) { v128 r = {x, 0}; return r; }\n"
                    "#define SIMD(name) wc_tcc_##name\n"
                    "#define LDV(a) LD(v128, a)\n"
                    "#else\n");
    wc_buf_str(out, wc_wasm_simd_header);
    wc_buf_str(out, "typedef v128 WC_U wc_v128;\n"
                    "#define SIMD(name) wc_simd_##name\n"
                    "#define LDV(a) LDF(v128, a)\n"
                    "#endif\n"
                    "#define STV(a, v) (*(wc_v128 *)(M + (a)) = (v))\n");
}

const char *wc_emit_simd_lane_ctype(unsigned bytes)
{
    switch (bytes) {
    case 1: return "u8";
    case 2: return "u16";
    case 4: return "u32";
    default: return "u64";
    }
}

/* "((v128){lo, hi})" */
static void v128_literal(const uint64_t half[2], wc_buf *out)
{
    wc_buf_printf(out, "((v128){0x%016" PRIx64 "ull, 0x%016" PRIx64 "ull})", half[0], half[1]);
}

void wc_emit_v128_literal(const uint8_t *bytes, size_t *pos, size_t end, wc_buf *out)
{
    uint64_t half[2] = {0, 0};
    if (*pos + 16 <= end)
        memcpy(half, bytes + *pos, 16);
    *pos += 16;
    v128_literal(half, out);
}

void wc_emit_simd_op(const uint8_t *b, size_t *pos, size_t end, bool for_tcc, wc_simd_emit *out)
{
    memset(out, 0, sizeof *out);
    wc_buf_init(&out->tmpl);
    const wc_simd_op *op = wc_simd_op_find(wc_emit_u32(b, pos, end));
    if (!op) { /* not in a validated module */
        out->kind = WC_SIMD_EMIT_INVALID;
        return;
    }
    out->result = op->result;
    out->noperands = op->noperands;
    out->bytes = op->bytes;
    bool memory = op->kind == WC_SIMD_LOAD || op->kind == WC_SIMD_STORE ||
                  op->kind == WC_SIMD_LOAD_LANE || op->kind == WC_SIMD_STORE_LANE;
    if (memory) {
        wc_memarg arg; /* the alignment is a hint */
        wc_emit_memarg(b, pos, end, &arg);
        out->memory = arg.memory;
        out->offset = arg.offset;
    }
    uint32_t lane = 0;
    if (op->kind == WC_SIMD_LANE || op->kind == WC_SIMD_LOAD_LANE || op->kind == WC_SIMD_STORE_LANE)
        lane = *pos < end ? b[(*pos)++] : 0;
    uint64_t imm[2] = {0, 0}; /* v128.const's value, a shuffle's lanes */
    if (op->kind == WC_SIMD_CONST || op->kind == WC_SIMD_SHUFFLE) {
        if (*pos + 16 <= end)
            memcpy(imm, b + *pos, 16);
        *pos += 16;
    }

    wc_buf *t = &out->tmpl;
    if (for_tcc) {
        wc_emit_simd_tcc(op, lane, imm, out);
        if (!wc_buf_cstr(t) || t->failed)
            out->kind = WC_SIMD_EMIT_NOMEM;
        return;
    }
    switch (op->kind) {
    case WC_SIMD_CONST:
        out->kind = WC_SIMD_EMIT_PURE;
        v128_literal(imm, t);
        break;
    case WC_SIMD_PLAIN:
        out->kind = WC_SIMD_EMIT_PURE;
        wc_buf_printf(t, "SIMD(%s)(", op->cname);
        for (uint32_t i = 0; i < op->noperands; i++)
            wc_buf_printf(t, "%s$%" PRIu32, i ? ", " : "", i);
        wc_buf_str(t, ")");
        break;
    case WC_SIMD_LANE:
        out->kind = WC_SIMD_EMIT_PURE;
        wc_buf_printf(t, "SIMD(%s)($0%s, %" PRIu32 ")", op->cname, op->noperands == 2 ? ", $1" : "", lane);
        break;
    case WC_SIMD_SHUFFLE:
        out->kind = WC_SIMD_EMIT_PURE;
        wc_buf_printf(t, "SIMD(%s)($0, $1, ", op->cname);
        v128_literal(imm, t);
        wc_buf_str(t, ")");
        break;
    case WC_SIMD_LOAD:
        out->kind = WC_SIMD_EMIT_LOAD;
        if (op->bytes == 16)
            wc_buf_str(t, "LDV($0)");
        else
            wc_buf_printf(t, "SIMD(%s)(LD(%s, $0))", op->cname, wc_emit_simd_lane_ctype(op->bytes));
        break;
    case WC_SIMD_LOAD_LANE:
        out->kind = WC_SIMD_EMIT_LOAD;
        wc_buf_printf(t, "SIMD(%s)($1, LD(%s, $0), %" PRIu32 ")", op->cname, wc_emit_simd_lane_ctype(op->bytes), lane);
        break;
    case WC_SIMD_STORE:
        out->kind = WC_SIMD_EMIT_STORE;
        wc_buf_str(t, "STV($0, $1)");
        break;
    default: /* WC_SIMD_STORE_LANE */
        out->kind = WC_SIMD_EMIT_STORE;
        wc_buf_printf(t, "ST(%s, $0, SIMD(%s)($1, %" PRIu32 "))", wc_emit_simd_lane_ctype(op->bytes), op->cname, lane);
        break;
    }
    if (!wc_buf_cstr(t) || t->failed)
        out->kind = WC_SIMD_EMIT_NOMEM;
}
