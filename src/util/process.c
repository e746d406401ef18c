/* process.c -- run a helper program with posix_spawn. */
#define _GNU_SOURCE
#include "util/process.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

void wc_cancel_init(wc_cancel *cancel)
{
    pthread_mutex_init(&cancel->lock, NULL);
    cancel->pid = 0;
    cancel->cancelled = false;
}

void wc_cancel_destroy(wc_cancel *cancel)
{
    pthread_mutex_destroy(&cancel->lock);
}

void wc_cancel_fire(wc_cancel *cancel)
{
    pthread_mutex_lock(&cancel->lock);
    cancel->cancelled = true;
    if (cancel->pid > 0)
        kill(-cancel->pid, SIGKILL); /* the group: gcc's cc1 and as too */
    pthread_mutex_unlock(&cancel->lock);
}

int wc_run_process(char *const argv[], char *output, size_t output_size, wc_cancel *cancel)
{
    return wc_run_process_limited(argv, output, output_size, cancel, NULL, NULL);
}

static unsigned long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
}

enum { MAX_ARGS = 64 };

/* The limits go on before the program runs, through sh's ulimit (inherited
 * by what it starts): posix_spawn cannot set them, and prlimit() after it
 * would race with the program's own children.  The CPU limit's hard value
 * is a second above the soft one, so that it ends in SIGXCPU (a hard limit
 * reached is SIGKILL, which a cancel also sends).  Returns the argv to run. */
static char *const *limited_argv(char *const argv[], const wc_process_limits *limits, char *script,
                                 size_t script_size, char *wrapped[MAX_ARGS + 5])
{
    if (!limits || (!limits->address_space_bytes && !limits->cpu_seconds))
        return argv;
    if (limits->address_space_bytes && limits->cpu_seconds)
        snprintf(script, script_size, "ulimit -v %llu && ulimit -St %u && ulimit -Ht %u && exec \"$@\"",
                 limits->address_space_bytes / 1024, limits->cpu_seconds, limits->cpu_seconds + 1);
    else if (limits->address_space_bytes)
        snprintf(script, script_size, "ulimit -v %llu && exec \"$@\"", limits->address_space_bytes / 1024);
    else
        snprintf(script, script_size, "ulimit -St %u && ulimit -Ht %u && exec \"$@\"", limits->cpu_seconds,
                 limits->cpu_seconds + 1);
    int n = 0;
    wrapped[n++] = "sh";
    wrapped[n++] = "-c";
    wrapped[n++] = script;
    wrapped[n++] = "sh";
    for (int i = 0; argv[i]; i++) {
        if (i >= MAX_ARGS)
            return NULL;
        wrapped[n++] = argv[i];
    }
    wrapped[n] = NULL;
    return wrapped;
}

int wc_run_process_limited(char *const argv[], char *output, size_t output_size, wc_cancel *cancel,
                           const wc_process_limits *limits, bool *timed_out)
{
    if (timed_out)
        *timed_out = false;
    char script[128], *wrapped[MAX_ARGS + 5];
    argv = limited_argv(argv, limits, script, sizeof script, wrapped);
    if (!argv)
        return -E2BIG;
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return -errno;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1);
    posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2);
    /* A process group of its own, so that a cancel kills what the program
     * started as well (gcc's cc1 would otherwise hold the pipe open and
     * keep us waiting until it finished). */
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    close(pipefd[1]);
    if (rc != 0) {
        close(pipefd[0]);
        return -rc;
    }
    if (cancel) {
        pthread_mutex_lock(&cancel->lock);
        cancel->pid = pid;
        if (cancel->cancelled)
            kill(-pid, SIGKILL);
        pthread_mutex_unlock(&cancel->lock);
    }
    size_t len = 0;
    char discard[4096];
    unsigned long long deadline = limits && limits->wall_ms ? now_ms() + limits->wall_ms : ULLONG_MAX;
    for (;;) {
        char *dst = discard;
        size_t room = sizeof discard;
        if (output && len + 1 < output_size) {
            dst = output + len;
            room = output_size - 1 - len;
        }
        if (limits && limits->wall_ms) {
            unsigned long long now = now_ms();
            int left = deadline == ULLONG_MAX ? -1
                       : now >= deadline      ? 0
                       : deadline - now > INT_MAX ? INT_MAX
                                                  : (int)(deadline - now);
            struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
            int ready = left != 0 ? poll(&p, 1, left) : 0;
            if (ready < 0 && errno == EINTR)
                continue;
            if (ready == 0) {
                kill(-pid, SIGKILL); /* the group: gcc's cc1 and as too */
                if (timed_out)
                    *timed_out = true;
                deadline = ULLONG_MAX; /* then read what is left until EOF */
                continue;
            }
        }
        ssize_t n = read(pipefd[0], dst, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (dst != discard)
            len += (size_t)n;
    }
    close(pipefd[0]);
    if (output && output_size)
        output[len] = 0;
    /* Wait without reaping first: until the child is reaped its pid cannot
     * be reused, so wc_cancel_fire never kills a stranger. */
    siginfo_t info;
    while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
    }
    if (cancel) {
        pthread_mutex_lock(&cancel->lock);
        cancel->pid = 0;
        pthread_mutex_unlock(&cancel->lock);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -errno;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}
