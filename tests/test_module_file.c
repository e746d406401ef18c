/* test_module_file.c -- module files are sized up before they are read.
 *
 * `wasmcap inspect` (and every other reader of module files: compile, exec,
 * plugin loading) must refuse /dev/zero, a FIFO and a 3 GiB sparse file at
 * once, with a small peak RSS, instead of reading them whole first.  The
 * child's RSS is watched while it runs and it is killed past 256 MB, so a
 * regression fails the test instead of exhausting the machine's memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plugin/plugin.h"
#include "util/fs.h"

#include "check.h"

#define WASMCAP WC_BINARY_DIR "/wasmcap"
#define RSS_KILL_KB (256 * 1024)
#define RSS_BOUND_KB (160 * 1024) /* an ASan build starts near 30 MB */

static char tmpdir[256];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

typedef struct outcome {
    int status;       /* exit status, or -signal */
    long maxrss_kb;   /* the child's peak RSS (wait4) */
    double seconds;
    bool killed;      /* by the RSS watch or the 20 s timeout */
    char stderr_text[1024];
} outcome;

/* Waits for the child, watching its RSS; kills it past RSS_KILL_KB or 20 s. */
static void watch(pid_t pid, double start, outcome *o)
{
    int status = 0;
    struct rusage ru;
    for (;;) {
        pid_t done = wait4(pid, &status, WNOHANG, &ru);
        if (done == pid)
            break;
        if (rss_kb(pid) > RSS_KILL_KB || now() - start > 20) {
            o->killed = true;
            kill(pid, SIGKILL);
            wait4(pid, &status, 0, &ru);
            break;
        }
        usleep(2000);
    }
    o->seconds = now() - start;
    o->maxrss_kb = ru.ru_maxrss;
    o->status = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

/* Runs `wasmcap inspect path`, watching its RSS. */
static void inspect(const char *path, outcome *o)
{
    memset(o, 0, sizeof *o);
    char err_path[512];
    snprintf(err_path, sizeof err_path, "%s/stderr", tmpdir);
    unlink(err_path); /* no message of an earlier run */
    double start = now();
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int null = open("/dev/null", O_WRONLY);
        dup2(fd, 2);
        dup2(null, 1);
        execl(WASMCAP, WASMCAP, "inspect", path, (char *)NULL);
        _exit(127);
    }
    watch(pid, start, o);
    uint8_t *text = NULL;
    size_t len = 0;
    if (wc_read_file(err_path, sizeof o->stderr_text - 1, &text, &len) == 0) {
        memcpy(o->stderr_text, text, len + 1);
        free(text);
    }
}

static void inspect_refuses(const char *path, const char *want)
{
    outcome o;
    inspect(path, &o);
    printf("inspect %s: status %d, %.3f s, peak RSS %ld kB\n", path, o.status, o.seconds, o.maxrss_kb);
    CHECK(!o.killed, "inspect %s was killed (RSS over %d kB or 20 s)", path, RSS_KILL_KB);
    CHECK(o.status == 1, "inspect %s: status %d", path, o.status);
    CHECK(o.maxrss_kb < RSS_BOUND_KB, "inspect %s: peak RSS %ld kB", path, o.maxrss_kb);
    CHECK(o.seconds < 5, "inspect %s took %.1f s", path, o.seconds);
    CHECK(strstr(o.stderr_text, want), "inspect %s: stderr \"%s\", want \"%s\"", path, o.stderr_text, want);
}

static void test_cli(const char *sparse, const char *fifo)
{
    inspect_refuses("/dev/zero", "/dev/zero: not a regular file");
    inspect_refuses(fifo, "not a regular file");
    inspect_refuses(sparse, "larger than the module limit of 67108864 bytes");
}

static void test_reader(const char *sparse, const char *fifo)
{
    uint8_t *data = NULL;
    size_t size = 0;
    CHECK(wc_read_regular_file("/dev/zero", 1 << 20, &data, &size) == WC_ENOTREG, "/dev/zero read");
    CHECK(wc_read_regular_file(fifo, 1 << 20, &data, &size) == WC_ENOTREG, "FIFO read (or waited)");
    CHECK(wc_read_regular_file(sparse, 1 << 20, &data, &size) == WC_ETOOBIG, "sparse file read");
    /* a pipe through the general reader: at most the limit + 1 bytes */
    CHECK(wc_read_file("/dev/zero", 1 << 20, &data, &size) == WC_ETOOBIG, "/dev/zero unlimited");

    char path[512];
    snprintf(path, sizeof path, "%s/exact", tmpdir);
    static const char bytes[] = "0123456789";
    CHECK(wc_write_file(path, bytes, 10) == 0, "write");
    CHECK(wc_read_regular_file(path, 10, &data, &size) == 0 && size == 10 && memcmp(data, bytes, 10) == 0,
          "a file at the limit is read");
    free(data);
    data = NULL;
    CHECK(wc_read_regular_file(path, 9, &data, &size) == WC_ETOOBIG && !data, "a file over the limit");
    CHECK(strcmp(wc_strerror(WC_ENOTREG), "not a regular file") == 0, "strerror");
    unlink(path);
}

/* Loads path as a plugin in a child process (watched like the CLI);
 * the child writes the load error to the stderr file. */
static void load_plugin(const char *path, outcome *o)
{
    memset(o, 0, sizeof *o);
    char err_path[512];
    snprintf(err_path, sizeof err_path, "%s/stderr", tmpdir);
    unlink(err_path); /* no message of an earlier run */
    double start = now();
    pid_t pid = fork();
    if (pid == 0) {
        wc_engine_config cfg;
        wc_engine_config_default(&cfg);
        cfg.tier = WC_TIER_FAST;
        cfg.cache_dir = "";
        wc_engine *engine = NULL;
        wc_error werr = {0};
        if (wc_engine_new(&cfg, &engine, &werr) != 0)
            _exit(3);
        wc_plugin_config pc = {.name = "big", .path = (char *)path};
        wc_plugin *p = NULL;
        wc_error err = {0};
        int rc = wc_plugin_load(&pc, engine, NULL, &p, &err);
        wc_write_file(err_path, err.msg, strlen(err.msg));
        wc_plugin_free(p);
        wc_engine_free(engine);
        _exit(rc != 0 ? 1 : 0);
    }
    watch(pid, start, o);
    uint8_t *text = NULL;
    size_t len = 0;
    if (wc_read_file(err_path, sizeof o->stderr_text - 1, &text, &len) == 0) {
        memcpy(o->stderr_text, text, len + 1);
        free(text);
    }
}

/* A module without a manifest section whose sidecar manifest is a FIFO:
 * refused at once, not waited on. */
static void test_sidecar_fifo(void)
{
    char wasm[512], sidecar[512];
    snprintf(wasm, sizeof wasm, "%s/bare.wasm", tmpdir);
    snprintf(sidecar, sizeof sidecar, "%s/bare.manifest.json", tmpdir);
    CHECK(wc_write_file(wasm, "\0asm\1\0\0\0", 8) == 0, "write bare.wasm");
    CHECK(mkfifo(sidecar, 0600) == 0, "mkfifo: %s", strerror(errno));
    outcome o;
    load_plugin(wasm, &o);
    printf("load with a FIFO sidecar: status %d, %.3f s\n", o.status, o.seconds);
    CHECK(!o.killed && o.status == 1 && o.seconds < 5, "FIFO sidecar: killed %d status %d %.1f s", o.killed,
          o.status, o.seconds);
    CHECK(strstr(o.stderr_text, "bare.manifest.json: not a regular file"), "FIFO sidecar: \"%s\"", o.stderr_text);
    unlink(sidecar);
    unlink(wasm);
}

static void test_plugin_load(const char *sparse, const char *fifo)
{
    const char *paths[] = {"/dev/zero", fifo, sparse};
    const char *wants[] = {"plugin 'big': cannot read /dev/zero: not a regular file", "not a regular file",
                           "larger than the module limit of 67108864 bytes"};
    for (int i = 0; i < 3; i++) {
        outcome o;
        load_plugin(paths[i], &o);
        printf("load %s: status %d, %.3f s, peak RSS %ld kB\n", paths[i], o.status, o.seconds, o.maxrss_kb);
        CHECK(!o.killed, "loading %s was killed (RSS over %d kB or 20 s)", paths[i], RSS_KILL_KB);
        CHECK(o.status == 1, "load %s: status %d", paths[i], o.status);
        CHECK(o.maxrss_kb < RSS_BOUND_KB, "load %s: peak RSS %ld kB", paths[i], o.maxrss_kb);
        CHECK(strstr(o.stderr_text, wants[i]), "load %s: \"%s\"", paths[i], o.stderr_text);
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (wc_make_temp_dir(tmpdir, sizeof tmpdir, "wc-module-file") != 0) {
        printf("FAIL: temp dir\n");
        return 1;
    }
    char sparse[512], fifo[512];
    snprintf(sparse, sizeof sparse, "%s/sparse.wasm", tmpdir);
    snprintf(fifo, sizeof fifo, "%s/fifo.wasm", tmpdir);
    int fd = open(sparse, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0 && ftruncate(fd, 3ll << 30) == 0, "sparse file: %s", strerror(errno));
    if (fd >= 0)
        close(fd);
    CHECK(mkfifo(fifo, 0600) == 0, "mkfifo: %s", strerror(errno));

    test_reader(sparse, fifo);
    test_plugin_load(sparse, fifo);
    test_sidecar_fifo();
    test_cli(sparse, fifo);

    unlink(sparse);
    unlink(fifo);
    wc_remove_dir(tmpdir);
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    printf("test_module_file: all passed\n");
    return 0;
}
