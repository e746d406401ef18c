/* watchdog.c -- deadline thread for running calls.
 *
 * Arming and disarming are on every call's path, so they never wake the
 * thread unless the new deadline is earlier than the time it already sleeps
 * until.  A disarmed head is not worth a wake-up either: the thread wakes at
 * its old time, finds nothing due, and sleeps until the next deadline. */
#include "engine/watchdog.h"

#include <errno.h>
#include <time.h>

void wc_watchdog_init(wc_watchdog *wd)
{
    pthread_mutex_init(&wd->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&wd->wake, &attr);
    pthread_condattr_destroy(&attr);
    wd->running = wd->stopping = false;
    wd->head = NULL;
    wd->sleep_until = UINT64_MAX;
}

static void unlink_watch(wc_watchdog *wd, wc_watch *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        wd->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
    w->armed = false;
}

static void *watchdog_main(void *arg)
{
    wc_watchdog *wd = arg;
    pthread_mutex_lock(&wd->lock);
    while (!wd->stopping) {
        uint64_t now = wc_monotonic_ns();
        while (wd->head && wd->head->deadline_ns <= now) {
            wc_watch *w = wd->head;
            *w->flag = w->value;
            unlink_watch(wd, w);
        }
        if (!wd->head) {
            wd->sleep_until = UINT64_MAX;
            pthread_cond_wait(&wd->wake, &wd->lock);
        } else {
            uint64_t at = wd->head->deadline_ns;
            wd->sleep_until = at;
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
}

int wc_watchdog_arm(wc_watchdog *wd, wc_watch *w, volatile uint32_t *flag, uint32_t value,
                    uint32_t timeout_ms)
{
    w->deadline_ns = wc_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
    w->flag = flag;
    w->value = value;
    pthread_mutex_lock(&wd->lock);
    if (!wd->running) {
        if (pthread_create(&wd->thread, NULL, watchdog_main, wd) != 0) {
            pthread_mutex_unlock(&wd->lock);
            return -1;
        }
        wd->running = true;
    }
    wc_watch *prev = NULL, *at = wd->head;
    while (at && at->deadline_ns <= w->deadline_ns) {
        prev = at;
        at = at->next;
    }
    w->prev = prev;
    w->next = at;
    if (at)
        at->prev = w;
    if (prev)
        prev->next = w;
    else
        wd->head = w;
    w->armed = true;
    if (w->deadline_ns < wd->sleep_until) {
        wd->sleep_until = w->deadline_ns; /* one signal, even if many arm now */
        pthread_cond_signal(&wd->wake);
    }
    pthread_mutex_unlock(&wd->lock);
    return 0;
}

void wc_watchdog_disarm(wc_watchdog *wd, wc_watch *w)
{
    pthread_mutex_lock(&wd->lock);
    if (w->armed)
        unlink_watch(wd, w);
    pthread_mutex_unlock(&wd->lock);
}
