/* pool.h -- a fixed set of worker threads taking tasks from a bounded queue.
 *
 * The protocol layer runs plugin calls here so a slow call never holds up
 * the reader of a session and calls answer out of order.  The queue is
 * bounded: a producer that finds it full waits, which pushes back on a
 * client that sends faster than the plugins can answer.  Tasks start in the
 * order they were submitted (with one thread they also finish in it).
 */
#ifndef WC_UTIL_POOL_H
#define WC_UTIL_POOL_H

#include <stddef.h>

#include "util/error.h"

typedef struct wc_pool wc_pool;
typedef void (*wc_pool_fn)(void *arg);

/* threads 0: the number of online CPUs; queue_size 0: 256 per thread.
 * Returns 0, WC_ENOMEM, or the -errno of a thread that could not start. */
int wc_pool_new(unsigned threads, size_t queue_size, wc_pool **out);
/* Queues fn(arg), waiting while the queue is full.  Returns 0, or
 * WC_ECANCELED once the pool is being freed (fn is then not run). */
int wc_pool_submit(wc_pool *pool, wc_pool_fn fn, void *arg);
/* Queues fn(args[0]) ... fn(args[n - 1]) in that order, as many at a time
 * as there is room for (one lock for a batch that fits instead of one a
 * task), waiting while the queue is full.  Returns how many were queued:
 * fewer than n only once the pool is being freed (the rest are not run). */
size_t wc_pool_submit_many(wc_pool *pool, wc_pool_fn fn, void *const *args, size_t n);
/* As wc_pool_submit, but returns WC_EAGAIN at once when the queue is full. */
int wc_pool_try_submit(wc_pool *pool, wc_pool_fn fn, void *arg);
/* Waits until every task submitted so far has finished. */
void wc_pool_drain(wc_pool *pool);
unsigned wc_pool_threads(const wc_pool *pool);
/* Tasks waiting for a thread, read without the lock: a hint that may be
 * stale by the time it is used (e.g. "more results are coming soon"). */
size_t wc_pool_waiting(const wc_pool *pool);
/* Runs every queued task, then stops and joins the threads. */
void wc_pool_free(wc_pool *pool);

#endif
