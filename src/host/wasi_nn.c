/* wasi_nn.c -- the host functions of "wasi_ephemeral_nn".
 *
 * Signatures, record layouts and numbers are the wasi-nn witx's as wasmtime
 * and WasmEdge implement them, so a guest built for those runtimes runs here
 * unchanged.  Every guest pointer and length is checked against the
 * instance's memory before use (guest memory may be unaligned: loads and
 * stores go through memcpy); an out-pointer is written only on success.
 *
 * Guest numbers are mapped to the nn layer's explicitly: the witx's
 * graph_encoding ends with autodetect = 5, and WasmEdge adds ggml = 6.
 */
#include "host/wasi_nn.h"
#include "nn/backend.h"
#include "util/log.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "wasi_nn.c reads guest values in host byte order, which must be little-endian"
#endif

/* The witx's tensor record: dimensions (list u32), type (u8 enum), data
 * (list u8), aligned to 4. */
#define TENSOR_DIMS_PTR 0
#define TENSOR_DIMS_LEN 4
#define TENSOR_TYPE 8
#define TENSOR_DATA_PTR 12
#define TENSOR_DATA_LEN 16
#define TENSOR_SIZE 20
/* A graph_builder: list u8, as (pointer, length). */
#define BUILDER_SIZE 8

/* graph_encoding numbers on the guest side. */
enum {
    ABI_OPENVINO = 0,
    ABI_ONNX,
    ABI_TENSORFLOW,
    ABI_PYTORCH,
    ABI_TENSORFLOWLITE,
    ABI_AUTODETECT,
    ABI_GGML,
};

typedef struct graph_slot {
    wc_nn_graph *graph; /* NULL: free slot */
    bool owned;         /* loaded from raw bytes by this instance */
} graph_slot;

typedef struct context_slot {
    wc_nn_context *ctx; /* NULL: free slot */
} context_slot;

struct wc_wasi_nn {
    char *who;
    const wc_nn_models *models;
    char **granted;
    size_t n_granted;
    bool grant_all_models;
    bool allow_load;
    uint64_t max_load_bytes;
    uint32_t max_contexts;
    wc_cancel_token *cancel;
    bool attempt;
    uint64_t deadline_ns;
    char deadline_stop[512]; /* why a compute stopped for the deadline; "": none did */

    graph_slot graphs[WC_WASI_NN_MAX_GRAPHS];
    context_slot *contexts; /* max_contexts of them */
    wc_import_binding bindings[7];
    char last_error[512];
    /* contexts, granted and the strings, in the same allocation: one per
     * call instead of one each */
    _Alignas(max_align_t) unsigned char tail[];
};

/* ---- errors ------------------------------------------------------------ */

/* Keeps why a call failed; a refusal by policy is logged too, as the guest
 * sees only a number. */
static int32_t report(wc_wasi_nn *nn, wc_wasi_nn_errno code, bool logged, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int32_t report(wc_wasi_nn *nn, wc_wasi_nn_errno code, bool logged, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(nn->last_error, sizeof nn->last_error, fmt, ap);
    va_end(ap);
    if (logged)
        wc_log(WC_LOG_WARNING, "wasi-nn", "%s: %s", nn->who, nn->last_error);
    return (int32_t)code;
}

#define fail(nn, code, ...) report(nn, code, false, __VA_ARGS__)
#define deny(nn, code, ...) report(nn, code, true, __VA_ARGS__)

static wc_wasi_nn_errno errno_of_backend(int code)
{
    switch (code) {
    case WC_ENOTSUP: return WC_WASI_NN_INVALID_ENCODING;
    case WC_EBADMODULE: return WC_WASI_NN_UNSUPPORTED_OPERATION;
    case WC_EMALFORMED:
    case WC_EINVAL: return WC_WASI_NN_INVALID_ARGUMENT;
    case WC_ETOOBIG: return WC_WASI_NN_TOO_LARGE;
    case WC_ETIMEDOUT: return WC_WASI_NN_RUNTIME_ERROR; /* the witx has no timeout */
    default: return WC_WASI_NN_RUNTIME_ERROR;
    }
}

static int32_t backend_failed(wc_wasi_nn *nn, const char *fn, const wc_error *err)
{
    return fail(nn, errno_of_backend(err->code), "%s: %s", fn, wc_error_message(err));
}

/* ---- guest memory ------------------------------------------------------ */

static uint8_t *guest_bytes(wc_instance *inst, uint32_t offset, uint32_t len)
{
    static uint8_t nothing;
    if (len == 0)
        return &nothing;
    return wc_instance_mem(inst, offset, len);
}

static uint32_t load_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Stores a handle or size at an out-pointer; false when out of bounds. */
static bool put_u32(wc_instance *inst, uint32_t offset, uint32_t v)
{
    uint8_t *p = wc_instance_mem(inst, offset, 4);
    if (!p)
        return false;
    memcpy(p, &v, 4);
    return true;
}

static wc_wasi_nn *state(wc_instance *inst, void *env, wc_value *results, bool *no_memory)
{
    *no_memory = wc_instance_memory(inst) == NULL;
    results[0].i32 = WC_WASI_NN_MISSING_MEMORY;
    return env;
}

/* ---- handles ----------------------------------------------------------- */

static graph_slot *graph_of(wc_wasi_nn *nn, uint32_t handle)
{
    if (handle >= WC_WASI_NN_MAX_GRAPHS || !nn->graphs[handle].graph)
        return NULL;
    return &nn->graphs[handle];
}

static context_slot *context_of(wc_wasi_nn *nn, uint32_t handle)
{
    if (handle >= nn->max_contexts || !nn->contexts[handle].ctx)
        return NULL;
    return &nn->contexts[handle];
}

static uint32_t free_graph_slot(const wc_wasi_nn *nn)
{
    for (uint32_t i = 0; i < WC_WASI_NN_MAX_GRAPHS; i++)
        if (!nn->graphs[i].graph)
            return i;
    return UINT32_MAX;
}

/* A shared graph keeps one handle however often it is opened, so a guest
 * that opens its model on every call does not fill the table. */
static uint32_t shared_graph_handle(wc_wasi_nn *nn, wc_nn_graph *graph)
{
    for (uint32_t i = 0; i < WC_WASI_NN_MAX_GRAPHS; i++)
        if (nn->graphs[i].graph == graph)
            return i;
    uint32_t slot = free_graph_slot(nn);
    if (slot != UINT32_MAX)
        nn->graphs[slot] = (graph_slot){graph, false};
    return slot;
}

static bool granted(const wc_wasi_nn *nn, const char *name, size_t len)
{
    if (nn->grant_all_models)
        return true;
    for (size_t i = 0; i < nn->n_granted; i++)
        if (strlen(nn->granted[i]) == len && memcmp(nn->granted[i], name, len) == 0)
            return true;
    return false;
}

/* ---- the functions ----------------------------------------------------- */

static int32_t do_load(wc_wasi_nn *nn, wc_instance *inst, const wc_value *args)
{
    uint32_t array = (uint32_t)args[0].i32, count = (uint32_t)args[1].i32;
    uint32_t encoding = (uint32_t)args[2].i32, target = (uint32_t)args[3].i32;
    uint32_t out = (uint32_t)args[4].i32;
    if (!nn->allow_load)
        return deny(nn, WC_WASI_NN_UNSUPPORTED_OPERATION,
                    "load: loading a model from bytes is not permitted (grant "
                    "permissions.nn_load, or open a configured model with load_by_name)");
    static const int encodings[] = {
        [ABI_OPENVINO] = WC_NN_ENCODING_OPENVINO,
        [ABI_ONNX] = WC_NN_ENCODING_ONNX,
        [ABI_TENSORFLOW] = WC_NN_ENCODING_TENSORFLOW,
        [ABI_PYTORCH] = WC_NN_ENCODING_PYTORCH,
        [ABI_TENSORFLOWLITE] = WC_NN_ENCODING_TENSORFLOWLITE,
        [ABI_AUTODETECT] = WC_NN_ENCODING_AUTODETECT,
        [ABI_GGML] = WC_NN_ENCODING_GGML,
    };
    if (encoding >= sizeof encodings / sizeof encodings[0])
        return fail(nn, WC_WASI_NN_INVALID_ENCODING, "load: unknown graph encoding %u", encoding);
    if (target > WC_NN_TARGET_TPU)
        return fail(nn, WC_WASI_NN_INVALID_ARGUMENT, "load: unknown execution target %u", target);
    /* A TFLite model is one flatbuffer: one builder. */
    if (count != 1)
        return fail(nn, WC_WASI_NN_INVALID_ARGUMENT,
                    "load: %u graph builders given; a model is one", count);
    const uint8_t *builder = guest_bytes(inst, array, BUILDER_SIZE);
    if (!builder)
        return fail(nn, WC_WASI_NN_INVALID_ARGUMENT, "load: builder array out of bounds");
    uint32_t ptr = load_u32(builder), len = load_u32(builder + 4);
    if (len > nn->max_load_bytes)
        return deny(nn, WC_WASI_NN_TOO_LARGE,
                    "load: a model of %u bytes is over the limit of %llu "
                    "(permissions.nn_max_load_bytes)",
                    len, (unsigned long long)nn->max_load_bytes);
    const uint8_t *bytes = guest_bytes(inst, ptr, len);
    if (!bytes || len == 0)
        return fail(nn, WC_WASI_NN_INVALID_ARGUMENT, "load: model bytes out of bounds or empty");
    if (!wc_instance_mem(inst, out, 4))
        return fail(nn, WC_WASI_NN_INVALID_ARGUMENT, "load: graph out-pointer out of bounds");
    uint32_t slot = free_graph_slot(nn);
    if (slot == UINT32_MAX)
        return fail(nn, WC_WASI_NN_BUSY, "load: %u graphs are open, the most an instance holds",
                    WC_WASI_NN_MAX_GRAPHS);
    wc_nn_graph *graph = NULL;
    wc_error err = {0};
    if (wc_nn_graph_load(bytes, len, (wc_nn_encoding)encodings[encoding], (wc_nn_target)target,
                         &graph, &err) != 0)
        return report(nn, errno_of_backend(err.code), true, "load: %s", wc_error_message(&err));
    nn->graphs[slot] = (graph_slot){graph, true};
    put_u32(inst, out, slot);
    return WC_WASI_NN_SUCCESS;
}

static int32_t do_load_by_name(wc_wasi_nn *nn, wc_instance *inst, uint32_t name_ptr,
                               uint32_t name_len, uint32_t out)
{
    const char *name = (const char *)guest_bytes(inst, name_ptr, name_len);
    if (!name)
        return fail(nn, WC_WASI_NN_INVALID_ARGUMENT, "load_by_name: name out of bounds");
    if (!wc_instance_mem(inst, out, 4))
        return fail(nn, WC_WASI_NN_INVALID_ARGUMENT,
                    "load_by_name: graph out-pointer out of bounds");
    int shown = name_len > 64 ? 64 : (int)name_len;
    wc_nn_graph *graph = wc_nn_models_find(nn->models, name, name_len);
    if (!graph)
        return deny(nn, WC_WASI_NN_NOT_FOUND, "load_by_name: no model named '%.*s'", shown, name);
    /* Not granted looks like not there, so a guest cannot probe the config. */
    if (!granted(nn, name, name_len))
        return deny(nn, WC_WASI_NN_NOT_FOUND,
                    "load_by_name: model '%.*s' is not granted (add it to "
                    "permissions.nn_models)",
                    shown, name);
    uint32_t handle = shared_graph_handle(nn, graph);
    if (handle == UINT32_MAX)
        return fail(nn, WC_WASI_NN_BUSY,
                    "load_by_name: %u graphs are open, the most an instance holds",
                    WC_WASI_NN_MAX_GRAPHS);
    put_u32(inst, out, handle);
    return WC_WASI_NN_SUCCESS;
}

static int32_t do_init_execution_context(wc_wasi_nn *nn, wc_instance *inst, const wc_value *args)
{
    uint32_t handle = (uint32_t)args[0].i32, out = (uint32_t)args[1].i32;
    graph_slot *g = graph_of(nn, handle);
    if (!g)
        return fail(nn, WC_WASI_NN_INVALID_ARGUMENT, "init_execution_context: no graph %u",
                    handle);
    if (!wc_instance_mem(inst, out, 4))
        return fail(nn, WC_WASI_NN_INVALID_ARGUMENT,
                    "init_execution_context: context out-pointer out of bounds");
    uint32_t slot = 0;
    while (slot < nn->max_contexts && nn->contexts[slot].ctx)
        slot++;
    if (slot == nn->max_contexts)
        return deny(nn, WC_WASI_NN_BUSY,
                    "init_execution_context: %u contexts are open, the most a call may hold "
                    "(permissions.nn_max_contexts)",
                    nn->max_contexts);
    wc_error err = {0};
    if (wc_nn_context_new(g->graph, &nn->contexts[slot].ctx, &err) != 0) {
        nn->contexts[slot].ctx = NULL;
        return backend_failed(nn, "init_execution_context", &err);
    }
    put_u32(inst, out, slot);
    return WC_WASI_NN_SUCCESS;
}

static int32_t do_set_input(wc_wasi_nn *nn, wc_instance *inst, const wc_value *args)
{
    uint32_t handle = (uint32_t)args[0].i32, index = (uint32_t)args[1].i32;
    context_slot *c = context_of(nn, handle);
    if (!c)
        return fail(nn, WC_WASI_NN_INVALID_ARGUMENT, "set_input: no execution context %u",
                    handle);
    const uint8_t *tensor = guest_bytes(inst, (uint32_t)args[2].i32, TENSOR_SIZE);
    if (!tensor)
        return fail(nn, WC_WASI_NN_INVALID_ARGUMENT, "set_input: tensor out of bounds");
    uint32_t dims_ptr = load_u32(tensor + TENSOR_DIMS_PTR);
    uint32_t rank = load_u32(tensor + TENSOR_DIMS_LEN);
    uint8_t type = tensor[TENSOR_TYPE];
    uint32_t data_ptr = load_u32(tensor + TENSOR_DATA_PTR);
    uint32_t data_len = load_u32(tensor + TENSOR_DATA_LEN);
    if (type > WC_NN_I64)
        return fail(nn, WC_WASI_NN_INVALID_ARGUMENT, "set_input: unknown tensor type %u", type);
    if (rank > WC_NN_MAX_RANK)
        return fail(nn, WC_WASI_NN_INVALID_ARGUMENT, "set_input: %u dimensions, at most %u",
                    rank, WC_NN_MAX_RANK);
    /* rank <= 8, so rank * 4 cannot overflow. */
    const uint8_t *dims_bytes = guest_bytes(inst, dims_ptr, rank * 4);
    const uint8_t *data = guest_bytes(inst, data_ptr, data_len);
    if (!dims_bytes || !data)
        return fail(nn, WC_WASI_NN_INVALID_ARGUMENT,
                    "set_input: dimensions or data out of bounds");
    uint32_t dims[WC_NN_MAX_RANK];
    for (uint32_t i = 0; i < rank; i++)
        dims[i] = load_u32(dims_bytes + 4 * i);
    wc_error err = {0};
    if (wc_nn_set_input(c->ctx, index, (wc_nn_type)type, dims, rank, data, data_len, &err) != 0)
        return backend_failed(nn, "set_input", &err);
    return WC_WASI_NN_SUCCESS;
}

/* A compute the limits stopped: a cancelled call ends here (the client no
 * longer wants it); one past its deadline gives the guest runtime_error
 * (the witx has no timeout code) and marks the instance, so that whatever
 * the guest does next, its run reports the deadline (the watchdog stops
 * the guest at its next check in any case). */
static wc_trap do_compute(wc_wasi_nn *nn, wc_instance *inst, const wc_value *args,
                          wc_value *results)
{
    uint32_t handle = (uint32_t)args[0].i32;
    context_slot *c = context_of(nn, handle);
    if (!c) {
        results[0].i32 = fail(nn, WC_WASI_NN_INVALID_ARGUMENT, "compute: no execution context %u",
                              handle);
        return WC_TRAP_NONE;
    }
    wc_error err = {0};
    wc_nn_limits limits = {.deadline_ns = nn->deadline_ns, .cancel = nn->cancel};
    int rc = wc_nn_compute_within(c->ctx, &limits, &err);
    if (rc == WC_ECANCELED) {
        fail(nn, 0, "compute: %s", wc_error_message(&err));
        wc_instance_set_trap_message(inst, "wasi-nn %s", nn->last_error);
        return WC_TRAP_INTERRUPTED;
    }
    results[0].i32 = rc ? backend_failed(nn, "compute", &err) : WC_WASI_NN_SUCCESS;
    if (rc == WC_ETIMEDOUT && !nn->deadline_stop[0])
        snprintf(nn->deadline_stop, sizeof nn->deadline_stop, "%s", nn->last_error);
    return WC_TRAP_NONE;
}

static int32_t do_get_output(wc_wasi_nn *nn, wc_instance *inst, const wc_value *args)
{
    uint32_t handle = (uint32_t)args[0].i32, index = (uint32_t)args[1].i32;
    uint32_t buf_ptr = (uint32_t)args[2].i32, cap = (uint32_t)args[3].i32;
    uint32_t out = (uint32_t)args[4].i32;
    context_slot *c = context_of(nn, handle);
    if (!c)
        return fail(nn, WC_WASI_NN_INVALID_ARGUMENT, "get_output: no execution context %u",
                    handle);
    uint8_t *buf = guest_bytes(inst, buf_ptr, cap);
    if (!buf)
        return fail(nn, WC_WASI_NN_INVALID_ARGUMENT, "get_output: buffer out of bounds");
    if (!wc_instance_mem(inst, out, 4))
        return fail(nn, WC_WASI_NN_INVALID_ARGUMENT, "get_output: size out-pointer out of bounds");
    size_t needed = 0;
    wc_error err = {0};
    if (wc_nn_get_output(c->ctx, index, buf, cap, &needed, &err) != 0) {
        if (err.code == WC_ETOOBIG)
            return deny(nn, WC_WASI_NN_TOO_LARGE,
                        "get_output: output %u is %zu bytes, the buffer holds %u", index, needed,
                        cap);
        return backend_failed(nn, "get_output", &err);
    }
    put_u32(inst, out, (uint32_t)needed);
    return WC_WASI_NN_SUCCESS;
}

/* ---- bindings ---------------------------------------------------------- */

#define ENTRY()                                                                \
    bool no_memory;                                                                \
    wc_wasi_nn *nn = state(caller, env, results, &no_memory);                      \
    if (no_memory)                                                                 \
        return WC_TRAP_NONE;                                                       \
    (void)nn

/* What would hold an attempt's thread ends the attempt: the call runs
 * again in full on a worker. */
static bool holds_thread(wc_wasi_nn *nn, const wc_nn_graph *running)
{
    return nn->attempt && nn->cancel &&
           (!running || strcmp(wc_nn_graph_backend(running), "armnn") == 0);
}

static wc_trap stop_attempt(wc_wasi_nn *nn)
{
    wc_cancel_token_cancel(nn->cancel, WC_CANCEL_RETRY);
    return WC_TRAP_INTERRUPTED;
}

static wc_trap nn_load(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    ENTRY();
    if (holds_thread(nn, NULL))
        return stop_attempt(nn);
    results[0].i32 = do_load(nn, caller, args);
    return WC_TRAP_NONE;
}

static wc_trap nn_load_by_name(wc_instance *caller, void *env, const wc_value *args,
                               wc_value *results)
{
    ENTRY();
    results[0].i32 = do_load_by_name(nn, caller, (uint32_t)args[0].i32, (uint32_t)args[1].i32,
                                     (uint32_t)args[2].i32);
    return WC_TRAP_NONE;
}

/* The config string is for backends that take options; this one has none. */
static wc_trap nn_load_by_name_with_config(wc_instance *caller, void *env, const wc_value *args,
                                           wc_value *results)
{
    ENTRY();
    if (!guest_bytes(caller, (uint32_t)args[2].i32, (uint32_t)args[3].i32))
        results[0].i32 = fail(nn, WC_WASI_NN_INVALID_ARGUMENT,
                              "load_by_name_with_config: config out of bounds");
    else
        results[0].i32 = do_load_by_name(nn, caller, (uint32_t)args[0].i32,
                                         (uint32_t)args[1].i32, (uint32_t)args[4].i32);
    return WC_TRAP_NONE;
}

static wc_trap nn_init_execution_context(wc_instance *caller, void *env, const wc_value *args,
                                         wc_value *results)
{
    ENTRY();
    const graph_slot *g = graph_of(nn, (uint32_t)args[0].i32);
    if (g && holds_thread(nn, g->graph))
        return stop_attempt(nn);
    results[0].i32 = do_init_execution_context(nn, caller, args);
    return WC_TRAP_NONE;
}

static wc_trap nn_set_input(wc_instance *caller, void *env, const wc_value *args,
                            wc_value *results)
{
    ENTRY();
    results[0].i32 = do_set_input(nn, caller, args);
    return WC_TRAP_NONE;
}

static wc_trap nn_compute(wc_instance *caller, void *env, const wc_value *args,
                          wc_value *results)
{
    ENTRY();
    return do_compute(nn, caller, args, results);
}

static wc_trap nn_get_output(wc_instance *caller, void *env, const wc_value *args,
                             wc_value *results)
{
    ENTRY();
    results[0].i32 = do_get_output(nn, caller, args);
    return WC_TRAP_NONE;
}

size_t wc_wasi_nn_bindings(wc_wasi_nn *nn, const wc_import_binding **out)
{
    *out = nn->bindings;
    return sizeof nn->bindings / sizeof nn->bindings[0];
}

/* ---- lifetime ---------------------------------------------------------- */

/* Copies s to *tail and advances it past the copy's NUL. */
static char *copy_to_tail(unsigned char **tail, const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = memcpy(*tail, s, n);
    *tail += n;
    return copy;
}

wc_wasi_nn *wc_wasi_nn_new(const wc_wasi_nn_config *config, wc_error *err)
{
    const char *who = config->who ? config->who : "guest";
    uint32_t max_contexts = config->max_contexts ? config->max_contexts
                                                 : WC_WASI_NN_DEFAULT_MAX_CONTEXTS;
    /* The tail: the contexts, the granted names' pointers, then the strings
     * (pointers first: they need the alignment). */
    size_t tail = (size_t)max_contexts * sizeof(context_slot) +
                  config->n_granted * sizeof(char *) + strlen(who) + 1;
    for (size_t i = 0; i < config->n_granted; i++)
        tail += strlen(config->granted[i]) + 1;
    wc_wasi_nn *nn = calloc(1, sizeof *nn + tail);
    if (!nn) {
        wc_error_set(err, WC_ENOMEM, "wasi-nn: out of memory");
        return NULL;
    }
    unsigned char *next = nn->tail;
    nn->max_contexts = max_contexts;
    nn->contexts = (context_slot *)next;
    next += (size_t)max_contexts * sizeof(context_slot);
    if (config->n_granted) {
        nn->granted = (char **)next;
        next += config->n_granted * sizeof(char *);
    }
    for (; nn->n_granted < config->n_granted; nn->n_granted++)
        nn->granted[nn->n_granted] = copy_to_tail(&next, config->granted[nn->n_granted]);
    nn->who = copy_to_tail(&next, who);
    nn->models = config->models;
    nn->grant_all_models = config->grant_all_models;
    nn->allow_load = config->allow_load;
    nn->max_load_bytes = config->max_load_bytes ? config->max_load_bytes
                                                : WC_WASI_NN_DEFAULT_MAX_LOAD_BYTES;
    nn->cancel = config->cancel;
    nn->attempt = config->attempt;
    static const struct {
        const char *name, *params;
        wc_host_fn fn;
    } functions[] = {
        {"load", "iiiii", nn_load},
        {"load_by_name", "iii", nn_load_by_name},
        {"load_by_name_with_config", "iiiii", nn_load_by_name_with_config},
        {"init_execution_context", "ii", nn_init_execution_context},
        {"set_input", "iii", nn_set_input},
        {"compute", "i", nn_compute},
        {"get_output", "iiiii", nn_get_output},
    };
    _Static_assert(sizeof functions / sizeof functions[0] ==
                       sizeof nn->bindings / sizeof nn->bindings[0],
                   "one binding per function");
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++)
        nn->bindings[i] = (wc_import_binding)WC_HOST_FUNC(
            "wasi_ephemeral_nn", functions[i].name, functions[i].params, "i", functions[i].fn, nn);
    return nn;
}

void wc_wasi_nn_free(wc_wasi_nn *nn)
{
    if (!nn)
        return;
    /* Contexts before the graphs they were made from. */
    for (uint32_t i = 0; nn->contexts && i < nn->max_contexts; i++)
        wc_nn_context_free(nn->contexts[i].ctx);
    for (uint32_t i = 0; i < WC_WASI_NN_MAX_GRAPHS; i++)
        if (nn->graphs[i].owned)
            wc_nn_graph_free(nn->graphs[i].graph);
    free(nn);
}

void wc_wasi_nn_set_deadline(wc_wasi_nn *nn, uint64_t deadline_ns)
{
    nn->deadline_ns = deadline_ns;
}

const char *wc_wasi_nn_deadline_stop(const wc_wasi_nn *nn)
{
    return nn->deadline_stop[0] ? nn->deadline_stop : NULL;
}

const char *wc_wasi_nn_last_error(const wc_wasi_nn *nn)
{
    return nn->last_error;
}
