/* service_call.c -- a tools/call of a service endpoint: a request on the
 * bus, its reply as a CallToolResult.  Every way it can go wrong is a
 * result with isError that says which, as a plugin tool's failures are. */
#include "plugin/service_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "plugin/plugin_internal.h"
#include "util/clock.h"

static json_t *failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *failed(const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    json_t *block = wc_text_block(text, strlen(text));
    return block ? json_pack("{s:[o],s:b}", "content", block, "isError", 1) : NULL;
}

static json_t *from_request_error(const wc_service_endpoint *e, int rc, const wc_error *why)
{
    switch (rc) {
    case WC_ETIMEDOUT:
        return failed("service '%s' did not answer within %u ms (timeout on subject '%s')",
                      e->service, e->timeout_ms, e->subject);
    case WC_ENORESPONDERS:
        return failed("service '%s' has no responders on subject '%s' (no instance is running)",
                      e->service, e->subject);
    case WC_ENOTCONN:
        return failed("bus unavailable: service '%s' cannot be reached now", e->service);
    default:
        return failed("service '%s': the request failed: %s", e->service, why->msg);
    }
}

/* A reply with the services protocol's error headers. */
static json_t *from_service_error(const wc_service_endpoint *e, const wc_bus_msg *reply,
                                  const char *text)
{
    const char *code = wc_bus_msg_header(reply, "Nats-Service-Error-Code");
    return failed("service '%s' answered with an error%s%s: %s", e->service, code ? " " : "",
                  code ? code : "", text);
}

static const wc_schema_budget *budget_until(wc_schema_budget *b, uint64_t deadline_ns)
{
    *b = (wc_schema_budget){.deadline_ns = deadline_ns};
    return b;
}

int wc_service_call(const wc_service_endpoint *e, wc_bus *bus, const json_t *arguments,
                    wc_call *call, json_t **result, wc_error *err)
{
    *result = NULL;
    if (call && call->io.inline_budget_ms) {
        /* A request waits for its reply: not on an event loop's thread. */
        wc_call_abort_attempt(call);
        return wc_error_set(err, WC_ECANCELED, "a service call runs on a worker");
    }
    if (call)
        call->io.plugin = e->service;
    uint64_t deadline = wc_monotonic_deadline_ns(e->timeout_ms);
    wc_schema_budget budget;
    const json_t *args = arguments ? arguments : NULL;
    json_t *empty = args ? NULL : json_object();
    if (!args)
        args = empty;
    if (!json_is_object(args)) {
        json_decref(empty);
        *result = failed("arguments of tool '%s' must be an object", e->tool);
        return *result ? 0 : wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    const char *raw = call ? call->io.arguments_text : NULL;
    size_t raw_len = call ? call->io.arguments_len : 0;
    if (e->input) {
        /* With the client's text at hand the value may be an empty
         * stand-in (mcp/jsonrpc.c): the text is what is checked. */
        wc_error why;
        int verdict = raw ? wc_schema_check_object_text(e->input, raw, raw_len,
                                                        budget_until(&budget, deadline), &why)
                          : WC_SCHEMA_UNDECIDED;
        if (verdict == WC_SCHEMA_UNDECIDED) {
            json_t *parsed = raw ? json_loadb(raw, raw_len, JSON_REJECT_DUPLICATES, NULL) : NULL;
            if (raw && !parsed)
                wc_error_set(&why, WC_EINVAL, "the arguments are not valid JSON");
            verdict = !raw || parsed ? wc_schema_check(e->input, parsed ? parsed : args,
                                                       budget_until(&budget, deadline), &why)
                                     : WC_SCHEMA_INVALID;
            json_decref(parsed);
        }
        if (verdict != WC_SCHEMA_VALID) {
            json_decref(empty);
            *result = failed("invalid arguments for tool '%s': %s", e->tool, why.msg);
            return *result ? 0 : wc_error_set(err, WC_ENOMEM, "out of memory");
        }
    }
    char *owned = NULL;
    const char *text = raw;
    size_t len = raw_len;
    if (!text) {
        owned = json_dumps(args, JSON_COMPACT);
        text = owned;
        len = owned ? strlen(owned) : 0;
    }
    json_decref(empty);
    if (!text)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    wc_bus_msg request = {.subject = e->subject, .data = text, .len = len};
    wc_bus_msg *reply = NULL;
    wc_error why = {0};
    int rc = wc_bus_request(bus, &request, e->timeout_ms, &reply, &why);
    free(owned);
    if (rc != 0) {
        *result = from_request_error(e, rc, &why);
        return *result ? 0 : wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    const char *reply_text = reply->len ? reply->data : "";
    int reply_len = reply->len > 512 ? 512 : (int)reply->len;
    const char *service_error = wc_bus_msg_header(reply, "Nats-Service-Error");
    json_error_t jerr;
    json_t *value = NULL;
    if (service_error) {
        *result = from_service_error(e, reply, service_error);
    } else if (!(value = json_loadb(reply_text, reply->len, JSON_DECODE_ANY, &jerr))) {
        *result = failed("service '%s' answered with a reply that is not JSON (%s): %.*s",
                         e->service, jerr.text, reply_len, reply_text);
    } else if (e->output && !json_is_object(value)) {
        *result = failed("service '%s' answered with a reply that breaks the outputSchema of "
                         "tool '%s': structured content must be an object", e->service, e->tool);
    } else if (e->output && wc_schema_check(e->output, value, budget_until(&budget, deadline),
                                            &why) != WC_SCHEMA_VALID) {
        *result = failed("service '%s' answered with a reply that breaks the outputSchema of "
                         "tool '%s': %s", e->service, e->tool, why.msg);
    } else {
        json_t *block = wc_text_block(reply_text, reply->len);
        *result = block ? json_pack("{s:[o]}", "content", block) : NULL;
        if (*result && json_is_object(value))
            json_object_set(*result, "structuredContent", value);
    }
    json_decref(value);
    wc_bus_msg_free(reply);
    return *result ? 0 : wc_error_set(err, WC_ENOMEM, "out of memory");
}
