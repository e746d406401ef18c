/* progress.h -- a progress line on the terminal for long operations. */
#ifndef WC_CLI_PROGRESS_H
#define WC_CLI_PROGRESS_H

typedef struct wc_progress wc_progress;

/* Starts showing "LABEL | 1.2 s" on stderr, redrawn every 100 ms from a
 * thread, once the operation has taken 300 ms (quick ones print nothing).
 * Returns NULL, and shows nothing, when stderr is not a terminal. */
wc_progress *wc_progress_start(const char *label);
/* Stops and erases the line; NULL is allowed. */
void wc_progress_stop(wc_progress *progress);

#endif
