/* bench_sse_idle.c -- holds many idle MCP event streams open against a server
 * and reports what the server's memory does meanwhile.
 *
 *   bench_sse_idle --port PORT --streams N [--sources K] [--hold SECONDS]
 *            [--server-pid PID] [--path /mcp] [--step N]
 *
 * Each stream is its own MCP session: initialize and
 * notifications/initialized are POSTed over one keep-alive connection per
 * source address, then a GET opens the session's event stream from a
 * fresh socket.  Source addresses cycle through 127.0.0.2, 127.0.0.3, ...
 * (K of them), so neither the ephemeral ports of one address nor a
 * server's per-client limits run out.  A stream counts as open once its
 * 200 and the first event arrived.  With --server-pid, the server's RSS is
 * printed at every --step streams and after --hold seconds.
 *
 * Bounded in count (N, and the descriptors this process may open) and in
 * time (--hold, and 10 s per step to see the streams confirmed).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port = 0, nstreams = 1000, nsources = 16, hold_s = 5, step = 0;
static const char *path = "/mcp";
static long server_pid = 0;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kib(long pid)
{
    char file[64], line[256];
    snprintf(file, sizeof file, "/proc/%ld/status", pid);
    FILE *f = fopen(file, "r");
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

static int connect_from(int source)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in src = {.sin_family = AF_INET};
    src.sin_addr.s_addr = htonl(0x7f000000u | (uint32_t)(2 + source));
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    dst.sin_addr.s_addr = htonl(0x7f000001u);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0 ||
        connect(fd, (struct sockaddr *)&dst, sizeof dst) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads one response with a Content-Length body; copies the session id. */
static int read_response(int fd, char *session, size_t session_size)
{
    char buf[8192];
    size_t len = 0;
    for (;;) {
        ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
        if (r <= 0)
            return -1;
        len += (size_t)r;
        buf[len] = 0;
        char *end = strstr(buf, "\r\n\r\n");
        if (!end)
            continue;
        char *cl = strcasestr(buf, "\r\ncontent-length:");
        size_t body = cl ? strtoul(cl + 17, NULL, 10) : 0;
        if (len < (size_t)(end + 4 - buf) + body)
            continue;
        int status = atoi(buf + 9);
        char *sid = strcasestr(buf, "\r\nmcp-session-id:");
        if (session && sid) {
            sid += 17;
            while (*sid == ' ')
                sid++;
            size_t n = strcspn(sid, "\r\n");
            snprintf(session, session_size, "%.*s", (int)n, sid);
        }
        return status;
    }
}

static int post(int fd, const char *session, const char *body, char *session_out, size_t size)
{
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                     "Accept: application/json, text/event-stream\r\n%s%s%sContent-Length: %zu\r\n"
                     "\r\n%s",
                     path, port, session ? "Mcp-Session-Id: " : "", session ? session : "",
                     session ? "\r\n" : "", strlen(body), body);
    if (write_all(fd, req, (size_t)n) != 0)
        return -1;
    return read_response(fd, session_out, size);
}

typedef struct stream {
    int fd;
    bool open;
    size_t got;
} stream;

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            puts("usage: bench_sse_idle --port PORT --streams N [--sources K] [--hold SECONDS]\n"
                 "                [--server-pid PID] [--path /mcp] [--step N]");
            return 0;
        }
        if (!v) {
            fprintf(stderr, "sse_idle: %s needs a value\n", a);
            return 2;
        }
        if (strcmp(a, "--port") == 0)
            port = atoi(v);
        else if (strcmp(a, "--streams") == 0)
            nstreams = atoi(v);
        else if (strcmp(a, "--sources") == 0)
            nsources = atoi(v);
        else if (strcmp(a, "--hold") == 0)
            hold_s = atoi(v);
        else if (strcmp(a, "--server-pid") == 0)
            server_pid = atol(v);
        else if (strcmp(a, "--path") == 0)
            path = v;
        else if (strcmp(a, "--step") == 0)
            step = atoi(v);
        else {
            fprintf(stderr, "sse_idle: unknown option %s\n", a);
            return 2;
        }
        i++;
    }
    if (port <= 0 || nstreams <= 0 || nsources <= 0 || nsources > 60000) {
        fprintf(stderr, "sse_idle: --port and --streams are required (see --help)\n");
        return 2;
    }
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if ((rlim_t)nstreams + nsources + 16 > rl.rlim_cur) {
        fprintf(stderr, "sse_idle: %d streams need more descriptors than this process may "
                "open (%llu): asking for %llu\n", nstreams, (unsigned long long)rl.rlim_cur,
                (unsigned long long)(rl.rlim_cur - (rlim_t)nsources - 16));
        nstreams = (int)(rl.rlim_cur - (rlim_t)nsources - 16);
    }
    if (step <= 0)
        step = nstreams;
    long base_rss = server_pid ? rss_kib(server_pid) : -1;
    printf("streams %d from %d source addresses; server RSS before: %ld KiB\n", nstreams,
           nsources, base_rss);

    int *setup = calloc((size_t)nsources, sizeof *setup);
    stream *st = calloc((size_t)nstreams, sizeof *st);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (!setup || !st || ep < 0)
        return 1;
    for (int s = 0; s < nsources; s++)
        setup[s] = -1;
    int opened = 0, failed = 0;
    double t0 = now_s();
    for (int done_to = 0; done_to < nstreams;) {
        int upto = done_to + step < nstreams ? done_to + step : nstreams;
        for (int i = done_to; i < upto; i++) {
            int src = i % nsources;
            char session[128] = "";
            if (setup[src] < 0 && (setup[src] = connect_from(src)) < 0) {
                failed++;
                continue;
            }
            int status = post(setup[src], NULL,
                              "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
                              "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
                              "\"clientInfo\":{\"name\":\"sse_idle\",\"version\":\"1\"}}}",
                              session, sizeof session);
            if (status != 200 || !session[0] ||
                post(setup[src], session,
                     "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", NULL,
                     0) != 202) {
                if (failed++ < 5)
                    fprintf(stderr, "sse_idle: initialize %d: status %d\n", i, status);
                close(setup[src]);
                setup[src] = -1;
                continue;
            }
            int fd = connect_from(src);
            if (fd < 0) {
                failed++;
                continue;
            }
            char req[512];
            int n = snprintf(req, sizeof req,
                             "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: text/event-stream\r\n"
                             "Mcp-Session-Id: %s\r\nMCP-Protocol-Version: 2025-11-25\r\n\r\n",
                             path, port, session);
            if (write_all(fd, req, (size_t)n) != 0) {
                close(fd);
                failed++;
                continue;
            }
            fcntl(fd, F_SETFL, O_NONBLOCK);
            st[i].fd = fd;
            struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        }
        /* Confirm: each stream's 200 and its first event (the priming one). */
        double deadline = now_s() + 10;
        while (opened + failed < upto && now_s() < deadline) {
            struct epoll_event evs[256];
            int k = epoll_wait(ep, evs, 256, 200);
            for (int e = 0; e < k; e++) {
                stream *s = &st[evs[e].data.u32];
                char buf[1024];
                ssize_t r = read(s->fd, buf, sizeof buf);
                if (r <= 0) {
                    if (!s->open)
                        failed++;
                    epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
                    continue;
                }
                if (!s->open && s->got == 0 && strncmp(buf, "HTTP/1.1 200", 12) != 0) {
                    if (failed++ < 5)
                        fprintf(stderr, "sse_idle: GET %u: %.40s\n", evs[e].data.u32, buf);
                    epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
                    s->got = 1;
                    continue;
                }
                s->got += (size_t)r;
                if (!s->open && memmem(buf, (size_t)r, "data:", 5)) {
                    s->open = true;
                    opened++;
                }
            }
        }
        done_to = upto;
        printf("%8d streams open (%d failed) after %.1f s; server RSS %ld KiB\n", opened, failed,
               now_s() - t0, server_pid ? rss_kib(server_pid) : -1);
        fflush(stdout);
    }
    for (int s = 0; s < nsources; s++)
        if (setup[s] >= 0)
            close(setup[s]);
    sleep((unsigned)hold_s);
    long rss = server_pid ? rss_kib(server_pid) : -1;
    printf("held %d streams for %d s; server RSS %ld KiB", opened, hold_s, rss);
    if (server_pid && opened > 0 && base_rss >= 0)
        printf(" (%.0f bytes per stream above the %ld KiB before)",
               (double)(rss - base_rss) * 1024.0 / opened, base_rss);
    printf("\n");
    for (int i = 0; i < nstreams; i++)
        if (st[i].fd > 0)
            close(st[i].fd);
    free(st);
    free(setup);
    return opened == nstreams ? 0 : 1;
}
