/* source.h -- where a plugin's module comes from, and getting it onto disk.
 *
 * A plugin's "source" in wasmcap.json is a plain path, a file:// URL, an
 * https:// URL pinned by "#sha256=<hex>", or an OCI reference
 * (oci://registry/repo:tag or oci://registry/repo@sha256:<hex>), as a
 * string or as an object with options (docs/CONFIG.md).  The front end
 * resolves each source to a local file before the plugin layer loads it:
 * remote modules land in a content-addressed cache under the config's
 * cache directory and are verified (digest, and for OCI the cosign
 * signature) every time they are resolved, cache hits included.
 *
 * Thread safety: a wc_source is read-only after wc_source_read; resolving
 * two sources at once from two threads is safe (the cache writes whole
 * files by rename).
 */
#ifndef WC_FETCH_SOURCE_H
#define WC_FETCH_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json/reader.h"
#include "util/error.h"

typedef enum wc_source_kind {
    WC_SOURCE_FILE,
    WC_SOURCE_HTTPS,
    WC_SOURCE_OCI,
} wc_source_kind;

/* The largest module a remote source may deliver unless the config says
 * otherwise (max_bytes). */
#define WC_SOURCE_DEFAULT_MAX_BYTES (64u << 20)

typedef struct wc_source {
    wc_source_kind kind;
    char *url;              /* as written (expanded); a FILE source's resolved path */
    char sha256[65];        /* the pinned digest in hex, "" when none */
    bool require_digest;    /* https: refuse an unpinned URL (default true) */
    bool require_signature; /* oci: a cosign signature by one of keys (default true) */
    char **keys;            /* PEM public key files (ECDSA P-256 or Ed25519) */
    size_t nkeys;
    char *username;         /* registry credentials; NULL: ~/.docker/config.json */
    char *password;
    char *ca_file;          /* extra trusted CA certificates (PEM); NULL: the system's */
    bool plain_http;        /* oci: talk HTTP, not HTTPS, to the registry */
    uint64_t max_bytes;     /* module (and decompressed layer) size limit */
} wc_source;

/* Reads a source from the config: a string or an object {"url", "sha256",
 * "require_digest", "require_signature", "keys", "keyless", "username",
 * "password", "ca_file", "plain_http", "max_bytes"}.  Fails the reader at
 * the faulty member.  False when absent or refused (then nothing is kept). */
bool wc_source_read(const wc_rnode *node, wc_source *out);
/* Parses a source from a string alone (the command line), relative paths
 * kept as written.  0 or WC_EINVAL with the reason. */
int wc_source_parse(const char *text, wc_source *out, wc_error *err);
void wc_source_free(wc_source *source);

/* How a transfer reports progress: bytes done of total (0: unknown). */
typedef void (*wc_fetch_progress_fn)(void *ctx, const char *what, uint64_t done, uint64_t total);

typedef struct wc_fetch_options {
    const char *cache_dir;  /* required for remote sources */
    wc_fetch_progress_fn progress; /* may be NULL */
    void *progress_ctx;
    long timeout_ms;        /* whole transfer; 0: 300 s */
} wc_fetch_options;

/* Resolves source to a local file: *path (malloc'ed) is the file to load.
 * A FILE source is its path; a remote one is fetched (or found in the
 * cache) and verified first.  0, or a WC_E* code with err saying what was
 * refused and why. */
int wc_source_resolve(const wc_source *source, const wc_fetch_options *options, char **path,
                      wc_error *err);

#endif
