/* test_plugin.c -- loading plugins and calling them, one fresh instance per call.
 *
 * Drives the test guests (tests/guests, built into WC_BINARY_DIR/guests)
 * through every outcome of a tool call: success, invalid arguments, traps,
 * deadlines, memory and output limits, bad results, cancellation; checks
 * that the call after each failure works, that many threads can call one
 * plugin, the host functions (kv, config, env, stderr), the command ABI, and
 * the refusals at load.  Ends with a measure of calls per second.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json/parse.h"
#include "plugin/plugin.h"
#include "plugin/plugin_internal.h"
#include "util/fs.h"

#include "check.h"
#include "fast_engine.h"

#define GUEST(name) WC_BINARY_DIR "/guests/" name ".wasm"

static wc_engine *engine;
static char tmpdir[256];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static wc_plugin *load(const char *name, const char *path, const wc_permissions *perms)
{
    wc_plugin_config pc = {.name = (char *)name, .path = (char *)path};
    if (perms)
        pc.perms = *perms;
    wc_plugin *p = NULL;
    wc_error err;
    if (wc_plugin_load(&pc, engine, NULL, &p, &err) != 0) {
        printf("FAIL: cannot load %s: %s\n", path, err.msg);
        failures++;
        return NULL;
    }
    return p;
}

/* Loading fails; the message contains `want`. */
static void load_fails(const char *path, const char *want)
{
    wc_plugin_config pc = {.name = "broken", .path = (char *)path};
    wc_plugin *p = NULL;
    wc_error err = {0};
    int rc = wc_plugin_load(&pc, engine, NULL, &p, &err);
    CHECK(rc != 0 && !p, "%s loaded", path);
    CHECK(strstr(err.msg, want), "load error for %s: got \"%s\", want \"%s\"", path, err.msg, want);
    wc_plugin_free(p);
}

/* Calls tool with args (JSON text or NULL); returns the CallToolResult. */
static json_t *call_with(wc_plugin *p, const char *tool, const char *args, wc_call *call)
{
    int index = wc_manifest_find_tool(wc_plugin_manifest(p), tool);
    CHECK(index >= 0, "no tool %s", tool);
    if (index < 0)
        return NULL;
    json_t *a = args ? json_loads(args, 0, NULL) : NULL;
    CHECK(!args || a, "bad test args %s", args);
    json_t *res = NULL;
    wc_error err = {0};
    int rc = wc_plugin_call_tool(p, (size_t)index, NULL, a, call, &res, &err);
    CHECK(rc == 0 && res, "call %s failed: %s", tool, err.msg);
    json_decref(a);
    return res;
}

static json_t *call(wc_plugin *p, const char *tool, const char *args)
{
    return call_with(p, tool, args, NULL);
}

static const char *text_of(const json_t *res)
{
    const char *s = json_string_value(json_object_get(json_array_get(json_object_get(res, "content"), 0), "text"));
    return s ? s : "(no text)";
}

static bool is_error(const json_t *res)
{
    return json_is_true(json_object_get(res, "isError"));
}

/* The call fails with exactly `want` (or containing it when exact is false). */
static void expect_error(wc_plugin *p, const char *tool, const char *args, const char *want, bool exact)
{
    json_t *res = call(p, tool, args);
    const char *text = text_of(res);
    CHECK(is_error(res), "%s: not an error: %s", tool, text);
    CHECK(json_array_size(json_object_get(res, "content")) == 1, "%s: one block", tool);
    CHECK(exact ? strcmp(text, want) == 0 : strstr(text, want) != NULL,
          "%s: got \"%s\", want \"%s\"", tool, text, want);
    json_decref(res);
}

/* echo works: the plugin survived whatever came before. */
static void expect_echo(wc_plugin *p, int n)
{
    char args[64];
    snprintf(args, sizeof args, "{\"n\": %d}", n);
    json_t *res = call(p, "echo", args);
    json_t *sc = json_object_get(res, "structuredContent");
    CHECK(!is_error(res) && json_integer_value(json_object_get(sc, "n")) == n, "echo %d: %s", n,
          text_of(res));
    json_decref(res);
}

/* ---- native tools ------------------------------------------------------ */

static void test_echo(void)
{
    wc_plugin *p = load("echo", GUEST("echo"), NULL);
    if (!p)
        return;
    CHECK(strcmp(wc_plugin_abi_name(p), "native") == 0, "abi");
    const wc_manifest *m = wc_plugin_manifest(p);
    CHECK(strcmp(m->name, "echo") == 0 && strcmp(m->version, "1.0.0") == 0, "manifest name");
    CHECK(m->ntools == 16, "ntools %zu", m->ntools);
    CHECK(wc_plugin_has_entry(p, WC_ENTRY_COMPLETE) && !wc_plugin_has_entry(p, WC_ENTRY_READ_RESOURCE),
          "entries");

    json_t *res = call(p, "echo", "{\"text\": \"hi\"}");
    CHECK(!is_error(res), "echo error: %s", text_of(res));
    CHECK(strcmp(json_string_value(json_object_get(json_object_get(res, "structuredContent"), "text")),
                 "hi") == 0, "structuredContent");
    CHECK(strcmp(text_of(res), "{\"text\":\"hi\"}") == 0, "text block added: %s", text_of(res));
    json_decref(res);

    res = call(p, "echo", NULL);
    CHECK(!is_error(res) && json_object_size(json_object_get(res, "structuredContent")) == 0,
          "no arguments: %s", text_of(res));
    json_decref(res);

    /* Input checked before the plugin runs. */
    expect_error(p, "echo", "{\"text\": 5}",
                 "invalid arguments for tool 'echo': at /text: expected string, got integer", true);
    expect_error(p, "echo", "[1]", "invalid arguments for tool 'echo': arguments must be an object", true);

    /* The name a client used appears in messages. */
    json_t *bad = json_pack("{s:i}", "text", 1);
    int idx = wc_manifest_find_tool(m, "echo");
    wc_error err;
    CHECK(wc_plugin_call_tool(p, (size_t)idx, "calc", bad, NULL, &res, &err) == 0, "call");
    CHECK(strncmp(text_of(res), "invalid arguments for tool 'calc': ", 35) == 0, "display name: %s",
          text_of(res));
    json_decref(res);
    json_decref(bad);

    expect_error(p, "trap", NULL, "plugin 'echo' trapped in tool 'trap': unreachable", true);
    expect_echo(p, 1);
    expect_error(p, "oob", NULL, "plugin 'echo' trapped in tool 'oob': out of bounds memory access", true);
    expect_echo(p, 2);
    expect_error(p, "badout", NULL,
                 "tool 'badout' of plugin 'echo' returned structuredContent that does not match its "
                 "outputSchema: at /count: expected number, got string", true);
    expect_error(p, "nostruct", NULL,
                 "tool 'nostruct' of plugin 'echo' has an outputSchema but returned no structuredContent",
                 true);
    expect_error(p, "badjson", NULL, "plugin 'echo' returned an invalid result from tool 'badjson': "
                                      "invalid JSON", false);
    expect_error(p, "notobject", NULL, "tool 'notobject': expected a JSON object", false);
    expect_error(p, "zero", NULL, "tool 'zero': it returned no result (0)", false);
    expect_error(p, "outside", NULL, "lies outside its memory", false);
    expect_echo(p, 3);

    res = call(p, "goodout", NULL);
    CHECK(!is_error(res) && strcmp(text_of(res), "{\"count\":3}") == 0, "goodout: %s", text_of(res));
    json_decref(res);
    res = call(p, "iserror", NULL);
    CHECK(is_error(res) && strcmp(text_of(res), "unknown operation 'pow'; use + - * /") == 0,
          "iserror: %s", text_of(res));
    json_decref(res);

    /* Default output limit (1 MiB) lets 200,000 bytes through. */
    res = call(p, "big", NULL);
    CHECK(!is_error(res) && strlen(text_of(res)) == 200000 - 39, "big: %zu", strlen(text_of(res)));
    json_decref(res);

    /* Completion through the export: every value, capping is the registry's. */
    json_t *params = json_pack("{s:{s:s,s:s},s:{s:s,s:s}}", "ref", "type", "ref/prompt", "name", "pick",
                               "argument", "name", "item", "value", "");
    json_t *values = NULL;
    CHECK(wc_plugin_complete(p, params, NULL, &values, &err) == 0, "complete: %s", err.msg);
    CHECK(json_array_size(values) == 150, "values %zu", json_array_size(values));
    json_decref(values);
    json_decref(params);
    wc_plugin_free(p);
}

/* A caller that sends result text gets results checked from their bytes:
 * the same verdicts and messages as the parsed path, for every shape. */
static void test_result_text(void)
{
    wc_plugin *p = load("echo", GUEST("echo"), NULL);
    if (!p)
        return;
    const char *tools[] = {"shape", "shapeout"};
    for (int t = 0; t < 2; t++) {
        int index = wc_manifest_find_tool(wc_plugin_manifest(p), tools[t]);
        for (int n = 0;; n++) {
            char args_text[32];
            snprintf(args_text, sizeof args_text, "{\"n\":%d}", n);
            json_t *args = json_loads(args_text, 0, NULL);
            wc_error err = {0};
            json_t *parsed = NULL, *preferred = NULL;
            int rc1 = wc_plugin_call_tool(p, (size_t)index, NULL, args, NULL, &parsed, &err);
            wc_call *c = wc_call_new(NULL, &(wc_call_io){.prefer_result_text = true});
            int rc2 = wc_plugin_call_tool(p, (size_t)index, NULL, args, c, &preferred, &err);
            json_decref(args);
            if (strstr(text_of(parsed), "it returned no result (0)")) { /* past the list */
                json_decref(parsed);
                json_decref(preferred);
                wc_call_free(c);
                CHECK(n >= 20, "only %d shapes", n);
                break;
            }
            size_t len = c->io.result_len;
            const char *text = c->io.result_text;
            if (n == 1) /* {"content":[],"structuredContent":{"count":3}} */
                CHECK(text && !preferred, "%s %d: not checked from its text", tools[t], n);
            if (text) {
                /* passed on: exactly what the parsed path passes unchanged */
                json_t *sent = json_loadb(text, len, 0, NULL);
                CHECK(rc1 == 0 && rc2 == 0 && sent && json_equal(sent, parsed),
                      "%s %d: text %s, parsed %s", tools[t], n, text, text_of(parsed));
                json_decref(sent);
            } else {
                char *a = json_dumps(parsed, JSON_SORT_KEYS), *b = json_dumps(preferred, JSON_SORT_KEYS);
                CHECK(rc1 == rc2 && a && b && strcmp(a, b) == 0, "%s %d: parsed %s, preferred %s",
                      tools[t], n, a ? a : "-", b ? b : "-");
                free(a);
                free(b);
            }
            json_decref(parsed);
            json_decref(preferred);
            wc_call_free(c);
        }
    }
    wc_plugin_free(p);
}

/* wc_result_text_shape, the one pass over a result's bytes, decides only
 * what the parsed path would: when it takes a text, the text parses (keys
 * twice refused), content is an array, isError absent or the boolean it
 * reports, and structuredContent absent or the flat object whose members
 * it lists. */
static bool compare_result_shape(const char *text, size_t len)
{
    char *copy = malloc(len ? len : 1); /* exactly: ASan sees any read past the end */
    if (!copy)
        abort();
    memcpy(copy, text, len);
    wc_result_shape r;
    memset(&r, 0, sizeof r);
    bool taken = wc_result_text_shape(&r, NULL, copy, len);
    if (taken) {
        json_t *v = wc_json_parse(copy, len, WC_JSON_REJECT_DUPLICATES, NULL);
        json_t *content = json_object_get(v, "content"), *ie = json_object_get(v, "isError");
        json_t *sc = json_object_get(v, "structuredContent");
        wc_error why;
        bool ok = r.text_result && json_is_object(v) && json_is_array(content) &&
                  wc_content_check(content, NULL, &why) &&
                  (!ie || json_is_boolean(ie)) && r.is_error == json_is_true(ie) &&
                  !sc == !r.structured;
        if (ok && sc) {
            json_t *sc_text = wc_json_parse(r.structured, r.structured_len, 0, NULL);
            ok = json_is_object(sc) && json_equal(sc_text, sc) &&
                 json_object_size(sc) == (size_t)r.structured_count;
            for (int i = 0; ok && i < r.structured_count; i++) {
                const wc_json_member *m = &r.structured_members[i];
                json_t *value = wc_json_parse(m->value, m->value_len, 0, NULL);
                ok = value && json_equal(value, json_object_getn(sc, m->key, m->key_len));
                json_decref(value);
            }
            json_decref(sc_text);
        }
        CHECK(ok, "result shape taken from the text, not by the parser: %.*s",
              (int)(len > 200 ? 200 : len), text);
        json_decref(v);
    }
    free(copy);
    return taken;
}

static uint64_t shape_rng = 0x2545f4914f6cdd1dull;

static size_t shape_rnd(size_t n)
{
    shape_rng ^= shape_rng << 13;
    shape_rng ^= shape_rng >> 7;
    shape_rng ^= shape_rng << 17;
    return (size_t)(shape_rng % n);
}

static void test_result_shapes(void)
{
    /* the usual results, which must be decided from their text */
    static const char *usual[] = {
        "{\"content\":[{\"type\":\"text\",\"text\":\"499\"}],\"structuredContent\":{\"result\":499}}",
        " { \"isError\" : true , \"content\" : [ ] } ",
        "{\"content\":[{\"type\":\"text\",\"text\":\"\\u00e9\\n\\\"q\\\"\"}],\"isError\":false,"
        "\"structuredContent\":{\"s\":\"\\ud83d\\ude00\",\"r\":-1.5e-3,\"t\":true,\"n\":null,\"u\":\"\xc3\xa9\"},"
        "\"_meta\":{\"k\":[1,{\"z\":null}]}}",
        "{\"structuredContent\":{},\"content\":[{\"type\":\"image\",\"data\":\"AA==\","
        "\"mimeType\":\"image/png\"},{\"type\":\"resource_link\",\"uri\":\"u\",\"name\":\"n\"}],"
        "\"n\":-0}",
    };
    /* and some it leaves to the parsed path */
    static const char *others[] = {
        "{\"content\":[],\"structuredContent\":{\"a\":[1]}}",
        "{\"c\\u006fntent\":[]}",
        "{\"content\":[],\"isError\":\"true\"}",
        "{\"content\":[],}",
        "{\"content\":[],\"content\":[]}",
        "{\"content\":[{\"a\":1,\"a\":2}]}",
        "{\"content\":[],\"structuredContent\":{\"a\":1,\"a\":2}}",
        "{\"content\":[],\"structuredContent\":{\"a\":01}}",
        "{\"content\":[],\"structuredContent\":{\"a\":\"\xc3\"}}",
        "{\"content\":[],\"structuredContent\":{\"a\":\"\\u0000\"}}",
        "{\"content\":[],\"isError\":truex}",
        "{\"content\":[1 2]}",
        "{\"content\":{}}",
        "{}",
        "[{\"content\":[]}]",
        /* content blocks that are not surely valid: the parsed path words it */
        "{\"structuredContent\":{},\"content\":[[[]],{\"a\":{\"a\":1}},\"x\"],\"n\":-0}",
        "{\"content\":[1,\"x\",null]}",
        "{\"content\":[{\"type\":\"text\"}]}",
        "{\"content\":[{\"type\":\"t\\u0065xt\",\"text\":\"a\"}]}",
        "{\"content\":[{\"type\":\"resource\",\"resource\":{\"uri\":\"u\",\"text\":\"\"}}]}",
    };
    for (size_t i = 0; i < sizeof usual / sizeof *usual; i++)
        CHECK(compare_result_shape(usual[i], strlen(usual[i])), "not decided from its text: %s",
              usual[i]);
    for (size_t i = 0; i < sizeof others / sizeof *others; i++)
        CHECK(!compare_result_shape(others[i], strlen(others[i])), "decided from its text: %s",
              others[i]);
    /* a member nested to the parser's limit, the result object counted
     * (content of arrays is never taken: blocks are objects) */
    for (size_t arrays = WC_JSON_MAX_DEPTH - 1; arrays <= WC_JSON_MAX_DEPTH; arrays++) {
        char *deep = malloc(2 * arrays + 32);
        if (!deep)
            abort();
        size_t n = (size_t)sprintf(deep, "{\"content\":[],\"_meta\":");
        memset(deep + n, '[', arrays);
        memset(deep + n + arrays, ']', arrays);
        n += 2 * arrays;
        deep[n++] = '}';
        bool taken = compare_result_shape(deep, n);
        CHECK(taken == (arrays < WC_JSON_MAX_DEPTH), "_meta in %zu arrays %s", arrays,
              taken ? "taken" : "refused");
        free(deep);
    }
    /* every truncation, and random edits of the bytes that matter */
    static const char edits[] = "{}[],:\"\\ 0123456789.eE+-tfnulrsa\x00\x01\x1f\x7f\x80\xbf\xc3\xed\xf4\xff";
    char buf[512];
    for (size_t i = 0; i < sizeof usual / sizeof *usual; i++) {
        size_t whole = strlen(usual[i]);
        while (usual[i][whole - 1] == ' ')
            whole--;
        for (size_t cut = 0; cut < whole; cut++)
            CHECK(!compare_result_shape(usual[i], cut), "a truncation taken: %.*s", (int)cut,
                  usual[i]);
    }
    for (int round = 0; round < 60000; round++) {
        const char *src = round & 1 ? usual[shape_rnd(sizeof usual / sizeof *usual)]
                                    : others[shape_rnd(sizeof others / sizeof *others)];
        size_t len = strlen(src);
        memcpy(buf, src, len);
        for (size_t e = 1 + shape_rnd(3); e > 0; e--) {
            size_t at = shape_rnd(len + 1);
            char c = edits[shape_rnd(sizeof edits - 1)];
            size_t how = shape_rnd(3);
            if (how == 0 && at < len) {
                buf[at] = c;
            } else if (how == 1 && len < sizeof buf - 1) {
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = c;
                len++;
            } else if (how == 2 && at < len) {
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
            }
        }
        compare_result_shape(buf, len);
    }
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Schema checks are bounded: too costly arguments are a clear tool error,
 * the output check ends with the call's time limit, and an attempt hands
 * what needs more than its small budget back to be run in full. */
static void test_costly_schemas(void)
{
    /* the default time limit (10 s) is far: the steps are what stops these */
    wc_plugin *p = load("hostile", GUEST("hostile"), NULL);
    if (!p)
        return;
    double start = now_ms();
    expect_error(p, "exponential", "{}",
                 "the arguments of tool 'exponential' could not be checked against its schema: "
                 "schema validation stopped at /: it needed more than 1000000 steps, the limit of "
                 "one validation (the value is too costly to check against this schema)",
                 true);
    double took = now_ms() - start;
    CHECK(took < 2000, "exponential arguments took %.0f ms", took);

    size_t n = 0, size = 200000;
    char *args = malloc(size);
    if (!args)
        abort();
    n += (size_t)snprintf(args, size, "{\"items\":[");
    for (int i = 0; i < 2000; i++)
        n += (size_t)snprintf(args + n, size - n, "%s\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\"",
                              i ? "," : "");
    snprintf(args + n, size - n, "]}");
    start = now_ms();
    expect_error(p, "patterns", args,
                 "the arguments of tool 'patterns' could not be checked against its schema: "
                 "schema validation stopped at /items/0: matching \"^(a+)+$\" needed more "
                 "backtracking than the limit of one match (100000)",
                 true);
    took = now_ms() - start;
    CHECK(took < 500, "catastrophic pattern took %.0f ms", took);
    free(args);
    wc_plugin_free(p);

    wc_permissions perms = {.timeout_ms = 100};
    if (!(p = load("hostile", GUEST("hostile"), &perms)))
        return;

    /* the check of 3000 costly items would take ~500 ms: it stops at the
     * call's time limit */
    start = now_ms();
    expect_error(p, "slowout", "{}",
                 "tool 'slowout' exceeded its time limit of 100 ms while checking the "
                 "structuredContent (raise plugins.hostile.permissions.timeout_ms)",
                 true);
    took = now_ms() - start;
    printf("output check stopped by the deadline after %.0f ms (limit 100)\n", took);

    /* in an attempt, a check over the small budget aborts: the caller runs
     * the call again in full */
    const char *tools[] = {"exponential", "slowout", "blocks"};
    for (int t = 0; t < 3; t++) {
        wc_call *c = wc_call_new(NULL, &(wc_call_io){.inline_budget_ms = 2});
        start = now_ms();
        json_t *res = call_with(p, tools[t], "{}", c);
        took = now_ms() - start;
        bool aborted = wc_call_attempt_aborted(c);
        CHECK(aborted == (t < 2), "attempt of %s: aborted %d (%s)", tools[t], aborted,
              text_of(res));
        CHECK(took < 200, "attempt of %s took %.1f ms", tools[t], took);
        json_decref(res);
        wc_call_free(c);
    }
    wc_plugin_free(p);
}

/* Content blocks of a result are checked on both paths (parsed, and from
 * the text): a bad one is a tool error, never passed on. */
static void test_content_blocks(void)
{
    wc_plugin *p = load("hostile", GUEST("hostile"), NULL);
    if (!p)
        return;
    static const char *const invalid[] = {
        "content[0] must be a content block object",
        "content[0] needs a \"type\" of text, image, audio, resource_link or resource",
        "content[0] needs a \"type\" of text, image, audio, resource_link or resource",
        "content[0] of type text needs a string \"text\"",
        "content[0] of type text needs a string \"text\"",
        "content[0] of type image needs a string \"mimeType\"",
        "content[0] of type audio needs a string \"data\"",
        "content[0] of type resource_link needs a string \"name\"",
        "content[0] of type resource needs a \"resource\" object with a string \"uri\" and a "
        "string \"text\" or \"blob\"",
        "content[0] of type resource needs a \"resource\" object",
        "content[1] must be a content block object",
        "content[0] needs a \"type\" of",
    };
    enum { VALID = 6 };
    for (int n = 0; n < VALID + (int)(sizeof invalid / sizeof *invalid); n++) {
        char args[32];
        snprintf(args, sizeof args, "{\"n\":%d}", n);
        for (int preferred = 0; preferred < 2; preferred++) {
            wc_call *c = wc_call_new(NULL, &(wc_call_io){.prefer_result_text = preferred});
            json_t *a = json_loads(args, 0, NULL), *res = NULL;
            wc_error err = {0};
            int index = wc_manifest_find_tool(wc_plugin_manifest(p), "blocks");
            CHECK(index >= 0 && wc_plugin_call_tool(p, (size_t)index, NULL, a, c, &res, &err) == 0,
                  "blocks %d: %s", n, err.msg);
            json_decref(a);
            const char *text = c->io.result_text;
            if (n < VALID) {
                CHECK((res && !is_error(res)) || (!res && text), "blocks %d (%s): %s", n,
                      preferred ? "text" : "parsed", res ? text_of(res) : "-");
            } else {
                char want[400];
                snprintf(want, sizeof want,
                         "plugin 'hostile' returned an invalid result from tool 'blocks': %s",
                         invalid[n - VALID]);
                CHECK(res && is_error(res) && !text && strstr(text_of(res), want),
                      "blocks %d (%s): got %s (text %s), want %s", n,
                      preferred ? "text" : "parsed", res ? text_of(res) : "-",
                      text ? text : "-", want);
            }
            json_decref(res);
            wc_call_free(c);
        }
    }

    /* block types the negotiated revision does not have */
    static const struct {
        int n;
        const char *revision, *want; /* want NULL: valid */
    } by_revision[] = {
        {1, "2024-11-05", "content[1] is of type audio, which protocol revision 2024-11-05 does "
                          "not have (it came with 2025-03-26)"},
        {1, "2025-03-26", NULL},
        {2, "2025-03-26", "content[0] is of type resource_link, which protocol revision "
                          "2025-03-26 does not have (it came with 2025-06-18)"},
        {2, "2025-06-18", NULL},
        {0, "2024-11-05", NULL},
    };
    for (size_t i = 0; i < sizeof by_revision / sizeof *by_revision; i++) {
        for (int preferred = 0; preferred < 2; preferred++) {
            wc_client_port client = {.min_log_level = 8,
                                     .protocol_version = by_revision[i].revision};
            wc_call *c = wc_call_new(&client, &(wc_call_io){.prefer_result_text = preferred});
            char args[32];
            snprintf(args, sizeof args, "{\"n\":%d}", by_revision[i].n);
            json_t *a = json_loads(args, 0, NULL), *res = NULL;
            wc_error err = {0};
            int index = wc_manifest_find_tool(wc_plugin_manifest(p), "blocks");
            CHECK(index >= 0 && wc_plugin_call_tool(p, (size_t)index, NULL, a, c, &res, &err) == 0,
                  "blocks: %s", err.msg);
            bool sent_text = c->io.result_text != NULL;
            if (!by_revision[i].want)
                CHECK(sent_text || (res && !is_error(res)), "blocks %d in %s: %s",
                      by_revision[i].n, by_revision[i].revision, res ? text_of(res) : "-");
            else
                CHECK(!sent_text && res && is_error(res) && strstr(text_of(res), by_revision[i].want),
                      "blocks %d in %s (%s): got %s", by_revision[i].n, by_revision[i].revision,
                      preferred ? "text" : "parsed", res ? text_of(res) : "-");
            json_decref(a);
            json_decref(res);
            wc_call_free(c);
        }
    }
    wc_plugin_free(p);
}

static void test_limits(void)
{
    wc_permissions perms = {.timeout_ms = 200, .memory_limit = 1 << 20, .max_output_bytes = 100000};
    wc_plugin *p = load("echo", GUEST("echo"), &perms);
    if (!p)
        return;
    double t0 = now();
    expect_error(p, "loop", NULL,
                 "tool 'loop' exceeded its time limit of 200 ms (raise plugins.echo.permissions.timeout_ms)",
                 true);
    double elapsed = now() - t0;
    CHECK(elapsed >= 0.15 && elapsed < 3, "deadline after %.3f s", elapsed);
    expect_echo(p, 4);
    expect_error(p, "grow", NULL,
                 "tool 'grow' of plugin 'echo' exceeded its memory limit of 1 MiB (raise "
                 "plugins.echo.permissions.memory_limit)", true);
    expect_echo(p, 5);
    expect_error(p, "big", NULL,
                 "tool 'big' of plugin 'echo' returned 200000 bytes, more than its output limit of "
                 "100000 bytes (raise plugins.echo.permissions.max_output_bytes)", true);
    expect_echo(p, 6);
    /* Arguments larger than the memory limit allows. */
    size_t n = 2 << 20;
    char *huge = malloc(n + 32);
    snprintf(huge, 16, "{\"text\":\"");
    memset(huge + 9, 'a', n);
    strcpy(huge + 9 + n, "\"}");
    expect_error(p, "echo", huge, "exceeded its memory limit of 1 MiB", false);
    free(huge);
    expect_echo(p, 7);
    wc_plugin_free(p);
}

/* ---- the ABI table ------------------------------------------------------ */

/* Native first, every ABI with a name, a load and a tool call; a command
 * plugin answers the other operations as not supported and is never
 * attempted (its stdio and exit are effects of their own). */
static void test_abi_table(void)
{
    size_t n = 0;
    for (const wc_plugin_abi *const *a = wc_plugin_abis; *a; a++, n++)
        CHECK((*a)->name && (*a)->load && (*a)->call_tool, "ABI %zu is incomplete", n);
    CHECK(n == 3 && wc_plugin_abis[0] == &wc_abi_native && wc_plugin_abis[1] == &wc_abi_extism &&
              wc_plugin_abis[2] == &wc_abi_command,
          "%zu ABIs", n);
    wc_plugin *p = load("cmdtool", GUEST("cmd_tool"), NULL);
    if (!p)
        return;
    json_t *res = NULL;
    wc_error err = {0};
    CHECK(wc_plugin_read_resource(p, "mem://a", NULL, &res, &err) ==
                  WC_ENOTSUP &&
              !res && strstr(err.msg, "does not export wasmcap_read_resource"),
          "read_resource: %s", err.msg);
    CHECK(wc_plugin_list_resources(p, NULL, &res, &err) == WC_ENOTSUP && !res,
          "list_resources: %s", err.msg);
    wc_call *c = wc_call_new(NULL, &(wc_call_io){.inline_budget_ms = 50});
    json_t *args = json_pack("{s:s}", "a", "x");
    int index = wc_manifest_find_tool(wc_plugin_manifest(p), "upper");
    int rc = index >= 0 ? wc_plugin_call_tool(p, (size_t)index, NULL, args, c, &res, &err)
                        : 0;
    CHECK(rc != 0 && !res && wc_call_attempt_aborted(c), "a command attempted: %d %s", rc, err.msg);
    json_decref(res);
    json_decref(args);
    wc_call_free(c);
    wc_plugin_free(p);
}

/* ---- cancellation ------------------------------------------------------ */

typedef struct cancel_job {
    wc_plugin *p;
    wc_call *call;
    json_t *res;
    double finished;
} cancel_job;

static void *run_loop(void *arg)
{
    cancel_job *job = arg;
    job->res = call_with(job->p, "loop", NULL, job->call);
    job->finished = now();
    return NULL;
}

static void test_cancel(void)
{
    wc_plugin *p = load("echo", GUEST("echo"), NULL); /* timeout 10 s */
    if (!p)
        return;
    cancel_job job = {.p = p, .call = wc_call_new(NULL, NULL)};
    pthread_t t;
    pthread_create(&t, NULL, run_loop, &job);
    usleep(100 * 1000);
    double cancelled = now();
    wc_call_cancel(job.call);
    pthread_join(t, NULL);
    CHECK(is_error(job.res) && strcmp(text_of(job.res), "cancelled") == 0, "cancel: %s", text_of(job.res));
    CHECK(job.finished - cancelled < 0.5, "cancel took %.3f s", job.finished - cancelled);
    json_decref(job.res);
    /* A call cancelled before it starts never runs. */
    json_t *res = call_with(p, "echo", "{}", job.call);
    CHECK(is_error(res) && strcmp(text_of(res), "cancelled") == 0, "pre-cancelled: %s", text_of(res));
    json_decref(res);
    wc_call_free(job.call);
    expect_echo(p, 8);
    wc_plugin_free(p);
}

/* ---- threads ----------------------------------------------------------- */

typedef struct thread_job {
    wc_plugin *p;
    int base, bad;
} thread_job;

static void *run_many(void *arg)
{
    thread_job *job = arg;
    int index = wc_manifest_find_tool(wc_plugin_manifest(job->p), "echo");
    for (int i = 0; i < 1000; i++) {
        json_t *args = json_pack("{s:i}", "n", job->base + i), *res = NULL;
        wc_error err;
        if (wc_plugin_call_tool(job->p, (size_t)index, NULL, args, NULL, &res, &err) != 0 ||
            json_integer_value(json_object_get(json_object_get(res, "structuredContent"), "n")) !=
                job->base + i)
            job->bad++;
        json_decref(res);
        json_decref(args);
    }
    return NULL;
}

static void test_threads(void)
{
    wc_plugin *p = load("echo", GUEST("echo"), NULL);
    if (!p)
        return;
    pthread_t t[4];
    thread_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (thread_job){p, i * 100000, 0};
        pthread_create(&t[i], NULL, run_many, &jobs[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK(jobs[i].bad == 0, "thread %d: %d bad calls", i, jobs[i].bad);
    }
    wc_plugin_free(p);
}

/* ---- host functions ---------------------------------------------------- */

static void expect_text(wc_plugin *p, const char *tool, const char *args, const char *want, bool err)
{
    json_t *res = call(p, tool, args);
    CHECK(is_error(res) == err && strstr(text_of(res), want), "%s: got \"%s\" (isError %d), want \"%s\"",
          tool, text_of(res), is_error(res), want);
    json_decref(res);
}

static void test_store(void)
{
    char kvdir[512];
    snprintf(kvdir, sizeof kvdir, "%s/kv", tmpdir);
    wc_kv *kv = NULL;
    wc_error err;
    wc_error kv_err = {0};
    CHECK(wc_kv_open(kvdir, 0, &kv, &kv_err) == 0, "kv: %s", kv_err.msg);
    char *env[] = {"GREETING=hello"};
    json_t *config = json_pack("{s:s}", "color", "blue");
    wc_permissions perms = {.kv_namespace = "store", .env = env, .n_env = 1, .config = config};
    wc_plugin_config pc = {.name = "store", .path = GUEST("store"), .perms = perms};
    wc_plugin *p = NULL;
    CHECK(wc_plugin_load(&pc, engine, kv, &p, &err) == 0, "load store: %s", err.msg);
    if (p) {
        expect_text(p, "put", "{\"key\": \"k1\", \"value\": \"v1\"}", "stored", false);
        expect_text(p, "get", "{\"key\": \"k1\"}", "value: v1", false);
        expect_text(p, "get", "{\"key\": \"nope\"}", "code -1", true);
        expect_text(p, "put", "{\"key\": \"k1\"}", "invalid arguments for tool 'put': at /: missing required property", true);
        expect_text(p, "env", NULL, "GREETING=hello", false);
        expect_text(p, "config", NULL, "color: blue", false);
        expect_text(p, "stderr", NULL, "logged", false);
        wc_plugin_free(p);
    }
    json_decref(config);

    /* A quota: the put that would exceed it fails, naming the setting. */
    wc_plugin_config quoted = {.name = "store", .path = GUEST("store"),
                               .perms = {.kv_namespace = "quoted", .kv_quota = 16}};
    p = NULL;
    CHECK(wc_plugin_load(&quoted, engine, kv, &p, &err) == 0, "load quoted store: %s", err.msg);
    if (p) {
        expect_text(p, "put", "{\"key\": \"k\", \"value\": \"0123456789\"}", "stored", false);
        expect_text(p, "put", "{\"key\": \"k2\", \"value\": \"0123456789\"}",
                    "code -4 kv: the put would make namespace 'quoted' hold 23 bytes of keys and values, over "
                    "plugins.store.permissions.kv_quota (16 bytes)", true);
        expect_text(p, "put", "{\"key\": \"k\", \"value\": \"012345678901234\"}", "stored", false);
        wc_plugin_free(p);
    }

    /* Nothing granted: kv is denied with the setting to change; warnings at load. */
    fflush(stderr);
    char logpath[512];
    snprintf(logpath, sizeof logpath, "%s/log", tmpdir);
    FILE *log = fopen(logpath, "w+");
    int saved = dup(2);
    dup2(fileno(log), 2);
    /* bus: the request asked for is covered by a wider grant; the publish is not granted */
    char *inventory_grant[] = {"inventory.>"};
    wc_plugin_config bare = {.name = "store", .path = GUEST("store"),
                             .perms = {.bus_request = inventory_grant, .n_bus_request = 1}};
    p = NULL;
    int rc = wc_plugin_load(&bare, engine, kv, &p, &err);
    if (p) {
        expect_text(p, "put", "{\"key\": \"k\", \"value\": \"v\"}", "plugins.store.permissions.kv_namespace",
                    true);
        expect_text(p, "env", NULL, "GREETING unset", false);
        expect_text(p, "stderr", NULL, "logged", false);
    }
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    CHECK(rc == 0, "load bare store: %s", err.msg);
    wc_plugin_free(p);
    uint8_t *text = NULL;
    size_t size = 0;
    CHECK(wc_read_file(logpath, 0, &text, &size) == 0, "log");
    const char *s = text ? (const char *)text : "";
    CHECK(strstr(s, "asks for kv, not granted: set plugins.store.permissions.kv_namespace"), "kv warning: %s", s);
    CHECK(strstr(s, "asks for environment variable GREETING"), "env warning");
    CHECK(strstr(s, "asks for config key color"), "config warning");
    CHECK(strstr(s, "asks for host api.example.com"), "host warning");
    CHECK(strstr(s, "asks for sampling"), "sampling warning");
    CHECK(strstr(s, "asks to publish on subject store.events.>, not granted: add it to "
                    "plugins.store.permissions.bus.publish"), "bus publish warning: %s", s);
    CHECK(!strstr(s, "asks to request"), "a covered request is not warned about: %s", s);
    CHECK(strstr(s, "first line") && strstr(s, "second line") && strstr(s, "\"plugin\":\"store\""),
          "stderr logged line by line: %s", s);
    free(text);
    fclose(log);
    wc_kv_close(kv);
}

/* ---- command ABI ------------------------------------------------------- */

static void test_command(void)
{
    char *env[] = {"GREETING=bonjour"};
    wc_permissions perms = {.env = env, .n_env = 1, .max_output_bytes = 100000};
    wc_plugin *p = load("cmdtool", GUEST("cmd_tool"), &perms);
    if (!p)
        return;
    CHECK(strcmp(wc_plugin_abi_name(p), "command") == 0, "command abi");
    json_t *res = call(p, "upper", "{\"a\": \"xy\"}");
    CHECK(!is_error(res) && strcmp(text_of(res), "{\"A\":\"XY\"}") == 0, "upper: %s", text_of(res));
    json_decref(res);
    res = call(p, "json", "{\"a\": 1}");
    json_t *sc = json_object_get(res, "structuredContent");
    CHECK(!is_error(res) && strcmp(json_string_value(json_object_get(sc, "program")), "cmdtool") == 0 &&
              json_integer_value(json_object_get(sc, "input_bytes")) == 7,
          "json: %s", text_of(res));
    json_decref(res);
    expect_text(p, "fail", "{}", "boom: the input was {}", true);
    expect_text(p, "failout", NULL, "bad input, try again", true);
    expect_text(p, "silent", NULL, "tool 'silent' exited with status 4", true);
    expect_text(p, "trap", NULL, "plugin 'cmdtool' trapped in tool 'trap': unreachable", true);
    expect_text(p, "flood", NULL, "(raise plugins.cmdtool.permissions.max_output_bytes)", true);
    expect_text(p, "env", NULL, "bonjour", false);
    expect_text(p, "typed", NULL, "has an outputSchema but returned no structuredContent", true);
    expect_text(p, "upper", "{}", "{}", false);
    wc_plugin_free(p);
}

/* ---- refusals at load --------------------------------------------------- */

static void with_sidecar(const char *guest, const char *manifest, const char *want)
{
    char wasm[512], side[512];
    snprintf(wasm, sizeof wasm, "%s/%s.wasm", tmpdir, guest);
    snprintf(side, sizeof side, "%s/%s.manifest.json", tmpdir, guest);
    uint8_t *bytes = NULL;
    size_t size = 0;
    char src[512];
    snprintf(src, sizeof src, "%s/guests/%s.wasm", WC_BINARY_DIR, guest);
    CHECK(wc_read_file(src, 0, &bytes, &size) == 0, "read %s", src);
    wc_write_file(wasm, bytes, size);
    free(bytes);
    if (manifest)
        wc_write_file(side, manifest, strlen(manifest));
    else
        unlink(side);
    load_fails(wasm, want);
}

static void test_refusals(void)
{
    load_fails("/nonexistent/x.wasm", "plugin 'broken': cannot read /nonexistent/x.wasm");
    load_fails(GUEST("badimport"), "plugin 'broken' imports wasmcap.teleport, which wasmcap does not provide");
    with_sidecar("noentry", NULL, "noentry.wasm has no manifest: no custom section 'wasmcap.manifest'");
    with_sidecar("noentry", "{\"name\": \"n\", \"tools\": [{\"name\": \"t\"}]}",
                 "has no entry point: expected an export wasmcap_call_tool");
    with_sidecar("bad", "{\"name\": \"b\"}",
                 "export 'wasmcap_call_tool' must have type (i32 i32 i32 i32) -> (i64)");
    with_sidecar("noentry", "{\"name\": \"n\", \"tools\": [{\"name\": 5}]}", "tools[0].name: expected a string");
    /* A module that does not decode. */
    char path[512];
    snprintf(path, sizeof path, "%s/junk.wasm", tmpdir);
    wc_write_file(path, "\0asm\2\0\0\0", 8);
    load_fails(path, "plugin 'broken': ");
    /* Initial memory over the limit. */
    wc_plugin_config pc = {.name = "tiny", .path = GUEST("store"), .perms = {.memory_limit = 1}};
    wc_plugin *p = NULL;
    wc_error err = {0};
    CHECK(wc_plugin_load(&pc, engine, NULL, &p, &err) == 0 || strstr(err.msg, "memory limit"),
          "tiny memory: %s", err.msg);
    wc_plugin_free(p);
}

/* ---- speed ------------------------------------------------------------- */

static void measure(void)
{
    wc_plugin *p = load("echo", GUEST("echo"), NULL);
    if (!p)
        return;
    int index = wc_manifest_find_tool(wc_plugin_manifest(p), "echo");
    json_t *args = json_pack("{s:s}", "text", "hi");
    wc_call *c = wc_call_new(NULL, NULL);
    int n = getenv("WC_PLUGIN_BENCH") ? atoi(getenv("WC_PLUGIN_BENCH")) : 20000;
    double t0 = now();
    for (int i = 0; i < n; i++) {
        json_t *res = NULL;
        wc_error err;
        wc_plugin_call_tool(p, (size_t)index, NULL, args, c, &res, &err);
        json_decref(res);
    }
    double dt = now() - t0;
    printf("echo tool calls, one thread: %.0f calls/s (%.2f us/call)\n", n / dt, dt / n * 1e6);
    wc_call_free(c);
    json_decref(args);
    wc_plugin_free(p);
}

int main(void)
{
    if (!(engine = test_fast_engine()))
        return 1;
    if (wc_make_temp_dir(tmpdir, sizeof tmpdir, "wc-plugin-test") != 0) {
        printf("FAIL: temp dir\n");
        return 1;
    }
    if (!getenv("WC_PLUGIN_BENCH")) { /* WC_PLUGIN_BENCH=N: only the measure, N calls */
        test_echo();
        test_result_text();
        test_result_shapes();
        test_limits();
        test_costly_schemas();
        test_content_blocks();
        test_cancel();
        test_threads();
        test_store();
        test_command();
        test_abi_table();
        test_refusals();
    }
    measure();
    char kvdir[512];
    snprintf(kvdir, sizeof kvdir, "%s/kv", tmpdir);
    wc_remove_dir(kvdir);
    wc_remove_dir(tmpdir);
    wc_engine_free(engine);
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    printf("test_plugin: all passed\n");
    return 0;
}
