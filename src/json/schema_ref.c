/* schema_ref.c -- schema documents by $id, and bundling the ones a schema
 * refers to into it (schema_ref.h).
 *
 * Bundling rather than teaching the compiler about several documents keeps
 * one resolver (the compiler's, with its cycle refusal and work budget) and
 * gives clients, who see a tool's schemas in tools/list, a schema they can
 * validate with without fetching anything.
 */
#include "json/schema_ref.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/pointer.h"
#include "util/grow.h"

struct wc_schema_docs {
    atomic_int refs;
    json_t **docs;
    char **sources;
    size_t ndocs, docs_capacity;
    wc_schema_resource *resources;
    size_t nresources, resources_capacity;
    /* After wc_schema_docs_prepare, per document: its copy with every
     * reference rewritten for a bundle (shared by all bundles), and the
     * documents it refers to.  NULL before. */
    json_t **prepared;
    size_t **deps, *ndeps;
};

static void forget_prepared(wc_schema_docs *d)
{
    for (size_t i = 0; d->prepared && i < d->ndocs; i++) {
        json_decref(d->prepared[i]);
        free(d->deps[i]);
    }
    free(d->prepared);
    free(d->deps);
    free(d->ndeps);
    d->prepared = NULL;
    d->deps = NULL;
    d->ndeps = NULL;
}

/* Values of these keywords are data, not schemas: a "$ref" or "$id" in them
 * means nothing. */
static bool is_data_keyword(const char *key)
{
    return strcmp(key, "enum") == 0 || strcmp(key, "const") == 0 ||
           strcmp(key, "default") == 0 || strcmp(key, "examples") == 0;
}

/* Keywords whose value is an object of schemas keyed by names (a member
 * named "$ref" there is a property, not a reference). */
static bool is_schema_map(const char *key)
{
    return strcmp(key, "properties") == 0 || strcmp(key, "patternProperties") == 0 ||
           strcmp(key, "$defs") == 0 || strcmp(key, "definitions") == 0 ||
           strcmp(key, "dependentSchemas") == 0;
}

/* ---- URIs ---------------------------------------------------------------- */

/* RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
static bool has_scheme(const char *s)
{
    if (!isalpha((unsigned char)*s))
        return false;
    for (s++; *s; s++) {
        if (*s == ':')
            return true;
        if (!isalnum((unsigned char)*s) && *s != '+' && *s != '-' && *s != '.')
            return false;
    }
    return false;
}

static bool is_short_form(const char *s)
{
    return strncmp(s, WC_SCHEMA_SHORT_PREFIX, strlen(WC_SCHEMA_SHORT_PREFIX)) == 0;
}

/* ref (no fragment) resolved against base: a new string, NULL when ref is
 * relative and base is NULL, or out of memory.  Dot segments "./" and
 * "../" of the relative part are applied to base's folder. */
static char *resolve_uri(const char *base, const char *ref)
{
    if (has_scheme(ref))
        return strdup(ref);
    /* a base with no scheme (an "$id" that is no absolute URI) resolves nothing */
    const char *colon = base ? strchr(base, ':') : NULL;
    if (!colon)
        return NULL;
    size_t keep;
    if (ref[0] == '/') { /* scheme://authority + ref */
        const char *authority = strstr(base, "://");
        const char *path = authority ? strchr(authority + 3, '/') : colon + 1;
        keep = path ? (size_t)(path - base) : strlen(base);
    } else {
        const char *slash = strrchr(base, '/');
        keep = slash ? (size_t)(slash - base) + 1 : (size_t)(colon - base) + 1;
    }
    size_t floor = 0; /* never climb above scheme://authority/ */
    const char *authority = strstr(base, "://");
    if (authority) {
        const char *first = strchr(authority + 3, '/');
        floor = first ? (size_t)(first - base) + 1 : strlen(base);
    }
    char *out = malloc(keep + strlen(ref) + 2);
    if (!out)
        return NULL;
    memcpy(out, base, keep);
    size_t n = keep;
    while (ref[0] == '.') {
        if (strncmp(ref, "./", 2) == 0) {
            ref += 2;
        } else if (strncmp(ref, "../", 3) == 0) {
            ref += 3;
            if (n > floor) { /* drop the last folder: out ends with '/' */
                n--;
                while (n > floor && out[n - 1] != '/')
                    n--;
            }
        } else {
            break;
        }
    }
    strcpy(out + n, ref);
    return out;
}

/* The short name of an $id: its last segment without ".json". */
static char *short_name(const char *id)
{
    const char *slash = strrchr(id, '/');
    const char *start = slash ? slash + 1 : strchr(id, ':') + 1;
    size_t n = strlen(start);
    if (n > 5 && strcmp(start + n - 5, ".json") == 0)
        n -= 5;
    return n ? strndup(start, n) : NULL;
}

/* ---- the set --------------------------------------------------------------- */

wc_schema_docs *wc_schema_docs_new(void)
{
    wc_schema_docs *d = calloc(1, sizeof *d);
    if (d)
        atomic_init(&d->refs, 1);
    return d;
}

wc_schema_docs *wc_schema_docs_retain(wc_schema_docs *d)
{
    if (d)
        atomic_fetch_add(&d->refs, 1);
    return d;
}

void wc_schema_docs_release(wc_schema_docs *d)
{
    if (!d || atomic_fetch_sub(&d->refs, 1) != 1)
        return;
    forget_prepared(d);
    for (size_t i = 0; i < d->nresources; i++) {
        free((char *)d->resources[i].id);
        free((char *)d->resources[i].name);
        free((char *)d->resources[i].path);
    }
    for (size_t i = 0; i < d->ndocs; i++) {
        json_decref(d->docs[i]);
        free(d->sources[i]);
    }
    free(d->resources);
    free(d->docs);
    free(d->sources);
    free(d);
}

size_t wc_schema_docs_count(const wc_schema_docs *d) { return d ? d->nresources : 0; }

const wc_schema_resource *wc_schema_docs_at(const wc_schema_docs *d, size_t i)
{
    return d && i < d->nresources ? &d->resources[i] : NULL;
}

const json_t *wc_schema_docs_document(const wc_schema_docs *d, size_t doc)
{
    return d && doc < d->ndocs ? d->docs[doc] : NULL;
}

const wc_schema_resource *wc_schema_docs_find(const wc_schema_docs *d, const char *uri)
{
    if (!d)
        return NULL;
    bool by_name = is_short_form(uri);
    const char *key = by_name ? uri + strlen(WC_SCHEMA_SHORT_PREFIX) : uri;
    for (size_t i = 0; i < d->nresources; i++)
        if (strcmp(by_name ? d->resources[i].name : d->resources[i].id, key) == 0)
            return &d->resources[i];
    return NULL;
}

/* A JSON pointer token appended to buf (~0, ~1); false when it does not fit. */
static bool append_token(char *buf, size_t size, size_t *len, const char *token)
{
    if (*len + 1 >= size)
        return false;
    buf[(*len)++] = '/';
    for (const char *p = token; *p; p++) {
        const char *piece = *p == '~' ? "~0" : *p == '/' ? "~1" : NULL;
        size_t n = piece ? 2 : 1;
        if (*len + n >= size)
            return false;
        if (piece)
            memcpy(buf + *len, piece, 2);
        else
            buf[*len] = *p;
        *len += n;
    }
    buf[*len] = '\0';
    return true;
}

/* Where a walk is: the JSON pointer of the value visited. */
typedef struct walk_path {
    char text[1024];
    size_t len;
} walk_path;

typedef int (*visit_fn)(void *ctx, json_t *child, bool schema_map, int depth);

/* Visits each child of v that may hold schemas -- the members of an object
 * but its data keywords and "$ref", the items of an array -- with path
 * extended by its token; stops at the first non-zero result. */
static int each_child(json_t *v, bool schema_map, walk_path *path, visit_fn visit, void *ctx,
                      int depth, wc_error *err)
{
    size_t saved = path->len;
    int rc = 0;
    const char *key;
    json_t *sub;
    size_t i;
    char index[24];
    if (json_is_object(v)) {
        json_object_foreach(v, key, sub) {
            if (!schema_map && (is_data_keyword(key) || strcmp(key, "$ref") == 0))
                continue;
            if (!append_token(path->text, sizeof path->text, &path->len, key))
                rc = wc_error_set(err, WC_ETOOBIG, "a schema path longer than %zu bytes",
                                  sizeof path->text);
            else
                rc = visit(ctx, sub, !schema_map && is_schema_map(key), depth + 1);
            path->len = saved;
            path->text[saved] = '\0';
            if (rc)
                break;
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, sub) {
            snprintf(index, sizeof index, "%zu", i);
            if (!append_token(path->text, sizeof path->text, &path->len, index))
                rc = wc_error_set(err, WC_ETOOBIG, "a schema path longer than %zu bytes",
                                  sizeof path->text);
            else
                rc = visit(ctx, sub, false, depth + 1);
            path->len = saved;
            path->text[saved] = '\0';
            if (rc)
                break;
        }
    }
    return rc;
}

typedef struct adder {
    wc_schema_docs *docs;
    size_t doc;
    const char *source;
    const char *base; /* the URI of the value visited */
    wc_error *err;
    walk_path path;
} adder;

static int add_resource(adder *a, const char *id, const json_t *schema)
{
    wc_schema_docs *d = a->docs;
    if (d->nresources >= WC_SCHEMA_DOCS_MAX)
        return wc_error_set(a->err, WC_ETOOBIG, "%s: more than %u schema resources", a->source,
                            WC_SCHEMA_DOCS_MAX);
    char *name = short_name(id);
    if (!name)
        return wc_error_set(a->err, WC_EINVAL, "%s at #%s: \"$id\": \"%s\" has no name (its last "
                            "segment is empty)", a->source, a->path.text, id);
    for (size_t i = 0; i < d->nresources; i++) {
        const wc_schema_resource *r = &d->resources[i];
        const char *clash = strcmp(r->id, id) == 0 ? "$id" : strcmp(r->name, name) == 0 ? "name" : NULL;
        if (clash) {
            wc_error_set(a->err, WC_EINVAL, "%s at #%s: the %s of \"%s\" is also the %s of %s in %s",
                         a->source, a->path.text, clash, id, clash, r->id, r->source);
            free(name);
            return WC_EINVAL;
        }
    }
    if (!wc_grow((void **)&d->resources, &d->resources_capacity, d->nresources + 1,
                 sizeof *d->resources)) {
        free(name);
        return wc_error_set(a->err, WC_ENOMEM, "out of memory");
    }
    wc_schema_resource *r = &d->resources[d->nresources];
    *r = (wc_schema_resource){strdup(id), name, schema, d->sources[a->doc], a->doc,
                              strdup(a->path.text)};
    if (!r->id || !r->path) {
        free((char *)r->id);
        free((char *)r->path);
        free(name);
        return wc_error_set(a->err, WC_ENOMEM, "out of memory");
    }
    d->nresources++;
    return 0;
}

/* Every subschema with an "$id" under v (a->base: the URI v is in). */
static int collect_resources(void *ctx, json_t *v, bool schema_map, int depth)
{
    adder *a = ctx;
    if (depth > WC_SCHEMA_REF_MAX_DEPTH)
        return wc_error_set(a->err, WC_ETOOBIG, "%s at #%s: nested deeper than %d", a->source,
                            a->path.text, WC_SCHEMA_REF_MAX_DEPTH);
    const char *outer = a->base;
    char *own = NULL;
    int rc = 0;
    const json_t *id = json_is_object(v) && !schema_map ? json_object_get(v, "$id") : NULL;
    if (json_is_string(id) && (depth > 0 || !a->base)) {
        char *frag = NULL;
        own = strdup(json_string_value(id));
        if (own && (frag = strchr(own, '#')) && frag[1] != '\0') {
            free(own);
            return wc_error_set(a->err, WC_EINVAL, "%s at #%s: \"$id\" must not have a fragment",
                                a->source, a->path.text);
        }
        if (frag)
            *frag = '\0';
        char *absolute = own ? resolve_uri(a->base, own) : NULL;
        free(own);
        own = absolute;
        if (!own || is_short_form(own))
            rc = wc_error_set(a->err, WC_EINVAL,
                              "%s at #%s: \"$id\": \"%s\" is not an absolute URI (nor relative to "
                              "one)", a->source, a->path.text, json_string_value(id));
        else
            rc = add_resource(a, own, v);
        a->base = own;
    }
    if (!rc) {
        rc = each_child(v, schema_map, &a->path, collect_resources, a, depth, a->err);
        if (rc == WC_ETOOBIG && !strstr(a->err->msg, a->source)) {
            wc_error inner = *a->err;
            wc_error_set(a->err, WC_ETOOBIG, "%s: %s", a->source, inner.msg);
        }
    }
    a->base = outer;
    free(own);
    return rc;
}

int wc_schema_docs_add(wc_schema_docs *d, json_t *doc, const char *source, wc_error *err)
{
    forget_prepared(d);
    const json_t *id = json_is_object(doc) ? json_object_get(doc, "$id") : NULL;
    if (!json_is_string(id) || !has_scheme(json_string_value(id)) ||
        is_short_form(json_string_value(id)))
        return wc_error_set(err, WC_EINVAL, "%s: a schema document needs an absolute \"$id\" "
                            "(\"https://.../NAME.json\")", source);
    if (!wc_grow((void **)&d->docs, &d->docs_capacity, d->ndocs + 1, sizeof *d->docs))
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    size_t capacity = d->docs_capacity;
    char **sources = realloc(d->sources, capacity * sizeof *sources);
    if (!sources)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    d->sources = sources;
    if (!(d->sources[d->ndocs] = strdup(source)))
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    d->docs[d->ndocs] = json_incref(doc);
    adder a = {.docs = d, .doc = d->ndocs, .source = d->sources[d->ndocs], .err = err};
    a.path.text[0] = '\0';
    d->ndocs++;
    size_t before = d->nresources;
    int rc = collect_resources(&a, doc, false, 0);
    if (rc) { /* the set stays as it was */
        while (d->nresources > before) {
            wc_schema_resource *r = &d->resources[--d->nresources];
            free((char *)r->id);
            free((char *)r->name);
            free((char *)r->path);
        }
        d->ndocs--;
        json_decref(d->docs[d->ndocs]);
        free(d->sources[d->ndocs]);
    }
    return rc;
}

/* ---- looking a reference up ------------------------------------------------ */

int wc_schema_ref_lookup(const wc_schema_docs *docs, const char *base, const char *ref,
                         const json_t *local_root, const wc_schema_resource **resource,
                         const json_t **target, wc_error *err)
{
    *resource = NULL;
    *target = NULL;
    const char *hash = strchr(ref, '#');
    const char *frag = hash ? hash + 1 : "";
    if (ref[0] != '#') {
        char *uri = strndup(ref, hash ? (size_t)(hash - ref) : strlen(ref));
        if (!uri)
            return wc_error_set(err, WC_ENOMEM, "out of memory");
        char *absolute = is_short_form(uri) ? strdup(uri) : resolve_uri(base, uri);
        free(uri);
        if (!absolute)
            return wc_error_set(err, WC_ENOTFOUND,
                                "$ref \"%s\" is relative and there is no base URI to resolve it "
                                "against (write \"ontology:NAME\" or an absolute URI)", ref);
        *resource = wc_schema_docs_find(docs, absolute);
        free(absolute);
        if (!*resource)
            return wc_error_set(err, WC_ENOTFOUND, "$ref \"%s\" names no ontology type%s", ref,
                                docs ? "" : " (no ontology is configured)");
        local_root = (*resource)->schema;
    }
    if (frag[0] != '\0' && frag[0] != '/')
        return wc_error_set(err, WC_ENOTSUP, "$ref \"%s\": an anchor (\"#name\") is not supported "
                            "across documents (use a JSON pointer: \"...#/$defs/NAME\")", ref);
    int rc = wc_json_pointer_follow(local_root, frag, target);
    if (rc == WC_ENOMEM)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    if (rc)
        return wc_error_set(err, WC_ENOTFOUND, "$ref \"%s\" does not point to anything%s%s", ref,
                            *resource ? " in " : "", *resource ? (*resource)->id : "");
    return 0;
}

/* ---- bundling ------------------------------------------------------------- */

bool wc_schema_has_external_refs(const json_t *v)
{
    /* a plain walk: bounded by the nesting jansson allows (its parser's
     * depth limit) */
    if (json_is_object(v)) {
        const char *key;
        json_t *sub;
        json_object_foreach((json_t *)v, key, sub) {
            if (is_data_keyword(key))
                continue;
            if (strcmp(key, "$ref") == 0 && json_is_string(sub) && json_string_value(sub)[0] != '#')
                return true;
            if (wc_schema_has_external_refs(sub))
                return true;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *sub;
        json_array_foreach(v, i, sub)
            if (wc_schema_has_external_refs(sub))
                return true;
    }
    return false;
}

typedef struct bundler {
    const wc_schema_docs *docs; /* never NULL: an empty set stands for none */
    bool configured;            /* whether the caller gave a set */
    json_t *root;   /* the copy being made self-contained */
    json_t *defs;   /* its $defs */
    bool *embedded; /* per document */
    size_t *queue, nqueue;
    size_t nodes;
    wc_error *err;
    const char *where; /* NULL in the schema itself, else the $id of the document walked */
    size_t doc;        /* the document walked, when where is set */
    const json_t *local_root;
    /* the URI of the value walked; where "#" of its resource lives in the
     * bundle (NULL in the schema itself, whose local refs stay) */
    const char *base, *local_prefix;
    walk_path path;
} bundler;

/* The $defs key of document doc. */
static char *def_key(const bundler *b, size_t doc)
{
    const wc_schema_resource *root = NULL;
    for (size_t i = 0; i < b->docs->nresources && !root; i++)
        if (b->docs->resources[i].doc == doc && b->docs->resources[i].path[0] == '\0')
            root = &b->docs->resources[i];
    char *key = malloc(strlen(WC_SCHEMA_SHORT_PREFIX) + strlen(root->name) + 1);
    if (key)
        sprintf(key, "%s%s", WC_SCHEMA_SHORT_PREFIX, root->name);
    return key;
}

/* Appends text to a growing string, percent-encoding what a URI fragment
 * may not hold as is. */
static bool append_fragment(char **s, size_t *len, size_t *cap, const char *text, bool encode)
{
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        bool plain = !encode || isalnum(c) || strchr("-._~!$&'()*+,;=:@/", c);
        if (!wc_grow((void **)s, cap, *len + 4, 1))
            return false;
        if (plain)
            (*s)[(*len)++] = (char)c;
        else
            *len += (size_t)sprintf(*s + *len, "%%%02X", c);
    }
    if (!wc_grow((void **)s, cap, *len + 1, 1))
        return false;
    (*s)[*len] = '\0';
    return true;
}

static int fail_at(bundler *b, int code, const wc_error *why)
{
    if (b->where)
        return wc_error_set(b->err, code, "in %s at #%s/$ref: %s", b->where, b->path.text,
                            why->msg);
    return wc_error_set(b->err, code, "at #%s/$ref: %s", b->path.text, why->msg);
}

/* The local pointer "#/$defs/KEY" + path of document doc. */
static char *bundled_pointer(bundler *b, size_t doc, const char *path, const char *frag)
{
    char *key = def_key(b, doc), *out = NULL, token[512];
    size_t len = 0, cap = 0, tlen = 0;
    token[0] = '\0';
    bool ok = key && append_token(token, sizeof token, &tlen, key) &&
              append_fragment(&out, &len, &cap, "#/$defs", false) &&
              append_fragment(&out, &len, &cap, token, true) &&
              append_fragment(&out, &len, &cap, path, true) &&
              append_fragment(&out, &len, &cap, frag, false);
    free(key);
    if (!ok) {
        free(out);
        return NULL;
    }
    return out;
}

static int rewrite_ref(bundler *b, json_t *node, const char *ref)
{
    const char *base = b->base, *local_prefix = b->local_prefix;
    const wc_schema_resource *res;
    const json_t *target;
    wc_error why = {0};
    int rc = wc_schema_ref_lookup(b->configured ? b->docs : NULL, base, ref, b->local_root, &res,
                                  &target, &why);
    if (rc == WC_ENOTSUP && !res && !local_prefix)
        return 0; /* an anchor in the schema itself: the compiler finds it */
    if (rc)
        return fail_at(b, rc, &why);
    char *rewritten = NULL;
    const char *hash = strchr(ref, '#');
    const char *frag = hash ? hash + 1 : "";
    if (res) {
        rewritten = bundled_pointer(b, res->doc, res->path, frag);
        if (rewritten && !b->embedded[res->doc]) {
            b->embedded[res->doc] = true;
            b->queue[b->nqueue++] = res->doc;
        }
    } else if (local_prefix) { /* "#/x" in an embedded document: under its key */
        size_t len = 0, cap = 0;
        if (!append_fragment(&rewritten, &len, &cap, local_prefix, false) ||
            !append_fragment(&rewritten, &len, &cap, frag, false)) {
            free(rewritten);
            rewritten = NULL;
        }
    } else {
        return 0; /* local to the schema itself: unchanged */
    }
    if (!rewritten || json_object_set_new(node, "$ref", json_string(rewritten))) {
        free(rewritten);
        return wc_error_set(b->err, WC_ENOMEM, "out of memory");
    }
    free(rewritten);
    return 0;
}

/* Rewrites the references under v.  base: the URI v is in (NULL: none);
 * local_prefix: where "#" of the resource v is in now lives in the bundle
 * (NULL in the schema itself, whose local refs stay). */
static int bundle_walk(void *ctx, json_t *v, bool schema_map, int depth)
{
    bundler *b = ctx;
    if (++b->nodes > WC_SCHEMA_REF_MAX_NODES)
        return wc_error_set(b->err, WC_ETOOBIG,
                            "the schema and the documents it refers to hold more than %u values",
                            WC_SCHEMA_REF_MAX_NODES);
    if (depth > WC_SCHEMA_REF_MAX_DEPTH)
        return wc_error_set(b->err, WC_ETOOBIG, "%s%s at #%s: nested deeper than %d",
                            b->where ? "in " : "", b->where ? b->where : "", b->path.text,
                            WC_SCHEMA_REF_MAX_DEPTH);
    if (!json_is_object(v) || schema_map)
        return each_child(v, schema_map, &b->path, bundle_walk, b, depth, b->err);
    int rc = 0;
    char *own_base = NULL, *own_prefix = NULL;
    const json_t *outer_root = b->local_root;
    const char *outer_base = b->base, *outer_prefix = b->local_prefix;
    const json_t *id = json_object_get(v, "$id");
    if (b->local_prefix && json_is_string(id)) {
        /* a resource inside an embedded document: its refs are relative to
         * it; the $id goes (every ref is a local pointer now) */
        char *plain = strndup(json_string_value(id), strcspn(json_string_value(id), "#"));
        own_base = plain ? resolve_uri(b->base, plain) : NULL;
        free(plain);
        own_prefix = bundled_pointer(b, b->doc, b->path.text, "");
        if (!own_base || !own_prefix) {
            rc = wc_error_set(b->err, WC_ENOMEM, "out of memory");
            goto done;
        }
        b->local_prefix = own_prefix;
        b->local_root = v;
        b->base = own_base;
    }
    if (b->local_prefix) {
        json_object_del(v, "$id");
        json_object_del(v, "$schema");
    }
    json_t *ref = json_object_get(v, "$ref");
    if (json_is_string(ref)) {
        char *text = strdup(json_string_value(ref));
        rc = text ? rewrite_ref(b, v, text) : wc_error_set(b->err, WC_ENOMEM, "out of memory");
        free(text);
    }
    if (!rc)
        rc = each_child(v, false, &b->path, bundle_walk, b, depth, b->err);
done:
    b->local_root = outer_root;
    b->base = outer_base;
    b->local_prefix = outer_prefix;
    free(own_base);
    free(own_prefix);
    return rc;
}

/* Copies document doc under $defs and rewrites its references. */
static int embed_document(bundler *b, size_t doc)
{
    const json_t *source = b->docs->docs[doc];
    const wc_schema_resource *root = wc_schema_docs_find(b->docs, json_string_value(
                                                                      json_object_get(source, "$id")));
    char *key = def_key(b, doc);
    if (!key)
        return wc_error_set(b->err, WC_ENOMEM, "out of memory");
    if (json_object_get(b->defs, key)) {
        wc_error_set(b->err, WC_EINVAL, "at #/$defs/%s: the schema defines this name itself; it "
                     "is where %s would be placed", key, root ? root->id : "an ontology document");
        free(key);
        return WC_EINVAL;
    }
    json_t *copy = json_deep_copy(source);
    char *prefix = bundled_pointer(b, doc, "", "");
    int rc = 0;
    if (!copy || !prefix || json_object_set_new(b->defs, key, copy)) {
        rc = wc_error_set(b->err, WC_ENOMEM, "out of memory");
    } else {
        b->where = root ? root->id : b->docs->sources[doc];
        b->doc = doc;
        b->local_root = copy;
        b->path.len = 0;
        b->path.text[0] = '\0';
        b->base = root ? root->id : NULL;
        b->local_prefix = prefix;
        rc = bundle_walk(b, copy, false, 0);
        b->local_prefix = NULL;
    }
    free(prefix);
    free(key);
    return rc;
}

/* Puts the prepared copy of document doc under $defs (shared, not copied)
 * and queues the documents it refers to. */
static int place_prepared(bundler *b, size_t doc)
{
    char *key = def_key(b, doc);
    if (!key)
        return wc_error_set(b->err, WC_ENOMEM, "out of memory");
    int rc = 0;
    if (json_object_get(b->defs, key))
        rc = wc_error_set(b->err, WC_EINVAL, "at #/$defs/%s: the schema defines this name itself; "
                          "it is where an ontology document would be placed", key);
    else if (json_object_set(b->defs, key, b->docs->prepared[doc]))
        rc = wc_error_set(b->err, WC_ENOMEM, "out of memory");
    free(key);
    for (size_t i = 0; !rc && i < b->docs->ndeps[doc]; i++) {
        size_t dep = b->docs->deps[doc][i];
        if (!b->embedded[dep]) {
            b->embedded[dep] = true;
            b->queue[b->nqueue++] = dep;
        }
    }
    return rc;
}

int wc_schema_docs_prepare(wc_schema_docs *d, wc_error *err)
{
    forget_prepared(d);
    size_t n = d->ndocs;
    d->prepared = calloc(n + 1, sizeof *d->prepared);
    d->deps = calloc(n + 1, sizeof *d->deps);
    d->ndeps = calloc(n + 1, sizeof *d->ndeps);
    if (!d->prepared || !d->deps || !d->ndeps) {
        forget_prepared(d);
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        /* a bundle of document i alone: its copy, rewritten; the queue
         * holds what it refers to */
        const wc_schema_docs *unprepared = d;
        json_t **keep = d->prepared;
        d->prepared = NULL;
        bundler b = {.docs = unprepared, .configured = true, .err = err};
        b.defs = json_object();
        b.embedded = calloc(n + 1, sizeof *b.embedded);
        b.queue = calloc(n + 1, sizeof *b.queue);
        if (!b.defs || !b.embedded || !b.queue) {
            rc = wc_error_set(err, WC_ENOMEM, "out of memory");
        } else {
            b.embedded[i] = true;
            rc = embed_document(&b, i);
        }
        d->prepared = keep;
        char *key = rc ? NULL : def_key(&b, i);
        if (!rc && !key)
            rc = wc_error_set(err, WC_ENOMEM, "out of memory");
        if (!rc) {
            d->prepared[i] = json_incref(json_object_get(b.defs, key));
            d->deps[i] = b.queue;
            d->ndeps[i] = b.nqueue;
            b.queue = NULL;
        }
        free(key);
        free(b.queue);
        free(b.embedded);
        json_decref(b.defs);
    }
    if (rc)
        forget_prepared(d);
    return rc;
}

int wc_schema_bundle(const wc_schema_docs *docs, const json_t *schema, json_t **out,
                     wc_error *err)
{
    *out = NULL;
    if (!wc_schema_has_external_refs(schema)) {
        *out = json_incref((json_t *)schema);
        return 0;
    }
    static const wc_schema_docs none;
    bundler b = {.docs = docs ? docs : &none, .configured = docs != NULL, .err = err};
    b.root = json_deep_copy(schema);
    size_t ndocs = b.docs->ndocs;
    b.embedded = calloc(ndocs + 1, sizeof *b.embedded);
    b.queue = calloc(ndocs + 1, sizeof *b.queue);
    int rc = 0;
    if (!b.root || !b.embedded || !b.queue) {
        rc = wc_error_set(err, WC_ENOMEM, "out of memory");
        goto done;
    }
    b.defs = json_object_get(b.root, "$defs");
    if (!b.defs) {
        if (json_object_set_new(b.root, "$defs", json_object())) {
            rc = wc_error_set(err, WC_ENOMEM, "out of memory");
            goto done;
        }
        b.defs = json_object_get(b.root, "$defs");
    } else if (!json_is_object(b.defs)) {
        rc = wc_error_set(err, WC_EINVAL, "at #/$defs: expected an object");
        goto done;
    }
    const json_t *id = json_object_get(b.root, "$id");
    b.local_root = b.root;
    b.base = json_is_string(id) && has_scheme(json_string_value(id)) ? json_string_value(id) : NULL;
    rc = bundle_walk(&b, b.root, false, 0);
    for (size_t i = 0; !rc && i < b.nqueue; i++)
        rc = b.docs->prepared ? place_prepared(&b, b.queue[i]) : embed_document(&b, b.queue[i]);
done:
    free(b.embedded);
    free(b.queue);
    if (rc)
        json_decref(b.root);
    else
        *out = b.root;
    return rc;
}

wc_schema *wc_schema_compile_in(const wc_schema_docs *docs, const json_t *schema, json_t **bundled,
                                wc_error *err)
{
    json_t *whole;
    if (wc_schema_bundle(docs, schema, &whole, err))
        return NULL;
    wc_schema *s = wc_schema_compile(whole, err);
    if (!s) {
        json_decref(whole);
        return NULL;
    }
    if (bundled)
        *bundled = whole;
    else
        json_decref(whole);
    return s;
}
