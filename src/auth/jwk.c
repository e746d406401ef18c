/* jwk.c -- JSON Web Keys (RFC 7517, RFC 7518 section 6) to OpenSSL keys
 * and the PEM text libjwt 1.10 takes (it has no JWK support of its own).
 *
 * Keys are built from their public parameters with EVP_PKEY_fromdata (the
 * OpenSSL 3 interface) and then checked with EVP_PKEY_public_check: an EC
 * point must lie on its curve, an RSA modulus must be odd, ...  RSA keys
 * below 2048 bits are refused (RFC 7518 section 3.3), and so are moduli and
 * exponents so large that verifying with them would cost more than a token
 * is worth to an attacker.
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/internal.h"
#include "util/log.h"

#define MIN_RSA_BITS 2048
#define MAX_RSA_BITS 16384
#define MAX_RSA_EXPONENT_BYTES 8
#define MAX_KEYS 256

typedef struct curve_info {
    const char *jwk_name;  /* "crv" */
    const char *group;     /* OpenSSL group name */
    size_t coord_len;
} curve_info;

static const curve_info curves[] = {
    {"P-256", "prime256v1", 32},
    {"P-384", "secp384r1", 48},
    {"P-521", "secp521r1", 66},
};

/* A base64url member of jwk decoded; WC_EINVAL with a message when absent or bad. */
static int get_b64(const json_t *jwk, const char *name, uint8_t **out, size_t *len, wc_error *err)
{
    const json_t *v = json_object_get(jwk, name);
    if (!json_is_string(v))
        return wc_error_set(err, WC_EINVAL, "\"%s\" (a base64url string) is required", name);
    *out = wc_b64url_decode(json_string_value(v), json_string_length(v), len);
    if (!*out || *len == 0) {
        free(*out);
        *out = NULL;
        return wc_error_set(err, WC_EINVAL, "\"%s\" is not unpadded base64url", name);
    }
    return 0;
}

/* Builds a public key of type `type` from params and checks it. */
static EVP_PKEY *key_from_params(const char *type, OSSL_PARAM_BLD *bld, wc_error *err)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        wc_error_set(err, WC_EINVAL, "OpenSSL refuses the %s public key parameters", type);
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    if (!pkey)
        return NULL;
    EVP_PKEY_CTX *check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    bool ok = check && EVP_PKEY_public_check(check) == 1;
    EVP_PKEY_CTX_free(check);
    if (!ok) {
        wc_error_set(err, WC_EINVAL, "the %s public key fails OpenSSL's public key check", type);
        EVP_PKEY_free(pkey);
        return NULL;
    }
    return pkey;
}

static EVP_PKEY *rsa_key(const json_t *jwk, wc_error *err)
{
    uint8_t *n_bytes = NULL, *e_bytes = NULL;
    size_t n_len = 0, e_len = 0;
    EVP_PKEY *pkey = NULL;
    BIGNUM *n = NULL, *e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    if (get_b64(jwk, "n", &n_bytes, &n_len, err) ||
        get_b64(jwk, "e", &e_bytes, &e_len, err))
        goto done;
    n = BN_bin2bn(n_bytes, (int)n_len, NULL);
    e = BN_bin2bn(e_bytes, (int)e_len, NULL);
    if (!n || !e) {
        wc_error_set(err, WC_ENOMEM, "out of memory");
        goto done;
    }
    int bits = BN_num_bits(n);
    if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
        wc_error_set(err, WC_EINVAL,
                     "an RSA modulus of %d bits (%d to %d are accepted)", bits, MIN_RSA_BITS,
                     MAX_RSA_BITS);
        goto done;
    }
    if (BN_num_bytes(e) > MAX_RSA_EXPONENT_BYTES) {
        wc_error_set(err, WC_EINVAL,
                     "an RSA exponent longer than %d bytes", MAX_RSA_EXPONENT_BYTES);
        goto done;
    }
    bld = OSSL_PARAM_BLD_new();
    if (!bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e)) {
        wc_error_set(err, WC_ENOMEM, "out of memory");
        goto done;
    }
    pkey = key_from_params("RSA", bld, err);
done:
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    free(n_bytes);
    free(e_bytes);
    return pkey;
}

static EVP_PKEY *ec_key(const json_t *jwk, const curve_info *curve, wc_error *err)
{
    uint8_t *x = NULL, *y = NULL;
    size_t x_len = 0, y_len = 0;
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    if (get_b64(jwk, "x", &x, &x_len, err) || get_b64(jwk, "y", &y, &y_len, err))
        goto done;
    /* RFC 7518 section 6.2.1.2: full-length coordinates, leading zeros kept. */
    if (x_len != curve->coord_len || y_len != curve->coord_len) {
        wc_error_set(err, WC_EINVAL, "%s coordinates must be %zu bytes each (x has %zu, y has %zu)",
                     curve->jwk_name, curve->coord_len, x_len, y_len);
        goto done;
    }
    uint8_t point[1 + 2 * 66];
    point[0] = 0x04; /* uncompressed */
    memcpy(point + 1, x, x_len);
    memcpy(point + 1 + x_len, y, y_len);
    bld = OSSL_PARAM_BLD_new();
    if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve->group, 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + x_len + y_len)) {
        wc_error_set(err, WC_ENOMEM, "out of memory");
        goto done;
    }
    pkey = key_from_params("EC", bld, err);
done:
    OSSL_PARAM_BLD_free(bld);
    free(x);
    free(y);
    return pkey;
}

static char *pem_of(EVP_PKEY *pkey, size_t *len)
{
    BIO *mem = BIO_new(BIO_s_mem());
    char *pem = NULL;
    if (mem && PEM_write_bio_PUBKEY(mem, pkey) == 1) {
        char *data = NULL;
        long n = BIO_get_mem_data(mem, &data);
        if (n > 0 && (pem = malloc((size_t)n + 1))) {
            memcpy(pem, data, (size_t)n);
            pem[n] = 0;
            *len = (size_t)n;
        }
    }
    BIO_free(mem);
    return pem;
}

/* An optional string member: 0 (absent: *out NULL), or a WC_E* code. */
static int optional_string(const json_t *jwk, const char *name, char **out, wc_error *err)
{
    *out = NULL;
    const json_t *v = json_object_get(jwk, name);
    if (!v)
        return 0;
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
        return wc_error_set(err, WC_EINVAL, "\"%s\" must be a string", name);
    if (!(*out = strdup(json_string_value(v))))
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    return 0;
}

/* Whether the key is meant for verifying signatures ("use", "key_ops"). */
static bool for_signatures(const json_t *jwk)
{
    const json_t *use = json_object_get(jwk, "use");
    if (use && !(json_is_string(use) && strcmp(json_string_value(use), "sig") == 0))
        return false;
    const json_t *ops = json_object_get(jwk, "key_ops");
    if (!ops)
        return true;
    size_t i;
    const json_t *op;
    json_array_foreach(ops, i, op)
        if (json_is_string(op) && strcmp(json_string_value(op), "verify") == 0)
            return true;
    return false;
}

int wc_jwk_parse(const json_t *jwk, wc_jwk *out, wc_error *err)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(jwk))
        return wc_error_set(err, WC_EINVAL, "expected a JSON object");
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    if (!kty)
        return wc_error_set(err, WC_EINVAL, "\"kty\" (a string) is required");
    bool rsa = strcmp(kty, "RSA") == 0, ec = strcmp(kty, "EC") == 0;
    if ((!rsa && !ec) || !for_signatures(jwk))
        return 1; /* "oct", "OKP", encryption keys: not ours to use */
    int rc = optional_string(jwk, "kid", &out->kid, err);
    if (rc || (rc = optional_string(jwk, "alg", &out->alg, err)))
        goto fail;
    const wc_jws_alg *alg = out->alg ? wc_jws_alg_find(out->alg) : NULL;
    if (out->alg && (!alg || alg->family == WC_JWS_HMAC)) {
        wc_jwk_clear(out);
        return 1; /* e.g. "RSA-OAEP" or "EdDSA" */
    }
    out->is_rsa = rsa;
    if (rsa) {
        out->pkey = rsa_key(jwk, err);
    } else {
        const char *crv = json_string_value(json_object_get(jwk, "crv"));
        const curve_info *curve = NULL;
        for (size_t i = 0; crv && i < sizeof curves / sizeof curves[0]; i++)
            if (strcmp(crv, curves[i].jwk_name) == 0)
                curve = &curves[i];
        if (!curve) {
            rc = wc_error_set(err, WC_EINVAL, "\"crv\" must be \"P-256\", \"P-384\" or \"P-521\"");
            goto fail;
        }
        out->curve = curve->group;
        out->pkey = ec_key(jwk, curve, err);
    }
    if (!out->pkey) {
        rc = err ? err->code : WC_EINVAL;
        goto fail;
    }
    if (alg && !wc_jwk_fits(out, alg, err)) {
        rc = WC_EINVAL;
        goto fail;
    }
    if (!(out->pem = pem_of(out->pkey, &out->pem_len))) {
        rc = wc_error_set(err, WC_ENOMEM, "cannot write the key as PEM");
        goto fail;
    }
    return 0;
fail:
    wc_jwk_clear(out);
    return rc;
}

void wc_jwk_clear(wc_jwk *key)
{
    free(key->kid);
    free(key->alg);
    free(key->pem);
    EVP_PKEY_free(key->pkey);
    memset(key, 0, sizeof *key);
}

bool wc_jwk_fits(const wc_jwk *key, const wc_jws_alg *alg, wc_error *why)
{
    const char *kid = key->kid ? key->kid : "(no kid)";
    if (key->alg && strcmp(key->alg, alg->name) != 0) {
        wc_error_set(why, WC_EINVAL, "key %.60s is for %.20s, not %s", kid, key->alg, alg->name);
        return false;
    }
    bool fits = false;
    switch (alg->family) {
    case WC_JWS_HMAC:
        fits = false;
        break;
    case WC_JWS_RSA_PKCS1:
    case WC_JWS_RSA_PSS:
        fits = key->is_rsa;
        break;
    case WC_JWS_ECDSA:
        fits = !key->is_rsa && strcmp(key->curve, alg->curve) == 0;
        break;
    }
    if (!fits && key->is_rsa)
        wc_error_set(why, WC_EINVAL,
                     "key %.60s is an RSA key, which cannot verify %s", kid, alg->name);
    else if (!fits)
        wc_error_set(why, WC_EINVAL,
                     "key %.60s is an EC key on %s, which cannot verify %s", kid, key->curve,
                     alg->name);
    return fits;
}

void wc_jwk_set_ref(wc_jwk_set *set)
{
    atomic_fetch_add_explicit(&set->refs, 1, memory_order_relaxed);
}

void wc_jwk_set_unref(wc_jwk_set *set)
{
    if (!set || atomic_fetch_sub_explicit(&set->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (size_t i = 0; i < set->n; i++)
        wc_jwk_clear(&set->keys[i]);
    free(set->keys);
    free(set);
}

int wc_jwk_set_parse(const char *text, size_t len, const char *origin, wc_jwk_set **out, wc_error *err)
{
    *out = NULL;
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc)
        return wc_error_set(err, WC_EINVAL,
                            "%s: not a JWK Set: invalid JSON at line %d, column %d: %s", origin,
                            jerr.line, jerr.column, jerr.text);
    const json_t *keys = json_object_get(doc, "keys");
    if (!json_is_array(keys)) {
        json_decref(doc);
        return wc_error_set(err, WC_EINVAL,
                            "%s: not a JWK Set: expected an object with a \"keys\" array", origin);
    }
    size_t count = json_array_size(keys);
    if (count > MAX_KEYS) {
        json_decref(doc);
        return wc_error_set(err, WC_ETOOBIG, "%s: %zu keys, more than the %d accepted", origin,
                            count, MAX_KEYS);
    }
    wc_jwk_set *set = calloc(1, sizeof *set);
    if (!set || !(set->keys = calloc(count ? count : 1, sizeof *set->keys))) {
        free(set);
        json_decref(doc);
        return wc_error_set(err, WC_ENOMEM, "%s: out of memory", origin);
    }
    atomic_init(&set->refs, 1);
    for (size_t i = 0; i < count; i++) {
        wc_error why;
        int rc = wc_jwk_parse(json_array_get(keys, i), &set->keys[set->n], &why);
        if (rc == 0)
            set->n++;
        else if (rc < 0)
            /* One broken key must not take every other key down with it. */
            wc_log(WC_LOG_WARNING, "auth", "%s: keys[%zu] skipped: %s", origin, i, why.msg);
    }
    json_decref(doc);
    if (set->n == 0) {
        wc_jwk_set_unref(set);
        return wc_error_set(err, WC_EINVAL,
                            "%s: no usable signature key (RSA of 2048 bits or more, or EC on P-256, "
                            "P-384 or P-521)", origin);
    }
    *out = set;
    return 0;
}
