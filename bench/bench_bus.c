/* bench_bus.c -- the bus behind the server, on the in-process bus and on
 * NATS (a nats-server it starts on a free port):
 *
 *   latency   publish of wasmcap.resources.updated -> the subscribed
 *             session's transport is handed notifications/resources/
 *             updated (the send callback every transport implements),
 *             p50/p99 over --events events, one at a time;
 *   audit     tool calls (the echo test guest) from --clients in-process
 *             sessions for --seconds, with audit events on and off: calls
 *             per second, audit events published per second, dropped.
 *
 *   bench_bus [--events N] [--seconds S] [--clients C] [--guests DIR]
 *
 * DIR holds echo.wasm (the build folder's guests/, the default). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/resource.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus/bus.h"
#include "cli/bus_backplane.h"
#include "mcp/server.h"
#include "util/clock.h"

#include "../tests/nats_server.h"
#include "../tests/world.h"

static int events = 2000, seconds = 3, clients = 2;
static const char *guests = "build/guests";

/* --- a session whose transport records when a notification arrives --- */

typedef struct probe {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    uint64_t arrived_ns; /* the last notification; 0: none yet */
    long long answers;   /* answers to tools/call */
} probe;

static void probe_send(void *ctx, const wc_mcp_route *route, const char *data, size_t len)
{
    probe *p = ctx;
    if (!data)
        return;
    pthread_mutex_lock(&p->lock);
    if (memmem(data, len, "notifications/resources/updated", 31))
        p->arrived_ns = wc_monotonic_ns();
    else if (memmem(data, len, "\"result\"", 8) || memmem(data, len, "\"error\"", 7))
        p->answers++;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

static void probe_init(probe *p)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
}

static void say(wc_mcp_session *s, const char *text)
{
    wc_mcp_session_receive(s, text, strlen(text), NULL);
}

static void open_session(wc_mcp_session *s)
{
    say(s, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
           "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"b\",\"version\":\"1\"}}}");
    say(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
}

/* --- the world: the echo guest's registry and a server on the bus --- */

static int world_open(test_world *w, wc_bus *bus, bool audit)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"plugins\":{\"echo\":{\"path\":\"%s/echo.wasm\",\"prefix\":\"\"}}}", guests);
    wc_mcp_options o;
    wc_mcp_options_default(&o);
    o.workers = 2;
    static wc_bus_backplane bp; /* the server borrows it until it is freed */
    wc_bus_backplane_init(&bp, bus);
    o.backplane = &bp.port;
    o.audit.enabled = audit;
    return test_world_open(w, text, &o);
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* --- latency --- */

static void bench_latency(const char *name, wc_bus *server_bus, wc_bus *publisher)
{
    test_world w;
    if (world_open(&w, server_bus, false) != 0) {
        test_world_close(&w);
        return;
    }
    probe p;
    probe_init(&p);
    wc_mcp_session *s = wc_mcp_session_new(w.mcp, probe_send, &p);
    open_session(s);
    say(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/subscribe\",\"params\":"
           "{\"uri\":\"bench://r\"}}");
    usleep(200000); /* the subscriptions are in place at the server */
    uint64_t *lat = calloc((size_t)events, sizeof *lat);
    const char *event = "{\"uri\":\"bench://r\"}";
    int got = 0;
    for (int i = 0; i < events; i++) {
        pthread_mutex_lock(&p.lock);
        p.arrived_ns = 0;
        pthread_mutex_unlock(&p.lock);
        uint64_t t0 = wc_monotonic_ns();
        wc_bus_publish_data(publisher, "wasmcap.resources.updated", event, strlen(event));
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 2;
        pthread_mutex_lock(&p.lock);
        while (!p.arrived_ns && pthread_cond_timedwait(&p.cond, &p.lock, &ts) == 0)
            ;
        if (p.arrived_ns)
            lat[got++] = p.arrived_ns - t0;
        pthread_mutex_unlock(&p.lock);
    }
    qsort(lat, (size_t)got, sizeof *lat, compare_u64);
    if (got)
        printf("latency  %s publish -> notification: %d of %d events, p50 %.1f us, p99 %.1f "
               "us, max %.1f us\n",
               name, got, events, lat[got / 2] / 1e3, lat[(size_t)got * 99 / 100] / 1e3,
               lat[got - 1] / 1e3);
    free(lat);
    wc_mcp_session_close(s);
    test_world_close(&w);
}

/* --- audit while serving --- */

typedef struct client {
    wc_mcp_server *mcp;
    atomic_bool *stop;
    long long calls;
} client;

/* Calls echo in a window of 32 requests in flight until told to stop. */
static void *client_main(void *arg)
{
    client *c = arg;
    probe p;
    probe_init(&p);
    wc_mcp_session *s = wc_mcp_session_new(c->mcp, probe_send, &p);
    open_session(s);
    long long sent = 0;
    char msg[256];
    while (!atomic_load(c->stop)) {
        pthread_mutex_lock(&p.lock);
        long long done = p.answers;
        pthread_mutex_unlock(&p.lock);
        if (sent - done >= 32) {
            usleep(50);
            continue;
        }
        int n = snprintf(msg, sizeof msg,
                         "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"method\":\"tools/call\",\"params\":"
                         "{\"name\":\"echo\",\"arguments\":{\"text\":\"hello\"}}}",
                         ++sent + 10);
        wc_mcp_session_receive(s, msg, (size_t)n, NULL);
    }
    wc_mcp_session_close(s);
    c->calls = p.answers - 1; /* less initialize */
    return NULL;
}

static atomic_llong audit_seen;

static void count_audit(void *ctx, const wc_bus_msg *msg)
{
    atomic_fetch_add(&audit_seen, 1);
}


/* listener NULL: nobody in this process subscribes to the events */
static void bench_audit(const char *name, wc_bus *bus, wc_bus *listener, bool audit)
{
    test_world w;
    if (world_open(&w, bus, audit) != 0) {
        test_world_close(&w);
        return;
    }
    wc_bus_sub *sub = NULL;
    atomic_store(&audit_seen, 0);
    if (listener)
        wc_bus_subscribe(listener, "wasmcap.audit.>", NULL, count_audit, NULL, &sub);
    usleep(100000);
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    atomic_bool stop = false;
    client *cs = calloc((size_t)clients, sizeof *cs);
    pthread_t *ts = calloc((size_t)clients, sizeof *ts);
    uint64_t t0 = wc_monotonic_ns();
    for (int i = 0; i < clients; i++) {
        cs[i] = (client){.mcp = w.mcp, .stop = &stop};
        pthread_create(&ts[i], NULL, client_main, &cs[i]);
    }
    sleep((unsigned)seconds);
    atomic_store(&stop, true);
    long long calls = 0;
    for (int i = 0; i < clients; i++) {
        pthread_join(ts[i], NULL);
        calls += cs[i].calls;
    }
    double secs = (double)(wc_monotonic_ns() - t0) / 1e9;
    getrusage(RUSAGE_SELF, &ru1);
    double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec -
                          ru0.ru_stime.tv_sec) +
                 (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec -
                          ru0.ru_stime.tv_usec) / 1e6;
    long long published = audit ? test_world_metric(w.mcp, "wasmcap_audit_published_total") : 0;
    long long dropped = audit ? test_world_metric(w.mcp, "wasmcap_audit_dropped_total") : 0;
    usleep(300000);
    printf("audit    %-6s %-3s %d clients: %.0f calls/s, %.2f us CPU per call (clients "
           "included), %.0f audit events/s published, %lld dropped, %s\n",
           name, audit ? "on" : "off", clients, (double)calls / secs,
           calls ? cpu * 1e6 / (double)calls : 0.0, (double)published / secs, dropped,
           listener ? "a subscriber in this process" : "no subscriber in this process");
    if (listener)
        printf("         the subscriber received %lld\n", (long long)atomic_load(&audit_seen));
    wc_bus_unsubscribe(sub);
    free(cs);
    free(ts);
    test_world_close(&w);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--events") == 0 && i + 1 < argc)
            events = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--clients") == 0 && i + 1 < argc)
            clients = atoi(argv[++i]);
        else if (strcmp(argv[i], "--guests") == 0 && i + 1 < argc)
            guests = argv[++i];
        else {
            printf("usage: bench_bus [--events N] [--seconds S] [--clients C] [--guests DIR]\n"
                   "  latency of publish -> notification and audit events/s while serving,\n"
                   "  on the in-process bus and on NATS (nats-server started on a free port)\n");
            return strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ? 0 : 2;
        }
    }
    if (events < 1 || seconds < 1 || clients < 1)
        return 2;
    /* the world reads its config relative to "/" */
    static char guests_abs[4096];
    if (!realpath(guests, guests_abs)) {
        fprintf(stderr, "bench_bus: %s: no such folder (--guests)\n", guests);
        return 2;
    }
    guests = guests_abs;
    wc_bus_config cfg;
    wc_bus_config_init(&cfg);
    wc_bus *inproc = NULL;
    if (wc_bus_open(&cfg, &inproc, NULL) != 0)
        return 1;
    bench_latency("inproc", inproc, inproc);
    bench_audit("inproc", inproc, NULL, false);
    bench_audit("inproc", inproc, NULL, true);
    bench_audit("inproc", inproc, inproc, true);
    wc_bus_close(inproc);

    nats_server ns;
    if (nats_server_start(&ns, "bench_bus") != 0)
        return 1;
    cfg.url = ns.url;
    wc_bus *server_bus = NULL, *other = NULL, *asap = NULL;
    wc_bus_config asap_cfg = cfg;
    asap_cfg.send_asap = true;
    if (wc_bus_open(&cfg, &server_bus, NULL) == 0 && wc_bus_open(&cfg, &other, NULL) == 0 &&
        wc_bus_open(&asap_cfg, &asap, NULL) == 0) {
        usleep(200000);
        /* libnats's publisher waits up to 1 ms to batch unless send_asap */
        bench_latency("nats", server_bus, other);
        bench_latency("nats, publisher send_asap", server_bus, asap);
        bench_audit("nats", server_bus, NULL, false);
        bench_audit("nats", server_bus, NULL, true);
        bench_audit("nats", server_bus, other, true);
    }
    wc_bus_close(asap);
    wc_bus_close(other);
    wc_bus_close(server_bus);
    nats_server_stop(&ns);
    return 0;
}
