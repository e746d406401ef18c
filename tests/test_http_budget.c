/* test_http_budget.c -- http.max_client_bytes: what the HTTP transport
 * keeps for one client (request bodies in flight, event logs kept for
 * replay), over all its sessions, is bounded; a client over it gets 429
 * while another is served; the replay logs of its finished, delivered
 * streams go first, an answer never delivered stays; and the account
 * returns to 0 when the sessions end.
 *
 * A server runs in process on 127.0.0.1 over a small WAT plugin (a call
 * that spins until cancelled, one that answers 64 KiB after progress,
 * and one that also closes its stream first).  Clients connect from
 * addresses of their own, so that their budgets are apart.
 *
 * TEST_HTTP_ONLY=WORD runs the tests whose name contains WORD;
 * TEST_HTTP_LOG=1 shows the server's log.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "auth/auth.h"
#include "mcp/server.h"
#include "cli/config.h"
#include "plugin/registry.h"
#include "transport/http.h"
#include "transport/http_config.h"
#include "util/log.h"

#include "check.h"
#include "http_client.h"
#include "http_server.h"

#define WAIT_MS 5000
#define BIG_TEXT 65536 /* bytes of text in the "big" answer */
#define INIT_BODY                                                                          \
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":" \
    "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"

/* --- the plugin --- */

static char plugin_dir[256];

/* Tools by first letter: spin (loops until cancelled), big (progress,
 * then a 64 KiB answer), cbig (progress, close_stream, then the same),
 * anything else answers "ok". */
static int build_plugin(void)
{
    if (hs_plugin_dir_make(plugin_dir, sizeof plugin_dir, "budget") != 0)
        return -1;
    FILE *f = hs_plugin_file(plugin_dir, "b.wat");
    if (!f)
        return -1;
    const char *ok = "{\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}";
    const char *big_head = "{\"content\":[{\"type\":\"text\",\"text\":\"";
    const char *big_tail = "\"}]}";
    int big_len = (int)(strlen(big_head) + BIG_TEXT + strlen(big_tail));
    fprintf(f, "(module\n"
               " (import \"wasmcap\" \"progress\" (func $progress (param f64 f64 i32 i32)))\n"
               " (import \"wasmcap\" \"close_stream\" (func $close_stream))\n"
               " (memory (export \"memory\") 32)\n"
               " (global $heap (mut i32) (i32.const 131072))\n"
               " (data (i32.const 64) \"");
    for (const char *p = ok; *p; p++)
        fprintf(f, *p == '"' ? "\\\"" : "%c", *p);
    fputs("\")\n (data (i32.const 512) \"half\")\n (data (i32.const 4096) \"", f);
    for (const char *p = big_head; *p; p++)
        fprintf(f, *p == '"' ? "\\\"" : "%c", *p);
    for (int i = 0; i < BIG_TEXT; i++)
        fputc('x', f);
    for (const char *p = big_tail; *p; p++)
        fprintf(f, *p == '"' ? "\\\"" : "%c", *p);
    fprintf(f,
            "\")\n"
            " (func (export \"wasmcap_alloc\") (param $n i32) (result i32) (local $p i32)\n"
            "  global.get $heap local.set $p\n"
            "  global.get $heap local.get $n i32.add global.set $heap\n"
            "  local.get $p)\n"
            " (func $ret (param $p i32) (param $n i32) (result i64)\n"
            "  (i64.or (i64.shl (i64.extend_i32_u (local.get $p)) (i64.const 32))\n"
            "          (i64.extend_i32_u (local.get $n))))\n"
            " (func (export \"wasmcap_call_tool\") (param $name i32) (param $nl i32)\n"
            "       (param $a i32) (param $al i32) (result i64) (local $c i32)\n"
            "  (local.set $c (i32.load8_u (local.get $name)))\n"
            "  (if (i32.eq (local.get $c) (i32.const 115)) (then (loop $l (br $l))))\n"
            "  (if (i32.or (i32.eq (local.get $c) (i32.const 98))\n"
            "              (i32.eq (local.get $c) (i32.const 99))) (then\n"
            "   (call $progress (f64.const 1) (f64.const 2) (i32.const 512) (i32.const 4))\n"
            "   (if (i32.eq (local.get $c) (i32.const 99)) (then (call $close_stream)))\n"
            "   (return (call $ret (i32.const 4096) (i32.const %d)))))\n"
            "  (call $ret (i32.const 64) (i32.const %d)))\n"
            ")\n",
            big_len, (int)strlen(ok));
    fclose(f);
    f = hs_plugin_file(plugin_dir, "b.manifest.json");
    if (!f)
        return -1;
    fputs("{\"name\":\"b\",\"version\":\"1.0.0\",\"tools\":[{\"name\":\"ok\"},{\"name\":\"spin\"},"
          "{\"name\":\"big\"},{\"name\":\"cbig\"}]}\n",
          f);
    fclose(f);
    return hs_plugin_wat2wasm(plugin_dir, "b");
}

/* --- the server --- */

static test_world w;

static int world_open(void)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"storage\":{\"cache_dir\":\"%s/cache\",\"kv_dir\":\"%s/kv\"},"
             "\"plugins\":{\"b\":{\"path\":\"%s/b.wasm\",\"prefix\":\"\","
             "\"permissions\":{\"timeout_ms\":20000}}}}",
             plugin_dir, plugin_dir, plugin_dir);
    wc_mcp_options o;
    wc_mcp_options_default(&o);
    o.workers = 8; /* more than the spinning calls a budget lets in: another client finds one free */
    o.request_timeout_ms = 20000;
    return test_world_open(&w, text, &o);
}

/* --- requests --- */

/* With auth: the Authorization header every request carries ("" without). */
static const char *bearer = "";

static bool send_post(hc *c, int port, const char *session, const char *extra, const char *body,
                      size_t len)
{
    char headers[1024];
    snprintf(headers, sizeof headers, "%s%s", bearer, extra ? extra : "");
    return hs_send_post(c, port, session, headers, body, len);
}

static int post(hc *c, int port, const char *session, const char *body, hc_resp *r)
{
    return hs_post(c, port, session, bearer, body, r);
}

static bool open_session(hc *c, int port, char session[33])
{
    return hs_open_session(c, port, bearer, INIT_BODY, session);
}

static void end_session(int port, const char *session)
{
    hc c;
    hc_resp r;
    if (!hc_open(&c, port, "127.0.0.99"))
        return;
    hc_sendf(&c, "DELETE /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nMcp-Session-Id: %s\r\n%s\r\n",
             port, session, bearer);
    int status = hc_response(&c, &r, WAIT_MS, false);
    CHECK(status == 200, "DELETE: %d", status);
    hc_resp_free(&r);
    hc_close(&c);
}

/* A tools/call of tool with pad bytes of padding in its arguments. */
static char *call(const char *tool, int id, size_t pad, bool progress, size_t *len)
{
    char *m = malloc(pad + 300);
    int n = sprintf(m, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\",\"params\":{%s"
                       "\"name\":\"%s\",\"arguments\":{\"pad\":\"",
                    id, progress ? "\"_meta\":{\"progressToken\":1}," : "", tool);
    memset(m + n, 'x', pad);
    *len = (size_t)n + pad + (size_t)sprintf(m + n + pad, "\"}}}");
    return m;
}

/* Waits until the metric is want (a session is freed once its calls end, off the loop). */
static long long metric_settles(int port, const char *name, long long want)
{
    long long v = hs_metric(port, bearer, name), deadline = hc_now_ms() + 4 * WAIT_MS;
    while (v != want && hc_now_ms() < deadline) {
        usleep(20000);
        v = hs_metric(port, bearer, name);
    }
    return v;
}

/* --- bodies in flight --- */

#define FLIGHT_BUDGET (1 << 20)
#define FLIGHT_PAD (200 * 1024)
#define FLIGHT_POSTS 200
#define FLIGHT_SESSIONS 4

static void test_in_flight(void)
{
    hs_server srv = {0};
    wc_http_options o;
    wc_http_options_default(&o);
    o.port = "0";
    o.limits.max_body_bytes = 512 * 1024;
    o.max_client_bytes = FLIGHT_BUDGET;
    o.inline_budget_ms = -1; /* spinning calls straight to the workers, not tried on the loop */
    if (hs_server_start(&srv, w.mcp, &o) != 0) {
        CHECK(0, "cannot start the server");
        return;
    }
    int port = srv.port;
    const char *abuser = "127.0.0.71", *other = "127.0.0.72";
    char sessions[FLIGHT_SESSIONS][33];
    hc c;
    for (int i = 0; i < FLIGHT_SESSIONS; i++) {
        if (!hc_open(&c, port, abuser) || !open_session(&c, port, sessions[i])) {
            CHECK(0, "session %d", i);
            hc_close(&c);
            hs_server_stop(&srv);
            return;
        }
        hc_close(&c);
    }

    /* 200 calls of 200 KiB that run until cancelled, spread over the
     * sessions (50 each, under max_streams_per_session): as many as fit
     * the budget are taken, the rest refused at once */
    size_t len;
    char *msg = call("spin", 7, FLIGHT_PAD, false, &len);
    long fit = (long)(FLIGHT_BUDGET / len);
    hc *flying = calloc(FLIGHT_POSTS, sizeof *flying);
    int accepted = 0, refused = 0, other_status = 0;
    char refusal[512] = "", retry_after[32] = "";
    long rss_before = hs_rss_kb();
    for (int i = 0; i < FLIGHT_POSTS; i++) {
        hc *h = &flying[accepted];
        if (!hc_open(h, port, abuser) ||
            !send_post(h, port, sessions[i % FLIGHT_SESSIONS], NULL, msg, len)) {
            CHECK(0, "POST %d not sent", i);
            hc_close(h);
            break;
        }
        hc_resp r;
        int status = hc_response(h, &r, 300, false);
        if (status == 0) {
            accepted++; /* in flight: keep its connection */
        } else {
            if (status == 429 && !refused) {
                snprintf(refusal, sizeof refusal, "%s", r.body ? r.body : "");
                const char *ra = hc_header(&r, "retry-after");
                snprintf(retry_after, sizeof retry_after, "%s", ra ? ra : "");
            }
            refused += status == 429;
            other_status = status == 429 ? other_status : status;
            hc_close(h);
        }
        hc_resp_free(&r);
    }
    long grown_mb = (hs_rss_kb() - rss_before) / 1024;
    /* a refusal slower than 300 ms (a loaded machine, ASan) is no call in flight */
    for (int i = 0; i < accepted;) {
        hc_resp r;
        int status = hc_response(&flying[i], &r, 100, false);
        hc_resp_free(&r);
        if (status == 0) {
            i++;
            continue;
        }
        refused += status == 429;
        other_status = status == 429 ? other_status : status;
        hc_close(&flying[i]);
        flying[i] = flying[--accepted];
    }
    CHECK(accepted == fit && refused == FLIGHT_POSTS - fit,
          "%d calls of %zu bytes: %d in flight (%ld fit in %d), %d refused, other status %d",
          FLIGHT_POSTS, len, accepted, fit, FLIGHT_BUDGET, refused, other_status);
    CHECK(strstr(refusal, "http.max_client_bytes") != NULL && atoi(retry_after) > 0,
          "the 429 names the limit and says when to retry: '%s', Retry-After '%s'", refusal,
          retry_after);
    long long kept = hs_metric(port, bearer, "wasmcap_client_bytes_max");
    printf("in flight: %d of %d calls of %zu bytes taken, %d refused, %lld bytes kept, "
           "RSS +%ld MB\n", accepted, FLIGHT_POSTS, len, refused, kept, grown_mb);
    CHECK(kept == (long long)accepted * (long long)len,
          "the client keeps exactly its bodies in flight: %lld, want %lld", kept,
          (long long)accepted * (long long)len);
#ifndef __SANITIZE_ADDRESS__ /* its quarantine holds the refused bodies' buffers back */
    CHECK(grown_mb < 24, "RSS grew by %ld MB for %d calls of %zu bytes (%ld MB if all were kept)",
          grown_mb, FLIGHT_POSTS, len, (long)(FLIGHT_POSTS * len) >> 20);
#else
    (void)grown_mb;
#endif

    /* another client is served meanwhile */
    char session[33];
    if (hc_open(&c, port, other) && open_session(&c, port, session)) {
        hc_resp r;
        int status = post(&c, port, session,
                          "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\","
                          "\"params\":{\"name\":\"ok\",\"arguments\":{}}}",
                          &r);
        CHECK(status == 200 && r.body && strstr(r.body, "\"ok\""),
              "another client's call while the first is over its budget: %d %s", status,
              r.body ? r.body : "");
        hc_resp_free(&r);
        end_session(port, session);
    }
    hc_close(&c);

    /* the same budget covers its legacy /messages and stateless requests */
    hc sse;
    hc_resp sr;
    char path[128] = "";
    if (hc_open(&sse, port, abuser) &&
        hc_sendf(&sse, "GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n") &&
        hc_read_head(&sse, &sr, WAIT_MS, false) == 200) {
        hc_event e;
        if (hc_next_event(&sse, &sr, &e, WAIT_MS) == 1 && strcmp(e.event, "endpoint") == 0)
            snprintf(path, sizeof path, "%s", e.data);
        hc_event_free(&e);
    }
    CHECK(path[0], "legacy endpoint event");
    if (path[0] && hc_open(&c, port, abuser)) {
        hc_resp r;
        hc_sendf(&c, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n", path, len);
        hc_send(&c, msg, len);
        int status = hc_response(&c, &r, WAIT_MS, false);
        CHECK(status == 429 && r.body && strstr(r.body, "http.max_client_bytes"),
              "legacy POST over the budget: %d %s", status, r.body ? r.body : "");
        hc_resp_free(&r);
        hc_close(&c);
    }
    hc_resp_free(&sr);
    hc_close(&sse); /* ends the legacy session */
    if (hc_open(&c, port, abuser)) {
        hc_resp r;
        char *stateless = call("spin", 9, FLIGHT_PAD, false, &len);
        send_post(&c, port, NULL,
                  "MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\n"
                  "Mcp-Name: spin\r\n",
                  stateless, len);
        int status = hc_response(&c, &r, WAIT_MS, false);
        CHECK(status == 429 && r.body && strstr(r.body, "http.max_client_bytes"),
              "stateless request over the budget: %d %s", status, r.body ? r.body : "");
        hc_resp_free(&r);
        free(stateless);
    }
    hc_close(&c);

    /* its sessions end: nothing is kept for anyone, and it is served again */
    for (int i = 0; i < FLIGHT_SESSIONS; i++)
        end_session(port, sessions[i]);
    for (int i = 0; i < accepted; i++)
        hc_close(&flying[i]);
    free(flying);
    long long left = metric_settles(port, "wasmcap_client_bytes", 0);
    CHECK(left == 0, "after the sessions ended %lld bytes are still counted", left);
    CHECK(hs_metric(port, bearer, "wasmcap_client_bytes_max") == 0, "no client keeps anything");
    if (hc_open(&c, port, abuser) && open_session(&c, port, session)) {
        hc_resp r;
        int status = post(&c, port, session,
                          "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\","
                          "\"params\":{\"name\":\"ok\",\"arguments\":{}}}",
                          &r);
        CHECK(status == 200, "the client is served again once its calls ended: %d", status);
        hc_resp_free(&r);
        end_session(port, session);
    }
    hc_close(&c);
    free(msg);
    hs_server_stop(&srv);
}

/* --- replay logs --- */

#define LOG_BUDGET (256 * 1024)

/* POSTs a call and reads its event stream to the end; the number of its
 * stream (from the ids), and whether the answer came with big text. */
static bool stream_call(hc *c, int port, const char *session, const char *tool, int id,
                        unsigned long long *stream, bool *answered, int *status)
{
    size_t len;
    char *msg = call(tool, id, 16, true, &len);
    hc_resp r;
    memset(&r, 0, sizeof r);
    bool sent = send_post(c, port, session, NULL, msg, len);
    free(msg);
    *status = sent ? hc_read_head(c, &r, WAIT_MS, false) : 0;
    *answered = false;
    *stream = 0;
    hc_event e;
    while (*status == 200 && hc_next_event(c, &r, &e, WAIT_MS) == 1) {
        unsigned long long no = strtoull(e.id, NULL, 10);
        if (no)
            *stream = no;
        if (e.data && strstr(e.data, "xxxxxxxxxxxxxxxx") && strstr(e.data, "\"result\""))
            *answered = true;
        hc_event_free(&e);
    }
    hc_resp_free(&r);
    return *status == 200;
}

static void test_replay_logs(void)
{
    hs_server srv = {0};
    wc_http_options o;
    wc_http_options_default(&o);
    o.port = "0";
    o.max_client_bytes = LOG_BUDGET;
    if (hs_server_start(&srv, w.mcp, &o) != 0) {
        CHECK(0, "cannot start the server");
        return;
    }
    int port = srv.port;
    const char *client = "127.0.0.73";
    char session[33];
    hc c;
    if (!hc_open(&c, port, client) || !open_session(&c, port, session)) {
        hc_close(&c);
        hs_server_stop(&srv);
        return;
    }
    /* a call whose stream closes before its answer: that answer, logged
     * but never delivered, must survive whatever the budget drops */
    unsigned long long closed_stream, first_stream = 0, last_stream = 0;
    bool answered;
    int status;
    stream_call(&c, port, session, "cbig", 2, &closed_stream, &answered, &status);
    CHECK(status == 200 && closed_stream && !answered,
          "cbig: status %d, stream %llu, answered before its close %d", status, closed_stream,
          answered);
    hc_close(&c);
    usleep(200000); /* its answer comes after the close */

    /* calls whose answers (64 KiB each) are logged for replay: 12 of them
     * are four times the budget; all are answered */
    int served = 0;
    long long most = 0;
    for (int i = 0; i < 12; i++) {
        unsigned long long no;
        if (!hc_open(&c, port, client))
            break;
        stream_call(&c, port, session, "big", 10 + i, &no, &answered, &status);
        hc_close(&c);
        served += status == 200 && answered;
        if (i == 0)
            first_stream = no;
        last_stream = no;
        long long kept = hs_metric(port, bearer, "wasmcap_client_bytes_max");
        most = kept > most ? kept : most;
        CHECK(kept > 0 && kept <= LOG_BUDGET + BIG_TEXT + 4096,
              "call %d: the client keeps %lld bytes (budget %d and one answer)", i, kept,
              LOG_BUDGET);
    }
    CHECK(served == 12, "%d of 12 calls answered", served);
    printf("replay logs: 12 answers of %d KiB, %lld logs dropped, at most %lld bytes kept "
           "(budget %d)\n", BIG_TEXT / 1024, hs_metric(port, bearer, "wasmcap_replay_logs_dropped_total"),
           most, LOG_BUDGET);
    CHECK(hs_metric(port, bearer, "wasmcap_replay_logs_dropped_total") > 0, "replay logs were dropped");
    CHECK(hs_metric(port, bearer, "wasmcap_client_budget_refusals_total") == 0,
          "no request was refused while logs could be dropped");

    /* the undelivered answer is still there; the oldest delivered one is not */
    char last_id[64];
    snprintf(last_id, sizeof last_id, "%llu-1", closed_stream);
    bool replayed = false;
    if (hc_open(&c, port, client)) {
        hc_resp r;
        hc_sendf(&c, "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: text/event-stream\r\n"
                     "Mcp-Session-Id: %s\r\nLast-Event-ID: %s\r\n\r\n",
                 port, session, last_id);
        if (hc_read_head(&c, &r, WAIT_MS, false) == 200) {
            hc_event e;
            if (hc_next_event(&c, &r, &e, WAIT_MS) == 1)
                replayed = e.data && strstr(e.data, "xxxxxxxxxxxxxxxx") != NULL;
            hc_event_free(&e);
        }
        hc_resp_free(&r);
        hc_close(&c);
    }
    CHECK(replayed, "the answer never delivered (stream %llu) is replayed", closed_stream);
    snprintf(last_id, sizeof last_id, "%llu-1", first_stream);
    bool old_replayed = false;
    if (hc_open(&c, port, client)) {
        hc_resp r;
        hc_sendf(&c, "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: text/event-stream\r\n"
                     "Mcp-Session-Id: %s\r\nLast-Event-ID: %s\r\n\r\n",
                 port, session, last_id);
        if (hc_read_head(&c, &r, WAIT_MS, false) == 200) {
            hc_event e;
            while (hc_next_event(&c, &r, &e, 300) == 1) {
                old_replayed |= e.data && strstr(e.data, "xxxxxxxxxxxxxxxx") != NULL;
                hc_event_free(&e);
            }
        }
        hc_resp_free(&r);
        hc_close(&c);
    }
    CHECK(!old_replayed && first_stream != last_stream,
          "the oldest delivered answer (stream %llu) was dropped for the budget", first_stream);

    end_session(port, session);
    long long left = metric_settles(port, "wasmcap_client_bytes", 0);
    CHECK(left == 0, "after the session ended %lld bytes are still counted", left);
    hs_server_stop(&srv);
}

/* --- by principal --- */

#define ALICE "Authorization: Bearer alice-token-0123456789abcdef\r\n"
#define BOB "Authorization: Bearer bob-token-0123456789abcdef00\r\n"

/* Sends a spinning call of FLIGHT_PAD bytes on a new connection; its
 * status (0: in flight, the connection stays open in h). */
static int spin_from(hc *h, int port, const char *source, const char *session)
{
    size_t len;
    char *msg = call("spin", 7, FLIGHT_PAD, false, &len);
    int status = -1;
    if (hc_open(h, port, source) && send_post(h, port, session, NULL, msg, len)) {
        hc_resp r;
        status = hc_response(h, &r, 300, false);
        hc_resp_free(&r);
    }
    free(msg);
    if (status != 0)
        hc_close(h);
    return status;
}

/* With auth the budget is the principal's, from whatever address: alice
 * from two addresses shares one; bob, from one of them, has his own. */
static void test_principal(void)
{
    wc_error err;
    json_t *j = json_loads("{\"resource\": \"http://localhost/mcp\", \"bearer_tokens\": ["
                           "{\"token\": \"alice-token-0123456789abcdef\", \"subject\": \"alice\"},"
                           "{\"token\": \"bob-token-0123456789abcdef00\", \"subject\": \"bob\"}]}",
                           0, NULL);
    wc_auth_options ao;
    wc_auth *auth = NULL;
    bool ok = wc_auth_options_parse(j, NULL, NULL, NULL, &ao, &err) == 0;
    CHECK(ok, "auth: %s", err.msg);
    ok = ok && wc_auth_new(&ao, &auth, &err) == 0;
    CHECK(ok, "authorizer: %s", err.msg);
    wc_auth_options_free(&ao);
    json_decref(j);
    if (!auth)
        return;
    hs_server srv = {0};
    wc_http_options o;
    wc_http_options_default(&o);
    o.port = "0";
    o.limits.max_body_bytes = 512 * 1024;
    o.max_client_bytes = FLIGHT_BUDGET;
    o.inline_budget_ms = -1; /* spinning calls straight to the workers, not tried on the loop */
    o.auth = auth;
    if (hs_server_start(&srv, w.mcp, &o) != 0) {
        CHECK(0, "cannot start the server");
        wc_auth_free(auth);
        return;
    }
    int port = srv.port;
    const char *from[2] = {"127.0.0.81", "127.0.0.82"};
    char sessions[2][33], bob_session[33] = "";
    hc c, flying[64];
    int nflying = 0, accepted = 0, refused = 0;
    bearer = ALICE;
    for (int i = 0; i < 2; i++) {
        if (hc_open(&c, port, from[i]))
            open_session(&c, port, sessions[i]);
        hc_close(&c);
    }
    for (int i = 0; i < 20 && nflying < 64; i++) {
        int status = spin_from(&flying[nflying], port, from[i % 2], sessions[i % 2]);
        if (status == 0)
            nflying++, accepted++;
        refused += status == 429;
    }
    size_t len;
    free(call("spin", 7, FLIGHT_PAD, false, &len));
    long fit = (long)(FLIGHT_BUDGET / len);
    CHECK(accepted == fit && refused == 20 - fit,
          "alice from two addresses: %d calls in flight (%ld fit her budget), %d refused",
          accepted, fit, refused);
    bearer = BOB;
    if (hc_open(&c, port, from[0]) && open_session(&c, port, bob_session)) {
        int status = spin_from(&flying[nflying], port, from[0], bob_session);
        CHECK(status == 0, "bob, from alice's address, has a budget of his own: %d", status);
        nflying += status == 0;
    }
    hc_close(&c);
    /* alice's first: bob's call waits for a worker that her calls hold */
    bearer = ALICE;
    for (int i = 0; i < 2; i++)
        end_session(port, sessions[i]);
    bearer = BOB;
    if (bob_session[0])
        end_session(port, bob_session);
    for (int i = 0; i < nflying; i++)
        hc_close(&flying[i]);
    long long left = metric_settles(port, "wasmcap_client_bytes", 0);
    CHECK(left == 0, "after the sessions ended %lld bytes are still counted", left);
    bearer = "";
    hs_server_stop(&srv);
    wc_auth_free(auth);
}

/* http.max_client_bytes in the config: -1 or a size; 0 is refused. */
static void test_config(void)
{
    static const struct {
        const char *text;
        int rc;
        long long want;
    } cases[] = {
        {"{}", 0, 256ll << 20},
        {"{\"max_client_bytes\": -1}", 0, -1},
        {"{\"max_client_bytes\": 1048576}", 0, 1048576},
        {"{\"max_client_bytes\": 0}", WC_EINVAL, 0},
        {"{\"max_client_bytes\": -2}", WC_EINVAL, 0},
        {"{\"max_client_bytes\": \"1MiB\"}", WC_EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *j = json_loads(cases[i].text, 0, NULL);
        wc_http_config c;
        wc_error err = {0};
        int rc = wc_http_config_parse(j, &c, &err);
        CHECK(rc == cases[i].rc && (rc != 0 || c.options.max_client_bytes == cases[i].want) &&
                  (rc == 0 || strstr(err.msg, "http.max_client_bytes")),
              "%s: rc %d, %lld, '%s'", cases[i].text, rc, rc ? 0 : c.options.max_client_bytes,
              err.msg);
        if (rc == 0)
            wc_http_config_free(&c);
        json_decref(j);
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* what failed shows even if a later step hangs */
    wc_log_set_level(getenv("TEST_HTTP_LOG") ? WC_LOG_DEBUG : WC_LOG_ERROR);
    if (build_plugin() != 0) {
        puts("FAIL: cannot build the test plugin with wat2wasm");
        return 1;
    }
    if (world_open() != 0) {
        puts("FAIL: cannot load the test plugin");
        test_world_close(&w);
        hs_plugin_dir_remove(plugin_dir);
        return 1;
    }
    struct {
        const char *name;
        void (*fn)(void);
    } tests[] = {
        {"config", test_config},
        {"in flight", test_in_flight},
        {"principal", test_principal},
        {"replay logs", test_replay_logs},
    };
    const char *only = getenv("TEST_HTTP_ONLY");
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        if (!only || strstr(tests[i].name, only))
            tests[i].fn();
    test_world_close(&w);
    hs_plugin_dir_remove(plugin_dir);
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
