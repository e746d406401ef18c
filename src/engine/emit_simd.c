/* emit_simd.c -- SIMD in the emitted C.
 *
 * The same text serves both tiers: an instruction is a call of the helper
 * SIMD(<name>) (runtime/wasm-simd.h).  For gcc the unit embeds wasm-simd.h,
 * whose helpers are static inline functions over GCC vector types, so the
 * optimized tier's code is vector code; libtcc has no vector types, so its
 * units declare the runtime's compiled helpers (runtime/simd.c) and call
 * them, v128 being a struct of two u64 there.
 */
#include <inttypes.h>
#include <string.h>

#include "engine/emit_internal.h"
#include "engine/emit_simd.h"
#include "engine/memarg.h"
#include "engine/simd_ops.h"

extern const char wc_wasm_simd_header[];

void wc_emit_v128_literal(const uint8_t *bytes, size_t *pos, size_t end, wc_buf *out)
{
    uint64_t half[2] = {0, 0};
    if (*pos + 16 <= end)
        memcpy(half, bytes + *pos, 16);
    *pos += 16;
    wc_buf_printf(out, "((v128){0x%016" PRIx64 "ull, 0x%016" PRIx64 "ull})", half[0], half[1]);
}

/* The prototype libtcc's unit needs for a runtime helper. */
static void declare_helper(const wc_simd_op *op, wc_buf *out)
{
    switch (op->kind) {
    case WC_SIMD_PLAIN:
    case WC_SIMD_LANE:
    case WC_SIMD_SHUFFLE:
        break;
    case WC_SIMD_LOAD:
        /* the loads that transform what they read have helpers of their
         * own; the splats share the splat instructions' */
        if (strncmp(op->cname, "v128_load", 9) != 0 || op->bytes == 16)
            return;
        wc_buf_printf(out, "v128 wc_rt_simd_%s(%s);\n", op->cname, op->bytes == 4 ? "u32" : "u64");
        return;
    default:
        return;
    }
    wc_buf_printf(out, "%s wc_rt_simd_%s(", op->result ? wc_emit_ctype(op->result) : "void", op->cname);
    for (uint32_t i = 0; i < op->noperands; i++)
        wc_buf_printf(out, "%s%s", i ? ", " : "", wc_emit_ctype(op->operands[i]));
    if (op->kind == WC_SIMD_LANE)
        wc_buf_str(out, ", int");
    if (op->kind == WC_SIMD_SHUFFLE)
        wc_buf_str(out, ", v128");
    wc_buf_str(out, ");\n");
}

void wc_emit_simd_preamble(wc_buf *out)
{
    wc_buf_str(out, "#ifndef __TINYC__\n#define WC_RT_VECTOR_V128\n#endif\n");
}

void wc_emit_simd_prelude(wc_buf *out)
{
    wc_buf_str(out, "#ifdef __TINYC__\n"
                    "typedef wc_rt_v128 v128;\n"
                    "typedef v128 wc_v128;\n"
                    "#define SIMD(name) wc_rt_simd_##name\n"
                    "#define LDV(a) LD(v128, a)\n");
    uint32_t n;
    const wc_simd_op *ops = wc_simd_ops_all(&n);
    for (uint32_t i = 0; i < n; i++)
        declare_helper(&ops[i], out);
    wc_buf_str(out, "#else\n");
    wc_buf_str(out, wc_wasm_simd_header);
    wc_buf_str(out, "typedef v128 WC_U wc_v128;\n"
                    "#define SIMD(name) wc_simd_##name\n"
                    "#define LDV(a) LDF(v128, a)\n"
                    "#endif\n"
                    "#define STV(a, v) (*(wc_v128 *)(M + (a)) = (v))\n");
}

/* The C type a lane access of `bytes` reads or writes. */
static const char *lane_ctype(unsigned bytes)
{
    switch (bytes) {
    case 1: return "u8";
    case 2: return "u16";
    case 4: return "u32";
    default: return "u64";
    }
}

void wc_emit_simd_op(const uint8_t *b, size_t *pos, size_t end, wc_simd_emit *out)
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

    wc_buf *t = &out->tmpl;
    switch (op->kind) {
    case WC_SIMD_CONST:
        out->kind = WC_SIMD_EMIT_PURE;
        wc_emit_v128_literal(b, pos, end, t);
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
        wc_emit_v128_literal(b, pos, end, t);
        wc_buf_str(t, ")");
        break;
    case WC_SIMD_LOAD:
        out->kind = WC_SIMD_EMIT_LOAD;
        if (op->bytes == 16)
            wc_buf_str(t, "LDV($0)");
        else
            wc_buf_printf(t, "SIMD(%s)(LD(%s, $0))", op->cname, lane_ctype(op->bytes));
        break;
    case WC_SIMD_LOAD_LANE:
        out->kind = WC_SIMD_EMIT_LOAD;
        wc_buf_printf(t, "SIMD(%s)($1, LD(%s, $0), %" PRIu32 ")", op->cname, lane_ctype(op->bytes), lane);
        break;
    case WC_SIMD_STORE:
        out->kind = WC_SIMD_EMIT_STORE;
        wc_buf_str(t, "STV($0, $1)");
        break;
    default: /* WC_SIMD_STORE_LANE */
        out->kind = WC_SIMD_EMIT_STORE;
        wc_buf_printf(t, "ST(%s, $0, SIMD(%s)($1, %" PRIu32 "))", lane_ctype(op->bytes), op->cname, lane);
        break;
    }
    if (!wc_buf_cstr(t) || t->failed)
        out->kind = WC_SIMD_EMIT_NOMEM;
}
