/* blur -- a SIMD image kernel: a 3x3 Gaussian blur (weights 1 2 1 / 2 4 2 /
 * 1 2 1, rounded, border pixels kept) of a 1024x1024 grayscale image,
 * repeated, then a checksum of the result.
 *
 * Built three ways from this one file: for wasm32 with -msimd128 (the
 * inner loop with wasm_simd128.h, 16 pixels at a time), for wasm32 without
 * (the scalar loop), and natively (cc -O2: the scalar loop).  The math is
 * integer and exact, so all three print the same checksum.
 *
 *   blur [PASSES] [SEED]    (defaults 16 and 1)
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "blur_kernel.h"

#define WIDTH 1024
#define HEIGHT 1024

int main(int argc, char **argv)
{
    unsigned long passes = argc > 1 ? strtoul(argv[1], NULL, 10) : 16;
    uint32_t seed = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 1;
    if (passes > 100000)
        passes = 100000;
    size_t n = (size_t)WIDTH * HEIGHT;
    uint8_t *a = malloc(n), *b = malloc(n);
    if (!a || !b) {
        fprintf(stderr, "blur: out of memory\n");
        return 1;
    }
    blur_fill(a, n, seed);
    for (unsigned long i = 0; i < passes; i++) {
        blur_image(a, b, WIDTH, HEIGHT);
        uint8_t *t = a;
        a = b;
        b = t;
    }
    printf("blur %dx%d, %lu passes, seed %" PRIu32 ": %016" PRIx64 "\n", WIDTH, HEIGHT, passes, seed,
           blur_checksum(a, n));
    free(a);
    free(b);
    return 0;
}
