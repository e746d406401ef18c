/* kv_lmdb.c -- the key-value store on LMDB.
 *
 * One environment in the store's directory, one database in it.  Every
 * stored key is namespace + '\0' + key: namespaces are non-empty and hold no
 * NUL, so no namespace's keys can collide with or sort into another's, and
 * a namespace's keys with a prefix form one contiguous, sorted range that a
 * cursor reads from MDB_SET_RANGE.
 *
 * Each namespace's usage (bytes of keys + values, what kv_quota limits) is
 * kept under the key '\0' + namespace, which no namespace's range can hold,
 * and updated in the same transaction as every put and delete, so it is
 * exact across processes and crashes.  A store written before usage was
 * kept gets it counted once, by the first write to the namespace.
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
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/utf8.h"

typedef struct lmdb_kv {
    wc_kv base;
    MDB_env *env;
    MDB_dbi dbi;
} lmdb_kv;

static const wc_kv_ops lmdb_ops;


/* LMDB's result (0, one of its MDB_* codes, or a positive errno) as a WC_E*
 * code. */
static int map_error(int rc)
{
    switch (rc) {
    case 0:
        return 0;
    case MDB_NOTFOUND:
        return WC_ENOTFOUND;
    case MDB_MAP_FULL:
        return WC_ENOSPC;
    case MDB_BAD_VALSIZE:
        return WC_ETOOBIG;
    case ENOMEM:
        return WC_ENOMEM;
    default:
        return WC_EIO;
    }
}

int wc_kv_open(const char *dir, size_t map_size, wc_kv **out, wc_error *err)
{
    *out = NULL;
    if (!dir || !*dir)
        return wc_error_set(err, WC_EINVAL, "kv: no directory given");
    int rc = wc_mkdirs(dir);
    if (rc != 0)
        return wc_error_set(err, WC_EIO, "kv: cannot create %s: %s", dir, wc_strerror(rc));
    lmdb_kv *kv = calloc(1, sizeof *kv);
    if (!kv)
        return wc_error_set(err, WC_ENOMEM, "kv: out of memory");
    kv->base.ops = &lmdb_ops;
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
    *out = &kv->base;
    return 0;

fail:
    if (kv->env)
        mdb_env_close(kv->env);
    free(kv);
    return wc_error_set(err, rc == MDB_MAP_FULL ? WC_ENOSPC : WC_EIO, "kv: %s on %s: %s", what, dir,
                        mdb_strerror(rc));
}

static void lmdb_close(wc_kv *base)
{
    lmdb_kv *kv = (lmdb_kv *)base;
    mdb_env_close(kv->env);
    free(kv);
}

/* Builds ns + '\0' + key in buf (WC_KV_MAX_KEY bytes; kv.c checked that it
 * fits) and returns its length. */
static int make_key(const char *ns, const void *key, size_t key_len, uint8_t *buf)
{
    size_t ns_len = strlen(ns);
    memcpy(buf, ns, ns_len + 1); /* with its NUL: the separator */
    if (key_len)
        memcpy(buf + ns_len + 1, key, key_len);
    return (int)(ns_len + 1 + key_len);
}

static int lmdb_get(wc_kv *base, const char *ns, const void *key, size_t key_len, wc_buf *out)
{
    lmdb_kv *kv = (lmdb_kv *)base;
    uint8_t buf[WC_KV_MAX_KEY];
    int n = make_key(ns, key, key_len, buf);
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

/* ---- usage ------------------------------------------------------------- */

static size_t usage_key(const char *ns, uint8_t *buf)
{
    size_t ns_len = strlen(ns);
    buf[0] = 0;
    memcpy(buf + 1, ns, ns_len);
    return ns_len + 1;
}

/* Counts the namespace (key bytes after the separator, plus values).  As
 * the other helpers under a transaction, returns LMDB's result, for
 * map_error. */
static int count_usage(MDB_txn *txn, MDB_dbi dbi, const char *ns, uint64_t *usage)
{
    uint8_t buf[WC_KV_MAX_KEY];
    int n = make_key(ns, NULL, 0, buf);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc != 0)
        return rc;
    uint64_t total = 0;
    MDB_val k = {.mv_size = (size_t)n, .mv_data = buf}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size >= (size_t)n && memcmp(k.mv_data, buf, (size_t)n) == 0) {
        total += k.mv_size - (size_t)n + v.mv_size;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    *usage = total;
    return 0;
}

static int read_usage(MDB_txn *txn, MDB_dbi dbi, const char *ns, uint64_t *usage)
{
    uint8_t buf[WC_KV_MAX_KEY + 1];
    MDB_val k = {.mv_size = usage_key(ns, buf), .mv_data = buf}, v;
    int rc = mdb_get(txn, dbi, &k, &v);
    if (rc == 0 && v.mv_size == sizeof *usage) {
        memcpy(usage, v.mv_data, sizeof *usage);
        return 0;
    }
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    return count_usage(txn, dbi, ns, usage);
}

static int write_usage(MDB_txn *txn, MDB_dbi dbi, const char *ns, uint64_t usage)
{
    uint8_t buf[WC_KV_MAX_KEY + 1];
    MDB_val k = {.mv_size = usage_key(ns, buf), .mv_data = buf};
    MDB_val v = {.mv_size = sizeof usage, .mv_data = &usage};
    return mdb_put(txn, dbi, &k, &v, 0);
}

static int lmdb_usage(wc_kv *base, const char *ns, uint64_t *usage)
{
    lmdb_kv *kv = (lmdb_kv *)base;
    MDB_txn *txn;
    int rc = mdb_txn_begin(kv->env, NULL, MDB_RDONLY, &txn);
    if (rc != 0)
        return map_error(rc);
    rc = read_usage(txn, kv->dbi, ns, usage);
    mdb_txn_abort(txn);
    return map_error(rc);
}

/* ---- writes ------------------------------------------------------------ */

static int lmdb_put_within(wc_kv *base, const char *ns, uint64_t quota, const void *key,
                           size_t key_len, const void *value, size_t value_len, uint64_t *usage_out)
{
    lmdb_kv *kv = (lmdb_kv *)base;
    uint8_t buf[WC_KV_MAX_KEY];
    int n = make_key(ns, key, key_len, buf);
    MDB_txn *txn;
    int rc = mdb_txn_begin(kv->env, NULL, 0, &txn);
    if (rc != 0)
        return map_error(rc);
    MDB_val k = {.mv_size = (size_t)n, .mv_data = buf}, old;
    uint64_t usage;
    if ((rc = read_usage(txn, kv->dbi, ns, &usage)) != 0)
        goto abort;
    rc = mdb_get(txn, kv->dbi, &k, &old);
    if (rc != 0 && rc != MDB_NOTFOUND)
        goto abort;
    uint64_t before = usage;
    if (rc == 0)
        usage = usage > key_len + old.mv_size ? usage - (key_len + old.mv_size) : 0;
    usage += key_len + value_len;
    if (usage_out)
        *usage_out = usage;
    if (quota && usage > quota && usage > before) {
        mdb_txn_abort(txn);
        return WC_EQUOTA;
    }
    MDB_val v = {.mv_size = value_len, .mv_data = value_len ? (void *)value : (void *)""};
    if ((rc = mdb_put(txn, kv->dbi, &k, &v, 0)) != 0 || (rc = write_usage(txn, kv->dbi, ns, usage)) != 0)
        goto abort;
    return map_error(mdb_txn_commit(txn)); /* the commit frees the txn either way */
abort:
    mdb_txn_abort(txn);
    return map_error(rc);
}

static int lmdb_delete(wc_kv *base, const char *ns, const void *key, size_t key_len)
{
    lmdb_kv *kv = (lmdb_kv *)base;
    uint8_t buf[WC_KV_MAX_KEY];
    int n = make_key(ns, key, key_len, buf);
    MDB_txn *txn;
    int rc = mdb_txn_begin(kv->env, NULL, 0, &txn);
    if (rc != 0)
        return map_error(rc);
    MDB_val k = {.mv_size = (size_t)n, .mv_data = buf}, old;
    uint64_t usage;
    rc = mdb_get(txn, kv->dbi, &k, &old);
    if (rc == MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        return 0;
    }
    if (rc != 0)
        goto abort;
    /* read before the delete: a first count must still see the key */
    if ((rc = read_usage(txn, kv->dbi, ns, &usage)) != 0)
        goto abort;
    /* saturating: an older wasmcap may have written without counting */
    usage = usage > key_len + old.mv_size ? usage - (key_len + old.mv_size) : 0;
    if ((rc = mdb_del(txn, kv->dbi, &k, NULL)) != 0 || (rc = write_usage(txn, kv->dbi, ns, usage)) != 0)
        goto abort;
    return map_error(mdb_txn_commit(txn));
abort:
    mdb_txn_abort(txn);
    return map_error(rc);
}

/* ---- lists ------------------------------------------------------------- */

static int lmdb_list_page(wc_kv *base, const char *ns, const void *prefix, size_t prefix_len,
                          const void *after, size_t after_len, size_t limit, wc_kv_page *page)
{
    lmdb_kv *kv = (lmdb_kv *)base;
    uint8_t buf[WC_KV_MAX_KEY], start[WC_KV_MAX_KEY];
    int n = make_key(ns, prefix, prefix_len, buf);
    int start_len = n;
    memcpy(start, buf, (size_t)n);
    if (after_len) /* kv.c passes it only inside the range */
        start_len = make_key(ns, after, after_len, start);
    size_t ns_len = strlen(ns) + 1; /* with the separator */

    json_t *arr = json_array();
    if (!arr)
        return WC_ENOMEM;
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
    MDB_val k = {.mv_size = (size_t)start_len, .mv_data = start}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    /* continuing: the previous page's last key is not repeated */
    if (rc == 0 && after_len && k.mv_size == (size_t)start_len && memcmp(k.mv_data, start, k.mv_size) == 0)
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    size_t examined = 0;
    while (rc == 0) {
        if (k.mv_size < (size_t)n || memcmp(k.mv_data, buf, (size_t)n) != 0)
            break; /* past the range */
        if (examined == limit) {
            page->more = true;
            break;
        }
        examined++;
        const char *name = (const char *)k.mv_data + ns_len;
        size_t name_len = k.mv_size - ns_len;
        memcpy(page->last, name, name_len);
        page->last_len = name_len;
        if (wc_utf8_valid(name, name_len)) {
            json_t *s = json_stringn(name, name_len);
            if (!s || json_array_append_new(arr, s) != 0) {
                rc = ENOMEM;
                break;
            }
        } else {
            page->skipped++;
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        json_decref(arr);
        return map_error(rc);
    }
    page->keys = arr;
    return 0;
}

static const wc_kv_ops lmdb_ops = {
    .kind = "lmdb",
    .close = lmdb_close,
    .get = lmdb_get,
    .put_within = lmdb_put_within,
    .usage = lmdb_usage,
    .delete_key = lmdb_delete,
    .list_page = lmdb_list_page,
};
