/* bus_kv.c -- store/kv.h's port in a JetStream KV bucket.
 *
 * Keys.  A plugin's key is any bytes; a JetStream key is letters, digits
 * and a few marks.  Both the namespace and the key are written in
 * lowercase hex, which keeps byte order (strcmp of the hex is memcmp of
 * the bytes, a shorter key first), so the bucket's sorted keys are the
 * LMDB store's order and a byte prefix is a text prefix:
 *
 *     k.<hex namespace>.x<hex key>   a value ("x" alone: the empty key)
 *     u.<hex namespace>              the namespace's usage, decimal text
 *
 * A list reads only the keys under k.<hex namespace>. (the bus filters
 * that subtree at the server) and pages them as the LMDB store does.
 *
 * Quotas.  As in LMDB, each namespace's usage (bytes of keys + values) is
 * a record beside its keys, changed with every put and delete.  JetStream
 * has no transaction over two keys, so both changes are compare-and-sets
 * (wc_bus_kv_update with the revision read) in an order that can only
 * overcount: a put that grows the namespace reserves the growth in the
 * record first and writes the value after (a lost race on the value gives
 * the reservation back); a put that shrinks it, and a delete, write the
 * value first and lower the record after.  Concurrent writers on several
 * nodes therefore never take a namespace past its quota, and a crash
 * between the two steps leaves the record high by that one value (never
 * low), which refuses early rather than late.  A write that keeps losing
 * its race gives up after WC_BUS_KV_ATTEMPTS with WC_EAGAIN.
 *
 * Errors.  The bus's WC_ENOTCONN ("bus unavailable") passes through, as
 * do WC_ENOTFOUND, WC_ETOOBIG and WC_ENOMEM; a bucket at its max_bytes is
 * WC_ENOSPC; anything else is WC_EIO. */
#include "cli/bus_kv.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

/* "k." + hex namespace + ".x" + hex key, with its NUL */
#define KEY_TEXT (2 * WC_KV_MAX_KEY + 8)

typedef struct bus_kv {
    wc_kv base;
    wc_bus *bus;
    bool own_bus;
    atomic_bool ready; /* the bucket exists */
    wc_bus_kv_config bucket;
    char name[WC_BUS_MAX_NAME + 1];
} bus_kv;

static const wc_kv_ops bus_kv_ops;

static void hex(char *out, const void *bytes, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *b = bytes;
    for (size_t i = 0; i < len; i++) {
        *out++ = digits[b[i] >> 4];
        *out++ = digits[b[i] & 15];
    }
    *out = '\0';
}

static int unhex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The text of a value's key (kv.c checked the sizes). */
static void value_key(char *out, const char *ns, const void *key, size_t key_len)
{
    size_t ns_len = strlen(ns);
    memcpy(out, "k.", 2);
    hex(out + 2, ns, ns_len);
    memcpy(out + 2 + 2 * ns_len, ".x", 2);
    hex(out + 4 + 2 * ns_len, key, key_len);
}

static void usage_key(char *out, const char *ns)
{
    memcpy(out, "u.", 2);
    hex(out + 2, ns, strlen(ns));
}

/* The bus's code as one of the port's. */
static int port_code(int rc)
{
    switch (rc) {
    case 0:
    case WC_ENOTFOUND:
    case WC_ENOTCONN:
    case WC_ETOOBIG:
    case WC_ENOMEM:
    case WC_ECONFLICT:
    case WC_ENOSPC:
        return rc;
    default:
        return WC_EIO;
    }
}

/* The bucket, made the first time the server is there. */
static int ready(bus_kv *kv)
{
    if (atomic_load(&kv->ready))
        return 0;
    wc_error err = {0};
    int rc = wc_bus_kv_ensure(kv->bus, &kv->bucket, &err);
    if (rc == 0)
        atomic_store(&kv->ready, true);
    return port_code(rc);
}

/* key's value (malloc'd) and revision; *value NULL and revision 0 when it
 * has none. */
static int read_entry(bus_kv *kv, const char *key, void **value, size_t *len, uint64_t *rev)
{
    *value = NULL;
    *len = 0;
    *rev = 0;
    int rc = wc_bus_kv_get(kv->bus, kv->name, key, value, len, rev, NULL);
    return rc == WC_ENOTFOUND ? 0 : port_code(rc);
}

static int read_usage(bus_kv *kv, const char *ukey, uint64_t *usage, uint64_t *rev)
{
    void *text;
    size_t len;
    int rc = read_entry(kv, ukey, &text, &len, rev);
    *usage = 0;
    if (rc == 0 && text) {
        char *end;
        *usage = strtoull(text, &end, 10);
        if (end == (char *)text || *end)
            rc = WC_EIO; /* not a record this store wrote */
    }
    free(text);
    return rc;
}

static int write_usage(bus_kv *kv, const char *ukey, uint64_t usage, uint64_t rev)
{
    char text[24];
    int n = snprintf(text, sizeof text, "%" PRIu64, usage);
    return port_code(wc_bus_kv_update(kv->bus, kv->name, ukey, text, (size_t)n, rev, NULL, NULL));
}

/* Lowers ns's record by bytes (not below 0), retrying lost races. */
static int release_usage(bus_kv *kv, const char *ukey, uint64_t bytes)
{
    for (int attempt = 0; attempt < WC_BUS_KV_ATTEMPTS; attempt++) {
        uint64_t usage, rev;
        int rc = read_usage(kv, ukey, &usage, &rev);
        if (rc == 0)
            rc = write_usage(kv, ukey, usage > bytes ? usage - bytes : 0, rev);
        if (rc != WC_ECONFLICT)
            return rc;
    }
    return WC_EAGAIN;
}

static int bus_kv_get(wc_kv *base, const char *ns, const void *key, size_t key_len, wc_buf *out)
{
    bus_kv *kv = (bus_kv *)base;
    int rc = ready(kv);
    if (rc)
        return rc;
    char k[KEY_TEXT];
    value_key(k, ns, key, key_len);
    void *value;
    size_t len;
    uint64_t rev;
    if ((rc = read_entry(kv, k, &value, &len, &rev)) != 0)
        return rc;
    if (!value)
        return WC_ENOTFOUND;
    wc_buf_append(out, value, len);
    free(value);
    return out->failed ? WC_ENOMEM : 0;
}

/* A put or a delete of one key, and the namespace's usage record. */
typedef struct write_op {
    char key[KEY_TEXT], usage_key[KEY_TEXT];
    size_t key_len;      /* the plugin's key's bytes, as usage counts them */
    bool del;
    uint64_t quota;      /* puts: */
    const void *value;
    size_t value_len;
    uint64_t *usage_out;
} write_op;

/* One attempt of a put: WC_ECONFLICT when another writer came between. */
static int put_once(bus_kv *kv, const write_op *op)
{
    void *old;
    size_t old_len;
    uint64_t old_rev, usage, usage_rev;
    int rc = read_entry(kv, op->key, &old, &old_len, &old_rev);
    if (rc)
        return rc;
    bool existed = old != NULL;
    free(old);
    if ((rc = read_usage(kv, op->usage_key, &usage, &usage_rev)) != 0)
        return rc;
    uint64_t before = usage;
    if (existed)
        usage = usage > op->key_len + old_len ? usage - (op->key_len + old_len) : 0;
    usage += op->key_len + op->value_len;
    if (op->usage_out)
        *op->usage_out = usage;
    if (op->quota && usage > op->quota && usage > before)
        return WC_EQUOTA;
    if (usage > before && (rc = write_usage(kv, op->usage_key, usage, usage_rev)) != 0)
        return rc; /* reserved first: a crash after this overcounts */
    rc = port_code(wc_bus_kv_update(kv->bus, kv->name, op->key, op->value, op->value_len, old_rev,
                                    NULL, NULL));
    if (usage > before && rc != 0) {
        int back = release_usage(kv, op->usage_key, usage - before);
        return back ? back : rc;
    }
    if (rc == 0 && usage < before)
        rc = release_usage(kv, op->usage_key, before - usage);
    return rc;
}

/* One attempt of a delete: the value first, its bytes off the record after. */
static int delete_once(bus_kv *kv, const write_op *op)
{
    void *old;
    size_t old_len;
    uint64_t rev;
    int rc = read_entry(kv, op->key, &old, &old_len, &rev);
    if (rc || !old)
        return rc; /* absent: nothing to do */
    free(old);
    rc = port_code(wc_bus_kv_delete_if(kv->bus, kv->name, op->key, rev, NULL));
    return rc ? rc : release_usage(kv, op->usage_key, op->key_len + old_len);
}

/* op on key of ns, attempted until no other writer comes between. */
static int write_key(wc_kv *base, const char *ns, const void *key, write_op *op)
{
    bus_kv *kv = (bus_kv *)base;
    int rc = ready(kv);
    if (rc)
        return rc;
    value_key(op->key, ns, key, op->key_len);
    usage_key(op->usage_key, ns);
    for (int attempt = 0; attempt < WC_BUS_KV_ATTEMPTS; attempt++) {
        rc = op->del ? delete_once(kv, op) : put_once(kv, op);
        if (rc != WC_ECONFLICT)
            return rc;
    }
    return WC_EAGAIN;
}

static int bus_kv_put_within(wc_kv *base, const char *ns, uint64_t quota, const void *key,
                             size_t key_len, const void *value, size_t value_len,
                             uint64_t *usage_out)
{
    write_op op = {.key_len = key_len, .quota = quota, .value = value, .value_len = value_len,
                   .usage_out = usage_out};
    return write_key(base, ns, key, &op);
}

static int bus_kv_delete(wc_kv *base, const char *ns, const void *key, size_t key_len)
{
    write_op op = {.key_len = key_len, .del = true};
    return write_key(base, ns, key, &op);
}

static int bus_kv_usage(wc_kv *base, const char *ns, uint64_t *usage)
{
    bus_kv *kv = (bus_kv *)base;
    int rc = ready(kv);
    if (rc)
        return rc;
    char ukey[KEY_TEXT];
    usage_key(ukey, ns);
    uint64_t rev;
    return read_usage(kv, ukey, usage, &rev);
}

/* --- lists --- */

typedef struct page_walk {
    wc_kv_page *page;
    size_t skip;        /* bytes of "k.<hex ns>.x" before each key's own hex */
    const char *after;  /* the hex key to continue after, or NULL */
    size_t limit, examined;
    int rc;
} page_walk;

static int on_key(void *ctx, const char *key)
{
    page_walk *w = ctx;
    if (w->after && strcmp(key, w->after) <= 0)
        return 0; /* on the previous page */
    if (w->examined == w->limit) {
        w->page->more = true;
        return 1;
    }
    w->examined++;
    const char *text = key + w->skip;
    size_t n = strlen(text) / 2;
    if (n > sizeof w->page->last) {
        w->rc = WC_EIO; /* not a key this store wrote */
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        int hi = unhex_digit(text[2 * i]), lo = unhex_digit(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            w->rc = WC_EIO;
            return 1;
        }
        w->page->last[i] = (uint8_t)(hi << 4 | lo);
    }
    w->page->last_len = n;
    if (!wc_utf8_valid((const char *)w->page->last, n)) {
        w->page->skipped++;
        return 0;
    }
    json_t *s = json_stringn((const char *)w->page->last, n);
    if (!s || json_array_append_new(w->page->keys, s) != 0) {
        w->rc = WC_ENOMEM;
        return 1;
    }
    return 0;
}

static int bus_kv_list_page(wc_kv *base, const char *ns, const void *prefix, size_t prefix_len,
                            const void *after, size_t after_len, size_t limit, wc_kv_page *page)
{
    bus_kv *kv = (bus_kv *)base;
    int rc = ready(kv);
    if (rc)
        return rc;
    char p[KEY_TEXT], a[KEY_TEXT];
    value_key(p, ns, prefix, prefix_len);
    if (after_len)
        value_key(a, ns, after, after_len);
    if (!(page->keys = json_array()))
        return WC_ENOMEM;
    page_walk w = {.page = page,
                   .skip = 4 + 2 * strlen(ns),
                   .after = after_len ? a : NULL,
                   .limit = limit};
    wc_error err = {0};
    rc = wc_bus_kv_keys(kv->bus, kv->name, p, WC_BUS_KV_SCAN_MAX, on_key, &w, &err);
    if (rc >= 0)
        rc = w.rc;
    if (rc < 0) {
        json_decref(page->keys);
        page->keys = NULL;
        /* too many keys to sort is no fault of the prefix: not ETOOBIG */
        return rc == WC_ETOOBIG ? WC_EIO : port_code(rc);
    }
    return 0;
}

static void bus_kv_close(wc_kv *base)
{
    bus_kv *kv = (bus_kv *)base;
    if (kv->own_bus)
        wc_bus_close(kv->bus);
    free(kv);
}

static const wc_kv_ops bus_kv_ops = {
    .kind = "nats",
    .close = bus_kv_close,
    .get = bus_kv_get,
    .put_within = bus_kv_put_within,
    .usage = bus_kv_usage,
    .delete_key = bus_kv_delete,
    .list_page = bus_kv_list_page,
};

int wc_bus_kv_open(wc_bus *bus, bool own_bus, const char *bucket, uint64_t max_bytes,
                   wc_kv **out, wc_error *err)
{
    *out = NULL;
    if (!bucket || strlen(bucket) > WC_BUS_MAX_NAME)
        return wc_error_set(err, WC_EINVAL, "kv: a bucket name of 1 to %d characters",
                            WC_BUS_MAX_NAME);
    bus_kv *kv = calloc(1, sizeof *kv);
    if (!kv)
        return wc_error_set(err, WC_ENOMEM, "kv: out of memory");
    kv->base.ops = &bus_kv_ops;
    kv->bus = bus;
    strcpy(kv->name, bucket);
    kv->bucket.bucket = kv->name;
    kv->bucket.max_bytes = max_bytes;
    /* JetStream counts headers in: a value and the header of its compare-and-set */
    kv->bucket.max_value_size = WC_KV_MAX_VALUE + 1024;
    int rc = wc_bus_kv_ensure(bus, &kv->bucket, err);
    if (rc == 0)
        atomic_store(&kv->ready, true);
    else if (rc != WC_ENOTCONN) {
        free(kv);
        return rc;
    }
    kv->own_bus = own_bus;
    *out = &kv->base;
    return 0;
}
