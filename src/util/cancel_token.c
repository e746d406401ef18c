/* cancel_token.c -- a flag and an interrupt hook (cancel_token.h). */
#include "util/cancel_token.h"

#include <stddef.h>

void wc_cancel_token_init(wc_cancel_token *t)
{
    atomic_init(&t->reasons, 0);
    pthread_mutex_init(&t->lock, NULL);
    t->interrupt = NULL;
    t->interrupt_ctx = NULL;
}

void wc_cancel_token_destroy(wc_cancel_token *t)
{
    pthread_mutex_destroy(&t->lock);
}

void wc_cancel_token_cancel(wc_cancel_token *t, wc_cancel_reason reason)
{
    atomic_fetch_or(&t->reasons, (unsigned)reason);
    pthread_mutex_lock(&t->lock);
    if (t->interrupt)
        t->interrupt(t->interrupt_ctx);
    pthread_mutex_unlock(&t->lock);
}

void wc_cancel_token_on_interrupt(wc_cancel_token *t, void (*fn)(void *ctx), void *ctx)
{
    pthread_mutex_lock(&t->lock);
    t->interrupt = fn;
    t->interrupt_ctx = ctx;
    pthread_mutex_unlock(&t->lock);
    if (fn && wc_cancel_token_cancelled(t))
        fn(ctx);
}
