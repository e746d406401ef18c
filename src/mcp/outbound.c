/* outbound.c -- what a running call sends to its client: notifications
 * (progress, log messages) and requests (sampling/createMessage,
 * elicitation/create) whose answers it waits for.  This is the protocol's
 * side of the client port (host/client_port.h).
 *
 * A request gets the session's next integer id and waits on the session's
 * condition variable until the client's response is routed to it, the
 * timeout passes, the call is cancelled, or the session closes.  When it
 * stops waiting without an answer it tells the client with
 * notifications/cancelled, as the spec asks of a requester that gives up.
 */
#include "mcp/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"

static void hook_notify(void *ctx, const char *method, json_t *params)
{
    mcp_job *job = ctx;
    uint8_t block[WC_RPC_BLOCK];
    wc_buf out;
    wc_buf_init_on(&out, block, sizeof block);
    wc_rpc_write_notification(&out, method, params);
    if (!out.failed && job->attempt) {
        /* held: if the attempt is aborted, the full run sends it again */
        mcp_held *h = malloc(sizeof *h + out.len);
        if (h) {
            h->next = NULL;
            h->len = out.len;
            memcpy(h->data, out.data, out.len);
            *job->held_tail = h;
            job->held_tail = &h->next;
        } else {
            wc_call_abort_attempt(job->call);
        }
    } else if (!out.failed) {
        wc_mcp_session_send_routed(job->session, job->tag, false, &out);
    }
    else
        wc_log(WC_LOG_ERROR, "mcp", "cannot serialize %s", method);
    wc_buf_free(&out);
    json_decref(params);
}

static bool declared(mcp_job *job, const char *method, wc_error *err)
{
    wc_mcp_session *s = job->session;
    const char *capability = NULL;
    bool ok = true;
    pthread_mutex_lock(&s->lock);
    if (!s->era->client_requests) {
        const char *needed = strcmp(method, "sampling/createMessage") == 0 ? "sampling"
                             : strcmp(method, "elicitation/create") == 0   ? "elicitation"
                                                                           : NULL;
        if (needed && !json_object_get(s->client_capabilities, needed))
            job->missing_capability = needed; /* answered -32021 once the call ends */
        pthread_mutex_unlock(&s->lock);
        wc_error_set(err, WC_ENOTSUP,
                     "%s cannot be sent in protocol revision 2026-07-28, which has no requests "
                     "to the client (a tool asks through an input-required result)",
                     method);
        return false;
    }
    if (strcmp(method, "sampling/createMessage") == 0) {
        capability = "sampling";
        ok = s->can_sample;
    } else if (strcmp(method, "elicitation/create") == 0) {
        capability = "elicitation";
        ok = s->can_elicit;
    }
    pthread_mutex_unlock(&s->lock);
    if (!ok)
        wc_error_set(err, WC_ENOTSUP, "the client did not declare the %s capability", capability);
    return ok;
}

static void deadline_after(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static int hook_request(void *ctx, const char *method, json_t *params, int timeout_ms,
                        json_t **result, wc_error *err)
{
    mcp_job *job = ctx;
    wc_mcp_session *s = job->session;
    *result = NULL;
    if (job->attempt) { /* an attempt may not wait for the client */
        wc_call_abort_attempt(job->call);
        return wc_error_set(err, WC_EAGAIN, "not attempted");
    }
    if (!declared(job, method, err))
        return WC_ENOTSUP;
    if (timeout_ms <= 0)
        timeout_ms = s->server->opt.request_timeout_ms;

    mcp_pending p = {0};
    pthread_mutex_lock(&s->lock);
    if (s->closing || wc_call_cancelled(job->call)) {
        pthread_mutex_unlock(&s->lock);
        return wc_error_set(err, WC_ECANCELED, "%s",
                            s->closing ? "the client disconnected" : "the call was cancelled");
    }
    p.id = ++s->next_request_id;
    p.next = s->pending;
    s->pending = &p;
    pthread_mutex_unlock(&s->lock);

    uint8_t block[WC_RPC_BLOCK];
    wc_buf out;
    wc_buf_init_on(&out, block, sizeof block);
    wc_rpc_write_request(&out, p.id, method, params);
    bool sent = !out.failed;
    if (sent)
        wc_mcp_session_send_routed(s, job->tag, false, &out);
    wc_buf_free(&out);

    struct timespec deadline;
    deadline_after(&deadline, timeout_ms);
    bool timed_out = false;
    pthread_mutex_lock(&s->lock);
    while (sent && !p.done && !s->closing && !wc_call_cancelled(job->call)) {
        if (pthread_cond_timedwait(&s->cond, &s->lock, &deadline) == ETIMEDOUT) {
            timed_out = !p.done;
            break;
        }
    }
    for (mcp_pending **pp = &s->pending; *pp; pp = &(*pp)->next) {
        if (*pp == &p) {
            *pp = p.next;
            break;
        }
    }
    bool closing = s->closing;
    pthread_mutex_unlock(&s->lock);

    if (!sent)
        return wc_error_set(err, WC_EINVAL, "%s: the request could not be serialized", method);
    if (p.done) {
        if (p.error) {
            json_t *code = json_object_get(p.error, "code");
            json_t *message = json_object_get(p.error, "message");
            wc_error_set(err, WC_EIO, "the client refused %s: %s (%lld)", method,
                         json_is_string(message) ? json_string_value(message) : "no message",
                         json_is_integer(code) ? (long long)json_integer_value(code) : 0LL);
            json_decref(p.error);
            json_decref(p.result);
            return WC_EIO;
        }
        *result = p.result;
        return 0;
    }
    const char *why = closing     ? "the client disconnected"
                      : timed_out ? "no answer in time"
                                  : "the call was cancelled";
    int rc = timed_out ? wc_error_set(err, WC_ETIMEDOUT,
                                      "%s: the client did not answer within %d ms",
                                      method, timeout_ms)
                                      : wc_error_set(err, WC_ECANCELED, "%s: %s", method, why);
    if (!closing) {
        json_t *cancel = json_pack("{s:I,s:s}", "requestId", (json_int_t)p.id, "reason", why);
        if (cancel) {
            wc_rpc_write_notification(&out, "notifications/cancelled", cancel);
            if (!out.failed)
                wc_mcp_session_send_routed(s, job->tag, false, &out);
            wc_buf_free(&out);
            json_decref(cancel);
        }
    }
    return rc;
}

static void hook_resource_updated(void *ctx, const char *uri)
{
    mcp_job *job = ctx;
    wc_mcp_server_resource_updated(job->session->server, uri);
}

static json_t *hook_request_context(void *ctx)
{
    mcp_job *job = ctx;
    wc_mcp_session *s = job->session;
    json_t *c = json_object();
    if (!c)
        return NULL;
    json_t *responses = json_object_get(job->params, "inputResponses");
    if (json_is_object(responses))
        json_object_set(c, "inputResponses", responses);
    if (job->request_state)
        json_object_set_new(c, "requestState", json_string(job->request_state));
    pthread_mutex_lock(&s->lock);
    if (s->client_capabilities) {
        json_object_set(c, "clientCapabilities", s->client_capabilities);
    } else {
        json_t *caps = json_object();
        if (s->can_sample)
            json_object_set_new(caps, "sampling", json_object());
        if (s->can_elicit)
            json_object_set_new(caps, "elicitation", json_object());
        json_object_set_new(c, "clientCapabilities", caps);
    }
    pthread_mutex_unlock(&s->lock);
    return c;
}

static void hook_list_changed(void *ctx, const char *kind)
{
    mcp_job *job = ctx;
    wc_mcp_server_list_changed(job->session->server, kind);
}

static void hook_close_stream(void *ctx)
{
    mcp_job *job = ctx;
    if (job->tag)
        wc_mcp_session_send_routed(job->session, job->tag, false, NULL);
}

void wc_mcp_job_client(mcp_job *job, wc_client_port *client)
{
    wc_mcp_session *s = job->session;
    memset(client, 0, sizeof *client);
    client->ctx = job;
    client->notify = hook_notify;
    client->request = hook_request;
    client->resource_updated = hook_resource_updated;
    client->close_stream = hook_close_stream;
    client->list_changed = hook_list_changed;
    client->request_context = hook_request_context;
    /* An era without client requests lets every one reach hook_request,
     * which refuses it and notes an undeclared capability (-32021). */
    client->can_sample = s->can_sample || !s->era->client_requests;
    client->can_elicit = s->can_elicit || !s->era->client_requests;
    client->min_log_level = s->log_level;
    client->protocol_version = s->version;
    json_t *meta = json_object_get(job->params, "_meta");
    json_t *token = json_object_get(meta, "progressToken");
    if (json_is_string(token) || json_is_integer(token))
        client->progress_token = token;
}

void wc_mcp_route_response(wc_mcp_session *s, const wc_rpc_message *msg)
{
    bool found = false;
    if (json_is_integer(msg->id)) {
        long long id = (long long)json_integer_value(msg->id);
        pthread_mutex_lock(&s->lock);
        for (mcp_pending *p = s->pending; p; p = p->next) {
            if (p->id == id && !p->done) {
                p->result = json_incref(msg->result);
                p->error = json_incref(msg->error);
                p->done = true;
                found = true;
                pthread_cond_broadcast(&s->cond);
                break;
            }
        }
        pthread_mutex_unlock(&s->lock);
    }
    if (!found)
        wc_log(WC_LOG_DEBUG, "mcp", "dropped a response to no request we are waiting for");
}
