/* wasmcap.c -- the host functions of module "wasmcap" (docs/PLUGINS.md).
 *
 * Every function finds its call's state (wc_wasmcap_host) through the
 * instance's host data, so the bindings table is static and shared by all
 * instances.  Order inside each function:
 *   1. a cancelled call stops the guest (WC_TRAP_INTERRUPTED);
 *   2. every guest pointer and length is turned into a host pointer by
 *      wc_instance_mem; a range outside memory is a bug in the guest and
 *      traps (WC_TRAP_HOST) with a message naming the function and argument;
 *   3. the permission is checked; a denial is WC_HOST_EDENIED with a message
 *      naming the wasmcap.json key that grants it;
 *   4. the work; data, or the error's message, goes to the response slot.
 * Guest bytes are never trusted to be UTF-8: they are sanitized (U+FFFD)
 * before they reach a log line, a notification or an error message.
 */
#define _GNU_SOURCE /* FNM_CASEFOLD */
#include "host/wasmcap.h"

#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bus/bus.h"
#include "host/http_fetch.h"
#include "util/base64url.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/utf8.h"

#define MAX_LOG_MESSAGE (64u << 10)     /* bytes of a guest log message kept */
#define MAX_SERVER_LOG_MESSAGE 1800     /* util/log.c keeps 2 KiB of a line's message */
#define MAX_PROGRESS_MESSAGE (4u << 10)
#define MAX_QUOTED 200                  /* bytes of a guest string quoted in a message */

void wc_wasmcap_host_init(wc_wasmcap_host *host, const char *plugin,
                          const wc_permissions *perms, wc_kv *kv,
                          const wc_client_port *client, wc_cancel_token *cancel,
                          bool effect_free)
{
    host->plugin = plugin;
    host->perms = perms;
    host->kv = kv;
    host->client = client;
    host->cancel = cancel;
    host->effect_free = effect_free;
    host->log_messages = 0;
    host->log_bytes = 0;
    host->logs_dropped = 0;
    host->extism = NULL;
    host->bus = NULL;
    wc_buf_init(&host->response);
}

static uint32_t max_log_messages(const wc_permissions *perms)
{
    return perms && perms->max_log_messages ? perms->max_log_messages
                                            : WC_DEFAULT_MAX_LOG_MESSAGES;
}

static size_t max_log_bytes(const wc_permissions *perms)
{
    return perms && perms->max_log_bytes ? perms->max_log_bytes : WC_DEFAULT_MAX_LOG_BYTES;
}

void wc_wasmcap_host_destroy(wc_wasmcap_host *host)
{
    if (host->logs_dropped) {
        char msg[300];
        snprintf(msg, sizeof msg,
                 "%llu log messages of this call were dropped: over its budget of %u messages "
                 "or %zu bytes (permissions.max_log_messages, permissions.max_log_bytes)",
                 (unsigned long long)host->logs_dropped, max_log_messages(host->perms),
                 max_log_bytes(host->perms));
        json_t *fields = json_pack("{s:s}", "plugin", host->plugin ? host->plugin : "?");
        wc_log_fields(WC_LOG_WARNING, "plugin", fields, "%s", msg);
        json_decref(fields);
        wc_client_log(host->client, WC_LOG_WARNING, host->plugin, msg);
    }
    wc_buf_free(&host->response);
}

/* Whether one more log message of len bytes fits the call's budget;
 * counts it either way.  A flood of logs would otherwise fill the server's
 * log and the client's output faster than either drains. */
bool wc_wasmcap_log_fits(wc_wasmcap_host *host, size_t len)
{
    if (host->log_messages >= max_log_messages(host->perms) ||
        len > max_log_bytes(host->perms) - host->log_bytes) {
        host->logs_dropped++;
        return false;
    }
    host->log_messages++;
    host->log_bytes += len;
    return true;
}

bool wc_host_allowed(const wc_permissions *perms, const char *host)
{
    if (!perms || !host || !*host)
        return false;
    size_t host_len = strlen(host);
    for (size_t i = 0; i < perms->n_allowed_hosts; i++) {
        const char *p = perms->allowed_hosts[i];
        if (!p)
            continue;
        if (p[0] == '*' && p[1] == '.' && p[2] && !strpbrk(p + 2, "*?")) {
            /* "*.example.com": suffix ".example.com" after at least one
             * character, so neither "example.com" nor "evilexample.com". */
            size_t suffix_len = strlen(p + 1);
            if (host_len > suffix_len && strcasecmp(host + host_len - suffix_len, p + 1) == 0)
                return true;
        } else if (strpbrk(p, "*?")) {
            /* Extism's glob patterns ("*" is any host, "api-?.example.com"):
             * a '*' spans dots too, as in Extism. */
            if (fnmatch(p, host, FNM_CASEFOLD) == 0)
                return true;
        } else if (strcasecmp(p, host) == 0) {
            return true;
        }
    }
    return false;
}

/* ---- helpers ----------------------------------------------------------- */

/* The call's state, or NULL (after setting a trap message) when the
 * instance was created without one: a bug in the host, not the guest. */
static wc_wasmcap_host *host_of(wc_instance *caller, const char *fn)
{
    wc_wasmcap_host *host = wc_instance_host_data(caller);
    if (!host)
        wc_instance_set_trap_message(caller, "wasmcap.%s: the instance has no wasmcap host state", fn);
    return host;
}

/* The `len` bytes at guest offset `ptr`, or NULL with a trap message. */
static void *guest(wc_instance *caller, const char *fn, const char *what, uint32_t ptr, uint32_t len)
{
    void *p = wc_instance_mem(caller, ptr, len);
    if (!p)
        wc_instance_set_trap_message(caller,
                                     "wasmcap.%s: %s (offset %u, %u bytes) is outside the guest's memory",
                                     fn, what, ptr, len);
    return p;
}

/* Common entry: host state, cancellation. */
#define ENTER(fn)                                                             \
    wc_wasmcap_host *host = host_of(caller, fn);                              \
    if (!host)                                                                \
        return WC_TRAP_HOST;                                                  \
    if (wc_cancel_token_cancelled(host->cancel))                              \
        return WC_TRAP_INTERRUPTED

/* A function that acts on the world (or waits) ends an attempt there:
 * the call runs again, in full, where acting is allowed. */
#define ACT()                                                                 \
    if (host->effect_free) {                                                  \
        wc_cancel_token_cancel(host->cancel, WC_CANCEL_RETRY);                \
        return WC_TRAP_INTERRUPTED;                                           \
    }

/* Guest range into a local pointer, or trap. */
#define GUEST(var, fn, what, ptr, len)                                        \
    const uint8_t *var = guest(caller, fn, what, (ptr), (len));               \
    if (!var)                                                                 \
        return WC_TRAP_HOST

/* Appends guest bytes to b as a quotable string: UTF-8, no NULs, short. */
static void quote(wc_buf *b, const void *data, size_t len)
{
    size_t cut = wc_utf8_prefix(data, len, MAX_QUOTED);
    size_t start = b->len;
    wc_utf8_sanitize(b, data, cut);
    for (size_t i = start; i < b->len && b->data; i++)
        if (b->data[i] == 0)
            b->data[i] = '?';
    if (cut < len)
        wc_buf_str(b, "...");
}

/* Sets the slot to an error message and returns code as the result. */
static wc_trap fail(wc_wasmcap_host *host, wc_value *results, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static wc_trap fail(wc_wasmcap_host *host, wc_value *results, int code, const char *fmt, ...)
{
    host->response.len = 0;
    host->response.failed = false;
    va_list ap;
    va_start(ap, fmt);
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    wc_utf8_sanitize(&host->response, msg, strlen(msg));
    results[0].i32 = (uint32_t)code;
    return WC_TRAP_NONE;
}

/* Puts data into the slot and returns its length as the result. */
static wc_trap reply(wc_wasmcap_host *host, wc_value *results, const void *data, size_t len)
{
    host->response.len = 0;
    host->response.failed = false;
    wc_buf_append(&host->response, data, len);
    if (host->response.failed || len > INT32_MAX)
        return fail(host, results, WC_HOST_EFAILED, "out of memory");
    results[0].i32 = (uint32_t)len;
    return WC_TRAP_NONE;
}

/* The slot holds what it holds; the result is its length (or an error). */
static wc_trap reply_slot(wc_wasmcap_host *host, wc_value *results, int code)
{
    if (code < 0) {
        results[0].i32 = (uint32_t)code;
        return WC_TRAP_NONE;
    }
    if (host->response.failed || host->response.len > INT32_MAX)
        return fail(host, results, WC_HOST_EFAILED, "out of memory");
    results[0].i32 = (uint32_t)host->response.len;
    return WC_TRAP_NONE;
}

static size_t max_output(const wc_permissions *perms)
{
    return perms->max_output_bytes ? perms->max_output_bytes : WC_DEFAULT_MAX_OUTPUT;
}

static uint32_t timeout_of(const wc_permissions *perms)
{
    return perms->timeout_ms ? perms->timeout_ms : WC_DEFAULT_TIMEOUT_MS;
}

/* ---- log, progress ------------------------------------------------------- */

/* Guest text as a C string: sanitized UTF-8, NULs replaced, at most max bytes
 * of input.  Returns NULL when out of memory. */
static char *guest_text(wc_buf *b, const uint8_t *data, size_t len, size_t max)
{
    size_t cut = wc_utf8_prefix(data, len, max);
    size_t start = 0;
    for (size_t i = 0; i < cut; i++) {
        if (data[i] != 0)
            continue;
        wc_utf8_sanitize(b, data + start, i - start);
        wc_buf_str(b, "\xEF\xBF\xBD");
        start = i + 1;
    }
    wc_utf8_sanitize(b, data + start, cut - start);
    if (cut < len)
        wc_buf_str(b, "...");
    return wc_buf_cstr(b);
}

static wc_trap host_log(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    ENTER("log");
    ACT();
    int32_t level = (int32_t)args[0].i32;
    GUEST(msg, "log", "message", args[1].i32, args[2].i32);
    if (level < WC_LOG_DEBUG)
        level = WC_LOG_DEBUG;
    if (level > WC_LOG_EMERGENCY)
        level = WC_LOG_EMERGENCY;
    if (!wc_wasmcap_log_fits(host, args[2].i32))
        return WC_TRAP_NONE;

    wc_buf text;
    wc_buf_init(&text);
    const char *s = guest_text(&text, msg, args[2].i32, MAX_LOG_MESSAGE);
    if (s) {
        /* The server log keeps a shorter message; cut at a character. */
        size_t len = strlen(s), cut = wc_utf8_prefix(s, len, MAX_SERVER_LOG_MESSAGE);
        json_t *fields = json_pack("{s:s}", "plugin", host->plugin ? host->plugin : "?");
        wc_log_fields((wc_log_level)level, "plugin", fields, "%.*s%s", (int)cut, s, cut < len ? "..." : "");
        json_decref(fields);
        wc_client_log(host->client, level, host->plugin, s);
    }
    wc_buf_free(&text);
    return WC_TRAP_NONE;
}

static wc_trap host_progress(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    ENTER("progress");
    double progress = args[0].f64, total = args[1].f64;
    GUEST(msg, "progress", "message", args[2].i32, args[3].i32);
    if (!isfinite(progress) || !isfinite(total))
        return WC_TRAP_NONE; /* JSON has no NaN or infinity: nothing to send */
    wc_buf text;
    wc_buf_init(&text);
    const char *s = args[3].i32 ? guest_text(&text, msg, args[3].i32, MAX_PROGRESS_MESSAGE) : NULL;
    wc_client_progress(host->client, progress, total, s);
    wc_buf_free(&text);
    return WC_TRAP_NONE;
}

#define MAX_URI 2048

/* A resource of the plugin changed: subscribed clients are told. */
static wc_trap host_resource_updated(wc_instance *caller, void *env, const wc_value *args,
                                     wc_value *results)
{
    ENTER("resource_updated");
    ACT();
    GUEST(uri, "resource_updated", "uri", args[0].i32, args[1].i32);
    size_t len = args[1].i32;
    if (len == 0 || len > MAX_URI || !wc_utf8_valid((const char *)uri, len) ||
        memchr(uri, 0, len))
        return WC_TRAP_NONE; /* not a URI anyone subscribed to */
    char *text = strndup((const char *)uri, len);
    if (text)
        wc_client_resource_updated(host->client, text);
    free(text);
    return WC_TRAP_NONE;
}

/* One of the plugin's lists changed ("tools", "prompts", "resources"):
 * every session that listens for it is told. */
static wc_trap host_list_changed(wc_instance *caller, void *env, const wc_value *args,
                                 wc_value *results)
{
    ENTER("list_changed");
    ACT();
    GUEST(kind, "list_changed", "kind", args[0].i32, args[1].i32);
    static const char *const kinds[] = {"tools", "prompts", "resources"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strlen(kinds[i]) == args[1].i32 && memcmp(kind, kinds[i], args[1].i32) == 0)
            wc_client_list_changed(host->client, kinds[i]);
    return WC_TRAP_NONE;
}

/* What the request brings for an input-required round: inputResponses,
 * the opened requestState, the client's capabilities (JSON in the slot). */
static wc_trap host_request_context(wc_instance *caller, void *env, const wc_value *args,
                                    wc_value *results)
{
    ENTER("request_context");
    (void)args;
    json_t *c = wc_client_request_context(host->client);
    char *text = c ? json_dumps(c, JSON_COMPACT) : NULL;
    json_decref(c);
    if (!text)
        return fail(host, results, WC_HOST_EFAILED, "request_context: out of memory");
    wc_trap t = strlen(text) > max_output(host->perms)
                    ? fail(host, results, WC_HOST_ETOOLARGE,
                           "request_context: %zu bytes, over the plugin's output limit",
                           strlen(text))
                    : reply(host, results, text, strlen(text));
    free(text);
    return t;
}

/* The call lets the transport close the connection that carries its
 * messages (HTTP: the client resumes with Last-Event-ID after retry). */
static wc_trap host_close_stream(wc_instance *caller, void *env, const wc_value *args,
                                 wc_value *results)
{
    ENTER("close_stream");
    ACT();
    (void)args;
    wc_client_close_stream(host->client);
    return WC_TRAP_NONE;
}

/* ---- config -------------------------------------------------------------- */

static wc_trap host_config_get(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    ENTER("config_get");
    GUEST(key, "config_get", "key", args[0].i32, args[1].i32);
    size_t key_len = args[1].i32;
    const char *p = host->plugin;
    if (!host->perms->config)
        return fail(host, results, WC_HOST_EDENIED,
                    "config is not granted to plugin '%s': set plugins.%s.permissions.config in wasmcap.json",
                    p, p);
    json_t *value = json_object_getn(host->perms->config, (const char *)key, key_len);
    if (!value) {
        wc_buf q;
        wc_buf_init(&q);
        quote(&q, key, key_len);
        const char *k = wc_buf_cstr(&q) ? (const char *)q.data : "?";
        wc_trap t = fail(host, results, WC_HOST_ENOTFOUND,
                         "config key '%s' is not set for plugin '%s': set plugins.%s.permissions.config.%s "
                         "in wasmcap.json",
                         k, p, p, k);
        wc_buf_free(&q);
        return t;
    }
    if (json_is_string(value))
        return reply(host, results, json_string_value(value), json_string_length(value));
    /* Not a string (the config layer should not let one through): its JSON text. */
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text)
        return fail(host, results, WC_HOST_EFAILED, "out of memory");
    wc_trap t = reply(host, results, text, strlen(text));
    free(text);
    return t;
}

/* ---- kv ------------------------------------------------------------------ */

/* Denial or missing store: sets the slot and returns true. */
static bool kv_unavailable(wc_wasmcap_host *host, wc_value *results)
{
    const char *p = host->plugin;
    if (!host->perms->kv_namespace || !*host->perms->kv_namespace) {
        fail(host, results, WC_HOST_EDENIED,
             "kv is not granted to plugin '%s': set plugins.%s.permissions.kv_namespace in wasmcap.json", p, p);
        return true;
    }
    if (!host->kv) {
        fail(host, results, WC_HOST_EFAILED, "kv: the server has no key-value store open");
        return true;
    }
    return false;
}

static wc_trap kv_error(wc_wasmcap_host *host, wc_value *results, int rc, const uint8_t *key, size_t key_len,
                        size_t value_len)
{
    wc_buf q;
    wc_buf_init(&q);
    quote(&q, key, key_len);
    const char *k = wc_buf_cstr(&q) ? (const char *)q.data : "?";
    wc_trap t;
    switch (rc) {
    case WC_ENOTFOUND:
        t = fail(host, results, WC_HOST_ENOTFOUND, "kv: no key '%s'", k);
        break;
    case WC_ETOOBIG:
        if (value_len > WC_KV_MAX_VALUE)
            t = fail(host, results, WC_HOST_ETOOLARGE, "kv: the value is %zu bytes; the limit is %u",
                     value_len, WC_KV_MAX_VALUE);
        else {
            size_t ns_len = strlen(host->perms->kv_namespace) + 1; /* with the separator */
            t = fail(host, results, WC_HOST_ETOOLARGE,
                     "kv: the key is %zu bytes; with the namespace '%s' the limit is %zu", key_len,
                     host->perms->kv_namespace, ns_len < WC_KV_MAX_KEY ? WC_KV_MAX_KEY - ns_len : 0);
        }
        break;
    case WC_ENOSPC:
        t = fail(host, results, WC_HOST_EFAILED, "kv: the store is full (%s in wasmcap.json)",
                 strcmp(wc_kv_kind(host->kv), "nats") == 0 ? "kv.max_bytes" : "storage.kv_map_size");
        break;
    case WC_ENOTCONN:
        t = fail(host, results, WC_HOST_EFAILED, "kv: bus unavailable: the store's NATS server is "
                 "not connected (kv.backend \"nats\"); try again when it is back");
        break;
    case WC_EAGAIN:
        t = fail(host, results, WC_HOST_EFAILED, "kv: the store is busy: other writers changed "
                 "'%s' or its namespace at every attempt", k);
        break;
    default:
        t = fail(host, results, WC_HOST_EFAILED, "kv: I/O error in the store");
        break;
    }
    wc_buf_free(&q);
    return t;
}

static wc_trap host_kv_get(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    ENTER("kv_get");
    GUEST(key, "kv_get", "key", args[0].i32, args[1].i32);
    if (kv_unavailable(host, results))
        return WC_TRAP_NONE;
    host->response.len = 0;
    host->response.failed = false;
    int rc = wc_kv_get(host->kv, host->perms->kv_namespace, key, args[1].i32, &host->response);
    if (rc)
        return kv_error(host, results, rc, key, args[1].i32, 0);
    return reply_slot(host, results, 0);
}

static wc_trap host_kv_put(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    ENTER("kv_put");
    ACT();
    GUEST(key, "kv_put", "key", args[0].i32, args[1].i32);
    GUEST(value, "kv_put", "value", args[2].i32, args[3].i32);
    if (kv_unavailable(host, results))
        return WC_TRAP_NONE;
    uint64_t quota = host->perms->kv_quota, usage = 0;
    int rc = wc_kv_put_within(host->kv, host->perms->kv_namespace, quota, key, args[1].i32, value,
                              args[3].i32, &usage);
    if (rc == WC_EQUOTA)
        return fail(host, results, WC_HOST_ETOOLARGE,
                    "kv: the put would make namespace '%s' hold %llu bytes of keys and values, over "
                    "plugins.%s.permissions.kv_quota (%llu bytes)",
                    host->perms->kv_namespace, (unsigned long long)usage, host->plugin,
                    (unsigned long long)quota);
    if (rc)
        return kv_error(host, results, rc, key, args[1].i32, args[3].i32);
    return reply(host, results, "", 0);
}

static wc_trap host_kv_delete(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    ENTER("kv_delete");
    ACT();
    GUEST(key, "kv_delete", "key", args[0].i32, args[1].i32);
    if (kv_unavailable(host, results))
        return WC_TRAP_NONE;
    int rc = wc_kv_delete(host->kv, host->perms->kv_namespace, key, args[1].i32);
    if (rc)
        return kv_error(host, results, rc, key, args[1].i32, 0);
    return reply(host, results, "", 0);
}

/* The first page as a bare array: the shape plugins built before
 * kv_list_page expect.  It cannot say that it was cut short or left keys
 * out, so the server log says it. */
static wc_trap host_kv_list(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    ENTER("kv_list");
    GUEST(prefix, "kv_list", "prefix", args[0].i32, args[1].i32);
    if (kv_unavailable(host, results))
        return WC_TRAP_NONE;
    wc_kv_page page;
    int rc = wc_kv_list_page(host->kv, host->perms->kv_namespace, prefix, args[1].i32, NULL, 0, 0, &page);
    if (rc)
        return kv_error(host, results, rc, prefix, args[1].i32, 0);
    if (page.more || page.skipped)
        wc_log(WC_LOG_WARNING, "kv",
               "plugin '%s': kv_list returned %zu keys, left out %zu that are not UTF-8%s "
               "(kv_list_page reports both and continues)", host->plugin, json_array_size(page.keys),
               page.skipped, page.more ? " and stopped at its limit of " WC_KV_LIST_LIMIT_TEXT " keys" : "");
    char *text = json_dumps(page.keys, JSON_COMPACT);
    json_decref(page.keys);
    if (!text)
        return fail(host, results, WC_HOST_EFAILED, "out of memory");
    wc_trap t = reply(host, results, text, strlen(text));
    free(text);
    return t;
}

/* {"keys": [...], "skipped": n, "cursor": "..."}: cursor (present while
 * keys may remain) is the last key examined, base64url, for the next call. */
static wc_trap host_kv_list_page(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    ENTER("kv_list_page");
    GUEST(prefix, "kv_list_page", "prefix", args[0].i32, args[1].i32);
    GUEST(cursor, "kv_list_page", "cursor", args[2].i32, args[3].i32);
    if (kv_unavailable(host, results))
        return WC_TRAP_NONE;
    size_t after_len = 0;
    uint8_t *after = NULL;
    if (args[3].i32) {
        after = wc_b64url_decode((const char *)cursor, args[3].i32, &after_len);
        if (!after || after_len == 0) {
            free(after);
            return fail(host, results, WC_HOST_EINVAL,
                        "kv_list_page: the cursor is not one a previous kv_list_page returned");
        }
    }
    wc_kv_page page;
    int rc = wc_kv_list_page(host->kv, host->perms->kv_namespace, prefix, args[1].i32, after, after_len, 0,
                             &page);
    free(after);
    if (rc)
        return kv_error(host, results, rc, prefix, args[1].i32, 0);
    json_t *out = json_pack("{s:o, s:I}", "keys", page.keys, "skipped", (json_int_t)page.skipped);
    if (out && page.more) {
        char next[WC_KV_MAX_KEY * 2];
        wc_b64url_encode(page.last, page.last_len, next);
        json_object_set_new(out, "cursor", json_string(next));
    }
    char *text = out ? json_dumps(out, JSON_COMPACT) : NULL;
    json_decref(out);
    if (!text)
        return fail(host, results, WC_HOST_EFAILED, "out of memory");
    wc_trap t = reply(host, results, text, strlen(text));
    free(text);
    return t;
}

/* ---- http ---------------------------------------------------------------- */

static wc_trap host_http_fetch(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    ENTER("http_fetch");
    ACT();
    GUEST(req, "http_fetch", "request", args[0].i32, args[1].i32);
    host->response.len = 0;
    host->response.failed = false;
    int rc = wc_http_fetch(host->plugin, host->perms, host->cancel, timeout_of(host->perms), req, args[1].i32,
                           &host->response);
    return reply_slot(host, results, rc);
}

/* ---- sampling, elicitation ----------------------------------------------- */

typedef struct client_method {
    const char *fn;         /* host function */
    const char *method;     /* MCP request */
    const char *permission; /* wasmcap.json key under permissions */
    const char *capability; /* the client capability */
} client_method;

static wc_trap client_request(wc_instance *caller, wc_wasmcap_host *host, const client_method *cm,
                              bool granted, bool client_can, const wc_value *args, wc_value *results)
{
    GUEST(req, cm->fn, "request", args[0].i32, args[1].i32);
    const char *p = host->plugin;
    if (!granted)
        return fail(host, results, WC_HOST_EDENIED,
                    "%s is not granted to plugin '%s': set plugins.%s.permissions.%s to true in wasmcap.json",
                    cm->permission, p, p, cm->permission);
    const wc_client_port *client = host->client;
    if (!client_can || !client->request)
        return fail(host, results, WC_HOST_ENOTSUP,
                    "%s: the client did not declare the %s capability, so it cannot answer %s",
                    cm->fn, cm->capability, cm->method);
    json_error_t jerr;
    json_t *params = json_loadb((const char *)req, args[1].i32, 0, &jerr);
    if (!json_is_object(params)) {
        json_decref(params);
        return fail(host, results, WC_HOST_EINVAL, "%s: the request must be a JSON object (%s params)%s%s",
                    cm->fn, cm->method, params ? "" : ": ", params ? "" : jerr.text);
    }
    json_t *result = NULL;
    wc_error err = {0};
    int rc = client->request(client->ctx, cm->method, params, (int)timeout_of(host->perms), &result,
                             &err);
    json_decref(params);
    if (rc != 0 || !result) {
        json_decref(result);
        if (wc_cancel_token_cancelled(host->cancel))
            return fail(host, results, WC_HOST_ECANCELLED, "%s: the call was cancelled", cm->fn);
        return fail(host, results, WC_HOST_EFAILED, "%s: %s failed: %s", cm->fn, cm->method,
                    err.msg[0] ? err.msg : "no answer");
    }
    char *text = json_dumps(result, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(result);
    if (!text)
        return fail(host, results, WC_HOST_EFAILED, "out of memory");
    size_t len = strlen(text);
    wc_trap t;
    if (len > max_output(host->perms))
        t = fail(host, results, WC_HOST_ETOOLARGE,
                 "%s: the client's answer is %zu bytes, over %zu (raise plugins.%s.permissions.max_output_bytes)",
                 cm->fn, len, max_output(host->perms), p);
    else
        t = reply(host, results, text, len);
    free(text);
    return t;
}

static const client_method sample_method = {"sample", "sampling/createMessage", "sampling", "sampling"};
static const client_method elicit_method = {"elicit", "elicitation/create", "elicitation", "elicitation"};

static wc_trap host_sample(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    ENTER("sample");
    ACT();
    return client_request(caller, host, &sample_method, host->perms->sampling,
                          host->client->can_sample, args, results);
}

static wc_trap host_elicit(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    ENTER("elicit");
    ACT();
    return client_request(caller, host, &elicit_method, host->perms->elicitation,
                          host->client->can_elicit, args, results);
}

/* ---- bus ------------------------------------------------------------------ */

bool wc_host_subject_granted(char *const *grants, size_t n, const char *subject)
{
    for (size_t i = 0; i < n; i++)
        if (grants[i] && wc_bus_subject_matches(grants[i], subject))
            return true;
    return false;
}

/* Who publishes, for the services that get it. */
#define PLUGIN_HEADER "Wasmcap-Plugin"

/* The guest's subject as a C string in out, checked (no wildcards) and
 * granted by `grants`; false with the slot and *t set otherwise. */
static bool bus_subject(wc_wasmcap_host *host, wc_value *results, const char *fn,
                        const char *permission, char *const *grants, size_t n_grants,
                        const uint8_t *subject, size_t len, char *out, wc_trap *t)
{
    const char *p = host->plugin;
    if (len == 0 || len > WC_BUS_MAX_SUBJECT || memchr(subject, 0, len)) {
        wc_buf q;
        wc_buf_init(&q);
        quote(&q, subject, len);
        *t = fail(host, results, WC_HOST_EINVAL, "%s: '%s' is not a subject (1 to %d bytes)", fn,
                  wc_buf_cstr(&q) ? (const char *)q.data : "?", WC_BUS_MAX_SUBJECT);
        wc_buf_free(&q);
        return false;
    }
    memcpy(out, subject, len);
    out[len] = 0;
    wc_error why = {0};
    if (wc_bus_check_subject(out, false, &why) != 0 || !wc_utf8_valid(out, len)) {
        wc_buf q;
        wc_buf_init(&q);
        quote(&q, subject, len);
        *t = fail(host, results, WC_HOST_EINVAL, "%s: '%s' is not a subject to send to: %s", fn,
                  wc_buf_cstr(&q) ? (const char *)q.data : "?",
                  why.msg[0] ? why.msg : "not UTF-8");
        wc_buf_free(&q);
        return false;
    }
    if (!wc_host_subject_granted(grants, n_grants, out)) {
        *t = fail(host, results, WC_HOST_EDENIED,
                  "%s to subject '%s' is not granted to plugin '%s': add it (or a pattern with "
                  "NATS wildcards * and >) to plugins.%s.permissions.bus.%s in wasmcap.json",
                  fn, out, p, p, permission);
        return false;
    }
    if (!host->bus) {
        *t = fail(host, results, WC_HOST_EUNAVAILABLE,
                  "%s: bus unavailable: the server has no bus (wasmcap serve has one; see the "
                  "\"bus\" section of wasmcap.json)", fn);
        return false;
    }
    return true;
}

/* A message to send: the checked subject, the guest's data, and who sends it. */
typedef struct bus_out {
    char subject[WC_BUS_MAX_SUBJECT + 1];
    wc_bus_header who;
    wc_bus_msg msg;
} bus_out;

static bool bus_prepare(wc_wasmcap_host *host, wc_value *results, const char *fn,
                        const char *permission, char *const *grants, size_t n_grants,
                        const uint8_t *subject, size_t len, const uint8_t *data, size_t data_len,
                        bus_out *out, wc_trap *t)
{
    if (!bus_subject(host, results, fn, permission, grants, n_grants, subject, len, out->subject, t))
        return false;
    out->who = (wc_bus_header){PLUGIN_HEADER, host->plugin ? host->plugin : "?"};
    out->msg = (wc_bus_msg){.subject = out->subject, .headers = &out->who, .header_count = 1,
                            .data = data, .len = data_len};
    return true;
}

/* A bus error of fn on subject as the guest's code and message. */
static wc_trap bus_error(wc_wasmcap_host *host, wc_value *results, const char *fn,
                         const char *subject, int rc, const wc_error *why)
{
    const char *text = why && why->msg[0] ? why->msg : wc_strerror(rc);
    switch (rc) {
    case WC_ENOTCONN:
        return fail(host, results, WC_HOST_EUNAVAILABLE, "%s: %s", fn, text);
    case WC_ENORESPONDERS:
        return fail(host, results, WC_HOST_ENORESPONDERS, "%s: no responders on '%s'", fn, subject);
    case WC_ECANCELED:
        return fail(host, results, WC_HOST_ECANCELLED, "%s: the call was cancelled", fn);
    case WC_ETOOBIG:
        return fail(host, results, WC_HOST_ETOOLARGE, "%s: %s", fn, text);
    case WC_EINVAL:
        return fail(host, results, WC_HOST_EINVAL, "%s: %s", fn, text);
    default:
        return fail(host, results, WC_HOST_EFAILED, "%s on '%s': %s", fn, subject, text);
    }
}

/* The entry of bus_publish and bus_request: the call's state, the
 * guest's subject (checked and granted for op) and data in `out`, `subj`. */
#define BUS_ENTER(fn, op)                                                     \
    ENTER(fn);                                                                \
    ACT();                                                                    \
    GUEST(subject, fn, "subject", args[0].i32, args[1].i32);                  \
    GUEST(data, fn, "data", args[2].i32, args[3].i32);                        \
    bus_out out;                                                              \
    wc_trap t;                                                                \
    if (!bus_prepare(host, results, fn, #op, host->perms->bus_##op,           \
                     host->perms->n_bus_##op, subject, args[1].i32, data,     \
                     args[3].i32, &out, &t))                                  \
        return t;                                                             \
    const char *subj = out.subject

static wc_trap host_bus_publish(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    BUS_ENTER("bus_publish", publish);
    int rc = wc_bus_publish(host->bus, &out.msg);
    if (rc == WC_ETOOBIG)
        return fail(host, results, WC_HOST_ETOOLARGE,
                    "bus_publish: %u bytes of data are over the bus's max_payload", args[3].i32);
    if (rc < 0)
        return bus_error(host, results, "bus_publish", subj, rc, NULL);
    return reply(host, results, "", 0);
}

/* What is left of the call's time: the instance's deadline (the plugin's
 * timeout_ms), else the permissions' timeout.  0: none left. */
static uint32_t remaining_ms(wc_instance *caller, const wc_wasmcap_host *host)
{
    uint64_t deadline = wc_instance_deadline_ns(caller);
    if (!deadline)
        return timeout_of(host->perms);
    uint64_t now = wc_monotonic_ns();
    if (now >= deadline)
        return 0;
    uint64_t left = (deadline - now) / 1000000u;
    return left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
}

/* bus_request(subject, subject_len, data, data_len, timeout_ms, max_reply):
 * the reply's data in the slot.  timeout_ms 0 (or more than the call has
 * left): until the call's deadline; max_reply 0: max_output_bytes. */
static wc_trap host_bus_request(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    BUS_ENTER("bus_request", request);
    uint32_t asked = args[4].i32, left = remaining_ms(caller, host);
    bool capped = asked == 0 || asked > left;
    uint32_t timeout = capped ? left : asked;
    if (timeout == 0)
        return fail(host, results, WC_HOST_ETIMEDOUT,
                    "bus_request: no time left for '%s': the call's deadline has passed", subj);
    size_t limit = max_output(host->perms);
    bool guest_limit = args[5].i32 != 0 && args[5].i32 < limit;
    if (guest_limit)
        limit = args[5].i32;

    wc_bus_msg *answer = NULL;
    wc_error why = {0};
    int rc = wc_bus_request_cancellable(host->bus, &out.msg, timeout, host->cancel, &answer, &why);
    if (rc == WC_ETIMEDOUT)
        return fail(host, results, WC_HOST_ETIMEDOUT,
                    "bus_request: '%s' did not answer within %u ms (%s)", subj, timeout,
                    capped ? "what the call had left of its time limit" : "the timeout asked for");
    if (rc < 0)
        return bus_error(host, results, "bus_request", subj, rc, &why);
    /* the services protocol's error reply (ADR-32) */
    const char *service_error = wc_bus_msg_header(answer, "Nats-Service-Error");
    if (service_error) {
        const char *code = wc_bus_msg_header(answer, "Nats-Service-Error-Code");
        t = fail(host, results, WC_HOST_EFAILED, "bus_request: the service on '%s' answered an error%s%s: %s",
                 subj, code ? " " : "", code ? code : "", service_error);
    } else if (answer->len > limit) {
        if (guest_limit)
            t = fail(host, results, WC_HOST_ETOOLARGE,
                     "bus_request: the reply from '%s' is %zu bytes, over the %zu the plugin "
                     "accepts (max_reply)", subj, answer->len, limit);
        else
            t = fail(host, results, WC_HOST_ETOOLARGE,
                     "bus_request: the reply from '%s' is %zu bytes, over the %zu of "
                     "plugins.%s.permissions.max_output_bytes", subj, answer->len, limit,
                     host->plugin ? host->plugin : "?");
    } else {
        t = reply(host, results, answer->data, answer->len);
    }
    wc_bus_msg_free(answer);
    return t;
}

/* ---- the response slot ------------------------------------------------------ */

/* Copies from the start of the slot, up to dst_len bytes: a guest that
 * learned the length from the producing call reads it all at once; a shorter
 * buffer gets a prefix.  The slot keeps its contents until the next function
 * that produces data or an error (kv_*, config_get, http_fetch, sample,
 * elicit); log and progress leave it alone. */
static wc_trap host_read_response(wc_instance *caller, void *env, const wc_value *args, wc_value *results)
{
    ENTER("read_response");
    uint8_t *dst = guest(caller, "read_response", "destination", args[0].i32, args[1].i32);
    if (!dst)
        return WC_TRAP_HOST;
    size_t n = host->response.len < args[1].i32 ? host->response.len : args[1].i32;
    if (n)
        memcpy(dst, host->response.data, n);
    results[0].i32 = (uint32_t)n;
    return WC_TRAP_NONE;
}

/* ---- bindings ---------------------------------------------------------------- */

static const wc_import_binding bindings[] = {
    WC_HOST_FUNC("wasmcap", "log", "iii", "", host_log, NULL),
    WC_HOST_FUNC("wasmcap", "progress", "FFii", "", host_progress, NULL),
    WC_HOST_FUNC("wasmcap", "resource_updated", "ii", "", host_resource_updated, NULL),
    WC_HOST_FUNC("wasmcap", "close_stream", "", "", host_close_stream, NULL),
    WC_HOST_FUNC("wasmcap", "list_changed", "ii", "", host_list_changed, NULL),
    WC_HOST_FUNC("wasmcap", "request_context", "", "i", host_request_context, NULL),
    WC_HOST_FUNC("wasmcap", "config_get", "ii", "i", host_config_get, NULL),
    WC_HOST_FUNC("wasmcap", "kv_get", "ii", "i", host_kv_get, NULL),
    WC_HOST_FUNC("wasmcap", "kv_put", "iiii", "i", host_kv_put, NULL),
    WC_HOST_FUNC("wasmcap", "kv_delete", "ii", "i", host_kv_delete, NULL),
    WC_HOST_FUNC("wasmcap", "kv_list", "ii", "i", host_kv_list, NULL),
    WC_HOST_FUNC("wasmcap", "kv_list_page", "iiii", "i", host_kv_list_page, NULL),
    WC_HOST_FUNC("wasmcap", "http_fetch", "ii", "i", host_http_fetch, NULL),
    WC_HOST_FUNC("wasmcap", "sample", "ii", "i", host_sample, NULL),
    WC_HOST_FUNC("wasmcap", "elicit", "ii", "i", host_elicit, NULL),
    WC_HOST_FUNC("wasmcap", "bus_publish", "iiii", "i", host_bus_publish, NULL),
    WC_HOST_FUNC("wasmcap", "bus_request", "iiiiii", "i", host_bus_request, NULL),
    WC_HOST_FUNC("wasmcap", "read_response", "ii", "i", host_read_response, NULL),
};

size_t wc_wasmcap_bindings(const wc_import_binding **out)
{
    *out = bindings;
    return sizeof bindings / sizeof bindings[0];
}
