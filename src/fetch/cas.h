/* cas.h -- the content-addressed store of fetched sources.
 *
 * Every remote module, manifest and signature payload is kept under
 * CACHE_DIR/sources/sha256/<hex>, named by the SHA-256 of its bytes.  A
 * name is a claim, not a proof: every load hashes the file again and
 * refuses it when the bytes no longer match, and refuses a file or folder
 * that is not the user's own or that group or others may write (anyone who
 * can write there could swap a module in).
 */
#ifndef WC_FETCH_CAS_H
#define WC_FETCH_CAS_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct wc_cas {
    char dir[4096]; /* CACHE_DIR/sources/sha256 */
} wc_cas;

/* Creates (0700) and checks the store's folders. */
int wc_cas_open(wc_cas *cas, const char *cache_dir, wc_error *err);
/* The file that holds hex (which may be absent). */
void wc_cas_path(const wc_cas *cas, const char *hex, char *out, size_t out_size);
/* Reads the entry hex (at most max bytes) and checks its digest:
 * WC_ENOTFOUND when absent (err untouched), WC_EACCES for an unsafe file,
 * WC_EDIGEST when its bytes are not its name's. */
int wc_cas_load(const wc_cas *cas, const char *hex, size_t max, uint8_t **data, size_t *len,
                wc_error *err);
/* Stores data as the entry hex, after checking that hex is its digest. */
int wc_cas_store(const wc_cas *cas, const char *hex, const void *data, size_t len, wc_error *err);

#endif
