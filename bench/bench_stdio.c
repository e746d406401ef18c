/* bench_stdio.c -- MCP over stdio: pipelined tools/call throughput and peak
 * RSS of several servers, side by side in one run.
 *
 *   bench_stdio [--calls N] [--warmup N] [--runs N]
 *               [--arguments JSON --expect TEXT] --server NAME TOOL CMD
 *               [[--arguments JSON --expect TEXT] --server NAME TOOL CMD ...]
 *
 * For each server (in the order given, alternating when --runs > 1) the
 * driver spawns `/bin/sh -c "exec CMD"` with pipes for stdin and stdout,
 * sends initialize and notifications/initialized, then runs two phases
 * that are identical for every server:
 *
 *   warm-up   --warmup requests (default 1,000), not timed;
 *   measured  --calls requests (default 100,000): a writer thread writes
 *             them all, pre-formatted, as fast as the pipe takes them while
 *             a reader thread counts the responses; the clock runs from the
 *             first write to the last response.
 *
 * Each request is tools/call of TOOL with {"a","b","op"} (integers, the four
 * operations in turn, divisions exact), so every answer is one known
 * integer.  After the clock stops every response is parsed and checked:
 * each id exactly once, a result without isError, and the value right
 * (structuredContent.result when present, otherwise the first text block
 * read as a number).  A wrong or missing answer fails the run.
 * --arguments and --expect, given before a --server, change that for the
 * servers that follow: every request sends the arguments JSON, and every
 * answer's first text block must be TEXT exactly (a tool that is not the
 * calculator: the model-backed supply-risk of bench/nn.sh).
 *
 * Peak RSS: the child's VmHWM from /proc/PID/status just before its stdin
 * is closed and the last one seen while it exits, and ru_maxrss from
 * wait4() after it exits (which also covers any children it reaped, such
 * as a compiler).  The ratios use ru_maxrss.  Because the kernel also
 * folds the forked copy of the driver into the child's ru_maxrss when it
 * execs, the driver forks before allocating its buffers, after
 * malloc_trim(), and prints its own RSS at that moment: ru_maxrss is
 * meaningful only while that is well below the server's figure (VmHWM is
 * the server's own address space alone).
 * The server must exit by itself on EOF; its exit status is reported.
 *
 * Parsing and checking happen outside the timed phase so that the driver's
 * own cost weighs the same on every server.
 *
 * The summary gives each server's median, and with --runs > 1 also the
 * median of the ratios within each round: the servers of one round run
 * seconds apart, while this kind of machine drifts in speed over minutes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <malloc.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "measure.h"

#define MAX_SERVERS 8
#define MAX_RUNS 20

typedef struct server_spec {
    const char *name;
    const char *tool;
    const char *cmd;
    const char *arguments; /* NULL: the calculator's {"a","b","op"} */
    const char *expect;    /* with arguments: the answer's text */
} server_spec;

typedef struct run_result {
    bool ok;
    double wall_s;
    long maxrss_kib;  /* wait4 ru_maxrss */
    long hwm_kib;     /* /proc/PID/status VmHWM before EOF */
    long exit_hwm_kib; /* the same, last seen while it exited */
    long driver_rss_kib; /* this process's RSS when it forked the child */
    int exit_status;  /* -1: killed or signalled */
} run_result;

/* The child's stdout as the reader sees it: everything read so far. */
typedef struct inbuf {
    int fd;
    char *data;
    size_t len, cap;
    size_t scan;      /* bytes already split into lines */
} inbuf;

typedef struct phase {
    int to_child;
    const char *out;  /* pre-formatted requests */
    size_t out_len;
    int write_errno;
    inbuf *in;
    size_t want;      /* responses to count */
    size_t got;
    bool eof;
    struct timespec end;
} phase;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "bench_stdio: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(2);
}

/* ---- requests and their answers ------------------------------------ */

static const char *const ops[4] = {"+", "-", "*", "/"};

static void operands(long id, long *a, long *b, int *op)
{
    *op = (int)(id % 4);
    *b = id % 13 + 1;
    long k = id % 1000 - 500;
    *a = *op == 3 ? *b * k : k;
}

static double expected(long id)
{
    long a, b;
    int op;
    operands(id, &a, &b, &op);
    switch (op) {
    case 0: return (double)(a + b);
    case 1: return (double)(a - b);
    case 2: return (double)(a * b);
    default: return (double)(a / b);
    }
}

static char *format_requests(const server_spec *s, long first, size_t count, size_t *len)
{
    const char *tool = s->tool;
    size_t cap = count * (160 + strlen(tool) + (s->arguments ? strlen(s->arguments) : 0)) + 1;
    size_t n = 0;
    char *out = malloc(cap);
    if (!out)
        die("out of memory%s", "");
    for (size_t i = 0; i < count; i++) {
        long id = first + (long)i, a, b;
        int op;
        if (s->arguments) {
            n += (size_t)snprintf(out + n, cap - n,
                                  "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"tools/call\","
                                  "\"params\":{\"name\":\"%s\",\"arguments\":%s}}\n",
                                  id, tool, s->arguments);
            continue;
        }
        operands(id, &a, &b, &op);
        n += (size_t)snprintf(out + n, cap - n,
                              "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"tools/call\","
                              "\"params\":{\"name\":\"%s\",\"arguments\":{\"a\":%ld,\"b\":%ld,\"op\":\"%s\"}}}\n",
                              id, tool, a, b, ops[op]);
    }
    *len = n;
    return out;
}

/* ---- reading lines --------------------------------------------------- */

/* A server silent for this long has hung: the phase fails. */
#define SILENCE_LIMIT_MS 30000

/* Reads more of the child's stdout; 0 at EOF, -1 on error or silence. */
static ssize_t inbuf_fill(inbuf *in)
{
    if (in->cap - in->len < 65536) {
        size_t cap = in->cap ? in->cap * 2 : 1 << 20;
        char *data = realloc(in->data, cap);
        if (!data)
            return -1;
        in->data = data;
        in->cap = cap;
    }
    for (;;) {
        struct pollfd pfd = {.fd = in->fd, .events = POLLIN};
        int ready = poll(&pfd, 1, SILENCE_LIMIT_MS);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            return -1;
        ssize_t n = read(in->fd, in->data + in->len, in->cap - in->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n > 0)
            in->len += (size_t)n;
        return n;
    }
}

/* Room for the answers to come, made (and its pages touched) before the
 * clock starts: the driver shares the machine with the server it times, so
 * it should not copy megabytes around while the clock runs. */
static void inbuf_reserve(inbuf *in, size_t answers, size_t bytes_each)
{
    size_t want = in->len + answers * (bytes_each + bytes_each / 4) + (1u << 20);
    if (in->cap >= want)
        return;
    char *data = realloc(in->data, want);
    if (!data)
        return; /* inbuf_fill grows it as it goes */
    memset(data + in->len, 0, want - in->len);
    in->data = data;
    in->cap = want;
}

/* A line is a response when it is not a notification or a request from
 * the server (those carry "method"). */
static bool is_response(const char *line, size_t len)
{
    return memmem(line, len, "\"method\"", 8) == NULL;
}

/* Counts complete new lines that are responses. */
static size_t inbuf_count(inbuf *in)
{
    size_t count = 0;
    if (!in->data)
        return 0;
    for (;;) {
        char *nl = memchr(in->data + in->scan, '\n', in->len - in->scan);
        if (!nl)
            return count;
        size_t len = (size_t)(nl - (in->data + in->scan));
        if (len > 0 && is_response(in->data + in->scan, len))
            count++;
        in->scan += len + 1;
    }
}

/* ---- the phases ------------------------------------------------------ */

static void *writer_main(void *arg)
{
    phase *p = arg;
    size_t off = 0;
    while (off < p->out_len) {
        ssize_t n = write(p->to_child, p->out + off, p->out_len - off);
        if (n < 0 && errno == EINTR && !__atomic_load_n(&p->eof, __ATOMIC_ACQUIRE))
            continue;
        if (n <= 0) {
            p->write_errno = n < 0 ? errno : EIO;
            return NULL;
        }
        off += (size_t)n;
    }
    return NULL;
}

static void *reader_main(void *arg)
{
    phase *p = arg;
    while (p->got < p->want) {
        p->got += inbuf_count(p->in);
        if (p->got >= p->want)
            break;
        ssize_t n = inbuf_fill(p->in);
        if (n <= 0) {
            __atomic_store_n(&p->eof, true, __ATOMIC_RELEASE);
            break;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &p->end);
    return NULL;
}

/* Writes `out` while counting `want` responses; the wall time in *wall_s. */
static int run_phase(int to_child, inbuf *in, const char *out, size_t out_len, size_t want,
                     double *wall_s, char *err, size_t err_size)
{
    phase p = {.to_child = to_child, .out = out, .out_len = out_len, .in = in, .want = want};
    pthread_t writer, reader;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    if (pthread_create(&reader, NULL, reader_main, &p) != 0) {
        snprintf(err, err_size, "cannot start the reader thread");
        return -1;
    }
    if (pthread_create(&writer, NULL, writer_main, &p) != 0) {
        snprintf(err, err_size, "cannot start the writer thread");
        close(to_child); /* lets the server exit, so the reader ends */
        pthread_join(reader, NULL);
        return -1;
    }
    pthread_join(reader, NULL);
    if (p.eof) {
        /* The writer may be blocked on a full pipe nobody reads. */
        pthread_kill(writer, SIGUSR1);
    }
    pthread_join(writer, NULL);
    *wall_s = (double)(p.end.tv_sec - start.tv_sec) + (p.end.tv_nsec - start.tv_nsec) / 1e9;
    if (p.eof) {
        snprintf(err, err_size, "the server closed its stdout or was silent for %d s after %zu of %zu responses",
                 SILENCE_LIMIT_MS / 1000, p.got, want);
        return -1;
    }
    if (p.write_errno) {
        snprintf(err, err_size, "writing requests: %s", strerror(p.write_errno));
        return -1;
    }
    return 0;
}

/* ---- checking -------------------------------------------------------- */

static int check_value(const server_spec *s, long id, json_t *result, char *err, size_t err_size)
{
    double want = expected(id);
    json_t *is_error = json_object_get(result, "isError");
    if (json_is_true(is_error)) {
        char *text = json_dumps(result, JSON_COMPACT);
        snprintf(err, err_size, "id %ld: isError result: %.300s", id, text ? text : "?");
        free(text);
        return -1;
    }
    if (s->arguments) {
        const char *text = json_string_value(
            json_object_get(json_array_get(json_object_get(result, "content"), 0), "text"));
        if (!text || strcmp(text, s->expect) != 0) {
            snprintf(err, err_size, "id %ld: answer \"%.200s\", expected \"%.200s\"", id,
                     text ? text : "(no text)", s->expect);
            return -1;
        }
        return 0;
    }
    json_t *sc = json_object_get(result, "structuredContent");
    json_t *num = json_object_get(sc, "result");
    double got;
    if (json_is_number(num)) {
        got = json_number_value(num);
    } else {
        json_t *text = json_object_get(json_array_get(json_object_get(result, "content"), 0), "text");
        const char *s = json_string_value(text);
        char *end;
        if (!s || !*s || (got = strtod(s, &end), *end != 0)) {
            char *dump = json_dumps(result, JSON_COMPACT);
            snprintf(err, err_size, "id %ld: no numeric answer in %.300s", id, dump ? dump : "?");
            free(dump);
            return -1;
        }
    }
    if (!(fabs(got - want) <= 1e-9 * fmax(1.0, fabs(want)))) {
        snprintf(err, err_size, "id %ld: answer %.17g, expected %.17g", id, got, want);
        return -1;
    }
    return 0;
}

/* Every response line in in->data[from..to) with ids first..first+count-1:
 * each exactly once, each correct. */
static int check_responses(const server_spec *s, const inbuf *in, size_t from, size_t to,
                           long first, size_t count,
                           char *err, size_t err_size)
{
    unsigned char *seen = calloc(count, 1);
    if (!seen) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    int rc = 0;
    size_t n = 0;
    for (size_t pos = from; pos < to && rc == 0;) {
        const char *line = in->data + pos;
        const char *nl = memchr(line, '\n', to - pos);
        size_t len = nl ? (size_t)(nl - line) : to - pos;
        pos += len + 1;
        if (len == 0 || !is_response(line, len))
            continue;
        json_error_t jerr;
        json_t *msg = json_loadb(line, len, 0, &jerr);
        json_t *id = json_object_get(msg, "id");
        json_t *result = json_object_get(msg, "result");
        if (!msg || !json_is_integer(id)) {
            snprintf(err, err_size, "not a response: %.300s", line);
            rc = -1;
        } else if (json_integer_value(id) < first || json_integer_value(id) >= first + (long)count) {
            snprintf(err, err_size, "unexpected id %lld", (long long)json_integer_value(id));
            rc = -1;
        } else if (seen[json_integer_value(id) - first]++) {
            snprintf(err, err_size, "id %lld answered twice", (long long)json_integer_value(id));
            rc = -1;
        } else if (!json_is_object(result)) {
            snprintf(err, err_size, "id %lld: error response: %.300s",
                     (long long)json_integer_value(id), line);
            rc = -1;
        } else {
            rc = check_value(s, (long)json_integer_value(id), result, err, err_size);
            n++;
        }
        json_decref(msg);
    }
    if (rc == 0 && n != count) {
        snprintf(err, err_size, "%zu correct responses, expected %zu", n, count);
        rc = -1;
    }
    free(seen);
    return rc;
}

/* ---- the child ------------------------------------------------------- */

static pid_t spawn(const char *cmd, int *to_child, int *from_child, int err_fd)
{
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err_fd, 2);
        char *script;
        if (asprintf(&script, "exec %s", cmd) < 0)
            _exit(127);
        execl("/bin/sh", "sh", "-c", script, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    *to_child = in[1];
    *from_child = out[0];
    return pid;
}

/* Waits up to timeout_s for the child, then kills it.  *hwm_kib gets the
 * last VmHWM read while the child was still exiting. */
/* Waits for the server to exit, reading (and dropping) whatever it still
 * writes to out_fd: a server with output left to write cannot finish. */
static int reap(pid_t pid, double timeout_s, int out_fd, struct rusage *ru, long *hwm_kib)
{
    int status;
    double deadline = now_s() + timeout_s;
    int flags = fcntl(out_fd, F_GETFL);
    if (flags >= 0)
        fcntl(out_fd, F_SETFL, flags | O_NONBLOCK);
    for (;;) {
        char sink[65536];
        while (read(out_fd, sink, sizeof sink) > 0)
            ;
        long hwm = bench_status_kib(pid, "VmHWM");
        if (hwm > *hwm_kib)
            *hwm_kib = hwm;
        pid_t r = wait4(pid, &status, WNOHANG, ru);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (r < 0)
            return -1;
        if (now_s() > deadline) {
            kill(pid, SIGKILL);
            wait4(pid, &status, 0, ru);
            return -1;
        }
        usleep(2000);
    }
}

static void show_stderr(int fd, const char *name)
{
    char buf[4096];
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > (off_t)sizeof buf - 1 ? size - (off_t)sizeof buf + 1 : 0;
    ssize_t n = pread(fd, buf, sizeof buf - 1, from);
    if (n > 0) {
        buf[n] = 0;
        fprintf(stderr, "--- last stderr of %s ---\n%s\n---\n", name, buf);
    }
}

static const char init_request[] =
    "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
    "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
    "\"clientInfo\":{\"name\":\"bench_stdio\",\"version\":\"1.0.0\"}}}\n"
    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n";

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static run_result run_server(const server_spec *s, size_t warmup, size_t calls)
{
    run_result res = {.exit_status = -1, .maxrss_kib = -1, .hwm_kib = -1, .exit_hwm_kib = -1,
                      .driver_rss_kib = -1};
    char err[1024] = "";
    char errpath[] = "/tmp/bench_stdio.XXXXXX";
    int err_fd = mkstemp(errpath);
    if (err_fd < 0)
        die("mkstemp: %s", strerror(errno));
    unlink(errpath);

    /* Spawn before allocating anything large: at exec the kernel records
     * the high-water RSS of the forked copy of this process in the child's
     * ru_maxrss, so a driver with big buffers would inflate the figure. */
    malloc_trim(0); /* what earlier runs freed */
    res.driver_rss_kib = bench_status_kib(0, "VmRSS");
    int to_child, from_child;
    pid_t pid = spawn(s->cmd, &to_child, &from_child, err_fd);
    if (pid < 0)
        die("cannot start the server: %s", strerror(errno));
    size_t warm_len, main_len;
    char *warm = format_requests(s, 1, warmup, &warm_len);
    char *reqs = format_requests(s, 1 + (long)warmup, calls, &main_len);
    inbuf in = {.fd = from_child};
    double wall = 0;
    int rc = 0;

    /* initialize: one response before anything else. */
    if (write_all(to_child, init_request, sizeof init_request - 1) != 0) {
        snprintf(err, sizeof err, "writing initialize: %s", strerror(errno));
        rc = -1;
    }
    size_t got = 0;
    while (rc == 0 && got < 1) {
        got += inbuf_count(&in);
        if (got < 1 && inbuf_fill(&in) <= 0) {
            snprintf(err, sizeof err, "no answer to initialize");
            rc = -1;
        }
    }
    if (rc == 0) {
        json_t *msg = json_loadb(in.data, in.scan, 0, NULL);
        if (!json_is_string(json_object_get(json_object_get(msg, "result"), "protocolVersion"))) {
            snprintf(err, sizeof err, "bad initialize answer: %.300s", in.data);
            rc = -1;
        }
        json_decref(msg);
    }
    size_t warm_from = in.scan;
    if (rc == 0 && warmup > 0)
        rc = run_phase(to_child, &in, warm, warm_len, warmup, &wall, err, sizeof err);
    size_t main_from = in.scan;
    if (rc == 0)
        inbuf_reserve(&in, calls, warmup > 0 ? (main_from - warm_from) / warmup : 256);
    if (rc == 0)
        rc = run_phase(to_child, &in, reqs, main_len, calls, &wall, err, sizeof err);
    size_t main_to = in.scan;
    if (rc == 0)
        res.hwm_kib = bench_status_kib(pid, "VmHWM");
    close(to_child);
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    res.exit_status = reap(pid, 15.0, from_child, &ru, &res.exit_hwm_kib);
    res.maxrss_kib = ru.ru_maxrss;
    if (rc == 0 && warmup > 0)
        rc = check_responses(s, &in, warm_from, main_from, 1, warmup, err, sizeof err);
    if (rc == 0)
        rc = check_responses(s, &in, main_from, main_to, 1 + (long)warmup, calls, err,
                             sizeof err);
    if (rc == 0 && res.exit_status != 0)
        snprintf(err, sizeof err, "exit status %d after EOF (expected 0)", res.exit_status), rc = -1;
    if (rc != 0) {
        fprintf(stderr, "bench_stdio: %s: %s\n", s->name, err);
        show_stderr(err_fd, s->name);
    }
    res.ok = rc == 0;
    res.wall_s = wall;
    close(from_child);
    close(err_fd);
    free(in.data);
    free(warm);
    free(reqs);
    return res;
}

/* "12.3 MiB", or "n/a" when the figure could not be read (the process had
 * already gone). */
static void format_mib(char *out, size_t size, long kib)
{
    if (kib > 0)
        snprintf(out, size, "%.1f MiB", kib / 1024.0);
    else
        snprintf(out, size, "n/a");
}

static void on_sigusr1(int sig)
{
    (void)sig; /* only interrupts a blocked write */
}

static const char usage_text[] =
    "usage: bench_stdio [--calls N] [--warmup N] [--runs N]\n"
    "                   [--arguments JSON --expect TEXT] --server NAME TOOL CMD\n"
    "                   [[--arguments JSON --expect TEXT] --server NAME TOOL CMD ...]\n"
    "\n"
    "Runs each CMD with /bin/sh -c 'exec CMD', speaks MCP over its stdin and\n"
    "stdout, and times --calls pipelined tools/call of TOOL after --warmup\n"
    "untimed ones.  Prints calls/s and peak RSS of each server and the\n"
    "ratios of the first server to each of the others.  TOOL takes the\n"
    "calculator's {\"a\",\"b\",\"op\"}, or with --arguments the same JSON every\n"
    "call, its answer's first text block checked against --expect; both\n"
    "apply to the --server options after them.\n";

int main(int argc, char **argv)
{
    server_spec servers[MAX_SERVERS];
    int nservers = 0, runs = 1;
    size_t calls = 100000, warmup = 1000;
    const char *arguments = NULL, *expect = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc) {
            calls = strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc) {
            warmup = strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--arguments") == 0 && i + 1 < argc) {
            arguments = argv[++i];
        } else if (strcmp(argv[i], "--expect") == 0 && i + 1 < argc) {
            expect = argv[++i];
        } else if (strcmp(argv[i], "--server") == 0 && i + 3 < argc && nservers < MAX_SERVERS) {
            if (!arguments != !expect) {
                fprintf(stderr, "bench_stdio: --arguments and --expect go together\n");
                return 2;
            }
            servers[nservers].name = argv[i + 1];
            servers[nservers].tool = argv[i + 2];
            servers[nservers].cmd = argv[i + 3];
            servers[nservers].arguments = arguments;
            servers[nservers].expect = expect;
            nservers++;
            i += 3;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else {
            fprintf(stderr, "bench_stdio: bad argument '%s'\n\n%s", argv[i], usage_text);
            return 2;
        }
    }
    if (nservers == 0 || calls == 0 || runs < 1 || runs > MAX_RUNS) {
        fputs(usage_text, stderr);
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigusr1;
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    printf("bench_stdio: %zu pipelined tools/call per server after %zu warm-up calls, %d run(s)\n",
           calls, warmup, runs);
    for (int s = 0; s < nservers; s++)
        printf("  %-10s tool %-22s command: %s\n", servers[s].name, servers[s].tool, servers[s].cmd);
    fflush(stdout);

    static run_result results[MAX_SERVERS][MAX_RUNS];
    int failed = 0;
    for (int r = 0; r < runs; r++) {
        for (int s = 0; s < nservers; s++) {
            run_result *res = &results[s][r];
            *res = run_server(&servers[s], warmup, calls);
            if (!res->ok)
                failed = 1;
            char hwm[32], exit_hwm[32];
            format_mib(hwm, sizeof hwm, res->hwm_kib);
            format_mib(exit_hwm, sizeof exit_hwm, res->exit_hwm_kib);
            printf("run %d %-10s %s %8.3f s %10.0f calls/s  peak RSS %7.1f MiB "
                   "(VmHWM %s before EOF, %s while exiting; driver %.1f MiB at fork)  exit %d\n",
                   r + 1, servers[s].name, res->ok ? "ok  " : "FAIL", res->wall_s,
                   res->wall_s > 0 ? calls / res->wall_s : 0.0, res->maxrss_kib / 1024.0,
                   hwm, exit_hwm, res->driver_rss_kib / 1024.0, res->exit_status);
            fflush(stdout);
        }
    }
    double rate[MAX_SERVERS], rss[MAX_SERVERS];
    printf("\n%-10s %12s %14s %14s\n", "server", "wall (s)", "calls/s", "peak RSS (MiB)");
    for (int s = 0; s < nservers; s++) {
        double walls[MAX_RUNS], rsss[MAX_RUNS];
        for (int r = 0; r < runs; r++) {
            walls[r] = results[s][r].wall_s;
            rsss[r] = results[s][r].maxrss_kib / 1024.0;
        }
        double wall = bench_median(walls, runs);
        rate[s] = wall > 0 ? calls / wall : 0;
        rss[s] = bench_median(rsss, runs);
        printf("%-10s %12.3f %14.0f %14.1f\n", servers[s].name, wall, rate[s], rss[s]);
    }
    for (int s = 1; s < nservers; s++) {
        printf("\n%s / %s: calls/s x%.2f, peak RSS x%.3f (1/%.1f)\n", servers[0].name, servers[s].name,
               rate[s] > 0 ? rate[0] / rate[s] : 0.0, rss[s] > 0 ? rss[0] / rss[s] : 0.0,
               rss[0] > 0 ? rss[s] / rss[0] : 0.0);
        if (runs < 2)
            continue;
        /* The machine's speed drifts over minutes; the two servers of one
         * round ran seconds apart, so the ratio within each round is the
         * steadier figure. */
        double ratios[MAX_RUNS], lo = 0, hi = 0;
        for (int r = 0; r < runs; r++) {
            double a = results[0][r].wall_s, b = results[s][r].wall_s;
            ratios[r] = a > 0 ? b / a : 0;
            lo = r == 0 || ratios[r] < lo ? ratios[r] : lo;
            hi = r == 0 || ratios[r] > hi ? ratios[r] : hi;
        }
        printf("%s / %s, round by round: calls/s x%.2f median (x%.2f to x%.2f)\n",
               servers[0].name, servers[s].name, bench_median(ratios, runs), lo, hi);
    }
    if (failed)
        printf("\nFAILED: at least one run gave a wrong, missing or late answer (see above)\n");
    return failed;
}
