/* guest.h -- the native plugin ABI in plain C, for the test guests.
 *
 * No SDK on purpose: the tests check the ABI as docs/PLUGINS.md writes it.
 * A bump allocator over the heap (each call has a fresh instance, so it
 * never needs to free; guests using libc define GUEST_MALLOC), result
 * packing, and the wasmcap imports.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define IMPORT(name) __attribute__((import_module("wasmcap"), import_name(name)))
#define MANIFEST(file)                                                          \
    __asm__(".section .custom_section.wasmcap.manifest,\"\",@\n.incbin \"" file \
            "\"\n.section .text,\"\",@\n")

IMPORT("log") void wc_log(int level, const char *msg, int len);
IMPORT("config_get") int wc_config_get(const char *key, int len);
IMPORT("kv_get") int wc_kv_get(const char *key, int len);
IMPORT("kv_put") int wc_kv_put(const char *key, int len, const char *val, int val_len);
IMPORT("read_response") int wc_read_response(char *dst, int len);

#ifdef GUEST_MALLOC
/* Guests that use libc (which owns the heap) allocate with malloc. */
void *malloc(size_t size);
EXPORT("wasmcap_alloc") void *wasmcap_alloc(int size)
{
    return malloc(size ? (size_t)size : 1);
}
#else
extern unsigned char __heap_base;
static uintptr_t heap_top;

EXPORT("wasmcap_alloc") void *wasmcap_alloc(int size)
{
    if (!heap_top)
        heap_top = (uintptr_t)&__heap_base;
    uintptr_t p = (heap_top + 7) & ~(uintptr_t)7, end = p + (uint32_t)size;
    uintptr_t have = __builtin_wasm_memory_size(0) * 65536;
    if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (size_t)-1)
        return 0;
    heap_top = end;
    return (void *)p;
}
#endif

static inline int64_t result(const char *p, size_t len)
{
    return (int64_t)((uint64_t)(uintptr_t)p << 32 | (uint32_t)len);
}

static inline int64_t result_str(const char *s)
{
    return result(s, strlen(s));
}

/* s[0..n) + t, in a fresh buffer. */
static inline char *cat(const char *s, size_t n, const char *t)
{
    size_t m = strlen(t);
    char *out = wasmcap_alloc((int)(n + m + 1));
    memcpy(out, s, n);
    memcpy(out + n, t, m + 1);
    return out;
}

static inline int name_is(const char *name, int len, const char *want)
{
    return (size_t)len == strlen(want) && memcmp(name, want, (size_t)len) == 0;
}

/* The string value of "key" in a flat JSON object without escapes. */
static inline int json_str(const char *json, int len, const char *key, const char **val)
{
    size_t k = strlen(key);
    for (int i = 0; i + (int)k + 3 < len; i++) {
        if (json[i] == '"' && memcmp(json + i + 1, key, k) == 0 && json[i + 1 + k] == '"') {
            int j = i + (int)k + 2;
            while (j < len && (json[j] == ':' || json[j] == ' '))
                j++;
            if (j >= len || json[j] != '"')
                return -1;
            int start = ++j;
            while (j < len && json[j] != '"')
                j++;
            *val = json + start;
            return j - start;
        }
    }
    return -1;
}

#endif
