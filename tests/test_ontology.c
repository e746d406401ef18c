/* test_ontology.c -- the shared ontology (ontology/ontology.h): loading the
 * folder, the structural subschema check, and the drift suite: each small
 * manifest change that breaks the ontology is caught by the right rule with
 * the right message, and a compatible refinement is accepted. */
#define _GNU_SOURCE /* asprintf */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ontology/ontology.h"
#include "ontology/subset.h"
#include "util/fs.h"

static wc_ontology *onto;

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    if (!v)
        printf("bad test JSON: %s: %s\n", e.text, text);
    return v;
}

/* ---- subset -------------------------------------------------------------- */

static int subset(const char *small, const char *big, wc_subset_result *r)
{
    json_t *s = parse(small), *b = parse(big);
    int v = wc_subset(wc_ontology_docs(onto), (wc_schema_view){s, NULL, s},
                      (wc_schema_view){b, NULL, b}, NULL, NULL, r);
    json_decref(s);
    json_decref(b);
    return v;
}

static void expect_subset(const char *small, const char *big, int want, const char *reason)
{
    wc_subset_result r;
    int got = subset(small, big, &r);
    CHECK(got == want && (!reason || strstr(r.reason, reason)), "%s ⊆ %s: got %d \"%s\" at \"%s\"",
          small, big, got, r.reason, r.where);
}

static void test_subset(void)
{
    enum { NO = WC_SUBSET_NO, YES = WC_SUBSET_YES, UNKNOWN = WC_SUBSET_UNKNOWN };
    expect_subset("{\"type\": \"integer\"}", "{\"type\": \"number\"}", YES, NULL);
    /* an allOf beside keywords of its own, no part fitting alone: the
     * keywords beside it were read after they were freed (fuzz_ontology) */
    expect_subset("{\"allOf\": [{\"type\": \"integer\"}, {\"minimum\": 0}], \"maximum\": 5}",
                  "{\"type\": \"string\"}", UNKNOWN, "no part of allOf fits alone");
    /* an allOf of one part is that part, its reason included (fuzz_ontology:
     * the verdict came back with no reason) */
    expect_subset("{\"allOf\": [{\"$ref\": \"ontologinteger\"}]}", "{\"type\": \"string\"}",
                  UNKNOWN, "ontologinteger");
    expect_subset("{\"allOf\": [{\"type\": \"integer\"}]}", "{\"type\": \"string\"}", NO,
                  "type integer");
    expect_subset("{\"allOf\": []}", "{\"type\": \"string\"}", NO, "has type any type");
    expect_subset("{\"type\": \"number\"}", "{\"type\": \"integer\"}", NO, "this schema has type number where the ontology has integer");
    expect_subset("{}", "{\"type\": \"string\"}", NO, "has type any type");
    expect_subset("{\"type\": \"string\"}", "{}", YES, NULL);
    expect_subset("{\"type\": \"number\", \"minimum\": 0, \"maximum\": 0.5}",
                  "{\"type\": \"number\", \"minimum\": 0, \"maximum\": 1}", YES, NULL);
    expect_subset("{\"type\": \"number\", \"exclusiveMinimum\": 0}",
                  "{\"type\": \"number\", \"minimum\": 0}", YES, NULL);
    expect_subset("{\"type\": \"number\", \"minimum\": 0}",
                  "{\"type\": \"number\", \"exclusiveMinimum\": 0}", NO, "this schema has minimum 0 where the ontology has exclusive minimum 0");
    expect_subset("{\"type\": \"integer\", \"minimum\": 1}",
                  "{\"type\": \"integer\", \"exclusiveMinimum\": 0}", YES, NULL);
    expect_subset("{\"type\": \"number\"}", "{\"type\": \"number\", \"maximum\": 1}", NO,
                  "has no maximum where the ontology has maximum 1");
    expect_subset("{\"enum\": [\"a\", \"b\"]}", "{\"type\": \"string\", \"enum\": [\"a\", \"b\", \"c\"]}", YES, NULL);
    expect_subset("{\"enum\": [\"a\", \"z\"]}", "{\"enum\": [\"a\", \"b\"]}", NO, "enum member \"z\"");
    expect_subset("{\"type\": \"string\"}", "{\"enum\": [\"a\", \"b\"]}", NO, "allows any string");
    expect_subset("{\"const\": 3}", "{\"type\": \"integer\", \"maximum\": 2}", NO, "const 3");
    expect_subset("{\"type\": \"boolean\"}", "{\"enum\": [true, false]}", YES, NULL);
    expect_subset("{\"type\": \"string\", \"pattern\": \"^a\"}", "{\"type\": \"string\", \"pattern\": \"^a\"}", YES, NULL);
    expect_subset("{\"type\": \"string\", \"pattern\": \"^ab\"}", "{\"type\": \"string\", \"pattern\": \"^a\"}",
                  UNKNOWN, "inclusion of two regular expressions is not decided");
    expect_subset("{\"type\": \"string\"}", "{\"type\": \"string\", \"format\": \"date\"}", NO, "format none");
    expect_subset("{\"type\": \"array\", \"items\": {\"type\": \"integer\"}, \"maxItems\": 3}",
                  "{\"type\": \"array\", \"items\": {\"type\": \"number\"}}", YES, NULL);
    expect_subset("{\"type\": \"array\", \"items\": {\"type\": \"string\"}}",
                  "{\"type\": \"array\", \"items\": {\"type\": \"number\"}}", NO, "type string");
    expect_subset("{\"type\": \"array\"}", "{\"type\": \"array\", \"uniqueItems\": true}", NO, "allows repeated items");
    const char *o = "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\"}},"
                    " \"required\": [\"a\"], \"additionalProperties\": false}";
    expect_subset("{\"type\": \"object\", \"properties\": {\"a\": {\"const\": \"x\"}}, \"required\": [\"a\"],"
                  " \"additionalProperties\": false}", o, YES, NULL);
    expect_subset("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\"}}, "
                  "\"additionalProperties\": false}", o, NO, "does not require \"a\"");
    expect_subset("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\"}, \"b\": {}},"
                  " \"required\": [\"a\"], \"additionalProperties\": false}", o, NO,
                  "allows property \"b\", which the ontology does not have");
    expect_subset("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\"}}, \"required\": [\"a\"]}",
                  o, NO, "allows properties the ontology does not have");
    expect_subset("{\"anyOf\": [{\"type\": \"integer\"}, {\"type\": \"string\"}]}",
                  "{\"type\": [\"integer\", \"string\"]}", YES, NULL);
    expect_subset("{\"anyOf\": [{\"type\": \"integer\"}, {\"type\": \"null\"}]}",
                  "{\"type\": \"integer\"}", NO, "allows value null");
    expect_subset("{\"anyOf\": [{\"type\": \"integer\"}, {\"type\": \"string\"}]}",
                  "{\"type\": \"integer\"}", NO, "has type string where the ontology has integer");
    expect_subset("{\"type\": \"integer\"}", "{\"anyOf\": [{\"type\": \"integer\"}, {\"type\": \"null\"}]}", YES, NULL);
    expect_subset("{\"type\": \"number\"}",
                  "{\"anyOf\": [{\"type\": \"number\", \"maximum\": 0}, {\"type\": \"number\", \"minimum\": 0}]}",
                  UNKNOWN, "no single branch");
    expect_subset("{\"enum\": [1, \"a\"]}", "{\"oneOf\": [{\"type\": \"integer\"}, {\"type\": \"string\"}]}", YES, NULL);
    expect_subset("{\"allOf\": [{\"type\": \"number\"}, {\"maximum\": 1}]}", "{\"type\": \"number\"}", YES, NULL);
    expect_subset("{\"type\": \"number\", \"minimum\": 0.1, \"maximum\": 0.5}", "{\"$ref\": \"ontology:RiskScore\"}", YES, NULL);
    expect_subset("{\"type\": \"number\", \"maximum\": 0.5}", "{\"$ref\": \"ontology:RiskScore\"}", NO,
                  "this schema has no minimum where the ontology has minimum 0");
    expect_subset("{\"type\": \"number\", \"maximum\": 100}", "{\"$ref\": \"ontology:RiskScore\"}", NO,
                  "has maximum 100 where the ontology has maximum 1");
    expect_subset("{\"not\": {\"type\": \"string\"}, \"type\": \"number\", \"maximum\": 5}",
                  "{\"type\": \"number\", \"maximum\": 1}", UNKNOWN, "not decided");
    expect_subset("false", "{\"type\": \"string\"}", YES, NULL);
    expect_subset("true", "{\"type\": \"string\"}", NO, "allows any value");
}

/* ---- the drift suite ------------------------------------------------------- */

/* The output schema of an assessment tool that keeps to the ontology,
 * written out in full (no $ref); each case changes one thing in it. */
#define SKU "{\"type\": \"string\", \"pattern\": \"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$\"}"
#define STOCK "{\"type\": \"integer\", \"minimum\": 0, \"maximum\": 2147483647}"
#define PROB "{\"type\": \"number\", \"minimum\": 0, \"maximum\": 1}"
#define ACTION "{\"type\": \"string\", \"enum\": [\"RouteSecondary\", \"Hold\", \"Expedite\"]}"
#define REQUIRED "[\"sku\", \"current_stock\", \"stockout_probability\", \"recommended_action\"]"
#define ASSESSMENT(sku, stock, prob, action, required)                                              \
    "{\"type\": \"object\", \"properties\": {\"sku\": " sku ", \"current_stock\": " stock            \
    ", \"stockout_probability\": " prob ", \"recommended_action\": " action "},"                   \
    " \"required\": " required ", \"additionalProperties\": false}"

static char *manifest_with(const char *name, const char *input, const char *output)
{
    char *text = NULL;
    if (asprintf(&text,
                 "{\"name\": \"%s\", \"tools\": [{\"name\": \"assess\","
                 " \"inputSchema\": %s, \"outputSchema\": %s}]}",
                 name, input, output) < 0)
        return NULL;
    return text;
}

typedef struct expect {
    const char *rule;    /* NULL: no finding at all */
    const char *pointer; /* expected pointer (prefix) */
    const char *message; /* a part of the message */
} expect;

static void run_case(const char *label, const char *const *manifests, size_t n, expect want)
{
    wc_checked_manifest list[4];
    json_t *docs[4];
    static const char *const names[] = {"risk-a", "risk-b", "risk-c", "risk-d"};
    for (size_t i = 0; i < n; i++) {
        docs[i] = parse(manifests[i]);
        list[i] = (wc_checked_manifest){names[i], docs[i]};
    }
    wc_findings f = {0};
    CHECK(wc_ontology_check(onto, list, n, &f) == 0, "%s: check failed", label);
    if (!want.rule) {
        CHECK(f.count == 0, "%s: %zu findings, the first: %s %s %s", label, f.count,
              f.count ? f.items[0].rule : "", f.count ? f.items[0].pointer : "",
              f.count ? f.items[0].message : "");
    } else {
        bool found = false;
        for (size_t i = 0; i < f.count && !found; i++)
            found = strcmp(f.items[i].rule, want.rule) == 0 &&
                    strncmp(f.items[i].pointer, want.pointer, strlen(want.pointer)) == 0 &&
                    strstr(f.items[i].message, want.message) &&
                    f.items[i].level == (strcmp(want.rule, "undecidable") ? WC_FINDING_ERROR
                                                                           : WC_FINDING_WARNING);
        CHECK(found, "%s: no %s at %s with \"%s\"; %zu findings, the first: %s %s %s", label,
              want.rule, want.pointer, want.message, f.count, f.count ? f.items[0].rule : "",
              f.count ? f.items[0].pointer : "", f.count ? f.items[0].message : "");
        char line[2048];
        if (f.count) {
            wc_finding_format(&f.items[0], line, sizeof line);
            CHECK(strncmp(line, f.items[0].level ? "warning: risk-" : "error: risk-", 12) == 0 &&
                      strstr(line, ": assess: /tools/0/"),
                  "%s: the line: %s", label, line);
        }
    }
    wc_findings_free(&f);
    for (size_t i = 0; i < n; i++)
        json_decref(docs[i]);
}

static void one(const char *label, const char *input, const char *output, expect want)
{
    char *m = manifest_with("risk-a", input, output);
    const char *list[] = {m};
    run_case(label, list, 1, want);
    free(m);
}

#define ANY_INPUT "{\"type\": \"object\"}"
#define SKU_INPUT "{\"type\": \"object\", \"properties\": {\"sku\": " SKU "}, \"required\": [\"sku\"]}"

static void test_drift(void)
{
    /* keeps to the ontology: written out, or by $ref in each form */
    one("faithful copy", SKU_INPUT, ASSESSMENT(SKU, STOCK, PROB, ACTION, REQUIRED), (expect){0});
    one("by short name", SKU_INPUT, "{\"type\": \"object\", \"$ref\": \"ontology:ContextualRiskAssessment\"}",
        (expect){0});
    one("by $id", SKU_INPUT,
        "{\"type\": \"object\", \"$ref\": \"https://wasmcap.dev/ontology/logistics/ContextualRiskAssessment.json\"}",
        (expect){0});
    /* a compatible refinement: a narrower output bound */
    one("narrower output bound", SKU_INPUT,
        ASSESSMENT(SKU, STOCK, "{\"type\": \"number\", \"minimum\": 0, \"maximum\": 0.95}", ACTION, REQUIRED),
        (expect){0});
    one("fewer actions in an output", SKU_INPUT,
        ASSESSMENT(SKU, STOCK, PROB, "{\"enum\": [\"Hold\", \"Expedite\"]}", REQUIRED), (expect){0});
    one("input wider than the domain", "{\"type\": \"object\", \"properties\": {\"sku\": {\"type\": \"string\"}}}",
        ASSESSMENT(SKU, STOCK, PROB, ACTION, REQUIRED), (expect){0});

    one("percentage instead of fraction", SKU_INPUT,
        ASSESSMENT(SKU, STOCK, "{\"type\": \"number\", \"minimum\": 0, \"maximum\": 100}", ACTION, REQUIRED),
        (expect){"output-widens", "/tools/0/outputSchema/properties/stockout_probability",
                 "has maximum 100 where the ontology has maximum 1"});
    one("an extra enum member", SKU_INPUT,
        ASSESSMENT(SKU, STOCK, PROB, "{\"type\": \"string\", \"enum\": [\"RouteSecondary\", \"Hold\", \"Expedite\", \"Cancel\"]}",
                   REQUIRED),
        (expect){"output-widens", "/tools/0/outputSchema/properties/recommended_action",
                 "allows enum member \"Cancel\", which the ontology does not"});
    one("a respelled enum member", SKU_INPUT,
        ASSESSMENT(SKU, STOCK, PROB, "{\"enum\": [\"route_secondary\", \"Hold\", \"Expedite\"]}", REQUIRED),
        (expect){"output-widens", "/tools/0/outputSchema/properties/recommended_action",
                 "\"route_secondary\""});
    one("a widened bound", SKU_INPUT,
        ASSESSMENT(SKU, "{\"type\": \"integer\", \"minimum\": -10, \"maximum\": 2147483647}", PROB, ACTION, REQUIRED),
        (expect){"output-widens", "/tools/0/outputSchema/properties/current_stock",
                 "has minimum -10 where the ontology has minimum 0"});
    one("a missing required field", SKU_INPUT,
        "{\"type\": \"object\", \"$defs\": {\"ContextualRiskAssessment\": "
        ASSESSMENT(SKU, STOCK, PROB, ACTION, "[\"sku\", \"current_stock\", \"recommended_action\"]")
        "}, \"properties\": {\"result\": {\"$ref\": \"#/$defs/ContextualRiskAssessment\"}}}",
        (expect){"output-widens", "/tools/0/outputSchema/$defs/ContextualRiskAssessment",
                 "does not require \"stockout_probability\""});
    one("a renamed type", SKU_INPUT, "{\"type\": \"object\", \"$ref\": \"ontology:RiskAssessment\"}",
        (expect){"unknown-ref", "/tools/0/outputSchema/$ref",
                 "$ref \"ontology:RiskAssessment\" names no ontology type"});
    one("a type that is not one", SKU_INPUT,
        ASSESSMENT(SKU, STOCK, "{\"type\": \"string\"}", ACTION, REQUIRED),
        (expect){"term-incompatible", "/tools/0/outputSchema/properties/stockout_probability",
                 "has type string where the ontology has number"});
    one("an input that narrows", "{\"type\": \"object\", \"properties\": {\"stockout_probability\": "
                                 "{\"type\": \"number\", \"minimum\": 0, \"maximum\": 0.5}}}",
        ASSESSMENT(SKU, STOCK, PROB, ACTION, REQUIRED),
        (expect){"input-narrows", "/tools/0/inputSchema/properties/stockout_probability",
                 "the ontology has maximum 1 where this schema has maximum 0.5"});
    one("a pattern not decided", SKU_INPUT,
        ASSESSMENT("{\"type\": \"string\", \"pattern\": \"^[A-Z]{3}$\"}", STOCK, PROB, ACTION, REQUIRED),
        (expect){"undecidable", "/tools/0/outputSchema/properties/sku",
                 "inclusion of two regular expressions is not decided"});

    /* two plugins disagreeing on one type */
    char *a = manifest_with("risk-a", ANY_INPUT,
                            "{\"type\": \"object\", \"$defs\": {\"Shipment\": {\"type\": \"object\","
                            " \"properties\": {\"weight_kg\": {\"type\": \"number\"}}}},"
                            " \"properties\": {\"s\": {\"$ref\": \"#/$defs/Shipment\"}}}");
    char *b = manifest_with("risk-b", ANY_INPUT,
                            "{\"type\": \"object\", \"$defs\": {\"Shipment\": {\"type\": \"object\","
                            " \"description\": \"annotations do not count\","
                            " \"properties\": {\"weight_lb\": {\"type\": \"number\"}}}},"
                            " \"properties\": {\"s\": {\"$ref\": \"#/$defs/Shipment\"}}}");
    char *c = manifest_with("risk-c", ANY_INPUT,
                            "{\"type\": \"object\", \"$defs\": {\"Shipment\": {\"type\": \"object\","
                            " \"title\": \"same as risk-a but for annotations\","
                            " \"properties\": {\"weight_kg\": {\"type\": \"number\"}}}}}");
    const char *two[] = {a, b};
    run_case("two plugins disagreeing on one type", two, 2,
             (expect){"type-conflict", "/tools/0/outputSchema/$defs/Shipment",
                      "defines the type \"Shipment\" differently from plugin risk-a"});
    const char *agree[] = {a, c};
    run_case("two plugins agreeing on one type", agree, 2, (expect){0});
    free(a);
    free(b);
    free(c);
    a = manifest_with("risk-a", ANY_INPUT, "{\"type\": \"object\", \"properties\": {\"x\": "
                      "{\"$id\": \"https://example.test/Money.json\", \"type\": \"integer\"}}}");
    b = manifest_with("risk-b", ANY_INPUT, "{\"type\": \"object\", \"properties\": {\"y\": "
                      "{\"$id\": \"https://example.test/Money.json\", \"type\": \"number\"}}}");
    const char *ids[] = {a, b};
    run_case("two plugins, one $id", ids, 2,
             (expect){"type-conflict", "/tools/0/outputSchema/properties/y",
                      "the type with $id \"https://example.test/Money.json\""});
    free(a);
    free(b);
}

/* The examples keep to the ontology (wasmcap check passes on them). */
static void test_examples(void)
{
    static const char *const plugins[] = {"supply-risk", "notes", "calculator", "person-detect"};
    wc_checked_manifest list[4];
    json_t *docs[4];
    for (size_t i = 0; i < 4; i++) {
        char path[512];
        snprintf(path, sizeof path, WC_SOURCE_DIR "/plugins/%s/manifest.json", plugins[i]);
        json_error_t e;
        docs[i] = json_load_file(path, 0, &e);
        CHECK(docs[i] != NULL, "%s: %s", path, e.text);
        list[i] = (wc_checked_manifest){plugins[i], docs[i]};
    }
    wc_findings f = {0};
    CHECK(wc_ontology_check(onto, list, 4, &f) == 0 && f.errors == 0 && f.warnings == 0,
          "examples: %zu findings, the first: %s %s %s", f.count, f.count ? f.items[0].rule : "",
          f.count ? f.items[0].pointer : "", f.count ? f.items[0].message : "");
    wc_findings_free(&f);
    for (size_t i = 0; i < 4; i++)
        json_decref(docs[i]);
}

static void write_doc(const char *dir, const char *name, const char *text)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    wc_write_file(path, text, strlen(text));
}

static void test_load_errors(void)
{
    wc_ontology *o = NULL;
    wc_error err = {0};
    CHECK(wc_ontology_load("/nonexistent/onto", &o, &err) != 0 && !o &&
              strstr(err.msg, "ontology folder /nonexistent/onto"),
          "missing folder: %s", err.msg);
    char tmp[512];
    if (wc_make_temp_dir(tmp, sizeof tmp, "wasmcap-onto"))
        return;
    write_doc(tmp, "A.json", "{\"$id\": \"https://x.test/A.json\", \"properties\": {\"b\": {\"$ref\": \"B.json\"}}}");
    CHECK(wc_ontology_load(tmp, &o, &err) != 0 && strstr(err.msg, "in https://x.test/A.json at "
                                                                  "#/properties/b/$ref: $ref \"B.json\" "
                                                                  "names no ontology type"),
          "missing target: %s", err.msg);
    write_doc(tmp, "B.json", "{\"$id\": \"https://x.test/B.json\", \"type\": \"string\"}");
    CHECK(wc_ontology_load(tmp, &o, &err) == 0 && o, "loads once B is there: %s", err.msg);
    wc_ontology_free(o);
    write_doc(tmp, "C.json", "{\"$id\": \"relative.json\"}");
    CHECK(wc_ontology_load(tmp, &o, &err) != 0 && strstr(err.msg, "C.json: a schema document needs an "
                                                                  "absolute \"$id\""),
          "relative $id: %s", err.msg);
    write_doc(tmp, "C.json", "{\"$id\": \"https://x.test/C.json\", \"oops\": }");
    CHECK(wc_ontology_load(tmp, &o, &err) != 0 && strstr(err.msg, "C.json:1:"), "bad JSON: %s", err.msg);
    char path[600];
    static const char *const names[] = {"A.json", "B.json", "C.json"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", tmp, names[i]);
        unlink(path);
    }
    rmdir(tmp);
}

int main(void)
{
    wc_error err = {0};
    if (wc_ontology_load(WC_SOURCE_DIR "/ontology", &onto, &err) != 0) {
        printf("FAIL: the ontology does not load: %s\n", err.msg);
        return 1;
    }
    test_subset();
    test_drift();
    test_examples();
    test_load_errors();
    wc_ontology_free(onto);
    if (failures)
        return 1;
    printf("test_ontology: %d checks passed\n", checks);
    return 0;
}
