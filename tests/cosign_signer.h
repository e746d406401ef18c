/* cosign_signer.h -- cosign key-based signatures made with OpenSSL in
 * cosign's layout (SIGNATURE_SPEC.md), for the tests and benchmarks of
 * fetch/: the simple-signing payload, its signature in the layer
 * annotation, the manifest under the tag sha256-<hex>.sig. */
#ifndef WC_TESTS_COSIGN_SIGNER_H
#define WC_TESTS_COSIGN_SIGNER_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch/base64.h"
#include "fetch/oci.h"

/* cosign's simple-signing payload for digest, signed by key (base64 out). */
static inline char *cosign_sign(EVP_PKEY *key, const char *docker_ref, const char *digest, char **payload_out)
{
    json_t *p = json_pack("{s:{s:{s:s}, s:{s:s}, s:s}, s:n}", "critical", "identity", "docker-reference",
                          docker_ref, "image", "docker-manifest-digest", digest, "type",
                          "cosign container image signature", "optional");
    char *payload = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    bool ed = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t sig_len = 0;
    EVP_DigestSignInit(ctx, NULL, ed ? NULL : EVP_sha256(), NULL, key);
    EVP_DigestSign(ctx, NULL, &sig_len, (const uint8_t *)payload, strlen(payload));
    uint8_t *sig = malloc(sig_len);
    EVP_DigestSign(ctx, sig, &sig_len, (const uint8_t *)payload, strlen(payload));
    EVP_MD_CTX_free(ctx);
    char *b64 = wc_base64_encode(sig, sig_len);
    free(sig);
    *payload_out = payload;
    return b64;
}

/* Uploads a cosign signature of digest under tag_of's signature tag. */
static inline int put_signature(wc_oci_client *c, EVP_PKEY *key, const char *docker_ref, const char *signed_digest,
                         const char *tag_of)
{
    char *payload;
    char *b64 = cosign_sign(key, docker_ref, signed_digest, &payload);
    char layer[72], config[72], sig_digest[72];
    wc_error e = {0};
    int rc = wc_oci_put_blob(c, payload, strlen(payload), layer, &e);
    if (rc == 0)
        rc = wc_oci_put_blob(c, "{}", 2, config, &e);
    json_t *m = json_pack("{s:i, s:s, s:{s:s, s:s, s:i}, s:[{s:s, s:s, s:I, s:{s:s}}]}", "schemaVersion", 2,
                          "mediaType", WC_OCI_MANIFEST, "config", "mediaType", WC_OCI_CONFIG, "digest",
                          config, "size", 2, "layers", "mediaType", WC_COSIGN_SIMPLESIGNING, "digest", layer,
                          "size", (json_int_t)strlen(payload), "annotations",
                          WC_COSIGN_SIGNATURE_ANNOTATION, b64);
    char *text = json_dumps(m, JSON_COMPACT);
    char tag[100];
    snprintf(tag, sizeof tag, "sha256-%s.sig", tag_of + 7);
    if (rc == 0)
        rc = wc_oci_put_manifest(c, tag, WC_OCI_MANIFEST, text, strlen(text), sig_digest, &e);
    if (rc != 0)
        printf("put_signature: %s\n", e.msg);
    free(text);
    json_decref(m);
    free(payload);
    free(b64);
    return rc;
}

#endif
