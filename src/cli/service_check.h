/* service_check.h -- the backend services on a config's bus, as manifests
 * for the ontology check: `wasmcap check` applies the rules to their
 * endpoints' schemas as it does to plugins' tools (docs/SERVICES.md).
 */
#ifndef WC_CLI_SERVICE_CHECK_H
#define WC_CLI_SERVICE_CHECK_H

#include <stddef.h>

#include "cli/config.h"
#include "ontology/ontology.h"

/* When the config has a bus section with a url: connects (within the bus's
 * connect_timeout_ms), runs one discovery round (bus.services: $SRV.INFO
 * replies gathered for window_ms, the declared services with them) and
 * makes one manifest per service, {"name": SERVICE, "tools": [{"name",
 * "inputSchema", "outputSchema"}...]}, named "service:SERVICE" in *list
 * (*count of them; free with wc_service_manifests_free).  A bus that
 * cannot be reached is a warning finding (rule "services"), not an error:
 * the plugins are still checked.  0, or WC_ENOMEM / WC_EINVAL (a bus
 * section that does not parse) with err. */
int wc_service_manifests(const wc_config *config, wc_checked_manifest **list, size_t *count,
                         wc_findings *out, wc_error *err);
void wc_service_manifests_free(wc_checked_manifest *list, size_t count);

#endif
