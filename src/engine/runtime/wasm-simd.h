/* wasm-simd.h -- the SIMD instructions (runtime/simd_ops.def) as C over
 * GCC vector extensions, written once and compiled two ways:
 *
 * - embedded in every gcc unit of a module that uses v128 (the optimized
 *   tier): `v128` is a vector type (wasm-rt.h's wc_rt_v128 under
 *   WC_RT_VECTOR_V128) and each helper a static inline function
 *   wc_simd_<name>, which gcc folds into the code around it;
 * - compiled into the runtime (simd.c), the same vector code, where each
 *   helper is wrapped in an exported function wc_rt_simd_<name> that takes
 *   its operands and result by pointer, for libtcc's units (libtcc has no
 *   vector types; emit_simd_tcc.c writes the common instructions inline).
 *
 * NaN results follow the engine's scalar policy (emit_prelude.c): the
 * arithmetic operators are the hardware's (a NaN operand comes back quiet,
 * its payload kept; a new NaN is canonical); min and max give the
 * canonical NaN; floor, ceil, trunc, nearest and sqrt quiet a NaN operand;
 * abs, neg, pmin, pmax, bitselect and the lane moves touch no bits but
 * those the spec names.
 */
#ifndef WC_WASM_SIMD_H
#define WC_WASM_SIMD_H

typedef int8_t wc_i8x16 __attribute__((vector_size(16)));
typedef uint8_t wc_u8x16 __attribute__((vector_size(16)));
typedef int16_t wc_i16x8 __attribute__((vector_size(16)));
typedef uint16_t wc_u16x8 __attribute__((vector_size(16)));
typedef int32_t wc_i32x4 __attribute__((vector_size(16)));
typedef uint32_t wc_u32x4 __attribute__((vector_size(16)));
typedef int64_t wc_i64x2 __attribute__((vector_size(16)));
typedef uint64_t wc_u64x2 __attribute__((vector_size(16)));
typedef float wc_f32x4 __attribute__((vector_size(16)));
typedef double wc_f64x2 __attribute__((vector_size(16)));

/* a vector (wasm-rt.h's wc_rt_v128 under WC_RT_VECTOR_V128) */
typedef wc_rt_v128 v128;
_Static_assert(sizeof(v128) == 16 && _Alignof(v128) == 8, "v128 keeps wc_rt_value's layout");
#define WC_SIMD(name) wc_simd_##name
#define WC_SIMD_LINK static inline __attribute__((always_inline, unused))

/* Reinterprets 16 bytes as another type (gcc keeps them in a register). */
#define WC_AS(T, x) ({ __typeof__(x) wc_s_ = (x); T wc_d_; __builtin_memcpy(&wc_d_, &wc_s_, 16); wc_d_; })
#define WC_IN(T, x) WC_AS(wc_##T, x)
#define WC_OUT(x) WC_AS(v128, x)

/* ---- lane-wise operators ------------------------------------------------ */

#define WC_SIMD_BIN(name, T, op) \
    WC_SIMD_LINK v128 WC_SIMD(name)(v128 a, v128 b) { return WC_OUT(WC_IN(T, a) op WC_IN(T, b)); }
#define WC_SIMD_CMP(name, T, op) \
    WC_SIMD_LINK v128 WC_SIMD(name)(v128 a, v128 b) { return WC_OUT(WC_IN(T, a) op WC_IN(T, b)); }
#define WC_SIMD_SHIFT(name, T, op, mask) \
    WC_SIMD_LINK v128 WC_SIMD(name)(v128 a, uint32_t s) { return WC_OUT(WC_IN(T, a) op (int)(s & (mask))); }

/* A loop over lanes: `body` sets r[i] (of type RT) from a[i] and b[i]
 * (of type AT). */
#define WC_SIMD_MAP1_OF(name, RT, AT, n, body) \
    WC_SIMD_LINK v128 WC_SIMD(name)(v128 va) { \
        AT a = WC_AS(AT, va); RT r; \
        for (int i = 0; i < (n); i++) { body; } \
        return WC_OUT(r); \
    }
#define WC_SIMD_MAP2_OF(name, RT, AT, n, body) \
    WC_SIMD_LINK v128 WC_SIMD(name)(v128 va, v128 vb) { \
        AT a = WC_AS(AT, va), b = WC_AS(AT, vb); RT r; \
        for (int i = 0; i < (n); i++) { body; } \
        return WC_OUT(r); \
    }
#define WC_SIMD_MAP1(name, RT, T, n, body) WC_SIMD_MAP1_OF(name, wc_##RT, wc_##T, n, body)
#define WC_SIMD_MAP2(name, RT, T, n, body) WC_SIMD_MAP2_OF(name, wc_##RT, wc_##T, n, body)

/* Lane-wise select and clamp over integer vectors (C has no vector ?:):
 * what gcc turns into compares, masks, min and max instead of a loop. */
#define WC_VSEL(m, a, b) (((a) & (m)) | ((b) & ~(m)))
#define WC_VCLAMP(x, lo, hi)                                                                       \
    ({                                                                                             \
        __typeof__(x) wc_x = (x), wc_lo = (wc_x - wc_x) + (lo), wc_hi = (wc_x - wc_x) + (hi);   \
        wc_x = WC_VSEL((__typeof__(wc_x))(wc_x < wc_lo), wc_lo, wc_x);                          \
        WC_VSEL((__typeof__(wc_x))(wc_x > wc_hi), wc_hi, wc_x);                                  \
    })

WC_SIMD_LINK int16_t wc_simd_sat_s16(int32_t x) { return x < -32768 ? -32768 : x > 32767 ? 32767 : (int16_t)x; }

/* Scalar float helpers with the engine's NaN policy. */
#define WC_SIMD_QUIET32(x) ({ float wc_x = (x); uint32_t wc_b; __builtin_memcpy(&wc_b, &wc_x, 4); \
    wc_b |= 0x00400000u; __builtin_memcpy(&wc_x, &wc_b, 4); wc_x; })
#define WC_SIMD_QUIET64(x) ({ double wc_x = (x); uint64_t wc_b; __builtin_memcpy(&wc_b, &wc_x, 8); \
    wc_b |= 0x0008000000000000ull; __builtin_memcpy(&wc_x, &wc_b, 8); wc_x; })
#define WC_SIMD_ROUND32(fn, x) ((x) != (x) ? WC_SIMD_QUIET32(x) : fn(x))
#define WC_SIMD_ROUND64(fn, x) ((x) != (x) ? WC_SIMD_QUIET64(x) : fn(x))
#define WC_SIMD_FMIN(x, y, nan) \
    ((x) != (x) || (y) != (y) ? (nan) \
     : ((x) == 0 && (y) == 0) ? (__builtin_signbit(x) ? (x) : (y)) : (x) < (y) ? (x) : (y))
#define WC_SIMD_FMAX(x, y, nan) \
    ((x) != (x) || (y) != (y) ? (nan) \
     : ((x) == 0 && (y) == 0) ? (__builtin_signbit(x) ? (y) : (x)) : (x) > (y) ? (x) : (y))
/* Saturating float -> integer, NaN to 0 (the trunc_sat instructions). */
#define WC_SIMD_TRUNC_SAT(x, lo, hi, lo_val, hi_val, T) \
    ((x) != (x) ? (T)0 : !((x) > (lo)) ? (T)(lo_val) : !((x) < (hi)) ? (T)(hi_val) : (T)(x))

/* ---- splat, lanes, shuffles -------------------------------------------- */

WC_SIMD_LINK v128 WC_SIMD(i8x16_shuffle)(v128 va, v128 vb, v128 vm)
{
    wc_u8x16 a = WC_IN(u8x16, va), b = WC_IN(u8x16, vb), m = WC_IN(u8x16, vm), r;
    for (int i = 0; i < 16; i++)
        r[i] = m[i] < 16 ? a[m[i] & 15] : b[m[i] & 15];
    return WC_OUT(r);
}
WC_SIMD_MAP2(i8x16_swizzle, u8x16, u8x16, 16, r[i] = b[i] < 16 ? a[b[i] & 15] : 0)
WC_SIMD_LINK v128 WC_SIMD(i8x16_splat)(uint32_t x) { return WC_OUT(((wc_u8x16){0} + (uint8_t)x)); }
WC_SIMD_LINK v128 WC_SIMD(i16x8_splat)(uint32_t x) { return WC_OUT(((wc_u16x8){0} + (uint16_t)x)); }
WC_SIMD_LINK v128 WC_SIMD(i32x4_splat)(uint32_t x) { return WC_OUT(((wc_u32x4){0} + x)); }
WC_SIMD_LINK v128 WC_SIMD(i64x2_splat)(uint64_t x) { return WC_OUT(((wc_u64x2){0} + x)); }
WC_SIMD_LINK v128 WC_SIMD(f32x4_splat)(float x) { return WC_OUT(((wc_f32x4){x, x, x, x})); }
WC_SIMD_LINK v128 WC_SIMD(f64x2_splat)(double x) { return WC_OUT(((wc_f64x2){x, x})); }

#define WC_SIMD_EXTRACT(name, RT, T, n) \
    WC_SIMD_LINK RT WC_SIMD(name)(v128 a, int lane) { return (RT)WC_IN(T, a)[lane & ((n) - 1)]; }
#define WC_SIMD_REPLACE(name, XT, T, n) \
    WC_SIMD_LINK v128 WC_SIMD(name)(v128 a, XT x, int lane) { \
        wc_##T v = WC_IN(T, a); v[lane & ((n) - 1)] = x; return WC_OUT(v); \
    }
WC_SIMD_EXTRACT(i8x16_extract_lane_s, uint32_t, i8x16, 16)
WC_SIMD_EXTRACT(i8x16_extract_lane_u, uint32_t, u8x16, 16)
WC_SIMD_REPLACE(i8x16_replace_lane, uint32_t, u8x16, 16)
WC_SIMD_EXTRACT(i16x8_extract_lane_s, uint32_t, i16x8, 8)
WC_SIMD_EXTRACT(i16x8_extract_lane_u, uint32_t, u16x8, 8)
WC_SIMD_REPLACE(i16x8_replace_lane, uint32_t, u16x8, 8)
WC_SIMD_EXTRACT(i32x4_extract_lane, uint32_t, u32x4, 4)
WC_SIMD_REPLACE(i32x4_replace_lane, uint32_t, u32x4, 4)
WC_SIMD_EXTRACT(i64x2_extract_lane, uint64_t, u64x2, 2)
WC_SIMD_REPLACE(i64x2_replace_lane, uint64_t, u64x2, 2)
/* f32/f64 lanes move as bits: no conversion may touch a NaN */
#define WC_SIMD_FLOAT_LANE(p, FT, BT, U, n) \
    WC_SIMD_LINK FT WC_SIMD(p##_extract_lane)(v128 a, int lane) { \
        BT bits = WC_IN(U, a)[lane & ((n) - 1)]; FT f; \
        __builtin_memcpy(&f, &bits, sizeof f); return f; \
    } \
    WC_SIMD_LINK v128 WC_SIMD(p##_replace_lane)(v128 a, FT x, int lane) { \
        BT bits; __builtin_memcpy(&bits, &x, sizeof bits); \
        wc_##U v = WC_IN(U, a); v[lane & ((n) - 1)] = bits; return WC_OUT(v); \
    }
WC_SIMD_FLOAT_LANE(f32x4, float, uint32_t, u32x4, 4)
WC_SIMD_FLOAT_LANE(f64x2, double, uint64_t, u64x2, 2)

/* ---- comparisons --------------------------------------------------------- */

WC_SIMD_CMP(i8x16_eq, i8x16, ==) WC_SIMD_CMP(i8x16_ne, i8x16, !=)
WC_SIMD_CMP(i8x16_lt_s, i8x16, <) WC_SIMD_CMP(i8x16_lt_u, u8x16, <)
WC_SIMD_CMP(i8x16_gt_s, i8x16, >) WC_SIMD_CMP(i8x16_gt_u, u8x16, >)
WC_SIMD_CMP(i8x16_le_s, i8x16, <=) WC_SIMD_CMP(i8x16_le_u, u8x16, <=)
WC_SIMD_CMP(i8x16_ge_s, i8x16, >=) WC_SIMD_CMP(i8x16_ge_u, u8x16, >=)
WC_SIMD_CMP(i16x8_eq, i16x8, ==) WC_SIMD_CMP(i16x8_ne, i16x8, !=)
WC_SIMD_CMP(i16x8_lt_s, i16x8, <) WC_SIMD_CMP(i16x8_lt_u, u16x8, <)
WC_SIMD_CMP(i16x8_gt_s, i16x8, >) WC_SIMD_CMP(i16x8_gt_u, u16x8, >)
WC_SIMD_CMP(i16x8_le_s, i16x8, <=) WC_SIMD_CMP(i16x8_le_u, u16x8, <=)
WC_SIMD_CMP(i16x8_ge_s, i16x8, >=) WC_SIMD_CMP(i16x8_ge_u, u16x8, >=)
WC_SIMD_CMP(i32x4_eq, i32x4, ==) WC_SIMD_CMP(i32x4_ne, i32x4, !=)
WC_SIMD_CMP(i32x4_lt_s, i32x4, <) WC_SIMD_CMP(i32x4_lt_u, u32x4, <)
WC_SIMD_CMP(i32x4_gt_s, i32x4, >) WC_SIMD_CMP(i32x4_gt_u, u32x4, >)
WC_SIMD_CMP(i32x4_le_s, i32x4, <=) WC_SIMD_CMP(i32x4_le_u, u32x4, <=)
WC_SIMD_CMP(i32x4_ge_s, i32x4, >=) WC_SIMD_CMP(i32x4_ge_u, u32x4, >=)
WC_SIMD_CMP(f32x4_eq, f32x4, ==) WC_SIMD_CMP(f32x4_ne, f32x4, !=)
WC_SIMD_CMP(f32x4_lt, f32x4, <) WC_SIMD_CMP(f32x4_gt, f32x4, >)
WC_SIMD_CMP(f32x4_le, f32x4, <=) WC_SIMD_CMP(f32x4_ge, f32x4, >=)
WC_SIMD_CMP(f64x2_eq, f64x2, ==) WC_SIMD_CMP(f64x2_ne, f64x2, !=)
WC_SIMD_CMP(f64x2_lt, f64x2, <) WC_SIMD_CMP(f64x2_gt, f64x2, >)
WC_SIMD_CMP(f64x2_le, f64x2, <=) WC_SIMD_CMP(f64x2_ge, f64x2, >=)
WC_SIMD_CMP(i64x2_eq, i64x2, ==) WC_SIMD_CMP(i64x2_ne, i64x2, !=)
WC_SIMD_CMP(i64x2_lt_s, i64x2, <) WC_SIMD_CMP(i64x2_gt_s, i64x2, >)
WC_SIMD_CMP(i64x2_le_s, i64x2, <=) WC_SIMD_CMP(i64x2_ge_s, i64x2, >=)

/* ---- bitwise -------------------------------------------------------------- */

WC_SIMD_LINK v128 WC_SIMD(v128_not)(v128 a) { return WC_OUT(~WC_IN(u64x2, a)); }
WC_SIMD_BIN(v128_and, u64x2, &)
WC_SIMD_BIN(v128_or, u64x2, |)
WC_SIMD_BIN(v128_xor, u64x2, ^)
WC_SIMD_LINK v128 WC_SIMD(v128_andnot)(v128 a, v128 b) { return WC_OUT(WC_IN(u64x2, a) & ~WC_IN(u64x2, b)); }
WC_SIMD_LINK v128 WC_SIMD(v128_bitselect)(v128 a, v128 b, v128 c)
{
    wc_u64x2 m = WC_IN(u64x2, c);
    return WC_OUT((WC_IN(u64x2, a) & m) | (WC_IN(u64x2, b) & ~m));
}
WC_SIMD_LINK uint32_t WC_SIMD(v128_any_true)(v128 a)
{
    wc_u64x2 v = WC_IN(u64x2, a);
    return (v[0] | v[1]) != 0;
}

#define WC_SIMD_ALL_TRUE(name, T, n) \
    WC_SIMD_LINK uint32_t WC_SIMD(name)(v128 va) { \
        wc_##T a = WC_IN(T, va); \
        for (int i = 0; i < (n); i++) if (a[i] == 0) return 0; \
        return 1; \
    }
#define WC_SIMD_BITMASK(name, T, n) \
    WC_SIMD_LINK uint32_t WC_SIMD(name)(v128 va) { \
        wc_##T a = WC_IN(T, va); uint32_t r = 0; \
        for (int i = 0; i < (n); i++) r |= (uint32_t)(a[i] < 0) << i; \
        return r; \
    }
WC_SIMD_ALL_TRUE(i8x16_all_true, u8x16, 16) WC_SIMD_BITMASK(i8x16_bitmask, i8x16, 16)
WC_SIMD_ALL_TRUE(i16x8_all_true, u16x8, 8) WC_SIMD_BITMASK(i16x8_bitmask, i16x8, 8)
WC_SIMD_ALL_TRUE(i32x4_all_true, u32x4, 4) WC_SIMD_BITMASK(i32x4_bitmask, i32x4, 4)
WC_SIMD_ALL_TRUE(i64x2_all_true, u64x2, 2) WC_SIMD_BITMASK(i64x2_bitmask, i64x2, 2)

/* ---- integer arithmetic (unsigned lanes: wrapping is defined) ------------ */

#define WC_SIMD_INT_FAMILY(p, S, U, n, bits) \
    WC_SIMD_BIN(p##_add, U, +) \
    WC_SIMD_BIN(p##_sub, U, -) \
    WC_SIMD_LINK v128 WC_SIMD(p##_neg)(v128 a) { return WC_OUT(-WC_IN(U, a)); } \
    WC_SIMD_LINK v128 WC_SIMD(p##_abs)(v128 va) { \
        wc_##S a = WC_IN(S, va); \
        return WC_OUT(WC_VSEL((wc_##U)(a < 0), -WC_IN(U, va), WC_IN(U, va))); \
    } \
    WC_SIMD_SHIFT(p##_shl, U, <<, (bits) - 1) \
    WC_SIMD_SHIFT(p##_shr_s, S, >>, (bits) - 1) \
    WC_SIMD_SHIFT(p##_shr_u, U, >>, (bits) - 1)
WC_SIMD_INT_FAMILY(i8x16, i8x16, u8x16, 16, 8)
WC_SIMD_INT_FAMILY(i16x8, i16x8, u16x8, 8, 16)
WC_SIMD_INT_FAMILY(i32x4, i32x4, u32x4, 4, 32)
WC_SIMD_INT_FAMILY(i64x2, i64x2, u64x2, 2, 64)
WC_SIMD_BIN(i16x8_mul, u16x8, *)
WC_SIMD_BIN(i32x4_mul, u32x4, *)
WC_SIMD_BIN(i64x2_mul, u64x2, *)

#define WC_SIMD_MINMAX1(name, T, op) \
    WC_SIMD_LINK v128 WC_SIMD(name)(v128 va, v128 vb) { \
        wc_##T a = WC_IN(T, va), b = WC_IN(T, vb); \
        return WC_OUT(WC_VSEL((wc_##T)(a op b), a, b)); \
    }
#define WC_SIMD_MINMAX(p, S, U, n) \
    WC_SIMD_MINMAX1(p##_min_s, S, <) WC_SIMD_MINMAX1(p##_min_u, U, <) \
    WC_SIMD_MINMAX1(p##_max_s, S, >) WC_SIMD_MINMAX1(p##_max_u, U, >)
WC_SIMD_MINMAX(i8x16, i8x16, u8x16, 16)
WC_SIMD_MINMAX(i16x8, i16x8, u16x8, 8)
WC_SIMD_MINMAX(i32x4, i32x4, u32x4, 4)

/* saturating: the wrapped result, replaced where it overflowed */
#define WC_SIMD_SAT(p, S, U, smax) \
    WC_SIMD_LINK v128 WC_SIMD(p##_add_sat_u)(v128 va, v128 vb) { \
        wc_##U a = WC_IN(U, va), r = a + WC_IN(U, vb); \
        return WC_OUT(r | (wc_##U)(r < a)); \
    } \
    WC_SIMD_LINK v128 WC_SIMD(p##_sub_sat_u)(v128 va, v128 vb) { \
        wc_##U a = WC_IN(U, va), b = WC_IN(U, vb); \
        return WC_OUT((a - b) & ~(wc_##U)(a < b)); \
    } \
    WC_SIMD_LINK v128 WC_SIMD(p##_add_sat_s)(v128 va, v128 vb) { \
        wc_##S a = WC_IN(S, va), b = WC_IN(S, vb); \
        wc_##S r = (wc_##S)(WC_IN(U, va) + WC_IN(U, vb)); \
        wc_##S over = ((a ^ r) & (b ^ r)) < 0; \
        return WC_OUT(WC_VSEL(over, (a >> (8 * sizeof a[0] - 1)) ^ (smax), r)); \
    } \
    WC_SIMD_LINK v128 WC_SIMD(p##_sub_sat_s)(v128 va, v128 vb) { \
        wc_##S a = WC_IN(S, va), b = WC_IN(S, vb); \
        wc_##S r = (wc_##S)(WC_IN(U, va) - WC_IN(U, vb)); \
        wc_##S over = ((a ^ b) & (a ^ r)) < 0; \
        return WC_OUT(WC_VSEL(over, (a >> (8 * sizeof a[0] - 1)) ^ (smax), r)); \
    } \
    /* the rounding average without a wider type */ \
    WC_SIMD_LINK v128 WC_SIMD(p##_avgr_u)(v128 va, v128 vb) { \
        wc_##U a = WC_IN(U, va), b = WC_IN(U, vb); \
        return WC_OUT((a | b) - ((a ^ b) >> 1)); \
    }
WC_SIMD_SAT(i8x16, i8x16, u8x16, 127)
WC_SIMD_SAT(i16x8, i16x8, u16x8, 32767)
WC_SIMD_MAP1(i8x16_popcnt, u8x16, u8x16, 16, r[i] = (uint8_t)__builtin_popcount(a[i]))
WC_SIMD_MAP2(i16x8_q15mulr_sat_s, i16x8, i16x8, 8,
             r[i] = wc_simd_sat_s16(((int32_t)a[i] * b[i] + 0x4000) >> 15))
WC_SIMD_MAP2(i32x4_dot_i16x8_s, u32x4, i16x8, 4,
             r[i] = (uint32_t)((int32_t)a[2 * i] * b[2 * i]) + (uint32_t)((int32_t)a[2 * i + 1] * b[2 * i + 1]))

/* narrow: two vectors of signed lanes into one of half the width, saturated */
#define WC_SIMD_NARROW(name, RT, T, lo, hi, ...) \
    WC_SIMD_LINK v128 WC_SIMD(name)(v128 va, v128 vb) { \
        wc_##T a = WC_VCLAMP(WC_IN(T, va), lo, hi), b = WC_VCLAMP(WC_IN(T, vb), lo, hi); \
        return WC_OUT(__builtin_convertvector(__builtin_shufflevector(a, b, __VA_ARGS__), wc_##RT)); \
    }
WC_SIMD_NARROW(i8x16_narrow_i16x8_s, i8x16, i16x8, -128, 127, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
WC_SIMD_NARROW(i8x16_narrow_i16x8_u, u8x16, i16x8, 0, 255, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
WC_SIMD_NARROW(i16x8_narrow_i32x4_s, i16x8, i32x4, -32768, 32767, 0, 1, 2, 3, 4, 5, 6, 7)
WC_SIMD_NARROW(i16x8_narrow_i32x4_u, u16x8, i32x4, 0, 65535, 0, 1, 2, 3, 4, 5, 6, 7)

/* extend, extadd, extmul: lanes widened (sign- or zero-), low or high half;
 * S and U the wide lane types, NS and NU the narrow ones */
/* half the lanes (LOW or HIGH, lists of indices) converted to the wide type */
#define WC_SIMD_EXTEND(name, RT, T, ...) \
    WC_SIMD_LINK v128 WC_SIMD(name)(v128 va) { \
        wc_##T a = WC_IN(T, va); \
        return WC_OUT(__builtin_convertvector(__builtin_shufflevector(a, a, __VA_ARGS__), wc_##RT)); \
    }
#define WC_SIMD_EXTENDS(p, from, S, U, NS, NU, LOW, HIGH) \
    WC_SIMD_EXTEND(p##_extend_low_##from##_s, S, NS, LOW) \
    WC_SIMD_EXTEND(p##_extend_high_##from##_s, S, NS, HIGH) \
    WC_SIMD_EXTEND(p##_extend_low_##from##_u, U, NU, LOW) \
    WC_SIMD_EXTEND(p##_extend_high_##from##_u, U, NU, HIGH)
#define WC_SIMD_LOW8 0, 1, 2, 3, 4, 5, 6, 7
#define WC_SIMD_HIGH8 8, 9, 10, 11, 12, 13, 14, 15
#define WC_SIMD_LOW4 0, 1, 2, 3
#define WC_SIMD_HIGH4 4, 5, 6, 7
#define WC_SIMD_LOW2 0, 1
#define WC_SIMD_HIGH2 2, 3
WC_SIMD_EXTENDS(i16x8, i8x16, i16x8, u16x8, i8x16, u8x16, WC_SIMD_LOW8, WC_SIMD_HIGH8)
WC_SIMD_EXTENDS(i32x4, i16x8, i32x4, u32x4, i16x8, u16x8, WC_SIMD_LOW4, WC_SIMD_HIGH4)
WC_SIMD_EXTENDS(i64x2, i32x4, i64x2, u64x2, i32x4, u32x4, WC_SIMD_LOW2, WC_SIMD_HIGH2)
/* extmul: the extended halves multiplied (the product always fits) */
#define WC_SIMD_EXTMUL1(p, from, half, sign, U) \
    WC_SIMD_LINK v128 WC_SIMD(p##_extmul_##half##_##from##_##sign)(v128 a, v128 b) { \
        return WC_OUT(WC_IN(U, WC_SIMD(p##_extend_##half##_##from##_##sign)(a)) * \
                      WC_IN(U, WC_SIMD(p##_extend_##half##_##from##_##sign)(b))); \
    }
#define WC_SIMD_WIDEN(p, from, S, U, NS, NU, n) \
    WC_SIMD_EXTMUL1(p, from, low, s, U) WC_SIMD_EXTMUL1(p, from, high, s, U) \
    WC_SIMD_EXTMUL1(p, from, low, u, U) WC_SIMD_EXTMUL1(p, from, high, u, U)
WC_SIMD_WIDEN(i16x8, i8x16, i16x8, u16x8, i8x16, u8x16, 8)
WC_SIMD_WIDEN(i32x4, i16x8, i32x4, u32x4, i16x8, u16x8, 4)
WC_SIMD_WIDEN(i64x2, i32x4, i64x2, u64x2, i32x4, u32x4, 2)
WC_SIMD_MAP1(i16x8_extadd_pairwise_i8x16_s, i16x8, i8x16, 8, r[i] = (int16_t)(a[2 * i] + a[2 * i + 1]))
WC_SIMD_MAP1(i16x8_extadd_pairwise_i8x16_u, u16x8, u8x16, 8, r[i] = (uint16_t)(a[2 * i] + a[2 * i + 1]))
WC_SIMD_MAP1(i32x4_extadd_pairwise_i16x8_s, i32x4, i16x8, 4, r[i] = (int32_t)a[2 * i] + a[2 * i + 1])
WC_SIMD_MAP1(i32x4_extadd_pairwise_i16x8_u, u32x4, u16x8, 4, r[i] = (uint32_t)a[2 * i] + a[2 * i + 1])

/* ---- floating point ---------------------------------------------------------- */

#define WC_SIMD_FLOAT_FAMILY(p, F, U, n, signbit, ROUND, nan, sq, fl, ce, tr, ne) \
    WC_SIMD_LINK v128 WC_SIMD(p##_abs)(v128 a) { return WC_OUT(WC_IN(U, a) & ~((wc_##U){0} + (signbit))); } \
    WC_SIMD_LINK v128 WC_SIMD(p##_neg)(v128 a) { return WC_OUT(WC_IN(U, a) ^ ((wc_##U){0} + (signbit))); } \
    WC_SIMD_BIN(p##_add, F, +) \
    WC_SIMD_BIN(p##_sub, F, -) \
    WC_SIMD_BIN(p##_mul, F, *) \
    WC_SIMD_BIN(p##_div, F, /) \
    WC_SIMD_MAP1(p##_sqrt, F, F, n, r[i] = ROUND(sq, a[i])) \
    WC_SIMD_MAP1(p##_floor, F, F, n, r[i] = ROUND(fl, a[i])) \
    WC_SIMD_MAP1(p##_ceil, F, F, n, r[i] = ROUND(ce, a[i])) \
    WC_SIMD_MAP1(p##_trunc, F, F, n, r[i] = ROUND(tr, a[i])) \
    WC_SIMD_MAP1(p##_nearest, F, F, n, r[i] = ROUND(ne, a[i])) \
    WC_SIMD_MAP2(p##_min, F, F, n, r[i] = WC_SIMD_FMIN(a[i], b[i], nan)) \
    WC_SIMD_MAP2(p##_max, F, F, n, r[i] = WC_SIMD_FMAX(a[i], b[i], nan)) \
    /* pmin/pmax select an operand whole, NaN bits and all */ \
    WC_SIMD_LINK v128 WC_SIMD(p##_pmin)(v128 a, v128 b) { \
        wc_##U m = (wc_##U)(WC_IN(F, b) < WC_IN(F, a)); \
        return WC_OUT((WC_IN(U, b) & m) | (WC_IN(U, a) & ~m)); \
    } \
    WC_SIMD_LINK v128 WC_SIMD(p##_pmax)(v128 a, v128 b) { \
        wc_##U m = (wc_##U)(WC_IN(F, a) < WC_IN(F, b)); \
        return WC_OUT((WC_IN(U, b) & m) | (WC_IN(U, a) & ~m)); \
    }
WC_SIMD_FLOAT_FAMILY(f32x4, f32x4, u32x4, 4, 0x80000000u, WC_SIMD_ROUND32, __builtin_nanf(""),
                     __builtin_sqrtf, __builtin_floorf, __builtin_ceilf, __builtin_truncf,
                     __builtin_nearbyintf)
WC_SIMD_FLOAT_FAMILY(f64x2, f64x2, u64x2, 2, 0x8000000000000000ull, WC_SIMD_ROUND64, __builtin_nan(""),
                     __builtin_sqrt, __builtin_floor, __builtin_ceil, __builtin_trunc,
                     __builtin_nearbyint)

/* ---- conversions --------------------------------------------------------------- */

WC_SIMD_MAP1(i32x4_trunc_sat_f32x4_s, i32x4, f32x4, 4,
             r[i] = WC_SIMD_TRUNC_SAT(a[i], -2147483904.0f, 2147483648.0f, INT32_MIN, INT32_MAX, int32_t))
WC_SIMD_MAP1(i32x4_trunc_sat_f32x4_u, u32x4, f32x4, 4,
             r[i] = WC_SIMD_TRUNC_SAT(a[i], -1.0f, 4294967296.0f, 0, UINT32_MAX, uint32_t))
WC_SIMD_MAP1(i32x4_trunc_sat_f64x2_s_zero, i32x4, f64x2, 4,
             r[i] = i < 2 ? WC_SIMD_TRUNC_SAT(a[i & 1], -2147483649.0, 2147483648.0, INT32_MIN, INT32_MAX, int32_t) : 0)
WC_SIMD_MAP1(i32x4_trunc_sat_f64x2_u_zero, u32x4, f64x2, 4,
             r[i] = i < 2 ? WC_SIMD_TRUNC_SAT(a[i & 1], -1.0, 4294967296.0, 0, UINT32_MAX, uint32_t) : 0)
WC_SIMD_MAP1(f32x4_convert_i32x4_s, f32x4, i32x4, 4, r[i] = (float)a[i])
WC_SIMD_MAP1(f32x4_convert_i32x4_u, f32x4, u32x4, 4, r[i] = (float)a[i])
WC_SIMD_MAP1(f64x2_convert_low_i32x4_s, f64x2, i32x4, 2, r[i] = (double)a[i])
WC_SIMD_MAP1(f64x2_convert_low_i32x4_u, f64x2, u32x4, 2, r[i] = (double)a[i])
WC_SIMD_MAP1(f32x4_demote_f64x2_zero, f32x4, f64x2, 4, r[i] = i < 2 ? (float)a[i & 1] : 0.0f)
WC_SIMD_MAP1(f64x2_promote_low_f32x4, f64x2, f32x4, 2, r[i] = (double)a[i])

/* ---- the loads that transform what they read (the emitter loads it) ---------- */

#define WC_SIMD_LOAD_EXTEND(name, RT, ET, n) \
    WC_SIMD_LINK v128 WC_SIMD(name)(uint64_t bits) { \
        ET e[n]; __builtin_memcpy(e, &bits, 8); wc_##RT r; \
        for (int i = 0; i < (n); i++) r[i] = e[i]; \
        return WC_OUT(r); \
    }
WC_SIMD_LOAD_EXTEND(v128_load8x8_s, i16x8, int8_t, 8)
WC_SIMD_LOAD_EXTEND(v128_load8x8_u, u16x8, uint8_t, 8)
WC_SIMD_LOAD_EXTEND(v128_load16x4_s, i32x4, int16_t, 4)
WC_SIMD_LOAD_EXTEND(v128_load16x4_u, u32x4, uint16_t, 4)
WC_SIMD_LOAD_EXTEND(v128_load32x2_s, i64x2, int32_t, 2)
WC_SIMD_LOAD_EXTEND(v128_load32x2_u, u64x2, uint32_t, 2)
WC_SIMD_LINK v128 WC_SIMD(v128_load32_zero)(uint32_t x) { return WC_OUT(((wc_u32x4){x, 0, 0, 0})); }
WC_SIMD_LINK v128 WC_SIMD(v128_load64_zero)(uint64_t x) { return WC_OUT(((wc_u64x2){x, 0})); }

/* ---- relaxed SIMD: one deterministic choice each (docs/ARCHITECTURE.md) ------- */

WC_SIMD_LINK v128 WC_SIMD(i8x16_relaxed_swizzle)(v128 a, v128 b) { return WC_SIMD(i8x16_swizzle)(a, b); }
WC_SIMD_LINK v128 WC_SIMD(i32x4_relaxed_trunc_f32x4_s)(v128 a) { return WC_SIMD(i32x4_trunc_sat_f32x4_s)(a); }
WC_SIMD_LINK v128 WC_SIMD(i32x4_relaxed_trunc_f32x4_u)(v128 a) { return WC_SIMD(i32x4_trunc_sat_f32x4_u)(a); }
WC_SIMD_LINK v128 WC_SIMD(i32x4_relaxed_trunc_f64x2_s_zero)(v128 a) { return WC_SIMD(i32x4_trunc_sat_f64x2_s_zero)(a); }
WC_SIMD_LINK v128 WC_SIMD(i32x4_relaxed_trunc_f64x2_u_zero)(v128 a) { return WC_SIMD(i32x4_trunc_sat_f64x2_u_zero)(a); }
/* madd and nmadd round twice (no fused multiply-add): the same on every x86 */
WC_SIMD_LINK v128 WC_SIMD(f32x4_relaxed_madd)(v128 a, v128 b, v128 c)
{
    wc_f32x4 p = WC_IN(f32x4, a) * WC_IN(f32x4, b);
    __asm__("" : "+x"(p)); /* no contraction into an fma */
    return WC_OUT(p + WC_IN(f32x4, c));
}
WC_SIMD_LINK v128 WC_SIMD(f32x4_relaxed_nmadd)(v128 a, v128 b, v128 c)
{
    wc_f32x4 p = -WC_IN(f32x4, a) * WC_IN(f32x4, b);
    __asm__("" : "+x"(p));
    return WC_OUT(p + WC_IN(f32x4, c));
}
WC_SIMD_LINK v128 WC_SIMD(f64x2_relaxed_madd)(v128 a, v128 b, v128 c)
{
    wc_f64x2 p = WC_IN(f64x2, a) * WC_IN(f64x2, b);
    __asm__("" : "+x"(p));
    return WC_OUT(p + WC_IN(f64x2, c));
}
WC_SIMD_LINK v128 WC_SIMD(f64x2_relaxed_nmadd)(v128 a, v128 b, v128 c)
{
    wc_f64x2 p = -WC_IN(f64x2, a) * WC_IN(f64x2, b);
    __asm__("" : "+x"(p));
    return WC_OUT(p + WC_IN(f64x2, c));
}
WC_SIMD_LINK v128 WC_SIMD(i8x16_relaxed_laneselect)(v128 a, v128 b, v128 m) { return WC_SIMD(v128_bitselect)(a, b, m); }
WC_SIMD_LINK v128 WC_SIMD(i16x8_relaxed_laneselect)(v128 a, v128 b, v128 m) { return WC_SIMD(v128_bitselect)(a, b, m); }
WC_SIMD_LINK v128 WC_SIMD(i32x4_relaxed_laneselect)(v128 a, v128 b, v128 m) { return WC_SIMD(v128_bitselect)(a, b, m); }
WC_SIMD_LINK v128 WC_SIMD(i64x2_relaxed_laneselect)(v128 a, v128 b, v128 m) { return WC_SIMD(v128_bitselect)(a, b, m); }
WC_SIMD_LINK v128 WC_SIMD(f32x4_relaxed_min)(v128 a, v128 b) { return WC_SIMD(f32x4_min)(a, b); }
WC_SIMD_LINK v128 WC_SIMD(f32x4_relaxed_max)(v128 a, v128 b) { return WC_SIMD(f32x4_max)(a, b); }
WC_SIMD_LINK v128 WC_SIMD(f64x2_relaxed_min)(v128 a, v128 b) { return WC_SIMD(f64x2_min)(a, b); }
WC_SIMD_LINK v128 WC_SIMD(f64x2_relaxed_max)(v128 a, v128 b) { return WC_SIMD(f64x2_max)(a, b); }
WC_SIMD_LINK v128 WC_SIMD(i16x8_relaxed_q15mulr_s)(v128 a, v128 b) { return WC_SIMD(i16x8_q15mulr_sat_s)(a, b); }
/* the second operand's lanes are read as signed, the sums wrap */
WC_SIMD_MAP2(i16x8_dot_i8x16_i7x16_s, u16x8, i8x16, 8,
             r[i] = (uint16_t)((int32_t)a[2 * i] * b[2 * i] + (int32_t)a[2 * i + 1] * b[2 * i + 1]))
WC_SIMD_LINK v128 WC_SIMD(i32x4_dot_i8x16_i7x16_add_s)(v128 va, v128 vb, v128 vc)
{
    wc_i8x16 a = WC_IN(i8x16, va), b = WC_IN(i8x16, vb);
    wc_u32x4 c = WC_IN(u32x4, vc), r;
    for (int i = 0; i < 4; i++) {
        int32_t sum = 0;
        for (int k = 0; k < 4; k++)
            sum += (int32_t)a[4 * i + k] * b[4 * i + k];
        r[i] = (uint32_t)sum + c[i];
    }
    return WC_OUT(r);
}

#endif
