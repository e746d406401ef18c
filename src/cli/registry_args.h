/* registry_args.h -- the registry options `pull` and `push` share:
 * --plain-http, --ca-file, --username with $WASMCAP_REGISTRY_PASSWORD,
 * --cache-dir, --timeout-ms. */
#ifndef WC_CLI_REGISTRY_ARGS_H
#define WC_CLI_REGISTRY_ARGS_H

#include "fetch/source.h"

/* Help lines for the shared options. */
#define WC_REGISTRY_ARGS_HELP                                                                      \
    "  --plain-http       talk HTTP, not HTTPS, to the registry (a local test registry)\n"          \
    "  --ca-file FILE     also trust the CA certificates in FILE (PEM)\n"                            \
    "  --username NAME    log in as NAME with the password in $WASMCAP_REGISTRY_PASSWORD\n"         \
    "                     (default: the registry's entry in ~/.docker/config.json, else none)\n"  \
    "  --cache-dir DIR    the cache (default: $XDG_CACHE_HOME/wasmcap or ~/.cache/wasmcap)\n"      \
    "  --timeout-ms N     the whole of each transfer (default 300000)\n"

typedef struct wc_registry_args {
    wc_source source;      /* options only: url unset */
    char *cache_dir;
    long timeout_ms;
} wc_registry_args;

/* Consumes argv[*i] (and its value) when it is a shared option: 1 taken,
 * 0 not one of them, -1 after printing a usage error for cmd. */
int wc_registry_args_take(wc_registry_args *a, const char *cmd, const char *usage, int argc,
                          char **argv, int *i);
/* Fills the defaults left (cache_dir, password); -1 after printing why. */
int wc_registry_args_finish(wc_registry_args *a, const char *cmd);
void wc_registry_args_free(wc_registry_args *a);

#endif
