/* bench_exceptions.c -- what exception handling costs in the code the
 * engine emits, on both tiers: a loop that throws and catches once an
 * iteration, the same loop entering and leaving a try around a call
 * without a throw, with a plain block around the call instead (the
 * baseline), and with a try around no call (bench/exceptions.wat).
 * Prints the thread's CPU nanoseconds per iteration (the median of --runs
 * runs of N iterations) and the first two against the block loop.
 *
 *   bench_exceptions [--runs R] [--iterations N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "util/fs.h"
#include "util/process.h"

#include "measure.h"

/* This thread's CPU time: the calls run on it, and the machine is shared. */
static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* bench/exceptions.wat through wat2wasm, as a module of engine. */
static wc_module *guest(wc_engine *engine)
{
    char wasm[256], msg[4096];
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(wasm, sizeof wasm, "%s/bench_exceptions.%d.wasm", tmp, (int)getpid());
    char *argv[] = {"wat2wasm", "--enable-exceptions", WC_SOURCE_DIR "/bench/exceptions.wat", "-o", wasm, NULL};
    if (wc_run_process(argv, msg, sizeof msg, NULL) != 0) {
        fprintf(stderr, "bench_exceptions: wat2wasm: %s\n", msg);
        return NULL;
    }
    uint8_t *bytes;
    size_t size;
    int rc = wc_read_file(wasm, 0, &bytes, &size);
    remove(wasm);
    if (rc != 0)
        return NULL;
    wc_module *m = NULL;
    wc_error err = {0};
    if (wc_module_new(engine, bytes, size, &m, &err) != 0)
        fprintf(stderr, "bench_exceptions: %s\n", err.msg);
    free(bytes);
    return m;
}

/* The median ns per iteration of export name over runs runs. */
static double per_iteration(wc_instance *inst, const char *name, uint32_t n, int runs)
{
    double samples[64];
    for (int r = 0; r < runs; r++) {
        wc_value arg = {.i32 = n}, result = {0};
        wc_error err = {0};
        double start = now_ns();
        if (wc_instance_call(inst, name, &arg, &result, &err) != WC_TRAP_NONE) {
            fprintf(stderr, "bench_exceptions: %s: %s\n", name, err.msg);
            return 0;
        }
        samples[r] = (now_ns() - start) / n;
    }
    return bench_median(samples, runs);
}

int main(int argc, char **argv)
{
    int runs = 9;
    uint32_t n = 1000000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--runs") == 0)
            runs = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--iterations") == 0)
            n = (uint32_t)strtoul(argv[i + 1], NULL, 10);
    }
    if (runs < 1 || runs > 64 || n < 1) {
        fprintf(stderr, "usage: bench_exceptions [--runs 1..64] [--iterations N]\n");
        return 2;
    }
    static const struct {
        wc_tier tier;
        const char *name;
    } tiers[] = {{WC_TIER_FAST, "fast"}, {WC_TIER_OPTIMIZED, "optimized"}};
    printf("%-10s %14s %14s %14s %10s %10s %14s\n", "tier", "throw+catch", "try, no throw", "block",
           "throw/blk", "try/blk", "try, no call");
    for (size_t t = 0; t < sizeof tiers / sizeof tiers[0]; t++) {
        wc_engine_config cfg;
        wc_engine_config_default(&cfg);
        cfg.tier = tiers[t].tier;
        cfg.cache_dir = "";
        wc_engine *engine = NULL;
        wc_error err = {0};
        if (wc_engine_new(&cfg, &engine, &err) != 0) {
            fprintf(stderr, "bench_exceptions: %s\n", err.msg);
            return 1;
        }
        wc_module *m = guest(engine);
        wc_instance *inst = NULL;
        if (!m || wc_instance_new(m, NULL, NULL, 0, &inst, NULL, &err) != 0) {
            fprintf(stderr, "bench_exceptions: %s\n", err.msg);
            return 1;
        }
        double throws = per_iteration(inst, "throws", n, runs);
        double tries = per_iteration(inst, "tries", n, runs);
        double blocks = per_iteration(inst, "blocks", n, runs);
        double inert = per_iteration(inst, "inert_tries", n, runs);
        printf("%-10s %11.1f ns %11.1f ns %11.2f ns %9.0fx %9.1fx %11.2f ns\n", tiers[t].name, throws,
               tries, blocks, throws / blocks, tries / blocks, inert);
        wc_instance_free(inst);
        wc_module_release(m);
        wc_engine_free(engine);
    }
    return 0;
}
