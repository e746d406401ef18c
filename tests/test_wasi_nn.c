/* test_wasi_nn.c -- WASI-NN ("wasi_ephemeral_nn") end to end: the guest
 * tests/guests/nn_sdk.c through the C SDK header, its hostile calls, the
 * permissions, the deadline, and `wasmcap exec --nn-model` running
 * tests/guests/cmd_nn_raw.c, written against the bare standard imports;
 * then a plugin's tool call (tests/guests/nn_tool.c) with the permissions
 * and models of a wasmcap.json, and one stopped by its time limit in the
 * middle of an inference (tests/nn_slow_model.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/config.h"
#include "engine/engine.h"
#include "host/wasi.h"
#include "host/wasi_nn.h"
#include "plugin/manifest.h"
#include "plugin/plugin.h"
#include "util/cancel_token.h"
#include "util/clock.h"
#include "util/fs.h"

#include "check.h"
#include "nn/backend.h"
#include "nn_slow_model.h"

#define SINE_MODEL "/work/shared/models/hello_world_float.tflite"
#define GUEST(name) WC_BINARY_DIR "/guests/" name ".wasm"

static wc_engine *engine;
static wc_module *module;
static wc_nn_models *models;

static uint8_t *read_file(const char *path, size_t *size)
{
    uint8_t *data = NULL;
    return wc_read_file(path, 0, &data, size) == 0 ? data : NULL;
}

/* One instance of nn_sdk.wasm with WASI and WASI-NN as config grants. */
typedef struct guest {
    wc_wasi *wasi;
    wc_wasi_nn *nn;
    wc_import_binding *bindings;
    wc_instance *inst;
} guest;

static bool guest_start(guest *g, const wc_wasi_nn_config *config)
{
    memset(g, 0, sizeof *g);
    wc_error err = {0};
    wc_wasi_config wcfg = {.argc = 0};
    g->wasi = wc_wasi_new(&wcfg, &err);
    g->nn = g->wasi ? wc_wasi_nn_new(config, &err) : NULL;
    if (!g->nn) {
        CHECK(0, "setup: %s", err.msg);
        return false;
    }
    const wc_import_binding *w, *n;
    size_t nw = wc_wasi_bindings(g->wasi, &w), nn = wc_wasi_nn_bindings(g->nn, &n);
    g->bindings = malloc((nw + nn) * sizeof *g->bindings);
    memcpy(g->bindings, w, nw * sizeof *w);
    memcpy(g->bindings + nw, n, nn * sizeof *n);
    wc_instance_config icfg = {.max_memory_pages = 64};
    wc_trap trap;
    if (wc_instance_new(module, &icfg, g->bindings, nw + nn, &g->inst, &trap, &err) != 0) {
        CHECK(0, "instantiate: %s", err.msg);
        return false;
    }
    trap = wc_instance_call(g->inst, "_initialize", NULL, NULL, &err);
    CHECK(trap == WC_TRAP_NONE, "_initialize: %s", wc_instance_trap_message(g->inst));
    return trap == WC_TRAP_NONE;
}

static void guest_end(guest *g)
{
    if (g->inst)
        wc_instance_free(g->inst);
    wc_wasi_nn_free(g->nn);
    wc_wasi_free(g->wasi);
    free(g->bindings);
}

/* Calls export `name` with up to two i32 arguments; its i32 result. */
static int32_t call(guest *g, const char *name, uint32_t a, uint32_t b)
{
    wc_value args[2] = {{.i32 = a}, {.i32 = b}}, result = {0};
    wc_error err = {0};
    wc_trap trap = wc_instance_call(g->inst, name, args, &result, &err);
    CHECK(trap == WC_TRAP_NONE, "%s trapped: %s", name, wc_instance_trap_message(g->inst));
    return (int32_t)result.i32;
}

/* Copies bytes into the guest buffer export `buf_export` points at. */
static void put_guest(guest *g, const char *buf_export, const void *bytes, size_t size)
{
    uint32_t at = (uint32_t)call(g, buf_export, 0, 0);
    void *p = wc_instance_mem(g->inst, at, size);
    CHECK(p != NULL, "%s out of bounds", buf_export);
    if (p)
        memcpy(p, bytes, size);
}

static bool has(const char *haystack, const char *needle)
{
    return strstr(haystack, needle) != NULL;
}

static wc_nn_graph *graph_named(const char *name)
{
    return wc_nn_models_find(models, name, strlen(name));
}

static const char *const sine_grant[] = {"sine"};
static const wc_wasi_nn_config granted = {
    .who = "test", .granted = sine_grant, .n_granted = 1, .max_contexts = 3};

/* ---- by name ----------------------------------------------------------- */

static void test_sine_and_names(void)
{
    guest g;
    wc_wasi_nn_config config = granted;
    config.models = models;
    if (guest_start(&g, &config)) {
        CHECK(call(&g, "sine", 0, 0) == WC_WASI_NN_SUCCESS, "%s", wc_wasi_nn_last_error(g.nn));
        CHECK(call(&g, "with_config", 0, 0) == WC_WASI_NN_SUCCESS, "%s",
              wc_wasi_nn_last_error(g.nn));
        put_guest(&g, "name_buf", "cosine", 6);
        CHECK(call(&g, "open_named", (uint32_t)call(&g, "name_buf", 0, 0), 6) ==
                  WC_WASI_NN_NOT_FOUND,
              "unknown model");
        CHECK(has(wc_wasi_nn_last_error(g.nn), "no model named 'cosine'"), "%s",
              wc_wasi_nn_last_error(g.nn));
        /* "other" exists but is not granted: the same answer as unknown. */
        put_guest(&g, "name_buf", "other", 5);
        CHECK(call(&g, "open_named", (uint32_t)call(&g, "name_buf", 0, 0), 5) ==
                  WC_WASI_NN_NOT_FOUND,
              "model not granted");
        CHECK(has(wc_wasi_nn_last_error(g.nn), "not granted"), "%s", wc_wasi_nn_last_error(g.nn));
    }
    guest_end(&g);

    /* Denied by default: no grant, no model. */
    config = (wc_wasi_nn_config){.models = models};
    if (guest_start(&g, &config))
        CHECK(call(&g, "sine", 0, 0) == WC_WASI_NN_NOT_FOUND, "%s", wc_wasi_nn_last_error(g.nn));
    guest_end(&g);

    /* No models at all. */
    config = granted;
    if (guest_start(&g, &config))
        CHECK(call(&g, "sine", 0, 0) == WC_WASI_NN_NOT_FOUND, "%s", wc_wasi_nn_last_error(g.nn));
    guest_end(&g);
}

/* ---- hostile calls ----------------------------------------------------- */

static void test_hostile(void)
{
    guest g;
    wc_wasi_nn_config config = granted;
    config.models = models;
    if (!guest_start(&g, &config)) {
        guest_end(&g);
        return;
    }
    static const struct {
        const char *fn;
        int32_t expect;
        const char *says;
    } cases[] = {
        {"bad_name_pointer", WC_WASI_NN_INVALID_ARGUMENT, "out of bounds"},
        {"bad_graph_out", WC_WASI_NN_INVALID_ARGUMENT, "out of bounds"},
        {"unknown_graph", WC_WASI_NN_INVALID_ARGUMENT, "no graph 12345"},
        {"unknown_context", WC_WASI_NN_INVALID_ARGUMENT, "no execution context 77"},
        {"wrong_dims", WC_WASI_NN_INVALID_ARGUMENT, "set_input"},
        {"wrong_type", WC_WASI_NN_INVALID_ARGUMENT, "set_input"},
        {"wrong_size", WC_WASI_NN_INVALID_ARGUMENT, "set_input"},
        {"unknown_type", WC_WASI_NN_INVALID_ARGUMENT, "unknown tensor type 9"},
        {"data_past_memory", WC_WASI_NN_INVALID_ARGUMENT, "out of bounds"},
        {"dims_past_memory", WC_WASI_NN_INVALID_ARGUMENT, "out of bounds"},
        {"huge_rank", WC_WASI_NN_INVALID_ARGUMENT, "dimensions"},
        {"tensor_past_memory", WC_WASI_NN_INVALID_ARGUMENT, "tensor out of bounds"},
        {"compute_before_input", WC_WASI_NN_INVALID_ARGUMENT, "compute"},
        {"raw_bad_array", WC_WASI_NN_UNSUPPORTED_OPERATION, "not permitted"},
        {"output_past_memory", WC_WASI_NN_INVALID_ARGUMENT, "buffer out of bounds"},
        {"bad_input_index", WC_WASI_NN_INVALID_ARGUMENT, "set_input"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* Each case opens a context: a fresh instance keeps them under the cap. */
        guest_end(&g);
        if (!guest_start(&g, &config))
            break;
        int32_t rc = call(&g, cases[i].fn, 0, 0);
        CHECK(rc == cases[i].expect, "%s: %d, not %d (%s)", cases[i].fn, rc, cases[i].expect,
              wc_wasi_nn_last_error(g.nn));
        CHECK(has(wc_wasi_nn_last_error(g.nn), cases[i].says), "%s: \"%s\"", cases[i].fn,
              wc_wasi_nn_last_error(g.nn));
    }
    guest_end(&g);

    /* An output buffer too small: the error, the size needed, and no byte
     * written past the buffer (the guest checks its guard bytes). */
    if (guest_start(&g, &config)) {
        CHECK(call(&g, "small_output", 2, 0) == WC_WASI_NN_TOO_LARGE, "%s",
              wc_wasi_nn_last_error(g.nn));
        CHECK(has(wc_wasi_nn_last_error(g.nn), "is 4 bytes, the buffer holds 2"), "%s",
              wc_wasi_nn_last_error(g.nn));
    }
    guest_end(&g);
    if (guest_start(&g, &config))
        CHECK(call(&g, "small_output", 4, 0) == WC_WASI_NN_SUCCESS, "%s",
              wc_wasi_nn_last_error(g.nn));
    guest_end(&g);

    /* Contexts are bounded per instance (max_contexts 3 here). */
    if (guest_start(&g, &config)) {
        CHECK(call(&g, "too_many_contexts", 0, 0) == WC_WASI_NN_BUSY, "%s",
              wc_wasi_nn_last_error(g.nn));
        CHECK(call(&g, "contexts_opened", 0, 0) == 3, "opened %d",
              call(&g, "contexts_opened", 0, 0));
        CHECK(has(wc_wasi_nn_last_error(g.nn), "nn_max_contexts"), "%s",
              wc_wasi_nn_last_error(g.nn));
        wc_nn_graph_stats st;
        wc_nn_graph_stats_get(graph_named("sine"), &st);
        CHECK(st.contexts == 3, "%u contexts alive", st.contexts);
    }
    guest_end(&g);
    wc_nn_graph_stats st;
    wc_nn_graph_stats_get(graph_named("sine"), &st);
    CHECK(st.contexts == 0, "%u contexts after the instance", st.contexts);
}

/* ---- load of raw bytes ------------------------------------------------- */

enum { ENC_ONNX = 1, ENC_TFLITE = 4, ENC_AUTODETECT = 5 };

static void test_raw_load(void)
{
    size_t size = 0;
    uint8_t *model = read_file(SINE_MODEL, &size);
    CHECK(model && size <= 8192, "cannot read %s", SINE_MODEL);
    if (!model || size > 8192) {
        free(model);
        return;
    }
    guest g;
    wc_wasi_nn_config config = {.who = "test"};
    if (guest_start(&g, &config)) {
        put_guest(&g, "raw_buf", model, size);
        CHECK(call(&g, "raw_load", (uint32_t)size, ENC_TFLITE) ==
                  WC_WASI_NN_UNSUPPORTED_OPERATION,
              "raw load without permission: %s", wc_wasi_nn_last_error(g.nn));
        CHECK(has(wc_wasi_nn_last_error(g.nn), "permissions.nn_load"), "%s",
              wc_wasi_nn_last_error(g.nn));
    }
    guest_end(&g);

    config.allow_load = true;
    config.max_load_bytes = size - 1;
    if (guest_start(&g, &config)) {
        put_guest(&g, "raw_buf", model, size);
        CHECK(call(&g, "raw_load", (uint32_t)size, ENC_TFLITE) == WC_WASI_NN_TOO_LARGE,
              "over the limit: %s", wc_wasi_nn_last_error(g.nn));
        CHECK(has(wc_wasi_nn_last_error(g.nn), "over the limit"), "%s",
              wc_wasi_nn_last_error(g.nn));
    }
    guest_end(&g);

    config.max_load_bytes = 0;
    for (int encoding = ENC_TFLITE; encoding <= ENC_AUTODETECT; encoding++) {
        if (guest_start(&g, &config)) {
            put_guest(&g, "raw_buf", model, size);
            CHECK(call(&g, "raw_load", (uint32_t)size, (uint32_t)encoding) == WC_WASI_NN_SUCCESS,
                  "raw load (encoding %d): %s", encoding, wc_wasi_nn_last_error(g.nn));
            CHECK(call(&g, "raw_run", 0, 0) == 0, "raw run: %s", wc_wasi_nn_last_error(g.nn));
        }
        guest_end(&g);
    }

    if (guest_start(&g, &config)) {
        put_guest(&g, "raw_buf", model, size);
        CHECK(call(&g, "raw_load", (uint32_t)size, ENC_ONNX) == WC_WASI_NN_INVALID_ENCODING,
              "onnx: %s", wc_wasi_nn_last_error(g.nn));
        CHECK(call(&g, "raw_load", (uint32_t)size, 99) == WC_WASI_NN_INVALID_ENCODING,
              "encoding 99: %s", wc_wasi_nn_last_error(g.nn));
        CHECK(call(&g, "raw_two_builders", 0, 0) == WC_WASI_NN_INVALID_ARGUMENT, "%s",
              wc_wasi_nn_last_error(g.nn));
        CHECK(call(&g, "raw_bad_array", 0, 0) == WC_WASI_NN_INVALID_ARGUMENT, "%s",
              wc_wasi_nn_last_error(g.nn));
        /* A mangled model is refused, and the instance goes on. */
        put_guest(&g, "raw_buf", model, 64);
        CHECK(call(&g, "raw_load", 64, ENC_TFLITE) == WC_WASI_NN_INVALID_ARGUMENT,
              "truncated: %s", wc_wasi_nn_last_error(g.nn));
        put_guest(&g, "raw_buf", model, size);
        /* The instance goes on after each refusal, until its table is full. */
        int loaded = 0;
        while (loaded < 100 && call(&g, "raw_load", (uint32_t)size, ENC_TFLITE) == 0)
            loaded++;
        CHECK(loaded == WC_WASI_NN_MAX_GRAPHS, "%d graphs loaded", loaded);
        CHECK(has(wc_wasi_nn_last_error(g.nn), "graphs are open"), "%s",
              wc_wasi_nn_last_error(g.nn));
    }
    guest_end(&g);

    config.max_load_bytes = UINT32_MAX;
    if (guest_start(&g, &config)) {
        CHECK(call(&g, "raw_load", 0x7fffffffu, ENC_TFLITE) == WC_WASI_NN_INVALID_ARGUMENT,
              "a length past memory: %s", wc_wasi_nn_last_error(g.nn));
        CHECK(has(wc_wasi_nn_last_error(g.nn), "out of bounds"), "%s",
              wc_wasi_nn_last_error(g.nn));
    }
    guest_end(&g);
    free(model);
}

/* ---- the call's deadline and cancellation ------------------------------ */

static wc_trap call_trap(guest *g, const char *name)
{
    wc_value result = {0};
    wc_error err = {0};
    return wc_instance_call(g->inst, name, NULL, &result, &err);
}

static void test_deadline(void)
{
    guest g;
    wc_wasi_nn_config config = granted;
    config.models = models;
    const char *const slow_grant[] = {"slow"};
    /* Past before the compute: the guest gets runtime_error, not a result,
     * and the instance is marked for its run to report the deadline. */
    if (guest_start(&g, &config)) {
        CHECK(!wc_wasi_nn_deadline_stop(g.nn), "marked before any compute");
        wc_wasi_nn_set_deadline(g.nn, wc_monotonic_ns() - 1);
        CHECK(call(&g, "sine", 0, 0) == WC_WASI_NN_RUNTIME_ERROR, "a compute past the deadline");
        CHECK(wc_wasi_nn_deadline_stop(g.nn), "not marked");
        CHECK(has(wc_wasi_nn_last_error(g.nn), "compute: nn: compute stopped before it started: "
                                               "the call's deadline passed"),
              "%s", wc_wasi_nn_last_error(g.nn));
    }
    guest_end(&g);

    /* Passing in the middle of an inference (its first step takes
     * milliseconds): stopped between its steps (a few tries: a busy
     * machine may make the first check late). */
    config.granted = slow_grant;
    int between = 0;
    for (int i = 0; i < 20 && !between; i++) {
        if (!guest_start(&g, &config))
            break;
        CHECK(call(&g, "slow_setup", 0, 0) == 0, "%s", wc_wasi_nn_last_error(g.nn));
        wc_wasi_nn_set_deadline(g.nn, wc_monotonic_ns() + 1000000);
        int32_t rc = call(&g, "slow_compute", 1, 0);
        CHECK(rc == WC_WASI_NN_RUNTIME_ERROR && wc_wasi_nn_deadline_stop(g.nn),
              "slow model, try %d: %d %s", i, rc, wc_wasi_nn_last_error(g.nn));
        between = has(wc_wasi_nn_last_error(g.nn), "before step 2 of 3");
        guest_end(&g);
    }
    CHECK(between, "never stopped between steps");
    /* with time enough it runs */
    if (guest_start(&g, &config)) {
        wc_wasi_nn_set_deadline(g.nn, wc_monotonic_ns() + 60000000000ull);
        CHECK(call(&g, "slow_setup", 0, 0) == 0 && call(&g, "slow_compute", 2, 0) == 0 &&
                  !wc_wasi_nn_deadline_stop(g.nn),
              "%s", wc_wasi_nn_last_error(g.nn));
    }
    guest_end(&g);
    config.granted = granted.granted;

    wc_cancel_token cancel;
    wc_cancel_token_init(&cancel);
    config.cancel = &cancel;
    if (guest_start(&g, &config)) {
        CHECK(call(&g, "sine", 0, 0) == WC_WASI_NN_SUCCESS, "before the cancel");
        wc_cancel_token_cancel(&cancel, WC_CANCEL_REQUESTED);
        CHECK(call_trap(&g, "sine") == WC_TRAP_INTERRUPTED, "a compute after the cancel");
        CHECK(has(wc_wasi_nn_last_error(g.nn), "the call was cancelled"), "%s",
              wc_wasi_nn_last_error(g.nn));
    }
    guest_end(&g);
    wc_cancel_token_destroy(&cancel);
}

/* Instances on several threads run one shared model at once. */
enum { THREADS = 4, RUNS_PER_THREAD = 5 };

static void *run_sine(void *arg)
{
    int *ok = arg;
    wc_wasi_nn_config config = granted;
    config.models = models;
    for (int i = 0; i < RUNS_PER_THREAD; i++) {
        guest g;
        if (guest_start(&g, &config) && call(&g, "sine", 0, 0) == 0)
            (*ok)++;
        guest_end(&g);
    }
    return NULL;
}

static void test_threads(void)
{
    pthread_t threads[THREADS];
    int ok[THREADS] = {0}, total = 0;
    for (int i = 0; i < THREADS; i++)
        pthread_create(&threads[i], NULL, run_sine, &ok[i]);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        total += ok[i];
    }
    CHECK(total == THREADS * RUNS_PER_THREAD, "%d of %d runs on threads", total,
          THREADS * RUNS_PER_THREAD);
}

/* Many instances open one shared model. */
static void test_shared(void)
{
    enum { N = 20 };
    static guest gs[N];
    wc_wasi_nn_config config = granted;
    config.models = models;
    int ok = 0;
    for (int i = 0; i < N; i++)
        if (guest_start(&gs[i], &config) && call(&gs[i], "sine", 0, 0) == 0)
            ok++;
    /* each instance holds its context; the weights stay packed once */
    wc_nn_graph_stats st;
    wc_nn_graph_stats_get(graph_named("sine"), &st);
    CHECK(st.contexts == N && st.runtimes == 1, "%u contexts, %u runtimes", st.contexts,
          st.runtimes);
    for (int i = 0; i < N; i++)
        guest_end(&gs[i]);
    CHECK(ok == N, "%d of %d instances ran the shared model", ok, N);
    /* and the contexts went with their instances */
    wc_nn_graph_stats_get(graph_named("sine"), &st);
    CHECK(st.contexts == 0 && st.runtimes == 1, "after: %u contexts, %u runtimes", st.contexts,
          st.runtimes);
}

/* ---- wasmcap exec --nn-model ------------------------------------------- */

static int run_exec(const char *args, char *out, size_t cap)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s/wasmcap' exec %s 2>&1", WC_BINARY_DIR, args);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_exec(void)
{
    static char out[8192];
    int status = run_exec("'" GUEST("cmd_nn_raw") "' --nn-model sine=" SINE_MODEL " -- sine",
                          out, sizeof out);
    CHECK(status == 0 && has(out, "1.50 0.9"), "status %d: %s", status, out);
    status = run_exec("'" GUEST("cmd_nn_raw") "' --nn-model=sine=" SINE_MODEL " -- cosine", out,
                      sizeof out);
    CHECK(status == 1 && has(out, "load_by_name: error 8"), "status %d: %s", status, out);
    status = run_exec("'" GUEST("cmd_nn_raw") "' --nn-model sine=/nonexistent.tflite", out,
                      sizeof out);
    CHECK(status == 1 && has(out, "model 'sine'"), "status %d: %s", status, out);
    status = run_exec("'" GUEST("cmd_nn_raw") "' --nn-model " SINE_MODEL, out, sizeof out);
    CHECK(status == 2 && has(out, "NAME=PATH"), "status %d: %s", status, out);
    status = run_exec("--help", out, sizeof out);
    CHECK(status == 0 && has(out, "--nn-model NAME=PATH"), "status %d: %s", status, out);
}

/* ---- a plugin's tool call, and the config --------------------------------- */

/* Calls tool of nn_tool.wasm under perms; its structuredContent. */
static json_t *tool_call(const wc_permissions *perms, const char *tool)
{
    wc_plugin_config pc = {.name = "nn_tool", .path = GUEST("nn_tool"), .perms = *perms};
    wc_plugin *p = NULL;
    wc_error err = {0};
    if (wc_plugin_load(&pc, engine, NULL, &p, &err) != 0) {
        CHECK(0, "load nn_tool: %s", err.msg);
        return NULL;
    }
    json_t *res = NULL;
    int index = wc_manifest_find_tool(wc_plugin_manifest(p), tool);
    int rc = wc_plugin_call_tool(p, (size_t)index, NULL, NULL, NULL, &res, &err);
    CHECK(rc == 0 && res, "call %s: %s", tool, err.msg);
    json_t *sc = json_incref(json_object_get(res, "structuredContent"));
    CHECK(sc != NULL, "%s: no structuredContent", tool);
    json_decref(res);
    wc_plugin_free(p);
    return sc;
}

static long long field(const json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

static void test_plugin(void)
{
    char *grant[] = {"sine"};
    wc_permissions perms = {.nn_library = models, .nn_models = grant, .n_nn_models = 1,
                            .nn_max_contexts = 2};
    json_t *r = tool_call(&perms, "sine");
    CHECK(r && field(r, "rc") == 0 && llabs(field(r, "milli") - 841) < 100, "sine: %s",
          r ? json_dumps(r, JSON_COMPACT) : "null");
    json_decref(r);
    r = tool_call(&perms, "contexts");
    CHECK(r && field(r, "rc") == WC_WASI_NN_BUSY && field(r, "opened") == 2, "contexts");
    json_decref(r);
    r = tool_call(&perms, "raw");
    CHECK(r && field(r, "rc") == WC_WASI_NN_UNSUPPORTED_OPERATION, "raw without nn_load");
    json_decref(r);
    perms.nn_load = true;
    r = tool_call(&perms, "raw");
    CHECK(r && field(r, "rc") == WC_WASI_NN_INVALID_ARGUMENT, "raw junk with nn_load");
    json_decref(r);
    wc_permissions none = {.nn_library = models};
    r = tool_call(&none, "sine");
    CHECK(r && field(r, "rc") == WC_WASI_NN_NOT_FOUND, "sine not granted");
    json_decref(r);
}

/* A tool call whose time limit passes while it infers: the guest gets
 * runtime_error from compute (or the watchdog stops it first), and the
 * call's answer is the time limit, saying where the time went. */
static void test_plugin_deadline(void)
{
    char *grant[] = {"slow"};
    wc_permissions perms = {.nn_library = models, .nn_models = grant, .n_nn_models = 1,
                            .timeout_ms = 50};
    wc_plugin_config pc = {.name = "nn_tool", .path = GUEST("nn_tool"), .perms = perms};
    wc_plugin *p = NULL;
    wc_error err = {0};
    if (wc_plugin_load(&pc, engine, NULL, &p, &err) != 0) {
        CHECK(0, "load nn_tool: %s", err.msg);
        return;
    }
    int index = wc_manifest_find_tool(wc_plugin_manifest(p), "slow");
    /* The limit passes during a compute nearly always (the guest spends
     * microseconds between computes of milliseconds); when the watchdog
     * stops the guest between two, the answer is the plain time limit, so
     * a few tries. */
    int in_inference = 0;
    for (int i = 0; i < 5 && !in_inference; i++) {
        json_t *res = NULL;
        uint64_t t0 = wc_monotonic_ns();
        int rc = wc_plugin_call_tool(p, (size_t)index, NULL, NULL, NULL, &res, &err);
        double ms = (double)(wc_monotonic_ns() - t0) / 1e6;
        const char *text =
            res ? json_string_value(json_object_get(
                      json_array_get(json_object_get(res, "content"), 0), "text"))
                : NULL;
        CHECK(rc == 0 && res && json_is_true(json_object_get(res, "isError")) && text &&
                  has(text, "tool 'slow' exceeded its time limit of 50 ms"),
              "slow tool: %s", text ? text : err.msg);
        in_inference = text && has(text, "50 ms: wasi-nn compute: nn: compute stopped") &&
                       has(text, "the call's deadline passed");
        CHECK(ms < 5000, "the call took %.0f ms", ms);
        json_decref(res);
    }
    CHECK(in_inference, "never stopped in an inference");
    /* the stopped calls' contexts went with their instances */
    wc_nn_graph_stats st;
    wc_nn_graph_stats_get(graph_named("slow"), &st);
    CHECK(st.contexts == 0 && st.runtimes >= 1, "%u contexts, %u runtimes", st.contexts,
          st.runtimes);
    wc_plugin_free(p);
}

static void test_config(void)
{
    char text[2048];
    wc_error err = {0};
    wc_config c;
    snprintf(text, sizeof text,
             "{\"nn\": {\"models\": {\"sine\": {\"path\": \"%s\", \"encoding\": "
             "\"tflite\", \"target\": \"cpu\", \"runtimes\": 3}, \"again\": {\"path\": "
             "\"%s\"}}},"
             " \"plugins\": {\"t\": {\"path\": \"%s\", \"permissions\": {\"nn_models\": "
             "[\"sine\"], \"nn_load\": true, \"nn_max_load_bytes\": \"1MiB\", "
             "\"nn_max_contexts\": 2}}}}",
             SINE_MODEL, SINE_MODEL, GUEST("nn_tool"));
    CHECK(wc_config_parse(text, NULL, &c, &err) == 0, "%s", err.msg);
    if (!err.msg[0]) {
        CHECK(wc_nn_models_count(c.nn_models) == 2, "%zu models", wc_nn_models_count(c.nn_models));
        wc_nn_graph_stats st;
        wc_nn_graph_stats_get(wc_nn_models_find(c.nn_models, "sine", 4), &st);
        CHECK(st.max_runtimes == 3, "nn.models.sine.runtimes: %u", st.max_runtimes);
        const wc_permissions *p = &c.plugins[0].perms;
        CHECK(p->nn_library == c.nn_models && p->n_nn_models == 1 && p->nn_load &&
                  p->nn_max_load_bytes == (1u << 20) && p->nn_max_contexts == 2,
              "permissions");
        json_t *r = tool_call(p, "sine");
        CHECK(r && field(r, "rc") == 0, "sine from the config");
        json_decref(r);
        wc_config_free(&c);
    }

    static const struct {
        const char *json, *says;
    } bad[] = {
        {"{\"nn\": {\"models\": {\"m\": {\"path\": \"/nonexistent.tflite\"}}}}",
         "nn.models.m: nn: model 'm'"},
        {"{\"nn\": {\"models\": {\"m\": {\"path\": \"" SINE_MODEL "\", \"encoding\": \"onnx\"}}}}",
         "nn.models.m"},
        {"{\"nn\": {\"models\": {\"m\": {\"path\": \"x\", \"encoding\": \"keras\"}}}}",
         "'keras' is not an encoding"},
        {"{\"nn\": {\"models\": {\"m\": {\"path\": \"x\", \"target\": \"npu\"}}}}",
         "'npu' is not a target"},
        {"{\"nn\": {\"models\": {\"m\": {}}}}", "nn.models.m.path"},
        {"{\"nn\": {\"models\": {\"m\": {\"path\": \"" SINE_MODEL "\", \"runtimes\": 0}}}}",
         "nn.models.m.runtimes"},
        {"{\"nn\": {\"models\": {\"m\": {\"path\": \"" SINE_MODEL "\", \"runtimes\": 1025}}}}",
         "nn.models.m.runtimes"},
        {"{\"nn\": {\"modles\": {}}}", "modles"},
        {"{\"plugins\": {\"t\": {\"path\": \"x.wasm\", \"permissions\": {\"nn_models\": "
         "[\"ghost\"]}}}}",
         "plugins.t.permissions.nn_models: no model 'ghost' in nn.models"},
        {"{\"plugins\": {\"t\": {\"path\": \"x.wasm\", \"permissions\": {\"nn_max_contexts\": 0}}}}",
         "nn_max_contexts"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.msg[0] = 0;
        CHECK(wc_config_parse(bad[i].json, NULL, &c, &err) != 0, "accepted %s",
              bad[i].json);
        CHECK(strstr(err.msg, bad[i].says), "%s: \"%s\", want \"%s\"", bad[i].json, err.msg, bad[i].says);
    }
}

int main(void)
{
    wc_engine_config ecfg;
    wc_engine_config_default(&ecfg);
    ecfg.tier = WC_TIER_FAST;
    wc_error err = {0};
    size_t size = 0;
    uint8_t *bytes = read_file(GUEST("nn_sdk"), &size);
    if (wc_engine_new(&ecfg, &engine, &err) != 0 || !bytes ||
        wc_module_new(engine, bytes, size, &module, &err) != 0) {
        printf("FAIL: setup: %s\n", bytes ? err.msg : "no nn_sdk.wasm");
        return 1;
    }
    free(bytes);
    models = wc_nn_models_new(&err);
    CHECK(wc_nn_models_add(models, "sine", SINE_MODEL, NULL, NULL, &err) == 0,
          "%s", err.msg);
    CHECK(wc_nn_models_add(models, "other", SINE_MODEL, "tensorflowlite", "cpu", &err) == 0,
          "%s", err.msg);
    CHECK(wc_nn_models_add(models, "sine", SINE_MODEL, NULL, NULL, &err) == WC_EINVAL,
          "a second 'sine'");
    static tfb slow;
    slow_model(&slow);
    char slow_path[] = "/tmp/wasmcap-test-slow-XXXXXX";
    int fd = mkstemp(slow_path);
    CHECK(fd >= 0 && write(fd, slow.b, slow.n) == (ssize_t)slow.n && close(fd) == 0,
          "writing %s", slow_path);
    CHECK(wc_nn_models_add(models, "slow", slow_path, "tflite", NULL, &err) == 0, "%s", err.msg);
    unlink(slow_path);
    CHECK(wc_nn_models_count(models) == 3, "%zu models", wc_nn_models_count(models));

    test_sine_and_names();
    test_hostile();
    test_raw_load();
    test_deadline();
    test_shared();
    test_threads();
    test_exec();
    test_plugin();
    test_plugin_deadline();
    test_config();

    wc_nn_models_release(models);
    wc_module_release(module);
    wc_engine_free(engine);
    printf("%d checks, %d failures\n", checks, failures);
    return failures != 0;
}
