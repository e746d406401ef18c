/* cluster_world.h -- a cluster on loopback for a test or a benchmark: a
 * nats-server (nats_server.h), three `wasmcap serve --http` processes with
 * cluster.enabled on free 127.0.0.1 ports, and Debian's haproxy in front of
 * them (round robin, no stickiness: any node serves any session), which
 * names the node that answered in an X-Wasmcap-Node header.  Nodes can be
 * killed (-9), stopped and started again on their port.
 *
 * The nodes serve tests/stream_plugin.h's plugin (calls answered as event
 * streams), and a request's stream resumed on another node ends after
 * CW_LOST_CALL_MS without news of its call.
 *
 * Meant to be included by one file (everything is static) after check.h,
 * http_server.h and nats_server.h.
 */
#ifndef WC_TESTS_CLUSTER_WORLD_H
#define WC_TESTS_CLUSTER_WORLD_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stream_plugin.h"

#define CW_NODES 3
#define CW_LOST_CALL_MS 1500

typedef struct cw_node {
    pid_t pid; /* 0: not running */
    int port;
    char name[8]; /* "n0".. as haproxy knows it */
} cw_node;

typedef struct cluster_world {
    nats_server nats;
    cw_node node[CW_NODES];
    pid_t haproxy;
    int port; /* haproxy's */
    char dir[512];
    char config[600];
} cluster_world;

/* Whether GET /healthz on port answers 200 within timeout_ms. */
static inline bool cw_healthy(int port, int timeout_ms)
{
    long long end = hc_now_ms() + timeout_ms;
    do {
        hc c;
        hc_resp r;
        if (hc_open(&c, port, NULL)) {
            bool ok = hc_sendf(&c, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", port) &&
                      hc_response(&c, &r, 1000, false) == 200;
            if (r.body || r.status)
                hc_resp_free(&r);
            hc_close(&c);
            if (ok)
                return true;
        }
        nats_server_sleep_ms(20);
    } while (hc_now_ms() < end);
    return false;
}

static inline int cw_node_start(cluster_world *w, int i)
{
    cw_node *n = &w->node[i];
    char listen[32], log_path[600];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", n->port);
    snprintf(log_path, sizeof log_path, "%s/%s.log", w->dir, n->name);
    char *argv[] = {WC_BINARY_DIR "/wasmcap", "serve", "--config", w->config, "--http", listen,
                    NULL};
    pid_t pid = nats_server_spawn_logged(log_path, argv);
    if (pid < 0)
        return -1;
    n->pid = pid;
    if (!cw_healthy(n->port, 10000)) {
        printf("node %s did not come up: see %s\n", n->name, log_path);
        return -1;
    }
    return 0;
}

/* Ends node i with sig (SIGKILL: a crash; SIGTERM: a clean stop). */
static inline void cw_node_signal(cluster_world *w, int i, int sig)
{
    cw_node *n = &w->node[i];
    if (n->pid <= 0)
        return;
    kill(n->pid, sig);
    for (int k = 0; k < 1000 && waitpid(n->pid, NULL, WNOHANG) != n->pid; k++)
        nats_server_sleep_ms(10);
    if (kill(n->pid, 0) == 0) {
        kill(n->pid, SIGKILL);
        waitpid(n->pid, NULL, 0);
    }
    n->pid = 0;
}

/* The node whose haproxy name is name, or -1. */
static inline int cw_node_named(const cluster_world *w, const char *name)
{
    for (int i = 0; name && i < CW_NODES; i++)
        if (strcmp(w->node[i].name, name) == 0)
            return i;
    return -1;
}

static inline int cw_haproxy_start(cluster_world *w)
{
    char path[600];
    snprintf(path, sizeof path, "%s/haproxy.cfg", w->dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    /* health checks every 100 ms take a dead node out; a request sent to
     * one that died meanwhile is sent again to another (redispatch) */
    fprintf(f,
            "global\n  maxconn 1000\n"
            "defaults\n  mode http\n  timeout connect 1s\n  timeout client 60s\n"
            "  timeout server 60s\n  timeout tunnel 60s\n  retries 3\n  option redispatch 1\n"
            "frontend mcp\n  bind 127.0.0.1:%d\n  default_backend nodes\n"
            "backend nodes\n  balance roundrobin\n  option httpchk GET /healthz\n"
            "  default-server inter 100ms fall 1 rise 1\n"
            "  http-response set-header X-Wasmcap-Node %%[srv_name]\n",
            w->port);
    for (int i = 0; i < CW_NODES; i++)
        fprintf(f, "  server %s 127.0.0.1:%d check\n", w->node[i].name, w->node[i].port);
    fclose(f);
    char log_path[600];
    snprintf(log_path, sizeof log_path, "%s/haproxy.log", w->dir);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (log >= 0) {
            dup2(log, 1);
            dup2(log, 2);
        }
        execlp("haproxy", "haproxy", "-db", "-f", path, (char *)NULL);
        _exit(127);
    }
    w->haproxy = pid;
    for (int i = 0; i < 500; i++) {
        if (nats_server_accepts(w->port))
            return 0;
        nats_server_sleep_ms(10);
    }
    printf("haproxy did not listen: see %s (is it installed?)\n", log_path);
    return -1;
}

/* Starts everything; -1 (said on stdout) when something did not come up.
 * Call cw_stop whatever it returned. */
static inline int cw_start(cluster_world *w, const char *name)
{
    memset(w, 0, sizeof *w);
    if (nats_server_start(&w->nats, name) != 0)
        return -1;
    snprintf(w->dir, sizeof w->dir, "%s", w->nats.dir); /* removed with it */
    snprintf(w->config, sizeof w->config, "%s/wasmcap.json", w->dir);
    if (stream_plugin_build(w->dir) != 0) {
        printf("the stream plugin (is wat2wasm installed?)\n");
        return -1;
    }
    FILE *f = fopen(w->config, "w");
    if (!f)
        return -1;
    fprintf(f,
            "{\"bus\": {\"url\": \"%s\"},\n"
            " \"cluster\": {\"enabled\": true},\n"
            " \"http\": {\"sse_retry_ms\": 100, \"cluster_lost_call_ms\": %d},\n"
            " \"storage\": {\"cache_dir\": \"%s/cache\", \"kv_dir\": \"%s/kv\"},\n"
            " \"plugins\": {\"t\": {\"path\": \"%s/t.wasm\", \"prefix\": \"\",\n"
            "   \"permissions\": {\"timeout_ms\": 8000}}},\n"
            " \"audit\": {\"enabled\": false}}\n",
            w->nats.url, CW_LOST_CALL_MS, w->dir, w->dir, w->dir);
    fclose(f);
    for (int i = 0; i < CW_NODES; i++) {
        snprintf(w->node[i].name, sizeof w->node[i].name, "n%d", i);
        w->node[i].port = nats_server_free_port();
        if (cw_node_start(w, i) != 0)
            return -1;
    }
    w->port = nats_server_free_port();
    return cw_haproxy_start(w);
}

#define CW_VERSION_HEADER "MCP-Protocol-Version: 2025-06-18\r\n"

/* Opens the session's GET stream through haproxy (after last_id: NULL or
 * "" none), retrying while no node answers 200 (haproxy may still send to
 * a node that died) for up to 10 s; which node answered goes to *node. */
static inline bool cw_open_stream(const cluster_world *w, hc *g, hc_resp *r,
                                  const char *session, const char *last_id, int *node)
{
    char resume[96] = "";
    if (last_id && last_id[0])
        snprintf(resume, sizeof resume, "Last-Event-ID: %s\r\n", last_id);
    long long end = hc_now_ms() + 10000;
    while (hc_now_ms() < end) {
        if (hc_open(g, w->port, NULL) &&
            hc_sendf(g, "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: text/event-stream\r\n"
                        CW_VERSION_HEADER "Mcp-Session-Id: %s\r\n%s\r\n", w->port, session,
                     resume)) {
            int status = hc_read_head(g, r, 2000, false);
            if (status == 200) {
                *node = cw_node_named(w, hc_header(r, "x-wasmcap-node"));
                return true;
            }
            hc_resp_free(r);
        }
        hc_close(g);
        nats_server_sleep_ms(5);
    }
    return false;
}

static inline void cw_stop(cluster_world *w)
{
    if (w->haproxy > 0) {
        kill(w->haproxy, SIGTERM);
        waitpid(w->haproxy, NULL, 0);
        w->haproxy = 0;
    }
    for (int i = 0; i < CW_NODES; i++)
        cw_node_signal(w, i, SIGTERM);
    nats_server_stop(&w->nats);
}

#endif
