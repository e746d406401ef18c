/* compile.c -- `wasmcap compile FILE.wasm...`: fill the optimized-tier cache.
 *
 * Building the optimized tier takes gcc seconds for a large module; a server
 * or a CLI run that starts on the fast tier switches to the cached code the
 * next time.  This command builds ahead of time, showing progress when
 * stderr is a terminal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/progress.h"
#include "engine/engine.h"
#include "util/fs.h"

static const char compile_usage[] =
    "usage: wasmcap compile [--cache-dir DIR] [--cache-key FILE] FILE.wasm...\n"
    "\n"
    "Builds the optimized tier (gcc -O2) of each module into the code cache,\n"
    "so that later runs start on optimized code.  Modules already in the\n"
    "cache are reported as such.\n"
    "\n"
    "  --cache-dir DIR  the cache (default: $XDG_CACHE_HOME/wasmcap or ~/.cache/wasmcap)\n"
    "  --cache-key FILE the key that authenticates its entries, created 0600 if missing\n"
    "                   (default: $XDG_CONFIG_HOME/wasmcap/cache.key or ~/.config/wasmcap/cache.key)\n"
    "  -h, --help       show this help\n";

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
}

static int compile_one(wc_engine *engine, const char *path)
{
    uint8_t *bytes;
    size_t size;
    size_t max_bytes = wc_engine_max_module_bytes(engine);
    int rc = wc_read_regular_file(path, max_bytes, &bytes, &size);
    if (rc) {
        if (rc == WC_ETOOBIG)
            fprintf(stderr, "wasmcap compile: %s: larger than the module limit of %zu bytes\n", path, max_bytes);
        else
            fprintf(stderr, "wasmcap compile: %s: %s\n", path, wc_strerror(rc));
        return 1;
    }
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    wc_module *module;
    wc_error err = {0};
    rc = wc_module_new(engine, bytes, size, &module, &err);
    free(bytes);
    if (rc) {
        fprintf(stderr, "wasmcap compile: %s: %s\n", path, err.msg);
        return 1;
    }
    if (wc_module_tier(module) == WC_TIER_OPTIMIZED) {
        fprintf(stderr, "%s: already in the cache\n", path);
        wc_module_release(module);
        return 0;
    }
    char label[512];
    snprintf(label, sizeof label, "%s: compiling (gcc -O2)", path);
    wc_progress *progress = wc_progress_start(label);
    rc = wc_module_wait_optimized(module, -1, &err);
    wc_progress_stop(progress);
    if (rc) {
        fprintf(stderr, "wasmcap compile: %s: %s\n", path, err.msg);
        wc_module_release(module);
        return 1;
    }
    fprintf(stderr, "%s: compiled in %.1f s (%zu bytes, sha256 %.12s)\n", path,
            seconds_since(&start), size, wc_module_digest(module));
    wc_module_release(module);
    return 0;
}

int wc_cmd_compile(int argc, char **argv)
{
    wc_engine_config config;
    wc_engine_config_default(&config);
    config.track_writes = true; /* the code `wasmcap serve` loads from the cache */
    int first_file = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(compile_usage, stdout);
            return 0;
        } else if (strcmp(argv[i], "--cache-dir") == 0 && i + 1 < argc) {
            config.cache_dir = argv[++i];
        } else if (strcmp(argv[i], "--cache-key") == 0 && i + 1 < argc) {
            config.cache_key = argv[++i];
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "wasmcap compile: unknown option %s\n%s", argv[i], compile_usage);
            return 2;
        } else {
            first_file = i;
            break;
        }
    }
    if (!first_file) {
        fputs(compile_usage, stderr);
        return 2;
    }
    wc_engine *engine;
    wc_error err;
    if (wc_engine_new(&config, &engine, &err) != 0) {
        fprintf(stderr, "wasmcap compile: %s\n", err.msg);
        return 1;
    }
    int status = 0;
    for (int i = first_file; i < argc; i++)
        status |= compile_one(engine, argv[i]);
    wc_engine_free(engine);
    return status;
}
