/* service_check.c -- the services on a config's bus as manifests for the
 * ontology check.  One discovery round on a bus opened for the purpose:
 * `wasmcap check` runs before (or beside) any server, so it asks the bus
 * itself what answers there now. */
#include "cli/service_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus/bus.h"
#include "bus/config.h"
#include "plugin/services.h"
#include "util/clock.h"

/* The config file's directory, where the bus section's paths start. */
static void base_dir(const wc_config *config, char *dir, size_t size)
{
    snprintf(dir, size, "%s", config->path ? config->path : "./x");
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = 0;
    else if (slash)
        *slash = 0;
    else
        snprintf(dir, size, ".");
}

/* Waits (polling: the bus has no connection callback for its users) until
 * bus is connected or timeout_ms passed. */
static bool wait_connected(wc_bus *bus, uint32_t timeout_ms)
{
    uint64_t deadline = wc_monotonic_ms() + timeout_ms;
    while (wc_bus_get_state(bus) != WC_BUS_CONNECTED) {
        if (wc_monotonic_ms() >= deadline || wc_bus_get_state(bus) == WC_BUS_CLOSED)
            return false;
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000000}, NULL);
    }
    return true;
}

/* The set's endpoints as one manifest per service, in the set's order. */
static int manifests_of(const wc_service_set *set, wc_checked_manifest **list, size_t *count)
{
    json_t *by_service = json_object();
    if (!by_service)
        return WC_ENOMEM;
    int rc = 0;
    for (size_t i = 0; !rc && i < wc_service_set_count(set); i++) {
        const wc_service_endpoint *e = wc_service_set_get(set, i);
        const char *service = wc_service_endpoint_service(e);
        json_t *doc = json_object_get(by_service, service);
        if (!doc && (!(doc = json_pack("{s:s, s:[]}", "name", service, "tools")) ||
                     json_object_set_new(by_service, service, doc))) {
            rc = WC_ENOMEM;
            break;
        }
        const json_t *tool = wc_service_endpoint_descriptor(e);
        json_t *copy = json_pack("{s:s}", "name", wc_service_endpoint_tool(e));
        static const char *const keys[] = {"description", "inputSchema", "outputSchema"};
        for (size_t k = 0; copy && k < 3; k++) {
            json_t *v = json_object_get(tool, keys[k]);
            if (v && json_object_set(copy, keys[k], v))
                json_decref(copy), copy = NULL;
        }
        if (!copy || json_array_append_new(json_object_get(doc, "tools"), copy))
            rc = WC_ENOMEM;
    }
    size_t n = json_object_size(by_service);
    *list = rc ? NULL : calloc(n ? n : 1, sizeof **list);
    *count = 0;
    const char *name;
    json_t *doc;
    json_object_foreach(by_service, name, doc) {
        if (!*list)
            break;
        size_t len = strlen(name) + sizeof "service:";
        char *label = malloc(len);
        if (!label) {
            rc = WC_ENOMEM;
            break;
        }
        snprintf(label, len, "service:%s", name);
        (*list)[(*count)++] = (wc_checked_manifest){label, json_incref(doc)};
    }
    json_decref(by_service);
    return *list ? rc : WC_ENOMEM;
}

int wc_service_manifests(const wc_config *config, wc_checked_manifest **list, size_t *count,
                         wc_findings *out, wc_error *err)
{
    *list = NULL;
    *count = 0;
    const char *url = json_string_value(json_object_get(config->bus, "url"));
    if (!url || !*url || strcmp(url, "inproc") == 0)
        return 0; /* an in-process bus has no services but the server's own */
    char dir[4096];
    base_dir(config, dir, sizeof dir);
    wc_bus_settings settings;
    wc_services_settings services;
    wc_error why = {0};
    if (wc_bus_settings_parse(config->bus, dir, &settings, &why) != 0)
        return wc_error_set(err, WC_EINVAL, "bus: %s", wc_error_message(&why));
    if (wc_services_settings_parse(json_object_get(config->bus, "services"), &services, &why) != 0) {
        wc_bus_settings_free(&settings);
        return wc_error_set(err, WC_EINVAL, "bus.services: %s", wc_error_message(&why));
    }
    services.discover = false; /* one round, here, not a thread */
    wc_bus *bus = NULL;
    wc_services *svc = NULL;
    int rc = wc_bus_open(&settings.config, &bus, &why);
    if (rc == 0 && !wait_connected(bus, settings.config.connect_timeout_ms)) {
        wc_findings_add(out, WC_FINDING_WARNING, "bus", NULL, "", "services",
                        "the bus at %s did not connect within %u ms: its services are not checked",
                        url, settings.config.connect_timeout_ms);
    } else if (rc == 0 && (rc = wc_services_start(&services, bus, NULL, NULL, &svc, &why)) == 0) {
        wc_services_discover_now(svc);
        wc_service_set *set = wc_services_current(svc);
        rc = manifests_of(set, list, count);
        wc_service_set_release(set);
        wc_services_stats st;
        wc_services_get_stats(svc, &st);
        if (!rc && (st.malformed || st.dropped))
            wc_findings_add(out, WC_FINDING_WARNING, "bus", NULL, "", "services",
                            "discovery left out %llu malformed and %llu dropped replies or endpoints",
                            (unsigned long long)st.malformed, (unsigned long long)st.dropped);
        if (rc)
            wc_error_set(err, rc, "out of memory");
    } else if (rc) {
        wc_error_set(err, rc, "bus: %s", wc_error_message(&why));
    }
    if (svc)
        wc_services_stop(svc);
    if (bus)
        wc_bus_close(bus);
    wc_services_settings_free(&services);
    wc_bus_settings_free(&settings);
    return rc;
}

void wc_service_manifests_free(wc_checked_manifest *list, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free((char *)list[i].plugin);
        json_decref((json_t *)list[i].manifest);
    }
    free(list);
}
