/* setup.h -- what `serve` and `call` both build from a config: the engine,
 * the key-value store and the registry of loaded plugins.
 *
 * The store is opened only when some plugin is granted a kv namespace, so
 * a server without such plugins creates no directories.  A reload reads the
 * config again and builds a new registry on the same engine and store; the
 * storage settings (cache_dir, kv_dir, tier) take effect at the next start.
 */
#ifndef WC_CLI_SETUP_H
#define WC_CLI_SETUP_H

#include <stddef.h>

#include "cli/config.h"
#include "plugin/registry.h"

typedef struct wc_setup {
    const char *config_path; /* NULL: the built-in defaults */
    wc_config config;
    wc_engine *engine;
    wc_kv *kv;               /* NULL until a plugin needs it */
    wc_registry *registry;   /* one reference, ours */
} wc_setup;

/* The config to read: arg when given, else $WASMCAP_CONFIG when set and
 * not empty, else ./wasmcap.json if it exists, else NULL (defaults). */
const char *wc_setup_find_config(const char *arg);
/* Loads config_path (NULL: defaults) and everything it names. */
int wc_setup_open(wc_setup *setup, const char *config_path, wc_error *err);
/* Reads the config again and builds a new registry; on failure nothing
 * changes.  The old registry is released (users holding it keep it). */
int wc_setup_reload(wc_setup *setup, wc_error *err);
void wc_setup_close(wc_setup *setup);

#endif
