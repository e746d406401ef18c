/* http_parse.h -- HTTP/1.1 requests read from a buffer (RFC 9112).
 *
 * Pure functions over bytes: the connection layer feeds what it has read
 * and learns whether a request head is complete, how long its body is, or
 * what is wrong with it (with the status code to answer).  Parsed fields
 * point into the caller's buffer.
 *
 * Strict where leniency lets two parsers disagree (request smuggling): a
 * request with both Content-Length and Transfer-Encoding, conflicting
 * Content-Lengths, a transfer coding other than chunked, folded header
 * lines, a space before a header's colon, two Host headers or a control
 * character anywhere in the head is refused.  Bare LF line ends are
 * accepted (RFC 9112 §2.2); a CR anywhere but before an LF is not.
 */
#ifndef WC_TRANSPORT_HTTP_PARSE_H
#define WC_TRANSPORT_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_MAX_HEADERS 64

typedef enum http_method {
    HTTP_OTHER = 0,
    HTTP_GET,
    HTTP_HEAD,
    HTTP_POST,
    HTTP_PUT,
    HTTP_DELETE,
    HTTP_OPTIONS,
} http_method;

typedef struct http_header {
    const char *name, *value; /* value without surrounding spaces */
    size_t name_len, value_len;
} http_header;

typedef struct http_request {
    http_method method;
    const char *method_text;
    size_t method_len;
    const char *path, *query; /* origin-form target split at '?'; query may be NULL */
    size_t path_len, query_len;
    int minor_version;         /* HTTP/1.minor */
    http_header headers[HTTP_MAX_HEADERS];
    unsigned nheaders;
    size_t head_len;           /* bytes of the request line and headers */
    long long content_length;  /* -1: none */
    bool chunked;
    bool keep_alive;           /* by version and Connection */
    bool expect_continue;
} http_request;

typedef enum http_parse_result {
    HTTP_PARSE_MORE = 0,  /* the head is not complete yet */
    HTTP_PARSE_DONE = 1,  /* req is filled in */
    HTTP_PARSE_ERROR = -1 /* *status says what to answer */
} http_parse_result;

/* Parses the request head at the start of data.  On error, *status is the
 * status code to answer (400, 414, 417, 431, 501, 505) and reason a short
 * text.  A request line is judged as soon as it is complete; the result
 * for a buffer is the same whether it arrives whole or in pieces. */
http_parse_result http_parse_head(const char *data, size_t len, size_t max_head,
                                  http_request *req, int *status, const char **reason);

/* The value of the first header named name (ASCII case-insensitive), or
 * NULL; *len gets its length. */
const char *http_header_get(const http_request *req, const char *name, size_t *len);

/* Whether a comma-separated header value lists token (case-insensitive),
 * ignoring parameters after ';' (Accept: text/event-stream;q=1). */
bool http_list_has(const char *value, size_t len, const char *token);

/* A chunked body, decoded in place as it arrives.  Feed it the buffer
 * that starts at the body; it remembers where it stopped. */
typedef struct http_chunked {
    size_t read_at;    /* next undecoded byte (offset into the body) */
    size_t write_at;   /* decoded bytes so far (at the start of the body) */
    size_t chunk_left; /* data bytes left in the current chunk */
    int state;
    int size_digits;   /* significant hex digits of the current size */
    bool seen_digit;   /* the size line has one */
    size_t line_bytes; /* of the current size line (extensions included) */
    size_t trailer_bytes;
} http_chunked;

/* Decodes what it can of body[0, len).  Returns 1 when the body ended
 * (*consumed: the encoded bytes it took, trailers included; the decoded
 * body is body[0, write_at)), 0 when it needs more, -1 when the encoding
 * is wrong (*status 400), the decoded body would pass max_body (413) or
 * the trailers pass 16 KiB (431).  A size line with its extensions may
 * have 4 KiB; CR is accepted only before LF. */
int http_chunked_feed(http_chunked *c, char *body, size_t len, size_t max_body,
                      size_t *consumed, int *status);

/* Decodes %XX escapes of a query parameter's value; '+' is a space.
 * Returns the length written to out (at most out_size - 1, NUL-terminated),
 * or -1 when the parameter is missing, malformed or too long. */
int http_query_param(const char *query, size_t query_len, const char *name, char *out,
                     size_t out_size);

#endif
