/* test_audit.c -- every tool call publishes one audit event (mcp/audit.c):
 * on wasmcap.audit.<plugin>.<tool>, with the right fields, without the
 * arguments unless the config says so; an event per outcome (ok, a tool
 * error, a protocol error); kept in a JetStream stream with its retention
 * (a real nats-server); a full queue drops and counts; a dead NATS never
 * blocks or fails a call. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "cli/bus_backplane.h"
#include "util/clock.h"

#include "check.h"
#include "nats_server.h"
#include "session_capture.h"
#include "world.h"

/* --- what the bus carries --- */

typedef struct events {
    pthread_mutex_t lock;
    json_t *list; /* [{"subject": ..., "event": {...}}] */
} events;

static void on_event(void *ctx, const wc_bus_msg *msg)
{
    events *e = ctx;
    json_t *v = json_loadb(msg->data, msg->len, 0, NULL);
    json_t *item = json_pack("{s:s, s:o}", "subject", msg->subject, "event",
                             v ? v : json_null());
    pthread_mutex_lock(&e->lock);
    json_array_append_new(e->list, item);
    pthread_mutex_unlock(&e->lock);
}

/* The first event of tool (borrowed) with or without "arguments", waiting
 * up to 3 s for it.  By tool, not by place: the events of two calls that
 * end close together may be queued in either order. */
static json_t *event_of(events *e, const char *tool, bool with_arguments, const char **subject)
{
    uint64_t end = wc_monotonic_ms() + 3000;
    for (;;) {
        pthread_mutex_lock(&e->lock);
        for (size_t i = 0; i < json_array_size(e->list); i++) {
            json_t *item = json_array_get(e->list, i);
            json_t *ev = json_object_get(item, "event");
            const char *t = json_string_value(json_object_get(ev, "tool"));
            if (t && strcmp(t, tool) == 0 &&
                (json_object_get(ev, "arguments") != NULL) == with_arguments) {
                *subject = json_string_value(json_object_get(item, "subject"));
                pthread_mutex_unlock(&e->lock);
                return ev;
            }
        }
        pthread_mutex_unlock(&e->lock);
        if (wc_monotonic_ms() > end)
            return NULL;
        nats_server_sleep_ms(5);
    }
}

static const char *str(json_t *event, const char *key)
{
    const char *s = json_string_value(json_object_get(event, key));
    return s ? s : "(none)";
}


static int open_world(test_world *w, wc_bus *bus, const wc_mcp_audit_options *audit)
{
    char config[1024];
    snprintf(config, sizeof config,
             "{\"plugins\":{\"echo\":{\"path\":\"%s/guests/echo.wasm\",\"prefix\":\"\"}}}",
             WC_BINARY_DIR);
    wc_mcp_options o;
    wc_mcp_options_default(&o);
    o.workers = 2;
    static wc_bus_backplane bp; /* the server borrows it until test_world_close */
    wc_bus_backplane_init(&bp, bus);
    o.backplane = &bp.port;
    if (audit)
        o.audit = *audit;
    return test_world_open(w, config, &o);
}

static json_t *call(capture *c, wc_mcp_session *s, long long id, const char *tool,
                    const char *args)
{
    char params[512];
    snprintf(params, sizeof params, "{\"name\":\"%s\",\"arguments\":%s}", tool, args);
    return result_of(c, s, id, "tools/call", params);
}

/* --- the fields --- */

static void test_fields(void)
{
    wc_bus_config cfg;
    wc_bus_config_init(&cfg);
    wc_bus *bus = NULL;
    CHECK(wc_bus_open(&cfg, &bus, NULL) == 0, "open");
    events ev = {.list = json_array()};
    pthread_mutex_init(&ev.lock, NULL);
    wc_bus_sub *sub;
    CHECK(wc_bus_subscribe(bus, "wasmcap.audit.>", NULL, on_event, &ev, &sub) == 0, "sub");
    test_world w;
    if (open_world(&w, bus, NULL) == 0) {
        capture c;
        capture_init(&c);
        wc_mcp_session *s = wc_mcp_session_new(w.mcp, capture_send, &c);
        wc_mcp_session_set_identity(s, "sess-1", "alice");
        initialize(&c, s, NULL);
        const char *args = "{\"text\":\"secret words\"}";
        json_decref(call(&c, s, 1, "echo", args));
        const char *subject = NULL;
        json_t *e = event_of(&ev, "echo", false, &subject);
        CHECK(e != NULL, "an event for the call");
        if (e) {
            CHECK(subject && strcmp(subject, "wasmcap.audit.echo.echo") == 0, "subject %s",
                  subject);
            const char *t = str(e, "time");
            CHECK(strlen(t) == 24 && t[4] == '-' && t[10] == 'T' && t[19] == '.' && t[23] == 'Z',
                  "time %s", t);
            CHECK(strcmp(str(e, "principal"), "alice") == 0, "principal %s", str(e, "principal"));
            CHECK(strcmp(str(e, "session"), "sess-1") == 0, "session %s", str(e, "session"));
            CHECK(strcmp(str(e, "plugin"), "echo") == 0, "plugin %s", str(e, "plugin"));
            CHECK(strcmp(str(e, "tool"), "echo") == 0, "tool %s", str(e, "tool"));
            CHECK(strcmp(str(e, "status"), "ok") == 0, "status %s", str(e, "status"));
            CHECK(strcmp(str(e, "tier"), "fast") == 0, "tier %s", str(e, "tier"));
            json_t *d = json_object_get(e, "duration_ms");
            CHECK(json_is_number(d) && json_number_value(d) >= 0 &&
                      json_number_value(d) < 10000,
                  "duration_ms");
            CHECK(json_integer_value(json_object_get(e, "bytes_in")) == (long long)strlen(args),
                  "bytes_in %lld", json_integer_value(json_object_get(e, "bytes_in")));
            CHECK(json_integer_value(json_object_get(e, "bytes_out")) > (long long)strlen(args),
                  "bytes_out %lld", json_integer_value(json_object_get(e, "bytes_out")));
            CHECK(!json_object_get(e, "arguments"), "no arguments by default");
            char *text = json_dumps(e, 0);
            CHECK(text && !strstr(text, "secret words"), "the arguments appear nowhere");
            free(text);
        }
        json_decref(call(&c, s, 2, "iserror", "{}"));
        e = event_of(&ev, "iserror", false, &subject);
        CHECK(e && strcmp(str(e, "status"), "tool_error") == 0, "a tool error: %s",
              e ? str(e, "status") : "no event");
        json_decref(call(&c, s, 3, "nosuchtool", "{}"));
        e = event_of(&ev, "nosuchtool", false, &subject);
        CHECK(e && strcmp(str(e, "status"), "error") == 0 &&
                  json_is_null(json_object_get(e, "plugin")),
              "an unknown tool: %s", e ? str(e, "status") : "no event");
        CHECK(subject && strcmp(subject, "wasmcap.audit._.nosuchtool") == 0, "subject %s",
              subject);
        json_t *list = result_of(&c, s, 4, "tools/list", NULL);
        json_decref(list);
        nats_server_sleep_ms(50);
        CHECK(json_array_size(ev.list) == 3, "one event per tool call, none for tools/list: %zu",
              json_array_size(ev.list));
        CHECK(test_world_metric(w.mcp, "wasmcap_audit_published_total") == 3, "published_total %lld",
              test_world_metric(w.mcp, "wasmcap_audit_published_total"));
        CHECK(test_world_metric(w.mcp, "wasmcap_audit_dropped_total") == 0, "dropped_total");
        capture_session_end(&c, s);
    }
    test_world_close(&w);

    /* with include_arguments, the arguments as sent */
    wc_mcp_audit_options with = {.enabled = true, .include_arguments = true};
    if (open_world(&w, bus, &with) == 0) {
        capture c;
        wc_mcp_session *s = capture_session(&c, w.mcp);
        json_decref(call(&c, s, 1, "echo", "{\"text\":\"shown\",\"n\":2}"));
        const char *subject;
        json_t *e = event_of(&ev, "echo", true, &subject);
        json_t *a = e ? json_object_get(e, "arguments") : NULL;
        CHECK(a && strcmp(str(a, "text"), "shown") == 0 &&
                  json_integer_value(json_object_get(a, "n")) == 2,
              "arguments included");
        CHECK(e && json_is_null(json_object_get(e, "principal")) &&
                  json_is_null(json_object_get(e, "session")),
              "no principal or session on an anonymous in-process session");
        capture_session_end(&c, s);
    }
    test_world_close(&w);

    /* disabled: nothing */
    wc_mcp_audit_options off = {.enabled = false};
    if (open_world(&w, bus, &off) == 0) {
        capture c;
        wc_mcp_session *s = capture_session(&c, w.mcp);
        json_decref(call(&c, s, 1, "echo", "{}"));
        nats_server_sleep_ms(100);
        CHECK(json_array_size(ev.list) == 4, "disabled: no event");
        CHECK(test_world_metric(w.mcp, "wasmcap_audit_published_total") == -1, "no audit metrics");
        capture_session_end(&c, s);
    }
    test_world_close(&w);
    wc_bus_unsubscribe(sub);
    wc_bus_close(bus);
    json_decref(ev.list);
    pthread_mutex_destroy(&ev.lock);
}

/* --- NATS: the stream keeps them; a dead server blocks nothing --- */

typedef struct kept {
    int n;
    char tool[8][32];
    uint64_t seq[8];
} kept;

static int on_kept(void *ctx, const wc_bus_msg *msg)
{
    kept *k = ctx;
    json_t *v = json_loadb(msg->data, msg->len, 0, NULL);
    if (k->n < 8) {
        k->seq[k->n] = msg->sequence;
        snprintf(k->tool[k->n++], 32, "%s", str(v, "tool"));
    }
    json_decref(v);
    return 0;
}

static void test_stream(nats_server *ns)
{
    wc_bus_config cfg;
    wc_bus_config_init(&cfg);
    cfg.url = ns->url;
    wc_bus *bus = NULL;
    CHECK(wc_bus_open(&cfg, &bus, NULL) == 0, "open");
    uint64_t end = wc_monotonic_ms() + 5000;
    while (bus && wc_bus_get_state(bus) != WC_BUS_CONNECTED && wc_monotonic_ms() < end)
        nats_server_sleep_ms(10);
    wc_mcp_audit_options o = {.enabled = true, .stream = "AUDIT_TEST", .stream_max_msgs = 3};
    test_world w;
    if (bus && open_world(&w, bus, &o) == 0) {
        capture c;
        wc_mcp_session *s = capture_session(&c, w.mcp);
        static const char *const tools[] = {"echo", "zero", "echo", "iserror", "shape"};
        for (int i = 0; i < 5; i++)
            json_decref(call(&c, s, 10 + i, tools[i], "{}"));
        kept k = {0};
        wc_error err = {0};
        int n = -1;
        end = wc_monotonic_ms() + 3000;
        while (wc_monotonic_ms() < end) {
            memset(&k, 0, sizeof k);
            n = wc_bus_stream_read(bus, "AUDIT_TEST", 1, 100, on_kept, &k, &err);
            if (n == 3 && k.seq[2] == 5)
                break;
            nats_server_sleep_ms(20);
        }
        CHECK(n == 3, "the stream keeps its last 3 (max_msgs): %d %s", n,
              wc_error_message(&err));
        /* the events of calls that end close together may be queued in
         * either order: the stream keeps the last three it got */
        CHECK(n == 3 && k.seq[0] == 3 && k.seq[2] == 5, "sequences %llu..%llu kept",
              (unsigned long long)k.seq[0], (unsigned long long)k.seq[n > 0 ? n - 1 : 0]);
        for (int i = 0; i < n; i++)
            CHECK(strstr(" echo zero iserror shape ", k.tool[i]) != NULL, "an event of %s",
                  k.tool[i]);
        capture_session_end(&c, s);
    }
    test_world_close(&w);
    wc_bus_close(bus);
}

/* NATS down from the start: calls answer as fast as ever; events wait in
 * the reconnect buffer (64 KiB) and beyond it are dropped and counted. */
static void test_dead_nats(void)
{
    wc_bus_config cfg;
    wc_bus_config_init(&cfg);
    char url[64];
    snprintf(url, sizeof url, "nats://127.0.0.1:%d", nats_server_free_port());
    cfg.url = url;
    cfg.reconnect_buffer = 64u << 10;
    wc_bus *bus = NULL;
    CHECK(wc_bus_open(&cfg, &bus, NULL) == 0, "open with nothing listening");
    wc_mcp_audit_options o = {.enabled = true, .queue = 16};
    test_world w;
    if (bus && open_world(&w, bus, &o) == 0) {
        capture c;
        wc_mcp_session *s = capture_session(&c, w.mcp);
        enum { CALLS = 1500 };
        uint64_t slowest = 0, t0 = wc_monotonic_ms();
        int answered = 0;
        for (int i = 0; i < CALLS; i++) {
            uint64_t start = wc_monotonic_ms();
            json_t *r = call(&c, s, 100 + i, "echo", "{\"text\":\"a text that takes room\"}");
            uint64_t took = wc_monotonic_ms() - start;
            slowest = took > slowest ? took : slowest;
            answered += r != NULL;
            json_decref(r);
        }
        uint64_t total = wc_monotonic_ms() - t0;
        CHECK(answered == CALLS, "every call answered with NATS dead: %d of %d", answered, CALLS);
        CHECK(slowest < 1000, "the slowest call took %llu ms", (unsigned long long)slowest);
        printf("%d calls with NATS dead: %llu ms, slowest %llu ms\n", CALLS,
               (unsigned long long)total, (unsigned long long)slowest);
        long long published = -1, dropped = -1;
        uint64_t end = wc_monotonic_ms() + 3000;
        while (wc_monotonic_ms() < end) {
            published = test_world_metric(w.mcp, "wasmcap_audit_published_total");
            dropped = test_world_metric(w.mcp, "wasmcap_audit_dropped_total");
            if (published + dropped == CALLS)
                break;
            nats_server_sleep_ms(10);
        }
        CHECK(dropped > 0, "the full buffer dropped events: %lld", dropped);
        CHECK(published + dropped == CALLS, "%lld published + %lld dropped != %d", published,
              dropped, CALLS);
        capture_session_end(&c, s);
    }
    test_world_close(&w);
    wc_bus_close(bus);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    test_fields();
    test_dead_nats();
    nats_server ns;
    CHECK(nats_server_start(&ns, "test_audit") == 0, "nats-server starts (is it installed?)");
    if (ns.pid > 0) {
        test_stream(&ns);
        nats_server_stop(&ns);
    }
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
