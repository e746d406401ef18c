/* test_stdio.c -- `wasmcap serve` over real pipes.
 *
 * Runs the binary with a config of its own (no plugins, a small message
 * limit) and checks what a client sees: only JSON lines on stdout, a parse
 * error that does not end the session, an oversized line refused with the
 * limit and skipped, blank lines ignored, exit 0 at end of input and on
 * SIGTERM, list_changed notifications after SIGHUP (and none when the new
 * config is broken), subscriptions bounded in length and bytes (150 of
 * 3 MiB keep nothing), and how many pipelined pings a second it answers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"

static char dir[256], config_path[300];

static void write_config(const char *extra)
{
    FILE *f = fopen(config_path, "w");
    fprintf(f,
            "{\"server\": {\"name\": \"stdio-test\", \"max_message_bytes\": 1024, \"workers\": 2%s},\n"
            " \"storage\": {\"kv_dir\": \"%s/kv\", \"cache_dir\": \"%s/cache\"}}\n",
            extra, dir, dir);
    fclose(f);
}

typedef struct child {
    pid_t pid;
    int in, out; /* our ends: we write in, read out */
} child;

/* stdin_fd >= 0: the child's stdin is that file; else a pipe. */
static child spawn(int stdin_fd)
{
    int to[2] = {-1, -1}, from[2];
    if (stdin_fd < 0 && pipe2(to, O_CLOEXEC) != 0)
        abort();
    if (pipe2(from, O_CLOEXEC) != 0)
        abort();
    child c = {.in = to[1], .out = from[0]};
    c.pid = fork();
    if (c.pid == 0) {
        dup2(stdin_fd >= 0 ? stdin_fd : to[0], 0);
        dup2(from[1], 1);
        int devnull = open("/dev/null", O_WRONLY);
        if (!getenv("TEST_STDIO_STDERR"))
            dup2(devnull, 2);
        execl(WC_BINARY_DIR "/wasmcap", "wasmcap", "serve", "--config", config_path, (char *)NULL);
        _exit(127);
    }
    if (stdin_fd < 0)
        close(to[0]);
    close(from[1]);
    return c;
}

static int wait_exit(child *c, int timeout_ms)
{
    int status = -1;
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        pid_t r = waitpid(c->pid, &status, WNOHANG);
        if (r == c->pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        usleep(10000);
    }
    kill(c->pid, SIGKILL);
    waitpid(c->pid, &status, 0);
    return -1;
}

/* Reads one line from fd (blocking up to ms); returns malloc'd text or NULL. */
static char *read_line(int fd, int ms)
{
    static char pending[1 << 16];
    static size_t npending;
    static int pending_fd = -1;
    if (pending_fd != fd) {
        npending = 0;
        pending_fd = fd;
    }
    for (;;) {
        char *nl = memchr(pending, '\n', npending);
        if (nl) {
            size_t n = (size_t)(nl - pending);
            char *line = strndup(pending, n);
            memmove(pending, nl + 1, npending - n - 1);
            npending -= n + 1;
            return line;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, ms) <= 0 || npending == sizeof pending)
            return NULL;
        ssize_t r = read(fd, pending + npending, sizeof pending - npending);
        if (r <= 0)
            return NULL;
        npending += (size_t)r;
    }
}

static json_t *read_msg(int fd, int ms)
{
    char *line = read_line(fd, ms);
    if (!line)
        return NULL;
    json_t *v = json_loads(line, 0, NULL);
    CHECK(json_is_object(v), "not a JSON object line: %.200s", line);
    free(line);
    return v;
}

static void put(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static long long id_of(json_t *m)
{
    json_t *id = json_object_get(m, "id");
    return json_is_integer(id) ? json_integer_value(id) : -1;
}

static long long code_of(json_t *m)
{
    return json_integer_value(json_object_get(json_object_get(m, "error"), "code"));
}

static const char *message_of(json_t *m)
{
    const char *s = json_string_value(json_object_get(json_object_get(m, "error"), "message"));
    return s ? s : "";
}

/* The child's resident memory, KiB (0 when unknown). */
static long child_rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

/* Writes a resources/subscribe line whose URI has len bytes; returns the answer. */
static json_t *subscribe(child *c, long long id, size_t len, char *buf)
{
    int n = sprintf(buf, "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"method\":\"resources/subscribe\","
                    "\"params\":{\"uri\":\"", id);
    int prefix = sprintf(buf + n, "mem://%lld/", id);
    memset(buf + n + prefix, 'u', len - (size_t)prefix);
    strcpy(buf + n + len, "\"}}\n");
    put(c->in, buf);
    return read_msg(c->out, 10000);
}

/* What a stdio client can make the server keep is bounded too. */
static void test_subscription_bounds(void)
{
    FILE *f = fopen(config_path, "w");
    fprintf(f, "{\"server\": {\"max_message_bytes\": \"4MiB\", \"workers\": 2},\n"
               " \"storage\": {\"kv_dir\": \"%s/kv\", \"cache_dir\": \"%s/cache\"}}\n",
            dir, dir);
    fclose(f);
    child c = spawn(-1);
    put(c.in, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
              "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
              "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}\n"
              "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n");
    json_t *m = read_msg(c.out, 10000);
    CHECK(m && id_of(m) == 1, "initialized");
    json_decref(m);
    char *buf = malloc((3u << 20) + 256);
    long before = child_rss_kib(c.pid);
    int refused = 0;
    for (int i = 0; i < 150; i++) {
        m = subscribe(&c, 100 + i, 3u << 20, buf);
        refused += m && id_of(m) == 100 + i && code_of(m) == -32602 &&
                   strstr(message_of(m), "at most 4096");
        json_decref(m);
    }
    long grown = child_rss_kib(c.pid) - before;
    CHECK(refused == 150, "%d of 150 subscribes of 3 MiB URIs refused", refused);
#ifndef __SANITIZE_ADDRESS__ /* an ASan server keeps what it freed in quarantine */
    CHECK(grown < 64 * 1024, "150 subscribes of 3 MiB URIs: the server grew by %ld KiB", grown);
#endif
    printf("  stdio: 150 subscribes of 3 MiB URIs: the server grew by %ld KiB\n", grown);
    int taken = 0;
    for (int i = 0; i < 70; i++) {
        m = subscribe(&c, 300 + i, 4000, buf);
        if (m && json_object_get(m, "result"))
            taken++;
        else if (i == taken)
            CHECK(m && code_of(m) == -32602 && strstr(message_of(m), "together"),
                  "over 256 KiB of URIs: %s", m ? message_of(m) : "no answer");
        json_decref(m);
    }
    CHECK(taken == 65, "%d subscriptions of 4000 bytes taken (want 65)", taken);
    free(buf);
    close(c.in);
    CHECK(wait_exit(&c, 10000) == 0, "exit 0 at end of input");
    close(c.out);
    write_config("");
}

static void test_lines(void)
{
    /* everything at once from a file: the server reads to EOF and exits */
    char input_path[300];
    snprintf(input_path, sizeof input_path, "%s/input", dir);
    FILE *f = fopen(input_path, "w");
    fputs("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n", f);
    fputs("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\n", f); /* parse error */
    fputs("\n   \n\r\n", f);                               /* blank lines */
    fputs("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}\r\n", f);
    fputs("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\",\"params\":{\"pad\":\"", f);
    for (int i = 0; i < 300000; i++) /* 300 KB: over the 1024-byte limit */
        fputc('x', f);
    fputs("\"}}\n", f);
    /* oversized with its id last, as the TypeScript SDK writes requests,
     * and ids of nested objects that must not be taken for it */
    fputs("{\"method\":\"ping\",\"params\":{\"nested\":{\"id\":99,\"l\":[{\"id\":98}]},"
          "\"pad\":\"", f);
    for (int i = 0; i < 300000; i++)
        fputs(i % 1000 ? "x" : "\\\"id\\\":", f);
    fputs("\"},\"jsonrpc\":\"2.0\",\"id\":\"last\"}\n", f);
    fputs("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}\n", f);
    /* exactly at the limit is accepted */
    const char *head = "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"ping\",\"params\":{\"p\":\"";
    const char *tail = "\"}}";
    fputs(head, f);
    for (size_t i = 0; i < 1024 - strlen(head) - strlen(tail); i++)
        fputc('y', f);
    fputs(tail, f);
    fputs("\n", f);
    fputs("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}", f); /* no final newline */
    fclose(f);
    int fd = open(input_path, O_RDONLY);
    child c = spawn(fd);
    close(fd);

    json_t *m;
    int n = 0, seen[8] = {0};
    bool parse_error = false, too_large = false, too_large_last = false;
    while ((m = read_msg(c.out, 5000)) != NULL) {
        n++;
        long long id = id_of(m);
        if (id >= 0 && id < 8 && json_object_get(m, "result"))
            seen[id]++;
        if (json_is_null(json_object_get(m, "id")) && code_of(m) == -32700)
            parse_error = true;
        const json_t *mid = json_object_get(m, "id");
        if (json_is_string(mid) && strcmp(json_string_value(mid), "last") == 0 &&
            code_of(m) == -32600)
            too_large_last = true;
        if (id == 4 && code_of(m) == -32600) {
            too_large = true;
            CHECK(strstr(message_of(m), "1024") && strstr(message_of(m), "server.max_message_bytes"),
                  "the size error does not name the limit: %s", message_of(m));
        }
        json_decref(m);
    }
    CHECK(seen[1] == 1 && seen[3] == 1 && seen[5] == 1 && seen[6] == 1 && seen[7] == 1,
          "pings answered: %d %d %d %d %d", seen[1], seen[3], seen[5], seen[6], seen[7]);
    CHECK(seen[4] == 0, "the oversized request was run");
    CHECK(parse_error, "no parse error");
    CHECK(too_large, "no size error for the oversized request, by its id");
    CHECK(too_large_last, "no size error for the request whose id came last");
    CHECK(n == 8, "%d messages, want 8", n);
    CHECK(wait_exit(&c, 5000) == 0, "exit status at EOF");
    close(c.out);
}

static void test_signals(void)
{
    /* SIGTERM: stop reading, exit 0 */
    child c = spawn(-1);
    put(c.in, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n");
    json_t *m = read_msg(c.out, 5000);
    CHECK(m && id_of(m) == 1, "ping before SIGTERM");
    json_decref(m);
    kill(c.pid, SIGTERM);
    CHECK(wait_exit(&c, 5000) == 0, "exit status after SIGTERM");
    close(c.in);
    close(c.out);

    /* SIGHUP: the lists changed, for an initialized session */
    c = spawn(-1);
    put(c.in, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
              "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
              "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}\n"
              "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
              "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n");
    m = read_msg(c.out, 5000);
    CHECK(m && id_of(m) == 1 &&
              strcmp(json_string_value(json_object_get(
                         json_object_get(json_object_get(m, "result"), "serverInfo"), "name")),
                     "stdio-test") == 0,
          "initialize over stdio");
    json_decref(m);
    m = read_msg(c.out, 5000);
    json_decref(m);
    kill(c.pid, SIGHUP);
    const char *want[] = {"notifications/tools/list_changed",
                          "notifications/resources/list_changed",
                          "notifications/prompts/list_changed"};
    for (int i = 0; i < 3; i++) {
        m = read_msg(c.out, 5000);
        const char *method = json_string_value(json_object_get(m, "method"));
        CHECK(method && strcmp(method, want[i]) == 0, "after SIGHUP: %s, want %s",
              method ? method : "nothing", want[i]);
        json_decref(m);
    }
    /* a broken config: no swap, no notification, still serving */
    FILE *f = fopen(config_path, "w");
    fputs("{\"server\": {\"workers\": \"many\"}}", f);
    fclose(f);
    kill(c.pid, SIGHUP);
    usleep(200000);
    put(c.in, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}\n");
    m = read_msg(c.out, 5000);
    CHECK(m && id_of(m) == 3, "after a failed reload: %s",
          m ? json_string_value(json_object_get(m, "method")) : "no answer");
    json_decref(m);
    write_config("");
    close(c.in);
    CHECK(wait_exit(&c, 5000) == 0, "exit status at EOF");
    close(c.out);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Pipelined pings from a file; counts the answers and reports the rate. */
static void test_throughput(void)
{
    const int N = 200000;
    char input_path[300];
    snprintf(input_path, sizeof input_path, "%s/pings", dir);
    FILE *f = fopen(input_path, "w");
    for (int i = 0; i < N; i++)
        fprintf(f, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"ping\"}\n", i);
    fclose(f);
    int fd = open(input_path, O_RDONLY);
    child c = spawn(fd);
    close(fd);
    static char buf[1 << 16];
    long lines = 0;
    double start = 0;
    ssize_t r;
    while ((r = read(c.out, buf, sizeof buf)) > 0) {
        if (start == 0)
            start = now();
        for (ssize_t i = 0; i < r; i++)
            lines += buf[i] == '\n';
    }
    double secs = now() - start;
    CHECK(lines == N, "%ld answers to %d pings", lines, N);
    CHECK(wait_exit(&c, 10000) == 0, "exit status");
    close(c.out);
    printf("stdio: %d pipelined pings answered in %.3f s: %.0f messages/s\n", N, secs,
           secs > 0 ? (double)(N - 1) / secs : 0.0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    snprintf(dir, sizeof dir, "/tmp/wasmcap-test-stdio-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(config_path, sizeof config_path, "%s/wasmcap.json", dir);
    write_config("");
    test_lines();
    test_signals();
    test_subscription_bounds();
    test_throughput();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("cannot remove %s\n", dir);
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    puts("test_stdio: all passed");
    return 0;
}
