/* test_nn_armnn.c -- the second backend, Arm NN (CpuRef), and the choice
 * between backends (src/nn/backend_route.c):
 *
 *  - every model of ../shared/models (and the supply-risk model the
 *    plugins' build makes) loads, with its backend and reason, or is
 *    refused naming the operator;
 *  - every model both backends run gives the same outputs on the XNNPACK
 *    path and on Arm NN for the same random inputs (f32 within 1e-5
 *    relative or 1e-6 absolute, quantized within one step), both forced;
 *  - crash isolation (src/nn/isolate.h): a step that crashes, hangs, exits
 *    or fails in the child is reported as such, and the process goes on to
 *    load and run the next model; a model Arm NN refuses is refused with
 *    Arm NN's message.
 */
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "cli/config.h"
#include "engine/engine.h"
#include "host/wasi_nn.h"
#include "nn/backend.h"
#include "nn/isolate.h"
#include "nn/tflite.h"
#include "plugin/call.h"
#include "plugin/manifest.h"
#include "plugin/plugin.h"
#include "process_maps.h"
#include "tflite_model_spec.h"
#include "util/clock.h"
#include "util/buf.h"
#include "util/fs.h"

#define MODELS WC_SOURCE_DIR "/../shared/models/"
#define WASMCAP WC_BINARY_DIR "/wasmcap"
#define SUPPLY_RISK_MODEL WC_SOURCE_DIR "/plugins/supply-risk/model/supply-risk.tflite"

static uint8_t *read_path(const char *path, size_t *size)
{
    uint8_t *bytes = NULL;
    int rc = wc_read_file(path, 0, &bytes, size);
    CHECK(rc == 0, "%s: %s", path, strerror(-rc));
    return rc == 0 ? bytes : NULL;
}

/* Random bytes for an input: quantized values anywhere in their range,
 * floats in [-3, 3]. */
static void fill_random(const wc_nn_tensor_info *t, uint8_t *bytes)
{
    if (t->type != WC_NN_F32) {
        for (size_t i = 0; i < t->size; i++)
            bytes[i] = (uint8_t)nnref_random();
        return;
    }
    for (size_t i = 0; i + 4 <= t->size; i += 4) {
        float f = (float)(nnref_random() % 60001) / 10000.0f - 3.0f;
        memcpy(bytes + i, &f, 4);
    }
}

static int same_info(const wc_nn_tensor_info *a, const wc_nn_tensor_info *b)
{
    if (a->type != b->type || a->is_int8 != b->is_int8 || a->rank != b->rank ||
        a->size != b->size)
        return 0;
    for (uint32_t i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i])
            return 0;
    return 1;
}

/* Outputs of the two backends for one output tensor: how many elements
 * differ by more than the tolerance, f32 or `steps` quantization steps (the
 * first few are printed). */
static int differences(const char *name, const wc_nn_tensor_info *t, const uint8_t *x,
                       const uint8_t *a, size_t size, int steps)
{
    int bad = 0;
    if (t->type == WC_NN_F32) {
        for (size_t i = 0; i + 4 <= size; i += 4) {
            float p, q;
            memcpy(&p, x + i, 4);
            memcpy(&q, a + i, 4);
            if (fabsf(p - q) > 1e-6f && fabsf(p - q) > 1e-5f * fabsf(p)) {
                if (bad++ < 3)
                    printf("  %s: element %zu: xnnpack %.9g, armnn %.9g\n", name, i / 4, p, q);
            }
        }
        return bad;
    }
    for (size_t i = 0; i < size; i++) {
        int p = t->is_int8 ? (int8_t)x[i] : x[i], q = t->is_int8 ? (int8_t)a[i] : a[i];
        if (abs(p - q) > steps && bad++ < 3)
            printf("  %s: element %zu: xnnpack %d, armnn %d\n", name, i, p, q);
    }
    return bad;
}

static int run(wc_nn_context *c, const wc_nn_graph *g, uint8_t *const *in, uint8_t *const *out,
               wc_error *err)
{
    for (uint32_t i = 0; i < wc_nn_graph_input_count(g); i++) {
        const wc_nn_tensor_info *t = wc_nn_graph_input(g, i);
        int rc = wc_nn_set_input(c, i, t->type, t->dims, t->rank, in[i], t->size, err);
        if (rc)
            return rc;
    }
    int rc = wc_nn_compute(c, err);
    for (uint32_t i = 0; rc == 0 && i < wc_nn_graph_output_count(g); i++)
        rc = wc_nn_get_output(c, i, out[i], wc_nn_graph_output(g, i)->size, NULL, err);
    return rc;
}

/* The same random inputs, rounds times, on both backends' graphs. */
static void compare_backends(const char *name, wc_nn_graph *x, wc_nn_graph *a, int rounds,
                             int steps)
{
    enum { MAX_IO = 8 };
    uint32_t nin = wc_nn_graph_input_count(x), nout = wc_nn_graph_output_count(x);
    CHECK(nin == wc_nn_graph_input_count(a) && nout == wc_nn_graph_output_count(a) &&
              nin <= MAX_IO && nout <= MAX_IO,
          "%s: %u/%u inputs, %u/%u outputs", name, nin, wc_nn_graph_input_count(a), nout,
          wc_nn_graph_output_count(a));
    if (nin != wc_nn_graph_input_count(a) || nout != wc_nn_graph_output_count(a) ||
        nin > MAX_IO || nout > MAX_IO)
        return;
    for (uint32_t i = 0; i < nin; i++)
        CHECK(same_info(wc_nn_graph_input(x, i), wc_nn_graph_input(a, i)),
              "%s: input %u described differently", name, i);
    for (uint32_t i = 0; i < nout; i++)
        CHECK(same_info(wc_nn_graph_output(x, i), wc_nn_graph_output(a, i)),
              "%s: output %u described differently", name, i);
    wc_error err = {0};
    wc_nn_context *cx = NULL, *ca = NULL;
    CHECK(wc_nn_context_new(x, &cx, &err) == 0, "%s: %s", name, err.msg);
    CHECK(wc_nn_context_new(a, &ca, &err) == 0, "%s: %s", name, err.msg);
    uint8_t *in[MAX_IO] = {0}, *ox[MAX_IO] = {0}, *oa[MAX_IO] = {0};
    for (uint32_t i = 0; i < nin; i++)
        in[i] = malloc(wc_nn_graph_input(x, i)->size + 1);
    for (uint32_t i = 0; i < nout; i++) {
        ox[i] = calloc(1, wc_nn_graph_output(x, i)->size + 1);
        oa[i] = calloc(1, wc_nn_graph_output(x, i)->size + 1);
    }
    for (int r = 0; cx && ca && r < rounds; r++) {
        for (uint32_t i = 0; i < nin; i++)
            fill_random(wc_nn_graph_input(x, i), in[i]);
        CHECK(run(cx, x, in, ox, &err) == 0, "%s: xnnpack: %s", name, err.msg);
        CHECK(run(ca, a, in, oa, &err) == 0, "%s: armnn: %s", name, err.msg);
        for (uint32_t i = 0; i < nout; i++) {
            const wc_nn_tensor_info *t = wc_nn_graph_output(x, i);
            int bad = differences(name, t, ox[i], oa[i], t->size, steps);
            CHECK(bad == 0, "%s: round %d: output %u: %d elements differ", name, r, i, bad);
        }
    }
    for (uint32_t i = 0; i < MAX_IO; i++) {
        free(in[i]);
        free(ox[i]);
        free(oa[i]);
    }
    wc_nn_context_free(cx);
    wc_nn_context_free(ca);
}

/* What became of one model: loaded automatically (on which backend, and
 * why) or refused naming an operator; both forced backends compared when
 * both take it.  Returns 1 when they were compared. */
static int route_and_compare(const char *name, const uint8_t *bytes, size_t size, int steps)
{
    wc_error err = {0};
    wc_nn_graph *g = NULL, *x = NULL, *a = NULL;
    int rc = wc_nn_graph_load(bytes, size, WC_NN_ENCODING_AUTODETECT, WC_NN_TARGET_CPU, &g, &err);
    if (rc == 0) {
        printf("%s: %s (%s)\n", name, wc_nn_graph_backend(g), wc_nn_graph_backend_reason(g));
        CHECK(wc_nn_graph_backend_reason(g)[0], "%s: no reason for the backend", name);
        wc_nn_graph_free(g);
    } else {
        printf("%s: refused: %s\n", name, err.msg);
        CHECK(rc == WC_EBADMODULE && strstr(err.msg, "operator "),
              "%s: refused without naming the operator: %d %s", name, rc, err.msg);
    }
    int rx = wc_nn_graph_load_on(bytes, size, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU,
                                 WC_NN_BACKEND_XNNPACK, &x, &err);
    if (rx == 0)
        CHECK(strcmp(wc_nn_graph_backend(x), "xnnpack") == 0 &&
                  strstr(wc_nn_graph_backend_reason(x), "forced"),
              "%s: forced xnnpack: %s (%s)", name, wc_nn_graph_backend(x),
              wc_nn_graph_backend_reason(x));
    int ra = wc_nn_graph_load_on(bytes, size, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU,
                                 WC_NN_BACKEND_ARMNN, &a, &err);
    if (ra == 0)
        CHECK(strcmp(wc_nn_graph_backend(a), "armnn") == 0, "%s: forced armnn: %s", name,
              wc_nn_graph_backend(a));
    else
        printf("%s: Arm NN refuses it: %s\n", name, err.msg);
    int compared = rx == 0 && ra == 0;
    if (compared)
        compare_backends(name, x, a, 5, steps);
    wc_nn_graph_free(x);
    wc_nn_graph_free(a);
    return compared;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every .tflite file of ../shared/models, and the supply-risk model. */
static void test_every_model(void)
{
    DIR *dir = opendir(MODELS);
    CHECK(dir, "cannot list %s", MODELS);
    if (!dir)
        return;
    char *names[64];
    size_t n = 0;
    for (struct dirent *e; (e = readdir(dir)) && n < 64;) {
        size_t len = strlen(e->d_name);
        if (len > 7 && strcmp(e->d_name + len - 7, ".tflite") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(dir);
    qsort(names, n, sizeof *names, by_name);
    CHECK(n >= 4, "only %zu models in %s", n, MODELS);
    int compared = 0;
    for (size_t i = 0; i < n; i++) {
        char path[512];
        size_t size;
        snprintf(path, sizeof path, MODELS "%s", names[i]);
        uint8_t *bytes = read_path(path, &size);
        if (bytes) {
            int both = route_and_compare(names[i], bytes, size, 1);
            compared += both;
            /* Arm NN 20.08 reads the per-axis quantization of a bias along
             * dimension 0 only: the one shared model it refuses. */
            if (strcmp(names[i], "person_detect.tflite") == 0)
                CHECK(!both, "person_detect: Arm NN 20.08 was expected to refuse it");
            else
                CHECK(both, "%s: not run on both backends", names[i]);
        }
        free(bytes);
        free(names[i]);
    }
    size_t size;
    uint8_t *bytes = read_path(SUPPLY_RISK_MODEL, &size);
    if (bytes)
        CHECK(route_and_compare("supply-risk.tflite", bytes, size, 1), "supply-risk: not compared");
    free(bytes);
    printf("%d shared models compared on both backends\n", compared);
}

/* person_detect forced onto Arm NN: refused with Arm NN's own words, and
 * the process goes on to run a model on it. */
static void test_refusal_then_next(void)
{
    size_t size;
    uint8_t *bytes = read_path(MODELS "person_detect.tflite", &size);
    wc_nn_graph *g = NULL;
    wc_error err = {0};
    if (!bytes)
        return;
    int rc = wc_nn_graph_load_on(bytes, size, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU,
                                 WC_NN_BACKEND_ARMNN, &g, &err);
    free(bytes);
    CHECK(rc == WC_EBADMODULE && !g && strstr(err.msg, "Arm NN") &&
              strstr(err.msg, "Quantization dimension for per-axis quantization expected to be 0 on "
                         "tensor bias"),
          "person_detect on Arm NN: %d %s", rc, err.msg);
    bytes = read_path(MODELS "hello_world_float.tflite", &size);
    if (!bytes)
        return;
    rc = wc_nn_graph_load_on(bytes, size, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU,
                             WC_NN_BACKEND_ARMNN, &g, &err);
    free(bytes);
    CHECK(rc == 0, "hello_world on Arm NN after a refusal: %s", err.msg);
    if (rc)
        return;
    wc_nn_context *c;
    float x = 1.0f, y = 0;
    CHECK(wc_nn_context_new(g, &c, &err) == 0, "%s", err.msg);
    CHECK(wc_nn_set_input(c, 0, WC_NN_F32, (const uint32_t[]){1, 1}, 2, &x, 4, &err) == 0, "%s",
          err.msg);
    CHECK(wc_nn_compute(c, &err) == 0, "%s", err.msg);
    CHECK(wc_nn_get_output(c, 0, &y, 4, NULL, &err) == 0, "%s", err.msg);
    CHECK(fabsf(y - sinf(x)) < 0.1f, "Arm NN: sin(1) ~ %g", y);
    CHECK(wc_nn_graph_inferences(g) == 1, "inferences %llu",
          (unsigned long long)wc_nn_graph_inferences(g));
    wc_nn_context_free(c);
    wc_nn_graph_free(g);
}

/* ---- isolation --------------------------------------------------------- */

static int crash_step(const void *arg, wc_error *err)
{
    (void)arg;
    (void)err;
    raise(SIGSEGV);
    return 0;
}

static int hang_step(const void *arg, wc_error *err)
{
    (void)arg;
    (void)err;
    for (;;) /* until the parent kills it */
        pause();
    return 0;
}

static int exit_step(const void *arg, wc_error *err)
{
    (void)arg;
    (void)err;
    _exit(3);
}

static int refuse_step(const void *arg, wc_error *err)
{
    return wc_error_set(err, WC_EINVAL, "refused: %s", (const char *)arg);
}

static int chatty_step(const void *arg, wc_error *err)
{
    (void)arg;
    (void)err;
    /* the child's stdout and stderr are /dev/null: this reaches no one */
    printf("chatter on stdout\n");
    fflush(stdout);
    fprintf(stderr, "chatter on stderr\n");
    return 0;
}

/* Takes 64 MiB and writes it: past a trial's limit, malloc fails. */
static int hungry_step(const void *arg, wc_error *err)
{
    (void)arg;
    size_t size = (size_t)64 << 20;
    char *p = malloc(size);
    if (!p)
        return wc_error_set(err, WC_ENOMEM, "could not allocate 64 MiB");
    memset(p, 1, size);
    free(p);
    return 0;
}

/* A trial out of memory: its step's WC_ENOMEM and message, or, under
 * AddressSanitizer (whose allocator ends the process instead of returning
 * NULL), an exit without a report; either way refused naming the limit. */
#ifdef __SANITIZE_ADDRESS__
#define OUT_OF_MEMORY WC_EBADMODULE
#define OUT_OF_MEMORY_SAYS(limit, why) "ended (exit status 1) without a report: refused (its " \
    "trial may use " limit " more than the server: nn.trial_memory)"
#else
#define OUT_OF_MEMORY WC_ENOMEM
#define OUT_OF_MEMORY_SAYS(limit, why) "ran out of memory within its trial's limit of " limit \
    " (nn.trial_memory): " why ": refused"
#endif

static void test_isolation(void)
{
    wc_error err = {0};
    int rc = wc_nn_isolate("the step", crash_step, NULL, 10000, 0, &err);
    CHECK(rc == WC_EBADMODULE && strstr(err.msg, "the step crashed (signal 11, SIGSEGV)"),
          "crash: %d %s", rc, err.msg);
    uint64_t t0 = wc_monotonic_ms();
    rc = wc_nn_isolate("the step", hang_step, NULL, 300, 0, &err);
    uint64_t took = wc_monotonic_ms() - t0;
    CHECK(rc == WC_ETIMEDOUT && strstr(err.msg, "did not finish within 300 ms"), "hang: %d %s",
          rc, err.msg);
    CHECK(took >= 290 && took < 5000, "hang took %llu ms", (unsigned long long)took);
    rc = wc_nn_isolate("the step", exit_step, NULL, 10000, 0, &err);
    CHECK(rc == WC_EBADMODULE && strstr(err.msg, "exit status 3"), "exit: %d %s", rc, err.msg);
    rc = wc_nn_isolate("the step", refuse_step, "why", 10000, 0, &err);
    CHECK(rc == WC_EBADMODULE && strcmp(err.msg, "refused: why") == 0, "refusal: %d %s", rc,
          err.msg);
    /* our stdout and stderr go to a file while the chatty child runs */
    fflush(stdout);
    FILE *sink = tmpfile();
    int saved_out = dup(1), saved_err = dup(2);
    dup2(fileno(sink), 1);
    dup2(fileno(sink), 2);
    rc = wc_nn_isolate("the step", chatty_step, NULL, 10000, 0, &err);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    struct stat st;
    CHECK(fstat(fileno(sink), &st) == 0 && st.st_size == 0, "the child wrote %lld bytes",
          (long long)st.st_size);
    fclose(sink);
    CHECK(rc == 0, "chatty: %d %s", rc, err.msg);
    /* memory: within the limit it runs, past it the reason says so */
    rc = wc_nn_isolate("the step", hungry_step, NULL, 30000, 16ull << 20, &err);
    CHECK(rc == OUT_OF_MEMORY &&
              strstr(err.msg, OUT_OF_MEMORY_SAYS("16 MiB", "could not allocate 64 MiB")),
          "hungry, limited: %d %s", rc, err.msg);
    rc = wc_nn_isolate("the step", hungry_step, NULL, 30000, 256ull << 20, &err);
    CHECK(rc == 0, "hungry within 256 MiB: %d %s", rc, err.msg);
    rc = wc_nn_isolate("the step", crash_step, NULL, 10000, 64ull << 20, &err);
    CHECK(rc == WC_EBADMODULE &&
              strstr(err.msg, "the step crashed (signal 11, SIGSEGV): refused (its trial may use "
                              "64 MiB more than the server: nn.trial_memory)"),
          "crash, limited: %d %s", rc, err.msg);
    /* no child is left behind */
    CHECK(waitpid(-1, NULL, WNOHANG) < 0, "a child is left");
}


/* ---- models built here, written as files ------------------------------ */

static tfb written;

/* Writes the model and runs it both ways; expect_backend is the
 * automatic choice ("" for a refusal naming the operator). */
static void check_spec(const char *name, spec *s, const char *expect_backend, int steps)
{
    tmw_write(&written, &s->m);
    wc_error err = {0};
    wc_nn_graph *g = NULL;
    int rc = wc_nn_graph_load(written.b, written.n, WC_NN_ENCODING_TENSORFLOWLITE,
                              WC_NN_TARGET_CPU, &g, &err);
    if (!*expect_backend) {
        char want[64];
        snprintf(want, sizeof want, "operator 0 (%s)", s->ops[0].name);
        CHECK(rc == WC_EBADMODULE && strstr(err.msg, want) && strstr(err.msg, "Arm NN"),
              "%s: expected a refusal naming %s: %d %s", name, want, rc, err.msg);
        return;
    }
    CHECK(rc == 0, "%s: %s", name, err.msg);
    if (rc)
        return;
    printf("%s: %s (%s)\n", name, wc_nn_graph_backend(g), wc_nn_graph_backend_reason(g));
    CHECK(strcmp(wc_nn_graph_backend(g), expect_backend) == 0, "%s: on %s, not %s (%s)", name,
          wc_nn_graph_backend(g), expect_backend, wc_nn_graph_backend_reason(g));
    wc_nn_graph_free(g);
    if (strcmp(expect_backend, "xnnpack") == 0)
        CHECK(route_and_compare(name, written.b, written.n, steps), "%s: not compared", name);
}

static void test_operators_on_both(void)
{
    spec s;
    /* conv -> depthwise -> average pool -> fully connected -> softmax, f32 */
    spec_start(&s);
    int32_t x = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(1, 8, 8, 3));
    int32_t w = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 1, DIMS(4, 3, 3, 3));
    int32_t bias = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 1, DIMS(4));
    int32_t c = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(1, 8, 8, 4));
    int32_t dw = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 1, DIMS(1, 3, 3, 4));
    int32_t dbias = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 1, DIMS(4));
    int32_t d = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(1, 4, 4, 4));
    int32_t p = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(1, 2, 2, 4));
    int32_t fw = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 1, DIMS(5, 16));
    int32_t fb = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 1, DIMS(5));
    int32_t f = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(1, 5));
    int32_t y = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(1, 5));
    spec_op(&s, WC_TFLITE_OP_CONV_2D, NULL, c, INS(x, w, bias))->options.activation =
        WC_TFLITE_ACT_RELU;
    wc_tflite_operator *o = spec_op(&s, WC_TFLITE_OP_DEPTHWISE_CONV_2D, NULL, d, INS(c, dw, dbias));
    o->options.stride_w = o->options.stride_h = 2;
    o->options.activation = WC_TFLITE_ACT_RELU6;
    o = spec_op(&s, WC_TFLITE_OP_AVERAGE_POOL_2D, NULL, p, INS(d));
    o->options.padding = WC_TFLITE_PADDING_VALID;
    o->options.filter_w = o->options.filter_h = o->options.stride_w = o->options.stride_h = 2;
    /* with a bias: Arm NN 20.08's parser takes no omitted input (-1) */
    spec_op(&s, WC_TFLITE_OP_FULLY_CONNECTED, NULL, f, INS(p, fw, fb));
    spec_op(&s, WC_TFLITE_OP_SOFTMAX, NULL, y, INS(f));
    spec_graph(&s, GRAPH_INS(x), y);
    check_spec("conv-depthwise-pool-fc-softmax f32", &s, "xnnpack", 1);

    /* add, mul, tanh (an own kernel), concatenation (an own kernel), f32 */
    spec_start(&s);
    int32_t a = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(1, 4, 6));
    int32_t b = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(1, 4, 6));
    int32_t sum = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(1, 4, 6));
    int32_t prod = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(1, 4, 6));
    int32_t th = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(1, 4, 6));
    int32_t cat = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(1, 4, 12));
    spec_op(&s, WC_TFLITE_OP_ADD, NULL, sum, INS(a, b));
    spec_op(&s, WC_TFLITE_OP_MUL, NULL, prod, INS(sum, b));
    spec_op(&s, WC_TFLITE_OP_TANH, NULL, th, INS(prod));
    spec_op(&s, WC_TFLITE_OP_CONCATENATION, NULL, cat, INS(th, sum))->options.axis = 2;
    spec_graph(&s, GRAPH_INS(a, b), cat);
    check_spec("add-mul-tanh-concatenation f32", &s, "xnnpack", 1);

    /* int8: fully connected then logistic, per-tensor quantization */
    spec_start(&s);
    x = spec_tensor(&s, WC_TFLITE_INT8, 0.05f, -3, 0, DIMS(1, 12));
    w = spec_tensor(&s, WC_TFLITE_INT8, 0.01f, 0, 1, DIMS(6, 12));
    bias = spec_tensor(&s, WC_TFLITE_INT32, 0.0005f, 0, 1, DIMS(6));
    f = spec_tensor(&s, WC_TFLITE_INT8, 0.04f, 2, 0, DIMS(1, 6));
    y = spec_tensor(&s, WC_TFLITE_INT8, 1.0f / 256, -128, 0, DIMS(1, 6));
    spec_op(&s, WC_TFLITE_OP_FULLY_CONNECTED, NULL, f, INS(x, w, bias));
    spec_op(&s, WC_TFLITE_OP_LOGISTIC, NULL, y, INS(f));
    spec_graph(&s, GRAPH_INS(x), y);
    check_spec("fully-connected-logistic int8", &s, "xnnpack", 1);

    /* int8: conv with max pool and a mean over height and width */
    spec_start(&s);
    x = spec_tensor(&s, WC_TFLITE_INT8, 0.02f, 1, 0, DIMS(1, 6, 6, 2));
    w = spec_tensor(&s, WC_TFLITE_INT8, 0.01f, 0, 1, DIMS(3, 3, 3, 2));
    bias = spec_tensor(&s, WC_TFLITE_INT32, 0.0002f, 0, 1, DIMS(3));
    c = spec_tensor(&s, WC_TFLITE_INT8, 0.03f, -5, 0, DIMS(1, 6, 6, 3));
    p = spec_tensor(&s, WC_TFLITE_INT8, 0.03f, -5, 0, DIMS(1, 3, 3, 3));
    int32_t axes = spec_tensor(&s, WC_TFLITE_INT32, 0, 0, 0, DIMS(2));
    spec_constant_i32(&s, axes, (const int32_t[]){1, 2}, 2);
    y = spec_tensor(&s, WC_TFLITE_INT8, 0.03f, -5, 0, DIMS(1, 1, 1, 3));
    spec_op(&s, WC_TFLITE_OP_CONV_2D, NULL, c, INS(x, w, bias));
    o = spec_op(&s, WC_TFLITE_OP_MAX_POOL_2D, NULL, p, INS(c));
    o->options.padding = WC_TFLITE_PADDING_VALID;
    o->options.filter_w = o->options.filter_h = o->options.stride_w = o->options.stride_h = 2;
    spec_op(&s, WC_TFLITE_OP_MEAN, NULL, y, INS(p, axes))->options.keep_dims = true;
    spec_graph(&s, GRAPH_INS(x), y);
    check_spec("conv-maxpool-mean int8", &s, "xnnpack", 1);

    spec_convnet(&s, 16, 0);
    check_spec("convnet f32", &s, "xnnpack", 1);
    /* Six requantizations in a row: each backend rounds each within one
     * step of the exact value, and the steps compound (the softmax at the
     * end spreads a step of its input over several of its output).  Each
     * operator alone is within one step (the models above). */
    spec_convnet(&s, 16, 1);
    check_spec("convnet int8", &s, "xnnpack", 4);
}

/* MAXIMUM is not on the XNNPACK path: Arm NN runs it, and says why. */
static void test_fallback_to_armnn(void)
{
    spec s;
    spec_start(&s);
    int32_t a = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(2, 3));
    int32_t b = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(2, 3));
    int32_t y = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(2, 3));
    spec_op(&s, 55, NULL, y, INS(a, b));
    spec_graph(&s, GRAPH_INS(a, b), y);
    tmw_write(&written, &s.m);
    wc_error err = {0};
    wc_nn_graph *g = NULL;
    int rc = wc_nn_graph_load(written.b, written.n, WC_NN_ENCODING_AUTODETECT, WC_NN_TARGET_CPU,
                              &g, &err);
    CHECK(rc == 0, "MAXIMUM: %s", err.msg);
    if (rc)
        return;
    CHECK(strcmp(wc_nn_graph_backend(g), "armnn") == 0 &&
              strcmp(wc_nn_graph_backend_reason(g),
                     "operator 0 (MAXIMUM) is not on the XNNPACK path") == 0,
          "MAXIMUM: %s (%s)", wc_nn_graph_backend(g), wc_nn_graph_backend_reason(g));
    float in[2][6], out[6];
    wc_nn_context *c;
    CHECK(wc_nn_context_new(g, &c, &err) == 0, "%s", err.msg);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 12; i++)
            in[i / 6][i % 6] = (float)(nnref_random() % 2001) / 100.0f - 10.0f;
        for (uint32_t i = 0; i < 2; i++)
            CHECK(wc_nn_set_input(c, i, WC_NN_F32, (const uint32_t[]){2, 3}, 2, in[i],
                                  sizeof in[i], &err) == 0,
                  "%s", err.msg);
        CHECK(wc_nn_compute(c, &err) == 0, "%s", err.msg);
        CHECK(wc_nn_get_output(c, 0, out, sizeof out, NULL, &err) == 0, "%s", err.msg);
        for (int i = 0; i < 6; i++)
            CHECK(out[i] == fmaxf(in[0][i], in[1][i]), "max(%g, %g) = %g", in[0][i], in[1][i],
                  out[i]);
    }
    CHECK(wc_nn_graph_inferences(g) == 3, "%llu inferences",
          (unsigned long long)wc_nn_graph_inferences(g));
    wc_nn_context_free(c);
    wc_nn_graph_free(g);
}

/* Operators neither backend has: refused at load, the operator named. */
static void test_neither_backend(void)
{
    spec s;
    spec_start(&s);
    int32_t x = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(1, 4));
    int32_t y = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(1, 4));
    spec_op(&s, WC_TFLITE_OP_CUSTOM, "WasmcapNoSuchOp", y, INS(x));
    spec_graph(&s, GRAPH_INS(x), y);
    check_spec("custom operator", &s, "", 1);

    spec_start(&s);
    x = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(1, 2, 4));
    y = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(1, 2, 4));
    spec_op(&s, 44, NULL, y, INS(x)); /* UNIDIRECTIONAL_SEQUENCE_LSTM, its weights left out */
    spec_graph(&s, GRAPH_INS(x), y);
    check_spec("sequence LSTM", &s, "", 1);
}

/* ---- the choice shown: the log, /metrics, wasmcap inspect -------------- */

/* Writes the MAXIMUM model (the XNNPACK path lacks it) into `written` and
 * to path (if not NULL); with custom, the operator is that CUSTOM one. */
static void write_maximum_model(const char *path, const char *custom)
{
    static spec s;
    spec_start(&s);
    int32_t a = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(2, 3));
    int32_t b = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(2, 3));
    int32_t y = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(2, 3));
    spec_op(&s, custom ? WC_TFLITE_OP_CUSTOM : 55, custom, y, INS(a, b));
    spec_graph(&s, GRAPH_INS(a, b), y);
    tmw_write(&written, &s.m);
    if (!path)
        return;
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(written.b, 1, written.n, f) == written.n && fclose(f) == 0, "write %s",
          path);
}

/* Runs fn with the process's stderr going to a file; returns what was
 * written there (malloc'd). */
static char *stderr_of(void (*fn)(void *), void *arg)
{
    fflush(stderr);
    FILE *sink = tmpfile();
    int saved = dup(2);
    dup2(fileno(sink), 2);
    fn(arg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fseek(sink, 0, SEEK_END); /* written by fd: the FILE knows no position */
    long n = ftell(sink);
    char *text = calloc(1, n > 0 ? (size_t)n + 1 : 1);
    rewind(sink);
    if (n > 0 && fread(text, 1, (size_t)n, sink) != (size_t)n)
        text[0] = 0;
    fclose(sink);
    return text;
}

typedef struct adding {
    wc_nn_models *models;
    const char *name, *path, *backend;
    int rc;
    wc_error err;
} adding;

static void add_model(void *arg)
{
    adding *a = arg;
    a->rc = wc_nn_models_add_on(a->models, a->name, a->path, NULL, NULL, a->backend, &a->err);
}

static void test_log_and_metrics(const char *dir)
{
    char max_path[512];
    snprintf(max_path, sizeof max_path, "%s/maximum.tflite", dir);
    write_maximum_model(max_path, NULL);
    wc_error err = {0};
    wc_nn_models *models = wc_nn_models_new(&err);
    adding sine = {models, "sine", MODELS "hello_world_float.tflite", NULL, 0, {0}};
    adding sine_armnn = {models, "sine\"on\\armnn", MODELS "hello_world_float.tflite", "armnn", 0,
                         {0}};
    adding max = {models, "max", max_path, "auto", 0, {0}};
    adding bad = {models, "bad", max_path, "tpu", 0, {0}};
    adding max_x = {models, "max_x", max_path, "xnnpack", 0, {0}};
    char *log = stderr_of(add_model, &sine);
    CHECK(sine.rc == 0 && strstr(log, "\"component\":\"nn\"") && strstr(log, "\"model\":\"sine\"") &&
              strstr(log, "\"backend\":\"xnnpack\"") &&
              strstr(log, "\"reason\":\"every operator is on the XNNPACK path\""),
          "sine: %d %s: log %s", sine.rc, sine.err.msg, log);
    free(log);
    log = stderr_of(add_model, &max);
    CHECK(max.rc == 0 && strstr(log, "\"backend\":\"armnn\"") &&
              strstr(log, "\"reason\":\"operator 0 (MAXIMUM) is not on the XNNPACK path\""),
          "max: %d %s: log %s", max.rc, max.err.msg, log);
    free(log);
    log = stderr_of(add_model, &sine_armnn);
    CHECK(sine_armnn.rc == 0 && strstr(log, "\"reason\":\"forced (backend \\\"armnn\\\")\""),
          "sine on armnn: %d %s: log %s", sine_armnn.rc, sine_armnn.err.msg, log);
    free(log);
    add_model(&bad);
    CHECK(bad.rc == WC_EINVAL && strstr(bad.err.msg, "'tpu' is not a backend (auto, xnnpack, armnn)"),
          "bad backend: %d %s", bad.rc, bad.err.msg);
    add_model(&max_x);
    CHECK(max_x.rc == WC_EBADMODULE && strstr(max_x.err.msg, "model 'max_x'") &&
              strstr(max_x.err.msg, "MAXIMUM"),
          "MAXIMUM forced on xnnpack: %d %s", max_x.rc, max_x.err.msg);

    /* two inferences of the model on Arm NN, one on XNNPACK */
    uint64_t armnn_before = wc_nn_backend_inferences("armnn");
    uint64_t xnnpack_before = wc_nn_backend_inferences("xnnpack");
    const char *const names[] = {"max", "max", "sine"};
    for (int i = 0; i < 3; i++) {
        wc_nn_graph *g = wc_nn_models_find(models, names[i], strlen(names[i]));
        wc_nn_context *c;
        CHECK(g && wc_nn_context_new(g, &c, &err) == 0, "%s: %s", names[i], err.msg);
        if (!g)
            continue;
        float in[6] = {1, 2, 3, 4, 5, 6}, out[6];
        for (uint32_t k = 0; k < wc_nn_graph_input_count(g); k++) {
            const wc_nn_tensor_info *t = wc_nn_graph_input(g, k);
            wc_nn_set_input(c, k, t->type, t->dims, t->rank, in, t->size, &err);
        }
        CHECK(wc_nn_compute(c, &err) == 0 && wc_nn_get_output(c, 0, out, sizeof out, NULL, &err) == 0,
              "%s: %s", names[i], err.msg);
        wc_nn_context_free(c);
    }
    CHECK(wc_nn_backend_inferences("armnn") == armnn_before + 2 &&
              wc_nn_backend_inferences("xnnpack") == xnnpack_before + 1,
          "per-backend counts: armnn %llu -> %llu, xnnpack %llu -> %llu",
          (unsigned long long)armnn_before,
          (unsigned long long)wc_nn_backend_inferences("armnn"),
          (unsigned long long)xnnpack_before,
          (unsigned long long)wc_nn_backend_inferences("xnnpack"));
    wc_buf b;
    wc_buf_init(&b);
    wc_nn_models_render_metrics(models, &b);
    char *text = wc_buf_cstr(&b);
    char want[160];
    snprintf(want, sizeof want, "wasmcap_nn_inferences_total{backend=\"armnn\"} %llu\n",
             (unsigned long long)wc_nn_backend_inferences("armnn"));
    const char *const expected[] = {
        "# TYPE wasmcap_nn_models gauge\n",
        "wasmcap_nn_models{model=\"sine\",backend=\"xnnpack\"} 1\n",
        "wasmcap_nn_models{model=\"max\",backend=\"armnn\"} 1\n",
        "wasmcap_nn_models{model=\"sine\\\"on\\\\armnn\",backend=\"armnn\"} 1\n",
        "wasmcap_nn_model_inferences_total{model=\"max\",backend=\"armnn\"} 2\n",
        "wasmcap_nn_model_inferences_total{model=\"sine\",backend=\"xnnpack\"} 1\n",
        "# TYPE wasmcap_nn_inferences_total counter\n",
        want,
    };
    for (size_t i = 0; i < sizeof expected / sizeof *expected; i++)
        CHECK(text && strstr(text, expected[i]), "/metrics lacks %s in:\n%s", expected[i], text);
    free(text);
    wc_nn_models_release(models);
}

/* wasmcap inspect prints the backend a load chooses, with the reason. */
static void test_inspect(const char *dir)
{
    char path[3][512];
    snprintf(path[0], sizeof path[0], "%s/maximum.tflite", dir);
    snprintf(path[1], sizeof path[1], "%s/custom.tflite", dir);
    snprintf(path[2], sizeof path[2], "%s", MODELS "hello_world_int8.tflite");
    write_maximum_model(path[0], NULL);
    write_maximum_model(path[1], "WasmcapNoSuchOp");
    /* Without libwasmcap-armnn.so, only what needs Arm NN is refused, and
     * the refusal says which library is missing. */
    const char *no_library = "WASMCAP_ARMNN_LIBRARY=/nonexistent/libwasmcap-armnn.so ";
    const struct {
        const char *env, *path, *want;
    } cases[] = {
        {"", path[0], "backend: armnn (operator 0 (MAXIMUM) is not on the XNNPACK path)\n"},
        {"", path[1],
         "backend: none (the model is refused at load: nn: neither backend runs the model: "
         "operator 0 (WasmcapNoSuchOp) is not on the XNNPACK path; and Arm NN"},
        {"", path[2], "backend: xnnpack (every operator is on the XNNPACK path)\n"},
        {no_library, path[0],
         "backend: none (the model is refused at load: nn: neither backend runs the model: "
         "operator 0 (MAXIMUM) is not on the XNNPACK path; and the Arm NN fallback is not "
         "available: cannot load /nonexistent/libwasmcap-armnn.so: cannot open shared object "
         "file"},
        {no_library, path[2], "backend: xnnpack (every operator is on the XNNPACK path)\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char cmd[2048], out[16384] = "";
        snprintf(cmd, sizeof cmd, "%s'%s' inspect '%s' 2>&1", cases[i].env, WASMCAP,
                 cases[i].path);
        FILE *p = popen(cmd, "r");
        size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
        out[n] = 0;
        int status = p ? pclose(p) : -1;
        CHECK(status == 0 && strstr(out, cases[i].want), "%s: status %d, no \"%s\" in:\n%s",
              cmd, status, cases[i].want, out);
    }
}

/* Arm NN and the C++ runtime are mapped by the first model that needs
 * them (armnn_library.h), not by every process that links the nn layer. */
static bool armnn_mapped(void)
{
#ifdef __SANITIZE_ADDRESS__
    /* the sanitizers' runtime maps the C++ runtime itself */
    return process_maps_library("/libarmnn.so");
#else
    return process_maps_library("/libarmnn.so") || process_maps_library("/libstdc++.so");
#endif
}

/* ---- a hostile model that crashes Arm NN, through a plugin --------------- */

/* A fully connected operator with no inputs: the reader takes it, the
 * XNNPACK path refuses it, and Arm NN 20.08's parser dereferences the
 * input it does not have (SIGSEGV). */
static void write_crashing_model(tfb *out)
{
    static spec s;
    spec_start(&s);
    int32_t x = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(1, 4));
    int32_t y = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(1, 4));
    spec_op(&s, WC_TFLITE_OP_FULLY_CONNECTED, NULL, y, (const int32_t[]){INT32_MIN});
    spec_graph(&s, GRAPH_INS(x), y);
    tmw_write(out, &s.m);
}

/* A model whose trial would take more memory than nn.trial_memory allows
 * (MAXIMUM, on Arm NN only, of two 1x8192x8192 float tensors: 768 MiB of
 * inputs and output) is refused with the reason, and the next model loads. */
static void write_big_model(tfb *out)
{
    static spec s;
    spec_start(&s);
    int32_t a = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(1, 8192, 8192));
    int32_t b = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(1, 8192, 8192));
    int32_t y = spec_tensor(&s, WC_TFLITE_FLOAT32, 0, 0, 0, DIMS(1, 8192, 8192));
    spec_op(&s, 55, NULL, y, INS(a, b));
    spec_graph(&s, GRAPH_INS(a, b), y);
    tmw_write(out, &s.m);
}

static void test_trial_memory(void)
{
    static tfb big;
    write_big_model(&big);
    CHECK(wc_nn_trial_memory() == WC_NN_TRIAL_MEMORY_DEFAULT, "default trial memory %llu",
          (unsigned long long)wc_nn_trial_memory());
    wc_nn_set_trial_memory(64ull << 20);
    wc_error err = {0};
    wc_nn_graph *g = NULL;
    int rc = wc_nn_graph_load(big.b, big.n, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU, &g,
                              &err);
    CHECK(rc == OUT_OF_MEMORY && !g &&
              strstr(err.msg, OUT_OF_MEMORY_SAYS(
                                  "64 MiB", "nn: out of memory for a 268435456-byte tensor")),
          "big model: %d %s", rc, err.msg);
    wc_nn_set_trial_memory(WC_NN_TRIAL_MEMORY_DEFAULT);
    test_fallback_to_armnn(); /* the next model loads and runs */
    CHECK(waitpid(-1, NULL, WNOHANG) < 0, "a child is left");
}

/* In the process: refused, Arm NN's crash named; the process goes on. */
static void test_crashing_model(void)
{
    static tfb crash;
    write_crashing_model(&crash);
    wc_error err = {0};
    wc_nn_graph *g = NULL;
    int rc = wc_nn_graph_load(crash.b, crash.n, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU,
                              &g, &err);
    CHECK(rc == WC_EBADMODULE && !g && strstr(err.msg, "operator 0 (FULLY_CONNECTED)") &&
              strstr(err.msg, "Arm NN crashed (signal 11, SIGSEGV): refused"),
          "crashing model: %d %s", rc, err.msg);
    CHECK(waitpid(-1, NULL, WNOHANG) < 0, "a child is left");
}

static json_t *call_tool(wc_plugin *p, const char *tool, json_t *args)
{
    json_t *res = NULL;
    wc_error err = {0};
    int index = wc_manifest_find_tool(wc_plugin_manifest(p), tool);
    int rc = wc_plugin_call_tool(p, (size_t)index, NULL, args, NULL, &res, &err);
    CHECK(rc == 0 && res, "call %s: %s", tool, err.msg);
    if (!res) {
        json_decref(args);
        return NULL;
    }
    json_t *sc = json_incref(json_object_get(res, "structuredContent"));
    json_decref(res);
    json_decref(args);
    return sc;
}

static json_t *hex_args(const tfb *model)
{
    char *hex = malloc(2 * model->n + 1);
    for (size_t i = 0; i < model->n; i++)
        snprintf(hex + 2 * i, 3, "%02x", model->b[i]);
    json_t *args = json_pack("{s:s}", "hex", hex);
    free(hex);
    return args;
}

/* The engine the plugin tests load nn_tool.wasm into (fast tier), made once. */
static wc_engine *engine;

/* nn_tool.wasm with the model "sine" of models granted and raw loads
 * allowed; NULL (a failed check) when it does not load. */
static wc_plugin *nn_tool(wc_nn_models *models)
{
    wc_error err = {0};
    if (!engine) {
        wc_engine_config ecfg;
        wc_engine_config_default(&ecfg);
        ecfg.tier = WC_TIER_FAST;
        CHECK(wc_engine_new(&ecfg, &engine, &err) == 0, "engine: %s", err.msg);
        if (!engine)
            return NULL;
    }
    static char *grant[] = {"sine"};
    wc_plugin_config pc = {.name = "nn_tool",
                           .path = WC_BINARY_DIR "/guests/nn_tool.wasm",
                           .perms = {.nn_library = models, .nn_models = grant, .n_nn_models = 1,
                                     .nn_load = true}};
    wc_plugin *p = NULL;
    CHECK(wc_plugin_load(&pc, engine, NULL, &p, &err) == 0, "nn_tool: %s", err.msg);
    return p;
}

/* A plugin granted raw loads sends the crashing model: its call gets
 * unsupported_operation; the next calls of the same plugin are served, on
 * Arm NN (a raw MAXIMUM model) and on XNNPACK (a configured model). */
static void test_plugin_next_call(void)
{
    wc_error err = {0};
    wc_nn_models *models = wc_nn_models_new(&err);
    CHECK(wc_nn_models_add(models, "sine", MODELS "hello_world_float.tflite", NULL, NULL, &err) == 0,
          "sine: %s", err.msg);
    wc_plugin *p = nn_tool(models);
    if (p) {
        static tfb model;
        write_crashing_model(&model);
        json_t *r = call_tool(p, "load_hex", hex_args(&model));
        CHECK(r && json_integer_value(json_object_get(r, "rc")) == WC_WASI_NN_UNSUPPORTED_OPERATION,
              "crashing model: %s", r ? json_dumps(r, JSON_COMPACT) : "null");
        json_decref(r);
        write_maximum_model(NULL, NULL);
        model = written;
        r = call_tool(p, "load_hex", hex_args(&model));
        CHECK(r && json_integer_value(json_object_get(r, "rc")) == 0, "MAXIMUM on Arm NN: %s",
              r ? json_dumps(r, JSON_COMPACT) : "null");
        json_decref(r);
        r = call_tool(p, "sine", NULL);
        CHECK(r && json_integer_value(json_object_get(r, "rc")) == 0 &&
                  llabs(json_integer_value(json_object_get(r, "milli")) - 841) < 100,
              "sine after the crash: %s", r ? json_dumps(r, JSON_COMPACT) : "null");
        json_decref(r);
        wc_plugin_free(p);
    }
    wc_nn_models_release(models);
}

/* ---- damaged copies through the choice of backend ----------------------- */

/* One inference on zero inputs; whether it succeeds does not matter, only
 * that it does not fault. */
static void run_on_zeros(const wc_nn_graph *g)
{
    enum { MAX_IO = 8 };
    uint32_t nin = wc_nn_graph_input_count(g), nout = wc_nn_graph_output_count(g);
    uint8_t *in[MAX_IO] = {0}, *out[MAX_IO] = {0};
    wc_error err = {0};
    wc_nn_context *c;
    if (nin > MAX_IO || nout > MAX_IO || wc_nn_context_new((wc_nn_graph *)g, &c, &err))
        return;
    for (uint32_t i = 0; i < nin; i++)
        in[i] = calloc(1, wc_nn_graph_input(g, i)->size + 1);
    for (uint32_t i = 0; i < nout; i++)
        out[i] = calloc(1, wc_nn_graph_output(g, i)->size + 1);
    run(c, g, in, out, &err);
    for (uint32_t i = 0; i < MAX_IO; i++) {
        free(in[i]);
        free(out[i]);
    }
    wc_nn_context_free(c);
}

/* Each copy with one 4-byte field overwritten: refused (malformed, or by
 * both backends, Arm NN's crashes among them) or loaded on a backend and
 * run on zero inputs; this process never falls.  Returns how many Arm NN
 * crashed on. */
static int damaged_through_choice(const char *name, const uint8_t *bytes, size_t size,
                                  size_t stride, int *loaded, int *on_armnn)
{
    static const uint32_t hostile[] = {0x00000000u, 0x00000001u, 0xffffffffu, 0x00010000u};
    uint8_t *copy = malloc(size);
    int crashed = 0;
    for (size_t at = 0; at + 4 <= size; at += stride)
        for (size_t v = 0; v < sizeof hostile / sizeof *hostile; v++) {
            memcpy(copy, bytes, size);
            memcpy(copy + at, &hostile[v], 4);
            wc_error err = {0};
            wc_nn_graph *g = NULL;
            int rc = wc_nn_graph_load(copy, size, WC_NN_ENCODING_TENSORFLOWLITE,
                                      WC_NN_TARGET_CPU, &g, &err);
            if (rc) {
                CHECK((rc == WC_EMALFORMED || rc == WC_EBADMODULE || rc == WC_ENOMEM ||
                       rc == WC_ETIMEDOUT) &&
                          err.msg[0],
                      "%s at %zu: code %d: %s", name, at, rc, err.msg);
                crashed += strstr(err.msg, "Arm NN crashed") != NULL;
                continue;
            }
            ++*loaded;
            *on_armnn += strcmp(wc_nn_graph_backend(g), "armnn") == 0;
            run_on_zeros(g);
            wc_nn_graph_free(g);
        }
    free(copy);
    return crashed;
}

static void test_damaged_models(void)
{
    static const char *const paths[] = {MODELS "hello_world_float.tflite",
                                        MODELS "simple_add_model.tflite", SUPPLY_RISK_MODEL};
    int crashed = 0;
    for (size_t k = 0; k < sizeof paths / sizeof *paths; k++) {
        size_t size;
        uint8_t *bytes = read_path(paths[k], &size);
        if (!bytes)
            continue;
        int loaded = 0, on_armnn = 0;
        int n = damaged_through_choice(paths[k], bytes, size, 8, &loaded, &on_armnn);
        printf("%s: damaged copies: %d loaded (%d on Arm NN), %d crashed Arm NN and were "
               "refused\n",
               paths[k], loaded, on_armnn, n);
        crashed += n;
        free(bytes);
    }
    /* hello_world's operators with their inputs cut are among them */
    CHECK(crashed > 0, "no damaged copy crashed Arm NN: the isolation went untested");
    CHECK(waitpid(-1, NULL, WNOHANG) < 0, "a child is left");
}

/* An attempt (a call tried on an event loop's thread, which must not wait)
 * ends at a raw load and at a context on an Arm NN model, to run again on a
 * worker; a context on an XNNPACK model stays in the attempt. */
static int attempted(wc_plugin *p, const char *tool, json_t *args)
{
    wc_call *call = wc_call_new(NULL, &(wc_call_io){.inline_budget_ms = 1000});
    json_t *res = NULL;
    wc_error err = {0};
    int index = wc_manifest_find_tool(wc_plugin_manifest(p), tool);
    int rc = wc_plugin_call_tool(p, (size_t)index, NULL, args, call, &res, &err);
    int stood = rc == 0 && !wc_call_attempt_aborted(call);
    json_decref(res);
    json_decref(args);
    wc_call_free(call);
    return stood;
}

static void test_attempts(void)
{
    wc_error err = {0};
    wc_nn_models *on_xnnpack = wc_nn_models_new(&err), *on_armnn = wc_nn_models_new(&err);
    CHECK(wc_nn_models_add(on_xnnpack, "sine", MODELS "hello_world_float.tflite", NULL, NULL,
                           &err) == 0 &&
              wc_nn_models_add_on(on_armnn, "sine", MODELS "hello_world_float.tflite", NULL, NULL,
                                  "armnn", &err) == 0,
          "sine: %s", err.msg);
    for (int k = 0; k < 2; k++) {
        wc_plugin *p = nn_tool(k ? on_armnn : on_xnnpack);
        if (!p)
            continue;
        CHECK(attempted(p, "sine", NULL) == !k, "sine on %s: the attempt %s", k ? "armnn" : "xnnpack",
              k ? "stood" : "was stopped");
        write_maximum_model(NULL, NULL);
        CHECK(!attempted(p, "load_hex", hex_args(&written)), "a raw load stood in an attempt");
        /* the same calls in full */
        json_t *r = call_tool(p, "sine", NULL);
        CHECK(r && json_integer_value(json_object_get(r, "rc")) == 0 &&
                  llabs(json_integer_value(json_object_get(r, "milli")) - 841) < 100,
              "sine in full: %s", r ? json_dumps(r, JSON_COMPACT) : "null");
        json_decref(r);
        wc_plugin_free(p);
    }
    wc_nn_models_release(on_xnnpack);
    wc_nn_models_release(on_armnn);
}

/* ---- the config's nn.models.NAME.backend ------------------------------- */

static void test_config(const char *dir)
{
    char max_path[512], text[2048];
    wc_error err = {0};
    snprintf(max_path, sizeof max_path, "%s/maximum.tflite", dir);
    write_maximum_model(max_path, NULL);
    snprintf(text, sizeof text,
             "{\"nn\": {\"models\": {\"a\": {\"path\": \"%s\", \"backend\": \"armnn\"},"
             " \"b\": {\"path\": \"%s\", \"backend\": \"auto\"},"
             " \"c\": {\"path\": \"%s\"}}}}",
             MODELS "hello_world_float.tflite", MODELS "hello_world_float.tflite", max_path);
    wc_config c;
    int parsed = wc_config_parse(text, NULL, &c, &err);
    CHECK(parsed == 0, "%s", err.msg);
    if (parsed == 0) {
        const char *const names[] = {"a", "b", "c"}, *const want[] = {"armnn", "xnnpack", "armnn"};
        for (int i = 0; i < 3; i++) {
            wc_nn_graph *g = wc_nn_models_find(c.nn_models, names[i], 1);
            CHECK(g && strcmp(wc_nn_graph_backend(g), want[i]) == 0, "model %s on %s", names[i],
                  g ? wc_nn_graph_backend(g) : "(none)");
        }
        wc_config_free(&c);
    }
    static const struct {
        const char *backend, *says;
    } bad[] = {
        {"\"gpu\"", "nn.models.m: nn: model 'm': 'gpu' is not a backend (auto, xnnpack, armnn)"},
        {"\"xnnpack\"", "nn.models.m: nn: model 'm'"},
        {"7", "nn.models.m.backend"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(text, sizeof text, "{\"nn\": {\"models\": {\"m\": {\"path\": \"%s\", \"backend\": %s}}}}",
                 max_path, bad[i].backend);
        err = (wc_error){0};
        CHECK(wc_config_parse(text, NULL, &c, &err) != 0, "accepted %s", text);
        CHECK(strstr(err.msg, bad[i].says), "%s: \"%s\", want \"%s\"", text, err.msg,
              bad[i].says);
    }

    /* nn.trial_memory: the big model of test_trial_memory fails the config
     * under 32 MiB and names the key; a size out of range is refused; a
     * config without it has the default */
    static tfb big;
    write_big_model(&big);
    char big_path[512];
    snprintf(big_path, sizeof big_path, "%s/big.tflite", dir);
    FILE *f = fopen(big_path, "wb");
    CHECK(f && fwrite(big.b, 1, big.n, f) == big.n, "write %s", big_path);
    if (f)
        fclose(f);
    snprintf(text, sizeof text,
             "{\"nn\": {\"trial_memory\": \"32MiB\", \"models\": {\"big\": {\"path\": \"%s\"}}}}",
             big_path);
    err = (wc_error){0};
    CHECK(wc_config_parse(text, NULL, &c, &err) != 0 &&
              strstr(err.msg, "nn.models.big") &&
              strstr(err.msg, OUT_OF_MEMORY_SAYS(
                                  "32 MiB", "nn: out of memory for a 268435456-byte tensor")),
          "trial_memory 32MiB: %s", err.msg);
    CHECK(wc_nn_trial_memory() == 32ull << 20, "trial memory set: %llu",
          (unsigned long long)wc_nn_trial_memory());
    snprintf(text, sizeof text, "{\"nn\": {\"trial_memory\": \"1MiB\", \"models\": {}}}");
    err = (wc_error){0};
    CHECK(wc_config_parse(text, NULL, &c, &err) != 0 && strstr(err.msg, "nn.trial_memory"),
          "trial_memory 1MiB: %s", err.msg);
    snprintf(text, sizeof text, "{\"nn\": {\"models\": {}}}");
    err = (wc_error){0};
    parsed = wc_config_parse(text, NULL, &c, &err);
    CHECK(parsed == 0 && wc_nn_trial_memory() == WC_NN_TRIAL_MEMORY_DEFAULT,
          "trial memory default again: %s %llu", err.msg, (unsigned long long)wc_nn_trial_memory());
    if (parsed == 0)
        wc_config_free(&c);
}

int main(void)
{
    CHECK(!armnn_mapped(), "Arm NN or libstdc++ is mapped before any model needs it");
    test_isolation();
    test_every_model();
    test_refusal_then_next();
    test_operators_on_both();
    test_fallback_to_armnn();
    CHECK(armnn_mapped(), "Arm NN is not mapped after a model ran on it");
    test_neither_backend();
    test_crashing_model();
    test_trial_memory();
    test_damaged_models();
    test_plugin_next_call();
    test_attempts();
    wc_engine_free(engine);
    char dir[] = "/tmp/test_nn_armnn_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    test_log_and_metrics(dir);
    test_inspect(dir);
    test_config(dir);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0, "%s", cmd);
    printf("%s: %d checks, %d failures\n", failures ? "FAIL" : "ok", checks, failures);
    return failures != 0;
}
