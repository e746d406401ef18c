/* test_http_auth.c -- the HTTP transport with an auth section: tokens
 * checked on every MCP request, the scopes of tools, prompts and resources
 * (of the test guest "res"), sessions bound to the principal that opened
 * them, and the RFC 9728 metadata; JWTs are signed here (HS256) so that
 * expiry and audience can be got wrong on purpose.
 */
#define _GNU_SOURCE
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "http_client.h"
#include "http_server.h"
#include "auth/auth.h"
#include "cli/config.h"
#include "mcp/server.h"
#include "plugin/registry.h"
#include "transport/http.h"
#include "util/base64url.h"

#define WAIT_MS 3000
#define SECRET "0123456789abcdef0123456789abcdef-hs256"
#define RESOURCE "http://localhost/mcp"
#define ALICE "Authorization: Bearer alice-token-0123456789abcdef\r\n"
#define BOB "Authorization: Bearer bob-token-0123456789abcdef00\r\n"
#define INIT "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":" \
             "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"
#define GUEST(name) WC_BINARY_DIR "/guests/" name ".wasm"
#define RPC(id, method, params) \
    "{\"jsonrpc\":\"2.0\",\"id\":" #id ",\"method\":\"" method "\",\"params\":" params "}"
#define PROMPT RPC(3, "prompts/get", "{\"name\":\"greet\",\"arguments\":{\"who\":\"al\"}}")
#define COMPLETE_PROMPT                                                                        \
    RPC(4, "completion/complete", "{\"ref\":{\"type\":\"ref/prompt\",\"name\":\"greet\"},"       \
                                  "\"argument\":{\"name\":\"who\",\"value\":\"a\"}}")
#define READ_STATIC RPC(5, "resources/read", "{\"uri\":\"mem://static\"}")
#define READ_TEMPLATE RPC(6, "resources/read", "{\"uri\":\"mem://items/7\"}")
#define READ_DYNAMIC RPC(7, "resources/read", "{\"uri\":\"mem://dynamic\"}")
#define COMPLETE_RESOURCE                                                                      \
    RPC(8, "completion/complete", "{\"ref\":{\"type\":\"ref/resource\","                        \
                                  "\"uri\":\"mem://items/{id}\"},"                                \
                                  "\"argument\":{\"name\":\"id\",\"value\":\"a\"}}")
#define CALL "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"calc\"," \
             "\"arguments\":{}}}"

static int port;

/* An HS256 JWT with these claims, as "Authorization: Bearer ...\r\n". */
static void jwt_header(char *out, size_t size, const char *claims)
{
    static const char head[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    char input[2048];
    size_t n = wc_b64url_encode((const uint8_t *)head, strlen(head), input);
    input[n++] = '.';
    n += wc_b64url_encode((const uint8_t *)claims, strlen(claims), input + n);
    unsigned char mac[32];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)input, n, mac, &mac_len);
    char sig[64];
    wc_b64url_encode(mac, mac_len, sig);
    snprintf(out, size, "Authorization: Bearer %.*s.%s\r\n", (int)n, input, sig);
}

static int request(const char *method, const char *path, const char *session, const char *extra,
                   const char *body, hc_resp *r)
{
    hc c;
    memset(r, 0, sizeof *r);
    if (!hc_open(&c, port, NULL))
        return 0;
    char sid[96] = "";
    if (session)
        snprintf(sid, sizeof sid, "Mcp-Session-Id: %s\r\n", session);
    bool sent = body ? hc_sendf(&c,
                                "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: "
                                "application/json\r\nAccept: application/json, text/event-stream"
                                "\r\n%s%sContent-Length: %zu\r\n\r\n%s",
                                method, path, port, sid, extra ? extra : "", strlen(body), body)
                     : hc_sendf(&c, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s%s\r\n", method,
                                path, port, sid, extra ? extra : "");
    int status = sent ? hc_response(&c, r, WAIT_MS, false) : 0;
    hc_close(&c);
    return status;
}

static bool header_has(const hc_resp *r, const char *name, const char *needle)
{
    const char *v = hc_header(r, name);
    return v && strstr(v, needle);
}

int main(void)
{
    static const char section[] =
        "{\"resource\": \"" RESOURCE "\","
        " \"bearer_tokens\": [{\"token\": \"alice-token-0123456789abcdef\", \"subject\": \"alice\"},"
        "                   {\"token\": \"bob-token-0123456789abcdef00\", \"subject\": \"bob\","
        "                    \"scopes\": \"other\"}],"
        " \"tool_scopes\": {\"calc\": \"calc\"},"
        " \"prompt_scopes\": {\"greet\": \"prompts\"},"
        " \"resource_scopes\": {\"res\": \"res-read\"},"
        " \"jwt\": {\"issuer\": \"https://issuer.test\", \"hs256_secret\": \"" SECRET "\"}}";
    wc_error err;
    json_t *j = json_loads(section, 0, NULL);
    wc_auth_options ao;
    wc_auth *auth = NULL;
    CHECK(wc_auth_options_parse(j, NULL, NULL, NULL, &ao, &err) == 0, "auth: %s", err.msg);
    CHECK(wc_auth_new(&ao, &auth, &err) == 0, "authorizer: %s", err.msg);
    wc_auth_options_free(&ao);
    json_decref(j);
    test_world w;
    CHECK(test_world_open(&w, "{\"plugins\": {\"res\": {\"path\": \"" GUEST("res") "\", "
                            "\"prefix\": \"\"}}}", NULL) == 0,
          "the res guest and an MCP server over it");
    wc_http_options o;
    wc_http_options_default(&o);
    o.port = "0";
    o.auth = auth;
    o.max_sessions_per_principal = 4;
    hs_server srv = {0};
    CHECK(hs_server_start(&srv, w.mcp, &o) == 0, "http server");
    if (!srv.http)
        return 1;
    port = srv.port;

    hc_resp r;
    /* no token: 401 pointing at the metadata */
    CHECK(request("POST", "/mcp", NULL, NULL, INIT, &r) == 401 &&
              header_has(&r, "www-authenticate",
                         "resource_metadata=\"http://localhost/.well-known/"
                         "oauth-protected-resource/mcp\""),
          "no token: %d", r.status);
    hc_resp_free(&r);
    CHECK(request("GET", "/.well-known/oauth-protected-resource/mcp", NULL, NULL, NULL, &r) ==
                  200 &&
              r.body && strstr(r.body, "\"resource\":\"" RESOURCE "\"") &&
              strstr(r.body, "\"bearer_methods_supported\":[\"header\"]"),
          "metadata: %d %s", r.status, r.body ? r.body : "");
    hc_resp_free(&r);
    CHECK(request("GET", "/healthz", NULL, NULL, NULL, &r) == 200, "healthz needs no token");
    hc_resp_free(&r);
    CHECK(request("GET", "/metrics", NULL, NULL, NULL, &r) == 401, "metrics needs a token");
    hc_resp_free(&r);
    CHECK(request("POST", "/mcp", NULL, ALICE ALICE, INIT, &r) == 400, "two Authorization headers");
    hc_resp_free(&r);
    CHECK(request("POST", "/mcp", NULL, "Authorization: Bearer wrong-token-0123456789abc\r\n", INIT,
                  &r) == 401 &&
              header_has(&r, "www-authenticate", "error=\"invalid_token\""),
          "unknown token");
    hc_resp_free(&r);

    /* alice's session answers alice only */
    char session[64] = "";
    CHECK(request("POST", "/mcp", NULL, ALICE, INIT, &r) == 200 && hc_header(&r, "mcp-session-id"),
          "alice initializes: %d", r.status);
    if (hc_header(&r, "mcp-session-id"))
        snprintf(session, sizeof session, "%s", hc_header(&r, "mcp-session-id"));
    hc_resp_free(&r);
    CHECK(request("POST", "/mcp", session, ALICE, CALL, &r) == 200 && r.body &&
              strstr(r.body, "-32602"),
          "alice may call calc (unknown here: -32602): %d %s", r.status, r.body ? r.body : "");
    hc_resp_free(&r);
    CHECK(request("POST", "/mcp", session, BOB, CALL, &r) == 404,
          "bob cannot use alice's session: %d", r.status);
    hc_resp_free(&r);

    /* A JWT whose sub is "alice" is not the static token of subject alice:
     * sessions are bound to (method, issuer, subject), not the subject. */
    long soon = (long)time(NULL) + 600;
    char jwt_alice[2048], jwt_claims[512];
    snprintf(jwt_claims, sizeof jwt_claims,
             "{\"iss\":\"https://issuer.test\",\"aud\":\"" RESOURCE "\",\"sub\":\"alice\","
             "\"exp\":%ld,\"scope\":\"calc\"}",
             soon);
    jwt_header(jwt_alice, sizeof jwt_alice, jwt_claims);
    CHECK(request("POST", "/mcp", session, jwt_alice, CALL, &r) == 404,
          "a JWT with sub alice cannot use the static alice's session: %d", r.status);
    hc_resp_free(&r);
    char jwt_session[64] = "";
    CHECK(request("POST", "/mcp", NULL, jwt_alice, INIT, &r) == 200 &&
              hc_header(&r, "mcp-session-id"),
          "the JWT alice initializes: %d", r.status);
    if (hc_header(&r, "mcp-session-id"))
        snprintf(jwt_session, sizeof jwt_session, "%s", hc_header(&r, "mcp-session-id"));
    hc_resp_free(&r);
    CHECK(request("POST", "/mcp", jwt_session, ALICE, CALL, &r) == 404,
          "the static alice cannot use the JWT alice's session: %d", r.status);
    hc_resp_free(&r);
    CHECK(request("POST", "/mcp", jwt_session, jwt_alice, CALL, &r) == 200,
          "the JWT alice uses its own session: %d", r.status);
    hc_resp_free(&r);
    /* the same sub named by client_id (no sub) is another principal too */
    char jwt_client[2048];
    snprintf(jwt_claims, sizeof jwt_claims,
             "{\"iss\":\"https://issuer.test\",\"aud\":\"" RESOURCE "\","
             "\"client_id\":\"alice\",\"exp\":%ld,\"scope\":\"calc\"}",
             soon);
    jwt_header(jwt_client, sizeof jwt_client, jwt_claims);
    CHECK(request("POST", "/mcp", jwt_session, jwt_client, CALL, &r) == 404,
          "a client_id alice cannot use the sub alice's session: %d", r.status);
    hc_resp_free(&r);

    /* bob lacks the scope calc */
    char bob_session[64] = "";
    request("POST", "/mcp", NULL, BOB, INIT, &r);
    if (hc_header(&r, "mcp-session-id"))
        snprintf(bob_session, sizeof bob_session, "%s", hc_header(&r, "mcp-session-id"));
    hc_resp_free(&r);
    CHECK(request("POST", "/mcp", bob_session, BOB, CALL, &r) == 403 &&
              header_has(&r, "www-authenticate", "error=\"insufficient_scope\"") &&
              header_has(&r, "www-authenticate", "scope=\"calc\""),
          "bob: 403 insufficient_scope: %d", r.status);
    hc_resp_free(&r);
    /* an id whose key is written with an escape makes a request all the same:
     * the MCP layer's parse, not the transport's scan, decides what runs */
    CHECK(request("POST", "/mcp", bob_session, BOB,
                  "{\"jsonrpc\":\"2.0\",\"\\u0069d\":2,\"method\":\"tools/call\","
                  "\"params\":{\"name\":\"calc\",\"arguments\":{}}}", &r) == 403 &&
              header_has(&r, "www-authenticate", "scope=\"calc\""),
          "bob: a call with an escaped id key: %d %s", r.status, r.body ? r.body : "");
    hc_resp_free(&r);
    /* nor may a batch of a 2025-03-26 session carry the call past the check */
    char old_session[64] = "";
    request("POST", "/mcp", NULL, BOB,
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
            "\"protocolVersion\":\"2025-03-26\",\"capabilities\":{},"
            "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}", &r);
    if (hc_header(&r, "mcp-session-id"))
        snprintf(old_session, sizeof old_session, "%s", hc_header(&r, "mcp-session-id"));
    hc_resp_free(&r);
    CHECK(request("POST", "/mcp", old_session, BOB,
                  "[{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}," CALL "]", &r) == 403 &&
              header_has(&r, "www-authenticate", "scope=\"calc\""),
          "bob: a batch with a call of calc is 403 too: %d %s", r.status, r.body ? r.body : "");
    hc_resp_free(&r);

    /* Prompts, resources and completions run plugin code too: bob, who
     * holds only "other", gets 403 for each, naming the scope needed. */
    static const struct {
        const char *body, *scope, *what;
    } gated[] = {
        {PROMPT, "prompts", "prompts/get"},
        {COMPLETE_PROMPT, "prompts", "completion/complete of a prompt"},
        {READ_STATIC, "res-read", "resources/read of a static resource"},
        {READ_TEMPLATE, "res-read", "resources/read through a template"},
        {READ_DYNAMIC, "res-read", "resources/read of a resource the plugin lists itself"},
        {COMPLETE_RESOURCE, "res-read", "completion/complete of a resource template"},
    };
    for (size_t i = 0; i < sizeof gated / sizeof gated[0]; i++) {
        char want[64];
        snprintf(want, sizeof want, "scope=\"%s\"", gated[i].scope);
        CHECK(request("POST", "/mcp", bob_session, BOB, gated[i].body, &r) == 403 &&
                  header_has(&r, "www-authenticate", "error=\"insufficient_scope\"") &&
                  header_has(&r, "www-authenticate", want),
              "bob: %s: 403 insufficient_scope %s: %d %s", gated[i].what, want, r.status,
              r.body ? r.body : "");
        hc_resp_free(&r);
        /* alice's token grants every scope: the plugin answers */
        CHECK(request("POST", "/mcp", session, ALICE, gated[i].body, &r) == 200 && r.body &&
                  strstr(r.body, "\"result\""),
              "alice: %s: %d %s", gated[i].what, r.status, r.body ? r.body : "");
        hc_resp_free(&r);
    }
    /* a JWT with "prompts" only: prompts yes, resources no */
    char jwt_prompts[2048], prompts_session[64] = "";
    snprintf(jwt_claims, sizeof jwt_claims,
             "{\"iss\":\"https://issuer.test\",\"aud\":\"" RESOURCE "\",\"sub\":\"dave\","
             "\"exp\":%ld,\"scope\":\"prompts\"}",
             soon);
    jwt_header(jwt_prompts, sizeof jwt_prompts, jwt_claims);
    request("POST", "/mcp", NULL, jwt_prompts, INIT, &r);
    if (hc_header(&r, "mcp-session-id"))
        snprintf(prompts_session, sizeof prompts_session, "%s", hc_header(&r, "mcp-session-id"));
    hc_resp_free(&r);
    CHECK(request("POST", "/mcp", prompts_session, jwt_prompts, PROMPT, &r) == 200 && r.body &&
              strstr(r.body, "\"result\""),
          "dave may get the prompt: %d %s", r.status, r.body ? r.body : "");
    hc_resp_free(&r);
    CHECK(request("POST", "/mcp", prompts_session, jwt_prompts, READ_TEMPLATE, &r) == 403,
          "dave may not read res's resources: %d", r.status);
    hc_resp_free(&r);
    /* an unknown URI may be served by any plugin that reads resources
     * itself: the caller needs their scopes too */
    CHECK(request("POST", "/mcp", prompts_session, jwt_prompts,
                  RPC(9, "resources/read", "{\"uri\":\"other://x\"}"), &r) == 403,
          "dave may not read an unknown URI that res might serve: %d", r.status);
    hc_resp_free(&r);

    /* JWTs: valid, expired, for another audience, badly signed */
    long now = (long)time(NULL);
    char auth_header[2048], claims[512];
    snprintf(claims, sizeof claims,
             "{\"iss\":\"https://issuer.test\",\"aud\":\"" RESOURCE "\",\"sub\":\"carol\","
             "\"exp\":%ld,\"scope\":\"calc\"}",
             now + 600);
    jwt_header(auth_header, sizeof auth_header, claims);
    CHECK(request("POST", "/mcp", NULL, auth_header, INIT, &r) == 200, "valid JWT: %d", r.status);
    hc_resp_free(&r);
    snprintf(claims, sizeof claims,
             "{\"iss\":\"https://issuer.test\",\"aud\":\"" RESOURCE "\",\"sub\":\"carol\","
             "\"exp\":%ld}",
             now - 3600);
    jwt_header(auth_header, sizeof auth_header, claims);
    CHECK(request("POST", "/mcp", NULL, auth_header, INIT, &r) == 401 &&
              header_has(&r, "www-authenticate", "invalid_token"),
          "expired JWT: %d", r.status);
    hc_resp_free(&r);
    snprintf(claims, sizeof claims,
             "{\"iss\":\"https://issuer.test\",\"aud\":\"https://other.example/mcp\","
             "\"sub\":\"carol\",\"exp\":%ld}",
             now + 600);
    jwt_header(auth_header, sizeof auth_header, claims);
    CHECK(request("POST", "/mcp", NULL, auth_header, INIT, &r) == 401,
          "JWT for another audience: %d", r.status);
    hc_resp_free(&r);
    snprintf(claims, sizeof claims,
             "{\"iss\":\"https://issuer.test\",\"aud\":\"" RESOURCE "\",\"sub\":\"carol\","
             "\"exp\":%ld}",
             now + 600);
    jwt_header(auth_header, sizeof auth_header, claims);
    char *dot = strrchr(auth_header, '.');
    dot[1] = dot[1] == 'A' ? 'B' : 'A'; /* one character of the signature */
    CHECK(request("POST", "/mcp", NULL, auth_header, INIT, &r) == 401, "bad signature: %d",
          r.status);
    hc_resp_free(&r);

    /* sessions per principal: alice has one; three more, then 429, whatever
     * other principals hold; a DELETE makes room */
    char alice_sessions[3][64];
    for (int i = 0; i < 3; i++) {
        alice_sessions[i][0] = 0;
        CHECK(request("POST", "/mcp", NULL, ALICE, INIT, &r) == 200, "alice's session %d: %d",
              i + 2, r.status);
        if (hc_header(&r, "mcp-session-id"))
            snprintf(alice_sessions[i], sizeof alice_sessions[i], "%s",
                     hc_header(&r, "mcp-session-id"));
        hc_resp_free(&r);
    }
    CHECK(request("POST", "/mcp", NULL, ALICE, INIT, &r) == 429 && r.body &&
              strstr(r.body, "max_sessions_per_principal"),
          "alice's fifth session: %d %s", r.status, r.body ? r.body : "");
    hc_resp_free(&r);
    CHECK(request("POST", "/mcp", NULL, jwt_alice, INIT, &r) == 200,
          "the JWT alice is another principal: %d", r.status);
    hc_resp_free(&r);
    CHECK(request("DELETE", "/mcp", alice_sessions[0], ALICE, NULL, &r) == 200, "DELETE: %d",
          r.status);
    hc_resp_free(&r);
    CHECK(request("POST", "/mcp", NULL, ALICE, INIT, &r) == 200,
          "alice may open one again after a DELETE: %d", r.status);
    hc_resp_free(&r);

    hs_server_stop(&srv);
    test_world_close(&w);
    wc_auth_free(auth);
    if (failures)
        return 1;
    printf("test_http_auth: all %d checks passed\n", checks);
    return 0;
}
