/* bus_service.h -- a backend service for the tests, on any wc_bus: it
 * answers $SRV.INFO (and $SRV.INFO.<name>) with an info_response and
 * serves endpoints in the queue group "q", each with a behaviour:
 *
 *   echo       the request back
 *   stock      {"sku": ..., "on_hand": 12, "instance": <instance>}
 *   silent     no answer (the caller times out)
 *   failing    Nats-Service-Error "out of stock", code 409
 *   garbage    "not json{"
 *   bad_shape  {"on_hand": "many"} (breaks stock's outputSchema)
 *   absent     advertised, never subscribed (no responders)
 *
 *     bus_service svc;
 *     bus_service_start(&svc, bus, "inventory", 1);
 *     ... svc.calls[...] ...
 *     bus_service_stop(&svc);
 */
#ifndef WC_TESTS_BUS_SERVICE_H
#define WC_TESTS_BUS_SERVICE_H

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"

#define BUS_SERVICE_ENDPOINTS 7

typedef struct bus_service {
    wc_bus *bus;
    char name[64];
    int instance;
    wc_bus_sub *subs[BUS_SERVICE_ENDPOINTS + 2];
    size_t nsubs;
    atomic_int calls; /* endpoint requests this instance answered */
    atomic_int infos; /* INFO requests it answered */
} bus_service;

static const char *const bus_service_endpoints[BUS_SERVICE_ENDPOINTS] = {
    "echo", "stock", "silent", "failing", "garbage", "bad_shape", "absent"};

/* The info_response of a service called name (ADR-32's shape). */
static inline void bus_service_info(const char *name, int instance, char *out, size_t size)
{
    static const char stock_in[] =
        "{\\\"type\\\":\\\"object\\\",\\\"properties\\\":{\\\"sku\\\":{\\\"type\\\":\\\"string\\\"}},"
        "\\\"required\\\":[\\\"sku\\\"]}";
    static const char stock_out[] =
        "{\\\"type\\\":\\\"object\\\",\\\"properties\\\":{\\\"on_hand\\\":{\\\"type\\\":\\\"integer\\\"}},"
        "\\\"required\\\":[\\\"on_hand\\\"]}";
    int n = snprintf(out, size,
                     "{\"type\":\"io.nats.micro.v1.info_response\",\"name\":\"%s\",\"id\":\"%s-%d\","
                     "\"version\":\"1.0.0\",\"description\":\"a test service\",\"metadata\":{},"
                     "\"endpoints\":[",
                     name, name, instance);
    for (int i = 0; i < BUS_SERVICE_ENDPOINTS && n > 0 && (size_t)n < size; i++) {
        const char *e = bus_service_endpoints[i];
        bool shaped = strcmp(e, "stock") == 0 || strcmp(e, "bad_shape") == 0;
        n += snprintf(out + n, size - (size_t)n,
                      "%s{\"name\":\"%s\",\"subject\":\"%s.%s\",\"queue_group\":\"q\","
                      "\"metadata\":{\"description\":\"%s of %s\"%s%s%s%s%s}}",
                      i ? "," : "", e, name, e, e, name, shaped ? ",\"input_schema\":\"" : "",
                      shaped ? stock_in : "", shaped ? "\",\"output_schema\":\"" : "",
                      shaped ? stock_out : "", shaped ? "\"" : "");
    }
    if (n > 0 && (size_t)n < size)
        snprintf(out + n, size - (size_t)n, "]}");
}

static inline void bus_service_reply(bus_service *s, const wc_bus_msg *msg, const char *text,
                                     const wc_bus_header *headers, size_t nheaders)
{
    if (!msg->reply)
        return;
    wc_bus_msg r = {.subject = msg->reply, .headers = headers, .header_count = nheaders,
                    .data = text, .len = strlen(text)};
    wc_bus_publish(s->bus, &r);
}

static inline void bus_service_on_info(void *ctx, const wc_bus_msg *msg)
{
    bus_service *s = ctx;
    char info[8192];
    bus_service_info(s->name, s->instance, info, sizeof info);
    atomic_fetch_add(&s->infos, 1);
    bus_service_reply(s, msg, info, NULL, 0);
}

static inline void bus_service_on_call(void *ctx, const wc_bus_msg *msg)
{
    bus_service *s = ctx;
    const char *endpoint = strrchr(msg->subject, '.') + 1;
    atomic_fetch_add(&s->calls, 1);
    char out[1024];
    if (strcmp(endpoint, "echo") == 0) {
        snprintf(out, sizeof out, "%.*s", (int)msg->len, (const char *)msg->data);
        bus_service_reply(s, msg, out, NULL, 0);
    } else if (strcmp(endpoint, "stock") == 0) {
        snprintf(out, sizeof out, "{\"on_hand\":12,\"instance\":%d}", s->instance);
        bus_service_reply(s, msg, out, NULL, 0);
    } else if (strcmp(endpoint, "failing") == 0) {
        wc_bus_header h[] = {{"Nats-Service-Error", "out of stock"},
                             {"Nats-Service-Error-Code", "409"}};
        bus_service_reply(s, msg, "", h, 2);
    } else if (strcmp(endpoint, "garbage") == 0) {
        bus_service_reply(s, msg, "not json{", NULL, 0);
    } else if (strcmp(endpoint, "bad_shape") == 0) {
        bus_service_reply(s, msg, "{\"on_hand\":\"many\"}", NULL, 0);
    }
    /* silent: no answer */
}

static inline int bus_service_start(bus_service *s, wc_bus *bus, const char *name, int instance)
{
    memset(s, 0, sizeof *s);
    s->bus = bus;
    s->instance = instance;
    snprintf(s->name, sizeof s->name, "%s", name);
    char subject[160];
    int rc = wc_bus_subscribe(bus, "$SRV.INFO", NULL, bus_service_on_info, s, &s->subs[s->nsubs++]);
    snprintf(subject, sizeof subject, "$SRV.INFO.%s", name);
    if (!rc)
        rc = wc_bus_subscribe(bus, subject, NULL, bus_service_on_info, s, &s->subs[s->nsubs++]);
    for (int i = 0; !rc && i < BUS_SERVICE_ENDPOINTS; i++) {
        if (strcmp(bus_service_endpoints[i], "absent") == 0)
            continue;
        snprintf(subject, sizeof subject, "%s.%s", name, bus_service_endpoints[i]);
        rc = wc_bus_subscribe(bus, subject, "q", bus_service_on_call, s, &s->subs[s->nsubs++]);
    }
    if (rc)
        s->nsubs--;
    return rc;
}

static inline void bus_service_stop(bus_service *s)
{
    for (size_t i = 0; i < s->nsubs; i++)
        wc_bus_unsubscribe(s->subs[i]);
    s->nsubs = 0;
}

#endif
