/* progress.h -- a progress line on the terminal for long operations. */
#ifndef WC_CLI_PROGRESS_H
#define WC_CLI_PROGRESS_H

#include <stdint.h>

typedef struct wc_progress wc_progress;

/* Starts showing "LABEL | 1.2 s" on stderr, redrawn every 100 ms from a
 * thread, once the operation has taken 300 ms (quick ones print nothing).
 * Returns NULL, and shows nothing, when stderr is not a terminal. */
wc_progress *wc_progress_start(const char *label);
/* A transfer's progress (fetch/source.h's callback, progress as ctx): the
 * line becomes a bar of done out of total bytes (a count when total is 0).
 * NULL is allowed. */
void wc_progress_transfer(void *progress, const char *what, uint64_t done, uint64_t total);
/* Stops and erases the line; NULL is allowed. */
void wc_progress_stop(wc_progress *progress);

#endif
