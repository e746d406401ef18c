/* emit_prelude.c -- the helpers every emitted unit defines after wasm-rt.h.
 *
 * Written for both compilers: libtcc inlines nothing, so what runs often is
 * a macro over operands the emitter has made simple (a local or a slot);
 * gcc gets the same text and folds it.  Trap reasons and NaN behaviour are
 * those wasm2c's output had, which the spec tests hold on both tiers.
 */
#include "engine/emit_internal.h"

const char wc_emit_prelude[] =
    "#ifndef __TINYC__\n#include <math.h>\n#endif\n" /* wasm-rt.h declares libtcc's */
    "typedef uint8_t u8; typedef int8_t s8; typedef uint16_t u16; typedef int16_t s16;\n"
    "typedef uint32_t u32; typedef int32_t s32; typedef uint64_t u64; typedef int64_t s64;\n"
    "typedef float f32; typedef double f64;\n"
    "#define TRAP(x) (wasm_rt_trap(WASM_RT_TRAP_##x), 0)\n"
    "#define FUNC_PROLOGUE if (++wasm_rt_call_stack_depth > WASM_RT_MAX_CALL_STACK_DEPTH) TRAP(EXHAUSTION)\n"
    "#define FUNC_EPILOGUE (--wasm_rt_call_stack_depth)\n"
    /* the watchdog or wc_instance_interrupt() sets irq; the engine reports
     * the resulting unreachable trap as a deadline or an interruption */
    "#define IRQ if (UNLIKELY(instance->irq)) TRAP(UNREACHABLE)\n"
    /* A branch back to loop l and its check.  gcc copies a volatile into a
     * register to test it (a load, a test, a branch on every iteration);
     * asm goto compares the flag in memory and jumps back in one fused
     * compare-and-branch, falling through to the trap. */
    "#if defined(__x86_64__) && !defined(__TINYC__)\n"
    "#define IRQ_GOTO(l) do { __asm__ goto(\"cmpl $0, %0\\n\\tje %l[\" #l \"]\" :: \"m\"(instance->irq) : \"cc\" : l); \\\n"
    "  TRAP(UNREACHABLE); } while (0)\n"
    "#else\n#define IRQ_GOTO(l) do { IRQ; goto l; } while (0)\n#endif\n"
    /* A function's frame (its locals and operand-stack slots) can be
     * megabytes, and libtcc writes it in no particular order: reading one
     * byte a page from the frame's top down to the stack pointer, before
     * anything is written, faults in the guard page below the thread's
     * stack (a clean "call stack exhausted") instead of letting a write skip
     * past it.  gcc probes its own frames (-fstack-clash-protection).
     * Only functions whose frame may reach a page use it
     * (needs_stack_probe in emit_func.c). */
    "#ifdef __TINYC__\n"
    "#define STACK_PROBE { const char *wc_sp; char wc_t = 0; \\\n"
    "  __asm__ volatile(\"mov %%rsp, %0\" : \"=r\"(wc_sp)); \\\n"
    "  for (const char *wc_p = (const char *)__builtin_frame_address(0) - 4096; wc_p > wc_sp; wc_p -= 4096) \\\n"
    "    wc_t += *wc_p; /* libtcc loads no value cast to void */ \\\n"
    "  (void)wc_t; }\n"
    "#else\n#define STACK_PROBE\n#endif\n"
    /* Loads and stores at M, the memory's base, which never moves (the
     * reservation is fixed): unchecked, a fault in the guard region is a
     * trap.  gcc must not assume alignment nor type-based aliasing. */
    "#ifdef __TINYC__\n"
    "typedef u8 wc_u8; typedef s8 wc_s8; typedef u16 wc_u16; typedef s16 wc_s16;\n"
    "typedef u32 wc_u32; typedef s32 wc_s32; typedef u64 wc_u64; typedef f32 wc_f32; typedef f64 wc_f64;\n"
    "#else\n"
    "#define WC_U __attribute__((aligned(1), may_alias))\n"
    "typedef u8 WC_U wc_u8; typedef s8 WC_U wc_s8; typedef u16 WC_U wc_u16; typedef s16 WC_U wc_s16;\n"
    "typedef u32 WC_U wc_u32; typedef s32 WC_U wc_s32; typedef u64 WC_U wc_u64;\n"
    "typedef f32 WC_U wc_f32; typedef f64 WC_U wc_f64;\n"
    "#endif\n"
    /* gcc would drop a load whose value is unused, and its trap with it:
     * the empty asm keeps every load (libtcc removes nothing) */
    "#ifdef __TINYC__\n"
    "#define LD(t, a) (*(const wc_##t *)(M + (a)))\n"
    "#define LDF(t, a) LD(t, a)\n"
    "#else\n"
    "#define LD(t, a) ({ t wc_v = *(const wc_##t *)(M + (a)); __asm__(\"\" :: \"r\"(wc_v)); wc_v; })\n"
    "#define LDF(t, a) ({ t wc_v = *(const wc_##t *)(M + (a)); __asm__(\"\" :: \"x\"(wc_v)); wc_v; })\n"
    "#endif\n"
    "#define ST(t, a, v) (*(wc_##t *)(M + (a)) = (t)(v))\n"
    "#define F32_BITS(x) (((union { f32 f; u32 i; }){.f = (x)}).i)\n"
    "#define F64_BITS(x) (((union { f64 f; u64 i; }){.f = (x)}).i)\n"
    "#define F32_FROM(x) (((union { u32 i; f32 f; }){.i = (x)}).f)\n"
    "#define F64_FROM(x) (((union { u64 i; f64 f; }){.i = (x)}).f)\n"
    /* neg, abs and copysign are operations on the sign bit: libtcc compiles
     * -x as a subtraction, which quiets NaNs */
    "#define F32_NEG(x) F32_FROM(F32_BITS(x) ^ 0x80000000u)\n"
    "#define F64_NEG(x) F64_FROM(F64_BITS(x) ^ 0x8000000000000000ull)\n"
    "#define F32_ABS(x) F32_FROM(F32_BITS(x) & 0x7fffffffu)\n"
    "#define F64_ABS(x) F64_FROM(F64_BITS(x) & 0x7fffffffffffffffull)\n"
    "#define F32_COPYSIGN(x, y) F32_FROM((F32_BITS(x) & 0x7fffffffu) | (F32_BITS(y) & 0x80000000u))\n"
    "#define F64_COPYSIGN(x, y) \\\n"
    "  F64_FROM((F64_BITS(x) & 0x7fffffffffffffffull) | (F64_BITS(y) & 0x8000000000000000ull))\n"
    "#define I32_CLZ(x) ((x) ? (u32)__builtin_clz(x) : 32u)\n"
    "#define I64_CLZ(x) ((x) ? (u64)__builtin_clzll(x) : 64ull)\n"
    "#define I32_CTZ(x) ((x) ? (u32)__builtin_ctz(x) : 32u)\n"
    "#define I64_CTZ(x) ((x) ? (u64)__builtin_ctzll(x) : 64ull)\n"
    "#define I32_POPCNT(x) ((u32)__builtin_popcount(x))\n"
    "#define I64_POPCNT(x) ((u64)__builtin_popcountll(x))\n"
    "#define DIV_S(ut, min, x, y) \\\n"
    "  ((UNLIKELY((y) == 0)) ? TRAP(DIV_BY_ZERO) \\\n"
    "   : (UNLIKELY((x) == min && (y) == -1)) ? TRAP(INT_OVERFLOW) : (ut)((x) / (y)))\n"
    "#define REM_S(ut, min, x, y) \\\n"
    "  ((UNLIKELY((y) == 0)) ? TRAP(DIV_BY_ZERO) : (UNLIKELY((x) == min && (y) == -1)) ? 0 : (ut)((x) % (y)))\n"
    "#define I32_DIV_S(x, y) DIV_S(u32, INT32_MIN, (s32)(x), (s32)(y))\n"
    "#define I64_DIV_S(x, y) DIV_S(u64, INT64_MIN, (s64)(x), (s64)(y))\n"
    "#define I32_REM_S(x, y) REM_S(u32, INT32_MIN, (s32)(x), (s32)(y))\n"
    "#define I64_REM_S(x, y) REM_S(u64, INT64_MIN, (s64)(x), (s64)(y))\n"
    "#define DIV_U(x, y) ((UNLIKELY((y) == 0)) ? TRAP(DIV_BY_ZERO) : ((x) / (y)))\n"
    "#define REM_U(x, y) ((UNLIKELY((y) == 0)) ? TRAP(DIV_BY_ZERO) : ((x) % (y)))\n"
    "#define ROTL(x, y, mask) (((x) << ((y) & (mask))) | ((x) >> (((mask) - (y) + 1) & (mask))))\n"
    "#define ROTR(x, y, mask) (((x) >> ((y) & (mask))) | ((x) << (((mask) - (y) + 1) & (mask))))\n"
    "#define FMIN(x, y) \\\n"
    "  ((UNLIKELY((x) != (x))) ? NAN : (UNLIKELY((y) != (y))) ? NAN \\\n"
    "   : (UNLIKELY((x) == 0 && (y) == 0)) ? (signbit(x) ? x : y) : (x < y) ? x : y)\n"
    "#define FMAX(x, y) \\\n"
    "  ((UNLIKELY((x) != (x))) ? NAN : (UNLIKELY((y) != (y))) ? NAN \\\n"
    "   : (UNLIKELY((x) == 0 && (y) == 0)) ? (signbit(x) ? y : x) : (x > y) ? x : y)\n"
    "#define TRUNC_S(ut, st, ft, min, minop, max, x) \\\n"
    "  ((UNLIKELY((x) != (x))) ? TRAP(INVALID_CONVERSION) \\\n"
    "   : (UNLIKELY(!((x)minop(min) && (x) < (max)))) ? TRAP(INT_OVERFLOW) : (ut)(st)(x))\n"
    "#define I32_TRUNC_S_F32(x) TRUNC_S(u32, s32, f32, (f32)INT32_MIN, >=, 2147483648.f, x)\n"
    "#define I64_TRUNC_S_F32(x) TRUNC_S(u64, s64, f32, (f32)INT64_MIN, >=, (f32)INT64_MAX, x)\n"
    "#define I32_TRUNC_S_F64(x) TRUNC_S(u32, s32, f64, -2147483649., >, 2147483648., x)\n"
    "#define I64_TRUNC_S_F64(x) TRUNC_S(u64, s64, f64, (f64)INT64_MIN, >=, (f64)INT64_MAX, x)\n"
    "#define TRUNC_U(ut, ft, max, x) \\\n"
    "  ((UNLIKELY((x) != (x))) ? TRAP(INVALID_CONVERSION) \\\n"
    "   : (UNLIKELY(!((x) > (ft)-1 && (x) < (max)))) ? TRAP(INT_OVERFLOW) : (ut)(x))\n"
    "#define I32_TRUNC_U_F32(x) TRUNC_U(u32, f32, 4294967296.f, x)\n"
    "#define I64_TRUNC_U_F32(x) TRUNC_U(u64, f32, (f32)UINT64_MAX, x)\n"
    "#define I32_TRUNC_U_F64(x) TRUNC_U(u32, f64, 4294967296., x)\n"
    "#define I64_TRUNC_U_F64(x) TRUNC_U(u64, f64, (f64)UINT64_MAX, x)\n"
    "#define TRUNC_SAT_S(ut, st, ft, min, smin, minop, max, smax, x) \\\n"
    "  ((UNLIKELY((x) != (x))) ? 0 : (UNLIKELY(!((x)minop(min)))) ? smin \\\n"
    "   : (UNLIKELY(!((x) < (max)))) ? smax : (ut)(st)(x))\n"
    "#define I32_TRUNC_SAT_S_F32(x) \\\n"
    "  TRUNC_SAT_S(u32, s32, f32, (f32)INT32_MIN, INT32_MIN, >=, 2147483648.f, INT32_MAX, x)\n"
    "#define I64_TRUNC_SAT_S_F32(x) \\\n"
    "  TRUNC_SAT_S(u64, s64, f32, (f32)INT64_MIN, INT64_MIN, >=, (f32)INT64_MAX, INT64_MAX, x)\n"
    "#define I32_TRUNC_SAT_S_F64(x) \\\n"
    "  TRUNC_SAT_S(u32, s32, f64, -2147483649., INT32_MIN, >, 2147483648., INT32_MAX, x)\n"
    "#define I64_TRUNC_SAT_S_F64(x) \\\n"
    "  TRUNC_SAT_S(u64, s64, f64, (f64)INT64_MIN, INT64_MIN, >=, (f64)INT64_MAX, INT64_MAX, x)\n"
    "#define TRUNC_SAT_U(ut, ft, max, smax, x) \\\n"
    "  ((UNLIKELY((x) != (x))) ? 0 : (UNLIKELY(!((x) > (ft)-1))) ? 0 \\\n"
    "   : (UNLIKELY(!((x) < (max)))) ? smax : (ut)(x))\n"
    "#define I32_TRUNC_SAT_U_F32(x) TRUNC_SAT_U(u32, f32, 4294967296.f, UINT32_MAX, x)\n"
    "#define I64_TRUNC_SAT_U_F32(x) TRUNC_SAT_U(u64, f32, (f32)UINT64_MAX, UINT64_MAX, x)\n"
    "#define I32_TRUNC_SAT_U_F64(x) TRUNC_SAT_U(u32, f64, 4294967296., UINT32_MAX, x)\n"
    "#define I64_TRUNC_SAT_U_F64(x) TRUNC_SAT_U(u64, f64, (f64)UINT64_MAX, UINT64_MAX, x)\n"
    /* libtcc compiles a static function whether it is called or not, an
     * inline one only where it is: the unit's helpers are inline for it */
    "#ifdef __TINYC__\n#define WC_HELPER static inline\n#else\n#define WC_HELPER static\n#endif\n"
    "WC_HELPER f32 wc_quiet32(f32 x) { return UNLIKELY(x != x) ? F32_FROM(F32_BITS(x) | 0x7fc00000u) : x; }\n"
    "WC_HELPER f64 wc_quiet64(f64 x) {\n"
    "  return UNLIKELY(x != x) ? F64_FROM(F64_BITS(x) | 0x7ff8000000000000ull) : x;\n"
    "}\n"
    "WC_HELPER f32 wc_floor32(f32 x) { return UNLIKELY(x != x) ? wc_quiet32(x) : floorf(x); }\n"
    "WC_HELPER f64 wc_floor64(f64 x) { return UNLIKELY(x != x) ? wc_quiet64(x) : floor(x); }\n"
    "WC_HELPER f32 wc_ceil32(f32 x) { return UNLIKELY(x != x) ? wc_quiet32(x) : ceilf(x); }\n"
    "WC_HELPER f64 wc_ceil64(f64 x) { return UNLIKELY(x != x) ? wc_quiet64(x) : ceil(x); }\n"
    "WC_HELPER f32 wc_trunc32(f32 x) { return UNLIKELY(x != x) ? wc_quiet32(x) : truncf(x); }\n"
    "WC_HELPER f64 wc_trunc64(f64 x) { return UNLIKELY(x != x) ? wc_quiet64(x) : trunc(x); }\n"
    "WC_HELPER f32 wc_nearest32(f32 x) { return UNLIKELY(x != x) ? wc_quiet32(x) : nearbyintf(x); }\n"
    "WC_HELPER f64 wc_nearest64(f64 x) { return UNLIKELY(x != x) ? wc_quiet64(x) : nearbyint(x); }\n"
    "WC_HELPER f32 wc_sqrt32(f32 x) { return UNLIKELY(x != x) ? wc_quiet32(x) : sqrtf(x); }\n"
    "WC_HELPER f64 wc_sqrt64(f64 x) { return UNLIKELY(x != x) ? wc_quiet64(x) : sqrt(x); }\n"
    /* no overflow with memory64's 64-bit offsets and lengths */
    "#define RANGE_CHECK(size, offset, len, reason) \\\n"
    "  if (UNLIKELY((u64)(len) > (u64)(size) || (u64)(offset) > (u64)(size) - (u64)(len))) TRAP(reason)\n"
    /* memory64: the address a + off of an access ending at a + end (the
     * emitter computed end = off + size without overflow), checked: no
     * guard region covers a 64-bit address.  Inline code, not a call:
     * libtcc inlines nothing. */
    "#define WC_ADDR64(mem, a, off, end) ({ u64 wc_a = (a); \\\n"
    "  if (UNLIKELY((end) > (mem)->size || wc_a > (mem)->size - (end))) TRAP(OOB); wc_a + (off); })\n"
    "WC_HELPER u64 wc_grow64(wasm_rt_memory_t *mem, u64 delta) {\n"
    "  if (delta > 0xffffffffull) return ~0ull;\n"
    "  u32 old = wasm_rt_grow_memory(mem, (u32)delta);\n"
    "  return old == 0xffffffffu ? ~0ull : old;\n"
    "}\n"
    "WC_HELPER void wc_memory_fill(wasm_rt_memory_t *mem, u64 d, u32 val, u64 n) {\n"
    "  RANGE_CHECK(mem->size, d, n, OOB);\n"
    "  memset(mem->data + d, (int)val, n);\n"
    "  wc_dirty_range(mem, d, n);\n"
    "}\n"
    /* from memory sm to memory dm (the same one but with multi-memory) */
    "WC_HELPER void wc_memory_copy(wasm_rt_memory_t *dm, wasm_rt_memory_t *sm, u64 d, u64 s, u64 n) {\n"
    "  RANGE_CHECK(dm->size, d, n, OOB);\n"
    "  RANGE_CHECK(sm->size, s, n, OOB);\n"
    "  memmove(dm->data + d, sm->data + s, n);\n"
    "  wc_dirty_range(dm, d, n);\n"
    "}\n"
    "WC_HELPER void wc_memory_init(wasm_rt_memory_t *mem, const u8 *src, u32 src_size, u64 d, u32 s, u32 n) {\n"
    "  RANGE_CHECK(src_size, s, n, OOB);\n"
    "  RANGE_CHECK(mem->size, d, n, OOB);\n"
    "  wc_load_data(mem, d, src + s, n);\n"
    "}\n"
    "#define WC_TABLE_OPS(type)                                                            \\\n"
    "  WC_HELPER wasm_rt_##type##_t type##_get(const wasm_rt_##type##_table_t *t, u32 i) {    \\\n"
    "    if (UNLIKELY(i >= t->size)) TRAP(OOB_TABLE);                                     \\\n"
    "    return t->data[i];                                                               \\\n"
    "  }                                                                                  \\\n"
    "  WC_HELPER void type##_set(wasm_rt_##type##_table_t *t, u32 i, wasm_rt_##type##_t v) {  \\\n"
    "    if (UNLIKELY(i >= t->size)) TRAP(OOB_TABLE);                                     \\\n"
    "    t->data[i] = v;                                                                  \\\n"
    "  }                                                                                  \\\n"
    "  WC_HELPER void type##_fill(wasm_rt_##type##_table_t *t, u32 d, wasm_rt_##type##_t v, u32 n) { \\\n"
    "    RANGE_CHECK(t->size, d, n, OOB_TABLE);                                           \\\n"
    "    for (u32 i = 0; i < n; i++) t->data[d + i] = v;                                  \\\n"
    "  }                                                                                  \\\n"
    "  WC_HELPER void type##_copy(wasm_rt_##type##_table_t *dt, wasm_rt_##type##_table_t *st, \\\n"
    "                          u32 d, u32 s, u32 n) {                                     \\\n"
    "    RANGE_CHECK(dt->size, d, n, OOB_TABLE);                                          \\\n"
    "    RANGE_CHECK(st->size, s, n, OOB_TABLE);                                          \\\n"
    "    memmove(dt->data + d, st->data + s, (size_t)n * sizeof(wasm_rt_##type##_t));     \\\n"
    "  }\n"
    "WC_TABLE_OPS(funcref)\n"
    "WC_TABLE_OPS(externref)\n"
    /* an element segment's item: ref.null, ref.func or global.get */
    "typedef struct { u32 kind, type, global; wasm_rt_function_ptr_t func, tail; } wc_elem;\n"
    "enum { WC_ELEM_NULL, WC_ELEM_FUNC, WC_ELEM_GLOBAL };\n";
