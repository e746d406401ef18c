/* cosign.h -- checking a cosign key-based signature (sigstore/cosign's
 * SIGNATURE_SPEC.md).
 *
 * `cosign sign --key` stores, under the tag "sha256-<hex>.sig" of the
 * signed manifest's repository, an image manifest whose layers are
 * simple-signing payloads (application/vnd.dev.cosign.simplesigning.v1+
 * json), each with its signature, base64, in the layer annotation
 * "dev.cosignproject.cosign/signature".  The payload names the manifest
 * digest it vouches for in critical.image.docker-manifest-digest.  An
 * ECDSA P-256 signature is ASN.1 DER over the SHA-256 of the payload; an
 * Ed25519 one is over the payload itself.
 */
#ifndef WC_FETCH_COSIGN_H
#define WC_FETCH_COSIGN_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* 0 when signature_b64 over payload verifies with one of the PEM public
 * key files and the payload is a cosign container image signature of
 * digest ("sha256:<hex>").  Else WC_ESIGNATURE saying which it is: signed
 * by none of the keys, or signed for another digest; a key file that
 * cannot be read or is of another kind is WC_EINVAL. */
int wc_cosign_verify(const uint8_t *payload, size_t len, const char *signature_b64,
                     char *const *keys, size_t nkeys, const char *digest, wc_error *err);

#endif
