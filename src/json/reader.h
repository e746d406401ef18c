/* reader.h -- typed reading of a JSON document with errors at their paths.
 *
 * Config files, manifests and config sections are read with it: a
 * wc_reader holds what is shared (the document's name, the base directory
 * of relative paths, an optional string expansion) and the first error; a
 * wc_rnode is one value of the document with its place in it.  Every error
 * names that place, "plugins.notes.permissions.kv_namespace: expected a
 * string", after the document's name when there is one.
 *
 * The first error wins: once the reader has failed, every getter does
 * nothing and returns false, so a caller may read a whole section and
 * check once at the end.  A getter returns true when it stored a value;
 * false when the value is absent (nothing stored, no error) or refused
 * (the reader has failed).  A caller validating a value further does so
 * only when the getter returned true.
 *
 * Objects are strict when the caller wants them to be: every member asked
 * for (wc_rnode_member) is known, and wc_rnode_done refuses the others
 * ("unknown key (expected one of: ...)").  A node keeps its parent's
 * address for its path: keep the parent where it is while its members are
 * read.  Not thread-safe; the document must outlive the nodes, and the
 * borrowed strings (wc_rnode_text, wc_rnode_texts) point into it.
 */
#ifndef WC_JSON_READER_H
#define WC_JSON_READER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Rewrites a string value before it is used (environment variables, for
 * instance): 0 and a malloc'ed *out, or a WC_E* code with the reason in err. */
typedef int (*wc_reader_expand_fn)(void *ctx, const char *in, size_t len, char **out, wc_error *err);

typedef struct wc_reader {
    const char *source;   /* starts every message ("wasmcap.json: ..."); may be NULL */
    const char *base_dir; /* relative paths of wc_rnode_path; NULL or "": kept as written */
    wc_reader_expand_fn expand; /* NULL: strings as written */
    void *expand_ctx;
    bool failed;
    char error[1024];
} wc_reader;

/* Members one strict object may name. */
#define WC_RNODE_MAX_KEYS 48

typedef struct wc_rnode {
    wc_reader *reader;
    const json_t *json; /* NULL: absent */
    const struct wc_rnode *parent;
    const char *key;    /* member name; NULL for an array item or an unnamed root */
    size_t index;       /* for an array item */
    bool item;
    bool any_key;       /* the members were iterated: every key is known */
    size_t nknown;
    const char *known[WC_RNODE_MAX_KEYS];
} wc_rnode;

/* Flags of the string getters. */
#define WC_READ_NONEMPTY 0x1u /* "" is refused */

void wc_reader_init(wc_reader *reader, const char *source);
/* Fails the reader with a message without a path (unless it failed
 * already).  Returns false. */
bool wc_reader_fail(wc_reader *reader, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 0, or WC_EINVAL with the reader's error copied into err (may be NULL). */
int wc_reader_result(const wc_reader *reader, wc_error *err);

/* Parses text as jansson does with duplicate keys refused; NULL (and the
 * reader failed: "invalid JSON at line L, column C: ...") when invalid. */
json_t *wc_reader_load(wc_reader *reader, const char *text, size_t len);

/* The document's top value; name is its path ("auth" for a section read
 * alone) or NULL. */
wc_rnode wc_reader_root(wc_reader *reader, const json_t *json, const char *name);

/* The member key of obj (absent when obj is absent or not an object);
 * key is now known to obj and must outlive it. */
wc_rnode wc_rnode_member(wc_rnode *obj, const char *key);
/* Item i of the array arr. */
wc_rnode wc_rnode_item(const wc_rnode *arr, size_t i);
/* Walks the members of obj in document order (iter starts NULL); every
 * key becomes known.  False at the end. */
bool wc_rnode_next(wc_rnode *obj, void **iter, wc_rnode *member);
/* Refuses the members of obj that were not asked for; true when none. */
bool wc_rnode_done(wc_rnode *obj);

/* Fails the reader at node's path (unless it failed already).  Returns false. */
bool wc_rnode_fail(const wc_rnode *node, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Fails with "required" when node is absent.  True when present. */
bool wc_rnode_require(const wc_rnode *node);
/* The path of node: "plugins.notes.env.KEY", "tools[2].name"; "" for a root without a name. */
void wc_rnode_path_text(const wc_rnode *node, char *out, size_t out_size);

static inline bool wc_rnode_present(const wc_rnode *node) { return node->json && !node->reader->failed; }

/* Type checks of a present value: "expected <what>" (what NULL: "an
 * object", "an array"). */
bool wc_rnode_object(const wc_rnode *node, const char *what);
bool wc_rnode_array(const wc_rnode *node, const char *what);
/* Items of a checked array. */
size_t wc_rnode_count(const wc_rnode *arr);

/* A string, expanded when the reader expands; *out malloc'ed. */
bool wc_rnode_string(const wc_rnode *node, unsigned flags, char **out);
/* A string as written, borrowed from the document. */
bool wc_rnode_text(const wc_rnode *node, unsigned flags, const char **out);
/* A file path (string); a relative one is joined to the reader's base_dir.
 * "" is kept as it is. *out malloc'ed. */
bool wc_rnode_path(const wc_rnode *node, unsigned flags, char **out);
/* An array of strings, expanded: *list (count items, malloc'ed strings)
 * replaces nothing and is freed by the caller; on failure nothing is kept. */
bool wc_rnode_strings(const wc_rnode *node, unsigned flags, char ***list, size_t *count);
/* An array of strings as written: *list is a malloc'ed, NULL-terminated
 * array of borrowed strings. */
bool wc_rnode_texts(const wc_rnode *node, unsigned flags, const char ***list, size_t *count);

bool wc_rnode_bool(const wc_rnode *node, bool *out);
/* An integer in [min, max]. */
bool wc_rnode_int(const wc_rnode *node, long long min, long long max, long long *out);
/* A duration: an integer number of milliseconds in [min, max]. */
bool wc_rnode_ms(const wc_rnode *node, uint32_t min, uint32_t max, uint32_t *out);
/* A byte size in [min, max]: a positive integer or a string with a binary
 * suffix ("64KiB", "16M": util/size.h). */
bool wc_rnode_size(const wc_rnode *node, uint64_t min, uint64_t max, uint64_t *out);

/* A deep copy of node with every string expanded. */
bool wc_rnode_copy(const wc_rnode *node, json_t **out);

#endif
