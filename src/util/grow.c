/* grow.c -- doubling growth of malloc'd arrays (grow.h). */
#include "util/grow.h"

#include <stdint.h>
#include <stdlib.h>

bool wc_grow_to(void **items, size_t *cap, size_t need, size_t item_size)
{
    if (need <= *cap)
        return true;
    /* Below this bound the doubling cannot overflow. */
    if (item_size == 0 || need > SIZE_MAX / 2 / item_size)
        return false;
    size_t fresh = *cap ? *cap : WC_GROW_FIRST;
    while (fresh < need)
        fresh *= 2;
    if (fresh > SIZE_MAX / 2 / item_size) /* a first capacity of huge items */
        return false;
    void *grown = realloc(*items, fresh * item_size);
    if (!grown)
        return false;
    *items = grown;
    *cap = fresh;
    return true;
}
