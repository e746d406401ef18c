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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/internal.h"
#include "util/size.h"

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

static int failf(char *err, size_t err_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int failf(char *err, size_t err_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
    return -1;
}

/* Whether url is an absolute http(s) URL we can quote in a header: no
 * fragment, no user:password@, no query when !allow_query, only visible
 * ASCII other than '"' and '\'.  why gets the reason. */
static bool url_ok(const char *url, bool allow_query, char *why, size_t why_size)
{
    const char *rest;
    if (strncmp(url, "https://", 8) == 0)
        rest = url + 8;
    else if (strncmp(url, "http://", 7) == 0)
        rest = url + 7;
    else {
        snprintf(why, why_size, "expected an absolute URL starting with https:// (or http://)");
        return false;
    }
    for (const char *p = url; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            snprintf(why, why_size, "the URL has a space, a quote, a backslash or a non-ASCII character");
            return false;
        }
    }
    size_t authority = strcspn(rest, "/?#");
    if (authority == 0) {
        snprintf(why, why_size, "the URL has no host");
        return false;
    }
    if (memchr(rest, '@', authority)) {
        snprintf(why, why_size, "the URL must not hold a user name or password");
        return false;
    }
    if (strchr(url, '#')) {
        snprintf(why, why_size, "the URL must not have a fragment (#...)");
        return false;
    }
    if (!allow_query && strchr(url, '?')) {
        snprintf(why, why_size, "the URL must not have a query (?...)");
        return false;
    }
    return true;
}

static int check_url(const char *url, const char *path, bool allow_query, char *err, size_t err_size)
{
    char why[160];
    if (!url_ok(url, allow_query, why, sizeof why))
        return failf(err, err_size, "%s: %s", path, why);
    return 0;
}

static int check_scopes(const char *scopes, const char *path, char *err, size_t err_size)
{
    char why[200];
    char *normal = wc_scopes_normalize(scopes, why, sizeof why);
    if (!normal)
        return failf(err, err_size, "%s: %s", path, why);
    free(normal);
    return 0;
}

static bool token68_chars(const char *s)
{
    size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/");
    return n > 0 && s[n + strspn(s + n, "=")] == 0;
}

int wc_auth_options_check(const wc_auth_options *o, char *err, size_t err_size)
{
    if (!o->resource || !*o->resource)
        return failf(err, err_size, "auth.resource: required: this server's MCP endpoint URL, as clients "
                                    "reach it (\"https://mcp.example.com/mcp\")");
    if (check_url(o->resource, "auth.resource", false, err, err_size))
        return -1;
    if (o->resource_metadata_url && check_url(o->resource_metadata_url, "auth.resource_metadata_url", true, err, err_size))
        return -1;
    for (size_t i = 0; i < o->n_authorization_servers; i++) {
        char path[64];
        snprintf(path, sizeof path, "auth.authorization_servers[%zu]", i);
        if (check_url(o->authorization_servers[i], path, false, err, err_size))
            return -1;
    }
    for (size_t i = 0; i < o->n_scopes_supported; i++) {
        const char *s = o->scopes_supported[i];
        if (!wc_scope_token_ok(s, strlen(s)))
            return failf(err, err_size, "auth.scopes_supported[%zu]: not a valid scope (printable ASCII "
                                        "without spaces, '\"' or '\\')", i);
    }
    for (size_t i = 0; i < o->n_bearer_tokens; i++) {
        const wc_auth_static_token *t = &o->bearer_tokens[i];
        size_t len = t->token ? strlen(t->token) : 0;
        if (len < MIN_STATIC_TOKEN_LEN || len > MAX_STATIC_TOKEN_LEN)
            return failf(err, err_size, "auth.bearer_tokens[%zu]: a token must have %d to %d characters "
                                        "(generate one: openssl rand -hex 32)", i, MIN_STATIC_TOKEN_LEN,
                         MAX_STATIC_TOKEN_LEN);
        if (!token68_chars(t->token))
            return failf(err, err_size, "auth.bearer_tokens[%zu]: a token may hold letters, digits and "
                                        "- . _ ~ + /, then '=' padding (RFC 7235 token68)", i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(o->bearer_tokens[j].token, t->token) == 0)
                return failf(err, err_size, "auth.bearer_tokens[%zu]: the same token as "
                                            "auth.bearer_tokens[%zu]", i, j);
        char path[64];
        snprintf(path, sizeof path, "auth.bearer_tokens[%zu].scopes", i);
        if (t->scopes && check_scopes(t->scopes, path, err, err_size))
            return -1;
    }
    for (int target = 0; target < WC_AUTH_TARGETS; target++) {
        const wc_auth_scope_table *table = &o->scopes[target];
        const char *key = wc_auth_target_key((wc_auth_target)target);
        for (size_t i = 0; i < table->count; i++) {
            const wc_auth_scope_entry *t = &table->entries[i];
            if (!t->name || !*t->name)
                return failf(err, err_size, "auth.%s: a %s name must not be empty", key,
                             wc_auth_target_noun((wc_auth_target)target));
            for (size_t j = 0; j < i; j++)
                if (strcmp(table->entries[j].name, t->name) == 0)
                    return failf(err, err_size, "auth.%s.%s: listed twice", key, t->name);
            char path[200];
            snprintf(path, sizeof path, "auth.%s.%.150s", key, t->name);
            if (check_scopes(t->scopes ? t->scopes : "", path, err, err_size))
                return -1;
        }
    }

    const wc_auth_jwt_options *j = &o->jwt;
    bool keys = j->jwks_file || j->jwks_url || j->hs256_secret;
    if (j->jwks_file && j->jwks_url)
        return failf(err, err_size, "auth.jwt: set jwks_file or jwks_url, not both");
    if (j->jwks_file && !*j->jwks_file)
        return failf(err, err_size, "auth.jwt.jwks_file: expected a non-empty path");
    if (j->jwks_url && check_url(j->jwks_url, "auth.jwt.jwks_url", true, err, err_size))
        return -1;
    if (j->hs256_secret && strlen(j->hs256_secret) < MIN_HS256_SECRET_LEN)
        return failf(err, err_size, "auth.jwt.hs256_secret: must have at least %d bytes (RFC 7518 section "
                                    "3.2)", MIN_HS256_SECRET_LEN);
    if (keys && (!j->issuer || !*j->issuer))
        return failf(err, err_size, "auth.jwt.issuer: required: the `iss` of the tokens to accept, the "
                                    "authorization server's issuer identifier");
    if (!keys && (j->issuer || j->audience))
        return failf(err, err_size, "auth.jwt: no keys to verify tokens with: set jwks_url, jwks_file or "
                                    "hs256_secret");
    if (j->audience && !*j->audience)
        return failf(err, err_size, "auth.jwt.audience: expected a non-empty string");
    if (!keys && o->n_bearer_tokens == 0)
        return failf(err, err_size, "auth: no credential is accepted: set auth.bearer_tokens or auth.jwt");
    if (j->leeway_s > 600)
        return failf(err, err_size, "auth.jwt.leeway_s: expected an integer from 0 to 600");
    if (j->jwks_timeout_ms < 100 || j->jwks_timeout_ms > 60000)
        return failf(err, err_size, "auth.jwt.jwks_timeout_ms: expected an integer from 100 to 60000");
    if (j->jwks_max_bytes < 1024 || j->jwks_max_bytes > (64u << 20))
        return failf(err, err_size, "auth.jwt.jwks_max_bytes: must be between 1KiB and 64MiB");
    if (j->jwks_refresh_min_s > 86400)
        return failf(err, err_size, "auth.jwt.jwks_refresh_min_s: expected an integer from 0 to 86400");
    if (j->jwks_max_age_s > 604800)
        return failf(err, err_size, "auth.jwt.jwks_max_age_s: expected an integer from 0 to 604800");
    /* libjwt 1.10 decodes each part of a token on the stack. */
    if (j->max_token_bytes < 1024 || j->max_token_bytes > (64u << 10))
        return failf(err, err_size, "auth.jwt.max_token_bytes: must be between 1KiB and 64KiB");
    return 0;
}

/* ---- parsing ----------------------------------------------------------- */

typedef struct parser {
    const char *base_dir;
    wc_auth_expand_fn expand;
    void *expand_ctx;
    char *err;
    size_t err_size;
} parser;

static int fail(parser *ps, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(parser *ps, const char *path, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(ps->err, ps->err_size, "%s: %s", path, msg);
    return -1;
}

static void join(char *dst, size_t size, const char *parent, const char *key)
{
    snprintf(dst, size, "%s.%s", parent, key);
}

/* The (expanded) string at path; *out malloc'ed. */
static int get_string(parser *ps, const json_t *v, const char *path, char **out)
{
    *out = NULL;
    if (!json_is_string(v))
        return fail(ps, path, "expected a string");
    char *s = NULL;
    if (ps->expand) {
        char msg[400];
        if (ps->expand(ps->expand_ctx, json_string_value(v), json_string_length(v), &s, msg, sizeof msg))
            return fail(ps, path, "%s", msg);
    } else if (strlen(json_string_value(v)) == json_string_length(v)) {
        s = strdup(json_string_value(v));
    } else {
        return fail(ps, path, "the string contains a NUL character");
    }
    if (!s)
        return fail(ps, path, "out of memory");
    *out = s;
    return 0;
}

static int get_nonempty(parser *ps, const json_t *v, const char *path, char **slot)
{
    char *s;
    if (get_string(ps, v, path, &s))
        return -1;
    if (!*s) {
        free(s);
        return fail(ps, path, "expected a non-empty string");
    }
    free(*slot);
    *slot = s;
    return 0;
}

static int get_uint(parser *ps, const json_t *v, const char *path, json_int_t min, json_int_t max, unsigned *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return fail(ps, path, "expected an integer from %lld to %lld", (long long)min, (long long)max);
    *out = (unsigned)json_integer_value(v);
    return 0;
}

/* A size (ranges are wc_auth_options_check's). */
static int get_size(parser *ps, const json_t *v, const char *path, size_t *out)
{
    uint64_t n = 0;
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        n = (uint64_t)json_integer_value(v);
    } else if (json_is_string(v)) {
        char *s;
        if (get_string(ps, v, path, &s))
            return -1;
        int rc = wc_parse_size(s, &n);
        free(s);
        if (rc || n == 0)
            return fail(ps, path, "not a positive size (examples: 65536, \"64KiB\", \"1MiB\")");
    } else {
        return fail(ps, path, "expected a size (an integer or a string such as \"1MiB\")");
    }
    *out = n > SIZE_MAX ? SIZE_MAX : (size_t)n;
    return 0;
}

/* A scope list: "a b" or ["a", "b"], normalized to "a b". */
static int get_scopes(parser *ps, const json_t *v, const char *path, char **out)
{
    *out = NULL;
    char *joined = NULL;
    if (json_is_string(v)) {
        if (get_string(ps, v, path, &joined))
            return -1;
    } else if (json_is_array(v)) {
        size_t total = 1, i;
        const json_t *item;
        char **parts = calloc(json_array_size(v) + 1, sizeof *parts);
        if (!parts)
            return fail(ps, path, "out of memory");
        int rc = 0;
        json_array_foreach(v, i, item) {
            char sub[300];
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            if ((rc = get_string(ps, item, sub, &parts[i])))
                break;
            if (strchr(parts[i], ' ') || !*parts[i]) {
                rc = fail(ps, sub, "one scope per array item, without spaces");
                break;
            }
            total += strlen(parts[i]) + 1;
        }
        if (!rc && !(joined = calloc(1, total)))
            rc = fail(ps, path, "out of memory");
        for (i = 0; i < json_array_size(v); i++) {
            if (!rc && parts[i]) {
                if (i)
                    strcat(joined, " ");
                strcat(joined, parts[i]);
            }
            free(parts[i]);
        }
        free(parts);
        if (rc)
            return -1;
    } else {
        return fail(ps, path, "expected scopes: a string (\"read write\") or an array of strings");
    }
    char why[200];
    *out = wc_scopes_normalize(joined, why, sizeof why);
    free(joined);
    return *out ? 0 : fail(ps, path, "%s", why);
}

static int get_string_array(parser *ps, const json_t *v, const char *path, char ***list, size_t *n)
{
    if (!json_is_array(v))
        return fail(ps, path, "expected an array of strings");
    free_strings(*list, *n);
    *n = 0;
    size_t count = json_array_size(v);
    if (!(*list = calloc(count ? count : 1, sizeof **list)))
        return fail(ps, path, "out of memory");
    for (size_t i = 0; i < count; i++) {
        char sub[300];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        if (get_nonempty(ps, json_array_get(v, i), sub, &(*list)[*n]))
            return -1;
        (*n)++;
    }
    return 0;
}

static int parse_bearer_tokens(parser *ps, const json_t *v, wc_auth_options *o)
{
    const char *path = "auth.bearer_tokens";
    if (!json_is_array(v))
        return fail(ps, path, "expected an array of tokens (strings, or {\"token\": ..., \"subject\": ..., "
                              "\"scopes\": ...})");
    size_t count = json_array_size(v);
    if (!(o->bearer_tokens = calloc(count ? count : 1, sizeof *o->bearer_tokens)))
        return fail(ps, path, "out of memory");
    for (size_t i = 0; i < count; i++) {
        char base[64], sub[96];
        snprintf(base, sizeof base, "%s[%zu]", path, i);
        wc_auth_static_token *t = &o->bearer_tokens[o->n_bearer_tokens++];
        const json_t *item = json_array_get(v, i);
        if (json_is_string(item)) {
            if (get_string(ps, item, base, &t->token))
                return -1;
            continue;
        }
        if (!json_is_object(item))
            return fail(ps, base, "expected a string or an object with token, subject, scopes");
        const char *key;
        json_t *member;
        json_object_foreach((json_t *)item, key, member) {
            join(sub, sizeof sub, base, key);
            int rc;
            if (strcmp(key, "token") == 0)
                rc = get_string(ps, member, sub, &t->token);
            else if (strcmp(key, "subject") == 0)
                rc = get_nonempty(ps, member, sub, &t->subject);
            else if (strcmp(key, "scopes") == 0)
                rc = get_scopes(ps, member, sub, &t->scopes);
            else
                rc = fail(ps, sub, "unknown key (a token takes token, subject, scopes)");
            if (rc)
                return -1;
        }
        if (!t->token)
            return fail(ps, base, "token is required");
    }
    return 0;
}

static int parse_scope_table(parser *ps, const json_t *v, wc_auth_target target,
                             wc_auth_options *o)
{
    char path[64];
    snprintf(path, sizeof path, "auth.%s", wc_auth_target_key(target));
    const char *noun = wc_auth_target_noun(target);
    if (!json_is_object(v))
        return fail(ps, path, "expected an object (\"%s name\" or \"*\": \"scope ...\")", noun);
    wc_auth_scope_table *table = &o->scopes[target];
    size_t count = json_object_size(v);
    if (!(table->entries = calloc(count ? count : 1, sizeof *table->entries)))
        return fail(ps, path, "out of memory");
    const char *name;
    json_t *scopes;
    json_object_foreach((json_t *)v, name, scopes) {
        char sub[300];
        join(sub, sizeof sub, path, name);
        if (!*name)
            return fail(ps, path, "a %s name must not be empty", noun);
        wc_auth_scope_entry *t = &table->entries[table->count++];
        if (!(t->name = strdup(name)))
            return fail(ps, sub, "out of memory");
        if (get_scopes(ps, scopes, sub, &t->scopes))
            return -1;
    }
    return 0;
}

static int parse_jwt(parser *ps, const json_t *v, wc_auth_jwt_options *j)
{
    if (!json_is_object(v))
        return fail(ps, "auth.jwt", "expected an object");
    const char *key;
    json_t *m;
    json_object_foreach((json_t *)v, key, m) {
        char path[128];
        join(path, sizeof path, "auth.jwt", key);
        int rc;
        if (strcmp(key, "issuer") == 0) {
            rc = get_nonempty(ps, m, path, &j->issuer);
        } else if (strcmp(key, "audience") == 0) {
            rc = get_nonempty(ps, m, path, &j->audience);
        } else if (strcmp(key, "jwks_url") == 0) {
            rc = get_nonempty(ps, m, path, &j->jwks_url);
        } else if (strcmp(key, "hs256_secret") == 0) {
            rc = get_nonempty(ps, m, path, &j->hs256_secret);
        } else if (strcmp(key, "jwks_file") == 0) {
            rc = get_nonempty(ps, m, path, &j->jwks_file);
            if (!rc && j->jwks_file[0] != '/' && ps->base_dir && *ps->base_dir) {
                size_t n = strlen(ps->base_dir) + 1 + strlen(j->jwks_file) + 1;
                char *joined = malloc(n);
                if (!joined)
                    return fail(ps, path, "out of memory");
                snprintf(joined, n, "%s/%s", ps->base_dir, j->jwks_file);
                free(j->jwks_file);
                j->jwks_file = joined;
            }
        } else if (strcmp(key, "leeway_s") == 0) {
            rc = get_uint(ps, m, path, 0, 600, &j->leeway_s);
        } else if (strcmp(key, "jwks_timeout_ms") == 0) {
            rc = get_uint(ps, m, path, 100, 60000, &j->jwks_timeout_ms);
        } else if (strcmp(key, "jwks_refresh_min_s") == 0) {
            rc = get_uint(ps, m, path, 0, 86400, &j->jwks_refresh_min_s);
        } else if (strcmp(key, "jwks_max_age_s") == 0) {
            rc = get_uint(ps, m, path, 0, 604800, &j->jwks_max_age_s);
        } else if (strcmp(key, "jwks_max_bytes") == 0) {
            rc = get_size(ps, m, path, &j->jwks_max_bytes);
        } else if (strcmp(key, "max_token_bytes") == 0) {
            rc = get_size(ps, m, path, &j->max_token_bytes);
        } else {
            rc = fail(ps, path, "unknown key (jwt takes issuer, audience, jwks_url, jwks_file, hs256_secret, "
                                "leeway_s, jwks_timeout_ms, jwks_max_bytes, jwks_refresh_min_s, "
                                "jwks_max_age_s, max_token_bytes)");
        }
        if (rc)
            return -1;
    }
    return 0;
}

int wc_auth_options_parse(const json_t *section, const char *base_dir, wc_auth_expand_fn expand,
                          void *expand_ctx, wc_auth_options *out, char *err, size_t err_size)
{
    wc_auth_options_init(out);
    parser ps = {base_dir, expand, expand_ctx, err, err_size};
    if (!json_is_object(section)) {
        fail(&ps, "auth", "expected an object");
        return -1;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)section, key, v) {
        char path[128];
        join(path, sizeof path, "auth", key);
        int rc;
        if (strcmp(key, "resource") == 0)
            rc = get_nonempty(&ps, v, path, &out->resource);
        else if (strcmp(key, "resource_name") == 0)
            rc = get_nonempty(&ps, v, path, &out->resource_name);
        else if (strcmp(key, "resource_metadata_url") == 0)
            rc = get_nonempty(&ps, v, path, &out->resource_metadata_url);
        else if (strcmp(key, "authorization_servers") == 0)
            rc = get_string_array(&ps, v, path, &out->authorization_servers, &out->n_authorization_servers);
        else if (strcmp(key, "scopes_supported") == 0)
            rc = get_string_array(&ps, v, path, &out->scopes_supported, &out->n_scopes_supported);
        else if (strcmp(key, "bearer_tokens") == 0)
            rc = parse_bearer_tokens(&ps, v, out);
        else if (strcmp(key, "tool_scopes") == 0)
            rc = parse_scope_table(&ps, v, WC_AUTH_TOOL, out);
        else if (strcmp(key, "prompt_scopes") == 0)
            rc = parse_scope_table(&ps, v, WC_AUTH_PROMPT, out);
        else if (strcmp(key, "resource_scopes") == 0)
            rc = parse_scope_table(&ps, v, WC_AUTH_RESOURCE, out);
        else if (strcmp(key, "jwt") == 0)
            rc = parse_jwt(&ps, v, &out->jwt);
        else
            rc = fail(&ps, path, "unknown key (auth takes resource, resource_name, resource_metadata_url, "
                                 "authorization_servers, scopes_supported, bearer_tokens, tool_scopes, "
                                 "prompt_scopes, resource_scopes, jwt)");
        if (rc) {
            wc_auth_options_free(out);
            return -1;
        }
    }
    if (wc_auth_options_check(out, err, err_size)) {
        wc_auth_options_free(out);
        return -1;
    }
    return 0;
}
