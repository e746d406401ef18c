/* test_cluster_failover.c -- the cluster as a client sees it through a load
 * balancer (tests/cluster_world.h: nats-server, three `wasmcap serve` nodes,
 * haproxy round robin in front).  A client opens a session and subscribes
 * to 30 resources (each request lands on the next node), opens the
 * session's event stream and reads resources/updated notifications while
 * the test publishes 600 events on the bus; midway the node serving the
 * stream is killed with SIGKILL; the client reconnects through haproxy
 * with Last-Event-ID and the test checks it got every event exactly once,
 * in order.  Then a rolling restart of all three nodes: the session goes
 * on (requests answered, the event stream resumed with nothing lost).
 * Last, a call answered as an event stream (a progress, then nothing) whose
 * node is killed: resumed through haproxy with its Last-Event-ID on
 * another node, it ends with an error answer for the call. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "util/clock.h"

#include "check.h"
#include "http_server.h"
#include "nats_server.h"
#include "cluster_world.h"

#define URIS 30
#define EVENTS 600
#define KILL_AFTER 150
#define V CW_VERSION_HEADER

static cluster_world world;
static wc_bus *publisher;

typedef struct publishing {
    int count, period_ms;
    pthread_t thread;
} publishing;

static void *publish_main(void *arg)
{
    publishing *p = arg;
    for (int i = 0; i < p->count; i++) {
        char event[64];
        snprintf(event, sizeof event, "{\"uri\":\"res://fo/%d\"}", i % URIS);
        wc_bus_publish_data(publisher, "wasmcap.resources.updated", event, strlen(event));
        nats_server_sleep_ms(p->period_ms);
    }
    return NULL;
}

static int post_via(const char *session, const char *body, hc_resp *r)
{
    hc c;
    memset(r, 0, sizeof *r);
    if (!hc_open(&c, world.port, NULL))
        return 0;
    int status = hs_post(&c, world.port, session, V, body, r);
    hc_close(&c);
    return status;
}

/* Reads notifications into got (their URIs' numbers) until total came
 * or the stream ends; the last event id goes to last_id.  Returns false
 * when the stream broke (or a quiet 5 s passed). */
static bool read_stream(hc *g, hc_resp *r, int *got, int *n, int until, char *last_id)
{
    while (*n < until) {
        hc_event e;
        int rc = hc_next_event(g, r, &e, 5000);
        if (rc != 1)
            return false;
        const char *at = strstr(e.data, "res://fo/");
        if (at && strstr(e.data, "notifications/resources/updated")) {
            if (*n < EVENTS + 50)
                got[*n] = atoi(at + 9);
            (*n)++;
        }
        if (e.has_id)
            snprintf(last_id, 64, "%s", e.id);
        hc_event_free(&e);
    }
    return true;
}

static int check_sequence(const int *got, int n, int expect, const char *what)
{
    int wrong = -1;
    for (int i = 0; i < n && i < expect && wrong < 0; i++)
        if (got[i] != i % URIS)
            wrong = i;
    CHECK(n == expect && wrong < 0, "%s: %d notifications for %d events, first out of place at "
          "%d", what, n, expect, wrong);
    return n == expect && wrong < 0;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGPIPE, SIG_IGN);
    if (cw_start(&world, "test_cluster_failover") != 0) {
        CHECK(0, "the cluster comes up (nats-server, 3 nodes, haproxy)");
        cw_stop(&world);
        return 1;
    }
    wc_bus_config cfg;
    wc_bus_config_init(&cfg);
    cfg.url = world.nats.url;
    CHECK(wc_bus_open(&cfg, &publisher, NULL) == 0, "publisher");

    char session[33] = "";
    hc c;
    CHECK(hc_open(&c, world.port, NULL) &&
              hs_open_session(&c, world.port, V,
                              "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
                              "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                              "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}",
                              session),
          "a session through haproxy");
    hc_close(&c);
    hc_resp r;
    bool nodes_seen[CW_NODES] = {false};
    for (int i = 0; i < URIS; i++) {
        char body[160];
        snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":"
                 "\"resources/subscribe\",\"params\":{\"uri\":\"res://fo/%d\"}}", 10 + i, i);
        int status = post_via(session, body, &r);
        int node = cw_node_named(&world, hc_header(&r, "x-wasmcap-node"));
        if (node >= 0)
            nodes_seen[node] = true;
        hc_resp_free(&r);
        if (status != 200)
            CHECK(0, "subscribe %d through haproxy: %d", i, status);
    }
    CHECK(nodes_seen[0] && nodes_seen[1] && nodes_seen[2], "the session's requests went to "
          "every node");
    nats_server_sleep_ms(500); /* each node takes the others' changes */

    /* --- kill -9 the node serving the stream, midway --- */
    int *got = calloc(EVENTS + 50, sizeof *got);
    int n = 0, node = -1;
    char last_id[64] = "";
    hc g;
    if (cw_open_stream(&world, &g, &r, session, NULL, &node) && node >= 0) {
        nats_server_sleep_ms(200);
        publishing pub = {.count = EVENTS, .period_ms = 4};
        pthread_create(&pub.thread, NULL, publish_main, &pub);
        read_stream(&g, &r, got, &n, KILL_AFTER, last_id);
        printf("killing %s (serving the stream) after %d events, at %s\n",
               world.node[node].name, n, last_id);
        long long killed = hc_now_ms();
        cw_node_signal(&world, node, SIGKILL);
        /* what was already on its way to the client is read: the stream ends */
        read_stream(&g, &r, got, &n, EVENTS, last_id);
        hc_resp_free(&r);
        hc_close(&g);
        int before = n, again = -1;
        if (cw_open_stream(&world, &g, &r, session, last_id, &again)) {
            printf("resumed on %s after %lld ms, %d events in\n",
                   again >= 0 ? world.node[again].name : "?", hc_now_ms() - killed, before);
            CHECK(again != node, "resumed on another node");
            read_stream(&g, &r, got, &n, EVENTS, last_id);
            hc_resp_free(&r);
        } else {
            CHECK(0, "the stream resumes through haproxy");
        }
        hc_close(&g);
        pthread_join(pub.thread, NULL);
        check_sequence(got, n, EVENTS, "kill -9 mid-stream");
        CHECK(cw_node_start(&world, node) == 0, "the killed node comes back");
    } else {
        CHECK(0, "the session's stream through haproxy");
    }

    /* --- a rolling restart: each node stopped and started in turn --- */
    for (int i = 0; i < CW_NODES; i++) {
        cw_node_signal(&world, i, SIGTERM);
        CHECK(cw_node_start(&world, i) == 0, "node %d restarts", i);
    }
    nats_server_sleep_ms(300); /* haproxy sees them all up */
    int ok = 0;
    for (int i = 0; i < 2 * CW_NODES; i++) {
        ok += post_via(session, "{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"tools/list\"}", &r) ==
              200;
        hc_resp_free(&r);
    }
    CHECK(ok == 2 * CW_NODES, "after a rolling restart the session is served (%d of %d)", ok,
          2 * CW_NODES);
    /* events while nobody reads, then the stream resumed: all of them, once */
    publishing pub = {.count = URIS, .period_ms = 1};
    publish_main(&pub);
    nats_server_sleep_ms(500);
    memset(got, 0, (EVENTS + 50) * sizeof *got);
    n = 0;
    if (cw_open_stream(&world, &g, &r, session, last_id, &node)) {
        read_stream(&g, &r, got, &n, URIS, last_id);
        hc_event e; /* nothing more than those */
        while (hc_next_event(&g, &r, &e, 500) == 1) {
            if (strstr(e.data, "res://fo/"))
                n++;
            hc_event_free(&e);
        }
        hc_resp_free(&r);
        check_sequence(got, n, URIS, "after the rolling restart");
    } else {
        CHECK(0, "the stream resumes after the rolling restart");
    }
    hc_close(&g);

    /* --- kill -9 the node running a call answered as a stream --- */
    char id[64], node_name[16];
    if (stream_call_until_progress(world.port, session, V, "hang", 77, id, node_name)) {
        int running = cw_node_named(&world, node_name);
        CHECK(running >= 0, "the call's node is named (%s)", node_name);
        if (running >= 0)
            cw_node_signal(&world, running, SIGKILL);
        long long killed = hc_now_ms();
        int again = -1, rc = -1;
        bool answered = false;
        if (cw_open_stream(&world, &g, &r, session, id, &again)) {
            hc_event e;
            while ((rc = hc_next_event(&g, &r, &e, CW_LOST_CALL_MS + 3000)) == 1) {
                answered |= e.data && strstr(e.data, "\"id\":77") &&
                            strstr(e.data, "\"error\"") && strstr(e.data, "lost");
                hc_event_free(&e);
            }
            hc_event_free(&e);
            hc_resp_free(&r);
        }
        long long took = hc_now_ms() - killed;
        CHECK(answered && rc == 0 && again >= 0 && again != running,
              "the call's node killed: resumed after %s on %s, an error answer for the call "
              "after %lld ms, then the end", id, again >= 0 ? world.node[again].name : "none",
              took);
        hc_close(&g);
        if (running >= 0)
            CHECK(cw_node_start(&world, running) == 0, "the killed node comes back");
    } else {
        CHECK(0, "a call answered as an event stream through haproxy");
    }
    free(got);
    wc_bus_close(publisher);
    cw_stop(&world);
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
