/* tflite_builder.h -- hand-laid FlatBuffers for test_tflite.c: a small valid
 * .tflite model whose every part's position is known, so that a test can
 * damage exactly one of them.  The primitives are tools/tflite_writer.h's.
 */
#ifndef WC_TESTS_TFLITE_BUILDER_H
#define WC_TESTS_TFLITE_BUILDER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/tflite.h"

/* room for a tensors vector at the reader's limit */
#define TFB_CAPACITY ((WC_TFLITE_MAX_TENSORS + 1) * 4 + (1 << 16))
#include "../tools/tflite_writer.h"
/* Where the parts of the model tfb_model builds are. */
typedef struct tfb_parts {
    size_t model, subgraph, opcode, op, options, quant;
    size_t tensor[3], shape[3], name[3];
    size_t op_inputs, op_outputs, sg_inputs, sg_outputs, operators, tensors, buffer1, weights;
    size_t scale, zero_point;
} tfb_parts;

/* How many times the model's tables are shared: the subgraphs vector has
 * `subgraphs` entries and the operators vector `operators`, all pointing to
 * the same table; the operator has `padding_inputs` more -1 inputs; the
 * tensors vector has `tensors` entries (at least 3), those past the third
 * pointing to the first tensor. */
typedef struct tfb_sharing {
    uint32_t subgraphs, operators, padding_inputs, tensors;
} tfb_sharing;

/* y = relu(x W^T): one FULLY_CONNECTED of a [1,2] FLOAT32 input, [3,2]
 * constant weights, no bias (-1), a [1,3] output quantized per tensor (the
 * quantization is only there to be damaged). */
static void tfb_shared_model(tfb *b, tfb_parts *p, const tfb_sharing *share)
{
    static const float weights[6] = {1, 2, 3, 4, 5, 6};
    memset(b, 0, sizeof *b);
    memset(p, 0, sizeof *p);
    tfb_u32(b, 0);
    tfb_put(b, "TFL3", 4);
    /* Model: version, operator_codes, subgraphs, description, buffers */
    p->model = tfb_table(b, 5, 0x1f);
    tfb_link(b, 0, p->model);
    tfb_set(b, p->model, 0, 3);
    size_t codes = tfb_vector(b, 1, 4, NULL);
    tfb_link_field(b, p->model, 1, codes);
    size_t subgraphs = tfb_vector(b, share->subgraphs, 4, NULL);
    tfb_link_field(b, p->model, 2, subgraphs);
    tfb_link_field(b, p->model, 3, tfb_string(b, "test model"));
    size_t buffers = tfb_vector(b, 2, 4, NULL);
    tfb_link_field(b, p->model, 4, buffers);

    /* OperatorCode: deprecated_builtin_code, custom_code, version, builtin_code */
    p->opcode = tfb_table(b, 4, 0xd);
    tfb_link(b, tfb_elem(codes, 0), p->opcode);
    tfb_set(b, p->opcode, 0, 9);
    tfb_set(b, p->opcode, 2, 1);
    tfb_set(b, p->opcode, 3, 9);

    /* SubGraph: tensors, inputs, outputs, operators, name */
    p->subgraph = tfb_table(b, 5, 0x1f);
    for (uint32_t i = 0; i < share->subgraphs; i++)
        tfb_link(b, tfb_elem(subgraphs, i), p->subgraph);
    p->tensors = tfb_vector(b, share->tensors, 4, NULL);
    tfb_link_field(b, p->subgraph, 0, p->tensors);
    p->sg_inputs = tfb_vec_i32(b, 1, (const int32_t[]){0});
    tfb_link_field(b, p->subgraph, 1, p->sg_inputs);
    p->sg_outputs = tfb_vec_i32(b, 1, (const int32_t[]){2});
    tfb_link_field(b, p->subgraph, 2, p->sg_outputs);
    p->operators = tfb_vector(b, share->operators, 4, NULL);
    tfb_link_field(b, p->subgraph, 3, p->operators);
    tfb_link_field(b, p->subgraph, 4, tfb_string(b, "main"));

    /* Tensor: shape, type, buffer, name, quantization, is_variable, sparsity */
    static const int32_t shapes[3][2] = {{1, 2}, {3, 2}, {1, 3}};
    static const char *const names[3] = {"x", "w", "y"};
    for (int i = 0; i < 3; i++) {
        p->tensor[i] = tfb_table(b, 7, i == 2 ? 0x1f : 0xf);
        tfb_link(b, tfb_elem(p->tensors, (uint32_t)i), p->tensor[i]);
        for (uint32_t k = 3; i == 0 && k < share->tensors; k++)
            tfb_link(b, tfb_elem(p->tensors, k), p->tensor[0]);
        p->shape[i] = tfb_vec_i32(b, 2, shapes[i]);
        tfb_link_field(b, p->tensor[i], 0, p->shape[i]);
        tfb_set(b, p->tensor[i], 1, i == 2 ? 9 : 0); /* y is INT8 */
        tfb_set(b, p->tensor[i], 2, i == 1 ? 1 : 0);
        p->name[i] = tfb_string(b, names[i]);
        tfb_link_field(b, p->tensor[i], 3, p->name[i]);
    }
    /* QuantizationParameters: min, max, scale, zero_point, details_type,
     * details, quantized_dimension */
    p->quant = tfb_table(b, 7, 0x4c);
    tfb_link_field(b, p->tensor[2], 4, p->quant);
    p->scale = tfb_vec_i32(b, 1, (const int32_t[]){0x3c000000}); /* 0.0078125f */
    tfb_link_field(b, p->quant, 2, p->scale);
    p->zero_point = tfb_vector(b, 1, 8, (const int64_t[]){-128});
    tfb_link_field(b, p->quant, 3, p->zero_point);

    /* Operator: opcode_index, inputs, outputs, builtin_options_type, builtin_options */
    p->op = tfb_table(b, 5, 0x1f);
    for (uint32_t i = 0; i < share->operators; i++)
        tfb_link(b, tfb_elem(p->operators, i), p->op);
    uint32_t ninputs = 3 + share->padding_inputs;
    p->op_inputs = tfb_vector(b, ninputs, 4, NULL);
    for (uint32_t i = 0; i < ninputs; i++)
        tfb_set_u32(b, p->op_inputs + 4 + 4 * i, i < 2 ? i : (uint32_t)-1);
    tfb_link_field(b, p->op, 1, p->op_inputs);
    p->op_outputs = tfb_vec_i32(b, 1, (const int32_t[]){2});
    tfb_link_field(b, p->op, 2, p->op_outputs);
    tfb_set(b, p->op, 3, 8); /* FullyConnectedOptions */
    /* FullyConnectedOptions: fused_activation_function, weights_format, keep_num_dims */
    p->options = tfb_table(b, 3, 0x7);
    tfb_link_field(b, p->op, 4, p->options);
    tfb_set(b, p->options, 0, 1); /* RELU */
    tfb_set(b, p->options, 2, 1);

    /* Buffer: data (buffer 0 is the empty sentinel) */
    size_t empty = tfb_table(b, 1, 0);
    tfb_link(b, tfb_elem(buffers, 0), empty);
    p->buffer1 = tfb_table(b, 1, 0x1);
    tfb_link(b, tfb_elem(buffers, 1), p->buffer1);
    p->weights = tfb_vector(b, sizeof weights, 1, weights);
    tfb_link_field(b, p->buffer1, 0, p->weights);
    tfb_align(b);
}

static void tfb_model(tfb *b, tfb_parts *p)
{
    tfb_shared_model(b, p, &(tfb_sharing){1, 1, 0, 3});
}

#endif
