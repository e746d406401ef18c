/* bench_evhttp_probe.c -- the measurement behind not using evhttp: a
 * minimal MCP-shaped server on libevent's evhttp that holds GET event
 * streams the way wasmcap does, for bench_sse_idle to load.
 *
 *   bench_evhttp_probe PORT
 *
 * POST answers initialize with a session id and anything else with 202;
 * GET starts an event stream with a priming event and keeps it open.  It
 * keeps no sessions at all, so what it costs per stream is evhttp's own
 * connection, request and buffers: docs/BENCHMARKS.md, "HTTP layer".
 */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_request(struct evhttp_request *req, void *arg)
{
    (void)arg;
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    if (evhttp_request_get_command(req) == EVHTTP_REQ_POST) {
        struct evbuffer *in = evhttp_request_get_input_buffer(req);
        size_t n = evbuffer_get_length(in);
        char *body = (char *)evbuffer_pullup(in, (ev_ssize_t)n);
        if (body && memmem(body, n, "\"initialize\"", 12)) {
            static const char answer[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}";
            struct evbuffer *b = evbuffer_new();
            evbuffer_add(b, answer, sizeof answer - 1);
            evhttp_add_header(out, "Content-Type", "application/json");
            evhttp_add_header(out, "Mcp-Session-Id", "0123456789abcdef0123456789abcdef");
            evhttp_send_reply(req, 200, "OK", b);
            evbuffer_free(b);
        } else {
            evhttp_send_reply(req, 202, "Accepted", NULL);
        }
        return;
    }
    evhttp_add_header(out, "Content-Type", "text/event-stream");
    evhttp_send_reply_start(req, 200, "OK");
    struct evbuffer *b = evbuffer_new();
    evbuffer_add_printf(b, "id: 0-0\nretry: 1000\ndata: \n\n");
    evhttp_send_reply_chunk(req, b);
    evbuffer_free(b);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_evhttp_probe PORT\n");
        return 2;
    }
    struct event_base *base = event_base_new();
    struct evhttp *http = evhttp_new(base);
    evhttp_set_gencb(http, on_request, NULL);
    if (evhttp_bind_socket(http, "127.0.0.1", (ev_uint16_t)atoi(argv[1])) != 0) {
        fprintf(stderr, "bench_evhttp_probe: cannot listen on port %s\n", argv[1]);
        return 1;
    }
    event_base_dispatch(base);
    return 0;
}
