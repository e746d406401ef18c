/* bus.c -- the bus's one interface: checks every argument once, then hands
 * the operation to the implementation the config chose (inproc.c,
 * nats.c). */
#include <string.h>

#include "bus/internal.h"

void wc_bus_config_init(wc_bus_config *cfg)
{
    *cfg = (wc_bus_config){
        .connect_timeout_ms = 2000,
        .reconnect_wait_ms = 2000,
        .max_reconnect = -1,
        .request_timeout_ms = 2000,
        .sub_max_msgs = 65536,
        .sub_max_bytes = 64u << 20,
        .max_payload = 1u << 20,
        .max_subscriptions = 4096,
        .max_requests = 4096,
        .reconnect_buffer = 8u << 20,
        .store_max_bytes = 64u << 20,
    };
}

void wc_bus_base_init(wc_bus *base, const wc_bus_ops *ops, const wc_bus_config *cfg)
{
    base->ops = ops;
    base->limits = *cfg;
    base->limits.url = base->limits.name = NULL;
    base->limits.token = base->limits.user = base->limits.password = NULL;
    base->limits.credentials_file = NULL;
    base->limits.tls_ca = base->limits.tls_cert = base->limits.tls_key = NULL;
    atomic_init(&base->published, 0);
    atomic_init(&base->delivered, 0);
    atomic_init(&base->dropped, 0);
    atomic_init(&base->reconnects, 0);
}

static bool is_inproc(const char *url)
{
    return !url || !url[0] || strcmp(url, "inproc") == 0;
}

int wc_bus_open(const wc_bus_config *cfg, wc_bus **out, wc_error *err)
{
    *out = NULL;
    if (cfg->sub_max_msgs == 0 || cfg->sub_max_bytes == 0 || cfg->max_payload == 0 ||
        cfg->max_subscriptions == 0 || cfg->max_requests == 0)
        return wc_error_set(err, WC_EINVAL, "bus limits must be above zero");
    if (cfg->sub_max_msgs > (1u << 30) || cfg->sub_max_bytes > (1ull << 40) ||
        cfg->max_payload > (64u << 20))
        return wc_error_set(err, WC_EINVAL, "bus limits are too large (a subscription: at most "
                            "2^30 messages and 1 TiB; a payload: at most 64 MiB)");
    if (is_inproc(cfg->url))
        return wc_bus_inproc_open(cfg, out, err);
    return wc_bus_nats_open(cfg, out, err);
}

int wc_bus_drain(wc_bus *bus, uint32_t timeout_ms)
{
    return bus->ops->drain(bus, timeout_ms);
}

void wc_bus_close(wc_bus *bus)
{
    if (bus)
        bus->ops->close(bus);
}

const char *wc_bus_kind(const wc_bus *bus)
{
    return bus->ops->kind;
}

wc_bus_state wc_bus_get_state(const wc_bus *bus)
{
    return bus->ops->state(bus);
}

const char *wc_bus_state_name(wc_bus_state state)
{
    switch (state) {
    case WC_BUS_CONNECTED: return "connected";
    case WC_BUS_DISCONNECTED: return "disconnected";
    case WC_BUS_CLOSED: return "closed";
    }
    return "unknown";
}

void wc_bus_get_stats(const wc_bus *bus, wc_bus_stats *out)
{
    *out = (wc_bus_stats){
        .published = atomic_load(&bus->published),
        .delivered = atomic_load(&bus->delivered),
        .dropped = atomic_load(&bus->dropped),
        .reconnects = atomic_load(&bus->reconnects),
    };
    if (bus->ops->add_stats)
        bus->ops->add_stats(bus, out);
}

static int check_header_text(const char *what, const char *s, bool name, wc_error *err)
{
    if (!s)
        return wc_error_set(err, WC_EINVAL, "a header %s is missing", what);
    size_t n = strlen(s);
    if (n > WC_BUS_MAX_HEADER_TEXT)
        return wc_error_set(err, WC_ETOOBIG, "a header %s of %zu bytes (the limit is %d)", what,
                            n, WC_BUS_MAX_HEADER_TEXT);
    if (name && n == 0)
        return wc_error_set(err, WC_EINVAL, "an empty header name");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        /* the wire form is "Name: value\r\n": a line break or, in a name,
         * a colon or a space would change what the receiver reads */
        if (c == '\r' || c == '\n' || (name && (c == ':' || c <= ' ' || c == 0x7f)))
            return wc_error_set(err, WC_EINVAL, "header %s '%.64s' has a character a NATS "
                                "header cannot carry", what, s);
    }
    return 0;
}

static int check_msg(const wc_bus *bus, const wc_bus_msg *msg, bool with_reply, wc_error *err)
{
    int rc = wc_bus_check_subject(msg->subject, false, err);
    if (rc < 0)
        return rc;
    if (with_reply && msg->reply && (rc = wc_bus_check_subject(msg->reply, false, err)) < 0)
        return rc;
    if (msg->len > bus->limits.max_payload)
        return wc_error_set(err, WC_ETOOBIG, "a message of %zu bytes (max_payload is %zu)",
                            msg->len, bus->limits.max_payload);
    if (msg->len && !msg->data)
        return wc_error_set(err, WC_EINVAL, "a message of %zu bytes without data", msg->len);
    if (msg->header_count > WC_BUS_MAX_HEADERS)
        return wc_error_set(err, WC_ETOOBIG, "%zu headers (the limit is %d)", msg->header_count,
                            WC_BUS_MAX_HEADERS);
    if (msg->header_count && !msg->headers)
        return wc_error_set(err, WC_EINVAL, "a header count without headers");
    for (size_t i = 0; i < msg->header_count; i++) {
        if ((rc = check_header_text("name", msg->headers[i].name, true, err)) < 0 ||
            (rc = check_header_text("value", msg->headers[i].value, false, err)) < 0)
            return rc;
    }
    return 0;
}

int wc_bus_publish(wc_bus *bus, const wc_bus_msg *msg)
{
    int rc = check_msg(bus, msg, true, NULL);
    return rc < 0 ? rc : bus->ops->publish(bus, msg);
}

int wc_bus_publish_data(wc_bus *bus, const char *subject, const void *data, size_t len)
{
    wc_bus_msg msg = {.subject = subject, .data = data, .len = len};
    return wc_bus_publish(bus, &msg);
}

int wc_bus_subscribe(wc_bus *bus, const char *subject, const char *queue_group,
                     wc_bus_handler handler, void *ctx, wc_bus_sub **out)
{
    *out = NULL;
    int rc = wc_bus_check_subject(subject, true, NULL);
    if (rc < 0)
        return rc;
    /* a group name is one token of a subject's characters */
    if (queue_group && (wc_bus_check_subject(queue_group, false, NULL) < 0 ||
                        strchr(queue_group, '.')))
        return WC_EINVAL;
    if (!handler)
        return WC_EINVAL;
    return bus->ops->subscribe(bus, subject, queue_group, handler, ctx, out);
}

void wc_bus_unsubscribe(wc_bus_sub *sub)
{
    if (sub)
        sub->bus->ops->unsubscribe(sub);
}

uint64_t wc_bus_sub_dropped(const wc_bus_sub *sub)
{
    return sub->bus->ops->sub_dropped(sub);
}

int wc_bus_request(wc_bus *bus, const wc_bus_msg *request, uint32_t timeout_ms,
                   wc_bus_msg **reply, wc_error *err)
{
    return wc_bus_request_cancellable(bus, request, timeout_ms, NULL, reply, err);
}

int wc_bus_request_cancellable(wc_bus *bus, const wc_bus_msg *request, uint32_t timeout_ms,
                               const wc_cancel_token *cancel, wc_bus_msg **reply,
                               wc_error *err)
{
    *reply = NULL;
    int rc = check_msg(bus, request, false, err);
    if (rc == 0 && cancel && wc_cancel_token_cancelled(cancel))
        rc = wc_error_set(err, WC_ECANCELED, "request to %s: cancelled", request->subject);
    return rc < 0 ? rc : bus->ops->request(bus, request, timeout_ms, cancel, reply, err);
}

int wc_bus_stream_ensure(wc_bus *bus, const wc_bus_stream_config *cfg, wc_error *err)
{
    int rc = wc_bus_check_name("stream", cfg->name, err);
    if (rc < 0 || (rc = wc_bus_check_subject(cfg->subject, true, err)) < 0)
        return rc;
    return bus->ops->stream_ensure(bus, cfg, err);
}

int wc_bus_stream_append(wc_bus *bus, const wc_bus_msg *msg, uint64_t *sequence, wc_error *err)
{
    int rc = check_msg(bus, msg, false, err);
    return rc < 0 ? rc : bus->ops->stream_append(bus, msg, sequence, err);
}

int wc_bus_stream_read(wc_bus *bus, const char *stream, uint64_t from_seq, size_t max_msgs,
                       wc_bus_stream_fn fn, void *ctx, wc_error *err)
{
    int rc = wc_bus_check_name("stream", stream, err);
    if (rc < 0)
        return rc;
    if (max_msgs == 0)
        return 0;
    return bus->ops->stream_read(bus, stream, from_seq, max_msgs, fn, ctx, err);
}

int wc_bus_stream_bounds(wc_bus *bus, const char *stream, uint64_t *first, uint64_t *last,
                         wc_error *err)
{
    *first = *last = 0;
    int rc = wc_bus_check_name("stream", stream, err);
    return rc < 0 ? rc : bus->ops->stream_bounds(bus, stream, first, last, err);
}

int wc_bus_stream_read_subject(wc_bus *bus, const char *stream, const char *subject,
                               uint64_t from_seq, size_t max_msgs, wc_bus_stream_fn fn,
                               void *ctx, wc_error *err)
{
    int rc = wc_bus_check_name("stream", stream, err);
    if (rc < 0 || (rc = wc_bus_check_subject(subject, false, err)) < 0)
        return rc;
    if (max_msgs == 0)
        return 0;
    return bus->ops->stream_read_subject(bus, stream, subject, from_seq, max_msgs, fn, ctx, err);
}

int wc_bus_kv_ensure(wc_bus *bus, const wc_bus_kv_config *cfg, wc_error *err)
{
    int rc = wc_bus_check_name("bucket", cfg->bucket, err);
    return rc < 0 ? rc : bus->ops->kv_ensure(bus, cfg, err);
}

static int check_bucket_key(const char *bucket, const char *key, wc_error *err)
{
    int rc = wc_bus_check_name("bucket", bucket, err);
    return rc < 0 ? rc : wc_bus_check_key(key, err);
}

static int kv_write(wc_bus *bus, const char *bucket, const char *key, const void *value,
                    size_t len, const uint64_t *expected, uint64_t *revision, wc_error *err)
{
    int rc = check_bucket_key(bucket, key, err);
    if (rc < 0)
        return rc;
    if (len > bus->limits.max_payload)
        return wc_error_set(err, WC_ETOOBIG, "a value of %zu bytes (max_payload is %zu)", len,
                            bus->limits.max_payload);
    if (len && !value)
        return wc_error_set(err, WC_EINVAL, "a value of %zu bytes without data", len);
    return bus->ops->kv_put(bus, bucket, key, value, len, expected, revision, err);
}

int wc_bus_kv_put(wc_bus *bus, const char *bucket, const char *key, const void *value,
                  size_t len, uint64_t *revision, wc_error *err)
{
    return kv_write(bus, bucket, key, value, len, NULL, revision, err);
}

int wc_bus_kv_update(wc_bus *bus, const char *bucket, const char *key, const void *value,
                     size_t len, uint64_t expected, uint64_t *revision, wc_error *err)
{
    return kv_write(bus, bucket, key, value, len, &expected, revision, err);
}

int wc_bus_kv_get(wc_bus *bus, const char *bucket, const char *key, void **value, size_t *len,
                  uint64_t *revision, wc_error *err)
{
    *value = NULL;
    *len = 0;
    int rc = check_bucket_key(bucket, key, err);
    return rc < 0 ? rc : bus->ops->kv_get(bus, bucket, key, value, len, revision, err);
}

int wc_bus_kv_delete(wc_bus *bus, const char *bucket, const char *key, wc_error *err)
{
    int rc = check_bucket_key(bucket, key, err);
    return rc < 0 ? rc : bus->ops->kv_delete(bus, bucket, key, NULL, err);
}

int wc_bus_kv_delete_if(wc_bus *bus, const char *bucket, const char *key, uint64_t expected,
                        wc_error *err)
{
    int rc = check_bucket_key(bucket, key, err);
    return rc < 0 ? rc : bus->ops->kv_delete(bus, bucket, key, &expected, err);
}

int wc_bus_kv_keys(wc_bus *bus, const char *bucket, const char *prefix, size_t max_keys,
                   wc_bus_key_fn fn, void *ctx, wc_error *err)
{
    int rc = wc_bus_check_name("bucket", bucket, err);
    if (rc < 0)
        return rc;
    if (max_keys == 0)
        return 0;
    return bus->ops->kv_keys(bus, bucket, prefix ? prefix : "", max_keys, fn, ctx, err);
}
