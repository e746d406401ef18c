/* extism_http.c -- http_request, http_status_code and http_headers of the
 * Extism kernel, on wasmcap's own client (http_fetch.h): the plugin's
 * allowed_hosts checked for the URL and every redirect, the response
 * bounded by its max_output_bytes and the call's time and cancellation.
 *
 * As in Extism: the request is JSON {"url", "method", "headers"}, the body
 * a block of its own (0: none; dropped for GET and HEAD), the result the
 * response body in a new block; a host not allowed, an unusable request or
 * a failed exchange stops the call with the reason (the Rust runtime's
 * error), and a request block that names no block returns 0 (the
 * JavaScript host's).
 */
#include "host/extism_internal.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/http_fetch.h"
#include "json/parse.h"
#include "util/buf.h"
#include "util/utf8.h"

static wc_trap refuse(wc_instance *caller, const char *what, const char *detail)
{
    wc_instance_set_trap_message(caller, "extism http_request: %s%s", what, detail ? detail : "");
    return WC_TRAP_HOST;
}

/* The request wasmcap's client takes, from Extism's and the body block. */
static json_t *fetch_request(const json_t *req, const wc_extism_block *body, const char **why)
{
    const char *url = json_string_value(json_object_get(req, "url"));
    const json_t *method = json_object_get(req, "method");
    const json_t *headers = json_object_get(req, "headers");
    if (!headers)
        headers = json_object_get(req, "header"); /* the JavaScript host reads either */
    if (!url) {
        *why = "the request has no \"url\" string";
        return NULL;
    }
    if (method && !json_is_string(method) && !json_is_null(method)) {
        *why = "\"method\" must be a string";
        return NULL;
    }
    if (headers && !json_is_object(headers) && !json_is_null(headers)) {
        *why = "\"headers\" must be an object of strings";
        return NULL;
    }
    char m[16] = "GET";
    if (json_is_string(method)) {
        size_t n = json_string_length(method);
        if (n == 0 || n >= sizeof m) {
            *why = "\"method\" is not an HTTP method";
            return NULL;
        }
        for (size_t i = 0; i < n; i++) {
            char ch = json_string_value(method)[i];
            m[i] = (char)(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
        }
        m[n] = 0;
    }
    json_t *out = json_pack("{s:s,s:s}", "method", m, "url", url);
    if (out && json_is_object(headers))
        json_object_set(out, "headers", (json_t *)headers);
    bool bodyless = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
    if (out && body && body->len && !bodyless) {
        if (body->len > INT32_MAX / 2) {
            json_decref(out);
            *why = "the body is too large";
            return NULL;
        }
        char *enc = malloc((body->len + 2) / 3 * 4 + 1);
        if (!enc) {
            json_decref(out);
            *why = "out of memory";
            return NULL;
        }
        int n = EVP_EncodeBlock((unsigned char *)enc, body->data, (int)body->len);
        json_object_set_new(out, "body_base64", json_stringn(enc, (size_t)n));
        free(enc);
    }
    if (!out)
        *why = "out of memory";
    return out;
}

/* The body of wasmcap's response as bytes into a new block. */
static uint64_t store_body(wc_extism_call *c, const json_t *resp, bool *ok)
{
    *ok = true;
    const json_t *text = json_object_get(resp, "body");
    if (json_is_string(text))
        return wc_extism_store(c, json_string_value(text), json_string_length(text));
    const char *b64 = json_string_value(json_object_get(resp, "body_base64"));
    size_t len = b64 ? strlen(b64) : 0;
    if (!b64 || len % 4)
        return wc_extism_store(c, "", 0);
    unsigned char *raw = malloc(len / 4 * 3 + 1);
    if (!raw) {
        *ok = false;
        return 0;
    }
    int n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)len);
    if (n >= 0 && len >= 1 && b64[len - 1] == '=')
        n--;
    if (n >= 0 && len >= 2 && b64[len - 2] == '=')
        n--;
    uint64_t addr = n >= 0 ? wc_extism_store(c, raw, (size_t)n) : 0;
    free(raw);
    *ok = n >= 0;
    return addr;
}

wc_trap wc_extism_http_request(wc_instance *caller, void *env, const wc_value *args,
                               wc_value *results)
{
    EXTISM_ENTER("http_request");
    results[0].i64 = 0;
    json_decref(c->http_headers);
    c->http_headers = NULL;
    c->http_status = 0;
    wc_extism_block *rb = wc_extism_block_at(c, args[0].i64);
    if (!rb)
        return WC_TRAP_NONE;
    wc_json_error jerr;
    json_t *req = wc_json_parse(rb->data ? (const char *)rb->data : "", rb->len, 0, &jerr);
    if (!req || !json_is_object(req)) {
        json_decref(req);
        return refuse(caller, "the request is not a JSON object", NULL);
    }
    const char *why = NULL;
    json_t *freq = fetch_request(req, args[1].i64 ? wc_extism_block_at(c, args[1].i64) : NULL, &why);
    json_decref(req);
    if (!freq)
        return refuse(caller, why, NULL);
    char *text = json_dumps(freq, JSON_COMPACT);
    json_decref(freq);
    if (!text)
        return refuse(caller, "out of memory", NULL);
    wc_buf out;
    wc_buf_init(&out);
    int rc = wc_http_fetch(host->plugin, host->perms, host->cancel, 0, text, strlen(text), &out);
    free(text);
    if (rc) {
        const char *msg = wc_buf_cstr(&out);
        wc_instance_set_trap_message(caller, "extism http_request: %s", msg ? msg : "failed");
        wc_buf_free(&out);
        return wc_cancel_token_cancelled(host->cancel) ? WC_TRAP_INTERRUPTED : WC_TRAP_HOST;
    }
    json_t *resp = wc_json_parse((const char *)out.data, out.len, 0, NULL);
    wc_buf_free(&out);
    if (!resp)
        return refuse(caller, "out of memory", NULL);
    c->http_status = (int)json_integer_value(json_object_get(resp, "status"));
    c->http_headers = json_incref(json_object_get(resp, "headers"));
    bool ok;
    uint64_t addr = store_body(c, resp, &ok);
    json_decref(resp);
    if (!ok || !addr)
        return refuse(caller, "the response does not fit the plugin's memory limit", NULL);
    results[0].i64 = addr;
    return WC_TRAP_NONE;
}

wc_trap wc_extism_http_status_code(wc_instance *caller, void *env, const wc_value *args,
                                   wc_value *results)
{
    EXTISM_ENTER("http_status_code");
    results[0].i32 = (uint32_t)c->http_status;
    return WC_TRAP_NONE;
}

wc_trap wc_extism_http_headers(wc_instance *caller, void *env, const wc_value *args,
                               wc_value *results)
{
    EXTISM_ENTER("http_headers");
    char *text = c->http_headers ? json_dumps(c->http_headers, JSON_COMPACT) : NULL;
    results[0].i64 = wc_extism_store(c, text ? text : "{}", text ? strlen(text) : 2);
    free(text);
    return WC_TRAP_NONE;
}
