/* inproc.c -- the in-process bus: NATS's publish/subscribe/request
 * semantics between the threads of one process, no server.
 *
 * Each subscription owns a bounded queue and a delivery thread (as each
 * libnats asynchronous subscription does), so a slow handler holds up
 * only its own messages and a full queue drops only for it.  A published
 * message is copied once and shared, reference-counted, by every queue it
 * lands in.  A request waits on a reply inbox that publish recognises by
 * its prefix and answers directly, without a subscription. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus/inproc.h"
#include "util/clock.h"

/* A published message shared by the queues it was put in. */
typedef struct shared_msg {
    atomic_int refs;
    size_t size; /* what it counts against a queue's byte limit */
    wc_bus_msg *msg;
} shared_msg;

typedef struct inproc_bus inproc_bus;

typedef struct inproc_sub {
    wc_bus_sub base;
    inproc_bus *owner;
    char *subject, *group;
    wc_bus_handler handler;
    void *ctx;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    shared_msg **ring; /* grows by doubling up to sub_max_msgs */
    uint32_t cap, head, count;
    size_t bytes;
    bool receiving;    /* publish may queue here (false once drained or ending) */
    bool stopping;     /* the thread leaves once the queue is empty, */
    bool discard;      /* or at once, dropping what is queued */
    bool self_free;    /* ended from its own handler: the thread frees it */
    atomic_uint_fast64_t dropped;
    struct inproc_sub *next;
} inproc_sub;

typedef struct waiter {
    char inbox[64];
    wc_bus_msg *reply;
    bool answered;
    struct waiter *next;
} waiter;

struct inproc_bus {
    wc_bus base;
    pthread_rwlock_t subs_lock; /* subs, n_subs, draining */
    inproc_sub *subs;
    size_t n_subs;
    bool draining;
    atomic_uint group_turn; /* which member of a queue group is next */

    pthread_mutex_t threads_lock;
    pthread_cond_t threads_idle;
    size_t running_threads; /* delivery threads still delivering */

    pthread_mutex_t req_lock;
    pthread_cond_t req_done;
    waiter *waiters;
    size_t n_waiters;
    uint64_t next_inbox;
    bool closing;
    char inbox_prefix[32];

    inproc_store *store;
};

static const wc_bus_ops inproc_ops;

/* The subscription whose handler this thread is running, for an
 * unsubscribe from inside it. */
static __thread inproc_sub *running_sub;

static void shared_unref(shared_msg *m)
{
    if (atomic_fetch_sub(&m->refs, 1) == 1) {
        wc_bus_msg_free(m->msg);
        free(m);
    }
}

static void deadline_timespec(uint64_t deadline_ns, struct timespec *ts)
{
    ts->tv_sec = (time_t)(deadline_ns / 1000000000u);
    ts->tv_nsec = (long)(deadline_ns % 1000000000u);
}

static void cond_init_monotonic(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
}

/* --- subscriptions and their delivery threads --- */

static void sub_free(inproc_sub *sub)
{
    for (uint32_t i = 0; i < sub->count; i++)
        shared_unref(sub->ring[(sub->head + i) % sub->cap]);
    free(sub->ring);
    pthread_mutex_destroy(&sub->lock);
    pthread_cond_destroy(&sub->wake);
    free(sub->subject);
    free(sub->group);
    free(sub);
}

static void *sub_main(void *arg)
{
    inproc_sub *sub = arg;
    inproc_bus *bus = sub->owner;
    pthread_mutex_lock(&sub->lock);
    for (;;) {
        while (sub->count == 0 && !sub->stopping)
            pthread_cond_wait(&sub->wake, &sub->lock);
        if (sub->discard || (sub->stopping && sub->count == 0))
            break;
        shared_msg *m = sub->ring[sub->head];
        sub->head = (sub->head + 1) % sub->cap;
        sub->count--;
        sub->bytes -= m->size;
        pthread_mutex_unlock(&sub->lock);
        running_sub = sub;
        sub->handler(sub->ctx, m->msg);
        running_sub = NULL;
        atomic_fetch_add(&bus->base.delivered, 1);
        shared_unref(m);
        pthread_mutex_lock(&sub->lock);
    }
    bool self_free = sub->self_free;
    pthread_mutex_unlock(&sub->lock);
    pthread_mutex_lock(&bus->threads_lock);
    bus->running_threads--;
    pthread_cond_broadcast(&bus->threads_idle);
    pthread_mutex_unlock(&bus->threads_lock);
    if (self_free)
        sub_free(sub);
    return NULL;
}

/* Queues m for sub, or drops and counts it when sub's queue is full. */
static void sub_offer(inproc_sub *sub, shared_msg *m)
{
    const wc_bus_config *lim = &sub->owner->base.limits;
    pthread_mutex_lock(&sub->lock);
    bool full = sub->count >= lim->sub_max_msgs || sub->bytes + m->size > lim->sub_max_bytes;
    if (!full && sub->count == sub->cap) {
        uint32_t cap = sub->cap * 2 > lim->sub_max_msgs ? lim->sub_max_msgs : sub->cap * 2;
        shared_msg **ring = malloc(cap * sizeof *ring);
        if (ring) {
            for (uint32_t i = 0; i < sub->count; i++)
                ring[i] = sub->ring[(sub->head + i) % sub->cap];
            free(sub->ring);
            sub->ring = ring;
            sub->cap = cap;
            sub->head = 0;
        } else {
            full = true;
        }
    }
    if (!sub->receiving) {
        pthread_mutex_unlock(&sub->lock);
        return;
    }
    if (full) {
        pthread_mutex_unlock(&sub->lock);
        atomic_fetch_add(&sub->dropped, 1);
        atomic_fetch_add(&sub->owner->base.dropped, 1);
        return;
    }
    atomic_fetch_add(&m->refs, 1);
    sub->ring[(sub->head + sub->count) % sub->cap] = m;
    sub->count++;
    sub->bytes += m->size;
    pthread_cond_signal(&sub->wake);
    pthread_mutex_unlock(&sub->lock);
}

static int inproc_subscribe(wc_bus *base, const char *subject, const char *group,
                            wc_bus_handler handler, void *ctx, wc_bus_sub **out)
{
    inproc_bus *bus = (inproc_bus *)base;
    inproc_sub *sub = calloc(1, sizeof *sub);
    if (!sub)
        return WC_ENOMEM;
    sub->base.bus = base;
    sub->owner = bus;
    sub->subject = strdup(subject);
    sub->group = group ? strdup(group) : NULL;
    sub->handler = handler;
    sub->ctx = ctx;
    sub->cap = base->limits.sub_max_msgs < 64 ? base->limits.sub_max_msgs : 64;
    sub->receiving = true;
    atomic_init(&sub->dropped, 0);
    sub->ring = malloc(sub->cap * sizeof *sub->ring);
    pthread_mutex_init(&sub->lock, NULL);
    pthread_cond_init(&sub->wake, NULL);
    if (!sub->subject || (group && !sub->group) || !sub->ring) {
        sub_free(sub);
        return WC_ENOMEM;
    }
    pthread_rwlock_wrlock(&bus->subs_lock);
    int rc = 0;
    if (bus->draining)
        rc = WC_ECANCELED;
    else if (bus->n_subs >= base->limits.max_subscriptions)
        rc = WC_EAGAIN;
    if (rc == 0) {
        pthread_mutex_lock(&bus->threads_lock);
        bus->running_threads++;
        pthread_mutex_unlock(&bus->threads_lock);
        rc = -pthread_create(&sub->thread, NULL, sub_main, sub);
        if (rc < 0) {
            pthread_mutex_lock(&bus->threads_lock);
            bus->running_threads--;
            pthread_mutex_unlock(&bus->threads_lock);
        }
    }
    if (rc < 0) {
        pthread_rwlock_unlock(&bus->subs_lock);
        sub_free(sub);
        return rc;
    }
    sub->next = bus->subs;
    bus->subs = sub;
    bus->n_subs++;
    pthread_rwlock_unlock(&bus->subs_lock);
    *out = &sub->base;
    return 0;
}

static void unlink_sub(inproc_bus *bus, inproc_sub *sub)
{
    pthread_rwlock_wrlock(&bus->subs_lock);
    for (inproc_sub **at = &bus->subs; *at; at = &(*at)->next)
        if (*at == sub) {
            *at = sub->next;
            bus->n_subs--;
            break;
        }
    pthread_rwlock_unlock(&bus->subs_lock);
}

/* Stops sub's thread and frees sub; sub is no longer on the bus's list. */
static void end_sub(inproc_sub *sub)
{
    pthread_mutex_lock(&sub->lock);
    sub->receiving = false;
    sub->stopping = true;
    sub->discard = true;
    if (running_sub == sub) {
        /* the thread is in this handler: it frees sub when it returns */
        sub->self_free = true;
        pthread_detach(sub->thread);
        pthread_mutex_unlock(&sub->lock);
        return;
    }
    pthread_cond_signal(&sub->wake);
    pthread_mutex_unlock(&sub->lock);
    pthread_join(sub->thread, NULL);
    sub_free(sub);
}

static void inproc_unsubscribe(wc_bus_sub *base)
{
    inproc_sub *sub = (inproc_sub *)base;
    unlink_sub(sub->owner, sub);
    end_sub(sub);
}

static uint64_t inproc_sub_dropped(const wc_bus_sub *base)
{
    return atomic_load(&((const inproc_sub *)base)->dropped);
}

/* --- publish --- */

/* Hands a reply to the request waiting on its inbox.  Returns whether one
 * was waiting. */
static bool answer_waiter(inproc_bus *bus, const wc_bus_msg *msg)
{
    size_t n = strlen(bus->inbox_prefix);
    if (strncmp(msg->subject, bus->inbox_prefix, n) != 0)
        return false;
    bool found = false;
    pthread_mutex_lock(&bus->req_lock);
    for (waiter *w = bus->waiters; w; w = w->next) {
        if (strcmp(w->inbox, msg->subject) != 0)
            continue;
        found = true;
        if (!w->answered) { /* the first answer wins, as in NATS */
            w->reply = wc_bus_msg_copy(msg);
            w->answered = true;
            pthread_cond_broadcast(&bus->req_done);
        }
        break;
    }
    pthread_mutex_unlock(&bus->req_lock);
    return found;
}

/* Of the matching members of each queue group, one gets m: the group's
 * members are taken in turn.  members[] holds the matching group members;
 * a member already served has its slot set to NULL. */
static void offer_groups(inproc_bus *bus, inproc_sub **members, size_t n, shared_msg *m)
{
    for (size_t i = 0; i < n; i++) {
        if (!members[i])
            continue;
        size_t count = 0;
        for (size_t j = i; j < n; j++)
            if (members[j] && strcmp(members[j]->group, members[i]->group) == 0)
                count++;
        size_t pick = atomic_fetch_add(&bus->group_turn, 1) % count;
        const char *group = members[i]->group;
        inproc_sub *chosen = NULL;
        for (size_t j = i, k = 0; j < n; j++) {
            if (!members[j] || strcmp(members[j]->group, group) != 0)
                continue;
            if (k++ == pick)
                chosen = members[j];
            if (j != i)
                members[j] = NULL;
        }
        members[i] = NULL;
        sub_offer(chosen, m);
    }
}

/* Puts msg in every queue it goes to.  Returns how many subscriptions (and
 * a waiting request) it matched, the ones whose full queue dropped it
 * included, or WC_ENOMEM. */
static int deliver(inproc_bus *bus, const wc_bus_msg *msg)
{
    int matched = answer_waiter(bus, msg) ? 1 : 0;
    shared_msg *m = malloc(sizeof *m);
    wc_bus_msg *copy = m ? wc_bus_msg_copy(msg) : NULL;
    if (!copy) {
        free(m);
        return WC_ENOMEM;
    }
    copy->sequence = 0;
    atomic_init(&m->refs, 1);
    m->msg = copy;
    m->size = msg->len + strlen(msg->subject);
    inproc_sub *stack_members[64], **members = stack_members;
    size_t n_members = 0;
    pthread_rwlock_rdlock(&bus->subs_lock);
    if (bus->n_subs > 64) {
        members = malloc(bus->n_subs * sizeof *members);
        if (!members) {
            pthread_rwlock_unlock(&bus->subs_lock);
            shared_unref(m);
            return WC_ENOMEM;
        }
    }
    for (inproc_sub *s = bus->subs; s; s = s->next) {
        if (!wc_bus_subject_matches(s->subject, msg->subject))
            continue;
        matched++;
        if (s->group)
            members[n_members++] = s;
        else
            sub_offer(s, m);
    }
    offer_groups(bus, members, n_members, m);
    pthread_rwlock_unlock(&bus->subs_lock);
    if (members != stack_members)
        free(members);
    shared_unref(m);
    return matched;
}

static int publish_counted(inproc_bus *bus, const wc_bus_msg *msg)
{
    pthread_mutex_lock(&bus->req_lock);
    bool closing = bus->closing;
    pthread_mutex_unlock(&bus->req_lock);
    if (closing)
        return WC_ECANCELED;
    int matched = deliver(bus, msg);
    if (matched >= 0)
        atomic_fetch_add(&bus->base.published, 1);
    return matched;
}

static int inproc_publish(wc_bus *base, const wc_bus_msg *msg)
{
    inproc_bus *bus = (inproc_bus *)base;
    int rc = publish_counted(bus, msg);
    if (rc < 0)
        return rc;
    uint64_t seq;
    /* a stream keeps what is published on its subjects, as JetStream does;
     * the publisher of a plain publish is not told when it could not */
    inproc_store_capture(bus->store, msg, &seq);
    return 0;
}

/* --- request --- */

static int inproc_request(wc_bus *base, const wc_bus_msg *request, uint32_t timeout_ms,
                          const wc_cancel_token *cancel, wc_bus_msg **reply, wc_error *err)
{
    inproc_bus *bus = (inproc_bus *)base;
    waiter w = {0};
    pthread_mutex_lock(&bus->req_lock);
    if (bus->closing) {
        pthread_mutex_unlock(&bus->req_lock);
        return wc_error_set(err, WC_ECANCELED, "the bus is closing");
    }
    if (bus->n_waiters >= base->limits.max_requests) {
        pthread_mutex_unlock(&bus->req_lock);
        return wc_error_set(err, WC_EAGAIN, "%zu requests are already waiting",
                            base->limits.max_requests);
    }
    snprintf(w.inbox, sizeof w.inbox, "%s%llu", bus->inbox_prefix,
             (unsigned long long)++bus->next_inbox);
    w.next = bus->waiters;
    bus->waiters = &w;
    bus->n_waiters++;
    pthread_mutex_unlock(&bus->req_lock);

    wc_bus_msg out = *request;
    out.reply = w.inbox;
    uint64_t deadline = wc_monotonic_deadline_ns(timeout_ms);
    int matched = publish_counted(bus, &out);

    pthread_mutex_lock(&bus->req_lock);
    bool cancelled = false;
    if (matched > 0) {
        /* with a token, in slices: a cancel does not signal req_done */
        const uint64_t slice = (uint64_t)WC_BUS_CANCEL_POLL_MS * 1000000u;
        while (!w.answered && !bus->closing) {
            if (cancel && (cancelled = wc_cancel_token_cancelled(cancel)))
                break;
            uint64_t now = wc_monotonic_ns(), until = deadline;
            if (now >= deadline)
                break;
            if (cancel && deadline - now > slice)
                until = now + slice;
            struct timespec ts;
            deadline_timespec(until, &ts);
            int wait = pthread_cond_timedwait(&bus->req_done, &bus->req_lock, &ts);
            if (wait != 0 && wait != ETIMEDOUT)
                break;
        }
    }
    for (waiter **at = &bus->waiters; *at; at = &(*at)->next)
        if (*at == &w) {
            *at = w.next;
            break;
        }
    bus->n_waiters--;
    bool closing = bus->closing;
    pthread_cond_broadcast(&bus->req_done); /* close waits for the last waiter to leave */
    pthread_mutex_unlock(&bus->req_lock);

    if (w.answered && !w.reply)
        return wc_error_set(err, WC_ENOMEM, "out of memory for the reply");
    if (w.reply) {
        *reply = w.reply;
        return 0;
    }
    if (matched < 0)
        return wc_error_set(err, matched, "request to %s: %s", request->subject,
                            wc_strerror(matched));
    if (matched == 0)
        return wc_error_set(err, WC_ENORESPONDERS, "no responders on %s", request->subject);
    if (cancelled)
        return wc_error_set(err, WC_ECANCELED, "request to %s: cancelled", request->subject);
    if (closing)
        return wc_error_set(err, WC_ECANCELED, "the bus closed before %s answered",
                            request->subject);
    return wc_error_set(err, WC_ETIMEDOUT, "%s did not answer within %u ms", request->subject,
                        timeout_ms);
}

/* --- drain, close --- */

static int wait_threads_idle(inproc_bus *bus, uint64_t deadline_ns)
{
    struct timespec ts;
    deadline_timespec(deadline_ns, &ts);
    int rc = 0;
    pthread_mutex_lock(&bus->threads_lock);
    while (bus->running_threads > 0 && rc == 0)
        if (pthread_cond_timedwait(&bus->threads_idle, &bus->threads_lock, &ts) != 0)
            rc = WC_ETIMEDOUT;
    pthread_mutex_unlock(&bus->threads_lock);
    return rc;
}

static int inproc_drain(wc_bus *base, uint32_t timeout_ms)
{
    inproc_bus *bus = (inproc_bus *)base;
    uint64_t deadline = wc_monotonic_deadline_ns(timeout_ms);
    pthread_rwlock_wrlock(&bus->subs_lock);
    bus->draining = true;
    for (inproc_sub *s = bus->subs; s; s = s->next) {
        pthread_mutex_lock(&s->lock);
        s->receiving = false;
        s->stopping = true;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
    }
    pthread_rwlock_unlock(&bus->subs_lock);
    return wait_threads_idle(bus, deadline);
}

static void inproc_close(wc_bus *base)
{
    inproc_bus *bus = (inproc_bus *)base;
    pthread_mutex_lock(&bus->req_lock);
    bus->closing = true;
    pthread_cond_broadcast(&bus->req_done);
    while (bus->n_waiters > 0)
        pthread_cond_wait(&bus->req_done, &bus->req_lock);
    pthread_mutex_unlock(&bus->req_lock);

    pthread_rwlock_wrlock(&bus->subs_lock);
    bus->draining = true;
    inproc_sub *subs = bus->subs;
    bus->subs = NULL;
    bus->n_subs = 0;
    pthread_rwlock_unlock(&bus->subs_lock);
    while (subs) {
        inproc_sub *next = subs->next;
        end_sub(subs);
        subs = next;
    }
    /* threads of subscriptions that ended themselves free them as they go */
    wait_threads_idle(bus, UINT64_MAX);

    inproc_store_free(bus->store);
    pthread_rwlock_destroy(&bus->subs_lock);
    pthread_mutex_destroy(&bus->threads_lock);
    pthread_cond_destroy(&bus->threads_idle);
    pthread_mutex_destroy(&bus->req_lock);
    pthread_cond_destroy(&bus->req_done);
    free(bus);
}

static wc_bus_state inproc_state(const wc_bus *base)
{
    return WC_BUS_CONNECTED;
}

/* --- the store's operations (inproc_store.c) --- */

static int inproc_stream_append(wc_bus *base, const wc_bus_msg *msg, uint64_t *sequence,
                                wc_error *err)
{
    inproc_bus *bus = (inproc_bus *)base;
    uint64_t seq = 0;
    int kept = inproc_store_capture(bus->store, msg, &seq);
    if (kept == 0)
        return wc_error_set(err, WC_ENOTFOUND, "no stream keeps subject %s", msg->subject);
    if (kept < 0)
        return wc_error_set(err, kept, "stream append on %s: %s", msg->subject,
                            kept == WC_ENOSPC ? "the in-process store is full"
                                              : wc_strerror(kept));
    int rc = publish_counted(bus, msg);
    if (rc < 0)
        return wc_error_set(err, rc, "stream append on %s: %s", msg->subject, wc_strerror(rc));
    if (sequence)
        *sequence = seq;
    return 0;
}

#define STORE_OP(name, params, args)                                                          \
    static int inproc_op_##name params                                                         \
    {                                                                                          \
        return inproc_##name args;                                                             \
    }
STORE_OP(stream_ensure, (wc_bus *b, const wc_bus_stream_config *cfg, wc_error *err),
         (((inproc_bus *)b)->store, cfg, err))
STORE_OP(stream_read,
         (wc_bus *b, const char *stream, uint64_t from, size_t max, wc_bus_stream_fn fn,
          void *ctx, wc_error *err),
         (((inproc_bus *)b)->store, stream, NULL, from, max, fn, ctx, err))
STORE_OP(stream_bounds,
         (wc_bus *b, const char *stream, uint64_t *first, uint64_t *last, wc_error *err),
         (((inproc_bus *)b)->store, stream, first, last, err))
static int inproc_op_stream_read_subject(wc_bus *b, const char *stream, const char *subject,
                                         uint64_t from, size_t max, wc_bus_stream_fn fn,
                                         void *ctx, wc_error *err)
{
    return inproc_stream_read(((inproc_bus *)b)->store, stream, subject, from, max, fn, ctx, err);
}
STORE_OP(kv_ensure, (wc_bus *b, const wc_bus_kv_config *cfg, wc_error *err),
         (((inproc_bus *)b)->store, cfg, err))
STORE_OP(kv_put,
         (wc_bus *b, const char *bucket, const char *key, const void *value, size_t len,
          const uint64_t *expected, uint64_t *revision, wc_error *err),
         (((inproc_bus *)b)->store, bucket, key, value, len, expected, revision, err))
STORE_OP(kv_get,
         (wc_bus *b, const char *bucket, const char *key, void **value, size_t *len,
          uint64_t *revision, wc_error *err),
         (((inproc_bus *)b)->store, bucket, key, value, len, revision, err))
STORE_OP(kv_delete,
         (wc_bus *b, const char *bucket, const char *key, const uint64_t *expected, wc_error *err),
         (((inproc_bus *)b)->store, bucket, key, expected, err))
STORE_OP(kv_keys,
         (wc_bus *b, const char *bucket, const char *prefix, size_t max, wc_bus_key_fn fn,
          void *ctx, wc_error *err),
         (((inproc_bus *)b)->store, bucket, prefix, max, fn, ctx, err))

static const wc_bus_ops inproc_ops = {
    .kind = "inproc",
    .state = inproc_state,
    .publish = inproc_publish,
    .subscribe = inproc_subscribe,
    .unsubscribe = inproc_unsubscribe,
    .sub_dropped = inproc_sub_dropped,
    .request = inproc_request,
    .drain = inproc_drain,
    .close = inproc_close,
    .stream_ensure = inproc_op_stream_ensure,
    .stream_append = inproc_stream_append,
    .stream_read = inproc_op_stream_read,
    .stream_read_subject = inproc_op_stream_read_subject,
    .stream_bounds = inproc_op_stream_bounds,
    .kv_ensure = inproc_op_kv_ensure,
    .kv_put = inproc_op_kv_put,
    .kv_get = inproc_op_kv_get,
    .kv_delete = inproc_op_kv_delete,
    .kv_keys = inproc_op_kv_keys,
};

int wc_bus_inproc_open(const wc_bus_config *cfg, wc_bus **out, wc_error *err)
{
    inproc_bus *bus = calloc(1, sizeof *bus);
    if (!bus)
        return wc_error_set(err, WC_ENOMEM, "out of memory for the bus");
    bus->store = inproc_store_new(cfg->store_max_bytes);
    if (!bus->store) {
        free(bus);
        return wc_error_set(err, WC_ENOMEM, "out of memory for the bus");
    }
    wc_bus_base_init(&bus->base, &inproc_ops, cfg);
    pthread_rwlock_init(&bus->subs_lock, NULL);
    pthread_mutex_init(&bus->threads_lock, NULL);
    cond_init_monotonic(&bus->threads_idle);
    pthread_mutex_init(&bus->req_lock, NULL);
    cond_init_monotonic(&bus->req_done);
    /* the bus's own address in the inbox, so two buses never share one */
    snprintf(bus->inbox_prefix, sizeof bus->inbox_prefix, "_INBOX.%llx.",
             (unsigned long long)(uintptr_t)bus ^ (unsigned long long)wc_monotonic_ns());
    *out = &bus->base;
    return 0;
}
