/* http_config.c -- reading the "http" section into wc_http_options (json/reader.h). */
#include "transport/http_config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/reader.h"

int wc_http_parse_listen(const char *text, char *host, size_t host_size, char *port,
                         size_t port_size, wc_error *err)
{
    const char *colon = NULL;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':')
            return wc_error_set(err, WC_EINVAL, "'%s': expected [address]:port", text);
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
    if (!*p || *end || v < 0 || v > 65535 || !host[0])
        return wc_error_set(err, WC_EINVAL,
                            "'%s': expected host:port with a port from 0 to 65535", text);
    snprintf(port, port_size, "%ld", v);
    return 0;
}

/* An integer member of sec in [min, max] into field (of any integer type). */
#define COUNT(sec, key, min, max, field)                                                       \
    do {                                                                                       \
        long long n_;                                                                          \
        wc_rnode m_ = wc_rnode_member(sec, key);                                               \
        if (wc_rnode_int(&m_, min, max, &n_))                                                  \
            field = n_;                                                                        \
    } while (0)

/* A duration member of sec in [min, max] milliseconds into field. */
#define MILLISECONDS(sec, key, min, max, field)                                                \
    do {                                                                                       \
        uint32_t ms_;                                                                          \
        wc_rnode m_ = wc_rnode_member(sec, key);                                               \
        if (wc_rnode_ms(&m_, min, max, &ms_))                                                  \
            field = (int)ms_;                                                                  \
    } while (0)

/* A boolean member of sec that turns off what field turns on. */
static void read_enabled(wc_rnode *sec, const char *key, bool *disabled)
{
    wc_rnode m = wc_rnode_member(sec, key);
    bool on;
    if (wc_rnode_bool(&m, &on))
        *disabled = !on;
}

static void read_listen(wc_rnode *sec, wc_http_config *c)
{
    wc_rnode m = wc_rnode_member(sec, "listen");
    const char *text;
    if (!wc_rnode_text(&m, 0, &text))
        return;
    wc_error why;
    if (wc_http_parse_listen(text, c->host, sizeof c->host, c->port, sizeof c->port, &why) != 0) {
        wc_rnode_fail(&m, "%s", why.msg);
        return;
    }
    c->options.host = c->host;
    c->options.port = c->port;
    c->enabled = true;
}

/* 0 would read as "the default" to wc_http_server_new: refused. */
static void read_client_bytes(wc_rnode *sec, wc_http_options *o)
{
    const long long max = 1ll << 40;
    wc_rnode m = wc_rnode_member(sec, "max_client_bytes");
    if (!wc_rnode_present(&m))
        return;
    long long n = json_is_integer(m.json) ? json_integer_value(m.json) : 0;
    if (json_is_integer(m.json) && (n == -1 || (n >= 65536 && n <= max)))
        o->max_client_bytes = n;
    else
        wc_rnode_fail(&m, "expected -1 (no limit) or an integer from 65536 to %lld", max);
}

static void read_section(wc_rnode *sec, wc_http_config *c)
{
    wc_http_options *o = &c->options;
    read_listen(sec, c);
    wc_rnode endpoint = wc_rnode_member(sec, "endpoint");
    wc_rnode cert = wc_rnode_member(sec, "tls_cert");
    wc_rnode key = wc_rnode_member(sec, "tls_key");
    wc_rnode_text(&endpoint, WC_READ_NONEMPTY, &o->endpoint);
    wc_rnode_text(&cert, WC_READ_NONEMPTY, &o->tls_cert);
    wc_rnode_text(&key, WC_READ_NONEMPTY, &o->tls_key);
    wc_rnode origins = wc_rnode_member(sec, "allowed_origins");
    wc_rnode hosts = wc_rnode_member(sec, "allowed_hosts");
    wc_rnode_texts(&origins, WC_READ_NONEMPTY, &c->origins, &o->nallowed_origins);
    wc_rnode_texts(&hosts, WC_READ_NONEMPTY, &c->hosts, &o->nallowed_hosts);
    COUNT(sec, "max_body_bytes", 1024, 1ll << 30, o->limits.max_body_bytes);
    COUNT(sec, "max_header_bytes", 1024, 1 << 20, o->limits.max_head_bytes);
    MILLISECONDS(sec, "header_timeout_ms", 100, 3600000, o->limits.head_timeout_ms);
    MILLISECONDS(sec, "body_timeout_ms", 100, 3600000, o->limits.body_timeout_ms);
    MILLISECONDS(sec, "idle_timeout_ms", 100, 86400000, o->limits.idle_timeout_ms);
    MILLISECONDS(sec, "write_timeout_ms", 100, 3600000, o->limits.write_timeout_ms);
    COUNT(sec, "max_pending_output", 4096, 1ll << 30, o->limits.max_pending_output);
    COUNT(sec, "max_connections", 1, 10000000, o->limits.max_connections);
    COUNT(sec, "max_connections_per_client", 1, 10000000, o->limits.max_connections_per_client);
    COUNT(sec, "max_sessions", 1, 10000000, o->max_sessions);
    COUNT(sec, "max_sessions_per_client", 1, 10000000, o->max_sessions_per_client);
    COUNT(sec, "max_sessions_per_principal", 1, 10000000, o->max_sessions_per_principal);
    COUNT(sec, "max_streams_per_session", 1, 100000, o->max_streams_per_session);
    read_client_bytes(sec, o);
    MILLISECONDS(sec, "session_idle_ms", 1000, 7 * 86400000u, o->session_idle_ms);
    COUNT(sec, "sse_retry_ms", -1, 3600000, o->sse_retry_ms);
    MILLISECONDS(sec, "cluster_lost_call_ms", 100, 86400000, o->cluster_lost_call_ms);
    COUNT(sec, "inline_budget_ms", -1, 1000, o->inline_budget_ms);
    COUNT(sec, "sse_log_events", 1, 1000000, o->sse_log_events);
    COUNT(sec, "sse_log_bytes", 1024, 1ll << 30, o->sse_log_bytes);
    COUNT(sec, "sse_keep_finished", 1, 100000, o->sse_keep_finished);
    read_enabled(sec, "get_stream", &o->no_get_stream);
    read_enabled(sec, "legacy_sse", &o->no_legacy_sse);
    if (wc_rnode_done(sec) && (o->tls_cert != NULL) != (o->tls_key != NULL))
        wc_rnode_fail(o->tls_cert ? &key : &cert, "TLS needs both tls_cert and tls_key");
}

int wc_http_config_parse(const json_t *section, wc_http_config *c, wc_error *err)
{
    memset(c, 0, sizeof *c);
    wc_http_options_default(&c->options);
    if (!section)
        return 0;
    wc_reader reader;
    wc_reader_init(&reader, NULL);
    wc_rnode sec = wc_reader_root(&reader, section, "http");
    if (wc_rnode_object(&sec, NULL))
        read_section(&sec, c);
    c->options.allowed_origins = c->origins;
    c->options.allowed_hosts = c->hosts;
    int rc = wc_reader_result(&reader, err);
    if (rc != 0)
        wc_http_config_free(c);
    return rc;
}

void wc_http_config_free(wc_http_config *c)
{
    free(c->origins);
    free(c->hosts);
    c->origins = c->hosts = NULL;
}
