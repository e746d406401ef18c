/* hyper_mcp.c -- hyper-mcp's config file as wasmcap.json (hyper_mcp.h).
 *
 * hyper-mcp (src/config.rs, src/service.rs) gives each plugin an Extism
 * manifest: `allowed_hosts` as allowed hosts (Extism's globs), `allowed_paths`
 * as read-write preopens (`host[:guest]`), `env_vars` as config keys (what
 * config_get reads), `memory_limit` (a byte size with bytesize's units) as
 * the memory maximum; it hides what `skip_*` match, and fetches `url` from a
 * file, https or an OCI registry.  The same in wasmcap are
 * permissions.allowed_hosts, allowed_paths, config and memory_limit, the
 * plugin's skip_* lists and its `source`; its tools are exposed as
 * `<plugin>-<tool>` in both.  Where wasmcap is stricter (an https plugin
 * needs its digest, an OCI one a cosign key) the file must say so; anything
 * else is refused by name.
 */
#include "cli/hyper_mcp.h"
#include "plugin/config.h"

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
    const json_t *oci; /* the file's "oci" section, checked; NULL: none */
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

/* How an oci:// plugin is verified: by the cosign keys of oci.cosign_keys
 * (wasmcap's key in hyper-mcp's section, which hyper-mcp ignores), or not
 * at all with oci.insecure_skip_signature.  hyper-mcp's own verification
 * is keyless (Fulcio and Rekor), which wasmcap does not do. */
static json_t *oci_source(conversion *cv, const char *plugin, const char *u)
{
    const json_t *keys = json_object_get(cv->oci, "cosign_keys");
    bool skip = json_is_true(json_object_get(cv->oci, "insecure_skip_signature"));
    if (!keys && !skip)
        return refuse(cv, "plugins.%s.url: an oci:// plugin must carry a cosign signature by a "
                          "key wasmcap is given: list the public keys in oci.cosign_keys (or set "
                          "oci.insecure_skip_signature to true to run it unsigned)", plugin), NULL;
    json_t *src = json_pack("{s:s}", "url", u);
    if (keys)
        json_object_set_new(src, "keys", json_deep_copy(keys));
    if (skip && !keys)
        json_object_set_new(src, "require_signature", json_false());
    return src;
}

/* Where the module comes from, as `path` (file://PATH or a plain path) or
 * `source` (https:// with its digest, oci://); *as gets which. */
static json_t *plugin_source(conversion *cv, const char *plugin, const json_t *url, const char **as)
{
    const char *u = json_string_value(url);
    *as = "path";
    if (!u || !*u)
        return refuse(cv, "plugins.%s.url: expected a string (file:///path/to/plugin.wasm)",
                      plugin), NULL;
    if (strncmp(u, "file://", 7) == 0)
        return u[7] == '/' ? json_string(u + 7)
                           : (refuse(cv, "plugins.%s.url: a file URL needs an absolute path "
                                         "(file:///...)", plugin), NULL);
    if (strncmp(u, "https://", 8) == 0) {
        if (!strstr(u, "#sha256="))
            return refuse(cv, "plugins.%s.url: an https:// plugin needs its digest: add "
                              "#sha256=<64 hex digits> to the URL (or convert the file and set "
                              "source.require_digest to false)", plugin), NULL;
        *as = "source";
        return json_string(u);
    }
    if (strncmp(u, "oci://", 6) == 0) {
        *as = "source";
        return oci_source(cv, plugin, u);
    }
    const char *colon = strstr(u, "://");
    if (colon) {
        return refuse(cv, "plugins.%s.url: %.*s:// sources are not supported: give an oci://, "
                          "https://...#sha256= or file:// URL, or a path", plugin,
                      (int)(colon - u > 16 ? 16 : colon - u), u), NULL;
    }
    return json_string(u);
}

/* Extism's host globs: names with '*' and '?' ("*" is any host). */
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
        bool ok = s && *s;
        for (const char *c = s; ok && *c; c++)
            ok = isalnum((unsigned char)*c) || strchr("-.*?", *c);
        if (!ok) {
            json_decref(out);
            return refuse(cv, "plugins.%s.runtime_config.allowed_hosts[%zu]: '%s' is not "
                              "supported: wasmcap takes host names and patterns with '*' and '?'",
                          plugin, i, s ? s : "(not a string)"), NULL;
        }
        json_array_append_new(out, json_string(s));
    }
    return out;
}

/* "host" or "host:guest" (the first ':' splits; both trimmed; an empty
 * guest is the host), read-write as Extism grants them. */
static json_t *paths(conversion *cv, const char *plugin, const json_t *list)
{
    if (!json_is_array(list))
        return refuse(cv, "plugins.%s.runtime_config.allowed_paths: expected an array of "
                          "\"host\" or \"host:guest\" paths", plugin), NULL;
    json_t *out = json_array();
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v) {
        const char *s = json_string_value(v);
        const char *colon = s ? strchr(s, ':') : NULL;
        char host[1024], guest[1024];
        size_t hn = s ? (colon ? (size_t)(colon - s) : strlen(s)) : 0;
        while (s && hn && isspace((unsigned char)*s))
            s++, hn--;
        while (hn && isspace((unsigned char)s[hn - 1]))
            hn--;
        if (!s || !hn || hn >= sizeof host) {
            json_decref(out);
            return refuse(cv, "plugins.%s.runtime_config.allowed_paths[%zu]: expected \"host\" or "
                              "\"host:guest\" with a host path", plugin, i), NULL;
        }
        memcpy(host, s, hn);
        host[hn] = 0;
        snprintf(guest, sizeof guest, "%s", colon ? colon + 1 : "");
        char *g = guest;
        while (isspace((unsigned char)*g))
            g++;
        for (size_t n = strlen(g); n && isspace((unsigned char)g[n - 1]);)
            g[--n] = 0;
        json_array_append_new(out, json_pack("{s:s, s:s, s:b}", "host", host, "guest",
                                             *g ? g : host, "writable", 1));
    }
    return out;
}

/* skip_*: regular expressions, refused here with hyper-mcp's key when
 * they do not compile. */
static json_t *skips(conversion *cv, const char *plugin, const char *key, const json_t *list)
{
    if (!json_is_array(list))
        return refuse(cv, "plugins.%s.runtime_config.%s: expected an array of regular "
                          "expressions", plugin, key), NULL;
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v) {
        char why[256] = "expected a string";
        if (!json_is_string(v) || !wc_skip_pattern_ok(json_string_value(v), why, sizeof why))
            return refuse(cv, "plugins.%s.runtime_config.%s[%zu]: not a regular expression: %s",
                          plugin, key, i, why), NULL;
    }
    return json_deep_copy(list);
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

/* runtime_config into entry: its grants as "permissions", its skip_*
 * lists beside them. */
static void runtime_config(conversion *cv, const char *plugin, const json_t *rc, json_t *entry)
{
    if (!json_is_object(rc)) {
        refuse(cv, "plugins.%s.runtime_config: expected an object", plugin);
        return;
    }
    json_t *perms = json_object();
    json_object_set_new(entry, "permissions", perms);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)rc, key, v) {
        json_t *value = NULL, *into = perms;
        const char *as = key;
        if (strcmp(key, "allowed_hosts") == 0)
            value = hosts(cv, plugin, v);
        else if (strcmp(key, "allowed_paths") == 0)
            value = paths(cv, plugin, v);
        else if (strcmp(key, "env_vars") == 0)
            value = env_vars(cv, plugin, v), as = "config";
        else if (strcmp(key, "memory_limit") == 0)
            value = memory_limit(cv, plugin, v);
        else if (!strcmp(key, "skip_tools") || !strcmp(key, "skip_prompts") ||
                 !strcmp(key, "skip_resources") || !strcmp(key, "skip_resource_templates"))
            value = skips(cv, plugin, key, v), into = entry;
        else if (strcmp(key, "allowed_secrets") == 0)
            refuse(cv, "plugins.%s.runtime_config.allowed_secrets: keyring secrets are not "
                       "supported: pass values with env_vars (\"${VAR}\" reads the environment)",
                   plugin);
        else
            refuse(cv, "plugins.%s.runtime_config.%s: not a key wasmcap knows", plugin, key);
        if (!value)
            return;
        json_object_set_new(into, as, value);
    }
}

/* The "oci" section: how OCI plugins are verified. */
static void oci_section(conversion *cv, const json_t *oci)
{
    if (!json_is_object(oci)) {
        refuse(cv, "oci: expected an object");
        return;
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)oci, key, v) {
        if (!strcmp(key, "insecure_skip_signature") || !strcmp(key, "use_sigstore_tuf_data")) {
            if (!json_is_boolean(v))
                refuse(cv, "oci.%s: expected true or false", key);
        } else if (!strcmp(key, "cosign_keys")) {
            size_t i;
            const json_t *k;
            if (!json_is_array(v) || !json_array_size(v))
                refuse(cv, "oci.cosign_keys: expected an array of public key files (PEM)");
            json_array_foreach(v, i, k)
                if (!json_is_string(k))
                    refuse(cv, "oci.cosign_keys[%zu]: expected a path", i);
        } else if (!strcmp(key, "cert_email") || !strcmp(key, "cert_issuer") ||
                   !strcmp(key, "cert_url") || !strcmp(key, "fulcio_certs") ||
                   !strcmp(key, "rekor_pub_keys")) {
            refuse(cv, "oci.%s: keyless signatures (Fulcio certificates, Rekor) are not "
                       "supported: verify with public keys in oci.cosign_keys", key);
        } else {
            refuse(cv, "oci.%s: not a key wasmcap knows", key);
        }
        if (cv->failed)
            return;
    }
    cv->oci = oci;
}

json_t *wc_hyper_mcp_convert(const json_t *doc, const char *source, wc_error *err)
{
    conversion cv = {.source = source ? source : "config", .err = err};
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)doc, key, v) {
        if (strcmp(key, "plugins") == 0)
            continue;
        if (strcmp(key, "oci") == 0)
            oci_section(&cv, v);
        else if (strcmp(key, "auths") == 0)
            refuse(&cv, "auths: credentials for https plugin sources are not supported");
        else if (strcmp(key, "dynamic_loading") == 0)
            refuse(&cv, "dynamic_loading: loading plugins at run time is not supported");
        else
            refuse(&cv, "%s: not a key wasmcap knows", key);
        if (cv.failed)
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
            if (strcmp(k, "url") == 0) {
                const char *as;
                json_t *value = plugin_source(&cv, key, field, &as);
                if (value)
                    json_object_set_new(entry, as, value);
            } else if (strcmp(k, "runtime_config") == 0) {
                runtime_config(&cv, key, field, entry);
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
