/* bus_backplane.c -- mcp/backplane.h on the bus.
 *
 * One node: an event is a subscription's message (no id), a record a
 * publish, a kept subject a stream.
 *
 * A cluster: every node must see a subject's events in one order with one
 * id each, so that the notification an event causes, which every node
 * having the session sends, is kept once in the session's log.  So events
 * are read from a stream per subject (the id is the stream sequence): the
 * subscription only wakes the listener, which reads what followed the
 * last event it delivered.  NATS may deliver the wake before JetStream has
 * kept the message, so a wake that finds nothing new while events are
 * owed (more wakes than events delivered) looks again after 1, 2, 4, 8 and
 * 16 ms; past that the event waits for the next wake (counted:
 * wasmcap_cluster_events_late_total).
 *
 * A session's log is a subject of the log stream; an append waits for
 * JetStream's acknowledgement and then publishes a wake on
 * wasmcap.cluster.wake.<session>, so a follower woken always finds what
 * woke it.  A follower subscribes to the wakes, wakes itself once to read
 * what is already kept, and reads on its subscription's thread only. */
#include "cli/bus_backplane.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_SUBJECT "wasmcap.cluster.log"
#define WAKE_SUBJECT "wasmcap.cluster.wake"
#define READ_BATCH 256    /* messages one read takes; reads repeat until fewer come */
#define WAKE_RETRIES 5    /* looks again after 1, 2, 4, 8, 16 ms */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* --- events --- */

typedef struct listener {
    wc_bus_backplane *bp;
    wc_backplane_event_fn fn;
    void *server;
    wc_bus_sub *sub;
    /* a cluster's: the subject's stream and what was delivered of it */
    char stream[WC_BUS_MAX_NAME + 1];
    char subject[WC_BUS_MAX_SUBJECT + 1];
    bool ready; /* the stream exists and last is its end as of then */
    uint64_t last, wakes, delivered;
} listener;

/* "wasmcap.resources.updated" -> "WASMCAP_EV_RESOURCES_UPDATED" */
static void event_stream_name(const char *subject, char *out, size_t size)
{
    const char *rest = strncmp(subject, "wasmcap.", 8) == 0 ? subject + 8 : subject;
    size_t n = (size_t)snprintf(out, size, "WASMCAP_EV_");
    for (; *rest && n + 1 < size; rest++)
        out[n++] = isalnum((unsigned char)*rest) ? (char)toupper((unsigned char)*rest) : '_';
    out[n] = '\0';
}

static int deliver_stored(void *ctx, const wc_bus_msg *msg)
{
    listener *l = ctx;
    if (msg->sequence <= l->last)
        return 0;
    l->last = msg->sequence;
    l->delivered++;
    l->fn(l->server, msg->subject, msg->data, msg->len, msg->sequence);
    return 0;
}

/* The stream exists and reading starts after its end: what was published
 * before this node listened is not its to deliver. */
static bool listener_ready(listener *l)
{
    wc_bus_stream_config sc = {.name = l->stream, .subject = l->subject,
                               .max_age_ms = l->bp->event_max_age_ms};
    uint64_t first;
    if (wc_bus_stream_ensure(l->bp->bus, &sc, NULL) != 0 ||
        wc_bus_stream_bounds(l->bp->bus, l->stream, &first, &l->last, NULL) != 0)
        return false;
    l->wakes = l->delivered = 0;
    l->ready = true;
    return true;
}

static void on_event_wake(void *ctx, const wc_bus_msg *msg)
{
    listener *l = ctx;
    if (!l->ready && !listener_ready(l)) {
        /* the bus cannot keep events now: deliver it as one node would */
        l->fn(l->server, msg->subject, msg->data, msg->len, 0);
        return;
    }
    l->wakes++;
    for (int attempt = 0; attempt <= WAKE_RETRIES; attempt++) {
        int n;
        do
            n = wc_bus_stream_read(l->bp->bus, l->stream, l->last + 1, READ_BATCH,
                                   deliver_stored, l, NULL);
        while (n == READ_BATCH);
        if (n < 0 || l->delivered >= l->wakes)
            return;
        if (attempt == WAKE_RETRIES)
            break;
        sleep_ms(1L << attempt);
    }
    atomic_fetch_add(&l->bp->events_late, 1);
}

static void on_message(void *ctx, const wc_bus_msg *msg)
{
    listener *l = ctx;
    l->fn(l->server, msg->subject, msg->data, msg->len, 0);
}

static int listen_bus(void *ctx, const char *subject, wc_backplane_event_fn fn, void *server,
                      void **handle, wc_error *err)
{
    wc_bus_backplane *bp = ctx;
    listener *l = calloc(1, sizeof *l);
    if (!l)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    l->bp = bp;
    l->fn = fn;
    l->server = server;
    snprintf(l->subject, sizeof l->subject, "%s", subject);
    event_stream_name(subject, l->stream, sizeof l->stream);
    if (bp->cluster)
        listener_ready(l); /* or at the first wake, once NATS is there */
    int rc = wc_bus_subscribe(bp->bus, subject, NULL, bp->cluster ? on_event_wake : on_message,
                              l, &l->sub);
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

/* --- audit records and kept subjects --- */

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
    if (bp->cluster)
        wc_buf_printf(out,
                      "# HELP wasmcap_cluster_events_late_total Events this node read only at a "
                      "later event (JetStream had not kept them when their wake came).\n"
                      "# TYPE wasmcap_cluster_events_late_total counter\n"
                      "wasmcap_cluster_events_late_total %llu\n",
                      (unsigned long long)atomic_load(&bp->events_late));
}

static void render_health(void *ctx, wc_buf *out)
{
    wc_bus_backplane *bp = ctx;
    wc_buf_printf(out, "bus: %s %s\n", wc_bus_kind(bp->bus),
                  wc_bus_state_name(wc_bus_get_state(bp->bus)));
}

/* --- sessions' state --- */

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

static int session_put(void *ctx, const char *key, const void *data, size_t len,
                       const uint64_t *expected, uint64_t *revision, wc_error *err)
{
    wc_bus_backplane *bp = ctx;
    int rc = bucket_ready(bp, err);
    if (rc)
        return rc;
    if (expected)
        return wc_bus_kv_update(bp->bus, bp->bucket, key, data, len, *expected, revision, err);
    return wc_bus_kv_put(bp->bus, bp->bucket, key, data, len, revision, err);
}

static int session_get(void *ctx, const char *key, char **data, size_t *len, uint64_t *revision,
                       wc_error *err)
{
    wc_bus_backplane *bp = ctx;
    int rc = bucket_ready(bp, err);
    void *value = NULL;
    if (rc == 0)
        rc = wc_bus_kv_get(bp->bus, bp->bucket, key, &value, len, revision, err);
    *data = value;
    return rc;
}

static int session_remove(void *ctx, const char *key, wc_error *err)
{
    wc_bus_backplane *bp = ctx;
    int rc = bucket_ready(bp, err);
    return rc ? rc : wc_bus_kv_delete(bp->bus, bp->bucket, key, err);
}

/* --- sessions' logs --- */

static int log_ready(wc_bus_backplane *bp, wc_error *err)
{
    if (atomic_load(&bp->log_ready))
        return 0;
    int rc = wc_bus_stream_ensure(bp->bus, &bp->log_config, err);
    if (rc == 0)
        atomic_store(&bp->log_ready, true);
    return rc;
}

static int log_append(void *ctx, const char *session, const char *dedupe, const void *data,
                      size_t len, wc_error *err)
{
    wc_bus_backplane *bp = ctx;
    int rc = log_ready(bp, err);
    if (rc < 0)
        return rc;
    char subject[WC_BUS_MAX_SUBJECT];
    snprintf(subject, sizeof subject, LOG_SUBJECT ".%s", session);
    wc_bus_header id[] = {{WC_BUS_MSG_ID, dedupe}};
    wc_bus_msg m = {.subject = subject, .headers = dedupe ? id : NULL,
                    .header_count = dedupe ? 1 : 0, .data = data, .len = len};
    uint64_t seq = 0;
    if ((rc = wc_bus_stream_append(bp->bus, &m, &seq, err)) < 0)
        return rc;
    snprintf(subject, sizeof subject, WAKE_SUBJECT ".%s", session);
    wc_bus_publish_data(bp->bus, subject, NULL, 0); /* lost: read at the next one */
    return 0;
}

typedef struct follower {
    wc_bus_backplane *bp;
    char subject[WC_BUS_MAX_SUBJECT];
    uint64_t last;
    wc_backplane_entry_fn fn;
    void *fn_ctx;
    wc_bus_sub *sub;
} follower;

static int follow_entry(void *ctx, const wc_bus_msg *msg)
{
    follower *f = ctx;
    if (msg->sequence > f->last) {
        f->last = msg->sequence;
        f->fn(f->fn_ctx, msg->sequence, msg->data, msg->len);
    }
    return 0;
}

static void on_log_wake(void *ctx, const wc_bus_msg *msg)
{
    (void)msg;
    follower *f = ctx;
    if (log_ready(f->bp, NULL) < 0)
        return;
    int n;
    do
        n = wc_bus_stream_read_subject(f->bp->bus, f->bp->log_stream, f->subject, f->last + 1,
                                       READ_BATCH, follow_entry, f, NULL);
    while (n == READ_BATCH);
}

static int log_follow(void *ctx, const char *session, uint64_t after, wc_backplane_entry_fn fn,
                      void *fn_ctx, void **handle, wc_error *err)
{
    wc_bus_backplane *bp = ctx;
    follower *f = calloc(1, sizeof *f);
    if (!f)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    *f = (follower){.bp = bp, .last = after, .fn = fn, .fn_ctx = fn_ctx};
    snprintf(f->subject, sizeof f->subject, LOG_SUBJECT ".%s", session);
    char wake[WC_BUS_MAX_SUBJECT];
    snprintf(wake, sizeof wake, WAKE_SUBJECT ".%s", session);
    int rc = wc_bus_subscribe(bp->bus, wake, NULL, on_log_wake, f, &f->sub);
    if (rc < 0) {
        free(f);
        return wc_error_set(err, rc, "cannot follow the session's log: %s", wc_strerror(rc));
    }
    wc_bus_publish_data(bp->bus, wake, NULL, 0); /* read what is kept, on its thread */
    *handle = f;
    return 0;
}

static void log_unfollow(void *ctx, void *handle)
{
    (void)ctx;
    follower *f = handle;
    wc_bus_unsubscribe(f->sub);
    free(f);
}

/* A stream or bucket name as JetStream takes it. */
static int check_name(const char *what, const char *name, wc_error *err)
{
    size_t n = name ? strlen(name) : 0;
    bool ok = n > 0 && n <= WC_BUS_MAX_NAME;
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)name[i]) || name[i] == '-' || name[i] == '_';
    return ok ? 0 : wc_error_set(err, WC_EINVAL, "%s: 1 to %d letters, digits, '-' or '_'",
                                 what, WC_BUS_MAX_NAME);
}

int wc_bus_backplane_cluster(wc_bus_backplane *bp, const wc_bus_cluster_config *cfg,
                             wc_error *err)
{
    int rc = check_name("sessions_bucket", cfg->sessions.bucket, err);
    if (rc < 0 || (rc = check_name("log_stream", cfg->log_stream, err)) < 0)
        return rc;
    bp->cluster = true;
    snprintf(bp->bucket, sizeof bp->bucket, "%s", cfg->sessions.bucket);
    bp->bucket_config = cfg->sessions;
    bp->bucket_config.bucket = bp->bucket;
    atomic_store(&bp->bucket_ready, false);
    snprintf(bp->log_stream, sizeof bp->log_stream, "%s", cfg->log_stream);
    bp->log_config = (wc_bus_stream_config){.name = bp->log_stream,
                                            .subject = LOG_SUBJECT ".>",
                                            .max_age_ms = cfg->log_max_age_ms,
                                            .max_bytes = cfg->log_max_bytes,
                                            .max_msgs_per_subject = cfg->log_events};
    atomic_store(&bp->log_ready, false);
    bp->event_max_age_ms = cfg->event_max_age_ms;
    bp->port.session_put = session_put;
    bp->port.session_get = session_get;
    bp->port.session_remove = session_remove;
    bp->port.session_ttl_ms = cfg->sessions.ttl_ms;
    bp->port.log_append = log_append;
    bp->port.log_follow = log_follow;
    bp->port.log_unfollow = log_unfollow;
    return 0;
}

void wc_bus_backplane_init(wc_bus_backplane *bp, wc_bus *bus)
{
    memset(bp, 0, sizeof *bp);
    bp->port = (wc_backplane){.ctx = bp,
                              .listen = listen_bus,
                              .unlisten = unlisten_bus,
                              .ready = bus_ready,
                              .publish = publish_bus,
                              .keep = keep_bus,
                              .render_metrics = render_metrics,
                              .render_health = render_health};
    bp->bus = bus;
}
