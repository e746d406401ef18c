/* call.h -- one running plugin call, as the protocol layer sees it.
 *
 * A wc_call carries what a call may need of the client that asked for it
 * (notifications, requests such as sampling, the progress token, the log
 * level) and lets another thread cancel it.  The protocol layer creates one
 * per request; the plugin layer attaches the instance it runs, so that a
 * cancellation interrupts running Wasm code and wakes a sleeping guest.
 *
 * Thread safety: wc_call_cancel and wc_call_cancelled from any thread; the
 * rest from the thread that runs the call.
 */
#ifndef WC_PLUGIN_CALL_H
#define WC_PLUGIN_CALL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "host/wasi.h"

/* How a call reaches its client.  All callbacks may be NULL (no client, as
 * in `wasmcap call`); they are called from the call's own thread. */
typedef struct wc_call_client {
    void *ctx;
    /* Sends a notification; params is stolen. */
    void (*notify)(void *ctx, const char *method, json_t *params);
    /* Sends a request (params borrowed: the caller frees them) and waits up
     * to timeout_ms for the answer.  Returns 0
     * with *result (owned by the caller), or -1 with a message in err.  It
     * returns early, with -1, when the call is cancelled. */
    int (*request)(void *ctx, const char *method, json_t *params, int timeout_ms,
                   json_t **result, char *err, size_t err_size);
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
} wc_call_client;

typedef struct wc_call wc_call;

/* client is copied (its progress_token must outlive the call).  NULL client: none. */
wc_call *wc_call_new(const wc_call_client *client);
void wc_call_free(wc_call *call);
/* Sets the client of a call made with none, before it runs: a caller can
 * make the call outside its lock and fill it in under it. */
void wc_call_set_client(wc_call *call, const wc_call_client *client);
const wc_call_client *wc_call_get_client(const wc_call *call);

/* Any thread: marks the call cancelled and interrupts the attached instance. */
void wc_call_cancel(wc_call *call);
bool wc_call_cancelled(const wc_call *call);

/* The plugin layer brackets each instance's run with these; attaching to a
 * call that is already cancelled interrupts at once.  wasi may be NULL. */
void wc_call_attach(wc_call *call, wc_instance *instance, wc_wasi *wasi);
void wc_call_detach(wc_call *call);

/* The text of a tools/call result exactly as the plugin wrote it, when the
 * server passes it on unchanged (the parsed value is equal to it): the
 * protocol layer may then send these bytes instead of writing the value
 * again.  The text is one line of valid JSON.  set takes ownership of a
 * malloc'ed text; get returns NULL when there is none. */
void wc_call_set_result_text(wc_call *call, char *text, size_t len);
const char *wc_call_result_text(const wc_call *call, size_t *len);
/* For a result carried only as text (no value): whether it has isError:
 * true, as the plugin layer found when it checked the bytes. */
void wc_call_set_result_is_error(wc_call *call, bool is_error);
bool wc_call_result_is_error(const wc_call *call);

/* Said by a caller that sends the result text whenever there is one: the
 * plugin layer may then build of such a result only what its checks read
 * (the returned value has the members the checks use; other arrays and
 * objects in it are empty).  A caller that reads the value says nothing. */
void wc_call_prefer_result_text(wc_call *call);
bool wc_call_prefers_result_text(const wc_call *call);

/* The text of the arguments as the client sent them (borrowed: valid for
 * the call), when the protocol layer has it: the plugin layer may hand
 * these bytes to the guest instead of writing the parsed value again.
 * They must be the text the parsed arguments came from. */
void wc_call_set_arguments_text(wc_call *call, const char *text, size_t len);
const char *wc_call_arguments_text(const wc_call *call, size_t *len);

/* An attempt: a call run where waiting is not allowed (an event loop's
 * thread), within budget_ms, and only as far as it has no effects.  The
 * first host function that would act on the world or wait (log, kv
 * writes, http_fetch, requests to the client, list and resource
 * notifications, stream control) or the end of the budget aborts it
 * before anything happened; the caller then runs the call again as an
 * ordinary one.  Notifications it sends (progress) are the caller's to
 * hold until it knows the attempt stood. */
void wc_call_set_attempt(wc_call *call, uint32_t budget_ms);
uint32_t wc_call_attempt_budget(const wc_call *call); /* 0: not an attempt */
/* Host functions call this before they act: false (and the attempt is
 * aborted, its instance interrupted) when the call is an attempt. */
bool wc_call_may_act(wc_call *call);
void wc_call_abort_attempt(wc_call *call);
bool wc_call_attempt_aborted(const wc_call *call);

/* Convenience for host functions: notifications/progress when the client
 * gave a token (progress increasing; total <= 0: unknown; message may be
 * NULL), notifications/message when level >= the client's log level. */
void wc_call_progress(wc_call *call, double progress, double total, const char *message);
void wc_call_log(wc_call *call, int level, const char *logger, const char *message);
void wc_call_resource_updated(wc_call *call, const char *uri);
void wc_call_list_changed(wc_call *call, const char *kind);
/* The request's context (see wc_call_client.request_context): a new
 * reference, {} when the client hook gives none. */
json_t *wc_call_request_context(wc_call *call);
void wc_call_close_stream(wc_call *call);

#endif
