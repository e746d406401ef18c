/* extism_user.c -- hyper-mcp's host functions, module "extism:host/user"
 * (extism.h), on the client port the protocol layer implements.
 *
 * Each takes and returns JSON in Extism blocks, shaped as hyper-mcp's
 * (rmcp's) parameters and results: create_message (sampling/createMessage),
 * create_elicitation (elicitation/create), list_roots (roots/list),
 * notify_logging_message, notify_progress, notify_tool_list_changed,
 * notify_prompt_list_changed, notify_resource_list_changed,
 * notify_resource_updated and notify_url_elicitation_completed.  Sampling
 * and elicitation are denied unless the plugin's permissions grant them,
 * with a message naming the key; where hyper-mcp answers for a client that
 * lacks a capability (elicitation declined, no roots), so does this.  A
 * failure stops the call with its reason, as a failed host function does
 * in Extism.
 */
#include "host/extism_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json/parse.h"
#include "util/error.h"

static wc_trap stop(wc_instance *caller, const char *fn, const char *fmt, const char *a,
                    const char *b)
{
    char msg[400];
    snprintf(msg, sizeof msg, fmt, a ? a : "", b ? b : "");
    wc_instance_set_trap_message(caller, "extism:host/user %s: %s", fn, msg);
    return WC_TRAP_HOST;
}

/* The JSON object in the block at addr, or NULL with the trap message. */
static json_t *input_object(wc_instance *caller, wc_extism_call *c, uint64_t addr, const char *fn)
{
    wc_extism_block *b = wc_extism_block_at(c, addr);
    if (!b) {
        stop(caller, fn, "invalid handle offset for its input", NULL, NULL);
        return NULL;
    }
    wc_json_error jerr;
    json_t *v = wc_json_parse(b->data ? (const char *)b->data : "", b->len, 0, &jerr);
    if (!json_is_object(v)) {
        bool parsed = v != NULL;
        json_decref(v);
        stop(caller, fn, "its input is not a JSON object%s%s", parsed ? "" : ": ",
             parsed ? NULL : jerr.text);
        return NULL;
    }
    return v;
}

/* Puts value (stolen) into a new block: its address in results[0]. */
static wc_trap answer(wc_instance *caller, wc_extism_call *c, const char *fn, json_t *value,
                      wc_value *results)
{
    char *text = value ? json_dumps(value, JSON_COMPACT) : NULL;
    json_decref(value);
    results[0].i64 = text ? wc_extism_store(c, text, strlen(text)) : 0;
    free(text);
    if (!results[0].i64)
        return stop(caller, fn, "the answer does not fit the plugin's memory limit", NULL, NULL);
    return WC_TRAP_NONE;
}

static uint32_t timeout_of(const wc_permissions *perms)
{
    return perms->timeout_ms ? perms->timeout_ms : WC_DEFAULT_TIMEOUT_MS;
}

/* A request to the client; its result, or NULL with the trap message. */
static json_t *ask(wc_instance *caller, wc_wasmcap_host *host, const char *fn, const char *method,
                   json_t *params, uint32_t timeout_ms)
{
    const wc_client_port *client = host->client;
    json_t *result = NULL;
    wc_error err = {0};
    int rc = client->request(client->ctx, method, params, (int)timeout_ms, &result, &err);
    if (rc == 0 && result)
        return result;
    json_decref(result);
    if (wc_cancel_token_cancelled(host->cancel))
        stop(caller, fn, "the call was cancelled", NULL, NULL);
    else
        stop(caller, fn, "%s failed: %s", method, rc ? wc_error_message(&err) : "no answer");
    return NULL;
}

static wc_trap denied(wc_instance *caller, wc_wasmcap_host *host, const char *fn,
                      const char *permission)
{
    char msg[400];
    const char *p = host->plugin ? host->plugin : "?";
    snprintf(msg, sizeof msg, "%s is not granted to plugin '%s': set plugins.%s.permissions.%s to "
                              "true in wasmcap.json", permission, p, p, permission);
    wc_instance_set_trap_message(caller, "extism:host/user %s: %s", fn, msg);
    return WC_TRAP_HOST;
}

static wc_trap u_create_message(wc_instance *caller, void *env, const wc_value *args,
                                wc_value *results)
{
    EXTISM_ENTER("create_message");
    if (!host->perms->sampling)
        return denied(caller, host, "create_message", "sampling");
    if (!host->client->can_sample || !host->client->request)
        return stop(caller, "create_message", "Peer does not support sampling", NULL, NULL);
    json_t *params = input_object(caller, c, args[0].i64, "create_message");
    if (!params)
        return WC_TRAP_HOST;
    json_t *result = ask(caller, host, "create_message", "sampling/createMessage", params,
                         timeout_of(host->perms));
    json_decref(params);
    return result ? answer(caller, c, "create_message", result, results) : WC_TRAP_HOST;
}

static wc_trap u_create_elicitation(wc_instance *caller, void *env, const wc_value *args,
                                    wc_value *results)
{
    EXTISM_ENTER("create_elicitation");
    if (!host->perms->elicitation)
        return denied(caller, host, "create_elicitation", "elicitation");
    json_t *params = input_object(caller, c, args[0].i64, "create_elicitation");
    if (!params)
        return WC_TRAP_HOST;
    if (!host->client->can_elicit || !host->client->request) {
        json_decref(params); /* hyper-mcp declines for such a client */
        return answer(caller, c, "create_elicitation", json_pack("{s:s}", "action", "decline"),
                      results);
    }
    /* rmcp's ElicitRequestParamWithTimeout: the request's members and an
     * optional timeout (milliseconds here), which never outlasts the call */
    uint32_t timeout = timeout_of(host->perms);
    json_t *t = json_object_get(params, "timeout");
    if (json_is_number(t) && json_number_value(t) >= 0 && json_number_value(t) < timeout)
        timeout = (uint32_t)json_number_value(t);
    json_object_del(params, "timeout");
    json_t *result = ask(caller, host, "create_elicitation", "elicitation/create", params, timeout);
    json_decref(params);
    return result ? answer(caller, c, "create_elicitation", result, results) : WC_TRAP_HOST;
}

static wc_trap u_list_roots(wc_instance *caller, void *env, const wc_value *args,
                            wc_value *results)
{
    EXTISM_ENTER("list_roots");
    json_t *roots = NULL;
    if (host->client->request) {
        json_t *params = json_object();
        json_t *result = NULL;
        int rc = host->client->request(host->client->ctx, "roots/list", params,
                                       (int)timeout_of(host->perms), &result, NULL);
        json_decref(params);
        if (rc == 0 && json_is_object(result))
            roots = result;
        else
            json_decref(result);
        if (wc_cancel_token_cancelled(host->cancel))
            return WC_TRAP_INTERRUPTED;
    }
    /* a client without roots has none, as hyper-mcp answers */
    return answer(caller, c, "list_roots", roots ? roots : json_pack("{s:[]}", "roots"), results);
}

static wc_trap u_notify_logging_message(wc_instance *caller, void *env, const wc_value *args,
                                        wc_value *results)
{
    EXTISM_ENTER("notify_logging_message");
    json_t *msg = input_object(caller, c, args[0].i64, "notify_logging_message");
    if (!msg)
        return WC_TRAP_HOST;
    int level = wc_log_level_parse(json_string_value(json_object_get(msg, "level")) ?
                                   json_string_value(json_object_get(msg, "level")) : "");
    if (level < 0 || !json_object_get(msg, "data")) {
        json_decref(msg);
        return stop(caller, "notify_logging_message", "expected {\"level\": a log level, "
                    "\"data\": ...}", NULL, NULL);
    }
    char *text = json_dumps(msg, JSON_COMPACT);
    bool fits = text && wc_wasmcap_log_fits(host, strlen(text));
    free(text);
    if (fits && level >= host->client->min_log_level && host->client->notify)
        host->client->notify(host->client->ctx, "notifications/message", json_incref(msg));
    json_decref(msg);
    return WC_TRAP_NONE;
}

static wc_trap u_notify_progress(wc_instance *caller, void *env, const wc_value *args,
                                 wc_value *results)
{
    EXTISM_ENTER("notify_progress");
    json_t *msg = input_object(caller, c, args[0].i64, "notify_progress");
    if (!msg)
        return WC_TRAP_HOST;
    json_t *progress = json_object_get(msg, "progress"), *total = json_object_get(msg, "total");
    if (!json_is_number(progress) || (total && !json_is_number(total) && !json_is_null(total))) {
        json_decref(msg);
        return stop(caller, "notify_progress", "expected {\"progress\": a number, \"total\": a "
                    "number, ...}", NULL, NULL);
    }
    double p = json_number_value(progress), t = json_is_number(total) ? json_number_value(total) : 0;
    /* the call's own progress token: a plugin cannot speak for another request */
    if (isfinite(p) && isfinite(t))
        wc_client_progress(host->client, p, t, json_string_value(json_object_get(msg, "message")));
    json_decref(msg);
    return WC_TRAP_NONE;
}

#define LIST_CHANGED(fn, kind)                                                     \
    static wc_trap u_##fn(wc_instance *caller, void *env, const wc_value *args,    \
                          wc_value *results)                                       \
    {                                                                              \
        EXTISM_ENTER(#fn);                                                         \
        wc_client_list_changed(host->client, kind);                                \
        return WC_TRAP_NONE;                                                       \
    }
LIST_CHANGED(notify_tool_list_changed, "tools")
LIST_CHANGED(notify_prompt_list_changed, "prompts")
LIST_CHANGED(notify_resource_list_changed, "resources")

static wc_trap u_notify_resource_updated(wc_instance *caller, void *env, const wc_value *args,
                                         wc_value *results)
{
    EXTISM_ENTER("notify_resource_updated");
    json_t *msg = input_object(caller, c, args[0].i64, "notify_resource_updated");
    if (!msg)
        return WC_TRAP_HOST;
    const char *uri = json_string_value(json_object_get(msg, "uri"));
    if (!uri || !*uri) {
        json_decref(msg);
        return stop(caller, "notify_resource_updated", "expected {\"uri\": a string}", NULL, NULL);
    }
    wc_client_resource_updated(host->client, uri);
    json_decref(msg);
    return WC_TRAP_NONE;
}

static wc_trap u_notify_url_elicitation_completed(wc_instance *caller, void *env,
                                                  const wc_value *args, wc_value *results)
{
    EXTISM_ENTER("notify_url_elicitation_completed");
    json_t *msg = input_object(caller, c, args[0].i64, "notify_url_elicitation_completed");
    if (!msg)
        return WC_TRAP_HOST;
    if (!json_is_string(json_object_get(msg, "elicitationId"))) {
        json_decref(msg);
        return stop(caller, "notify_url_elicitation_completed",
                    "expected {\"elicitationId\": a string}", NULL, NULL);
    }
    if (!host->perms->elicitation) {
        json_decref(msg);
        return denied(caller, host, "notify_url_elicitation_completed", "elicitation");
    }
    if (host->client->notify)
        host->client->notify(host->client->ctx, "notifications/elicitation/complete",
                             json_pack("{s:O}", "elicitationId",
                                       json_object_get(msg, "elicitationId")));
    json_decref(msg);
    return WC_TRAP_NONE;
}

#define USER(name, params, results) \
    WC_HOST_FUNC(WC_EXTISM_USER_MODULE, #name, params, results, u_##name, NULL)

static const wc_import_binding user_bindings[] = {
    USER(create_message, "I", "I"),
    USER(create_elicitation, "I", "I"),
    USER(list_roots, "", "I"),
    USER(notify_logging_message, "I", ""),
    USER(notify_progress, "I", ""),
    USER(notify_tool_list_changed, "", ""),
    USER(notify_prompt_list_changed, "", ""),
    USER(notify_resource_list_changed, "", ""),
    USER(notify_resource_updated, "I", ""),
    USER(notify_url_elicitation_completed, "I", ""),
};

size_t wc_extism_user_bindings(const wc_import_binding **out)
{
    *out = user_bindings;
    return sizeof user_bindings / sizeof user_bindings[0];
}
