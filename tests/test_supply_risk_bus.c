/* test_supply_risk_bus.c -- supply-risk asks the inventory service for the
 * depletion rate, end to end: a nats-server and the example inventory
 * service (services/inventory) started here, `wasmcap serve` over stdio
 * with a bus on that server and supply-risk granted the request, and an
 * MCP client on its pipes.  The service's rate wins over the call's
 * daily_demand; an unknown SKU (the service's 404), a subject not granted
 * and the service gone (no responders) each fall back and say why. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/fs.h"

#include "check.h"
#include "inventory_process.h"
#include "nats_server.h"

typedef struct server {
    pid_t pid;
    int to, from;
    char pending[1 << 16];
    size_t npending;
} server;

static bool serve_start(server *s, const char *config_path)
{
    int to[2], from[2];
    if (pipe(to) != 0 || pipe(from) != 0)
        return false;
    s->npending = 0;
    s->pid = fork();
    if (s->pid == 0) {
        dup2(to[0], 0);
        dup2(from[1], 1);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        close(to[1]);
        close(from[0]);
        execl(WC_BINARY_DIR "/wasmcap", "wasmcap", "serve", "--config", config_path, (char *)NULL);
        _exit(127);
    }
    close(to[0]);
    close(from[1]);
    s->to = to[1];
    s->from = from[0];
    return s->pid > 0;
}

static void serve_stop(server *s)
{
    close(s->to);
    int status;
    for (int i = 0; i < 500 && waitpid(s->pid, &status, WNOHANG) == 0; i++)
        nats_server_sleep_ms(10);
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &status, 0);
    close(s->from);
}

/* The answer with this id (notifications skipped), or NULL after 20 s. */
static json_t *answer(server *s, int id)
{
    for (int waited = 0; waited < 20000;) {
        char *nl = memchr(s->pending, '\n', s->npending);
        if (nl) {
            size_t n = (size_t)(nl - s->pending);
            json_t *msg = json_loadb(s->pending, n, 0, NULL);
            memmove(s->pending, nl + 1, s->npending - n - 1);
            s->npending -= n + 1;
            if (json_integer_value(json_object_get(msg, "id")) == id)
                return msg;
            json_decref(msg);
            continue;
        }
        struct pollfd p = {.fd = s->from, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0) {
            waited += 100;
            continue;
        }
        ssize_t got = read(s->from, s->pending + s->npending, sizeof s->pending - s->npending);
        if (got <= 0)
            return NULL;
        s->npending += (size_t)got;
    }
    return NULL;
}

static int next_id = 1;

static json_t *request(server *s, const char *method, const char *params)
{
    char line[2048];
    int id = next_id++;
    int n = snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"%s\",\"params\":%s}\n",
                     id, method, params);
    if (write(s->to, line, (size_t)n) != n)
        return NULL;
    return answer(s, id);
}

/* The texts of a tools/call result's content blocks, joined by " | ". */
static void call(server *s, const char *tool, const char *args, char *out, size_t size)
{
    char params[1024];
    snprintf(params, sizeof params, "{\"name\":\"%s\",\"arguments\":%s}", tool, args);
    json_t *r = request(s, "tools/call", params);
    json_t *content = json_object_get(json_object_get(r, "result"), "content");
    size_t i, used = 0;
    json_t *block;
    out[0] = 0;
    json_array_foreach(content, i, block) used += (size_t)snprintf(
        out + used, used < size ? size - used : 0, "%s%s", i ? " | " : "",
        json_string_value(json_object_get(block, "text")) ?: "");
    if (!content)
        snprintf(out, size, "no result: %s", r ? json_dumps(r, 0) : "(none)");
    json_decref(r);
}

/* A config in dir: supply-risk with its model, kv and (when granted) the
 * request to the inventory service, on the bus at url. */
static bool write_config(const char *dir, const char *url, const char *grant, char *path, size_t size)
{
    snprintf(path, size, "%s/wasmcap-%s.json", dir, grant);
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    fprintf(f,
            "{\"storage\": {\"kv_dir\": \"%s/kv-%s\"}, \"ontology\": \"%s/ontology\","
            " \"bus\": {\"url\": \"%s\", \"services\": {\"discover\": false}},"
            " \"nn\": {\"models\": {\"supply_risk\": {\"path\": \"%s/plugins/supply-risk/model/supply-risk.tflite\"}}},"
            " \"plugins\": {\"supply-risk\": {\"path\": \"%s/plugins/supply-risk/supply-risk.wasm\","
            "   \"permissions\": {\"kv_namespace\": \"supply-risk\", \"nn_models\": [\"supply_risk\"],"
            "                     \"bus\": {\"request\": [\"%s\"]}}}}}",
            dir, grant, WC_SOURCE_DIR, url, WC_SOURCE_DIR, WC_SOURCE_DIR, grant);
    return fclose(f) == 0;
}

static bool initialize(server *s)
{
    json_t *r = request(s, "initialize",
                        "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                        "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}");
    bool ok = r && json_object_get(r, "result");
    json_decref(r);
    const char note[] = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n";
    return ok && write(s->to, note, sizeof note - 1) == (ssize_t)(sizeof note - 1);
}

int main(void)
{
    char dir[512];
    if (wc_make_temp_dir(dir, sizeof dir, "wasmcap-test-supply-bus") != 0) {
        printf("FAIL: no temp dir\n");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN); /* a server that died is a failed check, not the end */
    nats_server ns;
    if (nats_server_start(&ns, "supply-bus") != 0) {
        printf("FAIL: nats-server did not start\n");
        return 1;
    }
    pid_t inventory = inventory_start(ns.url);
    CHECK(inventory > 0, "wasmcap-inventory starts");
    char granted[700], other[700], text[4096];
    CHECK(write_config(dir, ns.url, "inventory.depletion", granted, sizeof granted) &&
              write_config(dir, ns.url, "inventory.stock", other, sizeof other), "configs");

    server s;
    CHECK(serve_start(&s, granted) && initialize(&s), "wasmcap serve starts");
    call(&s, "supply-risk-set_stock", "{\"sku\":\"B7\",\"quantity\":15}", text, sizeof text);
    CHECK(strcmp(text, "B7: stock 15") == 0, "set_stock: %s", text);
    /* the service may take a moment to connect: B7 depletes 6 a day */
    for (int i = 0; i < 50; i++) {
        call(&s, "supply-risk-assess", "{\"sku\":\"B7\",\"buffer_days\":0,\"daily_demand\":1}", text,
             sizeof text);
        if (!strstr(text, "no responders"))
            break;
        nats_server_sleep_ms(200);
    }
    CHECK(strncmp(text, "B7: 2.5 days of cover", 21) == 0 &&
              strstr(text, " | daily demand 6: the inventory service's depletion rate (inventory.depletion)"),
          "the service's rate wins over the argument: %s", text);
    /* a SKU the service does not know: its 404, and the argument */
    call(&s, "supply-risk-set_stock", "{\"sku\":\"LOCAL-1\",\"quantity\":100}", text, sizeof text);
    call(&s, "supply-risk-assess", "{\"sku\":\"LOCAL-1\",\"buffer_days\":0,\"daily_demand\":50}", text,
         sizeof text);
    CHECK(strncmp(text, "LOCAL-1: 2 days of cover", 24) == 0 &&
              strstr(text, " | daily demand 50: the call's daily_demand (the inventory service was not used: "
                           "bus_request: the service on 'inventory.depletion' answered an error 404: "
                           "unknown SKU 'LOCAL-1')"),
          "an unknown SKU: %s", text);
    /* the service gone: no responders, the default */
    inventory_stop(inventory);
    inventory = 0;
    nats_server_sleep_ms(300);
    call(&s, "supply-risk-assess", "{\"sku\":\"B7\",\"buffer_days\":0}", text, sizeof text);
    CHECK(strncmp(text, "B7: 1.5 days of cover", 21) == 0 &&
              strstr(text, " | daily demand 10: the default (the inventory service was not used: "
                           "bus_request: no responders on 'inventory.depletion')"),
          "no service: %s", text);
    serve_stop(&s);

    /* granted another subject only: denied, with the key to set */
    CHECK(serve_start(&s, other) && initialize(&s), "wasmcap serve starts (other grant)");
    call(&s, "supply-risk-set_stock", "{\"sku\":\"B7\",\"quantity\":15,\"daily_demand\":3}", text, sizeof text);
    call(&s, "supply-risk-assess", "{\"sku\":\"B7\",\"buffer_days\":0}", text, sizeof text);
    CHECK(strncmp(text, "B7: 5 days of cover", 19) == 0 &&
              strstr(text, "daily demand 3: the stored demand of the SKU (the inventory service was not used: "
                           "bus_request to subject 'inventory.depletion' is not granted to plugin "
                           "'supply-risk': add it"),
          "not granted: %s", text);
    serve_stop(&s);

    inventory_stop(inventory);
    nats_server_stop(&ns);
    wc_remove_dir(dir);
    if (failures) {
        printf("test_supply_risk_bus: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test_supply_risk_bus: all %d checks passed\n", checks);
    return 0;
}
