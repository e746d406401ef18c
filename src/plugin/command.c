/* command.c -- the command (CGI-style) ABI (abi.h): a tool call of a WASI program.
 *
 * Any WASI program serves: argv is [plugin, tool], stdin the arguments
 * JSON, stdout the result, stderr the server log, and a non-zero exit status
 * marks the result as an error (docs/PLUGINS.md, "Command ABI").
 */
#include "plugin/plugin_internal.h"

#include <stdio.h>
#include <string.h>

#include "json/parse.h"

/* stdout as a result: a CallToolResult when it is a JSON object with
 * content or structuredContent, else one text block. */
static json_t *stdout_result(const char *out, size_t len)
{
    size_t i = 0;
    while (i < len && (out[i] == ' ' || out[i] == '\n' || out[i] == '\t' || out[i] == '\r'))
        i++;
    if (i < len && out[i] == '{') {
        json_t *obj = wc_json_parse(out, len, WC_JSON_REJECT_DUPLICATES, NULL);
        if (json_is_object(obj) &&
            (json_object_get(obj, "content") || json_object_get(obj, "structuredContent")))
            return obj;
        json_decref(obj);
    }
    json_t *block = wc_text_block(out, len);
    return block ? json_pack("{s:[o]}", "content", block) : NULL;
}

/* A tool call: 0 with run->result the raw result object, or a WC_E* code
 * with a sentence in failure. */
static int command_call_tool(wc_plugin *p, wc_tool_run *run, wc_error *failure)
{
    json_t **result = &run->result;
    const char *display = run->display;
    *result = NULL;
    const char *argv[2] = {p->config.name, run->tool->name};
    wc_wasi_config wcfg = {
        .argc = 2,
        .argv = argv,
        .stdio = {
            {.kind = WC_WASI_STDIO_BUFFER, .data = (const uint8_t *)run->args, .size = run->args_len},
            {.kind = WC_WASI_STDIO_BUFFER, .max_capture = p->max_output},
            {.kind = WC_WASI_STDIO_BUFFER},
        },
    };
    char what[160];
    snprintf(what, sizeof what, "tool '%s'", display);
    wc_run r;
    int rc;
    if (wc_run_begin(&r, p, run->call, &wcfg) != 0) {
        rc = wc_run_describe(&r, what, failure);
        wc_run_end(&r);
        return rc;
    }
    wc_trap trap = wc_run_outcome(
        &r, wc_instance_call_index(r.inst, (uint32_t)p->start_index, NULL, NULL, NULL));
    int status = 0;
    if (trap == WC_TRAP_EXIT) {
        status = wc_instance_exit_code(r.inst);
    } else if (trap != WC_TRAP_NONE) {
        wc_run_trapped(&r, trap);
        rc = wc_run_describe(&r, what, failure);
        goto done;
    }
    size_t out_len = 0, err_len = 0;
    const char *out = (const char *)wc_wasi_output(r.wasi, 1, &out_len);
    const char *err = (const char *)wc_wasi_output(r.wasi, 2, &err_len);
    if (wc_wasi_output_truncated(r.wasi, 1)) {
        r.status = WC_RUN_OUTPUT;
        snprintf(r.msg, sizeof r.msg, "more than %zu bytes on stdout", p->max_output);
        rc = wc_run_describe(&r, what, failure);
        goto done;
    }
    if (status == 0) {
        *result = stdout_result(out, out_len);
    } else {
        /* The program's own words, or failing those its status. */
        const char *text = out_len ? out : err;
        size_t len = out_len ? out_len : err_len;
        char buf[128];
        if (!len) {
            len = (size_t)snprintf(buf, sizeof buf, "tool '%s' exited with status %d", display, status);
            text = buf;
        }
        json_t *block = wc_text_block(text, len);
        *result = block ? json_pack("{s:[o],s:b}", "content", block, "isError", 1) : NULL;
    }
    rc = *result ? 0 : wc_error_set(failure, WC_ENOMEM, "out of memory");
done:
    wc_run_end(&r);
    return rc;
}

static int command_load(wc_plugin *p, const wc_module_info *info, wc_error *err)
{
    return p->start_index >= 0;
}

/* Only tools: a program's one entry point takes a tool name and arguments. */
const wc_plugin_abi wc_abi_command = {
    .name = "command",
    .always_wasi = true, /* its stdio */
    .attemptable = false, /* its stdio and exit are effects of their own */
    .load = command_load,
    .call_tool = command_call_tool,
};
