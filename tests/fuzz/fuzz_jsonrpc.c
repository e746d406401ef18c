/* fuzz_jsonrpc.c -- libFuzzer target for the MCP message reader and writers
 * (mcp/jsonrpc.c) on top of the JSON parser.
 *
 * Properties checked on every input:
 * - wc_rpc_parse, with its fast path for plain requests, classifies the
 *   text exactly as wc_rpc_parse_tree, the general path (compare_rpc of
 *   json_agreement.h, shared with test_json.c);
 * - the id scanner of oversized requests finds the same id whether the
 *   text arrives whole, byte by byte or in pieces of 7, and on a valid
 *   request or response finds either nothing or the message's own id;
 * - a result and an error written for a valid request's id read back as a
 *   response with that id, the result unchanged;
 * - wc_rpc_peek_request, which sends a message to a worker without parsing
 *   it, says yes only to what parses as a request (or is refused) and
 *   never to an initialize, which must run on the reading thread.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "json_agreement.h"

static json_t *scan_id(const char *text, size_t len, size_t piece)
{
    wc_rpc_id_scan scan;
    wc_rpc_id_scan_init(&scan);
    for (size_t at = 0; at < len; at += piece)
        wc_rpc_id_scan_feed(&scan, text + at, len - at < piece ? len - at : piece);
    return wc_rpc_id_scan_result(&scan);
}

static bool same_or_both_null(const json_t *a, const json_t *b)
{
    return a ? b && json_equal(a, b) : !b;
}

static void check_id_scan(const char *text, size_t len, const wc_rpc_message *tree)
{
    json_t *whole = scan_id(text, len, len ? len : 1);
    json_t *bytes = scan_id(text, len, 1);
    json_t *sevens = scan_id(text, len, 7);
    CHECK(same_or_both_null(whole, bytes) && same_or_both_null(whole, sevens),
          "the id scanner depends on how the text is cut: %.*s", (int)(len > 200 ? 200 : len),
          text);
    if (whole && tree->id &&
        (tree->kind == WC_RPC_MSG_REQUEST || tree->kind == WC_RPC_MSG_RESPONSE))
        CHECK(json_equal(whole, tree->id), "the id scanner finds another id: %.*s",
              (int)(len > 200 ? 200 : len), text);
    json_decref(whole);
    json_decref(bytes);
    json_decref(sevens);
}

static void check_round_trip(const wc_rpc_message *req, const char *text, size_t len)
{
    uint8_t block[WC_RPC_BLOCK];
    wc_buf out;
    wc_buf_init_on(&out, block, sizeof block);
    json_t *result = req->params ? req->params : json_null();
    wc_rpc_write_result(&out, req->id, result);
    wc_rpc_message back;
    wc_rpc_parse((const char *)out.data, out.len, &back);
    CHECK(!out.failed && back.kind == WC_RPC_MSG_RESPONSE && back.id &&
              json_equal(back.id, req->id) && back.result && json_equal(back.result, result),
          "a result for this request does not read back: %.*s", (int)(len > 200 ? 200 : len),
          text);
    wc_rpc_message_free(&back);

    wc_rpc_write_error(&out, req->id, -32602, req->method, req->params);
    wc_rpc_parse((const char *)out.data, out.len, &back);
    CHECK(!out.failed && back.kind == WC_RPC_MSG_RESPONSE && back.id &&
              json_equal(back.id, req->id) && back.error,
          "an error for this request does not read back: %.*s", (int)(len > 200 ? 200 : len),
          text);
    wc_rpc_message_free(&back);
    wc_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact copy: ASan sees any read past the end */
    char *text = malloc(size ? size : 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    compare_rpc(text, size, "fuzz");
    bool to_worker = wc_rpc_peek_request(text, size);
    wc_rpc_message tree;
    wc_rpc_parse_tree(text, size, &tree);
    CHECK(!to_worker || tree.kind == WC_RPC_MSG_INVALID ||
              (tree.kind == WC_RPC_MSG_REQUEST && strcmp(tree.method, "initialize") != 0),
          "wc_rpc_peek_request sends a %s to a worker: %.*s",
          tree.kind == WC_RPC_MSG_REQUEST ? "initialize" : "message that is no request",
          (int)(size > 200 ? 200 : size), text);
    check_id_scan(text, size, &tree);
    if (tree.kind == WC_RPC_MSG_REQUEST)
        check_round_trip(&tree, text, size);
    wc_rpc_message_free(&tree);
    free(text);
    if (failures) {
        fflush(stdout); /* CHECK printed why */
        abort();
    }
    return 0;
}
