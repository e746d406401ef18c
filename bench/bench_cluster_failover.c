/* bench_cluster_failover.c -- how long a client of a cluster is without its
 * event stream when the node serving it dies (tests/cluster_world.h:
 * nats-server, three nodes, haproxy round robin).  A publisher sends a
 * resources/updated event every 5 ms to the session's one subscription;
 * each round the node serving the client's stream is killed with SIGKILL,
 * and the clock runs from the kill until the client, reconnecting through
 * haproxy with Last-Event-ID, has the first event it had not had: "resumed".
 * Also split: until a node answered the GET (200).  The killed node is
 * started again before the next round.  Every round checks that the events
 * came in order with none twice (the event ids' log sequence only grows).
 *
 *   bench_cluster_failover [ROUNDS]     (default 20)
 *
 * Prints p50/p99/max of both, in ms. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"

#include "../tests/check.h"
#include "../tests/http_server.h"
#include "../tests/nats_server.h"
#include "../tests/cluster_world.h"

static cluster_world world;
static wc_bus *publisher;
static atomic_bool publishing = true;

static void *publish_main(void *arg)
{
    (void)arg;
    const char *event = "{\"uri\":\"res://bench/1\"}";
    while (atomic_load(&publishing)) {
        wc_bus_publish_data(publisher, "wasmcap.resources.updated", event, strlen(event));
        nats_server_sleep_ms(5);
    }
    return NULL;
}

/* The sequence of an event id "0-N". */
static unsigned long long id_seq(const char *id)
{
    const char *dash = strchr(id, '-');
    return dash ? strtoull(dash + 1, NULL, 10) : 0;
}

/* Reads events until one with a log sequence above after came (true, its
 * id in last_id) or the stream ends; false when none came. *dup counts
 * ids that did not grow. */
static bool next_new_event(hc *g, hc_resp *r, unsigned long long after, char *last_id,
                           int *dup, int timeout_ms)
{
    for (;;) {
        hc_event e;
        if (hc_next_event(g, r, &e, timeout_ms) != 1)
            return false;
        bool update = strstr(e.data, "notifications/resources/updated") != NULL;
        unsigned long long seq = e.has_id ? id_seq(e.id) : 0;
        if (update && seq <= after)
            (*dup)++;
        if (update && seq > after) {
            snprintf(last_id, 64, "%s", e.id);
            hc_event_free(&e);
            return true;
        }
        hc_event_free(&e);
    }
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pick(const double *v, int n, double q)
{
    int i = (int)(q * (n - 1) + 0.5);
    return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGPIPE, SIG_IGN);
    int rounds = argc > 1 ? atoi(argv[1]) : 20;
    if (rounds < 1 || rounds > 1000 || (argc > 1 && strcmp(argv[1], "--help") == 0)) {
        printf("usage: bench_cluster_failover [ROUNDS]   (1 to 1000, default 20)\n");
        return argc > 1 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    if (cw_start(&world, "bench_cluster_failover") != 0) {
        printf("the cluster did not come up\n");
        cw_stop(&world);
        return 1;
    }
    wc_bus_config cfg;
    wc_bus_config_init(&cfg);
    cfg.url = world.nats.url;
    char session[33] = "";
    hc c;
    hc_resp r;
    if (wc_bus_open(&cfg, &publisher, NULL) != 0 || !hc_open(&c, world.port, NULL) ||
        !hs_open_session(&c, world.port, CW_VERSION_HEADER,
                         "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
                         "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                         "\"clientInfo\":{\"name\":\"bench\",\"version\":\"1\"}}}",
                         session) ||
        hs_post(&c, world.port, session, CW_VERSION_HEADER,
                "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/subscribe\","
                "\"params\":{\"uri\":\"res://bench/1\"}}", &r) != 200) {
        printf("no session\n");
        cw_stop(&world);
        return 1;
    }
    hc_resp_free(&r);
    hc_close(&c);
    nats_server_sleep_ms(500);
    pthread_t pub;
    pthread_create(&pub, NULL, publish_main, NULL);

    double *resumed = calloc((size_t)rounds, sizeof *resumed);
    double *answered = calloc((size_t)rounds, sizeof *answered);
    int done = 0, dup = 0;
    char last_id[64] = "";
    for (int round = 0; round < rounds; round++) {
        hc g;
        int node = -1;
        if (!cw_open_stream(&world, &g, &r, session, last_id, &node) || node < 0) {
            printf("round %d: no stream\n", round);
            break;
        }
        /* a few events on this node first */
        for (int i = 0; i < 5; i++)
            if (!next_new_event(&g, &r, id_seq(last_id), last_id, &dup, 5000))
                break;
        long long killed = hc_now_ms();
        cw_node_signal(&world, node, SIGKILL);
        while (next_new_event(&g, &r, id_seq(last_id), last_id, &dup, 5000))
            ; /* what was on its way when it died */
        hc_resp_free(&r);
        hc_close(&g);
        int again = -1;
        bool ok = cw_open_stream(&world, &g, &r, session, last_id, &again);
        long long got_200 = hc_now_ms();
        ok = ok && next_new_event(&g, &r, id_seq(last_id), last_id, &dup, 5000);
        long long got_event = hc_now_ms();
        if (ok) {
            answered[done] = (double)(got_200 - killed);
            resumed[done] = (double)(got_event - killed);
            printf("round %2d: killed %s, resumed on %s: 200 after %lld ms, first new event "
                   "after %lld ms\n", round, world.node[node].name,
                   again >= 0 ? world.node[again].name : "?", got_200 - killed,
                   got_event - killed);
            done++;
        } else {
            printf("round %d: did not resume\n", round);
        }
        if (ok)
            hc_resp_free(&r);
        hc_close(&g);
        if (cw_node_start(&world, node) != 0)
            break;
        nats_server_sleep_ms(300); /* haproxy sees it up again */
    }
    atomic_store(&publishing, false);
    pthread_join(pub, NULL);
    if (done > 0) {
        qsort(resumed, (size_t)done, sizeof *resumed, compare);
        qsort(answered, (size_t)done, sizeof *answered, compare);
        printf("failover over %d kills (events every 5 ms): resumed p50 %.0f ms, p99 %.0f ms, "
               "max %.0f ms; GET answered p50 %.0f ms, p99 %.0f ms; events out of order or "
               "twice: %d\n",
               done, pick(resumed, done, 0.5), pick(resumed, done, 0.99), resumed[done - 1],
               pick(answered, done, 0.5), pick(answered, done, 0.99), dup);
    }
    free(resumed);
    free(answered);
    wc_bus_close(publisher);
    cw_stop(&world);
    return done == rounds && dup == 0 ? 0 : 1;
}
