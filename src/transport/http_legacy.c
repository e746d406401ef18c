/* http_legacy.c -- the HTTP+SSE transport of MCP 2024-11-05, for clients
 * that predate Streamable HTTP: GET /sse opens a session whose messages
 * all travel on that one event stream, starting with an `endpoint` event
 * that names where to POST (/messages?sessionId=...).  Closing the stream
 * ends the session.
 */
#include "transport/http_internal.h"

#include <stdio.h>
#include <string.h>

#include "json/scan.h"
#include "mcp/jsonrpc.h"

typedef struct top_members {
    bool id, method, escaped;
} top_members;

static bool visit_member(void *ctx, const wc_json_member_scan *m)
{
    top_members *t = ctx;
    t->escaped |= m->escaped;
    t->id |= wc_json_key_is(m, "id");
    t->method |= wc_json_key_is(m, "method");
    return true;
}

/* Whether the message is surely a notification or a response (not both
 * "id" and "method" at the top): no call comes of it, so it passes even
 * when the session's requests are at their limit (a cancel must get
 * through).  Anything unclear counts as a request. */
static bool surely_not_request(const char *body, size_t len)
{
    const char *p = wc_json_scan_ws(body, body + len), *after;
    top_members t = {0};
    if (p == body + len || *p != '{')
        return false;
    if (wc_json_scan_members(p, body + len, visit_member, &t, &after) != 1 || t.escaped)
        return false;
    return !(t.id && t.method);
}

static void stream_closed(void *owner, http_conn *conn)
{
    sse_stream *st = owner;
    (void)conn;
    st->conn = NULL;
    http_session_end(st->session, true);
}

void http_legacy_sse(http_server *srv, http_conn *conn, const http_request *req)
{
    size_t n;
    const char *accept = http_header_get(req, "accept", &n);
    if (req->method != HTTP_GET) {
        http_reply_text(conn, 405, "Method Not Allowed: GET /sse\n", "Allow: GET\r\n");
        return;
    }
    if (accept && !http_list_has(accept, n, "text/event-stream") && !http_list_has(accept, n, "*/*")) {
        http_reply_text(conn, 406, "Not Acceptable: /sse answers text/event-stream\n", NULL);
        return;
    }
    if ((unsigned long)wc_counts_get(srv->sessions_per_client, http_conn_peer(conn)) >=
        srv->opt.max_sessions_per_client) {
        http_reply_text(conn, 429, "Too Many Requests: this client has too many open sessions\n",
                        "Retry-After: 60\r\n");
        return;
    }
    if (http_principal_full(srv)) {
        http_reply_text(conn, 429, "Too Many Requests: this principal has as many open sessions "
                        "as http.max_sessions_per_principal allows\n", "Retry-After: 60\r\n");
        return;
    }
    http_session *s = http_session_create(srv, HTTP_ERA_LEGACY, http_conn_peer(conn), NULL);
    sse_stream *st = s ? sse_stream_new(s, 0) : NULL;
    if (!st) {
        if (s)
            http_session_end(s, false);
        http_reply_text(conn, 503, "Service Unavailable: no more sessions can be opened now\n",
                        "Retry-After: 60\r\n");
        return;
    }
    st->legacy = true;
    sse_stream_start(st, conn, NULL);
    http_conn_set_owner(conn, stream_closed, st);
    char event[128];
    int len = snprintf(event, sizeof event, "event: endpoint\ndata: /messages?sessionId=%s\n\n",
                       s->id);
    http_conn_stream_write(conn, event, (size_t)len);
}

void http_legacy_message(http_server *srv, http_conn *conn, const http_request *req, char *body,
                         size_t body_len)
{
    if (req->method != HTTP_POST) {
        http_reply_text(conn, 405, "Method Not Allowed: POST /messages\n", "Allow: POST\r\n");
        return;
    }
    char id[HTTP_SESSION_ID_LEN + 2];
    int n = http_query_param(req->query, req->query_len, "sessionId", id, sizeof id);
    http_session *s = n > 0 ? http_session_find(srv, id, (size_t)n) : NULL;
    if (n <= 0) {
        http_reply_text(conn, 400, "Bad Request: the sessionId query parameter is required\n",
                        NULL);
        return;
    }
    if (!s || s->era != HTTP_ERA_LEGACY) {
        http_reply_text(conn, 404, "Not Found: no such session (open GET /sse first)\n", NULL);
        return;
    }
    size_t ct_len;
    const char *ct = http_header_get(req, "content-type", &ct_len);
    if (!ct || !http_list_has(ct, ct_len, "application/json")) {
        http_reply_text(conn, 415, "Unsupported Media Type: Content-Type must be "
                        "application/json\n", NULL);
        return;
    }
    http_session_touch(s);
    bool request = !surely_not_request(body, body_len);
    if (s->legacy_in_flight >= srv->opt.max_streams_per_session && request) {
        char text[160];
        snprintf(text, sizeof text, "Too Many Requests: %u requests of this session are in "
                 "flight; send more when their answers came\n", s->legacy_in_flight);
        http_reply_text(conn, 429, text, "Retry-After: 1\r\n");
        return;
    }
    if (request && !http_budget_admit(srv, s->budget, body_len)) {
        char text[320];
        http_budget_refusal(srv, s->budget, body_len, text, sizeof text - 1);
        strcat(text, "\n");
        http_reply_text(conn, 429, text, "Retry-After: 1\r\n");
        return;
    }
    /* Everything, answers included, goes out on the session's stream; the
     * tag tells when this message is done with (every tagged message ends
     * with a final route), and its body is charged until then. */
    unsigned long long tag = s->next_stream++;
    if (http_session_charge_legacy(s, tag, body_len) != 0) {
        http_reply_text(conn, 503, "Service Unavailable: out of memory\n", NULL);
        return;
    }
    s->legacy_in_flight++; /* before: a message handled at once is done within */
    wc_mcp_receive_options o = {.mode = WC_MCP_RECEIVE_QUEUED, .tag = tag};
    http_scope_check check;
    http_scopes_hook(srv, &check, &o);
    if (wc_mcp_session_receive(s->mcp, body, body_len, &o)) {
        http_reply_text(conn, 202, "Accepted\n", NULL);
        return;
    }
    http_session_deliver(s, tag, true, 0, NULL, 0); /* no message comes for the tag */
    http_scopes_refuse(conn, &check);
}
