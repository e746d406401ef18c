/* blur_kernel.h -- the kernel of examples/blur: a 3x3 Gaussian blur
 * (weights 1 2 1 / 2 4 2 / 1 2 1, rounded, border pixels kept) of an 8-bit
 * grayscale image, its input and its checksum.  With wasm SIMD
 * (-msimd128) the inner loop takes 16 pixels at a time through
 * wasm_simd128.h; otherwise, natively too, it is the scalar loop.  The
 * math is integer and exact: every build gives the same pixels.  Included
 * by examples/blur/blur.c, plugins/image-blur and tests/test_plugins.c. */
#ifndef BLUR_KERNEL_H
#define BLUR_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

/* A pseudo-random image: the same bytes everywhere for a seed. */
static inline void blur_fill(uint8_t *img, size_t n, uint32_t seed)
{
    uint32_t s = seed;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        img[i] = (uint8_t)(s >> 24);
    }
}

static inline uint8_t blur_pixel(const uint8_t *p, size_t w)
{
    unsigned sum = p[-w - 1] + 2u * p[-w] + p[-w + 1] + 2u * p[-1] + 4u * p[0] + 2u * p[1] +
                   p[w - 1] + 2u * p[w] + p[w + 1];
    return (uint8_t)((sum + 8) >> 4);
}

#ifdef __wasm_simd128__
/* a + 2b + c in 16-bit lanes */
static inline v128_t blur_weigh(v128_t a, v128_t b, v128_t c)
{
    return wasm_i16x8_add(wasm_i16x8_add(a, c), wasm_i16x8_shl(b, 1));
}

/* Eight blurred pixels from the 16-bit lanes of the three rows' bytes at
 * x-1, x and x+1 (low or high halves, by `extend`). */
#define BLUR8(extend)                                                                          \
    ({                                                                                         \
        v128_t top = blur_weigh(extend(t0), extend(t1), extend(t2));                                \
        v128_t mid = blur_weigh(extend(m0), extend(m1), extend(m2));                                \
        v128_t bot = blur_weigh(extend(b0), extend(b1), extend(b2));                                \
        v128_t sum = blur_weigh(top, mid, bot);                                                     \
        wasm_u16x8_shr(wasm_i16x8_add(sum, wasm_i16x8_splat(8)), 4);                           \
    })
#endif

static inline void blur_row(const uint8_t *src, uint8_t *dst, size_t w)
{
    dst[0] = src[0];
    dst[w - 1] = src[w - 1];
    size_t x = 1;
#ifdef __wasm_simd128__
    for (; x + 16 <= w - 1; x += 16) {
        const uint8_t *p = src + x;
        v128_t t0 = wasm_v128_load(p - w - 1), t1 = wasm_v128_load(p - w), t2 = wasm_v128_load(p - w + 1);
        v128_t m0 = wasm_v128_load(p - 1), m1 = wasm_v128_load(p), m2 = wasm_v128_load(p + 1);
        v128_t b0 = wasm_v128_load(p + w - 1), b1 = wasm_v128_load(p + w), b2 = wasm_v128_load(p + w + 1);
        v128_t lo = BLUR8(wasm_u16x8_extend_low_u8x16);
        v128_t hi = BLUR8(wasm_u16x8_extend_high_u8x16);
        wasm_v128_store(dst + x, wasm_u8x16_narrow_i16x8(lo, hi));
    }
#endif
    for (; x < w - 1; x++)
        dst[x] = blur_pixel(src + x, w);
}

static inline void blur_image(const uint8_t *src, uint8_t *dst, size_t w, size_t h)
{
    for (size_t x = 0; x < w; x++) {
        dst[x] = src[x];
        dst[(h - 1) * w + x] = src[(h - 1) * w + x];
    }
    for (size_t y = 1; y < h - 1; y++)
        blur_row(src + y * w, dst + y * w, w);
}

/* FNV-1a over the image. */
static inline uint64_t blur_checksum(const uint8_t *img, size_t n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < n; i++)
        h = (h ^ img[i]) * UINT64_C(0x100000001b3);
    return h;
}

#endif
