/* inproc_store.c -- the in-process bus's streams and KV buckets, in
 * memory, with JetStream's limits: a stream drops its oldest messages past
 * max_msgs, max_bytes or max_age (JetStream's default "discard old"); a
 * bucket refuses a put past its max_bytes or max_value_size, and a value
 * older than the bucket's ttl reads as absent.  Everything together stays
 * within the store's max_bytes (config store_max_bytes).
 *
 * One lock for the whole store.  Callbacks (a read's fn, a listing's fn)
 * run without it, on batches copied out, so they may call the bus. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bus/inproc.h"
#include "util/clock.h"
#include "util/grow.h"

#define MAX_STREAMS 64
#define MAX_BUCKETS 64
#define READ_BATCH 64   /* messages copied out of the lock at a time */
#define KEYS_BATCH 256  /* keys copied out of the lock at a time */
#define OVERHEAD 64     /* what an entry costs besides its bytes */

typedef struct stored {
    wc_bus_msg *msg; /* its sequence set */
    uint64_t time_ms;
    size_t size;
} stored;

/* A message id kept for deduplication (WC_BUS_MSG_ID). */
typedef struct seen_id {
    char *id;
    uint64_t seq, time_ms;
} seen_id;

typedef struct stream {
    char name[WC_BUS_MAX_NAME + 1];
    char *subject;
    uint64_t max_age_ms, max_bytes, max_msgs, max_per_subject;
    stored *ring; /* a slot whose msg is NULL was removed by max_per_subject */
    size_t cap, head, count, bytes;
    uint64_t last_seq;
    seen_id *seen; /* WC_BUS_DEDUPE_IDS slots, made on first use; the oldest replaced */
    size_t seen_next;
} stream;

typedef struct entry {
    char *key;
    void *value;
    size_t len;
    uint64_t revision, time_ms;
} entry;

typedef struct bucket {
    char name[WC_BUS_MAX_NAME + 1];
    uint64_t max_bytes, ttl_ms;
    uint32_t max_value_size;
    entry *entries; /* sorted by key */
    size_t n, cap, bytes;
    uint64_t revision;
} bucket;

struct inproc_store {
    pthread_mutex_t lock;
    size_t max_bytes, bytes;
    stream *streams[MAX_STREAMS];
    size_t n_streams;
    bucket *buckets[MAX_BUCKETS];
    size_t n_buckets;
};

inproc_store *inproc_store_new(size_t max_bytes)
{
    inproc_store *store = calloc(1, sizeof *store);
    if (!store)
        return NULL;
    pthread_mutex_init(&store->lock, NULL);
    store->max_bytes = max_bytes;
    return store;
}

static void entry_free(entry *e)
{
    free(e->key);
    free(e->value);
}

void inproc_store_free(inproc_store *store)
{
    if (!store)
        return;
    for (size_t i = 0; i < store->n_streams; i++) {
        stream *s = store->streams[i];
        for (size_t k = 0; k < s->count; k++)
            wc_bus_msg_free(s->ring[(s->head + k) % s->cap].msg);
        free(s->ring);
        free(s->subject);
        for (size_t k = 0; s->seen && k < WC_BUS_DEDUPE_IDS; k++)
            free(s->seen[k].id);
        free(s->seen);
        free(s);
    }
    for (size_t i = 0; i < store->n_buckets; i++) {
        bucket *b = store->buckets[i];
        for (size_t k = 0; k < b->n; k++)
            entry_free(&b->entries[k]);
        free(b->entries);
        free(b);
    }
    pthread_mutex_destroy(&store->lock);
    free(store);
}

/* --- streams --- */

static stream *find_stream(inproc_store *store, const char *name)
{
    for (size_t i = 0; i < store->n_streams; i++)
        if (strcmp(store->streams[i]->name, name) == 0)
            return store->streams[i];
    return NULL;
}

static uint64_t first_seq(const stream *s)
{
    return s->last_seq - s->count + 1;
}

static void drop_oldest(inproc_store *store, stream *s)
{
    stored *old = &s->ring[s->head];
    s->bytes -= old->size;
    store->bytes -= old->size;
    wc_bus_msg_free(old->msg); /* NULL for a slot removed before */
    s->head = (s->head + 1) % s->cap;
    s->count--;
}

static void expire_stream(inproc_store *store, stream *s, uint64_t now_ms)
{
    while (s->max_age_ms && s->count && now_ms - s->ring[s->head].time_ms >= s->max_age_ms)
        drop_oldest(store, s);
}

int inproc_stream_ensure(inproc_store *store, const wc_bus_stream_config *cfg, wc_error *err)
{
    pthread_mutex_lock(&store->lock);
    stream *s = find_stream(store, cfg->name);
    int rc = 0;
    if (s && strcmp(s->subject, cfg->subject) != 0) {
        rc = wc_error_set(err, WC_EINVAL, "stream %s keeps %s, not %s", cfg->name, s->subject,
                          cfg->subject);
        goto out;
    }
    for (size_t i = 0; !s && i < store->n_streams; i++)
        if (wc_bus_filters_overlap(store->streams[i]->subject, cfg->subject)) {
            rc = wc_error_set(err, WC_EINVAL, "subjects %s overlap those of stream %s",
                              cfg->subject, store->streams[i]->name);
            goto out;
        }
    if (!s) {
        if (store->n_streams == MAX_STREAMS) {
            rc = wc_error_set(err, WC_EAGAIN, "the in-process bus keeps at most %d streams",
                              MAX_STREAMS);
            goto out;
        }
        s = calloc(1, sizeof *s);
        if (!s || !(s->subject = strdup(cfg->subject))) {
            free(s);
            rc = wc_error_set(err, WC_ENOMEM, "out of memory for stream %s", cfg->name);
            goto out;
        }
        strcpy(s->name, cfg->name);
        store->streams[store->n_streams++] = s;
    }
    s->max_age_ms = cfg->max_age_ms;
    s->max_bytes = cfg->max_bytes;
    s->max_msgs = cfg->max_msgs;
    s->max_per_subject = cfg->max_msgs_per_subject;
    /* new limits apply to what is kept now */
    while (s->count && ((s->max_msgs && s->count > s->max_msgs) ||
                        (s->max_bytes && s->bytes > s->max_bytes)))
        drop_oldest(store, s);
    expire_stream(store, s, wc_monotonic_ms());
out:
    pthread_mutex_unlock(&store->lock);
    return rc;
}

static size_t msg_size(const wc_bus_msg *msg)
{
    size_t size = OVERHEAD + msg->len + strlen(msg->subject);
    for (size_t i = 0; i < msg->header_count; i++)
        size += strlen(msg->headers[i].name) + strlen(msg->headers[i].value) + 4;
    return size;
}

static bool grow_ring(stream *s)
{
    if (s->count < s->cap)
        return true;
    size_t cap = s->cap ? s->cap * 2 : 16;
    stored *ring = malloc(cap * sizeof *ring);
    if (!ring)
        return false;
    for (size_t i = 0; i < s->count; i++)
        ring[i] = s->ring[(s->head + i) % s->cap];
    free(s->ring);
    s->ring = ring;
    s->cap = cap;
    s->head = 0;
    return true;
}

/* The kept sequence of a message with this id within the window, or 0. */
static uint64_t seen_before(const stream *s, const char *id, uint64_t now)
{
    uint64_t window = s->max_age_ms && s->max_age_ms < WC_BUS_DEDUPE_MS ? s->max_age_ms
                                                                        : WC_BUS_DEDUPE_MS;
    for (size_t i = 0; s->seen && id && i < WC_BUS_DEDUPE_IDS; i++)
        if (s->seen[i].id && now - s->seen[i].time_ms < window &&
            strcmp(s->seen[i].id, id) == 0)
            return s->seen[i].seq;
    return 0;
}

static void remember_id(stream *s, const char *id, uint64_t seq, uint64_t now)
{
    if (!s->seen && !(s->seen = calloc(WC_BUS_DEDUPE_IDS, sizeof *s->seen)))
        return; /* out of memory: kept, but not deduplicated */
    seen_id *slot = &s->seen[s->seen_next];
    s->seen_next = (s->seen_next + 1) % WC_BUS_DEDUPE_IDS;
    free(slot->id);
    *slot = (seen_id){strdup(id), seq, now};
}

/* Past max_per_subject, the oldest message of subject gives up its slot
 * (a scan: the in-process store serves one process and its tests). */
static void trim_subject(inproc_store *store, stream *s, const char *subject)
{
    uint64_t kept = 0;
    for (size_t i = s->count; i-- > 0;) {
        stored *at = &s->ring[(s->head + i) % s->cap];
        if (!at->msg || strcmp(at->msg->subject, subject) != 0 || ++kept <= s->max_per_subject)
            continue;
        size_t data = at->size - OVERHEAD; /* the slot itself stays until it is the oldest */
        s->bytes -= data;
        store->bytes -= data;
        at->size = OVERHEAD;
        wc_bus_msg_free(at->msg);
        at->msg = NULL;
    }
}

static int append_locked(inproc_store *store, stream *s, const wc_bus_msg *msg, uint64_t *seq)
{
    const char *id = wc_bus_msg_header(msg, WC_BUS_MSG_ID);
    uint64_t first = seen_before(s, id, wc_monotonic_ms());
    if (first) {
        *seq = first;
        return 1;
    }
    size_t size = msg_size(msg);
    if ((s->max_bytes && size > s->max_bytes) || size > store->max_bytes)
        return WC_ETOOBIG;
    uint64_t now = wc_monotonic_ms();
    expire_stream(store, s, now);
    while (s->count && ((s->max_msgs && s->count + 1 > s->max_msgs) ||
                        (s->max_bytes && s->bytes + size > s->max_bytes) ||
                        store->bytes + size > store->max_bytes))
        drop_oldest(store, s);
    if (store->bytes + size > store->max_bytes)
        return WC_ENOSPC;
    if (!grow_ring(s))
        return WC_ENOMEM;
    wc_bus_msg *copy = wc_bus_msg_copy(msg);
    if (!copy)
        return WC_ENOMEM;
    copy->reply = NULL;
    copy->sequence = ++s->last_seq;
    s->ring[(s->head + s->count) % s->cap] = (stored){copy, now, size};
    s->count++;
    s->bytes += size;
    store->bytes += size;
    *seq = copy->sequence;
    if (id)
        remember_id(s, id, copy->sequence, now);
    if (s->max_per_subject)
        trim_subject(store, s, copy->subject);
    return 1;
}

int inproc_store_capture(inproc_store *store, const wc_bus_msg *msg, uint64_t *sequence)
{
    pthread_mutex_lock(&store->lock);
    int rc = 0;
    for (size_t i = 0; i < store->n_streams; i++)
        if (wc_bus_subject_matches(store->streams[i]->subject, msg->subject)) {
            rc = append_locked(store, store->streams[i], msg, sequence);
            break;
        }
    pthread_mutex_unlock(&store->lock);
    return rc;
}

int inproc_stream_bounds(inproc_store *store, const char *name, uint64_t *first,
                         uint64_t *last, wc_error *err)
{
    pthread_mutex_lock(&store->lock);
    stream *s = find_stream(store, name);
    if (s) {
        expire_stream(store, s, wc_monotonic_ms());
        *first = s->count ? first_seq(s) : s->last_seq + 1;
        *last = s->last_seq;
        if (*last == 0)
            *first = 0;
    }
    pthread_mutex_unlock(&store->lock);
    return s ? 0 : wc_error_set(err, WC_ENOTFOUND, "no stream %s", name);
}

int inproc_stream_read(inproc_store *store, const char *name, const char *subject,
                       uint64_t from_seq, size_t max_msgs, wc_bus_stream_fn fn, void *ctx,
                       wc_error *err)
{
    size_t total = 0;
    uint64_t next = from_seq;
    for (;;) {
        wc_bus_msg *batch[READ_BATCH];
        size_t n = 0;
        pthread_mutex_lock(&store->lock);
        stream *s = find_stream(store, name);
        if (!s) {
            pthread_mutex_unlock(&store->lock);
            return wc_error_set(err, WC_ENOTFOUND, "no stream %s", name);
        }
        expire_stream(store, s, wc_monotonic_ms());
        if (next < first_seq(s))
            next = first_seq(s);
        int rc = 0;
        while (n < READ_BATCH && total + n < max_msgs && next <= s->last_seq) {
            const stored *at = &s->ring[(s->head + (next - first_seq(s))) % s->cap];
            next++;
            if (!at->msg || (subject && strcmp(at->msg->subject, subject) != 0))
                continue;
            if (!(batch[n] = wc_bus_msg_copy(at->msg))) {
                rc = WC_ENOMEM;
                break;
            }
            n++;
        }
        bool more = next <= s->last_seq;
        pthread_mutex_unlock(&store->lock);
        bool stop = false;
        for (size_t i = 0; i < n && rc == 0 && !stop; i++) {
            total++;
            stop = fn(ctx, batch[i]) != 0;
        }
        for (size_t i = 0; i < n; i++)
            wc_bus_msg_free(batch[i]);
        if (rc < 0)
            return wc_error_set(err, rc, "out of memory reading stream %s", name);
        if (stop || !more || total >= max_msgs)
            return (int)(total > INT32_MAX ? INT32_MAX : total);
    }
}

/* --- KV buckets --- */

static bucket *find_bucket(inproc_store *store, const char *name)
{
    for (size_t i = 0; i < store->n_buckets; i++)
        if (strcmp(store->buckets[i]->name, name) == 0)
            return store->buckets[i];
    return NULL;
}

int inproc_kv_ensure(inproc_store *store, const wc_bus_kv_config *cfg, wc_error *err)
{
    pthread_mutex_lock(&store->lock);
    int rc = 0;
    if (!find_bucket(store, cfg->bucket)) {
        bucket *b = store->n_buckets < MAX_BUCKETS ? calloc(1, sizeof *b) : NULL;
        if (!b) {
            rc = store->n_buckets < MAX_BUCKETS
                     ? wc_error_set(err, WC_ENOMEM, "out of memory for bucket %s", cfg->bucket)
                     : wc_error_set(err, WC_EAGAIN, "the in-process bus keeps at most %d buckets",
                                    MAX_BUCKETS);
        } else {
            strcpy(b->name, cfg->bucket);
            b->max_bytes = cfg->max_bytes;
            b->max_value_size = cfg->max_value_size;
            b->ttl_ms = cfg->ttl_ms;
            store->buckets[store->n_buckets++] = b;
        }
    }
    pthread_mutex_unlock(&store->lock);
    return rc;
}

/* The index of key in b, or of where it would go (*found false). */
static size_t find_key(const bucket *b, const char *key, bool *found)
{
    size_t lo = 0, hi = b->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(b->entries[mid].key, key);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static size_t entry_size(const entry *e)
{
    return OVERHEAD + strlen(e->key) + e->len;
}

static void remove_entry(inproc_store *store, bucket *b, size_t i)
{
    size_t size = entry_size(&b->entries[i]);
    b->bytes -= size;
    store->bytes -= size;
    entry_free(&b->entries[i]);
    memmove(&b->entries[i], &b->entries[i + 1], (b->n - i - 1) * sizeof *b->entries);
    b->n--;
}

static bool expired(const bucket *b, const entry *e, uint64_t now_ms)
{
    return b->ttl_ms && now_ms - e->time_ms >= b->ttl_ms;
}

/* The bucket, locked, or NULL (unlocked) with err set. */
static bucket *lock_bucket(inproc_store *store, const char *name, wc_error *err)
{
    pthread_mutex_lock(&store->lock);
    bucket *b = find_bucket(store, name);
    if (!b) {
        pthread_mutex_unlock(&store->lock);
        wc_error_set(err, WC_ENOTFOUND, "no bucket %s", name);
    }
    return b;
}

/* WC_ECONFLICT (err set) unless the key's revision is *expected (NULL:
 * no condition; an absent or expired key is revision 0). */
static int check_expected(const bucket *b, size_t i, bool found, const char *key,
                          const uint64_t *expected, wc_error *err)
{
    if (!expected)
        return 0;
    uint64_t now = wc_monotonic_ms();
    uint64_t current = found && !expired(b, &b->entries[i], now) ? b->entries[i].revision : 0;
    if (current == *expected)
        return 0;
    return wc_error_set(err, WC_ECONFLICT, "key %s of bucket %s is at revision %llu, not %llu",
                        key, b->name, (unsigned long long)current,
                        (unsigned long long)*expected);
}

int inproc_kv_put(inproc_store *store, const char *name, const char *key, const void *value,
                  size_t len, const uint64_t *expected, uint64_t *revision, wc_error *err)
{
    bucket *b = lock_bucket(store, name, err);
    if (!b)
        return WC_ENOTFOUND;
    int rc = 0;
    if (b->max_value_size && len > b->max_value_size) {
        rc = wc_error_set(err, WC_ETOOBIG, "a value of %zu bytes (bucket %s takes at most %u)",
                          len, name, b->max_value_size);
        goto out;
    }
    bool found;
    size_t i = find_key(b, key, &found);
    if ((rc = check_expected(b, i, found, key, expected, err)) < 0)
        goto out;
    size_t old = found ? entry_size(&b->entries[i]) : 0;
    size_t size = OVERHEAD + strlen(key) + len;
    if ((b->max_bytes && b->bytes - old + size > b->max_bytes) ||
        store->bytes - old + size > store->max_bytes) {
        rc = wc_error_set(err, WC_ENOSPC, "bucket %s is full", name);
        goto out;
    }
    void *copy = malloc(len + 1);
    char *key_copy = found ? NULL : strdup(key);
    if (!copy || (!found && !key_copy) ||
        (!found && !wc_grow((void **)&b->entries, &b->cap, b->n + 1, sizeof *b->entries))) {
        free(copy);
        free(key_copy);
        rc = wc_error_set(err, WC_ENOMEM, "out of memory for a value");
        goto out;
    }
    if (len)
        memcpy(copy, value, len);
    ((char *)copy)[len] = '\0';
    if (found) {
        free(b->entries[i].value);
    } else {
        memmove(&b->entries[i + 1], &b->entries[i], (b->n - i) * sizeof *b->entries);
        b->n++;
        b->entries[i].key = key_copy;
    }
    b->entries[i].value = copy;
    b->entries[i].len = len;
    b->entries[i].revision = ++b->revision;
    b->entries[i].time_ms = wc_monotonic_ms();
    b->bytes += size - old;
    store->bytes += size - old;
    if (revision)
        *revision = b->revision;
out:
    pthread_mutex_unlock(&store->lock);
    return rc;
}

int inproc_kv_get(inproc_store *store, const char *name, const char *key, void **value,
                  size_t *len, uint64_t *revision, wc_error *err)
{
    bucket *b = lock_bucket(store, name, err);
    if (!b)
        return WC_ENOTFOUND;
    bool found;
    size_t i = find_key(b, key, &found);
    if (found && expired(b, &b->entries[i], wc_monotonic_ms())) {
        remove_entry(store, b, i);
        found = false;
    }
    int rc = 0;
    if (!found) {
        rc = wc_error_set(err, WC_ENOTFOUND, "no key %s in bucket %s", key, name);
    } else if (!(*value = malloc(b->entries[i].len + 1))) {
        rc = wc_error_set(err, WC_ENOMEM, "out of memory for a value");
    } else {
        memcpy(*value, b->entries[i].value, b->entries[i].len + 1);
        *len = b->entries[i].len;
        if (revision)
            *revision = b->entries[i].revision;
    }
    pthread_mutex_unlock(&store->lock);
    return rc;
}

int inproc_kv_delete(inproc_store *store, const char *name, const char *key,
                     const uint64_t *expected, wc_error *err)
{
    bucket *b = lock_bucket(store, name, err);
    if (!b)
        return WC_ENOTFOUND;
    bool found;
    size_t i = find_key(b, key, &found);
    int rc = check_expected(b, i, found, key, expected, err);
    if (rc == 0 && found) {
        remove_entry(store, b, i);
        b->revision++; /* a delete is a revision in JetStream too */
    }
    pthread_mutex_unlock(&store->lock);
    return rc;
}

int inproc_kv_keys(inproc_store *store, const char *name, const char *prefix, size_t max_keys,
                   wc_bus_key_fn fn, void *ctx, wc_error *err)
{
    size_t total = 0, plen = strlen(prefix);
    char *after = NULL; /* the last key handed out */
    for (;;) {
        char *batch[KEYS_BATCH];
        size_t n = 0;
        bucket *b = lock_bucket(store, name, err);
        if (!b) {
            free(after);
            return WC_ENOTFOUND;
        }
        bool found;
        size_t i = find_key(b, after ? after : prefix, &found);
        if (after && found)
            i++;
        uint64_t now = wc_monotonic_ms();
        int rc = 0;
        for (; i < b->n && n < KEYS_BATCH && total + n < max_keys; i++) {
            const entry *e = &b->entries[i];
            if (strncmp(e->key, prefix, plen) != 0)
                break; /* sorted: no later key has the prefix */
            if (expired(b, e, now))
                continue;
            if (!(batch[n] = strdup(e->key))) {
                rc = WC_ENOMEM;
                break;
            }
            n++;
        }
        bool more = i < b->n && strncmp(b->entries[i].key, prefix, plen) == 0;
        pthread_mutex_unlock(&store->lock);
        bool stop = false;
        for (size_t k = 0; k < n && rc == 0 && !stop; k++) {
            total++;
            stop = fn(ctx, batch[k]) != 0;
        }
        free(after);
        after = n ? batch[n - 1] : NULL;
        for (size_t k = 0; k + 1 < n; k++)
            free(batch[k]);
        if (rc < 0) {
            free(after);
            return wc_error_set(err, rc, "out of memory listing bucket %s", name);
        }
        if (stop || !more || total >= max_keys || !after) {
            free(after);
            return (int)(total > INT32_MAX ? INT32_MAX : total);
        }
    }
}
