/* simd.h -- the engine's side of the SIMD helpers (runtime/simd.c): their
 * names and addresses, which code.c gives to libtcc. */
#ifndef WC_ENGINE_RUNTIME_SIMD_H
#define WC_ENGINE_RUNTIME_SIMD_H

#include <stddef.h>

typedef struct wc_rt_simd_symbol {
    const char *name;
    const void *addr;
} wc_rt_simd_symbol;

extern const wc_rt_simd_symbol wc_rt_simd_symbols[];
extern const size_t wc_rt_simd_nsymbols;

#endif
