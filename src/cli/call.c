/* call.c -- `wasmcap call`: one tools/call without an MCP client.
 *
 * For trying a plugin from a shell or a script: the same config, registry
 * and validation as `serve`, no protocol.  The CallToolResult is printed as
 * one compact JSON line, so it pipes into jq as it is.  There is no client,
 * so a plugin's sampling or elicitation requests are refused as
 * unsupported, and progress and log notifications go nowhere.  Logs at
 * warning and above reach stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/setup.h"
#include "util/buf.h"
#include "util/log.h"

#define EXIT_TOOL_ERROR 1
#define EXIT_USAGE WC_EXIT_USAGE

static const char usage_text[] =
    "usage: wasmcap call [--config FILE] TOOL [ARGUMENTS]\n"
    "\n"
    "Calls one tool of the configured plugins and prints its CallToolResult as\n"
    "one line of compact JSON on stdout.  ARGUMENTS is a JSON object (default {});\n"
    "'-' reads it from stdin.\n"
    "\n"
    "options:\n"
    "  --config FILE   the config (default: $WASMCAP_CONFIG, else ./wasmcap.json\n"
    "                  if it exists, else no plugins)\n"
    "  -h, --help      show this help\n"
    "\n"
    "examples:\n"
    "  wasmcap call calc_eval '{\"expr\": \"1+2\"}'\n"
    "  echo '{\"id\": \"x\"}' | wasmcap call --config notes.json notes_get -\n"
    "\n"
    "exit status: 0 on success; 1 when the result has \"isError\": true or the\n"
    "config or a plugin cannot be loaded; 2 on bad usage, bad ARGUMENTS or an\n"
    "unknown tool.\n";

static int usage_error(const char *fmt, const char *arg)
{
    return wc_cli_usage_error("call", usage_text, fmt, arg);
}

static json_t *read_arguments(const char *text, wc_error *err)
{
    wc_buf in;
    wc_buf_init(&in);
    if (strcmp(text, "-") == 0) {
        char chunk[65536];
        ssize_t n;
        while ((n = read(0, chunk, sizeof chunk)) > 0)
            wc_buf_append(&in, chunk, (size_t)n);
        if (n < 0 || in.failed) {
            wc_error_set(err, WC_EINVAL, "cannot read the arguments from stdin");
            wc_buf_free(&in);
            return NULL;
        }
    } else {
        wc_buf_str(&in, text);
    }
    json_error_t jerr;
    json_t *v = json_loadb((const char *)in.data, in.len, 0, &jerr);
    wc_buf_free(&in);
    if (!v) {
        wc_error_set(err, WC_EINVAL, "ARGUMENTS is not JSON: %s (at byte %d)", jerr.text,
                     jerr.position);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        wc_error_set(err, WC_EINVAL, "ARGUMENTS must be a JSON object");
        return NULL;
    }
    return v;
}

int wc_cmd_call(int argc, char **argv)
{
    const char *config_arg = NULL, *tool = NULL, *args_text = NULL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        static const char *const with_value[] = {"--config"};
        const char *name = NULL;
        int found = wc_cli_option(argc, argv, &i, with_value, 1, &name, &config_arg);
        if (found < 0)
            return usage_error("%s needs a value", name);
        if (found)
            continue;
        if (arg[0] == '-' && arg[1] != '\0') {
            return usage_error("unknown option '%s'", arg);
        } else if (!tool) {
            tool = arg;
        } else if (!args_text) {
            args_text = arg;
        } else {
            return usage_error("unexpected argument '%s'", arg);
        }
    }
    if (!tool)
        return usage_error("%s", "no tool given");

    wc_error err;
    json_t *args = read_arguments(args_text ? args_text : "{}", &err);
    if (!args) {
        fprintf(stderr, "wasmcap call: %s\n", err.msg);
        return EXIT_USAGE;
    }
    wc_setup setup;
    wc_log_set_level(WC_LOG_WARNING); /* keep a one-shot command quiet */
    if (wc_setup_open(&setup, wc_setup_find_config(config_arg), &err) != 0) {
        fprintf(stderr, "wasmcap call: %s\n", err.msg);
        json_decref(args);
        return EXIT_TOOL_ERROR;
    }

    int status;
    json_t *result = NULL;
    wc_call *call = wc_call_new(NULL, NULL);
    int rc = call ? wc_registry_call_tool(setup.registry, tool, args, call, &result, &err)
                  : wc_error_set(&err, WC_ENOMEM, "out of memory");
    if (rc != 0) {
        fprintf(stderr, "wasmcap call: %s\n", err.msg);
        status = rc == WC_EINVAL ? EXIT_USAGE : EXIT_TOOL_ERROR;
    } else {
        char *text = json_dumps(result, JSON_COMPACT);
        if (text) {
            puts(text);
            free(text);
            status = json_is_true(json_object_get(result, "isError")) ? EXIT_TOOL_ERROR : 0;
        } else {
            fputs("wasmcap call: the result could not be serialized\n", stderr);
            status = EXIT_TOOL_ERROR;
        }
    }
    if (fflush(stdout) != 0)
        status = EXIT_TOOL_ERROR;
    json_decref(result);
    wc_call_free(call);
    json_decref(args);
    wc_setup_close(&setup);
    return status;
}
