/* kv.h -- the key-value store plugins reach through the host ABI.
 *
 * Keys live in namespaces (one per plugin, granted in the config), so two
 * plugins never see each other's data.  The embedded backend is LMDB: one
 * environment in a directory, crash-safe, many readers and one writer at a
 * time across threads.  Thread-safe.
 *
 * Errors are negative: WC_KV_NOTFOUND for a missing key, WC_KV_TOOLARGE for
 * a key or value over the limits, WC_KV_FULL when the map is full,
 * WC_KV_IO otherwise (with a message in err where there is one).
 */
#ifndef WC_STORE_KV_H
#define WC_STORE_KV_H

#include <jansson.h>
#include <stddef.h>

#include "util/buf.h"

#define WC_KV_NOTFOUND (-1)
#define WC_KV_TOOLARGE (-2)
#define WC_KV_FULL (-3)
#define WC_KV_IO (-4)

#define WC_KV_MAX_KEY 400             /* bytes of namespace + key, under LMDB's 511 */
#define WC_KV_MAX_VALUE (1u << 20)     /* 1 MiB */
#define WC_KV_DEFAULT_MAP_SIZE (1ull << 30)

typedef struct wc_kv wc_kv;

/* Opens (creating the directory, mode 0700, if needed) the store in `dir`.
 * map_size 0: WC_KV_DEFAULT_MAP_SIZE. */
int wc_kv_open(const char *dir, size_t map_size, wc_kv **out, char *err, size_t err_size);
void wc_kv_close(wc_kv *kv);

/* The value of key in namespace ns, appended to out. */
int wc_kv_get(wc_kv *kv, const char *ns, const void *key, size_t key_len, wc_buf *out);
int wc_kv_put(wc_kv *kv, const char *ns, const void *key, size_t key_len,
              const void *value, size_t value_len);
/* 0 also when the key was absent. */
int wc_kv_delete(wc_kv *kv, const char *ns, const void *key, size_t key_len);
/* The keys of ns starting with prefix, sorted, at most `limit` (0: 10,000),
 * as a new JSON array of strings (keys that are not UTF-8 are skipped). */
int wc_kv_list(wc_kv *kv, const char *ns, const void *prefix, size_t prefix_len,
               size_t limit, json_t **keys);

#endif
