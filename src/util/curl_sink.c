/* curl_sink.c -- a capped libcurl body sink (curl_sink.h). */
#include "util/curl_sink.h"

void wc_curl_sink_init(wc_curl_sink *sink, size_t max)
{
    *sink = (wc_curl_sink){.max = max};
    wc_buf_init(&sink->body);
}

void wc_curl_sink_free(wc_curl_sink *sink)
{
    wc_buf_free(&sink->body);
}

void wc_curl_sink_reset(wc_curl_sink *sink)
{
    wc_buf_reset(&sink->body);
    sink->charged = 0;
    sink->exceeded = false;
}

/* The bytes still allowed; body and charged never pass max together. */
static size_t room(const wc_curl_sink *sink)
{
    return sink->max - sink->charged - sink->body.len;
}

bool wc_curl_sink_charge(wc_curl_sink *sink, size_t n)
{
    if (n > room(sink)) {
        sink->exceeded = true;
        return false;
    }
    sink->charged += n;
    return true;
}

size_t wc_curl_sink_write(char *data, size_t size, size_t nmemb, void *ctx)
{
    wc_curl_sink *sink = ctx;
    size_t n;
    if (__builtin_mul_overflow(size, nmemb, &n) || n > room(sink)) {
        sink->exceeded = true;
        return 0;
    }
    wc_buf_append(&sink->body, data, n);
    return sink->body.failed ? 0 : n;
}
