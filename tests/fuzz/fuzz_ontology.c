/* fuzz_ontology.c -- libFuzzer target for references across schema
 * documents and the ontology's subschema check.
 *
 * An input is one schema (JSON text).  With the repository's ontology
 * (ontology/) it is:
 * - bundled and compiled (wc_schema_compile_in): never a crash, a leak or
 *   an unbounded walk; a refusal says where ("at #..." or "in URI at #...");
 * - compared with every ontology type in both directions (wc_subset): a
 *   verdict of yes, no or undecided, with a reason for the last two;
 * - checked as the outputSchema and the inputSchema of a tool by the rules
 *   of wasmcap check (wc_ontology_check).
 *
 * Built and run by `make fuzz` (clang, -fsanitize=fuzzer,address,undefined).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/parse.h"
#include "json/schema_ref.h"
#include "ontology/ontology.h"
#include "ontology/subset.h"

static wc_ontology *ontology;

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "%s: %s\n", what, detail);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    wc_error err = {0};
    if (wc_ontology_load(WC_SOURCE_DIR "/ontology", &ontology, &err) != 0)
        fail("the ontology does not load", err.msg);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *schema = wc_json_parse((const char *)data, size, WC_JSON_REJECT_DUPLICATES, NULL);
    if (!schema)
        return 0;
    const wc_schema_docs *docs = wc_ontology_docs(ontology);
    wc_error err = {0};
    wc_schema *compiled = wc_schema_compile_in(docs, schema, NULL, &err);
    if (!compiled && strncmp(err.msg, "at #", 4) != 0 && strncmp(err.msg, "in ", 3) != 0 &&
        strcmp(err.msg, "out of memory") != 0 && err.code != WC_ETOOBIG)
        fail("refusal without a location", err.msg);
    wc_schema_free(compiled);

    for (size_t i = 0; i < wc_schema_docs_count(docs); i++) {
        const wc_schema_resource *r = wc_schema_docs_at(docs, i);
        wc_schema_view mine = {schema, NULL, schema}, theirs = {r->schema, r->id, r->schema};
        wc_subset_result result;
        for (int way = 0; way < 2; way++) {
            int v = way ? wc_subset(docs, theirs, mine, NULL, NULL, &result)
                        : wc_subset(docs, mine, theirs, NULL, NULL, &result);
            if (v != WC_SUBSET_YES && v != WC_SUBSET_NO && v != WC_SUBSET_UNKNOWN)
                fail("unexpected verdict", r->id);
            if (v != WC_SUBSET_YES && !result.reason[0])
                fail("no reason", r->id);
        }
    }

    json_t *manifest = json_pack("{s:s, s:[{s:s, s:O, s:O}]}", "name", "fuzz", "tools", "name",
                                 "t", "inputSchema", schema, "outputSchema", schema);
    if (manifest) {
        wc_checked_manifest list[] = {{"fuzz", manifest}, {"again", manifest}};
        wc_findings findings = {0};
        if (wc_ontology_check(ontology, list, 2, &findings) == 0)
            for (size_t i = 0; i < findings.count; i++)
                if (!findings.items[i].message[0])
                    fail("a finding without a message", findings.items[i].rule);
        wc_findings_free(&findings);
        json_decref(manifest);
    }
    json_decref(schema);
    return 0;
}
