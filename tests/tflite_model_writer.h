/* tflite_model_writer.h -- a model description (nn/tflite.h's
 * wc_tflite_model) written back as a .tflite file with tools/tflite_writer.h,
 * so that a model built in a test runs through every backend's own reader
 * (Arm NN parses the file itself).
 *
 * Written: tensors (shape, type, constant data, name, quantization per
 * tensor or per channel), operators with the builtin options the reader
 * reads (nn/tflite.h's wc_tflite_options), a CUSTOM operator's custom code,
 * and the graph's inputs and outputs.  One operator code per operator.
 */
#ifndef WC_TESTS_TFLITE_MODEL_WRITER_H
#define WC_TESTS_TFLITE_MODEL_WRITER_H

#include "tflite_builder.h"

static uint32_t tmw_f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* The options table of union type `type` (wc_tflite_options_type's): every
 * field the reader reads. */
static size_t tmw_options(tfb *b, const wc_tflite_operator *op, uint32_t type)
{
    const wc_tflite_options *o = &op->options;
    size_t t = 0;
    switch (type) {
    case WC_TFLITE_OPTIONS_CONV_2D:
        t = tfb_table(b, 6, 0x3f);
        tfb_set(b, t, 0, (uint32_t)o->padding);
        tfb_set(b, t, 1, (uint32_t)o->stride_w);
        tfb_set(b, t, 2, (uint32_t)o->stride_h);
        tfb_set(b, t, 3, (uint32_t)o->activation);
        tfb_set(b, t, 4, (uint32_t)o->dilation_w);
        tfb_set(b, t, 5, (uint32_t)o->dilation_h);
        break;
    case WC_TFLITE_OPTIONS_DEPTHWISE_CONV_2D:
        t = tfb_table(b, 7, 0x7f);
        tfb_set(b, t, 0, (uint32_t)o->padding);
        tfb_set(b, t, 1, (uint32_t)o->stride_w);
        tfb_set(b, t, 2, (uint32_t)o->stride_h);
        tfb_set(b, t, 3, (uint32_t)o->depth_multiplier);
        tfb_set(b, t, 4, (uint32_t)o->activation);
        tfb_set(b, t, 5, (uint32_t)o->dilation_w);
        tfb_set(b, t, 6, (uint32_t)o->dilation_h);
        break;
    case WC_TFLITE_OPTIONS_POOL_2D:
        t = tfb_table(b, 6, 0x3f);
        tfb_set(b, t, 0, (uint32_t)o->padding);
        tfb_set(b, t, 1, (uint32_t)o->stride_w);
        tfb_set(b, t, 2, (uint32_t)o->stride_h);
        tfb_set(b, t, 3, (uint32_t)o->filter_w);
        tfb_set(b, t, 4, (uint32_t)o->filter_h);
        tfb_set(b, t, 5, (uint32_t)o->activation);
        break;
    case WC_TFLITE_OPTIONS_FULLY_CONNECTED:
        t = tfb_table(b, 3, 0x5);
        tfb_set(b, t, 0, (uint32_t)o->activation);
        tfb_set(b, t, 2, o->keep_num_dims);
        break;
    case WC_TFLITE_OPTIONS_SOFTMAX:
        t = tfb_table(b, 1, 0x1);
        tfb_set(b, t, 0, tmw_f32_bits(o->beta));
        break;
    case WC_TFLITE_OPTIONS_CONCATENATION:
        t = tfb_table(b, 2, 0x3);
        tfb_set(b, t, 0, (uint32_t)o->axis);
        tfb_set(b, t, 1, (uint32_t)o->activation);
        break;
    case WC_TFLITE_OPTIONS_ADD:
    case WC_TFLITE_OPTIONS_MUL:
    case WC_TFLITE_OPTIONS_SUB:
    case WC_TFLITE_OPTIONS_DIV:
        t = tfb_table(b, 1, 0x1);
        tfb_set(b, t, 0, (uint32_t)o->activation);
        break;
    case WC_TFLITE_OPTIONS_TRANSPOSE_CONV:
        t = tfb_table(b, 4, 0xf);
        tfb_set(b, t, 0, (uint32_t)o->padding);
        tfb_set(b, t, 1, (uint32_t)o->stride_w);
        tfb_set(b, t, 2, (uint32_t)o->stride_h);
        tfb_set(b, t, 3, (uint32_t)o->activation);
        break;
    case WC_TFLITE_OPTIONS_LEAKY_RELU:
        t = tfb_table(b, 1, 0x1);
        tfb_set(b, t, 0, tmw_f32_bits(o->alpha));
        break;
    case WC_TFLITE_OPTIONS_RESIZE_BILINEAR:
        t = tfb_table(b, 4, 0xc);
        tfb_set(b, t, 2, o->align_corners);
        tfb_set(b, t, 3, o->half_pixel_centers);
        break;
    case WC_TFLITE_OPTIONS_DEPTH_TO_SPACE:
        t = tfb_table(b, 1, 0x1);
        tfb_set(b, t, 0, (uint32_t)o->block_size);
        break;
    case WC_TFLITE_OPTIONS_RESHAPE:
        t = tfb_table(b, 1, 0x1);
        tfb_link_field(b, t, 0, tfb_vec_i32(b, o->new_shape_len, o->new_shape));
        break;
    case WC_TFLITE_OPTIONS_REDUCER:
        t = tfb_table(b, 1, 0x1);
        tfb_set(b, t, 0, o->keep_dims);
        break;
    }
    return t;
}

static size_t tmw_tensor(tfb *b, const wc_tflite_tensor *t, uint32_t buffer)
{
    /* Tensor: shape, type, buffer, name, quantization */
    size_t table = tfb_table(b, 5, t->quant.count ? 0x1f : 0xf);
    tfb_link_field(b, table, 0, tfb_vec_i32(b, t->rank, t->shape));
    tfb_set(b, table, 1, (uint32_t)t->type);
    tfb_set(b, table, 2, buffer);
    tfb_link_field(b, table, 3, tfb_string(b, t->name));
    if (t->quant.count) {
        /* QuantizationParameters: min, max, scale, zero_point, details_type,
         * details, quantized_dimension */
        size_t q = tfb_table(b, 7, 0x4c);
        tfb_link_field(b, table, 4, q);
        tfb_link_field(b, q, 2, tfb_vector(b, t->quant.count, 4, t->quant.scale));
        tfb_link_field(b, q, 3, tfb_vector(b, t->quant.count, 8, t->quant.zero_point));
        tfb_set(b, q, 6, (uint32_t)t->quant.dimension);
    }
    return table;
}

static size_t tmw_operator(tfb *b, const wc_tflite_operator *op, uint32_t index)
{
    uint32_t type = (uint32_t)wc_tflite_options_type(op->code);
    if (op->code == WC_TFLITE_OP_RESHAPE && !op->options.has_new_shape)
        type = 0; /* the shape is the second input's */
    /* Operator: opcode_index, inputs, outputs, builtin_options_type, builtin_options */
    size_t table = tfb_table(b, 5, type ? 0x1f : 0x7);
    tfb_set(b, table, 0, index);
    tfb_link_field(b, table, 1, tfb_vec_i32(b, op->ninputs, op->inputs));
    tfb_link_field(b, table, 2, tfb_vec_i32(b, op->noutputs, op->outputs));
    if (type) {
        tfb_set(b, table, 3, type);
        tfb_link_field(b, table, 4, tmw_options(b, op, type));
    }
    return table;
}

static void tmw_write(tfb *b, const wc_tflite_model *m)
{
    memset(b, 0, sizeof *b);
    tfb_u32(b, 0);
    tfb_put(b, "TFL3", 4);
    uint32_t nbuffers = 1;
    for (uint32_t i = 0; i < m->ntensors; i++)
        nbuffers += m->tensors[i].data != NULL;
    /* Model: version, operator_codes, subgraphs, description, buffers */
    size_t model = tfb_table(b, 5, 0x1f);
    tfb_link(b, 0, model);
    tfb_set(b, model, 0, 3);
    size_t codes = tfb_vector(b, m->noperators, 4, NULL);
    tfb_link_field(b, model, 1, codes);
    size_t subgraphs = tfb_vector(b, 1, 4, NULL);
    tfb_link_field(b, model, 2, subgraphs);
    tfb_link_field(b, model, 3, tfb_string(b, "written by tests/tflite_model_writer.h"));
    size_t buffers = tfb_vector(b, nbuffers, 4, NULL);
    tfb_link_field(b, model, 4, buffers);
    for (uint32_t i = 0; i < m->noperators; i++) {
        const wc_tflite_operator *op = &m->operators[i];
        /* OperatorCode: deprecated_builtin_code, custom_code, version, builtin_code */
        int custom = op->code == WC_TFLITE_OP_CUSTOM;
        size_t code = tfb_table(b, 4, custom ? 0xf : 0xd);
        tfb_link(b, tfb_elem(codes, i), code);
        tfb_set(b, code, 0, (uint32_t)(op->code < 127 ? op->code : 127));
        if (custom)
            tfb_link_field(b, code, 1, tfb_string(b, op->name));
        tfb_set(b, code, 2, (uint32_t)(op->version ? op->version : 1));
        tfb_set(b, code, 3, (uint32_t)op->code);
    }
    /* SubGraph: tensors, inputs, outputs, operators, name */
    size_t subgraph = tfb_table(b, 5, 0x1f);
    tfb_link(b, tfb_elem(subgraphs, 0), subgraph);
    size_t tensors = tfb_vector(b, m->ntensors, 4, NULL);
    tfb_link_field(b, subgraph, 0, tensors);
    tfb_link_field(b, subgraph, 1, tfb_vec_i32(b, m->ninputs, m->inputs));
    tfb_link_field(b, subgraph, 2, tfb_vec_i32(b, m->noutputs, m->outputs));
    size_t ops = tfb_vector(b, m->noperators, 4, NULL);
    tfb_link_field(b, subgraph, 3, ops);
    tfb_link_field(b, subgraph, 4, tfb_string(b, "main"));
    for (uint32_t i = 0, buffer = 1; i < m->ntensors; i++) {
        const wc_tflite_tensor *t = &m->tensors[i];
        tfb_link(b, tfb_elem(tensors, i), tmw_tensor(b, t, t->data ? buffer++ : 0));
    }
    for (uint32_t i = 0; i < m->noperators; i++)
        tfb_link(b, tfb_elem(ops, i), tmw_operator(b, &m->operators[i], i));
    /* Buffer: data; buffer 0 is the empty sentinel */
    tfb_link(b, tfb_elem(buffers, 0), tfb_table(b, 1, 0));
    for (uint32_t i = 0, buffer = 1; i < m->ntensors; i++) {
        const wc_tflite_tensor *t = &m->tensors[i];
        if (!t->data)
            continue;
        size_t table = tfb_table(b, 1, 0x1);
        tfb_link(b, tfb_elem(buffers, buffer++), table);
        tfb_link_field(b, table, 0, tfb_vector(b, (uint32_t)t->data_size, 1, t->data));
    }
    tfb_align(b);
}

#endif
