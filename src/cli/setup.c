/* setup.c -- config, engine, store and registry for serve and call. */
#include "cli/setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
static int load_config(const char *path, wc_config *out, wc_error *err)
{
    if (!path)
        return wc_config_default(out, err);
    int rc = wc_config_load(path, out, err);
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

static int open_kv(wc_setup *s, const wc_config *c, wc_error *err)
{
    if (s->kv || !needs_kv(c))
        return 0;
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
    int rc = load_config(config_path, &s->config, err);
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

int wc_setup_reload(wc_setup *s, wc_error *err)
{
    wc_config fresh;
    int rc = load_config(s->config_path, &fresh, err);
    if (rc != 0)
        return rc;
    if ((fresh.kv_dir && s->config.kv_dir && strcmp(fresh.kv_dir, s->config.kv_dir) != 0) ||
        (fresh.cache_dir && s->config.cache_dir &&
         strcmp(fresh.cache_dir, s->config.cache_dir) != 0) ||
        fresh.kv_map_size != s->config.kv_map_size || fresh.tier != s->config.tier)
        wc_log(WC_LOG_WARNING, "setup",
               "changes of kv_dir, kv_map_size, cache_dir and tier take effect at the next start");
    wc_registry *registry;
    if ((rc = open_kv(s, &fresh, err)) != 0 ||
        (rc = wc_registry_new(fresh.plugins, fresh.nplugins, s->engine, s->kv, &registry, err))) {
        wc_config_free(&fresh);
        return rc;
    }
    wc_registry_release(s->registry);
    s->registry = registry;
    wc_config_free(&s->config);
    s->config = fresh;
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
