/* image-blur.c -- the image-blur plugin: `blur` runs examples/blur's SIMD
 * kernel (built with -msimd128: wasm SIMD through wasm_simd128.h) on a
 * pseudo-random 256x256 grayscale image and answers the checksum of the
 * result, which a native build of the same kernel reproduces
 * (tests/test_plugins.c). */
#define WASMCAP_IMPLEMENTATION
#include "wasmcap.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "blur_kernel.h"

WASMCAP_MANIFEST_FILE("manifest.json");

#define SIDE 256

static int blur(const wasmcap_json *args, wasmcap_result *out)
{
    double passes = wasmcap_json_number(wasmcap_json_get(args, "passes"), NAN);
    double seed = wasmcap_json_number(wasmcap_json_get(args, "seed"), 1);
    if (!(passes >= 1 && passes <= 64) || passes != floor(passes))
        return wasmcap_error(out, "passes must be a whole number from 1 to 64");
    if (!(seed >= 0 && seed <= 4294967295.0) || seed != floor(seed))
        return wasmcap_error(out, "seed must be a whole number from 0 to 4294967295");
    static uint8_t a[SIDE * SIDE], b[SIDE * SIDE];
    blur_fill(a, sizeof a, (uint32_t)seed);
    uint8_t *src = a, *dst = b;
    for (int i = 0; i < (int)passes; i++) {
        blur_image(src, dst, SIDE, SIDE);
        uint8_t *t = src;
        src = dst;
        dst = t;
    }
    wasmcap_text(out, "blur %dx%d, %d passes, seed %" PRIu32 ": %016" PRIx64, SIDE, SIDE, (int)passes,
                 (uint32_t)seed, blur_checksum(src, sizeof a));
    return 0;
}

WASMCAP_TOOLS({"blur", blur});
