/* services.c -- discovery: a $SRV.INFO request at start and every
 * interval, the replies gathered on an inbox for a window, the services
 * they name kept until they miss two rounds, the set rebuilt and the
 * owner told when it changed. */
#include "plugin/service_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bus/bus.h"
#include "util/clock.h"
#include "util/log.h"

/* Rounds a service may miss before it vanishes: one lost reply is not a
 * service gone. */
#define MISSES_ALLOWED 1

struct wc_services {
    wc_services_settings settings;
    wc_bus *bus;
    wc_services_changed_fn changed;
    void *ctx;

    pthread_mutex_t lock; /* current, seen, stats, gathered, stop */
    pthread_cond_t wake;
    wc_service_set *current;
    json_t *seen; /* service name -> {"info": ..., "round": n} */
    wc_services_stats stats;
    bool stop;
    pthread_t thread;
    bool thread_started;

    pthread_mutex_t round_lock; /* one round at a time */
    json_t *gathered;           /* this round's replies, parsed */
    size_t max_replies;
    uint64_t serial;
};

static void gather(void *ctx, const wc_bus_msg *msg)
{
    wc_services *svc = ctx;
    pthread_mutex_lock(&svc->lock);
    svc->stats.replies++;
    if (!svc->gathered || json_array_size(svc->gathered) >= svc->max_replies ||
        msg->len > svc->settings.max_info_bytes) {
        svc->stats.dropped++;
        pthread_mutex_unlock(&svc->lock);
        return;
    }
    pthread_mutex_unlock(&svc->lock);
    json_error_t jerr;
    json_t *info = msg->len ? json_loadb(msg->data, msg->len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    wc_error why = {0};
    bool ok = info && wc_service_info_check(info, true, &why) == 0;
    pthread_mutex_lock(&svc->lock);
    if (!ok) {
        svc->stats.malformed++;
        json_decref(info);
    } else if (svc->gathered) {
        json_array_append_new(svc->gathered, info);
    } else {
        json_decref(info);
    }
    pthread_mutex_unlock(&svc->lock);
    if (!ok)
        wc_log(WC_LOG_DEBUG, "services", "an INFO reply was ignored: %s",
               info ? why.msg : "not JSON");
}

/* Waits up to ms unless stopped; true when stopped. */
static bool sleep_unless_stopped(wc_services *svc, uint32_t ms)
{
    struct timespec until = wc_monotonic_deadline_timespec(ms);
    pthread_mutex_lock(&svc->lock);
    while (!svc->stop && pthread_cond_timedwait(&svc->wake, &svc->lock, &until) == 0)
        ;
    bool stop = svc->stop;
    pthread_mutex_unlock(&svc->lock);
    return stop;
}

/* Sends $SRV.INFO and keeps what comes back within the window. */
static json_t *ask_for_infos(wc_services *svc)
{
    char inbox[96];
    snprintf(inbox, sizeof inbox, "_INBOX.wasmcap.services.%ld.%p.%llu", (long)getpid(),
             (void *)svc, (unsigned long long)++svc->serial);
    json_t *replies = json_array();
    if (!replies)
        return NULL;
    pthread_mutex_lock(&svc->lock);
    svc->gathered = replies;
    pthread_mutex_unlock(&svc->lock);
    wc_bus_sub *sub;
    int rc = wc_bus_subscribe(svc->bus, inbox, NULL, gather, svc, &sub);
    if (rc == 0) {
        wc_bus_msg ask = {.subject = "$SRV.INFO", .reply = inbox};
        rc = wc_bus_publish(svc->bus, &ask);
        if (rc == 0)
            sleep_unless_stopped(svc, svc->settings.window_ms);
        wc_bus_unsubscribe(sub);
    }
    pthread_mutex_lock(&svc->lock);
    svc->gathered = NULL;
    pthread_mutex_unlock(&svc->lock);
    if (rc != 0) {
        /* The bus is down or closing: keep what was known. */
        wc_log(WC_LOG_DEBUG, "services", "discovery round skipped: %s", wc_strerror(rc));
        json_decref(replies);
        return NULL;
    }
    return replies;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The infos of a set: declared ones first, then those seen, by name. */
static json_t *known_infos(wc_services *svc)
{
    json_t *all = json_array();
    if (!all)
        return NULL;
    if (svc->settings.declared)
        json_array_extend(all, svc->settings.declared);
    const char **names = calloc(json_object_size(svc->seen) + 1, sizeof *names);
    if (!names) {
        json_decref(all);
        return NULL;
    }
    size_t n = 0;
    const char *key;
    json_t *v;
    json_object_foreach(svc->seen, key, v)
        names[n++] = key;
    qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++)
        json_array_append(all, json_object_get(json_object_get(svc->seen, names[i]), "info"));
    free(names);
    return all;
}

bool wc_services_discover_now(wc_services *svc)
{
    pthread_mutex_lock(&svc->round_lock);
    json_t *replies = ask_for_infos(svc);
    bool changed = false;
    pthread_mutex_lock(&svc->lock);
    uint64_t round = ++svc->stats.rounds;
    if (replies) {
        size_t i;
        json_t *info;
        json_array_foreach(replies, i, info) {
            const char *name = json_string_value(json_object_get(info, "name"));
            json_t *entry = json_object_get(svc->seen, name);
            if (!entry && json_object_size(svc->seen) >= svc->settings.max_services) {
                svc->stats.dropped++;
                continue;
            }
            json_object_set_new(svc->seen, name,
                                json_pack("{s:O,s:I}", "info", info, "round", (json_int_t)round));
        }
        /* Services quiet for more rounds than allowed are gone. */
        void *tmp;
        const char *key;
        json_t *v;
        json_object_foreach_safe(svc->seen, tmp, key, v) {
            uint64_t last = (uint64_t)json_integer_value(json_object_get(v, "round"));
            if (round - last > MISSES_ALLOWED)
                json_object_del(svc->seen, key);
        }
    }
    json_decref(replies);
    json_t *infos = known_infos(svc);
    wc_services_settings settings = svc->settings;
    pthread_mutex_unlock(&svc->lock);

    uint64_t malformed = 0, dropped = 0;
    wc_service_set *set = NULL;
    wc_error err;
    if (infos && wc_service_set_build(infos, &settings, &set, &malformed, &dropped, &err) != 0)
        wc_log(WC_LOG_WARNING, "services", "discovery: %s", err.msg);
    json_decref(infos);
    pthread_mutex_lock(&svc->lock);
    svc->stats.malformed += malformed;
    svc->stats.dropped += dropped;
    if (set && !wc_service_set_same(set, svc->current)) {
        wc_service_set *old = svc->current;
        svc->current = set;
        svc->stats.services = set->services;
        svc->stats.tools = set->count;
        set = old;
        changed = true;
    }
    pthread_mutex_unlock(&svc->lock);
    wc_service_set_release(set);
    if (changed) {
        wc_log(WC_LOG_INFO, "services", "services changed: %llu service(s), %llu tool(s)",
               (unsigned long long)svc->stats.services, (unsigned long long)svc->stats.tools);
        if (svc->changed)
            svc->changed(svc->ctx);
    }
    pthread_mutex_unlock(&svc->round_lock);
    return changed;
}

static void *discovery_thread(void *arg)
{
    wc_services *svc = arg;
    do
        wc_services_discover_now(svc);
    while (!sleep_unless_stopped(svc, svc->settings.interval_ms));
    return NULL;
}

int wc_services_start(const wc_services_settings *s, wc_bus *bus, wc_services_changed_fn changed,
                      void *ctx, wc_services **out, wc_error *err)
{
    *out = NULL;
    wc_services *svc = calloc(1, sizeof *svc);
    if (!svc)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    svc->settings = *s;
    svc->settings.declared = s->declared ? json_deep_copy(s->declared) : NULL;
    svc->bus = bus;
    svc->changed = changed;
    svc->ctx = ctx;
    svc->max_replies = s->max_services * 4;
    svc->seen = json_object();
    pthread_mutex_init(&svc->lock, NULL);
    pthread_mutex_init(&svc->round_lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&svc->wake, &attr);
    pthread_condattr_destroy(&attr);
    uint64_t malformed = 0, dropped = 0;
    json_t *declared = svc->settings.declared ? svc->settings.declared : json_array();
    int rc = svc->seen && declared ? 0 : WC_ENOMEM;
    if (!rc)
        rc = wc_service_set_build(declared, &svc->settings, &svc->current, &malformed, &dropped,
                                  err);
    if (declared != svc->settings.declared)
        json_decref(declared);
    if (rc) {
        wc_services_stop(svc);
        return rc == WC_ENOMEM ? wc_error_set(err, WC_ENOMEM, "out of memory") : rc;
    }
    svc->stats.malformed = malformed;
    svc->stats.dropped = dropped;
    svc->stats.services = svc->current->services;
    svc->stats.tools = svc->current->count;
    if (s->discover) {
        if (pthread_create(&svc->thread, NULL, discovery_thread, svc) != 0) {
            wc_services_stop(svc);
            return wc_error_set(err, WC_ENOMEM, "cannot start the discovery thread");
        }
        svc->thread_started = true;
    }
    *out = svc;
    return 0;
}

void wc_services_stop(wc_services *svc)
{
    if (!svc)
        return;
    pthread_mutex_lock(&svc->lock);
    svc->stop = true;
    pthread_cond_broadcast(&svc->wake);
    pthread_mutex_unlock(&svc->lock);
    if (svc->thread_started)
        pthread_join(svc->thread, NULL);
    wc_service_set_release(svc->current);
    json_decref(svc->seen);
    wc_services_settings_free(&svc->settings);
    pthread_mutex_destroy(&svc->lock);
    pthread_mutex_destroy(&svc->round_lock);
    pthread_cond_destroy(&svc->wake);
    free(svc);
}

wc_service_set *wc_services_current(wc_services *svc)
{
    pthread_mutex_lock(&svc->lock);
    wc_service_set *set = wc_service_set_retain(svc->current);
    pthread_mutex_unlock(&svc->lock);
    return set;
}

void wc_services_get_stats(wc_services *svc, wc_services_stats *out)
{
    pthread_mutex_lock(&svc->lock);
    *out = svc->stats;
    pthread_mutex_unlock(&svc->lock);
}

void wc_services_render_metrics(wc_services *svc, wc_buf *out)
{
    if (!svc)
        return;
    wc_services_stats st;
    wc_services_get_stats(svc, &st);
    wc_buf_printf(out,
                  "# HELP wasmcap_services Backend services whose endpoints are tools now.\n"
                  "# TYPE wasmcap_services gauge\n"
                  "wasmcap_services %llu\n"
                  "# HELP wasmcap_service_tools Tools from backend services now.\n"
                  "# TYPE wasmcap_service_tools gauge\n"
                  "wasmcap_service_tools %llu\n"
                  "# HELP wasmcap_services_rounds_total Discovery rounds ($SRV.INFO) run.\n"
                  "# TYPE wasmcap_services_rounds_total counter\n"
                  "wasmcap_services_rounds_total %llu\n"
                  "# HELP wasmcap_services_malformed_total INFO replies or endpoints ignored as "
                  "malformed.\n"
                  "# TYPE wasmcap_services_malformed_total counter\n"
                  "wasmcap_services_malformed_total %llu\n"
                  "# HELP wasmcap_services_dropped_total INFO replies, services or endpoints "
                  "past a cap.\n"
                  "# TYPE wasmcap_services_dropped_total counter\n"
                  "wasmcap_services_dropped_total %llu\n",
                  (unsigned long long)st.services, (unsigned long long)st.tools,
                  (unsigned long long)st.rounds, (unsigned long long)st.malformed,
                  (unsigned long long)st.dropped);
}
