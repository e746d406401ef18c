/* bench_nn_armnn.c -- per-inference latency of each model on the XNNPACK
 * path against Arm NN CpuRef, side by side in one run.
 *
 *   bench_nn_armnn [--quick] [MODELS_DIR]
 *
 * For each model of MODELS_DIR (default ../shared/models next to the source
 * tree), the supply-risk model of the plugins' build, and two MobileNet-
 * shaped convnets written here (96x96x3, f32 and int8; the shared models
 * have one conv model, which Arm NN 20.08 refuses): the median time of one
 * inference (set_input + compute + get_output) on
 *   xnnpack   the XNNPACK path through backend.h (forced),
 *   armnn     Arm NN through backend.h, the shim wasmcap serves it with,
 *   native    Arm NN called directly by bench/armnn_native (C++, no wasmcap),
 * each after one warm-up inference, then the ratios native / xnnpack and
 * armnn / native (the shim's cost), and the time of one load on each (on
 * Arm NN through wasmcap: the trial in a child process, then the load).  Iterations: as many as fit in about a
 * second per backend (at least 3, at most 2000; --quick: a tenth).  Exit
 * status 0, or 1 when a model fails where it should run.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tests/tflite_model_spec.h"
#include "nn/backend.h"
#include "util/clock.h"
#include "util/fs.h"

#define MAX_MODELS 32

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median microseconds of one inference on backend choice, and how
 * many iterations that took (*iterations in: at most; 0 to decide from a
 * time budget).  Returns -1 when the model does not load or run there
 * (why says so). */
static double median_us(const uint8_t *bytes, size_t size, wc_nn_backend_choice choice,
                        int budget_ms, int *iterations, double *load_ms, char *why,
                        size_t why_size)
{
    wc_error err = {0};
    wc_nn_graph *g;
    wc_nn_context *c = NULL;
    uint64_t t0 = wc_monotonic_ns();
    if (wc_nn_graph_load_on(bytes, size, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU, choice,
                            &g, &err)) {
        snprintf(why, why_size, "%.400s", err.msg);
        return -1;
    }
    *load_ms = (double)(wc_monotonic_ns() - t0) / 1e6;
    uint8_t *in[8] = {0}, *out = NULL;
    size_t out_max = 1;
    uint32_t nin = wc_nn_graph_input_count(g), nout = wc_nn_graph_output_count(g);
    for (uint32_t i = 0; i < nout; i++)
        if (wc_nn_graph_output(g, i)->size > out_max)
            out_max = wc_nn_graph_output(g, i)->size;
    out = malloc(out_max);
    for (uint32_t i = 0; i < nin && i < 8; i++) {
        const wc_nn_tensor_info *t = wc_nn_graph_input(g, i);
        in[i] = malloc(t->size + 1);
        for (size_t k = 0; k < t->size; k++)
            in[i][k] = (uint8_t)nnref_random();
        for (size_t k = 0; t->type == WC_NN_F32 && k + 4 <= t->size; k += 4) {
            float f = (float)(k % 61) / 10.0f - 3.0f;
            memcpy(in[i] + k, &f, 4);
        }
    }
    double result = -1;
    int max = *iterations ? *iterations : 2000, done = 0;
    double *times = malloc((size_t)max * sizeof *times);
    if (nin > 8 || wc_nn_context_new(g, &c, &err)) {
        snprintf(why, why_size, "%.400s", nin > 8 ? "more than 8 inputs" : err.msg);
        goto out;
    }
    uint64_t until = wc_monotonic_ns() + (uint64_t)budget_ms * 1000000;
    for (int round = -1; round < max; round++) {
        uint64_t t0 = wc_monotonic_ns();
        int rc = 0;
        for (uint32_t i = 0; rc == 0 && i < nin; i++) {
            const wc_nn_tensor_info *t = wc_nn_graph_input(g, i);
            rc = wc_nn_set_input(c, i, t->type, t->dims, t->rank, in[i], t->size, &err);
        }
        if (rc == 0)
            rc = wc_nn_compute(c, &err);
        for (uint32_t i = 0; rc == 0 && i < nout; i++)
            rc = wc_nn_get_output(c, i, out, out_max, NULL, &err);
        if (rc) {
            snprintf(why, why_size, "%.400s", err.msg);
            goto out;
        }
        if (round < 0)
            continue; /* warm-up */
        times[done++] = (double)(wc_monotonic_ns() - t0) / 1000;
        if (!*iterations && done >= 3 && wc_monotonic_ns() > until)
            break;
    }
    qsort(times, (size_t)done, sizeof *times, cmp_double);
    result = times[done / 2];
    *iterations = done;
out:
    for (int i = 0; i < 8; i++)
        free(in[i]);
    free(out);
    free(times);
    wc_nn_context_free(c);
    wc_nn_graph_free(g);
    return result;
}

/* bench/armnn_native on the file: its median and its load time, or -1
 * (why says so). */
static double native_us(const char *path, int iterations, double *load_ms, char *why,
                        size_t why_size)
{
    char cmd[1200], line[600] = "";
    snprintf(cmd, sizeof cmd, "'%s' '%s' %d 2>&1", WC_ARMNN_NATIVE, path, iterations);
    FILE *p = popen(cmd, "r");
    if (!p) {
        snprintf(why, why_size, "cannot run %s", WC_ARMNN_NATIVE);
        return -1;
    }
    if (!fgets(line, sizeof line, p))
        line[0] = 0;
    pclose(p);
    double median, mean;
    if (sscanf(line, "ok %lf %lf %lf", load_ms, &median, &mean) == 3)
        return median;
    line[strcspn(line, "\n")] = 0;
    snprintf(why, why_size, "%.400s", strncmp(line, "refused ", 8) == 0 ? line + 8 : line);
    return -1;
}

static void cell(double us)
{
    if (us < 0)
        printf(" %12s |", "refused");
    else
        printf(" %12.2f |", us);
}

/* One model: returns 1 when it failed on the XNNPACK path. */
static int bench_model(const char *name, const char *path, int budget_ms)
{
    uint8_t *bytes = NULL;
    size_t size = 0;
    if (wc_read_file(path, 0, &bytes, &size)) {
        printf("| %-28s | cannot read %s\n", name, path);
        return 1;
    }
    char why_x[512] = "", why_a[512] = "", why_n[512] = "";
    int nx = 0, na = 0;
    double lx = 0, la = 0, ln = 0;
    double x = median_us(bytes, size, WC_NN_BACKEND_XNNPACK, budget_ms, &nx, &lx, why_x,
                         sizeof why_x);
    double a = median_us(bytes, size, WC_NN_BACKEND_ARMNN, budget_ms, &na, &la, why_a,
                         sizeof why_a);
    double n = native_us(path, na ? na : 3, &ln, why_n, sizeof why_n);
    printf("| %-28s |", name);
    cell(x);
    cell(a);
    cell(n);
    if (x > 0 && n > 0)
        printf(" %9.1fx |", n / x);
    else
        printf(" %10s |", "-");
    if (a > 0 && n > 0)
        printf(" %8.2f | %5d / %5d | %.2f / %.2f / %.2f\n", a / n, nx, na, lx, la, ln);
    else
        printf(" %8s | %5d / %5d | %.2f / - / -\n", "-", nx, na, lx);
    if (x < 0)
        printf("    xnnpack: %s\n", why_x);
    if (a < 0)
        printf("    armnn: %s\n", why_a);
    else if (n < 0)
        printf("    native: %s\n", why_n);
    free(bytes);
    return x < 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    int quick = 0;
    const char *dir = WC_SOURCE_DIR "/../shared/models";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            printf("usage: bench_nn_armnn [--quick] [MODELS_DIR]\n\n"
                   "Median per-inference latency of each .tflite model of MODELS_DIR (default\n"
                   "../shared/models), the supply-risk model and two convnets written here, on\n"
                   "the XNNPACK path, on Arm NN CpuRef through wasmcap's shim, and on Arm NN\n"
                   "called directly by bench/armnn_native; with the ratios.\n");
            return 0;
        } else
            dir = argv[i];
    }
    int budget_ms = quick ? 100 : 1000, failed = 0;
    char *names[MAX_MODELS];
    size_t count = 0;
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "bench_nn_armnn: cannot list %s\n", dir);
        return 1;
    }
    for (struct dirent *e; (e = readdir(d)) && count < MAX_MODELS;) {
        size_t len = strlen(e->d_name);
        if (len > 7 && strcmp(e->d_name + len - 7, ".tflite") == 0)
            names[count++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, count, sizeof *names, by_name);

    printf("| model                        | xnnpack (us) |   armnn (us) |  native (us) | native/xnn | armn/nat | iterations x / a | load ms x / a / native\n"
           "|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < count; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        failed |= bench_model(names[i], path, budget_ms);
        free(names[i]);
    }
    failed |= bench_model("supply-risk.tflite",
                          WC_SOURCE_DIR "/plugins/supply-risk/model/supply-risk.tflite", budget_ms);
    static spec s;
    static tfb written_model;
    for (int int8 = 0; int8 < 2; int8++) {
        char path[] = "/tmp/bench_nn_armnn_XXXXXX";
        int fd = mkstemp(path);
        spec_convnet(&s, 96, int8);
        tmw_write(&written_model, &s.m);
        if (fd < 0 || write(fd, written_model.b, written_model.n) != (ssize_t)written_model.n) {
            fprintf(stderr, "bench_nn_armnn: cannot write %s\n", path);
            return 1;
        }
        close(fd);
        failed |= bench_model(int8 ? "convnet 96x96 int8 (written)" : "convnet 96x96 f32 (written)",
                              path, budget_ms);
        unlink(path);
    }
    return failed;
}
