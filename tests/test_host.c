/* test_host.c -- the host functions of module "wasmcap", driven by a real
 * guest (tests/host_guests/host_guest.wat, compiled with wat2wasm at test
 * time): every denial and its message, kv through the guest, the response
 * slot, config, log and progress notifications, http_fetch against a small
 * HTTP server on 127.0.0.1, sampling and elicitation through a fake client,
 * cancellation from another thread, and guests passing bad pointers. */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "engine/engine.h"
#include "host/client_port.h"
#include "host/http_fetch.h"
#include "host/wasmcap.h"
#include "store/kv.h"
#include "util/cancel_token.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/process.h"
#include "util/utf8.h"

#include "check.h"
#include "wat_guest.h"

static wc_engine *engine;
static wc_module *guest_module;
static wc_kv *store;
static char tmp_dir[512];

/* Guest memory layout used by the tests. */
enum { IN_A = 1024, IN_B = 8192, OUT = 65536, OUT_SIZE = 65536 };

/* ---- a fake client ----------------------------------------------------- */

typedef struct fake {
    json_t *notes;     /* [{"method", "params"}] */
    json_t *requests;  /* [{"method", "params", "timeout"}] */
    int answer;        /* what request returns: 0 or -1 */
    json_t *result;    /* copied into *result on success; NULL: echo the params */
    const char *error; /* message on failure */
    wc_cancel_token *cancel; /* if set, request cancels this call and fails */
} fake;

static void fake_notify(void *ctx, const char *method, json_t *params)
{
    fake *f = ctx;
    json_array_append_new(f->notes, json_pack("{s:s,s:o}", "method", method, "params", params));
}

static int fake_request(void *ctx, const char *method, json_t *params, int timeout_ms, json_t **result,
                        wc_error *err)
{
    fake *f = ctx;
    json_array_append_new(f->requests, json_pack("{s:s,s:O,s:i}", "method", method, "params", params,
                                                 "timeout", timeout_ms));
    if (f->cancel) {
        wc_cancel_token_cancel(f->cancel, WC_CANCEL_REQUESTED);
        return wc_error_set(err, WC_ECANCELED, "cancelled");
    }
    if (f->answer)
        return wc_error_set(err, WC_EIO, "%s", f->error ? f->error : "refused");
    *result = f->result ? json_deep_copy(f->result) : json_pack("{s:s,s:O}", "model", "fake", "echo", params);
    return 0;
}

static void fake_init(fake *f)
{
    memset(f, 0, sizeof *f);
    f->notes = json_array();
    f->requests = json_array();
}

static void fake_free(fake *f)
{
    json_decref(f->notes);
    json_decref(f->requests);
    json_decref(f->result);
}

/* ---- one call: permissions, host state, instance ------------------------ */

typedef struct harness {
    wc_permissions perms;
    fake client;
    wc_client_port cc;
    wc_cancel_token cancel;
    bool effect_free; /* an attempt: the first effect stops the call */
    wc_wasmcap_host host;
    wc_instance *inst;
} harness;

/* Creates the call and the instance; perms and the client hooks must be set. */
static bool start(harness *h)
{
    h->cc.ctx = &h->client;
    wc_wasmcap_host_init(&h->host, "notes", &h->perms, store, &h->cc, &h->cancel,
                         h->effect_free);
    const wc_import_binding *bindings;
    size_t n = wc_wasmcap_bindings(&bindings);
    wc_instance_config icfg = {.timeout_ms = 20000, .host_data = &h->host};
    wc_error err = {0};
    if (wc_instance_new(guest_module, &icfg, bindings, n, &h->inst, NULL, &err) != 0) {
        printf("FAIL: cannot instantiate the guest: %s\n", err.msg);
        failures++;
        return false;
    }
    return true;
}

static harness *new_harness(void)
{
    harness *h = calloc(1, sizeof *h);
    fake_init(&h->client);
    wc_cancel_token_init(&h->cancel);
    h->cc.notify = fake_notify;
    h->cc.request = fake_request;
    h->cc.min_log_level = 0;
    return h;
}

static void end(harness *h)
{
    wc_instance_free(h->inst);
    wc_wasmcap_host_destroy(&h->host);
    wc_cancel_token_destroy(&h->cancel);
    fake_free(&h->client);
    json_decref(h->perms.config);
    free(h);
}

static void poke(harness *h, uint32_t offset, const void *data, size_t len)
{
    uint8_t *mem = wc_memory_data(wc_instance_memory(h->inst));
    memcpy(mem + offset, data, len);
}

#define call(h, name, trap, ...) wat_guest_call((h)->inst, name, trap, __VA_ARGS__)

/* Writes `a` (and `b`, may be NULL) into guest memory and calls export fn
 * with (a, len a) or (a, len a, b, len b). */
static int32_t call_str(harness *h, const char *fn, const char *a)
{
    poke(h, IN_A, a, strlen(a));
    return call(h, fn, NULL, 2, IN_A, (uint32_t)strlen(a));
}

/* The whole response slot, read through the guest (static buffer). */
static const char *slot(harness *h)
{
    static char text[OUT_SIZE + 1];
    int32_t n = call(h, "read_response", NULL, 2, OUT, OUT_SIZE);
    if (n < 0 || n > OUT_SIZE)
        n = 0;
    memcpy(text, wc_memory_data(wc_instance_memory(h->inst)) + OUT, (size_t)n);
    text[n] = 0;
    return text;
}

static json_t *slot_json(harness *h)
{
    json_error_t jerr;
    json_t *v = json_loads(slot(h), 0, &jerr);
    CHECK(v != NULL, "slot is not JSON: %s (%s)", slot(h), jerr.text);
    return v;
}

/* ---- denials ------------------------------------------------------------- */

static void test_denials(void)
{
    /* Nothing granted. */
    harness *h = new_harness();
    if (!start(h))
        return end(h);
    int32_t rc = call_str(h, "kv_get", "k");
    CHECK(rc == WC_HOST_EDENIED, "kv_get: %d", rc);
    CHECK(strcmp(slot(h), "kv is not granted to plugin 'notes': set plugins.notes.permissions.kv_namespace "
                          "in wasmcap.json") == 0, "%s", slot(h));
    poke(h, IN_B, "v", 1);
    CHECK(call(h, "kv_put", NULL, 4, IN_A, 1, IN_B, 1) == WC_HOST_EDENIED, "kv_put");
    CHECK(call_str(h, "kv_delete", "k") == WC_HOST_EDENIED, "kv_delete");
    CHECK(call_str(h, "kv_list", "") == WC_HOST_EDENIED, "kv_list");
    CHECK(strstr(slot(h), "plugins.notes.permissions.kv_namespace"), "%s", slot(h));

    rc = call_str(h, "config_get", "greeting");
    CHECK(rc == WC_HOST_EDENIED, "config_get: %d", rc);
    CHECK(strcmp(slot(h), "config is not granted to plugin 'notes': set plugins.notes.permissions.config in "
                          "wasmcap.json") == 0, "%s", slot(h));

    rc = call_str(h, "http_fetch", "{\"url\":\"http://127.0.0.1:1/\"}");
    CHECK(rc == WC_HOST_EDENIED, "http_fetch: %d", rc);
    CHECK(strcmp(slot(h), "http is not granted to plugin 'notes': set plugins.notes.permissions.allowed_hosts "
                          "in wasmcap.json") == 0, "%s", slot(h));

    h->client.answer = 0;
    rc = call_str(h, "sample", "{\"messages\":[]}");
    CHECK(rc == WC_HOST_EDENIED, "sample: %d", rc);
    CHECK(strcmp(slot(h), "sampling is not granted to plugin 'notes': set plugins.notes.permissions.sampling "
                          "to true in wasmcap.json") == 0, "%s", slot(h));
    rc = call_str(h, "elicit", "{\"message\":\"?\"}");
    CHECK(rc == WC_HOST_EDENIED, "elicit: %d", rc);
    CHECK(strcmp(slot(h), "elicitation is not granted to plugin 'notes': set "
                          "plugins.notes.permissions.elicitation to true in wasmcap.json") == 0, "%s", slot(h));
    CHECK(json_array_size(h->client.requests) == 0, "a denied request reached the client");
    /* The instance goes on working after denials. */
    CHECK(call(h, "put_get", NULL, 0) == WC_HOST_EDENIED, "put_get still runs");
    end(h);

    /* Each grant on its own: the granted call works right after a denied one. */
    h = new_harness();
    h->perms.kv_namespace = "notes";
    if (!start(h))
        return end(h);
    CHECK(call_str(h, "config_get", "x") == WC_HOST_EDENIED, "config denied");
    CHECK(call(h, "put_get", NULL, 0) == 15, "kv works after a denial");
    end(h);

    h = new_harness();
    h->perms.config = json_pack("{s:s}", "greeting", "hi");
    if (!start(h))
        return end(h);
    CHECK(call_str(h, "kv_get", "greeting") == WC_HOST_EDENIED, "kv denied");
    CHECK(call_str(h, "config_get", "greeting") == 2 && strcmp(slot(h), "hi") == 0, "config after denial: %s",
          slot(h));
    end(h);
}

/* ---- kv and the response slot ---------------------------------------------- */

static void test_kv(void)
{
    harness *h = new_harness();
    h->perms.kv_namespace = "notes";
    if (!start(h))
        return end(h);
    /* A routine entirely in Wasm: put, get, read_response into 64. */
    CHECK(call(h, "put_get", NULL, 0) == 15, "put_get");
    CHECK(memcmp(wc_memory_data(wc_instance_memory(h->inst)) + 64, "hello from wasm", 15) == 0, "read back");

    CHECK(call_str(h, "kv_get", "greeting") == 15, "get");
    CHECK(strcmp(slot(h), "hello from wasm") == 0, "%s", slot(h));
    /* Partial copies: a short buffer gets the start, every time. */
    CHECK(call(h, "read_response", NULL, 2, OUT, 5) == 5 &&
              memcmp(wc_memory_data(wc_instance_memory(h->inst)) + OUT, "hello", 5) == 0, "5 bytes");
    CHECK(call(h, "read_response", NULL, 2, OUT, 0) == 0, "0 bytes");
    CHECK(call(h, "read_response", NULL, 2, OUT, 100) == 15, "whole");

    poke(h, IN_A, "a/1", 3);
    poke(h, IN_B, "one", 3);
    CHECK(call(h, "kv_put", NULL, 4, IN_A, 3, IN_B, 3) == 0, "put a/1");
    CHECK(call(h, "read_response", NULL, 2, OUT, 100) == 0, "put leaves an empty slot");
    poke(h, IN_A, "a/2", 3);
    CHECK(call(h, "kv_put", NULL, 4, IN_A, 3, IN_B, 0) == 0, "put a/2 (empty)");
    poke(h, IN_A, "a/\xff", 3);
    CHECK(call(h, "kv_put", NULL, 4, IN_A, 3, IN_B, 3) == 0, "put non-UTF-8 key");
    CHECK(call_str(h, "kv_list", "a/") > 0 && strcmp(slot(h), "[\"a/1\",\"a/2\"]") == 0, "%s", slot(h));
    CHECK(call_str(h, "kv_list", "") > 0 && strcmp(slot(h), "[\"a/1\",\"a/2\",\"greeting\"]") == 0, "%s",
          slot(h));
    CHECK(call_str(h, "kv_get", "a/2") == 0, "empty value");
    int32_t rc;
    /* The page says what kv_list leaves out: the key that is not UTF-8. */
    poke(h, IN_A, "a/", 2);
    CHECK(call(h, "kv_list_page", NULL, 4, IN_A, 2, IN_B, 0) > 0 &&
              strcmp(slot(h), "{\"keys\":[\"a/1\",\"a/2\"],\"skipped\":1}") == 0, "page: %s", slot(h));
    poke(h, IN_B, "!!", 2);
    rc = call(h, "kv_list_page", NULL, 4, IN_A, 2, IN_B, 2);
    CHECK(rc == WC_HOST_EINVAL && strstr(slot(h), "cursor"), "bad cursor: %d %s", rc, slot(h));
    /* a cursor continues after the key it names ("a/1" is YS8x) */
    poke(h, IN_B, "YS8x", 4);
    CHECK(call(h, "kv_list_page", NULL, 4, IN_A, 2, IN_B, 4) > 0 &&
              strcmp(slot(h), "{\"keys\":[\"a/2\"],\"skipped\":1}") == 0, "after a/1: %s", slot(h));

    CHECK(call_str(h, "kv_delete", "a/1") == 0, "delete");
    CHECK(call_str(h, "kv_delete", "a/1") == 0, "delete absent");
    rc = call_str(h, "kv_get", "a/1");
    CHECK(rc == WC_HOST_ENOTFOUND && strcmp(slot(h), "kv: no key 'a/1'") == 0, "%d %s", rc, slot(h));
    CHECK(call_str(h, "kv_list", "a/") > 0 && strcmp(slot(h), "[\"a/2\"]") == 0, "%s", slot(h));

    /* Limits reach the guest as ETOOLARGE with the numbers. */
    char key[WC_KV_MAX_KEY + 1];
    memset(key, 'k', sizeof key);
    poke(h, IN_A, key, sizeof key);
    rc = call(h, "kv_put", NULL, 4, IN_A, (uint32_t)sizeof key, IN_B, 1);
    CHECK(rc == WC_HOST_ETOOLARGE && strstr(slot(h), "the limit is 394"), "%d %s", rc, slot(h));
    rc = call(h, "kv_put", NULL, 4, IN_A, 1, 0, WC_KV_MAX_VALUE + 1);
    CHECK(rc == WC_HOST_ETOOLARGE && strstr(slot(h), "the limit is 1048576"), "%d %s", rc, slot(h));

    /* Another plugin's namespace sees none of it. */
    harness *o = new_harness();
    o->perms.kv_namespace = "other";
    if (start(o)) {
        CHECK(call_str(o, "kv_get", "greeting") == WC_HOST_ENOTFOUND, "isolated");
        CHECK(call_str(o, "kv_list", "") == 2 && strcmp(slot(o), "[]") == 0, "%s", slot(o));
    }
    end(o);
    end(h);

    /* Granted, but the server has no store. */
    h = new_harness();
    h->perms.kv_namespace = "notes";
    h->cc.ctx = &h->client;
    wc_wasmcap_host_init(&h->host, "notes", &h->perms, NULL, &h->cc, &h->cancel, false);
    const wc_import_binding *bindings;
    size_t n = wc_wasmcap_bindings(&bindings);
    wc_instance_config icfg = {.host_data = &h->host};
    wc_error err = {0};
    if (wc_instance_new(guest_module, &icfg, bindings, n, &h->inst, NULL, &err) == 0) {
        CHECK(call_str(h, "kv_get", "x") == WC_HOST_EFAILED && strstr(slot(h), "no key-value store"), "%s",
              slot(h));
    }
    end(h);
}

/* ---- config, log, progress --------------------------------------------------- */

static void test_config(void)
{
    harness *h = new_harness();
    h->perms.config = json_pack("{s:s,s:s,s:i}", "region", "eu-west", "empty", "", "number", 42);
    if (!start(h))
        return end(h);
    CHECK(call_str(h, "config_get", "region") == 7 && strcmp(slot(h), "eu-west") == 0, "%s", slot(h));
    CHECK(call_str(h, "config_get", "empty") == 0, "empty value");
    CHECK(call_str(h, "config_get", "number") == 2 && strcmp(slot(h), "42") == 0, "%s", slot(h));
    int32_t rc = call_str(h, "config_get", "missing");
    CHECK(rc == WC_HOST_ENOTFOUND &&
              strcmp(slot(h), "config key 'missing' is not set for plugin 'notes': set "
                              "plugins.notes.permissions.config.missing in wasmcap.json") == 0,
          "%d %s", rc, slot(h));
    /* Guest bytes in a message are made printable UTF-8. */
    poke(h, IN_A, "a\xff\0b", 4);
    rc = call(h, "config_get", NULL, 2, IN_A, 4);
    CHECK(rc == WC_HOST_ENOTFOUND && strstr(slot(h), "'a\xef\xbf\xbd?b'"), "%d %s", rc, slot(h));
    end(h);
}

static json_t *note(harness *h, size_t i)
{
    return json_array_get(h->client.notes, i);
}

static void test_log(void)
{
    harness *h = new_harness();
    h->cc.min_log_level = WC_LOG_WARNING;
    if (!start(h))
        return end(h);
    poke(h, IN_A, "quiet", 5);
    call(h, "log", NULL, 3, WC_LOG_INFO, IN_A, 5);
    CHECK(json_array_size(h->client.notes) == 0, "info below warning was sent");
    call(h, "log", NULL, 3, (uint32_t)-5, IN_A, 5); /* clamps to debug */
    CHECK(json_array_size(h->client.notes) == 0, "negative level was sent");

    const char *bad = "disk \xff\xfe almost full";
    poke(h, IN_A, bad, strlen(bad));
    call(h, "log", NULL, 3, WC_LOG_ERROR, IN_A, (uint32_t)strlen(bad));
    CHECK(json_array_size(h->client.notes) == 1, "error not sent");
    json_t *n = note(h, 0);
    CHECK(strcmp(json_string_value(json_object_get(n, "method")), "notifications/message") == 0, "method");
    json_t *p = json_object_get(n, "params");
    CHECK(strcmp(json_string_value(json_object_get(p, "level")), "error") == 0, "level");
    CHECK(strcmp(json_string_value(json_object_get(p, "logger")), "notes") == 0, "logger");
    const char *data = json_string_value(json_object_get(p, "data"));
    CHECK(data && strcmp(data, "disk \xef\xbf\xbd\xef\xbf\xbd almost full") == 0, "data %s", data);

    call(h, "log", NULL, 3, 1000, IN_A, 5); /* clamps to emergency */
    p = json_object_get(note(h, 1), "params");
    CHECK(p && strcmp(json_string_value(json_object_get(p, "level")), "emergency") == 0, "clamped high");

    /* A long message is capped, and cut on a character boundary. */
    size_t big = 70000;
    char *text = malloc(big);
    for (size_t i = 0; i < big; i += 2)
        memcpy(text + i, "\xc3\xa9", 2);
    poke(h, IN_B, text, big);
    free(text);
    call(h, "log", NULL, 3, WC_LOG_WARNING, IN_B, (uint32_t)big);
    p = json_object_get(note(h, 2), "params");
    data = json_string_value(json_object_get(p, "data"));
    CHECK(data && strlen(data) == 65536 + 3 && strcmp(data + 65536, "...") == 0, "long message: %zu",
          data ? strlen(data) : 0);
    CHECK(json_array_size(h->client.notes) == 3, "%zu notes", json_array_size(h->client.notes));
    end(h);

    /* min_log_level 8: nothing at all. */
    h = new_harness();
    h->cc.min_log_level = 8;
    if (!start(h))
        return end(h);
    poke(h, IN_A, "x", 1);
    call(h, "log", NULL, 3, WC_LOG_EMERGENCY, IN_A, 1);
    CHECK(json_array_size(h->client.notes) == 0, "level 8 still sent");
    end(h);
}

static void test_progress(void)
{
    harness *h = new_harness();
    if (!start(h))
        return end(h);
    poke(h, IN_A, "step", 4);
    wc_value args[4] = {{.f64 = 1}, {.f64 = 4}, {.i32 = IN_A}, {.i32 = 4}};
    wc_error err = {0};
    CHECK(wc_instance_call(h->inst, "progress", args, NULL, &err) == WC_TRAP_NONE, "progress");
    CHECK(json_array_size(h->client.notes) == 0, "progress without a token was sent");
    end(h);

    h = new_harness();
    json_t *token = json_string("tok-1");
    h->cc.progress_token = token;
    if (!start(h))
        return end(h);
    poke(h, IN_A, "step", 4);
    CHECK(wc_instance_call(h->inst, "progress", args, NULL, &err) == WC_TRAP_NONE, "progress");
    args[0].f64 = 2;
    args[1].f64 = 0;
    args[3].i32 = 0;
    CHECK(wc_instance_call(h->inst, "progress", args, NULL, &err) == WC_TRAP_NONE, "progress");
    CHECK(json_array_size(h->client.notes) == 2, "%zu notes", json_array_size(h->client.notes));
    json_t *p = json_object_get(note(h, 0), "params");
    CHECK(p && json_equal(json_object_get(p, "progressToken"), token), "token");
    CHECK(p && json_number_value(json_object_get(p, "progress")) == 1 &&
              json_number_value(json_object_get(p, "total")) == 4, "numbers");
    CHECK(p && strcmp(json_string_value(json_object_get(p, "message")), "step") == 0, "message");
    p = json_object_get(note(h, 1), "params");
    CHECK(p && !json_object_get(p, "total") && !json_object_get(p, "message"), "unknown total, no message");
    end(h);
    json_decref(token);
}

/* ---- sampling and elicitation ------------------------------------------------- */

/* An attempt's host functions: what only reads or reports goes on; the
 * first that would act stops the call, to be run again in full. */
static void test_effect_free(void)
{
    harness *h = new_harness();
    json_t *token = json_string("tok-2");
    h->cc.progress_token = token;
    h->effect_free = true;
    h->perms.config = json_pack("{s:s}", "k", "v");
    if (!start(h)) {
        json_decref(token);
        return end(h);
    }
    poke(h, IN_A, "k", 1);
    CHECK(call_str(h, "config_get", "k") == 1 && strcmp(slot(h), "v") == 0, "config_get: %s",
          slot(h));
    wc_value args[4] = {{.f64 = 1}, {.f64 = 2}, {.i32 = IN_A}, {.i32 = 0}};
    wc_error err = {0};
    CHECK(wc_instance_call(h->inst, "progress", args, NULL, &err) == WC_TRAP_NONE, "progress");
    CHECK(json_array_size(h->client.notes) == 1, "progress in an attempt: %zu notes",
          json_array_size(h->client.notes));
    CHECK(!wc_cancel_token_cancelled(&h->cancel), "stopped before any effect");
    wc_trap trap;
    call(h, "log", &trap, 3, WC_LOG_ERROR, IN_A, 1);
    CHECK(trap == WC_TRAP_INTERRUPTED, "log in an attempt: %s", wc_trap_name(trap));
    CHECK(json_array_size(h->client.notes) == 1, "the log went out");
    CHECK(wc_cancel_token_stopped_for(&h->cancel, WC_CANCEL_RETRY) &&
              !wc_cancel_token_stopped_for(&h->cancel, WC_CANCEL_REQUESTED),
          "an attempt's effect is a retry, not a cancel");
    call(h, "config_get", &trap, 2, IN_A, 1);
    CHECK(trap == WC_TRAP_INTERRUPTED, "after the stop: %s", wc_trap_name(trap));
    end(h);
    json_decref(token);
}

static void test_client_requests(void)
{
    harness *h = new_harness();
    h->perms.sampling = true;
    h->perms.elicitation = true;
    h->perms.timeout_ms = 1234;
    h->cc.can_sample = false;
    h->cc.can_elicit = false;
    if (!start(h))
        return end(h);
    int32_t rc = call_str(h, "sample", "{\"messages\":[]}");
    CHECK(rc == WC_HOST_ENOTSUP && strcmp(slot(h), "sample: the client did not declare the sampling capability, "
                                                   "so it cannot answer sampling/createMessage") == 0,
          "%d %s", rc, slot(h));
    rc = call_str(h, "elicit", "{}");
    CHECK(rc == WC_HOST_ENOTSUP && strstr(slot(h), "elicitation capability"), "%d %s", rc, slot(h));
    CHECK(json_array_size(h->client.requests) == 0, "unsupported request reached the client");
    end(h);

    /* Declared, but no request hook (no client at all). */
    h = new_harness();
    h->perms.sampling = true;
    h->cc.can_sample = true;
    h->cc.request = NULL;
    if (!start(h))
        return end(h);
    CHECK(call_str(h, "sample", "{}") == WC_HOST_ENOTSUP, "no request hook");
    end(h);

    h = new_harness();
    h->perms.sampling = true;
    h->perms.elicitation = true;
    h->perms.timeout_ms = 1234;
    h->perms.max_output_bytes = 300;
    h->cc.can_sample = true;
    h->cc.can_elicit = true;
    if (!start(h))
        return end(h);
    const char *req = "{\"messages\":[{\"role\":\"user\",\"content\":{\"type\":\"text\",\"text\":\"hi\"}}],"
                      "\"maxTokens\":10}";
    rc = call_str(h, "sample", req);
    CHECK(rc > 0, "sample: %d %s", rc, slot(h));
    json_t *got = slot_json(h), *want_params = json_loads(req, 0, NULL);
    CHECK(got && strcmp(json_string_value(json_object_get(got, "model")), "fake") == 0 &&
              json_equal(json_object_get(got, "echo"), want_params), "result %s", slot(h));
    json_decref(got);
    json_t *r0 = json_array_get(h->client.requests, 0);
    CHECK(r0 && strcmp(json_string_value(json_object_get(r0, "method")), "sampling/createMessage") == 0 &&
              json_integer_value(json_object_get(r0, "timeout")) == 1234 &&
              json_equal(json_object_get(r0, "params"), want_params), "request seen by the client");
    json_decref(want_params);

    h->client.result = json_pack("{s:s,s:{s:s}}", "action", "accept", "content", "name", "Ada");
    rc = call_str(h, "elicit", "{\"message\":\"Your name?\",\"requestedSchema\":{\"type\":\"object\"}}");
    CHECK(rc > 0 && strcmp(slot(h), "{\"action\":\"accept\",\"content\":{\"name\":\"Ada\"}}") == 0, "%d %s", rc,
          slot(h));
    json_t *r1 = json_array_get(h->client.requests, 1);
    CHECK(r1 && strcmp(json_string_value(json_object_get(r1, "method")), "elicitation/create") == 0, "method");

    /* Not an object, not JSON. */
    rc = call_str(h, "sample", "[1,2]");
    CHECK(rc == WC_HOST_EINVAL && strstr(slot(h), "must be a JSON object"), "%d %s", rc, slot(h));
    rc = call_str(h, "elicit", "{oops");
    CHECK(rc == WC_HOST_EINVAL && strstr(slot(h), "must be a JSON object"), "%d %s", rc, slot(h));
    CHECK(json_array_size(h->client.requests) == 2, "invalid request reached the client");

    /* The client refuses. */
    h->client.answer = -1;
    h->client.error = "the user declined";
    rc = call_str(h, "sample", "{}");
    CHECK(rc == WC_HOST_EFAILED && strstr(slot(h), "the user declined"), "%d %s", rc, slot(h));
    h->client.answer = 0;

    /* An answer over max_output_bytes. */
    json_decref(h->client.result);
    char big[400];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    h->client.result = json_pack("{s:s}", "text", big);
    rc = call_str(h, "sample", "{}");
    CHECK(rc == WC_HOST_ETOOLARGE && strstr(slot(h), "plugins.notes.permissions.max_output_bytes"), "%d %s", rc,
          slot(h));

    /* Cancelled while waiting for the client: ECANCELLED, then the next
     * host call stops the guest. */
    h->client.cancel = &h->cancel;
    rc = call_str(h, "sample", "{}");
    char *msg = wc_buf_cstr(&h->host.response); /* read_response would stop the guest now */
    CHECK(rc == WC_HOST_ECANCELLED && msg && strcmp(msg, "sample: the call was cancelled") == 0, "%d %s", rc, msg);
    wc_trap trap;
    poke(h, IN_A, "k", 1);
    call(h, "config_get", &trap, 2, IN_A, 1);
    CHECK(trap == WC_TRAP_INTERRUPTED, "after cancel: %s", wc_trap_name(trap));
    end(h);
}

/* ---- cancellation and bad pointers -------------------------------------------- */

typedef struct canceller {
    wc_cancel_token *cancel;
    int delay_ms;
} canceller;

static void *cancel_later(void *arg)
{
    canceller *c = arg;
    struct timespec ts = {.tv_sec = c->delay_ms / 1000, .tv_nsec = (long)(c->delay_ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
    wc_cancel_token_cancel(c->cancel, WC_CANCEL_REQUESTED);
    return NULL;
}

static void interrupt_instance(void *inst)
{
    wc_instance_interrupt(inst);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The CPU time of this process (the server thread's and the fetch's). */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_cancel(void)
{
    /* attach = 0: only the host functions see the cancellation;
     * attach = 1: as the plugin layer runs it, the engine is interrupted too. */
    for (int attach = 0; attach < 2; attach++) {
        harness *h = new_harness();
        h->perms.config = json_pack("{s:s}", "k", "v");
        if (!start(h)) {
            end(h);
            continue;
        }
        if (attach)
            wc_cancel_token_on_interrupt(&h->cancel, interrupt_instance, h->inst);
        poke(h, IN_A, "k", 1);
        canceller c = {.cancel = &h->cancel, .delay_ms = 100};
        pthread_t th;
        pthread_create(&th, NULL, cancel_later, &c);
        double t0 = now_s();
        wc_trap trap;
        call(h, "spin", &trap, 2, IN_A, 1);
        double elapsed = now_s() - t0;
        pthread_join(th, NULL);
        if (attach)
            wc_cancel_token_on_interrupt(&h->cancel, NULL, NULL);
        CHECK(trap == WC_TRAP_INTERRUPTED, "attach %d: %s (%s)", attach, wc_trap_name(trap),
              wc_instance_trap_message(h->inst));
        CHECK(elapsed >= 0.09 && elapsed < 5, "attach %d: stopped after %.3f s", attach, elapsed);
        end(h);
    }
}

static void test_bad_pointers(void)
{
    harness *h = new_harness();
    h->perms.kv_namespace = "notes";
    if (!start(h))
        return end(h);
    uint32_t mem_size = (uint32_t)wc_memory_size(wc_instance_memory(h->inst));
    wc_trap trap;
    call(h, "kv_get", &trap, 2, 0xFFFFFF00u, 1000);
    CHECK(trap == WC_TRAP_HOST, "kv_get: %s", wc_trap_name(trap));
    CHECK(strcmp(wc_instance_trap_message(h->inst),
                 "wasmcap.kv_get: key (offset 4294967040, 1000 bytes) is outside the guest's memory") == 0,
          "%s", wc_instance_trap_message(h->inst));
    /* A range that starts inside and ends outside. */
    call(h, "kv_put", &trap, 4, IN_A, 1, mem_size - 10, 11);
    CHECK(trap == WC_TRAP_HOST && strstr(wc_instance_trap_message(h->inst), "wasmcap.kv_put: value"), "%s",
          wc_instance_trap_message(h->inst));
    call(h, "read_response", &trap, 2, mem_size - 4, 8);
    CHECK(trap == WC_TRAP_HOST && strstr(wc_instance_trap_message(h->inst), "wasmcap.read_response"), "%s",
          wc_instance_trap_message(h->inst));
    call(h, "log", &trap, 3, 1, 0, mem_size + 1);
    CHECK(trap == WC_TRAP_HOST && strstr(wc_instance_trap_message(h->inst), "wasmcap.log: message"), "%s",
          wc_instance_trap_message(h->inst));
    call(h, "http_fetch", &trap, 2, 0x7FFFFFFF, 2);
    CHECK(trap == WC_TRAP_HOST, "http_fetch: %s", wc_trap_name(trap));
    call(h, "sample", &trap, 2, mem_size, 1);
    CHECK(trap == WC_TRAP_HOST, "sample: %s", wc_trap_name(trap));
    /* An empty range at the very end is fine. */
    CHECK(call(h, "read_response", NULL, 2, mem_size, 0) == 0, "empty read at the end");
    /* The instance still works (the engine keeps it usable after a trap). */
    CHECK(call(h, "put_get", NULL, 0) == 15, "after traps");
    end(h);
}

/* ---- an HTTP server on 127.0.0.1 ------------------------------------------------- */

static struct {
    int fd;
    int port;
    int fd2, port2; /* another port of the same host, for cross-origin redirects */
    atomic_bool stop;
    atomic_int connections;
    pthread_mutex_t lock;
    char log[4096]; /* "METHOD PATH\n" per request */
    pthread_t thread;
} server;

static void send_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

static void respond(int fd, int status, const char *extra_headers, const char *body, size_t body_len)
{
    char head[1024];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n", status, body_len,
                     extra_headers);
    send_all(fd, head, (size_t)n);
    send_all(fd, body, body_len);
}

static void serve_one(int fd)
{
    char req[8192] = "";
    size_t len = 0;
    char *end = NULL;
    while (len < sizeof req - 1 && !(end = strstr(req, "\r\n\r\n"))) {
        ssize_t n = recv(fd, req + len, sizeof req - 1 - len, 0);
        if (n <= 0)
            return;
        len += (size_t)n;
        req[len] = 0;
    }
    if (!end)
        return;
    size_t header_len = (size_t)(end + 4 - req);
    size_t content_length = 0;
    const char *cl = strcasestr(req, "\r\ncontent-length:");
    if (cl && cl < end)
        content_length = strtoul(cl + 17, NULL, 10);
    while (len < header_len + content_length && len < sizeof req - 1) {
        ssize_t n = recv(fd, req + len, sizeof req - 1 - len, 0);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    req[len] = 0;
    char method[16] = "", path[256] = "";
    sscanf(req, "%15s %255s", method, path);
    pthread_mutex_lock(&server.lock);
    size_t used = strlen(server.log);
    snprintf(server.log + used, sizeof server.log - used, "%s %s\n", method, path);
    pthread_mutex_unlock(&server.lock);

    char headers[512];
    if (strcmp(path, "/hello") == 0) {
        respond(fd, 200, "Content-Type: text/plain\r\nX-Test: yes\r\nX-Multi: a\r\nX-Multi: b\r\n", "hello world", 11);
    } else if (strcmp(path, "/echo") == 0) {
        char body[4096];
        const char *custom = strcasestr(req, "\r\nx-custom: ");
        const char *auth = strcasestr(req, "\r\nauthorization: ");
        const char *cookie = strcasestr(req, "\r\ncookie: ");
        const char *proxy_auth = strcasestr(req, "\r\nproxy-authorization: ");
        int n = snprintf(body, sizeof body, "%s %.*s %.*s%s%s%s", method, (int)content_length, req + header_len,
                         custom ? (int)strcspn(custom + 12, "\r") : 0, custom ? custom + 12 : "",
                         auth ? " +auth" : "", cookie ? " +cookie" : "", proxy_auth ? " +proxy-auth" : "");
        respond(fd, 201, "", body, (size_t)n);
    } else if (strcmp(path, "/redirect") == 0) {
        respond(fd, 302, "Location: /hello\r\n", "", 0);
    } else if (strcmp(path, "/redirect-abs") == 0) {
        snprintf(headers, sizeof headers, "Location: http://127.0.0.1:%d/echo\r\n", server.port);
        respond(fd, 307, headers, "", 0);
    } else if (strcmp(path, "/redirect-port") == 0) {
        snprintf(headers, sizeof headers, "Location: http://127.0.0.1:%d/echo\r\n", server.port2);
        respond(fd, 307, headers, "", 0);
    } else if (strcmp(path, "/redirect-back") == 0) {
        /* to the other port, which sends the request back here */
        snprintf(headers, sizeof headers, "Location: http://127.0.0.1:%d/redirect-abs\r\n", server.port2);
        respond(fd, 307, headers, "", 0);
    } else if (strcmp(path, "/many-headers") == 0 || strncmp(path, "/headers/", 9) == 0) {
        /* 30,000 repeats of one header, or /headers/N: N of them (at most
         * 30,000, within libcurl's 300 KB for a response's headers) */
        int repeats = path[1] == 'm' ? 30000 : atoi(path + 9);
        repeats = repeats < 0 ? 0 : repeats > 30000 ? 30000 : repeats;
        const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n";
        send_all(fd, head, strlen(head));
        static char lines[30000 * 8];
        for (int i = 0; i < repeats; i++)
            memcpy(lines + i * 8, "X-D: v\r\n", 8);
        send_all(fd, lines, (size_t)repeats * 8);
        send_all(fd, "\r\nok", 4);
    } else if (strcmp(path, "/redirect-denied") == 0) {
        snprintf(headers, sizeof headers, "Location: http://localhost:%d/hello\r\n", server.port);
        respond(fd, 302, headers, "", 0);
    } else if (strcmp(path, "/redirect-file") == 0) {
        respond(fd, 302, "Location: file:///etc/passwd\r\n", "", 0);
    } else if (strcmp(path, "/see-other") == 0) {
        respond(fd, 303, "Location: /echo\r\n", "", 0);
    } else if (strcmp(path, "/loop") == 0) {
        respond(fd, 302, "Location: /loop\r\n", "", 0);
    } else if (strcmp(path, "/big") == 0) {
        static char big[5000];
        memset(big, 'b', sizeof big);
        respond(fd, 200, "", big, sizeof big);
    } else if (strcmp(path, "/big-chunked") == 0) {
        /* No Content-Length: only the running count can stop it. */
        const char *head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        send_all(fd, head, strlen(head));
        char chunk[1100];
        memset(chunk, 'c', sizeof chunk);
        for (int i = 0; i < 10; i++) {
            send_all(fd, "3e8\r\n", 5);
            send_all(fd, chunk, 1000);
            send_all(fd, "\r\n", 2);
        }
        send_all(fd, "0\r\n\r\n", 5);
    } else if (strcmp(path, "/slow") == 0) {
        /* Answers after 5 s, or never if the test stops first. */
        for (int i = 0; i < 250 && !atomic_load(&server.stop); i++) {
            struct timespec ts = {.tv_nsec = 20000000};
            nanosleep(&ts, NULL);
        }
        respond(fd, 200, "", "late", 4);
    } else if (strcmp(path, "/binary") == 0) {
        respond(fd, 200, "", "\x00\xff\x01 bin", 8);
    } else {
        respond(fd, 404, "", "not found", 9);
    }
}

static void *server_main(void *arg)
{
    while (!atomic_load(&server.stop)) {
        struct pollfd p[2] = {{.fd = server.fd, .events = POLLIN}, {.fd = server.fd2, .events = POLLIN}};
        if (poll(p, 2, 50) <= 0)
            continue;
        int c = accept(p[0].revents ? server.fd : server.fd2, NULL, NULL);
        if (c < 0)
            continue;
        atomic_fetch_add(&server.connections, 1);
        serve_one(c);
        shutdown(c, SHUT_WR);
        char drain[256];
        struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        while (recv(c, drain, sizeof drain, 0) > 0) {
        }
        close(c);
    }
    return NULL;
}

static bool server_start(void)
{
    pthread_mutex_init(&server.lock, NULL);
    server.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof addr;
    if (server.fd < 0 || bind(server.fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(server.fd, 16) != 0 || getsockname(server.fd, (struct sockaddr *)&addr, &alen) != 0) {
        printf("FAIL: cannot start the HTTP server: %s\n", strerror(errno));
        failures++;
        return false;
    }
    server.port = ntohs(addr.sin_port);
    server.fd2 = socket(AF_INET, SOCK_STREAM, 0);
    addr.sin_port = 0;
    alen = sizeof addr;
    if (server.fd2 < 0 || bind(server.fd2, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(server.fd2, 16) != 0 || getsockname(server.fd2, (struct sockaddr *)&addr, &alen) != 0) {
        printf("FAIL: cannot start the HTTP server's second port: %s\n", strerror(errno));
        failures++;
        return false;
    }
    server.port2 = ntohs(addr.sin_port);
    pthread_create(&server.thread, NULL, server_main, NULL);
    return true;
}

static void server_stop(void)
{
    atomic_store(&server.stop, true);
    pthread_join(server.thread, NULL);
    close(server.fd);
    close(server.fd2);
    pthread_mutex_destroy(&server.lock);
}

static void server_log(char *out, size_t size)
{
    pthread_mutex_lock(&server.lock);
    snprintf(out, size, "%s", server.log);
    server.log[0] = 0;
    pthread_mutex_unlock(&server.lock);
}

static int32_t fetch(harness *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int32_t fetch(harness *h, const char *fmt, ...)
{
    char req[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(req, sizeof req, fmt, ap);
    va_end(ap);
    return call_str(h, "http_fetch", req);
}

static void test_http(void)
{
    if (!server_start())
        return;
    int port = server.port;
    char log[4096], want[512];
    char *hosts[] = {"127.0.0.1", "*.example.org"};
    harness *h = new_harness();
    h->perms.allowed_hosts = hosts;
    h->perms.n_allowed_hosts = 2;
    h->perms.max_output_bytes = 4000;
    if (!start(h))
        return end(h), server_stop();
    int before;

    int32_t rc = fetch(h, "{\"url\":\"http://127.0.0.1:%d/hello\"}", port);
    CHECK(rc > 0, "hello: %d %s", rc, slot(h));
    json_t *r = slot_json(h);
    CHECK(json_integer_value(json_object_get(r, "status")) == 200, "status");
    CHECK(strcmp(json_string_value(json_object_get(r, "body")) ?: "", "hello world") == 0, "body %s", slot(h));
    json_t *hd = json_object_get(r, "headers");
    CHECK(strcmp(json_string_value(json_object_get(hd, "x-test")) ?: "", "yes") == 0, "x-test: %s", slot(h));
    CHECK(strcmp(json_string_value(json_object_get(hd, "content-type")) ?: "", "text/plain") == 0, "type");
    CHECK(strcmp(json_string_value(json_object_get(hd, "x-multi")) ?: "", "a, b") == 0, "x-multi %s", slot(h));
    json_decref(r);
    server_log(log, sizeof log);
    CHECK(strcmp(log, "GET /hello\n") == 0, "%s", log);

    /* Method, headers, body. */
    rc = fetch(h, "{\"method\":\"PUT\",\"url\":\"http://127.0.0.1:%d/echo\",\"headers\":{\"X-Custom\":\"abc\"},"
                  "\"body\":\"payload\"}", port);
    r = slot_json(h);
    CHECK(rc > 0 && json_integer_value(json_object_get(r, "status")) == 201 &&
              strcmp(json_string_value(json_object_get(r, "body")) ?: "", "PUT payload abc") == 0, "echo: %s",
          slot(h));
    json_decref(r);
    /* Binary both ways: body_base64 in, and a body that is not UTF-8 out. */
    rc = fetch(h, "{\"method\":\"POST\",\"url\":\"http://127.0.0.1:%d/echo\",\"body_base64\":\"3q2+7w==\"}", port);
    r = slot_json(h);
    const char *echoed = json_string_value(json_object_get(r, "body_base64"));
    unsigned char raw[64] = {0};
    CHECK(rc > 0 && echoed && !json_object_get(r, "body") &&
              EVP_DecodeBlock(raw, (const unsigned char *)echoed, (int)strlen(echoed)) >= 10 &&
              memcmp(raw, "POST \xde\xad\xbe\xef ", 10) == 0, "binary echo: %s", slot(h));
    json_decref(r);
    server_log(log, sizeof log);

    /* A relative redirect to an allowed path is followed. */
    rc = fetch(h, "{\"url\":\"http://127.0.0.1:%d/redirect\"}", port);
    r = slot_json(h);
    CHECK(rc > 0 && json_integer_value(json_object_get(r, "status")) == 200 &&
              strcmp(json_string_value(json_object_get(r, "body")) ?: "", "hello world") == 0, "redirect: %s",
          slot(h));
    json_decref(r);
    server_log(log, sizeof log);
    CHECK(strcmp(log, "GET /redirect\nGET /hello\n") == 0, "%s", log);

    /* A 307 keeps the method and body (and the credentials, same host). */
    rc = fetch(h, "{\"method\":\"POST\",\"url\":\"http://127.0.0.1:%d/redirect-abs\",\"body\":\"again\","
                  "\"headers\":{\"Authorization\":\"Bearer t\"}}", port);
    r = slot_json(h);
    CHECK(rc > 0 && strcmp(json_string_value(json_object_get(r, "body")) ?: "", "POST again  +auth") == 0,
          "307: %s", slot(h));
    json_decref(r);
    server_log(log, sizeof log);
    CHECK(strcmp(log, "POST /redirect-abs\nPOST /echo\n") == 0, "%s", log);

    /* A redirect to another port of the same host is another origin: the
     * credentials stay behind, also when a later hop comes back. */
    const char *creds = "\"headers\":{\"Authorization\":\"Bearer t\",\"Cookie\":\"s=1\","
                        "\"Proxy-Authorization\":\"Basic x\",\"X-Custom\":\"kept\"}";
    rc = fetch(h, "{\"method\":\"POST\",\"url\":\"http://127.0.0.1:%d/echo\",\"body\":\"b\",%s}", port, creds);
    r = slot_json(h);
    CHECK(rc > 0 && strcmp(json_string_value(json_object_get(r, "body")) ?: "", "POST b kept +auth +cookie +proxy-auth") == 0,
          "same origin: %s", slot(h));
    json_decref(r);
    rc = fetch(h, "{\"method\":\"POST\",\"url\":\"http://127.0.0.1:%d/redirect-port\",\"body\":\"b\",%s}", port, creds);
    r = slot_json(h);
    CHECK(rc > 0 && strcmp(json_string_value(json_object_get(r, "body")) ?: "", "POST b kept") == 0,
          "credentials across ports: %s", slot(h));
    json_decref(r);
    rc = fetch(h, "{\"method\":\"POST\",\"url\":\"http://127.0.0.1:%d/redirect-back\",\"body\":\"b\",%s}", port, creds);
    r = slot_json(h);
    CHECK(rc > 0 && strcmp(json_string_value(json_object_get(r, "body")) ?: "", "POST b kept") == 0,
          "credentials after coming back: %s", slot(h));
    json_decref(r);
    server_log(log, sizeof log);
    CHECK(strcmp(log, "POST /echo\nPOST /redirect-port\nPOST /echo\nPOST /redirect-back\nPOST /redirect-abs\n"
                      "POST /echo\n") == 0, "%s", log);

    /* Redirects judged by origin: scheme, host, port. */
    CHECK(wc_http_redirect_kind("https://a.example/x", "http://a.example/y") == WC_HTTP_REDIRECT_DOWNGRADE,
          "https -> http");
    CHECK(wc_http_redirect_kind("https://a.example/x", "HTTP://a.example:443/y") == WC_HTTP_REDIRECT_DOWNGRADE,
          "https -> http on 443");
    CHECK(wc_http_redirect_kind("http://a.example/x", "https://a.example/y") == WC_HTTP_REDIRECT_CROSS_ORIGIN,
          "http -> https");
    CHECK(wc_http_redirect_kind("http://a.example/x", "http://a.example:8080/y") == WC_HTTP_REDIRECT_CROSS_ORIGIN,
          "another port");
    CHECK(wc_http_redirect_kind("http://a.example/x", "http://b.example/x") == WC_HTTP_REDIRECT_CROSS_ORIGIN,
          "another host");
    CHECK(wc_http_redirect_kind("http://a.example/x", "http://A.Example:80/y?q") == WC_HTTP_REDIRECT_SAME_ORIGIN,
          "default port and case");
    CHECK(wc_http_redirect_kind("https://a.example/x", "https://a.example:443/y") == WC_HTTP_REDIRECT_SAME_ORIGIN,
          "https default port");

    /* Host and the framing headers are the host's: refused, nothing sent. */
    before = atomic_load(&server.connections);
    static const char *const reserved[] = {"Host", "content-length", "Transfer-Encoding", "Connection", "Upgrade",
                                           "TE", "Trailer", "Keep-Alive", "Proxy-Connection", "Expect"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
        rc = fetch(h, "{\"url\":\"http://127.0.0.1:%d/echo\",\"headers\":{\"%s\":\"evil.example\"}}", port,
                   reserved[i]);
        snprintf(want, sizeof want, "http_fetch: header '%s' may not be set by a plugin", reserved[i]);
        CHECK(rc == WC_HOST_EINVAL && strncmp(slot(h), want, strlen(want)) == 0, "%s: %d %s", reserved[i], rc, slot(h));
    }
    CHECK(atomic_load(&server.connections) == before, "a refused header was sent");

    /* 30,000 repeats of a header: joined in linear time, counted against
     * max_output_bytes (4000 here: refused; 1 MiB: fine and fast). */
    rc = fetch(h, "{\"url\":\"http://127.0.0.1:%d/many-headers\"}", port);
    CHECK(rc == WC_HOST_ETOOLARGE && strstr(slot(h), "larger than 4000 bytes") &&
              strstr(slot(h), "plugins.notes.permissions.max_output_bytes"), "many headers: %d %s", rc, slot(h));
    server_log(log, sizeof log);

    /* A 303 continues as GET without the body. */
    rc = fetch(h, "{\"method\":\"POST\",\"url\":\"http://127.0.0.1:%d/see-other\",\"body\":\"form\"}", port);
    r = slot_json(h);
    CHECK(rc > 0 && strcmp(json_string_value(json_object_get(r, "body")) ?: "", "GET  ") == 0, "303: %s", slot(h));
    json_decref(r);
    server_log(log, sizeof log);
    CHECK(strcmp(log, "POST /see-other\nGET /echo\n") == 0, "%s", log);

    /* HEAD: the announced length may exceed the cap, there is no body. */
    rc = fetch(h, "{\"method\":\"HEAD\",\"url\":\"http://127.0.0.1:%d/big\"}", port);
    r = slot_json(h);
    CHECK(rc > 0 && json_integer_value(json_object_get(r, "status")) == 200 &&
              strcmp(json_string_value(json_object_get(r, "body")) ?: "?", "") == 0 &&
              strcmp(json_string_value(json_object_get(json_object_get(r, "headers"), "content-length")) ?: "",
                     "5000") == 0, "HEAD: %s", slot(h));
    json_decref(r);
    server_log(log, sizeof log);

    /* A redirect to a host that is not allowed is refused, not followed. */
    before = atomic_load(&server.connections);
    rc = fetch(h, "{\"url\":\"http://127.0.0.1:%d/redirect-denied\"}", port);
    snprintf(want, sizeof want,
             "http_fetch: redirect from 127.0.0.1 to host 'localhost' refused: 'localhost' is not allowed for "
             "plugin 'notes': add it to plugins.notes.permissions.allowed_hosts in wasmcap.json");
    CHECK(rc == WC_HOST_EDENIED && strcmp(slot(h), want) == 0, "%d %s", rc, slot(h));
    CHECK(atomic_load(&server.connections) == before + 1, "denied redirect was followed");
    server_log(log, sizeof log);
    CHECK(strcmp(log, "GET /redirect-denied\n") == 0, "%s", log);

    rc = fetch(h, "{\"url\":\"http://127.0.0.1:%d/redirect-file\"}", port);
    CHECK(rc == WC_HOST_EDENIED && strstr(slot(h), "only http and https"), "%d %s", rc, slot(h));

    /* A denied host is never contacted. */
    before = atomic_load(&server.connections);
    rc = fetch(h, "{\"url\":\"http://LocalHost:%d/hello\"}", port);
    CHECK(rc == WC_HOST_EDENIED &&
              strcmp(slot(h), "http_fetch: host 'localhost' is not allowed for plugin 'notes': add it to "
                              "plugins.notes.permissions.allowed_hosts in wasmcap.json") == 0, "%d %s", rc, slot(h));
    rc = fetch(h, "{\"url\":\"http://example.org:%d/\"}", port); /* "*.example.org" is not example.org */
    CHECK(rc == WC_HOST_EDENIED, "%d %s", rc, slot(h));
    CHECK(atomic_load(&server.connections) == before, "a denied host was contacted");

    /* Bodies over max_output_bytes: announced, and chunked. */
    rc = fetch(h, "{\"url\":\"http://127.0.0.1:%d/big\"}", port);
    CHECK(rc == WC_HOST_ETOOLARGE && strstr(slot(h), "larger than 4000 bytes") &&
              strstr(slot(h), "plugins.notes.permissions.max_output_bytes"), "%d %s", rc, slot(h));
    rc = fetch(h, "{\"url\":\"http://127.0.0.1:%d/big-chunked\"}", port);
    CHECK(rc == WC_HOST_ETOOLARGE, "%d %s", rc, slot(h));

    /* A body that is not UTF-8 comes back as base64. */
    rc = fetch(h, "{\"url\":\"http://127.0.0.1:%d/binary\"}", port);
    r = slot_json(h);
    const char *b64 = json_string_value(json_object_get(r, "body_base64"));
    unsigned char dec[32];
    CHECK(b64 && !json_object_get(r, "body") && EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)strlen(b64)) >= 8 &&
              memcmp(dec, "\x00\xff\x01 bin", 8) == 0, "binary: %s", slot(h));
    json_decref(r);

    /* Redirect loops stop. */
    server_log(log, sizeof log);
    rc = fetch(h, "{\"url\":\"http://127.0.0.1:%d/loop\"}", port);
    CHECK(rc == WC_HOST_EFAILED && strstr(slot(h), "more than 5 redirects"), "%d %s", rc, slot(h));
    server_log(log, sizeof log);
    CHECK(strcmp(log, "GET /loop\nGET /loop\nGET /loop\nGET /loop\nGET /loop\nGET /loop\n") == 0, "%s", log);

    /* Bad requests. */
    rc = fetch(h, "{\"url\":\"ftp://127.0.0.1:%d/x\"}", port);
    CHECK(rc == WC_HOST_EINVAL && strstr(slot(h), "only http and https"), "%d %s", rc, slot(h));
    rc = fetch(h, "{\"url\":\"file:///etc/passwd\"}");
    CHECK(rc == WC_HOST_EINVAL, "%d %s", rc, slot(h));
    rc = fetch(h, "{\"method\":\"GET\"}");
    CHECK(rc == WC_HOST_EINVAL && strstr(slot(h), "\"url\""), "%d %s", rc, slot(h));
    rc = fetch(h, "not json");
    CHECK(rc == WC_HOST_EINVAL && strstr(slot(h), "not valid JSON"), "%d %s", rc, slot(h));
    rc = fetch(h, "{\"url\":\"http://127.0.0.1:%d/\",\"headers\":{\"X\":\"a\\r\\nEvil: 1\"}}", port);
    CHECK(rc == WC_HOST_EINVAL && strstr(slot(h), "line break"), "%d %s", rc, slot(h));
    rc = fetch(h, "{\"url\":\"http://127.0.0.1:%d/\",\"method\":\"GET /x\"}", port);
    CHECK(rc == WC_HOST_EINVAL, "%d %s", rc, slot(h));
    rc = fetch(h, "{\"url\":\"http://[::1\"}");
    CHECK(rc == WC_HOST_EINVAL && strstr(slot(h), "invalid URL"), "%d %s", rc, slot(h));

    /* Nothing listening: a clear failure. */
    rc = fetch(h, "{\"url\":\"http://127.0.0.1:1/\"}");
    CHECK(rc == WC_HOST_EFAILED && strstr(slot(h), "127.0.0.1"), "%d %s", rc, slot(h));
    end(h);

    /* Many repeated headers under a cap they fit in: linear time. */
    h = new_harness();
    h->perms.allowed_hosts = hosts;
    h->perms.n_allowed_hosts = 1;
    h->perms.max_output_bytes = 1u << 20;
    if (start(h)) {
        /* Linear means 10x the headers take about 10x the time (quadratic
         * joining: 100x).  The process's CPU time, not the wall clock: on a
         * loaded machine the wall clock counts the time the threads waited
         * for a core (72x seen under ASan at load 5); the best of five runs,
         * and a ratio rather than a fixed bound, for a sanitizer build. */
        static const int sizes[] = {3000, 10000, 30000};
        double best[3] = {1e9, 1e9, 1e9};
        for (int run = 0; run < 5; run++)
            for (int i = 0; i < 3; i++) {
                double t0 = cpu_s();
                rc = fetch(h, "{\"url\":\"http://127.0.0.1:%d/headers/%d\"}", port, sizes[i]);
                double t = cpu_s() - t0;
                CHECK(rc > 0, "%d headers: %d %s", sizes[i], rc, slot(h));
                best[i] = t < best[i] ? t : best[i];
            }
        /* larger than the guest's slot buffer: read the host's */
        r = json_loadb((const char *)h->host.response.data, h->host.response.len, 0, NULL);
        const char *joined = json_string_value(json_object_get(json_object_get(r, "headers"), "x-d"));
        CHECK(rc > 0 && joined && strlen(joined) == 30000 * 3 - 2 && strncmp(joined, "v, v, v", 7) == 0,
              "30,000 headers: %d %.100s", rc, (const char *)h->host.response.data);
        CHECK(best[2] < 30 * best[0] + 0.002, "30,000 repeated headers took %.4f s of CPU, 3,000 took %.4f s",
              best[2], best[0]);
        printf("repeated response headers, CPU time: 3,000 in %.4f s, 10,000 in %.4f s, 30,000 in %.4f s\n",
               best[0], best[1], best[2]);
        json_decref(r);
    }
    end(h);
    server_log(log, sizeof log);

    /* The plugin's timeout bounds the request. */
    h = new_harness();
    h->perms.allowed_hosts = hosts;
    h->perms.n_allowed_hosts = 1;
    h->perms.timeout_ms = 300;
    if (start(h)) {
        double t0 = now_s();
        rc = fetch(h, "{\"url\":\"http://127.0.0.1:%d/slow\"}", port);
        double elapsed = now_s() - t0;
        CHECK(rc == WC_HOST_EFAILED && strcmp(slot(h), "http_fetch: timed out after 300 ms (raise "
                                                       "plugins.notes.permissions.timeout_ms)") == 0,
              "%d %s", rc, slot(h));
        CHECK(elapsed > 0.25 && elapsed < 3, "timeout after %.3f s", elapsed);
    }
    end(h);

    /* A cancelled call aborts the transfer (the server is still busy with
     * the previous /slow: the cancel lands while curl waits either way). */
    h = new_harness();
    h->perms.allowed_hosts = hosts;
    h->perms.n_allowed_hosts = 1;
    if (start(h)) {
        canceller c = {.cancel = &h->cancel, .delay_ms = 200};
        pthread_t th;
        pthread_create(&th, NULL, cancel_later, &c);
        double t0 = now_s();
        rc = fetch(h, "{\"url\":\"http://127.0.0.1:%d/slow\"}", port);
        double elapsed = now_s() - t0;
        pthread_join(th, NULL);
        char *msg = wc_buf_cstr(&h->host.response);
        CHECK(rc == WC_HOST_ECANCELLED && msg && strcmp(msg, "http_fetch: the call was cancelled") == 0, "%d %s",
              rc, msg);
        CHECK(elapsed > 0.15 && elapsed < 3, "cancelled after %.3f s", elapsed);
    }
    end(h);
    server_stop();
}

static void test_allowed(void)
{
    char *hosts[] = {"api.example.com", "*.example.org", "*."};
    wc_permissions p = {.allowed_hosts = hosts, .n_allowed_hosts = 3};
    CHECK(wc_host_allowed(&p, "api.example.com"), "exact");
    CHECK(wc_host_allowed(&p, "API.Example.COM"), "case");
    CHECK(!wc_host_allowed(&p, "example.com"), "parent of exact");
    CHECK(!wc_host_allowed(&p, "x.api.example.com"), "child of exact");
    CHECK(wc_host_allowed(&p, "a.example.org"), "wildcard");
    CHECK(wc_host_allowed(&p, "a.b.example.org"), "deep wildcard");
    CHECK(!wc_host_allowed(&p, "example.org"), "wildcard is not the suffix itself");
    CHECK(!wc_host_allowed(&p, "evilexample.org"), "wildcard boundary");
    CHECK(!wc_host_allowed(&p, ".example.org"), "empty label");
    CHECK(!wc_host_allowed(&p, "other.net"), "other");
    CHECK(!wc_host_allowed(&p, ""), "empty");
    CHECK(!wc_host_allowed(&p, NULL), "NULL");
    wc_permissions none = {0};
    CHECK(!wc_host_allowed(&none, "api.example.com"), "deny by default");

    /* Extism's globs: "*" is any host, '?' one character, '*' anywhere */
    char *globs[] = {"api-?.example.com", "cdn*.example.net"};
    wc_permissions g = {.allowed_hosts = globs, .n_allowed_hosts = 2};
    CHECK(wc_host_allowed(&g, "api-1.example.com") && !wc_host_allowed(&g, "api-12.example.com"),
          "? is one character");
    CHECK(wc_host_allowed(&g, "cdn.example.net") && wc_host_allowed(&g, "cdn7.eu.example.net") &&
              !wc_host_allowed(&g, "cdn.example.net.evil.com"), "* inside a name");
    CHECK(!wc_host_allowed(&g, "api.example.com"), "no glob matches");
    char *any[] = {"*"};
    wc_permissions all = {.allowed_hosts = any, .n_allowed_hosts = 1};
    CHECK(wc_host_allowed(&all, "anything.example") && wc_host_allowed(&all, "10.0.0.1") &&
              !wc_host_allowed(&all, ""), "\"*\" is any host");
}

static void test_utf8(void)
{
    static const struct {
        const char *in;
        size_t len;
        bool valid;
        const char *sanitized;
    } cases[] = {
        {"plain", 5, true, "plain"},
        {"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, true, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"},
        {"a\0b", 3, true, "a\0b"},
        {"\xc0\xaf", 2, false, "\xef\xbf\xbd\xef\xbf\xbd"},             /* overlong '/' */
        {"\xe0\x80\xaf", 3, false, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong, 3 bytes */
        {"\xed\xa0\x80", 3, false, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
        {"\xf4\x90\x80\x80", 4, false,
         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},             /* above U+10FFFF */
        {"x\xe2\x82", 3, false, "x\xef\xbf\xbd"},                       /* truncated: one U+FFFD */
        {"\xe2\x82x", 3, false, "\xef\xbf\xbdx"},
        {"\x80\xff", 2, false, "\xef\xbf\xbd\xef\xbf\xbd"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK(wc_utf8_valid(cases[i].in, cases[i].len) == cases[i].valid, "case %zu", i);
        wc_buf b;
        wc_buf_init(&b);
        wc_utf8_sanitize(&b, cases[i].in, cases[i].len);
        size_t want_len = cases[i].valid ? cases[i].len : strlen(cases[i].sanitized);
        CHECK(b.len == want_len && memcmp(b.data, cases[i].sanitized, want_len) == 0, "sanitize case %zu", i);
        CHECK(wc_utf8_valid(b.data, b.len), "sanitized case %zu is valid", i);
        wc_buf_free(&b);
    }
    /* ASCII is read eight bytes a step: a bad byte or a character at every
     * offset of a 40-byte line, and lines of every length up to it */
    for (size_t at = 0; at < 40; at++) {
        char line[48], want[56];
        memset(line, 'a' + (int)(at % 26), sizeof line);
        line[at] = (char)0xff;
        memcpy(want, line, at);
        memcpy(want + at, "\xef\xbf\xbd", 3);
        memcpy(want + at + 3, line + at + 1, 40 - at - 1);
        wc_buf b;
        wc_buf_init(&b);
        wc_utf8_sanitize(&b, line, 40);
        CHECK(b.len == 42 && memcmp(b.data, want, 42) == 0, "a bad byte at %zu of 40", at);
        CHECK(!wc_utf8_valid(line, 40) && wc_utf8_valid(line, at), "valid up to %zu", at);
        memcpy(line + at, "\xc3\xa9", 2);
        b.len = 0;
        wc_utf8_sanitize(&b, line, at + 2);
        CHECK(b.len == at + 2 && memcmp(b.data, line, at + 2) == 0 && wc_utf8_valid(line, at + 2),
              "a character at %zu", at);
        b.len = 0;
        wc_utf8_sanitize(&b, line, at + 1); /* cut inside it */
        CHECK(b.len == at + 3 && memcmp(b.data + at, "\xef\xbf\xbd", 3) == 0 &&
                  !wc_utf8_valid(line, at + 1), "a character cut at %zu", at);
        wc_buf_free(&b);
    }
    const char *s = "a\xc3\xa9\xe2\x82\xac"; /* 1 + 2 + 3 bytes */
    CHECK(wc_utf8_prefix(s, 6, 10) == 6, "whole");
    CHECK(wc_utf8_prefix(s, 6, 1) == 1, "before a 2-byte char");
    CHECK(wc_utf8_prefix(s, 6, 2) == 1, "inside a 2-byte char");
    CHECK(wc_utf8_prefix(s, 6, 3) == 3, "after it");
    CHECK(wc_utf8_prefix(s, 6, 5) == 3, "inside a 3-byte char");
}

/* ---- setup ------------------------------------------------------------------ */


int main(void)
{
    wc_log_set_level(WC_LOG_EMERGENCY); /* the guests' log lines are expected */
    if (wc_make_temp_dir(tmp_dir, sizeof tmp_dir, "wasmcap-test-host") != 0) {
        printf("FAIL: no temp dir\n");
        return 1;
    }
    wc_engine_config ecfg;
    wc_engine_config_default(&ecfg);
    ecfg.tier = WC_TIER_FAST;
    ecfg.cache_dir = "";
    wc_error err = {0};
    char kv_dir[700];
    wc_error kerr = {0};
    snprintf(kv_dir, sizeof kv_dir, "%s/kv", tmp_dir);
    if (wc_engine_new(&ecfg, &engine, &err) != 0 ||
        !wat_guest_compile(engine, "host_guest", tmp_dir, &guest_module) ||
        wc_kv_open(kv_dir, 0, &store, &kerr) != 0) {
        printf("FAIL: setup: %s\n", err.msg);
        return 1;
    }

    test_utf8();
    test_allowed();
    test_denials();
    test_kv();
    test_config();
    test_log();
    test_progress();
    test_effect_free();
    test_client_requests();
    test_cancel();
    test_bad_pointers();
    test_http();

    wc_kv_close(store);
    wc_module_release(guest_module);
    wc_engine_free(engine);
    wc_remove_dir(kv_dir);
    wc_remove_dir(tmp_dir);
    if (failures) {
        printf("test_host: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test_host: all %d checks passed\n", checks);
    return 0;
}
