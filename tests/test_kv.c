/* test_kv.c -- the key-value store's port, one suite run against both
 * stores: LMDB, and a JetStream KV bucket on a real nats-server
 * (cli/bus_kv.c).  Round trips, namespaces, lists in byte order, limits,
 * persistence, threads, a full store that stays usable, per-namespace
 * quotas exact under racing writers, lists in pages that say what they
 * left out.  Then what only NATS has: the server down at open, stopped
 * mid-run ("bus unavailable", then recovery) and restarted with the data
 * intact. */
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "cli/bus_kv.h"
#include "store/kv.h"
#include "util/clock.h"
#include "util/fs.h"

#include "check.h"
#include "nats_server.h"

static char root[512], dir[600];

/* The store under test: LMDB, or NATS (then nats and bus are set). */
static const char *backend = "lmdb";
static nats_server nats;
static wc_bus *bus;

/* The server's and the bus's message limit: a 1 MiB value with the header
 * of its compare-and-set. */
#define NATS_PAYLOAD (2u << 20)

static wc_bus *open_nats_bus(const char *url)
{
    wc_bus_config cfg;
    wc_bus_config_init(&cfg);
    cfg.url = url;
    cfg.reconnect_wait_ms = 100;
    cfg.max_payload = NATS_PAYLOAD;
    wc_bus *b = NULL;
    wc_error err = {0};
    CHECK(wc_bus_open(&cfg, &b, &err) == 0, "bus: %s", err.msg);
    return b;
}

/* Waits up to 10 s for the bus to be connected. */
static bool connected(wc_bus *b)
{
    for (int i = 0; i < 1000 && wc_bus_get_state(b) != WC_BUS_CONNECTED; i++)
        nats_server_sleep_ms(10);
    return wc_bus_get_state(b) == WC_BUS_CONNECTED;
}

/* The store called name (an LMDB directory under root, or a bucket), at
 * most limit bytes (LMDB's map; the bucket's max_bytes); 0: the default. */
static wc_kv *open_named(const char *name, size_t limit)
{
    wc_kv *kv = NULL;
    wc_error err = {0};
    int rc;
    if (bus) {
        rc = wc_bus_kv_open(bus, false, name, limit, &kv, &err);
    } else {
        char path[700];
        snprintf(path, sizeof path, "%s/%s", root, name);
        rc = wc_kv_open(path, limit, &kv, &err);
    }
    CHECK(rc == 0 && kv, "%s: open %s: %d %s", backend, name, rc, err.msg);
    CHECK(!kv || strcmp(wc_kv_kind(kv), backend) == 0, "kind %s", kv ? wc_kv_kind(kv) : "-");
    return kv;
}

static wc_kv *open_store(size_t map_size)
{
    return open_named("store", map_size);
}

/* The value of key as a string ("<absent>" / "<error N>"), in a static buffer. */
static const char *get(wc_kv *kv, const char *ns, const char *key)
{
    static char text[256];
    wc_buf b;
    wc_buf_init(&b);
    int rc = wc_kv_get(kv, ns, key, strlen(key), &b);
    if (rc == WC_ENOTFOUND)
        snprintf(text, sizeof text, "<absent>");
    else if (rc)
        snprintf(text, sizeof text, "<error %d>", rc);
    else
        snprintf(text, sizeof text, "%.*s", (int)b.len, b.data ? (char *)b.data : "");
    wc_buf_free(&b);
    return text;
}

static int put(wc_kv *kv, const char *ns, const char *key, const char *value)
{
    return wc_kv_put(kv, ns, key, strlen(key), value, strlen(value));
}

/* The list as compact JSON text (static buffer). */
static const char *list(wc_kv *kv, const char *ns, const char *prefix, size_t limit)
{
    static char text[4096];
    json_t *keys = NULL;
    int rc = wc_kv_list(kv, ns, prefix, strlen(prefix), limit, &keys);
    if (rc) {
        snprintf(text, sizeof text, "<error %d>", rc);
        return text;
    }
    char *s = json_dumps(keys, JSON_COMPACT);
    snprintf(text, sizeof text, "%s", s ? s : "<dump failed>");
    free(s);
    json_decref(keys);
    return text;
}

static void test_basics(void)
{
    wc_kv *kv = open_store(0);
    if (!kv)
        return;
    CHECK(strcmp(get(kv, "a", "k"), "<absent>") == 0, "%s", get(kv, "a", "k"));
    CHECK(put(kv, "a", "k", "one") == 0, "put");
    CHECK(strcmp(get(kv, "a", "k"), "one") == 0, "%s", get(kv, "a", "k"));
    CHECK(put(kv, "a", "k", "two") == 0, "overwrite");
    CHECK(strcmp(get(kv, "a", "k"), "two") == 0, "%s", get(kv, "a", "k"));

    /* Binary keys and values, empty values. */
    const uint8_t bkey[] = {0, 1, 0xff, 0};
    const uint8_t bval[] = {0xde, 0xad, 0, 0xbe, 0xef};
    CHECK(wc_kv_put(kv, "a", bkey, sizeof bkey, bval, sizeof bval) == 0, "binary put");
    wc_buf b;
    wc_buf_init(&b);
    CHECK(wc_kv_get(kv, "a", bkey, sizeof bkey, &b) == 0 && b.len == sizeof bval &&
              memcmp(b.data, bval, sizeof bval) == 0, "binary get (%zu bytes)", b.len);
    wc_buf_free(&b);
    CHECK(put(kv, "a", "empty", "") == 0, "empty value");
    wc_buf_init(&b);
    wc_buf_str(&b, "x"); /* get appends */
    CHECK(wc_kv_get(kv, "a", "empty", 5, &b) == 0 && b.len == 1, "empty get: %zu", b.len);
    wc_buf_free(&b);

    /* Namespaces are isolated, even where one is a prefix of the other. */
    CHECK(put(kv, "ab", "k", "other") == 0, "put ab");
    CHECK(strcmp(get(kv, "a", "k"), "two") == 0, "%s", get(kv, "a", "k"));
    CHECK(strcmp(get(kv, "ab", "k"), "other") == 0, "%s", get(kv, "ab", "k"));
    CHECK(strcmp(get(kv, "b", "k"), "<absent>") == 0, "%s", get(kv, "b", "k"));
    CHECK(strcmp(list(kv, "ab", "", 0), "[\"k\"]") == 0, "%s", list(kv, "ab", "", 0));

    /* Delete: present, then absent (still 0), other namespace untouched. */
    CHECK(wc_kv_delete(kv, "a", "k", 1) == 0, "delete");
    CHECK(strcmp(get(kv, "a", "k"), "<absent>") == 0, "%s", get(kv, "a", "k"));
    CHECK(wc_kv_delete(kv, "a", "k", 1) == 0, "delete absent");
    CHECK(wc_kv_delete(kv, "zzz", "nothing", 7) == 0, "delete in empty namespace");
    CHECK(strcmp(get(kv, "ab", "k"), "other") == 0, "%s", get(kv, "ab", "k"));

    /* Bad namespaces. */
    CHECK(put(kv, "", "k", "v") == WC_EINVAL, "empty namespace");
    CHECK(wc_kv_put(kv, NULL, "k", 1, "v", 1) == WC_EINVAL, "NULL namespace");
    json_t *keys = (json_t *)1;
    CHECK(wc_kv_list(kv, "", "", 0, 0, &keys) == WC_EINVAL && keys == NULL, "list empty namespace");
    wc_kv_close(kv);
}

static void test_list(void)
{
    wc_kv *kv = open_store(0);
    if (!kv)
        return;
    const char *names[] = {"note/b", "note/a", "note/c", "nota", "note", "zeta", "note/\xc3\xa9"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        CHECK(put(kv, "l", names[i], "v") == 0, "put %s", names[i]);
    CHECK(put(kv, "l2", "note/x", "v") == 0, "other ns");
    CHECK(put(kv, "k", "note/y", "v") == 0, "ns before");
    /* A key that is not UTF-8 is skipped, the others still listed. */
    CHECK(wc_kv_put(kv, "l", "note/\xff", 6, "v", 1) == 0, "binary key");

    const char *all = list(kv, "l", "", 0);
    CHECK(strcmp(all, "[\"nota\",\"note\",\"note/a\",\"note/b\",\"note/c\",\"note/\\u00e9\",\"zeta\"]") == 0 ||
              strcmp(all, "[\"nota\",\"note\",\"note/a\",\"note/b\",\"note/c\",\"note/\xc3\xa9\",\"zeta\"]") == 0,
          "%s", all);
    CHECK(strcmp(list(kv, "l", "note/", 0), "[\"note/a\",\"note/b\",\"note/c\",\"note/\xc3\xa9\"]") == 0,
          "%s", list(kv, "l", "note/", 0));
    CHECK(strcmp(list(kv, "l", "note", 0), "[\"note\",\"note/a\",\"note/b\",\"note/c\",\"note/\xc3\xa9\"]") == 0,
          "%s", list(kv, "l", "note", 0));
    CHECK(strcmp(list(kv, "l", "note/", 2), "[\"note/a\",\"note/b\"]") == 0, "%s", list(kv, "l", "note/", 2));
    CHECK(strcmp(list(kv, "l", "q", 0), "[]") == 0, "%s", list(kv, "l", "q", 0));
    CHECK(strcmp(list(kv, "l", "zz", 0), "[]") == 0, "%s", list(kv, "l", "zz", 0));
    CHECK(strcmp(list(kv, "nothing", "", 0), "[]") == 0, "%s", list(kv, "nothing", "", 0));
    /* The last namespace in the file: the cursor runs off the end. */
    CHECK(put(kv, "zzzz", "a", "v") == 0, "last ns");
    CHECK(strcmp(list(kv, "zzzz", "", 0), "[\"a\"]") == 0, "%s", list(kv, "zzzz", "", 0));
    wc_kv_close(kv);
}

static void test_limits(void)
{
    wc_kv *kv = open_store(0);
    if (!kv)
        return;
    char key[WC_KV_MAX_KEY + 8];
    memset(key, 'k', sizeof key);
    size_t fits = WC_KV_MAX_KEY - strlen("ns") - 1;
    CHECK(wc_kv_put(kv, "ns", key, fits, "v", 1) == 0, "longest key");
    CHECK(wc_kv_put(kv, "ns", key, fits + 1, "v", 1) == WC_ETOOBIG, "key too long");
    wc_buf b;
    wc_buf_init(&b);
    CHECK(wc_kv_get(kv, "ns", key, fits, &b) == 0 && b.len == 1, "get longest");
    CHECK(wc_kv_get(kv, "ns", key, fits + 1, &b) == WC_ETOOBIG, "get key too long");
    wc_buf_free(&b);
    CHECK(wc_kv_delete(kv, "ns", key, fits + 1) == WC_ETOOBIG, "delete key too long");
    json_t *keys = NULL;
    CHECK(wc_kv_list(kv, "ns", key, fits + 1, 0, &keys) == WC_ETOOBIG && !keys, "list prefix too long");

    char *big = malloc(WC_KV_MAX_VALUE + 1);
    if (!big)
        return;
    memset(big, 'v', WC_KV_MAX_VALUE + 1);
    CHECK(wc_kv_put(kv, "ns", "big", 3, big, WC_KV_MAX_VALUE) == 0, "largest value");
    CHECK(wc_kv_put(kv, "ns", "big2", 4, big, WC_KV_MAX_VALUE + 1) == WC_ETOOBIG, "value too large");
    CHECK(strcmp(get(kv, "ns", "big2"), "<absent>") == 0, "refused value not stored");
    wc_buf_init(&b);
    CHECK(wc_kv_get(kv, "ns", "big", 3, &b) == 0 && b.len == WC_KV_MAX_VALUE &&
              memcmp(b.data, big, WC_KV_MAX_VALUE) == 0, "largest value back: %zu", b.len);
    wc_buf_free(&b);
    free(big);
    wc_kv_close(kv);
}

static void test_persistence(void)
{
    wc_kv *kv = open_store(0);
    if (!kv)
        return;
    CHECK(put(kv, "p", "kept", "across reopen") == 0, "put");
    CHECK(put(kv, "p", "gone", "x") == 0, "put");
    CHECK(wc_kv_delete(kv, "p", "gone", 4) == 0, "delete");
    wc_kv_close(kv);
    kv = open_store(0);
    if (!kv)
        return;
    CHECK(strcmp(get(kv, "p", "kept"), "across reopen") == 0, "%s", get(kv, "p", "kept"));
    CHECK(strcmp(get(kv, "p", "gone"), "<absent>") == 0, "%s", get(kv, "p", "gone"));
    wc_kv_close(kv);
    if (bus)
        return;

    /* Open errors carry a message. */
    char path[700];
    wc_error err = {0};
    snprintf(path, sizeof path, "%s/file", root);
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
    wc_kv *bad = (wc_kv *)1;
    CHECK(wc_kv_open(path, 0, &bad, &err) == WC_EIO && err.code == WC_EIO && !bad && err.msg[0],
          "open on a file: %s", err.msg);
    char below[800];
    snprintf(below, sizeof below, "%s/sub", path);
    err.msg[0] = 0;
    CHECK(wc_kv_open(below, 0, &bad, &err) == WC_EIO && strstr(err.msg, below), "open below a file: %s",
          err.msg);
    remove(path);
}

/* ---- threads ----------------------------------------------------------- */

#define THREADS 4
#define PER_THREAD 200

static wc_kv *shared_kv;

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    char ns[16], key[32], value[64];
    snprintf(ns, sizeof ns, "t%d", id % 2); /* two threads share each namespace */
    int bad = 0;
    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(key, sizeof key, "w%d/%04d", id, i);
        snprintf(value, sizeof value, "value %d of %d", i, id);
        int rc = put(shared_kv, ns, key, value);
        if (rc != 0) {
            printf("%s: thread %d: put %s: %d\n", backend, id, key, rc);
            bad++;
        }
        wc_buf b;
        wc_buf_init(&b);
        rc = wc_kv_get(shared_kv, ns, key, strlen(key), &b);
        if (rc != 0 || b.len != strlen(value) || memcmp(b.data, value, b.len) != 0) {
            printf("%s: thread %d: get %s: %d, %zu bytes\n", backend, id, key, rc, b.len);
            bad++;
        }
        wc_buf_free(&b);
        if (i % 50 == 0) {
            json_t *keys = NULL;
            snprintf(key, sizeof key, "w%d/", id);
            rc = wc_kv_list(shared_kv, ns, key, strlen(key), 0, &keys);
            if (rc != 0 || json_array_size(keys) != (size_t)i + 1) {
                printf("%s: thread %d: list %s: %d, %zu keys\n", backend, id, key, rc,
                       json_array_size(keys));
                bad++;
            }
            json_decref(keys);
        }
        if (i % 3 == 0) {
            snprintf(key, sizeof key, "w%d/%04d", id, i);
            snprintf(value, sizeof value, "x%d", i);
            if (put(shared_kv, ns, key, value) != 0)
                bad++;
        }
    }
    return (void *)(intptr_t)bad;
}

static void test_threads(void)
{
    shared_kv = open_store(0);
    if (!shared_kv)
        return;
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++) {
        void *bad;
        pthread_join(th[i], &bad);
        CHECK(bad == NULL, "thread %d: %d failures", i, (int)(intptr_t)bad);
    }
    for (int ns = 0; ns < 2; ns++) {
        char name[8];
        snprintf(name, sizeof name, "t%d", ns);
        json_t *keys = NULL;
        CHECK(wc_kv_list(shared_kv, name, "", 0, 0, &keys) == 0 && json_array_size(keys) == 2 * PER_THREAD,
              "%s has %zu keys", name, json_array_size(keys));
        json_decref(keys);
    }
    char key[32];
    for (int id = 0; id < THREADS; id++)
        for (int i = 0; i < PER_THREAD; i += 37) {
            snprintf(key, sizeof key, "w%d/%04d", id, i);
            char want[64];
            if (i % 3 == 0)
                snprintf(want, sizeof want, "x%d", i);
            else
                snprintf(want, sizeof want, "value %d of %d", i, id);
            const char *ns = id % 2 ? "t1" : "t0";
            CHECK(strcmp(get(shared_kv, ns, key), want) == 0, "%s/%s = %s", ns, key, get(shared_kv, ns, key));
        }
    /* two threads wrote each namespace at once: its usage is still exact */
    for (int ns = 0; ns < 2; ns++) {
        uint64_t want = 0;
        for (int id = ns; id < THREADS; id += 2)
            for (int i = 0; i < PER_THREAD; i++) {
                char value[64];
                snprintf(value, sizeof value, i % 3 == 0 ? "x%d" : "value %d of %d", i, id);
                want += strlen("w0/0000") + strlen(value);
            }
        char name[8];
        snprintf(name, sizeof name, "t%d", ns);
        uint64_t got = 0;
        CHECK(wc_kv_usage(shared_kv, name, &got) == 0 && got == want, "%s: usage of %s: %llu, "
              "want %llu", backend, name, (unsigned long long)got, (unsigned long long)want);
    }
    wc_kv_close(shared_kv);
}

/* ---- writers racing on one key -------------------------------------------- */

#define RACE_ROUNDS 40

static void *race_worker(void *arg)
{
    int id = (int)(intptr_t)arg, bad = 0;
    char value[64];
    for (int i = 0; i < RACE_ROUNDS; i++) {
        int rc;
        if (id == 0 && i % 4 == 3) {
            rc = wc_kv_delete(shared_kv, "race", "hot", 3);
        } else {
            memset(value, 'a' + id, sizeof value);
            rc = wc_kv_put_within(shared_kv, "race", 1000, "hot", 3, value,
                                  (size_t)(1 + (id * 7 + i) % 60), NULL);
        }
        bad += rc != 0;
    }
    return (void *)(intptr_t)bad;
}

/* Puts of different sizes and deletes of one key from four threads: the
 * namespace's usage ends exactly what the key holds (each write's change
 * to the record is tied to the value it replaced). */
static void test_race(void)
{
    shared_kv = open_store(0);
    if (!shared_kv)
        return;
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, race_worker, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++) {
        void *bad;
        pthread_join(th[i], &bad);
        CHECK(bad == NULL, "%s: racer %d: %d failures", backend, i, (int)(intptr_t)bad);
    }
    wc_buf b;
    wc_buf_init(&b);
    int rc = wc_kv_get(shared_kv, "race", "hot", 3, &b);
    uint64_t want = rc == 0 ? 3 + b.len : 0, got = 0;
    CHECK(rc == 0 || rc == WC_ENOTFOUND, "get: %d", rc);
    CHECK(wc_kv_usage(shared_kv, "race", &got) == 0 && got == want, "%s: usage %llu, holds %llu",
          backend, (unsigned long long)got, (unsigned long long)want);
    wc_buf_free(&b);
    wc_kv_close(shared_kv);
}

/* ---- a full map ------------------------------------------------------------ */

static void test_full(void)
{
    char small[700];
    snprintf(small, sizeof small, "%s/small", root);
    wc_kv *kv = open_named("small", 256 * 1024);
    if (!kv)
        return;
    char value[2000];
    memset(value, 'f', sizeof value);
    int rc = 0, n = 0;
    char key[32];
    for (n = 0; n < 1000; n++) {
        snprintf(key, sizeof key, "k%04d", n);
        rc = wc_kv_put(kv, "full", key, strlen(key), value, sizeof value);
        if (rc)
            break;
    }
    CHECK(rc == WC_ENOSPC && n > 10, "%s: filling: rc %d after %d puts", backend, rc, n);
    /* A value the map cannot hold at all fails inside mdb_put, not at the
     * commit: LMDB's own code came back raw from there (-30792). */
    static char whole_map[300 * 1024];
    rc = wc_kv_put(kv, "full", "huge", 4, whole_map, sizeof whole_map);
    CHECK(rc == WC_ENOSPC, "%s: a value larger than the map: rc %d", backend, rc);
    /* Still readable, and what was stored before is intact. */
    wc_buf b;
    wc_buf_init(&b);
    CHECK(wc_kv_get(kv, "full", "k0000", 5, &b) == 0 && b.len == sizeof value, "read after full");
    wc_buf_free(&b);
    snprintf(key, sizeof key, "k%04d", n);
    CHECK(strcmp(get(kv, "full", key), "<absent>") == 0, "refused put left nothing");
    /* Deleting makes room again. */
    for (int i = 0; i < n / 2; i++) {
        snprintf(key, sizeof key, "k%04d", i);
        CHECK(wc_kv_delete(kv, "full", key, strlen(key)) == 0, "delete %s", key);
    }
    CHECK(wc_kv_put(kv, "full", "again", 5, value, sizeof value) == 0, "put after freeing room");
    CHECK(strcmp(list(kv, "full", "again", 0), "[\"again\"]") == 0, "%s", list(kv, "full", "again", 0));
    wc_kv_close(kv);
    wc_remove_dir(small);
}


/* ---- quotas ------------------------------------------------------------- */

static uint64_t usage_of(wc_kv *kv, const char *ns)
{
    uint64_t u = 0;
    int rc = wc_kv_usage(kv, ns, &u);
    CHECK(rc == 0, "usage of %s: %d", ns, rc);
    return u;
}

/* Removes the usage record, as in a store written before usage was kept. */
static void forget_usage(const char *path, const char *ns)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    char key[64];
    key[0] = 0;
    snprintf(key + 1, sizeof key - 1, "%s", ns);
    MDB_val k = {.mv_size = strlen(ns) + 1, .mv_data = key};
    int rc = mdb_env_create(&env);
    if (rc == 0)
        rc = mdb_env_open(env, path, MDB_NOTLS, 0600);
    if (rc == 0)
        rc = mdb_txn_begin(env, NULL, 0, &txn);
    if (rc == 0 && (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) == 0 && (rc = mdb_del(txn, dbi, &k, NULL)) == 0)
        rc = mdb_txn_commit(txn);
    CHECK(rc == 0, "forget usage: %s", mdb_strerror(rc));
    mdb_env_close(env);
}

static void test_quota(void)
{
    char path[700];
    snprintf(path, sizeof path, "%s/quota", root);
    wc_kv *kv = open_named("quota", 0);
    wc_error err = {0};
    if (!kv)
        return;
    char value[100];
    memset(value, 'v', sizeof value);
    uint64_t usage = 0;
    /* quota 250: two 1-byte keys with 100-byte values fit (202), a third does not */
    CHECK(wc_kv_put_within(kv, "q", 250, "a", 1, value, 100, &usage) == 0 && usage == 101, "first: %llu",
          (unsigned long long)usage);
    CHECK(wc_kv_put_within(kv, "q", 250, "b", 1, value, 100, &usage) == 0 && usage == 202, "second");
    CHECK(wc_kv_put_within(kv, "q", 250, "c", 1, value, 100, &usage) == WC_EQUOTA && usage == 303,
          "third refused: %llu", (unsigned long long)usage);
    CHECK(strcmp(get(kv, "q", "c"), "<absent>") == 0, "the refused put left nothing");
    CHECK(usage_of(kv, "q") == 202, "usage after a refusal");
    /* overwriting counts the difference; other namespaces are not counted */
    CHECK(wc_kv_put_within(kv, "q", 250, "a", 1, value, 10, &usage) == 0 && usage == 112, "shrink a");
    CHECK(wc_kv_put_within(kv, "q", 250, "c", 1, value, 100, &usage) == 0 && usage == 213, "c fits now");
    CHECK(put(kv, "other", "x", "yyyy") == 0 && usage_of(kv, "other") == 5 && usage_of(kv, "q") == 213,
          "namespaces apart");
    /* a namespace over a lowered quota can still shrink, not grow */
    CHECK(wc_kv_put_within(kv, "q", 100, "b", 1, value, 50, &usage) == 0 && usage == 163, "shrink over quota");
    CHECK(wc_kv_put_within(kv, "q", 100, "d", 1, "", 0, &usage) == WC_EQUOTA, "grow over quota");
    CHECK(wc_kv_delete(kv, "q", "c", 1) == 0 && usage_of(kv, "q") == 62, "delete frees");
    CHECK(wc_kv_delete(kv, "q", "zz", 2) == 0 && usage_of(kv, "q") == 62, "absent delete");
    wc_kv_close(kv);
    if (bus)
        return; /* NATS stores were never written without the record */
    /* a store without the record (written before quotas) is counted once */
    forget_usage(path, "q");
    CHECK(wc_kv_open(path, 0, &kv, &err) == 0, "reopen: %s", err.msg);
    if (!kv)
        return;
    CHECK(usage_of(kv, "q") == 62, "counted: %llu", (unsigned long long)usage_of(kv, "q"));
    CHECK(wc_kv_put_within(kv, "q", 100, "e", 1, value, 40, &usage) == WC_EQUOTA && usage == 103,
          "quota after a count");
    CHECK(strcmp(list(kv, "q", "", 0), "[\"a\",\"b\"]") == 0, "the record is not a key: %s", list(kv, "q", "", 0));
    wc_kv_close(kv);
    wc_remove_dir(path);
}

/* ---- pages -------------------------------------------------------------- */

static void test_pages(void)
{
    char path[700];
    snprintf(path, sizeof path, "%s/pages", root);
    wc_kv *kv = open_named("pages", 0);
    if (!kv)
        return;
    /* 25 keys under n/, every fifth not UTF-8, and keys around the prefix */
    char key[16];
    for (int i = 0; i < 25; i++) {
        snprintf(key, sizeof key, "n/%02d%s", i, i % 5 == 4 ? "\xff" : "");
        CHECK(put(kv, "p", key, "v") == 0, "put %s", key);
    }
    CHECK(put(kv, "p", "m", "v") == 0 && put(kv, "p", "o", "v") == 0, "neighbours");
    size_t keys = 0, skipped = 0, pages = 0;
    uint8_t after[WC_KV_MAX_KEY];
    size_t after_len = 0;
    wc_kv_page page;
    for (;;) {
        int rc = wc_kv_list_page(kv, "p", "n/", 2, after, after_len, 10, &page);
        CHECK(rc == 0, "page %zu: %d", pages, rc);
        if (rc)
            break;
        pages++;
        keys += json_array_size(page.keys);
        skipped += page.skipped;
        CHECK(json_array_size(page.keys) + page.skipped <= 10, "a page examines at most its limit");
        json_decref(page.keys);
        if (!page.more || pages > 10)
            break;
        memcpy(after, page.last, page.last_len);
        after_len = page.last_len;
    }
    CHECK(pages == 3 && keys == 20 && skipped == 5, "pages %zu keys %zu skipped %zu", pages, keys, skipped);
    /* the old shape: the first page only, limit included */
    CHECK(strcmp(list(kv, "p", "n/0", 3), "[\"n/00\",\"n/01\",\"n/02\"]") == 0, "%s", list(kv, "p", "n/0", 3));
    /* a cursor outside the prefix: before it starts from the top, after it ends */
    CHECK(wc_kv_list_page(kv, "p", "n/", 2, "a", 1, 0, &page) == 0 && json_array_size(page.keys) == 20 &&
              page.skipped == 5 && !page.more, "cursor before the range");
    json_decref(page.keys);
    CHECK(wc_kv_list_page(kv, "p", "n/", 2, "z", 1, 0, &page) == 0 && json_array_size(page.keys) == 0 &&
              !page.more, "cursor past the range");
    json_decref(page.keys);
    /* exactly a page's worth: more may be reported, the next page is empty */
    CHECK(wc_kv_list_page(kv, "p", "n/0", 3, NULL, 0, 10, &page) == 0 && json_array_size(page.keys) == 8 &&
              page.skipped == 2, "exact page");
    json_decref(page.keys);
    wc_kv_close(kv);
    wc_remove_dir(path);
}

static void run_suite(void)
{
    printf("-- %s\n", backend);
    test_basics();
    test_list();
    test_limits();
    test_persistence();
    test_threads();
    test_race();
    test_full();
    test_quota();
    test_pages();
}

/* ---- NATS only ------------------------------------------------------------ */

/* A server that is not there when the store opens: it opens, every call
 * says "bus unavailable" at once, and the bucket is made when the server
 * comes. */
static void test_nats_down_at_open(void)
{
    nats_server later = nats;
    later.port = nats_server_free_port();
    snprintf(later.url, sizeof later.url, "nats://127.0.0.1:%d", later.port);
    if (snprintf(later.dir, sizeof later.dir, "%.400s-later", nats.dir) >= (int)sizeof later.dir)
        return;
    mkdir(later.dir, 0755);
    later.pid = 0;
    wc_bus *b = open_nats_bus(later.url);
    if (!b)
        return;
    wc_kv *kv = NULL;
    wc_error err = {0};
    CHECK(wc_bus_kv_open(b, true, "later", 0, &kv, &err) == 0 && kv, "open while down: %s",
          err.msg);
    if (!kv) {
        wc_bus_close(b);
        return;
    }
    uint64_t t0 = wc_monotonic_ms();
    CHECK(put(kv, "d", "k", "v") == WC_ENOTCONN, "put while down");
    CHECK(strcmp(get(kv, "d", "k"), "<error -107>") == 0, "get while down: %s", get(kv, "d", "k"));
    CHECK(wc_monotonic_ms() - t0 < 1000, "refused at once, not after a timeout");
    if (nats_server_launch(&later) == 0) {
        CHECK(connected(b), "connected when the server came");
        CHECK(put(kv, "d", "k", "v") == 0 && strcmp(get(kv, "d", "k"), "v") == 0,
              "the bucket made once the server is there: %s", get(kv, "d", "k"));
    }
    wc_kv_close(kv); /* and its bus */
    nats_server_stop(&later);
}

/* Stopped mid-run: calls fail with WC_ENOTCONN, and once the server is
 * back (same store folder) the bucket and every value are still there. */
static void test_nats_restart(void)
{
    wc_kv *kv = open_named("restart", 0);
    if (!kv)
        return;
    CHECK(put(kv, "r", "kept", "before") == 0 && put(kv, "r", "other", "x") == 0, "put");
    uint64_t usage = 0;
    CHECK(wc_kv_usage(kv, "r", &usage) == 0 && usage == 16, "usage %llu",
          (unsigned long long)usage);
    nats_server_signal(&nats, SIGKILL);
    for (int i = 0; i < 500 && wc_bus_get_state(bus) == WC_BUS_CONNECTED; i++)
        nats_server_sleep_ms(10);
    int rc = put(kv, "r", "during", "x");
    CHECK(rc == WC_ENOTCONN, "put while the server is down: %d", rc);
    json_t *keys = (json_t *)1;
    CHECK(wc_kv_list(kv, "r", "", 0, 0, &keys) == WC_ENOTCONN && !keys, "list while down");
    CHECK(nats_server_launch(&nats) == 0, "restart");
    CHECK(connected(bus), "reconnected");
    /* JetStream takes a moment to recover its streams after a restart */
    for (int i = 0; i < 200 && strcmp(get(kv, "r", "kept"), "before") != 0; i++)
        nats_server_sleep_ms(50);
    CHECK(strcmp(get(kv, "r", "kept"), "before") == 0, "kept across a kill: %s",
          get(kv, "r", "kept"));
    CHECK(strcmp(get(kv, "r", "during"), "<absent>") == 0, "the refused put left nothing");
    CHECK(strcmp(list(kv, "r", "", 0), "[\"kept\",\"other\"]") == 0, "%s", list(kv, "r", "", 0));
    CHECK(wc_kv_usage(kv, "r", &usage) == 0 && usage == 16, "usage kept: %llu",
          (unsigned long long)usage);
    CHECK(put(kv, "r", "after", "y") == 0 && strcmp(get(kv, "r", "after"), "y") == 0,
          "writes again");
    wc_kv_close(kv);
}

int main(void)
{
    if (wc_make_temp_dir(root, sizeof root, "wasmcap-test-kv") != 0) {
        printf("FAIL cannot create a temp dir\n");
        return 1;
    }
    snprintf(dir, sizeof dir, "%s/store", root); /* created by wc_kv_open */
    run_suite();
    wc_remove_dir(dir);
    char conf[64];
    snprintf(conf, sizeof conf, "max_payload: %u\n", NATS_PAYLOAD);
    if (nats_server_start_config(&nats, "kv", conf) != 0) {
        CHECK(0, "nats-server did not start");
    } else if ((bus = open_nats_bus(nats.url)) != NULL) {
        backend = "nats";
        CHECK(connected(bus), "connected");
        run_suite();
        test_nats_restart();
        test_nats_down_at_open();
        wc_bus_close(bus);
    }
    nats_server_stop(&nats);
    wc_remove_dir(root);
    if (failures) {
        printf("test_kv: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test_kv: all %d checks passed\n", checks);
    return 0;
}
