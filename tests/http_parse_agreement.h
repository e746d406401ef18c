/* http_parse_agreement.h -- the HTTP parser's oracles, shared by
 * test_http_parse.c and tests/fuzz/fuzz_http_parse.c: a request head gets
 * the same answer whether its buffer arrives whole or grows a byte at a
 * time, every parsed field lies inside the head, and a chunked body
 * decodes the same fed whole, byte by byte or in random pieces (rand()).
 * Disagreements are CHECK failures (check.h).
 */
#ifndef WC_TESTS_HTTP_PARSE_AGREEMENT_H
#define WC_TESTS_HTTP_PARSE_AGREEMENT_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "transport/http_parse.h"
#include "check.h"

/* --- chunked bodies --- */

typedef struct decoded {
    int result, status;
    size_t consumed;
    char *body; /* the decoded bytes, NUL-terminated */
    size_t body_len;
} decoded;

typedef enum feed_mode { FEED_WHOLE, FEED_BYTES, FEED_RANDOM } feed_mode;

/* Feeds enc as a connection does: the buffer grows at its end, the decoder
 * rewrites its start in place.  Stops at the first non-zero answer. */
static inline decoded decode(const char *enc, size_t len, size_t max_body, feed_mode mode)
{
    decoded d = {0};
    http_chunked c;
    memset(&c, 0, sizeof c);
    char *buf = malloc(len + 1);
    size_t have = 0;
    while (have < len || (have == 0 && len == 0)) {
        size_t step = mode == FEED_WHOLE ? len : mode == FEED_BYTES ? 1 : 1 + (size_t)rand() % 7;
        if (step > len - have)
            step = len - have;
        memcpy(buf + have, enc + have, step);
        have += step;
        /* an exact-size view of what has arrived */
        char *view = malloc(have ? have : 1);
        memcpy(view, buf, have);
        d.result = http_chunked_feed(&c, view, have, max_body, &d.consumed, &d.status);
        memcpy(buf, view, have);
        free(view);
        if (d.result != 0 || len == 0)
            break;
    }
    if (d.result == 1) {
        d.body = malloc(c.write_at + 1);
        memcpy(d.body, buf, c.write_at);
        d.body[c.write_at] = 0;
        d.body_len = c.write_at;
    }
    free(buf);
    return d;
}

static inline bool decoded_same(const decoded *a, const decoded *b)
{
    if (a->result != b->result)
        return false;
    if (a->result == -1)
        return a->status == b->status;
    if (a->result == 1)
        return a->consumed == b->consumed && a->body_len == b->body_len &&
               memcmp(a->body, b->body, a->body_len) == 0;
    return true;
}

/* --- request heads --- */

typedef struct head_answer {
    http_parse_result result;
    int status;
    size_t head_len;
    size_t at; /* the length at which the answer came */
} head_answer;

static inline head_answer answer_for(const char *data, size_t len, size_t max_head)
{
    head_answer a = {0};
    char *copy = malloc(len ? len : 1);
    memcpy(copy, data, len);
    http_request req;
    const char *reason = NULL;
    a.result = http_parse_head(copy, len, max_head, &req, &a.status, &reason);
    a.at = len;
    if (a.result == HTTP_PARSE_DONE) {
        a.head_len = req.head_len;
        /* everything parsed lies inside the head */
        bool inside = req.head_len <= len && req.head_len <= max_head &&
                      req.path >= copy && req.path + req.path_len <= copy + req.head_len;
        for (unsigned i = 0; i < req.nheaders; i++)
            inside = inside && req.headers[i].name >= copy &&
                     req.headers[i].value + req.headers[i].value_len <= copy + req.head_len;
        CHECK(inside, "a parsed field points outside the head (%zu bytes)", len);
    } else if (a.result == HTTP_PARSE_ERROR) {
        CHECK(a.status >= 400 && a.status < 600 && reason && *reason,
              "an error without a status or reason: %d", a.status);
    } else {
        CHECK(a.result == HTTP_PARSE_MORE, "result %d", a.result);
    }
    free(copy);
    return a;
}

static inline void check_consistent(const char *data, size_t len, size_t max_head,
                                    const char *what)
{
    head_answer whole = answer_for(data, len, max_head);
    head_answer grown = {HTTP_PARSE_MORE, 0, 0, len};
    for (size_t k = 1; k <= len; k++) {
        grown = answer_for(data, k, max_head);
        if (grown.result != HTTP_PARSE_MORE)
            break;
    }
    bool same = grown.result == whole.result &&
                (whole.result != HTTP_PARSE_ERROR || grown.status == whole.status) &&
                (whole.result != HTTP_PARSE_DONE || grown.head_len == whole.head_len);
    CHECK(same, "%s (%zu bytes, max_head %zu): whole %d/%d/%zu, grown %d/%d/%zu at %zu: %.*s",
          what, len, max_head, whole.result, whole.status, whole.head_len, grown.result,
          grown.status, grown.head_len, grown.at, (int)(len > 120 ? 120 : len), data);
}

#endif
