/* armnn.c -- Arm NN (CpuRef) behind backend.h, for the TFLite models the
 * XNNPACK path cannot take (backend_route.c decides).  The shim's library is
 * loaded by the first model that needs it (armnn_library.h).  A model is
 * loaded only after a child process (isolate.h) has loaded it and run it once; a
 * context is its own input and output buffers, and runs of one model take
 * turns (the shim's lock). */
#include <stdlib.h>
#include <string.h>

#include "nn/armnn_library.h"
#include "nn/backend_ops.h"
#include "nn/isolate.h"

/* Loading a model and one CpuRef inference take well under a second for
 * the models this serves (a MobileNetV2 takes ~4 s); a model past this is
 * refused rather than served at that speed. */
#define WC_ARMNN_TRIAL_TIMEOUT_MS 30000

/* The shim's functions, for a graph that exists: its load opened the
 * library, so this cannot fail. */
static const wc_armnn_api *shim(void)
{
    const wc_armnn_api *api;
    wc_error ignored;
    wc_armnn_library_open(&api, &ignored);
    return api;
}

typedef struct armnn_context {
    wc_armnn_net *net;
    uint32_t ninputs, noutputs;
    void **buffers; /* inputs, then outputs */
} armnn_context;

static void armnn_graph_free(void *graph)
{
    shim()->net_free(graph);
}

static void armnn_context_free(void *graph, void *impl)
{
    armnn_context *c = impl;
    if (!c)
        return;
    for (uint32_t i = 0; c->buffers && i < c->ninputs + c->noutputs; i++)
        free(c->buffers[i]);
    free(c->buffers);
    free(c);
}

static int armnn_context_new(void *graph, void **impl, void **inputs, void **outputs,
                             wc_error *err)
{
    wc_armnn_net *net = graph;
    armnn_context *c = calloc(1, sizeof *c);
    if (!c)
        return wc_error_set(err, WC_ENOMEM, "nn: out of memory making an Arm NN context");
    c->net = net;
    c->ninputs = shim()->net_input_count(net);
    c->noutputs = shim()->net_output_count(net);
    c->buffers = calloc((size_t)c->ninputs + c->noutputs + 1, sizeof *c->buffers);
    for (uint32_t i = 0; c->buffers && i < c->ninputs + c->noutputs; i++) {
        const wc_armnn_tensor *t = i < c->ninputs ? shim()->net_input(net, i)
                                                  : shim()->net_output(net, i - c->ninputs);
        if (!(c->buffers[i] = calloc(1, t->size ? t->size : 1))) {
            armnn_context_free(graph, c);
            return wc_error_set(err, WC_ENOMEM, "nn: out of memory for a %zu-byte tensor",
                                t->size);
        }
        if (i < c->ninputs)
            inputs[i] = c->buffers[i];
        else
            outputs[i - c->ninputs] = c->buffers[i];
    }
    if (!c->buffers) {
        free(c);
        return wc_error_set(err, WC_ENOMEM, "nn: out of memory making an Arm NN context");
    }
    *impl = c;
    return 0;
}

/* Arm NN runs the network in one piece: backend.c checks the limits
 * before and as it returns. */
static int armnn_compute(void *impl, const wc_nn_limits *limits, wc_error *err)
{
    (void)limits;
    armnn_context *c = impl;
    return shim()->net_run(c->net, (const void *const *)c->buffers, c->buffers + c->ninputs,
                            err);
}

_Static_assert(WC_ARMNN_MAX_RANK == WC_NN_MAX_RANK, "the shim's dimensions are copied as they are");

/* Arm NN's description of a tensor as backend.h's: an INT8 tensor is given
 * and read as u8 bytes. */
static int copy_infos(uint32_t n, const wc_armnn_tensor *(*at)(const wc_armnn_net *, uint32_t),
                      const wc_armnn_net *net, wc_nn_tensor_info **out, wc_error *err)
{
    static const wc_nn_type types[] = {[WC_ARMNN_F32] = WC_NN_F32, [WC_ARMNN_U8] = WC_NN_U8,
                                       [WC_ARMNN_I8] = WC_NN_U8, [WC_ARMNN_I32] = WC_NN_I32};
    *out = calloc((size_t)n + 1, sizeof **out);
    if (!*out)
        return wc_error_set(err, WC_ENOMEM, "nn: out of memory describing an Arm NN model");
    for (uint32_t i = 0; i < n; i++) {
        const wc_armnn_tensor *t = at(net, i);
        wc_nn_tensor_info *d = &(*out)[i];
        d->type = types[t->type];
        d->is_int8 = t->type == WC_ARMNN_I8;
        d->rank = t->rank;
        memcpy(d->dims, t->dims, sizeof d->dims);
        d->size = t->size;
    }
    return 0;
}

static _Atomic uint64_t trial_memory = WC_NN_TRIAL_MEMORY_DEFAULT;

void wc_nn_set_trial_memory(uint64_t bytes)
{
    trial_memory = bytes;
}

uint64_t wc_nn_trial_memory(void)
{
    return trial_memory;
}

typedef struct model_bytes {
    const uint8_t *bytes;
    size_t size;
} model_bytes;

/* In the child: everything a served model does, once, on zero inputs. */
static int try_model(const void *arg, wc_error *err)
{
    const model_bytes *m = arg;
    wc_armnn_net *net;
    int rc = shim()->net_load(m->bytes, m->size, &net, err);
    if (rc)
        return rc;
    void *impl = NULL, **io = calloc((size_t)shim()->net_input_count(net) +
                                         shim()->net_output_count(net) + 1,
                                     sizeof *io);
    if (!io)
        rc = wc_error_set(err, WC_ENOMEM, "nn: out of memory trying an Arm NN model");
    if (rc == 0)
        rc = armnn_context_new(net, &impl, io, io + shim()->net_input_count(net), err);
    if (rc == 0)
        rc = armnn_compute(impl, &(wc_nn_limits){0}, err);
    armnn_context_free(net, impl);
    free(io);
    shim()->net_free(net);
    return rc;
}

static int armnn_load(const uint8_t *bytes, size_t size, void **graph, uint32_t *ninputs,
                      wc_nn_tensor_info **inputs, uint32_t *noutputs,
                      wc_nn_tensor_info **outputs, wc_error *err)
{
    /* Loaded here, before the trial's fork, so the child inherits it and
     * a missing library is said without one. */
    const wc_armnn_api *api;
    int rc = wc_armnn_library_open(&api, err);
    if (rc)
        return rc;
    rc = wc_nn_isolate("Arm NN", try_model, &(model_bytes){bytes, size},
                           WC_ARMNN_TRIAL_TIMEOUT_MS, wc_nn_trial_memory(), err);
    if (rc)
        return rc;
    wc_armnn_net *net;
    if ((rc = api->net_load(bytes, size, &net, err)))
        return rc;
    *ninputs = api->net_input_count(net);
    *noutputs = api->net_output_count(net);
    *inputs = *outputs = NULL;
    if ((rc = copy_infos(*ninputs, api->net_input, net, inputs, err)) ||
        (rc = copy_infos(*noutputs, api->net_output, net, outputs, err))) {
        free(*inputs);
        api->net_free(net);
        return rc;
    }
    *graph = net;
    return 0;
}

const wc_nn_backend wc_nn_armnn_backend = {
    .name = "armnn",
    .load = armnn_load,
    .graph_free = armnn_graph_free,
    .context_new = armnn_context_new,
    .context_free = armnn_context_free,
    .compute = armnn_compute,
};
