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

struct wc_kv {
    MDB_env *env;
    MDB_dbi dbi;
};


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
    wc_kv *kv = calloc(1, sizeof *kv);
    if (!kv)
        return wc_error_set(err, WC_ENOMEM, "kv: out of memory");
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
    if (kv->env)
        mdb_env_close(kv->env);
    free(kv);
    return wc_error_set(err, rc == MDB_MAP_FULL ? WC_ENOSPC : WC_EIO, "kv: %s on %s: %s", what, dir,
                        mdb_strerror(rc));
}

void wc_kv_close(wc_kv *kv)
{
    if (!kv)
        return;
    mdb_env_close(kv->env);
    free(kv);
}

/* Builds ns + '\0' + key in buf (WC_KV_MAX_KEY bytes).  Returns the length,
 * WC_EINVAL for an empty namespace, or WC_ETOOBIG when the whole is over
 * the limit (for every operation, a list's prefix included: such a key is
 * refused, not silently absent). */
static int make_key(const char *ns, const void *key, size_t key_len, uint8_t *buf)
{
    if (!ns || !*ns || (key_len && !key))
        return WC_EINVAL;
    size_t ns_len = strlen(ns);
    if (ns_len >= WC_KV_MAX_KEY || key_len > WC_KV_MAX_KEY - ns_len - 1)
        return WC_ETOOBIG;
    memcpy(buf, ns, ns_len + 1); /* with its NUL: the separator */
    if (key_len)
        memcpy(buf + ns_len + 1, key, key_len);
    return (int)(ns_len + 1 + key_len);
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
    if (n < 0)
        return EINVAL;
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

int wc_kv_usage(wc_kv *kv, const char *ns, uint64_t *usage)
{
    if (!ns || !*ns)
        return WC_EINVAL;
    if (strlen(ns) >= WC_KV_MAX_KEY)
        return WC_ETOOBIG;
    MDB_txn *txn;
    int rc = mdb_txn_begin(kv->env, NULL, MDB_RDONLY, &txn);
    if (rc != 0)
        return map_error(rc);
    rc = read_usage(txn, kv->dbi, ns, usage);
    mdb_txn_abort(txn);
    return map_error(rc);
}

/* ---- writes ------------------------------------------------------------ */

int wc_kv_put_within(wc_kv *kv, const char *ns, uint64_t quota, const void *key, size_t key_len,
                     const void *value, size_t value_len, uint64_t *usage_out)
{
    uint8_t buf[WC_KV_MAX_KEY];
    int n = make_key(ns, key, key_len, buf);
    if (n < 0)
        return n;
    if (value_len > WC_KV_MAX_VALUE)
        return WC_ETOOBIG;
    if (value_len && !value)
        return WC_EINVAL;
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

int wc_kv_put(wc_kv *kv, const char *ns, const void *key, size_t key_len,
              const void *value, size_t value_len)
{
    return wc_kv_put_within(kv, ns, 0, key, key_len, value, value_len, NULL);
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

int wc_kv_list_page(wc_kv *kv, const char *ns, const void *prefix, size_t prefix_len,
                    const void *after, size_t after_len, size_t limit, wc_kv_page *page)
{
    memset(page, 0, sizeof *page);
    uint8_t buf[WC_KV_MAX_KEY], start[WC_KV_MAX_KEY];
    int n = make_key(ns, prefix, prefix_len, buf);
    if (n < 0)
        return n;
    int start_len = n;
    memcpy(start, buf, (size_t)n);
    if (after_len) {
        size_t common = after_len < prefix_len ? after_len : prefix_len;
        int order = common ? memcmp(after, prefix, common) : 0;
        if (order < 0 || (order == 0 && after_len < prefix_len)) {
            after_len = 0; /* before the range: from its start */
        } else if (order > 0) {
            page->keys = json_array(); /* past the range: nothing left */
            return page->keys ? 0 : WC_ENOMEM;
        }
    }
    if (after_len) {
        start_len = make_key(ns, after, after_len, start);
        if (start_len < 0)
            return start_len;
    }
    size_t ns_len = strlen(ns) + 1; /* with the separator */
    if (limit == 0)
        limit = WC_KV_LIST_LIMIT;

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

int wc_kv_list(wc_kv *kv, const char *ns, const void *prefix, size_t prefix_len,
               size_t limit, json_t **keys)
{
    wc_kv_page page;
    int rc = wc_kv_list_page(kv, ns, prefix, prefix_len, NULL, 0, limit, &page);
    *keys = rc == 0 ? page.keys : NULL;
    return rc;
}
