/* http_scopes.c -- with auth: whether the request's principal holds the
 * scopes of the plugin code its request would run (docs/AUTH.md): the
 * tool of tools/call, the prompt of prompts/get, the plugin serving the
 * resource of resources/read, and what completion/complete refers to.
 *
 * A single message is read with the protocol's own parser, so that what is
 * checked here is what the MCP layer will run: a message it does not take
 * as a request runs no plugin code, and is let through to get its error
 * there.  A batch (an array, 2025-03-26) has each of its requests checked;
 * one that cannot be read is refused rather than guessed at.
 */
#include "transport/http_internal.h"

#include <stdio.h>
#include <string.h>

#include "json/scan.h"
#include "mcp/jsonrpc.h"
#include "util/log.h"

#define MAX_RESOURCE_PLUGINS 256 /* more candidate plugins than this: refused */

/* Whether `who` may use `name`; if not, fills the refusal. */
static bool allowed(const wc_auth *auth, const wc_auth_principal *who, wc_auth_target target,
                    const char *name, const char *what, http_scope_refusal *refusal)
{
    if (!name || wc_auth_may_use(auth, who, target, name, NULL))
        return true; /* no name: the MCP layer refuses it, running nothing */
    refusal->target = target;
    refusal->what = what;
    snprintf(refusal->name, sizeof refusal->name, "%s", name);
    return false;
}

/* The registry, taken from the MCP server only when a resource needs it:
 * tools and prompts are checked by name, with no lock. */
typedef struct registry_ref {
    wc_mcp_server *mcp;
    wc_registry *registry;
    bool taken; /* ours to release */
} registry_ref;

/* Every plugin the resource's request may run must be one the caller
 * holds the scopes of. */
static bool resource_allowed(const wc_auth *auth, const wc_auth_principal *who,
                             registry_ref *ref, const char *uri, bool exact,
                             http_scope_refusal *refusal)
{
    if (!uri)
        return true;
    if (!ref->registry && ref->mcp && !ref->taken) {
        ref->registry = wc_mcp_server_registry(ref->mcp);
        ref->taken = true;
    }
    if (!ref->registry)
        return true; /* no plugins: nothing runs */
    const char *names[MAX_RESOURCE_PLUGINS];
    size_t n = wc_registry_resource_plugins(ref->registry, uri, exact, names,
                                            MAX_RESOURCE_PLUGINS);
    if (n > MAX_RESOURCE_PLUGINS) {
        refusal->target = WC_AUTH_TARGETS;
        refusal->what = "too many plugins may serve this resource to check their scopes";
        refusal->name[0] = 0;
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if (!allowed(auth, who, WC_AUTH_RESOURCE, names[i], "read resources of plugin", refusal))
            return false;
    return true;
}

static bool request_allowed(const wc_auth *auth, const wc_auth_principal *who,
                            registry_ref *registry, const char *method, const json_t *params,
                            http_scope_refusal *refusal)
{
    if (strcmp(method, "tools/call") == 0)
        return allowed(auth, who, WC_AUTH_TOOL,
                       json_string_value(json_object_get(params, "name")), "call", refusal);
    if (strcmp(method, "prompts/get") == 0)
        return allowed(auth, who, WC_AUTH_PROMPT,
                       json_string_value(json_object_get(params, "name")), "get prompt", refusal);
    if (strcmp(method, "resources/read") == 0)
        return resource_allowed(auth, who, registry,
                                json_string_value(json_object_get(params, "uri")), false, refusal);
    if (strcmp(method, "completion/complete") == 0) {
        const json_t *ref = json_object_get(params, "ref");
        const char *type = json_string_value(json_object_get(ref, "type"));
        if (type && strcmp(type, "ref/prompt") == 0)
            return allowed(auth, who, WC_AUTH_PROMPT,
                           json_string_value(json_object_get(ref, "name")), "complete prompt",
                           refusal);
        if (type && strcmp(type, "ref/resource") == 0)
            return resource_allowed(auth, who, registry,
                                    json_string_value(json_object_get(ref, "uri")), true,
                                    refusal);
    }
    return true;
}

static bool batch_allowed(const wc_auth *auth, const wc_auth_principal *who,
                          registry_ref *registry, const char *body, size_t len,
                          http_scope_refusal *refusal)
{
    json_t *batch = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    bool ok = json_is_array(batch);
    if (!ok) {
        refusal->target = WC_AUTH_TARGETS;
        refusal->what = "the batch cannot be read to check the scopes of its requests";
        refusal->name[0] = 0;
    }
    size_t i;
    const json_t *item;
    json_array_foreach(batch, i, item) {
        const char *method = json_string_value(json_object_get(item, "method"));
        if (ok && method && json_object_get(item, "id"))
            ok = request_allowed(auth, who, registry, method, json_object_get(item, "params"),
                                 refusal);
    }
    json_decref(batch);
    return ok;
}

bool http_scopes_allow(const wc_auth *auth, const wc_auth_principal *who, wc_mcp_server *mcp,
                       wc_registry *registry, const char *body, size_t len,
                       http_scope_refusal *refusal)
{
    registry_ref ref = {.mcp = mcp, .registry = registry};
    bool ok;
    const char *p = wc_json_scan_ws(body, body + len);
    if (p < body + len && *p == '[') {
        ok = batch_allowed(auth, who, &ref, body, len, refusal);
    } else {
        wc_rpc_message m;
        wc_rpc_parse(body, len, &m);
        ok = m.kind != WC_RPC_MSG_REQUEST ||
             request_allowed(auth, who, &ref, m.method, m.params, refusal);
        wc_rpc_message_free(&m);
    }
    if (ref.taken && ref.registry)
        wc_registry_release(ref.registry);
    return ok;
}

bool http_may_call(http_server *srv, http_conn *conn, const char *body, size_t len)
{
    if (!srv->opt.auth || !srv->principal)
        return true;
    http_scope_refusal refusal;
    bool ok = http_scopes_allow(srv->opt.auth, srv->principal, srv->mcp, NULL, body, len,
                                &refusal);
    if (ok)
        return true;
    if (refusal.target == WC_AUTH_TARGETS) {
        char message[200];
        snprintf(message, sizeof message, "Forbidden: %s", refusal.what);
        http_reply_rpc_error(conn, 403, WC_RPC_INVALID_REQUEST, message, NULL);
        return false;
    }
    wc_auth_result denied;
    memset(&denied, 0, sizeof denied);
    wc_auth_may_use(srv->opt.auth, srv->principal, refusal.target, refusal.name, &denied);
    char headers[1024], message[512];
    snprintf(headers, sizeof headers, "WWW-Authenticate: %s\r\n",
             denied.www_authenticate ? denied.www_authenticate : "Bearer");
    snprintf(message, sizeof message, "Forbidden: insufficient scope to %s %.200s (needs: %.200s)",
             refusal.what, refusal.name,
             wc_auth_required_scopes(srv->opt.auth, refusal.target, refusal.name));
    http_reply_rpc_error(conn, 403, WC_RPC_INVALID_REQUEST, message, headers);
    wc_log(WC_LOG_INFO, "http", "denied %s %.200s to %s: insufficient scope", refusal.what,
           refusal.name, srv->principal->subject);
    wc_auth_result_free(&denied);
    return false;
}
