/* wasi_nn_models.c -- the config's models, loaded once at start and shared
 * read-only by every instance that opens them by name. */
#include "host/wasi_nn.h"
#include "nn/backend.h"
#include "util/fs.h"
#include "util/log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A model file larger than this is refused before it is read. */
#define MAX_MODEL_FILE_BYTES (1ull << 30)

typedef struct named_model {
    char *name;
    wc_nn_graph *graph;
} named_model;

struct wc_nn_models {
    atomic_uint refs;
    named_model *items;
    size_t count, cap;
};

wc_nn_models *wc_nn_models_new(wc_error *err)
{
    wc_nn_models *models = calloc(1, sizeof *models);
    if (!models)
        wc_error_set(err, WC_ENOMEM, "nn: out of memory");
    else
        atomic_init(&models->refs, 1);
    return models;
}

wc_nn_graph *wc_nn_models_find(const wc_nn_models *models, const char *name, size_t len)
{
    if (!models)
        return NULL;
    for (size_t i = 0; i < models->count; i++) {
        const char *have = models->items[i].name;
        if (strlen(have) == len && memcmp(have, name, len) == 0)
            return models->items[i].graph;
    }
    return NULL;
}

static int encoding_of(const char *name)
{
    static const struct {
        const char *name;
        wc_nn_encoding encoding;
    } names[] = {
        {"openvino", WC_NN_ENCODING_OPENVINO},     {"onnx", WC_NN_ENCODING_ONNX},
        {"tensorflow", WC_NN_ENCODING_TENSORFLOW}, {"pytorch", WC_NN_ENCODING_PYTORCH},
        {"tensorflowlite", WC_NN_ENCODING_TENSORFLOWLITE},
        {"tflite", WC_NN_ENCODING_TENSORFLOWLITE}, {"ggml", WC_NN_ENCODING_GGML},
        {"autodetect", WC_NN_ENCODING_AUTODETECT},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0)
            return (int)names[i].encoding;
    return -1;
}

static int target_of(const char *name)
{
    if (strcmp(name, "cpu") == 0)
        return WC_NN_TARGET_CPU;
    if (strcmp(name, "gpu") == 0)
        return WC_NN_TARGET_GPU;
    if (strcmp(name, "tpu") == 0)
        return WC_NN_TARGET_TPU;
    return -1;
}

static int backend_of(const char *name)
{
    if (strcmp(name, "auto") == 0)
        return WC_NN_BACKEND_AUTO;
    if (strcmp(name, "xnnpack") == 0)
        return WC_NN_BACKEND_XNNPACK;
    if (strcmp(name, "armnn") == 0)
        return WC_NN_BACKEND_ARMNN;
    return -1;
}

/* The choice made at load, for the operator: which backend and why. */
static void log_backend(const char *name, const char *path, const wc_nn_graph *graph)
{
    json_t *fields = json_pack("{s:s, s:s, s:s, s:s}", "model", name, "path", path, "backend",
                               wc_nn_graph_backend(graph), "reason",
                               wc_nn_graph_backend_reason(graph));
    wc_log_fields(WC_LOG_INFO, "nn", fields, "model '%s' runs on %s: %s", name,
                  wc_nn_graph_backend(graph), wc_nn_graph_backend_reason(graph));
    json_decref(fields);
}

int wc_nn_models_add(wc_nn_models *models, const char *name, const char *path,
                     const char *encoding_name, const char *target_name, wc_error *err)
{
    return wc_nn_models_add_on(models, name, path, encoding_name, target_name, NULL, err);
}

int wc_nn_models_add_on(wc_nn_models *models, const char *name, const char *path,
                        const char *encoding_name, const char *target_name,
                        const char *backend_name, wc_error *err)
{
    int encoding = encoding_of(encoding_name ? encoding_name : "autodetect");
    int target = target_of(target_name ? target_name : "cpu");
    int backend = backend_of(backend_name ? backend_name : "auto");
    if (encoding < 0)
        return wc_error_set(err, WC_EINVAL,
                            "nn: model '%s': '%s' is not an encoding (tensorflowlite, tflite, "
                            "autodetect, onnx, openvino, tensorflow, pytorch, ggml)",
                            name, encoding_name);
    if (target < 0)
        return wc_error_set(err, WC_EINVAL,
                            "nn: model '%s': '%s' is not a target (cpu, gpu, tpu)", name,
                            target_name);
    if (backend < 0)
        return wc_error_set(err, WC_EINVAL,
                            "nn: model '%s': '%s' is not a backend (auto, xnnpack, armnn)", name,
                            backend_name);
    if (!*name)
        return wc_error_set(err, WC_EINVAL, "nn: a model needs a name");
    if (wc_nn_models_find(models, name, strlen(name)))
        return wc_error_set(err, WC_EINVAL, "nn: model '%s' is defined twice", name);
    if (models->count == models->cap) {
        size_t cap = models->cap ? models->cap * 2 : 4;
        named_model *items = realloc(models->items, cap * sizeof *items);
        if (!items)
            return wc_error_set(err, WC_ENOMEM, "nn: out of memory");
        models->items = items;
        models->cap = cap;
    }
    uint8_t *bytes = NULL;
    size_t size = 0;
    int rc = wc_read_regular_file(path, MAX_MODEL_FILE_BYTES, &bytes, &size);
    if (rc)
        return wc_error_set(err, rc, "nn: model '%s': cannot read %s: %s", name, path,
                            wc_strerror(rc));
    wc_nn_graph *graph = NULL;
    rc = wc_nn_graph_load_on(bytes, size, (wc_nn_encoding)encoding, (wc_nn_target)target,
                             (wc_nn_backend_choice)backend, &graph, err);
    free(bytes);
    if (rc) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", wc_error_message(err));
        return wc_error_set(err, rc, "nn: model '%s' (%s): %s", name, path, why);
    }
    char *copy = strdup(name);
    if (!copy) {
        wc_nn_graph_free(graph);
        return wc_error_set(err, WC_ENOMEM, "nn: out of memory");
    }
    models->items[models->count++] = (named_model){copy, graph};
    log_backend(name, path, graph);
    return 0;
}

size_t wc_nn_models_count(const wc_nn_models *models)
{
    return models ? models->count : 0;
}

wc_nn_models *wc_nn_models_retain(wc_nn_models *models)
{
    if (models)
        atomic_fetch_add(&models->refs, 1);
    return models;
}

void wc_nn_models_release(wc_nn_models *models)
{
    if (!models || atomic_fetch_sub(&models->refs, 1) != 1)
        return;
    for (size_t i = 0; i < models->count; i++) {
        wc_nn_graph_free(models->items[i].graph);
        free(models->items[i].name);
    }
    free(models->items);
    free(models);
}

/* A label value as Prometheus's text format writes it: \\, \" and \n escaped. */
static void label_value(wc_buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            wc_buf_printf(out, "\\%c", *s);
        else if (*s == '\n')
            wc_buf_str(out, "\\n");
        else
            wc_buf_printf(out, "%c", *s);
    }
}

void wc_nn_models_render_metrics(const wc_nn_models *models, wc_buf *out)
{
    wc_buf_str(out, "# HELP wasmcap_nn_inferences_total WASI-NN inferences by backend.\n"
                    "# TYPE wasmcap_nn_inferences_total counter\n");
    for (unsigned i = 0; wc_nn_backend_name(i); i++)
        wc_buf_printf(out, "wasmcap_nn_inferences_total{backend=\"%s\"} %llu\n",
                      wc_nn_backend_name(i),
                      (unsigned long long)wc_nn_backend_inferences(wc_nn_backend_name(i)));
    if (!models || !models->count)
        return;
    wc_buf_str(out, "# HELP wasmcap_nn_models The configured models and the backend chosen at "
                    "load for each (1).\n"
                    "# TYPE wasmcap_nn_models gauge\n");
    for (size_t i = 0; i < models->count; i++) {
        wc_buf_str(out, "wasmcap_nn_models{model=\"");
        label_value(out, models->items[i].name);
        wc_buf_printf(out, "\",backend=\"%s\"} 1\n", wc_nn_graph_backend(models->items[i].graph));
    }
    wc_buf_str(out, "# HELP wasmcap_nn_model_inferences_total Inferences of each configured "
                    "model.\n"
                    "# TYPE wasmcap_nn_model_inferences_total counter\n");
    for (size_t i = 0; i < models->count; i++) {
        wc_buf_str(out, "wasmcap_nn_model_inferences_total{model=\"");
        label_value(out, models->items[i].name);
        wc_buf_printf(out, "\",backend=\"%s\"} %llu\n", wc_nn_graph_backend(models->items[i].graph),
                      (unsigned long long)wc_nn_graph_inferences(models->items[i].graph));
    }
}
