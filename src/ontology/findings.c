/* findings.c -- the list of what a check found (ontology.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ontology/ontology.h"
#include "util/grow.h"

void wc_findings_free(wc_findings *f)
{
    for (size_t i = 0; i < f->count; i++) {
        free(f->items[i].plugin);
        free(f->items[i].tool);
        free(f->items[i].pointer);
        free(f->items[i].message);
    }
    free(f->items);
    memset(f, 0, sizeof *f);
}

bool wc_findings_add(wc_findings *f, wc_finding_level level, const char *plugin, const char *tool,
                     const char *pointer, const char *rule, const char *fmt, ...)
{
    if (level == WC_FINDING_ERROR)
        f->errors++;
    else
        f->warnings++;
    if (f->count >= WC_FINDINGS_MAX)
        return true; /* counted, not kept */
    if (!wc_grow((void **)&f->items, &f->capacity, f->count + 1, sizeof *f->items))
        return false;
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    wc_finding *it = &f->items[f->count];
    *it = (wc_finding){level, strdup(plugin), tool ? strdup(tool) : NULL, strdup(pointer), rule,
                       strdup(message)};
    if (!it->plugin || (tool && !it->tool) || !it->pointer || !it->message) {
        free(it->plugin);
        free(it->tool);
        free(it->pointer);
        free(it->message);
        return false;
    }
    f->count++;
    return true;
}

void wc_finding_format(const wc_finding *f, char *buf, size_t size)
{
    snprintf(buf, size, "%s: %s: %s: %s: %s: %s",
             f->level == WC_FINDING_ERROR ? "error" : "warning", f->plugin,
             f->tool ? f->tool : "-", f->pointer[0] ? f->pointer : "/", f->rule, f->message);
}

json_t *wc_finding_json(const wc_finding *f)
{
    return json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s}", "level",
                     f->level == WC_FINDING_ERROR ? "error" : "warning", "plugin", f->plugin,
                     "tool", f->tool, "pointer", f->pointer, "rule", f->rule, "message",
                     f->message);
}
