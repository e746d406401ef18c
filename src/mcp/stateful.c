/* stateful.c -- the initialize-based era of MCP (revisions 2024-11-05,
 * 2025-03-26, 2025-06-18, 2025-11-25): a session negotiates its revision
 * once with initialize (methods.c), hears list changes once initialized
 * and resource updates it subscribed to on its own stream, and may be
 * sent requests (sampling, elicitation) by a plugin's call.  Results go
 * out as plugins wrote them, trimmed for 2025-03-26 (revision.c); an
 * input-required result cannot be carried at all.
 */
#include "mcp/internal.h"

#include <stdio.h>

static void finish(mcp_job *job, mcp_answer *a)
{
    if (a->rc == 0 && a->result && wc_input_required_check(a->result, NULL) > 0) {
        /* A session client could not answer the round. */
        snprintf(a->message, sizeof a->message, "%s asked the client for input, which only "
                 "protocol revision 2026-07-28 can carry (this session speaks %s)",
                 job->method->name, job->session->version);
        a->rc = WC_RPC_INTERNAL;
        a->err = a->message;
    }
    if (a->rc == 0 && a->result && job->session->shapes_2025_03_26) {
        json_t *trimmed = wc_mcp_revision_2025_03_26(job->method->name, a->result);
        if (trimmed)
            a->result = a->made = trimmed;
    }
}

static void list_changed(wc_mcp_session *s, unsigned kind, const char *method)
{
    (void)kind; /* a session hears every list's changes */
    pthread_mutex_lock(&s->lock);
    bool initialized = s->state == MCP_INITIALIZED && !s->closing;
    pthread_mutex_unlock(&s->lock);
    if (initialized)
        wc_mcp_session_notify(s, method, NULL);
}

static void resource_updated(wc_mcp_session *s, const char *uri)
{
    pthread_mutex_lock(&s->lock);
    bool subscribed = !s->closing && s->subscriptions && json_object_get(s->subscriptions, uri);
    pthread_mutex_unlock(&s->lock);
    if (subscribed)
        wc_mcp_session_notify(s, "notifications/resources/updated",
                              json_pack("{s:s}", "uri", uri));
}

const mcp_era wc_mcp_era_stateful = {
    .methods = MCP_ERA_SESSION,
    .revision = NULL,
    .unknown_method_status = 0,
    .client_requests = true,
    .result_text = true,
    .admit = NULL,
    .open = NULL,
    .finish = finish,
    .list_changed = list_changed,
    .resource_updated = resource_updated,
};
