/* reload.c -- the reload worker thread and what it watches.
 *
 * State, under `lock`: a flag for a plain reload asked for (SIGHUP, the
 * watcher) and a short queue of admin changes, each waited for by its
 * caller.  The worker takes everything waiting at once: one reload
 * applies every queued change and answers all their callers, so a burst
 * of requests is one reload.  The admin patch (name -> entry or null) is
 * only the worker's; it is applied over the file at every reload.
 */
#include "cli/reload.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin/manifest.h"
#include "util/log.h"
#include "util/reload_counts.h"
#include "util/watch.h"

typedef struct change {
    char *name;
    json_t *entry;      /* NULL: remove */
    bool done;
    int rc;
    wc_error err;
    int holders;        /* the caller and the worker; the last frees */
    struct change *next;
} change;

struct wc_reloader {
    wc_setup *setup;
    bool fixed_log_level;
    wc_reload_publish_fn publish;
    void *ctx;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake, answered;
    bool stopping, wanted;
    const char *why;
    change *queue, **tail;
    size_t waiting;
    unsigned long long done;
    json_t *patch;      /* the worker's */
    wc_watch *watch;
};

static void change_drop(wc_reloader *r, change *c)
{
    /* lock held */
    if (--c->holders)
        return;
    (void)r;
    free(c->name);
    json_decref(c->entry);
    free(c);
}

/* Every file whose change means a reload: the config and each local
 * plugin's module and sidecar manifest (fetched sources live in the
 * content-addressed cache and change only through the config). */
static void watch_files(wc_reloader *r)
{
    if (!r->watch)
        return;
    const wc_config *c = &r->setup->config;
    size_t n = 0, cap = 1 + 2 * c->nplugins;
    char **paths = calloc(cap, sizeof *paths);
    if (paths && r->setup->config_path)
        paths[n++] = strdup(r->setup->config_path);
    for (size_t i = 0; paths && i < c->nplugins; i++) {
        if (c->plugins[i].has_source || !c->plugins[i].path)
            continue;
        paths[n++] = strdup(c->plugins[i].path);
        paths[n++] = wc_manifest_sidecar_path(c->plugins[i].path);
    }
    bool oom = !paths;
    for (size_t i = 0; i < n; i++)
        oom |= !paths[i];
    wc_error err = {0};
    if (oom)
        wc_log(WC_LOG_ERROR, "reload", "watch: out of memory: files are not watched");
    else if (wc_watch_set(r->watch, (const char *const *)paths, n, &err) != 0)
        wc_log(WC_LOG_WARNING, "reload", "%s (SIGHUP still reloads)", err.msg);
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

/* patch with the queued changes applied (a new object). */
static json_t *patched(const json_t *patch, const change *list)
{
    json_t *p = json_deep_copy(patch);
    for (const change *c = list; p && c; c = c->next)
        if (json_object_set(p, c->name, c->entry ? c->entry : json_null()))
            return json_decref(p), NULL;
    return p;
}

/* The failure of plugin `name` in changes, if it failed. */
static const char *failure_of(const wc_registry_changes *changes, const char *name)
{
    size_t i;
    json_t *f;
    json_array_foreach(changes->failures, i, f)
        if (strcmp(json_string_value(json_object_get(f, "plugin")), name) == 0)
            return json_string_value(json_object_get(f, "error"));
    return NULL;
}

static void log_outcome(const char *why, const wc_registry_changes *ch, unsigned lists, int rc,
                        const wc_error *err, double ms)
{
    json_t *fields = json_pack("{s:s,s:b,s:I,s:I,s:I,s:I,s:f}", "reason", why, "ok",
                               rc == 0 && !ch->failed, "loaded", (json_int_t)ch->loaded, "kept",
                               (json_int_t)ch->kept, "failed", (json_int_t)ch->failed, "removed",
                               (json_int_t)ch->removed, "ms", ms);
    if (rc) {
        json_object_set_new(fields, "error", json_string(err->msg));
        wc_log_fields(WC_LOG_ERROR, "reload", fields,
                      "reload (%s) failed, the old config and plugins keep serving: %s", why,
                      err->msg);
    } else {
        json_object_set_new(fields, "lists_changed", json_integer(lists));
        wc_log_fields(ch->failed ? WC_LOG_WARNING : WC_LOG_INFO, "reload", fields,
                      "reloaded (%s): %zu plugin(s) loaded, %zu kept, %zu failed, %zu removed",
                      why, ch->loaded, ch->kept, ch->failed, ch->removed);
    }
    json_decref(fields);
}

/* One reload with the changes of list; answers each of them. */
static void reload_once(wc_reloader *r, const char *why, change *list)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    json_t *patch = patched(r->patch, list);
    wc_registry_changes ch = {0};
    wc_error err = {0};
    int rc = WC_ENOMEM;
    if (patch) {
        /* Only this thread changes the setup: it reads it unlocked. */
        rc = wc_setup_reload(r->setup, patch, &ch, &err);
        if (rc == 0 && !r->fixed_log_level)
            wc_log_set_level((wc_log_level)r->setup->config.log_level);
    } else {
        wc_error_set(&err, rc, "out of memory");
    }
    unsigned lists = rc == 0 ? r->publish(r->ctx) : 0;
    /* What stays of the admin changes: those whose plugin loaded. */
    bool dropped = false;
    for (change *c = list; c; c = c->next) {
        const char *failed = rc ? NULL : failure_of(&ch, c->name);
        if (rc)
            c->err = err, c->rc = rc;
        else if (failed)
            c->rc = wc_error_set(&c->err, WC_EPLUGIN, "%s", failed), dropped = true;
        else if (json_object_set(r->patch, c->name, c->entry ? c->entry : json_null()))
            c->rc = wc_error_set(&c->err, WC_ENOMEM, "out of memory");
    }
    if (dropped) {
        /* Once more without them, so the config kept (list_plugins, the
         * next reload) does not name what is not served; every plugin
         * loaded is kept, so this loads nothing. */
        wc_registry_changes again = {0};
        wc_error why = {0};
        if (wc_setup_reload(r->setup, r->patch, &again, &why) == 0)
            lists |= r->publish(r->ctx);
        json_decref(again.failures);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    log_outcome(why, &ch, lists, rc, &err, ms);
    wc_reload_counts_add(rc != 0 || ch.failed);
    json_decref(ch.failures);
    json_decref(patch);
    if (rc == 0)
        watch_files(r);
}

static void *run(void *arg)
{
    wc_reloader *r = arg;
    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (!r->stopping && !r->wanted && !r->queue)
            pthread_cond_wait(&r->wake, &r->lock);
        if (r->stopping)
            break;
        const char *why = r->queue ? "admin tool" : r->why;
        change *list = r->queue;
        r->queue = NULL;
        r->tail = &r->queue;
        r->waiting = 0;
        r->wanted = false;
        pthread_mutex_unlock(&r->lock);
        reload_once(r, why ? why : "request", list);
        pthread_mutex_lock(&r->lock);
        r->done++;
        for (change *c = list, *next; c; c = next) {
            next = c->next;
            c->done = true;
            change_drop(r, c);
        }
        pthread_cond_broadcast(&r->answered);
    }
    /* Callers still waiting get an answer. */
    for (change *c = r->queue, *next; c; c = next) {
        next = c->next;
        c->done = true;
        c->rc = wc_error_set(&c->err, WC_ECANCELED, "the server is stopping");
        change_drop(r, c);
    }
    r->queue = NULL;
    pthread_cond_broadcast(&r->answered);
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

static void on_files_changed(void *ctx)
{
    wc_reloader_request(ctx, "files changed");
}

int wc_reloader_new(wc_setup *setup, bool fixed_log_level, wc_reload_publish_fn publish,
                    void *ctx, wc_reloader **out, wc_error *err)
{
    *out = NULL;
    wc_reloader *r = calloc(1, sizeof *r);
    if (!r || !(r->patch = json_object())) {
        free(r);
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    r->setup = setup;
    r->fixed_log_level = fixed_log_level;
    r->publish = publish;
    r->ctx = ctx;
    r->tail = &r->queue;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->wake, NULL);
    pthread_cond_init(&r->answered, NULL);
    int rc = 0;
    if (setup->config.reload_watch)
        rc = wc_watch_new(setup->config.reload_quiet_ms, on_files_changed, r, &r->watch, err);
    /* Before the worker starts: from then on only it reads the setup. */
    if (rc == 0)
        watch_files(r);
    if (rc == 0 && pthread_create(&r->thread, NULL, run, r) != 0)
        rc = wc_error_set(err, WC_ENOMEM, "cannot start the reload thread");
    if (rc) {
        wc_watch_free(r->watch);
        json_decref(r->patch);
        pthread_mutex_destroy(&r->lock);
        pthread_cond_destroy(&r->wake);
        pthread_cond_destroy(&r->answered);
        free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void wc_reloader_request(wc_reloader *r, const char *why)
{
    pthread_mutex_lock(&r->lock);
    r->wanted = true;
    r->why = why;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
}

int wc_reloader_change(wc_reloader *r, const char *name, const json_t *entry, int timeout_ms,
                       wc_error *err)
{
    change *c = calloc(1, sizeof *c);
    if (!c || !(c->name = strdup(name))) {
        free(c);
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    c->entry = entry ? json_deep_copy(entry) : NULL;
    if (entry && !c->entry) {
        free(c->name);
        free(c);
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    c->holders = 2;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&r->lock);
    if (r->stopping || r->waiting >= WC_RELOAD_MAX_WAITING) {
        bool stopping = r->stopping;
        pthread_mutex_unlock(&r->lock);
        free(c->name);
        json_decref(c->entry);
        free(c);
        return stopping ? wc_error_set(err, WC_ECANCELED, "the server is stopping")
                        : wc_error_set(err, WC_EAGAIN, "%d admin changes wait for the reload "
                                       "worker already: try again", WC_RELOAD_MAX_WAITING);
    }
    *r->tail = c;
    r->tail = &c->next;
    r->waiting++;
    pthread_cond_signal(&r->wake);
    int rc = 0;
    while (!c->done && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&r->answered, &r->lock, &deadline);
    if (c->done) {
        rc = c->rc;
        if (rc)
            wc_error_set(err, rc, "%s", c->err.msg);
    } else {
        rc = wc_error_set(err, WC_ETIMEDOUT, "the reload did not end within %d ms (it goes on, "
                          "and applies when it ends)", timeout_ms);
    }
    change_drop(r, c);
    pthread_mutex_unlock(&r->lock);
    return rc;
}

unsigned long long wc_reloader_done(wc_reloader *r)
{
    pthread_mutex_lock(&r->lock);
    unsigned long long n = r->done;
    pthread_mutex_unlock(&r->lock);
    return n;
}

void wc_reloader_free(wc_reloader *r)
{
    if (!r)
        return;
    /* The watcher first: its callback requests reloads. */
    wc_watch_free(r->watch);
    r->watch = NULL;
    pthread_mutex_lock(&r->lock);
    r->stopping = true;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    json_decref(r->patch);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->wake);
    pthread_cond_destroy(&r->answered);
    free(r);
}
