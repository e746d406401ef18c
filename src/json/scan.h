/* scan.h -- finding things in JSON text without parsing it.
 *
 * These read bytes, not values: they assume nothing was checked and check
 * only what they say, so a caller still parses (or has parsed) the text it
 * trusts.  All stay within [p, end) and need no NUL.
 */
#ifndef WC_JSON_SCAN_H
#define WC_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/error.h"

/* Past spaces, tabs, CRs and LFs.  Inline: most calls find no space at
 * all, and a call across files would cost more than the test. */
static inline const char *wc_json_scan_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Of the 8 bytes at p, the offset of the first that a string cannot hold
 * as it is -- a quote, a backslash, a control character or a non-ASCII
 * byte -- or 8 when there is none.  (The borrows of the subtractions only
 * mark bytes after a marked one, so the lowest mark is exact.)  Inline:
 * the string scanners of parse.c and scan.c run it on every string. */
static inline unsigned wc_json_first_special8(const char *p)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t w;
    memcpy(&w, p, 8);
    uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\');
    uint64_t marks = (w | ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) |
                      ((bslash - ones) & ~bslash)) & highs;
    return marks ? (unsigned)__builtin_ctzll(marks) >> 3 : 8;
}

/* Past the value at p (strings with their escapes, nested arrays and
 * objects by their brackets; anything else up to a delimiter); NULL when
 * the text ends first. */
const char *wc_json_scan_value(const char *p, const char *end);

/* One member of an object, as bytes. */
typedef struct wc_json_member_scan {
    const char *key; /* without the quotes */
    size_t key_len;
    bool escaped;    /* the key has escapes: its bytes are not its text */
    const char *value;
    size_t value_len;
} wc_json_member_scan;

/* Whether the member's key is name (a key written with escapes never is).
 * Inline: with a literal name, the length and the comparison fold. */
static inline bool wc_json_key_is(const wc_json_member_scan *m, const char *name)
{
    return !m->escaped && m->key_len == strlen(name) && memcmp(m->key, name, m->key_len) == 0;
}

/* Visits the members of the object at p (a '{') until visit returns false.
 * Returns 1 when the object ended (*after: past its '}'), 0 when visit
 * stopped, WC_EINVAL on text that is not an object. */
int wc_json_scan_members(const char *p, const char *end,
                         bool (*visit)(void *ctx, const wc_json_member_scan *m), void *ctx,
                         const char **after);

/* A string token at p written without escapes or control characters, in
 * valid UTF-8: *text and *n get its contents, and the position after its
 * closing quote is returned; NULL for anything else. */
const char *wc_json_plain_string(const char *p, const char *end, const char **text, size_t *n);

/* The members of a flat object -- every value a scalar, every key written
 * without escapes, no key twice, at most WC_JSON_FLAT_MAX members -- as
 * byte ranges into data; WC_EINVAL when the text is not such an object.  Only the
 * shape is read: the values' own text is not checked. */
#define WC_JSON_FLAT_MAX 32
typedef struct wc_json_member {
    const char *key, *value; /* the key without its quotes; the value's token */
    size_t key_len, value_len;
} wc_json_member;

int wc_json_flat_members(const char *data, size_t len, wc_json_member *out);

/* The same for the flat object at p (at its '{') in a larger text, with
 * every value token also checked as wc_json_parse checks it, so that the
 * object's text is known to be valid JSON without duplicate keys: the
 * position just past its '}' with *count members in out, or NULL. */
const char *wc_json_flat_object_checked(const char *p, const char *end, wc_json_member *out,
                                        int *count);

#endif
