/* plugin.h -- one loaded plugin: its module, manifest, ABI and permissions.
 *
 * Loading does all the work that can be done once: the module is compiled,
 * the manifest parsed and its schemas compiled, the ABI chosen and the
 * exports type-checked, the import bindings resolved.  Each call then runs in
 * a fresh instance (nothing of one call is seen by the next), and any number
 * of threads may call one plugin at once.
 *
 * A tool call never fails as a function: trap, timeout, memory or output
 * over its limit, bad JSON, an output that breaks its schema all become a
 * CallToolResult with "isError": true and a text a person can act on.
 * Other entry points return 0 or one of the codes below with a message.
 */
#ifndef WC_PLUGIN_PLUGIN_H
#define WC_PLUGIN_PLUGIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"
#include "host/wasmcap.h"
#include "plugin/call.h"
#include "plugin/config.h"
#include "plugin/manifest.h"
#include "store/kv.h"

/* Calls other than tools fail with a WC_E* code (util/error.h) and err says
 * why: WC_EPLUGIN, the call failed (trap, limit, bad output); WC_EREFUSED,
 * the plugin answered {"error": ...} (err holds its text); WC_ENOTSUP, the
 * plugin has no such entry point; WC_EINVAL, bad arguments (unknown prompt,
 * missing argument); WC_ENOMEM. */

/* Optional native entry points. */
typedef enum wc_plugin_entry {
    WC_ENTRY_CALL_TOOL = 0,
    WC_ENTRY_READ_RESOURCE,
    WC_ENTRY_LIST_RESOURCES,
    WC_ENTRY_GET_PROMPT,
    WC_ENTRY_COMPLETE,
    WC_ENTRY_COUNT
} wc_plugin_entry;

typedef struct wc_plugin wc_plugin;

/* Loads config->path.  engine and kv (may be NULL) are borrowed and must
 * outlive the plugin; config is copied.  Logs a warning for every
 * permission the manifest asks for and the config does not grant. */
int wc_plugin_load(const wc_plugin_config *config, wc_engine *engine, wc_kv *kv,
                   wc_plugin **out, wc_error *err);
/* One more holder (a registry built by a reload that kept the plugin). */
wc_plugin *wc_plugin_retain(wc_plugin *plugin);
/* Drops one hold; the last frees the plugin. */
void wc_plugin_free(wc_plugin *plugin);
/* True when config says what the plugin was loaded with (same name,
 * fingerprint and path) and its module file and sidecar manifest are as
 * they were when it read them: a reload may keep it. */
bool wc_plugin_is_current(const wc_plugin *plugin, const wc_plugin_config *config);

const char *wc_plugin_name(const wc_plugin *plugin); /* the config's name */
const wc_plugin_config *wc_plugin_get_config(const wc_plugin *plugin);
const wc_manifest *wc_plugin_manifest(const wc_plugin *plugin);
/* "native" (exports wasmcap_call_tool) or "command" (a WASI program with
 * _start): plugin/abi.h. */
const char *wc_plugin_abi_name(const wc_plugin *plugin);
/* The tier its calls run on now: "fast" or "optimized" (engine.h's
 * wc_module_tier); a static string. */
const char *wc_plugin_tier_name(const wc_plugin *plugin);
bool wc_plugin_has_entry(const wc_plugin *plugin, wc_plugin_entry entry);
wc_module *wc_plugin_module(const wc_plugin *plugin);

/* tools/call of manifest tool `tool` (an index).  display is the name the
 * client used (for messages; NULL: the manifest's).  arguments may be NULL
 * ({}).  Returns 0 with *result a CallToolResult, or -1 (out of memory).
 * When the call's I/O prefers the result text, the result may instead be
 * the call's io.result_text, with *result NULL (or a value that holds only
 * what the checks read: see wc_call_io.prefer_result_text). */
int wc_plugin_call_tool(wc_plugin *plugin, size_t tool, const char *display,
                        const json_t *arguments, wc_call *call, json_t **result,
                        wc_error *err);

/* resources/read: *result is a ReadResourceResult ({"contents": [...]}). */
int wc_plugin_read_resource(wc_plugin *plugin, const char *uri, wc_call *call,
                            json_t **result, wc_error *err);
/* wasmcap_list_resources: *resources is a new array of Resource objects. */
int wc_plugin_list_resources(wc_plugin *plugin, wc_call *call, json_t **resources,
                             wc_error *err);
/* prompts/get of manifest prompt `name`; arguments may be NULL.  Required
 * arguments are checked first (WC_EINVAL). */
int wc_plugin_get_prompt(wc_plugin *plugin, const char *name, const json_t *arguments,
                         wc_call *call, json_t **result, wc_error *err);
/* completion/complete; params with ref naming the manifest's prompt or
 * template.  *values is a new array of strings (all of them; the caller
 * caps the list).  Uses wasmcap_complete when exported, else the manifest's
 * `complete` lists filtered by the argument's value as a prefix. */
int wc_plugin_complete(wc_plugin *plugin, const json_t *params, wc_call *call,
                       json_t **values, wc_error *err);

#endif
