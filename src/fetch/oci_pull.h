/* oci_pull.h -- an OCI source resolved to a verified module in the cache.
 *
 * The reference's manifest (an image index or Docker manifest list picks
 * the wasi/wasm platform, else linux/amd64), its cosign signature when the
 * source requires one, then the module: the layer of an ORAS artifact
 * (hyper-mcp's plugin.v2 or any wasm layer type), or plugin.wasm out of a
 * tar or tar+gzip image layer.  Manifests, signatures and blobs are kept
 * in the cache by digest; a digest reference found there is resolved
 * without the network, its signature checked again from the cached copy.
 */
#ifndef WC_FETCH_OCI_PULL_H
#define WC_FETCH_OCI_PULL_H

#include "fetch/source.h"

int wc_oci_resolve(const wc_source *source, const wc_fetch_options *options, char **path,
                   wc_error *err);

#endif
