/* nats.c -- the bus on a NATS server through libnats: the connection and
 * its reconnect policy, publish, subscribe, request.
 *
 * libnats does the heavy lifting: each asynchronous subscription has its
 * own delivery thread and pending limits (dropping and counting past them),
 * reconnection resubscribes, publishes made while disconnected wait in the
 * reconnect buffer, and requests share one reply-inbox subscription.  What
 * this file adds: the state the rest of the server reports (/healthz,
 * /metrics), requests that fail at once while disconnected, and an
 * unsubscribe that returns only when the handler is done with its
 * context (libnats's on-complete callback). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus/nats_bus.h"
#include "util/clock.h"
#include "util/log.h"

struct nats_sub {
    wc_bus_sub base;
    nats_bus *owner;
    natsSubscription *sub;
    wc_bus_handler handler;
    void *ctx;
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    bool done;      /* libnats called on_complete: the handler will not run again */
    bool self_free; /* ended from its own handler: on_complete frees it */
    nats_sub *next;
};

static const wc_bus_ops nats_ops;

static __thread nats_sub *running_sub;

int wc_bus_nats_code(natsStatus s)
{
    switch (s) {
    case NATS_OK: return 0;
    case NATS_TIMEOUT: return WC_ETIMEDOUT;
    case NATS_NO_RESPONDERS: return WC_ENORESPONDERS;
    case NATS_NO_MEMORY: return WC_ENOMEM;
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NOT_YET_CONNECTED:
    case NATS_STALE_CONNECTION:
        return WC_ENOTCONN;
    case NATS_INSUFFICIENT_BUFFER:
    case NATS_SLOW_CONSUMER:
        return WC_EAGAIN;
    case NATS_MAX_PAYLOAD: return WC_ETOOBIG;
    case NATS_INVALID_SUBJECT:
    case NATS_INVALID_ARG:
    case NATS_INVALID_QUEUE_NAME:
        return WC_EINVAL;
    case NATS_NOT_FOUND: return WC_ENOTFOUND;
    case NATS_DRAINING:
    case NATS_INVALID_SUBSCRIPTION:
        return WC_ECANCELED;
    case NATS_NOT_PERMITTED: return WC_EPERM;
    case NATS_SSL_ERROR: return WC_EACCES;
    default: return WC_EIO;
    }
}

int wc_bus_nats_error(wc_error *err, natsStatus s, const char *what)
{
    natsStatus last;
    const char *detail = nats_GetLastError(&last);
    if (detail && detail[0] && last == s)
        return wc_error_set(err, wc_bus_nats_code(s), "%s: %s (%s)", what, natsStatus_GetText(s),
                            detail);
    return wc_error_set(err, wc_bus_nats_code(s), "%s: %s", what, natsStatus_GetText(s));
}

int wc_bus_nats_connected(nats_bus *bus, wc_error *err)
{
    if (atomic_load(&bus->state) == WC_BUS_CONNECTED)
        return 0;
    return wc_error_set(err, WC_ENOTCONN, "bus unavailable: the NATS connection is %s",
                        wc_bus_state_name(atomic_load(&bus->state)));
}

/* --- connection state --- */

static void set_state(natsConnection *nc, nats_bus *bus, wc_bus_state state, const char *event)
{
    atomic_store(&bus->state, state);
    char url[256] = "";
    natsConnection_GetConnectedUrl(nc, url, sizeof url);
    /* losing the server is news; our own close is not */
    bool news = state != WC_BUS_CONNECTED && !atomic_load(&bus->closing);
    wc_log(news ? WC_LOG_WARNING : WC_LOG_INFO, "bus", "NATS %s%s%s", event, url[0] ? " " : "",
           url);
}

static void on_connected(natsConnection *nc, void *closure)
{
    set_state(nc, closure, WC_BUS_CONNECTED, "connected");
}

static void on_disconnected(natsConnection *nc, void *closure)
{
    nats_bus *bus = closure;
    /* a closed connection also reports a disconnection first */
    if (atomic_load(&bus->state) != WC_BUS_CLOSED)
        set_state(nc, bus, WC_BUS_DISCONNECTED, "disconnected");
}

static void on_reconnected(natsConnection *nc, void *closure)
{
    nats_bus *bus = closure;
    atomic_fetch_add(&bus->base.reconnects, 1);
    set_state(nc, bus, WC_BUS_CONNECTED, "reconnected");
}

/* The last callback libnats makes for a connection: close waits for it
 * before freeing what the callbacks use. */
static void on_closed(natsConnection *nc, void *closure)
{
    nats_bus *bus = closure;
    set_state(nc, bus, WC_BUS_CLOSED, "connection closed");
    pthread_mutex_lock(&bus->lock);
    bus->closed = true;
    pthread_cond_broadcast(&bus->closed_cond);
    pthread_mutex_unlock(&bus->lock);
}

/* Closes and destroys the connection once libnats has made its last
 * callback (they come on its own thread, after Close returns). */
static void close_connection(nats_bus *bus)
{
    atomic_store(&bus->closing, true);
    natsConnection_Close(bus->nc);
    pthread_mutex_lock(&bus->lock);
    while (!bus->closed)
        pthread_cond_wait(&bus->closed_cond, &bus->lock);
    pthread_mutex_unlock(&bus->lock);
    natsConnection_Destroy(bus->nc);
    bus->nc = NULL;
}

static void on_async_error(natsConnection *nc, natsSubscription *sub, natsStatus s, void *closure)
{
    /* the drops themselves are counted per subscription; this says when */
    wc_log(WC_LOG_WARNING, "bus", "NATS: %s on %s", natsStatus_GetText(s),
           sub ? natsSubscription_GetSubject(sub) : "the connection");
}

/* --- messages --- */

int wc_bus_nats_msg(const wc_bus_msg *msg, const char *reply, natsMsg **out)
{
    natsStatus s = natsMsg_Create(out, msg->subject, reply, msg->data, (int)msg->len);
    for (size_t i = 0; s == NATS_OK && i < msg->header_count; i++)
        s = natsMsgHeader_Add(*out, msg->headers[i].name, msg->headers[i].value);
    if (s != NATS_OK) {
        natsMsg_Destroy(*out);
        *out = NULL;
    }
    return wc_bus_nats_code(s);
}

void wc_bus_nats_view(natsMsg *m, uint64_t sequence, void (*fn)(void *ctx, const wc_bus_msg *view),
                      void *ctx)
{
    wc_bus_header headers[WC_BUS_MAX_HEADERS];
    size_t n = 0;
    const char **keys = NULL;
    int n_keys = 0;
    if (natsMsgHeader_Keys(m, &keys, &n_keys) == NATS_OK) {
        for (int k = 0; k < n_keys && n < WC_BUS_MAX_HEADERS; k++) {
            const char **values = NULL;
            int n_values = 0;
            if (natsMsgHeader_Values(m, keys[k], &values, &n_values) != NATS_OK)
                continue;
            for (int v = 0; v < n_values && n < WC_BUS_MAX_HEADERS; v++)
                headers[n++] = (wc_bus_header){keys[k], values[v]};
            free((void *)values);
        }
    }
    wc_bus_msg view = {
        .subject = natsMsg_GetSubject(m),
        .reply = natsMsg_GetReply(m),
        .headers = n ? headers : NULL,
        .header_count = n,
        .data = natsMsg_GetData(m),
        .len = (size_t)natsMsg_GetDataLength(m),
        .sequence = sequence,
    };
    fn(ctx, &view);
    free((void *)keys);
}

/* --- publish --- */

static int nats_publish(wc_bus *base, const wc_bus_msg *msg)
{
    nats_bus *bus = (nats_bus *)base;
    natsStatus s;
    if (msg->header_count == 0 && msg->reply) {
        s = natsConnection_PublishRequest(bus->nc, msg->subject, msg->reply, msg->data,
                                          (int)msg->len);
    } else if (msg->header_count == 0) {
        s = natsConnection_Publish(bus->nc, msg->subject, msg->data, (int)msg->len);
    } else {
        natsMsg *m;
        int rc = wc_bus_nats_msg(msg, msg->reply, &m);
        if (rc < 0)
            return rc;
        s = natsConnection_PublishMsg(bus->nc, m);
        natsMsg_Destroy(m);
    }
    if (s != NATS_OK)
        return wc_bus_nats_code(s);
    atomic_fetch_add(&base->published, 1);
    return 0;
}

/* --- subscribe --- */

static void deliver_view(void *ctx, const wc_bus_msg *view)
{
    nats_sub *sub = ctx;
    sub->handler(sub->ctx, view);
}

static void on_msg(natsConnection *nc, natsSubscription *s, natsMsg *m, void *closure)
{
    nats_sub *sub = closure;
    running_sub = sub;
    wc_bus_nats_view(m, 0, deliver_view, sub);
    running_sub = NULL;
    atomic_fetch_add(&sub->owner->base.delivered, 1);
    natsMsg_Destroy(m);
}

static void sub_free(nats_sub *sub)
{
    natsSubscription_Destroy(sub->sub);
    pthread_mutex_destroy(&sub->lock);
    pthread_cond_destroy(&sub->done_cond);
    free(sub);
}

static void on_complete(void *closure)
{
    nats_sub *sub = closure;
    pthread_mutex_lock(&sub->lock);
    bool self_free = sub->self_free;
    sub->done = true;
    pthread_cond_broadcast(&sub->done_cond);
    pthread_mutex_unlock(&sub->lock);
    if (self_free)
        sub_free(sub);
}

static void end_sub(nats_sub *sub);

static int nats_subscribe(wc_bus *base, const char *subject, const char *group,
                          wc_bus_handler handler, void *ctx, wc_bus_sub **out)
{
    nats_bus *bus = (nats_bus *)base;
    nats_sub *sub = calloc(1, sizeof *sub);
    if (!sub)
        return WC_ENOMEM;
    *sub = (nats_sub){.base = {.bus = base}, .owner = bus, .handler = handler, .ctx = ctx};
    pthread_mutex_init(&sub->lock, NULL);
    pthread_cond_init(&sub->done_cond, NULL);

    pthread_mutex_lock(&bus->lock);
    int rc = bus->draining ? WC_ECANCELED
             : bus->n_subs >= base->limits.max_subscriptions ? WC_EAGAIN : 0;
    if (rc < 0) {
        pthread_mutex_unlock(&bus->lock);
        sub_free(sub);
        return rc;
    }
    /* the delivery thread waits for the connection's lock, not this one;
     * holding this makes the count and the list agree with libnats */
    natsStatus s = group ? natsConnection_QueueSubscribe(&sub->sub, bus->nc, subject, group,
                                                          on_msg, sub)
                         : natsConnection_Subscribe(&sub->sub, bus->nc, subject, on_msg, sub);
    bool watched = false;
    if (s == NATS_OK)
        watched = (s = natsSubscription_SetOnCompleteCB(sub->sub, on_complete, sub)) == NATS_OK;
    if (s == NATS_OK)
        s = natsSubscription_SetPendingLimits(sub->sub, (int)base->limits.sub_max_msgs,
                                              base->limits.sub_max_bytes > INT32_MAX
                                                  ? INT32_MAX
                                                  : (int)base->limits.sub_max_bytes);
    if (s != NATS_OK) {
        pthread_mutex_unlock(&bus->lock);
        if (watched) {
            end_sub(sub);
        } else if (sub->sub) {
            /* closed with its connection before it could be watched: its
             * thread may still be in the handler, so sub is left to it
             * rather than freed under it (a connection closes for good
             * once, so this is never more than one struct) */
            natsSubscription_Unsubscribe(sub->sub);
        } else {
            sub_free(sub);
        }
        return wc_bus_nats_code(s);
    }
    sub->next = bus->subs;
    bus->subs = sub;
    bus->n_subs++;
    pthread_mutex_unlock(&bus->lock);
    *out = &sub->base;
    return 0;
}

static void unlink_sub(nats_bus *bus, nats_sub *sub)
{
    int64_t dropped = 0;
    natsSubscription_GetDropped(sub->sub, &dropped);
    pthread_mutex_lock(&bus->lock);
    for (nats_sub **at = &bus->subs; *at; at = &(*at)->next)
        if (*at == sub) {
            *at = sub->next;
            bus->n_subs--;
            break;
        }
    bus->ended_dropped += dropped > 0 ? (uint64_t)dropped : 0;
    pthread_mutex_unlock(&bus->lock);
}

static void end_sub(nats_sub *sub)
{
    pthread_mutex_lock(&sub->lock);
    if (running_sub == sub) {
        sub->self_free = true;
        pthread_mutex_unlock(&sub->lock);
        natsSubscription_Unsubscribe(sub->sub);
        return;
    }
    pthread_mutex_unlock(&sub->lock);
    /* on a closed connection this fails, but the subscription was closed
     * with the connection and on_complete comes all the same */
    natsSubscription_Unsubscribe(sub->sub);
    pthread_mutex_lock(&sub->lock);
    while (!sub->done)
        pthread_cond_wait(&sub->done_cond, &sub->lock);
    pthread_mutex_unlock(&sub->lock);
    sub_free(sub);
}

static void nats_unsubscribe(wc_bus_sub *base)
{
    nats_sub *sub = (nats_sub *)base;
    unlink_sub(sub->owner, sub);
    end_sub(sub);
}

static uint64_t nats_sub_dropped(const wc_bus_sub *base)
{
    int64_t dropped = 0;
    natsSubscription_GetDropped(((const nats_sub *)base)->sub, &dropped);
    return dropped > 0 ? (uint64_t)dropped : 0;
}

static void nats_add_stats(const wc_bus *base, wc_bus_stats *out)
{
    nats_bus *bus = (nats_bus *)base;
    pthread_mutex_lock(&bus->lock);
    uint64_t dropped = bus->ended_dropped;
    for (nats_sub *s = bus->subs; s; s = s->next)
        dropped += nats_sub_dropped(&s->base);
    pthread_mutex_unlock(&bus->lock);
    out->dropped += dropped;
}

/* --- request --- */

static void copy_view(void *ctx, const wc_bus_msg *view)
{
    *(wc_bus_msg **)ctx = wc_bus_msg_copy(view);
}

/* A request that a cancel can end: libnats's RequestMsg cannot be woken,
 * so the reply comes on an inbox of its own, read in slices of
 * WC_BUS_CANCEL_POLL_MS between which the token and the connection are
 * looked at.  The subscription precedes the publish on the connection, so
 * the server knows the inbox before any answer (or its no-responders
 * status) is sent to it. */
static natsStatus watched_request(nats_bus *bus, const wc_bus_msg *request, uint32_t timeout_ms,
                                  const wc_cancel_token *cancel, natsMsg **answer,
                                  bool *cancelled, int *rc)
{
    natsInbox *inbox = NULL;
    natsSubscription *sub = NULL;
    natsMsg *m = NULL;
    natsStatus s = natsInbox_Create(&inbox);
    if (s == NATS_OK)
        s = natsConnection_SubscribeSync(&sub, bus->nc, inbox);
    if (s == NATS_OK)
        s = natsSubscription_AutoUnsubscribe(sub, 1);
    if (s == NATS_OK && (*rc = wc_bus_nats_msg(request, inbox, &m)) < 0)
        s = NATS_ERR;
    if (s == NATS_OK)
        s = natsConnection_PublishMsg(bus->nc, m);
    natsMsg_Destroy(m);
    uint64_t deadline = wc_monotonic_deadline_ns(timeout_ms ? timeout_ms : 1);
    while (s == NATS_OK) {
        uint64_t now = wc_monotonic_ns();
        if (now >= deadline) {
            s = NATS_TIMEOUT;
            break;
        }
        uint64_t left_ms = (deadline - now + 999999u) / 1000000u;
        int64_t slice = left_ms < WC_BUS_CANCEL_POLL_MS ? (int64_t)left_ms : WC_BUS_CANCEL_POLL_MS;
        s = natsSubscription_NextMsg(answer, sub, slice);
        if (s == NATS_OK && natsMsg_IsNoResponders(*answer)) {
            natsMsg_Destroy(*answer);
            *answer = NULL;
            s = NATS_NO_RESPONDERS;
        }
        if (s != NATS_TIMEOUT)
            break;
        s = NATS_OK;
        if ((*cancelled = wc_cancel_token_cancelled(cancel)))
            s = NATS_ILLEGAL_STATE;
        else if (atomic_load(&bus->state) != WC_BUS_CONNECTED)
            s = NATS_CONNECTION_DISCONNECTED;
    }
    natsSubscription_Destroy(sub);
    natsInbox_Destroy(inbox);
    return s;
}

static int nats_request(wc_bus *base, const wc_bus_msg *request, uint32_t timeout_ms,
                        const wc_cancel_token *cancel, wc_bus_msg **reply, wc_error *err)
{
    nats_bus *bus = (nats_bus *)base;
    int rc = wc_bus_nats_connected(bus, err);
    if (rc < 0)
        return rc;
    if (atomic_fetch_add(&bus->requests, 1) >= base->limits.max_requests) {
        atomic_fetch_sub(&bus->requests, 1);
        return wc_error_set(err, WC_EAGAIN, "%zu requests are already waiting",
                            base->limits.max_requests);
    }
    natsMsg *m = NULL, *answer = NULL;
    natsStatus s = NATS_OK;
    bool cancelled = false;
    if (cancel) {
        s = watched_request(bus, request, timeout_ms, cancel, &answer, &cancelled, &rc);
    } else if ((rc = wc_bus_nats_msg(request, NULL, &m)) == 0) {
        s = natsConnection_RequestMsg(&answer, bus->nc, m, timeout_ms ? timeout_ms : 1);
        natsMsg_Destroy(m);
    }
    if (rc == 0 && s == NATS_OK)
        atomic_fetch_add(&base->published, 1);
    atomic_fetch_sub(&bus->requests, 1);
    if (rc < 0)
        return wc_error_set(err, rc, "request to %s: %s", request->subject, wc_strerror(rc));
    if (cancelled)
        return wc_error_set(err, WC_ECANCELED, "request to %s: cancelled", request->subject);
    if (s == NATS_CONNECTION_DISCONNECTED)
        return wc_bus_nats_connected(bus, err) < 0
                   ? WC_ENOTCONN
                   : wc_error_set(err, WC_ENOTCONN, "bus unavailable: the connection was lost");
    if (s == NATS_NO_RESPONDERS)
        return wc_error_set(err, WC_ENORESPONDERS, "no responders on %s", request->subject);
    if (s == NATS_TIMEOUT)
        return wc_error_set(err, WC_ETIMEDOUT, "%s did not answer within %u ms",
                            request->subject, timeout_ms);
    if (s != NATS_OK)
        return wc_bus_nats_error(err, s, request->subject);
    wc_bus_nats_view(answer, 0, copy_view, reply);
    natsMsg_Destroy(answer);
    if (!*reply)
        return wc_error_set(err, WC_ENOMEM, "out of memory for the reply");
    return 0;
}

/* --- drain, close --- */

static int nats_drain(wc_bus *base, uint32_t timeout_ms)
{
    nats_bus *bus = (nats_bus *)base;
    pthread_mutex_lock(&bus->lock);
    bus->draining = true;
    for (nats_sub *s = bus->subs; s; s = s->next)
        natsSubscription_Drain(s->sub);
    pthread_mutex_unlock(&bus->lock);
    int64_t deadline = nats_Now() + timeout_ms;
    int rc = 0;
    pthread_mutex_lock(&bus->lock);
    for (nats_sub *s = bus->subs; s && rc == 0; s = s->next) {
        int64_t left = deadline - nats_Now();
        natsStatus st = natsSubscription_WaitForDrainCompletion(s->sub, left > 0 ? left : 1);
        if (st == NATS_TIMEOUT)
            rc = WC_ETIMEDOUT;
    }
    pthread_mutex_unlock(&bus->lock);
    int64_t left = deadline - nats_Now();
    if (rc == 0 && atomic_load(&bus->state) == WC_BUS_CONNECTED &&
        natsConnection_FlushTimeout(bus->nc, left > 0 ? left : 1) == NATS_TIMEOUT)
        rc = WC_ETIMEDOUT;
    return rc;
}

static void nats_close(wc_bus *base)
{
    nats_bus *bus = (nats_bus *)base;
    pthread_mutex_lock(&bus->lock);
    bus->draining = true;
    nats_sub *subs = bus->subs;
    bus->subs = NULL;
    bus->n_subs = 0;
    pthread_mutex_unlock(&bus->lock);
    while (subs) {
        nats_sub *next = subs->next;
        end_sub(subs);
        subs = next;
    }
    wc_bus_nats_kv_release(bus);
    if (atomic_load(&bus->state) == WC_BUS_CONNECTED)
        natsConnection_FlushTimeout(bus->nc, 1000);
    jsCtx_Destroy(bus->js);
    close_connection(bus);
    pthread_mutex_destroy(&bus->lock);
    pthread_cond_destroy(&bus->closed_cond);
    free(bus);
}

static wc_bus_state nats_state(const wc_bus *base)
{
    return atomic_load(&((const nats_bus *)base)->state);
}

/* --- open --- */

static int check_file(const char *what, const char *path, wc_error *err)
{
    if (path && access(path, R_OK) != 0)
        return wc_error_set(err, -errno, "bus %s %s: %s", what, path, wc_strerror(-errno));
    return 0;
}

/* The url's comma-separated servers, set on opts. */
static natsStatus set_servers(natsOptions *opts, const char *url)
{
    if (!strchr(url, ','))
        return natsOptions_SetURL(opts, url);
    char *copy = strdup(url);
    if (!copy)
        return NATS_NO_MEMORY;
    const char *servers[64];
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t && n < 64; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        if (*t)
            servers[n++] = t;
    }
    natsStatus s = n ? natsOptions_SetServers(opts, servers, n) : NATS_INVALID_ARG;
    free(copy);
    return s;
}

static natsStatus make_options(const wc_bus_config *cfg, nats_bus *bus, natsOptions **out)
{
    natsOptions *o = NULL;
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK)
        s = set_servers(o, cfg->url);
    if (s == NATS_OK && cfg->name)
        s = natsOptions_SetName(o, cfg->name);
    if (s == NATS_OK && cfg->token)
        s = natsOptions_SetToken(o, cfg->token);
    if (s == NATS_OK && cfg->user)
        s = natsOptions_SetUserInfo(o, cfg->user, cfg->password);
    if (s == NATS_OK && cfg->credentials_file)
        s = natsOptions_SetUserCredentialsFromFiles(o, cfg->credentials_file, NULL);
    if (s == NATS_OK && (cfg->tls_ca || cfg->tls_cert))
        s = natsOptions_SetSecure(o, true);
    if (s == NATS_OK && cfg->tls_ca)
        s = natsOptions_LoadCATrustedCertificates(o, cfg->tls_ca);
    if (s == NATS_OK && cfg->tls_cert)
        s = natsOptions_LoadCertificatesChain(o, cfg->tls_cert, cfg->tls_key);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(o, cfg->connect_timeout_ms);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(o, cfg->reconnect_wait_ms);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(o, cfg->max_reconnect);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectBufSize(
            o, cfg->reconnect_buffer > INT32_MAX ? INT32_MAX : (int)cfg->reconnect_buffer);
    if (s == NATS_OK)
        s = natsOptions_SetMaxPendingMsgs(o, (int)cfg->sub_max_msgs);
    if (s == NATS_OK)
        s = natsOptions_SetFailRequestsOnDisconnect(o, true);
    if (s == NATS_OK)
        s = natsOptions_SetSendAsap(o, cfg->send_asap);
    /* with a connected callback the first connection is retried in the
     * background; without one, libnats would retry inside Connect */
    if (s == NATS_OK)
        s = natsOptions_SetRetryOnFailedConnect(o, true, on_connected, bus);
    if (s == NATS_OK)
        s = natsOptions_SetDisconnectedCB(o, on_disconnected, bus);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectedCB(o, on_reconnected, bus);
    if (s == NATS_OK)
        s = natsOptions_SetClosedCB(o, on_closed, bus);
    if (s == NATS_OK)
        s = natsOptions_SetErrorHandler(o, on_async_error, bus);
    if (s != NATS_OK)
        natsOptions_Destroy(o);
    else
        *out = o;
    return s;
}

int wc_bus_nats_open(const wc_bus_config *cfg, wc_bus **out, wc_error *err)
{
    int rc;
    if ((rc = check_file("credentials file", cfg->credentials_file, err)) < 0 ||
        (rc = check_file("TLS CA", cfg->tls_ca, err)) < 0 ||
        (rc = check_file("TLS certificate", cfg->tls_cert, err)) < 0 ||
        (rc = check_file("TLS key", cfg->tls_key, err)) < 0)
        return rc;
    if (cfg->tls_cert && !cfg->tls_key)
        return wc_error_set(err, WC_EINVAL, "bus: a TLS certificate needs its key (tls_key)");
    nats_bus *bus = calloc(1, sizeof *bus);
    if (!bus)
        return wc_error_set(err, WC_ENOMEM, "out of memory for the bus");
    wc_bus_base_init(&bus->base, &nats_ops, cfg);
    atomic_init(&bus->state, WC_BUS_DISCONNECTED);
    atomic_init(&bus->requests, 0);
    atomic_init(&bus->closing, false);
    pthread_mutex_init(&bus->lock, NULL);
    pthread_cond_init(&bus->closed_cond, NULL);
    natsOptions *opts = NULL;
    natsStatus s = make_options(cfg, bus, &opts);
    if (s != NATS_OK) {
        rc = wc_bus_nats_error(err, s, "bus options");
        goto fail;
    }
    s = natsConnection_Connect(&bus->nc, opts);
    natsOptions_Destroy(opts);
    if (s == NATS_OK) {
        atomic_store(&bus->state, WC_BUS_CONNECTED);
    } else if (s == NATS_NOT_YET_CONNECTED) {
        wc_log(WC_LOG_WARNING, "bus", "NATS at %s is not reachable yet: retrying every %u ms "
               "in the background", cfg->url, cfg->reconnect_wait_ms);
    } else {
        rc = wc_bus_nats_error(err, s, "bus connect");
        goto fail;
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = cfg->request_timeout_ms;
    s = natsConnection_JetStream(&bus->js, bus->nc, &jo);
    if (s != NATS_OK) {
        rc = wc_bus_nats_error(err, s, "bus JetStream context");
        close_connection(bus);
        goto fail;
    }
    *out = &bus->base;
    return 0;
fail:
    pthread_mutex_destroy(&bus->lock);
    pthread_cond_destroy(&bus->closed_cond);
    free(bus);
    return rc < 0 ? rc : WC_EIO;
}

static const wc_bus_ops nats_ops = {
    .kind = "nats",
    .state = nats_state,
    .add_stats = nats_add_stats,
    .publish = nats_publish,
    .subscribe = nats_subscribe,
    .unsubscribe = nats_unsubscribe,
    .sub_dropped = nats_sub_dropped,
    .request = nats_request,
    .drain = nats_drain,
    .close = nats_close,
    .stream_ensure = wc_bus_nats_stream_ensure,
    .stream_append = wc_bus_nats_stream_append,
    .stream_read = wc_bus_nats_stream_read,
    .stream_read_subject = wc_bus_nats_stream_read_subject,
    .kv_ensure = wc_bus_nats_kv_ensure,
    .kv_put = wc_bus_nats_kv_put,
    .kv_get = wc_bus_nats_kv_get,
    .kv_delete = wc_bus_nats_kv_delete,
    .kv_keys = wc_bus_nats_kv_keys,
};
