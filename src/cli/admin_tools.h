/* admin_tools.h -- the server's own tools load_plugin, unload_plugin and
 * list_plugins (the config's "admin": {"tools": true}; off by default).
 *
 * They change the plugins a running server offers without touching its
 * config file: each change goes to the reload worker (cli/reload.h), which
 * reads the entry as the config's "plugins" reader would (sources with
 * their digest and signature rules, permissions, unknown keys refused),
 * fetches and compiles it off the loop threads, and keeps the change
 * across later reloads of the file.  Over HTTP the front end requires the
 * admin scope of each (docs/AUTH.md); stdio has no authorization.
 */
#ifndef WC_CLI_ADMIN_TOOLS_H
#define WC_CLI_ADMIN_TOOLS_H

#include <stddef.h>

#include "cli/reload.h"
#include "plugin/registry.h"

#define WC_ADMIN_TOOLS 3

typedef struct wc_admin_tools {
    wc_host_tool tools[WC_ADMIN_TOOLS];
    wc_reloader *reloader;
    wc_setup *setup; /* read under setup->lock */
} wc_admin_tools;

/* Fills admin's tools (reloader may be set later, before they are called). */
void wc_admin_tools_init(wc_admin_tools *admin, wc_setup *setup);

#endif
