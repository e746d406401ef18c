/* session_capture.h -- an in-process MCP session whose send callback
 * captures every message, and the helpers that drive it: send a request,
 * wait for its answer or for a message that matches, initialize.  Shared
 * by test_mcp.c and test_events.c; everything is static inline.  Include
 * after check.h.
 */
#ifndef WC_TESTS_SESSION_CAPTURE_H
#define WC_TESTS_SESSION_CAPTURE_H

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "mcp/server.h"

#include "check.h"

/* --- capture --- */

typedef struct capture {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    json_t *msgs; /* array of parsed messages, in order sent */
    int last_status; /* http_status of the last final route */
    unsigned long long last_tag; /* the tag of the last final route */
    int bad;      /* messages that were not one JSON object */
    int verbatim; /* answers carrying a plugin's result as it wrote it */
} capture;

static inline void capture_send(void *ctx, const wc_mcp_route *route, const char *data, size_t len)
{
    capture *c = ctx;
    if (route->final) {
        pthread_mutex_lock(&c->lock);
        c->last_status = route->http_status;
        c->last_tag = route->tag;
        pthread_mutex_unlock(&c->lock);
    }
    if (!data)
        return;
    json_error_t jerr;
    json_t *v = json_loadb(data, len, 0, &jerr);
    pthread_mutex_lock(&c->lock);
    if (!json_is_object(v) || memchr(data, '\n', len))
        c->bad++;
    if (memmem(data, len, "\"content\": [", 12))
        c->verbatim++;
    if (v)
        json_array_append_new(c->msgs, v);
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

static inline void capture_init(capture *c)
{
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    c->msgs = json_array();
    c->bad = 0;
}

static inline void capture_free(capture *c)
{
    json_decref(c->msgs);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
}

static inline size_t capture_count(capture *c)
{
    pthread_mutex_lock(&c->lock);
    size_t n = json_array_size(c->msgs);
    pthread_mutex_unlock(&c->lock);
    return n;
}

typedef bool (*match_fn)(json_t *msg, const void *arg);

/* Waits up to ms for a message matching; returns a new reference or NULL.
 * The message is removed from the capture. */
static inline json_t *wait_match(capture *c, match_fn match, const void *arg, int ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += ms / 1000;
    deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&c->lock);
    for (;;) {
        for (size_t i = 0; i < json_array_size(c->msgs); i++) {
            json_t *m = json_array_get(c->msgs, i);
            if (match(m, arg)) {
                json_incref(m);
                json_array_remove(c->msgs, i);
                pthread_mutex_unlock(&c->lock);
                return m;
            }
        }
        if (pthread_cond_timedwait(&c->cond, &c->lock, &deadline) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

static inline bool match_id(json_t *m, const void *arg)
{
    json_t *id = json_object_get(m, "id");
    return !json_object_get(m, "method") && json_is_integer(id) &&
           json_integer_value(id) == *(const long long *)arg;
}

static inline bool match_null_id(json_t *m, const void *arg)
{
    return json_is_null(json_object_get(m, "id"));
}

static inline bool match_method(json_t *m, const void *arg)
{
    json_t *method = json_object_get(m, "method");
    return json_is_string(method) && strcmp(json_string_value(method), arg) == 0;
}

static inline json_t *response(capture *c, long long id)
{
    return wait_match(c, match_id, &id, 5000);
}

static inline void sendf(wc_mcp_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void sendf(wc_mcp_session *s, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    wc_mcp_session_receive(s, buf, (size_t)n, NULL);
}

static inline long long error_code(json_t *m)
{
    return json_integer_value(json_object_get(json_object_get(m, "error"), "code"));
}

static inline const char *error_message(json_t *m)
{
    const char *s = json_string_value(json_object_get(json_object_get(m, "error"), "message"));
    return s ? s : "";
}

/* Sends request id with method and params (NULL: none); its answer. */
static inline json_t *request(capture *c, wc_mcp_session *s, long long id, const char *method,
                              const char *params)
{
    if (params)
        sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"method\":\"%s\",\"params\":%s}", id, method,
              params);
    else
        sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"method\":\"%s\"}", id, method);
    return response(c, id);
}

/* Sends request id with method and params, expects error code; returns the message. */
static inline void expect_error(capture *c, wc_mcp_session *s, long long id, const char *method,
                         const char *params, long long code, const char *needle, int line)
{
    json_t *r = request(c, s, id, method, params);
    CHECK(r && error_code(r) == code, "line %d: %s %s: code %lld (%s), want %lld", line, method,
          params ? params : "", r ? error_code(r) : 0, r ? error_message(r) : "no answer", code);
    if (r && needle)
        CHECK(strstr(error_message(r), needle), "line %d: message '%s' lacks '%s'", line,
              error_message(r), needle);
    json_decref(r);
}

#define EXPECT_ERROR(c, s, id, method, params, code, needle) \
    expect_error(c, s, id, method, params, code, needle, __LINE__)

static inline json_t *result_of(capture *c, wc_mcp_session *s, long long id, const char *method,
                         const char *params)
{
    json_t *r = request(c, s, id, method, params);
    if (!r || !json_object_get(r, "result")) {
        printf("  (%s: %s)\n", method, r ? error_message(r) : "no answer");
        json_decref(r);
        return NULL;
    }
    json_t *result = json_incref(json_object_get(r, "result"));
    json_decref(r);
    return result;
}

static inline void initialize(capture *c, wc_mcp_session *s, const char *caps)
{
    json_t *r = result_of(c, s, 1000, "initialize",
                          caps ? caps
                               : "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
                                 "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}");
    CHECK(r != NULL, "initialize failed");
    json_decref(r);
    sendf(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
}

/* An initialized session of server whose messages c captures. */
static inline wc_mcp_session *capture_session(capture *c, wc_mcp_server *server)
{
    capture_init(c);
    wc_mcp_session *s = wc_mcp_session_new(server, capture_send, c);
    initialize(c, s, NULL);
    return s;
}

static inline void capture_session_end(capture *c, wc_mcp_session *s)
{
    wc_mcp_session_close(s);
    capture_free(c);
}

#endif
