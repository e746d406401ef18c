/* hyper_mcp.h -- hyper-mcp's config file, read as the wasmcap.json it means.
 *
 * hyper-mcp's config (JSON or YAML: cli/yaml.h) names plugins by a `url`
 * and grants them a `runtime_config`; wasmcap reads such a file as its own
 * equivalent (`wasmcap serve --config hyper-mcp.yaml`), and `wasmcap
 * convert` prints that equivalent.  What wasmcap cannot do is refused with
 * the key named, never ignored: s3 and http sources, https without a
 * digest, OCI without a key to check its signature, keyless signatures,
 * `auths`, `dynamic_loading`, `allowed_secrets` (docs/CONFIG.md).
 */
#ifndef WC_CLI_HYPER_MCP_H
#define WC_CLI_HYPER_MCP_H

#include <jansson.h>
#include <stdbool.h>

#include "util/error.h"

/* Whether doc is a hyper-mcp config: a "plugins" object whose entries
 * have a "url" (wasmcap's have a "path"). */
bool wc_hyper_mcp_is_config(const json_t *doc);

/* The wasmcap.json document doc means (new), or NULL with WC_EINVAL in
 * err naming the key and what to do ("plugins.fetch.runtime_config.
 * allowed_secrets: keyring secrets are not supported ..."); source names
 * the file in messages. */
json_t *wc_hyper_mcp_convert(const json_t *doc, const char *source, wc_error *err);

#endif
