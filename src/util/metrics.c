/* metrics.c -- call counters and latency histograms behind one mutex.
 *
 * A call takes the lock once to bump a few integers: cheap next to a Wasm
 * instance, and /metrics reads a consistent picture.
 */
#include "util/metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const double bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,     10};
#define NBOUNDS (sizeof bounds / sizeof bounds[0])

typedef struct tool_metrics {
    char *name;
    unsigned long long calls[WC_CALL_STATUSES];
    unsigned long long buckets[NBOUNDS + 1]; /* the last: above every bound */
    double seconds;
} tool_metrics;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static tool_metrics *tools;
static size_t ntools, cap;

static const char *const status_names[WC_CALL_STATUSES] = {"ok", "tool_error", "error",
                                                           "cancelled"};

/* Lock held. */
static tool_metrics *find(const char *name)
{
    for (size_t i = 0; i < ntools; i++)
        if (strcmp(tools[i].name, name) == 0)
            return &tools[i];
    if (ntools >= WC_METRICS_MAX_TOOLS && strcmp(name, "(other)") != 0)
        return find("(other)");
    if (ntools == cap) {
        size_t n = cap ? cap * 2 : 16;
        tool_metrics *t = realloc(tools, n * sizeof *t);
        if (!t)
            return NULL;
        tools = t;
        cap = n;
    }
    tool_metrics *t = &tools[ntools];
    memset(t, 0, sizeof *t);
    t->name = strdup(name);
    if (!t->name)
        return NULL;
    ntools++;
    return t;
}

void wc_metrics_call(const char *tool, wc_call_status status, double seconds)
{
    if ((unsigned)status >= WC_CALL_STATUSES)
        return;
    size_t b = 0;
    while (b < NBOUNDS && seconds > bounds[b])
        b++;
    pthread_mutex_lock(&lock);
    tool_metrics *t = find(tool && *tool ? tool : "(unknown)");
    if (t) {
        t->calls[status]++;
        t->buckets[b]++;
        t->seconds += seconds;
    }
    pthread_mutex_unlock(&lock);
}

/* Label values escape backslash, quote and newline (Prometheus text format). */
static void label(wc_buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            wc_buf_byte(out, '\\');
        if (*s == '\n') {
            wc_buf_str(out, "\\n");
            continue;
        }
        wc_buf_byte(out, (uint8_t)*s);
    }
}

void wc_metrics_render_calls(wc_buf *out)
{
    pthread_mutex_lock(&lock);
    wc_buf_str(out, "# HELP wasmcap_tool_calls_total Tool calls by tool and status.\n"
                    "# TYPE wasmcap_tool_calls_total counter\n");
    for (size_t i = 0; i < ntools; i++) {
        for (int s = 0; s < WC_CALL_STATUSES; s++) {
            wc_buf_str(out, "wasmcap_tool_calls_total{tool=\"");
            label(out, tools[i].name);
            wc_buf_printf(out, "\",status=\"%s\"} %llu\n", status_names[s], tools[i].calls[s]);
        }
    }
    wc_buf_str(out, "# HELP wasmcap_tool_call_seconds Tool call latency, from the request's "
                    "arrival to its answer.\n"
                    "# TYPE wasmcap_tool_call_seconds histogram\n");
    for (size_t i = 0; i < ntools; i++) {
        unsigned long long cumulative = 0, total = 0;
        for (size_t b = 0; b <= NBOUNDS; b++)
            total += tools[i].buckets[b];
        for (size_t b = 0; b < NBOUNDS; b++) {
            cumulative += tools[i].buckets[b];
            wc_buf_str(out, "wasmcap_tool_call_seconds_bucket{tool=\"");
            label(out, tools[i].name);
            wc_buf_printf(out, "\",le=\"%g\"} %llu\n", bounds[b], cumulative);
        }
        wc_buf_str(out, "wasmcap_tool_call_seconds_bucket{tool=\"");
        label(out, tools[i].name);
        wc_buf_printf(out, "\",le=\"+Inf\"} %llu\n", total);
        wc_buf_str(out, "wasmcap_tool_call_seconds_sum{tool=\"");
        label(out, tools[i].name);
        wc_buf_printf(out, "\"} %.6f\n", tools[i].seconds);
        wc_buf_str(out, "wasmcap_tool_call_seconds_count{tool=\"");
        label(out, tools[i].name);
        wc_buf_printf(out, "\"} %llu\n", total);
    }
    pthread_mutex_unlock(&lock);
}
