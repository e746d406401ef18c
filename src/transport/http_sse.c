/* http_sse.c -- event streams: writing messages as server-sent events,
 * keeping the last ones for replay, and taking a stream over on another
 * connection after Last-Event-ID.
 *
 * A stream's log is bounded by events and bytes (the options'
 * sse_log_events and sse_log_bytes); the oldest events go first.  A client
 * that resumes after an event no longer in the log gets what the log still
 * holds: the gap cannot be filled, but nothing is sent twice.
 */
#include "transport/http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

sse_stream *sse_stream_new(http_session *s, unsigned long long no)
{
    sse_stream *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->no = no;
    st->session = s;
    st->next_seq = 1; /* 0 is the priming event */
    st->next = s->streams;
    if (st->next)
        st->next->prev = st;
    s->streams = st;
    s->nstreams++;
    s->server->stats.open_streams++;
    return st;
}

sse_stream *sse_stream_find(http_session *s, unsigned long long no)
{
    for (sse_stream *st = s->streams; st; st = st->next)
        if (st->no == no)
            return st;
    return NULL;
}

/* A followed stream follows the log only while a connection reads it. */
static void unfollow(sse_stream *st)
{
    http_stream_log_unfollow(st);
}

static void on_conn_closed(void *owner, http_conn *conn)
{
    sse_stream *st = owner;
    (void)conn;
    st->conn = NULL;
    unfollow(st);
    /* A stateless request lives as long as its connection: without a
     * session id nothing could resume it, so its call is cancelled. */
    if (st->session->era == HTTP_ERA_STATELESS)
        http_session_end(st->session, true);
}

void sse_stream_watch(sse_stream *st)
{
    http_conn_set_owner(st->conn, on_conn_closed, st);
}

void sse_stream_detach(sse_stream *st)
{
    unfollow(st);
    if (st->conn) {
        http_conn_set_owner(st->conn, NULL, NULL);
        st->conn = NULL;
    }
}

void sse_stream_free(sse_stream *st)
{
    http_session *s = st->session;
    if (st->conn) {
        http_conn *conn = st->conn;
        sse_stream_detach(st);
        if (st->started) {
            /* The head promised a connection that stays: a pooling client
             * may reuse it as soon as the body ends, so only end the body. */
            http_conn_stream_end(conn);
        } else {
            /* A request still waiting for its answer when its session
             * ended (DELETE, expiry): say so rather than drop the line. */
            http_reply_rpc_error(conn, 404, -32001,
                                 "Session not found: the session ended before this request "
                                 "was answered", NULL);
        }
    }
    http_budget_withdraw_replay(st);
    http_stream_log_free(st);
    for (sse_event *e = st->log, *next; e; e = next) {
        next = e->next;
        free(e);
    }
    if (st->log_bytes)
        http_budget_charge(s, -(long long)st->log_bytes);
    if (st->prev)
        st->prev->next = st->next;
    else
        s->streams = st->next;
    if (st->next)
        st->next->prev = st->prev;
    s->nstreams--;
    s->server->stats.open_streams--;
    free(st);
}

bool sse_parse_event_id(const char *text, size_t len, unsigned long long *stream,
                        unsigned long long *seq)
{
    unsigned long long v[2] = {0, 0};
    int part = 0;
    size_t digits = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '-' && part == 0 && digits > 0) {
            part = 1;
            digits = 0;
            continue;
        }
        if (c < '0' || c > '9' || ++digits > 18)
            return false;
        v[part] = v[part] * 10 + (unsigned long long)(c - '0');
    }
    if (part != 1 || digits == 0)
        return false;
    *stream = v[0];
    *seq = v[1];
    return true;
}

/* Whether the session speaks a revision with priming events (2025-11-25
 * on); older clients may not expect an event without data. */
static bool primes(const sse_stream *st)
{
    char version[16];
    wc_mcp_session_version(st->session->mcp, version, sizeof version);
    return st->session->era == HTTP_ERA_SESSION && strcmp(version, "2025-11-25") >= 0;
}

/* The event's text: "id:", "event: message" and one "data:" per line. */
static sse_event *sse_event_new(const sse_stream *st, unsigned long long seq, const char *data,
                            size_t len)
{
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += data[i] == '\n';
    size_t cap = 64 + len + lines * 7;
    sse_event *e = malloc(sizeof *e + cap);
    if (!e)
        return NULL;
    e->seq = seq;
    e->next = NULL;
    size_t n;
    if (st->legacy)
        n = (size_t)snprintf(e->text, cap, "event: message\n");
    else
        n = (size_t)snprintf(e->text, cap, "id: %llu-%llu\nevent: message\n", st->no, seq);
    const char *p = data, *end = data + len;
    while (p <= end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        size_t ll = (size_t)(line_end - p);
        if (ll > 0 && line_end[-1] == '\r')
            ll--;
        memcpy(e->text + n, "data: ", 6);
        n += 6;
        memcpy(e->text + n, p, ll);
        n += ll;
        e->text[n++] = '\n';
        if (!nl)
            break;
        p = nl + 1;
    }
    e->text[n++] = '\n';
    e->len = n;
    return e;
}

static void log_event(sse_stream *st, sse_event *e)
{
    const wc_http_options *o = &st->session->server->opt;
    if (st->legacy || st->followed) { /* 2024-11-05 events have no ids: nothing could resume
                                         them; a followed stream's log is the cluster's */
        free(e);
        return;
    }
    if (st->log_tail)
        st->log_tail->next = e;
    else
        st->log = e;
    st->log_tail = e;
    st->log_events++;
    st->log_bytes += e->len;
    size_t dropped = 0;
    while (st->log && st->log != e &&
           (st->log_events > o->sse_log_events || st->log_bytes > o->sse_log_bytes)) {
        sse_event *old = st->log;
        st->log = old->next;
        st->log_events--;
        st->log_bytes -= old->len;
        dropped += old->len;
        free(old);
    }
    http_budget_charge(st->session, (long long)e->len - (long long)dropped);
}

static void write_event(sse_stream *st, const sse_event *e)
{
    http_conn_stream_write(st->conn, e->text, e->len);
    st->session->server->stats.events_sent++;
    st->sent_seq = e->seq;
    st->conn_has_id |= !st->legacy;
}

/* Writes the logged events after seq `after` that were not written yet. */
static void write_backlog(sse_stream *st, unsigned long long after)
{
    for (sse_event *e = st->log; e && st->conn; e = e->next)
        if (e->seq > after)
            write_event(st, e);
}

static void attach(sse_stream *st, http_conn *conn, const char *extra_headers)
{
    char headers[512];
    snprintf(headers, sizeof headers, "Cache-Control: no-cache, no-transform\r\n"
             "X-Accel-Buffering: no\r\n%s", extra_headers ? extra_headers : "");
    http_budget_withdraw_replay(st); /* read again: not to be dropped meanwhile */
    st->conn = conn;
    st->started = true;
    st->conn_has_id = false;
    http_conn_set_owner(conn, on_conn_closed, st);
    http_conn_stream_start(conn, 200, "text/event-stream", headers);
}

static void prime(sse_stream *st)
{
    if (!st->conn || st->legacy || !primes(st))
        return;
    char text[96];
    int retry = st->session->server->opt.sse_retry_ms;
    /* a followed stream's id names where in the log the client is */
    unsigned long long at = st->followed ? st->sent_seq : 0;
    int n = retry > 0 ? snprintf(text, sizeof text, "id: %llu-%llu\nretry: %d\ndata: \n\n",
                                 st->no, at, retry)
                      : snprintf(text, sizeof text, "id: %llu-%llu\ndata: \n\n", st->no, at);
    http_conn_stream_write(st->conn, text, (size_t)n);
    st->conn_has_id = true;
}

void sse_stream_start(sse_stream *st, http_conn *conn, const char *extra_headers)
{
    attach(st, conn, extra_headers);
    prime(st);
    write_backlog(st, st->sent_seq);
}

void sse_stream_resume(sse_stream *st, http_conn *conn, unsigned long long after,
                       const char *extra_headers)
{
    if (st->conn) {
        /* One connection per stream: the newer one takes over.  The old
         * one's body ends; the connection itself may serve another request. */
        http_conn *old = st->conn;
        sse_stream_detach(st);
        http_conn_stream_end(old);
    }
    attach(st, conn, extra_headers);
    write_backlog(st, after);
    if (st->finished && st->conn && st->no != st->session->own_stream) {
        http_conn *c = st->conn;
        sse_stream_detach(st);
        http_conn_stream_end(c);
    }
    if (st->finished)
        http_budget_offer_replay(st); /* when every event went out now */
}

void sse_stream_release(sse_stream *st, const char *extra_headers)
{
    if (st->session->era != HTTP_ERA_SESSION || !st->conn)
        return;
    if (!st->started) {
        if (!primes(st))
            return; /* no id to give: the answer comes as usual */
        sse_stream_start(st, st->conn, extra_headers);
    }
    if (!st->conn_has_id || !st->conn)
        return;
    http_conn *c = st->conn;
    sse_stream_detach(st);
    http_conn_stream_end(c);
}

void sse_stream_push(sse_stream *st, const char *data, size_t len, bool final)
{
    sse_event *e = sse_event_new(st, st->next_seq, data, len);
    if (!e) {
        wc_log(WC_LOG_ERROR, "http", "out of memory: a message of session %.8s... is lost",
               st->session->id);
        return;
    }
    st->next_seq++;
    if (st->conn)
        write_event(st, e);
    log_event(st, e); /* frees it when it is not kept */
    if (final) {
        st->finished = true;
        if (st->conn) {
            http_conn *c = st->conn;
            sse_stream_detach(st);
            http_conn_stream_end(c);
        }
        http_budget_offer_replay(st);
    }
}

void sse_stream_push_logged(sse_stream *st, uint64_t seq, const char *data, size_t len)
{
    if (!st->conn || seq <= st->sent_seq)
        return; /* no reader: the log keeps it for the next */
    sse_event *e = sse_event_new(st, seq, data, len);
    if (!e) {
        wc_log(WC_LOG_ERROR, "http", "out of memory: a message of session %.8s... is not "
               "written (it stays in the log)", st->session->id);
        return;
    }
    write_event(st, e);
    free(e);
}

void sse_stream_push_end(sse_stream *st)
{
    st->finished = true;
    if (st->conn) {
        http_conn *c = st->conn;
        sse_stream_detach(st);
        http_conn_stream_end(c);
    }
    http_budget_offer_replay(st);
}
