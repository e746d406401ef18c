/* check.c -- `wasmcap check`: the plugins of a config against its ontology
 * and against each other, before anything runs (docs/PLUGINS.md, "The
 * shared ontology"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/config.h"
#include "cli/options.h"
#include "cli/plugin_check.h"
#include "cli/service_check.h"
#include "cli/setup.h"

static const char usage_text[] =
    "usage: wasmcap check [--config FILE] [--json]\n"
    "\n"
    "Loads every plugin's manifest and the ontology the config names\n"
    "(\"ontology\": a folder of JSON Schema documents) and applies the rules\n"
    "of the shared ontology to every tool's inputSchema and outputSchema.\n"
    "With a NATS bus in the config (\"bus\": {\"url\": ...}), the backend\n"
    "services that answer its discovery now (and those declared in\n"
    "bus.services) are checked too, each endpoint as a tool of the plugin\n"
    "\"service:NAME\"; a bus that does not connect is a warning.  The rules:\n"
    "\n"
    "  unknown-ref        a \"$ref\" names no ontology type\n"
    "  type-conflict      two plugins define a type of one name or $id differently\n"
    "  term-incompatible  a property named like an ontology term shares no type with it\n"
    "  output-widens      an output allows values outside the ontology's domain\n"
    "  input-narrows      an input refuses values inside the ontology's domain\n"
    "  undecidable        (warning) the check could not decide one of the above\n"
    "  manifest           a manifest that cannot be read or does not load\n"
    "\n"
    "Prints one line per finding: LEVEL: PLUGIN: TOOL: JSON-POINTER: RULE: MESSAGE\n"
    "(the pointer is into the plugin's manifest).\n"
    "\n"
    "options:\n"
    "  --config FILE   the config (default: $WASMCAP_CONFIG, else ./wasmcap.json)\n"
    "  --json          print {\"findings\": [{level, plugin, tool, pointer, rule,\n"
    "                  message}...], \"errors\": N, \"warnings\": N} instead\n"
    "  -h, --help      show this help\n"
    "\n"
    "exit status: 0 when there is no error (warnings allowed); 1 when there\n"
    "is, or the config or ontology cannot be loaded; 2 on bad usage.\n";

static int usage_error(const char *fmt, const char *arg)
{
    return wc_cli_usage_error("check", usage_text, fmt, arg);
}

static int print_json(const wc_findings *f)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < f->count; i++)
        json_array_append_new(list, wc_finding_json(&f->items[i]));
    json_t *doc = json_pack("{s:o, s:I, s:I}", "findings", list ? list : json_array(), "errors",
                            (json_int_t)f->errors, "warnings", (json_int_t)f->warnings);
    char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    json_decref(doc);
    if (!text) {
        fprintf(stderr, "wasmcap check: out of memory\n");
        return 1;
    }
    puts(text);
    free(text);
    return 0;
}

int wc_cmd_check(int argc, char **argv)
{
    const char *config_arg = NULL;
    bool as_json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--json") == 0) {
            as_json = true;
            continue;
        }
        static const char *const with_value[] = {"--config"};
        const char *name, *value;
        int found = wc_cli_option(argc, argv, &i, with_value, 1, &name, &value);
        if (found < 0)
            return usage_error("%s needs a value", argv[i]);
        if (found) {
            config_arg = value;
            continue;
        }
        return usage_error("unknown argument '%s'", argv[i]);
    }
    const char *path = wc_setup_find_config(config_arg);
    if (!path) {
        fprintf(stderr, "wasmcap check: no config: give --config FILE (or set WASMCAP_CONFIG, or "
                        "run where wasmcap.json is)\n");
        return 1;
    }
    wc_config config;
    wc_error err = {0};
    if (wc_config_load(path, &config, &err) != 0) {
        fprintf(stderr, "wasmcap check: %s\n", err.msg);
        return 1;
    }
    wc_findings findings = {0};
    wc_checked_manifest *services = NULL;
    size_t nservices = 0;
    int status = 1;
    if (wc_service_manifests(&config, &services, &nservices, &findings, &err) != 0 ||
        wc_check_plugins_with(&config, services, nservices, &findings, &err) != 0) {
        fprintf(stderr, "wasmcap check: %s\n", err.msg);
    } else if (as_json) {
        status = print_json(&findings) ? 1 : findings.errors ? 1 : 0;
    } else {
        for (size_t i = 0; i < findings.count; i++) {
            char line[2048];
            wc_finding_format(&findings.items[i], line, sizeof line);
            puts(line);
        }
        if (findings.errors + findings.warnings > findings.count)
            printf("(%zu more findings not shown)\n",
                   findings.errors + findings.warnings - findings.count);
        fprintf(stderr, "wasmcap check: %zu plugin(s), %zu service(s)%s%s: %zu error(s), %zu warning(s)\n",
                config.nplugins, nservices, config.ontology ? ", ontology " : "",
                config.ontology ? wc_ontology_dir(config.ontology) : "", findings.errors,
                findings.warnings);
        status = findings.errors ? 1 : 0;
    }
    wc_service_manifests_free(services, nservices);
    wc_findings_free(&findings);
    wc_config_free(&config);
    return status;
}
