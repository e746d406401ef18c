/* cosign.c -- cosign key-based signature checks over OpenSSL (cosign.h). */
#include "fetch/cosign.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch/base64.h"

#define COSIGN_TYPE "cosign container image signature"
#define MAX_SIGNATURE_B64 8192

static int load_key(const char *path, EVP_PKEY **key, wc_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return wc_error_set(err, WC_EINVAL, "cannot read the public key %s: %s", path,
                            wc_strerror(-errno));
    *key = PEM_read_PUBKEY(f, NULL, NULL, NULL);
    fclose(f);
    if (!*key)
        return wc_error_set(err, WC_EINVAL, "%s is not a PEM public key", path);
    int id = EVP_PKEY_get_base_id(*key);
    if (id == EVP_PKEY_ED25519)
        return 0;
    char group[64] = "";
    size_t glen = 0;
    if (id == EVP_PKEY_EC && EVP_PKEY_get_utf8_string_param(*key, "group", group, sizeof group, &glen) &&
        strcmp(group, "prime256v1") == 0)
        return 0;
    EVP_PKEY_free(*key);
    *key = NULL;
    return wc_error_set(err, WC_EINVAL, "%s is neither an ECDSA P-256 nor an Ed25519 public key", path);
}

static bool verifies(EVP_PKEY *key, const uint8_t *payload, size_t len, const uint8_t *sig,
                     size_t sig_len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return false;
    bool ed = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519;
    bool ok = EVP_DigestVerifyInit(ctx, NULL, ed ? NULL : EVP_sha256(), NULL, key) == 1 &&
              EVP_DigestVerify(ctx, sig, sig_len, payload, len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

int wc_cosign_verify(const uint8_t *payload, size_t len, const char *signature_b64,
                     char *const *keys, size_t nkeys, const char *digest, wc_error *err)
{
    size_t b64_len = strlen(signature_b64);
    size_t sig_len = 0;
    uint8_t *sig = b64_len <= MAX_SIGNATURE_B64 ? wc_base64_decode(signature_b64, b64_len, &sig_len) : NULL;
    if (!sig)
        return wc_error_set(err, WC_ESIGNATURE, "the signature annotation is not base64");
    bool good = false;
    int rc = 0;
    for (size_t i = 0; i < nkeys && !good && rc == 0; i++) {
        EVP_PKEY *key = NULL;
        rc = load_key(keys[i], &key, err);
        if (rc == 0)
            good = verifies(key, payload, len, sig, sig_len);
        EVP_PKEY_free(key);
    }
    free(sig);
    if (rc != 0)
        return rc;
    if (!good)
        return wc_error_set(err, WC_ESIGNATURE, "signed by none of the configured keys");
    json_t *doc = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *critical = json_object_get(doc, "critical");
    const char *type = json_string_value(json_object_get(critical, "type"));
    const char *signed_digest = json_string_value(
        json_object_get(json_object_get(critical, "image"), "docker-manifest-digest"));
    if (!type || strcmp(type, COSIGN_TYPE) != 0 || !signed_digest)
        rc = wc_error_set(err, WC_ESIGNATURE, "the signed payload is not a cosign container image signature");
    else if (strcmp(signed_digest, digest) != 0)
        rc = wc_error_set(err, WC_ESIGNATURE, "the signature was made for %.80s, not %s", signed_digest,
                          digest);
    json_decref(doc);
    return rc;
}
