/* http_fetch.c -- one plugin HTTP request through libcurl, under its
 * permissions.
 *
 * The allowlist is the security boundary, so curl is never left to decide
 * where to connect on its own:
 *   - the URL is parsed once with curl_url and that parsed handle is what
 *     curl uses (CURLOPT_CURLU): the host we check is the host curl dials;
 *   - redirects are not followed by curl; we read each Location, check its
 *     host and scheme, and make the next request ourselves (at most
 *     WC_HTTP_MAX_REDIRECTS), dropping Authorization, Cookie and
 *     Proxy-Authorization for good once a hop changes scheme, host or port,
 *     and never leaving https for plain http;
 *   - the plugin may not set Host (another virtual host on an allowed
 *     address) nor the headers that frame the message or the connection
 *     (Content-Length, Transfer-Encoding, Connection, ...): curl writes those;
 *   - proxies from the environment (http_proxy, ALL_PROXY, ...) are ignored
 *     (CURLOPT_PROXY ""): the server's environment is not plugin
 *     configuration, and a proxy there would silently carry every plugin's
 *     traffic somewhere the config never mentions.  There is no proxy
 *     setting yet; one would be a per-plugin permission.
 * Only http and https are spoken, in both directions.  The body is decoded
 * (Accept-Encoding) before it is counted against max_output_bytes, so a
 * compressed bomb stops at the cap; the response headers count against the
 * same cap, and repeated ones are collected as lists and joined once, so
 * 30,000 of them cost linear time.  A cancelled call aborts the transfer
 * from curl's progress callback.
 */
#include "host/http_fetch.h"

#include <ctype.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/clock.h"
#include "util/curl_once.h"
#include "util/curl_sink.h"
#include "util/utf8.h"


/* ---- state of one transfer -------------------------------------------- */

typedef struct transfer {
    /* The body, capped at max_output_bytes with the latest response's
     * header names and values charged against the same cap. */
    wc_curl_sink sink;
    /* Of the latest response: lower-case name -> array of its values, joined
     * with ", " by make_response (appending to a string per repeat would be
     * quadratic). */
    json_t *headers;
    const wc_cancel_token *cancel;
} transfer;

static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
    transfer *t = ctx;
    size_t n = size * nmemb;
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        json_object_clear(t->headers); /* a new response (after 1xx, or a hop) */
        t->sink.charged = 0;
        return n;
    }
    const char *colon = memchr(data, ':', n);
    if (!colon || colon == data)
        return n; /* the blank line, or a malformed line: ignored */
    size_t name_len = (size_t)(colon - data);
    const char *v = colon + 1, *end = data + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    /* what the plugin will get: the name, the value, and ", " or ":" */
    if (!wc_curl_sink_charge(&t->sink, name_len + (size_t)(end - v) + 2))
        return 0; /* CURLE_WRITE_ERROR */

    wc_buf name, value;
    wc_buf_init(&name);
    wc_buf_init(&value);
    for (size_t i = 0; i < name_len; i++)
        wc_buf_byte(&name, (uint8_t)tolower((unsigned char)data[i]));
    char *name_s = wc_buf_cstr(&name);
    if (name_s && wc_utf8_valid(name_s, name.len) && !memchr(name_s, 0, name.len)) {
        wc_utf8_sanitize(&value, v, (size_t)(end - v));
        json_t *values = json_object_get(t->headers, name_s);
        if (!values && (values = json_array()) && json_object_set_new(t->headers, name_s, values) != 0)
            values = NULL;
        if (!value.failed && values)
            json_array_append_new(values, json_stringn(value.data ? (char *)value.data : "", value.len));
    }
    wc_buf_free(&name);
    wc_buf_free(&value);
    return n;
}

/* The headers as the plugin sees them: name -> the values joined by ", ". */
static json_t *joined_headers(const json_t *lists)
{
    json_t *out = json_object();
    const char *name;
    json_t *values;
    json_object_foreach((json_t *)lists, name, values) {
        wc_buf joined;
        wc_buf_init(&joined);
        for (size_t i = 0; i < json_array_size(values); i++) {
            json_t *v = json_array_get(values, i);
            if (i)
                wc_buf_str(&joined, ", ");
            wc_buf_append(&joined, json_string_value(v), json_string_length(v));
        }
        if (!out || joined.failed ||
            json_object_set_new(out, name, json_stringn(joined.data ? (char *)joined.data : "", joined.len)) != 0) {
            wc_buf_free(&joined);
            json_decref(out);
            return NULL;
        }
        wc_buf_free(&joined);
    }
    return out;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    transfer *t = ctx;
    return t->cancel && wc_cancel_token_cancelled(t->cancel) ? 1 : 0;
}

/* ---- helpers ----------------------------------------------------------- */

static bool is_token(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("!#$%&'*+-.^_`|~", *s))
            return false;
    return true;
}

/* Appends `s` to out for a message: sanitized, at most 200 bytes. */
static void quote(wc_buf *out, const char *s)
{
    size_t len = strlen(s);
    size_t cut = wc_utf8_prefix(s, len, 200);
    wc_utf8_sanitize(out, s, cut);
    if (cut < len)
        wc_buf_str(out, "...");
}

static int fail(wc_buf *out, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(wc_buf *out, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    out->len = 0;
    /* msg may quote URLs and hosts that are not UTF-8 */
    wc_utf8_sanitize(out, msg, strlen(msg));
    return code;
}

/* Parses url into a new CURLU, checking scheme and host.  Returns 0, or an
 * error (message in out).  *host gets the lower-cased host (malloc'ed). */
static int parse_url(const char *plugin, const wc_permissions *perms, const char *url,
                     const char *redirected_from, CURLU **out_url, char **out_host, wc_buf *out)
{
    *out_url = NULL;
    *out_host = NULL;
    CURLU *u = curl_url();
    if (!u)
        return fail(out, WC_HOST_EFAILED, "http_fetch: out of memory");
    wc_buf q;
    wc_buf_init(&q);
    quote(&q, url);
    const char *qs = wc_buf_cstr(&q) ? (const char *)q.data : "?";
    int code = 0;
    char *scheme = NULL, *host = NULL;
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
    if (uc != CURLUE_OK) {
        code = fail(out, WC_HOST_EINVAL, "http_fetch: invalid URL '%s': %s", qs, curl_url_strerror(uc));
        goto done;
    }
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)) {
        if (redirected_from)
            code = fail(out, WC_HOST_EDENIED, "http_fetch: redirect from %s to '%s' refused: only http and https are allowed",
                        redirected_from, qs);
        else
            code = fail(out, WC_HOST_EINVAL, "http_fetch: URL '%s': only http and https are allowed", qs);
        goto done;
    }
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !*host) {
        code = fail(out, WC_HOST_EINVAL, "http_fetch: URL '%s' has no host", qs);
        goto done;
    }
    for (char *p = host; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (!wc_host_allowed(perms, host)) {
        wc_buf hq;
        wc_buf_init(&hq);
        quote(&hq, host);
        const char *hs = wc_buf_cstr(&hq) ? (const char *)hq.data : "?";
        if (redirected_from)
            code = fail(out, WC_HOST_EDENIED,
                        "http_fetch: redirect from %s to host '%s' refused: '%s' is not allowed for plugin '%s': "
                        "add it to plugins.%s.permissions.allowed_hosts in wasmcap.json",
                        redirected_from, hs, hs, plugin, plugin);
        else
            code = fail(out, WC_HOST_EDENIED,
                        "http_fetch: host '%s' is not allowed for plugin '%s': add it to "
                        "plugins.%s.permissions.allowed_hosts in wasmcap.json",
                        hs, plugin, plugin);
        wc_buf_free(&hq);
        goto done;
    }
done:
    wc_buf_free(&q);
    curl_free(scheme);
    if (code) {
        curl_free(host);
        curl_url_cleanup(u);
        return code;
    }
    *out_url = u;
    *out_host = strdup(host);
    curl_free(host);
    if (!*out_host) {
        curl_url_cleanup(u);
        *out_url = NULL;
        return fail(out, WC_HOST_EFAILED, "http_fetch: out of memory");
    }
    return 0;
}

/* Headers curl writes itself, from the URL, the body and the connection:
 * Host would reach another virtual host on an allowed address, and the
 * framing and hop-by-hop ones would let a plugin desynchronise the message
 * (request smuggling through a proxy) or the connection. */
static bool is_reserved_header(const char *name)
{
    static const char *const reserved[] = {"host", "content-length", "transfer-encoding", "connection",
                                           "keep-alive", "proxy-connection", "upgrade", "te", "trailer",
                                           "expect"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcasecmp(name, reserved[i]) == 0)
            return true;
    return false;
}

/* Headers that carry credentials: not sent on to another origin. */
static bool is_credential(const char *name)
{
    return strcasecmp(name, "authorization") == 0 || strcasecmp(name, "cookie") == 0 ||
           strcasecmp(name, "proxy-authorization") == 0;
}

/* scheme, host (lower case) and port (the scheme's default filled in). */
typedef struct origin {
    char *scheme, *host, *port;
} origin;

static bool get_origin(const char *url, origin *o)
{
    memset(o, 0, sizeof *o);
    CURLU *u = curl_url();
    bool ok = u && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_SCHEME, &o->scheme, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_HOST, &o->host, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_PORT, &o->port, CURLU_DEFAULT_PORT) == CURLUE_OK;
    curl_url_cleanup(u);
    if (ok) {
        for (char *p = o->scheme; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        for (char *p = o->host; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    }
    return ok;
}

static void free_origin(origin *o)
{
    curl_free(o->scheme);
    curl_free(o->host);
    curl_free(o->port);
}

wc_http_redirect wc_http_redirect_kind(const char *from_url, const char *to_url)
{
    origin a, b;
    /* Both parsed, even when the first fails: free_origin needs both set. */
    bool from_ok = get_origin(from_url, &a);
    bool to_ok = get_origin(to_url, &b);
    bool parsed = from_ok && to_ok;
    wc_http_redirect kind = WC_HTTP_REDIRECT_CROSS_ORIGIN;
    if (parsed && strcmp(a.scheme, "https") == 0 && strcmp(b.scheme, "https") != 0)
        kind = WC_HTTP_REDIRECT_DOWNGRADE;
    else if (parsed && strcmp(a.scheme, b.scheme) == 0 && strcmp(a.host, b.host) == 0 && strcmp(a.port, b.port) == 0)
        kind = WC_HTTP_REDIRECT_SAME_ORIGIN;
    free_origin(&a);
    free_origin(&b);
    return kind;
}

/* Builds the header list from the request's "headers" (already checked). */
static struct curl_slist *make_headers(json_t *headers, bool drop_credentials, bool *oom)
{
    struct curl_slist *list = NULL, *next;
    /* No "Expect: 100-continue" round trip on large bodies. */
    if (!(next = curl_slist_append(list, "Expect:")))
        goto nomem;
    list = next;
    const char *name;
    json_t *value;
    json_object_foreach(headers, name, value) {
        if (drop_credentials && is_credential(name))
            continue;
        const char *v = json_string_value(value);
        wc_buf line;
        wc_buf_init(&line);
        /* "Name;" sends an empty header; "Name:" would remove it. */
        if (*v)
            wc_buf_printf(&line, "%s: %s", name, v);
        else
            wc_buf_printf(&line, "%s;", name);
        char *s = wc_buf_cstr(&line);
        next = s ? curl_slist_append(list, s) : NULL;
        wc_buf_free(&line);
        if (!next)
            goto nomem;
        list = next;
    }
    return list;
nomem:
    curl_slist_free_all(list);
    *oom = true;
    return NULL;
}

static int check_request(json_t *req, const char **method, const char **url, json_t **headers,
                         wc_buf *body, bool *has_body, wc_buf *out)
{
    if (!json_is_object(req))
        return fail(out, WC_HOST_EINVAL, "http_fetch: the request must be a JSON object");
    json_t *m = json_object_get(req, "method");
    *method = "GET";
    if (m) {
        if (!json_is_string(m) || !is_token(json_string_value(m)) || json_string_length(m) > 32)
            return fail(out, WC_HOST_EINVAL, "http_fetch: \"method\" must be an HTTP method name such as \"GET\"");
        *method = json_string_value(m);
    }
    json_t *u = json_object_get(req, "url");
    if (!json_is_string(u))
        return fail(out, WC_HOST_EINVAL, "http_fetch: \"url\" (a string) is required");
    if (strlen(json_string_value(u)) != json_string_length(u))
        return fail(out, WC_HOST_EINVAL, "http_fetch: \"url\" contains a NUL character");
    *url = json_string_value(u);
    *headers = json_object_get(req, "headers");
    if (*headers) {
        if (!json_is_object(*headers))
            return fail(out, WC_HOST_EINVAL, "http_fetch: \"headers\" must be an object of strings");
        const char *name;
        json_t *value;
        json_object_foreach(*headers, name, value) {
            if (!is_token(name))
                return fail(out, WC_HOST_EINVAL, "http_fetch: invalid header name '%.100s'", name);
            if (is_reserved_header(name))
                return fail(out, WC_HOST_EINVAL,
                            "http_fetch: header '%s' may not be set by a plugin: the host writes it "
                            "(from the URL, the body and the connection)", name);
            if (!json_is_string(value))
                return fail(out, WC_HOST_EINVAL, "http_fetch: header '%s' must be a string", name);
            const char *v = json_string_value(value);
            if (strlen(v) != json_string_length(value) || strpbrk(v, "\r\n"))
                return fail(out, WC_HOST_EINVAL, "http_fetch: header '%s' contains a line break or NUL", name);
        }
    }
    json_t *b = json_object_get(req, "body"), *b64 = json_object_get(req, "body_base64");
    *has_body = b || b64;
    if (b && b64)
        return fail(out, WC_HOST_EINVAL, "http_fetch: give \"body\" or \"body_base64\", not both");
    if (b) {
        if (!json_is_string(b))
            return fail(out, WC_HOST_EINVAL, "http_fetch: \"body\" must be a string");
        wc_buf_append(body, json_string_value(b), json_string_length(b));
    } else if (b64) {
        const char *s = json_is_string(b64) ? json_string_value(b64) : NULL;
        size_t len = s ? json_string_length(b64) : 0;
        if (!s || len % 4 != 0 || len > INT32_MAX || !wc_buf_reserve(body, len / 4 * 3 + 3))
            return fail(out, WC_HOST_EINVAL, "http_fetch: \"body_base64\" must be a base64 string");
        int n = EVP_DecodeBlock(body->data, (const unsigned char *)s, (int)len);
        if (n < 0)
            return fail(out, WC_HOST_EINVAL, "http_fetch: \"body_base64\" is not valid base64");
        /* EVP_DecodeBlock counts the padding as zero bytes */
        if (len >= 1 && s[len - 1] == '=')
            n--;
        if (len >= 2 && s[len - 2] == '=')
            n--;
        body->len = (size_t)n;
    }
    if (body->failed)
        return fail(out, WC_HOST_EFAILED, "http_fetch: out of memory");
    return 0;
}

static int make_response(long status, transfer *t, wc_buf *out)
{
    json_t *resp = json_object();
    if (!resp)
        return fail(out, WC_HOST_EFAILED, "http_fetch: out of memory");
    json_t *headers = joined_headers(t->headers);
    if (!headers) {
        json_decref(resp);
        return fail(out, WC_HOST_EFAILED, "http_fetch: out of memory");
    }
    json_object_set_new(resp, "status", json_integer(status));
    json_object_set_new(resp, "headers", headers);
    const wc_buf *body = &t->sink.body;
    const char *data = body->data ? (const char *)body->data : "";
    if (wc_utf8_valid(data, body->len)) {
        json_object_set_new(resp, "body", json_stringn(data, body->len));
    } else {
        size_t enc_len = (body->len + 2) / 3 * 4;
        unsigned char *enc = malloc(enc_len + 1);
        if (enc) {
            EVP_EncodeBlock(enc, (const unsigned char *)data, (int)body->len);
            json_object_set_new(resp, "body_base64", json_stringn((char *)enc, enc_len));
            free(enc);
        }
    }
    char *text = json_dumps(resp, JSON_COMPACT);
    json_decref(resp);
    if (!text)
        return fail(out, WC_HOST_EFAILED, "http_fetch: out of memory");
    out->len = 0;
    wc_buf_str(out, text);
    free(text);
    return 0;
}

/* ---- the request ------------------------------------------------------- */

int wc_http_fetch(const char *plugin, const wc_permissions *perms, const wc_cancel_token *cancel,
                  uint32_t timeout_ms, const void *request, size_t request_len, wc_buf *out)
{
    if (perms->n_allowed_hosts == 0)
        return fail(out, WC_HOST_EDENIED,
                    "http is not granted to plugin '%s': set plugins.%s.permissions.allowed_hosts in wasmcap.json",
                    plugin, plugin);
    CURLcode curl_init_rc = wc_curl_global_init();
    if (curl_init_rc != CURLE_OK)
        return fail(out, WC_HOST_EFAILED, "http_fetch: libcurl failed to initialize: %s",
                    curl_easy_strerror(curl_init_rc));
    if (timeout_ms == 0)
        timeout_ms = perms->timeout_ms ? perms->timeout_ms : WC_DEFAULT_TIMEOUT_MS;
    const uint64_t deadline = wc_monotonic_ms() + timeout_ms;

    json_error_t jerr;
    json_t *req = json_loadb(request, request_len, 0, &jerr);
    if (!req)
        return fail(out, WC_HOST_EINVAL, "http_fetch: the request is not valid JSON: %s (at byte %d)",
                    jerr.text, jerr.position);

    int code = 0;
    const char *method = "GET", *url = NULL;
    json_t *headers = NULL;
    bool has_body = false;
    transfer t = {.cancel = cancel};
    size_t max_output = perms->max_output_bytes ? perms->max_output_bytes : WC_DEFAULT_MAX_OUTPUT;
    wc_curl_sink_init(&t.sink, max_output);
    wc_buf body;
    wc_buf_init(&body);
    char *cur_url = NULL, *cur_host = NULL;
    bool drop_credentials = false; /* for good, once a hop left the first origin */
    CURLU *u = NULL;
    CURL *curl = NULL;
    struct curl_slist *hdrs = NULL;
    char errbuf[CURL_ERROR_SIZE];

    if ((code = check_request(req, &method, &url, &headers, &body, &has_body, out)))
        goto done;
    char *m = strdup(method);
    cur_url = strdup(url);
    t.headers = json_object();
    curl = curl_easy_init();
    if (!m || !cur_url || !t.headers || !curl) {
        free(m);
        code = fail(out, WC_HOST_EFAILED, "http_fetch: out of memory");
        goto done;
    }
    method = NULL; /* m from here on: it may change on a 303 */

    for (int hop = 0;; hop++) {
        char from[300] = "";
        if (hop > 0) {
            wc_buf q;
            wc_buf_init(&q);
            quote(&q, cur_host);
            snprintf(from, sizeof from, "%s", wc_buf_cstr(&q) ? (const char *)q.data : "?");
            wc_buf_free(&q);
        }
        char *host = NULL;
        CURLU *next_u = NULL;
        if ((code = parse_url(plugin, perms, cur_url, hop ? from : NULL, &next_u, &host, out)))
            break;
        curl_url_cleanup(u);
        u = next_u;
        free(cur_host);
        cur_host = host;

        uint64_t now = wc_monotonic_ms();
        if (now >= deadline) {
            code = fail(out, WC_HOST_EFAILED, "http_fetch: timed out after %u ms (raise plugins.%s.permissions.timeout_ms)",
                        timeout_ms, plugin);
            break;
        }
        bool oom = false;
        curl_slist_free_all(hdrs);
        hdrs = make_headers(headers, drop_credentials, &oom);
        if (oom) {
            code = fail(out, WC_HOST_EFAILED, "http_fetch: out of memory");
            break;
        }
        json_object_clear(t.headers);
        wc_curl_sink_reset(&t.sink);
        errbuf[0] = 0;

        curl_easy_reset(curl);
        curl_easy_setopt(curl, CURLOPT_CURLU, u);
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(curl, CURLOPT_PROXY, ""); /* see the comment at the top */
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)(deadline - now));
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
        if (strcmp(m, "HEAD") != 0) /* a HEAD's Content-Length announces no body */
            curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_output);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, wc_curl_sink_write);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t.sink);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(curl, CURLOPT_USERAGENT, "wasmcap");
        if (strcmp(m, "HEAD") == 0) {
            curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
        } else if (has_body) {
            curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
            curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data ? (char *)body.data : "");
            if (strcmp(m, "POST") != 0)
                curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, m);
        } else if (strcmp(m, "GET") != 0) {
            curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, m);
        }

        CURLcode rc = curl_easy_perform(curl);
        if (rc != CURLE_OK) {
            if (t.sink.exceeded || rc == CURLE_FILESIZE_EXCEEDED)
                code = fail(out, WC_HOST_ETOOLARGE,
                            "http_fetch: the response from %s (headers and body) is larger than %zu bytes "
                            "(raise plugins.%s.permissions.max_output_bytes)", cur_host,
                            max_output, plugin);
            else if (rc == CURLE_ABORTED_BY_CALLBACK && cancel && wc_cancel_token_cancelled(cancel))
                code = fail(out, WC_HOST_ECANCELLED, "http_fetch: the call was cancelled");
            else if (rc == CURLE_OPERATION_TIMEDOUT)
                code = fail(out, WC_HOST_EFAILED,
                            "http_fetch: timed out after %u ms (raise plugins.%s.permissions.timeout_ms)",
                            timeout_ms, plugin);
            else
                code = fail(out, WC_HOST_EFAILED, "http_fetch: %s: %s", cur_host,
                            errbuf[0] ? errbuf : curl_easy_strerror(rc));
            break;
        }
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        char *location = NULL;
        curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location);
        bool redirect = (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) && location;
        if (!redirect) {
            code = make_response(status, &t, out);
            break;
        }
        if (hop >= WC_HTTP_MAX_REDIRECTS) {
            code = fail(out, WC_HOST_EFAILED, "http_fetch: more than %d redirects", WC_HTTP_MAX_REDIRECTS);
            break;
        }
        char *next = strdup(location); /* owned by curl until the next perform */
        if (!next) {
            code = fail(out, WC_HOST_EFAILED, "http_fetch: out of memory");
            break;
        }
        wc_http_redirect kind = wc_http_redirect_kind(cur_url, next);
        if (kind == WC_HTTP_REDIRECT_DOWNGRADE) {
            wc_buf q;
            wc_buf_init(&q);
            quote(&q, next);
            code = fail(out, WC_HOST_EDENIED, "http_fetch: redirect from https://%s to '%s' refused: it would leave "
                        "https for plain http", cur_host, wc_buf_cstr(&q) ? (const char *)q.data : "?");
            wc_buf_free(&q);
            free(next);
            break;
        }
        if (kind == WC_HTTP_REDIRECT_CROSS_ORIGIN)
            drop_credentials = true;
        free(cur_url);
        cur_url = next;
        /* 303, and 301/302 after a POST, continue as GET without a body (as browsers do). */
        if (status == 303 || ((status == 301 || status == 302) && strcmp(m, "POST") == 0)) {
            if (strcmp(m, "HEAD") != 0) {
                char *get = strdup("GET");
                if (!get) {
                    code = fail(out, WC_HOST_EFAILED, "http_fetch: out of memory");
                    break;
                }
                free(m);
                m = get;
            }
            has_body = false;
        }
    }
    free(m);

done:
    curl_slist_free_all(hdrs);
    if (curl)
        curl_easy_cleanup(curl);
    curl_url_cleanup(u);
    free(cur_url);
    free(cur_host);
    wc_buf_free(&body);
    wc_curl_sink_free(&t.sink);
    json_decref(t.headers);
    json_decref(req);
    return code;
}
