/* extism_vars.c -- a plugin's Extism vars (extism.h): what var_set keeps
 * for later calls.  Few and small by Extism's design (1 MiB by default),
 * so one array searched in order under one lock serves: a call touches it
 * only through var_get and var_set. */
#include "host/extism.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

typedef struct var {
    uint8_t *key, *value;
    size_t key_len, value_len;
} var;

struct wc_extism_vars {
    pthread_mutex_t lock;
    var *vars;
    size_t count, cap;
    size_t bytes, max_bytes; /* keys + values */
};

wc_extism_vars *wc_extism_vars_new(size_t max_bytes)
{
    wc_extism_vars *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    pthread_mutex_init(&v->lock, NULL);
    v->max_bytes = max_bytes ? max_bytes : WC_EXTISM_DEFAULT_MAX_VAR_BYTES;
    return v;
}

void wc_extism_vars_free(wc_extism_vars *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->count; i++) {
        free(v->vars[i].key);
        free(v->vars[i].value);
    }
    free(v->vars);
    pthread_mutex_destroy(&v->lock);
    free(v);
}

static var *find(wc_extism_vars *v, const void *key, size_t key_len)
{
    for (size_t i = 0; i < v->count; i++)
        if (v->vars[i].key_len == key_len && memcmp(v->vars[i].key, key, key_len) == 0)
            return &v->vars[i];
    return NULL;
}

uint8_t *wc_extism_vars_get(wc_extism_vars *v, const void *key, size_t key_len, size_t *len)
{
    *len = 0;
    pthread_mutex_lock(&v->lock);
    var *e = find(v, key, key_len);
    uint8_t *copy = NULL;
    if (e) {
        copy = malloc(e->value_len ? e->value_len : 1);
        if (copy) {
            memcpy(copy, e->value, e->value_len);
            *len = e->value_len;
        } else {
            *len = 1;
        }
    }
    pthread_mutex_unlock(&v->lock);
    return copy;
}

static void drop(wc_extism_vars *v, var *e)
{
    v->bytes -= e->key_len + e->value_len;
    free(e->key);
    free(e->value);
    *e = v->vars[--v->count];
}

int wc_extism_vars_set(wc_extism_vars *v, const void *key, size_t key_len, const void *value,
                       size_t value_len, wc_error *err)
{
    pthread_mutex_lock(&v->lock);
    var *e = find(v, key, key_len);
    int rc = 0;
    if (!value) {
        if (e)
            drop(v, e);
        goto done;
    }
    size_t old = e ? e->key_len + e->value_len : 0;
    size_t want = v->bytes - old + key_len + value_len;
    if (want < key_len || want > v->max_bytes) {
        /* Extism's JavaScript host words it so (call-context.ts) */
        rc = wc_error_set(err, WC_ETOOBIG,
                          "var memory limit exceeded: %zu bytes requested, %zu allowed", want,
                          v->max_bytes);
        goto done;
    }
    if (!e && v->count >= WC_EXTISM_MAX_VARS) {
        rc = wc_error_set(err, WC_ETOOBIG, "Variable store is full (%u variables)",
                          WC_EXTISM_MAX_VARS);
        goto done;
    }
    uint8_t *copy = malloc(value_len ? value_len : 1);
    if (!copy) {
        rc = wc_error_set(err, WC_ENOMEM, "out of memory");
        goto done;
    }
    memcpy(copy, value, value_len);
    if (e) {
        free(e->value);
        v->bytes = v->bytes - e->value_len + value_len;
        e->value = copy;
        e->value_len = value_len;
        goto done;
    }
    if (v->count == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        var *grown = realloc(v->vars, cap * sizeof *grown);
        if (!grown) {
            free(copy);
            rc = wc_error_set(err, WC_ENOMEM, "out of memory");
            goto done;
        }
        v->vars = grown;
        v->cap = cap;
    }
    uint8_t *kcopy = malloc(key_len ? key_len : 1);
    if (!kcopy) {
        free(copy);
        rc = wc_error_set(err, WC_ENOMEM, "out of memory");
        goto done;
    }
    memcpy(kcopy, key, key_len);
    v->vars[v->count++] = (var){.key = kcopy, .key_len = key_len, .value = copy,
                                .value_len = value_len};
    v->bytes += key_len + value_len;
done:
    pthread_mutex_unlock(&v->lock);
    return rc;
}
