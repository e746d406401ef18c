/* test_hyper_mcp.c -- hyper-mcp's config file read as wasmcap.json: what
 * converts (url, allowed_hosts, env_vars, memory_limit and its units), what
 * is refused by name, and a converted config serving an Extism plugin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config.h"
#include "cli/hyper_mcp.h"
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

static void expect(const char *text, const char *want)
{
    char *got = convert(text);
    CHECK(got && strstr(got, want), "%s\n  got  %s\n  want %s", text, got ? got : "(null)", want);
    free(got);
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
    static const struct {
        const char *text, *want;
    } refused[] = {
        {"{\"plugins\": {\"p\": {\"url\": \"oci://ghcr.io/t/p:latest\"}}}",
         "plugins.p.url: oci:// sources are not supported yet"},
        {"{\"plugins\": {\"p\": {\"url\": \"https://example.com/p.wasm\"}}}",
         "plugins.p.url: https:// sources"},
        {"{\"plugins\": {\"p\": {\"url\": \"file://rel/p.wasm\"}}}", "needs an absolute path"},
        {"{\"plugins\": {\"p\": {\"url\": \"/p.wasm\", \"runtime_config\": {\"allowed_paths\": [\"/tmp\"]}}}}",
         "plugins.p.runtime_config.allowed_paths: filesystem grants are not supported yet"},
        {"{\"plugins\": {\"p\": {\"url\": \"/p.wasm\", \"runtime_config\": {\"skip_tools\": [\"a.*\"]}}}}",
         "plugins.p.runtime_config.skip_tools: hiding"},
        {"{\"plugins\": {\"p\": {\"url\": \"/p.wasm\", \"runtime_config\": {\"allowed_hosts\": [\"*\"]}}}}",
         "allowed_hosts[0]: '*' is not supported"},
        {"{\"plugins\": {\"p\": {\"url\": \"/p.wasm\", \"runtime_config\": {\"allowed_hosts\": [\"a.*.com\"]}}}}",
         "allowed_hosts[0]: 'a.*.com'"},
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
        {"{\"oci\": {}, \"plugins\": {\"p\": {\"url\": \"/p.wasm\"}}}", "oci: OCI plugin sources"},
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
              strstr(err.msg, "plugins.x.url: oci:// sources are not supported yet"),
          "refused: %s", err.msg);
}

int main(void)
{
    test_convert();
    test_serve_config();
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    printf("test_hyper_mcp: all passed (%d checks)\n", checks);
    return 0;
}
