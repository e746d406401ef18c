/* test_check_services.c -- `wasmcap check` includes the backend services
 * on the config's bus: a nats-server and the example inventory service
 * (services/inventory, whose schemas keep to the ontology) started here
 * pass; a second service on the same server, served from this test, whose
 * endpoint's outputSchema widens the ontology's stockout_probability fails
 * the check with a line naming the service, its tool, the pointer and the
 * rule; a bus that does not connect is a warning, and the plugins are
 * still checked. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus/bus.h"
#include "util/fs.h"
#include "util/process.h"

#include "check.h"
#include "inventory_process.h"
#include "nats_server.h"

static char dir[512];

/* Runs `wasmcap check --config PATH` with extra (may be NULL); the exit
 * status, and stdout and stderr in out. */
static int run_check(const char *config, const char *extra, char *out, size_t size)
{
    char *argv[] = {WC_BINARY_DIR "/wasmcap", "check", "--config", (char *)config, (char *)extra, NULL};
    return wc_run_process(argv, out, size, NULL);
}

static bool write_config(const char *name, const char *url, char *path, size_t size)
{
    snprintf(path, size, "%s/%s.json", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    fprintf(f,
            "{\"ontology\": \"%s/ontology\","
            " \"bus\": {\"url\": \"%s\", \"connect_timeout_ms\": 2000,"
            "          \"services\": {\"window_ms\": 500}},"
            " \"plugins\": {\"hello\": {\"path\": \"%s/plugins/hello/hello.wasm\"}}}",
            WC_SOURCE_DIR, url, WC_SOURCE_DIR);
    return fclose(f) == 0;
}

/* A service "forecast" whose one endpoint answers a risk with a
 * stockout_probability that may be any number: wider than the ontology's
 * RiskScore (0 to 1). */
static void on_info(void *ctx, const wc_bus_msg *msg)
{
    wc_bus *bus = ctx;
    static const char info[] =
        "{\"type\":\"io.nats.micro.v1.info_response\",\"name\":\"forecast\",\"id\":\"f-1\","
        "\"version\":\"1.0.0\",\"description\":\"drifting\",\"metadata\":{},\"endpoints\":[{"
        "\"name\":\"risk\",\"subject\":\"forecast.risk\",\"queue_group\":\"q\",\"metadata\":{"
        "\"description\":\"risk of a SKU\","
        "\"output_schema\":\"{\\\"type\\\":\\\"object\\\",\\\"properties\\\":{"
        "\\\"stockout_probability\\\":{\\\"type\\\":\\\"number\\\"}}}\"}}]}";
    if (msg->reply)
        wc_bus_publish(bus, &(wc_bus_msg){.subject = msg->reply, .data = info, .len = sizeof info - 1});
}

int main(void)
{
    if (wc_make_temp_dir(dir, sizeof dir, "wasmcap-test-check-services") != 0) {
        printf("FAIL: no temp dir\n");
        return 1;
    }
    static char out[1 << 16];
    char config[700];

    /* no server on the bus: a warning, the plugins still checked */
    int closed = nats_server_free_port();
    char url[64];
    snprintf(url, sizeof url, "nats://127.0.0.1:%d", closed);
    CHECK(write_config("down", url, config, sizeof config), "config");
    int rc = run_check(config, NULL, out, sizeof out);
    CHECK(rc == 0 && strstr(out, "warning: bus: -: /: services: the bus at nats://127.0.0.1:") &&
              strstr(out, "did not connect within 2000 ms: its services are not checked") &&
              strstr(out, "1 plugin(s), 0 service(s)"),
          "bus down (%d): %s", rc, out);

    nats_server ns;
    if (nats_server_start(&ns, "check-services") != 0) {
        printf("FAIL: nats-server did not start\n");
        return 1;
    }
    pid_t inventory = inventory_start(ns.url);
    CHECK(inventory > 0, "wasmcap-inventory starts");
    CHECK(write_config("up", ns.url, config, sizeof config), "config");
    /* the inventory agrees with the ontology (it may take a moment to connect) */
    for (int i = 0; i < 50; i++) {
        rc = run_check(config, NULL, out, sizeof out);
        if (strstr(out, "1 service(s)"))
            break;
        nats_server_sleep_ms(200);
    }
    CHECK(rc == 0 && strstr(out, "1 plugin(s), 1 service(s)") && strstr(out, "0 error(s)"),
          "the inventory service (%d): %s", rc, out);

    /* a drifting service beside it */
    wc_bus_config cfg;
    wc_bus_config_init(&cfg);
    cfg.url = ns.url;
    wc_bus *bus = NULL;
    wc_bus_sub *subs[2] = {0};
    wc_error err = {0};
    CHECK(wc_bus_open(&cfg, &bus, &err) == 0, "bus: %s", err.msg);
    for (int i = 0; bus && i < 200 && wc_bus_get_state(bus) != WC_BUS_CONNECTED; i++)
        nats_server_sleep_ms(10);
    CHECK(bus && wc_bus_subscribe(bus, "$SRV.INFO", NULL, on_info, bus, &subs[0]) == 0 &&
              wc_bus_subscribe(bus, "$SRV.INFO.forecast", NULL, on_info, bus, &subs[1]) == 0,
          "the drifting service serves");
    nats_server_sleep_ms(100);
    rc = run_check(config, NULL, out, sizeof out);
    CHECK(rc == 1 &&
              strstr(out, "error: service:forecast: forecast-risk: "
                          "/tools/0/outputSchema/properties/stockout_probability: output-widens: ") &&
              strstr(out, "1 plugin(s), 2 service(s)") && !strstr(out, "service:inventory"),
          "drift named (%d): %s", rc, out);
    rc = run_check(config, "--json", out, sizeof out);
    CHECK(rc == 1 && strstr(out, "\"plugin\": \"service:forecast\"") && strstr(out, "\"tool\": \"forecast-risk\"") &&
              strstr(out, "\"rule\": \"output-widens\""),
          "--json (%d): %s", rc, out);
    for (int i = 0; i < 2; i++)
        if (subs[i])
            wc_bus_unsubscribe(subs[i]);
    if (bus)
        wc_bus_close(bus);

    inventory_stop(inventory);
    nats_server_stop(&ns);
    wc_remove_dir(dir);
    if (failures) {
        printf("test_check_services: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test_check_services: all %d checks passed\n", checks);
    return 0;
}
