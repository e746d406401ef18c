/* extism.c -- the Extism ABI (abi.h): plugins built with Extism's PDKs
 * for hyper-mcp, as they are.
 *
 * A call is Extism's: a fresh instance, the input in a host-side block
 * (host/extism.h), the export called with no arguments, and then the error
 * the guest set (error_set), a non-zero return ("Returned non-zero exit
 * code: N", the Rust runtime's words) or the output it set.  Vars live on
 * the plugin, across its calls.
 *
 * What the exports mean is hyper-mcp's (src/plugin.rs): v1 exports
 * `describe` and `call`; v2 any of `list_tools`, `call_tool`,
 * `list_prompts`, `get_prompt`, `list_resources`,
 * `list_resource_templates`, `read_resource`, `complete` and
 * `on_roots_list_changed`, each taking {"request": ..., "context": ...} or
 * {"context": ...}.  wasmcap asks for the lists once, at load, and builds
 * the plugin's manifest from them; calls then run as hyper-mcp makes them.
 */
#include "plugin/plugin_internal.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/extism.h"
#include "json/parse.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/utf8.h"

enum {
    X_DESCRIBE, X_CALL, /* v1 */
    X_LIST_TOOLS, X_CALL_TOOL, X_LIST_PROMPTS, X_GET_PROMPT, X_LIST_RESOURCES,
    X_LIST_RESOURCE_TEMPLATES, X_READ_RESOURCE, X_COMPLETE, X_ON_ROOTS_LIST_CHANGED, /* v2 */
    X_COUNT
};

static const char *const export_names[X_COUNT] = {
    "describe", "call", "list_tools", "call_tool", "list_prompts", "get_prompt",
    "list_resources", "list_resource_templates", "read_resource", "complete",
    "on_roots_list_changed",
};

typedef struct extism_plugin {
    int version; /* hyper-mcp's interface: 1 or 2 */
    int exports[X_COUNT]; /* export index, or -1 */
    int ctors;            /* __wasm_call_ctors, or -1: _initialize (p->init_index) then */
    wc_extism_vars *vars;
    atomic_uint_fast64_t next_id; /* the context's "id" */
} extism_plugin;

static extism_plugin *state_of(const wc_plugin *p) { return p->abi_state; }

/* The index of export `name` when it is a function () -> (i32): -1 when
 * absent, -2 (with err) when it has another type. */
static int find_entry(const wc_plugin *p, const wc_module_info *info, const char *name,
                      const char *results, wc_error *err)
{
    const wc_export *e = wc_module_find_export(info, name);
    if (!e)
        return -1;
    const wc_functype *ft = e->kind == WC_EXTERN_FUNC ? wc_module_func_type(info, e->index) : NULL;
    bool ok = ft && ft->nparams == 0 && ft->nresults == strlen(results) &&
              (ft->nresults == 0 || ft->results[0] == WC_VT_I32);
    if (!ok) {
        wc_error_set(err, WC_ELINK, "plugin '%s': Extism export '%s' must be a function () -> (%s)",
                   p->config.name, name, *results ? "i32" : "");
        return -2;
    }
    return (int)(e - info->exports);
}

static bool imports_extism(const wc_module_info *info)
{
    for (uint32_t i = 0; i < info->nimports; i++)
        if (strncmp(info->imports[i].module, "extism:host/", 12) == 0)
            return true;
    return false;
}

static int extism_load(wc_plugin *p, const wc_module_info *info, wc_error *err)
{
    int found[X_COUNT];
    bool any = false;
    for (int i = 0; i < X_COUNT; i++) {
        /* on_roots_list_changed returns nothing in some PDKs' bindings */
        found[i] = find_entry(p, info, export_names[i], "i", err);
        if (found[i] == -2 && i == X_ON_ROOTS_LIST_CHANGED)
            found[i] = -1;
        if (found[i] == -2)
            return WC_ELINK;
        any = any || found[i] >= 0;
    }
    bool v1 = found[X_DESCRIBE] >= 0 && found[X_CALL] >= 0;
    bool v2 = found[X_LIST_TOOLS] >= 0 || found[X_CALL_TOOL] >= 0;
    if (!v1 && !v2) {
        if (imports_extism(info) && !any && p->start_index < 0)
            return wc_error_set(err, WC_ELINK,
                              "plugin '%s' imports Extism's host functions but exports neither "
                              "describe and call (hyper-mcp v1) nor list_tools and call_tool "
                              "(hyper-mcp v2); see docs/PLUGINS.md", p->config.name);
        return 0;
    }
    const wc_export *mem = wc_module_find_export(info, "memory");
    if (!mem || mem->kind != WC_EXTERN_MEMORY)
        return wc_error_set(err, WC_ELINK, "plugin '%s': an Extism plugin must export its memory",
                          p->config.name);
    extism_plugin *x = calloc(1, sizeof *x);
    if (!x || !(x->vars = wc_extism_vars_new(0))) {
        free(x);
        return wc_error_set(err, WC_ENOMEM, "plugin '%s': out of memory", p->config.name);
    }
    x->version = v1 ? 1 : 2;
    memcpy(x->exports, found, sizeof found);
    x->ctors = find_entry(p, info, "__wasm_call_ctors", "", NULL);
    p->abi_state = x;
    for (int e = 0; e < WC_ENTRY_COUNT; e++)
        p->entry[e] = -1;
    p->entry[WC_ENTRY_CALL_TOOL] = v1 ? found[X_CALL] : found[X_CALL_TOOL];
    if (!v1) {
        p->entry[WC_ENTRY_READ_RESOURCE] = found[X_READ_RESOURCE];
        p->entry[WC_ENTRY_GET_PROMPT] = found[X_GET_PROMPT];
        p->entry[WC_ENTRY_COMPLETE] = found[X_COMPLETE];
    }
    return 1;
}

static void extism_unload(wc_plugin *p)
{
    extism_plugin *x = state_of(p);
    if (!x)
        return;
    wc_extism_vars_free(x->vars);
    free(x);
    p->abi_state = NULL;
}

/* ---- one Extism call ------------------------------------------------------ */

static int guest_call(wc_run *r, int index, wc_value *results)
{
    wc_trap trap = wc_instance_call_index(r->inst, (uint32_t)index, NULL, results, NULL);
    if (trap == WC_TRAP_NONE)
        return 0;
    wc_run_trapped(r, trap);
    return wc_run_code(r->status);
}

/* Runs export `fn` on input; 0 with the output in *out, WC_EREFUSED (the
 * guest's error, or its non-zero return) or the run's code (WC_ETRAP, ...)
 * with err set. */
static int extism_run(wc_plugin *p, int fn, const char *what, wc_call *call, const void *input,
                      size_t input_len, wc_buf *out, wc_error *err)
{
    extism_plugin *x = state_of(p);
    wc_run r;
    wc_wasi_config wcfg = {0};
    wc_extism_call ec;
    int rc = WC_EPLUGIN;
    bool have_ec = false;
    if (wc_run_begin(&r, p, call, p->needs_wasi ? &wcfg : NULL) != 0)
        goto done;
    if (wc_extism_call_init(&ec, x->vars, p->config.perms.config, p->memory_limit, input,
                            input_len) != 0) {
        r.status = WC_RUN_INTERNAL;
        snprintf(r.msg, sizeof r.msg, "out of memory");
        goto done;
    }
    have_ec = true;
    r.host.extism = &ec;
    int init = x->ctors >= 0 ? x->ctors : p->init_index;
    if (init >= 0 && guest_call(&r, init, NULL))
        goto done;
    wc_value res = {0};
    if (guest_call(&r, x->exports[fn], &res))
        goto done;
    size_t len;
    const uint8_t *msg = wc_extism_call_error(&ec, &len);
    if (msg) {
        wc_buf text;
        wc_buf_init(&text);
        /* the guest's bytes, as valid UTF-8: they reach JSON */
        wc_utf8_sanitize(&text, msg, wc_utf8_prefix(msg, len, sizeof err->msg));
        const char *s = wc_buf_cstr(&text);
        wc_error_set(err, WC_EREFUSED, "%s", s ? s : "out of memory");
        wc_buf_free(&text);
        rc = WC_EREFUSED;
        goto done;
    }
    if ((int32_t)res.i32 != 0) {
        wc_error_set(err, WC_EREFUSED, "plugin '%s' failed in %s: Returned non-zero exit code: %d",
                     p->config.name, what, (int32_t)res.i32);
        rc = WC_EREFUSED;
        goto done;
    }
    const uint8_t *data = wc_extism_call_output(&ec, &len);
    if (len > p->max_output) {
        r.status = WC_RUN_OUTPUT;
        snprintf(r.msg, sizeof r.msg, "%zu bytes", len);
        goto done;
    }
    wc_buf_append(out, data, len);
    if (out->failed) {
        r.status = WC_RUN_INTERNAL;
        snprintf(r.msg, sizeof r.msg, "out of memory");
        goto done;
    }
    rc = 0;
done:
    if (rc == WC_EPLUGIN)
        rc = wc_run_describe(&r, what, err);
    r.host.extism = NULL;
    wc_run_end(&r);
    if (have_ec)
        wc_extism_call_destroy(&ec);
    return rc;
}

/* hyper-mcp's request context: {"id", "_meta"}, the call's progress token
 * in _meta.  The JSON-RPC id is the protocol layer's; a number unique to
 * the plugin's calls stands for it. */
static void append_context(wc_buf *b, wc_plugin *p, const wc_call *call)
{
    extism_plugin *x = state_of(p);
    unsigned long long id = (unsigned long long)atomic_fetch_add(&x->next_id, 1) + 1;
    char head[64];
    snprintf(head, sizeof head, "{\"id\":%llu,\"_meta\":{", id);
    wc_buf_str(b, head);
    const json_t *token = call ? call->client.progress_token : NULL;
    char *t = token ? json_dumps(token, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (t) {
        wc_buf_str(b, "\"progressToken\":");
        wc_buf_str(b, t);
        free(t);
    }
    wc_buf_str(b, "}}");
}

static void append_string(wc_buf *b, const char *s)
{
    json_t *v = json_string(s);
    char *t = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
    json_decref(v);
    if (t)
        wc_buf_str(b, t);
    else
        b->failed = true;
    free(t);
}

/* Runs fn and parses its output as a JSON object. */
static int extism_json(wc_plugin *p, int fn, const char *what, wc_call *call, const wc_buf *input,
                       json_t **out, wc_error *err)
{
    *out = NULL;
    if (input->failed)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    wc_buf text;
    wc_buf_init(&text);
    int rc = extism_run(p, fn, what, call, input->data ? input->data : (const uint8_t *)"",
                        input->len, &text, err);
    if (rc == 0) {
        wc_json_error jerr;
        json_t *v = wc_json_parse(text.data ? (const char *)text.data : "", text.len,
                                  WC_JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(v)) {
            wc_error_set(err, WC_EPLUGIN, "plugin '%s' returned an invalid result from %s: %s%s",
                       p->config.name, what, v ? "expected a JSON object" : "invalid JSON: ",
                       v ? "" : jerr.text);
            json_decref(v);
            rc = WC_EPLUGIN;
        } else {
            *out = v;
        }
    }
    wc_buf_free(&text);
    return rc;
}

/* ---- the operations --------------------------------------------------------- */

static int extism_call_tool(wc_plugin *p, wc_tool_run *t, wc_error *failure)
{
    extism_plugin *x = state_of(p);
    wc_buf in;
    wc_buf_init(&in);
    wc_buf_str(&in, x->version == 1 ? "{\"params\":{\"name\":" : "{\"request\":{\"name\":");
    append_string(&in, t->tool->name);
    wc_buf_str(&in, ",\"arguments\":");
    wc_buf_append(&in, t->args, t->args_len);
    wc_buf_str(&in, "}");
    if (x->version == 2) {
        wc_buf_str(&in, ",\"context\":");
        append_context(&in, p, t->call);
    }
    wc_buf_str(&in, "}");
    char what[160];
    snprintf(what, sizeof what, "tool '%s'", t->display);
    int rc = extism_json(p, x->version == 1 ? X_CALL : X_CALL_TOOL, what, t->call, &in, &t->result,
                         failure);
    wc_buf_free(&in);
    return rc;
}

/* Runs v2 export fn on {"request": request, "context": ...}; request
 * (stolen) is the MCP request's params. */
static int run_request(wc_plugin *p, int fn, const char *what, wc_call *call, json_t *request,
                       json_t **out, wc_error *err)
{
    *out = NULL;
    char *text = request ? json_dumps(request, JSON_COMPACT) : NULL;
    json_decref(request);
    if (!text)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    wc_buf in;
    wc_buf_init(&in);
    wc_buf_str(&in, "{\"request\":");
    wc_buf_str(&in, text);
    free(text);
    wc_buf_str(&in, ",\"context\":");
    append_context(&in, p, call);
    wc_buf_str(&in, "}");
    int rc = extism_json(p, fn, what, call, &in, out, err);
    wc_buf_free(&in);
    return rc;
}

static int extism_read_resource(wc_plugin *p, const char *uri, const char *what, wc_call *call,
                                json_t **out, wc_error *err)
{
    return run_request(p, X_READ_RESOURCE, what, call, json_pack("{s:s}", "uri", uri), out, err);
}

static int extism_get_prompt(wc_plugin *p, const char *name, const char *arguments,
                             const char *what, wc_call *call, json_t **out, wc_error *err)
{
    json_t *args = wc_json_parse(arguments, strlen(arguments), 0, NULL);
    return run_request(p, X_GET_PROMPT, what, call,
                       args ? json_pack("{s:s,s:o}", "name", name, "arguments", args) : NULL, out,
                       err);
}

/* hyper-mcp strips "ref/" from the reference's type ("prompt", "resource")
 * and answers a CompleteResult, {"completion": {"values": [...]}}. */
static int extism_complete(wc_plugin *p, const char *params, wc_call *call, json_t **out,
                           wc_error *err)
{
    *out = NULL;
    json_t *req = wc_json_parse(params, strlen(params), 0, NULL);
    json_t *ref = json_object_get(req, "ref");
    const char *type = json_string_value(json_object_get(ref, "type"));
    if (type && strncmp(type, "ref/", 4) == 0)
        json_object_set_new(ref, "type", json_string(type + 4));
    json_t *res;
    int rc = run_request(p, X_COMPLETE, "completion", call, req, &res, err);
    if (rc)
        return rc;
    json_t *values = json_object_get(json_object_get(res, "completion"), "values");
    *out = values ? json_pack("{s:O}", "values", values) : NULL;
    json_decref(res);
    if (!values)
        return wc_error_set(err, WC_EPLUGIN, "plugin '%s' returned an invalid completion: "
                            "expected {\"completion\": {\"values\": [...]}}", p->config.name);
    return *out ? 0 : wc_error_set(err, WC_ENOMEM, "out of memory");
}

/* ---- the manifest, from the plugin's own lists -------------------------- */

/* member of the object fn returns, into doc as key (an empty array when
 * the plugin lacks fn). */
static int list_into(wc_plugin *p, int fn, const char *member, const char *key, json_t *doc,
                     wc_error *err)
{
    extism_plugin *x = state_of(p);
    if (x->exports[fn] < 0)
        return json_object_set_new(doc, key, json_array()) ? wc_error_set(err, WC_ENOMEM, "out of memory") : 0;
    wc_buf in;
    wc_buf_init(&in);
    if (fn != X_DESCRIBE) {
        wc_buf_str(&in, "{\"context\":");
        append_context(&in, p, NULL);
        wc_buf_str(&in, "}");
    }
    json_t *res;
    char what[64];
    snprintf(what, sizeof what, "%s", export_names[fn]);
    wc_error msg = {0};
    int rc = extism_json(p, fn, what, NULL, &in, &res, &msg);
    wc_buf_free(&in);
    if (rc)
        return wc_error_set(err, rc, "plugin '%s': %s failed: %s", p->config.name,
                            export_names[fn], wc_error_message(&msg));
    json_t *list = json_object_get(res, member);
    if (!json_is_array(list)) {
        json_decref(res);
        return wc_error_set(err, WC_EPLUGIN, "plugin '%s': %s returned no \"%s\" array",
                          p->config.name, export_names[fn], member);
    }
    json_object_set(doc, key, list);
    json_decref(res);
    return 0;
}

static int extism_describe(wc_plugin *p, wc_error *err)
{
    extism_plugin *x = state_of(p);
    json_t *doc = json_pack("{s:s}", "name", p->config.name);
    if (!doc)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    int rc = x->version == 1
                 ? list_into(p, X_DESCRIBE, "tools", "tools", doc, err)
                 : list_into(p, X_LIST_TOOLS, "tools", "tools", doc, err);
    if (!rc && x->version == 2)
        if ((rc = list_into(p, X_LIST_PROMPTS, "prompts", "prompts", doc, err)) == 0 &&
            (rc = list_into(p, X_LIST_RESOURCES, "resources", "resources", doc, err)) == 0)
            rc = list_into(p, X_LIST_RESOURCE_TEMPLATES, "resourceTemplates", "resourceTemplates",
                           doc, err);
    char *text = rc ? NULL : json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (rc)
        return rc;
    if (!text)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    char source[300];
    snprintf(source, sizeof source, "%s (%s)", p->config.path,
             x->version == 1 ? "describe" : "list_tools");
    rc = wc_manifest_parse(text, strlen(text), source, &p->manifest, err);
    free(text);
    return rc;
}

const wc_plugin_abi wc_abi_extism = {
    .name = "extism",
    .attemptable = false, /* vars and the guest's requests are effects */
    .load = extism_load,
    .unload = extism_unload,
    .describe = extism_describe,
    .call_tool = extism_call_tool,
    .read_resource = extism_read_resource,
    .get_prompt = extism_get_prompt,
    .complete = extism_complete,
};
