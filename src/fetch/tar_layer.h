/* tar_layer.h -- plugin.wasm out of an image layer (tar, maybe gzipped).
 *
 * A container image built FROM scratch with COPY plugin.wasm / has one
 * layer holding that file.  The reader takes the layer in memory and only
 * ever copies the named file's bytes out: no entry is written to disk, so
 * no name can reach outside anything.  It is bounded everywhere: the
 * decompressed size (max_tar), the file's size (max_file), the number of
 * entries, and every header's numbers checked against what remains.
 */
#ifndef WC_FETCH_TAR_LAYER_H
#define WC_FETCH_TAR_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define WC_TAR_MAX_ENTRIES 100000

/* Decompresses data when gzip (zlib), at most max_tar bytes. */
int wc_gunzip(const uint8_t *data, size_t len, size_t max_tar, uint8_t **out, size_t *out_len,
              wc_error *err);
/* The regular file "plugin.wasm" (also "./plugin.wasm" or "/plugin.wasm")
 * of the tar in data: *file malloc'ed.  WC_ENOTFOUND when absent. */
int wc_tar_find_plugin(const uint8_t *data, size_t len, size_t max_file, uint8_t **file,
                       size_t *file_len, wc_error *err);

#endif
