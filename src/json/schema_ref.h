/* schema_ref.h -- JSON Schema documents known by their $id, and schemas
 * that refer to them.
 *
 * A wc_schema_docs is a set of schema documents (an ontology: shared
 * domain types), each with an absolute "$id"; a subschema with an "$id" of
 * its own is a resource too (a TypeSpec bundle keeps its types under $defs
 * that way).  A schema refers to a resource by its URI
 * ("https://wasmcap.dev/ontology/logistics/RiskScore.json"), by a URI
 * relative to the $id it is in ("RiskScore.json"), or by the short form
 * "ontology:RiskScore" (the last segment of the $id without ".json"),
 * optionally followed by a "#/json/pointer" fragment.
 *
 * wc_schema_bundle turns such a schema into a self-contained one: each
 * document referred to (and each that those refer to, cycles included) is
 * copied once under "$defs" (key "ontology:NAME", its "$id" dropped) and
 * every reference becomes a local "#/$defs/..." pointer -- what
 * wc_schema_compile (json/schema.h) and any client's validator understand.
 * A reference that names nothing is an error with its location; a cycle of
 * references that never descends into the value is refused by
 * wc_schema_compile, as within one document.
 *
 * Work is bounded: at most WC_SCHEMA_DOCS_MAX resources in a set, nesting
 * of WC_SCHEMA_REF_MAX_DEPTH, and WC_SCHEMA_REF_MAX_NODES values copied or
 * walked by one bundling.
 *
 * A set is filled by one thread, then immutable: any thread may read it.
 * It is counted: whoever keeps it (each plugin's config) holds a reference.
 */
#ifndef WC_JSON_SCHEMA_REF_H
#define WC_JSON_SCHEMA_REF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "json/schema.h"
#include "util/error.h"

#define WC_SCHEMA_DOCS_MAX 4096u
#define WC_SCHEMA_REF_MAX_DEPTH 256
#define WC_SCHEMA_REF_MAX_NODES 200000u
#define WC_SCHEMA_SHORT_PREFIX "ontology:"

typedef struct wc_schema_docs wc_schema_docs;

/* One resource of a set: a document or a subschema with an $id. */
typedef struct wc_schema_resource {
    const char *id;       /* absolute URI, no fragment */
    const char *name;     /* the short name: "RiskScore" */
    const json_t *schema; /* borrowed from the document */
    const char *source;   /* the file it came from, for messages */
    size_t doc;           /* index of its document */
    const char *path;     /* JSON pointer of the resource in its document; "" for the root */
} wc_schema_resource;

/* A new empty set, one reference held. */
wc_schema_docs *wc_schema_docs_new(void);
wc_schema_docs *wc_schema_docs_retain(wc_schema_docs *docs); /* NULL stays NULL */
void wc_schema_docs_release(wc_schema_docs *docs);

/* Adds the document doc (a reference is taken).  Refused (WC_EINVAL, the
 * message naming source): no absolute "$id" at the root, an "$id" or short
 * name already in the set; WC_ETOOBIG past WC_SCHEMA_DOCS_MAX resources or
 * the nesting limit. */
int wc_schema_docs_add(wc_schema_docs *docs, json_t *doc, const char *source, wc_error *err);

/* Once every document is added: resolves each one's references once, so
 * that bundling shares the result instead of copying and walking the
 * documents each time (adding a document undoes it).  A reference inside a
 * document that names nothing is reported here, with its place ("in URI
 * at #/properties/y/$ref: ..."). */
int wc_schema_docs_prepare(wc_schema_docs *docs, wc_error *err);

size_t wc_schema_docs_count(const wc_schema_docs *docs);
const wc_schema_resource *wc_schema_docs_at(const wc_schema_docs *docs, size_t i);
/* The resource whose $id is uri (no fragment) or whose short name follows
 * "ontology:"; NULL when none. */
const wc_schema_resource *wc_schema_docs_find(const wc_schema_docs *docs, const char *uri);
/* The document of a resource (the root of what wc_schema_docs_add took). */
const json_t *wc_schema_docs_document(const wc_schema_docs *docs, size_t doc);

/* What the reference ref, written in a schema whose base URI is base
 * (NULL: none), points to: its resource (NULL for a local "#..." ref) and
 * the target value.  WC_ENOTFOUND with a message when it names nothing,
 * WC_ENOTSUP for an anchor ("#name") in another document. */
int wc_schema_ref_lookup(const wc_schema_docs *docs, const char *base, const char *ref,
                         const json_t *local_root, const wc_schema_resource **resource,
                         const json_t **target, wc_error *err);

/* True when schema refers (anywhere) to something outside itself. */
bool wc_schema_has_external_refs(const json_t *schema);

/* A self-contained copy of schema (see above) in *out, a new reference;
 * when it refers to nothing outside itself, *out is schema itself (one
 * more reference).  docs may be NULL (then any outside reference fails).
 * Errors name where the reference is: "at #/properties/x/$ref: ..." or
 * "in https://.../X.json at #/properties/y/$ref: ...". */
int wc_schema_bundle(const wc_schema_docs *docs, const json_t *schema, json_t **out,
                     wc_error *err);

/* wc_schema_bundle, then wc_schema_compile.  *bundled (when not NULL)
 * receives the bundled schema (a new reference) on success. */
wc_schema *wc_schema_compile_in(const wc_schema_docs *docs, const json_t *schema,
                                json_t **bundled, wc_error *err);

#endif
