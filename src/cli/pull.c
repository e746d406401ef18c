/* pull.c -- `wasmcap pull REF`: fetch and verify a plugin into the cache,
 * as `serve` would for a config's "source", and print where it is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/progress.h"
#include "cli/registry_args.h"

static const char pull_usage[] =
    "usage: wasmcap pull [OPTIONS] SOURCE\n"
    "\n"
    "Fetches a plugin into the content-addressed cache and verifies it, as\n"
    "'wasmcap serve' does for a plugin's \"source\", then prints the cached\n"
    "file's path.  SOURCE is oci://REGISTRY/REPO:TAG, oci://REGISTRY/REPO@sha256:HEX\n"
    "or https://HOST/PATH#sha256=HEX.\n"
    "\n"
    "  --key FILE         a cosign public key (PEM, ECDSA P-256 or Ed25519); repeatable.\n"
    "                     An OCI source must carry a signature by one of them\n"
    "  --no-signature     do not require a signature (OCI)\n"
    "  --no-digest        allow an https URL without #sha256=\n"
    "  --max-bytes SIZE   the module size limit (default 64MiB)\n"
    WC_REGISTRY_ARGS_HELP
    "  -h, --help         show this help\n";

static int add_key(wc_source *s, const char *path)
{
    if (s->nkeys >= 64)
        return -1;
    char **keys = realloc(s->keys, (s->nkeys + 1) * sizeof *keys);
    if (!keys)
        return -1;
    s->keys = keys;
    if (!(keys[s->nkeys] = strdup(path)))
        return -1;
    s->nkeys++;
    return 0;
}

int wc_cmd_pull(int argc, char **argv)
{
    wc_registry_args a = {0};
    const char *ref = NULL;
    bool no_signature = false, no_digest = false;
    const char *max_bytes = NULL;
    int status = 1;
    for (int i = 1; i < argc; i++) {
        int taken = wc_registry_args_take(&a, "pull", pull_usage, argc, argv, &i);
        if (taken < 0) {
            status = WC_EXIT_USAGE;
            goto out;
        }
        if (taken)
            continue;
        static const char *const names[] = {"--key", "--max-bytes"};
        const char *name, *value;
        int found = wc_cli_option(argc, argv, &i, names, 2, &name, &value);
        if (found < 0) {
            status = wc_cli_usage_error("pull", pull_usage, "%s needs a value", name);
            goto out;
        }
        if (found && strcmp(name, "--key") == 0) {
            if (add_key(&a.source, value) != 0) {
                fprintf(stderr, "wasmcap pull: too many keys\n");
                goto out;
            }
        } else if (found) {
            max_bytes = value;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(pull_usage, stdout);
            status = 0;
            goto out;
        } else if (strcmp(argv[i], "--no-signature") == 0) {
            no_signature = true;
        } else if (strcmp(argv[i], "--no-digest") == 0) {
            no_digest = true;
        } else if (argv[i][0] == '-' || ref) {
            status = wc_cli_usage_error("pull", pull_usage,
                                        argv[i][0] == '-' ? "unknown option %s" : "one SOURCE only, not also %s",
                                        argv[i]);
            goto out;
        } else {
            ref = argv[i];
        }
    }
    if (!ref) {
        status = wc_cli_usage_error("pull", pull_usage, "a SOURCE is required%s", "");
        goto out;
    }
    if (wc_registry_args_finish(&a, "pull") != 0)
        goto out;
    wc_source s;
    wc_error err = {0};
    if (wc_source_parse(ref, &s, &err) != 0) {
        fprintf(stderr, "wasmcap pull: %s\n", err.msg);
        goto out;
    }
    /* The parsed URL and kind with the options given on the command line. */
    char *url = s.url;
    char pinned[65];
    memcpy(pinned, s.sha256, sizeof pinned);
    wc_source_kind kind = s.kind;
    s.url = NULL;
    wc_source_free(&s);
    s = a.source;
    s.url = url;
    s.kind = kind;
    memcpy(s.sha256, pinned, sizeof pinned);
    s.require_signature = !no_signature;
    s.require_digest = !no_digest;
    s.max_bytes = WC_SOURCE_DEFAULT_MAX_BYTES;
    if (max_bytes) {
        char *end;
        unsigned long long n = strtoull(max_bytes, &end, 10);
        if (*end || n == 0) {
            free(url);
            status = wc_cli_usage_error("pull", pull_usage, "--max-bytes must be a positive number, not %s",
                                        max_bytes);
            goto out;
        }
        s.max_bytes = n;
    }
    if (kind == WC_SOURCE_OCI && s.require_signature && !s.nkeys) {
        free(url);
        status = wc_cli_usage_error("pull", pull_usage,
                                    "an OCI source needs --key FILE to verify its signature (or "
                                    "--no-signature)%s",
                                    "");
        goto out;
    }
    wc_fetch_options o = {.cache_dir = a.cache_dir, .timeout_ms = a.timeout_ms};
    wc_progress *progress = wc_progress_start("pulling");
    o.progress = wc_progress_transfer;
    o.progress_ctx = progress;
    char *path = NULL;
    int rc = wc_source_resolve(&s, &o, &path, &err);
    wc_progress_stop(progress);
    free(url);
    a.source.url = NULL;
    if (rc != 0) {
        fprintf(stderr, "wasmcap pull: %s: %s\n", ref, wc_error_message(&err));
        goto out;
    }
    printf("%s\n", path);
    free(path);
    status = 0;
out:
    wc_registry_args_free(&a);
    return status;
}
