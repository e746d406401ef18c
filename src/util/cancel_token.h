/* cancel_token.h -- lets another thread stop a piece of work that is running.
 *
 * A token is a flag and an interrupt hook.  The flag says that the work
 * should stop, and why; whoever runs the work checks it between steps.  The
 * hook stops what cannot check the flag itself (running Wasm code, a guest
 * asleep in WASI): the worker sets it for the stretch it covers, and a
 * cancel calls it, under the token's lock, so the hook never outlives what
 * it interrupts.
 *
 * Thread safety: wc_cancel_token_cancel and the queries from any thread;
 * the hook is set and cleared by the thread that runs the work.
 */
#ifndef WC_UTIL_CANCEL_TOKEN_H
#define WC_UTIL_CANCEL_TOKEN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

/* Why work was stopped (bits: a token may be stopped for both). */
typedef enum wc_cancel_reason {
    WC_CANCEL_REQUESTED = 1u, /* whoever asked for the work no longer wants it */
    WC_CANCEL_RETRY = 2u,     /* stopped so that it runs again in full elsewhere */
} wc_cancel_reason;

typedef struct wc_cancel_token {
    atomic_uint reasons; /* wc_cancel_reason bits; 0: running */
    pthread_mutex_t lock; /* guards the hook against a concurrent cancel */
    void (*interrupt)(void *ctx);
    void *interrupt_ctx;
} wc_cancel_token;

void wc_cancel_token_init(wc_cancel_token *token);
void wc_cancel_token_destroy(wc_cancel_token *token);

/* Any thread: marks the work stopped for reason and calls the hook, if one is set. */
void wc_cancel_token_cancel(wc_cancel_token *token, wc_cancel_reason reason);

static inline bool wc_cancel_token_cancelled(const wc_cancel_token *token)
{
    return atomic_load(&((wc_cancel_token *)token)->reasons) != 0;
}

/* Whether the token was stopped for this reason. */
static inline bool wc_cancel_token_stopped_for(const wc_cancel_token *token,
                                               wc_cancel_reason reason)
{
    return (atomic_load(&((wc_cancel_token *)token)->reasons) & reason) != 0;
}

/* Sets the hook for the stretch of work it can stop (fn NULL: clears it).
 * A token already cancelled calls fn at once: a cancel that came before
 * found nothing to interrupt. */
void wc_cancel_token_on_interrupt(wc_cancel_token *token, void (*fn)(void *ctx), void *ctx);

#endif
