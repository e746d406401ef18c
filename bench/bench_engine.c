/* bench_engine.c -- the engine's performance figures against their targets.
 *
 *   bench_engine [--quick] [--json] [--examples DIR]
 *                [--kernel-wasm FILE --kernel-native FILE]
 *                [--cycles N] [--runs N] [--cycles-only | --kernels-only]
 *                [--kernel NAME] [--track-writes]
 *
 * 1. compile time per tier for every examples/NAME/NAME.wasm, the compute
 *    kernel and a small hand-assembled module: fast tier (libtcc), optimized
 *    tier cold (gcc -O2 into an empty cache directory) and warm (a second
 *    engine on the same cache directory: a cache hit); medians.
 * 2. instantiate + call + free of a tiny module (one exported function, one
 *    page of memory, no imports; and the same without memory) on each tier:
 *    p50/p90/p99 of individually timed cycles, and the mean over batches;
 *    then with writes tracked, as the plugin host runs modules, the one-page
 *    module and one with 16 pages (1 MiB) that writes near its end: a
 *    memory above 256 KiB, as Extism's Rust plugins have.
 * 3. compute kernels (bench/kernel.c, built natively and to wasm by
 *    bench/run.sh) natively and on both tiers: times and ratios.
 * 4. RSS, virtual size and memory-pool counters before and after the
 *    100,000 cycles of 2.
 *
 * --cycles-only runs 2 and 4 alone; --kernels-only runs 3 alone.  --kernel
 * NAME (mix, sieve or collatz) runs that kernel alone, for a profiler's count
 * of one kernel; --track-writes runs the kernels with writes tracked, as
 * plugins run (section 2 always times both).
 *
 * Every cache directory lives under one temporary directory created here and
 * removed at the end.  --quick runs fewer repetitions and smaller kernels
 * (a smoke test, not figures to publish).  Exit status 0 when everything ran,
 * whether or not targets were met; 1 on an error.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/runtime/runtime.h"
#include "util/fs.h"

#include "measure.h"

/* ---- options ------------------------------------------------------------ */

static struct {
    bool quick, json, cycles_only, kernels_only, track_writes;
    const char *examples_dir;
    const char *only_kernel; /* NULL: every kernel */
    const char *kernel_wasm, *kernel_native;
    long cycles; /* instantiate+call+free cycles per variant */
    int runs;    /* compile-time repetitions (fast tier, warm cache) */
    int cold_runs;
    int kernel_runs;
    double kernel_scale;
} opt = {
    .examples_dir = "examples",
    .cycles = 100000,
    .runs = 7,
    .cold_runs = 3,
    .kernel_runs = 5,
    .kernel_scale = 1.0,
};

static char temp_root[4096];

/* ---- small helpers ------------------------------------------------------ */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench_engine: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    /* progress goes to stderr so that --json output stays clean */
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The nearest-rank percentile of sorted samples. */
static uint32_t percentile(const uint32_t *sorted, size_t n, double p)
{
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return sorted[rank - 1];
}

static void make_dir(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char made_dirs[256][4200];
static int nmade_dirs;

/* Creates a directory under temp_root, remembered for cleanup. */
static void make_dir(const char *fmt, ...)
{
    if (nmade_dirs == (int)(sizeof made_dirs / sizeof made_dirs[0]))
        die("too many temporary directories");
    char name[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    char *path = made_dirs[nmade_dirs++];
    if (snprintf(path, sizeof made_dirs[0], "%s/%s", temp_root, name) >= (int)sizeof made_dirs[0])
        die("temporary path too long");
    if (mkdir(path, 0700) != 0)
        die("mkdir %s: %s", path, strerror(errno));
}

static const char *last_dir(void)
{
    return made_dirs[nmade_dirs - 1];
}

static void cleanup_dirs(void)
{
    for (int i = nmade_dirs - 1; i >= 0; i--)
        wc_remove_dir(made_dirs[i]);
    nmade_dirs = 0;
    if (temp_root[0])
        wc_remove_dir(temp_root);
    temp_root[0] = 0;
}

static wc_engine *engine_new_tracking(wc_tier tier, const char *cache_dir, bool track_writes)
{
    wc_engine_config cfg;
    wc_engine_config_default(&cfg);
    cfg.tier = tier;
    cfg.cache_dir = cache_dir;
    cfg.track_writes = track_writes;
    wc_engine *engine;
    wc_error err = {0};
    if (wc_engine_new(&cfg, &engine, &err) != 0)
        die("wc_engine_new: %s", err.msg);
    return engine;
}

static wc_engine *engine_new(wc_tier tier, const char *cache_dir)
{
    return engine_new_tracking(tier, cache_dir, false);
}

static wc_module *module_new(wc_engine *engine, const uint8_t *bytes, size_t size, wc_tier want,
                             const char *what)
{
    wc_module *m;
    wc_error err = {0};
    if (wc_module_new(engine, bytes, size, &m, &err) != 0)
        die("%s: wc_module_new: %s", what, err.msg);
    if (wc_module_tier(m) != want)
        die("%s: module runs on the %s tier, expected %s", what,
            wc_module_tier(m) == WC_TIER_FAST ? "fast" : "optimized",
            want == WC_TIER_FAST ? "fast" : "optimized");
    return m;
}

static const char *tier_name(wc_tier tier)
{
    return tier == WC_TIER_FAST ? "fast" : "optimized";
}

/* ---- results ------------------------------------------------------------ */

enum { NO_TARGET, TARGET_LE }; /* a row is either informative or value <= target */

typedef struct row {
    char section[16];
    char name[96];
    double value;
    char unit[8];
    char detail[160];
    int target_kind;
    double target, stretch; /* stretch <= 0: none */
    char target_text[48];
} row;

static row rows[256];
static int nrows;

static row *add_row(const char *section, const char *unit, double value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static row *add_row(const char *section, const char *unit, double value, const char *fmt, ...)
{
    if (nrows == (int)(sizeof rows / sizeof rows[0]))
        die("too many result rows");
    row *r = &rows[nrows++];
    memset(r, 0, sizeof *r);
    snprintf(r->section, sizeof r->section, "%s", section);
    snprintf(r->unit, sizeof r->unit, "%s", unit);
    r->value = value;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->name, sizeof r->name, fmt, ap);
    va_end(ap);
    return r;
}

static void set_detail(row *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_detail(row *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    va_end(ap);
}

static void set_target(row *r, double target, double stretch, const char *text)
{
    r->target_kind = TARGET_LE;
    r->target = target;
    r->stretch = stretch;
    snprintf(r->target_text, sizeof r->target_text, "%s", text);
}

static const char *row_status(const row *r)
{
    if (r->target_kind == NO_TARGET)
        return "";
    if (r->value > r->target)
        return "MISSED";
    if (r->stretch > 0)
        return r->value <= r->stretch ? "met (stretch met)" : "met (stretch missed)";
    return "met";
}

static void format_value(const row *r, char *out, size_t size)
{
    double v = r->value;
    if (strcmp(r->unit, "x") == 0)
        snprintf(out, size, "%.2fx", v);
    else if (strcmp(r->unit, "KiB") == 0 || strcmp(r->unit, "") == 0)
        snprintf(out, size, "%.0f%s%s", v, r->unit[0] ? " " : "", r->unit);
    else if (v >= 100)
        snprintf(out, size, "%.0f %s", v, r->unit);
    else if (v >= 10)
        snprintf(out, size, "%.1f %s", v, r->unit);
    else
        snprintf(out, size, "%.3g %s", v, r->unit);
}

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void read_text(const char *path, const char *key, char *out, size_t size);

static void print_results(void)
{
    char cpu[256] = "unknown", load[128] = "unknown";
    read_text("/proc/cpuinfo", "model name", cpu, sizeof cpu);
    read_text("/proc/loadavg", NULL, load, sizeof load);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    time_t t = time(NULL);
    char date[64];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));

    if (opt.json) {
        printf("{\n  \"date\": ");
        json_string(date);
        printf(",\n  \"cpu\": ");
        json_string(cpu);
        printf(",\n  \"nproc\": %ld,\n  \"loadavg_at_end\": ", ncpu);
        json_string(load);
        printf(",\n  \"quick\": %s,\n  \"results\": [\n", opt.quick ? "true" : "false");
        for (int i = 0; i < nrows; i++) {
            const row *r = &rows[i];
            printf("    {\"section\": ");
            json_string(r->section);
            printf(", \"name\": ");
            json_string(r->name);
            printf(", \"value\": %.6g, \"unit\": ", r->value);
            json_string(r->unit);
            printf(", \"detail\": ");
            json_string(r->detail);
            if (r->target_kind == TARGET_LE) {
                printf(", \"target_max\": %.6g", r->target);
                if (r->stretch > 0)
                    printf(", \"stretch_max\": %.6g", r->stretch);
                printf(", \"status\": ");
                json_string(row_status(r));
            }
            printf("}%s\n", i + 1 < nrows ? "," : "");
        }
        printf("  ]\n}\n");
        return;
    }

    printf("wasmcap engine benchmark%s -- %s\n", opt.quick ? " (--quick: smoke test only)" : "",
           date);
    printf("cpu: %s, nproc %ld, loadavg at end: %s\n", cpu, ncpu, load);
    static const char *sections[] = {"1. compile", "2. cycle", "3. compute", "4. memory"};
    static const char *titles[] = {
        "1. compile time (wc_module_new)",
        "2. instantiate + call + free, per cycle",
        "3. compute kernels",
        "4. memory over the cycles of 2",
    };
    for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++) {
        bool header = false;
        for (int i = 0; i < nrows; i++) {
            const row *r = &rows[i];
            if (strcmp(r->section, sections[s]) != 0)
                continue;
            if (!header) {
                printf("\n%-54s %11s  %-20s %s\n", titles[s], "value", "target",
                       "status; detail");
                header = true;
            }
            char value[48];
            format_value(r, value, sizeof value);
            const char *status = row_status(r);
            printf("  %-52s %11s  %-20s %s%s%s\n", r->name, value,
                   r->target_kind == TARGET_LE ? r->target_text : "-", status,
                   status[0] && r->detail[0] ? "; " : "", r->detail);
        }
    }
}

static void copy_text(char *out, size_t size, const char *s)
{
    size_t n = strlen(s);
    if (n >= size)
        n = size - 1;
    memcpy(out, s, n);
    out[n] = 0;
}

/* The value of the first "key : value" line (key NULL: the first line). */
static void read_text(const char *path, const char *key, char *out, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (!key) {
            copy_text(out, size, line);
            break;
        }
        if (strncmp(line, key, strlen(key)) == 0) {
            const char *colon = strchr(line, ':');
            if (colon) {
                colon++;
                while (*colon == ' ' || *colon == '\t')
                    colon++;
                copy_text(out, size, colon);
                break;
            }
        }
    }
    fclose(f);
}

/* ---- the hand-assembled modules ----------------------------------------- */

/* (module
 *   (memory 1)
 *   (func (export "f") (param i32 i32) (result i32)
 *     (i32.store (i32.const 0) (i32.add (local.get 0) (local.get 1)))
 *     (i32.shl (i32.load (i32.const 0)) (i32.const 1))))      f(3, 4) = 14 */
static const uint8_t tiny_mem_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, /* type (i32 i32) -> i32 */
    0x03, 0x02, 0x01, 0x00,                               /* func 0: type 0 */
    0x05, 0x03, 0x01, 0x00, 0x01,                         /* memory min 1 */
    0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00,             /* export "f" func 0 */
    0x0a, 0x16, 0x01, 0x14, 0x00,                         /* code: 1 body, no locals */
    0x41, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x36, 0x02, 0x00,
    0x41, 0x00, 0x28, 0x02, 0x00, 0x41, 0x01, 0x74, 0x0b,
};

/* The same with (memory 16) and its word at 983040 (0xf0000, in the last
 * 64 KiB page) instead of 0.                                  f(3, 4) = 14 */
static const uint8_t big_mem_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,
    0x03, 0x02, 0x01, 0x00,
    0x05, 0x03, 0x01, 0x00, 0x10,                         /* memory min 16 */
    0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00,
    0x0a, 0x1a, 0x01, 0x18, 0x00,
    0x41, 0x80, 0x80, 0x3c, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x36, 0x02, 0x00,
    0x41, 0x80, 0x80, 0x3c, 0x28, 0x02, 0x00, 0x41, 0x01, 0x74, 0x0b,
};

/* (module (func (export "f") (param i32 i32) (result i32)
 *           (i32.add (local.get 0) (local.get 1))))                f(3, 4) = 7 */
static const uint8_t tiny_nomem_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,
    0x03, 0x02, 0x01, 0x00,
    0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00,
    0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,
};

/* ---- 1. compile time ---------------------------------------------------- */

typedef struct wasm_file {
    char name[64];
    uint8_t *bytes;
    size_t size;
    bool owned;
} wasm_file;

static wasm_file files[32];
static int nfiles;

static void add_file(const char *name, const uint8_t *bytes, size_t size, bool owned)
{
    if (nfiles == (int)(sizeof files / sizeof files[0]))
        die("too many modules");
    wasm_file *f = &files[nfiles++];
    snprintf(f->name, sizeof f->name, "%s", name);
    f->bytes = (uint8_t *)bytes;
    f->size = size;
    f->owned = owned;
}

static void load_file(const char *name, const char *path)
{
    uint8_t *data;
    size_t size;
    int rc = wc_read_file(path, 0, &data, &size);
    if (rc)
        die("cannot read %s: %s", path, strerror(-rc));
    add_file(name, data, size, true);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* examples/NAME/NAME.wasm, in name order */
static void load_examples(void)
{
    DIR *d = opendir(opt.examples_dir);
    if (!d) {
        note("note: no examples directory %s; section 1 covers the other modules only\n",
             opt.examples_dir);
        return;
    }
    char *names[32];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 32) {
        if (e->d_name[0] == '.')
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s/%s.wasm", opt.examples_dir, e->d_name, e->d_name);
        if (access(path, R_OK) == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp_name);
    for (int i = 0; i < n; i++) {
        char path[4200], name[64];
        snprintf(path, sizeof path, "%s/%s/%s.wasm", opt.examples_dir, names[i], names[i]);
        snprintf(name, sizeof name, "%s.wasm", names[i]);
        load_file(name, path);
        free(names[i]);
    }
}

/* Times one wc_module_new; the module is released. */
static double time_compile(wc_engine *engine, const wasm_file *f, wc_tier want)
{
    uint64_t t0 = now_ns();
    wc_module *m = module_new(engine, f->bytes, f->size, want, f->name);
    uint64_t t1 = now_ns();
    wc_module_release(m);
    return (double)(t1 - t0) / 1e6;
}

static void bench_compile(void)
{
    note("1. compile time:");
    /* Warm-up: the first optimized compile of the process also computes the
     * toolchain id (runs wasm2c --version and gcc -dumpfullversion). */
    make_dir("warmup");
    wc_engine *warm = engine_new(WC_TIER_OPTIMIZED, last_dir());
    wc_module_release(module_new(warm, tiny_mem_wasm, sizeof tiny_mem_wasm, WC_TIER_OPTIMIZED,
                                 "warm-up"));
    wc_engine_free(warm);

    wc_engine *fast = engine_new(WC_TIER_FAST, "");
    double v[64];
    for (int i = 0; i < nfiles; i++) {
        const wasm_file *f = &files[i];
        note(" %s", f->name);
        double kb = (double)f->size / 1024.0;

        time_compile(fast, f, WC_TIER_FAST); /* warm-up */
        for (int r = 0; r < opt.runs; r++)
            v[r] = time_compile(fast, f, WC_TIER_FAST);
        double fast_ms = bench_median(v, opt.runs);
        row *rf = add_row("1. compile", "ms", fast_ms, "%s (%.1f KiB): fast tier", f->name, kb);
        set_detail(rf, "median of %d, min %.2f max %.2f", opt.runs, v[0], v[opt.runs - 1]);

        for (int r = 0; r < opt.cold_runs; r++) {
            make_dir("cold-%d-%d", i, r);
            wc_engine *e = engine_new(WC_TIER_OPTIMIZED, last_dir());
            v[r] = time_compile(e, f, WC_TIER_OPTIMIZED);
            wc_engine_free(e);
        }
        double cold_ms = bench_median(v, opt.cold_runs);
        row *rc = add_row("1. compile", "ms", cold_ms, "%s: optimized, cold cache", f->name);
        set_detail(rc, "median of %d, min %.1f max %.1f", opt.cold_runs, v[0],
                   v[opt.cold_runs - 1]);

        /* A second engine on the directory the last cold run filled. */
        wc_engine *e = engine_new(WC_TIER_OPTIMIZED, last_dir());
        time_compile(e, f, WC_TIER_OPTIMIZED); /* warm-up */
        for (int r = 0; r < opt.runs; r++)
            v[r] = time_compile(e, f, WC_TIER_OPTIMIZED);
        wc_engine_free(e);
        double warm_ms = bench_median(v, opt.runs);
        row *rw = add_row("1. compile", "ms", warm_ms, "%s: optimized, warm cache", f->name);
        set_detail(rw, "median of %d, min %.2f max %.2f", opt.runs,
                   v[0], v[opt.runs - 1]);
        char text[48];
        snprintf(text, sizeof text, "< fast (%.2f ms)", fast_ms);
        set_target(rw, fast_ms, 0, text);
    }
    wc_engine_free(fast);
    note("\n");
}

/* ---- 2 and 4. instantiate + call + free --------------------------------- */

typedef struct vm_stat {
    long vsz_kib, rss_kib;
} vm_stat;

static vm_stat read_statm(void)
{
    vm_stat s = {0, 0};
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &resident) != 2)
            size = resident = 0;
        fclose(f);
    }
    long page_kib = sysconf(_SC_PAGESIZE) / 1024;
    s.vsz_kib = size * page_kib;
    s.rss_kib = resident * page_kib;
    return s;
}

typedef struct cycle_ctx {
    wc_module *module;
    uint32_t expect;
} cycle_ctx;

static inline void cycle(const cycle_ctx *c)
{
    wc_instance *inst;
    wc_error err;
    if (wc_instance_new(c->module, NULL, NULL, 0, &inst, NULL, &err) != 0)
        die("wc_instance_new: %s", err.msg);
    wc_value args[2] = {{.i32 = 3}, {.i32 = 4}}, result[1];
    if (wc_instance_call(inst, "f", args, result, &err) != WC_TRAP_NONE)
        die("call: %s", err.msg);
    if (result[0].i32 != c->expect)
        die("f(3, 4) returned %" PRIu32 ", expected %" PRIu32, result[0].i32, c->expect);
    wc_instance_free(inst);
}

static void bench_cycles(const char *variant, wc_module *m, uint32_t expect, uint32_t *samples)
{
    cycle_ctx c = {m, expect};
    const char *tier = tier_name(wc_module_tier(m));
    long n = opt.cycles;
    long warmup = n / 10 < 1000 ? 1000 : n / 10;
    for (long i = 0; i < warmup; i++)
        cycle(&c);

    wc_rt_pool_stats pool0, pool1;
    wc_rt_pool_stats_get(&pool0);
    vm_stat vm0 = read_statm();
    for (long i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        cycle(&c);
        uint64_t t1 = now_ns();
        uint64_t d = t1 - t0;
        samples[i] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
    }
    vm_stat vm1 = read_statm();
    wc_rt_pool_stats_get(&pool1);

    /* The same number of cycles timed in batches of 100: no timer in the
     * loop, a check on the per-cycle figures. */
    long batches = n / 100;
    double *batch_us = malloc((size_t)(batches ? batches : 1) * sizeof *batch_us);
    if (!batch_us)
        die("out of memory");
    uint64_t total = 0;
    for (long b = 0; b < batches; b++) {
        uint64_t t0 = now_ns();
        for (int i = 0; i < 100; i++)
            cycle(&c);
        uint64_t d = now_ns() - t0;
        total += d;
        batch_us[b] = (double)d / 100 / 1000.0;
    }
    double batch_median = batches ? bench_median(batch_us, (int)batches) : 0;
    free(batch_us);

    qsort(samples, (size_t)n, sizeof *samples, cmp_u32);
    double p50 = percentile(samples, (size_t)n, 50) / 1000.0;
    double p90 = percentile(samples, (size_t)n, 90) / 1000.0;
    double p99 = percentile(samples, (size_t)n, 99) / 1000.0;
    double p999 = percentile(samples, (size_t)n, 99.9) / 1000.0;
    double max = samples[n - 1] / 1000.0;

    row *r = add_row("2. cycle", "us", p50, "%s, %s tier: p50", variant, tier);
    set_target(r, 5.0, 1.0, "<= 5 us (stretch 1)");
    set_detail(r, "%ld cycles timed one by one", n);
    add_row("2. cycle", "us", p90, "%s, %s tier: p90", variant, tier);
    r = add_row("2. cycle", "us", p99, "%s, %s tier: p99", variant, tier);
    set_detail(r, "p99.9 %.2f us, max %.1f us", p999, max);
    r = add_row("2. cycle", "us", batches ? (double)total / (double)(batches * 100) / 1000.0 : 0,
                "%s, %s tier: mean, batches of 100", variant, tier);
    set_detail(r, "median batch %.3f us/cycle", batch_median);

    double rss_delta = (double)(vm1.rss_kib - vm0.rss_kib);
    double vsz_delta = (double)(vm1.vsz_kib - vm0.vsz_kib);
    r = add_row("4. memory", "KiB", rss_delta, "%s, %s tier: RSS delta", variant, tier);
    set_target(r, 256, 0, "<= 256 KiB (flat)");
    set_detail(r, "RSS %ld -> %ld KiB over %ld cycles", vm0.rss_kib, vm1.rss_kib, n);
    r = add_row("4. memory", "KiB", vsz_delta, "%s, %s tier: VSZ delta", variant, tier);
    set_target(r, 0, 0, "0 (flat)");
    set_detail(r, "VSZ %.1f -> %.1f GiB", vm0.vsz_kib / 1048576.0, vm1.vsz_kib / 1048576.0);
    double d_reserved = (double)pool1.reserved - (double)pool0.reserved;
    double d_in_use = (double)pool1.in_use - (double)pool0.in_use;
    double pool_delta = d_reserved < 0 ? -d_reserved : d_reserved;
    pool_delta += d_in_use < 0 ? -d_in_use : d_in_use;
    r = add_row("4. memory", "", pool_delta, "%s, %s tier: pool slots delta",
                variant, tier);
    set_target(r, 0, 0, "0 (flat)");
    set_detail(r, "|d reserved|+|d in use|; reserved %zu -> %zu, pooled %zu -> %zu, in use %zu -> %zu", pool0.reserved,
               pool1.reserved, pool0.pooled, pool1.pooled, pool0.in_use, pool1.in_use);
}

static void bench_instantiate(void)
{
    note("2. instantiate+call+free:");
    uint32_t *samples = malloc((size_t)opt.cycles * sizeof *samples);
    if (!samples)
        die("out of memory");
    memset(samples, 0, (size_t)opt.cycles * sizeof *samples); /* resident before measuring */

    make_dir("cycles");
    wc_engine *fast = engine_new(WC_TIER_FAST, "");
    wc_engine *optimized = engine_new(WC_TIER_OPTIMIZED, last_dir());
    wc_engine *fast_tracked = engine_new_tracking(WC_TIER_FAST, "", true);
    wc_engine *optimized_tracked = engine_new_tracking(WC_TIER_OPTIMIZED, last_dir(), true);
    static const struct {
        const char *variant;
        const uint8_t *bytes;
        size_t size;
        uint32_t expect;
        bool tracked;
    } variants[] = {
        {"1-page memory", tiny_mem_wasm, sizeof tiny_mem_wasm, 14, false},
        {"no memory", tiny_nomem_wasm, sizeof tiny_nomem_wasm, 7, false},
        {"1-page memory, writes tracked", tiny_mem_wasm, sizeof tiny_mem_wasm, 14, true},
        {"16-page memory (1 MiB), writes tracked", big_mem_wasm, sizeof big_mem_wasm, 14, true},
    };
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        for (int t = 0; t < 2; t++) {
            wc_tier tier = t == 0 ? WC_TIER_FAST : WC_TIER_OPTIMIZED;
            note(" %s/%s", variants[v].variant, tier_name(tier));
            wc_engine *engine = variants[v].tracked ? (t == 0 ? fast_tracked : optimized_tracked)
                                                    : (t == 0 ? fast : optimized);
            wc_module *m = module_new(engine, variants[v].bytes, variants[v].size, tier,
                                      variants[v].variant);
            bench_cycles(variants[v].variant, m, variants[v].expect, samples);
            wc_module_release(m);
        }
    }
    wc_engine_free(fast);
    wc_engine_free(optimized);
    wc_engine_free(fast_tracked);
    wc_engine_free(optimized_tracked);
    free(samples);
    note("\n");
}

/* ---- 3. compute kernels ------------------------------------------------- */

typedef uint64_t (*kernel_u64_fn)(uint32_t);
typedef uint32_t (*kernel_sieve_fn)(uint32_t, uint32_t);

typedef struct kernel {
    const char *name, *export_name;
    uint32_t a, b; /* arguments; b unused by one-argument kernels */
} kernel;

static uint64_t run_native(void *fn, const kernel *k, uint32_t a)
{
    if (strcmp(k->export_name, "kernel_sieve") == 0)
        return ((kernel_sieve_fn)fn)(a, k->b);
    return ((kernel_u64_fn)fn)(a);
}

static uint64_t run_wasm(wc_instance *inst, const kernel *k, uint32_t a)
{
    wc_value args[2] = {{.i32 = a}, {.i32 = k->b}}, result[1] = {{.i64 = 0}};
    wc_error err = {0};
    if (wc_instance_call(inst, k->export_name, args, result, &err) != WC_TRAP_NONE)
        die("%s: %s", k->export_name, err.msg);
    if (strcmp(k->export_name, "kernel_sieve") == 0)
        return result[0].i32;
    return result[0].i64;
}

static void bench_kernels(void)
{
    if (!opt.kernel_wasm || !opt.kernel_native) {
        note("3. compute: skipped (needs --kernel-wasm and --kernel-native; see bench/run.sh)\n");
        return;
    }
    note("3. compute:");
    void *dl = dlopen(opt.kernel_native, RTLD_NOW | RTLD_LOCAL);
    if (!dl)
        die("dlopen %s: %s", opt.kernel_native, dlerror());
    uint8_t *bytes;
    size_t size;
    int rc = wc_read_file(opt.kernel_wasm, 0, &bytes, &size);
    if (rc)
        die("cannot read %s: %s", opt.kernel_wasm, strerror(-rc));

    make_dir("kernel");
    wc_engine *engines[2] = {engine_new_tracking(WC_TIER_FAST, "", opt.track_writes),
                             engine_new_tracking(WC_TIER_OPTIMIZED, last_dir(), opt.track_writes)};
    wc_module *modules[2];
    wc_instance *insts[2];
    for (int t = 0; t < 2; t++) {
        wc_tier tier = t == 0 ? WC_TIER_FAST : WC_TIER_OPTIMIZED;
        modules[t] = module_new(engines[t], bytes, size, tier, opt.kernel_wasm);
        wc_error err = {0};
        if (wc_instance_new(modules[t], NULL, NULL, 0, &insts[t], NULL, &err) != 0)
            die("%s: wc_instance_new: %s", opt.kernel_wasm, err.msg);
    }

    double s = opt.kernel_scale;
    kernel kernels[] = {
        {"mix (64-bit hash, table)", "kernel_mix", (uint32_t)(50e6 * s), 0},
        {"sieve (4 Mi bytes)", "kernel_sieve", 1u << 22, (uint32_t)(10 * s < 1 ? 1 : 10 * s)},
        {"collatz (ALU, branches)", "kernel_collatz", (uint32_t)(1e6 * s), 0},
    };
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++) {
        const kernel *k = &kernels[i];
        if (opt.only_kernel && strcmp(k->export_name + strlen("kernel_"), opt.only_kernel) != 0)
            continue;
        note(" %s", k->export_name);
        void *fn = dlsym(dl, k->export_name);
        if (!fn)
            die("%s: no symbol %s", opt.kernel_native, k->export_name);
        /* warm-up and agreement */
        uint64_t native_result = run_native(fn, k, k->a);
        for (int t = 0; t < 2; t++) {
            uint64_t got = run_wasm(insts[t], k, k->a);
            if (got != native_result)
                die("%s on the %s tier returned %" PRIu64 ", natively %" PRIu64, k->export_name,
                    t == 0 ? "fast" : "optimized", got, native_result);
        }
        double times[3][16];
        for (int r = 0; r < opt.kernel_runs; r++) {
            /* interleaved, so that a burst of load hits all three alike */
            uint64_t t0 = now_ns();
            volatile uint64_t sink = run_native(fn, k, k->a);
            uint64_t t1 = now_ns();
            sink = run_wasm(insts[0], k, k->a);
            uint64_t t2 = now_ns();
            sink = run_wasm(insts[1], k, k->a);
            uint64_t t3 = now_ns();
            (void)sink;
            times[0][r] = (double)(t1 - t0) / 1e6;
            times[1][r] = (double)(t2 - t1) / 1e6;
            times[2][r] = (double)(t3 - t2) / 1e6;
        }
        double med[3];
        for (int j = 0; j < 3; j++)
            med[j] = bench_median(times[j], opt.kernel_runs);
        row *r = add_row("3. compute", "ms", med[0], "%s: native gcc -O2", k->name);
        set_detail(r, "median of %d; min %.1f max %.1f", opt.kernel_runs, times[0][0],
                   times[0][opt.kernel_runs - 1]);
        r = add_row("3. compute", "ms", med[1], "%s: fast tier", k->name);
        set_detail(r, "min %.1f max %.1f", times[1][0], times[1][opt.kernel_runs - 1]);
        r = add_row("3. compute", "ms", med[2], "%s: optimized tier", k->name);
        set_detail(r, "min %.1f max %.1f", times[2][0], times[2][opt.kernel_runs - 1]);
        r = add_row("3. compute", "x", med[1] / med[0], "%s: fast / native", k->name);
        set_target(r, 2.0, 0, "<= 2x (issue 17)");
        r = add_row("3. compute", "x", med[2] / med[0], "%s: optimized / native", k->name);
        set_target(r, 1.1, 0, "<= 1.1x (issue 17)");
    }
    for (int t = 0; t < 2; t++) {
        wc_instance_free(insts[t]);
        wc_module_release(modules[t]);
        wc_engine_free(engines[t]);
    }
    free(bytes);
    dlclose(dl);
    note("\n");
}

/* ---- main --------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_engine [--quick] [--json] [--examples DIR]\n"
            "                    [--kernel-wasm FILE --kernel-native FILE]\n"
            "                    [--cycles N] [--runs N] [--cycles-only | --kernels-only]\n"
            "                    [--kernel mix|sieve|collatz] [--track-writes]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    long cycles = 0, runs = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--quick") == 0)
            opt.quick = true;
        else if (strcmp(a, "--json") == 0)
            opt.json = true;
        else if (strcmp(a, "--examples") == 0 && i + 1 < argc)
            opt.examples_dir = argv[++i];
        else if (strcmp(a, "--kernel-wasm") == 0 && i + 1 < argc)
            opt.kernel_wasm = argv[++i];
        else if (strcmp(a, "--kernel-native") == 0 && i + 1 < argc)
            opt.kernel_native = argv[++i];
        else if (strcmp(a, "--cycles") == 0 && i + 1 < argc)
            cycles = strtol(argv[++i], NULL, 10);
        else if (strcmp(a, "--cycles-only") == 0)
            opt.cycles_only = true;
        else if (strcmp(a, "--kernels-only") == 0)
            opt.kernels_only = true;
        else if (strcmp(a, "--kernel") == 0 && i + 1 < argc)
            opt.only_kernel = argv[++i];
        else if (strcmp(a, "--track-writes") == 0)
            opt.track_writes = true;
        else if (strcmp(a, "--runs") == 0 && i + 1 < argc)
            runs = strtol(argv[++i], NULL, 10);
        else
            usage();
    }
    if (opt.only_kernel && strcmp(opt.only_kernel, "mix") != 0 &&
        strcmp(opt.only_kernel, "sieve") != 0 && strcmp(opt.only_kernel, "collatz") != 0)
        usage();
    if (opt.quick) {
        opt.cycles = 20000;
        opt.runs = 3;
        opt.cold_runs = 1;
        opt.kernel_runs = 3;
        opt.kernel_scale = 0.1;
    }
    if (cycles > 0)
        opt.cycles = cycles < 100 ? 100 : cycles;
    if (runs > 0)
        opt.runs = opt.cold_runs = opt.kernel_runs = runs > 15 ? 15 : (int)runs;

    if (wc_make_temp_dir(temp_root, sizeof temp_root, "wasmcap-bench") != 0)
        die("cannot create a temporary directory: %s", strerror(errno));
    atexit(cleanup_dirs);

    load_examples();
    if (opt.kernel_wasm)
        load_file("kernel.wasm", opt.kernel_wasm);
    add_file("tiny (hand-made)", tiny_mem_wasm, sizeof tiny_mem_wasm, false);

    if (!opt.cycles_only && !opt.kernels_only)
        bench_compile();
    if (!opt.kernels_only)
        bench_instantiate();
    if (!opt.cycles_only)
        bench_kernels();
    print_results();

    for (int i = 0; i < nfiles; i++)
        if (files[i].owned)
            free(files[i].bytes);
    return 0;
}
