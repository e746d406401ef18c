/* kv.h -- the key-value store plugins reach through the host ABI, as a
 * port: the operations below, on a store that implements them.
 *
 * Keys live in namespaces (one per plugin, granted in the config), so two
 * plugins never see each other's data.  Two stores implement the port: the
 * embedded LMDB store of this layer (wc_kv_open: one environment in a
 * directory, crash-safe, many readers and one writer at a time across
 * threads), and a JetStream KV bucket that the front end opens on the bus
 * (cli/bus_kv.h: the store layer knows nothing of the bus).  Both keep the
 * same semantics: keys are any bytes, lists go in byte order, the same
 * limits and quotas, the same error codes.  Thread-safe.
 *
 * Errors are WC_E* codes (util/error.h): WC_ENOTFOUND for a missing key,
 * WC_ETOOBIG for a key or value over the limits, WC_ENOSPC when the store
 * is full, WC_EQUOTA when a namespace's quota would be exceeded, WC_EINVAL
 * for an empty namespace or a missing buffer, WC_ENOMEM, WC_ENOTCONN when
 * a store on the bus cannot reach its server ("bus unavailable"),
 * WC_EAGAIN when a store on the bus lost every compare-and-set of a write
 * to writers of the same keys, and WC_EIO for any other failure of the
 * store (wc_kv_open says which in a wc_error).
 */
#ifndef WC_STORE_KV_H
#define WC_STORE_KV_H

#include <jansson.h>
#include <stddef.h>

#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/error.h"

#define WC_KV_MAX_KEY 400             /* bytes of namespace + key, under LMDB's 511 */
#define WC_KV_MAX_VALUE (1u << 20)     /* 1 MiB */
#define WC_KV_DEFAULT_MAP_SIZE (1ull << 30)
#define WC_KV_MIN_MAP_SIZE (1ull << 20)
#define WC_KV_MAX_MAP_SIZE (1ull << 40)
#define WC_KV_LIST_LIMIT 10000         /* keys a list examines per call */
#define WC_KV_LIST_LIMIT_TEXT "10,000"

typedef struct wc_kv wc_kv;

/* Opens (creating the directory, mode 0700, if needed) the LMDB store in
 * `dir`.  map_size 0: WC_KV_DEFAULT_MAP_SIZE. */
int wc_kv_open(const char *dir, size_t map_size, wc_kv **out, wc_error *err);
/* Closes any store (NULL: nothing). */
void wc_kv_close(wc_kv *kv);
/* "lmdb" or "nats". */
const char *wc_kv_kind(const wc_kv *kv);

/* The value of key in namespace ns, appended to out. */
int wc_kv_get(wc_kv *kv, const char *ns, const void *key, size_t key_len, wc_buf *out);
int wc_kv_put(wc_kv *kv, const char *ns, const void *key, size_t key_len,
              const void *value, size_t value_len);
/* As wc_kv_put, refusing with WC_EQUOTA a put that would take the bytes
 * of keys + values in ns over quota (0: no quota); *usage (may be NULL)
 * gets what ns would hold with the put.  A put that does not grow ns always
 * goes through, so a namespace over a lowered quota can still shrink. */
int wc_kv_put_within(wc_kv *kv, const char *ns, uint64_t quota, const void *key, size_t key_len,
                     const void *value, size_t value_len, uint64_t *usage);
/* The bytes of keys + values stored in ns (what kv_quota counts). */
int wc_kv_usage(wc_kv *kv, const char *ns, uint64_t *usage);
/* 0 also when the key was absent. */
int wc_kv_delete(wc_kv *kv, const char *ns, const void *key, size_t key_len);
/* One page of the keys of ns starting with prefix, in order. */
typedef struct wc_kv_page {
    json_t *keys;     /* array of the keys that are UTF-8 */
    size_t skipped;   /* keys examined and left out: not UTF-8 (no JSON string holds them) */
    bool more;        /* the page stopped at its limit: keys after `last` may remain */
    uint8_t last[WC_KV_MAX_KEY]; /* the last key examined, to continue after */
    size_t last_len;
} wc_kv_page;

/* Examines at most `limit` keys (0: WC_KV_LIST_LIMIT) of ns starting with
 * prefix, after the key `after` when after_len > 0 (the previous page's
 * last), and fills page; free page->keys with json_decref. */
int wc_kv_list_page(wc_kv *kv, const char *ns, const void *prefix, size_t prefix_len,
                    const void *after, size_t after_len, size_t limit, wc_kv_page *page);
/* The first page as a JSON array (callers that cannot say "truncated"). */
int wc_kv_list(wc_kv *kv, const char *ns, const void *prefix, size_t prefix_len,
               size_t limit, json_t **keys);

/* --- for the stores that implement the port --- */

/* The wc_kv_* functions (kv.c) check every argument once, for every store:
 * ns is non-empty and NUL-free as a C string, ns + 1 + key (or prefix)
 * within WC_KV_MAX_KEY, a value within WC_KV_MAX_VALUE, no missing buffer.
 * list_page gets limit > 0, a zeroed page, and `after` only when it lies
 * inside the prefix's range (before it: after_len 0; past it the answer is
 * an empty page without asking the store). */
typedef struct wc_kv_ops {
    const char *kind;
    void (*close)(wc_kv *kv);
    int (*get)(wc_kv *kv, const char *ns, const void *key, size_t key_len, wc_buf *out);
    int (*put_within)(wc_kv *kv, const char *ns, uint64_t quota, const void *key, size_t key_len,
                      const void *value, size_t value_len, uint64_t *usage);
    int (*usage)(wc_kv *kv, const char *ns, uint64_t *usage);
    int (*delete_key)(wc_kv *kv, const char *ns, const void *key, size_t key_len);
    int (*list_page)(wc_kv *kv, const char *ns, const void *prefix, size_t prefix_len,
                     const void *after, size_t after_len, size_t limit, wc_kv_page *page);
} wc_kv_ops;

/* The first member of every store. */
struct wc_kv {
    const wc_kv_ops *ops;
};

#endif
