/* options.c -- the "auth" section of wasmcap.json (docs/AUTH.md): reading
 * it, checking it, copying it.
 *
 * As strict as the rest of the config, for the same reason: this is where
 * access is granted, so an unknown key ("bearer_token" for
 * "bearer_tokens") is an error rather than a silently open or closed door,
 * and every message starts with the JSON path of the value at fault.
 * Secrets are never quoted in messages.
 */
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/internal.h"
#include "json/reader.h"

#define MIN_STATIC_TOKEN_LEN 16
#define MAX_STATIC_TOKEN_LEN 4096
#define MIN_HS256_SECRET_LEN 32

void wc_auth_options_init(wc_auth_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->jwt.leeway_s = 60;
    opts->jwt.jwks_timeout_ms = 5000;
    opts->jwt.jwks_max_bytes = 1u << 20;
    opts->jwt.jwks_refresh_min_s = 60;
    opts->jwt.jwks_max_age_s = 3600;
    opts->jwt.max_token_bytes = 16u << 10;
}

static void free_strings(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

void wc_auth_options_free(wc_auth_options *o)
{
    if (!o)
        return;
    free(o->resource);
    free(o->resource_name);
    free(o->resource_metadata_url);
    free_strings(o->authorization_servers, o->n_authorization_servers);
    free_strings(o->scopes_supported, o->n_scopes_supported);
    for (size_t i = 0; i < o->n_bearer_tokens; i++) {
        wc_auth_static_token *t = &o->bearer_tokens[i];
        if (t->token)
            OPENSSL_cleanse(t->token, strlen(t->token));
        free(t->token);
        free(t->subject);
        free(t->scopes);
    }
    free(o->bearer_tokens);
    for (int t = 0; t < WC_AUTH_TARGETS; t++) {
        for (size_t i = 0; i < o->scopes[t].count; i++) {
            free(o->scopes[t].entries[i].name);
            free(o->scopes[t].entries[i].scopes);
        }
        free(o->scopes[t].entries);
    }
    free(o->jwt.issuer);
    free(o->jwt.audience);
    free(o->jwt.jwks_file);
    free(o->jwt.jwks_url);
    if (o->jwt.hs256_secret)
        OPENSSL_cleanse(o->jwt.hs256_secret, strlen(o->jwt.hs256_secret));
    free(o->jwt.hs256_secret);
    memset(o, 0, sizeof *o);
}

/* ---- copying ----------------------------------------------------------- */

static bool dup_string(const char *src, char **dst)
{
    *dst = NULL;
    return !src || (*dst = strdup(src)) != NULL;
}

static bool dup_strings(char *const *src, size_t n, char ***dst, size_t *dst_n)
{
    *dst = NULL;
    *dst_n = 0;
    if (!n)
        return true;
    if (!(*dst = calloc(n, sizeof **dst)))
        return false;
    for (; *dst_n < n; (*dst_n)++)
        if (!dup_string(src[*dst_n], &(*dst)[*dst_n]))
            return false;
    return true;
}

int wc_auth_options_copy(const wc_auth_options *src, wc_auth_options *dst)
{
    wc_auth_options_init(dst);
    dst->jwt.leeway_s = src->jwt.leeway_s;
    dst->jwt.jwks_timeout_ms = src->jwt.jwks_timeout_ms;
    dst->jwt.jwks_max_bytes = src->jwt.jwks_max_bytes;
    dst->jwt.jwks_refresh_min_s = src->jwt.jwks_refresh_min_s;
    dst->jwt.jwks_max_age_s = src->jwt.jwks_max_age_s;
    dst->jwt.max_token_bytes = src->jwt.max_token_bytes;
    bool ok = dup_string(src->resource, &dst->resource) && dup_string(src->resource_name, &dst->resource_name) &&
              dup_string(src->resource_metadata_url, &dst->resource_metadata_url) &&
              dup_strings(src->authorization_servers, src->n_authorization_servers, &dst->authorization_servers,
                          &dst->n_authorization_servers) &&
              dup_strings(src->scopes_supported, src->n_scopes_supported, &dst->scopes_supported,
                          &dst->n_scopes_supported) &&
              dup_string(src->jwt.issuer, &dst->jwt.issuer) && dup_string(src->jwt.audience, &dst->jwt.audience) &&
              dup_string(src->jwt.jwks_file, &dst->jwt.jwks_file) &&
              dup_string(src->jwt.jwks_url, &dst->jwt.jwks_url) &&
              dup_string(src->jwt.hs256_secret, &dst->jwt.hs256_secret);
    if (ok && src->n_bearer_tokens) {
        ok = (dst->bearer_tokens = calloc(src->n_bearer_tokens, sizeof *dst->bearer_tokens)) != NULL;
        for (size_t i = 0; ok && i < src->n_bearer_tokens; i++) {
            const wc_auth_static_token *s = &src->bearer_tokens[i];
            wc_auth_static_token *d = &dst->bearer_tokens[dst->n_bearer_tokens++];
            ok = dup_string(s->token, &d->token) && dup_string(s->subject, &d->subject) &&
                 dup_string(s->scopes, &d->scopes);
        }
    }
    for (int t = 0; ok && t < WC_AUTH_TARGETS; t++) {
        const wc_auth_scope_table *from = &src->scopes[t];
        wc_auth_scope_table *to = &dst->scopes[t];
        if (!from->count)
            continue;
        ok = (to->entries = calloc(from->count, sizeof *to->entries)) != NULL;
        for (size_t i = 0; ok && i < from->count; i++) {
            wc_auth_scope_entry *d = &to->entries[to->count++];
            ok = dup_string(from->entries[i].name, &d->name) &&
                 dup_string(from->entries[i].scopes, &d->scopes);
        }
    }
    if (!ok)
        wc_auth_options_free(dst);
    return ok ? 0 : -1;
}

/* ---- checking ---------------------------------------------------------- */

static int failf(wc_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int failf(wc_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = wc_error_setv(err, WC_EINVAL, fmt, ap);
    va_end(ap);
    return rc;
}

/* Whether url is an absolute http(s) URL we can quote in a header: no
 * fragment, no user:password@, no query when !allow_query, only visible
 * ASCII other than '"' and '\'.  why gets the reason. */
static bool url_ok(const char *url, bool allow_query, wc_error *why)
{
    const char *rest;
    if (strncmp(url, "https://", 8) == 0)
        rest = url + 8;
    else if (strncmp(url, "http://", 7) == 0)
        rest = url + 7;
    else {
        wc_error_set(why, WC_EINVAL,
                     "expected an absolute URL starting with https:// (or http://)");
        return false;
    }
    for (const char *p = url; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            wc_error_set(why, WC_EINVAL,
                         "the URL has a space, a quote, a backslash or a non-ASCII character");
            return false;
        }
    }
    size_t authority = strcspn(rest, "/?#");
    if (authority == 0) {
        wc_error_set(why, WC_EINVAL, "the URL has no host");
        return false;
    }
    if (memchr(rest, '@', authority)) {
        wc_error_set(why, WC_EINVAL, "the URL must not hold a user name or password");
        return false;
    }
    if (strchr(url, '#')) {
        wc_error_set(why, WC_EINVAL, "the URL must not have a fragment (#...)");
        return false;
    }
    if (!allow_query && strchr(url, '?')) {
        wc_error_set(why, WC_EINVAL, "the URL must not have a query (?...)");
        return false;
    }
    return true;
}

static int check_url(const char *url, const char *path, bool allow_query, wc_error *err)
{
    wc_error why;
    if (!url_ok(url, allow_query, &why))
        return failf(err, "%s: %s", path, why.msg);
                           return 0;
}

static int check_scopes(const char *scopes, const char *path, wc_error *err)
{
    wc_error why;
    char *normal = wc_scopes_normalize(scopes, &why);
    if (!normal)
        return failf(err, "%s: %s", path, why.msg);
                           free(normal);
    return 0;
}

static bool token68_chars(const char *s)
{
    size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/");
    return n > 0 && s[n + strspn(s + n, "=")] == 0;
}

int wc_auth_options_check(const wc_auth_options *o, wc_error *err)
{
    if (!o->resource || !*o->resource)
        return failf(err, "auth.resource: required: this server's MCP endpoint URL, as clients "
                     "reach it (\"https://mcp.example.com/mcp\")");
    int rc = check_url(o->resource, "auth.resource", false, err);
    if (rc)
        return rc;
    if (o->resource_metadata_url &&
        (rc = check_url(o->resource_metadata_url, "auth.resource_metadata_url", true, err)))
        return rc;
    for (size_t i = 0; i < o->n_authorization_servers; i++) {
        char path[64];
        snprintf(path, sizeof path, "auth.authorization_servers[%zu]", i);
        if ((rc = check_url(o->authorization_servers[i], path, false, err)))
            return rc;
    }
    for (size_t i = 0; i < o->n_scopes_supported; i++) {
        const char *s = o->scopes_supported[i];
        if (!wc_scope_token_ok(s, strlen(s)))
            return failf(err, "auth.scopes_supported[%zu]: not a valid scope (printable ASCII "
                         "without spaces, '\"' or '\\')", i);
    }
    for (size_t i = 0; i < o->n_bearer_tokens; i++) {
        const wc_auth_static_token *t = &o->bearer_tokens[i];
        size_t len = t->token ? strlen(t->token) : 0;
        if (len < MIN_STATIC_TOKEN_LEN || len > MAX_STATIC_TOKEN_LEN)
            return failf(err, "auth.bearer_tokens[%zu]: a token must have %d to %d characters "
                         "(generate one: openssl rand -hex 32)", i, MIN_STATIC_TOKEN_LEN,
                         MAX_STATIC_TOKEN_LEN);
        if (!token68_chars(t->token))
            return failf(err, "auth.bearer_tokens[%zu]: a token may hold letters, digits and "
                         "- . _ ~ + /, then '=' padding (RFC 7235 token68)", i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(o->bearer_tokens[j].token, t->token) == 0)
                return failf(err, "auth.bearer_tokens[%zu]: the same token as "
                             "auth.bearer_tokens[%zu]", i, j);
        char path[64];
        snprintf(path, sizeof path, "auth.bearer_tokens[%zu].scopes", i);
        if (t->scopes && (rc = check_scopes(t->scopes, path, err)))
            return rc;
    }
    for (int target = 0; target < WC_AUTH_TARGETS; target++) {
        const wc_auth_scope_table *table = &o->scopes[target];
        const char *key = wc_auth_target_key((wc_auth_target)target);
        for (size_t i = 0; i < table->count; i++) {
            const wc_auth_scope_entry *t = &table->entries[i];
            if (!t->name || !*t->name)
                return failf(err, "auth.%s: a %s name must not be empty", key,
                             wc_auth_target_noun((wc_auth_target)target));
            for (size_t j = 0; j < i; j++)
                if (strcmp(table->entries[j].name, t->name) == 0)
                    return failf(err, "auth.%s.%s: listed twice", key, t->name);
                           char path[200];
            snprintf(path, sizeof path, "auth.%s.%.150s", key, t->name);
            if ((rc = check_scopes(t->scopes ? t->scopes : "", path, err)))
                return rc;
        }
    }

    const wc_auth_jwt_options *j = &o->jwt;
    bool keys = j->jwks_file || j->jwks_url || j->hs256_secret;
    if (j->jwks_file && j->jwks_url)
        return failf(err, "auth.jwt: set jwks_file or jwks_url, not both");
                           if (j->jwks_file && !*j->jwks_file)
        return failf(err, "auth.jwt.jwks_file: expected a non-empty path");
                           if (j->jwks_url && (rc = check_url(j->jwks_url, "auth.jwt.jwks_url", true, err)))
        return rc;
    if (j->hs256_secret && strlen(j->hs256_secret) < MIN_HS256_SECRET_LEN)
        return failf(err, "auth.jwt.hs256_secret: must have at least %d bytes (RFC 7518 section "
                     "3.2)", MIN_HS256_SECRET_LEN);
    if (keys && (!j->issuer || !*j->issuer))
        return failf(err, "auth.jwt.issuer: required: the `iss` of the tokens to accept, the "
                     "authorization server's issuer identifier");
    if (!keys && (j->issuer || j->audience))
        return failf(err, "auth.jwt: no keys to verify tokens with: set jwks_url, jwks_file or "
                     "hs256_secret");
    if (j->audience && !*j->audience)
        return failf(err, "auth.jwt.audience: expected a non-empty string");
                           if (!keys && o->n_bearer_tokens == 0)
        return failf(err, "auth: no credential is accepted: set auth.bearer_tokens or auth.jwt");
                           if (j->leeway_s > 600)
        return failf(err, "auth.jwt.leeway_s: expected an integer from 0 to 600");
                           if (j->jwks_timeout_ms < 100 || j->jwks_timeout_ms > 60000)
        return failf(err, "auth.jwt.jwks_timeout_ms: expected a duration in milliseconds from 100 to "
                     "60000");
    if (j->jwks_max_bytes < 1024 || j->jwks_max_bytes > (64u << 20))
        return failf(err, "auth.jwt.jwks_max_bytes: must be between 1KiB and 64MiB");
                           if (j->jwks_refresh_min_s > 86400)
        return failf(err, "auth.jwt.jwks_refresh_min_s: expected an integer from 0 to 86400");
                           if (j->jwks_max_age_s > 604800)
        return failf(err, "auth.jwt.jwks_max_age_s: expected an integer from 0 to 604800");
                           /* libjwt 1.10 decodes each part of a token on the stack. */
    if (j->max_token_bytes < 1024 || j->max_token_bytes > (64u << 10))
        return failf(err, "auth.jwt.max_token_bytes: must be between 1KiB and 64KiB");
                           return 0;
}

/* ---- parsing ----------------------------------------------------------- */

/* A nonempty string member of obj into *slot. */
static void read_nonempty(wc_rnode *obj, const char *key, char **slot)
{
    wc_rnode m = wc_rnode_member(obj, key);
    char *s;
    if (wc_rnode_string(&m, WC_READ_NONEMPTY, &s)) {
        free(*slot);
        *slot = s;
    }
}

static void read_uint(wc_rnode *obj, const char *key, long long min, long long max, unsigned *out)
{
    wc_rnode m = wc_rnode_member(obj, key);
    long long n;
    if (wc_rnode_int(&m, min, max, &n))
        *out = (unsigned)n;
}

/* A size (ranges are wc_auth_options_check's). */
static void read_size(wc_rnode *obj, const char *key, size_t *out)
{
    wc_rnode m = wc_rnode_member(obj, key);
    uint64_t n;
    if (wc_rnode_size(&m, 1, UINT64_MAX, &n))
        *out = n > SIZE_MAX ? SIZE_MAX : (size_t)n;
}

/* A scope list: "a b" or ["a", "b"], normalized to "a b". */
static bool read_scopes(const wc_rnode *node, char **out)
{
    char *joined = NULL;
    if (json_is_array(node->json)) {
        char **parts;
        size_t n, total = 1;
        if (!wc_rnode_strings(node, 0, &parts, &n))
            return false;
        for (size_t i = 0; i < n; i++) {
            total += strlen(parts[i]) + 1;
            if (!*parts[i] || strchr(parts[i], ' ')) {
                wc_rnode item = wc_rnode_item(node, i);
                wc_rnode_fail(&item, "one scope per array item, without spaces");
            }
        }
        if (!node->reader->failed && !(joined = calloc(1, total)))
            wc_rnode_fail(node, "out of memory");
        for (size_t i = 0; i < n; i++) {
            if (joined) {
                if (i)
                    strcat(joined, " ");
                strcat(joined, parts[i]);
            }
            free(parts[i]);
        }
        free(parts);
        if (!joined)
            return false;
    } else if (json_is_string(node->json)) {
        if (!wc_rnode_string(node, 0, &joined))
            return false;
    } else {
        return wc_rnode_fail(node, "expected scopes: a string (\"read write\") or an array of strings");
    }
    wc_error why;
    *out = wc_scopes_normalize(joined, &why);
    free(joined);
    return *out ? true : wc_rnode_fail(node, "%s", why.msg);
}

static void read_string_array(wc_rnode *obj, const char *key, char ***list, size_t *n)
{
    wc_rnode m = wc_rnode_member(obj, key);
    char **items;
    size_t count;
    if (wc_rnode_strings(&m, WC_READ_NONEMPTY, &items, &count)) {
        free_strings(*list, *n);
        *list = items;
        *n = count;
    }
}

static void read_token(const wc_rnode *item, wc_auth_static_token *t)
{
    if (json_is_string(item->json)) {
        wc_rnode_string(item, 0, &t->token);
        return;
    }
    if (!wc_rnode_object(item, "a string or an object with token, subject, scopes"))
        return;
    wc_rnode obj = *item;
    wc_rnode token = wc_rnode_member(&obj, "token");
    wc_rnode_require(&token);
    wc_rnode_string(&token, 0, &t->token);
    read_nonempty(&obj, "subject", &t->subject);
    wc_rnode scopes = wc_rnode_member(&obj, "scopes");
    if (wc_rnode_present(&scopes))
        read_scopes(&scopes, &t->scopes);
    wc_rnode_done(&obj);
}

static void read_bearer_tokens(wc_rnode *auth, wc_auth_options *o)
{
    wc_rnode list = wc_rnode_member(auth, "bearer_tokens");
    if (!wc_rnode_array(&list, "an array of tokens (strings, or {\"token\": ..., \"subject\": ..., "
                               "\"scopes\": ...})"))
        return;
    size_t count = wc_rnode_count(&list);
    if (!(o->bearer_tokens = calloc(count ? count : 1, sizeof *o->bearer_tokens))) {
        wc_rnode_fail(&list, "out of memory");
        return;
    }
    for (size_t i = 0; i < count && wc_rnode_present(&list); i++) {
        wc_rnode item = wc_rnode_item(&list, i);
        read_token(&item, &o->bearer_tokens[o->n_bearer_tokens++]);
    }
}

static void read_scope_table(wc_rnode *auth, wc_auth_target target, wc_auth_options *o)
{
    const char *noun = wc_auth_target_noun(target);
    wc_rnode obj = wc_rnode_member(auth, wc_auth_target_key(target));
    char what[96];
    snprintf(what, sizeof what, "an object (\"%s name\" or \"*\": \"scope ...\")", noun);
    if (!wc_rnode_object(&obj, what))
        return;
    wc_auth_scope_table *table = &o->scopes[target];
    size_t count = json_object_size(obj.json);
    if (!(table->entries = calloc(count ? count : 1, sizeof *table->entries))) {
        wc_rnode_fail(&obj, "out of memory");
        return;
    }
    void *iter = NULL;
    wc_rnode m;
    while (wc_rnode_next(&obj, &iter, &m)) {
        if (!*m.key) {
            wc_rnode_fail(&obj, "a %s name must not be empty", noun);
            return;
        }
        wc_auth_scope_entry *t = &table->entries[table->count++];
        if (!(t->name = strdup(m.key)))
            wc_rnode_fail(&m, "out of memory");
        else
            read_scopes(&m, &t->scopes);
    }
}

static void read_jwt(wc_rnode *auth, wc_auth_jwt_options *j)
{
    wc_rnode obj = wc_rnode_member(auth, "jwt");
    if (!wc_rnode_object(&obj, NULL))
        return;
    read_nonempty(&obj, "issuer", &j->issuer);
    read_nonempty(&obj, "audience", &j->audience);
    read_nonempty(&obj, "jwks_url", &j->jwks_url);
    wc_rnode file = wc_rnode_member(&obj, "jwks_file");
    char *path;
    if (wc_rnode_path(&file, WC_READ_NONEMPTY, &path)) {
        free(j->jwks_file);
        j->jwks_file = path;
    }
    read_nonempty(&obj, "hs256_secret", &j->hs256_secret);
    read_uint(&obj, "leeway_s", 0, 600, &j->leeway_s);
    wc_rnode timeout = wc_rnode_member(&obj, "jwks_timeout_ms");
    uint32_t ms;
    if (wc_rnode_ms(&timeout, 100, 60000, &ms))
        j->jwks_timeout_ms = ms;
    read_size(&obj, "jwks_max_bytes", &j->jwks_max_bytes);
    read_uint(&obj, "jwks_refresh_min_s", 0, 86400, &j->jwks_refresh_min_s);
    read_uint(&obj, "jwks_max_age_s", 0, 604800, &j->jwks_max_age_s);
    read_size(&obj, "max_token_bytes", &j->max_token_bytes);
    wc_rnode_done(&obj);
}

int wc_auth_options_parse(const json_t *section, const char *base_dir, wc_auth_expand_fn expand,
                          void *expand_ctx, wc_auth_options *out, wc_error *err)
{
    wc_auth_options_init(out);
    wc_reader reader;
    wc_reader_init(&reader, NULL);
    reader.base_dir = base_dir;
    reader.expand = expand;
    reader.expand_ctx = expand_ctx;
    wc_rnode auth = wc_reader_root(&reader, section, "auth");
    if (wc_rnode_object(&auth, NULL)) {
        read_nonempty(&auth, "resource", &out->resource);
        read_nonempty(&auth, "resource_name", &out->resource_name);
        read_nonempty(&auth, "resource_metadata_url", &out->resource_metadata_url);
        read_string_array(&auth, "authorization_servers", &out->authorization_servers,
                          &out->n_authorization_servers);
        read_string_array(&auth, "scopes_supported", &out->scopes_supported, &out->n_scopes_supported);
        read_bearer_tokens(&auth, out);
        read_scope_table(&auth, WC_AUTH_TOOL, out);
        read_scope_table(&auth, WC_AUTH_PROMPT, out);
        read_scope_table(&auth, WC_AUTH_RESOURCE, out);
        read_jwt(&auth, &out->jwt);
        wc_rnode_done(&auth);
    } else if (!section) {
        wc_rnode_fail(&auth, "expected an object");
    }
    int rc = wc_reader_result(&reader, err);
    if (!rc)
        rc = wc_auth_options_check(out, err);
    if (rc) {
        wc_auth_options_free(out);
        return rc;
    }
    return 0;
}
