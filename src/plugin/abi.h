/* abi.h -- the plugin ABIs behind one table of operations.
 *
 * An ABI is how wasmcap drives a module: which exports it looks for, and
 * how a tool call, a resource read, a prompt or a completion become guest
 * calls.  A plugin's ABI is picked once at load, the first of
 * wc_plugin_abis whose load takes the module, and every call goes through
 * its table; plugin.c holds what all ABIs share (argument and result
 * checks, error results) and never asks which ABI it has.  An operation an
 * ABI lacks is NULL: the plugin answers that it does not support it.
 *
 * native.c (a reactor with wasmcap_call_tool), extism.c (an Extism
 * plugin of hyper-mcp's) and command.c (a WASI program) are the entries;
 * another ABI is another table.
 */
#ifndef WC_PLUGIN_ABI_H
#define WC_PLUGIN_ABI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/decode.h"
#include "json/scan.h"
#include "plugin/call.h"
#include "plugin/manifest.h"
#include "util/buf.h"

typedef struct wc_plugin wc_plugin;

/* A tool result whose shape was checked from its bytes, with nothing
 * built: content an array of valid blocks, isError absent or a boolean,
 * structuredContent absent (structured NULL) or a flat object, whose
 * members are split out for the outputSchema. */
typedef struct wc_result_shape {
    bool text_result; /* false: not checked from the bytes; the result is a value */
    bool is_error;
    const char *structured; /* into the kept text */
    size_t structured_len;
    wc_json_member structured_members[WC_JSON_FLAT_MAX];
    int structured_count;
} wc_result_shape;

/* One tool call as an ABI runs it. */
typedef struct wc_tool_run {
    const wc_manifest_tool *tool;
    const char *display; /* the name the client used, for messages */
    const char *args;    /* the arguments' JSON text */
    size_t args_len;
    wc_call *call;       /* NULL: none */
    /* Where to keep the result's text when it is one line (NULL: not
     * wanted); with skim, the text is what the caller sends: the ABI
     * builds of the result only what the checks read, and when it checked
     * the text's shape from the bytes, says so in *skim (text_result). */
    wc_buf *keep_text;
    wc_result_shape *skim;
    /* Out: the result as the plugin gave it (a CallToolResult before the
     * common checks), NULL when skim->text_result. */
    json_t *result;
    uint64_t deadline_ns; /* the checks of the result end by it (0: the plugin's time limit) */
} wc_tool_run;

typedef struct wc_plugin_abi {
    const char *name; /* "native", "extism", "command" */
    /* Every run gets a WASI world, whether the module imports it or not. */
    bool always_wasi;
    /* A tool call may be an attempt (wc_call_io.inline_budget_ms): the ABI
     * has no effects of its own. */
    bool attemptable;
    /* Whether the module is of this ABI, with the plugin's export indices
     * found and checked (wc_plugin entry, alloc_index, ...): 1 it is, 0 it
     * is not, -1 it is but cannot be used (err says why). */
    int (*load)(wc_plugin *p, const wc_module_info *info, wc_error *err);
    /* Optional: frees what load kept in p->abi_state. */
    void (*unload)(wc_plugin *p);
    /* Optional: for a module without a manifest, the plugin describes
     * itself by a call, after its imports are resolved: fills p->manifest.
     * 0, or a WC_E* code with err. */
    int (*describe)(wc_plugin *p, wc_error *err);
    /* 0 with run->result or the checked text, or a WC_E* code with a
     * sentence for a person in failure (the tool's error result). */
    int (*call_tool)(wc_plugin *p, wc_tool_run *run, wc_error *failure);
    /* The operations other than tools give the object the plugin returned
     * in *out: 0, WC_EPLUGIN (or the run's code: WC_ETRAP, ...), or
     * WC_EREFUSED when it answered
     * {"error": ...}; err says what failed.  `what` names the request in
     * messages ("resource 'mem://a'"). */
    int (*read_resource)(wc_plugin *p, const char *uri, const char *what, wc_call *call,
                         json_t **out, wc_error *err);
    int (*list_resources)(wc_plugin *p, wc_call *call, json_t **out, wc_error *err);
    /* arguments: the prompt's arguments as JSON text. */
    int (*get_prompt)(wc_plugin *p, const char *name, const char *arguments, const char *what,
                      wc_call *call, json_t **out, wc_error *err);
    /* params: the completion request's params as JSON text. */
    int (*complete)(wc_plugin *p, const char *params, wc_call *call, json_t **out, wc_error *err);
} wc_plugin_abi;

extern const wc_plugin_abi wc_abi_native;  /* native.c */
extern const wc_plugin_abi wc_abi_command; /* command.c */
extern const wc_plugin_abi wc_abi_extism;  /* extism.c */

/* In the order load tries them; NULL ends the list. */
extern const wc_plugin_abi *const wc_plugin_abis[];

#endif
