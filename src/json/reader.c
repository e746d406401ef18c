/* reader.c -- typed reading of a JSON document with errors at their paths.
 *
 * A node renders its path only when it fails, by walking up its parents,
 * so reading a value costs no string building.
 */
#include "json/reader.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/size.h"

void wc_reader_init(wc_reader *r, const char *source)
{
    memset(r, 0, sizeof *r);
    r->source = source;
}

static void set_error(wc_reader *r, const char *path, const char *fmt, va_list ap)
{
    char msg[768];
    vsnprintf(msg, sizeof msg, fmt, ap);
    const char *source = r->source && *r->source ? r->source : NULL;
    if (source && path && *path)
        snprintf(r->error, sizeof r->error, "%s: %s: %s", source, path, msg);
    else if (source || (path && *path))
        snprintf(r->error, sizeof r->error, "%s: %s", source ? source : path, msg);
    else
        snprintf(r->error, sizeof r->error, "%s", msg);
    r->failed = true;
}

bool wc_reader_fail(wc_reader *r, const char *fmt, ...)
{
    if (r->failed)
        return false;
    va_list ap;
    va_start(ap, fmt);
    set_error(r, NULL, fmt, ap);
    va_end(ap);
    return false;
}

int wc_reader_result(const wc_reader *r, wc_error *err)
{
    if (!r->failed)
        return 0;
    return wc_error_set(err, WC_EINVAL, "%s", r->error);
}

json_t *wc_reader_load(wc_reader *r, const char *text, size_t len)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc)
        wc_reader_fail(r, "invalid JSON at line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
    return doc;
}

wc_rnode wc_reader_root(wc_reader *r, const json_t *json, const char *name)
{
    wc_rnode n;
    memset(&n, 0, sizeof n);
    n.reader = r;
    n.json = json;
    n.key = name;
    return n;
}

/* ---- paths ------------------------------------------------------------- */

void wc_rnode_path_text(const wc_rnode *node, char *out, size_t out_size)
{
    const wc_rnode *chain[64];
    size_t depth = 0;
    for (const wc_rnode *n = node; n && depth < sizeof chain / sizeof chain[0]; n = n->parent)
        chain[depth++] = n;
    size_t len = 0;
    out[0] = 0;
    while (depth-- > 0 && len + 1 < out_size) {
        const wc_rnode *n = chain[depth];
        int w;
        if (n->item)
            w = snprintf(out + len, out_size - len, "[%zu]", n->index);
        else if (n->key)
            w = snprintf(out + len, out_size - len, "%s%s", len ? "." : "", n->key);
        else
            w = 0;
        /* A path too long for the buffer is cut (in messages only). */
        len += w < 0 ? 0 : (size_t)w;
        if (len >= out_size)
            len = out_size - 1;
    }
}

bool wc_rnode_fail(const wc_rnode *node, const char *fmt, ...)
{
    wc_reader *r = node->reader;
    if (r->failed)
        return false;
    char path[512];
    wc_rnode_path_text(node, path, sizeof path);
    va_list ap;
    va_start(ap, fmt);
    set_error(r, path, fmt, ap);
    va_end(ap);
    return false;
}

bool wc_rnode_require(const wc_rnode *node)
{
    if (node->reader->failed)
        return false;
    return node->json ? true : wc_rnode_fail(node, "required");
}

/* ---- structure --------------------------------------------------------- */

static wc_rnode child(const wc_rnode *parent, const json_t *json)
{
    wc_rnode n;
    memset(&n, 0, sizeof n);
    n.reader = parent->reader;
    n.json = json;
    n.parent = parent;
    return n;
}

wc_rnode wc_rnode_member(wc_rnode *obj, const char *key)
{
    if (obj->nknown < WC_RNODE_MAX_KEYS)
        obj->known[obj->nknown++] = key;
    else
        wc_rnode_fail(obj, "more than %d known keys (a limit of the reader)", WC_RNODE_MAX_KEYS);
    wc_rnode n = child(obj, json_is_object(obj->json) ? json_object_get(obj->json, key) : NULL);
    n.key = key;
    return n;
}

wc_rnode wc_rnode_item(const wc_rnode *arr, size_t i)
{
    wc_rnode n = child(arr, json_is_array(arr->json) ? json_array_get(arr->json, i) : NULL);
    n.item = true;
    n.index = i;
    return n;
}

bool wc_rnode_next(wc_rnode *obj, void **iter, wc_rnode *member)
{
    if (obj->reader->failed || !json_is_object(obj->json))
        return false;
    obj->any_key = true;
    json_t *o = (json_t *)obj->json;
    *iter = *iter ? json_object_iter_next(o, *iter) : json_object_iter(o);
    if (!*iter)
        return false;
    *member = child(obj, json_object_iter_value(*iter));
    member->key = json_object_iter_key(*iter);
    return true;
}

bool wc_rnode_done(wc_rnode *obj)
{
    if (obj->reader->failed || obj->any_key || !json_is_object(obj->json))
        return !obj->reader->failed;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj->json, key, v) {
        bool known = false;
        for (size_t i = 0; i < obj->nknown && !known; i++)
            known = strcmp(obj->known[i], key) == 0;
        if (known)
            continue;
        char list[600];
        size_t len = 0;
        list[0] = 0;
        for (size_t i = 0; i < obj->nknown && len < sizeof list; i++) {
            int w = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", obj->known[i]);
            len += w < 0 ? 0 : (size_t)w;
        }
        wc_rnode m = child(obj, v);
        m.key = key;
        if (!obj->nknown)
            return wc_rnode_fail(&m, "unknown key (no key is expected here)");
        return wc_rnode_fail(&m, "unknown key (expected one of: %s)", list);
    }
    return true;
}

static bool expect_type(const wc_rnode *node, bool ok, const char *what)
{
    if (node->reader->failed || !node->json)
        return false;
    return ok ? true : wc_rnode_fail(node, "expected %s", what);
}

bool wc_rnode_object(const wc_rnode *node, const char *what)
{
    return expect_type(node, json_is_object(node->json), what ? what : "an object");
}

bool wc_rnode_array(const wc_rnode *node, const char *what)
{
    return expect_type(node, json_is_array(node->json), what ? what : "an array");
}

size_t wc_rnode_count(const wc_rnode *arr)
{
    return json_is_array(arr->json) ? json_array_size(arr->json) : 0;
}

/* ---- strings ----------------------------------------------------------- */

bool wc_rnode_text(const wc_rnode *node, unsigned flags, const char **out)
{
    if (!expect_type(node, json_is_string(node->json), "a string"))
        return false;
    const char *s = json_string_value(node->json);
    if (strlen(s) != json_string_length(node->json))
        return wc_rnode_fail(node, "the string contains a NUL character");
    if ((flags & WC_READ_NONEMPTY) && !*s)
        return wc_rnode_fail(node, "expected a non-empty string");
    *out = s;
    return true;
}

static bool read_string(const wc_rnode *node, unsigned flags, const char *nonempty, char **out)
{
    if (!expect_type(node, json_is_string(node->json), "a string"))
        return false;
    wc_reader *r = node->reader;
    char *s = NULL;
    if (r->expand) {
        wc_error why = {0};
        if (r->expand(r->expand_ctx, json_string_value(node->json), json_string_length(node->json), &s,
                      &why))
            return wc_rnode_fail(node, "%s", wc_error_message(&why));
        if (!s)
            return wc_rnode_fail(node, "out of memory");
    } else {
        const char *text;
        if (!wc_rnode_text(node, 0, &text))
            return false;
        if (!(s = strdup(text)))
            return wc_rnode_fail(node, "out of memory");
    }
    if ((flags & WC_READ_NONEMPTY) && !*s) {
        free(s);
        return wc_rnode_fail(node, "expected %s", nonempty);
    }
    *out = s;
    return true;
}

bool wc_rnode_string(const wc_rnode *node, unsigned flags, char **out)
{
    return read_string(node, flags, "a non-empty string", out);
}

bool wc_rnode_path(const wc_rnode *node, unsigned flags, char **out)
{
    char *s;
    if (!read_string(node, flags, "a non-empty path", &s))
        return false;
    const char *base = node->reader->base_dir;
    if (!*s || s[0] == '/' || !base || !*base) {
        *out = s;
        return true;
    }
    size_t n = strlen(base) + 1 + strlen(s) + 1;
    char *joined = malloc(n);
    if (joined)
        snprintf(joined, n, "%s/%s", base, s);
    free(s);
    if (!joined)
        return wc_rnode_fail(node, "out of memory");
    *out = joined;
    return true;
}

bool wc_rnode_strings(const wc_rnode *node, unsigned flags, char ***list, size_t *count)
{
    if (!wc_rnode_array(node, "an array of strings"))
        return false;
    size_t n = json_array_size(node->json), got = 0;
    char **items = calloc(n ? n : 1, sizeof *items);
    if (!items)
        return wc_rnode_fail(node, "out of memory");
    for (; got < n; got++) {
        wc_rnode item = wc_rnode_item(node, got);
        if (!wc_rnode_string(&item, flags, &items[got]))
            break;
    }
    if (got < n) {
        for (size_t i = 0; i < got; i++)
            free(items[i]);
        free(items);
        return false;
    }
    *list = items;
    *count = n;
    return true;
}

bool wc_rnode_texts(const wc_rnode *node, unsigned flags, const char ***list, size_t *count)
{
    if (!wc_rnode_array(node, "an array of strings"))
        return false;
    size_t n = json_array_size(node->json);
    const char **items = calloc(n + 1, sizeof *items);
    if (!items)
        return wc_rnode_fail(node, "out of memory");
    for (size_t i = 0; i < n; i++) {
        wc_rnode item = wc_rnode_item(node, i);
        if (!wc_rnode_text(&item, flags, &items[i])) {
            free(items);
            return false;
        }
    }
    *list = items;
    *count = n;
    return true;
}

/* ---- numbers ----------------------------------------------------------- */

bool wc_rnode_bool(const wc_rnode *node, bool *out)
{
    if (!expect_type(node, json_is_boolean(node->json), "true or false"))
        return false;
    *out = json_is_true(node->json);
    return true;
}

static bool int_in(const wc_rnode *node, long long min, long long max, long long *out)
{
    if (!json_is_integer(node->json))
        return false;
    long long v = json_integer_value(node->json);
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool wc_rnode_int(const wc_rnode *node, long long min, long long max, long long *out)
{
    if (node->reader->failed || !node->json)
        return false;
    if (int_in(node, min, max, out))
        return true;
    if (max == LLONG_MAX && (min == 0 || min == 1))
        return wc_rnode_fail(node, "expected a %s integer", min ? "positive" : "non-negative");
    if (max == LLONG_MAX)
        return wc_rnode_fail(node, "expected an integer of at least %lld", min);
    return wc_rnode_fail(node, "expected an integer from %lld to %lld", min, max);
}

bool wc_rnode_ms(const wc_rnode *node, uint32_t min, uint32_t max, uint32_t *out)
{
    if (node->reader->failed || !node->json)
        return false;
    long long v;
    if (!int_in(node, min, max, &v))
        return wc_rnode_fail(node, "expected a duration in milliseconds from %u to %u", min, max);
    *out = (uint32_t)v;
    return true;
}

/* "64KiB", "1GiB", or a plain number of bytes. */
static void size_text(uint64_t n, char *out, size_t out_size)
{
    static const char *units[] = {"TiB", "GiB", "MiB", "KiB"};
    for (unsigned i = 0; i < 4; i++) {
        unsigned shift = 40 - 10 * i;
        if (n && n % (1ull << shift) == 0) {
            snprintf(out, out_size, "%llu%s", (unsigned long long)(n >> shift), units[i]);
            return;
        }
    }
    snprintf(out, out_size, "%llu byte%s", (unsigned long long)n, n == 1 ? "" : "s");
}

bool wc_rnode_size(const wc_rnode *node, uint64_t min, uint64_t max, uint64_t *out)
{
    if (node->reader->failed || !node->json)
        return false;
    uint64_t n = 0;
    if (json_is_integer(node->json)) {
        if (json_integer_value(node->json) <= 0)
            return wc_rnode_fail(node, "expected a positive size");
        n = (uint64_t)json_integer_value(node->json);
    } else if (json_is_string(node->json)) {
        char *s;
        if (!wc_rnode_string(node, 0, &s))
            return false;
        int rc = wc_parse_size(s, &n);
        if (rc || n == 0) {
            wc_rnode_fail(node, "'%s' is not a positive size (examples: 4096, \"64K\", \"16MiB\", \"1G\")", s);
            free(s);
            return false;
        }
        free(s);
    } else {
        return wc_rnode_fail(node, "expected a size (an integer or a string such as \"64MiB\")");
    }
    if (n < min || n > max) {
        char lo[32], hi[32];
        size_text(min, lo, sizeof lo);
        size_text(max, hi, sizeof hi);
        if (min <= 1)
            return wc_rnode_fail(node, "must be at most %s", hi);
        if (max == UINT64_MAX)
            return wc_rnode_fail(node, "must be at least %s", lo);
        return wc_rnode_fail(node, "must be between %s and %s", lo, hi);
    }
    *out = n;
    return true;
}

/* ---- copies ------------------------------------------------------------ */

bool wc_rnode_copy(const wc_rnode *node, json_t **out)
{
    if (node->reader->failed || !node->json)
        return false;
    json_t *copy = NULL;
    if (json_is_string(node->json)) {
        char *s;
        if (!wc_rnode_string(node, 0, &s))
            return false;
        copy = json_string(s);
        free(s);
    } else if (json_is_object(node->json)) {
        copy = json_object();
        json_t *o = (json_t *)node->json;
        for (void *iter = json_object_iter(o); copy && iter; iter = json_object_iter_next(o, iter)) {
            wc_rnode member = child(node, json_object_iter_value(iter));
            member.key = json_object_iter_key(iter);
            json_t *v;
            if (!wc_rnode_copy(&member, &v) || json_object_set_new(copy, member.key, v)) {
                json_decref(copy);
                return node->reader->failed ? false : wc_rnode_fail(node, "out of memory");
            }
        }
    } else if (json_is_array(node->json)) {
        copy = json_array();
        for (size_t i = 0; copy && i < json_array_size(node->json); i++) {
            wc_rnode item = wc_rnode_item(node, i);
            json_t *v;
            if (!wc_rnode_copy(&item, &v) || json_array_append_new(copy, v)) {
                json_decref(copy);
                return node->reader->failed ? false : wc_rnode_fail(node, "out of memory");
            }
        }
    } else {
        copy = json_copy((json_t *)node->json);
    }
    if (!copy)
        return node->reader->failed ? false : wc_rnode_fail(node, "out of memory");
    *out = copy;
    return true;
}
