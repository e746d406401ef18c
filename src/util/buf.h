/* buf.h -- a growable byte buffer that remembers running out of memory.
 *
 * Appends never fail loudly: the first allocation failure sets `failed` and
 * later appends do nothing, so a writer checks once at the end.
 *
 * A buffer may start on a block the caller owns (usually on its stack) and
 * move to the heap only when it outgrows it: a JSON-RPC answer is written
 * this way, so the common small answer costs no allocation.  The block must
 * outlive the buffer and is never freed by it.
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
    uint8_t *block;    /* the caller's block, or NULL */
    size_t block_size;
} wc_buf;

void wc_buf_init(wc_buf *b);
/* Starts b on block[0..size) (size may be 0). */
void wc_buf_init_on(wc_buf *b, void *block, size_t size);
/* Frees what b allocated; b is then empty again, on its block if it has one. */
void wc_buf_free(wc_buf *b);
/* Empties b and clears failed, keeping its memory for the next text. */
void wc_buf_reset(wc_buf *b);
bool wc_buf_reserve(wc_buf *b, size_t extra);
void wc_buf_append(wc_buf *b, const void *data, size_t len);
void wc_buf_byte(wc_buf *b, uint8_t byte);
void wc_buf_uleb(wc_buf *b, uint64_t value);
void wc_buf_str(wc_buf *b, const char *s); /* without the NUL */
void wc_buf_printf(wc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* NUL-terminates (not counted in len) and returns data, or NULL if failed. */
char *wc_buf_cstr(wc_buf *b);

#endif
