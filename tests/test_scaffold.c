/* test_scaffold.c -- `wasmcap new`, end to end.
 *
 * Creates a project in a temporary directory with the built wasmcap binary,
 * builds it with its own Makefile (Debian's clang for wasm32-wasi), and
 * checks that the module is valid, has the native ABI's exports, and carries
 * a manifest in its custom section that names the plugin and its tool.
 * Then the refusals: existing files are never overwritten, bad names and
 * options are rejected with a message, and --help works.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/decode.h"
#include "util/fs.h"
#include "util/process.h"

#include "check.h"

#define WASMCAP WC_BINARY_DIR "/wasmcap"

static char output[16384];

/* Runs wasmcap with these arguments; output holds stdout and stderr. */
static int run(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5)
{
    char *argv[] = {(char *)WASMCAP, (char *)a1, (char *)a2, (char *)a3, (char *)a4, (char *)a5, NULL};
    return wc_run_process(argv, output, sizeof output, NULL);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int has_export(const wc_module_info *info, const char *name, wc_extern_kind kind)
{
    for (uint32_t i = 0; i < info->nexports; i++)
        if (strcmp(info->exports[i].name, name) == 0 && info->exports[i].kind == kind)
            return 1;
    return 0;
}

static void check_module(const char *wasm_path, const char *name)
{
    uint8_t *bytes;
    size_t size;
    int rc = wc_read_file(wasm_path, 0, &bytes, &size);
    CHECK(rc == 0, "%s was not built", wasm_path);
    if (rc)
        return;
    wc_module_info *info;
    wc_error err = {0};
    rc = wc_decode(bytes, size, NULL, &info, &err);
    CHECK(rc == 0, "%s does not decode: %s", wasm_path, err.msg);
    if (rc) {
        free(bytes);
        return;
    }
    CHECK(has_export(info, "memory", WC_EXTERN_MEMORY), "no memory export");
    CHECK(has_export(info, "wasmcap_alloc", WC_EXTERN_FUNC), "no wasmcap_alloc export");
    CHECK(has_export(info, "wasmcap_call_tool", WC_EXTERN_FUNC), "no wasmcap_call_tool export");
    CHECK(has_export(info, "_initialize", WC_EXTERN_FUNC), "not a reactor (no _initialize)");
    CHECK(!has_export(info, "_start", WC_EXTERN_FUNC), "a command, not a reactor");
    for (uint32_t i = 0; i < info->nimports; i++)
        CHECK(strcmp(info->imports[i].module, "wasmcap") == 0 ||
                  strcmp(info->imports[i].module, "wasi_snapshot_preview1") == 0,
              "unexpected import %s.%s", info->imports[i].module, info->imports[i].name);
    /* the per-call footprint: the initial memory stays at one page */
    CHECK(info->nmemories == 1 && info->memories[0].min == 1, "initial memory %u pages",
          info->nmemories ? info->memories[0].min : 0);

    const wc_custom_section *sec = wc_module_find_custom(info, "wasmcap.manifest");
    CHECK(sec != NULL, "no wasmcap.manifest custom section");
    if (sec) {
        json_error_t jerr;
        json_t *m = json_loadb((const char *)sec->data, sec->size, JSON_REJECT_DUPLICATES, &jerr);
        CHECK(m != NULL, "the manifest section is not JSON: %s", jerr.text);
        const char *mname = json_string_value(json_object_get(m, "name"));
        CHECK(mname && strcmp(mname, name) == 0, "manifest name %s, want %s", mname, name);
        json_t *tool = json_array_get(json_object_get(m, "tools"), 0);
        const char *tname = json_string_value(json_object_get(tool, "name"));
        CHECK(tname && strcmp(tname, "greet") == 0, "tool name %s", tname);
        CHECK(json_is_object(json_object_get(tool, "inputSchema")) &&
                  json_is_object(json_object_get(tool, "outputSchema")),
              "tool schemas");
        json_decref(m);
    }
    wc_module_info_free(info);
    free(bytes);
}

int main(void)
{
    char tmp[512];
    if (wc_make_temp_dir(tmp, sizeof tmp, "wasmcap-scaffold")) {
        printf("FAIL: cannot create a temporary directory\n");
        return 1;
    }
    char project[600], path[700];
    /* the server's kv store and code cache stay inside the test's directory */
    setenv("XDG_DATA_HOME", tmp, 1);
    setenv("XDG_CACHE_HOME", tmp, 1);
    snprintf(project, sizeof project, "%s/my-plugin_1.x", tmp);

    /* create */
    int rc = run("new", "--dir", tmp, "my-plugin_1.x", NULL);
    CHECK(rc == 0, "wasmcap new failed (%d): %s", rc, output);
    CHECK(strstr(output, "cd ") && strstr(output, "make && wasmcap call --config wasmcap.json "
                                                  "my-plugin_1.x-greet"),
          "no next steps printed: %s", output);
    static const char *const files[] = {"my-plugin_1.x.c", "manifest.json", "Makefile",
                                        "wasmcap.json", "wasmcap.h"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", project, files[i]);
        CHECK(exists(path), "%s was not written", files[i]);
    }
    /* the copied header is the SDK's */
    uint8_t *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    snprintf(path, sizeof path, "%s/wasmcap.h", project);
    wc_read_file(path, 0, &a, &alen);
    wc_read_file(WC_SOURCE_DIR "/sdk/c/wasmcap.h", 0, &b, &blen);
    CHECK(a && b && alen == blen && memcmp(a, b, alen) == 0, "wasmcap.h is not a copy of sdk/c/wasmcap.h");
    free(a);
    free(b);

    /* build it with its own Makefile, away from the source tree */
    char *make_argv[] = {"make", "-C", project, NULL};
    rc = wc_run_process(make_argv, output, sizeof output, NULL);
    CHECK(rc == 0, "make failed (%d): %s", rc, output);
    snprintf(path, sizeof path, "%s/my-plugin_1.x.wasm", project);
    check_module(path, "my-plugin_1.x");

    /* and it serves its tool: the next steps printed on success work */
    snprintf(path, sizeof path, "%s/wasmcap.json", project);
    rc = run("call", "--config", path, "my-plugin_1.x-greet", "{\"name\": \"w\\\"orld \u00e9\"}");
    CHECK(rc == 0, "calling the new plugin failed (%d): %s", rc, output);
    json_error_t jerr;
    json_t *res = json_loads(output, JSON_DISABLE_EOF_CHECK, &jerr);
    CHECK(res && strcmp(json_string_value(json_object_get(json_object_get(res, "structuredContent"),
                                                          "greeting")) ?: "",
                        "Hello, w\"orld \xc3\xa9!") == 0,
          "unexpected result: %s", output);
    json_decref(res);

    /* the generated config points at the module */
    json_t *cfg = json_load_file(path, 0, &jerr);
    CHECK(cfg && json_is_string(json_object_get(
                     json_object_get(json_object_get(cfg, "plugins"), "my-plugin_1.x"), "path")),
          "wasmcap.json: %s", cfg ? "no plugins.my-plugin_1.x.path" : jerr.text);
    json_decref(cfg);

    /* its build ends with wasmcap check: a manifest that refers to a type no
     * ontology has fails the build and leaves no module behind */
    snprintf(path, sizeof path, "%s/manifest.json", project);
    uint8_t *manifest = NULL;
    size_t manifest_len = 0;
    wc_read_file(path, 0, &manifest, &manifest_len);
    char *props = manifest ? strstr((char *)manifest, "\"properties\": {\"greeting\"") : NULL;
    CHECK(props != NULL, "the scaffold's outputSchema changed: %s", manifest ? (char *)manifest : "");
    if (props) {
        char drifting[8192];
        snprintf(drifting, sizeof drifting, "%.*s\"$ref\": \"ontology:Greeting\", %s",
                 (int)(props - (char *)manifest), (char *)manifest, props);
        wc_write_file(path, drifting, strlen(drifting));
        rc = wc_run_process(make_argv, output, sizeof output, NULL);
        snprintf(path, sizeof path, "%s/my-plugin_1.x.wasm", project);
        CHECK(rc != 0 && strstr(output, "unknown-ref") && strstr(output, "ontology:Greeting") &&
                  !exists(path),
              "a drifting manifest built (%d): %s", rc, output);
        snprintf(path, sizeof path, "%s/manifest.json", project);
        wc_write_file(path, manifest, manifest_len);
        rc = wc_run_process(make_argv, output, sizeof output, NULL);
        CHECK(rc == 0, "make after the fix (%d): %s", rc, output);
    }
    free(manifest);

    /* never overwrite: a second run fails and leaves the files alone */
    snprintf(path, sizeof path, "%s/my-plugin_1.x.c", project);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs("/* mine */\n", f);
        fclose(f);
    }
    rc = run("new", "--dir", tmp, "my-plugin_1.x", NULL);
    CHECK(rc == 1 && strstr(output, "already exists"), "overwrite not refused (%d): %s", rc, output);
    uint8_t *kept = NULL;
    size_t kept_len = 0;
    wc_read_file(path, 0, &kept, &kept_len);
    CHECK(kept && strcmp((char *)kept, "/* mine */\n") == 0, "an existing file was changed");
    free(kept);

    /* a directory that exists but holds none of the files is fine */
    snprintf(path, sizeof path, "%s/empty", tmp);
    mkdir(path, 0755);
    rc = run("new", "--dir", tmp, "empty", NULL);
    CHECK(rc == 0, "existing empty directory refused (%d): %s", rc, output);

    /* bad names, options and places */
    static const char *const bad_names[] = {"", "../x", "a/b", ".hidden", "-x", "with space",
                                            "x$",
                                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        rc = run("new", "--dir", tmp, bad_names[i], NULL);
        CHECK(rc == 2, "name '%s' accepted (%d): %s", bad_names[i], rc, output);
        CHECK(strstr(output, bad_names[i][0] == '-' ? "unknown option" : "invalid name"),
              "name '%s': unclear message: %s", bad_names[i], output);
    }
    rc = run("new", NULL, NULL, NULL, NULL);
    CHECK(rc == 2 && strstr(output, "usage:"), "no name (%d): %s", rc, output);
    rc = run("new", "--bogus", "x", NULL, NULL);
    CHECK(rc == 2 && strstr(output, "unknown option --bogus"), "unknown option (%d): %s", rc, output);
    rc = run("new", "a", "b", NULL, NULL);
    CHECK(rc == 2, "two names accepted (%d)", rc);
    rc = run("new", "--dir", NULL, NULL, NULL);
    CHECK(rc == 2 && strstr(output, "needs a directory"), "--dir without value (%d): %s", rc, output);
    snprintf(path, sizeof path, "%s/missing", tmp);
    rc = run("new", "--dir", path, "x", NULL);
    CHECK(rc == 1 && strstr(output, "No such file"), "missing --dir (%d): %s", rc, output);
    char *sdk_argv[] = {(char *)WASMCAP, "new", "--dir", tmp, "--sdk", "/nonexistent", "other", NULL};
    rc = wc_run_process(sdk_argv, output, sizeof output, NULL);
    CHECK(rc == 1 && strstr(output, "no SDK header"), "bad --sdk (%d): %s", rc, output);
    snprintf(path, sizeof path, "%s/other", tmp);
    CHECK(!exists(path), "a failed run left %s behind", path);
    rc = run("new", "--help", NULL, NULL, NULL);
    CHECK(rc == 0 && strstr(output, "usage: wasmcap new"), "--help (%d): %s", rc, output);

    /* clean up: the projects, the kv store and the cache */
    char *rm_argv[] = {"rm", "-rf", tmp, NULL};
    CHECK(wc_run_process(rm_argv, output, sizeof output, NULL) == 0, "rm -rf %s: %s", tmp, output);
    if (failures) {
        printf("%d check(s) failed\n", failures);
        return 1;
    }
    printf("test_scaffold: all checks passed\n");
    return 0;
}
