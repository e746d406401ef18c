/* clock.c -- CLOCK_MONOTONIC and CLOCK_MONOTONIC_COARSE, and the wall
 * clock's UTC timestamps. */
#include "util/clock.h"

#include <stdio.h>
#include <time.h>

uint64_t wc_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t wc_monotonic_ms(void)
{
    return wc_monotonic_ns() / 1000000ull;
}

uint64_t wc_monotonic_coarse_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000ull + (uint64_t)ts.tv_nsec / 1000000ull;
}

/* From the precise clock: on a tickless kernel the coarse clock was seen
 * lagging by more than its stated resolution (6 ms against 4 ms here), so a
 * deadline derived from it fired early. */
uint64_t wc_monotonic_deadline_ns(uint32_t timeout_ms)
{
    return wc_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
}

struct timespec wc_monotonic_deadline_timespec(uint32_t timeout_ms)
{
    uint64_t ns = wc_monotonic_deadline_ns(timeout_ms);
    return (struct timespec){.tv_sec = (time_t)(ns / 1000000000u),
                             .tv_nsec = (long)(ns % 1000000000u)};
}

void wc_utc_timestamp(char out[25])
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    /* every field is cut to its width, so the text is 24 characters for
     * any time the system can hold */
    snprintf(out, 25, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ",
             (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u,
             (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
             (unsigned)tm.tm_sec % 100u, (unsigned)(now.tv_nsec / 1000000) % 1000u);
}
