/* http_server.h -- the in-process servers of the HTTP transport's tests:
 * HTTP servers over a world (tests/world.h)
 * on a free port of 127.0.0.1 each with a thread running its loop, a
 * directory in /tmp for the plugins a test writes in WAT, and opening an
 * MCP session over the blocking client of http_client.h.
 *
 * Meant to be included by one test file (everything is static) after
 * check.h and http_client.h.
 */
#ifndef WC_TESTS_HTTP_SERVER_H
#define WC_TESTS_HTTP_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/config.h"
#include "mcp/server.h"
#include "plugin/registry.h"
#include "transport/http.h"

#include "check.h"
#include "http_client.h"
#include "world.h"

#define HS_WAIT_MS 5000 /* for an answer that should come at once */

/* The world the servers serve is tests/world.h's test_world. */

/* --- servers, each on a thread of its own --- */

typedef struct hs_server {
    wc_http_server *http;
    pthread_t thread;
    int port;
} hs_server;

static inline void *hs_server_main(void *arg)
{
    wc_http_server_run(((hs_server *)arg)->http);
    return NULL;
}

/* o->port "0" picks a free port (s->port).  -1, said on stdout, on
 * failure. */
static inline int hs_server_start(hs_server *s, wc_mcp_server *mcp, const wc_http_options *o)
{
    wc_error err;
    if (wc_http_server_new(o, mcp, &s->http, &err) != 0) {
        printf("http server: %s\n", err.msg);
        s->http = NULL;
        return -1;
    }
    s->port = wc_http_server_port(s->http);
    if (pthread_create(&s->thread, NULL, hs_server_main, s) != 0) {
        wc_http_server_free(s->http);
        s->http = NULL;
        return -1;
    }
    return 0;
}

/* Stops the loop, joins its thread and frees the server (as SIGTERM
 * does); nothing when it is not running. */
static inline void hs_server_stop(hs_server *s)
{
    if (!s->http)
        return;
    wc_http_server_stop(s->http);
    pthread_join(s->thread, NULL);
    wc_http_server_free(s->http);
    s->http = NULL;
}

/* --- plugins written by the test --- */

/* Makes a fresh directory /tmp/wasmcap-test-NAME-XXXXXX in dir. */
static inline int hs_plugin_dir_make(char *dir, size_t size, const char *name)
{
    snprintf(dir, size, "/tmp/wasmcap-test-%s-XXXXXX", name);
    return mkdtemp(dir) ? 0 : -1;
}

/* dir/file, opened for writing (NULL on failure). */
static inline FILE *hs_plugin_file(const char *dir, const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return fopen(path, "w");
}

/* Compiles dir/name.wat into dir/name.wasm with wat2wasm. */
static inline int hs_plugin_wat2wasm(const char *dir, const char *name)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "wat2wasm -o '%s/%s.wasm' '%s/%s.wat'", dir, name, dir, name);
    return system(cmd) == 0 ? 0 : -1;
}

static inline void hs_plugin_dir_remove(const char *dir)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("cannot remove %s\n", dir);
}

/* --- what the server shows --- */

/* A number from /metrics, asked with the extra header lines (NULL: none):
 * the value on the line "name value"; -1: none. */
static inline long long hs_metric(int port, const char *extra, const char *name)
{
    hc c;
    hc_resp r;
    long long v = -1;
    if (!hc_open(&c, port, "127.0.0.99"))
        return -1;
    if (hc_sendf(&c, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s\r\n", port,
                 extra ? extra : "") &&
        hc_response(&c, &r, HS_WAIT_MS, false) == 200) {
        char key[128];
        snprintf(key, sizeof key, "\n%s ", name);
        const char *at = strstr(r.body, key);
        if (at)
            v = atoll(at + strlen(key));
        hc_resp_free(&r);
    }
    hc_close(&c);
    return v;
}

/* The resident memory of this process (server and clients), in KiB. */
static inline long hs_rss_kb(void)
{
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* --- sessions --- */

/* POSTs body (len bytes) to /mcp, in session (NULL: none), with the
 * extra header lines (each ending in \r\n; NULL: none). */
static inline bool hs_send_post(hc *c, int port, const char *session, const char *extra,
                                const char *body, size_t len)
{
    char sid[128] = "";
    if (session)
        snprintf(sid, sizeof sid, "Mcp-Session-Id: %s\r\n", session);
    return hc_sendf(c,
                    "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                    "Content-Type: application/json\r\n"
                    "Accept: application/json, text/event-stream\r\n%s%s"
                    "Content-Length: %zu\r\n\r\n",
                    port, sid, extra ? extra : "", len) &&
           hc_send(c, body, len);
}

/* hs_send_post of a string, then its whole answer; its status (0: none). */
static inline int hs_post(hc *c, int port, const char *session, const char *extra,
                          const char *body, hc_resp *r)
{
    if (!hs_send_post(c, port, session, extra, body, strlen(body))) {
        memset(r, 0, sizeof *r);
        return 0;
    }
    return hc_response(c, r, HS_WAIT_MS, false);
}

static inline bool hs_is_session_id(const char *id)
{
    if (!id || strlen(id) != 32)
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

/* Opens a session on c: init_body (an initialize request), then
 * notifications/initialized, both with the extra header lines; its id
 * goes to session. */
static inline bool hs_open_session(hc *c, int port, const char *extra, const char *init_body,
                                   char session[33])
{
    hc_resp r;
    int status = hs_post(c, port, NULL, extra, init_body, &r);
    const char *id = hc_header(&r, "mcp-session-id");
    bool ok = status == 200 && hs_is_session_id(id);
    CHECK(ok, "initialize: status %d, session id '%s'", status, id ? id : "(none)");
    if (ok)
        snprintf(session, 33, "%s", id);
    hc_resp_free(&r);
    if (!ok)
        return false;
    status = hs_post(c, port, session, extra,
                     "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", &r);
    CHECK(status == 202, "notifications/initialized: %d", status);
    hc_resp_free(&r);
    return status == 202;
}

#endif
