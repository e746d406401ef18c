/* bench_page_clean.c -- what cleaning a freed instance's written pages
 * costs, the two ways the memory pool (src/engine/runtime/memory.c) could
 * do it: zeroing them in place with memset, or dropping them with
 * madvise(MADV_DONTNEED) and paying the fault when the next instance writes
 * them again.
 *
 *   bench_page_clean [--rounds N]
 *
 * For 1, 5, 16 and 64 written 4 KiB pages: each round writes the pages (a
 * store per page, as a call's stack, data and heap are written), cleans
 * them one way, and writes them again (the next call); the figure is the
 * median over the rounds of clean + write-again per page, in this thread's
 * CPU time (both ways take it: the fault is handled on the thread).  The
 * ratio is madvise's over memset's: above 1, zeroing in place wins at that
 * size.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "measure.h"

#define PAGE 4096
#define MAX_PAGES 64
#define MAX_ROUNDS 1001
#define REPEATS 200 /* cleanings per round: one is too short to time */

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void write_pages(volatile uint8_t *base, int pages, uint8_t v)
{
    for (int p = 0; p < pages; p++)
        base[(size_t)p * PAGE + 64] = v;
}

/* Clean + write again, REPEATS times; ns per page. */
static double time_clean(uint8_t *base, int pages, int use_madvise)
{
    uint64_t t0 = thread_cpu_ns();
    for (int r = 0; r < REPEATS; r++) {
        if (use_madvise) {
            if (madvise(base, (size_t)pages * PAGE, MADV_DONTNEED) != 0) {
                perror("bench_page_clean: madvise");
                exit(1);
            }
        } else {
            memset(base, 0, (size_t)pages * PAGE);
        }
        write_pages(base, pages, (uint8_t)(r + 1));
    }
    return (double)(thread_cpu_ns() - t0) / REPEATS / pages;
}

int main(int argc, char **argv)
{
    int rounds = 15;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
            rounds = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: bench_page_clean [--rounds N (1-%d)]\n", MAX_ROUNDS);
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "bench_page_clean: --rounds from 1 to %d\n", MAX_ROUNDS);
        return 2;
    }
    uint8_t *base = mmap(NULL, (size_t)MAX_PAGES * PAGE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        perror("bench_page_clean: mmap");
        return 1;
    }
    static const int sizes[] = {1, 5, 16, 64};
    printf("bench_page_clean: %d rounds of %d cleanings, medians; ns of CPU per page "
           "(clean, then the page written again)\n", rounds, REPEATS);
    printf("%6s %12s %12s %10s\n", "pages", "memset", "madvise", "ratio");
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int pages = sizes[s];
        static double zeroed[MAX_ROUNDS], dropped[MAX_ROUNDS];
        write_pages(base, pages, 1);
        for (int r = 0; r < rounds; r++) { /* in turn, so drift weighs on both */
            zeroed[r] = time_clean(base, pages, 0);
            dropped[r] = time_clean(base, pages, 1);
        }
        double z = bench_median(zeroed, rounds), d = bench_median(dropped, rounds);
        printf("%6d %12.1f %12.1f %10.1f\n", pages, z, d, d / z);
    }
    munmap(base, (size_t)MAX_PAGES * PAGE);
    return 0;
}
