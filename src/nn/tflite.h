/* tflite.h -- the nn layer's door to TensorFlow Lite models: a checked
 * reader of the .tflite flatbuffer (tensorflow/lite/schema/schema.fbs,
 * schema version 3) into a plain description, and the names and operator
 * coverage that the backends and `wasmcap inspect` share.
 *
 * The reader trusts nothing in the file: a hostile or damaged model is
 * refused with a message naming the byte offset of the fault and what was
 * expected, never a crash ("tflite: offset 0x1a4: tensor 3 shape vector
 * runs past the end of the file (length 4000000)").  Besides the format it
 * refuses what a backend could not use sensibly: tensor, buffer and operator
 * code indices out of range, constant data whose size does not match its
 * tensor's shape and type, unknown tensor types, sparse tensors, custom
 * quantization, quantization that does not fit its tensor, options of the
 * wrong kind or out of range for the operators the backends build.
 *
 * The description points into the file's bytes (names, constant data), so
 * they must outlive it.  Only the first subgraph is described (TFLite runs
 * subgraph 0); the others are counted.
 */
#ifndef WC_NN_TFLITE_H
#define WC_NN_TFLITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* schema.fbs TensorType */
typedef enum wc_tflite_type {
    WC_TFLITE_FLOAT32 = 0,
    WC_TFLITE_FLOAT16 = 1,
    WC_TFLITE_INT32 = 2,
    WC_TFLITE_UINT8 = 3,
    WC_TFLITE_INT64 = 4,
    WC_TFLITE_STRING = 5,
    WC_TFLITE_BOOL = 6,
    WC_TFLITE_INT16 = 7,
    WC_TFLITE_COMPLEX64 = 8,
    WC_TFLITE_INT8 = 9,
    WC_TFLITE_FLOAT64 = 10,
    WC_TFLITE_COMPLEX128 = 11,
    WC_TFLITE_UINT64 = 12,
    WC_TFLITE_RESOURCE = 13,
    WC_TFLITE_VARIANT = 14,
    WC_TFLITE_UINT32 = 15,
    WC_TFLITE_UINT16 = 16,
    WC_TFLITE_INT4 = 17,
} wc_tflite_type;

/* schema.fbs BuiltinOperator: the codes the backends and the reader name. */
enum {
    WC_TFLITE_OP_ADD = 0,
    WC_TFLITE_OP_AVERAGE_POOL_2D = 1,
    WC_TFLITE_OP_CONCATENATION = 2,
    WC_TFLITE_OP_CONV_2D = 3,
    WC_TFLITE_OP_DEPTHWISE_CONV_2D = 4,
    WC_TFLITE_OP_DEPTH_TO_SPACE = 5,
    WC_TFLITE_OP_DEQUANTIZE = 6,
    WC_TFLITE_OP_FULLY_CONNECTED = 9,
    WC_TFLITE_OP_LOGISTIC = 14,
    WC_TFLITE_OP_MAX_POOL_2D = 17,
    WC_TFLITE_OP_MUL = 18,
    WC_TFLITE_OP_RELU = 19,
    WC_TFLITE_OP_RELU_N1_TO_1 = 20,
    WC_TFLITE_OP_RELU6 = 21,
    WC_TFLITE_OP_RESHAPE = 22,
    WC_TFLITE_OP_RESIZE_BILINEAR = 23,
    WC_TFLITE_OP_SOFTMAX = 25,
    WC_TFLITE_OP_TANH = 28,
    WC_TFLITE_OP_CUSTOM = 32,
    WC_TFLITE_OP_PAD = 34,
    WC_TFLITE_OP_MEAN = 40,
    WC_TFLITE_OP_SUB = 41,
    WC_TFLITE_OP_DIV = 42,
    WC_TFLITE_OP_PRELU = 54,
    WC_TFLITE_OP_TRANSPOSE_CONV = 67,
    WC_TFLITE_OP_LEAKY_RELU = 98,
    WC_TFLITE_OP_QUANTIZE = 114,
    WC_TFLITE_OP_HARD_SWISH = 117,
};

/* schema.fbs BuiltinOptions: the union types of the options the reader reads. */
enum {
    WC_TFLITE_OPTIONS_CONV_2D = 1,
    WC_TFLITE_OPTIONS_DEPTHWISE_CONV_2D = 2,
    WC_TFLITE_OPTIONS_POOL_2D = 5,
    WC_TFLITE_OPTIONS_FULLY_CONNECTED = 8,
    WC_TFLITE_OPTIONS_SOFTMAX = 9,
    WC_TFLITE_OPTIONS_CONCATENATION = 10,
    WC_TFLITE_OPTIONS_ADD = 11,
    WC_TFLITE_OPTIONS_RESIZE_BILINEAR = 15,
    WC_TFLITE_OPTIONS_RESHAPE = 17,
    WC_TFLITE_OPTIONS_MUL = 21,
    WC_TFLITE_OPTIONS_REDUCER = 27,
    WC_TFLITE_OPTIONS_SUB = 28,
    WC_TFLITE_OPTIONS_DIV = 29,
    WC_TFLITE_OPTIONS_TRANSPOSE_CONV = 49,
    WC_TFLITE_OPTIONS_LEAKY_RELU = 75,
    WC_TFLITE_OPTIONS_DEPTH_TO_SPACE = 94,
};

/* The union type of the builtin options the reader reads for an operator
 * code (WC_TFLITE_OPTIONS_*); 0 for a code whose options it does not read. */
int wc_tflite_options_type(int32_t code);

enum { WC_TFLITE_PADDING_SAME = 0, WC_TFLITE_PADDING_VALID = 1 };

/* schema.fbs ActivationFunctionType */
enum {
    WC_TFLITE_ACT_NONE = 0,
    WC_TFLITE_ACT_RELU = 1,
    WC_TFLITE_ACT_RELU_N1_TO_1 = 2,
    WC_TFLITE_ACT_RELU6 = 3,
    WC_TFLITE_ACT_TANH = 4,
    WC_TFLITE_ACT_SIGN_BIT = 5,
};

/* The most dimensions a tensor may have (XNNPACK's own limit is 6). */
#define WC_TFLITE_MAX_RANK 8
/* The most bytes one tensor may take. */
#define WC_TFLITE_MAX_TENSOR_BYTES ((uint64_t)1 << 31)
/* The most tensors, operators, operator codes and buffers a model may
 * have: each becomes a struct of the description, and tables may be shared,
 * so a small file could otherwise ask for gigabytes. */
#define WC_TFLITE_MAX_TENSORS (1u << 18)
#define WC_TFLITE_MAX_OPERATORS (1u << 18)
#define WC_TFLITE_MAX_OPERATOR_CODES (1u << 16)
#define WC_TFLITE_MAX_BUFFERS (1u << 18)

/* f = scale * (q - zero_point), per tensor (count 1) or per channel along
 * `dimension` (count = that dimension's size). */
typedef struct wc_tflite_quant {
    uint32_t count; /* 0: not quantized */
    float *scale;
    int64_t *zero_point;
    int32_t dimension;
} wc_tflite_quant;

typedef struct wc_tflite_tensor {
    const char *name; /* "" when the file has none */
    wc_tflite_type type;
    uint32_t rank;
    int32_t shape[WC_TFLITE_MAX_RANK];
    wc_tflite_quant quant;
    uint32_t buffer;     /* index in the model's buffers (0: none) */
    const uint8_t *data; /* constant contents, or NULL; may be unaligned */
    size_t data_size;
    bool is_variable;
} wc_tflite_tensor;

/* The builtin options the backends use; each operator fills the fields of
 * its kind, the rest keep the schema's defaults. */
typedef struct wc_tflite_options {
    int padding;                  /* convolutions and pools */
    int32_t stride_w, stride_h;   /* convolutions and pools */
    int32_t dilation_w, dilation_h;
    int32_t filter_w, filter_h;   /* pools */
    int32_t depth_multiplier;     /* DEPTHWISE_CONV_2D */
    int activation;               /* fused activation, WC_TFLITE_ACT_* */
    bool keep_num_dims;           /* FULLY_CONNECTED */
    float beta;                   /* SOFTMAX */
    float alpha;                  /* LEAKY_RELU */
    int32_t axis;                 /* CONCATENATION */
    bool align_corners, half_pixel_centers; /* RESIZE_BILINEAR */
    int32_t block_size;           /* DEPTH_TO_SPACE */
    bool keep_dims;               /* MEAN */
    uint32_t new_shape_len;       /* RESHAPE: its options' new_shape, if any */
    int32_t *new_shape;
    bool has_new_shape;
} wc_tflite_options;

typedef struct wc_tflite_operator {
    int32_t code;     /* BuiltinOperator (max of builtin_code and its byte predecessor) */
    const char *name; /* the builtin's name, the custom code of a CUSTOM one, or "UNKNOWN" */
    int32_t version;
    uint32_t ninputs, noutputs;
    int32_t *inputs;  /* tensor indices; -1 for an omitted optional input */
    int32_t *outputs;
    wc_tflite_options options;
} wc_tflite_operator;

typedef struct wc_tflite_model {
    uint32_t version; /* of the schema: 3 */
    const char *description; /* "" when absent */
    uint32_t nsubgraphs;     /* the first is the one described */
    const char *subgraph_name;
    uint32_t nbuffers;
    uint32_t ntensors, noperators, ninputs, noutputs;
    wc_tflite_tensor *tensors;
    wc_tflite_operator *operators;
    int32_t *inputs, *outputs; /* tensor indices */
} wc_tflite_model;

/* True when the bytes carry the TFLite file identifier "TFL3". */
bool wc_tflite_identified(const uint8_t *bytes, size_t size);

/* Reads a model.  Returns 0 and *out (free with wc_tflite_free), or
 * WC_EMALFORMED (WC_ENOMEM) and the reason in err (may be NULL). */
int wc_tflite_read(const uint8_t *bytes, size_t size, wc_tflite_model **out, wc_error *err);
void wc_tflite_free(wc_tflite_model *model);

/* "FLOAT32", ...; "UNKNOWN" outside the schema. */
const char *wc_tflite_type_name(int type);
/* Bits per element: 0 for the types of no fixed size (STRING, RESOURCE,
 * VARIANT) and unknown ones. */
unsigned wc_tflite_type_bits(int type);
/* "CONV_2D", ...; NULL outside the schema. */
const char *wc_tflite_builtin_name(int32_t code);
/* "NONE", "RELU", ... */
const char *wc_tflite_activation_name(int activation);

/* Which path of issue 13's backend runs an operator. */
typedef enum wc_tflite_path {
    WC_TFLITE_PATH_NONE,       /* neither: only a fallback backend could */
    WC_TFLITE_PATH_XNNPACK,    /* an XNNPACK subgraph node */
    WC_TFLITE_PATH_OWN_KERNEL, /* the project's kernel between XNNPACK subgraphs */
} wc_tflite_path;

wc_tflite_path wc_tflite_operator_path(const wc_tflite_model *model,
                                       const wc_tflite_operator *op);
const char *wc_tflite_path_name(wc_tflite_path path);

#endif
