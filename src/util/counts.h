/* counts.h -- counts by short string key (e.g. connections per client
 * address), for limits.  A key is forgotten when its count returns to 0,
 * so the table holds only keys in use.  Not thread-safe.
 */
#ifndef WC_UTIL_COUNTS_H
#define WC_UTIL_COUNTS_H

#include <stddef.h>

#include "util/error.h"

#define WC_COUNTS_KEY_MAX 64

typedef struct wc_counts wc_counts;

wc_counts *wc_counts_new(void);
void wc_counts_free(wc_counts *counts);
/* The key's count after adding delta (never below 0); WC_ENOMEM, or
 * WC_ETOOBIG for a key longer than WC_COUNTS_KEY_MAX. */
long wc_counts_add(wc_counts *counts, const char *key, long delta);
long wc_counts_get(const wc_counts *counts, const char *key);
/* Keys with a count above 0. */
size_t wc_counts_size(const wc_counts *counts);

#endif
