/* inventory_data.h -- the SKUs the inventory service knows: stock on hand
 * and daily depletion rate, from a JSON file or a built-in sample. */
#ifndef WASMCAP_INVENTORY_DATA_H
#define WASMCAP_INVENTORY_DATA_H

#include <stddef.h>

#define INVENTORY_MAX_SKUS 100000

typedef struct inventory_item {
    char *sku;
    long long on_hand;       /* units */
    double daily_depletion;  /* units per day */
} inventory_item;

typedef struct inventory_data inventory_data;

/* path NULL: the sample.  A file is {"SKU": {"on_hand": n, "daily_depletion": x}, ...}
 * with at most INVENTORY_MAX_SKUS SKUs.  NULL with the reason in why. */
inventory_data *inventory_load(const char *path, char *why, size_t why_size);
void inventory_free(inventory_data *d);
size_t inventory_count(const inventory_data *d);
/* The item of sku, or NULL. */
const inventory_item *inventory_find(const inventory_data *d, const char *sku);

#endif
