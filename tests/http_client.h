/* http_client.h -- a small blocking HTTP/1.1 client for the HTTP transport's
 * tests: raw bytes out, responses in (status, headers, bodies framed by
 * Content-Length, chunked or the end of the connection) and server-sent
 * events read one at a time, every wait bounded by a timeout.
 *
 * Written apart from the server's own parser on purpose, so that the tests
 * do not check the server's reading of HTTP with that same reading.  Meant
 * to be included by one test file (everything is static).
 */
#ifndef WC_TESTS_HTTP_CLIENT_H
#define WC_TESTS_HTTP_CLIENT_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct hc {
    int fd;
    char *buf; /* received and not consumed yet */
    size_t len, cap;
    bool eof;  /* the server closed (or reset) the connection */
} hc;

static inline long long hc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Connects to 127.0.0.1:port from source (another loopback address, so
 * that tests counting per client do not see each other; NULL: any).
 * rcvbuf > 0 shrinks the receive buffer (a client that reads slowly). */
static inline bool hc_open_from(hc *c, int port, const char *source, int rcvbuf)
{
    memset(c, 0, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (c->fd < 0)
        return false;
    if (rcvbuf > 0)
        setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (source) {
        struct sockaddr_in from = {.sin_family = AF_INET};
        inet_pton(AF_INET, source, &from.sin_addr);
        if (bind(c->fd, (struct sockaddr *)&from, sizeof from) != 0) {
            close(c->fd);
            c->fd = -1;
            return false;
        }
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (connect(c->fd, (struct sockaddr *)&to, sizeof to) != 0 && errno != EINPROGRESS) {
        close(c->fd);
        c->fd = -1;
        return false;
    }
    struct pollfd p = {.fd = c->fd, .events = POLLOUT};
    int err = 0;
    socklen_t len = sizeof err;
    if (poll(&p, 1, 2000) != 1 || getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
        err != 0) {
        close(c->fd);
        c->fd = -1;
        return false;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return true;
}

static inline bool hc_open(hc *c, int port, const char *source)
{
    return hc_open_from(c, port, source, 0);
}

static inline void hc_close(hc *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
    c->len = c->cap = 0;
}

/* Sends everything within timeout_ms; false when the connection failed or
 * the server stopped taking bytes. */
static inline bool hc_send_timeout(hc *c, const void *data, size_t len, int timeout_ms)
{
    const char *p = data;
    long long deadline = hc_now_ms() + timeout_ms;
    while (len > 0) {
        ssize_t w = send(c->fd, p, len, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            len -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return false;
        long long left = deadline - hc_now_ms();
        struct pollfd pf = {.fd = c->fd, .events = POLLOUT};
        if (left <= 0 || poll(&pf, 1, (int)left) != 1)
            return false;
    }
    return true;
}

static inline bool hc_send(hc *c, const void *data, size_t len)
{
    return hc_send_timeout(c, data, len, 5000);
}

static inline bool hc_sendf(hc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline bool hc_sendf(hc *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    int n = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (n < 0)
        return false;
    bool ok = hc_send(c, text, (size_t)n);
    free(text);
    return ok;
}

/* Reads what arrives before deadline: 1 some bytes, 0 the end of the
 * connection, -1 nothing in time. */
static inline int hc_fill(hc *c, long long deadline)
{
    if (c->eof)
        return 0;
    for (;;) {
        if (c->cap - c->len < 65536) {
            size_t cap = c->cap ? c->cap * 2 : 131072;
            c->buf = realloc(c->buf, cap);
            c->cap = cap;
        }
        ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
        if (r > 0) {
            c->len += (size_t)r;
            c->buf[c->len] = 0;
            return 1;
        }
        if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            c->eof = true;
            return 0;
        }
        long long left = deadline - hc_now_ms();
        struct pollfd pf = {.fd = c->fd, .events = POLLIN};
        if (left <= 0 || poll(&pf, 1, (int)left) == 0)
            return -1;
    }
}

static inline void hc_consume(hc *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
    if (c->buf)
        c->buf[c->len] = 0;
}

/* Whether the server closes the connection within timeout_ms (bytes that
 * arrive before are dropped). */
static inline bool hc_closed_within(hc *c, int timeout_ms)
{
    long long deadline = hc_now_ms() + timeout_ms;
    for (;;) {
        c->len = 0;
        int r = hc_fill(c, deadline);
        if (r == 0)
            return true;
        if (r < 0)
            return false;
    }
}

/* --- responses --- */

enum { HC_NONE, HC_LENGTH, HC_CHUNKED, HC_UNTIL_CLOSE };

typedef struct hc_resp {
    int status;
    char *head;      /* the status line and headers, NUL-terminated */
    char *body;      /* decoded so far, NUL-terminated */
    size_t body_len, body_cap, body_off; /* body_off: events already read */
    int framing;
    unsigned long long left; /* HC_LENGTH: bytes to come; HC_CHUNKED: of this chunk */
    int chunk_state;         /* 0 size line, 1 data, 2 CRLF after data, 3 trailers */
    bool done;               /* the whole body arrived */
} hc_resp;

static inline void hc_resp_free(hc_resp *r)
{
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* The value of header name, or NULL (a few results stay valid at once). */
static const char *hc_header(const hc_resp *r, const char *name)
{
    static char values[8][4096];
    static int next;
    if (!r->head)
        return NULL;
    size_t nlen = strlen(name);
    const char *line = strstr(r->head, "\r\n");
    while (line && line[2]) {
        line += 2;
        const char *end = strstr(line, "\r\n");
        if (!end)
            break;
        if ((size_t)(end - line) > nlen && line[nlen] == ':' && strncasecmp(line, name, nlen) == 0) {
            const char *v = line + nlen + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            char *out = values[next++ % 8];
            snprintf(out, sizeof values[0], "%.*s", (int)(end - v), v);
            return out;
        }
        line = end;
    }
    return NULL;
}

static void body_append(hc_resp *r, const char *data, size_t n)
{
    if (r->body_cap - r->body_len < n + 1) {
        size_t cap = r->body_cap ? r->body_cap : 4096;
        while (cap - r->body_len < n + 1)
            cap *= 2;
        r->body = realloc(r->body, cap);
        r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, data, n);
    r->body_len += n;
    r->body[r->body_len] = 0;
}

/* Reads a response head.  head_request: no body follows (HEAD).  Returns
 * the status, or 0 when none came in time or the connection ended. */
static inline int hc_read_head(hc *c, hc_resp *r, int timeout_ms, bool head_request)
{
    memset(r, 0, sizeof *r);
    long long deadline = hc_now_ms() + timeout_ms;
    char *end;
    while (!(end = c->buf ? strstr(c->buf, "\r\n\r\n") : NULL))
        if (hc_fill(c, deadline) <= 0)
            return 0;
    size_t head_len = (size_t)(end - c->buf) + 4;
    r->head = strndup(c->buf, head_len);
    hc_consume(c, head_len);
    int minor;
    if (sscanf(r->head, "HTTP/1.%d %d ", &minor, &r->status) != 2)
        return r->status = 0;
    body_append(r, "", 0);
    const char *te = hc_header(r, "transfer-encoding");
    const char *cl = hc_header(r, "content-length");
    if (head_request || r->status < 200 || r->status == 204 || r->status == 304) {
        r->framing = HC_NONE;
        r->done = true;
    } else if (te && strcasecmp(te, "chunked") == 0) {
        r->framing = HC_CHUNKED;
    } else if (cl) {
        r->framing = HC_LENGTH;
        r->left = strtoull(cl, NULL, 10);
        r->done = r->left == 0;
    } else {
        r->framing = HC_UNTIL_CLOSE;
    }
    return r->status;
}

/* Decodes the body bytes that have arrived; waits for more if none could
 * be.  1: progress, 0: the body is complete, -1: timeout, the connection
 * ended early or the framing is broken. */
static inline int hc_body_step(hc *c, hc_resp *r, long long deadline)
{
    if (r->done)
        return 0;
    bool progress = false;
    for (;;) {
        if (r->framing == HC_LENGTH) {
            size_t n = c->len < r->left ? c->len : (size_t)r->left;
            if (n) {
                body_append(r, c->buf, n);
                hc_consume(c, n);
                r->left -= n;
                progress = true;
            }
            if (r->left == 0)
                r->done = true;
        } else if (r->framing == HC_UNTIL_CLOSE) {
            if (c->len) {
                body_append(r, c->buf, c->len);
                hc_consume(c, c->len);
                progress = true;
            }
            if (c->eof)
                r->done = true;
        } else { /* chunked */
            for (;;) {
                if (r->chunk_state == 0 || r->chunk_state == 3) {
                    char *eol = c->buf ? memchr(c->buf, '\n', c->len) : NULL;
                    if (!eol)
                        break;
                    size_t line = (size_t)(eol - c->buf) + 1;
                    if (r->chunk_state == 0) {
                        char *endp;
                        r->left = strtoull(c->buf, &endp, 16);
                        if (endp == c->buf || (*endp != '\r' && *endp != ';'))
                            return -1;
                        r->chunk_state = r->left ? 1 : 3;
                    } else if (line <= 2) { /* the empty line after the last chunk */
                        hc_consume(c, line);
                        r->done = true;
                        progress = true;
                        break;
                    }
                    hc_consume(c, line);
                    progress = true;
                } else if (r->chunk_state == 1) {
                    size_t n = c->len < r->left ? c->len : (size_t)r->left;
                    if (!n)
                        break;
                    body_append(r, c->buf, n);
                    hc_consume(c, n);
                    r->left -= n;
                    progress = true;
                    if (r->left == 0)
                        r->chunk_state = 2;
                } else {
                    if (c->len < 2)
                        break;
                    if (memcmp(c->buf, "\r\n", 2) != 0)
                        return -1;
                    hc_consume(c, 2);
                    r->chunk_state = 0;
                }
            }
        }
        if (r->done)
            return progress ? 1 : 0;
        if (progress)
            return 1;
        int f = hc_fill(c, deadline);
        if (f < 0)
            return -1;
        if (f == 0 && r->framing != HC_UNTIL_CLOSE && c->len == 0)
            return -1; /* closed in the middle of the body */
    }
}

static inline bool hc_read_body(hc *c, hc_resp *r, int timeout_ms)
{
    long long deadline = hc_now_ms() + timeout_ms;
    int s;
    while ((s = hc_body_step(c, r, deadline)) > 0)
        ;
    return s == 0;
}

/* A whole response: its status, or 0 when none came in time. */
static inline int hc_response(hc *c, hc_resp *r, int timeout_ms, bool head_request)
{
    if (!hc_read_head(c, r, timeout_ms, head_request))
        return 0;
    if (!hc_read_body(c, r, timeout_ms))
        return 0;
    return r->status;
}

/* --- server-sent events --- */

typedef struct hc_event {
    char id[64], event[64];
    bool has_id;
    int retry; /* -1: none */
    char *data; /* the data lines joined by \n */
} hc_event;

static inline void hc_event_free(hc_event *e)
{
    free(e->data);
    e->data = NULL;
}

/* The next event of an event-stream body: 1 one was read, 0 the stream
 * ended cleanly (nothing half-read), -1 timeout or a broken stream. */
static inline int hc_next_event(hc *c, hc_resp *r, hc_event *e, int timeout_ms)
{
    memset(e, 0, sizeof *e);
    e->retry = -1;
    long long deadline = hc_now_ms() + timeout_ms;
    for (;;) {
        char *start = r->body + r->body_off;
        char *end = strstr(start, "\n\n");
        if (end) {
            r->body_off += (size_t)(end - start) + 2;
            bool any = false;
            size_t data_len = 0;
            for (char *line = start; line < end + 1;) {
                char *nl = strchr(line, '\n');
                *nl = 0;
                char *colon = strchr(line, ':');
                const char *value = "";
                if (colon) {
                    *colon = 0;
                    value = colon[1] == ' ' ? colon + 2 : colon + 1;
                }
                if (strcmp(line, "id") == 0) {
                    snprintf(e->id, sizeof e->id, "%s", value);
                    e->has_id = any = true;
                } else if (strcmp(line, "event") == 0) {
                    snprintf(e->event, sizeof e->event, "%s", value);
                    any = true;
                } else if (strcmp(line, "retry") == 0) {
                    e->retry = atoi(value);
                    any = true;
                } else if (strcmp(line, "data") == 0) {
                    size_t n = strlen(value);
                    e->data = realloc(e->data, data_len + n + 2);
                    if (data_len)
                        e->data[data_len++] = '\n';
                    memcpy(e->data + data_len, value, n + 1);
                    data_len += n;
                    any = true;
                }
                line = nl + 1;
            }
            if (any) {
                if (!e->data)
                    e->data = strdup("");
                return 1;
            }
            continue; /* comments only */
        }
        int s = hc_body_step(c, r, deadline);
        if (s == 0)
            return r->body_off == r->body_len ? 0 : -1;
        if (s < 0)
            return -1;
    }
}

#endif
