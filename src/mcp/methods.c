/* methods.c -- the MCP methods a client may call, one handler each.
 *
 * A handler checks its params (a fault is -32602 naming the member),
 * asks the registry, and returns 0 with a result (NULL: the empty result
 * {}) or a negative JSON-RPC code with a message.  Lists are paged: the
 * cursor is opaque to clients and carries the registry's generation, so a
 * cursor from before a reload is refused instead of skipping items.
 */
#include "mcp/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

/* 2024-11-05 is the revision of the legacy HTTP+SSE transport and its
 * clients.  2025-03-26 is the one with JSON-RPC batches (batch.c). */
static const char *const supported_versions[] = {"2025-11-25", "2025-06-18", "2025-03-26",
                                                 "2024-11-05"};

bool wc_mcp_version_supported(const char *version)
{
    for (size_t i = 0; i < sizeof supported_versions / sizeof supported_versions[0]; i++)
        if (strcmp(version, supported_versions[i]) == 0)
            return true;
    return false;
}

static int bad_params(wc_error *err, const char *fmt, const char *arg)
    __attribute__((format(printf, 2, 0)));
static int bad_params(wc_error *err, const char *fmt, const char *arg)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    wc_error_set(err, WC_EINVAL, fmt, arg);
#pragma GCC diagnostic pop
    return WC_RPC_INVALID_PARAMS;
}

static int no_memory(wc_error *err)
{
    wc_error_set(err, WC_ENOMEM, "out of memory");
    return WC_RPC_INTERNAL;
}

/* The JSON-RPC code of what the registry answered (0: success): the one
 * place where wasmcap's codes become the protocol's. */
static int rpc_code(int registry_rc)
{
    switch (registry_rc) {
    case 0:
        return 0;
    case WC_EINVAL:
        return WC_RPC_INVALID_PARAMS;
    case WC_ENOTFOUND:
        return WC_RPC_RESOURCE_NOT_FOUND;
    default:
        return WC_RPC_INTERNAL;
    }
}

/* --- lifecycle --- */

static int m_ping(mcp_job *job, json_t **result, wc_error *err)
{
    return 0;
}

static int m_initialize(mcp_job *job, json_t **result, wc_error *err)
{
    json_t *version = json_object_get(job->params, "protocolVersion");
    if (!json_is_string(version))
        return bad_params(err, "%s: params.protocolVersion must be a string",
                          "initialize");
    json_t *caps = json_object_get(job->params, "capabilities");
    if (caps && !json_is_object(caps))
        return bad_params(err, "%s: params.capabilities must be an object",
                          "initialize");
    const char *chosen = supported_versions[0];
    for (size_t i = 0; i < sizeof supported_versions / sizeof supported_versions[0]; i++)
        if (strcmp(json_string_value(version), supported_versions[i]) == 0)
            chosen = supported_versions[i];

    wc_mcp_session *s = job->session;
    pthread_mutex_lock(&s->lock);
    if (s->state != MCP_NEW) {
        pthread_mutex_unlock(&s->lock);
        wc_error_set(err, WC_EINVAL, "initialize: the session is already initialized");
        return WC_RPC_INVALID_REQUEST;
    }
    s->state = MCP_READY;
    snprintf(s->version, sizeof s->version, "%s", chosen);
    s->shapes_2025_03_26 = strcmp(chosen, MCP_BATCH_VERSION) == 0;
    s->can_sample = json_is_object(json_object_get(caps, "sampling"));
    s->can_elicit = json_is_object(json_object_get(caps, "elicitation"));
    pthread_mutex_unlock(&s->lock);
    wc_error why = {0};
    if (wc_mcp_session_share_now(s, &why) != 0) {
        /* not opened: a session the other nodes could not continue */
        pthread_mutex_lock(&s->lock);
        s->state = MCP_NEW;
        pthread_mutex_unlock(&s->lock);
        wc_error_set(err, why.code, "initialize: the cluster cannot keep this session: %s",
                     wc_error_message(&why));
        return WC_RPC_INTERNAL;
    }

    const wc_mcp_options *o = &s->server->opt;
    json_t *ours = wc_mcp_capabilities(s->era);
    json_t *r = ours ? json_pack("{s:s,s:o,s:{s:s,s:s}}", "protocolVersion", chosen,
                                 "capabilities", ours,
                                 "serverInfo", "name", o->name, "version", o->version)
                     : NULL;
    if (!r)
        return no_memory(err);
    if (o->instructions)
        json_object_set_new(r, "instructions", json_string(o->instructions));
    json_t *client = json_object_get(job->params, "clientInfo");
    json_t *client_name = json_object_get(client, "name");
    wc_log(WC_LOG_INFO, "mcp", "session initialized: protocol %s, client %s", chosen,
           json_is_string(client_name) ? json_string_value(client_name) : "(unnamed)");
    *result = r;
    return 0;
}

static int m_set_level(mcp_job *job, json_t **result, wc_error *err)
{
    json_t *level = json_object_get(job->params, "level");
    if (!json_is_string(level))
        return bad_params(err, "%s: params.level must be a string",
                          "logging/setLevel");
    int l = wc_log_level_parse(json_string_value(level));
    if (l < 0)
        return bad_params(err,
                          "logging/setLevel: unknown level '%.64s' (debug, info, notice, "
                          "warning, error, critical, alert, emergency)",
                          json_string_value(level));
    wc_mcp_session_shared_sync(job->session);
    pthread_mutex_lock(&job->session->lock);
    job->session->log_level = l;
    pthread_mutex_unlock(&job->session->lock);
    wc_mcp_session_shared_changed(job->session);
    return 0;
}

/* --- lists --- */

/* Cursors look like "wc1-<generation>-<offset>". */
static int page(mcp_job *job, const json_t *all, const char *key, json_t **result, wc_error *err)
{
    size_t total = json_array_size(all);
    size_t start = 0;
    json_t *cursor = json_object_get(job->params, "cursor");
    if (cursor) {
        if (!json_is_string(cursor))
            return bad_params(err, "%s", "params.cursor must be a string");
        unsigned long gen;
        size_t offset;
        int end = 0;
        const char *text = json_string_value(cursor);
        if (sscanf(text, "wc1-%lu-%zu%n", &gen, &offset, &end) != 2 || text[end] != '\0' ||
            offset == 0 || offset >= total)
            return bad_params(err, "invalid cursor '%.64s': pass nextCursor as received",
                              text);
        if (gen != job->generation)
            return bad_params(err, "%s",
                              "the cursor is from before the server reloaded its plugins: "
                              "list again without a cursor");
        start = offset;
    }
    size_t n = job->session->server->opt.page_size;
    if (n > total - start)
        n = total - start;
    json_t *items = json_array();
    json_t *r = json_object();
    if (!items || !r || json_object_set_new(r, key, items) != 0) {
        json_decref(r);
        return no_memory(err);
    }
    for (size_t i = start; i < start + n; i++)
        json_array_append(items, json_array_get(all, i));
    if (start + n < total) {
        char next[64];
        snprintf(next, sizeof next, "wc1-%lu-%zu", job->generation, start + n);
        json_object_set_new(r, "nextCursor", json_string(next));
    }
    *result = r;
    return 0;
}

static int list_of(mcp_job *job, const json_t *(*get)(const wc_registry *), const char *key,
                   json_t **result, wc_error *err)
{
    wc_registry *registry = wc_mcp_job_registry(job);
    json_t *empty = NULL;
    const json_t *all = registry ? get(registry) : NULL;
    if (!all)
        all = empty = json_array();
    int rc = page(job, all, key, result, err);
    json_decref(empty);
    return rc;
}

static int m_tools_list(mcp_job *job, json_t **result, wc_error *err)
{
    return list_of(job, wc_registry_tools, "tools", result, err);
}

static int m_templates_list(mcp_job *job, json_t **result, wc_error *err)
{
    return list_of(job, wc_registry_resource_templates, "resourceTemplates", result, err);
}

static int m_prompts_list(mcp_job *job, json_t **result, wc_error *err)
{
    return list_of(job, wc_registry_prompts, "prompts", result, err);
}

static int m_resources_list(mcp_job *job, json_t **result, wc_error *err)
{
    wc_registry *registry = wc_mcp_job_registry(job);
    json_t *all = NULL;
    if (registry) {
        int rc = rpc_code(wc_registry_resources(registry, job->call, &all, err));
        if (rc != 0)
            return rc;
    } else {
        all = json_array();
    }
    if (!all)
        return no_memory(err);
    int rc = page(job, all, "resources", result, err);
    json_decref(all);
    return rc;
}

/* --- calls --- */

static int no_plugins(wc_error *err, const char *what, const char *name)
{
    wc_error_set(err, WC_EINVAL, "unknown %s '%.200s': no plugins are loaded", what, name);
    return WC_RPC_INVALID_PARAMS;
}

int wc_mcp_tools_call(mcp_job *job, json_t **result, wc_error *err)
{
    json_t *name = json_object_get(job->params, "name");
    if (!json_is_string(name))
        return bad_params(err, "%s: params.name must be a string", "tools/call");
    json_t *args = json_object_get(job->params, "arguments");
    if (args && !json_is_object(args))
        return bad_params(err, "%s: params.arguments must be an object",
                          "tools/call");
    wc_registry *registry = wc_mcp_job_registry(job);
    if (!registry)
        return no_plugins(err, "tool", json_string_value(name));
    return rpc_code(wc_registry_call_tool(registry, json_string_value(name), args, job->call,
                                          result, err));
}

static int m_resources_read(mcp_job *job, json_t **result, wc_error *err)
{
    json_t *uri = json_object_get(job->params, "uri");
    if (!json_is_string(uri))
        return bad_params(err, "%s: params.uri must be a string", "resources/read");
    wc_registry *registry = wc_mcp_job_registry(job);
    if (!registry) {
        wc_error_set(err, WC_EINVAL, "resource not found: %.200s", json_string_value(uri));
        return WC_RPC_RESOURCE_NOT_FOUND;
    }
    return rpc_code(wc_registry_read_resource(registry, json_string_value(uri), job->call,
                                              result, err));
}

int wc_mcp_subscription_fits(const char *method, size_t uri_len, size_t count, size_t bytes,
                             wc_error *err)
{
    if (uri_len > MCP_MAX_SUBSCRIPTION_URI) {
        wc_error_set(err, WC_EINVAL, "%s: the URI is %zu bytes long; a subscribed URI may have at "
                     "most %u", method, uri_len, MCP_MAX_SUBSCRIPTION_URI);
        return WC_RPC_INVALID_PARAMS;
    }
    if (count >= MCP_MAX_SUBSCRIPTIONS) {
        wc_error_set(err, WC_EINVAL, "%s: this session already has %u subscriptions (unsubscribe "
                     "from some first)", method, MCP_MAX_SUBSCRIPTIONS);
        return WC_RPC_INVALID_PARAMS;
    }
    if (bytes + uri_len > MCP_MAX_SUBSCRIPTION_BYTES) {
        wc_error_set(err, WC_EINVAL, "%s: this session's subscribed URIs would take more than %u "
                     "bytes together (unsubscribe from some first)", method,
                     MCP_MAX_SUBSCRIPTION_BYTES);
        return WC_RPC_INVALID_PARAMS;
    }
    return 0;
}

static int subscription(mcp_job *job, bool subscribe, wc_error *err)
{
    const char *method = subscribe ? "resources/subscribe" : "resources/unsubscribe";
    json_t *uri = json_object_get(job->params, "uri");
    if (!json_is_string(uri) || json_string_length(uri) == 0)
        return bad_params(err, "%s: params.uri must be a non-empty string", method);
    const char *text = json_string_value(uri);
    size_t len = strlen(text); /* the key kept, up to a NUL the URI may hold */
    wc_mcp_session *s = job->session;
    int rc = 0;
    wc_mcp_session_shared_sync(s);
    pthread_mutex_lock(&s->lock);
    if (subscribe) {
        if (!s->subscriptions)
            s->subscriptions = json_object();
        if (!s->subscriptions) {
            rc = no_memory(err);
        } else if (json_object_get(s->subscriptions, text)) {
            /* already subscribed: nothing more to keep */
        } else if ((rc = wc_mcp_subscription_fits(method, json_string_length(uri), json_object_size(s->subscriptions),
                                                  s->subscription_bytes, err))) {
        } else if (json_object_set_new(s->subscriptions, text, json_true())) {
            rc = no_memory(err);
        } else {
            s->subscription_bytes += len;
        }
    } else if (s->subscriptions && json_object_get(s->subscriptions, text)) {
        json_object_del(s->subscriptions, text);
        s->subscription_bytes -= len;
    }
    pthread_mutex_unlock(&s->lock);
    if (rc == 0)
        wc_mcp_session_shared_changed(s);
    return rc;
}

static int m_subscribe(mcp_job *job, json_t **result, wc_error *err)
{
    (void)result;
    return subscription(job, true, err);
}

static int m_unsubscribe(mcp_job *job, json_t **result, wc_error *err)
{
    (void)result;
    return subscription(job, false, err);
}

static int m_prompts_get(mcp_job *job, json_t **result, wc_error *err)
{
    json_t *name = json_object_get(job->params, "name");
    if (!json_is_string(name))
        return bad_params(err, "%s: params.name must be a string", "prompts/get");
    json_t *args = json_object_get(job->params, "arguments");
    if (args) {
        if (!json_is_object(args))
            return bad_params(err, "%s: params.arguments must be an object",
                              "prompts/get");
        const char *key;
        json_t *value;
        json_object_foreach(args, key, value)
            if (!json_is_string(value))
                return bad_params(err,
                                  "prompts/get: params.arguments.%.100s must be a string", key);
    }
    wc_registry *registry = wc_mcp_job_registry(job);
    if (!registry)
        return no_plugins(err, "prompt", json_string_value(name));
    return rpc_code(wc_registry_get_prompt(registry, json_string_value(name), args, job->call,
                                           result, err));
}

static int m_complete(mcp_job *job, json_t **result, wc_error *err)
{
    static const char what[] = "completion/complete";
    json_t *ref = json_object_get(job->params, "ref");
    if (!json_is_object(ref))
        return bad_params(err, "%s: params.ref must be an object", what);
    json_t *type = json_object_get(ref, "type");
    const char *t = json_string_value(type);
    const char *ref_name = NULL;
    if (t && strcmp(t, "ref/prompt") == 0) {
        ref_name = json_string_value(json_object_get(ref, "name"));
        if (!ref_name)
            return bad_params(err, "%s: params.ref.name must be a string", what);
    } else if (t && strcmp(t, "ref/resource") == 0) {
        ref_name = json_string_value(json_object_get(ref, "uri"));
        if (!ref_name)
            return bad_params(err, "%s: params.ref.uri must be a string", what);
    } else {
        return bad_params(err,
                          "%s: params.ref.type must be \"ref/prompt\" or \"ref/resource\"", what);
    }
    json_t *arg = json_object_get(job->params, "argument");
    if (!json_is_object(arg) || !json_is_string(json_object_get(arg, "name")) ||
        !json_is_string(json_object_get(arg, "value")))
        return bad_params(err,
                          "%s: params.argument must be an object with string name and value",
                          what);
    json_t *context = json_object_get(job->params, "context");
    if (context && (!json_is_object(context) ||
                    (json_object_get(context, "arguments") &&
                     !json_is_object(json_object_get(context, "arguments")))))
        return bad_params(err, "%s: params.context.arguments must be an object",
                          what);
    wc_registry *registry = wc_mcp_job_registry(job);
    if (!registry)
        return no_plugins(err, t[4] == 'p' ? "prompt" : "resource", ref_name);
    return rpc_code(wc_registry_complete(registry, job->params, job->call, result, err));
}

json_t *wc_mcp_capabilities(const mcp_era *era)
{
    json_t *caps = json_pack("{s:{s:b},s:{s:b,s:b},s:{s:b},s:{}}",
                             "tools", "listChanged", 1,
                             "resources", "subscribe", 1, "listChanged", 1,
                             "prompts", "listChanged", 1,
                             "completions");
    if (caps && (wc_mcp_find_method("logging/setLevel")->eras & era->methods))
        json_object_set_new(caps, "logging", json_object());
    return caps;
}

/* Lists are the same for every client: "public"; a resource's contents
 * may depend on who reads it: "private". */
static const mcp_method methods[] = {
    /* name, handler, on_worker, before_init, eras, cache scope, shares_state */
    {"ping", m_ping, false, true, MCP_ERA_SESSION, NULL, false},
    {"initialize", m_initialize, false, true, MCP_ERA_SESSION, NULL, true},
    {"server/discover", wc_mcp_discover, false, true, MCP_ERA_STATELESS, "public", false},
    {"subscriptions/listen", wc_mcp_listen, false, false, MCP_ERA_STATELESS, NULL, false},
    {"tools/list", m_tools_list, false, false, MCP_ERA_BOTH, "public", false},
    {"tools/call", wc_mcp_tools_call, true, false, MCP_ERA_BOTH, NULL, false},
    {"resources/list", m_resources_list, true, false, MCP_ERA_BOTH, "public", false},
    {"resources/templates/list", m_templates_list, false, false, MCP_ERA_BOTH, "public", false},
    {"resources/read", m_resources_read, true, false, MCP_ERA_BOTH, "private", false},
    {"resources/subscribe", m_subscribe, false, false, MCP_ERA_SESSION, NULL, true},
    {"resources/unsubscribe", m_unsubscribe, false, false, MCP_ERA_SESSION, NULL, true},
    {"prompts/list", m_prompts_list, false, false, MCP_ERA_BOTH, "public", false},
    {"prompts/get", m_prompts_get, true, false, MCP_ERA_BOTH, NULL, false},
    {"completion/complete", m_complete, true, false, MCP_ERA_BOTH, NULL, false},
    {"logging/setLevel", m_set_level, false, false, MCP_ERA_SESSION, NULL, true},
};

const mcp_method *wc_mcp_find_method(const char *name)
{
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(name, methods[i].name) == 0)
            return &methods[i];
    return NULL;
}
