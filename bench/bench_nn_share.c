/* bench_nn_share.c -- the memory of many concurrent instances of a plugin
 * that share one model: the weights must count once.
 *
 *   bench_nn_share [--instances N] [--runtimes N]
 *
 * Loads person_detect.tflite (../shared/models) as a configured model and
 * the person-detect plugin (plugins/person-detect, `make -C plugins`) on
 * the optimized tier, then makes N instances (default 1,000) of the plugin
 * one after the other, each of which runs its tool once -- WASI-NN
 * load_by_name, a context, set_input, compute, get_output -- and all of
 * which stay alive, each holding its execution context, until the last has
 * run.  The process's RSS (VmRSS of /proc/self/status) is taken before the
 * model, after it, after the plugin, after one instance and after all N,
 * and the graph's counters (nn/backend.h: contexts, runtimes) say how many
 * copies of the packed weights exist.  For scale, it also loads the model
 * a second time: what one more graph (the file's bytes, the plan, the
 * packed weights) costs.  (docs/BENCHMARKS.md's figures before the runtimes
 * were shared came from this program built on that code, without the
 * counters.)
 *
 * The tool is driven as plugin/native.c drives it (the native ABI), through
 * the plugin layer's run (plugin_internal.h), so that the instances outlive
 * their calls.  Exit status 0, or 1 when an instance fails.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/wasi_nn.h"
#include "nn/backend.h"
#include "plugin/plugin_internal.h"
#include "util/clock.h"
#include "util/fs.h"

#include "measure.h"

#define MODEL WC_SOURCE_DIR "/../shared/models/person_detect.tflite"
#define PLUGIN WC_SOURCE_DIR "/plugins/person-detect/person-detect.wasm"
#define SIDE 96
#define PIXELS (SIDE * SIDE)

static char *image_arguments(void)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t px[PIXELS];
    for (int i = 0; i < PIXELS; i++)
        px[i] = (uint8_t)(i * 37 >> 3);
    char *out = malloc(PIXELS / 3 * 4 + 32), *o = out;
    o += sprintf(o, "{\"image\":\"");
    for (int i = 0; i + 3 <= PIXELS; i += 3) {
        uint32_t v = (uint32_t)px[i] << 16 | (uint32_t)px[i + 1] << 8 | px[i + 2];
        for (int k = 3; k >= 0; k--)
            *o++ = alphabet[v >> (6 * k) & 63];
    }
    sprintf(o, "\"}");
    return out;
}

/* The tool "detect" in run r's instance, as native.c calls an entry:
 * _initialize, one buffer from wasmcap_alloc for name and arguments, the
 * entry point, the result read from its memory. */
static int run_tool(wc_run *r, const char *args, char *why, size_t why_size)
{
    wc_plugin *p = r->p;
    static const char name[] = "detect";
    size_t nlen = sizeof name - 1, alen = strlen(args);
    wc_value in[4] = {{0}}, out = {0};
    if (p->init_index >= 0 &&
        wc_instance_call_index(r->inst, (uint32_t)p->init_index, NULL, NULL, NULL) != WC_TRAP_NONE)
        return snprintf(why, why_size, "_initialize trapped"), -1;
    wc_value size = {.i32 = (uint32_t)(nlen + alen)};
    if (wc_instance_call_index(r->inst, (uint32_t)p->alloc_index, &size, &out, NULL) !=
        WC_TRAP_NONE)
        return snprintf(why, why_size, "wasmcap_alloc trapped"), -1;
    uint8_t *buf = wc_instance_mem(r->inst, out.i32, (uint32_t)(nlen + alen));
    if (!buf)
        return snprintf(why, why_size, "wasmcap_alloc gave no buffer"), -1;
    memcpy(buf, name, nlen);
    memcpy(buf + nlen, args, alen);
    in[0].i32 = out.i32;
    in[1].i32 = (uint32_t)nlen;
    in[2].i32 = out.i32 + (uint32_t)nlen;
    in[3].i32 = (uint32_t)alen;
    wc_trap trap = wc_instance_call_index(r->inst, (uint32_t)p->entry[WC_ENTRY_CALL_TOOL], in,
                                          &out, NULL);
    if (trap != WC_TRAP_NONE)
        return snprintf(why, why_size, "the tool trapped: %s",
                        wc_instance_trap_message(r->inst)), -1;
    uint32_t rptr = (uint32_t)(out.i64 >> 32), rlen = (uint32_t)out.i64;
    const char *text = wc_instance_mem_view(r->inst, rptr, rlen);
    if (!text || !memmem(text, rlen, "person: ", 8))
        return snprintf(why, why_size, "answer: %.*s", text ? (int)(rlen < 300 ? rlen : 300) : 0,
                        text ? text : ""), -1;
    return 0;
}

static void show(const char *what, long kib, long since)
{
    printf("  %-46s %9.1f MiB  %+9.1f MiB\n", what, kib / 1024.0, (kib - since) / 1024.0);
}

int main(int argc, char **argv)
{
    int n = 1000;
    unsigned runtimes = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--instances") == 0 && i + 1 < argc) {
            n = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--runtimes") == 0 && i + 1 < argc) {
            runtimes = (unsigned)atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: bench_nn_share [--instances N] [--runtimes N]\n");
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (n < 2 || n > 100000) {
        fprintf(stderr, "bench_nn_share: --instances from 2 to 100000\n");
        return 2;
    }
    wc_error err = {0};
    char why[512] = "";
    size_t model_bytes = 0;
    uint8_t *model_file = NULL;
    if (wc_read_file(MODEL, 0, &model_file, &model_bytes)) {
        fprintf(stderr, "bench_nn_share: cannot read %s\n", MODEL);
        return 1;
    }
    free(model_file);

    wc_engine *engine = NULL;
    wc_engine_config ec;
    wc_engine_config_default(&ec);
    ec.tier = WC_TIER_OPTIMIZED;
    ec.cache_dir = "";
    ec.track_writes = true; /* as wasmcap serve runs plugins (cli/setup.c) */
    if (wc_engine_new(&ec, &engine, &err)) {
        fprintf(stderr, "bench_nn_share: engine: %s\n", err.msg);
        return 1;
    }
    long start = bench_status_kib(0, "VmRSS");
    wc_nn_models *models = wc_nn_models_new(&err);
    if (!models || wc_nn_models_add(models, "person_detect", MODEL, NULL, NULL, &err)) {
        fprintf(stderr, "bench_nn_share: model: %s\n", err.msg);
        return 1;
    }
    wc_nn_graph *graph = wc_nn_models_find(models, "person_detect", 13);
    if (runtimes)
        wc_nn_graph_set_max_runtimes(graph, runtimes);
    long with_model = bench_status_kib(0, "VmRSS");

    char *grant[] = {"person_detect"};
    wc_plugin_config pc = {.name = "person-detect", .path = PLUGIN, .prefix = "person-detect"};
    pc.perms.nn_library = models;
    pc.perms.nn_models = grant;
    pc.perms.n_nn_models = 1;
    pc.perms.timeout_ms = 600000; /* the first instances live while the others are made */
    pc.perms.nn_max_contexts = 1;
    wc_plugin *p = NULL;
    if (wc_plugin_load(&pc, engine, NULL, &p, &err)) {
        fprintf(stderr, "bench_nn_share: %s (make -C plugins first)\n", wc_error_message(&err));
        return 1;
    }
    long with_plugin = bench_status_kib(0, "VmRSS");

    /* One more copy of the model, packed: what each instance would hold if
     * contexts packed their own weights (malloc's bytes in use, as RSS
     * would also count pages the allocator had already). */
    size_t copy_bytes = 0;
    {
        uint8_t *bytes = NULL;
        size_t size = 0;
        wc_nn_graph *again = NULL;
        struct mallinfo2 before = mallinfo2();
        if (wc_read_file(MODEL, 0, &bytes, &size) == 0 &&
            wc_nn_graph_load(bytes, size, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU, &again,
                             &err) == 0) {
            free(bytes);
            bytes = NULL;
            struct mallinfo2 after = mallinfo2();
            copy_bytes = (after.uordblks + after.hblkhd) - (before.uordblks + before.hblkhd);
        }
        free(bytes);
        wc_nn_graph_free(again);
    }

    char *args = image_arguments();
    wc_run *runs = calloc((size_t)n, sizeof *runs);
    int alive = 0, failed = 0;
    long after_one = 0;
    uint64_t t0 = wc_monotonic_ns();
    for (int i = 0; i < n && !failed; i++) {
        wc_wasi_config none = {0};
        if (wc_run_begin(&runs[i], p, NULL, p->needs_wasi ? &none : NULL) ||
            run_tool(&runs[i], args, why, sizeof why)) {
            fprintf(stderr, "bench_nn_share: instance %d: %s%s\n", i, runs[i].msg, why);
            failed = 1;
        }
        alive = i + 1;
        if (i == 0)
            after_one = bench_status_kib(0, "VmRSS");
    }
    double seconds = (double)(wc_monotonic_ns() - t0) / 1e9;
    long with_all = bench_status_kib(0, "VmRSS");
    wc_nn_graph_stats st;
    wc_nn_graph_stats_get(graph, &st);
    uint64_t guest_bytes = 0;
    for (int i = 0; i < alive; i++)
        if (runs[i].inst && wc_instance_memory(runs[i].inst))
            guest_bytes += wc_memory_size(wc_instance_memory(runs[i].inst));
    for (int i = 0; i < alive; i++)
        wc_run_end(&runs[i]);
    long after_end = bench_status_kib(0, "VmRSS");

    printf("bench_nn_share: %d instances of person-detect, each ran its tool once and holds its "
           "context (%.2f s to make and run them all)\n",
           alive, seconds);
    printf("  model file %zu bytes (%.1f KiB)\n", model_bytes, model_bytes / 1024.0);
    printf("  %-46s %13s  %13s\n", "", "VmRSS", "step");
    show("engine", start, start);
    show("+ the model loaded (weights packed once)", with_model, start);
    show("+ the plugin compiled", with_plugin, with_model);
    show("+ 1 instance alive, its tool run", after_one, with_plugin);
    char label[64];
    snprintf(label, sizeof label, "+ %d instances alive, each tool run", alive);
    show(label, with_all, after_one);
    show("all instances freed", after_end, with_all);
    printf("  per instance: %.1f KiB (their linear memories: %.1f KiB each, touched or not)\n",
           (double)(with_all - after_one) / (alive - 1), (double)guest_bytes / 1024 / alive);
    printf("  graph: %u contexts were alive, %u runtime(s) (copies of the packed weights; bound "
           "%u), %llu computes, %llu waits\n",
           st.contexts, st.runtimes, st.max_runtimes, (unsigned long long)st.computes,
           (unsigned long long)st.waits);
    failed |= st.runtimes > st.max_runtimes;
    printf("  one more graph of the model (its bytes, plan and packed weights): %.1f KiB "
           "allocated, %.1f KiB besides the file's bytes\n",
           copy_bytes / 1024.0, (copy_bytes - (double)model_bytes) / 1024.0);
    free(runs);
    free(args);
    wc_plugin_free(p);
    wc_nn_models_release(models);
    wc_engine_free(engine);
    return failed;
}
