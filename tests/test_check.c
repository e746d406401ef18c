/* test_check.c -- `wasmcap check` and the same check when a config loads
 * (`wasmcap call` and `serve` share it): the examples pass; a drifting
 * plugin is one line per finding naming plugin, tool, pointer and rule (or
 * the same as JSON) and a non-zero exit; a config with it is refused
 * unless "ontology_drift" is "warn"; two plugins disagreeing on a type are
 * caught across plugins. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "util/fs.h"
#include "util/process.h"

#define WASMCAP WC_BINARY_DIR "/wasmcap"

static char output[65536];
static char tmp[512];

static int run(char **argv)
{
    return wc_run_process(argv, output, sizeof output, NULL);
}

/* A copy of the hello plugin (a WASI command with a sidecar manifest)
 * under name, with this tool inputSchema. */
static void plugin(const char *name, const char *input_schema, const char *defs)
{
    char path[700], text[4096];
    uint8_t *bytes = NULL;
    size_t size = 0;
    CHECK(wc_read_file(WC_SOURCE_DIR "/plugins/hello/hello.wasm", 0, &bytes, &size) == 0,
          "plugins/hello/hello.wasm: build the plugins first (make -C plugins)");
    snprintf(path, sizeof path, "%s/%s.wasm", tmp, name);
    wc_write_file(path, bytes, size);
    free(bytes);
    snprintf(text, sizeof text,
             "{\"name\": \"%s\", \"tools\": [{\"name\": \"greet\", \"inputSchema\": %s%s%s}]}",
             name, input_schema, defs ? ", \"outputSchema\": " : "", defs ? defs : "");
    snprintf(path, sizeof path, "%s/%s.manifest.json", tmp, name);
    wc_write_file(path, text, strlen(text));
}

static const char *config(const char *name, const char *extra, const char *a, const char *b)
{
    static char path[700];
    char text[2048];
    snprintf(path, sizeof path, "%s/%s.json", tmp, name);
    snprintf(text, sizeof text,
             "{\"ontology\": \"" WC_SOURCE_DIR "/ontology\"%s,"
             " \"plugins\": {\"%s\": {\"path\": \"%s.wasm\"}%s%s%s%s%s}}",
             extra, a, a, b ? ", \"" : "", b ? b : "", b ? "\": {\"path\": \"" : "", b ? b : "",
             b ? ".wasm\"}" : "");
    wc_write_file(path, text, strlen(text));
    return path;
}

#define NAME "\"name\": {\"type\": \"string\", \"minLength\": 1}"
#define GOOD_INPUT "{\"type\": \"object\", \"properties\": {" NAME "}, \"required\": [\"name\"]}"
#define NARROW_INPUT                                                                             \
    "{\"type\": \"object\", \"properties\": {" NAME ", \"stockout_probability\": "               \
    "{\"type\": \"number\", \"minimum\": 0, \"maximum\": 0.5}}, \"required\": [\"name\"]}"

static void test_examples(void)
{
    char *argv[] = {WASMCAP, "check", "--config", WC_SOURCE_DIR "/wasmcap.json", NULL};
    int rc = run(argv);
    CHECK(rc == 0 && strstr(output, "0 error(s), 0 warning(s)"), "examples (%d): %s", rc, output);
}

static void test_drift(void)
{
    plugin("good", GOOD_INPUT, NULL);
    plugin("narrow", NARROW_INPUT, NULL);
    const char *ok = config("ok", "", "good", NULL);
    char *argv[] = {WASMCAP, "check", "--config", (char *)ok, NULL, NULL};
    int rc = run(argv);
    CHECK(rc == 0, "a keeping plugin (%d): %s", rc, output);

    const char *bad = config("bad", "", "good", "narrow");
    argv[3] = (char *)bad;
    rc = run(argv);
    CHECK(rc == 1 && strstr(output, "error: narrow: greet: /tools/0/inputSchema/properties/"
                                    "stockout_probability: input-narrows: property "
                                    "\"stockout_probability\" narrows the ontology's "
                                    "ContextualRiskAssessment: the ontology has maximum 1 where "
                                    "this schema has maximum 0.5"),
          "the finding line (%d): %s", rc, output);

    argv[4] = "--json";
    rc = run(argv);
    json_error_t e;
    json_t *doc = json_loads(output, JSON_DISABLE_EOF_CHECK, &e);
    json_t *first = json_array_get(json_object_get(doc, "findings"), 0);
    CHECK(rc == 1 && json_integer_value(json_object_get(doc, "errors")) == 1 &&
              strcmp(json_string_value(json_object_get(first, "rule")) ?: "", "input-narrows") == 0 &&
              strcmp(json_string_value(json_object_get(first, "plugin")) ?: "", "narrow") == 0 &&
              strcmp(json_string_value(json_object_get(first, "tool")) ?: "", "greet") == 0 &&
              strcmp(json_string_value(json_object_get(first, "pointer")) ?: "",
                     "/tools/0/inputSchema/properties/stockout_probability") == 0,
          "--json (%d): %s", rc, output);
    json_decref(doc);

    /* the same check when the config loads: refused, or served with "warn" */
    char *call[] = {WASMCAP, "call", "--config", (char *)bad, "narrow-greet", "{\"name\": \"x\"}", NULL};
    rc = run(call);
    CHECK(rc != 0 && strstr(output, "the plugins break the ontology") &&
              strstr(output, "input-narrows"),
          "a drifting plugin is refused at load (%d): %s", rc, output);
    const char *warn = config("warn", ", \"ontology_drift\": \"warn\"", "good", "narrow");
    call[3] = (char *)warn;
    rc = run(call);
    CHECK(rc == 0 && strstr(output, "Hello, x") && strstr(output, "input-narrows"),
          "served with ontology_drift warn, the finding logged (%d): %s", rc, output);
    const char *typo = config("typo", ", \"ontology_drift\": \"ignore\"", "good", NULL);
    call[3] = (char *)typo;
    call[4] = "good-greet";
    rc = run(call);
    CHECK(rc != 0 && strstr(output, "ontology_drift: unknown mode 'ignore' (refuse, warn)"),
          "a bad mode (%d): %s", rc, output);
}

/* Two plugins that define one type differently; and a $ref to a type the
 * ontology does not have, which also keeps the manifest from loading. */
static void test_across(void)
{
    plugin("ship-a", GOOD_INPUT,
           "{\"type\": \"object\", \"$defs\": {\"Shipment\": {\"type\": \"object\", \"properties\": "
           "{\"kg\": {\"type\": \"number\"}}}}}");
    plugin("ship-b", GOOD_INPUT,
           "{\"type\": \"object\", \"$defs\": {\"Shipment\": {\"type\": \"object\", \"properties\": "
           "{\"lb\": {\"type\": \"number\"}}}}}");
    const char *path = config("ships", "", "ship-a", "ship-b");
    char *argv[] = {WASMCAP, "check", "--config", (char *)path, NULL};
    int rc = run(argv);
    CHECK(rc == 1 && strstr(output, "error: ship-b: greet: /tools/0/outputSchema/$defs/Shipment: "
                                    "type-conflict: defines the type \"Shipment\" differently from "
                                    "plugin ship-a"),
          "type-conflict (%d): %s", rc, output);

    plugin("renamed", GOOD_INPUT, "{\"type\": \"object\", \"$ref\": \"ontology:RiskAssessment\"}");
    path = config("renamed", "", "renamed", NULL);
    argv[3] = (char *)path;
    rc = run(argv);
    CHECK(rc == 1 && strstr(output, "error: renamed: greet: /tools/0/outputSchema/$ref: unknown-ref: "
                                    "$ref \"ontology:RiskAssessment\" names no ontology type") &&
              !strstr(output, ": manifest: "),
          "unknown-ref, once (%d): %s", rc, output);
}

static void test_usage(void)
{
    char *help[] = {WASMCAP, "check", "--help", NULL};
    int rc = run(help);
    CHECK(rc == 0 && strstr(output, "usage: wasmcap check [--config FILE] [--json]") &&
              strstr(output, "output-widens"),
          "--help (%d): %s", rc, output);
    char *bad[] = {WASMCAP, "check", "--bogus", NULL};
    rc = run(bad);
    CHECK(rc == 2 && strstr(output, "unknown argument '--bogus'"), "bad usage (%d): %s", rc, output);
    char *missing[] = {WASMCAP, "check", "--config", "/nonexistent/wasmcap.json", NULL};
    rc = run(missing);
    CHECK(rc == 1 && strstr(output, "/nonexistent/wasmcap.json"), "no config (%d): %s", rc, output);
    char *gen_help[] = {WASMCAP, "gen", "--help", NULL};
    rc = run(gen_help);
    CHECK(rc == 0 && strstr(output, "usage: wasmcap gen c ONTOLOGY_DIR"), "gen --help (%d): %s", rc, output);
    char *gen_bad[] = {WASMCAP, "gen", "rust", "x", NULL};
    rc = run(gen_bad);
    CHECK(rc == 2 && strstr(output, "unknown language 'rust'"), "gen rust (%d): %s", rc, output);
}

int main(void)
{
    if (wc_make_temp_dir(tmp, sizeof tmp, "wasmcap-check")) {
        printf("FAIL: cannot create a temporary directory\n");
        return 1;
    }
    setenv("XDG_DATA_HOME", tmp, 1);
    setenv("XDG_CACHE_HOME", tmp, 1);
    unsetenv("WASMCAP_CONFIG");
    test_examples();
    test_drift();
    test_across();
    test_usage();
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", tmp);
    if (failures)
        return 1;
    printf("test_check: %d checks passed\n", checks);
    return 0;
}
