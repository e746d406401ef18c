/* exec.c -- `wasmcap exec`: run a WASI command module like a program.
 *
 * The module gets WASI-NN too (module "wasi_ephemeral_nn"): the models named
 * with --nn-model, loaded before it starts, and `load` of model bytes.
 *
 * The module gets the arguments after `--`, only the environment variables
 * named with --env, and the host's stdin, stdout and stderr.  Its exit code
 * becomes ours; a trap exits 134, the status of a native program that
 * aborted, so scripts can tell a crash from an ordinary failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/progress.h"
#include "engine/engine.h"
#include "host/wasi.h"
#include "host/wasi_nn.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/size.h"

#define EXIT_TRAP 134
#define EXIT_LOAD_ERROR 1
#define EXIT_USAGE WC_EXIT_USAGE

#define WASM_PAGE_SIZE 65536u
#define MAX_WASM32_PAGES 65536u /* 4 GiB */

static const char usage_text[] =
    "usage: wasmcap exec FILE.wasm [OPTIONS] [-- ARGS...]\n"
    "\n"
    "Runs a WASI command module: calls its _start with FILE.wasm ARGS... as\n"
    "argv and the host's stdin, stdout and stderr, and exits with its exit code.\n"
    "\n"
    "options:\n"
    "  --timeout MS           stop the program after MS milliseconds (a trap)\n"
    "  --memory-limit SIZE    largest linear memory: bytes or 64KiB, 16M, 1GiB, ...\n"
    "                         (rounded up to 64 KiB pages; default 1GiB)\n"
    "  --tier fast|optimized  compile with libtcc (starts at once) or gcc -O2\n"
    "                         (default: fast now, optimized when it is ready)\n"
    "  --env KEY=VALUE        give the program an environment variable\n"
    "                         (repeatable; it sees none of the host's)\n"
    "  --nn-model NAME=PATH   load the model file PATH (encoding detected from its\n"
    "                         bytes) for WASI-NN's load_by_name(\"NAME\")\n"
    "                         (repeatable)\n"
    "  -h, --help             show this help\n"
    "\n"
    "exit status: the program's own; 134 on a trap (the reason is printed on\n"
    "stderr); 1 if the module or a model cannot be loaded, or linking fails;\n"
    "2 on bad usage.\n";

typedef struct exec_options {
    const char *path;
    uint32_t timeout_ms;
    uint32_t max_memory_pages; /* 0: the engine's default */
    wc_tier tier;
    const char **env; /* --env values, in order */
    size_t envc;
    const char **nn_models; /* --nn-model values, in order */
    size_t n_nn_models;
    char **guest_args; /* after `--` */
    size_t guest_argc;
} exec_options;

static int usage_error(const char *fmt, const char *arg)
{
    return wc_cli_usage_error("exec", usage_text, fmt, arg);
}

static int parse_u32(const char *s, uint32_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > UINT32_MAX)
            return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static int parse_memory_limit(const char *s, uint32_t *pages)
{
    uint64_t bytes;
    if (wc_parse_size(s, &bytes) != 0 || bytes == 0)
        return -1;
    uint64_t n = bytes / WASM_PAGE_SIZE + (bytes % WASM_PAGE_SIZE != 0);
    if (n > MAX_WASM32_PAGES)
        return -1;
    *pages = (uint32_t)n;
    return 0;
}

/* Returns -1 when parsed, else the exit status to leave with (help, usage). */
static int parse_options(int argc, char **argv, exec_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->tier = WC_TIER_AUTO;
    opt->env = calloc((size_t)argc + 1, sizeof *opt->env);
    opt->nn_models = calloc((size_t)argc + 1, sizeof *opt->nn_models);
    if (!opt->env || !opt->nn_models) {
        fputs("wasmcap exec: out of memory\n", stderr);
        return EXIT_LOAD_ERROR;
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            opt->guest_args = argv + i + 1;
            opt->guest_argc = (size_t)(argc - i - 1);
            break;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (arg[0] != '-' || arg[1] == '\0') {
            if (opt->path)
                return usage_error("unexpected argument '%s' (program arguments go after --)",
                                   arg);
            opt->path = arg;
            continue;
        }
        /* --name VALUE or --name=VALUE */
        static const char *const with_value[] = {"--timeout", "--memory-limit", "--tier",
                                                 "--env", "--nn-model"};
        const char *name = NULL, *value = NULL;
        int found = wc_cli_option(argc, argv, &i, with_value,
                                  sizeof with_value / sizeof with_value[0], &name, &value);
        if (found < 0)
            return usage_error("%s needs a value", name);
        if (!found)
            return usage_error("unknown option '%s'", arg);
        if (strcmp(name, "--timeout") == 0) {
            if (parse_u32(value, &opt->timeout_ms) != 0)
                return usage_error("--timeout: '%s' is not a number of milliseconds", value);
        } else if (strcmp(name, "--memory-limit") == 0) {
            if (parse_memory_limit(value, &opt->max_memory_pages) != 0)
                return usage_error("--memory-limit: '%s' is not a size between 1 byte and "
                                   "4GiB (e.g. 65536, 64KiB, 16M, 1GiB)",
                                   value);
        } else if (strcmp(name, "--tier") == 0) {
            if (strcmp(value, "fast") == 0)
                opt->tier = WC_TIER_FAST;
            else if (strcmp(value, "optimized") == 0)
                opt->tier = WC_TIER_OPTIMIZED;
            else
                return usage_error("--tier: '%s' is neither fast nor optimized", value);
        } else if (strcmp(name, "--nn-model") == 0) {
            const char *eq = strchr(value, '=');
            if (!eq || eq == value || !eq[1])
                return usage_error("--nn-model: '%s' is not NAME=PATH", value);
            opt->nn_models[opt->n_nn_models++] = value;
        } else { /* --env */
            if (!strchr(value, '='))
                return usage_error("--env: '%s' is not KEY=VALUE", value);
            opt->env[opt->envc++] = value;
        }
    }
    if (!opt->path)
        return usage_error("%s", "no module given");
    return -1;
}

/* The --nn-model files, loaded before the program starts. */
static int load_nn_models(const exec_options *opt, wc_nn_models **out, wc_error *err)
{
    *out = NULL;
    if (!opt->n_nn_models)
        return 0;
    wc_nn_models *models = wc_nn_models_new(err);
    if (!models)
        return err->code;
    for (size_t i = 0; i < opt->n_nn_models; i++) {
        const char *arg = opt->nn_models[i], *eq = strchr(arg, '=');
        char *name = strndup(arg, (size_t)(eq - arg));
        int rc = name ? wc_nn_models_add(models, name, eq + 1, NULL, NULL, err)
                      : wc_error_set(err, WC_ENOMEM, "out of memory");
        free(name);
        if (rc) {
            wc_nn_models_release(models);
            return rc;
        }
    }
    *out = models;
    return 0;
}

/* WASI's bindings and WASI-NN's in one table (caller frees); 0 when out of
 * memory. */
static size_t join_bindings(wc_wasi *wasi, wc_wasi_nn *nn, wc_import_binding **out)
{
    const wc_import_binding *w, *n;
    size_t nw = wc_wasi_bindings(wasi, &w);
    size_t nn_count = wc_wasi_nn_bindings(nn, &n);
    *out = nw ? malloc((nw + nn_count) * sizeof **out) : NULL;
    if (!*out)
        return 0;
    memcpy(*out, w, nw * sizeof *w);
    memcpy(*out + nw, n, nn_count * sizeof *n);
    return nw + nn_count;
}

/* Loads, links and runs the module; returns the exit status. */
static int run(const exec_options *opt)
{
    wc_error err = {0};
    wc_engine *engine = NULL;
    wc_module *module = NULL;
    wc_wasi *wasi = NULL;
    wc_nn_models *models = NULL;
    wc_wasi_nn *nn = NULL;
    wc_import_binding *bindings = NULL;
    wc_instance *instance = NULL;
    uint8_t *bytes = NULL;
    size_t size = 0;
    const char **argv = NULL;
    int status = EXIT_LOAD_ERROR;

    wc_engine_config ecfg;
    wc_engine_config_default(&ecfg);
    ecfg.tier = opt->tier;
    if (wc_engine_new(&ecfg, &engine, &err) != 0)
        goto report;
    size_t max_bytes = wc_engine_max_module_bytes(engine);
    int rc = wc_read_regular_file(opt->path, max_bytes, &bytes, &size);
    if (rc == WC_ETOOBIG) {
        wc_error_set(&err, WC_ETOOBIG, "cannot read %s: larger than the module limit of %zu bytes",
                     opt->path, max_bytes);
        goto report;
    }
    if (rc) {
        wc_error_set(&err, rc, "cannot read %s: %s", opt->path, wc_strerror(rc));
        goto report;
    }
    /* gcc can take seconds on a large module with --tier optimized */
    wc_progress *progress = wc_progress_start("compiling");
    rc = wc_module_new(engine, bytes, size, &module, &err);
    wc_progress_stop(progress);
    if (rc != 0)
        goto report;

    argv = calloc(opt->guest_argc + 1, sizeof *argv);
    if (!argv) {
        wc_error_set(&err, WC_ENOMEM, "out of memory");
        goto report;
    }
    argv[0] = opt->path;
    for (size_t i = 0; i < opt->guest_argc; i++)
        argv[i + 1] = opt->guest_args[i];
    wc_wasi_config wcfg = {
        .argc = opt->guest_argc + 1,
        .argv = argv,
        .envc = opt->envc,
        .environ = opt->env,
        .stdio = {{.kind = WC_WASI_STDIO_HOST_FD, .host_fd = 0},
                  {.kind = WC_WASI_STDIO_HOST_FD, .host_fd = 1},
                  {.kind = WC_WASI_STDIO_HOST_FD, .host_fd = 2}},
    };
    wasi = wc_wasi_new(&wcfg, &err);
    if (!wasi)
        goto report;

    if (load_nn_models(opt, &models, &err) != 0)
        goto report;
    nn = wc_wasi_nn_new(&(wc_wasi_nn_config){.who = opt->path,
                                              .models = models,
                                              .grant_all_models = true,
                                              .allow_load = true},
                        &err);
    if (!nn)
        goto report;
    size_t nbindings = join_bindings(wasi, nn, &bindings);
    if (!nbindings) {
        wc_error_set(&err, WC_ENOMEM, "out of memory");
        goto report;
    }
    wc_instance_config icfg = {
        .max_memory_pages = opt->max_memory_pages,
        .timeout_ms = opt->timeout_ms,
    };
    wc_trap trap = WC_TRAP_NONE;
    /* The guest's sleeps end with the engine's deadline: for the start
     * function here, for _start below. */
    wc_wasi_set_timeout(wasi, opt->timeout_ms);
    if (wc_instance_new(module, &icfg, bindings, nbindings, &instance, &trap, &err) != 0) {
        if (err.code == WC_ETRAP) {
            fprintf(stderr, "wasmcap: trap: %s\n", err.msg);
            status = EXIT_TRAP;
            goto done;
        }
        goto report;
    }

    const wc_functype *start = wc_instance_func_type(instance, "_start");
    if (!start || start->nparams != 0 || start->nresults != 0) {
        wc_error_set(&err, WC_ELINK,
                     "%s is not a WASI command: it exports no _start function of type () -> ()",
                     opt->path);
        goto report;
    }
    wc_wasi_set_timeout(wasi, opt->timeout_ms);
    wc_wasi_nn_set_deadline(nn, opt->timeout_ms ? wc_monotonic_deadline_ns(opt->timeout_ms) : 0);
    trap = wc_instance_call(instance, "_start", NULL, NULL, &err);
    if (trap == WC_TRAP_NONE) {
        status = 0;
    } else if (trap == WC_TRAP_EXIT) {
        status = wc_instance_exit_code(instance);
    } else {
        fprintf(stderr, "wasmcap: trap: %s\n", wc_instance_trap_message(instance));
        status = EXIT_TRAP;
    }
    goto done;

report:
    fprintf(stderr, "wasmcap: %s\n", wc_error_message(&err));
done:
    if (instance)
        wc_instance_free(instance);
    wc_wasi_free(wasi);
    wc_wasi_nn_free(nn);
    wc_nn_models_release(models);
    free(bindings);
    if (module)
        wc_module_release(module);
    if (engine)
        wc_engine_free(engine);
    free(argv);
    free(bytes);
    return status;
}

int wc_cmd_exec(int argc, char **argv)
{
    exec_options opt;
    int status = parse_options(argc, argv, &opt);
    if (status < 0)
        status = run(&opt);
    free(opt.env);
    free(opt.nn_models);
    return status;
}
