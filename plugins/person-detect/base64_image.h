/* base64_image.h -- person-detect's image decoder: unpadded base64 straight
 * into the model's int8 pixels (pixel - 128), with a scalar form and a wasm
 * SIMD form (when built with -msimd128) that must give the same bytes and
 * refuse the same texts (tests/simd/base64_image.sh runs both).
 *
 * Both decode exactly `pixels` bytes (a multiple of 12) from pixels / 3 * 4
 * characters and may write BASE64_IMAGE_SPARE bytes after them; each
 * returns 0, or -1 when a character is outside the alphabet.
 */
#ifndef BASE64_IMAGE_H
#define BASE64_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define BASE64_IMAGE_SPARE 2

/* base64's alphabet to its 6-bit values, 0x80 for a byte outside it (the
 * cast: clang warns of the branches a constant c does not take). */
#define B64(c)                                                                   \
    ((unsigned)(unsigned char)((c) >= 'A' && (c) <= 'Z'   ? (c) - 'A'            \
                               : (c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 26       \
                               : (c) >= '0' && (c) <= '9' ? (c) - '0' + 52       \
                               : (c) == '+'               ? 62                   \
                               : (c) == '/'               ? 63                   \
                                                          : 0x80))

/* Four characters are 24 bits, three pixels: bytes 0, 1, 2 of a
 * little-endian word.  Table k holds what character k of four puts in that
 * word -- its six bits where they land, the top bit of each pixel it ends
 * up in flipped (pixel - 128, the model's int8) -- or BAD, so a group is
 * four loads and three ORs, and a bad character shows in bit 31.  The
 * tables are constants: data, not code run in each call's fresh instance
 * (a strchr over the alphabet per character once took longer than the
 * inference, and a per-byte table and its shifts half as long). */
#define BAD 0x80000000u
#define PUT(c, bits) (B64(c) == 0x80 ? BAD : (bits))
#define T0(c) PUT(c, (B64(c) << 2) ^ 0x80u)                                 /* pixel 0, bits 7-2 */
#define T1(c) PUT(c, ((B64(c) >> 4) | (B64(c) & 15) << 12) ^ 0x8000u)       /* 0: 1-0; 1: 7-4 */
#define T2(c) PUT(c, ((B64(c) >> 2) << 8 | (B64(c) & 3) << 22) ^ 0x800000u) /* 1: 3-0; 2: 7-6 */
#define T3(c) PUT(c, B64(c) << 16)                                          /* pixel 2, bits 5-0 */
#define ROW4(T, c) T(c), T((c) + 1), T((c) + 2), T((c) + 3)
#define ROW16(T, c) ROW4(T, c), ROW4(T, (c) + 4), ROW4(T, (c) + 8), ROW4(T, (c) + 12)
#define ROW64(T, c) ROW16(T, c), ROW16(T, (c) + 16), ROW16(T, (c) + 32), ROW16(T, (c) + 48)
#define TABLE(T) {ROW64(T, 0), ROW64(T, 64), ROW64(T, 128), ROW64(T, 192)}
static const uint32_t base64_put[4][256] = {TABLE(T0), TABLE(T1), TABLE(T2), TABLE(T3)};

static uint32_t base64_group(const unsigned char *c)
{
    return base64_put[0][c[0]] | base64_put[1][c[1]] | base64_put[2][c[2]] | base64_put[3][c[3]];
}

/* Each group is stored as a word whose top byte the next group overwrites
 * (the last one's lands in the spare byte): one store where three cost
 * three dirty-page marks in the sandbox; four groups a turn, as the loop's
 * own checks cost about what a group does. */
__attribute__((unused)) static int base64_image_scalar(const char *text, uint8_t *input, size_t pixels)
{
    const unsigned char *c = (const unsigned char *)text;
    uint32_t bad = 0;
    for (size_t o = 0; o < pixels; o += 12, c += 16) {
        uint32_t w0 = base64_group(c), w1 = base64_group(c + 4), w2 = base64_group(c + 8),
                 w3 = base64_group(c + 12);
        bad |= w0 | w1 | w2 | w3;
        memcpy(input + o, &w0, 4);
        memcpy(input + o + 3, &w1, 4);
        memcpy(input + o + 6, &w2, 4);
        memcpy(input + o + 9, &w3, 4);
    }
    return bad & BAD ? -1 : 0;
}

#ifdef __wasm_simd128__
/* Sixteen characters a turn with the vector operations the sandbox's
 * compiler turns into plain SSE2 -- compares, masks, adds, shifts; no
 * swizzle or bitmask, which it runs lane by lane: each character's 6-bit
 * value by the range it is in, pairs of them into 12 bits (16-bit lanes),
 * pairs of those into 24 (32-bit lanes), the 24 bits' three bytes put in
 * pixel order with the int8 flip, two words' bytes side by side (64-bit
 * lanes), and two 8-byte stores. */
static int base64_image_simd(const char *text, uint8_t *input, size_t pixels)
{
    const unsigned char *c = (const unsigned char *)text;
    v128_t bad = wasm_i8x16_splat(0);
    for (size_t o = 0; o < pixels; o += 12, c += 16) {
        v128_t v = wasm_v128_load(c);
        v128_t upper = wasm_u8x16_lt(wasm_i8x16_sub(v, wasm_i8x16_splat('A')), wasm_i8x16_splat(26));
        v128_t lower = wasm_u8x16_lt(wasm_i8x16_sub(v, wasm_i8x16_splat('a')), wasm_i8x16_splat(26));
        v128_t digit = wasm_u8x16_lt(wasm_i8x16_sub(v, wasm_i8x16_splat('0')), wasm_i8x16_splat(10));
        v128_t plus = wasm_i8x16_eq(v, wasm_i8x16_splat('+'));
        v128_t slash = wasm_i8x16_eq(v, wasm_i8x16_splat('/'));
        /* value = character + offset of its range: 'A' -> 0, 'a' -> 26, '0' -> 52, 62, 63 */
        v128_t offset = wasm_v128_or(
            wasm_v128_or(wasm_v128_and(upper, wasm_i8x16_splat(-'A')),
                         wasm_v128_and(lower, wasm_i8x16_splat(26 - 'a'))),
            wasm_v128_or(wasm_v128_and(digit, wasm_i8x16_splat(52 - '0')),
                         wasm_v128_or(wasm_v128_and(plus, wasm_i8x16_splat(62 - '+')),
                                      wasm_v128_and(slash, wasm_i8x16_splat(63 - '/')))));
        v128_t valid = wasm_v128_or(wasm_v128_or(upper, lower),
                                    wasm_v128_or(digit, wasm_v128_or(plus, slash)));
        bad = wasm_v128_or(bad, wasm_v128_not(valid));
        v128_t six = wasm_i8x16_add(v, offset);
        /* 16-bit lanes: character 0 in the low byte, 1 in the high: 0 << 6 | 1 */
        v128_t twelve = wasm_v128_or(wasm_v128_and(wasm_i16x8_shl(six, 6), wasm_i16x8_splat(0x0fc0)),
                                     wasm_u16x8_shr(six, 8));
        /* 32-bit lanes: the first twelve bits above the second */
        v128_t bits = wasm_v128_or(wasm_v128_and(wasm_i32x4_shl(twelve, 12), wasm_i32x4_splat(0xfff000)),
                                   wasm_u32x4_shr(twelve, 16));
        /* bits 23-16 are pixel 0: swap it with pixel 2, and flip each to int8 */
        v128_t word = wasm_v128_or(
            wasm_v128_or(wasm_u32x4_shr(bits, 16), wasm_v128_and(bits, wasm_i32x4_splat(0xff00))),
            wasm_i32x4_shl(wasm_v128_and(bits, wasm_i32x4_splat(0xff)), 16));
        word = wasm_v128_xor(word, wasm_i32x4_splat(0x808080));
        /* 64-bit lanes: two words' six bytes together, stored 8 bytes at a
         * time (the next turn overwrites the two past them): two stores
         * where four cost four pairs of dirty-page marks in the sandbox */
        v128_t six_bytes = wasm_v128_or(wasm_v128_and(word, wasm_i64x2_splat(0xffffff)),
                                        wasm_v128_and(wasm_u64x2_shr(word, 8),
                                                      wasm_i64x2_splat(0xffffff000000)));
        uint64_t lo = (uint64_t)wasm_i64x2_extract_lane(six_bytes, 0),
                 hi = (uint64_t)wasm_i64x2_extract_lane(six_bytes, 1);
        memcpy(input + o, &lo, 8);
        memcpy(input + o + 6, &hi, 8);
    }
    return wasm_v128_any_true(bad) ? -1 : 0;
}
#define base64_image base64_image_simd
#else
#define base64_image base64_image_scalar
#endif

#endif
