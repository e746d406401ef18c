/* service_set.c -- info_response objects (ADR-32) read into an immutable
 * set of endpoints, each a tool with its descriptor and compiled schemas. */
#include "plugin/service_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "util/grow.h"
#include "util/log.h"

#define INFO_TYPE "io.nats.micro.v1.info_response"
/* Bytes of a service or endpoint name in a tool name: MCP allows 128 in
 * all, and the suffix that keeps names unique needs a few. */
#define NAME_PART_MAX 60

void wc_services_settings_init(wc_services_settings *s)
{
    *s = (wc_services_settings){
        .discover = true,
        .interval_ms = 5000,
        .window_ms = 300,
        .timeout_ms = 5000,
        .max_services = 64,
        .max_endpoints = 256,
        .max_info_bytes = 64 << 10,
    };
}

void wc_services_settings_free(wc_services_settings *s)
{
    json_decref(s->declared);
    s->declared = NULL;
}

static int read_uint(const json_t *sec, const char *key, uint64_t min, uint64_t max,
                     uint64_t *out, wc_error *err)
{
    const json_t *v = json_object_get(sec, key);
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)min ||
        (uint64_t)json_integer_value(v) > max)
        return wc_error_set(err, WC_EINVAL, "bus.services.%s: expected an integer from %llu to %llu",
                            key, (unsigned long long)min, (unsigned long long)max);
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

int wc_services_settings_parse(const json_t *sec, wc_services_settings *s, wc_error *err)
{
    wc_services_settings_init(s);
    if (!sec)
        return 0;
    if (!json_is_object(sec))
        return wc_error_set(err, WC_EINVAL, "bus.services: expected an object");
    static const char *const keys[] = {"discover",    "interval_ms",   "window_ms",
                                       "timeout_ms",  "max_services",  "max_endpoints",
                                       "max_info_bytes", "declared"};
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)sec, key, v) {
        size_t i = 0;
        while (i < sizeof keys / sizeof keys[0] && strcmp(keys[i], key) != 0)
            i++;
        if (i == sizeof keys / sizeof keys[0])
            return wc_error_set(err, WC_EINVAL, "bus.services: unknown key '%s'", key);
    }
    const json_t *discover = json_object_get(sec, "discover");
    if (discover && !json_is_boolean(discover))
        return wc_error_set(err, WC_EINVAL, "bus.services.discover: expected true or false");
    if (discover)
        s->discover = json_is_true(discover);
    uint64_t n;
    int rc;
#define READ(field, key, min, max)                                                                 \
    n = s->field;                                                                                  \
    if ((rc = read_uint(sec, key, min, max, &n, err)))                                             \
        return rc;                                                                                 \
    s->field = n;
    READ(interval_ms, "interval_ms", 10, 3600000)
    READ(window_ms, "window_ms", 1, 60000)
    READ(timeout_ms, "timeout_ms", 1, 600000)
    READ(max_services, "max_services", 1, 10000)
    READ(max_endpoints, "max_endpoints", 1, 100000)
    READ(max_info_bytes, "max_info_bytes", 256, 16 << 20)
#undef READ
    const json_t *declared = json_object_get(sec, "declared");
    if (declared) {
        if (!json_is_array(declared))
            return wc_error_set(err, WC_EINVAL,
                                "bus.services.declared: expected an array of services "
                                "({\"name\": ..., \"endpoints\": [...]})");
        /* A declared service that would be ignored is a config mistake. */
        size_t i;
        const json_t *info;
        json_array_foreach(declared, i, info) {
            wc_error why;
            if (wc_service_info_check(info, false, &why) != 0)
                return wc_error_set(err, WC_EINVAL, "bus.services.declared[%zu]: %s", i, why.msg);
        }
        s->declared = json_deep_copy(declared);
        if (!s->declared)
            return wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    return 0;
}

static bool is_name(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_'))
            return false;
    return true;
}

int wc_service_info_check(const json_t *info, bool discovered, wc_error *err)
{
    if (!json_is_object(info))
        return wc_error_set(err, WC_EINVAL, "a service's info must be an object");
    const char *type = json_string_value(json_object_get(info, "type"));
    if (discovered && (!type || strcmp(type, INFO_TYPE) != 0))
        return wc_error_set(err, WC_EINVAL, "type is not \"" INFO_TYPE "\"");
    const char *name = json_string_value(json_object_get(info, "name"));
    if (!is_name(name))
        return wc_error_set(err, WC_EINVAL, "name must be letters, digits, '-' and '_'");
    const json_t *eps = json_object_get(info, "endpoints");
    if (eps && !json_is_null(eps) && !json_is_array(eps))
        return wc_error_set(err, WC_EINVAL, "service '%s': endpoints must be an array", name);
    size_t i;
    const json_t *ep;
    json_array_foreach(eps, i, ep) {
        const char *en = json_string_value(json_object_get(ep, "name"));
        const char *subject = json_string_value(json_object_get(ep, "subject"));
        if (!json_is_object(ep) || !en || !*en || !subject)
            return wc_error_set(err, WC_EINVAL,
                                "service '%s': endpoints[%zu] needs a name and a subject", name, i);
        wc_error why;
        if (wc_bus_check_subject(subject, false, &why) != 0)
            return wc_error_set(err, WC_EINVAL, "service '%s' endpoint '%s': %s", name, en,
                                why.msg);
        const json_t *meta = json_object_get(ep, "metadata");
        if (meta && !json_is_null(meta) && !json_is_object(meta))
            return wc_error_set(err, WC_EINVAL, "service '%s' endpoint '%s': metadata must be "
                                "an object of strings", name, en);
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)meta, k, v) {
            if (!json_is_string(v))
                return wc_error_set(err, WC_EINVAL, "service '%s' endpoint '%s': metadata.%s "
                                    "must be a string", name, en, k);
        }
    }
    return 0;
}

/* ---- the set ----------------------------------------------------------- */

static void endpoint_free(wc_service_endpoint *e)
{
    free(e->tool);
    free(e->service);
    free(e->endpoint);
    free(e->subject);
    json_decref(e->descriptor);
    wc_schema_free(e->input);
    wc_schema_free(e->output);
}

wc_service_set *wc_service_set_retain(wc_service_set *set)
{
    atomic_fetch_add_explicit(&set->refs, 1, memory_order_relaxed);
    return set;
}

void wc_service_set_release(wc_service_set *set)
{
    if (!set || atomic_fetch_sub_explicit(&set->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (size_t i = 0; i < set->count; i++)
        endpoint_free(&set->items[i]);
    free(set->items);
    json_decref(set->signature);
    free(set);
}

size_t wc_service_set_count(const wc_service_set *set) { return set ? set->count : 0; }
const wc_service_endpoint *wc_service_set_get(const wc_service_set *set, size_t i)
{
    return &set->items[i];
}
const char *wc_service_endpoint_tool(const wc_service_endpoint *e) { return e->tool; }
const char *wc_service_endpoint_service(const wc_service_endpoint *e) { return e->service; }
const json_t *wc_service_endpoint_descriptor(const wc_service_endpoint *e)
{
    return e->descriptor;
}

/* The part of a tool name a service or endpoint name gives: MCP's tool
 * name characters, others as '_', at most NAME_PART_MAX bytes. */
static void name_part(const char *in, char *out)
{
    size_t n = 0;
    for (; *in && n < NAME_PART_MAX; in++, n++) {
        char c = *in;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        out[n] = ok ? c : '_';
    }
    out[n] = '\0';
}

static bool tool_taken(const wc_service_set *set, const char *name)
{
    for (size_t i = 0; i < set->count; i++)
        if (strcmp(set->items[i].tool, name) == 0)
            return true;
    return false;
}

/* service-endpoint, or service-endpoint-2, -3, ... when sanitizing made
 * two names equal. */
static char *unique_tool_name(const wc_service_set *set, const char *service, const char *endpoint)
{
    char s[NAME_PART_MAX + 1], e[NAME_PART_MAX + 1], name[2 * NAME_PART_MAX + 16];
    name_part(service, s);
    name_part(endpoint, e);
    snprintf(name, sizeof name, "%s-%s", s, e);
    for (size_t k = 2; tool_taken(set, name); k++)
        snprintf(name, sizeof name, "%s-%s-%zu", s, e, k);
    return strdup(name);
}

/* metadata[key] as a schema: NULL and 0 when absent; WC_EINVAL when it is
 * not JSON text of an object or does not compile. */
static int metadata_schema(const json_t *meta, const char *key, json_t **json, wc_schema **out,
                           wc_error *err)
{
    *json = NULL;
    *out = NULL;
    const char *text = json_string_value(json_object_get(meta, key));
    if (!text)
        return 0;
    json_error_t jerr;
    *json = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(*json)) {
        json_decref(*json);
        *json = NULL;
        return wc_error_set(err, WC_EINVAL, "metadata.%s is not the JSON text of an object", key);
    }
    wc_error why;
    *out = wc_schema_compile(*json, &why);
    if (!*out) {
        json_decref(*json);
        *json = NULL;
        return wc_error_set(err, WC_EINVAL, "metadata.%s: %s", key, why.msg);
    }
    return 0;
}

static int add_endpoint(wc_service_set *set, size_t *cap, const json_t *info, const json_t *ep,
                        const wc_services_settings *s, uint64_t *malformed)
{
    const char *service = json_string_value(json_object_get(info, "name"));
    const char *name = json_string_value(json_object_get(ep, "name"));
    const json_t *meta = json_object_get(ep, "metadata");
    json_t *in_json, *out_json;
    wc_schema *in, *out;
    wc_error why;
    if (metadata_schema(meta, "input_schema", &in_json, &in, &why) != 0 ||
        metadata_schema(meta, "output_schema", &out_json, &out, &why) != 0) {
        wc_schema_free(in);
        json_decref(in_json);
        wc_log(WC_LOG_WARNING, "services", "service '%s' endpoint '%s' left out: %s", service,
               name, why.msg);
        (*malformed)++;
        return 0;
    }
    if (!wc_grow((void **)&set->items, cap, set->count + 1, sizeof *set->items))
        goto nomem;
    wc_service_endpoint *e = &set->items[set->count];
    *e = (wc_service_endpoint){
        .tool = unique_tool_name(set, service, name),
        .service = strdup(service),
        .endpoint = strdup(name),
        .subject = strdup(json_string_value(json_object_get(ep, "subject"))),
        .input = in,
        .output = out,
        .timeout_ms = s->timeout_ms,
    };
    const char *description = json_string_value(json_object_get(meta, "description"));
    if (!description || !*description)
        description = json_string_value(json_object_get(info, "description"));
    e->descriptor = json_pack("{s:s?,s:o}", "name", e->tool, "inputSchema",
                              in_json ? in_json : json_pack("{s:s}", "type", "object"));
    /* MCP's description is a string when there is one, never null. */
    if (e->descriptor && description && *description)
        json_object_set_new(e->descriptor, "description", json_string(description));
    if (e->descriptor && out_json)
        json_object_set_new(e->descriptor, "outputSchema", out_json);
    else
        json_decref(out_json);
    set->count++;
    if (!e->tool || !e->service || !e->endpoint || !e->subject || !e->descriptor)
        return WC_ENOMEM;
    return 0;
nomem:
    wc_schema_free(in);
    wc_schema_free(out);
    json_decref(in_json);
    json_decref(out_json);
    return WC_ENOMEM;
}

int wc_service_set_build(const json_t *infos, const wc_services_settings *s, wc_service_set **out,
                         uint64_t *malformed, uint64_t *dropped, wc_error *err)
{
    *out = NULL;
    wc_service_set *set = calloc(1, sizeof *set);
    if (!set)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    atomic_init(&set->refs, 1);
    set->signature = json_array();
    json_t *names = json_object();
    size_t cap = 0;
    int rc = set->signature && names ? 0 : WC_ENOMEM;
    size_t i;
    const json_t *info;
    json_array_foreach(infos, i, info) {
        if (rc)
            break;
        /* Instances of one service share its endpoints: the first speaks. */
        const char *service = json_string_value(json_object_get(info, "name"));
        if (!service || json_object_get(names, service))
            continue;
        if (json_object_size(names) >= s->max_services) {
            (*dropped)++;
            continue;
        }
        json_object_set_new(names, service, json_true());
        size_t j;
        const json_t *ep;
        json_array_foreach(json_object_get(info, "endpoints"), j, ep) {
            if (set->count >= s->max_endpoints) {
                (*dropped)++;
                continue;
            }
            if ((rc = add_endpoint(set, &cap, info, ep, s, malformed)))
                break;
        }
    }
    set->services = json_object_size(names);
    json_decref(names);
    for (size_t k = 0; !rc && k < set->count; k++) {
        const wc_service_endpoint *e = &set->items[k];
        if (json_array_append_new(set->signature,
                                  json_pack("[s,s,O]", e->subject, e->service, e->descriptor)))
            rc = WC_ENOMEM;
    }
    if (rc) {
        wc_service_set_release(set);
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    *out = set;
    return 0;
}

int wc_service_set_from_infos(const json_t *infos, const wc_services_settings *s,
                              wc_service_set **out, uint64_t *malformed, wc_error *err)
{
    uint64_t bad = 0, dropped = 0;
    json_t *valid = json_array();
    if (!valid)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    size_t i;
    const json_t *info;
    json_array_foreach(infos, i, info) {
        if (wc_service_info_check(info, false, NULL) == 0)
            json_array_append(valid, (json_t *)info);
        else
            bad++;
    }
    int rc = wc_service_set_build(valid, s, out, &bad, &dropped, err);
    json_decref(valid);
    if (malformed)
        *malformed = bad;
    return rc;
}

bool wc_service_set_same(const wc_service_set *a, const wc_service_set *b)
{
    return a && b && json_equal(a->signature, b->signature);
}
