/* tflite_model_spec.h -- models built in code for the nn tests and
 * benchmarks: a wc_tflite_model description with room for its parts
 * (tensors with random constant contents, operators, the graph's inputs
 * and one output), written as a .tflite file by tflite_model_writer.h so
 * that every backend reads it from the file as it would a real model.
 */
#ifndef WC_TESTS_TFLITE_MODEL_SPEC_H
#define WC_TESTS_TFLITE_MODEL_SPEC_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/tflite.h"
/* of the reference only its random numbers, of the builder its writer */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "nn_reference.h"
#include "tflite_model_writer.h"
#pragma GCC diagnostic pop

enum { SPEC_TENSORS = 16, SPEC_OPS = 8, SPEC_DATA = 4096 };

/* A model description with room for its parts, written to a file by
 * tflite_model_writer.h. */
typedef struct spec {
    wc_tflite_model m;
    wc_tflite_tensor tensors[SPEC_TENSORS];
    wc_tflite_operator ops[SPEC_OPS];
    int32_t io[SPEC_OPS][6];
    int32_t graph_io[8];
    float scales[SPEC_TENSORS];
    int64_t zero_points[SPEC_TENSORS];
    uint8_t data[SPEC_TENSORS][SPEC_DATA];
} spec;

static void spec_start(spec *s)
{
    memset(s, 0, sizeof *s);
    s->m.version = 3;
    s->m.tensors = s->tensors;
    s->m.operators = s->ops;
    s->m.description = "";
    s->m.subgraph_name = "main";
}

/* A tensor of shape dims (terminated by 0); quantized per tensor when
 * scale > 0; constant (random contents) when constant is set. */
static int32_t spec_tensor(spec *s, wc_tflite_type type, float scale, int64_t zero_point,
                           int constant, const int32_t *dims)
{
    int32_t i = (int32_t)s->m.ntensors++;
    wc_tflite_tensor *t = &s->tensors[i];
    static const char *const names[SPEC_TENSORS] = {"t0", "t1", "t2",  "t3",  "t4",  "t5",
                                                    "t6", "t7", "t8",  "t9",  "t10", "t11",
                                                    "t12", "t13", "t14", "t15"};
    t->name = names[i];
    t->type = type;
    size_t n = 1;
    for (; dims[t->rank]; t->rank++) {
        t->shape[t->rank] = dims[t->rank];
        n *= (size_t)dims[t->rank];
    }
    if (scale > 0) {
        s->scales[i] = scale;
        s->zero_points[i] = zero_point;
        t->quant = (wc_tflite_quant){1, &s->scales[i], &s->zero_points[i], 0};
    }
    if (constant) {
        size_t bytes = n * wc_tflite_type_bits(type) / 8;
        if (bytes > SPEC_DATA) {
            printf("FAIL: a %zu-byte constant in a spec (at most %d)\n", bytes, SPEC_DATA);
            exit(1);
        }
        for (size_t k = 0; k < n; k++) {
            if (type == WC_TFLITE_FLOAT32) {
                float f = (float)(nnref_random() % 20001) / 10000.0f - 1.0f;
                memcpy(s->data[i] + 4 * k, &f, 4);
            } else if (type == WC_TFLITE_INT32) {
                int32_t v = (int32_t)(nnref_random() % 2001) - 1000;
                memcpy(s->data[i] + 4 * k, &v, 4);
            } else {
                s->data[i][k] = (uint8_t)nnref_random();
            }
        }
        t->data = s->data[i];
        t->data_size = bytes;
    }
    return i;
}

static void spec_constant_i32(spec *s, int32_t i, const int32_t *values, size_t n)
{
    memcpy(s->data[i], values, n * 4);
    s->tensors[i].data = s->data[i];
    s->tensors[i].data_size = n * 4;
}

/* An operator reading inputs (terminated by INT32_MIN; -1 is an omitted
 * optional input) and writing output. */
static wc_tflite_operator *spec_op(spec *s, int32_t code, const char *name, int32_t output,
                                   const int32_t *inputs)
{
    uint32_t k = s->m.noperators++;
    wc_tflite_operator *o = &s->ops[k];
    o->code = code;
    o->name = name ? name : wc_tflite_builtin_name(code);
    o->version = 1;
    while (inputs[o->ninputs] != INT32_MIN)
        s->io[k][o->ninputs] = inputs[o->ninputs], o->ninputs++;
    s->io[k][5] = output;
    o->inputs = s->io[k];
    o->outputs = &s->io[k][5];
    o->noutputs = 1;
    o->options.stride_w = o->options.stride_h = 1;
    o->options.dilation_w = o->options.dilation_h = 1;
    o->options.depth_multiplier = 1;
    o->options.beta = 1.0f;
    return o;
}

/* The graph's inputs (terminated by -1) and its one output. */
static void spec_graph(spec *s, const int32_t *inputs, int32_t output)
{
    while (inputs[s->m.ninputs] >= 0)
        s->graph_io[s->m.ninputs] = inputs[s->m.ninputs], s->m.ninputs++;
    s->graph_io[s->m.ninputs] = output;
    s->m.inputs = s->graph_io;
    s->m.outputs = &s->graph_io[s->m.ninputs];
    s->m.noutputs = 1;
}

#define DIMS(...) ((const int32_t[]){__VA_ARGS__, 0})
#define INS(...) ((const int32_t[]){__VA_ARGS__, INT32_MIN})
#define GRAPH_INS(...) ((const int32_t[]){__VA_ARGS__, -1})

/* A small image classifier, MobileNet-shaped: a 3x3 convolution of stride
 * 2 (RELU6), a 3x3 depthwise one (RELU6), a 1x1 one, the mean over height
 * and width, a fully connected layer and a softmax over 10 classes; f32,
 * or int8 quantized per tensor.  side is the input's height and width (3
 * channels). */
static void spec_convnet(spec *s, int32_t side, int int8)
{
    wc_tflite_type q = int8 ? WC_TFLITE_INT8 : WC_TFLITE_FLOAT32;
    wc_tflite_type b32 = int8 ? WC_TFLITE_INT32 : WC_TFLITE_FLOAT32;
    float in = int8 ? 0.02f : 0, w = int8 ? 0.01f : 0, act = int8 ? 0.025f : 0;
    int32_t half = (side + 1) / 2;
    spec_start(s);
    int32_t x = spec_tensor(s, q, in, 0, 0, DIMS(1, side, side, 3));
    int32_t w1 = spec_tensor(s, q, w, 0, 1, DIMS(16, 3, 3, 3));
    int32_t b1 = spec_tensor(s, b32, in * w, 0, 1, DIMS(16));
    int32_t c1 = spec_tensor(s, q, act, -128, 0, DIMS(1, half, half, 16));
    int32_t w2 = spec_tensor(s, q, w, 0, 1, DIMS(1, 3, 3, 16));
    int32_t b2 = spec_tensor(s, b32, act * w, 0, 1, DIMS(16));
    int32_t c2 = spec_tensor(s, q, act, -128, 0, DIMS(1, half, half, 16));
    int32_t w3 = spec_tensor(s, q, w, 0, 1, DIMS(32, 1, 1, 16));
    int32_t b3 = spec_tensor(s, b32, act * w, 0, 1, DIMS(32));
    int32_t c3 = spec_tensor(s, q, act, 0, 0, DIMS(1, half, half, 32));
    int32_t axes = spec_tensor(s, WC_TFLITE_INT32, 0, 0, 0, DIMS(2));
    spec_constant_i32(s, axes, (const int32_t[]){1, 2}, 2);
    int32_t m = spec_tensor(s, q, act, 0, 0, DIMS(1, 1, 1, 32));
    int32_t fw = spec_tensor(s, q, w, 0, 1, DIMS(10, 32));
    int32_t fb = spec_tensor(s, b32, act * w, 0, 1, DIMS(10));
    int32_t f = spec_tensor(s, q, int8 ? 0.05f : 0, 0, 0, DIMS(1, 10));
    int32_t y = spec_tensor(s, q, int8 ? 1.0f / 256 : 0, -128, 0, DIMS(1, 10));
    wc_tflite_operator *o = spec_op(s, WC_TFLITE_OP_CONV_2D, NULL, c1, INS(x, w1, b1));
    o->options.stride_w = o->options.stride_h = 2;
    o->options.activation = WC_TFLITE_ACT_RELU6;
    spec_op(s, WC_TFLITE_OP_DEPTHWISE_CONV_2D, NULL, c2, INS(c1, w2, b2))->options.activation =
        WC_TFLITE_ACT_RELU6;
    spec_op(s, WC_TFLITE_OP_CONV_2D, NULL, c3, INS(c2, w3, b3));
    spec_op(s, WC_TFLITE_OP_MEAN, NULL, m, INS(c3, axes))->options.keep_dims = true;
    spec_op(s, WC_TFLITE_OP_FULLY_CONNECTED, NULL, f, INS(m, fw, fb));
    spec_op(s, WC_TFLITE_OP_SOFTMAX, NULL, y, INS(f));
    spec_graph(s, GRAPH_INS(x), y);
}

#endif
