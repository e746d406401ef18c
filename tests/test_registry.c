/* test_registry.c -- the registry: exposed names, descriptors, routing of
 * tools, resources (static, templated, dynamic), prompts and completion,
 * name clashes between plugins, reference counting.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config.h"
#include "plugin/registry.h"

#include "check.h"

#define GUEST(name) WC_BINARY_DIR "/guests/" name ".wasm"

static wc_engine *engine;

static wc_registry *build(const char *text, wc_error *err)
{
    wc_config c;
    if (wc_config_parse(text, NULL, &c, err) != 0) {
        printf("FAIL: config: %s\n", err->msg);
        failures++;
        return NULL;
    }
    wc_registry *r = NULL;
    wc_registry_new(c.plugins, c.nplugins, engine, NULL, &r, err);
    wc_config_free(&c); /* the registry keeps what it needs */
    return r;
}

static const json_t *find_named(const json_t *list, const char *key, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
        if (strcmp(json_string_value(json_object_get(e, key)), name) == 0)
            return e;
    return NULL;
}

static const char *text_of(const json_t *res)
{
    const char *s = json_string_value(json_object_get(json_array_get(json_object_get(res, "content"), 0), "text"));
    return s ? s : "(no text)";
}

static void test_tools(wc_registry *r)
{
    const json_t *tools = wc_registry_tools(r);
    CHECK(json_array_size(tools) == 16 + 1 + 9, "tools %zu", json_array_size(tools));
    const json_t *say = find_named(tools, "name", "say");
    CHECK(say, "renamed tool");
    CHECK(!find_named(tools, "name", "echo-echo"), "renamed away");
    CHECK(say && strcmp(json_string_value(json_object_get(say, "title")), "Echo") == 0 &&
              json_is_object(json_object_get(say, "inputSchema")) &&
              json_is_true(json_object_get(json_object_get(say, "annotations"), "readOnlyHint")),
          "descriptor");
    const json_t *trap = find_named(tools, "name", "echo-trap");
    CHECK(trap && json_is_object(json_object_get(trap, "inputSchema")) && !json_object_get(trap, "title") &&
              !json_object_get(trap, "outputSchema"), "defaults");
    const json_t *badout = find_named(tools, "name", "echo-badout");
    CHECK(badout && json_is_object(json_object_get(badout, "outputSchema")), "outputSchema");
    CHECK(find_named(tools, "name", "noop"), "empty prefix");
    CHECK(find_named(tools, "name", "cmd-upper"), "command plugin tools");

    wc_error err;
    json_t *args = json_pack("{s:s}", "text", "hello"), *res = NULL;
    CHECK(wc_registry_call_tool(r, "say", args, NULL, &res, &err) == 0, "say: %s", err.msg);
    CHECK(strcmp(text_of(res), "{\"text\":\"hello\"}") == 0, "say: %s", text_of(res));
    json_decref(res);
    json_decref(args);
    args = json_pack("{s:i}", "text", 1);
    CHECK(wc_registry_call_tool(r, "say", args, NULL, &res, &err) == 0, "say bad");
    CHECK(strcmp(text_of(res), "invalid arguments for tool 'say': at /text: expected string, got integer") == 0,
          "message uses the exposed name: %s", text_of(res));
    json_decref(res);
    json_decref(args);
    CHECK(wc_registry_call_tool(r, "echo-echo", NULL, NULL, &res, &err) == WC_EINVAL &&
              strcmp(err.msg, "unknown tool 'echo-echo'") == 0 && !res, "unknown: %s", err.msg);
    args = json_object();
    CHECK(wc_registry_call_tool(r, "cmd-upper", args, NULL, &res, &err) == 0 &&
              strcmp(text_of(res), "{}") == 0, "command via registry");
    json_decref(res);
    json_decref(args);
}

static void test_resources(wc_registry *r)
{
    wc_error err;
    json_t *list = NULL;
    CHECK(wc_registry_resources(r, NULL, &list, &err) == 0, "list: %s", err.msg);
    CHECK(json_array_size(list) == 3 && find_named(list, "uri", "mem://static") &&
              find_named(list, "uri", "mem://dynamic"), "static then dynamic: %zu", json_array_size(list));
    CHECK(strcmp(json_string_value(json_object_get(json_array_get(list, 2), "uri")), "mem://dynamic") == 0,
          "dynamic last");
    json_decref(list);
    const json_t *templates = wc_registry_resource_templates(r);
    CHECK(json_array_size(templates) == 1 &&
              !json_object_get(json_array_get(templates, 0), "complete"), "templates without complete");

    struct { const char *uri; int rc; const char *text; } cases[] = {
        {"mem://static", 0, "static text"},
        {"mem://items/42", 0, "an item"},
        {"mem://dynamic", 0, "dynamic text"},
        {"mem://items/none", WC_ENOTFOUND, "resource not found: mem://items/none (no such resource here)"},
        {"mem://missing", WC_ENOTFOUND, "resource not found: mem://missing (no such resource here)"},
        {"mem://elsewhere", WC_ENOTFOUND, "resource not found: mem://elsewhere"},
        {"mem://trap", WC_ETRAP, "plugin 'res' trapped in resource 'mem://trap': unreachable"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *res = NULL;
        err.msg[0] = 0;
        int rc = wc_registry_read_resource(r, cases[i].uri, NULL, &res, &err);
        CHECK(rc == cases[i].rc, "%s: rc %d, %s", cases[i].uri, rc, err.msg);
        if (rc == 0) {
            json_t *c = json_array_get(json_object_get(res, "contents"), 0);
            CHECK(strcmp(json_string_value(json_object_get(c, "text")), cases[i].text) == 0 &&
                      strcmp(json_string_value(json_object_get(c, "uri")), cases[i].uri) == 0,
                  "%s: contents", cases[i].uri);
        } else {
            CHECK(!res && strcmp(err.msg, cases[i].text) == 0, "%s: got \"%s\"", cases[i].uri, err.msg);
        }
        json_decref(res);
    }
}

static void test_prompts(wc_registry *r)
{
    const json_t *prompts = wc_registry_prompts(r);
    CHECK(json_array_size(prompts) == 2, "prompts %zu", json_array_size(prompts));
    const json_t *greet = find_named(prompts, "name", "greet");
    CHECK(greet && find_named(prompts, "name", "echo-pick"), "prompt names");
    CHECK(greet && !json_object_get(json_array_get(json_object_get(greet, "arguments"), 0), "complete") &&
              json_is_true(json_object_get(json_array_get(json_object_get(greet, "arguments"), 0), "required")),
          "arguments without complete");
    wc_error err;
    json_t *res = NULL, *args = json_pack("{s:s}", "who", "bob");
    CHECK(wc_registry_get_prompt(r, "greet", args, NULL, &res, &err) == 0, "greet: %s", err.msg);
    const char *text = json_string_value(json_object_get(
        json_object_get(json_array_get(json_object_get(res, "messages"), 0), "content"), "text"));
    CHECK(text && strcmp(text, "Say hello to bob") == 0, "greet text: %s", text);
    json_decref(res);
    json_decref(args);
    CHECK(wc_registry_get_prompt(r, "greet", NULL, NULL, &res, &err) == WC_EINVAL &&
              strcmp(err.msg, "missing required argument 'who' for prompt 'greet'") == 0, "missing: %s", err.msg);
    args = json_pack("{s:s}", "who", "eve");
    CHECK(wc_registry_get_prompt(r, "greet", args, NULL, &res, &err) == WC_EINVAL &&
              strcmp(err.msg, "eve is not welcome") == 0, "refused: %s", err.msg);
    json_decref(args);
    args = json_pack("{s:i}", "who", 1);
    CHECK(wc_registry_get_prompt(r, "greet", args, NULL, &res, &err) == WC_EINVAL &&
              strstr(err.msg, "must be a string"), "non-string: %s", err.msg);
    json_decref(args);
    CHECK(wc_registry_get_prompt(r, "nope", NULL, NULL, &res, &err) == WC_EINVAL &&
              strcmp(err.msg, "unknown prompt 'nope'") == 0, "unknown: %s", err.msg);
    CHECK(wc_registry_get_prompt(r, "echo-pick", NULL, NULL, &res, &err) == WC_ENOTSUP &&
              strstr(err.msg, "does not export wasmcap_get_prompt"), "no export: %s", err.msg);
}

static json_t *complete(wc_registry *r, const char *params_text, int want_rc, wc_error *err)
{
    json_t *params = json_loads(params_text, 0, NULL), *res = NULL;
    int rc = wc_registry_complete(r, params, NULL, &res, err);
    CHECK(rc == want_rc && (!rc || err->code == rc), "%s: rc %d (%s)", params_text, rc, err->msg);
    json_decref(params);
    return res;
}

static void test_complete(wc_registry *r)
{
    wc_error err;
    json_t *res = complete(r, "{\"ref\": {\"type\": \"ref/prompt\", \"name\": \"greet\"}, "
                              "\"argument\": {\"name\": \"who\", \"value\": \"al\"}}", 0, &err);
    json_t *c = json_object_get(res, "completion");
    CHECK(json_array_size(json_object_get(c, "values")) == 2 &&
              strcmp(json_string_value(json_array_get(json_object_get(c, "values"), 0)), "alice") == 0 &&
              json_integer_value(json_object_get(c, "total")) == 2 && json_is_false(json_object_get(c, "hasMore")),
          "prompt completion");
    json_decref(res);
    res = complete(r, "{\"ref\": {\"type\": \"ref/resource\", \"uri\": \"mem://items/{id}\"}, "
                      "\"argument\": {\"name\": \"id\", \"value\": \"ap\"}}", 0, &err);
    c = json_object_get(res, "completion");
    CHECK(json_array_size(json_object_get(c, "values")) == 2, "template completion");
    json_decref(res);
    res = complete(r, "{\"ref\": {\"type\": \"ref/resource\", \"uri\": \"mem://items/{id}\"}, "
                      "\"argument\": {\"name\": \"id\", \"value\": \"\"}}", 0, &err);
    CHECK(json_array_size(json_object_get(json_object_get(res, "completion"), "values")) == 3, "empty prefix");
    json_decref(res);
    /* Through the plugin's export: 150 values capped at 100. */
    res = complete(r, "{\"ref\": {\"type\": \"ref/prompt\", \"name\": \"echo-pick\"}, "
                      "\"argument\": {\"name\": \"item\", \"value\": \"\"}}", 0, &err);
    c = json_object_get(res, "completion");
    CHECK(json_array_size(json_object_get(c, "values")) == 100 && json_integer_value(json_object_get(c, "total")) == 150 &&
              json_is_true(json_object_get(c, "hasMore")), "capped");
    json_decref(res);
    complete(r, "{\"ref\": {\"type\": \"ref/prompt\", \"name\": \"zz\"}, \"argument\": {\"name\": \"a\", \"value\": \"\"}}",
             WC_EINVAL, &err);
    CHECK(strcmp(err.msg, "unknown prompt 'zz'") == 0, "%s", err.msg);
    complete(r, "{\"ref\": {\"type\": \"ref/resource\", \"uri\": \"x://{y}\"}, \"argument\": {\"name\": \"y\", \"value\": \"\"}}",
             WC_EINVAL, &err);
    complete(r, "{\"ref\": {\"type\": \"ref/thing\"}, \"argument\": {\"name\": \"y\", \"value\": \"\"}}",
             WC_EINVAL, &err);
    complete(r, "{\"ref\": {\"type\": \"ref/prompt\", \"name\": \"greet\"}}", WC_EINVAL, &err);
}

static void *hammer(void *arg)
{
    wc_registry *r = wc_registry_retain(arg);
    for (int i = 0; i < 300; i++) {
        json_t *args = json_pack("{s:i}", "n", i), *res = NULL;
        wc_error err;
        if (wc_registry_call_tool(r, "say", args, NULL, &res, &err) != 0 ||
            json_integer_value(json_object_get(json_object_get(res, "structuredContent"), "n")) != i)
            __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
        json_decref(res);
        json_decref(args);
    }
    wc_registry_release(r);
    return NULL;
}

static void expect_refused(const char *text, const char *want)
{
    wc_error err = {0};
    wc_registry *r = build(text, &err);
    CHECK(!r, "accepted: %s", text);
    CHECK(strcmp(err.msg, want) == 0, "\n  got:  %s\n  want: %s", err.msg, want);
    wc_registry_release(r);
}

int main(void)
{
    wc_engine_config cfg;
    wc_engine_config_default(&cfg);
    cfg.tier = WC_TIER_FAST;
    cfg.cache_dir = "";
    wc_error werr = {0};
    if (wc_engine_new(&cfg, &engine, &werr) != 0) {
        printf("FAIL: engine: %s\n", werr.msg);
        return 1;
    }
    wc_error err = {0};
    wc_registry *r = build("{\"plugins\": {"
                           "\"echo\": {\"path\": \"" GUEST("echo") "\", \"tools\": {\"echo\": \"say\"}},"
                           "\"res\": {\"path\": \"" GUEST("res") "\", \"prefix\": \"\"},"
                           "\"cmdtool\": {\"path\": \"" GUEST("cmd_tool") "\", \"prefix\": \"cmd\"}}}",
                           &err);
    CHECK(r, "registry: %s", err.msg);
    if (r) {
        test_tools(r);
        test_resources(r);
        test_prompts(r);
        test_complete(r);
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            pthread_create(&t[i], NULL, hammer, r);
        wc_registry *extra = wc_registry_retain(r);
        wc_registry_release(r); /* the threads and `extra` keep it alive */
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        CHECK(json_array_size(wc_registry_tools(extra)) == 26, "still alive");
        wc_registry_release(extra);
    }

    expect_refused("{\"plugins\": {\"a\": {\"path\": \"" GUEST("echo") "\", \"prefix\": \"\"},"
                   "\"b\": {\"path\": \"" GUEST("echo") "\", \"prefix\": \"\"}}}",
                   "tool 'badjson' is exposed by both plugins 'a' and 'b' (rename one with plugins.b.prefix or .tools)");
    expect_refused("{\"plugins\": {\"r1\": {\"path\": \"" GUEST("res") "\"},"
                   "\"r2\": {\"path\": \"" GUEST("res") "\"}}}",
                   "resource template 'mem://items/{id}' is exposed by both plugins 'r1' and 'r2'");
    expect_refused("{\"plugins\": {\"e\": {\"path\": \"" GUEST("echo") "\", \"tools\": {\"nope\": \"x\"}}}}",
                   "plugins.e.tools.nope: plugin 'e' has no tool 'nope'");
    expect_refused("{\"plugins\": {\"e\": {\"path\": \"" GUEST("echo") "\", \"tools\": {\"trap\": \"e-oob\"}}}}",
                   "plugin 'e' exposes two tools as 'e-oob' (check its \"tools\" renames)");
    expect_refused("{\"plugins\": {\"gone\": {\"path\": \"/nonexistent/gone.wasm\"}}}",
                   "plugin 'gone': cannot read /nonexistent/gone.wasm: No such file or directory");
    /* Renames resolve a clash. */
    r = build("{\"plugins\": {\"a\": {\"path\": \"" GUEST("echo") "\", \"prefix\": \"\"},"
              "\"b\": {\"path\": \"" GUEST("echo") "\"}}}", &err);
    CHECK(r && json_array_size(wc_registry_tools(r)) == 32, "prefixes separate: %s", err.msg);
    wc_registry_release(r);
    /* An empty config. */
    r = build("{}", &err);
    CHECK(r && json_array_size(wc_registry_tools(r)) == 0, "empty: %s", err.msg);
    json_t *res = NULL;
    CHECK(r && wc_registry_read_resource(r, "a://b", NULL, &res, &err) == WC_ENOTFOUND,
          "empty read");
    wc_registry_release(r);

    wc_engine_free(engine);
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    printf("test_registry: all passed\n");
    return 0;
}
