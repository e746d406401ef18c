/* bench_json.c -- JSON on the tool-call hot path: jansson against
 * json/parse.h and json/text.h.
 *
 *   bench_json [--quick]
 *
 * Per typical message, nanoseconds per operation (the best of several
 * timed batches, so a busy machine shows less in the figures):
 *   - parse of a tools/call request (the JSON-RPC reader's job):
 *     json_loadb(JSON_DECODE_ANY) vs wc_json_parse;
 *   - parse of a plugin's CallToolResult text (native.c's job):
 *     json_loadb(JSON_REJECT_DUPLICATES) vs wc_json_parse(REJECT_DUPLICATES);
 *   - write of the JSON-RPC response holding that result into a reused
 *     buffer: json_dumpb(JSON_COMPACT) vs wc_json_write;
 *   - the same three for a larger result (40 content blocks of 200 bytes);
 *   - the whole reader+writer round of one call: wc_rpc_parse +
 *     wc_rpc_write_result (these are the new code paths; no jansson twin).
 * Both sides are checked to produce equal values and equal text first.
 * Exit status 0, or 1 when a check fails.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json/parse.h"
#include "json/text.h"
#include "mcp/jsonrpc.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef void (*op_fn)(void *ctx);

/* ns per call of op: the best of `rounds` batches of `batch` calls. */
static double measure(op_fn op, void *ctx, int rounds, int batch)
{
    double best = 1e30;
    for (int r = 0; r < rounds; r++) {
        double t0 = now_ns();
        for (int i = 0; i < batch; i++)
            op(ctx);
        double ns = (now_ns() - t0) / batch;
        if (ns < best)
            best = ns;
    }
    return best;
}

typedef struct text_ctx {
    const char *text;
    size_t len;
} text_ctx;

static void op_loadb_any(void *ctx)
{
    text_ctx *c = ctx;
    json_error_t e;
    json_decref(json_loadb(c->text, c->len, JSON_DECODE_ANY, &e));
}

static void op_parse(void *ctx)
{
    text_ctx *c = ctx;
    wc_json_error e;
    json_decref(wc_json_parse(c->text, c->len, 0, &e));
}

static void op_loadb_nodup(void *ctx)
{
    text_ctx *c = ctx;
    json_error_t e;
    json_decref(json_loadb(c->text, c->len, JSON_REJECT_DUPLICATES, &e));
}

static void op_parse_nodup(void *ctx)
{
    text_ctx *c = ctx;
    wc_json_error e;
    json_decref(wc_json_parse(c->text, c->len, WC_JSON_REJECT_DUPLICATES, &e));
}

typedef struct write_ctx {
    const json_t *id, *value;
    char *buf;
    size_t cap;
    size_t len; /* of the last text */
} write_ctx;

/* What jsonrpc.c did before: literal envelope, id and result by json_dumpb. */
static void op_dumpb(void *ctx)
{
    write_ctx *c = ctx;
    static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":", mid[] = ",\"result\":";
    size_t n = sizeof head - 1;
    memcpy(c->buf, head, n);
    n += json_dumpb(c->id, c->buf + n, c->cap - n, JSON_COMPACT | JSON_ENCODE_ANY);
    memcpy(c->buf + n, mid, sizeof mid - 1);
    n += sizeof mid - 1;
    n += json_dumpb(c->value, c->buf + n, c->cap - n, JSON_COMPACT | JSON_ENCODE_ANY);
    c->buf[n++] = '}';
    c->len = n;
}

static void op_write(void *ctx)
{
    write_ctx *c = ctx;
    uint8_t block[WC_RPC_BLOCK];
    wc_buf out;
    wc_buf_init_on(&out, block, sizeof block);
    wc_rpc_write_result(&out, c->id, c->value);
    if (out.len <= c->cap)
        memcpy(c->buf, out.data, out.len);
    c->len = out.len;
    wc_buf_free(&out);
}

static void op_json_write(void *ctx)
{
    write_ctx *c = ctx;
    wc_json_sink sink = {.data = c->buf, .cap = c->cap};
    wc_json_write(&sink, c->value);
    c->len = sink.len;
}

static void op_dumpb_value(void *ctx)
{
    write_ctx *c = ctx;
    c->len = json_dumpb(c->value, c->buf, c->cap, JSON_COMPACT | JSON_ENCODE_ANY);
}

typedef struct round_ctx {
    const char *request;
    size_t request_len;
    const json_t *result;
} round_ctx;

static void op_round(void *ctx)
{
    round_ctx *c = ctx;
    wc_rpc_message m;
    wc_rpc_parse(c->request, c->request_len, &m);
    uint8_t block[WC_RPC_BLOCK];
    wc_buf out;
    wc_buf_init_on(&out, block, sizeof block);
    wc_rpc_write_result(&out, m.id, c->result);
    wc_buf_free(&out);
    wc_rpc_message_free(&m);
}

static int failures;

static void row(const char *what, double theirs, double mine)
{
    printf("  %-44s %9.0f ns %9.0f ns   %5.2fx\n", what, theirs, mine, theirs / mine);
}

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "bench_json: check failed: %s\n", what);
        failures++;
    }
}

static void bench_message(const char *title, const char *request, const char *result_text,
                          int rounds, int batch)
{
    text_ctx req = {request, strlen(request)};
    text_ctx res = {result_text, strlen(result_text)};
    json_t *a = json_loadb(req.text, req.len, JSON_DECODE_ANY, NULL);
    json_t *b = wc_json_parse(req.text, req.len, 0, NULL);
    check(a && b && json_equal(a, b), "request parses alike");
    json_decref(a);
    json_decref(b);
    json_t *result = wc_json_parse(res.text, res.len, WC_JSON_REJECT_DUPLICATES, NULL);
    a = json_loadb(res.text, res.len, JSON_REJECT_DUPLICATES, NULL);
    check(a && result && json_equal(a, result), "result parses alike");
    json_decref(a);

    size_t cap = 8 * res.len + 1024;
    json_t *id = json_integer(12345);
    write_ctx w1 = {id, result, malloc(cap), cap, 0}, w2 = {id, result, malloc(cap), cap, 0};
    op_dumpb(&w1);
    op_write(&w2);
    check(w1.len == w2.len && memcmp(w1.buf, w2.buf, w1.len) == 0, "responses are equal");

    printf("%s (request %zu bytes, result %zu bytes)\n", title, req.len, res.len);
    printf("  %-44s %12s %12s %8s\n", "", "jansson", "wasmcap", "speedup");
    row("parse the tools/call request", measure(op_loadb_any, &req, rounds, batch),
        measure(op_parse, &req, rounds, batch));
    row("parse the plugin's result (no duplicates)", measure(op_loadb_nodup, &res, rounds, batch),
        measure(op_parse_nodup, &res, rounds, batch));
    row("write the result value", measure(op_dumpb_value, &w1, rounds, batch),
        measure(op_json_write, &w2, rounds, batch));
    row("write the JSON-RPC response", measure(op_dumpb, &w1, rounds, batch),
        measure(op_write, &w2, rounds, batch));
    round_ctx rc = {req.text, req.len, result};
    printf("  %-44s %12s %9.0f ns\n", "wc_rpc_parse + wc_rpc_write_result", "",
           measure(op_round, &rc, rounds, batch));
    free(w1.buf);
    free(w2.buf);
    json_decref(id);
    json_decref(result);
}

int main(int argc, char **argv)
{
    bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    int rounds = quick ? 3 : 9, batch = quick ? 2000 : 20000;

    const char *request = "{\"jsonrpc\":\"2.0\",\"id\":12345,\"method\":\"tools/call\",\"params\":"
                          "{\"name\":\"weather-forecast\",\"arguments\":{\"city\":\"Z\\u00fcrich\","
                          "\"days\":3,\"units\":\"metric\",\"hourly\":false},"
                          "\"_meta\":{\"progressToken\":\"p-12345\"}}}";
    const char *result = "{\"content\":[{\"type\":\"text\",\"text\":\"{\\\"city\\\":\\\"Z\xc3\xbcrich"
                         "\\\",\\\"days\\\":[{\\\"max\\\":21.5,\\\"min\\\":12.25}]}\"}],"
                         "\"structuredContent\":{\"city\":\"Z\xc3\xbcrich\",\"days\":[{\"max\":21.5,"
                         "\"min\":12.25,\"rain\":0.1,\"wind\":14}]},\"isError\":false}";
    bench_message("typical tools/call", request, result, rounds, batch);

    /* a larger result: 40 text blocks of about 200 bytes */
    char *big = malloc(64 * 1024);
    size_t n = (size_t)sprintf(big, "{\"content\":[");
    for (int i = 0; i < 40; i++)
        n += (size_t)sprintf(big + n,
                             "%s{\"type\":\"text\",\"text\":\"Line %d of the report: the quick brown "
                             "fox jumps over the lazy dog; \\\"quoted\\\" text, a tab\\there, "
                             "caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9\x65, and some more words "
                             "to reach two hundred bytes.\\n\"}",
                             i ? "," : "", i);
    sprintf(big + n, "],\"isError\":false}");
    bench_message("large tools/call result", request, big, rounds, batch / 10);
    free(big);
    return failures ? 1 : 0;
}
