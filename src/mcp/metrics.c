/* metrics.c -- the protocol layer's part of /metrics and /healthz, for a
 * transport that serves them: what the plugin layer reports of the
 * registry in use, the tool calls by tool and status, and the backplane
 * behind the server (the transport never sees the bus itself). */
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
    const wc_backplane *bp = wc_mcp_server_options(server)->backplane;
    if (bp) {
        if (bp->render_metrics)
            bp->render_metrics(bp->ctx, out);
        wc_mcp_events_render_metrics(server, out);
        wc_mcp_audit_render_metrics(server, out);
        wc_mcp_shared_render_metrics(server, out);
    }
}

void wc_mcp_server_render_health(wc_mcp_server *server, wc_buf *out)
{
    const wc_backplane *bp = wc_mcp_server_options(server)->backplane;
    if (bp && bp->render_health)
        bp->render_health(bp->ctx, out);
}
