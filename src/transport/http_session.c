/* http_session.c -- the HTTP transport's sessions: ids, lookup, expiry,
 * routing the messages of their calls to streams, and closing.
 *
 * Session ids are 128 bits from getrandom(2) in hex.  Sessions sit in a
 * hash table by id and in a list by last use, so that the sweep finds idle
 * ones without looking at the others.  A session is idle when nothing of it
 * is open: no connection waits on one of its streams.
 */
#include "transport/http_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/grow.h"
#include "util/log.h"

#define SWEEP_MS 1000
#define SWEEP_BUDGET 4096 /* sessions looked at per sweep */

static size_t bucket_of(const http_server *srv, const char *id, size_t len)
{
    unsigned long long h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)id[i]) * 1099511628211ull;
    return (size_t)(h & (srv->nbuckets - 1));
}

static void lru_unlink(http_session *s)
{
    http_server *srv = s->server;
    if (s->lru_prev)
        s->lru_prev->lru_next = s->lru_next;
    else if (srv->lru_head == s)
        srv->lru_head = s->lru_next;
    if (s->lru_next)
        s->lru_next->lru_prev = s->lru_prev;
    else if (srv->lru_tail == s)
        srv->lru_tail = s->lru_prev;
    s->lru_prev = s->lru_next = NULL;
}

static void lru_append(http_session *s)
{
    http_server *srv = s->server;
    s->lru_prev = srv->lru_tail;
    s->lru_next = NULL;
    if (srv->lru_tail)
        srv->lru_tail->lru_next = s;
    else
        srv->lru_head = s;
    srv->lru_tail = s;
}

void http_session_touch(http_session *s)
{
    s->last_used_ms = (long long)wc_monotonic_coarse_ms();
    if (s->server->lru_tail != s) {
        lru_unlink(s);
        lru_append(s);
    }
}

static bool session_open(const http_session *s)
{
    for (const sse_stream *st = s->streams; st; st = st->next)
        if (st->conn)
            return true;
    return false;
}

static void sweep_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    http_server *srv = arg;
    long long now = (long long)wc_monotonic_coarse_ms();
    for (int i = 0; i < SWEEP_BUDGET && srv->lru_head; i++) {
        http_session *s = srv->lru_head;
        if (now - s->last_used_ms < srv->opt.session_idle_ms)
            break; /* the rest were used more recently */
        if (session_open(s) || wc_mcp_session_busy(s->mcp)) {
            http_session_touch(s); /* in use: look again one idle time later */
            continue;
        }
        wc_log(WC_LOG_DEBUG, "http", "session %.8s... expired after %d ms idle", s->id,
               srv->opt.session_idle_ms);
        srv->stats.sessions_expired++;
        http_session_end(s, false);
    }
}

static void grow_buckets(http_server *srv)
{
    size_t n = srv->nbuckets * 2;
    http_session **b = calloc(n, sizeof *b);
    if (!b)
        return;
    http_session **old = srv->buckets;
    size_t old_n = srv->nbuckets;
    srv->buckets = b;
    srv->nbuckets = n;
    for (size_t i = 0; i < old_n; i++) {
        for (http_session *s = old[i], *next; s; s = next) {
            next = s->hash_next;
            size_t j = bucket_of(srv, s->id, HTTP_SESSION_ID_LEN);
            s->hash_next = b[j];
            b[j] = s;
        }
    }
    free(old);
}

int http_sessions_init(http_server *srv)
{
    srv->nbuckets = 1024;
    srv->buckets = calloc(srv->nbuckets, sizeof *srv->buckets);
    srv->sessions_per_client = wc_counts_new();
    srv->sessions_per_principal = wc_counts_new();
    if (!srv->buckets || !srv->sessions_per_client || !srv->sessions_per_principal ||
        http_budgets_init(srv) != 0)
        return -1;
    event_assign(&srv->sweep_ev, srv->base, -1, EV_PERSIST, sweep_cb, srv);
    struct timeval tv = {SWEEP_MS / 1000, (SWEEP_MS % 1000) * 1000};
    event_add(&srv->sweep_ev, &tv);
    return 0;
}

/* --- the MCP session's messages: any thread -> outbox -> loop --- */

static void outbox_push(http_server *srv, outbox_entry *e)
{
    pthread_mutex_lock(&srv->outbox_lock);
    if (srv->outbox_tail)
        srv->outbox_tail->next = e;
    else
        srv->outbox_head = e;
    srv->outbox_tail = e;
    pthread_mutex_unlock(&srv->outbox_lock);
    if (!atomic_exchange(&srv->outbox_signalled, true)) {
        unsigned long long one = 1;
        ssize_t w = write(srv->wake_fd, &one, sizeof one);
        (void)w; /* EAGAIN: the counter is already set, the loop wakes anyway */
    }
}

/* A shared session's message of its own goes to the cluster's log (the
 * node whose connection reads the session's stream follows it), once
 * however many nodes send the notification one event caused. */
static void send_logged(http_session *s, const wc_mcp_route *route, const char *data,
                        size_t len)
{
    const wc_backplane *bp = wc_mcp_server_options(s->server->mcp)->backplane;
    char dedupe[HTTP_SESSION_ID_LEN + 24];
    if (route->event)
        snprintf(dedupe, sizeof dedupe, "%s.%llu", s->id, (unsigned long long)route->event);
    wc_error err = {0};
    if (bp->log_append(bp->ctx, s->id, route->event ? dedupe : NULL, data, len, &err) != 0)
        wc_log(WC_LOG_WARNING, "cluster", "a message of session %.8s... is lost: %s", s->id,
               wc_error_message(&err));
}

static void session_send(void *ctx, const wc_mcp_route *route, const char *data, size_t len)
{
    http_session *s = ctx;
    http_server *srv = s->server;
    if (s->shared && route->tag == 0) {
        if (data)
            send_logged(s, route, data, len);
        return;
    }
    if (atomic_load(&srv->loop_running) && pthread_equal(pthread_self(), srv->loop_thread)) {
        /* Sent on the loop itself (a cheap method, an attempted call): no
         * queue.  Its tag's messages all come from this thread, so their
         * order holds. */
        http_session_deliver(s, route->tag, route->final, route->http_status, data, len);
        return;
    }
    outbox_entry *e = malloc(sizeof *e + (data ? len + 1 : 0));
    if (!e) {
        wc_log(WC_LOG_ERROR, "http", "out of memory: a message of session %.8s... is lost",
               s->id);
        return;
    }
    e->session = s;
    e->tag = route->tag;
    e->final = route->final;
    e->http_status = route->http_status;
    e->closed = false;
    e->log_seq = 0;
    e->next = NULL;
    e->len = len;
    e->data = NULL;
    if (data) {
        e->data = e->inline_data;
        memcpy(e->data, data, len);
        e->data[len] = 0;
    }
    outbox_push(s->server, e);
}

/* The first stream number of a session in a cluster: 40 random bits, so
 * that the numbers two nodes give one session (each from its own start)
 * practically never meet; the ids stay within sse_parse_event_id's 18
 * digits. */
static unsigned long long cluster_stream_start(void)
{
    unsigned long long r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        r = (unsigned long long)wc_monotonic_ms() * 2654435761u;
    return (r & ((1ull << 40) - 1)) + 1;
}

/* A session not registered yet, under id (NULL: a fresh random one);
 * NULL when the server is full or out of memory. */
static http_session *session_alloc(http_server *srv, http_era era, const char *client,
                                   const char *id)
{
    if (srv->nsessions >= srv->opt.max_sessions)
        return NULL;
    http_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (id) {
        memcpy(s->id, id, HTTP_SESSION_ID_LEN);
    } else {
        unsigned char raw[HTTP_SESSION_ID_LEN / 2];
        if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
            free(s);
            return NULL;
        }
        for (size_t i = 0; i < sizeof raw; i++)
            snprintf(s->id + 2 * i, 3, "%02x", raw[i]);
    }
    s->server = srv;
    s->era = era;
    snprintf(s->client, sizeof s->client, "%s", client);
    s->next_stream = 1;
    const wc_backplane *bp = wc_mcp_server_options(srv->mcp)->backplane;
    if (era == HTTP_ERA_SESSION && wc_mcp_server_shares_sessions(srv->mcp) && bp->log_append &&
        bp->log_follow && bp->log_unfollow) {
        s->shared = true;
        s->next_stream = cluster_stream_start();
    }
    snprintf(s->header, sizeof s->header, "Mcp-Session-Id: %s\r\n", s->id);
    if (srv->principal)
        memcpy(s->owner, srv->principal->id, sizeof s->owner);
    return s;
}

/* Registers s with its MCP session (NULL: none could be made, s is
 * freed); NULL when it cannot be kept. */
static http_session *session_admit(http_session *s, wc_mcp_session *mcp)
{
    http_server *srv = s->server;
    bool stateless = s->era == HTTP_ERA_STATELESS;
    s->mcp = mcp;
    char key[HTTP_BUDGET_KEY_MAX + 1];
    http_budget_key(srv, s->client, key);
    if (mcp)
        s->budget = http_budget_acquire(srv, key);
    if (!s->budget || wc_counts_add(srv->sessions_per_client, s->client, 1) < 0) {
        if (mcp)
            wc_mcp_session_close(mcp);
        if (s->budget)
            http_budget_release(srv, s->budget);
        free(s);
        return NULL;
    }
    /* who for audit events: a stateless request is no session */
    wc_mcp_session_set_identity(s->mcp, stateless ? NULL : s->id,
                                srv->principal ? srv->principal->subject : NULL);
    wc_error err;
    if (s->era == HTTP_ERA_SESSION && wc_mcp_session_share(s->mcp, s->owner, &err) != 0)
        wc_log(WC_LOG_WARNING, "cluster", "session %.8s... is not shared: %s", s->id, err.msg);
    /* A stateless request is no session kept: the per-client count of
     * requests in flight bounds those. */
    if (s->owner[0] && !stateless)
        s->owner_counted = wc_counts_add(srv->sessions_per_principal, s->owner, 1) >= 0;
    s->last_used_ms = (long long)wc_monotonic_coarse_ms();
    if (!stateless) { /* a stateless one is reached only through its request */
        size_t b = bucket_of(srv, s->id, HTTP_SESSION_ID_LEN);
        s->hash_next = srv->buckets[b];
        srv->buckets[b] = s;
        lru_append(s);
    }
    srv->nsessions++;
    srv->stats.sessions_opened++;
    srv->stats.open_sessions++;
    if (srv->nsessions > srv->nbuckets)
        grow_buckets(srv);
    return s;
}

http_session *http_session_create(http_server *srv, http_era era, const char *client,
                                  const char *header_version)
{
    http_session *s = session_alloc(srv, era, client, NULL);
    if (!s)
        return NULL;
    wc_mcp_session *mcp =
        era == HTTP_ERA_STATELESS
            ? wc_mcp_session_new_stateless(srv->mcp, session_send, s, header_version)
            : wc_mcp_session_new(srv->mcp, session_send, s);
    return session_admit(s, mcp);
}

static bool session_id_ok(const char *id, size_t len)
{
    if (len != HTTP_SESSION_ID_LEN)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return false;
    return true;
}

http_session *http_session_resume(http_server *srv, const char *id, size_t len,
                                  const char *client)
{
    if (!wc_mcp_server_shares_sessions(srv->mcp) || !session_id_ok(id, len))
        return NULL;
    http_session *s = session_alloc(srv, HTTP_ERA_SESSION, client, id);
    if (!s)
        return NULL;
    char owner[sizeof s->owner];
    wc_mcp_session *mcp = NULL;
    wc_error err = {0};
    int rc = wc_mcp_session_resume(srv->mcp, s->id, session_send, s, owner, sizeof owner, &mcp,
                                   &err);
    if (rc == 0 && strcmp(owner, s->owner) != 0) {
        wc_mcp_session_close(mcp); /* another's: as if unknown */
        mcp = NULL;
    } else if (rc != 0 && rc != WC_ENOTFOUND) {
        wc_log(WC_LOG_WARNING, "cluster", "session %.8s... cannot be continued here: %s",
               s->id, wc_error_message(&err));
    }
    s = session_admit(s, mcp);
    if (s) {
        srv->stats.sessions_resumed++;
        wc_log(WC_LOG_INFO, "cluster", "session %.8s... continued on this node", s->id);
    }
    return s;
}

static void release_request(sse_stream *st)
{
    if (st->request_bytes) {
        http_budget_charge(st->session, -(long long)st->request_bytes);
        st->request_bytes = 0;
    }
}

void http_session_receive(sse_stream *st, const char *body, size_t len, bool request)
{
    http_session *s = st->session;
    wc_mcp_receive_options o = {.tag = st->no};
    if (request) {
        /* Charged before: an attempted call may be answered within. */
        st->request_bytes = len;
        http_budget_charge(s, (long long)len);
        int budget = s->server->opt.inline_budget_ms;
        if (budget > 0)
            o.attempt_ms = (unsigned)budget;
        else
            o.mode = WC_MCP_RECEIVE_QUEUED;
    }
    http_scope_check check;
    http_scopes_hook(s->server, &check, &o);
    if (wc_mcp_session_receive(s->mcp, body, len, &o))
        return;
    /* Refused before anything of it ran: no message comes for the stream. */
    http_conn *conn = st->conn;
    release_request(st);
    sse_stream_detach(st);
    sse_stream_free(st);
    if (s->era == HTTP_ERA_STATELESS)
        http_session_end(s, false);
    http_scopes_refuse(conn, &check);
}

/* The request of a /messages POST is charged until its final message. */
int http_session_charge_legacy(http_session *s, unsigned long long tag, size_t len)
{
    if (!wc_grow((void **)&s->legacy_bodies, &s->legacy_bodies_cap, (size_t)s->nlegacy_bodies + 1,
                 sizeof *s->legacy_bodies))
        return -1;
    s->legacy_bodies[s->nlegacy_bodies++] = (struct legacy_body){tag, len};
    http_budget_charge(s, (long long)len);
    return 0;
}

static void release_legacy(http_session *s, unsigned long long tag)
{
    for (unsigned i = 0; i < s->nlegacy_bodies; i++) {
        if (s->legacy_bodies[i].tag == tag) {
            http_budget_charge(s, -(long long)s->legacy_bodies[i].bytes);
            s->legacy_bodies[i] = s->legacy_bodies[--s->nlegacy_bodies];
            return;
        }
    }
}

http_session *http_session_find(http_server *srv, const char *id, size_t len)
{
    if (len != HTTP_SESSION_ID_LEN)
        return NULL;
    for (http_session *s = srv->buckets[bucket_of(srv, id, len)]; s; s = s->hash_next) {
        if (memcmp(s->id, id, len) != 0)
            continue;
        if (s->mcp && wc_mcp_session_ended_elsewhere(s->mcp)) {
            http_session_end(s, true); /* another node's DELETE: gone here too */
            return NULL;
        }
        return http_session_owned(srv, s) ? s : NULL; /* another's: as if unknown */
    }
    return NULL;
}

/* Keeps at most sse_keep_finished finished streams (for replay), dropping
 * the oldest that no connection is reading. */
static void trim_finished(http_session *s)
{
    unsigned finished = 0;
    sse_stream *oldest = NULL;
    for (sse_stream *st = s->streams; st; st = st->next) {
        if (st->finished && !st->conn) {
            finished++;
            if (!oldest || st->no < oldest->no)
                oldest = st;
        }
    }
    if (finished > s->server->opt.sse_keep_finished && oldest)
        sse_stream_free(oldest);
}

void http_session_deliver(http_session *s, unsigned long long tag, bool final,
                          int http_status, const char *data, size_t len)
{
    if (s->closing)
        return;
    if (s->era == HTTP_ERA_LEGACY) {
        /* Everything goes out on the one stream; a final message ends one
         * of the POSTs counted in flight. */
        if (tag && final && s->legacy_in_flight > 0)
            s->legacy_in_flight--;
        if (tag && final)
            release_legacy(s, tag);
        sse_stream *st = data ? sse_stream_find(s, 0) : NULL;
        if (st)
            sse_stream_push(st, data, len, false);
        return;
    }
    bool stateless = s->era == HTTP_ERA_STATELESS;
    if (tag == 0 && stateless)
        return; /* nothing of a stateless request goes anywhere else */
    if (tag == 0) {
        if (!data)
            return;
        sse_stream *st = sse_stream_find(s, s->own_stream);
        if (!st)
            st = sse_stream_new(s, s->own_stream);
        if (st)
            sse_stream_push(st, data, len, false);
        return;
    }
    sse_stream *st = sse_stream_find(s, tag);
    if (!st)
        return; /* dropped by the client or trimmed */
    if (final)
        release_request(st);
    const char *headers = stateless ? NULL : s->header;
    if (st->initialize) {
        char version[16];
        wc_mcp_session_version(s->mcp, version, sizeof version);
        if (!version[0])
            headers = NULL; /* initialize failed: no session to name */
    }
    if (!data && !final) {
        sse_stream_release(st, headers); /* the call's close_stream */
        return;
    }
    if (!st->started) {
        http_conn *conn = st->conn;
        if (final) {
            /* The common case: the answer alone, as application/json. */
            sse_stream_detach(st);
            if (conn && data)
                http_conn_reply(conn, http_status ? http_status : 200, "application/json",
                                headers, data, len);
            else if (conn)
                http_conn_reply(conn, 202, NULL, headers, NULL, 0);
            bool failed_init = st->initialize && !headers;
            sse_stream_free(st);
            if (failed_init || stateless)
                http_session_end(s, !stateless);
            return;
        }
        if (conn)
            sse_stream_start(st, conn, headers);
        else
            st->started = true; /* logged, for a client that never saw an id */
    }
    if (s->shared) /* for a client that resumes it on another node */
        http_stream_log_message(st, data, len, final);
    if (data)
        sse_stream_push(st, data, len, final);
    else
        sse_stream_push_end(st);
    if (st->finished && stateless)
        http_session_end(s, false); /* its one request is answered */
    else if (st->finished)
        trim_finished(s);
}

void http_outbox_push_logged(http_session *s, unsigned long long stream_no, uint64_t seq,
                             const void *data, size_t len)
{
    outbox_entry *e = malloc(sizeof *e + len + 1);
    if (!e) {
        wc_log(WC_LOG_ERROR, "http", "out of memory: a message of session %.8s... is not "
               "written (it stays in the log)", s->id);
        return;
    }
    *e = (outbox_entry){.session = s, .log_seq = seq, .stream_no = stream_no, .len = len};
    e->data = e->inline_data;
    memcpy(e->data, data, len);
    e->data[len] = 0;
    outbox_push(s->server, e);
}

/* The follower's entries, from the backplane's thread to the loop. */
static void on_log_entry(void *ctx, uint64_t seq, const void *data, size_t len)
{
    http_session *s = ctx;
    http_outbox_push_logged(s, s->own_stream, seq, data, len);
}

int http_session_follow(sse_stream *st, uint64_t after, wc_error *err)
{
    http_session *s = st->session;
    const wc_backplane *bp = wc_mcp_server_options(s->server->mcp)->backplane;
    st->followed = true;
    st->sent_seq = after;
    return bp->log_follow(bp->ctx, s->id, after, on_log_entry, s, &st->follow, err);
}

void http_session_deliver_logged(http_session *s, unsigned long long stream_no, uint64_t seq,
                                 const char *data, size_t len)
{
    sse_stream *st = s->closing ? NULL : sse_stream_find(s, stream_no);
    if (st && st->from_log)
        http_stream_log_entry(st, data, len);
    else if (st && st->followed)
        sse_stream_push_logged(st, seq, data, len);
}

/* --- ending and closing --- */

/* Called by whichever thread freed the MCP session: no message of it
 * comes after this, so the loop may free the session once it reaches
 * this entry of the outbox. */
static void session_closed(void *ctx)
{
    http_session *s = ctx;
    http_server *srv = s->server;
    outbox_entry *e = calloc(1, sizeof *e);
    if (e) {
        e->session = s;
        e->closed = true;
        outbox_push(srv, e);
    } /* else: the struct leaks rather than risk a message still queued for it */
    pthread_mutex_lock(&srv->closing_lock);
    if (--srv->nclosing == 0)
        pthread_cond_broadcast(&srv->closing_cond);
    pthread_mutex_unlock(&srv->closing_lock);
}

void http_session_end(http_session *s, bool cancel)
{
    http_server *srv = s->server;
    if (s->closing)
        return;
    s->closing = true;
    if (s->era != HTTP_ERA_STATELESS) {
        http_session **pp = &srv->buckets[bucket_of(srv, s->id, HTTP_SESSION_ID_LEN)];
        for (; *pp; pp = &(*pp)->hash_next) {
            if (*pp == s) {
                *pp = s->hash_next;
                break;
            }
        }
        lru_unlink(s);
    }
    srv->nsessions--;
    srv->stats.open_sessions--;
    srv->stats.sessions_closed++;
    wc_counts_add(srv->sessions_per_client, s->client, -1);
    if (s->owner_counted)
        wc_counts_add(srv->sessions_per_principal, s->owner, -1);
    while (s->streams)
        sse_stream_free(s->streams);

    pthread_mutex_lock(&srv->closing_lock);
    srv->nclosing++;
    pthread_mutex_unlock(&srv->closing_lock);
    wc_mcp_session *mcp = s->mcp;
    s->mcp = NULL;
    /* Neither waits: a call of another session that runs long must not
     * hold this one's cancel back. */
    if (cancel)
        wc_mcp_session_cancel_all(mcp);
    wc_mcp_session_close_then(mcp, session_closed, s);
}

void http_session_destroy(http_session *s)
{
    while (s->streams) /* messages that arrived after the end made none, but be sure */
        sse_stream_free(s->streams);
    /* The bodies of calls that ended unanswered with the session: its MCP
     * session held them until now. */
    http_budget_charge(s, -s->charged);
    http_budget_release(s->server, s->budget);
    free(s->legacy_bodies);
    free(s);
}

void http_closing_init(http_server *srv)
{
    pthread_mutex_init(&srv->closing_lock, NULL);
    pthread_cond_init(&srv->closing_cond, NULL);
    srv->nclosing = 0;
}

void http_closing_wait(http_server *srv)
{
    pthread_mutex_lock(&srv->closing_lock);
    while (srv->nclosing > 0)
        pthread_cond_wait(&srv->closing_cond, &srv->closing_lock);
    pthread_mutex_unlock(&srv->closing_lock);
    pthread_mutex_destroy(&srv->closing_lock);
    pthread_cond_destroy(&srv->closing_cond);
}

void http_sessions_free(http_server *srv)
{
    if (srv->buckets) {
        for (size_t i = 0; i < srv->nbuckets; i++)
            while (srv->buckets[i])
                http_session_end(srv->buckets[i], true);
    }
    event_del(&srv->sweep_ev);
    free(srv->buckets);
    srv->buckets = NULL;
    wc_counts_free(srv->sessions_per_client);
    srv->sessions_per_client = NULL;
    wc_counts_free(srv->sessions_per_principal);
    srv->sessions_per_principal = NULL;
}
