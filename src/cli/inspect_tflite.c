/* inspect_tflite.c -- `wasmcap inspect FILE.tflite`: a TensorFlow Lite
 * model's inputs, outputs and operators, which of issue 13's backend paths
 * runs each operator, and the backend a load chooses for the model. */
#include "cli/inspect_tflite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/backend.h"
#include "nn/tflite.h"

/* Names come from the file: control bytes would reach the terminal. */
static void print_text(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x20 && *p < 0x7f && *p != '\\')
            putchar(*p);
        else
            printf("\\x%02x", *p);
    }
}

static void print_shape(const wc_tflite_tensor *t)
{
    printf("[");
    for (uint32_t d = 0; d < t->rank; d++)
        printf("%s%d", d ? "," : "", t->shape[d]);
    printf("]");
}

static void print_tensor(const wc_tflite_model *m, int32_t index)
{
    const wc_tflite_tensor *t = &m->tensors[index];
    printf("  %d ", index);
    print_text(t->name);
    printf(": %s ", wc_tflite_type_name(t->type));
    print_shape(t);
    if (t->quant.count == 1)
        printf(" quantized: scale %g, zero point %lld", (double)t->quant.scale[0],
               (long long)t->quant.zero_point[0]);
    else if (t->quant.count > 1)
        printf(" quantized per channel along dimension %d: %u scales", t->quant.dimension,
               t->quant.count);
    printf("\n");
}

static void print_indices(const char *label, const int32_t *v, uint32_t n)
{
    printf(" %s [", label);
    for (uint32_t i = 0; i < n; i++)
        printf("%s%d", i ? "," : "", v[i]);
    printf("]");
}

static int by_kind(const void *a, const void *b)
{
    const wc_tflite_operator *x = *(const wc_tflite_operator *const *)a;
    const wc_tflite_operator *y = *(const wc_tflite_operator *const *)b;
    if (x->code != y->code)
        return x->code < y->code ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* One line per kind of operator, with its count and path; returns how many
 * operators no path covers, or -1 out of memory. */
static long print_kinds(const wc_tflite_model *m)
{
    const wc_tflite_operator **sorted =
        malloc((m->noperators ? m->noperators : 1) * sizeof *sorted);
    if (!sorted)
        return -1;
    for (uint32_t i = 0; i < m->noperators; i++)
        sorted[i] = &m->operators[i];
    qsort(sorted, m->noperators, sizeof *sorted, by_kind);
    long uncovered = 0;
    printf("operators by kind:\n");
    for (uint32_t i = 0, run; i < m->noperators; i += run) {
        for (run = 1; i + run < m->noperators && by_kind(&sorted[i], &sorted[i + run]) == 0; run++)
            ;
        bool own = false, xnnpack = false, none = false;
        for (uint32_t k = i; k < i + run; k++) {
            wc_tflite_path path = wc_tflite_operator_path(m, sorted[k]);
            xnnpack |= path == WC_TFLITE_PATH_XNNPACK;
            own |= path == WC_TFLITE_PATH_OWN_KERNEL;
            if (path == WC_TFLITE_PATH_NONE) {
                none = true;
                uncovered++;
            }
        }
        printf("  ");
        print_text(sorted[i]->name);
        printf(": %u (%s%s%s)\n", run, xnnpack ? "xnnpack" : "",
               xnnpack && own ? ", own kernel"
               : own          ? "own kernel"
                              : "",
               none ? "not covered" : "");
    }
    free(sorted);
    return uncovered;
}

/* The backend a load chooses, and why: the model is loaded as a server
 * would load it (on Arm NN, tried in a child process first). */
static void print_backend(const uint8_t *bytes, size_t size)
{
    wc_nn_graph *g;
    wc_error err = {0};
    if (wc_nn_graph_load(bytes, size, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU, &g, &err)) {
        printf("backend: none (the model is refused at load: ");
        print_text(wc_error_message(&err));
        printf(")\n");
        return;
    }
    printf("backend: %s (", wc_nn_graph_backend(g));
    print_text(wc_nn_graph_backend_reason(g));
    printf(")\n");
    wc_nn_graph_free(g);
}

int wc_inspect_tflite(const char *path, const uint8_t *bytes, size_t size)
{
    wc_tflite_model *m;
    wc_error err;
    printf("file: %s (%zu bytes)\n", path, size);
    if (wc_tflite_read(bytes, size, &m, &err)) {
        printf("format: TensorFlow Lite model\nvalid: no\nerror: ");
        print_text(err.msg);
        printf("\n");
        return 1;
    }
    printf("format: TensorFlow Lite model (schema version %u)\nvalid: yes\n", m->version);
    if (m->description[0]) {
        printf("description: ");
        print_text(m->description);
        printf("\n");
    }
    printf("subgraphs: %u (subgraph 0", m->nsubgraphs);
    if (m->subgraph_name[0]) {
        printf(" \"");
        print_text(m->subgraph_name);
        printf("\"");
    }
    printf(" is the one run)\n");
    printf("tensors: %u\nbuffers: %u\n", m->ntensors, m->nbuffers);
    printf("inputs: %u\n", m->ninputs);
    for (uint32_t i = 0; i < m->ninputs; i++)
        print_tensor(m, m->inputs[i]);
    printf("outputs: %u\n", m->noutputs);
    for (uint32_t i = 0; i < m->noutputs; i++)
        print_tensor(m, m->outputs[i]);
    printf("operators: %u\n", m->noperators);
    for (uint32_t i = 0; i < m->noperators; i++) {
        const wc_tflite_operator *op = &m->operators[i];
        printf("  %u ", i);
        print_text(op->name);
        printf(" (code %d, version %d):", op->code, op->version);
        print_indices("in", op->inputs, op->ninputs);
        print_indices("out", op->outputs, op->noutputs);
        printf(" -- %s\n", wc_tflite_path_name(wc_tflite_operator_path(m, op)));
    }
    long uncovered = print_kinds(m);
    if (uncovered < 0) {
        fprintf(stderr, "wasmcap inspect: out of memory\n");
        wc_tflite_free(m);
        return 1;
    }
    if (uncovered)
        printf("coverage: %ld of %u operators are on neither the XNNPACK path nor an own kernel\n",
               uncovered, m->noperators);
    else
        printf("coverage: every operator is on the XNNPACK path or an own kernel\n");
    wc_tflite_free(m);
    print_backend(bytes, size);
    return 0;
}
