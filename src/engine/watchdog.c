/* watchdog.c -- deadline thread for running calls.
 *
 * Every call arms and disarms a watch, from several workers at once: one
 * shared lock there was the most contended lock of a busy server.  So the
 * armed watches are kept in shards, one per arming thread in the usual
 * case, and the thread's own lock is taken on a call's path only to wake
 * it for an earlier deadline than the one it sleeps until.  A disarmed
 * watch is not worth a wake-up either: the thread wakes at its old time,
 * finds nothing due, and sleeps until the next deadline.
 *
 * No arm is missed: the thread publishes sleep_until = UINT64_MAX before it
 * scans the shards and the time it will wake after, while an arm inserts
 * under its shard's lock before it reads sleep_until.  Either the scan sees
 * the new watch, or the arm sees a time no earlier than the scan began and
 * wakes the thread when its deadline comes first.
 */
#include "engine/watchdog.h"

#include <errno.h>
#include <time.h>

/* This thread's shard: threads take them in turn, so workers rarely share. */
static wc_watch_shard *own_shard(wc_watchdog *wd)
{
    return &wd->shards[wc_thread_shard()];
}

void wc_watchdog_init(wc_watchdog *wd)
{
    for (int i = 0; i < WC_WATCHDOG_SHARDS; i++) {
        pthread_mutex_init(&wd->shards[i].lock, NULL);
        wd->shards[i].head = wd->shards[i].tail = NULL;
    }
    pthread_mutex_init(&wd->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&wd->wake, &attr);
    pthread_condattr_destroy(&attr);
    atomic_init(&wd->running, false);
    wd->stopping = false;
    atomic_init(&wd->sleep_until, UINT64_MAX);
}

/* Shard lock held. */
static void unlink_watch(wc_watch_shard *sh, wc_watch *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        sh->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        sh->tail = w->prev;
    w->prev = w->next = NULL;
    w->armed = false;
}

/* Fires what is due in one shard; returns its earliest deadline left. */
static uint64_t fire_due(wc_watch_shard *sh, uint64_t now)
{
    pthread_mutex_lock(&sh->lock);
    while (sh->head && sh->head->deadline_ns <= now) {
        wc_watch *w = sh->head;
        *w->flag = w->value;
        unlink_watch(sh, w);
    }
    uint64_t next = sh->head ? sh->head->deadline_ns : UINT64_MAX;
    pthread_mutex_unlock(&sh->lock);
    return next;
}

static void *watchdog_main(void *arg)
{
    wc_watchdog *wd = arg;
    pthread_mutex_lock(&wd->lock);
    while (!wd->stopping) {
        atomic_store(&wd->sleep_until, UINT64_MAX);
        uint64_t now = wc_monotonic_ns(), at = UINT64_MAX;
        for (int i = 0; i < WC_WATCHDOG_SHARDS; i++) {
            uint64_t next = fire_due(&wd->shards[i], now);
            if (next < at)
                at = next;
        }
        if (at == UINT64_MAX) {
            pthread_cond_wait(&wd->wake, &wd->lock);
        } else {
            atomic_store(&wd->sleep_until, at);
            struct timespec ts = {.tv_sec = (time_t)(at / 1000000000ull),
                                  .tv_nsec = (long)(at % 1000000000ull)};
            pthread_cond_timedwait(&wd->wake, &wd->lock, &ts);
        }
    }
    pthread_mutex_unlock(&wd->lock);
    return NULL;
}

void wc_watchdog_destroy(wc_watchdog *wd)
{
    pthread_mutex_lock(&wd->lock);
    wd->stopping = true;
    bool running = wd->running;
    pthread_cond_signal(&wd->wake);
    pthread_mutex_unlock(&wd->lock);
    if (running)
        pthread_join(wd->thread, NULL);
    pthread_cond_destroy(&wd->wake);
    pthread_mutex_destroy(&wd->lock);
    for (int i = 0; i < WC_WATCHDOG_SHARDS; i++)
        pthread_mutex_destroy(&wd->shards[i].lock);
}

static int start_thread(wc_watchdog *wd)
{
    int rc = 0;
    pthread_mutex_lock(&wd->lock);
    if (!wd->running) {
        rc = -pthread_create(&wd->thread, NULL, watchdog_main, wd);
        if (rc == 0)
            wd->running = true;
    }
    pthread_mutex_unlock(&wd->lock);
    return rc;
}

int wc_watchdog_arm(wc_watchdog *wd, wc_watch *w, volatile uint32_t *flag, uint32_t value,
                    uint32_t timeout_ms)
{
    return wc_watchdog_arm_at(wd, w, flag, value, wc_monotonic_deadline_ns(timeout_ms));
}

int wc_watchdog_arm_at(wc_watchdog *wd, wc_watch *w, volatile uint32_t *flag, uint32_t value,
                       uint64_t deadline_ns)
{
    if (!atomic_load_explicit(&wd->running, memory_order_acquire)) {
        int rc = start_thread(wd);
        if (rc != 0)
            return rc;
    }
    w->deadline_ns = deadline_ns;
    w->flag = flag;
    w->value = value;
    wc_watch_shard *sh = own_shard(wd);
    pthread_mutex_lock(&sh->lock);
    /* Deadlines mostly come in order: search from the latest. */
    wc_watch *prev = sh->tail;
    while (prev && prev->deadline_ns > w->deadline_ns)
        prev = prev->prev;
    wc_watch *next = prev ? prev->next : sh->head;
    w->prev = prev;
    w->next = next;
    if (next)
        next->prev = w;
    else
        sh->tail = w;
    if (prev)
        prev->next = w;
    else
        sh->head = w;
    w->shard = sh;
    w->armed = true;
    pthread_mutex_unlock(&sh->lock);

    if (w->deadline_ns < atomic_load(&wd->sleep_until)) {
        pthread_mutex_lock(&wd->lock);
        if (w->deadline_ns < atomic_load(&wd->sleep_until)) {
            atomic_store(&wd->sleep_until, w->deadline_ns); /* one signal, even if many arm */
            pthread_cond_signal(&wd->wake);
        }
        pthread_mutex_unlock(&wd->lock);
    }
    return 0;
}

void wc_watchdog_disarm(wc_watchdog *wd, wc_watch *w)
{
    (void)wd;
    wc_watch_shard *sh = w->shard;
    if (!sh)
        return;
    pthread_mutex_lock(&sh->lock);
    if (w->armed)
        unlink_watch(sh, w);
    pthread_mutex_unlock(&sh->lock);
}
