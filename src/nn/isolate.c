/* isolate.c -- isolate.h: a step in a forked child, its report by pipe. */
#define _GNU_SOURCE
#include "nn/isolate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/clock.h"

/* What the child writes, in one write(2) (shorter than PIPE_BUF, so it
 * arrives whole or not at all). */
typedef struct check_report {
    int32_t code;
    char msg[sizeof ((wc_error *)0)->msg];
} check_report;

_Static_assert(sizeof(check_report) <= PIPE_BUF, "the report must be one atomic write");

/* The child's address space now, in bytes (VmSize of /proc/self/status),
 * read without malloc; 0 when it cannot be read. */
static uint64_t address_space_bytes(void)
{
    char text[4096];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return 0;
    text[n] = 0;
    const char *at = strstr(text, "\nVmSize:");
    if (!at)
        return 0;
    at += strlen("\nVmSize:");
    while (*at == ' ' || *at == '\t')
        at++;
    uint64_t kib = 0;
    for (int digits = 0; *at >= '0' && *at <= '9' && digits < 19; at++, digits++)
        kib = kib * 10 + (uint64_t)(*at - '0');
    return kib * 1024;
}

/* Limits the child's address space to what it has plus memory_bytes: the
 * server's own reservations (8 GiB per Wasm memory) are inherited, so an
 * absolute limit would refuse everything or nothing. */
static int limit_memory(uint64_t memory_bytes, wc_error *err)
{
    uint64_t now = address_space_bytes();
    if (!now)
        return wc_error_set(err, WC_EIO, "nn: cannot read the trial's address space size");
    struct rlimit limit = {.rlim_cur = now + memory_bytes, .rlim_max = now + memory_bytes};
    if (setrlimit(RLIMIT_AS, &limit) != 0) {
        int e = errno;
        return wc_error_set(err, -e, "nn: cannot limit the trial's memory: %s", strerror(e));
    }
    return 0;
}

/* In the child: nothing of the parent's signal handling, no channel of
 * the parent's, death with the parent, at most memory_bytes more memory. */
static void child(int report_fd, int (*step)(const void *, wc_error *), const void *arg,
                  uint64_t memory_bytes)
{
    static const int defaults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTERM, SIGPIPE};
    for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++)
        signal(defaults[i], SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
    }
    check_report report = {0};
    wc_error err = {0};
    report.code = memory_bytes ? limit_memory(memory_bytes, &err) : 0;
    if (report.code == 0)
        report.code = step(arg, &err);
    memcpy(report.msg, err.msg, sizeof report.msg);
    report.msg[sizeof report.msg - 1] = 0;
    ssize_t n = write(report_fd, &report, sizeof report);
    _exit(n == (ssize_t)sizeof report ? 0 : 1);
}

/* Reads the report until the child closes the pipe or the deadline;
 * returns the bytes read, or -1 past the deadline. */
static ssize_t read_report(int fd, check_report *report, uint64_t deadline_ms)
{
    size_t got = 0;
    for (;;) {
        uint64_t now = wc_monotonic_ms();
        if (now >= deadline_ms)
            return -1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ready = poll(&p, 1, (int)(deadline_ms - now));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready == 0)
            return -1;
        char discard[256];
        char *dst = got < sizeof *report ? (char *)report + got : discard;
        size_t room = got < sizeof *report ? sizeof *report - got : sizeof discard;
        ssize_t n = read(fd, dst, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return (ssize_t)got;
        if (dst != discard)
            got += (size_t)n;
    }
}

static int reap(pid_t pid, int *status)
{
    while (waitpid(pid, status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return 0;
}

/* " (its trial may use N MiB more than the server: nn.trial_memory)", or
 * "" without a limit. */
static const char *limit_note(uint64_t memory_bytes, char *buf, size_t size)
{
    if (!memory_bytes)
        return "";
    snprintf(buf, size, " (its trial may use %llu MiB more than the server: nn.trial_memory)",
             (unsigned long long)(memory_bytes >> 20));
    return buf;
}

int wc_nn_isolate(const char *who, int (*step)(const void *arg, wc_error *err), const void *arg,
                  int timeout_ms, uint64_t memory_bytes, wc_error *err)
{
    char note[128];
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        int e = errno;
        return wc_error_set(err, -e, "nn: %s: pipe: %s", who, strerror(e));
    }
    uint64_t deadline = wc_monotonic_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return wc_error_set(err, -e, "nn: %s: fork: %s", who, strerror(e));
    }
    if (pid == 0) {
        close(fds[0]);
        child(fds[1], step, arg, memory_bytes);
    }
    close(fds[1]);
    check_report report = {0};
    ssize_t got = read_report(fds[0], &report, deadline);
    close(fds[0]);
    if (got < 0)
        kill(pid, SIGKILL);
    int status = 0, rc = reap(pid, &status);
    if (rc)
        return wc_error_set(err, rc, "nn: %s: waitpid: %s", who, wc_strerror(rc));
    if (got < 0)
        return wc_error_set(err, WC_ETIMEDOUT,
                            "nn: %s did not finish within %d ms: refused", who,
                            timeout_ms);
    if (WIFSIGNALED(status)) {
        const char *name = sigabbrev_np(WTERMSIG(status));
        return wc_error_set(err, WC_EBADMODULE,
                            "nn: %s crashed (signal %d, SIG%s): refused%s", who,
                            WTERMSIG(status), name ? name : "?",
                            limit_note(memory_bytes, note, sizeof note));
    }
    if (got != (ssize_t)sizeof report || WEXITSTATUS(status) != 0)
        return wc_error_set(err, WC_EBADMODULE,
                            "nn: %s ended (exit status %d) without a report: refused%s", who,
                            WEXITSTATUS(status), limit_note(memory_bytes, note, sizeof note));
    if (report.code == 0)
        return 0;
    report.msg[sizeof report.msg - 1] = 0;
    if (report.code == WC_ENOMEM && memory_bytes)
        return wc_error_set(err, WC_ENOMEM,
                            "nn: %s ran out of memory within its trial's limit of %llu MiB "
                            "(nn.trial_memory): %s: refused",
                            who, (unsigned long long)(memory_bytes >> 20), report.msg);
    int code = report.code == WC_ENOMEM ? WC_ENOMEM : WC_EBADMODULE;
    return wc_error_set(err, code, "%s", report.msg);
}
