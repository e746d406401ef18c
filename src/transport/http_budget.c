/* http_budget.c -- the bytes the server keeps on behalf of each client
 * (http.max_client_bytes): request bodies whose calls are in flight and
 * the event logs kept for replay, summed over all the client's sessions.
 * A client is its principal with auth, else its address.
 *
 * Everything here runs on the loop thread.  A session holds a reference to
 * its client's budget from creation to destroy, so that charging it is
 * plain additions; a budget is freed when its last session is.
 *
 * When a new request would take a client over its budget, the event logs
 * of its finished streams whose every event went out once are dropped,
 * oldest first (their replay is lost, never an answer not yet sent); if
 * that is not enough, the request is refused (429).
 */
#include "transport/http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#define INITIAL_BUCKETS 256

struct http_budget {
    char key[HTTP_BUDGET_KEY_MAX + 1];
    size_t bytes;
    unsigned refs;                          /* sessions charging it */
    sse_stream *replay_head, *replay_tail;  /* droppable logs, oldest first */
    http_budget *hash_next;
};

static size_t bucket_of(const http_server *srv, const char *key)
{
    unsigned long long h = 1469598103934665603ull;
    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return (size_t)(h & (srv->budget_nbuckets - 1));
}

int http_budgets_init(http_server *srv)
{
    srv->budget_nbuckets = INITIAL_BUCKETS;
    srv->budget_buckets = calloc(srv->budget_nbuckets, sizeof *srv->budget_buckets);
    return srv->budget_buckets ? 0 : -1;
}

void http_budgets_free(http_server *srv)
{
    /* Every session was destroyed before: nothing is left but the table. */
    free(srv->budget_buckets);
    srv->budget_buckets = NULL;
}

static void grow(http_server *srv)
{
    size_t n = srv->budget_nbuckets * 2;
    http_budget **b = calloc(n, sizeof *b);
    if (!b)
        return; /* longer chains, still correct */
    http_budget **old = srv->budget_buckets;
    size_t old_n = srv->budget_nbuckets;
    srv->budget_buckets = b;
    srv->budget_nbuckets = n;
    for (size_t i = 0; i < old_n; i++) {
        for (http_budget *e = old[i], *next; e; e = next) {
            next = e->hash_next;
            size_t j = bucket_of(srv, e->key);
            e->hash_next = b[j];
            b[j] = e;
        }
    }
    free(old);
}

void http_budget_key(const http_server *srv, const char *peer, char key[HTTP_BUDGET_KEY_MAX + 1])
{
    /* The two kinds apart, so that no principal id can pose as an address. */
    if (srv->opt.auth && srv->principal)
        snprintf(key, HTTP_BUDGET_KEY_MAX + 1, "p:%s", srv->principal->id);
    else
        snprintf(key, HTTP_BUDGET_KEY_MAX + 1, "a:%s", peer);
}

http_budget *http_budget_find(const http_server *srv, const char *key)
{
    for (http_budget *e = srv->budget_buckets[bucket_of(srv, key)]; e; e = e->hash_next)
        if (strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

http_budget *http_budget_acquire(http_server *srv, const char *key)
{
    http_budget *e = http_budget_find(srv, key);
    if (!e) {
        e = calloc(1, sizeof *e);
        if (!e)
            return NULL;
        snprintf(e->key, sizeof e->key, "%s", key);
        size_t b = bucket_of(srv, key);
        e->hash_next = srv->budget_buckets[b];
        srv->budget_buckets[b] = e;
        if (++srv->nbudgets > srv->budget_nbuckets)
            grow(srv);
    }
    e->refs++;
    return e;
}

void http_budget_release(http_server *srv, http_budget *e)
{
    if (--e->refs > 0)
        return;
    if (e->bytes != 0 || e->replay_head)
        wc_log(WC_LOG_ERROR, "http", "client budget %s freed with %zu bytes charged", e->key,
               e->bytes); /* a bug in the accounting: the tests look for it */
    http_budget **pp = &srv->budget_buckets[bucket_of(srv, e->key)];
    for (; *pp; pp = &(*pp)->hash_next) {
        if (*pp == e) {
            *pp = e->hash_next;
            break;
        }
    }
    srv->nbudgets--;
    free(e);
}

void http_budget_charge(http_session *s, long long delta)
{
    s->charged += delta;
    s->budget->bytes += (size_t)delta; /* wraps back on the matching release */
    s->server->stats.client_bytes += delta;
}

size_t http_budget_bytes(const http_budget *e)
{
    return e ? e->bytes : 0;
}

size_t http_budget_max_bytes(const http_server *srv)
{
    size_t most = 0;
    for (size_t i = 0; i < srv->budget_nbuckets; i++)
        for (const http_budget *e = srv->budget_buckets[i]; e; e = e->hash_next)
            if (e->bytes > most)
                most = e->bytes;
    return most;
}

/* --- logs that may be dropped --- */

void http_budget_offer_replay(sse_stream *st)
{
    if (st->replay_listed || !st->finished || st->legacy || !st->log || st->conn ||
        st->sent_seq + 1 != st->next_seq)
        return; /* still needed: unfinished, being read, or an event never went out */
    http_budget *e = st->session->budget;
    st->replay_listed = true;
    st->replay_prev = e->replay_tail;
    st->replay_next = NULL;
    if (e->replay_tail)
        e->replay_tail->replay_next = st;
    else
        e->replay_head = st;
    e->replay_tail = st;
}

void http_budget_withdraw_replay(sse_stream *st)
{
    if (!st->replay_listed)
        return;
    http_budget *e = st->session->budget;
    if (st->replay_prev)
        st->replay_prev->replay_next = st->replay_next;
    else
        e->replay_head = st->replay_next;
    if (st->replay_next)
        st->replay_next->replay_prev = st->replay_prev;
    else
        e->replay_tail = st->replay_prev;
    st->replay_prev = st->replay_next = NULL;
    st->replay_listed = false;
}

bool http_budget_admit(http_server *srv, http_budget *e, size_t len)
{
    long long max = srv->opt.max_client_bytes;
    if (max < 0)
        return true;
    size_t have = e ? e->bytes : 0;
    if (len > (size_t)max)
        goto refuse;
    while (have > (size_t)max - len && e && e->replay_head) {
        sse_stream *oldest = e->replay_head;
        if (oldest->conn) { /* resumed since: it is being read, not droppable now */
            http_budget_withdraw_replay(oldest);
            continue;
        }
        sse_stream_free(oldest); /* withdraws it and releases its log */
        srv->stats.replay_logs_dropped++;
        have = e->bytes;
    }
    if (have <= (size_t)max - len)
        return true;
refuse:
    srv->stats.client_budget_refusals++;
    return false;
}

void http_budget_refusal(const http_server *srv, const http_budget *e, size_t len, char *out,
                         size_t size)
{
    snprintf(out, size,
             "Too Many Requests: this client keeps %zu bytes on the server and this request "
             "needs %zu more, over http.max_client_bytes (%lld); retry when its calls are "
             "answered, or end sessions with DELETE",
             e ? e->bytes : 0, len, srv->opt.max_client_bytes);
}
