/* http_mcp.c -- the Streamable HTTP endpoint (MCP 2025-03-26, 2025-06-18
 * and 2025-11-25): POST carries one JSON-RPC message (or, in a 2025-03-26
 * session, a batch of them), GET opens the session's
 * own event stream or resumes one after Last-Event-ID, DELETE ends the
 * session.
 *
 * A POSTed request gets a stream number, which tags everything its call
 * sends.  Its answer goes back as application/json when nothing came
 * before it; the first message before the answer (progress, a log line, a
 * sampling request) turns the reply into an event stream instead, which
 * then ends with the answer.
 */
#include "transport/http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/scan.h"
#include "mcp/jsonrpc.h"
#include "util/log.h"

static const char *const header_versions[] = {"2025-11-25", "2025-06-18", "2025-03-26"};

/* MCP-Protocol-Version: absent means 2025-03-26 (the spec's rule for
 * clients that predate the header); anything else must be a revision this
 * server speaks. */
static bool protocol_header_ok(const http_request *req, char *bad, size_t bad_size)
{
    size_t n;
    const char *v = http_header_get(req, "mcp-protocol-version", &n);
    if (!v)
        return true;
    for (size_t i = 0; i < sizeof header_versions / sizeof header_versions[0]; i++)
        if (strlen(header_versions[i]) == n && memcmp(header_versions[i], v, n) == 0)
            return true;
    snprintf(bad, bad_size, "Bad Request: unsupported MCP-Protocol-Version '%.*s' "
             "(supported: 2025-11-25, 2025-06-18, 2025-03-26)", (int)(n > 40 ? 40 : n), v);
    return false;
}

static bool accepts(const http_request *req, const char *type)
{
    size_t n;
    const char *v = http_header_get(req, "accept", &n);
    return v && (http_list_has(v, n, type) || http_list_has(v, n, "*/*"));
}

typedef struct message_shape {
    bool has_id, has_method, has_result, has_error, has_jsonrpc;
    bool is_initialize;
    const char *id; /* the id's text (NULL: none), for a stream the cluster logs */
    size_t id_len;
} message_shape;

static bool visit_member(void *ctx, const wc_json_member_scan *m)
{
    message_shape *shape = ctx;
    if (wc_json_key_is(m, "id")) {
        shape->has_id = true;
        shape->id = m->value;
        shape->id_len = m->value_len;
    }
    else if (wc_json_key_is(m, "method")) {
        shape->has_method = true;
        shape->is_initialize = m->value_len == 12 && memcmp(m->value, "\"initialize\"", 12) == 0;
    } else if (wc_json_key_is(m, "result"))
        shape->has_result = true;
    else if (wc_json_key_is(m, "error"))
        shape->has_error = true;
    else if (wc_json_key_is(m, "jsonrpc"))
        shape->has_jsonrpc = true;
    return true;
}

/* What a POSTed body is, from its top-level members; -1: not an object. */
static int read_shape(const char *body, size_t len, message_shape *shape)
{
    memset(shape, 0, sizeof *shape);
    const char *p = wc_json_scan_ws(body, body + len);
    const char *after = NULL;
    if (p == body + len || *p != '{')
        return -1;
    if (wc_json_scan_members(p, body + len, visit_member, shape, &after) != 1)
        return -1;
    if (wc_json_scan_ws(after, body + len) != body + len)
        return -1;
    return 0;
}

static http_session *session_of(http_server *srv, http_conn *conn, const http_request *req,
                                bool *missing)
{
    size_t n;
    const char *id = http_header_get(req, "mcp-session-id", &n);
    *missing = id == NULL;
    if (!id)
        return NULL;
    http_session *s = http_session_find(srv, id, n);
    if (!s)
        s = http_session_resume(srv, id, n, http_conn_peer(conn)); /* another node's */
    if (!s || s->era != HTTP_ERA_SESSION) {
        http_reply_rpc_error(conn, 404, -32001, "Session not found: it ended or never existed "
                             "(initialize a new session)", NULL);
        return NULL;
    }
    return s;
}

/* Whether the client's budget (NULL: it keeps nothing) takes a request of
 * len bytes; false when the 429 was sent. */
static bool budget_admits(http_server *srv, http_conn *conn, http_budget *budget, size_t len,
                          const json_t *id)
{
    if (http_budget_admit(srv, budget, len))
        return true;
    char text[320];
    http_budget_refusal(srv, budget, len, text, sizeof text);
    http_reply_rpc_error_id(conn, 429, id, WC_RPC_INTERNAL, text, "Retry-After: 1\r\n");
    return false;
}

/* The budget of the request's client before it has a session. */
static http_budget *request_budget(const http_server *srv, http_conn *conn)
{
    char key[HTTP_BUDGET_KEY_MAX + 1];
    http_budget_key(srv, http_conn_peer(conn), key);
    return http_budget_find(srv, key);
}

/* Whether a header's value, without surrounding spaces, is exactly want. */
static bool header_equals(const http_request *req, const char *name, const char *want)
{
    size_t n;
    const char *v = http_header_get(req, name, &n);
    if (!v || !want)
        return false;
    while (n > 0 && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    return strlen(want) == n && memcmp(v, want, n) == 0;
}

/* A POST without a session that is not initialize: the stateless revision
 * (2026-07-28), where the request says everything itself.  Its headers
 * must agree with its body (Mcp-Method, Mcp-Name); the MCP core checks
 * its _meta. */
static void handle_stateless(http_server *srv, http_conn *conn, const http_request *req,
                             char *body, size_t len, bool is_request)
{
    if (!is_request) {
        http_conn_reply(conn, 202, NULL, NULL, NULL, 0); /* nothing of it needs an answer */
        return;
    }
    json_t *msg = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    if (!msg) {
        http_reply_rpc_error(conn, 400, WC_RPC_PARSE_ERROR,
                             "Parse error: the body is not valid JSON", NULL);
        return;
    }
    const json_t *id = json_object_get(msg, "id");
    const char *method = json_string_value(json_object_get(msg, "method"));
    const json_t *params = json_object_get(msg, "params");
    size_t n;
    const char *version = http_header_get(req, "mcp-protocol-version", &n);
    char header_version[16];
    if (!version) {
        http_reply_rpc_error_id(conn, 400, id, WC_RPC_HEADER_MISMATCH,
                                "Bad Request: the MCP-Protocol-Version header is required "
                                "(or initialize first and send Mcp-Session-Id)",
                                NULL);
        goto out;
    }
    snprintf(header_version, sizeof header_version, "%.*s", (int)(n < 15 ? n : 15), version);
    if (strncmp(header_version, "2024-", 5) == 0 || strncmp(header_version, "2025-", 5) == 0) {
        http_reply_rpc_error_id(conn, 400, id, WC_RPC_INVALID_REQUEST,
                                "Bad Request: Mcp-Session-Id header is required "
                                "(initialize first)",
                                NULL);
        goto out;
    }
    if (!method || !header_equals(req, "mcp-method", method)) {
        http_reply_rpc_error_id(conn, 400, id, WC_RPC_HEADER_MISMATCH,
                                "Bad Request: the Mcp-Method header must name the "
                                "body's method",
                                NULL);
        goto out;
    }
    const char *name_member = strcmp(method, "tools/call") == 0 ||
                                      strcmp(method, "prompts/get") == 0
                                  ? "name"
                              : strcmp(method, "resources/read") == 0 ? "uri"
                                                                       : NULL;
    if (name_member &&
        !header_equals(req, "mcp-name", json_string_value(json_object_get(params, name_member)))) {
        char text[160];
        snprintf(text, sizeof text, "Bad Request: the Mcp-Name header must be params.%s",
                 name_member);
        http_reply_rpc_error_id(conn, 400, id, WC_RPC_HEADER_MISMATCH, text, NULL);
        goto out;
    }
    wc_error why;
    if (strcmp(method, "tools/call") == 0 && !http_params_check(srv, req, params, &why)) {
        char text[320];
        snprintf(text, sizeof text, "Bad Request: %.255s", why.msg);
        http_reply_rpc_error_id(conn, 400, id, WC_RPC_HEADER_MISMATCH, text, NULL);
        goto out;
    }
    if ((unsigned long)wc_counts_get(srv->sessions_per_client, http_conn_peer(conn)) >=
        srv->opt.max_sessions_per_client) {
        http_reply_rpc_error_id(conn, 429, id, WC_RPC_INTERNAL,
                                "Too Many Requests: this client has too many requests "
                                "in flight",
                                NULL);
        goto out;
    }
    if (!budget_admits(srv, conn, request_budget(srv, conn), len, id))
        goto out;
    http_session *s =
        http_session_create(srv, HTTP_ERA_STATELESS, http_conn_peer(conn), header_version);
    sse_stream *st = s ? sse_stream_new(s, 1) : NULL;
    if (!st) {
        if (s)
            http_session_end(s, false);
        http_reply_rpc_error_id(conn, 503, id, WC_RPC_INTERNAL,
                                "Service Unavailable: out of memory", NULL);
        goto out;
    }
    st->conn = conn;
    sse_stream_watch(st);
    http_session_receive(st, body, len, true);
out:
    json_decref(msg);
}

/* The session a GET or DELETE names, its headers checked; NULL when the
 * reply (400 or 404) was sent. */
static http_session *require_session(http_server *srv, http_conn *conn, const http_request *req)
{
    bool missing;
    http_session *s = session_of(srv, conn, req, &missing);
    if (!s) {
        if (missing)
            http_reply_rpc_error(conn, 400, WC_RPC_INVALID_REQUEST,
                                 "Bad Request: Mcp-Session-Id header is required", NULL);
        return NULL;
    }
    char bad[160];
    if (!protocol_header_ok(req, bad, sizeof bad)) {
        http_reply_rpc_error(conn, 400, WC_RPC_INVALID_REQUEST, bad, NULL);
        return NULL;
    }
    return s;
}

/* Whether a batch needs an answer: it holds a request, or something that
 * is neither a notification nor a response (answered with an error). */
/* Whether the session may have one more request in flight; when not, the
 * 429 was sent. */
static bool room_for_request(http_server *srv, http_conn *conn, http_session *s)
{
    unsigned active = 0;
    for (sse_stream *st = s->streams; st; st = st->next)
        active += !st->finished;
    if (active < srv->opt.max_streams_per_session)
        return true;
    http_reply_rpc_error(conn, 429, WC_RPC_INTERNAL,
                         "Too Many Requests: too many requests of this session in flight",
                         "Retry-After: 1\r\n");
    return false;
}

static bool batch_needs_answer(const json_t *batch)
{
    if (json_array_size(batch) == 0)
        return true; /* one Invalid Request */
    size_t i;
    json_t *m;
    json_array_foreach(batch, i, m) {
        bool has_id = json_object_get(m, "id") != NULL;
        bool has_method = json_object_get(m, "method") != NULL;
        bool response = !has_method && has_id &&
                        (json_object_get(m, "result") || json_object_get(m, "error"));
        if (!json_is_object(m) || (has_method && has_id) || (!has_method && !response))
            return true;
    }
    return false;
}

/* A POSTed JSON-RPC batch, which only a 2025-03-26 session may send: with
 * requests in it, their answers come as one array on the POST's event
 * stream; with only notifications and responses, 202. */
static void handle_batch(http_server *srv, http_conn *conn, const http_request *req,
                         char *body, size_t len)
{
    bool missing;
    http_session *s = session_of(srv, conn, req, &missing);
    if (!s) {
        if (missing)
            http_reply_rpc_error(conn, 400, WC_RPC_INVALID_REQUEST,
                                 "Invalid Request: batches are not supported; send one "
                                 "JSON-RPC message per POST", NULL);
        return;
    }
    char version[16], bad[160];
    wc_mcp_session_version(s->mcp, version, sizeof version);
    if (strcmp(version, "2025-03-26") != 0) {
        snprintf(bad, sizeof bad, "Invalid Request: batches are not supported in protocol "
                 "revision %s; send one JSON-RPC message per POST", version);
        http_reply_rpc_error(conn, 400, WC_RPC_INVALID_REQUEST, bad, NULL);
        return;
    }
    if (!protocol_header_ok(req, bad, sizeof bad)) {
        http_reply_rpc_error(conn, 400, WC_RPC_INVALID_REQUEST, bad, NULL);
        return;
    }
    json_t *batch = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    bool needs_answer = batch_needs_answer(batch);
    json_decref(batch);
    if (!batch) {
        http_reply_rpc_error(conn, 400, WC_RPC_PARSE_ERROR,
                             "Parse error: the body is not valid JSON", NULL);
        return;
    }
    http_session_touch(s);
    if (!needs_answer) {
        http_scope_check check;
        wc_mcp_receive_options o = {0};
        http_scopes_hook(srv, &check, &o);
        if (wc_mcp_session_receive(s->mcp, body, len, &o))
            http_conn_reply(conn, 202, NULL, s->header, NULL, 0);
        else
            http_scopes_refuse(conn, &check);
        return;
    }
    if (!room_for_request(srv, conn, s))
        return;
    if (!budget_admits(srv, conn, s->budget, len, NULL))
        return;
    sse_stream *st = sse_stream_new(s, s->next_stream++);
    if (!st) {
        http_reply_rpc_error(conn, 503, WC_RPC_INTERNAL, "Service Unavailable: out of memory",
                             NULL);
        return;
    }
    st->conn = conn;
    sse_stream_watch(st);
    http_session_receive(st, body, len, true);
}

static void handle_post(http_server *srv, http_conn *conn, const http_request *req, char *body,
                        size_t len)
{
    size_t n;
    const char *ct = http_header_get(req, "content-type", &n);
    if (!ct || !http_list_has(ct, n, "application/json")) {
        http_reply_rpc_error(conn, 415, WC_RPC_INVALID_REQUEST,
                             "Unsupported Media Type: Content-Type must be application/json", NULL);
        return;
    }
    if (!accepts(req, "application/json") || !accepts(req, "text/event-stream")) {
        http_reply_rpc_error(conn, 406, WC_RPC_INVALID_REQUEST,
                             "Not Acceptable: Accept must list both application/json and "
                             "text/event-stream", NULL);
        return;
    }
    message_shape shape;
    if (read_shape(body, len, &shape) != 0) {
        const char *p = wc_json_scan_ws(body, body + len);
        if (p < body + len && *p == '[')
            handle_batch(srv, conn, req, body, len);
        else
            http_reply_rpc_error(conn, 400, WC_RPC_PARSE_ERROR,
                                 "Parse error: the body is not one JSON object", NULL);
        return;
    }
    bool is_request = shape.has_method && shape.has_id;
    bool is_notification = shape.has_method && !shape.has_id;
    bool is_response = !shape.has_method && shape.has_id && (shape.has_result || shape.has_error);
    if (!is_request && !is_notification && !is_response) {
        http_reply_rpc_error(conn, 400, WC_RPC_INVALID_REQUEST,
                             "Invalid Request: not a JSON-RPC request, notification or response",
                             NULL);
        return;
    }

    bool missing;
    http_session *s;
    bool admitted = false; /* by the budget, before its session was made */
    /* The era is chosen by how the client opens: initialize (without a
     * 2026 MCP-Protocol-Version header) starts a session; anything else
     * without a session id is a stateless request. */
    size_t vn;
    const char *v = http_header_get(req, "mcp-protocol-version", &vn);
    bool session_era_header = !v || (vn >= 5 && (memcmp(v, "2024-", 5) == 0 ||
                                                 memcmp(v, "2025-", 5) == 0));
    if ((!shape.is_initialize || !session_era_header) &&
        !http_header_get(req, "mcp-session-id", NULL)) {
        handle_stateless(srv, conn, req, body, len, is_request);
        return;
    }
    if (shape.is_initialize && is_request && !http_header_get(req, "mcp-session-id", NULL)) {
        long per_client = wc_counts_get(srv->sessions_per_client, http_conn_peer(conn));
        if ((unsigned long)per_client >= srv->opt.max_sessions_per_client) {
            http_reply_rpc_error(conn, 429, WC_RPC_INTERNAL,
                                 "Too Many Requests: this client has too many open sessions "
                                 "(end some with DELETE)", "Retry-After: 60\r\n");
            return;
        }
        if (http_principal_full(srv)) {
            char text[200];
            snprintf(text, sizeof text, "Too Many Requests: this principal has %u open sessions, "
                     "the most http.max_sessions_per_principal allows (end some with DELETE)",
                     srv->opt.max_sessions_per_principal);
            http_reply_rpc_error(conn, 429, WC_RPC_INTERNAL, text, "Retry-After: 60\r\n");
            return;
        }
        if (!budget_admits(srv, conn, request_budget(srv, conn), len, NULL))
            return;
        admitted = true;
        s = http_session_create(srv, HTTP_ERA_SESSION, http_conn_peer(conn), NULL);
        if (!s) {
            http_reply_rpc_error(conn, 503, WC_RPC_INTERNAL,
                                 "Service Unavailable: no more sessions can be opened now",
                                 "Retry-After: 60\r\n");
            return;
        }
    } else {
        s = session_of(srv, conn, req, &missing);
        if (!s) {
            if (missing)
                http_reply_rpc_error(conn, 400, WC_RPC_INVALID_REQUEST,
                                     "Bad Request: Mcp-Session-Id header is required "
                                     "(initialize first)", NULL);
            return;
        }
        char bad[160];
        if (!protocol_header_ok(req, bad, sizeof bad)) {
            http_reply_rpc_error(conn, 400, WC_RPC_INVALID_REQUEST, bad, NULL);
            return;
        }
    }
    http_session_touch(s);

    sse_stream *st;
    if (!is_request) {
        /* Tagged, so that one the parser refuses is answered here (400)
         * rather than on the GET stream; the rest get 202.  Handled at
         * once, outside the limit on requests in flight. */
        st = sse_stream_new(s, s->next_stream++);
        if (!st) {
            http_reply_rpc_error(conn, 503, WC_RPC_INTERNAL,
                                 "Service Unavailable: out of memory", NULL);
            return;
        }
        st->conn = conn;
        sse_stream_watch(st);
        http_session_receive(st, body, len, false);
        return;
    }
    if (!room_for_request(srv, conn, s))
        return;
    if (!admitted && !budget_admits(srv, conn, s->budget, len, NULL))
        return;
    st = sse_stream_new(s, s->next_stream++);
    if (!st) {
        http_reply_rpc_error(conn, 503, WC_RPC_INTERNAL, "Service Unavailable: out of memory",
                             NULL);
        return;
    }
    st->conn = conn;
    st->initialize = shape.is_initialize;
    if (shape.id && shape.id_len < sizeof st->request_id)
        memcpy(st->request_id, shape.id, shape.id_len);
    sse_stream_watch(st);
    http_session_receive(st, body, len, true);
}

/* A shared session's own stream: the cluster's log of the session from
 * after on, whichever node wrote it (after: the Last-Event-ID's place in
 * it; 0, the whole log kept, for a new stream or another stream's id). */
static void handle_get_shared(http_server *srv, http_conn *conn, http_session *s,
                              unsigned long long after)
{
    (void)srv;
    sse_stream *st = sse_stream_find(s, s->own_stream);
    if (st && st->conn) {
        http_reply_rpc_error(conn, 409, WC_RPC_INVALID_REQUEST,
                             "Conflict: this session's GET stream is already open", NULL);
        return;
    }
    if (!st)
        st = sse_stream_new(s, s->own_stream);
    wc_error err = {0};
    if (!st || http_session_follow(st, after, &err) != 0) {
        wc_log(WC_LOG_WARNING, "cluster", "session %.8s...: its log cannot be followed: %s",
               s->id, wc_error_message(&err));
        http_reply_rpc_error(conn, 503, WC_RPC_INTERNAL,
                             "Service Unavailable: the session's log cannot be read now",
                             "Retry-After: 1\r\n");
        return;
    }
    sse_stream_start(st, conn, s->header);
}

static void handle_get(http_server *srv, http_conn *conn, const http_request *req)
{
    if (srv->opt.no_get_stream) {
        http_reply_text(conn, 405, "GET streams are disabled on this server\n",
                        "Allow: POST, DELETE\r\n");
        return;
    }
    if (!accepts(req, "text/event-stream")) {
        http_reply_rpc_error(conn, 406, WC_RPC_INVALID_REQUEST,
                             "Not Acceptable: Accept must list text/event-stream", NULL);
        return;
    }
    http_session *s = require_session(srv, conn, req);
    if (!s)
        return;
    http_session_touch(s);
    size_t n;
    const char *last = http_header_get(req, "last-event-id", &n);
    unsigned long long stream_no, seq;
    if (s->shared) {
        bool resumes = last && sse_parse_event_id(last, n, &stream_no, &seq);
        if (resumes && stream_no != s->own_stream)
            http_stream_log_resume(s, conn, stream_no, seq); /* a request's stream */
        else
            handle_get_shared(srv, conn, s, resumes ? seq : 0);
        return;
    }
    if (last && sse_parse_event_id(last, n, &stream_no, &seq)) {
        sse_stream *st = sse_stream_find(s, stream_no);
        if (st && st->started) { /* a POST still waiting has sent no id to resume from */
            sse_stream_resume(st, conn, seq, s->header);
            return;
        }
        /* A stream we no longer have: serve the session's own stream. */
    }
    sse_stream *st = sse_stream_find(s, s->own_stream);
    if (st && st->conn) {
        http_reply_rpc_error(conn, 409, WC_RPC_INVALID_REQUEST,
                             "Conflict: this session's GET stream is already open", NULL);
        return;
    }
    if (!st)
        st = sse_stream_new(s, s->own_stream);
    if (!st) {
        http_reply_rpc_error(conn, 503, WC_RPC_INTERNAL, "Service Unavailable: out of memory",
                             NULL);
        return;
    }
    sse_stream_start(st, conn, s->header);
}

static void handle_delete(http_server *srv, http_conn *conn, const http_request *req)
{
    http_session *s = require_session(srv, conn, req);
    if (!s)
        return;
    wc_log(WC_LOG_DEBUG, "http", "session %.8s... ended by the client", s->id);
    wc_mcp_session_unshare(s->mcp); /* ended on every node, not only here */
    http_session_end(s, true);
    http_conn_reply(conn, 200, NULL, NULL, NULL, 0);
}

void http_mcp_handle(http_server *srv, http_conn *conn, const http_request *req, char *body,
                     size_t body_len)
{
    switch (req->method) {
    case HTTP_POST:
        handle_post(srv, conn, req, body, body_len);
        break;
    case HTTP_GET:
        handle_get(srv, conn, req);
        break;
    case HTTP_DELETE:
        handle_delete(srv, conn, req);
        break;
    case HTTP_OPTIONS:
        /* A browser's preflight (the Origin was checked already). */
        http_conn_reply(conn, 204, NULL,
                        "Allow: GET, POST, DELETE, OPTIONS\r\n"
                        "Access-Control-Allow-Methods: GET, POST, DELETE, OPTIONS\r\n"
                        "Access-Control-Allow-Headers: Content-Type, Accept, Authorization, "
                        "Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID, Mcp-Method, "
                        "Mcp-Name\r\n"
                        "Access-Control-Max-Age: 600\r\n",
                        NULL, 0);
        break;
    default:
        http_reply_text(conn, 405, "Method Not Allowed: use POST, GET or DELETE\n",
                        "Allow: GET, POST, DELETE, OPTIONS\r\n");
        break;
    }
}
