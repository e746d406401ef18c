/* watch.c -- one thread per watcher: poll on the inotify descriptor and a
 * stop pipe, with a timeout only while a burst is settling.
 *
 * The table of watched directories (each with the names it holds that
 * matter) is swapped whole by wc_watch_set under the lock; the thread
 * reads it under the same lock for each batch of events.
 */
#define _GNU_SOURCE
#include "util/watch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/grow.h"

#define EVENT_MASK                                                                          \
    (IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |    \
     IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

/* Reads of the inotify descriptor per wake-up. */
#define MAX_READS 64
/* A file that never stops changing still reloads: at most this many
 * quiet periods after the first change of a burst. */
#define MAX_QUIET_PERIODS 10

typedef struct watched_dir {
    char *dir;
    int wd;
    char **names;
    size_t nnames, cap;
} watched_dir;

struct wc_watch {
    int fd;          /* inotify */
    int stop[2];     /* a byte written: the thread ends */
    unsigned quiet_ms;
    wc_watch_fn fn;
    void *ctx;
    pthread_t thread;
    pthread_mutex_t lock;
    watched_dir *dirs;
    size_t ndirs;
    unsigned long long events, calls; /* under lock */
};

static void dirs_free(watched_dir *dirs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < dirs[i].nnames; j++)
            free(dirs[i].names[j]);
        free(dirs[i].names);
        free(dirs[i].dir);
    }
    free(dirs);
}

/* Lock held. */
static bool matters(const wc_watch *w, int wd, const char *name, uint32_t len)
{
    for (size_t i = 0; i < w->ndirs; i++) {
        if (w->dirs[i].wd != wd)
            continue;
        if (!len)
            return true; /* the directory itself went away or moved */
        for (size_t j = 0; j < w->dirs[i].nnames; j++)
            if (strcmp(w->dirs[i].names[j], name) == 0)
                return true;
    }
    return false;
}

/* Reads what is queued; true when a watched name changed. */
static bool drain_events(wc_watch *w)
{
    _Alignas(struct inotify_event) char buf[8192];
    bool changed = false;
    /* A bounded number of reads: events that keep coming wait for the
     * next poll rather than hold this loop. */
    for (int reads = 0; reads < MAX_READS; reads++) {
        ssize_t n = read(w->fd, buf, sizeof buf);
        if (n <= 0)
            break;
        pthread_mutex_lock(&w->lock);
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *e = (const struct inotify_event *)p;
            if ((e->mask & IN_Q_OVERFLOW) ||
                matters(w, e->wd, e->len ? e->name : "", e->len)) {
                changed = true;
                w->events++;
            }
            p += sizeof *e + e->len;
        }
        pthread_mutex_unlock(&w->lock);
    }
    return changed;
}

static void *run(void *arg)
{
    wc_watch *w = arg;
    bool pending = false;
    uint64_t due = 0, latest = 0;
    for (;;) {
        int timeout = -1;
        if (pending) {
            uint64_t now = wc_monotonic_ms();
            timeout = due > now ? (int)(due - now) : 0;
        }
        struct pollfd p[2] = {{.fd = w->fd, .events = POLLIN}, {.fd = w->stop[0], .events = POLLIN}};
        int rc = poll(p, 2, timeout);
        if (rc < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            break;
        if (rc > 0 && (p[0].revents & POLLIN) && drain_events(w)) {
            uint64_t now = wc_monotonic_ms();
            if (!pending)
                latest = now + (uint64_t)w->quiet_ms * MAX_QUIET_PERIODS;
            pending = true;
            due = now + w->quiet_ms; /* quiet_ms after the last change */
            if (due > latest)
                due = latest;
            continue;
        }
        if (pending && wc_monotonic_ms() >= due) {
            pending = false;
            pthread_mutex_lock(&w->lock);
            w->calls++;
            pthread_mutex_unlock(&w->lock);
            w->fn(w->ctx);
        }
    }
    return NULL;
}

int wc_watch_new(unsigned quiet_ms, wc_watch_fn fn, void *ctx, wc_watch **out, wc_error *err)
{
    *out = NULL;
    wc_watch *w = calloc(1, sizeof *w);
    if (!w)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    w->quiet_ms = quiet_ms;
    w->fn = fn;
    w->ctx = ctx;
    w->stop[0] = w->stop[1] = -1;
    pthread_mutex_init(&w->lock, NULL);
    w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->fd < 0 || pipe2(w->stop, O_CLOEXEC) != 0) {
        int code = -errno;
        wc_watch_free(w);
        return wc_error_set(err, code, "inotify: %s", wc_strerror(code));
    }
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        close(w->stop[1]);
        w->stop[1] = -1;
        wc_watch_free(w);
        return wc_error_set(err, WC_ENOMEM, "cannot start the watcher thread");
    }
    *out = w;
    return 0;
}

/* The entry of dir in dirs, added when missing. */
static watched_dir *dir_entry(watched_dir **dirs, size_t *n, size_t *cap, const char *dir)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*dirs)[i].dir, dir) == 0)
            return &(*dirs)[i];
    if (!wc_grow((void **)dirs, cap, *n + 1, sizeof **dirs))
        return NULL;
    watched_dir *d = &(*dirs)[*n];
    *d = (watched_dir){.dir = strdup(dir), .wd = -1};
    if (!d->dir)
        return NULL;
    (*n)++;
    return d;
}

static int add_name(watched_dir *d, const char *name)
{
    for (size_t i = 0; i < d->nnames; i++)
        if (strcmp(d->names[i], name) == 0)
            return 0;
    if (!wc_grow((void **)&d->names, &d->cap, d->nnames + 1, sizeof *d->names))
        return WC_ENOMEM;
    if (!(d->names[d->nnames] = strdup(name)))
        return WC_ENOMEM;
    d->nnames++;
    return 0;
}

/* paths as directories and names. */
static int split_paths(const char *const *paths, size_t n, watched_dir **out, size_t *count)
{
    watched_dir *dirs = NULL;
    size_t ndirs = 0, cap = 0;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        const char *slash = strrchr(paths[i], '/');
        char *dir = slash ? strndup(paths[i], slash == paths[i] ? 1 : (size_t)(slash - paths[i]))
                          : strdup(".");
        watched_dir *d = dir ? dir_entry(&dirs, &ndirs, &cap, dir) : NULL;
        free(dir);
        rc = d ? add_name(d, slash ? slash + 1 : paths[i]) : WC_ENOMEM;
    }
    if (rc) {
        dirs_free(dirs, ndirs);
        return rc;
    }
    *out = dirs;
    *count = ndirs;
    return 0;
}

int wc_watch_set(wc_watch *w, const char *const *paths, size_t n, wc_error *err)
{
    if (n > WC_WATCH_MAX_FILES)
        return wc_error_set(err, WC_ETOOBIG, "watch: %zu files, more than the %d one watcher "
                            "follows", n, WC_WATCH_MAX_FILES);
    watched_dir *dirs;
    size_t ndirs;
    if (split_paths(paths, n, &dirs, &ndirs))
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    int rc = 0;
    pthread_mutex_lock(&w->lock);
    for (size_t i = 0; i < ndirs; i++) {
        /* The same directory gets the same descriptor back. */
        dirs[i].wd = inotify_add_watch(w->fd, dirs[i].dir, EVENT_MASK | IN_ONLYDIR);
        if (dirs[i].wd < 0 && !rc) {
            rc = -errno;
            wc_error_set(err, rc, "watch: %s: %s", dirs[i].dir, wc_strerror(rc));
        }
    }
    for (size_t i = 0; i < w->ndirs; i++) {
        bool kept = false;
        for (size_t j = 0; j < ndirs && !kept; j++)
            kept = dirs[j].wd == w->dirs[i].wd;
        if (!kept && w->dirs[i].wd >= 0)
            inotify_rm_watch(w->fd, w->dirs[i].wd);
    }
    dirs_free(w->dirs, w->ndirs);
    w->dirs = dirs;
    w->ndirs = ndirs;
    pthread_mutex_unlock(&w->lock);
    return rc;
}

void wc_watch_counts(wc_watch *w, unsigned long long *events, unsigned long long *calls)
{
    pthread_mutex_lock(&w->lock);
    *events = w->events;
    *calls = w->calls;
    pthread_mutex_unlock(&w->lock);
}

void wc_watch_free(wc_watch *w)
{
    if (!w)
        return;
    if (w->stop[1] >= 0) {
        char b = 1;
        ssize_t rc = write(w->stop[1], &b, 1);
        (void)rc;
        pthread_join(w->thread, NULL);
    }
    for (int i = 0; i < 2; i++)
        if (w->stop[i] >= 0)
            close(w->stop[i]);
    if (w->fd >= 0)
        close(w->fd);
    dirs_free(w->dirs, w->ndirs);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
