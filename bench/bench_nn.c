/* bench_nn.c -- local inference on the XNNPACK backend (src/nn/backend.h).
 *
 *   bench_nn [--quick] [MODELS_DIR]
 *
 * For each model in MODELS_DIR (default ../shared/models next to the
 * source tree): the time of wc_nn_graph_load (read, check, build the
 * subgraph, pack the weights into the graph's first runtime), of making a
 * context (its input and output buffers: it borrows a runtime only while
 * it computes) and of the first compute on it, each the best of several,
 * then inferences per second (set_input + compute + get_output) with one
 * thread, and with two threads each with its own context on one shared
 * graph (which makes the graph's second runtime).  Inputs are fixed
 * pseudo-random bytes.  Exit status 0, or 1 when a model fails to load or
 * run.
 */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/backend.h"
#include "util/clock.h"
#include "util/fs.h"

typedef struct runner {
    wc_nn_graph *graph;
    uint64_t until_ns;
    uint64_t runs;
    int failed;
} runner;

static int infer(wc_nn_context *c, const wc_nn_graph *g, uint8_t **in, uint8_t *out)
{
    wc_error err = {0};
    for (uint32_t i = 0; i < wc_nn_graph_input_count(g); i++) {
        const wc_nn_tensor_info *t = wc_nn_graph_input(g, i);
        if (wc_nn_set_input(c, i, t->type, t->dims, t->rank, in[i], t->size, &err))
            return -1;
    }
    if (wc_nn_compute(c, &err))
        return -1;
    for (uint32_t i = 0; i < wc_nn_graph_output_count(g); i++)
        if (wc_nn_get_output(c, i, out, wc_nn_graph_output(g, i)->size, NULL, &err))
            return -1;
    return 0;
}

static void *run(void *arg)
{
    runner *r = arg;
    wc_error err = {0};
    wc_nn_context *c;
    uint8_t *in[8] = {0}, *out;
    size_t out_max = 0;
    if (wc_nn_context_new(r->graph, &c, &err)) {
        r->failed = 1;
        return NULL;
    }
    for (uint32_t i = 0; i < wc_nn_graph_input_count(r->graph) && i < 8; i++) {
        size_t size = wc_nn_graph_input(r->graph, i)->size;
        in[i] = malloc(size);
        for (size_t k = 0; k < size; k++)
            in[i][k] = (uint8_t)(k * 2654435761u >> 24);
    }
    for (uint32_t i = 0; i < wc_nn_graph_output_count(r->graph); i++)
        if (wc_nn_graph_output(r->graph, i)->size > out_max)
            out_max = wc_nn_graph_output(r->graph, i)->size;
    out = malloc(out_max);
    do {
        for (int k = 0; k < 16; k++)
            if (infer(c, r->graph, in, out)) {
                r->failed = 1;
                break;
            }
        r->runs += 16;
    } while (!r->failed && wc_monotonic_ns() < r->until_ns);
    for (int i = 0; i < 8; i++)
        free(in[i]);
    free(out);
    wc_nn_context_free(c);
    return NULL;
}

/* Inferences per second on nthreads threads sharing g. */
static double throughput(wc_nn_graph *g, int nthreads, double seconds, int *failed)
{
    runner r[2];
    pthread_t t[2];
    uint64_t start = wc_monotonic_ns();
    for (int i = 0; i < nthreads; i++) {
        r[i] = (runner){.graph = g, .until_ns = start + (uint64_t)(seconds * 1e9)};
        pthread_create(&t[i], NULL, run, &r[i]);
    }
    uint64_t runs = 0;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(t[i], NULL);
        runs += r[i].runs;
        *failed |= r[i].failed;
    }
    return (double)runs / ((double)(wc_monotonic_ns() - start) / 1e9);
}

static int bench_model(const char *dir, const char *name, int quick)
{
    char path[1024];
    uint8_t *bytes;
    size_t size;
    snprintf(path, sizeof path, "%s/%s.tflite", dir, name);
    if (wc_read_file(path, 0, &bytes, &size)) {
        printf("%-20s (missing: %s)\n", name, path);
        return 1;
    }
    wc_error err = {0};
    wc_nn_graph *g = NULL;
    double load_ms = 1e30, ctx_us = 1e30, first_us = 1e30;
    for (int i = 0; i < (quick ? 2 : 7); i++) {
        wc_nn_graph *tmp;
        wc_nn_context *ctx = NULL;
        uint8_t *in[8] = {0}, *out = NULL;
        uint64_t t0 = wc_monotonic_ns();
        int rc = wc_nn_graph_load(bytes, size, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU,
                                  &tmp, &err);
        uint64_t t1 = wc_monotonic_ns();
        rc = rc ? rc : wc_nn_context_new(tmp, &ctx, &err);
        uint64_t t2 = wc_monotonic_ns();
        for (uint32_t k = 0; rc == 0 && k < wc_nn_graph_input_count(tmp) && k < 8; k++)
            in[k] = calloc(1, wc_nn_graph_input(tmp, k)->size);
        size_t out_max = 1;
        for (uint32_t k = 0; rc == 0 && k < wc_nn_graph_output_count(tmp); k++)
            if (wc_nn_graph_output(tmp, k)->size > out_max)
                out_max = wc_nn_graph_output(tmp, k)->size;
        out = malloc(out_max);
        uint64_t t3 = wc_monotonic_ns();
        rc = rc ? rc : infer(ctx, tmp, in, out) ? WC_EIO : 0;
        uint64_t t4 = wc_monotonic_ns();
        for (int k = 0; k < 8; k++)
            free(in[k]);
        free(out);
        wc_nn_context_free(ctx);
        if (g)
            wc_nn_graph_free(g);
        g = rc ? NULL : tmp;
        if (rc) {
            printf("%-20s failed: %s\n", name, wc_error_message(&err));
            free(bytes);
            return 1;
        }
        load_ms = fmin(load_ms, (double)(t1 - t0) / 1e6);
        ctx_us = fmin(ctx_us, (double)(t2 - t1) / 1e3);
        first_us = fmin(first_us, (double)(t4 - t3) / 1e3);
    }
    free(bytes);
    int failed = 0;
    double seconds = quick ? 0.2 : 2.0;
    double one = throughput(g, 1, seconds, &failed);
    double two = throughput(g, 2, seconds, &failed);
    printf("%-20s %9.3f %9.2f %12.1f %12.0f %10.1f %12.0f %6.2fx\n", name, load_ms, ctx_us,
           first_us, one, 1e6 / one, two, two / one);
    wc_nn_graph_free(g);
    return failed;
}

int main(int argc, char **argv)
{
    int quick = 0;
    const char *dir = WC_SOURCE_DIR "/../shared/models";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else
            dir = argv[i];
    }
    static const char *const models[] = {"hello_world_float", "hello_world_int8",
                                         "simple_add_model", "person_detect"};
    printf("%-20s %9s %9s %12s %12s %10s %12s %7s\n", "model", "load ms", "ctx us",
           "1st inf us", "inf/s 1 thr", "us/inf", "inf/s 2 thr", "2/1");
    int failed = 0;
    for (size_t i = 0; i < sizeof models / sizeof *models; i++)
        failed |= bench_model(dir, models[i], quick);
    return failed;
}
