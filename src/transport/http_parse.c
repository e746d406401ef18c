/* http_parse.c -- the HTTP/1.1 request head and chunked bodies. */
#include "transport/http_parse.h"

#include <string.h>
#include <strings.h>

#include "util/hex.h"

static bool is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Field values: visible ASCII, obs-text, spaces and tabs. */
static bool is_field_char(unsigned char c)
{
    return c == '\t' || c >= 0x20u ? c != 0x7f : false;
}

static bool token_is(const char *p, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(p, word, n) == 0;
}

/* The end of the head: the offset just past the empty line, or 0. */
static size_t head_end(const char *data, size_t len)
{
    for (const char *p = data; (p = memchr(p, '\n', (size_t)(data + len - p))) != NULL; p++) {
        const char *next = p + 1;
        if (next < data + len && *next == '\n')
            return (size_t)(next + 1 - data);
        if (next + 1 < data + len && next[0] == '\r' && next[1] == '\n')
            return (size_t)(next + 2 - data);
    }
    return 0;
}

/* One line from *p (without its CRLF or LF); false past end. */
static bool next_line(const char **p, const char *end, const char **line, size_t *n)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    if (!nl)
        return false;
    *line = *p;
    *n = (size_t)(nl - *p);
    if (*n > 0 && nl[-1] == '\r')
        (*n)--;
    *p = nl + 1;
    return true;
}

static http_method method_of(const char *p, size_t n)
{
    static const struct {
        const char *name;
        http_method method;
    } known[] = {{"GET", HTTP_GET},       {"HEAD", HTTP_HEAD}, {"POST", HTTP_POST},
                 {"PUT", HTTP_PUT},       {"DELETE", HTTP_DELETE},
                 {"OPTIONS", HTTP_OPTIONS}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strlen(known[i].name) == n && memcmp(known[i].name, p, n) == 0)
            return known[i].method; /* methods are case-sensitive */
    return HTTP_OTHER;
}

static http_parse_result fail(int *status, const char **reason, int code, const char *why)
{
    *status = code;
    *reason = why;
    return HTTP_PARSE_ERROR;
}

static bool parse_length(const char *p, size_t n, long long *out)
{
    if (n == 0 || n > 18)
        return false;
    long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* method SP request-target SP HTTP-version (RFC 9112 §3). */
static http_parse_result request_line(const char *line, size_t n, http_request *req,
                                      int *status, const char **reason)
{
    const char *end = line + n;
    const char *sp1 = memchr(line, ' ', n);
    if (!sp1 || sp1 == line)
        return fail(status, reason, 400, "malformed request line");
    for (const char *c = line; c < sp1; c++)
        if (!is_tchar((unsigned char)*c))
            return fail(status, reason, 400, "malformed method");
    req->method_text = line;
    req->method_len = (size_t)(sp1 - line);
    req->method = method_of(line, req->method_len);
    const char *target = sp1 + 1;
    const char *sp2 = memchr(target, ' ', (size_t)(end - target));
    if (!sp2 || sp2 == target)
        return fail(status, reason, 400, "malformed request line");
    /* Exactly HTTP/DIGIT.DIGIT: anything else (a trailing space, a third
     * word, a bare CR before the LF) is malformed, not a version we lack. */
    const char *version = sp2 + 1;
    if ((size_t)(end - version) != 8 || memcmp(version, "HTTP/", 5) != 0 ||
        !is_digit(version[5]) || version[6] != '.' || !is_digit(version[7]))
        return fail(status, reason, 400, "malformed HTTP version");
    if (version[5] != '1')
        return fail(status, reason, 505, "only HTTP/1.0 and HTTP/1.1 are served");
    /* RFC 9110 §6.2: a later 1.x is served as the highest we implement. */
    req->minor_version = version[7] == '0' ? 0 : 1;
    for (const char *c = target; c < sp2; c++)
        if ((unsigned char)*c <= 0x20 || *c == 0x7f)
            return fail(status, reason, 400, "malformed request target");
    if (*target != '/') {
        if (req->method == HTTP_OPTIONS && sp2 - target == 1 && *target == '*') {
            req->path = target;
            req->path_len = 1;
            return HTTP_PARSE_DONE;
        }
        /* The absolute form would name a host other than Host's, which
         * the DNS rebinding checks look at: refused. */
        return fail(status, reason, 400, "the request target must be a path");
    }
    const char *q = memchr(target, '?', (size_t)(sp2 - target));
    req->path = target;
    req->path_len = (size_t)((q ? q : sp2) - target);
    if (q) {
        req->query = q + 1;
        req->query_len = (size_t)(sp2 - q - 1);
    }
    return HTTP_PARSE_DONE;
}

/* The checks run in an order that gives a buffer the same answer whether
 * it arrives whole or grows a byte at a time: the request line as soon as
 * it is complete, then the size of the head, then the header fields. */
http_parse_result http_parse_head(const char *data, size_t len, size_t max_head,
                                  http_request *req, int *status, const char **reason)
{
    memset(req, 0, sizeof *req);
    req->content_length = -1;
    /* RFC 9112 §2.2: ignore empty lines before the request line. */
    size_t skip = 0;
    while (skip < len && (data[skip] == '\r' || data[skip] == '\n'))
        skip++;
    const char *p = data + skip, *end = data + len;
    const char *first_lf = memchr(p, '\n', (size_t)(end - p));
    if (!first_lf || (size_t)(first_lf + 1 - data) > max_head) {
        if (len > max_head)
            return fail(status, reason, 414, "the request line is too long");
        return HTTP_PARSE_MORE;
    }
    /* A bad request line is refused at once, before the rest arrives. */
    const char *line = NULL;
    size_t n = 0;
    next_line(&p, end, &line, &n);
    http_parse_result r = request_line(line, n, req, status, reason);
    if (r != HTTP_PARSE_DONE)
        return r;

    size_t end_at = head_end(data + skip, len - skip);
    if (end_at == 0) {
        if (len > max_head)
            return fail(status, reason, 431, "the request head is too large");
        return HTTP_PARSE_MORE;
    }
    end_at += skip;
    if (end_at > max_head)
        return fail(status, reason, 431, "the request head is too large");
    end = data + end_at;
    if (memchr(p, 0, (size_t)(end - p)))
        return fail(status, reason, 400, "NUL in the request head");

    bool connection_close = false, connection_keep = false, have_te = false, have_host = false;
    while (next_line(&p, end, &line, &n) && n > 0) {
        if (line[0] == ' ' || line[0] == '\t')
            return fail(status, reason, 400, "folded header lines are not accepted");
        const char *colon = memchr(line, ':', n);
        if (!colon || colon == line)
            return fail(status, reason, 400, "malformed header line");
        for (const char *c = line; c < colon; c++)
            if (!is_tchar((unsigned char)*c))
                return fail(status, reason, 400, "malformed header name");
        const char *v = colon + 1, *vend = line + n;
        while (v < vend && (*v == ' ' || *v == '\t'))
            v++;
        while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
            vend--;
        for (const char *c = v; c < vend; c++)
            if (!is_field_char((unsigned char)*c))
                return fail(status, reason, 400, "control character in a header value");
        if (req->nheaders == HTTP_MAX_HEADERS)
            return fail(status, reason, 431, "too many header fields");
        http_header *h = &req->headers[req->nheaders++];
        h->name = line;
        h->name_len = (size_t)(colon - line);
        h->value = v;
        h->value_len = (size_t)(vend - v);

        if (token_is(h->name, h->name_len, "content-length")) {
            long long cl;
            if (!parse_length(h->value, h->value_len, &cl))
                return fail(status, reason, 400, "malformed Content-Length");
            if (req->content_length >= 0 && req->content_length != cl)
                return fail(status, reason, 400, "conflicting Content-Length headers");
            req->content_length = cl;
        } else if (token_is(h->name, h->name_len, "transfer-encoding")) {
            if (have_te || !token_is(h->value, h->value_len, "chunked"))
                return fail(status, reason, 501, "only the chunked transfer coding is supported");
            have_te = true;
            req->chunked = true;
        } else if (token_is(h->name, h->name_len, "host")) {
            /* RFC 9112 §3.2: which of two would the Host checks look at? */
            if (have_host)
                return fail(status, reason, 400, "more than one Host header");
            have_host = true;
        } else if (token_is(h->name, h->name_len, "connection")) {
            if (http_list_has(h->value, h->value_len, "close"))
                connection_close = true;
            if (http_list_has(h->value, h->value_len, "keep-alive"))
                connection_keep = true;
        } else if (token_is(h->name, h->name_len, "expect")) {
            if (!token_is(h->value, h->value_len, "100-continue"))
                return fail(status, reason, 417, "only Expect: 100-continue is understood");
            req->expect_continue = true;
        }
    }
    if (req->chunked && req->content_length >= 0)
        return fail(status, reason, 400, "both Content-Length and Transfer-Encoding");
    if (req->minor_version == 0 && req->chunked)
        return fail(status, reason, 400, "chunked transfer coding in HTTP/1.0");
    req->keep_alive = req->minor_version == 1 ? !connection_close : connection_keep;
    req->head_len = end_at;
    return HTTP_PARSE_DONE;
}

const char *http_header_get(const http_request *req, const char *name, size_t *len)
{
    for (unsigned i = 0; i < req->nheaders; i++) {
        const http_header *h = &req->headers[i];
        if (token_is(h->name, h->name_len, name)) {
            if (len)
                *len = h->value_len;
            return h->value;
        }
    }
    if (len)
        *len = 0;
    return NULL;
}

bool http_list_has(const char *value, size_t len, const char *token)
{
    const char *p = value, *end = value + len;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *item_end = comma ? comma : end;
        const char *semi = memchr(p, ';', (size_t)(item_end - p));
        const char *s = p, *e = semi ? semi : item_end;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (token_is(s, (size_t)(e - s), token))
            return true;
        p = comma ? comma + 1 : end;
    }
    return false;
}

/* Chunk sizes, extensions and trailers are not body: without limits of
 * their own a peer could stream them forever within max_body. */
#define CHUNK_LINE_MAX 4096        /* a size line with its extensions */
#define CHUNK_TRAILERS_MAX 16384   /* the trailer section */

enum {
    CH_SIZE,         /* hex digits */
    CH_SIZE_WS,      /* blanks after them: ';' or the line end must follow */
    CH_EXT,          /* extensions, ignored */
    CH_SIZE_LF,      /* the LF that ends the size line */
    CH_DATA,
    CH_DATA_CR,      /* the CRLF (or LF) after the data */
    CH_DATA_LF,
    CH_TRAILER,      /* the start of a trailer line, or the final empty line */
    CH_TRAILER_LINE,
    CH_TRAILER_LF,   /* the LF after a CR in the trailer section */
    CH_END_LF,       /* the LF of the final empty line */
};

static int chunk_fail(http_chunked *c, size_t i, int code, int *status)
{
    c->read_at = i;
    *status = code;
    return -1;
}

int http_chunked_feed(http_chunked *c, char *body, size_t len, size_t max_body,
                      size_t *consumed, int *status)
{
    size_t i = c->read_at;
    while (i < len) {
        char ch = body[i];
        switch (c->state) {
        case CH_SIZE: {
            int h = wc_hex_digit(ch);
            if (h >= 0) {
                if ((c->chunk_left > 0 || h > 0) && ++c->size_digits > 15)
                    return chunk_fail(c, i, 413, status); /* no chunk is 2^60 bytes */
                if (++c->line_bytes > CHUNK_LINE_MAX)
                    return chunk_fail(c, i, 400, status);
                c->chunk_left = c->chunk_left * 16 + (size_t)h;
                c->seen_digit = true;
                i++;
                continue;
            }
            if (!c->seen_digit)
                return chunk_fail(c, i, 400, status);
            c->state = CH_SIZE_WS;
            continue;
        }
        case CH_SIZE_WS:
            if (ch == ' ' || ch == '\t') {
                if (++c->line_bytes > CHUNK_LINE_MAX)
                    return chunk_fail(c, i, 400, status);
                i++;
            } else if (ch == ';') {
                c->state = CH_EXT;
            } else if (ch == '\r') {
                c->state = CH_SIZE_LF;
                i++;
            } else if (ch == '\n') {
                c->state = CH_SIZE_LF;
            } else {
                return chunk_fail(c, i, 400, status);
            }
            continue;
        case CH_EXT:
            if (ch == '\r' || ch == '\n') {
                c->state = CH_SIZE_LF;
                i += ch == '\r';
                continue;
            }
            if (!is_field_char((unsigned char)ch) || ++c->line_bytes > CHUNK_LINE_MAX)
                return chunk_fail(c, i, 400, status);
            i++;
            continue;
        case CH_SIZE_LF:
            if (ch != '\n')
                return chunk_fail(c, i, 400, status);
            i++;
            if (c->chunk_left > max_body || c->write_at + c->chunk_left > max_body)
                return chunk_fail(c, i, 413, status);
            c->size_digits = 0;
            c->line_bytes = 0;
            c->seen_digit = false;
            c->state = c->chunk_left == 0 ? CH_TRAILER : CH_DATA;
            continue;
        case CH_DATA: {
            size_t take = len - i < c->chunk_left ? len - i : c->chunk_left;
            memmove(body + c->write_at, body + i, take);
            c->write_at += take;
            c->chunk_left -= take;
            i += take;
            if (c->chunk_left == 0)
                c->state = CH_DATA_CR;
            continue;
        }
        case CH_DATA_CR:
            c->state = CH_DATA_LF;
            if (ch == '\r')
                i++;
            continue;
        case CH_DATA_LF:
            if (ch != '\n')
                return chunk_fail(c, i, 400, status);
            i++;
            c->state = CH_SIZE;
            continue;
        case CH_TRAILER:
            if (ch == '\r') {
                c->state = CH_END_LF;
                i++;
                continue;
            }
            if (ch == '\n') {
                c->read_at = ++i;
                *consumed = i;
                return 1;
            }
            c->state = CH_TRAILER_LINE;
            continue;
        case CH_END_LF:
            if (ch != '\n')
                return chunk_fail(c, i, 400, status);
            c->read_at = ++i;
            *consumed = i;
            return 1;
        case CH_TRAILER_LINE:
            if (++c->trailer_bytes > CHUNK_TRAILERS_MAX)
                return chunk_fail(c, i, 431, status);
            if (ch == '\n')
                c->state = CH_TRAILER;
            else if (ch == '\r')
                c->state = CH_TRAILER_LF;
            else if (!is_field_char((unsigned char)ch))
                return chunk_fail(c, i, 400, status);
            i++;
            continue;
        case CH_TRAILER_LF:
            if (ch != '\n')
                return chunk_fail(c, i, 400, status);
            c->state = CH_TRAILER;
            i++;
            continue;
        }
    }
    c->read_at = i;
    return 0;
}

static int unhex_into(const char *p, size_t n, char *out, size_t out_size)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '+') {
            ch = ' ';
        } else if (ch == '%') {
            int hi = i + 1 < n ? wc_hex_digit(p[i + 1]) : -1;
            int lo = i + 2 < n ? wc_hex_digit(p[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return -1;
            ch = (char)(hi * 16 + lo);
            i += 2;
        }
        if (o + 1 >= out_size || ch == 0)
            return -1;
        out[o++] = ch;
    }
    out[o] = 0;
    return (int)o;
}

int http_query_param(const char *query, size_t query_len, const char *name, char *out,
                     size_t out_size)
{
    if (!query || out_size == 0)
        return -1;
    size_t name_len = strlen(name);
    const char *p = query, *end = query + query_len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *item_end = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(item_end - p));
        const char *key_end = eq ? eq : item_end;
        if ((size_t)(key_end - p) == name_len && memcmp(p, name, name_len) == 0) {
            const char *v = eq ? eq + 1 : item_end;
            return unhex_into(v, (size_t)(item_end - v), out, out_size);
        }
        p = amp ? amp + 1 : end;
    }
    return -1;
}
