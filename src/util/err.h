/* err.h -- a message for the caller, written into the buffer it passed.
 *
 * The carrier of the layers that still answer with "-1 and a message" in
 * a caller's buffer (the plugin layer, the registry); util, engine and store
 * answer with a WC_E* code and a wc_error instead (util/error.h), which is
 * where those layers are going.  err may be NULL when err_size is 0. */
#ifndef WC_UTIL_ERR_H
#define WC_UTIL_ERR_H

#include <stddef.h>

/* Formats into err[0..err_size) (truncated, always terminated); returns -1
 * so that a caller can `return wc_err_set(...)`. */
int wc_err_set(char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
