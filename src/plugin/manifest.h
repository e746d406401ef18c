/* manifest.h -- what a plugin says about itself (docs/PLUGINS.md).
 *
 * The manifest is JSON, read from the module's custom section
 * "wasmcap.manifest" or from a sidecar NAME.manifest.json next to NAME.wasm.
 * Parsing checks everything a server relies on (names, uniqueness, schemas
 * that compile, templates that parse) and keeps the document itself: the
 * descriptors clients see are built from it.  Unknown fields are tolerated so
 * that newer plugins load on older servers.
 *
 * A wc_manifest owns its JSON and compiled schemas; the const char * fields
 * point into the JSON.  Immutable after parsing: any thread may read it.
 */
#ifndef WC_PLUGIN_MANIFEST_H
#define WC_PLUGIN_MANIFEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/decode.h"
#include "json/schema.h"
#include "json/schema_ref.h"

#define WC_MANIFEST_SECTION "wasmcap.manifest"
#define WC_MANIFEST_MAX_BYTES (4u << 20)

typedef struct wc_manifest_tool {
    const char *name;
    const char *title, *description; /* NULL when absent */
    /* Borrowed from the document (default {"type":"object"}), or, when it
     * refers to ontology types, the self-contained bundle of it
     * (json/schema_ref.h) that the tool's descriptor shows. */
    json_t *input_schema;
    json_t *output_schema;           /* NULL when absent */
    json_t *bundled[2];              /* owned: the bundles, if any (input, output) */
    json_t *annotations;             /* NULL when absent */
    wc_schema *input, *output;       /* compiled; output NULL when absent */
} wc_manifest_tool;

typedef struct wc_manifest {
    json_t *json;                    /* the document, owned */
    char *source;                    /* where it came from, for messages */
    const char *name, *version, *description; /* version, description may be NULL */
    wc_manifest_tool *tools;
    size_t ntools;
    /* Arrays (borrowed from json, never NULL: empty when absent). */
    json_t *resources, *resource_templates, *prompts;
    json_t *permissions;             /* object or NULL */
} wc_manifest;

/* Parses and checks a manifest text.  `source` names it in messages
 * ("calc.manifest.json: tools[1].inputSchema: at #/properties/x: ...").
 * Returns 0, or WC_EINVAL (WC_ENOMEM) with the message in err. */
int wc_manifest_parse(const char *text, size_t len, const char *source, wc_manifest *out,
                      wc_error *err);

/* The manifest of the module at wasm_path: its custom section, else the
 * sidecar.  Returns 0, WC_ENOENT when there is neither (err says what was
 * looked for), or another WC_E* code on an invalid or unreadable manifest. */
int wc_manifest_load(const wc_module_info *info, const char *wasm_path, wc_manifest *out,
                     wc_error *err);

/* Where the sidecar of the module at wasm_path is: NAME.wasm ->
 * NAME.manifest.json (malloc'd; NULL: out of memory). */
char *wc_manifest_sidecar_path(const char *wasm_path);

/* The two above where tool schemas may "$ref" the types of an ontology
 * (docs; NULL: none): such a schema is bundled with the types it uses. */
int wc_manifest_parse_in(const wc_schema_docs *docs, const char *text, size_t len,
                         const char *source, wc_manifest *out, wc_error *err);
int wc_manifest_load_in(const wc_schema_docs *docs, const wc_module_info *info,
                        const char *wasm_path, wc_manifest *out, wc_error *err);

/* Just the text of the module's manifest, found as wc_manifest_load finds
 * it: *text (malloc'd, *len bytes) and *source (malloc'd, for messages).
 * Returns 0, WC_ENOENT when there is none, another WC_E* code on error
 * (err says why). */
int wc_manifest_read(const wc_module_info *info, const char *wasm_path, char **text, size_t *len,
                     char **source, wc_error *err);

void wc_manifest_free(wc_manifest *m);
/* Keeps the tools keep() says yes to, in order, and frees the others. */
void wc_manifest_keep_tools(wc_manifest *m, bool (*keep)(void *ctx, const char *name), void *ctx);

/* The tool named `name`, or -1. */
int wc_manifest_find_tool(const wc_manifest *m, const char *name);

/* True when `name` matches ^[A-Za-z0-9_.-]{1,64}$. */
bool wc_manifest_name_ok(const char *name);

/* RFC 6570 level 1 templates: "{var}" matches one or more characters other
 * than '/'.  wc_uri_template_check returns 0 or WC_EINVAL with a reason. */
int wc_uri_template_check(const char *tmpl, wc_error *err);
/* True when uri matches tmpl; if vars is not NULL, the variables are set in
 * it (an object) as strings. */
bool wc_uri_template_match(const char *tmpl, const char *uri, json_t *vars);

#endif
