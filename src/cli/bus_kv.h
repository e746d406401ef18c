/* bus_kv.h -- store/kv.h's port on the bus: the plugins' key-value store
 * in a JetStream KV bucket (kv.backend "nats"), with the semantics of the
 * LMDB store (docs/ARCHITECTURE.md, "Key-value store").
 *
 * The store layer knows nothing of the bus, so the front end, which may
 * use both, fills the port here, as bus_backplane.c fills mcp's. */
#ifndef WC_CLI_BUS_KV_H
#define WC_CLI_BUS_KV_H

#include <stdbool.h>
#include <stdint.h>

#include "bus/bus.h"
#include "store/kv.h"

/* Attempts of a write that loses its compare-and-set to other writers of
 * the same key or namespace before it gives up with WC_EAGAIN. */
#define WC_BUS_KV_ATTEMPTS 32

/* A store on bus in bucket (created if missing, max_bytes 0: no limit).
 * With own_bus the store closes bus when it closes.  A NATS server that is
 * down is no reason to fail: the bucket is made by the first operation
 * that finds the server up, and until then every operation returns
 * WC_ENOTCONN.  Returns 0, WC_EINVAL (a bucket name), WC_ENOMEM, or the
 * bus's error making the bucket. */
int wc_bus_kv_open(wc_bus *bus, bool own_bus, const char *bucket, uint64_t max_bytes,
                   wc_kv **out, wc_error *err);

#endif
