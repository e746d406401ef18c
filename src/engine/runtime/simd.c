/* simd.c -- the SIMD helpers libtcc's units call (libtcc has no vector
 * types): wasm-simd.h compiled over wasm-rt.h's wc_rt_v128, one exported
 * function wc_rt_simd_<name> per instruction, and their table for
 * code.c, which gives them to libtcc by name. */
#include <math.h>
#include <stdint.h>

#include "engine/runtime/runtime.h"
#include "engine/runtime/simd.h"

#define WC_SIMD_RUNTIME
#include "engine/runtime/wasm-simd.h"

const wc_rt_simd_symbol wc_rt_simd_symbols[] = {
#define WC_SIMD_OP(code, name, ...) {"wc_rt_simd_" #name, (const void *)wc_rt_simd_##name},
#include "engine/runtime/simd_ops.def"
#undef WC_SIMD_OP
    {"wc_rt_simd_v128_load8x8_s", (const void *)wc_rt_simd_v128_load8x8_s},
    {"wc_rt_simd_v128_load8x8_u", (const void *)wc_rt_simd_v128_load8x8_u},
    {"wc_rt_simd_v128_load16x4_s", (const void *)wc_rt_simd_v128_load16x4_s},
    {"wc_rt_simd_v128_load16x4_u", (const void *)wc_rt_simd_v128_load16x4_u},
    {"wc_rt_simd_v128_load32x2_s", (const void *)wc_rt_simd_v128_load32x2_s},
    {"wc_rt_simd_v128_load32x2_u", (const void *)wc_rt_simd_v128_load32x2_u},
    {"wc_rt_simd_v128_load32_zero", (const void *)wc_rt_simd_v128_load32_zero},
    {"wc_rt_simd_v128_load64_zero", (const void *)wc_rt_simd_v128_load64_zero},
};

const size_t wc_rt_simd_nsymbols = sizeof wc_rt_simd_symbols / sizeof wc_rt_simd_symbols[0];
