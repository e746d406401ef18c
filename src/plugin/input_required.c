/* input_required.c -- what a plugin may answer instead of a result when it
 * needs something from the client first (protocol revision 2026-07-28,
 * SEP-2322): {"resultType": "input_required", "inputRequests": {key:
 * {"method", "params"}}, "requestState": "..."}.  The client answers the
 * requests and sends the same request again with "inputResponses" by key
 * and the state, which the plugin reads through request_context.
 */
#include "plugin/registry.h"

#include <stdio.h>
#include <string.h>

#define MAX_INPUT_REQUESTS 32
#define MAX_STATE_BYTES (32u << 10)

static const char *const input_methods[] = {"elicitation/create", "sampling/createMessage",
                                            "roots/list"};

const char *wc_input_method_capability(const char *method)
{
    if (strcmp(method, "elicitation/create") == 0)
        return "elicitation";
    if (strcmp(method, "sampling/createMessage") == 0)
        return "sampling";
    if (strcmp(method, "roots/list") == 0)
        return "roots";
    return NULL;
}

int wc_input_required_check(const json_t *res, wc_error *why)
{
    const json_t *type = json_object_get(res, "resultType");
    if (!type)
        return 0;
    if (!json_is_string(type))
        return wc_error_set(why, WC_EINVAL, "resultType must be a string");
    if (strcmp(json_string_value(type), "complete") == 0)
        return 0;
    if (strcmp(json_string_value(type), "input_required") != 0)
        return wc_error_set(why, WC_EINVAL,
                            "resultType must be \"complete\" or \"input_required\", not "
                            "\"%.40s\"", json_string_value(type));
    const json_t *requests = json_object_get(res, "inputRequests");
    const json_t *state = json_object_get(res, "requestState");
    if (!requests && !state)
        return wc_error_set(why, WC_EINVAL,
                            "an input_required result needs inputRequests, requestState "
                            "or both");
    if (state && (!json_is_string(state) || json_string_length(state) > MAX_STATE_BYTES))
        return wc_error_set(why, WC_EINVAL, "requestState must be a string of at most %u bytes",
                            MAX_STATE_BYTES);
    if (!requests)
        return 1;
    if (!json_is_object(requests) || json_object_size(requests) > MAX_INPUT_REQUESTS)
        return wc_error_set(why, WC_EINVAL,
                            "inputRequests must be an object of at most %d requests",
                            MAX_INPUT_REQUESTS);
    const char *key;
    const json_t *r;
    json_object_foreach((json_t *)requests, key, r) {
        const char *method = json_string_value(json_object_get(r, "method"));
        bool known = false;
        for (size_t i = 0; method && i < sizeof input_methods / sizeof input_methods[0]; i++)
            known |= strcmp(method, input_methods[i]) == 0;
        const json_t *params = json_object_get(r, "params");
        if (!json_is_object(r) || !known || (params && !json_is_object(params)))
            return wc_error_set(why, WC_EINVAL, "inputRequests.%.60s must be {\"method\": "
                                "\"elicitation/create\" | \"sampling/createMessage\" | \"roots/list\", "
                                "\"params\": {...}}", key);
    }
    return 1;
}
