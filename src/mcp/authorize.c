/* authorize.c -- a transport's authorize hook (wc_mcp_receive_options) put
 * to the plugin code a received message would run: the tool of tools/call,
 * the prompt of prompts/get, every plugin that may serve the resource of
 * resources/read, and what completion/complete refers to.
 *
 * The message is judged as the server parsed it, so what is asked about is
 * what would run: a message that is no request runs no plugin code and is
 * not asked about, nor is a request without a name to look up (its method
 * refuses it).  A batch has each of its requests asked about before any is
 * handled.  Text that looks like a batch but cannot be read runs nothing
 * either; it is put to the hook as unknown code all the same, so that a
 * hook that refuses what it cannot check refuses it.
 */
#include "mcp/internal.h"

#include <string.h>

#include "json/scan.h"

#define MAX_RESOURCE_PLUGINS 256 /* more candidate plugins than this: unknown code */

typedef struct judge {
    wc_mcp_session *session;
    const wc_mcp_receive_options *opts;
    wc_registry *registry; /* the session's, taken when a resource needs it */
    bool taken;
} judge;

static bool ask(judge *j, wc_mcp_code code, const char *method, const char *name)
{
    if (!name)
        return true;
    wc_mcp_access access = {.code = code, .method = method, .name = name};
    return j->opts->authorize(j->opts->authorize_ctx, &access);
}

/* Every plugin the request may run for uri: the lookup the registry
 * itself makes for resources/read (exact false) or a completion (true). */
static bool resource_allowed(judge *j, const char *method, const char *uri, bool exact)
{
    if (!uri)
        return true;
    if (!j->taken) {
        pthread_mutex_lock(&j->session->lock);
        j->registry = j->session->registry ? wc_registry_retain(j->session->registry) : NULL;
        pthread_mutex_unlock(&j->session->lock);
        j->taken = true;
    }
    if (!j->registry)
        return true; /* no plugins: nothing runs */
    const char *names[MAX_RESOURCE_PLUGINS];
    size_t n = wc_registry_resource_plugins(j->registry, uri, exact, names,
                                            MAX_RESOURCE_PLUGINS);
    if (n > MAX_RESOURCE_PLUGINS)
        return ask(j, WC_MCP_CODE_UNKNOWN, method,
                   "too many plugins may serve this resource to check their scopes");
    for (size_t i = 0; i < n; i++)
        if (!ask(j, WC_MCP_CODE_RESOURCES, method, names[i]))
            return false;
    return true;
}

static bool request_allowed(judge *j, const char *method, const json_t *params)
{
    if (strcmp(method, "tools/call") == 0)
        return ask(j, WC_MCP_CODE_TOOL, method,
                   json_string_value(json_object_get(params, "name")));
    if (strcmp(method, "prompts/get") == 0)
        return ask(j, WC_MCP_CODE_PROMPT, method,
                   json_string_value(json_object_get(params, "name")));
    if (strcmp(method, "resources/read") == 0)
        return resource_allowed(j, method, json_string_value(json_object_get(params, "uri")),
                                false);
    if (strcmp(method, "completion/complete") == 0) {
        const json_t *ref = json_object_get(params, "ref");
        const char *type = json_string_value(json_object_get(ref, "type"));
        if (type && strcmp(type, "ref/prompt") == 0)
            return ask(j, WC_MCP_CODE_PROMPT, method,
                       json_string_value(json_object_get(ref, "name")));
        if (type && strcmp(type, "ref/resource") == 0)
            return resource_allowed(j, method, json_string_value(json_object_get(ref, "uri")),
                                    true);
    }
    return true;
}

/* Every element that may be a request (batch.c handles a stricter set). */
static bool batch_allowed(judge *j, const json_t *batch)
{
    size_t i;
    const json_t *item;
    json_array_foreach(batch, i, item) {
        const char *method = json_string_value(json_object_get(item, "method"));
        if (method && json_object_get(item, "id") &&
            !request_allowed(j, method, json_object_get(item, "params")))
            return false;
    }
    return true;
}

bool wc_mcp_authorized(wc_mcp_session *s, const wc_rpc_message *m, bool as_batch,
                       const char *data, size_t len, const wc_mcp_receive_options *opts)
{
    judge j = {.session = s, .opts = opts};
    bool ok = true;
    if (m->kind == WC_RPC_MSG_REQUEST) {
        ok = request_allowed(&j, m->method, m->params);
    } else if (as_batch) {
        ok = batch_allowed(&j, m->root);
    } else if (!m->root) {
        const char *p = wc_json_scan_ws(data, data + len);
        if (p < data + len && *p == '[')
            ok = ask(&j, WC_MCP_CODE_UNKNOWN, NULL,
                     "the batch cannot be read to check the scopes of its requests");
    }
    if (j.registry)
        wc_registry_release(j.registry);
    return ok;
}
