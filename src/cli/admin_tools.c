/* admin_tools.c -- load_plugin, unload_plugin, list_plugins.
 *
 * A caller's mistake (a bad name, an entry the config reader refuses, a
 * source whose digest or signature fails, a plugin that does not load) is
 * a tool result with isError and the reason, as any tool's failure is.
 */
#include "cli/admin_tools.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/manifest.h"
#include "util/log.h"

/* Fetching and compiling a plugin may take a while; a caller waits this
 * long for the outcome (the change still applies after). */
#define CHANGE_WAIT_MS 120000

static int tool_result(json_t **result, bool is_error, json_t *structured, wc_error *err,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int tool_result(json_t **result, bool is_error, json_t *structured, wc_error *err,
                       const char *fmt, ...)
{
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    *result = json_pack("{s:[{s:s,s:s}],s:b}", "content", "type", "text", "text", text,
                        "isError", is_error);
    if (*result && structured)
        json_object_set(*result, "structuredContent", structured);
    json_decref(structured);
    return *result ? 0 : wc_error_set(err, WC_ENOMEM, "out of memory");
}

/* The plugin name of arguments, checked as the config checks keys. */
static const char *plugin_name(const json_t *arguments)
{
    const char *name = json_string_value(json_object_get(arguments, "name"));
    return name && wc_manifest_name_ok(name) ? name : NULL;
}

/* Whether the config (with earlier admin changes) names the plugin. */
static bool configured(wc_admin_tools *a, const char *name)
{
    pthread_mutex_lock(a->setup->lock);
    bool found = json_object_get(a->setup->config.plugins_json, name) != NULL;
    pthread_mutex_unlock(a->setup->lock);
    return found;
}

static json_t *tools_of(wc_admin_tools *a, const char *name)
{
    pthread_mutex_lock(a->setup->lock);
    json_t *all = wc_registry_describe_plugins(a->setup->registry);
    pthread_mutex_unlock(a->setup->lock);
    size_t i;
    json_t *p, *tools = NULL;
    json_array_foreach(all, i, p)
        if (strcmp(json_string_value(json_object_get(p, "name")), name) == 0)
            tools = json_incref(json_object_get(p, "tools"));
    json_decref(all);
    return tools ? tools : json_array();
}

static int load_plugin(void *ctx, const json_t *arguments, wc_call *call, json_t **result,
                       wc_error *err)
{
    (void)call;
    wc_admin_tools *a = ctx;
    const char *name = plugin_name(arguments);
    if (!name)
        return tool_result(result, true, NULL, err, "load_plugin: \"name\" must match "
                           "^[A-Za-z0-9_.-]{1,64}$");
    if (!json_object_get(arguments, "path") && !json_object_get(arguments, "source"))
        return tool_result(result, true, NULL, err, "load_plugin: give \"path\" or \"source\"");
    json_t *entry = json_deep_copy(arguments);
    if (!entry)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    json_object_del(entry, "name");
    bool replacing = configured(a, name);
    wc_error why = {0};
    int rc = wc_reloader_change(a->reloader, name, entry, CHANGE_WAIT_MS, &why);
    json_decref(entry);
    if (rc == WC_ENOMEM)
        return wc_error_set(err, rc, "out of memory");
    if (rc)
        return tool_result(result, true, NULL, err, "load_plugin %s: %s", name, why.msg);
    json_t *tools = tools_of(a, name);
    wc_log(WC_LOG_NOTICE, "admin", "load_plugin: plugin '%s' %s (%zu tools)", name,
           replacing ? "replaced" : "loaded", json_array_size(tools));
    size_t ntools = json_array_size(tools);
    return tool_result(result, false, json_pack("{s:s,s:o}", "plugin", name, "tools", tools),
                       err, "plugin '%s' %s: %zu tool(s)", name,
                       replacing ? "replaced" : "loaded", ntools);
}

static int unload_plugin(void *ctx, const json_t *arguments, wc_call *call, json_t **result,
                         wc_error *err)
{
    (void)call;
    wc_admin_tools *a = ctx;
    const char *name = plugin_name(arguments);
    if (!name)
        return tool_result(result, true, NULL, err, "unload_plugin: \"name\" must match "
                           "^[A-Za-z0-9_.-]{1,64}$");
    if (!configured(a, name))
        return tool_result(result, true, NULL, err, "unload_plugin: no plugin '%s'", name);
    wc_error why = {0};
    int rc = wc_reloader_change(a->reloader, name, NULL, CHANGE_WAIT_MS, &why);
    if (rc == WC_ENOMEM)
        return wc_error_set(err, rc, "out of memory");
    if (rc)
        return tool_result(result, true, NULL, err, "unload_plugin %s: %s", name, why.msg);
    wc_log(WC_LOG_NOTICE, "admin", "unload_plugin: plugin '%s' unloaded", name);
    return tool_result(result, false, json_pack("{s:s}", "plugin", name), err,
                       "plugin '%s' unloaded (calls running on it finish)", name);
}

/* What list_plugins shows of an entry: values that may be secrets (a
 * plugin's environment and config values, a registry password) hidden. */
static void hide_secrets(json_t *entry)
{
    json_t *perms = json_object_get(entry, "permissions");
    const char *const maps[] = {"env", "config"};
    for (size_t m = 0; m < 2; m++) {
        const char *key;
        json_t *v;
        json_object_foreach(json_object_get(perms, maps[m]), key, v)
            json_object_set_new(json_object_get(perms, maps[m]), key, json_string("(hidden)"));
    }
    json_t *source = json_object_get(entry, "source");
    if (json_object_get(source, "password"))
        json_object_set_new(source, "password", json_string("(hidden)"));
}

static int list_plugins(void *ctx, const json_t *arguments, wc_call *call, json_t **result,
                        wc_error *err)
{
    (void)arguments;
    (void)call;
    wc_admin_tools *a = ctx;
    pthread_mutex_lock(a->setup->lock);
    json_t *loaded = wc_registry_describe_plugins(a->setup->registry);
    json_t *config = json_deep_copy(a->setup->config.plugins_json);
    pthread_mutex_unlock(a->setup->lock);
    const char *key;
    json_t *value;
    json_object_foreach(config, key, value)
        hide_secrets(value);
    json_t *list = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(loaded, i, p) {
        json_object_set(p, "config", json_object_get(config, json_string_value(json_object_get(p, "name"))));
        json_object_set_new(p, "loaded", json_true());
        json_array_append(list, p);
    }
    /* Configured and not served: a plugin that failed to load. */
    const char *name;
    json_t *entry;
    json_object_foreach(config, name, entry) {
        bool served = false;
        json_array_foreach(loaded, i, p)
            served |= strcmp(json_string_value(json_object_get(p, "name")), name) == 0;
        if (!served)
            json_array_append_new(list, json_pack("{s:s,s:O,s:b}", "name", name, "config", entry,
                                                  "loaded", false));
    }
    json_decref(loaded);
    json_decref(config);
    char *text = json_dumps(list, JSON_COMPACT);
    int rc = tool_result(result, false, json_pack("{s:o}", "plugins", list), err, "%s",
                         text ? text : "[]");
    free(text);
    return rc;
}

void wc_admin_tools_init(wc_admin_tools *a, wc_setup *setup)
{
    a->setup = setup;
    a->tools[0] = (wc_host_tool){
        .name = "load_plugin",
        .description = "Loads a plugin, or replaces the one of that name, while the server "
                       "runs: the entry as in wasmcap.json's plugins (path or source, prefix, "
                       "tools, permissions); sources keep their digest and signature rules",
        .input_schema =
            "{\"type\": \"object\", \"required\": [\"name\"], \"properties\": {"
            "\"name\": {\"type\": \"string\"}, "
            "\"path\": {\"type\": \"string\", \"description\": \"a local .wasm file\"}, "
            "\"source\": {\"type\": [\"string\", \"object\"], \"description\": \"a file, "
            "https://...#sha256=... or oci:// reference, or {\\\"url\\\": ..., options}\"}, "
            "\"prefix\": {\"type\": \"string\"}, \"tools\": {\"type\": \"object\"}, "
            "\"permissions\": {\"type\": \"object\"}}}",
        .call = load_plugin,
        .ctx = a,
    };
    a->tools[1] = (wc_host_tool){
        .name = "unload_plugin",
        .description = "Stops offering a plugin (calls running on it finish)",
        .input_schema = "{\"type\": \"object\", \"required\": [\"name\"], \"properties\": "
                        "{\"name\": {\"type\": \"string\"}}}",
        .call = unload_plugin,
        .ctx = a,
    };
    a->tools[2] = (wc_host_tool){
        .name = "list_plugins",
        .description = "The configured plugins: each one's config entry, whether it is "
                       "loaded, its ABI, compile tier, manifest and exposed tools",
        .input_schema = "{\"type\": \"object\", \"properties\": {}}",
        .call = list_plugins,
        .ctx = a,
    };
}
