/* test_schema_ref.c -- references across schema documents (json/schema_ref.h):
 * the set, the three ways to name a type, bundling, and what is refused
 * with its location: targets that are missing, cycles that never descend,
 * anchors across documents, and work past the bounds. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json/schema_ref.h"

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);
    if (!v)
        printf("bad test JSON: %s: %s\n", e.text, text);
    return v;
}

static void add(wc_schema_docs *docs, const char *text, const char *source)
{
    json_t *doc = parse(text);
    wc_error err = {0};
    CHECK(doc && wc_schema_docs_add(docs, doc, source, &err) == 0, "add %s: %s", source, err.msg);
    json_decref(doc);
}

/* A set of the logistics kind: two documents referring to each other, one
 * with a nested resource. */
static wc_schema_docs *sample_docs(void)
{
    wc_schema_docs *docs = wc_schema_docs_new();
    add(docs, "{\"$id\": \"https://x.test/onto/RiskScore.json\", \"type\": \"number\","
              " \"minimum\": 0, \"maximum\": 1}", "RiskScore.json");
    add(docs, "{\"$id\": \"https://x.test/onto/Assessment.json\", \"type\": \"object\","
              " \"properties\": {\"p\": {\"$ref\": \"RiskScore.json\"},"
              "   \"action\": {\"$ref\": \"#/$defs/Action\"},"
              "   \"next\": {\"$ref\": \"Assessment.json\"},"
              "   \"code\": {\"$ref\": \"Code.json\"}},"
              " \"required\": [\"p\"],"
              " \"$defs\": {\"Action\": {\"enum\": [\"Hold\", \"Expedite\"]},"
              "   \"Code\": {\"$id\": \"Code.json\", \"type\": \"string\", \"pattern\": \"^[A-Z]+$\","
              "     \"$defs\": {\"Short\": {\"maxLength\": 3}}, \"allOf\": [{\"$ref\": \"#/$defs/Short\"}]}}}",
          "Assessment.json");
    return docs;
}

static int validate(const wc_schema *s, const char *instance)
{
    json_t *v = parse(instance);
    wc_error err = {0};
    int ok = wc_schema_validate(s, v, &err);
    json_decref(v);
    return ok;
}

static void test_set(void)
{
    wc_schema_docs *docs = sample_docs();
    CHECK(wc_schema_docs_count(docs) == 3, "resources: %zu", wc_schema_docs_count(docs));
    const wc_schema_resource *code = wc_schema_docs_find(docs, "ontology:Code");
    CHECK(code && strcmp(code->id, "https://x.test/onto/Code.json") == 0 &&
              strcmp(code->path, "/$defs/Code") == 0,
          "nested resource: %s %s", code ? code->id : "-", code ? code->path : "-");
    CHECK(wc_schema_docs_find(docs, "https://x.test/onto/RiskScore.json") != NULL, "by $id");
    CHECK(!wc_schema_docs_find(docs, "ontology:Nope"), "unknown name");

    wc_error err = {0};
    json_t *doc = parse("{\"type\": \"string\"}");
    CHECK(wc_schema_docs_add(docs, doc, "noid.json", &err) == WC_EINVAL &&
              strstr(err.msg, "noid.json: a schema document needs an absolute \"$id\""),
          "no $id: %s", err.msg);
    json_decref(doc);
    doc = parse("{\"$id\": \"https://other.test/RiskScore.json\"}");
    CHECK(wc_schema_docs_add(docs, doc, "dup.json", &err) == WC_EINVAL &&
              strstr(err.msg, "the name of \"https://other.test/RiskScore.json\" is also the name of "
                              "https://x.test/onto/RiskScore.json"),
          "duplicate name: %s", err.msg);
    json_decref(doc);
    doc = parse("{\"$id\": \"https://x.test/onto/RiskScore.json\"}");
    CHECK(wc_schema_docs_add(docs, doc, "dup2.json", &err) == WC_EINVAL && strstr(err.msg, "the $id"),
          "duplicate $id: %s", err.msg);
    json_decref(doc);
    CHECK(wc_schema_docs_count(docs) == 3, "a refused document leaves the set as it was");
    wc_schema_docs_release(docs);
}

/* Bundling copies the documents, or, once the set is prepared, shares
 * their prepared copies: the same schemas either way. */
static void test_bundle(bool prepared)
{
    wc_schema_docs *docs = sample_docs();
    wc_error prep = {0};
    if (prepared)
        CHECK(wc_schema_docs_prepare(docs, &prep) == 0, "prepare: %s", prep.msg);
    static const char *const forms[] = {
        "{\"type\": \"object\", \"$ref\": \"ontology:Assessment\"}",
        "{\"type\": \"object\", \"$ref\": \"https://x.test/onto/Assessment.json\"}",
        "{\"$id\": \"https://x.test/onto/tool.json\", \"type\": \"object\", \"$ref\": \"Assessment.json\"}",
        "{\"$id\": \"https://x.test/tools/t.json\", \"type\": \"object\", \"$ref\": \"../onto/Assessment.json\"}",
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        json_t *schema = parse(forms[i]), *bundled = NULL;
        wc_error err = {0};
        wc_schema *s = wc_schema_compile_in(docs, schema, &bundled, &err);
        CHECK(s != NULL, "form %zu: %s", i, err.msg);
        if (s) {
            CHECK(validate(s, "{\"p\": 0.5, \"action\": \"Hold\", \"code\": \"AB\"}"), "form %zu valid", i);
            CHECK(!validate(s, "{\"p\": 1.5}"), "form %zu: the bound of RiskScore", i);
            CHECK(!validate(s, "{\"action\": \"Hold\"}"), "form %zu: required", i);
            CHECK(!validate(s, "{\"p\": 0, \"action\": \"Go\"}"), "form %zu: local $defs", i);
            CHECK(!validate(s, "{\"p\": 0, \"code\": \"ab\"}"), "form %zu: nested resource", i);
            CHECK(!validate(s, "{\"p\": 0, \"code\": \"ABCD\"}"), "form %zu: its own #/$defs", i);
            CHECK(!validate(s, "{\"p\": 0, \"next\": {\"p\": 2}}"), "form %zu: recursion", i);
            /* self-contained: no $id inside, every $ref local */
            char *text = json_dumps(bundled, JSON_COMPACT);
            CHECK(text && !strstr(text, "\"$ref\":\"ontology:") && !strstr(text, "\"$ref\":\"https:") &&
                      !strstr(text, "\"$ref\":\"Risk") && strstr(text, "ontology:RiskScore"),
                  "form %zu bundle: %s", i, text);
            /* and the bundle compiles on its own */
            wc_error why = {0};
            wc_schema *again = wc_schema_compile(bundled, &why);
            CHECK(again != NULL, "bundle alone: %s", why.msg);
            wc_schema_free(again);
            free(text);
        }
        wc_schema_free(s);
        json_decref(bundled);
        json_decref(schema);
    }
    /* a schema without outside refs is itself */
    json_t *plain = parse("{\"type\": \"object\"}"), *out = NULL;
    wc_error err = {0};
    CHECK(wc_schema_bundle(docs, plain, &out, &err) == 0 && out == plain, "no refs: the same value");
    json_decref(out);
    json_decref(plain);
    wc_schema_docs_release(docs);
}

static void refused(const wc_schema_docs *docs, const char *schema_text, int code, const char *want)
{
    json_t *schema = parse(schema_text);
    wc_error err = {0};
    wc_schema *s = wc_schema_compile_in(docs, schema, NULL, &err);
    CHECK(!s && (!code || err.code == code) && strstr(err.msg, want), "%s: got %d \"%s\"",
          schema_text, err.code, err.msg);
    wc_schema_free(s);
    json_decref(schema);
}

static void test_refusals(void)
{
    wc_schema_docs *docs = sample_docs();
    refused(docs, "{\"properties\": {\"x\": {\"$ref\": \"ontology:Nope\"}}}", WC_ENOTFOUND,
            "at #/properties/x/$ref: $ref \"ontology:Nope\" names no ontology type");
    refused(NULL, "{\"properties\": {\"x\": {\"$ref\": \"ontology:RiskScore\"}}}", WC_ENOTFOUND,
            "names no ontology type (no ontology is configured)");
    refused(docs, "{\"$ref\": \"Assessment.json\"}", WC_ENOTFOUND,
            "is relative and there is no base URI");
    refused(docs, "{\"$ref\": \"ontology:Assessment#/properties/nothing\"}", WC_ENOTFOUND,
            "does not point to anything in https://x.test/onto/Assessment.json");
    refused(docs, "{\"$ref\": \"ontology:Assessment#anchor\"}", WC_ENOTSUP,
            "an anchor (\"#name\") is not supported across documents");
    refused(docs, "{\"$defs\": {\"ontology:RiskScore\": {}}, \"$ref\": \"ontology:RiskScore\"}",
            WC_EINVAL, "the schema defines this name itself");

    /* missing targets inside an ontology document: located there */
    wc_error err = {0};
    wc_schema_docs *broken = wc_schema_docs_new();
    add(broken, "{\"$id\": \"https://x.test/b/A.json\", \"properties\": {\"y\": {\"$ref\": \"Gone.json\"}}}",
        "A.json");
    refused(broken, "{\"$ref\": \"ontology:A\"}", WC_ENOTFOUND,
            "in https://x.test/b/A.json at #/properties/y/$ref: $ref \"Gone.json\" names no ontology type");
    CHECK(wc_schema_docs_prepare(broken, &err) == WC_ENOTFOUND &&
              strstr(err.msg, "in https://x.test/b/A.json at #/properties/y/$ref"),
          "prepare finds it too: %s", err.msg);
    /* a cycle across documents that never descends into the value */
    add(broken, "{\"$id\": \"https://x.test/b/P.json\", \"$ref\": \"Q.json\"}", "P.json");
    add(broken, "{\"$id\": \"https://x.test/b/Q.json\", \"anyOf\": [{\"$ref\": \"P.json\"}]}", "Q.json");
    refused(broken, "{\"$ref\": \"ontology:P\"}", 0, "leads back to a schema applied to the same");
    /* while a cycle through a property is a recursive type, and fine */
    add(broken, "{\"$id\": \"https://x.test/b/Tree.json\", \"type\": \"object\","
                " \"properties\": {\"kids\": {\"type\": \"array\", \"items\": {\"$ref\": \"Tree.json\"}}}}",
        "Tree.json");
    json_t *tree = parse("{\"$ref\": \"ontology:Tree\"}");
    wc_schema *s = wc_schema_compile_in(broken, tree, NULL, &err);
    CHECK(s && validate(s, "{\"kids\": [{\"kids\": []}]}") && !validate(s, "{\"kids\": [{\"kids\": 1}]}"),
          "recursive type: %s", err.msg);
    wc_schema_free(s);
    json_decref(tree);
    wc_schema_docs_release(broken);
    wc_schema_docs_release(docs);
}

/* Hostile sizes stay bounded: a document nested past the limit is refused
 * when added, and a bundle walking too many values stops. */
static void test_bounds(void)
{
    wc_schema_docs *docs = wc_schema_docs_new();
    size_t depth = WC_SCHEMA_REF_MAX_DEPTH + 10;
    char *deep = malloc(depth * 20 + 200);
    size_t n = (size_t)sprintf(deep, "{\"$id\": \"https://x.test/deep/D.json\", \"items\": ");
    for (size_t i = 0; i < depth; i++)
        n += (size_t)sprintf(deep + n, "{\"items\": ");
    n += (size_t)sprintf(deep + n, "true");
    for (size_t i = 0; i < depth + 1; i++)
        deep[n++] = '}';
    deep[n] = '\0';
    json_t *doc = parse(deep);
    wc_error err = {0};
    CHECK(doc && wc_schema_docs_add(docs, doc, "D.json", &err) == WC_ETOOBIG &&
              strstr(err.msg, "D.json"),
          "deep document: %s", err.msg);
    json_decref(doc);
    free(deep);

    /* a wide document: more values than a bundling may walk */
    json_t *wide = json_pack("{s:s}", "$id", "https://x.test/wide/W.json");
    json_t *props = json_object();
    for (size_t i = 0; i < WC_SCHEMA_REF_MAX_NODES / 2 + 10; i++) {
        char key[24];
        snprintf(key, sizeof key, "p%zu", i);
        json_object_set_new(props, key, json_pack("{s:s}", "type", "string"));
    }
    json_object_set_new(wide, "properties", props);
    CHECK(wc_schema_docs_add(docs, wide, "W.json", &err) == 0, "wide: %s", err.msg);
    json_decref(wide);
    json_t *schema = parse("{\"$ref\": \"ontology:W\"}"), *out = NULL;
    CHECK(wc_schema_bundle(docs, schema, &out, &err) == WC_ETOOBIG && !out &&
              strstr(err.msg, "more than"),
          "wide bundle: %s", err.msg);
    json_decref(schema);
    wc_schema_docs_release(docs);
}

int main(void)
{
    test_set();
    test_bundle(false);
    test_bundle(true);
    test_refusals();
    test_bounds();
    if (failures)
        return 1;
    printf("test_schema_ref: %d checks passed\n", checks);
    return 0;
}
