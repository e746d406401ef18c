/* shared_session.c -- a session's state kept for the other nodes of a
 * cluster, so that any node continues it: the revision initialize agreed
 * on, whether notifications/initialized came, the client's sampling and
 * elicitation capabilities, its log level, its resource subscriptions, and
 * who may use it (the transport's owner) and who it is (for audit events).
 *
 * The state is one small JSON object put through the backplane
 * (mcp/backplane.h: a JetStream KV bucket in practice) when initialize
 * succeeds and whenever one of those changes, before the request that
 * changed it is answered: a client that was told "subscribed" is
 * subscribed on every node.  A put that fails fails initialize (a session
 * that could not be continued elsewhere is not opened); for the other
 * changes it is logged and counted (wasmcap_cluster_share_failures_total)
 * and the session goes on here.  A state read back is checked as strictly
 * as a client's request: any node, or anyone else with access to the
 * store, may have written it.
 */
#include "mcp/internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/log.h"

#define SHARED_FORMAT 1
#define SHARED_MAX_BYTES (MCP_MAX_SUBSCRIPTION_BYTES + 64 * 1024)

bool wc_mcp_server_shares_sessions(const wc_mcp_server *server)
{
    const wc_backplane *bp = server->opt.backplane;
    return bp && bp->session_put && bp->session_get && bp->session_remove;
}

/* The state as text (session lock held); NULL: out of memory. */
static char *export_state(wc_mcp_session *s, size_t *len)
{
    json_t *subs = json_array();
    if (!subs)
        return NULL;
    const char *uri;
    json_t *v;
    json_object_foreach(s->subscriptions, uri, v)
        json_array_append_new(subs, json_string(uri));
    json_t *doc = json_pack("{s:i,s:s,s:b,s:b,s:b,s:i,s:o,s:s,s:s}", "v", SHARED_FORMAT,
                            "protocolVersion", s->version, "initialized",
                            s->state == MCP_INITIALIZED, "sampling", s->can_sample,
                            "elicitation", s->can_elicit, "logLevel", s->log_level,
                            "subscriptions", subs, "owner", s->owner, "principal",
                            s->principal);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    *len = text ? strlen(text) : 0;
    return text;
}

int wc_mcp_session_share_now(wc_mcp_session *s, wc_error *err)
{
    const wc_backplane *bp = s->server->opt.backplane;
    /* One put at a time, the export taken inside it: the last put holds
     * the latest state. */
    pthread_mutex_lock(&s->share_lock);
    pthread_mutex_lock(&s->lock);
    bool shared = s->shared && s->state != MCP_NEW;
    size_t len = 0;
    char *text = shared ? export_state(s, &len) : NULL;
    char key[sizeof s->audit_id];
    memcpy(key, s->audit_id, sizeof key);
    pthread_mutex_unlock(&s->lock);
    int rc = 0;
    if (shared && !text)
        rc = wc_error_set(err, WC_ENOMEM, "out of memory for the session's shared state");
    else if (shared)
        rc = bp->session_put(bp->ctx, key, text, len, err);
    if (shared && rc == 0)
        s->shared_at_ms = wc_monotonic_coarse_ms();
    pthread_mutex_unlock(&s->share_lock);
    free(text);
    return rc;
}

void wc_mcp_session_shared_changed(wc_mcp_session *s)
{
    if (!s->shared)
        return;
    wc_error err = {0};
    if (wc_mcp_session_share_now(s, &err) != 0) {
        atomic_fetch_add(&s->server->share_failures, 1);
        wc_log(WC_LOG_WARNING, "cluster", "session %.8s...: its new state is not shared (other "
               "nodes continue it as it was): %s", s->audit_id, wc_error_message(&err));
    }
}

void wc_mcp_session_share_refresh(wc_mcp_session *s)
{
    uint64_t ttl = s->server->opt.backplane ? s->server->opt.backplane->session_ttl_ms : 0;
    if (!s->shared || ttl == 0 || wc_monotonic_coarse_ms() - s->shared_at_ms < ttl / 4)
        return;
    wc_mcp_session_shared_changed(s);
}

int wc_mcp_session_share(wc_mcp_session *s, const char *owner, wc_error *err)
{
    if (!wc_mcp_server_shares_sessions(s->server))
        return 0;
    pthread_mutex_lock(&s->lock);
    bool named = s->audit_id[0] != '\0';
    if (named) {
        snprintf(s->owner, sizeof s->owner, "%s", owner ? owner : "");
        s->shared = true;
    }
    pthread_mutex_unlock(&s->lock);
    if (!named)
        return wc_error_set(err, WC_EINVAL, "a session is shared under its id: set one first");
    return wc_mcp_session_share_now(s, err);
}

void wc_mcp_session_unshare(wc_mcp_session *s)
{
    if (!s->shared)
        return;
    const wc_backplane *bp = s->server->opt.backplane;
    pthread_mutex_lock(&s->share_lock);
    s->shared = false;
    wc_error err = {0};
    if (bp->session_remove(bp->ctx, s->audit_id, &err) != 0)
        wc_log(WC_LOG_WARNING, "cluster", "session %.8s... ended, but its shared state stays "
               "until it expires: %s", s->audit_id, wc_error_message(&err));
    pthread_mutex_unlock(&s->share_lock);
}

/* A string member of at most max bytes (NUL excluded), or NULL. */
static const char *text_member(const json_t *doc, const char *key, size_t max)
{
    const json_t *v = json_object_get(doc, key);
    if (!json_is_string(v) || json_string_length(v) > max ||
        strlen(json_string_value(v)) != json_string_length(v))
        return NULL;
    return json_string_value(v);
}

/* Fills a new session from a shared state; false with why in err. */
static bool import_state(wc_mcp_session *s, const json_t *doc, wc_error *err)
{
    const char *version = text_member(doc, "protocolVersion", sizeof s->version - 1);
    const json_t *initialized = json_object_get(doc, "initialized");
    const json_t *sampling = json_object_get(doc, "sampling");
    const json_t *elicitation = json_object_get(doc, "elicitation");
    const json_t *level = json_object_get(doc, "logLevel");
    const json_t *subs = json_object_get(doc, "subscriptions");
    const char *owner = text_member(doc, "owner", sizeof s->owner - 1);
    const char *principal = text_member(doc, "principal", sizeof s->principal - 1);
    if (json_integer_value(json_object_get(doc, "v")) != SHARED_FORMAT)
        return wc_error_set(err, WC_EINVAL, "not a shared session of format %d", SHARED_FORMAT),
               false;
    if (!version || !wc_mcp_version_supported(version))
        return wc_error_set(err, WC_EINVAL, "protocolVersion is not one this server speaks"),
               false;
    if (!json_is_boolean(initialized) || !json_is_boolean(sampling) ||
        !json_is_boolean(elicitation) || !owner || !principal)
        return wc_error_set(err, WC_EINVAL, "initialized, sampling, elicitation, owner or "
                            "principal is missing or of the wrong type"),
               false;
    json_int_t l = json_integer_value(level);
    if (!json_is_integer(level) || l < WC_LOG_DEBUG || l > WC_LOG_EMERGENCY + 1)
        return wc_error_set(err, WC_EINVAL, "logLevel is not a log level"), false;
    if (!json_is_array(subs))
        return wc_error_set(err, WC_EINVAL, "subscriptions is not an array"), false;
    size_t i;
    const json_t *uri;
    json_array_foreach(subs, i, uri) {
        const char *text = json_is_string(uri) ? json_string_value(uri) : NULL;
        size_t len = text ? strlen(text) : 0;
        wc_error why;
        if (!text || len == 0 || len != json_string_length(uri) ||
            wc_mcp_subscription_fits("subscriptions", len, json_object_size(s->subscriptions),
                                     s->subscription_bytes, &why) != 0)
            return wc_error_set(err, WC_EINVAL, "subscription %zu is not a URI the session "
                                "could hold", i),
                   false;
        if (!s->subscriptions && !(s->subscriptions = json_object()))
            return wc_error_set(err, WC_ENOMEM, "out of memory"), false;
        if (!json_object_get(s->subscriptions, text)) {
            if (json_object_set_new(s->subscriptions, text, json_true()) != 0)
                return wc_error_set(err, WC_ENOMEM, "out of memory"), false;
            s->subscription_bytes += len;
        }
    }
    snprintf(s->version, sizeof s->version, "%s", version);
    s->shapes_2025_03_26 = strcmp(version, MCP_BATCH_VERSION) == 0;
    s->state = json_is_true(initialized) ? MCP_INITIALIZED : MCP_READY;
    s->can_sample = json_is_true(sampling);
    s->can_elicit = json_is_true(elicitation);
    s->log_level = (int)l;
    snprintf(s->owner, sizeof s->owner, "%s", owner);
    snprintf(s->principal, sizeof s->principal, "%s", principal);
    return true;
}

int wc_mcp_session_resume(wc_mcp_server *server, const char *id, wc_mcp_send_fn send,
                          void *ctx, char *owner, size_t owner_size, wc_mcp_session **out,
                          wc_error *err)
{
    *out = NULL;
    if (!wc_mcp_server_shares_sessions(server))
        return wc_error_set(err, WC_ENOTFOUND, "sessions are not shared");
    if (strlen(id) >= sizeof ((wc_mcp_session *)0)->audit_id)
        return wc_error_set(err, WC_EINVAL, "a session id is shorter");
    const wc_backplane *bp = server->opt.backplane;
    char *text = NULL;
    size_t len = 0;
    int rc = bp->session_get(bp->ctx, id, &text, &len, err);
    if (rc != 0)
        return rc;
    json_t *doc = len <= SHARED_MAX_BYTES ? json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL)
                                          : NULL;
    free(text);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return wc_error_set(err, WC_EINVAL, "the shared state of session %.8s... is not a JSON "
                            "object of at most %d bytes", id, SHARED_MAX_BYTES);
    }
    wc_mcp_session *s = wc_mcp_session_open(server, &wc_mcp_era_stateful, send, ctx);
    if (!s) {
        json_decref(doc);
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    wc_error why = {0};
    pthread_mutex_lock(&s->lock);
    bool ok = import_state(s, doc, &why);
    if (ok) {
        snprintf(s->audit_id, sizeof s->audit_id, "%s", id);
        s->shared = true;
        s->shared_at_ms = wc_monotonic_coarse_ms();
        snprintf(owner, owner_size, "%s", s->owner);
    }
    pthread_mutex_unlock(&s->lock);
    json_decref(doc);
    if (!ok) {
        wc_mcp_session_close(s);
        return wc_error_set(err, why.code, "the shared state of session %.8s...: %s", id,
                            why.msg);
    }
    *out = s;
    return 0;
}

void wc_mcp_shared_render_metrics(wc_mcp_server *server, wc_buf *out)
{
    if (!wc_mcp_server_shares_sessions(server))
        return;
    wc_buf_printf(out,
                  "# HELP wasmcap_cluster_share_failures_total Session state changes the "
                  "cluster's store refused (other nodes continue those sessions as they were).\n"
                  "# TYPE wasmcap_cluster_share_failures_total counter\n"
                  "wasmcap_cluster_share_failures_total %llu\n",
                  (unsigned long long)atomic_load(&server->share_failures));
}
