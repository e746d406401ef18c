/* http_conn.c -- accepting, reading and writing HTTP/1.1 connections.
 *
 * One struct event per connection serves reading, writing and its timer:
 * its interest is reassigned only when it changes (output waiting, TLS
 * wanting to write) and its timeout always says when this connection must
 * next be looked at.  Reads go to the listener's scratch buffer first, so a
 * connection that has no partial request keeps no input buffer; output is
 * written at once and only what the socket does not take is kept.
 *
 * A connection is freed only when no callback of its own is on the stack
 * (`depth`): a handler may reply, abort, or see the peer close while the
 * reader is still looking at it.
 *
 * Nothing of the owner's runs inside the owner's own calls (a reply, a
 * stream write): a write that fails there closes the connection but tells
 * the owner from the loop, and a pipelined request waiting behind the
 * reply is read from the loop too.  Otherwise a stream write could free
 * the stream that is writing, or a DELETE queued behind a call's answer
 * could end the session while its answer is still being delivered.
 */
#define _GNU_SOURCE /* accept4 */
#include "transport/http_conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "util/buf.h"
#include "util/clock.h"
#include "util/counts.h"
#include "util/grow.h"
#include "util/log.h"

#define SCRATCH_BYTES (64u << 10)
#define READ_BUDGET (256u << 10) /* per event, for fairness between peers */
/* Requests handled per turn: 256 KiB of small pipelined requests would
 * hold the loop (and every other peer's timers) for many milliseconds. */
#define REQUESTS_PER_TURN 16
#define ACCEPT_BUDGET 256
#define PAUSE_MS 100              /* out of descriptors: try accepting again after */
/* After refusing a request whose body may still be coming: how long and
 * how much more to read and drop before closing.  Closing with unread
 * input sends a reset, which can destroy the refusal before the client
 * reads it (RFC 9112 §9.6). */
#define LINGER_MS 2000
#define LINGER_BYTES (4u << 20)

typedef enum conn_state {
    CONN_HEAD,      /* reading a request head */
    CONN_BODY,      /* reading its body */
    CONN_HANDLING,  /* the request is with the handler; no reply started */
    CONN_STREAMING, /* a reply body is being written in pieces */
    CONN_CLOSING,   /* writing what is left, then closing */
    CONN_LINGER,    /* refused and answered: reading and dropping input until EOF */
} conn_state;

struct http_conn {
    struct event ev;
    http_listener *l;
    char *cors; /* CORS headers for the current request's reply; NULL: none */
    int fd;
    SSL *ssl;
    conn_state state;
    short interest; /* the event's current EV_READ/EV_WRITE */
    bool ssl_wants_write, ssl_wants_read_for_write;
    bool dead;       /* closed; freed when depth drops to 0 */
    bool close_pending; /* dead; the owner is told from the loop, then it is freed */
    bool input_pending; /* a pipelined request waits: read it from the loop */
    unsigned owner_calls; /* the owner's calls on the stack (reply, stream_*) */
    bool processing;    /* process_input is on the stack */
    bool linger;        /* a refusal: linger before closing */
    size_t dropped;     /* bytes read and dropped while lingering */
    bool has_timer;  /* the event was added with a timeout */
    bool nul_placed; /* in[request_len] holds the body's NUL, not `nul_saved` */
    char nul_saved;
    bool http10, keep_alive, head_only, chunked_out, reading_paused;
    unsigned depth;
    char *in;
    size_t in_len, in_cap;
    size_t request_len;      /* bytes of the current request in `in` (HANDLING on) */
    /* What the current head said; the full parse (2 KB of fields) lives in
     * the listener, filled again just before the handler runs. */
    size_t head_len;
    long long content_length;
    bool body_chunked;
    http_chunked chunked;
    long long deadline_ms;   /* head/body deadline; 0: none */
    long long write_stalled_since; /* output waiting, no progress since; 0: none */
    wc_buf out;
    size_t out_off;
    http_conn_close_fn on_close;
    void *owner;
    char peer[INET6_ADDRSTRLEN];
    bool loopback;
    http_conn *prev, *next;
};

struct http_listener {
    struct event_base *base;
    http_listener_options opt;
    int fd, reserve_fd, port;
    struct event accept_ev, pause_ev;
    bool accepting, paused;
    http_conn *conns;
    unsigned nconns;
    wc_counts *per_client;
    char *scratch;
    unsigned long long responses[6]; /* by status class */
    unsigned long long bytes_in, bytes_out;
    http_request req;                /* the request being handed over */
};

void http_limits_default(http_limits *l)
{
    memset(l, 0, sizeof *l);
    l->max_head_bytes = 16u << 10;
    l->max_body_bytes = 4u << 20;
    l->head_timeout_ms = 10000;
    l->body_timeout_ms = 30000;
    l->idle_timeout_ms = 60000;
    l->write_timeout_ms = 30000;
    l->max_pending_output = 8u << 20;
    l->max_connections_per_client = 1024;
}

const char *http_status_text(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

/* --- lifetime --- */

static void conn_cb(evutil_socket_t fd, short what, void *arg);

static void conn_free(http_conn *c)
{
    http_listener *l = c->l;
    if (c->prev)
        c->prev->next = c->next;
    else
        l->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    l->nconns--;
    wc_counts_add(l->per_client, c->peer, -1);
    free(c->in);
    free(c->cors);
    wc_buf_free(&c->out);
    free(c);
}

/* Frees a closed connection once nothing on the stack uses it and the
 * owner was told. */
static void conn_release(http_conn *c)
{
    if (c->dead && c->depth == 0 && !c->close_pending)
        conn_free(c);
}

/* Closes the socket now; the struct goes when no callback uses it.
 * notify: tell the owner. */
static void conn_close(http_conn *c, bool notify)
{
    if (c->dead)
        return;
    c->dead = true;
    event_del(&c->ev);
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    close(c->fd);
    c->fd = -1;
    if (notify && c->on_close && c->owner_calls > 0) {
        /* The owner is on the stack: it hears of this from the loop. */
        c->close_pending = true;
        event_assign(&c->ev, c->l->base, -1, 0, conn_cb, c);
        event_active(&c->ev, EV_TIMEOUT, 1);
        return;
    }
    http_conn_close_fn on_close = c->on_close;
    void *owner = c->owner;
    c->on_close = NULL;
    c->owner = NULL;
    if (notify && on_close) {
        c->depth++;
        on_close(owner, c);
        c->depth--;
    }
    conn_release(c);
}

/* The owner's calls hold the connection like the loop's callbacks do. */
static void owner_call_enter(http_conn *c)
{
    c->depth++;
    c->owner_calls++;
}

static void owner_call_leave(http_conn *c)
{
    c->owner_calls--;
    c->depth--;
    conn_release(c);
}

/* A deferred close: tell the owner (unless it let go meanwhile), free. */
static void finish_close(http_conn *c)
{
    http_conn_close_fn on_close = c->on_close;
    void *owner = c->owner;
    c->on_close = NULL;
    c->owner = NULL;
    c->close_pending = false;
    if (on_close)
        on_close(owner, c);
}

/* The timer this connection needs now, in ms; -1: none.  A deadline
 * already past gives the shortest timer, never none: a read handled in the
 * loop iteration where the deadline passes must not cancel its timer. */
static long long timeout_for(const http_conn *c, long long now)
{
    const http_limits *lim = &c->l->opt.limits;
    long long t = -1;
    if (c->out.len > c->out_off) {
        long long since = c->write_stalled_since ? c->write_stalled_since : now;
        t = since + lim->write_timeout_ms - now;
        if (t < 0)
            t = 0;
    }
    long long own = -1;
    if (c->state == CONN_LINGER || ((c->state == CONN_HEAD || c->state == CONN_BODY) &&
                                    c->deadline_ms)) {
        own = c->deadline_ms - now;
        if (own < 0)
            own = 0;
    } else if (c->state == CONN_HEAD) {
        own = lim->idle_timeout_ms;
    }
    if (own >= 0 && (t < 0 || own < t))
        t = own;
    return t < 0 ? -1 : (t < 1 ? 1 : t);
}

/* Sets the event's interest and timer to what the connection needs. */
static void rearm(http_conn *c)
{
    if (c->dead)
        return;
    short want = 0;
    if (!c->reading_paused || c->ssl_wants_read_for_write)
        want |= EV_READ;
    if (c->out.len > c->out_off || c->ssl_wants_write)
        want |= EV_WRITE;
    long long t = timeout_for(c, (long long)wc_monotonic_coarse_ms());
    /* A pipelined request waits: the next loop turn takes it, after the
     * expired timers of every connection.  (An event_active would run it in
     * this same turn, before any timer, so a flood of pipelined requests
     * held every other head past its deadline until all were answered.) */
    if (c->input_pending)
        t = 0;
    if (want != c->interest) {
        event_del(&c->ev);
        event_assign(&c->ev, c->l->base, c->fd, want | EV_PERSIST, conn_cb, c);
        c->interest = want;
        c->has_timer = false;
    } else if (t < 0 && c->has_timer) {
        event_del(&c->ev); /* adding with no timeout would keep the old one */
    }
    struct timeval tv = {.tv_sec = t / 1000, .tv_usec = (t % 1000) * 1000};
    event_add(&c->ev, t >= 0 ? &tv : NULL);
    c->has_timer = t >= 0;
}

/* --- writing --- */

/* Writes what is queued; false when the connection failed (closed). */
static bool flush(http_conn *c)
{
    while (c->out.len > c->out_off) {
        const uint8_t *p = c->out.data + c->out_off;
        size_t n = c->out.len - c->out_off;
        ssize_t w;
        if (c->ssl) {
            c->ssl_wants_write = c->ssl_wants_read_for_write = false;
            ERR_clear_error();
            int r = SSL_write(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
            if (r <= 0) {
                int e = SSL_get_error(c->ssl, r);
                if (e == SSL_ERROR_WANT_WRITE) {
                    c->ssl_wants_write = true;
                    break;
                }
                if (e == SSL_ERROR_WANT_READ) {
                    c->ssl_wants_read_for_write = true;
                    break;
                }
                conn_close(c, true);
                return false;
            }
            w = r;
        } else {
            w = write(c->fd, p, n);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    break;
                conn_close(c, true);
                return false;
            }
        }
        c->out_off += (size_t)w;
        c->l->bytes_out += (size_t)w;
        c->write_stalled_since = 0;
    }
    if (c->out.len == c->out_off) {
        wc_buf_free(&c->out); /* an idle stream keeps no buffer */
        c->out_off = 0;
        c->write_stalled_since = 0;
        if (c->state == CONN_CLOSING) {
            if (c->linger && !c->ssl && shutdown(c->fd, SHUT_WR) == 0) {
                c->state = CONN_LINGER;
                c->deadline_ms = (long long)wc_monotonic_coarse_ms() + LINGER_MS;
                c->reading_paused = false;
                free(c->in);
                c->in = NULL;
                c->in_len = c->in_cap = 0;
                return true;
            }
            conn_close(c, false);
            return false;
        }
    } else {
        if (!c->write_stalled_since)
            c->write_stalled_since = (long long)wc_monotonic_coarse_ms();
        if (c->out.len - c->out_off > c->l->opt.limits.max_pending_output) {
            wc_log(WC_LOG_WARNING, "http", "dropping %s: it does not read its replies "
                   "(%zu bytes waiting)", c->peer, c->out.len - c->out_off);
            conn_close(c, true);
            return false;
        }
    }
    return true;
}

static void out_append(http_conn *c, const void *data, size_t len)
{
    if (c->out_off > 0 && c->out_off == c->out.len) {
        c->out.len = 0;
        c->out_off = 0;
    }
    wc_buf_append(&c->out, data, len);
}

static const char *http_date(void)
{
    static _Thread_local time_t cached_at; /* one loop per thread; servers may share a process */
    static _Thread_local char text[40];
    time_t t = time(NULL);
    if (t != cached_at) {
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        cached_at = t;
    }
    return text;
}

static void write_head(http_conn *c, int status, const char *content_type, const char *headers,
                       long long content_length)
{
    char head[512];
    if (status >= 100 && status < 600)
        c->l->responses[status / 100]++;
    int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status,
                     http_status_text(status), http_date());
    out_append(c, head, (size_t)n);
    if (content_type) {
        n = snprintf(head, sizeof head, "Content-Type: %s\r\n", content_type);
        out_append(c, head, (size_t)n);
    }
    if (content_length >= 0) {
        n = snprintf(head, sizeof head, "Content-Length: %lld\r\n", content_length);
        out_append(c, head, (size_t)n);
    } else if (c->chunked_out) {
        out_append(c, "Transfer-Encoding: chunked\r\n", 28);
    }
    if (!c->keep_alive)
        out_append(c, "Connection: close\r\n", 19);
    else if (c->http10)
        out_append(c, "Connection: keep-alive\r\n", 24);
    if (headers)
        out_append(c, headers, strlen(headers));
    if (c->cors)
        out_append(c, c->cors, strlen(c->cors));
    out_append(c, "\r\n", 2);
}

static void process_input(http_conn *c);

/* Drops the handled request's bytes from `in` once the handler returned
 * (its pointers were valid during the call only): a long reply, such as an
 * event stream, then keeps no input buffer. */
static void consume_request(http_conn *c)
{
    if (c->nul_placed) {
        c->in[c->request_len] = c->nul_saved;
        c->nul_placed = false;
    }
    memmove(c->in, c->in + c->request_len, c->in_len - c->request_len);
    c->in_len -= c->request_len;
    c->request_len = 0;
    if (c->in_len == 0) {
        free(c->in);
        c->in = NULL;
        c->in_cap = 0;
    }
}

/* The reply is complete: on to the next request, or close. */
static void request_done(http_conn *c)
{
    c->on_close = NULL;
    c->owner = NULL;
    free(c->cors);
    c->cors = NULL;
    if (!c->keep_alive) {
        c->state = CONN_CLOSING;
        if (flush(c))
            rearm(c);
        return;
    }
    c->state = CONN_HEAD;
    c->deadline_ms = 0;
    c->reading_paused = false;
    if (!flush(c))
        return;
    /* A pipelined request: process_input's loop takes it when it is on
     * the stack; otherwise the loop does, not the owner's call that got
     * here. */
    if (c->in_len > 0 && !c->processing)
        c->input_pending = true;
    rearm(c);
}

/* Only a request being handled gets a reply (not one already answered,
 * nor the next one on the connection). */
void http_conn_reply(http_conn *c, int status, const char *content_type, const char *headers,
                     const char *body, size_t len)
{
    if (c->dead || c->state != CONN_HANDLING)
        return;
    owner_call_enter(c);
    c->chunked_out = false;
    write_head(c, status, content_type, headers, (long long)len);
    if (!c->head_only && len)
        out_append(c, body, len);
    if (c->out.failed)
        conn_close(c, true);
    else
        request_done(c);
    owner_call_leave(c);
}

void http_conn_stream_start(http_conn *c, int status, const char *content_type,
                            const char *headers)
{
    if (c->dead || c->state != CONN_HANDLING)
        return;
    owner_call_enter(c);
    c->chunked_out = !c->http10;
    if (c->http10)
        c->keep_alive = false; /* the end of the body is the end of the connection */
    write_head(c, status, content_type, headers, -1);
    c->state = CONN_STREAMING;
    if (flush(c))
        rearm(c);
    owner_call_leave(c);
}

static void stream_write(http_conn *c, const char *data, size_t len);

void http_conn_stream_write(http_conn *c, const char *data, size_t len)
{
    owner_call_enter(c);
    stream_write(c, data, len);
    owner_call_leave(c);
}

static void stream_write(http_conn *c, const char *data, size_t len)
{
    if (c->dead || c->state != CONN_STREAMING || len == 0 || c->head_only)
        return;
    if (c->chunked_out) {
        char size[24];
        int n = snprintf(size, sizeof size, "%zx\r\n", len);
        out_append(c, size, (size_t)n);
        out_append(c, data, len);
        out_append(c, "\r\n", 2);
    } else {
        out_append(c, data, len);
    }
    if (c->out.failed) {
        conn_close(c, true);
        return;
    }
    if (flush(c))
        rearm(c);
}

void http_conn_stream_end(http_conn *c)
{
    if (c->dead || c->state != CONN_STREAMING)
        return;
    owner_call_enter(c);
    if (c->chunked_out && !c->head_only)
        out_append(c, "0\r\n\r\n", 5);
    request_done(c);
    owner_call_leave(c);
}

void http_conn_abort(http_conn *c)
{
    c->on_close = NULL; /* also when a failed write already closed it */
    c->owner = NULL;
    conn_close(c, false);
}

size_t http_conn_pending(const http_conn *c)
{
    return c->out.len - c->out_off;
}

void http_conn_set_owner(http_conn *c, http_conn_close_fn on_close, void *owner)
{
    c->on_close = on_close;
    c->owner = owner;
}

const char *http_conn_peer(const http_conn *c)
{
    return c->peer;
}

bool http_conn_peer_is_loopback(const http_conn *c)
{
    return c->loopback;
}

bool http_conn_is_tls(const http_conn *c)
{
    return c->ssl != NULL;
}

/* --- reading --- */

/* An error status before the handler saw the request: answer and close. */
static void refuse(http_conn *c, int status, const char *reason)
{
    char body[256];
    int n = snprintf(body, sizeof body, "%s\n", reason);
    c->keep_alive = false;
    c->head_only = false;
    c->linger = true;
    c->state = CONN_HANDLING;
    http_conn_reply(c, status, "text/plain; charset=utf-8", NULL, body, (size_t)n);
}

/* Room for extra more bytes of input; the first buffer holds a usual
 * request's head whole. */
static bool in_reserve(http_conn *c, size_t extra)
{
    size_t need = c->in_len + extra;
    return wc_grow((void **)&c->in, &c->in_cap, need < 1024 ? 1024 : need, 1);
}

/* Reads what the socket has.  Returns the bytes read (0: nothing now),
 * or -1 when the peer closed or failed (the connection is then closed). */
static long read_some(http_conn *c)
{
    long total = 0;
    http_listener *l = c->l;
    while (total < (long)READ_BUDGET) {
        ssize_t n;
        if (c->ssl) {
            ERR_clear_error();
            int r = SSL_read(c->ssl, l->scratch, SCRATCH_BYTES);
            if (r <= 0) {
                int e = SSL_get_error(c->ssl, r);
                if (e == SSL_ERROR_WANT_READ)
                    break;
                if (e == SSL_ERROR_WANT_WRITE) {
                    c->ssl_wants_write = true;
                    break;
                }
                conn_close(c, true);
                return -1;
            }
            n = r;
        } else {
            n = read(c->fd, l->scratch, SCRATCH_BYTES);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    break;
                conn_close(c, true);
                return -1;
            }
            if (n == 0) {
                conn_close(c, true);
                return -1;
            }
        }
        if (c->state == CONN_LINGER) {
            c->dropped += (size_t)n;
            if (c->dropped > LINGER_BYTES) {
                conn_close(c, true);
                return -1;
            }
            continue;
        }
        if (!in_reserve(c, (size_t)n + 1)) {
            conn_close(c, true);
            return -1;
        }
        memcpy(c->in + c->in_len, l->scratch, (size_t)n);
        l->bytes_in += (size_t)n;
        c->in_len += (size_t)n;
        total += n;
        if (c->state != CONN_HEAD && c->state != CONN_BODY &&
            c->in_len > l->opt.limits.max_head_bytes + c->request_len) {
            c->reading_paused = true; /* pipelined too far ahead: wait */
            break;
        }
        /* Enough to judge a head, or requests to work through before
         * reading more: each one handled moves what follows it. */
        if (c->state == CONN_HEAD && c->in_len > l->opt.limits.max_head_bytes)
            break;
    }
    return total;
}

/* Works through the complete requests in `in`. */
static void process_input(http_conn *c)
{
    const http_limits *lim = &c->l->opt.limits;
    c->depth++;
    c->input_pending = false;
    c->processing = true;
    unsigned handled = 0;
    while (!c->dead && (c->state == CONN_HEAD || c->state == CONN_BODY) && c->in_len > 0) {
        if (handled == REQUESTS_PER_TURN) {
            /* The rest on a later turn; read nothing more meanwhile. */
            c->input_pending = true;
            c->reading_paused = true;
            break;
        }
        if (c->state == CONN_HEAD) {
            int status = 0;
            const char *reason = NULL;
            http_request *req = &c->l->req;
            http_parse_result r =
                http_parse_head(c->in, c->in_len, lim->max_head_bytes, req, &status, &reason);
            if (r == HTTP_PARSE_MORE) {
                if (!c->deadline_ms)
                    c->deadline_ms = (long long)wc_monotonic_coarse_ms() + lim->head_timeout_ms;
                break;
            }
            if (r == HTTP_PARSE_ERROR) {
                refuse(c, status, reason);
                break;
            }
            c->http10 = req->minor_version == 0;
            c->keep_alive = req->keep_alive;
            c->head_only = req->method == HTTP_HEAD;
            c->head_len = req->head_len;
            c->content_length = req->content_length;
            c->body_chunked = req->chunked;
            if (req->content_length > (long long)lim->max_body_bytes) {
                refuse(c, 413, "the request body is too large");
                break;
            }
            memset(&c->chunked, 0, sizeof c->chunked);
            c->state = CONN_BODY;
            c->deadline_ms = (long long)wc_monotonic_coarse_ms() + lim->body_timeout_ms;
            bool body_here =
                !req->chunked &&
                c->in_len >= req->head_len +
                                 (size_t)(req->content_length > 0 ? req->content_length : 0);
            if (req->expect_continue && !body_here && req->minor_version == 1) {
                out_append(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
                if (!flush(c))
                    break;
            }
        }
        /* CONN_BODY */
        size_t head = c->head_len, body_len;
        if (c->body_chunked) {
            size_t consumed = 0;
            int status = 0;
            int r = http_chunked_feed(&c->chunked, c->in + head, c->in_len - head,
                                      lim->max_body_bytes, &consumed, &status);
            if (r < 0) {
                refuse(c, status, status == 413 ? "the request body is too large"
                                                : "malformed chunked body");
                break;
            }
            if (r == 0)
                break;
            body_len = c->chunked.write_at;
            c->request_len = head + consumed;
        } else {
            body_len = c->content_length > 0 ? (size_t)c->content_length : 0;
            if (c->in_len < head + body_len)
                break;
            c->request_len = head + body_len;
        }
        if (!in_reserve(c, 1)) {
            conn_close(c, true);
            break;
        }
        /* The body's NUL may overwrite the first byte of a pipelined
         * request: request_done puts it back. */
        c->nul_saved = c->in[head + body_len];
        c->nul_placed = head + body_len == c->request_len;
        c->in[head + body_len] = 0;
        /* Re-read the head: `in` may have moved since it was parsed. */
        int status;
        const char *reason;
        http_parse_head(c->in, c->in_len, lim->max_head_bytes, &c->l->req, &status, &reason);
        c->state = CONN_HANDLING;
        c->deadline_ms = 0;
        c->l->opt.on_request(c->l->opt.ctx, c, &c->l->req, c->in + head, body_len);
        handled++;
        if (!c->dead)
            consume_request(c);
    }
    c->depth--;
    c->processing = false;
    if ((c->state == CONN_HEAD || c->state == CONN_BODY) && !c->input_pending)
        c->reading_paused = false; /* what is left needs more bytes */
    if (c->dead) {
        conn_release(c);
        return;
    }
    rearm(c);
}

static void on_timeout(http_conn *c)
{
    long long now = (long long)wc_monotonic_coarse_ms();
    if (c->state == CONN_LINGER) {
        if (now >= c->deadline_ms)
            conn_close(c, true);
        else
            rearm(c);
        return;
    }
    if (c->out.len > c->out_off && c->write_stalled_since &&
        now - c->write_stalled_since >= c->l->opt.limits.write_timeout_ms) {
        wc_log(WC_LOG_INFO, "http", "dropping %s: no write progress in %d ms", c->peer,
               c->l->opt.limits.write_timeout_ms);
        conn_close(c, true);
        return;
    }
    if (c->state == CONN_HEAD && !c->deadline_ms && c->in_len == 0) {
        conn_close(c, true); /* idle keep-alive connection */
        return;
    }
    if ((c->state == CONN_HEAD || c->state == CONN_BODY) && c->deadline_ms &&
        now >= c->deadline_ms) {
        wc_log(WC_LOG_INFO, "http", "dropping %s: the request did not arrive in time", c->peer);
        refuse(c, 408, "the request did not arrive in time");
        return;
    }
    rearm(c);
}

static void conn_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    http_conn *c = arg;
    c->depth++;
    if (c->close_pending) {
        finish_close(c);
        goto out;
    }
    if (what & EV_WRITE || (c->ssl_wants_read_for_write && what & EV_READ)) {
        if (!flush(c))
            goto out;
    }
    bool input = c->input_pending;
    c->input_pending = false;
    if (what & EV_READ && !c->dead && !c->reading_paused) {
        long n = read_some(c);
        if (n < 0)
            goto out;
        input = input || n > 0;
    }
    if (input && !c->dead && (c->state == CONN_HEAD || c->state == CONN_BODY)) {
        c->depth--;
        process_input(c); /* rearms or frees */
        return;
    }
    if (what & EV_TIMEOUT && !c->dead) {
        on_timeout(c);
        goto out;
    }
    if (!c->dead)
        rearm(c);
out:
    c->depth--;
    conn_release(c);
}

/* --- accepting --- */

static void refuse_socket(int fd, int status)
{
    char text[160];
    int n = snprintf(text, sizeof text,
                     "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", status,
                     http_status_text(status));
    ssize_t w = write(fd, text, (size_t)n); /* best effort on a fresh socket */
    (void)w;
    close(fd);
}

static void pause_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    http_listener *l = arg;
    l->paused = false;
    if (l->accepting)
        event_add(&l->accept_ev, NULL);
}

static void peer_text(const struct sockaddr_storage *ss, char *out, size_t size, bool *loopback)
{
    *loopback = false;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)ss;
        inet_ntop(AF_INET, &in->sin_addr, out, (socklen_t)size);
        *loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, out, (socklen_t)size);
        *loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
                    (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127);
    } else {
        snprintf(out, size, "unknown");
    }
}

static void accept_cb(evutil_socket_t lfd, short what, void *arg)
{
    (void)what;
    http_listener *l = arg;
    for (int i = 0; i < ACCEPT_BUDGET; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE) {
                /* Out of descriptors: free the reserve to refuse one peer
                 * politely, then stop listening for a moment instead of
                 * spinning on a ready socket we cannot accept. */
                if (l->reserve_fd >= 0) {
                    close(l->reserve_fd);
                    l->reserve_fd = -1;
                    int extra = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (extra >= 0)
                        refuse_socket(extra, 503);
                    l->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                }
                wc_log(WC_LOG_WARNING, "http", "out of file descriptors with %u connections: "
                       "pausing accept for %d ms", l->nconns, PAUSE_MS);
                event_del(&l->accept_ev);
                l->paused = true;
                struct timeval tv = {0, PAUSE_MS * 1000};
                event_add(&l->pause_ev, &tv);
            }
            return;
        }
        char peer[INET6_ADDRSTRLEN];
        bool loopback;
        peer_text(&ss, peer, sizeof peer, &loopback);
        if (l->nconns >= l->opt.limits.max_connections) {
            refuse_socket(fd, 503);
            continue;
        }
        if ((unsigned long)wc_counts_get(l->per_client, peer) >=
            l->opt.limits.max_connections_per_client) {
            refuse_socket(fd, 429);
            continue;
        }
        http_conn *c = calloc(1, sizeof *c);
        if (!c || wc_counts_add(l->per_client, peer, 1) < 0) {
            free(c);
            refuse_socket(fd, 503);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->l = l;
        c->fd = fd;
        c->state = CONN_HEAD;
        c->loopback = loopback;
        memcpy(c->peer, peer, sizeof peer);
        wc_buf_init(&c->out);
        if (l->opt.tls) {
            c->ssl = SSL_new(l->opt.tls);
            if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
                wc_counts_add(l->per_client, peer, -1);
                if (c->ssl)
                    SSL_free(c->ssl);
                free(c);
                close(fd);
                continue;
            }
            SSL_set_accept_state(c->ssl);
        }
        c->next = l->conns;
        if (c->next)
            c->next->prev = c;
        l->conns = c;
        l->nconns++;
        c->interest = EV_READ;
        event_assign(&c->ev, l->base, fd, EV_READ | EV_PERSIST, conn_cb, c);
        rearm(c);
    }
}

int http_listener_new(struct event_base *base, const http_listener_options *options,
                      http_listener **out, wc_error *err)
{
    *out = NULL;
    http_listener *l = calloc(1, sizeof *l);
    if (!l)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    l->base = base;
    l->opt = *options;
    l->fd = l->reserve_fd = -1;
    http_limits defaults;
    http_limits_default(&defaults);
#define DEFAULT(field)                                                                         \
    if (!l->opt.limits.field)                                                                  \
        l->opt.limits.field = defaults.field;
    DEFAULT(max_head_bytes)
    DEFAULT(max_body_bytes)
    DEFAULT(head_timeout_ms)
    DEFAULT(body_timeout_ms)
    DEFAULT(idle_timeout_ms)
    DEFAULT(write_timeout_ms)
    DEFAULT(max_pending_output)
    DEFAULT(max_connections_per_client)
#undef DEFAULT
    if (!l->opt.limits.max_connections) {
        struct rlimit rl;
        unsigned max = 1024;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
            max = rl.rlim_cur > 128 ? (unsigned)(rl.rlim_cur - 64) : 64;
        l->opt.limits.max_connections = max;
    }
    l->scratch = malloc(SCRATCH_BYTES);
    l->per_client = wc_counts_new();
    int rc;
    if (!l->scratch || !l->per_client) {
        rc = wc_error_set(err, WC_ENOMEM, "out of memory");
        goto fail;
    }

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE}, *ai = NULL;
    int gai = getaddrinfo(options->host, options->port, &hints, &ai);
    if (gai != 0) {
        rc = wc_error_set(err, gai == EAI_MEMORY ? WC_ENOMEM : WC_EINVAL, "cannot resolve %s: %s",
                          options->host, gai_strerror(gai));
        goto fail;
    }
    int saved = 0;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0) {
            l->fd = fd;
            struct sockaddr_storage ss;
            socklen_t sl = sizeof ss;
            getsockname(fd, (struct sockaddr *)&ss, &sl);
            l->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                     : ((struct sockaddr_in *)&ss)->sin_port);
            break;
        }
        saved = errno;
        close(fd);
    }
    freeaddrinfo(ai);
    if (l->fd < 0) {
        int code = saved ? -saved : WC_EINVAL;
        rc = wc_error_set(err, code, "cannot listen on %s:%s: %s", options->host, options->port,
                          wc_strerror(code));
        goto fail;
    }
    l->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    event_assign(&l->accept_ev, base, l->fd, EV_READ | EV_PERSIST, accept_cb, l);
    evtimer_assign(&l->pause_ev, base, pause_cb, l);
    event_add(&l->accept_ev, NULL);
    l->accepting = true;
    *out = l;
    return 0;
fail:
    http_listener_free(l);
    return rc;
}

void http_listener_stop_accepting(http_listener *l)
{
    if (!l->accepting)
        return;
    l->accepting = false;
    event_del(&l->accept_ev);
    event_del(&l->pause_ev);
}

void http_listener_free(http_listener *l)
{
    if (!l)
        return;
    if (l->fd >= 0) {
        http_listener_stop_accepting(l);
        close(l->fd);
    }
    while (l->conns) {
        http_conn *c = l->conns;
        c->depth = 0; /* no callback of the loop runs any more */
        if (c->close_pending) {
            event_del(&c->ev);
            finish_close(c);
        }
        if (c->dead)
            conn_free(c);
        else
            conn_close(c, true);
    }
    if (l->reserve_fd >= 0)
        close(l->reserve_fd);
    wc_counts_free(l->per_client);
    free(l->scratch);
    free(l);
}

int http_listener_port(const http_listener *l)
{
    return l->port;
}

unsigned http_listener_connections(const http_listener *l)
{
    return l->nconns;
}

unsigned long long http_listener_responses(const http_listener *l, int status_class)
{
    return status_class >= 1 && status_class <= 5 ? l->responses[status_class] : 0;
}

unsigned long long http_listener_bytes(const http_listener *l, bool out)
{
    return out ? l->bytes_out : l->bytes_in;
}

void http_conn_set_cors(http_conn *c, const char *origin, size_t len)
{
    free(c->cors);
    c->cors = NULL;
    if (!origin)
        return;
    static const char fmt[] = "Access-Control-Allow-Origin: %.*s\r\n"
                              "Access-Control-Expose-Headers: Mcp-Session-Id, WWW-Authenticate\r\n"
                              "Vary: Origin\r\n";
    size_t n = sizeof fmt + len;
    c->cors = malloc(n);
    if (c->cors)
        snprintf(c->cors, n, fmt, (int)len, origin);
}
