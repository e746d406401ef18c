/* test_nn.c -- the nn backend interface (src/nn/backend.h) on XNNPACK: the
 * shared models against the reference interpreter (tests/nn_reference.h;
 * f32 within 1e-4 relative or 1e-5 absolute, quantized at most one unit
 * off), hello_world against sin(x), one graph shared by contexts on two
 * threads, and every misuse the interface must refuse with a clear error
 * (run under ASan and UBSan too); then the sharing of a graph's runtimes
 * (a thousand contexts, one copy of the weights; the bound, and a compute
 * that finds every runtime busy) and a compute's deadline and cancellation
 * (tests/nn_slow_model.h: stopped between steps). */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nn/backend.h"
#include "nn/tflite.h"
#include "util/cancel_token.h"
#include "nn_reference.h"
#include "tflite_builder.h" /* before nn_slow_model.h: its writer's capacity */
#include "nn_slow_model.h"
#include "util/clock.h"
#include "util/fs.h"

#define MODELS WC_SOURCE_DIR "/../shared/models/"

static uint8_t *read_model(const char *name, size_t *size)
{
    char path[512];
    uint8_t *bytes = NULL;
    snprintf(path, sizeof path, MODELS "%s", name);
    int rc = wc_read_file(path, 0, &bytes, size);
    CHECK(rc == 0, "%s: %s", path, strerror(-rc));
    return rc == 0 ? bytes : NULL;
}


/* Random bytes for a tensor: quantized values anywhere in their range,
 * floats in [-3, 3]. */
static void fill_random(const wc_tflite_tensor *t, uint8_t *bytes, size_t size)
{
    if (t->type != WC_TFLITE_FLOAT32) {
        for (size_t i = 0; i < size; i++)
            bytes[i] = (uint8_t)nnref_random();
        return;
    }
    for (size_t i = 0; i + 4 <= size; i += 4) {
        float f = (float)(nnref_random() % 60001) / 10000.0f - 3.0f;
        memcpy(bytes + i, &f, 4);
    }
}

/* Compares the backend's output with the reference's. */
static void compare(const char *name, const wc_tflite_tensor *t, const uint8_t *got,
                    const uint8_t *want, size_t size)
{
    int bad = 0;
    if (t->type == WC_TFLITE_FLOAT32) {
        for (size_t i = 0; i + 4 <= size && bad < 3; i += 4) {
            float g, w;
            memcpy(&g, got + i, 4);
            memcpy(&w, want + i, 4);
            if (fabsf(g - w) > 1e-5f && fabsf(g - w) > 1e-4f * fabsf(w)) {
                CHECK(0, "%s: element %zu is %g, the reference says %g", name, i / 4, g, w);
                bad++;
            }
        }
        return;
    }
    for (size_t i = 0; i < size && bad < 3; i++) {
        int g = t->type == WC_TFLITE_INT8 ? (int8_t)got[i] : got[i];
        int w = t->type == WC_TFLITE_INT8 ? (int8_t)want[i] : want[i];
        if (abs(g - w) > 1) {
            CHECK(0, "%s: element %zu is %d, the reference says %d", name, i, g, w);
            bad++;
        }
    }
}

/* Runs a loaded model and the reference on the same random inputs, a few
 * times, with one context. */
static void against_reference(const char *name, const uint8_t *bytes, size_t size, int rounds)
{
    wc_tflite_model *m;
    wc_error why;
    if (wc_tflite_read(bytes, size, &m, &why) < 0) {
        CHECK(0, "%s: %s", name, why.msg);
        return;
    }
    wc_error err = {0};
    wc_nn_graph *g;
    int rc = wc_nn_graph_load(bytes, size, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU, &g,
                              &err);
    CHECK(rc == 0, "%s: load: %s", name, wc_error_message(&err));
    if (rc) {
        wc_tflite_free(m);
        return;
    }
    CHECK(strcmp(wc_nn_graph_backend(g), "xnnpack") == 0, "%s: backend %s", name,
          wc_nn_graph_backend(g));
    wc_nn_context *c;
    rc = wc_nn_context_new(g, &c, &err);
    CHECK(rc == 0, "%s: context: %s", name, wc_error_message(&err));
    for (int round = 0; rc == 0 && round < rounds; round++) {
        uint8_t *in[4] = {0}, *want[4] = {0}, *got[4] = {0};
        for (uint32_t i = 0; i < m->ninputs && i < 4; i++) {
            const wc_nn_tensor_info *info = wc_nn_graph_input(g, i);
            in[i] = malloc(info->size);
            fill_random(&m->tensors[m->inputs[i]], in[i], info->size);
            CHECK(wc_nn_set_input(c, i, info->type, info->dims, info->rank, in[i], info->size,
                                  &err) == 0,
                  "%s: set_input %u: %s", name, i, wc_error_message(&err));
        }
        for (uint32_t i = 0; i < m->noutputs && i < 4; i++) {
            want[i] = calloc(1, wc_nn_graph_output(g, i)->size);
            got[i] = calloc(1, wc_nn_graph_output(g, i)->size);
        }
        CHECK(wc_nn_compute(c, &err) == 0, "%s: compute: %s", name, wc_error_message(&err));
        CHECK(nnref_run(m, (const uint8_t *const *)in, want) == 0, "%s: reference", name);
        for (uint32_t i = 0; i < m->noutputs && i < 4; i++) {
            size_t need = 0, n = wc_nn_graph_output(g, i)->size;
            CHECK(wc_nn_get_output(c, i, got[i], n, &need, &err) == 0 && need == n,
                  "%s: get_output: %s", name, wc_error_message(&err));
            compare(name, &m->tensors[m->outputs[i]], got[i], want[i], n);
        }
        for (int i = 0; i < 4; i++) {
            free(in[i]);
            free(want[i]);
            free(got[i]);
        }
    }
    wc_nn_context_free(c);
    wc_nn_graph_free(g);
    wc_tflite_free(m);
}

static void test_shared_models(void)
{
    static const char *const names[] = {"hello_world_float.tflite", "hello_world_int8.tflite",
                                        "simple_add_model.tflite", "person_detect.tflite"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        size_t size;
        uint8_t *bytes = read_model(names[i], &size);
        if (bytes)
            against_reference(names[i], bytes, size, 5);
        free(bytes);
    }
}

/* hello_world approximates sin(x) on [0, 2 pi]. */
static float hello_world(wc_nn_context *c, const wc_nn_graph *g, float x, int int8)
{
    wc_error err = {0};
    const wc_nn_tensor_info *in = wc_nn_graph_input(g, 0);
    float y = NAN;
    if (!int8) {
        CHECK(wc_nn_set_input(c, 0, WC_NN_F32, in->dims, in->rank, &x, 4, &err) == 0, "%s",
              wc_error_message(&err));
        CHECK(wc_nn_compute(c, &err) == 0, "%s", wc_error_message(&err));
        CHECK(wc_nn_get_output(c, 0, &y, sizeof y, NULL, &err) == 0, "%s", wc_error_message(&err));
        return y;
    }
    /* the model's quantization (test_tflite.c checks it) */
    int8_t q = (int8_t)lrintf(x / 0.0244801f - 128), out = 0;
    CHECK(wc_nn_set_input(c, 0, WC_NN_U8, in->dims, in->rank, &q, 1, &err) == 0, "%s",
          wc_error_message(&err));
    CHECK(wc_nn_compute(c, &err) == 0, "%s", wc_error_message(&err));
    CHECK(wc_nn_get_output(c, 0, &out, 1, NULL, &err) == 0, "%s", wc_error_message(&err));
    return 0.00829096f * (float)(out - 5);
}

static void test_hello_world_follows_sin(void)
{
    static const char *const names[] = {"hello_world_float.tflite", "hello_world_int8.tflite"};
    for (int k = 0; k < 2; k++) {
        size_t size;
        uint8_t *bytes = read_model(names[k], &size);
        wc_nn_graph *g;
        wc_nn_context *c;
        wc_error err = {0};
        if (!bytes)
            continue;
        int rc = wc_nn_graph_load(bytes, size, WC_NN_ENCODING_AUTODETECT, WC_NN_TARGET_CPU, &g,
                                  &err);
        free(bytes);
        CHECK(rc == 0, "%s: %s", names[k], wc_error_message(&err));
        if (rc)
            continue;
        CHECK(wc_nn_context_new(g, &c, &err) == 0, "%s", wc_error_message(&err));
        for (float x = 0.25f; x < 6.2f; x += 0.75f) {
            float y = hello_world(c, g, x, k);
            CHECK(fabsf(y - sinf(x)) < 0.1f, "%s: f(%g) = %g, sin = %g", names[k], x, y, sinf(x));
        }
        wc_nn_context_free(c);
        wc_nn_graph_free(g);
    }
}

/* ---- one graph, contexts on two threads -------------------------------- */

typedef struct worker {
    wc_nn_graph *graph;
    const uint8_t *input;
    uint8_t output[2];
    int ok;
} worker;

static void *run_worker(void *arg)
{
    worker *w = arg;
    wc_error err = {0};
    wc_nn_context *c;
    const wc_nn_tensor_info *in = wc_nn_graph_input(w->graph, 0);
    if (wc_nn_context_new(w->graph, &c, &err))
        return NULL;
    w->ok = 1;
    for (int i = 0; i < 20; i++) {
        uint8_t out[2];
        w->ok &= wc_nn_set_input(c, 0, WC_NN_U8, in->dims, in->rank, w->input, in->size, &err) ==
                     0 &&
                 wc_nn_compute(c, &err) == 0 &&
                 wc_nn_get_output(c, 0, out, sizeof out, NULL, &err) == 0;
        w->ok &= i == 0 || memcmp(out, w->output, 2) == 0;
        memcpy(w->output, out, 2);
    }
    wc_nn_context_free(c);
    return NULL;
}

static void test_threads_share_a_graph(void)
{
    size_t size;
    uint8_t *bytes = read_model("person_detect.tflite", &size);
    wc_nn_graph *g;
    wc_error err = {0};
    if (!bytes || wc_nn_graph_load(bytes, size, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU,
                                   &g, &err)) {
        CHECK(0, "person_detect: %s", wc_error_message(&err));
        free(bytes);
        return;
    }
    free(bytes);
    uint8_t *image[2];
    worker w[4];
    pthread_t t[4];
    for (int i = 0; i < 2; i++) {
        image[i] = malloc(96 * 96);
        for (int p = 0; p < 96 * 96; p++)
            image[i][p] = (uint8_t)nnref_random();
    }
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){.graph = g, .input = image[i % 2]};
        pthread_create(&t[i], NULL, run_worker, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK(w[i].ok, "worker %d failed", i);
    }
    CHECK(memcmp(w[0].output, w[2].output, 2) == 0 && memcmp(w[1].output, w[3].output, 2) == 0,
          "threads on the same image disagree");
    wc_nn_graph_free(g);
    free(image[0]);
    free(image[1]);
}

/* ---- misuse ------------------------------------------------------------- */

static void test_encodings(void)
{
    size_t size;
    uint8_t *bytes = read_model("hello_world_float.tflite", &size);
    wc_nn_graph *g = (wc_nn_graph *)1;
    wc_error err = {0};
    if (!bytes)
        return;
    for (int e = WC_NN_ENCODING_OPENVINO; e <= WC_NN_ENCODING_GGML; e++) {
        if (e == WC_NN_ENCODING_TENSORFLOWLITE)
            continue;
        CHECK(wc_nn_graph_load(bytes, size, (wc_nn_encoding)e, WC_NN_TARGET_CPU, &g, &err) ==
                      WC_ENOTSUP &&
                  !g && strstr(err.msg, "no backend"),
              "encoding %d: %d %s", e, err.code, err.msg);
    }
    CHECK(wc_nn_graph_load(bytes, size, (wc_nn_encoding)99, WC_NN_TARGET_CPU, &g, &err) ==
              WC_ENOTSUP,
          "encoding 99");
    CHECK(wc_nn_graph_load((const uint8_t *)"not a model", 11, WC_NN_ENCODING_AUTODETECT,
                           WC_NN_TARGET_CPU, &g, &err) == WC_ENOTSUP,
          "autodetect on garbage: %s", err.msg);
    CHECK(wc_nn_graph_load(bytes, size, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_GPU, &g,
                           &err) == WC_ENOTSUP,
          "gpu target: %s", err.msg);
    CHECK(wc_nn_graph_load(bytes, size / 2, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU, &g,
                           &err) == WC_EMALFORMED &&
              strstr(err.msg, "offset"),
          "truncated: %d %s", err.code, err.msg);
    CHECK(wc_nn_graph_load(bytes, 0, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU, &g, &err) ==
              WC_EMALFORMED,
          "empty: %d %s", err.code, err.msg);
    CHECK(wc_nn_graph_load(NULL, 0, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU, &g, &err) ==
              WC_EMALFORMED,
          "no bytes: %d %s", err.code, err.msg);
    CHECK(wc_nn_graph_load(NULL, 0, WC_NN_ENCODING_AUTODETECT, WC_NN_TARGET_CPU, &g, &err) ==
              WC_ENOTSUP,
          "no bytes, autodetect: %d %s", err.code, err.msg);
    free(bytes);
}

static void test_misuse(void)
{
    size_t size;
    uint8_t *bytes = read_model("simple_add_model.tflite", &size);
    wc_nn_graph *g;
    wc_nn_context *c;
    wc_error err = {0};
    if (!bytes)
        return;
    int rc = wc_nn_graph_load(bytes, size, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU, &g,
                              &err);
    free(bytes);
    CHECK(rc == 0, "%s", wc_error_message(&err));
    if (rc)
        return;
    CHECK(wc_nn_graph_input_count(g) == 2 && wc_nn_graph_output_count(g) == 1, "counts");
    const wc_nn_tensor_info *in = wc_nn_graph_input(g, 0);
    CHECK(in->type == WC_NN_U8 && in->is_int8 && in->rank == 4 && in->size == 128 * 128,
          "input 0 described as %d %d %u %zu", in->type, in->is_int8, in->rank, in->size);
    CHECK(!wc_nn_graph_input(g, 2) && !wc_nn_graph_output(g, 1), "out-of-range descriptions");
    CHECK(wc_nn_context_new(g, &c, &err) == 0, "%s", wc_error_message(&err));
    static uint8_t data[128 * 128 + 1];
    uint32_t dims[4] = {1, 128, 128, 1}, wrong[4] = {1, 128, 1, 128};
    uint8_t out[128 * 128];
    size_t need = 0;

    CHECK(wc_nn_get_output(c, 0, out, sizeof out, &need, &err) == WC_EINVAL && need == sizeof out,
          "get_output before compute: %s", err.msg);
    CHECK(wc_nn_compute(c, &err) == WC_EINVAL && strstr(err.msg, "input 0"),
          "compute before set_input: %s", err.msg);
    CHECK(wc_nn_set_input(c, 2, WC_NN_U8, dims, 4, data, 128 * 128, &err) == WC_EINVAL &&
              strstr(err.msg, "no input 2"),
          "input index: %s", err.msg);
    /* an int8 tensor takes u8 data of the same size, and nothing else
     * (not even data of the same size) */
    CHECK(wc_nn_set_input(c, 0, WC_NN_F32, dims, 4, data, 128 * 128, &err) == WC_EINVAL &&
              strstr(err.msg, "input 0 is u8 (int8 data), not f32"),
          "type: %s", err.msg);
    CHECK(wc_nn_set_input(c, 0, WC_NN_I32, dims, 4, data, 128 * 128, &err) == WC_EINVAL &&
              strstr(err.msg, "input 0 is u8 (int8 data), not i32"),
          "type i32: %s", err.msg);
    CHECK(wc_nn_set_input(c, 0, (wc_nn_type)77, dims, 4, data, 128 * 128, &err) == WC_EINVAL &&
              strstr(err.msg, "not unknown"),
          "type 77: %s", err.msg);
    CHECK(wc_nn_set_input(c, 0, WC_NN_U8, wrong, 4, data, 128 * 128, &err) == WC_EINVAL &&
              strstr(err.msg, "[1x128x128x1], not [1x128x1x128]"),
          "dims: %s", err.msg);
    CHECK(wc_nn_set_input(c, 0, WC_NN_U8, dims, 3, data, 128 * 128, &err) == WC_EINVAL, "rank: %s",
          err.msg);
    CHECK(wc_nn_set_input(c, 0, WC_NN_U8, dims, 4, data, 128 * 128 + 1, &err) == WC_EINVAL &&
              strstr(err.msg, "16384 bytes, not 16385"),
          "size: %s", err.msg);
    CHECK(wc_nn_set_input(c, 0, WC_NN_U8, dims, 4, data, 128 * 128 - 1, &err) == WC_EINVAL &&
              strstr(err.msg, "16384 bytes, not 16383"),
          "short data: %s", err.msg);
    CHECK(wc_nn_set_input(c, 0, WC_NN_U8, dims, 4, data, 128 * 128, &err) == 0, "%s", err.msg);
    CHECK(wc_nn_compute(c, &err) == WC_EINVAL && strstr(err.msg, "input 1"),
          "compute with input 1 unset: %s", err.msg);
    CHECK(wc_nn_set_input(c, 1, WC_NN_U8, dims, 4, data, 128 * 128, &err) == 0, "%s", err.msg);
    CHECK(wc_nn_compute(c, &err) == 0, "%s", err.msg);
    CHECK(wc_nn_get_output(c, 1, out, sizeof out, &need, &err) == WC_EINVAL, "output index");
    need = 0;
    CHECK(wc_nn_get_output(c, 0, out, 100, &need, &err) == WC_ETOOBIG && need == 128 * 128 &&
              strstr(err.msg, "needs 16384 bytes"),
          "small buffer: %s", err.msg);
    CHECK(wc_nn_get_output(c, 0, out, sizeof out, &need, &err) == 0, "%s", err.msg);
    wc_nn_context_free(c);
    wc_nn_graph_free(g);
}

/* ---- damaged models through the whole backend ------------------------- */

/* Loads a damaged copy on the XNNPACK path and, when it is accepted, runs
 * it: every model the reader and builder let through must run without a
 * fault (the shape checks are what keep XNNPACK inside its buffers).
 * test_nn_armnn.c sends damaged copies through the choice of backend. */
static void load_and_run(const uint8_t *bytes, size_t size, int *loaded)
{
    wc_error err = {0};
    wc_nn_graph *g;
    int rc = wc_nn_graph_load_on(bytes, size, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU,
                                 WC_NN_BACKEND_XNNPACK, &g, &err);
    if (rc) {
        CHECK(rc == WC_EMALFORMED || rc == WC_EBADMODULE || rc == WC_ENOMEM,
              "damaged model: code %d: %s", rc, err.msg);
        CHECK(err.msg[0], "damaged model refused without a message");
        return;
    }
    ++*loaded;
    wc_nn_context *c;
    if (wc_nn_context_new(g, &c, &err) == 0) {
        for (uint32_t i = 0; i < wc_nn_graph_input_count(g); i++) {
            const wc_nn_tensor_info *t = wc_nn_graph_input(g, i);
            uint8_t *zero = calloc(1, t->size + 1);
            wc_nn_set_input(c, i, t->type, t->dims, t->rank, zero, t->size, &err);
            free(zero);
        }
        if (wc_nn_compute(c, &err) == 0)
            for (uint32_t i = 0; i < wc_nn_graph_output_count(g); i++) {
                size_t need = wc_nn_graph_output(g, i)->size;
                uint8_t *out = malloc(need + 1);
                CHECK(wc_nn_get_output(c, i, out, need, NULL, &err) == 0, "%s", err.msg);
                free(out);
            }
        wc_nn_context_free(c);
    }
    wc_nn_graph_free(g);
}

static void test_damaged_models(void)
{
    static const struct {
        const char *name;
        size_t stride; /* every stride-th 4-byte field */
    } models[] = {{"hello_world_int8.tflite", 4},
                  {"hello_world_float.tflite", 4},
                  {"simple_add_model.tflite", 4},
                  {"person_detect.tflite", 4 * 211}};
    static const uint32_t hostile[] = {0xffffffffu, 0x7fffffffu, 0x00000001u, 0x00010000u};
    for (size_t k = 0; k < sizeof models / sizeof *models; k++) {
        size_t size;
        uint8_t *bytes = read_model(models[k].name, &size);
        int loaded = 0, tried = 0;
        if (!bytes)
            continue;
        uint8_t *copy = malloc(size);
        for (size_t at = 0; at + 4 <= size; at += models[k].stride)
            for (size_t v = 0; v < sizeof hostile / sizeof *hostile; v++) {
                memcpy(copy, bytes, size);
                memcpy(copy + at, &hostile[v], 4);
                load_and_run(copy, size, &loaded);
                tried++;
            }
        printf("%s: %d damaged copies, %d loaded and ran\n", models[k].name, tried, loaded);
        free(copy);
        free(bytes);
    }
}

/* ---- an own kernel through the interface ------------------------------- */

/* tflite_builder.h's model turned into y = tanh(x): the plan runs it as
 * the project's kernel, on the context's buffers. */
static void test_own_kernel(void)
{
    static tfb b;
    tfb_parts p;
    tfb_model(&b, &p);
    tfb_set(&b, p.opcode, 0, WC_TFLITE_OP_TANH);
    tfb_set(&b, p.opcode, 3, WC_TFLITE_OP_TANH);
    tfb_set(&b, p.op, 3, 0); /* no options */
    CHECK(tfb_get_u32(&b, p.shape[2] + 8) == 3, "the built model's y is not [1, 3]");
    tfb_set_u32(&b, p.shape[2] + 8, 2); /* y: [1, 2] */
    tfb_set(&b, p.tensor[2], 1, WC_TFLITE_FLOAT32);
    wc_error err = {0};
    wc_nn_graph *g;
    wc_nn_context *c[2];
    int rc = wc_nn_graph_load(b.b, b.n, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU, &g, &err);
    CHECK(rc == 0, "tanh model: %s", wc_error_message(&err));
    if (rc)
        return;
    float x[2][2] = {{0.5f, -1.25f}, {2.0f, 0.0f}}, y[2] = {0};
    for (int i = 0; i < 2; i++) {
        CHECK(wc_nn_context_new(g, &c[i], &err) == 0, "%s", err.msg);
        CHECK(wc_nn_set_input(c[i], 0, WC_NN_F32, (const uint32_t[]){1, 2}, 2, x[i], sizeof x[i],
                              &err) == 0,
              "%s", err.msg);
    }
    for (int i = 0; i < 2; i++) {
        CHECK(wc_nn_compute(c[i], &err) == 0, "%s", err.msg);
        CHECK(wc_nn_get_output(c[i], 0, y, sizeof y, NULL, &err) == 0, "%s", err.msg);
        for (int k = 0; k < 2; k++)
            CHECK(fabsf(y[k] - tanhf(x[i][k])) < 1e-6f, "tanh(%g) = %g", x[i][k], y[k]);
        wc_nn_context_free(c[i]);
    }
    wc_nn_graph_free(g);
}

/* Huge dimensions in a file: over the reader's 2 GiB a tensor is refused
 * as malformed; under it, the shape check refuses the operator before
 * anything of that size is allocated. */
static void test_huge_dims(void)
{
    static tfb b;
    tfb_parts p;
    wc_error err = {0};
    wc_nn_graph *g = NULL;
    tfb_model(&b, &p);
    tfb_set_u32(&b, p.shape[0] + 8, 1u << 30); /* x: [1, 2^30] f32, 4 GiB */
    CHECK(wc_nn_graph_load(b.b, b.n, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU, &g, &err) ==
                  WC_EMALFORMED &&
              !g,
          "4 GiB input: %d %s", err.code, err.msg);
    tfb_model(&b, &p);
    tfb_set_u32(&b, p.shape[0] + 8, 1u << 28); /* x: [1, 2^28] f32, 1 GiB */
    CHECK(wc_nn_graph_load(b.b, b.n, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU, &g, &err) ==
                  WC_EBADMODULE &&
              strstr(err.msg, "operator 0 (FULLY_CONNECTED)") && !g,
          "1 GiB input: %d %s", err.code, err.msg);
}

/* ---- sharing: contexts borrow the graph's runtimes ---------------------- */

static wc_nn_graph *load_model(const char *name)
{
    size_t size;
    uint8_t *bytes = read_model(name, &size);
    wc_nn_graph *g = NULL;
    wc_error err = {0};
    if (bytes && wc_nn_graph_load(bytes, size, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU, &g,
                                  &err))
        CHECK(0, "%s: %s", name, wc_error_message(&err));
    free(bytes);
    return g;
}

static int set_inputs(wc_nn_context *c, const wc_nn_graph *g, wc_error *err)
{
    for (uint32_t i = 0; i < wc_nn_graph_input_count(g); i++) {
        const wc_nn_tensor_info *t = wc_nn_graph_input(g, i);
        uint8_t *data = calloc(1, t->size + 1);
        for (size_t k = 0; k < t->size; k++)
            data[k] = (uint8_t)(k * 7);
        int rc = wc_nn_set_input(c, i, t->type, t->dims, t->rank, data, t->size, err);
        free(data);
        if (rc)
            return rc;
    }
    return 0;
}

/* A thousand contexts alive at once, each computed: they hold their inputs
 * and outputs, and the weights stay packed once (one runtime, as they ran
 * on one thread); each context goes with its free. */
static void test_contexts_share_runtimes(void)
{
    enum { N = 1000 };
    wc_nn_graph *g = load_model("person_detect.tflite");
    if (!g)
        return;
    static wc_nn_context *c[N];
    wc_error err = {0};
    wc_nn_graph_stats st;
    int ok = 0;
    uint8_t first[2] = {0}, out[2];
    for (int i = 0; i < N; i++) {
        if (wc_nn_context_new(g, &c[i], &err) || set_inputs(c[i], g, &err) ||
            wc_nn_compute(c[i], &err) || wc_nn_get_output(c[i], 0, out, 2, NULL, &err)) {
            CHECK(0, "context %d: %s", i, err.msg);
            break;
        }
        if (i == 0)
            memcpy(first, out, 2);
        ok += memcmp(first, out, 2) == 0;
    }
    CHECK(ok == N, "%d of %d contexts gave the same answer", ok, N);
    wc_nn_graph_stats_get(g, &st);
    CHECK(st.contexts == N && st.runtimes == 1 && st.computes == N && st.waits == 0,
          "%u contexts, %u runtimes, %llu computes, %llu waits", st.contexts, st.runtimes,
          (unsigned long long)st.computes, (unsigned long long)st.waits);
    CHECK(st.max_runtimes >= 1, "max_runtimes %u", st.max_runtimes);
    for (int i = 0; i < N; i++)
        wc_nn_context_free(c[i]);
    wc_nn_graph_stats_get(g, &st);
    CHECK(st.contexts == 0 && st.runtimes == 1, "after the frees: %u contexts, %u runtimes",
          st.contexts, st.runtimes);

    /* the bound is clamped; lowering it frees idle runtimes over it */
    wc_nn_graph_set_max_runtimes(g, 0);
    wc_nn_graph_stats_get(g, &st);
    CHECK(st.max_runtimes == 1, "max 0 clamped to %u", st.max_runtimes);
    wc_nn_graph_set_max_runtimes(g, 1u << 30);
    wc_nn_graph_stats_get(g, &st);
    CHECK(st.max_runtimes == WC_NN_MAX_RUNTIMES, "max 2^30 clamped to %u", st.max_runtimes);
    wc_nn_graph_free(g);
}

static wc_nn_graph *load_slow(void)
{
    static tfb b;
    slow_model(&b);
    wc_nn_graph *g = NULL;
    wc_error err = {0};
    CHECK(wc_nn_graph_load(b.b, b.n, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU, &g, &err) ==
              0,
          "slow model: %s", wc_error_message(&err));
    return g;
}

typedef struct hog {
    wc_nn_graph *graph;
    atomic_int stop, runs, failed;
} hog;

/* Computes the slow model back to back until told to stop (at most 30 s),
 * so that the graph's only runtime is nearly always busy. */
static void *hog_run(void *arg)
{
    hog *h = arg;
    wc_nn_context *c;
    wc_error err = {0};
    if (wc_nn_context_new(h->graph, &c, &err) || set_inputs(c, h->graph, &err)) {
        atomic_store(&h->failed, 1);
        return NULL;
    }
    uint64_t until = wc_monotonic_ns() + 30000000000ull;
    while (!atomic_load(&h->stop) && wc_monotonic_ns() < until) {
        if (wc_nn_compute(c, &err)) {
            atomic_store(&h->failed, 1);
            break;
        }
        atomic_fetch_add(&h->runs, 1);
    }
    wc_nn_context_free(c);
    return NULL;
}

/* One runtime, busy on another thread: a compute waits its turn (and is
 * handed the runtime when it comes back), or gives up at its deadline. */
static void test_all_runtimes_busy(void)
{
    wc_nn_graph *g = load_slow();
    if (!g)
        return;
    wc_nn_graph_set_max_runtimes(g, 1);
    static hog h;
    h.graph = g;
    pthread_t t;
    pthread_create(&t, NULL, hog_run, &h);
    wc_nn_context *c;
    wc_error err = {0};
    int rc = wc_nn_context_new(g, &c, &err);
    rc = rc ? rc : set_inputs(c, g, &err);
    CHECK(rc == 0, "%s", err.msg);
    while (rc == 0 && atomic_load(&h.runs) == 0 && !atomic_load(&h.failed))
        sched_yield();
    /* a generous deadline: served in turn while the other thread goes on */
    wc_nn_limits limits = {.deadline_ns = wc_monotonic_ns() + 20000000000ull};
    CHECK(rc == 0 && wc_nn_compute_within(c, &limits, &err) == 0, "waited compute: %s", err.msg);
    /* a tiny one: it ends waiting (a few tries, as the other thread may be
     * between two computes when this one arrives) */
    int timed_out_waiting = 0;
    for (int i = 0; rc == 0 && i < 50 && !timed_out_waiting; i++) {
        limits.deadline_ns = wc_monotonic_ns() + 300000;
        int got = wc_nn_compute_within(c, &limits, &err);
        CHECK(got == WC_ETIMEDOUT, "try %d: %d %s", i, got, err.msg);
        timed_out_waiting = got == WC_ETIMEDOUT && strstr(err.msg, "waited for a runtime (all 1 busy)");
    }
    CHECK(timed_out_waiting, "no compute gave up waiting: %s", err.msg);
    atomic_store(&h.stop, 1);
    pthread_join(t, NULL);
    CHECK(!atomic_load(&h.failed) && atomic_load(&h.runs) > 0, "the other thread: %d runs%s",
          atomic_load(&h.runs), atomic_load(&h.failed) ? ", failed" : "");
    wc_nn_graph_stats st;
    wc_nn_graph_stats_get(g, &st);
    CHECK(st.runtimes == 1 && st.waits >= 1, "%u runtimes, %llu waits", st.runtimes,
          (unsigned long long)st.waits);
    /* the runtime came back from every stopped compute */
    CHECK(rc == 0 && wc_nn_compute(c, &err) == 0, "after: %s", err.msg);
    wc_nn_context_free(c);
    wc_nn_graph_free(g);
}

/* ---- a compute's deadline and cancellation ----------------------------- */

static void test_compute_limits(void)
{
    wc_nn_graph *g = load_slow();
    if (!g)
        return;
    wc_nn_context *c;
    wc_error err = {0};
    static float y[SLOW_SIDE * SLOW_SIDE];
    int rc = wc_nn_context_new(g, &c, &err);
    rc = rc ? rc : set_inputs(c, g, &err);
    CHECK(rc == 0, "%s", err.msg);
    if (rc) {
        wc_nn_graph_free(g);
        return;
    }
    uint64_t t0 = wc_monotonic_ns();
    CHECK(wc_nn_compute(c, &err) == 0 && wc_nn_get_output(c, 0, y, sizeof y, NULL, &err) == 0,
          "no limits: %s", err.msg);
    double full_ms = (double)(wc_monotonic_ns() - t0) / 1e6;
    CHECK(isfinite(y[0]) && isfinite(y[SLOW_SIDE * SLOW_SIDE - 1]), "output %g", y[0]);

    /* Already past: nothing runs. */
    wc_nn_limits limits = {.deadline_ns = wc_monotonic_ns() - 1};
    CHECK(wc_nn_compute_within(c, &limits, &err) == WC_ETIMEDOUT &&
              strstr(err.msg, "before it started: the call's deadline passed"),
          "past deadline: %s", err.msg);
    CHECK(wc_nn_get_output(c, 0, y, sizeof y, NULL, &err) == WC_EINVAL,
          "an output after a stopped compute");

    /* Passing during step 1 (tens of millions of multiply-adds): stopped
     * before step 2.  A busy machine may make the first check late, so a
     * few tries. */
    int between = 0;
    double stopped_ms = 0;
    for (int i = 0; i < 20 && !between; i++) {
        t0 = wc_monotonic_ns();
        limits.deadline_ns = t0 + 1000000;
        int got = wc_nn_compute_within(c, &limits, &err);
        stopped_ms = (double)(wc_monotonic_ns() - t0) / 1e6;
        CHECK(got == WC_ETIMEDOUT, "try %d: %d %s", i, got, err.msg);
        between = strstr(err.msg, "before step 2 of 3: the call's deadline passed") != NULL;
    }
    CHECK(between, "never stopped between steps: %s", err.msg);
    printf("slow model: %.2f ms in full, stopped after step 1 in %.2f ms\n", full_ms, stopped_ms);

    /* Cancelled: the same, for the other reason. */
    wc_cancel_token cancel;
    wc_cancel_token_init(&cancel);
    wc_cancel_token_cancel(&cancel, WC_CANCEL_REQUESTED);
    limits = (wc_nn_limits){.cancel = &cancel};
    CHECK(wc_nn_compute_within(c, &limits, &err) == WC_ECANCELED &&
              strstr(err.msg, "the call was cancelled"),
          "cancelled: %s", err.msg);
    wc_cancel_token_destroy(&cancel);

    /* and the context, and the graph's one runtime, go on */
    limits = (wc_nn_limits){.deadline_ns = wc_monotonic_ns() + 60000000000ull};
    CHECK(wc_nn_compute_within(c, &limits, &err) == 0, "after the stops: %s", err.msg);
    wc_nn_graph_stats st;
    wc_nn_graph_stats_get(g, &st);
    CHECK(st.runtimes == 1, "%u runtimes", st.runtimes);
    wc_nn_context_free(c);
    wc_nn_graph_free(g);
}

int main(void)
{
    test_encodings();
    test_misuse();
    test_shared_models();
    test_hello_world_follows_sin();
    test_threads_share_a_graph();
    test_damaged_models();
    test_own_kernel();
    test_huge_dims();
    test_contexts_share_runtimes();
    test_all_runtimes_busy();
    test_compute_limits();
    printf("%s: %d checks, %d failures\n", failures ? "FAIL" : "ok", checks, failures);
    return failures != 0;
}
