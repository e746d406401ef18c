/* bus_backplane.c -- mcp/backplane.h on the bus. */
#include "cli/bus_backplane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct listener {
    wc_backplane_event_fn fn;
    void *server;
    wc_bus_sub *sub;
} listener;

static void on_message(void *ctx, const wc_bus_msg *msg)
{
    listener *l = ctx;
    l->fn(l->server, msg->subject, msg->data, msg->len);
}

static int listen_bus(void *ctx, const char *subject, wc_backplane_event_fn fn, void *server,
                      void **handle, wc_error *err)
{
    wc_bus_backplane *bp = ctx;
    listener *l = calloc(1, sizeof *l);
    if (!l)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    l->fn = fn;
    l->server = server;
    int rc = wc_bus_subscribe(bp->bus, subject, NULL, on_message, l, &l->sub);
    if (rc < 0) {
        free(l);
        return wc_error_set(err, rc, "the bus refused the subscription: %s", wc_strerror(rc));
    }
    *handle = l;
    return 0;
}

static void unlisten_bus(void *ctx, void *handle)
{
    (void)ctx;
    listener *l = handle;
    wc_bus_unsubscribe(l->sub); /* its handler has returned for the last time */
    free(l);
}

static bool bus_ready(void *ctx)
{
    wc_bus_backplane *bp = ctx;
    return wc_bus_get_state(bp->bus) == WC_BUS_CONNECTED;
}

static int publish_bus(void *ctx, const char *subject, const void *data, size_t len)
{
    wc_bus_backplane *bp = ctx;
    return wc_bus_publish_data(bp->bus, subject, data, len);
}

static int keep_bus(void *ctx, const wc_backplane_keep *keep, wc_error *err)
{
    wc_bus_backplane *bp = ctx;
    wc_bus_stream_config sc = {
        .name = keep->name,
        .subject = keep->subject,
        .max_age_ms = keep->max_age_ms,
        .max_bytes = keep->max_bytes,
        .max_msgs = keep->max_msgs,
    };
    return wc_bus_stream_ensure(bp->bus, &sc, err);
}

static void render_metrics(void *ctx, wc_buf *out)
{
    wc_bus_backplane *bp = ctx;
    wc_bus_render_metrics(bp->bus, out);
}

static void render_health(void *ctx, wc_buf *out)
{
    wc_bus_backplane *bp = ctx;
    wc_buf_printf(out, "bus: %s %s\n", wc_bus_kind(bp->bus),
                  wc_bus_state_name(wc_bus_get_state(bp->bus)));
}

/* The bucket, made once the bus can (a NATS server down at start is no
 * reason not to serve: the first put after it came back makes it). */
static int bucket_ready(wc_bus_backplane *bp, wc_error *err)
{
    if (atomic_load(&bp->bucket_ready))
        return 0;
    int rc = wc_bus_kv_ensure(bp->bus, &bp->bucket_config, err);
    if (rc == 0)
        atomic_store(&bp->bucket_ready, true);
    return rc;
}

static int session_put(void *ctx, const char *key, const void *data, size_t len, wc_error *err)
{
    wc_bus_backplane *bp = ctx;
    int rc = bucket_ready(bp, err);
    return rc ? rc : wc_bus_kv_put(bp->bus, bp->bucket, key, data, len, NULL, err);
}

static int session_get(void *ctx, const char *key, char **data, size_t *len, wc_error *err)
{
    wc_bus_backplane *bp = ctx;
    int rc = bucket_ready(bp, err);
    void *value = NULL;
    if (rc == 0)
        rc = wc_bus_kv_get(bp->bus, bp->bucket, key, &value, len, NULL, err);
    *data = value;
    return rc;
}

static int session_remove(void *ctx, const char *key, wc_error *err)
{
    wc_bus_backplane *bp = ctx;
    int rc = bucket_ready(bp, err);
    return rc ? rc : wc_bus_kv_delete(bp->bus, bp->bucket, key, err);
}

int wc_bus_backplane_share_sessions(wc_bus_backplane *bp, const wc_bus_kv_config *cfg,
                                    wc_error *err)
{
    if (!cfg->bucket || !cfg->bucket[0] || strlen(cfg->bucket) > WC_BUS_MAX_NAME)
        return wc_error_set(err, WC_EINVAL, "a bucket name of 1 to %d characters",
                            WC_BUS_MAX_NAME);
    snprintf(bp->bucket, sizeof bp->bucket, "%s", cfg->bucket);
    bp->bucket_config = *cfg;
    bp->bucket_config.bucket = bp->bucket;
    atomic_store(&bp->bucket_ready, false);
    bp->port.session_put = session_put;
    bp->port.session_get = session_get;
    bp->port.session_remove = session_remove;
    bp->port.session_ttl_ms = cfg->ttl_ms;
    return 0;
}

void wc_bus_backplane_init(wc_bus_backplane *bp, wc_bus *bus)
{
    *bp = (wc_bus_backplane){
        .port = {.ctx = bp,
                 .listen = listen_bus,
                 .unlisten = unlisten_bus,
                 .ready = bus_ready,
                 .publish = publish_bus,
                 .keep = keep_bus,
                 .render_metrics = render_metrics,
                 .render_health = render_health},
        .bus = bus,
    };
}
