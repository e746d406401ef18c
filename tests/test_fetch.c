/* test_fetch.c -- plugin sources (fetch/): references, base64, the tar and
 * gzip readers, https sources against a local TLS server (openssl
 * s_server), and OCI against Debian's docker-registry on 127.0.0.1 with
 * and without htpasswd auth: push, pull by tag and digest, image indexes,
 * gzip layers, cosign signatures (made here with OpenSSL in cosign's
 * layout), and each refusal -- tampered, wrong digest, unsigned, foreign
 * key, signature for another digest -- from the registry and from the
 * cache. */
#define _GNU_SOURCE
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <zlib.h>

#include "check.h"
#include "fetch/base64.h"
#include "fetch/cas.h"
#include "fetch/cosign.h"
#include "fetch/oci.h"
#include "fetch/source.h"
#include "fetch/tar_layer.h"
#include "cosign_signer.h"
#include "registry_server.h"
#include "test_certificate.h"
#include "token_server.h"
#include "util/buf.h"
#include "util/process.h"
#include "util/sha256.h"

static char tmp[512];

/* ---- small pieces --------------------------------------------------------- */

static void test_refs(void)
{
    wc_oci_ref r;
    wc_error e = {0};
    CHECK(wc_oci_ref_parse("oci://127.0.0.1:5000/tools/echo:1.0", &r, &e) == 0 &&
              strcmp(r.registry, "127.0.0.1:5000") == 0 && strcmp(r.repository, "tools/echo") == 0 &&
              strcmp(r.tag, "1.0") == 0 && !r.digest[0],
          "tag ref: %s", e.msg);
    const char *d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char text[200];
    snprintf(text, sizeof text, "ghcr.io/o/p@%s", d);
    CHECK(wc_oci_ref_parse(text, &r, &e) == 0 && strcmp(r.digest, d) == 0 && !r.tag[0], "digest ref");
    CHECK(wc_oci_ref_parse("ghcr.io/o/p", &r, &e) == 0 && strcmp(r.tag, "latest") == 0, "latest");
    CHECK(wc_oci_ref_parse("docker.io/library/x:1", &r, &e) == 0 &&
              strcmp(r.registry, "registry-1.docker.io") == 0, "docker hub");
    const char *bad[] = {"noslash", "/repo:1", "h/Repo:1", "h/r:", "h/r@sha256:12", "h/a//b:1",
                         "h/../x:1", "h/r:-x", "ho st/r:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(wc_oci_ref_parse(bad[i], &r, &e) == WC_EINVAL, "accepted %s", bad[i]);
}

static void test_base64(void)
{
    size_t n = 0;
    uint8_t *b = wc_base64_decode("dXNlcjpwdw==", 12, &n);
    CHECK(b && n == 7 && memcmp(b, "user:pw", 7) == 0, "decode");
    free(b);
    const char *bad[] = {"dXNlcjpwdw=", "dX=lcjpw", "dXNl cjpw", "dXN*"};
    for (size_t i = 0; i < 4; i++)
        CHECK(!wc_base64_decode(bad[i], strlen(bad[i]), &n), "accepted %s", bad[i]);
    char *e = wc_base64_encode("user:pw", 7);
    CHECK(e && strcmp(e, "dXNlcjpwdw==") == 0, "encode %s", e ? e : "(null)");
    free(e);
}

/* One ustar entry: header, data, padding. */
static void tar_entry(wc_buf *b, const char *name, char type, const void *data, size_t len)
{
    uint8_t h[512] = {0};
    snprintf((char *)h, 100, "%s", name);
    snprintf((char *)h + 100, 8, "%07o", 0644);
    snprintf((char *)h + 124, 12, "%011o", (unsigned)len);
    h[156] = (uint8_t)type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    wc_buf_append(b, h, 512);
    wc_buf_append(b, data, len);
    static const uint8_t zeros[512];
    wc_buf_append(b, zeros, (512 - len % 512) % 512);
}

static void tar_end(wc_buf *b)
{
    static const uint8_t zeros[1024];
    wc_buf_append(b, zeros, sizeof zeros);
}

static void gzip_bytes(const void *data, size_t len, wc_buf *out)
{
    z_stream z = {0};
    deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
    wc_buf_reserve(out, deflateBound(&z, len) + 64);
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)len;
    z.next_out = out->data + out->len;
    z.avail_out = (uInt)(out->cap - out->len);
    deflate(&z, Z_FINISH);
    out->len += z.total_out;
    deflateEnd(&z);
}

static const uint8_t module_a[] = "\0asm\1\0\0\0 module A";
static const uint8_t module_b[] = "\0asm\1\0\0\0 module B, another";

static void test_tar(void)
{
    wc_buf t;
    wc_buf_init(&t);
    tar_entry(&t, "../plugin.wasm", '0', "evil", 4);
    tar_entry(&t, "plugin.wasm", '5', "", 0); /* a directory of that name */
    tar_entry(&t, "etc/plugin.wasm", '0', "nested", 6);
    tar_entry(&t, "./plugin.wasm", '0', module_a, sizeof module_a);
    tar_end(&t);
    uint8_t *file = NULL;
    size_t len = 0;
    wc_error e = {0};
    CHECK(wc_tar_find_plugin(t.data, t.len, 1 << 20, &file, &len, &e) == 0 && len == sizeof module_a &&
              memcmp(file, module_a, len) == 0,
          "the plugin, not the tricks: %s", e.msg);
    free(file);
    CHECK(wc_tar_find_plugin(t.data, t.len, 4, &file, &len, &e) == WC_ETOOBIG, "file limit");
    CHECK(wc_tar_find_plugin(t.data, 512 * 6 + 10, 1 << 20, &file, &len, &e) == WC_EINVAL &&
              strstr(e.msg, "runs past"), "truncated: %s", e.msg);
    t.data[148] ^= 1; /* checksum of the first header */
    CHECK(wc_tar_find_plugin(t.data, t.len, 1 << 20, &file, &len, &e) == WC_EINVAL &&
              strstr(e.msg, "checksum"), "checksum: %s", e.msg);
    t.data[148] ^= 1;
    wc_buf gz;
    wc_buf_init(&gz);
    gzip_bytes(t.data, t.len, &gz);
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    CHECK(wc_gunzip(gz.data, gz.len, 1 << 20, &plain, &plain_len, &e) == 0 && plain_len == t.len &&
              memcmp(plain, t.data, t.len) == 0, "gunzip: %s", e.msg);
    free(plain);
    CHECK(wc_gunzip(gz.data, gz.len, 1024, &plain, &plain_len, &e) == WC_ETOOBIG, "bomb limit");
    CHECK(wc_gunzip(gz.data, gz.len / 2, 1 << 20, &plain, &plain_len, &e) == WC_EINVAL, "truncated gz");
    wc_buf_free(&gz);
    wc_buf_free(&t);
    /* A bomb: 64 MiB of zeros in a few KiB stops at the limit. */
    uint8_t *zeros = calloc(1, 64u << 20);
    wc_buf bomb;
    wc_buf_init(&bomb);
    gzip_bytes(zeros, 64u << 20, &bomb);
    free(zeros);
    CHECK(bomb.len < (1u << 20) && wc_gunzip(bomb.data, bomb.len, 8u << 20, &plain, &plain_len, &e) == WC_ETOOBIG,
          "gzip bomb");
    wc_buf_free(&bomb);
}

/* ---- keys and signatures ------------------------------------------------------ */

static void write_public_key(EVP_PKEY *key, const char *path)
{
    FILE *f = fopen(path, "w");
    PEM_write_PUBKEY(f, key);
    fclose(f);
}

/* ---- resolving ------------------------------------------------------------------ */

typedef struct setup {
    char cache[600];
    char key_p256[600], key_ed[600], key_other[600];
    EVP_PKEY *p256, *ed, *other;
} setup;

static setup S;

static int resolve(const char *url, const char *key, bool plain_http, bool signature, char **path,
                   wc_error *e)
{
    wc_source s;
    if (wc_source_parse(url, &s, e) != 0)
        return e->code;
    char *keys[1] = {(char *)key};
    s.keys = key ? keys : NULL;
    s.nkeys = key ? 1 : 0;
    s.plain_http = plain_http;
    s.require_signature = signature;
    wc_fetch_options o = {.cache_dir = S.cache, .timeout_ms = 20000};
    int rc = wc_source_resolve(&s, &o, path, e);
    s.keys = NULL;
    s.nkeys = 0;
    wc_source_free(&s);
    return rc;
}

static bool file_is(const char *path, const void *data, size_t len)
{
    uint8_t *got = NULL;
    size_t n = 0;
    bool ok = path && wc_read_file(path, 0, &got, &n) == 0 && n == len && memcmp(got, data, len) == 0;
    free(got);
    return ok;
}

/* Flips one byte of the cache entry for digest ("sha256:..." or hex). */
static void tamper(const char *digest)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/sources/sha256/%s", S.cache, strncmp(digest, "sha256:", 7) ? digest : digest + 7);
    FILE *f = fopen(path, "r+b");
    if (!f)
        return;
    int c = fgetc(f);
    fseek(f, 0, SEEK_SET);
    fputc(c ^ 0x20, f);
    fclose(f);
}

static void untamper(const char *digest)
{
    tamper(digest);
}

/* A registry for one test; false (a failed check) when it cannot start. */
static bool start_registry(test_registry *reg, const char *user, const char *password)
{
    if (test_registry_start(reg, user, password) == 0)
        return true;
    CHECK(0, "docker-registry did not start (scripts/install-deps.sh installs it)");
    test_registry_stop(reg);
    return false;
}

/* A client of ref's repository, talking plain HTTP, anonymous or as opts say. */
static wc_oci_client *client_for(const char *ref, const char *user, const char *password, wc_error *e)
{
    wc_oci_ref r;
    wc_oci_client *c = NULL;
    wc_source opts = {.plain_http = true, .max_bytes = WC_SOURCE_DEFAULT_MAX_BYTES, .username = (char *)user,
                      .password = (char *)password};
    wc_fetch_options fo = {.cache_dir = S.cache, .timeout_ms = 20000};
    if (wc_oci_ref_parse(ref, &r, e) != 0 || wc_oci_client_new(&r, &opts, &fo, &c, e) != 0)
        return NULL;
    return c;
}

/* ---- OCI against the anonymous registry -------------------------------------------- */

static void test_oci_anonymous(void)
{
    test_registry reg;
    if (!start_registry(&reg, NULL, NULL))
        return;
    char ref[300], url[400], docker_ref[300];
    snprintf(ref, sizeof ref, "%s/tools/echo:1.0", reg.host);
    snprintf(docker_ref, sizeof docker_ref, "%s/tools/echo", reg.host);
    wc_error e = {0};
    wc_oci_client *c = client_for(ref, NULL, NULL, &e);
    CHECK(c != NULL, "client: %s", e.msg);
    if (!c) {
        test_registry_stop(&reg);
        return;
    }
    char digest_a[72] = "", digest_b[72] = "";
    CHECK(wc_oci_push_module(c, "1.0", module_a, sizeof module_a, digest_a, &e) == 0, "push A: %s", e.msg);
    CHECK(wc_oci_push_module(c, "2.0", module_b, sizeof module_b, digest_b, &e) == 0, "push B: %s", e.msg);

    /* The ORAS layout as hyper-mcp publishes it. */
    uint8_t *body = NULL;
    size_t len = 0;
    char media[128], got[72];
    CHECK(wc_oci_get_manifest(c, "1.0", &body, &len, media, sizeof media, got, &e) == 0 &&
              strcmp(got, digest_a) == 0 && strcmp(media, WC_OCI_MANIFEST) == 0, "manifest: %s", e.msg);
    json_t *m = body ? json_loadb((char *)body, len, 0, NULL) : NULL;
    CHECK(m && strcmp(json_string_value(json_object_get(m, "artifactType")), WC_HYPER_MCP_PLUGIN) == 0 &&
              strcmp(json_string_value(json_object_get(json_array_get(json_object_get(m, "layers"), 0),
                                                       "mediaType")), WC_WASM_LAYER) == 0,
          "ORAS layout: %.300s", body ? (char *)body : "");
    json_decref(m);
    free(body);

    /* Unsigned: refused by default, with the tag it looked for. */
    char *path = NULL;
    snprintf(url, sizeof url, "oci://%s", ref);
    CHECK(resolve(url, S.key_p256, true, true, &path, &e) == WC_ESIGNATURE && strstr(e.msg, "is not signed") &&
              strstr(e.msg, ".sig"), "unsigned: %s", e.msg);
    /* Not required: pulled. */
    CHECK(resolve(url, NULL, true, false, &path, &e) == 0 && file_is(path, module_a, sizeof module_a),
          "unsigned, not required: %s", e.msg);
    free(path);

    /* Signed with P-256: pulled by tag and by digest. */
    CHECK(put_signature(c, S.p256, docker_ref, digest_a, digest_a) == 0, "sign A");
    CHECK(resolve(url, S.key_p256, true, true, &path, &e) == 0 && file_is(path, module_a, sizeof module_a),
          "signed by tag: %s", e.msg);
    free(path);
    char by_digest[400];
    snprintf(by_digest, sizeof by_digest, "oci://%s/tools/echo@%s", reg.host, digest_a);
    CHECK(resolve(by_digest, S.key_p256, true, true, &path, &e) == 0 && file_is(path, module_a, sizeof module_a),
          "signed by digest: %s", e.msg);
    free(path);
    /* A foreign key. */
    CHECK(resolve(url, S.key_other, true, true, &path, &e) == WC_ESIGNATURE &&
              strstr(e.msg, "none of the configured keys"), "foreign key: %s", e.msg);
    /* B carries A's signature: a signature for another digest. */
    CHECK(put_signature(c, S.p256, docker_ref, digest_a, digest_b) == 0, "sign B with A's digest");
    snprintf(url, sizeof url, "oci://%s/tools/echo:2.0", reg.host);
    CHECK(resolve(url, S.key_p256, true, true, &path, &e) == WC_ESIGNATURE && strstr(e.msg, "made for") &&
              strstr(e.msg, digest_a + 7), "signature for another digest: %s", e.msg);
    /* Signed with Ed25519 (a second signature manifest replaces the first). */
    CHECK(put_signature(c, S.ed, docker_ref, digest_b, digest_b) == 0, "sign B with ed25519");
    CHECK(resolve(url, S.key_ed, true, true, &path, &e) == 0 && file_is(path, module_b, sizeof module_b),
          "ed25519: %s", e.msg);
    free(path);
    /* A wrong digest: the registry has no such manifest. */
    char wrong[400];
    snprintf(wrong, sizeof wrong, "oci://%s/tools/echo@sha256:%064d", reg.host, 0);
    CHECK(resolve(wrong, S.key_p256, true, true, &path, &e) == WC_ENOTFOUND, "wrong digest: %s", e.msg);

    /* An image index of a Docker-style image whose tar+gzip layer holds plugin.wasm. */
    wc_buf t, gz;
    wc_buf_init(&t);
    wc_buf_init(&gz);
    tar_entry(&t, "plugin.wasm", '0', module_b, sizeof module_b);
    tar_end(&t);
    gzip_bytes(t.data, t.len, &gz);
    char layer[72], config[72], image[72], index[72];
    CHECK(wc_oci_put_blob(c, gz.data, gz.len, layer, &e) == 0, "layer: %s", e.msg);
    const char *cfg = "{\"architecture\":\"amd64\",\"os\":\"linux\"}";
    CHECK(wc_oci_put_blob(c, cfg, strlen(cfg), config, &e) == 0, "config");
    json_t *im = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}]}", "schemaVersion", 2,
                           "mediaType", WC_DOCKER_MANIFEST, "config", "mediaType",
                           "application/vnd.docker.container.image.v1+json", "digest", config, "size",
                           (json_int_t)strlen(cfg), "layers", "mediaType",
                           "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest", layer, "size",
                           (json_int_t)gz.len);
    char *im_text = json_dumps(im, JSON_COMPACT);
    CHECK(wc_oci_put_manifest(c, "img", WC_DOCKER_MANIFEST, im_text, strlen(im_text), image, &e) == 0,
          "image: %s", e.msg);
    json_t *ix = json_pack("{s:i, s:s, s:[{s:s, s:s, s:I, s:{s:s, s:s}}, {s:s, s:s, s:I, s:{s:s, s:s}}]}",
                           "schemaVersion", 2, "mediaType", WC_OCI_INDEX, "manifests", "mediaType",
                           WC_DOCKER_MANIFEST, "digest", digest_a, "size", (json_int_t)1, "platform", "os",
                           "linux", "architecture", "arm64", "mediaType", WC_DOCKER_MANIFEST, "digest",
                           image, "size", (json_int_t)strlen(im_text), "platform", "os", "linux",
                           "architecture", "amd64");
    char *ix_text = json_dumps(ix, JSON_COMPACT);
    CHECK(wc_oci_put_manifest(c, "multi", WC_OCI_INDEX, ix_text, strlen(ix_text), index, &e) == 0,
          "index: %s", e.msg);
    CHECK(put_signature(c, S.p256, docker_ref, index, index) == 0, "sign the index");
    snprintf(url, sizeof url, "oci://%s/tools/echo:multi", reg.host);
    CHECK(resolve(url, S.key_p256, true, true, &path, &e) == 0 && file_is(path, module_b, sizeof module_b),
          "index -> linux/amd64 -> tar+gzip: %s", e.msg);
    free(path);
    json_decref(im);
    json_decref(ix);
    free(im_text);
    free(ix_text);
    wc_buf_free(&t);
    wc_buf_free(&gz);

    /* A blob altered in the registry's storage arrives with another digest. */
    static const uint8_t module_c[] = "\0asm\1\0\0\0 module C, to be altered";
    char digest_c[72], blob_hex[65], blob_path[1200];
    CHECK(wc_oci_push_module(c, "3.0", module_c, sizeof module_c, digest_c, &e) == 0, "push C: %s", e.msg);
    wc_sha256_hex((const void *const[]){module_c}, (const size_t[]){sizeof module_c}, 1, blob_hex);
    snprintf(blob_path, sizeof blob_path, "%s/data/docker/registry/v2/blobs/sha256/%.2s/%s/data", reg.dir, blob_hex,
             blob_hex);
    FILE *bf = fopen(blob_path, "r+b");
    CHECK(bf != NULL, "the registry's blob file %s", blob_path);
    if (bf) {
        fseek(bf, 10, SEEK_SET);
        fputc('X', bf);
        fclose(bf);
    }
    snprintf(url, sizeof url, "oci://%s/tools/echo:3.0", reg.host);
    CHECK(resolve(url, NULL, true, false, &path, &e) == WC_EDIGEST && strstr(e.msg, "arrived with the digest"),
          "tampered blob from the registry: %s", e.msg);

    /* A Docker image whose plain (uncompressed) tar layer holds plugin.wasm. */
    wc_buf plain;
    wc_buf_init(&plain);
    tar_entry(&plain, "/plugin.wasm", '0', module_a, sizeof module_a);
    tar_end(&plain);
    char plain_layer[72], plain_image[72];
    CHECK(wc_oci_put_blob(c, plain.data, plain.len, plain_layer, &e) == 0, "plain layer: %s", e.msg);
    json_t *pm = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}]}", "schemaVersion", 2, "mediaType",
                           WC_OCI_MANIFEST, "config", "mediaType", WC_OCI_CONFIG, "digest", config, "size",
                           (json_int_t)strlen(cfg), "layers", "mediaType", "application/vnd.oci.image.layer.v1.tar",
                           "digest", plain_layer, "size", (json_int_t)plain.len);
    char *pm_text = json_dumps(pm, JSON_COMPACT);
    CHECK(wc_oci_put_manifest(c, "plain", WC_OCI_MANIFEST, pm_text, strlen(pm_text), plain_image, &e) == 0,
          "plain image: %s", e.msg);
    snprintf(url, sizeof url, "oci://%s/tools/echo:plain", reg.host);
    CHECK(resolve(url, NULL, true, false, &path, &e) == 0 && file_is(path, module_a, sizeof module_a),
          "plain tar layer: %s", e.msg);
    free(path);
    json_decref(pm);
    free(pm_text);
    wc_buf_free(&plain);

    /* From the cache, with the registry gone: a digest reference resolves
     * offline, its signature checked again from the cached copy; tampering
     * with the module, the manifest or the payload is refused. */
    wc_oci_client_free(c);
    test_registry_stop(&reg);
    CHECK(resolve(by_digest, S.key_p256, true, true, &path, &e) == 0 && file_is(path, module_a, sizeof module_a),
          "offline from the cache: %s", e.msg);
    free(path);
    CHECK(resolve(by_digest, S.key_other, true, true, &path, &e) == WC_ESIGNATURE &&
              strstr(e.msg, "none of the configured keys"), "cache hit, foreign key: %s", e.msg);
    char module_hex[65];
    wc_sha256_hex((const void *const[]){module_a}, (const size_t[]){sizeof module_a}, 1, module_hex);
    tamper(module_hex);
    CHECK(resolve(by_digest, S.key_p256, true, true, &path, &e) == WC_EDIGEST && strstr(e.msg, "was modified"),
          "tampered module in the cache: %s", e.msg);
    untamper(module_hex);
    tamper(digest_a);
    CHECK(resolve(by_digest, S.key_p256, true, true, &path, &e) == WC_EDIGEST && strstr(e.msg, "was modified"),
          "tampered manifest in the cache: %s", e.msg);
    untamper(digest_a);
    CHECK(resolve(by_digest, S.key_p256, true, true, &path, &e) == 0, "restored: %s", e.msg);
    free(path);
}

/* ---- OCI with htpasswd (Basic) auth ---------------------------------------------------- */

static void test_oci_basic_auth(void)
{
    test_registry reg;
    if (!start_registry(&reg, "alice", "s3cret"))
        return;
    char ref[300];
    snprintf(ref, sizeof ref, "%s/private/tool:1", reg.host);
    wc_error e = {0};
    setenv("DOCKER_CONFIG", tmp, 1); /* no config.json there yet */
    char digest[72];
    /* Anonymous, a wrong password, the right one. */
    const char *passwords[] = {NULL, "nope", "s3cret"};
    const char *wants[] = {"user name and password", "refused the credentials", NULL};
    for (size_t i = 0; i < 3; i++) {
        wc_oci_client *c = client_for(ref, passwords[i] ? "alice" : NULL, passwords[i], &e);
        int rc = c ? wc_oci_push_module(c, "1", module_a, sizeof module_a, digest, &e) : -1;
        if (wants[i])
            CHECK(rc == WC_EACCES && strstr(e.msg, wants[i]), "push %zu refused: %s", i, e.msg);
        else
            CHECK(rc == 0, "push with Basic: %s", e.msg);
        wc_oci_client_free(c);
    }
    /* Pull with the credentials of docker's config.json. */
    char url[400], path_cfg[700];
    snprintf(url, sizeof url, "oci://%s", ref);
    char *path = NULL;
    CHECK(resolve(url, NULL, true, false, &path, &e) == WC_EACCES, "pull without credentials: %s", e.msg);
    snprintf(path_cfg, sizeof path_cfg, "%s/config.json", tmp);
    FILE *f = fopen(path_cfg, "w");
    fprintf(f, "{\"auths\": {\"%s\": {\"auth\": \"YWxpY2U6czNjcmV0\"}}}", reg.host); /* alice:s3cret */
    fclose(f);
    CHECK(resolve(url, NULL, true, false, &path, &e) == 0 && file_is(path, module_a, sizeof module_a),
          "pull with docker config.json: %s", e.msg);
    free(path);
    f = fopen(path_cfg, "w");
    fprintf(f, "{\"auths\": {\"%s\": {\"auth\": \"bm9jb2xvbg==\"}}}", reg.host); /* "nocolon" */
    fclose(f);
    CHECK(resolve(url, NULL, true, false, &path, &e) == WC_EINVAL && strstr(e.msg, "user:password"),
          "malformed docker config: %s", e.msg);
    unlink(path_cfg);
    unsetenv("DOCKER_CONFIG");
    test_registry_stop(&reg);
}

/* ---- https -------------------------------------------------------------------------------- */

static void test_https(void)
{
    char www[600], cert[700], key[700], file[700];
    snprintf(www, sizeof www, "%s/www", tmp);
    wc_mkdirs(www);
    snprintf(cert, sizeof cert, "%s/cert.pem", tmp);
    snprintf(key, sizeof key, "%s/key.pem", tmp);
    X509 *x509 = test_make_certificate("127.0.0.1", "IP:127.0.0.1", cert, key);
    CHECK(x509 != NULL, "certificate");
    X509_free(x509);
    snprintf(file, sizeof file, "%s/a.wasm", www);
    wc_write_file(file, module_a, sizeof module_a);
    int port = test_free_port();
    char accept[32];
    snprintf(accept, sizeof accept, "%d", port);
    pid_t pid = fork();
    if (pid == 0) {
        if (chdir(www) != 0)
            _exit(127);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execlp("openssl", "openssl", "s_server", "-quiet", "-WWW", "-accept", accept, "-cert", cert, "-key", key,
               (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200 && !test_port_open(port); i++)
        nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
    char hex[65];
    wc_sha256_hex((const void *const[]){module_a}, (const size_t[]){sizeof module_a}, 1, hex);
    char url[300], wrong_url[300];
    snprintf(url, sizeof url, "https://127.0.0.1:%d/a.wasm#sha256=%s", port, hex);
    snprintf(wrong_url, sizeof wrong_url, "https://127.0.0.1:%d/a.wasm#sha256=%064d", port, 0);
    wc_fetch_options o = {.cache_dir = S.cache, .timeout_ms = 10000};
    wc_error e = {0};
    char *path = NULL;
    wc_source s;
    /* The system's CAs do not know the test certificate: TLS is verified. */
    wc_source_parse(url, &s, &e);
    CHECK(wc_source_resolve(&s, &o, &path, &e) == WC_EIO && strstr(e.msg, "127.0.0.1"), "untrusted: %s", e.msg);
    s.ca_file = strdup(cert);
    CHECK(wc_source_resolve(&s, &o, &path, &e) == 0 && file_is(path, module_a, sizeof module_a), "https: %s",
          e.msg);
    /* Resolved again: a cache hit (the server is not needed), still checked. */
    free(path);
    tamper(hex);
    CHECK(wc_source_resolve(&s, &o, &path, &e) == WC_EDIGEST && strstr(e.msg, "was modified"),
          "tampered https cache entry: %s", e.msg);
    untamper(hex);
    wc_source_free(&s);
    /* A pin that the bytes do not match. */
    wc_source_parse(wrong_url, &s, &e);
    s.ca_file = strdup(cert);
    CHECK(wc_source_resolve(&s, &o, &path, &e) == WC_EDIGEST && strstr(e.msg, "not the pinned"),
          "wrong pin: %s", e.msg);
    /* A size limit. */
    s.max_bytes = 4;
    CHECK(wc_source_resolve(&s, &o, &path, &e) == WC_ETOOBIG, "limit: %s", e.msg);
    wc_source_free(&s);
    /* Unpinned only when the config opts out. */
    snprintf(url, sizeof url, "https://127.0.0.1:%d/a.wasm", port);
    wc_source_parse(url, &s, &e);
    s.ca_file = strdup(cert);
    CHECK(wc_source_resolve(&s, &o, &path, &e) == WC_EINVAL && strstr(e.msg, "not pinned"), "unpinned: %s", e.msg);
    s.require_digest = false;
    CHECK(wc_source_resolve(&s, &o, &path, &e) == 0 && file_is(path, module_a, sizeof module_a),
          "unpinned, allowed: %s", e.msg);
    free(path);
    wc_source_free(&s);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

static void test_cache_safety(void)
{
    wc_cas cas;
    wc_error e = {0};
    CHECK(wc_cas_open(&cas, "", &e) == WC_EINVAL && strstr(e.msg, "cache_dir"), "no cache dir: %s", e.msg);
    char dir[700];
    snprintf(dir, sizeof dir, "%s/open-cache", tmp);
    CHECK(wc_cas_open(&cas, dir, &e) == 0, "open: %s", e.msg);
    chmod(dir, 0777);
    CHECK(wc_cas_open(&cas, dir, &e) == WC_EACCES && strstr(e.msg, "writable by group or others"),
          "a world-writable cache: %s", e.msg);
    chmod(dir, 0700);
    char hex[65];
    wc_sha256_hex((const void *const[]){module_a}, (const size_t[]){sizeof module_a}, 1, hex);
    CHECK(wc_cas_store(&cas, hex, module_b, sizeof module_b, &e) == WC_EDIGEST, "store under a wrong name");
    CHECK(wc_cas_store(&cas, hex, module_a, sizeof module_a, &e) == 0, "store: %s", e.msg);
    char path[4300];
    wc_cas_path(&cas, hex, path, sizeof path);
    chmod(path, 0666);
    uint8_t *data = NULL;
    size_t len;
    CHECK(wc_cas_load(&cas, hex, 1 << 20, &data, &len, &e) == WC_EACCES, "a writable entry: %s", e.msg);
    chmod(path, 0600);
    CHECK(wc_cas_load(&cas, hex, 1 << 20, &data, &len, &e) == 0, "load: %s", e.msg);
    free(data);
}


/* ---- OCI with token auth: the registry's Bearer challenge and a token service ---- */

static void test_oci_bearer(void)
{
    token_server ts = {.issuer = "wasmcap-test-issuer", .service = "wasmcap-test-registry",
                       .basic = "Ym9iOnB3"}; /* bob:pw */
    char cert[700], auth[2000];
    snprintf(cert, sizeof cert, "%s/token-issuer.pem", tmp);
    CHECK(token_server_start(&ts, cert) == 0, "token server");
    snprintf(auth, sizeof auth,
             "auth:\n  token:\n    realm: http://127.0.0.1:%d/token\n    service: %s\n    issuer: %s\n"
             "    rootcertbundle: %s\n",
             ts.port, ts.service, ts.issuer, cert);
    test_registry reg;
    if (test_registry_start_auth(&reg, auth) != 0) {
        CHECK(0, "docker-registry with token auth did not start");
        test_registry_stop(&reg);
        token_server_stop(&ts);
        return;
    }
    char ref[300], url[400];
    snprintf(ref, sizeof ref, "%s/team/tool:1", reg.host);
    snprintf(url, sizeof url, "oci://%s", ref);
    wc_error e = {0};
    char digest[72];
    /* Without credentials the token service refuses: the message says to give some. */
    setenv("DOCKER_CONFIG", tmp, 1);
    wc_oci_client *c = client_for(ref, NULL, NULL, &e);
    CHECK(c && wc_oci_push_module(c, "1", module_a, sizeof module_a, digest, &e) == WC_EACCES &&
              strstr(e.msg, "token service") && strstr(e.msg, "give credentials"),
          "anonymous token refused: %s", e.msg);
    wc_oci_client_free(c);
    c = client_for(ref, "bob", "pw", &e);
    CHECK(c && wc_oci_push_module(c, "1", module_a, sizeof module_a, digest, &e) == 0, "push with a token: %s", e.msg);
    wc_oci_client_free(c);
    int issued = ts.issued;
    /* Pull through a config-style source with credentials. */
    wc_source s;
    wc_source_parse(url, &s, &e);
    s.plain_http = true;
    s.require_signature = false;
    s.username = strdup("bob");
    s.password = strdup("pw");
    wc_fetch_options o = {.cache_dir = S.cache, .timeout_ms = 20000};
    char *path = NULL;
    CHECK(wc_source_resolve(&s, &o, &path, &e) == 0 && file_is(path, module_a, sizeof module_a),
          "pull with a token: %s", e.msg);
    CHECK(ts.issued > issued, "the pull asked the token service (%d tokens)", ts.issued);
    free(path);
    wc_source_free(&s);
    unsetenv("DOCKER_CONFIG");
    test_registry_stop(&reg);
    token_server_stop(&ts);
}

/* ---- the front end: wasmcap push, pull, and a config whose plugin has a source ---- */

static char output[65536];

static int run(char **argv)
{
    output[0] = 0;
    return wc_run_process(argv, output, sizeof output, NULL);
}

static void test_cli(void)
{
    test_registry reg;
    if (!start_registry(&reg, NULL, NULL))
        return;
    char ref[300], url[400], docker_ref[300];
    snprintf(ref, sizeof ref, "%s/cli/echo:1", reg.host);
    snprintf(url, sizeof url, "oci://%s", ref);
    snprintf(docker_ref, sizeof docker_ref, "%s/cli/echo", reg.host);
    char *push[] = {WC_BINARY_DIR "/wasmcap", "push", "--plain-http", "--cache-dir", S.cache,
                    WC_BINARY_DIR "/guests/echo.wasm", url, NULL};
    CHECK(run(push) == 0 && strncmp(output, "sha256:", 7) == 0, "wasmcap push: %s", output);
    char digest[72] = "";
    snprintf(digest, sizeof digest, "%.71s", output);
    /* Sign what push printed, as cosign sign would. */
    wc_error e = {0};
    wc_oci_client *c = client_for(ref, NULL, NULL, &e);
    CHECK(c && put_signature(c, S.p256, docker_ref, digest, digest) == 0, "sign: %s", e.msg);
    wc_oci_client_free(c);

    char *pull[] = {WC_BINARY_DIR "/wasmcap", "pull", "--plain-http", "--cache-dir", S.cache, "--key", S.key_p256,
                    url, NULL};
    CHECK(run(pull) == 0 && strstr(output, "/sources/sha256/"), "wasmcap pull: %s", output);
    char *pull_foreign[] = {WC_BINARY_DIR "/wasmcap", "pull", "--plain-http", "--cache-dir", S.cache, "--key",
                            S.key_other, url, NULL};
    CHECK(run(pull_foreign) == 1 && strstr(output, "none of the configured keys"), "foreign key: %s", output);
    char *pull_nokey[] = {WC_BINARY_DIR "/wasmcap", "pull", "--plain-http", url, NULL};
    CHECK(run(pull_nokey) == 2 && strstr(output, "--key"), "no key: %s", output);
    char *help[] = {WC_BINARY_DIR "/wasmcap", "push", "--help", NULL};
    CHECK(run(help) == 0 && strstr(output, "application/vnd.hyper-mcp.plugin.v2"), "push --help");

    /* serve and call resolve a config's source before loading. */
    char config[700], text[4000];
    snprintf(config, sizeof config, "%s/source.json", tmp);
    snprintf(text, sizeof text,
             "{\"storage\": {\"cache_dir\": \"%s\", \"cache_key\": \"%s/cache.key\"},"
             " \"plugins\": {\"echo\": {\"source\": {\"url\": \"%s\", \"keys\": [\"%s\"], \"plain_http\": true}}}}",
             S.cache, tmp, url, S.key_p256);
    wc_write_file(config, text, strlen(text));
    char *call[] = {WC_BINARY_DIR "/wasmcap", "call", "--config", config, "echo-echo", "{\"said\": \"hi\"}", NULL};
    CHECK(run(call) == 0 && strstr(output, "\"said\"") && strstr(output, "hi"), "call through a source: %s", output);
    snprintf(text, sizeof text,
             "{\"storage\": {\"cache_dir\": \"%s\", \"cache_key\": \"%s/cache.key\"},"
             " \"plugins\": {\"echo\": {\"source\": {\"url\": \"%s\", \"keys\": [\"%s\"], \"plain_http\": true}}}}",
             S.cache, tmp, url, S.key_other);
    wc_write_file(config, text, strlen(text));
    CHECK(run(call) != 0 && strstr(output, "plugin echo") && strstr(output, "none of the configured keys"),
          "call refused by the signature: %s", output);
    test_registry_stop(&reg);
}

int main(void)
{
    if (wc_make_temp_dir(tmp, sizeof tmp, "wc-fetch-test") != 0) {
        printf("FAIL: temp dir\n");
        return 1;
    }
    snprintf(S.cache, sizeof S.cache, "%s/cache", tmp);
    snprintf(S.key_p256, sizeof S.key_p256, "%s/p256.pub", tmp);
    snprintf(S.key_ed, sizeof S.key_ed, "%s/ed25519.pub", tmp);
    snprintf(S.key_other, sizeof S.key_other, "%s/other.pub", tmp);
    S.p256 = EVP_EC_gen("P-256");
    S.ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    S.other = EVP_EC_gen("P-256");
    write_public_key(S.p256, S.key_p256);
    write_public_key(S.ed, S.key_ed);
    write_public_key(S.other, S.key_other);

    test_refs();
    test_base64();
    test_tar();
    test_cache_safety();
    test_https();
    test_oci_anonymous();
    test_oci_basic_auth();
    test_oci_bearer();
    test_cli();

    EVP_PKEY_free(S.p256);
    EVP_PKEY_free(S.ed);
    EVP_PKEY_free(S.other);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        printf("cannot remove %s\n", tmp);
    if (failures) {
        printf("test_fetch: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test_fetch: all %d checks passed\n", checks);
    return 0;
}
