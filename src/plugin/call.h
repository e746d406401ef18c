/* call.h -- one running plugin call, as the protocol layer sees it.
 *
 * A call is a record of three parts: the client port (what the guest may
 * ask of the client that asked for the call), the cancellation token (how
 * another thread stops it), and the call's I/O (the text of its arguments
 * in, the text of its result out).  The protocol layer creates one per
 * request; the plugin layer sets the token's interrupt hook while an
 * instance runs, so that a cancel interrupts running Wasm code and wakes a
 * sleeping guest.
 *
 * Thread safety: wc_call_cancel and the queries of the token from any
 * thread; the rest from the thread that runs the call.
 */
#ifndef WC_PLUGIN_CALL_H
#define WC_PLUGIN_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/client_port.h"
#include "util/cancel_token.h"

/* What goes into a call besides its parsed arguments, and what comes out
 * besides its parsed result: the texts the protocol layer can use as they
 * are, so that nothing is written twice on the hot path. */
typedef struct wc_call_io {
    /* In: the text of the arguments as the client sent them (borrowed:
     * valid for the call; NULL: none).  It must be the text the parsed
     * arguments came from: the guest may get these bytes instead. */
    const char *arguments_text;
    size_t arguments_len;
    /* In: the caller sends the result text whenever there is one, so the
     * plugin layer may build of such a result only what its checks read
     * (the value returned then has the members the checks use; other
     * arrays and objects in it are empty).  A caller that reads the value
     * leaves it false. */
    bool prefer_result_text;
    /* In: 0 for an ordinary call.  Otherwise the call is an attempt: run
     * where waiting is not allowed (an event loop's thread), within this
     * budget, and only as far as it has no effects.  The first host
     * function that would act on the world or wait (log, kv writes,
     * http_fetch, requests to the client, list and resource notifications,
     * stream control, WASI-NN's load from bytes and contexts on Arm NN
     * models), or the end of the budget, stops it before anything
     * happened (wc_call_attempt_aborted); the caller then runs the call
     * again as an ordinary one.  Notifications it sends (progress) are the
     * caller's to hold until it knows the attempt stood. */
    uint32_t inline_budget_ms;
    /* Out: the text of a tools/call result exactly as the plugin wrote it,
     * when the server passes it on unchanged (the parsed value is equal to
     * it): one line of valid JSON, malloc'ed, freed with the call; NULL:
     * none. */
    char *result_text;
    size_t result_len;
    /* Out: for a result carried only as text (no value), whether it has
     * isError: true, as the plugin layer found when it checked the bytes. */
    bool result_is_error;
    /* Out, for audit events: the plugin that ran the tool (its config
     * name) and the compile tier of its code ("fast", "optimized"); both
     * valid while the registry is.  NULL: not known. */
    const char *plugin;
    const char *tier;
} wc_call_io;

typedef struct wc_call {
    wc_client_port client;
    wc_cancel_token cancel;
    wc_call_io io;
    /* The bus the guest's bus_publish and bus_request use (borrowed: it
     * outlives the call); NULL (what wc_call_new sets): none. */
    struct wc_bus *bus;
} wc_call;

/* client and io are copied (the progress token and the arguments text
 * must outlive the call); NULL: no client, no I/O.  NULL when out of memory. */
wc_call *wc_call_new(const wc_client_port *client, const wc_call_io *io);
void wc_call_free(wc_call *call);

/* Any thread: the client no longer wants the call (WC_CANCEL_REQUESTED). */
void wc_call_cancel(wc_call *call);
bool wc_call_cancelled(const wc_call *call);

/* Ends an attempt (see inline_budget_ms): the call stops, to run again. */
void wc_call_abort_attempt(wc_call *call);
bool wc_call_attempt_aborted(const wc_call *call);

#endif
