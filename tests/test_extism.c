/* test_extism.c -- the Extism ABI: hyper-mcp's v1 and v2 plugins on
 * Extism's kernel, every kernel function used well and badly, vars across
 * calls and threads, http_request under allowed_hosts, hyper-mcp's host
 * functions on a client port that records what reaches it, and a hostile
 * guest's overflowing offsets and lengths, addresses of no block and var
 * flood (extism_hostile.c).
 *
 * The guests are tests/guests/extism_v1.c and extism_v2.c; the
 * differential test (tests/extism/) runs the same modules in Extism's
 * JavaScript host.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/extism.h"
#include "plugin/plugin.h"
#include "util/log.h"

#include "check.h"
#include "fast_engine.h"

#define GUEST(name) WC_BINARY_DIR "/guests/" name ".wasm"

static wc_engine *engine;

static wc_plugin *load(const char *path, const wc_permissions *perms)
{
    wc_plugin_config pc = {.name = "x", .path = (char *)path};
    if (perms)
        pc.perms = *perms;
    wc_plugin *p = NULL;
    wc_error err = {0};
    int rc = wc_plugin_load(&pc, engine, NULL, &p, &err);
    CHECK(rc == 0 && p, "cannot load %s: %s", path, err.msg);
    return p;
}

/* The CallToolResult of tool with args (JSON text). */
static json_t *call_in(wc_plugin *p, const char *tool, const char *args, wc_call *call)
{
    int index = wc_manifest_find_tool(wc_plugin_manifest(p), tool);
    CHECK(index >= 0, "no tool %s", tool);
    if (index < 0)
        return json_object();
    json_t *a = json_loads(args ? args : "{}", 0, NULL);
    json_t *res = NULL;
    wc_error err = {0};
    int rc = wc_plugin_call_tool(p, (size_t)index, NULL, a, call, &res, &err);
    CHECK(rc == 0, "call %s: %s", tool, err.msg);
    json_decref(a);
    if (!res && call && call->io.result_text)
        res = json_loads(call->io.result_text, 0, NULL);
    return res ? res : json_object();
}

static const char *text_of(const json_t *res)
{
    const char *s = json_string_value(
        json_object_get(json_array_get(json_object_get(res, "content"), 0), "text"));
    return s ? s : "(no text)";
}

/* The call succeeds with exactly `want`. */
static void expect_text(wc_plugin *p, const char *tool, const char *args, const char *want)
{
    json_t *res = call_in(p, tool, args, NULL);
    CHECK(!json_is_true(json_object_get(res, "isError")), "%s: an error: %s", tool, text_of(res));
    CHECK(strcmp(text_of(res), want) == 0, "%s: got \"%s\", want \"%s\"", tool, text_of(res), want);
    json_decref(res);
}

/* The call fails with a message containing `want`. */
static void expect_failure(wc_plugin *p, const char *tool, const char *args, const char *want)
{
    json_t *res = call_in(p, tool, args, NULL);
    CHECK(json_is_true(json_object_get(res, "isError")), "%s: not an error: %s", tool,
          text_of(res));
    CHECK(strstr(text_of(res), want), "%s: got \"%s\", want \"%s\"", tool, text_of(res), want);
    json_decref(res);
}

/* ---- the kernel (v1) ------------------------------------------------------ */

static void test_kernel(void)
{
    wc_permissions perms = {.config = json_pack("{s:s}", "greeting", "hi there"),
                            .memory_limit = 8u << 20};
    wc_plugin *p = load(GUEST("extism_v1"), &perms);
    json_decref(perms.config);
    if (!p)
        return;
    CHECK(strcmp(wc_plugin_abi_name(p), "extism") == 0, "abi %s", wc_plugin_abi_name(p));
    CHECK(wc_plugin_manifest(p)->ntools == 23, "%zu tools from describe",
          wc_plugin_manifest(p)->ntools);

    expect_text(p, "echo", "{\"a\":[1,2]}", "{\"params\":{\"name\":\"echo\",\"arguments\":{\"a\":[1,2]}}}");
    expect_text(p, "count", NULL, "count=1");
    expect_text(p, "count", NULL, "count=2");
    expect_text(p, "count", NULL, "count=3");
    expect_text(p, "forget", NULL, "forgotten");
    expect_text(p, "count", NULL, "count=1");
    expect_text(p, "config", "{\"key\":\"greeting\"}", "hi there");
    expect_text(p, "config", "{\"key\":\"nothing\"}", "(none)");
    /* u64, u8 stored, u8 untouched, length, length_unsafe, length(0), an
     * empty block exists, its length, the input's offset and length, a
     * freed block's length */
    expect_text(p, "memory", NULL, "72623859790382856,171,0,16,16,0,1,0,1,0");
    expect_failure(p, "fail", NULL, "it failed on purpose");
    expect_text(p, "fail_cleared", NULL, "cleared");
    expect_failure(p, "nonzero", NULL, "Returned non-zero exit code: 3");
    expect_text(p, "free_twice", NULL, "freed twice");
    expect_text(p, "missing_u8", NULL, "0");
    expect_failure(p, "missing_u64", NULL, "names no live block");
    expect_failure(p, "past_end", NULL, "past the end of its block of 4 bytes");
    expect_failure(p, "input_past_end", NULL, "past the end of its block");
    expect_failure(p, "output_too_long", NULL, "length longer than target block");
    expect_failure(p, "output_bad", NULL, "cannot assign to this block");
    expect_text(p, "huge_alloc", NULL, "0");
    expect_text(p, "endless_alloc", NULL, "1");
    expect_failure(p, "var_big", NULL, "var memory limit exceeded");
    expect_text(p, "var_bad", NULL, "not set");
    expect_text(p, "log", NULL, "2");
    wc_log_set_level(WC_LOG_DEBUG);
    expect_text(p, "log", NULL, "1");
    wc_log_set_level(WC_LOG_INFO);
    expect_failure(p, "trap", NULL, "trapped");
    expect_text(p, "calculate", "{\"a\":-7,\"b\":3,\"op\":\"mul\"}", "-21");
    expect_failure(p, "calculate", "{\"a\":1,\"b\":0,\"op\":\"div\"}", "division by zero");
    expect_failure(p, "http", "{\"url\":\"http://127.0.0.1:9/x\"}", "allowed_hosts");
    /* after all that, the plugin and its vars are as they were */
    expect_text(p, "count", NULL, "count=2");
    wc_plugin_free(p);
}

/* Vars are the plugin's, shared by its concurrent calls. */
typedef struct count_job {
    wc_plugin *p;
    int calls;
} count_job;

static void *count_many(void *arg)
{
    count_job *job = arg;
    for (int i = 0; i < job->calls; i++)
        json_decref(call_in(job->p, "count", NULL, NULL));
    return NULL;
}

static void test_vars_threads(void)
{
    wc_plugin *p = load(GUEST("extism_v1"), NULL);
    if (!p)
        return;
    /* count is read then written: concurrent calls may lose updates, as
     * in Extism, but the store stays whole and bounded */
    pthread_t t[4];
    count_job job = {.p = p, .calls = 20};
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, count_many, &job);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    json_t *res = call_in(p, "count", NULL, NULL);
    int n = atoi(text_of(res) + 6);
    CHECK(strncmp(text_of(res), "count=", 6) == 0 && n >= 2 && n <= 81, "after threads: %s",
          text_of(res));
    json_decref(res);
    wc_plugin_free(p);

    /* a fresh plugin starts without vars */
    p = load(GUEST("extism_v1"), NULL);
    if (p)
        expect_text(p, "count", NULL, "count=1");
    wc_plugin_free(p);
}

/* The store on its own: bounds, replacement, removal. */
static void test_vars_store(void)
{
    wc_extism_vars *v = wc_extism_vars_new(100);
    wc_error msg = {0};
    CHECK(wc_extism_vars_set(v, "k", 1, "12345", 5, &msg) == 0, "set: %s", msg.msg);
    CHECK(wc_extism_vars_set(v, "k", 1, "1234567890", 10, &msg) == 0, "replace: %s", msg.msg);
    size_t len;
    uint8_t *got = wc_extism_vars_get(v, "k", 1, &len);
    CHECK(got && len == 10 && memcmp(got, "1234567890", 10) == 0, "get after replace");
    free(got);
    static char big[100];
    CHECK(wc_extism_vars_set(v, "j", 1, big, 90, &msg) == WC_ETOOBIG &&
              strstr(msg.msg, "var memory limit exceeded: 102 bytes requested, 100 allowed"),
          "over the limit: %s", msg.msg);
    CHECK(wc_extism_vars_set(v, "k", 1, NULL, 0, &msg) == 0, "remove");
    got = wc_extism_vars_get(v, "k", 1, &len);
    CHECK(!got && len == 0, "removed");
    CHECK(wc_extism_vars_set(v, "j", 1, big, 90, &msg) == 0, "fits after removal: %s",
          msg.msg);
    wc_extism_vars_free(v);

    v = wc_extism_vars_new(0);
    int rc = 0;
    for (unsigned i = 0; i <= WC_EXTISM_MAX_VARS && rc == 0; i++) {
        char key[16];
        int n = snprintf(key, sizeof key, "%u", i);
        rc = wc_extism_vars_set(v, key, (size_t)n, "v", 1, &msg);
        if (rc)
            CHECK(i == WC_EXTISM_MAX_VARS && strstr(msg.msg, "Variable store is full"),
                  "refused at %u: %s", i, msg.msg);
    }
    CHECK(rc == WC_ETOOBIG, "the count is bounded");
    wc_extism_vars_free(v);
}

/* ---- http_request --------------------------------------------------------- */

static struct {
    int fd, port;
    pthread_t thread;
    atomic_bool stop;
} web;

/* Answers each request with 201 and "METHOD BODY X-Test", X-Reply set. */
static void *web_main(void *arg)
{
    while (!atomic_load(&web.stop)) {
        int fd = accept(web.fd, NULL, NULL);
        if (fd < 0)
            continue;
        char req[4096];
        size_t len = 0;
        ssize_t n;
        char *end = NULL;
        while (len < sizeof req - 1 && (n = recv(fd, req + len, sizeof req - 1 - len, 0)) > 0) {
            len += (size_t)n;
            req[len] = 0;
            end = strstr(req, "\r\n\r\n");
            const char *cl = strcasestr(req, "\r\ncontent-length: ");
            if (end && (!cl || len >= (size_t)(end + 4 - req) + strtoul(cl + 18, NULL, 10)))
                break;
        }
        char method[8] = "";
        sscanf(req, "%7s", method);
        const char *test = strcasestr(req, "\r\nx-test: ");
        char body[256];
        int blen = snprintf(body, sizeof body, "%s %s %.*s", method, end ? end + 4 : "",
                            test ? (int)strcspn(test + 10, "\r") : 0, test ? test + 10 : "");
        char head[256];
        int hlen = snprintf(head, sizeof head, "HTTP/1.1 201 Created\r\nContent-Length: %d\r\n"
                                               "X-Reply: yes\r\nConnection: close\r\n\r\n", blen);
        if (send(fd, head, (size_t)hlen, MSG_NOSIGNAL) > 0)
            send(fd, body, (size_t)blen, MSG_NOSIGNAL);
        close(fd);
    }
    return NULL;
}

static bool web_start(void)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof addr;
    web.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {.tv_usec = 100000}; /* accept wakes to see stop */
    setsockopt(web.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (web.fd < 0 || bind(web.fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(web.fd, 8) != 0 || getsockname(web.fd, (struct sockaddr *)&addr, &alen) != 0)
        return false;
    web.port = ntohs(addr.sin_port);
    return pthread_create(&web.thread, NULL, web_main, NULL) == 0;
}

static void test_http(void)
{
    CHECK(web_start(), "local web server");
    char *hosts[] = {"127.0.0.1"};
    wc_permissions perms = {.allowed_hosts = hosts, .n_allowed_hosts = 1};
    wc_plugin *p = load(GUEST("extism_v1"), &perms);
    char args[128];
    snprintf(args, sizeof args, "{\"url\":\"http://127.0.0.1:%d/post\"}", web.port);
    if (p) {
        expect_text(p, "http", args, "201 POST ping yes +x-reply");
        snprintf(args, sizeof args, "{\"url\":\"http://localhost:%d/post\"}", web.port);
        expect_failure(p, "http", args, "permissions.allowed_hosts");
        expect_failure(p, "http", "{\"url\":\"not a url\"}", "extism http_request");
    }
    wc_plugin_free(p);
    atomic_store(&web.stop, true);
    pthread_join(web.thread, NULL);
    close(web.fd);
}

/* ---- hyper-mcp v2 and its host functions ---------------------------------- */

static struct {
    pthread_mutex_t lock;
    char seen[2048];
} client_log = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void saw(const char *what, const char *detail)
{
    pthread_mutex_lock(&client_log.lock);
    size_t n = strlen(client_log.seen);
    snprintf(client_log.seen + n, sizeof client_log.seen - n, "%s%s%s;", what, detail ? " " : "",
             detail ? detail : "");
    pthread_mutex_unlock(&client_log.lock);
}

static void fake_notify(void *ctx, const char *method, json_t *params)
{
    char *text = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
    saw(method, text);
    free(text);
    json_decref(params);
}

static int fake_request(void *ctx, const char *method, json_t *params, int timeout_ms,
                        json_t **result, wc_error *err)
{
    saw(method, NULL);
    if (strcmp(method, "sampling/createMessage") == 0)
        *result = json_pack("{s:s,s:{s:s,s:s},s:s}", "role", "assistant", "content", "type", "text",
                            "text", "a reply", "model", "fake");
    else if (strcmp(method, "roots/list") == 0)
        *result = json_pack("{s:[{s:s}]}", "roots", "uri", "file:///work");
    else
        return wc_error_set(err, WC_ENOTFOUND, "no %s here", method);
    return 0;
}

static void fake_list_changed(void *ctx, const char *kind) { saw("list_changed", kind); }
static void fake_resource_updated(void *ctx, const char *uri) { saw("updated", uri); }

static void test_v2(void)
{
    wc_plugin *p = load(GUEST("extism_v2"), NULL);
    if (!p)
        return;
    const wc_manifest *m = wc_plugin_manifest(p);
    CHECK(m->ntools == 7 && json_array_size(m->prompts) == 1 && json_array_size(m->resources) == 1 &&
              json_array_size(m->resource_templates) == 1,
          "v2 lists: %zu tools, %zu prompts, %zu resources, %zu templates", m->ntools,
          json_array_size(m->prompts), json_array_size(m->resources),
          json_array_size(m->resource_templates));
    expect_text(p, "greet", "{\"who\":\"ann\"}", "hello, ann");
    /* the schema from list_tools is checked before the plugin runs */
    expect_failure(p, "greet", "{}", "who");

    json_t *res = NULL;
    wc_error err = {0};
    json_t *args = json_pack("{s:s}", "topic", "autumn");
    CHECK(wc_plugin_get_prompt(p, "haiku", args, NULL, &res, &err) == 0, "prompt: %s", err.msg);
    json_decref(args);
    const char *pt = json_string_value(json_object_get(
        json_object_get(json_array_get(json_object_get(res, "messages"), 0), "content"), "text"));
    CHECK(pt && strcmp(pt, "a haiku about autumn") == 0, "prompt text %s", pt ? pt : "(none)");
    json_decref(res);

    CHECK(wc_plugin_read_resource(p, "mem://v2/items/7", NULL, &res, &err) == 0, "read: %s",
          err.msg);
    const char *rt = json_string_value(json_object_get(json_array_get(json_object_get(res, "contents"), 0), "text"));
    CHECK(rt && strcmp(rt, "contents of mem://v2/items/7") == 0, "resource text %s", rt ? rt : "(none)");
    json_decref(res);

    json_t *params = json_pack("{s:{s:s,s:s},s:{s:s,s:s}}", "ref", "type", "ref/prompt", "name",
                               "haiku", "argument", "name", "topic", "value", "au");
    CHECK(wc_plugin_complete(p, params, NULL, &res, &err) == 0 && json_array_size(res) == 2 &&
              strcmp(json_string_value(json_array_get(res, 0)), "autumn") == 0,
          "complete: %s", err.msg);
    json_decref(res);
    json_decref(params);

    /* hyper-mcp's host functions reach the client port */
    json_t *token = json_integer(5);
    wc_client_port client = {.notify = fake_notify, .request = fake_request,
                             .list_changed = fake_list_changed,
                             .resource_updated = fake_resource_updated, .can_sample = true,
                             .progress_token = token, .min_log_level = 0};
    wc_call *call = wc_call_new(&client, NULL);
    res = call_in(p, "notify", NULL, call);
    CHECK(strcmp(text_of(res), "notified") == 0, "notify: %s", text_of(res));
    json_decref(res);
    CHECK(strcmp(client_log.seen,
                 "notifications/progress {\"message\":\"half\",\"progress\":1.0,\"progressToken\":5,\"total\":2.0};"
                 "notifications/message {\"data\":\"careful\",\"level\":\"warning\",\"logger\":\"v2\"};"
                 "list_changed tools;list_changed prompts;list_changed resources;"
                 "updated mem://v2/notes;") == 0,
          "the client saw: %s", client_log.seen);
    client_log.seen[0] = 0;

    /* sampling is denied until granted, with the key to set */
    res = call_in(p, "sample", NULL, call);
    CHECK(json_is_true(json_object_get(res, "isError")) &&
              strstr(text_of(res), "set plugins.x.permissions.sampling"),
          "sample denied: %s", text_of(res));
    json_decref(res);
    res = call_in(p, "elicit", NULL, call);
    CHECK(json_is_true(json_object_get(res, "isError")) &&
              strstr(text_of(res), "permissions.elicitation"), "elicit denied: %s", text_of(res));
    json_decref(res);
    res = call_in(p, "roots", NULL, call);
    CHECK(strcmp(text_of(res), "{\"roots\":[{\"uri\":\"file:///work\"}]}") == 0, "roots: %s",
          text_of(res));
    json_decref(res);
    res = call_in(p, "url_done", NULL, call);
    CHECK(json_is_true(json_object_get(res, "isError")) &&
              strstr(text_of(res), "permissions.elicitation"), "url_done denied: %s", text_of(res));
    json_decref(res);
    res = call_in(p, "bad_user_input", NULL, call);
    CHECK(json_is_true(json_object_get(res, "isError")) &&
              strstr(text_of(res), "its input is not a JSON object"), "bad input: %s", text_of(res));
    json_decref(res);
    wc_plugin_free(p);

    wc_permissions perms = {.sampling = true, .elicitation = true};
    p = load(GUEST("extism_v2"), &perms);
    if (p) {
        res = call_in(p, "sample", NULL, call);
        CHECK(strstr(text_of(res), "\"text\":\"a reply\""), "sample: %s", text_of(res));
        json_decref(res);
        client_log.seen[0] = 0;
        res = call_in(p, "url_done", NULL, call);
        CHECK(strcmp(text_of(res), "told") == 0 &&
                  strcmp(client_log.seen,
                         "notifications/elicitation/complete {\"elicitationId\":\"e1\"};") == 0,
              "url_done: %s; the client saw %s", text_of(res), client_log.seen);
        json_decref(res);
        /* a client that cannot elicit declines, as in hyper-mcp */
        res = call_in(p, "elicit", NULL, call);
        CHECK(strcmp(text_of(res), "{\"action\":\"decline\"}") == 0, "elicit: %s", text_of(res));
        json_decref(res);
    }
    wc_plugin_free(p);
    wc_call_free(call);
    json_decref(token);
}

/* ---- hostile guests -------------------------------------------------------- */

/* Each attack of tests/guests/extism_hostile.c refused with Extism's words
 * (or answered with its quiet nothing), and the plugin serving the next
 * call as if nothing had happened. */
static void test_hostile(void)
{
    wc_plugin *p = load(GUEST("extism_hostile"), NULL);
    if (!p)
        return;
    static const struct {
        const char *tool, *want;
        bool fails;
    } cases[] = {
        {"load_straddle", "(8 bytes) is past the end of its block of 12 bytes", true},
        {"load_max_offset", "(1 bytes) is past the end of its block of 8 bytes", true},
        {"store_straddle", "(8 bytes) is past the end of its block of 7 bytes", true},
        {"input_wrap", "extism input_load_u64: address 0xfffffffffffffffc (8 bytes) is past the end", true},
        {"no_block_index", "extism load_u64: address 0xffff000000000000 names no live block", true},
        {"output_huge", "extism output_set: length longer than target block (18446744073709551615 bytes", true},
        {"output_offset_huge", "length longer than target block (18446744073709551614 bytes at offset 2 of 4)", true},
        {"output_freed", "extism output_set: cannot assign to this block", true},
        {"error_garbage", "extism error_set: cannot assign error to this block (addr=deadbeefdeadbeef)", true},
        {"garbage_calmly", "nothing", false},
        {"http_garbage", "allowed_hosts", true},
        {"alloc_2_63", "0", false},
        {"var_flood", "Variable store is full (4096 variables)", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].fails)
            expect_failure(p, cases[i].tool, NULL, cases[i].want);
        else
            expect_text(p, cases[i].tool, NULL, cases[i].want);
        expect_text(p, "ok", NULL, "still serving");
    }
    wc_plugin_free(p);
}

int main(void)
{
    if (!(engine = test_fast_engine()))
        return 1;
    test_vars_store();
    test_kernel();
    test_vars_threads();
    test_http();
    test_v2();
    test_hostile();
    wc_engine_free(engine);
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    printf("test_extism: all passed (%d checks)\n", checks);
    return 0;
}
