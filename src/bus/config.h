/* config.h -- the "bus" section of wasmcap.json as a wc_bus_config
 * (docs/CONFIG.md documents the keys).  An absent section, or url
 * "inproc", is the in-process bus. */
#ifndef WC_BUS_CONFIG_H
#define WC_BUS_CONFIG_H

#include <jansson.h>

#include "bus/bus.h"

typedef struct wc_bus_settings {
    wc_bus_config config; /* its strings are the members below */
    char *url, *name, *token, *user, *password, *credentials_file;
    char *tls_ca, *tls_cert, *tls_key;
} wc_bus_settings;

/* Reads section (may be NULL: every default) into out; relative file
 * paths are joined to base_dir (NULL or "": kept as written).  Returns 0,
 * or WC_EINVAL with a message naming the key ("bus.reconnect.wait_ms:
 * ...") in err (may be NULL). */
int wc_bus_settings_parse(const json_t *section, const char *base_dir, wc_bus_settings *out,
                          wc_error *err);
void wc_bus_settings_free(wc_bus_settings *settings);

#endif
