/* watch.h -- files watched through their directories (inotify), bursts of
 * changes coalesced into one callback.
 *
 * A directory is watched rather than the file, so that what editors and
 * deploy tools do is seen: a save that writes a temporary file and renames
 * it over the old one (a new inode, which a watch on the file would miss),
 * an atomic replace, a delete and re-create, as well as a write in place.
 * Events on other names in a watched directory are ignored.
 *
 * The callback runs on the watcher's own thread once no watched file has
 * changed for quiet_ms (a burst of 100 writes is one call); it should hand
 * the work on and return.  A kernel queue overflow counts as a change.
 */
#ifndef WC_UTIL_WATCH_H
#define WC_UTIL_WATCH_H

#include <stddef.h>

#include "util/error.h"

/* The most files one watcher follows; wc_watch_set refuses more. */
#define WC_WATCH_MAX_FILES 4096

typedef void (*wc_watch_fn)(void *ctx);
typedef struct wc_watch wc_watch;

/* Starts the watcher thread (nothing watched yet). */
int wc_watch_new(unsigned quiet_ms, wc_watch_fn fn, void *ctx, wc_watch **out, wc_error *err);
/* Watches exactly paths[0..n) from now on (relative paths from the
 * working directory).  A directory that cannot be watched (missing, no
 * permission, the system's inotify limit) is an error naming it; the
 * others are watched all the same.  Thread-safe. */
int wc_watch_set(wc_watch *watch, const char *const *paths, size_t n, wc_error *err);
/* Events on watched names seen, and callbacks made (for tests). */
void wc_watch_counts(wc_watch *watch, unsigned long long *events, unsigned long long *calls);
/* Stops the thread (waiting for a callback running) and frees. */
void wc_watch_free(wc_watch *watch);

#endif
