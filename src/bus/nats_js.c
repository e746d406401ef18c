/* nats_js.c -- the NATS bus's persistence on JetStream: streams (append
 * with an acknowledgement, read back from a sequence) and KV buckets.
 *
 * Every operation fails at once with WC_ENOTCONN while the connection is
 * down, rather than spending the JetStream API timeout on a request that
 * cannot be answered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/nats_bus.h"
#include "util/grow.h"

#define READ_MISSES_MAX 10000 /* deleted sequences a read steps over before it stops */

/* --- streams --- */

int wc_bus_nats_stream_ensure(wc_bus *base, const wc_bus_stream_config *cfg, wc_error *err)
{
    nats_bus *bus = (nats_bus *)base;
    int rc = wc_bus_nats_connected(bus, err);
    if (rc < 0)
        return rc;
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    const char *subjects[1] = {cfg->subject};
    sc.Name = cfg->name;
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.MaxAge = (int64_t)(cfg->max_age_ms * 1000000u); /* nanoseconds */
    if (cfg->max_bytes)
        sc.MaxBytes = (int64_t)cfg->max_bytes;
    if (cfg->max_msgs)
        sc.MaxMsgs = (int64_t)cfg->max_msgs;
    if (cfg->max_msgs_per_subject)
        sc.MaxMsgsPerSubject = (int64_t)cfg->max_msgs_per_subject;
    /* JetStream wants the window within the stream's max age */
    uint64_t window = cfg->max_age_ms && cfg->max_age_ms < WC_BUS_DEDUPE_MS ? cfg->max_age_ms
                                                                            : WC_BUS_DEDUPE_MS;
    sc.Duplicates = (int64_t)(window * 1000000); /* nanoseconds */
    sc.AllowDirect = true; /* wc_bus_stream_read_subject */
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_AddStream(&si, bus->js, &sc, NULL, &jerr);
    if (s != NATS_OK && jerr == JSStreamNameExistErr) {
        jerr = 0;
        s = js_UpdateStream(&si, bus->js, &sc, NULL, &jerr);
    }
    jsStreamInfo_Destroy(si);
    if (s == NATS_OK)
        return 0;
    if (jerr == JSNotEnabledErr)
        return wc_error_set(err, WC_ENOTSUP, "stream %s: JetStream is not enabled on the NATS "
                            "server (start it with -js)", cfg->name);
    return wc_bus_nats_error(err, s, "stream");
}

int wc_bus_nats_stream_append(wc_bus *base, const wc_bus_msg *msg, uint64_t *sequence,
                              wc_error *err)
{
    nats_bus *bus = (nats_bus *)base;
    int rc = wc_bus_nats_connected(bus, err);
    if (rc < 0)
        return rc;
    natsMsg *m;
    if ((rc = wc_bus_nats_msg(msg, NULL, &m)) < 0)
        return wc_error_set(err, rc, "stream append: %s", wc_strerror(rc));
    jsPubAck *ack = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_PublishMsg(&ack, bus->js, m, NULL, &jerr);
    natsMsg_Destroy(m);
    if (s == NATS_OK) {
        atomic_fetch_add(&base->published, 1);
        if (sequence)
            *sequence = ack->Sequence;
        jsPubAck_Destroy(ack);
        return 0;
    }
    if (s == NATS_NO_RESPONDERS)
        return wc_error_set(err, WC_ENOTFOUND, "no stream keeps subject %s", msg->subject);
    return wc_bus_nats_error(err, s, "stream append");
}

typedef struct read_ctx {
    wc_bus_stream_fn fn;
    void *ctx;
    int stop;
} read_ctx;

static void read_view(void *ctx, const wc_bus_msg *view)
{
    read_ctx *rc = ctx;
    rc->stop = rc->fn(rc->ctx, view);
}

int wc_bus_nats_stream_read(wc_bus *base, const char *stream, uint64_t from_seq,
                            size_t max_msgs, wc_bus_stream_fn fn, void *ctx, wc_error *err)
{
    nats_bus *bus = (nats_bus *)base;
    uint64_t first, last;
    int rc = wc_bus_nats_stream_bounds(base, stream, &first, &last, err);
    if (rc < 0)
        return rc;
    size_t total = 0, misses = 0;
    read_ctx r = {fn, ctx, 0};
    for (uint64_t seq = from_seq > first ? from_seq : first;
         last && seq <= last && total < max_msgs && !r.stop; seq++) {
        natsMsg *m = NULL;
        jsErrCode jerr = 0;
        natsStatus s = js_GetMsg(&m, bus->js, stream, seq, NULL, &jerr);
        if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr) {
            /* deleted, or aged out since the info was read */
            if (++misses > READ_MISSES_MAX)
                break;
            continue;
        }
        if (s != NATS_OK)
            return wc_bus_nats_error(err, s, "stream read");
        total++;
        wc_bus_nats_view(m, seq, read_view, &r);
        natsMsg_Destroy(m);
    }
    return (int)(total > INT32_MAX ? INT32_MAX : total);
}

int wc_bus_nats_stream_bounds(wc_bus *base, const char *stream, uint64_t *first,
                              uint64_t *last, wc_error *err)
{
    nats_bus *bus = (nats_bus *)base;
    int rc = wc_bus_nats_connected(bus, err);
    if (rc < 0)
        return rc;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, bus->js, stream, NULL, &jerr);
    if (s != NATS_OK) {
        if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr)
            return wc_error_set(err, WC_ENOTFOUND, "no stream %s", stream);
        return wc_bus_nats_error(err, s, "stream bounds");
    }
    *first = si->State.LastSeq ? si->State.FirstSeq : 0;
    *last = si->State.LastSeq;
    jsStreamInfo_Destroy(si);
    return 0;
}

int wc_bus_nats_stream_read_subject(wc_bus *base, const char *stream, const char *subject,
                                    uint64_t from_seq, size_t max_msgs, wc_bus_stream_fn fn,
                                    void *ctx, wc_error *err)
{
    nats_bus *bus = (nats_bus *)base;
    int rc = wc_bus_nats_connected(bus, err);
    if (rc < 0)
        return rc;
    size_t total = 0;
    read_ctx r = {fn, ctx, 0};
    uint64_t seq = from_seq ? from_seq : 1;
    while (total < max_msgs && !r.stop) {
        jsDirectGetMsgOptions o;
        jsDirectGetMsgOptions_Init(&o);
        o.Sequence = seq;
        o.NextBySubject = subject;
        natsMsg *m = NULL;
        natsStatus s = js_DirectGetMsg(&m, bus->js, stream, NULL, &o);
        if (s == NATS_NOT_FOUND)
            break; /* nothing more on the subject */
        if (s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS) {
            /* nobody answers direct gets of a stream that is not there */
            jsStreamInfo *si = NULL;
            jsErrCode jerr = 0;
            natsStatus is = js_GetStreamInfo(&si, bus->js, stream, NULL, &jerr);
            jsStreamInfo_Destroy(si);
            if (is == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr)
                return wc_error_set(err, WC_ENOTFOUND, "no stream %s", stream);
        }
        if (s != NATS_OK)
            return wc_bus_nats_error(err, s, "stream read");
        const char *text = NULL;
        uint64_t got = 0;
        if (natsMsgHeader_Get(m, "Nats-Sequence", &text) == NATS_OK && text)
            got = strtoull(text, NULL, 10);
        if (got < seq) { /* a reply without its sequence: nothing to go on from */
            natsMsg_Destroy(m);
            return wc_error_set(err, WC_EIO, "stream read: a direct get without a sequence");
        }
        total++;
        wc_bus_nats_view(m, got, read_view, &r);
        natsMsg_Destroy(m);
        seq = got + 1;
    }
    return (int)(total > INT32_MAX ? INT32_MAX : total);
}

/* --- KV buckets --- */

/* The bucket's handle, kept open for the bus's life. */
static int bucket_handle(nats_bus *bus, const char *name, kvStore **out, wc_error *err)
{
    int rc = wc_bus_nats_connected(bus, err);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&bus->lock);
    for (size_t i = 0; i < bus->n_buckets; i++)
        if (strcmp(bus->buckets[i].name, name) == 0) {
            *out = bus->buckets[i].kv;
            pthread_mutex_unlock(&bus->lock);
            return 0;
        }
    if (bus->n_buckets == NATS_MAX_BUCKETS) {
        pthread_mutex_unlock(&bus->lock);
        return wc_error_set(err, WC_EAGAIN, "the bus keeps at most %d buckets open",
                            NATS_MAX_BUCKETS);
    }
    kvStore *kv = NULL;
    natsStatus s = js_KeyValue(&kv, bus->js, name);
    if (s == NATS_OK) {
        strcpy(bus->buckets[bus->n_buckets].name, name);
        bus->buckets[bus->n_buckets++].kv = kv;
        *out = kv;
    }
    pthread_mutex_unlock(&bus->lock);
    if (s == NATS_NOT_FOUND)
        return wc_error_set(err, WC_ENOTFOUND, "no bucket %s", name);
    return s == NATS_OK ? 0 : wc_bus_nats_error(err, s, "bucket");
}

void wc_bus_nats_kv_release(nats_bus *bus)
{
    for (size_t i = 0; i < bus->n_buckets; i++)
        kvStore_Destroy(bus->buckets[i].kv);
    bus->n_buckets = 0;
}

int wc_bus_nats_kv_ensure(wc_bus *base, const wc_bus_kv_config *cfg, wc_error *err)
{
    nats_bus *bus = (nats_bus *)base;
    kvStore *kv;
    int rc = bucket_handle(bus, cfg->bucket, &kv, err);
    if (rc != WC_ENOTFOUND)
        return rc;
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = cfg->bucket;
    kc.History = 1;
    if (cfg->max_bytes)
        kc.MaxBytes = (int64_t)cfg->max_bytes;
    if (cfg->max_value_size)
        kc.MaxValueSize = (int32_t)(cfg->max_value_size > INT32_MAX ? INT32_MAX
                                                                     : cfg->max_value_size);
    kc.TTL = (int64_t)(cfg->ttl_ms * 1000000u); /* nanoseconds, as the server's max_age */
    natsStatus s = js_CreateKeyValue(&kv, bus->js, &kc);
    if (s != NATS_OK)
        return wc_bus_nats_error(err, s, "bucket create");
    kvStore_Destroy(kv);
    return bucket_handle(bus, cfg->bucket, &kv, err);
}

/* The revision of the delete marker that ends key's history, or 0 when
 * its last message is a value (or it has none). */
static uint64_t delete_marker(nats_bus *bus, const char *bucket, const char *subject)
{
    char stream[WC_BUS_MAX_NAME + 4];
    snprintf(stream, sizeof stream, "KV_%s", bucket);
    natsMsg *m = NULL;
    jsErrCode jerr = 0;
    if (js_GetLastMsg(&m, bus->js, stream, subject, NULL, &jerr) != NATS_OK)
        return 0;
    const char *op = NULL;
    uint64_t seq = 0;
    if (natsMsgHeader_Get(m, "KV-Operation", &op) == NATS_OK && op &&
        (strcmp(op, "DEL") == 0 || strcmp(op, "PURGE") == 0))
        seq = natsMsg_GetSequence(m);
    natsMsg_Destroy(m);
    return seq;
}

/* A value (or, with del, a delete marker) for key that JetStream keeps only
 * while the key's last message is revision `expected` -- kvStore_Update's
 * publish, with the lost race told apart from other failures.  Expected 0
 * means "no value", which a delete marker is too: the marker's revision is
 * then what the write must follow, and it is tried once more with it. */
static int write_if(nats_bus *bus, const char *bucket, const char *key, const void *value,
                    size_t len, bool del, uint64_t expected, uint64_t *revision, wc_error *err)
{
    char subject[WC_BUS_MAX_NAME + WC_BUS_MAX_KEY + 8];
    snprintf(subject, sizeof subject, "$KV.%s.%s", bucket, key);
    for (int attempt = 0; attempt < 2; attempt++) {
        natsMsg *m = NULL;
        natsStatus s = natsMsg_Create(&m, subject, NULL, (const char *)value, (int)len);
        if (s == NATS_OK && del)
            s = natsMsgHeader_Set(m, "KV-Operation", "DEL");
        if (s != NATS_OK) {
            natsMsg_Destroy(m);
            return wc_bus_nats_error(err, s, del ? "kv delete" : "kv put");
        }
        jsPubOptions o;
        jsPubOptions_Init(&o);
        if (expected)
            o.ExpectLastSubjectSeq = expected;
        else
            o.ExpectNoMessage = true;
        jsPubAck *ack = NULL;
        jsErrCode jerr = 0;
        s = js_PublishMsg(&ack, bus->js, m, &o, &jerr);
        natsMsg_Destroy(m);
        if (s == NATS_OK) {
            if (revision)
                *revision = ack->Sequence;
            jsPubAck_Destroy(ack);
            return 0;
        }
        if (jerr == JSStreamStoreFailedErr) /* DiscardNew at the bucket's max_bytes */
            return wc_error_set(err, WC_ENOSPC, "bucket %s is full (%s)", bucket,
                                nats_GetLastError(NULL));
        if (jerr != JSStreamWrongLastSequenceErr)
            return wc_bus_nats_error(err, s, del ? "kv delete" : "kv put");
        if (expected != 0 || attempt > 0 || !(expected = delete_marker(bus, bucket, subject)))
            break;
    }
    return wc_error_set(err, WC_ECONFLICT, "key %s of bucket %s changed since it was read", key,
                        bucket);
}

int wc_bus_nats_kv_put(wc_bus *base, const char *bucket, const char *key, const void *value,
                       size_t len, const uint64_t *expected, uint64_t *revision, wc_error *err)
{
    kvStore *kv;
    int rc = bucket_handle((nats_bus *)base, bucket, &kv, err);
    if (rc < 0)
        return rc;
    if (expected)
        return write_if((nats_bus *)base, bucket, key, value, len, false, *expected, revision,
                        err);
    uint64_t rev = 0;
    natsStatus s = kvStore_Put(&rev, kv, key, value, (int)len);
    if (s != NATS_OK)
        return wc_bus_nats_error(err, s, "kv put");
    if (revision)
        *revision = rev;
    return 0;
}

int wc_bus_nats_kv_get(wc_bus *base, const char *bucket, const char *key, void **value,
                       size_t *len, uint64_t *revision, wc_error *err)
{
    kvStore *kv;
    int rc = bucket_handle((nats_bus *)base, bucket, &kv, err);
    if (rc < 0)
        return rc;
    kvEntry *e = NULL;
    natsStatus s = kvStore_Get(&e, kv, key);
    if (s == NATS_NOT_FOUND)
        return wc_error_set(err, WC_ENOTFOUND, "no key %s in bucket %s", key, bucket);
    if (s != NATS_OK)
        return wc_bus_nats_error(err, s, "kv get");
    size_t n = (size_t)kvEntry_ValueLen(e);
    char *copy = malloc(n + 1);
    if (!copy) {
        kvEntry_Destroy(e);
        return wc_error_set(err, WC_ENOMEM, "out of memory for a value");
    }
    if (n)
        memcpy(copy, kvEntry_Value(e), n);
    copy[n] = '\0';
    *value = copy;
    *len = n;
    if (revision)
        *revision = kvEntry_Revision(e);
    kvEntry_Destroy(e);
    return 0;
}

int wc_bus_nats_kv_delete(wc_bus *base, const char *bucket, const char *key,
                          const uint64_t *expected, wc_error *err)
{
    kvStore *kv;
    int rc = bucket_handle((nats_bus *)base, bucket, &kv, err);
    if (rc < 0)
        return rc;
    if (expected) /* a marker after no value is no delete: 0 must be refused */
        return *expected ? write_if((nats_bus *)base, bucket, key, NULL, 0, true, *expected,
                                    NULL, err)
                         : wc_error_set(err, WC_ECONFLICT, "key %s of bucket %s: a delete "
                                        "expects the revision of a value", key, bucket);
    natsStatus s = kvStore_Delete(kv, key);
    return s == NATS_OK ? 0 : wc_bus_nats_error(err, s, "kv delete");
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The keys under prefix, from a watch of the subtree of its whole tokens
 * (the server filters that far), at most WC_BUS_KV_SCAN_MAX. */
static int collect_keys(nats_bus *bus, kvStore *kv, const char *prefix, char ***out, size_t *count,
                        wc_error *err)
{
    char filter[WC_BUS_MAX_KEY + 2] = ">";
    const char *dot = strrchr(prefix, '.');
    if (dot && dot > prefix) {
        size_t n = (size_t)(dot - prefix) + 1;
        memcpy(filter, prefix, n);
        strcpy(filter + n, ">");
        if (wc_bus_check_subject(filter, true, NULL) != 0)
            strcpy(filter, ">"); /* "a..b": no subject; the client filters it all */
    }
    kvWatchOptions o;
    kvWatchOptions_Init(&o);
    o.MetaOnly = true;
    o.IgnoreDeletes = true;
    kvWatcher *w = NULL;
    natsStatus s = kvStore_Watch(&w, kv, filter, &o);
    if (s != NATS_OK)
        return wc_bus_nats_error(err, s, "kv keys");
    char **keys = NULL;
    size_t n = 0, cap = 0, plen = strlen(prefix);
    int rc = 0;
    int64_t wait = bus->base.limits.request_timeout_ms ? bus->base.limits.request_timeout_ms : 2000;
    for (;;) {
        kvEntry *e = NULL;
        s = kvWatcher_Next(&e, w, wait);
        if (s != NATS_OK) {
            rc = wc_bus_nats_error(err, s, "kv keys");
            break;
        }
        if (!e)
            break; /* the initial values are all in */
        const char *key = kvEntry_Key(e);
        if (strncmp(key, prefix, plen) == 0) {
            if (n == WC_BUS_KV_SCAN_MAX) {
                kvEntry_Destroy(e);
                rc = wc_error_set(err, WC_ETOOBIG, "more than %d keys under %s in bucket %s",
                                  WC_BUS_KV_SCAN_MAX, prefix, kvStore_Bucket(kv));
                break;
            }
            char *copy = wc_grow((void **)&keys, &cap, n + 1, sizeof *keys) ? strdup(key) : NULL;
            if (!copy) {
                kvEntry_Destroy(e);
                rc = wc_error_set(err, WC_ENOMEM, "out of memory listing keys");
                break;
            }
            keys[n++] = copy;
        }
        kvEntry_Destroy(e);
    }
    kvWatcher_Destroy(w);
    if (rc < 0) {
        for (size_t k = 0; k < n; k++)
            free(keys[k]);
        free(keys);
        return rc;
    }
    *out = keys;
    *count = n;
    return 0;
}

int wc_bus_nats_kv_keys(wc_bus *base, const char *bucket, const char *prefix, size_t max_keys,
                        wc_bus_key_fn fn, void *ctx, wc_error *err)
{
    kvStore *kv;
    int rc = bucket_handle((nats_bus *)base, bucket, &kv, err);
    if (rc < 0)
        return rc;
    char **keys = NULL;
    size_t n = 0;
    if ((rc = collect_keys((nats_bus *)base, kv, prefix, &keys, &n, err)) < 0)
        return rc;
    /* the same order as the in-process bucket's */
    if (n) /* qsort takes no NULL array, even empty */
        qsort(keys, n, sizeof *keys, compare_keys);
    size_t total = 0;
    bool stop = false;
    for (size_t i = 0; i < n && !stop && total < max_keys; i++) {
        /* a watch that writers overtake may see a key twice (its ordered
         * consumer starts again after a gap): each is listed once */
        if (i > 0 && strcmp(keys[i], keys[i - 1]) == 0)
            continue;
        total++;
        stop = fn(ctx, keys[i]) != 0;
    }
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    return (int)(total > INT32_MAX ? INT32_MAX : total);
}
