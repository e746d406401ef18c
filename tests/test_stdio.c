/* test_stdio.c -- `wasmcap serve` over real pipes.
 *
 * Runs the binary with a config of its own (no plugins, a small message
 * limit) and checks what a client sees: only JSON lines on stdout, a parse
 * error that does not end the session, an oversized line refused with the
 * limit and skipped, blank lines ignored, exit 0 at end of input and on
 * SIGTERM, no list_changed notification after a SIGHUP that changed no
 * list (and none when the new config is broken), subscriptions bounded in length and bytes (150 of
 * 3 MiB keep nothing), and how many pipelined pings a second it answers;
 * with a log-flooding plugin (tests/guests/flood.c): a client that stops
 * reading holds the server's memory to the output bound and loses nothing,
 * and a call's logs stop at its budget with one line saying what was
 * dropped; and JSON-RPC batches of a 2025-03-26 session.
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
static const char *stderr_path; /* the child's stderr goes here; NULL: /dev/null */

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
        if (stderr_path)
            dup2(open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0600), 2);
        else if (!getenv("TEST_STDIO_STDERR"))
            dup2(devnull, 2);
        /* Under ASan freed memory waits in a quarantine (256 MB): keep it
         * small, so that RSS shows what the server holds. */
        const char *asan = getenv("ASAN_OPTIONS");
        if (asan) {
            char opts[1024];
            snprintf(opts, sizeof opts, "%s:quarantine_size_mb=4", asan);
            setenv("ASAN_OPTIONS", opts, 1);
        }
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

/* SIGHUP, then a ping whose answer must be the next message: the
 * reload sent no notification. */
static void hup_then_ping(child *c, int id, const char *what)
{
    kill(c->pid, SIGHUP);
    usleep(300000);
    char line[100];
    snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"ping\"}\n", id);
    put(c->in, line);
    json_t *m = read_msg(c->out, 5000);
    CHECK(m && id_of(m) == id, "%s: %s", what,
          m ? json_string_value(json_object_get(m, "method")) : "no answer");
    json_decref(m);
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
    /* A reload that changes no list tells the clients nothing (the
     * lists' own changes are test_reload's). */
    hup_then_ping(&c, 20, "after a SIGHUP that changed nothing");
    /* a broken config: no swap, no notification, still serving */
    FILE *f = fopen(config_path, "w");
    fputs("{\"server\": {\"workers\": \"many\"}}", f);
    fclose(f);
    hup_then_ping(&c, 3, "after a failed reload");
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

/* The config with the flood plugin; perms is its permissions object. */
static void write_flood_config(const char *perms)
{
    FILE *f = fopen(config_path, "w");
    fprintf(f,
            "{\"server\": {\"name\": \"stdio-test\", \"workers\": 4, "
            "\"stdio_max_queued_bytes\": \"1MiB\"},\n"
            " \"storage\": {\"kv_dir\": \"%s/kv\", \"cache_dir\": \"%s/cache\"},\n"
            " \"plugins\": {\"flood\": {\"path\": \"%s/guests/flood.wasm\", \"prefix\": \"\",\n"
            "   \"permissions\": %s}}}\n",
            dir, dir, WC_BINARY_DIR, perms);
    fclose(f);
}

static long rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

static void start_session(child *c, const char *version)
{
    char init[400];
    snprintf(init, sizeof init,
             "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
             "{\"protocolVersion\":\"%s\",\"capabilities\":{},"
             "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}\n"
             "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n", version);
    put(c->in, init);
    json_t *m = read_msg(c->out, 10000);
    CHECK(m && id_of(m) == 1, "initialize");
    json_decref(m);
}

/* 4 calls flood the output while the client reads nothing: the server's
 * memory stays within the output bound, then every message arrives. */
static void test_flood(void)
{
    enum { CALLS = 4, COUNT = 30000, SIZE = 400 }; /* ~60 MB of notifications */
    /* the 1 MiB queue and its spare (2 MiB each at most), the calls, and
     * under ASan its quarantine (4 MiB here) and redzones */
    const long BOUND_KIB = 24 << 10;
    /* Waiting for the client counts against a call's time: give it plenty. */
    write_flood_config("{\"max_log_messages\": 100000000, \"max_log_bytes\": \"1GiB\", "
                       "\"timeout_ms\": 300000}");
    child c = spawn(-1);
    start_session(&c, "2025-11-25");
    long base = rss_kib(c.pid);
    for (int i = 0; i < CALLS; i++) {
        char call[200];
        snprintf(call, sizeof call,
                 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\",\"params\":{\"name\":"
                 "\"flood\",\"arguments\":{\"count\":%d,\"size\":%d}}}\n", 10 + i, COUNT, SIZE);
        put(c.in, call);
    }
    long peak = base;
    for (int t = 0; t < 60; t++) { /* 3 s of not reading */
        usleep(50000);
        long kib = rss_kib(c.pid);
        if (kib > peak)
            peak = kib;
    }
    /* now read it all */
    static char buf[1 << 16];
    size_t have = 0;
    long notes = 0;
    int answered = 0;
    double deadline = now() + 120;
    while (answered < CALLS && now() < deadline) {
        struct pollfd p = {.fd = c.out, .events = POLLIN};
        if (poll(&p, 1, 1000) <= 0)
            continue;
        ssize_t r = read(c.out, buf + have, sizeof buf - have);
        if (r <= 0)
            break;
        have += (size_t)r;
        char *start = buf, *nl;
        while ((nl = memchr(start, '\n', have - (size_t)(start - buf))) != NULL) {
            *nl = 0;
            if (strstr(start, "\"notifications/message\"")) {
                notes++;
            } else if (strstr(start, "\"id\":")) {
                answered++;
                CHECK(strstr(start, "flooded"), "a call failed: %.300s", start);
            }
            start = nl + 1;
        }
        have -= (size_t)(start - buf);
        memmove(buf, start, have);
    }
    printf("stdio flood: RSS %ld KiB before, peak %ld KiB while the client did not read "
           "(bound %ld KiB more); %ld notifications, %d answers\n", base, peak, BOUND_KIB,
           notes, answered);
    CHECK(base > 0 && peak - base < BOUND_KIB, "RSS grew by %ld KiB (bound %ld KiB)",
          peak - base, BOUND_KIB);
    CHECK(answered == CALLS, "%d answers of %d calls", answered, CALLS);
    CHECK(notes == (long)CALLS * COUNT, "%ld notifications of %ld: none may be dropped", notes,
          (long)CALLS * COUNT);
    close(c.in);
    CHECK(wait_exit(&c, 10000) == 0, "exit status at EOF");
    close(c.out);
}

static size_t count_in_file(const char *path, const char *needle, bool *found_dropped)
{
    FILE *f = fopen(path, "r");
    static char line[1 << 17];
    size_t n = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (strstr(line, needle))
            n++;
        if (strstr(line, "were dropped"))
            *found_dropped = true;
    }
    if (f)
        fclose(f);
    return n;
}

/* A call's logs stop at its budget (messages, then bytes); one last
 * message says how many were dropped, to the client and to stderr. */
static void test_log_budget(void)
{
    char log_path[300];
    snprintf(log_path, sizeof log_path, "%s/stderr", dir);
    stderr_path = log_path;
    write_flood_config("{}");
    child c = spawn(-1);
    start_session(&c, "2025-11-25");
    struct {
        int count, size, want, dropped;
    } cases[] = {{5000, 100, 1000, 4000}, {100, 60000, 17, 83}};
    for (int k = 0; k < 2; k++) {
        char call[200];
        snprintf(call, sizeof call,
                 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\",\"params\":{\"name\":"
                 "\"flood\",\"arguments\":{\"count\":%d,\"size\":%d}}}\n", 20 + k,
                 cases[k].count, cases[k].size);
        put(c.in, call);
        int notes = 0;
        char *said = NULL;
        json_t *m;
        while ((m = read_msg(c.out, 20000)) != NULL && id_of(m) != 20 + k) {
            const char *data = json_string_value(
                json_object_get(json_object_get(m, "params"), "data"));
            if (data && data[0] == 'l')
                notes++;
            else if (data && strstr(data, "dropped"))
                said = strdup(data);
            json_decref(m);
        }
        CHECK(m != NULL, "case %d: no answer", k);
        json_decref(m);
        char want[64];
        snprintf(want, sizeof want, "%d log messages", cases[k].dropped);
        CHECK(notes == cases[k].want, "case %d: %d log notifications, want %d", k, notes,
              cases[k].want);
        CHECK(said && strstr(said, want) && strstr(said, "permissions.max_log_messages"),
              "case %d: the last notification says what was dropped: %s", k,
              said ? said : "none");
        free(said);
    }
    close(c.in);
    CHECK(wait_exit(&c, 10000) == 0, "exit status at EOF");
    close(c.out);
    stderr_path = NULL;
    bool dropped_line = false;
    size_t lines = count_in_file(log_path, "llllllllll", &dropped_line);
    CHECK(lines == 1000 + 17, "%zu plugin log lines on stderr, want %d", lines, 1000 + 17);
    CHECK(dropped_line, "no stderr line says what was dropped");
}

/* A 2025-03-26 session over stdio: a batch line gets one array line. */
static void test_batch(void)
{
    write_config("");
    child c = spawn(-1);
    start_session(&c, "2025-03-26");
    put(c.in, "[{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"},"
              "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":"
              "{\"requestId\":77}},"
              "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}]\n"
              "[{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}]\n"
              "[]\n"
              "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\"}\n");
    char *line = read_line(c.out, 5000);
    json_t *v = line ? json_loads(line, 0, NULL) : NULL;
    CHECK(json_is_array(v) && json_array_size(v) == 2, "batch answer: %s", line ? line : "none");
    long long ids = 0;
    for (size_t i = 0; i < json_array_size(v); i++)
        ids += id_of(json_array_get(v, i));
    CHECK(ids == 5, "the answers of requests 2 and 3");
    json_decref(v);
    free(line);
    json_t *m = read_msg(c.out, 5000); /* no answer to the notification-only batch */
    CHECK(m && json_is_null(json_object_get(m, "id")) && code_of(m) == -32600,
          "the empty batch is one Invalid Request");
    json_decref(m);
    m = read_msg(c.out, 5000);
    CHECK(m && id_of(m) == 4, "the session goes on");
    json_decref(m);
    close(c.in);
    CHECK(wait_exit(&c, 5000) == 0, "exit status at EOF");
    close(c.out);
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
    test_batch();
    test_log_budget();
    test_flood();
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
