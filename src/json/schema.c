/* schema.c -- JSON Schema 2020-12 subset: compile a schema into a tree of
 * nodes, then validate instances against it.
 *
 * Each schema object (or boolean) of the document becomes one node, keyed
 * by its json_t while compiling so that a $ref to a schema already being
 * compiled (a recursive type such as a tree) reuses that node instead of
 * compiling forever.  Nodes own copies of everything they need, so the
 * compiled schema outlives the document and is never written after
 * compilation (validation from many threads needs no locks).
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "json/schema.h"
#include "json/pointer.h"

#include "json/parse.h"
#include "json/scan.h"
#include "util/clock.h"
#include "util/grow.h"

#include <ctype.h>
#include <math.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds the recursion on the schema document while compiling. */
#define MAX_SCHEMA_DEPTH 512
/* Bounds the stack of subschema evaluation: cycles that do not descend into
 * the instance are refused at compile time, but a long acyclic chain of
 * $refs, or one under each of many nested values, still nests this deep. */
#define MAX_EVALUATION_DEPTH 1024
/* What one regex match costs of a validation's steps (its own work is
 * bounded by the match context's limits). */
#define REGEX_STEPS 100
/* Steps between two looks at the clock, when there is a deadline. */
#define STEPS_PER_CLOCK_CHECK 1024
/* Longest rendering of an enum or const kept for messages. */
#define VALUE_TEXT_MAX 160

enum {
    TYPE_NULL = 1 << 0,
    TYPE_BOOLEAN = 1 << 1,
    TYPE_OBJECT = 1 << 2,
    TYPE_ARRAY = 1 << 3,
    TYPE_NUMBER = 1 << 4,
    TYPE_STRING = 1 << 5,
    TYPE_INTEGER = 1 << 6,
};

static const struct {
    const char *name;
    unsigned bit;
} type_names[] = {
    {"null", TYPE_NULL},     {"boolean", TYPE_BOOLEAN}, {"object", TYPE_OBJECT},
    {"array", TYPE_ARRAY},   {"number", TYPE_NUMBER},   {"string", TYPE_STRING},
    {"integer", TYPE_INTEGER},
};

typedef struct schema_node schema_node;

typedef struct {
    schema_node **items;
    size_t count;
} schema_list;

typedef struct {
    char *name;
    size_t name_len; /* strlen(name): members read from text compare by length first */
    schema_node *schema;
} named_schema;

typedef struct {
    pcre2_code *regex;
    char *source;
    schema_node *schema;
} pattern_schema;

/* A numeric keyword, kept exactly as written (integer or double). */
typedef struct {
    bool present;
    bool is_integer;
    json_int_t integer;
    double real;
} number_bound;

#define ABSENT (-1) /* for the count limits below */

/* A number instance, from a jansson value or straight from JSON text. */
typedef struct number_value {
    bool is_integer;
    json_int_t integer;
    double real;
} number_value;

/* A scalar instance -- from a jansson value, or straight from JSON text
 * with nothing allocated -- as the keywords for scalars read it. */
typedef struct scalar {
    json_type type; /* JSON_STRING, JSON_INTEGER, JSON_REAL, JSON_TRUE, JSON_FALSE, JSON_NULL */
    const char *string; /* JSON_STRING: its UTF-8 bytes (no NUL needed) */
    size_t length;
    number_value number; /* JSON_INTEGER, JSON_REAL */
} scalar;


struct schema_node {
    bool is_boolean;
    bool boolean_value;
    unsigned types; /* TYPE_* bits; 0 accepts every type */

    named_schema *properties;
    size_t property_count;
    pattern_schema *pattern_properties;
    size_t pattern_property_count;
    schema_node *additional_properties;
    char **required;
    size_t *required_len; /* strlen of each */
    size_t required_count;
    long long min_properties, max_properties;

    schema_node **prefix_items;
    size_t prefix_item_count;
    schema_node *items;
    long long min_items, max_items;
    bool unique_items;

    json_t *enum_values;
    char *enum_text;
    /* The scalars among the enum's values (a scalar instance equals no
     * other) and the const as a scalar: compared without jansson calls. */
    scalar *enum_scalars;
    size_t enum_scalar_count;
    json_t *const_value;
    char *const_text;
    scalar const_scalar;
    bool const_is_scalar;

    number_bound minimum, maximum, exclusive_minimum, exclusive_maximum;
    long long min_length, max_length;
    pcre2_code *pattern;
    char *pattern_source;

    schema_list all_of, any_of, one_of;
    schema_node *not_schema;
    schema_node *if_schema, *then_schema, *else_schema;
    schema_node *ref;
    char *ref_text;
    char *ref_at; /* where the $ref is ("#/anyOf/0/$ref"), for messages */
    size_t index; /* in wc_schema.nodes */
};

struct wc_schema {
    schema_node *root;
    schema_node **nodes; /* every node, for freeing */
    size_t node_count;
    /* The node an object's members are checked against from their text:
     * the root, or where its $refs lead (members_node); NULL when the root
     * needs the whole value. */
    const schema_node *members_root;
    /* PCRE2 limits of each match (immutable: shared by every validation);
     * NULL when the schema has no regex. */
    pcre2_match_context *match, *small_match;
};

/* ---- bounded text ------------------------------------------------------ */

/* A caller's fixed buffer, always NUL-terminated; output past its end is
 * dropped rather than overflowing. */
typedef struct {
    char *data;
    size_t size, len;
} text;

static void text_append(text *t, const char *s, size_t n)
{
    if (!t->data || t->size == 0)
        return;
    size_t room = t->size - 1 - t->len;
    if (n > room)
        n = room;
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

static void text_vprintf(text *t, const char *fmt, va_list ap)
{
    if (!t->data || t->size == 0)
        return;
    int n = vsnprintf(t->data + t->len, t->size - t->len, fmt, ap);
    if (n < 0)
        return;
    t->len += (size_t)n < t->size - t->len ? (size_t)n : t->size - 1 - t->len;
}

static void text_printf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_printf(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    text_vprintf(t, fmt, ap);
    va_end(ap);
}

static text text_over(char *buf, size_t size)
{
    text t = {buf, size, 0};
    if (buf && size)
        buf[0] = '\0';
    return t;
}

/* The message of a caller's wc_error (NULL: no message wanted). */
static text err_text(wc_error *err)
{
    return err ? text_over(err->msg, sizeof err->msg) : text_over(NULL, 0);
}

/* ---- JSON pointers ----------------------------------------------------- */

/* One step of a location, linked to its parent on the C stack; only
 * rendered when something fails. */
typedef struct json_path {
    const struct json_path *parent;
    const char *key;  /* object member; NULL for an array index */
    size_t index;
    bool verbatim;    /* key is a pointer prefix ("#", a $ref), printed as is */
    unsigned depth;
    size_t key_len;   /* SIZE_MAX: key is NUL-terminated */
} json_path;

static void append_path_segments(text *t, const json_path *path)
{
    if (!path)
        return;
    append_path_segments(t, path->parent);
    if (path->verbatim) {
        text_append(t, path->key, strlen(path->key));
        return;
    }
    text_append(t, "/", 1);
    if (!path->key) {
        text_printf(t, "%zu", path->index);
        return;
    }
    for (const char *c = path->key;
         path->key_len == SIZE_MAX ? *c != 0 : c < path->key + path->key_len; c++) {
        if (*c == '~')
            text_append(t, "~0", 2);
        else if (*c == '/')
            text_append(t, "~1", 2);
        else
            text_append(t, c, 1);
    }
}

static void append_path(text *t, const json_path *path)
{
    size_t before = t->len;
    append_path_segments(t, path);
    if (t->len == before)
        text_append(t, "/", 1); /* the instance itself */
}

static json_path path_key(const json_path *parent, const char *key)
{
    return (json_path){parent, key, 0, false, parent ? parent->depth + 1 : 1, SIZE_MAX};
}

/* A key given by its length (read from text: no NUL after it). */
static json_path path_key_n(const json_path *parent, const char *key, size_t len)
{
    return (json_path){parent, key, 0, false, parent ? parent->depth + 1 : 1, len};
}

static json_path path_index(const json_path *parent, size_t index)
{
    return (json_path){parent, NULL, index, false, parent ? parent->depth + 1 : 1, SIZE_MAX};
}

/* ---- numbers and equality ---------------------------------------------- */

typedef struct validation validation;
static bool spend(validation *v, uint64_t cost, const json_path *at);

/* Exact comparison of an integer with a double (no rounding of either,
 * so 9007199254740993 is greater than 9007199254740992.0). */
static int compare_integer_real(json_int_t integer, double real)
{
    if (real >= 0x1p63)
        return -1;
    if (real < -0x1p63)
        return 1;
    double whole = trunc(real);
    json_int_t whole_int = (json_int_t)whole;
    if (integer != whole_int)
        return integer < whole_int ? -1 : 1;
    double fraction = real - whole;
    return fraction > 0 ? -1 : fraction < 0 ? 1 : 0;
}

static number_value number_of(const json_t *number)
{
    number_value n = {.is_integer = json_is_integer(number)};
    if (n.is_integer)
        n.integer = json_integer_value(number);
    else
        n.real = json_real_value(number);
    return n;
}

static int compare_number_bound(number_value number, const number_bound *bound)
{
    if (number.is_integer) {
        json_int_t value = number.integer;
        if (bound->is_integer)
            return value < bound->integer ? -1 : value > bound->integer;
        return compare_integer_real(value, bound->real);
    }
    double value = number.real;
    if (bound->is_integer)
        return -compare_integer_real(bound->integer, value);
    return value < bound->real ? -1 : value > bound->real;
}

static bool numbers_equal(number_value a, number_value b)
{
    if (a.is_integer && b.is_integer)
        return a.integer == b.integer;
    if (!a.is_integer && !b.is_integer)
        return a.real == b.real;
    if (a.is_integer)
        return compare_integer_real(a.integer, b.real) == 0;
    return compare_integer_real(b.integer, a.real) == 0;
}

/* Whether a[0..n) and b[0..n) are the same bytes: keys and short strings,
 * where a call to memcmp costs more than the loop. */
static bool same_bytes(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

static scalar scalar_of(const json_t *instance)
{
    scalar s = {.type = json_typeof(instance)};
    if (s.type == JSON_STRING) {
        s.string = json_string_value(instance);
        s.length = json_string_length(instance);
    } else if (s.type == JSON_INTEGER || s.type == JSON_REAL) {
        s.number = number_of(instance);
    }
    return s;
}

static bool scalar_is_number(const scalar *s)
{
    return s->type == JSON_INTEGER || s->type == JSON_REAL;
}

/* schema_equal for two scalars. */
static bool scalar_same(const scalar *a, const scalar *b)
{
    if (scalar_is_number(a) && scalar_is_number(b))
        return numbers_equal(a->number, b->number);
    if (a->type != b->type)
        return false;
    if (a->type == JSON_STRING)
        return a->length == b->length && same_bytes(a->string, b->string, a->length);
    return true; /* true, false, null: the type says it all */
}

/* JSON Schema equality: json_equal, except that numbers compare by value
 * (1 equals 1.0).  Each value compared is a step of v's budget (false once
 * it is spent: the caller's verdict then yields to why it stopped). */
static bool schema_equal(validation *v, const json_t *a, const json_t *b)
{
    if (!spend(v, 1, NULL))
        return false;
    if (json_is_number(a) && json_is_number(b))
        return numbers_equal(number_of(a), number_of(b));
    if (json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!schema_equal(v, json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *key;
        json_t *value;
        json_object_foreach((json_t *)a, key, value) {
            const json_t *other = json_object_get(b, key);
            if (!other || !schema_equal(v, value, other))
                return false;
        }
        return true;
    }
    default: /* true, false, null: the type says it all */
        return true;
    }
}

static bool is_integral(number_value number)
{
    return number.is_integer || (isfinite(number.real) && number.real == trunc(number.real));
}

/* The shortest of %.15g..%.17g that reads back as the same double. */
static void format_real(char *out, size_t size, double value)
{
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(out, size, "%.*g", precision, value);
        if (strtod(out, NULL) == value)
            return;
    }
}

static void format_number(char *out, size_t size, number_value number)
{
    if (number.is_integer)
        snprintf(out, size, "%" JSON_INTEGER_FORMAT, number.integer);
    else
        format_real(out, size, number.real);
}

static void format_bound(char *out, size_t size, const number_bound *bound)
{
    if (bound->is_integer)
        snprintf(out, size, "%" JSON_INTEGER_FORMAT, bound->integer);
    else
        format_real(out, size, bound->real);
}

static const char *type_name(json_type type)
{
    switch (type) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

static const char *instance_type_name(const json_t *value)
{
    return type_name(json_typeof(value));
}

/* Whether a value of this type (and, for a number, integral or not) is one
 * of types. */
static bool has_type(unsigned types, json_type type, bool integral)
{
    switch (type) {
    case JSON_OBJECT: return types & TYPE_OBJECT;
    case JSON_ARRAY: return types & TYPE_ARRAY;
    case JSON_STRING: return types & TYPE_STRING;
    case JSON_INTEGER:
    case JSON_REAL:
        return (types & TYPE_NUMBER) || ((types & TYPE_INTEGER) && integral);
    case JSON_TRUE:
    case JSON_FALSE: return types & TYPE_BOOLEAN;
    default: return types & TYPE_NULL;
    }
}

/* Code points in UTF-8 (jansson strings are valid UTF-8): every byte that
 * is not a continuation byte starts one. */
/* Code points = bytes - continuation bytes (10xxxxxx), eight bytes at a
 * time: a byte-by-byte count was a third of a tool call taking a 12 KiB
 * string with minLength/maxLength (docs/BENCHMARKS.md, issue 13). */
/* The continuation bytes (10xxxxxx) among the 8 bytes of w: bit 7 set and
 * bit 6 clear; bit 6 moves up to bit 7 of its own byte. */
static size_t continuations8(uint64_t w)
{
    const uint64_t high = 0x8080808080808080ull;
    uint64_t marks = (w & ~(w << 1) & high) >> 7;
    return (size_t)((marks * 0x0101010101010101ull) >> 56);
}

static size_t utf8_length(const char *s, size_t bytes)
{
    const uint64_t high = 0x8080808080808080ull;
    size_t continuation = 0, i = 0;
    /* 64 bytes a turn: a block of ASCII only (keys, identifiers, base64:
     * most long strings) has nothing to count, and an OR of its words says
     * so in a fraction of the count's time */
    for (; i + 64 <= bytes; i += 64) {
        uint64_t w[8], any = 0;
        memcpy(w, s + i, sizeof w);
        for (int k = 0; k < 8; k++)
            any |= w[k];
        for (int k = 0; any & high && k < 8; k++)
            continuation += continuations8(w[k]);
    }
    for (; i + 8 <= bytes; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        continuation += continuations8(w);
    }
    for (; i < bytes; i++)
        continuation += ((unsigned char)s[i] & 0xC0) == 0x80;
    return bytes - continuation;
}

/* ---- compiling --------------------------------------------------------- */

typedef struct {
    wc_schema *schema;
    const json_t *document;
    const json_t **node_sources; /* parallel to schema->nodes */
    size_t node_capacity, sources_capacity;
    /* node index + 1 by source, open addressing (a power of two, at most
     * half full): finding a $ref's node costs the same at any size */
    size_t *slots;
    size_t slot_count;
    /* every "$anchor" of the document, by name then in document order;
     * collected at the first "#name" $ref */
    struct anchor_entry *anchors;
    size_t anchor_count, anchor_capacity;
    bool anchors_collected;
    text err;
    unsigned depth;
    bool has_regex;
} compiler;

static bool compile_error(compiler *c, const json_path *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool compile_error(compiler *c, const json_path *at, const char *fmt, ...)
{
    c->err.len = 0;
    text_append(&c->err, "at ", 3);
    append_path_segments(&c->err, at);
    text_append(&c->err, ": ", 2);
    va_list ap;
    va_start(ap, fmt);
    text_vprintf(&c->err, fmt, ap);
    va_end(ap);
    return false;
}

static bool out_of_memory(compiler *c, const json_path *at)
{
    return compile_error(c, at, "out of memory");
}

static schema_node *compile_node(compiler *c, const json_t *source, const json_path *at);

static bool read_count(compiler *c, const json_t *value, const json_path *at, long long *out)
{
    if (!json_is_number(value) || !is_integral(number_of(value)) ||
        (json_is_integer(value) ? json_integer_value(value) < 0
                                                       : json_real_value(value) < 0))
        return compile_error(c, at, "must be a non-negative integer");
    if (json_is_integer(value))
        *out = json_integer_value(value);
    else
        *out = json_real_value(value) >= 0x1p63 ? INT64_MAX : (long long)json_real_value(value);
    return true;
}

static bool read_bound(compiler *c, const json_t *value, const json_path *at, number_bound *out)
{
    if (!json_is_number(value))
        return compile_error(c, at, "must be a number");
    out->present = true;
    out->is_integer = json_is_integer(value);
    out->integer = out->is_integer ? json_integer_value(value) : 0;
    out->real = out->is_integer ? 0 : json_real_value(value);
    return true;
}

static bool read_types(compiler *c, const json_t *value, const json_path *at, unsigned *out)
{
    const json_t *names = value;
    size_t count = json_is_array(value) ? json_array_size(value) : 1;
    if (!json_is_string(value) && !(json_is_array(value) && count > 0))
        return compile_error(c, at, "must be a type name or a non-empty array of them");
    *out = 0;
    for (size_t i = 0; i < count; i++) {
        const json_t *name = json_is_array(names) ? json_array_get(names, i) : names;
        json_path item = path_index(at, i);
        const json_path *where = json_is_array(names) ? &item : at;
        if (!json_is_string(name))
            return compile_error(c, where, "type names are strings");
        unsigned bit = 0;
        for (size_t t = 0; t < sizeof type_names / sizeof type_names[0]; t++)
            if (strcmp(json_string_value(name), type_names[t].name) == 0)
                bit = type_names[t].bit;
        if (!bit)
            return compile_error(c, where,
                                 "unknown type \"%s\" (expected null, boolean, object, array, "
                                 "number, integer or string)",
                                 json_string_value(name));
        *out |= bit;
    }
    return true;
}

static bool compile_list(compiler *c, const json_t *value, const json_path *at, schema_list *out)
{
    if (!json_is_array(value) || json_array_size(value) == 0)
        return compile_error(c, at, "must be a non-empty array of schemas");
    out->items = calloc(json_array_size(value), sizeof *out->items);
    if (!out->items)
        return out_of_memory(c, at);
    for (size_t i = 0; i < json_array_size(value); i++) {
        json_path item = path_index(at, i);
        if (!(out->items[i] = compile_node(c, json_array_get(value, i), &item)))
            return false;
        out->count++;
    }
    return true;
}

static pcre2_code *compile_regex(compiler *c, const json_t *value, const json_path *at)
{
    if (!json_is_string(value)) {
        compile_error(c, at, "must be a regular expression string");
        return NULL;
    }
    int code;
    PCRE2_SIZE offset;
    pcre2_code *regex = pcre2_compile((PCRE2_SPTR)json_string_value(value),
                                      json_string_length(value), PCRE2_UTF, &code, &offset, NULL);
    if (!regex) {
        PCRE2_UCHAR reason[256];
        if (pcre2_get_error_message(code, reason, sizeof reason) < 0)
            snprintf((char *)reason, sizeof reason, "error %d", code);
        compile_error(c, at, "invalid regular expression \"%s\" at offset %zu: %s",
                      json_string_value(value), (size_t)offset, (char *)reason);
        return NULL;
    }
    c->has_regex = true;
    /* JIT makes matching much faster; without it (no executable memory)
     * the interpreter still works, so its failure is not an error. */
    pcre2_jit_compile(regex, PCRE2_JIT_COMPLETE);
    return regex;
}

/* Renders a value for messages ("one of: ..."), shortened if long. */
static char *render_value(const json_t *value)
{
    char *dumped = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    if (dumped && strlen(dumped) > VALUE_TEXT_MAX)
        strcpy(dumped + VALUE_TEXT_MAX - 3, "...");
    return dumped;
}

typedef struct anchor_entry {
    const char *name;
    const json_t *schema;
    size_t order; /* in the walk: the first declaration is the one kept */
} anchor_entry;

/* Appends every subschema of v declaring "$anchor" (one walk of the
 * document for all "#name" refs).  depth bounds the walk of a hostile
 * document.  False when out of memory. */
static bool collect_anchors(compiler *c, const json_t *v, int depth)
{
    if (depth > 256)
        return true;
    if (json_is_object(v)) {
        const json_t *anchor = json_object_get(v, "$anchor");
        if (json_is_string(anchor)) {
            if (!wc_grow((void **)&c->anchors, &c->anchor_capacity, c->anchor_count + 1,
                         sizeof *c->anchors))
                return false;
            c->anchors[c->anchor_count] =
                (anchor_entry){json_string_value(anchor), v, c->anchor_count};
            c->anchor_count++;
        }
        const char *key;
        json_t *sub;
        json_object_foreach((json_t *)v, key, sub) {
            if (strcmp(key, "enum") != 0 && strcmp(key, "const") != 0 && /* data, not schemas */
                !collect_anchors(c, sub, depth + 1))
                return false;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *sub;
        json_array_foreach(v, i, sub)
            if (!collect_anchors(c, sub, depth + 1))
                return false;
    }
    return true;
}

static int compare_anchors(const void *a, const void *b)
{
    const anchor_entry *x = a, *y = b;
    int by_name = strcmp(x->name, y->name);
    return by_name ? by_name : (x->order > y->order) - (x->order < y->order);
}

/* The subschemas declaring "$anchor": name (counted; the first kept). */
static bool find_anchor(compiler *c, const char *name, const json_t **found, int *count)
{
    if (!c->anchors_collected) {
        if (!collect_anchors(c, c->document, 0))
            return false;
        if (c->anchor_count) /* (qsort wants an array even for none) */
            qsort(c->anchors, c->anchor_count, sizeof *c->anchors, compare_anchors);
        c->anchors_collected = true;
    }
    size_t low = 0, high = c->anchor_count; /* the first entry not before name */
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        if (strcmp(c->anchors[mid].name, name) < 0)
            low = mid + 1;
        else
            high = mid;
    }
    for (size_t i = low; i < c->anchor_count && strcmp(c->anchors[i].name, name) == 0; i++)
        if ((*count)++ == 0)
            *found = c->anchors[i].schema;
    return true;
}

/* Resolves "#", "#/a/b" (a JSON pointer) or "#name" (an $anchor) against
 * the document; NULL with err set if not. */
static const json_t *resolve_ref(compiler *c, const char *ref, const json_path *at)
{
    if (ref[0] != '#') {
        compile_error(c, at, "$ref \"%s\" is not supported: only local references (\"#/$defs/NAME\")",
                      ref);
        return NULL;
    }
    if (ref[1] != '\0' && ref[1] != '/') {
        const json_t *found = NULL;
        int count = 0;
        if (!find_anchor(c, ref + 1, &found, &count)) {
            out_of_memory(c, at);
            return NULL;
        }
        if (count != 1)
            compile_error(c, at, count ? "$ref \"%s\": the anchor is declared %d times"
                                       : "$ref \"%s\": no subschema declares this $anchor%.0d",
                          ref, count);
        return count == 1 ? found : NULL;
    }
    const json_t *target;
    if (wc_json_pointer_follow(c->document, ref + 1, &target) == WC_ENOMEM) {
        out_of_memory(c, at);
        return NULL;
    }
    if (!target)
        compile_error(c, at, "$ref \"%s\" does not point to anything in this schema", ref);
    return target;
}

static size_t slot_of(const compiler *c, const json_t *source)
{
    size_t mask = c->slot_count - 1;
    size_t i = (size_t)(((uintptr_t)source >> 4) * 0x9E3779B97F4A7C15ull) & mask;
    while (c->slots[i] && c->node_sources[c->slots[i] - 1] != source)
        i = (i + 1) & mask;
    return i;
}

/* The node compiled from source, or NULL. */
static schema_node *node_from(const compiler *c, const json_t *source)
{
    if (!c->slot_count)
        return NULL;
    size_t index = c->slots[slot_of(c, source)];
    return index ? c->schema->nodes[index - 1] : NULL;
}

/* Indexes node number `index` (its source already recorded). */
static bool index_node(compiler *c, size_t index)
{
    if (2 * (index + 1) > c->slot_count) {
        size_t count = c->slot_count ? 2 * c->slot_count : 64;
        size_t *slots = calloc(count, sizeof *slots);
        if (!slots)
            return false;
        free(c->slots);
        c->slots = slots;
        c->slot_count = count;
        for (size_t i = 0; i < index; i++)
            c->slots[slot_of(c, c->node_sources[i])] = i + 1;
    }
    c->slots[slot_of(c, c->node_sources[index])] = index + 1;
    return true;
}

static schema_node *new_node(compiler *c, const json_t *source, const json_path *at)
{
    wc_schema *s = c->schema;
    size_t need = s->node_count + 1;
    if (!wc_grow((void **)&s->nodes, &c->node_capacity, need, sizeof *s->nodes) ||
        !wc_grow((void **)&c->node_sources, &c->sources_capacity, need, sizeof *c->node_sources)) {
        out_of_memory(c, at);
        return NULL;
    }
    schema_node *node = calloc(1, sizeof *node);
    if (!node) {
        out_of_memory(c, at);
        return NULL;
    }
    node->min_properties = node->max_properties = ABSENT;
    node->min_items = node->max_items = ABSENT;
    node->min_length = node->max_length = ABSENT;
    node->index = s->node_count;
    c->node_sources[s->node_count] = source;
    s->nodes[s->node_count++] = node;
    if (!index_node(c, node->index)) {
        out_of_memory(c, at);
        return NULL;
    }
    return node;
}

static bool compile_object_keywords(compiler *c, schema_node *node, const json_t *source,
                                    const json_path *at)
{
    const json_t *value;
#define KEYWORD(name) \
    (value = json_object_get(source, name)) != NULL && ((keyword_path = path_key(at, name)), true)
    json_path keyword_path;

    if (KEYWORD("type") && !read_types(c, value, &keyword_path, &node->types))
        return false;

    if (KEYWORD("properties")) {
        if (!json_is_object(value))
            return compile_error(c, &keyword_path, "must be an object of schemas");
        node->properties = calloc(json_object_size(value) + 1, sizeof *node->properties);
        if (!node->properties)
            return out_of_memory(c, &keyword_path);
        const char *name;
        json_t *sub;
        json_object_foreach((json_t *)value, name, sub) {
            json_path property = path_key(&keyword_path, name);
            named_schema *entry = &node->properties[node->property_count];
            if (!(entry->name = strdup(name)))
                return out_of_memory(c, &property);
            entry->name_len = strlen(entry->name);
            node->property_count++;
            if (!(entry->schema = compile_node(c, sub, &property)))
                return false;
        }
    }
    if (KEYWORD("patternProperties")) {
        if (!json_is_object(value))
            return compile_error(c, &keyword_path, "must be an object of schemas");
        node->pattern_properties =
            calloc(json_object_size(value) + 1, sizeof *node->pattern_properties);
        if (!node->pattern_properties)
            return out_of_memory(c, &keyword_path);
        const char *source_text;
        json_t *sub;
        json_object_foreach((json_t *)value, source_text, sub) {
            json_path property = path_key(&keyword_path, source_text);
            pattern_schema *entry = &node->pattern_properties[node->pattern_property_count];
            json_t *pattern_string = json_string(source_text);
            entry->regex = pattern_string ? compile_regex(c, pattern_string, &property) : NULL;
            json_decref(pattern_string);
            if (!entry->regex)
                return pattern_string ? false : out_of_memory(c, &property);
            node->pattern_property_count++;
            if (!(entry->source = strdup(source_text)))
                return out_of_memory(c, &property);
            if (!(entry->schema = compile_node(c, sub, &property)))
                return false;
        }
    }
    if (KEYWORD("additionalProperties") &&
        !(node->additional_properties = compile_node(c, value, &keyword_path)))
        return false;
    if (KEYWORD("required")) {
        if (!json_is_array(value))
            return compile_error(c, &keyword_path, "must be an array of property names");
        node->required = calloc(json_array_size(value) + 1, sizeof *node->required);
        node->required_len = calloc(json_array_size(value) + 1, sizeof *node->required_len);
        if (!node->required || !node->required_len)
            return out_of_memory(c, &keyword_path);
        for (size_t i = 0; i < json_array_size(value); i++) {
            const json_t *name = json_array_get(value, i);
            json_path item = path_index(&keyword_path, i);
            if (!json_is_string(name))
                return compile_error(c, &item, "property names are strings");
            if (!(node->required[node->required_count] = strdup(json_string_value(name))))
                return out_of_memory(c, &item);
            node->required_len[node->required_count] = strlen(node->required[node->required_count]);
            node->required_count++;
        }
    }
    if (KEYWORD("minProperties") && !read_count(c, value, &keyword_path, &node->min_properties))
        return false;
    if (KEYWORD("maxProperties") && !read_count(c, value, &keyword_path, &node->max_properties))
        return false;

    if (KEYWORD("prefixItems")) {
        schema_list list = {0};
        bool ok = compile_list(c, value, &keyword_path, &list);
        node->prefix_items = list.items;
        node->prefix_item_count = list.count;
        if (!ok)
            return false;
    }
    if (KEYWORD("items")) {
        if (json_is_array(value))
            return compile_error(c, &keyword_path,
                                 "must be a schema; JSON Schema 2020-12 writes tuples as "
                                 "\"prefixItems\"");
        if (!(node->items = compile_node(c, value, &keyword_path)))
            return false;
    }
    if (KEYWORD("minItems") && !read_count(c, value, &keyword_path, &node->min_items))
        return false;
    if (KEYWORD("maxItems") && !read_count(c, value, &keyword_path, &node->max_items))
        return false;
    if (KEYWORD("uniqueItems")) {
        if (!json_is_boolean(value))
            return compile_error(c, &keyword_path, "must be true or false");
        node->unique_items = json_is_true(value);
    }

    if (KEYWORD("enum")) {
        if (!json_is_array(value))
            return compile_error(c, &keyword_path, "must be an array of values");
        if (!(node->enum_values = json_deep_copy(value)) ||
            !(node->enum_text = render_value(value)) ||
            !(node->enum_scalars = calloc(json_array_size(value) + 1, sizeof *node->enum_scalars)))
            return out_of_memory(c, &keyword_path);
        for (size_t i = 0; i < json_array_size(node->enum_values); i++) {
            const json_t *item = json_array_get(node->enum_values, i);
            if (!json_is_object(item) && !json_is_array(item))
                node->enum_scalars[node->enum_scalar_count++] = scalar_of(item);
        }
    }
    if (KEYWORD("const")) {
        if (!(node->const_value = json_deep_copy(value)) ||
            !(node->const_text = render_value(value)))
            return out_of_memory(c, &keyword_path);
        if ((node->const_is_scalar = !json_is_object(value) && !json_is_array(value)))
            node->const_scalar = scalar_of(node->const_value);
    }

    if (KEYWORD("minimum") && !read_bound(c, value, &keyword_path, &node->minimum))
        return false;
    if (KEYWORD("maximum") && !read_bound(c, value, &keyword_path, &node->maximum))
        return false;
    if (KEYWORD("exclusiveMinimum") &&
        !read_bound(c, value, &keyword_path, &node->exclusive_minimum))
        return false;
    if (KEYWORD("exclusiveMaximum") &&
        !read_bound(c, value, &keyword_path, &node->exclusive_maximum))
        return false;
    if (KEYWORD("minLength") && !read_count(c, value, &keyword_path, &node->min_length))
        return false;
    if (KEYWORD("maxLength") && !read_count(c, value, &keyword_path, &node->max_length))
        return false;
    if (KEYWORD("pattern")) {
        if (!(node->pattern = compile_regex(c, value, &keyword_path)))
            return false;
        if (!(node->pattern_source = strdup(json_string_value(value))))
            return out_of_memory(c, &keyword_path);
    }

    if (KEYWORD("allOf") && !compile_list(c, value, &keyword_path, &node->all_of))
        return false;
    if (KEYWORD("anyOf") && !compile_list(c, value, &keyword_path, &node->any_of))
        return false;
    if (KEYWORD("oneOf") && !compile_list(c, value, &keyword_path, &node->one_of))
        return false;
    if (KEYWORD("not") && !(node->not_schema = compile_node(c, value, &keyword_path)))
        return false;
    if (KEYWORD("if") && !(node->if_schema = compile_node(c, value, &keyword_path)))
        return false;
    if (KEYWORD("then") && !(node->then_schema = compile_node(c, value, &keyword_path)))
        return false;
    if (KEYWORD("else") && !(node->else_schema = compile_node(c, value, &keyword_path)))
        return false;

    /* Definitions are checked even when nothing refers to them, so a
     * broken one is reported when the schema is loaded. */
    if (KEYWORD("$defs")) {
        if (!json_is_object(value))
            return compile_error(c, &keyword_path, "must be an object of schemas");
        const char *name;
        json_t *sub;
        json_object_foreach((json_t *)value, name, sub) {
            json_path definition = path_key(&keyword_path, name);
            if (!compile_node(c, sub, &definition))
                return false;
        }
    }
    if (KEYWORD("$ref")) {
        if (!json_is_string(value))
            return compile_error(c, &keyword_path, "must be a string");
        char where[512];
        text where_text = text_over(where, sizeof where);
        append_path_segments(&where_text, &keyword_path);
        if (!(node->ref_text = strdup(json_string_value(value))) ||
            !(node->ref_at = strdup(where)))
            return out_of_memory(c, &keyword_path);
        const json_t *target = resolve_ref(c, node->ref_text, &keyword_path);
        if (!target)
            return false;
        json_path target_path = {NULL, node->ref_text, 0, true, 0, SIZE_MAX};
        if (!(node->ref = compile_node(c, target, &target_path)))
            return false;
    }
#undef KEYWORD
    return true;
}

static schema_node *compile_node(compiler *c, const json_t *source, const json_path *at)
{
    schema_node *known = node_from(c, source);
    if (known)
        return known;
    if (!json_is_object(source) && !json_is_boolean(source)) {
        compile_error(c, at, "a schema must be an object or a boolean, not %s",
                      instance_type_name(source));
        return NULL;
    }
    if (c->depth >= MAX_SCHEMA_DEPTH) {
        compile_error(c, at, "schema nested deeper than %d levels", MAX_SCHEMA_DEPTH);
        return NULL;
    }
    schema_node *node = new_node(c, source, at);
    if (!node)
        return NULL;
    if (json_is_boolean(source)) {
        node->is_boolean = true;
        node->boolean_value = json_is_true(source);
        return node;
    }
    c->depth++;
    bool ok = compile_object_keywords(c, node, source, at);
    c->depth--;
    return ok ? node : NULL;
}

static void free_node(schema_node *node)
{
    for (size_t i = 0; i < node->property_count; i++)
        free(node->properties[i].name);
    free(node->properties);
    for (size_t i = 0; i < node->pattern_property_count; i++) {
        pcre2_code_free(node->pattern_properties[i].regex);
        free(node->pattern_properties[i].source);
    }
    free(node->pattern_properties);
    for (size_t i = 0; i < node->required_count; i++)
        free(node->required[i]);
    free(node->required);
    free(node->required_len);
    free(node->prefix_items);
    json_decref(node->enum_values);
    free(node->enum_text);
    free(node->enum_scalars);
    json_decref(node->const_value);
    free(node->const_text);
    pcre2_code_free(node->pattern);
    free(node->pattern_source);
    free(node->all_of.items);
    free(node->any_of.items);
    free(node->one_of.items);
    free(node->ref_text);
    free(node->ref_at);
    free(node);
}

void wc_schema_free(wc_schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->node_count; i++)
        free_node(s->nodes[i]);
    free(s->nodes);
    pcre2_match_context_free(s->match);
    pcre2_match_context_free(s->small_match);
    free(s);
}

/* ---- refusing what cannot be bounded ------------------------------------ */

/* The k-th subschema applied to the very value a node is applied to (not
 * to a member or an item of it), or NULL past the last. */
static const schema_node *in_place_child(const schema_node *node, size_t k)
{
    const schema_list *lists[] = {&node->all_of, &node->any_of, &node->one_of};
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        if (k < lists[l]->count)
            return lists[l]->items[k];
        k -= lists[l]->count;
    }
    const schema_node *single[] = {node->not_schema, node->if_schema, node->then_schema,
                                   node->else_schema, node->ref};
    for (size_t i = 0; i < sizeof single / sizeof single[0]; i++)
        if (single[i] && k-- == 0)
            return single[i];
    return NULL;
}

typedef struct {
    const schema_node *node;
    size_t next_child;
} cycle_frame;

/* A cycle of in-place subschemas ({"anyOf": [{"$ref": "#"}, ...]}) would
 * apply itself to the same value forever (or 2^depth times): refused.  A
 * depth-first walk over in-place edges; a cycle always passes a $ref (the
 * document itself is a tree), which the message names. */
static bool refuse_in_place_cycles(compiler *c)
{
    wc_schema *s = c->schema;
    size_t n = s->node_count;
    unsigned char *state = calloc(n, 1); /* 0 unseen, 1 on the walk's path, 2 done */
    cycle_frame *path = malloc(n * sizeof *path);
    bool ok = state && path;
    if (!ok)
        text_printf(&c->err, "out of memory");
    for (size_t root = 0; ok && root < n; root++) {
        if (state[root])
            continue;
        size_t depth = 0;
        path[depth++] = (cycle_frame){s->nodes[root], 0};
        state[root] = 1;
        while (ok && depth) {
            cycle_frame *top = &path[depth - 1];
            const schema_node *child = in_place_child(top->node, top->next_child++);
            if (!child) {
                state[top->node->index] = 2;
                depth--;
            } else if (state[child->index] == 0) {
                state[child->index] = 1;
                path[depth++] = (cycle_frame){child, 0};
            } else if (state[child->index] == 1) {
                size_t first = depth - 1;
                while (path[first].node != child)
                    first--;
                const schema_node *by = NULL;
                for (size_t i = first; i < depth && !by; i++) {
                    const schema_node *next = i + 1 < depth ? path[i + 1].node : child;
                    if (path[i].node->ref == next)
                        by = path[i].node;
                }
                c->err.len = 0;
                text_printf(&c->err,
                            "at %s: $ref \"%s\" leads back to a schema applied to the same "
                            "value, so validating could recurse without end; recursion must "
                            "pass through properties, items or another keyword that applies to "
                            "a part of the value",
                            by ? by->ref_at : "#", by ? by->ref_text : "#");
                ok = false;
            }
        }
    }
    free(state);
    free(path);
    return ok;
}

static const schema_node *members_node(const schema_node *root);

static wc_schema *compile_schema(const json_t *schema, wc_error *err);

wc_schema *wc_schema_compile(const json_t *schema, wc_error *err)
{
    wc_schema *s = compile_schema(schema, err);
    if (!s && err)
        err->code = strcmp(err->msg, "out of memory") == 0 ? WC_ENOMEM : WC_EINVAL;
    return s;
}

static wc_schema *compile_schema(const json_t *schema, wc_error *err)
{
    compiler c = {.document = schema, .err = err_text(err)};
    if (!schema) {
        text_printf(&c.err, "no schema");
        return NULL;
    }
    if (!(c.schema = calloc(1, sizeof *c.schema))) {
        text_printf(&c.err, "out of memory");
        return NULL;
    }
    json_path root = {NULL, "#", 0, true, 0, SIZE_MAX};
    c.schema->root = compile_node(&c, schema, &root);
    free(c.node_sources);
    free(c.slots);
    free(c.anchors);
    if (!c.schema->root) {
        wc_schema_free(c.schema);
        return NULL;
    }
    if (!refuse_in_place_cycles(&c)) {
        wc_schema_free(c.schema);
        return NULL;
    }
    if (c.has_regex) {
        c.schema->match = pcre2_match_context_create(NULL);
        c.schema->small_match = pcre2_match_context_create(NULL);
        if (!c.schema->match || !c.schema->small_match) {
            text_printf(&c.err, "out of memory");
            wc_schema_free(c.schema);
            return NULL;
        }
        pcre2_set_match_limit(c.schema->match, WC_SCHEMA_MATCH_LIMIT);
        pcre2_set_match_limit(c.schema->small_match, WC_SCHEMA_SMALL_MATCH_LIMIT);
        pcre2_set_depth_limit(c.schema->match, WC_SCHEMA_DEPTH_LIMIT);
        pcre2_set_depth_limit(c.schema->small_match, WC_SCHEMA_DEPTH_LIMIT);
    }
    c.schema->members_root = members_node(c.schema->root);
    return c.schema;
}

/* ---- validating -------------------------------------------------------- */

/* What one validation may still spend, shared by the quiet runs nested in
 * it (anyOf alternatives): once stopped, every step fails at once. */
typedef struct {
    uint64_t steps_left, steps_limit;
    int64_t until_clock; /* steps until the next look at the clock */
    uint64_t deadline_ns;
    uint32_t max_ms;
    pcre2_match_context *match; /* only read by pcre2_match */
    unsigned match_limit;
    int stopped; /* 0, WC_SCHEMA_OVER_BUDGET or WC_SCHEMA_PAST_DEADLINE */
    char why[384];
} work;

struct validation {
    text err;     /* data NULL when only the verdict is wanted */
    unsigned evaluation_depth;
    work *work;
};

static void work_init(work *w, const wc_schema *s, const wc_schema_budget *budget)
{
    w->steps_limit = budget && budget->max_steps ? budget->max_steps : WC_SCHEMA_DEFAULT_STEPS;
    w->steps_left = w->steps_limit;
    w->until_clock = STEPS_PER_CLOCK_CHECK;
    w->deadline_ns = budget ? budget->deadline_ns : 0;
    w->max_ms = budget ? budget->max_ms : 0;
    bool small = budget && budget->small;
    w->match = s ? (small ? s->small_match : s->match) : NULL;
    w->match_limit = small ? WC_SCHEMA_SMALL_MATCH_LIMIT : WC_SCHEMA_MATCH_LIMIT;
    w->stopped = 0;
}

static bool stop_work(work *w, int why, const json_path *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bool stop_work(work *w, int why, const json_path *at, const char *fmt, ...)
{
    w->stopped = why;
    text t = text_over(w->why, sizeof w->why);
    text_append(&t, "schema validation stopped at ", 29);
    append_path(&t, at);
    text_append(&t, ": ", 2);
    va_list ap;
    va_start(ap, fmt);
    text_vprintf(&t, fmt, ap);
    va_end(ap);
    return false;
}

/* Takes cost steps of the budget: false (and the work stopped) when it is
 * spent or its time is up.  The clock is read only every
 * STEPS_PER_CLOCK_CHECK steps, so small checks never read it. */
static bool spend(validation *v, uint64_t cost, const json_path *at)
{
    work *w = v->work;
    if (w->stopped)
        return false;
    if (cost > w->steps_left)
        return stop_work(w, WC_SCHEMA_OVER_BUDGET, at,
                         "it needed more than %llu steps, the limit of one validation (the "
                         "value is too costly to check against this schema)",
                         (unsigned long long)w->steps_limit);
    w->steps_left -= cost;
    if ((w->until_clock -= (int64_t)cost) > 0 || (!w->deadline_ns && !w->max_ms))
        return true;
    w->until_clock = STEPS_PER_CLOCK_CHECK;
    uint64_t now = wc_monotonic_ns();
    if (!w->deadline_ns)
        w->deadline_ns = now + (uint64_t)w->max_ms * 1000000u;
    if (now < w->deadline_ns)
        return true;
    return stop_work(w, WC_SCHEMA_PAST_DEADLINE, at, "its time ran out");
}

/* The verdict of a whole validation: why it stopped, if it did, wins
 * over what the stopped steps answered. */
static int verdict_of(validation *v, bool ok, wc_error *err)
{
    if (!v->work->stopped) {
        if (!ok && err)
            err->code = WC_EINVAL;
        return ok ? WC_SCHEMA_VALID : WC_SCHEMA_INVALID;
    }
    if (v->err.data) {
        v->err.len = 0;
        text_append(&v->err, v->work->why, strlen(v->work->why));
    }
    if (err)
        err->code = v->work->stopped;
    return v->work->stopped;
}

static bool invalid(validation *v, const json_path *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool invalid(validation *v, const json_path *at, const char *fmt, ...)
{
    if (!v->err.data)
        return false;
    v->err.len = 0;
    v->err.data[0] = '\0';
    text_append(&v->err, "at ", 3);
    append_path(&v->err, at);
    text_append(&v->err, ": ", 2);
    va_list ap;
    va_start(ap, fmt);
    text_vprintf(&v->err, fmt, ap);
    va_end(ap);
    return false;
}

static bool validate_node(validation *v, const schema_node *node, const json_t *instance,
                          const json_path *at);

/* Runs a subschema without a message (alternatives of anyOf/oneOf/not are
 * expected to fail; messages are built only when the whole keyword does). */
static bool matches_quietly(validation *v, const schema_node *node, const json_t *instance,
                            const json_path *at)
{
    validation quiet = {.evaluation_depth = v->evaluation_depth, .work = v->work};
    return validate_node(&quiet, node, instance, at);
}

/* Appends every alternative's failure to the message: which one was meant
 * is unknown, so the reader gets all of them. */
static void explain_alternatives(validation *v, const schema_list *list, const json_t *instance,
                                 const json_path *at)
{
    if (!v->err.data || v->work->stopped)
        return;
    char *detail = malloc(v->err.size);
    if (!detail)
        return;
    for (size_t i = 0; i < list->count && v->err.len + 1 < v->err.size; i++) {
        validation loud = {.err = text_over(detail, v->err.size),
                           .evaluation_depth = v->evaluation_depth, .work = v->work};
        if (!validate_node(&loud, list->items[i], instance, at))
            text_printf(&v->err, "%s[%zu] %s", i ? "; " : " ", i, detail);
    }
    free(detail);
}

static bool validate_number(validation *v, const schema_node *node, number_value instance,
                            const json_path *at)
{
    char value[40], bound[40];
    if (node->minimum.present && compare_number_bound(instance, &node->minimum) < 0) {
        format_number(value, sizeof value, instance);
        format_bound(bound, sizeof bound, &node->minimum);
        return invalid(v, at, "%s is less than the minimum %s", value, bound);
    }
    if (node->maximum.present && compare_number_bound(instance, &node->maximum) > 0) {
        format_number(value, sizeof value, instance);
        format_bound(bound, sizeof bound, &node->maximum);
        return invalid(v, at, "%s is greater than the maximum %s", value, bound);
    }
    if (node->exclusive_minimum.present &&
        compare_number_bound(instance, &node->exclusive_minimum) <= 0) {
        format_number(value, sizeof value, instance);
        format_bound(bound, sizeof bound, &node->exclusive_minimum);
        return invalid(v, at, "%s is not greater than the exclusive minimum %s", value, bound);
    }
    if (node->exclusive_maximum.present &&
        compare_number_bound(instance, &node->exclusive_maximum) >= 0) {
        format_number(value, sizeof value, instance);
        format_bound(bound, sizeof bound, &node->exclusive_maximum);
        return invalid(v, at, "%s is not less than the exclusive maximum %s", value, bound);
    }
    return true;
}

/* 1 on a match, 0 on none, negative (a PCRE2 error) when matching itself
 * failed -- or when it ran past the budget's limits, which stops the
 * work.  Match data is per call: the compiled regex is shared. */
static int regex_search(validation *v, const pcre2_code *regex, const char *source,
                        const char *subject, size_t length, const json_path *at)
{
    if (!spend(v, REGEX_STEPS, at))
        return PCRE2_ERROR_MATCHLIMIT;
    pcre2_match_data *match = pcre2_match_data_create_from_pattern(regex, NULL);
    if (!match)
        return PCRE2_ERROR_NOMEMORY;
    int rc = pcre2_match(regex, (PCRE2_SPTR)subject, length, 0, 0, match, v->work->match);
    pcre2_match_data_free(match);
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
        rc == PCRE2_ERROR_HEAPLIMIT)
        stop_work(v->work, WC_SCHEMA_OVER_BUDGET, at,
                  "matching \"%s\" needed more backtracking than the limit of one match (%u)",
                  source, v->work->match_limit);
    return rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : rc;
}

static const char *regex_failure(int rc, char *out, size_t size)
{
    if (pcre2_get_error_message(rc, (PCRE2_UCHAR *)out, size) < 0)
        snprintf(out, size, "error %d", rc);
    return out;
}

static bool validate_string(validation *v, const schema_node *node, const char *value,
                            size_t bytes, const json_path *at)
{
    if (node->min_length != ABSENT || node->max_length != ABSENT) {
        size_t length = utf8_length(value, bytes);
        if (node->min_length != ABSENT && length < (unsigned long long)node->min_length)
            return invalid(v, at, "string has %zu characters, fewer than the minimum length %lld",
                           length, node->min_length);
        if (node->max_length != ABSENT && length > (unsigned long long)node->max_length)
            return invalid(v, at, "string has %zu characters, more than the maximum length %lld",
                           length, node->max_length);
    }
    if (node->pattern) {
        int found = regex_search(v, node->pattern, node->pattern_source, value, bytes, at);
        char reason[128];
        if (found < 0 && v->work->stopped)
            return false;
        if (found < 0)
            return invalid(v, at, "could not match pattern \"%s\": %s", node->pattern_source,
                           regex_failure(found, reason, sizeof reason));
        if (!found)
            return invalid(v, at, "does not match pattern \"%s\"", node->pattern_source);
    }
    return true;
}

/* "type": true when the instance has one of the node's types. */
static bool check_type(validation *v, const schema_node *node, json_type type, bool integral,
                       const json_path *at)
{
    if (!node->types || has_type(node->types, type, integral))
        return true;
    char expected[128];
    text names = text_over(expected, sizeof expected);
    size_t named = 0;
    for (size_t t = 0; t < sizeof type_names / sizeof type_names[0]; t++)
        if (node->types & type_names[t].bit)
            text_printf(&names, "%s%s", named++ ? " or " : "", type_names[t].name);
    const char *got = type_name(type);
    if ((node->types & TYPE_INTEGER) && type == JSON_REAL)
        got = "a number with a fractional part";
    return invalid(v, at, "expected %s, got %s", expected, got);
}

/* What validate_node checks of a scalar before the combinators: type,
 * enum, const and the number or string keywords, in that order. */
static bool validate_scalar(validation *v, const schema_node *node, const scalar *instance,
                            const json_path *at)
{
    bool number = scalar_is_number(instance);
    if (!check_type(v, node, instance->type, number && is_integral(instance->number), at))
        return false;
    if (node->enum_values) {
        bool listed = false;
        for (size_t i = 0; i < node->enum_scalar_count && !listed; i++)
            listed = scalar_same(instance, &node->enum_scalars[i]);
        if (!listed)
            return invalid(v, at, "value is not one of %s", node->enum_text);
    }
    if (node->const_value &&
        !(node->const_is_scalar && scalar_same(instance, &node->const_scalar)))
        return invalid(v, at, "value must be %s", node->const_text);
    if (number)
        return validate_number(v, node, instance->number, at);
    if (instance->type == JSON_STRING)
        return validate_string(v, node, instance->string, instance->length, at);
    return true;
}

static bool validate_array(validation *v, const schema_node *node, const json_t *instance,
                           const json_path *at)
{
    size_t size = json_array_size(instance);
    if (node->min_items != ABSENT && size < (unsigned long long)node->min_items)
        return invalid(v, at, "array has %zu items, fewer than the minimum %lld", size,
                       node->min_items);
    if (node->max_items != ABSENT && size > (unsigned long long)node->max_items)
        return invalid(v, at, "array has %zu items, more than the maximum %lld", size,
                       node->max_items);
    /* n*(n-1)/2 comparisons, each a step at least: the budget bounds them */
    for (size_t i = 0; node->unique_items && i < size; i++) {
        for (size_t j = i + 1; j < size; j++) {
            if (schema_equal(v, json_array_get(instance, i), json_array_get(instance, j)))
                return invalid(v, at, "items %zu and %zu are equal; items must be unique", i,
                               j);
            if (v->work->stopped)
                return false;
        }
    }
    for (size_t i = 0; i < size; i++) {
        const schema_node *item_schema =
            i < node->prefix_item_count ? node->prefix_items[i] : node->items;
        if (!item_schema)
            continue;
        json_path item = path_index(at, i);
        if (!validate_node(v, item_schema, json_array_get(instance, i), &item))
            return false;
    }
    return true;
}

static bool validate_object(validation *v, const schema_node *node, const json_t *instance,
                            const json_path *at)
{
    size_t size = json_object_size(instance);
    if (node->min_properties != ABSENT && size < (unsigned long long)node->min_properties)
        return invalid(v, at, "object has %zu properties, fewer than the minimum %lld", size,
                       node->min_properties);
    if (node->max_properties != ABSENT && size > (unsigned long long)node->max_properties)
        return invalid(v, at, "object has %zu properties, more than the maximum %lld", size,
                       node->max_properties);
    if (!spend(v, node->required_count / 16, at))
        return false;
    for (size_t i = 0; i < node->required_count; i++)
        if (!json_object_get(instance, node->required[i]))
            return invalid(v, at, "missing required property \"%s\"", node->required[i]);

    const char *key;
    json_t *value;
    json_object_foreach((json_t *)instance, key, value) {
        json_path member = path_key(at, key);
        if (!spend(v, 1 + node->property_count / 16, &member))
            return false;
        bool described = false;
        for (size_t i = 0; i < node->property_count; i++) {
            if (strcmp(node->properties[i].name, key) != 0)
                continue;
            described = true;
            if (!validate_node(v, node->properties[i].schema, value, &member))
                return false;
        }
        for (size_t i = 0; i < node->pattern_property_count; i++) {
            const pattern_schema *entry = &node->pattern_properties[i];
            int found = regex_search(v, entry->regex, entry->source, key, strlen(key), &member);
            char reason[128];
            if (found < 0 && v->work->stopped)
                return false;
            if (found < 0)
                return invalid(v, &member, "could not match property name against \"%s\": %s",
                               entry->source, regex_failure(found, reason, sizeof reason));
            if (!found)
                continue;
            described = true;
            if (!validate_node(v, entry->schema, value, &member))
                return false;
        }
        if (described || !node->additional_properties)
            continue;
        const schema_node *additional = node->additional_properties;
        if (additional->is_boolean && !additional->boolean_value)
            return invalid(v, at, "unexpected property \"%s\" (additional properties are not allowed)",
                           key);
        if (!validate_node(v, additional, value, &member))
            return false;
    }
    return true;
}

static bool validate_node(validation *v, const schema_node *node, const json_t *instance,
                          const json_path *at)
{
    if (!spend(v, 1, at))
        return false;
    if (at && at->depth > WC_SCHEMA_MAX_INSTANCE_DEPTH)
        return invalid(v, at, "value nested deeper than %d levels", WC_SCHEMA_MAX_INSTANCE_DEPTH);
    if (v->evaluation_depth >= MAX_EVALUATION_DEPTH)
        return invalid(v, at,
                       "schema recursion deeper than %d levels", MAX_EVALUATION_DEPTH);
    if (node->is_boolean)
        return node->boolean_value || invalid(v, at, "no value is allowed here (schema is false)");

    bool ok;
    if (json_is_object(instance) || json_is_array(instance)) {
        ok = check_type(v, node, json_typeof(instance), false, at);
        if (ok && node->enum_values) {
            bool listed = false;
            for (size_t i = 0; i < json_array_size(node->enum_values) && !listed; i++)
                listed = schema_equal(v, instance, json_array_get(node->enum_values, i));
            if (!listed)
                return invalid(v, at, "value is not one of %s", node->enum_text);
        }
        if (ok && node->const_value && !schema_equal(v, instance, node->const_value))
            return invalid(v, at, "value must be %s", node->const_text);
        if (ok)
            ok = json_is_array(instance) ? validate_array(v, node, instance, at)
                                         : validate_object(v, node, instance, at);
    } else {
        scalar value = scalar_of(instance);
        ok = validate_scalar(v, node, &value, at);
    }
    if (!ok)
        return false;

    v->evaluation_depth++;
    for (size_t i = 0; ok && i < node->all_of.count; i++)
        ok = validate_node(v, node->all_of.items[i], instance, at);

    if (ok && node->any_of.count) {
        bool any = false;
        for (size_t i = 0; i < node->any_of.count && !any; i++)
            any = matches_quietly(v, node->any_of.items[i], instance, at);
        if (!any) {
            ok = invalid(v, at, "matches none of the anyOf alternatives:");
            explain_alternatives(v, &node->any_of, instance, at);
        }
    }
    if (ok && node->one_of.count) {
        size_t matched = 0, first = 0, second = 0;
        for (size_t i = 0; i < node->one_of.count && matched < 2; i++) {
            if (!matches_quietly(v, node->one_of.items[i], instance, at))
                continue;
            if (matched++ == 0)
                first = i;
            else
                second = i;
        }
        if (matched == 0) {
            ok = invalid(v, at, "matches none of the oneOf alternatives:");
            explain_alternatives(v, &node->one_of, instance, at);
        } else if (matched > 1) {
            ok = invalid(v, at, "matches oneOf alternatives %zu and %zu; exactly one must match",
                         first, second);
        }
    }
    if (ok && node->not_schema && matches_quietly(v, node->not_schema, instance, at))
        ok = invalid(v, at, "must not match the schema in \"not\"");
    if (ok && node->if_schema) {
        /* "if" only chooses: its own failure is no error (2020-12, 10.2.2). */
        const schema_node *branch = matches_quietly(v, node->if_schema, instance, at)
                                        ? node->then_schema
                                        : node->else_schema;
        if (branch)
            ok = validate_node(v, branch, instance, at);
    }
    if (ok && node->ref)
        ok = validate_node(v, node->ref, instance, at);
    v->evaluation_depth--;
    return ok;
}

int wc_schema_check(const wc_schema *s, const json_t *instance, const wc_schema_budget *budget,
                    wc_error *err)
{
    work w;
    work_init(&w, s, budget);
    validation v = {.err = err_text(err), .work = &w};
    if (!s || !instance)
        return verdict_of(&v, invalid(&v, NULL, "no %s", s ? "value" : "schema"), err);
    return verdict_of(&v, validate_node(&v, s->root, instance, NULL), err);
}

bool wc_schema_validate(const wc_schema *s, const json_t *instance, wc_error *err)
{
    return wc_schema_check(s, instance, NULL, err) == WC_SCHEMA_VALID;
}

/* ---- validating an object from its text --------------------------------- */

#define TEXT_MEMBERS_MAX WC_JSON_FLAT_MAX

/* A scalar token of valid JSON text read without allocating: false for a
 * string with escapes (its bytes are not its value). */
static bool scalar_from_text(const char *t, size_t n, scalar *out)
{
    if (n >= 2 && t[0] == '"') {
        if (memchr(t + 1, '\\', n - 2))
            return false;
        *out = (scalar){.type = JSON_STRING, .string = t + 1, .length = n - 2};
        return true;
    }
    if (n == 4 && memcmp(t, "true", 4) == 0)
        *out = (scalar){.type = JSON_TRUE};
    else if (n == 5 && memcmp(t, "false", 5) == 0)
        *out = (scalar){.type = JSON_FALSE};
    else if (n == 4 && memcmp(t, "null", 4) == 0)
        *out = (scalar){.type = JSON_NULL};
    else if (wc_json_number_token(t, n, &out->number.is_integer, &out->number.integer,
                                  &out->number.real))
        out->type = out->number.is_integer ? JSON_INTEGER : JSON_REAL;
    else
        return false;
    return true;
}

/* The text path follows at most this many $refs in a row (an ontology's
 * types are one or two away); a longer chain is left to the value path. */
#define TEXT_REF_HOPS 8

static bool no_combinators(const schema_node *node)
{
    return !node->all_of.count && !node->any_of.count && !node->one_of.count &&
           !node->not_schema && !node->if_schema;
}

/* Whether validate_node on a scalar does no more than validate_scalar on
 * the node and on each node its $refs lead to ({"$ref": "ontology:Sku"}):
 * no combinator needs the instance as a value. */
static bool scalar_keywords_only(const schema_node *node)
{
    for (int hop = 0; hop <= TEXT_REF_HOPS; hop++, node = node->ref) {
        if (node->is_boolean)
            return true;
        if (!no_combinators(node))
            return false;
        if (!node->ref)
            return true;
    }
    return false;
}

/* validate_node for a member one level down (depth and evaluation limits
 * are far) whose node scalar_keywords_only accepts: the node, then its
 * $refs, in validate_node's order and words. */
static bool validate_member_scalar(validation *v, const schema_node *node, const scalar *value,
                                   const json_path *at)
{
    for (int hop = 0; node && hop <= TEXT_REF_HOPS; hop++, node = node->ref) {
        if (!spend(v, 1, at))
            return false;
        if (node->is_boolean)
            return node->boolean_value ||
                   invalid(v, at, "no value is allowed here (schema is false)");
        if (!validate_scalar(v, node, value, at))
            return false;
    }
    return true;
}

/* Whether validate_node on the root, for an object, does only what
 * validate_object does: no keyword here that looks at the whole value. */
static bool object_keywords_only(const schema_node *node)
{
    return !node->is_boolean && (!node->types || (node->types & TYPE_OBJECT)) &&
           !node->enum_values && !node->const_value && no_combinators(node) && !node->ref &&
           !node->pattern_property_count;
}

/* Whether a node says of an object no more than that it is one: only
 * scalar and array keywords besides, which an object ignores. */
static bool only_an_object(const schema_node *node)
{
    return !node->is_boolean && (!node->types || (node->types & TYPE_OBJECT)) &&
           !node->enum_values && !node->const_value && no_combinators(node) &&
           !node->pattern_property_count &&
           !node->property_count && !node->additional_properties && !node->required_count &&
           node->min_properties == ABSENT && node->max_properties == ABSENT;
}

/* The node whose members the text path checks: the root when it only
 * describes an object's members, or where its $refs lead when the root
 * says no more than "an object" ({"type": "object", "$ref":
 * "ontology:ContextualRiskAssessment"}); NULL when the whole value is
 * needed. */
static const schema_node *members_node(const schema_node *root)
{
    const schema_node *node = root;
    for (int hop = 0; hop < TEXT_REF_HOPS && node->ref && only_an_object(node); hop++)
        node = node->ref;
    return object_keywords_only(node) ? node : NULL;
}

static bool name_is(const named_schema *property, const char *key, size_t key_len)
{
    return property->name_len == key_len && same_bytes(property->name, key, key_len);
}

/* One member as the checks see it: its scalar read from the text, or a
 * value built (a string with escapes, a node that needs a value). */
typedef struct text_member {
    scalar scalar;
    json_t *value; /* NULL: use scalar */
    size_t property; /* the first property of its name (property_count: none) */
} text_member;

/* Reads a member: its scalar, and the first property of its name.  True
 * when its value must be built as well: it cannot be read as a scalar, or
 * a node it is checked against needs a jansson value. */
static bool read_member(const schema_node *node, const wc_json_member *m, text_member *read)
{
    bool needs_value = !scalar_from_text(m->value, m->value_len, &read->scalar);
    read->property = node->property_count;
    for (size_t k = 0; k < node->property_count; k++) {
        if (!name_is(&node->properties[k], m->key, m->key_len))
            continue;
        if (read->property == node->property_count)
            read->property = k;
        needs_value |= !scalar_keywords_only(node->properties[k].schema);
    }
    return needs_value || (read->property == node->property_count &&
                           node->additional_properties &&
                           !scalar_keywords_only(node->additional_properties));
}

static bool validate_text_member(validation *v, const schema_node *node, const text_member *m,
                                 const json_path *at)
{
    return m->value ? validate_node(v, node, m->value, at)
                    : validate_member_scalar(v, node, &m->scalar, at);
}

int wc_schema_check_members(const wc_schema *s, const wc_json_member *members, int count,
                            const wc_schema_budget *budget, wc_error *err)
{
    if (!s || !s->members_root || count < 0 || count > TEXT_MEMBERS_MAX)
        return WC_SCHEMA_UNDECIDED;
    const schema_node *node = s->members_root;
    /* Every value is read before anything is judged, so that text this
     * cannot decide on is handed back without a verdict. */
    text_member read[TEXT_MEMBERS_MAX];
    for (int i = 0; i < count; i++) {
        const wc_json_member *m = &members[i];
        read[i].value = NULL;
        if (read_member(node, m, &read[i]) &&
            !(read[i].value = wc_json_parse(m->value, m->value_len, 0, NULL))) {
            while (i-- > 0)
                json_decref(read[i].value);
            return WC_SCHEMA_UNDECIDED;
        }
    }

    /* What validate_object does, in its order and with its words. */
    work w;
    work_init(&w, s, budget);
    validation v = {.err = err_text(err), .work = &w};
    bool ok = true;
    size_t size = (size_t)count;
    if (node->min_properties != ABSENT && size < (unsigned long long)node->min_properties)
        ok = invalid(&v, NULL, "object has %zu properties, fewer than the minimum %lld", size,
                     node->min_properties);
    else if (node->max_properties != ABSENT && size > (unsigned long long)node->max_properties)
        ok = invalid(&v, NULL, "object has %zu properties, more than the maximum %lld", size,
                     node->max_properties);
    for (size_t r = 0; ok && r < node->required_count; r++) {
        bool present = false;
        for (int i = 0; i < count && !present; i++)
            present = members[i].key_len == node->required_len[r] &&
                      same_bytes(members[i].key, node->required[r], members[i].key_len);
        if (!present)
            ok = invalid(&v, NULL, "missing required property \"%s\"", node->required[r]);
    }
    for (int i = 0; ok && i < count; i++) {
        json_path member = path_key_n(NULL, members[i].key, members[i].key_len);
        bool described = false;
        for (size_t k = read[i].property; ok && k < node->property_count; k++) {
            if (!name_is(&node->properties[k], members[i].key, members[i].key_len))
                continue;
            described = true;
            ok = validate_text_member(&v, node->properties[k].schema, &read[i], &member);
        }
        if (!ok || described || !node->additional_properties)
            continue;
        const schema_node *additional = node->additional_properties;
        if (additional->is_boolean && !additional->boolean_value)
            ok = invalid(&v, NULL,
                         "unexpected property \"%.*s\" (additional properties are not allowed)",
                         (int)members[i].key_len, members[i].key);
        else
            ok = validate_text_member(&v, additional, &read[i], &member);
    }
    for (int i = 0; i < count; i++)
        json_decref(read[i].value);
    return verdict_of(&v, ok, err);
}

int wc_schema_check_object_text(const wc_schema *s, const char *data, size_t len,
                                const wc_schema_budget *budget, wc_error *err)
{
    if (!s || !s->members_root)
        return WC_SCHEMA_UNDECIDED;
    wc_json_member members[TEXT_MEMBERS_MAX];
    int count = wc_json_flat_members(data, len, members);
    return count < 0 ? WC_SCHEMA_UNDECIDED
                     : wc_schema_check_members(s, members, count, budget, err);
}

/* The default budget; running out of it is a failure with its message. */
int wc_schema_validate_members(const wc_schema *s, const wc_json_member *members, int count,
                               wc_error *err)
{
    int verdict = wc_schema_check_members(s, members, count, NULL, err);
    return wc_schema_stopped(verdict) ? WC_SCHEMA_INVALID : verdict;
}

int wc_schema_validate_object_text(const wc_schema *s, const char *data, size_t len, wc_error *err)
{
    int verdict = wc_schema_check_object_text(s, data, len, NULL, err);
    return wc_schema_stopped(verdict) ? WC_SCHEMA_INVALID : verdict;
}
