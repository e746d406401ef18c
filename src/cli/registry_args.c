/* registry_args.c -- the registry options of pull and push (registry_args.h). */
#include "cli/registry_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config.h"
#include "cli/options.h"

int wc_registry_args_take(wc_registry_args *a, const char *cmd, const char *usage, int argc,
                          char **argv, int *i)
{
    if (strcmp(argv[*i], "--plain-http") == 0) {
        a->source.plain_http = true;
        return 1;
    }
    static const char *const names[] = {"--ca-file", "--username", "--cache-dir", "--timeout-ms"};
    const char *name, *value;
    int found = wc_cli_option(argc, argv, i, names, 4, &name, &value);
    if (found == 0)
        return 0;
    if (found < 0) {
        wc_cli_usage_error(cmd, usage, "%s needs a value", name);
        return -1;
    }
    char **slot = strcmp(name, "--ca-file") == 0    ? &a->source.ca_file
                  : strcmp(name, "--username") == 0 ? &a->source.username
                  : strcmp(name, "--cache-dir") == 0 ? &a->cache_dir
                                                      : NULL;
    if (!slot) {
        char *end;
        long ms = strtol(value, &end, 10);
        if (*end || ms < 1 || ms > 86400000) {
            wc_cli_usage_error(cmd, usage, "--timeout-ms must be 1 to 86400000, not %s", value);
            return -1;
        }
        a->timeout_ms = ms;
        return 1;
    }
    free(*slot);
    if (!(*slot = strdup(value))) {
        fprintf(stderr, "wasmcap %s: out of memory\n", cmd);
        return -1;
    }
    return 1;
}

int wc_registry_args_finish(wc_registry_args *a, const char *cmd)
{
    if (a->source.username) {
        const char *pw = getenv("WASMCAP_REGISTRY_PASSWORD");
        if (!pw) {
            fprintf(stderr, "wasmcap %s: --username needs the password in $WASMCAP_REGISTRY_PASSWORD\n", cmd);
            return -1;
        }
        if (!(a->source.password = strdup(pw)))
            return -1;
    }
    if (!a->cache_dir) {
        wc_config defaults;
        wc_error err = {0};
        if (wc_config_default(&defaults, &err) != 0) {
            fprintf(stderr, "wasmcap %s: %s\n", cmd, wc_error_message(&err));
            return -1;
        }
        a->cache_dir = defaults.cache_dir;
        defaults.cache_dir = NULL;
        wc_config_free(&defaults);
    }
    return 0;
}

void wc_registry_args_free(wc_registry_args *a)
{
    wc_source_free(&a->source);
    free(a->cache_dir);
}
