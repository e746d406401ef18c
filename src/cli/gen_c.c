/* gen_c.c -- `wasmcap gen c ONTOLOGY_DIR`: C types for plugin authors.
 *
 * For each object type of the ontology: a struct with exactly its
 * properties, a check of its bounds, a writer of exactly its fields and a
 * reader; for each enumeration of strings: a C enum.  A plugin that writes
 * through the struct cannot write a field the ontology lacks, or a value of
 * the wrong C type: it does not compile (with -Werror, as plugins build).
 *
 * What C cannot say is checked at run time by the generated code (bounds,
 * lengths, enum range) or by the host (patterns: the tool's outputSchema).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "json/schema_ref.h"
#include "ontology/ontology.h"
#include "util/buf.h"

static const char usage_text[] =
    "usage: wasmcap gen c ONTOLOGY_DIR > ontology.h\n"
    "\n"
    "Writes a C header for plugins (include it after wasmcap.h) with, for\n"
    "each object type of the ontology in ONTOLOGY_DIR:\n"
    "\n"
    "  typedef struct onto_TYPE {...} onto_TYPE;   exactly the type's properties\n"
    "  onto_TYPE_check(v, why, n)     bounds, lengths and enums; 0 or -1\n"
    "  onto_TYPE_write(w, v, why, n)  the JSON object, exactly its fields\n"
    "  onto_TYPE_result(out, v)       v as a tool's structuredContent\n"
    "  onto_TYPE_read(json, v, why, n)  a parsed object into v\n"
    "\n"
    "and for each enumeration of strings a C enum onto_NAME with\n"
    "onto_NAME_name() and onto_NAME_parse().  Strings map to const char *,\n"
    "integers to long long, numbers to double, booleans to int, other values\n"
    "to const wasmcap_json *; a property that is not required has an\n"
    "int has_NAME beside it.  Patterns are left to the host, which checks\n"
    "every result against the tool's outputSchema.\n"
    "\n"
    "  -h, --help   show this help\n"
    "\n"
    "exit status: 0, 1 when the ontology cannot be loaded, 2 on bad usage.\n";

typedef enum kind { K_STRING, K_INTEGER, K_NUMBER, K_BOOLEAN, K_ENUM, K_OBJECT, K_RAW } kind;

#define MAX_CHAIN 16 /* $refs followed for one property */

/* What a property is, after its $refs. */
typedef struct shape {
    kind kind;
    const json_t *chain[MAX_CHAIN]; /* the schemas along the $refs: each one's bounds apply */
    size_t nchain;
    const json_t *values;           /* K_ENUM: the strings */
    char enum_name[256];            /* K_ENUM: onto_... */
    const wc_schema_resource *type; /* K_OBJECT */
} shape;

typedef struct gen {
    const wc_schema_docs *docs;
    wc_buf out;
    const char **done; /* names of enums and structs written */
    size_t ndone;
    const wc_schema_resource **active; /* structs being written (recursion) */
    size_t nactive;
} gen;

static bool is_done(const gen *g, const char *name)
{
    for (size_t i = 0; i < g->ndone; i++)
        if (strcmp(g->done[i], name) == 0)
            return true;
    return false;
}

static void mark_done(gen *g, const char *name)
{
    const char **grown = realloc(g->done, (g->ndone + 1) * sizeof *grown);
    if (grown) {
        g->done = grown;
        g->done[g->ndone++] = strdup(name);
    }
}

/* A C identifier from any text: other characters become '_'. */
static void c_ident(const char *in, char *out, size_t size)
{
    static const char *const keywords[] = {
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
        "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
        "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch",
        "typedef", "union", "unsigned", "void", "volatile", "while", "bool", "true", "false",
    };
    size_t n = 0;
    if (!isalpha((unsigned char)in[0]) && in[0] != '_' && n + 1 < size)
        out[n++] = '_';
    for (const char *p = in; *p && n + 1 < size; p++)
        out[n++] = isalnum((unsigned char)*p) ? *p : '_';
    out[n] = '\0';
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (strcmp(out, keywords[i]) == 0 && n + 1 < size) {
            out[n++] = '_';
            out[n] = '\0';
        }
}

/* A C string literal of text (into out). */
static void c_string(wc_buf *b, const char *text)
{
    wc_buf_str(b, "\"");
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\')
            wc_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            wc_buf_printf(b, "\\%03o", *p);
        else
            wc_buf_printf(b, "%c", *p);
    }
    wc_buf_str(b, "\"");
}

/* The strings of a finite set of strings (enum, or a union of consts and
 * enums, as TypeSpec writes a union of literals), as a new array; NULL
 * when s is not one. */
static json_t *string_values(const json_t *s)
{
    const json_t *e = json_object_get(s, "enum"), *k = json_object_get(s, "const");
    json_t *out = json_array();
    if (json_is_array(e))
        json_array_extend(out, (json_t *)e);
    else if (json_is_string(k))
        json_array_append(out, (json_t *)k);
    else {
        const json_t *list = json_object_get(s, "anyOf");
        if (!list)
            list = json_object_get(s, "oneOf");
        size_t i;
        json_t *branch;
        json_array_foreach(list, i, branch) {
            json_t *more = string_values(branch);
            if (!more) {
                json_decref(out);
                return NULL;
            }
            json_array_extend(out, more);
            json_decref(more);
        }
    }
    size_t i;
    json_t *v;
    json_array_foreach(out, i, v)
        if (!json_is_string(v)) {
            json_decref(out);
            return NULL;
        }
    if (!json_array_size(out)) {
        json_decref(out);
        return NULL;
    }
    return out;
}

static bool is_object_type(const json_t *s)
{
    const json_t *t = json_object_get(s, "type");
    return json_is_object(json_object_get(s, "properties")) && json_is_string(t) &&
           strcmp(json_string_value(t), "object") == 0;
}

/* The shape of schema s (in resource res), following $refs. */
static void shape_of(gen *g, const json_t *s, const wc_schema_resource *res, const char *owner,
                     const char *prop, shape *out)
{
    memset(out, 0, sizeof *out);
    out->kind = K_RAW;
    const char *enum_owner = NULL;
    for (size_t hops = 0; s && hops < MAX_CHAIN; hops++) {
        out->chain[out->nchain++] = s;
        json_t *values = string_values(s);
        if (values) {
            json_decref(values);
            out->kind = K_ENUM;
            out->values = s;
            char ident[128];
            if (enum_owner) {
                c_ident(enum_owner, ident, sizeof ident);
                snprintf(out->enum_name, sizeof out->enum_name, "onto_%s", ident);
            } else {
                char p[64];
                c_ident(owner, ident, sizeof ident);
                c_ident(prop, p, sizeof p);
                snprintf(out->enum_name, sizeof out->enum_name, "onto_%s_%s", ident, p);
            }
            return;
        }
        if (hops > 0 && is_object_type(s) && res && res->schema == s) {
            out->kind = K_OBJECT;
            out->type = res;
            return;
        }
        const json_t *t = json_object_get(s, "type");
        const char *type = json_string_value(t);
        if (type) {
            out->kind = strcmp(type, "string") == 0    ? K_STRING
                        : strcmp(type, "integer") == 0 ? K_INTEGER
                        : strcmp(type, "number") == 0  ? K_NUMBER
                        : strcmp(type, "boolean") == 0 ? K_BOOLEAN
                                                       : K_RAW;
        }
        const json_t *ref = json_object_get(s, "$ref");
        if (!json_is_string(ref))
            return;
        const wc_schema_resource *target_res;
        const json_t *target;
        wc_error err = {0};
        if (wc_schema_ref_lookup(g->docs, res ? res->id : NULL, json_string_value(ref),
                                 res ? res->schema : s, &target_res, &target, &err))
            return;
        if (target_res) {
            res = target_res;
            if (target == target_res->schema)
                enum_owner = target_res->name;
        }
        s = target;
    }
}

static const char *c_type(const shape *sh, char *buf, size_t size)
{
    switch (sh->kind) {
    case K_STRING: return "const char *";
    case K_INTEGER: return "long long ";
    case K_NUMBER: return "double ";
    case K_BOOLEAN: return "int ";
    case K_ENUM: snprintf(buf, size, "%s ", sh->enum_name); return buf;
    case K_OBJECT: {
        char ident[128];
        c_ident(sh->type->name, ident, sizeof ident);
        snprintf(buf, size, "onto_%s ", ident);
        return buf;
    }
    case K_RAW: break;
    }
    return "const wasmcap_json *";
}

static void write_enum(gen *g, const shape *sh)
{
    if (is_done(g, sh->enum_name))
        return;
    mark_done(g, sh->enum_name);
    json_t *values = string_values(sh->values);
    wc_buf *b = &g->out;
    const char *name = sh->enum_name;
    wc_buf_printf(b, "typedef enum %s {\n", name);
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v) {
        char ident[128];
        c_ident(json_string_value(v), ident, sizeof ident);
        wc_buf_printf(b, "    %s_%s,\n", name, ident);
    }
    wc_buf_printf(b, "} %s;\n\n", name);
    wc_buf_printf(b, "static const char *const %s_names[] = {", name);
    json_array_foreach(values, i, v) {
        wc_buf_str(b, i ? ", " : "");
        c_string(b, json_string_value(v));
    }
    wc_buf_str(b, "};\n\n");
    wc_buf_printf(b,
                  "/* The JSON string of v; NULL when v is not a member. */\n"
                  "static inline const char *%s_name(%s v)\n{\n"
                  "    return (unsigned)v < %zu ? %s_names[v] : NULL;\n}\n\n",
                  name, name, json_array_size(values), name);
    wc_buf_printf(b,
                  "/* The member named s: 0, or -1 when there is none. */\n"
                  "static inline int %s_parse(const char *s, %s *out)\n{\n"
                  "    for (unsigned i = 0; s && i < %zu; i++)\n"
                  "        if (strcmp(s, %s_names[i]) == 0) {\n"
                  "            *out = (%s)i;\n"
                  "            return 0;\n"
                  "        }\n"
                  "    return -1;\n}\n\n",
                  name, name, json_array_size(values), name, name);
    json_decref(values);
}

/* The checks of one field's bounds, from every schema along its $refs. */
static void write_bound_checks(wc_buf *b, const char *type, const char *key, const char *field,
                               const shape *sh, const char *indent)
{
    for (size_t i = 0; i < sh->nchain; i++) {
        const json_t *s = sh->chain[i];
        if (sh->kind == K_INTEGER || sh->kind == K_NUMBER) {
            static const struct { const char *keyword, *op, *words; } bounds[] = {
                {"minimum", ">=", "is below the minimum"},
                {"maximum", "<=", "is above the maximum"},
                {"exclusiveMinimum", ">", "is not above the exclusive minimum"},
                {"exclusiveMaximum", "<", "is not below the exclusive maximum"},
            };
            for (size_t k = 0; k < sizeof bounds / sizeof bounds[0]; k++) {
                const json_t *v = json_object_get(s, bounds[k].keyword);
                if (!json_is_number(v))
                    continue;
                wc_buf_printf(b,
                              "%sif (!((double)v->%s %s %.17g))\n"
                              "%s    return onto__fail(why, why_size, \"%s.%s: %%.17g %s %.17g\", "
                              "(double)v->%s);\n",
                              indent, field, bounds[k].op, json_number_value(v), indent, type, key,
                              bounds[k].words, json_number_value(v), field);
            }
        } else if (sh->kind == K_STRING) {
            static const struct { const char *keyword, *op, *words; } lengths[] = {
                {"minLength", "<", "shorter than"},
                {"maxLength", ">", "longer than"},
            };
            for (size_t k = 0; k < sizeof lengths / sizeof lengths[0]; k++) {
                const json_t *v = json_object_get(s, lengths[k].keyword);
                if (!json_is_integer(v))
                    continue;
                long long n = (long long)json_integer_value(v);
                wc_buf_printf(b,
                              "%sif (onto__length(v->%s) %s %lld)\n"
                              "%s    return onto__fail(why, why_size, \"%s.%s: %s %lld "
                              "characters\");\n",
                              indent, field, lengths[k].op, n, indent, type, key, lengths[k].words, n);
            }
        }
    }
}

static void write_struct(gen *g, const wc_schema_resource *res);

/* Writes the structs and enums the fields of res need, first. */
static void write_dependencies(gen *g, const wc_schema_resource *res)
{
    const char *key;
    json_t *prop;
    json_object_foreach(json_object_get(res->schema, "properties"), key, prop) {
        shape sh;
        shape_of(g, prop, res, res->name, key, &sh);
        if (sh.kind == K_ENUM)
            write_enum(g, &sh);
        else if (sh.kind == K_OBJECT)
            write_struct(g, sh.type);
    }
}

static bool is_required(const json_t *schema, const char *key)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(schema, "required"), i, v)
        if (json_is_string(v) && strcmp(json_string_value(v), key) == 0)
            return true;
    return false;
}

static bool is_active(const gen *g, const wc_schema_resource *res)
{
    for (size_t i = 0; i < g->nactive; i++)
        if (g->active[i] == res)
            return true;
    return false;
}

/* A field's shape; a nested type not written yet (a recursive type) is a
 * raw value, as a struct cannot hold itself. */
static void field_shape(gen *g, const json_t *prop, const wc_schema_resource *res, const char *key,
                        shape *sh)
{
    shape_of(g, prop, res, res->name, key, sh);
    if (sh->kind == K_OBJECT) {
        char ident[128], name[160];
        c_ident(sh->type->name, ident, sizeof ident);
        snprintf(name, sizeof name, "onto_%s", ident);
        if (!is_done(g, name))
            sh->kind = K_RAW;
    }
}

/* One property of an object type, as the generated code names it. */
typedef struct field_info {
    const char *key;    /* the JSON name */
    char field[128];    /* the C name */
    shape sh;
    bool required;
    const char *indent; /* of the code that uses it: deeper under has_NAME */
} field_info;

/* The properties of res (a new array; NULL when out of memory). */
static field_info *struct_fields(gen *g, const wc_schema_resource *res, size_t *n)
{
    const json_t *props = json_object_get(res->schema, "properties");
    field_info *fields = calloc(json_object_size(props) + 1, sizeof *fields);
    const char *key;
    json_t *prop;
    *n = 0;
    json_object_foreach((json_t *)props, key, prop) {
        if (!fields)
            break;
        field_info *fi = &fields[(*n)++];
        fi->key = key;
        c_ident(key, fi->field, sizeof fi->field);
        field_shape(g, prop, res, key, &fi->sh);
        fi->required = is_required(res->schema, key);
        fi->indent = fi->required ? "    " : "        ";
    }
    return fields;
}

static void write_struct(gen *g, const wc_schema_resource *res)
{
    char type[128], name[160];
    c_ident(res->name, type, sizeof type);
    snprintf(name, sizeof name, "onto_%s", type);
    if (is_done(g, name) || is_active(g, res) || g->nactive >= 32)
        return;
    const wc_schema_resource **grown = realloc(g->active, (g->nactive + 1) * sizeof *grown);
    if (!grown)
        return;
    g->active = grown;
    g->active[g->nactive++] = res;
    write_dependencies(g, res);
    g->nactive--;

    size_t nfields = 0;
    field_info *fields = struct_fields(g, res, &nfields);
    if (!fields)
        return;
    wc_buf *b = &g->out;
    const char *doc = json_string_value(json_object_get(res->schema, "description"));
    wc_buf_printf(b, "/* %s: %s */\n", res->id, doc ? doc : res->name);
    wc_buf_printf(b, "typedef struct %s {\n", name);
    for (size_t f = 0; f < nfields; f++) {
        const field_info *fi = &fields[f];
        char tbuf[300];
        if (!is_required(res->schema, fi->key))
            wc_buf_printf(b, "    int has_%s;\n", fi->field);
        wc_buf_printf(b, "    %s%s;\n", c_type(&fi->sh, tbuf, sizeof tbuf), fi->field);
    }
    wc_buf_printf(b, "} %s;\n\n", name);

    /* check */
    wc_buf_printf(b,
                  "/* 0 when v is within the ontology's bounds, else -1 with the reason. */\n"
                  "static inline int %s_check(const %s *v, char *why, size_t why_size)\n{\n",
                  name, name);
    for (size_t f = 0; f < nfields; f++) {
        const field_info *fi = &fields[f];
        if (!fi->required)
            wc_buf_printf(b, "    if (v->has_%s) {\n", fi->field);
        if (fi->sh.kind == K_STRING || fi->sh.kind == K_RAW)
            wc_buf_printf(b,
                          "%sif (!v->%s)\n"
                          "%s    return onto__fail(why, why_size, \"%s.%s: missing\");\n",
                          fi->indent, fi->field, fi->indent, res->name, fi->key);
        if (fi->sh.kind == K_ENUM)
            wc_buf_printf(b,
                          "%sif (!%s_name(v->%s))\n"
                          "%s    return onto__fail(why, why_size, \"%s.%s: %%d is not a member of "
                          "%s\", (int)v->%s);\n",
                          fi->indent, fi->sh.enum_name, fi->field, fi->indent, res->name, fi->key, fi->sh.enum_name, fi->field);
        if (fi->sh.kind == K_OBJECT) {
            char sub[128];
            c_ident(fi->sh.type->name, sub, sizeof sub);
            wc_buf_printf(b, "%sif (onto_%s_check(&v->%s, why, why_size))\n%s    return -1;\n",
                          fi->indent, sub, fi->field, fi->indent);
        }
        write_bound_checks(b, res->name, fi->key, fi->field, &fi->sh, fi->indent);
        if (!fi->required)
            wc_buf_str(b, "    }\n");
    }
    wc_buf_str(b, "    return 0;\n}\n\n");

    /* write */
    wc_buf_printf(b,
                  "/* Writes v's members into w, an open object (wasmcap_structured(out)):\n"
                  " * exactly the type's fields.  0, or -1 (nothing written) with the reason. */\n"
                  "static inline int %s_write_members(wasmcap_jw *w, const %s *v, char *why, "
                  "size_t why_size)\n{\n"
                  "    if (%s_check(v, why, why_size))\n        return -1;\n",
                  name, name, name);
    for (size_t f = 0; f < nfields; f++) {
        const field_info *fi = &fields[f];
        if (!fi->required)
            wc_buf_printf(b, "    if (v->has_%s) {\n", fi->field);
        wc_buf_printf(b, "%swasmcap_jw_key(w, ", fi->indent);
        c_string(b, fi->key);
        wc_buf_str(b, ");\n");
        switch (fi->sh.kind) {
        case K_STRING: wc_buf_printf(b, "%swasmcap_jw_string(w, v->%s);\n", fi->indent, fi->field); break;
        case K_INTEGER: wc_buf_printf(b, "%swasmcap_jw_int(w, v->%s);\n", fi->indent, fi->field); break;
        case K_NUMBER: wc_buf_printf(b, "%swasmcap_jw_number(w, v->%s);\n", fi->indent, fi->field); break;
        case K_BOOLEAN: wc_buf_printf(b, "%swasmcap_jw_bool(w, v->%s);\n", fi->indent, fi->field); break;
        case K_ENUM:
            wc_buf_printf(b, "%swasmcap_jw_string(w, %s_name(v->%s));\n", fi->indent, fi->sh.enum_name, fi->field);
            break;
        case K_OBJECT: {
            char sub[128];
            c_ident(fi->sh.type->name, sub, sizeof sub);
            wc_buf_printf(b, "%sonto_%s_write(w, &v->%s, why, why_size);\n", fi->indent, sub, fi->field);
            break;
        }
        case K_RAW: wc_buf_printf(b, "%swasmcap_jw_value(w, v->%s);\n", fi->indent, fi->field); break;
        }
        if (!fi->required)
            wc_buf_str(b, "    }\n");
    }
    wc_buf_str(b, "    return 0;\n}\n\n");
    wc_buf_printf(b,
                  "/* v as one JSON object.  0, or -1 (nothing written) with the reason. */\n"
                  "static inline int %s_write(wasmcap_jw *w, const %s *v, char *why, size_t why_size)\n{\n"
                  "    if (%s_check(v, why, why_size))\n        return -1;\n"
                  "    wasmcap_jw_begin_object(w);\n"
                  "    %s_write_members(w, v, why, why_size);\n"
                  "    wasmcap_jw_end_object(w);\n"
                  "    return 0;\n}\n\n",
                  name, name, name, name);
    wc_buf_printf(b,
                  "/* v as a tool's structuredContent; an out-of-bounds v is an isError\n"
                  " * result naming the bound instead.  0 or -1, as a tool returns. */\n"
                  "static inline int %s_result(wasmcap_result *out, const %s *v)\n{\n"
                  "    char err[256];\n"
                  "    if (%s_write_members(wasmcap_structured(out), v, err, sizeof err))\n"
                  "        return wasmcap_error(out, \"%%s\", err);\n"
                  "    return 0;\n}\n\n",
                  name, name, name);

    /* read */
    wc_buf_printf(b,
                  "/* Reads the object o into v (strings and values point into o).  0, or -1\n"
                  " * with the reason: a required member missing, a wrong type, a bound. */\n"
                  "static inline int %s_read(const wasmcap_json *o, %s *v, char *why, size_t why_size)\n{\n"
                  "    memset(v, 0, sizeof *v);\n"
                  "    if (!o || o->type != WASMCAP_JSON_OBJECT)\n"
                  "        return onto__fail(why, why_size, \"%s: expected an object\");\n"
                  "    const wasmcap_json *m;\n",
                  name, name, res->name);
    for (size_t f = 0; f < nfields; f++) {
        const field_info *fi = &fields[f];
        wc_buf_str(b, "    m = wasmcap_json_get(o, ");
        c_string(b, fi->key);
        wc_buf_str(b, ");\n");
        if (fi->required)
            wc_buf_printf(b, "    if (!m)\n        return onto__fail(why, why_size, \"%s.%s: missing\");\n",
                          res->name, fi->key);
        else
            wc_buf_printf(b, "    v->has_%s = m != NULL;\n", fi->field);
        wc_buf_str(b, "    if (m) {\n");
        /* the scalars: the test of m's type, what is expected, the value */
        static const struct { kind kind; const char *test, *expected, *value; } scalars[] = {
            {K_STRING, "m->type != WASMCAP_JSON_STRING", "a string", "m->string"},
            {K_INTEGER, "!wasmcap_json_is_integer(m)", "an integer", "(long long)m->number"},
            {K_NUMBER, "m->type != WASMCAP_JSON_NUMBER", "a number", "m->number"},
            {K_BOOLEAN, "m->type != WASMCAP_JSON_BOOL", "true or false", "m->boolean"},
        };
        for (size_t k = 0; k < sizeof scalars / sizeof scalars[0]; k++)
            if (scalars[k].kind == fi->sh.kind)
                wc_buf_printf(b, "        if (%s)\n"
                                 "            return onto__fail(why, why_size, \"%s.%s: expected %s\");\n"
                                 "        v->%s = %s;\n",
                              scalars[k].test, res->name, fi->key, scalars[k].expected, fi->field,
                              scalars[k].value);
        switch (fi->sh.kind) {
        case K_STRING:
        case K_INTEGER:
        case K_NUMBER:
        case K_BOOLEAN:
            break;
        case K_ENUM:
            wc_buf_printf(b, "        if (%s_parse(wasmcap_json_string(m, NULL), &v->%s))\n"
                             "            return onto__fail(why, why_size, \"%s.%s: not one of the "
                             "members of %s\");\n", fi->sh.enum_name, fi->field, res->name, fi->key, fi->sh.enum_name);
            break;
        case K_OBJECT: {
            char sub[128];
            c_ident(fi->sh.type->name, sub, sizeof sub);
            wc_buf_printf(b, "        if (onto_%s_read(m, &v->%s, why, why_size))\n"
                             "            return -1;\n", sub, fi->field);
            break;
        }
        case K_RAW: wc_buf_printf(b, "        v->%s = m;\n", fi->field); break;
        }
        wc_buf_str(b, "    }\n");
    }
    wc_buf_printf(b, "    return %s_check(v, why, why_size);\n}\n\n", name);
    free(fields);
    mark_done(g, name);
}

static const char prelude[] =
    "#ifndef WASMCAP_H\n"
    "#error \"include wasmcap.h before this header\"\n"
    "#endif\n"
    "\n"
    "#include <stdarg.h>\n"
    "#include <stdio.h>\n"
    "#include <string.h>\n"
    "\n"
    "static inline int onto__fail(char *why, size_t why_size, const char *fmt, ...)\n"
    "    __attribute__((format(printf, 3, 4)));\n"
    "static inline int onto__fail(char *why, size_t why_size, const char *fmt, ...)\n"
    "{\n"
    "    va_list ap;\n"
    "    va_start(ap, fmt);\n"
    "    if (why && why_size)\n"
    "        vsnprintf(why, why_size, fmt, ap);\n"
    "    va_end(ap);\n"
    "    return -1;\n"
    "}\n"
    "\n"
    "/* Characters (code points) of UTF-8 text, as JSON Schema counts them. */\n"
    "static inline size_t onto__length(const char *s)\n"
    "{\n"
    "    size_t n = 0;\n"
    "    for (; s && *s; s++)\n"
    "        n += ((unsigned char)*s & 0xc0) != 0x80;\n"
    "    return n;\n"
    "}\n"
    "\n";

int wc_cmd_gen(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (argc != 3 || strcmp(argv[1], "c") != 0) {
        if (argc >= 2 && strcmp(argv[1], "c") != 0)
            return wc_cli_usage_error("gen", usage_text, "unknown language '%s' (c)", argv[1]);
        return wc_cli_usage_error("gen", usage_text, "%s", "expected: gen c ONTOLOGY_DIR");
    }
    if (argv[2][0] == '-') {
        if (strcmp(argv[2], "-h") == 0 || strcmp(argv[2], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        return wc_cli_usage_error("gen", usage_text, "unknown option %s", argv[2]);
    }
    wc_ontology *ontology;
    wc_error err = {0};
    if (wc_ontology_load(argv[2], &ontology, &err) != 0) {
        fprintf(stderr, "wasmcap gen: %s\n", err.msg);
        return 1;
    }
    gen g = {.docs = wc_ontology_docs(ontology)};
    wc_buf_init(&g.out);
    wc_buf_str(&g.out,
               "/* ontology.h -- C types of the shared ontology, written by `wasmcap gen c`:\n"
               " * do not edit.\n"
               " * A plugin fills a struct and writes it with onto_TYPE_result or\n"
               " * onto_TYPE_write; a field the ontology lacks does not compile. */\n"
               "#ifndef WASMCAP_ONTOLOGY_H\n#define WASMCAP_ONTOLOGY_H\n\n");
    wc_buf_str(&g.out, prelude);
    /* object types in name order, each after what it uses; enums that no
     * object uses too */
    size_t n = wc_schema_docs_count(g.docs);
    const wc_schema_resource **sorted = calloc(n ? n : 1, sizeof *sorted);
    for (size_t i = 0; sorted && i < n; i++)
        sorted[i] = wc_schema_docs_at(g.docs, i);
    for (size_t i = 1; sorted && i < n; i++)
        for (size_t k = i; k > 0 && strcmp(sorted[k - 1]->name, sorted[k]->name) > 0; k--) {
            const wc_schema_resource *t = sorted[k];
            sorted[k] = sorted[k - 1];
            sorted[k - 1] = t;
        }
    for (size_t i = 0; sorted && i < n; i++) {
        json_t *values = string_values(sorted[i]->schema);
        if (values) {
            shape sh = {.kind = K_ENUM, .values = sorted[i]->schema};
            char ident[128];
            c_ident(sorted[i]->name, ident, sizeof ident);
            snprintf(sh.enum_name, sizeof sh.enum_name, "onto_%s", ident);
            write_enum(&g, &sh);
            json_decref(values);
        }
    }
    for (size_t i = 0; sorted && i < n; i++)
        if (is_object_type(sorted[i]->schema))
            write_struct(&g, sorted[i]);
    wc_buf_str(&g.out, "#endif\n");
    int status = 0;
    char *text = wc_buf_cstr(&g.out);
    if (!sorted || !text) {
        fprintf(stderr, "wasmcap gen: out of memory\n");
        status = 1;
    } else {
        fputs(text, stdout);
    }
    free(sorted);
    wc_buf_free(&g.out);
    for (size_t i = 0; i < g.ndone; i++)
        free((char *)g.done[i]);
    free(g.done);
    free(g.active);
    wc_ontology_free(ontology);
    return status;
}
