/* plugin_check.c -- the ontology check over a config's plugins. */
#include "cli/plugin_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/decode.h"
#include "plugin/manifest.h"
#include "util/fs.h"

/* The manifest of one plugin, parsed as JSON only (NULL: a finding says
 * why).  *loads: whether wc_manifest_parse_in accepts it with the
 * ontology; its message in load_err. */
static json_t *read_manifest(const wc_config *config, const wc_plugin_config *p,
                             wc_findings *out, bool *loads, wc_error *load_err)
{
    *loads = false;
    wc_decode_limits limits;
    wc_decode_limits_default(&limits);
    uint8_t *bytes = NULL;
    size_t size = 0;
    int rc = wc_read_regular_file(p->path, limits.max_module_bytes, &bytes, &size);
    if (rc) {
        wc_findings_add(out, WC_FINDING_ERROR, p->name, NULL, "", "manifest", "cannot read %s: %s",
                        p->path, wc_strerror(rc));
        return NULL;
    }
    wc_module_info *info = NULL;
    wc_error derr = {0};
    if (wc_decode(bytes, size, NULL, &info, &derr) != 0) {
        wc_findings_add(out, WC_FINDING_ERROR, p->name, NULL, "", "manifest", "%s: %s", p->path,
                        wc_error_message(&derr));
        free(bytes);
        return NULL;
    }
    char *text = NULL, *source = NULL;
    size_t len = 0;
    wc_error read_err = {0};
    rc = wc_manifest_read(info, p->path, &text, &len, &source, &read_err);
    wc_module_info_free(info);
    free(bytes);
    if (rc) {
        wc_findings_add(out, WC_FINDING_ERROR, p->name, NULL, "", "manifest", "%s", read_err.msg);
        return NULL;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc || !json_is_object(doc)) {
        wc_findings_add(out, WC_FINDING_ERROR, p->name, NULL, "", "manifest",
                        "%s: %s", source, doc ? "not a JSON object" : jerr.text);
        json_decref(doc);
        doc = NULL;
    } else {
        wc_manifest m;
        *loads = wc_manifest_parse_in(wc_ontology_docs(config->ontology), text, len, source, &m,
                                      load_err) == 0;
        if (*loads)
            wc_manifest_free(&m);
    }
    free(text);
    free(source);
    return doc;
}

int wc_check_plugins(const wc_config *config, wc_findings *out, wc_error *err)
{
    return wc_check_plugins_with(config, NULL, 0, out, err);
}

int wc_check_plugins_with(const wc_config *config, const wc_checked_manifest *extra, size_t n_extra,
                          wc_findings *out, wc_error *err)
{
    size_t n = config->nplugins;
    wc_checked_manifest *list = calloc(n + n_extra ? n + n_extra : 1, sizeof *list);
    bool *loads = calloc(n ? n : 1, sizeof *loads);
    wc_error *load_errs = calloc(n ? n : 1, sizeof *load_errs);
    if (!list || !loads || !load_errs) {
        free(list);
        free(loads);
        free(load_errs);
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        const wc_plugin_config *p = &config->plugins[i];
        json_t *doc = read_manifest(config, p, out, &loads[count], &load_errs[count]);
        if (doc)
            list[count++] = (wc_checked_manifest){p->name, doc};
    }
    size_t plugins = count;
    for (size_t i = 0; i < n_extra; i++)
        list[count + i] = extra[i];
    int rc = wc_ontology_check(config->ontology, list, count + n_extra, out);
    /* a manifest that does not load for a reason the rules did not name */
    for (size_t i = 0; !rc && i < plugins; i++) {
        bool named = false;
        for (size_t k = 0; k < out->count && !named; k++)
            named = out->items[k].level == WC_FINDING_ERROR &&
                    strcmp(out->items[k].plugin, list[i].plugin) == 0;
        if (!loads[i] && !named)
            wc_findings_add(out, WC_FINDING_ERROR, list[i].plugin, NULL, "", "manifest", "%s",
                            load_errs[i].msg);
    }
    for (size_t i = 0; i < count; i++)
        json_decref((json_t *)list[i].manifest);
    free(list);
    free(loads);
    free(load_errs);
    return rc ? wc_error_set(err, WC_ENOMEM, "out of memory") : 0;
}

void wc_check_summary(const wc_findings *f, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < f->count && used + 1 < size; i++) {
        char line[1600];
        wc_finding_format(&f->items[i], line, sizeof line);
        int w = snprintf(buf + used, size - used, "%s%s", used ? "\n" : "", line);
        if (w < 0 || (size_t)w >= size - used)
            break;
        used += (size_t)w;
    }
    size_t total = f->errors + f->warnings;
    if (total > f->count || (f->count && used + 1 >= size))
        snprintf(buf + used, size - used, "%s(%zu findings in all)", used ? "\n" : "", total);
}
