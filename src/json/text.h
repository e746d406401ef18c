/* text.h -- compact JSON text of jansson values, fast.
 *
 * Every tool call writes its response and the guest's arguments.  jansson's
 * json_dumpb spends most of its time on loop detection (a hash table keyed
 * by snprintf'd pointers, per container); a value we hold cannot contain
 * itself, so a plain recursive writer does the same job several times
 * faster.  The output is byte for byte what
 * json_dumpb(value, JSON_COMPACT | JSON_ENCODE_ANY) writes: no spaces, keys
 * in the object's order, only '"', '\' and control characters escaped
 * (\u00XX in upper case when there is no short form), integers in decimal,
 * reals with 17 significant digits (so they read back exactly) and always
 * with a '.' or an exponent ("1.0", "1e20", "1.5e-7").
 *
 * Strings are written as they are: a value made with jansson's *_nocheck
 * functions must hold valid UTF-8 (wc_json_utf8_valid_prefix checks).
 */
#ifndef WC_JSON_TEXT_H
#define WC_JSON_TEXT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

/* Where text goes: data[0..len) is written, data[len..cap) is free.  grow
 * must make cap - len >= extra (moving data if it likes) or return false;
 * after a false, failed is set and later writes do nothing. */
typedef struct wc_json_sink wc_json_sink;
struct wc_json_sink {
    char *data;
    size_t len, cap;
    bool failed;
    bool (*grow)(wc_json_sink *sink, size_t extra);
};

/* Appends the text of value.  0; WC_EINVAL when value is NULL, nested
 * deeper than WC_JSON_MAX_DEPTH (parse.h) containers or holds a NaN or
 * infinity; WC_ENOMEM when the sink failed (then the text written so far
 * is incomplete). */
int wc_json_write(wc_json_sink *sink, const json_t *value);

/* Appends s[0..len) (UTF-8) as a JSON string literal.  0, or WC_ENOMEM
 * when the sink failed. */
int wc_json_write_string(wc_json_sink *sink, const char *s, size_t len);

/* Appends the text of value to out.  0, or a code as wc_json_write (then
 * out may hold part of the text, or be failed when out of memory). */
int wc_json_text(const json_t *value, wc_buf *out);

/* Appends s[0..len) (UTF-8) to out as a JSON string literal.  0, or
 * WC_ENOMEM when out failed. */
int wc_json_string_text(const char *s, size_t len, wc_buf *out);

#endif
