/* backend_ops.h -- what a backend gives backend.c: the operations behind
 * backend.h's one interface.  backend.c checks every argument first, so a
 * backend sees only valid indices and inputs of the right type and size.
 */
#ifndef WC_NN_BACKEND_OPS_H
#define WC_NN_BACKEND_OPS_H

#include "nn/backend.h"

typedef struct wc_nn_backend {
    const char *name;
    /* Reads and prepares the model; fills *ninputs, *noutputs and the
     * malloc'd arrays *inputs, *outputs that describe them.  bytes
     * outlive the graph (backend.c keeps a copy). */
    int (*load)(const uint8_t *bytes, size_t size, void **graph, uint32_t *ninputs,
                wc_nn_tensor_info **inputs, uint32_t *noutputs, wc_nn_tensor_info **outputs,
                wc_error *err);
    void (*graph_free)(void *graph);
    /* Makes a context's state and the buffers the inputs are copied to and
     * the outputs read from (inputs[i], outputs[i], sized as described). */
    int (*context_new)(void *graph, void **ctx, void **inputs, void **outputs, wc_error *err);
    void (*context_free)(void *graph, void *ctx);
    /* limits is never NULL; a backend that can stop between steps checks
     * it there with wc_nn_limits_check (backend.c checks before and after). */
    int (*compute)(void *ctx, const wc_nn_limits *limits, wc_error *err);
    /* Optional (NULL: a backend without a pool of runtimes): the bound of
     * wc_nn_graph_set_max_runtimes, and the pool's part of the stats
     * (runtimes, max_runtimes, waits). */
    void (*set_max_runtimes)(void *graph, uint32_t max);
    void (*stats)(void *graph, wc_nn_graph_stats *out);
} wc_nn_backend;

/* 0 while limits allow the compute to go on; otherwise WC_ETIMEDOUT or
 * WC_ECANCELED with a message that ends with `where` ("before step 2 of
 * 3", "while the model ran"). */
int wc_nn_limits_check(const wc_nn_limits *limits, const char *where, wc_error *err);

extern const wc_nn_backend wc_nn_xnnpack_backend;
extern const wc_nn_backend wc_nn_armnn_backend;

#endif
