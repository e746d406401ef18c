/* faults.c -- a test-only plugin whose tools misbehave on purpose.
 *
 * The end-to-end tests (tests/e2e) call it through `wasmcap serve` to check
 * that every way a plugin can fail ends in an isError result that names what
 * happened and which limit to raise, and that the next call works.  It is
 * written against the raw native ABI of docs/PLUGINS.md (no SDK header) so
 * that it tests the contract itself; its manifest is the sidecar file
 * faults.manifest.json.
 *
 *   echo        returns {"text": text}
 *   trap        executes `unreachable`
 *   loop        loops forever (until the host's deadline)
 *   hog         grows memory until memory.grow fails, then traps, as an
 *               allocator that aborts on exhaustion does
 *   big         returns a text block of `bytes` bytes (default 2 MiB)
 *   slow        `steps` steps of `step_ms` busy milliseconds, each sending
 *               progress and a log message through the host
 *   sample      asks the client (host import `sample`) and returns its answer
 *   ask         asks the user through the client (host import `elicit`) for
 *               a name and returns the client's answer
 *   bad_output  returns structuredContent that violates its outputSchema
 *   poll        asks the host to close its event stream (host import
 *               `close_stream`, SSE polling), works `ms` milliseconds
 *               (default 200), then returns {"polled": true}
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IMPORT(name) __attribute__((import_module("wasmcap"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

IMPORT("log") void host_log(int32_t level, const char *msg, int32_t len);
IMPORT("progress") void host_progress(double progress, double total, const char *msg, int32_t len);
IMPORT("sample") int32_t host_sample(const char *req, int32_t len);
IMPORT("elicit") int32_t host_elicit(const char *req, int32_t len);
IMPORT("read_response") int32_t host_read_response(char *dst, int32_t len);
IMPORT("close_stream") void host_close_stream(void);

#define LOG_INFO 1

EXPORT("wasmcap_alloc") void *faults_alloc(int32_t size)
{
    return malloc(size > 0 ? (size_t)size : 1);
}

static int64_t pack(const char *json, size_t len)
{
    return (int64_t)(((uint64_t)(uintptr_t)json << 32) | (uint32_t)len);
}

static int64_t result(const char *json)
{
    return pack(json, strlen(json));
}

/* An isError result whose one text block is msg (JSON-escaped here). */
static int64_t error_result(const char *msg)
{
    size_t n = strlen(msg);
    char *out = malloc(n * 6 + 64);
    if (!out)
        __builtin_trap();
    char *p = out + sprintf(out, "{\"isError\":true,\"content\":[{\"type\":\"text\",\"text\":\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)msg[i];
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char)c;
        } else if (c < 0x20) {
            p += sprintf(p, "\\u%04x", c);
        } else {
            *p++ = (char)c;
        }
    }
    strcpy(p, "\"}]}");
    return result(out);
}

/* The raw JSON token that follows "key": in the arguments object, or NULL.
 * Enough for the flat objects the manifest's schemas let through (the host
 * has validated them already). */
static const char *arg_token(const char *args, size_t len, const char *key, size_t *tok_len)
{
    char pat[64];
    int plen = snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *end = args + len;
    for (const char *p = args; p + plen <= end; p++) {
        if (memcmp(p, pat, (size_t)plen) != 0)
            continue;
        const char *q = p + plen;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
            q++;
        if (q >= end || *q != ':')
            continue;
        q++;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
            q++;
        const char *t = q;
        if (t < end && *t == '"') {
            q++;
            while (q < end && *q != '"')
                q += (*q == '\\') ? 2 : 1;
            if (q >= end)
                return NULL;
            q++;
        } else {
            while (q < end && *q != ',' && *q != '}' && *q != ' ')
                q++;
        }
        *tok_len = (size_t)(q - t);
        return t;
    }
    return NULL;
}

static long arg_int(const char *args, size_t len, const char *key, long def)
{
    size_t n;
    const char *t = arg_token(args, len, key, &n);
    if (!t || n == 0 || n > 20)
        return def;
    char tmp[24];
    memcpy(tmp, t, n);
    tmp[n] = 0;
    return strtol(tmp, NULL, 10);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static volatile uint32_t spin;

static int64_t tool_slow(const char *args, size_t len)
{
    long steps = arg_int(args, len, "steps", 5);
    long step_ms = arg_int(args, len, "step_ms", 100);
    char msg[96];
    for (long i = 0; i < steps; i++) {
        uint64_t until = now_ms() + (uint64_t)step_ms;
        while (now_ms() < until)
            spin++;
        int n = snprintf(msg, sizeof msg, "step %ld of %ld done", i + 1, steps);
        host_progress((double)(i + 1), (double)steps, msg, n);
        host_log(LOG_INFO, msg, n);
    }
    char *out = malloc(64);
    snprintf(out, 64, "{\"structuredContent\":{\"steps\":%ld}}", steps);
    return result(out);
}

static int64_t tool_poll(const char *args, size_t len)
{
    long ms = arg_int(args, len, "ms", 200);
    host_close_stream();
    uint64_t until = now_ms() + (uint64_t)ms;
    while (now_ms() < until)
        spin++;
    return result("{\"structuredContent\":{\"polled\":true}}");
}

/* The host's answer to a client request (sample or elicit): {"answer":
 * <the client's result>} on success, an isError naming the code otherwise. */
static int64_t client_answer(const char *what, int32_t got)
{
    int32_t size = got < 0 ? 4096 : got;
    char *answer = malloc((size_t)size + 1);
    int32_t copied = host_read_response(answer, size);
    if (copied < 0)
        copied = 0;
    answer[copied] = 0;
    if (got < 0) {
        char *msg = malloc((size_t)copied + 64);
        sprintf(msg, "%s failed (%d): %s", what, (int)got, answer);
        return error_result(msg);
    }
    char *out = malloc((size_t)copied + 64);
    int m = sprintf(out, "{\"structuredContent\":{\"answer\":%s}}", answer);
    return pack(out, (size_t)m);
}

static int64_t tool_ask(const char *args, size_t len)
{
    size_t qlen;
    const char *question = arg_token(args, len, "question", &qlen);
    if (!question || qlen < 2 || question[0] != '"')
        return error_result("argument 'question' must be a string");
    char *req = malloc(qlen + 256);
    int n = sprintf(req, "{\"message\":%.*s,\"requestedSchema\":{\"type\":\"object\","
                         "\"properties\":{\"name\":{\"type\":\"string\"}},\"required\":[\"name\"]}}",
                    (int)qlen, question);
    return client_answer("elicitation", host_elicit(req, n));
}

static int64_t tool_sample(const char *args, size_t len)
{
    size_t plen;
    const char *prompt = arg_token(args, len, "prompt", &plen);
    if (!prompt || plen < 2 || prompt[0] != '"')
        return error_result("argument 'prompt' must be a string");
    /* The prompt token is a JSON string literal already: copied verbatim. */
    char *req = malloc(plen + 256);
    int n = sprintf(req, "{\"messages\":[{\"role\":\"user\",\"content\":{\"type\":\"text\",\"text\":%.*s}}],"
                         "\"maxTokens\":100}", (int)plen, prompt);
    /* The client's CreateMessageResult, as it is, under "answer". */
    return client_answer("sampling", host_sample(req, n));
}

static int64_t tool_big(const char *args, size_t len)
{
    long bytes = arg_int(args, len, "bytes", 2L << 20);
    char *out = malloc((size_t)bytes + 128);
    if (!out)
        return error_result("big: out of memory");
    int n = sprintf(out, "{\"content\":[{\"type\":\"text\",\"text\":\"");
    memset(out + n, 'x', (size_t)bytes);
    strcpy(out + n + bytes, "\"}]}");
    return pack(out, (size_t)n + (size_t)bytes + 4);
}

static int64_t tool_hog(void)
{
    /* 1 MiB at a time, touching each page, until the host refuses. */
    for (;;) {
        int32_t old = __builtin_wasm_memory_grow(0, 16);
        if (old < 0)
            __builtin_trap();
        volatile char *base = (volatile char *)((uintptr_t)old << 16);
        for (int i = 0; i < 16; i++)
            base[i << 16] = 1;
    }
}

EXPORT("wasmcap_call_tool")
int64_t faults_call_tool(const char *name, int32_t name_len, const char *args, int32_t args_len)
{
    size_t alen = args_len > 0 ? (size_t)args_len : 0;
#define IS(s) ((size_t)name_len == sizeof(s) - 1 && memcmp(name, s, sizeof(s) - 1) == 0)
    if (IS("echo")) {
        size_t n;
        const char *t = arg_token(args, alen, "text", &n);
        if (!t)
            return error_result("argument 'text' is required");
        char *out = malloc(n + 64);
        int m = sprintf(out, "{\"structuredContent\":{\"text\":%.*s}}", (int)n, t);
        return pack(out, (size_t)m);
    }
    if (IS("trap"))
        __builtin_trap();
    if (IS("loop")) {
        for (;;)
            spin++;
    }
    if (IS("hog"))
        return tool_hog();
    if (IS("big"))
        return tool_big(args, alen);
    if (IS("slow"))
        return tool_slow(args, alen);
    if (IS("sample"))
        return tool_sample(args, alen);
    if (IS("ask"))
        return tool_ask(args, alen);
    if (IS("poll"))
        return tool_poll(args, alen);
    if (IS("bad_output"))
        return result("{\"structuredContent\":{\"count\":\"many\"}}");
#undef IS
    return error_result("unknown tool; the faults plugin has echo, trap, loop, hog, big, slow, sample, ask, bad_output, poll");
}
