/* fuzz_manifest.c -- libFuzzer target for the plugin manifest reader
 * (plugin/manifest.c): what a plugin says about itself, with its tools'
 * input and output schemas compiled (json/schema.c) and its resource
 * templates checked.  Validation against those schemas is
 * fuzz_schema.c's.
 *
 * Properties: no crash, leak or UB on any text; a refusal always says
 * what is wrong; in an accepted manifest every tool is found by its name,
 * has a compiled input schema, and every resource template matches a URI
 * made from it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/manifest.h"
#include "util/log.h"
#include "check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    wc_log_set_level(WC_LOG_ERROR);
    return 0;
}

/* The template with each "{var}" replaced by "x". */
static char *instance_of(const char *tmpl)
{
    size_t n = strlen(tmpl);
    char *out = malloc(n + 1), *o = out;
    if (!out)
        abort();
    for (const char *p = tmpl; *p; p++) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (close) {
                *o++ = 'x';
                p = close;
                continue;
            }
        }
        *o++ = *p;
    }
    *o = 0;
    return out;
}

static void check_manifest(const wc_manifest *m)
{
    for (size_t i = 0; i < m->ntools; i++) {
        const wc_manifest_tool *t = &m->tools[i];
        CHECK(t->name && wc_manifest_find_tool(m, t->name) == (int)i && t->input &&
                  !t->output == !t->output_schema,
              "tool %zu is not what was read", i);
    }
    size_t i;
    json_t *rt;
    json_array_foreach(m->resource_templates, i, rt) {
        const char *tmpl = json_string_value(json_object_get(rt, "uriTemplate"));
        if (!tmpl)
            continue;
        char *uri = instance_of(tmpl);
        json_t *vars = json_object();
        CHECK(wc_uri_template_match(tmpl, uri, vars), "template %s does not match %s", tmpl, uri);
        json_decref(vars);
        free(uri);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact copy: ASan sees any read past the end */
    char *text = malloc(size ? size : 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    wc_manifest m;
    wc_error err = {0};
    if (wc_manifest_parse(text, size, "fuzz.manifest.json", &m, &err) == 0) {
        check_manifest(&m);
        wc_manifest_free(&m);
    } else {
        CHECK(err.msg[0], "a manifest refused without a message");
    }
    free(text);
    if (failures) {
        fflush(stdout); /* CHECK printed why */
        abort();
    }
    return 0;
}
