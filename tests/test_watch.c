/* test_watch.c -- util/watch.h: files followed through their folders.
 *
 * A write in place, a rename over the file (an editor's save), a delete
 * and re-create each call back once the burst is quiet; a change of
 * another name in the folder does not; 100 writes in a row are one call;
 * a file that never stops changing still calls back within the cap;
 * replacing the set stops the old folder's events; more than
 * WC_WATCH_MAX_FILES files are refused.
 */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "util/clock.h"
#include "util/watch.h"

/* Long enough that a loaded machine's pauses between writes stay inside
 * one burst. */
#define QUIET_MS 250

static atomic_int calls;

static void on_change(void *ctx)
{
    (void)ctx;
    atomic_fetch_add(&calls, 1);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* Waits up to ms for calls to pass `had`, then a little longer for any
 * extra call; returns how many came. */
static int calls_after(int had, int ms)
{
    uint64_t end = wc_monotonic_ms() + (uint64_t)ms;
    while (atomic_load(&calls) <= had && wc_monotonic_ms() < end)
        usleep(5000);
    usleep(2 * QUIET_MS * 1000);
    return atomic_load(&calls) - had;
}

int main(void)
{
    char dir[] = "/tmp/wc-watch-XXXXXX", other_dir[] = "/tmp/wc-watch2-XXXXXX";
    if (!mkdtemp(dir) || !mkdtemp(other_dir))
        return 1;
    char file[300], other[300], tmp[300], elsewhere[300];
    snprintf(file, sizeof file, "%s/a.wasm", dir);
    snprintf(other, sizeof other, "%s/b.txt", dir);
    snprintf(tmp, sizeof tmp, "%s/a.wasm.tmp", dir);
    snprintf(elsewhere, sizeof elsewhere, "%s/c.json", other_dir);
    write_text(file, "1");
    write_text(elsewhere, "1");

    wc_watch *w;
    wc_error err = {0};
    CHECK(wc_watch_new(QUIET_MS, on_change, NULL, &w, &err) == 0, "new: %s", err.msg);
    const char *paths[] = {file};
    CHECK(wc_watch_set(w, paths, 1, &err) == 0, "set: %s", err.msg);

    int had = atomic_load(&calls);
    write_text(file, "2");
    CHECK(calls_after(had, 3000) == 1, "a write in place: one call");
    had = atomic_load(&calls);
    write_text(tmp, "3");
    CHECK(rename(tmp, file) == 0, "rename");
    CHECK(calls_after(had, 3000) == 1, "a rename over the file: one call");
    had = atomic_load(&calls);
    unlink(file);
    write_text(file, "4");
    CHECK(calls_after(had, 3000) == 1, "a delete and re-create: one call");
    had = atomic_load(&calls);
    write_text(other, "x");
    CHECK(calls_after(had, 700) == 0, "another name in the folder: no call");

    had = atomic_load(&calls);
    for (int i = 0; i < 100; i++)
        write_text(file, i % 2 ? "odd" : "even");
    CHECK(calls_after(had, 3000) == 1, "100 writes: one call");

    /* Changes every 50 ms for 4 s: the cap (10 quiet periods, 2.5 s)
     * still calls back while they go on. */
    had = atomic_load(&calls);
    uint64_t start = wc_monotonic_ms(), first = 0;
    while (wc_monotonic_ms() - start < 4000) {
        write_text(file, "again");
        if (!first && atomic_load(&calls) > had)
            first = wc_monotonic_ms() - start;
        usleep(50000);
    }
    CHECK(first > 0 && first <= 3500, "a file that never rests: first call after %llu ms",
          (unsigned long long)first);

    /* The set replaced: the old folder is no longer followed. */
    const char *moved[] = {elsewhere};
    CHECK(wc_watch_set(w, moved, 1, &err) == 0, "set again: %s", err.msg);
    usleep(400000);
    had = atomic_load(&calls);
    write_text(file, "5");
    CHECK(calls_after(had, 700) == 0, "the old file is not followed");
    write_text(elsewhere, "2");
    CHECK(calls_after(had, 3000) == 1, "the new file is");

    /* Bounds and errors. */
    const char **many = calloc(WC_WATCH_MAX_FILES + 1, sizeof *many);
    for (size_t i = 0; i <= WC_WATCH_MAX_FILES; i++)
        many[i] = file;
    CHECK(wc_watch_set(w, many, WC_WATCH_MAX_FILES + 1, &err) == WC_ETOOBIG &&
              strstr(err.msg, "4096"),
          "too many files: %s", err.msg);
    free(many);
    const char *missing[] = {"/nonexistent-wc-dir/x.wasm"};
    CHECK(wc_watch_set(w, missing, 1, &err) == WC_ENOENT && strstr(err.msg, "/nonexistent-wc-dir"),
          "a folder that is not there: %s", err.msg);
    unsigned long long events, ncalls;
    wc_watch_counts(w, &events, &ncalls);
    CHECK(ncalls == (unsigned long long)atomic_load(&calls) && events >= ncalls,
          "counts: %llu events, %llu calls", events, ncalls);
    wc_watch_free(w);

    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", dir, other_dir);
    if (system(cmd) != 0)
        printf("cannot remove the folders\n");
    printf("%d checks, %d failures\n", checks, failures);
    return failures != 0;
}
