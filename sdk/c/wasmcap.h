/* wasmcap.h -- the C guest SDK for wasmcap plugins (native ABI, docs/PLUGINS.md).
 *
 * One header, two parts.  Every file may include it for the declarations;
 * exactly one .c file of a plugin defines WASMCAP_IMPLEMENTATION before the
 * include to compile the implementation (a plugin of one file just does it):
 *
 *     #define WASMCAP_IMPLEMENTATION
 *     #include "wasmcap.h"
 *
 *     WASMCAP_MANIFEST_FILE("manifest.json");
 *
 *     static int add(const wasmcap_json *args, wasmcap_result *out)
 *     {
 *         double a = wasmcap_json_number(wasmcap_json_get(args, "a"), 0);
 *         double b = wasmcap_json_number(wasmcap_json_get(args, "b"), 0);
 *         return wasmcap_text(out, "%g", a + b);
 *     }
 *
 *     WASMCAP_TOOLS({"add", add});
 *
 * Build for wasm32-wasi with wasi-libc as a reactor (no main; the host calls
 * _initialize once per instance, then one entry point):
 *
 *     clang --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor -mbulk-memory \
 *           -Wl,--stack-first -Wl,-z,stack-size=32768 -Wl,--strip-debug \
 *           -o plugin.wasm plugin.c
 *
 * -mbulk-memory makes memcpy and memset single instructions the host runs
 * (wasi-libc's own are compiled loops).
 * --stack-first puts the stack below the data, so an overflow traps instead of
 * overwriting globals; 32 KiB of stack is enough for the SDK (printf of a
 * double takes about 8 KiB) and keeps the initial memory at one page.  Every
 * call runs in a fresh instance, so the SDK never frees what a call leaves
 * behind and keeps no large static buffers: a small tool touches two pages of
 * linear memory (stack and data, plus the first heap page).
 *
 * What the header gives a plugin:
 *   - WASMCAP_MANIFEST_FILE(path): embed the manifest in the custom section
 *     "wasmcap.manifest".  The path is resolved by the assembler relative to
 *     the compiler's working directory (not to the source file): run clang
 *     from the plugin's directory, or pass -Wa,-I<dir>.  Use it once per
 *     module: sections of the same name from several files are concatenated.
 *   - WASMCAP_TOOLS({"name", fn}, ...): the tools; fn is a wasmcap_tool_fn.
 *     Defines the export wasmcap_call_tool.  Optional entry points:
 *     WASMCAP_READ_RESOURCE(fn), WASMCAP_LIST_RESOURCES(fn),
 *     WASMCAP_PROMPTS({"name", fn}, ...), WASMCAP_COMPLETE(fn).
 *   - Host functions (module "wasmcap"): wasmcap_log, wasmcap_progress,
 *     wasmcap_config_get, wasmcap_kv_get/put/delete/list/list_page, wasmcap_http_fetch,
 *     wasmcap_sample, wasmcap_elicit, wasmcap_bus_publish, wasmcap_bus_request.  They return 0 (or a length) or a
 *     negative WASMCAP_E* code; wasmcap_last_error() is then the host's
 *     message.  Values come back malloc'ed and NUL-terminated, with lengths.
 *   - A strict JSON reader (wasmcap_json_parse: RFC 8259, UTF-8 checked,
 *     depth-limited, never crashes on any input) and a JSON writer
 *     (wasmcap_jw_*: escaping, shortest round-trip numbers, nesting).
 *   - Result helpers: wasmcap_text, wasmcap_error, wasmcap_structured.
 */
#ifndef WASMCAP_H
#define WASMCAP_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors and log levels (docs/PLUGINS.md) --------------------------- */

#define WASMCAP_ENOTFOUND (-1)  /* not found */
#define WASMCAP_EDENIED (-2)    /* permission denied: the message names the grant */
#define WASMCAP_EINVAL (-3)     /* invalid argument */
#define WASMCAP_ETOOLARGE (-4)  /* too large */
#define WASMCAP_EFAILED (-5)    /* I/O, network, the client refused */
#define WASMCAP_ENOTSUP (-6)    /* the client did not declare the capability */
#define WASMCAP_ECANCELLED (-7) /* the request was cancelled */
#define WASMCAP_ETIMEDOUT (-8)  /* bus_request: no answer in time */
#define WASMCAP_ENORESPONDERS (-9) /* bus_request: nobody listens on the subject */
#define WASMCAP_EUNAVAILABLE (-10) /* bus: the server has none, or it is disconnected */
#define WASMCAP_ENOMEM (-100)   /* the guest ran out of memory (SDK only) */

enum {
    WASMCAP_DEBUG = 0,
    WASMCAP_INFO,
    WASMCAP_NOTICE,
    WASMCAP_WARNING,
    WASMCAP_ERROR,
    WASMCAP_CRITICAL,
    WASMCAP_ALERT,
    WASMCAP_EMERGENCY,
};

#define WASMCAP_JSON_MAX_DEPTH 64

/* ---- JSON values ------------------------------------------------------- */

typedef enum wasmcap_json_type {
    WASMCAP_JSON_NULL,
    WASMCAP_JSON_BOOL,
    WASMCAP_JSON_NUMBER,
    WASMCAP_JSON_STRING,
    WASMCAP_JSON_ARRAY,
    WASMCAP_JSON_OBJECT,
} wasmcap_json_type;

/* A parsed value.  Children of an array or object are a list (child, next);
 * members of an object carry their key.  Strings are decoded UTF-8,
 * NUL-terminated (len counts the bytes; "\u0000" may put a NUL inside). */
typedef struct wasmcap_json wasmcap_json;
struct wasmcap_json {
    wasmcap_json_type type;
    int boolean;             /* BOOL: 0 or 1 */
    double number;           /* NUMBER (always finite) */
    const char *string;      /* STRING */
    size_t len;              /* STRING: bytes; ARRAY, OBJECT: number of children */
    const char *key;         /* a member of an object: its key (NUL-terminated) */
    size_t key_len;
    wasmcap_json *child;     /* ARRAY, OBJECT: the first child */
    wasmcap_json *next;      /* the next sibling */
    void *arena_;            /* the root owns the memory of the whole tree */
};

/* Parses exactly one JSON value (surrounding white space allowed) from
 * text[0..len).  Returns the root, or NULL with a message in err ("expected
 * ':' at byte 7").  Free the root with wasmcap_json_free. */
wasmcap_json *wasmcap_json_parse(const char *text, size_t len, char *err, size_t err_size);
void wasmcap_json_free(wasmcap_json *root);

/* Lookups; each accepts NULL and returns NULL (or the default) on a mismatch. */
const wasmcap_json *wasmcap_json_get(const wasmcap_json *object, const char *key);
const wasmcap_json *wasmcap_json_at(const wasmcap_json *array, size_t index);
const char *wasmcap_json_string(const wasmcap_json *v, const char *dflt);
double wasmcap_json_number(const wasmcap_json *v, double dflt);
int wasmcap_json_bool(const wasmcap_json *v, int dflt);
/* True when v is a number with an integral value in [-2^53, 2^53]. */
int wasmcap_json_is_integer(const wasmcap_json *v);

/* ---- buffers and the JSON writer --------------------------------------- */

typedef struct wasmcap_buf {
    char *data;     /* NUL-terminated while not failed */
    size_t len, cap;
    int failed;     /* an allocation failed; the contents are incomplete */
    int scratch;    /* the SDK's own: memory from the call's arena, see below */
} wasmcap_buf;

void wasmcap_buf_append(wasmcap_buf *b, const void *data, size_t len);
void wasmcap_buf_puts(wasmcap_buf *b, const char *s);
void wasmcap_buf_printf(wasmcap_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wasmcap_buf_vprintf(wasmcap_buf *b, const char *fmt, va_list ap);
void wasmcap_buf_free(wasmcap_buf *b);

/* Writes JSON into buf.  Commas and colons are placed for you: open a
 * container, write keys and values, close it.  Misuse (a value where a key is
 * due, too deep) marks the writer failed rather than producing bad JSON. */
typedef struct wasmcap_jw {
    wasmcap_buf buf;
    unsigned depth;
    uint64_t has_items;  /* bit d: the container at depth d has an item */
    uint64_t is_object;  /* bit d: the container at depth d is an object */
    int after_key;
} wasmcap_jw;

void wasmcap_jw_begin_object(wasmcap_jw *w);
void wasmcap_jw_end_object(wasmcap_jw *w);
void wasmcap_jw_begin_array(wasmcap_jw *w);
void wasmcap_jw_end_array(wasmcap_jw *w);
void wasmcap_jw_key(wasmcap_jw *w, const char *key);
void wasmcap_jw_string(wasmcap_jw *w, const char *s);          /* NULL writes null */
void wasmcap_jw_stringn(wasmcap_jw *w, const char *s, size_t len);
void wasmcap_jw_stringf(wasmcap_jw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wasmcap_jw_number(wasmcap_jw *w, double v);               /* NaN, inf: null */
void wasmcap_jw_int(wasmcap_jw *w, long long v);
void wasmcap_jw_bool(wasmcap_jw *w, int v);
void wasmcap_jw_null(wasmcap_jw *w);
void wasmcap_jw_value(wasmcap_jw *w, const wasmcap_json *v);   /* a parsed value, copied */
void wasmcap_jw_raw(wasmcap_jw *w, const char *json, size_t len); /* trusted JSON text */
/* Shorthands for a member: key then value. */
void wasmcap_jw_kv_string(wasmcap_jw *w, const char *key, const char *s);
void wasmcap_jw_kv_number(wasmcap_jw *w, const char *key, double v);
void wasmcap_jw_kv_int(wasmcap_jw *w, const char *key, long long v);
void wasmcap_jw_kv_bool(wasmcap_jw *w, const char *key, int v);
/* A prompt message {"role": role, "content": {"type": "text", "text": text}}. */
void wasmcap_jw_message(wasmcap_jw *w, const char *role, const char *text);

/* Formats v as JavaScript's String(v) does (shortest round-trip digits:
 * 0.1 + 0.2 -> "0.30000000000000004", 1e21 -> "1e+21", -0 -> "0",
 * NaN -> "NaN").  out must hold 32 bytes; returns the length. */
size_t wasmcap_format_number(double v, char out[32]);

/* ---- results ----------------------------------------------------------- */

/* A tool's CallToolResult under construction. */
typedef struct wasmcap_result {
    wasmcap_jw content;     /* the items of "content" (an open array) */
    wasmcap_jw structured;  /* the members of "structuredContent" (an open object) */
    int has_structured;
    int is_error;
    int input_required;     /* wasmcap_input_required was called */
    wasmcap_jw inputs;      /* the members of "inputRequests" (an open object) */
    char *request_state;    /* malloc'ed; NULL: none */
} wasmcap_result;

/* Adds a text block.  Returns 0. */
int wasmcap_text(wasmcap_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Marks the result isError with this message as its only text; structured
 * content is dropped.  Returns -1, so a tool can `return wasmcap_error(...)`. */
int wasmcap_error(wasmcap_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The writer of structuredContent: an object already open; write members. */
wasmcap_jw *wasmcap_structured(wasmcap_result *r);
/* The writer of content: an array already open; write whole blocks. */
wasmcap_jw *wasmcap_content(wasmcap_result *r);
/* Turns the result into an input-required one (protocol revision
 * 2026-07-28): the client answers the requests and calls the tool again
 * with them (wasmcap_request_context).  Returns the writer of
 * "inputRequests", an object already open: write key -> {"method",
 * "params"} (elicitation/create, sampling/createMessage, roots/list).
 * request_state (may be NULL) comes back verified in the next round. */
wasmcap_jw *wasmcap_input_required(wasmcap_result *r, const char *request_state);

/* The reply of the other entry points: the handler writes the members of
 * the top-level object into w (already open), or fails with
 * wasmcap_reply_error, which replaces the reply with {"error": message}. */
typedef struct wasmcap_reply {
    wasmcap_jw w;
    char *error;
} wasmcap_reply;

int wasmcap_reply_error(wasmcap_reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "contents": [{"uri", "mimeType", "text"}] for wasmcap_read_resource. */
void wasmcap_resource_text(wasmcap_reply *r, const char *uri, const char *mime_type,
                           const char *text);

/* ---- entry points ------------------------------------------------------ */

/* A tool: args is the arguments object (already validated by the host
 * against the tool's inputSchema).  Return 0, or wasmcap_error(...). */
typedef int (*wasmcap_tool_fn)(const wasmcap_json *args, wasmcap_result *out);
typedef struct wasmcap_tool {
    const char *name;
    wasmcap_tool_fn fn;
} wasmcap_tool;

/* A prompt: args is the arguments object ({} when none were given); write
 * "description" and "messages" (wasmcap_jw_message helps). */
typedef int (*wasmcap_prompt_fn)(const wasmcap_json *args, wasmcap_reply *out);
typedef struct wasmcap_prompt {
    const char *name;
    wasmcap_prompt_fn fn;
} wasmcap_prompt;

typedef int (*wasmcap_read_resource_fn)(const char *uri, wasmcap_reply *out);
typedef int (*wasmcap_list_resources_fn)(wasmcap_reply *out);
/* params: the completion/complete params (ref, argument, context); write
 * "values": [...]. */
typedef int (*wasmcap_complete_fn)(const wasmcap_json *params, wasmcap_reply *out);

#ifdef __wasm__
#define WASMCAP_EXPORT(name) __attribute__((export_name(name), visibility("default")))
#else /* a native build, for the SDK's own tests: no wasm exports */
#define WASMCAP_EXPORT(name)
#endif

uint64_t wasmcap__call_tool(const wasmcap_tool *tools, size_t ntools, const char *name,
                            size_t name_len, const char *args, size_t args_len);
uint64_t wasmcap__get_prompt(const wasmcap_prompt *prompts, size_t nprompts, const char *name,
                             size_t name_len, const char *args, size_t args_len);
uint64_t wasmcap__read_resource(wasmcap_read_resource_fn fn, const char *uri, size_t uri_len);
uint64_t wasmcap__list_resources(wasmcap_list_resources_fn fn);
uint64_t wasmcap__complete(wasmcap_complete_fn fn, const char *params, size_t params_len);

/* Each macro defines one export; use it once, at file scope, with a ';'. */
#define WASMCAP_TOOLS(...)                                                              \
    static const wasmcap_tool wasmcap__tools[] = {__VA_ARGS__};                          \
    WASMCAP_EXPORT("wasmcap_call_tool")                                                 \
    uint64_t wasmcap_call_tool(const char *name, size_t name_len, const char *args,    \
                               size_t args_len)                                         \
    {                                                                                   \
        return wasmcap__call_tool(wasmcap__tools, sizeof wasmcap__tools / sizeof wasmcap__tools[0], \
                                  name, name_len, args, args_len);                      \
    }                                                                                   \
    extern int wasmcap__tools_defined

#define WASMCAP_PROMPTS(...)                                                            \
    static const wasmcap_prompt wasmcap__prompts[] = {__VA_ARGS__};                      \
    WASMCAP_EXPORT("wasmcap_get_prompt")                                                \
    uint64_t wasmcap_get_prompt(const char *name, size_t name_len, const char *args,   \
                                size_t args_len)                                        \
    {                                                                                   \
        return wasmcap__get_prompt(wasmcap__prompts,                                    \
                                   sizeof wasmcap__prompts / sizeof wasmcap__prompts[0], \
                                   name, name_len, args, args_len);                     \
    }                                                                                   \
    extern int wasmcap__prompts_defined

#define WASMCAP_READ_RESOURCE(fn)                                                       \
    WASMCAP_EXPORT("wasmcap_read_resource")                                             \
    uint64_t wasmcap_read_resource(const char *uri, size_t uri_len)                     \
    {                                                                                   \
        return wasmcap__read_resource(fn, uri, uri_len);                                \
    }                                                                                   \
    extern int wasmcap__read_resource_defined

#define WASMCAP_LIST_RESOURCES(fn)                                                      \
    WASMCAP_EXPORT("wasmcap_list_resources")                                            \
    uint64_t wasmcap_list_resources(void) { return wasmcap__list_resources(fn); }       \
    extern int wasmcap__list_resources_defined

#define WASMCAP_COMPLETE(fn)                                                            \
    WASMCAP_EXPORT("wasmcap_complete")                                                  \
    uint64_t wasmcap_complete(const char *params, size_t params_len)                    \
    {                                                                                   \
        return wasmcap__complete(fn, params, params_len);                               \
    }                                                                                   \
    extern int wasmcap__complete_defined

/* Embeds the manifest file (path relative to the compiler's working
 * directory) as the custom section "wasmcap.manifest". */
#define WASMCAP_MANIFEST_FILE(path)                                                     \
    __asm__(".section .custom_section.wasmcap.manifest,\"\",@\n"                        \
            ".incbin \"" path "\"\n"                                                    \
            ".section .text,\"\",@\n")

/* ---- host functions ---------------------------------------------------- */

/* level: WASMCAP_DEBUG .. WASMCAP_EMERGENCY. */
void wasmcap_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* total <= 0: unknown.  fmt may be NULL. */
void wasmcap_progress(double progress, double total, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* One of the plugin's resources changed: clients that subscribed to uri
 * (resources/subscribe) get notifications/resources/updated. */
void wasmcap_resource_updated(const char *uri);
/* One of the plugin's lists changed: kind "tools", "prompts" or
 * "resources" (e.g. a resource per note, after a note was added). */
void wasmcap_list_changed(const char *kind);
/* Lets the transport end the connection that carries this call's messages
 * (over HTTP the client reconnects after the server's retry time and
 * resumes with Last-Event-ID); the call goes on.  A no-op on stdio. */
void wasmcap_close_stream(void);

/* On success these return 0 and, where there is a value, store a malloc'ed
 * NUL-terminated copy in *value (its length in *len; len may be NULL).  On
 * failure they return a WASMCAP_E* code, set *value to NULL, and
 * wasmcap_last_error() says why. */
int wasmcap_config_get(const char *key, char **value, size_t *len);
int wasmcap_kv_get(const char *key, char **value, size_t *len);
int wasmcap_kv_put(const char *key, const char *value, size_t value_len);
int wasmcap_kv_delete(const char *key);
/* *json: a JSON array of the keys with that prefix, sorted: at most the
 * first 10,000, without keys that are not UTF-8 (the server logs when it
 * left any out).  wasmcap_kv_list_page says so and goes on. */
int wasmcap_kv_list(const char *prefix, char **json, size_t *len);
/* One page of the keys with that prefix, sorted: *json is
 * {"keys": [...], "skipped": n, "cursor": "..."}.  "skipped" counts keys
 * that are not UTF-8 (no JSON string holds them); "cursor" is there while
 * keys may remain: pass it (NULL or "" for the first page) to get the next
 * page.  A page examines at most 10,000 keys. */
int wasmcap_kv_list_page(const char *prefix, const char *cursor, char **json, size_t *len);
/* request: {"method","url","headers":{},"body"}; *response:
 * {"status","headers":{},"body"}. */
int wasmcap_http_fetch(const char *request, char **response, size_t *len);
/* sampling/createMessage params in, the client's result out. */
int wasmcap_sample(const char *request, char **response, size_t *len);
/* elicitation/create params in, the client's result out. */
int wasmcap_elicit(const char *request, char **response, size_t *len);
/* Publishes len bytes of data on subject (no wildcards), which the config
 * must grant in plugins.NAME.permissions.bus.publish. */
int wasmcap_bus_publish(const char *subject, const void *data, size_t len);
/* Sends len bytes of data to subject (granted in permissions.bus.request)
 * and waits for the first reply: *reply gets its data (malloc'ed,
 * NUL-terminated; *reply_len its length, may be NULL).  timeout_ms 0 (or
 * more than the call has left) waits until the call's own deadline;
 * max_reply 0 takes a reply up to permissions.max_output_bytes, else
 * a longer one fails with WASMCAP_ETOOLARGE.  Failures: WASMCAP_EDENIED,
 * WASMCAP_ENORESPONDERS, WASMCAP_ETIMEDOUT, WASMCAP_EUNAVAILABLE,
 * WASMCAP_ECANCELLED, WASMCAP_EFAILED (a service's error reply: the message
 * has its code and text). */
int wasmcap_bus_request(const char *subject, const void *data, size_t len, uint32_t timeout_ms,
                        size_t max_reply, char **reply, size_t *reply_len);
/* What this request brings for an input-required round (protocol revision
 * 2026-07-28): {"inputResponses": {key: the client's answer},
 * "requestState": "<the state this tool returned, verified>",
 * "clientCapabilities": {...}}, each member only when there is one.  A tool
 * that needs input returns {"resultType": "input_required",
 * "inputRequests": {key: {"method", "params"}}, "requestState": "..."}
 * and is called again with the answers. */
int wasmcap_request_context(char **json, size_t *len);
/* The message of the last failed host call ("" when none). */
const char *wasmcap_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* WASMCAP_H */

/* ======================================================================== */
/* Implementation                                                           */
/* ======================================================================== */

#ifdef WASMCAP_IMPLEMENTATION
#ifndef WASMCAP_IMPLEMENTATION_DONE
#define WASMCAP_IMPLEMENTATION_DONE

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

/* ---- imports ----------------------------------------------------------- */

#ifdef __wasm__
#define WASMCAP__IMPORT(name) __attribute__((import_module("wasmcap"), import_name(name)))
#else /* native: the test program defines these functions */
#define WASMCAP__IMPORT(name)
#endif

WASMCAP__IMPORT("log") void wasmcap__h_log(int32_t level, const char *msg, size_t msg_len);
WASMCAP__IMPORT("progress")
void wasmcap__h_progress(double progress, double total, const char *msg, size_t msg_len);
WASMCAP__IMPORT("resource_updated")
void wasmcap__h_resource_updated(const char *uri, size_t uri_len);
WASMCAP__IMPORT("close_stream") void wasmcap__h_close_stream(void);
WASMCAP__IMPORT("list_changed") void wasmcap__h_list_changed(const char *kind, size_t kind_len);
WASMCAP__IMPORT("request_context") int32_t wasmcap__h_request_context(void);
WASMCAP__IMPORT("config_get") int32_t wasmcap__h_config_get(const char *key, size_t key_len);
WASMCAP__IMPORT("kv_get") int32_t wasmcap__h_kv_get(const char *key, size_t key_len);
WASMCAP__IMPORT("kv_put")
int32_t wasmcap__h_kv_put(const char *key, size_t key_len, const char *val, size_t val_len);
WASMCAP__IMPORT("kv_delete") int32_t wasmcap__h_kv_delete(const char *key, size_t key_len);
WASMCAP__IMPORT("kv_list") int32_t wasmcap__h_kv_list(const char *prefix, size_t prefix_len);
WASMCAP__IMPORT("kv_list_page")
int32_t wasmcap__h_kv_list_page(const char *prefix, size_t prefix_len, const char *cursor, size_t cursor_len);
WASMCAP__IMPORT("http_fetch") int32_t wasmcap__h_http_fetch(const char *req, size_t req_len);
WASMCAP__IMPORT("sample") int32_t wasmcap__h_sample(const char *req, size_t req_len);
WASMCAP__IMPORT("elicit") int32_t wasmcap__h_elicit(const char *req, size_t req_len);
WASMCAP__IMPORT("bus_publish")
int32_t wasmcap__h_bus_publish(const char *subject, size_t subject_len, const void *data, size_t len);
WASMCAP__IMPORT("bus_request")
int32_t wasmcap__h_bus_request(const char *subject, size_t subject_len, const void *data, size_t len,
                               uint32_t timeout_ms, size_t max_reply);
WASMCAP__IMPORT("read_response") int32_t wasmcap__h_read_response(char *dst, size_t dst_len);

/* ---- memory ------------------------------------------------------------ */

/* Each call runs in a fresh instance, so the SDK's own short-lived memory
 * (the call's inputs, the parsed arguments, the result being written)
 * comes from a small static arena first: no malloc or free, and for a
 * small call the allocator never even starts.  Past the arena, malloc.
 * Memory a plugin gets from the SDK (strings, buffers it made) is always
 * malloc'ed; what wasmcap_alloc returns lives until the instance ends. */
#define WASMCAP__ARENA_SIZE 4096
static _Alignas(16) unsigned char wasmcap__arena[WASMCAP__ARENA_SIZE];
static size_t wasmcap__arena_used;

static int wasmcap__in_arena(const void *p)
{
    const unsigned char *c = (const unsigned char *)p;
    return c >= wasmcap__arena && c < wasmcap__arena + WASMCAP__ARENA_SIZE;
}

static void *wasmcap__alloc(size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    if (n <= WASMCAP__ARENA_SIZE && need <= WASMCAP__ARENA_SIZE - wasmcap__arena_used) {
        void *p = wasmcap__arena + wasmcap__arena_used;
        wasmcap__arena_used += need;
        return p;
    }
    return malloc(n ? n : 1);
}

static void wasmcap__free(void *p)
{
    if (p && !wasmcap__in_arena(p))
        free(p);
}

/* p holds old bytes; the arena's last block grows in place. */
static void *wasmcap__realloc(void *p, size_t old, size_t n)
{
    if (!p)
        return wasmcap__alloc(n);
    if (!wasmcap__in_arena(p))
        return realloc(p, n);
    size_t at = (size_t)((unsigned char *)p - wasmcap__arena);
    size_t old_need = (old + 15) & ~(size_t)15, need = (n + 15) & ~(size_t)15;
    if (at + old_need == wasmcap__arena_used && n <= WASMCAP__ARENA_SIZE &&
        need <= WASMCAP__ARENA_SIZE - at) {
        wasmcap__arena_used = at + need;
        return p;
    }
    void *q = wasmcap__alloc(n);
    if (q)
        memcpy(q, p, old < n ? old : n);
    return q;
}

/* The host copies a call's inputs into one buffer from here (several
 * inputs side by side: never write past an input's length). */
/* The last buffer wasmcap_alloc gave: a call's inputs, which the SDK may
 * change as it parses them (nothing else holds them). */
static unsigned char *wasmcap__input;
static size_t wasmcap__input_size;

WASMCAP_EXPORT("wasmcap_alloc") void *wasmcap_alloc(size_t size)
{
    if (size > SIZE_MAX - 1)
        return NULL;
    wasmcap__input = (unsigned char *)wasmcap__alloc(size + 1);
    wasmcap__input_size = wasmcap__input ? size : 0;
    return wasmcap__input;
}

#ifdef __wasm__
static uint64_t wasmcap__pack(const char *ptr, size_t len)
{
    if (!ptr)
        return 0;
    return ((uint64_t)(uintptr_t)ptr << 32) | (uint64_t)(uint32_t)len;
}
#else
/* Native pointers do not fit in 32 bits: a native build (the SDK's tests)
 * finds the last reply here, and the returned value is its length + 1. */
const char *wasmcap__native_reply; /* malloc'ed: the test frees it */
static uint64_t wasmcap__pack(const char *ptr, size_t len)
{
    if (ptr && wasmcap__in_arena(ptr)) {
        char *copy = (char *)malloc(len + 1);
        if (copy) {
            memcpy(copy, ptr, len);
            copy[len] = 0;
        }
        ptr = copy;
    }
    wasmcap__native_reply = ptr;
    return ptr ? (uint64_t)len + 1 : 0;
}
#endif

/* ---- buffers ----------------------------------------------------------- */

/* memcpy for the short pieces a result is made of: in wasm a call to
 * memcpy costs more than the copy, so up to 16 bytes move as two
 * overlapping words (or bytes) and only longer runs call it. */
static void wasmcap__copy(void *dst, const void *src, size_t n)
{
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    if (n > 16) {
        memcpy(d, s, n);
    } else if (n >= 8) {
        uint64_t head, tail;
        __builtin_memcpy(&head, s, 8);
        __builtin_memcpy(&tail, s + n - 8, 8);
        __builtin_memcpy(d, &head, 8);
        __builtin_memcpy(d + n - 8, &tail, 8);
    } else if (n >= 4) {
        uint32_t head, tail;
        __builtin_memcpy(&head, s, 4);
        __builtin_memcpy(&tail, s + n - 4, 4);
        __builtin_memcpy(d, &head, 4);
        __builtin_memcpy(d + n - 4, &tail, 4);
    } else if (n) {
        d[0] = s[0];
        d[n / 2] = s[n / 2];
        d[n - 1] = s[n - 1];
    }
}

static int wasmcap__buf_reserve(wasmcap_buf *b, size_t more)
{
    if (b->failed)
        return -1;
    if (more > SIZE_MAX / 2 - b->len) {
        b->failed = 1;
        return -1;
    }
    size_t need = b->len + more + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 128;
    while (cap < need)
        cap *= 2;
    char *p = b->scratch ? (char *)wasmcap__realloc(b->data, b->cap, cap)
                         : (char *)realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void wasmcap_buf_append(wasmcap_buf *b, const void *data, size_t len)
{
    if (!b->failed && b->len + len < b->cap && len < b->cap) { /* room already: the usual case */
        wasmcap__copy(b->data + b->len, data, len);
        b->len += len;
        b->data[b->len] = 0;
        return;
    }
    if (wasmcap__buf_reserve(b, len))
        return;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = 0;
}

void wasmcap_buf_puts(wasmcap_buf *b, const char *s)
{
    wasmcap_buf_append(b, s, strlen(s));
}

/* 10^0 .. 10^22: every one exact in a double. */
static const double wasmcap__pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                          1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                          1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static void wasmcap__put_uint(wasmcap_buf *b, unsigned long long u, int min_digits)
{
    char rev[24];
    int n = 0;
    do
        rev[n++] = (char)('0' + u % 10);
    while ((u /= 10) != 0 || n < min_digits);
    char out[24];
    for (int i = 0; i < n; i++)
        out[i] = rev[n - 1 - i];
    wasmcap_buf_append(b, out, (size_t)n);
}

/* x as %.<decimals>f prints it, without printf (whose double formatting
 * costs thousands of instructions in a sandbox): 0, or -1 where this
 * cannot be sure of printf's rounding -- not finite, too large, or
 * x * 10^decimals within 0.0002 of a half, where the product's own
 * rounding (at most 2^-13 = 0.000122 below 2^40) could decide which way
 * it goes. */
static int wasmcap__put_fixed(wasmcap_buf *b, double x, int decimals)
{
    double a = x < 0 ? -x : x;
    if (!(a < 1e12) || decimals > 9)
        return -1;
    double t = a * wasmcap__pow10[decimals], r = __builtin_rint(t), off = t - r;
    if (t >= 1099511627776.0 || off > 0.4998 || off < -0.4998)
        return -1;
    unsigned long long u = (unsigned long long)r, scale = (unsigned long long)wasmcap__pow10[decimals];
    if (__builtin_signbit(x))
        wasmcap_buf_append(b, "-", 1); /* as printf: -0.00 for a negative that rounds to 0 */
    wasmcap__put_uint(b, u / scale, 1);
    if (decimals) {
        wasmcap_buf_append(b, ".", 1);
        wasmcap__put_uint(b, u % scale, decimals);
    }
    return 0;
}

/* x as %g prints it where that is fixed notation (1e-4 <= |x| < 1e6):
 * six significant digits, trailing zeros dropped.  0, or -1 (b as it was)
 * for the exponent form or a rounding wasmcap__put_fixed is not sure of. */
static int wasmcap__put_general(wasmcap_buf *b, double x)
{
    double a = x < 0 ? -x : x;
    if (a == 0) {
        wasmcap_buf_append(b, __builtin_signbit(x) ? "-0" : "0", __builtin_signbit(x) ? 2 : 1);
        return 0;
    }
    if (!(a >= 1e-4 && a < 1e6))
        return -1;
    static const double tenth[] = {1e-1, 1e-2, 1e-3};
    int exp10 = 0; /* of the first digit */
    while (exp10 < 5 && a >= wasmcap__pow10[exp10 + 1])
        exp10++;
    while (exp10 > -4 && exp10 <= 0 && (exp10 == 0 ? a < 1 : a < tenth[-exp10 - 1]))
        exp10--;
    /* six digits, unless rounding makes seven (9.999996 -> 10.0000) */
    if (__builtin_rint(a * wasmcap__pow10[5 - exp10]) >= 1e6 && ++exp10 == 6)
        return -1;
    size_t start = b->len;
    if (wasmcap__put_fixed(b, x, 5 - exp10) != 0)
        return -1;
    if (5 - exp10 > 0 && b->data) { /* no trailing zeros, nor a bare point */
        while (b->len > start && b->data[b->len - 1] == '0')
            b->len--;
        if (b->data[b->len - 1] == '.')
            b->len--;
        b->data[b->len] = 0;
    }
    return 0;
}

/* The common formats -- text, %%, %s, %d, %.Nf (N up to 9) and %g -- appended
 * without vsnprintf, which a call otherwise runs twice: 0, or -1 (b as it
 * was) when fmt has anything else or a value needs printf's own care. */
static int wasmcap__fast_vprintf(wasmcap_buf *b, const char *fmt, va_list ap)
{
    for (const char *f = fmt; *f; f++) /* every conversion known before any is taken */
        if (*f == '%') {
            if (f[1] == '%' || f[1] == 's' || f[1] == 'd' || f[1] == 'g')
                f++;
            else if (f[1] == '.' && f[2] >= '0' && f[2] <= '9' && f[3] == 'f')
                f += 3;
            else
                return -1;
        }
    size_t start = b->len;
    const char *f = fmt;
    while (*f) {
        const char *lit = f;
        while (*f && *f != '%')
            f++;
        if (f > lit)
            wasmcap_buf_append(b, lit, (size_t)(f - lit));
        if (!*f)
            break;
        int bad = 0;
        if (f[1] == '%') {
            wasmcap_buf_append(b, "%", 1);
        } else if (f[1] == 's') {
            const char *s = va_arg(ap, const char *);
            bad = !s;
            if (s)
                wasmcap_buf_append(b, s, strlen(s));
        } else if (f[1] == 'd') {
            int d = va_arg(ap, int);
            if (d < 0)
                wasmcap_buf_append(b, "-", 1);
            wasmcap__put_uint(b, d < 0 ? 0ull - (unsigned long long)(long long)d : (unsigned long long)d, 1);
        } else if (f[1] == 'g') {
            bad = wasmcap__put_general(b, va_arg(ap, double));
        } else {
            bad = wasmcap__put_fixed(b, va_arg(ap, double), f[2] - '0');
            f += 2;
        }
        if (bad) {
            b->len = start;
            if (b->data)
                b->data[start] = 0;
            return -1;
        }
        f += 2;
    }
    if (!b->data && !b->failed) /* an empty format still makes a string */
        wasmcap_buf_append(b, "", 0);
    return 0;
}

void wasmcap_buf_vprintf(wasmcap_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int fast = wasmcap__fast_vprintf(b, fmt, ap2);
    va_end(ap2);
    if (fast == 0)
        return;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if (wasmcap__buf_reserve(b, (size_t)n))
        return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void wasmcap_buf_printf(wasmcap_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wasmcap_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void wasmcap_buf_free(wasmcap_buf *b)
{
    if (b->scratch)
        wasmcap__free(b->data);
    else
        free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

static char *wasmcap__vformat(const char *fmt, va_list ap)
{
    wasmcap_buf b = {0};
    wasmcap_buf_vprintf(&b, fmt, ap);
    if (b.failed || !b.data) {
        wasmcap_buf_free(&b);
        return NULL;
    }
    return b.data;
}

/* ---- UTF-8 ------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at p (p < end), or 0. */
static size_t wasmcap__utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    unsigned cp = c & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

static size_t wasmcap__utf8_put(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- JSON reader ------------------------------------------------------- */

typedef struct wasmcap__chunk {
    struct wasmcap__chunk *next;
    size_t size, used;
} wasmcap__chunk;

typedef struct wasmcap__parser {
    const unsigned char *start, *p, *end;
    wasmcap__chunk *chunks;
    size_t next_chunk;
    char *err;
    size_t err_size;
    int failed;
    /* The text is the SDK's own copy of a call's input (wasmcap_alloc), so
     * a plain string is its own bytes there, its closing quote made its
     * NUL: no copy of a long argument (a base64 image). */
    int in_place;
} wasmcap__parser;

static void *wasmcap__palloc(wasmcap__parser *ps, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    wasmcap__chunk *c = ps->chunks;
    if (!c || c->size - c->used < n) {
        size_t size = ps->next_chunk;
        if (size < n)
            size = n;
        c = (wasmcap__chunk *)wasmcap__alloc(sizeof(wasmcap__chunk) + size);
        if (!c)
            return NULL;
        c->size = size;
        c->used = 0;
        c->next = ps->chunks;
        ps->chunks = c;
        if (ps->next_chunk < (1u << 20))
            ps->next_chunk *= 2;
    }
    void *p = (char *)(c + 1) + c->used;
    c->used += n;
    return p;
}

static int wasmcap__fail(wasmcap__parser *ps, const char *what)
{
    if (!ps->failed && ps->err && ps->err_size) {
        if (ps->p >= ps->end)
            snprintf(ps->err, ps->err_size, "%s at end of input", what);
        else
            snprintf(ps->err, ps->err_size, "%s at byte %zu", what, (size_t)(ps->p - ps->start));
    }
    ps->failed = 1;
    return -1;
}

static void wasmcap__ws(wasmcap__parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int wasmcap__hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* Whether one of the 8 bytes of w ends a run of plain string bytes: '"',
 * '\\', a control character or a byte of a multi-byte character.  A byte
 * below n sets its high bit in (w - n per byte) & ~w (n <= 0x80; a borrow
 * only carries out of a byte that is below n itself). */
static int wasmcap__plain_end8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull;
    uint64_t quote = w ^ (ones * '"'), slash = w ^ (ones * '\\');
    uint64_t below = ((quote - ones) & ~quote) | ((slash - ones) & ~slash) |
                     ((w - ones * 0x20) & ~w);
    return ((below | w) & (ones << 7)) != 0;
}

/* The first byte from p on (before end) that ends a run of plain string
 * bytes, or end.  Sixteen bytes at a time while none does: most of a long
 * string is plain (a base64 image is kilobytes of it), and a byte at a
 * time cost more than the rest of a tool call's parse. */
static const unsigned char *wasmcap__plain_run(const unsigned char *p, const unsigned char *end)
{
#ifdef __wasm_simd128__
    /* a plugin built with -msimd128: one vector a turn (signed, a byte below
     * 0x20 and one from 0x80 up are both less than 0x20) */
    while (end - p >= 16) {
        v128_t v = wasm_v128_load(p);
        v128_t stop = wasm_v128_or(wasm_v128_or(wasm_i8x16_eq(v, wasm_i8x16_splat('"')),
                                                wasm_i8x16_eq(v, wasm_i8x16_splat('\\'))),
                                   wasm_i8x16_lt(v, wasm_i8x16_splat(0x20)));
        if (wasm_v128_any_true(stop))
            break;
        p += 16;
    }
#endif
    while (end - p >= 16) {
        uint64_t a, b;
        __builtin_memcpy(&a, p, 8);
        __builtin_memcpy(&b, p + 8, 8);
        if (wasmcap__plain_end8(a) || wasmcap__plain_end8(b))
            break;
        p += 16;
    }
    while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
        p++;
    return p;
}

/* At the opening quote.  Decodes into arena memory. */
static int wasmcap__string(wasmcap__parser *ps, const char **out, size_t *out_len)
{
    ps->p++; /* '"' */
    const unsigned char *q = ps->p;
    /* Find the closing quote; the decoded string is never longer.  Plain
     * printable ASCII (keys, most values) is its own decoding. */
    int plain = 1;
    for (;;) {
        q = wasmcap__plain_run(q, ps->end);
        if (q >= ps->end || *q == '"')
            break;
        plain = 0; /* an escape, a control character or a multi-byte character */
        if (*q == '\\' && q + 1 < ps->end)
            q++;
        q++;
    }
    if (q >= ps->end)
        return wasmcap__fail(ps, "unterminated string");
    if (plain && ps->in_place) {
        char *self = (char *)(uintptr_t)ps->p; /* writable: see in_place */
        *(char *)(uintptr_t)q = 0;
        *out = self;
        *out_len = (size_t)(q - ps->p);
        ps->p = q + 1;
        return 0;
    }
    char *dst = (char *)wasmcap__palloc(ps, (size_t)(q - ps->p) + 1);
    if (!dst)
        return wasmcap__fail(ps, "out of memory");
    if (plain) {
        size_t len = (size_t)(q - ps->p);
        wasmcap__copy(dst, ps->p, len);
        dst[len] = 0;
        ps->p = q + 1;
        *out = dst;
        *out_len = len;
        return 0;
    }
    size_t n = 0;
    while (*ps->p != '"') {
        /* a run of plain ASCII at once (the closing quote ends it) */
        const unsigned char *run = wasmcap__plain_run(ps->p, ps->end);
        if (run > ps->p) {
            memcpy(dst + n, ps->p, (size_t)(run - ps->p));
            n += (size_t)(run - ps->p);
            ps->p = run;
            continue;
        }
        unsigned c = *ps->p;
        if (c < 0x20)
            return wasmcap__fail(ps, "control character in string");
        if (c == '\\') {
            if (ps->end - ps->p < 2)
                return wasmcap__fail(ps, "bad escape");
            unsigned e = ps->p[1];
            ps->p += 2;
            switch (e) {
            case '"': dst[n++] = '"'; break;
            case '\\': dst[n++] = '\\'; break;
            case '/': dst[n++] = '/'; break;
            case 'b': dst[n++] = '\b'; break;
            case 'f': dst[n++] = '\f'; break;
            case 'n': dst[n++] = '\n'; break;
            case 'r': dst[n++] = '\r'; break;
            case 't': dst[n++] = '\t'; break;
            case 'u': {
                unsigned cp;
                ps->p -= 2;
                if (ps->end - ps->p < 6 || wasmcap__hex4(ps->p + 2, &cp))
                    return wasmcap__fail(ps, "bad \\u escape");
                if (cp >= 0xDC00 && cp <= 0xDFFF)
                    return wasmcap__fail(ps, "lone low surrogate");
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo;
                    if (ps->end - ps->p < 12 || ps->p[6] != '\\' || ps->p[7] != 'u' ||
                        wasmcap__hex4(ps->p + 8, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                        return wasmcap__fail(ps, "lone high surrogate");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    ps->p += 6;
                }
                ps->p += 6;
                /* 6 (or 12) input bytes become at most 3 (or 4) output bytes */
                n += wasmcap__utf8_put(dst + n, cp);
                break;
            }
            default:
                ps->p -= 2;
                return wasmcap__fail(ps, "bad escape");
            }
            continue;
        }
        size_t k = wasmcap__utf8_len(ps->p, ps->end);
        if (!k)
            return wasmcap__fail(ps, "invalid UTF-8");
        memcpy(dst + n, ps->p, k);
        n += k;
        ps->p += k;
    }
    ps->p++; /* '"' */
    dst[n] = 0;
    *out = dst;
    *out_len = n;
    return 0;
}

static int wasmcap__number(wasmcap__parser *ps, double *out)
{
    const unsigned char *s = ps->p, *p = ps->p, *e = ps->end;
    if (p < e && *p == '-')
        p++;
    if (p >= e || *p < '0' || *p > '9')
        return wasmcap__fail(ps, "invalid number");
    if (*p == '0') {
        p++;
        if (p < e && *p >= '0' && *p <= '9')
            return wasmcap__fail(ps, "leading zero in number");
    } else {
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < e && *p == '.') {
        p++;
        if (p >= e || *p < '0' || *p > '9') {
            ps->p = p;
            return wasmcap__fail(ps, "digit expected after '.'");
        }
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if (p >= e || *p < '0' || *p > '9') {
            ps->p = p;
            return wasmcap__fail(ps, "digit expected in exponent");
        }
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    }
    size_t n = (size_t)(p - s);
    /* An integer of up to 15 digits is exact in a double: no strtod. */
    {
        const unsigned char *q = s;
        int neg = q < p && *q == '-';
        q += neg;
        if (p - q <= 15) {
            double acc = 0;
            while (q < p && *q >= '0' && *q <= '9')
                acc = acc * 10 + (*q++ - '0');
            if (q == p) {
                *out = neg ? -acc : acc;
                ps->p = p;
                return 0;
            }
        }
    }
    char small[64];
    char *tmp = n < sizeof small ? small : (char *)malloc(n + 1);
    if (!tmp)
        return wasmcap__fail(ps, "out of memory");
    memcpy(tmp, s, n);
    tmp[n] = 0;
    double v = strtod(tmp, NULL);
    if (tmp != small)
        free(tmp);
    if (!isfinite(v))
        return wasmcap__fail(ps, "number out of range");
    *out = v;
    ps->p = p;
    return 0;
}

static int wasmcap__literal(wasmcap__parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return wasmcap__fail(ps, "invalid literal");
    ps->p += n;
    return 0;
}

static int wasmcap__value(wasmcap__parser *ps, wasmcap_json *v, int depth)
{
    wasmcap__ws(ps);
    if (ps->p >= ps->end)
        return wasmcap__fail(ps, "value expected");
    switch (*ps->p) {
    case '{':
    case '[': {
        int object = *ps->p == '{';
        char close = object ? '}' : ']';
        if (depth >= WASMCAP_JSON_MAX_DEPTH)
            return wasmcap__fail(ps, "nesting too deep");
        v->type = object ? WASMCAP_JSON_OBJECT : WASMCAP_JSON_ARRAY;
        ps->p++;
        wasmcap__ws(ps);
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            return 0;
        }
        wasmcap_json **tail = &v->child;
        for (;;) {
            wasmcap_json *c = (wasmcap_json *)wasmcap__palloc(ps, sizeof *c);
            if (!c)
                return wasmcap__fail(ps, "out of memory");
            memset(c, 0, sizeof *c);
            if (object) {
                wasmcap__ws(ps);
                if (ps->p >= ps->end || *ps->p != '"')
                    return wasmcap__fail(ps, "string key expected");
                if (wasmcap__string(ps, &c->key, &c->key_len))
                    return -1;
                wasmcap__ws(ps);
                if (ps->p >= ps->end || *ps->p != ':')
                    return wasmcap__fail(ps, "':' expected");
                ps->p++;
            }
            if (wasmcap__value(ps, c, depth + 1))
                return -1;
            *tail = c;
            tail = &c->next;
            v->len++;
            wasmcap__ws(ps);
            if (ps->p < ps->end && *ps->p == ',') {
                ps->p++;
                continue;
            }
            if (ps->p < ps->end && *ps->p == close) {
                ps->p++;
                return 0;
            }
            return wasmcap__fail(ps, object ? "',' or '}' expected" : "',' or ']' expected");
        }
    }
    case '"':
        v->type = WASMCAP_JSON_STRING;
        return wasmcap__string(ps, &v->string, &v->len);
    case 't':
        v->type = WASMCAP_JSON_BOOL;
        v->boolean = 1;
        return wasmcap__literal(ps, "true");
    case 'f':
        v->type = WASMCAP_JSON_BOOL;
        return wasmcap__literal(ps, "false");
    case 'n':
        v->type = WASMCAP_JSON_NULL;
        return wasmcap__literal(ps, "null");
    default:
        v->type = WASMCAP_JSON_NUMBER;
        return wasmcap__number(ps, &v->number);
    }
}

static void wasmcap__free_chunks(wasmcap__chunk *c)
{
    while (c) {
        wasmcap__chunk *next = c->next;
        wasmcap__free(c);
        c = next;
    }
}

static wasmcap_json *wasmcap__json_parse(const char *text, size_t len, char *err, size_t err_size,
                                         int in_place)
{
    wasmcap__parser ps;
    memset(&ps, 0, sizeof ps);
    ps.in_place = in_place;
    if (err && err_size)
        err[0] = 0;
    ps.start = ps.p = (const unsigned char *)(text ? text : "");
    ps.end = ps.p + (text ? len : 0);
    ps.err = err;
    ps.err_size = err_size;
    /* room for the strings' copies, or in place only for the nodes */
    ps.next_chunk = 256 + (len < (1u << 20) ? len : (1u << 20)) / (in_place ? 8 : 1) * 2;
    wasmcap_json *root = (wasmcap_json *)wasmcap__palloc(&ps, sizeof *root);
    if (!root) {
        wasmcap__fail(&ps, "out of memory");
        return NULL;
    }
    memset(root, 0, sizeof *root);
    if (wasmcap__value(&ps, root, 0) == 0) {
        wasmcap__ws(&ps);
        if (ps.p != ps.end)
            wasmcap__fail(&ps, "trailing characters");
    }
    if (ps.failed) {
        wasmcap__free_chunks(ps.chunks);
        return NULL;
    }
    root->arena_ = ps.chunks;
    return root;
}

wasmcap_json *wasmcap_json_parse(const char *text, size_t len, char *err, size_t err_size)
{
    return wasmcap__json_parse(text, len, err, err_size, 0);
}

void wasmcap_json_free(wasmcap_json *root)
{
    if (root)
        wasmcap__free_chunks((wasmcap__chunk *)root->arena_);
}

const wasmcap_json *wasmcap_json_get(const wasmcap_json *object, const char *key)
{
    if (!object || object->type != WASMCAP_JSON_OBJECT || !key)
        return NULL;
    size_t n = strlen(key);
    for (const wasmcap_json *c = object->child; c; c = c->next)
        if (c->key_len == n && memcmp(c->key, key, n) == 0)
            return c;
    return NULL;
}

const wasmcap_json *wasmcap_json_at(const wasmcap_json *array, size_t index)
{
    if (!array || array->type != WASMCAP_JSON_ARRAY)
        return NULL;
    const wasmcap_json *c = array->child;
    while (c && index--)
        c = c->next;
    return c;
}

const char *wasmcap_json_string(const wasmcap_json *v, const char *dflt)
{
    return v && v->type == WASMCAP_JSON_STRING ? v->string : dflt;
}

double wasmcap_json_number(const wasmcap_json *v, double dflt)
{
    return v && v->type == WASMCAP_JSON_NUMBER ? v->number : dflt;
}

int wasmcap_json_bool(const wasmcap_json *v, int dflt)
{
    return v && v->type == WASMCAP_JSON_BOOL ? v->boolean : dflt;
}

int wasmcap_json_is_integer(const wasmcap_json *v)
{
    return v && v->type == WASMCAP_JSON_NUMBER && v->number == floor(v->number) &&
           fabs(v->number) <= 9007199254740992.0;
}

/* ---- JSON writer ------------------------------------------------------- */

/* The shortest digits that read back as v (finite, not 0), by printf:
 * "%.*e" at 1, 2, ... 17 significant digits until strtod gives v back.
 * digits (up to 20, no sign) and the exponent of the first. */
static void wasmcap__search_digits(double v, char digits[24], int *k, int *exp10)
{
    char tmp[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    /* tmp is [-]d[.ddd]e(+|-)xx: collect the digits and the exponent */
    const char *s = tmp + (tmp[0] == '-');
    *k = 0;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9' && *k < 20)
            digits[(*k)++] = *s;
    *exp10 = *s == 'e' ? atoi(s + 1) : 0;
}

/* The same for a > 0 whose shortest form has few enough digits, without
 * printf or strtod (thousands of instructions each in a sandbox): the
 * fewest decimals d (up to 22, where 10^d stays exact) for which an
 * integer c below 2^53 next to a * 10^d reads back as a, i.e. c / 10^d ==
 * a (an exact c and 10^d, so the division rounds as strtod rounds the
 * decimal).  Any c that reads back lies within 1 of the computed
 * a * 10^d, so the three around it are all there is to try, the nearest
 * first.  -1 when no d works below 2^53: then wasmcap__search_digits. */
static int wasmcap__short_digits(double a, char digits[24], int *k, int *exp10)
{
    for (int d = 0; d <= 22; d++) {
        double t = a * wasmcap__pow10[d];
        if (t >= 9007199254740992.0)
            return -1;
        double r = __builtin_rint(t);
        double try_[3] = {r, t < r ? r - 1 : r + 1, t < r ? r + 1 : r - 1};
        for (int i = 0; i < 3; i++) {
            double c = try_[i];
            if (c < 1 || c / wasmcap__pow10[d] != a)
                continue;
            char rev[20];
            int n = 0;
            for (unsigned long long u = (unsigned long long)c; u; u /= 10)
                rev[n++] = (char)('0' + u % 10);
            for (int j = 0; j < n; j++)
                digits[j] = rev[n - 1 - j];
            *k = n;
            *exp10 = n - 1 - d;
            return 0;
        }
    }
    return -1;
}

size_t wasmcap_format_number(double v, char out[32])
{
    if (isnan(v))
        return (size_t)snprintf(out, 32, "NaN");
    if (isinf(v))
        return (size_t)snprintf(out, 32, v < 0 ? "-Infinity" : "Infinity");
    if (v == 0)
        return (size_t)snprintf(out, 32, "0");
    /* Integers (the common case) need no search for the shortest digits. */
    if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(long long)v) {
        unsigned long long u = v < 0 ? (unsigned long long)-(long long)v : (unsigned long long)v;
        char rev[24];
        size_t n = 0, len = 0;
        do
            rev[n++] = (char)('0' + u % 10);
        while ((u /= 10) != 0);
        if (v < 0)
            out[len++] = '-';
        while (n)
            out[len++] = rev[--n];
        out[len] = 0;
        return len;
    }
    char digits[24];
    int k, exp10, neg = v < 0;
    if (wasmcap__short_digits(neg ? -v : v, digits, &k, &exp10) != 0)
        wasmcap__search_digits(v, digits, &k, &exp10);
    while (k > 1 && digits[k - 1] == '0')
        k--;
    int n = exp10 + 1; /* v = 0.digits * 10^n */
    char *o = out;
    if (neg)
        *o++ = '-';
    if (k <= n && n <= 21) {
        memcpy(o, digits, (size_t)k);
        o += k;
        for (int i = k; i < n; i++)
            *o++ = '0';
    } else if (0 < n && n <= 21) {
        memcpy(o, digits, (size_t)n);
        o += n;
        *o++ = '.';
        memcpy(o, digits + n, (size_t)(k - n));
        o += k - n;
    } else if (-6 < n && n <= 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -n; i++)
            *o++ = '0';
        memcpy(o, digits, (size_t)k);
        o += k;
    } else {
        *o++ = digits[0];
        if (k > 1) {
            *o++ = '.';
            memcpy(o, digits + 1, (size_t)(k - 1));
            o += k - 1;
        }
        o += snprintf(o, 8, "e%c%d", n - 1 < 0 ? '-' : '+', n - 1 < 0 ? 1 - n : n - 1);
    }
    *o = 0;
    return (size_t)(o - out);
}

/* Before a value or a key: the comma, and checks of what is due. */
static int wasmcap__jw_pre(wasmcap_jw *w, int is_key)
{
    if (w->buf.failed)
        return -1;
    if (w->depth == 0) {
        if (is_key || w->buf.len) { /* one top-level value only */
            w->buf.failed = 1;
            return -1;
        }
        return 0;
    }
    uint64_t bit = 1ull << (w->depth - 1);
    int in_object = (w->is_object & bit) != 0;
    if (in_object && !is_key && !w->after_key) {
        w->buf.failed = 1;
        return -1;
    }
    if ((!in_object && is_key) || (is_key && w->after_key)) {
        w->buf.failed = 1;
        return -1;
    }
    if (w->after_key) {
        w->after_key = 0;
        return 0;
    }
    if (w->has_items & bit)
        wasmcap_buf_append(&w->buf, ",", 1);
    w->has_items |= bit;
    return 0;
}

static void wasmcap__jw_begin(wasmcap_jw *w, int object)
{
    if (wasmcap__jw_pre(w, 0))
        return;
    if (w->depth >= 64) {
        w->buf.failed = 1;
        return;
    }
    wasmcap_buf_append(&w->buf, object ? "{" : "[", 1);
    uint64_t bit = 1ull << w->depth;
    w->has_items &= ~bit;
    if (object)
        w->is_object |= bit;
    else
        w->is_object &= ~bit;
    w->depth++;
}

static void wasmcap__jw_end(wasmcap_jw *w, int object)
{
    if (w->buf.failed)
        return;
    if (w->depth == 0 || w->after_key || ((w->is_object >> (w->depth - 1)) & 1) != (uint64_t)object) {
        w->buf.failed = 1;
        return;
    }
    w->depth--;
    wasmcap_buf_append(&w->buf, object ? "}" : "]", 1);
}

void wasmcap_jw_begin_object(wasmcap_jw *w) { wasmcap__jw_begin(w, 1); }
void wasmcap_jw_end_object(wasmcap_jw *w) { wasmcap__jw_end(w, 1); }
void wasmcap_jw_begin_array(wasmcap_jw *w) { wasmcap__jw_begin(w, 0); }
void wasmcap_jw_end_array(wasmcap_jw *w) { wasmcap__jw_end(w, 0); }

/* A quoted, escaped string; invalid UTF-8 becomes U+FFFD. */
static void wasmcap__jw_quote(wasmcap_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    wasmcap_buf_append(b, "\"", 1);
    while (p < end) {
        const unsigned char *run = p;
        p = wasmcap__plain_run(p, end); /* what needs no escape, 16 bytes a step */
        if (p > run)
            wasmcap_buf_append(b, run, (size_t)(p - run));
        if (p >= end)
            break;
        unsigned c = *p;
        if (c >= 0x80) {
            size_t k = wasmcap__utf8_len(p, end);
            if (k) {
                wasmcap_buf_append(b, p, k);
                p += k;
            } else {
                wasmcap_buf_append(b, "\xEF\xBF\xBD", 3);
                p++;
            }
            continue;
        }
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        wasmcap_buf_append(b, esc, n);
        p++;
    }
    wasmcap_buf_append(b, "\"", 1);
}

void wasmcap_jw_key(wasmcap_jw *w, const char *key)
{
    if (!key) {
        w->buf.failed = 1;
        return;
    }
    if (wasmcap__jw_pre(w, 1))
        return;
    wasmcap__jw_quote(&w->buf, key, strlen(key));
    wasmcap_buf_append(&w->buf, ":", 1);
    w->after_key = 1;
}

void wasmcap_jw_stringn(wasmcap_jw *w, const char *s, size_t len)
{
    if (wasmcap__jw_pre(w, 0))
        return;
    if (!s)
        wasmcap_buf_append(&w->buf, "null", 4);
    else
        wasmcap__jw_quote(&w->buf, s, len);
}

void wasmcap_jw_string(wasmcap_jw *w, const char *s)
{
    wasmcap_jw_stringn(w, s, s ? strlen(s) : 0);
}

void wasmcap_jw_stringf(wasmcap_jw *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = wasmcap__vformat(fmt, ap);
    va_end(ap);
    if (!s) {
        w->buf.failed = 1;
        return;
    }
    wasmcap_jw_string(w, s);
    free(s);
}

void wasmcap_jw_number(wasmcap_jw *w, double v)
{
    if (wasmcap__jw_pre(w, 0))
        return;
    if (!isfinite(v)) {
        wasmcap_buf_append(&w->buf, "null", 4);
        return;
    }
    char tmp[32];
    size_t n = wasmcap_format_number(v, tmp);
    wasmcap_buf_append(&w->buf, tmp, n);
}

void wasmcap_jw_int(wasmcap_jw *w, long long v)
{
    if (wasmcap__jw_pre(w, 0))
        return;
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lld", v);
    wasmcap_buf_append(&w->buf, tmp, (size_t)n);
}

void wasmcap_jw_bool(wasmcap_jw *w, int v)
{
    if (wasmcap__jw_pre(w, 0))
        return;
    if (v)
        wasmcap_buf_append(&w->buf, "true", 4);
    else
        wasmcap_buf_append(&w->buf, "false", 5);
}

void wasmcap_jw_null(wasmcap_jw *w)
{
    if (wasmcap__jw_pre(w, 0))
        return;
    wasmcap_buf_append(&w->buf, "null", 4);
}

void wasmcap_jw_raw(wasmcap_jw *w, const char *json, size_t len)
{
    if (wasmcap__jw_pre(w, 0))
        return;
    wasmcap_buf_append(&w->buf, json, len);
}

void wasmcap_jw_value(wasmcap_jw *w, const wasmcap_json *v)
{
    if (!v) {
        wasmcap_jw_null(w);
        return;
    }
    switch (v->type) {
    case WASMCAP_JSON_NULL: wasmcap_jw_null(w); break;
    case WASMCAP_JSON_BOOL: wasmcap_jw_bool(w, v->boolean); break;
    case WASMCAP_JSON_NUMBER: wasmcap_jw_number(w, v->number); break;
    case WASMCAP_JSON_STRING: wasmcap_jw_stringn(w, v->string, v->len); break;
    case WASMCAP_JSON_ARRAY:
        wasmcap_jw_begin_array(w);
        for (const wasmcap_json *c = v->child; c; c = c->next)
            wasmcap_jw_value(w, c);
        wasmcap_jw_end_array(w);
        break;
    case WASMCAP_JSON_OBJECT:
        wasmcap_jw_begin_object(w);
        for (const wasmcap_json *c = v->child; c; c = c->next) {
            /* keys may hold NUL: write them by length */
            if (wasmcap__jw_pre(w, 1))
                return;
            wasmcap__jw_quote(&w->buf, c->key, c->key_len);
            wasmcap_buf_append(&w->buf, ":", 1);
            w->after_key = 1;
            wasmcap_jw_value(w, c);
        }
        wasmcap_jw_end_object(w);
        break;
    }
}

void wasmcap_jw_kv_string(wasmcap_jw *w, const char *key, const char *s)
{
    wasmcap_jw_key(w, key);
    wasmcap_jw_string(w, s);
}

void wasmcap_jw_kv_number(wasmcap_jw *w, const char *key, double v)
{
    wasmcap_jw_key(w, key);
    wasmcap_jw_number(w, v);
}

void wasmcap_jw_kv_int(wasmcap_jw *w, const char *key, long long v)
{
    wasmcap_jw_key(w, key);
    wasmcap_jw_int(w, v);
}

void wasmcap_jw_kv_bool(wasmcap_jw *w, const char *key, int v)
{
    wasmcap_jw_key(w, key);
    wasmcap_jw_bool(w, v);
}

void wasmcap_jw_message(wasmcap_jw *w, const char *role, const char *text)
{
    wasmcap_jw_begin_object(w);
    wasmcap_jw_kv_string(w, "role", role);
    wasmcap_jw_key(w, "content");
    wasmcap_jw_begin_object(w);
    wasmcap_jw_kv_string(w, "type", "text");
    wasmcap_jw_kv_string(w, "text", text);
    wasmcap_jw_end_object(w);
    wasmcap_jw_end_object(w);
}

/* ---- results ----------------------------------------------------------- */

static void wasmcap__result_init(wasmcap_result *r)
{
    memset(r, 0, sizeof *r);
    r->content.buf.scratch = r->structured.buf.scratch = 1;
    wasmcap_jw_begin_array(&r->content);
}

/* {"type":"text","text":...} as one value of the content array; written
 * directly, since it is on every call's path. */
static void wasmcap__text_block(wasmcap_result *r, const char *text)
{
    static const char head[] = "{\"type\":\"text\",\"text\":";
    if (wasmcap__jw_pre(&r->content, 0))
        return;
    wasmcap_buf_append(&r->content.buf, head, sizeof head - 1);
    wasmcap__jw_quote(&r->content.buf, text, strlen(text));
    wasmcap_buf_append(&r->content.buf, "}", 1);
}

int wasmcap_text(wasmcap_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (fmt[0] == '%' && fmt[1] == 's' && fmt[2] == 0) {
        /* a plain string: no formatting machinery (a call's hot path) */
        const char *text = va_arg(ap, const char *);
        va_end(ap);
        wasmcap__text_block(r, text ? text : "(null)");
        return 0;
    }
    char *s = wasmcap__vformat(fmt, ap);
    va_end(ap);
    if (!s) {
        r->content.buf.failed = 1;
        return WASMCAP_ENOMEM;
    }
    wasmcap__text_block(r, s);
    free(s);
    return 0;
}

int wasmcap_error(wasmcap_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = wasmcap__vformat(fmt, ap);
    va_end(ap);
    wasmcap_buf_free(&r->content.buf);
    wasmcap_buf_free(&r->structured.buf);
    wasmcap_buf_free(&r->inputs.buf);
    free(r->request_state);
    wasmcap__result_init(r);
    r->is_error = 1;
    wasmcap__text_block(r, s ? s : "out of memory");
    free(s);
    return -1;
}

wasmcap_jw *wasmcap_structured(wasmcap_result *r)
{
    if (!r->has_structured) {
        r->has_structured = 1;
        wasmcap_jw_begin_object(&r->structured);
    }
    return &r->structured;
}

wasmcap_jw *wasmcap_content(wasmcap_result *r)
{
    return &r->content;
}

wasmcap_jw *wasmcap_input_required(wasmcap_result *r, const char *request_state)
{
    if (!r->input_required) {
        r->input_required = 1;
        wasmcap_jw_begin_object(&r->inputs);
    }
    free(r->request_state);
    r->request_state = request_state ? strdup(request_state) : NULL;
    return &r->inputs;
}

/* {"resultType":"input_required","inputRequests":{...},"requestState":...} */
static uint64_t wasmcap__input_required_finish(wasmcap_result *r)
{
    wasmcap_jw_end_object(&r->inputs);
    wasmcap_jw w = {0};
    wasmcap_jw_begin_object(&w);
    wasmcap_jw_kv_string(&w, "resultType", "input_required");
    wasmcap_jw_key(&w, "inputRequests");
    wasmcap_jw_raw(&w, (const char *)r->inputs.buf.data, r->inputs.buf.len);
    if (r->request_state)
        wasmcap_jw_kv_string(&w, "requestState", r->request_state);
    wasmcap_jw_end_object(&w);
    int failed = r->inputs.buf.failed || w.buf.failed;
    wasmcap_buf_free(&r->inputs.buf);
    wasmcap_buf_free(&r->content.buf);
    wasmcap_buf_free(&r->structured.buf);
    free(r->request_state);
    r->request_state = NULL;
    if (failed) {
        wasmcap_buf_free(&w.buf);
        return 0;
    }
    return wasmcap__pack(w.buf.data, w.buf.len);
}

/* The final CallToolResult, or 0 (the host reports a failed call). */
static uint64_t wasmcap__result_finish(wasmcap_result *r)
{
    if (r->input_required && !r->is_error)
        return wasmcap__input_required_finish(r);
    if (r->input_required) {
        wasmcap_buf_free(&r->inputs.buf);
        free(r->request_state);
        r->request_state = NULL;
    }
    wasmcap_jw_end_array(&r->content);
    if (r->has_structured)
        wasmcap_jw_end_object(&r->structured);
    if (r->content.buf.failed || (r->has_structured && r->structured.buf.failed)) {
        /* a misused writer or no memory: say so rather than send bad JSON */
        wasmcap_error(r, "the plugin could not build its result "
                         "(out of memory, or a misused JSON writer)");
        wasmcap_jw_end_array(&r->content);
        if (r->content.buf.failed)
            return 0;
    }
    static const char head[] = "{\"content\":", sc[] = ",\"structuredContent\":",
                      error[] = ",\"isError\":true}";
    int with_sc = r->has_structured && !r->is_error;
    wasmcap_buf out = {0};
    out.scratch = 1;
    /* one allocation of the whole size, then the pieces */
    wasmcap__buf_reserve(&out, sizeof head + r->content.buf.len + sizeof sc +
                                   (with_sc ? r->structured.buf.len : 0) + sizeof error);
    wasmcap_buf_append(&out, head, sizeof head - 1);
    wasmcap_buf_append(&out, r->content.buf.data, r->content.buf.len);
    if (with_sc) {
        wasmcap_buf_append(&out, sc, sizeof sc - 1);
        wasmcap_buf_append(&out, r->structured.buf.data, r->structured.buf.len);
    }
    if (r->is_error)
        wasmcap_buf_append(&out, error, sizeof error - 1);
    else
        wasmcap_buf_append(&out, "}", 1);
    wasmcap_buf_free(&r->content.buf);
    wasmcap_buf_free(&r->structured.buf);
    if (out.failed) {
        wasmcap_buf_free(&out);
        return 0;
    }
    return wasmcap__pack(out.data, out.len);
}

int wasmcap_reply_error(wasmcap_reply *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = wasmcap__vformat(fmt, ap);
    va_end(ap);
    free(r->error);
    r->error = s ? s : strdup("out of memory");
    return -1;
}

void wasmcap_resource_text(wasmcap_reply *r, const char *uri, const char *mime_type,
                           const char *text)
{
    wasmcap_jw_key(&r->w, "contents");
    wasmcap_jw_begin_array(&r->w);
    wasmcap_jw_begin_object(&r->w);
    wasmcap_jw_kv_string(&r->w, "uri", uri);
    if (mime_type)
        wasmcap_jw_kv_string(&r->w, "mimeType", mime_type);
    wasmcap_jw_kv_string(&r->w, "text", text);
    wasmcap_jw_end_object(&r->w);
    wasmcap_jw_end_array(&r->w);
}

static void wasmcap__reply_init(wasmcap_reply *r)
{
    memset(r, 0, sizeof *r);
    r->w.buf.scratch = 1;
    wasmcap_jw_begin_object(&r->w);
}

static uint64_t wasmcap__reply_finish(wasmcap_reply *r, int rc)
{
    if (rc == 0 && !r->error) {
        wasmcap_jw_end_object(&r->w);
        if (!r->w.buf.failed)
            return wasmcap__pack(r->w.buf.data, r->w.buf.len);
        rc = wasmcap_reply_error(r, "the plugin built an invalid reply (JSON writer misuse "
                                    "or out of memory)");
    }
    wasmcap_buf_free(&r->w.buf);
    wasmcap_jw w = {0};
    wasmcap_jw_begin_object(&w);
    wasmcap_jw_kv_string(&w, "error", r->error ? r->error : "the plugin failed");
    wasmcap_jw_end_object(&w);
    free(r->error);
    r->error = NULL;
    if (w.buf.failed) {
        wasmcap_buf_free(&w.buf);
        return 0;
    }
    return wasmcap__pack(w.buf.data, w.buf.len);
}

/* ---- dispatch ---------------------------------------------------------- */

static int wasmcap__name_is(const char *want, const char *name, size_t name_len)
{
    return strlen(want) == name_len && memcmp(want, name, name_len) == 0;
}

/* Parses an arguments object; empty input is {}. */
static wasmcap_json *wasmcap__parse_args(const char *text, size_t len, char *err, size_t err_size)
{
    static const char empty[] = "{}";
    if (!text || len == 0) {
        text = empty;
        len = 2;
    }
    /* the call's input, which no one reads again: its strings stay in it */
    int in_place = wasmcap__input && (const unsigned char *)text >= wasmcap__input &&
                   len <= wasmcap__input_size &&
                   (size_t)((const unsigned char *)text - wasmcap__input) <= wasmcap__input_size - len;
    wasmcap_json *v = wasmcap__json_parse(text, len, err, err_size, in_place);
    if (v && v->type == WASMCAP_JSON_NULL) {
        wasmcap_json_free(v);
        v = wasmcap_json_parse(empty, 2, err, err_size);
    }
    if (v && v->type != WASMCAP_JSON_OBJECT) {
        snprintf(err, err_size, "arguments must be a JSON object");
        wasmcap_json_free(v);
        return NULL;
    }
    return v;
}

uint64_t wasmcap__call_tool(const wasmcap_tool *tools, size_t ntools, const char *name,
                            size_t name_len, const char *args, size_t args_len)
{
    wasmcap_result r;
    wasmcap__result_init(&r);
    const wasmcap_tool *tool = NULL;
    for (size_t i = 0; i < ntools; i++)
        if (tools[i].name && wasmcap__name_is(tools[i].name, name, name_len))
            tool = &tools[i];
    if (!tool) {
        wasmcap_error(&r, "unknown tool '%.*s'", (int)(name_len > 200 ? 200 : name_len), name);
        return wasmcap__result_finish(&r);
    }
    char err[128];
    wasmcap_json *a = wasmcap__parse_args(args, args_len, err, sizeof err);
    if (!a) {
        wasmcap_error(&r, "invalid arguments: %s", err);
        return wasmcap__result_finish(&r);
    }
    int rc = tool->fn(a, &r);
    if (rc != 0 && !r.is_error)
        wasmcap_error(&r, "tool '%s' failed (%d)", tool->name, rc);
    wasmcap_json_free(a);
    return wasmcap__result_finish(&r);
}

uint64_t wasmcap__get_prompt(const wasmcap_prompt *prompts, size_t nprompts, const char *name,
                             size_t name_len, const char *args, size_t args_len)
{
    wasmcap_reply r;
    wasmcap__reply_init(&r);
    const wasmcap_prompt *prompt = NULL;
    for (size_t i = 0; i < nprompts; i++)
        if (prompts[i].name && wasmcap__name_is(prompts[i].name, name, name_len))
            prompt = &prompts[i];
    if (!prompt)
        return wasmcap__reply_finish(
            &r, wasmcap_reply_error(&r, "unknown prompt '%.*s'",
                                    (int)(name_len > 200 ? 200 : name_len), name));
    char err[128];
    wasmcap_json *a = wasmcap__parse_args(args, args_len, err, sizeof err);
    if (!a)
        return wasmcap__reply_finish(&r, wasmcap_reply_error(&r, "invalid arguments: %s", err));
    int rc = prompt->fn(a, &r);
    wasmcap_json_free(a);
    return wasmcap__reply_finish(&r, rc);
}

uint64_t wasmcap__read_resource(wasmcap_read_resource_fn fn, const char *uri, size_t uri_len)
{
    wasmcap_reply r;
    wasmcap__reply_init(&r);
    char *u = (char *)malloc(uri_len + 1);
    if (!u)
        return wasmcap__reply_finish(&r, wasmcap_reply_error(&r, "out of memory"));
    if (uri_len)
        memcpy(u, uri, uri_len);
    u[uri_len] = 0;
    int rc = strlen(u) != uri_len ? wasmcap_reply_error(&r, "invalid uri") : fn(u, &r);
    free(u);
    return wasmcap__reply_finish(&r, rc);
}

uint64_t wasmcap__list_resources(wasmcap_list_resources_fn fn)
{
    wasmcap_reply r;
    wasmcap__reply_init(&r);
    return wasmcap__reply_finish(&r, fn(&r));
}

uint64_t wasmcap__complete(wasmcap_complete_fn fn, const char *params, size_t params_len)
{
    wasmcap_reply r;
    wasmcap__reply_init(&r);
    char err[128];
    wasmcap_json *p = wasmcap__parse_args(params, params_len, err, sizeof err);
    if (!p)
        return wasmcap__reply_finish(&r, wasmcap_reply_error(&r, "invalid params: %s", err));
    int rc = fn(p, &r);
    wasmcap_json_free(p);
    return wasmcap__reply_finish(&r, rc);
}

/* ---- host function wrappers -------------------------------------------- */

static char *wasmcap__last_error;

const char *wasmcap_last_error(void)
{
    return wasmcap__last_error ? wasmcap__last_error : "";
}

static void wasmcap__set_error(const char *msg)
{
    free(wasmcap__last_error);
    wasmcap__last_error = strdup(msg);
}

/* Turns a host return value into the SDK's: copies the response slot out. */
static int wasmcap__take(int32_t rc, char **value, size_t *len)
{
    if (value)
        *value = NULL;
    if (len)
        *len = 0;
    if (rc < 0) {
        /* the slot holds the message; messages are short */
        char msg[512];
        int32_t n = wasmcap__h_read_response(msg, sizeof msg - 1);
        if (n < 0 || n > (int32_t)sizeof msg - 1)
            n = 0;
        msg[n] = 0;
        wasmcap__set_error(n ? msg : "host call failed");
        return rc;
    }
    if (!value)
        return 0;
    char *buf = (char *)malloc((size_t)rc + 1);
    if (!buf) {
        wasmcap__set_error("out of memory");
        return WASMCAP_ENOMEM;
    }
    int32_t n = rc ? wasmcap__h_read_response(buf, (size_t)rc) : 0;
    if (n < 0 || n > rc)
        n = 0;
    buf[n] = 0;
    *value = buf;
    if (len)
        *len = (size_t)n;
    return 0;
}

void wasmcap_log(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = wasmcap__vformat(fmt, ap);
    va_end(ap);
    if (s)
        wasmcap__h_log(level, s, strlen(s));
    free(s);
}

void wasmcap_progress(double progress, double total, const char *fmt, ...)
{
    char *s = NULL;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        s = wasmcap__vformat(fmt, ap);
        va_end(ap);
    }
    wasmcap__h_progress(progress, total, s ? s : "", s ? strlen(s) : 0);
    free(s);
}

void wasmcap_resource_updated(const char *uri)
{
    wasmcap__h_resource_updated(uri, strlen(uri));
}

void wasmcap_close_stream(void)
{
    wasmcap__h_close_stream();
}

void wasmcap_list_changed(const char *kind)
{
    wasmcap__h_list_changed(kind, strlen(kind));
}

int wasmcap_config_get(const char *key, char **value, size_t *len)
{
    return wasmcap__take(wasmcap__h_config_get(key, strlen(key)), value, len);
}

int wasmcap_kv_get(const char *key, char **value, size_t *len)
{
    return wasmcap__take(wasmcap__h_kv_get(key, strlen(key)), value, len);
}

int wasmcap_kv_put(const char *key, const char *value, size_t value_len)
{
    return wasmcap__take(wasmcap__h_kv_put(key, strlen(key), value, value_len), NULL, NULL);
}

int wasmcap_kv_delete(const char *key)
{
    return wasmcap__take(wasmcap__h_kv_delete(key, strlen(key)), NULL, NULL);
}

int wasmcap_kv_list(const char *prefix, char **json, size_t *len)
{
    return wasmcap__take(wasmcap__h_kv_list(prefix, strlen(prefix)), json, len);
}

int wasmcap_kv_list_page(const char *prefix, const char *cursor, char **json, size_t *len)
{
    if (!cursor)
        cursor = "";
    return wasmcap__take(wasmcap__h_kv_list_page(prefix, strlen(prefix), cursor, strlen(cursor)), json, len);
}

int wasmcap_http_fetch(const char *request, char **response, size_t *len)
{
    return wasmcap__take(wasmcap__h_http_fetch(request, strlen(request)), response, len);
}

int wasmcap_sample(const char *request, char **response, size_t *len)
{
    return wasmcap__take(wasmcap__h_sample(request, strlen(request)), response, len);
}

int wasmcap_elicit(const char *request, char **response, size_t *len)
{
    return wasmcap__take(wasmcap__h_elicit(request, strlen(request)), response, len);
}

int wasmcap_bus_publish(const char *subject, const void *data, size_t len)
{
    return wasmcap__take(wasmcap__h_bus_publish(subject, strlen(subject), data, len), NULL, NULL);
}

int wasmcap_bus_request(const char *subject, const void *data, size_t len, uint32_t timeout_ms,
                        size_t max_reply, char **reply, size_t *reply_len)
{
    return wasmcap__take(wasmcap__h_bus_request(subject, strlen(subject), data, len, timeout_ms,
                                                max_reply), reply, reply_len);
}

int wasmcap_request_context(char **json, size_t *len)
{
    return wasmcap__take(wasmcap__h_request_context(), json, len);
}

#endif /* WASMCAP_IMPLEMENTATION_DONE */
#endif /* WASMCAP_IMPLEMENTATION */
