/* bench_kv.c -- the plugins' kv on its two stores side by side in one run:
 * puts, gets, deletes and list pages per second on LMDB and on a JetStream
 * KV bucket (a nats-server of its own on loopback), through store/kv.h's
 * port, as the host functions call it.  One thread, then several (the
 * worker pool's calls run in parallel).
 *
 *     build/bench_kv [OPS [THREADS]]     (default 2000 operations, 4 threads)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "cli/bus_kv.h"
#include "store/kv.h"
#include "util/clock.h"
#include "util/fs.h"

#include "../tests/nats_server.h"

enum { OP_PUT, OP_GET, OP_DELETE, OP_LIST, OPS };
static const char *const op_names[OPS] = {"put (100 B)", "get", "delete", "list page (100 keys)"};

typedef struct run {
    wc_kv *kv;
    int op, id, count;
    int failures;
} run;

static void *worker(void *arg)
{
    run *r = arg;
    char ns[16], key[32], value[100];
    memset(value, 'v', sizeof value);
    snprintf(ns, sizeof ns, "bench%d", r->id);
    wc_buf b;
    wc_buf_init(&b);
    for (int i = 0; i < r->count; i++) {
        int n = snprintf(key, sizeof key, "key/%06d", i);
        int rc = 0;
        if (r->op == OP_PUT) {
            rc = wc_kv_put_within(r->kv, ns, 1u << 30, key, (size_t)n, value, sizeof value, NULL);
        } else if (r->op == OP_GET) {
            b.len = 0;
            rc = wc_kv_get(r->kv, ns, key, (size_t)n, &b);
        } else if (r->op == OP_DELETE) {
            rc = wc_kv_delete(r->kv, ns, key, (size_t)n);
        } else {
            wc_kv_page page;
            rc = wc_kv_list_page(r->kv, ns, "key/", 4, NULL, 0, 100, &page);
            if (rc == 0)
                json_decref(page.keys);
        }
        r->failures += rc != 0;
    }
    wc_buf_free(&b);
    return NULL;
}

/* ops/s of op on kv by threads threads, each count times in a namespace of its own. */
static double measure(wc_kv *kv, int op, int threads, int count, int *failures)
{
    run runs[16];
    pthread_t th[16];
    uint64_t t0 = wc_monotonic_ns();
    for (int i = 0; i < threads; i++) {
        runs[i] = (run){.kv = kv, .op = op, .id = i, .count = op == OP_LIST ? count / 10 : count};
        pthread_create(&th[i], NULL, worker, &runs[i]);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        *failures += runs[i].failures;
    }
    double seconds = (double)(wc_monotonic_ns() - t0) / 1e9;
    return (double)threads * (op == OP_LIST ? count / 10 : count) / seconds;
}

int main(int argc, char **argv)
{
    int count = argc > 1 ? atoi(argv[1]) : 2000;
    int threads = argc > 2 ? atoi(argv[2]) : 4;
    if (count < 10 || count > 1000000 || threads < 1 || threads > 16) {
        fprintf(stderr, "usage: bench_kv [OPS (10-1000000) [THREADS (1-16)]]\n");
        return 2;
    }
    char root[512];
    if (wc_make_temp_dir(root, sizeof root, "wasmcap-bench-kv") != 0)
        return 1;
    char dir[600];
    snprintf(dir, sizeof dir, "%s/lmdb", root);
    nats_server ns;
    char conf[64];
    snprintf(conf, sizeof conf, "max_payload: %u\n", 2u << 20);
    if (nats_server_start_config(&ns, "bench_kv", conf) != 0)
        return 1;
    wc_bus_config cfg;
    wc_bus_config_init(&cfg);
    cfg.url = ns.url;
    cfg.max_payload = 2u << 20;
    wc_bus *bus = NULL;
    wc_kv *stores[2] = {NULL, NULL};
    wc_error err = {0};
    int rc = wc_kv_open(dir, 0, &stores[0], &err);
    if (rc == 0)
        rc = wc_bus_open(&cfg, &bus, &err);
    for (int i = 0; rc == 0 && i < 500 && wc_bus_get_state(bus) != WC_BUS_CONNECTED; i++)
        nats_server_sleep_ms(10);
    if (rc == 0)
        rc = wc_bus_kv_open(bus, true, "BENCH_KV", 0, &stores[1], &err);
    if (rc != 0) {
        fprintf(stderr, "bench_kv: %s\n", err.msg);
        nats_server_stop(&ns);
        return 1;
    }
    printf("%d operations a thread (list pages: a tenth), LMDB and NATS in one run\n", count);
    printf("%-22s %8s %14s %14s %10s\n", "operation", "threads", "LMDB ops/s", "NATS ops/s",
           "NATS/LMDB");
    int failures = 0;
    int thread_counts[2] = {1, threads};
    for (int t = 0; t < 2; t++)
        for (int op = 0; op < OPS; op++) {
            double rate[2];
            for (int s = 0; s < 2; s++) {
                if (op == OP_LIST || op == OP_GET) /* reads need the keys back */
                    measure(stores[s], OP_PUT, thread_counts[t], count, &failures);
                rate[s] = measure(stores[s], op, thread_counts[t], count, &failures);
            }
            printf("%-22s %8d %14.0f %14.0f %10.4f\n", op_names[op], thread_counts[t], rate[0],
                   rate[1], rate[1] / rate[0]);
        }
    printf("failures: %d\n", failures);
    wc_kv_close(stores[1]);
    wc_kv_close(stores[0]);
    nats_server_stop(&ns);
    wc_remove_dir(root);
    return failures ? 1 : 0;
}
