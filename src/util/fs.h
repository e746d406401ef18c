/* fs.h -- small file helpers: whole-file read/write, atomic replace, temp dirs.
 *
 * Errors are WC_E* codes (util/error.h): the system's -errno, and two of
 * wasmcap's own for the limits the readers enforce. */
#ifndef WC_UTIL_FS_H
#define WC_UTIL_FS_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Reads a whole file (or a pipe, until end of file) into a malloc'ed buffer
 * (NUL-terminated, not counted).  Returns 0, or a WC_E* code (WC_ETOOBIG
 * past max_size).  max_size 0 means no limit. */
int wc_read_file(const char *path, size_t max_size, uint8_t **data, size_t *size);
/* As wc_read_file, for files whose size is limited (modules, cache entries):
 * a FIFO, device or anything else that is not a regular file is refused with
 * WC_ENOTREG before a byte is read, a file over max_size with WC_ETOOBIG on
 * its size alone, and at most max_size + 1 bytes are ever read. */
int wc_read_regular_file(const char *path, size_t max_size, uint8_t **data, size_t *size);
/* Writes data to path. Returns 0 or -errno. */
int wc_write_file(const char *path, const void *data, size_t size);
/* Writes to a temporary name in the same directory, fsyncs, renames over
 * path: readers see the old file or the whole new one, never a part. */
int wc_write_file_atomic(const char *path, const void *data, size_t size);
/* mkdir -p with mode 0700 for new directories. Returns 0 or -errno. */
int wc_mkdirs(const char *path);
/* Creates a private directory under $TMPDIR (or /tmp); path gets its name.
 * Returns 0 or -errno. */
int wc_make_temp_dir(char *path, size_t path_size, const char *prefix);
/* Removes a directory and the plain files directly inside it. */
void wc_remove_dir(const char *path);

#endif
