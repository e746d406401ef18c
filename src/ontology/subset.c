/* subset.c -- the structural subschema check (subset.h).
 *
 * sub(S, O) answers "is every value S allows allowed by O?".  The rule
 * that keeps it honest: keywords of S that are not understood are dropped
 * (S only grows, so a YES stays true) and then a NO can only be UNKNOWN;
 * keywords of O that are not understood make the answer UNKNOWN.  Finite
 * sets (enum, const) are decided value by value, exactly.
 */
#include "ontology/subset.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NO = WC_SUBSET_NO, YES = WC_SUBSET_YES, UNKNOWN = WC_SUBSET_UNKNOWN };

/* JSON types as bits; integer is a subset of number. */
enum {
    T_NULL = 1, T_BOOLEAN = 2, T_OBJECT = 4, T_ARRAY = 8, T_NUMBER = 16, T_STRING = 32,
    T_INTEGER = 64, T_ALL = 127
};

typedef struct ctx {
    const wc_schema_docs *docs;
    const char *small, *big; /* how messages name the two sides */
    size_t steps;
    int depth;
    char path[256];
    size_t path_len;
    wc_subset_result *r;
    bool have_no, have_unknown;
    char no_where[256], no_reason[384];
    char unknown_where[256], unknown_reason[384];
    bool disjoint;
    int quiet; /* > 0: in a trial whose reasons are dropped */
} ctx;

static const char *const annotation_keys[] = {
    "title", "description", "$comment", "examples", "default", "deprecated", "readOnly",
    "writeOnly", "$id", "$schema", "$anchor", "$defs", "definitions", "contentMediaType",
    "contentEncoding", "format", "$dynamicAnchor", "$vocabulary",
};

static bool is_annotation(const char *key)
{
    for (size_t i = 0; i < sizeof annotation_keys / sizeof annotation_keys[0]; i++)
        if (strcmp(key, annotation_keys[i]) == 0)
            return true;
    return false;
}

/* True when the schema constrains nothing (true, {} or annotations only). */
static bool allows_all(const json_t *s)
{
    if (json_is_true(s))
        return true;
    if (!json_is_object(s))
        return false;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)s, key, v)
        if (!is_annotation(key))
            return false;
    /* "format" is an annotation for validation but a domain statement here:
     * {"format": "date"} is not "anything" */
    return !json_object_get(s, "format");
}

static bool allows_none(const json_t *s) { return json_is_false(s); }

static int result_no(ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int result_unknown(ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Keeps the first reason of each verdict, with where it was found. */
static int record(ctx *c, int verdict, const char *fmt, va_list ap)
{
    bool no = verdict == NO;
    bool *have = no ? &c->have_no : &c->have_unknown;
    if (!*have && !c->quiet) {
        vsnprintf(no ? c->no_reason : c->unknown_reason, sizeof c->no_reason, fmt, ap);
        snprintf(no ? c->no_where : c->unknown_where, sizeof c->no_where, "%s", c->path);
        *have = true;
    }
    return verdict;
}

static int result_no(ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(c, NO, fmt, ap);
    va_end(ap);
    return NO;
}

static int result_unknown(ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(c, UNKNOWN, fmt, ap);
    va_end(ap);
    return UNKNOWN;
}

/* Where an alternative is tried, its reasons are forgotten unless its
 * verdict is the one that counts. */
typedef struct saved_reasons {
    bool have_no, have_unknown, disjoint;
} saved_reasons;

static saved_reasons save(const ctx *c) { return (saved_reasons){c->have_no, c->have_unknown, c->disjoint}; }
static void restore(ctx *c, saved_reasons s)
{
    c->have_no = s.have_no;
    c->have_unknown = s.have_unknown;
    c->disjoint = s.disjoint;
}

/* The same where the trial's reasons are never used: none are written
 * (formatting them was most of the cost of a check). */
static saved_reasons hush(ctx *c)
{
    c->quiet++;
    return save(c);
}

static void unhush(ctx *c, saved_reasons s)
{
    c->quiet--;
    restore(c, s);
}

static int both(int a, int b)
{
    if (a == NO || b == NO)
        return NO;
    if (a == UNKNOWN || b == UNKNOWN)
        return UNKNOWN;
    return YES;
}

static void push(ctx *c, const char *a, const char *b, size_t *saved)
{
    *saved = c->path_len;
    int n = snprintf(c->path + c->path_len, sizeof c->path - c->path_len, "/%s%s%s", a,
                     b ? "/" : "", b ? b : "");
    if (n > 0 && (size_t)n < sizeof c->path - c->path_len)
        c->path_len += (size_t)n;
    else
        c->path[c->path_len] = '\0';
}

static void pop(ctx *c, size_t saved)
{
    c->path_len = saved;
    c->path[saved] = '\0';
}

static char *render(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s && strlen(s) > 60)
        strcpy(s + 57, "...");
    return s;
}

/* ---- types ----------------------------------------------------------------- */

static unsigned type_bit(const char *name)
{
    static const struct { const char *name; unsigned bit; } names[] = {
        {"null", T_NULL}, {"boolean", T_BOOLEAN}, {"object", T_OBJECT}, {"array", T_ARRAY},
        {"number", T_NUMBER | T_INTEGER}, {"string", T_STRING}, {"integer", T_INTEGER},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0)
            return names[i].bit;
    return 0;
}

/* The types s allows by its "type" keyword (T_ALL when absent); "number"
 * includes integers. */
static unsigned types_of(const json_t *s)
{
    const json_t *t = json_object_get(s, "type");
    if (json_is_string(t))
        return type_bit(json_string_value(t));
    if (json_is_array(t)) {
        unsigned bits = 0;
        size_t i;
        json_t *v;
        json_array_foreach(t, i, v)
            if (json_is_string(v))
                bits |= type_bit(json_string_value(v));
        return bits;
    }
    return T_ALL;
}

static const char *type_names(unsigned bits, char *buf, size_t size)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        {T_NULL, "null"}, {T_BOOLEAN, "boolean"}, {T_OBJECT, "object"}, {T_ARRAY, "array"},
        {T_NUMBER, "number"}, {T_INTEGER, "integer"}, {T_STRING, "string"},
    };
    size_t n = 0;
    buf[0] = '\0';
    if ((bits & T_ALL) == T_ALL)
        return "any type";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(bits & names[i].bit) || (names[i].bit == T_INTEGER && (bits & T_NUMBER)))
            continue;
        int w = snprintf(buf + n, size - n, "%s%s", n ? "|" : "", names[i].name);
        if (w > 0 && (size_t)w < size - n)
            n += (size_t)w;
    }
    return buf;
}

/* ---- views and references ----------------------------------------------------- */

typedef wc_schema_view view;

static view at(view v, const json_t *s) { return (view){s, v.base, v.root}; }

/* The view s's "$ref" points to; false (with the verdict in *verdict) when
 * it names nothing. */
static bool follow(ctx *c, view v, view *out, int *verdict)
{
    const char *ref = json_string_value(json_object_get(v.schema, "$ref"));
    const wc_schema_resource *res;
    const json_t *target;
    wc_error err = {0};
    if (wc_schema_ref_lookup(c->docs, v.base, ref, v.root, &res, &target, &err)) {
        *verdict = result_unknown(c, "%s", err.msg);
        return false;
    }
    *out = res ? (view){target, res->id, res->schema} : at(v, target);
    return true;
}

/* s without the keyword key (a new object; NULL when out of memory). */
static json_t *without(const json_t *s, const char *key)
{
    json_t *copy = json_copy((json_t *)s);
    if (copy)
        json_object_del(copy, key);
    return copy;
}

/* True when s has a keyword other than the annotations and those listed. */
static bool has_other_than(const json_t *s, const char *const *keys, size_t n)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)s, key, v) {
        if (is_annotation(key))
            continue;
        bool listed = false;
        for (size_t i = 0; i < n && !listed; i++)
            listed = strcmp(key, keys[i]) == 0;
        if (!listed)
            return true;
    }
    return false;
}

static int sub(ctx *c, view s, view o);
static int value_in(ctx *c, const json_t *value, view o);

/* ---- values ---------------------------------------------------------------------- */

/* Keywords that hold subschemas (not leaves). */
static bool is_applicator(const char *key)
{
    static const char *const keys[] = {
        "properties", "patternProperties", "additionalProperties", "items", "prefixItems",
        "contains", "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "$ref", "$defs",
        "definitions", "dependentSchemas", "propertyNames", "unevaluatedItems",
        "unevaluatedProperties", "$dynamicRef",
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(key, keys[i]) == 0)
            return true;
    return false;
}

/* JSON equality with numbers compared by value (1 equals 1.0), as the
 * validator compares enum and const members. */
static bool same_value(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    if (json_is_array(a) && json_is_array(b)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!same_value(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    }
    if (json_is_object(a) && json_is_object(b)) {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)a, key, v)
            if (!same_value(v, json_object_get(b, key)))
                return false;
        return true;
    }
    return json_equal((json_t *)a, (json_t *)b);
}

static size_t utf8_length(const char *s, size_t bytes)
{
    size_t n = 0;
    for (size_t i = 0; i < bytes; i++)
        n += ((unsigned char)s[i] & 0xc0) != 0x80;
    return n;
}

/* The leaf keywords decided here without the validator: verdict YES or NO
 * (*keyword: the one that refused), or -2 when o has another one. */
static int leaf_direct(const json_t *value, const json_t *o, const char **keyword)
{
    static const char *const handled[] = {
        "type", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "multipleOf", "minLength", "maxLength", "minItems", "maxItems", "minProperties",
        "maxProperties", "required",
    };
    const char *key;
    json_t *k;
    json_object_foreach((json_t *)o, key, k) {
        if (is_applicator(key) || is_annotation(key))
            continue;
        bool known = false;
        for (size_t i = 0; i < sizeof handled / sizeof handled[0] && !known; i++)
            known = strcmp(key, handled[i]) == 0;
        if (!known)
            return -2;
    }
    double x = json_is_number(value) ? json_number_value(value) : 0;
    unsigned t = json_is_null(value) ? T_NULL : json_is_boolean(value) ? T_BOOLEAN
                 : json_is_object(value) ? T_OBJECT : json_is_array(value) ? T_ARRAY
                 : json_is_string(value) ? T_STRING
                 : isfinite(x) && x == floor(x) ? T_NUMBER | T_INTEGER : T_NUMBER;
    json_object_foreach((json_t *)o, key, k) {
        *keyword = key;
        bool ok = true;
        if (strcmp(key, "type") == 0) {
            unsigned allowed = types_of(o);
            ok = (t & allowed) && (!(t & T_NUMBER) || (allowed & T_NUMBER) || (t & T_INTEGER));
        } else if (strcmp(key, "const") == 0) {
            ok = same_value(value, k);
        } else if (strcmp(key, "enum") == 0) {
            ok = false;
            size_t i;
            json_t *member;
            json_array_foreach(k, i, member)
                ok = ok || same_value(value, member);
        } else if (!json_is_number(k)) {
            continue; /* "required" and the malformed: below, or the compiler's business */
        } else if (t & T_NUMBER) {
            double b = json_number_value(k);
            if (strcmp(key, "minimum") == 0)
                ok = x >= b;
            else if (strcmp(key, "maximum") == 0)
                ok = x <= b;
            else if (strcmp(key, "exclusiveMinimum") == 0)
                ok = x > b;
            else if (strcmp(key, "exclusiveMaximum") == 0)
                ok = x < b;
            else if (strcmp(key, "multipleOf") == 0)
                ok = b > 0 && fabs(remainder(x, b)) <= 1e-12 * fabs(x);
        } else {
            double b = json_number_value(k);
            double n = t == T_STRING ? (double)utf8_length(json_string_value(value), json_string_length(value))
                       : t == T_ARRAY ? (double)json_array_size(value)
                       : t == T_OBJECT ? (double)json_object_size(value) : -1;
            bool counts = (t == T_STRING && strstr(key, "Length")) ||
                          (t == T_ARRAY && strstr(key, "Items")) ||
                          (t == T_OBJECT && strstr(key, "Properties"));
            if (counts)
                ok = strncmp(key, "min", 3) == 0 ? n >= b : n <= b;
        }
        if (!ok)
            return NO;
    }
    const json_t *required = json_object_get(o, "required");
    if (t == T_OBJECT) {
        size_t i;
        json_t *name;
        json_array_foreach(required, i, name)
            if (json_is_string(name) && !json_object_get(value, json_string_value(name))) {
                *keyword = "required";
                return NO;
            }
    }
    return YES;
}

/* Whether value passes o's leaf keywords (type, bounds, enum, const,
 * lengths, pattern, ...): decided directly when it can be, else they are
 * compiled alone and the validator decides; either way exactly the
 * validator's verdict. */
static int leaf_fits(ctx *c, const json_t *value, const json_t *o)
{
    const char *keyword = NULL;
    int direct = leaf_direct(value, o, &keyword);
    if (direct == YES)
        return YES;
    if (direct == NO) {
        if (c->quiet)
            return NO;
        char *shown = render(value), *rule = render(json_object_get(o, keyword));
        int r = result_no(c, "%s is not allowed by %s (%s %s)", shown ? shown : "a value", c->big,
                          keyword, rule ? rule : "");
        free(shown);
        free(rule);
        return r;
    }
    json_t *leaf = json_object();
    if (!leaf)
        return result_unknown(c, "out of memory");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v)
        if (!is_applicator(key) && !is_annotation(key))
            json_object_set(leaf, key, v);
    wc_error why = {0};
    wc_schema *compiled = wc_schema_compile(leaf, &why);
    json_decref(leaf);
    if (!compiled)
        return result_unknown(c, "the schema does not compile: %s", why.msg);
    int ok = wc_schema_check(compiled, value, NULL, &why);
    const char *msg = why.msg;
    wc_schema_free(compiled);
    if (ok == WC_SCHEMA_VALID)
        return YES;
    if (ok == WC_SCHEMA_INVALID) {
        if (c->quiet)
            return NO;
        char *shown = render(value);
        const char *why = strncmp(msg, "at : ", 5) == 0 ? msg + 5 : msg;
        int r = result_no(c, "%s is not allowed by %s (%s)", shown ? shown : "a value", c->big, why);
        free(shown);
        return r;
    }
    return result_unknown(c, "%s", msg);
}

/* value against a list of schemas (allOf, anyOf, oneOf): how many fit,
 * and whether some verdict was UNKNOWN. */
static void count_fits(ctx *c, const json_t *value, view o, const json_t *list, size_t *fits,
                       bool *unknown)
{
    *fits = 0;
    *unknown = false;
    size_t i;
    json_t *branch;
    json_array_foreach(list, i, branch) {
        int r = value_in(c, value, at(o, branch));
        if (r == YES)
            (*fits)++;
        else if (r == UNKNOWN)
            *unknown = true;
    }
}

/* Whether o allows the one value: exact over the supported keywords. */
static int value_in(ctx *c, const json_t *value, view o)
{
    if (++c->steps > WC_SUBSET_MAX_STEPS || c->depth > WC_SUBSET_MAX_DEPTH)
        return result_unknown(c, "too large to decide (over %u steps)", WC_SUBSET_MAX_STEPS);
    if (allows_all(o.schema))
        return YES;
    if (allows_none(o.schema) || !json_is_object(o.schema))
        return result_no(c, "%s allows nothing here", c->big);
    int verdict = YES;
    c->depth++;
    const json_t *s = o.schema;
    if (json_is_string(json_object_get(s, "$ref"))) {
        view target;
        int r;
        verdict = follow(c, o, &target, &r) ? value_in(c, value, target) : r;
    }
    const json_t *list;
    size_t fits;
    bool unknown;
    if (verdict != NO && json_is_array(list = json_object_get(s, "allOf"))) {
        count_fits(c, value, o, list, &fits, &unknown);
        verdict = both(verdict, fits == json_array_size(list) ? YES : unknown ? UNKNOWN : NO);
    }
    if (verdict != NO && json_is_array(list = json_object_get(s, "anyOf"))) {
        saved_reasons before = hush(c);
        count_fits(c, value, o, list, &fits, &unknown);
        unhush(c, before);
        char *shown = fits || unknown || c->quiet ? NULL : render(value);
        verdict = both(verdict, fits ? YES : unknown ? result_unknown(c, "anyOf: not decided")
                                : result_no(c, "%s fits no branch of the anyOf of %s",
                                            shown ? shown : "a value", c->big));
        free(shown);
    }
    if (verdict != NO && json_is_array(list = json_object_get(s, "oneOf"))) {
        saved_reasons before = hush(c);
        count_fits(c, value, o, list, &fits, &unknown);
        unhush(c, before);
        char *shown = unknown || c->quiet ? NULL : render(value);
        verdict = both(verdict, unknown ? result_unknown(c, "oneOf: not decided")
                                : fits == 1 ? YES
                                : result_no(c, "%s fits %zu branches of the oneOf of %s, not one",
                                            shown ? shown : "a value", fits, c->big));
        free(shown);
    }
    const json_t *negated = json_object_get(s, "not");
    if (verdict != NO && negated) {
        saved_reasons before = hush(c);
        int r = value_in(c, value, at(o, negated));
        unhush(c, before);
        verdict = both(verdict, r == YES ? result_no(c, "the value is excluded by the not of %s", c->big)
                                : r == NO ? YES : result_unknown(c, "not: not decided"));
    }
    const json_t *cond = json_object_get(s, "if");
    if (verdict != NO && cond) {
        saved_reasons before = hush(c);
        int r = value_in(c, value, at(o, cond));
        unhush(c, before);
        const json_t *next = json_object_get(s, r == YES ? "then" : "else");
        verdict = both(verdict, r == UNKNOWN ? result_unknown(c, "if: not decided")
                                : next ? value_in(c, value, at(o, next)) : YES);
    }
    if (verdict != NO)
        verdict = both(verdict, leaf_fits(c, value, s));
    if (verdict != NO && json_is_object(value)) {
        const json_t *props = json_object_get(s, "properties");
        const json_t *patterns = json_object_get(s, "patternProperties");
        const json_t *extra = json_object_get(s, "additionalProperties");
        const char *key;
        json_t *member;
        json_object_foreach((json_t *)value, key, member) {
            const json_t *sch = json_object_get(props, key);
            if (!sch && json_object_size(patterns))
                sch = NULL, verdict = both(verdict, result_unknown(c, "patternProperties: not "
                                                                   "decided for a value"));
            if (!sch)
                sch = extra;
            if (!sch)
                continue;
            size_t saved;
            push(c, "properties", key, &saved);
            verdict = both(verdict, value_in(c, member, at(o, sch)));
            pop(c, saved);
            if (verdict == NO)
                break;
        }
    }
    if (verdict != NO && json_is_array(value)) {
        const json_t *prefix = json_object_get(s, "prefixItems");
        const json_t *items = json_object_get(s, "items");
        size_t i;
        json_t *item;
        json_array_foreach(value, i, item) {
            const json_t *sch = i < json_array_size(prefix) ? json_array_get(prefix, i) : items;
            if (!sch)
                continue;
            char index[24];
            snprintf(index, sizeof index, "%zu", i);
            size_t saved;
            push(c, "items", index, &saved);
            verdict = both(verdict, value_in(c, item, at(o, sch)));
            pop(c, saved);
            if (verdict == NO)
                break;
        }
        if (verdict != NO && json_object_get(s, "contains"))
            verdict = both(verdict, result_unknown(c, "contains: not decided"));
    }
    c->depth--;
    return verdict;
}

/* The finite set of values s allows, when it is finite by enum or const
 * (a new array), else NULL. */
static json_t *finite_values(const json_t *s)
{
    const json_t *e = json_object_get(s, "enum");
    const json_t *k = json_object_get(s, "const");
    if (k) {
        json_t *one = json_array();
        json_array_append(one, (json_t *)k);
        return one;
    }
    if (json_is_array(e))
        return json_copy((json_t *)e);
    unsigned t = types_of(s);
    if (t == T_NULL)
        return json_pack("[n]");
    if (t == T_BOOLEAN)
        return json_pack("[bb]", 1, 0);
    return NULL;
}

/* ---- bounds ------------------------------------------------------------------------ */

typedef struct bound {
    bool present, exclusive;
    double value;
} bound;

static bound read_bound(const json_t *s, const char *inclusive, const char *exclusive, bool lower)
{
    bound b = {0};
    const json_t *i = json_object_get(s, inclusive), *x = json_object_get(s, exclusive);
    if (json_is_number(i)) {
        b = (bound){true, false, json_number_value(i)};
    }
    if (json_is_number(x)) {
        double v = json_number_value(x);
        if (!b.present || (lower ? v >= b.value : v <= b.value))
            b = (bound){true, true, v};
    }
    return b;
}

/* For integers, an exclusive bound is the next integer inclusive. */
static bound integer_bound(bound b, bool lower)
{
    if (!b.present)
        return b;
    if (lower)
        b.value = b.exclusive ? floor(b.value) + 1 : ceil(b.value);
    else
        b.value = b.exclusive ? ceil(b.value) - 1 : floor(b.value);
    b.exclusive = false;
    return b;
}

static void describe_bound(bound b, const char *what, bool lower, char *buf, size_t size)
{
    if (b.present)
        snprintf(buf, size, "%s%s%s %g", b.exclusive ? "exclusive " : "", what,
                 lower ? "minimum" : "maximum", b.value);
    else
        snprintf(buf, size, "no %s%s", what, lower ? "minimum" : "maximum");
}

/* Whether s's bound is within o's (lower: s >= o). */
static int bound_within(ctx *c, bound s, bound o, bool lower, const char *what)
{
    if (!o.present)
        return YES;
    if (s.present) {
        bool inside = lower ? s.value > o.value : s.value < o.value;
        if (inside || (s.value == o.value && (s.exclusive || !o.exclusive)))
            return YES;
    }
    char mine[96], theirs[96];
    describe_bound(s, what, lower, mine, sizeof mine);
    describe_bound(o, what, lower, theirs, sizeof theirs);
    return result_no(c, "%s has %s where %s has %s", c->small, mine, c->big, theirs);
}

static bound count_bound(const json_t *s, const char *key)
{
    const json_t *v = json_object_get(s, key);
    return json_is_number(v) ? (bound){true, false, json_number_value(v)} : (bound){0};
}

/* ---- the structural check ------------------------------------------------------------------ */

static int check_numbers(ctx *c, const json_t *s, const json_t *o, unsigned shared)
{
    bool integers = !(shared & T_NUMBER);
    bound sl = read_bound(s, "minimum", "exclusiveMinimum", true);
    bound su = read_bound(s, "maximum", "exclusiveMaximum", false);
    bound ol = read_bound(o, "minimum", "exclusiveMinimum", true);
    bound ou = read_bound(o, "maximum", "exclusiveMaximum", false);
    if (integers) {
        sl = integer_bound(sl, true);
        su = integer_bound(su, false);
        ol = integer_bound(ol, true);
        ou = integer_bound(ou, false);
    }
    int r = both(bound_within(c, sl, ol, true, ""), bound_within(c, su, ou, false, ""));
    const json_t *om = json_object_get(o, "multipleOf");
    if (r != NO && json_is_number(om)) {
        double m = json_number_value(om);
        const json_t *sm = json_object_get(s, "multipleOf");
        double k = json_is_number(sm) ? json_number_value(sm) : integers ? 1 : 0;
        if (!(k > 0 && fabs(remainder(k, m)) <= 1e-12 * fabs(k)))
            r = result_no(c, "%s allows numbers that are not multiples of %g, %s does not",
                          c->small, m, c->big);
    }
    return r;
}

static int check_strings(ctx *c, const json_t *s, const json_t *o)
{
    int r = both(bound_within(c, count_bound(s, "minLength"), count_bound(o, "minLength"), true, "length "),
                 bound_within(c, count_bound(s, "maxLength"), count_bound(o, "maxLength"), false, "length "));
    const json_t *op = json_object_get(o, "pattern"), *sp = json_object_get(s, "pattern");
    if (r != NO && json_is_string(op) && !json_equal((json_t *)op, (json_t *)sp))
        r = both(r, sp ? result_unknown(c, "%s has pattern \"%s\" where %s has \"%s\": the "
                                        "inclusion of two regular expressions is not decided",
                                        c->small, json_string_value(sp), c->big, json_string_value(op))
                       : result_no(c, "%s has no pattern where %s requires \"%s\"", c->small,
                                   c->big, json_string_value(op)));
    const json_t *of = json_object_get(o, "format"), *sf = json_object_get(s, "format");
    if (r != NO && json_is_string(of) && !json_equal((json_t *)of, (json_t *)sf))
        r = result_no(c, "%s has format %s%s%s where %s has \"%s\"", c->small, sf ? "\"" : "",
                      sf ? json_string_value(sf) : "none", sf ? "\"" : "", c->big,
                      json_string_value(of));
    return r;
}

/* The schema of s for the item at index i (prefixItems, then items). */
static const json_t *item_schema(const json_t *s, size_t i)
{
    const json_t *prefix = json_object_get(s, "prefixItems");
    if (i < json_array_size(prefix))
        return json_array_get(prefix, i);
    const json_t *items = json_object_get(s, "items");
    return items ? items : json_true();
}

static int check_arrays(ctx *c, view s, view o)
{
    const json_t *ss = s.schema, *os = o.schema;
    int r = both(bound_within(c, count_bound(ss, "minItems"), count_bound(os, "minItems"), true, "item count "),
                 bound_within(c, count_bound(ss, "maxItems"), count_bound(os, "maxItems"), false, "item count "));
    if (r != NO && json_is_true(json_object_get(os, "uniqueItems")) &&
        !json_is_true(json_object_get(ss, "uniqueItems")))
        r = result_no(c, "%s allows repeated items, %s does not", c->small, c->big);
    size_t n = json_array_size(json_object_get(ss, "prefixItems"));
    size_t m = json_array_size(json_object_get(os, "prefixItems"));
    size_t positions = (n > m ? n : m) + 1; /* the last stands for every later item */
    for (size_t i = 0; r != NO && i < positions; i++) {
        char index[24];
        snprintf(index, sizeof index, "%zu", i);
        size_t saved;
        push(c, "items", i + 1 == positions ? NULL : index, &saved);
        r = both(r, sub(c, at(s, item_schema(ss, i)), at(o, item_schema(os, i))));
        pop(c, saved);
    }
    if (r != NO && json_object_get(os, "contains"))
        r = both(r, result_unknown(c, "contains: not decided"));
    return r;
}

static int check_objects(ctx *c, view s, view o)
{
    const json_t *ss = s.schema, *os = o.schema;
    int r = both(bound_within(c, count_bound(ss, "minProperties"), count_bound(os, "minProperties"), true, "property count "),
                 bound_within(c, count_bound(ss, "maxProperties"), count_bound(os, "maxProperties"), false, "property count "));
    const json_t *sp = json_object_get(ss, "properties"), *op = json_object_get(os, "properties");
    const json_t *sx = json_object_get(ss, "additionalProperties");
    const json_t *ox = json_object_get(os, "additionalProperties");
    if (!sx)
        sx = json_true();
    if (!ox)
        ox = json_true();
    bool s_patterns = json_object_size(json_object_get(ss, "patternProperties")) > 0;
    bool o_patterns = json_object_size(json_object_get(os, "patternProperties")) > 0;
    const json_t *required = json_object_get(os, "required");
    const json_t *s_required = json_object_get(ss, "required");
    size_t i;
    json_t *name;
    json_array_foreach(required, i, name) {
        bool found = false;
        size_t j;
        json_t *other;
        json_array_foreach(s_required, j, other)
            found = found || json_equal(name, other);
        if (!found && json_is_string(name)) {
            r = result_no(c, "%s does not require \"%s\", which %s requires", c->small,
                          json_string_value(name), c->big);
            break;
        }
    }
    const char *key;
    json_t *o_prop;
    json_object_foreach((json_t *)op, key, o_prop) {
        if (r == NO)
            break;
        const json_t *s_prop = json_object_get(sp, key);
        if (!s_prop && s_patterns) {
            r = both(r, result_unknown(c, "property \"%s\" may match patternProperties: not "
                                       "decided", key));
            continue;
        }
        size_t saved;
        push(c, "properties", key, &saved);
        r = both(r, sub(c, at(s, s_prop ? s_prop : sx), at(o, o_prop)));
        pop(c, saved);
    }
    json_t *s_prop;
    json_object_foreach((json_t *)sp, key, s_prop) {
        if (r == NO)
            break;
        if (json_object_get(op, key))
            continue;
        if (o_patterns) {
            r = both(r, result_unknown(c, "property \"%s\" may match the ontology's "
                                       "patternProperties: not decided", key));
            continue;
        }
        size_t saved;
        push(c, "properties", key, &saved);
        int k = sub(c, at(s, s_prop), at(o, ox));
        if (k == NO && json_is_false(ox)) {
            c->have_no = false;
            k = result_no(c, "%s allows property \"%s\", which %s does not have", c->small, key,
                          c->big);
        }
        r = both(r, k);
        pop(c, saved);
    }
    if (r != NO && !allows_all(ox)) {
        size_t saved;
        push(c, "additionalProperties", NULL, &saved);
        int k = s_patterns ? result_unknown(c, "patternProperties against additionalProperties: "
                                            "not decided")
                           : sub(c, at(s, sx), at(o, ox));
        if (k == NO && json_is_false(ox) && !json_is_false(sx)) {
            c->have_no = false;
            k = result_no(c, "%s allows properties %s does not have (\"additionalProperties\": "
                          "false is missing)", c->small, c->big);
        }
        r = both(r, k);
        pop(c, saved);
    }
    if (r != NO && (json_object_get(os, "propertyNames") || json_object_get(os, "dependentRequired") ||
                    json_object_get(os, "dependentSchemas") ||
                    json_object_get(os, "unevaluatedProperties")))
        r = both(r, result_unknown(c, "propertyNames, dependentRequired, dependentSchemas or "
                                   "unevaluatedProperties in the ontology: not decided"));
    return r;
}

/* S's keywords that sub() cannot use; dropping them only widens S. */
static bool s_has_dropped(const json_t *s)
{
    return json_object_get(s, "not") || json_object_get(s, "if") ||
           json_object_get(s, "contains") || json_object_get(s, "propertyNames") ||
           json_object_get(s, "dependentRequired") || json_object_get(s, "dependentSchemas") ||
           json_object_get(s, "unevaluatedProperties") || json_object_get(s, "unevaluatedItems");
}

/* Each value of a finite set against o. */
static int values_in(ctx *c, const json_t *values, view s, view o, const char *what)
{
    int r = YES;
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v) {
        saved_reasons before = hush(c);
        /* a value S's other keywords refuse is not one S allows */
        bool counts = !has_other_than(s.schema, (const char *const[]){"enum", "const", "type"}, 3) ||
                      value_in(c, v, s) == YES;
        unhush(c, before);
        if (!counts)
            continue;
        int k = value_in(c, v, o);
        if (k == NO) {
            char *shown = render(v);
            c->have_no = false;
            result_no(c, "%s allows %s %s, which %s does not", c->small, what,
                      shown ? shown : "a value", c->big);
            free(shown);
        }
        r = both(r, k);
        if (r == NO)
            break;
    }
    return r;
}

static int sub_object(ctx *c, view s, view o);

static int sub(ctx *c, view s, view o)
{
    if (++c->steps > WC_SUBSET_MAX_STEPS || c->depth > WC_SUBSET_MAX_DEPTH)
        return result_unknown(c, "too large to decide (over %u steps or %d levels)",
                              WC_SUBSET_MAX_STEPS, WC_SUBSET_MAX_DEPTH);
    if (allows_all(o.schema) || allows_none(s.schema))
        return YES;
    if (allows_none(o.schema))
        return result_no(c, "%s allows nothing here", c->big);
    if (!json_is_object(o.schema) || (!json_is_object(s.schema) && !json_is_true(s.schema)))
        return result_unknown(c, "not a schema");
    if (json_is_true(s.schema))
        return result_no(c, "%s allows any value, %s does not", c->small, c->big);
    c->depth++;
    int r = sub_object(c, s, o);
    c->depth--;
    return r;
}

static int sub_object(ctx *c, view s, view o)
{
    const json_t *ss = s.schema, *os = o.schema;
    int r;
    view target;
    /* O's $ref: S within the target and within the rest */
    if (json_is_string(json_object_get(os, "$ref"))) {
        if (!follow(c, o, &target, &r))
            return r;
        json_t *rest = without(os, "$ref");
        r = sub(c, s, target);
        if (r != NO && rest)
            r = both(r, sub(c, s, at(o, rest)));
        json_decref(rest);
        return r;
    }
    /* S's $ref: enough that the target or the rest fits */
    if (json_is_string(json_object_get(ss, "$ref"))) {
        if (!follow(c, s, &target, &r))
            return r;
        json_t *rest = without(ss, "$ref");
        bool rest_empty = !rest || allows_all(rest);
        saved_reasons before = save(c);
        r = sub(c, target, o);
        if (r != YES && !rest_empty) {
            int k = sub(c, at(s, rest), o);
            if (k == YES) {
                restore(c, before);
                r = YES;
            } else if (r == NO) {
                restore(c, before);
                r = result_unknown(c, "neither the $ref nor the keywords beside it fit alone; "
                                   "together they are not decided");
            }
        }
        json_decref(rest);
        return r;
    }
    /* O's allOf: within each */
    const json_t *list = json_object_get(os, "allOf");
    if (json_is_array(list)) {
        json_t *rest = without(os, "allOf");
        r = rest ? sub(c, s, at(o, rest)) : UNKNOWN;
        json_decref(rest);
        size_t i;
        json_t *branch;
        json_array_foreach(list, i, branch) {
            if (r == NO)
                break;
            r = both(r, sub(c, s, at(o, branch)));
        }
        return r;
    }
    /* S's allOf: enough that one part fits (or S's own keywords) */
    list = json_object_get(ss, "allOf");
    if (json_is_array(list)) {
        json_t *rest = without(ss, "allOf");
        saved_reasons before = save(c);
        /* decided before rest is let go below */
        bool rest_constrains = rest && !allows_all(rest);
        size_t parts = json_array_size(list) + rest_constrains;
        /* one part alone: its verdict is S's, with its own reason */
        r = rest_constrains || parts == 0 ? sub(c, at(s, rest ? rest : json_true()), o) : NO;
        size_t i;
        json_t *branch;
        json_array_foreach(list, i, branch) {
            if (r == YES)
                break;
            int k = sub(c, at(s, branch), o);
            if (k == YES || parts == 1)
                r = k;
        }
        json_decref(rest);
        if (r == YES)
            restore(c, before);
        else if (parts > 1) {
            restore(c, before);
            r = result_unknown(c, "no part of allOf fits alone; together they are not decided");
        }
        return r;
    }
    /* S's anyOf / oneOf: every branch (with S's other keywords) must fit */
    static const char *const unions[] = {"anyOf", "oneOf"};
    for (int u = 0; u < 2; u++) {
        list = json_object_get(ss, unions[u]);
        if (!json_is_array(list))
            continue;
        json_t *rest = without(ss, unions[u]);
        r = YES;
        size_t i;
        json_t *branch;
        json_array_foreach(list, i, branch) {
            json_t *merged = json_is_object(branch) && rest ? json_copy(rest) : NULL;
            bool clash = false;
            const char *key;
            json_t *v;
            if (merged)
                json_object_foreach(branch, key, v) {
                    clash = clash || (json_object_get(merged, key) && !is_annotation(key));
                    json_object_set(merged, key, v);
                }
            char index[24];
            snprintf(index, sizeof index, "%zu", i);
            size_t saved;
            push(c, unions[u], index, &saved);
            int k = merged && !clash ? sub(c, at(s, merged), o) : sub(c, at(s, branch), o);
            if (clash && k == NO) {
                c->have_no = false;
                k = result_unknown(c, "a branch of %s overlaps the keywords beside it: not decided",
                                   unions[u]);
            }
            pop(c, saved);
            json_decref(merged);
            r = both(r, k);
            if (r == NO)
                break;
        }
        json_decref(rest);
        return r;
    }
    /* S finite: value by value, exactly */
    json_t *values = finite_values(ss);
    if (values) {
        const char *what = json_object_get(ss, "const") ? "const" : "value";
        r = values_in(c, values, s, o, json_object_get(ss, "enum") ? "enum member" : what);
        json_decref(values);
        return r;
    }
    bool dropped = s_has_dropped(ss);
    r = YES;
    /* O a union of finitely many values (TypeSpec's literal unions), S not */
    for (int u = 0; u < 2; u++) {
        list = json_object_get(os, unions[u]);
        bool finite = json_array_size(list) > 0;
        size_t i;
        json_t *branch;
        json_array_foreach(list, i, branch) {
            json_t *values = json_is_object(branch) ? finite_values(branch) : NULL;
            finite = finite && values;
            json_decref(values);
        }
        if (finite) {
            char names[64];
            r = result_no(c, "%s allows any %s where %s allows only the values of its %s",
                          c->small, type_names(types_of(ss), names, sizeof names), c->big,
                          unions[u]);
            return dropped ? result_unknown(c, "not decided") : r;
        }
    }
    /* O's unions and not: S within some branch */
    for (int u = 0; u < 2 && r != NO; u++) {
        list = json_object_get(os, unions[u]);
        if (!json_is_array(list))
            continue;
        size_t fits = 0, i;
        json_t *branch;
        saved_reasons before = hush(c);
        unsigned st = types_of(ss);
        bool others_disjoint = true;
        json_array_foreach(list, i, branch) {
            if (sub(c, s, at(o, branch)) == YES)
                fits++;
            else if (json_is_object(branch) && (types_of(branch) & st))
                others_disjoint = false;
        }
        unhush(c, before);
        if (fits && (u == 0 || (fits == 1 && others_disjoint)))
            continue;
        r = result_unknown(c, "%s of the ontology: no single branch holds every value allowed "
                           "here; not decided", unions[u]);
    }
    if (r != NO && json_object_get(os, "not")) {
        unsigned nt = types_of(json_object_get(os, "not"));
        r = both(r, (types_of(ss) & nt) == 0 ? YES
                                             : result_unknown(c, "not in the ontology: not decided"));
    }
    if (r != NO && (json_object_get(os, "if") || json_object_get(os, "dependentSchemas")))
        r = both(r, result_unknown(c, "if/then/else in the ontology: not decided"));
    /* O finite, S not */
    json_t *o_values = json_object_get(os, "enum") || json_object_get(os, "const") ? finite_values(os) : NULL;
    if (r != NO && o_values) {
        char names[64];
        json_decref(o_values);
        r = result_no(c, "%s allows any %s where %s allows only %s", c->small,
                      type_names(types_of(ss), names, sizeof names), c->big,
                      json_object_get(os, "const") ? "one value" : "the values of its enum");
        return dropped ? result_unknown(c, "not decided") : r;
    }
    /* types */
    unsigned st = types_of(ss), ot = types_of(os);
    unsigned outside = st & ~ot;
    if (r != NO && outside) {
        char a[64], b[64];
        if (!(st & ot))
            c->disjoint = true;
        r = result_no(c, "%s has type %s where %s has %s", c->small, type_names(st, a, sizeof a),
                      c->big, type_names(ot, b, sizeof b));
    }
    unsigned shared = st & ot;
    if (r != NO && (shared & (T_NUMBER | T_INTEGER)))
        r = both(r, check_numbers(c, ss, os, shared));
    if (r != NO && (shared & T_STRING))
        r = both(r, check_strings(c, ss, os));
    if (r != NO && (shared & T_ARRAY))
        r = both(r, check_arrays(c, s, o));
    if (r != NO && (shared & T_OBJECT))
        r = both(r, check_objects(c, s, o));
    if (r == NO && dropped) {
        c->have_no = false;
        r = result_unknown(c, "not decided: the schema also uses not, if, contains or "
                           "dependent keywords, which this check does not follow");
    }
    return r;
}

int wc_subset(const wc_schema_docs *docs, wc_schema_view small, wc_schema_view big,
              const char *small_name, const char *big_name, wc_subset_result *r)
{
    ctx c = {.docs = docs, .r = r, .small = small_name ? small_name : "this schema",
             .big = big_name ? big_name : "the ontology"};
    memset(r, 0, sizeof *r);
    r->verdict = sub(&c, small, big);
    r->disjoint = r->verdict == NO && c.disjoint;
    if (r->verdict == NO) {
        snprintf(r->where, sizeof r->where, "%s", c.no_where);
        snprintf(r->reason, sizeof r->reason, "%s", c.no_reason);
    } else if (r->verdict == UNKNOWN) {
        snprintf(r->where, sizeof r->where, "%s", c.unknown_where);
        snprintf(r->reason, sizeof r->reason, "%s", c.unknown_reason);
    }
    return r->verdict;
}
