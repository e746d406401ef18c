/* stdio.c -- newline-delimited JSON over two file descriptors.
 *
 * Input: one buffer that holds at most one partial line after each read;
 * complete lines are handed to the session in place, without a copy.  A
 * line that outgrows the limit switches the reader to discarding until the
 * next newline, so an endless line costs no memory.
 *
 * Output: messages are appended to a buffer under a lock.  The first
 * sender to find no write under way becomes the flusher: it swaps the
 * buffer with a spare and writes it outside the lock, again and again until
 * nothing is queued, while other threads keep appending.  The reader itself
 * only appends while it works through the lines of one read, and flushes
 * once at the end, so a burst of pings becomes a single write.  A worker
 * holds its answer back while other requests still wait for a worker (the
 * last of a burst writes them all): every write wakes the client, and a
 * pipelining client would otherwise get one small write per answer.  So
 * that a long call taken up next cannot strand held answers, the reader
 * looks every HOLD_MS while requests are in flight and writes what it finds.
 *
 * The queue is bounded (max_queued bytes): a worker whose message does not
 * fit waits until the flusher has taken the queue, or becomes the flusher
 * itself, so a client that stops reading stops the calls that produce
 * output (back-pressure) and no message is dropped.  The reader never
 * waits for room: while the queue is full it stops taking input instead,
 * which bounds what its own answers add.
 */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include "transport/stdio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mcp/jsonrpc.h"
#include "util/grow.h"
#include "util/log.h"

#define READ_CHUNK (64u << 10)
#define QUEUE_FIRST (64u << 10)  /* the output queue's first buffer: many answers */
#define BATCH_FLUSH (256u << 10) /* the reader flushes early past this much output */
#define HOLD_MAX (64u << 10)     /* a worker holds answers back up to this much */
#define HOLD_MS 2                /* the reader's look at held answers */
#define PIPE_BYTES (1 << 20)
#define DEFAULT_MAX_QUEUED (4u << 20)
#define FULL_POLL_MS 20          /* the reader's look at a full queue */

typedef struct stdio_out {
    pthread_mutex_t lock;
    int fd;
    char *buf, *spare;
    size_t len, cap, spare_cap;
    bool flushing;
    bool broken;   /* the peer closed the output: drop everything */
    bool batching; /* the reader is working through one read's lines */
    pthread_t reader;
    const wc_mcp_server *server; /* its backlog lets workers hold answers back */
    size_t max_queued;           /* bytes queued before senders wait */
    pthread_cond_t room;         /* the queue was taken, or the output broke */
    unsigned waiting;            /* senders waiting on room */
} stdio_out;

void wc_stdio_options_default(wc_stdio_options *o)
{
    memset(o, 0, sizeof *o);
    o->in_fd = 0;
    o->out_fd = 1;
    o->wake_fd = -1;
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                struct pollfd pfd = {.fd = fd, .events = POLLOUT};
                poll(&pfd, 1, -1);
                continue;
            }
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* With o->lock held and no flusher: writes until nothing is queued, or,
 * for a worker (all false), until what others appended meanwhile is small
 * enough to hold back: a worker must not turn into the writer of everyone
 * else's answers while there is work to run. */
static void flush_locked(stdio_out *o, bool all)
{
    o->flushing = true;
    while (o->len > 0) {
        if (!all && o->len < HOLD_MAX && wc_mcp_server_backlog(o->server))
            break; /* held: the next sender or the reader writes it */
        char *data = o->buf;
        size_t n = o->len, data_cap = o->cap;
        o->buf = o->spare; /* others append here while we write */
        o->cap = o->spare_cap;
        o->len = 0;
        o->spare = NULL;
        o->spare_cap = 0;
        if (o->waiting)
            pthread_cond_broadcast(&o->room);
        bool broken = o->broken;
        pthread_mutex_unlock(&o->lock);
        bool ok = broken || write_all(o->fd, data, n);
        int saved = errno;
        pthread_mutex_lock(&o->lock);
        if (!ok && !o->broken) {
            o->broken = true; /* waiters see it when this flush ends */
            wc_log(WC_LOG_WARNING, "stdio", "cannot write to the client (%s): dropping output",
                   strerror(saved));
        }
        o->spare = data;
        o->spare_cap = data_cap;
    }
    o->flushing = false;
    if (o->waiting) /* one of them may have to become the flusher */
        pthread_cond_broadcast(&o->room);
}

/* A worker's message of len bytes fits once the queue has room for it (an
 * empty queue takes any message).  With o->lock held; false when the
 * output broke meanwhile. */
static bool wait_for_room(stdio_out *o, size_t len)
{
    while (!o->broken && o->len > 0 && o->len + len + 1 > o->max_queued) {
        if (!o->flushing) {
            flush_locked(o, true);
            continue;
        }
        o->waiting++;
        pthread_cond_wait(&o->room, &o->lock);
        o->waiting--;
    }
    return !o->broken;
}

static void out_send(void *ctx, const wc_mcp_route *route, const char *data, size_t len)
{
    stdio_out *o = ctx;
    (void)route; /* one stream carries everything */
    if (!data)
        return;
    bool on_reader = pthread_equal(pthread_self(), o->reader);
    pthread_mutex_lock(&o->lock);
    if (o->broken || (!on_reader && !wait_for_room(o, len))) {
        pthread_mutex_unlock(&o->lock);
        return;
    }
    size_t need = o->len + len + 1;
    if (!wc_grow((void **)&o->buf, &o->cap, need < QUEUE_FIRST ? QUEUE_FIRST : need, 1)) {
        pthread_mutex_unlock(&o->lock);
        wc_log(WC_LOG_ERROR, "stdio", "out of memory: a message of %zu bytes was dropped", len);
        return;
    }
    memcpy(o->buf + o->len, data, len);
    o->buf[o->len + len] = '\n';
    o->len += len + 1;
    bool defer = o->flushing || (o->batching && o->len < BATCH_FLUSH && on_reader) ||
                 (!on_reader && o->len < HOLD_MAX && wc_mcp_server_backlog(o->server));
    if (!defer)
        flush_locked(o, false);
    pthread_mutex_unlock(&o->lock);
}

static void out_flush(stdio_out *o)
{
    pthread_mutex_lock(&o->lock);
    o->batching = false;
    if (!o->flushing)
        flush_locked(o, true);
    pthread_mutex_unlock(&o->lock);
}

/* Bigger pipe buffers (where we may have them: up to the system's
 * pipe-max-size) let a pipelining client and this server run further apart
 * before either has to wait, with fewer wake-ups on both sides. */
static void widen_pipe(int fd)
{
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
        (void)fcntl(fd, F_SETPIPE_SZ, PIPE_BYTES);
}

/* What the reader must know before it waits: whether output is queued
 * with no write under way (*pending), and whether the queue is full. */
static void out_state(stdio_out *o, bool *pending, bool *full)
{
    pthread_mutex_lock(&o->lock);
    *pending = o->len > 0 && !o->flushing;
    *full = o->len >= o->max_queued && !o->broken;
    pthread_mutex_unlock(&o->lock);
}

static bool blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return false;
    return true;
}

typedef struct reader {
    wc_mcp_session *session;
    size_t max;
    bool discarding;      /* in a line over the limit, until its newline */
    wc_rpc_id_scan scan;  /* that line's id, found as it streams past */
} reader;

/* The refused line has ended: answer it, by its id when it had one. */
static void too_large(reader *r)
{
    char msg[200];
    snprintf(msg, sizeof msg,
             "message too large: over the limit of %zu bytes (raise server.max_message_bytes "
             "in wasmcap.json)", r->max);
    json_t *id = wc_rpc_id_scan_result(&r->scan);
    wc_mcp_session_send_error_id(r->session, id, WC_RPC_INVALID_REQUEST, msg);
    json_decref(id);
    wc_log(WC_LOG_WARNING, "stdio", "refused a message over %zu bytes", r->max);
}

static void start_discarding(reader *r, const char *p, size_t n)
{
    wc_rpc_id_scan_init(&r->scan);
    wc_rpc_id_scan_feed(&r->scan, p, n);
    r->discarding = true;
}

static void line(reader *r, const char *p, size_t n)
{
    if (n > 0 && p[n - 1] == '\r')
        n--;
    if (n > r->max) {
        start_discarding(r, p, n);
        r->discarding = false;
        too_large(r);
        return;
    }
    if (blank(p, n))
        return;
    static const wc_mcp_receive_options batched = {.mode = WC_MCP_RECEIVE_BATCHED};
    wc_mcp_session_receive(r->session, p, n, &batched);
}

int wc_stdio_serve(wc_mcp_server *server, const wc_stdio_options *opt, wc_error *err)
{
    stdio_out out = {.fd = opt->out_fd, .reader = pthread_self(), .server = server,
                     .max_queued = opt->max_queued_bytes ? opt->max_queued_bytes
                                                         : DEFAULT_MAX_QUEUED};
    widen_pipe(opt->in_fd);
    widen_pipe(opt->out_fd);
    pthread_mutex_init(&out.lock, NULL);
    pthread_cond_init(&out.room, NULL);
    reader r = {.max = opt->max_message_bytes ? opt->max_message_bytes
                                              : wc_mcp_server_options(server)->max_message_bytes};
    int status = 0;
    size_t cap = READ_CHUNK, len = 0;
    char *buf = malloc(cap);
    r.session = buf ? wc_mcp_session_new(server, out_send, &out) : NULL;
    if (!r.session) {
        free(buf);
        pthread_mutex_destroy(&out.lock);
        pthread_cond_destroy(&out.room);
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    }

    for (;;) {
        /* Answers may be held back while requests are queued or running:
         * look again soon.  With none when we wait, none can be held later:
         * only this thread queues requests. */
        bool pending, full;
        out_state(&out, &pending, &full);
        int timeout = wc_mcp_session_busy(r.session) || pending ? HOLD_MS : -1;
        /* A full queue: no input (no new answers) until the client reads. */
        if (full)
            timeout = FULL_POLL_MS;
        if (opt->wake_fd >= 0 || timeout >= 0) {
            struct pollfd pfd[2] = {{.fd = full ? -1 : opt->in_fd, .events = POLLIN},
                                    {.fd = opt->wake_fd, .events = POLLIN}};
            int ready = poll(pfd, opt->wake_fd >= 0 ? 2 : 1, timeout);
            if (ready < 0) {
                if (errno == EINTR)
                    continue;
                status = wc_error_set(err, -errno, "poll: %s", wc_strerror(-errno));
                break;
            }
            if (ready == 0) {
                out_flush(&out);
                continue;
            }
            if (opt->wake_fd >= 0 && pfd[1].revents) {
                if (opt->on_wake(opt->wake_ctx))
                    break;
                if (!pfd[0].revents)
                    continue;
            }
        }
        /* a partial line filling the buffer gets room (it is <= max) */
        if (!wc_grow((void **)&buf, &cap, len + READ_CHUNK / 4, 1)) {
            status = wc_error_set(err, WC_ENOMEM, "out of memory reading a message of %zu bytes",
                                  len);
            break;
        }
        ssize_t n = read(opt->in_fd, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                struct pollfd pfd = {.fd = opt->in_fd, .events = POLLIN};
                poll(&pfd, 1, -1);
                continue;
            }
            status = wc_error_set(err, -errno, "read: %s", wc_strerror(-errno));
            break;
        }
        if (n == 0) {
            if (r.discarding)
                too_large(&r);
            else if (len > 0) /* a last line without its newline */
                line(&r, buf, len);
            break;
        }

        size_t scan = len, start = 0;
        len += (size_t)n;
        pthread_mutex_lock(&out.lock);
        out.batching = true;
        pthread_mutex_unlock(&out.lock);
        char *nl;
        while ((nl = memchr(buf + scan, '\n', len - scan)) != NULL) {
            size_t end = (size_t)(nl - buf);
            if (r.discarding) { /* the end of a refused line */
                wc_rpc_id_scan_feed(&r.scan, buf + start, end - start);
                r.discarding = false;
                too_large(&r);
            } else {
                line(&r, buf + start, end - start);
            }
            start = scan = end + 1;
        }
        if (r.discarding) {
            wc_rpc_id_scan_feed(&r.scan, buf + start, len - start);
            len = 0;
        } else if (len - start > r.max) {
            start_discarding(&r, buf + start, len - start);
            len = 0;
        } else {
            memmove(buf, buf + start, len - start);
            len -= start;
        }
        wc_mcp_session_flush_batch(r.session);
        out_flush(&out);
        /* Keep the buffer small again after a big message. */
        if (len == 0 && cap > 4 * READ_CHUNK) {
            char *p = realloc(buf, READ_CHUNK);
            if (p) {
                buf = p;
                cap = READ_CHUNK;
            }
        }
    }
    free(buf);
    wc_mcp_session_close(r.session); /* waits for calls in flight */
    out_flush(&out);
    free(out.buf);
    free(out.spare);
    pthread_mutex_destroy(&out.lock);
    pthread_cond_destroy(&out.room);
    return status;
}
