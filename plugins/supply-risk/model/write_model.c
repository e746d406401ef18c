/* write_model.c -- the supply-risk model's recipe, part 2: fits the model
 * (fit.h) and writes it as a quantized .tflite file with the project's own
 * FlatBuffers writer (tools/tflite_writer.h).
 *
 *     write_model OUT.tflite
 *
 * Built and run by `make -C plugins`; the file is a build product.  The
 * graph:  x f32 [1,2] -QUANTIZE-> int8 -FULLY_CONNECTED-> logit int8
 *         -LOGISTIC-> int8 -DEQUANTIZE-> P f32 [1,1]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "../../../tools/tflite_writer.h"
#include "fit.h"

/* TFLite's numbering (schema.fbs) */
enum { TFLITE_F32 = 0, TFLITE_INT32 = 2, TFLITE_INT8 = 9 };
enum { OP_DEQUANTIZE = 6, OP_FULLY_CONNECTED = 9, OP_LOGISTIC = 14, OP_QUANTIZE = 114 };
enum { FULLY_CONNECTED_OPTIONS = 8 };

enum { X, XQ, WEIGHTS, BIAS, LOGIT, PQ, P, NTENSORS };

typedef struct tensor_spec {
    const char *name;
    int32_t type, rows, cols; /* rows 0: a vector of cols */
    uint32_t buffer; /* 0: computed */
    float scale;     /* 0: not quantized */
    int64_t zero_point;
} tensor_spec;

typedef struct op_spec {
    uint32_t code, input[3], ninputs, output;
} op_spec;

static int32_t quantize(double v, double scale, int32_t lo, int32_t hi)
{
    double q = round(v / scale);
    return q < lo ? lo : q > hi ? hi : (int32_t)q;
}

static size_t write_tensor(tfb *b, const tensor_spec *t)
{
    /* Tensor: shape, type, buffer, name, quantization */
    size_t table = tfb_table(b, 7, t->scale > 0 ? 0x1f : 0xf);
    if (t->rows)
        tfb_link_field(b, table, 0, tfb_vec_i32(b, 2, (const int32_t[]){t->rows, t->cols}));
    else
        tfb_link_field(b, table, 0, tfb_vec_i32(b, 1, &t->cols));
    tfb_set(b, table, 1, (uint32_t)t->type);
    tfb_set(b, table, 2, t->buffer);
    tfb_link_field(b, table, 3, tfb_string(b, t->name));
    if (t->scale > 0) {
        /* QuantizationParameters: min, max, scale, zero_point, ... */
        size_t quant = tfb_table(b, 7, 0xc);
        tfb_link_field(b, table, 4, quant);
        tfb_link_field(b, quant, 2, tfb_vector(b, 1, 4, &t->scale));
        tfb_link_field(b, quant, 3, tfb_vector(b, 1, 8, &t->zero_point));
    }
    return table;
}

static size_t write_operator(tfb *b, const op_spec *o, uint32_t opcode_index)
{
    int fc = o->code == OP_FULLY_CONNECTED;
    /* Operator: opcode_index, inputs, outputs, builtin_options_type, builtin_options */
    size_t table = tfb_table(b, 5, fc ? 0x1f : 0x7);
    tfb_set(b, table, 0, opcode_index);
    tfb_link_field(b, table, 1, tfb_vec_i32(b, o->ninputs, (const int32_t *)o->input));
    tfb_link_field(b, table, 2, tfb_vec_i32(b, 1, (const int32_t[]){(int32_t)o->output}));
    if (fc) {
        tfb_set(b, table, 3, FULLY_CONNECTED_OPTIONS);
        /* FullyConnectedOptions: fused_activation_function NONE, weights_format DEFAULT */
        tfb_link_field(b, table, 4, tfb_table(b, 3, 0x3));
    }
    return table;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: write_model OUT.tflite\n");
        return 2;
    }
    supply_fit fit = supply_fit_model();
    float w_scale = supply_weight_scale(&fit);
    float b_scale = SUPPLY_INPUT_SCALE * w_scale;
    int8_t weights[2] = {(int8_t)quantize(fit.w_cover, w_scale, -127, 127),
                         (int8_t)quantize(fit.w_buffer, w_scale, -127, 127)};
    int32_t bias = quantize(fit.bias, b_scale, -(1 << 30), 1 << 30);

    const tensor_spec tensors[NTENSORS] = {
        [X] = {"days_of_cover_and_buffer_days", TFLITE_F32, 1, 2, 0, 0, 0},
        [XQ] = {"x_int8", TFLITE_INT8, 1, 2, 0, SUPPLY_INPUT_SCALE, SUPPLY_INPUT_ZERO_POINT},
        [WEIGHTS] = {"weights", TFLITE_INT8, 1, 2, 1, w_scale, 0},
        [BIAS] = {"bias", TFLITE_INT32, 0, 1, 2, b_scale, 0},
        [LOGIT] = {"logit", TFLITE_INT8, 1, 1, 0, SUPPLY_LOGIT_SCALE, 0},
        [PQ] = {"p_int8", TFLITE_INT8, 1, 1, 0, SUPPLY_OUTPUT_SCALE, SUPPLY_OUTPUT_ZERO_POINT},
        [P] = {"stockout_probability", TFLITE_F32, 1, 1, 0, 0, 0},
    };
    static const op_spec ops[] = {
        {OP_QUANTIZE, {X}, 1, XQ},
        {OP_FULLY_CONNECTED, {XQ, WEIGHTS, BIAS}, 3, LOGIT},
        {OP_LOGISTIC, {LOGIT}, 1, PQ},
        {OP_DEQUANTIZE, {PQ}, 1, P},
    };
    enum { NOPS = sizeof ops / sizeof ops[0] };

    static tfb b;
    tfb_u32(&b, 0);
    tfb_put(&b, "TFL3", 4);
    /* Model: version, operator_codes, subgraphs, description, buffers */
    size_t model = tfb_table(&b, 5, 0x1f);
    tfb_link(&b, 0, model);
    tfb_set(&b, model, 0, 3);
    size_t codes = tfb_vector(&b, NOPS, 4, NULL);
    tfb_link_field(&b, model, 1, codes);
    size_t subgraphs = tfb_vector(&b, 1, 4, NULL);
    tfb_link_field(&b, model, 2, subgraphs);
    tfb_link_field(&b, model, 3,
                   tfb_string(&b, "wasmcap supply-risk: P(stockout | days of cover, buffer days)"));
    size_t buffers = tfb_vector(&b, 3, 4, NULL);
    tfb_link_field(&b, model, 4, buffers);

    for (uint32_t i = 0; i < NOPS; i++) {
        /* OperatorCode: deprecated_builtin_code, custom_code, version, builtin_code */
        size_t code = tfb_table(&b, 4, 0xd);
        tfb_link(&b, tfb_elem(codes, i), code);
        tfb_set(&b, code, 0, ops[i].code);
        tfb_set(&b, code, 2, 1);
        tfb_set(&b, code, 3, ops[i].code);
    }

    /* SubGraph: tensors, inputs, outputs, operators, name */
    size_t subgraph = tfb_table(&b, 5, 0x1f);
    tfb_link(&b, tfb_elem(subgraphs, 0), subgraph);
    size_t tensor_list = tfb_vector(&b, NTENSORS, 4, NULL);
    tfb_link_field(&b, subgraph, 0, tensor_list);
    tfb_link_field(&b, subgraph, 1, tfb_vec_i32(&b, 1, (const int32_t[]){X}));
    tfb_link_field(&b, subgraph, 2, tfb_vec_i32(&b, 1, (const int32_t[]){P}));
    size_t op_list = tfb_vector(&b, NOPS, 4, NULL);
    tfb_link_field(&b, subgraph, 3, op_list);
    tfb_link_field(&b, subgraph, 4, tfb_string(&b, "main"));
    for (uint32_t i = 0; i < NTENSORS; i++)
        tfb_link(&b, tfb_elem(tensor_list, i), write_tensor(&b, &tensors[i]));
    for (uint32_t i = 0; i < NOPS; i++)
        tfb_link(&b, tfb_elem(op_list, i), write_operator(&b, &ops[i], i));

    /* Buffer: data; buffer 0 is the empty sentinel */
    tfb_link(&b, tfb_elem(buffers, 0), tfb_table(&b, 1, 0));
    size_t w_buffer = tfb_table(&b, 1, 0x1);
    tfb_link(&b, tfb_elem(buffers, 1), w_buffer);
    tfb_link_field(&b, w_buffer, 0, tfb_vector(&b, sizeof weights, 1, weights));
    size_t b_buffer = tfb_table(&b, 1, 0x1);
    tfb_link(&b, tfb_elem(buffers, 2), b_buffer);
    tfb_link_field(&b, b_buffer, 0, tfb_vector(&b, sizeof bias, 1, &bias));
    tfb_align(&b);

    FILE *f = fopen(argv[1], "wb");
    if (!f || fwrite(b.b, 1, b.n, f) != b.n || fclose(f)) {
        perror(argv[1]);
        return 1;
    }
    printf("%s: P = 1 / (1 + e^-(%.6f cover + %.6f buffer + %.6f)), %zu bytes\n", argv[1],
           fit.w_cover, fit.w_buffer, fit.bias, b.n);
    return 0;
}
