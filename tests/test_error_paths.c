/* test_error_paths.c -- a failure deep in a layer reaches the person who
 * ran wasmcap with its code and its words: a config error (json's reader,
 * under cli), a plugin that cannot be read (util's files, under plugin), a
 * manifest that does not parse (plugin's manifest, under the registry).
 * Each is checked twice: the WC_E* code and message wc_setup_open returns,
 * and the line `wasmcap call` prints on stderr. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/setup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"

#include "check.h"

#define WASMCAP WC_BINARY_DIR "/wasmcap"

static char tmpdir[256];

/* An empty module: it compiles, so loading gets as far as its manifest. */
static const char empty_module[] = {0, 'a', 's', 'm', 1, 0, 0, 0};

static void write_text(const char *name, const char *text, size_t len, char *path,
                       size_t path_size)
{
    snprintf(path, path_size, "%s/%s", tmpdir, name);
    CHECK(wc_write_file(path, text, len) == 0, "cannot write %s", path);
}

/* Runs `wasmcap call --config config t` and keeps what it printed on stderr. */
static int run_call(const char *config, char *out, size_t out_size)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "timeout 60 %s call --config %s t 2>&1 >/dev/null", WASMCAP, config);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(out, 1, out_size - 1, p);
    out[n] = 0;
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* config as the user would write it: wc_setup_open fails with code and a
 * message containing want, and `wasmcap call` prints the same. */
static void reaches_user(const char *what, const char *config, int code, const char *want)
{
    wc_setup setup;
    wc_error err;
    memset(&err, 0, sizeof err);
    int rc = wc_setup_open(&setup, config, &err);
    CHECK(rc == code && err.code == code, "%s: code %d (%s), want %d (%s): %s", what, rc,
          wc_strerror(rc), code, wc_strerror(code), err.msg);
    CHECK(strstr(err.msg, want), "%s: \"%s\" lacks \"%s\"", what, err.msg, want);
    if (rc == 0)
        wc_setup_close(&setup);

    char out[2048];
    int status = run_call(config, out, sizeof out);
    char line[1200];
    snprintf(line, sizeof line, "wasmcap call: %s\n", err.msg);
    CHECK(status != 0 && status != 124, "%s: exit status %d", what, status);
    CHECK(strstr(out, line), "%s: stderr \"%s\" lacks \"%s\"", what, out, line);
}

static void test_config_error(void)
{
    char config[512];
    const char *text = "{\"plugins\": {\"p\": {\"path\": \"p.wasm\", \"permissions\": "
                       "{\"timeout_ms\": -5}}}}";
    write_text("config.json", text, strlen(text), config, sizeof config);
    reaches_user("config", config, WC_EINVAL,
                 "config.json: plugins.p.permissions.timeout_ms: expected a duration in "
                 "milliseconds from 1 to 86400000");
}

static void test_plugin_load_error(void)
{
    char config[512];
    const char *text = "{\"plugins\": {\"p\": {\"path\": \"missing.wasm\"}}}";
    write_text("missing.json", text, strlen(text), config, sizeof config);
    reaches_user("plugin load", config, WC_ENOENT,
                 "plugin 'p': cannot read ");
    reaches_user("plugin load", config, WC_ENOENT, "missing.wasm: No such file or directory");
}

static void test_manifest_error(void)
{
    char module[512], manifest[512], config[512];
    write_text("m.wasm", empty_module, sizeof empty_module, module, sizeof module);
    const char *bad = "{\"name\": \"m\", \"tools\": [{\"name\": \"t\", \"inputSchema\": 5}]}";
    write_text("m.manifest.json", bad, strlen(bad), manifest, sizeof manifest);
    const char *text = "{\"plugins\": {\"m\": {\"path\": \"m.wasm\"}}}";
    write_text("manifest.json", text, strlen(text), config, sizeof config);
    char want[1024];
    snprintf(want, sizeof want, "plugin 'm': %s: tools[0].inputSchema: ", manifest);
    reaches_user("manifest", config, WC_EINVAL, want);
}

int main(void)
{
    wc_log_set_level(WC_LOG_EMERGENCY + 1);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/wc_error_paths_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    /* the storage defaults need a home; the tests need none of it */
    setenv("HOME", tmpdir, 1);
    test_config_error();
    test_plugin_load_error();
    test_manifest_error();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        printf("cannot remove %s\n", tmpdir);
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    printf("test_error_paths: all passed (%d checks)\n", checks);
    return 0;
}
