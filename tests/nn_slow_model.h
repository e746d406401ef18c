/* nn_slow_model.h -- a model that takes milliseconds and runs in three
 * steps, for the tests of a compute's deadline (test_nn.c, test_wasi_nn.c):
 *
 *   x f32 [1,S,S,1] -CONV_2D 3x3-> [1,S,S,C] -CONV_2D 3x3-> [1,S,S,C]   step 1 (XNNPACK)
 *                   -TANH->                                              step 2 (own kernel)
 *                   -CONV_2D 3x3-> y f32 [1,S,S,1]                       step 3 (XNNPACK)
 *
 * The second convolution is S*S*C*C*9 multiply-adds (151 million at S 128,
 * C 32): step 1 alone takes longer than the sub-millisecond deadlines the
 * tests set, so a compute given one stops between steps.  Written with the
 * project's FlatBuffers writer; weights are fixed pseudo-random values
 * scaled so that tanh does not saturate.
 */
#ifndef WC_TESTS_NN_SLOW_MODEL_H
#define WC_TESTS_NN_SLOW_MODEL_H

#include <stdint.h>

#include "../tools/tflite_writer.h"

#define SLOW_SIDE 128
#define SLOW_CHANNELS 32

enum { SLOW_OP_CONV_2D = 3, SLOW_OP_TANH = 28, SLOW_CONV_2D_OPTIONS = 1, SLOW_TFLITE_F32 = 0 };

enum { SLOW_X, SLOW_WA, SLOW_BA, SLOW_A, SLOW_WB, SLOW_BB, SLOW_B, SLOW_T, SLOW_WC, SLOW_BC,
       SLOW_Y, SLOW_NTENSORS };

static void slow_weights(float *w, uint32_t n, uint32_t fan_in, uint32_t seed)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t h = (i + seed) * 2654435761u;
        w[i] = ((float)(h >> 24) / 255.0f - 0.5f) / (float)fan_in;
    }
}

/* Writes the model into b (at least 64 KiB of capacity). */
static void slow_model(tfb *b)
{
    enum { S = SLOW_SIDE, C = SLOW_CHANNELS };
    static float wa[C * 9], ba[C], wb[C * 9 * C], bb[C], wc[9 * C], bc[1];
    slow_weights(wa, C * 9, 9, 1);
    slow_weights(wb, C * 9 * C, 9 * C, 2);
    slow_weights(wc, 9 * C, 9 * C, 3);
    static const struct {
        const char *name;
        int32_t shape[4];
        uint32_t rank, buffer;
    } tensors[SLOW_NTENSORS] = {
        [SLOW_X] = {"x", {1, S, S, 1}, 4, 0},     [SLOW_WA] = {"wa", {C, 3, 3, 1}, 4, 1},
        [SLOW_BA] = {"ba", {C}, 1, 2},            [SLOW_A] = {"a", {1, S, S, C}, 4, 0},
        [SLOW_WB] = {"wb", {C, 3, 3, C}, 4, 3},   [SLOW_BB] = {"bb", {C}, 1, 4},
        [SLOW_B] = {"b", {1, S, S, C}, 4, 0},     [SLOW_T] = {"t", {1, S, S, C}, 4, 0},
        [SLOW_WC] = {"wc", {1, 3, 3, C}, 4, 5},   [SLOW_BC] = {"bc", {1}, 1, 6},
        [SLOW_Y] = {"y", {1, S, S, 1}, 4, 0},
    };
    static const struct {
        uint32_t code, ninputs;
        int32_t input[3], output;
    } ops[] = {
        {SLOW_OP_CONV_2D, 3, {SLOW_X, SLOW_WA, SLOW_BA}, SLOW_A},
        {SLOW_OP_CONV_2D, 3, {SLOW_A, SLOW_WB, SLOW_BB}, SLOW_B},
        {SLOW_OP_TANH, 1, {SLOW_B}, SLOW_T},
        {SLOW_OP_CONV_2D, 3, {SLOW_T, SLOW_WC, SLOW_BC}, SLOW_Y},
    };
    enum { NOPS = sizeof ops / sizeof ops[0] };
    const struct {
        const void *data;
        size_t size;
    } buffers[] = {{NULL, 0},           {wa, sizeof wa}, {ba, sizeof ba}, {wb, sizeof wb},
                   {bb, sizeof bb},     {wc, sizeof wc}, {bc, sizeof bc}};
    enum { NBUFFERS = sizeof buffers / sizeof buffers[0] };

    memset(b, 0, sizeof *b);
    tfb_u32(b, 0);
    tfb_put(b, "TFL3", 4);
    /* Model: version, operator_codes, subgraphs, description, buffers */
    size_t model = tfb_table(b, 5, 0x1f);
    tfb_link(b, 0, model);
    tfb_set(b, model, 0, 3);
    size_t codes = tfb_vector(b, NOPS, 4, NULL);
    tfb_link_field(b, model, 1, codes);
    size_t subgraphs = tfb_vector(b, 1, 4, NULL);
    tfb_link_field(b, model, 2, subgraphs);
    tfb_link_field(b, model, 3, tfb_string(b, "wasmcap test: a slow model in three steps"));
    size_t buffer_list = tfb_vector(b, NBUFFERS, 4, NULL);
    tfb_link_field(b, model, 4, buffer_list);

    for (uint32_t i = 0; i < NOPS; i++) {
        /* OperatorCode: deprecated_builtin_code, custom_code, version, builtin_code */
        size_t code = tfb_table(b, 4, 0xd);
        tfb_link(b, tfb_elem(codes, i), code);
        tfb_set(b, code, 0, ops[i].code);
        tfb_set(b, code, 2, 1);
        tfb_set(b, code, 3, ops[i].code);
    }

    /* SubGraph: tensors, inputs, outputs, operators, name */
    size_t subgraph = tfb_table(b, 5, 0x1f);
    tfb_link(b, tfb_elem(subgraphs, 0), subgraph);
    size_t tensor_list = tfb_vector(b, SLOW_NTENSORS, 4, NULL);
    tfb_link_field(b, subgraph, 0, tensor_list);
    tfb_link_field(b, subgraph, 1, tfb_vec_i32(b, 1, (const int32_t[]){SLOW_X}));
    tfb_link_field(b, subgraph, 2, tfb_vec_i32(b, 1, (const int32_t[]){SLOW_Y}));
    size_t op_list = tfb_vector(b, NOPS, 4, NULL);
    tfb_link_field(b, subgraph, 3, op_list);
    tfb_link_field(b, subgraph, 4, tfb_string(b, "main"));
    for (uint32_t i = 0; i < SLOW_NTENSORS; i++) {
        /* Tensor: shape, type, buffer, name */
        size_t t = tfb_table(b, 7, 0xf);
        tfb_link(b, tfb_elem(tensor_list, i), t);
        tfb_link_field(b, t, 0, tfb_vec_i32(b, tensors[i].rank, tensors[i].shape));
        tfb_set(b, t, 1, SLOW_TFLITE_F32);
        tfb_set(b, t, 2, tensors[i].buffer);
        tfb_link_field(b, t, 3, tfb_string(b, tensors[i].name));
    }
    for (uint32_t i = 0; i < NOPS; i++) {
        int conv = ops[i].code == SLOW_OP_CONV_2D;
        /* Operator: opcode_index, inputs, outputs, builtin_options_type, builtin_options */
        size_t op = tfb_table(b, 5, conv ? 0x1f : 0x7);
        tfb_link(b, tfb_elem(op_list, i), op);
        tfb_set(b, op, 0, i);
        tfb_link_field(b, op, 1, tfb_vec_i32(b, ops[i].ninputs, ops[i].input));
        tfb_link_field(b, op, 2, tfb_vec_i32(b, 1, &ops[i].output));
        if (conv) {
            tfb_set(b, op, 3, SLOW_CONV_2D_OPTIONS);
            /* Conv2DOptions: padding (SAME, 0), stride_w, stride_h */
            size_t options = tfb_table(b, 6, 0x6);
            tfb_link_field(b, op, 4, options);
            tfb_set(b, options, 1, 1);
            tfb_set(b, options, 2, 1);
        }
    }
    /* Buffer: data; buffer 0 is the empty sentinel */
    for (uint32_t i = 0; i < NBUFFERS; i++) {
        size_t buf = tfb_table(b, 1, buffers[i].data ? 0x1 : 0);
        tfb_link(b, tfb_elem(buffer_list, i), buf);
        if (buffers[i].data)
            tfb_link_field(b, buf, 0,
                           tfb_vector(b, (uint32_t)buffers[i].size, 1, buffers[i].data));
    }
    tfb_align(b);
}

#endif
