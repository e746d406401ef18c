/* test_metrics.c -- the call metrics and their Prometheus text, counted
 * from one thread and from many (each counts in its own shard). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util/metrics.h"

static char *render(void)
{
    wc_buf b;
    wc_buf_init(&b);
    wc_metrics_render_calls(&b);
    return wc_buf_cstr(&b);
}

#define THREADS 20 /* more than the shards: some are shared */
#define CALLS 5000

static void *count_calls(void *arg)
{
    char own[32];
    snprintf(own, sizeof own, "thread%d", (int)(long)arg);
    for (int i = 0; i < CALLS; i++) {
        wc_metrics_call("shared", i % 2 ? WC_CALL_OK : WC_CALL_ERROR, 0.0003);
        wc_metrics_call(own, WC_CALL_OK, 2);
    }
    return NULL;
}

/* Counts from many threads add up, per tool and across tools. */
static void test_threads(void)
{
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, count_calls, (void *)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    char *text = render();
    char want[128];
    snprintf(want, sizeof want, "wasmcap_tool_calls_total{tool=\"shared\",status=\"ok\"} %d\n",
             THREADS * CALLS / 2);
    CHECK(text && strstr(text, want), "shared ok: want %s", want);
    snprintf(want, sizeof want, "wasmcap_tool_call_seconds_count{tool=\"shared\"} %d\n",
             THREADS * CALLS);
    CHECK(text && strstr(text, want), "shared count: want %s", want);
    for (int i = 0; i < THREADS; i++) {
        snprintf(want, sizeof want,
                 "wasmcap_tool_call_seconds_bucket{tool=\"thread%d\",le=\"2.5\"} %d\n", i, CALLS);
        CHECK(text && strstr(text, want), "thread %d: want %s", i, want);
    }
    free(text);
}

int main(void)
{
    test_threads();
    wc_metrics_call("calc", WC_CALL_OK, 0.0002);
    wc_metrics_call("calc", WC_CALL_OK, 0.003);
    wc_metrics_call("calc", WC_CALL_TOOL_ERROR, 20);
    wc_metrics_call("a\"b\\c\nd", WC_CALL_CANCELLED, 0.5);
    wc_metrics_call(NULL, WC_CALL_ERROR, 0.001);
    wc_metrics_call("calc", (wc_call_status)99, 1); /* ignored */
    char *t = render();
    CHECK(t && strstr(t, "wasmcap_tool_calls_total{tool=\"calc\",status=\"ok\"} 2\n"), "ok count");
    CHECK(strstr(t, "wasmcap_tool_calls_total{tool=\"calc\",status=\"tool_error\"} 1\n"),
          "tool_error count");
    CHECK(strstr(t, "wasmcap_tool_calls_total{tool=\"(unknown)\",status=\"error\"} 1\n"),
          "unknown tool");
    CHECK(strstr(t, "tool=\"a\\\"b\\\\c\\nd\",status=\"cancelled\"} 1\n"), "label escaped");
    /* buckets are cumulative: 0.0002 <= 0.00025; 0.003 <= 0.005; 20 only in +Inf */
    CHECK(strstr(t, "wasmcap_tool_call_seconds_bucket{tool=\"calc\",le=\"0.0001\"} 0\n") &&
              strstr(t, "wasmcap_tool_call_seconds_bucket{tool=\"calc\",le=\"0.00025\"} 1\n") &&
              strstr(t, "wasmcap_tool_call_seconds_bucket{tool=\"calc\",le=\"0.005\"} 2\n") &&
              strstr(t, "wasmcap_tool_call_seconds_bucket{tool=\"calc\",le=\"10\"} 2\n") &&
              strstr(t, "wasmcap_tool_call_seconds_bucket{tool=\"calc\",le=\"+Inf\"} 3\n") &&
              strstr(t, "wasmcap_tool_call_seconds_count{tool=\"calc\"} 3\n"),
          "histogram:\n%s", t);
    CHECK(strstr(t, "wasmcap_tool_call_seconds_sum{tool=\"calc\"} 20.003200\n"), "sum");
    free(t);

    /* Label cardinality stays bounded whatever names arrive. */
    for (int i = 0; i < WC_METRICS_MAX_TOOLS + 500; i++) {
        char name[32];
        snprintf(name, sizeof name, "t%d", i);
        wc_metrics_call(name, WC_CALL_OK, 0.001);
    }
    t = render();
    size_t series = 0;
    for (const char *p = t; (p = strstr(p, "status=\"ok\"")) != NULL; p++)
        series++;
    CHECK(series <= WC_METRICS_MAX_TOOLS + 1, "%zu tool series", series);
    CHECK(strstr(t, "tool=\"(other)\",status=\"ok\"} "), "the rest count as (other)");
    free(t);
    if (failures)
        return 1;
    printf("test_metrics: all %d checks passed\n", checks);
    return 0;
}
