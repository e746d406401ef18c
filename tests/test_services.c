/* test_services.c -- backend services on the bus as tools (plugin/services.h)
 * on the in-process bus: info_responses read into tools (names, schemas,
 * caps, malformed ones), discovery by $SRV.INFO (a service appearing and
 * vanishing, the changed hook), calls through the registry (a reply, the
 * input schema, timeout, no responders, the error header, a garbage reply,
 * an outputSchema violation), a queue group's instances sharing the calls,
 * a flood of INFO replies kept within the caps, and the config section;
 * then the same over NATS (a real nats-server), and the example inventory
 * service (services/inventory) discovered and called. */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus/bus.h"
#include "plugin/registry.h"
#include "plugin/services.h"

#include "bus_service.h"
#include "check.h"
#include "nats_server.h"

static wc_services_settings quick_settings(void)
{
    wc_services_settings s;
    wc_services_settings_init(&s);
    s.discover = false; /* the test runs the rounds */
    s.window_ms = 250; /* replies of a loaded machine still come within it */
    s.timeout_ms = 200;
    return s;
}

static json_t *info_of(const char *name, int instance)
{
    char text[8192];
    bus_service_info(name, instance, text, sizeof text);
    return json_loads(text, 0, NULL);
}

static const json_t *find_tool(const wc_registry *r, const char *name)
{
    size_t i;
    const json_t *t;
    json_array_foreach(wc_registry_tools(r), i, t)
        if (strcmp(json_string_value(json_object_get(t, "name")), name) == 0)
            return t;
    return NULL;
}

/* tools/call through the registry: the text of the result's first block
 * into text, and whether it is an error. */
static bool call(wc_registry *r, const char *tool, const char *args, char *text, size_t size)
{
    json_t *a = json_loads(args, 0, NULL), *res = NULL;
    wc_error err = {0};
    int rc = wc_registry_call_tool(r, tool, a, NULL, &res, &err);
    json_decref(a);
    snprintf(text, size, "%s", rc ? err.msg : "");
    if (rc)
        return true;
    const char *t = json_string_value(
        json_object_get(json_array_get(json_object_get(res, "content"), 0), "text"));
    snprintf(text, size, "%s", t ? t : "");
    bool is_error = json_is_true(json_object_get(res, "isError"));
    json_decref(res);
    return is_error;
}

static void test_set_from_infos(void)
{
    wc_services_settings s = quick_settings();
    json_t *infos = json_array();
    json_array_append_new(infos, info_of("inventory", 1));
    json_array_append_new(infos, info_of("inventory", 2)); /* an instance: no new tools */
    /* names that sanitize to the same tool name stay apart */
    json_array_append_new(infos, json_loads(
        "{\"name\":\"a-b\",\"endpoints\":[{\"name\":\"c d\",\"subject\":\"x.1\"},"
        "{\"name\":\"c/d\",\"subject\":\"x.2\"},"
        "{\"name\":\"bad\",\"subject\":\"x.3\",\"metadata\":{\"input_schema\":\"{nope\"}},"
        "{\"name\":\"worse\",\"subject\":\"x.4\",\"metadata\":{\"output_schema\":"
        "\"{\\\"type\\\":7}\"}}]}", 0, NULL));
    json_array_append_new(infos, json_loads("{\"name\":\"no spaces\"}", 0, NULL));
    json_array_append_new(infos, json_loads("[1]", 0, NULL));
    wc_service_set *set = NULL;
    uint64_t malformed = 0;
    wc_error err;
    CHECK(wc_service_set_from_infos(infos, &s, &set, &malformed, &err) == 0, "%s", err.msg);
    CHECK(wc_service_set_count(set) == BUS_SERVICE_ENDPOINTS + 2, "%zu tools",
          wc_service_set_count(set));
    CHECK(malformed == 4, "two bad infos and two bad schemas are malformed: %llu",
          (unsigned long long)malformed);
    bool c1 = false, c2 = false;
    for (size_t i = 0; i < wc_service_set_count(set); i++) {
        const char *tool = wc_service_endpoint_tool(wc_service_set_get(set, i));
        c1 |= strcmp(tool, "a-b-c_d") == 0;
        c2 |= strcmp(tool, "a-b-c_d-2") == 0;
    }
    CHECK(c1 && c2, "sanitized names are made unique");
    for (size_t i = 0; i < wc_service_set_count(set); i++) {
        const json_t *d = wc_service_endpoint_descriptor(wc_service_set_get(set, i));
        const json_t *description = json_object_get(d, "description");
        CHECK(!description || json_is_string(description), "a description is a string or absent");
        if (strcmp(wc_service_endpoint_tool(wc_service_set_get(set, i)), "a-b-c_d") == 0)
            CHECK(!description, "absent when neither endpoint nor service has one");
    }

    wc_registry *base = NULL, *r = NULL;
    CHECK(wc_registry_new(NULL, 0, NULL, NULL, &base, &err) == 0, "%s", err.msg);
    CHECK(wc_registry_with_services(base, set, NULL, NULL, &r, &err) == 0, "%s", err.msg);
    const json_t *stock = r ? find_tool(r, "inventory-stock") : NULL;
    CHECK(stock != NULL, "the stock endpoint is a tool");
    CHECK(json_is_object(json_object_get(stock, "outputSchema")), "with its outputSchema");
    CHECK(strcmp(json_string_value(json_object_get(stock, "description")),
                 "stock of inventory") == 0, "and its description");
    const json_t *echo = r ? find_tool(r, "inventory-echo") : NULL;
    json_t *any = json_pack("{s:s}", "type", "object");
    CHECK(json_equal(json_object_get(echo, "inputSchema"), any),
          "without input_schema a tool takes any object");
    json_decref(any);
    CHECK(wc_registry_service_tools(r) == wc_service_set_count(set), "counted");
    /* a registry over a registry with services replaces them */
    wc_registry *again = NULL;
    CHECK(wc_registry_with_services(r, NULL, NULL, NULL, &again, &err) == 0, "%s", err.msg);
    CHECK(again && json_array_size(wc_registry_tools(again)) == 0, "services replaced");
    wc_registry_release(again);
    wc_registry_release(r);
    wc_registry_release(base);

    /* caps: one service, two tools */
    s.max_services = 1;
    s.max_endpoints = 2;
    wc_service_set *small = NULL;
    CHECK(wc_service_set_from_infos(infos, &s, &small, NULL, &err) == 0, "%s", err.msg);
    CHECK(wc_service_set_count(small) == 2, "the caps hold: %zu", wc_service_set_count(small));
    wc_service_set_release(small);
    wc_service_set_release(set);
    json_decref(infos);
}

typedef struct hook {
    atomic_int changes;
} hook;

static void on_changed(void *ctx)
{
    atomic_fetch_add(&((hook *)ctx)->changes, 1);
}

static wc_registry *serve(wc_services *svc, wc_bus *bus)
{
    wc_registry *base = NULL, *r = NULL;
    wc_error err;
    wc_registry_new(NULL, 0, NULL, NULL, &base, &err);
    wc_service_set *set = wc_services_current(svc);
    wc_registry_with_services(base, set, bus, svc, &r, &err);
    wc_service_set_release(set);
    wc_registry_release(base);
    return r;
}

static void test_discovery_and_calls(wc_bus *bus)
{
    wc_services_settings s = quick_settings();
    hook h = {0};
    wc_services *svc = NULL;
    wc_error err;
    CHECK(wc_services_start(&s, bus, on_changed, &h, &svc, &err) == 0, "%s", err.msg);
    CHECK(wc_services_discover_now(svc) == false, "nothing to find yet");

    bus_service one;
    CHECK(bus_service_start(&one, bus, "inventory", 1) == 0, "the service starts");
    CHECK(wc_services_discover_now(svc), "it appears");
    CHECK(atomic_load(&h.changes) == 1, "the hook ran once: %d", atomic_load(&h.changes));
    CHECK(wc_services_discover_now(svc) == false, "the same set is no change");
    wc_registry *r = serve(svc, bus);
    char text[1024];
    CHECK(!call(r, "inventory-echo", "{\"x\":[1,2]}", text, sizeof text), "echo: %s", text);
    CHECK(strcmp(text, "{\"x\":[1,2]}") == 0, "the arguments went as the request: %s", text);
    CHECK(!call(r, "inventory-stock", "{\"sku\":\"A1\"}", text, sizeof text), "stock: %s", text);
    CHECK(call(r, "inventory-stock", "{\"sku\":5}", text, sizeof text) &&
          strstr(text, "invalid arguments"), "input schema: %s", text);
    CHECK(call(r, "inventory-silent", "{}", text, sizeof text) && strstr(text, "200 ms") &&
          strstr(text, "timeout"), "timeout: %s", text);
    CHECK(call(r, "inventory-absent", "{}", text, sizeof text) && strstr(text, "no responders"),
          "no responders: %s", text);
    CHECK(call(r, "inventory-failing", "{}", text, sizeof text) && strstr(text, "409") &&
          strstr(text, "out of stock"), "error header: %s", text);
    CHECK(call(r, "inventory-garbage", "{}", text, sizeof text) && strstr(text, "not JSON"),
          "garbage: %s", text);
    CHECK(call(r, "inventory-bad_shape", "{\"sku\":\"A1\"}", text, sizeof text) &&
          strstr(text, "outputSchema"), "output schema: %s", text);
    CHECK(call(r, "inventory-echo", "[1]", text, sizeof text) && strstr(text, "object"),
          "arguments that are not an object: %s", text);
    /* as tools/call hands them over: the client's text, the value a stand-in */
    static const char sent[] = "{\"sku\": \"A1\", \"n\": [1]}";
    wc_call_io io = {.arguments_text = sent, .arguments_len = strlen(sent)};
    wc_call *c = wc_call_new(NULL, &io);
    json_t *stand_in = json_object(), *res = NULL;
    CHECK(wc_registry_call_tool(r, "inventory-stock", stand_in, c, &res, &err) == 0 &&
          !json_is_true(json_object_get(res, "isError")), "the text is what is checked");
    json_decref(res);
    CHECK(wc_registry_call_tool(r, "inventory-echo", stand_in, c, &res, &err) == 0 &&
          strcmp(json_string_value(json_object_get(json_array_get(json_object_get(res, "content"),
                                                                   0), "text")), sent) == 0,
          "and what is sent, byte for byte");
    CHECK(c->io.plugin && strcmp(c->io.plugin, "inventory") == 0 && strcmp(c->io.tier, "bus") == 0,
          "audit sees the service and the bus");
    json_decref(res);
    json_decref(stand_in);
    wc_call_free(c);

    /* a second instance in the queue group shares the calls */
    bus_service two;
    CHECK(bus_service_start(&two, bus, "inventory", 2) == 0, "a second instance starts");
    int before1 = atomic_load(&one.calls), before2 = atomic_load(&two.calls);
    for (int i = 0; i < 60; i++)
        call(r, "inventory-stock", "{\"sku\":\"A1\"}", text, sizeof text);
    int got1 = atomic_load(&one.calls) - before1, got2 = atomic_load(&two.calls) - before2;
    CHECK(got1 + got2 == 60 && got1 > 0 && got2 > 0, "load-balanced: %d and %d", got1, got2);
    CHECK(wc_services_discover_now(svc) == false, "an instance more is no change");
    wc_registry_release(r);

    /* vanishing takes two missed rounds */
    bus_service_stop(&one);
    bus_service_stop(&two);
    CHECK(wc_services_discover_now(svc) == false, "one missed round is not gone");
    CHECK(wc_services_discover_now(svc), "two are");
    wc_service_set *set = wc_services_current(svc);
    CHECK(wc_service_set_count(set) == 0, "no tools left");
    wc_service_set_release(set);
    CHECK(atomic_load(&h.changes) == 2, "the hook ran for each change");
    wc_services_stats st;
    wc_services_get_stats(svc, &st);
    CHECK(st.rounds == 6 && st.services == 0, "stats: %llu rounds",
          (unsigned long long)st.rounds);
    wc_buf m = {0};
    wc_services_render_metrics(svc, &m);
    CHECK(m.len && strstr((char *)m.data, "wasmcap_services_rounds_total 6"), "metrics");
    wc_buf_free(&m);
    wc_registry *with = serve(svc, bus);
    wc_registry_render_metrics(with, &m);
    CHECK(m.len && strstr((char *)m.data, "wasmcap_services_rounds_total 6"),
          "in the registry's metrics");
    wc_buf_free(&m);
    wc_registry_release(with);
    wc_services_stop(svc);
}

/* Answers every INFO request with `count` replies of different services,
 * some malformed. */
typedef struct flooder {
    wc_bus *bus;
    int count;
} flooder;

static void flood(void *ctx, const wc_bus_msg *msg)
{
    flooder *f = ctx;
    for (int i = 0; i < f->count; i++) {
        char name[32], info[8192];
        snprintf(name, sizeof name, "svc%d", i);
        if (i % 10 == 9)
            snprintf(info, sizeof info, "{\"type\":\"io.nats.micro.v1.info_response\"}");
        else
            bus_service_info(name, 0, info, sizeof info);
        wc_bus_msg r = {.subject = msg->reply, .data = info, .len = strlen(info)};
        wc_bus_publish(f->bus, &r);
    }
}

static void test_flood(wc_bus *bus)
{
    flooder f = {bus, 500};
    wc_bus_sub *sub;
    CHECK(wc_bus_subscribe(bus, "$SRV.INFO", NULL, flood, &f, &sub) == 0, "the flooder");
    wc_services_settings s = quick_settings();
    s.max_services = 8;
    s.window_ms = 300;
    wc_services *svc = NULL;
    wc_error err;
    CHECK(wc_services_start(&s, bus, NULL, NULL, &svc, &err) == 0, "%s", err.msg);
    wc_services_discover_now(svc);
    wc_services_stats st;
    wc_services_get_stats(svc, &st);
    CHECK(st.services == 8, "at most max_services: %llu", (unsigned long long)st.services);
    CHECK(st.tools == 8 * BUS_SERVICE_ENDPOINTS, "their tools: %llu",
          (unsigned long long)st.tools);
    CHECK(st.dropped > 0, "the rest counted as dropped: %llu", (unsigned long long)st.dropped);
    CHECK(st.malformed > 0, "malformed ones counted: %llu", (unsigned long long)st.malformed);
    wc_services_stop(svc);
    wc_bus_unsubscribe(sub);
}

static void test_declared_and_config(wc_bus *bus)
{
    json_t *section = json_loads(
        "{\"discover\":false,\"timeout_ms\":100,\"declared\":[{\"name\":\"static\","
        "\"endpoints\":[{\"name\":\"echo\",\"subject\":\"static.echo\"}]}]}", 0, NULL);
    wc_services_settings s;
    wc_error err;
    CHECK(wc_services_settings_parse(section, &s, &err) == 0, "%s", err.msg);
    CHECK(s.timeout_ms == 100 && !s.discover, "read");
    wc_services *svc = NULL;
    CHECK(wc_services_start(&s, bus, NULL, NULL, &svc, &err) == 0, "%s", err.msg);
    wc_registry *r = serve(svc, bus);
    char text[512];
    CHECK(r && find_tool(r, "static-echo"), "a declared service's tool is there at start");
    CHECK(call(r, "static-echo", "{}", text, sizeof text) && strstr(text, "no responders"),
          "and called on its subject: %s", text);
    wc_registry_release(r);
    wc_services_stop(svc);
    wc_services_settings_free(&s);
    json_decref(section);

    static const char *const bad[] = {
        "[]",
        "{\"interval_ms\":1}",
        "{\"surprise\":1}",
        "{\"declared\":{}}",
        "{\"declared\":[{\"name\":\"x y\"}]}",
        "{\"declared\":[{\"name\":\"x\",\"endpoints\":[{\"name\":\"e\",\"subject\":\"a.*\"}]}]}",
        "{\"declared\":[{\"name\":\"x\",\"endpoints\":[{\"name\":\"e\",\"subject\":\"a\","
        "\"metadata\":{\"description\":1}}]}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *j = json_loads(bad[i], 0, NULL);
        err.msg[0] = '\0';
        CHECK(wc_services_settings_parse(j, &s, &err) == WC_EINVAL && strstr(err.msg, "bus.services"),
              "refused: %s (%s)", bad[i], err.msg);
        wc_services_settings_free(&s);
        json_decref(j);
    }
}

/* The example service, run as its own process against ns. */
static pid_t start_inventory(const nats_server *ns)
{
    pid_t pid = fork();
    if (pid == 0) {
        execl(WC_BINARY_DIR "/wasmcap-inventory", "wasmcap-inventory", "--url", ns->url,
              "--id", "inv-1", (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void test_inventory(wc_bus *bus, const nats_server *ns)
{
    pid_t pid = start_inventory(ns);
    CHECK(pid > 0, "wasmcap-inventory starts");
    wc_services_settings s = quick_settings();
    s.window_ms = 200;
    wc_services *svc = NULL;
    wc_error err;
    CHECK(wc_services_start(&s, bus, NULL, NULL, &svc, &err) == 0, "%s", err.msg);
    bool found = false;
    for (int i = 0; i < 50 && !found; i++) /* up to 10 s for it to connect */
        found = wc_services_discover_now(svc);
    CHECK(found, "the inventory service is discovered");
    wc_registry *r = serve(svc, bus);
    char text[1024];
    const json_t *depletion = r ? find_tool(r, "inventory-depletion") : NULL;
    CHECK(depletion && json_object_get(depletion, "outputSchema"),
          "inventory-depletion with its outputSchema");
    CHECK(!call(r, "inventory-stock", "{\"sku\":\"A1\"}", text, sizeof text) &&
          strstr(text, "\"on_hand\":120"), "stock of A1: %s", text);
    CHECK(!call(r, "inventory-depletion", "{\"sku\":\"B7\"}", text, sizeof text) &&
          strstr(text, "\"daily_depletion\":6") && strstr(text, "\"days_of_cover\":2.5"),
          "depletion of B7: %s", text);
    CHECK(call(r, "inventory-stock", "{\"sku\":\"ZZ\"}", text, sizeof text) &&
          strstr(text, "404") && strstr(text, "unknown SKU"), "an unknown SKU: %s", text);
    CHECK(call(r, "inventory-stock", "{\"sku\":\"A1\",\"x\":1}", text, sizeof text) &&
          strstr(text, "invalid arguments"), "its input schema: %s", text);
    /* the rest of the protocol: PING and STATS by name and id */
    wc_bus_msg ping = {.subject = "$SRV.PING.inventory.inv-1"}, *reply = NULL;
    CHECK(wc_bus_request(bus, &ping, 2000, &reply, &err) == 0 && reply &&
          strstr((const char *)reply->data, "io.nats.micro.v1.ping_response"), "PING by id");
    wc_bus_msg_free(reply);
    reply = NULL;
    wc_bus_msg stats = {.subject = "$SRV.STATS.inventory"};
    CHECK(wc_bus_request(bus, &stats, 2000, &reply, &err) == 0 && reply &&
          strstr((const char *)reply->data, "\"num_requests\":2") &&
          strstr((const char *)reply->data, "\"num_errors\":1"),
          "STATS counts the calls: %.*s", reply ? (int)reply->len : 0,
          reply ? (const char *)reply->data : "");
    wc_bus_msg_free(reply);
    wc_registry_release(r);
    kill(pid, SIGTERM);
    int status = -1;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "it stops on SIGTERM: %d", status);
    CHECK(!wc_services_discover_now(svc) && wc_services_discover_now(svc),
          "and vanishes after two rounds");
    wc_services_stop(svc);
}

static void test_nats(void)
{
    nats_server ns;
    CHECK(nats_server_start(&ns, "test_services") == 0, "nats-server starts (is it installed?)");
    if (ns.pid <= 0)
        return;
    wc_bus_config cfg;
    wc_bus_config_init(&cfg);
    cfg.url = ns.url;
    cfg.name = "test_services";
    wc_bus *bus = NULL;
    wc_error err;
    CHECK(wc_bus_open(&cfg, &bus, &err) == 0, "%s", err.msg);
    for (int i = 0; bus && i < 100 && wc_bus_get_state(bus) != WC_BUS_CONNECTED; i++)
        nats_server_sleep_ms(50);
    if (bus) {
        test_discovery_and_calls(bus);
        test_flood(bus);
        test_inventory(bus, &ns);
        wc_bus_close(bus);
    }
    nats_server_stop(&ns);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    test_set_from_infos();
    wc_bus_config cfg;
    wc_bus_config_init(&cfg);
    wc_bus *bus = NULL;
    wc_error err;
    CHECK(wc_bus_open(&cfg, &bus, &err) == 0, "%s", err.msg);
    if (bus) {
        test_discovery_and_calls(bus);
        test_flood(bus);
        test_declared_and_config(bus);
        wc_bus_close(bus);
    }
    test_nats();
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
