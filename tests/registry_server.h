/* registry_server.h -- Debian's docker-registry (the CNCF distribution
 * registry) on 127.0.0.1 for the tests and benchmarks of fetch/: a free
 * port, a generated config in a private folder, optionally htpasswd
 * (bcrypt, made by apache2-utils' htpasswd), started and stopped by the
 * caller. */
#ifndef WC_TESTS_REGISTRY_SERVER_H
#define WC_TESTS_REGISTRY_SERVER_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/fs.h"

typedef struct test_registry {
    pid_t pid;
    int port;
    char dir[512];
    char host[64]; /* "127.0.0.1:PORT" */
    char auth_dir[512]; /* the htpasswd file's folder, or "" */
} test_registry;

static int test_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static bool test_port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static void test_registry_stop(test_registry *r)
{
    if (r->pid > 0) {
        kill(r->pid, SIGTERM);
        waitpid(r->pid, NULL, 0);
        r->pid = 0;
    }
    if (r->dir[0]) {
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", r->dir, r->auth_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", r->dir);
        r->dir[0] = 0;
    }
}

/* Starts a registry with auth (the YAML of its "auth:" section, or "").
 * 0 once it accepts connections (within 15 s), -1 otherwise. */
static int test_registry_start_auth(test_registry *r, const char *auth);

/* Starts a registry; user/password non-NULL turn on htpasswd auth. */
static int test_registry_start(test_registry *r, const char *user, const char *password)
{
    char htpasswd[512], auth[800] = "";
    if (user) {
        if (wc_make_temp_dir(htpasswd, sizeof htpasswd, "wc-htpasswd") != 0)
            return -1;
        char cmd[1000];
        snprintf(cmd, sizeof cmd, "htpasswd -Bbn '%s' '%s' > '%s/htpasswd'", user, password, htpasswd);
        if (system(cmd) != 0)
            return -1;
        snprintf(auth, sizeof auth, "auth:\n  htpasswd:\n    realm: wasmcap-test\n    path: %s/htpasswd\n",
                 htpasswd);
    }
    int rc = test_registry_start_auth(r, auth);
    if (user)
        snprintf(r->auth_dir, sizeof r->auth_dir, "%s", htpasswd);
    return rc;
}

static int test_registry_start_auth(test_registry *r, const char *auth)
{
    memset(r, 0, sizeof *r);
    if (wc_make_temp_dir(r->dir, sizeof r->dir, "wc-registry") != 0)
        return -1;
    r->port = test_free_port();
    snprintf(r->host, sizeof r->host, "127.0.0.1:%d", r->port);
    char path[700];
    snprintf(path, sizeof path, "%s/config.yml", r->dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f,
            "version: 0.1\n"
            "log:\n  level: error\n  accesslog:\n    disabled: true\n"
            "storage:\n  filesystem:\n    rootdirectory: %s/data\n  delete:\n    enabled: true\n"
            "http:\n  addr: %s\n  secret: wasmcap-test-secret\n%s",
            r->dir, r->host, auth);
    fclose(f);
    r->pid = fork();
    if (r->pid == 0) {
        int null = open("/dev/null", 1);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        execlp("docker-registry", "docker-registry", "serve", path, (char *)NULL);
        _exit(127);
    }
    if (r->pid < 0)
        return -1;
    for (int i = 0; i < 300; i++) {
        if (test_port_open(r->port))
            return 0;
        if (waitpid(r->pid, NULL, WNOHANG) == r->pid) {
            r->pid = 0;
            return -1;
        }
        nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
    }
    return -1;
}

#endif
