/* source.c -- a plugin's source read from the config and resolved to a
 * local file (source.h).  OCI references go to oci_pull.c; https and files
 * are here. */
#include "fetch/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch/cas.h"
#include "fetch/oci_pull.h"
#include "fetch/transfer.h"
#include "util/log.h"
#include "util/sha256.h"

static bool is_hex64(const char *s, size_t n)
{
    if (n != WC_SHA256_HEX_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* The kind and pinned digest of a URL; the URL loses its "#sha256=" pin. */
static int classify(char *url, wc_source *out, wc_error *err)
{
    if (strncmp(url, "oci://", 6) == 0) {
        out->kind = WC_SOURCE_OCI;
        return 0;
    }
    if (strncmp(url, "https://", 8) == 0) {
        out->kind = WC_SOURCE_HTTPS;
        char *pin = strchr(url, '#');
        if (pin) {
            if (strncmp(pin, "#sha256=", 8) != 0 || !is_hex64(pin + 8, strlen(pin + 8)))
                return wc_error_set(err, WC_EINVAL,
                                    "an https source's fragment must be '#sha256=' and 64 lower-case "
                                    "hex digits");
            memcpy(out->sha256, pin + 8, 65);
            *pin = 0;
        }
        return 0;
    }
    if (strncmp(url, "http://", 7) == 0)
        return wc_error_set(err, WC_EINVAL, "plain http sources are refused: use https://");
    if (strstr(url, "://") && strncmp(url, "file://", 7) != 0)
        return wc_error_set(err, WC_EINVAL,
                            "unknown source scheme in '%s' (a path, file://, https:// or oci://)",
                            url);
    out->kind = WC_SOURCE_FILE;
    if (strncmp(url, "file://", 7) == 0)
        memmove(url, url + 7, strlen(url + 7) + 1);
    if (!*url)
        return wc_error_set(err, WC_EINVAL, "an empty file path");
    return 0;
}

static void defaults(wc_source *out)
{
    memset(out, 0, sizeof *out);
    out->require_digest = true;
    out->require_signature = true;
    out->max_bytes = WC_SOURCE_DEFAULT_MAX_BYTES;
}

int wc_source_parse(const char *text, wc_source *out, wc_error *err)
{
    defaults(out);
    if (!(out->url = strdup(text)))
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    int rc = classify(out->url, out, err);
    if (rc != 0)
        wc_source_free(out);
    return rc;
}

/* A relative file path joins the config's folder (as "path" does). */
static bool resolve_file(const wc_rnode *url_node, wc_source *out)
{
    if (out->url[0] == '/' || !url_node->reader->base_dir || !*url_node->reader->base_dir)
        return true;
    size_t len = strlen(url_node->reader->base_dir) + 1 + strlen(out->url) + 1;
    char *joined = malloc(len);
    if (!joined)
        return wc_rnode_fail(url_node, "out of memory");
    snprintf(joined, len, "%s/%s", url_node->reader->base_dir, out->url);
    free(out->url);
    out->url = joined;
    return true;
}

static void read_options(wc_rnode *obj, wc_source *out)
{
    wc_rnode m = wc_rnode_member(obj, "require_digest");
    wc_rnode_bool(&m, &out->require_digest);
    m = wc_rnode_member(obj, "require_signature");
    wc_rnode_bool(&m, &out->require_signature);
    m = wc_rnode_member(obj, "keys");
    if (wc_rnode_array(&m, "an array of PEM public key files")) {
        size_t n = wc_rnode_count(&m);
        if (n > 64) {
            wc_rnode_fail(&m, "at most 64 keys");
            return;
        }
        if (n && !(out->keys = calloc(n, sizeof *out->keys))) {
            wc_rnode_fail(&m, "out of memory");
            return;
        }
        /* Paths relative to the config's folder, as every other path. */
        for (size_t i = 0; i < n; i++) {
            wc_rnode item = wc_rnode_item(&m, i);
            if (!wc_rnode_path(&item, WC_READ_NONEMPTY, &out->keys[i]))
                return;
            out->nkeys++;
        }
    }
    m = wc_rnode_member(obj, "keyless");
    if (wc_rnode_present(&m))
        wc_rnode_fail(&m, "keyless (Fulcio/Rekor) verification is not supported: give \"keys\" "
                          "(PEM public keys) or set \"require_signature\": false");
    m = wc_rnode_member(obj, "username");
    wc_rnode_string(&m, 0, &out->username);
    m = wc_rnode_member(obj, "password");
    wc_rnode_string(&m, 0, &out->password);
    m = wc_rnode_member(obj, "ca_file");
    wc_rnode_path(&m, WC_READ_NONEMPTY, &out->ca_file);
    m = wc_rnode_member(obj, "plain_http");
    wc_rnode_bool(&m, &out->plain_http);
    m = wc_rnode_member(obj, "max_bytes");
    wc_rnode_size(&m, 1, 1ull << 32, &out->max_bytes);
}

/* What the kind requires once every option is read. */
static void check_kind(const wc_rnode *node, wc_source *out)
{
    if ((out->username != NULL) != (out->password != NULL))
        wc_rnode_fail(node, "give both username and password, or neither");
    if (out->kind == WC_SOURCE_HTTPS && out->require_digest && !out->sha256[0])
        wc_rnode_fail(node, "an https source must be pinned: add '#sha256=<hex>' (or "
                            "\"require_digest\": false)");
    if (out->kind == WC_SOURCE_OCI && out->require_signature && !out->nkeys)
        wc_rnode_fail(node, "an OCI source needs \"keys\" (PEM public keys) to verify its cosign "
                            "signature, or \"require_signature\": false");
    if (out->kind != WC_SOURCE_OCI && out->plain_http)
        wc_rnode_fail(node, "plain_http applies to OCI registries only");
}

bool wc_source_read(const wc_rnode *node, wc_source *out)
{
    defaults(out);
    if (!wc_rnode_present(node))
        return false;
    wc_rnode obj = *node;
    wc_rnode url_node = *node;
    bool is_object = json_is_object(node->json);
    if (is_object)
        url_node = wc_rnode_member(&obj, "url");
    else if (!json_is_string(node->json)) {
        wc_rnode_fail(node, "expected a string (path or URL) or an object with \"url\"");
        return false;
    }
    if (!wc_rnode_require(&url_node) || !wc_rnode_string(&url_node, WC_READ_NONEMPTY, &out->url))
        goto fail;
    wc_error err = {0};
    if (classify(out->url, out, &err) != 0) {
        wc_rnode_fail(&url_node, "%s", err.msg);
        goto fail;
    }
    if (out->kind == WC_SOURCE_FILE && !resolve_file(&url_node, out))
        goto fail;
    if (is_object) {
        wc_rnode pin = wc_rnode_member(&obj, "sha256");
        const char *hex;
        if (wc_rnode_text(&pin, 0, &hex)) {
            if (!is_hex64(hex, strlen(hex)))
                wc_rnode_fail(&pin, "expected 64 lower-case hex digits");
            else if (out->sha256[0] && strcmp(out->sha256, hex) != 0)
                wc_rnode_fail(&pin, "differs from the URL's #sha256= pin");
            else
                memcpy(out->sha256, hex, 65);
        }
        read_options(&obj, out);
        wc_rnode_done(&obj);
    }
    if (!node->reader->failed)
        check_kind(node, out);
    if (!node->reader->failed)
        return true;
fail:
    wc_source_free(out);
    return false;
}

void wc_source_free(wc_source *s)
{
    free(s->url);
    for (size_t i = 0; i < s->nkeys; i++)
        free(s->keys[i]);
    free(s->keys);
    free(s->username);
    if (s->password) {
        memset(s->password, 0, strlen(s->password));
        free(s->password);
    }
    free(s->ca_file);
    memset(s, 0, sizeof *s);
}

/* ---- https ---------------------------------------------------------------- */

static int resolve_https(const wc_source *s, const wc_fetch_options *o, char **path, wc_error *err)
{
    wc_cas cas;
    int rc = wc_cas_open(&cas, o->cache_dir, err);
    if (rc != 0)
        return rc;
    char file[4200];
    if (s->sha256[0]) {
        uint8_t *data = NULL;
        size_t len = 0;
        rc = wc_cas_load(&cas, s->sha256, s->max_bytes, &data, &len, err);
        free(data);
        if (rc == 0) {
            wc_cas_path(&cas, s->sha256, file, sizeof file);
            return (*path = strdup(file)) ? 0 : wc_error_set(err, WC_ENOMEM, "out of memory");
        }
        if (rc != WC_ENOTFOUND)
            return rc;
    }
    wc_transfer t = {.url = s->url,
                     .max_bytes = s->max_bytes,
                     .ca_file = s->ca_file,
                     .timeout_ms = o->timeout_ms,
                     .what = s->url,
                     .progress = o->progress,
                     .progress_ctx = o->progress_ctx};
    wc_transfer_answer a;
    rc = wc_transfer_run(&t, &a, err);
    if (rc == 0 && a.status != 200)
        rc = wc_error_set(err, WC_EREMOTE, "GET %s: HTTP status %ld", s->url, a.status);
    if (rc != 0) {
        wc_transfer_answer_free(&a);
        return rc;
    }
    char got[65];
    wc_sha256_hex((const void *const[]){a.body.body.data}, (const size_t[]){a.body.body.len}, 1, got);
    if (s->sha256[0] && strcmp(got, s->sha256) != 0) {
        wc_transfer_answer_free(&a);
        return wc_error_set(err, WC_EDIGEST,
                            "%s: the downloaded module has sha256 %s, not the pinned %s", s->url,
                            got, s->sha256);
    }
    if (!s->sha256[0])
        wc_log(WC_LOG_WARNING, "fetch", "%s is not pinned by a digest (require_digest is off); got sha256 %s",
               s->url, got);
    rc = wc_cas_store(&cas, got, a.body.body.data, a.body.body.len, err);
    wc_transfer_answer_free(&a);
    if (rc != 0)
        return rc;
    wc_cas_path(&cas, got, file, sizeof file);
    return (*path = strdup(file)) ? 0 : wc_error_set(err, WC_ENOMEM, "out of memory");
}

int wc_source_resolve(const wc_source *s, const wc_fetch_options *o, char **path, wc_error *err)
{
    *path = NULL;
    switch (s->kind) {
    case WC_SOURCE_FILE:
        return (*path = strdup(s->url)) ? 0 : wc_error_set(err, WC_ENOMEM, "out of memory");
    case WC_SOURCE_HTTPS:
        if (s->require_digest && !s->sha256[0])
            return wc_error_set(err, WC_EINVAL, "%s is not pinned by '#sha256=<hex>'", s->url);
        return resolve_https(s, o, path, err);
    case WC_SOURCE_OCI:
        return wc_oci_resolve(s, o, path, err);
    }
    return wc_error_set(err, WC_EINVAL, "unknown source kind");
}
