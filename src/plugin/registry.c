/* registry.c -- every configured plugin under its exposed names.
 *
 * Built once from a config and immutable afterwards, so lookups take no
 * lock: tools, prompts and static resources sit in arrays sorted by their
 * exposed name (binary search), templates in config order.  Names clash
 * across plugins only as an error at build time, naming both plugins and
 * the setting that renames one.
 */
#include "plugin/registry.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/wasi_nn.h"
#include "plugin/plugin.h"
#include "plugin/services.h"
#include "util/grow.h"
#include "util/log.h"

#define COMPLETION_MAX 100

typedef struct entry {
    char *name;       /* exposed name, or the URI / template */
    wc_plugin *plugin;
    size_t index;     /* tool index in the manifest */
    const char *orig; /* the manifest's name (prompts) */
    const wc_service_endpoint *endpoint; /* a service's tool: plugin is NULL */
    const wc_host_tool *host;            /* the server's own tool: plugin is NULL */
} entry;

typedef struct table {
    entry *items;
    size_t count, cap;
} table;

struct wc_registry {
    /* Every request retains and releases the registry from its worker:
     * the count has a cache line to itself, so the tables every call reads
     * are not passed between the cores with it. */
    atomic_int refs;
    char refs_line[64 - sizeof(atomic_int)];
    wc_plugin **plugins;
    size_t nplugins;
    table tools, prompts, resources, templates;
    json_t *tool_list, *resource_list, *template_list, *prompt_list;
    /* A registry with services (wc_registry_with_services) owns only its
     * tools: the plugins, prompts and resources are base's. */
    wc_registry *base;
    wc_service_set *services;
    wc_bus *bus;
    wc_services *source;
};


static int table_add(table *t, const char *name, wc_plugin *p, size_t index, const char *orig)
{
    if (!wc_grow((void **)&t->items, &t->cap, t->count + 1, sizeof *t->items))
        return WC_ENOMEM;
    char *copy = strdup(name);
    if (!copy)
        return WC_ENOMEM;
    t->items[t->count++] = (entry){copy, p, index, orig, NULL, NULL};
    return 0;
}

static void table_free(table *t)
{
    for (size_t i = 0; i < t->count; i++)
        free(t->items[i].name);
    free(t->items);
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

/* The plugin or service behind an entry, by name. */
static const char *entry_owner(const entry *e)
{
    if (e->host)
        return "wasmcap";
    return e->plugin ? wc_plugin_name(e->plugin) : wc_service_endpoint_service(e->endpoint);
}

/* Sorts t; a name twice is an error naming both plugins. */
static int table_seal(table *t, const char *what, const char *hint, wc_error *err)
{
    if (t->count > 1)
        qsort(t->items, t->count, sizeof *t->items, entry_cmp);
    for (size_t i = 1; i < t->count; i++) {
        const entry *a = &t->items[i - 1], *b = &t->items[i];
        if (strcmp(a->name, b->name) != 0)
            continue;
        const char *pa = entry_owner(a), *pb = entry_owner(b);
        if (a->plugin == b->plugin)
            return wc_error_set(err, WC_EINVAL, "plugin '%s' exposes two %ss as '%s'%s", pa, what,
                                a->name, hint ? " (check its \"tools\" renames)" : "");
        return wc_error_set(err, WC_EINVAL,
                            "%s '%s' is exposed by both plugins '%s' and '%s'%s%s%s", what,
                            a->name, pa, pb, hint ? " (rename one with plugins." : "",
                            hint ? pb : "", hint ? hint : "");
    }
    return 0;
}

static const entry *table_find(const table *t, const char *name)
{
    if (!t->count)
        return NULL;
    entry key = {.name = (char *)name};
    return bsearch(&key, t->items, t->count, sizeof *t->items, entry_cmp);
}

/* ---- descriptors ------------------------------------------------------- */

static json_t *tool_descriptor(const wc_manifest_tool *t, const char *exposed)
{
    json_t *d = json_pack("{s:s}", "name", exposed);
    if (!d)
        return NULL;
    if (t->title)
        json_object_set_new(d, "title", json_string(t->title));
    if (t->description)
        json_object_set_new(d, "description", json_string(t->description));
    json_object_set_new(d, "inputSchema", json_deep_copy(t->input_schema));
    if (t->output_schema)
        json_object_set_new(d, "outputSchema", json_deep_copy(t->output_schema));
    if (t->annotations)
        json_object_set_new(d, "annotations", json_deep_copy(t->annotations));
    return d;
}

static char *exposed_name(const char *prefix, const char *name)
{
    size_t n = strlen(prefix) + 1 + strlen(name) + 1;
    char *s = malloc(n);
    if (!s)
        return NULL;
    if (*prefix)
        snprintf(s, n, "%s-%s", prefix, name);
    else
        snprintf(s, n, "%s", name);
    return s;
}

static int add_plugin(wc_registry *r, wc_plugin *p, wc_error *err)
{
    const wc_manifest *m = wc_plugin_manifest(p);
    const wc_plugin_config *pc = wc_plugin_get_config(p);
    const char *prefix = pc->prefix ? pc->prefix : pc->name;
    const char *key;
    json_t *v;
    json_object_foreach(pc->tool_names, key, v) {
        if (wc_manifest_find_tool(m, key) < 0)
            return wc_error_set(err, WC_EINVAL, "plugins.%s.tools.%s: plugin '%s' has no tool '%s'",
                                pc->name, key, pc->name, key);
    }
    for (size_t i = 0; i < m->ntools; i++) {
        const char *renamed = json_string_value(json_object_get(pc->tool_names, m->tools[i].name));
        char *name = renamed ? strdup(renamed) : exposed_name(prefix, m->tools[i].name);
        json_t *d = name ? tool_descriptor(&m->tools[i], name) : NULL;
        if (!d || table_add(&r->tools, name, p, i, m->tools[i].name) ||
            json_array_append_new(r->tool_list, d)) {
            free(name);
            return wc_error_set(err, WC_ENOMEM, "out of memory");
        }
        free(name);
    }
    size_t i;
    json_t *e;
    json_array_foreach(m->resources, i, e) {
        if (table_add(&r->resources, json_string_value(json_object_get(e, "uri")), p, i, NULL) ||
            json_array_append_new(r->resource_list, json_deep_copy(e)))
            return wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    json_array_foreach(m->resource_templates, i, e) {
        json_t *d = json_deep_copy(e);
        if (!d || table_add(&r->templates, json_string_value(json_object_get(e, "uriTemplate")), p,
                            i, NULL))
            return json_decref(d), wc_error_set(err, WC_ENOMEM, "out of memory");
        json_object_del(d, "complete");
        json_array_append_new(r->template_list, d);
    }
    json_array_foreach(m->prompts, i, e) {
        const char *orig = json_string_value(json_object_get(e, "name"));
        char *name = exposed_name(prefix, orig);
        json_t *d = json_deep_copy(e);
        if (!name || !d || table_add(&r->prompts, name, p, i, orig)) {
            free(name);
            json_decref(d);
            return wc_error_set(err, WC_ENOMEM, "out of memory");
        }
        json_object_set_new(d, "name", json_string(name));
        free(name);
        size_t j;
        json_t *a;
        json_array_foreach(json_object_get(d, "arguments"), j, a)
            json_object_del(a, "complete");
        json_array_append_new(r->prompt_list, d);
    }
    return 0;
}

static wc_plugin *previous_plugin(const wc_registry *previous, const char *name)
{
    for (size_t i = 0; previous && i < previous->nplugins; i++)
        if (strcmp(wc_plugin_name(previous->plugins[i]), name) == 0)
            return previous->plugins[i];
    return NULL;
}

/* plugins[i] for the registry being built: previous's when it is current,
 * else loaded.  With previous (a reload), a plugin that fails is logged,
 * and its old version kept when there is one; *p NULL leaves it out. */
static int plugin_for(const wc_registry *previous, const wc_plugin_config *config,
                      wc_engine *engine, wc_kv *kv, wc_registry_changes *changes, wc_plugin **p,
                      wc_error *err)
{
    wc_plugin *old = previous_plugin(previous, config->name);
    if (old && wc_plugin_is_current(old, config)) {
        *p = wc_plugin_retain(old);
        changes->kept++;
        return 0;
    }
    int rc = wc_plugin_load(config, engine, kv, p, err);
    if (rc == 0) {
        changes->loaded++;
        return 0;
    }
    if (!previous || rc == WC_ENOMEM)
        return rc;
    changes->failed++;
    if (!changes->failures)
        changes->failures = json_array();
    json_array_append_new(changes->failures,
                          json_pack("{s:s,s:s}", "plugin", config->name, "error", err->msg));
    json_t *fields = json_pack("{s:s,s:s,s:b}", "plugin", config->name, "error", err->msg,
                               "kept_old", old != NULL);
    wc_log_fields(WC_LOG_ERROR, "reload", fields, "plugin '%s' failed to load, %s: %s",
                  config->name, old ? "its old version keeps serving" : "it is not served",
                  err->msg);
    json_decref(fields);
    *p = old ? wc_plugin_retain(old) : NULL;
    return 0;
}

static int build(const wc_registry *previous, const wc_plugin_config *plugins, size_t nplugins,
                 wc_engine *engine, wc_kv *kv, wc_registry_changes *changes, wc_registry **out,
                 wc_error *err)
{
    *out = NULL;
    if (previous && previous->base)
        previous = previous->base;
    wc_registry *r = calloc(1, sizeof *r);
    if (!r)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    atomic_init(&r->refs, 1);
    r->tool_list = json_array();
    r->resource_list = json_array();
    r->template_list = json_array();
    r->prompt_list = json_array();
    r->plugins = calloc(nplugins ? nplugins : 1, sizeof *r->plugins);
    int rc;
    if (!r->tool_list || !r->resource_list || !r->template_list || !r->prompt_list || !r->plugins) {
        rc = wc_error_set(err, WC_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < nplugins; i++) {
        wc_plugin *p;
        if ((rc = plugin_for(previous, &plugins[i], engine, kv, changes, &p, err)))
            goto fail;
        if (!p)
            continue;
        r->plugins[r->nplugins++] = p;
        if ((rc = add_plugin(r, p, err)))
            goto fail;
    }
    for (size_t i = 0; previous && i < previous->nplugins; i++) {
        const char *name = wc_plugin_name(previous->plugins[i]);
        size_t j = 0;
        while (j < nplugins && strcmp(plugins[j].name, name) != 0)
            j++;
        changes->removed += j == nplugins;
    }
    /* The templates keep config order: the first that matches serves. */
    table sorted = r->templates;
    sorted.items = malloc((r->templates.count ? r->templates.count : 1) * sizeof *sorted.items);
    if (!sorted.items) {
        rc = wc_error_set(err, WC_ENOMEM, "out of memory");
        goto fail;
    }
    if (r->templates.count)
        memcpy(sorted.items, r->templates.items, r->templates.count * sizeof *sorted.items);
    rc = table_seal(&sorted, "resource template", NULL, err);
    free(sorted.items);
    if (rc || (rc = table_seal(&r->tools, "tool", ".prefix or .tools)", err)) ||
        (rc = table_seal(&r->prompts, "prompt", ".prefix)", err)) ||
        (rc = table_seal(&r->resources, "resource", NULL, err)))
        goto fail;
    *out = r;
    return 0;
fail:
    wc_registry_release(r);
    return rc;
}

int wc_registry_new(const wc_plugin_config *plugins, size_t nplugins, wc_engine *engine, wc_kv *kv,
                    wc_registry **out, wc_error *err)
{
    wc_registry_changes changes = {0};
    return build(NULL, plugins, nplugins, engine, kv, &changes, out, err);
}

int wc_registry_update(const wc_registry *previous, const wc_plugin_config *plugins,
                       size_t nplugins, wc_engine *engine, wc_kv *kv,
                       wc_registry_changes *changes, wc_registry **out, wc_error *err)
{
    *changes = (wc_registry_changes){0};
    int rc = build(previous, plugins, nplugins, engine, kv, changes, out, err);
    if (rc) {
        json_decref(changes->failures);
        changes->failures = NULL;
    }
    return rc;
}

wc_registry *wc_registry_retain(wc_registry *r)
{
    atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
    return r;
}

void wc_registry_release(wc_registry *r)
{
    if (!r || atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) != 1)
        return;
    table_free(&r->tools);
    json_decref(r->tool_list);
    if (r->base) {
        wc_service_set_release(r->services);
        wc_registry_release(r->base);
        free(r);
        return;
    }
    table_free(&r->prompts);
    table_free(&r->resources);
    table_free(&r->templates);
    json_decref(r->resource_list);
    json_decref(r->template_list);
    json_decref(r->prompt_list);
    for (size_t i = 0; i < r->nplugins; i++)
        wc_plugin_free(r->plugins[i]);
    free(r->plugins);
    free(r);
}

const json_t *wc_registry_tools(const wc_registry *r) { return r->tool_list; }
const json_t *wc_registry_resource_templates(const wc_registry *r) { return r->template_list; }
const json_t *wc_registry_prompts(const wc_registry *r) { return r->prompt_list; }
const json_t *wc_registry_resources_listed(const wc_registry *r) { return r->resource_list; }

/* ---- calls ------------------------------------------------------------- */

/* Gives err (and the caller) the code the registry reports. */
static int reported_as(wc_error *err, int code)
{
    if (err)
        err->code = code;
    return code;
}

/* A plugin's failure as the registry reports it: never one of the codes
 * that say the caller asked wrongly (WC_EINVAL) or for nothing
 * (WC_ENOTFOUND). */
static int failure(wc_error *err, int rc)
{
    return reported_as(err, rc == WC_EINVAL || rc == WC_ENOTFOUND ? WC_EPLUGIN : rc);
}

/* A prompt or completion the plugin refused, or its arguments it found
 * wanting: the caller's request was wrong. */
static int refusal(wc_error *err, int rc)
{
    return rc == WC_EINVAL || rc == WC_EREFUSED ? reported_as(err, WC_EINVAL) : failure(err, rc);
}

/* A registry built over a bus (wc_registry_with_services) lends it to its
 * plugins' calls, for bus_publish and bus_request, unless the caller gave
 * the call one of its own. */
static void lend_bus(const wc_registry *r, wc_call *call)
{
    if (call && !call->bus)
        call->bus = r->bus;
}

int wc_registry_resources(wc_registry *r, wc_call *call, json_t **out, wc_error *err)
{
    lend_bus(r, call);
    *out = json_deep_copy(r->resource_list);
    if (!*out)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->nplugins; i++) {
        wc_plugin *p = r->plugins[i];
        if (!wc_plugin_has_entry(p, WC_ENTRY_LIST_RESOURCES))
            continue;
        json_t *list;
        wc_error why;
        int rc = wc_plugin_list_resources(p, call, &list, &why);
        if (call && wc_call_cancelled(call)) {
            json_decref(list);
            json_decref(*out);
            *out = NULL;
            return wc_error_set(err, WC_ECANCELED, "cancelled");
        }
        if (rc) {
            /* One failing plugin does not hide the others' resources. */
            wc_log(WC_LOG_WARNING, "plugin", "%s", why.msg);
            continue;
        }
        json_array_extend(*out, list);
        json_decref(list);
    }
    return 0;
}

int wc_registry_call_tool(wc_registry *r, const char *name, const json_t *arguments, wc_call *call,
                          json_t **result, wc_error *err)
{
    *result = NULL;
    const entry *e = table_find(&r->tools, name);
    if (!e)
        return wc_error_set(err, WC_EINVAL, "unknown tool '%s'", name);
    if (e->endpoint) {
        if (call)
            call->io.tier = "bus";
        return wc_service_call(e->endpoint, r->bus, arguments, call, result, err);
    }
    if (e->host) {
        if (call && call->io.inline_budget_ms) {
            /* The server's own tools wait for reloads: on a worker. */
            wc_call_abort_attempt(call);
            return wc_error_set(err, WC_ECANCELED, "a host tool runs on a worker");
        }
        if (call) {
            call->io.plugin = "wasmcap";
            call->io.tier = "host";
        }
        /* The fast path leaves the arguments as text (and a stand-in). */
        json_t *parsed = NULL;
        if (call && call->io.arguments_text) {
            parsed = json_loadb(call->io.arguments_text, call->io.arguments_len, 0, NULL);
            if (!parsed)
                return wc_error_set(err, WC_EINVAL, "arguments of tool '%s' are not JSON", name);
            arguments = parsed;
        }
        int rc = e->host->call(e->host->ctx, arguments, call, result, err);
        json_decref(parsed);
        return rc;
    }
    lend_bus(r, call);
    if (call) {
        call->io.plugin = wc_plugin_name(e->plugin);
        call->io.tier = wc_plugin_tier_name(e->plugin);
    }
    int rc = wc_plugin_call_tool(e->plugin, e->index, e->name, arguments, call, result, err);
    return rc ? failure(err, rc) : 0;
}

static int read_from(wc_plugin *p, const char *uri, wc_call *call, json_t **result, wc_error *err)
{
    int rc = wc_plugin_read_resource(p, uri, call, result, err);
    if (rc == 0)
        return 0;
    if (rc == WC_EREFUSED) {
        wc_error refusal = *err;
        return wc_error_set(err, WC_ENOTFOUND, "resource not found: %s (%s)", uri, refusal.msg);
    }
    return failure(err, rc);
}

int wc_registry_read_resource(wc_registry *r, const char *uri, wc_call *call, json_t **result,
                              wc_error *err)
{
    lend_bus(r, call);
    *result = NULL;
    const entry *e = table_find(&r->resources, uri);
    if (e)
        return read_from(e->plugin, uri, call, result, err);
    for (size_t i = 0; i < r->templates.count; i++)
        if (wc_uri_template_match(r->templates.items[i].name, uri, NULL))
            return read_from(r->templates.items[i].plugin, uri, call, result, err);
    for (size_t i = 0; i < r->nplugins; i++) {
        wc_plugin *p = r->plugins[i];
        if (!wc_plugin_has_entry(p, WC_ENTRY_READ_RESOURCE))
            continue;
        int rc = wc_plugin_read_resource(p, uri, call, result, err);
        if (rc == 0)
            return 0;
        if (rc != WC_EREFUSED)
            return failure(err, rc);
    }
    return wc_error_set(err, WC_ENOTFOUND, "resource not found: %s", uri);
}

size_t wc_registry_resource_plugins(const wc_registry *r, const char *uri, bool exact,
                                    const char **names, size_t max)
{
    /* The same order of lookups as wc_registry_read_resource and
     * wc_registry_complete, so that the plugin named is the one that runs. */
    const wc_plugin *one = NULL;
    if (exact) {
        for (size_t i = 0; i < r->templates.count && !one; i++)
            if (strcmp(r->templates.items[i].name, uri) == 0)
                one = r->templates.items[i].plugin;
    }
    const entry *e = one ? NULL : table_find(&r->resources, uri);
    if (e)
        one = e->plugin;
    for (size_t i = 0; !exact && !one && i < r->templates.count; i++)
        if (wc_uri_template_match(r->templates.items[i].name, uri, NULL))
            one = r->templates.items[i].plugin;
    if (one) {
        if (max)
            names[0] = wc_plugin_name(one);
        return 1;
    }
    if (exact)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < r->nplugins; i++) {
        if (!wc_plugin_has_entry(r->plugins[i], WC_ENTRY_READ_RESOURCE))
            continue;
        if (n < max)
            names[n] = wc_plugin_name(r->plugins[i]);
        n++;
    }
    return n;
}

int wc_registry_get_prompt(wc_registry *r, const char *name, const json_t *arguments, wc_call *call,
                           json_t **result, wc_error *err)
{
    lend_bus(r, call);
    *result = NULL;
    const entry *e = table_find(&r->prompts, name);
    if (!e)
        return wc_error_set(err, WC_EINVAL, "unknown prompt '%s'", name);
    int rc = wc_plugin_get_prompt(e->plugin, e->orig, arguments, call, result, err);
    if (rc == 0)
        return 0;
    return refusal(err, rc);
}

int wc_registry_complete(wc_registry *r, const json_t *params, wc_call *call, json_t **result,
                         wc_error *err)
{
    lend_bus(r, call);
    *result = NULL;
    const json_t *ref = json_object_get(params, "ref");
    const char *type = json_string_value(json_object_get(ref, "type"));
    const json_t *arg = json_object_get(params, "argument");
    if (!json_is_object(ref) || !type)
        return wc_error_set(err, WC_EINVAL, "completion: ref must be an object with a type");
    if (!json_is_object(arg) || !json_is_string(json_object_get(arg, "name")) ||
        !json_is_string(json_object_get(arg, "value")))
        return wc_error_set(err, WC_EINVAL,
                            "completion: argument must be {\"name\": ..., \"value\": ...}");
    wc_plugin *p = NULL;
    json_t *forward = json_deep_copy(params);
    if (!forward)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    if (strcmp(type, "ref/prompt") == 0) {
        const char *name = json_string_value(json_object_get(ref, "name"));
        const entry *e = name ? table_find(&r->prompts, name) : NULL;
        if (!e) {
            json_decref(forward);
            return wc_error_set(err, WC_EINVAL, "unknown prompt '%s'", name ? name : "");
        }
        p = e->plugin;
        json_object_set_new(json_object_get(forward, "ref"), "name", json_string(e->orig));
    } else if (strcmp(type, "ref/resource") == 0) {
        const char *uri = json_string_value(json_object_get(ref, "uri"));
        for (size_t i = 0; uri && i < r->templates.count && !p; i++)
            if (strcmp(r->templates.items[i].name, uri) == 0)
                p = r->templates.items[i].plugin;
        const entry *e = !p && uri ? table_find(&r->resources, uri) : NULL;
        if (e)
            p = e->plugin;
        if (!p) {
            json_decref(forward);
            return wc_error_set(err, WC_EINVAL, "unknown resource template '%s'", uri ? uri : "");
        }
    } else {
        json_decref(forward);
        return wc_error_set(err, WC_EINVAL, "completion: unknown ref type '%s'", type);
    }
    json_t *values;
    int rc = wc_plugin_complete(p, forward, call, &values, err);
    json_decref(forward);
    if (rc)
        return refusal(err, rc);
    size_t total = json_array_size(values);
    while (json_array_size(values) > COMPLETION_MAX)
        json_array_remove(values, json_array_size(values) - 1);
    *result = json_pack("{s:{s:o,s:I,s:b}}", "completion", "values", values, "total",
                        (json_int_t)total, "hasMore", total > COMPLETION_MAX);
    if (!*result)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    return 0;
}

void wc_registry_render_metrics(const wc_registry *r, wc_buf *out)
{
    unsigned long long live, created;
    wc_instance_counts(&live, &created);
    wc_buf_printf(out,
                  "# HELP wasmcap_instances Wasm instances alive now.\n"
                  "# TYPE wasmcap_instances gauge\n"
                  "wasmcap_instances %llu\n"
                  "# HELP wasmcap_instances_created_total Wasm instances made (one per call).\n"
                  "# TYPE wasmcap_instances_created_total counter\n"
                  "wasmcap_instances_created_total %llu\n",
                  live, created);
    if (!r)
        return;
    wc_services_render_metrics(r->source, out);
    wc_buf_str(out, "# HELP wasmcap_plugin_tier The compile tier a plugin's new instances "
                    "get (1 on the tier in use).\n"
                    "# TYPE wasmcap_plugin_tier gauge\n");
    for (size_t i = 0; i < r->nplugins; i++) {
        wc_tier tier = wc_module_tier(wc_plugin_module(r->plugins[i]));
        for (int t = 0; t < 2; t++)
            wc_buf_printf(out, "wasmcap_plugin_tier{plugin=\"%s\",tier=\"%s\"} %d\n",
                          wc_plugin_name(r->plugins[i]), t ? "optimized" : "fast",
                          tier == (t ? WC_TIER_OPTIMIZED : WC_TIER_FAST));
    }
    /* Every plugin holds the config's one set of models (or none). */
    const wc_nn_models *models = NULL;
    for (size_t i = 0; i < r->nplugins && !models; i++)
        models = wc_plugin_get_config(r->plugins[i])->perms.nn_library;
    wc_nn_models_render_metrics(models, out);
}

/* ---- services ---------------------------------------------------------- */

int wc_registry_with_services(wc_registry *base, wc_service_set *set, wc_bus *bus,
                              wc_services *source, wc_registry **out, wc_error *err)
{
    *out = NULL;
    wc_registry *r = calloc(1, sizeof *r);
    if (!r)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    if (base->base)
        base = base->base; /* services replace services, they do not pile up */
    /* Everything but the tools is base's, borrowed while r holds base. */
    *r = *base;
    atomic_init(&r->refs, 1);
    r->base = wc_registry_retain(base);
    r->services = set ? wc_service_set_retain(set) : NULL;
    r->bus = bus;
    r->source = source;
    r->tools = (table){0};
    r->tool_list = json_array();
    int rc = r->tool_list ? 0 : WC_ENOMEM;
    for (size_t i = 0; !rc && i < base->tools.count; i++) {
        const entry *e = &base->tools.items[i];
        if ((rc = table_add(&r->tools, e->name, e->plugin, e->index, e->orig)))
            break;
        r->tools.items[r->tools.count - 1].host = e->host;
    }
    if (!rc)
        rc = json_array_extend(r->tool_list, base->tool_list) ? WC_ENOMEM : 0;
    for (size_t i = 0; !rc && i < wc_service_set_count(set); i++) {
        const wc_service_endpoint *ep = wc_service_set_get(set, i);
        const char *name = wc_service_endpoint_tool(ep);
        if (table_find(&base->tools, name)) {
            /* A plugin's tool keeps its name; the service's is not offered. */
            wc_log(WC_LOG_WARNING, "services",
                   "service '%s' tool '%s' is not offered: a plugin has a tool of that name",
                   wc_service_endpoint_service(ep), name);
            continue;
        }
        if ((rc = table_add(&r->tools, name, NULL, i, NULL)))
            break;
        r->tools.items[r->tools.count - 1].endpoint = ep;
        if (json_array_append(r->tool_list, (json_t *)wc_service_endpoint_descriptor(ep)))
            rc = WC_ENOMEM;
    }
    if (rc) {
        wc_registry_release(r);
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    if (r->tools.count > 1)
        qsort(r->tools.items, r->tools.count, sizeof *r->tools.items, entry_cmp);
    *out = r;
    return 0;
}

size_t wc_registry_service_tools(const wc_registry *r)
{
    return r->base ? wc_service_set_count(r->services) : 0;
}

/* ---- the server's own tools ------------------------------------------- */

int wc_registry_add_host_tools(wc_registry *r, const wc_host_tool *tools, size_t n, wc_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const entry *had = table_find(&r->tools, tools[i].name);
        if (had)
            return wc_error_set(err, WC_EINVAL, "tool '%s' of %s '%s' has the name of the "
                                "server's own tool (admin.tools): rename it with plugins.%s.prefix "
                                "or .tools", tools[i].name, had->plugin ? "plugin" : "service",
                                entry_owner(had), entry_owner(had));
        json_error_t jerr;
        json_t *schema = json_loads(tools[i].input_schema, 0, &jerr);
        json_t *d = schema ? json_pack("{s:s,s:s,s:o}", "name", tools[i].name, "description",
                                       tools[i].description, "inputSchema", schema)
                           : NULL;
        if (!d || table_add(&r->tools, tools[i].name, NULL, i, NULL) ||
            json_array_append_new(r->tool_list, d))
            return wc_error_set(err, WC_ENOMEM, "out of memory");
        r->tools.items[r->tools.count - 1].host = &tools[i];
        qsort(r->tools.items, r->tools.count, sizeof *r->tools.items, entry_cmp);
    }
    return 0;
}

json_t *wc_registry_describe_plugins(const wc_registry *r)
{
    json_t *list = json_array();
    const wc_registry *base = r && r->base ? r->base : r;
    for (size_t i = 0; list && base && i < base->nplugins; i++) {
        const wc_plugin *p = base->plugins[i];
        const wc_manifest *m = wc_plugin_manifest(p);
        json_t *tools = json_array();
        for (size_t t = 0; tools && t < base->tools.count; t++)
            if (base->tools.items[t].plugin == p)
                json_array_append_new(tools, json_string(base->tools.items[t].name));
        json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:{s:s?,s:s?},s:o*}", "name",
                                              wc_plugin_name(p), "abi", wc_plugin_abi_name(p),
                                              "tier", wc_plugin_tier_name(p), "manifest", "name",
                                              m->name, "version", m->version, "tools", tools));
    }
    return list;
}
