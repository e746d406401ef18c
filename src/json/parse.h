/* parse.h -- a strict, fast JSON (RFC 8259) parser that builds jansson values.
 *
 * Every tool call parses its request and the plugin's result.  jansson's
 * json_loadb reads through a per-character callback and copies every string
 * twice; this parser walks a pointer over the bytes once and hands jansson
 * finished keys and strings (validated here, so jansson's *_nocheck
 * functions skip a second check).  It accepts exactly what
 * json_loadb(..., JSON_DECODE_ANY, ...) accepts:
 *
 *   - any value at the top level, whitespace (space, tab, CR, LF) only
 *     around it; anything after it is an error;
 *   - strings must be valid UTF-8 (no overlong forms, no surrogates, nothing
 *     above U+10FFFF); control characters must be escaped; "\u0000" is an
 *     error (a string with a NUL cannot be used as a C string); a \u
 *     surrogate must be half of a proper pair;
 *   - numbers without fraction or exponent are integers and must fit int64
 *     ("-0" is the integer 0); a larger one is an error ("too big
 *     integer"), as in jansson; numbers with a fraction or exponent are
 *     reals, correctly rounded; one that overflows a double is an error,
 *     one that underflows is 0 or a subnormal;
 *   - duplicate keys: the last one wins (its value replaces the first in
 *     the first one's place), unless WC_JSON_REJECT_DUPLICATES;
 *   - at most WC_JSON_MAX_DEPTH nested arrays and objects (json_loadb also
 *     counts a scalar inside the innermost one as a level, so it refuses
 *     2048 arrays around a 1; this parser, and wc_json_write, take them).
 *
 * One difference more: json_loadb takes a NUL byte right after a value for
 * the end of the text ("[1\0]" is [1] to it); here a raw NUL is an error
 * wherever it is.
 *
 * The input is len bytes and need not be NUL-terminated; no byte outside
 * it is ever read.
 */
#ifndef WC_JSON_PARSE_H
#define WC_JSON_PARSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define WC_JSON_MAX_DEPTH 2048 /* jansson's own limit */

/* Flags of wc_json_parse. */
#define WC_JSON_REJECT_DUPLICATES 0x1u /* a key twice in one object is an error */

typedef struct wc_json_error {
    char text[160];  /* e.g. "',' or '}' expected near 'x'" */
    size_t position; /* byte offset where the problem starts (0-based) */
    int line;        /* 1-based */
    int column;      /* 1-based, in bytes */
} wc_json_error;

/* Parses the JSON text data[0..len).  Returns a new reference, or NULL with
 * *err filled in (err may be NULL). */
json_t *wc_json_parse(const char *data, size_t len, unsigned flags, wc_json_error *err);

/* Where containers came from in the text, so a caller can hand a part of it
 * on as the client wrote it without searching the bytes again.  The parser
 * records the objects and arrays nested at most max_depth deep (the top
 * level is depth 1) into items[0..cap), in the order they close; more than
 * cap of them sets overflow and the rest are not recorded. */
typedef struct wc_json_span {
    const json_t *value;
    size_t start, end; /* data[start..end) is its text, brackets included */
} wc_json_span;

typedef struct wc_json_spans {
    wc_json_span *items;
    size_t cap, count;
    unsigned max_depth; /* at most 8 */
    int overflow;
} wc_json_spans;

typedef struct wc_json_options {
    unsigned flags;       /* WC_JSON_REJECT_DUPLICATES */
    wc_json_spans *spans; /* NULL: none recorded */
    /* Skimming, for a caller that passes (part of) the text on and reads
     * only some members: when the text is an object, the array and object
     * values of some of its members are checked and not built -- such a
     * member holds an empty array or object, whose span is recorded.  Those
     * skimmed are the members not named in keep, or those named in skim
     * (NULL-terminated lists; at most one of the two is set).  A skimmed
     * value is checked as wc_json_parse would, duplicate keys included --
     * compared by their bytes: where keys have escapes, or too many objects
     * are open, duplicates are not looked for and *unchecked_duplicates is
     * set (then parse without skimming if they matter) -- also when the
     * text is refused: its error may then not be the first a full parse
     * finds. */
    const char *const *keep;
    const char *const *skim;
    /* Check the whole text, build nothing: json_true() when it is valid.
     * The whole text is skimmed. */
    bool check_only;
    bool *unchecked_duplicates; /* may be NULL */
    /* A value followed by more text: when set, the value at the start of
     * the text (after whitespace) is read and whatever follows it is not
     * looked at; *value_end gets the offset just past the value. */
    size_t *value_end;
    /* Containers nested at most this deep (0: WC_JSON_MAX_DEPTH), for a
     * part of a larger text, whose limit counts the levels around it. */
    unsigned max_depth;
} wc_json_options;

json_t *wc_json_parse_with(const char *data, size_t len, const wc_json_options *options,
                           wc_json_error *err);

/* The recorded span of value, or NULL. */
const wc_json_span *wc_json_span_of(const wc_json_spans *spans, const json_t *value);

/* Whether t[0..n) is exactly one number token as the parser reads it: an
 * integer (no fraction or exponent, within int64: *is_integer, *integer)
 * or a real (*real, correctly rounded, finite). */
bool wc_json_number_token(const char *t, size_t n, bool *is_integer, json_int_t *integer,
                          double *real);

/* The scalar token (string, number, true, false or null) at p, checked as
 * wc_json_parse checks it: the position just past it, or NULL when it is
 * invalid or not a scalar. */
const char *wc_json_check_scalar(const char *p, const char *end);

/* The length of the longest prefix of s[0..len) that is valid UTF-8 (by the
 * rules above): len when all of it is. */
size_t wc_json_utf8_valid_prefix(const char *s, size_t len);

#endif
