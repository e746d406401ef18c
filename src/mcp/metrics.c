/* metrics.c -- the protocol layer's part of /metrics, for a transport that
 * serves it: what the plugin layer reports of the registry in use, then
 * the tool calls by tool and status. */
#include "mcp/server.h"
#include "plugin/registry.h"
#include "util/metrics.h"

void wc_mcp_server_render_metrics(wc_mcp_server *server, wc_buf *out)
{
    wc_registry *registry = wc_mcp_server_registry(server);
    wc_registry_render_metrics(registry, out);
    if (registry)
        wc_registry_release(registry);
    wc_metrics_render_calls(out);
}
