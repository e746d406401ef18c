/* schema.h -- JSON Schema (the 2020-12 subset tools use) over jansson.
 *
 * A schema is compiled once (checked, regexes compiled, $refs resolved) and
 * then validates any number of instances.  A compiled schema is immutable:
 * many threads may validate with it at once.
 *
 * Supported: type, properties, patternProperties, additionalProperties,
 * required, min/maxProperties, prefixItems, items, min/maxItems,
 * uniqueItems, enum, const, minimum, maximum, exclusiveMinimum,
 * exclusiveMaximum, min/maxLength (in code points), pattern (PCRE2, UTF,
 * unanchored), allOf, anyOf, oneOf, not, $ref to "#..." JSON pointers
 * (recursion allowed) and $defs, boolean schemas.  Annotations and unknown
 * keywords are ignored, as the specification says.
 */
#ifndef WC_JSON_SCHEMA_H
#define WC_JSON_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "json/scan.h"

typedef struct wc_schema wc_schema;

/* Deepest instance nesting validated; deeper values fail validation. */
#define WC_SCHEMA_MAX_INSTANCE_DEPTH 256

/* Compiles `schema` (an object or a boolean).  The result does not refer to
 * `schema`, which the caller may free.  On error returns NULL and writes a
 * message naming the schema location ("at #/properties/x/pattern: ...")
 * into err. */
wc_schema *wc_schema_compile(const json_t *schema, char *err, size_t err_size);

/* True when `instance` is valid.  Otherwise writes the first failure, with
 * the JSON pointer of the failing value ("at /items/2/price: expected
 * number, got string"), into err (which may be NULL). */
bool wc_schema_validate(const wc_schema *s, const json_t *instance, char *err, size_t err_size);

/* The same verdict and message as wc_schema_validate on the value of the
 * JSON text data[0..len), read from the text: 1 valid, 0 invalid (err
 * written).  Only for what it can decide cheaply -- a flat object (scalar
 * members, keys without escapes, none twice, at most 32) and a schema whose
 * top level only describes an object's members -- and -1 for anything else
 * (then parse the text and call wc_schema_validate).  The text must be
 * valid JSON: it is not checked here as a whole. */
int wc_schema_validate_object_text(const wc_schema *s, const char *data, size_t len, char *err,
                                   size_t err_size);

/* The same on a flat object already split into its members (as
 * wc_json_flat_members splits one: keys without escapes, none twice, each
 * value one valid scalar token), for a caller that has them at hand. */
int wc_schema_validate_members(const wc_schema *s, const wc_json_member *members, int count,
                               char *err, size_t err_size);

void wc_schema_free(wc_schema *s);

#endif
