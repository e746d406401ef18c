/* config.c -- the "plugins" object of wasmcap.json (docs/CONFIG.md).
 *
 * The config is where permissions are granted, so it is strict: an unknown
 * key is an error (a misspelt "timout_ms" must not silently leave the
 * default), and every error names the JSON path of the value
 * ("plugins.notes.permissions.kv_namespace: expected a string").
 */
#include "plugin/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "host/wasi_nn.h"
#include "plugin/manifest.h"

/* A host name or a pattern of one, lower-cased: "example.com",
 * "*.example.com" (its subdomains), "*" (any host), or Extism's globs
 * with '*' and '?' anywhere ("api-?.example.com"). */
static bool check_host(const wc_rnode *node, char *h)
{
    if (!*h)
        return wc_rnode_fail(node, "empty host name");
    for (char *q = h; *q; q++) {
        if (*q >= 'A' && *q <= 'Z')
            *q = (char)(*q - 'A' + 'a');
        char ch = *q;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
              ch == '*' || ch == '?'))
            return wc_rnode_fail(node, "'%s' is not a host name or a pattern of one (letters, "
                                       "digits, '-', '.', and '*' or '?' as wildcards)", h);
    }
    return true;
}

static void read_hosts(wc_rnode *perms, wc_permissions *p)
{
    wc_rnode list = wc_rnode_member(perms, "allowed_hosts");
    if (!wc_rnode_array(&list, "an array of host names") ||
        !wc_rnode_strings(&list, 0, &p->allowed_hosts, &p->n_allowed_hosts))
        return;
    for (size_t i = 0; i < p->n_allowed_hosts; i++) {
        wc_rnode item = wc_rnode_item(&list, i);
        if (!check_host(&item, p->allowed_hosts[i]))
            return;
    }
}

/* "NAME": "value" pairs, kept as "NAME=value" for WASI. */
static void read_env(wc_rnode *perms, wc_permissions *p)
{
    wc_rnode obj = wc_rnode_member(perms, "env");
    if (!wc_rnode_object(&obj, "an object of strings (\"NAME\": \"value\")"))
        return;
    size_t count = json_object_size(obj.json);
    if (!(p->env = calloc(count ? count : 1, sizeof *p->env))) {
        wc_rnode_fail(&obj, "out of memory");
        return;
    }
    void *iter = NULL;
    wc_rnode var;
    while (wc_rnode_next(&obj, &iter, &var)) {
        char *value;
        if (!*var.key || strchr(var.key, '=')) {
            wc_rnode_fail(&var, "a variable name must be non-empty and without '='");
            return;
        }
        if (!wc_rnode_string(&var, 0, &value))
            return;
        size_t len = strlen(var.key) + 1 + strlen(value) + 1;
        char *pair = malloc(len);
        if (pair)
            snprintf(pair, len, "%s=%s", var.key, value);
        free(value);
        if (!pair) {
            wc_rnode_fail(&var, "out of memory");
            return;
        }
        p->env[p->n_env++] = pair;
    }
}

/* The strings config_get hands the guest. */
static void read_values(wc_rnode *perms, wc_permissions *p)
{
    wc_rnode obj = wc_rnode_member(perms, "config");
    if (!wc_rnode_object(&obj, "an object of strings"))
        return;
    if (!(p->config = json_object())) {
        wc_rnode_fail(&obj, "out of memory");
        return;
    }
    void *iter = NULL;
    wc_rnode item;
    while (wc_rnode_next(&obj, &iter, &item)) {
        char *s;
        if (!wc_rnode_string(&item, 0, &s))
            return;
        json_object_set_new(p->config, item.key, json_string(s));
        free(s);
    }
}

static void read_size(wc_rnode *perms, const char *key, uint64_t min, uint64_t max, uint64_t *out)
{
    wc_rnode m = wc_rnode_member(perms, key);
    wc_rnode_size(&m, min, max, out);
}

/* Which models of nn.models the plugin may open, and raw loads. */
static void read_nn(wc_rnode *perms, wc_permissions *p)
{
    wc_rnode names = wc_rnode_member(perms, "nn_models");
    if (wc_rnode_array(&names, "an array of model names"))
        wc_rnode_strings(&names, WC_READ_NONEMPTY, &p->nn_models, &p->n_nn_models);
    wc_rnode load = wc_rnode_member(perms, "nn_load");
    wc_rnode_bool(&load, &p->nn_load);
    read_size(perms, "nn_max_load_bytes", 1, 1ull << 30, &p->nn_max_load_bytes);
    wc_rnode contexts = wc_rnode_member(perms, "nn_max_contexts");
    long long n;
    if (wc_rnode_int(&contexts, 1, 1024, &n))
        p->nn_max_contexts = (uint32_t)n;
}

/* One list of bus.publish or bus.request: NATS subject filters. */
static void read_bus_subjects(wc_rnode *bus, const char *key, char ***list, size_t *count)
{
    wc_rnode node = wc_rnode_member(bus, key);
    if (!wc_rnode_array(&node, "an array of subjects (NATS wildcards * and > allowed)") ||
        !wc_rnode_strings(&node, WC_READ_NONEMPTY, list, count))
        return;
    for (size_t i = 0; i < *count; i++) {
        wc_error why = {0};
        if (wc_bus_check_subject((*list)[i], true, &why) != 0) {
            wc_rnode item = wc_rnode_item(&node, i);
            wc_rnode_fail(&item, "'%s' is not a subject pattern: %s", (*list)[i], why.msg);
            return;
        }
    }
}

/* What the plugin may do on the bus: deny by default, per operation. */
static void read_bus(wc_rnode *perms, wc_permissions *p)
{
    wc_rnode bus = wc_rnode_member(perms, "bus");
    if (!wc_rnode_object(&bus, "an object (\"publish\": [subjects], \"request\": [subjects])"))
        return;
    read_bus_subjects(&bus, "publish", &p->bus_publish, &p->n_bus_publish);
    read_bus_subjects(&bus, "request", &p->bus_request, &p->n_bus_request);
    wc_rnode_done(&bus);
}

/* "allowed_paths": [{"host": DIR, "guest": NAME, "writable": BOOL}]: WASI
 * preopens, read-only unless writable; the guest sees the host path as it
 * is written unless "guest" names it otherwise. */
static void read_paths(wc_rnode *perms, wc_permissions *p)
{
    wc_rnode list = wc_rnode_member(perms, "allowed_paths");
    if (!wc_rnode_array(&list, "an array of {\"host\": DIR, \"guest\": NAME, \"writable\": BOOL}"))
        return;
    size_t n = wc_rnode_count(&list);
    if (n > WC_WASI_MAX_PREOPENS) {
        wc_rnode_fail(&list, "%zu directories, more than the %d a plugin may be granted", n,
                      WC_WASI_MAX_PREOPENS);
        return;
    }
    if (!(p->preopens = calloc(n ? n : 1, sizeof *p->preopens))) {
        wc_rnode_fail(&list, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        wc_rnode item = wc_rnode_item(&list, i);
        if (!wc_rnode_object(&item, NULL))
            return;
        wc_rnode host = wc_rnode_member(&item, "host");
        wc_rnode guest = wc_rnode_member(&item, "guest");
        wc_rnode writable = wc_rnode_member(&item, "writable");
        char *host_path = NULL, *guest_path = NULL;
        const char *written = NULL;
        bool ok = wc_rnode_require(&host) && wc_rnode_path(&host, WC_READ_NONEMPTY, &host_path) &&
                  wc_rnode_text(&host, WC_READ_NONEMPTY, &written);
        if (ok && wc_rnode_present(&guest))
            ok = wc_rnode_string(&guest, WC_READ_NONEMPTY, &guest_path);
        else if (ok && !(guest_path = strdup(written)))
            ok = wc_rnode_fail(&item, "out of memory");
        wc_wasi_preopen *g = &p->preopens[p->n_preopens++];
        g->host_path = host_path;
        g->guest_path = guest_path;
        if (!ok || (wc_rnode_present(&writable) && !wc_rnode_bool(&writable, &g->writable)) ||
            !wc_rnode_done(&item))
            return;
    }
}

static void read_permissions(wc_rnode *plugin, wc_permissions *p)
{
    wc_rnode perms = wc_rnode_member(plugin, "permissions");
    if (!wc_rnode_object(&perms, NULL))
        return;
    uint64_t n;
    read_hosts(&perms, p);
    read_env(&perms, p);
    read_size(&perms, "memory_limit", 64u << 10, 4ull << 30, &p->memory_limit);
    wc_rnode timeout = wc_rnode_member(&perms, "timeout_ms");
    wc_rnode_ms(&timeout, 1, 86400000, &p->timeout_ms);
    n = p->max_output_bytes;
    read_size(&perms, "max_output_bytes", 1, 1ull << 30, &n);
    p->max_output_bytes = (size_t)n;
    wc_rnode messages = wc_rnode_member(&perms, "max_log_messages");
    long long count;
    if (wc_rnode_int(&messages, 1, 100000000, &count))
        p->max_log_messages = (uint32_t)count;
    n = p->max_log_bytes;
    read_size(&perms, "max_log_bytes", 1, 1ull << 30, &n);
    p->max_log_bytes = (size_t)n;
    wc_rnode ns = wc_rnode_member(&perms, "kv_namespace");
    wc_rnode_string(&ns, WC_READ_NONEMPTY, &p->kv_namespace);
    read_size(&perms, "kv_quota", 1, UINT64_MAX, &p->kv_quota);
    read_values(&perms, p);
    wc_rnode sampling = wc_rnode_member(&perms, "sampling");
    wc_rnode_bool(&sampling, &p->sampling);
    wc_rnode elicitation = wc_rnode_member(&perms, "elicitation");
    wc_rnode_bool(&elicitation, &p->elicitation);
    read_nn(&perms, p);
    read_bus(&perms, p);
    read_paths(&perms, p);
    wc_rnode_done(&perms);
}

/* Tool and prefix names as MCP clients see them. */
static bool exposed_name_ok(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return n <= 128;
}

static void read_tool_names(wc_rnode *plugin, wc_plugin_config *pc)
{
    wc_rnode obj = wc_rnode_member(plugin, "tools");
    if (!wc_rnode_object(&obj, "an object (\"tool\": \"exposed name\")"))
        return;
    if (!(pc->tool_names = json_object())) {
        wc_rnode_fail(&obj, "out of memory");
        return;
    }
    void *iter = NULL;
    wc_rnode tool;
    while (wc_rnode_next(&obj, &iter, &tool)) {
        char *s;
        if (!wc_rnode_string(&tool, 0, &s))
            return;
        if (!*s || !exposed_name_ok(s))
            wc_rnode_fail(&tool, "'%s' is not a valid tool name (1 to 128 letters, digits, '_', '.' or '-')", s);
        else if (json_object_set_new(pc->tool_names, tool.key, json_string(s)))
            wc_rnode_fail(&tool, "out of memory");
        free(s);
    }
}

/* skip_tools, skip_prompts, ...: arrays of regular expressions, each
 * checked here so that a bad one is refused with its place. */
static void read_skips(wc_rnode *plugin, wc_plugin_config *pc)
{
    for (int k = 0; k < WC_SKIP_KINDS; k++) {
        wc_rnode list = wc_rnode_member(plugin, wc_skip_key((wc_skip_kind)k));
        if (!wc_rnode_array(&list, "an array of regular expressions") ||
            !wc_rnode_strings(&list, WC_READ_NONEMPTY, &pc->skip[k], &pc->n_skip[k]))
            continue;
        if (pc->n_skip[k] > WC_SKIP_MAX_PATTERNS) {
            wc_rnode_fail(&list, "more than %d patterns", WC_SKIP_MAX_PATTERNS);
            return;
        }
        for (size_t i = 0; i < pc->n_skip[k]; i++) {
            char why[256];
            if (!wc_skip_pattern_ok(pc->skip[k][i], why, sizeof why)) {
                wc_rnode item = wc_rnode_item(&list, i);
                wc_rnode_fail(&item, "'%s' is not a regular expression: %s", pc->skip[k][i], why);
                return;
            }
        }
    }
}

static bool read_plugin(wc_rnode *plugin, wc_plugin_config *pc)
{
    if (!wc_manifest_name_ok(plugin->key))
        return wc_rnode_fail(plugin, "a plugin name must match ^[A-Za-z0-9_.-]{1,64}$");
    if (!wc_rnode_object(plugin, NULL))
        return false;
    if (!(pc->name = strdup(plugin->key)))
        return wc_rnode_fail(plugin, "out of memory");
    wc_rnode path = wc_rnode_member(plugin, "path");
    /* A "source" (URL, OCI reference) is the front end's to resolve into
     * path before the registry loads the plugin. */
    wc_rnode source = wc_rnode_member(plugin, "source");
    pc->has_source = wc_rnode_present(&source);
    if (pc->has_source && wc_rnode_present(&path))
        wc_rnode_fail(&source, "give either \"path\" or \"source\", not both");
    else if (!pc->has_source && wc_rnode_require(&path))
        wc_rnode_path(&path, WC_READ_NONEMPTY, &pc->path);
    wc_rnode prefix = wc_rnode_member(plugin, "prefix");
    if (wc_rnode_string(&prefix, 0, &pc->prefix) && (strlen(pc->prefix) > 64 || !exposed_name_ok(pc->prefix)))
        wc_rnode_fail(&prefix, "a prefix may hold up to 64 letters, digits, '_', '.' or '-'");
    read_tool_names(plugin, pc);
    read_skips(plugin, pc);
    read_permissions(plugin, &pc->perms);
    if (!wc_rnode_done(plugin))
        return false;
    if (!pc->prefix && !(pc->prefix = strdup(pc->name)))
        return wc_rnode_fail(plugin, "out of memory");
    if (!(pc->fingerprint = json_dumps(plugin->json, JSON_COMPACT | JSON_SORT_KEYS)))
        return wc_rnode_fail(plugin, "out of memory");
    return true;
}

bool wc_plugin_configs_read(const wc_rnode *plugins, wc_plugin_config **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    if (!plugins->json)
        return !plugins->reader->failed;
    if (!wc_rnode_object(plugins, "an object (\"name\": {\"path\": ...})"))
        return false;
    size_t n = json_object_size(plugins->json);
    if (!n)
        return true;
    wc_plugin_config *list = calloc(n, sizeof *list);
    if (!list)
        return wc_rnode_fail(plugins, "out of memory");
    wc_rnode obj = *plugins, plugin;
    void *iter = NULL;
    size_t used = 0;
    /* Counted before reading so that a partial entry is freed too. */
    while (wc_rnode_next(&obj, &iter, &plugin) && read_plugin(&plugin, &list[used++]))
        ;
    if (plugins->reader->failed) {
        wc_plugin_configs_free(list, used);
        return false;
    }
    *out = list;
    *count = used;
    return true;
}

void wc_plugin_config_free(wc_plugin_config *pc)
{
    free(pc->name);
    free(pc->path);
    free(pc->prefix);
    free(pc->fingerprint);
    json_decref(pc->tool_names);
    for (int k = 0; k < WC_SKIP_KINDS; k++) {
        for (size_t i = 0; i < pc->n_skip[k]; i++)
            free(pc->skip[k][i]);
        free(pc->skip[k]);
    }
    wc_permissions *p = &pc->perms;
    for (size_t i = 0; i < p->n_allowed_hosts; i++)
        free(p->allowed_hosts[i]);
    free(p->allowed_hosts);
    for (size_t i = 0; i < p->n_env; i++)
        free(p->env[i]);
    free(p->env);
    free(p->kv_namespace);
    json_decref(p->config);
    for (size_t i = 0; i < p->n_nn_models; i++)
        free(p->nn_models[i]);
    free(p->nn_models);
    for (size_t i = 0; i < p->n_bus_publish; i++)
        free(p->bus_publish[i]);
    free(p->bus_publish);
    for (size_t i = 0; i < p->n_bus_request; i++)
        free(p->bus_request[i]);
    free(p->bus_request);
    wc_nn_models_release(p->nn_library);
    wc_preopens_free(p->preopens, p->n_preopens);
    wc_schema_docs_release(pc->schema_docs);
    memset(pc, 0, sizeof *pc);
}

void wc_preopens_free(wc_wasi_preopen *preopens, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free((char *)preopens[i].host_path);
        free((char *)preopens[i].guest_path);
    }
    free(preopens);
}

int wc_preopens_copy(const wc_wasi_preopen *src, size_t count, wc_wasi_preopen **out)
{
    *out = NULL;
    if (!count)
        return 0;
    wc_wasi_preopen *copy = calloc(count, sizeof *copy);
    if (!copy)
        return WC_ENOMEM;
    for (size_t i = 0; i < count; i++) {
        copy[i].writable = src[i].writable;
        copy[i].host_path = strdup(src[i].host_path);
        copy[i].guest_path = strdup(src[i].guest_path);
        if (!copy[i].host_path || !copy[i].guest_path) {
            wc_preopens_free(copy, i + 1);
            return WC_ENOMEM;
        }
    }
    *out = copy;
    return 0;
}

void wc_plugin_configs_free(wc_plugin_config *plugins, size_t count)
{
    for (size_t i = 0; i < count; i++)
        wc_plugin_config_free(&plugins[i]);
    free(plugins);
}
