/* emit_simd_tcc.c -- SIMD in libtcc's unit.
 *
 * libtcc has no vector types, and it copies every struct it assigns with a
 * call of memmove: a helper returning a v128 by value cost a call, two
 * store-forwarding stalls and a memmove.  So in libtcc's unit a v128 is a
 * struct of two u64 (lo: bytes 0-7, hi: 8-15) that stays where it is, in
 * its slot or local, and every instruction is a statement on its halves
 * that writes the result into its slot ($3; the operands $0..$2 are names,
 * which the emitter makes them):
 *
 * - inline, what takes a few operations on each half: bitwise ones,
 *   shifts (on lanes packed in a u64: what crosses into the next lane is
 *   masked off), i64x2 arithmetic, float abs and neg, splats, lanes,
 *   constants, loads and stores;
 * - the rest a call of the runtime's helper (runtime/simd.c) with the
 *   addresses of the result and of the v128 operands.  A call costs less
 *   than longer inline code: libtcc writes every statement's result to
 *   memory and reads it back, so a packed-lane (SWAR) i16x8.add, some
 *   thirty instructions for both halves, took longer than the helper's
 *   call (the blur kernel: 0.19 s against 0.22 s for 16 passes, and the
 *   SWAR extends 0.33 s against 0.22 s).
 *
 * Scalar results (extract_lane, any_true, ...) stay expressions.  The
 * templates must mean what wasm-simd.h's helpers mean: the spec tests run
 * on both tiers.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "engine/decode.h"
#include "engine/emit_simd.h"

/* ---- lane-wise on each half ---------------------------------------------
 * One expression for both halves of the result, '#' standing for lo or hi:
 * each half of the result depends on that half of the operands only, so
 * the result's slot may be its first operand's.  A shift of packed lanes
 * masks off what crossed into the next lane (the mask a constant when the
 * count is). */
#define L32 "0x7fffffff7fffffffull"
#define H32 "0x8000000080000000ull"
#define SHL(mask, type, ones, unit) \
    "(($0.# << ($1 & " mask ")) & (u64)(" type ")(" ones " << ($1 & " mask ")) * " unit ")"
#define SHR_U(mask, ones, unit) "(($0.# >> ($1 & " mask ")) & (u64)(" ones " >> ($1 & " mask ")) * " unit ")"
#define UNIT8 "0x0101010101010101ull"
#define UNIT16 "0x0001000100010001ull"
#define UNIT32 "0x0000000100000001ull"
#define BITSELECT "(($0.# & $2.#) | ($1.# & ~$2.#))"

static const struct {
    const char *cname, *half;
} halves[] = {
    {"v128_not", "~$0.#"},
    {"v128_and", "($0.# & $1.#)"},
    {"v128_or", "($0.# | $1.#)"},
    {"v128_xor", "($0.# ^ $1.#)"},
    {"v128_andnot", "($0.# & ~$1.#)"},
    {"v128_bitselect", BITSELECT},
    {"i8x16_relaxed_laneselect", BITSELECT},
    {"i16x8_relaxed_laneselect", BITSELECT},
    {"i32x4_relaxed_laneselect", BITSELECT},
    {"i64x2_relaxed_laneselect", BITSELECT},
    {"i8x16_shl", SHL("7", "u8", "0xffu", UNIT8)},
    {"i8x16_shr_u", SHR_U("7", "0xffu", UNIT8)},
    {"i16x8_shl", SHL("15", "u16", "0xffffu", UNIT16)},
    {"i16x8_shr_u", SHR_U("15", "0xffffu", UNIT16)},
    {"i32x4_shl", SHL("31", "u32", "0xffffffffu", UNIT32)},
    {"i32x4_shr_u", SHR_U("31", "0xffffffffu", UNIT32)},
    {"i64x2_add", "($0.# + $1.#)"},
    {"i64x2_sub", "($0.# - $1.#)"},
    {"i64x2_neg", "(0 - $0.#)"},
    {"i64x2_mul", "($0.# * $1.#)"},
    {"i64x2_shl", "($0.# << ($1 & 63))"},
    {"i64x2_shr_u", "($0.# >> ($1 & 63))"},
    {"i64x2_shr_s", "((u64)((s64)$0.# >> ($1 & 63)))"},
    /* the float abs and neg touch the sign bits only */
    {"f32x4_abs", "($0.# & " L32 ")"},
    {"f32x4_neg", "($0.# ^ " H32 ")"},
    {"f64x2_abs", "($0.# & 0x7fffffffffffffffull)"},
    {"f64x2_neg", "($0.# ^ 0x8000000000000000ull)"},
};

/* half with '#' as `which` */
static void put_half(wc_buf *t, const char *half, const char *which)
{
    for (const char *p = half; *p; p++) {
        const char *hash = strchr(p, '#');
        if (!hash) {
            wc_buf_str(t, p);
            return;
        }
        wc_buf_append(t, p, (size_t)(hash - p));
        wc_buf_str(t, which);
        p = hash;
    }
}

static bool lanewise(const char *cname, wc_buf *t)
{
    for (size_t i = 0; i < sizeof halves / sizeof halves[0]; i++) {
        if (strcmp(halves[i].cname, cname) != 0)
            continue;
        wc_buf_str(t, "$3.lo = ");
        put_half(t, halves[i].half, "lo");
        wc_buf_str(t, "; $3.hi = ");
        put_half(t, halves[i].half, "hi");
        wc_buf_str(t, ";");
        return true;
    }
    return false;
}

/* ---- across halves --------------------------------------------------------- */

/* The bytes of a lane of this shape: i8x16 1, i16x8 2, i32x4 and f32x4 4,
 * i64x2 and f64x2 8. */
static unsigned lane_bytes(const char *cname)
{
    switch (cname[1]) {
    case '8': return 1;
    case '1': return 2;
    case '3': return 4;
    default: return 8;
    }
}

/* The multiplier that repeats a lane of `bytes` over a u64. */
static const char *unit(unsigned bytes)
{
    return bytes == 1 ? UNIT8 : bytes == 2 ? UNIT16 : UNIT32;
}

/* "{ u64 wc_x = <value of `bytes`> repeated; $3 = both }" */
static void splat(wc_buf *t, const char *value, unsigned bytes)
{
    if (bytes == 8)
        wc_buf_printf(t, "{ u64 wc_x = %s; $3.lo = wc_x; $3.hi = wc_x; }", value);
    else
        wc_buf_printf(t, "{ u64 wc_x = (u64)(%s)%s * %s; $3.lo = wc_x; $3.hi = wc_x; }",
                      wc_emit_simd_lane_ctype(bytes), value, unit(bytes));
}

/* The C type of a lane of this shape, for a lane access through a
 * pointer to the v128: float lanes move as f32/f64 (bits unchanged). */
static const char *lane_type(const char *cname, bool sign)
{
    static const char *const ints[2][4] = {{"u8", "u16", "u32", "u64"}, {"s8", "s16", "s32", "s64"}};
    unsigned bytes = lane_bytes(cname), k = bytes == 1 ? 0 : bytes == 2 ? 1 : bytes == 4 ? 2 : 3;
    if (cname[0] == 'f')
        return bytes == 4 ? "f32" : "f64";
    return ints[sign][k];
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Splats, lanes and any_true: true when op is one. */
static bool across(const wc_simd_op *op, uint32_t lane, wc_buf *t)
{
    const char *c = op->cname;
    unsigned bytes = lane_bytes(c);
    if (ends_with(c, "_splat") && c[0] == 'i') {
        splat(t, "$0", bytes);
        return true;
    }
    if (strstr(c, "_extract_lane")) {
        if (c[0] == 'i' && bytes < 4) /* widened to the i32 result */
            wc_buf_printf(t, "((u32)(%s)((const %s *)&$0)[%" PRIu32 "])", ends_with(c, "_s") ? "s32" : "u32",
                          lane_type(c, ends_with(c, "_s")), lane);
        else
            wc_buf_printf(t, "((const %s *)&$0)[%" PRIu32 "]", lane_type(c, false), lane);
        return true;
    }
    if (strstr(c, "_replace_lane")) {
        const char *type = lane_type(c, false);
        wc_buf_printf(t, "$3.lo = $0.lo; $3.hi = $0.hi; ((%s *)&$3)[%" PRIu32 "] = (%s)$1;", type, lane, type);
        return true;
    }
    if (strcmp(c, "v128_any_true") == 0) {
        wc_buf_str(t, "((u32)(($0.lo | $0.hi) != 0))");
        return true;
    }
    return false;
}

static bool inline_op(const wc_simd_op *op, uint32_t lane, wc_buf *t)
{
    return lanewise(op->cname, t) || across(op, lane, t);
}

/* ---- the runtime's helpers -------------------------------------------------- */

static void call(const wc_simd_op *op, uint32_t lane, const uint64_t imm[2], wc_buf *t)
{
    bool vector = op->result == WC_VT_V128;
    wc_buf_printf(t, "wc_rt_simd_%s(%s", op->cname, vector ? "&$3" : "");
    for (uint32_t i = 0; i < op->noperands; i++)
        wc_buf_printf(t, "%s%s$%" PRIu32, i || vector ? ", " : "", op->operands[i] == WC_VT_V128 ? "&" : "",
                      i);
    if (op->kind == WC_SIMD_LANE)
        wc_buf_printf(t, ", %" PRIu32, lane);
    if (op->kind == WC_SIMD_SHUFFLE)
        wc_buf_printf(t, ", 0x%016" PRIx64 "ull, 0x%016" PRIx64 "ull", imm[0], imm[1]);
    wc_buf_str(t, vector ? ");" : ")");
}

bool wc_emit_simd_tcc_calls(const wc_simd_op *op)
{
    if (op->kind != WC_SIMD_PLAIN && op->kind != WC_SIMD_LANE && op->kind != WC_SIMD_SHUFFLE)
        return false;
    wc_buf scratch;
    wc_buf_init(&scratch);
    bool inlined = inline_op(op, 0, &scratch);
    wc_buf_free(&scratch);
    return !inlined;
}

/* ---- memory: $0 is the address, at M ----------------------------------------- */

static void load(const wc_simd_op *op, uint32_t lane, wc_buf *t)
{
    const char *type = wc_emit_simd_lane_ctype(op->bytes);
    char at[48];
    snprintf(at, sizeof at, "*(const %s *)(M+$0)", type);
    if (op->kind == WC_SIMD_LOAD_LANE) {
        wc_buf_printf(t, "{ %s wc_x = %s; $3.lo = $1.lo; $3.hi = $1.hi; ((%s *)&$3)[%" PRIu32 "] = wc_x; }",
                      type, at, type, lane);
    } else if (op->code == 0x00) { /* v128.load */
        wc_buf_str(t, "{ const u64 *wc_p = (const u64 *)(M+$0); $3.lo = wc_p[0]; $3.hi = wc_p[1]; }");
    } else if (op->code <= 0x06) { /* v128.load8x8_s .. load32x2_u: the low half extended */
        static const char *const extends[6] = {"i16x8_extend_low_i8x16_s", "i16x8_extend_low_i8x16_u",
                                               "i32x4_extend_low_i16x8_s", "i32x4_extend_low_i16x8_u",
                                               "i64x2_extend_low_i32x4_s", "i64x2_extend_low_i32x4_u"};
        wc_buf_printf(t, "$3.lo = %s; $3.hi = 0; wc_rt_simd_%s(&$3, &$3);", at, extends[op->code - 1]);
    } else if (op->code <= 0x0a) { /* load8_splat .. load64_splat */
        splat(t, at, op->bytes);
    } else { /* v128.load32_zero, load64_zero */
        wc_buf_printf(t, "{ u64 wc_x = %s; $3.lo = wc_x; $3.hi = 0; }", at);
    }
}

static void store(const wc_simd_op *op, uint32_t lane, wc_buf *t)
{
    if (op->kind == WC_SIMD_STORE_LANE) {
        const char *type = wc_emit_simd_lane_ctype(op->bytes);
        wc_buf_printf(t, "*(%s *)(M+$0) = ((const %s *)&$1)[%" PRIu32 "]", type, type, lane);
        return;
    }
    /* the high half first: past the end of a memory, it is the half that
     * faults, so a trapping store writes nothing */
    wc_buf_str(t, "{ u64 *wc_p = (u64 *)(M+$0); wc_p[1] = $1.hi; wc_p[0] = $1.lo; }");
}

void wc_emit_simd_tcc(const wc_simd_op *op, uint32_t lane, const uint64_t imm[2], wc_simd_emit *out)
{
    wc_buf *t = &out->tmpl;
    out->names = true;
    out->sets = op->result == WC_VT_V128;
    switch (op->kind) {
    case WC_SIMD_LOAD:
    case WC_SIMD_LOAD_LANE:
        out->kind = WC_SIMD_EMIT_LOAD;
        load(op, lane, t);
        return;
    case WC_SIMD_STORE:
    case WC_SIMD_STORE_LANE:
        out->kind = WC_SIMD_EMIT_STORE;
        store(op, lane, t);
        return;
    case WC_SIMD_CONST:
        out->kind = WC_SIMD_EMIT_PURE;
        wc_buf_printf(t, "$3.lo = 0x%016" PRIx64 "ull; $3.hi = 0x%016" PRIx64 "ull;", imm[0], imm[1]);
        return;
    default:
        out->kind = WC_SIMD_EMIT_PURE;
        if (!inline_op(op, lane, t))
            call(op, lane, imm, t);
        return;
    }
}
