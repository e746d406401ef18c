/* test_reload.c -- hot reload of `wasmcap serve`, over real pipes.
 *
 * A plugin file replaced while a call runs on it (an editor's save: a new
 * file renamed over the old): new calls see the new version, the running
 * call finishes on the old one, and tools/list_changed reaches the client
 * (resources and prompts did not change: no notification for them).  A
 * broken replacement keeps the old version serving, with a structured
 * error in the log; 100 writes in a burst are one reload; plugins added to
 * and removed from the config; SIGHUP with the watcher off; settings that
 * need a restart are logged as such; and the admin tools, allowed and
 * denied.  Run under ASan by the sanitizer pass (calls in flight during
 * swaps, no leak).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "reload_fixture.h"


typedef struct server {
    pid_t pid;
    int in, out;
    char pending[1 << 16];
    size_t npending;
    json_t *seen; /* every message read, in order */
} server;

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}



static void guest(const char *name, char *out, size_t size)
{
    snprintf(out, size, WC_BINARY_DIR "/guests/%s.wasm", name);
}

/* The config: plugin r from plugin_path, with extra top-level members. */
static void write_config(const char *plugins_extra, const char *extra)
{
    char text[4096];
    snprintf(text, sizeof text,
             "{\"server\": {\"name\": \"reload-test\", \"workers\": 4},\n"
             " \"storage\": {\"kv_dir\": \"%s/kv\", \"cache_dir\": \"%s/cache\", "
             "\"cache_key\": \"%s/cache.key\"},\n"
             " \"plugins\": {\"r\": {\"path\": \"r.wasm\", \"permissions\": "
             "{\"timeout_ms\": 20000}}%s}%s}\n",
             dir, dir, dir, plugins_extra, extra);
    char tmp[400];
    snprintf(tmp, sizeof tmp, "%s.tmp", config_path);
    write_text(tmp, text);
    rename(tmp, config_path);
}

static void start(server *s)
{
    int to[2], from[2];
    if (pipe2(to, O_CLOEXEC) != 0 || pipe2(from, O_CLOEXEC) != 0)
        abort();
    memset(s, 0, sizeof *s);
    s->seen = json_array();
    s->pid = fork();
    if (s->pid == 0) {
        dup2(to[0], 0);
        dup2(from[1], 1);
        int log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(log, 2);
        execl(WC_BINARY_DIR "/wasmcap", "wasmcap", "serve", "--config", config_path,
              (char *)NULL);
        _exit(127);
    }
    close(to[0]);
    close(from[1]);
    s->in = to[1];
    s->out = from[0];
}

static void put(server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(server *s, const char *fmt, ...)
{
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    line[n++] = '\n';
    for (const char *p = line; n > 0;) {
        ssize_t w = write(s->in, p, (size_t)n);
        if (w <= 0)
            return;
        p += w;
        n -= (int)w;
    }
}

/* Reads one message into seen; false after ms without one. */
static bool read_one(server *s, int ms)
{
    for (;;) {
        char *nl = memchr(s->pending, '\n', s->npending);
        if (nl) {
            size_t n = (size_t)(nl - s->pending);
            json_t *v = json_loadb(s->pending, n, 0, NULL);
            CHECK(json_is_object(v), "not a JSON object line: %.200s", s->pending);
            memmove(s->pending, nl + 1, s->npending - n - 1);
            s->npending -= n + 1;
            json_array_append_new(s->seen, v ? v : json_null());
            return true;
        }
        struct pollfd p = {.fd = s->out, .events = POLLIN};
        if (poll(&p, 1, ms) <= 0 || s->npending == sizeof s->pending)
            return false;
        ssize_t r = read(s->out, s->pending + s->npending, sizeof s->pending - s->npending);
        if (r <= 0)
            return false;
        s->npending += (size_t)r;
    }
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static json_t *find_id(server *s, long long id)
{
    size_t i;
    json_t *m;
    json_array_foreach(s->seen, i, m)
        if (json_integer_value(json_object_get(m, "id")) == id && json_object_get(m, "id"))
            return m;
    return NULL;
}

static size_t count_method(server *s, const char *method)
{
    size_t i, n = 0;
    json_t *m;
    json_array_foreach(s->seen, i, m) {
        const char *x = json_string_value(json_object_get(m, "method"));
        n += x && strcmp(x, method) == 0;
    }
    return n;
}

/* The answer to request id (borrowed from seen), waiting up to ms. */
static json_t *await_id(server *s, long long id, int ms)
{
    long long end = now_ms() + ms;
    json_t *m;
    while (!(m = find_id(s, id)) && now_ms() < end)
        read_one(s, (int)(end - now_ms()));
    return m;
}

/* Waits until method has been seen more than `had` times. */
static bool await_method(server *s, const char *method, size_t had, int ms)
{
    long long end = now_ms() + ms;
    while (count_method(s, method) <= had && now_ms() < end)
        read_one(s, (int)(end - now_ms()));
    return count_method(s, method) > had;
}

/* The first text block of a tools/call answer ("" when none). */
static const char *text_of(json_t *m)
{
    json_t *c = json_array_get(json_object_get(json_object_get(m, "result"), "content"), 0);
    const char *t = json_string_value(json_object_get(c, "text"));
    return t ? t : "";
}

static const char *call(server *s, long long id, const char *tool, const char *args)
{
    put(s, "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"method\":\"tools/call\",\"params\":"
           "{\"name\":\"%s\",\"arguments\":%s}}", id, tool, args);
    return text_of(await_id(s, id, 20000));
}

static void initialize(server *s)
{
    put(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
           "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
           "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
    CHECK(await_id(s, 1, 20000) != NULL, "initialize");
    put(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
}

/* Lines of the server's log holding needle. */
static int log_count(const char *needle)
{
    FILE *f = fopen(log_path, "r");
    char line[8192];
    int n = 0;
    while (f && fgets(line, sizeof line, f))
        n += strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return n;
}

/* Waits until the log holds needle more than `had` times. */
static bool await_log(const char *needle, int had, int ms)
{
    long long end = now_ms() + ms;
    while (log_count(needle) <= had && now_ms() < end)
        usleep(20000);
    return log_count(needle) > had;
}

static int stop(server *s)
{
    close(s->in);
    int status = -1;
    for (int waited = 0; waited < 20000; waited += 10) {
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            close(s->out);
            json_decref(s->seen);
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        usleep(10000);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &status, 0);
    close(s->out);
    json_decref(s->seen);
    return -1;
}

#define RELOADED "\"msg\":\"reloaded ("

/* Tools of tools/list, as one comma-joined string. */
static void tool_names(server *s, long long id, char *out, size_t size)
{
    put(s, "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"method\":\"tools/list\"}", id);
    json_t *tools = json_object_get(json_object_get(await_id(s, id, 10000), "result"), "tools");
    size_t i, used = 0;
    json_t *t;
    out[0] = 0;
    json_array_foreach(tools, i, t)
        used += (size_t)snprintf(out + used, size - used, "%s%s", i ? "," : "",
                                 json_string_value(json_object_get(t, "name")));
}


/* A server of plugin r at version 1, initialized. */
static void start_v1(server *s, const char *extra)
{
    CHECK(copy_file(v1, plugin_path), "copy v1");
    write_config("", extra);
    start(s);
    initialize(s);
}

static void test_plugin_file(void)
{
    server s;
    start_v1(&s, ", \"reload\": {\"quiet_ms\": 300}");
    CHECK(strcmp(call(&s, 2, "r-version", "{}"), "v1") == 0, "v1 serves");

    /* A call in flight on v1 while v2 replaces it. */
    put(&s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":"
            "{\"name\":\"r-slow\",\"arguments\":{\"ms\":1500}}}");
    usleep(300000);
    int reloads = log_count(RELOADED);
    CHECK(replace_file(v2, plugin_path), "replace with v2");
    CHECK(await_method(&s, "notifications/tools/list_changed", 0, 15000),
          "tools/list_changed after the plugin changed");
    CHECK(await_log(RELOADED, reloads, 5000) && log_count(RELOADED) == reloads + 1,
          "one reload: %d", log_count(RELOADED) - reloads);
    CHECK(strcmp(call(&s, 4, "r-version", "{}"), "v2") == 0, "v2 serves new calls");
    json_t *slow = await_id(&s, 3, 20000);
    CHECK(slow && strcmp(text_of(slow), "v1") == 0, "the call in flight finished on v1: %s",
          slow ? text_of(slow) : "no answer");
    char names[512];
    tool_names(&s, 5, names, sizeof names);
    CHECK(strcmp(names, "r-version,r-slow,r-extra") == 0, "v2's tools: %s", names);
    CHECK(count_method(&s, "notifications/resources/list_changed") == 0 &&
              count_method(&s, "notifications/prompts/list_changed") == 0,
          "resources and prompts did not change: no notification");

    /* A broken replacement: v2 keeps serving; the log says why. */
    size_t changed = count_method(&s, "notifications/tools/list_changed");
    int failed = log_count("failed to load, its old version keeps serving");
    write_text(plugin_path, "not a wasm module");
    CHECK(await_log("failed to load, its old version keeps serving", failed, 15000),
          "a structured error for the broken plugin");
    CHECK(log_count("\"plugin\":\"r\"") > 0 && log_count("\"kept_old\":true") > 0,
          "the error names the plugin and that the old one was kept");
    CHECK(strcmp(call(&s, 6, "r-version", "{}"), "v2") == 0, "v2 still serves");
    CHECK(count_method(&s, "notifications/tools/list_changed") == changed,
          "no list_changed for a failed reload");

    /* 100 writes in a burst: one reload, to v1.  A loaded machine can
     * stall the writer longer than the 300 ms quiet period (or the burst
     * can outlast ten of them): then more than one reload is right, so
     * the count is exact only for a burst that was one by the watcher's
     * rules. */
    reloads = log_count(RELOADED);
    long long burst_start = now_ms(), last_write = burst_start, longest_gap = 0;
    for (int i = 0; i < 100; i++) {
        CHECK(copy_file(i % 2 ? v1 : v2, plugin_path), "write %d", i);
        long long t = now_ms();
        if (t - last_write > longest_gap)
            longest_gap = t - last_write;
        last_write = t;
    }
    bool one_burst = longest_gap < 250 && last_write - burst_start < 2500;
    CHECK(await_method(&s, "notifications/tools/list_changed", changed, 15000),
          "list_changed after the burst");
    usleep(600000);
    int burst_reloads = log_count(RELOADED) - reloads;
    CHECK(one_burst ? burst_reloads == 1 : burst_reloads >= 1,
          "the burst of 100 writes (%lld ms, longest gap %lld ms) was %d reload(s)",
          last_write - burst_start, longest_gap, burst_reloads);
    CHECK(strcmp(call(&s, 7, "r-version", "{}"), "v1") == 0, "v1 after the burst");

    /* Many calls in flight across swaps (ASan: no use after free). */
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 8; i++)
            put(&s, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\",\"params\":"
                    "{\"name\":\"r-slow\",\"arguments\":{\"ms\":%d}}}",
                100 + round * 10 + i, 50 * i);
        CHECK(replace_file(round % 2 ? v1 : v2, plugin_path), "swap %d", round);
        usleep(250000);
    }
    for (int round = 0; round < 4; round++)
        for (int i = 0; i < 8; i++) {
            json_t *m = await_id(&s, 100 + round * 10 + i, 20000);
            const char *t = text_of(m);
            CHECK(m && (strcmp(t, "v1") == 0 || strcmp(t, "v2") == 0),
                  "call %d across swaps: %s", 100 + round * 10 + i, m ? t : "no answer");
        }
    CHECK(stop(&s) == 0, "exit status");
}

static void test_config_changes(void)
{
    char echo[300];
    guest("echo", echo, sizeof echo);
    server s;
    start_v1(&s, ", \"reload\": {\"quiet_ms\": 100}");
    char names[1024], plugins[600];
    tool_names(&s, 2, names, sizeof names);
    CHECK(strcmp(names, "r-version,r-slow") == 0, "at start: %s", names);

    /* A plugin added: its tools, list_changed for tools and prompts (echo has one). */
    snprintf(plugins, sizeof plugins, ", \"e\": {\"path\": \"%s\"}", echo);
    write_config(plugins, ", \"reload\": {\"quiet_ms\": 100}");
    CHECK(await_method(&s, "notifications/tools/list_changed", 0, 15000), "tools changed: added");
    CHECK(await_method(&s, "notifications/prompts/list_changed", 0, 5000),
          "prompts changed: added");
    tool_names(&s, 3, names, sizeof names);
    CHECK(strstr(names, "e-echo") && strstr(names, "r-version"), "after the add: %s", names);
    call(&s, 4, "e-echo", "{\"text\":\"hi\"}");
    json_t *echoed = json_object_get(
        json_object_get(json_object_get(find_id(&s, 4), "result"), "structuredContent"), "text");
    CHECK(json_is_string(echoed) && strcmp(json_string_value(echoed), "hi") == 0,
          "the added plugin serves");

    /* Settings that cannot change now: logged as needing a restart. */
    int restart = log_count("restart_needed");
    char text[4096];
    snprintf(text, sizeof text, ", \"reload\": {\"quiet_ms\": 100}, \"http\": {\"listen\": "
             "\"127.0.0.1:1\"}");
    write_config(plugins, text);
    CHECK(await_log("restart_needed", restart, 15000), "http.listen logged as needing a restart");
    CHECK(log_count("[\\\"http\\\"]") > 0 || log_count("\"http\"") > 0, "the key named");

    /* Removed: gone, list_changed again. */
    size_t had = count_method(&s, "notifications/tools/list_changed");
    write_config("", ", \"reload\": {\"quiet_ms\": 100}");
    CHECK(await_method(&s, "notifications/tools/list_changed", had, 15000),
          "tools changed: removed");
    tool_names(&s, 5, names, sizeof names);
    CHECK(strcmp(names, "r-version,r-slow") == 0, "after the removal: %s", names);
    CHECK(stop(&s) == 0, "exit status");
}

/* With the watcher off, only SIGHUP reloads. */
static void test_sighup(void)
{
    server s;
    start_v1(&s, ", \"reload\": {\"watch\": false}");
    CHECK(replace_file(v2, plugin_path), "replace with v2");
    usleep(700000);
    CHECK(strcmp(call(&s, 2, "r-version", "{}"), "v1") == 0, "not watched: v1 still");
    kill(s.pid, SIGHUP);
    CHECK(await_method(&s, "notifications/tools/list_changed", 0, 15000),
          "list_changed after SIGHUP");
    CHECK(strcmp(call(&s, 3, "r-version", "{}"), "v2") == 0, "v2 after SIGHUP");
    CHECK(stop(&s) == 0, "exit status");
}

/* The JSON of a tools/call result as text, for messages ("" when none). */
static const char *is_error_text(json_t *m, bool *is_error)
{
    json_t *r = json_object_get(m, "result");
    *is_error = json_is_true(json_object_get(r, "isError"));
    return text_of(m);
}

/* load_plugin, unload_plugin, list_plugins over stdio. */
static void test_admin_tools(void)
{
    char echo[300];
    guest("echo", echo, sizeof echo);
    server s;
    start_v1(&s, ", \"reload\": {\"quiet_ms\": 100}, \"admin\": {\"tools\": true}");
    char names[1024];
    tool_names(&s, 2, names, sizeof names);
    CHECK(strstr(names, "load_plugin") && strstr(names, "unload_plugin") &&
              strstr(names, "list_plugins"),
          "admin tools listed: %s", names);

    /* Loaded from a path: served, list_changed. */
    bool err;
    put(&s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":"
            "\"load_plugin\",\"arguments\":{\"name\":\"e\",\"path\":\"%s\","
            "\"permissions\":{\"timeout_ms\":5000,\"env\":{\"KEY\":\"s3cr3t\"}}}}}", echo);
    const char *t = is_error_text(await_id(&s, 3, 60000), &err);
    CHECK(!err && strstr(t, "plugin 'e' loaded"), "load_plugin: %s", t);
    CHECK(await_method(&s, "notifications/tools/list_changed", 0, 5000), "list_changed");
    tool_names(&s, 4, names, sizeof names);
    CHECK(strstr(names, "e-echo") != NULL, "e-echo after load_plugin: %s", names);

    /* The entry is read as the config reads it: a bad key, a source
     * without its digest, a broken module, a bad name. */
    static const struct {
        const char *args, *want;
    } refused[] = {
        {"{\"name\":\"x\",\"path\":\"r.wasm\",\"permissions\":{\"timout_ms\":1}}",
         "timout_ms"},
        {"{\"name\":\"x\",\"source\":\"https://example.invalid/a.wasm\"}", "sha256"},
        {"{\"name\":\"x\",\"path\":\"server.log\"}", "plugin 'x'"},
        {"{\"name\":\"../x\",\"path\":\"r.wasm\"}", "name"},
        {"{\"name\":\"x\"}", "path"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        put(&s, "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"tools/call\",\"params\":"
                "{\"name\":\"load_plugin\",\"arguments\":%s}}", 10 + i, refused[i].args);
        t = is_error_text(await_id(&s, (long long)(10 + i), 60000), &err);
        CHECK(err && strstr(t, refused[i].want), "load_plugin %s: refused with '%s': %s",
              refused[i].args, refused[i].want, t);
    }
    tool_names(&s, 20, names, sizeof names);
    CHECK(!strstr(names, "x-"), "nothing of the refused loads is served: %s", names);

    /* list_plugins: both, with their entries. */
    put(&s, "{\"jsonrpc\":\"2.0\",\"id\":21,\"method\":\"tools/call\",\"params\":"
            "{\"name\":\"list_plugins\",\"arguments\":{}}}");
    json_t *listed = json_object_get(
        json_object_get(json_object_get(await_id(&s, 21, 10000), "result"), "structuredContent"),
        "plugins");
    size_t i;
    json_t *p;
    int found = 0;
    json_array_foreach(listed, i, p) {
        const char *name = json_string_value(json_object_get(p, "name"));
        found += name && (strcmp(name, "r") == 0 || strcmp(name, "e") == 0) &&
                 json_is_true(json_object_get(p, "loaded")) &&
                 json_is_object(json_object_get(p, "config"));
    }
    CHECK(found == 2 && json_array_size(listed) == 2, "list_plugins: %zu, %d found",
          json_array_size(listed), found);
    char *dump = json_dumps(listed, JSON_COMPACT);
    CHECK(dump && !strstr(dump, "s3cr3t") && strstr(dump, "\"KEY\":\"(hidden)\""),
          "list_plugins hides environment values: %s", dump ? dump : "");
    free(dump);

    /* The admin change survives a reload of the file. */
    int reloads = log_count(RELOADED);
    write_config("", ", \"reload\": {\"quiet_ms\": 100}, \"admin\": {\"tools\": true}, "
                 "\"$comment\": \"touched\"");
    CHECK(await_log(RELOADED, reloads, 15000), "reloaded after the config changed");
    tool_names(&s, 22, names, sizeof names);
    CHECK(strstr(names, "e-echo") != NULL, "e kept across the file's reload: %s", names);

    /* Unloaded: gone; unloading it again is an error. */
    put(&s, "{\"jsonrpc\":\"2.0\",\"id\":23,\"method\":\"tools/call\",\"params\":"
            "{\"name\":\"unload_plugin\",\"arguments\":{\"name\":\"e\"}}}");
    t = is_error_text(await_id(&s, 23, 60000), &err);
    CHECK(!err && strstr(t, "unloaded"), "unload_plugin: %s", t);
    tool_names(&s, 24, names, sizeof names);
    CHECK(!strstr(names, "e-echo"), "e gone: %s", names);
    put(&s, "{\"jsonrpc\":\"2.0\",\"id\":25,\"method\":\"tools/call\",\"params\":"
            "{\"name\":\"unload_plugin\",\"arguments\":{\"name\":\"e\"}}}");
    t = is_error_text(await_id(&s, 25, 60000), &err);
    CHECK(err && strstr(t, "no plugin 'e'"), "unload_plugin twice: %s", t);
    CHECK(stop(&s) == 0, "exit status");

    /* Off by default: no such tools. */
    start_v1(&s, "");
    tool_names(&s, 2, names, sizeof names);
    CHECK(strcmp(names, "r-version,r-slow") == 0, "no admin tools by default: %s", names);
    put(&s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":"
            "\"load_plugin\",\"arguments\":{\"name\":\"e\",\"path\":\"%s\"}}}", echo);
    json_t *m = await_id(&s, 3, 10000);
    CHECK(m && json_object_get(m, "error"), "load_plugin refused when admin.tools is off");
    CHECK(stop(&s) == 0, "exit status");
}

int main(void)
{
    if (!fixture_open("reload"))
        return 1;
    test_plugin_file();
    test_config_changes();
    test_sighup();
    test_admin_tools();
    return fixture_close();
}
