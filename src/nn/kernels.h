/* kernels.h -- the project's own kernels for the common operators Debian's
 * XNNPACK lacks (tflite_coverage.c lists them): TANH, CONCATENATION and a
 * MEAN over any axes, in f32 and int8/uint8 per-tensor quantized form.
 * They run between XNNPACK subgraphs on the context's tensor buffers.
 *
 * Each computes on real values (a quantized input is dequantized element
 * by element) and rounds once into its output's type, as TFLite's
 * reference kernels do up to one unit of rounding.
 */
#ifndef WC_NN_KERNELS_H
#define WC_NN_KERNELS_H

#include "nn/tflite.h"
#include "util/error.h"

/* 0 when op can run here; otherwise WC_EBADMODULE and why, naming the
 * operator (index opi) as the XNNPACK builder does. */
int wc_nn_kernel_check(const wc_tflite_model *m, uint32_t opi, wc_error *err);

/* Runs op; buffers[t] holds non-constant tensor t (constants are read from
 * the model).  0, or WC_ENOMEM. */
int wc_nn_kernel_run(const wc_tflite_model *m, const wc_tflite_operator *op,
                     void *const *buffers, wc_error *err);

#endif
