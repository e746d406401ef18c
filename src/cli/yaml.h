/* yaml.h -- a YAML config file read as the JSON value it means.
 *
 * For configs (hyper-mcp's config.yaml, or a wasmcap config written in
 * YAML): mappings become objects, sequences arrays, and plain scalars are
 * typed as YAML 1.2's core schema types them (true/false, null or ~,
 * decimal integers and floats; anything else, and every quoted or block
 * scalar, is a string).  Refused, each with its line: aliases (so a
 * "billion laughs" document expands nothing), complex and duplicate keys,
 * tags other than !!str, !!int, !!float, !!bool and !!null, a second
 * document, nesting deeper than WC_YAML_MAX_DEPTH and more than
 * WC_YAML_MAX_NODES values.
 */
#ifndef WC_CLI_YAML_H
#define WC_CLI_YAML_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#define WC_YAML_MAX_DEPTH 64
#define WC_YAML_MAX_NODES 100000

/* The document in text[0, len) as a new JSON value (an empty document: an
 * empty object), or NULL with WC_EINVAL (or WC_ENOMEM) in err: "SOURCE:
 * line L, column C: what" (source NULL: without "SOURCE: "). */
json_t *wc_yaml_load(const char *text, size_t len, const char *source, wc_error *err);

/* Whether a file name says YAML (.yaml or .yml). */
bool wc_yaml_file_name(const char *path);

#endif
