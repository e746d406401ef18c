/* test_reload_http.c -- hot reload and the admin tools of `wasmcap serve`
 * over Streamable HTTP, with bearer tokens.
 *
 * A plugin file replaced while a call runs: new calls get the new version,
 * the running call's answer comes from the old one, and the session's GET
 * stream carries tools/list_changed.  The admin tools need the admin scope
 * (403 insufficient_scope without it, served with it), a server with
 * admin.tools on HTTP and no auth section refuses to start, and /metrics
 * counts the reloads.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "reload_fixture.h"
#include "http_client.h"

#define WAIT_MS 20000

static int port;


static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        abort();
    close(fd);
    return ntohs(a.sin_port);
}

static void write_config(const char *auth)
{
    FILE *f = fopen(config_path, "w");
    fprintf(f,
            "{\"server\": {\"workers\": 4},\n"
            " \"storage\": {\"kv_dir\": \"%s/kv\", \"cache_dir\": \"%s/cache\", "
            "\"cache_key\": \"%s/cache.key\"},\n"
            " \"http\": {\"listen\": \"127.0.0.1:%d\"},\n"
            " \"reload\": {\"quiet_ms\": 100}, \"admin\": {\"tools\": true}%s,\n"
            " \"plugins\": {\"r\": {\"path\": \"r.wasm\", \"permissions\": {\"timeout_ms\": 20000}}}}\n",
            dir, dir, dir, port, auth);
    fclose(f);
}

static pid_t start(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        dup2(open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600), 2);
        dup2(2, 1);
        execl(WC_BINARY_DIR "/wasmcap", "wasmcap", "serve", "--config", config_path,
              (char *)NULL);
        _exit(127);
    }
    return pid;
}

static bool wait_ready(pid_t pid)
{
    for (int i = 0; i < 600; i++) {
        hc c;
        if (hc_open(&c, port, "127.0.0.1")) {
            hc_close(&c);
            return true;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return false;
        usleep(50000);
    }
    return false;
}

static int stop(pid_t pid)
{
    kill(pid, SIGTERM);
    int status = -1;
    for (int waited = 0; waited < 20000; waited += 10) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

static bool send_post(hc *c, const char *token, const char *session, const char *body)
{
    char sid[128] = "";
    if (session)
        snprintf(sid, sizeof sid, "Mcp-Session-Id: %s\r\nMCP-Protocol-Version: 2025-11-25\r\n",
                 session);
    return hc_sendf(c,
                    "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                    "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                    "Accept: application/json, text/event-stream\r\n%s"
                    "Content-Length: %zu\r\n\r\n%s",
                    port, token, sid, strlen(body), body);
}

/* The JSON-RPC answer of a response: its body, or its event stream's
 * last event. */
static json_t *answer_of(hc *c, hc_resp *r)
{
    const char *ct = hc_header(r, "content-type");
    if (ct && strncasecmp(ct, "text/event-stream", 17) == 0) {
        json_t *last = NULL;
        hc_event e;
        while (hc_next_event(c, r, &e, WAIT_MS) == 1) {
            json_t *m = e.data ? json_loads(e.data, 0, NULL) : NULL;
            hc_event_free(&e);
            if (m && json_object_get(m, "id")) {
                json_decref(last);
                last = m;
                break;
            }
            json_decref(m);
        }
        return last;
    }
    if (!hc_read_body(c, r, WAIT_MS))
        return NULL;
    return r->body ? json_loads(r->body, 0, NULL) : NULL;
}

/* POSTs body and returns its status; *answer the JSON-RPC answer (may be NULL). */
static int post(const char *token, const char *session, const char *body, json_t **answer,
                char *session_out)
{
    hc c;
    *answer = NULL;
    if (!hc_open(&c, port, "127.0.0.1"))
        return 0;
    hc_resp r;
    int status = send_post(&c, token, session, body) ? hc_read_head(&c, &r, WAIT_MS, false) : 0;
    if (status) {
        const char *id = hc_header(&r, "mcp-session-id");
        if (session_out && id)
            snprintf(session_out, 33, "%s", id);
        if (status == 200 || status == 403)
            *answer = answer_of(&c, &r);
        hc_resp_free(&r);
    }
    hc_close(&c);
    return status;
}

static bool open_session(const char *token, char session[33])
{
    json_t *m;
    session[0] = 0;
    int status = post(token, NULL,
                      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
                      "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
                      "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}",
                      &m, session);
    json_decref(m);
    CHECK(status == 200 && session[0], "initialize: %d", status);
    status = post(token, session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
                  &m, NULL);
    json_decref(m);
    return status == 202;
}

static const char *text_of(json_t *m)
{
    json_t *b = json_array_get(json_object_get(json_object_get(m, "result"), "content"), 0);
    const char *t = json_string_value(json_object_get(b, "text"));
    return t ? t : "";
}

/* tools/call of tool; the answer's first text into out. */
static int call(const char *token, const char *session, const char *tool, const char *args,
                char *out, size_t size)
{
    char body[1024];
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
             "\"params\":{\"name\":\"%s\",\"arguments\":%s}}", tool, args);
    json_t *m;
    int status = post(token, session, body, &m, NULL);
    snprintf(out, size, "%s", m ? text_of(m) : "");
    json_decref(m);
    return status;
}

/* Waits on the GET stream for a message of that method. */
static bool await_on_stream(hc *g, hc_resp *r, const char *method)
{
    long long end = hc_now_ms() + WAIT_MS;
    while (hc_now_ms() < end) {
        hc_event e;
        if (hc_next_event(g, r, &e, (int)(end - hc_now_ms())) != 1)
            return false;
        json_t *m = e.data ? json_loads(e.data, 0, NULL) : NULL;
        hc_event_free(&e);
        const char *x = json_string_value(json_object_get(m, "method"));
        bool found = x && strcmp(x, method) == 0;
        json_decref(m);
        if (found)
            return true;
    }
    return false;
}

static void test_reload_over_http(void)
{
    CHECK(copy_file(v1, plugin_path), "copy v1");
    write_config(", \"auth\": {\"resource\": \"http://127.0.0.1/mcp\", \"bearer_tokens\": [{\"token\": \"admin-token-0123456789\", \"subject\": "
                 "\"admin\", \"scopes\": \"wasmcap:admin mcp:tools\"}, {\"token\": \"user-token-0123456789\", "
                 "\"subject\": \"user\", \"scopes\": \"mcp:tools\"}], \"tool_scopes\": "
                 "{\"*\": \"mcp:tools\"}}");
    pid_t pid = start();
    if (!wait_ready(pid)) {
        CHECK(0, "the server did not start");
        stop(pid);
        return;
    }
    char session[33], text[2048];
    if (!open_session("user-token-0123456789", session)) {
        CHECK(0, "no session");
        stop(pid);
        return;
    }
    CHECK(call("user-token-0123456789", session, "r-version", "{}", text, sizeof text) == 200 &&
              strcmp(text, "v1") == 0,
          "v1 over HTTP: %s", text);

    /* The session's GET stream, for list_changed. */
    hc g;
    hc_resp gr;
    CHECK(hc_open(&g, port, "127.0.0.1"), "connect");
    hc_sendf(&g, "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer user-token-0123456789\r\n"
                 "Accept: text/event-stream\r\nMcp-Session-Id: %s\r\n"
                 "MCP-Protocol-Version: 2025-11-25\r\n\r\n", port, session);
    CHECK(hc_read_head(&g, &gr, WAIT_MS, false) == 200, "GET stream: %d", gr.status);

    /* A call in flight on v1 while v2 replaces it. */
    hc slow;
    CHECK(hc_open(&slow, port, "127.0.0.1") &&
              send_post(&slow, "user-token-0123456789", session,
                        "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":"
                        "{\"name\":\"r-slow\",\"arguments\":{\"ms\":1500}}}"),
          "the slow call sent");
    usleep(300000);
    CHECK(replace_file(v2, plugin_path), "replace with v2");
    CHECK(await_on_stream(&g, &gr, "notifications/tools/list_changed"),
          "tools/list_changed on the GET stream");
    CHECK(call("user-token-0123456789", session, "r-version", "{}", text, sizeof text) == 200 &&
              strcmp(text, "v2") == 0,
          "v2 for new calls: %s", text);
    hc_resp sr;
    json_t *m = hc_read_head(&slow, &sr, WAIT_MS, false) == 200 ? answer_of(&slow, &sr) : NULL;
    CHECK(m && strcmp(text_of(m), "v1") == 0, "the call in flight answered by v1: %s",
          m ? text_of(m) : "no answer");
    json_decref(m);
    hc_resp_free(&sr);
    hc_close(&slow);

    /* Admin tools: the scope is needed. */
    json_t *answer;
    int status = post("user-token-0123456789", session,
                      "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"tools/call\",\"params\":"
                      "{\"name\":\"list_plugins\",\"arguments\":{}}}",
                      &answer, NULL);
    const char *msg = json_string_value(json_object_get(json_object_get(answer, "error"), "message"));
    CHECK(status == 403 && msg && strstr(msg, "wasmcap:admin"),
          "list_plugins without the admin scope: %d %s", status, msg ? msg : "");
    json_decref(answer);
    char admin_session[33];
    CHECK(open_session("admin-token-0123456789", admin_session), "admin session");
    CHECK(call("admin-token-0123456789", admin_session, "list_plugins", "{}", text, sizeof text) == 200 &&
              strstr(text, "\"name\":\"r\""),
          "list_plugins with the admin scope: %s", text);
    char args[600];
    snprintf(args, sizeof args, "{\"name\":\"again\",\"path\":\"%s\"}", v1);
    CHECK(call("admin-token-0123456789", admin_session, "load_plugin", args, text, sizeof text) == 200 &&
              strstr(text, "loaded"),
          "load_plugin with the admin scope: %s", text);
    CHECK(await_on_stream(&g, &gr, "notifications/tools/list_changed"),
          "tools/list_changed after load_plugin");
    CHECK(call("user-token-0123456789", session, "again-version", "{}", text, sizeof text) == 200 &&
              strcmp(text, "v1") == 0,
          "the loaded plugin serves: %s", text);
    hc_resp_free(&gr);
    hc_close(&g);

    /* /metrics counts the reloads. */
    hc c;
    hc_resp r;
    CHECK(hc_open(&c, port, "127.0.0.1") &&
              hc_sendf(&c, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                           "Authorization: Bearer user-token-0123456789\r\n\r\n", port) &&
              hc_response(&c, &r, WAIT_MS, false) == 200,
          "GET /metrics: %d", r.status);
    unsigned long long total = 0, failed = 99;
    const char *t = r.body ? strstr(r.body, "\nwasmcap_reloads_total ") : NULL;
    const char *f = r.body ? strstr(r.body, "\nwasmcap_reloads_failed_total ") : NULL;
    if (t)
        total = strtoull(t + 23, NULL, 10);
    if (f)
        failed = strtoull(f + 30, NULL, 10);
    CHECK(total >= 2 && failed == 0, "reloads in /metrics: %llu total, %llu failed", total,
          failed);
    hc_resp_free(&r);
    hc_close(&c);
    CHECK(stop(pid) == 0, "exit status");
}

/* Admin tools on HTTP without auth: refused at start. */
static void test_admin_needs_auth(void)
{
    write_config("");
    pid_t pid = start();
    int status = -1;
    for (int i = 0; i < 600 && waitpid(pid, &status, WNOHANG) != pid; i++)
        usleep(50000);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1, "exit status %d", status);
    FILE *log = fopen(log_path, "r");
    char line[2048];
    bool said = false;
    while (log && fgets(line, sizeof line, log))
        said |= strstr(line, "admin.tools over HTTP needs an auth section") != NULL;
    if (log)
        fclose(log);
    CHECK(said, "the refusal says why");
}

int main(void)
{
    if (!fixture_open("reload-http"))
        return 1;
    port = free_port();
    test_reload_over_http();
    test_admin_needs_auth();
    return fixture_close();
}
