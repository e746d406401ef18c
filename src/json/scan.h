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

/* Past spaces, tabs, CRs and LFs. */
const char *wc_json_scan_ws(const char *p, const char *end);

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

/* Whether the member's key is name (a key written with escapes never is). */
bool wc_json_key_is(const wc_json_member_scan *m, const char *name);

/* Visits the members of the object at p (a '{') until visit returns false.
 * Returns 1 when the object ended (*after: past its '}'), 0 when visit
 * stopped, -1 on text that is not an object. */
int wc_json_scan_members(const char *p, const char *end,
                         bool (*visit)(void *ctx, const wc_json_member_scan *m), void *ctx,
                         const char **after);

/* A string token at p written without escapes or control characters, in
 * valid UTF-8: *text and *n get its contents, and the position after its
 * closing quote is returned; NULL for anything else. */
const char *wc_json_plain_string(const char *p, const char *end, const char **text, size_t *n);

/* The members of a flat object -- every value a scalar, every key written
 * without escapes, no key twice, at most WC_JSON_FLAT_MAX members -- as
 * byte ranges into data; -1 when the text is not such an object.  Only the
 * shape is read: the values' own text is not checked. */
#define WC_JSON_FLAT_MAX 32
typedef struct wc_json_member {
    const char *key, *value; /* the key without its quotes; the value's token */
    size_t key_len, value_len;
} wc_json_member;

int wc_json_flat_members(const char *data, size_t len, wc_json_member *out);

#endif
