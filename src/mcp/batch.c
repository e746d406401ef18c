/* batch.c -- JSON-RPC batches, which only protocol revision 2025-03-26 has.
 *
 * A batch is an array of requests, notifications and responses.  Every
 * element is handled as if it came alone, except that the answers of its
 * requests are collected and sent together as one array once the last is
 * in (none at all when the batch held no request).  The requests are
 * routed under a tag of their own, the batch's address with a high bit
 * set: send_route hands what carries such a tag here, so no job needs to
 * know it is part of a batch.  Messages that are not answers (progress,
 * logs, requests to the client) go on at once under the transport's tag.
 */
#include "mcp/internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/log.h"


struct mcp_batch {
    wc_mcp_session *session;
    unsigned long long tag; /* the transport's, for the array */
    pthread_mutex_t lock;
    size_t pending; /* requests not answered yet, plus one while elements are handed out */
    size_t answers;
    wc_buf text;    /* "[a,b,..." */
};

bool wc_mcp_batch_allowed(wc_mcp_session *s)
{
    pthread_mutex_lock(&s->lock);
    bool allowed = s->state != MCP_NEW && strcmp(s->version, MCP_BATCH_VERSION) == 0;
    pthread_mutex_unlock(&s->lock);
    return allowed;
}

static void append(mcp_batch *b, const char *data, size_t len)
{
    pthread_mutex_lock(&b->lock);
    wc_buf_append(&b->text, b->answers ? "," : "[", 1);
    wc_buf_append(&b->text, data, len);
    b->answers++;
    pthread_mutex_unlock(&b->lock);
}

/* One request of the batch is done (or the hand-out is): the last sends
 * the array and frees the batch. */
static void settle(mcp_batch *b)
{
    pthread_mutex_lock(&b->lock);
    bool last = --b->pending == 0;
    pthread_mutex_unlock(&b->lock);
    if (!last)
        return;
    wc_mcp_route route = {.tag = b->tag, .final = b->tag != 0};
    if (b->answers) {
        wc_buf_append(&b->text, "]", 1);
        if (b->text.failed) {
            wc_log(WC_LOG_ERROR, "mcp", "out of memory: the answers of a batch were lost");
            b->session->send(b->session->send_ctx, &route, NULL, 0);
        } else {
            b->session->send(b->session->send_ctx, &route, (const char *)b->text.data,
                             b->text.len);
        }
    } else if (route.final) {
        b->session->send(b->session->send_ctx, &route, NULL, 0); /* all were cancelled */
    }
    wc_buf_free(&b->text);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

void wc_mcp_batch_route(wc_mcp_session *s, const wc_mcp_route *route, const char *data,
                        size_t len)
{
    mcp_batch *b = (mcp_batch *)(uintptr_t)(route->tag & ~MCP_BATCH_TAG);
    if (!route->final) {
        wc_mcp_route own = *route;
        own.tag = b->tag;
        s->send(s->send_ctx, &own, data, len);
        return;
    }
    if (data)
        append(b, data, len);
    settle(b);
}

static void append_error(mcp_batch *b, const json_t *id, int code, const char *message)
{
    uint8_t block[WC_RPC_BLOCK];
    wc_buf out;
    wc_buf_init_on(&out, block, sizeof block);
    wc_rpc_write_error(&out, id, code, message, NULL);
    if (!out.failed)
        append(b, (const char *)out.data, out.len);
    wc_buf_free(&out);
}

static void send_alone(wc_mcp_session *s, unsigned long long tag, int code, const char *message)
{
    uint8_t block[WC_RPC_BLOCK];
    wc_buf out;
    wc_buf_init_on(&out, block, sizeof block);
    wc_rpc_write_error(&out, NULL, code, message, NULL);
    wc_mcp_route route = {.tag = tag, .final = tag != 0};
    if (!out.failed)
        s->send(s->send_ctx, &route, (const char *)out.data, out.len);
    wc_buf_free(&out);
}

/* One element, as if it had come alone (its text is the element's). */
static void element(mcp_batch *b, const json_t *value)
{
    wc_mcp_session *s = b->session;
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) {
        append_error(b, NULL, WC_RPC_INTERNAL, "out of memory");
        return;
    }
    wc_rpc_message m;
    wc_rpc_parse_tree(text, strlen(text), &m);
    unsigned long long tag = MCP_BATCH_TAG | (uintptr_t)b;
    switch (m.kind) {
    case WC_RPC_MSG_REQUEST:
        if (strcmp(m.method, "initialize") == 0) {
            append_error(b, m.id, WC_RPC_INVALID_REQUEST,
                         "initialize must not be part of a JSON-RPC batch");
            break;
        }
        pthread_mutex_lock(&b->lock);
        b->pending++;
        pthread_mutex_unlock(&b->lock);
        wc_mcp_handle_request(s, &m, tag);
        break;
    case WC_RPC_MSG_NOTIFICATION:
        wc_mcp_handle_notification(s, &m);
        break;
    case WC_RPC_MSG_RESPONSE:
        wc_mcp_route_response(s, &m);
        break;
    case WC_RPC_MSG_INVALID:
        if (m.batch)
            append_error(b, NULL, WC_RPC_INVALID_REQUEST,
                         "a batch element must be a JSON object, not an array");
        else if (m.code != WC_RPC_INVALID_PARAMS || m.id) /* a bad notification: dropped */
            append_error(b, m.id, m.code, m.reason);
        break;
    }
    wc_rpc_message_free(&m);
    free(text);
}

void wc_mcp_batch_handle(wc_mcp_session *s, const json_t *array, unsigned long long tag)
{
    size_t n = json_array_size(array);
    if (n == 0) {
        send_alone(s, tag, WC_RPC_INVALID_REQUEST, "Invalid Request: an empty batch");
        return;
    }
    if (n > MCP_MAX_BATCH) {
        char msg[128];
        snprintf(msg, sizeof msg, "Invalid Request: a batch of %zu messages (at most %u)", n,
                 MCP_MAX_BATCH);
        send_alone(s, tag, WC_RPC_INVALID_REQUEST, msg);
        return;
    }
    mcp_batch *b = calloc(1, sizeof *b);
    if (!b) {
        send_alone(s, tag, WC_RPC_INTERNAL, "out of memory");
        return;
    }
    b->session = s;
    b->tag = tag;
    b->pending = 1;
    pthread_mutex_init(&b->lock, NULL);
    wc_buf_init(&b->text);
    for (size_t i = 0; i < n; i++)
        element(b, json_array_get(array, i));
    settle(b);
}
