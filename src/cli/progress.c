/* progress.c -- a spinner with elapsed time, drawn by its own thread. */
#include "cli/progress.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct wc_progress {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop, drawn;
    struct timespec start;
    char label[256];
    char what[80];          /* the transfer under way, "" for none */
    uint64_t done, total;   /* its bytes; total 0 when unknown */
};

static double elapsed(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
}

static void *draw(void *arg)
{
    wc_progress *p = arg;
    static const char spinner[] = "|/-\\";
    unsigned turn = 0;
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 100 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p->wake, &p->lock, &until);
        double seconds = elapsed(&p->start);
        if (p->stop || seconds < 0.3)
            continue;
        if (p->total) {
            char bar[21];
            unsigned filled = (unsigned)(p->done >= p->total ? 20 : p->done * 20 / p->total);
            for (unsigned i = 0; i < 20; i++)
                bar[i] = i < filled ? '#' : '.';
            bar[20] = 0;
            fprintf(stderr, "\r\033[K%s %.40s [%s] %.1f/%.1f MB %.1f s", p->label, p->what, bar,
                    p->done / 1e6, p->total / 1e6, seconds);
        } else if (p->what[0]) {
            fprintf(stderr, "\r\033[K%s %.40s %c %.1f MB %.1f s", p->label, p->what,
                    spinner[turn++ % 4], p->done / 1e6, seconds);
        } else {
            fprintf(stderr, "\r%s %c %.1f s", p->label, spinner[turn++ % 4], seconds);
        }
        fflush(stderr);
        p->drawn = true;
    }
    if (p->drawn)
        fputs("\r\033[K", stderr);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

wc_progress *wc_progress_start(const char *label)
{
    if (!isatty(2))
        return NULL;
    wc_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    snprintf(p->label, sizeof p->label, "%s", label);
    clock_gettime(CLOCK_MONOTONIC, &p->start);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    if (pthread_create(&p->thread, NULL, draw, p) != 0) {
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->wake);
        free(p);
        return NULL;
    }
    return p;
}

void wc_progress_stop(wc_progress *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    free(p);
}

void wc_progress_transfer(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    wc_progress *p = ctx;
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    snprintf(p->what, sizeof p->what, "%s", what ? what : "");
    p->done = done;
    p->total = total;
    pthread_mutex_unlock(&p->lock);
}
