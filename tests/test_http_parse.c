/* test_http_parse.c -- the HTTP/1.1 request parser and chunked decoder
 * (src/transport/http_parse.c) in isolation.
 *
 * Every input is copied into a buffer of exactly its size, so that the
 * sanitizers catch a read past its end.  Besides the fixed cases, random
 * mutations of valid requests must give the same answer (MORE, DONE with
 * the same head, or ERROR with the same status) whether the buffer arrives
 * whole or grows a byte at a time, as it does on a connection; and chunked
 * bodies must decode the same fed whole, byte by byte or in random pieces.
 * Host and Origin values (src/transport/http_authority.c) are read by
 * their RFC grammars, each from an exact-size copy too.
 * TEST_HTTP_PARSE_SEED=N replays one random run.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "transport/http_authority.h"
#include "transport/http_parse.h"

#include "check.h"
#include "http_parse_agreement.h"

/* --- request heads --- */

typedef struct parsed {
    http_parse_result result;
    int status;
    const char *reason;
    http_request req;
    char *copy; /* the exact-size buffer req points into */
} parsed;

static void parse_n(parsed *p, const char *text, size_t len, size_t max_head)
{
    p->copy = malloc(len ? len : 1);
    memcpy(p->copy, text, len);
    p->status = 0;
    p->reason = NULL;
    p->result = http_parse_head(p->copy, len, max_head, &p->req, &p->status, &p->reason);
}

static void parse(parsed *p, const char *text)
{
    parse_n(p, text, strlen(text), 8192);
}

static void parsed_free(parsed *p)
{
    free(p->copy);
    p->copy = NULL;
}

static bool span_is(const char *p, size_t n, const char *want)
{
    return p && strlen(want) == n && memcmp(p, want, n) == 0;
}

static bool header_is(const http_request *req, const char *name, const char *want)
{
    size_t n;
    const char *v = http_header_get(req, name, &n);
    return want ? span_is(v, n, want) : v == NULL && n == 0;
}

static void expect_error_n(const char *text, size_t len, size_t max_head, int status,
                           const char *reason_part, int line)
{
    parsed p;
    parse_n(&p, text, len, max_head);
    CHECK(p.result == HTTP_PARSE_ERROR && p.status == status,
          "line %d: '%.60s...': result %d status %d (%s), want error %d", line, text, p.result,
          p.status, p.reason ? p.reason : "-", status);
    if (p.result == HTTP_PARSE_ERROR && reason_part)
        CHECK(p.reason && strstr(p.reason, reason_part), "line %d: reason '%s' lacks '%s'", line,
              p.reason ? p.reason : "(none)", reason_part);
    parsed_free(&p);
}

#define EXPECT_ERROR(text, status, reason) \
    expect_error_n(text, strlen(text), 8192, status, reason, __LINE__)

static void test_valid_requests(void)
{
    parsed p;
    const char *get = "GET /mcp?sessionId=ab&x HTTP/1.1\r\nHost: localhost:8080\r\n"
                      "Accept:  text/event-stream \t\r\nX-Empty:\r\n\r\n";
    parse(&p, get);
    CHECK(p.result == HTTP_PARSE_DONE, "GET: %d %s", p.result, p.reason ? p.reason : "");
    CHECK(p.req.method == HTTP_GET && span_is(p.req.method_text, p.req.method_len, "GET"),
          "method");
    CHECK(span_is(p.req.path, p.req.path_len, "/mcp"), "path");
    CHECK(span_is(p.req.query, p.req.query_len, "sessionId=ab&x"), "query");
    CHECK(p.req.minor_version == 1 && p.req.keep_alive, "HTTP/1.1 keeps the connection");
    CHECK(p.req.head_len == strlen(get), "head_len %zu of %zu", p.req.head_len, strlen(get));
    CHECK(p.req.content_length == -1 && !p.req.chunked && !p.req.expect_continue, "no body");
    CHECK(p.req.nheaders == 3, "%u headers", p.req.nheaders);
    CHECK(header_is(&p.req, "ACCEPT", "text/event-stream"), "value trimmed, name case-blind");
    CHECK(header_is(&p.req, "host", "localhost:8080"), "host");
    CHECK(header_is(&p.req, "x-empty", ""), "empty value");
    CHECK(header_is(&p.req, "x-missing", NULL), "missing header");
    parsed_free(&p);

    /* keep-alive by version and Connection */
    static const struct {
        const char *text;
        int minor;
        bool keep_alive;
    } keep[] = {
        {"GET / HTTP/1.0\r\n\r\n", 0, false},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 0, true},
        {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 0, true},
        {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1, true},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 1, false},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade, CLOSE\r\n\r\n", 1, false},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n", 1, true},
        /* a later 1.x is served as 1.1 (RFC 9110 §6.2) */
        {"GET / HTTP/1.2\r\nHost: a\r\n\r\n", 1, true},
    };
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        parse(&p, keep[i].text);
        CHECK(p.result == HTTP_PARSE_DONE && p.req.minor_version == keep[i].minor &&
                  p.req.keep_alive == keep[i].keep_alive,
              "keep-alive case %zu: result %d minor %d keep %d", i, p.result,
              p.req.minor_version, p.req.keep_alive);
        parsed_free(&p);
    }

    /* bare LF line ends, a body after the head */
    const char *lf = "POST /x HTTP/1.1\nHost: a\nContent-Length: 5\n\nhello";
    parse(&p, lf);
    CHECK(p.result == HTTP_PARSE_DONE && p.req.method == HTTP_POST &&
              p.req.head_len == strlen(lf) - 5 && p.req.content_length == 5 &&
              header_is(&p.req, "host", "a"),
          "bare LF: %d head_len %zu", p.result, p.req.head_len);
    parsed_free(&p);
    /* mixed: CRLF lines and an LF blank line */
    parse(&p, "GET / HTTP/1.1\r\nHost: a\r\n\n");
    CHECK(p.result == HTTP_PARSE_DONE && p.req.head_len == 26, "CRLF then LF: %d %zu", p.result,
          p.req.head_len);
    parsed_free(&p);

    /* empty lines before the request line are skipped (and counted) */
    const char *leading = "\r\n\n\r\nGET /a HTTP/1.1\r\nHost: a\r\n\r\n";
    parse(&p, leading);
    CHECK(p.result == HTTP_PARSE_DONE && span_is(p.req.path, p.req.path_len, "/a") &&
              p.req.head_len == strlen(leading),
          "leading empty lines: %d %zu", p.result, p.req.head_len);
    parsed_free(&p);

    /* OPTIONS *, and * is for OPTIONS only */
    parse(&p, "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
    CHECK(p.result == HTTP_PARSE_DONE && p.req.method == HTTP_OPTIONS &&
              span_is(p.req.path, p.req.path_len, "*") && p.req.query == NULL,
          "OPTIONS *: %d", p.result);
    parsed_free(&p);
    EXPECT_ERROR("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400, "path");
    EXPECT_ERROR("OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n", 400, "path");

    /* methods: known ones case-sensitively, others as text */
    static const struct {
        const char *name;
        http_method method;
    } methods[] = {{"GET", HTTP_GET},       {"HEAD", HTTP_HEAD},     {"POST", HTTP_POST},
                   {"PUT", HTTP_PUT},       {"DELETE", HTTP_DELETE}, {"OPTIONS", HTTP_OPTIONS},
                   {"PATCH", HTTP_OTHER},   {"get", HTTP_OTHER},     {"X-M~!", HTTP_OTHER}};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "%s /p HTTP/1.1\r\nHost: a\r\n\r\n", methods[i].name);
        parse(&p, text);
        CHECK(p.result == HTTP_PARSE_DONE && p.req.method == methods[i].method &&
                  span_is(p.req.method_text, p.req.method_len, methods[i].name),
              "method %s: %d %d", methods[i].name, p.result, p.req.method);
        parsed_free(&p);
    }

    /* bodies */
    parse(&p, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n");
    CHECK(p.result == HTTP_PARSE_DONE && p.req.content_length == 5, "equal Content-Lengths");
    parsed_free(&p);
    parse(&p, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n");
    CHECK(p.result == HTTP_PARSE_DONE && p.req.content_length == 7, "leading zeros");
    parsed_free(&p);
    parse(&p, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 999999999999999999\r\n\r\n");
    CHECK(p.result == HTTP_PARSE_DONE && p.req.content_length == 999999999999999999LL,
          "18 digits");
    parsed_free(&p);
    parse(&p, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n");
    CHECK(p.result == HTTP_PARSE_DONE && p.req.chunked && p.req.content_length == -1, "chunked");
    parsed_free(&p);
    parse(&p, "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n");
    CHECK(p.result == HTTP_PARSE_DONE && p.req.expect_continue, "Expect: 100-continue");
    parsed_free(&p);

    /* obs-text in values passes (the transport does not interpret it) */
    parse(&p, "GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf\xc3\xa9 \xff\r\n\r\n");
    CHECK(p.result == HTTP_PARSE_DONE && header_is(&p.req, "x-name", "caf\xc3\xa9 \xff"),
          "obs-text: %d", p.result);
    parsed_free(&p);

    /* the first of two requests in the buffer */
    const char *two = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
    parse(&p, two);
    CHECK(p.result == HTTP_PARSE_DONE && span_is(p.req.path, p.req.path_len, "/1") &&
              p.req.head_len == strlen(two) / 2,
          "pipelined: %zu", p.req.head_len);
    parsed_free(&p);

    /* incomplete heads */
    static const char *const partial[] = {
        "", "\r\n", "G", "GET / HTTP/1.1", "GET / HTTP/1.1\r", "GET / HTTP/1.1\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n", "GET / HTTP/1.1\r\nHost: a\r\n\r",
        "GET / HTTP/1.1\r\nHost: a\r\r",
    };
    for (size_t i = 0; i < sizeof partial / sizeof partial[0]; i++) {
        parse(&p, partial[i]);
        CHECK(p.result == HTTP_PARSE_MORE, "partial %zu: %d", i, p.result);
        parsed_free(&p);
    }

    /* header count: HTTP_MAX_HEADERS pass, one more is refused */
    char many[8192];
    size_t n = (size_t)snprintf(many, sizeof many, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < HTTP_MAX_HEADERS; i++)
        n += (size_t)snprintf(many + n, sizeof many - n, "X-%d: %d\r\n", i, i);
    snprintf(many + n, sizeof many - n, "\r\n");
    parse(&p, many);
    CHECK(p.result == HTTP_PARSE_DONE && p.req.nheaders == HTTP_MAX_HEADERS &&
              header_is(&p.req, "x-63", "63"),
          "%d headers: %d", HTTP_MAX_HEADERS, p.result);
    parsed_free(&p);
    snprintf(many + n, sizeof many - n, "X-last: 1\r\n\r\n");
    EXPECT_ERROR(many, 431, "too many header fields");
}

static void test_refusals(void)
{
    /* the request line */
    EXPECT_ERROR("GET  / HTTP/1.1\r\n\r\n", 400, "malformed request line");
    EXPECT_ERROR(" GET / HTTP/1.1\r\n\r\n", 400, "malformed request line");
    EXPECT_ERROR("GET /\r\n\r\n", 400, "malformed request line");
    EXPECT_ERROR("GET\r\n\r\n", 400, "malformed request line");
    EXPECT_ERROR("G(T / HTTP/1.1\r\n\r\n", 400, "malformed method");
    EXPECT_ERROR("G\x01T / HTTP/1.1\r\n\r\n", 400, "malformed method");
    EXPECT_ERROR("GET\t/ HTTP/1.1\r\n\r\n", 400, "malformed method");
    EXPECT_ERROR("GET http://evil.example.com/mcp HTTP/1.1\r\nHost: a\r\n\r\n", 400, "path");
    EXPECT_ERROR("GET example.com:80 HTTP/1.1\r\n\r\n", 400, "path");
    EXPECT_ERROR("GET /a\x7f HTTP/1.1\r\n\r\n", 400, "malformed request target");
    EXPECT_ERROR("GET /a\x01 HTTP/1.1\r\n\r\n", 400, "malformed request target");
    expect_error_n("GET /a\0b HTTP/1.1\r\n\r\n", 20, 8192, 400, "malformed request target",
                   __LINE__);
    /* versions: a malformed one is 400, a well-formed one we lack 505 */
    EXPECT_ERROR("GET / HTTP/2.0\r\n\r\n", 505, "HTTP/1.0 and HTTP/1.1");
    EXPECT_ERROR("GET / HTTP/0.9\r\n\r\n", 505, "HTTP/1.0 and HTTP/1.1");
    EXPECT_ERROR("GET / HTTP/3.1\r\nHost: a\r\n\r\n", 505, NULL);
    EXPECT_ERROR("GET / HTTP/1.1 \r\n\r\n", 400, "malformed HTTP version");
    EXPECT_ERROR("GET / HTTP/1.1 extra\r\n\r\n", 400, "malformed HTTP version");
    EXPECT_ERROR("GET / HTTP/1.10\r\n\r\n", 400, "malformed HTTP version");
    EXPECT_ERROR("GET / HTTP/11\r\n\r\n", 400, "malformed HTTP version");
    EXPECT_ERROR("GET / HTTP/1.x\r\n\r\n", 400, "malformed HTTP version");
    EXPECT_ERROR("GET / http/1.1\r\n\r\n", 400, "malformed HTTP version");
    EXPECT_ERROR("GET / FTP/1.1\r\n\r\n", 400, "malformed HTTP version");
    EXPECT_ERROR("GET / HTTP/1.1\r\r\n\r\n", 400, "malformed HTTP version"); /* bare CR */
    /* a bad request line is refused before the head is complete */
    expect_error_n("GET / HTTP/9.9\r\nHost: a\r\n", 25, 8192, 505, NULL, __LINE__);
    expect_error_n("BAD LINE\r\n", 10, 8192, 400, NULL, __LINE__);

    /* header lines */
    EXPECT_ERROR("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400, "folded");
    EXPECT_ERROR("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n", 400, "folded");
    EXPECT_ERROR("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400, "folded");
    EXPECT_ERROR("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "malformed header name");
    EXPECT_ERROR("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400, "malformed header name");
    EXPECT_ERROR("GET / HTTP/1.1\r\nX(y): a\r\n\r\n", 400, "malformed header name");
    EXPECT_ERROR("GET / HTTP/1.1\r\nX\x01: a\r\n\r\n", 400, "malformed header name");
    EXPECT_ERROR("GET / HTTP/1.1\r\nNo colon\r\n\r\n", 400, "malformed header line");
    EXPECT_ERROR("GET / HTTP/1.1\r\n: empty name\r\n\r\n", 400, "malformed header line");
    EXPECT_ERROR("GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n", 400, "control character");
    EXPECT_ERROR("GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n", 400, "control character");
    EXPECT_ERROR("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 400, "control character");
    EXPECT_ERROR("GET / HTTP/1.1\r\nX: a\r\r\n\r\n", 400, "control character");
    EXPECT_ERROR("GET / HTTP/1.1\r\nX: \x1b[31m\r\n\r\n", 400, "control character");
    const char nul[] = "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n";
    expect_error_n(nul, sizeof nul - 1, 8192, 400, "NUL", __LINE__);
    const char nul_name[] = "GET / HTTP/1.1\r\nX\0: a\r\n\r\n";
    expect_error_n(nul_name, sizeof nul_name - 1, 8192, 400, "NUL", __LINE__);
    EXPECT_ERROR("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400, "Host");

    /* sizes: the request line alone (414), the whole head (431) */
    char big[600];
    memset(big, 'a', sizeof big);
    memcpy(big, "GET /", 5);
    expect_error_n(big, sizeof big, 512, 414, "request line", __LINE__);
    snprintf(big, sizeof big, "GET / HTTP/1.1\r\nX: %0500d\r\n\r\n", 0);
    expect_error_n(big, strlen(big), 512, 431, "too large", __LINE__);
    expect_error_n(big, 400, 256, 431, "too large", __LINE__); /* incomplete, already too big */
    parsed p;
    parse_n(&p, big, strlen(big), strlen(big)); /* exactly the limit */
    CHECK(p.result == HTTP_PARSE_DONE, "a head of exactly max_head: %d", p.result);
    parsed_free(&p);
    expect_error_n(big, strlen(big), strlen(big) - 1, 431, "too large", __LINE__);
    /* a body after the head does not count */
    char with_body[1200];
    snprintf(with_body, sizeof with_body, "POST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\n%01000d",
             0);
    parse_n(&p, with_body, strlen(with_body), 64);
    CHECK(p.result == HTTP_PARSE_DONE, "a small head before a large body: %d", p.result);
    parsed_free(&p);

    /* Content-Length */
    static const char *const bad_lengths[] = {"abc", "-1", "+5", "", "1 2", "5, 5", "0x10",
                                              "1e3", "9999999999999999999", "5 ;"};
    for (size_t i = 0; i < sizeof bad_lengths / sizeof bad_lengths[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: %s\r\n\r\n",
                 bad_lengths[i]);
        expect_error_n(text, strlen(text), 8192, 400, "malformed Content-Length", __LINE__);
    }
    EXPECT_ERROR("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400,
                 "conflicting");
    EXPECT_ERROR("POST / HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 00001\r\n\r\n", 400,
                 "conflicting");

    /* smuggling: both framings, in either order */
    EXPECT_ERROR("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                 400, "both");
    EXPECT_ERROR("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
                 400, "both");
    /* transfer codings other than chunked alone */
    EXPECT_ERROR("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "chunked");
    EXPECT_ERROR("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "chunked");
    EXPECT_ERROR("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 501, NULL);
    EXPECT_ERROR("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n", 501, NULL);
    EXPECT_ERROR("POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n", 501, NULL);
    EXPECT_ERROR("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "HTTP/1.0");
    /* expectations */
    EXPECT_ERROR("POST / HTTP/1.1\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\n", 417,
                 "100-continue");
    EXPECT_ERROR("POST / HTTP/1.1\r\nExpect: 100-continue, x\r\n\r\n", 417, NULL);
}

/* --- chunked bodies --- */

/* want_result 1: decodes to want (consumed: strlen(enc) - trailing);
 * -1: refused with want_status; 0: needs more. */
static void expect_chunked(const char *enc, size_t len, size_t max_body, int want_result,
                           const char *want, size_t trailing, int want_status, int line)
{
    decoded whole = decode(enc, len, max_body, FEED_WHOLE);
    CHECK(whole.result == want_result, "line %d: result %d (status %d), want %d", line,
          whole.result, whole.status, want_result);
    if (want_result == 1 && whole.result == 1) {
        CHECK(whole.body_len == strlen(want) && memcmp(whole.body, want, whole.body_len) == 0,
              "line %d: decoded '%s', want '%s'", line, whole.body, want);
        CHECK(whole.consumed == len - trailing, "line %d: consumed %zu of %zu", line,
              whole.consumed, len);
    }
    if (want_result == -1)
        CHECK(whole.status == want_status, "line %d: status %d, want %d", line, whole.status,
              want_status);
    for (int mode = FEED_BYTES; mode <= FEED_RANDOM; mode++) {
        decoded piece = decode(enc, len, max_body, (feed_mode)mode);
        CHECK(decoded_same(&whole, &piece),
              "line %d: fed %s: result %d status %d, whole: %d status %d", line,
              mode == FEED_BYTES ? "byte by byte" : "in pieces", piece.result, piece.status,
              whole.result, whole.status);
        free(piece.body);
    }
    free(whole.body);
}

#define CHUNKED_OK(enc, want) expect_chunked(enc, strlen(enc), 1 << 20, 1, want, 0, 0, __LINE__)
#define CHUNKED_OK_TRAILING(enc, want, trailing) \
    expect_chunked(enc, strlen(enc), 1 << 20, 1, want, trailing, 0, __LINE__)
#define CHUNKED_MORE(enc) expect_chunked(enc, strlen(enc), 1 << 20, 0, NULL, 0, 0, __LINE__)
#define CHUNKED_BAD(enc, max, status) \
    expect_chunked(enc, strlen(enc), max, -1, NULL, 0, status, __LINE__)

static void test_chunked(void)
{
    CHUNKED_OK("5\r\nhello\r\n0\r\n\r\n", "hello");
    CHUNKED_OK("3\r\nabc\r\n4\r\ndefg\r\n1\r\nh\r\n0\r\n\r\n", "abcdefgh");
    CHUNKED_OK("0\r\n\r\n", "");
    CHUNKED_OK("A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n", "0123456789abcdefghij");
    CHUNKED_OK("5\nhello\n0\n\n", "hello"); /* bare LF */
    CHUNKED_OK("0000000000000000005\r\nhello\r\n0\r\n\r\n", "hello"); /* leading zeros */
    /* data may hold CR and LF */
    CHUNKED_OK("4\r\n\r\n;x\r\n0\r\n\r\n", "\r\n;x");
    /* extensions are ignored */
    CHUNKED_OK("5;name=value;x\r\nhello\r\n0;last=\"yes\"\r\n\r\n", "hello");
    CHUNKED_OK("5 ;a=b\r\nhello\r\n0\t;c\r\n\r\n", "hello");
    CHUNKED_OK("5 \r\nhello\r\n0\r\n\r\n", "hello");
    /* trailers are read and dropped */
    CHUNKED_OK("5\r\nhello\r\n0\r\nX-Trailer: 1\r\nY: two words\r\n\r\n", "hello");
    CHUNKED_OK("5\r\nhello\r\n0\nX: 1\n\n", "hello");
    /* what follows the body is left alone (a pipelined request) */
    CHUNKED_OK_TRAILING("2\r\nhi\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n", "hi", 18);

    CHUNKED_MORE("");
    CHUNKED_MORE("5");
    CHUNKED_MORE("5\r");
    CHUNKED_MORE("5\r\nhel");
    CHUNKED_MORE("5\r\nhello");
    CHUNKED_MORE("5\r\nhello\r\n");
    CHUNKED_MORE("5\r\nhello\r\n0\r\n");
    CHUNKED_MORE("5\r\nhello\r\n0\r\nX: 1\r\n");
    CHUNKED_MORE("5;ext");

    /* bad sizes */
    CHUNKED_BAD("x\r\n", 1 << 20, 400);
    CHUNKED_BAD("\r\n", 1 << 20, 400);
    CHUNKED_BAD(";a\r\n", 1 << 20, 400);
    CHUNKED_BAD("-1\r\n", 1 << 20, 400);
    CHUNKED_BAD("+1\r\n", 1 << 20, 400);
    CHUNKED_BAD("0x5\r\nhello\r\n0\r\n\r\n", 1 << 20, 400);
    CHUNKED_BAD("5 6\r\nhello\r\n0\r\n\r\n", 1 << 20, 400);
    CHUNKED_BAD("5\rX", 1 << 20, 400);
    CHUNKED_BAD("5;a\rb\r\n", 1 << 20, 400); /* CR only before LF */
    CHUNKED_BAD("5;a\x01\r\n", 1 << 20, 400);
    CHUNKED_BAD("1000000000000000\r\n", 1ull << 62, 413); /* 16 significant digits */
    CHUNKED_BAD("ffffffffffffffffffff\r\n", 1 << 20, 413);
    /* missing CRLF after the data */
    CHUNKED_BAD("5\r\nhelloX\r\n0\r\n\r\n", 1 << 20, 400);
    CHUNKED_BAD("5\r\nhello\r\r\n0\r\n\r\n", 1 << 20, 400);
    CHUNKED_BAD("3\r\nhello\r\n0\r\n\r\n", 1 << 20, 400);
    /* the end */
    CHUNKED_BAD("0\r\n\r\r\n", 1 << 20, 400);
    CHUNKED_BAD("0\r\nX: 1\rY\r\n\r\n", 1 << 20, 400);
    CHUNKED_BAD("0\r\nX: \x01\r\n\r\n", 1 << 20, 400);
    /* too large: one chunk, or the sum; exactly the limit passes */
    CHUNKED_BAD("11\r\n", 16, 413);
    CHUNKED_BAD("8\r\n12345678\r\n9\r\n", 16, 413);
    const char *at_limit = "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n";
    expect_chunked(at_limit, strlen(at_limit), 16, 1, "1234567812345678", 0, 0, __LINE__);
    /* what is not body has limits of its own */
    size_t ext_len = 6000;
    char *ext = malloc(ext_len + 1);
    memset(ext, 'a', ext_len);
    memcpy(ext, "5;", 2);
    ext[ext_len] = 0;
    expect_chunked(ext, ext_len, 1 << 20, -1, NULL, 0, 400, __LINE__);
    memset(ext, '0', ext_len); /* endless leading zeros */
    expect_chunked(ext, ext_len, 1 << 20, -1, NULL, 0, 400, __LINE__);
    free(ext);
    size_t trailers_len = 20000;
    char *trailers = malloc(trailers_len + 1);
    size_t at = (size_t)snprintf(trailers, trailers_len, "0\r\n");
    while (at + 6 < trailers_len)
        at += (size_t)snprintf(trailers + at, trailers_len - at, "X: y\r\n");
    expect_chunked(trailers, at, 1 << 20, -1, NULL, 0, 431, __LINE__);
    free(trailers);
}

/* Random bodies in random encodings decode to themselves however fed;
 * random damage to them gives the same answer however fed. */
static void test_chunked_random(void)
{
    for (int round = 0; round < 400; round++) {
        size_t body_len = (size_t)rand() % 300;
        char *body = malloc(body_len + 1);
        for (size_t i = 0; i < body_len; i++)
            body[i] = (char)(rand() % 256);
        body[body_len] = 0;
        size_t cap = body_len * 3 + 4096, n = 0;
        char *enc = malloc(cap);
        const char *eol = rand() % 4 ? "\r\n" : "\n";
        for (size_t off = 0; off < body_len;) {
            size_t chunk = 1 + (size_t)rand() % 40;
            if (chunk > body_len - off)
                chunk = body_len - off;
            n += (size_t)snprintf(enc + n, cap - n, rand() % 2 ? "%zx" : "%zX", chunk);
            if (rand() % 5 == 0)
                n += (size_t)snprintf(enc + n, cap - n, ";ext=%d", rand() % 100);
            n += (size_t)snprintf(enc + n, cap - n, "%s", eol);
            memcpy(enc + n, body + off, chunk);
            n += chunk;
            n += (size_t)snprintf(enc + n, cap - n, "%s", eol);
            off += chunk;
        }
        n += (size_t)snprintf(enc + n, cap - n, "0%s", eol);
        if (rand() % 3 == 0)
            n += (size_t)snprintf(enc + n, cap - n, "X-Sum: %zu%s", body_len, eol);
        n += (size_t)snprintf(enc + n, cap - n, "%s", eol);

        decoded whole = decode(enc, n, 1 << 20, FEED_WHOLE);
        CHECK(whole.result == 1 && whole.body_len == body_len &&
                  memcmp(whole.body, body, body_len) == 0 && whole.consumed == n,
              "round %d: a valid encoding of %zu bytes: result %d status %d", round, body_len,
              whole.result, whole.status);
        decoded bytes = decode(enc, n, 1 << 20, FEED_BYTES);
        CHECK(decoded_same(&whole, &bytes), "round %d: byte by byte differs", round);
        free(bytes.body);
        free(whole.body);

        /* a limit below the body's size refuses it with 413 */
        if (body_len > 0) {
            decoded small = decode(enc, n, body_len - 1, FEED_RANDOM);
            CHECK(small.result == -1 && small.status == 413, "round %d: over the limit: %d %d",
                  round, small.result, small.status);
            free(small.body);
        }

        /* damage: the answer must not depend on how the bytes arrive */
        for (int m = 0; m < 4 && n > 0; m++) {
            size_t at = (size_t)rand() % n;
            char saved = enc[at];
            static const char interesting[] = "\r\n;0aF \t:\x01\x7f";
            enc[at] = rand() % 2 ? interesting[rand() % (int)(sizeof interesting - 1)]
                                 : (char)(rand() % 256);
            size_t len = rand() % 4 ? n : (size_t)rand() % n;
            decoded a = decode(enc, len, 1 << 20, FEED_WHOLE);
            decoded b = decode(enc, len, 1 << 20, FEED_BYTES);
            decoded c = decode(enc, len, 1 << 20, FEED_RANDOM);
            CHECK(decoded_same(&a, &b) && decoded_same(&a, &c),
                  "round %d: damaged at %zu: whole %d/%d, bytes %d/%d, pieces %d/%d", round, at,
                  a.result, a.status, b.result, b.status, c.result, c.status);
            free(a.body);
            free(b.body);
            free(c.body);
            enc[at] = saved;
        }
        free(enc);
        free(body);
    }
}

/* --- random damage to request heads --- */

static const char *const seeds[] = {
    "GET /mcp HTTP/1.1\r\nHost: localhost:8080\r\nAccept: text/event-stream\r\n"
    "Mcp-Session-Id: 0123456789abcdef0123456789abcdef\r\nLast-Event-ID: 3-4\r\n\r\n",
    "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    "Accept: application/json, text/event-stream\r\nContent-Length: 17\r\n\r\n"
    "{\"jsonrpc\":\"2.0\"}",
    "POST /messages?sessionId=ab%20c HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n"
    "5\nhello\n0\n\n",
    "\r\nHEAD /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "OPTIONS * HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",
    "DELETE /mcp HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 0\r\n"
    "Connection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n",
};

static void test_head_random(void)
{
    static const char interesting[] = "\r\n :\t\0\x7f\x80/?%*,;0129aZ";
    char buf[1024];
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++)
        check_consistent(seeds[s], strlen(seeds[s]), 8192, "seed");
    for (int round = 0; round < 2500; round++) {
        const char *seed = seeds[(size_t)rand() % (sizeof seeds / sizeof seeds[0])];
        size_t len = strlen(seed);
        memcpy(buf, seed, len);
        int edits = 1 + rand() % 4;
        for (int e = 0; e < edits && len > 0; e++) {
            size_t at = (size_t)rand() % len;
            switch (rand() % 6) {
            case 0: /* replace */
                buf[at] = rand() % 2 ? interesting[rand() % (int)(sizeof interesting - 1)]
                                     : (char)(rand() % 256);
                break;
            case 1: /* delete */
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
                break;
            case 2: /* insert */
                if (len + 1 < sizeof buf) {
                    memmove(buf + at + 1, buf + at, len - at);
                    buf[at] = interesting[rand() % (int)(sizeof interesting - 1)];
                    len++;
                }
                break;
            case 3: /* truncate */
                len = at;
                break;
            case 4: { /* repeat a piece (duplicate headers, long lines) */
                size_t piece = 1 + (size_t)rand() % 40;
                if (at + piece > len)
                    piece = len - at;
                if (len + piece < sizeof buf) {
                    memmove(buf + at + piece, buf + at, len - at);
                    len += piece;
                }
                break;
            }
            default: /* swap CRLF and LF */
                if (buf[at] == '\r' && at + 1 < len && buf[at + 1] == '\n') {
                    memmove(buf + at, buf + at + 1, len - at - 1);
                    len--;
                }
                break;
            }
        }
        size_t limits[] = {8192, 64, len > 2 ? len / 2 : 1, len > 0 ? len : 1};
        check_consistent(buf, len, limits[rand() % 4], "mutated");
    }
}

/* --- header lists and query parameters --- */

static void test_lists_and_queries(void)
{
    static const struct {
        const char *value, *token;
        bool has;
    } lists[] = {
        {"text/event-stream", "text/event-stream", true},
        {"application/json, text/event-stream", "text/event-stream", true},
        {"application/json,text/event-stream;q=0.9", "text/event-stream", true},
        {"TEXT/Event-Stream ; q=1", "text/event-stream", true},
        {" , ,\ttext/event-stream\t, ", "text/event-stream", true},
        {"text/event-streamx", "text/event-stream", false},
        {"xtext/event-stream", "text/event-stream", false},
        {"text/html; text/event-stream", "text/event-stream", false},
        {"", "text/event-stream", false},
        {",,,", "close", false},
        {"keep-alive, Upgrade", "upgrade", true},
    };
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        /* an exact-size copy: the list is not NUL-terminated on the wire */
        size_t n = strlen(lists[i].value);
        char *copy = malloc(n ? n : 1);
        memcpy(copy, lists[i].value, n);
        CHECK(http_list_has(copy, n, lists[i].token) == lists[i].has, "'%s' has '%s': %d",
              lists[i].value, lists[i].token, !lists[i].has);
        free(copy);
    }

    static const struct {
        const char *query, *name;
        int len; /* -1: refused */
        const char *value;
    } queries[] = {
        {"sessionId=abc", "sessionId", 3, "abc"},
        {"a=1&sessionId=ab%20c&b=2", "sessionId", 4, "ab c"},
        {"sessionId=a+b", "sessionId", 3, "a b"},
        {"sessionId=%41%62%7e", "sessionId", 3, "Ab~"},
        {"sessionId=%2B", "sessionId", 1, "+"},
        {"sessionId=", "sessionId", 0, ""},
        {"sessionId", "sessionId", 0, ""},
        {"sessionid=abc", "sessionId", -1, NULL},
        {"xsessionId=abc", "sessionId", -1, NULL},
        {"sessionIdx=abc", "sessionId", -1, NULL},
        {"", "sessionId", -1, NULL},
        {"a=1&b=2", "sessionId", -1, NULL},
        {"sessionId=%00", "sessionId", -1, NULL},
        {"sessionId=a%0", "sessionId", -1, NULL},
        {"sessionId=a%", "sessionId", -1, NULL},
        {"sessionId=%zz", "sessionId", -1, NULL},
        {"sessionId=first&sessionId=second", "sessionId", 5, "first"},
    };
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        char out[16];
        size_t n = strlen(queries[i].query);
        char *copy = malloc(n ? n : 1);
        memcpy(copy, queries[i].query, n);
        int r = http_query_param(copy, n, queries[i].name, out, sizeof out);
        free(copy);
        CHECK(r == queries[i].len, "query '%s': %d, want %d", queries[i].query, r,
              queries[i].len);
        if (r >= 0 && queries[i].value)
            CHECK(strcmp(out, queries[i].value) == 0, "query '%s': '%s', want '%s'",
                  queries[i].query, out, queries[i].value);
    }
    char out[8];
    CHECK(http_query_param(NULL, 0, "sessionId", out, sizeof out) == -1, "no query");
    CHECK(http_query_param("a=1", 3, "a", out, 0) == -1, "no room");
    CHECK(http_query_param("a=1234567", 9, "a", out, sizeof out) == 7 &&
              strcmp(out, "1234567") == 0,
          "a value that just fits");
    CHECK(http_query_param("a=12345678", 10, "a", out, sizeof out) == -1, "one byte too long");
}

/* --- Host and Origin --- */

/* Parses text as a Host value from an exact-size copy; the host part goes
 * to host (NUL-terminated), the port to *port (-1: none). */
static bool host_value(const char *text, char *host, size_t host_size, long *port)
{
    size_t n = strlen(text);
    char *copy = malloc(n ? n : 1);
    memcpy(copy, text, n);
    http_authority a;
    bool ok = http_authority_parse(copy, n, &a);
    if (ok) {
        snprintf(host, host_size, "%.*s", (int)a.host_len, a.host);
        *port = a.has_port ? (long)a.port : -1;
    }
    free(copy);
    return ok;
}

static bool origin_value(const char *text, char *host, size_t host_size)
{
    size_t n = strlen(text);
    char *copy = malloc(n ? n : 1);
    memcpy(copy, text, n);
    const char *scheme;
    size_t scheme_len;
    http_authority a;
    bool ok = http_origin_parse(copy, n, &scheme, &scheme_len, &a);
    if (ok)
        snprintf(host, host_size, "%.*s://%.*s", (int)scheme_len, scheme, (int)a.host_len,
                 a.host);
    free(copy);
    return ok;
}

static void test_authority(void)
{
    static const struct {
        const char *text, *host;
        long port;
    } good[] = {
        {"localhost", "localhost", -1},
        {"localhost:8080", "localhost", 8080},
        {"127.0.0.1:65535", "127.0.0.1", 65535},
        {"[::1]", "[::1]", -1},
        {"[::1]:3000", "[::1]", 3000},
        {"[2001:db8::7]:0", "[2001:db8::7]", 0},
        {"[::ffff:127.0.0.1]", "[::ffff:127.0.0.1]", -1},
        {"api.example.com:", "api.example.com", 0}, /* RFC 3986: port = *DIGIT */
        {"ex%41mple.com", "ex%41mple.com", -1},
        {"a-b_c~d.e", "a-b_c~d.e", -1},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char host[64] = "";
        long port = -2;
        bool ok = host_value(good[i].text, host, sizeof host, &port);
        CHECK(ok && strcmp(host, good[i].host) == 0 && port == good[i].port,
              "Host '%s': ok %d host '%s' port %ld", good[i].text, ok, host, port);
    }
    static const char *const bad[] = {
        "", ":80", "[::1]evil", "[::1]:80evil", "[::1]]", "[::1", "[]", "[evil]",
        "[::1%eth0]", "[v1.x]", "[127.0.0.1]", "localhost:@evil.com", "user@localhost",
        "localhost:80@evil.com", "localhost/evil", "localhost?x", "localhost#x",
        "local host", "localhost:65536", "localhost:000080", "localhost:-1", "localhost:8x",
        "ex%4", "ex%zzmple", "local\\host", "localhost\t", "[::1]:80:80", "a:b:c",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char host[64];
        long port;
        CHECK(!host_value(bad[i], host, sizeof host, &port), "Host '%s' accepted", bad[i]);
    }
    char host[64] = "";
    CHECK(origin_value("http://localhost:3000", host, sizeof host) &&
              strcmp(host, "http://localhost") == 0,
          "Origin http://localhost:3000: '%s'", host);
    CHECK(origin_value("https://[::1]", host, sizeof host) && strcmp(host, "https://[::1]") == 0,
          "Origin https://[::1]: '%s'", host);
    CHECK(origin_value("vscode-webview+x.1://app", host, sizeof host), "a scheme with + - .");
    static const char *const bad_origins[] = {
        "http://localhost:@evil.com", "http://user@localhost", "http://localhost@evil.com",
        "http://localhost/", "http://localhost/path", "http://localhost?q", "http://localhost#f",
        "http://[::1]evil", "http://", "://localhost", "1http://localhost", "http:/localhost",
        "http:localhost", "null", "localhost", "ht tp://localhost", "http://localhost:99999",
    };
    for (size_t i = 0; i < sizeof bad_origins / sizeof bad_origins[0]; i++)
        CHECK(!origin_value(bad_origins[i], host, sizeof host), "Origin '%s' accepted",
              bad_origins[i]);
}

/* Random values from an alphabet of the bytes that matter, each from an
 * exact-size copy: no read outside it, and what is accepted holds up. */
static void test_authority_random(void)
{
    static const char alphabet[] = "ab1:[]@/.%?#-_~!eEf0 \t\\";
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(rand() % 24);
        char *v = malloc(n ? n : 1);
        for (size_t i = 0; i < n; i++)
            v[i] = rand() % 16 == 0 ? (char)(rand() % 256) : alphabet[rand() % (sizeof alphabet - 1)];
        http_authority a;
        if (http_authority_parse(v, n, &a)) {
            bool sane = a.host == v && a.host_len > 0 && a.host_len <= n && a.port <= 65535 &&
                        !memchr(v, '@', n) && !memchr(v, '/', n) && !memchr(v, ' ', n);
            if (v[0] == '[')
                sane = sane && v[a.host_len - 1] == ']';
            else
                sane = sane && !memchr(v, '[', n) && !memchr(a.host, ':', a.host_len);
            http_authority again;
            sane = sane && http_authority_parse(v, a.host_len, &again) && !again.has_port &&
                   again.host_len == a.host_len;
            CHECK(sane, "random Host '%.*s' accepted as host '%.*s' port %u", (int)n, v,
                  (int)a.host_len, a.host, a.port);
        }
        const char *scheme;
        size_t scheme_len;
        http_origin_parse(v, n, &scheme, &scheme_len, &a);
        free(v);
    }
}

int main(void)
{
    unsigned seed = (unsigned)time(NULL);
    const char *env = getenv("TEST_HTTP_PARSE_SEED");
    if (env)
        seed = (unsigned)strtoul(env, NULL, 10);
    srand(seed);
    test_valid_requests();
    test_refusals();
    test_chunked();
    test_chunked_random();
    test_head_random();
    test_lists_and_queries();
    test_authority();
    test_authority_random();
    if (failures) {
        printf("%d of %d checks failed (TEST_HTTP_PARSE_SEED=%u)\n", failures, checks, seed);
        return 1;
    }
    printf("test_http_parse: all %d checks passed (seed %u)\n", checks, seed);
    return 0;
}
