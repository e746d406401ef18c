/* http_scopes.c -- with auth: the request's principal as the MCP session's
 * authorize hook, which holds the plugin code a request would run (the
 * tool of tools/call, the prompt of prompts/get, the plugins serving the
 * resource of resources/read, what completion/complete refers to) to the
 * scopes the config requires of it (docs/AUTH.md); and the 403 for what it
 * refused.  The MCP layer finds what would run with its own parser, so
 * what is checked is what runs.
 */
#include "transport/http_internal.h"

#include <stdio.h>
#include <string.h>

#include "util/log.h"

bool http_scopes_allow(void *ctx, const wc_mcp_access *access)
{
    http_scope_check *check = ctx;
    check->target = WC_AUTH_TARGETS;
    switch (access->code) {
    case WC_MCP_CODE_TOOL:
        check->target = WC_AUTH_TOOL;
        check->what = "call";
        break;
    case WC_MCP_CODE_PROMPT:
        check->target = WC_AUTH_PROMPT;
        check->what = strcmp(access->method, "prompts/get") == 0 ? "get prompt"
                                                                  : "complete prompt";
        break;
    case WC_MCP_CODE_RESOURCES:
        check->target = WC_AUTH_RESOURCE;
        check->what = "read resources of plugin";
        break;
    case WC_MCP_CODE_UNKNOWN:
        check->what = access->name; /* a refusal: what cannot be checked is not run */
        check->name[0] = 0;
        return false;
    }
    if (wc_auth_may_use(check->auth, check->who, check->target, access->name, NULL))
        return true;
    snprintf(check->name, sizeof check->name, "%s", access->name);
    return false;
}

void http_scopes_hook(const http_server *srv, http_scope_check *check,
                      wc_mcp_receive_options *opts)
{
    if (!srv->opt.auth || !srv->principal)
        return;
    memset(check, 0, sizeof *check);
    check->auth = srv->opt.auth;
    check->who = srv->principal;
    opts->authorize = http_scopes_allow;
    opts->authorize_ctx = check;
}

void http_scopes_refuse(http_conn *conn, const http_scope_check *check)
{
    if (check->target == WC_AUTH_TARGETS) {
        char message[200];
        snprintf(message, sizeof message, "Forbidden: %s", check->what);
        http_reply_rpc_error(conn, 403, WC_RPC_INVALID_REQUEST, message, NULL);
        return;
    }
    wc_auth_result denied;
    memset(&denied, 0, sizeof denied);
    wc_auth_may_use(check->auth, check->who, check->target, check->name, &denied);
    char headers[1024], message[512];
    snprintf(headers, sizeof headers, "WWW-Authenticate: %s\r\n",
             denied.www_authenticate ? denied.www_authenticate : "Bearer");
    snprintf(message, sizeof message, "Forbidden: insufficient scope to %s %.200s (needs: %.200s)",
             check->what, check->name,
             wc_auth_required_scopes(check->auth, check->target, check->name));
    http_reply_rpc_error(conn, 403, WC_RPC_INVALID_REQUEST, message, headers);
    wc_log(WC_LOG_INFO, "http", "denied %s %.200s to %s: insufficient scope", check->what,
           check->name, check->who->subject);
    wc_auth_result_free(&denied);
}
