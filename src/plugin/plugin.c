/* plugin.c -- load a plugin once, then run each call in a fresh instance.
 *
 * Everything that does not depend on the call is done at load: the module
 * compiled, the manifest parsed and its schemas compiled, the ABI picked by
 * the exports and their types checked, the imports resolved into a binding
 * array in import order (so the engine's linker finds each import at once),
 * the export indices looked up.  A call then costs an instance, a few
 * guest calls and the JSON of its result.  What differs between ABIs is in
 * their tables (abi.h); this file holds what every ABI shares.
 */
#include "plugin/plugin_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/extism.h"
#include "json/parse.h"
#include "json/text.h"
#include "plugin/registry.h" /* wc_input_required_check */
#include "util/fs.h"
#include "util/log.h"

#define WASI_MODULE "wasi_snapshot_preview1"
#define WASMCAP_MODULE "wasmcap"
#define WASI_NN_MODULE "wasi_ephemeral_nn"
#define NATIVE_STDERR_CAPTURE (64u << 10)

static const struct {
    const char *name, *params, *results;
    bool required;
} native_exports[WC_ENTRY_COUNT] = {
    [WC_ENTRY_CALL_TOOL] = {"wasmcap_call_tool", "iiii", "I", true},
    [WC_ENTRY_READ_RESOURCE] = {"wasmcap_read_resource", "ii", "I", false},
    [WC_ENTRY_LIST_RESOURCES] = {"wasmcap_list_resources", "", "I", false},
    [WC_ENTRY_GET_PROMPT] = {"wasmcap_get_prompt", "iiii", "I", false},
    [WC_ENTRY_COMPLETE] = {"wasmcap_complete", "ii", "I", false},
};

/* ---- small helpers ----------------------------------------------------- */

static void format_size(uint64_t n, char *out, size_t size)
{
    if (n >= (1u << 20) && n % (1u << 20) == 0)
        snprintf(out, size, "%llu MiB", (unsigned long long)(n >> 20));
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(out, size, "%llu KiB", (unsigned long long)(n >> 10));
    else
        snprintf(out, size, "%llu bytes", (unsigned long long)n);
}

static bool type_is(const wc_functype *ft, const char *params, const char *results)
{
    const char *s[2] = {params, results};
    const uint8_t *v[2] = {ft->params, ft->results};
    uint32_t n[2] = {ft->nparams, ft->nresults};
    for (int k = 0; k < 2; k++) {
        if (strlen(s[k]) != n[k])
            return false;
        for (uint32_t i = 0; i < n[k]; i++) {
            uint8_t want = s[k][i] == 'i' ? WC_VT_I32 : s[k][i] == 'I' ? WC_VT_I64 : 0;
            if (v[k][i] != want)
                return false;
        }
    }
    return true;
}

static void describe_type(const char *params, const char *results, char *out, size_t size)
{
    size_t n = 0;
    n += (size_t)snprintf(out + n, size - n, "(");
    for (const char *c = params; *c && n < size; c++)
        n += (size_t)snprintf(out + n, size - n, "%s%s", c == params ? "" : " ", *c == 'i' ? "i32" : "i64");
    if (n < size)
        n += (size_t)snprintf(out + n, size - n, ") -> (");
    for (const char *c = results; *c && n < size; c++)
        n += (size_t)snprintf(out + n, size - n, "%s%s", c == results ? "" : " ", *c == 'i' ? "i32" : "i64");
    if (n < size)
        snprintf(out + n, size - n, ")");
}

/* The index of exported function `name`, checked against its type: -1 when
 * absent, -2 (with err) when present with another type or kind. */
static int find_func(const wc_module_info *info, const char *name, const char *params,
                     const char *results, const char *plugin, wc_error *err)
{
    for (uint32_t i = 0; i < info->nexports; i++) {
        const wc_export *e = &info->exports[i];
        if (e->name_len != strlen(name) || memcmp(e->name, name, e->name_len) != 0)
            continue;
        char want[96];
        describe_type(params, results, want, sizeof want);
        if (e->kind != WC_EXTERN_FUNC) {
            wc_error_set(err, WC_ELINK, "plugin '%s': export '%s' must be a function %s, not a %s",
                         plugin, name, want, wc_extern_kind_name(e->kind));
            return -2;
        }
        const wc_functype *ft = wc_module_func_type(info, e->index);
        if (!ft || !type_is(ft, params, results)) {
            wc_error_set(err, WC_ELINK, "plugin '%s': export '%s' must have type %s", plugin, name,
                         want);
            return -2;
        }
        return (int)i;
    }
    return -1;
}

json_t *wc_text_block(const char *text, size_t len)
{
    json_t *s = json_stringn(text, len);
    if (!s) {
        /* Not UTF-8: keep what is, replace each bad byte with U+FFFD. */
        char *clean = malloc(len * 3 + 1);
        if (!clean)
            return NULL;
        size_t o = 0;
        for (size_t i = 0; i < len;) {
            unsigned char c = (unsigned char)text[i];
            size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
            bool ok = n > 0 && i + n <= len;
            for (size_t k = 1; ok && k < n; k++)
                ok = ((unsigned char)text[i + k] >> 6) == 2;
            if (ok && n > 1) {
                /* jansson knows overlong forms and surrogates; ask it */
                json_t *probe = json_stringn(text + i, n);
                ok = probe != NULL;
                json_decref(probe);
            }
            if (ok) {
                memcpy(clean + o, text + i, n);
                o += n;
                i += n;
            } else {
                memcpy(clean + o, "\xEF\xBF\xBD", 3);
                o += 3;
                i++;
            }
        }
        s = json_stringn(clean, o);
        free(clean);
        if (!s)
            return NULL;
    }
    json_t *block = json_object();
    if (!block || json_object_set_new(block, "type", json_string("text")) ||
        json_object_set_new(block, "text", s)) {
        json_decref(block);
        return NULL;
    }
    return block;
}

/* ---- load -------------------------------------------------------------- */

static char *dup_or_null(const char *s, bool *oom)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *oom = true;
    return d;
}

/* A copy of list[0..n) in *out (*n_out counts what was copied). */
static int copy_strings(char *const *list, size_t n, char ***out, size_t *n_out)
{
    bool oom = false;
    *out = NULL;
    *n_out = 0;
    if (n && !(*out = calloc(n, sizeof **out)))
        return WC_ENOMEM;
    for (size_t i = 0; *out && i < n; i++, (*n_out)++)
        (*out)[i] = dup_or_null(list[i], &oom);
    return oom ? WC_ENOMEM : 0;
}

/* The granted names, and a reference to the shared models. */
static int copy_nn_permissions(const wc_permissions *sp, wc_permissions *dp)
{
    dp->nn_library = wc_nn_models_retain(sp->nn_library);
    return copy_strings(sp->nn_models, sp->n_nn_models, &dp->nn_models, &dp->n_nn_models);
}

static int copy_config(const wc_plugin_config *src, wc_plugin_config *dst)
{
    bool oom = false;
    memset(dst, 0, sizeof *dst);
    dst->name = dup_or_null(src->name, &oom);
    dst->path = dup_or_null(src->path, &oom);
    dst->prefix = dup_or_null(src->prefix ? src->prefix : src->name, &oom);
    dst->fingerprint = dup_or_null(src->fingerprint, &oom);
    dst->tool_names = src->tool_names ? json_deep_copy(src->tool_names) : NULL;
    dst->schema_docs = wc_schema_docs_retain(src->schema_docs);
    if (src->tool_names && !dst->tool_names)
        oom = true;
    const wc_permissions *sp = &src->perms;
    wc_permissions *dp = &dst->perms;
    *dp = *sp;
    dp->allowed_hosts = NULL;
    dp->n_allowed_hosts = 0;
    dp->env = NULL;
    dp->n_env = 0;
    dp->bus_publish = dp->bus_request = NULL;
    dp->n_bus_publish = dp->n_bus_request = 0;
    dp->kv_namespace = dup_or_null(sp->kv_namespace, &oom);
    dp->config = sp->config ? json_deep_copy(sp->config) : NULL;
    if (sp->config && !dp->config)
        oom = true;
    if (sp->n_allowed_hosts) {
        dp->allowed_hosts = calloc(sp->n_allowed_hosts, sizeof *dp->allowed_hosts);
        if (!dp->allowed_hosts)
            oom = true;
        for (size_t i = 0; dp->allowed_hosts && i < sp->n_allowed_hosts; i++, dp->n_allowed_hosts++)
            dp->allowed_hosts[i] = dup_or_null(sp->allowed_hosts[i], &oom);
    }
    if (sp->n_env) {
        dp->env = calloc(sp->n_env, sizeof *dp->env);
        if (!dp->env)
            oom = true;
        for (size_t i = 0; dp->env && i < sp->n_env; i++, dp->n_env++)
            dp->env[i] = dup_or_null(sp->env[i], &oom);
    }
    if (copy_nn_permissions(sp, dp) || copy_strings(sp->bus_publish, sp->n_bus_publish,
                                                     &dp->bus_publish, &dp->n_bus_publish) ||
        copy_strings(sp->bus_request, sp->n_bus_request, &dp->bus_request, &dp->n_bus_request))
        oom = true;
    for (int k = 0; k < WC_SKIP_KINDS; k++) {
        dst->skip[k] = NULL;
        dst->n_skip[k] = 0;
        if (src->n_skip[k] && !(dst->skip[k] = calloc(src->n_skip[k], sizeof *dst->skip[k])))
            oom = true;
        for (size_t i = 0; dst->skip[k] && i < src->n_skip[k]; i++, dst->n_skip[k]++)
            dst->skip[k][i] = dup_or_null(src->skip[k][i], &oom);
    }
    dp->preopens = NULL;
    dp->n_preopens = 0;
    if (wc_preopens_copy(sp->preopens, sp->n_preopens, &dp->preopens))
        oom = true;
    else
        dp->n_preopens = sp->n_preopens;
    return oom || !dst->name || !dst->path ? WC_ENOMEM : 0;
}

/* Resolves every import against WASI and wasmcap, in import order. */
static int resolve_imports(wc_plugin *p, const wc_module_info *info, wc_error *err)
{
    wc_error werr = {0};
    wc_wasi_config wcfg = {0};
    wc_wasi *probe = wc_wasi_new(&wcfg, &werr);
    wc_wasi_nn *nn_probe = probe ? wc_wasi_nn_new(&(wc_wasi_nn_config){0}, &werr) : NULL;
    if (!nn_probe) {
        wc_wasi_free(probe);
        return wc_error_set(err, WC_ENOMEM, "plugin '%s': %s", p->config.name, werr.msg);
    }
    const wc_import_binding *wasi, *host, *nn, *xenv, *xuser;
    size_t nwasi = wc_wasi_bindings(probe, &wasi);
    size_t nnn = wc_wasi_nn_bindings(nn_probe, &nn);
    size_t nhost = wc_wasmcap_bindings(&host);
    /* Extism's kernel and hyper-mcp's functions only for Extism plugins:
     * they need the call state that ABI sets up */
    bool extism = p->abi == &wc_abi_extism;
    size_t nxenv = extism ? wc_extism_env_bindings(&xenv) : 0;
    size_t nxuser = extism ? wc_extism_user_bindings(&xuser) : 0;
    int rc = 0;
    p->nbindings = info->nimports;
    p->bindings = calloc(info->nimports ? info->nimports : 1, sizeof *p->bindings);
    p->wasi_slots = calloc(info->nimports ? info->nimports : 1, sizeof *p->wasi_slots);
    p->nn_slots = calloc(info->nimports ? info->nimports : 1, sizeof *p->nn_slots);
    if (!p->bindings || !p->wasi_slots || !p->nn_slots) {
        rc = wc_error_set(err, WC_ENOMEM, "plugin '%s': out of memory", p->config.name);
        goto done;
    }
    for (uint32_t i = 0; i < info->nimports; i++) {
        const wc_import *imp = &info->imports[i];
        const wc_import_binding *table = NULL;
        size_t n = 0;
        bool is_wasi = strcmp(imp->module, WASI_MODULE) == 0;
        if (is_wasi)
            table = wasi, n = nwasi;
        else if (strcmp(imp->module, WASMCAP_MODULE) == 0)
            table = host, n = nhost;
        else if (strcmp(imp->module, WASI_NN_MODULE) == 0)
            table = nn, n = nnn;
        else if (strcmp(imp->module, WC_EXTISM_ENV_MODULE) == 0)
            table = xenv, n = nxenv;
        else if (strcmp(imp->module, WC_EXTISM_USER_MODULE) == 0)
            table = xuser, n = nxuser;
        const wc_import_binding *found = NULL;
        for (size_t k = 0; k < n && !found; k++)
            if (strcmp(table[k].name, imp->name) == 0)
                found = &table[k];
        if (!found || imp->kind != WC_EXTERN_FUNC) {
            rc = wc_error_set(err, WC_ELINK,
                              "plugin '%s' imports %s.%s, which wasmcap does not provide (it offers "
                              "the functions of modules %s, %s and %s%s; see docs/PLUGINS.md)",
                              p->config.name, imp->module, imp->name, WASMCAP_MODULE, WASI_MODULE,
                              WASI_NN_MODULE, extism ? ", " WC_EXTISM_ENV_MODULE " and "
                                                       WC_EXTISM_USER_MODULE : "");
            goto done;
        }
        p->bindings[i] = *found;
        if (is_wasi) {
            /* The names and signatures are static in wasi.c; env is per call. */
            p->bindings[i].ext.u.func.env = NULL;
            p->wasi_slots[p->nwasi++] = i;
        } else if (table == nn) {
            p->bindings[i].ext.u.func.env = NULL;
            p->nn_slots[p->nnn++] = i;
        }
    }
    p->needs_wasi = p->nwasi > 0;
done:
    wc_wasi_nn_free(nn_probe);
    wc_wasi_free(probe);
    return rc;
}

static void warn(const wc_plugin *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(const wc_plugin *p, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    wc_log_fields(WC_LOG_WARNING, "plugin", p->log_fields, "%s", msg);
}

static bool env_granted(const wc_permissions *perms, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < perms->n_env; i++)
        if (strncmp(perms->env[i], name, n) == 0 && perms->env[i][n] == '=')
            return true;
    return false;
}

/* Whether the filter `grant` takes in every subject `want` (a filter too)
 * matches: token by token, '>' takes the rest, '*' any one token but '>'. */
static bool filter_covers(const char *grant, const char *want)
{
    for (;;) {
        const char *g_end = strchr(grant, '.'), *w_end = strchr(want, '.');
        size_t g_len = g_end ? (size_t)(g_end - grant) : strlen(grant);
        size_t w_len = w_end ? (size_t)(w_end - want) : strlen(want);
        if (g_len == 1 && grant[0] == '>')
            return true;
        bool token_ok = (g_len == 1 && grant[0] == '*') ? !(w_len == 1 && want[0] == '>')
                                                        : g_len == w_len && memcmp(grant, want, g_len) == 0;
        if (!token_ok || !g_end != !w_end)
            return false;
        if (!g_end)
            return true;
        grant = g_end + 1;
        want = w_end + 1;
    }
}

/* The subjects the manifest's "bus" asks for that no grant covers. */
static void warn_ungranted_bus(const wc_plugin *p, const json_t *asked)
{
    static const char *const ops[] = {"publish", "request"};
    const wc_permissions *g = &p->config.perms;
    char *const *grants[] = {g->bus_publish, g->bus_request};
    size_t n_grants[] = {g->n_bus_publish, g->n_bus_request};
    const char *n = p->config.name;
    for (size_t op = 0; op < 2; op++) {
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(asked, ops[op]), i, v) {
            const char *want = json_string_value(v);
            bool ok = false;
            for (size_t k = 0; want && !ok && k < n_grants[op]; k++)
                ok = filter_covers(grants[op][k], want);
            if (want && !ok)
                warn(p, "plugin '%s' asks to %s on subject %s, not granted: add it to "
                        "plugins.%s.permissions.bus.%s", n, ops[op], want, n, ops[op]);
        }
    }
}

/* A warning for every permission the manifest asks for and the config does not grant. */
static void warn_ungranted(const wc_plugin *p)
{
    const json_t *req = p->manifest.permissions;
    const wc_permissions *g = &p->config.perms;
    const char *n = p->config.name;
    if (g->n_preopens && !p->needs_wasi && !p->abi->always_wasi)
        warn(p, "plugin '%s' is granted directories (permissions.allowed_paths) but does not "
                "import WASI, so it cannot use them", n);
    if (!req)
        return;
    if (json_is_true(json_object_get(req, "kv")) && !g->kv_namespace)
        warn(p, "plugin '%s' asks for kv, not granted: set plugins.%s.permissions.kv_namespace", n, n);
    if (json_is_true(json_object_get(req, "sampling")) && !g->sampling)
        warn(p, "plugin '%s' asks for sampling, not granted: set plugins.%s.permissions.sampling", n, n);
    if (json_is_true(json_object_get(req, "elicitation")) && !g->elicitation)
        warn(p, "plugin '%s' asks for elicitation, not granted: set plugins.%s.permissions.elicitation",
             n, n);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(req, "allowed_hosts"), i, v) {
        const char *h = json_string_value(v);
        char lower[256];
        size_t k = 0;
        for (; h && h[k] && k + 1 < sizeof lower; k++)
            lower[k] = (char)(h[k] >= 'A' && h[k] <= 'Z' ? h[k] - 'A' + 'a' : h[k]);
        lower[k] = 0;
        bool ok = wc_host_allowed(g, lower);
        for (size_t j = 0; !ok && j < g->n_allowed_hosts; j++)
            ok = strcmp(g->allowed_hosts[j], lower) == 0;
        if (!ok)
            warn(p, "plugin '%s' asks for host %s, not granted: add it to plugins.%s.permissions."
                    "allowed_hosts", n, lower, n);
    }
    warn_ungranted_bus(p, json_object_get(req, "bus"));
    const char *key;
    json_t *env = json_object_get(req, "env");
    if (json_is_array(env)) {
        json_array_foreach(env, i, v)
            if (!env_granted(g, json_string_value(v)))
                warn(p, "plugin '%s' asks for environment variable %s, not granted: set "
                        "plugins.%s.permissions.env.%s", n, json_string_value(v), n, json_string_value(v));
    } else {
        json_object_foreach(env, key, v)
            if (!env_granted(g, key))
                warn(p, "plugin '%s' asks for environment variable %s, not granted: set "
                        "plugins.%s.permissions.env.%s", n, key, n, key);
    }
    json_t *cfg = json_object_get(req, "config");
    if (json_is_array(cfg)) {
        json_array_foreach(cfg, i, v)
            if (!json_object_get(g->config, json_string_value(v)))
                warn(p, "plugin '%s' asks for config key %s, not set: set plugins.%s.permissions."
                        "config.%s", n, json_string_value(v), n, json_string_value(v));
    } else {
        json_object_foreach(cfg, key, v)
            if (!json_object_get(g->config, key))
                warn(p, "plugin '%s' asks for config key %s, not set: set plugins.%s.permissions."
                        "config.%s", n, key, n, key);
    }
}

/* 0, or a WC_E* code: *none says whether no ABI took the module (rather
 * than one refusing it). */
static int pick_abi(wc_plugin *p, const wc_module_info *info, bool *none, wc_error *err)
{
    const char *n = p->config.name;
    for (int e = 0; e < WC_ENTRY_COUNT; e++) {
        p->entry[e] = find_func(info, native_exports[e].name, native_exports[e].params,
                                native_exports[e].results, n, err);
        if (p->entry[e] == -2)
            return WC_ELINK;
    }
    p->alloc_index = find_func(info, "wasmcap_alloc", "i", "i", n, err);
    p->init_index = find_func(info, "_initialize", "", "", n, err);
    p->start_index = find_func(info, "_start", "", "", n, err);
    if (p->alloc_index == -2 || p->init_index == -2 || p->start_index == -2)
        return WC_ELINK;
    for (const wc_plugin_abi *const *abi = wc_plugin_abis; *abi; abi++) {
        int taken = (*abi)->load(p, info, err);
        if (taken < 0)
            return taken;
        if (!taken)
            continue;
        p->abi = *abi;
        if (!p->abi->read_resource && json_array_size(p->manifest.resources))
            warn(p, "plugin '%s' is a %s plugin: its resources cannot be read", n, p->abi->name);
        return 0;
    }
    *none = true;
    return wc_error_set(err, WC_ELINK,
                        "plugin '%s' (%s) has no entry point: expected an export wasmcap_call_tool "
                        "(native ABI: with memory and wasmcap_alloc), describe and call or "
                        "list_tools and call_tool (Extism ABI: hyper-mcp's plugins) or _start "
                        "(command ABI: a WASI program); see docs/PLUGINS.md", n, p->config.path);
}

static wc_file_identity file_identity(const char *path)
{
    struct stat st;
    wc_file_identity id = {0};
    if (stat(path, &st) != 0)
        return id;
    id.exists = true;
    id.dev = (unsigned long long)st.st_dev;
    id.ino = (unsigned long long)st.st_ino;
    id.size = (unsigned long long)st.st_size;
    id.mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    id.ctime_ns = (long long)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
    return id;
}

static bool same_file(const wc_file_identity *a, const wc_file_identity *b)
{
    return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino &&
           a->size == b->size && a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

/* The module file and its sidecar manifest, as they are now. */
static int current_files(const char *path, wc_file_identity *module, wc_file_identity *sidecar)
{
    char *side = wc_manifest_sidecar_path(path);
    if (!side)
        return WC_ENOMEM;
    *module = file_identity(path);
    *sidecar = file_identity(side);
    free(side);
    return 0;
}

static int note_files(wc_plugin *p)
{
    return current_files(p->config.path, &p->module_file, &p->sidecar_file);
}

bool wc_plugin_is_current(const wc_plugin *p, const wc_plugin_config *config)
{
    if (!config->path || !config->fingerprint || !p->config.fingerprint ||
        strcmp(config->name, p->config.name) != 0 || strcmp(config->path, p->config.path) != 0 ||
        strcmp(config->fingerprint, p->config.fingerprint) != 0)
        return false;
    wc_file_identity module, sidecar;
    if (current_files(config->path, &module, &sidecar) != 0)
        return false;
    return same_file(&module, &p->module_file) && same_file(&sidecar, &p->sidecar_file);
}

int wc_plugin_load(const wc_plugin_config *config, wc_engine *engine, wc_kv *kv,
                   wc_plugin **out, wc_error *err)
{
    *out = NULL;
    wc_plugin *p = calloc(1, sizeof *p);
    if (!p)
        return wc_error_set(err, WC_ENOMEM, "plugin '%s': out of memory", config->name);
    atomic_init(&p->refs, 1);
    p->engine = engine;
    p->kv = kv;
    int rc;
    if (copy_config(config, &p->config) || !(p->log_fields = json_pack("{s:s}", "plugin", config->name))) {
        rc = wc_error_set(err, WC_ENOMEM, "plugin '%s': out of memory", config->name);
        goto fail;
    }
    const wc_permissions *perms = &p->config.perms;
    char who[96];
    snprintf(who, sizeof who, "plugin '%s'", config->name);
    if ((rc = wc_wasi_preopens_check(perms->preopens, perms->n_preopens, who, err)) ||
        (rc = wc_skip_compile(p, err)))
        goto fail;
    p->memory_limit = perms->memory_limit ? perms->memory_limit : WC_DEFAULT_MEMORY_LIMIT;
    p->max_pages = (uint32_t)(p->memory_limit >> 16) ? (uint32_t)(p->memory_limit >> 16) : 1;
    p->timeout_ms = perms->timeout_ms ? perms->timeout_ms : WC_DEFAULT_TIMEOUT_MS;
    p->max_output = perms->max_output_bytes ? perms->max_output_bytes : WC_DEFAULT_MAX_OUTPUT;

    /* Before reading: a change after it makes the next reload load again. */
    if ((rc = note_files(p)) != 0) {
        wc_error_set(err, rc, "plugin '%s': out of memory", config->name);
        goto fail;
    }
    uint8_t *bytes = NULL;
    size_t size = 0;
    size_t max_bytes = wc_engine_max_module_bytes(engine);
    rc = wc_read_regular_file(p->config.path, max_bytes, &bytes, &size);
    if (rc) {
        if (rc == WC_ETOOBIG)
            wc_error_set(err, rc,
                         "plugin '%s': cannot read %s: larger than the module limit of %zu bytes",
                         config->name, p->config.path, max_bytes);
        else
            wc_error_set(err, rc, "plugin '%s': cannot read %s: %s", config->name,
                         p->config.path, wc_strerror(rc));
        goto fail;
    }
    wc_error werr = {0};
    rc = wc_module_new(engine, bytes, size, &p->module, &werr);
    free(bytes);
    if (rc) {
        wc_error_set(err, rc, "plugin '%s': %s: %s", config->name, p->config.path, werr.msg);
        goto fail;
    }
    const wc_module_info *info = wc_module_get_info(p->module);
    wc_error manifest_err = {0};
    int manifest = wc_manifest_load_in(p->config.schema_docs, info, p->config.path, &p->manifest,
                                       &manifest_err);
    if (manifest && manifest != WC_ENOENT) {
        rc = wc_error_set(err, manifest, "plugin '%s': %s", config->name, manifest_err.msg);
        goto fail;
    }
    /* Without a manifest, only a plugin that describes itself can serve. */
    bool none = false;
    rc = pick_abi(p, info, &none, err);
    if (manifest && (none || (!rc && !p->abi->describe))) {
        rc = wc_error_set(err, manifest, "plugin '%s': %s", config->name, manifest_err.msg);
        goto fail;
    }
    if (rc || (rc = resolve_imports(p, info, err)))
        goto fail;
    if (manifest && (rc = p->abi->describe(p, err)))
        goto fail;
    wc_skip_apply(p);
    if (!p->abi->get_prompt && json_array_size(p->manifest.prompts))
        warn(p, "plugin '%s' is a %s plugin: its prompts cannot be served", config->name,
             p->abi->name);

    /* One instance now: the types of the imports and the initial memory are
     * checked here rather than in the first call. */
    wc_run r;
    wc_wasi_config wcfg = {0};
    if (wc_run_begin(&r, p, NULL, p->needs_wasi || p->abi->always_wasi ? &wcfg : NULL)) {
        if (r.status == WC_RUN_MEMORY || r.status == WC_RUN_DEADLINE)
            rc = wc_run_describe(&r, "instantiation", err);
        else
            rc = wc_error_set(err, WC_ELINK, "plugin '%s': cannot instantiate %s: %s", config->name,
                              p->config.path, r.msg);
        wc_run_end(&r);
        goto fail;
    }
    wc_run_end(&r);

    warn_ungranted(p);
    wc_log_fields(WC_LOG_INFO, "plugin", p->log_fields, "loaded %s%s%s (%s ABI, %zu tools)",
                  p->manifest.name, p->manifest.version ? " " : "",
                  p->manifest.version ? p->manifest.version : "",
                  p->abi->name, p->manifest.ntools);
    *out = p;
    return 0;
fail:
    wc_plugin_free(p);
    return rc;
}

wc_plugin *wc_plugin_retain(wc_plugin *p)
{
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
    return p;
}

void wc_plugin_free(wc_plugin *p)
{
    if (!p || atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (p->abi && p->abi->unload)
        p->abi->unload(p);
    wc_manifest_free(&p->manifest);
    wc_skip_free(p);
    wc_module_release(p->module);
    free(p->bindings);
    free(p->wasi_slots);
    free(p->nn_slots);
    json_decref(p->log_fields);
    wc_plugin_config_free(&p->config);
    free(p);
}

const char *wc_plugin_name(const wc_plugin *p) { return p->config.name; }
const wc_plugin_config *wc_plugin_get_config(const wc_plugin *p) { return &p->config; }
const wc_manifest *wc_plugin_manifest(const wc_plugin *p) { return &p->manifest; }
const char *wc_plugin_abi_name(const wc_plugin *p) { return p->abi->name; }
const char *wc_plugin_tier_name(const wc_plugin *p)
{
    return wc_module_tier(p->module) == WC_TIER_OPTIMIZED ? "optimized" : "fast";
}
wc_module *wc_plugin_module(const wc_plugin *p) { return p->module; }

bool wc_plugin_has_entry(const wc_plugin *p, wc_plugin_entry e)
{
    return e >= 0 && e < WC_ENTRY_COUNT && p->entry[e] >= 0;
}

/* ---- runs -------------------------------------------------------------- */

/* The call's cancellation hook while an instance runs: stops its code and
 * wakes it from a WASI sleep. */
static void interrupt_run(void *ctx)
{
    wc_run *r = ctx;
    wc_instance_interrupt(r->inst);
    if (r->wasi)
        wc_wasi_interrupt(r->wasi);
}

/* The call's WASI-NN, as the plugin's permissions grant it. */
static wc_wasi_nn *new_call_nn(const wc_plugin *p, wc_call *call, wc_error *err)
{
    const wc_permissions *perms = &p->config.perms;
    wc_wasi_nn_config cfg = {
        .who = p->config.name,
        .models = perms->nn_library,
        .granted = (const char *const *)perms->nn_models,
        .n_granted = perms->n_nn_models,
        .allow_load = perms->nn_load,
        .max_load_bytes = perms->nn_max_load_bytes,
        .max_contexts = perms->nn_max_contexts,
        .cancel = &call->cancel,
        .attempt = call->io.inline_budget_ms != 0,
    };
    return wc_wasi_nn_new(&cfg, err);
}

int wc_run_begin(wc_run *r, wc_plugin *p, wc_call *call, const wc_wasi_config *wcfg)
{
    r->p = p;
    r->own_call = NULL;
    r->wasi = NULL;
    r->nn = NULL;
    r->inst = NULL;
    r->bindings = p->bindings;
    r->status = WC_RUN_OK;
    r->deadline_ns = 0;
    r->msg[0] = 0;
    r->keep_text = NULL;
    r->skim = NULL;
    if (!call) {
        call = r->own_call = wc_call_new(NULL, NULL);
        if (!call)
            goto nomem;
    }
    r->call = call;
    /* An attempt has its budget, not the plugin's whole time limit. */
    uint32_t budget = call->io.inline_budget_ms;
    wc_wasmcap_host_init(&r->host, p->config.name, &p->config.perms, p->kv, &call->client,
                         &call->cancel, budget != 0);
    r->host.bus = call->bus;
    if (wc_call_cancelled(call)) {
        r->status = WC_RUN_CANCELLED;
        return wc_run_code(r->status);
    }
    wc_error werr = {0};
    if (wcfg) {
        wc_wasi_config cfg = *wcfg;
        cfg.envc = p->config.perms.n_env;
        cfg.environ = (const char *const *)p->config.perms.env;
        cfg.npreopens = p->config.perms.n_preopens;
        cfg.preopens = p->config.perms.preopens;
        if (cfg.stdio[2].kind == WC_WASI_STDIO_NULL) {
            cfg.stdio[2].kind = WC_WASI_STDIO_BUFFER;
            cfg.stdio[2].max_capture = NATIVE_STDERR_CAPTURE;
        }
        r->wasi = wc_wasi_new(&cfg, &werr);
        if (!r->wasi) {
            r->status = WC_RUN_INTERNAL;
            snprintf(r->msg, sizeof r->msg, "%s", werr.msg);
            return wc_run_code(r->status);
        }
    }
    if (p->nnn && !(r->nn = new_call_nn(p, call, &werr))) {
        r->status = WC_RUN_INTERNAL;
        snprintf(r->msg, sizeof r->msg, "%s", werr.msg);
        return wc_run_code(r->status);
    }
    if ((r->wasi && p->nwasi) || r->nn) {
        if (p->nbindings <= sizeof r->small / sizeof r->small[0]) {
            r->bindings = r->small;
        } else if (!(r->bindings = malloc(p->nbindings * sizeof *r->bindings))) {
            r->bindings = p->bindings;
            goto nomem;
        }
        memcpy(r->bindings, p->bindings, p->nbindings * sizeof *r->bindings);
        for (size_t i = 0; r->wasi && i < p->nwasi; i++)
            r->bindings[p->wasi_slots[i]].ext.u.func.env = r->wasi;
        for (size_t i = 0; i < p->nnn; i++)
            r->bindings[p->nn_slots[i]].ext.u.func.env = r->nn;
    }
    uint32_t timeout = budget && budget < p->timeout_ms ? budget : p->timeout_ms;
    wc_instance_config icfg = {
        .max_memory_pages = p->max_pages,
        .timeout_ms = timeout,
        /* the limit is for the whole call: _initialize, the allocations and
         * the entry point together */
        .timeout_whole_instance = true,
        .host_data = &r->host,
        .module_borrowed = true, /* the plugin holds it, and the caller the plugin */
    };
    wc_trap trap = WC_TRAP_NONE;
    int rc = wc_instance_new(p->module, &icfg, r->bindings, p->nbindings, &r->inst, &trap, &werr);
    if (rc) {
        if (trap == WC_TRAP_MEMORY_LIMIT)
            r->status = WC_RUN_MEMORY;
        else if (trap == WC_TRAP_DEADLINE)
            r->status = budget ? (wc_call_abort_attempt(call), WC_RUN_CANCELLED) : WC_RUN_DEADLINE;
        else if (trap != WC_TRAP_NONE)
            r->status = WC_RUN_TRAP;
        else
            r->status = WC_RUN_INTERNAL;
        if (r->status != WC_RUN_DEADLINE) /* the deadline's sentence says it all */
            snprintf(r->msg, sizeof r->msg, "%s", werr.msg);
        return wc_run_code(r->status);
    }
    wc_cancel_token_on_interrupt(&call->cancel, interrupt_run, r);
    r->deadline_ns = wc_instance_deadline_ns(r->inst);
    if (r->wasi) /* waits in WASI calls end with the instance's time */
        wc_wasi_set_deadline(r->wasi, r->deadline_ns);
    if (r->nn) /* and so does inference */
        wc_wasi_nn_set_deadline(r->nn, r->deadline_ns);
    return 0;
nomem:
    r->status = WC_RUN_INTERNAL;
    snprintf(r->msg, sizeof r->msg, "out of memory");
    return wc_run_code(r->status);
}

static void log_stderr(const wc_run *r)
{
    size_t len = 0;
    const uint8_t *data = r->wasi ? wc_wasi_output(r->wasi, 2, &len) : NULL;
    if (!data || !len)
        return;
    const char *s = (const char *)data, *end = s + len;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *stop = nl ? nl : end;
        if (stop > s)
            wc_log_fields(WC_LOG_INFO, "plugin", r->p->log_fields, "%.*s", (int)(stop - s), s);
        s = stop + 1;
    }
}

void wc_run_end(wc_run *r)
{
    if (r->inst)
        wc_cancel_token_on_interrupt(&r->call->cancel, NULL, NULL);
    if (!wc_call_attempt_aborted(r->call)) /* an aborted attempt runs again and logs then */
        log_stderr(r);
    wc_instance_free(r->inst);
    r->inst = NULL;
    wc_wasi_free(r->wasi);
    r->wasi = NULL;
    wc_wasi_nn_free(r->nn);
    r->nn = NULL;
    wc_wasmcap_host_destroy(&r->host);
    if (r->bindings != r->p->bindings && r->bindings != r->small)
        free(r->bindings);
    r->bindings = r->p->bindings;
    wc_call_free(r->own_call);
    r->own_call = NULL;
}

/* A trap after the limit refused a memory.grow: the guest's allocator
 * failed, and whatever it did next (abort, unreachable) is the symptom. */
static bool near_memory_limit(const wc_run *r)
{
    return r->inst && wc_instance_memory_limit_reached(r->inst);
}

wc_trap wc_run_outcome(const wc_run *r, wc_trap trap)
{
    if ((trap == WC_TRAP_NONE || trap == WC_TRAP_EXIT) && r->nn && wc_wasi_nn_deadline_stop(r->nn))
        return WC_TRAP_DEADLINE;
    return trap;
}

void wc_run_trapped(wc_run *r, wc_trap trap)
{
    /* Whether the guest went on after the compute's error or the watchdog
     * stopped it first, the message says where the time went. */
    const char *stop = r->nn ? wc_wasi_nn_deadline_stop(r->nn) : NULL;
    if (stop && trap == WC_TRAP_DEADLINE)
        snprintf(r->msg, sizeof r->msg, "wasi-nn %s", stop);
    switch (trap) {
    case WC_TRAP_NONE:
        r->status = WC_RUN_OK;
        return;
    case WC_TRAP_DEADLINE:
        if (r->call->io.inline_budget_ms) {
            wc_call_abort_attempt(r->call); /* out of budget: the call runs again in full */
            r->status = WC_RUN_CANCELLED;
            return;
        }
        r->status = WC_RUN_DEADLINE;
        return;
    case WC_TRAP_INTERRUPTED:
        r->status = wc_call_cancelled(r->call) ? WC_RUN_CANCELLED : WC_RUN_TRAP;
        break;
    case WC_TRAP_MEMORY_LIMIT:
        r->status = WC_RUN_MEMORY;
        return;
    case WC_TRAP_EXIT:
        r->status = WC_RUN_TRAP;
        snprintf(r->msg, sizeof r->msg, "it called proc_exit(%d)", wc_instance_exit_code(r->inst));
        return;
    default:
        r->status = near_memory_limit(r) ? WC_RUN_MEMORY : WC_RUN_TRAP;
        break;
    }
    snprintf(r->msg, sizeof r->msg, "%s", wc_instance_trap_message(r->inst));
}

int wc_run_code(wc_run_status status)
{
    switch (status) {
    case WC_RUN_OK: return WC_OK;
    case WC_RUN_TRAP: return WC_ETRAP;
    case WC_RUN_DEADLINE: return WC_ETIMEDOUT;
    case WC_RUN_CANCELLED: return WC_ECANCELED;
    case WC_RUN_MEMORY:
    case WC_RUN_OUTPUT: return WC_ETOOBIG;
    case WC_RUN_BADOUT:
    case WC_RUN_INTERNAL: break;
    }
    return WC_EPLUGIN;
}

int wc_run_describe(const wc_run *r, const char *what, wc_error *out)
{
    const wc_plugin *p = r->p;
    const char *n = p->config.name;
    char limit[32];
    int code = wc_run_code(r->status);
    switch (r->status) {
    case WC_RUN_OK:
        return wc_error_set(out, code, "%s succeeded", what);
    case WC_RUN_TRAP:
        return wc_error_set(out, code, "plugin '%s' trapped in %s: %s", n, what, r->msg);
    case WC_RUN_DEADLINE:
        return wc_error_set(out, code,
                            "%s exceeded its time limit of %u ms%s%s (raise plugins.%s.permissions.timeout_ms)",
                            what, p->timeout_ms, r->msg[0] ? ": " : "", r->msg, n);
    case WC_RUN_CANCELLED:
        return wc_error_set(out, code, "cancelled");
    case WC_RUN_MEMORY:
        format_size((uint64_t)p->max_pages << 16, limit, sizeof limit);
        return wc_error_set(out, code,
                            "%s of plugin '%s' exceeded its memory limit of %s "
                            "(raise plugins.%s.permissions.memory_limit)", what, n, limit, n);
    case WC_RUN_OUTPUT:
        format_size(p->max_output, limit, sizeof limit);
        return wc_error_set(out, code,
                            "%s of plugin '%s' returned %s, more than its output limit of %s "
                            "(raise plugins.%s.permissions.max_output_bytes)",
                            what, n, r->msg, limit, n);
    case WC_RUN_BADOUT:
        return wc_error_set(out, code, "plugin '%s' returned an invalid result from %s: %s",
                            n, what, r->msg);
    case WC_RUN_INTERNAL:
        return wc_error_set(out, code, "plugin '%s' could not run %s: %s", n, what, r->msg);
    }
    return wc_error_set(out, code, "plugin '%s' failed in %s", n, what);
}

/* ---- tools ------------------------------------------------------------- */

static json_t *error_result(const char *text)
{
    json_t *block = wc_text_block(text, strlen(text));
    if (!block)
        return NULL;
    return json_pack("{s:[o],s:b}", "content", block, "isError", 1);
}

/* The budget of a tool's schema checks: in an attempt a small one (a
 * check that needs more sends the call to a worker), otherwise the steps
 * and the plugin's time limit. */
static wc_schema_budget schema_budget(const wc_plugin *p, const wc_call *call)
{
    uint32_t attempt_ms = call ? call->io.inline_budget_ms : 0;
    if (attempt_ms)
        return (wc_schema_budget){.max_steps = WC_SCHEMA_SMALL_STEPS, .max_ms = attempt_ms,
                                  .small = true};
    return (wc_schema_budget){.max_ms = p->timeout_ms};
}

/* msg for a check of `what` that stopped before its verdict (verr says
 * where).  An attempt is aborted: the call runs again on a worker, with
 * the full budget. */
static void describe_stopped_check(const wc_plugin *p, wc_call *call, const char *display,
                                   const char *what, int verdict, const char *verr, wc_error *msg)
{
    if (call && call->io.inline_budget_ms)
        wc_call_abort_attempt(call);
    if (verdict == WC_SCHEMA_PAST_DEADLINE)
        wc_error_set(msg, WC_ETIMEDOUT,
                     "tool '%s' exceeded its time limit of %u ms while checking %s "
                     "(raise plugins.%s.permissions.timeout_ms)",
                     display, p->timeout_ms, what, p->config.name);
    else
        wc_error_set(msg, WC_EQUOTA, "%s of tool '%s' could not be checked against its schema: %s",
                     what, display, verr);
}

/* structuredContent against the tool's outputSchema: the value, or its
 * text and members (checked from them where that decides), within budget.
 * False with msg set. */
static bool check_output(const wc_plugin *p, const wc_manifest_tool *tool, const char *display,
                         const json_t *sc, const char *sc_text, size_t sc_len,
                         const wc_json_member *members, int count, wc_call *call,
                         const wc_schema_budget *budget, wc_error *msg)
{
    wc_error verr;
    verr.msg[0] = '\0'; /* text that is not JSON gets no schema message */
    if (!sc && !sc_text) {
        wc_error_set(msg, WC_EPLUGIN,
                     "tool '%s' of plugin '%s' has an outputSchema but returned no "
                     "structuredContent", display, p->config.name);
        return false;
    }
    int verdict = sc ? WC_SCHEMA_UNDECIDED
                     : wc_schema_check_members(tool->output, members, count, budget, &verr);
    if (verdict == WC_SCHEMA_UNDECIDED) {
        json_t *parsed = sc ? NULL : wc_json_parse(sc_text, sc_len, WC_JSON_REJECT_DUPLICATES, NULL);
        verdict = sc || parsed ? wc_schema_check(tool->output, sc ? sc : parsed, budget, &verr)
                               : WC_SCHEMA_INVALID;
        json_decref(parsed);
    }
    if (verdict == WC_SCHEMA_INVALID)
        wc_error_set(msg, WC_EPLUGIN,
                     "tool '%s' of plugin '%s' returned structuredContent that does "
                     "not match its outputSchema: %s", display, p->config.name, verr.msg);
    else if (verdict != WC_SCHEMA_VALID)
        describe_stopped_check(p, call, display, "the structuredContent", verdict, verr.msg, msg);
    return verdict == WC_SCHEMA_VALID;
}

/* The common checks of a CallToolResult (both ABIs). */
static json_t *finish_result(wc_plugin *p, const wc_manifest_tool *tool, const char *display,
                             json_t *res, wc_call *call, const wc_schema_budget *budget)
{
    wc_error msg;
    wc_error why;
    int asks = wc_input_required_check(res, &why);
    if (asks > 0)
        return res; /* no content: the client answers its requests first */
    if (asks < 0) {
        wc_error_set(&msg, WC_EPLUGIN, "plugin '%s' returned an invalid result from tool '%s': %s",
                     p->config.name, display, why.msg);
        goto fail;
    }
    json_t *content = json_object_get(res, "content");
    json_t *sc = json_object_get(res, "structuredContent");
    json_t *is_error = json_object_get(res, "isError");
    if (content && !json_is_array(content)) {
        wc_error_set(&msg, WC_EPLUGIN, "plugin '%s' returned an invalid result from tool '%s': "
                     "content must be an array", p->config.name, display);
        goto fail;
    }
    const char *revision = call ? call->client.protocol_version : NULL;
    if (content && !wc_content_check(content, revision, &why)) {
        wc_error_set(&msg, WC_EPLUGIN, "plugin '%s' returned an invalid result from tool '%s': %s",
                     p->config.name, display, why.msg);
        goto fail;
    }
    if (sc && !json_is_object(sc)) {
        wc_error_set(&msg, WC_EPLUGIN, "plugin '%s' returned an invalid result from tool '%s': "
                     "structuredContent must be an object", p->config.name, display);
        goto fail;
    }
    if (is_error && !json_is_boolean(is_error)) {
        wc_error_set(&msg, WC_EPLUGIN, "plugin '%s' returned an invalid result from tool '%s': "
                     "isError must be a boolean", p->config.name, display);
        goto fail;
    }
    if (tool->output && !json_is_true(is_error) &&
        !check_output(p, tool, display, sc, NULL, 0, NULL, 0, call, budget, &msg))
        goto fail;
    if (!content) {
        json_t *arr = json_array();
        if (!arr || json_object_set_new(res, "content", arr))
            goto nomem;
        if (sc) {
            wc_buf text;
            wc_buf_init(&text);
            json_t *block = wc_json_text(sc, &text) == 0
                                ? wc_text_block((const char *)text.data, text.len) : NULL;
            wc_buf_free(&text);
            if (!block || json_array_append_new(arr, block))
                goto nomem;
        }
    }
    return res;
fail:
    json_decref(res);
    return error_result(msg.msg);
nomem:
    json_decref(res);
    return NULL;
}

int wc_plugin_call_tool(wc_plugin *p, size_t index, const char *display, const json_t *arguments,
                        wc_call *call, json_t **result, wc_error *err)
{
    *result = NULL;
    if (index >= p->manifest.ntools)
        return wc_error_set(err, WC_EINVAL, "plugin '%s' has no tool %zu", p->config.name, index);
    const wc_manifest_tool *tool = &p->manifest.tools[index];
    if (!display)
        display = tool->name;
    if (call && call->io.inline_budget_ms && !p->abi->attemptable) {
        wc_call_abort_attempt(call);
        return wc_error_set(err, WC_EAGAIN, "not attempted");
    }
    wc_error msg;
    wc_error verr;
    json_t *res = NULL;
    wc_schema_budget budget = schema_budget(p, call);

    wc_buf ab, text; /* the arguments; the result as the plugin wrote it (native ABI) */
    wc_buf_init(&ab);
    wc_buf_init(&text);
    /* the client's own bytes when the protocol layer has them: no need to
     * write the (checked) arguments again */
    size_t raw_len = 0;
    const char *raw = arguments && call ? call->io.arguments_text : NULL;
    if (raw)
        raw_len = call->io.arguments_len;
    if (!arguments) {
        /* {} is valid unless the schema requires something */
        json_t *obj = json_object();
        int verdict = obj ? wc_schema_check(tool->input, obj, &budget, &verr)
                          : WC_SCHEMA_INVALID;
        json_decref(obj);
        if (wc_schema_stopped(verdict)) {
            describe_stopped_check(p, call, display, "the arguments", verdict, verr.msg, &msg);
            goto fail;
        }
        if (verdict != WC_SCHEMA_VALID) {
            wc_error_set(&msg, WC_EINVAL, "invalid arguments for tool '%s': %s", display,
                         obj ? verr.msg : "out of memory");
            goto fail;
        }
        wc_buf_str(&ab, "{}");
    } else {
        if (!json_is_object(arguments)) {
            wc_error_set(&msg, WC_EINVAL,
                         "invalid arguments for tool '%s': arguments must be an object",
                         display);
            goto fail;
        }
        /* With the client's text at hand, a flat object is checked from it
         * (the value may then be an empty stand-in: see jsonrpc.c); what
         * the text path cannot decide is checked on the text parsed. */
        int verdict = raw ? wc_schema_check_object_text(tool->input, raw, raw_len, &budget, &verr)
                          : WC_SCHEMA_UNDECIDED;
        if (verdict == WC_SCHEMA_UNDECIDED) {
            json_t *parsed = raw ? wc_json_parse(raw, raw_len, WC_JSON_REJECT_DUPLICATES, NULL)
                                 : NULL;
            if (raw && !parsed)
                wc_error_set(&verr, WC_EINVAL, "the arguments are not valid JSON");
            verdict = !raw || parsed ? wc_schema_check(tool->input, parsed ? parsed : arguments,
                                                       &budget, &verr)
                                     : WC_SCHEMA_INVALID;
            json_decref(parsed);
        }
        if (wc_schema_stopped(verdict)) {
            describe_stopped_check(p, call, display, "the arguments", verdict, verr.msg, &msg);
            goto fail;
        }
        if (verdict != WC_SCHEMA_VALID) {
            wc_error_set(&msg, WC_EINVAL, "invalid arguments for tool '%s': %s", display, verr.msg);
            goto fail;
        }
        if (!raw && wc_json_text(arguments, &ab))
            ab.failed = true;
    }
    if (ab.failed) {
        wc_buf_free(&ab);
        return wc_error_set(err, WC_ENOMEM,
                            "cannot serialize the arguments (out of memory or nested "
                            "too deeply)");
    }
    const char *args = raw ? raw : (const char *)ab.data;
    size_t args_len = raw ? raw_len : ab.len;

    wc_result_shape shape;
    shape.text_result = false;
    wc_tool_run run = {
        .tool = tool,
        .display = display,
        .args = args,
        .args_len = args_len,
        .call = call,
        .keep_text = call ? &text : NULL,
        .skim = call && call->io.prefer_result_text ? &shape : NULL,
    };
    if (p->abi->call_tool(p, &run, &msg) != 0)
        goto fail;
    res = run.result;
    if (run.deadline_ns) /* the checks of its result end with the call's time */
        budget.deadline_ns = run.deadline_ns;
    wc_buf_free(&ab);
    if (shape.text_result) {
        /* Its shape was checked from the bytes; what is left of
         * finish_result's checks is the outputSchema. */
        if (tool->output && !shape.is_error &&
            !check_output(p, tool, display, NULL, shape.structured, shape.structured_len,
                          shape.structured_members, shape.structured_count, call, &budget, &msg))
            goto fail;
        free(call->io.result_text);
        call->io.result_text = (char *)text.data;
        call->io.result_len = text.len;
        call->io.result_is_error = shape.is_error;
        text.data = NULL;
        wc_buf_free(&text);
        return 0; /* *result stays NULL: the call carries the text */
    }
    bool complete = res && json_object_get(res, "content") != NULL;
    json_t *raw_of = res;
    *result = finish_result(p, tool, display, res, call, &budget);
    if (!*result) {
        wc_buf_free(&text);
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    /* Passed on unchanged: the protocol layer may send the plugin's bytes. */
    if (complete && *result == raw_of && text.len && !text.failed && wc_buf_cstr(&text)) {
        free(call->io.result_text);
        call->io.result_text = (char *)text.data;
        call->io.result_len = text.len;
        text.data = NULL;
    }
    wc_buf_free(&text);
    return 0;
fail:
    wc_buf_free(&text);
    wc_buf_free(&ab);
    *result = error_result(msg.msg);
    if (!*result)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    return 0;
}

/* ---- resources, prompts, completion ------------------------------------ */

/* An operation the plugin's ABI lacks, or an entry point it does not export. */
static int unsupported(const wc_plugin *p, wc_plugin_entry e, wc_error *err)
{
    return wc_error_set(err, WC_ENOTSUP, "plugin '%s' does not export %s", p->config.name,
                        native_exports[e].name);
}

/* A resource or prompt result that asks the client for input first: 1
 * (passed on as it is), 0 (an ordinary result), or an error code with
 * *result freed. */
static int asks_for_input(const wc_plugin *p, const char *what, json_t **result, wc_error *err)
{
    wc_error why;
    int asks = wc_input_required_check(*result, &why);
    if (asks >= 0)
        return asks;
    json_decref(*result);
    *result = NULL;
    return wc_error_set(err, WC_EPLUGIN, "plugin '%s' returned an invalid result from %s: %s",
                        p->config.name, what, why.msg);
}

int wc_plugin_read_resource(wc_plugin *p, const char *uri, wc_call *call, json_t **result,
                            wc_error *err)
{
    char what[300];
    snprintf(what, sizeof what, "resource '%s'", uri);
    *result = NULL;
    if (!p->abi->read_resource || p->entry[WC_ENTRY_READ_RESOURCE] < 0)
        return unsupported(p, WC_ENTRY_READ_RESOURCE, err);
    /* a template the plugin still lists may reach a URI it hides */
    if (wc_plugin_skips(p, WC_SKIP_RESOURCES, uri))
        return wc_error_set(err, WC_ENOTFOUND, "resource '%s' not found", uri);
    int rc = p->abi->read_resource(p, uri, what, call, result, err);
    if (rc)
        return rc;
    int asks = asks_for_input(p, what, result, err);
    if (asks != 0)
        return asks > 0 ? 0 : asks;
    json_t *contents = json_object_get(*result, "contents");
    if (!json_is_array(contents)) {
        json_decref(*result);
        *result = NULL;
        return wc_error_set(err, WC_EPLUGIN,
                            "plugin '%s' returned an invalid result from %s: expected "
                            "{\"contents\": [...]}", p->config.name, what);
    }
    /* Each content names its resource; fill in the uri asked for when missing. */
    size_t i;
    json_t *c;
    json_array_foreach(contents, i, c) {
        if (!json_is_object(c)) {
            json_decref(*result);
            *result = NULL;
            return wc_error_set(err, WC_EPLUGIN,
                                "plugin '%s' returned an invalid result from %s: contents[%zu] "
                                "is not an object", p->config.name, what, i);
        }
        if (!json_object_get(c, "uri"))
            json_object_set_new(c, "uri", json_string(uri));
    }
    return 0;
}

int wc_plugin_list_resources(wc_plugin *p, wc_call *call, json_t **resources, wc_error *err)
{
    json_t *res;
    *resources = NULL;
    if (!p->abi->list_resources || p->entry[WC_ENTRY_LIST_RESOURCES] < 0)
        return unsupported(p, WC_ENTRY_LIST_RESOURCES, err);
    int rc = p->abi->list_resources(p, call, &res, err);
    if (rc)
        return rc;
    json_t *arr = json_object_get(res, "resources");
    size_t i;
    json_t *r;
    bool ok = json_is_array(arr);
    json_array_foreach(arr, i, r)
        ok = ok && json_is_object(r) && json_is_string(json_object_get(r, "uri")) &&
             json_is_string(json_object_get(r, "name"));
    if (!ok) {
        json_decref(res);
        return wc_error_set(err, WC_EPLUGIN,
                            "plugin '%s' returned an invalid resource list: expected "
                            "{\"resources\": [{\"uri\": ..., \"name\": ...}, ...]}", p->config.name);
    }
    *resources = json_incref(arr);
    json_decref(res);
    return 0;
}

static const json_t *find_prompt(const wc_plugin *p, const char *name)
{
    size_t i;
    json_t *pr;
    json_array_foreach(p->manifest.prompts, i, pr)
        if (strcmp(json_string_value(json_object_get(pr, "name")), name) == 0)
            return pr;
    return NULL;
}

int wc_plugin_get_prompt(wc_plugin *p, const char *name, const json_t *arguments, wc_call *call,
                         json_t **result, wc_error *err)
{
    *result = NULL;
    const json_t *prompt = find_prompt(p, name);
    if (!prompt)
        return wc_error_set(err, WC_EINVAL, "unknown prompt '%s'", name);
    if (arguments && !json_is_object(arguments))
        return wc_error_set(err, WC_EINVAL, "the arguments of prompt '%s' must be an object", name);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)arguments, key, v) {
        if (!json_is_string(v)) {
            wc_error_set(err, WC_EINVAL,
                         "argument '%s' of prompt '%s' must be a string", key, name);
            return WC_EINVAL;
        }
    }
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(prompt, "arguments"), i, a) {
        const char *an = json_string_value(json_object_get(a, "name"));
        if (json_is_true(json_object_get(a, "required")) && !json_object_get(arguments, an)) {
            wc_error_set(err, WC_EINVAL,
                         "missing required argument '%s' for prompt '%s'", an, name);
            return WC_EINVAL;
        }
    }
    if (!p->abi->get_prompt || p->entry[WC_ENTRY_GET_PROMPT] < 0)
        return unsupported(p, WC_ENTRY_GET_PROMPT, err);
    char *text = arguments ? json_dumps(arguments, JSON_COMPACT) : strdup("{}");
    if (!text)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    char what[160];
    snprintf(what, sizeof what, "prompt '%s'", name);
    int rc = p->abi->get_prompt(p, name, text, what, call, result, err);
    free(text);
    if (rc)
        return rc;
    int asks = asks_for_input(p, what, result, err);
    if (asks != 0)
        return asks > 0 ? 0 : asks;
    if (!json_is_array(json_object_get(*result, "messages"))) {
        json_decref(*result);
        *result = NULL;
        return wc_error_set(err, WC_EPLUGIN,
                            "plugin '%s' returned an invalid result from %s: expected "
                            "{\"messages\": [...]}", p->config.name, what);
    }
    return 0;
}

/* The manifest's `complete` list for the ref and argument of params. */
static const json_t *complete_list(const wc_plugin *p, const json_t *params)
{
    const json_t *ref = json_object_get(params, "ref");
    const char *type = json_string_value(json_object_get(ref, "type"));
    const char *arg = json_string_value(json_object_get(json_object_get(params, "argument"), "name"));
    if (!type || !arg)
        return NULL;
    size_t i;
    json_t *e;
    if (strcmp(type, "ref/prompt") == 0) {
        const json_t *prompt = find_prompt(p, json_string_value(json_object_get(ref, "name")) ?
                                                  json_string_value(json_object_get(ref, "name")) : "");
        json_array_foreach(json_object_get(prompt, "arguments"), i, e)
            if (strcmp(json_string_value(json_object_get(e, "name")), arg) == 0)
                return json_object_get(e, "complete");
    } else if (strcmp(type, "ref/resource") == 0) {
        const char *uri = json_string_value(json_object_get(ref, "uri"));
        json_array_foreach(p->manifest.resource_templates, i, e)
            if (uri && strcmp(json_string_value(json_object_get(e, "uriTemplate")), uri) == 0)
                return json_object_get(json_object_get(e, "complete"), arg);
    }
    return NULL;
}

int wc_plugin_complete(wc_plugin *p, const json_t *params, wc_call *call, json_t **values,
                       wc_error *err)
{
    *values = NULL;
    if (p->abi->complete && p->entry[WC_ENTRY_COMPLETE] >= 0) {
        char *text = json_dumps(params, JSON_COMPACT);
        if (!text)
            return wc_error_set(err, WC_ENOMEM, "out of memory");
        json_t *res;
        int rc = p->abi->complete(p, text, call, &res, err);
        free(text);
        if (rc)
            return rc;
        json_t *arr = json_object_get(res, "values");
        size_t i;
        json_t *v;
        bool ok = json_is_array(arr);
        json_array_foreach(arr, i, v)
            ok = ok && json_is_string(v);
        if (!ok) {
            json_decref(res);
            return wc_error_set(err, WC_EPLUGIN,
                                "plugin '%s' returned an invalid completion: expected "
                                "{\"values\": [strings]}", p->config.name);
        }
        *values = json_incref(arr);
        json_decref(res);
        return 0;
    }
    const char *prefix = json_string_value(json_object_get(json_object_get(params, "argument"), "value"));
    if (!prefix)
        prefix = "";
    size_t plen = strlen(prefix);
    *values = json_array();
    if (!*values)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    size_t i;
    json_t *v;
    json_array_foreach(complete_list(p, params), i, v)
        if (strncmp(json_string_value(v), prefix, plen) == 0)
            json_array_append(*values, v);
    return 0;
}
