/* metrics.c -- call counters and latency histograms, sharded by thread.
 *
 * Every tool call bumps a few integers.  Under one lock that was a point
 * where the workers of a busy server met on every call, so each thread
 * counts in a shard of its own (threads take the shards in turn) and
 * /metrics adds the shards up.  Tool names are interned once, under the
 * global lock, which also keeps their number bounded.
 */
#include "util/metrics.h"
#include "util/shard.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/grow.h"

static const double bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,     10};
#define NBOUNDS (sizeof bounds / sizeof bounds[0])
#define SHARDS WC_SHARDS

typedef struct tool_counts {
    unsigned long long calls[WC_CALL_STATUSES];
    unsigned long long buckets[NBOUNDS + 1]; /* the last: above every bound */
    double seconds;
} tool_counts;

typedef struct shard_tool {
    const char *name; /* interned: compared by pointer after the first lookup */
    size_t index;     /* in the interned names */
    tool_counts counts;
} shard_tool;

typedef struct shard {
    pthread_mutex_t lock;
    shard_tool *tools;
    size_t ntools, cap;
    size_t last; /* the entry the last call found: the same tool, usually */
} shard;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* the names */
static char **names;
static size_t nnames, names_cap;
static shard shards[SHARDS] = {[0 ... SHARDS - 1] = {.lock = PTHREAD_MUTEX_INITIALIZER}};

static const char *const status_names[WC_CALL_STATUSES] = {"ok", "tool_error", "error",
                                                           "cancelled"};

/* Global lock held: name's index among the interned names, past the limit
 * that of "(other)"; SIZE_MAX when out of memory. */
static size_t intern(const char *name)
{
    for (size_t i = 0; i < nnames; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    if (nnames >= WC_METRICS_MAX_TOOLS && strcmp(name, "(other)") != 0)
        return intern("(other)");
    if (!wc_grow((void **)&names, &names_cap, nnames + 1, sizeof *names))
        return SIZE_MAX;
    char *copy = strdup(name);
    if (!copy)
        return SIZE_MAX;
    names[nnames] = copy;
    return nnames++;
}

/* Shard lock held. */
static tool_counts *find(shard *sh, const char *name)
{
    if (sh->last < sh->ntools && strcmp(sh->tools[sh->last].name, name) == 0)
        return &sh->tools[sh->last].counts;
    for (size_t i = 0; i < sh->ntools; i++) {
        if (strcmp(sh->tools[i].name, name) == 0) {
            sh->last = i;
            return &sh->tools[i].counts;
        }
    }
    pthread_mutex_lock(&lock);
    size_t index = intern(name);
    const char *interned = index == SIZE_MAX ? NULL : names[index];
    pthread_mutex_unlock(&lock);
    if (!interned)
        return NULL;
    for (size_t i = 0; i < sh->ntools; i++) /* a name past the limit: (other) */
        if (sh->tools[i].index == index)
            return &sh->tools[i].counts;
    if (!wc_grow((void **)&sh->tools, &sh->cap, sh->ntools + 1, sizeof *sh->tools))
        return NULL;
    shard_tool *t = &sh->tools[sh->ntools];
    memset(t, 0, sizeof *t);
    t->name = interned;
    t->index = index;
    sh->last = sh->ntools++;
    return &t->counts;
}

static shard *own_shard(void)
{
    return &shards[wc_thread_shard()];
}

void wc_metrics_call(const char *tool, wc_call_status status, double seconds)
{
    if ((unsigned)status >= WC_CALL_STATUSES)
        return;
    size_t b = 0;
    while (b < NBOUNDS && seconds > bounds[b])
        b++;
    shard *sh = own_shard();
    pthread_mutex_lock(&sh->lock);
    tool_counts *t = find(sh, tool && *tool ? tool : "(unknown)");
    if (t) {
        t->calls[status]++;
        t->buckets[b]++;
        t->seconds += seconds;
    }
    pthread_mutex_unlock(&sh->lock);
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
    /* The names as of now, then each shard's counts added up: one lock at
     * a time (a counting thread takes its shard's, then perhaps the
     * names'). */
    pthread_mutex_lock(&lock);
    size_t n = nnames;
    const char **label_of = n ? malloc(n * sizeof *label_of) : NULL;
    if (label_of)
        memcpy(label_of, names, n * sizeof *label_of);
    pthread_mutex_unlock(&lock);
    tool_counts *sum = n ? calloc(n, sizeof *sum) : NULL;
    if (n && (!label_of || !sum)) {
        free(label_of);
        free(sum);
        wc_buf_str(out, "# wasmcap_tool_calls_total: out of memory\n");
        return;
    }
    for (int k = 0; k < SHARDS; k++) {
        shard *sh = &shards[k];
        pthread_mutex_lock(&sh->lock);
        for (size_t i = 0; i < sh->ntools; i++) {
            const shard_tool *t = &sh->tools[i];
            if (t->index >= n) /* named since the snapshot: next time */
                continue;
            tool_counts *c = &sum[t->index];
            for (int st = 0; st < WC_CALL_STATUSES; st++)
                c->calls[st] += t->counts.calls[st];
            for (size_t b = 0; b <= NBOUNDS; b++)
                c->buckets[b] += t->counts.buckets[b];
            c->seconds += t->counts.seconds;
        }
        pthread_mutex_unlock(&sh->lock);
    }

    wc_buf_str(out, "# HELP wasmcap_tool_calls_total Tool calls by tool and status.\n"
                    "# TYPE wasmcap_tool_calls_total counter\n");
    for (size_t i = 0; i < n; i++) {
        for (int s = 0; s < WC_CALL_STATUSES; s++) {
            wc_buf_str(out, "wasmcap_tool_calls_total{tool=\"");
            label(out, label_of[i]);
            wc_buf_printf(out, "\",status=\"%s\"} %llu\n", status_names[s], sum[i].calls[s]);
        }
    }
    wc_buf_str(out, "# HELP wasmcap_tool_call_seconds Tool call latency, from the request's "
                    "arrival to its answer.\n"
                    "# TYPE wasmcap_tool_call_seconds histogram\n");
    for (size_t i = 0; i < n; i++) {
        unsigned long long cumulative = 0, total = 0;
        for (size_t b = 0; b <= NBOUNDS; b++)
            total += sum[i].buckets[b];
        for (size_t b = 0; b < NBOUNDS; b++) {
            cumulative += sum[i].buckets[b];
            wc_buf_str(out, "wasmcap_tool_call_seconds_bucket{tool=\"");
            label(out, label_of[i]);
            wc_buf_printf(out, "\",le=\"%g\"} %llu\n", bounds[b], cumulative);
        }
        wc_buf_str(out, "wasmcap_tool_call_seconds_bucket{tool=\"");
        label(out, label_of[i]);
        wc_buf_printf(out, "\",le=\"+Inf\"} %llu\n", total);
        wc_buf_str(out, "wasmcap_tool_call_seconds_sum{tool=\"");
        label(out, label_of[i]);
        wc_buf_printf(out, "\"} %.6f\n", sum[i].seconds);
        wc_buf_str(out, "wasmcap_tool_call_seconds_count{tool=\"");
        label(out, label_of[i]);
        wc_buf_printf(out, "\"} %llu\n", total);
    }
    free(label_of);
    free(sum);
}
