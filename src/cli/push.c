/* push.c -- `wasmcap push FILE REF`: publish a module in hyper-mcp's ORAS
 * layout (fetch/oci.h), so that hyper-mcp and wasmcap can both pull it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/progress.h"
#include "cli/registry_args.h"
#include "fetch/oci.h"
#include "util/fs.h"

static const char push_usage[] =
    "usage: wasmcap push [OPTIONS] FILE.wasm oci://REGISTRY/REPO:TAG\n"
    "\n"
    "Uploads the module as an ORAS artifact (artifactType\n"
    "application/vnd.hyper-mcp.plugin.v2, one application/wasm layer titled\n"
    "plugin.wasm) and tags it, then prints the manifest's digest: sign that\n"
    "digest with cosign (cosign sign --key cosign.key REGISTRY/REPO@DIGEST).\n"
    "\n"
    "  --max-bytes N      refuse a module larger than N bytes (default 64MiB)\n"
    WC_REGISTRY_ARGS_HELP
    "  -h, --help         show this help\n";

int wc_cmd_push(int argc, char **argv)
{
    wc_registry_args a = {0};
    const char *file = NULL, *ref_text = NULL;
    size_t max = WC_SOURCE_DEFAULT_MAX_BYTES;
    int status = 1;
    for (int i = 1; i < argc; i++) {
        int taken = wc_registry_args_take(&a, "push", push_usage, argc, argv, &i);
        if (taken < 0) {
            status = WC_EXIT_USAGE;
            goto out;
        }
        if (taken)
            continue;
        static const char *const names[] = {"--max-bytes"};
        const char *name, *value;
        int found = wc_cli_option(argc, argv, &i, names, 1, &name, &value);
        if (found < 0) {
            status = wc_cli_usage_error("push", push_usage, "%s needs a value", name);
            goto out;
        }
        if (found) {
            char *end;
            unsigned long long n = strtoull(value, &end, 10);
            if (*end || n == 0) {
                status = wc_cli_usage_error("push", push_usage, "--max-bytes must be a positive number, not %s", value);
                goto out;
            }
            max = (size_t)n;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(push_usage, stdout);
            status = 0;
            goto out;
        } else if (argv[i][0] == '-') {
            status = wc_cli_usage_error("push", push_usage, "unknown option %s", argv[i]);
            goto out;
        } else if (!file) {
            file = argv[i];
        } else if (!ref_text) {
            ref_text = argv[i];
        } else {
            status = wc_cli_usage_error("push", push_usage, "unexpected argument %s", argv[i]);
            goto out;
        }
    }
    if (!file || !ref_text) {
        status = wc_cli_usage_error("push", push_usage, "FILE and REF are required%s", "");
        goto out;
    }
    if (wc_registry_args_finish(&a, "push") != 0)
        goto out;
    wc_error err = {0};
    wc_oci_ref ref;
    if (wc_oci_ref_parse(ref_text, &ref, &err) != 0 || !ref.tag[0]) {
        fprintf(stderr, "wasmcap push: %s\n", ref.tag[0] ? err.msg : "REF needs a :TAG");
        goto out;
    }
    uint8_t *wasm = NULL;
    size_t len = 0;
    int rc = wc_read_regular_file(file, max, &wasm, &len);
    if (rc != 0) {
        fprintf(stderr, "wasmcap push: %s: %s\n", file, wc_strerror(rc));
        goto out;
    }
    if (len < 8 || memcmp(wasm, "\0asm", 4) != 0) {
        fprintf(stderr, "wasmcap push: %s is not a WebAssembly module\n", file);
        free(wasm);
        goto out;
    }
    a.source.max_bytes = max;
    wc_progress *progress = wc_progress_start("pushing");
    wc_fetch_options o = {.cache_dir = a.cache_dir,
                          .timeout_ms = a.timeout_ms,
                          .progress = wc_progress_transfer,
                          .progress_ctx = progress};
    wc_oci_client *client = NULL;
    char digest[72];
    rc = wc_oci_client_new(&ref, &a.source, &o, &client, &err);
    if (rc == 0)
        rc = wc_oci_push_module(client, ref.tag, wasm, len, digest, &err);
    wc_progress_stop(progress);
    wc_oci_client_free(client);
    free(wasm);
    if (rc != 0) {
        fprintf(stderr, "wasmcap push: %s\n", wc_error_message(&err));
        goto out;
    }
    printf("%s\n", digest);
    status = 0;
out:
    wc_registry_args_free(&a);
    return status;
}
