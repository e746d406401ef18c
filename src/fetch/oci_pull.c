/* oci_pull.c -- pulling and verifying a plugin from an OCI registry (oci_pull.h). */
#include "fetch/oci_pull.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch/cas.h"
#include "fetch/cosign.h"
#include "fetch/oci.h"
#include "fetch/tar_layer.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/sha256.h"

#define MAX_DESCRIPTORS 1000
#define MAX_SIGNATURE_LAYERS 64
#define MAX_PAYLOAD_BYTES (64u << 10)

typedef struct pull {
    const wc_source *source;
    wc_oci_ref ref;
    wc_oci_client *client;
    wc_cas cas;
    char where[600]; /* "registry/repository" for messages */
} pull;

static const char *const wasm_layer_types[] = {
    WC_WASM_LAYER,
    "application/vnd.wasm.content.layer.v1+wasm",
    "application/vnd.module.wasm.content.layer.v1+wasm",
    "application/vnd.bytecodealliance.wasm.component.layer.v0+wasm",
};

static bool one_of(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

static const char *hex_of(const char *digest)
{
    return digest + 7;
}

/* A blob by digest: from the cache (checked) or the registry (then kept). */
static int blob(pull *p, const char *digest, size_t max, uint8_t **data, size_t *len, wc_error *err)
{
    if (!wc_oci_digest_ok(digest))
        return wc_error_set(err, WC_EREMOTE, "%s: '%.80s' is not a sha256 digest", p->where, digest);
    int rc = wc_cas_load(&p->cas, hex_of(digest), max, data, len, err);
    if (rc != WC_ENOTFOUND)
        return rc;
    rc = wc_oci_get_blob(p->client, digest, max, data, len, err);
    if (rc == 0)
        rc = wc_cas_store(&p->cas, hex_of(digest), *data, *len, err);
    if (rc != 0) {
        free(*data);
        *data = NULL;
    }
    return rc;
}

/* A manifest by digest, cache first; by tag, always the registry's. */
static int manifest(pull *p, const char *reference, json_t **doc, char *digest, bool *cached,
                    wc_error *err)
{
    uint8_t *body = NULL;
    size_t len = 0;
    char media[128] = "";
    int rc = WC_ENOTFOUND;
    *cached = false;
    if (wc_oci_digest_ok(reference)) {
        rc = wc_cas_load(&p->cas, hex_of(reference), WC_OCI_MAX_MANIFEST_BYTES, &body, &len, err);
        if (rc == 0) {
            snprintf(digest, 72, "%s", reference);
            *cached = true;
        }
    }
    if (rc == WC_ENOTFOUND) {
        rc = wc_oci_get_manifest(p->client, reference, &body, &len, media, sizeof media, digest, err);
        if (rc == 0)
            rc = wc_cas_store(&p->cas, hex_of(digest), body, len, err);
    }
    if (rc != 0) {
        free(body);
        return rc;
    }
    json_error_t jerr;
    *doc = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &jerr);
    free(body);
    if (!json_is_object(*doc)) {
        json_decref(*doc);
        *doc = NULL;
        return wc_error_set(err, WC_EREMOTE, "%s: the manifest %s is not a JSON object: %s", p->where,
                            digest, jerr.text);
    }
    return 0;
}

/* ---- the signature --------------------------------------------------------- */

/* The signature manifest's digest recorded for a signed digest. */
static void signature_note(const pull *p, const char *digest, char *path, size_t size)
{
    snprintf(path, size, "%s/../signatures/sha256-%s.sig", p->cas.dir, hex_of(digest));
}

static int signature_manifest(pull *p, const char *digest, bool cached, json_t **doc, wc_error *err)
{
    char note[4300], sig_digest[72] = "";
    signature_note(p, digest, note, sizeof note);
    if (cached) {
        uint8_t *text = NULL;
        size_t len = 0;
        if (wc_read_regular_file(note, 80, &text, &len) == 0 && len < sizeof sig_digest) {
            memcpy(sig_digest, text, len);
            sig_digest[len] = 0;
        }
        free(text);
    }
    bool was_cached = false;
    char tag[80], reference[80];
    snprintf(tag, sizeof tag, "sha256-%s.sig", hex_of(digest));
    snprintf(reference, sizeof reference, "%s", wc_oci_digest_ok(sig_digest) ? sig_digest : tag);
    int rc = manifest(p, reference, doc, sig_digest, &was_cached, err);
    if (rc == WC_ENOTFOUND)
        return wc_error_set(err, WC_ESIGNATURE,
                            "%s@%s is not signed: the registry has no %s (sign it with cosign, or "
                            "set \"require_signature\": false)",
                            p->where, digest, tag);
    if (rc != 0)
        return rc;
    char dir[4300];
    snprintf(dir, sizeof dir, "%s/../signatures", p->cas.dir);
    if (wc_mkdirs(dir) == 0)
        wc_write_file_atomic(note, sig_digest, strlen(sig_digest));
    return 0;
}

/* Some layer of the signature manifest verifies with a configured key and
 * vouches for digest. */
static int verify_signature(pull *p, const char *digest, bool cached, wc_error *err)
{
    json_t *sig = NULL;
    int rc = signature_manifest(p, digest, cached, &sig, err);
    if (rc != 0)
        return rc;
    json_t *layers = json_object_get(sig, "layers");
    size_t n = json_array_size(layers);
    wc_error last = {0};
    wc_error_set(&last, WC_ESIGNATURE, "%s@%s: the signature manifest has no simple-signing layer",
                 p->where, digest);
    for (size_t i = 0; i < n && i < MAX_SIGNATURE_LAYERS; i++) {
        json_t *layer = json_array_get(layers, i);
        const char *type = json_string_value(json_object_get(layer, "mediaType"));
        const char *ldigest = json_string_value(json_object_get(layer, "digest"));
        const char *b64 = json_string_value(
            json_object_get(json_object_get(layer, "annotations"), WC_COSIGN_SIGNATURE_ANNOTATION));
        if (!type || strcmp(type, WC_COSIGN_SIMPLESIGNING) != 0 || !ldigest || !b64)
            continue;
        uint8_t *payload = NULL;
        size_t len = 0;
        wc_error e = {0};
        rc = blob(p, ldigest, MAX_PAYLOAD_BYTES, &payload, &len, &e);
        if (rc == 0)
            rc = wc_cosign_verify(payload, len, b64, p->source->keys, p->source->nkeys, digest, &e);
        free(payload);
        if (rc == 0) {
            json_decref(sig);
            return 0;
        }
        if (rc != WC_ESIGNATURE) { /* an unreadable key or a broken cache: say so at once */
            json_decref(sig);
            return wc_error_set(err, rc, "%s", e.msg);
        }
        wc_error_set(&last, WC_ESIGNATURE, "%s@%s: signature refused: %s", p->where, digest, e.msg);
    }
    json_decref(sig);
    return wc_error_set(err, last.code, "%s", last.msg);
}

/* ---- manifests --------------------------------------------------------------- */

static bool is_index(json_t *doc)
{
    const char *type = json_string_value(json_object_get(doc, "mediaType"));
    if (type)
        return strcmp(type, WC_OCI_INDEX) == 0 || strcmp(type, WC_DOCKER_LIST) == 0;
    return json_object_get(doc, "manifests") && !json_object_get(doc, "layers");
}

/* The index entry for wasi/wasm, else linux/amd64. */
static int pick_platform(pull *p, json_t *index, char *digest, wc_error *err)
{
    json_t *list = json_object_get(index, "manifests");
    size_t n = json_array_size(list);
    if (n > MAX_DESCRIPTORS)
        return wc_error_set(err, WC_ETOOBIG, "%s: an index of %zu manifests", p->where, n);
    const char *wanted[][2] = {{"wasi", "wasm"}, {"wasip1", "wasm"}, {"linux", "amd64"}};
    for (size_t w = 0; w < sizeof wanted / sizeof wanted[0]; w++) {
        for (size_t i = 0; i < n; i++) {
            json_t *m = json_array_get(list, i);
            json_t *platform = json_object_get(m, "platform");
            const char *os = json_string_value(json_object_get(platform, "os"));
            const char *arch = json_string_value(json_object_get(platform, "architecture"));
            const char *d = json_string_value(json_object_get(m, "digest"));
            if (os && arch && d && strcmp(os, wanted[w][0]) == 0 && strcmp(arch, wanted[w][1]) == 0) {
                if (!wc_oci_digest_ok(d))
                    return wc_error_set(err, WC_EREMOTE, "%s: an index entry with the digest '%.80s'",
                                        p->where, d);
                snprintf(digest, 72, "%s", d);
                return 0;
            }
        }
    }
    return wc_error_set(err, WC_ENOTFOUND, "%s: the index has no wasi/wasm or linux/amd64 manifest",
                        p->where);
}

/* A layer descriptor's digest and size, checked against the limit. */
static int descriptor(pull *p, json_t *layer, const char **digest, size_t *size, wc_error *err)
{
    *digest = json_string_value(json_object_get(layer, "digest"));
    json_t *sz = json_object_get(layer, "size");
    if (!*digest || !wc_oci_digest_ok(*digest) || !json_is_integer(sz) || json_integer_value(sz) < 0)
        return wc_error_set(err, WC_EREMOTE, "%s: a layer without a sha256 digest and a size", p->where);
    if ((uint64_t)json_integer_value(sz) > p->source->max_bytes)
        return wc_error_set(err, WC_ETOOBIG, "%s: the layer %s of %lld bytes is over the limit of %llu",
                            p->where, *digest, (long long)json_integer_value(sz),
                            (unsigned long long)p->source->max_bytes);
    *size = (size_t)json_integer_value(sz);
    return 0;
}

static int module_path(pull *p, const char *hex, char **path, wc_error *err)
{
    char file[4200];
    wc_cas_path(&p->cas, hex, file, sizeof file);
    return (*path = strdup(file)) ? 0 : wc_error_set(err, WC_ENOMEM, "out of memory");
}

/* The module of an image manifest, into the cache; *path names it. */
static int take_module(pull *p, json_t *doc, char **path, wc_error *err)
{
    json_t *layers = json_object_get(doc, "layers");
    size_t n = json_array_size(layers);
    if (n == 0 || n > MAX_DESCRIPTORS)
        return wc_error_set(err, WC_EREMOTE, "%s: the manifest has %zu layers", p->where, n);
    size_t max = (size_t)p->source->max_bytes;
    /* An artifact's wasm layer first: ORAS, hyper-mcp's plugin.v2. */
    for (size_t i = 0; i < n; i++) {
        json_t *layer = json_array_get(layers, i);
        const char *type = json_string_value(json_object_get(layer, "mediaType"));
        if (!one_of(type, wasm_layer_types, sizeof wasm_layer_types / sizeof wasm_layer_types[0]))
            continue;
        const char *digest;
        size_t size;
        int rc = descriptor(p, layer, &digest, &size, err);
        uint8_t *data = NULL;
        size_t len = 0;
        if (rc == 0)
            rc = blob(p, digest, max, &data, &len, err);
        free(data);
        return rc ? rc : module_path(p, hex_of(digest), path, err);
    }
    /* An image: plugin.wasm in a tar layer, the last layer winning as in a
     * container's file system. */
    int last_rc = wc_error_set(err, WC_ENOTFOUND, "%s: no wasm or tar layer in the manifest", p->where);
    for (size_t k = n; k-- > 0;) {
        json_t *layer = json_array_get(layers, k);
        const char *type = json_string_value(json_object_get(layer, "mediaType"));
        if (!type)
            continue;
        bool gz = strstr(type, "tar+gzip") || strstr(type, "tar.gzip");
        bool tar = gz || (strstr(type, ".tar") && !strstr(type, "+zstd"));
        if (!tar)
            continue;
        const char *digest;
        size_t size;
        int rc = descriptor(p, layer, &digest, &size, err);
        uint8_t *data = NULL, *plain = NULL, *file = NULL;
        size_t len = 0, plain_len = 0, file_len = 0;
        if (rc == 0)
            rc = blob(p, digest, max, &data, &len, err);
        if (rc == 0 && gz)
            rc = wc_gunzip(data, len, max + max / 2 + (1u << 20), &plain, &plain_len, err);
        if (rc == 0)
            rc = wc_tar_find_plugin(gz ? plain : data, gz ? plain_len : len, max, &file, &file_len, err);
        free(data);
        free(plain);
        if (rc == WC_ENOTFOUND) {
            last_rc = rc;
            continue;
        }
        char hex[65] = "";
        if (rc == 0) {
            wc_sha256_hex((const void *const[]){file}, (const size_t[]){file_len}, 1, hex);
            rc = wc_cas_store(&p->cas, hex, file, file_len, err);
        }
        free(file);
        return rc ? rc : module_path(p, hex, path, err);
    }
    if (last_rc == WC_ENOTFOUND)
        wc_error_set(err, WC_ENOTFOUND, "%s: no layer holds plugin.wasm (nor is a wasm layer)", p->where);
    return last_rc;
}

int wc_oci_resolve(const wc_source *s, const wc_fetch_options *o, char **path, wc_error *err)
{
    *path = NULL;
    pull p = {.source = s};
    int rc = wc_oci_ref_parse(s->url, &p.ref, err);
    if (rc == 0)
        rc = wc_cas_open(&p.cas, o->cache_dir, err);
    if (rc == 0)
        rc = wc_oci_client_new(&p.ref, s, o, &p.client, err);
    if (rc != 0)
        return rc;
    snprintf(p.where, sizeof p.where, "%s/%s", p.ref.registry, p.ref.repository);
    json_t *top = NULL, *image = NULL;
    char digest[72] = "", image_digest[72] = "";
    bool cached = false, image_cached = false;
    rc = manifest(&p, p.ref.digest[0] ? p.ref.digest : p.ref.tag, &top, digest, &cached, err);
    /* The signature is over what the reference names: the index when it is one. */
    if (rc == 0 && s->require_signature)
        rc = verify_signature(&p, digest, cached, err);
    if (rc == 0 && is_index(top)) {
        rc = pick_platform(&p, top, image_digest, err);
        if (rc == 0)
            rc = manifest(&p, image_digest, &image, image_digest, &image_cached, err);
        if (rc == 0 && is_index(image))
            rc = wc_error_set(err, WC_EREMOTE, "%s: an index inside an index", p.where);
    }
    if (rc == 0)
        rc = take_module(&p, image ? image : top, path, err);
    if (rc == 0)
        wc_log(WC_LOG_INFO, "fetch", "%s@%s%s: %s", p.where, digest,
               s->require_signature ? " (signature verified)" : " (signature not required)", *path);
    json_decref(top);
    json_decref(image);
    wc_oci_client_free(p.client);
    return rc;
}
