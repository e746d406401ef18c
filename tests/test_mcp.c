/* test_mcp.c -- the MCP protocol layer, driven in process.
 *
 * A session's send callback captures every message.  The protocol cases
 * run on a registry without plugins (wc_config_default); the call cases
 * (tools/call, pagination, cancellation, progress, sampling routed to the
 * client and back) run on a small native plugin written here in WAT and
 * built with wat2wasm, so they need nothing from other tests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mcp/internal.h"
#include "mcp/server.h"
#include "plugin/plugin.h"
#include "cli/config.h"
#include "plugin/registry.h"
#include "util/log.h"

#include "check.h"
#include "session_capture.h"
#include "world.h"

/* --- the no-plugin registry --- */

/* The MCP server of these tests: no HTTP, two workers, short timeouts. */
static int world_open(test_world *w, const char *config_text, unsigned page_size)
{
    wc_mcp_options o;
    wc_mcp_options_default(&o);
    o.name = "test-server";
    o.version = "9.9";
    o.instructions = "be nice";
    o.workers = 2;
    o.page_size = page_size;
    o.request_timeout_ms = 300;
    return test_world_open(w, config_text, &o);
}

/* --- protocol cases --- */

static void test_jsonrpc_errors(test_world *w)
{
    capture c;
    capture_init(&c);
    wc_mcp_session *s = wc_mcp_session_new(w->mcp, capture_send, &c);

    sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":1,");
    json_t *r = wait_match(&c, match_null_id, NULL, 2000);
    CHECK(r && error_code(r) == -32700, "parse error: %lld", r ? error_code(r) : 0);
    json_decref(r);

    /* duplicate keys: what a schema checked must be what a plugin reads */
    sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
             "{\"name\":\"x\",\"arguments\":{\"a\":1,\"a\":\"one\"}}}");
    r = wait_match(&c, match_null_id, NULL, 2000);
    CHECK(r && error_code(r) == -32700 && strstr(error_message(r), "duplicate"),
          "duplicate keys: %s", r ? error_message(r) : "no answer");
    json_decref(r);

    sendf(s, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]");
    r = wait_match(&c, match_null_id, NULL, 2000);
    CHECK(r && error_code(r) == -32600 && strstr(error_message(r), "batches are not supported"),
          "batch: %s", r ? error_message(r) : "no answer");
    json_decref(r);

    sendf(s, "42");
    r = wait_match(&c, match_null_id, NULL, 2000);
    CHECK(r && error_code(r) == -32600, "a number as message");
    json_decref(r);

    /* wrong jsonrpc: answered with the request's id */
    sendf(s, "{\"jsonrpc\":\"1.0\",\"id\":7,\"method\":\"ping\"}");
    r = response(&c, 7);
    CHECK(r && error_code(r) == -32600 && strstr(error_message(r), "2.0"), "jsonrpc 1.0");
    json_decref(r);
    sendf(s, "{\"id\":8,\"method\":\"ping\"}");
    r = response(&c, 8);
    CHECK(r && error_code(r) == -32600, "no jsonrpc member");
    json_decref(r);

    /* ids of the wrong type: id null in the answer */
    const char *bad_ids[] = {"{\"a\":1}", "null", "true", "[1]"};
    for (size_t i = 0; i < 4; i++) {
        sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"ping\"}", bad_ids[i]);
        r = wait_match(&c, match_null_id, NULL, 2000);
        CHECK(r && error_code(r) == -32600 && strstr(error_message(r), "id"), "id %s",
              bad_ids[i]);
        json_decref(r);
    }
    sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":5}");
    r = response(&c, 9);
    CHECK(r && error_code(r) == -32600 && strstr(error_message(r), "method"), "method number");
    json_decref(r);
    sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":10}");
    r = response(&c, 10);
    CHECK(r && error_code(r) == -32600, "no method, no result");
    json_decref(r);

    /* string ids are echoed as strings */
    sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"ping\"}");
    r = wait_match(&c, match_null_id, NULL, 300);
    CHECK(r == NULL, "a string id was answered with id null");
    json_decref(r);
    pthread_mutex_lock(&c.lock);
    json_t *last = json_array_get(c.msgs, json_array_size(c.msgs) - 1);
    CHECK(last && json_is_string(json_object_get(last, "id")) &&
              strcmp(json_string_value(json_object_get(last, "id")), "abc") == 0 &&
              json_is_object(json_object_get(last, "result")),
          "ping with a string id");
    json_array_clear(c.msgs);
    pthread_mutex_unlock(&c.lock);

    /* params that are not an object */
    EXPECT_ERROR(&c, s, 11, "ping", "[1,2]", -32602, "params");
    /* before initialize: ping works, the rest is refused */
    json_t *pong = result_of(&c, s, 12, "ping", NULL);
    CHECK(pong && json_object_size(pong) == 0, "ping before initialize");
    json_decref(pong);
    EXPECT_ERROR(&c, s, 13, "tools/list", NULL, -32600, "initialize");
    EXPECT_ERROR(&c, s, 14, "tools/call", "{\"name\":\"x\"}", -32600, "initialize");
    EXPECT_ERROR(&c, s, 15, "no/such", NULL, -32601, "no/such");

    /* notifications are never answered, even bad ones */
    size_t before = capture_count(&c);
    sendf(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/whatever\"}");
    sendf(s, "{\"jsonrpc\":\"2.0\",\"method\":\"no/such\",\"params\":{}}");
    sendf(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":[1]}");
    sendf(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
             "\"params\":{\"requestId\":424242,\"reason\":\"gone\"}}");
    /* a response to nothing we asked is dropped too */
    sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":999,\"result\":{}}");
    sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":998,\"error\":{\"code\":-1,\"message\":\"x\"}}");
    usleep(50000);
    CHECK(capture_count(&c) == before, "a notification or stray response got an answer");
    CHECK(c.bad == 0, "%d messages were not single JSON objects", c.bad);
    wc_mcp_session_close(s);
    capture_free(&c);
}

static void test_initialize(test_world *w)
{
    capture c;
    capture_init(&c);
    wc_mcp_session *s = wc_mcp_session_new(w->mcp, capture_send, &c);
    EXPECT_ERROR(&c, s, 1, "initialize", "{\"capabilities\":{}}", -32602, "protocolVersion");
    EXPECT_ERROR(&c, s, 2, "initialize", "{\"protocolVersion\":20250618}", -32602,
                 "protocolVersion");
    EXPECT_ERROR(&c, s, 3, "initialize",
                 "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":[]}", -32602,
                 "capabilities");
    json_t *r = result_of(&c, s, 4, "initialize",
                          "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{\"sampling\":{}},"
                          "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}");
    CHECK(r != NULL, "initialize");
    if (r) {
        CHECK(strcmp(json_string_value(json_object_get(r, "protocolVersion")), "2025-06-18") == 0,
              "version not echoed");
        json_t *caps = json_object_get(r, "capabilities");
        CHECK(json_is_true(json_object_get(json_object_get(caps, "tools"), "listChanged")),
              "tools.listChanged");
        CHECK(json_is_true(json_object_get(json_object_get(caps, "resources"), "listChanged")),
              "resources.listChanged");
        CHECK(json_is_true(json_object_get(json_object_get(caps, "prompts"), "listChanged")),
              "prompts.listChanged");
        CHECK(json_is_object(json_object_get(caps, "completions")), "completions");
        CHECK(json_is_object(json_object_get(caps, "logging")), "logging");
        CHECK(json_is_true(json_object_get(json_object_get(caps, "resources"), "subscribe")),
              "resources.subscribe");
        json_t *info = json_object_get(r, "serverInfo");
        CHECK(strcmp(json_string_value(json_object_get(info, "name")), "test-server") == 0 &&
                  strcmp(json_string_value(json_object_get(info, "version")), "9.9") == 0,
              "serverInfo");
        CHECK(json_is_string(json_object_get(r, "instructions")), "instructions");
    }
    json_decref(r);
    CHECK(s->can_sample && !s->can_elicit, "client capabilities not recorded");
    EXPECT_ERROR(&c, s, 5, "initialize",
                 "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{}}", -32600,
                 "already initialized");
    /* requests between the answer and notifications/initialized are served */
    json_t *tools = result_of(&c, s, 6, "tools/list", NULL);
    CHECK(tools && json_array_size(json_object_get(tools, "tools")) == 0 &&
              !json_object_get(tools, "nextCursor"),
          "empty tools/list");
    json_decref(tools);
    wc_mcp_session_close(s);

    /* supported versions are echoed, others get the latest */
    const char *asked[] = {"2024-11-05", "1999-01-01", "2025-03-26", "2025-11-25"};
    const char *got[] = {"2024-11-05", "2025-11-25", "2025-03-26", "2025-11-25"};
    for (size_t i = 0; i < 4; i++) {
        s = wc_mcp_session_new(w->mcp, capture_send, &c);
        char params[256];
        snprintf(params, sizeof params,
                 "{\"protocolVersion\":\"%s\",\"capabilities\":{\"elicitation\":{}},"
                 "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}",
                 asked[i]);
        r = result_of(&c, s, 20 + (long long)i, "initialize", params);
        CHECK(r && strcmp(json_string_value(json_object_get(r, "protocolVersion")),
                          got[i]) == 0,
              "asked %s, got %s", asked[i],
              r ? json_string_value(json_object_get(r, "protocolVersion")) : "no answer");
        CHECK(!s->can_sample && s->can_elicit, "elicitation capability");
        json_decref(r);
        wc_mcp_session_close(s);
    }
    capture_free(&c);
}

static void test_methods_no_plugins(test_world *w)
{
    capture c;
    capture_init(&c);
    wc_mcp_session *s = wc_mcp_session_new(w->mcp, capture_send, &c);
    initialize(&c, s, NULL);

    const char *lists[][2] = {{"tools/list", "tools"},
                              {"resources/list", "resources"},
                              {"resources/templates/list", "resourceTemplates"},
                              {"prompts/list", "prompts"}};
    for (size_t i = 0; i < 4; i++) {
        json_t *r = result_of(&c, s, 100 + (long long)i, lists[i][0], "{}");
        CHECK(r && json_is_array(json_object_get(r, lists[i][1])) &&
                  json_array_size(json_object_get(r, lists[i][1])) == 0,
              "%s", lists[i][0]);
        json_decref(r);
        EXPECT_ERROR(&c, s, 110 + (long long)i, lists[i][0], "{\"cursor\":\"wc1-1-5\"}", -32602,
                     "cursor");
        EXPECT_ERROR(&c, s, 120 + (long long)i, lists[i][0], "{\"cursor\":7}", -32602, "cursor");
    }
    EXPECT_ERROR(&c, s, 130, "tools/call", "{}", -32602, "name");
    EXPECT_ERROR(&c, s, 131, "tools/call", "{\"name\":3}", -32602, "name");
    EXPECT_ERROR(&c, s, 132, "tools/call", "{\"name\":\"x\",\"arguments\":[]}", -32602,
                 "arguments");
    EXPECT_ERROR(&c, s, 133, "tools/call", "{\"name\":\"nope\",\"arguments\":{}}", -32602, "nope");
    EXPECT_ERROR(&c, s, 134, "tools/call", NULL, -32602, "name");
    EXPECT_ERROR(&c, s, 140, "resources/read", "{}", -32602, "uri");
    EXPECT_ERROR(&c, s, 141, "resources/read", "{\"uri\":\"x://nothing\"}", -32002, NULL);
    EXPECT_ERROR(&c, s, 150, "prompts/get", "{}", -32602, "name");
    EXPECT_ERROR(&c, s, 151, "prompts/get", "{\"name\":\"p\",\"arguments\":{\"a\":1}}", -32602,
                 "arguments.a");
    EXPECT_ERROR(&c, s, 152, "prompts/get", "{\"name\":\"nope\"}", -32602, NULL);
    EXPECT_ERROR(&c, s, 160, "completion/complete", "{}", -32602, "ref");
    EXPECT_ERROR(&c, s, 161, "completion/complete",
                 "{\"ref\":{\"type\":\"ref/other\"},\"argument\":{\"name\":\"a\",\"value\":\"\"}}",
                 -32602, "ref.type");
    EXPECT_ERROR(&c, s, 162, "completion/complete",
                 "{\"ref\":{\"type\":\"ref/prompt\",\"name\":\"p\"},\"argument\":{\"name\":\"a\"}}",
                 -32602, "argument");
    EXPECT_ERROR(&c, s, 163, "completion/complete",
                 "{\"ref\":{\"type\":\"ref/prompt\",\"name\":\"p\"},"
                 "\"argument\":{\"name\":\"a\",\"value\":\"\"},\"context\":{\"arguments\":1}}",
                 -32602, "context");
    EXPECT_ERROR(&c, s, 164, "completion/complete",
                 "{\"ref\":{\"type\":\"ref/prompt\",\"name\":\"nope\"},"
                 "\"argument\":{\"name\":\"a\",\"value\":\"\"}}",
                 -32602, NULL);
    EXPECT_ERROR(&c, s, 170, "logging/setLevel", "{}", -32602, "level");
    EXPECT_ERROR(&c, s, 171, "logging/setLevel", "{\"level\":\"loud\"}", -32602, "loud");
    EXPECT_ERROR(&c, s, 172, "resources/subscribe", "{}", -32602, "uri");
    EXPECT_ERROR(&c, s, 175, "resources/unsubscribe", "{\"uri\":3}", -32602, "uri");
    json_t *r = result_of(&c, s, 173, "logging/setLevel", "{\"level\":\"error\"}");
    CHECK(r && json_object_size(r) == 0, "setLevel result");
    json_decref(r);
    CHECK(s->log_level == WC_LOG_ERROR, "level %d", s->log_level);
    r = result_of(&c, s, 174, "logging/setLevel", "{\"level\":\"debug\"}");
    json_decref(r);
    CHECK(s->log_level == WC_LOG_DEBUG, "level %d", s->log_level);
    CHECK(c.bad == 0, "%d bad messages", c.bad);
    wc_mcp_session_close(s);
    capture_free(&c);
}

/* resources/subscribe: only sessions subscribed to a URI hear that it
 * changed, and not after unsubscribing. */
static void test_subscriptions(test_world *w)
{
    capture a, b;
    capture_init(&a);
    capture_init(&b);
    wc_mcp_session *sa = wc_mcp_session_new(w->mcp, capture_send, &a);
    wc_mcp_session *sb = wc_mcp_session_new(w->mcp, capture_send, &b);
    initialize(&a, sa, NULL);
    initialize(&b, sb, NULL);
    json_t *r = result_of(&a, sa, 2, "resources/subscribe", "{\"uri\":\"notes://1\"}");
    CHECK(r && json_object_size(r) == 0, "subscribe result");
    json_decref(r);
    json_decref(result_of(&b, sb, 2, "resources/subscribe", "{\"uri\":\"notes://2\"}"));

    wc_mcp_server_resource_updated(w->mcp, "notes://1");
    json_t *m = wait_match(&a, match_method, "notifications/resources/updated", 2000);
    CHECK(m && strcmp(json_string_value(json_object_get(json_object_get(m, "params"), "uri")),
                      "notes://1") == 0, "a hears of notes://1");
    json_decref(m);
    CHECK(!wait_match(&b, match_method, "notifications/resources/updated", 100),
          "b did not subscribe to notes://1");

    json_decref(result_of(&a, sa, 3, "resources/unsubscribe", "{\"uri\":\"notes://1\"}"));
    size_t before = capture_count(&a);
    wc_mcp_server_resource_updated(w->mcp, "notes://1");
    wc_mcp_server_resource_updated(w->mcp, "notes://2");
    m = wait_match(&b, match_method, "notifications/resources/updated", 2000);
    CHECK(m != NULL, "b hears of notes://2");
    json_decref(m);
    CHECK(capture_count(&a) == before, "a unsubscribed: nothing more");
    wc_mcp_session_close(sa);
    wc_mcp_session_close(sb);
    capture_free(&a);
    capture_free(&b);
}

/* Resident memory of this process, KiB. */
static long rss_kib(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Sends resources/subscribe for a URI of `len` bytes ("notes://<i>/xxx..."). */
static json_t *subscribe_long(capture *c, wc_mcp_session *s, long long id, size_t len, int i)
{
    char *msg = malloc(len + 200);
    if (!msg)
        return NULL;
    int n = snprintf(msg, 200, "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"method\":\"resources/subscribe\","
                     "\"params\":{\"uri\":\"", id);
    int prefix = snprintf(msg + n, 200, "notes://%d/", i);
    memset(msg + n + prefix, 'x', len - (size_t)prefix);
    memcpy(msg + n + len, "\"}}", 3);
    wc_mcp_session_receive(s, msg, (size_t)n + len + 3, NULL);
    free(msg);
    return response(c, id);
}

/* What one session can make the server keep is bounded: subscribed URIs
 * (length, count, bytes together) and the ids of early cancels. */
static void test_session_bounds(test_world *w)
{
    capture c;
    capture_init(&c);
    wc_mcp_session *s = wc_mcp_session_new(w->mcp, capture_send, &c);
    initialize(&c, s, NULL);

    /* 150 subscriptions of 3 MiB URIs: each refused, nothing kept */
    long before = rss_kib();
    int refused = 0;
    for (int i = 0; i < 150; i++) {
        json_t *r = subscribe_long(&c, s, 10 + i, 3u << 20, i);
        refused += r && error_code(r) == -32602 && strstr(error_message(r), "at most 4096");
        if (i == 0)
            CHECK(r && error_code(r) == -32602, "a 3 MiB URI: %s",
                  r ? error_message(r) : "no answer");
        json_decref(r);
    }
    long grown = rss_kib() - before;
    CHECK(refused == 150, "%d of 150 subscriptions of 3 MiB URIs refused", refused);
#ifndef __SANITIZE_ADDRESS__ /* its quarantine keeps what was freed */
    CHECK(grown < 64 * 1024, "150 subscribes of 3 MiB: RSS grew by %ld KiB", grown);
#endif
    printf("  150 subscribes of 3 MiB URIs: RSS grew by %ld KiB\n", grown);
    json_t *r = subscribe_long(&c, s, 200, 4097, 0);
    CHECK(r && error_code(r) == -32602, "a 4097-byte URI is refused");
    json_decref(r);
    r = subscribe_long(&c, s, 201, 4096, 0);
    CHECK(r && json_object_get(r, "result"), "a 4096-byte URI is taken");
    json_decref(r);

    /* bytes together: 4000-byte URIs fit 65 times in 256 KiB, with the one above */
    int taken = 0;
    for (int i = 1; i <= 70; i++) {
        r = subscribe_long(&c, s, 300 + i, 4000, i);
        if (r && json_object_get(r, "result"))
            taken++;
        else if (i == taken + 1)
            CHECK(r && error_code(r) == -32602 && strstr(error_message(r), "together"),
                  "over the byte budget: %s", r ? error_message(r) : "no answer");
        json_decref(r);
    }
    CHECK(taken == 64, "%d URIs of 4000 bytes taken beside one of 4096 (want 64)", taken);
    /* unsubscribing makes room again */
    char *uri = malloc(4001);
    int prefix = snprintf(uri, 4001, "notes://1/");
    memset(uri + prefix, 'x', 4000 - (size_t)prefix);
    uri[4000] = 0;
    char *msg = malloc(4200);
    int n = snprintf(msg, 4200, "{\"jsonrpc\":\"2.0\",\"id\":400,\"method\":\"resources/"
                     "unsubscribe\",\"params\":{\"uri\":\"%s\"}}", uri);
    wc_mcp_session_receive(s, msg, (size_t)n, NULL);
    json_decref(response(&c, 400));
    free(msg);
    free(uri);
    r = subscribe_long(&c, s, 401, 4000, 70);
    CHECK(r && json_object_get(r, "result"), "room again after an unsubscribe: %s",
          r && !json_object_get(r, "result") ? error_message(r) : "");
    json_decref(r);

    /* early cancels: 32 kept, the oldest forgotten; long ids not kept */
    for (int i = 0; i < 40; i++)
        sendf(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
                 "\"params\":{\"requestId\":\"c%d\"}}", i);
    CHECK(s->nearly_cancels == 32, "%u early cancels kept", s->nearly_cancels);
    CHECK(s->nearly_cancels && strcmp(json_string_value(s->early_cancels[0]), "c8") == 0,
          "the oldest were forgotten");
    size_t long_len = 1u << 20;
    msg = malloc(long_len + 200);
    n = snprintf(msg, 200, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
                 "\"params\":{\"requestId\":\"");
    memset(msg + n, 'i', long_len);
    memcpy(msg + n + long_len, "\"}}", 3);
    for (int i = 0; i < 40; i++)
        wc_mcp_session_receive(s, msg, (size_t)n + long_len + 3, NULL);
    free(msg);
    size_t longest = 0;
    for (unsigned i = 0; i < s->nearly_cancels; i++)
        if (json_string_length(s->early_cancels[i]) > longest)
            longest = json_string_length(s->early_cancels[i]);
    CHECK(longest <= 256, "an early cancel of %zu bytes is kept (at most 256)", longest);
    CHECK(c.bad == 0, "%d bad messages", c.bad);
    wc_mcp_session_close(s);
    capture_free(&c);

    /* count: 1024 per session */
    capture_init(&c);
    s = wc_mcp_session_new(w->mcp, capture_send, &c);
    initialize(&c, s, NULL);
    taken = 0;
    for (int i = 0; i < 1025; i++) {
        char params[64];
        snprintf(params, sizeof params, "{\"uri\":\"n://%d\"}", i);
        r = result_of(&c, s, 1 + i, "resources/subscribe", params);
        taken += r != NULL;
        json_decref(r);
    }
    CHECK(taken == 1024, "%d subscriptions taken (want 1024)", taken);
    EXPECT_ERROR(&c, s, 2000, "resources/subscribe", "{\"uri\":\"n://x\"}", -32602,
                 "already has 1024");
    wc_mcp_session_close(s);
    capture_free(&c);
}

/* The receive modes: QUEUED runs a request on a worker and routes its
 * answer by the tag; BATCHED keeps requests until the batch is flushed,
 * which a message handled at once does first, so order holds. */
static void test_receive_modes(test_world *w)
{
    capture c;
    capture_init(&c);
    wc_mcp_session *s = wc_mcp_session_new(w->mcp, capture_send, &c);
    initialize(&c, s, NULL);
    static const char ping[] = "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"ping\"}";
    char text[128];

    wc_mcp_receive_options queued = {.mode = WC_MCP_RECEIVE_QUEUED, .tag = 9};
    int n = snprintf(text, sizeof text, ping, 30);
    wc_mcp_session_receive(s, text, (size_t)n, &queued);
    json_t *r = response(&c, 30);
    pthread_mutex_lock(&c.lock);
    unsigned long long tag = c.last_tag;
    pthread_mutex_unlock(&c.lock);
    CHECK(r && json_object_get(r, "result") && tag == 9, "queued ping: %s, tag %llu",
          r ? "answered" : "no answer", tag);
    json_decref(r);

    wc_mcp_receive_options batched = {.mode = WC_MCP_RECEIVE_BATCHED};
    for (int id = 31; id <= 32; id++) {
        n = snprintf(text, sizeof text, ping, id);
        wc_mcp_session_receive(s, text, (size_t)n, &batched);
    }
    long long id = 31;
    r = wait_match(&c, match_id, &id, 100);
    CHECK(!r, "a batched request ran before its batch was flushed");
    json_decref(r);
    wc_mcp_session_flush_batch(s);
    for (id = 31; id <= 32; id++) {
        r = response(&c, id);
        CHECK(r != NULL, "batched ping %lld after the flush: no answer", id);
        json_decref(r);
    }
    n = snprintf(text, sizeof text, ping, 33);
    wc_mcp_session_receive(s, text, (size_t)n, &batched);
    static const char note[] = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}";
    wc_mcp_session_receive(s, note, strlen(note), &batched); /* handled at once: flushes */
    r = response(&c, 33);
    CHECK(r != NULL, "a message handled at once did not flush the batch before it");
    json_decref(r);
    wc_mcp_session_close(s);
    capture_free(&c);
}

#define META_2026 "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"," \
                  "\"io.modelcontextprotocol/clientCapabilities\":{}}"

/* One stateless request on a fresh session (header version given); returns
 * the answer, with the HTTP status the core chose in *status. */
static json_t *stateless_call(test_world *w, const char *header, const char *method,
                              const char *params, int *status)
{
    capture c;
    capture_init(&c);
    wc_mcp_session *s = wc_mcp_session_new_stateless(w->mcp, capture_send, &c, header);
    char request[1024];
    int n = snprintf(request, sizeof request,
                     "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"%s\",\"params\":%s}", method,
                     params);
    wc_mcp_receive_options tagged = {.tag = 1}; /* as the HTTP transport does */
    wc_mcp_session_receive(s, request, (size_t)n, &tagged);
    long long id = 7;
    json_t *r = wait_match(&c, match_id, &id, 2000);
    wc_mcp_session_close(s);
    *status = c.last_status;
    capture_free(&c);
    return r;
}

/* Protocol revision 2026-07-28: _meta checks in their order with their
 * codes and HTTP statuses, removed methods, discover, and what every
 * result carries. */
static void test_stateless(test_world *w)
{
    int status;
    json_t *r = stateless_call(w, "2026-07-28", "server/discover", "{}", &status);
    CHECK(r && error_code(r) == -32602 && status == 400, "no _meta: %lld/%d",
          r ? error_code(r) : 0, status);
    json_decref(r);
    r = stateless_call(w, "2026-07-28", "server/discover",
                       "{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}",
                       &status);
    CHECK(r && error_code(r) == -32602 && strstr(error_message(r), "clientCapabilities"),
          "no capabilities");
    json_decref(r);
    r = stateless_call(w, "2026-07-28", "server/discover",
                       "{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"v9\","
                       "\"io.modelcontextprotocol/clientCapabilities\":{}}}",
                       &status);
    CHECK(r && error_code(r) == -32020 && status == 400, "header mismatch");
    json_decref(r);
    r = stateless_call(w, "v9", "server/discover",
                       "{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"v9\","
                       "\"io.modelcontextprotocol/clientCapabilities\":{}}}",
                       &status);
    json_t *data = r ? json_object_get(json_object_get(r, "error"), "data") : NULL;
    CHECK(r && error_code(r) == -32022 && status == 400 &&
              strcmp(json_string_value(json_object_get(data, "requested")), "v9") == 0 &&
              strcmp(json_string_value(json_array_get(json_object_get(data, "supported"), 0)),
                     "2026-07-28") == 0,
          "unsupported version");
    json_decref(r);
    static const char *const removed[] = {"initialize", "ping", "logging/setLevel",
                                          "resources/subscribe", "resources/unsubscribe",
                                          "no/such"};
    for (size_t i = 0; i < sizeof removed / sizeof removed[0]; i++) {
        r = stateless_call(w, "2026-07-28", removed[i], "{" META_2026 "}", &status);
        CHECK(r && error_code(r) == -32601 && status == 404, "%s: removed", removed[i]);
        json_decref(r);
    }
    r = stateless_call(w, "2026-07-28", "server/discover", "{" META_2026 "}", &status);
    json_t *result = r ? json_object_get(r, "result") : NULL;
    json_t *info = json_object_get(json_object_get(result, "_meta"),
                                   "io.modelcontextprotocol/serverInfo");
    CHECK(result && status == 0 &&
              strcmp(json_string_value(json_array_get(json_object_get(result,
                                                                      "supportedVersions"), 0)),
                     "2026-07-28") == 0 &&
              json_is_object(json_object_get(result, "capabilities")) &&
              strcmp(json_string_value(json_object_get(result, "resultType")), "complete") == 0 &&
              json_integer_value(json_object_get(result, "ttlMs")) == 0 &&
              strcmp(json_string_value(json_object_get(result, "cacheScope")), "public") == 0 &&
              strcmp(json_string_value(json_object_get(info, "name")), "test-server") == 0,
          "discover");
    json_t *caps = json_object_get(result, "capabilities");
    CHECK(json_is_true(json_object_get(json_object_get(caps, "tools"), "listChanged")) &&
              json_is_true(json_object_get(json_object_get(caps, "resources"), "subscribe")) &&
              json_is_object(json_object_get(caps, "prompts")) &&
              json_is_object(json_object_get(caps, "completions")) &&
              !json_object_get(caps, "logging"),
          "discover's capabilities: initialize's, less logging, which the revision lacks");
    json_decref(r);
    r = stateless_call(w, "2026-07-28", "tools/list", "{" META_2026 "}", &status);
    result = r ? json_object_get(r, "result") : NULL;
    CHECK(json_is_array(json_object_get(result, "tools")) &&
              json_object_get(result, "ttlMs") && json_object_get(result, "cacheScope") &&
              json_object_get(result, "resultType"),
          "tools/list carries resultType and cache hints");
    json_decref(r);
    r = stateless_call(w, "2026-07-28", "resources/read", "{\"uri\":\"x://none\"," META_2026 "}",
                       &status);
    data = r ? json_object_get(json_object_get(r, "error"), "data") : NULL;
    CHECK(r && error_code(r) == -32602 &&
              strcmp(json_string_value(json_object_get(data, "uri")), "x://none") == 0,
          "unknown resource: -32602 with data.uri");
    json_decref(r);
    /* a stateful session keeps the 2025 shapes */
    capture c;
    capture_init(&c);
    wc_mcp_session *s = wc_mcp_session_new(w->mcp, capture_send, &c);
    initialize(&c, s, NULL);
    r = result_of(&c, s, 2, "tools/list", "{}");
    CHECK(r && !json_object_get(r, "resultType") && !json_object_get(r, "ttlMs"),
          "stateful results are unchanged");
    json_decref(r);
    expect_error(&c, s, 3, "server/discover", "{}", -32601, NULL, __LINE__);
    wc_mcp_session_close(s);
    capture_free(&c);
}

/* Input-required rounds: a sealed requestState opens only unchanged, for
 * the request it was made for, under the key that made it; and what a
 * plugin may return as an input-required result. */
static void test_input_required(test_world *w)
{
    wc_mcp_server *s = w->mcp;
    char *sealed = wc_mcp_state_seal(s, "tools/call\nt", "round1:{\"a\":1}");
    CHECK(sealed && strncmp(sealed, "s1.", 3) == 0 && !strstr(sealed, "round1"),
          "sealed: %s", sealed ? sealed : "NULL");
    char *opened = sealed ? wc_mcp_state_open(s, "tools/call\nt", sealed) : NULL;
    CHECK(opened && strcmp(opened, "round1:{\"a\":1}") == 0, "round trip");
    free(opened);
    CHECK(!wc_mcp_state_open(s, "tools/call\nother", sealed), "another tool's state");
    CHECK(!wc_mcp_state_open(s, "prompts/get\nt", sealed), "another method's state");
    size_t n = strlen(sealed);
    char *tampered = malloc(n + 16);
    for (size_t i = 3; i < n; i++) { /* every character changed, one at a time */
        memcpy(tampered, sealed, n + 1);
        tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
        char *o = wc_mcp_state_open(s, "tools/call\nt", tampered);
        CHECK(!o, "changed at %zu: opened", i);
        free(o);
    }
    snprintf(tampered, n + 16, "%s-TAMPERED", sealed);
    CHECK(!wc_mcp_state_open(s, "tools/call\nt", tampered), "suffix");
    free(tampered);
    static const char *const garbage[] = {"", "s1.", "s1..", "x1.YQ.YQ", "s1.YQ", "s1.!!.!!"};
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++)
        CHECK(!wc_mcp_state_open(s, "tools/call\nt", garbage[i]), "garbage %zu", i);
    /* another server (another random key) cannot open it */
    wc_mcp_server *other = NULL;
    wc_error err;
    CHECK(wc_mcp_server_new(NULL, NULL, &other, &err) == 0, "second server");
    CHECK(!wc_mcp_state_open(other, "tools/call\nt", sealed), "another key");
    wc_mcp_server_free(other);
    /* a configured secret makes the same key on every server */
    wc_mcp_options o;
    wc_mcp_options_default(&o);
    o.state_secret = "shared-secret-of-a-cluster";
    wc_mcp_server *a = NULL, *b = NULL;
    wc_mcp_server_new(&o, NULL, &a, &err);
    wc_mcp_server_new(&o, NULL, &b, &err);
    char *shared = wc_mcp_state_seal(a, "x", "state");
    char *back = wc_mcp_state_open(b, "x", shared);
    CHECK(back && strcmp(back, "state") == 0, "shared secret");
    free(back);
    free(shared);
    wc_mcp_server_free(a);
    wc_mcp_server_free(b);
    free(sealed);

    static const struct {
        const char *json;
        int want;
    } shapes[] = {
        {"{\"content\":[]}", 0},
        {"{\"resultType\":\"complete\",\"content\":[]}", 0},
        {"{\"resultType\":\"input_required\",\"inputRequests\":{\"k\":{\"method\":"
         "\"elicitation/create\",\"params\":{}}}}", 1},
        {"{\"resultType\":\"input_required\",\"requestState\":\"s\"}", 1},
        {"{\"resultType\":\"input_required\",\"inputRequests\":{\"k\":{\"method\":"
         "\"roots/list\"}}}", 1},
        {"{\"resultType\":\"input_required\"}", WC_EINVAL},
        {"{\"resultType\":\"task\"}", WC_EINVAL},
        {"{\"resultType\":3}", WC_EINVAL},
        {"{\"resultType\":\"input_required\",\"requestState\":5}", WC_EINVAL},
        {"{\"resultType\":\"input_required\",\"inputRequests\":[]}", WC_EINVAL},
        {"{\"resultType\":\"input_required\",\"inputRequests\":{\"k\":{\"method\":"
         "\"tools/call\"}}}", WC_EINVAL},
        {"{\"resultType\":\"input_required\",\"inputRequests\":{\"k\":{\"method\":"
         "\"roots/list\",\"params\":[]}}}", WC_EINVAL},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        json_t *v = json_loads(shapes[i].json, 0, NULL);
        wc_error why = {0};
        int got = wc_input_required_check(v, &why);
        CHECK(got == shapes[i].want && (got >= 0 || (why.msg[0] && why.code == got)), "shape %zu: %d (%s)", i, got, why.msg);
        json_decref(v);
    }
}

/* subscriptions/listen: the acknowledgement first, then only what the
 * filter asked for, each tagged with the subscription id. */
static void test_listen(test_world *w)
{
    capture c;
    capture_init(&c);
    wc_mcp_session *s = wc_mcp_session_new_stateless(w->mcp, capture_send, &c, "2026-07-28");
    sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":\"L1\",\"method\":\"subscriptions/listen\","
             "\"params\":{\"notifications\":{\"promptsListChanged\":true,"
             "\"resourceSubscriptions\":[\"notes://9\"]}," META_2026 "}}");
    json_t *m = wait_match(&c, match_method, "notifications/subscriptions/acknowledged", 2000);
    json_t *p = m ? json_object_get(m, "params") : NULL;
    CHECK(p && json_is_true(json_object_get(json_object_get(p, "notifications"),
                                            "promptsListChanged")) &&
              !json_object_get(json_object_get(p, "notifications"), "toolsListChanged") &&
              strcmp(json_string_value(json_object_get(json_object_get(p, "_meta"),
                                                       "io.modelcontextprotocol/subscriptionId")),
                     "L1") == 0,
          "acknowledged with the honoured filter and the subscription id");
    json_decref(m);
    wc_mcp_server_list_changed(w->mcp, "tools");
    wc_mcp_server_list_changed(w->mcp, "prompts");
    wc_mcp_server_resource_updated(w->mcp, "notes://9");
    wc_mcp_server_resource_updated(w->mcp, "notes://other");
    m = wait_match(&c, match_method, "notifications/prompts/list_changed", 2000);
    CHECK(m && strcmp(json_string_value(json_object_get(
                          json_object_get(json_object_get(m, "params"), "_meta"),
                          "io.modelcontextprotocol/subscriptionId")),
                      "L1") == 0,
          "prompts list_changed tagged");
    json_decref(m);
    m = wait_match(&c, match_method, "notifications/resources/updated", 2000);
    CHECK(m && strcmp(json_string_value(json_object_get(json_object_get(m, "params"), "uri")),
                      "notes://9") == 0,
          "resources/updated for the subscribed URI");
    json_decref(m);
    CHECK(!wait_match(&c, match_method, "notifications/tools/list_changed", 100),
          "tools list_changed was not asked for");
    CHECK(!wait_match(&c, match_method, "notifications/resources/updated", 100),
          "nothing for notes://other");
    CHECK(capture_count(&c) == 0, "no answer to listen while it is open");
    wc_mcp_session_close(s);
    capture_free(&c);

    /* a listen's URIs are bounded as subscriptions are: 5000 bytes is too long */
    capture_init(&c);
    s = wc_mcp_session_new_stateless(w->mcp, capture_send, &c, "2026-07-28");
    char *msg = malloc(6000);
    int n = snprintf(msg, 6000, "{\"jsonrpc\":\"2.0\",\"id\":77,\"method\":\"subscriptions/listen\","
                     "\"params\":{\"notifications\":{\"resourceSubscriptions\":[\"n://");
    memset(msg + n, 'l', 5000);
    n += 5000;
    n += snprintf(msg + n, 6000 - (size_t)n, "\"]}," META_2026 "}}");
    wc_mcp_session_receive(s, msg, (size_t)n, NULL);
    free(msg);
    m = response(&c, 77);
    CHECK(m && error_code(m) == -32602 && strstr(error_message(m), "at most 4096"),
          "a listen with a 5000-byte URI: %s", m ? error_message(m) : "no answer");
    json_decref(m);
    wc_mcp_session_close(s);
    capture_free(&c);
}

/* The server->client request machinery on a hand-made job. */
typedef struct asker {
    mcp_job *job;
    wc_client_port client;
    const char *method;
    int rc;
    json_t *result;
    wc_error err;
} asker;

static void *ask(void *arg)
{
    asker *a = arg;
    json_t *params = json_pack("{s:[],s:i}", "messages", "maxTokens", 5);
    a->rc = a->client.request(a->client.ctx, a->method, params, 0, &a->result, &a->err);
    json_decref(params);
    return NULL;
}

static void start_ask(asker *a, wc_mcp_session *s, mcp_job *job, const char *method)
{
    memset(a, 0, sizeof *a);
    memset(job, 0, sizeof *job);
    job->session = s;
    job->call = NULL;
    a->job = job;
    a->method = method;
    pthread_mutex_lock(&s->lock);
    wc_mcp_job_client(job, &a->client);
    s->njobs++; /* as a real job: close waits for it */
    pthread_mutex_unlock(&s->lock);
    job->call = wc_call_new(&a->client, NULL);
}

static void end_ask(asker *a, wc_mcp_session *s)
{
    pthread_mutex_lock(&s->lock);
    s->njobs--;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    wc_call_free(a->job->call);
    json_decref(a->result);
}

static void test_outbound(test_world *w)
{
    capture c;
    capture_init(&c);
    wc_mcp_session *s = wc_mcp_session_new(w->mcp, capture_send, &c);
    initialize(&c, s, "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"sampling\":{}}}");
    mcp_job job;
    asker a;
    pthread_t t;

    /* not declared: refused without a message */
    start_ask(&a, s, &job, "elicitation/create");
    ask(&a);
    CHECK(a.rc == WC_ENOTSUP && strstr(a.err.msg, "elicitation"), "undeclared: %d %s", a.rc, a.err.msg);
    end_ask(&a, s);

    /* answered */
    start_ask(&a, s, &job, "sampling/createMessage");
    pthread_create(&t, NULL, ask, &a);
    json_t *req = wait_match(&c, match_method, "sampling/createMessage", 2000);
    CHECK(req && json_is_integer(json_object_get(req, "id")) &&
              json_object_get(json_object_get(req, "params"), "maxTokens"),
          "request not sent");
    long long id = req ? json_integer_value(json_object_get(req, "id")) : 0;
    sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":{\"role\":\"assistant\","
             "\"content\":{\"type\":\"text\",\"text\":\"hi\"},\"model\":\"m\"}}", id);
    pthread_join(t, NULL);
    CHECK(a.rc == 0 && json_is_string(json_object_get(a.result, "model")), "answer: %d %s",
          a.rc, a.err.msg);
    json_decref(req);
    end_ask(&a, s);

    /* the client's error */
    start_ask(&a, s, &job, "sampling/createMessage");
    pthread_create(&t, NULL, ask, &a);
    req = wait_match(&c, match_method, "sampling/createMessage", 2000);
    long long id2 = req ? json_integer_value(json_object_get(req, "id")) : 0;
    CHECK(id2 != id, "request ids repeat: %lld", id2);
    sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"error\":{\"code\":-1,\"message\":\"user said no\"}}",
          id2);
    pthread_join(t, NULL);
    CHECK(a.rc == WC_EIO && strstr(a.err.msg, "user said no"), "error answer: %d %s", a.rc, a.err.msg);
    json_decref(req);
    end_ask(&a, s);

    /* no answer: times out (300 ms here) and tells the client */
    start_ask(&a, s, &job, "sampling/createMessage");
    pthread_create(&t, NULL, ask, &a);
    pthread_join(t, NULL);
    CHECK(a.rc == WC_ETIMEDOUT && strstr(a.err.msg, "within"), "timeout: %d %s", a.rc, a.err.msg);
    json_t *cancel = wait_match(&c, match_method, "notifications/cancelled", 2000);
    CHECK(cancel && json_is_integer(json_object_get(json_object_get(cancel, "params"), "requestId")),
          "no notifications/cancelled after a timeout");
    json_decref(cancel);
    json_decref(wait_match(&c, match_method, "sampling/createMessage", 100));
    end_ask(&a, s);

    /* cancelled while waiting: wakes at once */
    start_ask(&a, s, &job, "sampling/createMessage");
    pthread_create(&t, NULL, ask, &a);
    json_decref(wait_match(&c, match_method, "sampling/createMessage", 2000));
    pthread_mutex_lock(&s->lock);
    wc_call_cancel(job.call);
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    pthread_join(t, NULL);
    CHECK(a.rc == WC_ECANCELED && strstr(a.err.msg, "cancelled"), "cancel: %d %s", a.rc, a.err.msg);
    end_ask(&a, s);

    /* a late answer to the cancelled request is dropped quietly */
    size_t before = capture_count(&c);
    sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":{}}", id);
    CHECK(capture_count(&c) == before, "a late answer was answered");
    wc_mcp_session_close(s);
    capture_free(&c);
}

/* --- a plugin: native ABI in WAT, one behaviour per first letter --- */

static char plugin_dir[256];

static const char *const results[] = {
    "{\"content\": [{\"type\":\"text\",\"text\":\"ok\"}] }",
    "{\"content\":[{\"type\":\"text\",\"text\":\"sampled\"}]}",
    "{\"content\":[{\"type\":\"text\",\"text\":\"refused\"}],\"isError\":true}",
    "{\"messages\":[],\"maxTokens\":5}",
    "half",
    "{\"content\":[\n{\"type\":\"text\",\"text\":\"nl\"}]}",
};
static const int offsets[] = {64, 256, 512, 768, 1024, 1280};

static void wat_string(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\n') {
            fputs("\\0a", f);
            continue;
        }
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
}

static int build_plugin(void)
{
    snprintf(plugin_dir, sizeof plugin_dir, "/tmp/wasmcap-test-mcp-XXXXXX");
    if (!mkdtemp(plugin_dir))
        return -1;
    char path[400];
    snprintf(path, sizeof path, "%s/t.wat", plugin_dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("(module\n"
          " (import \"wasmcap\" \"progress\" (func $progress (param f64 f64 i32 i32)))\n"
          " (import \"wasmcap\" \"sample\" (func $sample (param i32 i32) (result i32)))\n"
          " (memory (export \"memory\") 2)\n"
          " (global $heap (mut i32) (i32.const 4096))\n", f);
    for (int i = 0; i < 6; i++) {
        fprintf(f, " (data (i32.const %d) \"", offsets[i]);
        wat_string(f, results[i]);
        fputs("\")\n", f);
    }
#define LEN(i) (int)strlen(results[i])
    fprintf(f,
            " (func (export \"wasmcap_alloc\") (param $n i32) (result i32) (local $p i32)\n"
            "  global.get $heap local.set $p\n"
            "  global.get $heap local.get $n i32.add global.set $heap\n"
            "  local.get $p)\n"
            " (func $ret (param $p i32) (param $n i32) (result i64)\n"
            "  (i64.or (i64.shl (i64.extend_i32_u (local.get $p)) (i64.const 32))\n"
            "          (i64.extend_i32_u (local.get $n))))\n"
            " (func (export \"wasmcap_call_tool\") (param $name i32) (param $nl i32)\n"
            "       (param $a i32) (param $al i32) (result i64) (local $c i32)\n"
            "  (local.set $c (i32.load8_u (local.get $name)))\n"
            "  (if (i32.eq (local.get $c) (i32.const 115)) (then (loop $l (br $l))))\n"
            "  (if (i32.eq (local.get $c) (i32.const 110))\n"
            "   (then (return (call $ret (i32.const %d) (i32.const %d)))))\n"
            "  (if (i32.eq (local.get $c) (i32.const 112))\n"
            "   (then (call $progress (f64.const 1) (f64.const 2) (i32.const %d) (i32.const %d))))\n"
            "  (if (i32.eq (local.get $c) (i32.const 113))\n"
            "   (then (call $progress (f64.const 1) (f64.const 2) (i32.const 0) (i32.const 0))))\n"
            "  (if (i32.eq (local.get $c) (i32.const 113))\n"
            "   (then (if (i32.ge_s (call $sample (i32.const %d) (i32.const %d)) (i32.const 0))\n"
            "          (then (return (call $ret (i32.const %d) (i32.const %d))))\n"
            "          (else (return (call $ret (i32.const %d) (i32.const %d)))))))\n"
            "  (call $ret (i32.const %d) (i32.const %d)))\n"
            ")\n",
            offsets[5], LEN(5), offsets[4], LEN(4), offsets[3], LEN(3), offsets[1], LEN(1),
            offsets[2], LEN(2), offsets[0], LEN(0));
    fclose(f);
    snprintf(path, sizeof path, "%s/t.manifest.json", plugin_dir);
    f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("{\"name\":\"t\",\"version\":\"1.0.0\",\"tools\":["
          "{\"name\":\"a1\",\"title\":\"A one\"},{\"name\":\"nl\"},{\"name\":\"a3\"},"
          "{\"name\":\"aneeds\",\"inputSchema\":{\"type\":\"object\","
          "\"required\":[\"x\"],\"properties\":{\"x\":{\"type\":\"integer\"}}}},"
          "{\"name\":\"again\"},"
          "{\"name\":\"spin\"},{\"name\":\"prog\"},{\"name\":\"qsample\"}]}\n", f);
    fclose(f);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "wat2wasm -o '%s/t.wasm' '%s/t.wat'", plugin_dir, plugin_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void remove_plugin(void)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", plugin_dir);
    if (system(cmd) != 0)
        printf("cannot remove %s\n", plugin_dir);
}

static const char *text_of(json_t *result)
{
    json_t *block = json_array_get(json_object_get(result, "content"), 0);
    const char *t = json_string_value(json_object_get(block, "text"));
    return t ? t : "";
}

static void send_attempt(wc_mcp_session *s, unsigned budget_ms, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void send_attempt(wc_mcp_session *s, unsigned budget_ms, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    wc_mcp_receive_options attempt = {.tag = 1, .attempt_ms = budget_ms};
    wc_mcp_session_receive(s, buf, (size_t)n, &attempt);
}

static size_t count_method(capture *c, const char *method)
{
    pthread_mutex_lock(&c->lock);
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(c->msgs); i++)
        n += match_method(json_array_get(c->msgs, i), method);
    pthread_mutex_unlock(&c->lock);
    return n;
}

/* A call rerun on the pool after an aborted attempt, in a 2025-03-26
 * session: its answer is trimmed from the result's value, so the rerun
 * must keep the value too (it came back as an empty result). */
static void test_attempt_2025_03_26(test_world *w)
{
    capture c;
    capture_init(&c);
    wc_mcp_session *s = wc_mcp_session_new(w->mcp, capture_send, &c);
    initialize(&c, s, "{\"protocolVersion\":\"2025-03-26\",\"capabilities\":{\"sampling\":{}}}");
    send_attempt(s, 50, "{\"jsonrpc\":\"2.0\",\"id\":310,\"method\":\"tools/call\","
                        "\"params\":{\"name\":\"qsample\",\"arguments\":{}}}");
    json_t *req = wait_match(&c, match_method, "sampling/createMessage", 5000);
    CHECK(req != NULL, "the full run asked for sampling");
    if (req)
        sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":{\"role\":\"assistant\","
                 "\"content\":{\"type\":\"text\",\"text\":\"hi\"},\"model\":\"m\"}}",
              (long long)json_integer_value(json_object_get(req, "id")));
    json_decref(req);
    json_t *r = response(&c, 310);
    CHECK(r && strcmp(text_of(json_object_get(r, "result")), "sampled") == 0,
          "a 2025-03-26 answer after an aborted attempt: '%s'",
          r ? text_of(json_object_get(r, "result")) : "no answer");
    json_decref(r);
    wc_mcp_session_close(s);
    capture_free(&c);
}

/* Attempts (wc_mcp_receive_options.attempt_ms): a pure call answers before
 * the receive returns, its progress held and sent before the answer; a
 * call that needs the client, or more than the budget, runs again in full
 * on the pool, and what the aborted attempt sent is never seen. */
static void test_attempts(test_world *w)
{
    capture c;
    capture_init(&c);
    wc_mcp_session *s = wc_mcp_session_new(w->mcp, capture_send, &c);
    initialize(&c, s, "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"sampling\":{}}}");
    size_t before = capture_count(&c);
    send_attempt(s, 50, "{\"jsonrpc\":\"2.0\",\"id\":300,\"method\":\"tools/call\","
                        "\"params\":{\"name\":\"a1\",\"arguments\":{}}}");
    CHECK(capture_count(&c) == before + 1, "a pure call answered before the receive returned");
    json_t *r = response(&c, 300);
    CHECK(r && strcmp(text_of(json_object_get(r, "result")), "ok") == 0, "attempted a1");
    json_decref(r);

    send_attempt(s, 50, "{\"jsonrpc\":\"2.0\",\"id\":301,\"method\":\"tools/call\","
                        "\"params\":{\"name\":\"prog\",\"arguments\":{},"
                        "\"_meta\":{\"progressToken\":\"t1\"}}}");
    pthread_mutex_lock(&c.lock);
    size_t n = json_array_size(c.msgs);
    bool in_order = n >= 2 && match_method(json_array_get(c.msgs, n - 2), "notifications/progress") &&
                    json_integer_value(json_object_get(json_array_get(c.msgs, n - 1), "id")) == 301;
    pthread_mutex_unlock(&c.lock);
    CHECK(in_order, "held progress, then the answer, before the receive returned");
    CHECK(count_method(&c, "notifications/progress") == 1, "one progress notification");
    json_decref(wait_match(&c, match_method, "notifications/progress", 100));
    json_decref(response(&c, 301));

    /* the sampling request aborts the attempt: the full run asks the client */
    send_attempt(s, 50, "{\"jsonrpc\":\"2.0\",\"id\":302,\"method\":\"tools/call\","
                        "\"params\":{\"name\":\"qsample\",\"arguments\":{},"
                        "\"_meta\":{\"progressToken\":\"t2\"}}}");
    json_t *req = wait_match(&c, match_method, "sampling/createMessage", 5000);
    CHECK(req != NULL, "the full run asked for sampling");
    if (req)
        sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":{\"role\":\"assistant\","
                 "\"content\":{\"type\":\"text\",\"text\":\"hi\"},\"model\":\"m\"}}",
              (long long)json_integer_value(json_object_get(req, "id")));
    json_decref(req);
    r = response(&c, 302);
    CHECK(r && strcmp(text_of(json_object_get(r, "result")), "sampled") == 0,
          "qsample after an aborted attempt: %s", r ? error_message(r) : "no answer");
    json_decref(r);
    CHECK(count_method(&c, "notifications/progress") == 1,
          "only the full run's progress, not the aborted attempt's: %zu",
          count_method(&c, "notifications/progress"));
    json_decref(wait_match(&c, match_method, "notifications/progress", 100));

    /* past its budget: aborted, then running on the pool until cancelled */
    send_attempt(s, 5, "{\"jsonrpc\":\"2.0\",\"id\":303,\"method\":\"tools/call\","
                       "\"params\":{\"name\":\"spin\",\"arguments\":{}}}");
    usleep(100000);
    pthread_mutex_lock(&s->lock);
    size_t running = s->njobs;
    pthread_mutex_unlock(&s->lock);
    CHECK(running == 1, "spin goes on past the budget, on the pool (%zu running)", running);
    sendf(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
             "\"params\":{\"requestId\":303}}");
    long long spin = 303;
    r = wait_match(&c, match_id, &spin, 1000);
    CHECK(r == NULL, "a cancelled call was answered");
    json_decref(r);
    for (int i = 0; i < 50; i++) {
        pthread_mutex_lock(&s->lock);
        running = s->njobs;
        pthread_mutex_unlock(&s->lock);
        if (!running)
            break;
        usleep(20000);
    }
    CHECK(running == 0, "spin stopped after the cancel");

    /* A cancel that arrives before its request (still queued unparsed on a
     * stdio reader) is remembered: the request then gets no answer. */
    sendf(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
             "\"params\":{\"requestId\":304}}");
    sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":304,\"method\":\"tools/call\","
             "\"params\":{\"name\":\"a1\",\"arguments\":{}}}");
    long long early = 304;
    r = wait_match(&c, match_id, &early, 300);
    CHECK(r == NULL, "a request cancelled before it arrived was answered");
    json_decref(r);
    json_decref(result_of(&c, s, 305, "tools/call", "{\"name\":\"a1\",\"arguments\":{}}"));
    CHECK(c.bad == 0, "%d bad messages", c.bad);
    wc_mcp_session_close(s);
    capture_free(&c);
}

static bool match_array(json_t *m, const void *arg)
{
    return json_is_array(m);
}

/* The answer of request id in a batch's answer array, or NULL. */
static json_t *member_with_id(json_t *answers, long long id)
{
    size_t i;
    json_t *a;
    json_array_foreach(answers, i, a)
        if (json_integer_value(json_object_get(a, "id")) == id &&
            json_is_integer(json_object_get(a, "id")))
            return a;
    return NULL;
}

/* JSON-RPC batches: answered as one array in a 2025-03-26 session, refused
 * in the revisions that dropped them. */
static void test_batches(test_world *w)
{
    capture c;
    capture_init(&c);
    wc_mcp_session *s = wc_mcp_session_new(w->mcp, capture_send, &c);
    /* before initialize there is no revision with batches yet */
    sendf(s, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]");
    json_t *r = wait_match(&c, match_null_id, NULL, 2000);
    CHECK(r && error_code(r) == -32600, "a batch before initialize is refused");
    json_decref(r);
    initialize(&c, s,
               "{\"protocolVersion\":\"2025-03-26\",\"capabilities\":{},"
               "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}");
    char version[16];
    wc_mcp_session_version(s, version, sizeof version);
    CHECK(strcmp(version, "2025-03-26") == 0, "2025-03-26 negotiated, got %s", version);

    /* results as that revision has them: no title (a1 has one) */
    json_t *listed = result_of(&c, s, 7, "tools/list", "{}");
    size_t k;
    json_t *tool;
    bool titled = false;
    json_array_foreach(json_object_get(listed, "tools"), k, tool)
        titled |= json_object_get(tool, "title") != NULL;
    CHECK(listed && !titled, "tools/list of a 2025-03-26 session carries no title");
    json_decref(listed);

    /* requests (two of them plugin calls, answered off the reader), a
     * notification, an invalid element and an unknown method */
    sendf(s, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":"
             "\"a1\",\"arguments\":{}}},"
             "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{}},"
             "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"},"
             "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":"
             "\"aneeds\",\"arguments\":{\"x\":4}}},"
             "7,"
             "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"no/such\"},"
             "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"initialize\",\"params\":{}}]");
    json_t *answers = wait_match(&c, match_array, NULL, 5000);
    CHECK(json_array_size(answers) == 6, "6 answers in one array, got %zu",
          json_array_size(answers));
    json_t *a = member_with_id(answers, 1);
    CHECK(a && strcmp(text_of(json_object_get(a, "result")), "ok") == 0, "batch tools/call a1");
    a = member_with_id(answers, 3);
    CHECK(a && strcmp(text_of(json_object_get(a, "result")), "ok") == 0,
          "batch tools/call keeps its arguments");
    a = member_with_id(answers, 2);
    CHECK(a && json_is_object(json_object_get(a, "result")), "batch ping");
    a = member_with_id(answers, 4);
    CHECK(a && error_code(a) == -32601, "batch unknown method");
    a = member_with_id(answers, 5);
    CHECK(a && error_code(a) == -32600 && strstr(error_message(a), "batch"),
          "initialize in a batch");
    size_t i, nulls = 0;
    json_array_foreach(answers, i, a)
        nulls += json_is_null(json_object_get(a, "id")) && error_code(a) == -32600;
    CHECK(nulls == 1, "the element 7 gets an Invalid Request with id null");
    json_decref(answers);

    /* only notifications and responses: nothing is answered */
    size_t before = capture_count(&c);
    sendf(s, "[{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{}},"
             "{\"jsonrpc\":\"2.0\",\"id\":99,\"result\":{}}]");
    sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"ping\"}");
    r = response(&c, 6);
    CHECK(r && capture_count(&c) == before, "a batch of notifications gets no answer");
    json_decref(r);

    /* the empty array is one Invalid Request */
    sendf(s, "[]");
    r = wait_match(&c, match_null_id, NULL, 2000);
    CHECK(r && error_code(r) == -32600 && strstr(error_message(r), "empty"), "empty batch: %s",
          r ? error_message(r) : "no answer");
    json_decref(r);
    /* too many elements: one error for the batch, nothing of it runs */
    size_t big_len = (MCP_MAX_BATCH + 1) * 64 + 16, n = 0;
    char *big = malloc(big_len);
    n += (size_t)snprintf(big + n, big_len - n, "[");
    for (unsigned k = 0; k <= MCP_MAX_BATCH; k++)
        n += (size_t)snprintf(big + n, big_len - n, "%s{\"jsonrpc\":\"2.0\",\"id\":%u,"
                              "\"method\":\"ping\"}", k ? "," : "", 10000 + k);
    n += (size_t)snprintf(big + n, big_len - n, "]");
    wc_mcp_session_receive(s, big, n, NULL);
    free(big);
    r = wait_match(&c, match_null_id, NULL, 2000);
    CHECK(r && error_code(r) == -32600 && strstr(error_message(r), "at most"),
          "oversized batch: %s", r ? error_message(r) : "no answer");
    json_decref(r);
    CHECK(!wait_match(&c, match_array, NULL, 100), "no answers from an oversized batch");
    wc_mcp_session_close(s);

    /* 2025-06-18 and later keep refusing batches */
    s = wc_mcp_session_new(w->mcp, capture_send, &c);
    initialize(&c, s,
               "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
               "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}");
    sendf(s, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]");
    r = wait_match(&c, match_null_id, NULL, 2000);
    CHECK(r && error_code(r) == -32600 && strstr(error_message(r), "batches are not supported"),
          "a batch in 2025-06-18 is refused");
    json_decref(r);
    CHECK(!wait_match(&c, match_array, NULL, 100), "no array answer in 2025-06-18");
    wc_mcp_session_close(s);
    capture_free(&c);
}

static void test_plugin(test_world *w)
{
    capture c;
    capture_init(&c);
    wc_mcp_session *s = wc_mcp_session_new(w->mcp, capture_send, &c);
    initialize(&c, s, NULL);

    /* pagination: 6 tools, 2 a page */
    json_t *names = json_array();
    char params[256] = "{}";
    int pages = 0;
    for (long long id = 200; id < 210; id++) {
        json_t *r = result_of(&c, s, id, "tools/list", params);
        if (!r)
            break;
        pages++;
        json_t *tools = json_object_get(r, "tools");
        CHECK(json_array_size(tools) == 2, "page %d has %zu tools", pages, json_array_size(tools));
        size_t i;
        json_t *tool;
        json_array_foreach(tools, i, tool)
            json_array_append(names, json_object_get(tool, "name"));
        json_t *next = json_object_get(r, "nextCursor");
        if (!next) {
            json_decref(r);
            break;
        }
        CHECK(json_is_string(next), "nextCursor");
        snprintf(params, sizeof params, "{\"cursor\":\"%s\"}", json_string_value(next));
        json_decref(r);
    }
    CHECK(pages == 4 && json_array_size(names) == 8, "%d pages, %zu tools", pages,
          json_array_size(names));
    CHECK(strcmp(json_string_value(json_array_get(names, 7)), "qsample") == 0, "last tool %s",
          json_string_value(json_array_get(names, 7)));
    json_decref(names);
    EXPECT_ERROR(&c, s, 211, "tools/list", "{\"cursor\":\"wc1-1-8\"}", -32602, "cursor");
    EXPECT_ERROR(&c, s, 212, "tools/list", "{\"cursor\":\"wc1-1-0\"}", -32602, "cursor");
    EXPECT_ERROR(&c, s, 213, "tools/list", "{\"cursor\":\"wc1-1-2x\"}", -32602, "cursor");
    EXPECT_ERROR(&c, s, 214, "tools/list", "{\"cursor\":\"\"}", -32602, "cursor");

    /* a swap: list_changed x3, and the old cursor is refused */
    wc_mcp_server_swap(w->mcp, w->registry);
    const char *changed[] = {"notifications/tools/list_changed",
                             "notifications/resources/list_changed",
                             "notifications/prompts/list_changed"};
    for (int i = 0; i < 3; i++) {
        json_t *n = wait_match(&c, match_method, changed[i], 2000);
        CHECK(n != NULL, "no %s after a swap", changed[i]);
        json_decref(n);
    }
    EXPECT_ERROR(&c, s, 215, "tools/list", params, -32602, "reloaded");
    /* An open session's requests see each swap: to no plugins, and back. */
    for (int round = 0; round < 2; round++) {
        wc_mcp_server_swap(w->mcp, round == 0 ? NULL : w->registry);
        for (int i = 0; i < 3; i++)
            json_decref(wait_match(&c, match_method, changed[i], 2000));
        json_t *listed = result_of(&c, s, 216 + 2 * round, "tools/list", "{}");
        size_t n = json_array_size(json_object_get(listed, "tools"));
        CHECK(listed && (round == 0 ? n == 0 : n > 0), "swap %d: %zu tools listed", round, n);
        json_decref(listed);
        if (round == 0)
            EXPECT_ERROR(&c, s, 217, "tools/call", "{\"name\":\"a1\",\"arguments\":{}}",
                         -32602, "a1");
    }

    /* a call */
    int verbatim = c.verbatim;
    json_t *r = result_of(&c, s, 220, "tools/call", "{\"name\":\"a1\",\"arguments\":{}}");
    CHECK(r && strcmp(text_of(r), "ok") == 0 && !json_is_true(json_object_get(r, "isError")),
          "tools/call a1: %s", r ? text_of(r) : "no result");
    CHECK(c.verbatim == verbatim + 1, "the plugin's result passed on as it wrote it");
    json_decref(r);
    /* Received off the workers (wc_mcp_session_receive), a tool call keeps
     * its arguments: the fast parser leaves them as text the job copies. */
    capture direct;
    capture_init(&direct);
    wc_mcp_session *d = wc_mcp_session_new(w->mcp, capture_send, &direct);
    initialize(&direct, d, NULL);
    r = result_of(&direct, d, 7, "tools/call", "{\"name\":\"aneeds\",\"arguments\":{\"x\":4}}");
    CHECK(r && strcmp(text_of(r), "ok") == 0 && !json_is_true(json_object_get(r, "isError")),
          "arguments reach a job received off the workers: %s", r ? text_of(r) : "none");
    json_decref(r);
    wc_mcp_session_close(d);
    capture_free(&direct);

    /* no arguments; a result with a line break between its tokens is
     * written again, on one line (capture_send counts it bad otherwise) */
    int bad = c.bad;
    r = result_of(&c, s, 221, "tools/call", "{\"name\":\"nl\"}");
    CHECK(r && strcmp(text_of(r), "nl") == 0, "tools/call without arguments");
    CHECK(c.bad == bad, "an answer with a line break");
    json_decref(r);

    /* progress: the token comes back, before the answer */
    r = result_of(&c, s, 222, "tools/call",
                  "{\"name\":\"prog\",\"arguments\":{},\"_meta\":{\"progressToken\":\"tok\"}}");
    CHECK(r && strcmp(text_of(r), "ok") == 0, "prog");
    json_decref(r);
    json_t *n = wait_match(&c, match_method, "notifications/progress", 100);
    json_t *np = json_object_get(n, "params");
    CHECK(n && json_is_string(json_object_get(np, "progressToken")) &&
              strcmp(json_string_value(json_object_get(np, "progressToken")), "tok") == 0 &&
              json_number_value(json_object_get(np, "progress")) == 1 &&
              json_number_value(json_object_get(np, "total")) == 2 &&
              strcmp(json_string_value(json_object_get(np, "message")), "half") == 0,
          "notifications/progress");
    json_decref(n);
    r = result_of(&c, s, 223, "tools/call", "{\"name\":\"prog\",\"arguments\":{}}");
    json_decref(r);
    n = wait_match(&c, match_method, "notifications/progress", 100);
    CHECK(n == NULL, "progress without a token");
    json_decref(n);

    /* out of order, then cancelled: no answer for the cancelled call */
    sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":230,\"method\":\"tools/call\","
             "\"params\":{\"name\":\"spin\",\"arguments\":{}}}");
    r = result_of(&c, s, 231, "tools/call", "{\"name\":\"a3\",\"arguments\":{}}");
    CHECK(r && strcmp(text_of(r), "ok") == 0, "a call while another runs");
    json_decref(r);
    usleep(50000);
    sendf(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
             "\"params\":{\"requestId\":230,\"reason\":\"enough\"}}");
    long long spin_id = 230;
    r = wait_match(&c, match_id, &spin_id, 1500);
    CHECK(r == NULL, "a cancelled call was answered: %s", r ? error_message(r) : "");
    json_decref(r);
    pthread_mutex_lock(&s->lock);
    size_t running = s->njobs;
    pthread_mutex_unlock(&s->lock);
    CHECK(running == 0, "%zu calls still running after the cancel", running);

    /* sampling without the capability: the plugin hears "not supported" */
    r = result_of(&c, s, 240, "tools/call", "{\"name\":\"qsample\",\"arguments\":{}}");
    CHECK(r && strcmp(text_of(r), "refused") == 0 && json_is_true(json_object_get(r, "isError")),
          "qsample without sampling: %s", r ? text_of(r) : "no result");
    json_decref(r);
    CHECK(c.bad == 0, "%d bad messages", c.bad);
    wc_mcp_session_close(s);

    /* sampling with it: the request reaches the client and the answer the plugin */
    s = wc_mcp_session_new(w->mcp, capture_send, &c);
    initialize(&c, s, "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"sampling\":{}}}");
    sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":250,\"method\":\"tools/call\","
             "\"params\":{\"name\":\"qsample\",\"arguments\":{}}}");
    json_t *req = wait_match(&c, match_method, "sampling/createMessage", 5000);
    CHECK(req && json_integer_value(json_object_get(json_object_get(req, "params"), "maxTokens")) == 5,
          "sampling request");
    if (req)
        sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":{\"role\":\"assistant\","
                 "\"content\":{\"type\":\"text\",\"text\":\"hi\"},\"model\":\"m\"}}",
              (long long)json_integer_value(json_object_get(req, "id")));
    json_decref(req);
    r = response(&c, 250);
    json_t *res = json_object_get(r, "result");
    CHECK(res && strcmp(text_of(res), "sampled") == 0, "qsample answered: %s",
          res ? text_of(res) : error_message(r));
    json_decref(r);

    /* a call still waiting on the client when the session closes ends */
    sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":251,\"method\":\"tools/call\","
             "\"params\":{\"name\":\"qsample\",\"arguments\":{}}}");
    req = wait_match(&c, match_method, "sampling/createMessage", 5000);
    CHECK(req != NULL, "second sampling request");
    json_decref(req);
    wc_mcp_session_close(s); /* must not hang */
    r = response(&c, 251);
    res = json_object_get(r, "result");
    CHECK(res && strcmp(text_of(res), "refused") == 0, "the call ended at close: %s",
          res ? text_of(res) : "no answer");
    json_decref(r);
    capture_free(&c);
}

/* What the stdio reader sends to a worker unparsed, and what it keeps. */
static void test_peek(void)
{
    static const struct {
        const char *text;
        bool queued;
    } cases[] = {
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"x\"}}", true},
        {" { \"method\" : \"ping\" , \"id\" : \"a}\\\"b\" } ", true},
        {"{\"params\":{\"method\":\"x\",\"id\":[1,{\"}\":\"]\"}]},\"method\":\"tools/list\",\"id\":7}", true},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}", false},
        {"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":1}}", false},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"method\":\"x\"}}", false},
        {"{\"params\":{\"id\":1},\"method\":\"tools/call\"}", false},
        {"{\"m\\u0065thod\":\"x\",\"id\":1}", false},
        {"{\"method\":\"tools/call\",\"id\":1", false},
        {"[{\"method\":\"ping\",\"id\":1}]", false},
        {"{\"method\":5,\"id\":1}", false},
        {"", false},
        {"{\"method\":\"ping\",\"id\":1} trailing", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK(wc_rpc_peek_request(cases[i].text, strlen(cases[i].text)) == cases[i].queued,
              "peek %s", cases[i].text);
}

/* The bytes of params.arguments, located while parsing and handed to a
 * guest as the client sent them. */
static void test_arguments_text(void)
{
#define REQ(params) "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":" params "}"
    static const struct {
        const char *text, *args; /* NULL: none */
    } cases[] = {
        {REQ("{\"name\":\"t\",\"arguments\":{\"a\": [1, {\"b\":\"}\"}]}}"),
         "{\"a\": [1, {\"b\":\"}\"}]}"},
        {" { \"jsonrpc\":\"2.0\", \"params\" : { \"arguments\" : { } , \"name\":\"t\" } ,"
         "\"method\":\"tools/call\",\"id\":\"x\"} ", "{ }"},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"arguments\":{\"x\":1},"
         "\"params\":{\"name\":\"t\"}}", NULL},
        {REQ("{\"x\":{\"arguments\":{}}}"), NULL},
        {REQ("{\"arguments\":[1]}"), NULL},
        {REQ("{\"arguments\":\"{}\"}"), NULL},
        {REQ("{\"argum\\u0065nts\":{\"k\":[]}}"), "{\"k\":[]}"},
        {REQ("{\"a\":[[[[]]]],\"b\":{},\"c\":{},\"d\":{},\"e\":{},\"f\":{},\"g\":{},"
             "\"h\":{},\"i\":{},\"arguments\":{}}"), NULL}, /* more than 8 containers */
        {REQ("[]"), NULL},
        {"{\"jsonrpc\":\"2.0\",\"method\":\"n\",\"params\":{\"arguments\":{\"z\":0}}}",
         "{\"z\":0}"},
    };
#undef REQ
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wc_rpc_message m;
        wc_rpc_parse(cases[i].text, strlen(cases[i].text), &m);
        const char *start = m.arguments_text;
        size_t n = m.arguments_len;
        CHECK(cases[i].args ? start && n == strlen(cases[i].args) &&
                                  memcmp(start, cases[i].args, n) == 0
                            : !start,
              "arguments of %s: %.*s", cases[i].text, start ? (int)n : 0, start ? start : "");
        wc_rpc_message_free(&m);
    }
}

/* The id of a message seen in pieces (an oversized request). */
static void test_id_scan(void)
{
    static const struct {
        const char *text, *id; /* id as JSON text; NULL: none */
    } cases[] = {
        {"{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"x\"}", "7"},
        {"{\"method\":\"x\",\"params\":{\"id\":1,\"a\":[{\"id\":2}]},\"id\":\"r-1\"}", "\"r-1\""},
        {" { \"id\" : \"a\\\"}\" , \"method\":\"x\"}", "\"a\\\"}\""},
        {"{\"i\\u0064\":5,\"id\":6}", "6"},
        {"{\"id\":{\"x\":1},\"method\":\"x\"}", NULL},
        {"{\"id\":null}", NULL},
        {"{\"id\":true}", NULL},
        {"[{\"id\":1}]", NULL},
        {"{\"params\":{\"id\":1}}", NULL},
        {"{\"id\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"}", NULL},
        {"{\"id\":-1.5e3}", "-1500.0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (size_t piece = 1; piece <= 3; piece++) {
            wc_rpc_id_scan scan;
            wc_rpc_id_scan_init(&scan);
            const char *t = cases[i].text;
            size_t len = strlen(t);
            for (size_t at = 0; at < len; at += piece)
                wc_rpc_id_scan_feed(&scan, t + at, len - at < piece ? len - at : piece);
            json_t *id = wc_rpc_id_scan_result(&scan);
            json_t *want = cases[i].id ? json_loads(cases[i].id, JSON_DECODE_ANY, NULL) : NULL;
            CHECK(want ? id && json_equal(id, want) : !id, "id of %s in pieces of %zu", t, piece);
            json_decref(id);
            json_decref(want);
        }
    }
}

/* What revision 2025-03-26 lacks is trimmed from a copy of a result. */
static void test_revision_2025_03_26(void)
{
    json_t *call = json_loads("{\"content\":[{\"type\":\"resource_link\",\"uri\":\"note://1\","
                              "\"name\":\"n\"},{\"type\":\"text\",\"text\":\"t\"}],"
                              "\"structuredContent\":{\"a\":1},\"isError\":false}", 0, NULL);
    json_t *t = wc_mcp_revision_2025_03_26("tools/call", call);
    json_t *first = json_array_get(json_object_get(t, "content"), 0);
    CHECK(t && !json_object_get(t, "structuredContent") &&
              strcmp(json_string_value(json_object_get(first, "type")), "text") == 0 &&
              strcmp(json_string_value(json_object_get(first, "text")), "note://1") == 0 &&
              json_array_size(json_object_get(t, "content")) == 2,
          "tools/call: resource_link as text, no structuredContent");
    CHECK(json_object_get(call, "structuredContent") != NULL, "the original is left alone");
    json_decref(t);
    json_decref(call);
    call = json_loads("{\"content\":[],\"structuredContent\":{\"a\":1}}", 0, NULL);
    t = wc_mcp_revision_2025_03_26("tools/call", call);
    first = json_array_get(json_object_get(t, "content"), 0);
    CHECK(first && strcmp(json_string_value(json_object_get(first, "text")), "{\"a\":1}") == 0,
          "structured content alone becomes a text block");
    json_decref(t);
    json_decref(call);
    json_t *list = json_loads("{\"tools\":[{\"name\":\"x\",\"title\":\"X\",\"outputSchema\":{},"
                              "\"inputSchema\":{\"type\":\"object\"},\"annotations\":{\"title\":\"k\"}}]}",
                              0, NULL);
    t = wc_mcp_revision_2025_03_26("tools/list", list);
    json_t *tool = json_array_get(json_object_get(t, "tools"), 0);
    CHECK(tool && !json_object_get(tool, "title") && !json_object_get(tool, "outputSchema") &&
              json_object_get(tool, "inputSchema") && json_object_get(tool, "annotations"),
          "tools/list: title and outputSchema trimmed, the rest kept");
    json_decref(t);
    json_decref(list);
    json_t *prompts = json_loads("{\"prompts\":[{\"name\":\"p\",\"title\":\"P\",\"arguments\":"
                                 "[{\"name\":\"a\",\"title\":\"A\"}]}]}", 0, NULL);
    t = wc_mcp_revision_2025_03_26("prompts/list", prompts);
    json_t *prompt = json_array_get(json_object_get(t, "prompts"), 0);
    CHECK(prompt && !json_object_get(prompt, "title") &&
              !json_object_get(json_array_get(json_object_get(prompt, "arguments"), 0), "title"),
          "prompts/list: titles trimmed");
    json_decref(t);
    json_decref(prompts);
}

int main(void)
{
    wc_log_set_level(WC_LOG_WARNING);
    test_peek();
    test_id_scan();
    test_arguments_text();
    test_revision_2025_03_26();
    test_world w;
    if (world_open(&w, NULL, 100) != 0) {
        puts("FAIL: cannot build the no-plugin world");
        return 1;
    }
    test_jsonrpc_errors(&w);
    test_initialize(&w);
    test_methods_no_plugins(&w);
    test_subscriptions(&w);
    test_session_bounds(&w);
    test_receive_modes(&w);
    test_stateless(&w);
    test_listen(&w);
    test_input_required(&w);
    test_outbound(&w);
    test_world_close(&w);

    if (build_plugin() != 0) {
        puts("FAIL: cannot build the test plugin with wat2wasm");
        return 1;
    }
    char config[1200];
    snprintf(config, sizeof config,
             "{\"storage\":{\"cache_dir\":\"%s/cache\",\"kv_dir\":\"%s/kv\"},"
             "\"plugins\":{\"t\":{\"path\":\"%s/t.wasm\",\"prefix\":\"\","
             "\"permissions\":{\"sampling\":true,\"timeout_ms\":20000}}}}",
             plugin_dir, plugin_dir, plugin_dir);
    if (world_open(&w, config, 2) != 0) {
        puts("FAIL: cannot load the test plugin");
        remove_plugin();
        return 1;
    }
    test_plugin(&w);
    test_batches(&w);
    test_attempts(&w);
    test_attempt_2025_03_26(&w);
    test_world_close(&w);
    remove_plugin();
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    puts("test_mcp: all passed");
    return 0;
}
