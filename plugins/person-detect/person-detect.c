/* person-detect.c -- the person-detect plugin: a published model,
 * person_detect.tflite (TensorFlow Lite Micro's person detection example:
 * MobileNet v1, int8), run through WASI-NN on a 96x96 grayscale image.
 *
 * The model takes int8 pixels (scale 2/255, zero point -1: about pixel -
 * 128, as the TFLite Micro example feeds it) and gives two int8 scores
 * (scale 1/256, zero point -128): index 0 "no person", index 1 "person".
 * The server configures it as nn.models.person_detect and grants it with
 * permissions.nn_models; wasmcap.json does not (the model is not part of
 * the repository), tests/test_plugins.c does.
 */
#define WASMCAP_IMPLEMENTATION
#include "wasmcap.h"
#include "wasi_nn.h"

#include <stdlib.h>
#include <string.h>

WASMCAP_MANIFEST_FILE("manifest.json");

#define MODEL_NAME "person_detect"
#define SIDE 96
#define PIXELS (SIDE * SIDE)
#define NO_PERSON 0
#define PERSON 1

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
static const uint32_t put[4][256] = {TABLE(T0), TABLE(T1), TABLE(T2), TABLE(T3)};

static uint32_t group(const unsigned char *c)
{
    return put[0][c[0]] | put[1][c[1]] | put[2][c[2]] | put[3][c[3]];
}

/* Decodes exactly PIXELS bytes of unpadded base64 (the length the
 * manifest asks for) into the model's input; returns 0, or -1 when a
 * character is outside the alphabet.  Each group is stored as a word whose
 * top byte the next group overwrites (the last one's lands in the spare
 * byte after the pixels): one store where three cost three dirty-page
 * marks in the sandbox; four groups a turn, as the loop's own checks cost
 * about what a group does. */
static int decode_image(const char *text, uint8_t input[PIXELS + 1])
{
    const unsigned char *c = (const unsigned char *)text;
    uint32_t bad = 0;
    for (size_t o = 0; o < PIXELS; o += 12, c += 16) {
        uint32_t w0 = group(c), w1 = group(c + 4), w2 = group(c + 8), w3 = group(c + 12);
        bad |= w0 | w1 | w2 | w3;
        memcpy(input + o, &w0, 4);
        memcpy(input + o + 3, &w1, 4);
        memcpy(input + o + 6, &w2, 4);
        memcpy(input + o + 9, &w3, 4);
    }
    return bad & BAD ? -1 : 0;
}

_Static_assert(PIXELS % 12 == 0, "decode_image decodes twelve pixels a turn");

static int classify(const uint8_t *input, int8_t scores[2], const char **step)
{
    uint32_t dims[] = {1, SIDE, SIDE, 1};
    /* int8 model tensors take u8-typed data (the witx has no int8) */
    wasi_nn_tensor in = {dims, 4, WASI_NN_TYPE_U8, (uint8_t *)input, PIXELS};
    return wasi_nn_infer_by_name(MODEL_NAME, sizeof MODEL_NAME - 1, &in, (uint8_t *)scores, 2,
                                 step);
}

static double probability(int8_t score)
{
    return (score + 128) / 256.0;
}

static int detect(const wasmcap_json *args, wasmcap_result *out)
{
    const wasmcap_json *image = wasmcap_json_get(args, "image");
    static uint8_t input[PIXELS + 1]; /* the model's int8 pixels, and decode_image's spare */
    if (!image || image->type != WASMCAP_JSON_STRING || image->len != PIXELS / 3 * 4 ||
        decode_image(image->string, input))
        return wasmcap_error(out, "image must be %d grayscale bytes (%dx%d) in base64, "
                                  "without padding: %d characters",
                             PIXELS, SIDE, SIDE, PIXELS / 3 * 4);
    int8_t scores[2];
    const char *step = "";
    int rc = classify(input, scores, &step);
    if (rc)
        return wasmcap_error(out, "the model '%s' %s (WASI-NN error %d in %s)", MODEL_NAME,
                             wasi_nn_infer_failure(rc, step), rc, step);
    double person = probability(scores[PERSON]), no_person = probability(scores[NO_PERSON]);
    wasmcap_text(out, "person: %.2f", person);
    wasmcap_jw *s = wasmcap_structured(out);
    wasmcap_jw_kv_number(s, "person", person);
    wasmcap_jw_kv_number(s, "no_person", no_person);
    return 0;
}

WASMCAP_TOOLS({"detect", detect});
