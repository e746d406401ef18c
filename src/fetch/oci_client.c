/* oci_client.c -- references, authentication and the registry's HTTP
 * calls (oci.h).
 *
 * Authentication follows the registry's lead: a request goes out with what
 * the client has; a 401 names the scheme in WWW-Authenticate.  "Basic"
 * means the credentials on every request; "Bearer realm=...,service=...,
 * scope=..." means a token from the realm (asked with the credentials when
 * there are any, anonymously otherwise), then the request again with it.
 * One retry per request: a registry that refuses the token is an error.
 */
#define _GNU_SOURCE /* memrchr */
#include "fetch/oci.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fetch/base64.h"
#include "fetch/docker_config.h"
#include "fetch/transfer.h"
#include "util/sha256.h"

#define MAX_TOKEN_ANSWER (64u << 10)

struct wc_oci_client {
    wc_oci_ref ref;
    char base[300];     /* "https://registry" */
    char *basic;        /* base64 "user:pass", or NULL */
    char *bearer;       /* the token of the last challenge, or NULL */
    bool send_basic;    /* the registry asked for Basic */
    const char *ca_file;
    bool plain_http;
    size_t max_bytes;
    wc_fetch_options fetch;
};

/* ---- references ---------------------------------------------------------- */

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
           c == '/';
}

static bool tag_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128 || s[0] == '.' || s[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.' || s[i] == '-'))
            return false;
    return true;
}

bool wc_oci_digest_ok(const char *d)
{
    if (strncmp(d, "sha256:", 7) != 0 || strlen(d + 7) != WC_SHA256_HEX_LEN)
        return false;
    for (const char *p = d + 7; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

int wc_oci_ref_parse(const char *text, wc_oci_ref *ref, wc_error *err)
{
    memset(ref, 0, sizeof *ref);
    if (strncmp(text, "oci://", 6) == 0)
        text += 6;
    const char *slash = strchr(text, '/');
    if (!slash || slash == text)
        return wc_error_set(err, WC_EINVAL,
                            "'%s' is not registry/repository:tag or registry/repository@sha256:<hex>",
                            text);
    size_t host_len = (size_t)(slash - text);
    if (host_len >= sizeof ref->registry)
        return wc_error_set(err, WC_EINVAL, "the registry name is too long");
    memcpy(ref->registry, text, host_len);
    for (char *p = ref->registry; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '-' || *p == ':' || *p == '[' || *p == ']'))
            return wc_error_set(err, WC_EINVAL, "'%s' is not a registry host[:port]", ref->registry);
    /* Docker Hub's short names, as docker spells them. */
    if (strcmp(ref->registry, "docker.io") == 0)
        snprintf(ref->registry, sizeof ref->registry, "registry-1.docker.io");
    const char *rest = slash + 1;
    const char *at = strchr(rest, '@');
    size_t repo_len = at ? (size_t)(at - rest) : strlen(rest);
    if (at) {
        if (!wc_oci_digest_ok(at + 1))
            return wc_error_set(err, WC_EINVAL, "'%s' is not sha256:<64 lower-case hex digits>", at + 1);
        snprintf(ref->digest, sizeof ref->digest, "%s", at + 1);
    }
    /* A tag is after the last ':' that follows the last '/'. */
    const char *last_slash = memrchr(rest, '/', repo_len);
    const char *colon = memchr(last_slash ? last_slash : rest, ':',
                               repo_len - (size_t)((last_slash ? last_slash : rest) - rest));
    if (colon) {
        size_t tag_len = repo_len - (size_t)(colon + 1 - rest);
        if (tag_len >= sizeof ref->tag)
            return wc_error_set(err, WC_EINVAL, "the tag is longer than 128 characters");
        memcpy(ref->tag, colon + 1, tag_len);
        if (!tag_ok(ref->tag))
            return wc_error_set(err, WC_EINVAL, "'%s' is not a tag ([A-Za-z0-9_.-], 1 to 128)", ref->tag);
        repo_len = (size_t)(colon - rest);
    }
    if (repo_len == 0 || repo_len >= sizeof ref->repository)
        return wc_error_set(err, WC_EINVAL, "the repository name is empty or too long");
    memcpy(ref->repository, rest, repo_len);
    for (const char *p = ref->repository; *p; p++)
        if (!name_char(*p) || (*p == '/' && (p[1] == '/' || p[1] == 0)) || (p[0] == '.' && p[1] == '.'))
            return wc_error_set(err, WC_EINVAL,
                                "'%s' is not a repository name (lower-case letters, digits, '.', "
                                "'_', '-' and '/')",
                                ref->repository);
    if (ref->repository[0] == '/')
        return wc_error_set(err, WC_EINVAL, "a repository name cannot start with '/'");
    if (!ref->tag[0] && !ref->digest[0])
        snprintf(ref->tag, sizeof ref->tag, "latest");
    return 0;
}

/* ---- the client ---------------------------------------------------------- */

int wc_oci_client_new(const wc_oci_ref *ref, const wc_source *o, const wc_fetch_options *fetch,
                      wc_oci_client **out, wc_error *err)
{
    *out = NULL;
    wc_oci_client *c = calloc(1, sizeof *c);
    if (!c)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    c->ref = *ref;
    c->plain_http = o->plain_http;
    c->ca_file = o->ca_file;
    c->max_bytes = (size_t)o->max_bytes;
    c->fetch = *fetch;
    snprintf(c->base, sizeof c->base, "%s://%s", o->plain_http ? "http" : "https", ref->registry);
    int rc = 0;
    if (o->username) {
        size_t n = strlen(o->username) + 1 + strlen(o->password) + 1;
        char *pair = malloc(n);
        if (pair) {
            snprintf(pair, n, "%s:%s", o->username, o->password);
            c->basic = wc_base64_encode(pair, n - 1);
            memset(pair, 0, n);
            free(pair);
        }
        if (!c->basic)
            rc = wc_error_set(err, WC_ENOMEM, "out of memory");
    } else {
        rc = wc_docker_config_auth(ref->registry, &c->basic, err);
    }
    if (rc != 0) {
        wc_oci_client_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

static void free_secret(char *s)
{
    if (s) {
        memset(s, 0, strlen(s));
        free(s);
    }
}

void wc_oci_client_free(wc_oci_client *c)
{
    if (!c)
        return;
    free_secret(c->basic);
    free_secret(c->bearer);
    free(c);
}

/* ---- the challenge -------------------------------------------------------- */

typedef struct challenge {
    char scheme[16];
    char realm[1024];
    char service[1024];
    char scope[1024];
} challenge;

/* Reads 'Scheme k="v", k=v, ...' (RFC 7235); unknown parameters are skipped. */
static bool parse_challenge(const char *h, challenge *ch)
{
    memset(ch, 0, sizeof *ch);
    size_t n = strcspn(h, " ");
    if (n == 0 || n >= sizeof ch->scheme)
        return false;
    memcpy(ch->scheme, h, n);
    const char *p = h + n;
    for (int guard = 0; *p && guard < 32; guard++) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *key = p;
        while (*p && *p != '=' && *p != ',')
            p++;
        if (*p != '=')
            break;
        size_t key_len = (size_t)(p - key);
        p++;
        char value[1024];
        size_t vl = 0;
        if (*p == '"') {
            p++;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1])
                    p++;
                if (vl + 1 < sizeof value)
                    value[vl++] = *p;
                p++;
            }
            if (*p != '"')
                return false;
            p++;
        } else {
            while (*p && *p != ',' && *p != ' ') {
                if (vl + 1 < sizeof value)
                    value[vl++] = *p;
                p++;
            }
        }
        value[vl] = 0;
        if (key_len == 5 && strncasecmp(key, "realm", 5) == 0)
            snprintf(ch->realm, sizeof ch->realm, "%s", value);
        else if (key_len == 7 && strncasecmp(key, "service", 7) == 0)
            snprintf(ch->service, sizeof ch->service, "%s", value);
        else if (key_len == 5 && strncasecmp(key, "scope", 5) == 0)
            snprintf(ch->scope, sizeof ch->scope, "%s", value);
    }
    return true;
}

static void url_escape(wc_buf *b, const char *s)
{
    static const char digits[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            wc_buf_byte(b, ch);
        } else {
            wc_buf_byte(b, '%');
            wc_buf_byte(b, (uint8_t)digits[ch >> 4]);
            wc_buf_byte(b, (uint8_t)digits[ch & 15]);
        }
    }
}

/* Asks the realm for a token for ch's scope (or the default one). */
static int fetch_token(wc_oci_client *c, const challenge *ch, bool push, wc_error *err)
{
    if (!ch->realm[0])
        return wc_error_set(err, WC_EREMOTE, "%s: a Bearer challenge without a realm", c->ref.registry);
    if (strncmp(ch->realm, "https://", 8) != 0 && !(c->plain_http && strncmp(ch->realm, "http://", 7) == 0))
        return wc_error_set(err, WC_EREMOTE, "%s: the token realm %s is not https", c->ref.registry,
                            ch->realm);
    wc_buf url;
    wc_buf_init(&url);
    wc_buf_str(&url, ch->realm);
    wc_buf_byte(&url, strchr(ch->realm, '?') ? '&' : '?');
    if (ch->service[0]) {
        wc_buf_str(&url, "service=");
        url_escape(&url, ch->service);
        wc_buf_byte(&url, '&');
    }
    char scope[1100];
    if (ch->scope[0])
        snprintf(scope, sizeof scope, "%s", ch->scope);
    else
        snprintf(scope, sizeof scope, "repository:%s:%s", c->ref.repository, push ? "pull,push" : "pull");
    wc_buf_str(&url, "scope=");
    url_escape(&url, scope);
    char *u = wc_buf_cstr(&url);
    if (!u) {
        wc_buf_free(&url);
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    char auth[1100] = "";
    const char *headers[] = {auth, NULL};
    if (c->basic)
        snprintf(auth, sizeof auth, "Authorization: Basic %s", c->basic);
    wc_transfer t = {.url = u,
                     .headers = c->basic ? headers : NULL,
                     .max_bytes = MAX_TOKEN_ANSWER,
                     .ca_file = c->ca_file,
                     .allow_http = c->plain_http,
                     .timeout_ms = c->fetch.timeout_ms};
    wc_transfer_answer a;
    int rc = wc_transfer_run(&t, &a, err);
    memset(auth, 0, sizeof auth);
    if (rc == 0 && a.status != 200)
        rc = wc_error_set(err, a.status == 401 || a.status == 403 ? WC_EACCES : WC_EREMOTE,
                          "%s: the token service %s refused %s (HTTP %ld)%s", c->ref.registry,
                          ch->realm, scope, a.status,
                          c->basic ? "" : "; give credentials (username/password or docker login)");
    json_t *doc = NULL;
    if (rc == 0) {
        doc = json_loadb((const char *)a.body.body.data, a.body.body.len, JSON_REJECT_DUPLICATES, NULL);
        json_t *tok = json_object_get(doc, "token");
        if (!json_is_string(tok) || !json_string_length(tok))
            tok = json_object_get(doc, "access_token");
        if (!json_is_string(tok) || !json_string_length(tok) || json_string_length(tok) > 16384)
            rc = wc_error_set(err, WC_EREMOTE, "%s: the token service's answer has no token",
                              c->ref.registry);
        else {
            free_secret(c->bearer);
            if (!(c->bearer = strdup(json_string_value(tok))))
                rc = wc_error_set(err, WC_ENOMEM, "out of memory");
        }
    }
    json_decref(doc);
    wc_transfer_answer_free(&a);
    wc_buf_free(&url);
    return rc;
}

/* ---- requests -------------------------------------------------------------- */

typedef struct request {
    const char *method;
    const char *url;
    const char *accept;       /* may be NULL */
    const char *content_type; /* may be NULL */
    const void *body;
    size_t body_len;
    size_t max_bytes;
    const char *what;         /* progress label or NULL */
} request;

/* One request, authenticated as the registry asks; answer as transfer.h's. */
static int send_request(wc_oci_client *c, const request *r, wc_transfer_answer *a, wc_error *err)
{
    bool push = r->method && strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0;
    for (int attempt = 0;; attempt++) {
        char accept[600], ctype[300], auth[20000];
        const char *headers[4];
        size_t n = 0;
        if (r->accept) {
            snprintf(accept, sizeof accept, "Accept: %s", r->accept);
            headers[n++] = accept;
        }
        if (r->content_type) {
            snprintf(ctype, sizeof ctype, "Content-Type: %s", r->content_type);
            headers[n++] = ctype;
        }
        if (c->bearer) {
            snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->bearer);
            headers[n++] = auth;
        } else if (c->send_basic && c->basic) {
            snprintf(auth, sizeof auth, "Authorization: Basic %s", c->basic);
            headers[n++] = auth;
        }
        headers[n] = NULL;
        wc_transfer t = {.method = r->method,
                         .url = r->url,
                         .headers = headers,
                         .body = r->body,
                         .body_len = r->body_len,
                         .max_bytes = r->max_bytes,
                         .ca_file = c->ca_file,
                         .allow_http = c->plain_http,
                         .timeout_ms = c->fetch.timeout_ms,
                         .what = r->what,
                         .progress = c->fetch.progress,
                         .progress_ctx = c->fetch.progress_ctx};
        int rc = wc_transfer_run(&t, a, err);
        memset(auth, 0, sizeof auth);
        if (rc != 0 || a->status != 401)
            return rc;
        challenge ch;
        if (attempt > 0 || !parse_challenge(a->www_authenticate, &ch))
            return wc_error_set(err, WC_EACCES, "%s %s: the registry refused the credentials (HTTP 401)%s",
                                r->method ? r->method : "GET", r->url,
                                c->basic ? "" : "; none were given (username/password or docker login)");
        wc_transfer_answer_free(a);
        if (strcasecmp(ch.scheme, "Basic") == 0) {
            if (!c->basic)
                return wc_error_set(err, WC_EACCES,
                                    "%s asks for a user name and password: give username/password "
                                    "in the source, or docker login",
                                    c->ref.registry);
            c->send_basic = true;
        } else if (strcasecmp(ch.scheme, "Bearer") == 0) {
            rc = fetch_token(c, &ch, push, err);
            if (rc != 0)
                return rc;
        } else {
            return wc_error_set(err, WC_ENOTSUP, "%s asks for the unsupported '%s' authentication",
                                c->ref.registry, ch.scheme);
        }
    }
}

static void digest_of(const void *data, size_t len, char *digest)
{
    char hex[65];
    wc_sha256_hex((const void *const[]){data}, (const size_t[]){len}, 1, hex);
    snprintf(digest, 72, "sha256:%s", hex);
}

static int take_body(wc_transfer_answer *a, uint8_t **body, size_t *len, wc_error *err)
{
    wc_buf *b = &a->body.body;
    if (!wc_buf_cstr(b))
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    if (b->block) { /* never on a block here, but keep ownership honest */
        uint8_t *copy = malloc(b->len + 1);
        if (!copy)
            return wc_error_set(err, WC_ENOMEM, "out of memory");
        memcpy(copy, b->data, b->len + 1);
        *body = copy;
    } else {
        *body = b->data;
        b->data = NULL;
        b->cap = 0;
    }
    *len = b->len;
    b->len = 0;
    return 0;
}

int wc_oci_get_manifest(wc_oci_client *c, const char *reference, uint8_t **body, size_t *len,
                        char *media_type, size_t media_type_size, char *digest, wc_error *err)
{
    *body = NULL;
    char url[1200];
    snprintf(url, sizeof url, "%s/v2/%s/manifests/%s", c->base, c->ref.repository, reference);
    request r = {.url = url,
                 .accept = WC_OCI_MANIFEST ", " WC_OCI_INDEX ", " WC_DOCKER_MANIFEST ", " WC_DOCKER_LIST,
                 .max_bytes = WC_OCI_MAX_MANIFEST_BYTES};
    wc_transfer_answer a;
    int rc = send_request(c, &r, &a, err);
    if (rc == 0 && a.status == 404)
        rc = wc_error_set(err, WC_ENOTFOUND, "%s/%s has no manifest %s", c->ref.registry,
                          c->ref.repository, reference);
    else if (rc == 0 && a.status != 200)
        rc = wc_error_set(err, WC_EREMOTE, "GET %s: HTTP status %ld", url, a.status);
    if (rc == 0) {
        digest_of(a.body.body.data, a.body.body.len, digest);
        if (strncmp(reference, "sha256:", 7) == 0 && strcmp(reference, digest) != 0)
            rc = wc_error_set(err, WC_EDIGEST, "%s/%s: the manifest %s has the digest %s",
                              c->ref.registry, c->ref.repository, reference, digest);
    }
    if (rc == 0) {
        size_t n = strcspn(a.content_type, ";");
        if (n >= media_type_size)
            n = media_type_size - 1;
        memcpy(media_type, a.content_type, n);
        media_type[n] = 0;
        rc = take_body(&a, body, len, err);
    }
    wc_transfer_answer_free(&a);
    return rc;
}

int wc_oci_get_blob(wc_oci_client *c, const char *digest, size_t max, uint8_t **body, size_t *len,
                    wc_error *err)
{
    *body = NULL;
    if (!wc_oci_digest_ok(digest))
        return wc_error_set(err, WC_EINVAL, "'%s' is not a sha256 digest", digest);
    char url[1200];
    snprintf(url, sizeof url, "%s/v2/%s/blobs/%s", c->base, c->ref.repository, digest);
    request r = {.url = url, .max_bytes = max, .what = digest};
    wc_transfer_answer a;
    int rc = send_request(c, &r, &a, err);
    if (rc == 0 && a.status == 404)
        rc = wc_error_set(err, WC_ENOTFOUND, "%s/%s has no blob %s", c->ref.registry,
                          c->ref.repository, digest);
    else if (rc == 0 && a.status != 200)
        rc = wc_error_set(err, WC_EREMOTE, "GET %s: HTTP status %ld", url, a.status);
    if (rc == 0) {
        char got[72];
        digest_of(a.body.body.data, a.body.body.len, got);
        if (strcmp(got, digest) != 0)
            rc = wc_error_set(err, WC_EDIGEST, "%s/%s: the blob %s arrived with the digest %s",
                              c->ref.registry, c->ref.repository, digest, got);
    }
    if (rc == 0)
        rc = take_body(&a, body, len, err);
    wc_transfer_answer_free(&a);
    return rc;
}

/* The upload URL of Location, absolute, with the digest parameter added. */
static int upload_url(const wc_oci_client *c, const char *location, const char *digest, wc_buf *url)
{
    if (strncmp(location, "http://", 7) != 0 && strncmp(location, "https://", 8) != 0) {
        if (location[0] != '/')
            return WC_EREMOTE;
        wc_buf_str(url, c->base);
    }
    wc_buf_str(url, location);
    wc_buf_byte(url, strchr(location, '?') ? '&' : '?');
    wc_buf_str(url, "digest=");
    url_escape(url, digest);
    return wc_buf_cstr(url) ? 0 : WC_ENOMEM;
}

int wc_oci_put_blob(wc_oci_client *c, const void *data, size_t len, char *digest, wc_error *err)
{
    digest_of(data, len, digest);
    char url[1200];
    snprintf(url, sizeof url, "%s/v2/%s/blobs/%s", c->base, c->ref.repository, digest);
    wc_transfer_answer a;
    request head = {.method = "HEAD", .url = url, .max_bytes = 4096};
    int rc = send_request(c, &head, &a, err);
    long status = a.status;
    wc_transfer_answer_free(&a);
    if (rc != 0)
        return rc;
    if (status == 200)
        return 0; /* the registry has it */
    snprintf(url, sizeof url, "%s/v2/%s/blobs/uploads/", c->base, c->ref.repository);
    request start = {.method = "POST", .url = url, .max_bytes = 65536};
    rc = send_request(c, &start, &a, err);
    if (rc == 0 && a.status != 202)
        rc = wc_error_set(err, WC_EREMOTE, "POST %s: HTTP status %ld", url, a.status);
    wc_buf put_url;
    wc_buf_init(&put_url);
    if (rc == 0 && upload_url(c, a.location, digest, &put_url) != 0)
        rc = wc_error_set(err, WC_EREMOTE, "POST %s: no usable Location for the upload", url);
    wc_transfer_answer_free(&a);
    if (rc == 0) {
        request put = {.method = "PUT",
                       .url = (const char *)put_url.data,
                       .content_type = "application/octet-stream",
                       .body = data,
                       .body_len = len,
                       .max_bytes = 65536,
                       .what = digest};
        rc = send_request(c, &put, &a, err);
        if (rc == 0 && a.status != 201)
            rc = wc_error_set(err, WC_EREMOTE, "PUT the blob %s: HTTP status %ld", digest, a.status);
        wc_transfer_answer_free(&a);
    }
    wc_buf_free(&put_url);
    return rc;
}

int wc_oci_put_manifest(wc_oci_client *c, const char *reference, const char *media_type,
                        const void *data, size_t len, char *digest, wc_error *err)
{
    if (len > WC_OCI_MAX_MANIFEST_BYTES)
        return wc_error_set(err, WC_ETOOBIG, "a manifest of %zu bytes is over the limit", len);
    digest_of(data, len, digest);
    char url[1200];
    snprintf(url, sizeof url, "%s/v2/%s/manifests/%s", c->base, c->ref.repository, reference);
    request put = {.method = "PUT",
                   .url = url,
                   .content_type = media_type,
                   .body = data,
                   .body_len = len,
                   .max_bytes = 65536};
    wc_transfer_answer a;
    int rc = send_request(c, &put, &a, err);
    if (rc == 0 && a.status != 201)
        rc = wc_error_set(err, WC_EREMOTE, "PUT %s: HTTP status %ld: %.200s", url, a.status,
                          a.body.body.data ? (const char *)wc_buf_cstr(&a.body.body) : "");
    wc_transfer_answer_free(&a);
    return rc;
}

int wc_oci_push_module(wc_oci_client *c, const char *tag, const void *wasm, size_t len,
                       char *digest, wc_error *err)
{
    char layer[72], config[72];
    int rc = wc_oci_put_blob(c, wasm, len, layer, err);
    if (rc == 0)
        rc = wc_oci_put_blob(c, "{}", 2, config, err);
    if (rc != 0)
        return rc;
    json_t *m = json_pack("{s:i, s:s, s:s, s:{s:s, s:s, s:i, s:s}, s:[{s:s, s:s, s:I, s:{s:s}}]}",
                          "schemaVersion", 2, "mediaType", WC_OCI_MANIFEST, "artifactType",
                          WC_HYPER_MCP_PLUGIN, "config", "mediaType", WC_OCI_EMPTY, "digest", config,
                          "size", 2, "data", "e30=", "layers", "mediaType", WC_WASM_LAYER,
                          "digest", layer, "size", (json_int_t)len, "annotations",
                          "org.opencontainers.image.title", "plugin.wasm");
    char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
    json_decref(m);
    if (!text)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    rc = wc_oci_put_manifest(c, tag, WC_OCI_MANIFEST, text, strlen(text), digest, err);
    free(text);
    return rc;
}
