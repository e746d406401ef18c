/* internal.h -- what the files of src/auth share; nothing outside uses it
 * (tests excepted). */
#ifndef WC_AUTH_INTERNAL_H
#define WC_AUTH_INTERNAL_H

#include <openssl/evp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "util/base64url.h"

#define WC_AUTH_DIGEST_LEN 32 /* SHA-256 */

/* ---- algorithms (signature.c) ------------------------------------------ */

typedef enum wc_jws_family {
    WC_JWS_HMAC,
    WC_JWS_RSA_PKCS1, /* RS* */
    WC_JWS_RSA_PSS,   /* PS* */
    WC_JWS_ECDSA,     /* ES* */
} wc_jws_family;

typedef struct wc_jws_alg {
    const char *name;   /* "RS256" */
    wc_jws_family family;
    const char *digest; /* OpenSSL digest name */
    const char *curve;  /* ES*: the OpenSSL group name the key must be on */
    size_t coord_len;   /* ES*: bytes of r and of s in the signature */
    int libjwt_alg;     /* jwt_alg_t, or -1 when libjwt 1.10 cannot verify it */
} wc_jws_alg;

/* The algorithm named exactly `name` (case-sensitive, RFC 7518), or NULL
 * ("none", HS384, anything unknown). */
const wc_jws_alg *wc_jws_alg_find(const char *name);

/* ---- jwk.c: JSON Web Keys ---------------------------------------------- */

typedef struct wc_jwk {
    char *kid;       /* NULL when the key has none */
    char *alg;       /* the key's "alg", NULL when absent */
    bool is_rsa;     /* else EC */
    const char *curve; /* EC: "prime256v1", "secp384r1" or "secp521r1" */
    EVP_PKEY *pkey;
    char *pem;       /* SubjectPublicKeyInfo PEM, what libjwt takes */
    size_t pem_len;
} wc_jwk;

/* An immutable set of keys, shared by reference count between the cache
 * and the validations that use it while it is being replaced. */
typedef struct wc_jwk_set {
    atomic_int refs;
    wc_jwk *keys;
    size_t n;
} wc_jwk_set;

/* Parses a JWK Set (RFC 7517 section 5).  Keys that are not signature keys
 * (use other than "sig", key_ops without "verify") or of other types
 * ("oct", "OKP") are skipped; RSA and EC keys with bad material are skipped
 * with a warning naming `origin`.  A set without a usable key is an error.
 * Returns 0 with *out (one reference), or a WC_E* code with a message. */
int wc_jwk_set_parse(const char *text, size_t len, const char *origin, wc_jwk_set **out, wc_error *err);
/* Converts one JWK object to a key.  Returns 0, 1 when it is not a
 * signature key of a supported type (skipped quietly), or a WC_E* code with a
 * message. */
int wc_jwk_parse(const json_t *jwk, wc_jwk *out, wc_error *err);
void wc_jwk_clear(wc_jwk *key);
void wc_jwk_set_ref(wc_jwk_set *set);
void wc_jwk_set_unref(wc_jwk_set *set);
/* Whether key can verify alg (key type, curve, the key's own "alg").
 * When not, why says so. */
bool wc_jwk_fits(const wc_jwk *key, const wc_jws_alg *alg, wc_error *why);

/* ---- jwks.c: the key cache --------------------------------------------- */

typedef struct wc_jwks wc_jwks;

typedef enum wc_jwks_lookup_result {
    WC_JWKS_FOUND,
    WC_JWKS_NO_KEY,      /* no fitting key, even after a refresh (or none was due) */
    WC_JWKS_UNAVAILABLE, /* no key, and the last fetch failed: the key may exist */
} wc_jwks_lookup_result;

/* Loads the set once; a file that cannot be read is an error, a URL that
 * cannot be fetched is logged and retried later. */
int wc_jwks_new(const wc_auth_jwt_options *opts, wc_jwks **out, wc_error *err);
void wc_jwks_free(wc_jwks *jwks);
/* Finds the key for (kid, alg); kid NULL means "the only key that fits
 * alg".  Refetches when the key is missing or the set is stale, within the
 * configured intervals.  On FOUND, *set holds a reference the caller drops
 * with wc_jwk_set_unref and *key points into it.  detail gets a sentence
 * otherwise. */
wc_jwks_lookup_result wc_jwks_lookup(wc_jwks *jwks, const char *kid, const wc_jws_alg *alg,
                                     wc_jwk_set **set, const wc_jwk **key, char *detail,
                                     size_t detail_size);
/* Fetches now; waits for a fetch already under way instead of starting a
 * second one. */
int wc_jwks_refresh(wc_jwks *jwks, wc_error *err);
/* Fetches the body of an http(s) URL (libcurl): status 200 only, at most
 * max_bytes (decoded), within timeout_ms, redirects (at most 3) only to
 * http(s).  Returns 0 with *body malloc'ed (NUL-terminated), or a WC_E* code with a message. */
int wc_jwks_fetch_url(const char *url, unsigned timeout_ms, size_t max_bytes, char **body,
                      size_t *len, wc_error *err);

/* ---- signature.c ------------------------------------------------------- */

/* Verifies the JWS signature of `token` (NUL-terminated compact form:
 * signing input of signing_input_len bytes, '.', base64url signature) with
 * key (asymmetric algorithms) or secret (HMAC).  libjwt verifies what it
 * can (`use_libjwt`: typ absent or "JWT", and an algorithm libjwt 1.10
 * knows); OpenSSL's EVP verifies the rest (typ "at+jwt" of RFC 9068, which
 * libjwt 1.10 refuses, and PS256/384/512, which it lacks).  Returns 0 when
 * the signature is valid, -1 with a detail otherwise. */
int wc_jws_verify(const char *token, size_t signing_input_len, const wc_jws_alg *alg,
                  const wc_jwk *key, const uint8_t *secret, size_t secret_len, bool use_libjwt,
                  char *detail, size_t detail_size);

/* ---- scopes.c ---------------------------------------------------------- */

/* Whether s is a scope-token (RFC 6749 section 3.3: 1*( %x21 / %x23-5B /
 * %x5D-7E )). */
bool wc_scope_token_ok(const char *s, size_t len);
/* Normalizes a space-separated scope list: single spaces, each scope once,
 * in the order given.  Returns a malloc'ed string ("" for none), or NULL
 * with a message when a scope has a character RFC 6749 does not allow. */
char *wc_scopes_normalize(const char *list, wc_error *err);
/* Adds each scope of the space-separated list to p (each once). */
int wc_principal_add_scopes(wc_auth_principal *p, const char *list, size_t len);
/* Fills p->id from who vouches for p (method "static" or "jwt", the issuer
 * or NULL), the claim the subject came from ("sub", "client_id", or NULL)
 * and the subject. */
void wc_principal_set_id(wc_auth_principal *p, const char *method, const char *issuer,
                         const char *claim, const char *subject);

/* ---- challenge.c ------------------------------------------------------- */

/* Fills *out for a failure: the HTTP status, the WWW-Authenticate value
 * (scope is the scope attribute, NULL for none) and the detail. */
void wc_auth_fail(const wc_auth *auth, wc_auth_reason reason, const char *scope, const char *detail,
                  wc_auth_result *out);

/* ---- the authorizer ---------------------------------------------------- */

struct wc_auth {
    wc_auth_options opts;     /* a private, checked copy */
    const char *audience;     /* opts.jwt.audience, else opts.resource */
    bool jwt_enabled;
    uint8_t (*token_digests)[WC_AUTH_DIGEST_LEN]; /* one per bearer token */
    char **token_subjects;    /* one per bearer token, never NULL */
    wc_jwks *jwks;            /* NULL without jwks_file or jwks_url */
    char *metadata_url;
    char *metadata_path;      /* the path of metadata_url */
    char *metadata_json;
    const char *default_scopes; /* the "*" entry of tool_scopes, "" when none */
    const char *table_defaults[WC_AUTH_TARGETS]; /* each table's "*" entry, or NULL */
};

/* jwt.c: validates a JWT-shaped token (two dots); fills p on OK. */
wc_auth_reason wc_jwt_validate(wc_auth *auth, const char *token, size_t len, wc_auth_principal *p,
                               char *detail, size_t detail_size);
/* bearer.c: the index of the configured token equal to token[0..len), or -1;
 * the time taken depends only on len and the number of configured tokens. */
long wc_bearer_match(const wc_auth *auth, const char *token, size_t len);
/* bearer.c: splits "Bearer <token68>"; returns the reason (OK, MISSING_TOKEN
 * or MALFORMED_HEADER) and the token's place in header. */
wc_auth_reason wc_bearer_parse_header(const char *header, const char **token, size_t *len,
                                      char *detail, size_t detail_size);
/* metadata.c: fills metadata_url, metadata_path and metadata_json. */
int wc_auth_build_metadata(wc_auth *auth, wc_error *err);
/* options.c: a deep copy of src into *dst. */
int wc_auth_options_copy(const wc_auth_options *src, wc_auth_options *dst);
/* Copies s[0..len) for a log line: printable ASCII kept, others as '?',
 * at most out_size-1 bytes, "..." when cut. */
void wc_auth_printable(char *out, size_t out_size, const char *s, size_t len);

#endif
