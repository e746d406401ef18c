/* test_config.c -- wasmcap.json: every key, the defaults, ${VAR} expansion,
 * and the errors (unknown keys, bad types), each naming file and path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/config.h"
#include "cli/config.h"
#include "fetch/source.h"
#include "util/fs.h"
#include "util/log.h"

#include "check.h"
#include "json/schema_ref.h"
#include "ontology/ontology.h"

static char tmpdir[256];

static void bad(const char *text, const char *want)
{
    wc_config c;
    wc_error err = {0};
    int rc = wc_config_parse(text, "/base", &c, &err);
    CHECK(rc == WC_EINVAL && err.code == WC_EINVAL, "accepted (%d): %s", rc, text);
    CHECK(strcmp(err.msg, want) == 0, "\n  text: %s\n  got:  %s\n  want: %s", text, err.msg, want);
    if (rc == 0)
        wc_config_free(&c);
}

/* Sources read: kinds, pins, options, relative paths joined to the config's folder. */
static void test_sources(void)
{
    wc_config c;
    wc_error err = {0};
    const char *text =
        "{\"plugins\": {"
        "\"f\": {\"source\": \"file://plug/f.wasm\"},"
        "\"p\": {\"path\": \"p.wasm\"},"
        "\"h\": {\"source\": \"https://example.com/h.wasm#sha256="
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"},"
        "\"o\": {\"source\": {\"url\": \"oci://127.0.0.1:5000/t/o@sha256:"
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", \"keys\": [\"k.pub\"], "
        "\"plain_http\": true, \"username\": \"u\", \"password\": \"pw\", \"max_bytes\": \"2MiB\"}}}}";
    CHECK(wc_config_parse(text, "/base", &c, &err) == 0, "sources: %s", err.msg);
    if (c.nplugins != 4)
        return;
    for (size_t i = 0; i < 4; i++) {
        wc_plugin_config *pc = &c.plugins[i];
        wc_source *s = &c.sources[i];
        if (strcmp(pc->name, "f") == 0)
            CHECK(pc->has_source && !pc->path && s->kind == WC_SOURCE_FILE &&
                      strcmp(s->url, "/base/plug/f.wasm") == 0, "f: %s", s->url);
        else if (strcmp(pc->name, "p") == 0)
            CHECK(!pc->has_source && strcmp(pc->path, "/base/p.wasm") == 0, "p");
        else if (strcmp(pc->name, "h") == 0)
            CHECK(s->kind == WC_SOURCE_HTTPS && strcmp(s->url, "https://example.com/h.wasm") == 0 &&
                      strncmp(s->sha256, "0123", 4) == 0 && s->require_digest, "h: %s", s->url);
        else
            CHECK(s->kind == WC_SOURCE_OCI && s->nkeys == 1 && strcmp(s->keys[0], "/base/k.pub") == 0 &&
                      s->plain_http && s->require_signature && strcmp(s->password, "pw") == 0 &&
                      s->max_bytes == (2u << 20), "o");
    }
    wc_config_free(&c);
}

static void test_defaults(void)
{
    setenv("HOME", "/home/u", 1);
    unsetenv("XDG_DATA_HOME");
    unsetenv("XDG_CACHE_HOME");
    wc_config c;
    wc_error err;
    CHECK(wc_config_default(&c, &err) == 0, "default: %s", err.msg);
    CHECK(strcmp(c.server_name, "wasmcap") == 0, "name");
    CHECK(c.max_message_bytes == 4u << 20 && c.workers == 0 && c.page_size == 100, "numbers");
    CHECK(c.log_level == WC_LOG_INFO && c.tier == WC_TIER_AUTO, "level, tier");
    CHECK(strcmp(c.kv_dir, "/home/u/.local/share/wasmcap/kv") == 0, "kv_dir %s", c.kv_dir);
    CHECK(strcmp(c.cache_dir, "/home/u/.cache/wasmcap") == 0, "cache_dir %s", c.cache_dir);
    CHECK(c.nplugins == 0 && !c.plugins && !c.path, "no plugins");
    CHECK(!c.cluster_enabled && strcmp(c.cluster_bucket, "WASMCAP_SESSIONS") == 0 &&
              c.cluster_session_ttl_ms == 86400000 && c.cluster_max_bytes == 256ull << 20,
          "cluster defaults");
    CHECK(!c.kv_nats && strcmp(c.kv_bucket, "WASMCAP_KV") == 0 && c.kv_max_bytes == 0,
          "kv defaults");
    wc_config_free(&c);
    CHECK(wc_config_parse("{\"cluster\": {\"enabled\": true, \"sessions_bucket\": \"S-1\", "
                          "\"session_ttl_ms\": 0, \"max_bytes\": \"1MiB\"}}", NULL, &c, &err) == 0,
          "cluster: %s", err.msg);
    CHECK(c.cluster_enabled && strcmp(c.cluster_bucket, "S-1") == 0 &&
              c.cluster_session_ttl_ms == 0 && c.cluster_max_bytes == 1u << 20,
          "cluster values read");
    wc_config_free(&c);
    CHECK(wc_config_parse("{\"bus\": {\"url\": \"nats://127.0.0.1:4222\"}, \"kv\": "
                          "{\"backend\": \"nats\", \"bucket\": \"K_1\", \"max_bytes\": \"1MiB\"}}",
                          NULL, &c, &err) == 0, "kv: %s", err.msg);
    CHECK(c.kv_nats && strcmp(c.kv_bucket, "K_1") == 0 && c.kv_max_bytes == 1u << 20,
          "kv values read");
    wc_config_free(&c);
    CHECK(wc_config_parse("{\"kv\": {\"backend\": \"lmdb\"}}", NULL, &c, &err) == 0 && !c.kv_nats,
          "kv lmdb: %s", err.msg);
    wc_config_free(&c);
    /* An audit stream's name once freed the cluster's bucket name (a
     * use after free and a double free under ASan). */
    CHECK(wc_config_parse("{\"audit\": {\"stream\": {\"name\": \"MINE\"}}}", NULL, &c, &err) == 0,
          "audit stream: %s", err.msg);
    CHECK(strcmp(c.audit_stream, "MINE") == 0 && strcmp(c.cluster_bucket, "WASMCAP_SESSIONS") == 0,
          "the audit stream's name leaves the cluster's bucket alone");
    wc_config_free(&c);

    setenv("XDG_DATA_HOME", "/data", 1);
    setenv("XDG_CACHE_HOME", "relative/ignored", 1);
    CHECK(wc_config_parse("{}", NULL, &c, &err) == 0, "empty: %s", err.msg);
    CHECK(strcmp(c.kv_dir, "/data/wasmcap/kv") == 0, "xdg kv_dir %s", c.kv_dir);
    CHECK(strcmp(c.cache_dir, "/home/u/.cache/wasmcap") == 0, "relative XDG ignored: %s", c.cache_dir);
    wc_config_free(&c);
    unsetenv("XDG_DATA_HOME");
    unsetenv("XDG_CACHE_HOME");

    unsetenv("HOME");
    CHECK(wc_config_default(&c, &err) == WC_EINVAL && strstr(err.msg, "HOME"), "no HOME: %s", err.msg);
    setenv("HOME", "/home/u", 1);
}

static void test_full(void)
{
    setenv("WC_TEST_KEY", "s3cret", 1);
    setenv("WC_TEST_EMPTY", "", 1);
    unsetenv("WC_TEST_UNSET");
    const char *text =
        "{\"server\": {\"name\": \"srv\", \"max_message_bytes\": \"8MiB\", \"workers\": 3,"
        "              \"stdio_max_queued_bytes\": \"2MiB\","
        "              \"page_size\": 20, \"log_level\": \"debug\", \"tier\": \"fast\"},"
        " \"storage\": {\"kv_dir\": \"${WC_TEST_UNSET:-${HOME}/kv}\", \"cache_dir\": \"cache\","
        "             \"kv_map_size\": \"64MiB\", \"cache_key\": \"keys/cache.key\"},"
        " \"plugins\": {"
        "   \"calculator\": {\"path\": \"plugins/calc.wasm\", \"prefix\": \"calc\","
        "                    \"tools\": {\"calculate\": \"calc\"},"
        "     \"permissions\": {\"allowed_hosts\": [\"API.example.com\", \"*.example.org\"],"
        "                       \"env\": {\"KEY\": \"${WC_TEST_KEY}\", \"PLAIN\": \"a$$b\"},"
        "                       \"memory_limit\": \"32MiB\", \"timeout_ms\": 2500,"
        "                       \"max_output_bytes\": 65536, \"kv_namespace\": \"calc\", \"kv_quota\": \"1MiB\","
        "                       \"max_log_messages\": 50, \"max_log_bytes\": \"4KiB\","
        "                       \"config\": {\"unit\": \"${WC_TEST_EMPTY:-metric}\"},"
        "                       \"bus\": {\"publish\": [\"orders.>\"], \"request\": [\"inventory.*\", \"x.y\"]},"
        "                       \"sampling\": true, \"elicitation\": false}},"
        "   \"bare\": {\"path\": \"/abs/bare.wasm\", \"prefix\": \"\"},"
        "   \"plain\": {\"path\": \"p.wasm\"}"
        " }}";
    wc_config c;
    wc_error err = {0};
    int rc = wc_config_parse(text, "/etc/wasmcap", &c, &err);
    CHECK(rc == 0, "full config: %s", err.msg);
    if (rc)
        return;
    CHECK(strcmp(c.server_name, "srv") == 0 && c.max_message_bytes == 8u << 20 && c.workers == 3 &&
              c.page_size == 20 && c.log_level == WC_LOG_DEBUG && c.tier == WC_TIER_FAST &&
              c.stdio_max_queued_bytes == 2u << 20, "server");
    CHECK(strcmp(c.kv_dir, "/home/u/kv") == 0, "nested default: %s", c.kv_dir);
    CHECK(strcmp(c.cache_dir, "/etc/wasmcap/cache") == 0, "relative cache_dir: %s", c.cache_dir);
    CHECK(strcmp(c.cache_key, "/etc/wasmcap/keys/cache.key") == 0, "relative cache_key: %s", c.cache_key);
    CHECK(c.kv_map_size == 64u << 20, "kv_map_size %zu", c.kv_map_size);
    CHECK(c.nplugins == 3, "nplugins %zu", c.nplugins);
    const wc_plugin_config *p = &c.plugins[0];
    CHECK(strcmp(p->name, "calculator") == 0 && strcmp(p->path, "/etc/wasmcap/plugins/calc.wasm") == 0 &&
              strcmp(p->prefix, "calc") == 0, "plugin: %s %s", p->name, p->path);
    CHECK(strcmp(json_string_value(json_object_get(p->tool_names, "calculate")), "calc") == 0, "tools");
    const wc_permissions *pm = &p->perms;
    CHECK(pm->n_allowed_hosts == 2 && strcmp(pm->allowed_hosts[0], "api.example.com") == 0 &&
              strcmp(pm->allowed_hosts[1], "*.example.org") == 0, "hosts lower-cased");
    CHECK(pm->n_env == 2 && strcmp(pm->env[0], "KEY=s3cret") == 0 && strcmp(pm->env[1], "PLAIN=a$b") == 0,
          "env: %s %s", pm->n_env ? pm->env[0] : "", pm->n_env > 1 ? pm->env[1] : "");
    CHECK(pm->memory_limit == 32u << 20 && pm->timeout_ms == 2500 && pm->max_output_bytes == 65536,
          "limits");
    CHECK(pm->max_log_messages == 50 && pm->max_log_bytes == 4096, "log budget");
    CHECK(strcmp(pm->kv_namespace, "calc") == 0 && pm->kv_quota == 1u << 20, "kv_namespace, kv_quota");
    CHECK(strcmp(json_string_value(json_object_get(pm->config, "unit")), "metric") == 0,
          "empty variable takes the default");
    CHECK(pm->sampling && !pm->elicitation, "sampling");
    CHECK(pm->n_bus_publish == 1 && strcmp(pm->bus_publish[0], "orders.>") == 0 && pm->n_bus_request == 2 &&
              strcmp(pm->bus_request[0], "inventory.*") == 0 && strcmp(pm->bus_request[1], "x.y") == 0,
          "bus subjects");
    p = &c.plugins[1];
    CHECK(strcmp(p->path, "/abs/bare.wasm") == 0 && strcmp(p->prefix, "") == 0 && !p->tool_names,
          "bare");
    CHECK(p->perms.n_env == 0 && !p->perms.kv_namespace && p->perms.memory_limit == 0 &&
              !p->perms.sampling && !p->perms.config && !p->perms.n_bus_publish && !p->perms.n_bus_request,
          "deny by default");
    p = &c.plugins[2];
    CHECK(strcmp(p->prefix, "plain") == 0, "default prefix = name: %s", p->prefix);
    wc_config_free(&c);

    /* "$schema" and "$comment" are taken whatever they hold. */
    CHECK(wc_config_parse("{\"$schema\": \"https://example.com/s\", \"$comment\": [1]}", NULL, &c,
                          &err) == 0, "$schema, $comment: %s", err.msg);
    wc_config_free(&c);

    /* No base directory: relative paths stay relative to the working directory. */
    CHECK(wc_config_parse("{\"plugins\": {\"a\": {\"path\": \"x/a.wasm\"}}}", NULL, &c, &err) == 0 &&
              strcmp(c.plugins[0].path, "x/a.wasm") == 0, "no base: %s", err.msg);
    wc_config_free(&c);
}

static void test_errors(void)
{
    bad("{", "wasmcap.json: invalid JSON at line 1, column 1: string or '}' expected near end of file");
    bad("[]", "wasmcap.json: expected a JSON object");
    bad("{\"sever\": {}}",
        "wasmcap.json: sever: unknown key (expected one of: server, storage, plugins, nn, ontology, "
        "ontology_drift, http, auth, bus, audit, cluster, kv, reload, admin, $schema, $comment)");
    bad("{\"http\": []}", "wasmcap.json: http: expected an object");
    bad("{\"cluster\": {\"enabled\": true, \"sessions_bucket\": \"a.b\"}}",
        "wasmcap.json: cluster.sessions_bucket: 1 to 64 letters, digits, '-' or '_'");
    bad("{\"cluster\": {\"enable\": true}}",
        "wasmcap.json: cluster.enable: unknown key (expected one of: enabled, sessions_bucket, "
        "session_ttl_ms, max_bytes, log_stream, log_events, log_max_age_ms, log_max_bytes, "
        "event_max_age_ms)");
    bad("{\"kv\": {\"backend\": \"redis\"}}",
        "wasmcap.json: kv.backend: \"lmdb\" or \"nats\"");
    bad("{\"kv\": {\"backend\": \"nats\"}}",
        "wasmcap.json: kv.backend: \"nats\" keeps the kv on the bus's NATS server: set bus.url");
    bad("{\"bus\": {\"url\": \"inproc\"}, \"kv\": {\"backend\": \"nats\"}}",
        "wasmcap.json: kv.backend: \"nats\" keeps the kv on the bus's NATS server: set bus.url");
    bad("{\"kv\": {\"bucket\": \"a b\"}}",
        "wasmcap.json: kv.bucket: 1 to 64 letters, digits, '-' or '_'");
    bad("{\"kv\": {\"bakend\": \"nats\"}}",
        "wasmcap.json: kv.bakend: unknown key (expected one of: backend, bucket, max_bytes)");
    bad("{\"cluster\": {\"max_bytes\": \"1KiB\"}}",
        "wasmcap.json: cluster.max_bytes: must be between 64KiB and 1024TiB");
    bad("{\"plugins\": {\"p\": {\"path\": \"a\", \"skip_tools\": [\"ok\", \"(\"]}}}",
        "wasmcap.json: plugins.p.skip_tools[1]: '(' is not a regular expression: Unmatched ( or \\(");
    bad("{\"plugins\": {\"p\": {\"path\": \"a\", \"skip_prompts\": \"x\"}}}",
        "wasmcap.json: plugins.p.skip_prompts: expected an array of regular expressions");
    bad("{\"plugins\": {\"p\": {\"path\": \"a\", \"skip_resources\": [\"\"]}}}",
        "wasmcap.json: plugins.p.skip_resources[0]: expected a non-empty string");
    bad("{\"auth\": {\"bearer_tokens\": [\"${WC_TEST_UNSET_TOKEN}\"]}}",
        "wasmcap.json: auth.bearer_tokens[0]: environment variable WC_TEST_UNSET_TOKEN is not set "
        "(write ${WC_TEST_UNSET_TOKEN:-default} to give a default)");
    bad("{\"server\": {\"nmae\": \"x\"}}",
        "wasmcap.json: server.nmae: unknown key (expected one of: name, max_message_bytes, "
        "stdio_max_queued_bytes, workers, page_size, log_level, tier, state_secret)");
    bad("{\"server\": {\"stdio_max_queued_bytes\": \"1KiB\"}}",
        "wasmcap.json: server.stdio_max_queued_bytes: must be between 64KiB and 1GiB");
    bad("{\"server\": {\"state_secret\": \"short\"}}",
        "wasmcap.json: server.state_secret: must be at least 32 characters (it keys an HMAC)");
    bad("{\"server\": []}", "wasmcap.json: server: expected an object");
    bad("{\"server\": {\"name\": 1}}", "wasmcap.json: server.name: expected a string");
    bad("{\"server\": {\"name\": \"\"}}", "wasmcap.json: server.name: expected a non-empty string");
    bad("{\"server\": {\"max_message_bytes\": \"4 lots\"}}",
        "wasmcap.json: server.max_message_bytes: '4 lots' is not a positive size (examples: 4096, \"64K\", "
        "\"16MiB\", \"1G\")");
    bad("{\"server\": {\"max_message_bytes\": 10}}",
        "wasmcap.json: server.max_message_bytes: must be between 1KiB and 1GiB");
    bad("{\"server\": {\"max_message_bytes\": true}}",
        "wasmcap.json: server.max_message_bytes: expected a size (an integer or a string such as \"64MiB\")");
    bad("{\"server\": {\"workers\": -1}}", "wasmcap.json: server.workers: expected an integer from 0 to 1024");
    bad("{\"server\": {\"workers\": 1.5}}", "wasmcap.json: server.workers: expected an integer from 0 to 1024");
    bad("{\"server\": {\"page_size\": 0}}", "wasmcap.json: server.page_size: expected an integer from 1 to 100000");
    bad("{\"server\": {\"log_level\": \"loud\"}}",
        "wasmcap.json: server.log_level: unknown level 'loud' (debug, info, notice, warning, error, critical, "
        "alert, emergency)");
    bad("{\"server\": {\"tier\": \"slow\"}}", "wasmcap.json: server.tier: unknown tier 'slow' (auto, fast, optimized)");
    bad("{\"storage\": {\"kvdir\": \"x\"}}", "wasmcap.json: storage.kvdir: unknown key (expected one of: kv_dir, kv_map_size, cache_dir, "
        "cache_key)");
    bad("{\"storage\": {\"kv_dir\": \"\"}}", "wasmcap.json: storage.kv_dir: expected a non-empty path");
    bad("{\"storage\": {\"kv_map_size\": \"4K\"}}", "wasmcap.json: storage.kv_map_size: must be between 1MiB and 1TiB");
    bad("{\"storage\": {\"cache_key\": \"\"}}", "wasmcap.json: storage.cache_key: expected a non-empty path");
    bad("{\"plugins\": []}", "wasmcap.json: plugins: expected an object (\"name\": {\"path\": ...})");
    bad("{\"plugins\": {\"bad name\": {\"path\": \"a\"}}}",
        "wasmcap.json: plugins.bad name: a plugin name must match ^[A-Za-z0-9_.-]{1,64}$");
    bad("{\"plugins\": {\"a\": 1}}", "wasmcap.json: plugins.a: expected an object");
    bad("{\"plugins\": {\"a\": {}}}", "wasmcap.json: plugins.a.path: required");
    bad("{\"plugins\": {\"a\": {\"path\": \"\"}}}", "wasmcap.json: plugins.a.path: expected a non-empty path");
    bad("{\"plugins\": {\"a\": {\"path\": \"a\", \"pth\": 1}}}",
        "wasmcap.json: plugins.a.pth: unknown key (expected one of: path, source, prefix, tools, skip_tools, skip_prompts, skip_resources, "
        "skip_resource_templates, permissions)");
    /* Sources (fetch/source.h): every refusal names its place. */
    bad("{\"plugins\": {\"a\": {\"path\": \"a\", \"source\": \"b.wasm\"}}}",
        "wasmcap.json: plugins.a.source: give either \"path\" or \"source\", not both");
    bad("{\"plugins\": {\"a\": {\"source\": \"https://example.com/a.wasm\"}}}",
        "wasmcap.json: plugins.a.source: an https source must be pinned: add '#sha256=<hex>' (or "
        "\"require_digest\": false)");
    bad("{\"plugins\": {\"a\": {\"source\": \"https://example.com/a.wasm#sha256=12\"}}}",
        "wasmcap.json: plugins.a.source: an https source's fragment must be '#sha256=' and 64 lower-case "
        "hex digits");
    bad("{\"plugins\": {\"a\": {\"source\": \"http://example.com/a.wasm\"}}}",
        "wasmcap.json: plugins.a.source: plain http sources are refused: use https://");
    bad("{\"plugins\": {\"a\": {\"source\": \"ftp://example.com/a.wasm\"}}}",
        "wasmcap.json: plugins.a.source: unknown source scheme in 'ftp://example.com/a.wasm' (a path, "
        "file://, https:// or oci://)");
    bad("{\"plugins\": {\"a\": {\"source\": \"oci://r.example/a:1\"}}}",
        "wasmcap.json: plugins.a.source: an OCI source needs \"keys\" (PEM public keys) to verify its "
        "cosign signature, or \"require_signature\": false");
    bad("{\"plugins\": {\"a\": {\"source\": {\"url\": \"oci://r.example/a:1\", \"keyless\": {}}}}}",
        "wasmcap.json: plugins.a.source.keyless: keyless (Fulcio/Rekor) verification is not supported: "
        "give \"keys\" (PEM public keys) or set \"require_signature\": false");
    bad("{\"plugins\": {\"a\": {\"source\": {\"url\": \"oci://r.example/a:1\", \"keys\": [\"k\"], "
        "\"username\": \"u\"}}}}",
        "wasmcap.json: plugins.a.source: give both username and password, or neither");
    bad("{\"plugins\": {\"a\": {\"source\": {\"url\": \"a.wasm\", \"plain_http\": true}}}}",
        "wasmcap.json: plugins.a.source: plain_http applies to OCI registries only");
    bad("{\"plugins\": {\"a\": {\"source\": {\"url\": \"a.wasm\", \"sha\": 1}}}}",
        "wasmcap.json: plugins.a.source.sha: unknown key (expected one of: url, sha256, require_digest, "
        "require_signature, keys, keyless, username, password, ca_file, plain_http, max_bytes)");
    bad("{\"plugins\": {\"a\": {\"source\": 5}}}",
        "wasmcap.json: plugins.a.source: expected a string (path or URL) or an object with \"url\"");
    bad("{\"plugins\": {\"a\": {\"path\": \"a\", \"prefix\": \"a b\"}}}",
        "wasmcap.json: plugins.a.prefix: a prefix may hold up to 64 letters, digits, '_', '.' or '-'");
    bad("{\"plugins\": {\"a\": {\"path\": \"a\", \"tools\": []}}}",
        "wasmcap.json: plugins.a.tools: expected an object (\"tool\": \"exposed name\")");
    bad("{\"plugins\": {\"a\": {\"path\": \"a\", \"tools\": {\"t\": \"\"}}}}",
        "wasmcap.json: plugins.a.tools.t: '' is not a valid tool name (1 to 128 letters, digits, '_', '.' or '-')");
    bad("{\"plugins\": {\"a\": {\"path\": \"a\", \"tools\": {\"t\": 3}}}}",
        "wasmcap.json: plugins.a.tools.t: expected a string");
    const char *perm = "{\"plugins\": {\"notes\": {\"path\": \"a\", \"permissions\": %s}}}";
    struct { const char *perms, *want; } cases[] = {
        {"[]", "plugins.notes.permissions: expected an object"},
        {"{\"timeout_ms\": 0}", "plugins.notes.permissions.timeout_ms: expected a duration in milliseconds from 1 to "
                                 "86400000"},
        {"{\"timeout_ms\": \"10s\"}", "plugins.notes.permissions.timeout_ms: expected a duration in milliseconds from 1 "
                                      "to 86400000"},
        {"{\"timout_ms\": 5}", "plugins.notes.permissions.timout_ms: unknown key (expected one of: allowed_hosts, env, "
                               "memory_limit, timeout_ms, max_output_bytes, max_log_messages, "
                               "max_log_bytes, kv_namespace, kv_quota, config, sampling, elicitation, "
                               "nn_models, nn_load, nn_max_load_bytes, nn_max_contexts, bus, allowed_paths)"},
        {"{\"bus\": [\"a\"]}", "plugins.notes.permissions.bus: expected an object (\"publish\": [subjects], "
                                 "\"request\": [subjects])"},
        {"{\"bus\": {\"publish\": \"a.>\"}}", "plugins.notes.permissions.bus.publish: expected an array of "
                                              "subjects (NATS wildcards * and > allowed)"},
        {"{\"bus\": {\"request\": [\"a.>.b\"]}}", "plugins.notes.permissions.bus.request[0]: 'a.>.b' is not a "
                                                  "subject pattern: subject 'a.>.b': '>' must be the last token"},
        {"{\"bus\": {\"request\": [\"\"]}}", "plugins.notes.permissions.bus.request[0]: expected a non-empty string"},
        {"{\"bus\": {\"subscribe\": []}}", "plugins.notes.permissions.bus.subscribe: unknown key (expected one "
                                          "of: publish, request)"},
        {"{\"max_log_messages\": 0}", "plugins.notes.permissions.max_log_messages: expected an integer from 1 to 100000000"},
        {"{\"max_log_bytes\": \"2GiB\"}",
         "plugins.notes.permissions.max_log_bytes: must be at most 1GiB"},
        {"{\"memory_limit\": \"1K\"}", "plugins.notes.permissions.memory_limit: must be between 64KiB and 4GiB"},
        {"{\"memory_limit\": 0}", "plugins.notes.permissions.memory_limit: expected a positive size"},
        {"{\"max_output_bytes\": \"2G\"}", "plugins.notes.permissions.max_output_bytes: must be at most 1GiB"},
        {"{\"allowed_hosts\": \"a.com\"}", "plugins.notes.permissions.allowed_hosts: expected an array of host names"},
        {"{\"allowed_hosts\": [\"a.com\", 1]}", "plugins.notes.permissions.allowed_hosts[1]: expected a string"},
        {"{\"allowed_hosts\": [\"http://a.com\"]}",
         "plugins.notes.permissions.allowed_hosts[0]: 'http://a.com' is not a host name or a pattern of one (letters, "
         "digits, '-', '.', and '*' or '?' as wildcards)"},
        {"{\"allowed_hosts\": [\"[ab].com\"]}",
         "plugins.notes.permissions.allowed_hosts[0]: '[ab].com' is not a host name or a pattern of one (letters, "
         "digits, '-', '.', and '*' or '?' as wildcards)"},
        {"{\"allowed_hosts\": [\"\"]}", "plugins.notes.permissions.allowed_hosts[0]: empty host name"},
        {"{\"env\": [\"A\"]}", "plugins.notes.permissions.env: expected an object of strings (\"NAME\": \"value\")"},
        {"{\"env\": {\"A\": 1}}", "plugins.notes.permissions.env.A: expected a string"},
        {"{\"env\": {\"A=B\": \"x\"}}", "plugins.notes.permissions.env.A=B: a variable name must be non-empty and "
                                        "without '='"},
        {"{\"kv_namespace\": \"\"}", "plugins.notes.permissions.kv_namespace: expected a non-empty string"},
        {"{\"kv_quota\": 0}", "plugins.notes.permissions.kv_quota: expected a positive size"},
        {"{\"config\": {\"k\": 1}}", "plugins.notes.permissions.config.k: expected a string"},
        {"{\"config\": \"k\"}", "plugins.notes.permissions.config: expected an object of strings"},
        {"{\"sampling\": \"yes\"}", "plugins.notes.permissions.sampling: expected true or false"},
        {"{\"elicitation\": 1}", "plugins.notes.permissions.elicitation: expected true or false"},
        {"{\"env\": {\"K\": \"${WC_TEST_UNSET}\"}}",
         "plugins.notes.permissions.env.K: environment variable WC_TEST_UNSET is not set (write "
         "${WC_TEST_UNSET:-default} to give a default)"},
        {"{\"env\": {\"K\": \"${WC_TEST_UNSET:-${WC_TEST_UNSET}}\"}}",
         "plugins.notes.permissions.env.K: environment variable WC_TEST_UNSET is not set (write "
         "${WC_TEST_UNSET:-default} to give a default)"},
        {"{\"env\": {\"K\": \"${WC_TEST_KEY\"}}",
         "plugins.notes.permissions.env.K: unterminated or malformed ${WC_TEST_KEY...} (expected '}' or ':-')"},
        {"{\"env\": {\"K\": \"${WC_TEST_KEY:-x\"}}", "plugins.notes.permissions.env.K: unterminated ${WC_TEST_KEY:-...}"},
        {"{\"env\": {\"K\": \"${}\"}}",
         "plugins.notes.permissions.env.K: bad variable reference at offset 0 (expected ${NAME})"},
    };
    unsetenv("WC_TEST_UNSET");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[1024], want[1024];
        snprintf(text, sizeof text, perm, cases[i].perms);
        snprintf(want, sizeof want, "wasmcap.json: %s", cases[i].want);
        bad(text, want);
    }
}

static void test_expansion(void)
{
    setenv("WC_A", "alpha", 1);
    unsetenv("WC_TEST_UNSET");
    struct { const char *in, *out; } cases[] = {
        {"plain", "plain"},
        {"${WC_A}", "alpha"},
        {"x${WC_A}y${WC_A}z", "xalphayalphaz"},
        {"$$", "$"},
        {"$${WC_A}", "${WC_A}"},
        {"cost: $5", "cost: $5"},
        {"end$", "end$"},
        {"${WC_TEST_UNSET:-}", ""},
        {"${WC_TEST_UNSET:-fallback}", "fallback"},
        {"${WC_TEST_UNSET:-a${WC_A}b}", "aalphab"},
        {"${WC_TEST_UNSET:-{braces}}", "{braces}"},
        {"${WC_A:-unused}", "alpha"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        wc_error err = {0};
        snprintf(text, sizeof text, "{\"server\": {\"name\": \"n\"}, \"plugins\": {\"p\": {\"path\": \"/x\", "
                                    "\"permissions\": {\"config\": {\"v\": \"%s\"}}}}}", cases[i].in);
        wc_config c;
        int rc = wc_config_parse(text, NULL, &c, &err);
        CHECK(rc == 0, "%s: %s", cases[i].in, err.msg);
        if (rc)
            continue;
        const char *got = json_string_value(json_object_get(c.plugins[0].perms.config, "v"));
        CHECK(got && strcmp(got, cases[i].out) == 0, "%s -> %s, want %s", cases[i].in, got, cases[i].out);
        wc_config_free(&c);
    }
}

/* The http and auth sections are kept for their own readers, expanded. */
static void test_sections(void)
{
    wc_config c;
    wc_error err;
    setenv("WC_TEST_PORT", "9123", 1);
    CHECK(wc_config_parse("{\"http\": {\"listen\": \"127.0.0.1:${WC_TEST_PORT}\", \"n\": [1, "
                          "\"${WC_TEST_PORT}\", {\"k\": \"${WC_TEST_PORT}x\"}]}}",
                          NULL, &c, &err) == 0, "sections: %s", err.msg);
    CHECK(c.http && !c.auth, "http kept");
    CHECK(strcmp(json_string_value(json_object_get(c.http, "listen")), "127.0.0.1:9123") == 0,
          "expanded");
    json_t *n = json_object_get(c.http, "n");
    CHECK(json_integer_value(json_array_get(n, 0)) == 1 &&
              strcmp(json_string_value(json_array_get(n, 1)), "9123") == 0 &&
              strcmp(json_string_value(json_object_get(json_array_get(n, 2), "k")), "9123x") == 0,
          "nested values expanded");
    wc_config_free(&c);
    unsetenv("WC_TEST_PORT");
}

/* The bus section: its defaults, every key, and its mistakes found when
 * the config loads. */
static void test_bus_section(void)
{
    wc_bus_settings b;
    wc_error err = {0};
    CHECK(wc_bus_settings_parse(NULL, NULL, &b, &err) == 0, "no section: %s", err.msg);
    CHECK(!b.config.url && strcmp(b.config.name, "wasmcap") == 0 && b.config.max_reconnect == -1 &&
              b.config.reconnect_wait_ms == 2000 && b.config.sub_max_msgs == 65536,
          "defaults: in-process, reconnect forever every 2 s");
    wc_bus_settings_free(&b);

    json_t *sec = json_loads(
        "{\"url\": \"nats://a:4222, tls://b:4443\", \"name\": \"n1\", \"user\": \"u\", "
        "\"password\": \"p\", \"tls_ca\": \"ca.pem\", \"tls_cert\": \"/abs/c.pem\", "
        "\"tls_key\": \"k.pem\", \"connect_timeout_ms\": 500, \"request_timeout_ms\": 700, "
        "\"reconnect\": {\"wait_ms\": 100, \"max_attempts\": 5}, "
        "\"subscription_max_msgs\": 10, \"subscription_max_bytes\": \"1MiB\", "
        "\"max_payload\": \"64KiB\", \"max_subscriptions\": 7, \"max_requests\": 9, "
        "\"reconnect_buffer\": \"1MiB\", \"store_max_bytes\": \"2MiB\", \"send_asap\": true}",
        0, NULL);
    CHECK(wc_bus_settings_parse(sec, "/etc/wc", &b, &err) == 0, "full: %s", err.msg);
    const wc_bus_config *c = &b.config;
    CHECK(strcmp(c->url, "nats://a:4222, tls://b:4443") == 0 && strcmp(c->name, "n1") == 0,
          "url, name");
    CHECK(strcmp(c->user, "u") == 0 && strcmp(c->password, "p") == 0 && !c->token, "user");
    CHECK(strcmp(c->tls_ca, "/etc/wc/ca.pem") == 0 && strcmp(c->tls_cert, "/abs/c.pem") == 0 &&
              strcmp(c->tls_key, "/etc/wc/k.pem") == 0,
          "paths relative to the config: %s %s %s", c->tls_ca, c->tls_cert, c->tls_key);
    CHECK(c->connect_timeout_ms == 500 && c->request_timeout_ms == 700 &&
              c->reconnect_wait_ms == 100 && c->max_reconnect == 5,
          "times");
    CHECK(c->sub_max_msgs == 10 && c->sub_max_bytes == 1u << 20 && c->max_payload == 64u << 10 &&
              c->max_subscriptions == 7 && c->max_requests == 9 &&
              c->reconnect_buffer == 1u << 20 && c->store_max_bytes == 2u << 20 && c->send_asap,
          "limits");
    wc_bus_settings_free(&b);
    json_decref(sec);

    static const struct {
        const char *text, *want;
    } bads[] = {
        {"{\"bus\": {\"url\": \"http://x\"}}",
         "wasmcap.json: bus.url: expected \"inproc\" or NATS server URLs (nats://host:port or "
         "tls://host:port, comma-separated), not 'http://x'"},
        {"{\"bus\": {\"url\": \"nats://a:1,redis://b\"}}",
         "wasmcap.json: bus.url: expected \"inproc\" or NATS server URLs (nats://host:port or "
         "tls://host:port, comma-separated), not 'nats://a:1,redis://b'"},
        {"{\"bus\": {\"token\": \"t\", \"user\": \"u\"}}",
         "wasmcap.json: bus: token, user and credentials_file are three ways to authenticate: "
         "give one"},
        {"{\"bus\": {\"password\": \"p\"}}",
         "wasmcap.json: bus.password: a password needs its user"},
        {"{\"bus\": {\"tls_cert\": \"c.pem\"}}",
         "wasmcap.json: bus: a TLS client certificate needs both tls_cert and tls_key"},
        {"{\"bus\": {\"reconnect\": {\"max_attempts\": -2}}}",
         "wasmcap.json: bus.reconnect.max_attempts: expected an integer from -1 to 1000000000"},
        {"{\"bus\": {\"urll\": \"inproc\"}}", NULL},
        {"{\"bus\": \"nats://x\"}", "wasmcap.json: bus: expected an object"},
        {"{\"bus\": {\"services\": {\"window_ms\": 0}}}",
         "wasmcap.json: bus.services.window_ms: expected an integer from 1 to 60000"},
        {"{\"bus\": {\"services\": {\"declared\": [{\"name\": \"a b\"}]}}}",
         "wasmcap.json: bus.services.declared[0]: name must be letters, digits, '-' and '_'"},
    };
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        wc_config cfg;
        wc_error why = {0};
        int rc = wc_config_parse(bads[i].text, "/base", &cfg, &why);
        CHECK(rc == WC_EINVAL, "accepted: %s", bads[i].text);
        if (bads[i].want)
            CHECK(strcmp(why.msg, bads[i].want) == 0, "\n  text: %s\n  got:  %s\n  want: %s",
                  bads[i].text, why.msg, bads[i].want);
        else
            CHECK(strstr(why.msg, "bus.urll: unknown key") != NULL, "unknown key: %s", why.msg);
        if (rc == 0)
            wc_config_free(&cfg);
    }
    wc_config cfg;
    CHECK(wc_config_parse("{\"bus\": {\"url\": \"inproc\"}}", NULL, &cfg, &err) == 0,
          "inproc: %s", err.msg);
    CHECK(cfg.bus != NULL, "the section is kept for serve");
    wc_config_free(&cfg);
    CHECK(wc_config_parse("{\"bus\": {\"services\": {\"interval_ms\": 100, \"declared\": "
                          "[{\"name\": \"inv\", \"endpoints\": [{\"name\": \"s\", "
                          "\"subject\": \"inv.s\"}]}]}}}", NULL, &cfg, &err) == 0,
          "bus.services: %s", err.msg);
    wc_config_free(&cfg);
}

static void test_load(void)
{
    char path[512];
    wc_error err = {0};
    snprintf(path, sizeof path, "%s/wasmcap.json", tmpdir);
    const char *text = "{\"plugins\": {\"n\": {\"path\": \"n.wasm\", \"permissions\": {\"timeout_ms\": -5}}}}";
    wc_write_file(path, text, strlen(text));
    wc_config c;
    CHECK(wc_config_load(path, &c, &err) == WC_EINVAL && err.code == WC_EINVAL, "bad file accepted");
    char want[1024];
    snprintf(want, sizeof want, "%s: plugins.n.permissions.timeout_ms: expected a duration in milliseconds from 1 to 86400000", path);
    CHECK(strcmp(err.msg, want) == 0, "got %s", err.msg);

    text = "{\"plugins\": {\"n\": {\"path\": \"sub/n.wasm\"}}}";
    wc_write_file(path, text, strlen(text));
    CHECK(wc_config_load(path, &c, &err) == 0, "load: %s", err.msg);
    snprintf(want, sizeof want, "%s/sub/n.wasm", tmpdir);
    CHECK(c.path && strcmp(c.path, path) == 0, "path");
    CHECK(c.nplugins == 1 && strcmp(c.plugins[0].path, want) == 0, "relative to the file: %s",
          c.nplugins ? c.plugins[0].path : "");
    wc_config_free(&c);

    snprintf(path, sizeof path, "%s/missing.json", tmpdir);
    CHECK(wc_config_load(path, &c, &err) == WC_ENOENT && strstr(err.msg, "No such file"), "missing: %s", err.msg);
}

/* "ontology": loaded with the config, its documents given to every plugin;
 * "ontology_drift": refuse or warn. */
static void test_ontology(void)
{
    wc_config c;
    wc_error err = {0};
    int rc = wc_config_parse("{\"ontology\": \"" WC_SOURCE_DIR "/ontology\", \"ontology_drift\": \"warn\","
                             " \"plugins\": {\"a\": {\"path\": \"a.wasm\"}}}",
                             "/base", &c, &err);
    CHECK(rc == 0, "ontology: %s", err.msg);
    if (rc == 0) {
        CHECK(c.ontology && c.ontology_drift_warn, "ontology loaded, drift warns");
        CHECK(c.nplugins == 1 && c.plugins[0].schema_docs &&
                  wc_schema_docs_find(c.plugins[0].schema_docs, "ontology:RiskScore"),
              "the plugin has the ontology's documents");
        wc_config_free(&c);
    }
    rc = wc_config_parse("{}", "/base", &c, &err);
    CHECK(rc == 0 && !c.ontology && !c.ontology_drift_warn, "no ontology by default");
    if (rc == 0)
        wc_config_free(&c);
    bad("{\"ontology_drift\": \"ignore\"}",
        "wasmcap.json: ontology_drift: unknown mode 'ignore' (refuse, warn)");
    bad("{\"ontology\": \"/nonexistent/onto\"}",
        "wasmcap.json: ontology: ontology folder /nonexistent/onto: No such file or directory");
    bad("{\"ontology\": 3}", "wasmcap.json: ontology: expected a string");
}

int main(void)
{
    if (wc_make_temp_dir(tmpdir, sizeof tmpdir, "wc-config-test") != 0) {
        printf("FAIL: temp dir\n");
        return 1;
    }
    test_defaults();
    test_sources();
    test_full();
    test_errors();
    test_expansion();
    test_sections();
    test_bus_section();
    test_load();
    test_ontology();
    wc_remove_dir(tmpdir);
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    printf("test_config: all passed\n");
    return 0;
}
