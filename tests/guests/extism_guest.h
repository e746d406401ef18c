/* extism_guest.h -- Extism's kernel and hyper-mcp's host functions in plain
 * C, for the Extism test guests.
 *
 * Written from the import names and types of "extism:host/env" and
 * "extism:host/user" (docs/PLUGINS.md, "Extism plugins"), not from an
 * Extism PDK: the tests check the ABI itself.  Buffers are static (each
 * call has a fresh instance); blocks are moved eight bytes at a time as the
 * PDKs do, then byte by byte.
 */
#ifndef EXTISM_GUEST_H
#define EXTISM_GUEST_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define XENV(name) __attribute__((import_module("extism:host/env"), import_name(name)))
#define XUSER(name) __attribute__((import_module("extism:host/user"), import_name(name)))

XENV("alloc") uint64_t x_alloc(uint64_t len);
XENV("free") void x_free(uint64_t addr);
XENV("length") uint64_t x_length(uint64_t addr);
XENV("length_unsafe") uint64_t x_length_unsafe(uint64_t addr);
XENV("load_u8") uint32_t x_load_u8(uint64_t addr);
XENV("load_u64") uint64_t x_load_u64(uint64_t addr);
XENV("store_u8") void x_store_u8(uint64_t addr, uint32_t byte);
XENV("store_u64") void x_store_u64(uint64_t addr, uint64_t word);
XENV("input_offset") uint64_t x_input_offset(void);
XENV("input_length") uint64_t x_input_length(void);
XENV("input_load_u8") uint32_t x_input_load_u8(uint64_t offset);
XENV("input_load_u64") uint64_t x_input_load_u64(uint64_t offset);
XENV("output_set") void x_output_set(uint64_t addr, uint64_t len);
XENV("error_set") void x_error_set(uint64_t addr);
XENV("config_get") uint64_t x_config_get(uint64_t key);
XENV("var_get") uint64_t x_var_get(uint64_t key);
XENV("var_set") void x_var_set(uint64_t key, uint64_t value);
XENV("http_request") uint64_t x_http_request(uint64_t req, uint64_t body);
XENV("http_status_code") int32_t x_http_status_code(void);
XENV("http_headers") uint64_t x_http_headers(void);
XENV("log_trace") void x_log_trace(uint64_t addr);
XENV("log_debug") void x_log_debug(uint64_t addr);
XENV("log_info") void x_log_info(uint64_t addr);
XENV("log_warn") void x_log_warn(uint64_t addr);
XENV("log_error") void x_log_error(uint64_t addr);
XENV("get_log_level") int32_t x_get_log_level(void);

#define BUF_MAX (16u << 10)

/* A new block holding n bytes of p. */
static inline uint64_t x_store(const void *p, size_t n)
{
    uint64_t a = x_alloc(n);
    if (!a)
        return 0;
    const uint8_t *s = p;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        x_store_u64(a + i, w);
    }
    for (; i < n; i++)
        x_store_u8(a + i, s[i]);
    return a;
}

static inline uint64_t x_store_str(const char *s) { return x_store(s, strlen(s)); }

/* Up to max bytes of the block at a into dst (NUL-terminated); its length. */
static inline size_t x_load(uint64_t a, char *dst, size_t max)
{
    size_t n = (size_t)x_length(a), i = 0;
    if (n >= max)
        n = max - 1;
    for (; i + 8 <= n; i += 8) {
        uint64_t w = x_load_u64(a + i);
        memcpy(dst + i, &w, 8);
    }
    for (; i < n; i++)
        dst[i] = (char)x_load_u8(a + i);
    dst[n] = 0;
    return n;
}

static char input_buf[BUF_MAX];

/* The input, NUL-terminated. */
static inline size_t x_input(void)
{
    size_t n = (size_t)x_input_length(), i = 0;
    if (n >= BUF_MAX)
        n = BUF_MAX - 1;
    for (; i + 8 <= n; i += 8) {
        uint64_t w = x_input_load_u64(i);
        memcpy(input_buf + i, &w, 8);
    }
    for (; i < n; i++)
        input_buf[i] = (char)x_input_load_u8(i);
    input_buf[n] = 0;
    return n;
}

static inline void x_output(const char *s)
{
    size_t n = strlen(s);
    x_output_set(x_store(s, n), n);
}

static inline void x_fail(const char *msg) { x_error_set(x_store_str(msg)); }

/* Just past "key": in the JSON text (the tests' keys are unique), or NULL. */
static inline const char *json_at(const char *json, const char *key)
{
    char pat[64];
    size_t k = strlen(key);
    if (k + 4 > sizeof pat)
        return NULL;
    pat[0] = '"';
    memcpy(pat + 1, key, k);
    memcpy(pat + 1 + k, "\":", 3);
    const char *p = strstr(json, pat);
    return p ? p + k + 3 : NULL;
}

/* The string value of "key", copied into out (no escapes are read: the
 * tests' values have none).  0 when absent. */
static inline int json_str(const char *json, const char *key, char *out, size_t max)
{
    const char *p = json_at(json, key);
    if (!p || *p++ != '"')
        return 0;
    size_t i = 0;
    while (p[i] && p[i] != '"' && i + 1 < max) {
        out[i] = p[i];
        i++;
    }
    out[i] = 0;
    return 1;
}

/* Appends s to out (of capacity max) as JSON string content. */
static inline size_t json_escape(char *out, size_t len, size_t max, const char *s)
{
    for (; *s && len + 7 < max; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            out[len++] = '\\';
            out[len++] = (char)ch;
        } else if (ch < 0x20) {
            static const char hex[] = "0123456789abcdef";
            memcpy(out + len, "\\u00", 4);
            out[len + 4] = hex[ch >> 4];
            out[len + 5] = hex[ch & 15];
            len += 6;
        } else {
            out[len++] = (char)ch;
        }
    }
    out[len] = 0;
    return len;
}

static char out_buf[BUF_MAX];

/* Outputs a CallToolResult with one text block. */
static inline void x_text_result(const char *text, int is_error)
{
    size_t n = 0;
    const char *head = "{\"content\":[{\"type\":\"text\",\"text\":\"";
    memcpy(out_buf, head, strlen(head));
    n = strlen(head);
    n = json_escape(out_buf, n, BUF_MAX - 40, text);
    const char *tail = is_error ? "\"}],\"isError\":true}" : "\"}]}";
    memcpy(out_buf + n, tail, strlen(tail) + 1);
    x_output(out_buf);
}

static inline void u64_text(uint64_t v, char *out)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = 0;
}

#endif
