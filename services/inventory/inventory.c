/* inventory.c -- wasmcap-inventory: the inventory backend of the design, a
 * NATS service (libnats) that knows the stock on hand and the daily
 * depletion rate of each SKU.  It speaks the NATS services protocol
 * (ADR-32) itself: it answers $SRV.PING, $SRV.INFO and $SRV.STATS (plain,
 * by service name, and by name and id), and its endpoints carry the
 * metadata wasmcap turns into tools (docs/SERVICES.md):
 *
 *   inventory.stock      {"sku": "A1"} -> {"sku": "A1", "on_hand": 120}
 *   inventory.depletion  {"sku": "A1"} -> {"sku": "A1", "daily_depletion": 8.5,
 *                                          "days_of_cover": 14.1}
 *
 * Both in the queue group "q", so instances share the calls.  An unknown
 * SKU is a service error (Nats-Service-Error / -Code 404), bad input 400.
 */
#include <stdarg.h>
#include <inttypes.h>
#include <jansson.h>
#include <nats/nats.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "inventory_data.h"

#define SERVICE_NAME "inventory"
#define SERVICE_VERSION "1.0.0"
#define QUEUE_GROUP "q"
#define MAX_REQUEST_BYTES 4096 /* a request is one SKU; more is refused */

static const char usage_text[] =
    "usage: wasmcap-inventory [--url URL] [--data FILE] [--id ID]\n"
    "\n"
    "The inventory backend service on NATS: stock on hand and daily depletion\n"
    "rates of SKUs, as the endpoints inventory.stock and inventory.depletion\n"
    "(queue group \"q\"), discoverable through the NATS services protocol\n"
    "($SRV.PING, $SRV.INFO, $SRV.STATS).  wasmcap serve with a bus on the same\n"
    "NATS server offers them as the tools inventory-stock and\n"
    "inventory-depletion.  Logs are JSON lines on stderr.\n"
    "\n"
    "options:\n"
    "  --url URL    the NATS server (default nats://127.0.0.1:4222)\n"
    "  --data FILE  SKUs as JSON: {\"A1\": {\"on_hand\": 120, \"daily_depletion\": 8.5}, ...}\n"
    "               (default: a built-in sample of four SKUs)\n"
    "  --id ID      this instance's id (default: random)\n"
    "  -h, --help   show this help\n"
    "\n"
    "exit status: 0 on SIGTERM/SIGINT, 1 if NATS or the data cannot be used, 2 on\n"
    "bad usage.\n";


typedef struct endpoint_stats {
    const char *name, *subject;
    json_t *(*answer)(const inventory_item *item);
    atomic_uint_fast64_t requests, errors;
    atomic_uint_fast64_t processing_ns;
    char last_error[256];
    pthread_mutex_t lock;
} endpoint_stats;

static json_t *stock_of(const inventory_item *item);
static json_t *depletion_of(const inventory_item *item);

static endpoint_stats endpoints[2] = {
    {.name = "stock", .subject = "inventory.stock", .answer = stock_of,
     .lock = PTHREAD_MUTEX_INITIALIZER},
    {.name = "depletion", .subject = "inventory.depletion", .answer = depletion_of,
     .lock = PTHREAD_MUTEX_INITIALIZER},
};

static char service_id[40];
static char started[32];
static inventory_data *data;
static volatile sig_atomic_t stopping;

static void log_json(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_json(const char *level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *line = json_pack("{s:s,s:s,s:s}", "level", level, "component", "inventory", "msg", msg);
    char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
    if (text)
        fprintf(stderr, "%s\n", text);
    free(text);
    json_decref(line);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void reply_json(natsConnection *nc, natsMsg *msg, json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT);
    if (text && natsMsg_GetReply(msg))
        natsConnection_PublishString(nc, natsMsg_GetReply(msg), text);
    free(text);
    json_decref(value);
}

/* The services protocol's error reply: empty data, the error in headers. */
static void reply_error(natsConnection *nc, natsMsg *msg, endpoint_stats *ep, int code,
                        const char *text)
{
    atomic_fetch_add(&ep->errors, 1);
    pthread_mutex_lock(&ep->lock);
    snprintf(ep->last_error, sizeof ep->last_error, "%d:%s", code, text);
    pthread_mutex_unlock(&ep->lock);
    const char *reply = natsMsg_GetReply(msg);
    natsMsg *out = NULL;
    if (!reply || natsMsg_Create(&out, reply, NULL, "", 0) != NATS_OK)
        return;
    char code_text[16];
    snprintf(code_text, sizeof code_text, "%d", code);
    natsMsgHeader_Set(out, "Nats-Service-Error", text);
    natsMsgHeader_Set(out, "Nats-Service-Error-Code", code_text);
    natsConnection_PublishMsg(nc, out);
    natsMsg_Destroy(out);
}

/* The SKU a request names, or NULL after an error reply. */
static const inventory_item *requested_item(natsConnection *nc, natsMsg *msg, endpoint_stats *ep,
                                            const char **sku_out)
{
    int len = natsMsg_GetDataLength(msg);
    if (len > MAX_REQUEST_BYTES) {
        reply_error(nc, msg, ep, 400, "request too large");
        return NULL;
    }
    json_error_t jerr;
    json_t *req = json_loadb(natsMsg_GetData(msg), (size_t)len, 0, &jerr);
    const char *sku = json_string_value(json_object_get(req, "sku"));
    if (!sku) {
        json_decref(req);
        reply_error(nc, msg, ep, 400, "expected {\"sku\": \"...\"}");
        return NULL;
    }
    const inventory_item *item = inventory_find(data, sku);
    if (!item) {
        char text[160];
        snprintf(text, sizeof text, "unknown SKU '%.100s'", sku);
        json_decref(req);
        reply_error(nc, msg, ep, 404, text);
        return NULL;
    }
    *sku_out = item->sku;
    json_decref(req);
    return item;
}

static json_t *stock_of(const inventory_item *item)
{
    return json_pack("{s:s,s:I}", "sku", item->sku, "on_hand", (json_int_t)item->on_hand);
}

static json_t *depletion_of(const inventory_item *item)
{
    json_t *r = json_pack("{s:s,s:f}", "sku", item->sku, "daily_depletion", item->daily_depletion);
    if (r && item->daily_depletion > 0) /* one decimal of days is enough to plan with */
        json_object_set_new(r, "days_of_cover",
                            json_real((double)(long long)(item->on_hand / item->daily_depletion *
                                                          10) / 10));
    return r;
}

/* Both endpoints: the SKU of the request, its answer, the counts STATS
 * reports. */
static void on_endpoint(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)sub;
    endpoint_stats *ep = closure;
    uint64_t t0 = now_ns();
    atomic_fetch_add(&ep->requests, 1);
    const char *sku;
    const inventory_item *item = requested_item(nc, msg, ep, &sku);
    if (item)
        reply_json(nc, msg, ep->answer(item));
    atomic_fetch_add(&ep->processing_ns, now_ns() - t0);
    natsMsg_Destroy(msg);
}

/* "sku" as the shared ontology's Sku (ontology/logistics.tsp), so that
 * `wasmcap check` finds these schemas in agreement with it. */
#define SKU_SCHEMA "{\"type\":\"string\",\"pattern\":\"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$\"}"
static const char sku_schema[] =
    "{\"type\":\"object\",\"properties\":{\"sku\":" SKU_SCHEMA "},"
    "\"required\":[\"sku\"],\"additionalProperties\":false}";
static const char stock_schema[] =
    "{\"type\":\"object\",\"properties\":{\"sku\":" SKU_SCHEMA ","
    "\"on_hand\":{\"type\":\"integer\",\"minimum\":0}},\"required\":[\"sku\",\"on_hand\"]}";
static const char depletion_schema[] =
    "{\"type\":\"object\",\"properties\":{\"sku\":" SKU_SCHEMA ","
    "\"daily_depletion\":{\"type\":\"number\",\"minimum\":0},"
    "\"days_of_cover\":{\"type\":\"number\"}},\"required\":[\"sku\",\"daily_depletion\"]}";

static json_t *info_response(void)
{
    return json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:{},s:[{s:s,s:s,s:s,s:{s:s,s:s,s:s}},{s:s,s:s,s:s,s:{s:s,s:s,s:s}}]}",
        "type", "io.nats.micro.v1.info_response", "name", SERVICE_NAME, "id", service_id,
        "version", SERVICE_VERSION, "description", "Stock levels and depletion rates of SKUs",
        "metadata", "endpoints",
        "name", "stock", "subject", "inventory.stock", "queue_group", QUEUE_GROUP, "metadata",
        "description", "Units of a SKU on hand now", "input_schema", sku_schema, "output_schema",
        stock_schema,
        "name", "depletion", "subject", "inventory.depletion", "queue_group", QUEUE_GROUP,
        "metadata", "description",
        "Daily depletion rate of a SKU (units per day) and the days of cover it leaves",
        "input_schema", sku_schema, "output_schema", depletion_schema);
}

static json_t *stats_response(void)
{
    json_t *eps = json_array();
    for (size_t i = 0; i < 2; i++) {
        endpoint_stats *ep = &endpoints[i];
        uint64_t n = atomic_load(&ep->requests), ns = atomic_load(&ep->processing_ns);
        pthread_mutex_lock(&ep->lock);
        json_array_append_new(
            eps, json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:s}", "name", ep->name, "subject",
                           ep->subject, "queue_group", QUEUE_GROUP, "num_requests", (json_int_t)n,
                           "num_errors", (json_int_t)atomic_load(&ep->errors), "processing_time",
                           (json_int_t)ns, "average_processing_time",
                           (json_int_t)(n ? ns / n : 0), "last_error", ep->last_error));
        pthread_mutex_unlock(&ep->lock);
    }
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:{},s:o}", "type", "io.nats.micro.v1.stats_response",
                     "name", SERVICE_NAME, "id", service_id, "version", SERVICE_VERSION,
                     "started", started, "metadata", "endpoints", eps);
}

static void on_discovery(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)sub;
    const char *kind = closure;
    json_t *r;
    if (strcmp(kind, "PING") == 0)
        r = json_pack("{s:s,s:s,s:s,s:s,s:{}}", "type", "io.nats.micro.v1.ping_response", "name",
                      SERVICE_NAME, "id", service_id, "version", SERVICE_VERSION, "metadata");
    else if (strcmp(kind, "INFO") == 0)
        r = info_response();
    else
        r = stats_response();
    reply_json(nc, msg, r);
    natsMsg_Destroy(msg);
}

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static int subscribe_all(natsConnection *nc, natsSubscription **subs, size_t *n)
{
    static const char *const kinds[] = {"PING", "INFO", "STATS"};
    char subject[160];
    for (size_t k = 0; k < 3; k++) {
        for (int form = 0; form < 3; form++) {
            if (form == 0)
                snprintf(subject, sizeof subject, "$SRV.%s", kinds[k]);
            else if (form == 1)
                snprintf(subject, sizeof subject, "$SRV.%s.%s", kinds[k], SERVICE_NAME);
            else
                snprintf(subject, sizeof subject, "$SRV.%s.%s.%s", kinds[k], SERVICE_NAME,
                         service_id);
            if (natsConnection_Subscribe(&subs[(*n)++], nc, subject, on_discovery,
                                         (void *)kinds[k]) != NATS_OK)
                return -1;
        }
    }
    for (size_t i = 0; i < 2; i++)
        if (natsConnection_QueueSubscribe(&subs[(*n)++], nc, endpoints[i].subject, QUEUE_GROUP,
                                          on_endpoint, &endpoints[i]) != NATS_OK)
            return -1;
    return natsConnection_Flush(nc) == NATS_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *url = "nats://127.0.0.1:4222", *data_file = NULL, *id = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        const char **slot = strcmp(argv[i], "--url") == 0    ? &url
                            : strcmp(argv[i], "--data") == 0 ? &data_file
                            : strcmp(argv[i], "--id") == 0   ? &id
                                                             : NULL;
        if (!slot || i + 1 >= argc) {
            fprintf(stderr, "wasmcap-inventory: %s '%s'\n%s",
                    slot ? "a value is missing after" : "unknown argument", argv[i], usage_text);
            return 2;
        }
        *slot = argv[++i];
    }
    char why[256];
    data = inventory_load(data_file, why, sizeof why);
    if (!data) {
        fprintf(stderr, "wasmcap-inventory: %s\n", why);
        return 1;
    }
    if (id)
        snprintf(service_id, sizeof service_id, "%.39s", id);
    else
        snprintf(service_id, sizeof service_id, "%08lx%08lx", (unsigned long)getpid(),
                 (unsigned long)now_ns() & 0xffffffffu);
    time_t t = time(NULL);
    strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));

    natsOptions *opts = NULL;
    natsConnection *nc = NULL;
    natsSubscription *subs[16] = {0};
    size_t nsubs = 0;
    int status = 1;
    if (natsOptions_Create(&opts) != NATS_OK || natsOptions_SetURL(opts, url) != NATS_OK ||
        natsOptions_SetName(opts, "wasmcap-inventory") != NATS_OK ||
        natsOptions_SetMaxReconnect(opts, -1) != NATS_OK) {
        fprintf(stderr, "wasmcap-inventory: bad NATS options\n");
        goto out;
    }
    natsStatus s = natsConnection_Connect(&nc, opts);
    if (s != NATS_OK) {
        fprintf(stderr, "wasmcap-inventory: cannot connect to %s: %s\n", url,
                natsStatus_GetText(s));
        goto out;
    }
    if (subscribe_all(nc, subs, &nsubs) != 0) {
        fprintf(stderr, "wasmcap-inventory: cannot subscribe: %s\n", nats_GetLastError(NULL));
        goto out;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    log_json("info", "serving %zu SKUs as service '%s' (id %s) on %s", inventory_count(data),
             SERVICE_NAME, service_id, url);
    while (!stopping)
        nats_Sleep(100);
    log_json("info", "stopping");
    status = 0;
out:
    for (size_t i = 0; i < nsubs; i++) {
        if (subs[i]) {
            natsSubscription_Unsubscribe(subs[i]);
            natsSubscription_Destroy(subs[i]);
        }
    }
    natsConnection_Destroy(nc);
    natsOptions_Destroy(opts);
    nats_Close();
    inventory_free(data);
    return status;
}
