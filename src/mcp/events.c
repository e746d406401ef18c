/* events.c -- events from the backplane (mcp/backplane.h: the bus, as the
 * front end wires it) become notifications: a message on
 * wasmcap.resources.updated ({"uri": ...}) is notifications/resources/
 * updated for every session subscribed to that URI; wasmcap.tools.
 * list_changed (resources, prompts) is notifications/.../list_changed for
 * every session that wants it.  Sessions over stdio, Streamable HTTP and
 * the stateless revision's subscriptions/listen streams all get them, by
 * the same paths a plugin's own changes take.
 *
 * Anyone on the bus may publish, so an event is checked before it costs a
 * session anything: at most MCP_EVENT_MAX_BYTES, a JSON object, a "uri"
 * that is a string of at most MCP_MAX_SUBSCRIPTION_URI bytes without
 * control characters.  A bad one is dropped and counted
 * (wasmcap_bus_events_dropped_total).  The handlers run on the
 * backplane's delivery threads, one per subject; a flood waits in (and past
 * its bound is dropped by) the backplane's bounded queue of that subject. */
#include "mcp/internal.h"

#include <string.h>

#include "util/log.h"

#define MCP_EVENT_MAX_BYTES 16384

static const struct {
    const char *subject;
    const char *kind; /* NULL: resources/updated */
} event_subjects[MCP_EVENT_SUBJECTS] = {
    {"wasmcap.resources.updated", NULL},
    {"wasmcap.tools.list_changed", "tools"},
    {"wasmcap.resources.list_changed", "resources"},
    {"wasmcap.prompts.list_changed", "prompts"},
};

/* Logs the first bad events and then every 1000th, so a flood of them
 * cannot flood the log. */
static void drop_event(wc_mcp_server *s, const char *subject, const char *why)
{
    uint64_t n = atomic_fetch_add(&s->events_dropped, 1) + 1;
    if (n <= 10 || n % 1000 == 0)
        wc_log(WC_LOG_WARNING, "events", "dropped an event on %s: %s (%llu dropped so far)",
               subject, why, (unsigned long long)n);
}

static bool uri_ok(const char *uri, size_t len)
{
    if (len == 0 || len > MCP_MAX_SUBSCRIPTION_URI)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)uri[i] < 0x20 || uri[i] == 0x7f)
            return false;
    return true;
}

static void on_resource_updated(wc_mcp_server *s, const char *subject, const void *data,
                                size_t len)
{
    if (len > MCP_EVENT_MAX_BYTES) {
        drop_event(s, subject, "larger than 16 KiB");
        return;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *uri = json_is_object(doc) ? json_object_get(doc, "uri") : NULL;
    if (!doc)
        drop_event(s, subject, "not JSON");
    else if (!json_is_string(uri))
        drop_event(s, subject, "not an object with a string \"uri\"");
    else if (!uri_ok(json_string_value(uri), json_string_length(uri)))
        drop_event(s, subject, "the uri is empty, longer than 4096 bytes or has a control "
                               "character");
    else {
        atomic_fetch_add(&s->events_delivered, 1);
        wc_mcp_server_resource_updated(s, json_string_value(uri));
    }
    json_decref(doc);
}

static void on_event(void *server, const char *subject, const void *data, size_t len)
{
    wc_mcp_server *s = server;
    for (size_t i = 0; i < MCP_EVENT_SUBJECTS; i++) {
        if (strcmp(subject, event_subjects[i].subject) != 0)
            continue;
        if (!event_subjects[i].kind) {
            on_resource_updated(s, subject, data, len);
        } else if (len > MCP_EVENT_MAX_BYTES) {
            drop_event(s, subject, "larger than 16 KiB");
        } else {
            atomic_fetch_add(&s->events_delivered, 1);
            wc_mcp_server_list_changed(s, event_subjects[i].kind);
        }
        return;
    }
}

int wc_mcp_events_start(wc_mcp_server *s, wc_error *err)
{
    const wc_backplane *bp = s->opt.backplane;
    if (!bp || !bp->listen)
        return 0;
    for (size_t i = 0; i < MCP_EVENT_SUBJECTS; i++) {
        wc_error why = {0};
        int rc = bp->listen(bp->ctx, event_subjects[i].subject, on_event, s, &s->event_subs[i],
                            &why);
        if (rc < 0) {
            wc_mcp_events_stop(s);
            why.code = rc;
            return wc_error_set(err, rc, "cannot listen to %s: %s", event_subjects[i].subject,
                                wc_error_message(&why));
        }
    }
    return 0;
}

void wc_mcp_events_stop(wc_mcp_server *s)
{
    const wc_backplane *bp = s->opt.backplane;
    for (size_t i = 0; i < MCP_EVENT_SUBJECTS; i++) {
        if (s->event_subs[i] && bp->unlisten)
            bp->unlisten(bp->ctx, s->event_subs[i]);
        s->event_subs[i] = NULL;
    }
}

void wc_mcp_events_render_metrics(wc_mcp_server *s, wc_buf *out)
{
    wc_buf_printf(out,
                  "# HELP wasmcap_bus_events_total Events from the bus turned into "
                  "notifications.\n"
                  "# TYPE wasmcap_bus_events_total counter\n"
                  "wasmcap_bus_events_total %llu\n"
                  "# HELP wasmcap_bus_events_dropped_total Events from the bus dropped as "
                  "malformed or too large.\n"
                  "# TYPE wasmcap_bus_events_dropped_total counter\n"
                  "wasmcap_bus_events_dropped_total %llu\n",
                  (unsigned long long)atomic_load(&s->events_delivered),
                  (unsigned long long)atomic_load(&s->events_dropped));
}
