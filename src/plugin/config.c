/* config.c -- read and check wasmcap.json (docs/CONFIG.md).
 *
 * The config is where permissions are granted, so it is strict: an unknown
 * key is an error (a misspelt "timout_ms" must not silently leave the
 * default), and every error names the file and the JSON path of the value
 * ("wasmcap.json: plugins.notes.permissions.timeout_ms: expected a positive
 * integer").  "${VAR}" and "${VAR:-default}" are expanded in every string
 * value; "$$" is a literal '$'.
 */
#include "plugin/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/manifest.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/size.h"

#define MAX_CONFIG_BYTES (16u << 20)

typedef struct cparser {
    const char *file; /* for messages */
    const char *base_dir;
    char *err;
    size_t err_size;
} cparser;

static int fail(cparser *cp, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(cparser *cp, const char *path, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (path && *path)
        snprintf(cp->err, cp->err_size, "%s: %s: %s", cp->file, path, msg);
    else
        snprintf(cp->err, cp->err_size, "%s: %s", cp->file, msg);
    return -1;
}

/* ---- ${VAR} expansion -------------------------------------------------- */

static bool var_char(char c, bool first)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

/* Expands s[0..len) into b.  Returns 0 or -1 with the message in msg. */
static int expand(const char *s, size_t len, wc_buf *b, int depth, char *msg, size_t msg_size)
{
    if (depth > 16) {
        snprintf(msg, msg_size, "defaults nested too deeply");
        return -1;
    }
    size_t i = 0;
    while (i < len) {
        char c = s[i];
        if (c != '$' || i + 1 >= len || (s[i + 1] != '$' && s[i + 1] != '{')) {
            wc_buf_byte(b, (uint8_t)c);
            i++;
            continue;
        }
        if (s[i + 1] == '$') {
            wc_buf_byte(b, '$');
            i += 2;
            continue;
        }
        /* ${NAME} or ${NAME:-default} */
        size_t start = i + 2, j = start;
        while (j < len && var_char(s[j], j == start))
            j++;
        if (j == start) {
            snprintf(msg, msg_size, "bad variable reference at offset %zu (expected ${NAME})", i);
            return -1;
        }
        char name[128];
        size_t nlen = j - start < sizeof name - 1 ? j - start : sizeof name - 1;
        memcpy(name, s + start, nlen);
        name[nlen] = 0;
        const char *def = NULL;
        size_t def_len = 0;
        if (j + 1 < len && s[j] == ':' && s[j + 1] == '-') {
            def = s + j + 2;
            size_t k = j + 2;
            int open = 1;
            for (; k < len; k++) {
                if (s[k] == '{')
                    open++;
                else if (s[k] == '}' && --open == 0)
                    break;
            }
            if (k >= len) {
                snprintf(msg, msg_size, "unterminated ${%s:-...}", name);
                return -1;
            }
            def_len = (size_t)(s + k - def);
            j = k;
        } else if (j >= len || s[j] != '}') {
            snprintf(msg, msg_size, "unterminated or malformed ${%s...} (expected '}' or ':-')", name);
            return -1;
        }
        const char *value = getenv(name);
        if (value && *value) {
            wc_buf_str(b, value);
        } else if (def) {
            if (expand(def, def_len, b, depth + 1, msg, msg_size))
                return -1;
        } else {
            snprintf(msg, msg_size,
                     "environment variable %s is not set (write ${%s:-default} to give a default)",
                     name, name);
            return -1;
        }
        i = j + 1;
    }
    return 0;
}

/* The expanded string value at path; *out is malloc'ed. */
static int get_string(cparser *cp, const json_t *v, const char *path, char **out)
{
    *out = NULL;
    if (!json_is_string(v))
        return fail(cp, path, "expected a string");
    char msg[512];
    wc_buf b;
    wc_buf_init(&b);
    if (expand(json_string_value(v), json_string_length(v), &b, 0, msg, sizeof msg)) {
        wc_buf_free(&b);
        return fail(cp, path, "%s", msg);
    }
    char *s = wc_buf_cstr(&b);
    if (!s) {
        wc_buf_free(&b);
        return fail(cp, path, "out of memory");
    }
    if (strlen(s) != b.len) {
        wc_buf_free(&b);
        return fail(cp, path, "the string contains a NUL character");
    }
    *out = s;
    return 0;
}

static int get_size(cparser *cp, const json_t *v, const char *path, uint64_t *out)
{
    if (json_is_integer(v)) {
        if (json_integer_value(v) <= 0)
            return fail(cp, path, "expected a positive size");
        *out = (uint64_t)json_integer_value(v);
        return 0;
    }
    if (!json_is_string(v))
        return fail(cp, path, "expected a size (an integer or a string such as \"64MiB\")");
    char *s;
    if (get_string(cp, v, path, &s))
        return -1;
    int rc = wc_parse_size(s, out);
    if (rc || *out == 0) {
        fail(cp, path, "'%s' is not a positive size (examples: 4096, \"64K\", \"16MiB\", \"1G\")", s);
        free(s);
        return -1;
    }
    free(s);
    return 0;
}

static int get_uint(cparser *cp, const json_t *v, const char *path, bool positive, uint64_t max,
                    uint64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < (positive ? 1 : 0) ||
        (uint64_t)json_integer_value(v) > max)
        return fail(cp, path, positive ? "expected a positive integer" : "expected a non-negative integer");
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int get_bool(cparser *cp, const json_t *v, const char *path, bool *out)
{
    if (!json_is_boolean(v))
        return fail(cp, path, "expected true or false");
    *out = json_is_true(v);
    return 0;
}

/* An absolute path, or `s` relative to base_dir. */
static int resolve_path(cparser *cp, char *s, const char *path, char **out)
{
    *out = s;
    if (!*s)
        return 0;
    if (s[0] == '/' || !cp->base_dir || !*cp->base_dir)
        return 0;
    size_t n = strlen(cp->base_dir) + 1 + strlen(s) + 1;
    char *joined = malloc(n);
    if (!joined) {
        free(s);
        *out = NULL;
        return fail(cp, path, "out of memory");
    }
    snprintf(joined, n, "%s/%s", cp->base_dir, s);
    free(s);
    *out = joined;
    return 0;
}

static void join_path(char *dst, size_t size, const char *parent, const char *key)
{
    /* A path too long for the buffer is cut (in messages only). */
    size_t n = 0;
    for (const char *p = parent; p && *p && n + 1 < size; p++)
        dst[n++] = *p;
    if (parent && *parent && n + 1 < size)
        dst[n++] = '.';
    for (const char *p = key; *p && n + 1 < size; p++)
        dst[n++] = *p;
    dst[n] = 0;
}

/* ---- defaults ---------------------------------------------------------- */

/* $XDG_x (absolute) + tail, else $HOME + home_tail + tail. */
static char *xdg_dir(const char *xdg, const char *home_tail, const char *tail)
{
    const char *base = getenv(xdg);
    char buf[4096];
    if (base && base[0] == '/') {
        snprintf(buf, sizeof buf, "%s/%s", base, tail);
    } else {
        const char *home = getenv("HOME");
        if (!home || !*home)
            return NULL;
        snprintf(buf, sizeof buf, "%s/%s/%s", home, home_tail, tail);
    }
    return strdup(buf);
}

int wc_config_default(wc_config *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    out->server_name = strdup("wasmcap");
    out->max_message_bytes = 4u << 20;
    out->workers = 0;
    out->page_size = 100;
    out->log_level = WC_LOG_INFO;
    out->tier = WC_TIER_AUTO;
    out->kv_dir = xdg_dir("XDG_DATA_HOME", ".local/share", "wasmcap/kv");
    out->cache_dir = xdg_dir("XDG_CACHE_HOME", ".cache", "wasmcap");
    out->cache_key = xdg_dir("XDG_CONFIG_HOME", ".config", "wasmcap/cache.key");
    if (!out->server_name || !out->kv_dir || !out->cache_dir || !out->cache_key) {
        snprintf(err, err_size,
                 "cannot choose default storage directories: neither XDG_DATA_HOME/XDG_CACHE_HOME "
                 "nor HOME is set (set storage.kv_dir, storage.cache_dir and storage.cache_key)");
        wc_config_free(out);
        return -1;
    }
    return 0;
}

/* ---- sections ---------------------------------------------------------- */

static int parse_server(cparser *cp, const json_t *obj, wc_config *c)
{
    if (!json_is_object(obj))
        return fail(cp, "server", "expected an object");
    const char *key;
    json_t *v;
    char path[256];
    json_object_foreach((json_t *)obj, key, v) {
        join_path(path, sizeof path, "server", key);
        uint64_t n;
        if (strcmp(key, "name") == 0) {
            char *s;
            if (get_string(cp, v, path, &s))
                return -1;
            if (!*s) {
                free(s);
                return fail(cp, path, "expected a non-empty string");
            }
            free(c->server_name);
            c->server_name = s;
        } else if (strcmp(key, "max_message_bytes") == 0) {
            if (get_size(cp, v, path, &n))
                return -1;
            if (n < 1024 || n > (1ull << 30))
                return fail(cp, path, "must be between 1KiB and 1GiB");
            c->max_message_bytes = (size_t)n;
        } else if (strcmp(key, "stdio_max_queued_bytes") == 0) {
            if (get_size(cp, v, path, &n))
                return -1;
            if (n < (64u << 10) || n > (1ull << 30))
                return fail(cp, path, "must be between 64KiB and 1GiB");
            c->stdio_max_queued_bytes = (size_t)n;
        } else if (strcmp(key, "workers") == 0) {
            if (get_uint(cp, v, path, false, 1024, &n))
                return -1;
            c->workers = (unsigned)n;
        } else if (strcmp(key, "page_size") == 0) {
            if (get_uint(cp, v, path, true, 100000, &n))
                return -1;
            c->page_size = (unsigned)n;
        } else if (strcmp(key, "log_level") == 0) {
            char *s;
            if (get_string(cp, v, path, &s))
                return -1;
            int level = wc_log_level_parse(s);
            if (level < 0) {
                fail(cp, path, "unknown level '%s' (debug, info, notice, warning, error, critical, "
                               "alert, emergency)", s);
                free(s);
                return -1;
            }
            free(s);
            c->log_level = level;
        } else if (strcmp(key, "state_secret") == 0) {
            char *s;
            if (get_string(cp, v, path, &s))
                return -1;
            if (strlen(s) < 32) {
                free(s);
                return fail(cp, path, "must be at least 32 characters (it keys an HMAC)");
            }
            free(c->state_secret);
            c->state_secret = s;
        } else if (strcmp(key, "tier") == 0) {
            char *s;
            if (get_string(cp, v, path, &s))
                return -1;
            if (strcmp(s, "auto") == 0)
                c->tier = WC_TIER_AUTO;
            else if (strcmp(s, "fast") == 0)
                c->tier = WC_TIER_FAST;
            else if (strcmp(s, "optimized") == 0)
                c->tier = WC_TIER_OPTIMIZED;
            else {
                fail(cp, path, "unknown tier '%s' (auto, fast, optimized)", s);
                free(s);
                return -1;
            }
            free(s);
        } else {
            return fail(cp, path, "unknown key (server takes name, max_message_bytes, "
                                  "stdio_max_queued_bytes, workers, page_size, log_level, tier, "
                                  "state_secret)");
        }
    }
    return 0;
}

/* A copy of v with "${VAR}" expanded in every string, for the sections
 * other layers read (http, auth). */
static int expanded_copy(cparser *cp, const json_t *v, const char *path, json_t **out)
{
    char sub[256];
    *out = NULL;
    if (json_is_string(v)) {
        char *s;
        if (get_string(cp, v, path, &s))
            return -1;
        *out = json_string(s);
        free(s);
    } else if (json_is_object(v)) {
        json_t *obj = json_object();
        const char *key;
        json_t *item, *copy;
        json_object_foreach((json_t *)v, key, item) {
            join_path(sub, sizeof sub, path, key);
            if (!obj || expanded_copy(cp, item, sub, &copy)) {
                json_decref(obj);
                return obj ? -1 : fail(cp, path, "out of memory");
            }
            if (json_object_set_new(obj, key, copy)) {
                json_decref(obj);
                return fail(cp, path, "out of memory");
            }
        }
        *out = obj;
    } else if (json_is_array(v)) {
        json_t *arr = json_array(), *copy;
        for (size_t i = 0; arr && i < json_array_size(v); i++) {
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            if (expanded_copy(cp, json_array_get(v, i), sub, &copy)) {
                json_decref(arr);
                return -1;
            }
            if (json_array_append_new(arr, copy)) {
                json_decref(arr);
                return fail(cp, path, "out of memory");
            }
        }
        *out = arr;
    } else {
        *out = json_copy((json_t *)v);
    }
    return *out ? 0 : fail(cp, path, "out of memory");
}

static int parse_storage(cparser *cp, const json_t *obj, wc_config *c)
{
    if (!json_is_object(obj))
        return fail(cp, "storage", "expected an object");
    const char *key;
    json_t *v;
    char path[256];
    json_object_foreach((json_t *)obj, key, v) {
        join_path(path, sizeof path, "storage", key);
        char **slot;
        if (strcmp(key, "kv_map_size") == 0) {
            uint64_t n;
            if (get_size(cp, v, path, &n))
                return -1;
            if (n < WC_KV_MIN_MAP_SIZE || n > WC_KV_MAX_MAP_SIZE)
                return fail(cp, path, "must be between 1MiB and 1TiB");
            c->kv_map_size = (size_t)n;
            continue;
        }
        if (strcmp(key, "kv_dir") == 0)
            slot = &c->kv_dir;
        else if (strcmp(key, "cache_dir") == 0)
            slot = &c->cache_dir;
        else if (strcmp(key, "cache_key") == 0)
            slot = &c->cache_key;
        else
            return fail(cp, path, "unknown key (storage takes kv_dir, kv_map_size, cache_dir, cache_key)");
        char *s, *resolved;
        if (get_string(cp, v, path, &s))
            return -1;
        if (!*s && slot != &c->cache_dir) {
            free(s);
            return fail(cp, path, "expected a non-empty path");
        }
        if (resolve_path(cp, s, path, &resolved))
            return -1;
        free(*slot);
        *slot = resolved;
    }
    return 0;
}

/* A host name pattern: "example.com" or "*.example.com", lower-cased. */
static int check_host(cparser *cp, char *h, const char *path)
{
    char *p = h;
    if (p[0] == '*' && p[1] == '.')
        p += 2;
    if (!*p)
        return fail(cp, path, "empty host name");
    for (char *q = p; *q; q++) {
        if (*q >= 'A' && *q <= 'Z')
            *q = (char)(*q - 'A' + 'a');
        char ch = *q;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))
            return fail(cp, path, "'%s' is not a host name or *.domain pattern", h);
    }
    return 0;
}

static int parse_permissions(cparser *cp, const json_t *obj, const char *parent, wc_permissions *p)
{
    if (!json_is_object(obj))
        return fail(cp, parent, "expected an object");
    const char *key;
    json_t *v;
    char path[512];
    json_object_foreach((json_t *)obj, key, v) {
        join_path(path, sizeof path, parent, key);
        uint64_t n;
        if (strcmp(key, "allowed_hosts") == 0) {
            if (!json_is_array(v))
                return fail(cp, path, "expected an array of host names");
            size_t count = json_array_size(v);
            p->allowed_hosts = calloc(count ? count : 1, sizeof *p->allowed_hosts);
            if (!p->allowed_hosts)
                return fail(cp, path, "out of memory");
            for (size_t i = 0; i < count; i++) {
                char sub[560];
                snprintf(sub, sizeof sub, "%s[%zu]", path, i);
                char *h;
                if (get_string(cp, json_array_get(v, i), sub, &h))
                    return -1;
                p->allowed_hosts[p->n_allowed_hosts++] = h;
                if (check_host(cp, h, sub))
                    return -1;
            }
        } else if (strcmp(key, "env") == 0) {
            if (!json_is_object(v))
                return fail(cp, path, "expected an object of strings (\"NAME\": \"value\")");
            size_t count = json_object_size(v);
            p->env = calloc(count ? count : 1, sizeof *p->env);
            if (!p->env)
                return fail(cp, path, "out of memory");
            const char *name;
            json_t *val;
            json_object_foreach(v, name, val) {
                char sub[560];
                join_path(sub, sizeof sub, path, name);
                if (!*name || strchr(name, '='))
                    return fail(cp, sub, "a variable name must be non-empty and without '='");
                char *s;
                if (get_string(cp, val, sub, &s))
                    return -1;
                size_t len = strlen(name) + 1 + strlen(s) + 1;
                char *kv = malloc(len);
                if (!kv) {
                    free(s);
                    return fail(cp, sub, "out of memory");
                }
                snprintf(kv, len, "%s=%s", name, s);
                free(s);
                p->env[p->n_env++] = kv;
            }
        } else if (strcmp(key, "memory_limit") == 0) {
            if (get_size(cp, v, path, &n))
                return -1;
            if (n < (64u << 10) || n > (4ull << 30))
                return fail(cp, path, "must be between 64KiB and 4GiB");
            p->memory_limit = n;
        } else if (strcmp(key, "timeout_ms") == 0) {
            if (get_uint(cp, v, path, true, 86400000, &n))
                return -1;
            p->timeout_ms = (uint32_t)n;
        } else if (strcmp(key, "max_output_bytes") == 0) {
            if (get_size(cp, v, path, &n))
                return -1;
            if (n > (1ull << 30))
                return fail(cp, path, "must be at most 1GiB");
            p->max_output_bytes = (size_t)n;
        } else if (strcmp(key, "kv_quota") == 0) {
            if (get_size(cp, v, path, &n))
                return -1;
            p->kv_quota = n;
        } else if (strcmp(key, "max_log_messages") == 0) {
            if (get_uint(cp, v, path, true, 100000000, &n))
                return -1;
            p->max_log_messages = (uint32_t)n;
        } else if (strcmp(key, "max_log_bytes") == 0) {
            if (get_size(cp, v, path, &n))
                return -1;
            if (n < 1 || n > (1ull << 30))
                return fail(cp, path, "must be between 1 byte and 1GiB");
            p->max_log_bytes = (size_t)n;
        } else if (strcmp(key, "kv_namespace") == 0) {
            char *s;
            if (get_string(cp, v, path, &s))
                return -1;
            if (!*s) {
                free(s);
                return fail(cp, path, "expected a non-empty string");
            }
            free(p->kv_namespace);
            p->kv_namespace = s;
        } else if (strcmp(key, "config") == 0) {
            if (!json_is_object(v))
                return fail(cp, path, "expected an object of strings");
            json_t *out = json_object();
            if (!out)
                return fail(cp, path, "out of memory");
            json_decref(p->config);
            p->config = out;
            const char *name;
            json_t *val;
            json_object_foreach(v, name, val) {
                char sub[560];
                join_path(sub, sizeof sub, path, name);
                char *s;
                if (get_string(cp, val, sub, &s))
                    return -1;
                json_object_set_new(out, name, json_string(s));
                free(s);
            }
        } else if (strcmp(key, "sampling") == 0) {
            if (get_bool(cp, v, path, &p->sampling))
                return -1;
        } else if (strcmp(key, "elicitation") == 0) {
            if (get_bool(cp, v, path, &p->elicitation))
                return -1;
        } else {
            return fail(cp, path, "unknown permission (allowed_hosts, env, memory_limit, timeout_ms, "
                                  "max_output_bytes, max_log_messages, max_log_bytes, "
                                  "kv_namespace, kv_quota, config, sampling, elicitation)");
        }
    }
    return 0;
}

static bool exposed_name_ok(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return n <= 128;
}

static int parse_plugin(cparser *cp, const char *name, const json_t *obj, wc_plugin_config *pc)
{
    char base[256], path[512];
    join_path(base, sizeof base, "plugins", name);
    if (!wc_manifest_name_ok(name))
        return fail(cp, base, "a plugin name must match ^[A-Za-z0-9_.-]{1,64}$");
    if (!json_is_object(obj))
        return fail(cp, base, "expected an object");
    pc->name = strdup(name);
    if (!pc->name)
        return fail(cp, base, "out of memory");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        join_path(path, sizeof path, base, key);
        if (strcmp(key, "path") == 0) {
            char *s;
            if (get_string(cp, v, path, &s))
                return -1;
            if (!*s) {
                free(s);
                return fail(cp, path, "expected a non-empty path");
            }
            if (resolve_path(cp, s, path, &pc->path))
                return -1;
        } else if (strcmp(key, "prefix") == 0) {
            char *s;
            if (get_string(cp, v, path, &s))
                return -1;
            free(pc->prefix);
            pc->prefix = s;
            if (strlen(s) > 64 || !exposed_name_ok(s))
                return fail(cp, path, "a prefix may hold up to 64 letters, digits, '_', '.' or '-'");
        } else if (strcmp(key, "tools") == 0) {
            if (!json_is_object(v))
                return fail(cp, path, "expected an object (\"tool\": \"exposed name\")");
            pc->tool_names = json_object();
            if (!pc->tool_names)
                return fail(cp, path, "out of memory");
            const char *tool;
            json_t *val;
            json_object_foreach(v, tool, val) {
                char sub[600];
                join_path(sub, sizeof sub, path, tool);
                char *s;
                if (get_string(cp, val, sub, &s))
                    return -1;
                if (!*s || !exposed_name_ok(s)) {
                    fail(cp, sub, "'%s' is not a valid tool name (1 to 128 letters, digits, '_', "
                                  "'.' or '-')", s);
                    free(s);
                    return -1;
                }
                json_object_set_new(pc->tool_names, tool, json_string(s));
                free(s);
            }
        } else if (strcmp(key, "permissions") == 0) {
            if (parse_permissions(cp, v, path, &pc->perms))
                return -1;
        } else {
            return fail(cp, path, "unknown key (a plugin takes path, prefix, tools, permissions)");
        }
    }
    if (!pc->path)
        return fail(cp, base, "path is required");
    if (!pc->prefix && !(pc->prefix = strdup(name)))
        return fail(cp, base, "out of memory");
    return 0;
}

static int parse_plugins(cparser *cp, const json_t *obj, wc_config *c)
{
    if (!json_is_object(obj))
        return fail(cp, "plugins", "expected an object (\"name\": {\"path\": ...})");
    size_t count = json_object_size(obj);
    if (!count)
        return 0;
    c->plugins = calloc(count, sizeof *c->plugins);
    if (!c->plugins)
        return fail(cp, "plugins", "out of memory");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        /* Counted before parsing so that wc_config_free frees a partial one. */
        if (parse_plugin(cp, key, v, &c->plugins[c->nplugins++]))
            return -1;
    }
    return 0;
}

static int parse(cparser *cp, const char *text, size_t len, wc_config *out)
{
    if (wc_config_default(out, cp->err, cp->err_size))
        return -1;
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        fail(cp, NULL, "invalid JSON at line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        goto fail;
    }
    if (!json_is_object(doc)) {
        fail(cp, NULL, "expected a JSON object");
        goto fail;
    }
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v) {
        int rc;
        if (strcmp(key, "server") == 0)
            rc = parse_server(cp, v, out);
        else if (strcmp(key, "storage") == 0)
            rc = parse_storage(cp, v, out);
        else if (strcmp(key, "plugins") == 0)
            rc = parse_plugins(cp, v, out);
        else if (strcmp(key, "http") == 0 || strcmp(key, "auth") == 0) {
            json_t **slot = key[0] == 'h' ? &out->http : &out->auth;
            if (!json_is_object(v))
                rc = fail(cp, key, "expected an object");
            else
                rc = expanded_copy(cp, v, key, slot);
        }
        else if (strcmp(key, "$schema") == 0 || strcmp(key, "$comment") == 0)
            rc = 0;
        else
            rc = fail(cp, key, "unknown key (the config has server, storage, plugins, http, auth)");
        if (rc)
            goto fail;
    }
    json_decref(doc);
    return 0;
fail:
    json_decref(doc);
    wc_config_free(out);
    return -1;
}

int wc_config_parse(const char *text, const char *base_dir, wc_config *out, char *err,
                    size_t err_size)
{
    cparser cp = {"wasmcap.json", base_dir, err, err_size};
    return parse(&cp, text, strlen(text), out);
}

int wc_config_load(const char *path, wc_config *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    uint8_t *data = NULL;
    size_t size = 0;
    int rc = wc_read_file(path, MAX_CONFIG_BYTES, &data, &size);
    if (rc) {
        snprintf(err, err_size, "%s: %s", path, strerror(-rc));
        return -1;
    }
    char *dir = strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *(slash == dir ? slash + 1 : slash) = 0;
    cparser cp = {path, slash ? dir : NULL, err, err_size};
    if (!dir) {
        free(data);
        snprintf(err, err_size, "%s: out of memory", path);
        return -1;
    }
    rc = parse(&cp, (const char *)data, size, out);
    free(data);
    free(dir);
    if (rc)
        return -1;
    out->path = strdup(path);
    if (!out->path) {
        wc_config_free(out);
        snprintf(err, err_size, "%s: out of memory", path);
        return -1;
    }
    return 0;
}

static void free_permissions(wc_permissions *p)
{
    for (size_t i = 0; i < p->n_allowed_hosts; i++)
        free(p->allowed_hosts[i]);
    free(p->allowed_hosts);
    for (size_t i = 0; i < p->n_env; i++)
        free(p->env[i]);
    free(p->env);
    free(p->kv_namespace);
    json_decref(p->config);
}

void wc_config_free(wc_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nplugins; i++) {
        wc_plugin_config *pc = &c->plugins[i];
        free(pc->name);
        free(pc->path);
        free(pc->prefix);
        json_decref(pc->tool_names);
        free_permissions(&pc->perms);
    }
    free(c->plugins);
    free(c->path);
    free(c->server_name);
    free(c->state_secret);
    free(c->kv_dir);
    free(c->cache_dir);
    free(c->cache_key);
    json_decref(c->http);
    json_decref(c->auth);
    memset(c, 0, sizeof *c);
}
