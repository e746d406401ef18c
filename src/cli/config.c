/* config.c -- read and check wasmcap.json (docs/CONFIG.md): the server and
 * storage sections here, the plugins' entries in plugin/config.c, on one
 * reader (json/reader.h) that expands "${VAR}" in every string.
 *
 * The config grants permissions and opens doors, so it is strict: an
 * unknown key is an error, and every error names the file and the JSON path
 * of the value.
 */
#include "cli/config.h"
#include "cli/hyper_mcp.h"
#include "cli/yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/config.h"
#include "plugin/services.h"
#include "cli/expand.h"
#include "fetch/source.h"
#include "host/wasi_nn.h"
#include "nn/backend.h"
#include "ontology/ontology.h"
#include "store/kv.h"
#include "util/fs.h"
#include "util/log.h"

#define MAX_CONFIG_BYTES (16u << 20)

/* $XDG_x (absolute) + tail, else $HOME + home_tail + tail. */
static char *xdg_dir(const char *xdg, const char *home_tail, const char *tail)
{
    const char *base = getenv(xdg);
    char buf[4096];
    if (base && base[0] == '/') {
        snprintf(buf, sizeof buf, "%s/%s", base, tail);
    } else {
        const char *home = getenv("HOME");
        if (!home || !*home)
            return NULL;
        snprintf(buf, sizeof buf, "%s/%s/%s", home, home_tail, tail);
    }
    return strdup(buf);
}

int wc_config_default(wc_config *out, wc_error *err)
{
    memset(out, 0, sizeof *out);
    out->server_name = strdup("wasmcap");
    out->max_message_bytes = 4u << 20;
    out->workers = 0;
    out->page_size = 100;
    out->log_level = WC_LOG_INFO;
    out->tier = WC_TIER_AUTO;
    out->kv_dir = xdg_dir("XDG_DATA_HOME", ".local/share", "wasmcap/kv");
    out->cache_dir = xdg_dir("XDG_CACHE_HOME", ".cache", "wasmcap");
    out->cache_key = xdg_dir("XDG_CONFIG_HOME", ".config", "wasmcap/cache.key");
    out->audit.enabled = true;
    out->audit.queue = 16384;
    out->audit.stream_max_age_ms = 7ull * 86400000;
    out->audit.stream_max_bytes = 1ull << 30;
    out->audit_stream_default = true;
    out->audit_enabled_default = true;
    out->kv_bucket = strdup("WASMCAP_KV");
    out->cluster_bucket = strdup("WASMCAP_SESSIONS");
    out->cluster_session_ttl_ms = 86400000;
    out->cluster_max_bytes = 256ull << 20;
    out->cluster_log_stream = strdup("WASMCAP_SESSION_LOGS");
    out->cluster_log_events = 256;
    out->cluster_log_max_age_ms = 86400000;
    out->cluster_log_max_bytes = 1ull << 30;
    out->cluster_event_max_age_ms = 600000;
    out->reload_watch = true;
    out->reload_quiet_ms = 200;
    out->admin_scope = strdup("wasmcap:admin");
    if (!out->server_name || !out->kv_dir || !out->cache_dir || !out->cache_key ||
        !out->kv_bucket || !out->cluster_bucket || !out->cluster_log_stream || !out->admin_scope) {
        wc_config_free(out);
        return wc_error_set(err, WC_EINVAL,
                            "cannot choose default storage directories: neither XDG_DATA_HOME/"
                            "XDG_CACHE_HOME nor HOME is set (set storage.kv_dir, "
                            "storage.cache_dir and storage.cache_key)");
    }
    return 0;
}

/* ---- sections ---------------------------------------------------------- */

/* A string member that replaces *slot when present. */
static void read_string(wc_rnode *obj, const char *key, unsigned flags, char **slot)
{
    wc_rnode m = wc_rnode_member(obj, key);
    char *s;
    if (wc_rnode_string(&m, flags, &s)) {
        free(*slot);
        *slot = s;
    }
}

static void read_server_size(wc_rnode *server, const char *key, uint64_t min, size_t *out)
{
    wc_rnode m = wc_rnode_member(server, key);
    uint64_t n;
    if (wc_rnode_size(&m, min, 1ull << 30, &n))
        *out = (size_t)n;
}

static void read_log_level(wc_rnode *server, wc_config *c)
{
    wc_rnode m = wc_rnode_member(server, "log_level");
    char *s;
    if (!wc_rnode_string(&m, 0, &s))
        return;
    int level = wc_log_level_parse(s);
    if (level < 0)
        wc_rnode_fail(&m, "unknown level '%s' (debug, info, notice, warning, error, critical, alert, "
                      "emergency)", s);
    else
        c->log_level = level;
    free(s);
}

static void read_tier(wc_rnode *server, wc_config *c)
{
    wc_rnode m = wc_rnode_member(server, "tier");
    char *s;
    if (!wc_rnode_string(&m, 0, &s))
        return;
    if (strcmp(s, "auto") == 0)
        c->tier = WC_TIER_AUTO;
    else if (strcmp(s, "fast") == 0)
        c->tier = WC_TIER_FAST;
    else if (strcmp(s, "optimized") == 0)
        c->tier = WC_TIER_OPTIMIZED;
    else
        wc_rnode_fail(&m, "unknown tier '%s' (auto, fast, optimized)", s);
    free(s);
}

static void read_server(wc_rnode *doc, wc_config *c)
{
    wc_rnode server = wc_rnode_member(doc, "server");
    if (!wc_rnode_object(&server, NULL))
        return;
    long long n;
    read_string(&server, "name", WC_READ_NONEMPTY, &c->server_name);
    read_server_size(&server, "max_message_bytes", 1u << 10, &c->max_message_bytes);
    read_server_size(&server, "stdio_max_queued_bytes", 64u << 10, &c->stdio_max_queued_bytes);
    wc_rnode workers = wc_rnode_member(&server, "workers");
    if (wc_rnode_int(&workers, 0, 1024, &n))
        c->workers = (unsigned)n;
    wc_rnode page = wc_rnode_member(&server, "page_size");
    if (wc_rnode_int(&page, 1, 100000, &n))
        c->page_size = (unsigned)n;
    read_log_level(&server, c);
    read_tier(&server, c);
    wc_rnode secret = wc_rnode_member(&server, "state_secret");
    char *s;
    if (wc_rnode_string(&secret, 0, &s)) {
        if (strlen(s) < 32) {
            wc_rnode_fail(&secret, "must be at least 32 characters (it keys an HMAC)");
            free(s);
        } else {
            free(c->state_secret);
            c->state_secret = s;
        }
    }
    wc_rnode_done(&server);
}

static void read_storage_path(wc_rnode *storage, const char *key, unsigned flags, char **slot)
{
    wc_rnode m = wc_rnode_member(storage, key);
    char *s;
    if (wc_rnode_path(&m, flags, &s)) {
        free(*slot);
        *slot = s;
    }
}

static void read_storage(wc_rnode *doc, wc_config *c)
{
    wc_rnode storage = wc_rnode_member(doc, "storage");
    if (!wc_rnode_object(&storage, NULL))
        return;
    read_storage_path(&storage, "kv_dir", WC_READ_NONEMPTY, &c->kv_dir);
    wc_rnode size = wc_rnode_member(&storage, "kv_map_size");
    uint64_t n;
    if (wc_rnode_size(&size, WC_KV_MIN_MAP_SIZE, WC_KV_MAX_MAP_SIZE, &n))
        c->kv_map_size = (size_t)n;
    read_storage_path(&storage, "cache_dir", 0, &c->cache_dir); /* "": no cache */
    read_storage_path(&storage, "cache_key", WC_READ_NONEMPTY, &c->cache_key);
    wc_rnode_done(&storage);
}

/* "stream": false (none), or {"name", "max_age_ms", "max_bytes",
 * "max_msgs"}. */
static void read_audit_stream(wc_rnode *audit, wc_config *c)
{
    wc_rnode st = wc_rnode_member(audit, "stream");
    if (!wc_rnode_present(&st))
        return;
    c->audit_stream_default = false;
    if (json_is_false(st.json))
        return;
    if (!wc_rnode_object(&st, "false or an object (\"name\": ..., \"max_age_ms\": ...)"))
        return;
    wc_rnode name = wc_rnode_member(&st, "name");
    char *s = NULL;
    if (wc_rnode_string(&name, WC_READ_NONEMPTY, &s)) {
        free(c->audit_stream);
        c->audit_stream = s;
    } else if (!name.reader->failed) {
        c->audit_stream = strdup("WASMCAP_AUDIT");
    }
    wc_rnode age = wc_rnode_member(&st, "max_age_ms");
    long long n;
    if (wc_rnode_int(&age, 0, 100ll * 365 * 86400000, &n))
        c->audit.stream_max_age_ms = (uint64_t)n;
    wc_rnode bytes = wc_rnode_member(&st, "max_bytes");
    uint64_t size;
    if (json_is_integer(bytes.json) && json_integer_value(bytes.json) == 0)
        c->audit.stream_max_bytes = 0;
    else if (wc_rnode_size(&bytes, 1024, 1ull << 50, &size))
        c->audit.stream_max_bytes = size;
    wc_rnode msgs = wc_rnode_member(&st, "max_msgs");
    if (wc_rnode_int(&msgs, 0, 1ll << 50, &n))
        c->audit.stream_max_msgs = (uint64_t)n;
    wc_rnode_done(&st);
}

static void read_audit(wc_rnode *doc, wc_config *c)
{
    wc_rnode audit = wc_rnode_member(doc, "audit");
    if (!wc_rnode_object(&audit, NULL))
        return;
    wc_rnode enabled = wc_rnode_member(&audit, "enabled");
    if (wc_rnode_bool(&enabled, &c->audit.enabled))
        c->audit_enabled_default = false;
    wc_rnode args = wc_rnode_member(&audit, "include_arguments");
    wc_rnode_bool(&args, &c->audit.include_arguments);
    wc_rnode queue = wc_rnode_member(&audit, "queue");
    long long n;
    if (wc_rnode_int(&queue, 1, 1000000, &n))
        c->audit.queue = (size_t)n;
    read_audit_stream(&audit, c);
    wc_rnode_done(&audit);
}

/* A stream or bucket name: replaces *out when given and good. */
static void read_store_name(wc_rnode *parent, const char *key, char **out)
{
    wc_rnode node = wc_rnode_member(parent, key);
    char *name = NULL;
    if (!wc_rnode_string(&node, WC_READ_NONEMPTY, &name))
        return;
    bool ok = strlen(name) <= 64;
    for (const char *p = name; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             *p == '-' || *p == '_';
    if (ok) {
        free(*out);
        *out = name;
    } else {
        free(name);
        wc_rnode_fail(&node, "1 to 64 letters, digits, '-' or '_'");
    }
}

static void read_ms(wc_rnode *parent, const char *key, uint64_t *out)
{
    wc_rnode node = wc_rnode_member(parent, key);
    long long n;
    if (wc_rnode_int(&node, 0, 100ll * 365 * 86400000, &n))
        *out = (uint64_t)n;
}

/* "cluster": {"enabled", "sessions_bucket", "session_ttl_ms", "max_bytes",
 * "log_stream", "log_events", "log_max_age_ms", "log_max_bytes",
 * "event_max_age_ms"}. */
static void read_cluster(wc_rnode *doc, wc_config *c)
{
    wc_rnode cluster = wc_rnode_member(doc, "cluster");
    if (!wc_rnode_object(&cluster, NULL))
        return;
    wc_rnode enabled = wc_rnode_member(&cluster, "enabled");
    wc_rnode_bool(&enabled, &c->cluster_enabled);
    read_store_name(&cluster, "sessions_bucket", &c->cluster_bucket);
    read_ms(&cluster, "session_ttl_ms", &c->cluster_session_ttl_ms);
    wc_rnode bytes = wc_rnode_member(&cluster, "max_bytes");
    wc_rnode_size(&bytes, 64 * 1024, 1ull << 50, &c->cluster_max_bytes);
    read_store_name(&cluster, "log_stream", &c->cluster_log_stream);
    wc_rnode events = wc_rnode_member(&cluster, "log_events");
    long long n;
    if (wc_rnode_int(&events, 1, 1000000, &n))
        c->cluster_log_events = (uint64_t)n;
    read_ms(&cluster, "log_max_age_ms", &c->cluster_log_max_age_ms);
    wc_rnode log_bytes = wc_rnode_member(&cluster, "log_max_bytes");
    wc_rnode_size(&log_bytes, 64 * 1024, 1ull << 50, &c->cluster_log_max_bytes);
    read_ms(&cluster, "event_max_age_ms", &c->cluster_event_max_age_ms);
    wc_rnode_done(&cluster);
}

/* The bus section is read at start by serve; a mistake in it is the
 * config's error, found at load (and at reload) like any other. */
/* "kv": {"backend": "lmdb" | "nats", "bucket", "max_bytes"}.  The NATS
 * store is a bucket on the bus's server, so it needs one (bus.url). */
static void read_kv(wc_rnode *doc, wc_config *c)
{
    wc_rnode kv = wc_rnode_member(doc, "kv");
    if (!wc_rnode_object(&kv, NULL))
        return;
    wc_rnode backend = wc_rnode_member(&kv, "backend");
    char *name = NULL;
    if (wc_rnode_string(&backend, WC_READ_NONEMPTY, &name)) {
        if (strcmp(name, "nats") == 0 || strcmp(name, "lmdb") == 0)
            c->kv_nats = strcmp(name, "nats") == 0;
        else
            wc_rnode_fail(&backend, "\"lmdb\" or \"nats\"");
        free(name);
    }
    read_store_name(&kv, "bucket", &c->kv_bucket);
    wc_rnode bytes = wc_rnode_member(&kv, "max_bytes");
    wc_rnode_size(&bytes, 64 * 1024, 1ull << 50, &c->kv_max_bytes);
    if (c->kv_nats && !doc->reader->failed) {
        const char *url = json_string_value(json_object_get(c->bus, "url"));
        if (!url || !*url || strcmp(url, "inproc") == 0)
            wc_rnode_fail(&backend, "\"nats\" keeps the kv on the bus's NATS server: set bus.url");
    }
    wc_rnode_done(&kv);
}

static void check_bus(wc_rnode *doc, const char *base_dir, const json_t *section)
{
    if (!section || doc->reader->failed)
        return;
    wc_bus_settings s;
    wc_error why;
    if (wc_bus_settings_parse(section, base_dir, &s, &why) != 0) {
        wc_reader_fail(doc->reader, "%s", why.msg);
        return;
    }
    wc_bus_settings_free(&s);
    wc_services_settings services;
    if (wc_services_settings_parse(json_object_get(section, "services"), &services, &why) != 0)
        wc_reader_fail(doc->reader, "%s", why.msg);
    wc_services_settings_free(&services);
}

static void read_reload(wc_rnode *doc, wc_config *c)
{
    wc_rnode reload = wc_rnode_member(doc, "reload");
    if (!wc_rnode_object(&reload, NULL))
        return;
    wc_rnode watch = wc_rnode_member(&reload, "watch");
    wc_rnode_bool(&watch, &c->reload_watch);
    wc_rnode quiet = wc_rnode_member(&reload, "quiet_ms");
    long long n;
    if (wc_rnode_int(&quiet, 1, 60000, &n))
        c->reload_quiet_ms = (unsigned)n;
    wc_rnode_done(&reload);
}

static void read_admin(wc_rnode *doc, wc_config *c)
{
    wc_rnode admin = wc_rnode_member(doc, "admin");
    if (!wc_rnode_object(&admin, NULL))
        return;
    wc_rnode tools = wc_rnode_member(&admin, "tools");
    wc_rnode_bool(&tools, &c->admin_tools);
    wc_rnode scope = wc_rnode_member(&admin, "scope");
    char *s;
    if (wc_rnode_string(&scope, WC_READ_NONEMPTY, &s)) {
        bool ok = true;
        for (const char *q = s; *q && ok; q++)
            ok = *q > ' ' && *q < 127 && *q != '"' && *q != '\\';
        if (!ok) {
            wc_rnode_fail(&scope, "one scope: printable ASCII without spaces, '\"' or '\\'");
            free(s);
        } else {
            free(c->admin_scope);
            c->admin_scope = s;
        }
    }
    wc_rnode_done(&admin);
}

/* A plugin's fingerprint (plugin/config.h) also holds the sections that
 * what it loads with depends on: the models it may open, the ontology its
 * schemas may "$ref". */
static void fingerprint_shared(wc_rnode *doc, const json_t *json, wc_config *c)
{
    json_t *shared = json_pack("{s:O?,s:O?}", "nn", json_object_get(json, "nn"), "ontology",
                               json_object_get(json, "ontology"));
    char *text = shared ? json_dumps(shared, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(shared);
    for (size_t i = 0; text && i < c->nplugins; i++) {
        wc_plugin_config *pc = &c->plugins[i];
        size_t a = strlen(pc->fingerprint), b = strlen(text);
        char *both = realloc(pc->fingerprint, a + b + 2);
        if (!both) {
            free(text);
            text = NULL;
            break;
        }
        both[a] = '\n';
        memcpy(both + a + 1, text, b + 1);
        pc->fingerprint = both;
    }
    if (!text)
        wc_reader_fail(doc->reader, "out of memory");
    free(text);
}

/* The admin tools' changes over the file's "plugins". */
static int apply_patch(json_t *doc, const json_t *patch)
{
    if (!patch || !json_object_size(patch))
        return 0;
    json_t *plugins = json_object_get(doc, "plugins");
    if (!plugins) {
        plugins = json_object();
        if (!plugins || json_object_set_new(doc, "plugins", plugins))
            return WC_ENOMEM;
    }
    if (!json_is_object(plugins))
        return 0; /* the reader names the fault */
    const char *name;
    json_t *entry;
    json_object_foreach((json_t *)patch, name, entry) {
        if (json_is_null(entry))
            json_object_del(plugins, name);
        else if (json_object_set(plugins, name, entry))
            return WC_ENOMEM;
    }
    return 0;
}

/* "http", "auth" or "bus": kept expanded for the layer that reads it. */
static void read_section(wc_rnode *doc, const char *key, json_t **out)
{
    wc_rnode m = wc_rnode_member(doc, key);
    if (wc_rnode_object(&m, NULL))
        wc_rnode_copy(&m, out);
}

static void read_model(wc_rnode *model, wc_nn_models *models)
{
    if (!wc_rnode_object(model, "an object (\"path\": ..., \"encoding\": ..., \"target\": ..., "
                                "\"backend\": ...)"))
        return;
    char *path = NULL;
    const char *encoding = NULL, *target = NULL, *backend = NULL;
    wc_rnode m = wc_rnode_member(model, "path");
    if (wc_rnode_require(&m))
        wc_rnode_path(&m, WC_READ_NONEMPTY, &path);
    wc_rnode enc = wc_rnode_member(model, "encoding");
    wc_rnode_text(&enc, 0, &encoding);
    wc_rnode tgt = wc_rnode_member(model, "target");
    wc_rnode_text(&tgt, 0, &target);
    wc_rnode rts = wc_rnode_member(model, "runtimes");
    long long runtimes = 0;
    wc_rnode_int(&rts, 1, WC_NN_MAX_RUNTIMES, &runtimes);
    wc_rnode be = wc_rnode_member(model, "backend");
    wc_rnode_text(&be, 0, &backend);
    wc_error err = {0};
    if (wc_rnode_done(model) && path && !model->reader->failed) {
        if (wc_nn_models_add_on(models, model->key, path, encoding, target, backend, &err))
            wc_rnode_fail(model, "%s", wc_error_message(&err));
        else if (runtimes)
            wc_nn_graph_set_max_runtimes(
                wc_nn_models_find(models, model->key, strlen(model->key)), (uint32_t)runtimes);
    }
    free(path);
}

/* The models, loaded here once for every plugin. */
static void read_nn(wc_rnode *doc, wc_config *c)
{
    wc_rnode nn = wc_rnode_member(doc, "nn");
    if (!wc_rnode_object(&nn, NULL))
        return;
    /* before the models: their Arm NN trials run as they are read */
    wc_rnode trial = wc_rnode_member(&nn, "trial_memory");
    uint64_t trial_memory = WC_NN_TRIAL_MEMORY_DEFAULT;
    wc_rnode_size(&trial, 16ull << 20, 1ull << 40, &trial_memory);
    wc_nn_set_trial_memory(trial_memory);
    wc_rnode list = wc_rnode_member(&nn, "models");
    if (wc_rnode_object(&list, "an object (\"name\": {\"path\": ...})")) {
        wc_error err = {0};
        if (!(c->nn_models = wc_nn_models_new(&err))) {
            wc_rnode_fail(&list, "out of memory");
            return;
        }
        void *iter = NULL;
        wc_rnode model;
        while (wc_rnode_next(&list, &iter, &model) && !model.reader->failed)
            read_model(&model, c->nn_models);
    }
    wc_rnode_done(&nn);
}

/* Every granted model exists; each plugin holds the models. */
static void grant_models(wc_rnode *doc, wc_config *c)
{
    for (size_t i = 0; i < c->nplugins; i++) {
        wc_permissions *p = &c->plugins[i].perms;
        for (size_t k = 0; k < p->n_nn_models; k++)
            if (!wc_nn_models_find(c->nn_models, p->nn_models[k], strlen(p->nn_models[k]))) {
                wc_reader_fail(doc->reader,
                               "plugins.%s.permissions.nn_models: no model '%s' in nn.models",
                               c->plugins[i].name, p->nn_models[k]);
                return;
            }
        p->nn_library = wc_nn_models_retain(c->nn_models);
    }
}

/* The plugins' "source" entries (fetch/source.h), on the same reader so
 * that errors name their place and relative paths join the config's folder. */
static void read_sources(wc_rnode *plugins, wc_config *c)
{
    if (plugins->reader->failed || !c->nplugins)
        return;
    if (!(c->sources = calloc(c->nplugins, sizeof *c->sources))) {
        wc_rnode_fail(plugins, "out of memory");
        return;
    }
    for (size_t i = 0; i < c->nplugins && !plugins->reader->failed; i++) {
        if (!c->plugins[i].has_source)
            continue;
        wc_rnode plugin = wc_rnode_member(plugins, c->plugins[i].name);
        wc_rnode source = wc_rnode_member(&plugin, "source");
        wc_source_read(&source, &c->sources[i]);
    }
}

/* "ontology" (a folder, loaded now) and "ontology_drift"; each plugin
 * gets a reference to the ontology's documents for its "$ref"s. */
static void read_ontology(wc_rnode *doc, wc_config *c)
{
    wc_rnode dir_node = wc_rnode_member(doc, "ontology");
    wc_rnode drift = wc_rnode_member(doc, "ontology_drift");
    const char *mode;
    if (wc_rnode_text(&drift, 0, &mode)) {
        if (strcmp(mode, "warn") == 0)
            c->ontology_drift_warn = true;
        else if (strcmp(mode, "refuse") != 0)
            wc_rnode_fail(&drift, "unknown mode '%s' (refuse, warn)", mode);
    }
    char *dir = NULL;
    if (!wc_rnode_path(&dir_node, WC_READ_NONEMPTY, &dir))
        return;
    wc_error err = {0};
    if (wc_ontology_load(dir, &c->ontology, &err) != 0) {
        wc_rnode_fail(&dir_node, "%s", wc_error_message(&err));
        c->ontology = NULL;
    }
    free(dir);
    for (size_t i = 0; c->ontology && i < c->nplugins; i++)
        c->plugins[i].schema_docs = wc_schema_docs_retain(wc_ontology_docs(c->ontology));
}

static int parse(const char *source, const char *base_dir, const char *text, size_t len,
                 const json_t *patch, wc_config *out, wc_error *err)
{
    int rc = wc_config_default(out, err);
    if (rc)
        return rc;
    wc_reader reader;
    wc_reader_init(&reader, source);
    reader.base_dir = base_dir;
    reader.expand = wc_env_expand;
    json_t *json;
    if (wc_yaml_file_name(source)) {
        wc_error yerr = {0};
        if (!(json = wc_yaml_load(text, len, NULL, &yerr)))
            wc_reader_fail(&reader, "%s", yerr.msg);
    } else {
        json = wc_reader_load(&reader, text, len);
    }
    if (json && !json_is_object(json))
        wc_reader_fail(&reader, "expected a JSON object");
    if (json && !reader.failed && wc_hyper_mcp_is_config(json)) {
        /* hyper-mcp's file: read as the wasmcap.json it means */
        json_t *ours = wc_hyper_mcp_convert(json, source, err);
        json_decref(json);
        if (!ours) {
            wc_config_free(out);
            return WC_EINVAL;
        }
        json = ours;
    }
    if (json && !reader.failed && json_is_object(json) && apply_patch(json, patch))
        wc_reader_fail(&reader, "out of memory");
    if (!reader.failed) {
        wc_rnode doc = wc_reader_root(&reader, json, NULL);
        read_server(&doc, out);
        read_storage(&doc, out);
        wc_rnode plugins = wc_rnode_member(&doc, "plugins");
        wc_plugin_configs_read(&plugins, &out->plugins, &out->nplugins);
        read_sources(&plugins, out);
        read_nn(&doc, out);
        if (!reader.failed)
            grant_models(&doc, out);
        if (!reader.failed)
            read_ontology(&doc, out);
        read_section(&doc, "http", &out->http);
        read_section(&doc, "auth", &out->auth);
        read_section(&doc, "bus", &out->bus);
        check_bus(&doc, base_dir, out->bus);
        read_audit(&doc, out);
        read_cluster(&doc, out);
        read_kv(&doc, out);
        read_reload(&doc, out);
        read_admin(&doc, out);
        out->plugins_json = json_deep_copy(json_object_get(json, "plugins"));
        if (!reader.failed)
            fingerprint_shared(&doc, json, out);
        wc_rnode_member(&doc, "$schema");
        wc_rnode_member(&doc, "$comment");
        wc_rnode_done(&doc);
    }
    json_decref(json);
    if ((rc = wc_reader_result(&reader, err)) != 0)
        wc_config_free(out);
    return rc;
}

int wc_config_parse(const char *text, const char *base_dir, wc_config *out, wc_error *err)
{
    return parse("wasmcap.json", base_dir, text, strlen(text), NULL, out, err);
}

int wc_config_parse_named(const char *source, const char *text, const char *base_dir,
                          wc_config *out, wc_error *err)
{
    return parse(source, base_dir, text, strlen(text), NULL, out, err);
}

int wc_config_load(const char *path, wc_config *out, wc_error *err)
{
    return wc_config_load_patched(path, NULL, out, err);
}

int wc_config_load_patched(const char *path, const json_t *patch, wc_config *out, wc_error *err)
{
    memset(out, 0, sizeof *out);
    if (!path)
        return parse("wasmcap.json", NULL, "{}", 2, patch, out, err);
    uint8_t *data = NULL;
    size_t size = 0;
    int rc = wc_read_file(path, MAX_CONFIG_BYTES, &data, &size);
    if (rc)
        return wc_error_set(err, rc, "%s: %s", path, wc_strerror(rc));
    char *dir = strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *(slash == dir ? slash + 1 : slash) = 0;
    if (!dir) {
        free(data);
        return wc_error_set(err, WC_ENOMEM, "%s: out of memory", path);
    }
    rc = parse(path, slash ? dir : NULL, (const char *)data, size, patch, out, err);
    free(data);
    free(dir);
    if (rc)
        return rc;
    out->path = strdup(path);
    if (!out->path) {
        wc_config_free(out);
        return wc_error_set(err, WC_ENOMEM, "%s: out of memory", path);
    }
    return 0;
}

void wc_config_free(wc_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; c->sources && i < c->nplugins; i++)
        wc_source_free(&c->sources[i]);
    free(c->sources);
    wc_plugin_configs_free(c->plugins, c->nplugins);
    free(c->path);
    free(c->server_name);
    free(c->state_secret);
    free(c->kv_dir);
    free(c->cache_dir);
    free(c->cache_key);
    json_decref(c->http);
    json_decref(c->auth);
    json_decref(c->bus);
    free(c->audit_stream);
    free(c->kv_bucket);
    free(c->cluster_bucket);
    free(c->cluster_log_stream);
    free(c->admin_scope);
    json_decref(c->plugins_json);
    wc_nn_models_release(c->nn_models);
    wc_ontology_free(c->ontology);
    memset(c, 0, sizeof *c);
}

int wc_config_resolve_sources(wc_config *c, void (*progress)(void *, const char *, uint64_t, uint64_t),
                              void *progress_ctx, wc_error *err)
{
    wc_fetch_options o = {.cache_dir = c->cache_dir, .progress = progress, .progress_ctx = progress_ctx};
    for (size_t i = 0; i < c->nplugins; i++) {
        wc_plugin_config *pc = &c->plugins[i];
        if (!pc->has_source || pc->path)
            continue;
        wc_error e = {0};
        int rc = wc_source_resolve(&c->sources[i], &o, &pc->path, &e);
        if (rc != 0)
            return wc_error_set(err, rc, "plugin %s (%s): %s", pc->name, c->sources[i].url,
                                wc_error_message(&e));
    }
    return 0;
}

void wc_config_dir(const wc_config *config, char *dir, size_t size)
{
    snprintf(dir, size, ".");
    if (config->path) {
        snprintf(dir, size, "%s", config->path);
        char *slash = strrchr(dir, '/');
        if (slash)
            *(slash == dir ? slash + 1 : slash) = 0;
        else
            snprintf(dir, size, ".");
    }
}
