/* clock.h -- the monotonic clock, in the units its callers count in:
 * deadlines, timeouts, latencies. */
#ifndef WC_UTIL_CLOCK_H
#define WC_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

uint64_t wc_monotonic_ns(void);
uint64_t wc_monotonic_ms(void);
/* The kernel's tick-resolution clock (a few ms): cheaper, for timers that
 * are checked on every event of a busy loop. */
uint64_t wc_monotonic_coarse_ms(void);
/* The wall-clock time now as "2026-11-22T01:02:03.456Z" (UTC, ms): 24
 * characters and a NUL into out. */
void wc_utc_timestamp(char out[25]);
/* A CLOCK_MONOTONIC time timeout_ms from now, never early. */
uint64_t wc_monotonic_deadline_ns(uint32_t timeout_ms);
/* The same as a struct timespec, for pthread_cond_timedwait on a
 * condition variable made with CLOCK_MONOTONIC. */
struct timespec wc_monotonic_deadline_timespec(uint32_t timeout_ms);

#endif
