/* test_auth.c -- src/auth: static bearer tokens, JWT access tokens signed
 * here with fresh RSA and EC keys (libjwt, and OpenSSL for the RFC 9068
 * "at+jwt" type and PS256, which libjwt 1.10 cannot sign), JWKS from a file
 * and from a small HTTP server on 127.0.0.1 (refresh on an unknown kid,
 * rate limit, failures, limits, threads), scopes per tool, the exact
 * WWW-Authenticate values, the resource metadata, and the "auth" config
 * section with its error messages.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jwt.h>
#include <netinet/in.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth/auth.h"
#include "auth/internal.h"
#include "util/fs.h"
#include "util/log.h"

#include "check.h"
#include "request_head.h"

#define ISSUER "https://auth.example.com"
#define RESOURCE "https://mcp.example.com/mcp"
#define METADATA_URL "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
#define SECRET "0123456789abcdef0123456789abcdef-hs256"

static char tmpdir[256];
static long now_s;

/* ---- keys and tokens --------------------------------------------------- */

/* A malloc'ed printf. */
static char *format(const char *fmt, ...) __attribute__((__format__(printf, 1, 2)));
static char *format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *out = malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(out, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return out;
}


typedef struct test_key {
    EVP_PKEY *pkey;
    char *private_pem;
    const char *kid;
    const char *crv; /* NULL for RSA */
    size_t coord_len;
} test_key;

static test_key rsa_a, rsa_b, ec256, ec384, ec256_b;

static char *b64url(const uint8_t *data, size_t len)
{
    char *out = malloc((len + 2) / 3 * 4 + 1);
    int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    int o = 0;
    for (int i = 0; i < n; i++) {
        if (out[i] == '=')
            break;
        out[o++] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
    }
    out[o] = 0;
    return out;
}

static void make_key(test_key *k, const char *kid, const char *crv)
{
    k->kid = kid;
    k->crv = crv;
    if (crv) {
        k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", strcmp(crv, "P-256") == 0 ? "P-256" : "P-384");
        k->coord_len = strcmp(crv, "P-256") == 0 ? 32 : 48;
    } else {
        k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    }
    BIO *mem = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(mem, k->pkey, NULL, NULL, 0, NULL, NULL);
    char *data;
    long n = BIO_get_mem_data(mem, &data);
    k->private_pem = strndup(data, (size_t)n);
    BIO_free(mem);
}

static void free_key(test_key *k)
{
    EVP_PKEY_free(k->pkey);
    free(k->private_pem);
}

static json_t *b64_bn(EVP_PKEY *pkey, const char *param, size_t pad)
{
    BIGNUM *bn = NULL;
    EVP_PKEY_get_bn_param(pkey, param, &bn);
    size_t len = pad ? pad : (size_t)BN_num_bytes(bn);
    uint8_t *buf = malloc(len);
    BN_bn2binpad(bn, buf, (int)len);
    char *s = b64url(buf, len);
    json_t *v = json_string(s);
    free(s);
    free(buf);
    BN_free(bn);
    return v;
}

/* The public JWK of k; extra (JSON object text or NULL) is merged in. */
static json_t *jwk_of(const test_key *k, const char *extra)
{
    json_t *jwk = json_object();
    if (k->crv) {
        json_object_set_new(jwk, "kty", json_string("EC"));
        json_object_set_new(jwk, "crv", json_string(k->crv));
        json_object_set_new(jwk, "x", b64_bn(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, k->coord_len));
        json_object_set_new(jwk, "y", b64_bn(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, k->coord_len));
    } else {
        json_object_set_new(jwk, "kty", json_string("RSA"));
        json_object_set_new(jwk, "n", b64_bn(k->pkey, OSSL_PKEY_PARAM_RSA_N, 0));
        json_object_set_new(jwk, "e", b64_bn(k->pkey, OSSL_PKEY_PARAM_RSA_E, 0));
    }
    if (k->kid)
        json_object_set_new(jwk, "kid", json_string(k->kid));
    if (extra) {
        json_t *more = json_loads(extra, 0, NULL);
        json_object_update(jwk, more);
        json_decref(more);
    }
    return jwk;
}

/* {"keys": [...]} of the given keys, as text. */
static char *jwks_text(const test_key *const *keys, size_t n)
{
    json_t *set = json_object(), *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, jwk_of(keys[i], NULL));
    json_object_set_new(set, "keys", arr);
    char *text = json_dumps(set, JSON_COMPACT);
    json_decref(set);
    return text;
}

static void write_text(const char *path, const char *text)
{
    CHECK(wc_write_file(path, text, strlen(text)) == 0, "write %s", path);
}

/* Standard claims with exp = now + exp_in (no exp when exp_in is 0), plus
 * extra members ("" or ",\"scope\":\"a\""). */
static char *claims(long exp_in, const char *extra)
{
    char *text;
    if (exp_in)
        text = format("{\"iss\":\"%s\",\"aud\":\"%s\",\"sub\":\"alice\",\"iat\":%ld,\"exp\":%ld%s}", ISSUER,
                 RESOURCE, now_s, now_s + exp_in, extra);
    else
        text = format("{\"iss\":\"%s\",\"aud\":\"%s\",\"sub\":\"alice\",\"iat\":%ld%s}", ISSUER, RESOURCE,
                 now_s, extra);
    return text;
}

/* Signs with libjwt (typ "JWT"). */
static char *sign_jwt(jwt_alg_t alg, const test_key *k, const char *kid, const char *claims_json)
{
    jwt_t *jwt = NULL;
    jwt_new(&jwt);
    const char *key = k ? k->private_pem : SECRET;
    int rc = jwt_set_alg(jwt, alg, (const unsigned char *)key, (int)strlen(key));
    if (kid)
        rc |= jwt_add_header(jwt, "kid", kid);
    rc |= jwt_add_grants_json(jwt, claims_json);
    char *token = rc ? NULL : jwt_encode_str(jwt);
    CHECK(token != NULL, "libjwt could not sign %s", jwt_alg_str(alg));
    jwt_free(jwt);
    return token ? token : strdup("x");
}

/* Signs with OpenSSL: any header (typ "at+jwt", alg PS256, "none"). */
static char *sign_raw(const char *header_json, const char *claims_json, const char *alg, const test_key *k,
                      const char *secret)
{
    char *h = b64url((const uint8_t *)header_json, strlen(header_json));
    char *c = b64url((const uint8_t *)claims_json, strlen(claims_json));
    char *input;
    input = format("%s.%s", h, c);
    free(h);
    free(c);
    uint8_t sig[1024];
    size_t sig_len = 0;
    const char *md = strstr(alg, "384") ? "SHA384" : strstr(alg, "512") ? "SHA512" : "SHA256";
    if (strcmp(alg, "none") == 0) {
        sig_len = 0;
    } else if (alg[0] == 'H') {
        EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, secret, strlen(secret), (const unsigned char *)input,
                  strlen(input), sig, sizeof sig, &sig_len);
    } else {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pctx = NULL;
        EVP_DigestSignInit_ex(ctx, &pctx, md, NULL, NULL, k->pkey, NULL);
        if (alg[0] == 'P') {
            EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
        }
        uint8_t der[1024];
        size_t der_len = sizeof der;
        CHECK(EVP_DigestSign(ctx, der, &der_len, (const unsigned char *)input, strlen(input)) == 1,
              "EVP sign %s", alg);
        EVP_MD_CTX_free(ctx);
        if (alg[0] == 'E') {
            const unsigned char *p = der;
            ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
            BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, (int)k->coord_len);
            BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + k->coord_len, (int)k->coord_len);
            sig_len = 2 * k->coord_len;
            ECDSA_SIG_free(es);
        } else {
            memcpy(sig, der, der_len);
            sig_len = der_len;
        }
    }
    char *s = b64url(sig, sig_len);
    char *token;
    token = format("%s.%s", input, s);
    free(s);
    free(input);
    return token;
}

/* ---- checking results -------------------------------------------------- */

static wc_auth_reason check_header(wc_auth *auth, const char *header, int status, wc_auth_reason reason,
                                   const char *what, int line)
{
    wc_auth_result r;
    wc_auth_authenticate(auth, header, &r);
    if (r.http_status != status || r.reason != reason) {
        failures++;
        printf("FAIL %s:%d: %s: got %d %s (%s), want %d %s\n", __FILE__, line, what, r.http_status,
               wc_auth_reason_name(r.reason), r.detail, status, wc_auth_reason_name(reason));
    }
    checks++;
    wc_auth_reason got = r.reason;
    wc_auth_result_free(&r);
    return got;
}

static void check_token(wc_auth *auth, const char *token, int status, wc_auth_reason reason, const char *what,
                        int line)
{
    char *header;
    header = format("Bearer %s", token);
    check_header(auth, header, status, reason, what, line);
    free(header);
}

#define EXPECT_HEADER(auth, header, status, reason, what) \
    check_header(auth, header, status, reason, what, __LINE__)
#define EXPECT(auth, token, status, reason, what) check_token(auth, token, status, reason, what, __LINE__)
#define EXPECT_OK(auth, token, what) check_token(auth, token, 200, WC_AUTH_OK, what, __LINE__)
#define EXPECT_401(auth, token, reason, what) check_token(auth, token, 401, reason, what, __LINE__)

/* Authenticates and hands the result back (the caller frees it). */
static void authenticate_token(wc_auth *auth, const char *token, wc_auth_result *r)
{
    char *header;
    header = format("Bearer %s", token);
    wc_auth_authenticate(auth, header, r);
    free(header);
}

static wc_auth *new_auth(wc_auth_options *o)
{
    wc_auth *auth = NULL;
    wc_error err = {0};
    CHECK(wc_auth_new(o, &auth, &err) == 0, "wc_auth_new: %s", err.msg);
    return auth;
}

/* ---- base64url --------------------------------------------------------- */

static void test_base64url(void)
{
    struct { const char *in; const char *out; } good[] = {
        {"", ""}, {"Zg", "f"}, {"Zm8", "fo"}, {"Zm9v", "foo"}, {"Zm9vYg", "foob"}, {"-_8", "\xfb\xff"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        size_t n = 99;
        uint8_t *out = wc_b64url_decode(good[i].in, strlen(good[i].in), &n);
        CHECK(out && n == strlen(good[i].out) && memcmp(out, good[i].out, n) == 0, "decode '%s'", good[i].in);
        free(out);
    }
    /* Padding, '+' and '/', lengths 4n+1, other characters, and unused
     * trailing bits that are not zero ('h', '9' and '-' end "Zh", "Zm9",
     * "Zm-" with bits set). */
    const char *bad[] = {"Zg==", "Zm9v+", "Zm9/", "Z", "Zm9vY", "Zh", "Zm9", "Zm-", "Zm.v", "Zm v"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n;
        uint8_t *out = wc_b64url_decode(bad[i], strlen(bad[i]), &n);
        CHECK(!out, "accepted '%s'", bad[i]);
        free(out);
    }
}

/* ---- static bearer tokens ---------------------------------------------- */

#define TOKEN_A "tok-A-0123456789abcdefghij"
#define TOKEN_B "tok-B-zyxwvutsrqponmlkjih=="

static void test_bearer(void)
{
    wc_auth_options o;
    wc_auth_options_init(&o);
    o.resource = RESOURCE;
    wc_auth_static_token tokens[] = {{TOKEN_A, NULL, NULL}, {TOKEN_B, "ci-bot", "mcp:read mcp:read"}};
    o.bearer_tokens = tokens;
    o.n_bearer_tokens = 2;
    wc_auth *auth = new_auth(&o);
    if (!auth)
        return;

    CHECK(wc_bearer_match(auth, TOKEN_A, strlen(TOKEN_A)) == 0, "token A");
    CHECK(wc_bearer_match(auth, TOKEN_B, strlen(TOKEN_B)) == 1, "token B");
    CHECK(wc_bearer_match(auth, "", 0) == -1, "empty");
    CHECK(wc_bearer_match(auth, TOKEN_A, strlen(TOKEN_A) - 1) == -1, "prefix");
    CHECK(wc_bearer_match(auth, TOKEN_A "x", strlen(TOKEN_A) + 1) == -1, "longer");
    CHECK(wc_bearer_match(auth, "tok-A-0123456789abcdefghiJ", strlen(TOKEN_A)) == -1, "last byte differs");

    wc_auth_result r;
    wc_auth_authenticate(auth, "Bearer " TOKEN_A, &r);
    CHECK(r.http_status == 200 && r.reason == WC_AUTH_OK && !r.www_authenticate, "A accepted: %s", r.detail);
    CHECK(r.principal.kind == WC_AUTH_KIND_STATIC && r.principal.all_scopes && r.principal.expires_at == 0 &&
              strcmp(r.principal.subject, "bearer_tokens[0]") == 0, "A principal: %s", r.principal.subject);
    CHECK(wc_auth_may_call_tool(auth, &r.principal, "anything", NULL), "a token without scopes may call all");
    /* A principal moved out of its result outlives it. */
    wc_auth_principal kept = r.principal;
    memset(&r.principal, 0, sizeof r.principal);
    wc_auth_result_free(&r);
    CHECK(strcmp(kept.subject, "bearer_tokens[0]") == 0, "moved principal");
    wc_auth_principal_free(&kept);
    CHECK(kept.subject == NULL && kept.n_scopes == 0, "principal zeroed");
    wc_auth_authenticate(auth, "  bearer\t" TOKEN_B "  ", &r);
    CHECK(r.http_status == 200 && strcmp(r.principal.subject, "ci-bot") == 0 && !r.principal.all_scopes &&
              r.principal.n_scopes == 1 && strcmp(r.principal.scopes[0], "mcp:read") == 0,
          "B: scheme is case-insensitive, whitespace around, scopes once: %d %s", r.http_status, r.detail);
    wc_auth_result_free(&r);

    wc_auth_authenticate(auth, NULL, &r);
    CHECK(r.http_status == 401 && r.reason == WC_AUTH_MISSING_TOKEN, "no header");
    CHECK(r.www_authenticate && strcmp(r.www_authenticate, "Bearer resource_metadata=\"" METADATA_URL "\"") == 0,
          "no header: %s", r.www_authenticate);
    wc_auth_result_free(&r);
    wc_auth_authenticate(auth, "Bearer " TOKEN_A "x", &r);
    CHECK(r.http_status == 401 && r.reason == WC_AUTH_UNKNOWN_TOKEN, "wrong token");
    CHECK(r.www_authenticate &&
              strcmp(r.www_authenticate, "Bearer error=\"invalid_token\", error_description=\"The access token "
                                         "is not recognized\", resource_metadata=\"" METADATA_URL "\"") == 0,
          "wrong token: %s", r.www_authenticate);
    CHECK(strstr(r.detail, "(JWT validation is not configured)") != NULL, "detail: %s", r.detail);
    wc_auth_result_free(&r);
    wc_auth_authenticate(auth, "Bearer", &r);
    CHECK(r.http_status == 400 && r.reason == WC_AUTH_MALFORMED_HEADER, "Bearer alone");
    CHECK(r.www_authenticate &&
              strcmp(r.www_authenticate,
                     "Bearer error=\"invalid_request\", error_description=\"The Authorization header must be "
                     "Bearer followed by one token\", resource_metadata=\"" METADATA_URL "\"") == 0,
          "Bearer alone: %s", r.www_authenticate);
    wc_auth_result_free(&r);

    EXPECT_HEADER(auth, "", 401, WC_AUTH_MISSING_TOKEN, "empty header");
    EXPECT_HEADER(auth, "Basic dXNlcjpwYXNz", 401, WC_AUTH_MISSING_TOKEN, "another scheme");
    EXPECT_HEADER(auth, "Bearer ", 400, WC_AUTH_MALFORMED_HEADER, "Bearer and a space");
    EXPECT_HEADER(auth, "Bearer " TOKEN_A " extra", 400, WC_AUTH_MALFORMED_HEADER, "two tokens");
    EXPECT_HEADER(auth, "Bearer tok\"en", 400, WC_AUTH_MALFORMED_HEADER, "a quote");
    EXPECT_HEADER(auth, "Bearer =abc", 400, WC_AUTH_MALFORMED_HEADER, "padding first");
    EXPECT_HEADER(auth, "Bearer abc=def", 400, WC_AUTH_MALFORMED_HEADER, "padding inside");
    EXPECT_HEADER(auth, "Bearer" TOKEN_A, 401, WC_AUTH_MISSING_TOKEN, "no space: another scheme");
    EXPECT_HEADER(auth, "Bearer tok-A-0123456789abcdefghi", 401, WC_AUTH_UNKNOWN_TOKEN, "prefix");
    EXPECT_HEADER(auth, "Bearer a.b.c", 401, WC_AUTH_UNKNOWN_TOKEN, "a JWT when JWTs are not configured");
    wc_auth_free(auth);
}

/* ---- JWTs with a JWKS file --------------------------------------------- */

static wc_auth *jwks_file_auth(const char *file, wc_auth_options *o)
{
    wc_auth_options_init(o);
    o->resource = RESOURCE;
    o->jwt.issuer = ISSUER;
    o->jwt.jwks_file = (char *)file;
    o->jwt.jwks_refresh_min_s = 0;
    return new_auth(o);
}

static void test_jwt_signatures(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/jwks.json", tmpdir);
    const test_key *keys[] = {&rsa_a, &rsa_b, &ec256, &ec384};
    char *set = jwks_text(keys, 4);
    write_text(path, set);
    free(set);
    wc_auth_options o;
    wc_auth *auth = jwks_file_auth(path, &o);
    if (!auth)
        return;
    char *c = claims(3600, ",\"scope\":\"mcp:tools mcp:read\",\"client_id\":\"app-1\"");

    struct { jwt_alg_t alg; const test_key *key; } ok_cases[] = {
        {JWT_ALG_RS256, &rsa_a}, {JWT_ALG_RS384, &rsa_a}, {JWT_ALG_RS512, &rsa_b},
        {JWT_ALG_ES256, &ec256}, {JWT_ALG_ES384, &ec384},
    };
    for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
        char *t = sign_jwt(ok_cases[i].alg, ok_cases[i].key, ok_cases[i].key->kid, c);
        char what[64];
        snprintf(what, sizeof what, "libjwt %s", jwt_alg_str(ok_cases[i].alg));
        EXPECT_OK(auth, t, what);
        free(t);
    }

    /* The principal of a valid token. */
    char *t = sign_jwt(JWT_ALG_RS256, &rsa_a, "rsa-a", c);
    wc_auth_result r;
    authenticate_token(auth, t, &r);
    CHECK(r.http_status == 200 && r.principal.kind == WC_AUTH_KIND_JWT && !r.principal.all_scopes &&
              strcmp(r.principal.subject, "alice") == 0 && r.principal.client_id &&
              strcmp(r.principal.client_id, "app-1") == 0 && r.principal.expires_at == now_s + 3600 &&
              r.principal.n_scopes == 2 && strcmp(r.principal.scopes[0], "mcp:tools") == 0 &&
              strcmp(r.principal.scopes[1], "mcp:read") == 0 && !r.www_authenticate,
          "principal: %d %s", r.http_status, r.detail);
    wc_auth_result_free(&r);

    /* Tampering: a signature byte, the payload, the header. */
    char *tampered = strdup(t);
    char *sig = strrchr(tampered, '.') + 10;
    *sig = *sig == 'A' ? 'B' : 'A';
    EXPECT_401(auth, tampered, WC_AUTH_BAD_SIGNATURE, "a signature byte changed");
    free(tampered);
    char *other = claims(3600, ",\"scope\":\"mcp:admin\"");
    char *forged_body = sign_jwt(JWT_ALG_RS256, &rsa_b, "rsa-a", other);
    char *mixed;
    const char *t_dot2 = strrchr(t, '.'), *f_dot1 = strchr(forged_body, '.'), *f_dot2 = strrchr(forged_body, '.');
    mixed = format("%.*s%.*s%s", (int)(strchr(t, '.') - t), t, (int)(f_dot2 - f_dot1), f_dot1, t_dot2);
    EXPECT_401(auth, mixed, WC_AUTH_BAD_SIGNATURE, "the payload swapped");
    EXPECT_401(auth, forged_body, WC_AUTH_BAD_SIGNATURE, "signed by another key under this kid");
    free(mixed);
    free(forged_body);
    free(other);
    free(t);

    /* Keys that do not fit. */
    t = sign_jwt(JWT_ALG_RS256, &rsa_a, "ec-256", c);
    EXPECT_401(auth, t, WC_AUTH_UNKNOWN_KID, "RS256 under an EC key's kid");
    free(t);
    t = sign_jwt(JWT_ALG_ES256, &ec256, "ec-384", c);
    EXPECT_401(auth, t, WC_AUTH_UNKNOWN_KID, "ES256 under a P-384 key's kid");
    free(t);
    t = sign_jwt(JWT_ALG_ES384, &ec384, "nobody", c);
    EXPECT_401(auth, t, WC_AUTH_UNKNOWN_KID, "unknown kid");
    free(t);
    t = sign_jwt(JWT_ALG_ES256, &ec256, NULL, c);
    EXPECT_OK(auth, t, "no kid, one P-256 key in the set");
    free(t);
    t = sign_jwt(JWT_ALG_RS256, &rsa_a, NULL, c);
    EXPECT_401(auth, t, WC_AUTH_UNKNOWN_KID, "no kid, two RSA keys");
    free(t);

    /* Algorithms: none, HMAC without a secret (and the RSA public key as
     * the HMAC secret: the classic confusion), case, unknown. */
    t = sign_raw("{\"alg\":\"none\",\"typ\":\"JWT\"}", c, "none", NULL, NULL);
    EXPECT_401(auth, t, WC_AUTH_UNSUPPORTED_ALG, "alg none");
    free(t);
    t = sign_raw("{\"alg\":\"HS256\"}", c, "HS256", NULL, SECRET);
    EXPECT_401(auth, t, WC_AUTH_UNSUPPORTED_ALG, "HS256 without a configured secret");
    free(t);
    BIO *mem = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(mem, rsa_a.pkey);
    char *pub;
    long pub_len = BIO_get_mem_data(mem, &pub);
    char *pub_pem = strndup(pub, (size_t)pub_len);
    BIO_free(mem);
    t = sign_raw("{\"alg\":\"HS256\",\"kid\":\"rsa-a\"}", c, "HS256", NULL, pub_pem);
    EXPECT_401(auth, t, WC_AUTH_UNSUPPORTED_ALG, "HS256 keyed with the RSA public key");
    free(t);
    t = sign_raw("{\"alg\":\"rs256\",\"kid\":\"rsa-a\"}", c, "RS256", &rsa_a, NULL);
    EXPECT_401(auth, t, WC_AUTH_UNSUPPORTED_ALG, "alg in lower case");
    free(t);
    t = sign_raw("{\"alg\":\"HS384\"}", c, "HS384", NULL, SECRET);
    EXPECT_401(auth, t, WC_AUTH_UNSUPPORTED_ALG, "HS384");
    free(t);

    /* What libjwt 1.10 cannot do, through OpenSSL: RFC 9068 "at+jwt" and PS256. */
    t = sign_raw("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"rsa-a\"}", c, "RS256", &rsa_a, NULL);
    EXPECT_OK(auth, t, "RS256 at+jwt");
    sig = strrchr(t, '.') + 5;
    *sig = *sig == 'A' ? 'B' : 'A';
    EXPECT_401(auth, t, WC_AUTH_BAD_SIGNATURE, "RS256 at+jwt tampered");
    free(t);
    t = sign_raw("{\"alg\":\"ES256\",\"typ\":\"application/at+jwt\",\"kid\":\"ec-256\"}", c, "ES256", &ec256, NULL);
    EXPECT_OK(auth, t, "ES256 application/at+jwt");
    free(t);
    t = sign_raw("{\"alg\":\"ES384\",\"typ\":\"at+jwt\",\"kid\":\"ec-384\"}", c, "ES384", &ec384, NULL);
    EXPECT_OK(auth, t, "ES384 at+jwt");
    free(t);
    t = sign_raw("{\"alg\":\"PS256\",\"kid\":\"rsa-b\"}", c, "PS256", &rsa_b, NULL);
    EXPECT_OK(auth, t, "PS256");
    free(t);
    t = sign_raw("{\"alg\":\"PS512\",\"typ\":\"at+jwt\",\"kid\":\"rsa-b\"}", c, "PS512", &rsa_b, NULL);
    EXPECT_OK(auth, t, "PS512 at+jwt");
    free(t);
    t = sign_raw("{\"alg\":\"PS256\",\"kid\":\"rsa-b\"}", c, "PS256", &rsa_a, NULL);
    EXPECT_401(auth, t, WC_AUTH_BAD_SIGNATURE, "PS256 by another key");
    free(t);
    t = sign_raw("{\"alg\":\"PS256\",\"kid\":\"rsa-a\"}", c, "RS256", &rsa_a, NULL);
    EXPECT_401(auth, t, WC_AUTH_BAD_SIGNATURE, "a PKCS#1 signature labelled PS256");
    free(t);
    /* Our own signer agrees with libjwt on what libjwt verifies. */
    t = sign_raw("{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"ec-256\"}", c, "ES256", &ec256, NULL);
    EXPECT_OK(auth, t, "OpenSSL-signed ES256 verified by libjwt");
    free(t);

    /* Headers we refuse. */
    t = sign_raw("{\"alg\":\"RS256\",\"typ\":\"dpop+jwt\",\"kid\":\"rsa-a\"}", c, "RS256", &rsa_a, NULL);
    EXPECT_401(auth, t, WC_AUTH_MALFORMED_TOKEN, "typ dpop+jwt");
    free(t);
    t = sign_raw("{\"alg\":\"RS256\",\"crit\":[\"exp\"],\"kid\":\"rsa-a\"}", c, "RS256", &rsa_a, NULL);
    EXPECT_401(auth, t, WC_AUTH_MALFORMED_TOKEN, "crit");
    free(t);
    t = sign_raw("{\"alg\":\"HS256\",\"alg\":\"RS256\",\"kid\":\"rsa-a\"}", c, "RS256", &rsa_a, NULL);
    EXPECT_401(auth, t, WC_AUTH_MALFORMED_TOKEN, "a duplicate alg");
    free(t);
    t = sign_raw("{\"alg\":\"RS256\",\"kid\":7}", c, "RS256", &rsa_a, NULL);
    EXPECT_401(auth, t, WC_AUTH_MALFORMED_TOKEN, "a numeric kid");
    free(t);
    t = sign_raw("[\"RS256\"]", c, "RS256", &rsa_a, NULL);
    EXPECT_401(auth, t, WC_AUTH_MALFORMED_TOKEN, "a header that is an array");
    free(t);
    t = sign_raw("{\"alg\":\"RS256\",\"kid\":\"rsa-a\"}", "not json", "RS256", &rsa_a, NULL);
    EXPECT_401(auth, t, WC_AUTH_MALFORMED_TOKEN, "a payload that is not JSON");
    free(t);

    /* Malformed tokens. */
    EXPECT_401(auth, "garbage", WC_AUTH_MALFORMED_TOKEN, "no dots");
    EXPECT_401(auth, "..", WC_AUTH_MALFORMED_TOKEN, "two dots only");
    EXPECT_401(auth, "a.b.c.d", WC_AUTH_MALFORMED_TOKEN, "four parts");
    EXPECT_401(auth, "e30.e30.", WC_AUTH_MALFORMED_TOKEN, "{} header");
    t = sign_jwt(JWT_ALG_RS256, &rsa_a, "rsa-a", c);
    char *cut = strdup(t);
    *(strrchr(cut, '.') + 1) = 0;
    EXPECT_401(auth, cut, WC_AUTH_MALFORMED_TOKEN, "no signature");
    free(cut);
    char *plus = strdup(t);
    *(strrchr(plus, '.') + 3) = '+';
    EXPECT_401(auth, plus, WC_AUTH_MALFORMED_TOKEN, "standard base64 in the signature");
    free(plus);
    free(t);
    size_t huge_len = 20000;
    char *huge = malloc(huge_len + 1);
    memset(huge, 'a', huge_len);
    huge[100] = huge[200] = '.';
    huge[huge_len] = 0;
    authenticate_token(auth, huge, &r);
    CHECK(r.http_status == 401 && r.reason == WC_AUTH_MALFORMED_TOKEN &&
              strstr(r.detail, "a token of 20000 bytes, more than auth.jwt.max_token_bytes (16384)"),
          "huge token: %s %s", wc_auth_reason_name(r.reason), r.detail);
    wc_auth_result_free(&r);
    free(huge);
    /* A large token under the limit is verified as usual. */
    char *padding = malloc(11001);
    memset(padding, 'p', 11000);
    padding[11000] = 0;
    char *extra;
    extra = format(",\"pad\":\"%s\"", padding);
    char *big_claims = claims(3600, extra);
    t = sign_jwt(JWT_ALG_RS256, &rsa_a, "rsa-a", big_claims);
    EXPECT_OK(auth, t, "a 15 KiB token");
    free(t);
    free(big_claims);
    free(extra);
    free(padding);

    free(pub_pem);
    free(c);
    wc_auth_free(auth);
}

static void test_jwt_claims(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/jwks-one.json", tmpdir);
    const test_key *keys[] = {&ec256};
    char *set = jwks_text(keys, 1);
    write_text(path, set);
    free(set);
    wc_auth_options o;
    wc_auth *auth = jwks_file_auth(path, &o);
    if (!auth)
        return;

    /* Each format takes exp (%ld) once. */
#define ISS "\"iss\":\"" ISSUER "\""
#define AUD "\"aud\":\"" RESOURCE "\""
    struct { const char *fmt; wc_auth_reason reason; const char *what; } cases[] = {
        {"{" ISS "," AUD ",\"exp\":%ld}", WC_AUTH_OK, "minimal"},
        {"{" ISS ",\"aud\":[\"other\",\"" RESOURCE "\"],\"exp\":%ld}", WC_AUTH_OK, "aud as an array"},
        {"{" ISS ",\"aud\":[\"other\"],\"exp\":%ld}", WC_AUTH_WRONG_AUDIENCE, "aud array without us"},
        {"{" ISS ",\"aud\":\"" RESOURCE "/\",\"exp\":%ld}", WC_AUTH_WRONG_AUDIENCE, "aud with a trailing slash"},
        {"{" ISS ",\"exp\":%ld}", WC_AUTH_WRONG_AUDIENCE, "no aud"},
        {"{" ISS ",\"aud\":5,\"exp\":%ld}", WC_AUTH_WRONG_AUDIENCE, "aud a number"},
        {"{\"iss\":\"" ISSUER "/\"," AUD ",\"exp\":%ld}", WC_AUTH_WRONG_ISSUER, "iss with a trailing slash"},
        {"{\"iss\":\"https://evil.example.com\"," AUD ",\"exp\":%ld}", WC_AUTH_WRONG_ISSUER, "wrong iss"},
        {"{" AUD ",\"exp\":%ld}", WC_AUTH_WRONG_ISSUER, "no iss"},
        {"{\"iss\":[\"" ISSUER "\"]," AUD ",\"exp\":%ld}", WC_AUTH_WRONG_ISSUER, "iss an array"},
        {"{" ISS "," AUD ",\"nbf\":%ld}", WC_AUTH_INVALID_CLAIMS, "no exp"},
        {"{" ISS "," AUD ",\"exp\":\"%ld\"}", WC_AUTH_INVALID_CLAIMS, "exp a string"},
        {"{" ISS "," AUD ",\"exp\":%ld,\"sub\":5}", WC_AUTH_INVALID_CLAIMS, "sub a number"},
        {"{" ISS "," AUD ",\"exp\":%ld,\"scp\":{}}", WC_AUTH_INVALID_CLAIMS, "scp an object"},
        {"{" ISS "," AUD ",\"exp\":%ld,\"scp\":[1]}", WC_AUTH_INVALID_CLAIMS, "scp of numbers"},
        {"{" ISS "," AUD ",\"exp\":%ld,\"scope\":[\"a\"]}", WC_AUTH_INVALID_CLAIMS, "scope an array"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, cases[i].fmt, now_s + 3600);
        char *t = sign_jwt(JWT_ALG_ES256, &ec256, "ec-256", text);
        EXPECT(auth, t, cases[i].reason == WC_AUTH_OK ? 200 : 401, cases[i].reason, cases[i].what);
        free(t);
    }

    /* Time, with the default leeway of 60 s. */
    struct { long exp_in; const char *extra; wc_auth_reason reason; const char *what; } times[] = {
        {-120, "", WC_AUTH_EXPIRED, "expired 2 minutes ago"},
        {-30, "", WC_AUTH_OK, "expired 30 s ago: within the leeway"},
        {3600, ",\"nbf\":%ld", WC_AUTH_NOT_YET_VALID, "nbf in 5 minutes"},
        {3600, ",\"nbf\":%ld.5", WC_AUTH_NOT_YET_VALID, "nbf as a fraction"},
        {3600, ",\"iat2\":%ld", WC_AUTH_OK, "an unknown claim"},
    };
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        char extra[64];
        snprintf(extra, sizeof extra, times[i].extra, now_s + 300);
        char *text = claims(times[i].exp_in, extra);
        char *t = sign_jwt(JWT_ALG_ES256, &ec256, "ec-256", text);
        EXPECT(auth, t, times[i].reason == WC_AUTH_OK ? 200 : 401, times[i].reason, times[i].what);
        free(t);
        free(text);
    }
    char text[512];
    snprintf(text, sizeof text, "{\"iss\":\"%s\",\"aud\":\"%s\",\"exp\":%ld,\"nbf\":%ld}", ISSUER, RESOURCE,
             now_s + 3600, now_s + 30);
    char *t = sign_jwt(JWT_ALG_ES256, &ec256, "ec-256", text);
    EXPECT_OK(auth, t, "nbf in 30 s: within the leeway");
    free(t);
    snprintf(text, sizeof text, "{\"iss\":\"%s\",\"aud\":\"%s\",\"exp\":%ld,\"iat\":%ld}", ISSUER, RESOURCE,
             now_s + 3600, now_s + 600);
    t = sign_jwt(JWT_ALG_ES256, &ec256, "ec-256", text);
    EXPECT_401(auth, t, WC_AUTH_NOT_YET_VALID, "issued 10 minutes in the future");
    free(t);

    /* The exact answer for an expired token. */
    char *expired = claims(-3600, "");
    t = sign_jwt(JWT_ALG_ES256, &ec256, "ec-256", expired);
    wc_auth_result r;
    authenticate_token(auth, t, &r);
    CHECK(r.http_status == 401 && r.www_authenticate &&
              strcmp(r.www_authenticate, "Bearer error=\"invalid_token\", error_description=\"The access token "
                                         "expired\", resource_metadata=\"" METADATA_URL "\"") == 0,
          "expired: %s", r.www_authenticate);
    long ago = 0;
    CHECK(sscanf(r.detail, "expired %ld s ago (exp %*d, leeway 60 s)", &ago) == 1 && ago >= 3600 && ago < 3700,
          "detail: %s", r.detail);
    wc_auth_result_free(&r);
    free(t);
    free(expired);

    /* Scopes from scp: an array (Okta) or a string (Entra ID); sub falls back to client_id. */
    snprintf(text, sizeof text, "{\"iss\":\"%s\",\"aud\":\"%s\",\"exp\":%ld,\"client_id\":\"svc\","
                                "\"scp\":[\"b\",\"a\",\"b\"]}", ISSUER, RESOURCE, now_s + 3600);
    t = sign_jwt(JWT_ALG_ES256, &ec256, "ec-256", text);
    authenticate_token(auth, t, &r);
    CHECK(r.http_status == 200 && r.principal.n_scopes == 2 && strcmp(r.principal.scopes[0], "b") == 0 &&
              strcmp(r.principal.scopes[1], "a") == 0 && strcmp(r.principal.subject, "svc") == 0,
          "scp array: %s", r.detail);
    wc_auth_result_free(&r);
    free(t);
    snprintf(text, sizeof text, "{\"iss\":\"%s\",\"aud\":\"%s\",\"exp\":%ld,\"scp\":\"x  y\",\"scope\":\"z x\"}",
             ISSUER, RESOURCE, now_s + 3600);
    t = sign_jwt(JWT_ALG_ES256, &ec256, "ec-256", text);
    authenticate_token(auth, t, &r);
    CHECK(r.http_status == 200 && r.principal.n_scopes == 3 && strcmp(r.principal.scopes[0], "z") == 0 &&
              strcmp(r.principal.scopes[1], "x") == 0 && strcmp(r.principal.scopes[2], "y") == 0 &&
              strcmp(r.principal.subject, "") == 0 && !r.principal.client_id,
          "scope and scp string: %s", r.detail);
    wc_auth_result_free(&r);
    free(t);

    /* An audience other than the resource. */
    wc_auth_free(auth);
    o.jwt.audience = "api://wasmcap";
    auth = new_auth(&o);
    char *c = claims(3600, "");
    t = sign_jwt(JWT_ALG_ES256, &ec256, "ec-256", c);
    EXPECT_401(auth, t, WC_AUTH_WRONG_AUDIENCE, "aud is the resource, audience is configured");
    free(t);
    free(c);
    snprintf(text, sizeof text, "{\"iss\":\"%s\",\"aud\":\"api://wasmcap\",\"exp\":%ld}", ISSUER, now_s + 60);
    t = sign_jwt(JWT_ALG_ES256, &ec256, "ec-256", text);
    EXPECT_OK(auth, t, "the configured audience");
    free(t);
    wc_auth_free(auth);
}

static void test_hs256(void)
{
    wc_auth_options o;
    wc_auth_options_init(&o);
    o.resource = RESOURCE;
    o.jwt.issuer = ISSUER;
    o.jwt.hs256_secret = SECRET;
    wc_auth *auth = new_auth(&o);
    if (!auth)
        return;
    char *c = claims(3600, "");
    char *t = sign_jwt(JWT_ALG_HS256, NULL, NULL, c);
    EXPECT_OK(auth, t, "HS256 through libjwt");
    free(t);
    t = sign_raw("{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", c, "HS256", NULL, SECRET);
    EXPECT_OK(auth, t, "HS256 at+jwt through OpenSSL");
    char *sig = strrchr(t, '.') + 4;
    *sig = *sig == 'A' ? 'B' : 'A';
    EXPECT_401(auth, t, WC_AUTH_BAD_SIGNATURE, "HS256 at+jwt tampered");
    free(t);
    t = sign_raw("{\"alg\":\"HS256\"}", c, "HS256", NULL, SECRET "-but-another-one");
    EXPECT_401(auth, t, WC_AUTH_BAD_SIGNATURE, "HS256 with another secret");
    free(t);
    t = sign_jwt(JWT_ALG_RS256, &rsa_a, "rsa-a", c);
    EXPECT_401(auth, t, WC_AUTH_UNSUPPORTED_ALG, "RS256 without a JWKS");
    free(t);
    t = sign_raw("{\"alg\":\"none\"}", c, "none", NULL, NULL);
    EXPECT_401(auth, t, WC_AUTH_UNSUPPORTED_ALG, "alg none with a secret configured");
    free(t);
    EXPECT_401(auth, "not-a-jwt", WC_AUTH_MALFORMED_TOKEN, "garbage, no static tokens");
    free(c);
    wc_auth_free(auth);
}

/* The principal's id: the same for the same (method, issuer, subject),
 * different when any of them differs, so that sessions bound to it are
 * never shared by two principals whose subject strings agree. */
static void test_principal_ids(void)
{
    static const char *const issuers[2] = {ISSUER, "https://other-issuer.example.com"};
    char ids[2][WC_AUTH_PRINCIPAL_ID_LEN + 1];
    char static_id[WC_AUTH_PRINCIPAL_ID_LEN + 1] = "", client_id[WC_AUTH_PRINCIPAL_ID_LEN + 1] = "";
    for (int i = 0; i < 2; i++) {
        wc_auth_options o;
        wc_auth_options_init(&o);
        o.resource = RESOURCE;
        o.jwt.issuer = (char *)issuers[i];
        o.jwt.hs256_secret = SECRET;
        wc_auth_static_token token = {.token = "alice-static-token-0123456789", .subject = "alice"};
        o.bearer_tokens = &token;
        o.n_bearer_tokens = 1;
        wc_auth *auth = new_auth(&o);
        if (!auth)
            return;
        char *c = format("{\"iss\":\"%s\",\"aud\":\"%s\",\"sub\":\"alice\",\"exp\":%ld}", issuers[i],
                         RESOURCE, now_s + 600);
        char *t = sign_raw("{\"alg\":\"HS256\"}", c, "HS256", NULL, SECRET);
        wc_auth_result r;
        authenticate_token(auth, t, &r);
        CHECK(r.http_status == 200 && strcmp(r.principal.subject, "alice") == 0 &&
                  r.principal.issuer && strcmp(r.principal.issuer, issuers[i]) == 0 &&
                  strlen(r.principal.id) == WC_AUTH_PRINCIPAL_ID_LEN,
              "JWT alice of issuer %d: %d", i, r.http_status);
        snprintf(ids[i], sizeof ids[i], "%s", r.principal.id);
        wc_auth_result_free(&r);
        authenticate_token(auth, t, &r);
        CHECK(r.http_status == 200 && strcmp(r.principal.id, ids[i]) == 0,
              "the same token, the same id");
        wc_auth_result_free(&r);
        free(t);
        free(c);
        if (i == 0) {
            authenticate_token(auth, "alice-static-token-0123456789", &r);
            CHECK(r.http_status == 200 && strcmp(r.principal.subject, "alice") == 0 &&
                      !r.principal.issuer,
                  "static alice: %d", r.http_status);
            snprintf(static_id, sizeof static_id, "%s", r.principal.id);
            wc_auth_result_free(&r);
            c = format("{\"iss\":\"%s\",\"aud\":\"%s\",\"client_id\":\"alice\",\"exp\":%ld}",
                       issuers[i], RESOURCE, now_s + 600);
            t = sign_raw("{\"alg\":\"HS256\"}", c, "HS256", NULL, SECRET);
            authenticate_token(auth, t, &r);
            CHECK(r.http_status == 200 && strcmp(r.principal.subject, "alice") == 0,
                  "client_id alice: %d", r.http_status);
            snprintf(client_id, sizeof client_id, "%s", r.principal.id);
            wc_auth_result_free(&r);
            free(t);
            free(c);
        }
        wc_auth_free(auth);
    }
    CHECK(strcmp(ids[0], ids[1]) != 0, "sub alice of two issuers: two principals");
    CHECK(strcmp(ids[0], static_id) != 0, "JWT alice and the static token alice: two principals");
    CHECK(strcmp(ids[0], client_id) != 0, "sub alice and client_id alice: two principals");
}

/* ---- JWK parsing ------------------------------------------------------- */

static void test_jwk_parsing(void)
{
    wc_error err;
    wc_jwk key;
    json_t *jwk = jwk_of(&rsa_a, "{\"use\":\"sig\",\"alg\":\"RS256\",\"key_ops\":[\"verify\"]}");
    CHECK(wc_jwk_parse(jwk, &key, &err) == 0 && key.is_rsa && strcmp(key.kid, "rsa-a") == 0 &&
              strcmp(key.alg, "RS256") == 0 && strstr(key.pem, "BEGIN PUBLIC KEY"), "RSA JWK: %s", err.msg);
    const wc_jws_alg *rs512 = wc_jws_alg_find("RS512"), *es256 = wc_jws_alg_find("ES256");
    wc_error why;
    CHECK(!wc_jwk_fits(&key, rs512, &why) && strcmp(why.msg, "key rsa-a is for RS256, not RS512") == 0,
          "alg pinned: %s", why.msg);
    CHECK(!wc_jwk_fits(&key, es256, &why), "RSA for ES256");
    wc_jwk_clear(&key);
    json_decref(jwk);

    struct { const test_key *k; const char *extra; int rc; const char *err; } cases[] = {
        {&rsa_a, "{\"use\":\"enc\"}", 1, ""},
        {&rsa_a, "{\"key_ops\":[\"encrypt\"]}", 1, ""},
        {&rsa_a, "{\"alg\":\"RSA-OAEP\"}", 1, ""},
        {&rsa_a, "{\"alg\":\"ES256\"}", WC_EINVAL, "key rsa-a is an RSA key, which cannot verify ES256"},
        {&rsa_a, "{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}", 1, ""},
        {&rsa_a, "{\"kty\":\"OKP\"}", 1, ""},
        {&rsa_a, "{\"n\":\"AQAB\"}", WC_EINVAL, "an RSA modulus of 17 bits (2048 to 16384 are accepted)"},
        {&rsa_a, "{\"n\":\"not base64!\"}", WC_EINVAL, "\"n\" is not unpadded base64url"},
        {&rsa_a, "{\"e\":\"AQAB==\"}", WC_EINVAL, "\"e\" is not unpadded base64url"},
        {&rsa_a, "{\"e\":5}", WC_EINVAL, "\"e\" (a base64url string) is required"},
        {&rsa_a, "{\"kid\":5}", WC_EINVAL, "\"kid\" must be a string"},
        {&ec256, "{\"crv\":\"P-192\"}", WC_EINVAL, "\"crv\" must be \"P-256\", \"P-384\" or \"P-521\""},
        {&ec256, "{\"x\":\"AQAB\"}", WC_EINVAL, "P-256 coordinates must be 32 bytes each (x has 3, y has 32)"},
        {&ec256, "{\"crv\":\"P-384\"}", WC_EINVAL, "P-384 coordinates must be 48 bytes each (x has 32, y has 32)"},
        {&ec256, "{\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", WC_EINVAL,
         "OpenSSL refuses the EC public key parameters"},
        {&ec256, "{\"alg\":\"ES384\"}", WC_EINVAL, "key ec-256 is an EC key on prime256v1, which cannot verify ES384"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        jwk = jwk_of(cases[i].k, cases[i].extra);
        err.msg[0] = 0;
        int rc = wc_jwk_parse(jwk, &key, &err);
        CHECK(rc == cases[i].rc && strcmp(err.msg, cases[i].err) == 0, "%s: rc %d, err '%s', want %d '%s'",
              cases[i].extra, rc, err.msg, cases[i].rc, cases[i].err);
        if (rc == 0)
            wc_jwk_clear(&key);
        json_decref(jwk);
    }

    /* A 1024-bit RSA key is refused; a set of only bad keys is an error. */
    test_key small = {0};
    small.pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    small.kid = "small";
    jwk = jwk_of(&small, NULL);
    CHECK(wc_jwk_parse(jwk, &key, &err) == WC_EINVAL && err.code == WC_EINVAL &&
              strcmp(err.msg, "an RSA modulus of 1024 bits (2048 to 16384 are accepted)") == 0, "1024 bits: %s", err.msg);
    json_decref(jwk);
    EVP_PKEY_free(small.pkey);

    wc_jwk_set *set = NULL;
    const char *texts[][2] = {
        {"{\"keys\":[{\"kty\":\"oct\",\"k\":\"AA\"}]}",
         "t: no usable signature key (RSA of 2048 bits or more, or EC on P-256, P-384 or P-521)"},
        {"{\"keys\":{}}", "t: not a JWK Set: expected an object with a \"keys\" array"},
        {"[1]", "t: not a JWK Set: expected an object with a \"keys\" array"},
        {"{\"keys\":[", "t: not a JWK Set: invalid JSON at line 1, column 9: ']' expected near end of file"},
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        CHECK(wc_jwk_set_parse(texts[i][0], strlen(texts[i][0]), "t", &set, &err) == WC_EINVAL && err.code == WC_EINVAL &&
                  strcmp(err.msg, texts[i][1]) == 0, "set %s: %s", texts[i][0], err.msg);
    }
    /* A broken key among good ones is skipped, not fatal. */
    json_t *doc = json_object(), *arr = json_array();
    json_array_append_new(arr, jwk_of(&ec256, "{\"x\":\"AQAB\"}"));
    json_array_append_new(arr, jwk_of(&ec384, NULL));
    json_object_set_new(doc, "keys", arr);
    char *text = json_dumps(doc, 0);
    json_decref(doc);
    CHECK(wc_jwk_set_parse(text, strlen(text), "t", &set, &err) == 0 && set->n == 1 &&
              strcmp(set->keys[0].kid, "ec-384") == 0, "skip a broken key: %s", err.msg);
    wc_jwk_set_unref(set);
    free(text);
}

/* ---- scopes per tool --------------------------------------------------- */

static void test_scopes(void)
{
    wc_auth_options o;
    wc_auth_options_init(&o);
    o.resource = RESOURCE;
    o.jwt.issuer = ISSUER;
    o.jwt.hs256_secret = SECRET;
    wc_auth_static_token tokens[] = {{"static-full-0123456789", "ops", NULL},
                                     {"static-tools-0123456789", NULL, "mcp:tools"}};
    o.bearer_tokens = tokens;
    o.n_bearer_tokens = 2;
    wc_auth_scope_entry tool_scopes[] = {
        {"*", "mcp:tools"}, {"admin-reset", "mcp:admin  mcp:tools mcp:admin"}, {"public-ping", ""}};
    o.scopes[WC_AUTH_TOOL].entries = tool_scopes;
    o.scopes[WC_AUTH_TOOL].count = 3;
    wc_auth_scope_entry prompt_scopes[] = {{"summarize", "mcp:prompts"}, {"open", ""}};
    o.scopes[WC_AUTH_PROMPT].entries = prompt_scopes;
    o.scopes[WC_AUTH_PROMPT].count = 2;
    wc_auth_scope_entry resource_scopes[] = {{"*", "mcp:read"}, {"notes", "mcp:notes"}};
    o.scopes[WC_AUTH_RESOURCE].entries = resource_scopes;
    o.scopes[WC_AUTH_RESOURCE].count = 2;
    wc_auth *auth = new_auth(&o);
    if (!auth)
        return;
    /* prompts and resources: their entry, else their table's "*", else the tools' "*" */
    CHECK(strcmp(wc_auth_required_scopes(auth, WC_AUTH_PROMPT, "summarize"), "mcp:prompts") == 0,
          "a prompt's own entry");
    CHECK(strcmp(wc_auth_required_scopes(auth, WC_AUTH_PROMPT, "open"), "") == 0, "an open prompt");
    CHECK(strcmp(wc_auth_required_scopes(auth, WC_AUTH_PROMPT, "other"), "mcp:tools") == 0,
          "a prompt without entry, in a table without \"*\": the tools' \"*\"");
    CHECK(strcmp(wc_auth_required_scopes(auth, WC_AUTH_RESOURCE, "notes"), "mcp:notes") == 0,
          "a plugin's resources");
    CHECK(strcmp(wc_auth_required_scopes(auth, WC_AUTH_RESOURCE, "calc"), "mcp:read") == 0,
          "resource_scopes' \"*\"");
    CHECK(strcmp(wc_auth_required_scopes(auth, WC_AUTH_TOOL, "summarize"), "mcp:tools") == 0,
          "the tables are apart: a tool named like a prompt");
    CHECK(strcmp(wc_auth_tool_required_scopes(auth, "calc-add"), "mcp:tools") == 0, "default");
    CHECK(strcmp(wc_auth_tool_required_scopes(auth, "admin-reset"), "mcp:admin mcp:tools") == 0,
          "normalized: %s", wc_auth_tool_required_scopes(auth, "admin-reset"));
    CHECK(strcmp(wc_auth_tool_required_scopes(auth, "public-ping"), "") == 0, "public");

    /* Without a token the client learns the default scopes. */
    wc_auth_result r, denied;
    wc_auth_authenticate(auth, NULL, &r);
    CHECK(r.www_authenticate &&
              strcmp(r.www_authenticate, "Bearer scope=\"mcp:tools\", resource_metadata=\"" METADATA_URL "\"") == 0,
          "401 with scope: %s", r.www_authenticate);
    wc_auth_result_free(&r);

    struct { const char *claims_extra; const char *tool; bool allowed; } cases[] = {
        {",\"scope\":\"mcp:tools\"", "calc-add", true},
        {",\"scope\":\"mcp:tools\"", "admin-reset", false},
        {",\"scope\":\"mcp:tools\"", "public-ping", true},
        {",\"scope\":\"mcp:admin mcp:tools\"", "admin-reset", true},
        {",\"scope\":\"mcp:admin\"", "admin-reset", false},
        {",\"scope\":\"MCP:TOOLS\"", "calc-add", false},
        {"", "calc-add", false},
        {"", "public-ping", true},
        {",\"scp\":[\"mcp:tools\",\"mcp:admin\"]", "admin-reset", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *c = claims(3600, cases[i].claims_extra);
        char *t = sign_jwt(JWT_ALG_HS256, NULL, NULL, c);
        authenticate_token(auth, t, &r);
        CHECK(r.http_status == 200, "token %s: %s", cases[i].claims_extra, r.detail);
        bool allowed = wc_auth_may_call_tool(auth, &r.principal, cases[i].tool, &denied);
        CHECK(allowed == cases[i].allowed, "%s with%s", cases[i].tool, cases[i].claims_extra);
        if (!allowed) {
            CHECK(denied.http_status == 403 && denied.reason == WC_AUTH_INSUFFICIENT_SCOPE, "403");
            char want[512];
            snprintf(want, sizeof want, "Bearer error=\"insufficient_scope\", scope=\"%s\", resource_metadata=\"%s\"",
                     wc_auth_tool_required_scopes(auth, cases[i].tool), METADATA_URL);
            CHECK(denied.www_authenticate && strcmp(denied.www_authenticate, want) == 0, "403 header: %s",
                  denied.www_authenticate);
            wc_auth_result_free(&denied);
        }
        wc_auth_result_free(&r);
        free(t);
        free(c);
    }
    /* The exact 403 and its detail. */
    char *c = claims(3600, ",\"scope\":\"mcp:tools\"");
    char *t = sign_jwt(JWT_ALG_HS256, NULL, NULL, c);
    authenticate_token(auth, t, &r);
    CHECK(!wc_auth_may_call_tool(auth, &r.principal, "admin-reset", &denied), "admin-reset denied");
    CHECK(denied.www_authenticate &&
              strcmp(denied.www_authenticate, "Bearer error=\"insufficient_scope\", scope=\"mcp:admin mcp:tools\", "
                                              "resource_metadata=\"" METADATA_URL "\"") == 0,
          "403: %s", denied.www_authenticate);
    CHECK(strcmp(denied.detail, "tool 'admin-reset' needs scopes 'mcp:admin mcp:tools'; subject 'alice' has "
                                "'mcp:tools'") == 0, "403 detail: %s", denied.detail);
    CHECK(wc_auth_may_call_tool(auth, &r.principal, "calc-add", NULL), "NULL denied is fine when allowed");
    CHECK(!wc_auth_may_call_tool(auth, &r.principal, "admin-reset", NULL), "NULL denied");
    wc_auth_result_free(&denied);
    wc_auth_result_free(&r);
    free(t);
    free(c);

    /* Static tokens: without scopes every tool, with scopes only theirs. */
    wc_auth_authenticate(auth, "Bearer static-full-0123456789", &r);
    CHECK(r.http_status == 200 && wc_auth_may_call_tool(auth, &r.principal, "admin-reset", NULL) &&
              strcmp(r.principal.subject, "ops") == 0, "full static token");
    wc_auth_result_free(&r);
    wc_auth_authenticate(auth, "Bearer static-tools-0123456789", &r);
    CHECK(r.http_status == 200 && wc_auth_may_call_tool(auth, &r.principal, "calc-add", NULL) &&
              !wc_auth_may_call_tool(auth, &r.principal, "admin-reset", &denied), "scoped static token");
    CHECK(strcmp(denied.detail, "tool 'admin-reset' needs scopes 'mcp:admin mcp:tools'; static token "
                                "'bearer_tokens[1]' has 'mcp:tools'") == 0, "static 403 detail: %s", denied.detail);
    wc_auth_result_free(&denied);
    wc_auth_result_free(&r);
    /* With static tokens configured, a token that is neither is unknown. */
    EXPECT_401(auth, "neither-a-token-nor-a-jwt", WC_AUTH_UNKNOWN_TOKEN, "unknown with both configured");

    wc_auth_principal nobody = {0};
    CHECK(wc_auth_has_scopes(&nobody, "") && wc_auth_has_scopes(&nobody, "  ") && !wc_auth_has_scopes(&nobody, "a"),
          "has_scopes on nothing");
    wc_auth_free(auth);
}

/* ---- metadata ---------------------------------------------------------- */

static void test_metadata(void)
{
    struct { const char *resource, *url; } urls[] = {
        {"https://mcp.example.com/mcp", "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"},
        {"https://mcp.example.com", "https://mcp.example.com/.well-known/oauth-protected-resource"},
        {"https://mcp.example.com/", "https://mcp.example.com/.well-known/oauth-protected-resource"},
        {"https://mcp.example.com:8443/a/b/", "https://mcp.example.com:8443/.well-known/oauth-protected-resource/a/b/"},
        {"http://127.0.0.1:3000/mcp", "http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp"},
        {"https://mcp.example.com/mcp?x=1", NULL},
        {"https://mcp.example.com/mcp#f", NULL},
        {"ftp://mcp.example.com/mcp", NULL},
        {"https:///mcp", NULL},
        {"mcp.example.com/mcp", NULL},
    };
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        char *got = wc_auth_metadata_url_for(urls[i].resource);
        CHECK(urls[i].url ? got && strcmp(got, urls[i].url) == 0 : !got, "%s -> %s", urls[i].resource,
              got ? got : "NULL");
        free(got);
    }

    wc_auth_options o;
    wc_auth_options_init(&o);
    o.resource = RESOURCE;
    o.resource_name = "Example MCP";
    char *servers[] = {ISSUER};
    char *scopes[] = {"mcp:tools", "mcp:admin"};
    o.authorization_servers = servers;
    o.n_authorization_servers = 1;
    o.scopes_supported = scopes;
    o.n_scopes_supported = 2;
    wc_auth_static_token tokens[] = {{TOKEN_A, NULL, NULL}};
    o.bearer_tokens = tokens;
    o.n_bearer_tokens = 1;
    wc_auth *auth = new_auth(&o);
    if (!auth)
        return;
    CHECK(strcmp(wc_auth_metadata_json(auth),
                 "{\"resource\":\"https://mcp.example.com/mcp\",\"authorization_servers\":[\"https://auth.example.com\"],"
                 "\"scopes_supported\":[\"mcp:tools\",\"mcp:admin\"],\"bearer_methods_supported\":[\"header\"],"
                 "\"resource_name\":\"Example MCP\"}") == 0,
          "metadata: %s", wc_auth_metadata_json(auth));
    CHECK(strcmp(wc_auth_metadata_url(auth), METADATA_URL) == 0, "url %s", wc_auth_metadata_url(auth));
    CHECK(wc_auth_is_metadata_path(auth, "/.well-known/oauth-protected-resource") &&
              wc_auth_is_metadata_path(auth, "/.well-known/oauth-protected-resource/mcp") &&
              !wc_auth_is_metadata_path(auth, "/.well-known/oauth-protected-resource/other") &&
              !wc_auth_is_metadata_path(auth, "/mcp") &&
              !wc_auth_is_metadata_path(auth, "/.well-known/oauth-authorization-server"), "paths");
    wc_auth_free(auth);

    /* Minimal: no servers, scopes derived from tool_scopes, an override URL. */
    wc_auth_options_init(&o);
    o.resource = "https://mcp.example.com/";
    o.resource_metadata_url = "https://meta.example.com/prm/mcp.json?v=2";
    o.bearer_tokens = tokens;
    o.n_bearer_tokens = 1;
    wc_auth_scope_entry tool_scopes[] = {{"a", "s1 s2"}, {"*", "s2 s3"}, {"b", ""}};
    o.scopes[WC_AUTH_TOOL].entries = tool_scopes;
    o.scopes[WC_AUTH_TOOL].count = 3;
    auth = new_auth(&o);
    if (!auth)
        return;
    CHECK(strcmp(wc_auth_metadata_json(auth),
                 "{\"resource\":\"https://mcp.example.com/\",\"scopes_supported\":[\"s1\",\"s2\",\"s3\"],"
                 "\"bearer_methods_supported\":[\"header\"]}") == 0, "minimal metadata: %s", wc_auth_metadata_json(auth));
    CHECK(strcmp(wc_auth_metadata_url(auth), "https://meta.example.com/prm/mcp.json?v=2") == 0, "override");
    CHECK(wc_auth_is_metadata_path(auth, "/prm/mcp.json") && wc_auth_is_metadata_path(auth, "/.well-known/oauth-protected-resource"),
          "override path");
    wc_auth_result r;
    wc_auth_authenticate(auth, NULL, &r);
    CHECK(r.www_authenticate && strcmp(r.www_authenticate, "Bearer scope=\"s2 s3\", resource_metadata=\""
                                                           "https://meta.example.com/prm/mcp.json?v=2\"") == 0,
          "override in the challenge: %s", r.www_authenticate);
    wc_auth_result_free(&r);
    wc_auth_free(auth);
}

/* ---- the config section ------------------------------------------------ */

/* Replaces "${NAME}" wholes: TOKEN and SECRET are known, others are unset. */
static int test_expand(void *ctx, const char *in, size_t len, char **out, wc_error *err)
{
    (*(int *)ctx)++;
    if (len > 3 && strncmp(in, "${", 2) == 0 && in[len - 1] == '}') {
        if (strncmp(in, "${TOKEN}", len) == 0) {
            *out = strdup(TOKEN_A);
            return 0;
        }
        if (strncmp(in, "${SECRET}", len) == 0) {
            *out = strdup(SECRET);
            return 0;
        }
        return wc_error_set(err, WC_EINVAL, "environment variable %.*s is not set", (int)len - 3,
                            in + 2);
    }
    *out = strndup(in, len);
    return 0;
}

static void parse_bad(const char *text, const char *want)
{
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    CHECK(v != NULL, "test JSON: %s", text);
    wc_auth_options o;
    wc_error err = {0};
    int calls = 0;
    int rc = wc_auth_options_parse(v, "/etc/wasmcap", test_expand, &calls, &o, &err);
    CHECK(rc == WC_EINVAL && err.code == WC_EINVAL, "accepted (%d): %s", rc, text);
    CHECK(strcmp(err.msg, want) == 0, "\n  text: %s\n  got:  %s\n  want: %s", text, err.msg, want);
    if (rc == 0)
        wc_auth_options_free(&o);
    json_decref(v);
}

static void test_config(void)
{
    const char *full =
        "{\"resource\": \"https://mcp.example.com/mcp\", \"resource_name\": \"Example\","
        " \"resource_metadata_url\": \"https://mcp.example.com/prm\","
        " \"authorization_servers\": [\"https://auth.example.com\"],"
        " \"scopes_supported\": [\"mcp:tools\", \"mcp:admin\"],"
        " \"bearer_tokens\": [\"${TOKEN}\", {\"token\": \"" TOKEN_B "\", \"subject\": \"ci\", \"scopes\": [\"a\", \"b\"]}],"
        " \"tool_scopes\": {\"*\": \"mcp:tools\", \"admin-reset\": [\"mcp:admin\", \"mcp:tools\"], \"ping\": \"\"},"
        " \"prompt_scopes\": {\"summarize\": \"mcp:prompts\"},"
        " \"resource_scopes\": {\"*\": [\"mcp:read\"], \"notes\": \"mcp:notes  mcp:read\"},"
        " \"jwt\": {\"issuer\": \"https://auth.example.com\", \"audience\": \"api://x\", \"jwks_file\": \"keys/jwks.json\","
        "          \"hs256_secret\": \"${SECRET}\", \"leeway_s\": 30, \"jwks_timeout_ms\": 2000, \"jwks_max_bytes\": \"64KiB\","
        "          \"jwks_refresh_min_s\": 10, \"jwks_max_age_s\": 600, \"max_token_bytes\": 8192}}";
    json_t *v = json_loads(full, JSON_REJECT_DUPLICATES, NULL);
    wc_auth_options o;
    wc_error err = {0};
    int calls = 0;
    int rc = wc_auth_options_parse(v, "/etc/wasmcap", test_expand, &calls, &o, &err);
    json_decref(v);
    CHECK(rc == 0, "full: %s", err.msg);
    if (rc == 0) {
        CHECK(strcmp(o.resource, RESOURCE) == 0 && strcmp(o.resource_name, "Example") == 0 &&
                  strcmp(o.resource_metadata_url, "https://mcp.example.com/prm") == 0, "resource");
        CHECK(o.n_authorization_servers == 1 && strcmp(o.authorization_servers[0], ISSUER) == 0, "servers");
        CHECK(o.n_scopes_supported == 2 && strcmp(o.scopes_supported[1], "mcp:admin") == 0, "scopes_supported");
        CHECK(o.n_bearer_tokens == 2 && strcmp(o.bearer_tokens[0].token, TOKEN_A) == 0 && !o.bearer_tokens[0].subject &&
                  !o.bearer_tokens[0].scopes && strcmp(o.bearer_tokens[1].subject, "ci") == 0 &&
                  strcmp(o.bearer_tokens[1].scopes, "a b") == 0, "tokens");
        const wc_auth_scope_table *tools = &o.scopes[WC_AUTH_TOOL];
        CHECK(tools->count == 3 && strcmp(tools->entries[0].name, "*") == 0 &&
                  strcmp(tools->entries[1].scopes, "mcp:admin mcp:tools") == 0 && strcmp(tools->entries[2].scopes, "") == 0,
              "tool scopes");
        const wc_auth_scope_table *prompts = &o.scopes[WC_AUTH_PROMPT];
        const wc_auth_scope_table *resources = &o.scopes[WC_AUTH_RESOURCE];
        CHECK(prompts->count == 1 && strcmp(prompts->entries[0].name, "summarize") == 0 &&
                  strcmp(prompts->entries[0].scopes, "mcp:prompts") == 0,
              "prompt scopes");
        CHECK(resources->count == 2 && strcmp(resources->entries[0].scopes, "mcp:read") == 0 &&
                  strcmp(resources->entries[1].name, "notes") == 0,
              "resource scopes");
        CHECK(strcmp(o.jwt.issuer, ISSUER) == 0 && strcmp(o.jwt.audience, "api://x") == 0 &&
                  strcmp(o.jwt.jwks_file, "/etc/wasmcap/keys/jwks.json") == 0 && strcmp(o.jwt.hs256_secret, SECRET) == 0,
              "jwt strings: %s", o.jwt.jwks_file);
        CHECK(o.jwt.leeway_s == 30 && o.jwt.jwks_timeout_ms == 2000 && o.jwt.jwks_max_bytes == 65536 &&
                  o.jwt.jwks_refresh_min_s == 10 && o.jwt.jwks_max_age_s == 600 && o.jwt.max_token_bytes == 8192,
              "jwt numbers");
        CHECK(calls >= 16, "every string expanded (%d)", calls);
        wc_auth_options_free(&o);
    }

    /* Defaults, and no expansion callback. */
    v = json_loads("{\"resource\": \"http://localhost:8080/mcp\", \"jwt\": {\"issuer\": \"i\", \"jwks_url\": "
                   "\"https://auth.example.com/jwks\"}}", 0, NULL);
    rc = wc_auth_options_parse(v, NULL, NULL, NULL, &o, &err);
    json_decref(v);
    CHECK(rc == 0, "defaults: %s", err.msg);
    if (rc == 0) {
        CHECK(o.jwt.leeway_s == 60 && o.jwt.jwks_timeout_ms == 5000 && o.jwt.jwks_max_bytes == 1u << 20 &&
                  o.jwt.jwks_refresh_min_s == 60 && o.jwt.jwks_max_age_s == 3600 && o.jwt.max_token_bytes == 16384 &&
                  !o.jwt.audience && !o.jwt.jwks_file && o.n_bearer_tokens == 0, "defaults");
        wc_auth_options_free(&o);
    }

    const char *jwt_ok = "\"jwt\": {\"issuer\": \"i\", \"hs256_secret\": \"" SECRET "\"";
    char text[1024];
    struct { const char *body; const char *want; } cases[] = {
        {"[]", "auth: expected an object"},
        {"{}", "auth.resource: required: this server's MCP endpoint URL, as clients reach it "
               "(\"https://mcp.example.com/mcp\")"},
        {"{\"resource\": \"https://a/mcp\"}", "auth: no credential is accepted: set auth.bearer_tokens or auth.jwt"},
        {"{\"resource\": \"https://a/mcp\", \"bearer_token\": []}",
         "auth.bearer_token: unknown key (expected one of: resource, resource_name, resource_metadata_url, "
         "authorization_servers, scopes_supported, bearer_tokens, tool_scopes, prompt_scopes, "
         "resource_scopes, jwt)"},
        {"{\"resource\": 5}", "auth.resource: expected a string"},
        {"{\"resource\": \"\"}", "auth.resource: expected a non-empty string"},
        {"{\"resource\": \"ftp://a/mcp\", \"bearer_tokens\": [\"${TOKEN}\"]}",
         "auth.resource: expected an absolute URL starting with https:// (or http://)"},
        {"{\"resource\": \"https://a/mcp#x\", \"bearer_tokens\": [\"${TOKEN}\"]}",
         "auth.resource: the URL must not have a fragment (#...)"},
        {"{\"resource\": \"https://a/mcp?x\", \"bearer_tokens\": [\"${TOKEN}\"]}",
         "auth.resource: the URL must not have a query (?...)"},
        {"{\"resource\": \"https://u:p@a/mcp\", \"bearer_tokens\": [\"${TOKEN}\"]}",
         "auth.resource: the URL must not hold a user name or password"},
        {"{\"resource\": \"https://a/m\\\"cp\", \"bearer_tokens\": [\"${TOKEN}\"]}",
         "auth.resource: the URL has a space, a quote, a backslash or a non-ASCII character"},
        {"{\"resource\": \"https:///mcp\", \"bearer_tokens\": [\"${TOKEN}\"]}", "auth.resource: the URL has no host"},
        {"{\"resource\": \"https://a/mcp\", \"bearer_tokens\": [\"${NOPE}\"]}",
         "auth.bearer_tokens[0]: environment variable NOPE is not set"},
        {"{\"resource\": \"https://a/mcp\", \"bearer_tokens\": \"x\"}",
         "auth.bearer_tokens: expected an array of tokens (strings, or {\"token\": ..., \"subject\": ..., \"scopes\": ...})"},
        {"{\"resource\": \"https://a/mcp\", \"bearer_tokens\": [\"short\"]}",
         "auth.bearer_tokens[0]: a token must have 16 to 4096 characters (generate one: openssl rand -hex 32)"},
        {"{\"resource\": \"https://a/mcp\", \"bearer_tokens\": [\"has a space in it, long\"]}",
         "auth.bearer_tokens[0]: a token may hold letters, digits and - . _ ~ + /, then '=' padding (RFC 7235 token68)"},
        {"{\"resource\": \"https://a/mcp\", \"bearer_tokens\": [\"${TOKEN}\", \"" TOKEN_A "\"]}",
         "auth.bearer_tokens[1]: the same token as auth.bearer_tokens[0]"},
        {"{\"resource\": \"https://a/mcp\", \"bearer_tokens\": [{\"subject\": \"x\"}]}",
         "auth.bearer_tokens[0].token: required"},
        {"{\"resource\": \"https://a/mcp\", \"bearer_tokens\": [{\"token\": \"${TOKEN}\", \"scope\": \"x\"}]}",
         "auth.bearer_tokens[0].scope: unknown key (expected one of: token, subject, scopes)"},
        {"{\"resource\": \"https://a/mcp\", \"bearer_tokens\": [{\"token\": \"${TOKEN}\", \"scopes\": \"a \\\"b\"}]}",
         "auth.bearer_tokens[0].scopes: '\"b' is not a valid scope (printable ASCII without spaces, '\"' or '\\')"},
        {"{\"resource\": \"https://a/mcp\", \"bearer_tokens\": [{\"token\": \"${TOKEN}\", \"scopes\": [\"a b\"]}]}",
         "auth.bearer_tokens[0].scopes[0]: one scope per array item, without spaces"},
        {"{\"resource\": \"https://a/mcp\", \"bearer_tokens\": [7]}",
         "auth.bearer_tokens[0]: expected a string or an object with token, subject, scopes"},
        {"{\"resource\": \"https://a/mcp\", \"bearer_tokens\": [\"${TOKEN}\"], \"tool_scopes\": []}",
         "auth.tool_scopes: expected an object (\"tool name\" or \"*\": \"scope ...\")"},
        {"{\"resource\": \"https://a/mcp\", \"bearer_tokens\": [\"${TOKEN}\"], \"tool_scopes\": {\"calc\": 5}}",
         "auth.tool_scopes.calc: expected scopes: a string (\"read write\") or an array of strings"},
        {"{\"resource\": \"https://a/mcp\", \"bearer_tokens\": [\"${TOKEN}\"], \"tool_scopes\": {\"\": \"a\"}}",
         "auth.tool_scopes: a tool name must not be empty"},
        {"{\"resource\": \"https://a/mcp\", \"bearer_tokens\": [\"${TOKEN}\"], \"prompt_scopes\": []}",
         "auth.prompt_scopes: expected an object (\"prompt name\" or \"*\": \"scope ...\")"},
        {"{\"resource\": \"https://a/mcp\", \"bearer_tokens\": [\"${TOKEN}\"], \"resource_scopes\": {\"\": \"a\"}}",
         "auth.resource_scopes: a plugin name must not be empty"},
        {"{\"resource\": \"https://a/mcp\", \"bearer_tokens\": [\"${TOKEN}\"], \"resource_scopes\": {\"n\": \"a\\\"b\"}}",
         "auth.resource_scopes.n: 'a\"b' is not a valid scope (printable ASCII without spaces, "
         "'\"' or '\\')"},
        {"{\"resource\": \"https://a/mcp\", \"bearer_tokens\": [\"${TOKEN}\"], \"authorization_servers\": \"https://x\"}",
         "auth.authorization_servers: expected an array of strings"},
        {"{\"resource\": \"https://a/mcp\", \"bearer_tokens\": [\"${TOKEN}\"], \"authorization_servers\": [\"x\"]}",
         "auth.authorization_servers[0]: expected an absolute URL starting with https:// (or http://)"},
        {"{\"resource\": \"https://a/mcp\", \"bearer_tokens\": [\"${TOKEN}\"], \"scopes_supported\": [\"a b\"]}",
         "auth.scopes_supported[0]: not a valid scope (printable ASCII without spaces, '\"' or '\\')"},
        {"{\"resource\": \"https://a/mcp\", \"jwt\": []}", "auth.jwt: expected an object"},
        {"{\"resource\": \"https://a/mcp\", \"jwt\": {\"isuer\": \"x\"}}",
         "auth.jwt.isuer: unknown key (expected one of: issuer, audience, jwks_url, jwks_file, hs256_secret, leeway_s, "
         "jwks_timeout_ms, jwks_max_bytes, jwks_refresh_min_s, jwks_max_age_s, max_token_bytes)"},
        {"{\"resource\": \"https://a/mcp\", \"jwt\": {\"jwks_url\": \"https://a/jwks\"}}",
         "auth.jwt.issuer: required: the `iss` of the tokens to accept, the authorization server's issuer identifier"},
        {"{\"resource\": \"https://a/mcp\", \"jwt\": {\"issuer\": \"i\"}}",
         "auth.jwt: no keys to verify tokens with: set jwks_url, jwks_file or hs256_secret"},
        {"{\"resource\": \"https://a/mcp\", \"jwt\": {\"issuer\": \"i\", \"jwks_url\": \"https://a/j\", \"jwks_file\": \"j\"}}",
         "auth.jwt: set jwks_file or jwks_url, not both"},
        {"{\"resource\": \"https://a/mcp\", \"jwt\": {\"issuer\": \"i\", \"jwks_url\": \"file:///etc/jwks\"}}",
         "auth.jwt.jwks_url: expected an absolute URL starting with https:// (or http://)"},
        {"{\"resource\": \"https://a/mcp\", \"jwt\": {\"issuer\": \"i\", \"hs256_secret\": \"short\"}}",
         "auth.jwt.hs256_secret: must have at least 32 bytes (RFC 7518 section 3.2)"},
        {"{\"resource\": \"https://a/mcp\", %s, \"leeway_s\": 601}}", "auth.jwt.leeway_s: expected an integer from 0 to 600"},
        {"{\"resource\": \"https://a/mcp\", %s, \"leeway_s\": -1}}", "auth.jwt.leeway_s: expected an integer from 0 to 600"},
        {"{\"resource\": \"https://a/mcp\", %s, \"leeway_s\": \"60\"}}", "auth.jwt.leeway_s: expected an integer from 0 to 600"},
        {"{\"resource\": \"https://a/mcp\", %s, \"jwks_timeout_ms\": 50}}",
         "auth.jwt.jwks_timeout_ms: expected a duration in milliseconds from 100 to 60000"},
        {"{\"resource\": \"https://a/mcp\", %s, \"jwks_max_bytes\": \"1GiB\"}}",
         "auth.jwt.jwks_max_bytes: must be between 1KiB and 64MiB"},
        {"{\"resource\": \"https://a/mcp\", %s, \"jwks_max_bytes\": \"lots\"}}",
         "auth.jwt.jwks_max_bytes: 'lots' is not a positive size (examples: 4096, \"64K\", \"16MiB\", \"1G\")"},
        {"{\"resource\": \"https://a/mcp\", %s, \"max_token_bytes\": \"1MiB\"}}",
         "auth.jwt.max_token_bytes: must be between 1KiB and 64KiB"},
        {"{\"resource\": \"https://a/mcp\", %s, \"max_token_bytes\": true}}",
         "auth.jwt.max_token_bytes: expected a size (an integer or a string such as \"64MiB\")"},
        {"{\"resource\": \"https://a/mcp\", %s, \"audience\": \"\"}}", "auth.jwt.audience: expected a non-empty string"},
        {"{\"resource\": \"https://a/mcp\", %s, \"jwks_refresh_min_s\": 86401}}",
         "auth.jwt.jwks_refresh_min_s: expected an integer from 0 to 86400"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text, sizeof text, cases[i].body, jwt_ok);
        parse_bad(text, cases[i].want);
    }

    /* wc_auth_new checks a struct filled by hand with the same rules. */
    wc_auth_options_init(&o);
    o.resource = RESOURCE;
    o.jwt.issuer = ISSUER;
    o.jwt.jwks_file = "/nonexistent/jwks.json";
    wc_auth *auth = NULL;
    CHECK(wc_auth_new(&o, &auth, &err) == WC_ENOENT && err.code == WC_ENOENT &&
              strcmp(err.msg, "auth.jwt.jwks_file: /nonexistent/jwks.json: No such file or directory") == 0,
          "missing JWKS file: %s", err.msg);
    o.jwt.jwks_file = NULL;
    o.jwt.leeway_s = 1000;
    o.jwt.hs256_secret = SECRET;
    CHECK(wc_auth_new(&o, &auth, &err) == WC_EINVAL &&
              strcmp(err.msg, "auth.jwt.leeway_s: expected an integer from 0 to 600") == 0, "leeway: %s", err.msg);
    CHECK(auth == NULL, "no authorizer on error");
}

/* ---- JWKS over HTTP ---------------------------------------------------- */

static struct {
    int fd, port;
    pthread_t thread;
    atomic_bool stop;
    atomic_int jwks_requests;
    pthread_mutex_t lock;
    char *jwks;     /* body of /jwks.json */
    int jwks_status;
} server;

static void send_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
}

static void respond(int fd, int status, const char *body, size_t len)
{
    char head[256];
    int n = snprintf(head, sizeof head, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                                        "Connection: close\r\n\r\n", status, len);
    send_all(fd, head, (size_t)n);
    send_all(fd, body, len);
}

static void serve_one(int fd)
{
    char req[4096];
    if (!test_read_request_head(fd, req, sizeof req) && !req[0])
        return;
    char path[256] = "";
    sscanf(req, "GET %255s", path);
    if (strcmp(path, "/jwks.json") == 0) {
        atomic_fetch_add(&server.jwks_requests, 1);
        pthread_mutex_lock(&server.lock);
        char *body = strdup(server.jwks ? server.jwks : "{}");
        int status = server.jwks_status;
        pthread_mutex_unlock(&server.lock);
        respond(fd, status, body, strlen(body));
        free(body);
    } else if (strcmp(path, "/big") == 0) {
        /* Chunked, so only the running count can stop it. */
        const char *head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        send_all(fd, head, strlen(head));
        char chunk[1000];
        memset(chunk, ' ', sizeof chunk);
        for (int i = 0; i < 10; i++) {
            send_all(fd, "3e8\r\n", 5);
            send_all(fd, chunk, sizeof chunk);
            send_all(fd, "\r\n", 2);
        }
        send_all(fd, "0\r\n\r\n", 5);
    } else if (strcmp(path, "/big-length") == 0) {
        char body[5000];
        memset(body, ' ', sizeof body);
        respond(fd, 200, body, sizeof body);
    } else if (strcmp(path, "/slow") == 0) {
        /* Answers after 3 s, or not at all once the client has hung up. */
        for (int i = 0; i < 150 && !atomic_load(&server.stop); i++) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            if (poll(&p, 1, 20) > 0)
                return;
        }
        respond(fd, 200, "{}", 2);
    } else if (strcmp(path, "/redirect") == 0) {
        const char *r = "HTTP/1.1 302 Found\r\nLocation: /jwks.json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        send_all(fd, r, strlen(r));
    } else {
        respond(fd, 404, "not found", 9);
    }
}

static void *server_main(void *arg)
{
    while (!atomic_load(&server.stop)) {
        struct pollfd p = {.fd = server.fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(server.fd, NULL, NULL);
        if (c < 0)
            continue;
        serve_one(c);
        shutdown(c, SHUT_WR);
        close(c);
    }
    return NULL;
}

static bool server_start(void)
{
    pthread_mutex_init(&server.lock, NULL);
    server.jwks_status = 200;
    server.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof addr;
    if (server.fd < 0 || bind(server.fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(server.fd, 64) != 0 || getsockname(server.fd, (struct sockaddr *)&addr, &alen) != 0) {
        printf("FAIL: cannot start the HTTP server: %s\n", strerror(errno));
        failures++;
        return false;
    }
    server.port = ntohs(addr.sin_port);
    pthread_create(&server.thread, NULL, server_main, NULL);
    return true;
}

static void server_stop(void)
{
    atomic_store(&server.stop, true);
    pthread_join(server.thread, NULL);
    close(server.fd);
    free(server.jwks);
    pthread_mutex_destroy(&server.lock);
}

static void server_serve(const test_key *const *keys, size_t n, int status)
{
    char *text = jwks_text(keys, n);
    pthread_mutex_lock(&server.lock);
    free(server.jwks);
    server.jwks = text;
    server.jwks_status = status;
    pthread_mutex_unlock(&server.lock);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

typedef struct racer {
    wc_auth *auth;
    const char *token;
    pthread_barrier_t *start;
    int status;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    pthread_barrier_wait(r->start);
    wc_auth_result res;
    authenticate_token(r->auth, r->token, &res);
    r->status = res.http_status;
    wc_auth_result_free(&res);
    return NULL;
}

static void test_jwks_http(void)
{
    if (!server_start())
        return;
    char url[256];
    wc_error err;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/jwks.json", server.port);

    /* The fetcher's limits. */
    char *body = NULL;
    size_t len = 0;
    char other[256], want[512];
    snprintf(other, sizeof other, "http://127.0.0.1:%d/big", server.port);
    CHECK(wc_jwks_fetch_url(other, 2000, 4096, &body, &len, &err) == WC_ETOOBIG && !body, "big accepted");
    snprintf(want, sizeof want, "%s: the key set is larger than 4096 bytes (auth.jwt.jwks_max_bytes)", other);
    CHECK(strcmp(err.msg, want) == 0, "big: %s", err.msg);
    snprintf(other, sizeof other, "http://127.0.0.1:%d/big-length", server.port);
    CHECK(wc_jwks_fetch_url(other, 2000, 4096, &body, &len, &err) == WC_ETOOBIG, "big by length accepted");
    snprintf(want, sizeof want, "%s: the key set is larger than 4096 bytes (auth.jwt.jwks_max_bytes)", other);
    CHECK(strcmp(err.msg, want) == 0, "big by length: %s", err.msg);
    snprintf(other, sizeof other, "http://127.0.0.1:%d/slow", server.port);
    CHECK(wc_jwks_fetch_url(other, 300, 4096, &body, &len, &err) == WC_ETIMEDOUT, "slow accepted");
    snprintf(want, sizeof want, "%s: no complete answer within 300 ms (auth.jwt.jwks_timeout_ms)", other);
    CHECK(strcmp(err.msg, want) == 0, "slow: %s", err.msg);
    snprintf(other, sizeof other, "http://127.0.0.1:%d/missing", server.port);
    CHECK(wc_jwks_fetch_url(other, 2000, 4096, &body, &len, &err) == WC_EIO, "404 accepted");
    snprintf(want, sizeof want, "%s: HTTP status 404", other);
    CHECK(strcmp(err.msg, want) == 0, "404: %s", err.msg);
    server_serve((const test_key *[]){&rsa_a}, 1, 200);
    snprintf(other, sizeof other, "http://127.0.0.1:%d/redirect", server.port);
    CHECK(wc_jwks_fetch_url(other, 2000, 65536, &body, &len, &err) == 0 && len > 100 &&
              strstr(body, "\"kid\":\"rsa-a\""), "redirect followed: %s", err.msg);
    free(body);

    /* An authorizer on the URL: one fetch at start. */
    atomic_store(&server.jwks_requests, 0);
    wc_auth_options o;
    wc_auth_options_init(&o);
    o.resource = RESOURCE;
    o.jwt.issuer = ISSUER;
    o.jwt.jwks_url = url;
    o.jwt.jwks_refresh_min_s = 1;
    o.jwt.jwks_timeout_ms = 2000;
    wc_auth *auth = new_auth(&o);
    if (!auth) {
        server_stop();
        return;
    }
    CHECK(atomic_load(&server.jwks_requests) == 1, "one fetch at start: %d", atomic_load(&server.jwks_requests));
    char *c = claims(3600, "");
    char *token_a = sign_jwt(JWT_ALG_RS256, &rsa_a, "rsa-a", c);
    char *token_b = sign_jwt(JWT_ALG_RS256, &rsa_b, "rsa-b", c);
    char *token_ec = sign_jwt(JWT_ALG_ES256, &ec256, "ec-256", c);
    EXPECT_OK(auth, token_a, "key A from the URL");
    EXPECT_OK(auth, token_a, "key A again");
    CHECK(atomic_load(&server.jwks_requests) == 1, "known kids fetch nothing");

    /* Rotation: B is published; within the minimum interval an unknown kid
     * fetches nothing. */
    server_serve((const test_key *[]){&rsa_a, &rsa_b}, 2, 200);
    EXPECT_401(auth, token_b, WC_AUTH_UNKNOWN_KID, "kid B before the interval has passed");
    CHECK(atomic_load(&server.jwks_requests) == 1, "rate limited: %d", atomic_load(&server.jwks_requests));
    sleep_ms(1100);
    EXPECT_OK(auth, token_b, "kid B after a refresh");
    CHECK(atomic_load(&server.jwks_requests) == 2, "one refresh: %d", atomic_load(&server.jwks_requests));
    EXPECT_OK(auth, token_a, "key A still there");
    char *token_x = sign_jwt(JWT_ALG_RS256, &rsa_a, "nobody", c);
    EXPECT_401(auth, token_x, WC_AUTH_UNKNOWN_KID, "an unknown kid right after a refresh");
    EXPECT_401(auth, token_x, WC_AUTH_UNKNOWN_KID, "and again");
    CHECK(atomic_load(&server.jwks_requests) == 2, "no fetch storm: %d", atomic_load(&server.jwks_requests));

    /* The server fails: a key we hold still works, one we lack is 503. */
    sleep_ms(1100);
    server_serve((const test_key *[]){&rsa_a}, 1, 500);
    wc_auth_result r;
    authenticate_token(auth, token_ec, &r);
    CHECK(r.http_status == 503 && r.reason == WC_AUTH_KEYS_UNAVAILABLE && !r.www_authenticate,
          "JWKS down: %d %s", r.http_status, r.detail);
    snprintf(want, sizeof want, "no key for the token, and the JWKS cannot be loaded: %s: HTTP status 500", url);
    CHECK(strcmp(r.detail, want) == 0, "503 detail: %s", r.detail);
    wc_auth_result_free(&r);
    CHECK(atomic_load(&server.jwks_requests) == 3, "one failed fetch: %d", atomic_load(&server.jwks_requests));
    EXPECT_OK(auth, token_b, "the cached set survives a failed fetch");
    CHECK(wc_auth_refresh_keys(auth, &err) == WC_EIO && strstr(err.msg, "HTTP status 500"), "forced refresh: %s", err.msg);
    EXPECT_OK(auth, token_a, "after a failed forced refresh");

    /* Back up: many threads meet the new kid at once; one fetch serves all. */
    server_serve((const test_key *[]){&rsa_a, &rsa_b, &ec256}, 3, 200);
    sleep_ms(1100);
    int before = atomic_load(&server.jwks_requests);
    enum { RACERS = 8 };
    pthread_t threads[RACERS];
    racer racers[RACERS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, RACERS);
    for (int i = 0; i < RACERS; i++) {
        racers[i] = (racer){auth, token_ec, &start, 0};
        pthread_create(&threads[i], NULL, race, &racers[i]);
    }
    int ok = 0;
    for (int i = 0; i < RACERS; i++) {
        pthread_join(threads[i], NULL);
        ok += racers[i].status == 200;
    }
    pthread_barrier_destroy(&start);
    CHECK(ok == RACERS, "racers accepted: %d of %d", ok, RACERS);
    CHECK(atomic_load(&server.jwks_requests) == before + 1, "one fetch for %d racers: %d", RACERS,
          atomic_load(&server.jwks_requests) - before);
    CHECK(wc_auth_refresh_keys(auth, &err) == 0, "forced refresh: %s", err.msg);
    wc_auth_free(auth);

    /* Max age: a withdrawn key stops working once the set is stale. */
    o.jwt.jwks_max_age_s = 1;
    o.jwt.jwks_refresh_min_s = 0;
    auth = new_auth(&o);
    EXPECT_OK(auth, token_a, "A before withdrawal");
    server_serve((const test_key *[]){&rsa_b}, 1, 200);
    EXPECT_OK(auth, token_a, "A while the set is fresh");
    sleep_ms(1100);
    EXPECT_401(auth, token_a, WC_AUTH_UNKNOWN_KID, "A after the stale set was refetched");
    EXPECT_OK(auth, token_b, "B in the new set");
    wc_auth_free(auth);

    /* Down at start: the server starts anyway and answers 503.  The port
     * was just free and nothing listens on it. */
    int probe = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof addr;
    bind(probe, (struct sockaddr *)&addr, sizeof addr);
    getsockname(probe, (struct sockaddr *)&addr, &alen);
    close(probe);
    char dead[128];
    snprintf(dead, sizeof dead, "http://127.0.0.1:%d/jwks.json", ntohs(addr.sin_port));
    o.jwt.jwks_url = dead;
    o.jwt.jwks_timeout_ms = 500;
    auth = new_auth(&o);
    if (auth) {
        EXPECT(auth, token_a, 503, WC_AUTH_KEYS_UNAVAILABLE, "no keys ever loaded");
        CHECK(wc_auth_refresh_keys(auth, &err) < 0, "refresh of a dead URL");
        wc_auth_free(auth);
    }
    free(token_a);
    free(token_b);
    free(token_ec);
    free(token_x);
    free(c);
    server_stop();
}

/* ---- a JWKS file that changes ------------------------------------------ */

static void test_jwks_file_reload(void)
{
    char path[512];
    wc_error err;
    snprintf(path, sizeof path, "%s/rotating.json", tmpdir);
    char *set = jwks_text((const test_key *[]){&ec256}, 1);
    write_text(path, set);
    free(set);
    wc_auth_options o;
    wc_auth *auth = jwks_file_auth(path, &o);
    if (!auth)
        return;
    char *c = claims(3600, "");
    char *t = sign_jwt(JWT_ALG_ES256, &ec256_b, "ec-256-b", c);
    EXPECT_401(auth, t, WC_AUTH_UNKNOWN_KID, "before the file has the key");
    set = jwks_text((const test_key *[]){&ec256, &ec256_b}, 2);
    write_text(path, set);
    free(set);
    EXPECT_OK(auth, t, "the file is reread for an unknown kid");
    /* A broken file: the cached set stays. */
    write_text(path, "{\"keys\": [");
    CHECK(wc_auth_refresh_keys(auth, &err) == WC_EINVAL && strstr(err.msg, "not a JWK Set"), "broken: %s", err.msg);
    EXPECT_OK(auth, t, "cached set kept");
    free(t);
    free(c);
    wc_auth_free(auth);
}

/* ---- threads ----------------------------------------------------------- */

typedef struct worker {
    wc_auth *auth;
    char *tokens[3];
    int bad;
} worker;

static void *hammer(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 200; i++) {
        wc_auth_result r;
        authenticate_token(w->auth, w->tokens[i % 3], &r);
        int want = i % 3 == 2 ? 401 : 200;
        w->bad += r.http_status != want;
        wc_auth_result_free(&r);
    }
    return NULL;
}

static void test_threads(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/threads.json", tmpdir);
    char *set = jwks_text((const test_key *[]){&rsa_a, &ec256}, 2);
    write_text(path, set);
    free(set);
    wc_auth_options o;
    wc_auth_options_init(&o);
    o.resource = RESOURCE;
    o.jwt.issuer = ISSUER;
    o.jwt.jwks_file = path;
    o.jwt.jwks_refresh_min_s = 0;
    wc_auth_static_token tokens[] = {{TOKEN_A, NULL, NULL}};
    o.bearer_tokens = tokens;
    o.n_bearer_tokens = 1;
    wc_auth *auth = new_auth(&o);
    if (!auth)
        return;
    char *c = claims(3600, "");
    enum { WORKERS = 6 };
    worker w[WORKERS];
    pthread_t th[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        w[i] = (worker){auth, {NULL, NULL, NULL}, 0};
        w[i].tokens[0] = i % 2 ? sign_jwt(JWT_ALG_ES256, &ec256, "ec-256", c) : strdup(TOKEN_A);
        w[i].tokens[1] = sign_jwt(JWT_ALG_RS256, &rsa_a, "rsa-a", c);
        w[i].tokens[2] = sign_jwt(JWT_ALG_RS256, &rsa_a, "unknown", c); /* rereads the file every time */
        pthread_create(&th[i], NULL, hammer, &w[i]);
    }
    int bad = 0;
    for (int i = 0; i < WORKERS; i++) {
        pthread_join(th[i], NULL);
        bad += w[i].bad;
        for (int j = 0; j < 3; j++)
            free(w[i].tokens[j]);
    }
    CHECK(bad == 0, "%d wrong answers under threads", bad);
    free(c);
    wc_auth_free(auth);
}

int main(void)
{
    /* Proxies from the environment must not carry requests to 127.0.0.1. */
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("https_proxy");
    unsetenv("HTTPS_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    wc_log_set_level(WC_LOG_ERROR);
    if (wc_make_temp_dir(tmpdir, sizeof tmpdir, "wc-auth-test") != 0) {
        printf("FAIL: temp dir\n");
        return 1;
    }
    now_s = (long)time(NULL);
    make_key(&rsa_a, "rsa-a", NULL);
    make_key(&rsa_b, "rsa-b", NULL);
    make_key(&ec256, "ec-256", "P-256");
    make_key(&ec384, "ec-384", "P-384");
    make_key(&ec256_b, "ec-256-b", "P-256");

    test_base64url();
    test_bearer();
    test_jwt_signatures();
    test_jwt_claims();
    test_hs256();
    test_principal_ids();
    test_jwk_parsing();
    test_scopes();
    test_metadata();
    test_config();
    test_jwks_file_reload();
    test_jwks_http();
    test_threads();

    free_key(&rsa_a);
    free_key(&rsa_b);
    free_key(&ec256);
    free_key(&ec384);
    free_key(&ec256_b);
    wc_remove_dir(tmpdir);
    if (failures) {
        printf("%d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test_auth: all %d checks passed\n", checks);
    return 0;
}
