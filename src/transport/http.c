/* http.c -- the HTTP server: its loop, the queue from the workers, the
 * checks every request passes (Host and Origin against DNS rebinding),
 * routing, and the operational endpoints.
 */
#define _GNU_SOURCE /* memmem */
#include "transport/http_internal.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>

#include "mcp/jsonrpc.h"
#include "transport/http_authority.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/metrics.h"

void wc_http_options_default(wc_http_options *o)
{
    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->port = "8080";
    o->endpoint = "/mcp";
    o->max_sessions = 100000;
    o->max_sessions_per_client = 1000;
    o->max_sessions_per_principal = 100;
    o->max_streams_per_session = 64;
    o->max_client_bytes = 256ll << 20;
    o->session_idle_ms = 600000;
    o->sse_log_events = 256;
    o->sse_log_bytes = 1u << 20;
    o->sse_keep_finished = 16;
    o->sse_retry_ms = 1000;
    o->cluster_lost_call_ms = 60000;
    o->inline_budget_ms = 2;
}

/* --- replies --- */

void http_reply_rpc_error(http_conn *conn, int status, int code, const char *message,
                          const char *headers)
{
    http_reply_rpc_error_id(conn, status, NULL, code, message, headers);
}

void http_reply_rpc_error_id(http_conn *conn, int status, const json_t *id, int code,
                             const char *message, const char *headers)
{
    uint8_t block[WC_RPC_BLOCK];
    wc_buf out;
    wc_buf_init_on(&out, block, sizeof block);
    /* JSON-RPC ids are strings or numbers: another is answered with null */
    if (!json_is_string(id) && !json_is_number(id))
        id = NULL;
    wc_rpc_write_error(&out, id, code, message, NULL);
    http_conn_reply(conn, status, "application/json", headers, (const char *)out.data,
                    out.len);
    wc_buf_free(&out);
}

void http_reply_text(http_conn *conn, int status, const char *text, const char *headers)
{
    http_conn_reply(conn, status, "text/plain; charset=utf-8", headers, text, strlen(text));
}

/* --- Host and Origin --- */

static bool is_loopback_name(const char *h, size_t n)
{
    static const char *const names[] = {"localhost", "127.0.0.1", "[::1]"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && strncasecmp(names[i], h, n) == 0)
            return true;
    return false;
}

static bool listed(const char *const *list, size_t count, const char *v, size_t n)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(list[i], "*") == 0 || (strlen(list[i]) == n && strncasecmp(list[i], v, n) == 0))
            return true;
    return false;
}

/* Only a well-formed value is compared: a lax split took "[::1]evil" for
 * [::1] and "localhost:@evil.com" for localhost. */
static bool host_allowed(const http_server *srv, const char *v, size_t n)
{
    http_authority a;
    if (!http_authority_parse(v, n, &a))
        return false;
    if (listed(srv->opt.allowed_hosts, srv->opt.nallowed_hosts, v, n) ||
        listed(srv->opt.allowed_hosts, srv->opt.nallowed_hosts, a.host, a.host_len))
        return true;
    if (srv->bound_to_loopback)
        return is_loopback_name(a.host, a.host_len);
    return srv->opt.nallowed_hosts == 0;
}

static bool origin_allowed(const http_server *srv, const char *v, size_t n)
{
    const char *scheme;
    size_t scheme_len;
    http_authority a;
    if (!http_origin_parse(v, n, &scheme, &scheme_len, &a))
        /* "null" (a sandboxed or file: page) only when listed as such */
        return n == 4 && memcmp(v, "null", 4) == 0 &&
               listed(srv->opt.allowed_origins, srv->opt.nallowed_origins, v, n);
    if (listed(srv->opt.allowed_origins, srv->opt.nallowed_origins, v, n))
        return true;
    return srv->bound_to_loopback && is_loopback_name(a.host, a.host_len);
}

/* --- operational endpoints --- */

static void reply_metrics(http_server *srv, http_conn *conn)
{
    const wc_http_stats *st = &srv->stats;
    const http_listener *l = srv->listener;
    wc_buf out;
    wc_buf_init(&out);
    wc_buf_printf(
        &out,
        "# HELP wasmcap_http_requests_total HTTP requests received.\n"
        "# TYPE wasmcap_http_requests_total counter\n"
        "wasmcap_http_requests_total %llu\n"
        "# HELP wasmcap_http_responses_total HTTP responses by status class.\n"
        "# TYPE wasmcap_http_responses_total counter\n"
        "wasmcap_http_responses_total{class=\"2xx\"} %llu\n"
        "wasmcap_http_responses_total{class=\"4xx\"} %llu\n"
        "wasmcap_http_responses_total{class=\"5xx\"} %llu\n"
        "# HELP wasmcap_http_bytes_total Bytes read from and written to HTTP clients.\n"
        "# TYPE wasmcap_http_bytes_total counter\n"
        "wasmcap_http_bytes_total{direction=\"in\"} %llu\n"
        "wasmcap_http_bytes_total{direction=\"out\"} %llu\n"
        "# HELP wasmcap_http_connections Open HTTP connections.\n"
        "# TYPE wasmcap_http_connections gauge\n"
        "wasmcap_http_connections %u\n"
        "# HELP wasmcap_sessions Open MCP sessions over HTTP.\n"
        "# TYPE wasmcap_sessions gauge\n"
        "wasmcap_sessions %lld\n"
        "# HELP wasmcap_sessions_opened_total Sessions opened.\n"
        "# TYPE wasmcap_sessions_opened_total counter\n"
        "wasmcap_sessions_opened_total %llu\n"
        "# HELP wasmcap_sessions_expired_total Sessions ended for being idle.\n"
        "# TYPE wasmcap_sessions_expired_total counter\n"
        "wasmcap_sessions_expired_total %llu\n"
        "# HELP wasmcap_sessions_resumed_total Sessions of a cluster continued on this node "
        "from their shared state.\n"
        "# TYPE wasmcap_sessions_resumed_total counter\n"
        "wasmcap_sessions_resumed_total %llu\n"
        "# HELP wasmcap_sse_streams Event streams kept (open or kept for replay).\n"
        "# TYPE wasmcap_sse_streams gauge\n"
        "wasmcap_sse_streams %lld\n"
        "# HELP wasmcap_sse_events_sent_total Server-sent events written.\n"
        "# TYPE wasmcap_sse_events_sent_total counter\n"
        "wasmcap_sse_events_sent_total %llu\n",
        st->requests, http_listener_responses(l, 2), http_listener_responses(l, 4),
        http_listener_responses(l, 5), http_listener_bytes(l, false), http_listener_bytes(l, true),
        http_listener_connections(l), st->open_sessions, st->sessions_opened,
        st->sessions_expired, st->sessions_resumed, st->open_streams, st->events_sent);
    wc_buf_printf(
        &out,
        "# HELP wasmcap_client_bytes Bytes kept for all HTTP clients: request bodies in flight "
        "and event logs kept for replay.\n"
        "# TYPE wasmcap_client_bytes gauge\n"
        "wasmcap_client_bytes %lld\n"
        "# HELP wasmcap_client_bytes_max Bytes kept for the client that has most "
        "(http.max_client_bytes bounds it).\n"
        "# TYPE wasmcap_client_bytes_max gauge\n"
        "wasmcap_client_bytes_max %zu\n"
        "# HELP wasmcap_client_budget_refusals_total Requests refused with 429 for "
        "http.max_client_bytes.\n"
        "# TYPE wasmcap_client_budget_refusals_total counter\n"
        "wasmcap_client_budget_refusals_total %llu\n"
        "# HELP wasmcap_replay_logs_dropped_total Event logs of finished streams dropped for "
        "http.max_client_bytes.\n"
        "# TYPE wasmcap_replay_logs_dropped_total counter\n"
        "wasmcap_replay_logs_dropped_total %llu\n",
        st->client_bytes, http_budget_max_bytes(srv), st->client_budget_refusals,
        st->replay_logs_dropped);
    wc_mcp_server_render_metrics(srv->mcp, &out);
    if (out.failed) {
        wc_buf_free(&out);
        http_reply_text(conn, 500, "out of memory\n", NULL);
        return;
    }
    http_conn_reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8", NULL,
                    (const char *)out.data, out.len);
    wc_buf_free(&out);
}

/* "ok", and the state of what the server depends on without failing for
 * it: a disconnected bus leaves the Wasm tools serving, so it is detail,
 * not a failed check. */
static void reply_health(http_server *srv, http_conn *conn)
{
    wc_buf out;
    wc_buf_init(&out);
    wc_buf_str(&out, "ok\n");
    wc_mcp_server_render_health(srv->mcp, &out);
    if (out.failed)
        http_reply_text(conn, 200, "ok\n", NULL);
    else
        http_conn_reply(conn, 200, "text/plain; charset=utf-8", NULL, (const char *)out.data,
                        out.len);
    wc_buf_free(&out);
}

static bool path_is(const http_request *req, const char *path)
{
    return req->path_len == strlen(path) && memcmp(req->path, path, req->path_len) == 0;
}

/* --- authorization --- */

bool http_session_owned(const http_server *srv, const http_session *s)
{
    if (!srv->opt.auth || !srv->principal)
        return true;
    return strcmp(s->owner, srv->principal->id) == 0;
}

bool http_principal_full(const http_server *srv)
{
    if (!srv->opt.auth || !srv->principal)
        return false;
    return (unsigned long)wc_counts_get(srv->sessions_per_principal, srv->principal->id) >=
           srv->opt.max_sessions_per_principal;
}

/* Authenticates a request to a protected path; false when the refusal
 * was sent.  On success the principal is in *result. */
static bool authenticate(http_server *srv, http_conn *conn, const http_request *req,
                         wc_auth_result *result)
{
    const char *value = NULL;
    size_t value_len = 0;
    unsigned count = 0;
    for (unsigned i = 0; i < req->nheaders; i++) {
        const http_header *h = &req->headers[i];
        if (h->name_len == 13 && strncasecmp(h->name, "authorization", 13) == 0) {
            value = h->value;
            value_len = h->value_len;
            count++;
        }
    }
    memset(result, 0, sizeof *result);
    if (count > 1) {
        http_reply_rpc_error(conn, 400, WC_RPC_INVALID_REQUEST,
                             "Bad Request: more than one Authorization header", NULL);
        return false;
    }
    char *copy = value ? strndup(value, value_len) : NULL;
    wc_auth_authenticate(srv->opt.auth, copy, result);
    free(copy);
    if (result->http_status == 200)
        return true;
    wc_log(WC_LOG_INFO, "http", "refused %s from %s: %s (%s)", srv->endpoint,
           http_conn_peer(conn), wc_auth_reason_name(result->reason), result->detail);
    char headers[1024] = "";
    if (result->www_authenticate)
        snprintf(headers, sizeof headers, "WWW-Authenticate: %s\r\n", result->www_authenticate);
    const char *why = result->http_status == 401   ? "Unauthorized"
                      : result->http_status == 400 ? "Bad Request"
                      : result->http_status == 403 ? "Forbidden"
                                                   : "Service Unavailable";
    char message[256];
    snprintf(message, sizeof message, "%s: %s", why,
             wc_auth_reason_description(result->reason)[0]
                 ? wc_auth_reason_description(result->reason)
                 : "a valid bearer token is required");
    http_reply_rpc_error(conn, result->http_status, WC_RPC_INVALID_REQUEST, message,
                         headers[0] ? headers : NULL);
    wc_auth_result_free(result);
    return false;
}

static void on_request(void *ctx, http_conn *conn, const http_request *req, char *body,
                       size_t body_len)
{
    http_server *srv = ctx;
    srv->stats.requests++;
    size_t n;
    const char *host = http_header_get(req, "host", &n);
    if (!host && req->minor_version == 1) {
        http_reply_text(conn, 400, "Bad Request: Host header is required\n", NULL);
        return;
    }
    if (host && !host_allowed(srv, host, n)) {
        http_reply_rpc_error(conn, 403, WC_RPC_INVALID_REQUEST,
                             "Forbidden: Host not allowed (DNS rebinding protection; add it to "
                             "http.allowed_hosts)", NULL);
        return;
    }
    const char *origin = http_header_get(req, "origin", &n);
    bool origin_ok = origin && origin_allowed(srv, origin, n);
    if (origin_ok)
        http_conn_set_cors(conn, origin, n); /* a browser client may read the reply */
    if (origin && !origin_ok) {
        http_reply_rpc_error(conn, 403, WC_RPC_INVALID_REQUEST,
                             "Forbidden: Origin not allowed (add it to http.allowed_origins)",
                             NULL);
        return;
    }

    bool protected_path = path_is(req, srv->endpoint) || path_is(req, "/metrics") ||
                          (!srv->opt.no_legacy_sse &&
                           (path_is(req, "/sse") || path_is(req, "/messages")));
    wc_auth_result auth_result;
    if (srv->opt.auth) {
        char path[512];
        snprintf(path, sizeof path, "%.*s", (int)(req->path_len < 511 ? req->path_len : 511),
                 req->path);
        if (wc_auth_is_metadata_path(srv->opt.auth, path)) {
            if (req->method != HTTP_GET && req->method != HTTP_HEAD) {
                http_reply_text(conn, 405, "Method Not Allowed\n", "Allow: GET\r\n");
                return;
            }
            const char *doc = wc_auth_metadata_json(srv->opt.auth);
            http_conn_reply(conn, 200, "application/json", "Access-Control-Allow-Origin: *\r\n",
                            doc, strlen(doc));
            return;
        }
        if (protected_path) {
            if (!authenticate(srv, conn, req, &auth_result))
                return;
            srv->principal = &auth_result.principal;
        }
    }
    if (path_is(req, srv->endpoint)) {
        http_mcp_handle(srv, conn, req, body, body_len);
    } else if (!srv->opt.no_legacy_sse && path_is(req, "/sse")) {
        http_legacy_sse(srv, conn, req);
    } else if (!srv->opt.no_legacy_sse && path_is(req, "/messages")) {
        http_legacy_message(srv, conn, req, body, body_len);
    } else if (path_is(req, "/healthz")) {
        reply_health(srv, conn);
    } else if (path_is(req, "/readyz")) {
        if (atomic_load(&srv->stopping))
            http_reply_text(conn, 503, "stopping\n", NULL);
        else
            http_reply_text(conn, 200, "ready\n", NULL);
    } else if (path_is(req, "/metrics")) {
        reply_metrics(srv, conn);
    } else {
        http_reply_text(conn, 404, "Not Found\n", NULL);
    }
    if (srv->principal) {
        srv->principal = NULL;
        wc_auth_result_free(&auth_result);
    }
}

/* --- the queue from the workers --- */

static void drain_outbox(http_server *srv)
{
    for (;;) {
        pthread_mutex_lock(&srv->outbox_lock);
        outbox_entry *e = srv->outbox_head;
        srv->outbox_head = srv->outbox_tail = NULL;
        pthread_mutex_unlock(&srv->outbox_lock);
        if (!e)
            return;
        while (e) {
            outbox_entry *next = e->next;
            if (e->closed)
                http_session_destroy(e->session);
            else if (e->log_seq)
                http_session_deliver_logged(e->session, e->stream_no, e->log_seq, e->data,
                                            e->len);
            else
                http_session_deliver(e->session, e->tag, e->final, e->http_status, e->data,
                                     e->len);
            free(e);
            e = next;
        }
    }
}

static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    http_server *srv = arg;
    unsigned long long count;
    ssize_t r = read(fd, &count, sizeof count);
    (void)r;
    atomic_store(&srv->outbox_signalled, false);
    drain_outbox(srv);
    if (atomic_load(&srv->stopping))
        event_base_loopbreak(srv->base);
}

static void watch_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    http_server *srv = arg;
    if (srv->watch_fn(srv->watch_ctx)) {
        atomic_store(&srv->stopping, true);
        event_base_loopbreak(srv->base);
    }
}

/* --- lifetime --- */

static SSL_CTX *tls_context(const char *cert, const char *key, wc_error *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        wc_error_set(err, WC_ENOMEM, "cannot create a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        char why[256];
        ERR_error_string_n(ERR_get_error(), why, sizeof why);
        wc_error_set(err, WC_EINVAL, "TLS certificate %s / key %s: %s", cert, key, why);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static bool host_is_loopback(const char *host)
{
    return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
           strcmp(host, "::1") == 0 || strcmp(host, "[::1]") == 0;
}

int wc_http_server_new(const wc_http_options *options, wc_mcp_server *mcp,
                       wc_http_server **out, wc_error *err)
{
    *out = NULL;
    http_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    wc_http_options defaults;
    wc_http_options_default(&defaults);
    srv->opt = options ? *options : defaults;
#define DEFAULT(field)                                                                         \
    if (!srv->opt.field)                                                                       \
        srv->opt.field = defaults.field;
    DEFAULT(host)
    DEFAULT(port)
    DEFAULT(endpoint)
    DEFAULT(max_sessions)
    DEFAULT(max_sessions_per_client)
    DEFAULT(max_sessions_per_principal)
    DEFAULT(max_streams_per_session)
    DEFAULT(max_client_bytes)
    DEFAULT(session_idle_ms)
    DEFAULT(sse_log_events)
    DEFAULT(sse_log_bytes)
    DEFAULT(sse_keep_finished)
    DEFAULT(sse_retry_ms)
    DEFAULT(cluster_lost_call_ms)
    DEFAULT(inline_budget_ms)
#undef DEFAULT
    srv->mcp = mcp;
    srv->wake_fd = -1;
    srv->endpoint = strdup(srv->opt.endpoint);
    srv->opt.endpoint = srv->endpoint;
    srv->bound_to_loopback = host_is_loopback(srv->opt.host);
    pthread_mutex_init(&srv->outbox_lock, NULL);
    http_closing_init(srv);
    int rc;
    if (!srv->endpoint || srv->endpoint[0] != '/') {
        rc = wc_error_set(err, srv->endpoint ? WC_EINVAL : WC_ENOMEM,
                          "the endpoint must be a path starting with '/'");
        goto fail;
    }
    if ((srv->opt.tls_cert != NULL) != (srv->opt.tls_key != NULL)) {
        rc = wc_error_set(err, WC_EINVAL, "TLS needs both a certificate and a key");
        goto fail;
    }
    if (srv->opt.tls_cert && !(srv->tls = tls_context(srv->opt.tls_cert, srv->opt.tls_key, err))) {
        rc = err ? err->code : WC_EINVAL;
        goto fail;
    }
    srv->base = event_base_new();
    srv->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!srv->base || srv->wake_fd < 0 || http_sessions_init(srv) != 0) {
        int code = errno ? -errno : WC_ENOMEM;
        rc = wc_error_set(err, code, "cannot set up the event loop: %s", wc_strerror(code));
        goto fail;
    }
    event_assign(&srv->wake_ev, srv->base, srv->wake_fd, EV_READ | EV_PERSIST, wake_cb, srv);
    event_add(&srv->wake_ev, NULL);

    http_listener_options lo = {.host = srv->opt.host, .port = srv->opt.port,
                                .tls = srv->tls, .limits = srv->opt.limits,
                                .on_request = on_request, .ctx = srv};
    if (lo.limits.max_body_bytes == 0)
        lo.limits.max_body_bytes = wc_mcp_server_options(mcp)->max_message_bytes;
    if ((rc = http_listener_new(srv->base, &lo, &srv->listener, err)) != 0)
        goto fail;
    *out = srv;
    return 0;
fail:
    wc_http_server_free(srv);
    return rc;
}

int wc_http_server_watch(wc_http_server *srv, int fd, bool (*fn)(void *ctx), void *ctx)
{
    if (srv->watching)
        event_del(&srv->watch_ev);
    srv->watch_fn = fn;
    srv->watch_ctx = ctx;
    event_assign(&srv->watch_ev, srv->base, fd, EV_READ | EV_PERSIST, watch_cb, srv);
    srv->watching = event_add(&srv->watch_ev, NULL) == 0;
    return srv->watching ? 0 : -1;
}

int wc_http_server_run(wc_http_server *srv)
{
    srv->loop_thread = pthread_self();
    atomic_store(&srv->loop_running, true);
    while (!atomic_load(&srv->stopping))
        if (event_base_loop(srv->base, 0) != 0 || event_base_got_break(srv->base))
            break;
    atomic_store(&srv->loop_running, false);
    return 0;
}

void wc_http_server_stop(wc_http_server *srv)
{
    atomic_store(&srv->stopping, true);
    unsigned long long one = 1;
    ssize_t w = write(srv->wake_fd, &one, sizeof one);
    (void)w;
}

int wc_http_server_port(const wc_http_server *srv)
{
    return http_listener_port(srv->listener);
}

void wc_http_server_free(wc_http_server *srv)
{
    if (!srv)
        return;
    atomic_store(&srv->stopping, true);
    if (srv->listener)
        http_listener_free(srv->listener); /* closes every connection */
    srv->listener = NULL;
    if (srv->buckets)
        http_sessions_free(srv); /* ends every session, cancelling its calls */
    http_closing_wait(srv);         /* all closed and posted back */
    drain_outbox(srv);              /* frees them */
    http_budgets_free(srv);
    if (srv->watching)
        event_del(&srv->watch_ev);
    if (srv->wake_fd >= 0) {
        event_del(&srv->wake_ev);
        close(srv->wake_fd);
    }
    if (srv->base)
        event_base_free(srv->base);
    if (srv->tls)
        SSL_CTX_free(srv->tls);
    pthread_mutex_destroy(&srv->outbox_lock);
    free(srv->endpoint);
    free(srv);
}
