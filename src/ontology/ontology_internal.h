/* ontology_internal.h -- what an ontology holds, for the files of the
 * ontology layer. */
#ifndef WC_ONTOLOGY_INTERNAL_H
#define WC_ONTOLOGY_INTERNAL_H

#include "ontology/ontology.h"

/* A property name of an object type, and the schema the type gives it. */
typedef struct wc_ontology_term {
    const char *name;     /* borrowed from the document */
    const json_t *schema; /* borrowed */
    size_t resource;      /* the type: wc_schema_docs_at(docs, resource) */
} wc_ontology_term;

struct wc_ontology {
    char *dir;
    wc_schema_docs *docs;
    wc_ontology_term *terms; /* sorted by name */
    size_t nterms, terms_capacity;
};

#endif
