/* wasi_nn.h -- WASI-NN for guests: the module "wasi_ephemeral_nn" as
 * wasmtime and WasmEdge implement it (the wasi-nn witx), on the nn layer.
 *
 * Models named in the config are loaded once into a wc_nn_models, which every
 * instance shares read-only: 1,000 instances that run a model hold one copy
 * of it.  A wc_wasi_nn is one instance's view: the models it may open by name,
 * whether it may load raw bytes (and how many), and its own bounded tables of
 * graph and execution-context handles, all freed with it.
 *
 * Denied by default: a zeroed config grants no model and no raw load.  Every
 * refusal returns the witx error code to the guest and keeps the host's reason
 * (wc_wasi_nn_last_error), which is also logged for denials.
 *
 * Usage (one per instance, from that instance's thread):
 *     wc_wasi_nn *nn = wc_wasi_nn_new(&cfg, &err);
 *     n = wc_wasi_nn_bindings(nn, &b);    -- add b[0..n) to the import table
 *     wc_wasi_nn_set_deadline(nn, deadline_ns);
 *     ... run the guest ...
 *     wc_wasi_nn_free(nn);
 */
#ifndef WC_HOST_WASI_NN_H
#define WC_HOST_WASI_NN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "util/buf.h"
#include "util/cancel_token.h"
#include "util/error.h"

/* nn_errno of the witx (u16 in the spec, returned as i32). */
typedef enum wc_wasi_nn_errno {
    WC_WASI_NN_SUCCESS = 0,
    WC_WASI_NN_INVALID_ARGUMENT = 1,
    WC_WASI_NN_INVALID_ENCODING = 2,
    WC_WASI_NN_MISSING_MEMORY = 3,
    WC_WASI_NN_BUSY = 4,
    WC_WASI_NN_RUNTIME_ERROR = 5,
    WC_WASI_NN_UNSUPPORTED_OPERATION = 6,
    WC_WASI_NN_TOO_LARGE = 7,
    WC_WASI_NN_NOT_FOUND = 8,
} wc_wasi_nn_errno;

#define WC_WASI_NN_DEFAULT_MAX_CONTEXTS 4u
#define WC_WASI_NN_DEFAULT_MAX_LOAD_BYTES (16u << 20)
/* Graph handles one instance may hold (named and raw). */
#define WC_WASI_NN_MAX_GRAPHS 16u

/* ---- models loaded once, shared ---------------------------------------- */

typedef struct wc_nn_models wc_nn_models;
typedef struct wc_nn_graph wc_nn_graph; /* nn/backend.h */

wc_nn_models *wc_nn_models_new(wc_error *err);
/* Reads the file at path and loads it as NAME, with encoding "tensorflowlite"
 * (or "tflite"), "autodetect", "onnx", "openvino", "tensorflow", "pytorch"
 * or "ggml", and target "cpu", "gpu" or "tpu" (NULL: autodetect, cpu).  A
 * name already present or an unknown encoding or target is WC_EINVAL; a
 * file the backend refuses keeps the backend's code. */
int wc_nn_models_add(wc_nn_models *models, const char *name, const char *path,
                     const char *encoding, const char *target, wc_error *err);
/* The same with the backend that runs the model: "auto" (or NULL: the
 * XNNPACK path when it takes the model, else Arm NN), "xnnpack" or "armnn"
 * (forced); another name is WC_EINVAL.  Logs the backend chosen and why. */
int wc_nn_models_add_on(wc_nn_models *models, const char *name, const char *path,
                        const char *encoding, const char *target, const char *backend,
                        wc_error *err);
/* NULL when there is no model of that name (name need not end in NUL). */
wc_nn_graph *wc_nn_models_find(const wc_nn_models *models, const char *name, size_t len);
size_t wc_nn_models_count(const wc_nn_models *models);
/* The host's part of /metrics, in the Prometheus text format: each model
 * with the backend serving it and its inferences, and the inferences of
 * the whole process by backend (models may be NULL: none configured). */
void wc_nn_models_render_metrics(const wc_nn_models *models, wc_buf *out);
/* Counted references: the config and every plugin that may open the models
 * hold one, so a reload frees the old models only after the last call that
 * uses them.  new() returns the first; release frees with the last. */
wc_nn_models *wc_nn_models_retain(wc_nn_models *models);
void wc_nn_models_release(wc_nn_models *models);

/* ---- one instance's WASI-NN -------------------------------------------- */

typedef struct wc_wasi_nn_config {
    const char *who;              /* the plugin or program, for logs */
    const wc_nn_models *models;   /* NULL: none */
    const char *const *granted;   /* names load_by_name may open */
    size_t n_granted;
    bool grant_all_models;        /* every model in `models` (wasmcap exec) */
    bool allow_load;              /* `load` of raw bytes */
    uint64_t max_load_bytes;      /* their total size; 0: the default */
    uint32_t max_contexts;        /* live execution contexts; 0: the default */
    wc_cancel_token *cancel;      /* stops compute; NULL: none */
    /* An attempt (the plugin layer's inline budget, on a thread that must not
     * wait): `load` from bytes (weights packed, or Arm NN's trial in a child
     * process) and a context on a model Arm NN runs (CpuRef inferences take
     * up to seconds, uninterrupted) end it, cancelling `cancel` with
     * WC_CANCEL_RETRY, so that the call runs again in full on a worker. */
    bool attempt;
} wc_wasi_nn_config;

typedef struct wc_wasi_nn wc_wasi_nn;

/* The config's strings and lists are copied. */
wc_wasi_nn *wc_wasi_nn_new(const wc_wasi_nn_config *config, wc_error *err);
void wc_wasi_nn_free(wc_wasi_nn *nn);

/* The import bindings of module "wasi_ephemeral_nn", valid while nn lives. */
size_t wc_wasi_nn_bindings(wc_wasi_nn *nn, const wc_import_binding **out);

/* The call's deadline (CLOCK_MONOTONIC ns; 0: none).  A compute is stopped
 * once it has passed -- before it starts, while it waits for a runtime,
 * between the model's steps, or as the backend returns -- and the guest gets
 * runtime_error (the witx has no timeout code); wc_wasi_nn_deadline_stop
 * then says where ("compute: nn: compute stopped before step 2 of 3: ..."),
 * for the run to report the deadline whatever the guest made of the error,
 * and NULL while no compute stopped for it.  A cancelled call's compute
 * traps with WC_TRAP_INTERRUPTED. */
void wc_wasi_nn_set_deadline(wc_wasi_nn *nn, uint64_t deadline_ns);
const char *wc_wasi_nn_deadline_stop(const wc_wasi_nn *nn);

/* Why the last call that failed failed ("" before any). */
const char *wc_wasi_nn_last_error(const wc_wasi_nn *nn);

#endif
