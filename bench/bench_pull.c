/* bench_pull.c -- cold pull-to-first-call of a 1 MB plugin from a local
 * OCI registry (Debian's docker-registry on 127.0.0.1).
 *
 *   bench_pull [ROUNDS]      (default 10; run from the build folder's parent
 *                             or anywhere: paths are compiled in)
 *
 * The plugin is tests/guests/echo.wasm grown to 1 MiB by a custom section,
 * pushed in hyper-mcp's ORAS layout and signed (ECDSA P-256, cosign's
 * layout).  Each round runs `wasmcap call` on a config whose plugin has an
 * oci:// source, with an empty cache (sources and code), so the time is
 * process start, manifest + signature + blob over HTTP, digest and
 * signature checks, decode, compile on the fast tier and the first call.
 * The same call on a local path with an empty code cache is the baseline;
 * the difference is what the pull costs.  Then the warm case: the source
 * already in the cache (its signature and digest still checked).  Medians
 * of ROUNDS, in milliseconds.
 */
#define _GNU_SOURCE
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tests/cosign_signer.h"
#include "../tests/registry_server.h"
#include "util/buf.h"
#include "util/process.h"

#define MAX_ROUNDS 100

static char output[65536];

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void rm_rf(const char *path)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", path);
}

/* One `wasmcap call`; its wall time in ms, or -1 when it failed. */
static double timed_call(const char *config)
{
    char *argv[] = {WC_BINARY_DIR "/wasmcap", "call", "--config", (char *)config, "echo-echo", "{\"n\": 1}", NULL};
    double start = now_ms();
    int status = wc_run_process(argv, output, sizeof output, NULL);
    double ms = now_ms() - start;
    if (status != 0 || !strstr(output, "\"n\"")) {
        fprintf(stderr, "call failed (%d): %s\n", status, output);
        return -1;
    }
    return ms;
}

static void write_config(const char *path, const char *cache, const char *dir, const char *plugin)
{
    char text[4000];
    snprintf(text, sizeof text,
             "{\"server\": {\"log_level\": \"warning\"}, \"storage\": {\"cache_dir\": \"%s\", \"cache_key\": "
             "\"%s/cache.key\"}, \"plugins\": {\"echo\": %s}}",
             cache, dir, plugin);
    wc_write_file(path, text, strlen(text));
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 10;
    if (rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: bench_pull [ROUNDS 1..%d]\n", MAX_ROUNDS);
        return 2;
    }
    char dir[512];
    if (wc_make_temp_dir(dir, sizeof dir, "wc-bench-pull") != 0)
        return 1;
    /* echo.wasm + a 1 MiB custom section "pad". */
    uint8_t *wasm = NULL;
    size_t len = 0;
    if (wc_read_file(WC_BINARY_DIR "/guests/echo.wasm", 0, &wasm, &len) != 0) {
        fprintf(stderr, "build the test guests first (cmake --build build)\n");
        return 1;
    }
    wc_buf m;
    wc_buf_init(&m);
    wc_buf_append(&m, wasm, len);
    free(wasm);
    size_t pad = (1u << 20) - m.len - 16;
    wc_buf_byte(&m, 0);
    wc_buf_uleb(&m, pad + 4);
    wc_buf_byte(&m, 3);
    wc_buf_str(&m, "pad");
    for (size_t i = 0; i < pad; i++)
        wc_buf_byte(&m, (uint8_t)(i * 7));
    char module_path[700];
    snprintf(module_path, sizeof module_path, "%s/echo-1m.wasm", dir);
    wc_write_file(module_path, m.data, m.len);

    test_registry reg;
    if (test_registry_start(&reg, NULL, NULL) != 0) {
        fprintf(stderr, "docker-registry did not start\n");
        return 1;
    }
    char ref[300], url[400], docker_ref[300], key_path[700];
    snprintf(ref, sizeof ref, "%s/bench/echo:1m", reg.host);
    snprintf(url, sizeof url, "oci://%s", ref);
    snprintf(docker_ref, sizeof docker_ref, "%s/bench/echo", reg.host);
    snprintf(key_path, sizeof key_path, "%s/cosign.pub", dir);
    EVP_PKEY *key = EVP_EC_gen("P-256");
    FILE *f = fopen(key_path, "w");
    PEM_write_PUBKEY(f, key);
    fclose(f);
    wc_oci_ref r;
    wc_error e = {0};
    wc_oci_ref_parse(ref, &r, &e);
    wc_source opts = {.plain_http = true, .max_bytes = 8u << 20};
    wc_fetch_options fo = {.cache_dir = dir, .timeout_ms = 60000};
    wc_oci_client *c = NULL;
    char digest[72];
    int rc = wc_oci_client_new(&r, &opts, &fo, &c, &e);
    if (rc == 0)
        rc = wc_oci_push_module(c, "1m", m.data, m.len, digest, &e);
    if (rc == 0)
        rc = put_signature(c, key, docker_ref, digest, digest);
    wc_oci_client_free(c);
    EVP_PKEY_free(key);
    if (rc != 0) {
        fprintf(stderr, "push: %s\n", e.msg);
        test_registry_stop(&reg);
        return 1;
    }
    char cache[700], local_cfg[700], oci_cfg[700], plugin[2000];
    snprintf(cache, sizeof cache, "%s/cache", dir);
    snprintf(local_cfg, sizeof local_cfg, "%s/local.json", dir);
    snprintf(oci_cfg, sizeof oci_cfg, "%s/oci.json", dir);
    snprintf(plugin, sizeof plugin, "{\"path\": \"%s\"}", module_path);
    write_config(local_cfg, cache, dir, plugin);
    snprintf(plugin, sizeof plugin, "{\"source\": {\"url\": \"%s\", \"keys\": [\"%s\"], \"plain_http\": true}}", url,
             key_path);
    write_config(oci_cfg, cache, dir, plugin);

    double local[MAX_ROUNDS], cold[MAX_ROUNDS], warm[MAX_ROUNDS];
    int status = 0;
    for (int i = 0; i < rounds && status == 0; i++) {
        rm_rf(cache);
        local[i] = timed_call(local_cfg);
        rm_rf(cache);
        cold[i] = timed_call(oci_cfg);
        warm[i] = timed_call(oci_cfg); /* source cached (code too) */
        if (local[i] < 0 || cold[i] < 0 || warm[i] < 0)
            status = 1;
    }
    test_registry_stop(&reg);
    rm_rf(dir);
    wc_buf_free(&m);
    if (status)
        return status;
    printf("plugin: %zu bytes, %d rounds, medians\n", (size_t)(1u << 20), rounds);
    printf("local path, empty code cache:           %7.1f ms\n", median(local, rounds));
    printf("oci:// cold (empty cache), signed:      %7.1f ms\n", median(cold, rounds));
    printf("oci:// warm (source and code cached):   %7.1f ms\n", median(warm, rounds));
    return 0;
}
