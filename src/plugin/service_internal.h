/* service_internal.h -- what the services' files share inside the plugin
 * layer: the set's and an endpoint's insides. */
#ifndef WC_PLUGIN_SERVICE_INTERNAL_H
#define WC_PLUGIN_SERVICE_INTERNAL_H

#include <stdatomic.h>

#include "json/schema.h"
#include "plugin/services.h"

struct wc_service_endpoint {
    char *tool;         /* exposed name, unique in the set */
    char *service;      /* the service's name */
    char *endpoint;     /* the endpoint's name */
    char *subject;      /* where calls are sent */
    json_t *descriptor; /* the Tool object */
    wc_schema *input;   /* NULL: any object */
    wc_schema *output;  /* NULL: any JSON */
    uint32_t timeout_ms;
};

struct wc_service_set {
    atomic_int refs;
    wc_service_endpoint *items;
    size_t count;
    size_t services;
    json_t *signature; /* what two sets compare to tell a change */
};

/* 0 when info is an info_response wasmcap can use (discovered: its type
 * must say so; declared ones may leave type and id out), else WC_EINVAL
 * and why in err (may be NULL). */
int wc_service_info_check(const json_t *info, bool discovered, wc_error *err);
/* A set of the services of infos (checked already), past the caps counted
 * into *dropped, endpoints with bad schemas into *malformed. */
int wc_service_set_build(const json_t *infos, const wc_services_settings *s, wc_service_set **out,
                         uint64_t *malformed, uint64_t *dropped, wc_error *err);
/* Whether two sets offer the same tools on the same subjects. */
bool wc_service_set_same(const wc_service_set *a, const wc_service_set *b);

#endif
