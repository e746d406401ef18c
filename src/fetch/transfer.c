/* transfer.c -- one bounded HTTP(S) exchange over libcurl (transfer.h). */
#include "fetch/transfer.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/curl_once.h"

#define MAX_REDIRECTS 5L
#define DEFAULT_TIMEOUT_MS 300000L

typedef struct exchange {
    const wc_transfer *t;
    wc_transfer_answer *answer;
} exchange;

/* Copies the value of a "Name: value" line into slot when name matches. */
static void keep_header(const char *line, size_t len, const char *name, char *slot, size_t size)
{
    size_t n = strlen(name);
    if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
        return;
    const char *v = line + n + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t vlen = (size_t)(end - v);
    if (vlen >= size)
        vlen = size - 1;
    memcpy(slot, v, vlen);
    slot[vlen] = 0;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
    exchange *x = ctx;
    size_t len = size * nmemb;
    wc_transfer_answer *a = x->answer;
    /* A redirect's headers are not the final answer's. */
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        a->www_authenticate[0] = a->location[0] = a->content_type[0] = a->docker_digest[0] = 0;
        return len;
    }
    keep_header(data, len, "WWW-Authenticate", a->www_authenticate, sizeof a->www_authenticate);
    keep_header(data, len, "Location", a->location, sizeof a->location);
    keep_header(data, len, "Content-Type", a->content_type, sizeof a->content_type);
    keep_header(data, len, "Docker-Content-Digest", a->docker_digest, sizeof a->docker_digest);
    /* Headers count against the same cap as the body: a server cannot
     * send endless headers either. */
    return wc_curl_sink_charge(&a->body, len) ? len : 0;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    exchange *x = ctx;
    const wc_transfer *t = x->t;
    if (ultotal > 0)
        t->progress(t->progress_ctx, t->what, (uint64_t)ulnow, (uint64_t)ultotal);
    else
        t->progress(t->progress_ctx, t->what, (uint64_t)dlnow, (uint64_t)(dltotal > 0 ? dltotal : 0));
    return 0;
}

void wc_transfer_answer_free(wc_transfer_answer *answer)
{
    wc_curl_sink_free(&answer->body);
}

int wc_transfer_run(const wc_transfer *t, wc_transfer_answer *a, wc_error *err)
{
    memset(a, 0, sizeof *a);
    wc_curl_sink_init(&a->body, t->max_bytes);
    if (wc_curl_global_init() != CURLE_OK)
        return wc_error_set(err, WC_EIO, "libcurl could not start");
    CURL *curl = curl_easy_init();
    if (!curl)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    struct curl_slist *hdrs = NULL;
    for (size_t i = 0; t->headers && t->headers[i]; i++) {
        struct curl_slist *next = curl_slist_append(hdrs, t->headers[i]);
        if (!next) {
            curl_slist_free_all(hdrs);
            curl_easy_cleanup(curl);
            return wc_error_set(err, WC_ENOMEM, "out of memory");
        }
        hdrs = next;
    }
    exchange x = {t, a};
    char errbuf[CURL_ERROR_SIZE] = "";
    const char *protocols = t->allow_http ? "http,https" : "https";
    curl_easy_setopt(curl, CURLOPT_URL, t->url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, protocols);
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (t->ca_file)
        curl_easy_setopt(curl, CURLOPT_CAINFO, t->ca_file);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, t->timeout_ms > 0 ? t->timeout_ms : DEFAULT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 30000L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t->max_bytes);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, wc_curl_sink_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a->body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "wasmcap");
    if (t->progress && t->what) {
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &x);
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    }
    const char *method = t->method ? t->method : "GET";
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)t->body_len);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, t->body ? (const char *)t->body : "");
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    }
    CURLcode cc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a->status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(curl);
    if (cc == CURLE_OK)
        return 0;
    if (a->body.exceeded || cc == CURLE_FILESIZE_EXCEEDED)
        return wc_error_set(err, WC_ETOOBIG, "%s %s: the answer is larger than the limit of %zu bytes",
                            method, t->url, t->max_bytes);
    if (a->body.body.failed)
        return wc_error_set(err, WC_ENOMEM, "%s %s: out of memory", method, t->url);
    if (cc == CURLE_OPERATION_TIMEDOUT)
        return wc_error_set(err, WC_ETIMEDOUT, "%s %s: timed out", method, t->url);
    if (cc == CURLE_TOO_MANY_REDIRECTS)
        return wc_error_set(err, WC_EREMOTE, "%s %s: more than %ld redirects", method, t->url,
                            MAX_REDIRECTS);
    return wc_error_set(err, WC_EIO, "%s %s: %s", method, t->url,
                        errbuf[0] ? errbuf : curl_easy_strerror(cc));
}
