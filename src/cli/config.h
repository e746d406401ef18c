/* config.h -- wasmcap.json: the server's settings and its plugins.
 *
 * docs/CONFIG.md documents the format.  "${VAR}" in any string is replaced
 * by the environment variable VAR (cli/expand.h); relative paths are
 * resolved against the config file's directory.  The plugins' entries are
 * read by the plugin layer (plugin/config.h), the "http" and "auth"
 * sections by their own layers at start (kept here, expanded).
 */
#ifndef WC_CLI_CONFIG_H
#define WC_CLI_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "mcp/server.h"
#include "plugin/config.h"

typedef struct wc_config {
    char *path;                 /* the file read; NULL for the empty default */
    wc_plugin_config *plugins;
    size_t nplugins;
    /* sources[i]: where plugins[i] comes from when it has_source; the
     * front end resolves it into plugins[i].path (wc_config_resolve_sources). */
    struct wc_source *sources;
    /* server */
    char *server_name;          /* default "wasmcap" */
    size_t max_message_bytes;   /* one JSON-RPC message; default 4 MiB */
    size_t stdio_max_queued_bytes; /* stdio output a client has not read; 0: 4 MiB */
    unsigned workers;           /* call threads; 0: number of CPUs */
    unsigned page_size;         /* items per list page; default 100 */
    int log_level;              /* wc_log_level; default info */
    char *state_secret;         /* seals input-required requestStates; NULL: random per process */
    /* storage */
    char *kv_dir;               /* default $XDG_DATA_HOME/wasmcap/kv (~/.local/share/...) */
    size_t kv_map_size;         /* LMDB map size; 0: WC_KV_DEFAULT_MAP_SIZE (1 GiB) */
    /* "kv": which store the plugins' kv capability uses (docs/CONFIG.md, "kv") */
    bool kv_nats;               /* "backend": "nats" (a JetStream KV bucket); default LMDB */
    char *kv_bucket;            /* default "WASMCAP_KV" */
    uint64_t kv_max_bytes;      /* the bucket's bytes; 0 (default): no limit */
    char *cache_dir;            /* default $XDG_CACHE_HOME/wasmcap (~/.cache/...) */
    /* The key that authenticates cache entries, kept outside the cache;
     * default $XDG_CONFIG_HOME/wasmcap/cache.key (~/.config/...) */
    char *cache_key;
    wc_tier tier;               /* "auto" (default), "fast", "optimized" */
    /* Sections read by other layers, "${VAR}" already expanded; NULL when
     * absent: "http" (transport/http_config.h), "auth" (auth/auth.h), "bus"
     * (bus/config.h: read again by serve, with relative paths from the
     * config's directory). */
    json_t *http;
    json_t *auth;
    json_t *bus;                /* "bus" (bus/config.h) */
    /* "nn": {"models": {NAME: {path, encoding, target}}}, loaded once; each
     * plugin's permissions hold a reference too.  NULL: no models. */
    struct wc_nn_models *nn_models;
    /* "audit": events of tool calls on the bus.  audit.stream points at
     * audit_stream; with the stream neither named nor turned off
     * (audit_stream_default), serve keeps the events in WASMCAP_AUDIT when
     * the bus is NATS. */
    wc_mcp_audit_options audit;
    char *audit_stream;
    bool audit_stream_default;
    bool audit_enabled_default; /* "enabled" not given: on with NATS, off in-process */
    /* "cluster": several `serve --http` nodes on one bus share their
     * sessions' state through a KV bucket, so any node continues a session
     * (docs/CONFIG.md, "cluster"). */
    bool cluster_enabled;
    char *cluster_bucket;             /* default "WASMCAP_SESSIONS" */
    uint64_t cluster_session_ttl_ms;  /* a state unused this long goes; default 1 day */
    uint64_t cluster_max_bytes;       /* the bucket's bytes; default 256 MiB */
    char *cluster_log_stream;         /* sessions' logs; default "WASMCAP_SESSION_LOGS" */
    uint64_t cluster_log_events;      /* kept per session; default 256 */
    uint64_t cluster_log_max_age_ms;  /* default 1 day */
    uint64_t cluster_log_max_bytes;   /* all sessions' logs; default 1 GiB */
    uint64_t cluster_event_max_age_ms; /* events kept for their order; default 10 min */
    /* "ontology": the folder of shared domain types (loaded; NULL: none);
     * every plugin's tool schemas may "$ref" them.  "ontology_drift":
     * "refuse" (default: serve refuses a config whose plugins break the
     * ontology) or "warn" (logs the findings and serves). */
    struct wc_ontology *ontology;
    bool ontology_drift_warn;
    /* "reload": watch the config and plugin files (default on) and wait
     * quiet_ms after the last change before reloading. */
    bool reload_watch;
    unsigned reload_quiet_ms;
    /* "admin": the tools load_plugin, unload_plugin, list_plugins (off by
     * default); over HTTP a caller needs admin_scope. */
    bool admin_tools;
    char *admin_scope;
    /* The "plugins" object as read (with the admin tools' changes), for
     * list_plugins and the next change. */
    json_t *plugins_json;
} wc_config;

/* Reads and checks `path`.  On error returns a WC_E* code (WC_EINVAL for a
 * config that is wrong) with a message naming the
 * file and the JSON path of the fault ("wasmcap.json: plugins.notes.
 * permissions.kv_namespace: expected a string"). */
int wc_config_load(const char *path, wc_config *out, wc_error *err);
/* As wc_config_load (path NULL: the empty config), with the admin tools'
 * changes applied to its "plugins" first: patch (may be NULL) maps a
 * name to an entry to add or replace, or to null to remove it.  What is
 * patched in is read and checked as if the file said it. */
int wc_config_load_patched(const char *path, const json_t *patch, wc_config *out,
                           wc_error *err);
/* As wc_config_load, from a JSON text; base_dir resolves relative paths. */
int wc_config_parse(const char *text, const char *base_dir, wc_config *out,
                    wc_error *err);
/* As wc_config_parse, read as the file `source` would be: YAML when its
 * name ends in .yaml or .yml (cli/yaml.h), JSON otherwise. */
int wc_config_parse_named(const char *source, const char *text, const char *base_dir,
                          wc_config *out, wc_error *err);
/* An empty config with every default (no plugins). */
int wc_config_default(wc_config *out, wc_error *err);
void wc_config_free(wc_config *config);
/* Fetches and verifies every plugin's source (fetch/source.h) into the
 * cache and sets its path; progress (may be NULL) reports transfers.
 * On error returns the WC_E* code of fetch/ with the plugin named. */
int wc_config_resolve_sources(wc_config *config, void (*progress)(void *, const char *, uint64_t, uint64_t),
                              void *progress_ctx, wc_error *err);

/* The config file's directory, where its relative paths start ("." for
 * the built-in config or a file named without one). */
void wc_config_dir(const wc_config *config, char *dir, size_t size);

#endif
