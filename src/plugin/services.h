/* services.h -- backend services on the bus as tools (docs/SERVICES.md).
 *
 * Any service that speaks the NATS services protocol (ADR-32: it answers
 * $SRV.INFO with an io.nats.micro.v1.info_response) becomes tools with no
 * code in wasmcap: each endpoint is one tool, its metadata keys
 * "description", "input_schema" and "output_schema" (schemas as JSON text)
 * describe it, and a call is a request to the endpoint's subject with the
 * call's deadline.  Services come from the config (declared) and from
 * discovery: a $SRV.INFO request at start and every interval, whose
 * replies are gathered for a window.
 *
 * What discovery finds is a service set: immutable and reference counted,
 * like a registry, so a registry built over one (wc_registry_with_services)
 * keeps it while calls run.  When a round finds a different set (a service
 * appeared, vanished or changed its endpoints) the owner's changed hook
 * runs, on the discovery thread; the owner builds a registry over the new
 * set and swaps it in, which tells the clients tools/list_changed.
 *
 * Bounds, and what happens past them:
 *   - max_services distinct services and max_endpoints tools in a set: the
 *     ones past the cap are left out, and counted (dropped);
 *   - max_info_bytes of one INFO reply, and max_services * 4 replies read
 *     in one round: a bigger reply, one past the count, or one that is not
 *     a well-formed info_response is ignored and counted (malformed, or
 *     dropped for the count);
 *   - a schema that does not compile leaves the endpoint out (malformed).
 * A service that answered once vanishes when it misses two rounds.
 */
#ifndef WC_PLUGIN_SERVICES_H
#define WC_PLUGIN_SERVICES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugin/call.h"
#include "util/buf.h"
#include "util/error.h"

typedef struct wc_bus wc_bus;

typedef struct wc_services_settings {
    bool discover;            /* $SRV.INFO discovery; default true */
    uint32_t interval_ms;     /* between discovery rounds; default 5,000 */
    uint32_t window_ms;       /* replies gathered per round; default 300 */
    uint32_t timeout_ms;      /* a call's deadline; default 5,000 */
    size_t max_services;      /* default 64 */
    size_t max_endpoints;     /* tools from services; default 256 */
    size_t max_info_bytes;    /* one INFO reply; default 64 KiB */
    json_t *declared;         /* array of info objects from the config, or NULL */
} wc_services_settings;

void wc_services_settings_init(wc_services_settings *s);
/* Reads section (the bus section's "services" member; NULL: every
 * default).  Returns 0 or WC_EINVAL with the key named in err. */
int wc_services_settings_parse(const json_t *section, wc_services_settings *out, wc_error *err);
void wc_services_settings_free(wc_services_settings *s);

/* One endpoint as a tool. */
typedef struct wc_service_endpoint wc_service_endpoint;
typedef struct wc_service_set wc_service_set;

wc_service_set *wc_service_set_retain(wc_service_set *set);
void wc_service_set_release(wc_service_set *set);
size_t wc_service_set_count(const wc_service_set *set);
const wc_service_endpoint *wc_service_set_get(const wc_service_set *set, size_t i);
/* The endpoint's exposed tool name, its service's name, and its Tool
 * descriptor (borrowed while the set lives). */
const char *wc_service_endpoint_tool(const wc_service_endpoint *e);
const char *wc_service_endpoint_service(const wc_service_endpoint *e);
const json_t *wc_service_endpoint_descriptor(const wc_service_endpoint *e);

/* Builds a set from info objects (an array of io.nats.micro.v1.info_response
 * shapes): for tests and for the declared services.  Malformed ones are
 * skipped and counted into *malformed (may be NULL). */
int wc_service_set_from_infos(const json_t *infos, const wc_services_settings *s,
                              wc_service_set **out, uint64_t *malformed, wc_error *err);

/* tools/call of an endpoint: the arguments checked against input_schema,
 * a request on the bus within the settings' timeout, the reply turned into
 * a CallToolResult.  A timeout, no responder, the bus unavailable, a
 * service error header, a reply that is not JSON or breaks the
 * outputSchema: each is a result with isError and says which.  Returns 0
 * with *result, or WC_ENOMEM / WC_ECANCELED (an attempt: it waits, so it
 * runs on a worker). */
int wc_service_call(const wc_service_endpoint *e, wc_bus *bus, const json_t *arguments,
                    wc_call *call, json_t **result, wc_error *err);

typedef struct wc_services wc_services;
typedef void (*wc_services_changed_fn)(void *ctx);

/* Starts discovery on bus (borrowed; it outlives the services) with the
 * declared services in the first set.  changed(ctx) runs on the discovery
 * thread after the set changed. */
int wc_services_start(const wc_services_settings *s, wc_bus *bus, wc_services_changed_fn changed,
                      void *ctx, wc_services **out, wc_error *err);
/* Stops discovery (waits for its thread) and frees. */
void wc_services_stop(wc_services *svc);
/* The set now, retained (release it). */
wc_service_set *wc_services_current(wc_services *svc);
/* Runs a round now, on the calling thread, instead of waiting for the
 * interval; returns whether the set changed. */
bool wc_services_discover_now(wc_services *svc);

typedef struct wc_services_stats {
    uint64_t rounds;      /* discovery rounds run */
    uint64_t replies;     /* INFO replies read */
    uint64_t malformed;   /* replies or endpoints ignored as malformed */
    uint64_t dropped;     /* replies, services, endpoints past a cap */
    uint64_t services;    /* distinct services in the set now */
    uint64_t tools;       /* tools in the set now */
} wc_services_stats;

void wc_services_get_stats(wc_services *svc, wc_services_stats *out);
/* wasmcap_services_* series for /metrics (svc may be NULL: nothing). */
void wc_services_render_metrics(wc_services *svc, wc_buf *out);

#endif
