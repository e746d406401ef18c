/* base64_image.c -- person-detect's two image decoders
 * (plugins/person-detect/base64_image.h) against each other, as a WASI
 * command built with -msimd128 and run by wasmcap on both tiers
 * (base64_image.sh): random images of several sizes must decode to the
 * same bytes -- pixel - 128, each -- and every character outside the
 * alphabet, at every position of a 16-character vector, must be refused by
 * both.  Prints "ok N" and exits 0, or names the first difference and
 * exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64_image.h"

#define MAX_PIXELS (96 * 96)

static uint32_t state = 12345;

static uint32_t next_rand(void)
{
    state = state * 1103515245u + 12345u;
    return state >> 8;
}

static void encode(const uint8_t *pixels, size_t n, char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3, out += 4) {
        uint32_t v = (uint32_t)pixels[i] << 16 | (uint32_t)pixels[i + 1] << 8 | pixels[i + 2];
        for (int k = 0; k < 4; k++)
            out[k] = alphabet[v >> (18 - 6 * k) & 63];
    }
}

static int in_alphabet(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

int main(void)
{
    static uint8_t pixels[MAX_PIXELS], simd[MAX_PIXELS + BASE64_IMAGE_SPARE],
        scalar[MAX_PIXELS + BASE64_IMAGE_SPARE];
    static char text[MAX_PIXELS / 3 * 4 + 16];
    static const size_t sizes[] = {12, 24, 36, 96, 1200, MAX_PIXELS};
    int checks = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        for (int round = 0; round < 40; round++) {
            for (size_t i = 0; i < n; i++) /* every byte value appears in the big ones */
                pixels[i] = round == 0 ? (uint8_t)i : (uint8_t)next_rand();
            encode(pixels, n, text);
            int a = base64_image_simd(text, simd, n), b = base64_image_scalar(text, scalar, n);
            if (a != 0 || b != 0) {
                printf("size %zu round %d: refused a valid image (simd %d, scalar %d)\n", n, round,
                       a, b);
                return 1;
            }
            for (size_t i = 0; i < n; i++)
                if (simd[i] != scalar[i] || simd[i] != (uint8_t)(pixels[i] - 128)) {
                    printf("size %zu round %d: byte %zu simd %u scalar %u, pixel %u\n", n, round,
                           i, simd[i], scalar[i], pixels[i]);
                    return 1;
                }
            checks++;
        }
    }
    /* one bad byte (each of the 192 outside the alphabet, then random ones)
     * at each lane of a vector and at random places */
    size_t n = MAX_PIXELS, chars = n / 3 * 4;
    encode(pixels, n, text);
    for (int c = 0, tried = 0; c < 256 || tried < 400; c = c < 256 ? c + 1 : c, tried++) {
        int bad = c < 256 ? c : (int)(next_rand() & 255);
        if (in_alphabet(bad))
            continue;
        size_t at = tried < 16 ? (size_t)tried : c < 256 ? (size_t)c % 16 + 16 * (next_rand() % (chars / 16))
                                                      : next_rand() % chars;
        char saved = text[at];
        text[at] = (char)bad;
        int a = base64_image_simd(text, simd, n), b = base64_image_scalar(text, scalar, n);
        text[at] = saved;
        if (a != -1 || b != -1) {
            printf("byte %d at %zu: simd %d, scalar %d (both must refuse it)\n", bad, at, a, b);
            return 1;
        }
        checks++;
    }
    printf("ok %d\n", checks);
    return 0;
}
