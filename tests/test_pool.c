/* test_pool.c -- the worker pool: start order, drain, back-pressure of a
 * full queue, many producers, and tasks queued when the pool is freed. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "util/pool.h"

#include "check.h"

/* --- order: one thread runs tasks in submit order --- */

typedef struct order_log {
    int seen[1000];
    atomic_int n;
} order_log;

typedef struct order_task {
    order_log *log;
    int value;
} order_task;

static void record(void *arg)
{
    order_task *t = arg;
    int i = atomic_fetch_add(&t->log->n, 1);
    t->log->seen[i] = t->value;
}

/* Drains and frees the pool; the log must hold 0..999 in order. */
static void check_ran_in_order(wc_pool *pool, order_log *log, const char *how)
{
    wc_pool_drain(pool);
    CHECK(atomic_load(&log->n) == 1000, "%s: ran %d", how, atomic_load(&log->n));
    int in_order = 1;
    for (int i = 0; i < 1000; i++)
        if (log->seen[i] != i)
            in_order = 0;
    CHECK(in_order, "%s tasks did not run in submit order", how);
    wc_pool_free(pool);
}

static void test_order(void)
{
    wc_pool *pool;
    CHECK(wc_pool_new(1, 8, &pool) == 0, "new");
    CHECK(wc_pool_threads(pool) == 1, "threads %u", wc_pool_threads(pool));
    static order_log log;
    static order_task tasks[1000];
    for (int i = 0; i < 1000; i++) {
        tasks[i] = (order_task){&log, i};
        CHECK(wc_pool_submit(pool, record, &tasks[i]) == 0, "submit %d", i);
    }
    check_ran_in_order(pool, &log, "single");
}

/* Batches bigger than the queue (8) go in pieces, still in order. */
static void test_order_many(void)
{
    wc_pool *pool;
    CHECK(wc_pool_new(1, 8, &pool) == 0, "new");
    static order_log log;
    static order_task tasks[1000];
    static void *args[1000];
    for (int i = 0; i < 1000; i++) {
        tasks[i] = (order_task){&log, i};
        args[i] = &tasks[i];
    }
    size_t at = 0, sizes[] = {1, 3, 8, 9, 50, 0, 929};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        CHECK(wc_pool_submit_many(pool, record, args + at, sizes[k]) == sizes[k], "batch %zu",
              sizes[k]);
        at += sizes[k];
    }
    check_ran_in_order(pool, &log, "batched");
}

/* --- drain waits for running tasks; try_submit refuses a full queue --- */

typedef struct gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int open;
    atomic_int started, finished;
} gate;

static void wait_gate(void *arg)
{
    gate *g = arg;
    atomic_fetch_add(&g->started, 1);
    pthread_mutex_lock(&g->lock);
    while (!g->open)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
    usleep(1000);
    atomic_fetch_add(&g->finished, 1);
}

static void *open_later(void *arg)
{
    gate *g = arg;
    usleep(50000);
    pthread_mutex_lock(&g->lock);
    g->open = 1;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

static void test_drain_and_full(void)
{
    wc_pool *pool;
    CHECK(wc_pool_new(2, 2, &pool) == 0, "new");
    gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};
    /* two running (blocked), two queued: the queue is then full */
    for (int i = 0; i < 2; i++)
        CHECK(wc_pool_submit(pool, wait_gate, &g) == 0, "submit");
    while (atomic_load(&g.started) < 2)
        usleep(1000);
    for (int i = 0; i < 2; i++)
        CHECK(wc_pool_submit(pool, wait_gate, &g) == 0, "submit");
    CHECK(wc_pool_try_submit(pool, wait_gate, &g) == WC_EAGAIN, "a full queue accepted a task");
    pthread_t opener;
    pthread_create(&opener, NULL, open_later, &g);
    /* blocks until a slot frees up, after the gate opens */
    CHECK(wc_pool_submit(pool, wait_gate, &g) == 0, "blocking submit");
    CHECK(g.open, "submit returned while the queue was still full");
    wc_pool_drain(pool);
    CHECK(atomic_load(&g.finished) == 5, "drain returned with %d of 5 finished",
          atomic_load(&g.finished));
    pthread_join(opener, NULL);
    wc_pool_free(pool);
}

/* --- many producers, one task or a batch at a time, many workers: every
 * task runs exactly once --- */

#define PRODUCERS 8
#define PER_PRODUCER 20000

static atomic_int counts[PRODUCERS * PER_PRODUCER];

static void count(void *arg)
{
    atomic_fetch_add(&counts[(size_t)arg], 1);
}

typedef struct producer {
    wc_pool *pool;
    int index;
    int failed;
} producer;

/* Odd producers submit in batches of up to 37 (more than the queue holds). */
static void *produce(void *arg)
{
    producer *p = arg;
    void *batch[37];
    for (int i = 0; i < PER_PRODUCER;) {
        if (p->index % 2 == 0) {
            if (wc_pool_submit(p->pool, count, (void *)(size_t)(p->index * PER_PRODUCER + i)) != 0)
                p->failed++;
            i++;
            continue;
        }
        size_t n = (size_t)(1 + i % 37);
        if (n > (size_t)(PER_PRODUCER - i))
            n = (size_t)(PER_PRODUCER - i);
        for (size_t k = 0; k < n; k++)
            batch[k] = (void *)(size_t)(p->index * PER_PRODUCER + i + (int)k);
        p->failed += (int)(n - wc_pool_submit_many(p->pool, count, batch, n));
        i += (int)n;
    }
    return NULL;
}

static void test_many_producers(void)
{
    wc_pool *pool;
    CHECK(wc_pool_new(3, 16, &pool) == 0, "new");
    pthread_t threads[PRODUCERS];
    producer producers[PRODUCERS];
    for (int i = 0; i < PRODUCERS; i++) {
        producers[i] = (producer){pool, i, 0};
        pthread_create(&threads[i], NULL, produce, &producers[i]);
    }
    for (int i = 0; i < PRODUCERS; i++) {
        pthread_join(threads[i], NULL);
        CHECK(producers[i].failed == 0, "producer %d: %d submits failed", i, producers[i].failed);
    }
    wc_pool_drain(pool);
    int bad = 0;
    for (int i = 0; i < PRODUCERS * PER_PRODUCER; i++)
        if (atomic_load(&counts[i]) != 1)
            bad++;
    CHECK(bad == 0, "%d tasks did not run exactly once", bad);
    wc_pool_free(pool);
}

/* --- free runs what is queued, and later submits are refused --- */

static atomic_int ran_at_free;

static void slow(void *arg)
{
    (void)arg;
    usleep(2000);
    atomic_fetch_add(&ran_at_free, 1);
}

static void test_free_runs_queue(void)
{
    wc_pool *pool;
    CHECK(wc_pool_new(1, 0, &pool) == 0, "new");
    for (int i = 0; i < 20; i++)
        CHECK(wc_pool_submit(pool, slow, NULL) == 0, "submit");
    wc_pool_free(pool);
    CHECK(atomic_load(&ran_at_free) == 20, "free ran %d of 20 queued tasks",
          atomic_load(&ran_at_free));
    /* the default thread count is the number of CPUs */
    CHECK(wc_pool_new(0, 0, &pool) == 0, "new default");
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    CHECK((long)wc_pool_threads(pool) == (cpus > 0 ? cpus : 1), "threads %u",
          wc_pool_threads(pool));
    wc_pool_drain(pool); /* an idle pool drains at once */
    wc_pool_free(pool);
}

int main(void)
{
    test_order();
    test_order_many();
    test_drain_and_full();
    test_many_producers();
    test_free_runs_queue();
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    puts("test_pool: all passed");
    return 0;
}
