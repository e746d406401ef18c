/* subset.h -- is every value one schema allows also allowed by another?
 *
 * The structural check behind the ontology rules: an output schema must
 * allow no value the ontology's type does not (tool ⊆ ontology), an input
 * schema must refuse no value it allows (ontology ⊆ tool).  Decided over
 * the keywords json/schema.h supports; where the answer depends on
 * something not decided here (the inclusion of two regular expressions, a
 * union split across branches) the verdict is UNKNOWN with the reason, never
 * a silent yes.  Private to the ontology layer.
 */
#ifndef WC_ONTOLOGY_SUBSET_H
#define WC_ONTOLOGY_SUBSET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "json/schema_ref.h"

enum { WC_SUBSET_NO = 0, WC_SUBSET_YES = 1, WC_SUBSET_UNKNOWN = -1 };

/* Work of one check: subschema pairs compared (each $ref followed counts). */
#define WC_SUBSET_MAX_STEPS 200000u
#define WC_SUBSET_MAX_DEPTH 64

/* A schema where it is: its base URI (NULL: none) and the root its local
 * "#..." references are resolved against. */
typedef struct wc_schema_view {
    const json_t *schema;
    const char *base;
    const json_t *root;
} wc_schema_view;

typedef struct wc_subset_result {
    int verdict;
    bool disjoint;     /* NO because no type is shared at all */
    char where[256];   /* JSON pointer under the smaller schema's start ("" itself) */
    char reason[384];  /* why NO or UNKNOWN */
} wc_subset_result;

/* Whether every value small allows, big allows too.  "where" is the path
 * under both (properties, items); the reason names the sides as small_name
 * and big_name (NULL: "this schema", "the ontology"). */
int wc_subset(const wc_schema_docs *docs, wc_schema_view small, wc_schema_view big,
              const char *small_name, const char *big_name, wc_subset_result *r);

#endif
