/* jsonrpc.h -- JSON-RPC 2.0 as MCP uses it: tell one message's kind, and
 * write requests, notifications, results and errors.
 *
 * MCP narrows JSON-RPC: ids are strings or numbers (never null), params are
 * objects, and batches (arrays) exist only in 2025-03-26 (mcp/batch.c):
 * the parser refuses them, marking the message as a batch.  The
 * writers serialize straight into a wc_buf, which the caller starts on a
 * WC_RPC_BLOCK on its stack, so a typical message costs no allocation.
 */
#ifndef WC_MCP_JSONRPC_H
#define WC_MCP_JSONRPC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/* Error codes: JSON-RPC's own, then MCP's. */
#define WC_RPC_PARSE_ERROR (-32700)
#define WC_RPC_INVALID_REQUEST (-32600)
#define WC_RPC_METHOD_NOT_FOUND (-32601)
#define WC_RPC_INVALID_PARAMS (-32602)
#define WC_RPC_INTERNAL (-32603)
#define WC_RPC_RESOURCE_NOT_FOUND (-32002)
/* Protocol revision 2026-07-28 */
#define WC_RPC_HEADER_MISMATCH (-32020)     /* an HTTP header disagrees with the body */
#define WC_RPC_MISSING_CAPABILITY (-32021)  /* the request needs a client capability not declared */
#define WC_RPC_UNSUPPORTED_VERSION (-32022) /* data: {supported, requested} */

typedef enum wc_rpc_kind {
    WC_RPC_MSG_INVALID = 0,  /* answer with code/reason (id may be NULL) */
    WC_RPC_MSG_REQUEST,
    WC_RPC_MSG_NOTIFICATION,
    WC_RPC_MSG_RESPONSE,     /* a client's answer to one of our requests */
} wc_rpc_kind;

typedef struct wc_rpc_message {
    wc_rpc_kind kind;
    json_t *root;        /* owned; NULL when the text did not parse */
    /* borrowed from root: */
    json_t *id;          /* requests and responses; for INVALID, when usable */
    const char *method;  /* requests and notifications */
    json_t *params;      /* may be NULL */
    json_t *result;      /* responses: exactly one of result and error */
    json_t *error;
    /* requests: the text of params.arguments when it is an object, as the
     * client wrote it (points into the parsed bytes); else NULL */
    const char *arguments_text;
    size_t arguments_len;
    int code;            /* INVALID: the JSON-RPC error code */
    bool batch;          /* INVALID: root is an array (a batch, for revisions that have them) */
    char reason[160];    /* INVALID: what is wrong */
    char method_text[64]; /* where method points when root holds no copy */
} wc_rpc_message;

/* Parses and classifies one message of len bytes.  method lives as long as
 * the message (not root): a caller keeping root must not keep method. */
void wc_rpc_parse(const char *data, size_t len, wc_rpc_message *msg);

/* The same, always by building the whole message as one tree: the
 * reference the fast path of wc_rpc_parse is tested against. */
void wc_rpc_parse_tree(const char *data, size_t len, wc_rpc_message *msg);
void wc_rpc_message_free(wc_rpc_message *msg);

/* Without parsing: true when the text looks like a request (an object with
 * top-level members "method" and "id") whose method is not "initialize".
 * Cheap enough for a reader thread; when unsure it says false, and the
 * message takes the ordinary path. */
bool wc_rpc_peek_request(const char *data, size_t len);

/* Finds the top-level "id" of a message fed in pieces, without keeping the
 * message: a transport refusing an oversized request still answers it by
 * its id.  Only a string or number id of at most 64 bytes is kept. */
typedef struct wc_rpc_id_scan {
    int state, depth;
    bool escape, key_is_id, capturing;
    size_t key_len;
    char key[3];
    char value[65];
    size_t value_len;
    bool value_done, value_too_long;
} wc_rpc_id_scan;

void wc_rpc_id_scan_init(wc_rpc_id_scan *scan);
void wc_rpc_id_scan_feed(wc_rpc_id_scan *scan, const char *data, size_t len);
/* The id found (a new reference), or NULL. */
json_t *wc_rpc_id_scan_result(const wc_rpc_id_scan *scan);

/* The size of the stack block a message is written on: most answers fit
 * it, so they are written without an allocation (wc_buf_init_on). */
#define WC_RPC_BLOCK 4096

/* Each writes one complete message (no newline) after resetting out; out
 * is failed when out of memory or a value is not serializable. */
void wc_rpc_write_result(wc_buf *out, const json_t *id, const json_t *result);
/* A result given as JSON text (e.g. "{}"). */
void wc_rpc_write_result_text(wc_buf *out, const json_t *id, const char *result);
/* id NULL: "id": null.  message must be UTF-8 (else a generic text is sent);
 * data may be NULL. */
void wc_rpc_write_error(wc_buf *out, const json_t *id, int code, const char *message,
                        const json_t *data);
void wc_rpc_write_notification(wc_buf *out, const char *method, const json_t *params);
void wc_rpc_write_request(wc_buf *out, long long id, const char *method,
                          const json_t *params);

#endif
