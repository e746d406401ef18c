/* bus_backplane.h -- the server's backplane (mcp/backplane.h) on the event
 * bus: events are bus subscriptions, audit records bus messages, kept
 * records a stream (JetStream with NATS), the bus's state goes into
 * /metrics and /healthz, and in a cluster the sessions' state lives in a KV
 * bucket (JetStream KV with NATS). */
#ifndef WC_CLI_BUS_BACKPLANE_H
#define WC_CLI_BUS_BACKPLANE_H

#include <stdatomic.h>

#include "bus/bus.h"
#include "mcp/backplane.h"

/* What a cluster keeps on the bus. */
typedef struct wc_bus_cluster_config {
    /* The sessions' state: a KV bucket; its ttl_ms is the port's
     * session_ttl_ms. */
    wc_bus_kv_config sessions;
    /* The sessions' logs: one stream, a subject per session
     * (wasmcap.cluster.log.<id>), at most log_events per session. */
    const char *log_stream;
    uint64_t log_events, log_max_age_ms, log_max_bytes;
    /* Events (wasmcap.resources.updated, ...) are read from a stream per
     * subject (WASMCAP_EV_RESOURCES_UPDATED, ...), which gives each its id,
     * kept this long. */
    uint64_t event_max_age_ms;
} wc_bus_cluster_config;

typedef struct wc_bus_backplane {
    wc_backplane port; /* what wc_mcp_options.backplane points at */
    wc_bus *bus;       /* borrowed */
    /* In a cluster: the bucket and the log stream, made on first use (NATS
     * may be down at start). */
    bool cluster;
    char bucket[WC_BUS_MAX_NAME + 1];
    wc_bus_kv_config bucket_config;
    atomic_bool bucket_ready;
    char log_stream[WC_BUS_MAX_NAME + 1];
    wc_bus_stream_config log_config;
    atomic_bool log_ready;
    uint64_t event_max_age_ms;
    atomic_uint_fast64_t events_late; /* events read only after a retry */
} wc_bus_backplane;

/* Fills bp for bus, which must outlive every server given &bp->port; bp is
 * not to be copied (the port points at it). */
void wc_bus_backplane_init(wc_bus_backplane *bp, wc_bus *bus);
/* Makes the servers given &bp->port nodes of a cluster on the bus: they
 * share sessions' state and logs (the names in cfg are copied), and read
 * events in the cluster's one order.  Before any server is made.
 * WC_EINVAL: a bad name. */
int wc_bus_backplane_cluster(wc_bus_backplane *bp, const wc_bus_cluster_config *cfg,
                             wc_error *err);

#endif
