/* dl_table.c -- dl_table.h. */
#include "util/dl_table.h"

#include <dlfcn.h>
#include <string.h>

const char *wc_dl_fill(void *handle, const wc_dl_symbol *symbols, size_t n, void *table,
                       size_t table_size)
{
    char found[table_size];
    memset(found, 0, table_size);
    for (size_t i = 0; i < n; i++) {
        void *f = dlsym(handle, symbols[i].name);
        if (!f || symbols[i].offset + sizeof f > table_size)
            return symbols[i].name;
        memcpy(found + symbols[i].offset, &f, sizeof f); /* POSIX: a function's address */
    }
    memcpy(table, found, table_size);
    return NULL;
}
