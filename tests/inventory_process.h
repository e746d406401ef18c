/* inventory_process.h -- the example inventory service (services/inventory,
 * built as build/wasmcap-inventory) as a process of a test, on a NATS
 * server's url, its log discarded. */
#ifndef WC_TESTS_INVENTORY_PROCESS_H
#define WC_TESTS_INVENTORY_PROCESS_H

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef WC_BINARY_DIR
#define WC_BINARY_DIR "."
#endif

/* The child's pid, or -1. */
static inline pid_t inventory_start(const char *url)
{
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        execl(WC_BINARY_DIR "/wasmcap-inventory", "wasmcap-inventory", "--url", url, "--id", "inv-1",
              (char *)NULL);
        _exit(127);
    }
    return pid;
}

static inline void inventory_stop(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

#endif
