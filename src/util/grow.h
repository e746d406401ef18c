/* grow.h -- make a malloc'd array big enough, by doubling.
 *
 * Every growing list in wasmcap (a parser's stack, a registry's table, a
 * connection's input) grows the same way: doubling keeps appends amortized
 * O(1), and the size arithmetic is where an overflow would hide, so it is
 * written once, here.  Lists whose growth is bounded by a limit of their
 * own (a capped capture, a file read up to a maximum) or that rehash keep
 * their own code.
 */
#ifndef WC_UTIL_GROW_H
#define WC_UTIL_GROW_H

#include <stdbool.h>
#include <stddef.h>

/* The first capacity of an empty array: a caller wanting more asks for it
 * as `need` (then powers of two stay powers of two). */
#define WC_GROW_FIRST 16

bool wc_grow_to(void **items, size_t *cap, size_t need, size_t item_size);

/* Makes *items (a malloc'd array of *cap items of item_size bytes, or NULL
 * and 0) hold at least need items: *cap doubles (from WC_GROW_FIRST when 0)
 * until it does, and *items is reallocated.  The new items are not
 * initialized.  False, with *items and *cap untouched, when out of memory
 * or when the grown array would take more than half of the address space. */
static inline bool wc_grow(void **items, size_t *cap, size_t need, size_t item_size)
{
    return need <= *cap || wc_grow_to(items, cap, need, item_size);
}

#endif
