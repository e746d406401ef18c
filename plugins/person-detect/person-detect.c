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

#include "base64_image.h"

#include <stdlib.h>
#include <string.h>

WASMCAP_MANIFEST_FILE("manifest.json");

#define MODEL_NAME "person_detect"
#define SIDE 96
#define PIXELS (SIDE * SIDE)
#define NO_PERSON 0
#define PERSON 1

_Static_assert(PIXELS % 12 == 0, "base64_image decodes twelve pixels a turn");

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
    static uint8_t input[PIXELS + BASE64_IMAGE_SPARE]; /* the model's int8 pixels, and spare */
    if (!image || image->type != WASMCAP_JSON_STRING || image->len != PIXELS / 3 * 4 ||
        base64_image(image->string, input, PIXELS))
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
