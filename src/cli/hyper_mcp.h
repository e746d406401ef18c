/* hyper_mcp.h -- hyper-mcp's config file, read as the wasmcap.json it means.
 *
 * hyper-mcp's config (JSON) names plugins by a `url` and grants them a
 * `runtime_config`; wasmcap reads such a file as its own equivalent
 * (`wasmcap serve --config hyper-mcp.json`), and `wasmcap convert` prints
 * that equivalent.  What wasmcap cannot do yet is refused with the key
 * named, never ignored: OCI, https and s3 sources, `auths`, `oci`,
 * `allowed_paths`, the `skip_*` filters, the any-host pattern "*".
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
 * allowed_paths: filesystem grants are not supported yet"); source names
 * the file in messages. */
json_t *wc_hyper_mcp_convert(const json_t *doc, const char *source, wc_error *err);

#endif
