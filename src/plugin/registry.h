/* registry.h -- the capabilities a server offers: every configured plugin,
 * loaded, with its tools, resources and prompts under their exposed names.
 *
 * The protocol layer asks the registry and never sees a plugin or the
 * engine.  A registry is immutable once built and reference counted, so a
 * reload builds a new one and swaps it in while calls on the old one finish.
 * Every function is thread-safe.
 *
 * Calls return 0 or a WC_E* code (util/error.h) with a message; the
 * protocol layer turns those into its own codes: WC_EINVAL, the request
 * was wrong (an unknown tool or prompt, bad arguments to a prompt or a
 * completion); WC_ENOTFOUND, no plugin has the resource; any other, the
 * plugin failed (WC_EPLUGIN, WC_ENOMEM, WC_ECANCELED, ...).  A tool that fails (trap, timeout,
 * invalid input or output, isError from the plugin) is not an error: it is
 * a result with "isError": true and a text block saying what happened.
 */
#ifndef WC_PLUGIN_REGISTRY_H
#define WC_PLUGIN_REGISTRY_H

#include <jansson.h>
#include <stddef.h>

#include "plugin/call.h"
#include "util/buf.h"
#include "util/error.h"

/* Only the front end that builds a registry needs these in full. */
typedef struct wc_engine wc_engine;
typedef struct wc_kv wc_kv;
typedef struct wc_plugin_config wc_plugin_config;

typedef struct wc_registry wc_registry;

/* Loads the plugins of plugins[0..nplugins) (engine and kv are borrowed and
 * must outlive the registry; kv may be NULL).  A plugin that fails to load
 * fails the whole registry, with a message naming it. */
int wc_registry_new(const wc_plugin_config *plugins, size_t nplugins, wc_engine *engine,
                    wc_kv *kv, wc_registry **out, wc_error *err);
/* What a reload's wc_registry_update did with the plugins. */
typedef struct wc_registry_changes {
    size_t loaded;  /* new or changed plugins loaded */
    size_t kept;    /* unchanged plugins shared with the previous registry */
    size_t failed;  /* plugins that failed to load (logged; an old version keeps serving) */
    size_t removed; /* plugins of the previous registry the config no longer names */
    json_t *failures; /* [{"plugin": name, "error": why}] (NULL: none); the caller's to free */
} wc_registry_changes;
/* A reload: a registry for plugins[0..nplugins) that shares previous's
 * plugins whose config entry, path and files did not change
 * (wc_plugin_config.fingerprint) and loads the others.  A plugin that
 * fails to load is logged with why (component "reload"); when previous
 * had it, its old version keeps serving, else it is left out.  Fails only
 * for what spoils the whole (two plugins exposing one name, out of
 * memory), and then nothing changes.  previous may be NULL. */
int wc_registry_update(const wc_registry *previous, const wc_plugin_config *plugins,
                       size_t nplugins, wc_engine *engine, wc_kv *kv,
                       wc_registry_changes *changes, wc_registry **out, wc_error *err);
wc_registry *wc_registry_retain(wc_registry *registry);
void wc_registry_release(wc_registry *registry);

/* Descriptors as MCP lists them (arrays, borrowed, valid while the registry
 * lives): Tool objects with exposed names, Resource, ResourceTemplate and
 * Prompt objects. */
const json_t *wc_registry_tools(const wc_registry *registry);
/* The plugin layer's part of /metrics, in the Prometheus text format: Wasm
 * instances alive and made, the compile tier each plugin's new instances
 * get, and the WASI-NN models with their backends and inference counts
 * (registry may be NULL: no plugins loaded). */
void wc_registry_render_metrics(const wc_registry *registry, wc_buf *out);
const json_t *wc_registry_resource_templates(const wc_registry *registry);
/* The static resources of the manifests (those listed dynamically are
 * not among them). */
const json_t *wc_registry_resources_listed(const wc_registry *registry);
const json_t *wc_registry_prompts(const wc_registry *registry);
/* Static resources of the manifests followed by those plugins list
 * dynamically (wasmcap_list_resources); a new array in *out. */
int wc_registry_resources(wc_registry *registry, wc_call *call, json_t **out,
                          wc_error *err);

/* tools/call: *result is a CallToolResult (or NULL when the call carries its
 * text: see wc_plugin_call_tool). */
int wc_registry_call_tool(wc_registry *registry, const char *name, const json_t *arguments,
                          wc_call *call, json_t **result, wc_error *err);
/* resources/read: *result is a ReadResourceResult. */
int wc_registry_read_resource(wc_registry *registry, const char *uri, wc_call *call,
                              json_t **result, wc_error *err);
/* prompts/get: *result is a GetPromptResult.  arguments may be NULL. */
int wc_registry_get_prompt(wc_registry *registry, const char *name, const json_t *arguments,
                           wc_call *call, json_t **result, wc_error *err);
/* The plugins (config names) whose code a request about uri may run, for
 * their scopes: for resources/read (exact false) the plugin of that static
 * resource, else of the first template it matches, else every plugin that
 * reads resources itself; for a completion's ref/resource (exact true) the
 * plugin of that template or static resource, else none.  Returns how
 * many there are; names gets at most max of them (valid while the
 * registry lives). */
size_t wc_registry_resource_plugins(const wc_registry *registry, const char *uri, bool exact,
                                    const char **names, size_t max);
/* completion/complete: params as received; *result is a CompleteResult
 * ({"completion": {"values": [...], "total": n, "hasMore": b}}). */
int wc_registry_complete(wc_registry *registry, const json_t *params, wc_call *call,
                         json_t **result, wc_error *err);

/* A registry that offers base's plugins (shared, not loaded again) and,
 * besides their tools, one tool per endpoint of set (retained), called
 * over bus (borrowed: it outlives the registry); source (may be NULL) is
 * the discovery whose counters its metrics show, and must outlive it.  A service tool whose
 * name a plugin tool has already is left out with a warning.  base may be
 * a registry with services itself: its services are replaced.  Its
 * plugins' calls reach the bus too (bus_publish, bus_request), unless the
 * caller set the call's own (wc_call.bus). */
typedef struct wc_service_set wc_service_set;
typedef struct wc_bus wc_bus;
typedef struct wc_services wc_services;
int wc_registry_with_services(wc_registry *base, wc_service_set *set, wc_bus *bus,
                              wc_services *source, wc_registry **out, wc_error *err);
/* Tools of services in the registry's set (0 for a registry without). */
size_t wc_registry_service_tools(const wc_registry *registry);

/* A tool the server itself offers (the admin tools), beside the plugins'.
 * call runs on a worker (never attempted on a loop thread) and returns
 * like wc_registry_call_tool: 0 with a CallToolResult (isError for what
 * the caller asked wrongly), or a WC_E* code. */
typedef int (*wc_host_tool_fn)(void *ctx, const json_t *arguments, wc_call *call,
                               json_t **result, wc_error *err);
typedef struct wc_host_tool {
    const char *name;         /* exposed as it is */
    const char *description;
    const char *input_schema; /* JSON text of an object schema */
    wc_host_tool_fn call;
    void *ctx;
} wc_host_tool;
/* Adds tools[0..n) (borrowed: they outlive the registry) to a registry
 * just built, before it is served or shared.  A name a plugin's tool has
 * already is an error naming both. */
int wc_registry_add_host_tools(wc_registry *registry, const wc_host_tool *tools, size_t n,
                               wc_error *err);
/* What list_plugins shows of the loaded plugins: [{"name", "abi", "tier",
 * "manifest": {"name", "version"}, "tools": [exposed names]}] (new). */
json_t *wc_registry_describe_plugins(const wc_registry *registry);

/* input_required.c: a result that asks the client for input first
 * (protocol revision 2026-07-28): 1 when res is one and well formed, 0
 * when it is an ordinary result, WC_EINVAL with why when it is malformed. */
int wc_input_required_check(const json_t *res, wc_error *why);
/* The client capability an input request's method needs ("elicitation",
 * "sampling", "roots"), or NULL. */
const char *wc_input_method_capability(const char *method);

#endif
