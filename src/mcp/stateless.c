/* stateless.c -- the stateless era of MCP (revision 2026-07-28): no
 * initialize, every request says in params._meta which revision it speaks,
 * what the client can do and how much it wants to hear; every result says
 * its resultType and who answered; lists and reads say how long they may
 * be cached; subscriptions/listen replaces the session's own stream; no
 * requests go to the client, a plugin asks through an input-required
 * result instead, whose requestState goes out sealed and comes back to be
 * opened.
 *
 * A stateless session carries one request.  The checks run in the order
 * the revision gives them: _meta complete (-32602), then the transport's
 * MCP-Protocol-Version header equal to _meta's version (-32020), then the
 * version supported (-32022), then routing (-32601 for methods the
 * revision removed or never had).
 */
#include "mcp/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#define STATELESS_VERSION "2026-07-28"
#define META_VERSION "io.modelcontextprotocol/protocolVersion"
#define META_CAPABILITIES "io.modelcontextprotocol/clientCapabilities"
#define META_LOG_LEVEL "io.modelcontextprotocol/logLevel"
#define META_SERVER_INFO "io.modelcontextprotocol/serverInfo"
#define META_SUBSCRIPTION "io.modelcontextprotocol/subscriptionId"

wc_mcp_session *wc_mcp_session_new_stateless(wc_mcp_server *server, wc_mcp_send_fn send,
                                             void *ctx, const char *header_version)
{
    wc_mcp_session *s = wc_mcp_session_open(server, &wc_mcp_era_stateless, send, ctx);
    if (!s)
        return NULL;
    pthread_mutex_lock(&s->lock);
    s->state = MCP_INITIALIZED; /* nothing to negotiate: each request says it all */
    snprintf(s->header_version, sizeof s->header_version, "%s",
             header_version ? header_version : "");
    s->log_level = WC_LOG_EMERGENCY + 1; /* no log messages unless _meta asks */
    pthread_mutex_unlock(&s->lock);
    return s;
}

static bool refuse(int *code, int value, char *message, size_t size, int *status, int http,
                   const char *text)
{
    *code = value;
    *status = http;
    snprintf(message, size, "%s", text);
    return false;
}

static bool admit(wc_mcp_session *s, const wc_rpc_message *m, int *code, char *message,
                  size_t message_size, json_t **data, int *status)
{
    *data = NULL;
    json_t *meta = json_object_get(m->params, "_meta");
    if (!json_is_object(meta))
        return refuse(code, WC_RPC_INVALID_PARAMS, message, message_size, status, 400,
                      "params._meta is required in protocol revision " STATELESS_VERSION
                      " (with " META_VERSION " and " META_CAPABILITIES ")");
    json_t *version = json_object_get(meta, META_VERSION);
    if (!json_is_string(version))
        return refuse(code, WC_RPC_INVALID_PARAMS, message, message_size, status, 400,
                      "params._meta." META_VERSION " is required (a string)");
    json_t *caps = json_object_get(meta, META_CAPABILITIES);
    if (!json_is_object(caps))
        return refuse(code, WC_RPC_INVALID_PARAMS, message, message_size, status, 400,
                      "params._meta." META_CAPABILITIES " is required (an object; {} for none)");
    const char *v = json_string_value(version);
    if (s->header_version[0] && strcmp(s->header_version, v) != 0) {
        snprintf(message, message_size, "the MCP-Protocol-Version header (%s) does not match "
                 "params._meta." META_VERSION " (%.40s)", s->header_version, v);
        *code = WC_RPC_HEADER_MISMATCH;
        *status = 400;
        return false;
    }
    if (strcmp(v, STATELESS_VERSION) != 0) {
        snprintf(message, message_size, "unsupported protocol version %.40s (supported: "
                 STATELESS_VERSION ")", v);
        *code = WC_RPC_UNSUPPORTED_VERSION;
        *status = 400;
        *data = json_pack("{s:[s],s:s}", "supported", STATELESS_VERSION, "requested", v);
        return false;
    }
    int level = WC_LOG_EMERGENCY + 1;
    json_t *log_level = json_object_get(meta, META_LOG_LEVEL);
    if (log_level) {
        level = json_is_string(log_level) ? wc_log_level_parse(json_string_value(log_level)) : -1;
        if (level < 0)
            return refuse(code, WC_RPC_INVALID_PARAMS, message, message_size, status, 400,
                          "params._meta." META_LOG_LEVEL " must be one of debug, info, notice, "
                          "warning, error, critical, alert, emergency");
    }
    pthread_mutex_lock(&s->lock);
    snprintf(s->version, sizeof s->version, "%s", STATELESS_VERSION);
    s->log_level = level;
    /* The stateless revision sends no requests to the client: sampling and
     * elicitation happen through input-required results instead. */
    s->can_sample = s->can_elicit = false;
    json_decref(s->client_capabilities);
    s->client_capabilities = json_incref(caps);
    pthread_mutex_unlock(&s->lock);
    return true;
}

/* What the revision puts on every result: resultType, _meta's serverInfo,
 * and cache hints for cacheable methods. */
static void decorate(wc_mcp_session *s, const mcp_method *method, json_t *result)
{
    if (!json_is_object(result))
        return;
    if (!json_object_get(result, "resultType"))
        json_object_set_new(result, "resultType", json_string("complete"));
    json_t *meta = json_object_get(result, "_meta");
    if (!json_is_object(meta)) {
        meta = json_object();
        json_object_set_new(result, "_meta", meta);
    }
    if (meta && !json_object_get(meta, META_SERVER_INFO)) {
        const wc_mcp_options *o = &s->server->opt;
        json_object_set_new(meta, META_SERVER_INFO,
                            json_pack("{s:s,s:s}", "name", o->name, "version", o->version));
    }
    if (method && method->cache_scope) {
        if (!json_object_get(result, "ttlMs"))
            json_object_set_new(result, "ttlMs", json_integer(s->server->opt.cache_ttl_ms));
        if (!json_object_get(result, "cacheScope"))
            json_object_set_new(result, "cacheScope", json_string(method->cache_scope));
    }
}

int wc_mcp_discover(mcp_job *job, json_t **result, wc_error *err)
{
    const wc_mcp_options *o = &job->session->server->opt;
    json_t *caps = wc_mcp_capabilities(&wc_mcp_era_stateless);
    json_t *r = caps ? json_pack("{s:[s],s:o}", "supportedVersions", STATELESS_VERSION,
                                 "capabilities", caps)
                     : NULL;
    if (!r) {
        wc_error_set(err, WC_ENOMEM, "out of memory");
        return WC_RPC_INTERNAL;
    }
    if (o->instructions)
        json_object_set_new(r, "instructions", json_string(o->instructions));
    *result = r;
    return 0;
}

static json_t *subscription_meta(const wc_mcp_session *s)
{
    return json_pack("{s:O}", META_SUBSCRIPTION, s->listen_id);
}

/* Session lock held by the caller or not needed: listen_* are written once,
 * by wc_mcp_listen, before any notification can look at them. */
static void send_on_listen(wc_mcp_session *s, const char *method, json_t *params)
{
    uint8_t block[WC_RPC_BLOCK];
    wc_buf out;
    wc_buf_init_on(&out, block, sizeof block);
    wc_rpc_write_notification(&out, method, params);
    if (!out.failed)
        wc_mcp_session_send_routed(s, s->listen_tag, false, &out);
    wc_buf_free(&out);
    json_decref(params);
}

int wc_mcp_listen(mcp_job *job, json_t **result, wc_error *err)
{
    (void)result;
    wc_mcp_session *s = job->session;
    json_t *filter = json_object_get(job->params, "notifications");
    if (filter && !json_is_object(filter)) {
        wc_error_set(err, WC_EINVAL,
                     "subscriptions/listen: params.notifications must be an object");
        return WC_RPC_INVALID_PARAMS;
    }
    unsigned lists = 0;
    json_t *honoured = json_object();
    static const struct {
        const char *key;
        unsigned bit;
    } flags[] = {{"toolsListChanged", LISTEN_TOOLS},
                 {"promptsListChanged", LISTEN_PROMPTS},
                 {"resourcesListChanged", LISTEN_RESOURCES}};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        if (json_is_true(json_object_get(filter, flags[i].key))) {
            lists |= flags[i].bit;
            json_object_set_new(honoured, flags[i].key, json_true());
        }
    }
    json_t *uris = json_object_get(filter, "resourceSubscriptions");
    json_t *subscriptions = NULL;
    if (uris) {
        if (!json_is_array(uris) || json_array_size(uris) > MCP_MAX_SUBSCRIPTIONS) {
            json_decref(honoured);
            wc_error_set(err, WC_EINVAL, "subscriptions/listen: params.notifications."
                         "resourceSubscriptions must be an array of at most %u URIs",
                         MCP_MAX_SUBSCRIPTIONS);
            return WC_RPC_INVALID_PARAMS;
        }
        subscriptions = json_object();
        json_t *kept = json_array();
        size_t i, bytes = 0;
        json_t *uri;
        json_array_foreach(uris, i, uri) {
            if (!json_is_string(uri) || !json_string_length(uri) ||
                json_object_get(subscriptions, json_string_value(uri)))
                continue;
            int rc = wc_mcp_subscription_fits("subscriptions/listen", json_string_length(uri),
                                              json_object_size(subscriptions), bytes, err);
            if (rc) {
                json_decref(honoured);
                json_decref(subscriptions);
                json_decref(kept);
                return rc;
            }
            json_object_set_new(subscriptions, json_string_value(uri), json_true());
            json_array_append(kept, uri);
            bytes += strlen(json_string_value(uri));
        }
        json_object_set_new(honoured, "resourceSubscriptions", kept);
    }
    pthread_mutex_lock(&s->lock);
    if (s->listen_id) {
        pthread_mutex_unlock(&s->lock);
        json_decref(honoured);
        json_decref(subscriptions);
        wc_error_set(err, WC_EINVAL, "subscriptions/listen: this stream is already listening");
        return WC_RPC_INVALID_REQUEST;
    }
    s->listen_id = json_deep_copy(job->id);
    s->listen_tag = job->tag;
    s->listen_lists = lists;
    json_decref(s->subscriptions);
    s->subscriptions = subscriptions;
    pthread_mutex_unlock(&s->lock);

    json_t *params = json_pack("{s:o,s:o}", "notifications", honoured, "_meta",
                               subscription_meta(s));
    send_on_listen(s, "notifications/subscriptions/acknowledged", params);
    return MCP_NO_ANSWER;
}

/* notifications/<kind>/list_changed on a listen stream that asked. */
static void list_changed(wc_mcp_session *s, unsigned kind, const char *method)
{
    pthread_mutex_lock(&s->lock);
    bool wanted = s->listen_id && !s->closing && (s->listen_lists & kind);
    pthread_mutex_unlock(&s->lock);
    if (wanted)
        send_on_listen(s, method, json_pack("{s:o}", "_meta", subscription_meta(s)));
}

/* notifications/resources/updated on a listen stream that named uri. */
static void resource_updated(wc_mcp_session *s, const char *uri)
{
    pthread_mutex_lock(&s->lock);
    bool wanted = s->listen_id && !s->closing && s->subscriptions &&
                  json_object_get(s->subscriptions, uri);
    pthread_mutex_unlock(&s->lock);
    if (wanted)
        send_on_listen(s, "notifications/resources/updated",
                       json_pack("{s:s,s:o}", "uri", uri, "_meta", subscription_meta(s)));
}

/* --- input-required rounds --- */

/* What a requestState is bound to: the method and the tool, prompt or
 * resource it asked about. */
static void state_scope(const mcp_job *job, char *out, size_t size)
{
    const json_t *name = json_object_get(job->params, "name");
    if (!name)
        name = json_object_get(job->params, "uri");
    snprintf(out, size, "%s\n%s", job->method->name,
             json_is_string(name) ? json_string_value(name) : "");
}

/* An input-required round coming back: its state must be the one this
 * server sealed for this very request. */
static bool open_state(mcp_job *job, char *message, size_t message_size)
{
    json_t *state = json_object_get(job->params, "requestState");
    if (!state)
        return true;
    char scope[512];
    state_scope(job, scope, sizeof scope);
    job->request_state = json_is_string(state) ? wc_mcp_state_open(job->session->server, scope,
                                                                   json_string_value(state))
                                               : NULL;
    if (job->request_state)
        return true;
    snprintf(message, message_size, "requestState integrity check failed: it was changed, or "
             "made for another request or by another server");
    return false;
}

/* An input-required result on its way out: every request must be one the
 * client declared it can answer, and the plugin's state is sealed.
 * Returns 0, or an error code with message and data. */
static int finish_input_required(mcp_job *job, json_t *result, char *message, size_t size,
                                 json_t **data)
{
    wc_mcp_session *s = job->session;
    const char *key;
    json_t *r;
    json_object_foreach(json_object_get(result, "inputRequests"), key, r) {
        const char *cap =
            wc_input_method_capability(json_string_value(json_object_get(r, "method")));
        pthread_mutex_lock(&s->lock);
        bool declared = cap && json_object_get(s->client_capabilities, cap);
        pthread_mutex_unlock(&s->lock);
        if (!declared) {
            snprintf(message, size, "the request needs the client capability '%s' (for its "
                     "input request '%.60s'), which the client did not declare", cap ? cap : "?",
                     key);
            *data = json_pack("{s:{s:{}}}", "requiredCapabilities", cap ? cap : "?");
            return WC_RPC_MISSING_CAPABILITY;
        }
    }
    json_t *state = json_object_get(result, "requestState");
    if (json_is_string(state)) {
        char scope[512];
        state_scope(job, scope, sizeof scope);
        char *sealed = wc_mcp_state_seal(s->server, scope, json_string_value(state));
        if (!sealed) {
            snprintf(message, size, "the requestState could not be sealed");
            return WC_RPC_INTERNAL;
        }
        json_object_set_new(result, "requestState", json_string(sealed));
        free(sealed);
    }
    return 0;
}

static void finish(mcp_job *job, mcp_answer *a)
{
    if (job->missing_capability) {
        /* The call needed what the client did not declare: that, not the
         * plugin's reaction to being refused, is the answer. */
        a->rc = WC_RPC_MISSING_CAPABILITY;
        snprintf(a->message, sizeof a->message, "the request needs the client capability "
                 "'%s', which its _meta.io.modelcontextprotocol/clientCapabilities does not "
                 "declare", job->missing_capability);
        a->err = a->message;
        a->data = json_pack("{s:{s:{}}}", "requiredCapabilities", job->missing_capability);
        a->http_status = 400;
        return;
    }
    if (a->rc == 0 && a->result && wc_input_required_check(a->result, NULL) > 0) {
        a->rc = finish_input_required(job, a->result, a->message, sizeof a->message, &a->data);
        if (a->rc != 0) {
            a->err = a->message;
            a->http_status = a->rc == WC_RPC_MISSING_CAPABILITY ? 400 : 0;
        }
    }
    if (a->rc == 0) {
        if (!a->result)
            a->result = a->made = json_object();
        decorate(job->session, job->method, a->result);
    } else if (a->rc == WC_RPC_RESOURCE_NOT_FOUND && !a->data) {
        /* The revision's code for an unknown URI, and the URI with it. */
        a->rc = WC_RPC_INVALID_PARAMS;
        a->data = json_pack("{s:O}", "uri", json_object_get(job->params, "uri"));
    }
}

const mcp_era wc_mcp_era_stateless = {
    .methods = MCP_ERA_STATELESS,
    .revision = STATELESS_VERSION,
    .unknown_method_status = 404,
    .client_requests = false,
    .result_text = false, /* every result is decorated */
    .admit = admit,
    .open = open_state,
    .finish = finish,
    .list_changed = list_changed,
    .resource_updated = resource_updated,
};
