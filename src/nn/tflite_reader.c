/* tflite_reader.c -- the walk Model -> SubGraph -> Buffer, OperatorCode,
 * Tensor, Operator of tensorflow/lite/schema/schema.fbs, through the checked
 * reads of flatbuffer.c, into the description of tflite.h.
 *
 * The walk follows the schema, which has no recursive type on this path, so
 * its depth is fixed; its length is bounded by the vectors, which the file
 * must hold, and by the copy budget for vectors that tables share. */
#include "nn/tflite.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/flatbuffer.h"

#define TFLITE_SCHEMA_VERSION 3

/* Field ids: the order of the fields in schema.fbs (a union takes two). */
enum { MODEL_VERSION, MODEL_OPERATOR_CODES, MODEL_SUBGRAPHS, MODEL_DESCRIPTION, MODEL_BUFFERS };
enum { SUBGRAPH_TENSORS, SUBGRAPH_INPUTS, SUBGRAPH_OUTPUTS, SUBGRAPH_OPERATORS, SUBGRAPH_NAME };
enum { BUFFER_DATA, BUFFER_OFFSET, BUFFER_SIZE };
enum { CODE_DEPRECATED_BUILTIN, CODE_CUSTOM, CODE_VERSION, CODE_BUILTIN };
enum {
    TENSOR_SHAPE,
    TENSOR_TYPE,
    TENSOR_BUFFER,
    TENSOR_NAME,
    TENSOR_QUANTIZATION,
    TENSOR_IS_VARIABLE,
    TENSOR_SPARSITY,
};
enum {
    QUANT_MIN,
    QUANT_MAX,
    QUANT_SCALE,
    QUANT_ZERO_POINT,
    QUANT_DETAILS_TYPE,
    QUANT_DETAILS,
    QUANT_DIMENSION
};
enum { OP_OPCODE_INDEX, OP_INPUTS, OP_OUTPUTS, OP_OPTIONS_TYPE, OP_OPTIONS };

typedef struct buffer_ref {
    const uint8_t *data;
    size_t size;
} buffer_ref;

typedef struct opcode {
    int32_t code;
    int32_t version;
    const char *name;
} opcode;

typedef struct walk {
    wc_fb_reader r;
    wc_tflite_model *m;
    uint32_t ncodes;
    opcode *codes;
    buffer_ref *buffers;
} walk;

static int out_of_memory(walk *w)
{
    w->r.code = wc_error_set(w->r.err, WC_ENOMEM, "tflite: out of memory");
    return w->r.code;
}

/* Copies a vector of i32 (tensor indices, shapes) out of the file. */
static int copy_i32(walk *w, const wc_fb_vector *v, const char *what, int32_t **out)
{
    *out = NULL;
    if (!v->len)
        return 0;
    if (wc_fb_claim(&w->r, v, what))
        return w->r.code;
    *out = malloc(v->len * sizeof **out);
    if (!*out)
        return out_of_memory(w);
    for (uint32_t i = 0; i < v->len; i++)
        (*out)[i] = wc_fb_vector_i32(&w->r, v, i);
    return 0;
}

static int check_count(walk *w, const wc_fb_vector *v, const char *what, uint32_t max)
{
    if (v->len <= max)
        return 0;
    return wc_fb_fail(&w->r, v->pos - 4, "has %u %s, at most %u are supported", v->len, what, max);
}

bool wc_tflite_identified(const uint8_t *bytes, size_t size)
{
    return size >= 8 && memcmp(bytes + 4, "TFL3", 4) == 0;
}

static int read_buffers(walk *w, const wc_fb_table *model)
{
    wc_fb_vector v;
    wc_fb_context(&w->r, "model");
    if (wc_fb_vector_field(&w->r, model, MODEL_BUFFERS, 4, "buffers", &v) ||
        check_count(w, &v, "buffers", WC_TFLITE_MAX_BUFFERS))
        return w->r.code;
    w->m->nbuffers = v.len;
    w->buffers = calloc(v.len ? v.len : 1, sizeof *w->buffers);
    if (!w->buffers)
        return out_of_memory(w);
    for (uint32_t i = 0; i < v.len; i++) {
        wc_fb_table b;
        wc_fb_vector data;
        uint64_t offset, size;
        wc_fb_context(&w->r, "buffer %u", i);
        if (wc_fb_vector_table(&w->r, &v, i, "", &b) ||
            wc_fb_vector_field(&w->r, &b, BUFFER_DATA, 1, "data", &data) ||
            wc_fb_u64(&w->r, &b, BUFFER_OFFSET, "offset", 0, &offset) ||
            wc_fb_u64(&w->r, &b, BUFFER_SIZE, "size", 0, &size))
            return w->r.code;
        if (data.len) {
            w->buffers[i].data = w->r.data + data.pos;
            w->buffers[i].size = data.len;
        } else if (offset > 1) {
            /* Models over 2 GB keep constant data after the flatbuffer,
             * at a file offset ("only valid if > 1", schema.fbs). */
            if (offset > w->r.size || size > w->r.size - offset)
                return wc_fb_fail(
                    &w->r, b.pos,
                    "data at file offset 0x%llx (size %llu) runs past the end of the file",
                    (unsigned long long)offset, (unsigned long long)size);
            w->buffers[i].data = w->r.data + offset;
            w->buffers[i].size = size;
        }
    }
    return 0;
}

static int read_operator_codes(walk *w, const wc_fb_table *model)
{
    wc_fb_vector v;
    wc_fb_context(&w->r, "model");
    if (wc_fb_vector_field(&w->r, model, MODEL_OPERATOR_CODES, 4, "operator_codes", &v) ||
        check_count(w, &v, "operator codes", WC_TFLITE_MAX_OPERATOR_CODES))
        return w->r.code;
    w->ncodes = v.len;
    w->codes = calloc(v.len ? v.len : 1, sizeof *w->codes);
    if (!w->codes)
        return out_of_memory(w);
    for (uint32_t i = 0; i < v.len; i++) {
        wc_fb_table c;
        int8_t deprecated;
        int32_t builtin;
        const char *custom;
        uint32_t custom_len;
        opcode *oc = &w->codes[i];
        wc_fb_context(&w->r, "operator code %u", i);
        if (wc_fb_vector_table(&w->r, &v, i, "", &c) ||
            wc_fb_i8(&w->r, &c, CODE_DEPRECATED_BUILTIN, "deprecated_builtin_code", 0,
                     &deprecated) ||
            wc_fb_string_field(&w->r, &c, CODE_CUSTOM, "custom_code", &custom, &custom_len) ||
            wc_fb_i32(&w->r, &c, CODE_VERSION, "version", 1, &oc->version) ||
            wc_fb_i32(&w->r, &c, CODE_BUILTIN, "builtin_code", 0, &builtin))
            return w->r.code;
        /* Schema 3a: writers fill both fields, the byte one saturated at
         * PLACEHOLDER_FOR_GREATER_OP_CODES (127); old files only the byte. */
        oc->code = builtin > deprecated ? builtin : deprecated;
        if (oc->code < 0)
            return wc_fb_fail(&w->r, c.pos, "builtin code %d is negative", oc->code);
        const char *name = wc_tflite_builtin_name(oc->code);
        if (oc->code == WC_TFLITE_OP_CUSTOM && custom)
            name = custom;
        oc->name = name ? name : "UNKNOWN";
    }
    return 0;
}

static int read_quantization(walk *w, const wc_fb_table *q, wc_tflite_tensor *t)
{
    wc_fb_vector scale, zero_point;
    uint8_t details;
    wc_fb_table details_value;
    int32_t dimension;
    if (wc_fb_vector_field(&w->r, q, QUANT_SCALE, 4, "quantization scale", &scale) ||
        wc_fb_vector_field(&w->r, q, QUANT_ZERO_POINT, 8, "quantization zero_point", &zero_point) ||
        wc_fb_union_field(&w->r, q, QUANT_DETAILS, "quantization details", &details,
                          &details_value) ||
        wc_fb_i32(&w->r, q, QUANT_DIMENSION, "quantized_dimension", 0, &dimension))
        return w->r.code;
    if (details)
        return wc_fb_fail(&w->r, q->pos, "has custom quantization (details type %u): not supported",
                          details);
    if (!scale.len)
        return 0; /* as TFLite: no scale, not quantized */
    if (scale.len != zero_point.len)
        return wc_fb_fail(&w->r, q->pos,
                          "quantization has %u scales and %u zero points, expected as many",
                          scale.len, zero_point.len);
    /* A rank-1 tensor has only dimension 0; converters have written the
     * weights' dimension on biases (person_detect: 3 on an [8] bias). */
    if (scale.len > 1 && t->rank == 1)
        dimension = 0;
    if (scale.len > 1) {
        if (dimension < 0 || (uint32_t)dimension >= t->rank)
            return wc_fb_fail(&w->r, q->pos,
                              "quantized_dimension %d is not a dimension of its rank-%u shape",
                              dimension, t->rank);
        if ((uint32_t)t->shape[dimension] != scale.len)
            return wc_fb_fail(&w->r, q->pos,
                              "has %u scales for dimension %d of size %d, expected one per channel",
                              scale.len, dimension, t->shape[dimension]);
    }
    if (wc_fb_claim(&w->r, &scale, "quantization scale") ||
        wc_fb_claim(&w->r, &zero_point, "quantization zero_point"))
        return w->r.code;
    t->quant.count = scale.len;
    t->quant.dimension = dimension;
    t->quant.scale = malloc(scale.len * sizeof *t->quant.scale);
    t->quant.zero_point = malloc(scale.len * sizeof *t->quant.zero_point);
    if (!t->quant.scale || !t->quant.zero_point)
        return out_of_memory(w);
    for (uint32_t i = 0; i < scale.len; i++) {
        float s = wc_fb_vector_f32(&w->r, &scale, i);
        int64_t z = wc_fb_vector_i64(&w->r, &zero_point, i);
        if (!isfinite(s) || s < 0)
            return wc_fb_fail(&w->r, scale.pos + 4 * (uint64_t)i,
                              "quantization scale %u is %g, expected a finite non-negative number",
                              i, (double)s);
        bool fits = t->type == WC_TFLITE_INT8    ? z >= INT8_MIN && z <= INT8_MAX
                    : t->type == WC_TFLITE_UINT8 ? z >= 0 && z <= UINT8_MAX
                    : t->type == WC_TFLITE_INT16 ? z >= INT16_MIN && z <= INT16_MAX
                                                 : true;
        if (!fits)
            return wc_fb_fail(&w->r, zero_point.pos + 8 * (uint64_t)i,
                              "quantization zero point %u is %lld, out of range for %s", i,
                              (long long)z, wc_tflite_type_name(t->type));
        t->quant.scale[i] = s;
        t->quant.zero_point[i] = z;
    }
    return 0;
}

/* The bytes the tensor's elements take, or -1 past WC_TFLITE_MAX_TENSOR_BYTES. */
static int64_t tensor_bytes(const wc_tflite_tensor *t)
{
    const uint64_t max_elements = WC_TFLITE_MAX_TENSOR_BYTES * 2; /* INT4: two per byte */
    uint64_t elements = 1;
    for (uint32_t d = 0; d < t->rank; d++)
        if (t->shape[d] == 0)
            return 0;
    for (uint32_t d = 0; d < t->rank; d++) {
        if (elements > max_elements / (uint64_t)t->shape[d])
            return -1;
        elements *= (uint64_t)t->shape[d];
    }
    uint64_t bytes = (elements * wc_tflite_type_bits(t->type) + 7) / 8;
    return bytes > WC_TFLITE_MAX_TENSOR_BYTES ? -1 : (int64_t)bytes;
}

static int read_tensor(walk *w, const wc_fb_vector *tensors, uint32_t i)
{
    wc_tflite_tensor *t = &w->m->tensors[i];
    wc_fb_table tt, q;
    wc_fb_vector shape;
    int8_t type;
    uint32_t name_len;
    bool has_quant, has_sparsity;
    wc_fb_table sparsity;
    wc_fb_context(&w->r, "tensor %u", i);
    if (wc_fb_vector_table(&w->r, tensors, i, "", &tt) ||
        wc_fb_vector_field(&w->r, &tt, TENSOR_SHAPE, 4, "shape", &shape) ||
        wc_fb_i8(&w->r, &tt, TENSOR_TYPE, "type", 0, &type) ||
        wc_fb_u32(&w->r, &tt, TENSOR_BUFFER, "buffer", 0, &t->buffer) ||
        wc_fb_string_field(&w->r, &tt, TENSOR_NAME, "name", &t->name, &name_len) ||
        wc_fb_table_field(&w->r, &tt, TENSOR_QUANTIZATION, "quantization", &q, &has_quant) ||
        wc_fb_bool(&w->r, &tt, TENSOR_IS_VARIABLE, "is_variable", false, &t->is_variable) ||
        wc_fb_table_field(&w->r, &tt, TENSOR_SPARSITY, "sparsity", &sparsity, &has_sparsity))
        return w->r.code;
    if (!t->name)
        t->name = "";
    t->type = (wc_tflite_type)type;
    if (type < WC_TFLITE_FLOAT32 || type > WC_TFLITE_INT4)
        return wc_fb_fail(&w->r, tt.pos, "has type %d, not a TensorType of the schema", type);
    if (shape.len > WC_TFLITE_MAX_RANK)
        return wc_fb_fail(&w->r, shape.pos - 4, "shape has %u dimensions, at most %d are supported",
                          shape.len, WC_TFLITE_MAX_RANK);
    t->rank = shape.len;
    for (uint32_t d = 0; d < shape.len; d++) {
        t->shape[d] = wc_fb_vector_i32(&w->r, &shape, d);
        if (t->shape[d] < 0)
            return wc_fb_fail(&w->r, shape.pos + 4 * (uint64_t)d,
                              "dimension %u is %d, expected at least 0", d, t->shape[d]);
    }
    int64_t bytes = tensor_bytes(t);
    if (bytes < 0)
        return wc_fb_fail(&w->r, shape.pos - 4, "takes more than %llu bytes",
                          (unsigned long long)WC_TFLITE_MAX_TENSOR_BYTES);
    if (has_sparsity)
        return wc_fb_fail(&w->r, sparsity.pos, "is sparse: sparse tensors are not supported");
    if (t->buffer >= w->m->nbuffers)
        return wc_fb_fail(&w->r, tt.pos, "refers to buffer %u, but the model has %u", t->buffer,
                          w->m->nbuffers);
    t->data = w->buffers[t->buffer].data;
    t->data_size = w->buffers[t->buffer].size;
    if (t->data && wc_tflite_type_bits(t->type) && t->data_size != (uint64_t)bytes)
        return wc_fb_fail(&w->r, tt.pos, "buffer %u has %zu bytes, but its %s shape needs %lld",
                          t->buffer, t->data_size, wc_tflite_type_name(t->type), (long long)bytes);
    return has_quant ? read_quantization(w, &q, t) : 0;
}

static int tensor_index_ok(walk *w, const wc_fb_vector *v, uint32_t k, const char *what,
                           bool optional)
{
    int32_t index = wc_fb_vector_i32(&w->r, v, k);
    if ((optional && index == -1) || (index >= 0 && (uint32_t)index < w->m->ntensors))
        return 0;
    return wc_fb_fail(&w->r, v->pos + 4 * (uint64_t)k,
                      "%s %u is tensor %d, but the subgraph has %u%s", what, k, index,
                      w->m->ntensors, optional ? " (-1: none)" : "");
}

/* Copies first: the copy budget then bounds the checking work too. */
static int read_tensor_list(walk *w, const wc_fb_table *t, unsigned id, const char *what,
                            bool optional, uint32_t *n, int32_t **out)
{
    wc_fb_vector v;
    if (wc_fb_vector_field(&w->r, t, id, 4, what, &v) || copy_i32(w, &v, what, out))
        return w->r.code;
    *n = v.len;
    for (uint32_t k = 0; k < v.len; k++)
        if (tensor_index_ok(w, &v, k, what, optional))
            return w->r.code;
    return 0;
}

int wc_tflite_options_type(int32_t code)
{
    switch (code) {
    case WC_TFLITE_OP_CONV_2D:
        return WC_TFLITE_OPTIONS_CONV_2D;
    case WC_TFLITE_OP_DEPTHWISE_CONV_2D:
        return WC_TFLITE_OPTIONS_DEPTHWISE_CONV_2D;
    case WC_TFLITE_OP_AVERAGE_POOL_2D:
    case WC_TFLITE_OP_MAX_POOL_2D:
        return WC_TFLITE_OPTIONS_POOL_2D;
    case WC_TFLITE_OP_FULLY_CONNECTED:
        return WC_TFLITE_OPTIONS_FULLY_CONNECTED;
    case WC_TFLITE_OP_SOFTMAX:
        return WC_TFLITE_OPTIONS_SOFTMAX;
    case WC_TFLITE_OP_CONCATENATION:
        return WC_TFLITE_OPTIONS_CONCATENATION;
    case WC_TFLITE_OP_ADD:
        return WC_TFLITE_OPTIONS_ADD;
    case WC_TFLITE_OP_RESIZE_BILINEAR:
        return WC_TFLITE_OPTIONS_RESIZE_BILINEAR;
    case WC_TFLITE_OP_RESHAPE:
        return WC_TFLITE_OPTIONS_RESHAPE;
    case WC_TFLITE_OP_MUL:
        return WC_TFLITE_OPTIONS_MUL;
    case WC_TFLITE_OP_MEAN:
        return WC_TFLITE_OPTIONS_REDUCER;
    case WC_TFLITE_OP_SUB:
        return WC_TFLITE_OPTIONS_SUB;
    case WC_TFLITE_OP_DIV:
        return WC_TFLITE_OPTIONS_DIV;
    case WC_TFLITE_OP_TRANSPOSE_CONV:
        return WC_TFLITE_OPTIONS_TRANSPOSE_CONV;
    case WC_TFLITE_OP_LEAKY_RELU:
        return WC_TFLITE_OPTIONS_LEAKY_RELU;
    case WC_TFLITE_OP_DEPTH_TO_SPACE:
        return WC_TFLITE_OPTIONS_DEPTH_TO_SPACE;
    }
    return 0;
}

/* The options tables' field ids, per kind (schema.fbs). */
static int read_options_fields(walk *w, const wc_fb_table *t, int kind, wc_tflite_options *o)
{
    wc_fb_reader *r = &w->r;
    int8_t padding = 0, activation = 0;
    int rc = 0;
    switch (kind) {
    case WC_TFLITE_OPTIONS_CONV_2D:
        rc = wc_fb_i8(r, t, 0, "padding", 0, &padding) ||
             wc_fb_i32(r, t, 1, "stride_w", 0, &o->stride_w) ||
             wc_fb_i32(r, t, 2, "stride_h", 0, &o->stride_h) ||
             wc_fb_i8(r, t, 3, "fused_activation_function", 0, &activation) ||
             wc_fb_i32(r, t, 4, "dilation_w_factor", 1, &o->dilation_w) ||
             wc_fb_i32(r, t, 5, "dilation_h_factor", 1, &o->dilation_h);
        break;
    case WC_TFLITE_OPTIONS_DEPTHWISE_CONV_2D:
        rc = wc_fb_i8(r, t, 0, "padding", 0, &padding) ||
             wc_fb_i32(r, t, 1, "stride_w", 0, &o->stride_w) ||
             wc_fb_i32(r, t, 2, "stride_h", 0, &o->stride_h) ||
             wc_fb_i32(r, t, 3, "depth_multiplier", 0, &o->depth_multiplier) ||
             wc_fb_i8(r, t, 4, "fused_activation_function", 0, &activation) ||
             wc_fb_i32(r, t, 5, "dilation_w_factor", 1, &o->dilation_w) ||
             wc_fb_i32(r, t, 6, "dilation_h_factor", 1, &o->dilation_h);
        break;
    case WC_TFLITE_OPTIONS_POOL_2D:
        rc = wc_fb_i8(r, t, 0, "padding", 0, &padding) ||
             wc_fb_i32(r, t, 1, "stride_w", 0, &o->stride_w) ||
             wc_fb_i32(r, t, 2, "stride_h", 0, &o->stride_h) ||
             wc_fb_i32(r, t, 3, "filter_width", 0, &o->filter_w) ||
             wc_fb_i32(r, t, 4, "filter_height", 0, &o->filter_h) ||
             wc_fb_i8(r, t, 5, "fused_activation_function", 0, &activation);
        break;
    case WC_TFLITE_OPTIONS_TRANSPOSE_CONV:
        rc = wc_fb_i8(r, t, 0, "padding", 0, &padding) ||
             wc_fb_i32(r, t, 1, "stride_w", 0, &o->stride_w) ||
             wc_fb_i32(r, t, 2, "stride_h", 0, &o->stride_h) ||
             wc_fb_i8(r, t, 3, "fused_activation_function", 0, &activation);
        break;
    case WC_TFLITE_OPTIONS_FULLY_CONNECTED: {
        int8_t weights_format = 0;
        rc = wc_fb_i8(r, t, 0, "fused_activation_function", 0, &activation) ||
             wc_fb_i8(r, t, 1, "weights_format", 0, &weights_format) ||
             wc_fb_bool(r, t, 2, "keep_num_dims", false, &o->keep_num_dims);
        if (!rc && weights_format != 0)
            return wc_fb_fail(r, t->pos, "has weights_format %d: only DEFAULT (0) is supported",
                              weights_format);
        break;
    }
    case WC_TFLITE_OPTIONS_ADD:
    case WC_TFLITE_OPTIONS_MUL:
    case WC_TFLITE_OPTIONS_SUB:
    case WC_TFLITE_OPTIONS_DIV:
        rc = wc_fb_i8(r, t, 0, "fused_activation_function", 0, &activation);
        break;
    case WC_TFLITE_OPTIONS_CONCATENATION:
        rc = wc_fb_i32(r, t, 0, "axis", 0, &o->axis) ||
             wc_fb_i8(r, t, 1, "fused_activation_function", 0, &activation);
        break;
    case WC_TFLITE_OPTIONS_SOFTMAX:
        rc = wc_fb_f32(r, t, 0, "beta", 0.0f, &o->beta);
        break;
    case WC_TFLITE_OPTIONS_LEAKY_RELU:
        rc = wc_fb_f32(r, t, 0, "alpha", 0.0f, &o->alpha);
        break;
    case WC_TFLITE_OPTIONS_RESIZE_BILINEAR: /* ids 0 and 1 are the deprecated new_height, new_width */
        rc = wc_fb_bool(r, t, 2, "align_corners", false, &o->align_corners) ||
             wc_fb_bool(r, t, 3, "half_pixel_centers", false, &o->half_pixel_centers);
        break;
    case WC_TFLITE_OPTIONS_DEPTH_TO_SPACE:
        rc = wc_fb_i32(r, t, 0, "block_size", 0, &o->block_size);
        break;
    case WC_TFLITE_OPTIONS_REDUCER:
        rc = wc_fb_bool(r, t, 0, "keep_dims", false, &o->keep_dims);
        break;
    case WC_TFLITE_OPTIONS_RESHAPE: {
        wc_fb_vector v;
        if (wc_fb_vector_field(r, t, 0, 4, "new_shape", &v))
            return w->r.code;
        if (v.len > WC_TFLITE_MAX_RANK)
            return wc_fb_fail(r, v.pos - 4, "new_shape has %u dimensions, at most %d are supported",
                              v.len, WC_TFLITE_MAX_RANK);
        o->has_new_shape = v.present;
        o->new_shape_len = v.len;
        return copy_i32(w, &v, "new_shape", &o->new_shape);
    }
    }
    if (rc)
        return w->r.code;
    o->padding = padding;
    o->activation = activation;
    return 0;
}

static int check_at_least(walk *w, const wc_fb_table *t, const char *what, int32_t value,
                          int32_t min)
{
    if (value >= min)
        return 0;
    return wc_fb_fail(&w->r, t->pos, "options have %s %d, expected at least %d", what, value, min);
}

static int check_options(walk *w, const wc_fb_table *t, int kind, const wc_tflite_options *o)
{
    if (o->padding != WC_TFLITE_PADDING_SAME && o->padding != WC_TFLITE_PADDING_VALID)
        return wc_fb_fail(&w->r, t->pos, "options have padding %d, expected SAME (0) or VALID (1)",
                          o->padding);
    if (o->activation < WC_TFLITE_ACT_NONE || o->activation > WC_TFLITE_ACT_SIGN_BIT)
        return wc_fb_fail(&w->r, t->pos, "options have fused activation %d, not one of the schema",
                          o->activation);
    switch (kind) {
    case WC_TFLITE_OPTIONS_CONV_2D:
    case WC_TFLITE_OPTIONS_DEPTHWISE_CONV_2D:
        return check_at_least(w, t, "stride_w", o->stride_w, 1) ||
                       check_at_least(w, t, "stride_h", o->stride_h, 1) ||
                       check_at_least(w, t, "dilation_w_factor", o->dilation_w, 1) ||
                       check_at_least(w, t, "dilation_h_factor", o->dilation_h, 1) ||
                       check_at_least(w, t, "depth_multiplier", o->depth_multiplier, 0)
                   ? -1
                   : 0;
    case WC_TFLITE_OPTIONS_TRANSPOSE_CONV:
        return check_at_least(w, t, "stride_w", o->stride_w, 1) ||
                       check_at_least(w, t, "stride_h", o->stride_h, 1)
                   ? -1
                   : 0;
    case WC_TFLITE_OPTIONS_POOL_2D:
        return check_at_least(w, t, "stride_w", o->stride_w, 1) ||
                       check_at_least(w, t, "stride_h", o->stride_h, 1) ||
                       check_at_least(w, t, "filter_width", o->filter_w, 1) ||
                       check_at_least(w, t, "filter_height", o->filter_h, 1)
                   ? -1
                   : 0;
    case WC_TFLITE_OPTIONS_DEPTH_TO_SPACE:
        return check_at_least(w, t, "block_size", o->block_size, 1);
    }
    return 0;
}

static int read_options(walk *w, const wc_fb_table *ot, wc_tflite_operator *op)
{
    wc_tflite_options *o = &op->options;
    uint8_t type;
    wc_fb_table t;
    o->dilation_w = o->dilation_h = 1;
    int kind = wc_tflite_options_type(op->code);
    if (!kind)
        return 0; /* options the backends do not use are not read */
    if (wc_fb_union_field(&w->r, ot, OP_OPTIONS, "builtin_options", &type, &t))
        return w->r.code;
    if (!type) {
        /* absent: the schema's defaults, which fail the checks where a
         * value is needed (strides, filter sizes, block size) */
        memset(&t, 0, sizeof t);
    } else if (type != kind) {
        return wc_fb_fail(&w->r, ot->pos, "has builtin options of union type %u, expected %d", type,
                          kind);
    } else if (read_options_fields(w, &t, kind, o)) {
        return w->r.code;
    }
    return check_options(w, type ? &t : ot, kind, o);
}

static int read_operator(walk *w, const wc_fb_vector *ops, uint32_t i)
{
    wc_tflite_operator *op = &w->m->operators[i];
    wc_fb_table ot;
    uint32_t opcode_index;
    wc_fb_context(&w->r, "operator %u", i);
    if (wc_fb_vector_table(&w->r, ops, i, "", &ot) ||
        wc_fb_u32(&w->r, &ot, OP_OPCODE_INDEX, "opcode_index", 0, &opcode_index))
        return w->r.code;
    if (opcode_index >= w->ncodes)
        return wc_fb_fail(&w->r, ot.pos, "has opcode_index %u, but the model has %u operator codes",
                          opcode_index, w->ncodes);
    op->code = w->codes[opcode_index].code;
    op->name = w->codes[opcode_index].name;
    op->version = w->codes[opcode_index].version;
    wc_fb_context(&w->r, "operator %u (%s)", i, op->name);
    if (read_tensor_list(w, &ot, OP_INPUTS, "input", true, &op->ninputs, &op->inputs) ||
        read_tensor_list(w, &ot, OP_OUTPUTS, "output", false, &op->noutputs, &op->outputs))
        return w->r.code;
    return read_options(w, &ot, op);
}

static int read_subgraph(walk *w, const wc_fb_table *model)
{
    wc_tflite_model *m = w->m;
    wc_fb_vector subgraphs, tensors, ops;
    wc_fb_table sg;
    uint32_t name_len;
    wc_fb_context(&w->r, "model");
    if (wc_fb_vector_field(&w->r, model, MODEL_SUBGRAPHS, 4, "subgraphs", &subgraphs))
        return w->r.code;
    if (!subgraphs.len)
        return wc_fb_fail(&w->r, model->pos, "has no subgraph");
    m->nsubgraphs = subgraphs.len;
    wc_fb_context(&w->r, "subgraph 0");
    if (wc_fb_vector_table(&w->r, &subgraphs, 0, "", &sg) ||
        wc_fb_string_field(&w->r, &sg, SUBGRAPH_NAME, "name", &m->subgraph_name, &name_len) ||
        wc_fb_vector_field(&w->r, &sg, SUBGRAPH_TENSORS, 4, "tensors", &tensors) ||
        wc_fb_vector_field(&w->r, &sg, SUBGRAPH_OPERATORS, 4, "operators", &ops) ||
        check_count(w, &tensors, "tensors", WC_TFLITE_MAX_TENSORS) ||
        check_count(w, &ops, "operators", WC_TFLITE_MAX_OPERATORS))
        return w->r.code;
    if (!m->subgraph_name)
        m->subgraph_name = "";
    m->tensors = calloc(tensors.len ? tensors.len : 1, sizeof *m->tensors);
    m->operators = calloc(ops.len ? ops.len : 1, sizeof *m->operators);
    if (!m->tensors || !m->operators)
        return out_of_memory(w);
    m->ntensors = tensors.len;
    for (uint32_t i = 0; i < tensors.len; i++)
        if (read_tensor(w, &tensors, i))
            return w->r.code;
    wc_fb_context(&w->r, "subgraph 0");
    if (read_tensor_list(w, &sg, SUBGRAPH_INPUTS, "input", false, &m->ninputs, &m->inputs) ||
        read_tensor_list(w, &sg, SUBGRAPH_OUTPUTS, "output", false, &m->noutputs, &m->outputs))
        return w->r.code;
    m->noperators = ops.len;
    for (uint32_t i = 0; i < ops.len; i++)
        if (read_operator(w, &ops, i))
            return w->r.code;
    return 0;
}

int wc_tflite_read(const uint8_t *bytes, size_t size, wc_tflite_model **out, wc_error *err)
{
    walk w = {0};
    wc_fb_table model;
    uint32_t desc_len;
    *out = NULL;
    wc_fb_reader_init(&w.r, bytes, size, "tflite", err);
    w.m = calloc(1, sizeof *w.m);
    if (!w.m)
        return out_of_memory(&w);
    int rc = WC_EMALFORMED;
    wc_fb_context(&w.r, "model");
    if (wc_fb_root(&w.r, "TFL3", &model) ||
        wc_fb_u32(&w.r, &model, MODEL_VERSION, "version", 0, &w.m->version) ||
        wc_fb_string_field(&w.r, &model, MODEL_DESCRIPTION, "description", &w.m->description,
                           &desc_len))
        goto done;
    if (w.m->version != TFLITE_SCHEMA_VERSION) {
        wc_fb_fail(&w.r, model.pos, "has schema version %u, expected %d", w.m->version,
                   TFLITE_SCHEMA_VERSION);
        goto done;
    }
    if (!w.m->description)
        w.m->description = "";
    if (read_buffers(&w, &model) || read_operator_codes(&w, &model) || read_subgraph(&w, &model))
        goto done;
    rc = 0;
done:
    free(w.codes);
    free(w.buffers);
    if (rc) {
        wc_tflite_free(w.m);
        return w.r.code;
    }
    *out = w.m;
    return 0;
}

void wc_tflite_free(wc_tflite_model *m)
{
    if (!m)
        return;
    for (uint32_t i = 0; i < m->ntensors; i++) {
        free(m->tensors[i].quant.scale);
        free(m->tensors[i].quant.zero_point);
    }
    for (uint32_t i = 0; i < m->noperators; i++) {
        free(m->operators[i].inputs);
        free(m->operators[i].outputs);
        free(m->operators[i].options.new_shape);
    }
    free(m->tensors);
    free(m->operators);
    free(m->inputs);
    free(m->outputs);
    free(m);
}
