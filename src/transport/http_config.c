/* http_config.c -- reading the "http" section into wc_http_options. */
#include "transport/http_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int wc_http_parse_listen(const char *text, char *host, size_t host_size, char *port,
                         size_t port_size, char *err, size_t err_size)
{
    const char *colon = NULL;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':') {
            snprintf(err, err_size, "'%s': expected [address]:port", text);
            return -1;
        }
        snprintf(host, host_size, "%.*s", (int)(close - text - 1), text + 1);
        colon = close + 1;
    } else if ((colon = strrchr(text, ':')) != NULL) {
        snprintf(host, host_size, "%.*s", (int)(colon - text), text);
    } else {
        snprintf(host, host_size, "127.0.0.1");
    }
    const char *p = colon ? colon + 1 : text;
    char *end;
    long v = strtol(p, &end, 10);
    if (!*p || *end || v < 0 || v > 65535 || !host[0]) {
        snprintf(err, err_size, "'%s': expected host:port with a port from 0 to 65535", text);
        return -1;
    }
    snprintf(port, port_size, "%ld", v);
    return 0;
}

static int fail(char *err, size_t err_size, const char *key, const char *what)
{
    snprintf(err, err_size, "http.%s: %s", key, what);
    return -1;
}

static int get_count(const json_t *v, const char *key, long long min, long long max,
                     long long *out, char *err, size_t err_size)
{
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        char what[96];
        snprintf(what, sizeof what, "expected an integer from %lld to %lld", min, max);
        return fail(err, err_size, key, what);
    }
    *out = json_integer_value(v);
    return 0;
}

static int get_list(const json_t *v, const char *key, const char ***out, size_t *n, char *err,
                    size_t err_size)
{
    if (!json_is_array(v))
        return fail(err, err_size, key, "expected an array of strings");
    free(*out);
    *out = calloc(json_array_size(v) + 1, sizeof **out);
    if (!*out)
        return fail(err, err_size, key, "out of memory");
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *item = json_array_get(v, i);
        if (!json_is_string(item) || !json_string_length(item))
            return fail(err, err_size, key, "expected an array of non-empty strings");
        (*out)[i] = json_string_value(item);
    }
    *n = json_array_size(v);
    return 0;
}

int wc_http_config_parse(const json_t *section, wc_http_config *c, char *err, size_t err_size)
{
    memset(c, 0, sizeof *c);
    wc_http_options_default(&c->options);
    wc_http_options *o = &c->options;
    if (!section)
        return 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)section, key, v) {
        long long n = 0;
        int rc = 0;
#define COUNT(name, min, max, field)                                                           \
    else if (strcmp(key, name) == 0) {                                                         \
        rc = get_count(v, key, min, max, &n, err, err_size);                                   \
        field = n;                                                                             \
    }
#define STRING(name, field)                                                                    \
    else if (strcmp(key, name) == 0) {                                                         \
        if (!json_is_string(v) || !json_string_length(v))                                      \
            rc = fail(err, err_size, key, "expected a non-empty string");                      \
        else                                                                                   \
            field = json_string_value(v);                                                      \
    }
#define FLAG(name, field, invert)                                                              \
    else if (strcmp(key, name) == 0) {                                                         \
        if (!json_is_boolean(v))                                                               \
            rc = fail(err, err_size, key, "expected true or false");                           \
        else                                                                                   \
            field = invert ? !json_is_true(v) : json_is_true(v);                               \
    }
        if (strcmp(key, "listen") == 0) {
            if (!json_is_string(v))
                rc = fail(err, err_size, key, "expected \"host:port\"");
            else if (wc_http_parse_listen(json_string_value(v), c->host, sizeof c->host, c->port,
                                          sizeof c->port, err, err_size) == 0) {
                o->host = c->host;
                o->port = c->port;
                c->enabled = true;
            } else {
                char why[256];
                snprintf(why, sizeof why, "%s", err);
                rc = fail(err, err_size, key, why);
            }
        }
        STRING("endpoint", o->endpoint)
        STRING("tls_cert", o->tls_cert)
        STRING("tls_key", o->tls_key)
        else if (strcmp(key, "allowed_origins") == 0)
            rc = get_list(v, key, &c->origins, &o->nallowed_origins, err, err_size);
        else if (strcmp(key, "allowed_hosts") == 0)
            rc = get_list(v, key, &c->hosts, &o->nallowed_hosts, err, err_size);
        COUNT("max_body_bytes", 1024, 1ll << 30, o->limits.max_body_bytes)
        COUNT("max_header_bytes", 1024, 1 << 20, o->limits.max_head_bytes)
        COUNT("header_timeout_ms", 100, 3600000, o->limits.head_timeout_ms)
        COUNT("body_timeout_ms", 100, 3600000, o->limits.body_timeout_ms)
        COUNT("idle_timeout_ms", 100, 86400000, o->limits.idle_timeout_ms)
        COUNT("write_timeout_ms", 100, 3600000, o->limits.write_timeout_ms)
        COUNT("max_pending_output", 4096, 1ll << 30, o->limits.max_pending_output)
        COUNT("max_connections", 1, 10000000, o->limits.max_connections)
        COUNT("max_connections_per_client", 1, 10000000, o->limits.max_connections_per_client)
        COUNT("max_sessions", 1, 10000000, o->max_sessions)
        COUNT("max_sessions_per_client", 1, 10000000, o->max_sessions_per_client)
        COUNT("max_sessions_per_principal", 1, 10000000, o->max_sessions_per_principal)
        COUNT("max_streams_per_session", 1, 100000, o->max_streams_per_session)
        else if (strcmp(key, "max_client_bytes") == 0) {
            /* 0 would read as "the default" to wc_http_server_new: refuse it */
            if (json_is_integer(v) && json_integer_value(v) == -1)
                o->max_client_bytes = -1;
            else if ((rc = get_count(v, key, 65536, 1ll << 40, &n, err, err_size)) == 0)
                o->max_client_bytes = n;
            else
                snprintf(err, err_size, "http.max_client_bytes: expected -1 (no limit) or an "
                         "integer from 65536 to %lld", 1ll << 40);
        }
        COUNT("session_idle_ms", 1000, 7 * 86400000ll, o->session_idle_ms)
        COUNT("sse_retry_ms", -1, 3600000, o->sse_retry_ms)
        COUNT("inline_budget_ms", -1, 1000, o->inline_budget_ms)
        COUNT("sse_log_events", 1, 1000000, o->sse_log_events)
        COUNT("sse_log_bytes", 1024, 1ll << 30, o->sse_log_bytes)
        COUNT("sse_keep_finished", 1, 100000, o->sse_keep_finished)
        FLAG("get_stream", o->no_get_stream, true)
        FLAG("legacy_sse", o->no_legacy_sse, true)
        else
            rc = fail(err, err_size, key, "unknown key (see docs/CONFIG.md, \"http\")");
#undef COUNT
#undef STRING
#undef FLAG
        if (rc) {
            wc_http_config_free(c);
            return -1;
        }
    }
    o->allowed_origins = c->origins;
    o->allowed_hosts = c->hosts;
    if ((o->tls_cert != NULL) != (o->tls_key != NULL)) {
        wc_http_config_free(c);
        return fail(err, err_size, o->tls_cert ? "tls_key" : "tls_cert",
                    "TLS needs both tls_cert and tls_key");
    }
    return 0;
}

void wc_http_config_free(wc_http_config *c)
{
    free(c->origins);
    free(c->hosts);
    c->origins = c->hosts = NULL;
}
