/* bench_first_call.c -- where a fast-tier first call goes, phase by phase.
 *
 *   bench_first_call [--runs N] [--track-writes] [--gcc-unit] FILE.wasm...
 *
 * For each module: decode and validate (wc_decode), emit the C unit
 * (wc_emit), compile and link it with libtcc (wc_code_compile_fast), then
 * the whole of wc_module_new on the fast tier and a first instance with
 * its first call of no export (wc_instance_new + free), each timed alone;
 * medians of N runs (default 21) after one warm-up.  Also the size of the
 * unit's C text, so a change to the emitter shows what it cost or saved in
 * bytes as well as in time.  Writes are not tracked unless --track-writes
 * (bench_engine's section 1 does not track them; the plugin host does).
 * --gcc-unit gives libtcc the unit emitted for gcc (wc_emit) instead of its
 * own (wc_emit_for_tcc), to compare the two spellings in one run.  The phases are run separately, so their sum
 * may differ from the whole by the module's own bookkeeping.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/code.h"
#include "engine/decode.h"
#include "engine/emit.h"
#include "engine/engine.h"
#include "util/fs.h"

#include "measure.h"

/* CPU time of this thread: the machine is shared, and waiting for a core
 * is not the compiler's time. */
static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define MAX_RUNS 201

typedef struct phases {
    double decode, emit, compile, module_new, instance;
    size_t c_bytes;
} phases;

static void fail(const char *what, const wc_error *err)
{
    fprintf(stderr, "bench_first_call: %s: %s\n", what, err->msg);
    exit(1);
}

static bool track_writes, gcc_unit;

static phases measure_once(wc_engine *engine, const uint8_t *bytes, size_t size)
{
    phases p = {0};
    wc_error err = {0};
    wc_decode_limits limits;
    wc_decode_limits_default(&limits);

    uint64_t t0 = now_ns();
    wc_module_info *info = NULL;
    if (wc_decode(bytes, size, &limits, &info, &err) != 0)
        fail("decode", &err);
    uint64_t t1 = now_ns();
    wc_buf source;
    wc_buf_init(&source);
    if ((gcc_unit ? wc_emit : wc_emit_for_tcc)(info, track_writes, &source, &err) != 0 || !wc_buf_cstr(&source))
        fail("emit", &err);
    uint64_t t2 = now_ns();
    wc_code *code = NULL;
    if (wc_code_compile_fast((const char *)source.data, source.len, &code, &err) != 0)
        fail("compile", &err);
    uint64_t t3 = now_ns();
    p.c_bytes = source.len;
    wc_code_free(code);
    wc_buf_free(&source);
    wc_module_info_free(info);

    uint64_t t4 = now_ns();
    wc_module *m = NULL;
    if (wc_module_new(engine, bytes, size, &m, &err) != 0)
        fail("wc_module_new", &err);
    uint64_t t5 = now_ns();
    wc_instance *inst = NULL;
    if (wc_instance_new(m, NULL, NULL, 0, &inst, NULL, &err) != 0) {
        /* a module with imports cannot be instantiated bare: no figure */
        inst = NULL;
    }
    uint64_t t6 = now_ns();
    wc_instance_free(inst);
    wc_module_release(m);

    p.decode = (double)(t1 - t0) / 1e6;
    p.emit = (double)(t2 - t1) / 1e6;
    p.compile = (double)(t3 - t2) / 1e6;
    p.module_new = (double)(t5 - t4) / 1e6;
    p.instance = inst ? (double)(t6 - t5) / 1e6 : -1;
    return p;
}

int main(int argc, char **argv)
{
    int runs = 21, first = 1;
    for (;;) {
        if (first + 1 < argc && strcmp(argv[first], "--runs") == 0) {
            runs = atoi(argv[first + 1]);
            first += 2;
        } else if (first < argc && strcmp(argv[first], "--track-writes") == 0) {
            track_writes = true;
            first++;
        } else if (first < argc && strcmp(argv[first], "--gcc-unit") == 0) {
            gcc_unit = true;
            first++;
        } else {
            break;
        }
    }
    if (runs < 1 || runs > MAX_RUNS || first >= argc) {
        fprintf(stderr, "usage: bench_first_call [--runs N (1-%d)] [--track-writes] [--gcc-unit] FILE.wasm...\n",
                MAX_RUNS);
        return 2;
    }
    wc_engine_config config = {.tier = WC_TIER_FAST, .track_writes = track_writes};
    wc_engine *engine = NULL;
    wc_error err = {0};
    if (wc_engine_new(&config, &engine, &err) != 0)
        fail("wc_engine_new", &err);

    printf("%-28s %9s %8s %8s %8s %8s %10s %9s\n", "module (fast tier, ms)", "C KiB", "decode",
           "emit", "libtcc", "total", "module_new", "instance");
    for (int i = first; i < argc; i++) {
        uint8_t *bytes;
        size_t size;
        int rc = wc_read_file(argv[i], 0, &bytes, &size);
        if (rc) {
            fprintf(stderr, "bench_first_call: cannot read %s: %s\n", argv[i], strerror(-rc));
            return 1;
        }
        measure_once(engine, bytes, size); /* warm-up */
        static double d[5][MAX_RUNS];
        size_t c_bytes = 0;
        for (int r = 0; r < runs; r++) {
            phases p = measure_once(engine, bytes, size);
            d[0][r] = p.decode;
            d[1][r] = p.emit;
            d[2][r] = p.compile;
            d[3][r] = p.module_new;
            d[4][r] = p.instance;
            c_bytes = p.c_bytes;
        }
        double med[5];
        for (int j = 0; j < 5; j++)
            med[j] = bench_median(d[j], runs);
        const char *name = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
        char label[64];
        snprintf(label, sizeof label, "%s %.0f KiB", name, (double)size / 1024.0);
        printf("%-28s %9.1f %8.2f %8.2f %8.2f %8.2f %10.2f %9.3f\n", label,
               (double)c_bytes / 1024.0, med[0], med[1], med[2], med[0] + med[1] + med[2], med[3],
               med[4]);
        fflush(stdout);
        free(bytes);
    }
    wc_engine_free(engine);
    return 0;
}
