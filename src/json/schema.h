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
 *
 * Work is bounded: a schema whose $refs can recurse without descending into
 * the value is refused when compiled, and each validation has a budget of
 * steps (and PCRE2 match limits, and optionally a deadline) after which it
 * stops with WC_SCHEMA_OVER_BUDGET or WC_SCHEMA_PAST_DEADLINE.
 */
#ifndef WC_JSON_SCHEMA_H
#define WC_JSON_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json/scan.h"
#include "util/error.h"

typedef struct wc_schema wc_schema;

/* Verdicts of the wc_schema_check* functions: 1 and 0, or a WC_E* code,
 * which is also the code of the caller's wc_error when one is passed (an
 * invalid value: WC_EINVAL). */
enum {
    WC_SCHEMA_VALID = 1,
    WC_SCHEMA_INVALID = 0,
    WC_SCHEMA_UNDECIDED = WC_ENOTSUP,       /* text functions: parse and check the value */
    WC_SCHEMA_OVER_BUDGET = WC_EQUOTA,      /* stopped: more steps or regex work than allowed */
    WC_SCHEMA_PAST_DEADLINE = WC_ETIMEDOUT, /* stopped: the budget's deadline passed */
};

/* Whether a verdict says the check stopped before it decided. */
static inline bool wc_schema_stopped(int verdict)
{
    return verdict == WC_SCHEMA_OVER_BUDGET || verdict == WC_SCHEMA_PAST_DEADLINE;
}

/* Subschemas evaluated (plus 100 per regex match, and the pairs uniqueItems
 * compares) in one validation by default. */
#define WC_SCHEMA_DEFAULT_STEPS 1000000u
/* Where waiting is not allowed (an event loop's attempt): far less, so a
 * check that needs more is handed to a thread that may wait. */
#define WC_SCHEMA_SMALL_STEPS 10000u
/* PCRE2 limits of one match (a pattern or a patternProperties name). */
#define WC_SCHEMA_MATCH_LIMIT 100000u
#define WC_SCHEMA_SMALL_MATCH_LIMIT 10000u
#define WC_SCHEMA_DEPTH_LIMIT 10000u

typedef struct wc_schema_budget {
    uint64_t max_steps;   /* 0: WC_SCHEMA_DEFAULT_STEPS */
    uint64_t deadline_ns; /* wc_monotonic_ns() time to stop at; 0: none */
    /* With no deadline: at most this long, counted from the first time the
     * clock is read (after 1024 steps: small checks never read it); 0: no
     * limit but the steps. */
    uint32_t max_ms;
    bool small; /* WC_SCHEMA_SMALL_MATCH_LIMIT per regex match */
} wc_schema_budget;

/* Deepest instance nesting validated; deeper values fail validation. */
#define WC_SCHEMA_MAX_INSTANCE_DEPTH 256

/* Compiles `schema` (an object or a boolean).  The result does not refer to
 * `schema`, which the caller may free.  On error returns NULL and writes a
 * message naming the schema location ("at #/properties/x/pattern: ...")
 * into err (code WC_EINVAL, or WC_ENOMEM). */
wc_schema *wc_schema_compile(const json_t *schema, wc_error *err);

/* True when `instance` is valid.  Otherwise writes the first failure, with
 * the JSON pointer of the failing value ("at /items/2/price: expected
 * number, got string"), into err (which may be NULL).  The default budget;
 * running out of it is a failure with its message. */
bool wc_schema_validate(const wc_schema *s, const json_t *instance, wc_error *err);

/* The same under a budget (NULL: the default): WC_SCHEMA_VALID,
 * WC_SCHEMA_INVALID, or why it stopped (err says so). */
int wc_schema_check(const wc_schema *s, const json_t *instance, const wc_schema_budget *budget,
                    wc_error *err);

/* The same verdict and message as wc_schema_validate on the value of the
 * JSON text data[0..len), read from the text: 1 valid, 0 invalid (err
 * written).  Only for what it can decide cheaply -- a flat object (scalar
 * members, keys without escapes, none twice, at most 32) and a schema whose
 * top level only describes an object's members -- and WC_SCHEMA_UNDECIDED for anything else
 * (then parse the text and call wc_schema_validate).  The text must be
 * valid JSON: it is not checked here as a whole. */
int wc_schema_validate_object_text(const wc_schema *s, const char *data, size_t len, wc_error *err);

/* The same on a flat object already split into its members (as
 * wc_json_flat_members splits one: keys without escapes, none twice, each
 * value one valid scalar token), for a caller that has them at hand. */
int wc_schema_validate_members(const wc_schema *s, const wc_json_member *members, int count,
                               wc_error *err);

/* The two above under a budget (NULL: the default): WC_SCHEMA_VALID,
 * WC_SCHEMA_INVALID, WC_SCHEMA_UNDECIDED, or why it stopped. */
int wc_schema_check_object_text(const wc_schema *s, const char *data, size_t len,
                                const wc_schema_budget *budget, wc_error *err);
int wc_schema_check_members(const wc_schema *s, const wc_json_member *members, int count,
                            const wc_schema_budget *budget, wc_error *err);

void wc_schema_free(wc_schema *s);

#endif
