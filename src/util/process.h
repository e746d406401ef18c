/* process.h -- run a helper program (gcc) and capture its output. */
#ifndef WC_UTIL_PROCESS_H
#define WC_UTIL_PROCESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Lets another thread stop a running helper program (engine shutdown). */
typedef struct wc_cancel {
    pthread_mutex_t lock;
    pid_t pid; /* the running child, 0 when none */
    bool cancelled;
} wc_cancel;

void wc_cancel_init(wc_cancel *cancel);
void wc_cancel_destroy(wc_cancel *cancel);
/* Kills the running child, if any, and every later one at once. */
void wc_cancel_fire(wc_cancel *cancel);

/* Runs argv[0] (searched in PATH) with stdin from /dev/null and stdout and
 * stderr together into `output` (up to output_size-1 bytes, NUL-terminated;
 * may be NULL).  Returns the exit status (0..255), 128+signal when killed,
 * or -errno (a WC_E* code) when it could not be started.  cancel may be
 * NULL. */
int wc_run_process(char *const argv[], char *output, size_t output_size, wc_cancel *cancel);

/* Bounds on a helper program that compiles untrusted input: address space
 * and CPU time of each of its processes (setrlimit, inherited by what it
 * starts; 0: unbounded), and the wall-clock time of the whole run, after
 * which its process group is killed (0: unbounded). */
typedef struct wc_process_limits {
    unsigned long long address_space_bytes;
    unsigned cpu_seconds;
    unsigned wall_ms;
} wc_process_limits;

/* wc_run_process under limits; *timed_out says whether the wall clock
 * killed it. */
int wc_run_process_limited(char *const argv[], char *output, size_t output_size, wc_cancel *cancel,
                           const wc_process_limits *limits, bool *timed_out);

#endif
