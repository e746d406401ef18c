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
 *
 * A model with operators XNNPACK lacks runs as a plan (xnnpack_plan.h):
 * one runtime per XNNPACK segment, the project's kernels between them, all
 * on the context's buffers for the tensors the steps exchange; the pool
 * then holds sets of runtimes, one per segment.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nn/backend_ops.h"
#include "nn/kernels.h"
#include "nn/tflite.h"
#include "nn/xnnpack_build.h"
#include "nn/xnnpack_plan.h"

typedef struct xnn_graph {
    wc_tflite_model *model;
    wc_xnn_plan *plan;
    pthread_mutex_t lock;
    xnn_runtime_t **idle; /* the pool: runtime sets, one runtime per segment */
    size_t nidle, cap;
} xnn_graph;

typedef struct xnn_context {
    xnn_graph *graph;
    xnn_runtime_t *runtimes; /* per step; NULL for an own kernel */
    void **buffers; /* per tensor: those the steps or the caller exchange, XNN_EXTRA_BYTES
                     * longer as XNNPACK reads past; NULL for the others */
} xnn_context;

static void free_runtimes(const xnn_graph *g, xnn_runtime_t *set)
{
    for (uint32_t s = 0; set && s < g->plan->nsteps; s++)
        if (set[s])
            xnn_delete_runtime(set[s]);
    free(set);
}

static int make_runtimes(xnn_graph *g, xnn_runtime_t **out, wc_error *err)
{
    xnn_runtime_t *set = calloc((size_t)g->plan->nsteps + 1, sizeof *set);
    if (!set)
        return wc_error_set(err, WC_ENOMEM, "nn: out of memory making XNNPACK runtimes");
    int rc = 0;
    for (uint32_t s = 0; rc == 0 && s < g->plan->nsteps; s++) {
        if (g->plan->steps[s].own)
            continue;
        xnn_subgraph_t sg;
        rc = wc_xnn_build(g->model, g->plan, s, &sg, err);
        if (rc)
            break;
        enum xnn_status st = xnn_create_runtime_v2(sg, NULL, 0, &set[s]);
        xnn_delete_subgraph(sg);
        if (st != xnn_status_success) {
            set[s] = NULL;
            rc = wc_error_set(err, st == xnn_status_out_of_memory ? WC_ENOMEM : WC_EBADMODULE,
                              "nn: XNNPACK cannot make a runtime of the model (status %d)",
                              (int)st);
        }
    }
    if (rc) {
        free_runtimes(g, set);
        return rc;
    }
    *out = set;
    return 0;
}

static int pool_put(xnn_graph *g, xnn_runtime_t *set)
{
    pthread_mutex_lock(&g->lock);
    if (g->nidle == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 4;
        xnn_runtime_t **idle = realloc(g->idle, cap * sizeof *idle);
        if (!idle) {
            pthread_mutex_unlock(&g->lock);
            free_runtimes(g, set);
            return WC_ENOMEM;
        }
        g->idle = idle;
        g->cap = cap;
    }
    g->idle[g->nidle++] = set;
    pthread_mutex_unlock(&g->lock);
    return 0;
}

static xnn_runtime_t *pool_take(xnn_graph *g)
{
    xnn_runtime_t *set = NULL;
    pthread_mutex_lock(&g->lock);
    if (g->nidle)
        set = g->idle[--g->nidle];
    pthread_mutex_unlock(&g->lock);
    return set;
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
        free_runtimes(g, g->idle[i]);
    free(g->idle);
    wc_xnn_plan_free(g->plan);
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
    if ((rc = wc_tflite_read(bytes, size, &g->model, err)) < 0) {
        graph_free(g);
        return rc;
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
    if (rc == 0)
        rc = wc_xnn_plan_make(m, &g->plan, err);
    xnn_runtime_t *set;
    if (rc == 0 && (rc = make_runtimes(g, &set, err)) == 0 && pool_put(g, set) < 0)
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
    if (c->runtimes)
        pool_put(c->graph, c->runtimes);
    for (uint32_t t = 0; c->buffers && t < c->graph->model->ntensors; t++)
        free(c->buffers[t]);
    free(c->buffers);
    free(c);
}

static int add_buffer(xnn_context *c, int32_t t, wc_error *err)
{
    const wc_tflite_tensor *tensor = &c->graph->model->tensors[t];
    if (c->buffers[t])
        return 0;
    size_t size = wc_tflite_type_bits(tensor->type) / 8;
    for (uint32_t d = 0; d < tensor->rank; d++)
        size *= (size_t)tensor->shape[d];
    c->buffers[t] = calloc(1, size + XNN_EXTRA_BYTES);
    if (!c->buffers[t])
        return wc_error_set(err, WC_ENOMEM, "nn: out of memory for a %zu-byte tensor", size);
    return 0;
}

/* Points each segment's runtime at the context's buffers, once. */
static int set_up(xnn_context *c, wc_error *err)
{
    const wc_xnn_plan *p = c->graph->plan;
    for (uint32_t s = 0; s < p->nsteps; s++) {
        const wc_xnn_step *st = &p->steps[s];
        if (st->own)
            continue;
        uint32_t n = st->nin + st->nout;
        struct xnn_external_value *ext = calloc((size_t)n + 1, sizeof *ext);
        if (!ext)
            return wc_error_set(err, WC_ENOMEM, "nn: out of memory making an execution context");
        for (uint32_t i = 0; i < n; i++)
            ext[i] = (struct xnn_external_value){.id = i, .data = c->buffers[st->external[i]]};
        enum xnn_status status = xnn_setup_runtime(c->runtimes[s], n, ext);
        free(ext);
        if (status != xnn_status_success)
            return wc_error_set(err, WC_EIO, "nn: XNNPACK cannot set up a runtime (status %d)",
                                (int)status);
    }
    return 0;
}

static int context_new(void *graph, void **out, void **inputs, void **outputs, wc_error *err)
{
    xnn_graph *g = graph;
    const wc_tflite_model *m = g->model;
    xnn_context *c = calloc(1, sizeof *c);
    if (!c || !(c->buffers = calloc((size_t)m->ntensors + 1, sizeof *c->buffers))) {
        free(c);
        return wc_error_set(err, WC_ENOMEM, "nn: out of memory making an execution context");
    }
    c->graph = g;
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < m->ninputs; i++)
        rc = add_buffer(c, m->inputs[i], err);
    for (uint32_t i = 0; rc == 0 && i < m->noutputs; i++)
        rc = add_buffer(c, m->outputs[i], err);
    for (uint32_t s = 0; rc == 0 && s < g->plan->nsteps; s++)
        for (uint32_t i = 0; rc == 0 && i < g->plan->steps[s].nin + g->plan->steps[s].nout; i++)
            rc = add_buffer(c, g->plan->steps[s].external[i], err);
    if (rc == 0 && !(c->runtimes = pool_take(g)))
        rc = make_runtimes(g, &c->runtimes, err);
    if (rc == 0)
        rc = set_up(c, err);
    if (rc) {
        context_free(g, c);
        return rc;
    }
    for (uint32_t i = 0; i < m->ninputs; i++)
        inputs[i] = c->buffers[m->inputs[i]];
    for (uint32_t i = 0; i < m->noutputs; i++)
        outputs[i] = c->buffers[m->outputs[i]];
    *out = c;
    return 0;
}

static int compute(void *impl, wc_error *err)
{
    xnn_context *c = impl;
    const wc_xnn_plan *p = c->graph->plan;
    for (uint32_t s = 0; s < p->nsteps; s++) {
        const wc_xnn_step *st = &p->steps[s];
        if (st->own) {
            int rc = wc_nn_kernel_run(c->graph->model, &c->graph->model->operators[st->first],
                                      c->buffers, err);
            if (rc)
                return rc;
            continue;
        }
        enum xnn_status status = xnn_invoke_runtime(c->runtimes[s]);
        if (status != xnn_status_success)
            return wc_error_set(err, WC_EIO, "nn: XNNPACK failed running the model (status %d)",
                                (int)status);
    }
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
