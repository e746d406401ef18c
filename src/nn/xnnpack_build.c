/* xnnpack_build.c -- TFLite operators as XNNPACK subgraph nodes.
 *
 * Every operator's output shape is computed here from its inputs and
 * options and compared with the shape the file declares: XNNPACK sizes its
 * buffers from the declared shapes and computes from the real ones, so a
 * hostile file that disagreed would make it write out of bounds.
 *
 * Padding is made explicit exactly as TFLite computes it (SAME: the total
 * (out-1)*stride + effective filter - in, its smaller half before).  A
 * quantized operator this XNNPACK has only in f32 (SOFTMAX, LOGISTIC, ...)
 * runs in f32 between two converts, as TFLite's own reference does up to
 * one unit of rounding.
 */
#include "nn/xnnpack_build.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { REFUSED = -1 };

typedef struct builder {
    const wc_tflite_model *m;
    xnn_subgraph_t sg;
    uint32_t *ids;         /* per tensor: its value, or XNN_INVALID_VALUE_ID */
    unsigned char *ready;  /* per tensor: produced, constant or a graph input */
    const wc_xnn_step *step;
    uint32_t opi;
    const wc_tflite_operator *op;
    wc_error *err;
} builder;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static enum xnn_status init_status;

static void init_xnnpack(void)
{
    init_status = xnn_initialize(NULL);
}

int wc_xnn_init(wc_error *err)
{
    pthread_once(&init_once, init_xnnpack);
    if (init_status != xnn_status_success)
        return wc_error_set(err, WC_ENOTSUP, "nn: XNNPACK does not run on this CPU (status %d)",
                            (int)init_status);
    return 0;
}

static int refuse(builder *b, const char *fmt, const char *detail)
{
    char what[256];
    snprintf(what, sizeof what, fmt, detail);
    wc_error_set(b->err, WC_EBADMODULE, "nn: operator %u (%s): %s", b->opi, b->op->name, what);
    return REFUSED;
}

static int refuse_status(builder *b, const char *node, enum xnn_status st)
{
    wc_error_set(b->err, WC_EBADMODULE,
                 "nn: operator %u (%s): XNNPACK cannot make a %s node of it (status %d)", b->opi,
                 b->op->name, node, (int)st);
    return REFUSED;
}

static const wc_tflite_tensor *T(const builder *b, int32_t index)
{
    return &b->m->tensors[index];
}

static const wc_tflite_tensor *in_tensor(const builder *b, uint32_t i)
{
    return i < b->op->ninputs && b->op->inputs[i] >= 0 ? T(b, b->op->inputs[i]) : NULL;
}

static int is_quantized(const wc_tflite_tensor *t)
{
    return t->type == WC_TFLITE_INT8 || t->type == WC_TFLITE_UINT8;
}

static int datatype_of(const wc_tflite_tensor *t, enum xnn_datatype *dt)
{
    uint32_t q = t->quant.count;
    switch (t->type) {
    case WC_TFLITE_FLOAT32:
        *dt = xnn_datatype_fp32;
        return 0;
    case WC_TFLITE_INT8:
        *dt = q == 1 ? xnn_datatype_qint8 : xnn_datatype_qcint8;
        return q ? 0 : -1;
    case WC_TFLITE_UINT8:
        *dt = xnn_datatype_quint8;
        return q == 1 ? 0 : -1;
    case WC_TFLITE_INT32:
        *dt = q == 1 ? xnn_datatype_qint32 : xnn_datatype_qcint32;
        return q ? 0 : -1;
    default:
        return -1;
    }
}

static int dims_of(builder *b, const wc_tflite_tensor *t, size_t *dims)
{
    if (t->rank > XNN_MAX_TENSOR_DIMS)
        return refuse(b, "a tensor of rank %s (XNNPACK takes at most 6)",
                      t->rank == 7 ? "7" : "8");
    for (uint32_t i = 0; i < t->rank; i++) {
        if (t->shape[i] < 1)
            return refuse(b, "a tensor with an unknown or empty dimension%s", "");
        dims[i] = (size_t)t->shape[i];
    }
    return 0;
}

/* The value of tensor index, defined on first use. */
static int value(builder *b, int32_t index, uint32_t *id)
{
    if (b->ids[index] != XNN_INVALID_VALUE_ID) {
        *id = b->ids[index];
        return 0;
    }
    const wc_tflite_tensor *t = T(b, index);
    if (!b->ready[index])
        return refuse(b, "reads tensor \"%s\" before any operator writes it", t->name);
    enum xnn_datatype dt;
    if (datatype_of(t, &dt) < 0)
        return refuse(b, "a tensor of type %s and this quantization", wc_tflite_type_name(t->type));
    size_t dims[XNN_MAX_TENSOR_DIMS];
    if (dims_of(b, t, dims) < 0)
        return REFUSED;
    uint32_t ext = XNN_INVALID_VALUE_ID, flags = 0;
    for (uint32_t i = 0; i < b->step->nin + b->step->nout; i++)
        if (b->step->external[i] == index) {
            ext = i;
            flags = i < b->step->nin ? XNN_VALUE_FLAG_EXTERNAL_INPUT : XNN_VALUE_FLAG_EXTERNAL_OUTPUT;
        }
    enum xnn_status st;
    if (dt == xnn_datatype_fp32)
        st = xnn_define_tensor_value(b->sg, dt, t->rank, dims, t->data, ext, flags, id);
    else if (t->quant.count == 1) {
        int64_t zp = t->quant.zero_point[0];
        if (dt == xnn_datatype_qint32 && zp != 0)
            return refuse(b, "an int32 tensor \"%s\" with a zero point", t->name);
        st = xnn_define_quantized_tensor_value(b->sg, dt, (int32_t)zp, t->quant.scale[0], t->rank,
                                               dims, t->data, ext, flags, id);
    } else {
        for (uint32_t c = 0; c < t->quant.count; c++)
            if (t->quant.zero_point[c] != 0)
                return refuse(b, "per-channel tensor \"%s\" with a zero point", t->name);
        if (!t->data)
            return refuse(b, "per-channel quantization of the non-constant tensor \"%s\"",
                          t->name);
        st = xnn_define_channelwise_quantized_tensor_value(b->sg, dt, t->quant.scale, t->rank,
                                                           (size_t)t->quant.dimension, dims,
                                                           t->data, ext, flags, id);
    }
    if (st != xnn_status_success)
        return refuse_status(b, "tensor", st);
    b->ids[index] = *id;
    return 0;
}

/* A value for an intermediate result of the given type and shape. */
static int temp_value(builder *b, const wc_tflite_tensor *like, enum xnn_datatype dt, uint32_t rank,
                      const size_t *dims, uint32_t *id)
{
    enum xnn_status st;
    if (dt == xnn_datatype_fp32)
        st = xnn_define_tensor_value(b->sg, dt, rank, dims, NULL, XNN_INVALID_VALUE_ID, 0, id);
    else
        st = xnn_define_quantized_tensor_value(b->sg, dt, (int32_t)like->quant.zero_point[0],
                                               like->quant.scale[0], rank, dims, NULL,
                                               XNN_INVALID_VALUE_ID, 0, id);
    return st == xnn_status_success ? 0 : refuse_status(b, "tensor", st);
}

static int expect_shape(builder *b, const wc_tflite_tensor *out, uint32_t rank,
                        const int64_t *dims)
{
    int same = out->rank == rank;
    for (uint32_t i = 0; same && i < rank; i++)
        same = out->shape[i] == dims[i];
    return same ? 0 : refuse(b, "its output \"%s\" is declared with a shape it does not compute",
                             out->name);
}

static int same_shape(builder *b, const wc_tflite_tensor *in, const wc_tflite_tensor *out)
{
    int64_t d[WC_TFLITE_MAX_RANK];
    for (uint32_t i = 0; i < in->rank; i++)
        d[i] = in->shape[i];
    return expect_shape(b, out, in->rank, d);
}

static int activation_range(builder *b, int act, float *lo, float *hi)
{
    *lo = -INFINITY;
    *hi = INFINITY;
    switch (act) {
    case WC_TFLITE_ACT_NONE:
        return 0;
    case WC_TFLITE_ACT_RELU:
        *lo = 0;
        return 0;
    case WC_TFLITE_ACT_RELU_N1_TO_1:
        *lo = -1;
        *hi = 1;
        return 0;
    case WC_TFLITE_ACT_RELU6:
        *lo = 0;
        *hi = 6;
        return 0;
    }
    return refuse(b, "fused activation %s is not supported", wc_tflite_activation_name(act));
}

/* TFLite's padding and output size along one spatial dimension. */
static int64_t spatial(int padding, int64_t in, int64_t k, int64_t s, int64_t d, uint32_t *before,
                       uint32_t *after)
{
    int64_t eff = (k - 1) * d + 1;
    *before = *after = 0;
    if (padding == WC_TFLITE_PADDING_VALID)
        return in >= eff ? (in - eff) / s + 1 : 0;
    int64_t out = (in + s - 1) / s;
    int64_t total = (out - 1) * s + eff - in;
    if (total > 0) {
        *before = (uint32_t)(total / 2);
        *after = (uint32_t)(total - total / 2);
    }
    return out;
}

static int need_rank(builder *b, const wc_tflite_tensor *t, uint32_t rank, const char *what)
{
    if (!t || t->rank != rank)
        return refuse(b, "its %s does not have the rank the operator needs", what);
    return 0;
}

static int need_constant(builder *b, const wc_tflite_tensor *t, const char *what)
{
    if (!t || !t->data)
        return refuse(b, "its %s is not constant", what);
    return 0;
}

static int steps_valid(builder *b, const wc_tflite_options *o, int dilated)
{
    if (o->stride_w < 1 || o->stride_h < 1 || (dilated && (o->dilation_w < 1 || o->dilation_h < 1)))
        return refuse(b, "strides and dilations must be at least 1%s", "");
    return 0;
}

static uint32_t optional_value(builder *b, uint32_t i, int *rc)
{
    uint32_t id = XNN_INVALID_VALUE_ID;
    if (i < b->op->ninputs && b->op->inputs[i] >= 0)
        *rc = value(b, b->op->inputs[i], &id);
    return id;
}

/* The fused activation's clamp and the values of inputs 1 and 2 (weights
 * and the optional bias) of a convolution or fully connected operator. */
static int clamp_weights_bias(builder *b, float *lo, float *hi, uint32_t *wid, uint32_t *bid)
{
    int rc = 0;
    if (activation_range(b, b->op->options.activation, lo, hi))
        return REFUSED;
    *wid = optional_value(b, 1, &rc);
    *bid = optional_value(b, 2, &rc);
    return rc;
}

static int conv(builder *b, uint32_t x, uint32_t out, int depthwise)
{
    const wc_tflite_options *o = &b->op->options;
    const wc_tflite_tensor *in = in_tensor(b, 0), *w = in_tensor(b, 1), *y = T(b, b->op->outputs[0]);
    if (need_rank(b, in, 4, "input") || need_rank(b, w, 4, "filter") ||
        need_constant(b, w, "filter") || steps_valid(b, o, 1))
        return REFUSED;
    int64_t c = in->shape[3], kh = w->shape[1], kw = w->shape[2];
    int64_t oc = depthwise ? w->shape[3] : w->shape[0];
    int64_t groups = 1, group_in = c;
    if (depthwise) {
        if (w->shape[0] != 1 || oc % c)
            return refuse(b, "its filter is not [1, h, w, channels x multiplier]%s", "");
    } else {
        if (c % w->shape[3] || oc % (c / w->shape[3]))
            return refuse(b, "its filter's channels do not divide the input's%s", "");
        group_in = w->shape[3];
        groups = c / group_in;
    }
    const wc_tflite_tensor *bias = in_tensor(b, 2);
    if (bias && (bias->rank != 1 || bias->shape[0] != oc))
        return refuse(b, "its bias does not have one value per output channel%s", "");
    uint32_t pt, pb, pl, pr;
    int64_t oh = spatial(o->padding, in->shape[1], kh, o->stride_h, o->dilation_h, &pt, &pb);
    int64_t ow = spatial(o->padding, in->shape[2], kw, o->stride_w, o->dilation_w, &pl, &pr);
    if (expect_shape(b, y, 4, (int64_t[]){in->shape[0], oh, ow, oc}))
        return REFUSED;
    float lo, hi;
    uint32_t wid, bid;
    if (clamp_weights_bias(b, &lo, &hi, &wid, &bid))
        return REFUSED;
    enum xnn_status st;
    if (depthwise)
        st = xnn_define_depthwise_convolution_2d(
            b->sg, pt, pr, pb, pl, (uint32_t)kh, (uint32_t)kw, (uint32_t)o->stride_h,
            (uint32_t)o->stride_w, (uint32_t)o->dilation_h, (uint32_t)o->dilation_w,
            (uint32_t)(oc / c), (size_t)c, lo, hi, x, wid, bid, out, 0);
    else
        st = xnn_define_convolution_2d(b->sg, pt, pr, pb, pl, (uint32_t)kh, (uint32_t)kw,
                                       (uint32_t)o->stride_h, (uint32_t)o->stride_w,
                                       (uint32_t)o->dilation_h, (uint32_t)o->dilation_w,
                                       (uint32_t)groups, (size_t)group_in,
                                       (size_t)(oc / groups), lo, hi, x, wid, bid, out, 0);
    return st == xnn_status_success ? 0 : refuse_status(b, "convolution", st);
}

static int transpose_conv(builder *b, uint32_t out)
{
    const wc_tflite_options *o = &b->op->options;
    const wc_tflite_tensor *shape = in_tensor(b, 0), *w = in_tensor(b, 1), *in = in_tensor(b, 2);
    const wc_tflite_tensor *y = T(b, b->op->outputs[0]);
    if (need_rank(b, in, 4, "input") || need_rank(b, w, 4, "filter") ||
        need_constant(b, w, "filter") || need_constant(b, shape, "output shape") ||
        steps_valid(b, o, 0) || need_rank(b, y, 4, "output"))
        return REFUSED;
    if (shape->type != WC_TFLITE_INT32 || shape->data_size != 16)
        return refuse(b, "its output shape is not 4 int32 values%s", "");
    int32_t want[4];
    memcpy(want, shape->data, sizeof want);
    int64_t oc = w->shape[0], kh = w->shape[1], kw = w->shape[2];
    if (w->shape[3] != in->shape[3])
        return refuse(b, "its filter's channels are not the input's%s", "");
    if (expect_shape(b, y, 4, (int64_t[]){want[0], want[1], want[2], want[3]}) ||
        expect_shape(b, y, 4, (int64_t[]){in->shape[0], y->shape[1], y->shape[2], oc}))
        return REFUSED;
    /* TFLite pads the output as the convolution it inverts would pad its
     * input: the smaller half of the total first, the rest cut at the end. */
    uint32_t pad[2][2], adj[2];
    const int64_t ins[2] = {in->shape[1], in->shape[2]}, outs[2] = {y->shape[1], y->shape[2]};
    const int64_t ks[2] = {kh, kw}, ss[2] = {o->stride_h, o->stride_w};
    for (int d = 0; d < 2; d++) {
        uint32_t before, after;
        int64_t conv_out = spatial(o->padding, outs[d], ks[d], ss[d], 1, &before, &after);
        if (conv_out != ins[d])
            return refuse(b, "its output shape does not invert its input's%s", "");
        int64_t full = (ins[d] - 1) * ss[d] + ks[d] - before;
        int64_t cut = full > outs[d] ? full - outs[d] : 0;
        int64_t a = outs[d] - (full - cut);
        if (a < 0 || a >= ss[d])
            return refuse(b, "its output shape needs an adjustment XNNPACK cannot make%s", "");
        pad[d][0] = before;
        pad[d][1] = (uint32_t)cut;
        adj[d] = (uint32_t)a;
    }
    float lo, hi;
    if (activation_range(b, o->activation, &lo, &hi))
        return REFUSED;
    int rc = 0;
    uint32_t x = optional_value(b, 2, &rc), wid = optional_value(b, 1, &rc),
             bid = optional_value(b, 3, &rc);
    if (rc)
        return rc;
    enum xnn_status st = xnn_define_deconvolution_2d(
        b->sg, pad[0][0], pad[1][1], pad[0][1], pad[1][0], adj[0], adj[1], (uint32_t)kh,
        (uint32_t)kw, (uint32_t)o->stride_h, (uint32_t)o->stride_w, 1, 1, 1,
        (size_t)in->shape[3], (size_t)oc, lo, hi, x, wid, bid, out, 0);
    return st == xnn_status_success ? 0 : refuse_status(b, "deconvolution", st);
}

static int fully_connected(builder *b, uint32_t x, uint32_t out)
{
    const wc_tflite_options *o = &b->op->options;
    const wc_tflite_tensor *in = in_tensor(b, 0), *w = in_tensor(b, 1), *y = T(b, b->op->outputs[0]);
    if (!in || need_rank(b, w, 2, "weights") || need_constant(b, w, "weights"))
        return REFUSED;
    int64_t units = w->shape[0], k = w->shape[1], n = 1;
    for (uint32_t i = 0; i < in->rank; i++)
        n *= in->shape[i];
    if (in->rank == 0 || n % k)
        return refuse(b, "its input's size is not a multiple of the weights' depth%s", "");
    const wc_tflite_tensor *bias = in_tensor(b, 2);
    if (bias && (bias->rank != 1 || bias->shape[0] != units))
        return refuse(b, "its bias does not have one value per unit%s", "");
    uint32_t flags = 0;
    if (o->keep_num_dims) {
        int64_t d[WC_TFLITE_MAX_RANK];
        for (uint32_t i = 0; i < in->rank; i++)
            d[i] = in->shape[i];
        d[in->rank - 1] = units;
        if (in->shape[in->rank - 1] != k)
            return refuse(b, "keep_num_dims with an input whose last dimension is not the "
                             "weights' depth%s", "");
        if (expect_shape(b, y, in->rank, d))
            return REFUSED;
    } else {
        if (expect_shape(b, y, 2, (int64_t[]){n / k, units}))
            return REFUSED;
        if (in->rank != 2 || in->shape[1] != k)
            flags = XNN_FLAG_TENSORFLOW_RESHAPE_2D;
    }
    float lo, hi;
    uint32_t wid, bid;
    if (clamp_weights_bias(b, &lo, &hi, &wid, &bid))
        return REFUSED;
    enum xnn_status st = xnn_define_fully_connected(b->sg, lo, hi, x, wid, bid, out, flags);
    return st == xnn_status_success ? 0 : refuse_status(b, "fully connected", st);
}

static int pool(builder *b, uint32_t x, uint32_t out, int max)
{
    const wc_tflite_options *o = &b->op->options;
    const wc_tflite_tensor *in = in_tensor(b, 0), *y = T(b, b->op->outputs[0]);
    if (need_rank(b, in, 4, "input") || steps_valid(b, o, 0))
        return REFUSED;
    if (o->filter_h < 1 || o->filter_w < 1)
        return refuse(b, "its filter is empty%s", "");
    uint32_t pt, pb, pl, pr;
    int64_t oh = spatial(o->padding, in->shape[1], o->filter_h, o->stride_h, 1, &pt, &pb);
    int64_t ow = spatial(o->padding, in->shape[2], o->filter_w, o->stride_w, 1, &pl, &pr);
    if (expect_shape(b, y, 4, (int64_t[]){in->shape[0], oh, ow, in->shape[3]}))
        return REFUSED;
    float lo, hi;
    if (activation_range(b, o->activation, &lo, &hi))
        return REFUSED;
    enum xnn_status st;
    if (o->filter_h == 1 && o->filter_w == 1 && o->stride_h == 1 && o->stride_w == 1)
        st = xnn_define_clamp(b->sg, lo, hi, x, out, 0); /* XNNPACK has no 1x1 pool */
    else if (max)
        st = xnn_define_max_pooling_2d(b->sg, pt, pr, pb, pl, (uint32_t)o->filter_h,
                                       (uint32_t)o->filter_w, (uint32_t)o->stride_h,
                                       (uint32_t)o->stride_w, 1, 1, lo, hi, x, out, 0);
    else
        st = xnn_define_average_pooling_2d(b->sg, pt, pr, pb, pl, (uint32_t)o->filter_h,
                                           (uint32_t)o->filter_w, (uint32_t)o->stride_h,
                                           (uint32_t)o->stride_w, lo, hi, x, out, 0);
    return st == xnn_status_success ? 0 : refuse_status(b, "pooling", st);
}

static int mean(builder *b, uint32_t x, uint32_t out, enum xnn_datatype dt)
{
    const wc_tflite_tensor *in = in_tensor(b, 0), *y = T(b, b->op->outputs[0]);
    if (wc_tflite_operator_path(b->m, b->op) != WC_TFLITE_PATH_XNNPACK)
        return refuse(b, "a MEAN not over height and width is not an XNNPACK node%s", "");
    int64_t n = in->shape[0], c = in->shape[3];
    size_t dims4[4] = {(size_t)n, 1, 1, (size_t)c};
    uint32_t pooled = out;
    if (b->op->options.keep_dims) {
        if (expect_shape(b, y, 4, (int64_t[]){n, 1, 1, c}))
            return REFUSED;
    } else {
        if (expect_shape(b, y, 2, (int64_t[]){n, c}) || temp_value(b, y, dt, 4, dims4, &pooled))
            return REFUSED;
    }
    enum xnn_status st =
        xnn_define_global_average_pooling_2d(b->sg, -INFINITY, INFINITY, x, pooled, 0);
    if (st != xnn_status_success)
        return refuse_status(b, "global average pooling", st);
    if (pooled != out) {
        st = xnn_define_static_reshape(b->sg, 2, (size_t[]){(size_t)n, (size_t)c}, pooled, out, 0);
        if (st != xnn_status_success)
            return refuse_status(b, "reshape", st);
    }
    return 0;
}

static int binary(builder *b, uint32_t x1, uint32_t x2, uint32_t out)
{
    const wc_tflite_tensor *a = in_tensor(b, 0), *c = in_tensor(b, 1), *y = T(b, b->op->outputs[0]);
    if (!a || !c)
        return refuse(b, "it needs two inputs%s", "");
    uint32_t rank = a->rank > c->rank ? a->rank : c->rank;
    int64_t d[WC_TFLITE_MAX_RANK];
    for (uint32_t i = 0; i < rank; i++) {
        int64_t da = i + a->rank >= rank ? a->shape[i + a->rank - rank] : 1;
        int64_t dc = i + c->rank >= rank ? c->shape[i + c->rank - rank] : 1;
        if (da != dc && da != 1 && dc != 1)
            return refuse(b, "its inputs' shapes do not broadcast%s", "");
        d[i] = da == 1 ? dc : da;
    }
    if (expect_shape(b, y, rank, d))
        return REFUSED;
    float lo, hi;
    if (activation_range(b, b->op->options.activation, &lo, &hi))
        return REFUSED;
    enum xnn_status st;
    switch (b->op->code) {
    case WC_TFLITE_OP_ADD:
        st = xnn_define_add2(b->sg, lo, hi, x1, x2, out, 0);
        break;
    case WC_TFLITE_OP_SUB:
        st = xnn_define_subtract(b->sg, lo, hi, x1, x2, out, 0);
        break;
    case WC_TFLITE_OP_MUL:
        st = xnn_define_multiply2(b->sg, lo, hi, x1, x2, out, 0);
        break;
    default:
        st = xnn_define_divide(b->sg, lo, hi, x1, x2, out, 0);
        break;
    }
    return st == xnn_status_success ? 0 : refuse_status(b, "binary", st);
}

static int reshape(builder *b, uint32_t x, uint32_t out)
{
    const wc_tflite_tensor *in = in_tensor(b, 0), *y = T(b, b->op->outputs[0]);
    int64_t n_in = 1, n_out = 1;
    for (uint32_t i = 0; i < in->rank; i++)
        n_in *= in->shape[i];
    size_t dims[XNN_MAX_TENSOR_DIMS];
    if (dims_of(b, y, dims))
        return REFUSED;
    for (uint32_t i = 0; i < y->rank; i++)
        n_out *= y->shape[i];
    if (n_in != n_out)
        return refuse(b, "it changes the number of elements%s", "");
    enum xnn_status st = xnn_define_static_reshape(b->sg, y->rank, dims, x, out, 0);
    return st == xnn_status_success ? 0 : refuse_status(b, "reshape", st);
}

static int pad(builder *b, uint32_t x, uint32_t out)
{
    const wc_tflite_tensor *in = in_tensor(b, 0), *p = in_tensor(b, 1), *y = T(b, b->op->outputs[0]);
    if (need_constant(b, p, "paddings"))
        return REFUSED;
    if (p->type != WC_TFLITE_INT32 || p->data_size != (size_t)in->rank * 8)
        return refuse(b, "its paddings are not [rank, 2] int32 values%s", "");
    size_t pre[XNN_MAX_TENSOR_DIMS], post[XNN_MAX_TENSOR_DIMS];
    int64_t d[WC_TFLITE_MAX_RANK];
    if (in->rank > XNN_MAX_TENSOR_DIMS)
        return refuse(b, "a tensor of rank over 6%s", "");
    for (uint32_t i = 0; i < in->rank; i++) {
        int32_t pp[2];
        memcpy(pp, p->data + 8 * i, sizeof pp);
        if (pp[0] < 0 || pp[1] < 0)
            return refuse(b, "a negative padding%s", "");
        pre[i] = (size_t)pp[0];
        post[i] = (size_t)pp[1];
        d[i] = in->shape[i] + (int64_t)pp[0] + pp[1];
    }
    if (expect_shape(b, y, in->rank, d))
        return REFUSED;
    enum xnn_status st = xnn_define_static_constant_pad(b->sg, pre, post, 0.0f, x, out, 0);
    return st == xnn_status_success ? 0 : refuse_status(b, "constant pad", st);
}

static int resize_bilinear(builder *b, uint32_t x, uint32_t out)
{
    const wc_tflite_options *o = &b->op->options;
    const wc_tflite_tensor *in = in_tensor(b, 0), *size = in_tensor(b, 1);
    const wc_tflite_tensor *y = T(b, b->op->outputs[0]);
    if (need_rank(b, in, 4, "input") || need_constant(b, size, "size"))
        return REFUSED;
    if (size->type != WC_TFLITE_INT32 || size->data_size != 8)
        return refuse(b, "its size is not 2 int32 values%s", "");
    int32_t hw[2];
    memcpy(hw, size->data, sizeof hw);
    if (hw[0] < 1 || hw[1] < 1 ||
        expect_shape(b, y, 4, (int64_t[]){in->shape[0], hw[0], hw[1], in->shape[3]}))
        return hw[0] < 1 || hw[1] < 1 ? refuse(b, "an empty size%s", "") : REFUSED;
    if (o->align_corners && o->half_pixel_centers)
        return refuse(b, "align_corners with half_pixel_centers%s", "");
    uint32_t flags = o->align_corners        ? XNN_FLAG_ALIGN_CORNERS
                     : o->half_pixel_centers ? 0
                                             : XNN_FLAG_TENSORFLOW_LEGACY_MODE;
    enum xnn_status st = xnn_define_static_resize_bilinear_2d(b->sg, (size_t)hw[0], (size_t)hw[1],
                                                              x, out, flags);
    return st == xnn_status_success ? 0 : refuse_status(b, "bilinear resize", st);
}

static int depth_to_space(builder *b, uint32_t x, uint32_t out)
{
    const wc_tflite_tensor *in = in_tensor(b, 0), *y = T(b, b->op->outputs[0]);
    int64_t bs = b->op->options.block_size;
    if (need_rank(b, in, 4, "input"))
        return REFUSED;
    if (bs < 1 || in->shape[3] % (bs * bs))
        return refuse(b, "its block size does not divide the channels%s", "");
    if (expect_shape(b, y, 4,
                     (int64_t[]){in->shape[0], in->shape[1] * bs, in->shape[2] * bs,
                                 in->shape[3] / (bs * bs)}))
        return REFUSED;
    enum xnn_status st = xnn_define_depth_to_space(b->sg, x, out, (uint32_t)bs, 0);
    return st == xnn_status_success ? 0 : refuse_status(b, "depth to space", st);
}

static int prelu(builder *b, uint32_t x, uint32_t out)
{
    const wc_tflite_tensor *in = in_tensor(b, 0), *alpha = in_tensor(b, 1);
    if (need_rank(b, in, 4, "input") || need_constant(b, alpha, "slope") ||
        same_shape(b, in, T(b, b->op->outputs[0])))
        return REFUSED;
    int64_t n = 1;
    for (uint32_t i = 0; i < alpha->rank; i++)
        n *= alpha->shape[i];
    if (alpha->type != WC_TFLITE_FLOAT32 || in->type != WC_TFLITE_FLOAT32 || n != in->shape[3] ||
        (alpha->rank && alpha->shape[alpha->rank - 1] != n))
        return refuse(b, "only a float slope with one value per channel is supported%s", "");
    uint32_t slope;
    enum xnn_status st = xnn_define_tensor_value(b->sg, xnn_datatype_fp32, 1, (size_t[]){(size_t)n},
                                                 alpha->data, XNN_INVALID_VALUE_ID, 0, &slope);
    if (st == xnn_status_success)
        st = xnn_define_prelu(b->sg, x, slope, out, 0);
    return st == xnn_status_success ? 0 : refuse_status(b, "prelu", st);
}

static int unary(builder *b, uint32_t x, uint32_t out)
{
    const wc_tflite_tensor *in = in_tensor(b, 0);
    if (!in || same_shape(b, in, T(b, b->op->outputs[0])))
        return REFUSED;
    enum xnn_status st;
    switch (b->op->code) {
    case WC_TFLITE_OP_SOFTMAX:
        if (b->op->options.beta != 1.0f)
            return refuse(b, "a softmax beta other than 1%s", "");
        st = xnn_define_softmax(b->sg, x, out, 0);
        break;
    case WC_TFLITE_OP_LOGISTIC:
        st = xnn_define_sigmoid(b->sg, x, out, 0);
        break;
    case WC_TFLITE_OP_RELU:
        st = xnn_define_clamp(b->sg, 0, INFINITY, x, out, 0);
        break;
    case WC_TFLITE_OP_RELU6:
        st = xnn_define_clamp(b->sg, 0, 6, x, out, 0);
        break;
    case WC_TFLITE_OP_RELU_N1_TO_1:
        st = xnn_define_clamp(b->sg, -1, 1, x, out, 0);
        break;
    case WC_TFLITE_OP_LEAKY_RELU:
        st = xnn_define_leaky_relu(b->sg, b->op->options.alpha, x, out, 0);
        break;
    case WC_TFLITE_OP_HARD_SWISH:
        st = xnn_define_hardswish(b->sg, x, out, 0);
        break;
    default: /* QUANTIZE, DEQUANTIZE */
        if (is_quantized(in) && is_quantized(T(b, b->op->outputs[0])))
            return refuse(b, "requantization is not supported%s", "");
        st = xnn_define_convert(b->sg, x, out, 0);
        break;
    }
    return st == xnn_status_success ? 0 : refuse_status(b, "element-wise", st);
}

/* How many leading inputs are data an operator computes on (the rest are
 * weights, shapes or sizes it reads at build time). */
static uint32_t data_inputs(int32_t code)
{
    switch (code) {
    case WC_TFLITE_OP_ADD:
    case WC_TFLITE_OP_SUB:
    case WC_TFLITE_OP_MUL:
    case WC_TFLITE_OP_DIV:
        return 2;
    case WC_TFLITE_OP_TRANSPOSE_CONV:
        return 0;
    default:
        return 1;
    }
}

/* Operators that may run in f32 between converts when XNNPACK lacks their
 * quantized form. */
static int floatable(int32_t code)
{
    switch (code) {
    case WC_TFLITE_OP_ADD:
    case WC_TFLITE_OP_SUB:
    case WC_TFLITE_OP_MUL:
    case WC_TFLITE_OP_DIV:
    case WC_TFLITE_OP_SOFTMAX:
    case WC_TFLITE_OP_LOGISTIC:
    case WC_TFLITE_OP_MEAN:
    case WC_TFLITE_OP_AVERAGE_POOL_2D:
    case WC_TFLITE_OP_LEAKY_RELU:
    case WC_TFLITE_OP_HARD_SWISH:
    case WC_TFLITE_OP_RESIZE_BILINEAR:
        return 1;
    }
    return 0;
}

static int node(builder *b, const uint32_t *x, uint32_t out, enum xnn_datatype dt)
{
    switch (b->op->code) {
    case WC_TFLITE_OP_CONV_2D:
        return conv(b, x[0], out, 0);
    case WC_TFLITE_OP_DEPTHWISE_CONV_2D:
        return conv(b, x[0], out, 1);
    case WC_TFLITE_OP_TRANSPOSE_CONV:
        return transpose_conv(b, out);
    case WC_TFLITE_OP_FULLY_CONNECTED:
        return fully_connected(b, x[0], out);
    case WC_TFLITE_OP_AVERAGE_POOL_2D:
        return pool(b, x[0], out, 0);
    case WC_TFLITE_OP_MAX_POOL_2D:
        return pool(b, x[0], out, 1);
    case WC_TFLITE_OP_MEAN:
        return mean(b, x[0], out, dt);
    case WC_TFLITE_OP_ADD:
    case WC_TFLITE_OP_SUB:
    case WC_TFLITE_OP_MUL:
    case WC_TFLITE_OP_DIV:
        return binary(b, x[0], x[1], out);
    case WC_TFLITE_OP_RESHAPE:
        return reshape(b, x[0], out);
    case WC_TFLITE_OP_PAD:
        return pad(b, x[0], out);
    case WC_TFLITE_OP_RESIZE_BILINEAR:
        return resize_bilinear(b, x[0], out);
    case WC_TFLITE_OP_DEPTH_TO_SPACE:
        return depth_to_space(b, x[0], out);
    case WC_TFLITE_OP_PRELU:
        return prelu(b, x[0], out);
    case WC_TFLITE_OP_SOFTMAX:
    case WC_TFLITE_OP_LOGISTIC:
    case WC_TFLITE_OP_RELU:
    case WC_TFLITE_OP_RELU6:
    case WC_TFLITE_OP_RELU_N1_TO_1:
    case WC_TFLITE_OP_LEAKY_RELU:
    case WC_TFLITE_OP_HARD_SWISH:
    case WC_TFLITE_OP_QUANTIZE:
    case WC_TFLITE_OP_DEQUANTIZE:
        return unary(b, x[0], out);
    }
    return refuse(b, "not supported by the XNNPACK backend%s", "");
}

static int convert(builder *b, uint32_t from, uint32_t to)
{
    enum xnn_status st = xnn_define_convert(b->sg, from, to, 0);
    return st == xnn_status_success ? 0 : refuse_status(b, "convert", st);
}

/* The operator in f32: its quantized data inputs converted to f32 first
 * and its f32 result converted to the quantized output. */
static int node_in_float(builder *b, const uint32_t *x, uint32_t out)
{
    uint32_t fx[2];
    size_t dims[XNN_MAX_TENSOR_DIMS];
    for (uint32_t i = 0; i < data_inputs(b->op->code); i++) {
        const wc_tflite_tensor *t = in_tensor(b, i);
        fx[i] = x[i];
        if (!is_quantized(t))
            continue;
        if (dims_of(b, t, dims) ||
            temp_value(b, t, xnn_datatype_fp32, t->rank, dims, &fx[i]) || convert(b, x[i], fx[i]))
            return REFUSED;
    }
    const wc_tflite_tensor *y = T(b, b->op->outputs[0]);
    uint32_t fy;
    if (dims_of(b, y, dims) || temp_value(b, y, xnn_datatype_fp32, y->rank, dims, &fy) ||
        node(b, fx, fy, xnn_datatype_fp32))
        return REFUSED;
    return convert(b, fy, out);
}

static int operator(builder *b)
{
    const wc_tflite_operator *op = b->op;
    if (op->noutputs != 1 || op->outputs[0] < 0)
        return refuse(b, "it does not have exactly one output%s", "");
    if (op->ninputs < 1)
        return refuse(b, "it has no input%s", "");
    uint32_t x[2] = {XNN_INVALID_VALUE_ID, XNN_INVALID_VALUE_ID};
    for (uint32_t i = 0; i < data_inputs(op->code); i++) {
        if (i >= op->ninputs || op->inputs[i] < 0)
            return refuse(b, "a required input is missing%s", "");
        if (value(b, op->inputs[i], &x[i]))
            return REFUSED;
    }
    int32_t yi = op->outputs[0];
    if (b->ready[yi])
        return refuse(b, "it writes tensor \"%s\", which is already written or constant",
                      T(b, yi)->name);
    b->ready[yi] = 1;
    uint32_t out;
    if (value(b, yi, &out))
        return REFUSED;
    enum xnn_datatype dt;
    datatype_of(T(b, yi), &dt);
    wc_error first = {0};
    wc_error *err = b->err;
    b->err = &first;
    int rc = node(b, x, out, dt);
    b->err = err;
    if (rc == 0)
        return 0;
    if (is_quantized(T(b, yi)) && floatable(op->code) &&
        strstr(first.msg, "XNNPACK cannot make"))
        return node_in_float(b, x, out);
    wc_error_set(err, first.code, "%s", first.msg);
    return REFUSED;
}

int wc_xnn_build(const wc_tflite_model *m, const wc_xnn_plan *plan, uint32_t step,
                 xnn_subgraph_t *out, wc_error *err)
{
    *out = NULL;
    int rc = wc_xnn_init(err);
    if (rc)
        return rc;
    const wc_xnn_step *st = &plan->steps[step];
    builder b = {.m = m, .err = err, .step = st};
    b.ids = malloc(((size_t)m->ntensors + 1) * sizeof *b.ids);
    b.ready = calloc((size_t)m->ntensors + 1, 1);
    if (!b.ids || !b.ready) {
        free(b.ids);
        free(b.ready);
        return wc_error_set(err, WC_ENOMEM, "nn: out of memory building an XNNPACK subgraph");
    }
    for (uint32_t i = 0; i < m->ntensors; i++) {
        b.ids[i] = XNN_INVALID_VALUE_ID;
        b.ready[i] = m->tensors[i].data != NULL;
    }
    for (uint32_t i = 0; i < st->nin; i++)
        b.ready[st->external[i]] = 1;
    enum xnn_status status = xnn_create_subgraph(st->nin + st->nout, 0, &b.sg);
    if (status != xnn_status_success)
        rc = wc_error_set(err, WC_ENOMEM, "nn: XNNPACK cannot make a subgraph (status %d)",
                          (int)status);
    for (uint32_t i = st->first; rc == 0 && i < st->end; i++) {
        b.opi = i;
        b.op = &m->operators[i];
        if (plan->live[i] && operator(&b))
            rc = WC_EBADMODULE;
    }
    for (uint32_t i = 0; rc == 0 && i < st->nin + st->nout; i++)
        if (b.ids[st->external[i]] == XNN_INVALID_VALUE_ID)
            rc = wc_error_set(err, WC_EBADMODULE,
                              "nn: tensor \"%s\" is not used as XNNPACK data",
                              m->tensors[st->external[i]].name);
    free(b.ids);
    free(b.ready);
    if (rc) {
        if (b.sg)
            xnn_delete_subgraph(b.sg);
        return rc;
    }
    *out = b.sg;
    return 0;
}
