/* bench_cluster_stall.c -- how long a slow cluster store holds the HTTP
 * loop of a node (docs/CONFIG.md, "cluster": a session's first request on a
 * node reads its state on the loop's thread).  Two nodes in this process
 * on the in-process bus; node B's store answers after DELAY ms (its
 * backplane's session_get and session_put wrapped with a sleep, as a slow
 * or distant NATS would).  A client pings B in a session B already has,
 * one ping after another, while every 200 ms another session opened on A
 * makes its first request on B.  Printed: the pings' p50/p99/max latency
 * with the delay and, in the same run, without it (the baseline).
 *
 *   bench_cluster_stall [DELAY_MS [FIRSTS]]     (default 100 ms, 10)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "cli/bus_backplane.h"
#include "util/clock.h"

#include "../tests/check.h"
#include "../tests/http_server.h"
#include "../tests/nats_server.h"
#include "../tests/slow_backplane.h"
#include "../tests/world.h"

#define V "MCP-Protocol-Version: 2025-06-18\r\n"
#define INIT                                                                                   \
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"                       \
    "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"                                 \
    "\"clientInfo\":{\"name\":\"b\",\"version\":\"1\"}}}"
#define PINGS_MAX 100000

typedef struct stall_node {
    wc_bus_backplane backplane;
    wc_backplane slow; /* the port B's server uses: backplane's, delayed */
    test_world world;
    hs_server http;
} stall_node;

static int node_up(stall_node *n, wc_bus *bus, bool slow)
{
    memset(n, 0, sizeof *n);
    wc_bus_backplane_init(&n->backplane, bus);
    wc_bus_cluster_config cc = {.sessions = {.bucket = "STALL", .ttl_ms = 60000},
                                .log_stream = "STALL_LOGS", .log_events = 64,
                                .log_max_age_ms = 60000, .event_max_age_ms = 60000};
    if (wc_bus_backplane_cluster(&n->backplane, &cc, NULL) != 0)
        return -1;
    n->slow = n->backplane.port;
    if (slow)
        slow_backplane_wrap(&n->slow, &n->backplane.port);
    wc_mcp_options mo;
    wc_mcp_options_default(&mo);
    mo.backplane = &n->slow;
    if (test_world_open(&n->world, NULL, &mo) != 0)
        return -1;
    wc_http_options o;
    wc_http_options_default(&o);
    o.host = "127.0.0.1";
    o.port = "0";
    return hs_server_start(&n->http, n->world.mcp, &o);
}

static void node_down(stall_node *n)
{
    hs_server_stop(&n->http);
    test_world_close(&n->world);
}

static bool new_session(int port, char session[33])
{
    hc c;
    bool ok = hc_open(&c, port, "127.0.0.1") && hs_open_session(&c, port, V, INIT, session);
    hc_close(&c);
    return ok;
}

typedef struct firsts {
    int port_a, port_b, count;
    atomic_bool done;
} firsts;

/* Sessions opened on A, each then asked once on B (its first request there). */
static void *firsts_main(void *arg)
{
    firsts *f = arg;
    for (int i = 0; i < f->count; i++) {
        char session[33];
        hc c;
        hc_resp r;
        if (new_session(f->port_a, session) && hc_open(&c, f->port_b, "127.0.0.1")) {
            if (hs_post(&c, f->port_b, session, V,
                        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}", &r) != 200)
                printf("a first request on B failed\n");
            hc_resp_free(&r);
            hc_close(&c);
        }
        nats_server_sleep_ms(200);
    }
    atomic_store(&f->done, true);
    return NULL;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* Pings in B's own session while the firsts run; prints the latencies. */
static void measure(int delay, int count, int port_a, int port_b, const char *own)
{
    static long long lat[PINGS_MAX];
    int n = 0;
    atomic_store(&slow_store_delay_ms, delay);
    firsts f = {.port_a = port_a, .port_b = port_b, .count = count};
    pthread_t t;
    hc c;
    if (!hc_open(&c, port_b, "127.0.0.1") || pthread_create(&t, NULL, firsts_main, &f) != 0) {
        printf("cannot start\n");
        return;
    }
    while (!atomic_load(&f.done) && n < PINGS_MAX) {
        hc_resp r;
        long long t0 = (long long)(wc_monotonic_ns() / 1000);
        int status = hs_post(&c, port_b, own, V, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}",
                             &r);
        lat[n++] = (long long)(wc_monotonic_ns() / 1000) - t0;
        hc_resp_free(&r);
        if (status != 200) {
            printf("ping: %d\n", status);
            break;
        }
    }
    pthread_join(t, NULL);
    hc_close(&c);
    qsort(lat, (size_t)n, sizeof lat[0], cmp_ll);
    int slow = 0;
    long long stalled_us = 0;
    for (int i = 0; i < n; i++) {
        slow += lat[i] >= 10000;
        stalled_us += lat[i] >= 10000 ? lat[i] : 0;
    }
    printf("store delay %4d ms, %d first requests on B: %6d pings, p50 %7.3f ms, p99 %8.3f ms, "
           "max %8.3f ms; %d pings took >= 10 ms, %.0f ms in all\n", delay, count, n,
           lat[n / 2] / 1000.0, lat[n * 99 / 100] / 1000.0, lat[n - 1] / 1000.0, slow,
           stalled_us / 1000.0);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int delay = argc > 1 ? atoi(argv[1]) : 100;
    int count = argc > 2 ? atoi(argv[2]) : 10;
    if (delay < 0 || delay > 10000 || count < 1 || count > 1000) {
        fprintf(stderr, "usage: bench_cluster_stall [DELAY_MS (0-10000) [FIRSTS (1-1000)]]\n");
        return 2;
    }
    wc_bus_config cfg;
    wc_bus_config_init(&cfg);
    wc_bus *bus = NULL;
    stall_node a, b;
    char own[33];
    if (wc_bus_open(&cfg, &bus, NULL) != 0 || node_up(&a, bus, false) != 0 ||
        node_up(&b, bus, true) != 0 || !new_session(b.http.port, own)) {
        printf("cannot set up the nodes\n");
        return 1;
    }
    measure(0, count, a.http.port, b.http.port, own);
    measure(delay, count, a.http.port, b.http.port, own);
    node_down(&a);
    node_down(&b);
    wc_bus_close(bus);
    return 0;
}
