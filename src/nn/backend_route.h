/* backend_route.h -- which backend runs a TensorFlow Lite model, decided
 * at load, and why (backend.h shows the choice and its reason).
 *
 * Automatic choice: the XNNPACK path (XNNPACK subgraphs and the project's
 * own kernels) when it takes the model; Arm NN when the model has a live
 * operator that path lacks or XNNPACK refuses the model (a type or a
 * quantization it does not take); neither when Arm NN refuses it too (an
 * LSTM, a CUSTOM operator, ...): then the model is refused, the operator
 * named.  A forced choice loads on that backend alone.
 */
#ifndef WC_NN_BACKEND_ROUTE_H
#define WC_NN_BACKEND_ROUTE_H

#include "nn/backend_ops.h"

/* The most of a reason kept. */
#define WC_NN_REASON_MAX 512

/* A model loaded on the backend chosen for it. */
typedef struct wc_nn_routed {
    const wc_nn_backend *backend;
    void *impl;
    uint32_t ninputs, noutputs;
    wc_nn_tensor_info *inputs, *outputs;
    char reason[WC_NN_REASON_MAX];
} wc_nn_routed;

/* bytes must outlive the loaded model. */
int wc_nn_route_tflite(const uint8_t *bytes, size_t size, wc_nn_backend_choice choice,
                       wc_nn_routed *out, wc_error *err);

#endif
