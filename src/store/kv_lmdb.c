/* kv_lmdb.c -- the key-value store on LMDB.
 *
 * One environment in the store's directory, one database in it.  Every
 * stored key is namespace + '\0' + key: namespaces are non-empty and hold no
 * NUL, so no namespace's keys can collide with or sort into another's, and
 * a namespace's keys with a prefix form one contiguous, sorted range that a
 * cursor reads from MDB_SET_RANGE.
 *
 * MDB_NOTLS: worker threads come and go and a read transaction is not tied
 * to the thread that began it.  Each operation is one short transaction
 * (LMDB serializes writers; readers never block).  Limits are checked
 * before LMDB sees anything, and a full map aborts the write and leaves the
 * store usable: deletes then free room again.
 */
#include "store/kv.h"

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/utf8.h"

struct wc_kv {
    MDB_env *env;
    MDB_dbi dbi;
};

#define DEFAULT_LIST_LIMIT 10000

int wc_kv_open(const char *dir, size_t map_size, wc_kv **out, char *err, size_t err_size)
{
    *out = NULL;
    if (!dir || !*dir) {
        snprintf(err, err_size, "kv: no directory given");
        return WC_KV_IO;
    }
    int rc = wc_mkdirs(dir);
    if (rc != 0) {
        snprintf(err, err_size, "kv: cannot create %s: %s", dir, strerror(-rc));
        return WC_KV_IO;
    }
    wc_kv *kv = calloc(1, sizeof *kv);
    if (!kv) {
        snprintf(err, err_size, "kv: out of memory");
        return WC_KV_IO;
    }
    const char *what = "mdb_env_create";
    if ((rc = mdb_env_create(&kv->env)) != 0)
        goto fail;
    what = "mdb_env_set_mapsize";
    if ((rc = mdb_env_set_mapsize(kv->env, map_size ? map_size : WC_KV_DEFAULT_MAP_SIZE)) != 0)
        goto fail;
    /* Worker pools can hold many read transactions at once. */
    what = "mdb_env_set_maxreaders";
    if ((rc = mdb_env_set_maxreaders(kv->env, 512)) != 0)
        goto fail;
    what = "mdb_env_open";
    if ((rc = mdb_env_open(kv->env, dir, MDB_NOTLS, 0600)) != 0)
        goto fail;
    /* Reader slots left by a process that died would pin old pages forever. */
    int dead = 0;
    what = "mdb_reader_check";
    if ((rc = mdb_reader_check(kv->env, &dead)) != 0)
        goto fail;

    MDB_txn *txn;
    what = "mdb_txn_begin";
    if ((rc = mdb_txn_begin(kv->env, NULL, 0, &txn)) != 0)
        goto fail;
    what = "mdb_dbi_open";
    if ((rc = mdb_dbi_open(txn, NULL, 0, &kv->dbi)) != 0) {
        mdb_txn_abort(txn);
        goto fail;
    }
    what = "mdb_txn_commit";
    if ((rc = mdb_txn_commit(txn)) != 0)
        goto fail;
    *out = kv;
    return 0;

fail:
    snprintf(err, err_size, "kv: %s on %s: %s", what, dir, mdb_strerror(rc));
    if (kv->env)
        mdb_env_close(kv->env);
    free(kv);
    return rc == MDB_MAP_FULL ? WC_KV_FULL : WC_KV_IO;
}

void wc_kv_close(wc_kv *kv)
{
    if (!kv)
        return;
    mdb_env_close(kv->env);
    free(kv);
}

/* Builds ns + '\0' + key in buf (WC_KV_MAX_KEY bytes).  Returns the length,
 * WC_KV_IO for an empty namespace, or WC_KV_TOOLARGE when the whole is over
 * the limit (for every operation, a list's prefix included: such a key is
 * refused, not silently absent). */
static int make_key(const char *ns, const void *key, size_t key_len, uint8_t *buf)
{
    if (!ns || !*ns || (key_len && !key))
        return WC_KV_IO;
    size_t ns_len = strlen(ns);
    if (ns_len >= WC_KV_MAX_KEY || key_len > WC_KV_MAX_KEY - ns_len - 1)
        return WC_KV_TOOLARGE;
    memcpy(buf, ns, ns_len + 1); /* with its NUL: the separator */
    if (key_len)
        memcpy(buf + ns_len + 1, key, key_len);
    return (int)(ns_len + 1 + key_len);
}

static int map_error(int rc)
{
    switch (rc) {
    case 0:
        return 0;
    case MDB_NOTFOUND:
        return WC_KV_NOTFOUND;
    case MDB_MAP_FULL:
        return WC_KV_FULL;
    case MDB_BAD_VALSIZE:
        return WC_KV_TOOLARGE;
    default:
        return WC_KV_IO;
    }
}

int wc_kv_get(wc_kv *kv, const char *ns, const void *key, size_t key_len, wc_buf *out)
{
    uint8_t buf[WC_KV_MAX_KEY];
    int n = make_key(ns, key, key_len, buf);
    if (n < 0)
        return n;
    MDB_txn *txn;
    int rc = mdb_txn_begin(kv->env, NULL, MDB_RDONLY, &txn);
    if (rc != 0)
        return map_error(rc);
    MDB_val k = {.mv_size = (size_t)n, .mv_data = buf}, v;
    rc = mdb_get(txn, kv->dbi, &k, &v);
    if (rc == 0) {
        wc_buf_append(out, v.mv_data, v.mv_size);
        if (out->failed)
            rc = ENOMEM;
    }
    mdb_txn_abort(txn);
    return map_error(rc);
}

int wc_kv_put(wc_kv *kv, const char *ns, const void *key, size_t key_len,
              const void *value, size_t value_len)
{
    uint8_t buf[WC_KV_MAX_KEY];
    int n = make_key(ns, key, key_len, buf);
    if (n < 0)
        return n;
    if (value_len > WC_KV_MAX_VALUE)
        return WC_KV_TOOLARGE;
    if (value_len && !value)
        return WC_KV_IO;
    MDB_txn *txn;
    int rc = mdb_txn_begin(kv->env, NULL, 0, &txn);
    if (rc != 0)
        return map_error(rc);
    MDB_val k = {.mv_size = (size_t)n, .mv_data = buf};
    MDB_val v = {.mv_size = value_len, .mv_data = value_len ? (void *)value : (void *)""};
    rc = mdb_put(txn, kv->dbi, &k, &v, 0);
    if (rc != 0) {
        mdb_txn_abort(txn);
        return map_error(rc);
    }
    return map_error(mdb_txn_commit(txn)); /* the commit frees the txn either way */
}

int wc_kv_delete(wc_kv *kv, const char *ns, const void *key, size_t key_len)
{
    uint8_t buf[WC_KV_MAX_KEY];
    int n = make_key(ns, key, key_len, buf);
    if (n < 0)
        return n;
    MDB_txn *txn;
    int rc = mdb_txn_begin(kv->env, NULL, 0, &txn);
    if (rc != 0)
        return map_error(rc);
    MDB_val k = {.mv_size = (size_t)n, .mv_data = buf};
    rc = mdb_del(txn, kv->dbi, &k, NULL);
    if (rc == MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        return 0;
    }
    if (rc != 0) {
        mdb_txn_abort(txn);
        return map_error(rc);
    }
    return map_error(mdb_txn_commit(txn));
}

int wc_kv_list(wc_kv *kv, const char *ns, const void *prefix, size_t prefix_len,
               size_t limit, json_t **keys)
{
    *keys = NULL;
    uint8_t buf[WC_KV_MAX_KEY];
    int n = make_key(ns, prefix, prefix_len, buf);
    if (n < 0)
        return n;
    size_t ns_len = strlen(ns) + 1; /* with the separator */
    if (limit == 0)
        limit = DEFAULT_LIST_LIMIT;

    json_t *arr = json_array();
    if (!arr)
        return WC_KV_IO;
    MDB_txn *txn;
    int rc = mdb_txn_begin(kv->env, NULL, MDB_RDONLY, &txn);
    if (rc != 0) {
        json_decref(arr);
        return map_error(rc);
    }
    MDB_cursor *cur;
    rc = mdb_cursor_open(txn, kv->dbi, &cur);
    if (rc != 0) {
        mdb_txn_abort(txn);
        json_decref(arr);
        return map_error(rc);
    }
    MDB_val k = {.mv_size = (size_t)n, .mv_data = buf}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && json_array_size(arr) < limit) {
        if (k.mv_size < (size_t)n || memcmp(k.mv_data, buf, (size_t)n) != 0)
            break; /* past the range */
        const char *name = (const char *)k.mv_data + ns_len;
        size_t name_len = k.mv_size - ns_len;
        if (wc_utf8_valid(name, name_len)) {
            json_t *s = json_stringn(name, name_len);
            if (!s || json_array_append_new(arr, s) != 0) {
                rc = ENOMEM;
                break;
            }
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        json_decref(arr);
        return map_error(rc);
    }
    *keys = arr;
    return 0;
}
