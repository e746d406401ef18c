/* cache.h -- the optimized tier's disk cache, authenticated (engine-internal).
 *
 * An entry is <dir>/<key>.so and <dir>/<key>.hmac: HMAC-SHA256, under a
 * per-user secret kept outside the cache, over the entry's name and the .so
 * bytes.  A digest only caught torn writes; anyone who could write the
 * directory could replace both files and have us dlopen their code.  Now:
 *   - the directory must be owned by us and not writable by group or others,
 *     and so must each file of an entry (opened with O_NOFOLLOW, checked with
 *     fstat on the descriptor read), or the cache is not used: the module is
 *     compiled as if there were no cache, and one warning says why;
 *   - the MAC is checked over the bytes read, and exactly those bytes are
 *     loaded (from a memfd), before any code of the entry can run;
 *   - the key file (default $XDG_CONFIG_HOME/wasmcap/cache.key) is created
 *     0600 with 32 random bytes on first use and must stay a regular file of
 *     ours, 0600 or stricter; it does not live in the cache, so a cache
 *     directory shared read-only between users (or one that leaked) gives
 *     no one a way to forge entries.
 */
#ifndef WC_ENGINE_CACHE_H
#define WC_ENGINE_CACHE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/code.h"

#define WC_CACHE_KEY_BYTES 32
#define WC_CACHE_MAX_ENTRY_BYTES (512u << 20) /* larger .so files are not read */

typedef struct wc_cache {
    char *dir;       /* NULL: no disk cache */
    char *key_path;
    pthread_mutex_t lock;
    bool ready;      /* the key is loaded and the directory was checked */
    bool disabled;   /* found unsafe: not used for the rest of the process */
    uint8_t key[WC_CACHE_KEY_BYTES];
} wc_cache;

/* dir NULL: no cache.  key_path NULL: the default; "" disables the cache.
 * Returns 0 or WC_ENOMEM. */
int wc_cache_init(wc_cache *cache, const char *dir, const char *key_path);
void wc_cache_destroy(wc_cache *cache);

/* Returns 0 and *out on an authenticated hit; WC_ENOTFOUND when there is no
 * usable entry, or the error that kept an authenticated one from loading. */
int wc_cache_load(wc_cache *cache, const char *key, wc_code **out);
/* Stores an entry (best effort: a failure only costs a rebuild later). */
void wc_cache_store(wc_cache *cache, const char *key, const uint8_t *so, size_t so_size);

#endif
