/* test_hyper_mcp.c -- hyper-mcp's config file read as wasmcap.json: what
 * converts (url as a path or an https/OCI source, allowed_hosts with globs,
 * allowed_paths, env_vars, memory_limit and its units, the skip_* filters),
 * what is refused by name, YAML files (libyaml) with their bounds, and
 * converted configs serving Extism plugins. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/config.h"
#include "cli/hyper_mcp.h"
#include "cli/yaml.h"
#include "host/wasmcap.h"
#include "plugin/plugin.h"

#include "check.h"
#include "fast_engine.h"

#define GUEST(name) WC_BINARY_DIR "/guests/" name ".wasm"

/* The conversion of text, compact with sorted keys, or the error's message. */
static char *convert(const char *text)
{
    json_t *doc = json_loads(text, 0, NULL);
    CHECK(doc && wc_hyper_mcp_is_config(doc), "not taken as hyper-mcp's: %s", text);
    wc_error err = {0};
    json_t *ours = doc ? wc_hyper_mcp_convert(doc, "h.json", &err) : NULL;
    json_decref(doc);
    char *out = ours ? json_dumps(ours, JSON_COMPACT | JSON_SORT_KEYS) : strdup(err.msg);
    CHECK(ours || err.code == WC_EINVAL, "code %d", err.code);
    json_decref(ours);
    return out;
}

/* What make(text) gives holds want. */
static void expect_of(char *(*make)(const char *), const char *text, const char *want)
{
    char *got = make(text);
    CHECK(got && strstr(got, want), "%s\n  got  %s\n  want %s", text, got ? got : "(null)", want);
    free(got);
}

static void expect(const char *text, const char *want)
{
    expect_of(convert, text, want);
}

static void test_convert(void)
{
    expect("{\"plugins\": {\"time\": {\"url\": \"file:///opt/p/time.wasm\", \"description\": \"d\","
           " \"runtime_config\": {\"allowed_hosts\": [\"api.example.com\", \"*.example.org\"],"
           " \"env_vars\": {\"TOKEN\": \"${TOKEN}\"}, \"memory_limit\": \"256Mi\"}},"
           " \"rel\": {\"url\": \"plugins/rel.wasm\"}}}",
           "{\"plugins\":{\"rel\":{\"path\":\"plugins/rel.wasm\"},\"time\":{\"path\":\"/opt/p/time.wasm\","
           "\"permissions\":{\"allowed_hosts\":[\"api.example.com\",\"*.example.org\"],"
           "\"config\":{\"TOKEN\":\"${TOKEN}\"},\"memory_limit\":268435456}}}}");
    static const struct {
        const char *size;
        const char *bytes;
    } sizes[] = {{"1GB", "1000000000"}, {"512KiB", "524288"}, {"2 MB", "2000000"},
                 {"65536", "65536"}, {"1gi", "1073741824"}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char text[200], want[64];
        snprintf(text, sizeof text, "{\"plugins\": {\"p\": {\"url\": \"/p.wasm\", \"runtime_config\": "
                                    "{\"memory_limit\": \"%s\"}}}}", sizes[i].size);
        snprintf(want, sizeof want, "\"memory_limit\":%s}", sizes[i].bytes);
        expect(text, want);
    }
    /* sources: https with its digest, OCI with keys or explicitly unsigned */
    expect("{\"plugins\": {\"p\": {\"url\": \"https://example.com/p.wasm#sha256=ab\"}}}",
           "{\"plugins\":{\"p\":{\"source\":\"https://example.com/p.wasm#sha256=ab\"}}}");
    expect("{\"oci\": {\"cosign_keys\": [\"k.pub\"], \"use_sigstore_tuf_data\": true},"
           " \"plugins\": {\"p\": {\"url\": \"oci://ghcr.io/t/p:1\"}}}",
           "{\"plugins\":{\"p\":{\"source\":{\"keys\":[\"k.pub\"],\"url\":\"oci://ghcr.io/t/p:1\"}}}}");
    expect("{\"plugins\": {\"p\": {\"url\": \"oci://ghcr.io/t/p:1\"}}, \"oci\": "
           "{\"insecure_skip_signature\": true}}",
           "{\"plugins\":{\"p\":{\"source\":{\"require_signature\":false,\"url\":\"oci://ghcr.io/t/p:1\"}}}}");
    /* grants: host globs, paths as host[:guest] (read-write, as in Extism), skip lists */
    expect("{\"plugins\": {\"p\": {\"url\": \"/p.wasm\", \"runtime_config\": {"
           "\"allowed_hosts\": [\"*\", \"api-?.example.com\"],"
           " \"allowed_paths\": [\"/tmp\", \" /var/log : /plugin/logs \", \"/srv:\"],"
           " \"skip_tools\": [\"debug_.*\", \"^exact$\"], \"skip_prompts\": [\"p[0-9]+\"],"
           " \"skip_resources\": [\"file:///secret/.*\"], \"skip_resource_templates\": [\"t.*\"]}}}}",
           "{\"plugins\":{\"p\":{\"path\":\"/p.wasm\",\"permissions\":{\"allowed_hosts\":[\"*\","
           "\"api-?.example.com\"],\"allowed_paths\":[{\"guest\":\"/tmp\",\"host\":\"/tmp\",\"writable\":true},"
           "{\"guest\":\"/plugin/logs\",\"host\":\"/var/log\",\"writable\":true},{\"guest\":\"/srv\","
           "\"host\":\"/srv\",\"writable\":true}]},\"skip_prompts\":[\"p[0-9]+\"],"
           "\"skip_resource_templates\":[\"t.*\"],\"skip_resources\":[\"file:///secret/.*\"],"
           "\"skip_tools\":[\"debug_.*\",\"^exact$\"]}}}");
    static const struct {
        const char *text, *want;
    } refused[] = {
        {"{\"plugins\": {\"p\": {\"url\": \"oci://ghcr.io/t/p:latest\"}}}",
         "plugins.p.url: an oci:// plugin must carry a cosign signature by a key wasmcap is given"},
        {"{\"plugins\": {\"p\": {\"url\": \"https://example.com/p.wasm\"}}}",
         "plugins.p.url: an https:// plugin needs its digest"},
        {"{\"plugins\": {\"p\": {\"url\": \"http://example.com/p.wasm\"}}}",
         "plugins.p.url: http:// sources are not supported"},
        {"{\"plugins\": {\"p\": {\"url\": \"s3://bucket/p.wasm\"}}}",
         "plugins.p.url: s3:// sources are not supported"},
        {"{\"oci\": {\"cert_issuer\": \"https://accounts.google.com\"}, \"plugins\": {\"p\": {\"url\": \"/p.wasm\"}}}",
         "oci.cert_issuer: keyless signatures"},
        {"{\"oci\": {\"cosign_keys\": []}, \"plugins\": {\"p\": {\"url\": \"/p.wasm\"}}}",
         "oci.cosign_keys: expected an array of public key files"},
        {"{\"oci\": {\"insecure_skip_signature\": \"yes\"}, \"plugins\": {\"p\": {\"url\": \"/p.wasm\"}}}",
         "oci.insecure_skip_signature: expected true or false"},
        {"{\"plugins\": {\"p\": {\"url\": \"file://rel/p.wasm\"}}}", "needs an absolute path"},
        {"{\"plugins\": {\"p\": {\"url\": \"/p.wasm\", \"runtime_config\": {\"allowed_paths\": [\":/guest\"]}}}}",
         "plugins.p.runtime_config.allowed_paths[0]: expected \"host\" or \"host:guest\""},
        {"{\"plugins\": {\"p\": {\"url\": \"/p.wasm\", \"runtime_config\": {\"allowed_paths\": \"/tmp\"}}}}",
         "plugins.p.runtime_config.allowed_paths: expected an array"},
        {"{\"plugins\": {\"p\": {\"url\": \"/p.wasm\", \"runtime_config\": {\"skip_tools\": [\"a(\"]}}}}",
         "plugins.p.runtime_config.skip_tools[0]: not a regular expression"},
        {"{\"plugins\": {\"p\": {\"url\": \"/p.wasm\", \"runtime_config\": {\"skip_prompts\": [1]}}}}",
         "plugins.p.runtime_config.skip_prompts[0]: not a regular expression: expected a string"},
        {"{\"plugins\": {\"p\": {\"url\": \"/p.wasm\", \"runtime_config\": {\"allowed_secrets\": []}}}}",
         "plugins.p.runtime_config.allowed_secrets: keyring secrets are not supported"},
        {"{\"plugins\": {\"p\": {\"url\": \"/p.wasm\", \"runtime_config\": {\"allowed_hosts\": [\"[ab].com\"]}}}}",
         "allowed_hosts[0]: '[ab].com' is not supported"},
        {"{\"plugins\": {\"p\": {\"url\": \"/p.wasm\", \"runtime_config\": {\"memory_limit\": \"lots\"}}}}",
         "plugins.p.runtime_config.memory_limit: expected a size"},
        {"{\"plugins\": {\"p\": {\"url\": \"/p.wasm\", \"runtime_config\": {\"memory_limit\": \"3 parsecs\"}}}}",
         "'3 parsecs' is not a size"},
        {"{\"plugins\": {\"p\": {\"url\": \"/p.wasm\", \"runtime_config\": {\"env_vars\": {\"A\": 1}}}}}",
         "plugins.p.runtime_config.env_vars.A: expected a string"},
        {"{\"plugins\": {\"p\": {\"url\": \"/p.wasm\", \"runtime_config\": {\"fuel\": 1}}}}",
         "plugins.p.runtime_config.fuel: not a key wasmcap knows"},
        {"{\"plugins\": {\"p\": {\"url\": \"/p.wasm\", \"size\": 1}}}", "plugins.p.size: not a key"},
        {"{\"plugins\": {\"a-b\": {\"url\": \"/p.wasm\"}}}", "plugins.a-b: a plugin name"},
        {"{\"auths\": {}, \"plugins\": {\"p\": {\"url\": \"/p.wasm\"}}}", "auths: credentials"},
        {"{\"dynamic_loading\": true, \"plugins\": {\"p\": {\"url\": \"/p.wasm\"}}}",
         "dynamic_loading: loading plugins at run time is not supported"},
        {"{\"oci\": {\"tuf\": 1}, \"plugins\": {\"p\": {\"url\": \"/p.wasm\"}}}", "oci.tuf: not a key"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        expect(refused[i].text, refused[i].want);

    json_t *ours = json_loads("{\"plugins\": {\"p\": {\"path\": \"/p.wasm\"}}}", 0, NULL);
    CHECK(!wc_hyper_mcp_is_config(ours), "a wasmcap.json is not hyper-mcp's");
    json_decref(ours);
}

/* wasmcap reads hyper-mcp's file as its own: the plugin gets its grants. */
static void test_serve_config(void)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"plugins\": {\"x\": {\"url\": \"file://%s\", \"runtime_config\": {"
             "\"allowed_hosts\": [\"api.example.com\"], \"env_vars\": {\"greeting\": \"from hyper-mcp\"},"
             " \"memory_limit\": \"16Mi\"}}}}", GUEST("extism_v1"));
    wc_config cfg;
    wc_error err = {0};
    int rc = wc_config_parse(text, NULL, &cfg, &err);
    CHECK(rc == 0 && cfg.nplugins == 1, "parse: %s", err.msg);
    if (rc)
        return;
    const wc_permissions *perms = &cfg.plugins[0].perms;
    CHECK(perms->memory_limit == 16u << 20 && perms->n_allowed_hosts == 1 &&
              strcmp(perms->allowed_hosts[0], "api.example.com") == 0,
          "grants: %llu bytes, %zu hosts", (unsigned long long)perms->memory_limit,
          perms->n_allowed_hosts);
    wc_engine *engine = test_fast_engine();
    wc_plugin *p = NULL;
    if (engine && wc_plugin_load(&cfg.plugins[0], engine, NULL, &p, &err) == 0) {
        int tool = wc_manifest_find_tool(wc_plugin_manifest(p), "config");
        json_t *args = json_pack("{s:s}", "key", "greeting"), *res = NULL;
        CHECK(tool >= 0 && wc_plugin_call_tool(p, (size_t)tool, NULL, args, NULL, &res, &err) == 0,
              "call: %s", err.msg);
        const char *t = json_string_value(json_object_get(
            json_array_get(json_object_get(res, "content"), 0), "text"));
        CHECK(t && strcmp(t, "from hyper-mcp") == 0, "env_vars as config: %s", t ? t : "(none)");
        json_decref(res);
        json_decref(args);
    } else {
        CHECK(false, "load: %s", err.msg);
    }
    wc_plugin_free(p);
    wc_engine_free(engine);
    wc_config_free(&cfg);

    snprintf(text, sizeof text, "{\"plugins\": {\"x\": {\"url\": \"oci://ghcr.io/a/b:1\"}}}");
    CHECK(wc_config_parse(text, NULL, &cfg, &err) == WC_EINVAL &&
              strstr(err.msg, "plugins.x.url: an oci:// plugin must carry a cosign signature"),
          "refused: %s", err.msg);
}

/* ---- YAML ---------------------------------------------------------------- */

static char *yaml_text(const char *text)
{
    wc_error err = {0};
    json_t *v = wc_yaml_load(text, strlen(text), "h.yaml", &err);
    char *out = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : strdup(err.msg);
    json_decref(v);
    return out;
}

static void expect_yaml(const char *text, const char *want)
{
    expect_of(yaml_text, text, want);
}

static void test_yaml(void)
{
    expect_yaml("plugins:\n  time:\n    url: oci://ghcr.io/t/time:1\n    runtime_config:\n"
                "      allowed_hosts:\n        - \"*\"\n      memory_limit: 256Mi\n",
                "{\"plugins\":{\"time\":{\"runtime_config\":{\"allowed_hosts\":[\"*\"],"
                "\"memory_limit\":\"256Mi\"},\"url\":\"oci://ghcr.io/t/time:1\"}}}");
    /* the core schema's types; quoted scalars stay strings */
    expect_yaml("a: true\nb: False\nc: ~\nd: null\ne: 42\nf: -7\ng: 1.5e3\nh: \"42\"\ni: 'true'\n"
                "j: 0x1F\nk: yes\nl: !!str 12\nm: [1, two]\nn: {x: 1}\no: |\n  block\n",
                "{\"a\":true,\"b\":false,\"c\":null,\"d\":null,\"e\":42,\"f\":-7,\"g\":1500.0,"
                "\"h\":\"42\",\"i\":\"true\",\"j\":\"0x1F\",\"k\":\"yes\",\"l\":\"12\",\"m\":[1,\"two\"],"
                "\"n\":{\"x\":1},\"o\":\"block\\n\"}");
    expect_yaml("", "{}");
    /* billion laughs: each alias would double the last; refused at the first */
    expect_yaml("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
                "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n",
                "h.yaml: line 2, column 8: aliases (*name) are not supported");
    expect_yaml("a: 1\na: 2\n", "line 2, column 1: duplicate key");
    expect_yaml("? [1, 2]\n: x\n", "a key must be a plain value");
    expect_yaml("a: 1\n---\nb: 2\n", "more than one document");
    expect_yaml("a: !!binary aGk=\n", "tags other than");
    expect_yaml("a: [1, 2\n", "h.yaml: line 2, column 1: not valid YAML");
    /* nesting and size bombs */
    char deep[4 * WC_YAML_MAX_DEPTH + 16];
    size_t n = 0;
    for (int i = 0; i <= WC_YAML_MAX_DEPTH; i++)
        deep[n++] = '[';
    deep[n] = 0;
    expect_yaml(deep, "nested deeper than a config may be");
    size_t items = WC_YAML_MAX_NODES + 1;
    char *wide = malloc(2 * items + 3);
    n = 0;
    wide[n++] = '[';
    for (size_t i = 0; i < items; i++) {
        wide[n++] = '1';
        wide[n++] = ',';
    }
    wide[n - 1] = ']';
    wide[n] = 0;
    expect_yaml(wide, "more values than a config may hold");
    free(wide);
    CHECK(wc_yaml_file_name("a/h.yaml") && wc_yaml_file_name("h.yml") && !wc_yaml_file_name("h.json") &&
              !wc_yaml_file_name(".yml") && !wc_yaml_file_name(NULL), "YAML file names");
}

/* A hyper-mcp YAML file served: skip_tools hides tools from the list and
 * from calls, allowed_paths reaches an Extism plugin through WASI, "*"
 * lets it reach any host. */
static void test_serve_yaml(void)
{
    char dir[] = "/tmp/wc_hyper_yaml_XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(false, "mkdtemp");
        return;
    }
    char file[300];
    snprintf(file, sizeof file, "%s/note.txt", dir);
    FILE *f = fopen(file, "w");
    if (f) {
        fputs("granted", f);
        fclose(f);
    }
    char text[2048];
    snprintf(text, sizeof text,
             "plugins:\n"
             "  v1:\n"
             "    url: file://%s\n"
             "    runtime_config:\n"
             "      allowed_hosts: [\"*\"]\n"
             "      skip_tools: [\"count\", \"f.*\", \"missing_u[0-9]+\", \"e\"]\n"
             "  files:\n"
             "    url: %s\n"
             "    runtime_config:\n"
             "      allowed_paths:\n"
             "        - \"%s:/plugin/data\"\n",
             GUEST("extism_v1"), GUEST("extism_fs"), dir);
    wc_config cfg;
    wc_error err = {0};
    int rc = wc_config_parse_named("hyper-mcp.yaml", text, NULL, &cfg, &err);
    CHECK(rc == 0 && cfg.nplugins == 2, "parse: %s", err.msg);
    if (rc)
        return;
    wc_engine *engine = test_fast_engine();
    for (size_t i = 0; engine && i < cfg.nplugins; i++) {
        wc_plugin *p = NULL;
        if (wc_plugin_load(&cfg.plugins[i], engine, NULL, &p, &err) != 0) {
            CHECK(false, "load %s: %s", cfg.plugins[i].name, err.msg);
            continue;
        }
        const wc_manifest *m = wc_plugin_manifest(p);
        if (strcmp(cfg.plugins[i].name, "v1") == 0) {
            /* count; forget, fail, fail_cleared, free_twice; missing_u8, missing_u64 */
            CHECK(m->ntools == 23 - 7, "%zu tools left of 23", m->ntools);
            CHECK(wc_manifest_find_tool(m, "count") < 0 && wc_manifest_find_tool(m, "fail") < 0 &&
                      wc_manifest_find_tool(m, "fail_cleared") < 0 &&
                      wc_manifest_find_tool(m, "forget") < 0 && wc_manifest_find_tool(m, "missing_u8") < 0,
                  "skipped tools listed");
            /* anchored: "e" hides no tool that merely contains an e */
            CHECK(wc_manifest_find_tool(m, "echo") >= 0 && wc_manifest_find_tool(m, "nonzero") >= 0 &&
                      wc_manifest_find_tool(m, "var_big") >= 0, "others kept");
            const wc_permissions *perms = &wc_plugin_get_config(p)->perms;
            CHECK(wc_host_allowed(perms, "any.example.net") && wc_host_allowed(perms, "10.0.0.1"),
                  "\"*\" allows any host");
        } else {
            int tool = wc_manifest_find_tool(m, "read_file");
            json_t *args = json_pack("{s:s}", "path", "/plugin/data/note.txt"), *res = NULL;
            CHECK(tool >= 0 && wc_plugin_call_tool(p, (size_t)tool, NULL, args, NULL, &res, &err) == 0,
                  "call: %s", err.msg);
            const char *t = json_string_value(
                json_object_get(json_array_get(json_object_get(res, "content"), 0), "text"));
            CHECK(t && strcmp(t, "granted") == 0, "allowed_paths: %s", t ? t : "(none)");
            json_decref(res);
            json_decref(args);
        }
        wc_plugin_free(p);
    }
    wc_engine_free(engine);
    wc_config_free(&cfg);
    unlink(file);
    rmdir(dir);

    /* prompts, resources and what a template would reach */
    snprintf(text, sizeof text,
             "plugins:\n  v2:\n    url: %s\n    runtime_config:\n"
             "      skip_prompts: [haiku]\n"
             "      skip_resources: [\"mem://v2/notes\", \"mem://v2/items/secret.*\"]\n",
             GUEST("extism_v2"));
    rc = wc_config_parse_named("h.yml", text, NULL, &cfg, &err);
    CHECK(rc == 0, "parse: %s", err.msg);
    engine = rc ? NULL : test_fast_engine();
    wc_plugin *p = NULL;
    if (engine && wc_plugin_load(&cfg.plugins[0], engine, NULL, &p, &err) == 0) {
        const wc_manifest *m = wc_plugin_manifest(p);
        CHECK(json_array_size(m->prompts) == 0 && json_array_size(m->resources) == 0 &&
                  json_array_size(m->resource_templates) == 1, "prompts %zu, resources %zu",
              json_array_size(m->prompts), json_array_size(m->resources));
        json_t *res = NULL;
        CHECK(wc_plugin_read_resource(p, "mem://v2/items/secret-1", NULL, &res, &err) == WC_ENOTFOUND,
              "a hidden URI through a template: %s", err.msg);
        CHECK(wc_plugin_read_resource(p, "mem://v2/items/open", NULL, &res, &err) == 0 && res,
              "an open URI: %s", err.msg);
        json_decref(res);
    } else if (engine) {
        CHECK(false, "load: %s", err.msg);
    }
    wc_plugin_free(p);
    wc_engine_free(engine);
    if (!rc)
        wc_config_free(&cfg);

    /* a YAML error names the file and the line */
    rc = wc_config_parse_named("hyper-mcp.yaml", "plugins:\n  a: &x {url: /p.wasm}\n  b: *x\n",
                               NULL, &cfg, &err);
    CHECK(rc == WC_EINVAL && strstr(err.msg, "hyper-mcp.yaml: line 3, column 6: aliases"),
          "alias: %s", err.msg);
}

int main(void)
{
    test_convert();
    test_serve_config();
    test_yaml();
    test_serve_yaml();
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    printf("test_hyper_mcp: all passed (%d checks)\n", checks);
    return 0;
}
