/* bus_backplane.h -- the server's backplane (mcp/backplane.h) on the event
 * bus: events are bus subscriptions, audit records bus messages, kept
 * records a stream (JetStream with NATS), and the bus's state goes into
 * /metrics and /healthz. */
#ifndef WC_CLI_BUS_BACKPLANE_H
#define WC_CLI_BUS_BACKPLANE_H

#include "bus/bus.h"
#include "mcp/backplane.h"

typedef struct wc_bus_backplane {
    wc_backplane port; /* what wc_mcp_options.backplane points at */
    wc_bus *bus;       /* borrowed */
} wc_bus_backplane;

/* Fills bp for bus, which must outlive every server given &bp->port. */
void wc_bus_backplane_init(wc_bus_backplane *bp, wc_bus *bus);

#endif
