/* dl_table.h -- a table of function pointers filled from a dlopen'd
 * library, for the libraries loaded on first use (libcurl,
 * libwasmcap-armnn.so): one lookup loop, one message for a missing name. */
#ifndef WC_UTIL_DL_TABLE_H
#define WC_UTIL_DL_TABLE_H

#include <stddef.h>

typedef struct wc_dl_symbol {
    const char *name;
    size_t offset; /* of its function pointer in the table */
} wc_dl_symbol;

/* Looks every symbol up in handle and stores it at table + offset; the
 * table is written only when all are found.  Returns NULL, or the name of
 * the first one missing. */
const char *wc_dl_fill(void *handle, const wc_dl_symbol *symbols, size_t n, void *table,
                       size_t table_size);

#endif
