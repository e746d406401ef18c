/* bench_nn_call.c -- the overhead of WASI-NN: a tool call that runs one
 * inference against the same inference called natively, side by side.
 *
 *   bench_nn_call [--quick] [--rounds N]
 *   bench_nn_call --only CASE [--calls N]
 *
 * Two model-backed example plugins (built by `make -C plugins`), each
 * called through the plugin registry in this process -- the tool's schema
 * check, a fresh instance on the optimized tier, the guest's own work (the
 * image's base64, the kv read, the decision), its WASI-NN calls and the
 * result's checks, as a tools/call over stdio or HTTP does minus the
 * JSON-RPC framing: with a wc_call that carries the arguments' text and
 * takes the result as text, as the server's (mcp/server.c) does -- and the
 * same inference through src/nn/backend.h as the plugin makes it: a
 * context, set_input, compute, get_output, the context freed.  --parsed
 * calls as `wasmcap call` does instead: the arguments as a parsed value
 * only (written to text again for the guest), the result as a value.
 *
 *   person-detect  person_detect.tflite (../shared/models), a 96x96 image
 *   supply-risk    the int8 model of plugins/supply-risk/model (kv first)
 *
 * Each round times a batch of native inferences and a batch of tool calls
 * of each plugin, in turn, so that the machine's drift weighs on both
 * alike; the figures are the medians over the rounds, of the elapsed time
 * and of the thread's CPU time (which other processes on a loaded machine
 * inflate less).  The overhead is tool - native per call; issue 13's
 * target is at most 10% plus a few microseconds.
 *
 * Where supply-risk's call goes (its model runs in under a microsecond, so
 * its ratio is the call's fixed cost): the probe plugin bench/nn_probe
 * (built here with clang into the build directory) runs the same model
 * N times in one tool call on one context, or not at all.  Its rows:
 *   probe, no model      the tool call's fixed cost (host path, SDK, a
 *                        two-letter answer)
 *   probe, 1 inference   minus the above and minus supply-native: WASI-NN's
 *                        own cost of a call's inference (load_by_name, a
 *                        context made and freed, set_input, compute,
 *                        get_output, each host call's checks)
 *   probe, 33 inferences the slope over 32 more, minus the same inference
 *                        on one native context (supply-steady): WASI-NN's
 *                        cost per further inference
 * and supply-risk's call minus the probe's one inference is its own work
 * (the kv read, the bus attempt, its JSON and its larger result checked
 * against its outputSchema).
 *
 * --only runs one case alone, N times (default 2,000) after the warm-up,
 * and prints its time per call, for a profiler (perf record, strace -c,
 * callgrind) to see nothing else: person-detect, person-native (its
 * inference through backend.h), refused, supply-risk, supply-native,
 * supply-steady (set_input, compute, get_output on one native context),
 * probe-none, probe-one or probe-many.  Exit status 0, or 1 when a call
 * fails or answers wrongly.
 */
#define _GNU_SOURCE
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/wasi_nn.h"
#include "nn/backend.h"
#include "ontology/ontology.h"
#include "plugin/call.h"
#include "plugin/config.h"
#include "plugin/registry.h"
#include "store/kv.h"
#include "util/clock.h"
#include "util/fs.h"

#include "measure.h"

#define MAX_ROUNDS 101
#define SIDE 96
#define PIXELS (SIDE * SIDE)

static int failed;

static void fail(const char *what, const char *why)
{
    fprintf(stderr, "bench_nn_call: %s: %s\n", what, why);
    failed = 1;
}

/* A synthetic picture: a bright disc on a dark gradient. */
static void make_image(uint8_t *pixels)
{
    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++) {
            int dx = x - 48, dy = y - 40;
            pixels[y * SIDE + x] = dx * dx + dy * dy < 400 ? 220 : (uint8_t)(20 + x / 2);
        }
}

static char *base64(const uint8_t *data, size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc(len / 3 * 4 + 5), *o = out;
    for (size_t i = 0; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        for (int k = 3; k >= 0; k--)
            *o++ = alphabet[v >> (6 * k) & 63];
    }
    *o = 0;
    return out;
}

/* ---- native: the plugin's WASI-NN calls, made directly ------------------ */

typedef struct native_case {
    wc_nn_graph *graph;
    const void *input;
    size_t input_size;
    wc_nn_type type;
} native_case;

static void native_once(const native_case *n)
{
    wc_error err = {0};
    wc_nn_context *c;
    const wc_nn_tensor_info *in = wc_nn_graph_input(n->graph, 0);
    uint8_t out[64];
    if (wc_nn_context_new(n->graph, &c, &err) ||
        wc_nn_set_input(c, 0, n->type, in->dims, in->rank, n->input, n->input_size, &err) ||
        wc_nn_compute(c, &err) || wc_nn_get_output(c, 0, out, sizeof out, NULL, &err))
        fail("native inference", err.msg);
    wc_nn_context_free(c);
}

/* One more inference on a context already made, natively: the probe's
 * slope's baseline. */
static wc_nn_context *steady_context;

static void native_steady(const native_case *n)
{
    wc_error err = {0};
    const wc_nn_tensor_info *in = wc_nn_graph_input(n->graph, 0);
    uint8_t out[64];
    if (!steady_context && wc_nn_context_new(n->graph, &steady_context, &err)) {
        fail("native context", err.msg);
        return;
    }
    if (wc_nn_set_input(steady_context, 0, n->type, in->dims, in->rank, n->input, n->input_size,
                        &err) ||
        wc_nn_compute(steady_context, &err) ||
        wc_nn_get_output(steady_context, 0, out, sizeof out, NULL, &err))
        fail("native inference on one context", err.msg);
}

/* ---- the tool call ------------------------------------------------------ */

typedef struct tool_case {
    wc_registry *registry;
    const char *tool;
    json_t *arguments;
    char *arguments_text; /* as a client sends them: compact */
    size_t arguments_len;
    const char *expect;   /* the answer's text starts with it */
    int refused;          /* the answer is an error (isError) */
} tool_case;

static int parsed_only; /* --parsed */

static void tool_case_init(tool_case *t, wc_registry *registry, const char *tool,
                           json_t *arguments, const char *expect, int refused)
{
    *t = (tool_case){registry, tool, arguments, json_dumps(arguments, JSON_COMPACT), 0, expect,
                     refused};
    t->arguments_len = t->arguments_text ? strlen(t->arguments_text) : 0;
}

static void tool_case_free(tool_case *t)
{
    json_decref(t->arguments);
    free(t->arguments_text);
}

static void check_answer(const tool_case *t, const char *text, int is_error)
{
    if (is_error != !!t->refused || !text || strncmp(text, t->expect, strlen(t->expect)) != 0)
        fail(t->tool, text ? text : "no text");
}

/* The answer as the server would send it on: its first content block's
 * text is found in the bytes, not parsed (the server does not parse it). */
static void check_answer_text(const tool_case *t, const char *json)
{
    static const char key[] = "\"text\":\"";
    const char *text = json ? strstr(json, key) : NULL;
    check_answer(t, text ? text + sizeof key - 1 : NULL,
                 json && strstr(json, "\"isError\":true") != NULL);
}

static void tool_once(const tool_case *t)
{
    json_t *result = NULL;
    wc_error err = {0};
    wc_call_io io = {.arguments_text = t->arguments_text,
                     .arguments_len = t->arguments_len,
                     .prefer_result_text = true};
    wc_call *call = parsed_only ? NULL : wc_call_new(NULL, &io);
    if (!parsed_only && !call) {
        fail(t->tool, "out of memory");
        return;
    }
    if (wc_registry_call_tool(t->registry, t->tool, t->arguments, call, &result, &err)) {
        fail(t->tool, wc_error_message(&err));
    } else if (result) {
        check_answer(t,
                     json_string_value(json_object_get(
                         json_array_get(json_object_get(result, "content"), 0), "text")),
                     json_is_true(json_object_get(result, "isError")));
    } else {
        check_answer_text(t, call ? call->io.result_text : NULL);
    }
    json_decref(result);
    wc_call_free(call);
}

/* ---- timing ------------------------------------------------------------- */

typedef struct pair {
    const char *name;
    native_case native;
    tool_case tool;
    int batch;
    double native_us[MAX_ROUNDS], tool_us[MAX_ROUNDS];         /* elapsed */
    double native_cpu_us[MAX_ROUNDS], tool_cpu_us[MAX_ROUNDS]; /* this thread's CPU */
} pair;

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void time_round(pair *p, int round)
{
    uint64_t c0 = thread_cpu_ns(), t0 = wc_monotonic_ns();
    for (int i = 0; i < p->batch && !failed; i++)
        native_once(&p->native);
    uint64_t c1 = thread_cpu_ns(), t1 = wc_monotonic_ns();
    for (int i = 0; i < p->batch && !failed; i++)
        tool_once(&p->tool);
    uint64_t c2 = thread_cpu_ns(), t2 = wc_monotonic_ns();
    p->native_us[round] = (double)(t1 - t0) / 1e3 / p->batch;
    p->tool_us[round] = (double)(t2 - t1) / 1e3 / p->batch;
    p->native_cpu_us[round] = (double)(c1 - c0) / 1e3 / p->batch;
    p->tool_cpu_us[round] = (double)(c2 - c1) / 1e3 / p->batch;
}

/* The same call refused by the guest before it opens the model (one byte
 * of the image outside base64): the tool call's cost without inference. */
static void time_refused(tool_case *t, int batch, double *us, double *cpu_us)
{
    uint64_t c0 = thread_cpu_ns(), t0 = wc_monotonic_ns();
    for (int i = 0; i < batch && !failed; i++)
        tool_once(t);
    *us = (double)(wc_monotonic_ns() - t0) / 1e3 / batch;
    *cpu_us = (double)(thread_cpu_ns() - c0) / 1e3 / batch;
}

/* The probe's cases, timed each round after the pairs. */
enum { PROBE_NONE, PROBE_ONE, PROBE_MANY, PROBE_STEADY, PROBE_CASES };
#define PROBE_MANY_INFERENCES 33

typedef struct probe {
    bool built;
    tool_case calls[PROBE_STEADY]; /* none, one, many */
    const native_case *native;     /* supply-risk's */
    int batch[PROBE_CASES];
    double cpu_us[PROBE_CASES][MAX_ROUNDS];
} probe;

static void time_probe(probe *pr, int round)
{
    for (int c = 0; c < PROBE_CASES && pr->built && !failed; c++) {
        uint64_t c0 = thread_cpu_ns();
        for (int i = 0; i < pr->batch[c] && !failed; i++) {
            if (c == PROBE_STEADY)
                native_steady(pr->native);
            else
                tool_once(&pr->calls[c]);
        }
        pr->cpu_us[c][round] = (double)(thread_cpu_ns() - c0) / 1e3 / pr->batch[c];
    }
}

/* Where the supply-risk call's time goes, from the medians of the rounds
 * (this thread's CPU time). */
static void report_probe(probe *pr, pair *supply, int rounds)
{
    double none = bench_median(pr->cpu_us[PROBE_NONE], rounds);
    double one = bench_median(pr->cpu_us[PROBE_ONE], rounds);
    double many = bench_median(pr->cpu_us[PROBE_MANY], rounds);
    double steady = bench_median(pr->cpu_us[PROBE_STEADY], rounds);
    double native = bench_median(supply->native_cpu_us, rounds);
    double whole = bench_median(supply->tool_cpu_us, rounds);
    double slope = (many - one) / (PROBE_MANY_INFERENCES - 1);
    printf("where supply-risk's call goes (CPU us, medians; the probe plugin bench/nn_probe):\n");
    printf("  %-58s %8.2f\n", "supply-risk's whole tool call", whole);
    printf("  %-58s %8.2f\n", "probe, no model: the tool call's fixed cost", none);
    printf("  %-58s %8.2f\n", "probe, 1 inference: minus no model = a call's inference", one - none);
    printf("  %-58s %8.2f\n", "  of which the inference natively (context made, freed)", native);
    printf("  %-58s %8.2f\n", "  WASI-NN's own overhead of a call's inference", one - none - native);
    printf("  %-58s %8.2f\n", "probe, 33 inferences: one more inference (slope)", slope);
    printf("  %-58s %8.2f\n", "  of which natively, on one context", steady);
    printf("  %-58s %8.2f\n", "  WASI-NN's own overhead per further inference", slope - steady);
    printf("  %-58s %8.2f\n", "supply-risk's own work: whole minus probe's 1 inference", whole - one);
}

/* One line: the medians of native and tool, the overhead, their ratio and
 * the median of the rounds' ratios. */
static void report_line(const char *name, const char *clock, double *native, double *tool,
                        int rounds)
{
    double ratio[MAX_ROUNDS];
    for (int r = 0; r < rounds; r++)
        ratio[r] = tool[r] / native[r];
    double nat = bench_median(native, rounds), t = bench_median(tool, rounds);
    printf("%-14s %-8s %12.2f %12.2f %12.2f %10.3f %10.3f\n", name, clock, nat, t, t - nat,
           t / nat, bench_median(ratio, rounds));
}

static void report(pair *p, int rounds)
{
    report_line(p->name, "elapsed", p->native_us, p->tool_us, rounds);
    report_line(p->name, "cpu", p->native_cpu_us, p->tool_cpu_us, rounds);
}

/* ---- setup -------------------------------------------------------------- */

static void add_plugin(wc_plugin_config *pc, const char *name, const char *path,
                      wc_nn_models *models, char **grant, const char *kv_namespace,
                      wc_schema_docs *ontology)
{
    memset(pc, 0, sizeof *pc);
    pc->schema_docs = ontology;
    pc->name = (char *)name;
    pc->path = (char *)path;
    pc->prefix = (char *)name;
    pc->perms.nn_library = models;
    pc->perms.nn_models = grant;
    pc->perms.n_nn_models = 1;
    pc->perms.kv_namespace = (char *)kv_namespace;
}

static const char *const only_cases[] = {"person-detect", "person-native", "refused",
                                           "supply-risk",   "supply-native", "supply-steady",
                                           "probe-none",    "probe-one",     "probe-many"};
#define ONLY_CASES (sizeof only_cases / sizeof only_cases[0])
#define MAX_ONLY_CALLS 10000000

static uint64_t process_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --only: the case's time per call, alone; the process's CPU time too,
 * which a loaded machine inflates less than the elapsed time. */
__attribute__((noinline)) /* a symbol for callgrind's --toggle-collect=run_only */
static void run_only(int which, pair *pairs, tool_case *refused, probe *pr, int calls)
{
    uint64_t c0 = process_cpu_ns(), t0 = wc_monotonic_ns();
    for (int i = 0; i < calls && !failed; i++) {
        switch (which) {
        case 0: tool_once(&pairs[0].tool); break;
        case 1: native_once(&pairs[0].native); break;
        case 2: tool_once(refused); break;
        case 3: tool_once(&pairs[1].tool); break;
        case 4: native_once(&pairs[1].native); break;
        case 5: native_steady(&pairs[1].native); break;
        default: tool_once(&pr->calls[which - 6]); break;
        }
    }
    uint64_t t1 = wc_monotonic_ns(), c1 = process_cpu_ns();
    printf("bench_nn_call --only %s: %d calls, %.2f us per call, %.2f us of CPU\n",
           only_cases[which], calls, (double)(t1 - t0) / 1e3 / calls,
           (double)(c1 - c0) / 1e3 / calls);
}

/* Builds bench/nn_probe into the build directory with clang, as
 * plugins/Makefile builds the examples (in the plugin's directory: its
 * manifest is named relative to it).  Returns its path, or NULL with the
 * reason on stderr: then the attribution rows are left out. */
static const char *build_probe(void)
{
    static const char wasm[] = WC_BINARY_DIR "/nn_probe.wasm";
    const char *clang = getenv("CLANG") ? getenv("CLANG") : "clang";
    char cmd[2048];
    int n = snprintf(cmd, sizeof cmd,
                     "cd '%s/bench/nn_probe' && '%s' --target=wasm32-wasi --sysroot=/usr -O2 "
                     "-Wall -Wextra -Werror -mexec-model=reactor -mbulk-memory -I'%s/sdk/c' "
                     "-Wl,--stack-first "
                     "-Wl,-z,stack-size=32768 -Wl,--strip-debug -o '%s' nn_probe.c",
                     WC_SOURCE_DIR, clang, WC_SOURCE_DIR, wasm);
    if (n < 0 || (size_t)n >= sizeof cmd || system(cmd) != 0) {
        fprintf(stderr, "bench_nn_call: could not build bench/nn_probe with %s: the attribution "
                        "rows are left out\n", clang);
        return NULL;
    }
    return wasm;
}

int main(int argc, char **argv)
{
    int rounds = 15, quick = 0, only = -1, calls = 2000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
            rounds = 3;
        } else if (strcmp(argv[i], "--parsed") == 0) {
            parsed_only = 1;
        } else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
            rounds = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc) {
            calls = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            i++;
            for (size_t c = 0; c < ONLY_CASES; c++)
                if (strcmp(argv[i], only_cases[c]) == 0)
                    only = (int)c;
            if (only < 0) {
                fprintf(stderr, "bench_nn_call: --only person-detect, person-native, refused, "
                                "supply-risk, supply-native, supply-steady, probe-none, "
                                "probe-one or probe-many\n");
                return 2;
            }
        } else {
            fprintf(stderr,
                    "usage: bench_nn_call [--quick] [--parsed] [--rounds N (1-%d)]\n"
                    "       bench_nn_call [--parsed] --only CASE [--calls N]  (one case alone, "
                    "for a profiler)\n",
                    MAX_ROUNDS);
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "bench_nn_call: --rounds from 1 to %d\n", MAX_ROUNDS);
        return 2;
    }
    if (calls < 1 || calls > MAX_ONLY_CALLS) {
        fprintf(stderr, "bench_nn_call: --calls from 1 to %d\n", MAX_ONLY_CALLS);
        return 2;
    }
    wc_error err = {0};
    wc_nn_models *models = wc_nn_models_new(&err);
    if (!models ||
        wc_nn_models_add(models, "person_detect",
                         WC_SOURCE_DIR "/../shared/models/person_detect.tflite", NULL, NULL,
                         &err) ||
        wc_nn_models_add(models, "supply_risk",
                         WC_SOURCE_DIR "/plugins/supply-risk/model/supply-risk.tflite", NULL,
                         NULL, &err)) {
        fprintf(stderr, "bench_nn_call: models: %s (make -C plugins first)\n", err.msg);
        return 1;
    }
    char kv_dir[] = "/tmp/wasmcap-bench-nn-XXXXXX";
    wc_kv *kv = NULL;
    wc_engine *engine = NULL;
    wc_engine_config ec;
    wc_engine_config_default(&ec);
    ec.tier = WC_TIER_OPTIMIZED; /* as bench/stdio.sh serves: no compiler during the timing */
    ec.cache_dir = "";
    ec.track_writes = true; /* as wasmcap serve runs plugins (cli/setup.c) */
    if (!mkdtemp(kv_dir) || wc_kv_open(kv_dir, 0, &kv, &err) ||
        wc_engine_new(&ec, &engine, &err)) {
        fprintf(stderr, "bench_nn_call: setup: %s\n", err.msg);
        return 1;
    }
    /* supply-risk's schemas name ontology types, as the repository's config gives them */
    wc_ontology *ontology = NULL;
    if (wc_ontology_load(WC_SOURCE_DIR "/ontology", &ontology, &err)) {
        fprintf(stderr, "bench_nn_call: ontology: %s\n", wc_error_message(&err));
        return 1;
    }
    char *person_grant[] = {"person_detect"}, *supply_grant[] = {"supply_risk"};
    wc_plugin_config plugins[3];
    add_plugin(&plugins[0], "person-detect", WC_SOURCE_DIR "/plugins/person-detect/person-detect.wasm",
               models, person_grant, NULL, wc_ontology_docs(ontology));
    add_plugin(&plugins[1], "supply-risk", WC_SOURCE_DIR "/plugins/supply-risk/supply-risk.wasm",
               models, supply_grant, "supply-risk", wc_ontology_docs(ontology));
    const char *probe_wasm = build_probe();
    if (probe_wasm)
        add_plugin(&plugins[2], "nn-probe", probe_wasm, models, supply_grant, NULL,
                   wc_ontology_docs(ontology));
    wc_registry *registry = NULL;
    if (wc_registry_new(plugins, probe_wasm ? 3 : 2, engine, kv, &registry, &err)) {
        fprintf(stderr, "bench_nn_call: plugins: %s (make -C plugins first)\n",
                wc_error_message(&err));
        return 1;
    }

    uint8_t pixels[PIXELS], person_input[PIXELS];
    make_image(pixels);
    for (int i = 0; i < PIXELS; i++) /* as the plugin feeds the model: pixel - 128, int8 */
        person_input[i] = (uint8_t)(int8_t)(pixels[i] - 128);
    char *image = base64(pixels, PIXELS);
    char *bad_image = strdup(image);
    bad_image[0] = '!';
    float supply_input[2] = {12.0f, 7.0f}; /* SKU-1: 120 in stock, 10 a day; 7 buffer days */

    json_t *set_stock = json_pack("{s:s, s:i}", "sku", "SKU-1", "quantity", 120);
    tool_case stock;
    tool_case_init(&stock, registry, "supply-risk-set_stock", set_stock, "SKU-1: stock 120", 0);
    tool_once(&stock);
    tool_case_free(&stock);

    static pair pairs[2];
    pairs[0] = (pair){
        .name = "person-detect",
        .native = {wc_nn_models_find(models, "person_detect", 13), person_input, PIXELS,
                   WC_NN_U8},
        .batch = quick ? 50 : 400,
    };
    pairs[1] = (pair){
        .name = "supply-risk",
        .native = {wc_nn_models_find(models, "supply_risk", 11), supply_input,
                   sizeof supply_input, WC_NN_F32},
        .batch = quick ? 500 : 5000,
    };
    tool_case_init(&pairs[0].tool, registry, "person-detect-detect",
                   json_pack("{s:s}", "image", image), "person: ", 0);
    tool_case_init(&pairs[1].tool, registry, "supply-risk-assess",
                   json_pack("{s:s, s:i}", "sku", "SKU-1", "buffer_days", 7), "SKU-1: 12 days",
                   0);
    for (int p = 0; p < 2; p++) { /* warm up both paths */
        for (int i = 0; i < 50; i++)
            native_once(&pairs[p].native);
        for (int i = 0; i < 50; i++)
            tool_once(&pairs[p].tool);
    }
    tool_case refused;
    tool_case_init(&refused, registry, "person-detect-detect",
                   json_pack("{s:s}", "image", bad_image), "image must be", 1);
    static probe pr;
    pr = (probe){.built = probe_wasm != NULL, .native = &pairs[1].native,
                 .batch = {quick ? 500 : 5000, quick ? 500 : 5000, quick ? 50 : 500,
                           quick ? 500 : 5000}};
    static const int probe_inferences[] = {0, 1, PROBE_MANY_INFERENCES};
    for (int c = 0; c < PROBE_STEADY && pr.built; c++) {
        tool_case_init(&pr.calls[c], registry, "nn-probe-infer",
                       json_pack("{s:i}", "inferences", probe_inferences[c]), "ok", 0);
        for (int i = 0; i < 50; i++)
            tool_once(&pr.calls[c]);
    }
    if (only >= 6 && !pr.built) {
        fprintf(stderr, "bench_nn_call: --only %s needs the probe\n", only_cases[only]);
        return 1;
    }
    double refused_rounds[MAX_ROUNDS], refused_cpu_rounds[MAX_ROUNDS];
    if (only >= 0) {
        run_only(only, pairs, &refused, &pr, calls);
        rounds = 0;
    }
    for (int r = 0; r < rounds && !failed; r++) {
        for (int p = 0; p < 2; p++)
            time_round(&pairs[p], r);
        time_refused(&refused, pairs[0].batch, &refused_rounds[r], &refused_cpu_rounds[r]);
        time_probe(&pr, r);
    }

    if (!failed && rounds > 0) {
        printf("bench_nn_call: %d rounds, medians; per call, in microseconds; arguments %s\n",
               rounds, parsed_only ? "parsed only (--parsed)" : "with their text, as served");
        printf("%-14s %-8s %12s %12s %12s %10s %10s\n", "plugin", "clock", "native us",
               "tool us", "overhead us", "tool/nat", "med ratio");
        for (int p = 0; p < 2; p++)
            report(&pairs[p], rounds);
        printf("person-detect refused before its inference (a bad image byte): %.2f us per "
               "call, %.2f us of CPU\n",
               bench_median(refused_rounds, rounds), bench_median(refused_cpu_rounds, rounds));
        if (pr.built)
            report_probe(&pr, &pairs[1], rounds);
    }
    for (int c = 0; c < PROBE_STEADY && pr.built; c++)
        tool_case_free(&pr.calls[c]);
    wc_nn_context_free(steady_context);
    tool_case_free(&refused);
    free(bad_image);

    for (int p = 0; p < 2; p++)
        tool_case_free(&pairs[p].tool);
    free(image);
    wc_registry_release(registry);
    wc_engine_free(engine);
    wc_kv_close(kv);
    wc_nn_models_release(models);
    wc_ontology_free(ontology);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", kv_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_nn_call: could not remove %s\n", kv_dir);
    return failed;
}
