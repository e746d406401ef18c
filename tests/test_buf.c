/* test_buf.c -- the byte buffer (util/buf.h) on the heap and on a caller's
 * block, and the array growth under it (util/grow.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util/buf.h"
#include "util/grow.h"

/* Appends bytes counting up from `from` (mod 251), n of them. */
static void append_pattern(wc_buf *b, size_t from, size_t n)
{
    for (size_t i = 0; i < n; i++)
        wc_buf_byte(b, (uint8_t)((from + i) % 251));
}

static bool holds_pattern(const wc_buf *b, size_t n)
{
    if (b->len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (b->data[i] != (uint8_t)(i % 251))
            return false;
    return true;
}

static void test_heap(void)
{
    wc_buf b;
    wc_buf_init(&b);
    CHECK(!b.data && b.len == 0 && b.cap == 0 && !b.failed, "an empty buffer allocates nothing");
    wc_buf_str(&b, "abc");
    wc_buf_printf(&b, "-%d-", 42);
    CHECK(b.cap == 256, "first heap capacity %zu", b.cap);
    char *s = wc_buf_cstr(&b);
    CHECK(s && strcmp(s, "abc-42-") == 0 && b.len == 7, "text: %s", s ? s : "(null)");

    /* a printf longer than its stack scratch */
    char wide[600];
    memset(wide, 'w', sizeof wide - 1);
    wide[sizeof wide - 1] = 0;
    wc_buf_printf(&b, "%s|", wide);
    CHECK(b.len == 7 + 600 && b.data[b.len - 1] == '|' && b.data[7] == 'w', "long printf");

    wc_buf_reset(&b);
    CHECK(b.len == 0 && !b.failed && b.data && b.cap >= 608, "reset keeps the memory");
    wc_buf_uleb(&b, 624485);
    CHECK(b.len == 3 && b.data[0] == 0xe5 && b.data[1] == 0x8e && b.data[2] == 0x26, "uleb");
    wc_buf_free(&b);
    CHECK(!b.data && b.len == 0 && b.cap == 0, "freed");
}

static void test_large_appends(void)
{
    wc_buf b;
    wc_buf_init(&b);
    append_pattern(&b, 0, 100000);
    CHECK(!b.failed && holds_pattern(&b, 100000), "100000 single bytes");
    CHECK(b.cap >= b.len + 1 && (b.cap & (b.cap - 1)) == 0, "capacity %zu a power of two", b.cap);
    wc_buf_free(&b);

    size_t big = 3u << 20;
    uint8_t *chunk = malloc(big);
    CHECK(chunk != NULL, "malloc");
    if (!chunk)
        return;
    for (size_t i = 0; i < big; i++)
        chunk[i] = (uint8_t)(i % 251);
    wc_buf_init(&b);
    wc_buf_str(&b, "x");
    b.len = 0; /* a heap buffer with data, emptied by hand as callers do */
    wc_buf_append(&b, chunk, big);
    CHECK(!b.failed && holds_pattern(&b, big) && b.cap >= big + 1, "one append of 3 MiB");
    wc_buf_append(&b, chunk + big - 10, 10);
    CHECK(b.len == big + 10 && memcmp(b.data + big, chunk + big - 10, 10) == 0,
          "appended after a large append");
    wc_buf_free(&b);
    free(chunk);
}

static void test_block(void)
{
    uint8_t block[64];
    wc_buf b;
    wc_buf_init_on(&b, block, sizeof block);
    CHECK(b.data == block && b.cap == sizeof block && b.len == 0, "starts on the block");
    append_pattern(&b, 0, 63); /* 63 bytes and wc_buf_cstr's NUL fill it */
    CHECK(b.data == block && holds_pattern(&b, 63), "a full block needs no allocation");
    char *s = wc_buf_cstr(&b);
    CHECK(s == (char *)block && block[63] == 0, "NUL-terminated on the block");

    append_pattern(&b, 63, 1);
    /* from a small block, at least the first heap capacity */
    CHECK(b.data != block && b.cap == 256 && holds_pattern(&b, 64),
          "one byte more: on the heap, the block's bytes copied (capacity %zu)", b.cap);
    append_pattern(&b, 64, 1000);
    CHECK(!b.failed && holds_pattern(&b, 1064) && b.cap == 2048, "grows on the heap (%zu)", b.cap);

    wc_buf_reset(&b);
    CHECK(b.data != block && b.len == 0, "reset stays on the heap");
    wc_buf_free(&b);
    CHECK(b.data == block && b.cap == sizeof block && b.len == 0 && !b.failed,
          "free returns to the block");
    wc_buf_str(&b, "again");
    CHECK(b.data == block && b.len == 5 && memcmp(block, "again", 5) == 0, "reused after free");
    wc_buf_free(&b);

    /* a block too small for anything moves at the first byte */
    uint8_t tiny[1];
    wc_buf_init_on(&b, tiny, sizeof tiny);
    wc_buf_byte(&b, 'z');
    CHECK(b.data != tiny && b.cap == 256 && b.len == 1 && b.data[0] == 'z',
          "a one-byte block (capacity %zu)", b.cap);
    wc_buf_free(&b);
    CHECK(b.data == tiny, "back on the tiny block");

    /* no block at all: the same as wc_buf_init */
    wc_buf_init_on(&b, NULL, 100);
    CHECK(!b.data && b.cap == 0, "a NULL block is no block");
    wc_buf_str(&b, "heap");
    CHECK(b.len == 4 && b.cap == 256, "then the heap");
    wc_buf_free(&b);
}

static void test_overflow(void)
{
    uint8_t block[16];
    wc_buf b;
    wc_buf_init_on(&b, block, sizeof block);
    wc_buf_str(&b, "keep");
    CHECK(!wc_buf_reserve(&b, SIZE_MAX) && b.failed, "SIZE_MAX more bytes refused");
    CHECK(b.data == block && b.len == 4, "the buffer is left as it was");
    wc_buf_str(&b, "more");
    CHECK(b.len == 4 && !wc_buf_cstr(&b), "a failed buffer takes nothing more");
    wc_buf_reset(&b);
    CHECK(!b.failed && wc_buf_reserve(&b, 8), "reset clears failed");
    CHECK(!wc_buf_reserve(&b, SIZE_MAX / 2 + 2) && b.failed, "half the address space refused");
    wc_buf_free(&b);

    wc_buf_init(&b);
    wc_buf_str(&b, "x");
    CHECK(!wc_buf_reserve(&b, SIZE_MAX - 1) && b.failed && b.len == 1, "len + extra overflows");
    wc_buf_free(&b);
}

static void test_grow(void)
{
    int *items = NULL;
    size_t cap = 0;
    CHECK(wc_grow((void **)&items, &cap, 1, sizeof *items) && cap == WC_GROW_FIRST && items,
          "first capacity %zu", cap);
    for (int i = 0; i < 16; i++)
        items[i] = i;
    int *before = items;
    CHECK(wc_grow((void **)&items, &cap, 16, sizeof *items) && cap == 16 && items == before,
          "enough room: nothing moves");
    CHECK(wc_grow((void **)&items, &cap, 17, sizeof *items) && cap == 32 && items[15] == 15,
          "doubles, keeping the items (%zu)", cap);
    CHECK(wc_grow((void **)&items, &cap, 1000, sizeof *items) && cap == 1024,
          "doubles until it fits (%zu)", cap);
    CHECK(!wc_grow((void **)&items, &cap, SIZE_MAX / 2, sizeof *items) && cap == 1024 &&
              items[15] == 15,
          "a count whose bytes overflow is refused, the array untouched");
    CHECK(!wc_grow((void **)&items, &cap, SIZE_MAX, 1) && cap == 1024, "SIZE_MAX refused");
    free(items);

    char *huge = NULL;
    size_t huge_cap = 0;
    CHECK(!wc_grow((void **)&huge, &huge_cap, 1, SIZE_MAX / 8) && !huge && huge_cap == 0,
          "a first capacity of huge items is refused");
    CHECK(!wc_grow((void **)&huge, &huge_cap, 1, 0), "items of no size are refused");

    /* a larger first allocation, asked for as need, keeps powers of two */
    size_t bytes_cap = 0;
    char *bytes = NULL;
    CHECK(wc_grow((void **)&bytes, &bytes_cap, 1024, 1) && bytes_cap == 1024, "floor 1024");
    CHECK(wc_grow((void **)&bytes, &bytes_cap, 1025, 1) && bytes_cap == 2048, "then 2048");
    free(bytes);
}

int main(void)
{
    test_heap();
    test_large_appends();
    test_block();
    test_overflow();
    test_grow();
    if (failures)
        return 1;
    printf("test_buf: all %d checks passed\n", checks);
    return 0;
}
