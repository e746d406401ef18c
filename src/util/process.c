/* process.c -- run a helper program with posix_spawn. */
#define _GNU_SOURCE
#include "util/process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
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
    for (;;) {
        char *dst = discard;
        size_t room = sizeof discard;
        if (output && len + 1 < output_size) {
            dst = output + len;
            room = output_size - 1 - len;
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
