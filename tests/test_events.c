/* test_events.c -- events on the bus become notifications (mcp/events.c),
 * with the in-process bus and with NATS (a real nats-server): sessions
 * subscribed to a URI hear wasmcap.resources.updated for it and only for
 * it, list_changed events reach every session that asked, over in-process
 * sessions, the stdio transport, Streamable HTTP's GET stream and a
 * stateless subscriptions/listen; hostile events are dropped and counted
 * and the next good one still goes through; a flood stays within the
 * bus's bound.  Also /healthz and /metrics say the bus's state, and a
 * backplane of the test's own, with no bus, serves the same (mcp reaches
 * the bus only through mcp/backplane.h). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus/bus.h"
#include "cli/bus_backplane.h"
#include "transport/stdio.h"
#include "util/clock.h"

#include "check.h"
#include "http_server.h"
#include "nats_server.h"
#include "session_capture.h"

#define META_2026                                                                              \
    "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","                    \
    "\"io.modelcontextprotocol/clientCapabilities\":{}}"


static const char *uri_of(json_t *m)
{
    const char *u = json_string_value(json_object_get(json_object_get(m, "params"), "uri"));
    return u ? u : "";
}

/* A server without plugins on bus, with two workers. */
static int open_world(test_world *w, wc_bus *bus)
{
    wc_mcp_options mo;
    wc_mcp_options_default(&mo);
    mo.workers = 2;
    static wc_bus_backplane bp; /* the server borrows it until test_world_close */
    wc_bus_backplane_init(&bp, bus);
    mo.backplane = &bp.port;
    return test_world_open(w, NULL, &mo);
}

/* --- in-process sessions --- */

static void test_sessions(const char *name, test_world *w, wc_bus *publisher)
{
    capture a, b, l;
    wc_mcp_session *sa = capture_session(&a, w->mcp);
    wc_mcp_session *sb = capture_session(&b, w->mcp);
    capture_init(&l);
    wc_mcp_session *sl = wc_mcp_session_new_stateless(w->mcp, capture_send, &l, "2026-07-28");
    json_decref(result_of(&a, sa, 2, "resources/subscribe", "{\"uri\":\"notes://1\"}"));
    json_decref(result_of(&b, sb, 2, "resources/subscribe", "{\"uri\":\"notes://2\"}"));
    sendf(sl, "{\"jsonrpc\":\"2.0\",\"id\":\"L1\",\"method\":\"subscriptions/listen\","
              "\"params\":{\"notifications\":{\"toolsListChanged\":true,"
              "\"resourceSubscriptions\":[\"notes://1\"]}," META_2026 "}}");
    json_decref(wait_match(&l, match_method, "notifications/subscriptions/acknowledged", 2000));

    const char *event = "{\"uri\":\"notes://1\"}";
    CHECK(wc_bus_publish_data(publisher, "wasmcap.resources.updated", event, strlen(event)) == 0,
          "%s: publish", name);
    json_t *m = wait_match(&a, match_method, "notifications/resources/updated", 3000);
    CHECK(m && strcmp(uri_of(m), "notes://1") == 0, "%s: a hears of notes://1", name);
    json_decref(m);
    m = wait_match(&l, match_method, "notifications/resources/updated", 3000);
    CHECK(m && strcmp(uri_of(m), "notes://1") == 0, "%s: the listen stream hears of notes://1",
          name);
    json_decref(m);
    CHECK(!wait_match(&b, match_method, "notifications/resources/updated", 100),
          "%s: b did not subscribe to notes://1", name);

    CHECK(wc_bus_publish_data(publisher, "wasmcap.tools.list_changed", "", 0) == 0, "publish");
    m = wait_match(&a, match_method, "notifications/tools/list_changed", 3000);
    CHECK(m != NULL, "%s: a hears tools/list_changed", name);
    json_decref(m);
    m = wait_match(&b, match_method, "notifications/tools/list_changed", 3000);
    CHECK(m != NULL, "%s: b hears tools/list_changed", name);
    json_decref(m);
    m = wait_match(&l, match_method, "notifications/tools/list_changed", 3000);
    CHECK(m != NULL, "%s: the listen stream hears tools/list_changed", name);
    json_decref(m);
    CHECK(wc_bus_publish_data(publisher, "wasmcap.prompts.list_changed", "{}", 2) == 0, "pub");
    m = wait_match(&a, match_method, "notifications/prompts/list_changed", 3000);
    CHECK(m != NULL, "%s: a hears prompts/list_changed", name);
    json_decref(m);
    CHECK(!wait_match(&l, match_method, "notifications/prompts/list_changed", 100),
          "%s: the listen stream did not ask for prompts", name);

    /* hostile events: dropped and counted, and the next good one works */
    long long dropped_before = test_world_metric(w->mcp, "wasmcap_bus_events_dropped_total");
    char *big = malloc(20000);
    memset(big, ' ', 20000);
    memcpy(big, "{\"uri\":\"notes://1\"}", 19);
    const char *hostile[] = {"not json", "{\"uri\": 5}", "{\"uri\": \"a\\nb\"}", "[1, 2]",
                             "{\"uri\": \"\"}", "{\"uri\":\"x\",\"uri\":\"y\"}"};
    size_t n_hostile = sizeof hostile / sizeof hostile[0];
    for (size_t i = 0; i < n_hostile; i++)
        wc_bus_publish_data(publisher, "wasmcap.resources.updated", hostile[i],
                            strlen(hostile[i]));
    wc_bus_publish_data(publisher, "wasmcap.resources.updated", big, 20000);
    wc_bus_publish_data(publisher, "wasmcap.tools.list_changed", big, 20000);
    free(big);
    CHECK(wc_bus_publish_data(publisher, "wasmcap.resources.updated", event, strlen(event)) == 0,
          "publish after the hostile ones");
    m = wait_match(&a, match_method, "notifications/resources/updated", 3000);
    CHECK(m && strcmp(uri_of(m), "notes://1") == 0, "%s: a good event after hostile ones", name);
    json_decref(m);
    uint64_t end = wc_monotonic_ms() + 3000;
    long long dropped = 0;
    while (wc_monotonic_ms() < end &&
           (dropped = test_world_metric(w->mcp, "wasmcap_bus_events_dropped_total")) <
               dropped_before + (long long)n_hostile + 2)
        nats_server_sleep_ms(10);
    CHECK(dropped == dropped_before + (long long)n_hostile + 2, "%s: %lld hostile events "
          "counted, want %zu", name, dropped - dropped_before, n_hostile + 2);
    CHECK(!wait_match(&a, match_method, "notifications/resources/updated", 100),
          "%s: no notification for a hostile event", name);
    CHECK(!wait_match(&a, match_method, "notifications/tools/list_changed", 50),
          "%s: the oversized list_changed was dropped", name);

    capture_session_end(&a, sa);
    capture_session_end(&b, sb);
    capture_session_end(&l, sl);
}

/* --- stdio, in process over pipes --- */

typedef struct stdio_run {
    wc_mcp_server *mcp;
    int in_fd, out_fd;
} stdio_run;

static void *stdio_main(void *arg)
{
    stdio_run *r = arg;
    wc_stdio_options o;
    wc_stdio_options_default(&o);
    o.in_fd = r->in_fd;
    o.out_fd = r->out_fd;
    wc_error err = {0};
    wc_stdio_serve(r->mcp, &o, &err);
    close(r->out_fd);
    return NULL;
}

/* The server's output, cut into lines. */
typedef struct line_reader {
    int fd;
    size_t n;
    char pending[65536];
} line_reader;

/* The next line containing needle, within ms; false if none. */
static bool read_line_with(line_reader *r, const char *needle, int ms, char *line, size_t size)
{
    uint64_t end = wc_monotonic_ms() + (uint64_t)ms;
    for (;;) {
        char *nl;
        while ((nl = memchr(r->pending, '\n', r->n)) != NULL) {
            size_t len = (size_t)(nl - r->pending);
            snprintf(line, size, "%.*s", (int)len, r->pending);
            memmove(r->pending, nl + 1, r->n - len - 1);
            r->n -= len + 1;
            if (strstr(line, needle))
                return true;
        }
        uint64_t now = wc_monotonic_ms();
        struct pollfd p = {.fd = r->fd, .events = POLLIN};
        if (now >= end || r->n == sizeof r->pending || poll(&p, 1, (int)(end - now)) <= 0)
            return false;
        ssize_t got = read(r->fd, r->pending + r->n, sizeof r->pending - r->n);
        if (got <= 0)
            return false;
        r->n += (size_t)got;
    }
}

static void write_line(int fd, const char *text)
{
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
        printf("write to the server failed\n");
}

static void test_stdio(const char *name, test_world *w, wc_bus *publisher)
{
    int to[2], from[2];
    if (pipe2(to, O_CLOEXEC) != 0 || pipe2(from, O_CLOEXEC) != 0) {
        CHECK(0, "pipes");
        return;
    }
    stdio_run r = {w->mcp, to[0], from[1]};
    pthread_t t;
    pthread_create(&t, NULL, stdio_main, &r);
    line_reader *out = calloc(1, sizeof *out);
    out->fd = from[0];
    char line[4096];
    write_line(to[1], "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
                      "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                      "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
    CHECK(read_line_with(out, "\"id\":1", 3000, line, sizeof line), "%s: initialize", name);
    write_line(to[1], "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    write_line(to[1], "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/subscribe\","
                      "\"params\":{\"uri\":\"file:///stdio\"}}");
    CHECK(read_line_with(out, "\"id\":2", 3000, line, sizeof line), "%s: subscribe", name);
    const char *event = "{\"uri\":\"file:///stdio\"}";
    wc_bus_publish_data(publisher, "wasmcap.resources.updated", event, strlen(event));
    CHECK(read_line_with(out, "notifications/resources/updated", 3000, line, sizeof line) &&
              strstr(line, "file:///stdio"),
          "%s: stdio got the notification: %s", name, line);
    wc_bus_publish_data(publisher, "wasmcap.resources.list_changed", NULL, 0);
    CHECK(read_line_with(out, "notifications/resources/list_changed", 3000, line,
                         sizeof line),
          "%s: stdio got resources/list_changed", name);
    close(to[1]);
    pthread_join(t, NULL);
    close(to[0]);
    close(from[0]);
    free(out);
}

/* --- Streamable HTTP --- */

static void test_http(const char *name, test_world *w, wc_bus *publisher)
{
    wc_http_options o;
    wc_http_options_default(&o);
    o.host = "127.0.0.1";
    o.port = "0";
    hs_server srv = {0};
    if (hs_server_start(&srv, w->mcp, &o) != 0) {
        CHECK(0, "%s: http server", name);
        return;
    }
    int port = srv.port;
    hc c, g;
    CHECK(hc_open(&c, port, "127.0.0.1") && hc_open(&g, port, "127.0.0.1"), "connect");
    char session[33];
    hc_resp r;
    if (hs_open_session(&c, port, NULL,
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
                        "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
                        "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}",
                        session)) {
        CHECK(hs_post(&c, port, session, "MCP-Protocol-Version: 2025-11-25\r\n",
                      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/subscribe\","
                      "\"params\":{\"uri\":\"https://example.com/r\"}}",
                      &r) == 200,
              "%s: subscribe over HTTP: %d", name, r.status);
        hc_resp_free(&r);
        hc_sendf(&g, "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: text/event-stream\r\n"
                     "MCP-Protocol-Version: 2025-11-25\r\nMcp-Session-Id: %s\r\n\r\n",
                 port, session);
        CHECK(hc_read_head(&g, &r, HS_WAIT_MS, false) == 200, "%s: GET stream", name);
        const char *event = "{\"uri\":\"https://example.com/r\"}";
        wc_bus_publish_data(publisher, "wasmcap.resources.updated", event, strlen(event));
        hc_event e;
        bool seen = false;
        while (!seen && hc_next_event(&g, &r, &e, HS_WAIT_MS) == 1) {
            seen = strstr(e.data, "notifications/resources/updated") &&
                   strstr(e.data, "https://example.com/r");
            hc_event_free(&e);
        }
        CHECK(seen, "%s: the GET stream carried the notification", name);
        hc_resp_free(&r);
    }
    hc_close(&g);
    CHECK(hc_sendf(&c, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", port) &&
              hc_response(&c, &r, HS_WAIT_MS, false) == 200,
          "healthz");
    char want[64];
    snprintf(want, sizeof want, "ok\nbus: %s connected\n", name);
    CHECK(r.body && strcmp(r.body, want) == 0, "%s: /healthz says '%s'", name,
          r.body ? r.body : "");
    hc_resp_free(&r);
    hc_close(&c);
    char series[96];
    snprintf(series, sizeof series, "wasmcap_bus_connected{kind=\"%s\",state=\"connected\"}",
             name);
    CHECK(hs_metric(port, NULL, series) == 1, "%s: /metrics has %s 1", name, series);
    CHECK(hs_metric(port, NULL, "wasmcap_bus_events_total") >= 1, "%s: events counted", name);
    hs_server_stop(&srv);
}

/* --- a flood --- */

/* 20,000 events into a subscription queue of 64: the bus drops and counts
 * what does not fit; nothing grows without bound and the server answers
 * after. */
static void test_flood(void)
{
    wc_bus_config cfg;
    wc_bus_config_init(&cfg);
    cfg.sub_max_msgs = 64;
    wc_bus *bus = NULL;
    CHECK(wc_bus_open(&cfg, &bus, NULL) == 0, "open");
    test_world w;
    if (open_world(&w, bus) == 0) {
        capture a;
        wc_mcp_session *sa = capture_session(&a, w.mcp);
        json_decref(result_of(&a, sa, 2, "resources/subscribe", "{\"uri\":\"flood://x\"}"));
        const char *event = "{\"uri\":\"flood://x\"}";
        for (int i = 0; i < 20000; i++)
            wc_bus_publish_data(bus, "wasmcap.resources.updated", event, strlen(event));
        json_t *pong = result_of(&a, sa, 3, "ping", NULL);
        CHECK(pong != NULL, "the server answers during a flood");
        json_decref(pong);
        wc_bus_drain(bus, 10000);
        wc_bus_stats st;
        wc_bus_get_stats(bus, &st);
        long long events = test_world_metric(w.mcp, "wasmcap_bus_events_total");
        CHECK(st.dropped > 0 && (long long)st.dropped + events == 20000,
              "flood: %llu dropped + %lld delivered", (unsigned long long)st.dropped, events);
        capture_session_end(&a, sa);
    }
    test_world_close(&w);
    wc_bus_close(bus);
}

/* --- one bus, every path --- */

static void run_all(const char *name, wc_bus *bus, wc_bus *publisher)
{
    printf("-- %s\n", name);
    test_world w;
    if (open_world(&w, bus) == 0) {
        /* a NATS subscription is in place once a round trip followed it */
        wc_bus_msg ping = {.subject = "settle.nobody"};
        wc_bus_msg *reply = NULL;
        wc_bus_request(bus, &ping, 2000, &reply, NULL);
        wc_bus_msg_free(reply);
        test_sessions(name, &w, publisher);
        test_stdio(name, &w, publisher);
        test_http(name, &w, publisher);
    } else {
        CHECK(0, "%s: world", name);
    }
    test_world_close(&w);
}

/* Without a bus the server has no event subscriptions and /healthz is
 * just "ok". */
static void test_no_bus(void)
{
    test_world w;
    if (test_world_open(&w, NULL, NULL) == 0) {
        wc_buf out;
        wc_buf_init(&out);
        wc_mcp_server_render_health(w.mcp, &out);
        CHECK(out.len == 0, "no bus, no health detail");
        wc_buf_free(&out);
        CHECK(test_world_metric(w.mcp, "wasmcap_bus_events_total") == -1, "no bus metrics");
    }
    test_world_close(&w);
}

/* --- a backplane of the test's own: mcp reaches what is behind it only
 * through mcp/backplane.h, so a port with no bus at all serves --- */

typedef struct fake_backplane {
    wc_backplane port;
    wc_backplane_event_fn fn[8];
    void *server[8];
    char subject[8][64];
    int listening, unlistened;
} fake_backplane;

static int fake_listen(void *ctx, const char *subject, wc_backplane_event_fn fn, void *server,
                       void **handle, wc_error *err)
{
    fake_backplane *f = ctx;
    if (f->listening == 8)
        return wc_error_set(err, WC_EAGAIN, "the fake listens to 8 subjects at most");
    int i = f->listening++;
    f->fn[i] = fn;
    f->server[i] = server;
    snprintf(f->subject[i], sizeof f->subject[i], "%s", subject);
    *handle = &f->fn[i];
    return 0;
}

static void fake_unlisten(void *ctx, void *handle)
{
    fake_backplane *f = ctx;
    (void)handle;
    f->unlistened++;
}

static void fake_health(void *ctx, wc_buf *out)
{
    (void)ctx;
    wc_buf_str(out, "fake: fine\n");
}

/* Delivers an event as the fake's owner would; false: nobody listens. */
static bool fake_deliver(fake_backplane *f, const char *subject, const char *text)
{
    for (int i = 0; i < f->listening; i++) {
        if (strcmp(f->subject[i], subject) == 0) {
            f->fn[i](f->server[i], subject, text, strlen(text));
            return true;
        }
    }
    return false;
}

static void test_own_backplane(void)
{
    fake_backplane f = {.port = {.listen = fake_listen,
                                 .unlisten = fake_unlisten,
                                 .render_health = fake_health}};
    f.port.ctx = &f;
    wc_mcp_options mo;
    wc_mcp_options_default(&mo);
    mo.workers = 2;
    mo.backplane = &f.port;
    test_world w;
    if (test_world_open(&w, NULL, &mo) == 0) {
        CHECK(f.listening == 4, "the server listens to the 4 event subjects (%d)", f.listening);
        capture a;
        wc_mcp_session *sa = capture_session(&a, w.mcp);
        json_decref(result_of(&a, sa, 2, "resources/subscribe", "{\"uri\":\"own://1\"}"));
        CHECK(fake_deliver(&f, "wasmcap.resources.updated", "{\"uri\":\"own://1\"}"),
              "listening to wasmcap.resources.updated");
        json_t *m = wait_match(&a, match_method, "notifications/resources/updated", 3000);
        CHECK(m && strcmp(uri_of(m), "own://1") == 0, "the port's event became a notification");
        json_decref(m);
        CHECK(fake_deliver(&f, "wasmcap.tools.list_changed", ""), "listening to tools");
        m = wait_match(&a, match_method, "notifications/tools/list_changed", 3000);
        CHECK(m != NULL, "the port's list_changed became a notification");
        json_decref(m);
        fake_deliver(&f, "wasmcap.resources.updated", "not json");
        CHECK(test_world_metric(w.mcp, "wasmcap_bus_events_dropped_total") == 1,
              "a bad event through the port is counted");
        wc_buf out;
        wc_buf_init(&out);
        wc_mcp_server_render_health(w.mcp, &out);
        const char *health = wc_buf_cstr(&out);
        CHECK(health && strcmp(health, "fake: fine\n") == 0, "/healthz has the port's line");
        wc_buf_free(&out);
        capture_session_end(&a, sa);
    }
    test_world_close(&w);
    CHECK(f.unlistened == 4, "every listen ended with the server (%d)", f.unlistened);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    test_no_bus();
    test_own_backplane();

    wc_bus_config cfg;
    wc_bus_config_init(&cfg);
    wc_bus *bus = NULL;
    CHECK(wc_bus_open(&cfg, &bus, NULL) == 0, "open in-process");
    if (bus)
        run_all("inproc", bus, bus);
    wc_bus_close(bus);
    test_flood();

    nats_server ns;
    CHECK(nats_server_start(&ns, "test_events") == 0, "nats-server starts (is it installed?)");
    if (ns.pid > 0) {
        cfg.url = ns.url;
        wc_bus *server_bus = NULL, *publisher = NULL;
        wc_error err = {0};
        CHECK(wc_bus_open(&cfg, &server_bus, &err) == 0, "open: %s", wc_error_message(&err));
        CHECK(wc_bus_open(&cfg, &publisher, &err) == 0, "open: %s", wc_error_message(&err));
        uint64_t end = wc_monotonic_ms() + 5000;
        while (server_bus && publisher && wc_monotonic_ms() < end &&
               (wc_bus_get_state(server_bus) != WC_BUS_CONNECTED ||
                wc_bus_get_state(publisher) != WC_BUS_CONNECTED))
            nats_server_sleep_ms(10);
        if (server_bus && publisher)
            run_all("nats", server_bus, publisher);
        wc_bus_close(publisher);
        wc_bus_close(server_bus);
        nats_server_stop(&ns);
    }
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
