/* test_bus.c -- the bus's contract, run against both implementations: the
 * in-process bus and NATS (a real nats-server with JetStream, started by
 * the test).  Publish/subscribe, wildcards, queue groups, request/reply,
 * no responders vs timeout, headers, bounded queues, unsubscribe from a
 * handler, drain, streams, KV, bad input; for NATS also a server that is
 * down at start and one killed and restarted mid-run. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "util/clock.h"

#include "check.h"
#include "nats_server.h"

/* --- helpers --- */

/* Holds handlers back until the test opens it. */
typedef struct gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool open;
} gate;

static void gate_init(gate *g)
{
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->cond, NULL);
    g->open = false;
}

static void gate_open(gate *g)
{
    pthread_mutex_lock(&g->lock);
    g->open = true;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

static void gate_pass(gate *g)
{
    pthread_mutex_lock(&g->lock);
    while (!g->open)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

static void gate_destroy(gate *g)
{
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->cond);
}

/* Counts what a subscription receives and keeps the last message. */
typedef struct inbox {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int count;
    char last_subject[128];
    char last_data[256];
    char last_header[128];
    size_t last_headers;
    gate *gate;            /* when set, the handler waits for it to open */
    wc_bus *reply_bus;     /* when set, answers requests with "re:<data>" */
    bool unsubscribe_self;
    wc_bus_sub *self;
} inbox;

static void inbox_init(inbox *in)
{
    memset(in, 0, sizeof *in);
    pthread_mutex_init(&in->lock, NULL);
    pthread_cond_init(&in->cond, NULL);
}

static void inbox_destroy(inbox *in)
{
    pthread_mutex_destroy(&in->lock);
    pthread_cond_destroy(&in->cond);
}

static void on_message(void *ctx, const wc_bus_msg *msg)
{
    inbox *in = ctx;
    if (in->gate)
        gate_pass(in->gate);
    if (in->reply_bus && msg->reply) {
        char text[300];
        int n = snprintf(text, sizeof text, "re:%.*s", (int)msg->len, (const char *)msg->data);
        wc_bus_header h[] = {{"Echo", "yes"}};
        wc_bus_msg out = {.subject = msg->reply, .headers = h, .header_count = 1,
                          .data = text, .len = (size_t)n};
        wc_bus_publish(in->reply_bus, &out);
    }
    pthread_mutex_lock(&in->lock);
    in->count++;
    snprintf(in->last_subject, sizeof in->last_subject, "%s", msg->subject);
    snprintf(in->last_data, sizeof in->last_data, "%.*s", (int)msg->len,
             msg->data ? (const char *)msg->data : "");
    const char *h = wc_bus_msg_header(msg, "X-Test");
    snprintf(in->last_header, sizeof in->last_header, "%s", h ? h : "");
    in->last_headers = msg->header_count;
    pthread_cond_broadcast(&in->cond);
    pthread_mutex_unlock(&in->lock);
    if (in->unsubscribe_self && in->self) {
        wc_bus_unsubscribe(in->self);
        in->self = NULL;
    }
}

/* Waits up to ms for in->count to reach n; returns the count. */
static int inbox_wait(inbox *in, int n, int ms)
{
    uint64_t end = wc_monotonic_ms() + (uint64_t)ms;
    pthread_mutex_lock(&in->lock);
    while (in->count < n && wc_monotonic_ms() < end) {
        pthread_mutex_unlock(&in->lock);
        nats_server_sleep_ms(2);
        pthread_mutex_lock(&in->lock);
    }
    int count = in->count;
    pthread_mutex_unlock(&in->lock);
    return count;
}

static int inbox_count(inbox *in)
{
    pthread_mutex_lock(&in->lock);
    int n = in->count;
    pthread_mutex_unlock(&in->lock);
    return n;
}

/* A NATS subscription is in place at the server once a round trip has
 * gone through after it; the in-process one at once. */
static void settle(wc_bus *bus)
{
    if (strcmp(wc_bus_kind(bus), "nats") == 0) {
        wc_bus_msg *reply = NULL;
        /* a request to nobody is a round trip that ends in no responders */
        wc_bus_msg req = {.subject = "settle.nobody"};
        wc_bus_request(bus, &req, 2000, &reply, NULL);
        wc_bus_msg_free(reply);
    }
}

static bool wait_state(wc_bus *bus, wc_bus_state state, int ms)
{
    uint64_t end = wc_monotonic_ms() + (uint64_t)ms;
    while (wc_bus_get_state(bus) != state && wc_monotonic_ms() < end)
        nats_server_sleep_ms(10);
    return wc_bus_get_state(bus) == state;
}

/* --- subjects (no bus needed) --- */

static void test_subjects(void)
{
    CHECK(wc_bus_subject_matches("a.b", "a.b"), "exact");
    CHECK(!wc_bus_subject_matches("a.b", "a.c"), "other token");
    CHECK(!wc_bus_subject_matches("a.b", "a.b.c"), "longer subject");
    CHECK(!wc_bus_subject_matches("a.b.c", "a.b"), "shorter subject");
    CHECK(wc_bus_subject_matches("a.*", "a.b"), "star");
    CHECK(!wc_bus_subject_matches("a.*", "a.b.c"), "star is one token");
    CHECK(wc_bus_subject_matches("a.*.c", "a.x.c"), "star inside");
    CHECK(wc_bus_subject_matches("a.>", "a.b.c"), "rest");
    CHECK(!wc_bus_subject_matches("a.>", "a"), "rest needs a token");
    CHECK(wc_bus_subject_matches(">", "a"), "rest alone");
    CHECK(!wc_bus_subject_matches("ab", "a"), "prefix is not a match");
    CHECK(wc_bus_check_subject("a.b", false, NULL) == 0, "valid");
    CHECK(wc_bus_check_subject("a.*", false, NULL) == WC_EINVAL, "wildcard publish");
    CHECK(wc_bus_check_subject("a.*", true, NULL) == 0, "wildcard filter");
    CHECK(wc_bus_check_subject("a.>.b", true, NULL) == WC_EINVAL, "rest not last");
    CHECK(wc_bus_check_subject("a..b", true, NULL) == WC_EINVAL, "empty token");
    CHECK(wc_bus_check_subject(".a", true, NULL) == WC_EINVAL, "leading dot");
    CHECK(wc_bus_check_subject("a.", true, NULL) == WC_EINVAL, "trailing dot");
    CHECK(wc_bus_check_subject("a b", true, NULL) == WC_EINVAL, "space");
    CHECK(wc_bus_check_subject("", true, NULL) == WC_EINVAL, "empty");
    char big[WC_BUS_MAX_SUBJECT + 2];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK(wc_bus_check_subject(big, true, NULL) == WC_ETOOBIG, "too long");
    CHECK(wc_bus_check_subject("a*b.c>", false, NULL) == 0, "wildcard characters inside tokens");
}

/* --- the contract --- */

typedef struct target {
    const char *name;
    wc_bus_config cfg;
} target;

static wc_bus *open_bus(const target *t, const wc_bus_config *cfg)
{
    wc_bus *bus = NULL;
    wc_error err = {0};
    int rc = wc_bus_open(cfg ? cfg : &t->cfg, &bus, &err);
    CHECK(rc == 0, "%s: open: %s", t->name, wc_error_message(&err));
    if (bus && strcmp(wc_bus_kind(bus), "nats") == 0)
        CHECK(wait_state(bus, WC_BUS_CONNECTED, 5000), "%s: connected", t->name);
    return bus;
}

static void test_publish_subscribe(const target *t)
{
    wc_bus *bus = open_bus(t, NULL);
    if (!bus)
        return;
    inbox exact, star, rest, other;
    inbox_init(&exact);
    inbox_init(&star);
    inbox_init(&rest);
    inbox_init(&other);
    wc_bus_sub *s1, *s2, *s3, *s4;
    CHECK(wc_bus_subscribe(bus, "ps.a.b", NULL, on_message, &exact, &s1) == 0, "sub exact");
    CHECK(wc_bus_subscribe(bus, "ps.*.b", NULL, on_message, &star, &s2) == 0, "sub star");
    CHECK(wc_bus_subscribe(bus, "ps.>", NULL, on_message, &rest, &s3) == 0, "sub rest");
    CHECK(wc_bus_subscribe(bus, "other", NULL, on_message, &other, &s4) == 0, "sub other");
    settle(bus);
    CHECK(wc_bus_publish_data(bus, "ps.a.b", "one", 3) == 0, "publish");
    CHECK(wc_bus_publish_data(bus, "ps.x.b", "two", 3) == 0, "publish");
    CHECK(wc_bus_publish_data(bus, "ps.x.y.z", "three", 5) == 0, "publish");
    CHECK(wc_bus_publish_data(bus, "ps.a.b", NULL, 0) == 0, "publish empty");
    CHECK(inbox_wait(&rest, 4, 3000) == 4, "%s: rest got %d of 4", t->name, inbox_count(&rest));
    CHECK(inbox_wait(&star, 3, 3000) == 3, "%s: star got %d of 3", t->name, inbox_count(&star));
    CHECK(inbox_wait(&exact, 2, 3000) == 2, "%s: exact got %d of 2", t->name,
          inbox_count(&exact));
    CHECK(strcmp(rest.last_subject, "ps.a.b") == 0 && rest.last_data[0] == '\0',
          "%s: last message %s '%s'", t->name, rest.last_subject, rest.last_data);
    nats_server_sleep_ms(50);
    CHECK(inbox_count(&other) == 0, "%s: unrelated subscription got %d", t->name,
          inbox_count(&other));
    wc_bus_unsubscribe(s1);
    settle(bus);
    CHECK(wc_bus_publish_data(bus, "ps.a.b", "after", 5) == 0, "publish after unsubscribe");
    CHECK(inbox_wait(&rest, 5, 3000) == 5, "%s: rest after", t->name);
    CHECK(inbox_wait(&star, 4, 3000) == 4, "%s: star after", t->name);
    CHECK(inbox_count(&exact) == 2, "%s: unsubscribed still got messages (%d)", t->name,
          inbox_count(&exact));
    wc_bus_stats st;
    wc_bus_get_stats(bus, &st);
    CHECK(st.published >= 5 && st.delivered >= 11, "%s: stats published %llu delivered %llu",
          t->name, (unsigned long long)st.published, (unsigned long long)st.delivered);
    wc_bus_unsubscribe(s2);
    wc_bus_unsubscribe(s3);
    wc_bus_unsubscribe(s4);
    wc_bus_close(bus);
    inbox_destroy(&exact);
    inbox_destroy(&star);
    inbox_destroy(&rest);
    inbox_destroy(&other);
}

static void test_queue_groups(const target *t)
{
    wc_bus *bus = open_bus(t, NULL);
    if (!bus)
        return;
    enum { MEMBERS = 3, MSGS = 300 };
    inbox members[MEMBERS], plain, other_group;
    wc_bus_sub *subs[MEMBERS], *plain_sub, *other_sub;
    for (int i = 0; i < MEMBERS; i++) {
        inbox_init(&members[i]);
        CHECK(wc_bus_subscribe(bus, "qg.work", "workers", on_message, &members[i], &subs[i]) == 0,
              "member %d", i);
    }
    inbox_init(&plain);
    inbox_init(&other_group);
    CHECK(wc_bus_subscribe(bus, "qg.*", NULL, on_message, &plain, &plain_sub) == 0, "plain");
    CHECK(wc_bus_subscribe(bus, "qg.>", "auditors", on_message, &other_group, &other_sub) == 0,
          "other group");
    settle(bus);
    for (int i = 0; i < MSGS; i++)
        CHECK(wc_bus_publish_data(bus, "qg.work", "job", 3) == 0, "publish %d", i);
    CHECK(inbox_wait(&plain, MSGS, 5000) == MSGS, "%s: plain got %d", t->name,
          inbox_count(&plain));
    CHECK(inbox_wait(&other_group, MSGS, 5000) == MSGS, "%s: the one member of another group "
          "got %d", t->name, inbox_count(&other_group));
    int total = 0;
    uint64_t end = wc_monotonic_ms() + 5000;
    while (wc_monotonic_ms() < end) {
        total = 0;
        for (int i = 0; i < MEMBERS; i++)
            total += inbox_count(&members[i]);
        if (total >= MSGS)
            break;
        nats_server_sleep_ms(5);
    }
    nats_server_sleep_ms(50);
    total = 0;
    for (int i = 0; i < MEMBERS; i++) {
        total += inbox_count(&members[i]);
        CHECK(inbox_count(&members[i]) > 0, "%s: member %d got nothing", t->name, i);
    }
    CHECK(total == MSGS, "%s: the group got %d messages for %d published", t->name, total, MSGS);
    for (int i = 0; i < MEMBERS; i++) {
        wc_bus_unsubscribe(subs[i]);
        inbox_destroy(&members[i]);
    }
    wc_bus_unsubscribe(plain_sub);
    wc_bus_unsubscribe(other_sub);
    wc_bus_close(bus);
    inbox_destroy(&plain);
    inbox_destroy(&other_group);
}

static void test_request_reply(const target *t)
{
    wc_bus *bus = open_bus(t, NULL);
    if (!bus)
        return;
    inbox echo, silent;
    inbox_init(&echo);
    inbox_init(&silent);
    echo.reply_bus = bus;
    wc_bus_sub *echo_sub, *silent_sub;
    CHECK(wc_bus_subscribe(bus, "svc.echo", "echoes", on_message, &echo, &echo_sub) == 0, "echo");
    CHECK(wc_bus_subscribe(bus, "svc.silent", NULL, on_message, &silent, &silent_sub) == 0,
          "silent");
    settle(bus);

    wc_bus_header h[] = {{"X-Test", "first"}, {"X-Test", "second"}, {"Other", "v: with colon"}};
    wc_bus_msg req = {.subject = "svc.echo", .headers = h, .header_count = 3,
                      .data = "ping", .len = 4};
    wc_bus_msg *reply = NULL;
    wc_error err = {0};
    int rc = wc_bus_request(bus, &req, 3000, &reply, &err);
    CHECK(rc == 0, "%s: request: %s", t->name, wc_error_message(&err));
    if (reply) {
        CHECK(reply->len == 7 && memcmp(reply->data, "re:ping", 7) == 0, "%s: reply '%.*s'",
              t->name, (int)reply->len, (const char *)reply->data);
        const char *e = wc_bus_msg_header(reply, "Echo");
        CHECK(e && strcmp(e, "yes") == 0, "%s: reply header %s", t->name, e ? e : "(none)");
        CHECK(((const char *)reply->data)[reply->len] == '\0', "reply data NUL-terminated");
        wc_bus_msg_free(reply);
    }
    CHECK(inbox_wait(&echo, 1, 1000) == 1, "echo saw it");
    CHECK(strcmp(echo.last_header, "first") == 0, "%s: first X-Test '%s'", t->name,
          echo.last_header);
    CHECK(echo.last_headers == 3, "%s: the responder saw %zu headers", t->name,
          echo.last_headers);

    /* no responders comes back at once; a silent responder times out */
    wc_bus_msg none = {.subject = "svc.nobody", .data = "x", .len = 1};
    uint64_t t0 = wc_monotonic_ms();
    rc = wc_bus_request(bus, &none, 3000, &reply, &err);
    uint64_t took = wc_monotonic_ms() - t0;
    CHECK(rc == WC_ENORESPONDERS, "%s: nobody: %d %s", t->name, rc, wc_error_message(&err));
    CHECK(took < 1500, "%s: no responders took %llu ms", t->name, (unsigned long long)took);
    CHECK(!reply, "no reply");

    wc_bus_msg quiet = {.subject = "svc.silent", .data = "x", .len = 1};
    t0 = wc_monotonic_ms();
    rc = wc_bus_request(bus, &quiet, 200, &reply, &err);
    took = wc_monotonic_ms() - t0;
    CHECK(rc == WC_ETIMEDOUT, "%s: silent: %d %s", t->name, rc, wc_error_message(&err));
    CHECK(took >= 190 && took < 1500, "%s: timeout after %llu ms", t->name,
          (unsigned long long)took);
    CHECK(inbox_wait(&silent, 1, 1000) == 1, "the silent one got the request");

    /* a service error rides on headers, as the services protocol has it */
    wc_bus_header errh[] = {{"Nats-Service-Error", "out of stock"},
                            {"Nats-Service-Error-Code", "404"}};
    wc_bus_msg se = {.subject = "svc.echo", .headers = errh, .header_count = 2};
    wc_bus_sub *spy;
    inbox spy_in;
    inbox_init(&spy_in);
    CHECK(wc_bus_subscribe(bus, "svc.echo", NULL, on_message, &spy_in, &spy) == 0, "spy");
    settle(bus);
    CHECK(wc_bus_publish(bus, &se) == 0, "publish service error headers");
    CHECK(inbox_wait(&spy_in, 1, 3000) == 1, "spy got it");
    CHECK(spy_in.last_headers == 2, "%s: %zu service error headers", t->name,
          spy_in.last_headers);
    wc_bus_unsubscribe(spy);
    inbox_destroy(&spy_in);

    wc_bus_unsubscribe(echo_sub);
    wc_bus_unsubscribe(silent_sub);
    wc_bus_close(bus);
    inbox_destroy(&echo);
    inbox_destroy(&silent);
}

static void test_bad_input(const target *t)
{
    wc_bus *bus = open_bus(t, NULL);
    if (!bus)
        return;
    wc_bus_sub *sub = NULL;
    inbox in;
    inbox_init(&in);
    CHECK(wc_bus_publish_data(bus, "a.*", "x", 1) == WC_EINVAL, "wildcard publish");
    CHECK(wc_bus_publish_data(bus, "a..b", "x", 1) == WC_EINVAL, "empty token");
    CHECK(wc_bus_publish_data(bus, "a b", "x", 1) == WC_EINVAL, "space");
    CHECK(wc_bus_publish_data(bus, "a", NULL, 5) == WC_EINVAL, "length without data");
    char *big = calloc(1, t->cfg.max_payload + 1);
    CHECK(wc_bus_publish_data(bus, "a", big, t->cfg.max_payload + 1) == WC_ETOOBIG, "too big");
    free(big);
    wc_bus_header crlf[] = {{"X", "a\r\nInjected: yes"}};
    wc_bus_msg m = {.subject = "a", .headers = crlf, .header_count = 1};
    CHECK(wc_bus_publish(bus, &m) == WC_EINVAL, "CRLF in a header value");
    wc_bus_header colon[] = {{"X:Y", "v"}};
    m.headers = colon;
    CHECK(wc_bus_publish(bus, &m) == WC_EINVAL, "colon in a header name");
    wc_bus_header many[WC_BUS_MAX_HEADERS + 1];
    for (int i = 0; i <= WC_BUS_MAX_HEADERS; i++)
        many[i] = (wc_bus_header){"H", "v"};
    m.headers = many;
    m.header_count = WC_BUS_MAX_HEADERS + 1;
    CHECK(wc_bus_publish(bus, &m) == WC_ETOOBIG, "too many headers");
    CHECK(wc_bus_subscribe(bus, "a.>.b", NULL, on_message, &in, &sub) == WC_EINVAL && !sub,
          "rest not last");
    CHECK(wc_bus_subscribe(bus, "a", "g.h", on_message, &in, &sub) == WC_EINVAL, "dotted group");
    CHECK(wc_bus_subscribe(bus, "a", "g h", on_message, &in, &sub) == WC_EINVAL, "group space");
    CHECK(wc_bus_subscribe(bus, "a", NULL, NULL, &in, &sub) == WC_EINVAL, "no handler");
    wc_error err = {0};
    wc_bus_msg *reply = NULL;
    wc_bus_msg req = {.subject = "a.>"};
    CHECK(wc_bus_request(bus, &req, 100, &reply, &err) == WC_EINVAL, "wildcard request");
    CHECK(strstr(err.msg, "wildcard") != NULL, "says why: %s", err.msg);
    wc_bus_close(bus);
    inbox_destroy(&in);
}

/* A full queue drops and counts; the publisher is not held up. */
static void test_bounded_queue(const target *t)
{
    wc_bus_config cfg = t->cfg;
    cfg.sub_max_msgs = 4;
    wc_bus *bus = open_bus(t, &cfg);
    if (!bus)
        return;
    gate g;
    gate_init(&g);
    inbox in;
    inbox_init(&in);
    in.gate = &g;
    wc_bus_sub *sub;
    CHECK(wc_bus_subscribe(bus, "flood", NULL, on_message, &in, &sub) == 0, "sub");
    settle(bus);
    enum { FLOOD = 200 };
    uint64_t t0 = wc_monotonic_ms();
    for (int i = 0; i < FLOOD; i++)
        CHECK(wc_bus_publish_data(bus, "flood", "x", 1) == 0, "publish %d", i);
    CHECK(wc_monotonic_ms() - t0 < 2000, "%s: publishing into a full queue was held up",
          t->name);
    uint64_t end = wc_monotonic_ms() + 5000;
    while (wc_bus_sub_dropped(sub) < FLOOD - 5 && wc_monotonic_ms() < end)
        nats_server_sleep_ms(5);
    gate_open(&g);
    uint64_t dropped = wc_bus_sub_dropped(sub);
    nats_server_sleep_ms(100);
    int got = inbox_count(&in);
    CHECK(dropped >= FLOOD - 5, "%s: dropped %llu", t->name, (unsigned long long)dropped);
    CHECK(got >= 1 && got <= 5, "%s: delivered %d with a queue of 4", t->name, got);
    CHECK((uint64_t)got + dropped == FLOOD, "%s: %d delivered + %llu dropped != %d", t->name,
          got, (unsigned long long)dropped, FLOOD);
    wc_bus_stats st;
    wc_bus_get_stats(bus, &st);
    CHECK(st.dropped == dropped, "%s: bus counted %llu dropped", t->name,
          (unsigned long long)st.dropped);
    wc_bus_unsubscribe(sub);
    wc_bus_close(bus);
    inbox_destroy(&in);
    gate_destroy(&g);
}

/* Opens the gate a little later, from another thread. */
static void *release_later(void *arg)
{
    nats_server_sleep_ms(100);
    gate_open(arg);
    return NULL;
}

/* Unsubscribing from inside the handler, and from outside while the
 * handler runs (which returns only after the handler). */
static void test_unsubscribe(const target *t)
{
    wc_bus *bus = open_bus(t, NULL);
    if (!bus)
        return;
    inbox in;
    inbox_init(&in);
    in.unsubscribe_self = true;
    CHECK(wc_bus_subscribe(bus, "self.end", NULL, on_message, &in, &in.self) == 0, "sub");
    settle(bus);
    for (int i = 0; i < 5; i++)
        wc_bus_publish_data(bus, "self.end", "x", 1);
    CHECK(inbox_wait(&in, 1, 3000) == 1, "first");
    nats_server_sleep_ms(100);
    CHECK(inbox_count(&in) == 1, "%s: handler ran %d times after ending itself", t->name,
          inbox_count(&in));

    gate g;
    gate_init(&g);
    inbox slow;
    inbox_init(&slow);
    slow.gate = &g;
    wc_bus_sub *sub;
    CHECK(wc_bus_subscribe(bus, "slow", NULL, on_message, &slow, &sub) == 0, "sub slow");
    settle(bus);
    wc_bus_publish_data(bus, "slow", "x", 1);
    nats_server_sleep_ms(50); /* the handler is now waiting at the gate */
    pthread_t opener;
    pthread_create(&opener, NULL, release_later, &g);
    wc_bus_unsubscribe(sub);
    CHECK(inbox_count(&slow) == 1, "%s: unsubscribe returned before the handler did", t->name);
    pthread_join(opener, NULL);
    wc_bus_close(bus);
    inbox_destroy(&in);
    inbox_destroy(&slow);
    gate_destroy(&g);
}

static void test_drain(const target *t)
{
    wc_bus *bus = open_bus(t, NULL);
    if (!bus)
        return;
    inbox in;
    inbox_init(&in);
    wc_bus_sub *sub;
    CHECK(wc_bus_subscribe(bus, "drain.me", NULL, on_message, &in, &sub) == 0, "sub");
    settle(bus);
    for (int i = 0; i < 50; i++)
        wc_bus_publish_data(bus, "drain.me", "x", 1);
    settle(bus);
    CHECK(wc_bus_drain(bus, 3000) == 0, "%s: drain", t->name);
    CHECK(inbox_count(&in) == 50, "%s: drained %d of 50", t->name, inbox_count(&in));
    wc_bus_sub *late = NULL;
    CHECK(wc_bus_subscribe(bus, "late", NULL, on_message, &in, &late) == WC_ECANCELED,
          "%s: subscribe after drain", t->name);
    CHECK(wc_bus_publish_data(bus, "after.drain", "x", 1) == 0, "%s: publish after drain",
          t->name);
    wc_bus_unsubscribe(sub);
    wc_bus_close(bus);
    inbox_destroy(&in);
}

/* --- streams and KV --- */

typedef struct seen {
    uint64_t seqs[64];
    char data[64][16];
    size_t n;
    size_t stop_after;
} seen;

static int on_stored(void *ctx, const wc_bus_msg *msg);

/* JetStream stores a plain publish, and recovers after a restart, a little
 * later than the publisher sees: reads until want messages come back (or
 * 3 s pass).  Returns what the last read returned. */
static int read_until(wc_bus *bus, const char *stream, uint64_t from, int want, seen *s,
                      wc_error *err)
{
    int n = -1;
    uint64_t end = wc_monotonic_ms() + 3000;
    do {
        memset(s, 0, sizeof *s);
        n = wc_bus_stream_read(bus, stream, from, 100, on_stored, s, err);
        if (n == want)
            break;
        nats_server_sleep_ms(20);
    } while (wc_monotonic_ms() < end);
    return n;
}

static int on_stored(void *ctx, const wc_bus_msg *msg)
{
    seen *s = ctx;
    if (s->n < 64) {
        s->seqs[s->n] = msg->sequence;
        snprintf(s->data[s->n], sizeof s->data[s->n], "%.*s", (int)msg->len,
                 (const char *)msg->data);
        s->n++;
    }
    return s->stop_after && s->n >= s->stop_after;
}

static void test_streams(const target *t)
{
    wc_bus *bus = open_bus(t, NULL);
    if (!bus)
        return;
    wc_error err = {0};
    wc_bus_stream_config sc = {.name = "TESTAUDIT", .subject = "taudit.>"};
    CHECK(wc_bus_stream_ensure(bus, &sc, &err) == 0, "%s: ensure: %s", t->name,
          wc_error_message(&err));
    CHECK(wc_bus_stream_ensure(bus, &sc, &err) == 0, "%s: ensure again: %s", t->name,
          wc_error_message(&err));
    wc_bus_stream_config bad = {.name = "has space", .subject = "x"};
    CHECK(wc_bus_stream_ensure(bus, &bad, &err) == WC_EINVAL, "bad name");
    uint64_t seq = 0;
    for (int i = 1; i <= 5; i++) {
        char text[8];
        int n = snprintf(text, sizeof text, "m%d", i);
        wc_bus_header h[] = {{"X-Test", "kept"}};
        wc_bus_msg m = {.subject = "taudit.p.t", .headers = h, .header_count = 1,
                        .data = text, .len = (size_t)n};
        CHECK(wc_bus_stream_append(bus, &m, &seq, &err) == 0, "%s: append: %s", t->name,
              wc_error_message(&err));
        CHECK(seq == (uint64_t)i, "%s: sequence %llu for append %d", t->name,
              (unsigned long long)seq, i);
    }
    /* a plain publish on the stream's subjects is kept too */
    CHECK(wc_bus_publish_data(bus, "taudit.plain", "m6", 2) == 0, "plain publish");
    settle(bus);
    seen s = {0};
    int n = read_until(bus, "TESTAUDIT", 3, 4, &s, &err);
    CHECK(n == 4, "%s: read from 3: %d (%s)", t->name, n, wc_error_message(&err));
    CHECK(s.n == 4 && s.seqs[0] == 3 && s.seqs[3] == 6, "%s: sequences %llu..%llu", t->name,
          (unsigned long long)s.seqs[0], (unsigned long long)s.seqs[s.n ? s.n - 1 : 0]);
    CHECK(strcmp(s.data[0], "m3") == 0 && strcmp(s.data[3], "m6") == 0, "%s: data %s %s",
          t->name, s.data[0], s.data[3]);
    seen limited = {.stop_after = 2};
    n = wc_bus_stream_read(bus, "TESTAUDIT", 1, 100, on_stored, &limited, &err);
    CHECK(n == 2 && limited.n == 2, "%s: stopped by the callback: %d", t->name, n);
    seen capped = {0};
    n = wc_bus_stream_read(bus, "TESTAUDIT", 0, 3, on_stored, &capped, &err);
    CHECK(n == 3 && capped.seqs[0] == 1, "%s: max_msgs: %d", t->name, n);
    /* retention: at most 3 messages kept, the oldest go */
    sc.max_msgs = 3;
    CHECK(wc_bus_stream_ensure(bus, &sc, &err) == 0, "%s: update: %s", t->name,
          wc_error_message(&err));
    seen kept = {0};
    n = wc_bus_stream_read(bus, "TESTAUDIT", 1, 100, on_stored, &kept, &err);
    CHECK(n == 3 && kept.seqs[0] == 4, "%s: after max_msgs 3: %d from %llu", t->name, n,
          (unsigned long long)kept.seqs[0]);
    wc_bus_msg stray = {.subject = "nostream.here", .data = "x", .len = 1};
    CHECK(wc_bus_stream_append(bus, &stray, &seq, &err) == WC_ENOTFOUND, "%s: no stream: %s",
          t->name, wc_error_message(&err));
    CHECK(wc_bus_stream_read(bus, "NOSUCH", 1, 10, on_stored, &s, &err) == WC_ENOTFOUND,
          "%s: no such stream", t->name);
    wc_bus_stream_config overlap = {.name = "OVERLAP", .subject = "taudit.*.t"};
    CHECK(wc_bus_stream_ensure(bus, &overlap, &err) < 0, "%s: overlapping subjects refused",
          t->name);
    wc_bus_close(bus);
}

/* A stream's subjects read one at a time, each within its own limit, and
 * a message id kept once (what a cluster's event logs stand on). */
static void test_stream_subjects(const target *t)
{
    wc_bus *bus = open_bus(t, NULL);
    if (!bus)
        return;
    wc_error err = {0};
    wc_bus_stream_config sc = {.name = "TESTLOGS", .subject = "tlog.>",
                               .max_msgs_per_subject = 3};
    CHECK(wc_bus_stream_ensure(bus, &sc, &err) == 0, "%s: ensure: %s", t->name,
          wc_error_message(&err));
    uint64_t seq = 0;
    for (int i = 1; i <= 5; i++) { /* a1 b1 a2 b2 ... interleaved */
        char text[8];
        for (int k = 0; k < 2; k++) {
            int n = snprintf(text, sizeof text, "%c%d", "ab"[k], i);
            wc_bus_msg m = {.subject = k ? "tlog.b" : "tlog.a", .data = text, .len = (size_t)n};
            CHECK(wc_bus_stream_append(bus, &m, &seq, &err) == 0, "%s: append: %s", t->name,
                  wc_error_message(&err));
        }
    }
    uint64_t first = 0, last = 0;
    CHECK(wc_bus_stream_bounds(bus, "TESTLOGS", &first, &last, &err) == 0 && last == 10 &&
              first >= 1 && first <= 5,
          "%s: bounds %llu..%llu", t->name, (unsigned long long)first, (unsigned long long)last);
    CHECK(wc_bus_stream_bounds(bus, "NOSUCH", &first, &last, &err) == WC_ENOTFOUND,
          "%s: no bounds of no stream", t->name);
    seen a = {0};
    int n = wc_bus_stream_read_subject(bus, "TESTLOGS", "tlog.a", 0, 100, on_stored, &a, &err);
    CHECK(n == 3 && a.n == 3 && strcmp(a.data[0], "a3") == 0 && strcmp(a.data[2], "a5") == 0,
          "%s: the last 3 of tlog.a: %d (%s..%s)", t->name, n, a.data[0], a.data[a.n ? a.n - 1 : 0]);
    CHECK(a.seqs[0] == 5 && a.seqs[1] == 7 && a.seqs[2] == 9, "%s: with their sequences %llu %llu %llu",
          t->name, (unsigned long long)a.seqs[0], (unsigned long long)a.seqs[1],
          (unsigned long long)a.seqs[2]);
    seen after = {0};
    n = wc_bus_stream_read_subject(bus, "TESTLOGS", "tlog.b", 9, 100, on_stored, &after, &err);
    CHECK(n == 1 && after.seqs[0] == 10 && strcmp(after.data[0], "b5") == 0,
          "%s: tlog.b from 9: %d", t->name, n);
    seen none = {0};
    CHECK(wc_bus_stream_read_subject(bus, "TESTLOGS", "tlog.c", 0, 100, on_stored, &none, &err) == 0,
          "%s: a subject with nothing", t->name);
    CHECK(wc_bus_stream_read_subject(bus, "TESTLOGS", "tlog.*", 0, 100, on_stored, &none, &err) ==
              WC_EINVAL, "%s: no wildcards", t->name);
    int rc = wc_bus_stream_read_subject(bus, "NOSUCH", "tlog.a", 0, 100, on_stored, &none, &err);
    CHECK(rc == WC_ENOTFOUND, "%s: no such stream: %d %s", t->name, rc, wc_error_message(&err));
    /* a message id is kept once; the duplicate's append says the first's sequence */
    wc_bus_header id[] = {{WC_BUS_MSG_ID, "event-1"}};
    wc_bus_msg m = {.subject = "tlog.d", .headers = id, .header_count = 1, .data = "d", .len = 1};
    uint64_t again = 0;
    CHECK(wc_bus_stream_append(bus, &m, &first, &err) == 0 &&
              wc_bus_stream_append(bus, &m, &again, &err) == 0,
          "%s: appends: %s", t->name, wc_error_message(&err));
    CHECK(first == again && first > 0, "%s: the duplicate has the first's sequence (%llu, %llu)",
          t->name, (unsigned long long)first, (unsigned long long)again);
    CHECK(wc_bus_publish(bus, &m) == 0, "%s: a plain publish of it", t->name);
    settle(bus);
    seen d = {0};
    n = wc_bus_stream_read_subject(bus, "TESTLOGS", "tlog.d", 0, 100, on_stored, &d, &err);
    CHECK(n == 1, "%s: kept once: %d", t->name, n);
    wc_bus_close(bus);
}

typedef struct keys_seen {
    char keys[16][64];
    size_t n;
} keys_seen;

static int on_key(void *ctx, const char *key)
{
    keys_seen *k = ctx;
    if (k->n < 16)
        snprintf(k->keys[k->n++], 64, "%s", key);
    return 0;
}

static void test_kv(const target *t)
{
    wc_bus *bus = open_bus(t, NULL);
    if (!bus)
        return;
    wc_error err = {0};
    wc_bus_kv_config kc = {.bucket = "testkv", .max_value_size = 1024};
    CHECK(wc_bus_kv_ensure(bus, &kc, &err) == 0, "%s: ensure: %s", t->name,
          wc_error_message(&err));
    CHECK(wc_bus_kv_ensure(bus, &kc, &err) == 0, "%s: ensure again", t->name);
    uint64_t r1 = 0, r2 = 0, r = 0;
    CHECK(wc_bus_kv_put(bus, "testkv", "sess.a", "one", 3, &r1, &err) == 0, "%s: put: %s",
          t->name, wc_error_message(&err));
    CHECK(wc_bus_kv_put(bus, "testkv", "sess.a", "two", 3, &r2, &err) == 0, "put again");
    CHECK(r2 > r1, "%s: revisions %llu then %llu", t->name, (unsigned long long)r1,
          (unsigned long long)r2);
    void *v = NULL;
    size_t len = 0;
    CHECK(wc_bus_kv_get(bus, "testkv", "sess.a", &v, &len, &r, &err) == 0, "%s: get: %s",
          t->name, wc_error_message(&err));
    CHECK(v && len == 3 && memcmp(v, "two", 3) == 0 && r == r2, "%s: value", t->name);
    free(v);
    CHECK(wc_bus_kv_get(bus, "testkv", "missing", &v, &len, NULL, &err) == WC_ENOTFOUND,
          "%s: missing key", t->name);
    CHECK(wc_bus_kv_put(bus, "testkv", "sess.b", "", 0, NULL, &err) == 0, "empty value");
    CHECK(wc_bus_kv_put(bus, "testkv", "other.c", "3", 1, NULL, &err) == 0, "other");
    CHECK(wc_bus_kv_put(bus, "testkv", "sess.0", "0", 1, NULL, &err) == 0, "sess.0");
    keys_seen ks = {0};
    int n = wc_bus_kv_keys(bus, "testkv", "sess.", 100, on_key, &ks, &err);
    CHECK(n == 3 && ks.n == 3, "%s: keys: %d", t->name, n);
    CHECK(ks.n == 3 && strcmp(ks.keys[0], "sess.0") == 0 && strcmp(ks.keys[1], "sess.a") == 0 &&
              strcmp(ks.keys[2], "sess.b") == 0,
          "%s: key order %s %s %s", t->name, ks.keys[0], ks.keys[1], ks.keys[2]);
    keys_seen two = {0};
    CHECK(wc_bus_kv_keys(bus, "testkv", "", 2, on_key, &two, &err) == 2, "max_keys");
    CHECK(wc_bus_kv_delete(bus, "testkv", "sess.a", &err) == 0, "delete");
    CHECK(wc_bus_kv_delete(bus, "testkv", "sess.a", &err) == 0, "delete again");
    CHECK(wc_bus_kv_get(bus, "testkv", "sess.a", &v, &len, NULL, &err) == WC_ENOTFOUND,
          "%s: deleted", t->name);
    keys_seen after = {0};
    n = wc_bus_kv_keys(bus, "testkv", "sess.", 100, on_key, &after, &err);
    CHECK(n == 2, "%s: keys after delete: %d", t->name, n);
    char big[2048] = {0};
    CHECK(wc_bus_kv_put(bus, "testkv", "big", big, sizeof big, NULL, &err) < 0,
          "%s: over max_value_size", t->name);
    CHECK(wc_bus_kv_put(bus, "testkv", "bad key", "x", 1, NULL, &err) == WC_EINVAL, "bad key");
    CHECK(wc_bus_kv_put(bus, "testkv", ".dot", "x", 1, NULL, &err) == WC_EINVAL, "leading dot");
    CHECK(wc_bus_kv_get(bus, "nobucket", "k", &v, &len, NULL, &err) == WC_ENOTFOUND,
          "%s: no bucket", t->name);
    wc_bus_close(bus);
}

/* Compare-and-set: a write names the revision it read; one that another
 * writer overtook is refused with WC_ECONFLICT and changes nothing. */
static void test_kv_update(const target *t)
{
    wc_bus *bus = open_bus(t, NULL);
    if (!bus)
        return;
    wc_error err = {0};
    wc_bus_kv_config kc = {.bucket = "caskv"};
    CHECK(wc_bus_kv_ensure(bus, &kc, &err) == 0, "%s: ensure: %s", t->name,
          wc_error_message(&err));
    uint64_t r1 = 0, r2 = 0, r3 = 0;
    CHECK(wc_bus_kv_update(bus, "caskv", "c", "one", 3, 0, &r1, &err) == 0, "%s: create: %s",
          t->name, wc_error_message(&err));
    CHECK(wc_bus_kv_update(bus, "caskv", "c", "dup", 3, 0, NULL, &err) == WC_ECONFLICT,
          "%s: a second create", t->name);
    CHECK(wc_bus_kv_update(bus, "caskv", "c", "two", 3, r1, &r2, &err) == 0 && r2 > r1,
          "%s: update from r1: %s", t->name, wc_error_message(&err));
    CHECK(wc_bus_kv_update(bus, "caskv", "c", "old", 3, r1, NULL, &err) == WC_ECONFLICT,
          "%s: a stale update", t->name);
    void *v = NULL;
    size_t len = 0;
    CHECK(wc_bus_kv_get(bus, "caskv", "c", &v, &len, &r3, &err) == 0 && len == 3 &&
              memcmp(v, "two", 3) == 0 && r3 == r2, "%s: the winner stays", t->name);
    free(v);
    CHECK(wc_bus_kv_delete_if(bus, "caskv", "c", r1, &err) == WC_ECONFLICT,
          "%s: a stale delete", t->name);
    CHECK(wc_bus_kv_delete_if(bus, "caskv", "c", 0, &err) == WC_ECONFLICT,
          "%s: a delete of no value", t->name);
    CHECK(wc_bus_kv_delete_if(bus, "caskv", "c", r2, &err) == 0, "%s: delete: %s", t->name,
          wc_error_message(&err));
    CHECK(wc_bus_kv_get(bus, "caskv", "c", &v, &len, NULL, &err) == WC_ENOTFOUND,
          "%s: deleted", t->name);
    /* a deleted key has no value: a create succeeds again */
    CHECK(wc_bus_kv_update(bus, "caskv", "c", "three", 5, 0, NULL, &err) == 0,
          "%s: create after delete: %s", t->name, wc_error_message(&err));
    CHECK(wc_bus_kv_update(bus, "caskv", "never", "x", 1, 7, NULL, &err) == WC_ECONFLICT,
          "%s: an update of a key never written", t->name);
    wc_bus_close(bus);
}

static void run_contract(const target *t)
{
    printf("-- %s\n", t->name);
    test_publish_subscribe(t);
    test_queue_groups(t);
    test_request_reply(t);
    test_bad_input(t);
    test_bounded_queue(t);
    test_unsubscribe(t);
    test_drain(t);
    test_streams(t);
    test_stream_subjects(t);
    test_kv(t);
    test_kv_update(t);
}

/* --- in-process only --- */

static void test_inproc_store_bound(void)
{
    wc_bus_config cfg;
    wc_bus_config_init(&cfg);
    cfg.store_max_bytes = 4096;
    wc_bus *bus = NULL;
    CHECK(wc_bus_open(&cfg, &bus, NULL) == 0, "open");
    if (!bus)
        return;
    CHECK(strcmp(wc_bus_kind(bus), "inproc") == 0 &&
              wc_bus_get_state(bus) == WC_BUS_CONNECTED,
          "in-process and connected");
    wc_error err;
    wc_bus_stream_config sc = {.name = "S", .subject = "s.>"};
    CHECK(wc_bus_stream_ensure(bus, &sc, &err) == 0, "ensure");
    char payload[200] = {0};
    uint64_t seq = 0;
    for (int i = 0; i < 100; i++) {
        wc_bus_msg m = {.subject = "s.x", .data = payload, .len = sizeof payload};
        CHECK(wc_bus_stream_append(bus, &m, &seq, &err) == 0, "append %d: %s", i,
              wc_error_message(&err));
    }
    seen s = {0};
    int n = wc_bus_stream_read(bus, "S", 1, 1000, on_stored, &s, &err);
    CHECK(n > 0 && n < 20, "the store kept %d of 100 in 4 KiB", n);
    CHECK(s.n && s.seqs[s.n - 1] == 100, "the newest kept");
    wc_bus_kv_config kc = {.bucket = "B"};
    CHECK(wc_bus_kv_ensure(bus, &kc, &err) == 0, "bucket");
    char big[4000] = {0};
    CHECK(wc_bus_kv_put(bus, "B", "k", big, sizeof big, NULL, &err) == WC_ENOSPC,
          "a put over the store's bound: %s", wc_error_message(&err));
    wc_bus_close(bus);
}

/* Requests in flight and subscriptions are bounded. */
static void test_inproc_limits(void)
{
    wc_bus_config cfg;
    wc_bus_config_init(&cfg);
    cfg.max_subscriptions = 2;
    wc_bus *bus = NULL;
    CHECK(wc_bus_open(&cfg, &bus, NULL) == 0, "open");
    if (!bus)
        return;
    inbox in;
    inbox_init(&in);
    wc_bus_sub *a, *b, *c = NULL;
    CHECK(wc_bus_subscribe(bus, "x", NULL, on_message, &in, &a) == 0, "1");
    CHECK(wc_bus_subscribe(bus, "y", NULL, on_message, &in, &b) == 0, "2");
    CHECK(wc_bus_subscribe(bus, "z", NULL, on_message, &in, &c) == WC_EAGAIN && !c, "3rd");
    wc_bus_unsubscribe(a);
    CHECK(wc_bus_subscribe(bus, "z", NULL, on_message, &in, &c) == 0, "after one ended");
    /* close frees what is still subscribed */
    wc_bus_close(bus);
    inbox_destroy(&in);
    wc_bus_config bad;
    wc_bus_config_init(&bad);
    bad.sub_max_msgs = 0;
    wc_error err;
    CHECK(wc_bus_open(&bad, &bus, &err) == WC_EINVAL, "zero limit refused");
}

/* --- NATS faults --- */

static void test_nats_down_at_start(const target *t, nats_server *ns)
{
    /* the server's port with nothing listening */
    nats_server_signal(ns, SIGTERM);
    wc_bus_config cfg = t->cfg;
    cfg.reconnect_wait_ms = 100;
    wc_bus *bus = NULL;
    wc_error err = {0};
    CHECK(wc_bus_open(&cfg, &bus, &err) == 0, "open with the server down: %s",
          wc_error_message(&err));
    if (!bus)
        return;
    CHECK(wc_bus_get_state(bus) == WC_BUS_DISCONNECTED, "disconnected at start: %s",
          wc_bus_state_name(wc_bus_get_state(bus)));
    wc_bus_msg req = {.subject = "svc.any"};
    wc_bus_msg *reply = NULL;
    uint64_t t0 = wc_monotonic_ms();
    CHECK(wc_bus_request(bus, &req, 2000, &reply, &err) == WC_ENOTCONN, "request while down");
    CHECK(wc_monotonic_ms() - t0 < 500, "failed at once");
    CHECK(strstr(err.msg, "bus unavailable") != NULL, "says so: %s", err.msg);
    inbox in;
    inbox_init(&in);
    wc_bus_sub *sub;
    CHECK(wc_bus_subscribe(bus, "early", NULL, on_message, &in, &sub) == 0,
          "subscribe while down");
    CHECK(nats_server_launch(ns) == 0, "server back");
    CHECK(wait_state(bus, WC_BUS_CONNECTED, 5000), "connected once the server is up");
    settle(bus);
    CHECK(wc_bus_publish_data(bus, "early", "x", 1) == 0, "publish");
    CHECK(inbox_wait(&in, 1, 3000) == 1, "the early subscription works");
    wc_bus_unsubscribe(sub);
    wc_bus_close(bus);
    inbox_destroy(&in);
}

static void test_nats_restart(const target *t, nats_server *ns)
{
    wc_bus_config cfg = t->cfg;
    cfg.reconnect_wait_ms = 100;
    wc_bus *bus = open_bus(t, &cfg);
    if (!bus)
        return;
    inbox in;
    inbox_init(&in);
    wc_bus_sub *sub;
    CHECK(wc_bus_subscribe(bus, "survive", NULL, on_message, &in, &sub) == 0, "sub");
    wc_error err = {0};
    wc_bus_stream_config sc = {.name = "KEEP", .subject = "keep.>"};
    CHECK(wc_bus_stream_ensure(bus, &sc, &err) == 0, "stream: %s", wc_error_message(&err));
    wc_bus_msg m = {.subject = "keep.one", .data = "kept", .len = 4};
    CHECK(wc_bus_stream_append(bus, &m, NULL, &err) == 0, "append: %s", wc_error_message(&err));
    settle(bus);
    CHECK(wc_bus_publish_data(bus, "survive", "before", 6) == 0, "publish");
    CHECK(inbox_wait(&in, 1, 3000) == 1, "before");

    /* JetStream acknowledges a message once stored, and writes its file a
     * moment later: a crash right after an append could lose it, which is
     * JetStream's contract, not the bus's */
    nats_server_sleep_ms(300);
    nats_server_signal(ns, SIGKILL);
    CHECK(wait_state(bus, WC_BUS_DISCONNECTED, 5000), "disconnected after the kill");
    /* published while down: kept in the reconnect buffer, sent after */
    CHECK(wc_bus_publish_data(bus, "survive", "buffered", 8) == 0, "publish while down");
    CHECK(nats_server_launch(ns) == 0, "restart");
    CHECK(wait_state(bus, WC_BUS_CONNECTED, 5000), "reconnected");
    settle(bus);
    CHECK(wc_bus_publish_data(bus, "survive", "after", 5) == 0, "publish after");
    CHECK(inbox_wait(&in, 3, 3000) == 3, "resubscribed: got %d of 3", inbox_count(&in));
    wc_bus_stats st;
    wc_bus_get_stats(bus, &st);
    CHECK(st.reconnects >= 1, "reconnects %llu", (unsigned long long)st.reconnects);
    seen s = {0};
    CHECK(read_until(bus, "KEEP", 1, 1, &s, &err) == 1 && strcmp(s.data[0], "kept") == 0,
          "the stream survived the restart: %s", wc_error_message(&err));

    /* a clean stop and start (a rolling restart) likewise */
    CHECK(nats_server_restart(ns) == 0, "clean restart");
    CHECK(wait_state(bus, WC_BUS_CONNECTED, 5000), "reconnected after a clean restart");
    settle(bus);
    CHECK(wc_bus_publish_data(bus, "survive", "again", 5) == 0, "publish after");
    CHECK(inbox_wait(&in, 4, 3000) == 4, "resubscribed again: got %d of 4", inbox_count(&in));
    wc_bus_unsubscribe(sub);
    wc_bus_close(bus);
    inbox_destroy(&in);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    test_subjects();

    target inproc = {.name = "inproc"};
    wc_bus_config_init(&inproc.cfg);
    run_contract(&inproc);
    test_inproc_store_bound();
    test_inproc_limits();

    nats_server ns;
    CHECK(nats_server_start(&ns, "test_bus") == 0, "nats-server starts (is it installed?)");
    if (ns.pid > 0) {
        target nats = {.name = "nats"};
        wc_bus_config_init(&nats.cfg);
        nats.cfg.url = ns.url;
        nats.cfg.name = "test_bus";
        run_contract(&nats);
        test_nats_down_at_start(&nats, &ns);
        test_nats_restart(&nats, &ns);
        nats_server_stop(&ns);
    }
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
