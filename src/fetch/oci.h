/* oci.h -- a client of the OCI distribution API (registry HTTP API v2).
 *
 * References read "registry/repository:tag" or "registry/repository@sha256:
 * <hex>" (an "oci://" in front is allowed).  The client authenticates as
 * the registry asks: anonymously, with HTTP Basic, or with a bearer token
 * fetched from the realm of its WWW-Authenticate challenge (service and
 * scope as given), using the credentials of the options, else those of
 * ~/.docker/config.json (auths.<registry>.auth), else none.
 *
 * Pulling a plugin is wc_source_resolve on an OCI source (source.h); this
 * door adds what `wasmcap push` and the tests need: uploading blobs and
 * manifests, and the ORAS layout hyper-mcp publishes plugins in.
 *
 * Every body is bounded (manifests 4 MiB, blobs the options' max_bytes)
 * and every digest is checked.  A client is for one thread.
 */
#ifndef WC_FETCH_OCI_H
#define WC_FETCH_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fetch/source.h"
#include "util/error.h"

/* Media types (OCI image spec, Docker's, ORAS's, hyper-mcp's, cosign's). */
#define WC_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define WC_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define WC_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define WC_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define WC_OCI_EMPTY "application/vnd.oci.empty.v1+json"
#define WC_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define WC_HYPER_MCP_PLUGIN "application/vnd.hyper-mcp.plugin.v2"
#define WC_WASM_LAYER "application/wasm"
#define WC_COSIGN_SIMPLESIGNING "application/vnd.dev.cosign.simplesigning.v1+json"
#define WC_COSIGN_SIGNATURE_ANNOTATION "dev.cosignproject.cosign/signature"

#define WC_OCI_MAX_MANIFEST_BYTES (4u << 20)

typedef struct wc_oci_ref {
    char registry[256];   /* host[:port] as contacted */
    char repository[256]; /* "tools/echo" */
    char tag[129];        /* "" when pinned by digest only */
    char digest[72];      /* "sha256:<hex>" or "" */
} wc_oci_ref;

/* Whether d is "sha256:" and 64 lower-case hex digits. */
bool wc_oci_digest_ok(const char *d);
/* Parses text; 0 or WC_EINVAL with what is wrong. */
int wc_oci_ref_parse(const char *text, wc_oci_ref *ref, wc_error *err);

typedef struct wc_oci_client wc_oci_client;

/* A client of ref's registry.  options gives the credentials, ca_file,
 * plain_http and max_bytes (a wc_source read from the config or made by
 * the caller; its url is not used). */
int wc_oci_client_new(const wc_oci_ref *ref, const wc_source *options,
                      const wc_fetch_options *fetch, wc_oci_client **out, wc_error *err);
void wc_oci_client_free(wc_oci_client *client);

/* GETs the manifest at reference (a tag or "sha256:<hex>") of the client's
 * repository; *body malloc'ed, media_type its Content-Type, digest (72
 * bytes) "sha256:<hex>" of the bytes, checked against a digest reference.
 * WC_ENOTFOUND when the registry has none. */
int wc_oci_get_manifest(wc_oci_client *c, const char *reference, uint8_t **body, size_t *len,
                        char *media_type, size_t media_type_size, char *digest, wc_error *err);
/* GETs the blob digest ("sha256:<hex>") of at most max bytes and checks it. */
int wc_oci_get_blob(wc_oci_client *c, const char *digest, size_t max, uint8_t **body, size_t *len,
                    wc_error *err);
/* Uploads a blob unless the registry has it; digest (72 bytes) gets its name. */
int wc_oci_put_blob(wc_oci_client *c, const void *data, size_t len, char *digest, wc_error *err);
/* PUTs a manifest under reference (a tag or its digest); digest (72 bytes)
 * gets its name. */
int wc_oci_put_manifest(wc_oci_client *c, const char *reference, const char *media_type,
                        const void *data, size_t len, char *digest, wc_error *err);

/* Pushes a module in hyper-mcp's ORAS layout: an OCI image manifest with
 * artifactType application/vnd.hyper-mcp.plugin.v2, the empty config and
 * one application/wasm layer titled "plugin.wasm", under the ref's tag.
 * digest (72 bytes) gets the manifest's digest, what a signature signs. */
int wc_oci_push_module(wc_oci_client *c, const char *tag, const void *wasm, size_t len,
                       char *digest, wc_error *err);

#endif
