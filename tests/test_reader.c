/* test_reader.c -- json/reader.h: every getter, its errors with their
 * paths (members, array indexes, nested objects, a named root), bounds,
 * unknown keys, the first error winning, expansion and relative paths.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/reader.h"

#include "check.h"

static json_t *doc;
static wc_reader reader;

/* A fresh reader over text; the root node of the document. */
static wc_rnode start(const char *text, const char *source, const char *name)
{
    json_decref(doc);
    doc = json_loads(text, JSON_DECODE_ANY, NULL);
    if (!doc)
        printf("bad test JSON: %s\n", text);
    wc_reader_init(&reader, source);
    return wc_reader_root(&reader, doc, name);
}

static void expect_error(const char *want, const char *what)
{
    CHECK(reader.failed, "%s: no error (want %s)", what, want);
    CHECK(strcmp(reader.error, want) == 0, "%s:\n  got:  %s\n  want: %s", what, reader.error, want);
}

static void test_strings(void)
{
    wc_rnode root = start("{\"a\": \"x\", \"e\": \"\", \"n\": 1}", NULL, NULL);
    wc_rnode a = wc_rnode_member(&root, "a"), e = wc_rnode_member(&root, "e");
    wc_rnode n = wc_rnode_member(&root, "n"), missing = wc_rnode_member(&root, "missing");
    char *s = NULL;
    const char *t = NULL;
    CHECK(wc_rnode_string(&a, 0, &s) && strcmp(s, "x") == 0, "string");
    free(s);
    CHECK(wc_rnode_text(&a, WC_READ_NONEMPTY, &t) && t == json_string_value(json_object_get(doc, "a")),
          "text is borrowed");
    s = NULL;
    CHECK(!wc_rnode_string(&missing, 0, &s) && !s && !reader.failed, "absent: nothing, no error");
    CHECK(wc_rnode_string(&e, 0, &s) && strcmp(s, "") == 0, "empty allowed");
    free(s);
    CHECK(!wc_rnode_string(&e, WC_READ_NONEMPTY, &s), "empty refused");
    expect_error("e: expected a non-empty string", "nonempty");

    root = start("{\"n\": 1}", NULL, NULL);
    n = wc_rnode_member(&root, "n");
    CHECK(!wc_rnode_text(&n, 0, &t), "number as text");
    expect_error("n: expected a string", "type");

    root = start("{\"p\": \"\"}", NULL, NULL);
    wc_rnode p = wc_rnode_member(&root, "p");
    CHECK(!wc_rnode_path(&p, WC_READ_NONEMPTY, &s), "empty path");
    expect_error("p: expected a non-empty path", "path");
}

static void test_paths(void)
{
    wc_rnode root = start("{\"rel\": \"sub/f\", \"abs\": \"/x/f\", \"empty\": \"\"}", NULL, NULL);
    reader.base_dir = "/etc/wc";
    const char *keys[] = {"rel", "abs", "empty"}, *want[] = {"/etc/wc/sub/f", "/x/f", ""};
    for (int i = 0; i < 3; i++) {
        wc_rnode m = wc_rnode_member(&root, keys[i]);
        char *s = NULL;
        CHECK(wc_rnode_path(&m, 0, &s) && strcmp(s, want[i]) == 0, "%s: %s", keys[i], s);
        free(s);
    }
    reader.base_dir = NULL;
    wc_rnode m = wc_rnode_member(&root, "rel");
    char *s = NULL;
    CHECK(wc_rnode_path(&m, 0, &s) && strcmp(s, "sub/f") == 0, "no base: %s", s);
    free(s);
}

static void test_numbers(void)
{
    wc_rnode root = start("{\"i\": 5, \"big\": 5000, \"neg\": -1, \"r\": 1.5, \"s\": \"5\", \"b\": true}",
                          "f.json", NULL);
    wc_rnode i = wc_rnode_member(&root, "i");
    long long v = 0;
    CHECK(wc_rnode_int(&i, 1, 10, &v) && v == 5, "int");
    CHECK(wc_rnode_int(&i, 5, 5, &v) && v == 5, "bounds are inclusive");
    bool b = false;
    wc_rnode bn = wc_rnode_member(&root, "b");
    CHECK(wc_rnode_bool(&bn, &b) && b, "bool");
    uint32_t ms = 0;
    CHECK(wc_rnode_ms(&i, 1, 10, &ms) && ms == 5, "ms");

    struct {
        const char *key;
        long long min, max;
        const char *want;
    } ints[] = {
        {"big", 0, 1024, "f.json: big: expected an integer from 0 to 1024"},
        {"neg", 0, LLONG_MAX, "f.json: neg: expected a non-negative integer"},
        {"neg", 1, LLONG_MAX, "f.json: neg: expected a positive integer"},
        {"i", 7, LLONG_MAX, "f.json: i: expected an integer of at least 7"},
        {"r", 0, 10, "f.json: r: expected an integer from 0 to 10"},
        {"s", -1, 10, "f.json: s: expected an integer from -1 to 10"},
    };
    for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++) {
        root = start("{\"i\": 5, \"big\": 5000, \"neg\": -1, \"r\": 1.5, \"s\": \"5\"}", "f.json", NULL);
        wc_rnode m = wc_rnode_member(&root, ints[k].key);
        v = 42;
        CHECK(!wc_rnode_int(&m, ints[k].min, ints[k].max, &v) && v == 42, "%s refused, untouched", ints[k].key);
        expect_error(ints[k].want, ints[k].key);
    }
    root = start("{\"t\": 0}", NULL, NULL);
    wc_rnode t = wc_rnode_member(&root, "t");
    CHECK(!wc_rnode_ms(&t, 1, 1000, &ms), "ms bound");
    expect_error("t: expected a duration in milliseconds from 1 to 1000", "ms");
    root = start("{\"b\": 1}", NULL, NULL);
    bn = wc_rnode_member(&root, "b");
    CHECK(!wc_rnode_bool(&bn, &b), "1 is not a bool");
    expect_error("b: expected true or false", "bool");
}

static void test_sizes(void)
{
    struct {
        const char *value;
        uint64_t min, max, want;
        const char *error;
    } cases[] = {
        {"4096", 1, UINT64_MAX, 4096, NULL},
        {"\"64KiB\"", 1, UINT64_MAX, 64u << 10, NULL},
        {"\"16M\"", 1, UINT64_MAX, 16u << 20, NULL},
        {"\"1G\"", 1u << 20, 1ull << 30, 1u << 30, NULL},
        {"0", 1, UINT64_MAX, 0, "s: expected a positive size"},
        {"-5", 1, UINT64_MAX, 0, "s: expected a positive size"},
        {"\"64 MiB\"", 1, UINT64_MAX, 0,
         "s: '64 MiB' is not a positive size (examples: 4096, \"64K\", \"16MiB\", \"1G\")"},
        {"\"0K\"", 1, UINT64_MAX, 0, "s: '0K' is not a positive size (examples: 4096, \"64K\", \"16MiB\", \"1G\")"},
        {"true", 1, UINT64_MAX, 0, "s: expected a size (an integer or a string such as \"64MiB\")"},
        {"\"1K\"", 64u << 10, 4ull << 30, 0, "s: must be between 64KiB and 4GiB"},
        {"\"2G\"", 1, 1ull << 30, 0, "s: must be at most 1GiB"},
        {"100", 1000, UINT64_MAX, 0, "s: must be at least 1000 bytes"},
        {"\"2T\"", 1u << 20, 1ull << 40, 0, "s: must be between 1MiB and 1TiB"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "{\"s\": %s}", cases[i].value);
        wc_rnode root = start(text, NULL, NULL);
        wc_rnode s = wc_rnode_member(&root, "s");
        uint64_t n = 7;
        bool ok = wc_rnode_size(&s, cases[i].min, cases[i].max, &n);
        if (!cases[i].error) {
            CHECK(ok && n == cases[i].want, "%s: %llu", cases[i].value, (unsigned long long)n);
        } else {
            CHECK(!ok && n == 7, "%s accepted", cases[i].value);
            expect_error(cases[i].error, cases[i].value);
        }
    }
}

static void test_arrays(void)
{
    wc_rnode root = start("{\"list\": [\"a\", \"b\"], \"mixed\": [\"a\", 2], \"empty\": [\"\"], \"no\": {}}",
                          NULL, "cfg");
    wc_rnode list = wc_rnode_member(&root, "list");
    char **items = NULL;
    size_t n = 0;
    CHECK(wc_rnode_strings(&list, 0, &items, &n) && n == 2 && strcmp(items[1], "b") == 0, "strings");
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
    const char **texts = NULL;
    CHECK(wc_rnode_texts(&list, 0, &texts, &n) && n == 2 && texts[2] == NULL, "texts end with NULL");
    free(texts);
    CHECK(wc_rnode_array(&list, NULL) && wc_rnode_count(&list) == 2, "array");
    wc_rnode item = wc_rnode_item(&list, 1);
    CHECK(!wc_rnode_fail(&item, "no"), "fail returns false");
    expect_error("cfg.list[1]: no", "item path under a named root");

    root = start("{\"mixed\": [\"a\", 2]}", NULL, "cfg");
    wc_rnode mixed = wc_rnode_member(&root, "mixed");
    items = NULL;
    CHECK(!wc_rnode_strings(&mixed, 0, &items, &n) && !items, "mixed refused, nothing kept");
    expect_error("cfg.mixed[1]: expected a string", "strings");

    root = start("{\"empty\": [\"\"]}", NULL, "cfg");
    wc_rnode empty = wc_rnode_member(&root, "empty");
    CHECK(!wc_rnode_texts(&empty, WC_READ_NONEMPTY, &texts, &n), "empty item");
    expect_error("cfg.empty[0]: expected a non-empty string", "nonempty item");

    root = start("{\"no\": {}}", NULL, "cfg");
    wc_rnode no = wc_rnode_member(&root, "no");
    CHECK(!wc_rnode_strings(&no, 0, &items, &n), "object as array");
    expect_error("cfg.no: expected an array of strings", "array type");
    root = start("{\"no\": 1}", NULL, "cfg");
    no = wc_rnode_member(&root, "no");
    CHECK(!wc_rnode_array(&no, "an array of host names"), "custom what");
    expect_error("cfg.no: expected an array of host names", "custom what");
}

static void test_nesting(void)
{
    const char *text = "{\"plugins\": {\"notes\": {\"permissions\": {\"kv_namespace\": 3, "
                       "\"hosts\": [[\"ok\", {\"deep\": false}]]}}}}";
    wc_rnode root = start(text, "wasmcap.json", NULL);
    wc_rnode plugins = wc_rnode_member(&root, "plugins");
    CHECK(wc_rnode_object(&plugins, NULL), "object");
    void *iter = NULL;
    wc_rnode plugin;
    CHECK(wc_rnode_next(&plugins, &iter, &plugin) && strcmp(plugin.key, "notes") == 0, "next");
    wc_rnode perms = wc_rnode_member(&plugin, "permissions");
    wc_rnode hosts = wc_rnode_member(&perms, "hosts");
    wc_rnode inner = wc_rnode_item(&hosts, 0);
    wc_rnode obj = wc_rnode_item(&inner, 1);
    wc_rnode deep = wc_rnode_member(&obj, "deep");
    char path[256];
    wc_rnode_path_text(&deep, path, sizeof path);
    CHECK(strcmp(path, "plugins.notes.permissions.hosts[0][1].deep") == 0, "path %s", path);
    wc_rnode ns = wc_rnode_member(&perms, "kv_namespace");
    char *s;
    CHECK(!wc_rnode_string(&ns, 0, &s), "number as string");
    expect_error("wasmcap.json: plugins.notes.permissions.kv_namespace: expected a string", "the issue's example");
    CHECK(!wc_rnode_next(&plugins, &iter, &plugin), "nothing after a failure");

    root = start("[1]", "f", NULL);
    CHECK(!wc_rnode_object(&root, NULL), "array as object");
    expect_error("f: expected an object", "root type, no path");
}

static void test_unknown_keys(void)
{
    wc_rnode root = start("{\"name\": \"x\", \"nmae\": 1, \"size\": 2}", NULL, "server");
    wc_rnode name = wc_rnode_member(&root, "name");
    wc_rnode size = wc_rnode_member(&root, "size");
    (void)name;
    (void)size;
    CHECK(!wc_rnode_done(&root), "unknown key accepted");
    expect_error("server.nmae: unknown key (expected one of: name, size)", "unknown");

    root = start("{\"a\": 1}", NULL, NULL);
    wc_rnode a = wc_rnode_member(&root, "a");
    (void)a;
    CHECK(wc_rnode_done(&root) && !reader.failed, "all known");

    root = start("{\"x\": 1, \"y\": 2}", NULL, NULL);
    void *iter = NULL;
    wc_rnode m;
    while (wc_rnode_next(&root, &iter, &m))
        ;
    CHECK(wc_rnode_done(&root), "iterated members are known");

    root = start("{\"x\": 1}", NULL, NULL);
    CHECK(!wc_rnode_done(&root), "an object asking nothing knows nothing");
    expect_error("x: unknown key (no key is expected here)", "none known");
}

static void test_first_error_wins(void)
{
    wc_rnode root = start("{\"a\": 1, \"b\": \"x\", \"c\": \"y\"}", "f", NULL);
    wc_rnode a = wc_rnode_member(&root, "a"), b = wc_rnode_member(&root, "b");
    char *s = NULL;
    CHECK(!wc_rnode_string(&a, 0, &s), "first error");
    CHECK(!wc_rnode_string(&b, 0, &s) && !s, "a later getter does nothing");
    wc_rnode c = wc_rnode_member(&root, "c");
    wc_rnode_fail(&c, "second");
    CHECK(!wc_rnode_present(&b), "nothing is present after a failure");
    expect_error("f: a: expected a string", "first kept");
    wc_error err;
    CHECK(wc_reader_result(&reader, &err) == WC_EINVAL && err.code == WC_EINVAL &&
              strcmp(err.msg, "f: a: expected a string") == 0,
          "result: %d %s", err.code, err.msg);
    CHECK(wc_reader_result(&reader, NULL) == WC_EINVAL, "result without a carrier");
    root = start("{}", NULL, NULL);
    CHECK(wc_reader_result(&reader, &err) == 0, "no error");
    wc_rnode r = wc_rnode_member(&root, "r");
    CHECK(!wc_rnode_require(&r), "required");
    expect_error("r: required", "required");
}

/* Replaces "$X" wholes with "ex"; "$BAD" fails. */
static int expand(void *ctx, const char *in, size_t len, char **out, wc_error *err)
{
    (*(int *)ctx)++;
    if (len == 4 && memcmp(in, "$BAD", 4) == 0)
        return wc_error_set(err, WC_EINVAL, "BAD is not set");
    *out = len == 2 && memcmp(in, "$X", 2) == 0 ? strdup("ex") : strndup(in, len);
    return 0;
}

static void test_expansion_and_copy(void)
{
    int calls = 0;
    wc_rnode root = start("{\"s\": \"$X\", \"tree\": {\"k\": [\"$X\", 1, {\"d\": \"$X\"}], \"t\": \"plain\"}}",
                          NULL, NULL);
    reader.expand = expand;
    reader.expand_ctx = &calls;
    wc_rnode s = wc_rnode_member(&root, "s");
    char *v = NULL;
    CHECK(wc_rnode_string(&s, 0, &v) && strcmp(v, "ex") == 0, "expanded: %s", v);
    free(v);
    const char *t;
    CHECK(wc_rnode_text(&s, 0, &t) && strcmp(t, "$X") == 0, "text is as written");
    wc_rnode tree = wc_rnode_member(&root, "tree");
    json_t *copy = NULL;
    CHECK(wc_rnode_copy(&tree, &copy), "copy");
    json_t *k = json_object_get(copy, "k");
    CHECK(strcmp(json_string_value(json_array_get(k, 0)), "ex") == 0 &&
              json_integer_value(json_array_get(k, 1)) == 1 &&
              strcmp(json_string_value(json_object_get(json_array_get(k, 2), "d")), "ex") == 0 &&
              strcmp(json_string_value(json_object_get(copy, "t")), "plain") == 0, "copied, expanded");
    json_decref(copy);
    CHECK(calls == 4, "expand calls: %d", calls);

    root = start("{\"tree\": {\"k\": [\"ok\", {\"d\": \"$BAD\"}]}}", "f", NULL);
    reader.expand = expand;
    reader.expand_ctx = &calls;
    tree = wc_rnode_member(&root, "tree");
    copy = NULL;
    CHECK(!wc_rnode_copy(&tree, &copy) && !copy, "copy refused");
    expect_error("f: tree.k[1].d: BAD is not set", "expansion error path");
}

static void test_load(void)
{
    wc_reader_init(&reader, "m.json");
    CHECK(!wc_reader_load(&reader, "{\"a\": 1, \"a\": 2}", 16), "duplicate keys");
    expect_error("m.json: invalid JSON at line 1, column 12: duplicate object key near '\"a\"'", "load");
    wc_reader_init(&reader, NULL);
    json_t *j = wc_reader_load(&reader, "[]", 2);
    CHECK(j && !reader.failed, "loaded");
    json_decref(j);
    CHECK(!wc_reader_fail(&reader, "plain %d", 1), "fail");
    expect_error("plain 1", "no source, no path");
}

int main(void)
{
    test_strings();
    test_paths();
    test_numbers();
    test_sizes();
    test_arrays();
    test_nesting();
    test_unknown_keys();
    test_first_error_wins();
    test_expansion_and_copy();
    test_load();
    json_decref(doc);
    if (failures) {
        printf("%d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test_reader: all %d checks passed\n", checks);
    return 0;
}
