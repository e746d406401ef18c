/* test_nn_ops.c -- each operator the XNNPACK backend maps, in f32 and
 * quantized form and with its options (padding, strides, dilation, fused
 * activations, broadcasting, reshaping rules), and each own kernel (TANH,
 * CONCATENATION, a general MEAN), alone and between XNNPACK segments,
 * built as a model description, planned (src/nn/xnnpack_plan.h), run on
 * XNNPACK and the kernels and on the reference interpreter
 * (tests/nn_reference.h): f32 within 1e-4 relative or 1e-5 absolute,
 * quantized at most one unit off.  Then the models and shapes the plan and
 * builder must refuse, each with the operator named. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nn/tflite.h"
#include "nn/kernels.h"
#include "nn/xnnpack_build.h"
#include "nn/xnnpack_plan.h"
#include "nn_reference.h"

enum { MAX_T = 16, MAX_OPS = 8 };

/* A model description with its own storage. */
typedef struct mb {
    wc_tflite_model m;
    wc_tflite_tensor t[MAX_T];
    wc_tflite_operator op[MAX_OPS];
    int32_t op_io[MAX_OPS][8];
    float scale[MAX_T][16];
    int64_t zp[MAX_T][16];
    uint8_t *data[MAX_T];
    int32_t in[4], out[4];
} mb;


static void mb_init(mb *b)
{
    memset(b, 0, sizeof *b);
    b->m.version = 3;
    b->m.tensors = b->t;
    b->m.operators = b->op;
    b->m.inputs = b->in;
    b->m.outputs = b->out;
}

static void mb_free(mb *b)
{
    for (int i = 0; i < MAX_T; i++)
        free(b->data[i]);
}

static size_t elems(const wc_tflite_tensor *t)
{
    size_t n = 1;
    for (uint32_t i = 0; i < t->rank; i++)
        n *= (size_t)t->shape[i];
    return n;
}

/* A tensor; quantized when scale > 0 (zero point zp). */
static int32_t tensor(mb *b, wc_tflite_type type, float scale, int64_t zp, uint32_t rank,
                      const int32_t *shape)
{
    int32_t i = (int32_t)b->m.ntensors++;
    wc_tflite_tensor *t = &b->t[i];
    t->name = "t";
    t->type = type;
    t->rank = rank;
    memcpy(t->shape, shape, rank * sizeof *shape);
    if (scale > 0) {
        t->quant.count = 1;
        t->quant.scale = b->scale[i];
        t->quant.zero_point = b->zp[i];
        b->scale[i][0] = scale;
        b->zp[i][0] = zp;
    }
    return i;
}

/* Constant random contents: f32 in [-1, 1], quantized values anywhere,
 * int32 (biases) small. */
static void constant(mb *b, int32_t i)
{
    wc_tflite_tensor *t = &b->t[i];
    size_t n = elems(t), size = n * wc_tflite_type_bits(t->type) / 8;
    b->data[i] = malloc(size);
    for (size_t k = 0; k < n; k++) {
        if (t->type == WC_TFLITE_FLOAT32) {
            float f = (float)(nnref_random() % 20001) / 10000.0f - 1.0f;
            memcpy(b->data[i] + 4 * k, &f, 4);
        } else if (t->type == WC_TFLITE_INT32) {
            int32_t v = (int32_t)(nnref_random() % 2001) - 1000;
            memcpy(b->data[i] + 4 * k, &v, 4);
        } else {
            b->data[i][k] = (uint8_t)nnref_random();
        }
    }
    t->data = b->data[i];
    t->data_size = size;
}

static void constant_i32(mb *b, int32_t i, const int32_t *v)
{
    wc_tflite_tensor *t = &b->t[i];
    t->data_size = elems(t) * 4;
    b->data[i] = malloc(t->data_size);
    memcpy(b->data[i], v, t->data_size);
    t->data = b->data[i];
}

/* Per-channel quantization along dim of a constant int8 (or int32) tensor. */
static void per_channel(mb *b, int32_t i, int32_t dim, float base)
{
    wc_tflite_tensor *t = &b->t[i];
    int32_t n = t->shape[dim];
    t->quant.count = (uint32_t)n;
    t->quant.dimension = dim;
    t->quant.scale = b->scale[i];
    t->quant.zero_point = b->zp[i];
    for (int32_t c = 0; c < n; c++) {
        b->scale[i][c] = base * (1.0f + 0.25f * (float)c);
        b->zp[i][c] = 0;
    }
}

static wc_tflite_operator *op(mb *b, int32_t code, uint32_t ninputs, const int32_t *inputs,
                              int32_t output)
{
    uint32_t k = b->m.noperators++;
    wc_tflite_operator *o = &b->op[k];
    o->code = code;
    o->name = wc_tflite_builtin_name(code);
    o->version = 1;
    o->ninputs = ninputs;
    o->noutputs = 1;
    memcpy(b->op_io[k], inputs, ninputs * sizeof *inputs);
    b->op_io[k][7] = output;
    o->inputs = b->op_io[k];
    o->outputs = &b->op_io[k][7];
    o->options.stride_w = o->options.stride_h = 1;
    o->options.dilation_w = o->options.dilation_h = 1;
    o->options.depth_multiplier = 1;
    o->options.beta = 1.0f;
    return o;
}

static void graph_io(mb *b, uint32_t ninputs, const int32_t *inputs, int32_t output)
{
    b->m.ninputs = ninputs;
    memcpy(b->in, inputs, ninputs * sizeof *inputs);
    b->m.noutputs = 1;
    b->out[0] = output;
}

static size_t tensor_size(const wc_tflite_tensor *t)
{
    return elems(t) * wc_tflite_type_bits(t->type) / 8;
}

/* Builds and runs the model on XNNPACK and on the reference with the same
 * random inputs; returns the builder's result (0 or a wc_error code). */
/* One step of a plan, as xnnpack.c runs it. */
static int run_step(const char *name, mb *b, const wc_xnn_plan *plan, uint32_t s, void **buffers,
                    wc_error *err)
{
    const wc_xnn_step *st = &plan->steps[s];
    if (st->own)
        return wc_nn_kernel_run(&b->m, &b->op[st->first], buffers, err);
    xnn_subgraph_t sg;
    int rc = wc_xnn_build(&b->m, plan, s, &sg, err);
    if (rc)
        return rc;
    xnn_runtime_t rt;
    enum xnn_status status = xnn_create_runtime_v2(sg, NULL, 0, &rt);
    xnn_delete_subgraph(sg);
    CHECK(status == xnn_status_success, "%s: runtime: status %d", name, (int)status);
    if (status != xnn_status_success)
        return -1;
    struct xnn_external_value ext[2 * MAX_T];
    for (uint32_t i = 0; i < st->nin + st->nout; i++)
        ext[i] = (struct xnn_external_value){.id = i, .data = buffers[st->external[i]]};
    status = xnn_setup_runtime(rt, st->nin + st->nout, ext);
    if (status == xnn_status_success)
        status = xnn_invoke_runtime(rt);
    CHECK(status == xnn_status_success, "%s: run: status %d", name, (int)status);
    xnn_delete_runtime(rt);
    return 0;
}

/* Plans, builds and runs the model (XNNPACK segments and own kernels) and
 * the reference with the same random inputs; returns the plan's or the
 * builder's result (0 or a wc_error code). */
static int run(const char *name, mb *b, wc_error *err)
{
    wc_xnn_plan *plan;
    int rc = wc_xnn_plan_make(&b->m, &plan, err);
    /* build every segment first, as load does, so that a refused model
     * never gets its (maybe huge) buffers */
    for (uint32_t s = 0; rc == 0 && s < plan->nsteps; s++) {
        xnn_subgraph_t sg;
        if (!plan->steps[s].own && (rc = wc_xnn_build(&b->m, plan, s, &sg, err)) == 0)
            xnn_delete_subgraph(sg);
    }
    if (rc) {
        wc_xnn_plan_free(plan);
        return rc;
    }
    void *buffers[MAX_T] = {0};
    for (uint32_t t = 0; t < b->m.ntensors; t++)
        if (!b->t[t].data)
            buffers[t] = calloc(1, tensor_size(&b->t[t]) + XNN_EXTRA_BYTES);
    const uint8_t *inputs[4];
    for (uint32_t i = 0; i < b->m.ninputs; i++) {
        const wc_tflite_tensor *t = &b->t[b->in[i]];
        uint8_t *buf = buffers[b->in[i]];
        size_t size = tensor_size(t);
        if (t->type == WC_TFLITE_FLOAT32)
            for (size_t k = 0; k < size; k += 4) {
                float f = (float)(nnref_random() % 60001) / 10000.0f - 3.0f;
                memcpy(buf + k, &f, 4);
            }
        else
            for (size_t k = 0; k < size; k++)
                buf[k] = (uint8_t)nnref_random();
        inputs[i] = buf;
    }
    for (uint32_t s = 0; rc == 0 && s < plan->nsteps; s++)
        rc = run_step(name, b, plan, s, buffers, err);
    wc_xnn_plan_free(plan);
    if (rc) {
        for (uint32_t t = 0; t < MAX_T; t++)
            free(buffers[t]);
        return rc;
    }
    const uint8_t *got = buffers[b->out[0]];
    const wc_tflite_tensor *y = &b->t[b->out[0]];
    size_t size = tensor_size(y);
    uint8_t *want = calloc(1, size);
    CHECK(nnref_run(&b->m, inputs, &want) == 0, "%s: reference", name);
    int bad = 0;
    for (size_t i = 0; i < elems(y) && bad < 3; i++) {
        if (y->type == WC_TFLITE_FLOAT32) {
            float g, w;
            memcpy(&g, got + 4 * i, 4);
            memcpy(&w, want + 4 * i, 4);
            if (fabsf(g - w) > 1e-5f && fabsf(g - w) > 1e-4f * fabsf(w)) {
                CHECK(0, "%s: element %zu is %.7g, the reference says %.7g", name, i, g, w);
                bad++;
            }
        } else {
            int g = y->type == WC_TFLITE_INT8 ? (int8_t)got[i] : got[i];
            int w = y->type == WC_TFLITE_INT8 ? (int8_t)want[i] : want[i];
            if (abs(g - w) > 1) {
                CHECK(0, "%s: element %zu is %d, the reference says %d", name, i, g, w);
                bad++;
            }
        }
    }
    free(want);
    for (uint32_t t = 0; t < MAX_T; t++)
        free(buffers[t]);
    return 0;
}

static void agrees(const char *name, mb *b)
{
    wc_error err = {0};
    int rc = run(name, b, &err);
    CHECK(rc == 0, "%s: refused: %s", name, wc_error_message(&err));
    mb_free(b);
}

static void refused(const char *name, mb *b, const char *why)
{
    wc_error err = {0};
    int rc = run(name, b, &err);
    CHECK(rc == WC_EBADMODULE && strstr(err.msg, why), "%s: %d %s (wanted \"%s\")", name, rc,
          err.msg, why);
    mb_free(b);
}

/* ---- one model per operator and option combination -------------------- */

typedef struct qt {
    wc_tflite_type type; /* FLOAT32, INT8 or UINT8 */
    float in_scale, w_scale, out_scale;
    int64_t in_zp, w_zp, out_zp;
} qt;

static const qt F32 = {WC_TFLITE_FLOAT32, 0, 0, 0, 0, 0, 0};
static const qt I8 = {WC_TFLITE_INT8, 0.05f, 0.02f, 0.1f, -3, 0, 5};
static const qt U8 = {WC_TFLITE_UINT8, 0.05f, 0.02f, 0.1f, 128, 120, 130};

static wc_tflite_type bias_type(const qt *q)
{
    return q->type == WC_TFLITE_FLOAT32 ? WC_TFLITE_FLOAT32 : WC_TFLITE_INT32;
}

static void conv_model(mb *b, const qt *q, int depthwise, int padding, int stride, int dilation,
                       int act, int channelwise, int grouped)
{
    mb_init(b);
    int32_t c = grouped ? 4 : 3, oc = depthwise ? 6 : 4, filter_c = depthwise ? oc : grouped ? 2 : c;
    int32_t x = tensor(b, q->type, q->in_scale, q->in_zp, 4, (int32_t[]){1, 9, 8, c});
    int32_t w = tensor(b, q->type, q->w_scale, q->w_zp, 4,
                       depthwise ? (int32_t[]){1, 3, 3, oc} : (int32_t[]){oc, 3, 3, filter_c});
    int32_t bias = tensor(b, bias_type(q), q->in_scale * q->w_scale, 0, 1, (int32_t[]){oc});
    constant(b, w);
    constant(b, bias);
    if (channelwise) {
        per_channel(b, w, depthwise ? 3 : 0, q->w_scale);
        per_channel(b, bias, 0, q->in_scale * q->w_scale);
    }
    int64_t eff = 2 * dilation + 1;
    int32_t oh = padding == WC_TFLITE_PADDING_SAME ? (9 + stride - 1) / stride
                                                   : (int32_t)((9 - eff) / stride + 1);
    int32_t ow = padding == WC_TFLITE_PADDING_SAME ? (8 + stride - 1) / stride
                                                   : (int32_t)((8 - eff) / stride + 1);
    int32_t y = tensor(b, q->type, q->out_scale, q->out_zp, 4, (int32_t[]){1, oh, ow, oc});
    wc_tflite_operator *o = op(b, depthwise ? WC_TFLITE_OP_DEPTHWISE_CONV_2D : WC_TFLITE_OP_CONV_2D,
                               3, (int32_t[]){x, w, bias}, y);
    o->options.padding = padding;
    o->options.stride_h = o->options.stride_w = stride;
    o->options.dilation_h = o->options.dilation_w = dilation;
    o->options.activation = act;
    o->options.depth_multiplier = depthwise ? oc / c : 1;
    graph_io(b, 1, &x, y);
}

typedef struct conv_case {
    const char *name;
    const qt *q;
    int depthwise, padding, stride, dilation, act, channelwise, grouped;
} conv_case;

static void test_convolutions(void)
{
    enum { SAME = WC_TFLITE_PADDING_SAME, VALID = WC_TFLITE_PADDING_VALID };
    static const conv_case cases[] = {
        {"conv f32 same stride 2 relu6", &F32, 0, SAME, 2, 1, WC_TFLITE_ACT_RELU6, 0, 0},
        {"conv f32 valid dilation 2", &F32, 0, VALID, 1, 2, WC_TFLITE_ACT_NONE, 0, 0},
        {"conv f32 grouped relu_n1_to_1", &F32, 0, SAME, 1, 1, WC_TFLITE_ACT_RELU_N1_TO_1, 0, 1},
        {"conv int8 same stride 2 relu", &I8, 0, SAME, 2, 1, WC_TFLITE_ACT_RELU, 0, 0},
        {"conv int8 per-channel valid", &I8, 0, VALID, 1, 1, WC_TFLITE_ACT_NONE, 1, 0},
        {"conv uint8 same relu6", &U8, 0, SAME, 1, 1, WC_TFLITE_ACT_RELU6, 0, 0},
        {"depthwise f32 same stride 2 multiplier 2", &F32, 1, SAME, 2, 1, WC_TFLITE_ACT_RELU, 0,
         0},
        {"depthwise f32 valid dilation 2", &F32, 1, VALID, 1, 2, WC_TFLITE_ACT_NONE, 0, 0},
        {"depthwise int8 per-channel same relu6", &I8, 1, SAME, 1, 1, WC_TFLITE_ACT_RELU6, 1, 0},
        {"depthwise uint8 valid stride 2", &U8, 1, VALID, 2, 1, WC_TFLITE_ACT_NONE, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const conv_case *c = &cases[i];
        mb b;
        conv_model(&b, c->q, c->depthwise, c->padding, c->stride, c->dilation, c->act,
                   c->channelwise, c->grouped);
        agrees(c->name, &b);
    }
}

static void transpose_conv_model(mb *b, const qt *q, int padding, int stride, int out_h,
                                 int out_w)
{
    mb_init(b);
    int32_t shape = tensor(b, WC_TFLITE_INT32, 0, 0, 1, (int32_t[]){4});
    constant_i32(b, shape, (int32_t[]){1, out_h, out_w, 3});
    int32_t w = tensor(b, q->type, q->w_scale, q->w_zp, 4, (int32_t[]){3, 3, 3, 2});
    constant(b, w);
    int32_t x = tensor(b, q->type, q->in_scale, q->in_zp, 4, (int32_t[]){1, 4, 5, 2});
    int32_t y = tensor(b, q->type, q->out_scale, q->out_zp, 4, (int32_t[]){1, out_h, out_w, 3});
    wc_tflite_operator *o = op(b, WC_TFLITE_OP_TRANSPOSE_CONV, 3, (int32_t[]){shape, w, x}, y);
    o->options.padding = padding;
    o->options.stride_h = o->options.stride_w = stride;
    graph_io(b, 1, &x, y);
}

static void test_transpose_conv(void)
{
    mb b;
    transpose_conv_model(&b, &F32, WC_TFLITE_PADDING_SAME, 2, 8, 10);
    agrees("transpose conv f32 same stride 2", &b);
    transpose_conv_model(&b, &F32, WC_TFLITE_PADDING_SAME, 2, 7, 9);
    agrees("transpose conv f32 same stride 2, odd output", &b);
    transpose_conv_model(&b, &F32, WC_TFLITE_PADDING_VALID, 1, 6, 7);
    agrees("transpose conv f32 valid", &b);
    transpose_conv_model(&b, &F32, WC_TFLITE_PADDING_VALID, 2, 9, 11);
    agrees("transpose conv f32 valid stride 2", &b);
    transpose_conv_model(&b, &U8, WC_TFLITE_PADDING_SAME, 2, 8, 10);
    agrees("transpose conv uint8 same stride 2", &b);
}

static void fc_model(mb *b, const qt *q, int keep_num_dims, int rank4, int act, int bias_too)
{
    mb_init(b);
    int32_t x = rank4 ? tensor(b, q->type, q->in_scale, q->in_zp, 4, (int32_t[]){2, 3, 2, 4})
                      : tensor(b, q->type, q->in_scale, q->in_zp, 2, (int32_t[]){3, 8});
    int32_t k = rank4 && keep_num_dims ? 4 : 8;
    int32_t w = tensor(b, q->type, q->w_scale, q->w_zp, 2, (int32_t[]){5, k});
    int32_t bias = tensor(b, bias_type(q), q->in_scale * q->w_scale, 0, 1, (int32_t[]){5});
    constant(b, w);
    constant(b, bias);
    int32_t y = keep_num_dims && rank4
                    ? tensor(b, q->type, q->out_scale, q->out_zp, 4, (int32_t[]){2, 3, 2, 5})
                    : tensor(b, q->type, q->out_scale, q->out_zp, 2,
                             (int32_t[]){rank4 ? 6 : 3, 5});
    wc_tflite_operator *o = op(b, WC_TFLITE_OP_FULLY_CONNECTED, 3,
                               (int32_t[]){x, w, bias_too ? bias : -1}, y);
    o->options.keep_num_dims = keep_num_dims;
    o->options.activation = act;
    graph_io(b, 1, &x, y);
}

static void test_fully_connected(void)
{
    mb b;
    fc_model(&b, &F32, 0, 0, WC_TFLITE_ACT_RELU, 1);
    agrees("fully connected f32 2-D relu", &b);
    fc_model(&b, &F32, 0, 1, WC_TFLITE_ACT_NONE, 0);
    agrees("fully connected f32 4-D flattened, no bias", &b);
    fc_model(&b, &F32, 1, 1, WC_TFLITE_ACT_RELU6, 1);
    agrees("fully connected f32 keep_num_dims", &b);
    fc_model(&b, &I8, 0, 1, WC_TFLITE_ACT_NONE, 1);
    agrees("fully connected int8 4-D flattened", &b);
    fc_model(&b, &U8, 0, 0, WC_TFLITE_ACT_RELU, 1);
    agrees("fully connected uint8 relu", &b);
}

static void pool_model(mb *b, const qt *q, int32_t code, int padding, int filter, int stride,
                       int act)
{
    mb_init(b);
    int32_t x = tensor(b, q->type, q->in_scale, q->in_zp, 4, (int32_t[]){1, 9, 7, 3});
    int32_t oh = padding == WC_TFLITE_PADDING_SAME ? (9 + stride - 1) / stride
                                                   : (9 - filter) / stride + 1;
    int32_t ow = padding == WC_TFLITE_PADDING_SAME ? (7 + stride - 1) / stride
                                                   : (7 - filter) / stride + 1;
    /* TFLite's pools keep the input's quantization */
    int32_t y = tensor(b, q->type, q->in_scale, q->in_zp, 4, (int32_t[]){1, oh, ow, 3});
    wc_tflite_operator *o = op(b, code, 1, &x, y);
    o->options.padding = padding;
    o->options.filter_h = o->options.filter_w = filter;
    o->options.stride_h = o->options.stride_w = stride;
    o->options.activation = act;
    graph_io(b, 1, &x, y);
}

static void mean_model(mb *b, const qt *q, int keep_dims, const int32_t *axes)
{
    mb_init(b);
    int32_t x = tensor(b, q->type, q->in_scale, q->in_zp, 4, (int32_t[]){2, 5, 4, 3});
    int32_t a = tensor(b, WC_TFLITE_INT32, 0, 0, 1, (int32_t[]){2});
    constant_i32(b, a, axes);
    int32_t y = keep_dims ? tensor(b, q->type, q->out_scale, q->out_zp, 4, (int32_t[]){2, 1, 1, 3})
                          : tensor(b, q->type, q->out_scale, q->out_zp, 2, (int32_t[]){2, 3});
    wc_tflite_operator *o = op(b, WC_TFLITE_OP_MEAN, 2, (int32_t[]){x, a}, y);
    o->options.keep_dims = keep_dims;
    graph_io(b, 1, &x, y);
}

typedef struct pool_case {
    const char *name;
    const qt *q;
    int32_t code;
    int padding, filter, stride, act;
} pool_case;

static void test_pools(void)
{
    enum { SAME = WC_TFLITE_PADDING_SAME, VALID = WC_TFLITE_PADDING_VALID };
    enum { AVG = WC_TFLITE_OP_AVERAGE_POOL_2D, MAX = WC_TFLITE_OP_MAX_POOL_2D };
    static const pool_case cases[] = {
        {"average pool f32 same 3x3 stride 2", &F32, AVG, SAME, 3, 2, WC_TFLITE_ACT_NONE},
        {"average pool f32 valid 2x2 relu", &F32, AVG, VALID, 2, 2, WC_TFLITE_ACT_RELU},
        {"average pool int8 valid 3x3", &I8, AVG, VALID, 3, 1, WC_TFLITE_ACT_NONE},
        {"average pool int8 same 3x3 stride 2", &I8, AVG, SAME, 3, 2, WC_TFLITE_ACT_NONE},
        {"max pool f32 same 3x3 stride 2 relu6", &F32, MAX, SAME, 3, 2, WC_TFLITE_ACT_RELU6},
        {"max pool int8 valid 2x2", &I8, MAX, VALID, 2, 2, WC_TFLITE_ACT_NONE},
        {"max pool uint8 same 2x2", &U8, MAX, SAME, 2, 1, WC_TFLITE_ACT_NONE},
        {"max pool f32 1x1 (a clamp)", &F32, MAX, VALID, 1, 1, WC_TFLITE_ACT_RELU},
    };
    mb b;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const pool_case *c = &cases[i];
        pool_model(&b, c->q, c->code, c->padding, c->filter, c->stride, c->act);
        agrees(c->name, &b);
    }
    mean_model(&b, &F32, 1, (int32_t[]){1, 2});
    agrees("mean f32 over h, w keep_dims", &b);
    mean_model(&b, &F32, 0, (int32_t[]){2, 1});
    agrees("mean f32 over w, h", &b);
    mean_model(&b, &I8, 0, (int32_t[]){1, 2});
    agrees("mean int8 over h, w", &b);
    mean_model(&b, &F32, 0, (int32_t[]){1, 3});
    refused("mean over h and c declared as [2, 3]", &b, "operator 0 (MEAN)");
    mean_model(&b, &F32, 0, (int32_t[]){1, 3});
    b.t[b.out[0]].shape[1] = 4;
    agrees("mean f32 over h and c (own kernel)", &b);
    mean_model(&b, &I8, 1, (int32_t[]){-1, 0});
    b.t[b.out[0]].shape[0] = 1;
    b.t[b.out[0]].shape[1] = 5;
    b.t[b.out[0]].shape[2] = 4;
    b.t[b.out[0]].shape[3] = 1;
    agrees("mean int8 over c and n keep_dims (own kernel)", &b);
}

static void binary_model(mb *b, const qt *q, int32_t code, int act, int broadcast,
                         int constant_operand)
{
    mb_init(b);
    int32_t a = tensor(b, q->type, q->in_scale, q->in_zp, 4, (int32_t[]){1, 4, 5, 3});
    int32_t c = broadcast ? tensor(b, q->type, q->w_scale * 4, q->w_zp, 1, (int32_t[]){3})
                          : tensor(b, q->type, q->w_scale * 4, q->w_zp, 4, (int32_t[]){1, 4, 5, 3});
    int32_t y = tensor(b, q->type, q->out_scale, q->out_zp, 4, (int32_t[]){1, 4, 5, 3});
    if (constant_operand)
        constant(b, c);
    if (code == WC_TFLITE_OP_DIV && q->type == WC_TFLITE_FLOAT32) {
        /* divisors away from zero */
        for (size_t i = 0; constant_operand && i < elems(&b->t[c]); i++) {
            float f;
            memcpy(&f, b->data[c] + 4 * i, 4);
            f = f < 0 ? f - 0.5f : f + 0.5f;
            memcpy(b->data[c] + 4 * i, &f, 4);
        }
    }
    wc_tflite_operator *o = op(b, code, 2, (int32_t[]){a, c}, y);
    o->options.activation = act;
    if (constant_operand)
        graph_io(b, 1, &a, y);
    else
        graph_io(b, 2, (int32_t[]){a, c}, y);
}

typedef struct binary_case {
    const char *name;
    const qt *q;
    int32_t code;
    int act, broadcast, constant_operand;
} binary_case;

static void test_binary(void)
{
    static const binary_case cases[] = {
        {"add f32 relu", &F32, WC_TFLITE_OP_ADD, WC_TFLITE_ACT_RELU, 0, 0},
        {"add f32 broadcast constant", &F32, WC_TFLITE_OP_ADD, WC_TFLITE_ACT_NONE, 1, 1},
        {"add int8 relu6", &I8, WC_TFLITE_OP_ADD, WC_TFLITE_ACT_RELU6, 0, 0},
        {"add uint8 broadcast", &U8, WC_TFLITE_OP_ADD, WC_TFLITE_ACT_NONE, 1, 0},
        {"sub f32 broadcast relu_n1_to_1", &F32, WC_TFLITE_OP_SUB, WC_TFLITE_ACT_RELU_N1_TO_1, 1,
         0},
        {"sub int8", &I8, WC_TFLITE_OP_SUB, WC_TFLITE_ACT_NONE, 0, 0},
        {"mul f32 broadcast constant", &F32, WC_TFLITE_OP_MUL, WC_TFLITE_ACT_NONE, 1, 1},
        {"mul int8", &I8, WC_TFLITE_OP_MUL, WC_TFLITE_ACT_NONE, 0, 0},
        {"div f32 broadcast constant", &F32, WC_TFLITE_OP_DIV, WC_TFLITE_ACT_NONE, 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const binary_case *c = &cases[i];
        mb b;
        binary_model(&b, c->q, c->code, c->act, c->broadcast, c->constant_operand);
        agrees(c->name, &b);
    }
}

static void unary_model(mb *b, const qt *q, int32_t code, float out_scale, int64_t out_zp)
{
    mb_init(b);
    int32_t x = tensor(b, q->type, q->in_scale, q->in_zp, 3, (int32_t[]){2, 3, 7});
    int32_t y = tensor(b, q->type, out_scale, out_zp, 3, (int32_t[]){2, 3, 7});
    wc_tflite_operator *o = op(b, code, 1, &x, y);
    o->options.alpha = 0.2f;
    graph_io(b, 1, &x, y);
}

static void test_unary(void)
{
    static const int32_t codes[] = {WC_TFLITE_OP_SOFTMAX,      WC_TFLITE_OP_LOGISTIC,
                                    WC_TFLITE_OP_RELU,         WC_TFLITE_OP_RELU6,
                                    WC_TFLITE_OP_RELU_N1_TO_1, WC_TFLITE_OP_LEAKY_RELU,
                                    WC_TFLITE_OP_HARD_SWISH};
    mb b;
    char name[64];
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        snprintf(name, sizeof name, "%s f32", wc_tflite_builtin_name(codes[i]));
        unary_model(&b, &F32, codes[i], 0, 0);
        agrees(name, &b);
    }
    unary_model(&b, &I8, WC_TFLITE_OP_SOFTMAX, 1.0f / 256, -128);
    agrees("SOFTMAX int8", &b);
    unary_model(&b, &I8, WC_TFLITE_OP_LOGISTIC, 1.0f / 256, -128);
    agrees("LOGISTIC int8", &b);
    unary_model(&b, &U8, WC_TFLITE_OP_SOFTMAX, 1.0f / 256, 0);
    agrees("SOFTMAX uint8", &b);
    unary_model(&b, &I8, WC_TFLITE_OP_LEAKY_RELU, 0.04f, -20);
    agrees("LEAKY_RELU int8", &b);
    unary_model(&b, &I8, WC_TFLITE_OP_HARD_SWISH, 0.04f, -20);
    agrees("HARD_SWISH int8", &b);
    unary_model(&b, &F32, WC_TFLITE_OP_TANH, 0, 0);
    agrees("TANH f32 (own kernel)", &b);
    unary_model(&b, &I8, WC_TFLITE_OP_TANH, 1.0f / 128, 0);
    agrees("TANH int8 (own kernel)", &b);
}

static void test_shapes_and_types(void)
{
    mb b;
    /* RESHAPE: the declared output shape */
    mb_init(&b);
    int32_t x = tensor(&b, WC_TFLITE_INT8, 0.1f, 3, 4, (int32_t[]){1, 2, 3, 4});
    int32_t s = tensor(&b, WC_TFLITE_INT32, 0, 0, 1, (int32_t[]){2});
    constant_i32(&b, s, (int32_t[]){6, 4});
    int32_t y = tensor(&b, WC_TFLITE_INT8, 0.1f, 3, 2, (int32_t[]){6, 4});
    op(&b, WC_TFLITE_OP_RESHAPE, 2, (int32_t[]){x, s}, y);
    graph_io(&b, 1, &x, y);
    agrees("reshape int8", &b);

    /* QUANTIZE then DEQUANTIZE */
    mb_init(&b);
    x = tensor(&b, WC_TFLITE_FLOAT32, 0, 0, 2, (int32_t[]){3, 5});
    int32_t q = tensor(&b, WC_TFLITE_INT8, 0.03f, -7, 2, (int32_t[]){3, 5});
    y = tensor(&b, WC_TFLITE_FLOAT32, 0, 0, 2, (int32_t[]){3, 5});
    op(&b, WC_TFLITE_OP_QUANTIZE, 1, &x, q);
    op(&b, WC_TFLITE_OP_DEQUANTIZE, 1, &q, y);
    graph_io(&b, 1, &x, y);
    agrees("quantize, dequantize", &b);

    mb_init(&b);
    x = tensor(&b, WC_TFLITE_FLOAT32, 0, 0, 2, (int32_t[]){3, 5});
    y = tensor(&b, WC_TFLITE_UINT8, 0.03f, 100, 2, (int32_t[]){3, 5});
    op(&b, WC_TFLITE_OP_QUANTIZE, 1, &x, y);
    graph_io(&b, 1, &x, y);
    agrees("quantize to uint8", &b);

    /* PAD */
    for (int k = 0; k < 2; k++) {
        const qt *t = k ? &I8 : &F32;
        mb_init(&b);
        x = tensor(&b, t->type, t->in_scale, t->in_zp, 4, (int32_t[]){1, 3, 4, 2});
        int32_t p = tensor(&b, WC_TFLITE_INT32, 0, 0, 2, (int32_t[]){4, 2});
        constant_i32(&b, p, (int32_t[]){0, 0, 1, 2, 2, 0, 0, 1});
        y = tensor(&b, t->type, t->in_scale, t->in_zp, 4, (int32_t[]){1, 6, 6, 3});
        op(&b, WC_TFLITE_OP_PAD, 2, (int32_t[]){x, p}, y);
        graph_io(&b, 1, &x, y);
        agrees(k ? "pad int8" : "pad f32", &b);
    }

    /* RESIZE_BILINEAR in its three samplings */
    for (int mode = 0; mode < 3; mode++) {
        mb_init(&b);
        x = tensor(&b, WC_TFLITE_FLOAT32, 0, 0, 4, (int32_t[]){1, 3, 4, 2});
        int32_t size = tensor(&b, WC_TFLITE_INT32, 0, 0, 1, (int32_t[]){2});
        constant_i32(&b, size, (int32_t[]){5, 7});
        y = tensor(&b, WC_TFLITE_FLOAT32, 0, 0, 4, (int32_t[]){1, 5, 7, 2});
        wc_tflite_operator *o = op(&b, WC_TFLITE_OP_RESIZE_BILINEAR, 2, (int32_t[]){x, size}, y);
        o->options.align_corners = mode == 1;
        o->options.half_pixel_centers = mode == 2;
        graph_io(&b, 1, &x, y);
        agrees(mode == 0   ? "resize bilinear legacy"
               : mode == 1 ? "resize bilinear align_corners"
                           : "resize bilinear half_pixel_centers",
               &b);
    }

    /* DEPTH_TO_SPACE */
    mb_init(&b);
    x = tensor(&b, WC_TFLITE_FLOAT32, 0, 0, 4, (int32_t[]){1, 2, 3, 8});
    y = tensor(&b, WC_TFLITE_FLOAT32, 0, 0, 4, (int32_t[]){1, 4, 6, 2});
    op(&b, WC_TFLITE_OP_DEPTH_TO_SPACE, 1, &x, y)->options.block_size = 2;
    graph_io(&b, 1, &x, y);
    agrees("depth to space", &b);

    /* PRELU with a [1, 1, C] slope */
    mb_init(&b);
    x = tensor(&b, WC_TFLITE_FLOAT32, 0, 0, 4, (int32_t[]){1, 3, 4, 5});
    int32_t alpha = tensor(&b, WC_TFLITE_FLOAT32, 0, 0, 3, (int32_t[]){1, 1, 5});
    constant(&b, alpha);
    y = tensor(&b, WC_TFLITE_FLOAT32, 0, 0, 4, (int32_t[]){1, 3, 4, 5});
    op(&b, WC_TFLITE_OP_PRELU, 2, (int32_t[]){x, alpha}, y);
    graph_io(&b, 1, &x, y);
    agrees("prelu", &b);

    /* an operator whose result nothing reads is left out */
    mb_init(&b);
    x = tensor(&b, WC_TFLITE_FLOAT32, 0, 0, 2, (int32_t[]){3, 5});
    int32_t unused = tensor(&b, WC_TFLITE_FLOAT32, 0, 0, 2, (int32_t[]){3, 5});
    y = tensor(&b, WC_TFLITE_FLOAT32, 0, 0, 2, (int32_t[]){3, 5});
    op(&b, WC_TFLITE_OP_RELU, 1, &x, unused);
    op(&b, WC_TFLITE_OP_LOGISTIC, 1, &x, y);
    graph_io(&b, 1, &x, y);
    agrees("a dead operator", &b);

    /* CONCATENATION: f32 on a negative axis with a constant input and a
     * fused relu; int8 of inputs quantized differently */
    for (int k = 0; k < 2; k++) {
        const qt *t = k ? &I8 : &F32;
        mb_init(&b);
        x = tensor(&b, t->type, t->in_scale, t->in_zp, 3, (int32_t[]){2, 3, 4});
        int32_t x2 = tensor(&b, t->type, t->w_scale * 3, t->w_zp, 3, (int32_t[]){2, 2, 4});
        int32_t c = tensor(&b, t->type, t->in_scale, t->in_zp, 3, (int32_t[]){2, 1, 4});
        constant(&b, c);
        y = tensor(&b, t->type, t->out_scale, t->out_zp, 3, (int32_t[]){2, 6, 4});
        wc_tflite_operator *o = op(&b, WC_TFLITE_OP_CONCATENATION, 3, (int32_t[]){x, c, x2}, y);
        o->options.axis = -2;
        o->options.activation = k ? WC_TFLITE_ACT_NONE : WC_TFLITE_ACT_RELU;
        graph_io(&b, 2, (int32_t[]){x, x2}, y);
        agrees(k ? "concatenation int8 (own kernel)" : "concatenation f32 relu (own kernel)", &b);
    }

    /* own kernels between XNNPACK segments: conv, tanh, depthwise conv,
     * concatenated with the conv's result, then softmax */
    for (int k = 0; k < 2; k++) {
        const qt *t = k ? &I8 : &F32;
        conv_model(&b, t, 0, WC_TFLITE_PADDING_SAME, 1, 1, WC_TFLITE_ACT_NONE, 0, 0);
        int32_t conv = b.out[0];
        const int32_t *shape = b.t[conv].shape;
        int32_t th = tensor(&b, t->type, k ? 1.0f / 128 : 0, 0, 4, shape);
        op(&b, WC_TFLITE_OP_TANH, 1, &conv, th);
        int32_t w = tensor(&b, t->type, t->w_scale, t->w_zp, 4, (int32_t[]){1, 3, 3, 4});
        constant(&b, w);
        int32_t dw = tensor(&b, t->type, t->out_scale, t->out_zp, 4, shape);
        op(&b, WC_TFLITE_OP_DEPTHWISE_CONV_2D, 3, (int32_t[]){th, w, -1}, dw)->options.padding =
            WC_TFLITE_PADDING_SAME;
        int32_t cat = tensor(&b, t->type, t->out_scale, t->out_zp, 4,
                             (int32_t[]){1, shape[1], shape[2], 8});
        op(&b, WC_TFLITE_OP_CONCATENATION, 2, (int32_t[]){dw, conv}, cat)->options.axis = 3;
        y = tensor(&b, t->type, k ? 1.0f / 256 : 0, k ? -128 : 0, 4, b.t[cat].shape);
        op(&b, WC_TFLITE_OP_SOFTMAX, 1, &cat, y);
        b.out[0] = y;
        agrees(k ? "segments around own kernels, int8" : "segments around own kernels, f32", &b);
    }

    /* two operators: conv then softmax over the result, int8 */
    conv_model(&b, &I8, 0, WC_TFLITE_PADDING_SAME, 1, 1, WC_TFLITE_ACT_NONE, 1, 0);
    int32_t conv_out = b.out[0];
    y = tensor(&b, WC_TFLITE_INT8, 1.0f / 256, -128, 4, b.t[conv_out].shape);
    op(&b, WC_TFLITE_OP_SOFTMAX, 1, &conv_out, y);
    b.out[0] = y;
    agrees("conv then softmax int8", &b);
}

/* ---- what the builder refuses ------------------------------------------ */

static void test_refusals(void)
{
    mb b;
    /* a declared output shape the operator does not compute: XNNPACK
     * would write past the buffer it sizes from the declaration */
    conv_model(&b, &F32, 0, WC_TFLITE_PADDING_SAME, 1, 1, WC_TFLITE_ACT_NONE, 0, 0);
    b.t[b.out[0]].shape[1] = 2;
    refused("conv output too small", &b, "declared with a shape it does not compute");
    fc_model(&b, &F32, 0, 1, WC_TFLITE_ACT_NONE, 1);
    b.t[b.out[0]].shape[0] = 1;
    refused("fully connected output too small", &b, "operator 0 (FULLY_CONNECTED)");
    binary_model(&b, &F32, WC_TFLITE_OP_ADD, WC_TFLITE_ACT_NONE, 0, 0);
    b.t[b.in[1]].shape[2] = 4;
    refused("add of shapes that do not broadcast", &b, "do not broadcast");
    pool_model(&b, &F32, WC_TFLITE_OP_MAX_POOL_2D, WC_TFLITE_PADDING_VALID, 2, 2,
               WC_TFLITE_ACT_NONE);
    b.op[0].options.activation = WC_TFLITE_ACT_TANH;
    refused("fused tanh", &b, "fused activation TANH");

    /* huge dimensions: refused by the shape check, never allocated */
    fc_model(&b, &F32, 0, 0, WC_TFLITE_ACT_NONE, 1);
    b.t[b.in[0]].shape[0] = 1 << 30;
    refused("huge input", &b, "declared with a shape it does not compute");

    /* an operator reading a tensor nothing writes */
    unary_model(&b, &F32, WC_TFLITE_OP_RELU, 0, 0);
    int32_t orphan = tensor(&b, WC_TFLITE_FLOAT32, 0, 0, 3, (int32_t[]){2, 3, 7});
    b.op_io[0][0] = orphan;
    refused("unwritten tensor", &b, "before any operator writes it");

    /* an operator writing a graph input that a later one reads */
    unary_model(&b, &F32, WC_TFLITE_OP_RELU, 0, 0);
    b.op_io[0][7] = b.in[0];
    op(&b, WC_TFLITE_OP_LOGISTIC, 1, &b.in[0], b.out[0]);
    refused("writes a graph input", &b, "already written or constant");

    /* rank over XNNPACK's 6 */
    mb_init(&b);
    int32_t x = tensor(&b, WC_TFLITE_FLOAT32, 0, 0, 7, (int32_t[]){1, 1, 1, 1, 1, 2, 3});
    int32_t y = tensor(&b, WC_TFLITE_FLOAT32, 0, 0, 7, (int32_t[]){1, 1, 1, 1, 1, 2, 3});
    op(&b, WC_TFLITE_OP_RELU, 1, &x, y);
    graph_io(&b, 1, &x, y);
    refused("rank 7", &b, "rank 7");

    /* an operator neither XNNPACK nor an own kernel runs */
    mb_init(&b);
    x = tensor(&b, WC_TFLITE_FLOAT32, 0, 0, 2, (int32_t[]){2, 3});
    y = tensor(&b, WC_TFLITE_FLOAT32, 0, 0, 2, (int32_t[]){2, 3});
    op(&b, 32, 1, &x, y)->name = "MyCustomOp";
    graph_io(&b, 1, &x, y);
    refused("custom", &b, "operator 0 (MyCustomOp)");

    mb_init(&b);
    x = tensor(&b, WC_TFLITE_FLOAT32, 0, 0, 2, (int32_t[]){2, 3});
    y = tensor(&b, WC_TFLITE_FLOAT32, 0, 0, 2, (int32_t[]){2, 7});
    op(&b, WC_TFLITE_OP_CONCATENATION, 2, (int32_t[]){x, x}, y)->options.axis = 1;
    graph_io(&b, 1, &x, y);
    refused("concatenation declared too wide", &b, "operator 0 (CONCATENATION)");
}

int main(void)
{
    test_convolutions();
    test_transpose_conv();
    test_fully_connected();
    test_pools();
    test_binary();
    test_unary();
    test_shapes_and_types();
    test_refusals();
    printf("%s: %d checks, %d failures\n", failures ? "FAIL" : "ok", checks, failures);
    return failures != 0;
}
