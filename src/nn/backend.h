/* backend.h -- the nn layer's door to inference: one interface for every
 * backend, shaped for WASI-NN (wasi_ephemeral_nn) so that its host functions
 * are thin on top of it.
 *
 * A graph is loaded once from a model's bytes (the expensive part: reading,
 * checking, packing weights) and is immutable afterwards; any number of
 * execution contexts, on any threads at once, share it.  A context owns its
 * input and output buffers and whatever mutable state the backend needs, so
 * it is cheap to make and belongs to one thread at a time.
 *
 * Inputs are checked against the model's tensor before a backend sees them:
 * the type (an INT8 model tensor takes WC_NN_U8 data, as WASI-NN has no int8
 * type), the dimensions and the size.  An output is copied into the caller's
 * buffer; a buffer too small is WC_ETOOBIG and *needed says the size.
 *
 * Sharing: what a backend prepares from the weights (XNNPACK's packed
 * weights) lives in the graph's runtimes, not in contexts.  A compute
 * borrows a ready runtime for its length and returns it, so a thousand
 * contexts of one model hold one copy of the weights per runtime, and at
 * most max_runtimes of them (wc_nn_graph_set_max_runtimes): that many
 * computes of a graph run at once, and one that finds them all busy waits
 * for the first returned, until its deadline or cancellation.
 *
 * A compute stops early, between its steps (an XNNPACK subgraph, an own
 * kernel) or as soon as the backend returns, once its deadline has passed
 * (WC_ETIMEDOUT) or its call was cancelled (WC_ECANCELED); a step that has
 * begun runs to its end.
 *
 * Errors are wc_error codes with a message:
 *   WC_ENOTSUP    an encoding or target without a backend (WASI-NN's
 *                 invalid_encoding), and nothing else;
 *   WC_EMALFORMED a model file the reader refuses (with the byte offset);
 *   WC_EBADMODULE a readable model no backend can run (the operator and
 *                 why: WASI-NN's unsupported_operation), or one Arm NN
 *                 crashed on when it was tried;
 *   WC_EINVAL     a bad index, type, shape or size, or compute before every
 *                 input is set, or get_output before compute;
 *   WC_ETOOBIG    an output buffer too small;
 *   WC_ETIMEDOUT  a compute stopped because its deadline passed, or Arm NN
 *                 took longer than 30 s to load and run a model once;
 *   WC_ECANCELED  a compute stopped because its call was cancelled;
 *   WC_EIO        a backend failed while running the model;
 *   WC_ENOMEM     out of memory.
 */
#ifndef WC_NN_BACKEND_H
#define WC_NN_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* The graph encodings WASI-NN names.  The numbers are the nn layer's own:
 * the guest ABI's (wasi_ephemeral_nn, where autodetect is 5 in the witx and
 * WasmEdge adds ggml as 6) are mapped to these in host/wasi_nn.c. */
typedef enum wc_nn_encoding {
    WC_NN_ENCODING_OPENVINO = 0,
    WC_NN_ENCODING_ONNX = 1,
    WC_NN_ENCODING_TENSORFLOW = 2,
    WC_NN_ENCODING_PYTORCH = 3,
    WC_NN_ENCODING_TENSORFLOWLITE = 4,
    WC_NN_ENCODING_GGML = 5,
    WC_NN_ENCODING_AUTODETECT = 6,
} wc_nn_encoding;

/* wasi_ephemeral_nn execution_target */
typedef enum wc_nn_target {
    WC_NN_TARGET_CPU = 0,
    WC_NN_TARGET_GPU = 1,
    WC_NN_TARGET_TPU = 2,
} wc_nn_target;

/* wasi_ephemeral_nn tensor_type */
typedef enum wc_nn_type {
    WC_NN_F16 = 0,
    WC_NN_F32 = 1,
    WC_NN_F64 = 2,
    WC_NN_U8 = 3,
    WC_NN_I32 = 4,
    WC_NN_I64 = 5,
} wc_nn_type;

#define WC_NN_MAX_RANK 8

/* A graph input or output as the model declares it. */
typedef struct wc_nn_tensor_info {
    wc_nn_type type;
    int is_int8; /* an INT8 tensor, given and read as WC_NN_U8 bytes */
    uint32_t rank;
    uint32_t dims[WC_NN_MAX_RANK];
    size_t size; /* bytes */
} wc_nn_tensor_info;

typedef struct wc_nn_graph wc_nn_graph;
typedef struct wc_nn_context wc_nn_context;

/* Which backend runs a TensorFlow Lite model.  AUTO: the XNNPACK path
 * (XNNPACK and the project's own kernels) when it takes the model, Arm NN
 * (CpuRef) for a model with an operator that path lacks or a type or
 * quantization XNNPACK refuses; a model neither runs (LSTM, CUSTOM, ...)
 * is refused naming the operator.  The others force one backend (the
 * config's nn.models.NAME.backend; the tests compare the two). */
typedef enum wc_nn_backend_choice {
    WC_NN_BACKEND_AUTO = 0,
    WC_NN_BACKEND_XNNPACK = 1,
    WC_NN_BACKEND_ARMNN = 2,
} wc_nn_backend_choice;

/* Loads a model.  WC_NN_ENCODING_AUTODETECT picks the backend from the
 * bytes (a TFLite file identifier).  bytes are copied.  A model that goes
 * to Arm NN is first loaded and run once in a child process, so that a
 * crash of Arm NN refuses the model instead of ending the process (this
 * blocks the caller for that time, at most 30 s). */
int wc_nn_graph_load(const uint8_t *bytes, size_t size, wc_nn_encoding encoding,
                     wc_nn_target target, wc_nn_graph **out, wc_error *err);
/* How much more memory (address space) than the server's the child that
 * tries a model on Arm NN may take before the model is refused (RLIMIT_AS;
 * the config's nn.trial_memory).  Process-wide; 0: no limit.  Default
 * WC_NN_TRIAL_MEMORY_DEFAULT. */
#define WC_NN_TRIAL_MEMORY_DEFAULT (1ull << 30)
void wc_nn_set_trial_memory(uint64_t bytes);
uint64_t wc_nn_trial_memory(void);
/* The same on the backend `choice` says. */
int wc_nn_graph_load_on(const uint8_t *bytes, size_t size, wc_nn_encoding encoding,
                        wc_nn_target target, wc_nn_backend_choice choice, wc_nn_graph **out,
                        wc_error *err);
/* Frees a graph; every context made from it must be freed first. */
void wc_nn_graph_free(wc_nn_graph *graph);

/* The backend's name ("xnnpack" or "armnn"). */
const char *wc_nn_graph_backend(const wc_nn_graph *graph);
/* Why that backend: "every operator is on the XNNPACK path", "operator 4
 * (SQUEEZE) is not on the XNNPACK path", "XNNPACK refused it: ...",
 * "forced (backend \"armnn\")". */
const char *wc_nn_graph_backend_reason(const wc_nn_graph *graph);
/* Inferences (successful computes) of the graph so far. */
uint64_t wc_nn_graph_inferences(const wc_nn_graph *graph);
/* Inferences by every graph of the process on the backend named
 * ("xnnpack", "armnn"; 0 for another name). */
uint64_t wc_nn_backend_inferences(const char *backend);
/* The backends' names, for those counts: NULL after the last. */
const char *wc_nn_backend_name(unsigned index);
uint32_t wc_nn_graph_input_count(const wc_nn_graph *graph);
uint32_t wc_nn_graph_output_count(const wc_nn_graph *graph);
/* NULL when index is out of range. */
const wc_nn_tensor_info *wc_nn_graph_input(const wc_nn_graph *graph, uint32_t index);
const wc_nn_tensor_info *wc_nn_graph_output(const wc_nn_graph *graph, uint32_t index);

/* The most runtimes a graph may hold (see Sharing above); the default is
 * the number of CPUs, as a runtime runs on its caller's thread and more
 * computes at once than cores only take turns. */
#define WC_NN_MAX_RUNTIMES 1024u
/* Sets the bound, clamped to 1 ... WC_NN_MAX_RUNTIMES; any thread.  Lowered
 * below what is made, the surplus is freed as computes return it. */
void wc_nn_graph_set_max_runtimes(wc_nn_graph *graph, uint32_t max);

typedef struct wc_nn_graph_stats {
    uint32_t contexts;     /* alive */
    uint32_t runtimes;     /* made and alive, busy or idle: each a copy of the packed weights */
    uint32_t max_runtimes;
    uint64_t computes;     /* started */
    uint64_t waits;        /* computes that found every runtime busy and waited */
} wc_nn_graph_stats;
/* A snapshot; any thread. */
void wc_nn_graph_stats_get(const wc_nn_graph *graph, wc_nn_graph_stats *out);

int wc_nn_context_new(wc_nn_graph *graph, wc_nn_context **out, wc_error *err);
void wc_nn_context_free(wc_nn_context *ctx);

/* Copies an input; dims (rank of them) must be the model tensor's. */
int wc_nn_set_input(wc_nn_context *ctx, uint32_t index, wc_nn_type type, const uint32_t *dims,
                    uint32_t rank, const void *data, size_t size, wc_error *err);
/* What ends a compute early. */
struct wc_cancel_token; /* util/cancel_token.h: a pointer only, so C++ can include this */
typedef struct wc_nn_limits {
    uint64_t deadline_ns;                 /* CLOCK_MONOTONIC; 0: none */
    const struct wc_cancel_token *cancel; /* NULL: none */
} wc_nn_limits;
/* Runs the model on the inputs set; limits may be NULL (no limits). */
int wc_nn_compute_within(wc_nn_context *ctx, const wc_nn_limits *limits, wc_error *err);
int wc_nn_compute(wc_nn_context *ctx, wc_error *err);
/* Copies output index into buf (capacity cap); *needed (if not NULL) is
 * set to the output's size in bytes whether or not it fits. */
int wc_nn_get_output(wc_nn_context *ctx, uint32_t index, void *buf, size_t cap, size_t *needed,
                     wc_error *err);

#endif
