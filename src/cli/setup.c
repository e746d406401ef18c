/* setup.c -- config, engine, store and registry for serve and call. */
#include "cli/setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus/config.h"
#include "cli/bus_kv.h"
#include "cli/progress.h"
#include "cli/plugin_check.h"
#include "util/log.h"

const char *wc_setup_find_config(const char *arg)
{
    if (arg)
        return arg;
    const char *env = getenv("WASMCAP_CONFIG");
    if (env && *env)
        return env;
    if (access("wasmcap.json", F_OK) == 0)
        return "wasmcap.json";
    return NULL;
}

/* The rules of `wasmcap check` before any plugin loads: errors refuse the
 * config unless "ontology_drift" is "warn"; each finding is logged.  A
 * manifest that cannot be read or loaded is left to the loader, which
 * reports it as it always has. */
static int check_drift(const wc_config *c, wc_error *err)
{
    wc_findings findings = {0}, drift = {0};
    int rc = wc_check_plugins(c, &findings, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < findings.count; i++) {
        const wc_finding *f = &findings.items[i];
        if (strcmp(f->rule, "manifest") == 0)
            continue;
        wc_findings_add(&drift, f->level, f->plugin, f->tool, f->pointer, f->rule, "%s", f->message);
        json_t *fields = wc_finding_json(f);
        wc_log_fields(f->level == WC_FINDING_ERROR && !c->ontology_drift_warn ? WC_LOG_ERROR
                                                                              : WC_LOG_WARNING,
                      "ontology", fields, "%s: %s", f->rule, f->message);
        json_decref(fields);
    }
    if (drift.errors && !c->ontology_drift_warn) {
        char summary[400];
        wc_check_summary(&drift, summary, sizeof summary);
        rc = wc_error_set(err, WC_EINVAL, "the plugins break the ontology (`wasmcap check` lists "
                          "it; \"ontology_drift\": \"warn\" serves anyway):\n%s", summary);
    }
    wc_findings_free(&drift);
    wc_findings_free(&findings);
    return rc;
}

/* The config, with every plugin's source fetched and verified into the
 * cache (signatures are checked again at every load and reload). */
static int load_config(const char *path, const json_t *patch, wc_config *out, wc_error *err)
{
    if (!path && !patch)
        return wc_config_default(out, err);
    int rc = wc_config_load_patched(path, patch, out, err);
    if (rc != 0)
        return rc;
    wc_progress *progress = wc_progress_start("fetching plugins");
    rc = wc_config_resolve_sources(out, wc_progress_transfer, progress, err);
    wc_progress_stop(progress);
    if (rc == 0)
        rc = check_drift(out, err);
    if (rc != 0)
        wc_config_free(out);
    return rc;
}

static bool needs_kv(const wc_config *c)
{
    for (size_t i = 0; i < c->nplugins; i++)
        if (c->plugins[i].perms.kv_namespace)
            return true;
    return false;
}

int wc_setup_open_bus(const wc_config *config, wc_bus **out, wc_error *err)
{
    char dir[4096];
    wc_config_dir(config, dir, sizeof dir);
    const char *file = config->path ? config->path : "wasmcap.json";
    wc_bus_settings settings;
    wc_error why = {0};
    int rc = wc_bus_settings_parse(config->bus, dir, &settings, &why);
    if (rc != 0)
        return wc_error_set(err, rc, "%s: %s", file, wc_error_message(&why));
    rc = wc_bus_open(&settings.config, out, &why);
    wc_bus_settings_free(&settings);
    if (rc < 0)
        return wc_error_set(err, rc, "%s: bus: %s", file, wc_error_message(&why));
    wc_log(WC_LOG_INFO, "serve", "bus: %s (%s)", wc_bus_kind(*out),
           wc_bus_state_name(wc_bus_get_state(*out)));
    return 0;
}

/* kv.backend "nats": a bucket on a connection of the kv's own (the
 * server's bus may be drained and closed before the last call's kv). */
static int open_bus_kv(wc_setup *s, const wc_config *c, wc_error *err)
{
    wc_bus *bus = NULL;
    int rc = wc_setup_open_bus(c, &bus, err);
    if (rc != 0)
        return rc;
    wc_error kv_err = {0};
    rc = wc_bus_kv_open(bus, true, c->kv_bucket, c->kv_max_bytes, &s->kv, &kv_err);
    if (rc != 0) {
        wc_bus_close(bus);
        s->kv = NULL;
        return wc_error_set(err, rc, "cannot open the key-value bucket %s: %s", c->kv_bucket,
                            wc_error_message(&kv_err));
    }
    wc_log(WC_LOG_INFO, "kv", "kv: bucket %s on the NATS bus (%s)", c->kv_bucket,
           wc_bus_state_name(wc_bus_get_state(bus)));
    return 0;
}

static int open_kv(wc_setup *s, const wc_config *c, wc_error *err)
{
    if (s->kv || !needs_kv(c))
        return 0;
    if (c->kv_nats)
        return open_bus_kv(s, c, err);
    wc_error kv_err = {0};
    int rc = wc_kv_open(c->kv_dir, c->kv_map_size, &s->kv, &kv_err);
    if (rc != 0) {
        wc_error_set(err, rc, "cannot open the key-value store in %s: %s", c->kv_dir,
                     wc_error_message(&kv_err));
        s->kv = NULL;
    }
    return rc;
}

int wc_setup_open(wc_setup *s, const char *config_path, wc_error *err)
{
    memset(s, 0, sizeof *s);
    s->config_path = config_path;
    int rc = load_config(config_path, NULL, &s->config, err);
    if (rc != 0)
        return rc;
    wc_engine_config ec;
    wc_engine_config_default(&ec);
    ec.tier = s->config.tier;
    ec.cache_dir = s->config.cache_dir;
    ec.cache_key = s->config.cache_key;
    ec.track_writes = true; /* an instance per call: zero only what a call wrote */
    wc_error e = {0};
    if ((rc = wc_engine_new(&ec, &s->engine, &e)) != 0) {
        wc_error_set(err, rc, "cannot start the engine: %s", e.msg);
        s->engine = NULL;
        goto fail;
    }
    if ((rc = open_kv(s, &s->config, err)) != 0)
        goto fail;
    if ((rc = wc_registry_new(s->config.plugins, s->config.nplugins, s->engine, s->kv,
                              &s->registry, err)) != 0) {
        s->registry = NULL;
        goto fail;
    }
    return 0;
fail:
    wc_setup_close(s);
    return rc;
}

static bool same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_json(const json_t *a, const json_t *b)
{
    return (!a && !b) || (a && b && json_equal(a, b));
}

/* The settings a running server cannot take up, named as in the file;
 * logged by the reload, never silently dropped. */
static json_t *needing_restart(const wc_config *was, const wc_config *now)
{
    json_t *keys = json_array();
    if (!keys)
        return NULL;
#define DIFFERS(cond, key)                                                                     \
    do {                                                                                       \
        if (cond)                                                                              \
            json_array_append_new(keys, json_string(key));                                     \
    } while (0)
    DIFFERS(!same_text(was->server_name, now->server_name), "server.name");
    DIFFERS(was->max_message_bytes != now->max_message_bytes, "server.max_message_bytes");
    DIFFERS(was->stdio_max_queued_bytes != now->stdio_max_queued_bytes,
            "server.stdio_max_queued_bytes");
    DIFFERS(was->workers != now->workers, "server.workers");
    DIFFERS(was->page_size != now->page_size, "server.page_size");
    DIFFERS(!same_text(was->state_secret, now->state_secret), "server.state_secret");
    DIFFERS(was->tier != now->tier, "server.tier");
    DIFFERS(!same_text(was->kv_dir, now->kv_dir), "storage.kv_dir");
    DIFFERS(was->kv_map_size != now->kv_map_size, "storage.kv_map_size");
    DIFFERS(!same_text(was->cache_dir, now->cache_dir), "storage.cache_dir");
    DIFFERS(!same_text(was->cache_key, now->cache_key), "storage.cache_key");
    DIFFERS(!same_json(was->http, now->http), "http");
    DIFFERS(!same_json(was->auth, now->auth), "auth");
    DIFFERS(!same_json(was->bus, now->bus), "bus");
    DIFFERS(was->audit.enabled != now->audit.enabled ||
                was->audit.include_arguments != now->audit.include_arguments ||
                was->audit.queue != now->audit.queue ||
                !same_text(was->audit_stream, now->audit_stream) ||
                was->audit_stream_default != now->audit_stream_default,
            "audit");
    DIFFERS(was->cluster_enabled != now->cluster_enabled ||
                !same_text(was->cluster_bucket, now->cluster_bucket) ||
                was->cluster_session_ttl_ms != now->cluster_session_ttl_ms ||
                was->cluster_max_bytes != now->cluster_max_bytes,
            "cluster");
    DIFFERS(was->reload_watch != now->reload_watch || was->reload_quiet_ms != now->reload_quiet_ms,
            "reload");
    DIFFERS(was->admin_tools != now->admin_tools || !same_text(was->admin_scope, now->admin_scope),
            "admin");
#undef DIFFERS
    return keys;
}

static void log_restart_needed(const wc_config *was, const wc_config *now)
{
    json_t *keys = needing_restart(was, now);
    if (!json_array_size(keys)) {
        json_decref(keys);
        return;
    }
    char *list = json_dumps(keys, JSON_COMPACT);
    json_t *fields = json_pack("{s:o}", "restart_needed", keys);
    wc_log_fields(WC_LOG_WARNING, "reload", fields,
                  "the config changed settings that take effect at the next start: %s",
                  list ? list : "");
    json_decref(fields);
    free(list);
}

int wc_setup_reload(wc_setup *s, const json_t *patch, wc_registry_changes *changes,
                    wc_error *err)
{
    wc_config fresh;
    *changes = (wc_registry_changes){0};
    int rc = load_config(s->config_path, patch, &fresh, err);
    if (rc != 0)
        return rc;
    log_restart_needed(&s->config, &fresh);
    wc_registry *registry = NULL;
    if ((rc = open_kv(s, &fresh, err)) != 0 ||
        (rc = wc_registry_update(s->registry, fresh.plugins, fresh.nplugins, s->engine, s->kv,
                                 changes, &registry, err)) ||
        (rc = wc_registry_add_host_tools(registry, s->host_tools, s->n_host_tools, err))) {
        if (rc && registry)
            wc_registry_release(registry);
        json_decref(changes->failures);
        changes->failures = NULL;
        wc_config_free(&fresh);
        return rc;
    }
    wc_registry *old = s->registry;
    wc_config was = s->config;
    if (s->lock)
        pthread_mutex_lock(s->lock);
    s->registry = registry;
    s->config = fresh;
    if (s->lock)
        pthread_mutex_unlock(s->lock);
    wc_registry_release(old);
    wc_config_free(&was);
    return 0;
}

void wc_setup_close(wc_setup *s)
{
    if (s->registry)
        wc_registry_release(s->registry);
    if (s->kv)
        wc_kv_close(s->kv);
    if (s->engine)
        wc_engine_free(s->engine);
    wc_config_free(&s->config);
    memset(s, 0, sizeof *s);
}
