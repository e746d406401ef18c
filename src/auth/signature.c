/* signature.c -- JWS signature verification (RFC 7515, algorithms of
 * RFC 7518).
 *
 * libjwt 1.10.2 verifies what it can.  It cannot verify two kinds of
 * tokens authorization servers issue: those with "typ": "at+jwt" (the JWT
 * access token profile of RFC 9068; libjwt 1.10 refuses any typ but "JWT")
 * and RSASSA-PSS ones (PS256/384/512, added to libjwt later).  Those are
 * verified here with OpenSSL's EVP interface, on the same key.
 *
 * The caller has already chosen the algorithm from the header, refused
 * "none" and checked that the key fits the algorithm; libjwt is never left
 * to pick the algorithm from the token (given an RSA public key as an HMAC
 * secret, it would verify an HS256 forgery).
 */
#include <errno.h>
#include <jwt.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/internal.h"

static const wc_jws_alg algorithms[] = {
    {"HS256", WC_JWS_HMAC, "SHA256", NULL, 0, JWT_ALG_HS256},
    {"RS256", WC_JWS_RSA_PKCS1, "SHA256", NULL, 0, JWT_ALG_RS256},
    {"RS384", WC_JWS_RSA_PKCS1, "SHA384", NULL, 0, JWT_ALG_RS384},
    {"RS512", WC_JWS_RSA_PKCS1, "SHA512", NULL, 0, JWT_ALG_RS512},
    {"PS256", WC_JWS_RSA_PSS, "SHA256", NULL, 0, -1},
    {"PS384", WC_JWS_RSA_PSS, "SHA384", NULL, 0, -1},
    {"PS512", WC_JWS_RSA_PSS, "SHA512", NULL, 0, -1},
    {"ES256", WC_JWS_ECDSA, "SHA256", "prime256v1", 32, JWT_ALG_ES256},
    {"ES384", WC_JWS_ECDSA, "SHA384", "secp384r1", 48, JWT_ALG_ES384},
    {"ES512", WC_JWS_ECDSA, "SHA512", "secp521r1", 66, JWT_ALG_ES512},
};

const wc_jws_alg *wc_jws_alg_find(const char *name)
{
    for (size_t i = 0; i < sizeof algorithms / sizeof algorithms[0]; i++)
        if (strcmp(algorithms[i].name, name) == 0)
            return &algorithms[i];
    return NULL;
}

static int fail(char *detail, size_t detail_size, const char *what, const wc_jws_alg *alg)
{
    snprintf(detail, detail_size, "%s signature %s", alg->name, what);
    return -1;
}

static int verify_with_libjwt(const char *token, const wc_jws_alg *alg, const wc_jwk *key,
                              const uint8_t *secret, size_t secret_len, char *detail, size_t detail_size)
{
    const unsigned char *key_bytes = alg->family == WC_JWS_HMAC ? secret : (const unsigned char *)key->pem;
    size_t key_len = alg->family == WC_JWS_HMAC ? secret_len : key->pem_len;
    jwt_t *jwt = NULL;
    int rc = jwt_decode(&jwt, token, key_bytes, (int)key_len);
    /* libjwt read the algorithm from the same header; make sure it is ours. */
    bool ok = rc == 0 && jwt && (int)jwt_get_alg(jwt) == alg->libjwt_alg;
    jwt_free(jwt);
    if (!ok)
        return fail(detail, detail_size, rc == ENOMEM ? "not checked: out of memory" : "does not verify",
                    alg);
    return 0;
}

/* ECDSA signatures in a JWS are r || s, each coord_len bytes (RFC 7518
 * section 3.4); OpenSSL wants DER.  Returns the DER length, 0 on error. */
static size_t ecdsa_raw_to_der(const uint8_t *raw, size_t coord_len, uint8_t **der)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, (int)coord_len, NULL);
    BIGNUM *s = BN_bin2bn(raw + coord_len, (int)coord_len, NULL);
    size_t len = 0;
    *der = NULL;
    if (sig && r && s && ECDSA_SIG_set0(sig, r, s)) {
        r = s = NULL; /* owned by sig now */
        int n = i2d_ECDSA_SIG(sig, der);
        if (n > 0)
            len = (size_t)n;
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return len;
}

static int verify_with_evp(const char *token, size_t signing_input_len, const uint8_t *sig,
                           size_t sig_len, const wc_jws_alg *alg, const wc_jwk *key,
                           const uint8_t *secret, size_t secret_len, char *detail, size_t detail_size)
{
    const unsigned char *input = (const unsigned char *)token;
    if (alg->family == WC_JWS_HMAC) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        size_t mac_len = 0;
        if (!EVP_Q_mac(NULL, "HMAC", NULL, alg->digest, NULL, secret, secret_len, input,
                       signing_input_len, mac, sizeof mac, &mac_len))
            return fail(detail, detail_size, "not checked: HMAC failed", alg);
        bool ok = sig_len == mac_len && CRYPTO_memcmp(sig, mac, mac_len) == 0;
        OPENSSL_cleanse(mac, sizeof mac);
        return ok ? 0 : fail(detail, detail_size, "does not verify", alg);
    }

    uint8_t *der = NULL;
    if (alg->family == WC_JWS_ECDSA) {
        if (sig_len != 2 * alg->coord_len)
            return fail(detail, detail_size, "has the wrong length", alg);
        sig_len = ecdsa_raw_to_der(sig, alg->coord_len, &der);
        if (!sig_len)
            return fail(detail, detail_size, "not checked: out of memory", alg);
        sig = der;
    }
    int verdict = -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    if (ctx && EVP_DigestVerifyInit_ex(ctx, &pctx, alg->digest, NULL, NULL, key->pkey, NULL) == 1) {
        bool ready = true;
        if (alg->family == WC_JWS_RSA_PSS)
            /* RFC 7518 section 3.5: MGF1 with the same hash, salt as long as the hash. */
            ready = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
                    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
        if (ready)
            verdict = EVP_DigestVerify(ctx, sig, sig_len, input, signing_input_len) == 1 ? 0 : -1;
    }
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    return verdict == 0 ? 0 : fail(detail, detail_size, "does not verify", alg);
}

int wc_jws_verify(const char *token, size_t signing_input_len, const wc_jws_alg *alg,
                  const wc_jwk *key, const uint8_t *secret, size_t secret_len, bool use_libjwt,
                  char *detail, size_t detail_size)
{
    if (use_libjwt && alg->libjwt_alg >= 0)
        return verify_with_libjwt(token, alg, key, secret, secret_len, detail, detail_size);
    const char *sig_b64 = token + signing_input_len + 1;
    size_t sig_len = 0;
    uint8_t *sig = wc_b64url_decode(sig_b64, strlen(sig_b64), &sig_len);
    if (!sig)
        return fail(detail, detail_size, "is not base64url", alg);
    int rc = verify_with_evp(token, signing_input_len, sig, sig_len, alg, key, secret, secret_len,
                             detail, detail_size);
    free(sig);
    return rc;
}
