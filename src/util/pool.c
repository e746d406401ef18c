/* pool.c -- worker threads over a ring buffer guarded by one mutex.
 *
 * One lock and three condition variables: not_empty wakes workers,
 * not_full wakes producers, idle wakes drainers.  Signals are sent only
 * when someone waits, so a busy pool costs one lock per task.
 */
#include "util/pool.h"

#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct task {
    wc_pool_fn fn;
    void *arg;
} task;

struct wc_pool {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full, idle;
    task *ring;
    size_t cap, head, count;
    atomic_size_t waiting; /* count, published for wc_pool_waiting */
    size_t running;                 /* tasks being run now */
    unsigned waiting_workers, waiting_producers, waiting_drainers;
    bool stopping;
    pthread_t *threads;
    unsigned nthreads;
};

static void *worker(void *arg)
{
    wc_pool *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->count == 0 && !p->stopping) {
            p->waiting_workers++;
            pthread_cond_wait(&p->not_empty, &p->lock);
            p->waiting_workers--;
        }
        if (p->count == 0) /* stopping and nothing left */
            break;
        task t = p->ring[p->head];
        p->head = (p->head + 1) % p->cap;
        p->count--;
        atomic_store_explicit(&p->waiting, p->count, memory_order_relaxed);
        p->running++;
        /* Producers blocked on a full queue are woken once it is half
         * empty, not at every task: a pipelined client would otherwise cost
         * a wake-up (two context switches) per call. */
        if (p->waiting_producers && p->count <= p->cap / 2)
            pthread_cond_broadcast(&p->not_full);
        pthread_mutex_unlock(&p->lock);
        t.fn(t.arg);
        pthread_mutex_lock(&p->lock);
        p->running--;
        if (p->waiting_drainers && p->count == 0 && p->running == 0)
            pthread_cond_broadcast(&p->idle);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int wc_pool_new(unsigned threads, size_t queue_size, wc_pool **out)
{
    *out = NULL;
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    if (queue_size == 0)
        queue_size = (size_t)threads * 256;
    wc_pool *p = calloc(1, sizeof *p);
    if (!p)
        return WC_ENOMEM;
    p->ring = calloc(queue_size, sizeof *p->ring);
    p->threads = calloc(threads, sizeof *p->threads);
    if (!p->ring || !p->threads) {
        free(p->ring);
        free(p->threads);
        free(p);
        return WC_ENOMEM;
    }
    p->cap = queue_size;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->not_empty, NULL);
    pthread_cond_init(&p->not_full, NULL);
    pthread_cond_init(&p->idle, NULL);
    for (unsigned i = 0; i < threads; i++) {
        int rc = pthread_create(&p->threads[i], NULL, worker, p);
        if (rc != 0) {
            p->nthreads = i;
            wc_pool_free(p);
            return -rc;
        }
        p->nthreads = i + 1;
    }
    *out = p;
    return 0;
}

static int submit(wc_pool *p, wc_pool_fn fn, void *arg, bool wait)
{
    pthread_mutex_lock(&p->lock);
    while (p->count == p->cap && !p->stopping) {
        if (!wait) {
            pthread_mutex_unlock(&p->lock);
            return WC_EAGAIN;
        }
        p->waiting_producers++;
        pthread_cond_wait(&p->not_full, &p->lock);
        p->waiting_producers--;
    }
    if (p->stopping) {
        pthread_mutex_unlock(&p->lock);
        return WC_ECANCELED;
    }
    p->ring[(p->head + p->count) % p->cap] = (task){fn, arg};
    p->count++;
    atomic_store_explicit(&p->waiting, p->count, memory_order_relaxed);
    if (p->waiting_workers)
        pthread_cond_signal(&p->not_empty);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

size_t wc_pool_submit_many(wc_pool *p, wc_pool_fn fn, void *const *args, size_t n)
{
    size_t done = 0;
    pthread_mutex_lock(&p->lock);
    while (done < n) {
        while (p->count == p->cap && !p->stopping) {
            p->waiting_producers++;
            pthread_cond_wait(&p->not_full, &p->lock);
            p->waiting_producers--;
        }
        if (p->stopping)
            break;
        size_t room = p->cap - p->count, take = n - done < room ? n - done : room;
        for (size_t i = 0; i < take; i++)
            p->ring[(p->head + p->count + i) % p->cap] = (task){fn, args[done + i]};
        p->count += take;
        done += take;
        atomic_store_explicit(&p->waiting, p->count, memory_order_relaxed);
        if (p->waiting_workers) {
            if (take > 1)
                pthread_cond_broadcast(&p->not_empty);
            else
                pthread_cond_signal(&p->not_empty);
        }
    }
    pthread_mutex_unlock(&p->lock);
    return done;
}

int wc_pool_submit(wc_pool *pool, wc_pool_fn fn, void *arg)
{
    return submit(pool, fn, arg, true);
}

int wc_pool_try_submit(wc_pool *pool, wc_pool_fn fn, void *arg)
{
    return submit(pool, fn, arg, false);
}

void wc_pool_drain(wc_pool *p)
{
    pthread_mutex_lock(&p->lock);
    while (p->count > 0 || p->running > 0) {
        p->waiting_drainers++;
        pthread_cond_wait(&p->idle, &p->lock);
        p->waiting_drainers--;
    }
    pthread_mutex_unlock(&p->lock);
}

size_t wc_pool_waiting(const wc_pool *pool)
{
    return atomic_load_explicit(&pool->waiting, memory_order_relaxed);
}

unsigned wc_pool_threads(const wc_pool *pool)
{
    return pool->nthreads;
}

void wc_pool_free(wc_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->not_empty);
    pthread_cond_broadcast(&p->not_full);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->not_empty);
    pthread_cond_destroy(&p->not_full);
    pthread_cond_destroy(&p->idle);
    free(p->ring);
    free(p->threads);
    free(p);
}
