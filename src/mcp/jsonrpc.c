/* jsonrpc.c -- classify incoming JSON-RPC messages and write outgoing ones.
 *
 * Parsing reads straight from the transport's bytes (no copy, no NUL
 * needed): a plain request by a small scanner that builds only params and
 * the id (a tool call's arguments are left as text for the plugin layer;
 * the usual tool call's params are read without the parser at all),
 * anything else as one tree.  Writing avoids building an envelope object:
 * the fixed parts are literal text, an integer id is written directly, and
 * only other ids, params and results go through wc_json_write, straight
 * into the caller's buffer.
 */
#include "mcp/jsonrpc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/parse.h"
#include "json/scan.h"
#include "json/text.h"

static void invalid(wc_rpc_message *m, int code, const char *fmt, const char *arg)
{
    m->kind = WC_RPC_MSG_INVALID;
    m->code = code;
    snprintf(m->reason, sizeof m->reason, fmt, arg);
}

static bool usable_id(const json_t *id)
{
    return json_is_string(id) || json_is_number(id);
}

/* A plain string token (wc_json_plain_string), p moved past it. */
static bool plain_string(const char **p, const char *end, const char **text, size_t *n)
{
    const char *after = wc_json_plain_string(*p, end, text, n);
    if (!after)
        return false;
    *p = after;
    return true;
}

/* The envelope's members, as bits of what was seen. */
enum { JSONRPC = 1, ID = 2, METHOD = 4, PARAMS = 8 };

/* The key at p when it is one of the envelope's, written plainly ("id"
 * with its quotes), p moved past it; 0 for any other key. */
static unsigned envelope_key(const char **p, const char *end)
{
    const char *text;
    size_t len;
    unsigned which;
    if (end - *p < 4 || (*p)[0] != '"')
        return 0;
    switch ((*p)[1]) {
    case 'j': text = "\"jsonrpc\"", len = 9, which = JSONRPC; break;
    case 'i': text = "\"id\"", len = 4, which = ID; break;
    case 'm': text = "\"method\"", len = 8, which = METHOD; break;
    case 'p': text = "\"params\"", len = 8, which = PARAMS; break;
    default: return 0;
    }
    if ((size_t)(end - *p) < len || memcmp(*p, text, len) != 0)
        return 0;
    *p += len;
    return which;
}

static bool is_number_byte(char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* The id at p, made directly when it is a plain string or a number, else
 * by the parser; NULL when it is not a string or number or not valid. */
static json_t *envelope_id(const char **p, const char *end)
{
    const char *at = *p, *text;
    size_t n;
    if (at < end && *at == '"') {
        const char *after = wc_json_plain_string(at, end, &text, &n);
        if (after) {
            *p = after;
            return json_stringn_nocheck(text, n); /* checked: UTF-8, no escapes */
        }
        after = wc_json_scan_value(at, end);
        if (!after)
            return NULL;
        *p = after;
        json_t *id = wc_json_parse(at, (size_t)(after - at), 0, NULL);
        if (!json_is_string(id)) {
            json_decref(id);
            return NULL;
        }
        return id;
    }
    /* A number token as the parser reads one; what follows it is the
     * envelope's to check (a letter there fails the envelope). */
    const char *q = at;
    while (q < end && is_number_byte(*q))
        q++;
    bool is_integer;
    json_int_t integer;
    double real;
    if (!wc_json_number_token(at, (size_t)(q - at), &is_integer, &integer, &real))
        return NULL;
    *p = q;
    return is_integer ? json_integer(integer) : json_real(real);
}

/* Whether the text at p starts with the len bytes of lit. */
static bool starts_with(const char *p, const char *end, const char *lit, size_t len)
{
    return (size_t)(end - p) >= len && memcmp(p, lit, len) == 0;
}

/* The params of a tool call in their usual form -- {"name": "...",
 * "arguments": {...}}, both members, in either order, nothing else, the
 * name written plainly and the arguments a flat object -- read without the
 * parser: the arguments are checked as the parser checks them (values,
 * duplicate keys) and left an empty stand-in, as skimming leaves them.
 * NULL for anything else (the parser then decides); else *after is past
 * params, *args and *args_len the arguments' text. */
static json_t *tool_call_params(const char *p, const char *end, const char **after,
                                const char **args, size_t *args_len)
{
    const char *name = NULL, *args_at = NULL, *args_end = NULL;
    size_t name_len = 0;
    bool name_first = false;
    p = wc_json_scan_ws(p + 1, end);
    for (;;) {
        if (!name && starts_with(p, end, "\"name\"", 6)) {
            name_first = !args_at;
            p = wc_json_scan_ws(p + 6, end);
            if (p == end || *p != ':')
                return NULL;
            p = wc_json_plain_string(wc_json_scan_ws(p + 1, end), end, &name, &name_len);
        } else if (!args_at && starts_with(p, end, "\"arguments\"", 11)) {
            p = wc_json_scan_ws(p + 11, end);
            if (p == end || *p != ':')
                return NULL;
            wc_json_member members[WC_JSON_FLAT_MAX];
            int count;
            args_at = wc_json_scan_ws(p + 1, end);
            p = args_end = wc_json_flat_object_checked(args_at, end, members, &count);
        } else {
            return NULL;
        }
        if (!p)
            return NULL;
        p = wc_json_scan_ws(p, end);
        if (p < end && *p == ',') {
            p = wc_json_scan_ws(p + 1, end);
            continue;
        }
        if (p == end || *p != '}' || !name || !args_at)
            return NULL;
        break;
    }
    json_t *params = json_object();
    if (!params)
        return NULL;
    json_t *name_value = json_stringn_nocheck(name, name_len); /* plain: valid UTF-8 */
    json_t *stand_in = json_object();
    /* Members in the text's order, as the parser adds them.  set_new takes
     * its value, NULL or not, whether it succeeds or fails. */
    int failed = json_object_set_new_nocheck(params, name_first ? "name" : "arguments",
                                             name_first ? name_value : stand_in);
    failed |= json_object_set_new_nocheck(params, name_first ? "arguments" : "name",
                                          name_first ? stand_in : name_value);
    if (failed) {
        json_decref(params);
        return NULL;
    }
    *after = p + 1;
    *args = args_at;
    *args_len = (size_t)(args_end - args_at);
    return params;
}

/* The common request, {"jsonrpc":"2.0","id":..,"method":"..","params":{..}}
 * in any order, read in one pass without building a tree for the envelope:
 * only params and the id become values (in a two-element array that root
 * owns), params parsed where it lies.  Anything else -- another member, a
 * key written with escapes, a member twice, a method with escapes, any
 * error -- returns false and the message takes the general path, which
 * also gives every error its message. */
static bool parse_request_fast(const char *data, size_t len, wc_rpc_message *m)
{
    const char *p = wc_json_scan_ws(data, data + len), *end = data + len;
    if (p == end || *p != '{')
        return false;
    json_t *id = NULL, *params = NULL;
    const char *params_at = NULL, *method = NULL;
    const char *fast_args = NULL; /* set when tool_call_params read params */
    size_t fast_args_len = 0;
    size_t method_len = 0;
    unsigned seen = 0;
    wc_json_span span_items[4];
    wc_json_spans spans = {.items = span_items, .cap = 4, .max_depth = 2};
    p = wc_json_scan_ws(p + 1, end);
    for (;;) {
        unsigned which = envelope_key(&p, end);
        if (!which || (seen & which))
            goto refuse;
        seen |= which;
        p = wc_json_scan_ws(p, end);
        if (p == end || *p != ':')
            goto refuse;
        p = wc_json_scan_ws(p + 1, end);
        if (which == JSONRPC) {
            if (end - p < 5 || memcmp(p, "\"2.0\"", 5) != 0)
                goto refuse;
            p += 5;
        } else if (which == METHOD) {
            if (!plain_string(&p, end, &method, &method_len) ||
                method_len >= sizeof m->method_text)
                goto refuse;
        } else if (which == ID) {
            if (!(id = envelope_id(&p, end)))
                goto refuse;
        } else {
            if (p == end || *p != '{')
                goto refuse;
            params_at = p;
            bool tool_call = method && method_len == 10 && memcmp(method, "tools/call", 10) == 0;
            const char *after;
            if (tool_call &&
                (params = tool_call_params(p, end, &after, &fast_args, &fast_args_len))) {
                p = after;
                goto next_member;
            }
            size_t params_len = 0;
            /* The envelope is a level of nesting: params may hold one
             * fewer than a whole message. */
            wc_json_options options = {.flags = WC_JSON_REJECT_DUPLICATES, .spans = &spans,
                                       .value_end = &params_len,
                                       .max_depth = WC_JSON_MAX_DEPTH - 1};
            /* The arguments of a tool call are checked by the plugin layer
             * from their text (wc_schema_validate_object_text, or its own
             * parse) and handed to the guest as text: params.arguments is
             * left an empty stand-in, unless skimming could not compare its
             * keys.  (The method may come after params: then it is known
             * too late, and the arguments are built.) */
            static const char *const skim_arguments[] = {"arguments", NULL};
            bool unchecked = false;
            if (tool_call) {
                options.skim = skim_arguments;
                options.unchecked_duplicates = &unchecked;
            }
            params = wc_json_parse_with(p, (size_t)(end - p), &options, NULL);
            /* an array is no arguments object: built, so that the refusal
             * sees what the client sent (the stand-in would be []) */
            if (params && (unchecked || json_is_array(json_object_get(params, "arguments")))) {
                json_decref(params);
                options.skim = NULL;
                params = wc_json_parse_with(p, (size_t)(end - p), &options, NULL);
            }
            if (!params)
                goto refuse;
            p += params_len;
        }
    next_member:
        p = wc_json_scan_ws(p, end);
        if (p < end && *p == ',') {
            p = wc_json_scan_ws(p + 1, end);
            continue;
        }
        if (p == end || *p != '}')
            goto refuse;
        break;
    }
    if (seen != (JSONRPC | ID | METHOD | PARAMS) || wc_json_scan_ws(p + 1, end) != end)
        goto refuse;

    json_t *root = json_array();
    if (!root || json_array_append(root, params) || json_array_append(root, id)) {
        json_decref(root);
        goto refuse;
    }
    json_decref(params); /* root holds them */
    json_decref(id);
    memcpy(m->method_text, method, method_len);
    m->method_text[method_len] = 0;
    m->kind = WC_RPC_MSG_REQUEST;
    m->root = root;
    m->params = params;
    m->id = id;
    m->method = m->method_text;
    if (fast_args) {
        m->arguments_text = fast_args;
        m->arguments_len = fast_args_len;
        return true;
    }
    json_t *arguments = json_object_get(params, "arguments");
    const wc_json_span *span = json_is_object(arguments) ? wc_json_span_of(&spans, arguments)
                                                         : NULL;
    if (span) {
        m->arguments_text = params_at + span->start;
        m->arguments_len = span->end - span->start;
    }
    return true;
refuse:
    json_decref(id);
    json_decref(params);
    return false;
}

void wc_rpc_parse(const char *data, size_t len, wc_rpc_message *m)
{
    memset(m, 0, sizeof *m);
    if (!parse_request_fast(data, len, m))
        wc_rpc_parse_tree(data, len, m);
}

void wc_rpc_parse_tree(const char *data, size_t len, wc_rpc_message *m)
{
    memset(m, 0, sizeof *m);
    wc_json_error jerr;
    /* Duplicate keys are refused: a value checked against a schema here
     * must be the value a plugin reads from the same bytes. */
    /* The containers of the top three levels are located in the text on the
     * way: params.arguments is handed to the plugin as the client wrote it. */
    wc_json_span span_items[8];
    wc_json_spans spans = {.items = span_items, .cap = 8, .max_depth = 3};
    wc_json_options options = {.flags = WC_JSON_REJECT_DUPLICATES, .spans = &spans};
    m->root = wc_json_parse_with(data, len, &options, &jerr);
    if (!m->root) {
        m->kind = WC_RPC_MSG_INVALID;
        m->code = WC_RPC_PARSE_ERROR;
        snprintf(m->reason, sizeof m->reason, "parse error: %.110s (at byte %zu)", jerr.text,
                 jerr.position);
        return;
    }
    if (json_is_array(m->root)) {
        invalid(m, WC_RPC_INVALID_REQUEST, "%s", "batches are not supported: send one message at a time");
        m->batch = true;
        return;
    }
    if (!json_is_object(m->root)) {
        invalid(m, WC_RPC_INVALID_REQUEST, "%s", "a message must be a JSON object");
        return;
    }
    json_t *id = json_object_get(m->root, "id");
    if (usable_id(id))
        m->id = id;
    json_t *version = json_object_get(m->root, "jsonrpc");
    if (!json_is_string(version) || strcmp(json_string_value(version), "2.0") != 0) {
        invalid(m, WC_RPC_INVALID_REQUEST, "%s", "\"jsonrpc\" must be \"2.0\"");
        return;
    }
    if (id && !m->id) {
        invalid(m, WC_RPC_INVALID_REQUEST, "%s", "\"id\" must be a string or a number");
        return;
    }
    json_t *method = json_object_get(m->root, "method");
    if (method) {
        if (!json_is_string(method)) {
            invalid(m, WC_RPC_INVALID_REQUEST, "%s", "\"method\" must be a string");
            return;
        }
        m->method = json_string_value(method);
        m->params = json_object_get(m->root, "params");
        m->kind = m->id ? WC_RPC_MSG_REQUEST : WC_RPC_MSG_NOTIFICATION;
        json_t *arguments = json_object_get(m->params, "arguments");
        const wc_json_span *span = json_is_object(arguments) ? wc_json_span_of(&spans, arguments)
                                                             : NULL;
        if (span) {
            m->arguments_text = data + span->start;
            m->arguments_len = span->end - span->start;
        }
        if (m->params && !json_is_object(m->params)) {
            /* For a notification nobody hears about it: it is dropped. */
            m->kind = WC_RPC_MSG_INVALID;
            m->code = WC_RPC_INVALID_PARAMS;
            snprintf(m->reason, sizeof m->reason, "\"params\" of %s must be an object",
                     m->method);
        }
        return;
    }
    m->result = json_object_get(m->root, "result");
    m->error = json_object_get(m->root, "error");
    if (m->id && (m->result != NULL) != (m->error != NULL)) {
        if (m->error && !json_is_object(m->error)) {
            invalid(m, WC_RPC_INVALID_REQUEST, "%s", "\"error\" must be an object");
            m->id = NULL; /* never answer a response with a response */
            return;
        }
        m->kind = WC_RPC_MSG_RESPONSE;
        return;
    }
    invalid(m, WC_RPC_INVALID_REQUEST, "%s",
            "not a request, notification or response: \"method\" is missing");
    if (m->id && (m->result || m->error))
        m->id = NULL;
}

void wc_rpc_message_free(wc_rpc_message *m)
{
    json_decref(m->root);
    m->root = NULL;
}

/* --- output --- */

#define PUT_LIT(o, lit) wc_buf_append((o), (lit), sizeof(lit) - 1)

static void put_json(wc_buf *o, const json_t *v)
{
    if (wc_json_text(v, o) != 0)
        o->failed = true; /* out of memory or not serializable (nested too deeply) */
}

static void put_id(wc_buf *o, const json_t *id)
{
    if (json_is_integer(id)) {
        /* the usual id, every answer: decimal digits as the writer's */
        json_int_t v = json_integer_value(id);
        unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
        char text[24], *p = text + sizeof text;
        do
            *--p = (char)('0' + u % 10);
        while ((u /= 10) != 0);
        if (v < 0)
            *--p = '-';
        wc_buf_append(o, p, (size_t)(text + sizeof text - p));
    } else if (id) {
        put_json(o, id);
    } else {
        PUT_LIT(o, "null");
    }
}

void wc_rpc_write_result(wc_buf *o, const json_t *id, const json_t *result)
{
    wc_buf_reset(o);
    PUT_LIT(o, "{\"jsonrpc\":\"2.0\",\"id\":");
    put_id(o, id);
    PUT_LIT(o, ",\"result\":");
    put_json(o, result);
    PUT_LIT(o, "}");
}

void wc_rpc_write_result_text(wc_buf *o, const json_t *id, const char *result)
{
    wc_buf_reset(o);
    PUT_LIT(o, "{\"jsonrpc\":\"2.0\",\"id\":");
    put_id(o, id);
    PUT_LIT(o, ",\"result\":");
    wc_buf_append(o, result, strlen(result));
    PUT_LIT(o, "}");
}

void wc_rpc_write_error(wc_buf *o, const json_t *id, int code, const char *message,
                        const json_t *data)
{
    wc_buf_reset(o);
    char head[64];
    PUT_LIT(o, "{\"jsonrpc\":\"2.0\",\"id\":");
    put_id(o, id);
    int n = snprintf(head, sizeof head, ",\"error\":{\"code\":%d,\"message\":", code);
    wc_buf_append(o, head, (size_t)n);
    if (!message)
        message = "";
    size_t mlen = strlen(message);
    if (wc_json_utf8_valid_prefix(message, mlen) != mlen) {
        message = "error (its message was not valid UTF-8)";
        mlen = strlen(message);
    }
    wc_json_string_text(message, mlen, o);
    if (data) {
        PUT_LIT(o, ",\"data\":");
        put_json(o, data);
    }
    PUT_LIT(o, "}}");
}

void wc_rpc_write_notification(wc_buf *o, const char *method, const json_t *params)
{
    wc_buf_reset(o);
    PUT_LIT(o, "{\"jsonrpc\":\"2.0\",\"method\":\"");
    wc_buf_append(o, method, strlen(method)); /* our own method names need no escaping */
    PUT_LIT(o, "\"");
    if (params) {
        PUT_LIT(o, ",\"params\":");
        put_json(o, params);
    }
    PUT_LIT(o, "}");
}

void wc_rpc_write_request(wc_buf *o, long long id, const char *method, const json_t *params)
{
    wc_buf_reset(o);
    char head[64];
    int n = snprintf(head, sizeof head, "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"method\":\"", id);
    wc_buf_append(o, head, (size_t)n);
    wc_buf_append(o, method, strlen(method));
    PUT_LIT(o, "\"");
    if (params) {
        PUT_LIT(o, ",\"params\":");
        put_json(o, params);
    }
    PUT_LIT(o, "}");
}

/* --- peeking at a message's top level --- */

/* The top-level members as wc_json_scan_members visits them, in one loop
 * (this runs on the reader thread for every message). */
bool wc_rpc_peek_request(const char *data, size_t len)
{
    const char *end = data + len, *p = wc_json_scan_ws(data, end);
    if (p == end || *p != '{')
        return false;
    bool has_method = false, has_id = false;
    p = wc_json_scan_ws(p + 1, end);
    while (p < end && *p == '"') {
        const char *key = p + 1;
        if (!(p = wc_json_scan_value(p, end)))
            return false;
        size_t key_len = (size_t)(p - 1 - key);
        if (memchr(key, '\\', key_len))
            return false; /* unsure: the ordinary path decides */
        p = wc_json_scan_ws(p, end);
        if (p == end || *p != ':')
            return false;
        const char *value = p = wc_json_scan_ws(p + 1, end);
        if (!(p = wc_json_scan_value(p, end)))
            return false;
        if (key_len == 6 && memcmp(key, "method", 6) == 0) {
            /* An escaped method may spell initialize (it is longer than
             * "initialize" with its quotes): unsure. */
            if (p == value || *value != '"' ||
                (p - value == 12 && memcmp(value, "\"initialize\"", 12) == 0) ||
                (p - value > 12 && memchr(value, '\\', (size_t)(p - value))))
                return false;
            has_method = true;
        } else if (key_len == 2 && key[0] == 'i' && key[1] == 'd') {
            has_id = true;
        }
        p = wc_json_scan_ws(p, end);
        if (p == end || *p != ',')
            break;
        p = wc_json_scan_ws(p + 1, end);
    }
    if (p == end || *p != '}')
        return false;
    return has_method && has_id && wc_json_scan_ws(p + 1, end) == end;
}

/* --- the id of a message seen in pieces --- */

enum {
    SCAN_START,        /* before the top-level '{' */
    SCAN_KEY,          /* in the top object, before a key */
    SCAN_IN_KEY,
    SCAN_COLON,
    SCAN_VALUE,        /* before a member's value */
    SCAN_IN_STRING,    /* a top-level string value */
    SCAN_IN_SCALAR,    /* a top-level number or literal */
    SCAN_NESTED,       /* inside a nested object or array (depth > 1) */
    SCAN_NESTED_STRING,
    SCAN_AFTER_VALUE,
    SCAN_DONE,
};

void wc_rpc_id_scan_init(wc_rpc_id_scan *scan)
{
    memset(scan, 0, sizeof *scan);
    scan->state = SCAN_START;
}

static void scan_keep(wc_rpc_id_scan *scan, char c)
{
    if (!scan->capturing)
        return;
    if (scan->value_len + 1 >= sizeof scan->value)
        scan->value_too_long = true;
    else
        scan->value[scan->value_len++] = c;
}

static void scan_end_value(wc_rpc_id_scan *scan)
{
    if (scan->capturing) {
        scan->capturing = false;
        scan->value_done = true;
    }
    scan->state = SCAN_AFTER_VALUE;
}

void wc_rpc_id_scan_feed(wc_rpc_id_scan *scan, const char *data, size_t len)
{
    for (size_t i = 0; i < len && scan->state != SCAN_DONE; i++) {
        char c = data[i];
        bool ws = c == ' ' || c == '\t' || c == '\n' || c == '\r';
        switch (scan->state) {
        case SCAN_START:
            if (c == '{')
                scan->state = SCAN_KEY;
            else if (!ws)
                scan->state = SCAN_DONE;
            break;
        case SCAN_KEY:
            if (c == '"') {
                scan->state = SCAN_IN_KEY;
                scan->key_len = 0;
                scan->key_is_id = true;
                scan->escape = false;
            } else if (!ws) {
                scan->state = SCAN_DONE;
            }
            break;
        case SCAN_IN_KEY:
            if (scan->escape) {
                scan->escape = false;
                scan->key_is_id = false;
            } else if (c == '\\') {
                scan->escape = true;
            } else if (c == '"') {
                scan->key_is_id = scan->key_is_id && scan->key_len == 2 &&
                                  scan->key[0] == 'i' && scan->key[1] == 'd';
                scan->state = SCAN_COLON;
            } else if (scan->key_len < sizeof scan->key) {
                scan->key[scan->key_len++] = c;
            } else {
                scan->key_is_id = false;
            }
            break;
        case SCAN_COLON:
            if (c == ':')
                scan->state = SCAN_VALUE;
            else if (!ws)
                scan->state = SCAN_DONE;
            break;
        case SCAN_VALUE:
            if (ws)
                break;
            if (scan->key_is_id && !scan->value_done) {
                scan->capturing = true;
                scan->value_len = 0;
                scan->value_too_long = false;
            }
            if (c == '"') {
                scan_keep(scan, c);
                scan->escape = false;
                scan->state = SCAN_IN_STRING;
            } else if (c == '{' || c == '[') {
                scan->capturing = false; /* an object or array is no id */
                scan->depth = 1;
                scan->state = SCAN_NESTED;
            } else {
                scan_keep(scan, c);
                scan->state = SCAN_IN_SCALAR;
            }
            break;
        case SCAN_IN_STRING:
            scan_keep(scan, c);
            if (scan->escape)
                scan->escape = false;
            else if (c == '\\')
                scan->escape = true;
            else if (c == '"')
                scan_end_value(scan);
            break;
        case SCAN_IN_SCALAR:
            if (c == ',' || c == '}' || ws) {
                scan_end_value(scan);
                if (c == ',')
                    scan->state = SCAN_KEY;
                else if (c == '}')
                    scan->state = SCAN_DONE;
            } else {
                scan_keep(scan, c);
            }
            break;
        case SCAN_NESTED:
            if (c == '"') {
                scan->escape = false;
                scan->state = SCAN_NESTED_STRING;
            } else if (c == '{' || c == '[') {
                scan->depth++;
            } else if ((c == '}' || c == ']') && --scan->depth == 0) {
                scan->state = SCAN_AFTER_VALUE;
            }
            break;
        case SCAN_NESTED_STRING:
            if (scan->escape)
                scan->escape = false;
            else if (c == '\\')
                scan->escape = true;
            else if (c == '"')
                scan->state = SCAN_NESTED;
            break;
        case SCAN_AFTER_VALUE:
            if (c == ',')
                scan->state = SCAN_KEY;
            else if (!ws)
                scan->state = SCAN_DONE;
            break;
        }
    }
}

json_t *wc_rpc_id_scan_result(const wc_rpc_id_scan *scan)
{
    if (!scan->value_done || scan->value_too_long)
        return NULL;
    wc_json_error jerr;
    json_t *id = wc_json_parse(scan->value, scan->value_len, 0, &jerr);
    if (id && !json_is_string(id) && !json_is_integer(id) && !json_is_real(id)) {
        json_decref(id);
        return NULL;
    }
    return id;
}
