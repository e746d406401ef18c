/* nats_server.h -- a real nats-server for a test: started with JetStream
 * on a free 127.0.0.1 port and a store folder under the build folder,
 * stopped after, and killed or restarted on the same port for fault tests.
 *
 *     nats_server ns;
 *     if (nats_server_start(&ns, "bus") == 0) {
 *         ... ns.url ...
 *         nats_server_stop(&ns);
 *     }
 *
 * The server's log goes to LOG in the store folder.  A test that finds no
 * nats-server on PATH should fail: scripts/install-deps.sh installs it. */
#ifndef WC_TESTS_NATS_SERVER_H
#define WC_TESTS_NATS_SERVER_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef WC_BINARY_DIR
#define WC_BINARY_DIR "."
#endif

typedef struct nats_server {
    pid_t pid; /* 0 when not running */
    int port;
    char dir[512];
    char url[64];
    char conf[600]; /* a config file for -c, or "" */
} nats_server;

/* A port the kernel had free a moment ago. */
static inline int nats_server_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static inline int nats_server_accepts(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static inline void nats_server_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Starts argv[0] (found on PATH) with stdout and stderr appended to
 * log_path and stdin from /dev/null: the servers and nodes the tests run.
 * Returns the child's pid, or -1. */
static inline pid_t nats_server_spawn_logged(const char *log_path, char *const argv[])
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    int null = open("/dev/null", O_RDONLY);
    if (log >= 0) {
        dup2(log, 1);
        dup2(log, 2);
    }
    if (null >= 0)
        dup2(null, 0);
    execvp(argv[0], argv);
    _exit(127);
}

/* Starts nats-server on s->port (picking one when 0) with the store in
 * s->dir (made from name when empty); waits up to 10 s for it to accept.
 * Returns 0 or -1 (with the reason on stdout). */
static inline int nats_server_launch(nats_server *s)
{
    char port_text[16], log_path[600];
    snprintf(port_text, sizeof port_text, "%d", s->port);
    snprintf(log_path, sizeof log_path, "%s/LOG", s->dir);
    char *argv[] = {"nats-server", "-js", "-a", "127.0.0.1", "-p", port_text, "-sd", s->dir,
                    s->conf[0] ? "-c" : NULL, s->conf, NULL};
    pid_t pid = nats_server_spawn_logged(log_path, argv);
    if (pid < 0)
        return -1;
    s->pid = pid;
    for (int i = 0; i < 1000; i++) {
        if (nats_server_accepts(s->port))
            return 0;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            s->pid = 0;
            printf("nats-server exited (status %d) before accepting: see %s\n", status, log_path);
            return -1;
        }
        nats_server_sleep_ms(10);
    }
    printf("nats-server did not accept on port %d within 10 s\n", s->port);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    s->pid = 0;
    return -1;
}

static inline int nats_server_start_config(nats_server *s, const char *name,
                                           const char *config_text);

static inline int nats_server_start(nats_server *s, const char *name)
{
    return nats_server_start_config(s, name, NULL);
}

/* As nats_server_start, with config_text (nats-server's config format) in
 * a file of the store folder: limits the flags cannot set. */
static inline int nats_server_start_config(nats_server *s, const char *name,
                                           const char *config_text)
{
    memset(s, 0, sizeof *s);
    s->port = nats_server_free_port();
    if (s->port < 0)
        return -1;
    mkdir(WC_BINARY_DIR "/nats", 0755);
    snprintf(s->dir, sizeof s->dir, WC_BINARY_DIR "/nats/%s-%d", name, (int)getpid());
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    if (system(cmd) != 0)
        return -1;
    mkdir(s->dir, 0755);
    snprintf(s->url, sizeof s->url, "nats://127.0.0.1:%d", s->port);
    if (config_text) {
        snprintf(s->conf, sizeof s->conf, "%s/server.conf", s->dir);
        FILE *f = fopen(s->conf, "w");
        if (!f || fputs(config_text, f) < 0 || fclose(f) != 0)
            return -1;
    }
    return nats_server_launch(s);
}

/* Ends the server with sig (SIGTERM: a clean stop; SIGKILL: a crash). */
static inline void nats_server_signal(nats_server *s, int sig)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, sig);
    for (int i = 0; i < 500; i++) {
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
            s->pid = 0;
            return;
        }
        nats_server_sleep_ms(10);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
}

/* Starts it again on the same port and store. */
static inline int nats_server_restart(nats_server *s)
{
    nats_server_signal(s, SIGTERM);
    return nats_server_launch(s);
}

/* Stops it and removes its store. */
static inline void nats_server_stop(nats_server *s)
{
    nats_server_signal(s, SIGTERM);
    if (s->dir[0]) {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
        if (system(cmd) != 0)
            printf("could not remove %s\n", s->dir);
    }
}

#endif
