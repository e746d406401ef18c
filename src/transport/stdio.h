/* stdio.h -- the MCP stdio transport: newline-delimited JSON-RPC messages,
 * requests on one file descriptor (stdin), answers on another (stdout).
 *
 * Nothing but complete JSON lines is ever written to the output.  A line
 * longer than the limit is refused (-32600, id null) and skipped without
 * being held in memory whole; a line that is not JSON gets -32700 and the
 * session goes on; blank lines are ignored.  At end of input the calls in
 * flight finish and their answers are written before wc_stdio_serve
 * returns.  Answers are written in batches: whoever finds no write under
 * way writes everything queued, so a busy server makes one write(2) for
 * many messages.  The queue of output is bounded (max_queued_bytes): when
 * the client stops reading, the calls that send wait and no message is
 * dropped.  The caller should ignore SIGPIPE.
 */
#ifndef WC_TRANSPORT_STDIO_H
#define WC_TRANSPORT_STDIO_H

#include <stdbool.h>
#include <stddef.h>

#include "mcp/server.h"
#include "util/error.h"

typedef struct wc_stdio_options {
    int in_fd, out_fd;
    size_t max_message_bytes; /* 0: the server's option */
    /* Output queued for a client that does not read: past it, calls that
     * send wait (back-pressure) and the reader takes no more input.
     * 0: 4 MiB. */
    size_t max_queued_bytes;
    /* Optional: when wake_fd becomes readable, on_wake(wake_ctx) is called on
     * the serving thread (e.g. for signals through a self-pipe); it returns
     * true to stop reading, as at end of input.  wake_fd -1: none. */
    int wake_fd;
    bool (*on_wake)(void *wake_ctx);
    void *wake_ctx;
} wc_stdio_options;

void wc_stdio_options_default(wc_stdio_options *options); /* fds 0 and 1, no wake fd */

/* Serves one session until end of input (or on_wake says stop), then
 * drains it.  Returns 0, or a WC_E* code with a message when reading
 * fails. */
int wc_stdio_serve(wc_mcp_server *server, const wc_stdio_options *options, wc_error *err);

#endif
