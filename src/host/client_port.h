/* client_port.h -- what a guest may ask of the client that called it.
 *
 * The host layer owns this port and the protocol layer implements it: host
 * functions send notifications (progress, log messages, list and resource
 * changes) and requests (sampling, elicitation) through it without knowing
 * of JSON-RPC, sessions or transports.  Every hook may be NULL (no client,
 * as in `wasmcap call`); hooks are called from the call's own thread.
 */
#ifndef WC_HOST_CLIENT_PORT_H
#define WC_HOST_CLIENT_PORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

typedef struct wc_client_port {
    void *ctx;
    /* Sends a notification; params is stolen. */
    void (*notify)(void *ctx, const char *method, json_t *params);
    /* Sends a request (params borrowed: the caller frees them) and waits up
     * to timeout_ms for the answer.  Returns 0 with *result (owned by the
     * caller), or a WC_E* code with a message in err (WC_ETIMEDOUT: no
     * answer in time).  It returns early, with WC_ECANCELED, when the call
     * is cancelled or the client goes away. */
    int (*request)(void *ctx, const char *method, json_t *params, int timeout_ms,
                   json_t **result, wc_error *err);
    /* Optional: a resource changed (clients subscribed to uri hear of it). */
    void (*resource_updated)(void *ctx, const char *uri);
    /* Optional: what the request brings for an input-required round
     * (protocol revision 2026-07-28): {"inputResponses", "requestState",
     * "clientCapabilities"}, each when there is one; a new reference. */
    json_t *(*request_context)(void *ctx);
    /* Optional: a list changed ("tools", "prompts" or "resources"). */
    void (*list_changed)(void *ctx, const char *kind);
    /* Optional: the transport may end the connection carrying this call's
     * messages now; the client reconnects and resumes (HTTP polling). */
    void (*close_stream)(void *ctx);
    bool can_sample, can_elicit; /* the client's declared capabilities */
    json_t *progress_token;      /* borrowed; NULL when the request had none */
    int min_log_level;           /* notifications/message at or above it (0 debug .. 7 emergency; 8: none) */
    /* The negotiated protocol revision ("2025-06-18", valid for the call):
     * results hold only what it has (content block types).  NULL or "":
     * the latest. */
    const char *protocol_version;
} wc_client_port;

/* No client: every hook NULL, no log level low enough. */
extern const wc_client_port wc_no_client;

/* notifications/progress when the client gave a token (progress
 * increasing; total <= 0: unknown; message may be NULL). */
void wc_client_progress(const wc_client_port *client, double progress, double total,
                        const char *message);
/* notifications/message when level >= the client's log level. */
void wc_client_log(const wc_client_port *client, int level, const char *logger,
                   const char *message);
void wc_client_resource_updated(const wc_client_port *client, const char *uri);
void wc_client_list_changed(const wc_client_port *client, const char *kind);
/* The request's context (see request_context): a new reference, {} when
 * the client gives none. */
json_t *wc_client_request_context(const wc_client_port *client);
void wc_client_close_stream(const wc_client_port *client);

#endif
