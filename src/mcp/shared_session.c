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
 * and the session goes on here.  After a put the node says so on
 * wasmcap.cluster.session_changed (the session's id): every node that has
 * the session reads the state again, so a subscription made through one
 * node holds on all (their notifications are then kept once in the
 * session's log: see transport/http_session.c).  A state read back is
 * checked as strictly as a client's request: any node, or anyone else with
 * access to the store, may have written it.
 *
 * Two nodes may change one session at once (a client's requests spread by
 * the load balancer).  Every put is a compare-and-set on the revision the
 * node last read or wrote (its base): one that another node overtook reads
 * that node's state, puts its own change on top (merge_change: the members
 * this node changed since its base keep its values, subscriptions merge as
 * sets) and tries again, at most SHARE_ATTEMPTS times.  A change that
 * arrives from another node (a sync before a change, or the announcement)
 * is merged the same way, so a change not yet put is not lost to it.
 */
#include "mcp/internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/log.h"

#define SHARED_FORMAT 1
#define MCP_SESSION_CHANGED "wasmcap.cluster.session_changed"
#define SHARED_MAX_BYTES (MCP_MAX_SUBSCRIPTION_BYTES + 64 * 1024)
#define SHARE_ATTEMPTS 8 /* puts a change tries while other nodes' overtake it */

bool wc_mcp_server_shares_sessions(const wc_mcp_server *server)
{
    const wc_backplane *bp = server->opt.backplane;
    return bp && bp->session_put && bp->session_get && bp->session_remove;
}

/* The state as a document (session lock held); NULL: out of memory. */
static json_t *export_doc(wc_mcp_session *s)
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
    return doc;
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
    else if (bp->publish) /* the nodes that have it find it gone and end it too */
        bp->publish(bp->ctx, MCP_SESSION_CHANGED, s->audit_id, strlen(s->audit_id));
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

/* A state read back, checked, before it goes into a session. */
typedef struct shared_state {
    char version[16];
    bool initialized, sampling, elicitation;
    int log_level;
    json_t *subscriptions; /* URIs as keys, or NULL */
    size_t subscription_bytes;
    char owner[128], principal[256];
} shared_state;

static bool parse_state(const json_t *doc, shared_state *st, wc_error *err)
{
    memset(st, 0, sizeof *st);
    const char *version = text_member(doc, "protocolVersion", sizeof st->version - 1);
    const json_t *initialized = json_object_get(doc, "initialized");
    const json_t *sampling = json_object_get(doc, "sampling");
    const json_t *elicitation = json_object_get(doc, "elicitation");
    const json_t *level = json_object_get(doc, "logLevel");
    const json_t *subs = json_object_get(doc, "subscriptions");
    const char *owner = text_member(doc, "owner", sizeof st->owner - 1);
    const char *principal = text_member(doc, "principal", sizeof st->principal - 1);
    if (!json_is_object(doc) || json_integer_value(json_object_get(doc, "v")) != SHARED_FORMAT)
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
            wc_mcp_subscription_fits("subscriptions", len, json_object_size(st->subscriptions),
                                     st->subscription_bytes, &why) != 0) {
            json_decref(st->subscriptions);
            return wc_error_set(err, WC_EINVAL, "subscription %zu is not a URI the session "
                                "could hold", i),
                   false;
        }
        if ((!st->subscriptions && !(st->subscriptions = json_object())) ||
            (!json_object_get(st->subscriptions, text) &&
             json_object_set_new(st->subscriptions, text, json_true()) != 0)) {
            json_decref(st->subscriptions);
            return wc_error_set(err, WC_ENOMEM, "out of memory"), false;
        }
        st->subscription_bytes += len; /* duplicates counted twice: bounded all the same */
    }
    snprintf(st->version, sizeof st->version, "%s", version);
    st->initialized = json_is_true(initialized);
    st->sampling = json_is_true(sampling);
    st->elicitation = json_is_true(elicitation);
    st->log_level = (int)l;
    snprintf(st->owner, sizeof st->owner, "%s", owner);
    snprintf(st->principal, sizeof st->principal, "%s", principal);
    return true;
}

/* Puts st into s (session lock held); st's subscriptions move. */
static void apply_state(wc_mcp_session *s, shared_state *st)
{
    snprintf(s->version, sizeof s->version, "%s", st->version);
    s->shapes_2025_03_26 = strcmp(st->version, MCP_BATCH_VERSION) == 0;
    s->state = st->initialized ? MCP_INITIALIZED : MCP_READY;
    s->can_sample = st->sampling;
    s->can_elicit = st->elicitation;
    s->log_level = st->log_level;
    json_decref(s->subscriptions);
    s->subscriptions = st->subscriptions;
    s->subscription_bytes = st->subscription_bytes;
    st->subscriptions = NULL;
    snprintf(s->owner, sizeof s->owner, "%s", st->owner);
    snprintf(s->principal, sizeof s->principal, "%s", st->principal);
}

/* Reads and checks the state shared under id; *doc_out (may be NULL: the
 * caller wants st only) gets the document, *rev (may be NULL) its revision. */
static int read_state(wc_mcp_server *server, const char *id, shared_state *st, json_t **doc_out,
                      uint64_t *rev, wc_error *err)
{
    const wc_backplane *bp = server->opt.backplane;
    char *text = NULL;
    size_t len = 0;
    int rc = bp->session_get(bp->ctx, id, &text, &len, rev, err);
    if (rc != 0)
        return rc;
    json_t *doc = len <= SHARED_MAX_BYTES ? json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL)
                                          : NULL;
    free(text);
    wc_error why = {0};
    bool ok = doc && parse_state(doc, st, &why);
    if (ok && doc_out)
        *doc_out = json_incref(doc);
    json_decref(doc);
    if (!doc)
        return wc_error_set(err, WC_EINVAL, "the shared state of session %.8s... is not JSON "
                            "of at most %d bytes", id, SHARED_MAX_BYTES);
    if (!ok)
        return wc_error_set(err, why.code, "the shared state of session %.8s...: %s", id,
                            why.msg);
    return 0;
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
    shared_state st;
    json_t *doc = NULL;
    uint64_t rev = 0;
    int rc = read_state(server, id, &st, &doc, &rev, err);
    if (rc != 0)
        return rc;
    wc_mcp_session *s = wc_mcp_session_open(server, &wc_mcp_era_stateful, send, ctx);
    if (!s) {
        json_decref(st.subscriptions);
        json_decref(doc);
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    pthread_mutex_lock(&s->lock);
    apply_state(s, &st);
    s->shared_base = doc;
    s->shared_rev = rev;
    snprintf(s->audit_id, sizeof s->audit_id, "%s", id);
    s->shared = true;
    s->shared_at_ms = wc_monotonic_coarse_ms();
    snprintf(owner, owner_size, "%s", s->owner);
    pthread_mutex_unlock(&s->lock);
    *out = s;
    return 0;
}

/* --- changes from two nodes at once --- */

/* The URIs of a state's subscriptions array as the keys of an object. */
static json_t *uri_set(const json_t *doc)
{
    json_t *set = json_object();
    size_t i;
    const json_t *uri;
    json_array_foreach(json_object_get(doc, "subscriptions"), i, uri)
        if (set && json_is_string(uri))
            json_object_set_new(set, json_string_value(uri), json_true());
    return set;
}

/* remote, with local's changes since base on top: each member local
 * changed keeps local's value, the others take remote's; subscriptions
 * local added since base are added, those it removed are removed.  NULL:
 * out of memory. */
static json_t *merge_change(const json_t *base, const json_t *local, const json_t *remote)
{
    static const char *const members[] = {"initialized", "sampling", "elicitation", "logLevel"};
    json_t *merged = json_deep_copy(remote);
    json_t *was = uri_set(base), *now = uri_set(local), *subs = uri_set(remote);
    json_t *list = json_array();
    if (!merged || !was || !now || !subs || !list) {
        json_decref(merged);
        merged = NULL;
        goto out;
    }
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
        json_t *mine = json_object_get(local, members[i]);
        if (mine && !json_equal(mine, json_object_get(base, members[i])))
            json_object_set(merged, members[i], mine);
    }
    const char *uri;
    json_t *v;
    json_object_foreach(now, uri, v)
        if (!json_object_get(was, uri))
            json_object_set(subs, uri, json_true());
    json_object_foreach(was, uri, v)
        if (!json_object_get(now, uri))
            json_object_del(subs, uri);
    json_object_foreach(subs, uri, v)
        json_array_append_new(list, json_string(uri));
    json_object_set(merged, "subscriptions", list);
out:
    json_decref(was);
    json_decref(now);
    json_decref(subs);
    json_decref(list);
    return merged;
}

/* Takes remote (revision rev; already checked) as s's base, with what s
 * changed since its old base on top.  A state of another owner (an id
 * reused) is left alone, and so is one no newer than the base: a read that
 * a put of this node overtook would otherwise take back what the put
 * wrote, and the base would then hold what the session does not. */
static void rebase(wc_mcp_session *s, json_t *remote, uint64_t rev)
{
    pthread_mutex_lock(&s->lock);
    const char *owner = json_string_value(json_object_get(remote, "owner"));
    if (!owner || strcmp(owner, s->owner) != 0 || rev <= s->shared_rev) {
        pthread_mutex_unlock(&s->lock);
        return;
    }
    json_t *local = s->shared_base ? export_doc(s) : NULL;
    json_t *merged = local ? merge_change(s->shared_base, local, remote) : NULL;
    shared_state st;
    wc_error why = {0};
    if (parse_state(merged ? merged : remote, &st, &why))
        apply_state(s, &st);
    json_decref(local);
    json_decref(merged);
    json_decref(s->shared_base);
    s->shared_base = json_incref(remote);
    s->shared_rev = rev;
    pthread_mutex_unlock(&s->lock);
}

int wc_mcp_session_share_now(wc_mcp_session *s, wc_error *err)
{
    const wc_backplane *bp = s->server->opt.backplane;
    /* One put at a time, the export taken inside it: the last put holds
     * the latest state. */
    pthread_mutex_lock(&s->share_lock);
    char key[sizeof s->audit_id];
    memcpy(key, s->audit_id, sizeof key);
    bool shared = false;
    int rc = 0;
    for (int attempt = 0; attempt < SHARE_ATTEMPTS; attempt++) {
        pthread_mutex_lock(&s->lock);
        shared = s->shared && s->state != MCP_NEW;
        json_t *doc = shared ? export_doc(s) : NULL;
        uint64_t rev = s->shared_rev, now = 0;
        pthread_mutex_unlock(&s->lock);
        if (!shared)
            break;
        char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        if (!text) {
            json_decref(doc);
            rc = wc_error_set(err, WC_ENOMEM, "out of memory for the session's shared state");
            break;
        }
        /* the first put (initialize) has no base to compare with */
        rc = bp->session_put(bp->ctx, key, text, strlen(text), rev ? &rev : NULL, &now, err);
        free(text);
        if (rc == 0) {
            pthread_mutex_lock(&s->lock);
            if (now > s->shared_rev) { /* else a newer state was merged in meanwhile */
                json_decref(s->shared_base);
                s->shared_base = doc;
                s->shared_rev = now;
                doc = NULL;
            }
            pthread_mutex_unlock(&s->lock);
            json_decref(doc);
            break;
        }
        json_decref(doc);
        if (rc != WC_ECONFLICT)
            break;
        /* another node's put came first: its state, with this change on top */
        shared_state st;
        json_t *remote = NULL;
        if ((rc = read_state(s->server, key, &st, &remote, &rev, err)) != 0)
            break;
        json_decref(st.subscriptions);
        rebase(s, remote, rev);
        json_decref(remote);
        rc = wc_error_set(err, WC_EAGAIN, "other nodes changed the session at each of %d "
                          "attempts", SHARE_ATTEMPTS);
    }
    if (shared && rc == 0) {
        s->shared_at_ms = wc_monotonic_coarse_ms();
        if (bp->publish) /* the nodes that have the session take the change */
            bp->publish(bp->ctx, MCP_SESSION_CHANGED, key, strlen(key));
    }
    pthread_mutex_unlock(&s->share_lock);
    return rc;
}

/* --- other nodes' changes --- */

/* Another node changed a session this one may have too: it takes the
 * state as now shared.  The read happens before any lock; a session that
 * ended meanwhile is simply not found. */
static void on_changed(void *server, const char *subject, const void *data, size_t len,
                       uint64_t id)
{
    (void)subject;
    (void)id;
    wc_mcp_server *srv = server;
    char key[sizeof ((wc_mcp_session *)0)->audit_id];
    if (len == 0 || len >= sizeof key)
        return;
    memcpy(key, data, len);
    key[len] = '\0';
    for (size_t i = 0; i < len; i++)
        if (!((key[i] >= '0' && key[i] <= '9') || (key[i] >= 'a' && key[i] <= 'f')))
            return;
    bool have = false;
    pthread_mutex_lock(&srv->lock);
    for (wc_mcp_session *s = srv->sessions; s && !have; s = s->next)
        have = s->shared && strcmp(s->audit_id, key) == 0;
    pthread_mutex_unlock(&srv->lock);
    if (!have)
        return;
    shared_state st;
    json_t *doc = NULL;
    uint64_t rev = 0;
    wc_error err = {0};
    int rc = read_state(srv, key, &st, &doc, &rev, &err);
    if (rc == WC_ENOTFOUND) {
        /* ended on another node (its DELETE removed the state): here too.
         * The state is read, not the event believed: one that came late,
         * after a new state was written, ends nothing. */
        pthread_mutex_lock(&srv->lock);
        for (wc_mcp_session *s = srv->sessions; s; s = s->next)
            if (s->shared && strcmp(s->audit_id, key) == 0)
                atomic_store(&s->ended_elsewhere, true);
        pthread_mutex_unlock(&srv->lock);
        return;
    }
    if (rc != 0) {
        wc_log(WC_LOG_WARNING, "cluster", "session %.8s... changed elsewhere, but its "
               "state cannot be read: %s", key, wc_error_message(&err));
        return;
    }
    json_decref(st.subscriptions);
    pthread_mutex_lock(&srv->lock);
    for (wc_mcp_session *s = srv->sessions; s; s = s->next) {
        if (!s->shared || strcmp(s->audit_id, key) != 0)
            continue;
        rebase(s, doc, rev); /* the same session, not an id reused: rebase checks */
        break;
    }
    pthread_mutex_unlock(&srv->lock);
    json_decref(doc);
}

void wc_mcp_session_shared_sync(wc_mcp_session *s)
{
    if (!s->shared)
        return;
    shared_state st;
    json_t *doc = NULL;
    uint64_t rev = 0;
    wc_error err = {0};
    if (read_state(s->server, s->audit_id, &st, &doc, &rev, &err) != 0) {
        wc_log(WC_LOG_WARNING, "cluster", "session %.8s...: its shared state cannot be read "
               "before a change (the change goes on what this node has): %s", s->audit_id,
               wc_error_message(&err));
        return;
    }
    json_decref(st.subscriptions);
    rebase(s, doc, rev);
    json_decref(doc);
}

int wc_mcp_shared_start(wc_mcp_server *server, wc_error *err)
{
    const wc_backplane *bp = server->opt.backplane;
    if (!wc_mcp_server_shares_sessions(server) || !bp->listen || !bp->publish)
        return 0;
    wc_error why = {0};
    int rc = bp->listen(bp->ctx, MCP_SESSION_CHANGED, on_changed, server, &server->changed_sub,
                        &why);
    if (rc < 0)
        return wc_error_set(err, rc, "cannot listen to %s: %s", MCP_SESSION_CHANGED,
                            wc_error_message(&why));
    return 0;
}

void wc_mcp_shared_stop(wc_mcp_server *server)
{
    const wc_backplane *bp = server->opt.backplane;
    if (server->changed_sub)
        bp->unlisten(bp->ctx, server->changed_sub);
    server->changed_sub = NULL;
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

bool wc_mcp_session_ended_elsewhere(const wc_mcp_session *s)
{
    return atomic_load(&s->ended_elsewhere);
}
