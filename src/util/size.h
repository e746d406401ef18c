/* size.h -- parse human-written byte sizes ("16MiB", "64K", "1G", "4096"). */
#ifndef WC_UTIL_SIZE_H
#define WC_UTIL_SIZE_H

#include <stdint.h>

#include "util/error.h"

/* Parses decimal digits with an optional binary suffix, case-insensitive:
 * none or B (bytes), K/KB/KiB (1024), M/MB/MiB, G/GB/GiB, T/TB/TiB.  KB, MB,
 * ... mean powers of 1024 too, as in most memory-limit settings.  Returns 0
 * and *out, WC_EINVAL for an empty or malformed size, or WC_ETOOBIG for one
 * past 2^64 - 1 bytes. */
int wc_parse_size(const char *s, uint64_t *out);

#endif
