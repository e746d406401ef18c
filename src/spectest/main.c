/* main.c -- wasmcap-spectest: runs WebAssembly spec test scripts.
 *
 *   wasmcap-spectest [--tier fast|optimized] [--jobs N] [--keep DIR]
 *                    [--cache-dir DIR] [--verbose] DIR_OR_FILES...
 *
 * Every script runs in its own worker process (up to --jobs at a time): a
 * crash in the engine then costs one script, reported as failed with its
 * signal, and the run goes on.  Workers write their report to a file and
 * their counts to shared memory; the parent prints reports in script order.
 */
#define _GNU_SOURCE /* strsignal */
#include "spectest/spectest.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/grow.h"

typedef enum script_state {
    SCRIPT_PENDING,
    SCRIPT_RUNNING,
    SCRIPT_DONE,
} script_state;

typedef struct script {
    char *path;         /* as given or found */
    char *display_name; /* basename: "i32.wast" */
    char *work_name;    /* its directory under the work dir, unique */
    script_state state;
    pid_t pid;
    int wait_status;
} script;

typedef struct script_list {
    script *items;
    size_t count, capacity;
} script_list;

static void usage(FILE *out)
{
    fputs("usage: wasmcap-spectest [--tier fast|optimized] [--jobs N] [--keep DIR]\n"
          "                        [--cache-dir DIR] [--features LIST] [--verbose]\n"
          "                        DIR_OR_FILES...\n"
          "\n"
          "Runs WebAssembly spec test scripts (.wast; for a directory, every *.wast in it)\n"
          "against the engine.  Scripts are converted with `wast2json --enable-all`\n"
          "(WAST2JSON overrides the program).\n"
          "\n"
          "  --tier T       fast (libtcc, the default) or optimized (gcc -O2)\n"
          "  --jobs N       scripts run in parallel in N worker processes (default: CPUs)\n"
          "  --keep DIR     convert into DIR and keep the files (default: a temporary\n"
          "                 directory, removed afterwards)\n"
          "  --cache-dir D  the optimized tier's code cache (default: the engine's)\n"
          "  --features L   the post-2.0 proposals turned on, by their folder names in\n"
          "                 the suite's proposals/ (e.g. tail-call,multi-memory), or\n"
          "                 none (default: every proposal the engine implements)\n"
          "  --verbose      also print skipped commands and spectest.print* calls\n"
          "\n"
          "Exits 0 when no test failed.\n",
          out);
}

/* --features: "none" or a comma-separated list of proposal names; every
 * proposal not named is turned off. */
static int parse_features(const char *list, uint32_t *disabled)
{
    uint32_t enabled = 0;
    if (strcmp(list, "none") != 0) {
        char copy[256];
        if (strlen(list) >= sizeof copy) {
            fprintf(stderr, "wasmcap-spectest: --features: list too long\n");
            return -1;
        }
        strcpy(copy, list);
        char *save = NULL;
        for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
            uint32_t bit = wc_feature_by_name(name);
            if (!bit) {
                fprintf(stderr, "wasmcap-spectest: --features: unknown proposal '%s'\n", name);
                return -1;
            }
            enabled |= bit;
        }
    }
    *disabled = WC_FEATURES_ALL & ~enabled;
    return 0;
}

/* ---- the list of scripts ------------------------------------------------ */

static void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) {
        fputs("wasmcap-spectest: out of memory\n", stderr);
        exit(2);
    }
    return p;
}

static char *xstrdup(const char *s)
{
    char *copy = xmalloc(strlen(s) + 1);
    strcpy(copy, s);
    return copy;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void add_script(script_list *list, const char *path)
{
    if (!wc_grow((void **)&list->items, &list->capacity, list->count + 1, sizeof *list->items)) {
        fputs("wasmcap-spectest: out of memory\n", stderr);
        exit(2);
    }
    const char *slash = strrchr(path, '/');
    script *s = &list->items[list->count++];
    memset(s, 0, sizeof *s);
    s->path = xstrdup(path);
    s->display_name = xstrdup(slash ? slash + 1 : path);
}

static int compare_names(const void *a, const void *b)
{
    /* strcmp, not the locale's collation: the same order everywhere. */
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds every *.wast in dir, sorted by name. */
static int add_directory(script_list *list, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "wasmcap-spectest: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t count = 0, capacity = 0;
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL) {
        if (entry->d_name[0] == '.' || !ends_with(entry->d_name, ".wast"))
            continue;
        if (!wc_grow((void **)&names, &capacity, count + 1, sizeof *names)) {
            fputs("wasmcap-spectest: out of memory\n", stderr);
            exit(2);
        }
        names[count++] = xstrdup(entry->d_name);
    }
    closedir(d);
    qsort(names, count, sizeof *names, compare_names);
    for (size_t i = 0; i < count; i++) {
        size_t size = strlen(dir) + strlen(names[i]) + 2;
        char *path = xmalloc(size);
        snprintf(path, size, "%s/%s", dir, names[i]);
        add_script(list, path);
        free(path);
        free(names[i]);
    }
    free(names);
    if (count == 0)
        fprintf(stderr, "wasmcap-spectest: warning: no .wast files in %s\n", dir);
    return 0;
}

/* Work directory names: the script's name without .wast, made unique when
 * two directories hold scripts of the same name. */
static void assign_work_names(script_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        script *s = &list->items[i];
        size_t length = strlen(s->display_name);
        if (ends_with(s->display_name, ".wast"))
            length -= strlen(".wast");
        bool duplicate = false;
        for (size_t j = 0; j < i && !duplicate; j++)
            duplicate = strcmp(list->items[j].display_name, s->display_name) == 0;
        size_t size = length + 32;
        s->work_name = xmalloc(size);
        if (duplicate)
            snprintf(s->work_name, size, "%.*s-%zu", (int)length, s->display_name, i);
        else
            snprintf(s->work_name, size, "%.*s", (int)length, s->display_name);
    }
}

/* ---- workers ------------------------------------------------------------ */

/* Where worker `index` writes its report; false if the path is too long. */
static bool report_path(const char *work_dir, size_t index, char *buf, size_t size)
{
    return (size_t)snprintf(buf, size, "%s/report-%zu.txt", work_dir, index) < size;
}

/* The body of a worker process: convert one script, run it, tidy up. */
static int run_worker(const script *s, size_t index, const char *work_dir, bool keep,
                      const spectest_options *options, spectest_counts *counts)
{
    char path[PATH_MAX];
    FILE *report = report_path(work_dir, index, path, sizeof path) ? fopen(path, "w") : NULL;
    if (!report) {
        fprintf(stderr, "wasmcap-spectest: %s: %s\n", path, strerror(errno));
        counts->failed++;
        return 1;
    }

    char script_dir[PATH_MAX], json_path[PATH_MAX];
    if ((size_t)snprintf(script_dir, sizeof script_dir, "%s/%s", work_dir, s->work_name) >=
        sizeof script_dir) {
        fprintf(report, "FAIL %s: path too long: %s/%s\n", s->display_name, work_dir,
                s->work_name);
        counts->failed++;
        fclose(report);
        return 0;
    }
    if (mkdir(script_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(report, "FAIL %s: cannot create %s: %s\n", s->display_name, script_dir,
                strerror(errno));
        counts->failed++;
    } else if (spectest_convert(s->path, script_dir, s->work_name, json_path, sizeof json_path,
                                report) != 0) {
        fprintf(report, "FAIL %s: conversion failed\n", s->display_name);
        counts->failed++;
    } else {
        spectest_run_script(s->display_name, json_path, options, counts, report);
    }
    if (!keep)
        spectest_remove_tree(script_dir);
    fclose(report);
    return 0;
}

static void add_counts(spectest_counts *total, const spectest_counts *part)
{
    total->passed += part->passed;
    total->failed += part->failed;
    total->skipped += part->skipped;
    total->skipped_text += part->skipped_text;
    total->skipped_unsupported += part->skipped_unsupported;
    total->skipped_outdated += part->skipped_outdated;
}

/* Prints a finished script's report and its count line; adds to totals. */
static void print_script(const script *s, size_t index, const char *work_dir,
                         spectest_counts *counts, spectest_counts *totals)
{
    char path[PATH_MAX];
    FILE *report = report_path(work_dir, index, path, sizeof path) ? fopen(path, "r") : NULL;
    if (report) {
        char buf[8192];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, report)) > 0)
            fwrite(buf, 1, n, stdout);
        fclose(report);
        remove(path);
    }

    if (WIFSIGNALED(s->wait_status)) {
        int sig = WTERMSIG(s->wait_status);
        printf("FAIL %s:%d: worker killed by signal %d (%s); the last command it started is on this line\n",
               s->display_name, counts->running_line, sig, strsignal(sig));
        counts->failed++;
    } else if (!WIFEXITED(s->wait_status) || WEXITSTATUS(s->wait_status) != 0) {
        /* e.g. LeakSanitizer's exit status: its report is on stderr */
        printf("FAIL %s:%d: worker exited with status %d (see its stderr); the last command "
               "it started is on this line\n",
               s->display_name, counts->running_line,
               WIFEXITED(s->wait_status) ? WEXITSTATUS(s->wait_status) : -1);
        counts->failed++;
    }

    printf("%s: %" PRIu64 " passed, %" PRIu64 " failed, %" PRIu64 " skipped", s->display_name,
           counts->passed, counts->failed, counts->skipped);
    if (counts->skipped > 0)
        printf(" (%" PRIu64 " text-format assert_malformed, %" PRIu64 " unsupported%s)",
               counts->skipped_text, counts->skipped_unsupported,
               counts->skipped_outdated ? ", some outdated by 2.0" : "");
    putchar('\n');
    fflush(stdout);
    add_counts(totals, counts);
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static int make_work_dir(const char *keep_dir, char *buf, size_t size)
{
    if (keep_dir) {
        if (mkdir(keep_dir, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "wasmcap-spectest: %s: %s\n", keep_dir, strerror(errno));
            return -1;
        }
        snprintf(buf, size, "%s", keep_dir);
        return 0;
    }
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    snprintf(buf, size, "%s/wasmcap-spectest.XXXXXX", tmp);
    if (!mkdtemp(buf)) {
        fprintf(stderr, "wasmcap-spectest: mkdtemp %s: %s\n", buf, strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    spectest_options options = {.tier = WC_TIER_FAST};
    long jobs = sysconf(_SC_NPROCESSORS_ONLN);
    const char *keep_dir = NULL;

    enum { OPT_CACHE_DIR = 256, OPT_FEATURES };
    static const struct option long_options[] = {
        {"tier", required_argument, NULL, 't'},
        {"jobs", required_argument, NULL, 'j'},
        {"keep", required_argument, NULL, 'k'},
        {"cache-dir", required_argument, NULL, OPT_CACHE_DIR},
        {"features", required_argument, NULL, OPT_FEATURES},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "t:j:k:vh", long_options, NULL)) != -1) {
        switch (opt) {
        case 't':
            if (strcmp(optarg, "fast") == 0) {
                options.tier = WC_TIER_FAST;
            } else if (strcmp(optarg, "optimized") == 0) {
                options.tier = WC_TIER_OPTIMIZED;
            } else {
                fprintf(stderr, "wasmcap-spectest: --tier must be fast or optimized\n");
                return 2;
            }
            break;
        case 'j': {
            char *end;
            jobs = strtol(optarg, &end, 10);
            if (*end != '\0' || jobs < 1 || jobs > 1024) {
                fprintf(stderr, "wasmcap-spectest: --jobs needs a number from 1 to 1024\n");
                return 2;
            }
            break;
        }
        case 'k':
            keep_dir = optarg;
            break;
        case OPT_CACHE_DIR:
            options.cache_dir = optarg;
            break;
        case OPT_FEATURES:
            if (parse_features(optarg, &options.disabled_features) != 0)
                return 2;
            break;
        case 'v':
            options.verbose = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    if (jobs < 1)
        jobs = 1;

    script_list scripts = {0};
    for (int i = optind; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "wasmcap-spectest: %s: %s\n", argv[i], strerror(errno));
            return 2;
        }
        if (S_ISDIR(st.st_mode)) {
            if (add_directory(&scripts, argv[i]) != 0)
                return 2;
        } else {
            add_script(&scripts, argv[i]);
        }
    }
    assign_work_names(&scripts);

    char work_dir[PATH_MAX];
    if (make_work_dir(keep_dir, work_dir, sizeof work_dir) != 0)
        return 2;

    /* Counts per script, written by the workers. */
    size_t counts_size = (scripts.count ? scripts.count : 1) * sizeof(spectest_counts);
    spectest_counts *counts = mmap(NULL, counts_size, PROT_READ | PROT_WRITE,
                                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (counts == MAP_FAILED) {
        fprintf(stderr, "wasmcap-spectest: mmap: %s\n", strerror(errno));
        return 2;
    }

    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);

    spectest_counts totals = {0};
    size_t next_to_start = 0, next_to_print = 0, running = 0;
    while (next_to_print < scripts.count) {
        while (next_to_start < scripts.count && running < (size_t)jobs) {
            script *s = &scripts.items[next_to_start];
            fflush(stdout); /* or the child would print the parent's buffer again */
            fflush(stderr);
            pid_t pid = fork();
            if (pid < 0) {
                if (running > 0)
                    break; /* try again when a worker has finished */
                fprintf(stderr, "wasmcap-spectest: fork: %s\n", strerror(errno));
                return 2;
            }
            if (pid == 0) {
                /* exit(), not _exit(): LeakSanitizer checks at exit. */
                exit(run_worker(s, next_to_start, work_dir, keep_dir != NULL, &options,
                                &counts[next_to_start]));
            }
            s->pid = pid;
            s->state = SCRIPT_RUNNING;
            next_to_start++;
            running++;
        }

        int status;
        pid_t pid = wait(&status);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "wasmcap-spectest: wait: %s\n", strerror(errno));
            return 2;
        }
        for (size_t i = 0; i < next_to_start; i++) {
            script *s = &scripts.items[i];
            if (s->state == SCRIPT_RUNNING && s->pid == pid) {
                s->state = SCRIPT_DONE;
                s->wait_status = status;
                running--;
                break;
            }
        }
        /* In script order, whatever order the workers finish in. */
        while (next_to_print < scripts.count &&
               scripts.items[next_to_print].state == SCRIPT_DONE) {
            print_script(&scripts.items[next_to_print], next_to_print, work_dir,
                         &counts[next_to_print], &totals);
            next_to_print++;
        }
    }

    if (!keep_dir)
        spectest_remove_tree(work_dir);

    printf("tier %s, %ld jobs, %zu scripts, %.1f s\n",
           options.tier == WC_TIER_OPTIMIZED ? "optimized" : "fast", jobs, scripts.count,
           seconds_since(&start));
    printf("%" PRIu64 " skipped (%" PRIu64 " text-format assert_malformed: no text parser; %" PRIu64
           " unsupported: a proposal the engine lacks or has off)\n",
           totals.skipped, totals.skipped_text, totals.skipped_unsupported);
    if (totals.skipped_outdated)
        printf("of which %" PRIu64 " outdated: a proposal's assertion that 2.0 changed (--verbose names them)\n",
               totals.skipped_outdated);
    printf("%" PRIu64 " passed, %" PRIu64 " failed\n", totals.passed, totals.failed);

    munmap(counts, counts_size);
    for (size_t i = 0; i < scripts.count; i++) {
        free(scripts.items[i].path);
        free(scripts.items[i].display_name);
        free(scripts.items[i].work_name);
    }
    free(scripts.items);
    return totals.failed == 0 ? 0 : 1;
}
