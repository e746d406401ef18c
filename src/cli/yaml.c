/* yaml.c -- a YAML config file as the JSON value it means (cli/yaml.h),
 * read with Debian's libyaml, event by event.
 *
 * Configs are small trees, so the reader is strict rather than complete:
 * aliases are refused (a "billion laughs" document, where each alias
 * doubles what the one before expands to, cannot grow anything), as are
 * complex keys, duplicate keys, tags other than YAML's own for the four
 * JSON scalar types, more than one document, nesting deeper than
 * WC_YAML_MAX_DEPTH and more than WC_YAML_MAX_NODES values.  Each refusal
 * names the line.
 */
#include "cli/yaml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct frame {
    json_t *value;  /* an array or an object */
    char *key;      /* an object's key waiting for its value */
} frame;

typedef struct loader {
    const char *source;
    wc_error *err;
    frame stack[WC_YAML_MAX_DEPTH];
    int depth;
    size_t nodes;
    json_t *root;
    bool failed;
} loader;

static bool refuse(loader *l, const yaml_mark_t *mark, const char *what)
{
    if (!l->failed)
        wc_error_set(l->err, WC_EINVAL, "%s%sline %zu, column %zu: %s", l->source ? l->source : "",
                     l->source ? ": " : "", (size_t)mark->line + 1, (size_t)mark->column + 1, what);
    l->failed = true;
    return false;
}

static bool all_digits(const char *s, size_t from)
{
    if (!s[from])
        return false;
    for (size_t i = from; s[i]; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* A decimal number as YAML 1.2's core schema writes one: [-+]digits[.digits][e[-+]digits] */
static bool is_float(const char *s)
{
    const char *p = s + (*s == '-' || *s == '+');
    bool digits = false;
    while (*p >= '0' && *p <= '9')
        p++, digits = true;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++, digits = true;
    }
    if (!digits)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        p += *p == '-' || *p == '+';
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == 0;
}

/* A plain scalar typed as YAML 1.2's core schema types it; quoted and block
 * scalars, and those tagged !!str, are strings. */
static json_t *scalar(loader *l, const yaml_event_t *ev)
{
    const char *text = (const char *)ev->data.scalar.value;
    const char *tag = (const char *)ev->data.scalar.tag;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (tag && strcmp(tag, YAML_STR_TAG) == 0)
        return json_stringn(text, ev->data.scalar.length);
    if (tag && strcmp(tag, YAML_NULL_TAG) && strcmp(tag, YAML_BOOL_TAG) && strcmp(tag, YAML_INT_TAG) &&
        strcmp(tag, YAML_FLOAT_TAG)) {
        refuse(l, &ev->start_mark, "tags other than !!str, !!int, !!float, !!bool and !!null are not "
                                   "supported");
        return NULL;
    }
    if (!plain && !tag)
        return json_stringn(text, ev->data.scalar.length);
    if (!*text || !strcmp(text, "~") || !strcmp(text, "null") || !strcmp(text, "Null") ||
        !strcmp(text, "NULL"))
        return json_null();
    if (!strcmp(text, "true") || !strcmp(text, "True") || !strcmp(text, "TRUE"))
        return json_true();
    if (!strcmp(text, "false") || !strcmp(text, "False") || !strcmp(text, "FALSE"))
        return json_false();
    if (all_digits(text, *text == '-' || *text == '+')) {
        errno = 0;
        long long n = strtoll(text, NULL, 10);
        if (errno == 0)
            return json_integer(n);
    } else if (is_float(text)) {
        return json_real(strtod(text, NULL));
    }
    return json_stringn(text, ev->data.scalar.length);
}

/* Puts a finished value where it belongs: the root, an array's next item,
 * or the pending key's value. */
static bool place(loader *l, json_t *value, const yaml_mark_t *mark)
{
    if (!value)
        return l->failed ? false : refuse(l, mark, "out of memory");
    if (++l->nodes > WC_YAML_MAX_NODES) {
        json_decref(value);
        return refuse(l, mark, "more values than a config may hold");
    }
    if (l->depth == 0) {
        if (l->root) {
            json_decref(value);
            return refuse(l, mark, "more than one value at the top");
        }
        l->root = value;
        return true;
    }
    frame *top = &l->stack[l->depth - 1];
    if (json_is_array(top->value))
        return json_array_append_new(top->value, value) == 0 || refuse(l, mark, "out of memory");
    bool ok = json_object_set_new(top->value, top->key, value) == 0;
    free(top->key);
    top->key = NULL;
    return ok || refuse(l, mark, "out of memory");
}

static bool event(loader *l, const yaml_event_t *ev, int *documents)
{
    frame *top = l->depth ? &l->stack[l->depth - 1] : NULL;
    bool wants_key = top && json_is_object(top->value) && !top->key;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++*documents > 1)
            return refuse(l, &ev->start_mark, "more than one document");
        return true;
    case YAML_ALIAS_EVENT:
        return refuse(l, &ev->start_mark, "aliases (*name) are not supported: write the value out");
    case YAML_SCALAR_EVENT:
        if (wants_key) {
            const char *key = (const char *)ev->data.scalar.value;
            if (strlen(key) != ev->data.scalar.length)
                return refuse(l, &ev->start_mark, "a key holds a NUL character");
            if (json_object_get(top->value, key))
                return refuse(l, &ev->start_mark, "duplicate key");
            top->key = strdup(key);
            return top->key || refuse(l, &ev->start_mark, "out of memory");
        }
        return place(l, scalar(l, ev), &ev->start_mark);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        if (wants_key)
            return refuse(l, &ev->start_mark, "a key must be a plain value, not a list or a mapping");
        if (l->depth >= WC_YAML_MAX_DEPTH)
            return refuse(l, &ev->start_mark, "nested deeper than a config may be");
        json_t *v = ev->type == YAML_SEQUENCE_START_EVENT ? json_array() : json_object();
        if (!place(l, json_incref(v), &ev->start_mark)) {
            json_decref(v);
            return false;
        }
        l->stack[l->depth++] = (frame){.value = v};
        return true;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (l->depth > 0) {
            json_decref(l->stack[l->depth - 1].value);
            l->depth--;
        }
        return true;
    default:
        return true;
    }
}

json_t *wc_yaml_load(const char *text, size_t len, const char *source, wc_error *err)
{
    loader l = {.source = source, .err = err};
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        wc_error_set(err, WC_ENOMEM, "out of memory");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int documents = 0;
    bool done = false;
    while (!done && !l.failed) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            char what[256];
            snprintf(what, sizeof what, "not valid YAML: %s",
                     parser.problem ? parser.problem : "unknown error");
            refuse(&l, &parser.problem_mark, what);
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        event(&l, &ev, &documents);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    for (int i = 0; i < l.depth; i++) {
        json_decref(l.stack[i].value);
        free(l.stack[i].key);
    }
    if (l.failed) {
        json_decref(l.root);
        return NULL;
    }
    if (!l.root)
        l.root = json_object(); /* an empty file: an empty config */
    return l.root;
}

bool wc_yaml_file_name(const char *path)
{
    size_t n = path ? strlen(path) : 0;
    return (n > 5 && strcmp(path + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(path + n - 4, ".yml") == 0);
}
