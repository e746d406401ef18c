/* err.h -- a message for the caller, written into the buffer it passed.
 *
 * Layers that answer with "-1 and a message" (the plugin layer, the
 * registry) share this one writer.  err may be NULL when err_size is 0. */
#ifndef WC_UTIL_ERR_H
#define WC_UTIL_ERR_H

#include <stddef.h>

/* Formats into err[0..err_size) (truncated, always terminated); returns -1
 * so that a caller can `return wc_err_set(...)`. */
int wc_err_set(char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
