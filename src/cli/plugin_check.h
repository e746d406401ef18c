/* plugin_check.h -- the ontology check of a config's plugins: what
 * `wasmcap check` reports and what `wasmcap serve` refuses at load
 * (docs/PLUGINS.md, "The shared ontology").
 */
#ifndef WC_CLI_PLUGIN_CHECK_H
#define WC_CLI_PLUGIN_CHECK_H

#include <stddef.h>

#include "cli/config.h"
#include "ontology/ontology.h"

/* Reads every plugin's manifest (custom section or sidecar) and applies
 * the rules of ontology.h with the config's ontology.  A manifest that
 * cannot be read or does not load is a finding too (rule "manifest").
 * 0, or WC_ENOMEM (err says so). */
int wc_check_plugins(const wc_config *config, wc_findings *out, wc_error *err);
/* The same with manifests of others beside the plugins' (the services on
 * the bus: cli/service_check.h), borrowed. */
int wc_check_plugins_with(const wc_config *config, const wc_checked_manifest *extra, size_t n_extra,
                          wc_findings *out, wc_error *err);

/* The findings as lines "error: PLUGIN: TOOL: POINTER: RULE: MESSAGE"
 * into buf (for an error message: the first ones that fit). */
void wc_check_summary(const wc_findings *findings, char *buf, size_t size);

#endif
