/* inventory_data.c -- SKUs read once at start, sorted, found by binary
 * search: the service's handlers only read them. */
#include "inventory_data.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct inventory_data {
    inventory_item *items;
    size_t count;
};

static const char sample[] =
    "{\"A1\": {\"on_hand\": 120, \"daily_depletion\": 8.5},"
    " \"B7\": {\"on_hand\": 15, \"daily_depletion\": 6},"
    " \"C3\": {\"on_hand\": 900, \"daily_depletion\": 12},"
    " \"D9\": {\"on_hand\": 0, \"daily_depletion\": 3.25}}";

static int by_sku(const void *a, const void *b)
{
    return strcmp(((const inventory_item *)a)->sku, ((const inventory_item *)b)->sku);
}

void inventory_free(inventory_data *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->count; i++)
        free(d->items[i].sku);
    free(d->items);
    free(d);
}

inventory_data *inventory_load(const char *path, char *why, size_t why_size)
{
    json_error_t jerr;
    json_t *doc = path ? json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)
                       : json_loads(sample, 0, &jerr);
    if (!json_is_object(doc)) {
        snprintf(why, why_size, "%s: %s", path ? path : "sample",
                 doc ? "expected an object of SKUs" : jerr.text);
        json_decref(doc);
        return NULL;
    }
    if (json_object_size(doc) > INVENTORY_MAX_SKUS) {
        snprintf(why, why_size, "%s: more than %d SKUs", path, INVENTORY_MAX_SKUS);
        json_decref(doc);
        return NULL;
    }
    inventory_data *d = calloc(1, sizeof *d);
    if (d)
        d->items = calloc(json_object_size(doc) + 1, sizeof *d->items);
    if (!d || !d->items) {
        snprintf(why, why_size, "out of memory");
        free(d);
        json_decref(doc);
        return NULL;
    }
    const char *sku;
    json_t *v;
    json_object_foreach(doc, sku, v) {
        json_t *on_hand = json_object_get(v, "on_hand"), *rate = json_object_get(v, "daily_depletion");
        if (!json_is_integer(on_hand) || json_integer_value(on_hand) < 0 || !json_is_number(rate) ||
            json_number_value(rate) < 0 || !*sku) {
            snprintf(why, why_size, "%s: SKU '%.64s' needs on_hand (an integer >= 0) and "
                     "daily_depletion (a number >= 0)", path ? path : "sample", sku);
            inventory_free(d);
            json_decref(doc);
            return NULL;
        }
        inventory_item *it = &d->items[d->count++];
        it->sku = strdup(sku);
        it->on_hand = json_integer_value(on_hand);
        it->daily_depletion = json_number_value(rate);
        if (!it->sku) {
            snprintf(why, why_size, "out of memory");
            inventory_free(d);
            json_decref(doc);
            return NULL;
        }
    }
    json_decref(doc);
    qsort(d->items, d->count, sizeof *d->items, by_sku);
    return d;
}

size_t inventory_count(const inventory_data *d) { return d->count; }

const inventory_item *inventory_find(const inventory_data *d, const char *sku)
{
    inventory_item key = {.sku = (char *)sku};
    return d->count ? bsearch(&key, d->items, d->count, sizeof *d->items, by_sku) : NULL;
}
