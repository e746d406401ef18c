/* check.c -- the rules between tool schemas and the ontology, and between
 * plugins (ontology.h).
 *
 * Each tool's inputSchema and outputSchema is walked once.  What is
 * checked against the ontology: every "$ref" outside the schema, every
 * property named like a term, and every "$defs" entry (or "$id") named
 * like an ontology type.  Outputs must fit inside the ontology's domain
 * (subset.h: tool ⊆ ontology), inputs must take all of it (ontology ⊆
 * tool).  Definitions of the plugins' own types are gathered and compared
 * afterwards, sorted by name, so the cost grows as n log n.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ontology/ontology.h"
#include "ontology/ontology_internal.h"
#include "ontology/subset.h"
#include "util/grow.h"

typedef enum direction { INPUT, OUTPUT } direction;

/* A type a plugin defines itself: a "$defs" entry or a subschema with an
 * "$id". */
typedef struct definition {
    const char *key;  /* its name or $id */
    bool by_id;
    size_t manifest, tool;
    char *pointer;
    json_t *normal;   /* the schema without annotations, for comparing */
} definition;

typedef struct checker {
    const wc_ontology *ontology;
    const wc_schema_docs *docs;
    const wc_checked_manifest *manifest;
    size_t manifest_index, tool_index;
    const char *tool;
    direction dir;
    wc_schema_view top; /* the tool schema walked */
    wc_findings *out;
    definition *defs;
    size_t ndefs, defs_capacity;
    char path[1024];
    size_t path_len;
    bool oom;
} checker;

static const char *const annotations[] = {"title", "description", "$comment", "examples",
                                          "default", "deprecated", "readOnly", "writeOnly"};

/* v without annotations, recursively (a new value); NULL past the depth. */
static json_t *normalize(const json_t *v, int depth)
{
    if (depth > WC_SCHEMA_REF_MAX_DEPTH)
        return NULL;
    if (json_is_object(v)) {
        json_t *out = json_object();
        const char *key;
        json_t *sub;
        json_object_foreach((json_t *)v, key, sub) {
            bool skip = false;
            for (size_t i = 0; i < sizeof annotations / sizeof annotations[0] && !skip; i++)
                skip = strcmp(key, annotations[i]) == 0;
            if (skip)
                continue;
            bool data = strcmp(key, "enum") == 0 || strcmp(key, "const") == 0;
            json_t *copy = data ? json_incref(sub) : normalize(sub, depth + 1);
            if (!copy || json_object_set_new(out, key, copy)) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    if (json_is_array(v)) {
        json_t *out = json_array();
        size_t i;
        json_t *sub;
        json_array_foreach(v, i, sub) {
            json_t *copy = normalize(sub, depth + 1);
            if (!copy || json_array_append_new(out, copy)) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    return json_incref((json_t *)v);
}

static void add(checker *c, wc_finding_level level, const char *suffix, const char *rule,
                const char *message)
{
    char pointer[1400];
    snprintf(pointer, sizeof pointer, "%s%s", c->path, suffix);
    if (!wc_findings_add(c->out, level, c->manifest->plugin, c->tool, pointer, rule, "%s", message))
        c->oom = true;
}

static bool push(checker *c, const char *token, size_t *saved)
{
    *saved = c->path_len;
    size_t room = sizeof c->path - c->path_len;
    size_t n = 1;
    for (const char *p = token; *p; p++)
        n += *p == '~' || *p == '/' ? 2 : 1;
    if (n >= room)
        return false;
    c->path[c->path_len++] = '/';
    for (const char *p = token; *p; p++) {
        if (*p == '~' || *p == '/') {
            c->path[c->path_len++] = '~';
            c->path[c->path_len++] = *p == '~' ? '0' : '1';
        } else {
            c->path[c->path_len++] = *p;
        }
    }
    c->path[c->path_len] = '\0';
    return true;
}

static void pop(checker *c, size_t saved)
{
    c->path_len = saved;
    c->path[saved] = '\0';
}

/* The tool's schema x against the ontology's schema (in resource res), in
 * the direction of the schema walked; reports what is wrong. */
static int compare(checker *c, const json_t *x, const json_t *onto, const wc_schema_resource *res,
                   const char *what, bool report)
{
    wc_schema_view mine = {x, c->top.base, c->top.root};
    wc_schema_view theirs = {onto, res->id, res->schema};
    wc_subset_result r;
    if (c->dir == OUTPUT)
        wc_subset(c->docs, mine, theirs, "this schema", "the ontology", &r);
    else
        wc_subset(c->docs, theirs, mine, "the ontology", "this schema", &r);
    if (r.verdict == WC_SUBSET_YES || !report)
        return r.verdict;
    char message[1024];
    const char *rule = r.verdict == WC_SUBSET_UNKNOWN ? "undecidable"
                       : r.disjoint                   ? "term-incompatible"
                       : c->dir == OUTPUT             ? "output-widens"
                                                      : "input-narrows";
    const char *effect = r.verdict == WC_SUBSET_UNKNOWN ? "may not keep to"
                         : r.disjoint                   ? "is incompatible with"
                         : c->dir == OUTPUT             ? "widens"
                                                        : "narrows";
    snprintf(message, sizeof message, "%s %s the ontology's %s: %s", what, effect, res->name,
             r.reason);
    add(c, r.verdict == WC_SUBSET_UNKNOWN ? WC_FINDING_WARNING : WC_FINDING_ERROR, r.where, rule,
        message);
    return r.verdict;
}

/* The term named like property name, if any: checked against each type
 * that has it; one that fits is enough. */
static void check_term(checker *c, const char *name, const json_t *x)
{
    const wc_ontology *o = c->ontology;
    size_t low = 0, high = o->nterms;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        if (strcmp(o->terms[mid].name, name) < 0)
            low = mid + 1;
        else
            high = mid;
    }
    size_t first = low, end = low;
    while (end < o->nterms && strcmp(o->terms[end].name, name) == 0)
        end++;
    if (first == end)
        return;
    for (size_t i = first; i < end; i++) {
        const wc_schema_resource *res = wc_schema_docs_at(c->docs, o->terms[i].resource);
        if (compare(c, x, o->terms[i].schema, res, "", false) == WC_SUBSET_YES)
            return;
    }
    const wc_schema_resource *res = wc_schema_docs_at(c->docs, o->terms[first].resource);
    char label[300];
    snprintf(label, sizeof label, "property \"%s\"", name);
    compare(c, x, o->terms[first].schema, res, label, true);
}

static void define(checker *c, const char *key, bool by_id, const json_t *schema)
{
    if (!wc_grow((void **)&c->defs, &c->defs_capacity, c->ndefs + 1, sizeof *c->defs)) {
        c->oom = true;
        return;
    }
    definition *d = &c->defs[c->ndefs];
    *d = (definition){key, by_id, c->manifest_index, c->tool_index, strdup(c->path),
                      normalize(schema, 0)};
    if (!d->pointer || !d->normal) {
        free(d->pointer);
        json_decref(d->normal);
        c->oom = true;
        return;
    }
    c->ndefs++;
}

static void check_type_named(checker *c, const char *key, const json_t *x)
{
    const wc_schema_resource *res = NULL;
    if (!c->ontology)
        return;
    size_t n = wc_schema_docs_count(c->docs);
    for (size_t i = 0; i < n && !res; i++) {
        const wc_schema_resource *r = wc_schema_docs_at(c->docs, i);
        if (strcmp(r->name, key) == 0 || strcmp(r->id, key) == 0)
            res = r;
    }
    if (!res)
        return;
    char label[300];
    snprintf(label, sizeof label, "the plugin's own definition of \"%s\"", key);
    compare(c, x, res->schema, res, label, true);
}

static bool is_data_keyword(const char *key)
{
    return strcmp(key, "enum") == 0 || strcmp(key, "const") == 0 ||
           strcmp(key, "default") == 0 || strcmp(key, "examples") == 0;
}

static void walk(checker *c, const json_t *v, int depth);

/* The members of a "properties", "$defs" or "patternProperties" object. */
static void walk_map(checker *c, const char *keyword, const json_t *map, int depth)
{
    const char *name;
    json_t *x;
    json_object_foreach((json_t *)map, name, x) {
        size_t saved;
        if (!push(c, name, &saved))
            continue;
        if (strcmp(keyword, "properties") == 0 && c->ontology)
            check_term(c, name, x);
        if (strcmp(keyword, "$defs") == 0 || strcmp(keyword, "definitions") == 0) {
            define(c, name, false, x);
            check_type_named(c, name, x);
        }
        walk(c, x, depth + 1);
        pop(c, saved);
    }
}

static void walk(checker *c, const json_t *v, int depth)
{
    if (c->oom || depth > WC_SCHEMA_REF_MAX_DEPTH)
        return;
    if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            char index[24];
            snprintf(index, sizeof index, "%zu", i);
            size_t saved;
            if (push(c, index, &saved)) {
                walk(c, x, depth + 1);
                pop(c, saved);
            }
        }
        return;
    }
    if (!json_is_object(v))
        return;
    const json_t *ref = json_object_get(v, "$ref");
    if (json_is_string(ref) && json_string_value(ref)[0] != '#') {
        const wc_schema_resource *res;
        const json_t *target;
        wc_error why = {0};
        if (wc_schema_ref_lookup(c->docs, c->top.base, json_string_value(ref), c->top.root, &res,
                                 &target, &why))
            add(c, WC_FINDING_ERROR, "/$ref", "unknown-ref", why.msg);
    }
    const json_t *id = json_object_get(v, "$id");
    if (depth > 0 && json_is_string(id)) {
        define(c, json_string_value(id), true, v);
        check_type_named(c, json_string_value(id), v);
    }
    const char *key;
    json_t *x;
    json_object_foreach((json_t *)v, key, x) {
        if (is_data_keyword(key) || strcmp(key, "$ref") == 0)
            continue;
        size_t saved;
        if (!push(c, key, &saved))
            continue;
        if (json_is_object(x) && (strcmp(key, "properties") == 0 || strcmp(key, "$defs") == 0 ||
                                  strcmp(key, "definitions") == 0 ||
                                  strcmp(key, "patternProperties") == 0 ||
                                  strcmp(key, "dependentSchemas") == 0))
            walk_map(c, key, x, depth + 1);
        else
            walk(c, x, depth + 1);
        pop(c, saved);
    }
}

static int compare_defs(const void *a, const void *b)
{
    const definition *x = a, *y = b;
    if (x->by_id != y->by_id)
        return x->by_id - y->by_id;
    int by_key = strcmp(x->key, y->key);
    if (by_key)
        return by_key;
    if (x->manifest != y->manifest)
        return x->manifest < y->manifest ? -1 : 1;
    return (x->tool > y->tool) - (x->tool < y->tool);
}

static const char *tool_name(const wc_checked_manifest *m, size_t tool)
{
    const json_t *t = json_array_get(json_object_get(m->manifest, "tools"), tool);
    return json_string_value(json_object_get(t, "name"));
}

/* Definitions of one name or $id that differ: each differing one is
 * reported against the first. */
static void report_conflicts(checker *c, const wc_checked_manifest *manifests)
{
    if (c->ndefs > 1)
        qsort(c->defs, c->ndefs, sizeof *c->defs, compare_defs);
    for (size_t i = 0; i < c->ndefs;) {
        size_t end = i + 1;
        while (end < c->ndefs && c->defs[end].by_id == c->defs[i].by_id &&
               strcmp(c->defs[end].key, c->defs[i].key) == 0)
            end++;
        const definition *first = &c->defs[i];
        for (size_t k = i + 1; k < end; k++) {
            const definition *d = &c->defs[k];
            if (json_equal(first->normal, d->normal))
                continue;
            const wc_checked_manifest *m = &manifests[d->manifest];
            const char *other_tool = tool_name(&manifests[first->manifest], first->tool);
            if (!wc_findings_add(c->out, WC_FINDING_ERROR, m->plugin, tool_name(m, d->tool),
                                 d->pointer, "type-conflict",
                                 "defines %s \"%s\" differently from plugin %s (tool %s, at %s)",
                                 d->by_id ? "the type with $id" : "the type", d->key,
                                 manifests[first->manifest].plugin, other_tool ? other_tool : "-",
                                 first->pointer))
                c->oom = true;
        }
        i = end;
    }
}

int wc_ontology_check(const wc_ontology *ontology, const wc_checked_manifest *manifests,
                      size_t count, wc_findings *out)
{
    checker c = {.ontology = ontology, .docs = wc_ontology_docs(ontology), .out = out};
    for (size_t m = 0; m < count && !c.oom; m++) {
        c.manifest = &manifests[m];
        c.manifest_index = m;
        const json_t *tools = json_object_get(manifests[m].manifest, "tools");
        size_t t;
        json_t *tool;
        json_array_foreach(tools, t, tool) {
            c.tool_index = t;
            c.tool = json_string_value(json_object_get(tool, "name"));
            static const char *const keys[] = {"inputSchema", "outputSchema"};
            for (int k = 0; k < 2; k++) {
                const json_t *schema = json_object_get(tool, keys[k]);
                if (!schema)
                    continue;
                const json_t *id = json_object_get(schema, "$id");
                c.dir = k == 0 ? INPUT : OUTPUT;
                c.top = (wc_schema_view){schema, json_string_value(id), schema};
                c.path_len = (size_t)snprintf(c.path, sizeof c.path, "/tools/%zu/%s", t, keys[k]);
                walk(&c, schema, 0);
            }
        }
    }
    if (!c.oom)
        report_conflicts(&c, manifests);
    for (size_t i = 0; i < c.ndefs; i++) {
        free(c.defs[i].pointer);
        json_decref(c.defs[i].normal);
    }
    free(c.defs);
    return c.oom ? WC_ENOMEM : 0;
}
