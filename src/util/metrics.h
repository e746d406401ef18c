/* metrics.h -- process-wide call metrics for /metrics: tool calls by tool
 * and status, with a latency histogram per tool.  Thread-safe.
 *
 * Tools are labels, so their number must stay bounded: callers pass only
 * names the registry knows (an unknown tool counts as "(unknown)"), and
 * past WC_METRICS_MAX_TOOLS distinct names the rest count as "(other)".
 */
#ifndef WC_UTIL_METRICS_H
#define WC_UTIL_METRICS_H

#include "util/buf.h"

#define WC_METRICS_MAX_TOOLS 1024

typedef enum wc_call_status {
    WC_CALL_OK = 0,      /* a result */
    WC_CALL_TOOL_ERROR,  /* a result with isError: true */
    WC_CALL_ERROR,       /* a JSON-RPC error */
    WC_CALL_CANCELLED,   /* cancelled by the client: no answer */
    WC_CALL_STATUSES
} wc_call_status;

void wc_metrics_call(const char *tool, wc_call_status status, double seconds);
/* Appends the Prometheus text of the call metrics. */
void wc_metrics_render_calls(wc_buf *out);

#endif
