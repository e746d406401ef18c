/* xnnpack.c -- the TFLite-on-XNNPACK backend behind backend.h.
 *
 * This XNNPACK snapshot has no weights cache: a runtime packs the weights
 * when it is made, which is most of a load's cost, and a runtime is mutable
 * while it runs.  So a graph keeps a pool of idle runtimes: a context takes
 * one (or makes one if the pool is empty) for its whole life and gives it
 * back when freed, and a runtime is never used by two contexts at once.
 * Load makes the first one, so that a model XNNPACK refuses is refused at
 * load and the first context is cheap.  Runtimes run on the caller's thread
 * (no thread pool): parallelism comes from contexts on different threads.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nn/backend_ops.h"
#include "nn/tflite.h"
#include "nn/xnnpack_build.h"

typedef struct xnn_graph {
    wc_tflite_model *model;
    pthread_mutex_t lock;
    xnn_runtime_t *idle; /* the pool */
    size_t nidle, cap;
} xnn_graph;

typedef struct xnn_context {
    xnn_graph *graph;
    xnn_runtime_t runtime;
    uint32_t nvalues;
    void **buffers; /* inputs then outputs, XNN_EXTRA_BYTES longer as XNNPACK reads past */
} xnn_context;

static int make_runtime(xnn_graph *g, xnn_runtime_t *out, wc_error *err)
{
    xnn_subgraph_t sg;
    int rc = wc_xnn_build(g->model, &sg, err);
    if (rc)
        return rc;
    enum xnn_status st = xnn_create_runtime_v2(sg, NULL, 0, out);
    xnn_delete_subgraph(sg);
    if (st != xnn_status_success)
        return wc_error_set(err, st == xnn_status_out_of_memory ? WC_ENOMEM : WC_EBADMODULE,
                            "nn: XNNPACK cannot make a runtime of the model (status %d)", (int)st);
    return 0;
}

static int pool_put(xnn_graph *g, xnn_runtime_t rt)
{
    pthread_mutex_lock(&g->lock);
    if (g->nidle == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 4;
        xnn_runtime_t *idle = realloc(g->idle, cap * sizeof *idle);
        if (!idle) {
            pthread_mutex_unlock(&g->lock);
            xnn_delete_runtime(rt);
            return WC_ENOMEM;
        }
        g->idle = idle;
        g->cap = cap;
    }
    g->idle[g->nidle++] = rt;
    pthread_mutex_unlock(&g->lock);
    return 0;
}

static xnn_runtime_t pool_take(xnn_graph *g)
{
    xnn_runtime_t rt = NULL;
    pthread_mutex_lock(&g->lock);
    if (g->nidle)
        rt = g->idle[--g->nidle];
    pthread_mutex_unlock(&g->lock);
    return rt;
}

static int describe(const wc_tflite_tensor *t, wc_nn_tensor_info *info, wc_error *err)
{
    memset(info, 0, sizeof *info);
    switch (t->type) {
    case WC_TFLITE_FLOAT32:
        info->type = WC_NN_F32;
        break;
    case WC_TFLITE_INT8:
        info->is_int8 = 1;
        info->type = WC_NN_U8;
        break;
    case WC_TFLITE_UINT8:
        info->type = WC_NN_U8;
        break;
    default:
        return wc_error_set(err, WC_EBADMODULE, "nn: a graph input or output of type %s",
                            wc_tflite_type_name(t->type));
    }
    info->rank = t->rank;
    size_t n = wc_tflite_type_bits(t->type) / 8;
    for (uint32_t i = 0; i < t->rank; i++) {
        info->dims[i] = (uint32_t)t->shape[i];
        n *= (size_t)t->shape[i];
    }
    info->size = n;
    return 0;
}

static void graph_free(void *impl)
{
    xnn_graph *g = impl;
    if (!g)
        return;
    for (size_t i = 0; i < g->nidle; i++)
        xnn_delete_runtime(g->idle[i]);
    free(g->idle);
    pthread_mutex_destroy(&g->lock);
    wc_tflite_free(g->model);
    free(g);
}

static int load(const uint8_t *bytes, size_t size, void **out, uint32_t *ninputs,
                wc_nn_tensor_info **inputs, uint32_t *noutputs, wc_nn_tensor_info **outputs,
                wc_error *err)
{
    int rc = wc_xnn_init(err);
    if (rc)
        return rc;
    xnn_graph *g = calloc(1, sizeof *g);
    if (!g)
        return wc_error_set(err, WC_ENOMEM, "nn: out of memory loading a model");
    pthread_mutex_init(&g->lock, NULL);
    char why[512];
    if (wc_tflite_read(bytes, size, &g->model, why, sizeof why) < 0) {
        graph_free(g);
        return wc_error_set(err, WC_EMALFORMED, "%s", why);
    }
    const wc_tflite_model *m = g->model;
    *inputs = calloc((size_t)m->ninputs + 1, sizeof **inputs);
    *outputs = calloc((size_t)m->noutputs + 1, sizeof **outputs);
    if (!*inputs || !*outputs)
        rc = wc_error_set(err, WC_ENOMEM, "nn: out of memory loading a model");
    for (uint32_t i = 0; rc == 0 && i < m->ninputs; i++)
        rc = describe(&m->tensors[m->inputs[i]], &(*inputs)[i], err);
    for (uint32_t i = 0; rc == 0 && i < m->noutputs; i++)
        rc = describe(&m->tensors[m->outputs[i]], &(*outputs)[i], err);
    xnn_runtime_t rt;
    if (rc == 0 && (rc = make_runtime(g, &rt, err)) == 0 && pool_put(g, rt) < 0)
        rc = wc_error_set(err, WC_ENOMEM, "nn: out of memory loading a model");
    if (rc) {
        free(*inputs);
        free(*outputs);
        *inputs = *outputs = NULL;
        graph_free(g);
        return rc;
    }
    *ninputs = m->ninputs;
    *noutputs = m->noutputs;
    *out = g;
    return 0;
}

static void context_free(void *graph, void *impl)
{
    xnn_context *c = impl;
    (void)graph;
    if (!c)
        return;
    if (c->runtime)
        pool_put(c->graph, c->runtime);
    for (uint32_t i = 0; c->buffers && i < c->nvalues; i++)
        free(c->buffers[i]);
    free(c->buffers);
    free(c);
}

static int context_new(void *graph, void **out, void **inputs, void **outputs, wc_error *err)
{
    xnn_graph *g = graph;
    const wc_tflite_model *m = g->model;
    xnn_context *c = calloc(1, sizeof *c);
    uint32_t n = m->ninputs + m->noutputs;
    struct xnn_external_value *ext = calloc((size_t)n + 1, sizeof *ext);
    if (!c || !ext || !(c->buffers = calloc((size_t)n + 1, sizeof *c->buffers))) {
        free(c);
        free(ext);
        return wc_error_set(err, WC_ENOMEM, "nn: out of memory making an execution context");
    }
    c->graph = g;
    c->nvalues = n;
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        int32_t t = i < m->ninputs ? m->inputs[i] : m->outputs[i - m->ninputs];
        size_t size = wc_tflite_type_bits(m->tensors[t].type) / 8;
        for (uint32_t d = 0; d < m->tensors[t].rank; d++)
            size *= (size_t)m->tensors[t].shape[d];
        c->buffers[i] = calloc(1, size + XNN_EXTRA_BYTES);
        if (!c->buffers[i])
            rc = wc_error_set(err, WC_ENOMEM, "nn: out of memory for a %zu-byte tensor", size);
        ext[i] = (struct xnn_external_value){.id = i, .data = c->buffers[i]};
    }
    if (rc == 0 && !(c->runtime = pool_take(g)))
        rc = make_runtime(g, &c->runtime, err);
    if (rc == 0) {
        enum xnn_status st = xnn_setup_runtime(c->runtime, n, ext);
        if (st != xnn_status_success)
            rc = wc_error_set(err, WC_EIO, "nn: XNNPACK cannot set up a runtime (status %d)",
                              (int)st);
    }
    free(ext);
    if (rc) {
        context_free(g, c);
        return rc;
    }
    for (uint32_t i = 0; i < m->ninputs; i++)
        inputs[i] = c->buffers[i];
    for (uint32_t i = 0; i < m->noutputs; i++)
        outputs[i] = c->buffers[m->ninputs + i];
    *out = c;
    return 0;
}

static int compute(void *impl, wc_error *err)
{
    xnn_context *c = impl;
    enum xnn_status st = xnn_invoke_runtime(c->runtime);
    if (st != xnn_status_success)
        return wc_error_set(err, WC_EIO, "nn: XNNPACK failed running the model (status %d)",
                            (int)st);
    return 0;
}

const wc_nn_backend wc_nn_xnnpack_backend = {
    .name = "xnnpack",
    .load = load,
    .graph_free = graph_free,
    .context_new = context_new,
    .context_free = context_free,
    .compute = compute,
};
