/* client_port.c -- the notifications a guest sends through its client port. */
#include "host/client_port.h"

#include "util/log.h"

const wc_client_port wc_no_client = {.min_log_level = 8};

void wc_client_progress(const wc_client_port *c, double progress, double total,
                        const char *message)
{
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

void wc_client_log(const wc_client_port *c, int level, const char *logger, const char *message)
{
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

void wc_client_resource_updated(const wc_client_port *c, const char *uri)
{
    if (c->resource_updated)
        c->resource_updated(c->ctx, uri);
}

void wc_client_close_stream(const wc_client_port *c)
{
    if (c->close_stream)
        c->close_stream(c->ctx);
}

void wc_client_list_changed(const wc_client_port *c, const char *kind)
{
    if (c->list_changed)
        c->list_changed(c->ctx, kind);
}

json_t *wc_client_request_context(const wc_client_port *c)
{
    json_t *context = c->request_context ? c->request_context(c->ctx) : NULL;
    return context ? context : json_object();
}
