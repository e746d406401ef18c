/* skip.c -- hiding some of a plugin's tools, prompts, resources and
 * resource templates (the config's skip_* lists, hyper-mcp's filters).
 *
 * Each pattern is a POSIX extended regular expression anchored to the
 * whole name, ^(pattern)$, as hyper-mcp anchors its own.  They are applied
 * to the manifest once at load: what they match is never listed and,
 * since the registry knows only the manifest, cannot be called, read or
 * completed; a resource read through a template is checked against
 * skip_resources too.  Names are short (a tool name is at most 128
 * characters), so matching is bounded by the pattern count.
 */
#include "plugin/plugin_internal.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const skip_keys[WC_SKIP_KINDS] = {
    [WC_SKIP_TOOLS] = "skip_tools",
    [WC_SKIP_PROMPTS] = "skip_prompts",
    [WC_SKIP_RESOURCES] = "skip_resources",
    [WC_SKIP_RESOURCE_TEMPLATES] = "skip_resource_templates",
};

const char *wc_skip_key(wc_skip_kind kind) { return skip_keys[kind]; }

/* Compiles pattern anchored; 0, or a regcomp code with why filled. */
static int compile(regex_t *re, const char *pattern, char *why, size_t why_size)
{
    size_t n = strlen(pattern) + 5;
    char *anchored = malloc(n);
    if (!anchored) {
        snprintf(why, why_size, "out of memory");
        return REG_ESPACE;
    }
    snprintf(anchored, n, "^(%s)$", pattern);
    int rc = regcomp(re, anchored, REG_EXTENDED | REG_NOSUB);
    free(anchored);
    if (rc)
        regerror(rc, re, why, why_size);
    return rc;
}

bool wc_skip_pattern_ok(const char *pattern, char *why, size_t why_size)
{
    if (strlen(pattern) > WC_SKIP_MAX_PATTERN) {
        snprintf(why, why_size, "longer than %d characters", WC_SKIP_MAX_PATTERN);
        return false;
    }
    regex_t re;
    if (compile(&re, pattern, why, why_size))
        return false;
    regfree(&re);
    return true;
}

int wc_skip_compile(wc_plugin *p, wc_error *err)
{
    const wc_plugin_config *c = &p->config;
    for (int k = 0; k < WC_SKIP_KINDS; k++) {
        if (!c->n_skip[k])
            continue;
        p->skip[k] = calloc(c->n_skip[k], sizeof *p->skip[k]);
        if (!p->skip[k])
            return wc_error_set(err, WC_ENOMEM, "plugin '%s': out of memory", c->name);
        for (size_t i = 0; i < c->n_skip[k]; i++) {
            char why[256];
            if (compile(&p->skip[k][i], c->skip[k][i], why, sizeof why))
                return wc_error_set(err, WC_EINVAL, "plugins.%s.%s[%zu]: '%s' is not a regular "
                                    "expression: %s", c->name, skip_keys[k], i, c->skip[k][i], why);
            p->nskip[k] = i + 1;
        }
    }
    return 0;
}

void wc_skip_free(wc_plugin *p)
{
    for (int k = 0; k < WC_SKIP_KINDS; k++) {
        for (size_t i = 0; i < p->nskip[k]; i++)
            regfree(&p->skip[k][i]);
        free(p->skip[k]);
        p->skip[k] = NULL;
        p->nskip[k] = 0;
    }
}

bool wc_plugin_skips(const wc_plugin *p, wc_skip_kind kind, const char *name)
{
    for (size_t i = 0; name && i < p->nskip[kind]; i++)
        if (regexec(&p->skip[kind][i], name, 0, NULL, 0) == 0)
            return true;
    return false;
}

/* Drops the items of a manifest array whose `member` a filter matches. */
static void drop_items(const wc_plugin *p, wc_skip_kind kind, json_t *items, const char *member)
{
    for (size_t i = json_array_size(items); i-- > 0;) {
        const char *name = json_string_value(json_object_get(json_array_get(items, i), member));
        if (wc_plugin_skips(p, kind, name))
            json_array_remove(items, i);
    }
}

static bool tool_kept(void *ctx, const char *name)
{
    return !wc_plugin_skips(ctx, WC_SKIP_TOOLS, name);
}

void wc_skip_apply(wc_plugin *p)
{
    wc_manifest *m = &p->manifest;
    wc_manifest_keep_tools(m, tool_kept, p);
    drop_items(p, WC_SKIP_PROMPTS, m->prompts, "name");
    drop_items(p, WC_SKIP_RESOURCES, m->resources, "uri");
    drop_items(p, WC_SKIP_RESOURCE_TEMPLATES, m->resource_templates, "uriTemplate");
}
