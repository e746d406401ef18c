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

#include <pthread.h>
#include <stddef.h>

#include "cli/config.h"
#include "bus/bus.h"
#include "plugin/registry.h"

typedef struct wc_setup {
    const char *config_path; /* NULL: the built-in defaults */
    wc_config config;
    wc_engine *engine;
    wc_kv *kv;               /* NULL until a plugin needs it */
    wc_registry *registry;   /* one reference, ours */
    /* Held by wc_setup_reload while it swaps registry and config, for
     * threads that read them while another reloads; NULL: none. */
    pthread_mutex_t *lock;
    /* The server's own tools every registry a reload builds offers too
     * (borrowed; none by default). */
    const wc_host_tool *host_tools;
    size_t n_host_tools;
} wc_setup;

/* The config to read: arg when given, else $WASMCAP_CONFIG when set and
 * not empty, else ./wasmcap.json if it exists, else NULL (defaults). */
const char *wc_setup_find_config(const char *arg);
/* Loads config_path (NULL: defaults) and everything it names. */
int wc_setup_open(wc_setup *setup, const char *config_path, wc_error *err);
/* Reads the config again (with the admin tools' patch of its "plugins",
 * wc_config_load_patched; may be NULL) and builds a new registry that
 * keeps the plugins that did not change (wc_registry_update: a plugin
 * that fails keeps its old version); changes says what it did.  Settings
 * that need a restart are logged.  On failure (the config, names that
 * clash) nothing changes.  The old registry is released (calls holding it
 * keep it). */
int wc_setup_reload(wc_setup *setup, const json_t *patch, wc_registry_changes *changes,
                    wc_error *err);
void wc_setup_close(wc_setup *setup);

/* The bus of the config's bus section: in-process without one.  A NATS
 * server that is down is no reason not to start: the bus connects in the
 * background and the Wasm tools serve meanwhile. */
int wc_setup_open_bus(const wc_config *config, wc_bus **out, wc_error *err);

#endif
