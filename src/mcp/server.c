/* server.c -- sessions: receive a message, route it, answer it.
 *
 * Cheap requests (ping, initialize, the lists kept in the registry's
 * descriptors, setLevel) are answered on the receiving thread.  Requests
 * that may run plugin code become jobs on the worker pool; each job carries
 * a wc_call so that notifications/cancelled can interrupt it, and a
 * cancelled job sends no answer, as the spec asks.  A closing session is
 * freed after its last job, so a transport can free what its send callback
 * uses once close returns (or close_then's on_closed is called).
 */
#include "mcp/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/log.h"
#include "util/metrics.h"

void wc_mcp_options_default(wc_mcp_options *o)
{
    memset(o, 0, sizeof *o);
    o->name = "wasmcap";
    o->version = "0";
    o->max_message_bytes = 4u << 20;
    o->page_size = 100;
    o->log_level = WC_LOG_INFO;
    o->request_timeout_ms = 60000;
    o->audit.enabled = true;
}

int wc_mcp_server_new(const wc_mcp_options *options, wc_registry *registry,
                      wc_mcp_server **out, wc_error *err)
{
    *out = NULL;
    wc_mcp_server *s = calloc(1, sizeof *s);
    if (!s)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    wc_mcp_options_default(&s->opt);
    if (options)
        s->opt = *options;
    s->name = strdup(s->opt.name ? s->opt.name : "wasmcap");
    s->version = strdup(s->opt.version ? s->opt.version : "0");
    s->instructions = s->opt.instructions ? strdup(s->opt.instructions) : NULL;
    int rc;
    if (!s->name || !s->version || (s->opt.instructions && !s->instructions)) {
        rc = wc_error_set(err, WC_ENOMEM, "out of memory");
        goto fail;
    }
    s->opt.name = s->name;
    s->opt.version = s->version;
    s->opt.instructions = s->instructions;
    if (s->opt.max_message_bytes == 0)
        s->opt.max_message_bytes = 4u << 20;
    if (s->opt.page_size == 0)
        s->opt.page_size = 100;
    if (s->opt.request_timeout_ms <= 0)
        s->opt.request_timeout_ms = 60000;
    if (s->opt.log_level < WC_LOG_DEBUG || s->opt.log_level > WC_LOG_EMERGENCY + 1)
        s->opt.log_level = WC_LOG_INFO;
    if (wc_mcp_state_init(s, s->opt.state_secret) != 0) {
        int code = errno ? -errno : WC_EIO;
        rc = wc_error_set(err, code, "cannot make a key for request states: %s", wc_strerror(code));
        goto fail;
    }
    s->opt.state_secret = NULL; /* copied into the key; the caller's string may go */
    rc = wc_pool_new(s->opt.workers, s->opt.queue_size, &s->pool);
    if (rc != 0) {
        wc_error_set(err, rc, "cannot start the worker threads: %s", wc_strerror(rc));
        goto fail;
    }
    s->opt.workers = wc_pool_threads(s->pool);
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->attempt_lock, NULL);
    s->registry = registry ? wc_registry_retain(registry) : NULL;
    s->generation = 1;
    if ((rc = wc_mcp_audit_start(s, err)) != 0 || (rc = wc_mcp_events_start(s, err)) != 0 ||
        (rc = wc_mcp_shared_start(s, err)) != 0) {
        wc_mcp_server_free(s);
        return rc;
    }
    *out = s;
    return 0;
fail:
    free(s->name);
    free(s->version);
    free(s->instructions);
    free(s);
    return rc;
}

void wc_mcp_server_free(wc_mcp_server *s)
{
    if (!s)
        return;
    wc_mcp_events_stop(s);
    wc_mcp_shared_stop(s);
    wc_pool_free(s->pool);
    wc_mcp_audit_stop(s); /* after the pool: the last calls' events are queued */
    if (s->registry)
        wc_registry_release(s->registry);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->attempt_lock);
    free(s->name);
    free(s->version);
    free(s->instructions);
    free(s);
}

bool wc_mcp_server_backlog(const wc_mcp_server *server)
{
    return wc_pool_waiting(server->pool) > 0;
}

wc_registry *wc_mcp_server_registry(wc_mcp_server *s)
{
    pthread_mutex_lock(&s->lock);
    wc_registry *r = s->registry ? wc_registry_retain(s->registry) : NULL;
    pthread_mutex_unlock(&s->lock);
    return r;
}

const wc_mcp_options *wc_mcp_server_options(const wc_mcp_server *server)
{
    return &server->opt;
}

void wc_mcp_server_list_changed(wc_mcp_server *s, const char *kind)
{
    unsigned bit = strcmp(kind, "tools") == 0     ? LISTEN_TOOLS
                   : strcmp(kind, "prompts") == 0 ? LISTEN_PROMPTS
                                                  : LISTEN_RESOURCES;
    char method[64];
    snprintf(method, sizeof method, "notifications/%s/list_changed",
             bit == LISTEN_TOOLS ? "tools" : bit == LISTEN_PROMPTS ? "prompts" : "resources");
    pthread_mutex_lock(&s->lock);
    for (wc_mcp_session *session = s->sessions; session; session = session->next)
        session->era->list_changed(session, bit, method);
    pthread_mutex_unlock(&s->lock);
}

static bool same_list(const json_t *a, const json_t *b)
{
    return json_array_size(a) == json_array_size(b) && (!json_array_size(a) || json_equal(a, b));
}

/* Which lists differ between two registries (NULL: none served), as
 * LISTEN_* bits. */
static unsigned lists_changed(wc_registry *a, wc_registry *b)
{
    if (a == b)
        return 0;
    unsigned bits = 0;
    if (!same_list(a ? wc_registry_tools(a) : NULL, b ? wc_registry_tools(b) : NULL))
        bits |= LISTEN_TOOLS;
    if (!same_list(a ? wc_registry_resources_listed(a) : NULL,
                   b ? wc_registry_resources_listed(b) : NULL) ||
        !same_list(a ? wc_registry_resource_templates(a) : NULL,
                   b ? wc_registry_resource_templates(b) : NULL))
        bits |= LISTEN_RESOURCES;
    if (!same_list(a ? wc_registry_prompts(a) : NULL, b ? wc_registry_prompts(b) : NULL))
        bits |= LISTEN_PROMPTS;
    return bits;
}

static void replace(wc_mcp_server *s, wc_registry *registry, unsigned notify);

void wc_mcp_server_swap(wc_mcp_server *s, wc_registry *registry)
{
    replace(s, registry, LISTEN_TOOLS | LISTEN_RESOURCES | LISTEN_PROMPTS);
}

unsigned wc_mcp_server_update(wc_mcp_server *s, wc_registry *registry)
{
    wc_registry *old = wc_mcp_server_registry(s);
    unsigned bits = lists_changed(old, registry);
    if (old)
        wc_registry_release(old);
    replace(s, registry, bits);
    return (bits & LISTEN_TOOLS ? WC_MCP_LIST_TOOLS : 0) |
           (bits & LISTEN_RESOURCES ? WC_MCP_LIST_RESOURCES : 0) |
           (bits & LISTEN_PROMPTS ? WC_MCP_LIST_PROMPTS : 0);
}

static void replace(wc_mcp_server *s, wc_registry *registry, unsigned notify)
{
    static const char *const changed[] = {
        "notifications/tools/list_changed",
        "notifications/resources/list_changed",
        "notifications/prompts/list_changed",
    };
    pthread_mutex_lock(&s->lock);
    wc_registry *old = s->registry;
    s->registry = registry ? wc_registry_retain(registry) : NULL;
    s->generation++;
    for (wc_mcp_session *session = s->sessions; session; session = session->next) {
        pthread_mutex_lock(&session->lock);
        wc_registry *was = session->registry;
        session->registry = s->registry ? wc_registry_retain(s->registry) : NULL;
        session->generation = s->generation;
        pthread_mutex_unlock(&session->lock);
        if (was)
            wc_registry_release(was); /* s->registry or old still holds it */
    }
    static const unsigned kinds[] = {LISTEN_TOOLS, LISTEN_RESOURCES, LISTEN_PROMPTS};
    for (wc_mcp_session *session = s->sessions; session; session = session->next)
        for (size_t i = 0; i < sizeof changed / sizeof changed[0]; i++)
            if (notify & kinds[i])
                session->era->list_changed(session, kinds[i], changed[i]);
    pthread_mutex_unlock(&s->lock);
    if (old)
        wc_registry_release(old);
}

void wc_mcp_server_resource_updated(wc_mcp_server *s, const char *uri)
{
    pthread_mutex_lock(&s->lock);
    for (wc_mcp_session *session = s->sessions; session; session = session->next)
        session->era->resource_updated(session, uri);
    pthread_mutex_unlock(&s->lock);
}

/* Session lock held. */
static void snapshot_registry(mcp_job *job)
{
    wc_mcp_session *s = job->session;
    job->registry = s->registry ? wc_registry_retain(s->registry) : NULL;
    job->generation = s->generation;
}

wc_registry *wc_mcp_job_registry(mcp_job *job)
{
    if (!job->generation) {
        pthread_mutex_lock(&job->session->lock);
        snapshot_registry(job);
        pthread_mutex_unlock(&job->session->lock);
    }
    return job->registry;
}

/* --- sending --- */

static _Thread_local uint64_t event_cause;

void wc_mcp_event_cause(uint64_t id)
{
    event_cause = id;
}

static void send_route(wc_mcp_session *session, const wc_mcp_route *route, const wc_buf *out)
{
    if (route->tag == 0 && event_cause) {
        wc_mcp_route caused = *route;
        caused.event = event_cause;
        session->send(session->send_ctx, &caused, out ? (const char *)out->data : NULL,
                      out ? out->len : 0);
        return;
    }
    if (wc_mcp_batch_tag(route->tag)) {
        wc_mcp_batch_route(session, route, out ? (const char *)out->data : NULL,
                           out ? out->len : 0);
        return;
    }
    session->send(session->send_ctx, route, out ? (const char *)out->data : NULL,
                  out ? out->len : 0);
}

void wc_mcp_session_send_routed(wc_mcp_session *session, unsigned long long tag, bool final,
                                const wc_buf *out)
{
    wc_mcp_route route = {.tag = tag, .final = final};
    send_route(session, &route, out);
}

void wc_mcp_session_send(wc_mcp_session *session, const wc_buf *out)
{
    wc_mcp_session_send_routed(session, 0, false, out);
}

void wc_mcp_session_notify(wc_mcp_session *session, const char *method, json_t *params)
{
    uint8_t block[WC_RPC_BLOCK];
    wc_buf out;
    wc_buf_init_on(&out, block, sizeof block);
    wc_rpc_write_notification(&out, method, params);
    if (!out.failed)
        wc_mcp_session_send(session, &out);
    else
        wc_log(WC_LOG_ERROR, "mcp", "cannot serialize %s", method);
    wc_buf_free(&out);
    json_decref(params);
}

/* An error answer with its data (may be NULL) and, for the stateless
 * revision, the HTTP status it comes with (0: none); tag 0: to no tagged
 * request. */
static void send_error_full(wc_mcp_session *session, unsigned long long tag, const json_t *id,
                            int code, const char *message, const json_t *data, int http_status)
{
    uint8_t block[WC_RPC_BLOCK];
    wc_buf out;
    wc_buf_init_on(&out, block, sizeof block);
    wc_rpc_write_error(&out, id, code, message, data);
    wc_mcp_route route = {.tag = tag, .final = tag != 0, .http_status = http_status};
    if (!out.failed)
        send_route(session, &route, &out);
    wc_buf_free(&out);
}

static void send_error(wc_mcp_session *session, unsigned long long tag, const json_t *id,
                       int code, const char *message)
{
    send_error_full(session, tag, id, code, message, NULL, 0);
}

bool wc_mcp_session_busy(wc_mcp_session *s)
{
    return atomic_load(&s->njobs) > 0 || atomic_load(&s->nqueued) > 0; /* both counts atomic */
}

void wc_mcp_session_send_error(wc_mcp_session *session, int code, const char *message)
{
    send_error(session, 0, NULL, code, message);
}

void wc_mcp_session_send_error_id(wc_mcp_session *session, const json_t *id, int code,
                                  const char *message)
{
    send_error(session, 0, id, code, message);
}

/* Whether a call's answer may be the plugin's own result bytes: not when
 * the answer is decorated (stateless) or trimmed (2025-03-26), which needs
 * the value.  Every call of the session, first or rerun after an attempt,
 * must agree with answer(), or the result is lost. */
static bool answers_result_text(const wc_mcp_session *s)
{
    return s->era->result_text && !s->shapes_2025_03_26;
}

/* Answers a job: its result (NULL: {}) or its error, as its era has it. */
/* Returns the bytes of the answer sent (0: none). */
static size_t answer(mcp_job *job, int rc, json_t *result, const char *err)
{
    if (rc == MCP_NO_ANSWER)
        return 0; /* the request stays open (subscriptions/listen) */
    mcp_answer a; /* not zeroed whole: its message is written only when used */
    a.rc = rc;
    a.result = result;
    a.err = err;
    a.data = a.made = NULL;
    a.http_status = 0;
    job->session->era->finish(job, &a);
    uint8_t block[WC_RPC_BLOCK];
    wc_buf out;
    wc_buf_init_on(&out, block, sizeof block);
    const char *text = a.rc == 0 && job->call && answers_result_text(job->session)
                           ? job->call->io.result_text
                           : NULL;
    if (text)
        wc_rpc_write_result_text(&out, job->id, text); /* the plugin's own bytes */
    else if (a.rc == 0 && a.result)
        wc_rpc_write_result(&out, job->id, a.result);
    else if (a.rc == 0)
        wc_rpc_write_result_text(&out, job->id, "{}");
    else
        wc_rpc_write_error(&out, job->id, a.rc, a.err[0] ? a.err : "internal error", a.data);
    json_decref(a.made);
    json_decref(a.data);
    if (out.failed) {
        wc_log(WC_LOG_ERROR, "mcp", "the answer to %s could not be serialized",
               job->method->name);
        wc_buf_free(&out);
        wc_rpc_write_error(&out, job->id, WC_RPC_INTERNAL,
                           "the result could not be serialized as JSON", NULL);
    }
    wc_mcp_route route = {.tag = job->tag, .final = true, .http_status = a.http_status};
    send_route(job->session, &route, &out);
    size_t sent = out.len;
    wc_buf_free(&out);
    return sent;
}

/* --- sessions --- */

wc_mcp_session *wc_mcp_session_open(wc_mcp_server *server, const mcp_era *era,
                                    wc_mcp_send_fn send, void *ctx)
{
    wc_mcp_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->server = server;
    s->era = era;
    s->send = send;
    s->send_ctx = ctx;
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->share_lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &attr);
    pthread_condattr_destroy(&attr);
    s->state = MCP_NEW;
    s->log_level = server->opt.log_level;
    pthread_mutex_lock(&server->lock);
    s->registry = server->registry ? wc_registry_retain(server->registry) : NULL;
    s->generation = server->generation;
    s->next = server->sessions;
    if (s->next)
        s->next->prev = s;
    server->sessions = s;
    pthread_mutex_unlock(&server->lock);
    return s;
}

wc_mcp_session *wc_mcp_session_new(wc_mcp_server *server, wc_mcp_send_fn send, void *ctx)
{
    return wc_mcp_session_open(server, &wc_mcp_era_stateful, send, ctx);
}

static void session_free(wc_mcp_session *s)
{
    if (s->registry)
        wc_registry_release(s->registry);
    for (unsigned i = 0; i < s->nearly_cancels; i++)
        json_decref(s->early_cancels[i]);
    free(s->early_cancels);
    json_decref(s->subscriptions);
    json_decref(s->shared_base);
    json_decref(s->client_capabilities);
    json_decref(s->listen_id);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->share_lock);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Under the session lock: whether the caller is the one to free it (it is
 * closing and nothing holds it open); once true, never again. */
static bool last_out(wc_mcp_session *s)
{
    if (!s->on_closed || atomic_load(&s->njobs) > 0 || atomic_load(&s->nqueued) > 0)
        return false;
    if (s->freeing)
        return false;
    s->freeing = true;
    return true;
}

static void finish_close(wc_mcp_session *s)
{
    void (*on_closed)(void *) = s->on_closed;
    void *ctx = s->on_closed_ctx;
    session_free(s);
    on_closed(ctx);
}

void wc_mcp_session_set_identity(wc_mcp_session *s, const char *id, const char *principal)
{
    pthread_mutex_lock(&s->lock);
    snprintf(s->audit_id, sizeof s->audit_id, "%s", id ? id : "");
    snprintf(s->principal, sizeof s->principal, "%s", principal ? principal : "");
    pthread_mutex_unlock(&s->lock);
}

void wc_mcp_session_close_then(wc_mcp_session *s, void (*on_closed)(void *ctx), void *ctx)
{
    wc_mcp_session_flush_batch(s);
    wc_mcp_server *server = s->server;
    pthread_mutex_lock(&server->lock);
    if (s->prev)
        s->prev->next = s->next;
    else
        server->sessions = s->next;
    if (s->next)
        s->next->prev = s->prev;
    pthread_mutex_unlock(&server->lock);

    pthread_mutex_lock(&s->lock);
    s->closing = true;
    s->on_closed = on_closed;
    s->on_closed_ctx = ctx;
    pthread_cond_broadcast(&s->cond); /* plugin requests waiting for the client */
    bool last = last_out(s);
    pthread_mutex_unlock(&s->lock);
    if (last)
        finish_close(s);
}

typedef struct close_wait {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool closed;
} close_wait;

static void closed_signal(void *ctx)
{
    close_wait *w = ctx;
    pthread_mutex_lock(&w->lock);
    w->closed = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void wc_mcp_session_close(wc_mcp_session *s)
{
    if (!s)
        return;
    close_wait w = {.closed = false};
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.cond, NULL);
    wc_mcp_session_close_then(s, closed_signal, &w);
    pthread_mutex_lock(&w.lock);
    while (!w.closed)
        pthread_cond_wait(&w.cond, &w.lock);
    pthread_mutex_unlock(&w.lock);
    pthread_cond_destroy(&w.cond);
    pthread_mutex_destroy(&w.lock);
}

static void job_release(mcp_job *job)
{
    free(job->request_state);
    if (job->registry)
        wc_registry_release(job->registry);
    if (job->call)
        wc_call_free(job->call);
    json_decref(job->root);
}

/* tools/call outcomes for /metrics, by tool (an unknown one is -32602),
 * and its audit event.  Returns the status. */
static wc_call_status record_call(mcp_job *job, int rc, const json_t *result, bool dropped,
                                  double *seconds)
{
    const json_t *name = json_object_get(job->params, "name");
    wc_call_status status = WC_CALL_OK;
    if (dropped) {
        status = WC_CALL_CANCELLED;
    } else if (rc != 0) {
        status = WC_CALL_ERROR;
        if (rc == WC_RPC_INVALID_PARAMS)
            name = NULL;
    } else {
        bool is_error = result ? json_is_true(json_object_get(result, "isError"))
                               : job->call->io.result_is_error;
        if (is_error)
            status = WC_CALL_TOOL_ERROR;
    }
    *seconds = (double)wc_monotonic_ns() / 1e9 - job->started;
    wc_metrics_call(json_is_string(name) ? json_string_value(name) : "(unknown)", status,
                    *seconds);
    return status;
}

/* Lowers a count that holds the session open (its queued messages, its
 * jobs).  While others remain, no lock: a closing session still waits for
 * them.  The last one is taken off under the lock, where close_then looks
 * too, so exactly one thread frees a closing session. */
static void count_done(wc_mcp_session *s, atomic_size_t *count)
{
    size_t n = atomic_load(count);
    while (n > 1)
        if (atomic_compare_exchange_weak(count, &n, n - 1))
            return;
    pthread_mutex_lock(&s->lock);
    atomic_fetch_sub(count, 1);
    bool last = last_out(s);
    pthread_mutex_unlock(&s->lock);
    if (last)
        finish_close(s);
}

/* Answers a job that ran (rc, result, err from its handler), then
 * unlinks and frees it. */
static void complete_job(mcp_job *job, int rc, json_t *result, const char *err)
{
    wc_mcp_session *s = job->session;
    /* Unlinked first, in the one lock a job takes at its end: a cancel
     * that comes later finds nothing to interrupt, as if it came after the
     * answer.  The count still holds the session open while we answer. */
    pthread_mutex_lock(&s->lock);
    bool dropped = job->dropped;
    if (job->prev)
        job->prev->next = job->next;
    else
        s->jobs = job->next;
    if (job->next)
        job->next->prev = job->prev;
    pthread_mutex_unlock(&s->lock);
    bool tool_call = job->method->fn == wc_mcp_tools_call;
    double seconds = 0;
    wc_call_status status = tool_call ? record_call(job, rc, result, dropped, &seconds)
                                      : WC_CALL_OK;
    size_t answered = 0;
    if (!dropped)
        answered = answer(job, rc, result, err);
    else if (job->tag)
        wc_mcp_session_send_routed(s, job->tag, true, NULL); /* no answer comes */
    if (tool_call) /* after the answer: the client does not wait for it */
        wc_mcp_audit_call(job, status, seconds, answered);
    json_decref(result);
    if (job->in_queued)
        atomic_fetch_sub(&s->njobs, 1); /* its message's count_done frees a closing session */
    else
        count_done(s, &s->njobs); /* the session may be freed from here on */
    job_release(job); /* touches the job's call and registry, not the session */
    free(job);
}

static void run_job(void *arg)
{
    mcp_job *job = arg;
    json_t *result = NULL;
    wc_error err = {0};
    int rc = -1;
    if (!wc_call_cancelled(job->call))
        rc = job->method->fn(job, &result, &err);
    complete_job(job, rc, result, err.msg);
}

/* --- attempts on the receiving thread (wc_mcp_receive_options.attempt_ms) --- */

static mcp_attempt_stats *attempt_slot(wc_mcp_server *s, const mcp_job *job)
{
    const char *name = json_string_value(json_object_get(job->params, "name"));
    if (!name)
        name = json_string_value(json_object_get(job->params, "uri"));
    unsigned long long h = 1469598103934665603ull;
    for (const char *p = job->method->name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    for (const char *p = name ? name : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return &s->attempts[h % MCP_ATTEMPT_SLOTS];
}

/* The methods that run plugin code once, with their result the only thing
 * they leave: safe to run again in full after an aborted attempt. */
static bool attemptable(const mcp_method *method)
{
    return method->fn == wc_mcp_tools_call || strcmp(method->name, "resources/read") == 0 ||
           strcmp(method->name, "prompts/get") == 0;
}

/* Whether to attempt: always at first; a tool aborted more than once in
 * four attempts waits, with one probe every 256 requests in case it
 * changed.  Counts halve now and then, so the past fades. */
static bool should_attempt(wc_mcp_server *s, const mcp_job *job)
{
    pthread_mutex_lock(&s->attempt_lock);
    mcp_attempt_stats *st = attempt_slot(s, job);
    bool yes = st->aborts * 4 <= st->attempts + 4 || ++st->skipped % 256 == 0;
    pthread_mutex_unlock(&s->attempt_lock);
    return yes;
}

static void count_attempt(wc_mcp_server *s, const mcp_job *job, bool aborted)
{
    pthread_mutex_lock(&s->attempt_lock);
    mcp_attempt_stats *st = attempt_slot(s, job);
    st->attempts++;
    st->aborts += aborted;
    if (st->attempts >= 1024) {
        st->attempts /= 2;
        st->aborts /= 2;
    }
    pthread_mutex_unlock(&s->attempt_lock);
}

static void drop_held(mcp_job *job)
{
    for (mcp_held *h = job->held, *next; h; h = next) {
        next = h->next;
        free(h);
    }
    job->held = NULL;
    job->held_tail = &job->held;
}

/* Runs a worker job here as an attempt.  If it stands, its held messages
 * and its answer go out and the job is done; if it was aborted, it is
 * given a fresh call and queued for the pool, to run in full. */
static void attempt_job(mcp_job *job, unsigned budget_ms)
{
    wc_mcp_session *s = job->session;
    json_t *result = NULL;
    wc_error err = {0};
    job->held = NULL;
    job->held_tail = &job->held;
    job->attempt = true;
    job->call->io.inline_budget_ms = budget_ms;
    int rc = job->method->fn(job, &result, &err);
    job->attempt = false;
    bool aborted = wc_call_attempt_aborted(job->call);
    count_attempt(s->server, job, aborted);
    if (!aborted) {
        for (mcp_held *h = job->held; h; h = h->next) {
            wc_buf out = {.data = (uint8_t *)h->data, .len = h->len, .cap = h->len};
            wc_mcp_session_send_routed(s, job->tag, false, &out);
        }
        drop_held(job);
        complete_job(job, rc, result, err.msg);
        return;
    }
    json_decref(result);
    drop_held(job);
    job->missing_capability = NULL;
    wc_client_port client;
    wc_call_io io = {.arguments_text = job->call->io.arguments_text,
                     .arguments_len = job->call->io.arguments_len};
    pthread_mutex_lock(&s->lock);
    wc_mcp_job_client(job, &client);
    io.prefer_result_text = answers_result_text(s);
    wc_call *fresh = wc_call_new(&client, &io);
    wc_call *old = job->call;
    if (fresh)
        job->call = fresh;
    pthread_mutex_unlock(&s->lock);
    if (!fresh) {
        complete_job(job, WC_RPC_INTERNAL, NULL, "out of memory");
        return;
    }
    wc_call_free(old);
    if (wc_pool_submit(s->server->pool, run_job, job) != 0) {
        pthread_mutex_lock(&s->lock);
        job->dropped = true;
        pthread_mutex_unlock(&s->lock);
        send_error(s, job->tag, job->id, WC_RPC_INTERNAL, "the server is shutting down");
        job->tag = 0; /* answered */
        complete_job(job, -1, NULL, "");
    }
}

/* True (and forgets it) when the client cancelled this id before the
 * request was parsed.  Session lock held. */
static bool take_early_cancel(wc_mcp_session *s, const json_t *id)
{
    for (unsigned i = 0; i < s->nearly_cancels; i++) {
        if (json_equal(s->early_cancels[i], id)) {
            json_decref(s->early_cancels[i]);
            s->early_cancels[i] = s->early_cancels[--s->nearly_cancels];
            return true;
        }
    }
    return false;
}

static void send_before_initialize(wc_mcp_session *s, unsigned long long tag,
                                   const wc_rpc_message *m)
{
    char msg[256];
    snprintf(msg, sizeof msg,
             "%.100s before initialize: the session is not initialized yet "
             "(send initialize first)", m->method);
    send_error(s, tag, m->id, WC_RPC_INVALID_REQUEST, msg);
}

static void handle_request(wc_mcp_session *s, wc_rpc_message *m, unsigned long long tag,
                           bool on_worker, unsigned attempt_ms)
{
    const mcp_era *era = s->era;
    if (era->admit) {
        int code = 0, status = 0;
        char msg[256];
        json_t *data = NULL;
        if (!era->admit(s, m, &code, msg, sizeof msg, &data, &status)) {
            send_error_full(s, tag, m->id, code, msg, data, status);
            json_decref(data);
            return;
        }
    }
    const mcp_method *method = wc_mcp_find_method(m->method);
    if (!method || !(method->eras & era->methods)) {
        char msg[256];
        if (method && era->revision)
            snprintf(msg, sizeof msg, "method not found: %.150s is not part of protocol "
                     "revision %s", m->method, era->revision);
        else
            snprintf(msg, sizeof msg, "method not found: %.200s", m->method);
        send_error_full(s, tag, m->id, WC_RPC_METHOD_NOT_FOUND, msg, NULL,
                        era->unknown_method_status);
        return;
    }
    if (!method->on_worker && !(method->shares_state && atomic_load(&s->shared))) {
        pthread_mutex_lock(&s->lock);
        mcp_state state = s->state;
        pthread_mutex_unlock(&s->lock);
        if (state == MCP_NEW && !method->before_init) {
            send_before_initialize(s, tag, m);
            return;
        }
        mcp_job job = {.session = s, .id = m->id, .params = m->params, .method = method,
                       .tag = tag};
        json_t *result = NULL;
        wc_error err = {0};
        int rc = method->fn(&job, &result, &err);
        answer(&job, rc, result, err.msg);
        json_decref(result);
        job_release(&job);
        return;
    }

    /* The fast parser leaves a tool call's arguments as text only: a job
     * that runs after the receive returned needs its own copy of it. */
    bool copy_arguments = !on_worker && m->arguments_text && strcmp(method->name, "tools/call") == 0;
    mcp_job *job = calloc(1, sizeof *job + (copy_arguments ? m->arguments_len + 1 : 0));
    if (!job) {
        send_error(s, tag, m->id, WC_RPC_INTERNAL, "out of memory");
        return;
    }
    job->session = s;
    job->tag = tag;
    job->started = (double)wc_monotonic_ns() / 1e9;
    job->root = m->root; /* the job owns the message from here */
    m->root = NULL;
    job->id = m->id;
    job->params = m->params;
    job->method = method;
    char refused[256];
    if (era->open && !era->open(job, refused, sizeof refused)) {
        send_error(s, tag, job->id, WC_RPC_INVALID_PARAMS, refused);
        job_release(job);
        free(job);
        return;
    }
    /* Made before the lock and filled in under it: every request takes
     * this lock, so what it holds it for stays short. */
    wc_call *call = wc_call_new(NULL, NULL);
    pthread_mutex_lock(&s->lock);
    snapshot_registry(job); /* as of arrival */
    bool too_early = s->state == MCP_NEW && !method->before_init;
    if (call && !too_early) {
        wc_mcp_job_client(job, &call->client);
        job->call = call;
        call = NULL;
    }
    if (job->call) {
        /* A stateless answer is decorated, a 2025-03-26 one trimmed: they
         * need the value.  answer() sends the text when there is one. */
        job->call->io.prefer_result_text = answers_result_text(s);
        job->next = s->jobs;
        if (job->next)
            job->next->prev = job;
        s->jobs = job;
        atomic_fetch_add(&s->njobs, 1);
        if (atomic_load(&s->cancelled) ||
            (s->nearly_cancels && take_early_cancel(s, job->id))) {
            job->dropped = true;
            wc_call_cancel(job->call);
        }
    }
    pthread_mutex_unlock(&s->lock);
    wc_call_free(call); /* not needed after all */
    if (too_early) {
        send_before_initialize(s, tag, m);
        job_release(job);
        free(job);
        return;
    }
    if (!job->call) {
        send_error(s, tag, job->id, WC_RPC_INTERNAL, "out of memory");
        job_release(job);
        free(job);
        return;
    }
    if (on_worker) {
        job->in_queued = true;
        /* The message's bytes outlive this inline run: the plugin may hand
         * the arguments to the guest as the client wrote them. */
        if (m->arguments_text && strcmp(method->name, "tools/call") == 0) {
            job->call->io.arguments_text = m->arguments_text;
            job->call->io.arguments_len = m->arguments_len;
        }
        run_job(job);
        return;
    }
    if (copy_arguments) {
        memcpy(job->arguments_copy, m->arguments_text, m->arguments_len);
        job->call->io.arguments_text = job->arguments_copy;
        job->call->io.arguments_len = m->arguments_len;
    }
    if (attempt_ms && !job->dropped && attemptable(method) && should_attempt(s->server, job)) {
        attempt_job(job, attempt_ms);
        return;
    }
    if (wc_pool_submit(s->server->pool, run_job, job) != 0) {
        /* only while the server is being freed: answer here */
        pthread_mutex_lock(&s->lock);
        job->dropped = true;
        pthread_mutex_unlock(&s->lock);
        wc_call_cancel(job->call);
        send_error(s, tag, job->id, WC_RPC_INTERNAL, "the server is shutting down");
        job->tag = 0; /* answered */
        run_job(job); /* unlinks and frees; the call is not run: it is dropped */
    }
}

void wc_mcp_session_version(wc_mcp_session *s, char *out, size_t size)
{
    pthread_mutex_lock(&s->lock);
    snprintf(out, size, "%s", s->state == MCP_NEW ? "" : s->version);
    pthread_mutex_unlock(&s->lock);
}

void wc_mcp_session_cancel_all(wc_mcp_session *s)
{
    pthread_mutex_lock(&s->lock);
    atomic_store(&s->cancelled, true); /* and those still queued (handle_request) */
    for (mcp_job *job = s->jobs; job; job = job->next) {
        if (!job->dropped) {
            job->dropped = true;
            wc_call_cancel(job->call);
        }
    }
    pthread_cond_broadcast(&s->cond); /* requests to the client they wait on */
    pthread_mutex_unlock(&s->lock);
}

static void cancel_request(wc_mcp_session *s, const json_t *params)
{
    const json_t *id = json_object_get(params, "requestId");
    if (!json_is_string(id) && !json_is_number(id))
        return;
    bool found = false;
    pthread_mutex_lock(&s->lock);
    for (mcp_job *job = s->jobs; job; job = job->next) {
        if (json_equal(job->id, id)) {
            found = true;
            if (!job->dropped) {
                job->dropped = true;
                wc_call_cancel(job->call);
                pthread_cond_broadcast(&s->cond); /* a request it waits on */
            }
        }
    }
    if (!found && json_is_string(id) && json_string_length(id) > MCP_MAX_CANCEL_ID_BYTES) {
        /* Not kept: remembering ids of any length would let a client grow
         * the session at will.  Such a cancel is lost, as if it came late. */
        wc_log(WC_LOG_DEBUG, "mcp", "notifications/cancelled for an unknown request with a "
               "%zu-byte id: not remembered (at most %d)", json_string_length(id),
               MCP_MAX_CANCEL_ID_BYTES);
    } else if (!found) {
        /* Perhaps still queued unparsed: remember it, the oldest making room. */
        if (!s->early_cancels)
            s->early_cancels = calloc(MCP_EARLY_CANCELS, sizeof *s->early_cancels);
        if (!s->early_cancels) {
            pthread_mutex_unlock(&s->lock);
            return; /* out of memory: this cancel is lost, as if it came too late */
        }
        if (s->nearly_cancels == MCP_EARLY_CANCELS) {
            json_decref(s->early_cancels[0]);
            memmove(s->early_cancels, s->early_cancels + 1,
                    (s->nearly_cancels - 1) * sizeof s->early_cancels[0]);
            s->nearly_cancels--;
        }
        json_t *copy = json_deep_copy(id);
        if (copy)
            s->early_cancels[s->nearly_cancels++] = copy;
    }
    pthread_mutex_unlock(&s->lock);
    const json_t *reason = json_object_get(params, "reason");
    wc_log(WC_LOG_DEBUG, "mcp", "notifications/cancelled for %s request (%s)",
           found ? "a running" : "an unknown or finished",
           json_is_string(reason) ? json_string_value(reason) : "no reason given");
}

static void handle_notification(wc_mcp_session *s, const wc_rpc_message *m)
{
    if (strcmp(m->method, "notifications/initialized") == 0) {
        pthread_mutex_lock(&s->lock);
        bool changed = s->state == MCP_READY;
        if (changed)
            s->state = MCP_INITIALIZED;
        pthread_mutex_unlock(&s->lock);
        if (changed)
            wc_mcp_session_shared_changed(s);
    } else if (strcmp(m->method, "notifications/cancelled") == 0) {
        if (m->params)
            cancel_request(s, m->params);
    }
    /* Others (progress, roots/list_changed, unknown ones) need nothing. */
}

/* False when o->authorize refused the message: nothing of it ran. */
static bool dispatch(wc_mcp_session *s, const char *data, size_t len,
                     const wc_mcp_receive_options *o, bool on_worker)
{
    unsigned long long tag = o->tag;
    wc_rpc_message m;
    wc_rpc_parse(data, len, &m);
    bool as_batch = m.batch && wc_mcp_batch_allowed(s);
    if (o->authorize && !wc_mcp_authorized(s, &m, as_batch, data, len, o)) {
        wc_rpc_message_free(&m);
        return false;
    }
    if (as_batch) {
        wc_mcp_batch_handle(s, m.root, tag);
        wc_rpc_message_free(&m);
        return true;
    }
    switch (m.kind) {
    case WC_RPC_MSG_REQUEST:
        handle_request(s, &m, tag, on_worker, o->attempt_ms);
        break;
    case WC_RPC_MSG_NOTIFICATION:
        handle_notification(s, &m);
        if (tag) /* nothing answers it: the transport's wait ends here */
            wc_mcp_session_send_routed(s, tag, true, NULL);
        break;
    case WC_RPC_MSG_RESPONSE:
        wc_mcp_route_response(s, &m);
        if (tag)
            wc_mcp_session_send_routed(s, tag, true, NULL);
        break;
    case WC_RPC_MSG_INVALID:
        if (tag) {
            /* The transport waits on the tag for an answer: a message
             * refused without a usable id gets it too, with "id": null and
             * 400 (the input was not accepted), else it never ends. */
            send_error_full(s, tag, m.id, m.code, m.reason, NULL, m.id ? 0 : 400);
        } else if (m.code != WC_RPC_INVALID_PARAMS || m.id) {
            /* A notification with bad params is dropped: it gets no answer. */
            send_error(s, 0, m.id, m.code, m.reason);
        }
        break;
    }
    wc_rpc_message_free(&m);
    return true;
}

void wc_mcp_handle_request(wc_mcp_session *s, wc_rpc_message *m, unsigned long long tag)
{
    handle_request(s, m, tag, false, 0);
}

void wc_mcp_handle_notification(wc_mcp_session *s, const wc_rpc_message *m)
{
    handle_notification(s, m);
}

typedef struct queued_message {
    wc_mcp_session *session;
    unsigned long long tag;
    size_t len;
    char data[];
} queued_message;

static void run_queued(void *arg)
{
    queued_message *q = arg;
    wc_mcp_session *s = q->session;
    /* A cancelled session's queue drains without parsing: its requests
     * would not run anyway, and other sessions wait for these workers. */
    if (!atomic_load(&s->cancelled)) {
        wc_mcp_receive_options o = {.tag = q->tag};
        dispatch(s, q->data, q->len, &o, true);
    }
    free(q);
    count_done(s, &s->nqueued); /* the session may be freed from here on */
}

/* A copy of a request for a worker; NULL when the text is not one that
 * goes to a worker (or no memory is left): the caller dispatches it. */
static queued_message *queued_copy(wc_mcp_session *s, const char *data, size_t len,
                                   unsigned long long tag)
{
    if (!wc_rpc_peek_request(data, len))
        return NULL;
    queued_message *q = malloc(sizeof *q + len);
    if (!q)
        return NULL;
    q->session = s;
    q->tag = tag;
    q->len = len;
    memcpy(q->data, data, len);
    return q;
}

/* Hands queued copies to the pool in one go; those it no longer takes (it
 * is being freed) are answered here. */
static void submit_queued(wc_mcp_session *s, void *const *qs, size_t n)
{
    atomic_fetch_add(&s->nqueued, n);
    size_t taken = wc_pool_submit_many(s->server->pool, run_queued, qs, n);
    for (size_t i = taken; i < n; i++) {
        queued_message *q = qs[i];
        count_done(s, &s->nqueued);
        wc_mcp_receive_options o = {.tag = q->tag};
        dispatch(s, q->data, q->len, &o, false);
        free(q);
    }
}

/* A request to be run on a worker is authorized here, where the hook's
 * context is valid: parsed for that, and again on the worker. */
static bool authorized_text(wc_mcp_session *s, const char *data, size_t len,
                            const wc_mcp_receive_options *o)
{
    wc_rpc_message m;
    wc_rpc_parse(data, len, &m);
    bool ok = wc_mcp_authorized(s, &m, false, data, len, o);
    wc_rpc_message_free(&m);
    return ok;
}

/* QUEUED and BATCHED: requests go to the pool unparsed. */
static bool receive_queued(wc_mcp_session *s, const char *data, size_t len,
                           const wc_mcp_receive_options *o)
{
    bool batched = o->mode == WC_MCP_RECEIVE_BATCHED;
    queued_message *q = queued_copy(s, data, len, o->tag);
    if (!q) {
        if (batched)
            wc_mcp_session_flush_batch(s); /* what came before goes first */
        return dispatch(s, data, len, o, false);
    }
    if (o->authorize && !authorized_text(s, data, len, o)) {
        free(q);
        return false;
    }
    if (!batched) {
        void *one = q;
        submit_queued(s, &one, 1);
        return true;
    }
    s->batch[s->nbatch++] = q;
    if (s->nbatch == MCP_BATCH)
        wc_mcp_session_flush_batch(s);
    return true;
}

bool wc_mcp_session_receive(wc_mcp_session *s, const char *data, size_t len,
                            const wc_mcp_receive_options *opts)
{
    static const wc_mcp_receive_options now = {.mode = WC_MCP_RECEIVE_NOW};
    const wc_mcp_receive_options *o = opts ? opts : &now;
    if (s->shared)
        wc_mcp_session_share_refresh(s); /* a session in use outlives the store's TTL */
    if (o->mode == WC_MCP_RECEIVE_NOW)
        return dispatch(s, data, len, o, false);
    return receive_queued(s, data, len, o);
}

void wc_mcp_session_flush_batch(wc_mcp_session *s)
{
    if (s->nbatch) {
        submit_queued(s, s->batch, s->nbatch);
        s->nbatch = 0;
    }
}
