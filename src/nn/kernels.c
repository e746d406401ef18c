/* kernels.c -- TANH, CONCATENATION and a general MEAN (see kernels.h). */
#include "nn/kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int refuse(const wc_tflite_model *m, uint32_t opi, wc_error *err, const char *why)
{
    return wc_error_set(err, WC_EBADMODULE, "nn: operator %u (%s): %s", opi,
                        m->operators[opi].name, why);
}

static int kernel_type(const wc_tflite_tensor *t)
{
    if (t->type == WC_TFLITE_FLOAT32)
        return 1;
    return (t->type == WC_TFLITE_INT8 || t->type == WC_TFLITE_UINT8) && t->quant.count == 1;
}

static size_t count(const wc_tflite_tensor *t)
{
    size_t n = 1;
    for (uint32_t i = 0; i < t->rank; i++)
        n *= (size_t)t->shape[i];
    return n;
}

static int same_dims(const wc_tflite_tensor *t, uint32_t rank, const int64_t *dims)
{
    if (t->rank != rank)
        return 0;
    for (uint32_t i = 0; i < rank; i++)
        if (t->shape[i] != dims[i])
            return 0;
    return 1;
}

static int check_concatenation(const wc_tflite_model *m, const wc_tflite_operator *op,
                               const wc_tflite_tensor *y)
{
    const wc_tflite_tensor *first = &m->tensors[op->inputs[0]];
    int64_t axis = op->options.axis < 0 ? op->options.axis + (int64_t)first->rank
                                        : op->options.axis;
    if (axis < 0 || axis >= (int64_t)first->rank)
        return -1;
    int64_t dims[WC_TFLITE_MAX_RANK];
    for (uint32_t d = 0; d < first->rank; d++)
        dims[d] = d == axis ? 0 : first->shape[d];
    for (uint32_t i = 0; i < op->ninputs; i++) {
        const wc_tflite_tensor *t = &m->tensors[op->inputs[i]];
        if (t->rank != first->rank)
            return -1;
        for (uint32_t d = 0; d < t->rank; d++)
            if (d != axis && t->shape[d] != dims[d])
                return -1;
        dims[axis] += t->shape[axis];
    }
    return same_dims(y, first->rank, dims) ? 0 : -1;
}

static int check_mean(const wc_tflite_model *m, const wc_tflite_operator *op,
                      const wc_tflite_tensor *y)
{
    const wc_tflite_tensor *x = &m->tensors[op->inputs[0]];
    const wc_tflite_tensor *axes = op->ninputs == 2 && op->inputs[1] >= 0
                                       ? &m->tensors[op->inputs[1]]
                                       : NULL;
    if (!axes || axes->type != WC_TFLITE_INT32 || !axes->data)
        return -1;
    unsigned char reduced[WC_TFLITE_MAX_RANK] = {0};
    for (size_t i = 0; i < axes->data_size / 4; i++) {
        int32_t a;
        memcpy(&a, axes->data + 4 * i, 4);
        a = a < 0 ? a + (int32_t)x->rank : a;
        if (a < 0 || a >= (int32_t)x->rank)
            return -1;
        reduced[a] = 1;
    }
    int64_t dims[WC_TFLITE_MAX_RANK];
    uint32_t rank = 0;
    for (uint32_t d = 0; d < x->rank; d++)
        if (!reduced[d] || op->options.keep_dims)
            dims[rank++] = reduced[d] ? 1 : x->shape[d];
    return same_dims(y, rank, dims) ? 0 : -1;
}

int wc_nn_kernel_check(const wc_tflite_model *m, uint32_t opi, wc_error *err)
{
    const wc_tflite_operator *op = &m->operators[opi];
    if (op->noutputs != 1 || op->outputs[0] < 0 || op->ninputs < 1)
        return refuse(m, opi, err, "it does not have the inputs and one output it needs");
    const wc_tflite_tensor *y = &m->tensors[op->outputs[0]];
    uint32_t data = op->code == WC_TFLITE_OP_CONCATENATION ? op->ninputs : 1;
    for (uint32_t i = 0; i < data; i++)
        if (op->inputs[i] < 0 || !kernel_type(&m->tensors[op->inputs[i]]))
            return refuse(m, opi, err, "the project's kernel takes f32 or per-tensor int8/uint8");
    if (!kernel_type(y) || y->type != m->tensors[op->inputs[0]].type)
        return refuse(m, opi, err, "its output's type is not its input's");
    switch (op->code) {
    case WC_TFLITE_OP_TANH:
        if (y->rank != m->tensors[op->inputs[0]].rank ||
            memcmp(y->shape, m->tensors[op->inputs[0]].shape, y->rank * sizeof *y->shape))
            return refuse(m, opi, err, "its output's shape is not its input's");
        return 0;
    case WC_TFLITE_OP_CONCATENATION:
        if (op->options.activation != WC_TFLITE_ACT_NONE &&
            op->options.activation != WC_TFLITE_ACT_RELU &&
            op->options.activation != WC_TFLITE_ACT_RELU6 &&
            op->options.activation != WC_TFLITE_ACT_RELU_N1_TO_1)
            return refuse(m, opi, err, "a fused activation the kernel does not have");
        if (check_concatenation(m, op, y))
            return refuse(m, opi, err, "its inputs, axis and output do not fit together");
        return 0;
    case WC_TFLITE_OP_MEAN:
        if (check_mean(m, op, y))
            return refuse(m, opi, err, "its axes are not constant, in range, or do not give its "
                                       "output's shape");
        return 0;
    }
    return refuse(m, opi, err, "no own kernel runs it");
}

static const void *data_of(const wc_tflite_model *m, int32_t t, void *const *buffers)
{
    return m->tensors[t].data ? (const void *)m->tensors[t].data : buffers[t];
}

static double load(const wc_tflite_tensor *t, const void *data, size_t i)
{
    if (t->type == WC_TFLITE_FLOAT32) {
        float f;
        memcpy(&f, (const uint8_t *)data + 4 * i, 4);
        return f;
    }
    int q = t->type == WC_TFLITE_INT8 ? ((const int8_t *)data)[i] : ((const uint8_t *)data)[i];
    return t->quant.scale[0] * (double)(q - t->quant.zero_point[0]);
}

static void store(const wc_tflite_tensor *t, void *data, size_t i, double v)
{
    if (t->type == WC_TFLITE_FLOAT32) {
        float f = (float)v;
        memcpy((uint8_t *)data + 4 * i, &f, 4);
        return;
    }
    double q = round(v / t->quant.scale[0]) + (double)t->quant.zero_point[0];
    double lo = t->type == WC_TFLITE_INT8 ? -128 : 0, hi = t->type == WC_TFLITE_INT8 ? 127 : 255;
    q = q < lo ? lo : q > hi ? hi : q;
    if (t->type == WC_TFLITE_INT8)
        ((int8_t *)data)[i] = (int8_t)q;
    else
        ((uint8_t *)data)[i] = (uint8_t)q;
}

static double activation(int act, double v)
{
    double lo = act == WC_TFLITE_ACT_RELU_N1_TO_1 ? -1 : act == WC_TFLITE_ACT_NONE ? -INFINITY : 0;
    double hi = act == WC_TFLITE_ACT_RELU6 ? 6 : act == WC_TFLITE_ACT_RELU_N1_TO_1 ? 1 : INFINITY;
    return v < lo ? lo : v > hi ? hi : v;
}

static void concatenation(const wc_tflite_model *m, const wc_tflite_operator *op,
                          void *const *buffers)
{
    const wc_tflite_tensor *y = &m->tensors[op->outputs[0]];
    void *out = buffers[op->outputs[0]];
    uint32_t axis = (uint32_t)(op->options.axis < 0 ? op->options.axis + (int32_t)y->rank
                                                    : op->options.axis);
    size_t outer = 1, at = 0;
    for (uint32_t d = 0; d < axis; d++)
        outer *= (size_t)y->shape[d];
    for (size_t o = 0; o < outer; o++)
        for (uint32_t i = 0; i < op->ninputs; i++) {
            const wc_tflite_tensor *t = &m->tensors[op->inputs[i]];
            const void *in = data_of(m, op->inputs[i], buffers);
            size_t block = count(t) / outer;
            for (size_t k = 0; k < block; k++)
                store(y, out, at++, activation(op->options.activation, load(t, in, o * block + k)));
        }
}

static int mean(const wc_tflite_model *m, const wc_tflite_operator *op, void *const *buffers,
                wc_error *err)
{
    const wc_tflite_tensor *x = &m->tensors[op->inputs[0]], *axes = &m->tensors[op->inputs[1]];
    const wc_tflite_tensor *y = &m->tensors[op->outputs[0]];
    unsigned char reduced[WC_TFLITE_MAX_RANK] = {0};
    for (size_t i = 0; i < axes->data_size / 4; i++) {
        int32_t a;
        memcpy(&a, axes->data + 4 * i, 4);
        reduced[a < 0 ? a + (int32_t)x->rank : a] = 1;
    }
    size_t n = count(x), nout = count(y);
    double *sum = calloc(nout + 1, sizeof *sum);
    if (!sum)
        return wc_error_set(err, WC_ENOMEM, "nn: out of memory in MEAN");
    const void *in = data_of(m, op->inputs[0], buffers);
    for (size_t i = 0; i < n; i++) {
        size_t rest = i, o = 0, stride = 1;
        for (uint32_t d = x->rank; d-- > 0;) {
            size_t coord = rest % (size_t)x->shape[d];
            rest /= (size_t)x->shape[d];
            if (!reduced[d]) {
                o += coord * stride;
                stride *= (size_t)x->shape[d];
            }
        }
        sum[o] += load(x, in, i);
    }
    double per = (double)n / (double)(nout ? nout : 1);
    for (size_t o = 0; o < nout; o++)
        store(y, buffers[op->outputs[0]], o, sum[o] / per);
    free(sum);
    return 0;
}

int wc_nn_kernel_run(const wc_tflite_model *m, const wc_tflite_operator *op, void *const *buffers,
                     wc_error *err)
{
    switch (op->code) {
    case WC_TFLITE_OP_TANH: {
        const wc_tflite_tensor *x = &m->tensors[op->inputs[0]], *y = &m->tensors[op->outputs[0]];
        const void *in = data_of(m, op->inputs[0], buffers);
        for (size_t i = 0, n = count(x); i < n; i++)
            store(y, buffers[op->outputs[0]], i, tanh(load(x, in, i)));
        return 0;
    }
    case WC_TFLITE_OP_CONCATENATION:
        concatenation(m, op, buffers);
        return 0;
    default:
        return mean(m, op, buffers, err);
    }
}
