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

typedef struct wc_bus_backplane {
    wc_backplane port; /* what wc_mcp_options.backplane points at */
    wc_bus *bus;       /* borrowed */
    /* A cluster's shared sessions: a KV bucket, made on first use (NATS
     * may be down at start). */
    char bucket[WC_BUS_MAX_NAME + 1];
    wc_bus_kv_config bucket_config;
    atomic_bool bucket_ready;
} wc_bus_backplane;

/* Fills bp for bus, which must outlive every server given &bp->port; bp is
 * not to be copied (the port points at it). */
void wc_bus_backplane_init(wc_bus_backplane *bp, wc_bus *bus);
/* Shares the sessions of the servers given &bp->port through the KV bucket
 * of cfg (its name copied), whose ttl_ms is the port's session_ttl_ms:
 * several nodes on one bus then continue each other's sessions.
 * WC_EINVAL: a bad bucket name. */
int wc_bus_backplane_share_sessions(wc_bus_backplane *bp, const wc_bus_kv_config *cfg,
                                    wc_error *err);

#endif
