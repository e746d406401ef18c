/* metadata.c -- OAuth 2.0 Protected Resource Metadata (RFC 9728), which an
 * MCP client fetches after a 401 to learn which authorization server to
 * use and which scopes exist.
 *
 * The document is built once from the options; the transport serves the
 * same bytes at the root well-known path and at the path-suffixed one
 * (RFC 9728 section 3.1), since clients of different spec revisions look
 * at one or the other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/internal.h"
#include "util/buf.h"

#define WELL_KNOWN "/.well-known/oauth-protected-resource"

char *wc_auth_metadata_url_for(const char *resource)
{
    size_t scheme_len;
    if (strncmp(resource, "https://", 8) == 0)
        scheme_len = 8;
    else if (strncmp(resource, "http://", 7) == 0)
        scheme_len = 7;
    else
        return NULL;
    if (strpbrk(resource, "?#"))
        return NULL;
    const char *authority = resource + scheme_len;
    size_t authority_len = strcspn(authority, "/");
    if (authority_len == 0)
        return NULL;
    const char *path = authority + authority_len;
    if (strcmp(path, "/") == 0)
        path = ""; /* "any terminating slash following the host component MUST be removed" */
    wc_buf b;
    wc_buf_init(&b);
    wc_buf_append(&b, resource, scheme_len + authority_len);
    wc_buf_str(&b, WELL_KNOWN);
    wc_buf_str(&b, path);
    char *url = wc_buf_cstr(&b);
    if (!url)
        wc_buf_free(&b);
    return url;
}

/* The path of an absolute http(s) URL, without its query ("/" when none). */
static char *path_of(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    p += strcspn(p, "/?#");
    size_t len = strcspn(p, "?#");
    return len && *p == '/' ? strndup(p, len) : strdup("/");
}

static bool array_has(const json_t *array, const char *s)
{
    size_t i;
    const json_t *v;
    json_array_foreach(array, i, v)
        if (strcmp(json_string_value(v), s) == 0)
            return true;
    return false;
}

/* scopes_supported: as configured, else every scope a tool, prompt or
 * plugin's resources require. */
static int add_scopes(json_t *array, const wc_auth_options *o)
{
    for (size_t i = 0; i < o->n_scopes_supported; i++)
        if (!array_has(array, o->scopes_supported[i]) &&
            json_array_append_new(array, json_string(o->scopes_supported[i])))
            return -1;
    if (o->n_scopes_supported)
        return 0;
    for (int t = 0; t < WC_AUTH_TARGETS; t++) {
        for (size_t i = 0; i < o->scopes[t].count; i++) {
            const char *list = o->scopes[t].entries[i].scopes;
            while (*list) {
                size_t n = strcspn(list, " ");
                char *scope = strndup(list, n);
                int rc = !scope ? -1 : array_has(array, scope) ? 0 : json_array_append_new(array, json_string(scope));
                free(scope);
                if (rc)
                    return -1;
                list += n;
                list += strspn(list, " ");
            }
        }
    }
    return 0;
}

int wc_auth_build_metadata(wc_auth *auth, wc_error *err)
{
    const wc_auth_options *o = &auth->opts;
    auth->metadata_url = o->resource_metadata_url ? strdup(o->resource_metadata_url)
                                                  : wc_auth_metadata_url_for(o->resource);
    if (!auth->metadata_url)
        return wc_error_set(err, WC_EINVAL,
                            "auth.resource: cannot derive the metadata URL from '%s'", o->resource);
    auth->metadata_path = path_of(auth->metadata_url);

    json_t *doc = json_object(), *servers = json_array(), *scopes = json_array(), *methods = json_array();
    bool ok = auth->metadata_path && doc && servers && scopes && methods;
    for (size_t i = 0; ok && i < o->n_authorization_servers; i++)
        ok = json_array_append_new(servers, json_string(o->authorization_servers[i])) == 0;
    ok = ok && add_scopes(scopes, o) == 0 && json_array_append_new(methods, json_string("header")) == 0;
    ok = ok && json_object_set_new(doc, "resource", json_string(o->resource)) == 0;
    if (ok && json_array_size(servers))
        ok = json_object_set(doc, "authorization_servers", servers) == 0;
    if (ok && json_array_size(scopes))
        ok = json_object_set(doc, "scopes_supported", scopes) == 0;
    ok = ok && json_object_set(doc, "bearer_methods_supported", methods) == 0;
    if (ok && o->resource_name)
        ok = json_object_set_new(doc, "resource_name", json_string(o->resource_name)) == 0;
    if (ok)
        auth->metadata_json = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    json_decref(servers);
    json_decref(scopes);
    json_decref(methods);
    if (!auth->metadata_json)
        return wc_error_set(err, WC_EINVAL,
                            "cannot build the resource metadata document (out of memory, or "
                            "auth.resource_name is not UTF-8)");
    return 0;
}

const char *wc_auth_metadata_json(const wc_auth *auth)
{
    return auth->metadata_json;
}

const char *wc_auth_metadata_url(const wc_auth *auth)
{
    return auth->metadata_url;
}

bool wc_auth_is_metadata_path(const wc_auth *auth, const char *path)
{
    return strcmp(path, WELL_KNOWN) == 0 || strcmp(path, auth->metadata_path) == 0;
}
