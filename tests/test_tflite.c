/* test_tflite.c -- the .tflite reader (src/nn/): the shared models read
 * with the inputs, outputs and operators a hand walk of their flatbuffers
 * found; a built model, checked field by field, then damaged one part at a
 * time; and sweeps over the real models (every truncation, every 4-byte
 * field overwritten with hostile values), where every refusal must name a
 * byte offset and nothing may crash (run under ASan and UBSan too). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "check.h"
#include "nn/tflite.h"
#include "tflite_builder.h"
#include "util/fs.h"

#define MODELS WC_SOURCE_DIR "/../shared/models/"
#define WASMCAP WC_BINARY_DIR "/wasmcap"

static int read_model(const char *name, uint8_t **bytes, size_t *size)
{
    char path[512];
    snprintf(path, sizeof path, MODELS "%s", name);
    int rc = wc_read_file(path, 0, bytes, size);
    CHECK(rc == 0, "%s: %s", path, strerror(-rc));
    return rc;
}

/* ---- the shared models ------------------------------------------------- */

static int count_code(const wc_tflite_model *m, int32_t code)
{
    int n = 0;
    for (uint32_t i = 0; i < m->noperators; i++)
        n += m->operators[i].code == code;
    return n;
}

static const wc_tflite_tensor *input(const wc_tflite_model *m, uint32_t i)
{
    return &m->tensors[m->inputs[i]];
}

static const wc_tflite_tensor *output(const wc_tflite_model *m, uint32_t i)
{
    return &m->tensors[m->outputs[i]];
}

static bool shape_is(const wc_tflite_tensor *t, uint32_t rank, const int32_t *dims)
{
    return t->rank == rank && memcmp(t->shape, dims, rank * sizeof *dims) == 0;
}

static bool near(double a, double b)
{
    return a - b < 1e-6 && b - a < 1e-6;
}

static wc_tflite_model *read_ok(const char *name, uint8_t **bytes, size_t *size)
{
    wc_error err;
    wc_tflite_model *m = NULL;
    if (read_model(name, bytes, size))
        return NULL;
    CHECK(wc_tflite_identified(*bytes, *size), "%s has the identifier", name);
    int rc = wc_tflite_read(*bytes, *size, &m, &err);
    CHECK(rc == 0, "%s: %s", name, err.msg);
    if (!rc) {
        CHECK(m->version == 3, "%s: version %u", name, m->version);
        CHECK(m->nsubgraphs == 1, "%s: %u subgraphs", name, m->nsubgraphs);
    }
    return rc ? NULL : m;
}

static void test_hello_world(const char *name, wc_tflite_type type)
{
    uint8_t *bytes;
    size_t size;
    wc_tflite_model *m = read_ok(name, &bytes, &size);
    if (!m)
        return;
    CHECK(m->ntensors == 10 && m->noperators == 3, "%s: %u tensors, %u operators", name,
          m->ntensors, m->noperators);
    CHECK(count_code(m, WC_TFLITE_OP_FULLY_CONNECTED) == 3, "%s: 3 FULLY_CONNECTED", name);
    CHECK(m->ninputs == 1 && m->noutputs == 1, "%s: one input, one output", name);
    CHECK(m->inputs[0] == 0 && m->outputs[0] == 9, "%s: input %d output %d", name, m->inputs[0],
          m->outputs[0]);
    CHECK(input(m, 0)->type == type && shape_is(input(m, 0), 2, (const int32_t[]){1, 1}),
          "%s: input [1,1] %s", name, wc_tflite_type_name(type));
    CHECK(output(m, 0)->type == type && shape_is(output(m, 0), 2, (const int32_t[]){1, 1}),
          "%s: output [1,1]", name);
    CHECK(strcmp(input(m, 0)->name, "serving_default_dense_input:0") == 0, "%s: input name %s",
          name, input(m, 0)->name);
    CHECK(strcmp(m->operators[0].name, "FULLY_CONNECTED") == 0, "%s: op name %s", name,
          m->operators[0].name);
    for (uint32_t i = 0; i < m->noperators; i++) {
        const wc_tflite_operator *op = &m->operators[i];
        CHECK(op->ninputs == 3 && op->noutputs == 1, "%s: op %u arity", name, i);
        CHECK(wc_tflite_operator_path(m, op) == WC_TFLITE_PATH_XNNPACK, "%s: op %u on xnnpack",
              name, i);
        /* the weights (input 1) are constant, with as many bytes as their shape needs */
        const wc_tflite_tensor *w = &m->tensors[op->inputs[1]];
        CHECK(w->data && w->rank == 2 &&
                  w->data_size ==
                      (size_t)w->shape[0] * w->shape[1] * wc_tflite_type_bits(w->type) / 8,
              "%s: op %u weights", name, i);
        CHECK(w->data >= bytes && w->data + w->data_size <= bytes + size, "%s: data in the file",
              name);
    }
    CHECK(m->operators[0].options.activation == WC_TFLITE_ACT_RELU &&
              m->operators[2].options.activation == WC_TFLITE_ACT_NONE,
          "%s: fused RELU on the hidden layers only", name);
    if (type == WC_TFLITE_INT8) {
        const wc_tflite_tensor *in = input(m, 0), *out = output(m, 0);
        CHECK(in->quant.count == 1 && near(in->quant.scale[0], 0.0244801) &&
                  in->quant.zero_point[0] == -128,
              "%s: input quantization %g %lld", name, in->quant.count ? in->quant.scale[0] : 0.0,
              in->quant.count ? (long long)in->quant.zero_point[0] : 0);
        CHECK(out->quant.count == 1 && near(out->quant.scale[0], 0.00829096) &&
                  out->quant.zero_point[0] == 5,
              "%s: output quantization", name);
    } else {
        CHECK(input(m, 0)->quant.count == 0, "%s: float input not quantized", name);
    }
    wc_tflite_free(m);
    free(bytes);
}

static void test_person_detect(void)
{
    uint8_t *bytes;
    size_t size;
    wc_tflite_model *m = read_ok("person_detect.tflite", &bytes, &size);
    if (!m)
        return;
    CHECK(m->ntensors == 89 && m->noperators == 31, "person_detect: %u tensors, %u operators",
          m->ntensors, m->noperators);
    CHECK(count_code(m, WC_TFLITE_OP_DEPTHWISE_CONV_2D) == 14 &&
              count_code(m, WC_TFLITE_OP_CONV_2D) == 14 &&
              count_code(m, WC_TFLITE_OP_AVERAGE_POOL_2D) == 1 &&
              count_code(m, WC_TFLITE_OP_RESHAPE) == 1 && count_code(m, WC_TFLITE_OP_SOFTMAX) == 1,
          "person_detect: operator kinds");
    CHECK(m->ninputs == 1 && m->inputs[0] == 88 && m->noutputs == 1 && m->outputs[0] == 87,
          "person_detect: input 88, output 87");
    const wc_tflite_tensor *in = input(m, 0), *out = output(m, 0);
    CHECK(in->type == WC_TFLITE_INT8 && shape_is(in, 4, (const int32_t[]){1, 96, 96, 1}) &&
              strcmp(in->name, "input") == 0,
          "person_detect: input [1,96,96,1] INT8");
    CHECK(in->quant.count == 1 && near(in->quant.scale[0], 0.00784314) &&
              in->quant.zero_point[0] == -1,
          "person_detect: input quantization");
    CHECK(out->type == WC_TFLITE_INT8 && shape_is(out, 2, (const int32_t[]){1, 2}) &&
              out->quant.count == 1 && near(out->quant.scale[0], 1.0 / 256) &&
              out->quant.zero_point[0] == -128,
          "person_detect: output [1,2] INT8");
    const wc_tflite_operator *first = &m->operators[0];
    CHECK(first->code == WC_TFLITE_OP_DEPTHWISE_CONV_2D && first->inputs[0] == 88 &&
              first->options.stride_w >= 1 && first->options.dilation_w == 1 &&
              first->options.depth_multiplier >= 1,
          "person_detect: first operator");
    const wc_tflite_operator *pool = &m->operators[27];
    CHECK(pool->code == WC_TFLITE_OP_AVERAGE_POOL_2D && pool->options.filter_w >= 1 &&
              pool->options.filter_h >= 1,
          "person_detect: pool options");
    CHECK(m->operators[30].code == WC_TFLITE_OP_SOFTMAX && m->operators[30].options.beta > 0,
          "person_detect: softmax beta");
    bool per_channel = false;
    for (uint32_t i = 0; i < m->ntensors; i++)
        per_channel |= m->tensors[i].quant.count > 1;
    CHECK(per_channel, "person_detect has per-channel quantized tensors");
    for (uint32_t i = 0; i < m->noperators; i++)
        CHECK(wc_tflite_operator_path(m, &m->operators[i]) == WC_TFLITE_PATH_XNNPACK,
              "person_detect: op %u on xnnpack", i);
    wc_tflite_free(m);
    free(bytes);
}

static void test_simple_add(void)
{
    uint8_t *bytes;
    size_t size;
    wc_tflite_model *m = read_ok("simple_add_model.tflite", &bytes, &size);
    if (!m)
        return;
    CHECK(m->ntensors == 3 && m->noperators == 1 && m->operators[0].code == WC_TFLITE_OP_ADD,
          "simple_add: one ADD");
    CHECK(m->ninputs == 2 && m->noutputs == 1, "simple_add: two inputs, one output");
    for (uint32_t i = 0; i < m->ninputs; i++)
        CHECK(input(m, i)->type == WC_TFLITE_INT8 &&
                  shape_is(input(m, i), 4, (const int32_t[]){1, 128, 128, 1}),
              "simple_add: input %u [1,128,128,1] INT8", i);
    CHECK(output(m, 0)->quant.count == 1 && output(m, 0)->quant.zero_point[0] == -3,
          "simple_add: output quantization");
    wc_tflite_free(m);
    free(bytes);
}

/* ---- the built model and its damage -------------------------------------- */

static wc_tflite_model *read_built(const tfb *b, wc_error *err)
{
    wc_tflite_model *m = NULL;
    if (wc_tflite_read(b->b, b->n, &m, err))
        return NULL;
    return m;
}

static void test_built(void)
{
    static tfb b;
    tfb_parts p;
    wc_error err;
    tfb_model(&b, &p);
    wc_tflite_model *m = read_built(&b, &err);
    CHECK(m, "built model: %s", err.msg);
    if (!m)
        return;
    CHECK(strcmp(m->description, "test model") == 0 && strcmp(m->subgraph_name, "main") == 0,
          "description and subgraph name");
    CHECK(m->ntensors == 3 && m->nbuffers == 2 && m->noperators == 1, "counts");
    const wc_tflite_operator *op = &m->operators[0];
    CHECK(op->code == WC_TFLITE_OP_FULLY_CONNECTED && op->version == 1, "code %d", op->code);
    CHECK(op->ninputs == 3 && op->inputs[2] == -1, "an omitted optional input is -1");
    CHECK(op->options.activation == WC_TFLITE_ACT_RELU && op->options.keep_num_dims,
          "FullyConnectedOptions");
    const wc_tflite_tensor *w = &m->tensors[1];
    CHECK(w->data == b.b + p.weights + 4 && w->data_size == 24, "weights point into the file");
    CHECK(m->tensors[0].data == NULL, "buffer 0 is none");
    const wc_tflite_tensor *y = &m->tensors[2];
    CHECK(y->type == WC_TFLITE_INT8 && y->quant.count == 1 && y->quant.scale[0] == 0.0078125f &&
              y->quant.zero_point[0] == -128,
          "quantization");
    CHECK(strcmp(y->name, "y") == 0, "tensor name");
    wc_tflite_free(m);

    /* schema 3a: the larger of the byte code and the int32 code */
    tfb_set(&b, p.opcode, 3, 0);
    m = read_built(&b, &err);
    CHECK(m && m->operators[0].code == WC_TFLITE_OP_FULLY_CONNECTED, "byte code only: %s", err.msg);
    wc_tflite_free(m);
    tfb_set(&b, p.opcode, 0, 127);
    tfb_set(&b, p.opcode, 3, 150);
    m = read_built(&b, &err);
    CHECK(m && m->operators[0].code == 150 && strcmp(m->operators[0].name, "GELU") == 0 &&
              wc_tflite_operator_path(m, &m->operators[0]) == WC_TFLITE_PATH_NONE,
          "extended code: %s", err.msg);
    wc_tflite_free(m);
}

/* Damages a fresh built model with f, then expects a refusal naming the
 * offset `at` (or any offset when at is SIZE_MAX) and saying `says`. */
#define ANY_OFFSET SIZE_MAX
typedef void (*damage_fn)(tfb *b, const tfb_parts *p);

static void expect_refused(const char *what, damage_fn damage, size_t at, const char *says)
{
    static tfb b;
    tfb_parts p;
    wc_error err = {0};
    tfb_model(&b, &p);
    damage(&b, &p);
    wc_tflite_model *m = read_built(&b, &err);
    CHECK(!m, "%s: accepted", what);
    wc_tflite_free(m);
    if (m)
        return;
    char offset[32];
    snprintf(offset, sizeof offset, "offset 0x%zx:", at);
    CHECK(err.code == WC_EMALFORMED && strncmp(err.msg, "tflite: offset 0x", 17) == 0, "%s: %d %s",
          what, err.code, err.msg);
    CHECK(at == ANY_OFFSET || strstr(err.msg, offset), "%s: expected %s in: %s", what, offset, err.msg);
    CHECK(strstr(err.msg, says), "%s: expected \"%s\" in: %s", what, says, err.msg);
}

static size_t vtable_of(const tfb *b, size_t table)
{
    return table - tfb_get_u32(b, table);
}
static void wrong_identifier(tfb *b, const tfb_parts *p)
{
    b->b[7] = '4';
}
static void root_past_end(tfb *b, const tfb_parts *p)
{
    tfb_set_u32(b, 0, 0x7ffffff0);
}
static void vtable_outside(tfb *b, const tfb_parts *p)
{
    tfb_set_u32(b, p->tensor[1], 0x80000000);
}
static void vtable_after_end(tfb *b, const tfb_parts *p)
{
    tfb_set_u32(b, p->tensor[1], (uint32_t)(p->tensor[1] - b->n));
}
static void vtable_is_table(tfb *b, const tfb_parts *p)
{
    tfb_set_u32(b, p->subgraph, 0);
}
static void vtable_odd(tfb *b, const tfb_parts *p)
{
    tfb_set_u16(b, vtable_of(b, p->op), 7);
}
static void field_outside_table(tfb *b, const tfb_parts *p)
{
    /* the vtable says the table has 12 bytes; its shape field is at 8 */
    tfb_set_u16(b, vtable_of(b, p->tensor[0]) + 2, 10);
}
static void shape_length_overflow(tfb *b, const tfb_parts *p)
{
    tfb_set_u32(b, p->shape[0], 0xffffffff);
}
static void shape_past_end(tfb *b, const tfb_parts *p)
{
    tfb_set_u32(b, p->shape[2], 4000000);
}
static void offset_past_end(tfb *b, const tfb_parts *p)
{
    tfb_set(b, p->tensor[0], 0, 0xfffffff0);
}
static void name_without_nul(tfb *b, const tfb_parts *p)
{
    b->b[p->name[1] + 5] = 'x';
}
static void name_to_end(tfb *b, const tfb_parts *p)
{
    tfb_set_u32(b, p->name[1], (uint32_t)(b->n - p->name[1] - 4));
}
static void self_offset(tfb *b, const tfb_parts *p)
{
    tfb_set(b, p->subgraph, 0, 0);
}
static void buffer_out_of_range(tfb *b, const tfb_parts *p)
{
    tfb_set(b, p->tensor[1], 2, 2);
}
static void data_size_mismatch(tfb *b, const tfb_parts *p)
{
    tfb_set_u32(b, p->weights, 20);
}
static void input_out_of_range(tfb *b, const tfb_parts *p)
{
    tfb_set_u32(b, p->op_inputs + 8, 3);
}
static void input_minus_two(tfb *b, const tfb_parts *p)
{
    tfb_set_u32(b, p->op_inputs + 4, (uint32_t)-2);
}
static void output_optional(tfb *b, const tfb_parts *p)
{
    tfb_set_u32(b, p->op_outputs + 4, (uint32_t)-1);
}
static void graph_input_out_of_range(tfb *b, const tfb_parts *p)
{
    tfb_set_u32(b, p->sg_inputs + 4, 0x7fffffff);
}
static void opcode_out_of_range(tfb *b, const tfb_parts *p)
{
    tfb_set(b, p->op, 0, 1);
}
static void negative_code(tfb *b, const tfb_parts *p)
{
    tfb_set(b, p->opcode, 0, 0xff);
    tfb_set(b, p->opcode, 3, 0xffffff00);
}
static void wrong_options(tfb *b, const tfb_parts *p)
{
    tfb_set(b, p->op, 3, 1);
}
static void options_type_without_value(tfb *b, const tfb_parts *p)
{
    tfb_set_u16(b, vtable_of(b, p->op) + 4 + 2 * 4, 0);
}
static void bad_activation(tfb *b, const tfb_parts *p)
{
    tfb_set(b, p->options, 0, 9);
}
static void shuffled_weights(tfb *b, const tfb_parts *p)
{
    tfb_set(b, p->options, 1, 1);
}
static void huge_dimensions(tfb *b, const tfb_parts *p)
{
    tfb_set_u32(b, p->shape[0] + 4, 0x7fffffff);
    tfb_set_u32(b, p->shape[0] + 8, 0x7fffffff);
}
static void negative_dimension(tfb *b, const tfb_parts *p)
{
    tfb_set_u32(b, p->shape[0] + 8, (uint32_t)-1);
}
static void unknown_type(tfb *b, const tfb_parts *p)
{
    tfb_set(b, p->tensor[0], 1, 99);
}
static void sparse(tfb *b, const tfb_parts *p)
{
    tfb_set_u16(b, vtable_of(b, p->tensor[2]) + 4 + 2 * 6, 8 + 8 * 6);
    tfb_link_field(b, p->tensor[2], 6, p->quant); /* any table will do */
}
static void quant_count_mismatch(tfb *b, const tfb_parts *p)
{
    tfb_set_u32(b, p->zero_point, 0);
}
static void zero_point_out_of_range(tfb *b, const tfb_parts *p)
{
    tfb_set_u32(b, p->zero_point + 4, 300);
    tfb_set_u32(b, p->zero_point + 8, 0);
}
static void negative_scale(tfb *b, const tfb_parts *p)
{
    tfb_set_u32(b, p->scale + 4, 0xbf800000);
}
static void custom_quantization(tfb *b, const tfb_parts *p)
{
    size_t vt = vtable_of(b, p->quant);
    tfb_set_u16(b, vt + 4 + 2 * 4, 8 + 8 * 4); /* details_type */
    tfb_set_u16(b, vt + 4 + 2 * 5, 8 + 8 * 5); /* details */
    tfb_set(b, p->quant, 4, 1);
    tfb_link_field(b, p->quant, 5, p->op); /* any table */
}
static void version_2(tfb *b, const tfb_parts *p)
{
    tfb_set(b, p->model, 0, 2);
}
static void no_subgraph(tfb *b, const tfb_parts *p)
{
    size_t subgraphs = p->model + 8 + 8 * 2 + tfb_get_u32(b, p->model + 8 + 8 * 2);
    tfb_set_u32(b, subgraphs, 0);
}

static void test_hostile_built(void)
{
    expect_refused("wrong identifier", wrong_identifier, 4, "identifier");
    expect_refused("root past the end", root_past_end, 0x7ffffff0, "past the end");
    expect_refused("vtable outside", vtable_outside, ANY_OFFSET, "vtable offset");
    expect_refused("vtable after the end", vtable_after_end, ANY_OFFSET, "vtable");
    expect_refused("table is its own vtable", vtable_is_table, ANY_OFFSET, "vtable has size 0");
    expect_refused("odd vtable size", vtable_odd, ANY_OFFSET, "vtable has size 7");
    expect_refused("field outside its table", field_outside_table, ANY_OFFSET,
                   "does not fit in its table");
    static tfb b;
    tfb_parts p;
    tfb_model(&b, &p);
    expect_refused("vector length overflow", shape_length_overflow, p.shape[0],
                   "tensor 0 shape vector runs past the end of the file (length 4294967295)");
    expect_refused("vector past the end", shape_past_end, p.shape[2],
                   "tensor 2 shape vector runs past the end of the file (length 4000000)");
    expect_refused("offset past the end", offset_past_end, ANY_OFFSET, "past the end");
    expect_refused("string without NUL", name_without_nul, p.name[1] + 5, "not followed by a NUL");
    expect_refused("string to the end", name_to_end, p.name[1], "no NUL before the end");
    expect_refused("offset to itself", self_offset, ANY_OFFSET, "subgraph 0 input 0 is tensor 0");
    expect_refused("buffer out of range", buffer_out_of_range, p.tensor[1],
                   "refers to buffer 2, but the model has 2");
    expect_refused("data size mismatch", data_size_mismatch, p.tensor[1],
                   "buffer 1 has 20 bytes, but its FLOAT32 shape needs 24");
    expect_refused("operator input out of range", input_out_of_range, p.op_inputs + 8,
                   "operator 0 (FULLY_CONNECTED) input 1 is tensor 3, but the subgraph has 3");
    expect_refused("operator input -2", input_minus_two, p.op_inputs + 4, "input 0 is tensor -2");
    expect_refused("optional output", output_optional, p.op_outputs + 4, "output 0 is tensor -1");
    expect_refused("graph input out of range", graph_input_out_of_range, p.sg_inputs + 4,
                   "subgraph 0 input 0 is tensor 2147483647");
    expect_refused("opcode out of range", opcode_out_of_range, p.op, "opcode_index 1");
    expect_refused("negative builtin code", negative_code, p.opcode, "builtin code -1 is negative");
    expect_refused("options of the wrong kind", wrong_options, p.op, "union type 1, expected 8");
    expect_refused("options type without value", options_type_without_value, p.op,
                   "has type 8 but no value");
    expect_refused("fused activation 9", bad_activation, p.options, "fused activation 9");
    expect_refused("shuffled weights", shuffled_weights, p.options, "weights_format 1");
    expect_refused("huge dimensions", huge_dimensions, p.shape[0], "takes more than");
    expect_refused("negative dimension", negative_dimension, p.shape[0] + 8, "dimension 1 is -1");
    expect_refused("unknown type", unknown_type, p.tensor[0], "has type 99");
    expect_refused("sparse tensor", sparse, p.quant, "sparse");
    expect_refused("scales without zero points", quant_count_mismatch, p.quant,
                   "1 scales and 0 zero points");
    expect_refused("zero point out of range", zero_point_out_of_range, p.zero_point + 4,
                   "zero point 0 is 300, out of range for INT8");
    expect_refused("negative scale", negative_scale, p.scale + 4, "scale 0 is -1");
    expect_refused("custom quantization", custom_quantization, p.quant, "custom quantization");
    expect_refused("schema version 2", version_2, p.model, "schema version 2, expected 3");
    expect_refused("no subgraph", no_subgraph, p.model, "has no subgraph");

    wc_error err;
    wc_tflite_model *m;
    CHECK(wc_tflite_read(b.b, 7, &m, &err) == WC_EMALFORMED && err.code == WC_EMALFORMED &&
              strstr(err.msg, "offset 0x0:"),
          "7 bytes: %s", err.msg);
    CHECK(wc_tflite_read(b.b, 0, &m, &err) == WC_EMALFORMED, "empty file");
    CHECK(wc_tflite_read(b.b, 7, &m, NULL) == WC_EMALFORMED, "refused without a carrier");
    CHECK(wc_tflite_read(b.b, b.n, &m, NULL) == 0, "no error buffer needed");
    wc_tflite_free(m);
}

/* Many operators share one inputs vector: copying it for each would take
 * far more memory than the file's size. */
static void test_shared_vectors(void)
{
    static tfb b;
    tfb_parts p;
    wc_error err;
    tfb_shared_model(&b, &p, &(tfb_sharing){1, 4000, 1000, 3});
    wc_tflite_model *m = read_built(&b, &err);
    CHECK(!m && strstr(err.msg, "shared too often") && strstr(err.msg, "offset 0x"), "shared vectors: %s",
          m ? "accepted" : err.msg);
    wc_tflite_free(m);
    /* a few sharings are fine */
    tfb_shared_model(&b, &p, &(tfb_sharing){1, 4, 10, 3});
    m = read_built(&b, &err);
    CHECK(m && m->noperators == 4 && m->operators[3].ninputs == 13, "4 shared operators: %s",
          m ? "" : err.msg);
    wc_tflite_free(m);
}

/* A vector of more tensors than the reader takes: refused on its length,
 * before a tensor struct is allocated for each entry (a small file of
 * shared tables would otherwise cost far more memory than its size). */
static void test_too_many_tensors(void)
{
    static tfb b;
    tfb_parts p;
    wc_error err;
    tfb_shared_model(&b, &p, &(tfb_sharing){1, 1, 0, WC_TFLITE_MAX_TENSORS + 1});
    wc_tflite_model *m = read_built(&b, &err);
    char want[128];
    snprintf(want, sizeof want, "offset 0x%zx: subgraph 0 has %u tensors, at most %u", p.tensors,
             WC_TFLITE_MAX_TENSORS + 1, WC_TFLITE_MAX_TENSORS);
    CHECK(!m && strstr(err.msg, want), "too many tensors: %s", m ? "accepted" : err.msg);
    wc_tflite_free(m);
}

/* More than one subgraph: read, the first described. */
static void test_two_subgraphs(void)
{
    static tfb b;
    tfb_parts p;
    wc_error err;
    tfb_shared_model(&b, &p, &(tfb_sharing){2, 1, 0, 3});
    wc_tflite_model *m = read_built(&b, &err);
    CHECK(m && m->nsubgraphs == 2 && m->noperators == 1, "two subgraphs: %s", m ? "" : err.msg);
    wc_tflite_free(m);
}

/* ---- wasmcap inspect FILE.tflite -------------------------------------------- */

/* Runs `wasmcap inspect path`; returns its exit status and its output. */
static int inspect(const char *path, char *out, size_t out_size)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' inspect '%s' 2>&1", WASMCAP, path);
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    size_t n = fread(out, 1, out_size - 1, f);
    out[n] = 0;
    int status = pclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_inspect(void)
{
    static char out[1 << 16];
    int rc = inspect(MODELS "person_detect.tflite", out, sizeof out);
    CHECK(rc == 0, "inspect person_detect: status %d: %s", rc, out);
    static const char *const expected[] = {
        "format: TensorFlow Lite model (schema version 3)",
        "valid: yes",
        "inputs: 1\n  88 input: INT8 [1,96,96,1] quantized: scale 0.00784314, zero point -1\n",
        "outputs: 1\n  87 MobilenetV1/Predictions/Reshape_1: INT8 [1,2]",
        "operators: 31\n  0 DEPTHWISE_CONV_2D (code 4, version 3): in [88,0,33] out [34] -- "
        "xnnpack",
        "  CONV_2D: 14 (xnnpack)\n  DEPTHWISE_CONV_2D: 14 (xnnpack)\n",
        "coverage: every operator is on the XNNPACK path or an own kernel",
    };
    for (size_t i = 0; i < sizeof expected / sizeof *expected; i++)
        CHECK(strstr(out, expected[i]), "inspect person_detect: no \"%s\" in:\n%s", expected[i],
              out);

    /* a damaged model, named without .tflite: found by its identifier */
    char dir[256], path[300];
    if (wc_make_temp_dir(dir, sizeof dir, "wc-tflite-test") != 0) {
        CHECK(0, "temp dir");
        return;
    }
    static tfb b;
    tfb_parts p;
    tfb_model(&b, &p);
    tfb_set_u32(&b, p.shape[2], 4000000);
    snprintf(path, sizeof path, "%s/model.bin", dir);
    CHECK(wc_write_file(path, b.b, b.n) == 0, "write %s", path);
    rc = inspect(path, out, sizeof out);
    char want[128];
    snprintf(want, sizeof want,
             "valid: no\nerror: tflite: offset 0x%zx: tensor 2 shape vector runs past the end of "
             "the file (length 4000000)\n",
             p.shape[2]);
    CHECK(rc == 1 && strstr(out, want), "inspect damaged: status %d: %s", rc, out);
    tfb_model(&b, &p);
    b.b[p.name[0] + 4] = 0x1b; /* an escape in a name reaches no terminal */
    CHECK(wc_write_file(path, b.b, b.n) == 0, "write %s", path);
    rc = inspect(path, out, sizeof out);
    CHECK(rc == 0 && strstr(out, "  0 \\x1b: FLOAT32 [1,2]\n") && !strchr(out, 0x1b),
          "inspect escapes names: status %d: %s", rc, out);
    CHECK(strstr(out, "FULLY_CONNECTED (code 9, version 1): in [0,1,-1] out [2] -- xnnpack"),
          "inspect built: %s", out);
    wc_remove_dir(dir);
}

/* ---- sweeps over the real models ------------------------------------------ */

static void expect_offset_or_ok(const char *what, const uint8_t *bytes, size_t size, size_t at)
{
    wc_error err = {0};
    wc_tflite_model *m;
    if (wc_tflite_read(bytes, size, &m, &err) == 0) {
        wc_tflite_free(m);
        return;
    }
    CHECK(strncmp(err.msg, "tflite: offset 0x", 17) == 0 || strcmp(err.msg, "tflite: out of memory") == 0,
          "%s at %zu: %s", what, at, err.msg);
}

static void sweep_truncations(const char *name, size_t stride)
{
    uint8_t *bytes;
    size_t size;
    if (read_model(name, &bytes, &size))
        return;
    int accepted = 0;
    for (size_t len = 0; len < size; len += stride) {
        /* a copy of exactly len bytes, so ASan sees any read past it */
        uint8_t *cut = malloc(len ? len : 1);
        memcpy(cut, bytes, len);
        wc_error err = {0};
        wc_tflite_model *m;
        if (wc_tflite_read(cut, len, &m, &err) == 0) {
            accepted++;
            wc_tflite_free(m);
        } else {
            CHECK(strncmp(err.msg, "tflite: offset 0x", 17) == 0, "%s cut at %zu: %s", name, len, err.msg);
        }
        free(cut);
    }
    CHECK(accepted == 0, "%s: %d truncations accepted", name, accepted);
    free(bytes);
}

/* Every 4-byte field outside the constant data (which the reader never
 * interprets), at every stride-th byte, overwritten with the first nvalues
 * hostile values: huge, negative, just to the file's end and past it, ... */
static void sweep_fields(const char *name, size_t stride, size_t nvalues)
{
    uint8_t *bytes;
    size_t size;
    wc_tflite_model *m = read_ok(name, &bytes, &size);
    if (!m)
        return;
    bool *is_data = calloc(size, 1);
    for (uint32_t i = 0; i < m->ntensors; i++)
        if (m->tensors[i].data)
            memset(is_data + (m->tensors[i].data - bytes), 1, m->tensors[i].data_size);
    wc_tflite_free(m);
    uint8_t *copy = malloc(size);
    memcpy(copy, bytes, size);
    size_t runs = 0;
    for (size_t at = 0; at + 4 <= size; at += stride) {
        if (is_data[at] && is_data[at + 3])
            continue;
        const uint32_t hostile[] = {0x7fffffff,
                                    0xffffffff,
                                    (uint32_t)(size - at),
                                    (uint32_t)(size - at - 2),
                                    0x80000000,
                                    0xfffffffc,
                                    0x00010000,
                                    0x00000000,
                                    0x0000ffff};
        for (size_t v = 0; v < nvalues && v < sizeof hostile / sizeof *hostile; v++) {
            uint32_t value = hostile[v];
            memcpy(copy + at, &value, 4);
            expect_offset_or_ok(name, copy, size, at);
            memcpy(copy + at, bytes + at, 4);
            runs++;
        }
    }
    CHECK(runs > 0, "%s: swept", name);
    printf("%s: %zu damaged copies\n", name, runs);
    free(copy);
    free(is_data);
    free(bytes);
}

static bool models_present(void)
{
    struct stat st;
    if (stat(MODELS, &st) == 0)
        return true;
    printf("SKIP the shared models: %s is absent (%s)\n", MODELS, strerror(errno));
    return false;
}

static void test_names(void)
{
    CHECK(strcmp(wc_tflite_builtin_name(0), "ADD") == 0, "ADD");
    CHECK(strcmp(wc_tflite_builtin_name(117), "HARD_SWISH") == 0, "HARD_SWISH");
    CHECK(strcmp(wc_tflite_builtin_name(205), "REDUCE_WINDOW") == 0, "REDUCE_WINDOW");
    CHECK(wc_tflite_builtin_name(206) == NULL && wc_tflite_builtin_name(-1) == NULL, "unknown");
    CHECK(strcmp(wc_tflite_type_name(WC_TFLITE_INT4), "INT4") == 0 &&
              wc_tflite_type_bits(WC_TFLITE_INT4) == 4 &&
              wc_tflite_type_bits(WC_TFLITE_STRING) == 0,
          "types");
}

int main(void)
{
    test_names();
    test_built();
    test_hostile_built();
    test_shared_vectors();
    test_two_subgraphs();
    test_too_many_tensors();
    if (models_present()) {
        test_hello_world("hello_world_float.tflite", WC_TFLITE_FLOAT32);
        test_hello_world("hello_world_int8.tflite", WC_TFLITE_INT8);
        test_person_detect();
        test_simple_add();
        test_inspect();
        sweep_truncations("hello_world_float.tflite", 1);
        sweep_truncations("hello_world_int8.tflite", 1);
        sweep_truncations("simple_add_model.tflite", 1);
        sweep_truncations("person_detect.tflite", 61);
        sweep_fields("hello_world_float.tflite", 1, 9);
        sweep_fields("hello_world_int8.tflite", 1, 9);
        sweep_fields("simple_add_model.tflite", 1, 9);
        /* its fields are 4-aligned, as every FlatBuffers writer aligns them */
        sweep_fields("person_detect.tflite", 4, 3);
    }
    printf("%d checks, %d failures\n", checks, failures);
    return failures != 0;
}
