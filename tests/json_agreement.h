/* json_agreement.h -- the JSON parser's oracles, shared by test_json.c and
 * the fuzzers (tests/fuzz): every entry point of json/parse.h and
 * json/scan.h, and the JSON-RPC reader's fast path, must agree with the
 * general path and with jansson's json_loadb on any text, and the writer
 * must write what json_dumps does and read back the same value.  Disagreements
 * are CHECK failures (check.h); a fuzzer aborts when `failures` grows.
 */
#ifndef WC_TESTS_JSON_AGREEMENT_H
#define WC_TESTS_JSON_AGREEMENT_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "json/parse.h"
#include "json/scan.h"
#include "json/text.h"
#include "util/buf.h"
#include "mcp/jsonrpc.h"
#include "check.h"

/* Parses a copy of exactly len bytes (no NUL after it). */
static inline json_t *parse_exact(const char *text, size_t len, unsigned flags,
                                  wc_json_error *err)
{
    char *copy = malloc(len ? len : 1);
    if (!copy)
        abort();
    if (len)
        memcpy(copy, text, len);
    json_t *v = wc_json_parse(copy, len, flags, err);
    free(copy);
    return v;
}

static inline json_t *jansson_parse(const char *text, size_t len, unsigned flags)
{
    json_error_t e;
    size_t jflags = JSON_DECODE_ANY | (flags & WC_JSON_REJECT_DUPLICATES ? JSON_REJECT_DUPLICATES : 0);
    return json_loadb(text, len, jflags, &e);
}

/* Strict equality: same types, reals bit for bit, keys in the same order. */
static inline bool same(const json_t *a, const json_t *b)
{
    if (json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b))
            return false;
        void *ia = json_object_iter((json_t *)a), *ib = json_object_iter((json_t *)b);
        for (; ia && ib; ia = json_object_iter_next((json_t *)a, ia),
                         ib = json_object_iter_next((json_t *)b, ib)) {
            size_t la = json_object_iter_key_len(ia), lb = json_object_iter_key_len(ib);
            if (la != lb || memcmp(json_object_iter_key(ia), json_object_iter_key(ib), la) != 0)
                return false;
            if (!same(json_object_iter_value(ia), json_object_iter_value(ib)))
                return false;
        }
        return !ia && !ib;
    }
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!same(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_INTEGER:
        return json_integer_value(a) == json_integer_value(b);
    case JSON_REAL: {
        double x = json_real_value(a), y = json_real_value(b);
        return memcmp(&x, &y, sizeof x) == 0;
    }
    default:
        return true;
    }
}

/* Skimming (wc_json_options.keep) takes and refuses what wc_json_parse does (without
 * WC_JSON_REJECT_DUPLICATES), at the same byte; of a top-level object it
 * builds the kept members and every scalar, and leaves other arrays and
 * objects empty. */
static inline void compare_skim(const char *text, size_t len, const char *what)
{
    static const char *const keep[] = {"structuredContent", "isError", NULL};
    char *copy = malloc(len ? len : 1);
    if (!copy)
        abort();
    if (len)
        memcpy(copy, text, len);
    wc_json_error full_err, skim_err;
    json_t *full = wc_json_parse(copy, len, 0, &full_err);
    wc_json_options o = {.keep = keep};
    json_t *skim = wc_json_parse_with(copy, len, &o, &skim_err);
    wc_json_options check = {.check_only = true};
    wc_json_error check_err;
    json_t *checked = wc_json_parse_with(copy, len, &check, &check_err);
    CHECK(!checked == !full && (checked ? checked == json_true()
                                        : check_err.position == full_err.position &&
                                              strcmp(check_err.text, full_err.text) == 0),
          "%s: check_only disagrees: %.*s", what, (int)(len > 200 ? 200 : len), text);
    /* With duplicates refused, skimming finds them too (unless it says it
     * could not compare the keys). */
    wc_json_error strict_err, err2;
    json_t *strict = wc_json_parse(copy, len, WC_JSON_REJECT_DUPLICATES, &strict_err);
    for (int mode = 0; mode < 2; mode++) {
        bool unchecked = false;
        wc_json_options so = {.flags = WC_JSON_REJECT_DUPLICATES, .unchecked_duplicates = &unchecked};
        if (mode)
            so.check_only = true;
        else
            so.keep = keep;
        json_t *v = wc_json_parse_with(copy, len, &so, &err2);
        if (!unchecked)
            CHECK(!v == !strict && (v || (err2.position == strict_err.position &&
                                          strcmp(err2.text, strict_err.text) == 0)),
                  "%s: %s with duplicates refused disagrees (%s at %zu, want %s at %zu): %.*s",
                  what, mode ? "check_only" : "skimming", v ? "ok" : err2.text, err2.position,
                  strict ? "ok" : strict_err.text, strict_err.position,
                  (int)(len > 200 ? 200 : len), text);
        if (v != json_true())
            json_decref(v);
    }
    json_decref(strict);
    free(copy);
    if (!full || !skim) {
        CHECK(!full && !skim && full_err.position == skim_err.position &&
                  strcmp(full_err.text, skim_err.text) == 0,
              "%s: skim %s (%s at %zu), full %s (%s at %zu): %.*s", what,
              skim ? "accepts" : "refuses", skim ? "" : skim_err.text, skim_err.position,
              full ? "accepts" : "refuses", full ? "" : full_err.text, full_err.position,
              (int)(len > 200 ? 200 : len), text);
    } else if (!json_is_object(full)) {
        CHECK(json_equal(full, skim), "%s: skim differs on a non-object", what);
    } else {
        const char *key;
        json_t *value;
        bool ok = json_object_size(full) == json_object_size(skim);
        json_object_foreach(full, key, value) {
            json_t *got = json_object_get(skim, key);
            bool kept = strcmp(key, keep[0]) == 0 || strcmp(key, keep[1]) == 0;
            if (kept || !(json_is_object(value) || json_is_array(value)))
                ok = ok && json_equal(value, got);
            else
                ok = ok && got && json_typeof(got) == json_typeof(value) &&
                     (json_is_object(got) ? json_object_size(got) : json_array_size(got)) == 0;
        }
        CHECK(ok, "%s: skim built the wrong members: %.*s", what, (int)(len > 200 ? 200 : len),
              text);
    }
    json_decref(full);
    json_decref(skim);
}

static inline bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The parts callers read out of a larger text agree with a parse of
 * exactly their bytes: a value followed by more (value_end), one scalar
 * token (wc_json_check_scalar), one number token (wc_json_number_token)
 * and a flat object with its values checked (wc_json_flat_object_checked). */
static inline void compare_parts(const char *text, size_t len, const char *what)
{
    char *copy = malloc(len ? len : 1); /* exactly: ASan sees any read past the end */
    if (!copy)
        abort();
    memcpy(copy, text, len);
    const char *end = copy + len;
    size_t lead = 0, trimmed = len;
    while (lead < len && is_ws(copy[lead]))
        lead++;
    while (trimmed > lead && is_ws(copy[trimmed - 1]))
        trimmed--;
    int shown = (int)(len > 200 ? 200 : len);
    json_t *full = wc_json_parse(copy, len, 0, NULL);

    size_t value_end = 0;
    wc_json_options po = {.value_end = &value_end};
    json_t *prefix = wc_json_parse_with(copy, len, &po, NULL);
    CHECK(!full || (prefix && value_end == trimmed && same(prefix, full)),
          "%s: a value followed by nothing not read as a prefix: %.*s", what, shown, text);
    if (prefix) {
        json_t *alone = parse_exact(copy, value_end, 0, NULL);
        CHECK(alone && same(alone, prefix) && value_end > lead && !is_ws(copy[value_end - 1]),
              "%s: the prefix read (%zu bytes) is not a value on its own: %.*s", what,
              value_end, shown, text);
        json_decref(alone);
    }
    if (full) {
        /* followed by more text, the same value and end */
        char *more = malloc(len + 2);
        if (!more)
            abort();
        memcpy(more, text, len);
        memcpy(more + len, ",]", 2);
        size_t end2 = 0;
        wc_json_options po2 = {.value_end = &end2};
        json_t *v = wc_json_parse_with(more, len + 2, &po2, NULL);
        CHECK(v && end2 == trimmed && same(v, full), "%s: a value followed by ,] misread: %.*s",
              what, shown, text);
        json_decref(v);
        free(more);
    }

    bool scalar = prefix && !json_is_object(prefix) && !json_is_array(prefix);
    const char *after = wc_json_check_scalar(copy + lead, end);
    CHECK(!after == !scalar && (!after || (size_t)(after - copy) == value_end),
          "%s: wc_json_check_scalar %s (%zu), the parser %s: %.*s", what,
          after ? "takes it" : "refuses it", after ? (size_t)(after - copy) : 0,
          scalar ? "takes a scalar" : "does not", shown, text);

    bool is_integer = false;
    json_int_t integer = 0;
    double real = 0;
    bool number = wc_json_number_token(copy + lead, trimmed - lead, &is_integer, &integer, &real);
    CHECK(number == (full && json_is_number(full)) &&
              (!number || (is_integer ? json_is_integer(full) && json_integer_value(full) == integer
                                      : json_is_real(full) &&
                                            memcmp(&real, &(double){json_real_value(full)},
                                                   sizeof real) == 0)),
          "%s: wc_json_number_token %s: %.*s", what, number ? "takes it" : "refuses it", shown,
          text);

    wc_json_member members[WC_JSON_FLAT_MAX];
    int count = -1;
    after = wc_json_flat_object_checked(copy + lead, end, members, &count);
    if (after) {
        /* valid JSON, duplicates refused, and the members as parsed */
        size_t n = (size_t)(after - (copy + lead));
        json_t *obj = parse_exact(copy + lead, n, WC_JSON_REJECT_DUPLICATES, NULL);
        bool ok = obj && json_is_object(obj) && json_object_size(obj) == (size_t)count &&
                  prefix && value_end == (size_t)(after - copy);
        for (int i = 0; ok && i < count; i++) {
            /* keys of any length (a fixed buffer here made a long key a
             * false alarm of fuzz_json) */
            json_t *value = parse_exact(members[i].value, members[i].value_len, 0, NULL);
            ok = value && same(value, json_object_getn(obj, members[i].key, members[i].key_len));
            json_decref(value);
        }
        CHECK(ok, "%s: wc_json_flat_object_checked takes what the parser does not: %.*s", what,
              shown, text);
        json_decref(obj);
    }
    json_decref(full);
    json_decref(prefix);
    free(copy);
}

static inline void compare_with_jansson(const char *text, size_t len, unsigned flags,
                                        const char *what)
{
    if (flags == 0) {
        compare_skim(text, len, what);
        compare_parts(text, len, what);
    }
    wc_json_error err;
    json_t *v = parse_exact(text, len, flags, &err);
    if (memchr(text, 0, len)) {
        /* A raw NUL is never valid, but jansson takes one after a value
         * for the end of the text ("[1\0]" is [1] to it). */
        CHECK(!v, "%s: a text with a NUL byte accepted", what);
        json_decref(v);
        return;
    }
    json_t *j = jansson_parse(text, len, flags);
    if (!v != !j) {
        CHECK(0, "%s: %s accepts, %s refuses (%s): %.*s", what, v ? "we" : "jansson",
              v ? "jansson" : "we", v ? "" : err.text, (int)(len > 200 ? 200 : len), text);
    } else if (v) {
        CHECK(same(v, j), "%s: differs from json_loadb: %.*s", what,
              (int)(len > 200 ? 200 : len), text);
    } else {
        CHECK(err.text[0] && err.position <= len, "%s: error %s at %zu of %zu", what, err.text,
              err.position, len);
    }
    json_decref(v);
    json_decref(j);
}

/* wc_rpc_parse (with its fast path for plain requests) classifies every
 * text exactly as wc_rpc_parse_tree, the general path, does. */
static inline void compare_rpc(const char *text, size_t len, const char *what)
{
    char *copy = malloc(len ? len : 1);
    if (!copy)
        abort();
    if (len)
        memcpy(copy, text, len);
    wc_rpc_message fast, tree;
    wc_rpc_parse(copy, len, &fast);
    wc_rpc_parse_tree(copy, len, &tree);
    /* tools/call with flat arguments: the fast path leaves them an empty
     * stand-in (the plugin layer reads their text) */
    bool same_params = !fast.params == !tree.params &&
                       (!fast.params || json_equal(fast.params, tree.params));
    if (!same_params && fast.params && tree.params && fast.method &&
        strcmp(fast.method, "tools/call") == 0) {
        json_t *a = json_deep_copy(fast.params), *b = json_deep_copy(tree.params);
        json_t *stand_in = json_object_get(a, "arguments");
        same_params = json_is_object(stand_in) && json_object_size(stand_in) == 0 &&
                      json_is_object(json_object_get(b, "arguments")) && fast.arguments_text &&
                      json_object_del(a, "arguments") == 0 &&
                      json_object_del(b, "arguments") == 0 && json_equal(a, b);
        json_decref(a);
        json_decref(b);
    }
    bool same_args = !fast.arguments_text == !tree.arguments_text &&
                     fast.arguments_len == tree.arguments_len &&
                     (!fast.arguments_text || fast.arguments_text == tree.arguments_text);
    CHECK(fast.kind == tree.kind && fast.code == tree.code &&
              strcmp(fast.reason, tree.reason) == 0 && !fast.id == !tree.id &&
              (!fast.id || json_equal(fast.id, tree.id)) && !fast.method == !tree.method &&
              (!fast.method || strcmp(fast.method, tree.method) == 0) &&
              same_params && same_args,
          "%s: the fast path differs: %.*s", what, (int)(len > 200 ? 200 : len), text);
    wc_rpc_message_free(&fast);
    wc_rpc_message_free(&tree);
    free(copy);
}

/* The text of v by wc_json_text; NULL on failure.  Caller frees. */
static inline char *text_of(const json_t *v, size_t *len)
{
    wc_buf b;
    wc_buf_init(&b);
    if (wc_json_text(v, &b) != 0) {
        wc_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return wc_buf_cstr(&b);
}

static inline bool has_nul_string(const json_t *v)
{
    const char *key;
    size_t i, klen;
    json_t *item;
    switch (json_typeof(v)) {
    case JSON_STRING:
        return memchr(json_string_value(v), 0, json_string_length(v)) != NULL;
    case JSON_ARRAY:
        json_array_foreach(v, i, item) if (has_nul_string(item)) return true;
        return false;
    case JSON_OBJECT:
        json_object_keylen_foreach((json_t *)v, key, klen, item) {
            if (memchr(key, 0, klen) || has_nul_string(item))
                return true;
        }
        return false;
    default:
        return false;
    }
}

/* Our text must be json_dumpb's, byte for byte, and read back the same
 * (unless a string holds a NUL: "\u0000" is refused on input). */
static inline void check_text(const json_t *v, const char *what)
{
    size_t len = 0;
    char *mine = text_of(v, &len);
    CHECK(mine != NULL, "%s: wc_json_text failed", what);
    if (!mine)
        return;
    char *theirs = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    CHECK(theirs && strlen(theirs) == len && memcmp(theirs, mine, len) == 0,
          "%s: text differs from json_dumpb:\n  mine:   %.300s\n  theirs: %.300s", what, mine,
          theirs ? theirs : "(null)");
    wc_json_error err;
    json_t *back = parse_exact(mine, len, 0, &err);
    if (has_nul_string(v))
        CHECK(!back && strstr(err.text, "\\u0000"), "%s: \\u0000 read back", what);
    else
        CHECK(back && same(back, v), "%s: does not read back (%s): %.300s", what,
              back ? "different value" : err.text, mine);
    json_decref(back);
    free(theirs);
    free(mine);
}

#endif
