/* watchdog.h -- sets interrupt flags when calls pass their deadlines.
 *
 * One thread per engine, started on first use, sleeping until the earliest
 * armed deadline.  Arming and disarming take a lock but never wake the
 * thread unless the new deadline is the earliest; after disarm returns the
 * watchdog will not touch the flag again, so the instance may be freed.
 */
#ifndef WC_ENGINE_WATCHDOG_H
#define WC_ENGINE_WATCHDOG_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/clock.h" /* wc_monotonic_ns */

typedef struct wc_watch {
    uint64_t deadline_ns; /* CLOCK_MONOTONIC */
    volatile uint32_t *flag;
    uint32_t value; /* written to *flag at the deadline */
    struct wc_watch *prev, *next;
    bool armed;
} wc_watch;

typedef struct wc_watchdog {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool running, stopping;
    wc_watch *head; /* armed watches, earliest deadline first */
    uint64_t sleep_until; /* when the thread wakes by itself; UINT64_MAX: never */
} wc_watchdog;

void wc_watchdog_init(wc_watchdog *wd);
void wc_watchdog_destroy(wc_watchdog *wd); /* joins the thread */
/* Returns 0, or -1 if the watchdog thread could not be started. */
int wc_watchdog_arm(wc_watchdog *wd, wc_watch *w, volatile uint32_t *flag, uint32_t value,
                    uint32_t timeout_ms);
void wc_watchdog_disarm(wc_watchdog *wd, wc_watch *w);


#endif
