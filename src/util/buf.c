/* buf.c -- growable byte buffer, on the heap or starting on a caller's block. */
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/grow.h"

void wc_buf_init(wc_buf *b)
{
    memset(b, 0, sizeof *b);
}

void wc_buf_init_on(wc_buf *b, void *block, size_t size)
{
    *b = (wc_buf){.data = block, .cap = block ? size : 0, .block = block,
                  .block_size = block ? size : 0};
}

void wc_buf_free(wc_buf *b)
{
    if (b->data != b->block)
        free(b->data);
    wc_buf_init_on(b, b->block, b->block_size);
}

void wc_buf_reset(wc_buf *b)
{
    b->len = 0;
    b->failed = false;
}

/* A heap buffer starts at this many bytes: most texts built here are short. */
#define FIRST_HEAP 256

bool wc_buf_reserve(wc_buf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (extra >= SIZE_MAX - b->len) {
        b->failed = true;
        return false;
    }
    size_t need = b->len + extra + 1; /* +1: room for wc_buf_cstr's NUL */
    if (need <= b->cap)
        return true;
    bool on_block = b->data == b->block;
    void *heap = on_block ? NULL : b->data;
    size_t cap = b->cap;
    if (!wc_grow(&heap, &cap, need < FIRST_HEAP ? FIRST_HEAP : need, 1)) {
        b->failed = true;
        return false;
    }
    if (on_block && b->len)
        memcpy(heap, b->block, b->len);
    b->data = heap;
    b->cap = cap;
    return true;
}

void wc_buf_append(wc_buf *b, const void *data, size_t len)
{
    if (len == 0 || !wc_buf_reserve(b, len))
        return;
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

void wc_buf_byte(wc_buf *b, uint8_t byte)
{
    wc_buf_append(b, &byte, 1);
}

void wc_buf_uleb(wc_buf *b, uint64_t value)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        uint8_t byte = value & 0x7f;
        value >>= 7;
        tmp[n++] = byte | (value ? 0x80 : 0);
    } while (value);
    wc_buf_append(b, tmp, n);
}

void wc_buf_str(wc_buf *b, const char *s)
{
    wc_buf_append(b, s, strlen(s));
}

void wc_buf_printf(wc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        wc_buf_append(b, small, (size_t)n);
        return;
    }
    if (!wc_buf_reserve(b, (size_t)n + 1))
        return;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *wc_buf_cstr(wc_buf *b)
{
    if (!wc_buf_reserve(b, 0))
        return NULL;
    b->data[b->len] = 0;
    return (char *)b->data;
}
