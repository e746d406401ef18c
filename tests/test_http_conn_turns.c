/* test_http_conn_turns.c -- a connection's pipelined requests are handled
 * a few per loop turn, and between turns the loop runs its timers: a
 * flood of pipelined requests must not keep another connection's head
 * past its deadline until the whole flood is answered.
 *
 * One thread: the listener's loop runs one turn at a time between the
 * clients' steps, and each request costs the handler 1 ms of sleep, so the
 * order of the answers does not depend on the machine's load. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "transport/http_conn.h"
#include "transport/http_limits.h"
#include "util/error.h"
#include "util/log.h"
#include "check.h"

#define HEAD_TIMEOUT_MS 100
#define FLOOD 300 /* pipelined requests of 1 ms each: three head timeouts */
#define REQUEST "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
#define SLOW_HEAD "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "

static void on_request(void *ctx, http_conn *conn, const http_request *req, char *body, size_t len)
{
    (void)ctx, (void)req, (void)body, (void)len;
    usleep(1000);
    http_conn_reply(conn, 200, "text/plain", NULL, "ok", 2);
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Appends what fd has now to buf (nothing waits). */
static void drain(int fd, char *buf, size_t cap, size_t *len)
{
    for (int i = 0; i < 1000 && *len + 1 < cap; i++) {
        ssize_t n = recv(fd, buf + *len, cap - *len - 1, MSG_DONTWAIT);
        if (n <= 0)
            break;
        *len += (size_t)n;
    }
    buf[*len] = 0;
}

static int count(const char *text, const char *what)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

int main(void)
{
    wc_log_set_level(WC_LOG_EMERGENCY); /* the 408's log line is expected */
    struct event_base *base = event_base_new();
    http_listener_options o = {.host = "127.0.0.1", .port = "0", .on_request = on_request};
    http_limits_default(&o.limits);
    o.limits.head_timeout_ms = HEAD_TIMEOUT_MS;
    http_listener *l = NULL;
    wc_error err = {0};
    if (!base || http_listener_new(base, &o, &l, &err) != 0) {
        printf("FAIL: cannot listen: %s\n", err.msg);
        return 1;
    }
    int port = http_listener_port(l);

    /* A head that stops coming; the server has read it (its deadline runs). */
    int slow = connect_to(port);
    CHECK(slow >= 0 && send(slow, SLOW_HEAD, strlen(SLOW_HEAD), 0) == (ssize_t)strlen(SLOW_HEAD),
          "slow head: %s", strerror(errno));
    for (int i = 0; i < 1000 && http_listener_bytes(l, false) < strlen(SLOW_HEAD); i++) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        usleep(1000);
    }
    CHECK(http_listener_bytes(l, false) == strlen(SLOW_HEAD), "the server read %llu bytes",
          http_listener_bytes(l, false));

    /* The flood: all of it in the socket before the loop reads it. */
    int flood = connect_to(port);
    static char requests[FLOOD * sizeof REQUEST];
    size_t len = 0;
    for (int i = 0; i < FLOOD; i++)
        len += (size_t)snprintf(requests + len, sizeof requests - len, "%s", REQUEST);
    CHECK(flood >= 0 && send(flood, requests, len, 0) == (ssize_t)len, "flood: %s", strerror(errno));

    /* Turn by turn until the slow head's answer comes: its timer ends
     * the last turn's wait at the latest. */
    static char answers[1 << 20];
    size_t got = 0;
    char head_answer[512] = "";
    size_t head_len = 0;
    int answered_before = -1;
    for (int turn = 0; turn < 100000 && head_len == 0; turn++) {
        event_base_loop(base, EVLOOP_ONCE);
        drain(flood, answers, sizeof answers, &got);
        drain(slow, head_answer, sizeof head_answer, &head_len);
        if (head_len > 0)
            answered_before = count(answers, "HTTP/1.1 200 ");
    }
    CHECK(strncmp(head_answer, "HTTP/1.1 408 ", 13) == 0, "the slow head's answer: '%.40s'", head_answer);
    /* 1 ms a request: the deadline passes near the 100th answer; a turn
     * or two of requests later the timer has run. */
    CHECK(answered_before >= 0 && answered_before < FLOOD - 100,
          "the head past its deadline waited for %d of the flood's %d answers", answered_before, FLOOD);
    printf("a head past its deadline was answered after %d of %d pipelined answers\n", answered_before,
           FLOOD);

    close(slow);
    close(flood);
    http_listener_free(l);
    event_base_free(base);
    return failures ? 1 : 0;
}
