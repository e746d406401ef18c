/* fuzz_http_parse.c -- libFuzzer target for the HTTP/1.1 request parser and
 * chunked decoder (transport/http_parse.c), the first code every byte from
 * a network client reaches.
 *
 * The first input byte picks the head limit (8 KiB, 64 bytes or the input's
 * size); the rest is the request.  Properties (http_parse_agreement.h,
 * shared with test_http_parse.c): the same answer whether the buffer arrives
 * whole or grows a byte at a time, parsed fields inside the head, and an
 * error always with a status and reason.  On a complete head, the bytes
 * after it decode as a chunked body the same whole, byte by byte and in
 * pieces, the header and query helpers stay within their values, header
 * values have no surrounding blanks, and the body's framing is what its
 * headers say (a Content-Length of exactly that many digits, or chunked,
 * never both).
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "http_parse_agreement.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static void check_fields(const http_request *req)
{
    bool ok = true;
    for (unsigned i = 0; i < req->nheaders; i++) {
        const http_header *h = &req->headers[i];
        ok = ok && h->name_len > 0 &&
             (h->value_len == 0 || (!is_blank(h->value[0]) && !is_blank(h->value[h->value_len - 1])));
    }
    CHECK(ok, "a header name is empty or a value keeps blanks around it");
    size_t n = 0;
    const char *cl = http_header_get(req, "content-length", &n);
    long long value = 0;
    bool digits = cl && n > 0;
    for (size_t i = 0; digits && i < n; i++) {
        digits = cl[i] >= '0' && cl[i] <= '9' && value <= (LLONG_MAX - 9) / 10;
        value = value * 10 + (cl[i] - '0');
    }
    CHECK(req->chunked ? req->content_length == -1 && !cl
                       : (cl ? digits && req->content_length == value : req->content_length == -1),
          "framing: chunked %d, content_length %lld, Content-Length '%.*s'", req->chunked,
          req->content_length, cl ? (int)(n > 40 ? 40 : n) : 0, cl ? cl : "");
}

static void check_helpers(const char *text, size_t len)
{
    http_request req;
    int status;
    const char *reason;
    if (http_parse_head(text, len, 8192, &req, &status, &reason) != HTTP_PARSE_DONE)
        return;
    check_fields(&req);
    static const char *const names[] = {"host", "content-type", "accept", "mcp-session-id",
                                         "authorization", "origin", "last-event-id"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        size_t vlen = 0;
        const char *v = http_header_get(&req, names[i], &vlen);
        if (v) {
            (void)http_list_has(v, vlen, "text/event-stream");
            (void)http_list_has(v, vlen, "application/json");
        }
    }
    if (req.query) {
        char out[128];
        int n = http_query_param(req.query, req.query_len, "sessionId", out, sizeof out);
        CHECK(n < (int)sizeof out && (n < 0 || strlen(out) <= (size_t)n),
              "http_query_param wrote %d bytes into %zu", n, sizeof out);
    }
    const char *body = text + req.head_len;
    size_t body_len = len - req.head_len;
    decoded whole = decode(body, body_len, 4096, FEED_WHOLE);
    decoded bytes = decode(body, body_len, 4096, FEED_BYTES);
    decoded pieces = decode(body, body_len, 4096, FEED_RANDOM);
    CHECK(decoded_same(&whole, &bytes) && decoded_same(&whole, &pieces) &&
              (whole.result != 1 || (whole.consumed <= body_len && whole.body_len <= 4096)),
          "chunked body: whole %d/%d, bytes %d/%d, pieces %d/%d", whole.result, whole.status,
          bytes.result, bytes.status, pieces.result, pieces.status);
    free(whole.body);
    free(bytes.body);
    free(pieces.body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    srand(size); /* FEED_RANDOM's pieces: the same for the same input */
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    size_t limits[] = {8192, 64, len ? len : 1};
    check_consistent(text, len, limits[data[0] % 3], "fuzz");
    check_helpers(text, len);
    if (failures) {
        fflush(stdout); /* CHECK printed why */
        abort();
    }
    return 0;
}
