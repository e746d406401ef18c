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

/* A table made once per instance, not a search of the alphabet per
 * character: a strchr for each of the image's 12,288 characters took
 * longer than the inference. */
static int base64_value(char c)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static signed char value[256];
    static int ready;
    if (!ready) {
        memset(value, -1, sizeof value);
        for (int i = 0; i < 64; i++)
            value[(unsigned char)alphabet[i]] = (signed char)i;
        ready = 1;
    }
    return value[(unsigned char)c];
}

/* Decodes exactly PIXELS bytes of unpadded base64 (the length the
 * manifest asks for); returns 0, or -1 on a character outside the
 * alphabet. */
static int decode_image(const char *text, uint8_t *pixels)
{
    for (size_t i = 0, o = 0; o < PIXELS; i += 4, o += 3) {
        int v[4];
        for (int k = 0; k < 4; k++)
            if ((v[k] = base64_value(text[i + k])) < 0)
                return -1;
        uint32_t bits = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
                        (uint32_t)v[3];
        pixels[o] = (uint8_t)(bits >> 16);
        pixels[o + 1] = (uint8_t)(bits >> 8);
        pixels[o + 2] = (uint8_t)bits;
    }
    return 0;
}

static int classify(const uint8_t *pixels, int8_t scores[2], const char **step)
{
    static uint8_t input[PIXELS];
    for (size_t i = 0; i < PIXELS; i++)
        input[i] = (uint8_t)(int8_t)(pixels[i] - 128);
    uint32_t dims[] = {1, SIDE, SIDE, 1};
    /* int8 model tensors take u8-typed data (the witx has no int8) */
    wasi_nn_tensor in = {dims, 4, WASI_NN_TYPE_U8, input, sizeof input};
    return wasi_nn_infer_by_name(MODEL_NAME, sizeof MODEL_NAME - 1, &in, (uint8_t *)scores, 2,
                                 step);
}

static double probability(int8_t score)
{
    return (score + 128) / 256.0;
}

static int detect(const wasmcap_json *args, wasmcap_result *out)
{
    const char *image = wasmcap_json_string(wasmcap_json_get(args, "image"), "");
    static uint8_t pixels[PIXELS];
    if (strlen(image) != PIXELS / 3 * 4 || decode_image(image, pixels))
        return wasmcap_error(out, "image must be %d grayscale bytes (%dx%d) in base64, "
                                  "without padding: %d characters",
                             PIXELS, SIDE, SIDE, PIXELS / 3 * 4);
    int8_t scores[2];
    const char *step = "";
    int rc = classify(pixels, scores, &step);
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
