/* reload_counts.h -- process-wide counts of hot reloads for /metrics:
 * reloads attempted and those that failed (a config that did not load, or
 * a plugin that did not, its old version kept).  Thread-safe, lock-free.
 */
#ifndef WC_UTIL_RELOAD_COUNTS_H
#define WC_UTIL_RELOAD_COUNTS_H

#include <stdbool.h>

#include "util/buf.h"

/* One reload ended: failed says whether anything of it did not apply. */
void wc_reload_counts_add(bool failed);
void wc_reload_counts_get(unsigned long long *total, unsigned long long *failed);
/* Appends wasmcap_reloads_total and wasmcap_reloads_failed_total. */
void wc_reload_counts_render(wc_buf *out);

#endif
