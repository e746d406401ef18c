/* counts.c -- a chained hash table of string keys and counts. */
#include "util/counts.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct count_entry {
    struct count_entry *next;
    long count;
    char key[];
} count_entry;

struct wc_counts {
    count_entry **buckets;
    size_t nbuckets, size;
};

static uint64_t hash_key(const char *key)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h;
}

wc_counts *wc_counts_new(void)
{
    wc_counts *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->nbuckets = 64;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    if (!c->buckets) {
        free(c);
        return NULL;
    }
    return c;
}

void wc_counts_free(wc_counts *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nbuckets; i++) {
        for (count_entry *e = c->buckets[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    }
    free(c->buckets);
    free(c);
}

static void grow(wc_counts *c)
{
    size_t n = c->nbuckets * 2;
    count_entry **b = calloc(n, sizeof *b);
    if (!b)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < c->nbuckets; i++) {
        for (count_entry *e = c->buckets[i], *next; e; e = next) {
            next = e->next;
            size_t j = hash_key(e->key) & (n - 1);
            e->next = b[j];
            b[j] = e;
        }
    }
    free(c->buckets);
    c->buckets = b;
    c->nbuckets = n;
}

long wc_counts_add(wc_counts *c, const char *key, long delta)
{
    size_t len = strlen(key);
    if (len > WC_COUNTS_KEY_MAX)
        return WC_ETOOBIG;
    count_entry **pp = &c->buckets[hash_key(key) & (c->nbuckets - 1)];
    for (; *pp; pp = &(*pp)->next) {
        count_entry *e = *pp;
        if (strcmp(e->key, key) != 0)
            continue;
        e->count += delta;
        if (e->count > 0)
            return e->count;
        *pp = e->next;
        free(e);
        c->size--;
        return 0;
    }
    if (delta <= 0)
        return 0;
    count_entry *e = malloc(sizeof *e + len + 1);
    if (!e)
        return WC_ENOMEM;
    memcpy(e->key, key, len + 1);
    e->count = delta;
    e->next = NULL;
    *pp = e;
    if (++c->size > c->nbuckets)
        grow(c);
    return delta;
}

long wc_counts_get(const wc_counts *c, const char *key)
{
    for (const count_entry *e = c->buckets[hash_key(key) & (c->nbuckets - 1)]; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e->count;
    return 0;
}

size_t wc_counts_size(const wc_counts *c)
{
    return c->size;
}
