/* conformance.c -- the fixtures of the official MCP conformance suite
 * (@modelcontextprotocol/conformance, server mode).
 *
 * Every tool, resource, resource template and prompt here has the name,
 * schema and output a scenario of the suite asks for (0.1.16 and
 * 0.2.0-alpha.12; docs/CONFORMANCE.md lists the scenarios).  Texts and
 * payloads are those of the suite's reference server
 * (examples/servers/typescript/everything-server.ts), so a check that
 * compares them finds the same bytes.  The config must expose the names
 * as they are: prefix "" (tests/conformance/wasmcap.json).
 *
 * The tasks extension (never scored) has no fixtures: docs/CONFORMANCE.md,
 * "Gaps", says what it would need.
 */
#define WASMCAP_IMPLEMENTATION
#include "wasmcap.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

WASMCAP_MANIFEST_FILE("manifest.json");

/* A 1x1 red PNG and a minimal WAV file, the reference server's payloads. */
static const char test_image_base64[] =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
static const char test_audio_base64[] =
    "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

/* The scenarios ask for pauses of ~50 ms between notifications, so that a
 * client sees them arrive while the call is still running. */
static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- content blocks ----------------------------------------------------- */

static void image_block(wasmcap_jw *w)
{
    wasmcap_jw_begin_object(w);
    wasmcap_jw_kv_string(w, "type", "image");
    wasmcap_jw_kv_string(w, "data", test_image_base64);
    wasmcap_jw_kv_string(w, "mimeType", "image/png");
    wasmcap_jw_end_object(w);
}

static void embedded_text_resource(wasmcap_jw *w, const char *uri, const char *mime_type,
                                   const char *text)
{
    wasmcap_jw_begin_object(w);
    wasmcap_jw_kv_string(w, "type", "resource");
    wasmcap_jw_key(w, "resource");
    wasmcap_jw_begin_object(w);
    wasmcap_jw_kv_string(w, "uri", uri);
    wasmcap_jw_kv_string(w, "mimeType", mime_type);
    wasmcap_jw_kv_string(w, "text", text);
    wasmcap_jw_end_object(w);
    wasmcap_jw_end_object(w);
}

/* ---- tools: content types ----------------------------------------------- */

static int simple_text(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    return wasmcap_text(out, "%s", "This is a simple text response for testing.");
}

static int image_content(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    image_block(wasmcap_content(out));
    return 0;
}

static int audio_content(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    wasmcap_jw *w = wasmcap_content(out);
    wasmcap_jw_begin_object(w);
    wasmcap_jw_kv_string(w, "type", "audio");
    wasmcap_jw_kv_string(w, "data", test_audio_base64);
    wasmcap_jw_kv_string(w, "mimeType", "audio/wav");
    wasmcap_jw_end_object(w);
    return 0;
}

static int embedded_resource(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    embedded_text_resource(wasmcap_content(out), "test://embedded-resource", "text/plain",
                           "This is an embedded resource content.");
    return 0;
}

static int multiple_content_types(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    wasmcap_text(out, "%s", "Multiple content types test:");
    image_block(wasmcap_content(out));
    embedded_text_resource(wasmcap_content(out), "test://mixed-content-resource",
                           "application/json", "{\"test\":\"data\",\"value\":123}");
    return 0;
}

/* ---- tools: notifications ------------------------------------------------ */

static int tool_with_logging(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    wasmcap_log(WASMCAP_INFO, "Tool execution started");
    pause_ms(50);
    wasmcap_log(WASMCAP_INFO, "Tool processing data");
    pause_ms(50);
    wasmcap_log(WASMCAP_INFO, "Tool execution completed");
    return wasmcap_text(out, "%s", "Tool with logging executed successfully");
}

/* The host sends notifications/progress only when the request carried a
 * progressToken, and uses that token; the tool just reports its steps. */
static int tool_with_progress(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    static const int steps[] = {0, 50, 100};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        if (i > 0)
            pause_ms(50);
        wasmcap_progress(steps[i], 100, "Completed step %d of %d", steps[i], 100);
    }
    return wasmcap_text(out, "%s", "Progress reported: 0, 50 and 100 of 100");
}

static int error_handling(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    return wasmcap_error(out, "This tool intentionally returns an error for testing");
}

/* SEP-1699 polling: the answer comes late enough for the transport to have
 * closed the POST stream after its priming event; the client then finds it
 * by resuming with Last-Event-ID.  Closing the stream is the transport's
 * part (docs/CONFORMANCE.md, "Gaps"). */
/* SEP-1699: the server ends the call's event stream mid-call and the
 * client comes back with Last-Event-ID for the rest, the answer included. */
static int reconnection(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    wasmcap_close_stream();
    pause_ms(500);
    return wasmcap_text(out, "%s",
                        "Reconnection test completed successfully. If you received this, the "
                        "client properly reconnected after stream closure.");
}

/* ---- tools: requests to the client ---------------------------------------- */

/* The text of a CreateMessageResult: content is one block or (2025-11-25)
 * an array of blocks; the first text block counts. */
static const char *sampled_text(const wasmcap_json *result)
{
    const wasmcap_json *content = wasmcap_json_get(result, "content");
    if (content && content->type == WASMCAP_JSON_ARRAY)
        for (const wasmcap_json *c = content->child; c; c = c->next)
            if (strcmp(wasmcap_json_string(wasmcap_json_get(c, "type"), ""), "text") == 0)
                return wasmcap_json_string(wasmcap_json_get(c, "text"), NULL);
    return wasmcap_json_string(wasmcap_json_get(content, "text"), NULL);
}

/* Asks the client for a completion of one user message; returns the parsed
 * CreateMessageResult, or NULL with the reason in out. */
static wasmcap_json *sample_one(const char *prompt, int max_tokens, wasmcap_result *out)
{
    wasmcap_jw req = {0};
    wasmcap_jw_begin_object(&req);
    wasmcap_jw_key(&req, "messages");
    wasmcap_jw_begin_array(&req);
    wasmcap_jw_message(&req, "user", prompt);
    wasmcap_jw_end_array(&req);
    wasmcap_jw_kv_int(&req, "maxTokens", max_tokens);
    wasmcap_jw_end_object(&req);
    if (req.buf.failed) {
        wasmcap_buf_free(&req.buf);
        wasmcap_error(out, "out of memory");
        return NULL;
    }
    char *response;
    size_t len;
    int rc = wasmcap_sample(req.buf.data, &response, &len);
    wasmcap_buf_free(&req.buf);
    if (rc) {
        wasmcap_error(out, "sampling failed (%d): %s", rc, wasmcap_last_error());
        return NULL;
    }
    char err[96];
    wasmcap_json *result = wasmcap_json_parse(response, len, err, sizeof err);
    free(response);
    if (!result)
        wasmcap_error(out, "the client's sampling result is not JSON: %s", err);
    return result;
}

static int sampling(const wasmcap_json *args, wasmcap_result *out)
{
    const char *prompt = wasmcap_json_string(wasmcap_json_get(args, "prompt"), "");
    wasmcap_json *result = sample_one(prompt, 100, out);
    if (!result)
        return -1;
    const char *text = sampled_text(result);
    wasmcap_text(out, "LLM response: %s", text ? text : "No response");
    wasmcap_json_free(result);
    return 0;
}

/* Sends elicitation/create with this message and requestedSchema (JSON
 * text) and writes "<prefix>: action=<action>, content=<content JSON>",
 * the reference server's wording. */
static int elicit_and_report(wasmcap_result *out, const char *message, const char *schema,
                             const char *prefix)
{
    wasmcap_jw req = {0};
    wasmcap_jw_begin_object(&req);
    wasmcap_jw_kv_string(&req, "message", message);
    wasmcap_jw_key(&req, "requestedSchema");
    wasmcap_jw_raw(&req, schema, strlen(schema));
    wasmcap_jw_end_object(&req);
    if (req.buf.failed) {
        wasmcap_buf_free(&req.buf);
        return wasmcap_error(out, "out of memory");
    }
    char *response;
    size_t len;
    int rc = wasmcap_elicit(req.buf.data, &response, &len);
    wasmcap_buf_free(&req.buf);
    if (rc)
        return wasmcap_error(out, "elicitation failed (%d): %s", rc, wasmcap_last_error());
    char err[96];
    wasmcap_json *result = wasmcap_json_parse(response, len, err, sizeof err);
    free(response);
    if (!result)
        return wasmcap_error(out, "the client's elicitation result is not JSON: %s", err);
    wasmcap_jw content = {0};
    const wasmcap_json *given = wasmcap_json_get(result, "content");
    if (given)
        wasmcap_jw_value(&content, given);
    else
        wasmcap_jw_raw(&content, "{}", 2);
    if (content.buf.failed)
        rc = wasmcap_error(out, "out of memory");
    else
        wasmcap_text(out, "%s: action=%s, content=%s", prefix,
                     wasmcap_json_string(wasmcap_json_get(result, "action"), "(none)"),
                     content.buf.data);
    wasmcap_buf_free(&content.buf);
    wasmcap_json_free(result);
    return rc;
}

static int elicitation(const wasmcap_json *args, wasmcap_result *out)
{
    /* The scenario's client answers {username, email}, so those are asked. */
    static const char schema[] =
        "{\"type\":\"object\",\"properties\":{"
        "\"username\":{\"type\":\"string\",\"description\":\"User's response\"},"
        "\"email\":{\"type\":\"string\",\"description\":\"User's email address\"}},"
        "\"required\":[\"username\",\"email\"]}";
    const char *message = wasmcap_json_string(wasmcap_json_get(args, "message"), "");
    return elicit_and_report(out, message, schema, "User response");
}

/* SEP-1034: a default for every primitive type. */
static int elicitation_sep1034_defaults(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    static const char schema[] =
        "{\"type\":\"object\",\"properties\":{"
        "\"name\":{\"type\":\"string\",\"description\":\"User name\",\"default\":\"John Doe\"},"
        "\"age\":{\"type\":\"integer\",\"description\":\"User age\",\"default\":30},"
        "\"score\":{\"type\":\"number\",\"description\":\"User score\",\"default\":95.5},"
        "\"status\":{\"type\":\"string\",\"description\":\"User status\","
        "\"enum\":[\"active\",\"inactive\",\"pending\"],\"default\":\"active\"},"
        "\"verified\":{\"type\":\"boolean\",\"description\":\"Verification status\","
        "\"default\":true}},"
        "\"required\":[]}";
    return elicit_and_report(out, "Please review and update the form fields with defaults", schema,
                             "Elicitation completed");
}

/* SEP-1330: the five enum shapes. */
static int elicitation_sep1330_enums(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    static const char schema[] =
        "{\"type\":\"object\",\"properties\":{"
        "\"untitledSingle\":{\"type\":\"string\",\"description\":\"Select one option\","
        "\"enum\":[\"option1\",\"option2\",\"option3\"]},"
        "\"titledSingle\":{\"type\":\"string\",\"description\":\"Select one option with titles\","
        "\"oneOf\":[{\"const\":\"value1\",\"title\":\"First Option\"},"
        "{\"const\":\"value2\",\"title\":\"Second Option\"},"
        "{\"const\":\"value3\",\"title\":\"Third Option\"}]},"
        "\"legacyEnum\":{\"type\":\"string\",\"description\":\"Select one option (legacy)\","
        "\"enum\":[\"opt1\",\"opt2\",\"opt3\"],"
        "\"enumNames\":[\"Option One\",\"Option Two\",\"Option Three\"]},"
        "\"untitledMulti\":{\"type\":\"array\",\"description\":\"Select multiple options\","
        "\"minItems\":1,\"maxItems\":3,"
        "\"items\":{\"type\":\"string\",\"enum\":[\"option1\",\"option2\",\"option3\"]}},"
        "\"titledMulti\":{\"type\":\"array\","
        "\"description\":\"Select multiple options with titles\","
        "\"minItems\":1,\"maxItems\":3,"
        "\"items\":{\"anyOf\":[{\"const\":\"value1\",\"title\":\"First Choice\"},"
        "{\"const\":\"value2\",\"title\":\"Second Choice\"},"
        "{\"const\":\"value3\",\"title\":\"Third Choice\"}]}}},"
        "\"required\":[]}";
    return elicit_and_report(out, "Please select options from the enum fields", schema,
                             "Elicitation completed");
}

/* ---- tools: schemas and headers ------------------------------------------- */

/* The suite checks this tool's inputSchema in tools/list; a call echoes
 * the arguments the schema let through. */
static int json_schema_2020_12_tool(const wasmcap_json *args, wasmcap_result *out)
{
    wasmcap_jw echo = {0};
    wasmcap_jw_value(&echo, args);
    if (echo.buf.failed) {
        wasmcap_buf_free(&echo.buf);
        return wasmcap_error(out, "out of memory");
    }
    wasmcap_text(out, "JSON Schema 2020-12 tool called with: %s", echo.buf.data);
    wasmcap_buf_free(&echo.buf);
    return 0;
}

/* The transport checks the Mcp-Param-Region header against the argument;
 * the tool only has to answer. */
static int custom_header(const wasmcap_json *args, wasmcap_result *out)
{
    return wasmcap_text(out, "Region: %s",
                        wasmcap_json_string(wasmcap_json_get(args, "region"), ""));
}

/* ---- tools: the stateless era (SEP-2575) ---------------------------------- */

/* Needs sampling.  Without the client's capability the host answers
 * WASMCAP_ENOTSUP; the suite wants -32021 on the 2026-07-28 wire, which
 * only the core can send (docs/CONFORMANCE.md, "Gaps"). */
static int missing_capability(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    wasmcap_json *result = sample_one("Reply with one word.", 10, out);
    if (!result)
        return -1;
    wasmcap_json_free(result);
    return wasmcap_text(out, "%s", "Success");
}

/* Progress, then an elicitation.  On the 2026-07-28 wire the server must
 * not put a server-to-client request on the response stream, so there
 * the elicitation is expected to fail (or become an InputRequiredResult);
 * either way the call answers with what happened. */
static int streaming_elicitation(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    wasmcap_progress(50, 100, "%s", "Halfway: asking the client to confirm");
    static const char request[] =
        "{\"message\":\"Confirm to finish the streaming test\","
        "\"requestedSchema\":{\"type\":\"object\","
        "\"properties\":{\"confirm\":{\"type\":\"boolean\"}},\"required\":[\"confirm\"]}}";
    char *response;
    size_t len;
    int rc = wasmcap_elicit(request, &response, &len);
    if (rc)
        return wasmcap_text(out, "Streaming complete; no elicitation (%d): %s", rc,
                            wasmcap_last_error());
    wasmcap_text(out, "Streaming complete; the client answered %s", response);
    free(response);
    return 0;
}

static int logging_tool(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    wasmcap_log(WASMCAP_INFO, "Diagnostic trace logging activated");
    return wasmcap_text(out, "%s", "Logging evaluated");
}

/* SEP-2575: listeners of subscriptions/listen hear of a list change (the
 * reference server mutates its list; the lists here come from the
 * manifest, so the tool only announces it). */
static int trigger_tool_change(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    wasmcap_list_changed("tools");
    return wasmcap_text(out, "%s", "Mutation triggered");
}

static int trigger_prompt_change(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    wasmcap_list_changed("prompts");
    return wasmcap_text(out, "%s", "Mutation triggered");
}

/* ---- tools: input-required results (SEP-2322, revision 2026-07-28) ---------- */

/* What the request brings for an input-required round; {} when nothing. */
static wasmcap_json *request_context(void)
{
    char *text = NULL;
    size_t len = 0;
    wasmcap_json *ctx = NULL;
    if (wasmcap_request_context(&text, &len) == 0)
        ctx = wasmcap_json_parse(text, len, NULL, 0);
    free(text);
    return ctx ? ctx : wasmcap_json_parse("{}", 2, NULL, 0);
}

static const wasmcap_json *input_response(const wasmcap_json *ctx, const char *key)
{
    const wasmcap_json *r = wasmcap_json_get(wasmcap_json_get(ctx, "inputResponses"), key);
    return r && r->type == WASMCAP_JSON_OBJECT ? r : NULL;
}

static const char *request_state(const wasmcap_json *ctx)
{
    return wasmcap_json_string(wasmcap_json_get(ctx, "requestState"), NULL);
}

/* A field of an accepted elicitation's content, or NULL. */
static const wasmcap_json *accepted(const wasmcap_json *response, const char *field)
{
    if (strcmp(wasmcap_json_string(wasmcap_json_get(response, "action"), ""), "accept") != 0)
        return NULL;
    return wasmcap_json_get(wasmcap_json_get(response, "content"), field);
}

/* key -> elicitation/create asking for one property of the given type. */
static void ask_elicitation(wasmcap_jw *w, const char *key, const char *message,
                            const char *property, const char *type)
{
    wasmcap_jw_key(w, key);
    wasmcap_jw_begin_object(w);
    wasmcap_jw_kv_string(w, "method", "elicitation/create");
    wasmcap_jw_key(w, "params");
    wasmcap_jw_begin_object(w);
    wasmcap_jw_kv_string(w, "message", message);
    wasmcap_jw_key(w, "requestedSchema");
    wasmcap_jw_begin_object(w);
    wasmcap_jw_kv_string(w, "type", "object");
    wasmcap_jw_key(w, "properties");
    wasmcap_jw_begin_object(w);
    wasmcap_jw_key(w, property);
    wasmcap_jw_begin_object(w);
    wasmcap_jw_kv_string(w, "type", type);
    wasmcap_jw_end_object(w);
    wasmcap_jw_end_object(w);
    wasmcap_jw_key(w, "required");
    wasmcap_jw_begin_array(w);
    wasmcap_jw_string(w, property);
    wasmcap_jw_end_array(w);
    wasmcap_jw_end_object(w);
    wasmcap_jw_end_object(w);
    wasmcap_jw_end_object(w);
}

/* key -> sampling/createMessage of one user message. */
static void ask_sampling(wasmcap_jw *w, const char *key, const char *prompt, int max_tokens)
{
    wasmcap_jw_key(w, key);
    wasmcap_jw_begin_object(w);
    wasmcap_jw_kv_string(w, "method", "sampling/createMessage");
    wasmcap_jw_key(w, "params");
    wasmcap_jw_begin_object(w);
    wasmcap_jw_key(w, "messages");
    wasmcap_jw_begin_array(w);
    wasmcap_jw_message(w, "user", prompt);
    wasmcap_jw_end_array(w);
    wasmcap_jw_kv_int(w, "maxTokens", max_tokens);
    wasmcap_jw_end_object(w);
    wasmcap_jw_end_object(w);
}

static void ask_roots(wasmcap_jw *w, const char *key)
{
    wasmcap_jw_key(w, key);
    wasmcap_jw_raw(w, "{\"method\":\"roots/list\",\"params\":{}}", 35);
}

static const char *sampled_reply(const wasmcap_json *response)
{
    return wasmcap_json_string(wasmcap_json_get(wasmcap_json_get(response, "content"), "text"),
                               NULL);
}

static int roots_count(const wasmcap_json *response)
{
    int n = 0;
    const wasmcap_json *roots = wasmcap_json_get(response, "roots");
    for (const wasmcap_json *r = roots && roots->type == WASMCAP_JSON_ARRAY ? roots->child : NULL;
         r; r = r->next)
        n++;
    return n;
}

static int input_elicitation(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    wasmcap_json *ctx = request_context();
    const char *name = wasmcap_json_string(accepted(input_response(ctx, "user_name"), "name"),
                                           NULL);
    if (name)
        wasmcap_text(out, "Hello, %s!", name);
    else /* first round, or an answer that is not one: ask (again) */
        ask_elicitation(wasmcap_input_required(out, NULL), "user_name", "What is your name?",
                        "name", "string");
    wasmcap_json_free(ctx);
    return 0;
}

static int input_sampling(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    wasmcap_json *ctx = request_context();
    const wasmcap_json *sample = input_response(ctx, "sample_request");
    if (sample)
        wasmcap_text(out, "Sampling result: %s",
                     sampled_reply(sample) ? sampled_reply(sample) : "no response");
    else
        ask_sampling(wasmcap_input_required(out, NULL), "sample_request",
                     "What is the capital of France?", 100);
    wasmcap_json_free(ctx);
    return 0;
}

static int input_list_roots(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    wasmcap_json *ctx = request_context();
    const wasmcap_json *roots = input_response(ctx, "roots_request");
    if (roots)
        wasmcap_text(out, "Found %d root(s)", roots_count(roots));
    else
        ask_roots(wasmcap_input_required(out, NULL), "roots_request");
    wasmcap_json_free(ctx);
    return 0;
}

/* The confirm-with-state round trip; the host seals the state, so what
 * comes back is what this tool wrote. */
static int confirm_with_state(wasmcap_result *out, const char *kind, const char *done)
{
    wasmcap_json *ctx = request_context();
    const char *state = request_state(ctx);
    const wasmcap_json *ok = accepted(input_response(ctx, "confirm"), "ok");
    if (state && strcmp(state, kind) == 0 && wasmcap_json_bool(ok, 0))
        wasmcap_text(out, "%s", done);
    else
        ask_elicitation(wasmcap_input_required(out, kind), "confirm", "Please confirm", "ok",
                        "boolean");
    wasmcap_json_free(ctx);
    return 0;
}

static int input_request_state(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    return confirm_with_state(out, "request-state", "state-ok: requestState validated");
}

static int input_tampered_state(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    return confirm_with_state(out, "tamper-test", "integrity-ok: state verified");
}

static int input_multiple(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    wasmcap_json *ctx = request_context();
    const char *state = request_state(ctx);
    const wasmcap_json *user = input_response(ctx, "user_name");
    const wasmcap_json *greeting = input_response(ctx, "greeting");
    const wasmcap_json *roots = input_response(ctx, "client_roots");
    if (state && strcmp(state, "multiple-inputs") == 0 && user && greeting && roots) {
        const char *name = wasmcap_json_string(accepted(user, "name"), "unknown");
        const char *hello = sampled_reply(greeting) ? sampled_reply(greeting) : "Hello there!";
        wasmcap_text(out, "Name: %s; Greeting: %s; Roots: %d", name, hello, roots_count(roots));
    } else {
        wasmcap_jw *w = wasmcap_input_required(out, "multiple-inputs");
        ask_elicitation(w, "user_name", "What is your name?", "name", "string");
        ask_sampling(w, "greeting", "Generate a greeting", 50);
        ask_roots(w, "client_roots");
    }
    wasmcap_json_free(ctx);
    return 0;
}

/* Two rounds of questions; the state carries the first answer to the
 * last round ("round2:<name>"). */
static int input_multi_round(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    wasmcap_json *ctx = request_context();
    const char *state = request_state(ctx);
    const char *name = wasmcap_json_string(accepted(input_response(ctx, "step1"), "name"), NULL);
    const char *color =
        wasmcap_json_string(accepted(input_response(ctx, "step2"), "color"), NULL);
    if (state && strcmp(state, "round1") == 0 && name) {
        char next[256];
        snprintf(next, sizeof next, "round2:%.200s", name);
        ask_elicitation(wasmcap_input_required(out, next), "step2",
                        "Step 2: What is your favorite color?", "color", "string");
    } else if (state && strncmp(state, "round2:", 7) == 0 && color) {
        wasmcap_text(out, "Multi-round complete for %s who likes %s", state + 7, color);
    } else {
        ask_elicitation(wasmcap_input_required(out, "round1"), "step1",
                        "Step 1: What is your name?", "name", "string");
    }
    wasmcap_json_free(ctx);
    return 0;
}

/* Asks only for what the client declared it can answer. */
static int input_capabilities(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    wasmcap_json *ctx = request_context();
    const wasmcap_json *caps = wasmcap_json_get(ctx, "clientCapabilities");
    int elicit = wasmcap_json_get(caps, "elicitation") != NULL;
    int sample = wasmcap_json_get(caps, "sampling") != NULL;
    int roots = wasmcap_json_get(caps, "roots") != NULL;
    if (input_response(ctx, "elicit_input") || input_response(ctx, "sample_input") ||
        input_response(ctx, "roots_input") || !(elicit || sample || roots)) {
        wasmcap_text(out, "%s", "Capabilities respected");
    } else {
        wasmcap_jw *w = wasmcap_input_required(out, NULL);
        if (elicit)
            ask_elicitation(w, "elicit_input", "Elicitation input", "value", "string");
        if (sample)
            ask_sampling(w, "sample_input", "Sample request", 50);
        if (roots)
            ask_roots(w, "roots_input");
    }
    wasmcap_json_free(ctx);
    return 0;
}

WASMCAP_TOOLS({"test_simple_text", simple_text},
              {"test_image_content", image_content},
              {"test_audio_content", audio_content},
              {"test_embedded_resource", embedded_resource},
              {"test_multiple_content_types", multiple_content_types},
              {"test_tool_with_logging", tool_with_logging},
              {"test_tool_with_progress", tool_with_progress},
              {"test_error_handling", error_handling},
              {"test_reconnection", reconnection},
              {"test_sampling", sampling},
              {"test_elicitation", elicitation},
              {"test_elicitation_sep1034_defaults", elicitation_sep1034_defaults},
              {"test_elicitation_sep1330_enums", elicitation_sep1330_enums},
              {"json_schema_2020_12_tool", json_schema_2020_12_tool},
              {"test_custom_header", custom_header},
              {"test_missing_capability", missing_capability},
              {"test_streaming_elicitation", streaming_elicitation},
              {"test_logging_tool", logging_tool},
              {"test_trigger_tool_change", trigger_tool_change},
              {"test_trigger_prompt_change", trigger_prompt_change},
              {"test_input_required_result_elicitation", input_elicitation},
              {"test_input_required_result_sampling", input_sampling},
              {"test_input_required_result_list_roots", input_list_roots},
              {"test_input_required_result_request_state", input_request_state},
              {"test_input_required_result_multiple_inputs", input_multiple},
              {"test_input_required_result_multi_round", input_multi_round},
              {"test_input_required_result_tampered_state", input_tampered_state},
              {"test_input_required_result_capabilities", input_capabilities});

/* ---- resources ------------------------------------------------------------- */

#define TEMPLATE_HEAD "test://template/"
#define TEMPLATE_TAIL "/data"

/* The {id} of test://template/{id}/data (one or more characters other than
 * '/', as the host matched it), copied into id; 0 when uri is not one. */
static int template_id(const char *uri, char *id, size_t id_size)
{
    size_t head = strlen(TEMPLATE_HEAD), tail = strlen(TEMPLATE_TAIL), n = strlen(uri);
    if (n <= head + tail || strncmp(uri, TEMPLATE_HEAD, head) != 0 ||
        strcmp(uri + n - tail, TEMPLATE_TAIL) != 0)
        return 0;
    size_t len = n - head - tail;
    if (len >= id_size || memchr(uri + head, '/', len))
        return 0;
    memcpy(id, uri + head, len);
    id[len] = 0;
    return 1;
}

static int read_resource(const char *uri, wasmcap_reply *out)
{
    if (strcmp(uri, "test://static-text") == 0) {
        wasmcap_resource_text(out, uri, "text/plain",
                              "This is the content of the static text resource.");
        return 0;
    }
    if (strcmp(uri, "test://watched-resource") == 0) {
        wasmcap_resource_text(out, uri, "text/plain", "Watched resource content");
        return 0;
    }
    if (strcmp(uri, "test://static-binary") == 0) {
        wasmcap_jw *w = &out->w;
        wasmcap_jw_key(w, "contents");
        wasmcap_jw_begin_array(w);
        wasmcap_jw_begin_object(w);
        wasmcap_jw_kv_string(w, "uri", uri);
        wasmcap_jw_kv_string(w, "mimeType", "image/png");
        wasmcap_jw_kv_string(w, "blob", test_image_base64);
        wasmcap_jw_end_object(w);
        wasmcap_jw_end_array(w);
        return 0;
    }
    char id[256];
    if (template_id(uri, id, sizeof id)) {
        wasmcap_jw data = {0};
        wasmcap_jw_begin_object(&data);
        wasmcap_jw_kv_string(&data, "id", id);
        wasmcap_jw_kv_bool(&data, "templateTest", 1);
        wasmcap_jw_key(&data, "data");
        wasmcap_jw_stringf(&data, "Data for ID: %s", id);
        wasmcap_jw_end_object(&data);
        if (data.buf.failed) {
            wasmcap_buf_free(&data.buf);
            return wasmcap_reply_error(out, "out of memory");
        }
        wasmcap_resource_text(out, uri, "application/json", data.buf.data);
        wasmcap_buf_free(&data.buf);
        return 0;
    }
    return wasmcap_reply_error(out, "resource not found: %s", uri);
}

WASMCAP_READ_RESOURCE(read_resource);

/* ---- prompts --------------------------------------------------------------- */

static int simple_prompt(const wasmcap_json *args, wasmcap_reply *out)
{
    (void)args;
    wasmcap_jw_key(&out->w, "messages");
    wasmcap_jw_begin_array(&out->w);
    wasmcap_jw_message(&out->w, "user", "This is a simple prompt for testing.");
    wasmcap_jw_end_array(&out->w);
    return 0;
}

/* Prompt arguments reach the plugin unchecked: required ones are checked
 * here (the host turns the error into -32602). */
static const char *required_argument(const wasmcap_json *args, const char *name,
                                     wasmcap_reply *out)
{
    const char *value = wasmcap_json_string(wasmcap_json_get(args, name), NULL);
    if (!value)
        wasmcap_reply_error(out, "argument '%s' is required", name);
    return value;
}

static int prompt_with_arguments(const wasmcap_json *args, wasmcap_reply *out)
{
    const char *arg1 = required_argument(args, "arg1", out);
    const char *arg2 = arg1 ? required_argument(args, "arg2", out) : NULL;
    if (!arg1 || !arg2)
        return -1;
    wasmcap_buf text = {0};
    wasmcap_buf_printf(&text, "Prompt with arguments: arg1='%s', arg2='%s'", arg1, arg2);
    if (text.failed) {
        wasmcap_buf_free(&text);
        return wasmcap_reply_error(out, "out of memory");
    }
    wasmcap_jw_key(&out->w, "messages");
    wasmcap_jw_begin_array(&out->w);
    wasmcap_jw_message(&out->w, "user", text.data);
    wasmcap_jw_end_array(&out->w);
    wasmcap_buf_free(&text);
    return 0;
}

static int prompt_with_embedded_resource(const wasmcap_json *args, wasmcap_reply *out)
{
    const char *uri = required_argument(args, "resourceUri", out);
    if (!uri)
        return -1;
    wasmcap_jw *w = &out->w;
    wasmcap_jw_key(w, "messages");
    wasmcap_jw_begin_array(w);
    wasmcap_jw_begin_object(w);
    wasmcap_jw_kv_string(w, "role", "user");
    wasmcap_jw_key(w, "content");
    embedded_text_resource(w, uri, "text/plain", "Embedded resource content for testing.");
    wasmcap_jw_end_object(w);
    wasmcap_jw_message(w, "user", "Please process the embedded resource above.");
    wasmcap_jw_end_array(w);
    return 0;
}

static int prompt_with_image(const wasmcap_json *args, wasmcap_reply *out)
{
    (void)args;
    wasmcap_jw *w = &out->w;
    wasmcap_jw_key(w, "messages");
    wasmcap_jw_begin_array(w);
    wasmcap_jw_begin_object(w);
    wasmcap_jw_kv_string(w, "role", "user");
    wasmcap_jw_key(w, "content");
    image_block(w);
    wasmcap_jw_end_object(w);
    wasmcap_jw_message(w, "user", "Please analyze the image above.");
    wasmcap_jw_end_array(w);
    return 0;
}

/* SEP-2322 for prompts/get: the context comes from the client first. */
static int input_required_prompt(const wasmcap_json *args, wasmcap_reply *out)
{
    (void)args;
    wasmcap_json *ctx = request_context();
    const char *context =
        wasmcap_json_string(accepted(input_response(ctx, "user_context"), "context"), NULL);
    if (context) {
        char text[512];
        snprintf(text, sizeof text, "Prompt with context: %.400s", context);
        wasmcap_jw_key(&out->w, "messages");
        wasmcap_jw_begin_array(&out->w);
        wasmcap_jw_message(&out->w, "user", text);
        wasmcap_jw_end_array(&out->w);
    } else {
        wasmcap_jw_kv_string(&out->w, "resultType", "input_required");
        wasmcap_jw_key(&out->w, "inputRequests");
        wasmcap_jw_begin_object(&out->w);
        ask_elicitation(&out->w, "user_context", "What context should the prompt use?",
                        "context", "string");
        wasmcap_jw_end_object(&out->w);
    }
    wasmcap_json_free(ctx);
    return 0;
}

WASMCAP_PROMPTS({"test_simple_prompt", simple_prompt},
                {"test_prompt_with_arguments", prompt_with_arguments},
                {"test_prompt_with_embedded_resource", prompt_with_embedded_resource},
                {"test_prompt_with_image", prompt_with_image},
                {"test_input_required_result_prompt", input_required_prompt});
