/* bench_services.c -- a bus-backed tool against its ceiling: one call at a
 * time to the example inventory service (services/inventory) on a
 * nats-server of its own, first as a bare libnats request/reply loop (what
 * no server in between can beat), then as MCP tools/call through
 * `wasmcap serve` over stdio and over Streamable HTTP (the tool
 * inventory-stock, discovered).  Prints
 * calls/s and p50/p99 of each and their ratio.
 *
 *   build/bench_services BUILD_DIR [CALLS]     (default 5000 calls) */
#define _GNU_SOURCE /* vasprintf, in tests/http_client.h */
#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/clock.h"

#include "../tests/http_client.h"
#include "../tests/nats_server.h"

static int by_value(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, uint64_t *lat, int n, uint64_t total_ns, double *rate)
{
    qsort(lat, (size_t)n, sizeof *lat, by_value);
    *rate = n / (total_ns / 1e9);
    printf("%-34s %9.0f calls/s   p50 %7.1f us   p99 %7.1f us\n", what, *rate,
           lat[n / 2] / 1e3, lat[(int)(n * 0.99)] / 1e3);
}

static pid_t spawn(char *const argv[], int in_fd, int out_fd)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (in_fd >= 0)
            dup2(in_fd, 0);
        if (out_fd >= 0)
            dup2(out_fd, 1);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static double bare_loop(const char *url, int n)
{
    natsConnection *nc = NULL;
    if (natsConnection_ConnectTo(&nc, url) != NATS_OK)
        return 0;
    static const char req[] = "{\"sku\":\"A1\"}";
    natsMsg *reply = NULL;
    for (int i = 0; i < 200; i++) { /* until the service listens, and warm */
        if (natsConnection_RequestString(&reply, nc, "inventory.stock", req, 1000) == NATS_OK)
            natsMsg_Destroy(reply);
        else
            nats_Sleep(50);
    }
    uint64_t *lat = calloc((size_t)n, sizeof *lat);
    uint64_t start = wc_monotonic_ns();
    for (int i = 0; i < n; i++) {
        uint64_t t = wc_monotonic_ns();
        if (natsConnection_RequestString(&reply, nc, "inventory.stock", req, 1000) != NATS_OK) {
            fprintf(stderr, "bare request %d failed\n", i);
            exit(1);
        }
        natsMsg_Destroy(reply);
        lat[i] = wc_monotonic_ns() - t;
    }
    double rate;
    report("bare libnats request/reply", lat, n, wc_monotonic_ns() - start, &rate);
    free(lat);
    natsConnection_Destroy(nc);
    return rate;
}

typedef struct peer {
    int to, from;
    char buf[1 << 16];
    size_t len;
} peer;

/* The next line from the server, into line (NUL-terminated). */
static int read_line(peer *p, char *line, size_t size)
{
    for (;;) {
        char *nl = memchr(p->buf, '\n', p->len);
        if (nl) {
            size_t n = (size_t)(nl - p->buf);
            snprintf(line, size, "%.*s", (int)n, p->buf);
            memmove(p->buf, nl + 1, p->len - n - 1);
            p->len -= n + 1;
            return 0;
        }
        ssize_t got = read(p->from, p->buf + p->len, sizeof p->buf - p->len);
        if (got <= 0)
            return -1;
        p->len += (size_t)got;
    }
}

/* Sends a request and reads up to its answer (notifications skipped). */
static int ask(peer *p, int id, const char *method, const char *params, char *line, size_t size)
{
    char req[512], want[32];
    int n = snprintf(req, sizeof req, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"%s\",\"params\":%s}\n",
                     id, method, params);
    if (write(p->to, req, (size_t)n) != n)
        return -1;
    snprintf(want, sizeof want, "\"id\":%d", id);
    do
        if (read_line(p, line, size) != 0)
            return -1;
    while (!strstr(line, want));
    return 0;
}

/* n calls of one(ctx), each timed; one returns 0 when the call went well. */
static double measure(const char *what, int n, int (*one)(void *ctx), void *ctx)
{
    uint64_t *lat = calloc((size_t)n, sizeof *lat);
    uint64_t start = wc_monotonic_ns();
    for (int i = 0; i < n; i++) {
        uint64_t t = wc_monotonic_ns();
        if (one(ctx) != 0) {
            fprintf(stderr, "%s: call %d failed\n", what, i);
            exit(1);
        }
        lat[i] = wc_monotonic_ns() - t;
    }
    double rate;
    report(what, lat, n, wc_monotonic_ns() - start, &rate);
    free(lat);
    return rate;
}

typedef struct stdio_call {
    peer *p;
    int *id;
    const char *call;
    char *line;
    size_t size;
} stdio_call;

static int stdio_one(void *ctx)
{
    stdio_call *c = ctx;
    return ask(c->p, (*c->id)++, "tools/call", c->call, c->line, c->size);
}

static double through_wasmcap(const char *build, const char *url, int n)
{
    char config[] = "/tmp/bench_services_XXXXXX";
    int fd = mkstemp(config);
    dprintf(fd, "{\"bus\": {\"url\": \"%s\", \"services\": {\"interval_ms\": 500}}}", url);
    close(fd);
    int in[2], out[2];
    if (pipe(in) || pipe(out))
        return 0;
    char bin[4096];
    snprintf(bin, sizeof bin, "%s/wasmcap", build);
    char *argv[] = {bin, "serve", "--config", config, NULL};
    pid_t pid = spawn(argv, in[0], out[1]);
    close(in[0]);
    close(out[1]);
    peer *p = calloc(1, sizeof *p);
    p->to = in[1];
    p->from = out[0];
    static char line[1 << 16];
    ask(p, 0, "initialize",
        "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"bench\","
        "\"version\":\"1\"}}", line, sizeof line);
    static const char ready[] = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n";
    if (write(p->to, ready, sizeof ready - 1) < 0)
        return 0;
    int id = 1;
    for (int i = 0; i < 100; i++, id++) { /* until discovery found it */
        ask(p, id, "tools/list", "{}", line, sizeof line);
        if (strstr(line, "inventory-stock"))
            break;
        nats_Sleep(100);
    }
    static const char call[] = "{\"name\":\"inventory-stock\",\"arguments\":{\"sku\":\"A1\"}}";
    for (int i = 0; i < 200; i++)
        ask(p, id++, "tools/call", call, line, sizeof line);
    if (!strstr(line, "\"on_hand\":120") || strstr(line, "\"isError\":true")) {
        fprintf(stderr, "the tool did not answer as expected: %s\n", line);
        exit(1);
    }
    stdio_call sc = {p, &id, call, line, sizeof line};
    double rate = measure("tools/call through wasmcap (stdio)", n, stdio_one, &sc);
    close(p->to);
    kill(pid, SIGTERM); /* end of input stops it too, but without waiting for the bus's drain */
    int status;
    waitpid(pid, &status, 0);
    close(p->from);
    free(p);
    unlink(config);
    return rate;
}

/* One POST /mcp on c with the session's headers; the status, the body in r. */
static int post(hc *c, const char *session, const char *body, hc_resp *r)
{
    hc_resp_free(r);
    if (!hc_sendf(c,
                  "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  "Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-06-18\r\n"
                  "%s%s%sContent-Length: %zu\r\n\r\n%s",
                  session ? "Mcp-Session-Id: " : "", session ? session : "", session ? "\r\n" : "",
                  strlen(body), body))
        return 0;
    return hc_response(c, r, 10000, false);
}

typedef struct http_call {
    hc *c;
    const char *session, *body;
    hc_resp *r;
} http_call;

static int http_one(void *ctx)
{
    http_call *h = ctx;
    return post(h->c, h->session, h->body, h->r) == 200 ? 0 : -1;
}

/* The same calls as through_wasmcap, over Streamable HTTP on one
 * keep-alive connection (JSON responses). */
static double through_wasmcap_http(const char *build, const char *url, int n)
{
    char config[] = "/tmp/bench_services_XXXXXX";
    int fd = mkstemp(config);
    dprintf(fd, "{\"bus\": {\"url\": \"%s\", \"services\": {\"interval_ms\": 500}}}", url);
    close(fd);
    int port = nats_server_free_port();
    char bin[4096], listen[64];
    snprintf(bin, sizeof bin, "%s/wasmcap", build);
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    char *argv[] = {bin, "serve", "--config", config, "--http", listen, NULL};
    pid_t pid = spawn(argv, -1, -1);
    hc c = {0};
    for (int i = 0; i < 200 && !hc_open(&c, port, NULL); i++)
        nats_Sleep(25);
    hc_resp r = {0};
    int status = post(&c, NULL,
                      "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
                      "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{"
                      "\"name\":\"bench\",\"version\":\"1\"}}}", &r);
    const char *sid = status == 200 ? hc_header(&r, "Mcp-Session-Id") : NULL;
    char session[256];
    snprintf(session, sizeof session, "%s", sid ? sid : "");
    if (!sid) {
        fprintf(stderr, "HTTP initialize failed (%d)\n", status);
        exit(1);
    }
    post(&c, session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", &r);
    for (int i = 0; i < 100; i++) { /* until discovery found it */
        post(&c, session, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}", &r);
        if (r.body && strstr(r.body, "inventory-stock"))
            break;
        nats_Sleep(100);
    }
    static const char call[] = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
                               "{\"name\":\"inventory-stock\",\"arguments\":{\"sku\":\"A1\"}}}";
    for (int i = 0; i < 200; i++)
        post(&c, session, call, &r);
    if (!r.body || !strstr(r.body, "\"on_hand\":120") || strstr(r.body, "\"isError\":true")) {
        fprintf(stderr, "the tool did not answer as expected over HTTP: %s\n", r.body ? r.body : "");
        exit(1);
    }
    http_call hcall = {&c, session, call, &r};
    double rate = measure("tools/call through wasmcap (HTTP)", n, http_one, &hcall);
    hc_resp_free(&r);
    hc_close(&c);
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    unlink(config);
    return rate;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *build = argc > 1 ? argv[1] : "build";
    int n = argc > 2 ? atoi(argv[2]) : 5000;
    if (n < 100) {
        fprintf(stderr, "usage: bench_services BUILD_DIR [CALLS >= 100]\n");
        return 2;
    }
    nats_server ns;
    if (nats_server_start(&ns, "bench_services") != 0)
        return 1;
    char inv[4096];
    snprintf(inv, sizeof inv, "%s/wasmcap-inventory", build);
    char *argv_inv[] = {inv, "--url", ns.url, NULL};
    pid_t service = spawn(argv_inv, -1, -1);
    double ceiling = bare_loop(ns.url, n);
    double tool = through_wasmcap(build, ns.url, n);
    double http = through_wasmcap_http(build, ns.url, n);
    printf("through wasmcap / bare: stdio x%.2f, HTTP x%.2f of the ceiling\n",
           ceiling > 0 ? tool / ceiling : 0, ceiling > 0 ? http / ceiling : 0);
    kill(service, SIGTERM);
    waitpid(service, NULL, 0);
    nats_server_stop(&ns);
    nats_Close();
    return 0;
}
