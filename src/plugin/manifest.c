/* manifest.c -- parse and check a plugin manifest.
 *
 * Every check names the field it failed on, as a path into the document
 * ("tools[2].outputSchema"), so a plugin author can fix the manifest without
 * guessing.  Fields we do not know are left alone (forward compatibility);
 * fields we know must have the documented type.
 */
#include "plugin/manifest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"

/* ---- URI templates (RFC 6570 level 1) ---------------------------------- */

int wc_uri_template_check(const char *t, char *err, size_t err_size)
{
    if (!*t) {
        snprintf(err, err_size, "empty template");
        return -1;
    }
    for (const char *p = t; *p; p++) {
        if (*p == '}') {
            snprintf(err, err_size, "unbalanced '}' at offset %zu", (size_t)(p - t));
            return -1;
        }
        if (*p != '{')
            continue;
        const char *start = ++p;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
               *p == '_')
            p++;
        if (*p != '}' || p == start) {
            snprintf(err, err_size,
                     "bad variable at offset %zu (expected {name} with letters, digits or _)",
                     (size_t)(start - 1 - t));
            return -1;
        }
        if (p[1] == '{') {
            snprintf(err, err_size, "two variables without a separator at offset %zu",
                     (size_t)(p + 1 - t));
            return -1;
        }
    }
    return 0;
}

static bool match_from(const char *t, const char *u, json_t *vars)
{
    while (*t && *t != '{') {
        if (*t != *u)
            return false;
        t++, u++;
    }
    if (!*t)
        return *u == 0;
    const char *name = t + 1;
    const char *close = strchr(name, '}');
    if (!close)
        return false;
    /* One or more characters other than '/', backtracking from the longest. */
    size_t max = strcspn(u, "/");
    for (size_t n = max; n >= 1; n--) {
        if (match_from(close + 1, u + n, vars)) {
            if (vars) {
                char key[128];
                size_t klen = (size_t)(close - name);
                if (klen >= sizeof key)
                    klen = sizeof key - 1;
                memcpy(key, name, klen);
                key[klen] = 0;
                json_object_set_new(vars, key, json_stringn(u, n));
            }
            return true;
        }
    }
    return false;
}

bool wc_uri_template_match(const char *tmpl, const char *uri, json_t *vars)
{
    return match_from(tmpl, uri, vars);
}

/* ---- helpers ----------------------------------------------------------- */

bool wc_manifest_name_ok(const char *name)
{
    size_t n = 0;
    for (const char *p = name; *p; p++, n++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return n >= 1 && n <= 64;
}

typedef struct parser {
    const char *source;
    char *err;
    size_t err_size;
} parser;

static int fail(parser *ps, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(parser *ps, const char *field, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (field && *field)
        snprintf(ps->err, ps->err_size, "%s: %s: %s", ps->source, field, msg);
    else
        snprintf(ps->err, ps->err_size, "%s: %s", ps->source, msg);
    return -1;
}

/* An optional member of the given type: 0 (absent or right), -1 otherwise. */
static int opt_string(parser *ps, json_t *obj, const char *key, const char *path, const char **out)
{
    json_t *v = json_object_get(obj, key);
    if (out)
        *out = NULL;
    if (!v)
        return 0;
    if (!json_is_string(v))
        return fail(ps, path, "%s must be a string", key);
    if (out)
        *out = json_string_value(v);
    return 0;
}

static int opt_type(parser *ps, json_t *obj, const char *key, const char *path, json_type type,
                    const char *what, json_t **out)
{
    json_t *v = json_object_get(obj, key);
    if (out)
        *out = NULL;
    if (!v)
        return 0;
    bool ok = json_typeof(v) == type ||
              (type == JSON_TRUE && json_is_boolean(v)) ||
              (type == JSON_REAL && json_is_number(v));
    if (!ok)
        return fail(ps, path, "%s must be %s", key, what);
    if (out)
        *out = v;
    return 0;
}

static int req_string(parser *ps, json_t *obj, const char *key, const char *path, const char **out)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return fail(ps, path, "%s is required", key);
    return opt_string(ps, obj, key, path, out);
}

/* The array member `key` (an empty array is added when absent). */
static int get_array(parser *ps, json_t *doc, const char *key, json_t **out)
{
    json_t *v = json_object_get(doc, key);
    if (!v) {
        v = json_array();
        if (!v || json_object_set_new(doc, key, v))
            return fail(ps, NULL, "out of memory");
    } else if (!json_is_array(v)) {
        return fail(ps, key, "expected an array");
    }
    *out = v;
    return 0;
}

/* True when some earlier element of arr has member key == value. */
static bool seen_before(json_t *arr, size_t upto, const char *key, const char *value)
{
    for (size_t i = 0; i < upto; i++) {
        const char *s = json_string_value(json_object_get(json_array_get(arr, i), key));
        if (s && strcmp(s, value) == 0)
            return true;
    }
    return false;
}

static int check_string_array(parser *ps, json_t *v, const char *path)
{
    if (!json_is_array(v))
        return fail(ps, path, "expected an array of strings");
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        if (!json_is_string(e))
            return fail(ps, path, "element %zu is not a string", i);
    }
    return 0;
}

/* ---- sections ---------------------------------------------------------- */

static int parse_schema(parser *ps, json_t *schema, const char *path, const char *tool,
                        wc_schema **out)
{
    if (!json_is_object(schema))
        return fail(ps, path, "expected a JSON Schema object");
    json_t *type = json_object_get(schema, "type");
    if (!json_is_string(type) || strcmp(json_string_value(type), "object") != 0)
        return fail(ps, path, "the schema of tool '%s' must have \"type\": \"object\"", tool);
    char msg[512];
    *out = wc_schema_compile(schema, msg, sizeof msg);
    if (!*out)
        return fail(ps, path, "the schema of tool '%s' does not compile: %s", tool, msg);
    return 0;
}

static int parse_tools(parser *ps, wc_manifest *m)
{
    json_t *tools;
    if (get_array(ps, m->json, "tools", &tools))
        return -1;
    m->ntools = json_array_size(tools);
    if (m->ntools) {
        m->tools = calloc(m->ntools, sizeof *m->tools);
        if (!m->tools) {
            m->ntools = 0;
            return fail(ps, NULL, "out of memory");
        }
    }
    char path[96];
    for (size_t i = 0; i < m->ntools; i++) {
        json_t *t = json_array_get(tools, i);
        wc_manifest_tool *tool = &m->tools[i];
        snprintf(path, sizeof path, "tools[%zu]", i);
        if (!json_is_object(t))
            return fail(ps, path, "expected an object");
        if (req_string(ps, t, "name", path, &tool->name))
            return -1;
        if (!wc_manifest_name_ok(tool->name))
            return fail(ps, path, "name '%s' must match ^[A-Za-z0-9_.-]{1,64}$", tool->name);
        if (seen_before(tools, i, "name", tool->name))
            return fail(ps, path, "duplicate tool name '%s'", tool->name);
        if (opt_string(ps, t, "title", path, &tool->title) ||
            opt_string(ps, t, "description", path, &tool->description) ||
            opt_type(ps, t, "annotations", path, JSON_OBJECT, "an object", &tool->annotations))
            return -1;
        tool->input_schema = json_object_get(t, "inputSchema");
        if (!tool->input_schema) {
            tool->input_schema = json_pack("{s:s}", "type", "object");
            if (!tool->input_schema || json_object_set_new(t, "inputSchema", tool->input_schema))
                return fail(ps, NULL, "out of memory");
        }
        snprintf(path, sizeof path, "tools[%zu].inputSchema", i);
        if (parse_schema(ps, tool->input_schema, path, tool->name, &tool->input))
            return -1;
        tool->output_schema = json_object_get(t, "outputSchema");
        if (tool->output_schema) {
            snprintf(path, sizeof path, "tools[%zu].outputSchema", i);
            if (parse_schema(ps, tool->output_schema, path, tool->name, &tool->output))
                return -1;
        }
    }
    return 0;
}

static int parse_resources(parser *ps, wc_manifest *m)
{
    if (get_array(ps, m->json, "resources", &m->resources))
        return -1;
    char path[64];
    size_t i;
    json_t *r;
    json_array_foreach(m->resources, i, r) {
        snprintf(path, sizeof path, "resources[%zu]", i);
        const char *uri;
        json_t *size;
        if (!json_is_object(r))
            return fail(ps, path, "expected an object");
        if (req_string(ps, r, "uri", path, &uri) || req_string(ps, r, "name", path, NULL) ||
            opt_string(ps, r, "title", path, NULL) || opt_string(ps, r, "description", path, NULL) ||
            opt_string(ps, r, "mimeType", path, NULL) ||
            opt_type(ps, r, "size", path, JSON_INTEGER, "an integer", &size))
            return -1;
        if (!*uri)
            return fail(ps, path, "uri must not be empty");
        if (size && json_integer_value(size) < 0)
            return fail(ps, path, "size must not be negative");
        if (seen_before(m->resources, i, "uri", uri))
            return fail(ps, path, "duplicate resource uri '%s'", uri);
    }
    return 0;
}

/* True when template t has a variable called name. */
static bool template_has_var(const char *t, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strchr(t, '{'); p; p = strchr(p + 1, '{'))
        if (strncmp(p + 1, name, n) == 0 && p[1 + n] == '}')
            return true;
    return false;
}

static int parse_templates(parser *ps, wc_manifest *m)
{
    if (get_array(ps, m->json, "resourceTemplates", &m->resource_templates))
        return -1;
    char path[64], msg[256];
    size_t i;
    json_t *r;
    json_array_foreach(m->resource_templates, i, r) {
        snprintf(path, sizeof path, "resourceTemplates[%zu]", i);
        const char *tmpl;
        json_t *complete;
        if (!json_is_object(r))
            return fail(ps, path, "expected an object");
        if (req_string(ps, r, "uriTemplate", path, &tmpl) || req_string(ps, r, "name", path, NULL) ||
            opt_string(ps, r, "title", path, NULL) || opt_string(ps, r, "description", path, NULL) ||
            opt_string(ps, r, "mimeType", path, NULL) ||
            opt_type(ps, r, "complete", path, JSON_OBJECT, "an object", &complete))
            return -1;
        if (wc_uri_template_check(tmpl, msg, sizeof msg))
            return fail(ps, path, "uriTemplate '%s': %s", tmpl, msg);
        if (seen_before(m->resource_templates, i, "uriTemplate", tmpl))
            return fail(ps, path, "duplicate uriTemplate '%s'", tmpl);
        const char *var;
        json_t *values;
        json_object_foreach(complete, var, values) {
            char sub[160];
            snprintf(sub, sizeof sub, "%s.complete.%s", path, var);
            if (!template_has_var(tmpl, var))
                return fail(ps, sub, "the template has no variable '%s'", var);
            if (check_string_array(ps, values, sub))
                return -1;
        }
    }
    return 0;
}

static int parse_prompts(parser *ps, wc_manifest *m)
{
    if (get_array(ps, m->json, "prompts", &m->prompts))
        return -1;
    char path[64];
    size_t i;
    json_t *p;
    json_array_foreach(m->prompts, i, p) {
        snprintf(path, sizeof path, "prompts[%zu]", i);
        const char *name;
        json_t *args;
        if (!json_is_object(p))
            return fail(ps, path, "expected an object");
        if (req_string(ps, p, "name", path, &name) || opt_string(ps, p, "title", path, NULL) ||
            opt_string(ps, p, "description", path, NULL) ||
            opt_type(ps, p, "arguments", path, JSON_ARRAY, "an array", &args))
            return -1;
        if (!wc_manifest_name_ok(name))
            return fail(ps, path, "name '%s' must match ^[A-Za-z0-9_.-]{1,64}$", name);
        if (seen_before(m->prompts, i, "name", name))
            return fail(ps, path, "duplicate prompt name '%s'", name);
        size_t j;
        json_t *a;
        json_array_foreach(args, j, a) {
            char sub[96];
            snprintf(sub, sizeof sub, "%s.arguments[%zu]", path, j);
            const char *aname;
            json_t *complete;
            if (!json_is_object(a))
                return fail(ps, sub, "expected an object");
            if (req_string(ps, a, "name", sub, &aname) ||
                opt_string(ps, a, "description", sub, NULL) ||
                opt_type(ps, a, "required", sub, JSON_TRUE, "a boolean", NULL) ||
                opt_type(ps, a, "complete", sub, JSON_ARRAY, "an array", &complete))
                return -1;
            if (seen_before(args, j, "name", aname))
                return fail(ps, sub, "duplicate argument name '%s'", aname);
            if (complete) {
                char csub[128];
                snprintf(csub, sizeof csub, "%s.complete", sub);
                if (check_string_array(ps, complete, csub))
                    return -1;
            }
        }
    }
    return 0;
}

static int parse_permissions(parser *ps, wc_manifest *m)
{
    json_t *perms = json_object_get(m->json, "permissions");
    if (!perms)
        return 0;
    if (!json_is_object(perms))
        return fail(ps, "permissions", "expected an object");
    m->permissions = perms;
    const char *p = "permissions";
    json_t *hosts, *env, *config;
    if (opt_type(ps, perms, "kv", p, JSON_TRUE, "a boolean", NULL) ||
        opt_type(ps, perms, "sampling", p, JSON_TRUE, "a boolean", NULL) ||
        opt_type(ps, perms, "elicitation", p, JSON_TRUE, "a boolean", NULL) ||
        opt_type(ps, perms, "allowed_hosts", p, JSON_ARRAY, "an array", &hosts))
        return -1;
    if (hosts && check_string_array(ps, hosts, "permissions.allowed_hosts"))
        return -1;
    /* env and config: the names asked for, as an array or an object's keys. */
    env = json_object_get(perms, "env");
    if (env && !json_is_object(env) && check_string_array(ps, env, "permissions.env"))
        return -1;
    config = json_object_get(perms, "config");
    if (config && !json_is_object(config) && check_string_array(ps, config, "permissions.config"))
        return -1;
    return 0;
}

/* ---- entry points ------------------------------------------------------ */

int wc_manifest_parse(const char *text, size_t len, const char *source, wc_manifest *out,
                      char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    parser ps = {source, err, err_size};
    out->source = strdup(source);
    if (!out->source)
        return fail(&ps, NULL, "out of memory");
    json_error_t jerr;
    out->json = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!out->json) {
        fail(&ps, NULL, "invalid JSON at line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        goto fail;
    }
    if (!json_is_object(out->json)) {
        fail(&ps, NULL, "the manifest must be a JSON object");
        goto fail;
    }
    if (req_string(&ps, out->json, "name", "", &out->name) ||
        opt_string(&ps, out->json, "version", "", &out->version) ||
        opt_string(&ps, out->json, "description", "", &out->description))
        goto fail;
    if (!wc_manifest_name_ok(out->name)) {
        fail(&ps, "name", "'%s' must match ^[A-Za-z0-9_.-]{1,64}$", out->name);
        goto fail;
    }
    if (parse_tools(&ps, out) || parse_resources(&ps, out) || parse_templates(&ps, out) ||
        parse_prompts(&ps, out) || parse_permissions(&ps, out))
        goto fail;
    return 0;
fail:
    wc_manifest_free(out);
    return -1;
}

int wc_manifest_load(const wc_module_info *info, const char *wasm_path, wc_manifest *out,
                     char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    const char *base = strrchr(wasm_path, '/');
    base = base ? base + 1 : wasm_path;
    const wc_custom_section *sec = info ? wc_module_find_custom(info, WC_MANIFEST_SECTION) : NULL;
    if (sec) {
        char source[512];
        snprintf(source, sizeof source, "%s (section %s)", base, WC_MANIFEST_SECTION);
        if (sec->size > WC_MANIFEST_MAX_BYTES) {
            snprintf(err, err_size, "%s: the manifest is larger than %u bytes", source,
                     WC_MANIFEST_MAX_BYTES);
            return -1;
        }
        return wc_manifest_parse((const char *)sec->data, sec->size, source, out, err, err_size);
    }
    /* NAME.wasm -> NAME.manifest.json */
    size_t n = strlen(wasm_path);
    if (n > 5 && strcmp(wasm_path + n - 5, ".wasm") == 0)
        n -= 5;
    char *sidecar = malloc(n + sizeof ".manifest.json");
    if (!sidecar) {
        snprintf(err, err_size, "%s: out of memory", base);
        return -1;
    }
    memcpy(sidecar, wasm_path, n);
    memcpy(sidecar + n, ".manifest.json", sizeof ".manifest.json");
    uint8_t *data = NULL;
    size_t size = 0;
    /* a FIFO or device there must not stall or flood the load */
    int rc = wc_read_regular_file(sidecar, WC_MANIFEST_MAX_BYTES, &data, &size);
    if (rc == -ENOENT) {
        snprintf(err, err_size,
                 "%s has no manifest: no custom section '%s' and no sidecar file %s", base,
                 WC_MANIFEST_SECTION, sidecar);
        free(sidecar);
        return 1;
    }
    if (rc) {
        snprintf(err, err_size, "%s: %s", sidecar, wc_strerror(rc));
        free(sidecar);
        return -1;
    }
    rc = wc_manifest_parse((const char *)data, size, sidecar, out, err, err_size);
    free(data);
    free(sidecar);
    return rc;
}

void wc_manifest_free(wc_manifest *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->ntools; i++) {
        wc_schema_free(m->tools[i].input);
        wc_schema_free(m->tools[i].output);
    }
    free(m->tools);
    json_decref(m->json);
    free(m->source);
    memset(m, 0, sizeof *m);
}

int wc_manifest_find_tool(const wc_manifest *m, const char *name)
{
    for (size_t i = 0; i < m->ntools; i++)
        if (strcmp(m->tools[i].name, name) == 0)
            return (int)i;
    return -1;
}
