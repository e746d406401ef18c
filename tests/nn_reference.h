/* nn_reference.h -- the tests' oracle for the nn backends: a plain
 * interpreter of a wc_tflite_model, straight loops over every element.
 *
 * Every tensor is held as real values (double).  A quantized operator
 * computes on the real values of its quantized inputs, which is exactly
 * TFLite's integer accumulation times the scales, and rounds once at the
 * end (half away from zero, then clamped to the type) as TFLite's
 * requantization does; TFLite's fixed-point multipliers may differ from
 * that by one unit, which is the tolerance the tests allow.
 */
#ifndef WC_TESTS_NN_REFERENCE_H
#define WC_TESTS_NN_REFERENCE_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nn/tflite.h"

/* The tests' inputs: xorshift, the same sequence every run. */
static uint32_t nnref_random(void)
{
    static uint64_t state = 0x9e3779b97f4a7c15ull;
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (uint32_t)state;
}

typedef struct nnref {
    const wc_tflite_model *m;
    double **v; /* per tensor */
} nnref;

static size_t nnref_count(const wc_tflite_tensor *t)
{
    size_t n = 1;
    for (uint32_t i = 0; i < t->rank; i++)
        n *= (size_t)t->shape[i];
    return n;
}

static double nnref_scale(const wc_tflite_tensor *t, size_t i, size_t inner, size_t count)
{
    if (t->quant.count <= 1)
        return t->quant.count ? t->quant.scale[0] : 1.0;
    return t->quant.scale[(i / inner) % count];
}

/* The real values of a tensor from its bytes. */
static void nnref_load(const wc_tflite_tensor *t, const uint8_t *bytes, double *out)
{
    size_t n = nnref_count(t), inner = 1;
    for (uint32_t d = (uint32_t)t->quant.dimension + 1; t->quant.count > 1 && d < t->rank; d++)
        inner *= (size_t)t->shape[d];
    for (size_t i = 0; i < n; i++) {
        size_t c = t->quant.count > 1 ? (i / inner) % t->quant.count : 0;
        double zp = t->quant.count ? (double)t->quant.zero_point[c] : 0;
        double s = nnref_scale(t, i, inner, t->quant.count);
        double q;
        switch (t->type) {
        case WC_TFLITE_FLOAT32: {
            float f;
            memcpy(&f, bytes + 4 * i, 4);
            out[i] = f;
            continue;
        }
        case WC_TFLITE_INT8:
            q = (int8_t)bytes[i];
            break;
        case WC_TFLITE_UINT8:
            q = bytes[i];
            break;
        default: {
            int32_t v;
            memcpy(&v, bytes + 4 * i, 4);
            q = v;
            break;
        }
        }
        out[i] = t->quant.count ? s * (q - zp) : q;
    }
}

/* Rounds real values to what the tensor can hold; stores the quantized
 * bytes too when bytes is not NULL. */
static void nnref_store(const wc_tflite_tensor *t, double *v, uint8_t *bytes)
{
    size_t n = nnref_count(t);
    for (size_t i = 0; i < n; i++) {
        if (t->type == WC_TFLITE_FLOAT32) {
            float f = (float)v[i];
            v[i] = f;
            if (bytes)
                memcpy(bytes + 4 * i, &f, 4);
            continue;
        }
        double s = t->quant.scale[0], zp = (double)t->quant.zero_point[0];
        double lo = t->type == WC_TFLITE_INT8 ? -128 : 0, hi = t->type == WC_TFLITE_INT8 ? 127 : 255;
        double q = round(v[i] / s) + zp;
        q = q < lo ? lo : q > hi ? hi : q;
        v[i] = s * (q - zp);
        if (bytes)
            bytes[i] = (uint8_t)(int)q;
    }
}

static double nnref_act(int act, double x)
{
    switch (act) {
    case WC_TFLITE_ACT_RELU:
        return x < 0 ? 0 : x;
    case WC_TFLITE_ACT_RELU6:
        return x < 0 ? 0 : x > 6 ? 6 : x;
    case WC_TFLITE_ACT_RELU_N1_TO_1:
        return x < -1 ? -1 : x > 1 ? 1 : x;
    }
    return x;
}

static int64_t nnref_pad_before(int padding, int64_t in, int64_t k, int64_t s, int64_t d,
                                int64_t *out)
{
    int64_t eff = (k - 1) * d + 1;
    if (padding == WC_TFLITE_PADDING_VALID) {
        *out = (in - eff) / s + 1;
        return 0;
    }
    *out = (in + s - 1) / s;
    int64_t total = (*out - 1) * s + eff - in;
    return total > 0 ? total / 2 : 0;
}

#define NNREF_AT4(t, a, b, c, d)                                                                  \
    ((((size_t)(a) * (size_t)(t)->shape[1] + (size_t)(b)) * (size_t)(t)->shape[2] + (size_t)(c)) * \
         (size_t)(t)->shape[3] +                                                                  \
     (size_t)(d))

static void nnref_conv(nnref *r, const wc_tflite_operator *op, int depthwise)
{
    const wc_tflite_tensor *x = &r->m->tensors[op->inputs[0]], *w = &r->m->tensors[op->inputs[1]];
    const wc_tflite_tensor *y = &r->m->tensors[op->outputs[0]];
    const double *xv = r->v[op->inputs[0]], *wv = r->v[op->inputs[1]];
    const double *bv = op->ninputs > 2 && op->inputs[2] >= 0 ? r->v[op->inputs[2]] : NULL;
    double *yv = r->v[op->outputs[0]];
    const wc_tflite_options *o = &op->options;
    int64_t oh, ow, kh = w->shape[1], kw = w->shape[2], c = x->shape[3], oc = y->shape[3];
    int64_t pt = nnref_pad_before(o->padding, x->shape[1], kh, o->stride_h, o->dilation_h, &oh);
    int64_t pl = nnref_pad_before(o->padding, x->shape[2], kw, o->stride_w, o->dilation_w, &ow);
    int64_t group_in = depthwise ? 1 : w->shape[3];
    int64_t per_group = depthwise ? oc / c : oc / (c / group_in);
    for (int64_t n = 0; n < y->shape[0]; n++)
        for (int64_t i = 0; i < oh; i++)
            for (int64_t j = 0; j < ow; j++)
                for (int64_t k = 0; k < oc; k++) {
                    double acc = bv ? bv[k] : 0;
                    int64_t g = k / per_group;
                    for (int64_t a = 0; a < kh; a++)
                        for (int64_t b = 0; b < kw; b++) {
                            int64_t yy = i * o->stride_h - pt + a * o->dilation_h;
                            int64_t xx = j * o->stride_w - pl + b * o->dilation_w;
                            if (yy < 0 || xx < 0 || yy >= x->shape[1] || xx >= x->shape[2])
                                continue;
                            for (int64_t ci = 0; ci < group_in; ci++) {
                                int64_t ch = depthwise ? g : g * group_in + ci;
                                double wt = depthwise ? wv[NNREF_AT4(w, 0, a, b, k)]
                                                      : wv[NNREF_AT4(w, k, a, b, ci)];
                                acc += xv[NNREF_AT4(x, n, yy, xx, ch)] * wt;
                            }
                        }
                    yv[NNREF_AT4(y, n, i, j, k)] = nnref_act(o->activation, acc);
                }
}

static void nnref_fully_connected(nnref *r, const wc_tflite_operator *op)
{
    const wc_tflite_tensor *w = &r->m->tensors[op->inputs[1]];
    const wc_tflite_tensor *y = &r->m->tensors[op->outputs[0]];
    const double *xv = r->v[op->inputs[0]], *wv = r->v[op->inputs[1]];
    const double *bv = op->ninputs > 2 && op->inputs[2] >= 0 ? r->v[op->inputs[2]] : NULL;
    int64_t units = w->shape[0], k = w->shape[1], rows = (int64_t)nnref_count(y) / units;
    for (int64_t n = 0; n < rows; n++)
        for (int64_t u = 0; u < units; u++) {
            double acc = bv ? bv[u] : 0;
            for (int64_t i = 0; i < k; i++)
                acc += xv[n * k + i] * wv[u * k + i];
            r->v[op->outputs[0]][n * units + u] = nnref_act(op->options.activation, acc);
        }
}

static void nnref_pool(nnref *r, const wc_tflite_operator *op, int max)
{
    const wc_tflite_tensor *x = &r->m->tensors[op->inputs[0]];
    const wc_tflite_tensor *y = &r->m->tensors[op->outputs[0]];
    const wc_tflite_options *o = &op->options;
    int64_t oh, ow;
    int64_t pt = nnref_pad_before(o->padding, x->shape[1], o->filter_h, o->stride_h, 1, &oh);
    int64_t pl = nnref_pad_before(o->padding, x->shape[2], o->filter_w, o->stride_w, 1, &ow);
    for (int64_t n = 0; n < y->shape[0]; n++)
        for (int64_t i = 0; i < oh; i++)
            for (int64_t j = 0; j < ow; j++)
                for (int64_t c = 0; c < y->shape[3]; c++) {
                    double acc = max ? -INFINITY : 0;
                    int count = 0;
                    for (int64_t a = 0; a < o->filter_h; a++)
                        for (int64_t b = 0; b < o->filter_w; b++) {
                            int64_t yy = i * o->stride_h - pt + a, xx = j * o->stride_w - pl + b;
                            if (yy < 0 || xx < 0 || yy >= x->shape[1] || xx >= x->shape[2])
                                continue;
                            double v = r->v[op->inputs[0]][NNREF_AT4(x, n, yy, xx, c)];
                            acc = max ? (v > acc ? v : acc) : acc + v;
                            count++;
                        }
                    r->v[op->outputs[0]][NNREF_AT4(y, n, i, j, c)] =
                        nnref_act(o->activation, max ? acc : acc / count);
                }
}

/* Element index in a broadcast operand of shape t for output index i of
 * shape y. */
static size_t nnref_broadcast(const wc_tflite_tensor *t, const wc_tflite_tensor *y, size_t i)
{
    size_t at = 0, stride = 1;
    for (int d = (int)y->rank - 1, e = (int)t->rank - 1; d >= 0; d--, e--) {
        size_t coord = i % (size_t)y->shape[d];
        i /= (size_t)y->shape[d];
        if (e >= 0) {
            if (t->shape[e] != 1)
                at += coord * stride;
            stride *= (size_t)t->shape[e];
        }
    }
    return at;
}

static void nnref_binary(nnref *r, const wc_tflite_operator *op)
{
    const wc_tflite_tensor *a = &r->m->tensors[op->inputs[0]], *b = &r->m->tensors[op->inputs[1]];
    const wc_tflite_tensor *y = &r->m->tensors[op->outputs[0]];
    size_t n = nnref_count(y);
    for (size_t i = 0; i < n; i++) {
        double x1 = r->v[op->inputs[0]][nnref_broadcast(a, y, i)];
        double x2 = r->v[op->inputs[1]][nnref_broadcast(b, y, i)];
        double v = op->code == WC_TFLITE_OP_ADD   ? x1 + x2
                   : op->code == WC_TFLITE_OP_SUB ? x1 - x2
                   : op->code == WC_TFLITE_OP_MUL ? x1 * x2
                                                  : x1 / x2;
        r->v[op->outputs[0]][i] = nnref_act(op->options.activation, v);
    }
}

static void nnref_unary(nnref *r, const wc_tflite_operator *op)
{
    const wc_tflite_tensor *x = &r->m->tensors[op->inputs[0]];
    size_t n = nnref_count(x);
    const double *xv = r->v[op->inputs[0]];
    double *yv = r->v[op->outputs[0]];
    if (op->code == WC_TFLITE_OP_SOFTMAX) {
        size_t inner = (size_t)x->shape[x->rank - 1];
        for (size_t row = 0; row < n; row += inner) {
            double mx = -INFINITY, sum = 0;
            for (size_t i = 0; i < inner; i++)
                mx = xv[row + i] > mx ? xv[row + i] : mx;
            for (size_t i = 0; i < inner; i++)
                sum += exp(op->options.beta * (xv[row + i] - mx));
            for (size_t i = 0; i < inner; i++)
                yv[row + i] = exp(op->options.beta * (xv[row + i] - mx)) / sum;
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        double v = xv[i];
        switch (op->code) {
        case WC_TFLITE_OP_LOGISTIC:
            v = 1 / (1 + exp(-v));
            break;
        case WC_TFLITE_OP_RELU:
            v = nnref_act(WC_TFLITE_ACT_RELU, v);
            break;
        case WC_TFLITE_OP_RELU6:
            v = nnref_act(WC_TFLITE_ACT_RELU6, v);
            break;
        case WC_TFLITE_OP_RELU_N1_TO_1:
            v = nnref_act(WC_TFLITE_ACT_RELU_N1_TO_1, v);
            break;
        case WC_TFLITE_OP_LEAKY_RELU:
            v = v < 0 ? v * op->options.alpha : v;
            break;
        case WC_TFLITE_OP_HARD_SWISH:
            v = v * fmin(fmax(v + 3, 0), 6) / 6;
            break;
        case WC_TFLITE_OP_TANH:
            v = tanh(v);
            break;
        default: /* RESHAPE, QUANTIZE, DEQUANTIZE: the values as they are */
            break;
        }
        yv[i] = v;
    }
}

static void nnref_transpose_conv(nnref *r, const wc_tflite_operator *op)
{
    const wc_tflite_tensor *w = &r->m->tensors[op->inputs[1]], *x = &r->m->tensors[op->inputs[2]];
    const wc_tflite_tensor *y = &r->m->tensors[op->outputs[0]];
    const wc_tflite_options *o = &op->options;
    const double *bv = op->ninputs > 3 && op->inputs[3] >= 0 ? r->v[op->inputs[3]] : NULL;
    double *yv = r->v[op->outputs[0]];
    int64_t unused, kh = w->shape[1], kw = w->shape[2];
    int64_t pt = nnref_pad_before(o->padding, y->shape[1], kh, o->stride_h, 1, &unused);
    int64_t pl = nnref_pad_before(o->padding, y->shape[2], kw, o->stride_w, 1, &unused);
    size_t n = nnref_count(y);
    for (size_t i = 0; i < n; i++)
        yv[i] = bv ? bv[i % (size_t)y->shape[3]] : 0;
    for (int64_t b = 0; b < x->shape[0]; b++)
        for (int64_t i = 0; i < x->shape[1]; i++)
            for (int64_t j = 0; j < x->shape[2]; j++)
                for (int64_t a = 0; a < kh; a++)
                    for (int64_t c = 0; c < kw; c++) {
                        int64_t oy = i * o->stride_h - pt + a, ox = j * o->stride_w - pl + c;
                        if (oy < 0 || ox < 0 || oy >= y->shape[1] || ox >= y->shape[2])
                            continue;
                        for (int64_t oc = 0; oc < y->shape[3]; oc++)
                            for (int64_t ic = 0; ic < x->shape[3]; ic++)
                                yv[NNREF_AT4(y, b, oy, ox, oc)] +=
                                    r->v[op->inputs[2]][NNREF_AT4(x, b, i, j, ic)] *
                                    r->v[op->inputs[1]][NNREF_AT4(w, oc, a, c, ic)];
                    }
    for (size_t i = 0; i < n; i++)
        yv[i] = nnref_act(o->activation, yv[i]);
}

static void nnref_pad(nnref *r, const wc_tflite_operator *op)
{
    const wc_tflite_tensor *x = &r->m->tensors[op->inputs[0]], *p = &r->m->tensors[op->inputs[1]];
    const wc_tflite_tensor *y = &r->m->tensors[op->outputs[0]];
    size_t n = nnref_count(y);
    for (size_t i = 0; i < n; i++) {
        size_t rest = i, at = 0, stride = 1;
        int inside = 1;
        for (int d = (int)y->rank - 1; d >= 0; d--) {
            int32_t before;
            memcpy(&before, p->data + 8 * d, 4);
            int64_t coord = (int64_t)(rest % (size_t)y->shape[d]) - before;
            rest /= (size_t)y->shape[d];
            inside &= coord >= 0 && coord < x->shape[d];
            at += (size_t)coord * stride;
            stride *= (size_t)x->shape[d];
        }
        r->v[op->outputs[0]][i] = inside ? r->v[op->inputs[0]][at] : 0;
    }
}

static void nnref_depth_to_space(nnref *r, const wc_tflite_operator *op)
{
    const wc_tflite_tensor *x = &r->m->tensors[op->inputs[0]];
    const wc_tflite_tensor *y = &r->m->tensors[op->outputs[0]];
    int64_t bs = op->options.block_size;
    for (int64_t n = 0; n < y->shape[0]; n++)
        for (int64_t i = 0; i < y->shape[1]; i++)
            for (int64_t j = 0; j < y->shape[2]; j++)
                for (int64_t c = 0; c < y->shape[3]; c++)
                    r->v[op->outputs[0]][NNREF_AT4(y, n, i, j, c)] =
                        r->v[op->inputs[0]][NNREF_AT4(x, n, i / bs, j / bs,
                                                      ((i % bs) * bs + j % bs) * y->shape[3] + c)];
}

static void nnref_prelu(nnref *r, const wc_tflite_operator *op)
{
    const wc_tflite_tensor *x = &r->m->tensors[op->inputs[0]];
    size_t n = nnref_count(x), c = (size_t)x->shape[x->rank - 1];
    for (size_t i = 0; i < n; i++) {
        double v = r->v[op->inputs[0]][i];
        r->v[op->outputs[0]][i] = v < 0 ? v * r->v[op->inputs[1]][i % c] : v;
    }
}

/* TFLite's resize_bilinear: legacy (top-left) sampling, half-pixel
 * centers or aligned corners. */
static void nnref_resize_bilinear(nnref *r, const wc_tflite_operator *op)
{
    const wc_tflite_tensor *x = &r->m->tensors[op->inputs[0]];
    const wc_tflite_tensor *y = &r->m->tensors[op->outputs[0]];
    const wc_tflite_options *o = &op->options;
    double scale[2];
    for (int d = 0; d < 2; d++) {
        double in = (double)x->shape[1 + d], out = (double)y->shape[1 + d];
        scale[d] = o->align_corners && out > 1 ? (in - 1) / (out - 1) : in / out;
    }
    for (int64_t n = 0; n < y->shape[0]; n++)
        for (int64_t i = 0; i < y->shape[1]; i++)
            for (int64_t j = 0; j < y->shape[2]; j++) {
                double sy = o->half_pixel_centers ? (i + 0.5) * scale[0] - 0.5 : i * scale[0];
                double sx = o->half_pixel_centers ? (j + 0.5) * scale[1] - 0.5 : j * scale[1];
                int64_t y0 = (int64_t)floor(sy), x0 = (int64_t)floor(sx);
                double dy = sy - (double)y0, dx = sx - (double)x0;
                int64_t y1 = (int64_t)ceil(sy), x1 = (int64_t)ceil(sx);
                y0 = y0 < 0 ? 0 : y0;
                x0 = x0 < 0 ? 0 : x0;
                y1 = y1 > x->shape[1] - 1 ? x->shape[1] - 1 : y1;
                x1 = x1 > x->shape[2] - 1 ? x->shape[2] - 1 : x1;
                for (int64_t c = 0; c < y->shape[3]; c++) {
                    const double *v = r->v[op->inputs[0]];
                    r->v[op->outputs[0]][NNREF_AT4(y, n, i, j, c)] =
                        v[NNREF_AT4(x, n, y0, x0, c)] * (1 - dy) * (1 - dx) +
                        v[NNREF_AT4(x, n, y1, x0, c)] * dy * (1 - dx) +
                        v[NNREF_AT4(x, n, y0, x1, c)] * (1 - dy) * dx +
                        v[NNREF_AT4(x, n, y1, x1, c)] * dy * dx;
                }
            }
}

static void nnref_concatenation(nnref *r, const wc_tflite_operator *op)
{
    const wc_tflite_tensor *y = &r->m->tensors[op->outputs[0]];
    int32_t axis = op->options.axis < 0 ? op->options.axis + (int32_t)y->rank : op->options.axis;
    size_t outer = 1, at = 0;
    for (int32_t d = 0; d < axis; d++)
        outer *= (size_t)y->shape[d];
    for (size_t o = 0; o < outer; o++)
        for (uint32_t i = 0; i < op->ninputs; i++) {
            size_t block = nnref_count(&r->m->tensors[op->inputs[i]]) / outer;
            for (size_t k = 0; k < block; k++)
                r->v[op->outputs[0]][at++] =
                    nnref_act(op->options.activation, r->v[op->inputs[i]][o * block + k]);
        }
}

/* MEAN over any constant axes. */
static void nnref_mean(nnref *r, const wc_tflite_operator *op)
{
    const wc_tflite_tensor *x = &r->m->tensors[op->inputs[0]], *axes = &r->m->tensors[op->inputs[1]];
    unsigned char reduced[WC_TFLITE_MAX_RANK] = {0};
    for (size_t i = 0; i < axes->data_size / 4; i++) {
        int32_t a;
        memcpy(&a, axes->data + 4 * i, 4);
        reduced[a < 0 ? a + (int32_t)x->rank : a] = 1;
    }
    size_t n = nnref_count(x), nout = nnref_count(&r->m->tensors[op->outputs[0]]);
    for (size_t o = 0; o < nout; o++)
        r->v[op->outputs[0]][o] = 0;
    /* walk the input's coordinates like an odometer */
    int64_t coord[WC_TFLITE_MAX_RANK] = {0};
    for (size_t i = 0; i < n; i++) {
        size_t o = 0;
        for (uint32_t d = 0; d < x->rank; d++)
            if (!reduced[d])
                o = o * (size_t)x->shape[d] + (size_t)coord[d];
        r->v[op->outputs[0]][o] += r->v[op->inputs[0]][i] / (double)(n / nout);
        for (uint32_t d = x->rank; d-- > 0 && ++coord[d] == x->shape[d];)
            coord[d] = 0;
    }
}

/* Runs the model on inputs (one byte array per graph input, in the model's
 * types) and writes the graph's outputs to outputs (likewise).  Returns -1
 * on an operator it does not know. */
static int nnref_run(const wc_tflite_model *m, const uint8_t *const *inputs, uint8_t **outputs)
{
    nnref r = {.m = m, .v = calloc(m->ntensors, sizeof(double *))};
    int rc = 0;
    for (uint32_t t = 0; t < m->ntensors; t++) {
        r.v[t] = calloc(nnref_count(&m->tensors[t]) + 1, sizeof(double));
        if (m->tensors[t].data)
            nnref_load(&m->tensors[t], m->tensors[t].data, r.v[t]);
    }
    for (uint32_t i = 0; i < m->ninputs; i++)
        nnref_load(&m->tensors[m->inputs[i]], inputs[i], r.v[m->inputs[i]]);
    for (uint32_t i = 0; rc == 0 && i < m->noperators; i++) {
        const wc_tflite_operator *op = &m->operators[i];
        switch (op->code) {
        case WC_TFLITE_OP_CONV_2D:
            nnref_conv(&r, op, 0);
            break;
        case WC_TFLITE_OP_DEPTHWISE_CONV_2D:
            nnref_conv(&r, op, 1);
            break;
        case WC_TFLITE_OP_FULLY_CONNECTED:
            nnref_fully_connected(&r, op);
            break;
        case WC_TFLITE_OP_AVERAGE_POOL_2D:
            nnref_pool(&r, op, 0);
            break;
        case WC_TFLITE_OP_MAX_POOL_2D:
            nnref_pool(&r, op, 1);
            break;
        case WC_TFLITE_OP_MEAN:
            nnref_mean(&r, op);
            break;
        case WC_TFLITE_OP_CONCATENATION:
            nnref_concatenation(&r, op);
            break;
        case WC_TFLITE_OP_TRANSPOSE_CONV:
            nnref_transpose_conv(&r, op);
            break;
        case WC_TFLITE_OP_PAD:
            nnref_pad(&r, op);
            break;
        case WC_TFLITE_OP_DEPTH_TO_SPACE:
            nnref_depth_to_space(&r, op);
            break;
        case WC_TFLITE_OP_PRELU:
            nnref_prelu(&r, op);
            break;
        case WC_TFLITE_OP_RESIZE_BILINEAR:
            nnref_resize_bilinear(&r, op);
            break;
        case WC_TFLITE_OP_ADD:
        case WC_TFLITE_OP_SUB:
        case WC_TFLITE_OP_MUL:
        case WC_TFLITE_OP_DIV:
            nnref_binary(&r, op);
            break;
        case WC_TFLITE_OP_SOFTMAX:
        case WC_TFLITE_OP_LOGISTIC:
        case WC_TFLITE_OP_RELU:
        case WC_TFLITE_OP_RELU6:
        case WC_TFLITE_OP_RELU_N1_TO_1:
        case WC_TFLITE_OP_LEAKY_RELU:
        case WC_TFLITE_OP_HARD_SWISH:
        case WC_TFLITE_OP_TANH:
        case WC_TFLITE_OP_RESHAPE:
        case WC_TFLITE_OP_QUANTIZE:
        case WC_TFLITE_OP_DEQUANTIZE:
            nnref_unary(&r, op);
            break;
        default:
            rc = -1;
            continue;
        }
        nnref_store(&m->tensors[op->outputs[0]], r.v[op->outputs[0]], NULL);
    }
    for (uint32_t i = 0; rc == 0 && i < m->noutputs; i++)
        nnref_store(&m->tensors[m->outputs[i]], r.v[m->outputs[i]], outputs[i]);
    for (uint32_t t = 0; t < m->ntensors; t++)
        free(r.v[t]);
    free(r.v);
    return rc;
}

#endif
