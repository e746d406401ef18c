/* hyper_mcp.c -- hyper-mcp's config file as wasmcap.json (hyper_mcp.h).
 *
 * hyper-mcp (src/config.rs, src/service.rs) gives each plugin an Extism
 * manifest: `allowed_hosts` as allowed hosts, `env_vars` as config keys
 * (what config_get reads), `memory_limit` (a byte size with bytesize's
 * units) as the memory maximum.  The same grants in wasmcap are
 * permissions.allowed_hosts, permissions.config and
 * permissions.memory_limit; its tools are exposed as `<plugin>-<tool>` in
 * both.  Anything else is refused by name.
 */
#include "cli/hyper_mcp.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct conversion {
    const char *source;
    wc_error *err;
    bool failed;
} conversion;

static bool refuse(conversion *cv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool refuse(conversion *cv, const char *fmt, ...)
{
    if (cv->failed)
        return false;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    wc_error_set(cv->err, WC_EINVAL, "%s (a hyper-mcp config): %s", cv->source, msg);
    cv->failed = true;
    return false;
}

bool wc_hyper_mcp_is_config(const json_t *doc)
{
    const json_t *plugins = json_object_get(doc, "plugins");
    if (!json_is_object(plugins) || json_object_size(plugins) == 0)
        return false;
    const char *name;
    const json_t *entry;
    json_object_foreach((json_t *)plugins, name, entry)
        if (!json_is_object(entry) || !json_object_get(entry, "url") ||
            json_object_get(entry, "path"))
            return false;
    return true;
}

/* hyper-mcp's plugin names: ^[A-Za-z0-9]+(_[A-Za-z0-9]+)*$ */
static bool name_ok(const char *n)
{
    bool after_sep = true;
    for (; *n; n++) {
        if (isalnum((unsigned char)*n))
            after_sep = false;
        else if (*n == '_' && !after_sep)
            after_sep = true;
        else
            return false;
    }
    return !after_sep;
}

/* The module's path from `url`: file://PATH or a plain path. */
static json_t *plugin_path(conversion *cv, const char *plugin, const json_t *url)
{
    const char *u = json_string_value(url);
    if (!u || !*u)
        return refuse(cv, "plugins.%s.url: expected a string (file:///path/to/plugin.wasm)",
                      plugin), NULL;
    if (strncmp(u, "file://", 7) == 0)
        return u[7] == '/' ? json_string(u + 7)
                           : (refuse(cv, "plugins.%s.url: a file URL needs an absolute path "
                                         "(file:///...)", plugin), NULL);
    const char *colon = strstr(u, "://");
    if (colon) {
        return refuse(cv, "plugins.%s.url: %.*s:// sources are not supported yet: download the "
                          "plugin and give its file:// URL or path", plugin,
                      (int)(colon - u > 16 ? 16 : colon - u), u), NULL;
    }
    return json_string(u);
}

static json_t *hosts(conversion *cv, const char *plugin, const json_t *list)
{
    if (!json_is_array(list))
        return refuse(cv, "plugins.%s.runtime_config.allowed_hosts: expected an array of host "
                          "names", plugin), NULL;
    json_t *out = json_array();
    size_t i;
    const json_t *h;
    json_array_foreach(list, i, h) {
        const char *s = json_string_value(h);
        const char *rest = s && s[0] == '*' && s[1] == '.' ? s + 2 : s;
        bool ok = rest && *rest && strcmp(s, "*") != 0 && !strpbrk(rest, "*?[]");
        if (!ok) {
            json_decref(out);
            return refuse(cv, "plugins.%s.runtime_config.allowed_hosts[%zu]: '%s' is not "
                              "supported: wasmcap takes host names and *.domain patterns (list "
                              "the hosts rather than \"*\")", plugin, i, s ? s : "(not a string)"),
                   NULL;
        }
        json_array_append_new(out, json_string(s));
    }
    return out;
}

static json_t *env_vars(conversion *cv, const char *plugin, const json_t *vars)
{
    const char *key;
    const json_t *v;
    if (!json_is_object(vars))
        return refuse(cv, "plugins.%s.runtime_config.env_vars: expected an object of strings",
                      plugin), NULL;
    json_object_foreach((json_t *)vars, key, v)
        if (!json_is_string(v))
            return refuse(cv, "plugins.%s.runtime_config.env_vars.%s: expected a string",
                          plugin, key), NULL;
    return json_deep_copy(vars);
}

/* bytesize's units, case-insensitive: k/kb 1000, ki/kib 1024, and so on. */
static json_t *memory_limit(conversion *cv, const char *plugin, const json_t *limit)
{
    const char *s = json_string_value(limit);
    char *end = NULL;
    unsigned long long n = s ? strtoull(s, &end, 10) : 0;
    if (!s || end == s || !isdigit((unsigned char)*s))
        return refuse(cv, "plugins.%s.runtime_config.memory_limit: expected a size such as "
                          "\"256Mi\" or \"1GB\"", plugin), NULL;
    while (*end == ' ')
        end++;
    static const struct {
        const char *unit;
        uint64_t factor;
    } units[] = {
        {"", 1}, {"b", 1}, {"k", 1000}, {"kb", 1000}, {"ki", 1024}, {"kib", 1024},
        {"m", 1000000}, {"mb", 1000000}, {"mi", 1u << 20}, {"mib", 1u << 20},
        {"g", 1000000000}, {"gb", 1000000000}, {"gi", 1u << 30}, {"gib", 1u << 30},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcasecmp(end, units[i].unit) == 0) {
            if (n > UINT64_MAX / units[i].factor)
                break;
            return json_integer((json_int_t)(n * units[i].factor));
        }
    return refuse(cv, "plugins.%s.runtime_config.memory_limit: '%s' is not a size (units: B, "
                      "KB, KiB, MB, MiB, GB, GiB; Ki, Mi, Gi)", plugin, s), NULL;
}

static json_t *permissions(conversion *cv, const char *plugin, const json_t *rc)
{
    if (!json_is_object(rc))
        return refuse(cv, "plugins.%s.runtime_config: expected an object", plugin), NULL;
    json_t *perms = json_object();
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)rc, key, v) {
        json_t *value = NULL;
        const char *as = NULL;
        if (strcmp(key, "allowed_hosts") == 0)
            value = hosts(cv, plugin, v), as = "allowed_hosts";
        else if (strcmp(key, "env_vars") == 0)
            value = env_vars(cv, plugin, v), as = "config";
        else if (strcmp(key, "memory_limit") == 0)
            value = memory_limit(cv, plugin, v), as = "memory_limit";
        else if (strcmp(key, "allowed_paths") == 0)
            refuse(cv, "plugins.%s.runtime_config.allowed_paths: filesystem grants are not "
                       "supported yet", plugin);
        else if (strncmp(key, "skip_", 5) == 0)
            refuse(cv, "plugins.%s.runtime_config.%s: hiding tools, prompts or resources is not "
                       "supported yet", plugin, key);
        else
            refuse(cv, "plugins.%s.runtime_config.%s: not a key wasmcap knows", plugin, key);
        if (!value) {
            json_decref(perms);
            return NULL;
        }
        json_object_set_new(perms, as, value);
    }
    return perms;
}

json_t *wc_hyper_mcp_convert(const json_t *doc, const char *source, wc_error *err)
{
    conversion cv = {.source = source ? source : "config", .err = err};
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)doc, key, v) {
        if (strcmp(key, "plugins") == 0)
            continue;
        if (strcmp(key, "auths") == 0)
            refuse(&cv, "auths: credentials for https plugin sources are not supported yet");
        else if (strcmp(key, "oci") == 0)
            refuse(&cv, "oci: OCI plugin sources and their signatures are not supported yet");
        else
            refuse(&cv, "%s: not a key wasmcap knows", key);
        return NULL;
    }
    json_t *out = json_object(), *plugins = json_object();
    json_object_set_new(out, "plugins", plugins);
    json_object_foreach((json_t *)json_object_get(doc, "plugins"), key, v) {
        if (!name_ok(key)) {
            refuse(&cv, "plugins.%s: a plugin name is letters and digits, words joined by '_'",
                   key);
            break;
        }
        json_t *entry = json_object();
        json_object_set_new(plugins, key, entry);
        const char *k;
        const json_t *field;
        json_object_foreach((json_t *)v, k, field) {
            json_t *value = NULL;
            if (strcmp(k, "url") == 0) {
                if ((value = plugin_path(&cv, key, field)))
                    json_object_set_new(entry, "path", value);
            } else if (strcmp(k, "runtime_config") == 0) {
                if ((value = permissions(&cv, key, field)))
                    json_object_set_new(entry, "permissions", value);
            } else if (strcmp(k, "description") == 0 && json_is_string(field)) {
                continue; /* for people reading the file: wasmcap has no use for it */
            } else {
                refuse(&cv, "plugins.%s.%s: not a key wasmcap knows", key, k);
            }
            if (cv.failed)
                break;
        }
        if (cv.failed)
            break;
    }
    if (cv.failed) {
        json_decref(out);
        return NULL;
    }
    return out;
}
