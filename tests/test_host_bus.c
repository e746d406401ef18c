/* test_host_bus.c -- the host functions bus_publish and bus_request, driven
 * by a real guest (tests/host_guests/bus_guest.wat): the permission matrix
 * (nothing granted, exact subjects, '*' and '>' filters, publish and request
 * granted apart), subjects refused as malformed, a request to a responder on
 * the in-process bus and on a real nats-server (started here), no
 * responders, a timeout, the call's deadline capping the guest's timeout, a
 * cancel from another thread ending the wait, replies over the guest's
 * max_reply and over max_output_bytes, a service's error reply, an attempt
 * stopped before it acts, and guests passing pointers outside memory. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus/bus.h"
#include "engine/engine.h"
#include "host/wasmcap.h"
#include "util/cancel_token.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/process.h"

#include "check.h"
#include "wat_guest.h"
#include "nats_server.h"

static wc_engine *engine;
static wc_module *guest_module;
static char tmp_dir[512];

enum { SUBJECT = 1024, DATA = 4096, OUT = 16384, OUT_SIZE = 32768 };

/* ---- one call --------------------------------------------------------------- */

typedef struct harness {
    wc_permissions perms;
    wc_client_port client;
    wc_cancel_token cancel;
    bool effect_free;
    uint32_t timeout_ms; /* the instance's: the call's deadline */
    wc_wasmcap_host host;
    wc_instance *inst;
} harness;

static harness *new_harness(wc_bus *bus)
{
    harness *h = calloc(1, sizeof *h);
    wc_cancel_token_init(&h->cancel);
    h->timeout_ms = 20000;
    h->host.bus = bus;
    return h;
}

static bool start(harness *h)
{
    wc_bus *bus = h->host.bus;
    wc_wasmcap_host_init(&h->host, "scout", &h->perms, NULL, &h->client, &h->cancel,
                         h->effect_free);
    h->host.bus = bus;
    const wc_import_binding *bindings;
    size_t n = wc_wasmcap_bindings(&bindings);
    wc_instance_config icfg = {.timeout_ms = h->timeout_ms, .timeout_whole_instance = true,
                               .host_data = &h->host};
    wc_error err = {0};
    if (wc_instance_new(guest_module, &icfg, bindings, n, &h->inst, NULL, &err) != 0) {
        printf("FAIL: cannot instantiate the guest: %s\n", err.msg);
        failures++;
        return false;
    }
    return true;
}

static void end(harness *h)
{
    if (h->inst) {
        wc_instance_free(h->inst);
        wc_wasmcap_host_destroy(&h->host);
    }
    wc_cancel_token_destroy(&h->cancel);
    free(h);
}

static void poke(harness *h, uint32_t offset, const void *data, size_t len)
{
    memcpy((uint8_t *)wc_memory_data(wc_instance_memory(h->inst)) + offset, data, len);
}

#define call(h, name, trap, ...) wat_guest_call((h)->inst, name, trap, __VA_ARGS__)

static int32_t publish(harness *h, const char *subject, const char *data)
{
    poke(h, SUBJECT, subject, strlen(subject));
    poke(h, DATA, data, strlen(data));
    return call(h, "bus_publish", NULL, 4, SUBJECT, (uint32_t)strlen(subject), DATA,
                (uint32_t)strlen(data));
}

static int32_t request(harness *h, const char *subject, const char *data, uint32_t timeout_ms,
                       uint32_t max_reply)
{
    poke(h, SUBJECT, subject, strlen(subject));
    poke(h, DATA, data, strlen(data));
    return call(h, "bus_request", NULL, 6, SUBJECT, (uint32_t)strlen(subject), DATA,
                (uint32_t)strlen(data), timeout_ms, max_reply);
}

/* The response slot, read through the guest. */
static const char *slot(harness *h)
{
    static char text[OUT_SIZE + 1];
    int32_t n = call(h, "read_response", NULL, 2, OUT, OUT_SIZE);
    if (n < 0 || n > OUT_SIZE)
        n = 0;
    memcpy(text, (uint8_t *)wc_memory_data(wc_instance_memory(h->inst)) + OUT, (size_t)n);
    text[n] = 0;
    return text;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- responders ------------------------------------------------------------- */

/* "echo.>": answers "<plugin header>:<data>"; "big.>": 5,000 bytes;
 * "fail.>": a services-protocol error; "slow.>": nothing. */
static void on_request(void *ctx, const wc_bus_msg *msg)
{
    wc_bus *bus = ctx;
    if (!msg->reply)
        return;
    char text[2048];
    wc_bus_msg out = {.subject = msg->reply};
    static char big[5000];
    wc_bus_header error_headers[] = {{"Nats-Service-Error", "unknown sku"},
                                     {"Nats-Service-Error-Code", "404"}};
    if (strncmp(msg->subject, "echo.", 5) == 0) {
        const char *who = wc_bus_msg_header(msg, "Wasmcap-Plugin");
        int n = snprintf(text, sizeof text, "%s:%.*s", who ? who : "-", (int)msg->len,
                         (const char *)msg->data);
        out.data = text;
        out.len = (size_t)n;
    } else if (strncmp(msg->subject, "big.", 4) == 0) {
        memset(big, 'x', sizeof big);
        out.data = big;
        out.len = sizeof big;
    } else if (strncmp(msg->subject, "fail.", 5) == 0) {
        out.headers = error_headers;
        out.header_count = 2;
    } else {
        return;
    }
    wc_bus_publish(bus, &out);
}

typedef struct seen {
    pthread_mutex_t lock;
    char text[256];
    int count;
} seen;

static void on_event(void *ctx, const wc_bus_msg *msg)
{
    seen *s = ctx;
    pthread_mutex_lock(&s->lock);
    const char *who = wc_bus_msg_header(msg, "Wasmcap-Plugin");
    snprintf(s->text, sizeof s->text, "%s %s %.*s", msg->subject, who ? who : "-", (int)msg->len,
             (const char *)msg->data);
    s->count++;
    pthread_mutex_unlock(&s->lock);
}

static bool wait_seen(seen *s, int count)
{
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&s->lock);
        bool done = s->count >= count;
        pthread_mutex_unlock(&s->lock);
        if (done)
            return true;
        nats_server_sleep_ms(10);
    }
    return false;
}

/* ---- permissions ------------------------------------------------------------ */

static char *publish_grants[] = {"events.>", "audit.*.done"};
static char *request_grants[] = {"echo.*", "exact.subject", "slow.>", "big.>", "fail.>"};

static void grant(harness *h)
{
    h->perms.bus_publish = publish_grants;
    h->perms.n_bus_publish = 2;
    h->perms.bus_request = request_grants;
    h->perms.n_bus_request = 5;
}

static void test_matrix(wc_bus *bus)
{
    /* Nothing granted: both refused, naming the subject and the key. */
    harness *h = new_harness(bus);
    if (!start(h))
        return end(h);
    CHECK(publish(h, "events.a", "x") == WC_HOST_EDENIED, "publish denied by default");
    CHECK(strcmp(slot(h), "bus_publish to subject 'events.a' is not granted to plugin 'scout': add "
                          "it (or a pattern with NATS wildcards * and >) to "
                          "plugins.scout.permissions.bus.publish in wasmcap.json") == 0,
          "%s", slot(h));
    CHECK(request(h, "echo.a", "x", 1000, 0) == WC_HOST_EDENIED, "request denied by default");
    CHECK(strstr(slot(h), "'echo.a'") && strstr(slot(h), "permissions.bus.request"), "%s", slot(h));
    end(h);

    static const struct {
        const char *subject;
        bool publish_ok, request_ok;
    } matrix[] = {
        {"events.a", true, false},     {"events.a.b.c", true, false},
        {"events", false, false},      {"audit.x.done", true, false},
        {"audit.x.y.done", false, false}, {"audit.done", false, false},
        {"echo.a", false, true},       {"echo.a.b", false, false},
        {"exact.subject", false, true}, {"exact.subjects", false, false},
        {"exact", false, false},       {"other", false, false},
    };
    h = new_harness(NULL); /* no bus: a granted subject is "bus unavailable" */
    grant(h);
    if (!start(h))
        return end(h);
    for (size_t i = 0; i < sizeof matrix / sizeof matrix[0]; i++) {
        int32_t p = publish(h, matrix[i].subject, "{}");
        CHECK(p == (matrix[i].publish_ok ? WC_HOST_EUNAVAILABLE : WC_HOST_EDENIED),
              "publish %s: %d %s", matrix[i].subject, p, slot(h));
        int32_t r = request(h, matrix[i].subject, "{}", 100, 0);
        CHECK(r == (matrix[i].request_ok ? WC_HOST_EUNAVAILABLE : WC_HOST_EDENIED),
              "request %s: %d %s", matrix[i].subject, r, slot(h));
    }
    CHECK(request(h, "echo.a", "", 100, 0) == WC_HOST_EUNAVAILABLE &&
              strstr(slot(h), "bus unavailable: the server has no bus"), "%s", slot(h));

    /* Subjects a guest may not send to, granted or not. */
    static const char *const bad[] = {"events.*", "events.>", "events..a", "events.a b", ".events",
                                      "events.", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(publish(h, bad[i], "x") == WC_HOST_EINVAL, "publish '%s': %s", bad[i], slot(h));
        CHECK(request(h, bad[i], "x", 100, 0) == WC_HOST_EINVAL, "request '%s': %s", bad[i], slot(h));
    }
    poke(h, SUBJECT, "events.a\0b", 10);
    CHECK(call(h, "bus_publish", NULL, 4, SUBJECT, 10, DATA, 0) == WC_HOST_EINVAL, "a NUL: %s", slot(h));
    char long_subject[600];
    memset(long_subject, 'a', sizeof long_subject - 1);
    memcpy(long_subject, "events.", 7);
    long_subject[sizeof long_subject - 1] = 0;
    CHECK(publish(h, long_subject, "x") == WC_HOST_EINVAL && strstr(slot(h), "1 to 512 bytes"),
          "long: %s", slot(h));
    end(h);
}

/* ---- requests on a bus -------------------------------------------------------- */

typedef struct canceller {
    wc_cancel_token *cancel;
    long delay_ms;
} canceller;

static void *cancel_later(void *arg)
{
    canceller *c = arg;
    nats_server_sleep_ms(c->delay_ms);
    wc_cancel_token_cancel(c->cancel, WC_CANCEL_REQUESTED);
    return NULL;
}

static void test_requests(wc_bus *bus, const char *kind)
{
    static const char *const served[] = {"echo.>", "big.>", "fail.>", "slow.>"};
    wc_bus_sub *responders[4] = {0}, *events = NULL;
    seen got = {.lock = PTHREAD_MUTEX_INITIALIZER};
    for (int i = 0; i < 4; i++)
        CHECK(wc_bus_subscribe(bus, served[i], "responders", on_request, bus, &responders[i]) == 0,
              "%s: responder %s", kind, served[i]);
    CHECK(wc_bus_subscribe(bus, "events.>", NULL, on_event, &got, &events) == 0, "%s: events", kind);
    if (strcmp(wc_bus_kind(bus), "nats") == 0)
        nats_server_sleep_ms(100); /* the subscriptions reach the server */

    harness *h = new_harness(bus);
    grant(h);
    if (!start(h))
        return end(h);
    /* a publish reaches a subscriber, with the plugin's name */
    CHECK(publish(h, "events.order", "{\"n\":1}") == 0, "%s: publish: %s", kind, slot(h));
    CHECK(wait_seen(&got, 1), "%s: the event arrived", kind);
    pthread_mutex_lock(&got.lock);
    CHECK(strcmp(got.text, "events.order scout {\"n\":1}") == 0, "%s: %s", kind, got.text);
    pthread_mutex_unlock(&got.lock);

    /* the reply in the slot */
    int32_t n = request(h, "echo.rate", "{\"sku\":\"A-1\"}", 2000, 0);
    CHECK(n == (int32_t)strlen("scout:{\"sku\":\"A-1\"}") && strcmp(slot(h), "scout:{\"sku\":\"A-1\"}") == 0,
          "%s: echo: %d %s", kind, n, slot(h));
    /* an empty request and the call's time as the timeout */
    CHECK(request(h, "echo.empty", "", 0, 0) == 6 && strcmp(slot(h), "scout:") == 0, "%s: empty: %s", kind,
          slot(h));
    /* nobody listens: at once, not after the timeout */
    double t0 = now_s();
    CHECK(request(h, "exact.subject", "x", 5000, 0) == WC_HOST_ENORESPONDERS, "%s: no responders: %s", kind,
          slot(h));
    CHECK(now_s() - t0 < 2, "%s: no responders took %.3f s", kind, now_s() - t0);
    CHECK(strcmp(slot(h), "bus_request: no responders on 'exact.subject'") == 0, "%s: %s", kind, slot(h));
    /* somebody listens and does not answer */
    t0 = now_s();
    CHECK(request(h, "slow.a", "x", 150, 0) == WC_HOST_ETIMEDOUT, "%s: timeout: %s", kind, slot(h));
    double took = now_s() - t0;
    CHECK(took >= 0.14 && took < 2, "%s: the timeout took %.3f s", kind, took);
    CHECK(strcmp(slot(h), "bus_request: 'slow.a' did not answer within 150 ms (the timeout asked for)") == 0,
          "%s: %s", kind, slot(h));
    /* the reply over the guest's max_reply, then over max_output_bytes */
    CHECK(request(h, "big.a", "", 1000, 100) == WC_HOST_ETOOLARGE &&
              strcmp(slot(h), "bus_request: the reply from 'big.a' is 5000 bytes, over the 100 the "
                              "plugin accepts (max_reply)") == 0, "%s: %s", kind, slot(h));
    CHECK(request(h, "big.a", "", 1000, 0) == 5000, "%s: big within the defaults: %s", kind, slot(h));
    /* a service's error reply */
    CHECK(request(h, "fail.a", "", 1000, 0) == WC_HOST_EFAILED &&
              strcmp(slot(h), "bus_request: the service on 'fail.a' answered an error 404: unknown sku") == 0,
          "%s: %s", kind, slot(h));
    end(h);

    h = new_harness(bus);
    grant(h);
    h->perms.max_output_bytes = 1000;
    if (start(h)) {
        CHECK(request(h, "big.a", "", 1000, 4000) == WC_HOST_ETOOLARGE &&
                  strstr(slot(h), "over the 1000 of plugins.scout.permissions.max_output_bytes"), "%s: %s", kind,
              slot(h));
    }
    end(h);

    /* the call's deadline caps what the guest asks for */
    h = new_harness(bus);
    grant(h);
    h->timeout_ms = 300;
    if (start(h)) {
        t0 = now_s();
        wc_trap trap;
        poke(h, SUBJECT, "slow.b", 6);
        int32_t rc = call(h, "bus_request", &trap, 6, SUBJECT, 6, DATA, 0, 10000, 0);
        took = now_s() - t0;
        CHECK(took < 1.5, "%s: a 10 s timeout in a 300 ms call took %.3f s", kind, took);
        CHECK(trap == WC_TRAP_DEADLINE || (trap == WC_TRAP_NONE && rc == WC_HOST_ETIMEDOUT), "%s: %s %d", kind,
              wc_trap_name(trap), rc);
    }
    end(h);

    /* a cancel ends the wait */
    h = new_harness(bus);
    grant(h);
    if (start(h)) {
        canceller c = {.cancel = &h->cancel, .delay_ms = 100};
        pthread_t th;
        pthread_create(&th, NULL, cancel_later, &c);
        t0 = now_s();
        int32_t rc = request(h, "slow.c", "x", 10000, 0);
        took = now_s() - t0;
        pthread_join(th, NULL);
        CHECK(rc == WC_HOST_ECANCELLED, "%s: cancelled: %d %s", kind, rc, slot(h));
        CHECK(took >= 0.09 && took < 1, "%s: the cancel took %.3f s", kind, took);
    }
    end(h);

    /* an attempt stops before it acts: nothing published */
    h = new_harness(bus);
    grant(h);
    h->effect_free = true;
    if (start(h)) {
        wc_trap trap;
        poke(h, SUBJECT, "events.attempt", 14);
        call(h, "bus_publish", &trap, 4, SUBJECT, 14, DATA, 0);
        CHECK(trap == WC_TRAP_INTERRUPTED && wc_cancel_token_stopped_for(&h->cancel, WC_CANCEL_RETRY),
              "%s: attempt: %s", kind, wc_trap_name(trap));
        nats_server_sleep_ms(50);
        pthread_mutex_lock(&got.lock);
        CHECK(got.count == 1, "%s: the attempt published %d", kind, got.count - 1);
        pthread_mutex_unlock(&got.lock);
    }
    end(h);
    wc_bus_unsubscribe(events);
    for (int i = 0; i < 4; i++)
        wc_bus_unsubscribe(responders[i]);
}

static void test_bad_pointers(wc_bus *bus)
{
    harness *h = new_harness(bus);
    grant(h);
    if (!start(h))
        return end(h);
    uint32_t mem_size = (uint32_t)wc_memory_size(wc_instance_memory(h->inst));
    wc_trap trap;
    call(h, "bus_request", &trap, 6, 0xFFFFFF00u, 1000, DATA, 1, 100, 0);
    CHECK(trap == WC_TRAP_HOST &&
              strcmp(wc_instance_trap_message(h->inst),
                     "wasmcap.bus_request: subject (offset 4294967040, 1000 bytes) is outside the guest's "
                     "memory") == 0, "%s", wc_instance_trap_message(h->inst));
    poke(h, SUBJECT, "echo.a", 6);
    call(h, "bus_request", &trap, 6, SUBJECT, 6, mem_size - 10, 11, 100, 0);
    CHECK(trap == WC_TRAP_HOST && strstr(wc_instance_trap_message(h->inst), "wasmcap.bus_request: data"), "%s",
          wc_instance_trap_message(h->inst));
    call(h, "bus_publish", &trap, 4, SUBJECT, 0x80000000u, DATA, 1);
    CHECK(trap == WC_TRAP_HOST && strstr(wc_instance_trap_message(h->inst), "wasmcap.bus_publish: subject"),
          "%s", wc_instance_trap_message(h->inst));
    call(h, "bus_publish", &trap, 4, SUBJECT, 6, 0xFFFFFFFFu, 2);
    CHECK(trap == WC_TRAP_HOST && strstr(wc_instance_trap_message(h->inst), "wasmcap.bus_publish: data"),
          "%s", wc_instance_trap_message(h->inst));
    end(h);
}


int main(void)
{
    wc_log_set_level(WC_LOG_EMERGENCY);
    if (wc_make_temp_dir(tmp_dir, sizeof tmp_dir, "wasmcap-test-host-bus") != 0) {
        printf("FAIL: no temp dir\n");
        return 1;
    }
    wc_engine_config ecfg;
    wc_engine_config_default(&ecfg);
    ecfg.tier = WC_TIER_FAST;
    ecfg.cache_dir = "";
    wc_error err = {0};
    if (wc_engine_new(&ecfg, &engine, &err) != 0 || !wat_guest_compile(engine, "bus_guest", tmp_dir, &guest_module)) {
        printf("FAIL: setup: %s\n", err.msg);
        return 1;
    }
    test_matrix(NULL);

    wc_bus_config cfg;
    wc_bus_config_init(&cfg);
    wc_bus *bus = NULL;
    CHECK(wc_bus_open(&cfg, &bus, &err) == 0, "in-process bus: %s", err.msg);
    if (bus) {
        test_requests(bus, "inproc");
        test_bad_pointers(bus);
        wc_bus_close(bus);
    }

    nats_server ns;
    if (nats_server_start(&ns, "host-bus") == 0) {
        cfg.url = ns.url;
        bus = NULL;
        CHECK(wc_bus_open(&cfg, &bus, &err) == 0, "NATS bus: %s", err.msg);
        for (int i = 0; bus && i < 200 && wc_bus_get_state(bus) != WC_BUS_CONNECTED; i++)
            nats_server_sleep_ms(10);
        if (bus) {
            test_requests(bus, "nats");
            wc_bus_close(bus);
        }
        nats_server_stop(&ns);
    } else {
        CHECK(0, "nats-server did not start");
    }

    wc_module_release(guest_module);
    wc_engine_free(engine);
    wc_remove_dir(tmp_dir);
    if (failures) {
        printf("test_host_bus: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test_host_bus: all %d checks passed\n", checks);
    return 0;
}
