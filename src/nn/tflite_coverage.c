/* tflite_coverage.c -- which operators issue 13's TFLite backend runs, and
 * how: the one list of them, for the backend and for `wasmcap inspect`. */
#include "nn/tflite.h"

#include <string.h>

/* The operators Debian's XNNPACK snapshot has, in f32 and quantized form. */
static const int32_t xnnpack_ops[] = {
    WC_TFLITE_OP_CONV_2D,
    WC_TFLITE_OP_DEPTHWISE_CONV_2D,
    WC_TFLITE_OP_TRANSPOSE_CONV,
    WC_TFLITE_OP_FULLY_CONNECTED,
    WC_TFLITE_OP_AVERAGE_POOL_2D,
    WC_TFLITE_OP_MAX_POOL_2D,
    WC_TFLITE_OP_MEAN,
    WC_TFLITE_OP_ADD,
    WC_TFLITE_OP_SUB,
    WC_TFLITE_OP_MUL,
    WC_TFLITE_OP_DIV,
    WC_TFLITE_OP_SOFTMAX,
    WC_TFLITE_OP_LOGISTIC,
    WC_TFLITE_OP_RELU,
    WC_TFLITE_OP_RELU6,
    WC_TFLITE_OP_RELU_N1_TO_1,
    WC_TFLITE_OP_LEAKY_RELU,
    WC_TFLITE_OP_PRELU,
    WC_TFLITE_OP_HARD_SWISH,
    WC_TFLITE_OP_RESHAPE,
    WC_TFLITE_OP_PAD,
    WC_TFLITE_OP_RESIZE_BILINEAR,
    WC_TFLITE_OP_DEPTH_TO_SPACE,
    WC_TFLITE_OP_QUANTIZE,
    WC_TFLITE_OP_DEQUANTIZE,
};

/* Common operators that XNNPACK lacks, run by the project's own kernels so
 * that one of them does not send a whole model to the slow backend (a MEAN
 * that is not over height and width is one too). */
static const int32_t own_kernel_ops[] = {WC_TFLITE_OP_TANH, WC_TFLITE_OP_CONCATENATION};

static bool listed(const int32_t *ops, size_t n, int32_t code)
{
    for (size_t i = 0; i < n; i++)
        if (ops[i] == code)
            return true;
    return false;
}

/* XNNPACK's MEAN is global average pooling: a 4-D input reduced over axes
 * 1 and 2 (height and width), the axes given as a constant tensor. */
static bool mean_over_height_and_width(const wc_tflite_model *m, const wc_tflite_operator *op)
{
    if (op->ninputs < 2 || op->inputs[0] < 0 || op->inputs[1] < 0)
        return false;
    const wc_tflite_tensor *in = &m->tensors[op->inputs[0]];
    const wc_tflite_tensor *axes = &m->tensors[op->inputs[1]];
    if (in->rank != 4 || axes->type != WC_TFLITE_INT32 || !axes->data || axes->data_size != 8)
        return false;
    int32_t a[2];
    memcpy(a, axes->data, sizeof a);
    for (int i = 0; i < 2; i++)
        if (a[i] < 0)
            a[i] += 4;
    return (a[0] == 1 && a[1] == 2) || (a[0] == 2 && a[1] == 1);
}

wc_tflite_path wc_tflite_operator_path(const wc_tflite_model *model, const wc_tflite_operator *op)
{
    if (op->code == WC_TFLITE_OP_MEAN)
        return mean_over_height_and_width(model, op) ? WC_TFLITE_PATH_XNNPACK
                                                     : WC_TFLITE_PATH_OWN_KERNEL;
    if (listed(xnnpack_ops, sizeof xnnpack_ops / sizeof *xnnpack_ops, op->code))
        return WC_TFLITE_PATH_XNNPACK;
    if (listed(own_kernel_ops, sizeof own_kernel_ops / sizeof *own_kernel_ops, op->code))
        return WC_TFLITE_PATH_OWN_KERNEL;
    return WC_TFLITE_PATH_NONE;
}

const char *wc_tflite_path_name(wc_tflite_path path)
{
    switch (path) {
    case WC_TFLITE_PATH_XNNPACK:
        return "xnnpack";
    case WC_TFLITE_PATH_OWN_KERNEL:
        return "own kernel";
    case WC_TFLITE_PATH_NONE:
        break;
    }
    return "not covered";
}
