/* test_manifest.c -- plugin manifests: where they come from and every check.
 *
 * The custom section of a test guest, a sidecar file, a module with
 * neither, each validation error (with the field it names), tolerance of
 * unknown fields, and the RFC 6570 level-1 template matcher.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/decode.h"
#include "plugin/manifest.h"
#include "util/fs.h"

#include "check.h"

static char tmpdir[256];

/* text must be refused with exactly `want`. */
static void bad(const char *text, const char *want)
{
    wc_manifest m;
    wc_error err = {0};
    int rc = wc_manifest_parse(text, strlen(text), "t.json", &m, &err);
    CHECK(rc == WC_EINVAL && err.code == WC_EINVAL, "accepted (%d): %s", rc, text);
    CHECK(strcmp(err.msg, want) == 0, "\n  text: %s\n  got:  %s\n  want: %s", text, err.msg, want);
    if (rc == 0)
        wc_manifest_free(&m);
}

static void test_valid(void)
{
    const char *text =
        "{\"name\": \"notes\", \"version\": \"1.0.0\", \"description\": \"d\", \"x-future\": [1],"
        " \"tools\": [{\"name\": \"add\", \"title\": \"Add\", \"description\": \"Adds\","
        "   \"inputSchema\": {\"type\": \"object\", \"properties\": {\"id\": {\"type\": \"string\"}},"
        "                     \"required\": [\"id\"]},"
        "   \"outputSchema\": {\"type\": \"object\"}, \"annotations\": {\"readOnlyHint\": false},"
        "   \"unknownToolField\": 1},"
        "  {\"name\": \"list\"}],"
        " \"resources\": [{\"uri\": \"notes://index\", \"name\": \"index\", \"size\": 10}],"
        " \"resourceTemplates\": [{\"uriTemplate\": \"notes://{id}\", \"name\": \"note\","
        "   \"complete\": {\"id\": [\"a\", \"b\"]}}],"
        " \"prompts\": [{\"name\": \"summarize\", \"arguments\": [{\"name\": \"id\", \"required\": true,"
        "   \"complete\": [\"x\"]}]}],"
        " \"permissions\": {\"kv\": true, \"allowed_hosts\": [\"api.example.com\"], \"env\": [\"KEY\"],"
        "   \"config\": {\"k\": \"why\"}, \"sampling\": true, \"future\": 1}}";
    wc_manifest m;
    wc_error err = {0};
    int rc = wc_manifest_parse(text, strlen(text), "notes.manifest.json", &m, &err);
    CHECK(rc == 0, "valid manifest refused: %s", err.msg);
    if (rc)
        return;
    CHECK(strcmp(m.name, "notes") == 0 && strcmp(m.version, "1.0.0") == 0 &&
              strcmp(m.description, "d") == 0, "header");
    CHECK(m.ntools == 2, "ntools");
    CHECK(strcmp(m.tools[0].title, "Add") == 0 && m.tools[0].input && m.tools[0].output &&
              m.tools[0].annotations, "tool 0");
    CHECK(m.tools[1].input && !m.tools[1].output && !m.tools[1].title, "tool 1 defaults");
    json_t *empty = json_object(), *id = json_pack("{s:s}", "id", "x");
    CHECK(wc_schema_validate(m.tools[1].input, empty, NULL), "default schema accepts {}");
    CHECK(!wc_schema_validate(m.tools[0].input, empty, NULL), "input schema compiled");
    CHECK(wc_schema_validate(m.tools[0].input, id, NULL), "input schema valid");
    json_decref(empty);
    json_decref(id);
    CHECK(json_array_size(m.resources) == 1 && json_array_size(m.resource_templates) == 1 &&
              json_array_size(m.prompts) == 1, "arrays");
    CHECK(json_is_object(m.permissions), "permissions");
    CHECK(wc_manifest_find_tool(&m, "list") == 1 && wc_manifest_find_tool(&m, "nope") == -1, "find");
    wc_manifest_free(&m);

    /* Minimal: only a name; arrays present and empty. */
    rc = wc_manifest_parse("{\"name\": \"a.b-c_d\"}", 19, "min", &m, &err);
    CHECK(rc == 0 && m.ntools == 0 && json_array_size(m.resources) == 0 && !m.permissions &&
              !m.version, "minimal: %s", err.msg);
    if (rc == 0)
        wc_manifest_free(&m);
}

static void test_errors(void)
{
    bad("", "t.json: invalid JSON at line 1, column 0: '[' or '{' expected near end of file");
    bad("[]", "t.json: the manifest must be a JSON object");
    bad("{\"name\": \"a\", \"name\": \"b\"}",
        "t.json: invalid JSON at line 1, column 20: duplicate object key near '\"name\"'");
    bad("{}", "t.json: name: required");
    bad("{\"name\": 3}", "t.json: name: expected a string");
    bad("{\"name\": \"has space\"}", "t.json: name: 'has space' must match ^[A-Za-z0-9_.-]{1,64}$");
    bad("{\"name\": \"\"}", "t.json: name: '' must match ^[A-Za-z0-9_.-]{1,64}$");
    bad("{\"name\": \"x\", \"version\": 1}", "t.json: version: expected a string");
    bad("{\"name\": \"x\", \"tools\": {}}", "t.json: tools: expected an array");
    bad("{\"name\": \"x\", \"tools\": [1]}", "t.json: tools[0]: expected an object");
    bad("{\"name\": \"x\", \"tools\": [{}]}", "t.json: tools[0].name: required");
    bad("{\"name\": \"x\", \"tools\": [{\"name\": \"a/b\"}]}",
        "t.json: tools[0].name: 'a/b' must match ^[A-Za-z0-9_.-]{1,64}$");
    bad("{\"name\": \"x\", \"tools\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}",
        "t.json: tools[1].name: duplicate tool name 'a'");
    bad("{\"name\": \"x\", \"tools\": [{\"name\": \"a\", \"title\": []}]}", "t.json: tools[0].title: expected a string");
    bad("{\"name\": \"x\", \"tools\": [{\"name\": \"a\", \"annotations\": 1}]}",
        "t.json: tools[0].annotations: expected an object");
    bad("{\"name\": \"x\", \"tools\": [{\"name\": \"a\", \"inputSchema\": true}]}",
        "t.json: tools[0].inputSchema: expected a JSON Schema object");
    bad("{\"name\": \"x\", \"tools\": [{\"name\": \"a\", \"inputSchema\": {\"type\": \"string\"}}]}",
        "t.json: tools[0].inputSchema: the schema of tool 'a' must have \"type\": \"object\"");
    bad("{\"name\": \"x\", \"tools\": [{\"name\": \"calc\", \"inputSchema\": {\"type\": \"object\","
        " \"properties\": {\"x\": {\"pattern\": \"(\"}}}}]}",
        "t.json: tools[0].inputSchema: the schema of tool 'calc' does not compile: at "
        "#/properties/x/pattern: invalid regular expression \"(\" at offset 1: missing closing parenthesis");
    bad("{\"name\": \"x\", \"tools\": [{\"name\": \"a\"}, {\"name\": \"b\", \"outputSchema\": {\"type\": "
        "\"object\", \"required\": 5}}]}",
        "t.json: tools[1].outputSchema: the schema of tool 'b' does not compile: at #/required: "
        "must be an array of property names");
    /* a schema whose validation could recurse without end is refused at load */
    bad("{\"name\": \"x\", \"tools\": [{\"name\": \"loop\", \"inputSchema\": {\"type\": \"object\","
        " \"anyOf\": [{\"$ref\": \"#\"}, {\"$ref\": \"#\"}]}}]}",
        "t.json: tools[0].inputSchema: the schema of tool 'loop' does not compile: at "
        "#/anyOf/0/$ref: $ref \"#\" leads back to a schema applied to the same value, so "
        "validating could recurse without end; recursion must pass through properties, items or "
        "another keyword that applies to a part of the value");
    bad("{\"name\": \"x\", \"resources\": [{\"name\": \"n\"}]}", "t.json: resources[0].uri: required");
    bad("{\"name\": \"x\", \"resources\": [{\"uri\": \"u\"}]}", "t.json: resources[0].name: required");
    bad("{\"name\": \"x\", \"resources\": [{\"uri\": \"\", \"name\": \"n\"}]}",
        "t.json: resources[0].uri: expected a non-empty string");
    bad("{\"name\": \"x\", \"resources\": [{\"uri\": \"u\", \"name\": \"n\", \"size\": -1}]}",
        "t.json: resources[0].size: expected a non-negative integer");
    bad("{\"name\": \"x\", \"resources\": [{\"uri\": \"u\", \"name\": \"n\", \"size\": \"big\"}]}",
        "t.json: resources[0].size: expected a non-negative integer");
    bad("{\"name\": \"x\", \"resources\": [{\"uri\": \"u\", \"name\": \"n\"}, {\"uri\": \"u\", \"name\": \"m\"}]}",
        "t.json: resources[1].uri: duplicate resource uri 'u'");
    bad("{\"name\": \"x\", \"resources\": [{\"uri\": \"u\", \"name\": \"n\", \"mimeType\": 1}]}",
        "t.json: resources[0].mimeType: expected a string");
    bad("{\"name\": \"x\", \"resourceTemplates\": [{\"uriTemplate\": \"a://{id\", \"name\": \"n\"}]}",
        "t.json: resourceTemplates[0].uriTemplate: 'a://{id': bad variable at offset 4 (expected "
        "{name} with letters, digits or _)");
    bad("{\"name\": \"x\", \"resourceTemplates\": [{\"uriTemplate\": \"a://}\", \"name\": \"n\"}]}",
        "t.json: resourceTemplates[0].uriTemplate: 'a://}': unbalanced '}' at offset 4");
    bad("{\"name\": \"x\", \"resourceTemplates\": [{\"uriTemplate\": \"a://{x}{y}\", \"name\": \"n\"}]}",
        "t.json: resourceTemplates[0].uriTemplate: 'a://{x}{y}': two variables without a separator at offset 7");
    bad("{\"name\": \"x\", \"resourceTemplates\": [{\"uriTemplate\": \"a://{x}\"}]}",
        "t.json: resourceTemplates[0].name: required");
    bad("{\"name\": \"x\", \"resourceTemplates\": [{\"uriTemplate\": \"a://{x}\", \"name\": \"n\","
        " \"complete\": {\"y\": []}}]}",
        "t.json: resourceTemplates[0].complete.y: the template has no variable 'y'");
    bad("{\"name\": \"x\", \"resourceTemplates\": [{\"uriTemplate\": \"a://{x}\", \"name\": \"n\","
        " \"complete\": {\"x\": [1]}}]}",
        "t.json: resourceTemplates[0].complete.x[0]: expected a string");
    bad("{\"name\": \"x\", \"resourceTemplates\": [{\"uriTemplate\": \"a://{x}\", \"name\": \"n\"},"
        " {\"uriTemplate\": \"a://{x}\", \"name\": \"m\"}]}",
        "t.json: resourceTemplates[1].uriTemplate: duplicate uriTemplate 'a://{x}'");
    bad("{\"name\": \"x\", \"prompts\": [{\"description\": \"d\"}]}", "t.json: prompts[0].name: required");
    bad("{\"name\": \"x\", \"prompts\": [{\"name\": \"p\"}, {\"name\": \"p\"}]}",
        "t.json: prompts[1].name: duplicate prompt name 'p'");
    bad("{\"name\": \"x\", \"prompts\": [{\"name\": \"p\", \"arguments\": {}}]}",
        "t.json: prompts[0].arguments: expected an array");
    bad("{\"name\": \"x\", \"prompts\": [{\"name\": \"p\", \"arguments\": [{\"name\": \"a\", \"required\": 1}]}]}",
        "t.json: prompts[0].arguments[0].required: expected true or false");
    bad("{\"name\": \"x\", \"prompts\": [{\"name\": \"p\", \"arguments\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}]}",
        "t.json: prompts[0].arguments[1].name: duplicate argument name 'a'");
    bad("{\"name\": \"x\", \"prompts\": [{\"name\": \"p\", \"arguments\": [{}]}]}",
        "t.json: prompts[0].arguments[0].name: required");
    bad("{\"name\": \"x\", \"prompts\": [{\"name\": \"p\", \"arguments\": [{\"name\": \"a\", \"complete\": [true]}]}]}",
        "t.json: prompts[0].arguments[0].complete[0]: expected a string");
    bad("{\"name\": \"x\", \"permissions\": []}", "t.json: permissions: expected an object");
    bad("{\"name\": \"x\", \"permissions\": {\"kv\": \"yes\"}}", "t.json: permissions.kv: expected true or false");
    bad("{\"name\": \"x\", \"permissions\": {\"allowed_hosts\": \"a.com\"}}",
        "t.json: permissions.allowed_hosts: expected an array of strings");
    bad("{\"name\": \"x\", \"permissions\": {\"allowed_hosts\": [1]}}",
        "t.json: permissions.allowed_hosts[0]: expected a string");
    bad("{\"name\": \"x\", \"permissions\": {\"env\": \"KEY\"}}",
        "t.json: permissions.env: expected an array of strings");
}

static void test_templates(void)
{
    wc_error err;
    CHECK(wc_uri_template_check("", &err) == WC_EINVAL && err.code == WC_EINVAL, "empty");
    CHECK(wc_uri_template_check("a://{}", &err) == WC_EINVAL, "empty var");
    CHECK(wc_uri_template_check("a://{x}/{y}.txt", &err) == 0, "two vars: %s", err.msg);
    json_t *vars = json_object();
    CHECK(wc_uri_template_match("notes://{id}", "notes://shopping", vars) &&
              strcmp(json_string_value(json_object_get(vars, "id")), "shopping") == 0, "match");
    CHECK(!wc_uri_template_match("notes://{id}", "notes://", NULL), "one or more characters");
    CHECK(!wc_uri_template_match("notes://{id}", "notes://a/b", NULL), "no slash in a variable");
    CHECK(!wc_uri_template_match("notes://{id}", "other://a", NULL), "literal");
    json_object_clear(vars);
    CHECK(wc_uri_template_match("f://{dir}/{name}.txt", "f://docs/a.b.txt", vars) &&
              strcmp(json_string_value(json_object_get(vars, "dir")), "docs") == 0 &&
              strcmp(json_string_value(json_object_get(vars, "name")), "a.b") == 0, "backtracking");
    CHECK(!wc_uri_template_match("f://{name}.txt", "f://a.md", NULL), "suffix");
    CHECK(wc_uri_template_match("plain://x", "plain://x", NULL), "no variables");
    json_decref(vars);
}

static wc_module_info *decode(const char *path, uint8_t **bytes)
{
    size_t size = 0;
    *bytes = NULL;
    if (wc_read_file(path, 0, bytes, &size) != 0) {
        printf("FAIL: cannot read %s\n", path);
        failures++;
        return NULL;
    }
    wc_module_info *info = NULL;
    wc_error err;
    if (wc_decode(*bytes, size, NULL, &info, &err) != 0) {
        printf("FAIL: cannot decode %s: %s\n", path, err.msg);
        failures++;
    }
    return info;
}

static void test_sources(void)
{
    uint8_t *bytes;
    wc_manifest m;
    wc_error err = {0};
    /* The custom section of a guest. */
    wc_module_info *info = decode(WC_BINARY_DIR "/guests/echo.wasm", &bytes);
    if (info) {
        CHECK(wc_manifest_load(info, WC_BINARY_DIR "/guests/echo.wasm", &m, &err) == 0,
              "echo: %s", err.msg);
        CHECK(m.name && strcmp(m.name, "echo") == 0 && m.ntools == 16, "echo manifest");
        CHECK(strcmp(m.source, "echo.wasm (section wasmcap.manifest)") == 0, "source %s", m.source);
        wc_manifest_free(&m);
    }
    wc_module_info_free(info);
    free(bytes);

    /* A module without a section: the sidecar, or an error naming both places. */
    info = decode(WC_BINARY_DIR "/guests/noentry.wasm", &bytes);
    char wasm[512], side[512];
    snprintf(wasm, sizeof wasm, "%s/plug.wasm", tmpdir);
    snprintf(side, sizeof side, "%s/plug.manifest.json", tmpdir);
    if (info) {
        CHECK(wc_manifest_load(info, wasm, &m, &err) == WC_ENOENT && err.code == WC_ENOENT, "no manifest");
        char want[1024];
        snprintf(want, sizeof want, "plug.wasm has no manifest: no custom section 'wasmcap.manifest' "
                                    "and no sidecar file %s", side);
        CHECK(strcmp(err.msg, want) == 0, "got %s", err.msg);
        const char *text = "{\"name\": \"side\", \"tools\": [{\"name\": \"t\"}]}";
        wc_write_file(side, text, strlen(text));
        CHECK(wc_manifest_load(info, wasm, &m, &err) == 0 && strcmp(m.name, "side") == 0,
              "sidecar: %s", err.msg);
        CHECK(strcmp(m.source, side) == 0, "sidecar source %s", m.source);
        wc_manifest_free(&m);
        text = "{\"name\": \"side\", \"tools\": [{\"name\": \"t\", \"inputSchema\": {\"type\": \"object\", "
               "\"minLength\": \"x\"}}]}";
        wc_write_file(side, text, strlen(text));
        CHECK(wc_manifest_load(info, wasm, &m, &err) == WC_EINVAL, "bad sidecar accepted");
        snprintf(want, sizeof want, "%s: tools[0].inputSchema: the schema of tool 't' does not compile: "
                                    "at #/minLength: ", side);
        CHECK(strncmp(err.msg, want, strlen(want)) == 0, "bad sidecar: %s", err.msg);
        /* A path without .wasm gets .manifest.json appended. */
        char other[512];
        snprintf(other, sizeof other, "%s/plugin-bin", tmpdir);
        CHECK(wc_manifest_load(info, other, &m, &err) == WC_ENOENT &&
                  strstr(err.msg, "plugin-bin.manifest.json"), "suffix: %s", err.msg);
        unlink(side);
    }
    wc_module_info_free(info);
    free(bytes);
}

int main(void)
{
    if (wc_make_temp_dir(tmpdir, sizeof tmpdir, "wc-manifest-test") != 0) {
        printf("FAIL: temp dir\n");
        return 1;
    }
    test_valid();
    test_errors();
    test_templates();
    test_sources();
    wc_remove_dir(tmpdir);
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    printf("test_manifest: all passed\n");
    return 0;
}
