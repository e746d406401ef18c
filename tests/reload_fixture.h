/* reload_fixture.h -- what the hot-reload tests share: a temporary folder
 * with the config, the server's log and plugin r's file, the two versions
 * of the reload guest (tests/guests/reload_v*.c), and file copies as a
 * deploy or an editor makes them.
 *
 * Meant to be included by one test file (everything is static) after
 * check.h.
 */
#ifndef WC_TESTS_RELOAD_FIXTURE_H
#define WC_TESTS_RELOAD_FIXTURE_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static char dir[256], config_path[300], log_path[300], plugin_path[300];
static char v1[300], v2[300]; /* the guest's two versions */

static bool copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    char buf[65536];
    size_t n;
    bool ok = in && out;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        ok = false;
    return ok;
}

/* As an editor saves: a new file beside, renamed over the old one. */
static bool replace_file(const char *from, const char *to)
{
    char tmp[400];
    snprintf(tmp, sizeof tmp, "%s.tmp~", to);
    return copy_file(from, tmp) && rename(tmp, to) == 0;
}

static bool fixture_open(const char *name)
{
    snprintf(dir, sizeof dir, "/tmp/wc-%s-XXXXXX", name);
    if (!mkdtemp(dir))
        return false;
    snprintf(config_path, sizeof config_path, "%s/wasmcap.json", dir);
    snprintf(log_path, sizeof log_path, "%s/server.log", dir);
    snprintf(plugin_path, sizeof plugin_path, "%s/r.wasm", dir);
    snprintf(v1, sizeof v1, WC_BINARY_DIR "/guests/reload_v1.wasm");
    snprintf(v2, sizeof v2, WC_BINARY_DIR "/guests/reload_v2.wasm");
    signal(SIGPIPE, SIG_IGN);
    return true;
}

/* The log's end when something failed; the folder removed; the verdict. */
static int fixture_close(void)
{
    char cmd[400];
    if (failures) {
        snprintf(cmd, sizeof cmd, "tail -c 3000 %s", log_path);
        if (system(cmd) != 0)
            printf("(no log)\n");
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("cannot remove %s\n", dir);
    printf("%d checks, %d failures\n", checks, failures);
    return failures != 0;
}

#endif
