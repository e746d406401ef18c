/* http_stream_log.c -- a request's event stream that survives its node.
 *
 * In a cluster, a POST answered as an event stream is written to the
 * cluster's log too (the backplane's log under "<session>.<stream>"), so
 * that a client that lost the connection resumes it on any node with GET
 * and Last-Event-ID "<stream>-<seq>": that node follows the log and writes
 * what came after seq, up to the answer.  Each entry is one line of
 * "<seq> <kind> <request id>" and then the message: kind h (the stream
 * started: no message), m (a message), f (the answer: the last) or e (no
 * answer comes: the client cancelled).  The entries keep the seq the node
 * running the call gave, so ids are the same whichever node writes them.
 *
 * A node that died mid-call appends nothing more: the stream resumed
 * elsewhere ends, after http.cluster_lost_call_ms with no entry, with a
 * JSON-RPC error answer for the request (the node was lost; whether the
 * call took effect is unknown), rather than waiting for ever.
 *
 * Appending waits for the log (the backplane's timeout) on the loop's
 * thread, once when the stream starts and once per message.
 */
#include "transport/http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp/jsonrpc.h"
#include "util/log.h"

#define LOG_KEY_MAX (HTTP_SESSION_ID_LEN + 24)
#define HEAD_MAX (24 + sizeof(((sse_stream *)0)->request_id))

/* What follows the log for one stream; freed once unfollowed. */
typedef struct stream_log_reader {
    http_session *session;
    unsigned long long no;
} stream_log_reader;

static const wc_backplane *backplane_of(const http_session *s)
{
    return wc_mcp_server_options(s->server->mcp)->backplane;
}

static void log_key(const sse_stream *st, char *out, size_t size)
{
    snprintf(out, size, "%s.%llu", st->session->id, st->no);
}

static void append(sse_stream *st, unsigned long long seq, char kind, const char *data,
                   size_t len)
{
    const wc_backplane *bp = backplane_of(st->session);
    char head[HEAD_MAX];
    int n = snprintf(head, sizeof head, "%llu %c %s\n", seq, kind,
                     st->request_id[0] ? st->request_id : "null");
    char *entry = malloc((size_t)n + len);
    char key[LOG_KEY_MAX];
    log_key(st, key, sizeof key);
    wc_error err = {0};
    if (!entry) {
        wc_error_set(&err, WC_ENOMEM, "out of memory");
    } else {
        memcpy(entry, head, (size_t)n);
        if (len)
            memcpy(entry + n, data, len);
        if (bp->log_append(bp->ctx, key, NULL, entry, (size_t)n + len, &err) == 0) {
            free(entry);
            return;
        }
    }
    free(entry);
    wc_log(WC_LOG_WARNING, "cluster", "an event of stream %llu of session %.8s... is not in "
           "the cluster's log (it cannot be resumed on another node): %s", st->no,
           st->session->id, wc_error_message(&err));
}

void http_stream_log_message(sse_stream *st, const char *data, size_t len, bool final)
{
    if (!st->logged) {
        st->logged = true;
        append(st, 0, 'h', NULL, 0);
    }
    if (data)
        append(st, st->next_seq, final ? 'f' : 'm', data, len);
    else
        append(st, st->next_seq, 'e', NULL, 0);
}

/* --- on another node: the stream from the log --- */

static void end_stream(sse_stream *st)
{
    st->finished = true;
    if (st->lost_timer)
        evtimer_del(st->lost_timer);
    if (st->conn) {
        http_conn *c = st->conn;
        sse_stream_detach(st);
        http_conn_stream_end(c);
    }
}

static void arm_lost_timer(sse_stream *st)
{
    int ms = st->session->server->opt.cluster_lost_call_ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(st->lost_timer, &tv);
}

static void on_lost(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sse_stream *st = arg;
    if (st->finished)
        return;
    if (!st->conn) {
        st->finished = true; /* nobody reads it: a next GET follows the log anew */
        return;
    }
    char msg[sizeof st->request_id + 256];
    int n = snprintf(msg, sizeof msg, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":%d,"
                     "\"message\":\"the node running this request was lost before it "
                     "answered (nothing came for %d ms); whether it took effect is "
                     "unknown\"}}", st->request_id[0] ? st->request_id : "null",
                     WC_RPC_INTERNAL, st->session->server->opt.cluster_lost_call_ms);
    wc_log(WC_LOG_WARNING, "cluster", "stream %llu of session %.8s...: its node was lost",
           st->no, st->session->id);
    sse_stream_push_logged(st, st->sent_seq + 1, msg, (size_t)n);
    end_stream(st);
}

/* The backplane's thread: to the loop through the outbox. */
static void on_entry(void *ctx, uint64_t seq, const void *data, size_t len)
{
    stream_log_reader *r = ctx;
    http_outbox_push_logged(r->session, r->no, seq, data, len);
}

void http_stream_log_unfollow(sse_stream *st)
{
    if (st->follow) {
        const wc_backplane *bp = backplane_of(st->session);
        bp->log_unfollow(bp->ctx, st->follow);
        st->follow = NULL;
    }
    free(st->reader); /* fn runs no more */
    st->reader = NULL;
}

void http_stream_log_free(sse_stream *st)
{
    if (st->lost_timer)
        event_free(st->lost_timer);
    st->lost_timer = NULL;
}

/* Parses an entry's head: false when it is not one. */
static bool parse_head(const char *data, size_t len, unsigned long long *seq, char *kind,
                       const char **id, size_t *id_len, size_t *body)
{
    const char *nl = memchr(data, '\n', len < HEAD_MAX ? len : HEAD_MAX);
    if (!nl)
        return false;
    size_t i = 0, digits = 0;
    *seq = 0;
    for (; i < (size_t)(nl - data) && data[i] >= '0' && data[i] <= '9'; i++) {
        if (++digits > 18)
            return false;
        *seq = *seq * 10 + (unsigned long long)(data[i] - '0');
    }
    if (!digits || (size_t)(nl - data) < i + 4 || data[i] != ' ' || data[i + 2] != ' ')
        return false;
    *kind = data[i + 1];
    *id = data + i + 3;
    *id_len = (size_t)(nl - *id);
    *body = (size_t)(nl - data) + 1;
    return strchr("hmfe", *kind) && *kind != 0;
}

void http_stream_log_entry(sse_stream *st, const char *data, size_t len)
{
    unsigned long long seq;
    char kind;
    const char *id;
    size_t id_len, body;
    if (st->finished)
        return;
    if (!parse_head(data, len, &seq, &kind, &id, &id_len, &body)) {
        wc_log(WC_LOG_WARNING, "cluster", "stream %llu of session %.8s...: an entry of its "
               "log is not one (ignored)", st->no, st->session->id);
        return;
    }
    if (id_len < sizeof st->request_id && strncmp(id, "null", id_len) != 0) {
        memcpy(st->request_id, id, id_len);
        st->request_id[id_len] = 0;
    }
    arm_lost_timer(st); /* its node is alive */
    if (kind == 'h')
        return;
    if (kind == 'e') {
        end_stream(st);
        return;
    }
    sse_stream_push_logged(st, seq, data + body, len - body); /* skips what was sent */
    if (kind == 'f')
        end_stream(st);
}

/* Frees a finished stream read from the log that no one reads: each is a
 * copy of another node's, so the session keeps at most one of them. */
static void drop_finished_copy(http_session *s)
{
    for (sse_stream *st = s->streams; st; st = st->next) {
        if (st->from_log && st->finished && !st->conn) {
            sse_stream_free(st);
            return;
        }
    }
}

void http_stream_log_resume(http_session *s, http_conn *conn, unsigned long long no,
                            unsigned long long after)
{
    http_server *srv = s->server;
    sse_stream *st = sse_stream_find(s, no);
    if (st && !st->from_log && st->started) { /* its call runs here: the local replay */
        sse_stream_resume(st, conn, after, s->header);
        return;
    }
    if (st && (st->from_log ? st->conn != NULL : true)) {
        http_reply_rpc_error(conn, 409, WC_RPC_INVALID_REQUEST,
                             "Conflict: this stream is being read or has not started", NULL);
        return;
    }
    if (st)
        sse_stream_free(st); /* read again from the log, after the new id */
    else
        drop_finished_copy(s);
    if (!st && s->nstreams >= srv->opt.max_streams_per_session) {
        http_reply_rpc_error(conn, 429, WC_RPC_INTERNAL,
                             "Too Many Requests: too many streams of this session",
                             "Retry-After: 1\r\n");
        return;
    }
    st = sse_stream_new(s, no);
    stream_log_reader *r = malloc(sizeof *r);
    if (st)
        st->lost_timer = evtimer_new(srv->base, on_lost, st);
    wc_error err = {0};
    char key[LOG_KEY_MAX];
    const wc_backplane *bp = backplane_of(s);
    if (st && r && st->lost_timer) {
        *r = (stream_log_reader){s, no};
        st->reader = r;
        r = NULL;
        st->followed = st->from_log = true;
        st->sent_seq = after;
        log_key(st, key, sizeof key);
        sse_stream_start(st, conn, s->header);
        arm_lost_timer(st);
        if (bp->log_follow(bp->ctx, key, 0, on_entry, st->reader, &st->follow, &err) == 0)
            return;
        wc_log(WC_LOG_WARNING, "cluster", "stream %llu of session %.8s...: its log cannot "
               "be followed: %s", no, s->id, wc_error_message(&err));
        sse_stream_free(st); /* ends the event stream: the client tries again */
        return;
    }
    free(r);
    if (st)
        sse_stream_free(st);
    http_reply_rpc_error(conn, 503, WC_RPC_INTERNAL, "Service Unavailable: out of memory",
                         NULL);
}
