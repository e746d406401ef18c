/* test_process_limits.c -- a helper program under wc_run_process_limited
 * cannot exceed its address space, CPU time or wall-clock limit (the
 * optimized tier runs gcc so, on modules that may be hostile), and the
 * limits reach the processes it starts. */
#include <signal.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "util/process.h"

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

int main(void)
{
    char output[256];
    bool timed_out;
    struct timespec t0;

    /* wall clock: a sleeping child (and its own child) killed at 200 ms */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char *sleeper[] = {"sh", "-c", "sleep 20; echo slept", NULL};
    wc_process_limits wall = {.wall_ms = 200};
    int status = wc_run_process_limited(sleeper, output, sizeof output, NULL, &wall, &timed_out);
    double took = seconds_since(&t0);
    CHECK(timed_out && status == 128 + SIGKILL && took < 5, "wall: timed out %d, status %d, %.1f s", timed_out,
          status, took);
    CHECK(!strstr(output, "slept"), "wall: the child ran to its end: %s", output);

    /* CPU time: a busy loop stopped by SIGXCPU after 1 s of CPU */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char *spinner[] = {"sh", "-c", "while :; do :; done", NULL};
    wc_process_limits cpu = {.cpu_seconds = 1, .wall_ms = 30000};
    status = wc_run_process_limited(spinner, output, sizeof output, NULL, &cpu, &timed_out);
    took = seconds_since(&t0);
    CHECK(!timed_out && status == 128 + SIGXCPU, "cpu: timed out %d, status %d after %.1f s", timed_out, status,
          took);

    /* address space: a 128 MiB string, which runs without the limit, refused under 64 MiB */
    char *grower[] = {"awk", "BEGIN { s = \"x\"; for (i = 0; i < 27; i++) s = s s; print length(s) }", NULL};
    wc_process_limits as = {.address_space_bytes = 64ull << 20, .wall_ms = 30000};
    status = wc_run_process_limited(grower, output, sizeof output, NULL, &as, &timed_out);
    CHECK(!timed_out && status != 0, "address space: timed out %d, status %d: %s", timed_out, status, output);
    wc_process_limits wall_only = {.wall_ms = 30000};
    status = wc_run_process_limited(grower, output, sizeof output, NULL, &wall_only, &timed_out);
    CHECK(status == 0 && strcmp(output, "134217728\n") == 0, "no address space limit: status %d: %s", status,
          output);

    /* within its limits a program runs as without them */
    char *echo[] = {"sh", "-c", "echo fine", NULL};
    wc_process_limits ample = {.address_space_bytes = 1ull << 30, .cpu_seconds = 10, .wall_ms = 30000};
    status = wc_run_process_limited(echo, output, sizeof output, NULL, &ample, &timed_out);
    CHECK(status == 0 && !timed_out && strcmp(output, "fine\n") == 0, "ample: status %d: %s", status, output);

    return check_report();
}
