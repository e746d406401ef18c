/* extism_kernel.c -- the Extism kernel: "extism:host/env" (extism.h).
 *
 * What each function does with an address that names no live block, or
 * an offset past its block, is what Extism's JavaScript host does
 * (call-context.ts), except that nothing ever reads host memory:
 *   load_u8, input_load_u8        no block: 0       past the end: trap
 *   load_u64, input_load_u64      no block: trap    past the end: trap
 *   store_u8, store_u64           no block: nothing past the end: trap
 *   length, length_unsafe         no block: 0 (the offset bits are ignored)
 *   free                          no block: nothing
 *   output_set, error_set         no block: trap (error_set(0) clears)
 *   config_get, var_get           no key block: 0
 *   var_set                       no key or value block: logged, nothing set
 *   log_*                         no block: logged
 * A var store over its limit sets the call's error (the call then fails
 * with it), as the JavaScript host does.  The Rust runtime differs in
 * alloc(0) (0 there, an empty block here as in JavaScript) and in output_set
 * (its length is kept here as there: the output is `length` bytes).
 */
#include "host/extism_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/log.h"
#include "util/utf8.h"

#define MAX_LOG_MESSAGE (64u << 10)
#define MAX_SERVER_LOG_MESSAGE 1800

static wc_trap past_end(wc_instance *caller, const char *fn, uint64_t addr, uint64_t size,
                        uint64_t len)
{
    wc_instance_set_trap_message(caller,
                                 "extism %s: address 0x%016llx (%llu bytes) is past the end of its "
                                 "block of %llu bytes", fn, (unsigned long long)addr,
                                 (unsigned long long)size, (unsigned long long)len);
    return WC_TRAP_HOST;
}

static wc_trap no_block(wc_instance *caller, const char *fn, uint64_t addr)
{
    wc_instance_set_trap_message(caller, "extism %s: address 0x%016llx names no live block", fn,
                                 (unsigned long long)addr);
    return WC_TRAP_HOST;
}

/* Whether size bytes at offset lie inside a block of len bytes. */
static bool inside(uint64_t offset, uint64_t size, uint64_t len)
{
    return offset <= len && size <= len - offset;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8); /* little-endian, as Wasm and x86 are */
    return v;
}

/* ---- memory -------------------------------------------------------------- */

static wc_trap k_alloc(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    EXTISM_ENTER("alloc");
    results[0].i64 = extism_address(wc_extism_block_new(c, NULL, args[0].i64));
    return WC_TRAP_NONE;
}

static wc_trap k_free(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    EXTISM_ENTER("free");
    wc_extism_block_free(c, args[0].i64);
    return WC_TRAP_NONE;
}

static wc_trap k_length(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    EXTISM_ENTER("length");
    wc_extism_block *b = wc_extism_block_at(c, args[0].i64);
    results[0].i64 = b ? b->len : 0;
    return WC_TRAP_NONE;
}

/* The size bytes at addr, or NULL: then *trap is WC_TRAP_HOST (with its
 * message) when the access stops the call, WC_TRAP_NONE when it is quietly
 * nothing (no block, and the function is one that takes that calmly). */
static uint8_t *at(wc_instance *caller, wc_extism_block *b, const char *fn, uint64_t addr,
                   uint64_t offset, uint64_t size, bool block_required, wc_trap *trap)
{
    *trap = WC_TRAP_NONE;
    if (!b) {
        if (block_required)
            *trap = no_block(caller, fn, addr);
        return NULL;
    }
    if (!inside(offset, size, b->len)) {
        *trap = past_end(caller, fn, addr, size, b->len);
        return NULL;
    }
    return b->data + offset;
}

static uint8_t *block_bytes(wc_instance *caller, wc_extism_call *c, const char *fn, uint64_t addr,
                            uint64_t size, bool block_required, wc_trap *trap)
{
    return at(caller, wc_extism_block_at(c, addr), fn, addr, extism_offset(addr), size,
              block_required, trap);
}

static wc_trap k_load_u8(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    EXTISM_ENTER("load_u8");
    wc_trap trap;
    const uint8_t *p = block_bytes(caller, c, "load_u8", args[0].i64, 1, false, &trap);
    results[0].i32 = p ? *p : 0;
    return trap;
}

static wc_trap k_load_u64(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    EXTISM_ENTER("load_u64");
    wc_trap trap;
    const uint8_t *p = block_bytes(caller, c, "load_u64", args[0].i64, 8, true, &trap);
    results[0].i64 = p ? get_u64(p) : 0;
    return trap;
}

static wc_trap k_store_u8(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    EXTISM_ENTER("store_u8");
    wc_trap trap;
    uint8_t *p = block_bytes(caller, c, "store_u8", args[0].i64, 1, false, &trap);
    if (p)
        *p = (uint8_t)args[1].i32;
    return trap;
}

static wc_trap k_store_u64(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    EXTISM_ENTER("store_u64");
    wc_trap trap;
    uint8_t *p = block_bytes(caller, c, "store_u64", args[0].i64, 8, false, &trap);
    uint64_t v = args[1].i64;
    if (p)
        memcpy(p, &v, 8);
    return trap;
}

/* ---- input, output, error ------------------------------------------------ */

static wc_extism_block *input_block(wc_extism_call *c)
{
    return wc_extism_block_at(c, extism_address(c->input));
}

static wc_trap k_input_offset(wc_instance *caller, void *env, const wc_value *args,
                              wc_value *results)
{
    EXTISM_ENTER("input_offset");
    results[0].i64 = extism_address(c->input);
    return WC_TRAP_NONE;
}

static wc_trap k_input_length(wc_instance *caller, void *env, const wc_value *args,
                              wc_value *results)
{
    EXTISM_ENTER("input_length");
    wc_extism_block *b = input_block(c);
    results[0].i64 = b ? b->len : 0;
    return WC_TRAP_NONE;
}

/* The input functions take an offset into the input: the index bits of
 * what they are given are ignored, as in Extism's JavaScript host. */
static wc_trap k_input_load_u8(wc_instance *caller, void *env, const wc_value *args,
                               wc_value *results)
{
    EXTISM_ENTER("input_load_u8");
    wc_trap trap;
    const uint8_t *p = at(caller, input_block(c), "input_load_u8", args[0].i64,
                          extism_offset(args[0].i64), 1, false, &trap);
    results[0].i32 = p ? *p : 0;
    return trap;
}

static wc_trap k_input_load_u64(wc_instance *caller, void *env, const wc_value *args,
                                wc_value *results)
{
    EXTISM_ENTER("input_load_u64");
    wc_trap trap;
    const uint8_t *p = at(caller, input_block(c), "input_load_u64", args[0].i64,
                          extism_offset(args[0].i64), 8, true, &trap);
    results[0].i64 = p ? get_u64(p) : 0;
    return trap;
}

static wc_trap k_output_set(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    EXTISM_ENTER("output_set");
    uint64_t addr = args[0].i64, len = args[1].i64, off = extism_offset(addr);
    wc_extism_block *b = wc_extism_block_at(c, addr);
    if (!b) {
        wc_instance_set_trap_message(caller, "extism output_set: cannot assign to this block "
                                     "(addr=%016llx; length=%llu)", (unsigned long long)addr,
                                     (unsigned long long)len);
        return WC_TRAP_HOST;
    }
    if (!inside(off, len, b->len)) {
        wc_instance_set_trap_message(caller, "extism output_set: length longer than target block "
                                     "(%llu bytes at offset %llu of %llu)", (unsigned long long)len,
                                     (unsigned long long)off, (unsigned long long)b->len);
        return WC_TRAP_HOST;
    }
    c->output = extism_index(addr);
    c->output_offset = off;
    c->output_len = len;
    return WC_TRAP_NONE;
}

static wc_trap k_error_set(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    EXTISM_ENTER("error_set");
    uint64_t addr = args[0].i64;
    if (addr == 0) {
        c->error = 0;
        return WC_TRAP_NONE;
    }
    if (!wc_extism_block_at(c, addr)) {
        wc_instance_set_trap_message(caller, "extism error_set: cannot assign error to this block "
                                     "(addr=%016llx)", (unsigned long long)addr);
        return WC_TRAP_HOST;
    }
    c->error = extism_index(addr);
    return WC_TRAP_NONE;
}

static wc_trap k_error_get(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    EXTISM_ENTER("error_get");
    results[0].i64 = extism_address(c->error);
    return WC_TRAP_NONE;
}

/* ---- config and vars ----------------------------------------------------- */

static wc_trap k_config_get(wc_instance *caller, void *env, const wc_value *args,
                            wc_value *results)
{
    EXTISM_ENTER("config_get");
    results[0].i64 = 0;
    wc_extism_block *key = wc_extism_block_at(c, args[0].i64);
    if (!key)
        return WC_TRAP_NONE;
    const json_t *value = c->config && key->data
                              ? json_object_getn(c->config, (const char *)key->data, key->len)
                              : NULL;
    if (value && json_is_string(value))
        results[0].i64 = wc_extism_store(c, json_string_value(value), json_string_length(value));
    wc_extism_block_free(c, args[0].i64);
    return WC_TRAP_NONE;
}

static wc_trap k_var_get(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    EXTISM_ENTER("var_get");
    results[0].i64 = 0;
    wc_extism_block *key = wc_extism_block_at(c, args[0].i64);
    if (!key || !c->vars)
        return WC_TRAP_NONE;
    size_t len;
    uint8_t *value = wc_extism_vars_get(c->vars, key->data ? key->data : (const uint8_t *)"",
                                        key->len, &len);
    if (value)
        results[0].i64 = wc_extism_store(c, value, len);
    free(value);
    wc_extism_block_free(c, args[0].i64);
    return WC_TRAP_NONE;
}

static wc_trap k_var_set(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    EXTISM_ENTER("var_set");
    uint64_t kaddr = args[0].i64, vaddr = args[1].i64;
    wc_extism_block *key = wc_extism_block_at(c, kaddr);
    if (!key) {
        wc_extism_log(host, WC_LOG_ERROR, "attempted to set variable using invalid key address "
                                          "(addr=\"%llxH\")", (unsigned long long)kaddr);
        return WC_TRAP_NONE;
    }
    if (!c->vars)
        return WC_TRAP_NONE;
    const uint8_t *k = key->data ? key->data : (const uint8_t *)"";
    wc_error why;
    if (vaddr == 0) {
        wc_extism_vars_set(c->vars, k, key->len, NULL, 0, &why);
        return WC_TRAP_NONE;
    }
    wc_extism_block *value = wc_extism_block_at(c, vaddr);
    if (!value) {
        wc_buf name;
        wc_buf_init(&name);
        wc_utf8_sanitize(&name, k, wc_utf8_prefix(k, key->len, 200));
        const char *kn = wc_buf_cstr(&name);
        wc_extism_log(host, WC_LOG_ERROR, "attempted to set variable to invalid address "
                                          "(key=\"%s\"; addr=\"%llxH\")", kn ? kn : "",
                      (unsigned long long)vaddr);
        wc_buf_free(&name);
        return WC_TRAP_NONE;
    }
    int rc = wc_extism_vars_set(c->vars, k, key->len, value->data ? value->data : (const uint8_t *)"",
                                value->len, &why);
    if (rc) {
        wc_extism_log(host, WC_LOG_ERROR, "%s", why.msg);
        uint32_t err = wc_extism_block_new(c, why.msg, strlen(why.msg));
        if (err)
            c->error = err;
    }
    return WC_TRAP_NONE;
}

/* ---- logs ------------------------------------------------------------------ */

/* Extism's levels: trace 0, debug 1, info 2, warn 3, error 4. */
static int extism_level_now(void)
{
    wc_log_level l = wc_log_get_level();
    return l <= WC_LOG_DEBUG ? 1 : l <= WC_LOG_NOTICE ? 2 : l == WC_LOG_WARNING ? 3 : 4;
}

static const char *const level_names[] = {"trace", "debug", "info", "warn", "error"};

static wc_trap guest_log(wc_instance *caller, int level, const wc_value *args)
{
    EXTISM_ENTER("log");
    uint64_t addr = args[0].i64;
    wc_extism_block *b = wc_extism_block_at(c, addr);
    if (!b) {
        wc_extism_log(host, WC_LOG_ERROR, "failed to log(%s): bad block reference in addr 0x%064llx",
                   level_names[level], (unsigned long long)addr);
        return WC_TRAP_NONE;
    }
    if (level >= extism_level_now() && wc_wasmcap_log_fits(host, b->len)) {
        static const wc_log_level ours[] = {WC_LOG_DEBUG, WC_LOG_DEBUG, WC_LOG_INFO,
                                            WC_LOG_WARNING, WC_LOG_ERROR};
        wc_buf text;
        wc_buf_init(&text);
        size_t cut = wc_utf8_prefix(b->data ? b->data : (const uint8_t *)"", b->len,
                                    MAX_SERVER_LOG_MESSAGE);
        wc_utf8_sanitize(&text, b->data ? b->data : (const uint8_t *)"", cut);
        for (size_t i = 0; i < text.len && text.data; i++)
            if (text.data[i] == 0)
                text.data[i] = '?';
        const char *s = wc_buf_cstr(&text);
        if (s)
            wc_extism_log(host, ours[level], "%s%s", s, cut < b->len ? "..." : "");
        wc_buf_free(&text);
    }
    wc_extism_block_free(c, addr);
    return WC_TRAP_NONE;
}

#define LOG_FN(name, level)                                                             \
    static wc_trap k_##name(wc_instance *caller, void *env, const wc_value *args,       \
                            wc_value *results)                                          \
    {                                                                                   \
        return guest_log(caller, level, args);                                          \
    }
LOG_FN(log_trace, 0)
LOG_FN(log_debug, 1)
LOG_FN(log_info, 2)
LOG_FN(log_warn, 3)
LOG_FN(log_error, 4)

static wc_trap k_get_log_level(wc_instance *caller, void *env, const wc_value *args,
                               wc_value *results)
{
    EXTISM_ENTER("get_log_level");
    results[0].i32 = (uint32_t)extism_level_now();
    return WC_TRAP_NONE;
}

#define ENV(name, params, results, fn) \
    WC_HOST_FUNC(WC_EXTISM_ENV_MODULE, name, params, results, fn, NULL)

static const wc_import_binding env_bindings[] = {
    ENV("alloc", "I", "I", k_alloc),
    ENV("free", "I", "", k_free),
    ENV("length", "I", "I", k_length),
    ENV("length_unsafe", "I", "I", k_length),
    ENV("load_u8", "I", "i", k_load_u8),
    ENV("load_u64", "I", "I", k_load_u64),
    ENV("store_u8", "Ii", "", k_store_u8),
    ENV("store_u64", "II", "", k_store_u64),
    ENV("input_offset", "", "I", k_input_offset),
    ENV("input_length", "", "I", k_input_length),
    ENV("input_load_u8", "I", "i", k_input_load_u8),
    ENV("input_load_u64", "I", "I", k_input_load_u64),
    ENV("output_set", "II", "", k_output_set),
    ENV("error_set", "I", "", k_error_set),
    ENV("error_get", "", "I", k_error_get),
    ENV("config_get", "I", "I", k_config_get),
    ENV("var_get", "I", "I", k_var_get),
    ENV("var_set", "II", "", k_var_set),
    ENV("http_request", "II", "I", wc_extism_http_request),
    ENV("http_status_code", "", "i", wc_extism_http_status_code),
    ENV("http_headers", "", "I", wc_extism_http_headers),
    ENV("log_trace", "I", "", k_log_trace),
    ENV("log_debug", "I", "", k_log_debug),
    ENV("log_info", "I", "", k_log_info),
    ENV("log_warn", "I", "", k_log_warn),
    ENV("log_error", "I", "", k_log_error),
    ENV("get_log_level", "", "i", k_get_log_level),
};

size_t wc_extism_env_bindings(const wc_import_binding **out)
{
    *out = env_bindings;
    return sizeof env_bindings / sizeof env_bindings[0];
}
