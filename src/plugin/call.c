/* call.c -- a running plugin call: client hooks and cancellation. */
#include "plugin/call.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "util/log.h"

struct wc_call {
    wc_call_client client;
    atomic_bool cancelled;
    pthread_mutex_t lock; /* guards instance and wasi against a concurrent cancel */
    wc_instance *instance;
    wc_wasi *wasi;
    char *result_text;
    size_t result_len;
    bool result_is_error;
    bool prefer_result_text;
    const char *arguments_text;
    size_t arguments_len;
    uint32_t attempt_budget_ms; /* an attempt (see call.h); 0: an ordinary call */
    atomic_bool attempt_aborted;
};

static const wc_call_client no_client = {.min_log_level = 8};

wc_call *wc_call_new(const wc_call_client *client)
{
    wc_call *call = calloc(1, sizeof *call);
    if (!call)
        return NULL;
    call->client = client ? *client : no_client;
    atomic_init(&call->cancelled, false);
    pthread_mutex_init(&call->lock, NULL);
    return call;
}

void wc_call_set_client(wc_call *call, const wc_call_client *client)
{
    call->client = client ? *client : no_client;
}

void wc_call_free(wc_call *call)
{
    if (!call)
        return;
    pthread_mutex_destroy(&call->lock);
    free(call->result_text);
    free(call);
}

void wc_call_set_result_text(wc_call *call, char *text, size_t len)
{
    free(call->result_text);
    call->result_text = text;
    call->result_len = text ? len : 0;
}

void wc_call_set_result_is_error(wc_call *call, bool is_error)
{
    call->result_is_error = is_error;
}

bool wc_call_result_is_error(const wc_call *call)
{
    return call->result_is_error;
}

void wc_call_set_arguments_text(wc_call *call, const char *text, size_t len)
{
    call->arguments_text = text;
    call->arguments_len = text ? len : 0;
}

const char *wc_call_arguments_text(const wc_call *call, size_t *len)
{
    *len = call->arguments_len;
    return call->arguments_text;
}

void wc_call_prefer_result_text(wc_call *call)
{
    call->prefer_result_text = true;
}

bool wc_call_prefers_result_text(const wc_call *call)
{
    return call->prefer_result_text;
}

const char *wc_call_result_text(const wc_call *call, size_t *len)
{
    *len = call->result_len;
    return call->result_text;
}

const wc_call_client *wc_call_get_client(const wc_call *call)
{
    return &call->client;
}

void wc_call_cancel(wc_call *call)
{
    atomic_store(&call->cancelled, true);
    pthread_mutex_lock(&call->lock);
    if (call->instance)
        wc_instance_interrupt(call->instance);
    if (call->wasi)
        wc_wasi_interrupt(call->wasi);
    pthread_mutex_unlock(&call->lock);
}

bool wc_call_cancelled(const wc_call *call)
{
    return atomic_load(&call->cancelled);
}

void wc_call_attach(wc_call *call, wc_instance *instance, wc_wasi *wasi)
{
    pthread_mutex_lock(&call->lock);
    call->instance = instance;
    call->wasi = wasi;
    pthread_mutex_unlock(&call->lock);
    /* A cancel that came before the attach found nothing to interrupt. */
    if (atomic_load(&call->cancelled)) {
        wc_instance_interrupt(instance);
        if (wasi)
            wc_wasi_interrupt(wasi);
    }
}

void wc_call_detach(wc_call *call)
{
    pthread_mutex_lock(&call->lock);
    call->instance = NULL;
    call->wasi = NULL;
    pthread_mutex_unlock(&call->lock);
}

void wc_call_progress(wc_call *call, double progress, double total, const char *message)
{
    const wc_call_client *c = &call->client;
    if (!c->notify || !c->progress_token)
        return;
    json_t *params = json_pack("{s:O,s:f}", "progressToken", c->progress_token, "progress", progress);
    if (!params)
        return;
    if (total > 0)
        json_object_set_new(params, "total", json_real(total));
    if (message)
        json_object_set_new(params, "message", json_string(message));
    c->notify(c->ctx, "notifications/progress", params);
}

void wc_call_log(wc_call *call, int level, const char *logger, const char *message)
{
    const wc_call_client *c = &call->client;
    if (!c->notify || level < c->min_log_level || level > 7)
        return;
    json_t *params = json_pack("{s:s,s:s}", "level", wc_log_level_name((wc_log_level)level),
                               "data", message);
    if (!params)
        return;
    if (logger)
        json_object_set_new(params, "logger", json_string(logger));
    c->notify(c->ctx, "notifications/message", params);
}

void wc_call_resource_updated(wc_call *call, const char *uri)
{
    if (call->client.resource_updated)
        call->client.resource_updated(call->client.ctx, uri);
}

void wc_call_close_stream(wc_call *call)
{
    if (call->client.close_stream)
        call->client.close_stream(call->client.ctx);
}

void wc_call_list_changed(wc_call *call, const char *kind)
{
    if (call->client.list_changed)
        call->client.list_changed(call->client.ctx, kind);
}

json_t *wc_call_request_context(wc_call *call)
{
    json_t *c = call->client.request_context ? call->client.request_context(call->client.ctx)
                                             : NULL;
    return c ? c : json_object();
}

void wc_call_set_attempt(wc_call *call, uint32_t budget_ms)
{
    call->attempt_budget_ms = budget_ms;
}

uint32_t wc_call_attempt_budget(const wc_call *call)
{
    return call->attempt_budget_ms;
}

void wc_call_abort_attempt(wc_call *call)
{
    atomic_store(&call->attempt_aborted, true);
    wc_call_cancel(call);
}

bool wc_call_may_act(wc_call *call)
{
    if (!call->attempt_budget_ms)
        return true;
    wc_call_abort_attempt(call);
    return false;
}

bool wc_call_attempt_aborted(const wc_call *call)
{
    return atomic_load(&call->attempt_aborted);
}
