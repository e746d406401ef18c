/* watchdog.h -- sets interrupt flags when calls pass their deadlines.
 *
 * One thread per engine, started on first use, sleeping until the earliest
 * armed deadline.  Armed watches live in lists sharded by the arming
 * thread, each under a lock of its own, so arming and disarming on the
 * path of every call take a lock no other worker touches; they wake the
 * thread only when the new deadline is earlier than the time it sleeps
 * until.  After disarm returns the watchdog will not touch the flag again,
 * so the instance may be freed.
 */
#ifndef WC_ENGINE_WATCHDOG_H
#define WC_ENGINE_WATCHDOG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/clock.h" /* wc_monotonic_ns */
#include "util/shard.h"

#define WC_WATCHDOG_SHARDS WC_SHARDS

typedef struct wc_watch_shard wc_watch_shard;

typedef struct wc_watch {
    uint64_t deadline_ns; /* CLOCK_MONOTONIC */
    volatile uint32_t *flag;
    uint32_t value; /* written to *flag at the deadline */
    struct wc_watch *prev, *next;
    wc_watch_shard *shard; /* where it is armed */
    bool armed;
} wc_watch;

struct wc_watch_shard {
    pthread_mutex_t lock;
    wc_watch *head, *tail; /* armed watches, earliest deadline first */
} __attribute__((aligned(64)));

typedef struct wc_watchdog {
    wc_watch_shard shards[WC_WATCHDOG_SHARDS];
    pthread_mutex_t lock; /* the thread's own: start, sleep, wake, stop */
    pthread_cond_t wake;
    pthread_t thread;
    _Atomic bool running; /* set once, under lock */
    bool stopping;
    /* When the thread wakes by itself (UINT64_MAX: never).  Arming an
     * earlier deadline wakes it; while it scans this is UINT64_MAX, so an
     * arm it may have missed always wakes it. */
    _Atomic uint64_t sleep_until;
} wc_watchdog;

void wc_watchdog_init(wc_watchdog *wd);
void wc_watchdog_destroy(wc_watchdog *wd); /* joins the thread */
/* Returns 0, or the -errno of a watchdog thread that could not start. */
int wc_watchdog_arm(wc_watchdog *wd, wc_watch *w, volatile uint32_t *flag, uint32_t value,
                    uint32_t timeout_ms);
/* The same, at a CLOCK_MONOTONIC time (another call's deadline). */
int wc_watchdog_arm_at(wc_watchdog *wd, wc_watch *w, volatile uint32_t *flag, uint32_t value,
                       uint64_t deadline_ns);
void wc_watchdog_disarm(wc_watchdog *wd, wc_watch *w);

#endif
