/* config.c -- reading the "bus" section (json/reader.h) into a
 * wc_bus_config. */
#include "bus/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/reader.h"

static void read_text(wc_rnode *sec, const char *key, char **slot)
{
    wc_rnode m = wc_rnode_member(sec, key);
    wc_rnode_string(&m, WC_READ_NONEMPTY, slot);
}

static void read_file(wc_rnode *sec, const char *key, char **slot)
{
    wc_rnode m = wc_rnode_member(sec, key);
    wc_rnode_path(&m, WC_READ_NONEMPTY, slot);
}

static void read_ms(wc_rnode *sec, const char *key, uint32_t min, uint32_t max, uint32_t *out)
{
    wc_rnode m = wc_rnode_member(sec, key);
    wc_rnode_ms(&m, min, max, out);
}

static void read_size(wc_rnode *sec, const char *key, uint64_t min, uint64_t max, size_t *out)
{
    wc_rnode m = wc_rnode_member(sec, key);
    uint64_t n;
    if (wc_rnode_size(&m, min, max, &n))
        *out = (size_t)n;
}

static void read_url(wc_rnode *sec, wc_bus_settings *s)
{
    wc_rnode m = wc_rnode_member(sec, "url");
    if (!wc_rnode_string(&m, WC_READ_NONEMPTY, &s->url))
        return;
    if (strcmp(s->url, "inproc") == 0)
        return;
    /* every comma-separated server names its scheme, as libnats expects */
    const char *at = s->url;
    for (;;) {
        while (*at == ' ')
            at++;
        if (strncmp(at, "nats://", 7) != 0 && strncmp(at, "tls://", 6) != 0) {
            wc_rnode_fail(&m, "expected \"inproc\" or NATS server URLs (nats://host:port or "
                              "tls://host:port, comma-separated), not '%s'", s->url);
            return;
        }
        const char *comma = strchr(at, ',');
        if (!comma)
            return;
        at = comma + 1;
    }
}

static void read_reconnect(wc_rnode *sec, wc_bus_config *c)
{
    wc_rnode r = wc_rnode_member(sec, "reconnect");
    if (!wc_rnode_object(&r, NULL))
        return;
    read_ms(&r, "wait_ms", 10, 3600000, &c->reconnect_wait_ms);
    wc_rnode max = wc_rnode_member(&r, "max_attempts");
    long long n;
    if (wc_rnode_int(&max, -1, 1000000000, &n))
        c->max_reconnect = (int)n;
    wc_rnode_done(&r);
}

static void read_section(wc_rnode *sec, wc_bus_settings *s)
{
    wc_bus_config *c = &s->config;
    read_url(sec, s);
    read_text(sec, "name", &s->name);
    read_text(sec, "token", &s->token);
    read_text(sec, "user", &s->user);
    wc_rnode password = wc_rnode_member(sec, "password");
    wc_rnode_string(&password, 0, &s->password);
    read_file(sec, "credentials_file", &s->credentials_file);
    read_file(sec, "tls_ca", &s->tls_ca);
    read_file(sec, "tls_cert", &s->tls_cert);
    read_file(sec, "tls_key", &s->tls_key);
    read_ms(sec, "connect_timeout_ms", 10, 600000, &c->connect_timeout_ms);
    read_ms(sec, "request_timeout_ms", 10, 600000, &c->request_timeout_ms);
    read_reconnect(sec, c);
    wc_rnode msgs = wc_rnode_member(sec, "subscription_max_msgs");
    long long n;
    if (wc_rnode_int(&msgs, 1, 1 << 30, &n))
        c->sub_max_msgs = (uint32_t)n;
    read_size(sec, "subscription_max_bytes", 1024, 1ull << 40, &c->sub_max_bytes);
    read_size(sec, "max_payload", 1024, 64u << 20, &c->max_payload);
    wc_rnode subs = wc_rnode_member(sec, "max_subscriptions");
    if (wc_rnode_int(&subs, 1, 1000000, &n))
        c->max_subscriptions = (size_t)n;
    wc_rnode reqs = wc_rnode_member(sec, "max_requests");
    if (wc_rnode_int(&reqs, 1, 1000000, &n))
        c->max_requests = (size_t)n;
    read_size(sec, "reconnect_buffer", 64u << 10, 1u << 30, &c->reconnect_buffer);
    read_size(sec, "store_max_bytes", 64u << 10, 1ull << 40, &c->store_max_bytes);
    wc_rnode asap = wc_rnode_member(sec, "send_asap");
    wc_rnode_bool(&asap, &c->send_asap);
    /* bus.services is the plugin layer's (plugin/services.h): read there. */
    wc_rnode services = wc_rnode_member(sec, "services");
    (void)services;
    if (!wc_rnode_done(sec))
        return;
    int methods = (s->token != NULL) + (s->user != NULL) + (s->credentials_file != NULL);
    if (methods > 1)
        wc_rnode_fail(sec, "token, user and credentials_file are three ways to authenticate: "
                           "give one");
    else if (s->password && !s->user)
        wc_rnode_fail(&password, "a password needs its user");
    else if ((s->tls_cert != NULL) != (s->tls_key != NULL))
        wc_rnode_fail(sec, "a TLS client certificate needs both tls_cert and tls_key");
}

int wc_bus_settings_parse(const json_t *section, const char *base_dir, wc_bus_settings *s,
                          wc_error *err)
{
    memset(s, 0, sizeof *s);
    wc_bus_config_init(&s->config);
    if (section) {
        wc_reader reader;
        wc_reader_init(&reader, NULL);
        reader.base_dir = base_dir;
        wc_rnode sec = wc_reader_root(&reader, section, "bus");
        if (wc_rnode_object(&sec, NULL))
            read_section(&sec, s);
        int rc = wc_reader_result(&reader, err);
        if (rc != 0) {
            wc_bus_settings_free(s);
            return rc;
        }
    }
    wc_bus_config *c = &s->config;
    c->url = s->url;
    c->name = s->name ? s->name : "wasmcap";
    c->token = s->token;
    c->user = s->user;
    c->password = s->password;
    c->credentials_file = s->credentials_file;
    c->tls_ca = s->tls_ca;
    c->tls_cert = s->tls_cert;
    c->tls_key = s->tls_key;
    return 0;
}

void wc_bus_settings_free(wc_bus_settings *s)
{
    free(s->url);
    free(s->name);
    free(s->token);
    free(s->user);
    free(s->password);
    free(s->credentials_file);
    free(s->tls_ca);
    free(s->tls_cert);
    free(s->tls_key);
    memset(s, 0, sizeof *s);
}
