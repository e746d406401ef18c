/* jwt.c -- validating a JWT access token (RFC 7519, RFC 9068, RFC 8725).
 *
 * The order matters for safety: the header is read first (by us, strictly)
 * to choose the algorithm and the key; the signature is verified (by
 * libjwt, or OpenSSL for what libjwt 1.10 lacks) before any claim is
 * believed; then iss, aud, exp, nbf and iat are checked and the scopes
 * read.  libjwt is never handed a token whose algorithm we have not vetted
 * against the key: "none" is refused, HS256 needs the configured secret
 * (an RSA key's PEM must never serve as an HMAC secret), and an RSA or EC
 * key must match the algorithm.
 *
 * Tokens are bounded (max_token_bytes) before anything is decoded, since
 * libjwt 1.10 decodes on the stack.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/internal.h"

/* Decodes one base64url segment holding a JSON object. */
static json_t *decode_segment(const char *b64, size_t len)
{
    size_t n = 0;
    uint8_t *bytes = wc_b64url_decode(b64, len, &n);
    if (!bytes)
        return NULL;
    /* Duplicate names are refused: libjwt's parser keeps the last one, and
     * we must read exactly what it verified. */
    json_t *obj = json_loadb((const char *)bytes, n, JSON_REJECT_DUPLICATES, NULL);
    free(bytes);
    if (obj && !json_is_object(obj)) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static const char *printable(char *buf, size_t size, const char *s)
{
    wc_auth_printable(buf, size, s, strlen(s));
    return buf;
}

/* An optional string claim: 0 (absent: *out NULL), -1 when of another type. */
static int string_claim(const json_t *claims, const char *name, const char **out)
{
    const json_t *v = json_object_get(claims, name);
    *out = json_string_value(v);
    return v && !*out ? -1 : 0;
}

/* An optional NumericDate: 0 (absent: *present false), -1 when not a number. */
static int date_claim(const json_t *claims, const char *name, double *out, bool *present)
{
    const json_t *v = json_object_get(claims, name);
    *present = v != NULL;
    if (!v)
        return 0;
    if (!json_is_number(v) || !isfinite(json_number_value(v)))
        return -1;
    *out = json_number_value(v);
    return 0;
}

static bool audience_matches(const json_t *aud, const char *audience)
{
    if (json_is_string(aud))
        return strcmp(json_string_value(aud), audience) == 0;
    size_t i;
    const json_t *v;
    json_array_foreach(aud, i, v)
        if (json_is_string(v) && strcmp(json_string_value(v), audience) == 0)
            return true;
    return false;
}

static wc_auth_reason check_claims(const wc_auth *auth, const json_t *claims, wc_auth_principal *p,
                                   char *detail, size_t detail_size)
{
    char shown[100], shown2[100];
    const char *iss;
    if (string_claim(claims, "iss", &iss) || !iss) {
        snprintf(detail, detail_size, "the token has no iss (string) claim");
        return WC_AUTH_WRONG_ISSUER;
    }
    if (strcmp(iss, auth->opts.jwt.issuer) != 0) {
        snprintf(detail, detail_size, "iss '%s' is not the configured issuer '%s'",
                 printable(shown, sizeof shown, iss), printable(shown2, sizeof shown2, auth->opts.jwt.issuer));
        return WC_AUTH_WRONG_ISSUER;
    }
    const json_t *aud = json_object_get(claims, "aud");
    if (!aud) {
        snprintf(detail, detail_size, "the token has no aud claim");
        return WC_AUTH_WRONG_AUDIENCE;
    }
    if (!audience_matches(aud, auth->audience)) {
        snprintf(detail, detail_size, "aud does not contain '%s'",
                 printable(shown, sizeof shown, auth->audience));
        return WC_AUTH_WRONG_AUDIENCE;
    }

    double exp = 0, nbf = 0, iat = 0;
    bool has_exp, has_nbf, has_iat;
    if (date_claim(claims, "exp", &exp, &has_exp) || date_claim(claims, "nbf", &nbf, &has_nbf) ||
        date_claim(claims, "iat", &iat, &has_iat)) {
        snprintf(detail, detail_size, "exp, nbf and iat must be numbers (seconds since 1970)");
        return WC_AUTH_INVALID_CLAIMS;
    }
    if (!has_exp) {
        /* An access token that never expires cannot be revoked by time. */
        snprintf(detail, detail_size, "the token has no exp claim");
        return WC_AUTH_INVALID_CLAIMS;
    }
    double now = (double)time(NULL), leeway = auth->opts.jwt.leeway_s;
    if (now >= exp + leeway) {
        snprintf(detail, detail_size, "expired %.0f s ago (exp %.0f, leeway %.0f s)", now - exp, exp, leeway);
        return WC_AUTH_EXPIRED;
    }
    if (has_nbf && now + leeway < nbf) {
        snprintf(detail, detail_size, "valid only in %.0f s (nbf %.0f, leeway %.0f s)", nbf - now, nbf, leeway);
        return WC_AUTH_NOT_YET_VALID;
    }
    if (has_iat && now + leeway < iat) {
        snprintf(detail, detail_size, "issued %.0f s in the future (iat %.0f, leeway %.0f s)", iat - now, iat,
                 leeway);
        return WC_AUTH_NOT_YET_VALID;
    }

    const char *sub, *client_id, *azp, *scope;
    if (string_claim(claims, "sub", &sub) || string_claim(claims, "client_id", &client_id) ||
        string_claim(claims, "azp", &azp) || string_claim(claims, "scope", &scope)) {
        snprintf(detail, detail_size, "sub, client_id, azp and scope must be strings");
        return WC_AUTH_INVALID_CLAIMS;
    }
    /* `scope` is RFC 8693/9068's space-separated string; `scp` is what
     * several servers send instead: an array (Okta) or a string (Entra ID). */
    const json_t *scp = json_object_get(claims, "scp");
    if (scp && !json_is_string(scp) && !json_is_array(scp)) {
        snprintf(detail, detail_size, "scp must be a string or an array of strings");
        return WC_AUTH_INVALID_CLAIMS;
    }
    size_t i;
    const json_t *item;
    json_array_foreach(scp, i, item) {
        if (!json_is_string(item)) {
            snprintf(detail, detail_size, "scp must be a string or an array of strings");
            return WC_AUTH_INVALID_CLAIMS;
        }
    }

    p->kind = WC_AUTH_KIND_JWT;
    p->expires_at = exp >= 9.2e18 ? INT64_MAX : (int64_t)exp;
    const char *who = sub ? sub : client_id ? client_id : "";
    const char *client = client_id ? client_id : azp;
    bool oom = !(p->subject = strdup(who)) || !(p->issuer = strdup(iss)) ||
               (client && !(p->client_id = strdup(client)));
    if (!oom)
        wc_principal_set_id(p, "jwt", iss, sub ? "sub" : client_id ? "client_id" : NULL, who);
    if (!oom && scope)
        oom = wc_principal_add_scopes(p, scope, strlen(scope)) != 0;
    if (!oom && json_is_string(scp))
        oom = wc_principal_add_scopes(p, json_string_value(scp), json_string_length(scp)) != 0;
    json_array_foreach(scp, i, item) {
        if (!oom)
            oom = wc_principal_add_scopes(p, json_string_value(item), json_string_length(item)) != 0;
    }
    if (oom) {
        snprintf(detail, detail_size, "out of memory");
        return WC_AUTH_INTERNAL_ERROR;
    }
    return WC_AUTH_OK;
}

/* The accepted "typ" values (RFC 9068 section 2.1; RFC 7515 section 4.1.9
 * allows omitting "application/"). */
static bool typ_ok(const char *typ)
{
    return strcasecmp(typ, "JWT") == 0 || strcasecmp(typ, "at+jwt") == 0 ||
           strcasecmp(typ, "application/at+jwt") == 0;
}

wc_auth_reason wc_jwt_validate(wc_auth *auth, const char *token, size_t len, wc_auth_principal *p,
                               char *detail, size_t detail_size)
{
    const wc_auth_jwt_options *o = &auth->opts.jwt;
    char shown[100];
    if (len > o->max_token_bytes) {
        snprintf(detail, detail_size, "a token of %zu bytes, more than auth.jwt.max_token_bytes (%zu)", len,
                 o->max_token_bytes);
        return WC_AUTH_MALFORMED_TOKEN;
    }
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token))) {
        snprintf(detail, detail_size, "a JWS has exactly three parts separated by dots");
        return WC_AUTH_MALFORMED_TOKEN;
    }
    size_t header_len = (size_t)(dot1 - token), payload_len = (size_t)(dot2 - dot1 - 1);
    size_t sig_len = len - (size_t)(dot2 + 1 - token);

    wc_auth_reason reason = WC_AUTH_MALFORMED_TOKEN;
    json_t *header = NULL, *claims = NULL;
    wc_jwk_set *set = NULL;
    char *copy = NULL;
    if (!(header = decode_segment(token, header_len))) {
        snprintf(detail, detail_size, "the header is not a base64url-encoded JSON object");
        goto done;
    }
    const char *alg_name = json_string_value(json_object_get(header, "alg"));
    const json_t *typ = json_object_get(header, "typ"), *kid_v = json_object_get(header, "kid");
    if (!alg_name) {
        snprintf(detail, detail_size, "the header has no alg (string)");
        goto done;
    }
    if ((typ && !json_is_string(typ)) || (kid_v && !json_is_string(kid_v))) {
        snprintf(detail, detail_size, "typ and kid must be strings");
        goto done;
    }
    if (typ && !typ_ok(json_string_value(typ))) {
        snprintf(detail, detail_size, "typ '%s' is not a JWT access token type",
                 printable(shown, sizeof shown, json_string_value(typ)));
        goto done;
    }
    if (json_object_get(header, "crit")) {
        /* RFC 7515 section 4.1.11: extensions we do not implement. */
        snprintf(detail, detail_size, "the header has crit, and no extension is supported");
        goto done;
    }
    const wc_jws_alg *alg = wc_jws_alg_find(alg_name);
    reason = WC_AUTH_UNSUPPORTED_ALG;
    if (!alg) {
        snprintf(detail, detail_size, "alg '%s' is not accepted (RS256/384/512, PS256/384/512, ES256/384/512%s)",
                 printable(shown, sizeof shown, alg_name), o->hs256_secret ? ", HS256" : "");
        goto done;
    }
    if (alg->family == WC_JWS_HMAC && !o->hs256_secret) {
        snprintf(detail, detail_size, "an HS256 token, and auth.jwt.hs256_secret is not set");
        goto done;
    }
    if (alg->family != WC_JWS_HMAC && !auth->jwks) {
        snprintf(detail, detail_size, "a %s token, and no JWKS is configured (auth.jwt.jwks_file or jwks_url)",
                 alg->name);
        goto done;
    }
    reason = WC_AUTH_MALFORMED_TOKEN;
    if (sig_len == 0 || !wc_b64url_valid(dot2 + 1, sig_len)) {
        snprintf(detail, detail_size, "the signature is %s", sig_len ? "not base64url" : "empty");
        goto done;
    }
    if (!(claims = decode_segment(dot1 + 1, payload_len))) {
        snprintf(detail, detail_size, "the payload is not a base64url-encoded JSON object");
        goto done;
    }

    const wc_jwk *key = NULL;
    if (alg->family != WC_JWS_HMAC) {
        switch (wc_jwks_lookup(auth->jwks, json_string_value(kid_v), alg, &set, &key, detail, detail_size)) {
        case WC_JWKS_FOUND:
            break;
        case WC_JWKS_NO_KEY:
            reason = WC_AUTH_UNKNOWN_KID;
            goto done;
        case WC_JWKS_UNAVAILABLE:
            reason = WC_AUTH_KEYS_UNAVAILABLE;
            goto done;
        }
    }
    if (!(copy = strndup(token, len))) {
        snprintf(detail, detail_size, "out of memory");
        reason = WC_AUTH_INTERNAL_ERROR;
        goto done;
    }
    /* libjwt 1.10 takes only typ "JWT" (or none); it reads it as we did. */
    bool use_libjwt = !typ || strcasecmp(json_string_value(typ), "JWT") == 0;
    const char *secret = o->hs256_secret;
    if (wc_jws_verify(copy, (size_t)(dot2 - token), alg, key, (const uint8_t *)secret,
                      secret ? strlen(secret) : 0, use_libjwt, detail, detail_size)) {
        reason = WC_AUTH_BAD_SIGNATURE;
        goto done;
    }
    reason = check_claims(auth, claims, p, detail, detail_size);
done:
    if (reason != WC_AUTH_OK)
        wc_auth_principal_free(p);
    free(copy);
    wc_jwk_set_unref(set);
    json_decref(header);
    json_decref(claims);
    return reason;
}
