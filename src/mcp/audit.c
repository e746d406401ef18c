/* audit.c -- one event on the backplane (mcp/backplane.h: the bus, as the
 * front end wires it) for every tool call, published on
 * wasmcap.audit.<plugin>.<tool>:
 *
 *   {"time": "2026-12-07T15:00:00.123Z", "principal": "alice", "session":
 *    "3f2a...", "plugin": "calc", "tool": "calc_add", "duration_ms": 0.42,
 *    "status": "ok", "bytes_in": 17, "bytes_out": 64, "tier": "fast"}
 *
 * ("arguments" too when audit.include_arguments is on).  The event is
 * written on the call's thread after its answer was sent, and put in a
 * bounded queue without waiting: a full queue drops it and counts it
 * (wasmcap_audit_dropped_total).  One thread publishes what is queued, so
 * a slow or dead bus never slows or fails a call; what the backplane
 * refuses (NATS's reconnect buffer full) is counted as dropped too.  With
 * a stream configured, the events are kept in it (JetStream with NATS); the
 * thread asks for it once the backplane is ready. */
#include "mcp/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json/text.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"

#define AUDIT_STREAM_RETRY_MS 5000 /* between attempts to create the stream */
#define AUDIT_DRAIN_MS 2000        /* what stop waits for the queue to empty */
#define AUDIT_NAP_MS 1             /* how long a busy publisher waits for more events */
#define AUDIT_BATCH 64             /* events taken out of the queue at once */

typedef struct audit_event {
    char *subject;
    char *text;
    size_t len;
} audit_event;

struct mcp_audit {
    const wc_backplane *backplane;
    wc_mcp_audit_options opt;
    char *stream_name, *stream_subject;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake, idle;
    audit_event *ring;
    size_t cap, head, count;
    bool stopping, busy;
    bool sleeping; /* waiting until a caller wakes it */
    atomic_uint_fast64_t published, dropped;
};

/* A subject token for a plugin or tool name: a NATS token may not hold
 * '.', '*', '>' or whitespace, so those become '_'. */
static void put_token(wc_buf *b, const char *name)
{
    if (!name || !name[0]) {
        wc_buf_str(b, "_");
        return;
    }
    for (const char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        wc_buf_byte(b, c <= ' ' || c == '.' || c == '*' || c == '>' || c == 0x7f ? '_' : c);
    }
}

static bool ensure_stream(mcp_audit *a)
{
    wc_backplane_keep sc = {
        .name = a->stream_name,
        .subject = a->stream_subject,
        .max_age_ms = a->opt.stream_max_age_ms,
        .max_bytes = a->opt.stream_max_bytes,
        .max_msgs = a->opt.stream_max_msgs,
    };
    wc_error err = {0};
    if (!a->backplane->keep || a->backplane->keep(a->backplane->ctx, &sc, &err) != 0) {
        wc_log(WC_LOG_WARNING, "audit", "cannot keep audit events in stream %s yet: %s",
               a->stream_name, wc_error_message(&err));
        return false;
    }
    wc_log(WC_LOG_INFO, "audit", "audit events are kept in stream %s", a->stream_name);
    return true;
}

/* Waits for events.  Under load the thread naps AUDIT_NAP_MS and takes
 * what came meanwhile, so callers need not wake it for every event (a
 * wake is a system call on the call's thread); only once a nap found
 * nothing does it sleep until a caller wakes it. */
static void wait_for_events(mcp_audit *a)
{
    if (a->count > 0 || a->stopping)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += AUDIT_NAP_MS * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    while (a->count == 0 && !a->stopping &&
           pthread_cond_timedwait(&a->wake, &a->lock, &ts) == 0)
        ;
    a->sleeping = true;
    while (a->count == 0 && !a->stopping)
        pthread_cond_wait(&a->wake, &a->lock);
    a->sleeping = false;
}

static void *audit_main(void *arg)
{
    mcp_audit *a = arg;
    bool stream_ready = !a->stream_name;
    uint64_t next_stream_try = 0;
    audit_event batch[AUDIT_BATCH];
    pthread_mutex_lock(&a->lock);
    for (;;) {
        wait_for_events(a);
        if (a->count == 0 && a->stopping)
            break;
        size_t n = 0;
        for (; n < AUDIT_BATCH && a->count > 0; n++) {
            batch[n] = a->ring[a->head];
            a->head = (a->head + 1) % a->cap;
            a->count--;
        }
        a->busy = true;
        pthread_mutex_unlock(&a->lock);
        if (!stream_ready && wc_monotonic_ms() >= next_stream_try &&
            (!a->backplane->ready || a->backplane->ready(a->backplane->ctx))) {
            stream_ready = ensure_stream(a);
            next_stream_try = wc_monotonic_ms() + AUDIT_STREAM_RETRY_MS;
        }
        for (size_t i = 0; i < n; i++) {
            if (a->backplane->publish(a->backplane->ctx, batch[i].subject, batch[i].text,
                                      batch[i].len) == 0)
                atomic_fetch_add(&a->published, 1);
            else
                atomic_fetch_add(&a->dropped, 1);
            free(batch[i].subject);
            free(batch[i].text);
        }
        pthread_mutex_lock(&a->lock);
        a->busy = false;
        if (a->count == 0)
            pthread_cond_broadcast(&a->idle);
    }
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

/* Frees a, its thread joined (or never started) and its queue empty. */
static void audit_free(mcp_audit *a)
{
    pthread_mutex_destroy(&a->lock);
    pthread_cond_destroy(&a->wake);
    pthread_cond_destroy(&a->idle);
    free(a->ring);
    free(a->stream_name);
    free(a->stream_subject);
    free(a);
}

int wc_mcp_audit_start(wc_mcp_server *s, wc_error *err)
{
    const wc_mcp_audit_options *o = &s->opt.audit;
    if (!s->opt.backplane || !s->opt.backplane->publish || !o->enabled)
        return 0;
    mcp_audit *a = calloc(1, sizeof *a);
    if (!a)
        return wc_error_set(err, WC_ENOMEM, "out of memory for the audit queue");
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->wake, NULL);
    pthread_cond_init(&a->idle, NULL);
    a->backplane = s->opt.backplane;
    a->opt = *o;
    a->opt.stream = NULL; /* the caller's string may go */
    a->cap = o->queue ? o->queue : 16384;
    a->ring = calloc(a->cap, sizeof *a->ring);
    if (o->stream) {
        a->stream_name = strdup(o->stream);
        a->stream_subject = strdup("wasmcap.audit.>");
    }
    if (!a->ring || (o->stream && (!a->stream_name || !a->stream_subject))) {
        audit_free(a);
        return wc_error_set(err, WC_ENOMEM, "out of memory for the audit queue");
    }
    int rc = pthread_create(&a->thread, NULL, audit_main, a);
    if (rc != 0) {
        audit_free(a);
        return wc_error_set(err, -rc, "cannot start the audit thread: %s", wc_strerror(-rc));
    }
    s->audit = a;
    return 0;
}

void wc_mcp_audit_stop(wc_mcp_server *s)
{
    mcp_audit *a = s->audit;
    if (!a)
        return;
    /* what is queued gets a little time to go out, then is dropped */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += AUDIT_DRAIN_MS / 1000;
    pthread_mutex_lock(&a->lock);
    while ((a->count > 0 || a->busy) &&
           pthread_cond_timedwait(&a->idle, &a->lock, &ts) == 0)
        ;
    for (; a->count > 0; a->count--) {
        audit_event *e = &a->ring[a->head];
        free(e->subject);
        free(e->text);
        a->head = (a->head + 1) % a->cap;
        atomic_fetch_add(&a->dropped, 1);
    }
    a->stopping = true;
    pthread_cond_signal(&a->wake);
    pthread_mutex_unlock(&a->lock);
    pthread_join(a->thread, NULL);
    audit_free(a);
    s->audit = NULL;
}

static const char *status_name(wc_call_status status)
{
    switch (status) {
    case WC_CALL_OK: return "ok";
    case WC_CALL_TOOL_ERROR: return "tool_error";
    case WC_CALL_ERROR: return "error";
    case WC_CALL_CANCELLED: return "cancelled";
    default: return "unknown";
    }
}

static void put_string_member(wc_buf *b, const char *key, const char *value)
{
    wc_buf_printf(b, ",\"%s\":", key);
    if (value)
        wc_json_string_text(value, strlen(value), b);
    else
        wc_buf_str(b, "null");
}

/* The arguments as the client sent them. */
static void put_arguments(wc_buf *b, const mcp_job *job, size_t *bytes_in)
{
    const wc_call *call = job->call;
    if (call && call->io.arguments_text) {
        *bytes_in = call->io.arguments_len;
        if (b)
            wc_buf_append(b, call->io.arguments_text, call->io.arguments_len);
        return;
    }
    const json_t *args = json_object_get(job->params, "arguments");
    wc_buf text;
    wc_buf_init(&text);
    if (args && wc_json_text(args, &text) == 0) {
        *bytes_in = text.len;
        if (b)
            wc_buf_append(b, text.data, text.len);
    } else if (b) {
        wc_buf_str(b, "null");
    }
    wc_buf_free(&text);
}

void wc_mcp_audit_call(mcp_job *job, wc_call_status status, double seconds,
                       size_t bytes_out)
{
    mcp_audit *a = job->session->server->audit;
    if (!a)
        return;
    const char *tool = json_string_value(json_object_get(job->params, "name"));
    const char *plugin = job->call ? job->call->io.plugin : NULL;
    const char *tier = job->call ? job->call->io.tier : NULL;

    wc_buf subject;
    wc_buf_init(&subject);
    wc_buf_str(&subject, "wasmcap.audit.");
    put_token(&subject, plugin);
    wc_buf_byte(&subject, '.');
    put_token(&subject, tool);

    char when[25];
    wc_utc_timestamp(when);

    size_t bytes_in = 0;
    wc_buf b;
    wc_buf_init(&b);
    wc_buf_printf(&b, "{\"time\":\"%s\"", when);
    put_string_member(&b, "principal", job->session->principal[0] ? job->session->principal
                                                                   : NULL);
    put_string_member(&b, "session", job->session->audit_id[0] ? job->session->audit_id : NULL);
    put_string_member(&b, "plugin", plugin);
    put_string_member(&b, "tool", tool);
    wc_buf_printf(&b, ",\"duration_ms\":%.3f", seconds * 1000.0);
    put_string_member(&b, "status", status_name(status));
    if (a->opt.include_arguments) {
        wc_buf_str(&b, ",\"arguments\":");
        put_arguments(&b, job, &bytes_in);
    } else {
        put_arguments(NULL, job, &bytes_in);
    }
    wc_buf_printf(&b, ",\"bytes_in\":%zu,\"bytes_out\":%zu", bytes_in, bytes_out);
    put_string_member(&b, "tier", tier);
    wc_buf_byte(&b, '}');

    char *subject_text = wc_buf_cstr(&subject);
    char *text = wc_buf_cstr(&b);
    bool queued = false;
    if (subject_text && text) {
        pthread_mutex_lock(&a->lock);
        if (a->count < a->cap && !a->stopping) {
            a->ring[(a->head + a->count) % a->cap] =
                (audit_event){.subject = subject_text, .text = text, .len = b.len};
            a->count++;
            queued = true;
            if (a->sleeping)
                pthread_cond_signal(&a->wake);
        }
        pthread_mutex_unlock(&a->lock);
    }
    if (!queued) {
        atomic_fetch_add(&a->dropped, 1);
        wc_buf_free(&subject);
        wc_buf_free(&b);
    }
}

void wc_mcp_audit_render_metrics(wc_mcp_server *s, wc_buf *out)
{
    mcp_audit *a = s->audit;
    if (!a)
        return;
    wc_buf_printf(out,
                  "# HELP wasmcap_audit_published_total Audit events of tool calls published "
                  "on the backplane.\n"
                  "# TYPE wasmcap_audit_published_total counter\n"
                  "wasmcap_audit_published_total %llu\n"
                  "# HELP wasmcap_audit_dropped_total Audit events dropped: the queue was full "
                  "(audit.queue) or the backplane refused them.\n"
                  "# TYPE wasmcap_audit_dropped_total counter\n"
                  "wasmcap_audit_dropped_total %llu\n",
                  (unsigned long long)atomic_load(&a->published),
                  (unsigned long long)atomic_load(&a->dropped));
}
