/* ontology.h -- C types of the shared ontology, written by `wasmcap gen c`:
 * do not edit.
 * A plugin fills a struct and writes it with onto_TYPE_result or
 * onto_TYPE_write; a field the ontology lacks does not compile. */
#ifndef WASMCAP_ONTOLOGY_H
#define WASMCAP_ONTOLOGY_H

#ifndef WASMCAP_H
#error "include wasmcap.h before this header"
#endif

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static inline int onto__fail(char *why, size_t why_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline int onto__fail(char *why, size_t why_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (why && why_size)
        vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
    return -1;
}

/* Characters (code points) of UTF-8 text, as JSON Schema counts them. */
static inline size_t onto__length(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

typedef enum onto_RecommendedAction {
    onto_RecommendedAction_RouteSecondary,
    onto_RecommendedAction_Hold,
    onto_RecommendedAction_Expedite,
} onto_RecommendedAction;

static const char *const onto_RecommendedAction_names[] = {"RouteSecondary", "Hold", "Expedite"};

/* The JSON string of v; NULL when v is not a member. */
static inline const char *onto_RecommendedAction_name(onto_RecommendedAction v)
{
    return (unsigned)v < 3 ? onto_RecommendedAction_names[v] : NULL;
}

/* The member named s: 0, or -1 when there is none. */
static inline int onto_RecommendedAction_parse(const char *s, onto_RecommendedAction *out)
{
    for (unsigned i = 0; s && i < 3; i++)
        if (strcmp(s, onto_RecommendedAction_names[i]) == 0) {
            *out = (onto_RecommendedAction)i;
            return 0;
        }
    return -1;
}

/* https://wasmcap.dev/ontology/logistics/ContextualRiskAssessment.json: The stock-out risk of one SKU and what to do about it. */
typedef struct onto_ContextualRiskAssessment {
    const char *sku;
    long long current_stock;
    double stockout_probability;
    onto_RecommendedAction recommended_action;
} onto_ContextualRiskAssessment;

/* 0 when v is within the ontology's bounds, else -1 with the reason. */
static inline int onto_ContextualRiskAssessment_check(const onto_ContextualRiskAssessment *v, char *why, size_t why_size)
{
    if (!v->sku)
        return onto__fail(why, why_size, "ContextualRiskAssessment.sku: missing");
    if (!((double)v->current_stock >= 0))
        return onto__fail(why, why_size, "ContextualRiskAssessment.current_stock: %.17g is below the minimum 0", (double)v->current_stock);
    if (!((double)v->current_stock <= 2147483647))
        return onto__fail(why, why_size, "ContextualRiskAssessment.current_stock: %.17g is above the maximum 2147483647", (double)v->current_stock);
    if (!((double)v->stockout_probability >= 0))
        return onto__fail(why, why_size, "ContextualRiskAssessment.stockout_probability: %.17g is below the minimum 0", (double)v->stockout_probability);
    if (!((double)v->stockout_probability <= 1))
        return onto__fail(why, why_size, "ContextualRiskAssessment.stockout_probability: %.17g is above the maximum 1", (double)v->stockout_probability);
    if (!onto_RecommendedAction_name(v->recommended_action))
        return onto__fail(why, why_size, "ContextualRiskAssessment.recommended_action: %d is not a member of onto_RecommendedAction", (int)v->recommended_action);
    return 0;
}

/* Writes v's members into w, an open object (wasmcap_structured(out)):
 * exactly the type's fields.  0, or -1 (nothing written) with the reason. */
static inline int onto_ContextualRiskAssessment_write_members(wasmcap_jw *w, const onto_ContextualRiskAssessment *v, char *why, size_t why_size)
{
    if (onto_ContextualRiskAssessment_check(v, why, why_size))
        return -1;
    wasmcap_jw_key(w, "sku");
    wasmcap_jw_string(w, v->sku);
    wasmcap_jw_key(w, "current_stock");
    wasmcap_jw_int(w, v->current_stock);
    wasmcap_jw_key(w, "stockout_probability");
    wasmcap_jw_number(w, v->stockout_probability);
    wasmcap_jw_key(w, "recommended_action");
    wasmcap_jw_string(w, onto_RecommendedAction_name(v->recommended_action));
    return 0;
}

/* v as one JSON object.  0, or -1 (nothing written) with the reason. */
static inline int onto_ContextualRiskAssessment_write(wasmcap_jw *w, const onto_ContextualRiskAssessment *v, char *why, size_t why_size)
{
    if (onto_ContextualRiskAssessment_check(v, why, why_size))
        return -1;
    wasmcap_jw_begin_object(w);
    onto_ContextualRiskAssessment_write_members(w, v, why, why_size);
    wasmcap_jw_end_object(w);
    return 0;
}

/* v as a tool's structuredContent; an out-of-bounds v is an isError
 * result naming the bound instead.  0 or -1, as a tool returns. */
static inline int onto_ContextualRiskAssessment_result(wasmcap_result *out, const onto_ContextualRiskAssessment *v)
{
    char err[256];
    if (onto_ContextualRiskAssessment_write_members(wasmcap_structured(out), v, err, sizeof err))
        return wasmcap_error(out, "%s", err);
    return 0;
}

/* Reads the object o into v (strings and values point into o).  0, or -1
 * with the reason: a required member missing, a wrong type, a bound. */
static inline int onto_ContextualRiskAssessment_read(const wasmcap_json *o, onto_ContextualRiskAssessment *v, char *why, size_t why_size)
{
    memset(v, 0, sizeof *v);
    if (!o || o->type != WASMCAP_JSON_OBJECT)
        return onto__fail(why, why_size, "ContextualRiskAssessment: expected an object");
    const wasmcap_json *m;
    m = wasmcap_json_get(o, "sku");
    if (!m)
        return onto__fail(why, why_size, "ContextualRiskAssessment.sku: missing");
    if (m) {
        if (m->type != WASMCAP_JSON_STRING)
            return onto__fail(why, why_size, "ContextualRiskAssessment.sku: expected a string");
        v->sku = m->string;
    }
    m = wasmcap_json_get(o, "current_stock");
    if (!m)
        return onto__fail(why, why_size, "ContextualRiskAssessment.current_stock: missing");
    if (m) {
        if (!wasmcap_json_is_integer(m))
            return onto__fail(why, why_size, "ContextualRiskAssessment.current_stock: expected an integer");
        v->current_stock = (long long)m->number;
    }
    m = wasmcap_json_get(o, "stockout_probability");
    if (!m)
        return onto__fail(why, why_size, "ContextualRiskAssessment.stockout_probability: missing");
    if (m) {
        if (m->type != WASMCAP_JSON_NUMBER)
            return onto__fail(why, why_size, "ContextualRiskAssessment.stockout_probability: expected a number");
        v->stockout_probability = m->number;
    }
    m = wasmcap_json_get(o, "recommended_action");
    if (!m)
        return onto__fail(why, why_size, "ContextualRiskAssessment.recommended_action: missing");
    if (m) {
        if (onto_RecommendedAction_parse(wasmcap_json_string(m, NULL), &v->recommended_action))
            return onto__fail(why, why_size, "ContextualRiskAssessment.recommended_action: not one of the members of onto_RecommendedAction");
    }
    return onto_ContextualRiskAssessment_check(v, why, why_size);
}

/* https://wasmcap.dev/ontology/notes/Note.json: A short note kept under an id. */
typedef struct onto_Note {
    const char *id;
    const char *text;
} onto_Note;

/* 0 when v is within the ontology's bounds, else -1 with the reason. */
static inline int onto_Note_check(const onto_Note *v, char *why, size_t why_size)
{
    if (!v->id)
        return onto__fail(why, why_size, "Note.id: missing");
    if (!v->text)
        return onto__fail(why, why_size, "Note.text: missing");
    if (onto__length(v->text) > 65536)
        return onto__fail(why, why_size, "Note.text: longer than 65536 characters");
    return 0;
}

/* Writes v's members into w, an open object (wasmcap_structured(out)):
 * exactly the type's fields.  0, or -1 (nothing written) with the reason. */
static inline int onto_Note_write_members(wasmcap_jw *w, const onto_Note *v, char *why, size_t why_size)
{
    if (onto_Note_check(v, why, why_size))
        return -1;
    wasmcap_jw_key(w, "id");
    wasmcap_jw_string(w, v->id);
    wasmcap_jw_key(w, "text");
    wasmcap_jw_string(w, v->text);
    return 0;
}

/* v as one JSON object.  0, or -1 (nothing written) with the reason. */
static inline int onto_Note_write(wasmcap_jw *w, const onto_Note *v, char *why, size_t why_size)
{
    if (onto_Note_check(v, why, why_size))
        return -1;
    wasmcap_jw_begin_object(w);
    onto_Note_write_members(w, v, why, why_size);
    wasmcap_jw_end_object(w);
    return 0;
}

/* v as a tool's structuredContent; an out-of-bounds v is an isError
 * result naming the bound instead.  0 or -1, as a tool returns. */
static inline int onto_Note_result(wasmcap_result *out, const onto_Note *v)
{
    char err[256];
    if (onto_Note_write_members(wasmcap_structured(out), v, err, sizeof err))
        return wasmcap_error(out, "%s", err);
    return 0;
}

/* Reads the object o into v (strings and values point into o).  0, or -1
 * with the reason: a required member missing, a wrong type, a bound. */
static inline int onto_Note_read(const wasmcap_json *o, onto_Note *v, char *why, size_t why_size)
{
    memset(v, 0, sizeof *v);
    if (!o || o->type != WASMCAP_JSON_OBJECT)
        return onto__fail(why, why_size, "Note: expected an object");
    const wasmcap_json *m;
    m = wasmcap_json_get(o, "id");
    if (!m)
        return onto__fail(why, why_size, "Note.id: missing");
    if (m) {
        if (m->type != WASMCAP_JSON_STRING)
            return onto__fail(why, why_size, "Note.id: expected a string");
        v->id = m->string;
    }
    m = wasmcap_json_get(o, "text");
    if (!m)
        return onto__fail(why, why_size, "Note.text: missing");
    if (m) {
        if (m->type != WASMCAP_JSON_STRING)
            return onto__fail(why, why_size, "Note.text: expected a string");
        v->text = m->string;
    }
    return onto_Note_check(v, why, why_size);
}

#endif
