/* http_scopes.c -- with auth: whether the request's principal holds the
 * scopes of the plugin code its request would run (docs/AUTH.md): the
 * tool of tools/call, the prompt of prompts/get, the plugin serving the
 * resource of resources/read, and what completion/complete refers to.
 *
 * The body is read with the protocol's own parser, so that what is checked
 * here is what the MCP layer will run: a message it does not take as a
 * request runs no plugin code, and is let through to get its error there.
 */
#include "transport/http_internal.h"

#include <stdio.h>
#include <string.h>

#include "mcp/jsonrpc.h"
#include "util/log.h"

#define MAX_RESOURCE_PLUGINS 256 /* more candidate plugins than this: refused */

/* 403 for `name`; false. */
static bool refuse(http_server *srv, http_conn *conn, wc_auth_target target, const char *name,
                   const char *what)
{
    wc_auth_result denied;
    memset(&denied, 0, sizeof denied);
    wc_auth_may_use(srv->opt.auth, srv->principal, target, name, &denied);
    char headers[1024], message[512];
    snprintf(headers, sizeof headers, "WWW-Authenticate: %s\r\n",
             denied.www_authenticate ? denied.www_authenticate : "Bearer");
    snprintf(message, sizeof message, "Forbidden: insufficient scope to %s %.200s (needs: %.200s)",
             what, name, wc_auth_required_scopes(srv->opt.auth, target, name));
    http_reply_rpc_error(conn, 403, WC_RPC_INVALID_REQUEST, message, headers);
    wc_log(WC_LOG_INFO, "http", "denied %s %.200s to %s: insufficient scope", what, name,
           srv->principal->subject);
    wc_auth_result_free(&denied);
    return false;
}

static bool may_use(http_server *srv, http_conn *conn, wc_auth_target target, const char *name,
                    const char *what)
{
    if (!name || wc_auth_may_use(srv->opt.auth, srv->principal, target, name, NULL))
        return true; /* no name: the MCP layer refuses it, running nothing */
    return refuse(srv, conn, target, name, what);
}

/* Every plugin the resource's request may run must be one the caller
 * holds the scopes of. */
static bool may_use_resource(http_server *srv, http_conn *conn, const char *uri, bool exact)
{
    if (!uri)
        return true;
    wc_registry *registry = wc_mcp_server_registry(srv->mcp);
    if (!registry)
        return true;
    const char *names[MAX_RESOURCE_PLUGINS];
    size_t n = wc_registry_resource_plugins(registry, uri, exact, names, MAX_RESOURCE_PLUGINS);
    bool ok = true;
    if (n > MAX_RESOURCE_PLUGINS) {
        http_reply_rpc_error(conn, 403, WC_RPC_INVALID_REQUEST,
                             "Forbidden: too many plugins may serve this resource to check "
                             "their scopes", NULL);
        ok = false;
    }
    for (size_t i = 0; ok && i < n; i++)
        ok = may_use(srv, conn, WC_AUTH_RESOURCE, names[i], "read resources of plugin");
    wc_registry_release(registry);
    return ok;
}

bool http_may_call(http_server *srv, http_conn *conn, const char *body, size_t len)
{
    if (!srv->opt.auth || !srv->principal)
        return true;
    wc_rpc_message m;
    wc_rpc_parse(body, len, &m);
    bool ok = true;
    if (m.kind == WC_RPC_MSG_REQUEST) {
        const json_t *params = m.params;
        if (strcmp(m.method, "tools/call") == 0) {
            ok = may_use(srv, conn, WC_AUTH_TOOL, json_string_value(json_object_get(params, "name")),
                         "call");
        } else if (strcmp(m.method, "prompts/get") == 0) {
            ok = may_use(srv, conn, WC_AUTH_PROMPT,
                         json_string_value(json_object_get(params, "name")), "get prompt");
        } else if (strcmp(m.method, "resources/read") == 0) {
            ok = may_use_resource(srv, conn, json_string_value(json_object_get(params, "uri")),
                                  false);
        } else if (strcmp(m.method, "completion/complete") == 0) {
            const json_t *ref = json_object_get(params, "ref");
            const char *type = json_string_value(json_object_get(ref, "type"));
            if (type && strcmp(type, "ref/prompt") == 0)
                ok = may_use(srv, conn, WC_AUTH_PROMPT,
                             json_string_value(json_object_get(ref, "name")),
                             "complete prompt");
            else if (type && strcmp(type, "ref/resource") == 0)
                ok = may_use_resource(srv, conn, json_string_value(json_object_get(ref, "uri")),
                                      true);
        }
    }
    wc_rpc_message_free(&m);
    return ok;
}
