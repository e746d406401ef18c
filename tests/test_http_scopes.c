/* test_http_scopes.c -- which scopes an HTTP request needs: the tool,
 * prompt or plugin its request (or each request of a 2025-03-26 batch)
 * would run, as the MCP session finds it with its own parser and asks the
 * transport's authorize hook (the test guest "res" serves resources and a
 * prompt), received at once and queued.  test_http_auth drives the same
 * over real HTTP.
 */
#define _GNU_SOURCE /* vasprintf, in http_client.h */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "http_server.h"
#include "auth/auth.h"
#include "cli/config.h"
#include "plugin/registry.h"
#include "transport/http_internal.h"

#define GUEST(name) WC_BINARY_DIR "/guests/" name ".wasm"
#define RPC(id, method, params) \
    "{\"jsonrpc\":\"2.0\",\"id\":" #id ",\"method\":\"" method "\",\"params\":" params "}"
#define CALC RPC(1, "tools/call", "{\"name\":\"calc\",\"arguments\":{}}")
#define PING "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}"
#define GREET RPC(3, "prompts/get", "{\"name\":\"greet\"}")
#define READ RPC(4, "resources/read", "{\"uri\":\"mem://items/1\"}")

static wc_auth *auth;
static wc_mcp_session *session; /* 2025-03-26, which has batches */

static void discard(void *ctx, const wc_mcp_route *route, const char *data, size_t len)
{
    (void)ctx, (void)route, (void)data, (void)len;
}

/* The principal of a static token of the config below. */
static void principal_of(const char *token, wc_auth_result *r)
{
    char header[128];
    snprintf(header, sizeof header, "Bearer %s", token);
    wc_auth_authenticate(auth, header, r);
    CHECK(r->http_status == 200, "token %s: %d", token, r->http_status);
}

static void expect(const wc_auth_principal *who, const char *body, bool want,
                   wc_auth_target target, const char *name, int line)
{
    static const wc_mcp_receive_mode modes[] = {WC_MCP_RECEIVE_NOW, WC_MCP_RECEIVE_QUEUED};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        http_scope_check check = {.auth = auth, .who = who};
        wc_mcp_receive_options o = {.mode = modes[i], .authorize = http_scopes_allow,
                                    .authorize_ctx = &check};
        bool got = wc_mcp_session_receive(session, body, strlen(body), &o);
        CHECK(got == want, "line %d, mode %d: %s: %s, want %s", line, (int)modes[i], body,
              got ? "allowed" : "refused", want ? "allowed" : "refused");
        if (!want && !got)
            CHECK(check.target == target && (!name || strcmp(check.name, name) == 0),
                  "line %d: refused for target %d '%s', want %d '%s'", line, (int)check.target,
                  check.name, (int)target, name ? name : "");
    }
}
#define ALLOWED(who, body) expect(who, body, true, 0, NULL, __LINE__)
#define REFUSED(who, body, target, name) expect(who, body, false, target, name, __LINE__)

int main(void)
{
    wc_error err;
    json_t *section = json_loads(
        "{\"resource\": \"http://localhost/mcp\","
        " \"bearer_tokens\": [{\"token\": \"all-scopes-0123456789\", \"subject\": \"root\"},"
        "                    {\"token\": \"calc-only-0123456789\", \"subject\": \"c\", \"scopes\": \"calc\"},"
        "                    {\"token\": \"no-scopes-0123456789\", \"subject\": \"n\", \"scopes\": \"x\"}],"
        " \"tool_scopes\": {\"calc\": \"calc\"},"
        " \"prompt_scopes\": {\"*\": \"prompts\"},"
        " \"resource_scopes\": {\"res\": \"res\"}}",
        0, NULL);
    wc_auth_options ao;
    CHECK(wc_auth_options_parse(section, NULL, NULL, NULL, &ao, &err) == 0, "auth: %s", err.msg);
    json_decref(section);
    CHECK(wc_auth_new(&ao, &auth, &err) == 0, "authorizer: %s", err.msg);
    wc_auth_options_free(&ao);
    test_world w;
    CHECK(test_world_open(&w, "{\"plugins\": {\"res\": {\"path\": \"" GUEST("res") "\", "
                            "\"prefix\": \"\"}}}", NULL) == 0,
          "the res guest and an MCP server over it");
    if (failures)
        return 1;
    session = wc_mcp_session_new(w.mcp, discard, NULL);
    static const char init[] =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
        "\"protocolVersion\":\"2025-03-26\",\"capabilities\":{},"
        "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";
    wc_mcp_session_receive(session, init, strlen(init), NULL);

    wc_auth_result root, calc, none;
    principal_of("all-scopes-0123456789", &root);
    principal_of("calc-only-0123456789", &calc);
    principal_of("no-scopes-0123456789", &none);

    /* one message */
    ALLOWED(&root.principal, CALC);
    ALLOWED(&calc.principal, CALC);
    REFUSED(&none.principal, CALC, WC_AUTH_TOOL, "calc");
    REFUSED(&calc.principal, GREET, WC_AUTH_PROMPT, "greet");
    REFUSED(&calc.principal, READ, WC_AUTH_RESOURCE, "res");
    ALLOWED(&none.principal, PING);
    ALLOWED(&none.principal, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
    /* what the MCP layer does not take as a request runs nothing */
    ALLOWED(&none.principal, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"");
    ALLOWED(&none.principal, "{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":{\"name\":\"calc\"}}");
    /* what it does take as one is checked, however its keys are written */
    REFUSED(&none.principal, "{\"jsonrpc\":\"2.0\",\"\\u0069d\":1,\"method\":\"tools/call\","
            "\"params\":{\"name\":\"calc\"}}", WC_AUTH_TOOL, "calc");

    /* a batch: every request of it is checked */
    ALLOWED(&none.principal, "[" PING "]");
    ALLOWED(&calc.principal, " [" PING "," CALC "]");
    REFUSED(&none.principal, "[" PING "," CALC "]", WC_AUTH_TOOL, "calc");
    REFUSED(&calc.principal, "[" CALC "," GREET "]", WC_AUTH_PROMPT, "greet");
    REFUSED(&calc.principal, "[" PING ", " READ "]", WC_AUTH_RESOURCE, "res");
    ALLOWED(&root.principal, "[" CALC "," GREET "," READ "]");
    /* one that cannot be read is refused, not guessed at */
    REFUSED(&root.principal, "[" CALC ",", WC_AUTH_TARGETS, NULL);
    REFUSED(&root.principal, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"ping\"}]",
            WC_AUTH_TARGETS, NULL);

    wc_mcp_session_close(session);
    wc_auth_result_free(&root);
    wc_auth_result_free(&calc);
    wc_auth_result_free(&none);
    test_world_close(&w);
    wc_auth_free(auth);
    if (failures)
        return 1;
    printf("test_http_scopes: all %d checks passed\n", checks);
    return 0;
}
