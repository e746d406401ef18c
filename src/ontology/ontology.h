/* ontology.h -- the shared domain types, and the rules plugins' tool
 * schemas must keep with them (docs/PLUGINS.md, "The shared ontology").
 *
 * An ontology is a folder of JSON Schema 2020-12 documents, each with an
 * absolute "$id" (written by hand or emitted by TypeSpec).  Its types are
 * its resources (json/schema_ref.h); its terms are the property names of
 * its object types ("stockout_probability"), each with the schema the type
 * gives it.
 *
 * wc_ontology_check applies the rules to a set of plugin manifests and
 * lists what it finds, each finding naming the plugin, the tool, the JSON
 * pointer into the manifest and the rule:
 *   unknown-ref        a "$ref" names no ontology type
 *   type-conflict      two plugins (or tools) define a type of one name or
 *                      "$id" differently; or a plugin redefines an ontology
 *                      type differently
 *   term-incompatible  a property named like a term shares no type with it
 *   output-widens      an output schema allows values the ontology does not
 *   input-narrows      an input schema refuses values the ontology allows
 *   undecidable        (a warning) the check could not decide one of the
 *                      above; never passed silently
 *
 * An ontology is immutable once loaded: any thread may check with it.
 */
#ifndef WC_ONTOLOGY_ONTOLOGY_H
#define WC_ONTOLOGY_ONTOLOGY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "json/schema_ref.h"
#include "util/error.h"

#define WC_ONTOLOGY_MAX_FILE_BYTES (4u << 20)
#define WC_ONTOLOGY_MAX_FILES 4096u
#define WC_ONTOLOGY_MAX_DEPTH 8 /* folders below the ontology folder */
/* Findings kept; past it they are counted, not kept. */
#define WC_FINDINGS_MAX 10000u

typedef struct wc_ontology wc_ontology;

/* Loads every *.json under dir (subfolders too, in name order): each must
 * be a schema document with an absolute "$id" that compiles with the
 * others.  Errors name the file. */
int wc_ontology_load(const char *dir, wc_ontology **out, wc_error *err);
void wc_ontology_free(wc_ontology *ontology);

/* Its documents, for resolving "$ref"s (borrowed: retain to keep). */
wc_schema_docs *wc_ontology_docs(const wc_ontology *ontology);
const char *wc_ontology_dir(const wc_ontology *ontology);

/* ---- findings ----------------------------------------------------------- */

typedef enum wc_finding_level { WC_FINDING_ERROR, WC_FINDING_WARNING } wc_finding_level;

typedef struct wc_finding {
    wc_finding_level level;
    char *plugin;
    char *tool;        /* NULL for the plugin as a whole */
    char *pointer;     /* JSON pointer into the plugin's manifest */
    const char *rule;  /* one of the names above */
    char *message;
} wc_finding;

typedef struct wc_findings {
    wc_finding *items;
    size_t count, capacity;
    size_t errors, warnings; /* all, kept or not */
} wc_findings;

void wc_findings_free(wc_findings *findings);
/* Adds a finding (copied); false when out of memory. */
bool wc_findings_add(wc_findings *findings, wc_finding_level level, const char *plugin,
                     const char *tool, const char *pointer, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* One line: "error: PLUGIN: TOOL: POINTER: RULE: MESSAGE". */
void wc_finding_format(const wc_finding *f, char *buf, size_t size);
/* The finding as a JSON object {level, plugin, tool, pointer, rule, message}. */
json_t *wc_finding_json(const wc_finding *f);

/* ---- the check ------------------------------------------------------------ */

typedef struct wc_checked_manifest {
    const char *plugin;     /* the name in the config */
    const json_t *manifest; /* the manifest document, as the plugin wrote it */
} wc_checked_manifest;

/* Applies every rule to the manifests (ontology NULL: only those between
 * plugins), adding to *out.  0, or a negative WC_E* code when out of
 * memory. */
int wc_ontology_check(const wc_ontology *ontology, const wc_checked_manifest *manifests,
                      size_t count, wc_findings *out);

#endif
