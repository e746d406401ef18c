/* convert.c -- `wasmcap convert FILE`: print the wasmcap.json a hyper-mcp
 * config means (cli/hyper_mcp.h), or say which of its keys wasmcap
 * refuses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/hyper_mcp.h"
#include "cli/yaml.h"
#include "json/parse.h"
#include "util/fs.h"

#define MAX_CONFIG_BYTES (4u << 20)

static const char convert_usage[] =
    "usage: wasmcap convert FILE\n"
    "\n"
    "Prints, on stdout, the wasmcap.json equivalent of hyper-mcp's config FILE\n"
    "(JSON, or YAML when FILE ends in .yaml or .yml): each plugin's url as its\n"
    "path or source (oci:// with oci.cosign_keys or oci.insecure_skip_signature;\n"
    "https:// with #sha256=), runtime_config's allowed_hosts, allowed_paths,\n"
    "env_vars (as permissions.config) and memory_limit as its permissions, and\n"
    "its skip_tools, skip_prompts, skip_resources and skip_resource_templates.\n"
    "What wasmcap does not support (s3:// and http:// sources, auths, keyless\n"
    "signatures, allowed_secrets, dynamic_loading) is refused with the key\n"
    "named.  `wasmcap serve --config FILE` reads such a file the same way.\n"
    "\n"
    "  -h, --help  show this help\n";

int wc_cmd_convert(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        fputs(convert_usage, stdout);
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-') {
        fputs(convert_usage, stderr);
        return 2;
    }
    uint8_t *data = NULL;
    size_t size = 0;
    int rc = wc_read_file(argv[1], MAX_CONFIG_BYTES, &data, &size);
    if (rc) {
        fprintf(stderr, "wasmcap convert: %s: %s\n", argv[1], wc_strerror(rc));
        return 1;
    }
    wc_json_error jerr = {0};
    wc_error yerr = {0};
    bool yaml = wc_yaml_file_name(argv[1]);
    json_t *doc = yaml ? wc_yaml_load((const char *)data, size, NULL, &yerr)
                       : wc_json_parse((const char *)data, size, WC_JSON_REJECT_DUPLICATES, &jerr);
    free(data);
    if (!json_is_object(doc) || !wc_hyper_mcp_is_config(doc)) {
        fprintf(stderr, "wasmcap convert: %s: %s\n", argv[1],
                doc ? "not a hyper-mcp config (expected \"plugins\" with a \"url\" each)"
                    : yaml ? yerr.msg : jerr.text);
        json_decref(doc);
        return 1;
    }
    wc_error err = {0};
    json_t *ours = wc_hyper_mcp_convert(doc, argv[1], &err);
    json_decref(doc);
    if (!ours) {
        fprintf(stderr, "wasmcap convert: %s\n", err.msg);
        return 1;
    }
    char *text = json_dumps(ours, JSON_INDENT(2));
    json_decref(ours);
    if (!text) {
        fprintf(stderr, "wasmcap convert: out of memory\n");
        return 1;
    }
    puts(text);
    free(text);
    return 0;
}
