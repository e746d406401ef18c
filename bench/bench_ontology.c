/* bench_ontology.c -- how long `wasmcap check` takes over many plugins.
 *
 *   bench_ontology [--plugins N] [--tools N] [--runs N] [--write DIR]
 *
 * Makes N plugins (default 200) of N tools each (default 20) against the
 * repository's ontology (ontology/): every tool has an input with an
 * ontology term written out and one by $ref, and an output with every term
 * of ContextualRiskAssessment written out (narrower bounds, a subset of the
 * enum), a nested object by $ref, and a "$defs" type every plugin defines
 * the same way -- the checks a real set of plugins asks for.  Then times,
 * over --runs runs (default 5, median and min; thread CPU time, and wall
 * time beside it), the two steps of a check:
 *
 *   rules: wc_ontology_check over every manifest (the rules of ontology.h)
 *   load:  wc_manifest_parse_in of every manifest (schemas bundled with the
 *          ontology types they use, and compiled), as serve does
 *
 * Target (issue 16): 200 plugins x 20 tools checked in under a second.
 * Prints one line per step and exits 0; 1 when the ontology cannot load.
 *
 * --write DIR writes the same plugins as files instead (copies of the hello
 * plugin with these manifests beside them) and DIR/wasmcap.json naming them
 * and the ontology, to time the command as a whole:
 *   /usr/bin/time -v build/wasmcap check --config DIR/wasmcap.json
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ontology/ontology.h"
#include "plugin/manifest.h"
#include "util/buf.h"
#include "util/fs.h"

/* The check runs on one thread: its CPU time is the figure a shared,
 * busy machine does not inflate; wall time is printed beside it. */
static double now_ms(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *make_manifest(size_t plugin, size_t tools)
{
    wc_buf b;
    wc_buf_init(&b);
    wc_buf_printf(&b, "{\"name\": \"p%zu\", \"tools\": [", plugin);
    for (size_t t = 0; t < tools; t++) {
        double top = 0.5 + (double)((plugin + t) % 50) / 100.0; /* 0.5 .. 0.99 */
        wc_buf_printf(
            &b,
            "%s{\"name\": \"t%zu\","
            " \"inputSchema\": {\"type\": \"object\", \"properties\": {"
            "\"sku\": {\"type\": \"string\", \"pattern\": \"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$\"},"
            " \"stockout_probability\": {\"$ref\": \"ontology:RiskScore\"},"
            " \"limit\": {\"type\": \"integer\", \"minimum\": 1}}, \"required\": [\"sku\"]},"
            " \"outputSchema\": {\"type\": \"object\","
            " \"$defs\": {\"Window\": {\"type\": \"object\", \"properties\": {\"days\": {\"type\": \"integer\"}}}},"
            " \"properties\": {"
            "\"sku\": {\"$ref\": \"ontology:Sku\"},"
            " \"current_stock\": {\"type\": \"integer\", \"minimum\": 0, \"maximum\": 1000000},"
            " \"stockout_probability\": {\"type\": \"number\", \"minimum\": 0, \"maximum\": %g},"
            " \"recommended_action\": {\"enum\": [\"Hold\", \"Expedite\"]},"
            " \"window\": {\"$ref\": \"#/$defs/Window\"},"
            " \"previous\": {\"$ref\": \"ontology:ContextualRiskAssessment\"}},"
            " \"required\": [\"sku\", \"current_stock\", \"stockout_probability\", \"recommended_action\"],"
            " \"additionalProperties\": false}}",
            t ? ", " : "", t, top);
    }
    wc_buf_str(&b, "]}");
    char *text = wc_buf_cstr(&b);
    char *copy = text ? strdup(text) : NULL;
    wc_buf_free(&b);
    return copy;
}

/* DIR/pN.wasm + pN.manifest.json for each manifest, and DIR/wasmcap.json. */
static int write_plugins(const char *dir, char **texts, size_t n)
{
    uint8_t *wasm = NULL;
    size_t wasm_size = 0;
    if (wc_read_file(WC_SOURCE_DIR "/plugins/hello/hello.wasm", 0, &wasm, &wasm_size) ||
        wc_mkdirs(dir)) {
        fprintf(stderr, "bench_ontology: plugins/hello/hello.wasm (make -C plugins), %s\n", dir);
        return 1;
    }
    wc_buf config;
    wc_buf_init(&config);
    wc_buf_str(&config, "{\"ontology\": \"" WC_SOURCE_DIR "/ontology\", \"plugins\": {");
    for (size_t p = 0; p < n; p++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/p%zu.wasm", dir, p);
        wc_write_file(path, wasm, wasm_size);
        snprintf(path, sizeof path, "%s/p%zu.manifest.json", dir, p);
        wc_write_file(path, texts[p], strlen(texts[p]));
        wc_buf_printf(&config, "%s\"p%zu\": {\"path\": \"p%zu.wasm\"}", p ? ", " : "", p, p);
    }
    wc_buf_str(&config, "}}\n");
    char path[4096];
    snprintf(path, sizeof path, "%s/wasmcap.json", dir);
    char *text = wc_buf_cstr(&config);
    int rc = text ? wc_write_file(path, text, strlen(text)) : -1;
    wc_buf_free(&config);
    free(wasm);
    if (!rc)
        printf("wrote %zu plugins and %s\n", n, path);
    return rc ? 1 : 0;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Times both steps over runs runs and prints the figures; 1 when a
 * finding or a refused manifest says the bench's plugins are wrong. */
static int measure(const wc_ontology *onto, char **texts, const wc_checked_manifest *list,
                   char (*names)[24], size_t nplugins, size_t ntools, size_t runs)
{
    double *rules = calloc(runs, sizeof *rules), *load = calloc(runs, sizeof *load);
    double *wall = calloc(runs, sizeof *wall);
    size_t errors = 0, warnings = 0, failed = 0;
    for (size_t r = 0; r < runs; r++) {
        wc_findings f = {0};
        double w0 = now_ms(CLOCK_MONOTONIC);
        double t0 = now_ms(CLOCK_THREAD_CPUTIME_ID);
        wc_ontology_check(onto, list, nplugins, &f);
        rules[r] = now_ms(CLOCK_THREAD_CPUTIME_ID) - t0;
        errors = f.errors;
        warnings = f.warnings;
        if (r == 0 && f.count) {
            char line[2048];
            wc_finding_format(&f.items[0], line, sizeof line);
            fprintf(stderr, "first finding: %s\n", line);
        }
        wc_findings_free(&f);
        failed = 0;
        t0 = now_ms(CLOCK_THREAD_CPUTIME_ID);
        for (size_t p = 0; p < nplugins; p++) {
            wc_manifest m;
            wc_error why = {0};
            if (wc_manifest_parse_in(wc_ontology_docs(onto), texts[p], strlen(texts[p]), names[p],
                                     &m, &why)) {
                if (!failed++)
                    fprintf(stderr, "load: %s\n", why.msg);
            } else {
                wc_manifest_free(&m);
            }
        }
        load[r] = now_ms(CLOCK_THREAD_CPUTIME_ID) - t0;
        wall[r] = now_ms(CLOCK_MONOTONIC) - w0;
    }
    qsort(rules, runs, sizeof *rules, compare_doubles);
    qsort(load, runs, sizeof *load, compare_doubles);
    qsort(wall, runs, sizeof *wall, compare_doubles);
    printf("plugins %zu x tools %zu, %zu runs (CPU time of the checking thread)\n", nplugins,
           ntools, runs);
    printf("rules  median %.1f ms  min %.1f ms  (%zu errors, %zu warnings)\n", rules[runs / 2],
           rules[0], errors, warnings);
    printf("load   median %.1f ms  min %.1f ms  (%zu manifests refused)\n", load[runs / 2], load[0],
           failed);
    printf("total  median %.1f ms  (target: under 1000 ms); wall median %.1f ms\n",
           rules[runs / 2] + load[runs / 2], wall[runs / 2]);
    free(rules);
    free(load);
    free(wall);
    return errors || failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    size_t nplugins = 200, ntools = 20, runs = 5;
    const char *write_dir = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        size_t v = strtoul(argv[i + 1], NULL, 10);
        if (strcmp(argv[i], "--write") == 0)
            write_dir = argv[i + 1];
        else if (strcmp(argv[i], "--plugins") == 0)
            nplugins = v;
        else if (strcmp(argv[i], "--tools") == 0)
            ntools = v;
        else if (strcmp(argv[i], "--runs") == 0)
            runs = v ? v : 1;
    }
    wc_ontology *onto;
    wc_error err = {0};
    if (wc_ontology_load(WC_SOURCE_DIR "/ontology", &onto, &err)) {
        fprintf(stderr, "bench_ontology: %s\n", err.msg);
        return 1;
    }
    char **texts = calloc(nplugins, sizeof *texts);
    wc_checked_manifest *list = calloc(nplugins, sizeof *list);
    char (*names)[24] = calloc(nplugins, sizeof *names);
    for (size_t p = 0; p < nplugins; p++) {
        texts[p] = make_manifest(p, ntools);
        snprintf(names[p], sizeof names[p], "p%zu", p);
        list[p] = (wc_checked_manifest){names[p], json_loads(texts[p], 0, NULL)};
    }
    int rc = write_dir ? write_plugins(write_dir, texts, nplugins)
                       : measure(onto, texts, list, names, nplugins, ntools, runs);
    for (size_t p = 0; p < nplugins; p++) {
        free(texts[p]);
        json_decref((json_t *)list[p].manifest);
    }
    free(texts);
    free(list);
    free(names);
    wc_ontology_free(onto);
    return rc;
}
