/* auth.c -- the authorizer: its life cycle, and the decision for one
 * request's Authorization header (static token, else JWT).
 *
 * Static tokens are tried first, always and in constant time, so whether a
 * token is tried as a JWT says nothing about the static ones.  A token that
 * matches none and has the shape of a JWT (three dot-separated parts) is
 * validated as one when JWT validation is configured.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/internal.h"
#include "util/log.h"

/* Logs a warning for an http:// URL outside this machine: tokens or keys
 * would cross the network in the clear. */
static void warn_plain_http(const char *url, const char *key)
{
    if (!url || strncmp(url, "http://", 7) != 0)
        return;
    const char *host = url + 7;
    size_t n = strcspn(host, ":/?#");
    bool loopback = (n == 9 && strncmp(host, "localhost", 9) == 0) || strncmp(host, "127.", 4) == 0 ||
                    strncmp(host, "[::1]", 5) == 0;
    if (!loopback)
        wc_log(WC_LOG_WARNING, "auth", "%s is plain http (%s): use https outside a trusted network", key, url);
}

/* Replaces *scopes by its normalized form. */
static int normalize_in_place(char **scopes, wc_error *err)
{
    char *normal = wc_scopes_normalize(*scopes, err);
    if (!normal)
        return err ? err->code : WC_EINVAL;
    free(*scopes);
    *scopes = normal;
    return 0;
}

static int prepare(wc_auth *auth, wc_error *err)
{
    wc_auth_options *o = &auth->opts;
    int rc;
    auth->audience = o->jwt.audience ? o->jwt.audience : o->resource;
    auth->jwt_enabled = o->jwt.jwks_file || o->jwt.jwks_url || o->jwt.hs256_secret;
    for (int t = 0; t < WC_AUTH_TARGETS; t++) {
        wc_auth_scope_table *table = &o->scopes[t];
        for (size_t i = 0; i < table->count; i++) {
            wc_auth_scope_entry *e = &table->entries[i];
            if (!e->scopes && !(e->scopes = strdup("")))
                goto nomem;
            if ((rc = normalize_in_place(&e->scopes, err)))
                return rc;
            if (strcmp(e->name, "*") == 0)
                auth->table_defaults[t] = e->scopes;
        }
    }
    auth->default_scopes = auth->table_defaults[WC_AUTH_TOOL] ? auth->table_defaults[WC_AUTH_TOOL] : "";
    size_t n = o->n_bearer_tokens;
    auth->token_digests = calloc(n ? n : 1, sizeof *auth->token_digests);
    auth->token_subjects = calloc(n ? n : 1, sizeof *auth->token_subjects);
    if (!auth->token_digests || !auth->token_subjects)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        wc_auth_static_token *t = &o->bearer_tokens[i];
        if (t->scopes && (rc = normalize_in_place(&t->scopes, err)))
            return rc;
        if (!EVP_Digest(t->token, strlen(t->token), auth->token_digests[i], NULL, EVP_sha256(), NULL))
            goto nomem;
        char fallback[48];
        snprintf(fallback, sizeof fallback, "bearer_tokens[%zu]", i);
        if (!(auth->token_subjects[i] = strdup(t->subject ? t->subject : fallback)))
            goto nomem;
    }
    if ((rc = wc_auth_build_metadata(auth, err)))
        return rc;
    warn_plain_http(o->resource, "auth.resource");
    warn_plain_http(o->jwt.jwks_url, "auth.jwt.jwks_url");
    for (size_t i = 0; i < o->n_authorization_servers; i++)
        warn_plain_http(o->authorization_servers[i], "auth.authorization_servers");
    if ((o->jwt.jwks_file || o->jwt.jwks_url) && (rc = wc_jwks_new(&o->jwt, &auth->jwks, err)))
        return rc;
    return 0;
nomem:
    return wc_error_set(err, WC_ENOMEM, "out of memory");
}

int wc_auth_new(const wc_auth_options *opts, wc_auth **out, wc_error *err)
{
    *out = NULL;
    int rc = wc_auth_options_check(opts, err);
    if (rc)
        return rc;
    wc_auth *auth = calloc(1, sizeof *auth);
    if (!auth || wc_auth_options_copy(opts, &auth->opts)) {
        free(auth);
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    if ((rc = prepare(auth, err))) {
        wc_auth_free(auth);
        return rc;
    }
    *out = auth;
    return 0;
}

void wc_auth_free(wc_auth *auth)
{
    if (!auth)
        return;
    wc_jwks_free(auth->jwks);
    if (auth->token_digests)
        OPENSSL_cleanse(auth->token_digests, auth->opts.n_bearer_tokens * sizeof *auth->token_digests);
    free(auth->token_digests);
    for (size_t i = 0; auth->token_subjects && i < auth->opts.n_bearer_tokens; i++)
        free(auth->token_subjects[i]);
    free(auth->token_subjects);
    free(auth->metadata_url);
    free(auth->metadata_path);
    free(auth->metadata_json);
    wc_auth_options_free(&auth->opts);
    free(auth);
}

int wc_auth_refresh_keys(wc_auth *auth, wc_error *err)
{
    if (!auth->jwks)
        return wc_error_set(err, WC_EINVAL,
                            "no JWKS is configured (auth.jwt.jwks_file or auth.jwt.jwks_url)");
    return wc_jwks_refresh(auth->jwks, err);
}

static size_t count_dots(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] == '.';
    return n;
}

static void accept_static(const wc_auth *auth, long index, wc_auth_result *out)
{
    const wc_auth_static_token *t = &auth->opts.bearer_tokens[index];
    wc_auth_principal *p = &out->principal;
    p->kind = WC_AUTH_KIND_STATIC;
    p->all_scopes = t->scopes == NULL;
    bool oom = !(p->subject = strdup(auth->token_subjects[index])) ||
               (t->scopes && wc_principal_add_scopes(p, t->scopes, strlen(t->scopes)));
    if (oom) {
        wc_auth_principal_free(p);
        wc_auth_fail(auth, WC_AUTH_INTERNAL_ERROR, NULL, "out of memory", out);
        return;
    }
    wc_principal_set_id(p, "static", NULL, NULL, p->subject);
    out->http_status = 200;
    out->reason = WC_AUTH_OK;
}

void wc_auth_authenticate(wc_auth *auth, const char *authorization, wc_auth_result *out)
{
    memset(out, 0, sizeof *out);
    char detail[sizeof out->detail] = "";
    const char *token;
    size_t len;
    wc_auth_reason reason = wc_bearer_parse_header(authorization, &token, &len, detail, sizeof detail);
    if (reason != WC_AUTH_OK) {
        /* No credentials: say which scopes to ask for (MCP 2025-11-25). */
        wc_auth_fail(auth, reason, reason == WC_AUTH_MISSING_TOKEN ? auth->default_scopes : NULL, detail, out);
        return;
    }
    long index = wc_bearer_match(auth, token, len);
    if (index >= 0) {
        accept_static(auth, index, out);
        return;
    }
    bool jwt_shaped = count_dots(token, len) == 2;
    if (auth->jwt_enabled && jwt_shaped) {
        wc_auth_principal principal = {0};
        reason = wc_jwt_validate(auth, token, len, &principal, detail, sizeof detail);
        if (reason == WC_AUTH_OK) {
            out->principal = principal;
            out->http_status = 200;
            out->reason = WC_AUTH_OK;
            return;
        }
    } else if (auth->jwt_enabled && auth->opts.n_bearer_tokens == 0) {
        reason = WC_AUTH_MALFORMED_TOKEN;
        snprintf(detail, sizeof detail, "not a JWT (three base64url parts separated by dots)");
    } else {
        reason = WC_AUTH_UNKNOWN_TOKEN;
        snprintf(detail, sizeof detail, "matches no configured bearer token%s",
                 auth->jwt_enabled ? " and is not a JWT" : " (JWT validation is not configured)");
    }
    wc_auth_fail(auth, reason, NULL, detail, out);
}
