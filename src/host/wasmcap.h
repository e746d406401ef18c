/* wasmcap.h -- the host functions of module "wasmcap" (native plugin ABI).
 *
 * docs/PLUGINS.md is the contract: log, progress, config_get, kv_get/put/
 * delete/list, http_fetch, sample, elicit, read_response.  Every function
 * checks the plugin's permissions first; a denial is an error whose message
 * names the permission to grant in wasmcap.json.
 *
 * The bindings are static; each function finds its state through
 * wc_instance_host_data(caller), which must be a wc_wasmcap_host.  Use one
 * wc_wasmcap_host per call (per instance), from that call's thread.
 */
#ifndef WC_HOST_WASMCAP_H
#define WC_HOST_WASMCAP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "host/client_port.h"
#include "host/wasi.h"
#include "store/kv.h"
#include "util/buf.h"
#include "util/cancel_token.h"

/* Error codes returned to the guest (docs/PLUGINS.md). */
#define WC_HOST_ENOTFOUND (-1)
#define WC_HOST_EDENIED (-2)
#define WC_HOST_EINVAL (-3)
#define WC_HOST_ETOOLARGE (-4)
#define WC_HOST_EFAILED (-5)
#define WC_HOST_ENOTSUP (-6)
#define WC_HOST_ECANCELLED (-7)
#define WC_HOST_ETIMEDOUT (-8)     /* bus_request: no answer in time */
#define WC_HOST_ENORESPONDERS (-9) /* bus_request: nobody listens on the subject */
#define WC_HOST_EUNAVAILABLE (-10) /* bus_*: no bus, or NATS is disconnected */

/* What the config grants one plugin.  Deny by default: a zeroed struct
 * grants nothing (limits then take their defaults). */
typedef struct wc_permissions {
    char **allowed_hosts;   /* host names or "*.example.com"; http_fetch only to these */
    size_t n_allowed_hosts;
    char **env;             /* "KEY=VALUE" strings the guest sees through WASI */
    size_t n_env;
    char *kv_namespace;     /* NULL: no kv */
    uint64_t kv_quota;      /* bytes of keys + values in the namespace; 0: no quota */
    json_t *config;         /* object of string values for config_get; NULL: none */
    bool sampling, elicitation;
    uint64_t memory_limit;  /* bytes; 0: 64 MiB */
    uint32_t timeout_ms;    /* 0: 10,000 */
    size_t max_output_bytes; /* 0: 1 MiB */
    uint32_t max_log_messages; /* log calls of one call passed on; 0: 1,000 */
    size_t max_log_bytes;      /* their message bytes; 0: 1 MiB */
    /* WASI-NN (host/wasi_nn.h): the config's models, shared (a counted
     * reference; NULL: none), the names of them load_by_name may open, and
     * `load` of raw bytes. */
    struct wc_nn_models *nn_library;
    char **nn_models;
    size_t n_nn_models;
    bool nn_load;
    uint64_t nn_max_load_bytes; /* 0: 16 MiB */
    uint32_t nn_max_contexts;   /* 0: 4 */
    /* The bus subjects bus_publish may publish to and bus_request may ask,
     * as NATS subscription filters ('*' one token, '>' the rest). */
    char **bus_publish;
    size_t n_bus_publish;
    char **bus_request;
    size_t n_bus_request;
    /* Directories granted through WASI (host/wasi.h), read-only unless
     * writable; their paths are owned (malloc'ed).  None by default. */
    wc_wasi_preopen *preopens;
    size_t n_preopens;
} wc_permissions;

#define WC_DEFAULT_MEMORY_LIMIT (64ull << 20)
#define WC_DEFAULT_TIMEOUT_MS 10000u
#define WC_DEFAULT_MAX_OUTPUT (1u << 20)
#define WC_DEFAULT_MAX_LOG_MESSAGES 1000u
#define WC_DEFAULT_MAX_LOG_BYTES (1u << 20)

/* Per-call state of the host functions. */
typedef struct wc_wasmcap_host {
    const char *plugin;          /* the plugin's name, for logs and messages */
    const wc_permissions *perms;
    wc_kv *kv;                   /* NULL: no store (kv calls fail with EFAILED) */
    const wc_client_port *client; /* never NULL (wc_no_client: none) */
    wc_cancel_token *cancel;     /* what stops the call; never NULL */
    /* An attempt: the call runs where it may not act on the world or wait,
     * and the first host function that would stops it (WC_CANCEL_RETRY)
     * before anything happened, so that it runs again in full elsewhere. */
    bool effect_free;
    wc_buf response;             /* the response slot */
    /* The call's log budget: what went out, and what was dropped past it
     * (counted, and said once when the call ends). */
    uint32_t log_messages;
    size_t log_bytes;
    uint64_t logs_dropped;
    /* The Extism kernel's state of the call (host/extism.h); NULL for
     * plugins of other ABIs. */
    struct wc_extism_call *extism;
    /* The bus bus_publish and bus_request use (borrowed; NULL after init:
     * they answer "bus unavailable"). */
    struct wc_bus *bus;
} wc_wasmcap_host;

void wc_wasmcap_host_init(wc_wasmcap_host *host, const char *plugin,
                          const wc_permissions *perms, wc_kv *kv,
                          const wc_client_port *client, wc_cancel_token *cancel,
                          bool effect_free);
/* Ends the call's use of host: says how many log messages were dropped,
 * if any (one server log line and one notifications/message). */
void wc_wasmcap_host_destroy(wc_wasmcap_host *host);

/* Whether one more log message of len bytes fits the call's budget
 * (permissions.max_log_messages, max_log_bytes); counts it either way, and
 * a message past the budget is counted as dropped. */
bool wc_wasmcap_log_fits(wc_wasmcap_host *host, size_t len);

/* The import bindings of module "wasmcap" (static; env unused). */
size_t wc_wasmcap_bindings(const wc_import_binding **out);

/* Whether subject (no wildcards) falls under one of grants[0..n) (NATS
 * filters). */
bool wc_host_subject_granted(char *const *grants, size_t n, const char *subject);

/* True when `host` (a URL's host name, lower case) matches an allowed
 * pattern: exact, or "*.suffix" for any subdomain of suffix. */
bool wc_host_allowed(const wc_permissions *perms, const char *host);

#endif
