/* buf.h -- a growable byte buffer that remembers running out of memory.
 *
 * Appends never fail loudly: the first allocation failure sets `failed` and
 * later appends do nothing, so a writer checks once at the end.
 */
#ifndef WC_UTIL_BUF_H
#define WC_UTIL_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wc_buf {
    uint8_t *data;
    size_t len, cap;
    bool failed;
} wc_buf;

void wc_buf_init(wc_buf *b);
void wc_buf_free(wc_buf *b);
bool wc_buf_reserve(wc_buf *b, size_t extra);
void wc_buf_append(wc_buf *b, const void *data, size_t len);
void wc_buf_byte(wc_buf *b, uint8_t byte);
void wc_buf_uleb(wc_buf *b, uint64_t value);
void wc_buf_str(wc_buf *b, const char *s); /* without the NUL */
void wc_buf_printf(wc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* NUL-terminates (not counted in len) and returns data, or NULL if failed. */
char *wc_buf_cstr(wc_buf *b);

#endif
