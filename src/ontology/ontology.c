/* ontology.c -- loading an ontology folder (ontology.h). */
#include "ontology/ontology.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ontology/ontology_internal.h"
#include "util/fs.h"
#include "util/grow.h"

typedef struct path_list {
    char **items;
    size_t count, capacity;
} path_list;

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_json(const char *dir, int depth, path_list *out, wc_error *err)
{
    if (depth > WC_ONTOLOGY_MAX_DEPTH)
        return wc_error_set(err, WC_ETOOBIG, "%s: folders nested deeper than %d", dir,
                            WC_ONTOLOGY_MAX_DEPTH);
    DIR *d = opendir(dir);
    if (!d)
        return wc_error_set(err, -errno, "ontology folder %s: %s", dir, wc_strerror(-errno));
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        if (e->d_name[0] == '.') /* ., .. and hidden files */
            continue;
        size_t n = strlen(e->d_name);
        char *path = malloc(strlen(dir) + n + 2);
        if (!path) {
            rc = wc_error_set(err, WC_ENOMEM, "out of memory");
            break;
        }
        sprintf(path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0) {
            free(path);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            rc = list_json(path, depth + 1, out, err);
            free(path);
        } else if (S_ISREG(st.st_mode) && n > 5 && strcmp(e->d_name + n - 5, ".json") == 0) {
            if (out->count >= WC_ONTOLOGY_MAX_FILES) {
                free(path);
                rc = wc_error_set(err, WC_ETOOBIG, "%s: more than %u schema files", dir,
                                  WC_ONTOLOGY_MAX_FILES);
            } else if (!wc_grow((void **)&out->items, &out->capacity, out->count + 1,
                                sizeof *out->items)) {
                free(path);
                rc = wc_error_set(err, WC_ENOMEM, "out of memory");
            } else {
                out->items[out->count++] = path;
            }
        } else {
            free(path);
        }
    }
    closedir(d);
    return rc;
}

static int compare_terms(const void *a, const void *b)
{
    const wc_ontology_term *x = a, *y = b;
    int by_name = strcmp(x->name, y->name);
    return by_name ? by_name : (x->resource > y->resource) - (x->resource < y->resource);
}

/* The property names of every object type, sorted. */
static int collect_terms(wc_ontology *o, wc_error *err)
{
    size_t n = wc_schema_docs_count(o->docs);
    for (size_t i = 0; i < n; i++) {
        const wc_schema_resource *r = wc_schema_docs_at(o->docs, i);
        const json_t *props = json_object_get(r->schema, "properties");
        const char *key;
        json_t *schema;
        json_object_foreach((json_t *)props, key, schema) {
            if (!wc_grow((void **)&o->terms, &o->terms_capacity, o->nterms + 1, sizeof *o->terms))
                return wc_error_set(err, WC_ENOMEM, "out of memory");
            o->terms[o->nterms++] = (wc_ontology_term){key, schema, i};
        }
    }
    if (o->nterms)
        qsort(o->terms, o->nterms, sizeof *o->terms, compare_terms);
    return 0;
}

int wc_ontology_load(const char *dir, wc_ontology **out, wc_error *err)
{
    *out = NULL;
    wc_ontology *o = calloc(1, sizeof *o);
    if (!o || !(o->dir = strdup(dir)) || !(o->docs = wc_schema_docs_new())) {
        wc_ontology_free(o);
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    path_list files = {0};
    int rc = list_json(dir, 0, &files, err);
    if (!rc && files.count)
        qsort(files.items, files.count, sizeof *files.items, compare_paths);
    for (size_t i = 0; !rc && i < files.count; i++) {
        uint8_t *data = NULL;
        size_t size = 0;
        rc = wc_read_regular_file(files.items[i], WC_ONTOLOGY_MAX_FILE_BYTES, &data, &size);
        if (rc) {
            rc = wc_error_set(err, rc, "%s: %s", files.items[i], wc_strerror(rc));
            break;
        }
        json_error_t jerr;
        json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
        free(data);
        if (!doc) {
            rc = wc_error_set(err, WC_EINVAL, "%s:%d:%d: %s", files.items[i], jerr.line,
                              jerr.column, jerr.text);
            break;
        }
        rc = wc_schema_docs_add(o->docs, doc, files.items[i], err);
        json_decref(doc);
    }
    if (!rc)
        rc = wc_schema_docs_prepare(o->docs, err);
    /* every document must compile with the others: a $ref naming nothing
     * or a cycle that never descends is found here, with its place */
    for (size_t i = 0; !rc && i < wc_schema_docs_count(o->docs); i++) {
        const wc_schema_resource *r = wc_schema_docs_at(o->docs, i);
        if (r->path[0] != '\0')
            continue;
        wc_error why = {0};
        wc_schema *compiled = wc_schema_compile_in(o->docs, r->schema, NULL, &why);
        if (!compiled)
            rc = wc_error_set(err, why.code ? why.code : WC_EINVAL, "%s: %s", r->source, why.msg);
        wc_schema_free(compiled);
    }
    if (!rc)
        rc = collect_terms(o, err);
    for (size_t i = 0; i < files.count; i++)
        free(files.items[i]);
    free(files.items);
    if (rc) {
        wc_ontology_free(o);
        return rc;
    }
    *out = o;
    return 0;
}

void wc_ontology_free(wc_ontology *o)
{
    if (!o)
        return;
    wc_schema_docs_release(o->docs);
    free(o->terms);
    free(o->dir);
    free(o);
}

wc_schema_docs *wc_ontology_docs(const wc_ontology *o) { return o ? o->docs : NULL; }
const char *wc_ontology_dir(const wc_ontology *o) { return o ? o->dir : NULL; }
