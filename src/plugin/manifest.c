/* manifest.c -- parse and check a plugin manifest.
 *
 * Every check names the field it failed on, as a path into the document
 * ("tools[2].outputSchema"), so a plugin author can fix the manifest without
 * guessing.  Fields we do not know are left alone (forward compatibility);
 * fields we know must have the documented type.
 */
#include "plugin/manifest.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/reader.h"
#include "util/fs.h"

/* ---- URI templates (RFC 6570 level 1) ---------------------------------- */

int wc_uri_template_check(const char *t, wc_error *err)
{
    if (!*t)
        return wc_error_set(err, WC_EINVAL, "empty template");
    for (const char *p = t; *p; p++) {
        if (*p == '}')
            return wc_error_set(err, WC_EINVAL, "unbalanced '}' at offset %zu", (size_t)(p - t));
        if (*p != '{')
            continue;
        const char *start = ++p;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
               *p == '_')
            p++;
        if (*p != '}' || p == start)
            return wc_error_set(err, WC_EINVAL,
                                "bad variable at offset %zu (expected {name} with letters, digits or _)",
                                (size_t)(start - 1 - t));
        if (p[1] == '{')
            return wc_error_set(err, WC_EINVAL, "two variables without a separator at offset %zu",
                                (size_t)(p + 1 - t));
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

/* An optional string member of obj, borrowed from the document. */
static void read_text(wc_rnode *obj, const char *key, const char **out)
{
    wc_rnode m = wc_rnode_member(obj, key);
    wc_rnode_text(&m, 0, out);
}

/* A required string member of obj; its node in *node. */
static bool read_required(wc_rnode *obj, const char *key, unsigned flags, wc_rnode *node,
                          const char **out)
{
    *node = wc_rnode_member(obj, key);
    return wc_rnode_require(node) && wc_rnode_text(node, flags, out);
}

/* An optional member of obj that must be an array of strings. */
static void check_strings(const wc_rnode *node)
{
    const char **list = NULL;
    size_t n;
    if (wc_rnode_texts(node, 0, &list, &n))
        free(list);
}

/* The array member key of the document (an empty array is added when
 * absent); its node in *node. */
static bool read_array(wc_rnode *doc, const char *key, wc_rnode *node, json_t **out)
{
    *node = wc_rnode_member(doc, key);
    if (!node->json) {
        json_t *v = json_array();
        if (!v || json_object_set_new((json_t *)doc->json, key, v))
            return wc_reader_fail(doc->reader, "out of memory");
        node->json = v;
    } else if (!wc_rnode_array(node, NULL)) {
        return false;
    }
    *out = (json_t *)node->json;
    return true;
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

/* ---- sections ---------------------------------------------------------- */

/* Compiles a tool's schema; *bundled is set when it refers to ontology
 * types (a self-contained copy, owned by the caller). */
static bool read_schema(const wc_schema_docs *docs, const wc_rnode *node, const char *tool,
                        wc_schema **out, json_t **bundled)
{
    if (!wc_rnode_object(node, "a JSON Schema object"))
        return false;
    json_t *type = json_object_get(node->json, "type");
    if (!json_is_string(type) || strcmp(json_string_value(type), "object") != 0)
        return wc_rnode_fail(node, "the schema of tool '%s' must have \"type\": \"object\"", tool);
    wc_error why = {0};
    json_t *whole = NULL;
    *out = wc_schema_compile_in(docs, node->json, &whole, &why);
    if (!*out)
        return wc_rnode_fail(node, "the schema of tool '%s' does not compile: %s", tool, why.msg);
    if (whole != node->json)
        *bundled = whole;
    else
        json_decref(whole);
    return true;
}

static bool read_tool(const wc_schema_docs *docs, wc_rnode *t, json_t *tools, size_t i,
                      wc_manifest_tool *tool)
{
    wc_rnode name;
    if (!wc_rnode_object(t, NULL) || !read_required(t, "name", 0, &name, &tool->name))
        return false;
    if (!wc_manifest_name_ok(tool->name))
        return wc_rnode_fail(&name, "'%s' must match ^[A-Za-z0-9_.-]{1,64}$", tool->name);
    if (seen_before(tools, i, "name", tool->name))
        return wc_rnode_fail(&name, "duplicate tool name '%s'", tool->name);
    read_text(t, "title", &tool->title);
    read_text(t, "description", &tool->description);
    wc_rnode annotations = wc_rnode_member(t, "annotations");
    if (wc_rnode_object(&annotations, NULL))
        tool->annotations = (json_t *)annotations.json;
    wc_rnode input = wc_rnode_member(t, "inputSchema");
    if (t->reader->failed)
        return false;
    if (!input.json) {
        json_t *schema = json_pack("{s:s}", "type", "object");
        if (!schema || json_object_set_new((json_t *)t->json, "inputSchema", schema))
            return wc_reader_fail(t->reader, "out of memory");
        input.json = schema;
    }
    tool->input_schema = (json_t *)input.json;
    if (!read_schema(docs, &input, tool->name, &tool->input, &tool->bundled[0]))
        return false;
    if (tool->bundled[0])
        tool->input_schema = tool->bundled[0];
    wc_rnode output = wc_rnode_member(t, "outputSchema");
    tool->output_schema = (json_t *)output.json;
    if (output.json && !read_schema(docs, &output, tool->name, &tool->output, &tool->bundled[1]))
        return false;
    if (tool->bundled[1])
        tool->output_schema = tool->bundled[1];
    return true;
}

static bool read_tools(const wc_schema_docs *docs, wc_rnode *doc, wc_manifest *m)
{
    wc_rnode list;
    json_t *tools;
    if (!read_array(doc, "tools", &list, &tools))
        return false;
    m->ntools = json_array_size(tools);
    if (m->ntools) {
        m->tools = calloc(m->ntools, sizeof *m->tools);
        if (!m->tools) {
            m->ntools = 0;
            return wc_reader_fail(doc->reader, "out of memory");
        }
    }
    for (size_t i = 0; i < m->ntools; i++) {
        wc_rnode t = wc_rnode_item(&list, i);
        if (!read_tool(docs, &t, tools, i, &m->tools[i]))
            return false;
    }
    return true;
}

static bool read_resources(wc_rnode *doc, wc_manifest *m)
{
    wc_rnode list;
    if (!read_array(doc, "resources", &list, &m->resources))
        return false;
    for (size_t i = 0; i < json_array_size(m->resources); i++) {
        wc_rnode r = wc_rnode_item(&list, i), uri_node, name_node;
        const char *uri, *text;
        long long size;
        if (!wc_rnode_object(&r, NULL) || !read_required(&r, "uri", WC_READ_NONEMPTY, &uri_node, &uri) ||
            !read_required(&r, "name", 0, &name_node, &text))
            return false;
        read_text(&r, "title", &text);
        read_text(&r, "description", &text);
        read_text(&r, "mimeType", &text);
        wc_rnode size_node = wc_rnode_member(&r, "size");
        wc_rnode_int(&size_node, 0, LLONG_MAX, &size);
        if (r.reader->failed)
            return false;
        if (seen_before(m->resources, i, "uri", uri))
            return wc_rnode_fail(&uri_node, "duplicate resource uri '%s'", uri);
    }
    return true;
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

static bool read_templates(wc_rnode *doc, wc_manifest *m)
{
    wc_rnode list;
    if (!read_array(doc, "resourceTemplates", &list, &m->resource_templates))
        return false;
    for (size_t i = 0; i < json_array_size(m->resource_templates); i++) {
        wc_rnode r = wc_rnode_item(&list, i), tmpl_node, name_node;
        const char *tmpl, *text;
        if (!wc_rnode_object(&r, NULL) || !read_required(&r, "uriTemplate", 0, &tmpl_node, &tmpl) ||
            !read_required(&r, "name", 0, &name_node, &text))
            return false;
        read_text(&r, "title", &text);
        read_text(&r, "description", &text);
        read_text(&r, "mimeType", &text);
        wc_rnode complete = wc_rnode_member(&r, "complete");
        wc_rnode_object(&complete, NULL);
        if (r.reader->failed)
            return false;
        wc_error why;
        if (wc_uri_template_check(tmpl, &why))
            return wc_rnode_fail(&tmpl_node, "'%s': %s", tmpl, why.msg);
        if (seen_before(m->resource_templates, i, "uriTemplate", tmpl))
            return wc_rnode_fail(&tmpl_node, "duplicate uriTemplate '%s'", tmpl);
        void *iter = NULL;
        wc_rnode values;
        while (wc_rnode_next(&complete, &iter, &values)) {
            if (!template_has_var(tmpl, values.key))
                return wc_rnode_fail(&values, "the template has no variable '%s'", values.key);
            check_strings(&values);
        }
        if (r.reader->failed)
            return false;
    }
    return true;
}

static bool read_argument(wc_rnode *a, json_t *args, size_t j)
{
    wc_rnode name_node;
    const char *name, *text;
    bool required;
    if (!wc_rnode_object(a, NULL) || !read_required(a, "name", 0, &name_node, &name))
        return false;
    read_text(a, "description", &text);
    wc_rnode req = wc_rnode_member(a, "required");
    wc_rnode_bool(&req, &required);
    wc_rnode complete = wc_rnode_member(a, "complete");
    wc_rnode_array(&complete, NULL);
    if (a->reader->failed)
        return false;
    if (seen_before(args, j, "name", name))
        return wc_rnode_fail(&name_node, "duplicate argument name '%s'", name);
    check_strings(&complete);
    return !a->reader->failed;
}

static bool read_prompts(wc_rnode *doc, wc_manifest *m)
{
    wc_rnode list;
    if (!read_array(doc, "prompts", &list, &m->prompts))
        return false;
    for (size_t i = 0; i < json_array_size(m->prompts); i++) {
        wc_rnode p = wc_rnode_item(&list, i), name_node;
        const char *name, *text;
        if (!wc_rnode_object(&p, NULL) || !read_required(&p, "name", 0, &name_node, &name))
            return false;
        read_text(&p, "title", &text);
        read_text(&p, "description", &text);
        wc_rnode args = wc_rnode_member(&p, "arguments");
        wc_rnode_array(&args, NULL);
        if (p.reader->failed)
            return false;
        if (!wc_manifest_name_ok(name))
            return wc_rnode_fail(&name_node, "'%s' must match ^[A-Za-z0-9_.-]{1,64}$", name);
        if (seen_before(m->prompts, i, "name", name))
            return wc_rnode_fail(&name_node, "duplicate prompt name '%s'", name);
        for (size_t j = 0; j < wc_rnode_count(&args); j++) {
            wc_rnode a = wc_rnode_item(&args, j);
            if (!read_argument(&a, (json_t *)args.json, j))
                return false;
        }
    }
    return true;
}

static bool read_permissions(wc_rnode *doc, wc_manifest *m)
{
    wc_rnode perms = wc_rnode_member(doc, "permissions");
    if (!perms.json)
        return true;
    if (!wc_rnode_object(&perms, NULL))
        return false;
    m->permissions = (json_t *)perms.json;
    static const char *const flags[] = {"kv", "sampling", "elicitation"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        wc_rnode flag = wc_rnode_member(&perms, flags[i]);
        bool on;
        wc_rnode_bool(&flag, &on);
    }
    wc_rnode hosts = wc_rnode_member(&perms, "allowed_hosts");
    check_strings(&hosts);
    /* bus: {"publish": [subjects], "request": [subjects]} */
    wc_rnode bus = wc_rnode_member(&perms, "bus");
    if (bus.json && wc_rnode_object(&bus, NULL)) {
        static const char *const ops[] = {"publish", "request"};
        for (size_t i = 0; i < 2; i++) {
            wc_rnode subjects = wc_rnode_member(&bus, ops[i]);
            check_strings(&subjects);
        }
    }
    /* env and config: the names asked for, as an array or an object's keys. */
    static const char *const names[] = {"env", "config"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        wc_rnode asked = wc_rnode_member(&perms, names[i]);
        if (!json_is_object(asked.json))
            check_strings(&asked);
    }
    return !perms.reader->failed;
}

/* ---- entry points ------------------------------------------------------ */

static bool read_manifest(const wc_schema_docs *docs, wc_reader *reader, wc_manifest *m)
{
    if (!json_is_object(m->json))
        return wc_reader_fail(reader, "the manifest must be a JSON object");
    wc_rnode doc = wc_reader_root(reader, m->json, NULL), name;
    if (!read_required(&doc, "name", 0, &name, &m->name))
        return false;
    read_text(&doc, "version", &m->version);
    read_text(&doc, "description", &m->description);
    if (reader->failed)
        return false;
    if (!wc_manifest_name_ok(m->name))
        return wc_rnode_fail(&name, "'%s' must match ^[A-Za-z0-9_.-]{1,64}$", m->name);
    /* Unknown members are left alone: newer plugins load on older servers. */
    return read_tools(docs, &doc, m) && read_resources(&doc, m) && read_templates(&doc, m) &&
           read_prompts(&doc, m) && read_permissions(&doc, m);
}

int wc_manifest_parse(const char *text, size_t len, const char *source, wc_manifest *out,
                      wc_error *err)
{
    return wc_manifest_parse_in(NULL, text, len, source, out, err);
}

int wc_manifest_parse_in(const wc_schema_docs *docs, const char *text, size_t len,
                         const char *source, wc_manifest *out, wc_error *err)
{
    memset(out, 0, sizeof *out);
    out->source = strdup(source);
    if (!out->source)
        return wc_error_set(err, WC_ENOMEM, "%s: out of memory", source);
    wc_reader reader;
    wc_reader_init(&reader, out->source);
    out->json = wc_reader_load(&reader, text, len);
    if (!out->json || !read_manifest(docs, &reader, out)) {
        int rc = wc_reader_result(&reader, err);
        wc_manifest_free(out);
        return rc;
    }
    return 0;
}

char *wc_manifest_sidecar_path(const char *wasm_path)
{
    size_t n = strlen(wasm_path);
    if (n > 5 && strcmp(wasm_path + n - 5, ".wasm") == 0)
        n -= 5;
    char *sidecar = malloc(n + sizeof ".manifest.json");
    if (!sidecar)
        return NULL;
    memcpy(sidecar, wasm_path, n);
    memcpy(sidecar + n, ".manifest.json", sizeof ".manifest.json");
    return sidecar;
}

int wc_manifest_read(const wc_module_info *info, const char *wasm_path, char **text, size_t *len,
                     char **source, wc_error *err)
{
    *text = NULL;
    *source = NULL;
    *len = 0;
    const char *base = strrchr(wasm_path, '/');
    base = base ? base + 1 : wasm_path;
    const wc_custom_section *sec = info ? wc_module_find_custom(info, WC_MANIFEST_SECTION) : NULL;
    if (sec) {
        char name[512];
        snprintf(name, sizeof name, "%s (section %s)", base, WC_MANIFEST_SECTION);
        if (sec->size > WC_MANIFEST_MAX_BYTES)
            return wc_error_set(err, WC_ETOOBIG, "%s: the manifest is larger than %u bytes", name,
                                WC_MANIFEST_MAX_BYTES);
        *text = malloc(sec->size + 1);
        *source = strdup(name);
        if (!*text || !*source) {
            free(*text);
            free(*source);
            *text = *source = NULL;
            return wc_error_set(err, WC_ENOMEM, "%s: out of memory", name);
        }
        memcpy(*text, sec->data, sec->size);
        (*text)[sec->size] = '\0';
        *len = sec->size;
        return 0;
    }
    char *sidecar = wc_manifest_sidecar_path(wasm_path);
    if (!sidecar)
        return wc_error_set(err, WC_ENOMEM, "%s: out of memory", base);
    uint8_t *data = NULL;
    size_t size = 0;
    /* a FIFO or device there must not stall or flood the load */
    int rc = wc_read_regular_file(sidecar, WC_MANIFEST_MAX_BYTES, &data, &size);
    if (rc == WC_ENOENT)
        wc_error_set(err, rc, "%s has no manifest: no custom section '%s' and no sidecar file %s",
                     base, WC_MANIFEST_SECTION, sidecar);
    else if (rc)
        wc_error_set(err, rc, "%s: %s", sidecar, wc_strerror(rc));
    if (rc) {
        free(sidecar);
        return rc;
    }
    *text = (char *)data;
    *len = size;
    *source = sidecar;
    return 0;
}

int wc_manifest_load(const wc_module_info *info, const char *wasm_path, wc_manifest *out,
                     wc_error *err)
{
    return wc_manifest_load_in(NULL, info, wasm_path, out, err);
}

int wc_manifest_load_in(const wc_schema_docs *docs, const wc_module_info *info,
                        const char *wasm_path, wc_manifest *out, wc_error *err)
{
    memset(out, 0, sizeof *out);
    char *text, *source;
    size_t len;
    int rc = wc_manifest_read(info, wasm_path, &text, &len, &source, err);
    if (rc)
        return rc;
    rc = wc_manifest_parse_in(docs, text, len, source, out, err);
    free(text);
    free(source);
    return rc;
}

static void tool_free(wc_manifest_tool *t)
{
    wc_schema_free(t->input);
    wc_schema_free(t->output);
    json_decref(t->bundled[0]);
    json_decref(t->bundled[1]);
}

void wc_manifest_keep_tools(wc_manifest *m, bool (*keep)(void *ctx, const char *name), void *ctx)
{
    size_t kept = 0;
    for (size_t i = 0; i < m->ntools; i++) {
        if (keep(ctx, m->tools[i].name))
            m->tools[kept++] = m->tools[i];
        else
            tool_free(&m->tools[i]);
    }
    m->ntools = kept;
}

void wc_manifest_free(wc_manifest *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->ntools; i++)
        tool_free(&m->tools[i]);
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
