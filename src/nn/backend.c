/* backend.c -- backend.h's interface: the choice of backend by encoding
 * (backend_route.c chooses among TFLite's), the checks every backend relies
 * on, and the inference counts. */
#include "nn/backend.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/backend_ops.h"
#include "nn/backend_route.h"
#include "nn/tflite.h"
#include "util/cancel_token.h"
#include "util/clock.h"

struct wc_nn_graph {
    const wc_nn_backend *backend;
    void *impl;
    uint8_t *bytes;
    uint32_t ninputs, noutputs;
    wc_nn_tensor_info *inputs, *outputs;
    atomic_uint contexts;
    atomic_ullong computes;
    char reason[WC_NN_REASON_MAX];
    atomic_uint_fast64_t inferences;
};

static const wc_nn_backend *const backends[] = {&wc_nn_xnnpack_backend, &wc_nn_armnn_backend};
#define NBACKENDS (sizeof backends / sizeof *backends)
static atomic_uint_fast64_t backend_inferences[NBACKENDS];

struct wc_nn_context {
    wc_nn_graph *graph;
    void *impl;
    void **inputs, **outputs;
    unsigned char *input_set;
    int computed;
};

static const char *const encoding_names[] = {"openvino", "onnx",  "tensorflow", "pytorch",
                                             "tensorflowlite", "ggml", "autodetect"};

/* 0 for a TensorFlow Lite model (the one encoding with backends), else
 * WC_ENOTSUP. */
static int encoding_supported(const uint8_t *bytes, size_t size, wc_nn_encoding encoding,
                              wc_error *err)
{
    if (encoding == WC_NN_ENCODING_AUTODETECT && wc_tflite_identified(bytes, size))
        encoding = WC_NN_ENCODING_TENSORFLOWLITE;
    if (encoding == WC_NN_ENCODING_TENSORFLOWLITE)
        return 0;
    if ((unsigned)encoding < sizeof encoding_names / sizeof *encoding_names)
        wc_error_set(err, WC_ENOTSUP, "nn: no backend for the %s encoding",
                     encoding == WC_NN_ENCODING_AUTODETECT ? "autodetected (unrecognized)"
                                                           : encoding_names[encoding]);
    else
        wc_error_set(err, WC_ENOTSUP, "nn: unknown graph encoding %d", (int)encoding);
    return WC_ENOTSUP;
}

int wc_nn_graph_load(const uint8_t *bytes, size_t size, wc_nn_encoding encoding,
                     wc_nn_target target, wc_nn_graph **out, wc_error *err)
{
    return wc_nn_graph_load_on(bytes, size, encoding, target, WC_NN_BACKEND_AUTO, out, err);
}

int wc_nn_graph_load_on(const uint8_t *bytes, size_t size, wc_nn_encoding encoding,
                        wc_nn_target target, wc_nn_backend_choice choice, wc_nn_graph **out,
                        wc_error *err)
{
    *out = NULL;
    if (encoding_supported(bytes, size, encoding, err))
        return WC_ENOTSUP;
    if ((unsigned)choice > WC_NN_BACKEND_ARMNN)
        return wc_error_set(err, WC_EINVAL, "nn: unknown backend choice %d", (int)choice);
    if (target != WC_NN_TARGET_CPU)
        return wc_error_set(err, WC_ENOTSUP, "nn: no backend for execution target %d (only cpu)",
                            (int)target);
    wc_nn_graph *g = calloc(1, sizeof *g);
    if (!g || !(g->bytes = malloc(size ? size : 1))) {
        free(g);
        return wc_error_set(err, WC_ENOMEM, "nn: out of memory loading a %zu-byte model", size);
    }
    if (size)
        memcpy(g->bytes, bytes, size);
    wc_nn_routed routed;
    int rc = wc_nn_route_tflite(g->bytes, size, choice, &routed, err);
    if (rc < 0) {
        free(g->bytes);
        free(g);
        return rc;
    }
    g->backend = routed.backend;
    g->impl = routed.impl;
    g->ninputs = routed.ninputs;
    g->noutputs = routed.noutputs;
    g->inputs = routed.inputs;
    g->outputs = routed.outputs;
    memcpy(g->reason, routed.reason, sizeof g->reason);
    atomic_init(&g->inferences, 0);
    *out = g;
    return 0;
}

void wc_nn_graph_free(wc_nn_graph *g)
{
    if (!g)
        return;
    g->backend->graph_free(g->impl);
    free(g->inputs);
    free(g->outputs);
    free(g->bytes);
    free(g);
}

const char *wc_nn_graph_backend(const wc_nn_graph *g)
{
    return g->backend->name;
}

const char *wc_nn_graph_backend_reason(const wc_nn_graph *g)
{
    return g->reason;
}

uint64_t wc_nn_graph_inferences(const wc_nn_graph *g)
{
    return atomic_load_explicit(&g->inferences, memory_order_relaxed);
}

uint64_t wc_nn_backend_inferences(const char *backend)
{
    for (size_t i = 0; i < NBACKENDS; i++)
        if (strcmp(backends[i]->name, backend) == 0)
            return atomic_load_explicit(&backend_inferences[i], memory_order_relaxed);
    return 0;
}

const char *wc_nn_backend_name(unsigned index)
{
    return index < NBACKENDS ? backends[index]->name : NULL;
}

static void count_inference(wc_nn_graph *g)
{
    atomic_fetch_add_explicit(&g->inferences, 1, memory_order_relaxed);
    for (size_t i = 0; i < NBACKENDS; i++)
        if (backends[i] == g->backend)
            atomic_fetch_add_explicit(&backend_inferences[i], 1, memory_order_relaxed);
}

uint32_t wc_nn_graph_input_count(const wc_nn_graph *g)
{
    return g->ninputs;
}

uint32_t wc_nn_graph_output_count(const wc_nn_graph *g)
{
    return g->noutputs;
}

const wc_nn_tensor_info *wc_nn_graph_input(const wc_nn_graph *g, uint32_t index)
{
    return index < g->ninputs ? &g->inputs[index] : NULL;
}

const wc_nn_tensor_info *wc_nn_graph_output(const wc_nn_graph *g, uint32_t index)
{
    return index < g->noutputs ? &g->outputs[index] : NULL;
}

void wc_nn_graph_set_max_runtimes(wc_nn_graph *g, uint32_t max)
{
    if (max < 1)
        max = 1;
    if (max > WC_NN_MAX_RUNTIMES)
        max = WC_NN_MAX_RUNTIMES;
    if (g->backend->set_max_runtimes)
        g->backend->set_max_runtimes(g->impl, max);
}

void wc_nn_graph_stats_get(const wc_nn_graph *g, wc_nn_graph_stats *out)
{
    memset(out, 0, sizeof *out);
    if (g->backend->stats)
        g->backend->stats(g->impl, out);
    out->contexts = atomic_load(&((wc_nn_graph *)g)->contexts);
    out->computes = atomic_load(&((wc_nn_graph *)g)->computes);
}

int wc_nn_context_new(wc_nn_graph *g, wc_nn_context **out, wc_error *err)
{
    *out = NULL;
    wc_nn_context *c = calloc(1, sizeof *c);
    if (c) {
        c->inputs = calloc(g->ninputs + 1, sizeof *c->inputs);
        c->outputs = calloc(g->noutputs + 1, sizeof *c->outputs);
        c->input_set = calloc(g->ninputs + 1, 1);
    }
    if (!c || !c->inputs || !c->outputs || !c->input_set) {
        if (c) {
            free(c->inputs);
            free(c->outputs);
            free(c->input_set);
        }
        free(c);
        return wc_error_set(err, WC_ENOMEM, "nn: out of memory making an execution context");
    }
    c->graph = g;
    int rc = g->backend->context_new(g->impl, &c->impl, c->inputs, c->outputs, err);
    if (rc < 0) {
        free(c->inputs);
        free(c->outputs);
        free(c->input_set);
        free(c);
        return rc;
    }
    atomic_fetch_add(&g->contexts, 1);
    *out = c;
    return 0;
}

void wc_nn_context_free(wc_nn_context *c)
{
    if (!c)
        return;
    atomic_fetch_sub(&c->graph->contexts, 1);
    c->graph->backend->context_free(c->graph->impl, c->impl);
    free(c->inputs);
    free(c->outputs);
    free(c->input_set);
    free(c);
}

static const char *type_name(wc_nn_type type)
{
    static const char *const names[] = {"f16", "f32", "f64", "u8", "i32", "i64"};
    return (unsigned)type < sizeof names / sizeof *names ? names[type] : "unknown";
}

int wc_nn_set_input(wc_nn_context *c, uint32_t index, wc_nn_type type, const uint32_t *dims,
                    uint32_t rank, const void *data, size_t size, wc_error *err)
{
    const wc_nn_tensor_info *t = wc_nn_graph_input(c->graph, index);
    if (!t)
        return wc_error_set(err, WC_EINVAL, "nn: no input %u (the model has %u)", index,
                            c->graph->ninputs);
    if (type != t->type)
        return wc_error_set(err, WC_EINVAL, "nn: input %u is %s%s, not %s", index,
                            type_name(t->type), t->is_int8 ? " (int8 data)" : "",
                            type_name(type));
    int same = rank == t->rank;
    for (uint32_t i = 0; same && i < rank; i++)
        same = dims[i] == t->dims[i];
    if (!same) {
        char want[128] = "", got[128] = "";
        for (uint32_t i = 0, n = 0; i < t->rank && n < sizeof want; i++)
            n += (size_t)snprintf(want + n, sizeof want - n, "%s%u", i ? "x" : "", t->dims[i]);
        for (uint32_t i = 0, n = 0; i < rank && i < 16 && n < sizeof got; i++)
            n += (size_t)snprintf(got + n, sizeof got - n, "%s%u", i ? "x" : "", dims[i]);
        return wc_error_set(err, WC_EINVAL, "nn: input %u has dimensions [%s], not [%s]", index,
                            want, got);
    }
    if (size != t->size)
        return wc_error_set(err, WC_EINVAL, "nn: input %u takes %zu bytes, not %zu", index,
                            t->size, size);
    memcpy(c->inputs[index], data, size);
    c->input_set[index] = 1;
    c->computed = 0;
    return 0;
}

int wc_nn_limits_check(const wc_nn_limits *limits, const char *where, wc_error *err)
{
    if (limits->cancel && wc_cancel_token_cancelled(limits->cancel))
        return wc_error_set(err, WC_ECANCELED, "nn: compute stopped %s: the call was cancelled",
                            where);
    uint64_t now;
    if (limits->deadline_ns && (now = wc_monotonic_ns()) >= limits->deadline_ns)
        return wc_error_set(err, WC_ETIMEDOUT,
                            "nn: compute stopped %s: the call's deadline passed %.3f ms before",
                            where, (double)(now - limits->deadline_ns) / 1e6);
    return 0;
}

int wc_nn_compute_within(wc_nn_context *c, const wc_nn_limits *limits, wc_error *err)
{
    static const wc_nn_limits none = {0};
    if (!limits)
        limits = &none;
    c->computed = 0;
    for (uint32_t i = 0; i < c->graph->ninputs; i++)
        if (!c->input_set[i])
            return wc_error_set(err, WC_EINVAL, "nn: compute before input %u is set", i);
    int rc = wc_nn_limits_check(limits, "before it started", err);
    if (rc)
        return rc;
    atomic_fetch_add(&c->graph->computes, 1);
    rc = c->graph->backend->compute(c->impl, limits, err);
    /* a backend that runs in one piece is stopped as soon as it returns */
    if (rc == 0)
        rc = wc_nn_limits_check(limits, "as the model finished", err);
    c->computed = rc == 0;
    if (rc == 0)
        count_inference(c->graph);
    return rc;
}

int wc_nn_compute(wc_nn_context *c, wc_error *err)
{
    return wc_nn_compute_within(c, NULL, err);
}

int wc_nn_get_output(wc_nn_context *c, uint32_t index, void *buf, size_t cap, size_t *needed,
                     wc_error *err)
{
    const wc_nn_tensor_info *t = wc_nn_graph_output(c->graph, index);
    if (!t)
        return wc_error_set(err, WC_EINVAL, "nn: no output %u (the model has %u)", index,
                            c->graph->noutputs);
    if (needed)
        *needed = t->size;
    if (!c->computed)
        return wc_error_set(err, WC_EINVAL, "nn: get_output before compute");
    if (cap < t->size)
        return wc_error_set(err, WC_ETOOBIG, "nn: output %u needs %zu bytes, the buffer has %zu",
                            index, t->size, cap);
    memcpy(buf, c->outputs[index], t->size);
    return 0;
}
