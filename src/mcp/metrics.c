/* metrics.c -- the protocol layer's part of /metrics and /healthz, for a
 * transport that serves them: what the plugin layer reports of the
 * registry in use, the tool calls by tool and status, and the bus behind
 * the server (the transport never sees the bus itself). */
#include "bus/bus.h"
#include "mcp/internal.h"
#include "plugin/registry.h"
#include "util/metrics.h"
#include "util/reload_counts.h"

void wc_mcp_server_render_metrics(wc_mcp_server *server, wc_buf *out)
{
    wc_registry *registry = wc_mcp_server_registry(server);
    wc_registry_render_metrics(registry, out);
    if (registry)
        wc_registry_release(registry);
    wc_metrics_render_calls(out);
    wc_reload_counts_render(out);
    wc_bus *bus = wc_mcp_server_options(server)->bus;
    if (bus) {
        wc_bus_render_metrics(bus, out);
        wc_mcp_events_render_metrics(server, out);
        wc_mcp_audit_render_metrics(server, out);
    }
}

void wc_mcp_server_render_health(wc_mcp_server *server, wc_buf *out)
{
    wc_bus *bus = wc_mcp_server_options(server)->bus;
    if (bus)
        wc_buf_printf(out, "bus: %s %s\n", wc_bus_kind(bus),
                      wc_bus_state_name(wc_bus_get_state(bus)));
}
