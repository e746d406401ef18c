/* reload_counts.c -- two counters: reloads are rare, so plain atomics. */
#include "util/reload_counts.h"

#include <stdatomic.h>

static atomic_ullong total, failures;

void wc_reload_counts_add(bool failed)
{
    atomic_fetch_add(&total, 1);
    if (failed)
        atomic_fetch_add(&failures, 1);
}

void wc_reload_counts_get(unsigned long long *t, unsigned long long *f)
{
    *t = atomic_load(&total);
    *f = atomic_load(&failures);
}

void wc_reload_counts_render(wc_buf *out)
{
    unsigned long long t, f;
    wc_reload_counts_get(&t, &f);
    wc_buf_printf(out,
                  "# HELP wasmcap_reloads_total Reloads of the config and plugins (SIGHUP, "
                  "file changes, admin tools).\n"
                  "# TYPE wasmcap_reloads_total counter\n"
                  "wasmcap_reloads_total %llu\n"
                  "# HELP wasmcap_reloads_failed_total Reloads of which something did not "
                  "apply (the config, or a plugin: the old one kept serving).\n"
                  "# TYPE wasmcap_reloads_failed_total counter\n"
                  "wasmcap_reloads_failed_total %llu\n",
                  t, f);
}
