/* test_cache.c -- the compile cache trusts nothing it did not write.
 *
 * A module is built into a fresh cache (gcc -O2, once); then:
 *   - a correct entry hits (tier auto starts on the optimized code);
 *   - an attacker's .so (its constructor writes a marker file) with a
 *     rewritten .sha256 digest, and with a .hmac that is not under our key,
 *     is never loaded: the marker does not appear and the module misses;
 *   - a group-writable cache directory, a group-writable entry and a key
 *     file readable by others are refused (a miss, nothing stored);
 *   - the key file is created 0600, outside the cache.
 * A hit is seen from the tier right after wc_module_new: WC_TIER_AUTO starts
 * on the optimized code only when the cache had it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "util/fs.h"
#include "util/process.h"

#include "check.h"

static char tmp[256], cache_dir[400], key_path[600], marker[512];
static uint8_t *module_bytes;
static size_t module_size;

/* Loads the module with a new engine; returns the tier it starts on. */
static wc_tier load(wc_tier tier)
{
    wc_engine_config cfg;
    wc_engine_config_default(&cfg);
    cfg.tier = tier;
    cfg.cache_dir = cache_dir;
    cfg.cache_key = key_path;
    wc_engine *engine = NULL;
    wc_error err = {0};
    if (wc_engine_new(&cfg, &engine, &err) != 0) {
        CHECK(0, "engine: %s", err.msg);
        return WC_TIER_AUTO;
    }
    wc_module *m = NULL;
    wc_tier got = WC_TIER_AUTO;
    if (wc_module_new(engine, module_bytes, module_size, &m, &err) == 0) {
        got = wc_module_tier(m);
        wc_module_release(m);
    } else {
        CHECK(0, "module: %s", err.msg);
    }
    wc_engine_free(engine);
    return got;
}

/* The entry's name (<key> of <key>.so) in the cache, or "" */
static void entry_key(char *key, size_t size)
{
    key[0] = 0;
    DIR *d = opendir(cache_dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n > 3 && strcmp(e->d_name + n - 3, ".so") == 0)
            snprintf(key, size, "%.*s", (int)(n - 3), e->d_name);
    }
    if (d)
        closedir(d);
}

static void entry_path(char *out, size_t size, const char *key, const char *ext)
{
    snprintf(out, size, "%s/%s.%s", cache_dir, key, ext);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* A shared object whose constructor creates the marker file. */
static bool build_evil(const char *so_path)
{
    char c_path[600], define[700], output[2048];
    snprintf(c_path, sizeof c_path, "%s/evil.c", tmp);
    static const char source[] =
        "#include <fcntl.h>\n#include <unistd.h>\n"
        "__attribute__((constructor)) static void pwn(void) { close(open(MARKER, O_CREAT | O_WRONLY, 0600)); }\n";
    if (wc_write_file(c_path, source, sizeof source - 1) != 0)
        return false;
    snprintf(define, sizeof define, "-DMARKER=\"%s\"", marker);
    char *argv[] = {"gcc", "-shared", "-fPIC", define, "-o", (char *)so_path, c_path, NULL};
    int status = wc_run_process(argv, output, sizeof output, NULL);
    CHECK(status == 0, "gcc: %d %s", status, output);
    return status == 0;
}

/* Replaces the entry's .so with the evil one, with a matching .sha256 (what
 * used to authenticate it) and a .hmac under some other key. */
static void tamper(const char *key)
{
    char so[700], sum[700], mac[700];
    entry_path(so, sizeof so, key, "so");
    entry_path(sum, sizeof sum, key, "sha256");
    entry_path(mac, sizeof mac, key, "hmac");
    char evil[600];
    snprintf(evil, sizeof evil, "%s/evil.so", tmp);
    if (!build_evil(evil))
        return;
    uint8_t *bytes;
    size_t size;
    CHECK(wc_read_file(evil, 0, &bytes, &size) == 0, "read evil.so");
    CHECK(wc_write_file(so, bytes, size) == 0, "replace the .so");
    char digest[80];
    char *argv[] = {"sha256sum", so, NULL};
    CHECK(wc_run_process(argv, digest, sizeof digest, NULL) == 0, "sha256sum");
    digest[64] = '\n';
    CHECK(wc_write_file(sum, digest, 65) == 0, "rewrite the .sha256");
    /* HMAC-SHA256 under a key of the attacker's choosing */
    char cmd[2000], out[256];
    snprintf(cmd, sizeof cmd, "printf '%%s\\0' %s | cat - %s | openssl dgst -sha256 -hmac attacker -r", key, so);
    char *sh[] = {"sh", "-c", cmd, NULL};
    CHECK(wc_run_process(sh, out, sizeof out, NULL) == 0, "openssl dgst: %s", out);
    out[64] = '\n';
    CHECK(wc_write_file(mac, out, 65) == 0, "rewrite the .hmac");
    free(bytes);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (wc_make_temp_dir(tmp, sizeof tmp, "wc-cache-test") != 0) {
        printf("FAIL: temp dir\n");
        return 1;
    }
    snprintf(cache_dir, sizeof cache_dir, "%s/cache", tmp);
    snprintf(key_path, sizeof key_path, "%s/config/cache.key", tmp);
    snprintf(marker, sizeof marker, "%s/constructor-ran", tmp);
    if (wc_read_file(WC_BINARY_DIR "/guests/echo.wasm", 0, &module_bytes, &module_size) != 0) {
        printf("FAIL: no echo.wasm\n");
        return 1;
    }

    /* Built once, then a hit; the key is ours, 0600. */
    CHECK(load(WC_TIER_OPTIMIZED) == WC_TIER_OPTIMIZED, "first build");
    char key[128];
    entry_key(key, sizeof key);
    CHECK(key[0], "no entry in %s", cache_dir);
    char mac_path[700];
    entry_path(mac_path, sizeof mac_path, key, "hmac");
    CHECK(exists(mac_path), "no .hmac");
    struct stat st;
    CHECK(stat(key_path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 65, "key file mode %o size %lld",
          (unsigned)(st.st_mode & 0777), (long long)st.st_size);
    CHECK(load(WC_TIER_AUTO) == WC_TIER_OPTIMIZED, "a correct entry hits");

    /* A group-writable directory: refused, even with a correct entry. */
    chmod(cache_dir, 0770);
    CHECK(load(WC_TIER_AUTO) == WC_TIER_FAST, "a group-writable cache directory was used");
    chmod(cache_dir, 0700);
    CHECK(load(WC_TIER_AUTO) == WC_TIER_OPTIMIZED, "hit again once the directory is private");

    /* A group-writable entry: refused. */
    char so_path[700];
    entry_path(so_path, sizeof so_path, key, "so");
    chmod(so_path, 0660);
    CHECK(load(WC_TIER_AUTO) == WC_TIER_FAST, "a group-writable entry was used");
    chmod(so_path, 0600);

    /* A key others can read: refused. */
    chmod(key_path, 0644);
    CHECK(load(WC_TIER_AUTO) == WC_TIER_FAST, "a key readable by others was used");
    chmod(key_path, 0600);
    CHECK(load(WC_TIER_AUTO) == WC_TIER_OPTIMIZED, "hit with the key private again");

    /* A key inside the cache directory: refused. */
    char inside[600];
    snprintf(inside, sizeof inside, "%s/cache.key", cache_dir);
    char saved[600];
    snprintf(saved, sizeof saved, "%s", key_path);
    snprintf(key_path, sizeof key_path, "%s", inside);
    CHECK(load(WC_TIER_AUTO) == WC_TIER_FAST && !exists(inside), "a key inside the cache was used");
    snprintf(key_path, sizeof key_path, "%s", saved);

    /* The attacker's object, with a matching digest and a foreign MAC:
     * never loaded, its constructor never runs; the entry is rebuilt. */
    tamper(key);
    CHECK(load(WC_TIER_AUTO) == WC_TIER_FAST, "a tampered entry hit");
    CHECK(!exists(marker), "the tampered object's constructor ran");
    CHECK(load(WC_TIER_OPTIMIZED) == WC_TIER_OPTIMIZED, "rebuilt");
    CHECK(!exists(marker), "the tampered object's constructor ran (optimized)");
    CHECK(load(WC_TIER_AUTO) == WC_TIER_OPTIMIZED, "the rebuilt entry hits");

    free(module_bytes);
    char *rm[] = {"rm", "-rf", tmp, NULL};
    char out[256];
    wc_run_process(rm, out, sizeof out, NULL);
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    printf("test_cache: all passed\n");
    return 0;
}
