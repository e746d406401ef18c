/* pointer.h -- following a JSON pointer written as a URI fragment
 * ("/$defs/a%20b/0"), for the resolvers of "$ref" (schema.c, schema_ref.c).
 * Private to the json layer. */
#ifndef WC_JSON_POINTER_H
#define WC_JSON_POINTER_H

#include <jansson.h>

#include "util/error.h"

/* The value at pointer ("" or "/token/..."; each token percent-decoded,
 * then ~1 and ~0) under root: 0 with *out set, WC_ENOTFOUND when there is
 * none (or a token is malformed), WC_ENOMEM. */
int wc_json_pointer_follow(const json_t *root, const char *pointer, const json_t **out);

#endif
