/* call.c -- a running plugin call: client port, cancellation token, I/O. */
#include "plugin/call.h"

#include <stdlib.h>

wc_call *wc_call_new(const wc_client_port *client, const wc_call_io *io)
{
    wc_call *call = calloc(1, sizeof *call);
    if (!call)
        return NULL;
    call->client = client ? *client : wc_no_client;
    if (io)
        call->io = *io;
    call->io.result_text = NULL; /* the call's own, out */
    call->io.result_len = 0;
    wc_cancel_token_init(&call->cancel);
    return call;
}

void wc_call_free(wc_call *call)
{
    if (!call)
        return;
    wc_cancel_token_destroy(&call->cancel);
    free(call->io.result_text);
    free(call);
}

void wc_call_cancel(wc_call *call)
{
    wc_cancel_token_cancel(&call->cancel, WC_CANCEL_REQUESTED);
}

bool wc_call_cancelled(const wc_call *call)
{
    return wc_cancel_token_cancelled(&call->cancel);
}

void wc_call_abort_attempt(wc_call *call)
{
    wc_cancel_token_cancel(&call->cancel, WC_CANCEL_RETRY);
}

bool wc_call_attempt_aborted(const wc_call *call)
{
    return wc_cancel_token_stopped_for(&call->cancel, WC_CANCEL_RETRY);
}
