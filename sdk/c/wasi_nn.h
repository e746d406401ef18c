/* wasi_nn.h -- WASI-NN ("wasi_ephemeral_nn") for C guests.
 *
 * The imports and types of the wasi-nn witx, as wasmtime and WasmEdge
 * implement them, so a guest built with this header runs on those runtimes
 * too.  Every function returns a wasi_nn_errno (0: success) and hands its
 * result back through the last argument.
 *
 *     wasi_nn_graph g;
 *     wasi_nn_graph_execution_context ctx;
 *     uint32_t dims[] = {1, 1};
 *     float x = 0.5f, y;
 *     uint32_t written;
 *     wasi_nn_tensor in = {dims, 2, WASI_NN_TYPE_F32, (uint8_t *)&x, sizeof x};
 *     wasi_nn_load_by_name("sine", 4, &g);
 *     wasi_nn_init_execution_context(g, &ctx);
 *     wasi_nn_set_input(ctx, 0, &in);
 *     wasi_nn_compute(ctx);
 *     wasi_nn_get_output(ctx, 0, (uint8_t *)&y, sizeof y, &written);
 *
 * In wasmcap, a plugin opens only the models its permissions.nn_models
 * names, and loads raw bytes only with permissions.nn_load (docs/PLUGINS.md).
 */
#ifndef WASI_NN_H
#define WASI_NN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum wasi_nn_errno {
    WASI_NN_SUCCESS = 0,
    WASI_NN_INVALID_ARGUMENT = 1,
    WASI_NN_INVALID_ENCODING = 2,
    WASI_NN_MISSING_MEMORY = 3,
    WASI_NN_BUSY = 4,
    WASI_NN_RUNTIME_ERROR = 5,
    WASI_NN_UNSUPPORTED_OPERATION = 6,
    WASI_NN_TOO_LARGE = 7,
    WASI_NN_NOT_FOUND = 8,
} wasi_nn_errno;

/* Element types; an int8 model tensor takes WASI_NN_TYPE_U8 data. */
typedef enum wasi_nn_tensor_type {
    WASI_NN_TYPE_F16 = 0,
    WASI_NN_TYPE_F32 = 1,
    WASI_NN_TYPE_F64 = 2,
    WASI_NN_TYPE_U8 = 3,
    WASI_NN_TYPE_I32 = 4,
    WASI_NN_TYPE_I64 = 5,
} wasi_nn_tensor_type;

/* graph_encoding: the witx ends with autodetect; ggml is WasmEdge's. */
typedef enum wasi_nn_graph_encoding {
    WASI_NN_ENCODING_OPENVINO = 0,
    WASI_NN_ENCODING_ONNX = 1,
    WASI_NN_ENCODING_TENSORFLOW = 2,
    WASI_NN_ENCODING_PYTORCH = 3,
    WASI_NN_ENCODING_TENSORFLOWLITE = 4,
    WASI_NN_ENCODING_AUTODETECT = 5,
    WASI_NN_ENCODING_GGML = 6,
} wasi_nn_graph_encoding;

typedef enum wasi_nn_execution_target {
    WASI_NN_TARGET_CPU = 0,
    WASI_NN_TARGET_GPU = 1,
    WASI_NN_TARGET_TPU = 2,
} wasi_nn_execution_target;

typedef uint32_t wasi_nn_graph;
typedef uint32_t wasi_nn_graph_execution_context;

/* The witx tensor record: 20 bytes, aligned to 4, on wasm32. */
typedef struct wasi_nn_tensor {
    const uint32_t *dims;
    uint32_t dims_len;
    uint8_t type; /* wasi_nn_tensor_type */
    const uint8_t *data;
    uint32_t data_len;
} wasi_nn_tensor;

/* One model file's bytes. */
typedef struct wasi_nn_graph_builder {
    const uint8_t *data;
    uint32_t len;
} wasi_nn_graph_builder;

#if defined(__wasm32__)
_Static_assert(sizeof(wasi_nn_tensor) == 20, "the witx tensor record is 20 bytes");
_Static_assert(__builtin_offsetof(wasi_nn_tensor, type) == 8, "type at offset 8");
_Static_assert(__builtin_offsetof(wasi_nn_tensor, data) == 12, "data at offset 12");
_Static_assert(sizeof(wasi_nn_graph_builder) == 8, "a builder is (pointer, length)");
#endif

#define WASI_NN_IMPORT(name) \
    __attribute__((import_module("wasi_ephemeral_nn"), import_name(name)))

WASI_NN_IMPORT("load")
int32_t wasi_nn_load(const wasi_nn_graph_builder *builders, uint32_t count, uint32_t encoding,
                     uint32_t target, wasi_nn_graph *graph);
WASI_NN_IMPORT("load_by_name")
int32_t wasi_nn_load_by_name(const char *name, uint32_t name_len, wasi_nn_graph *graph);
WASI_NN_IMPORT("load_by_name_with_config")
int32_t wasi_nn_load_by_name_with_config(const char *name, uint32_t name_len, const char *config,
                                         uint32_t config_len, wasi_nn_graph *graph);
WASI_NN_IMPORT("init_execution_context")
int32_t wasi_nn_init_execution_context(wasi_nn_graph graph, wasi_nn_graph_execution_context *ctx);
WASI_NN_IMPORT("set_input")
int32_t wasi_nn_set_input(wasi_nn_graph_execution_context ctx, uint32_t index,
                          const wasi_nn_tensor *tensor);
WASI_NN_IMPORT("compute")
int32_t wasi_nn_compute(wasi_nn_graph_execution_context ctx);
WASI_NN_IMPORT("get_output")
int32_t wasi_nn_get_output(wasi_nn_graph_execution_context ctx, uint32_t index, uint8_t *out,
                           uint32_t out_max, uint32_t *written);

#undef WASI_NN_IMPORT

#ifdef __cplusplus
}
#endif

#endif
