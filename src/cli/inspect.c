/* inspect.c -- `wasmcap inspect FILE.wasm`: what a module is, and whether it
 * is valid; a TensorFlow Lite model goes to inspect_tflite.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/inspect_tflite.h"
#include "cli/options.h"
#include "engine/decode.h"
#include "nn/tflite.h"
#include "ontology/ontology.h"
#include "plugin/manifest.h"
#include "util/fs.h"

static const char inspect_usage[] =
    "usage: wasmcap inspect [--limits-default] [--ontology DIR] FILE.wasm\n"
    "       wasmcap inspect FILE.tflite\n"
    "\n"
    "Decodes and validates a WebAssembly module and prints its imports,\n"
    "exports and custom sections and, for a plugin, its manifest (from the\n"
    "wasmcap.manifest section or a NAME.manifest.json sidecar).  Exits 0 if\n"
    "the module (and its manifest, if any) is valid, 1 if not.  A manifest\n"
    "whose tool schemas \"$ref\" ontology types needs --ontology DIR (the\n"
    "folder the config's \"ontology\" names) to load.\n"
    "\n"
    "A TensorFlow Lite model (file identifier TFL3, or a name ending in\n"
    ".tflite) is read and checked instead: its inputs and outputs with type,\n"
    "shape and quantization, its operators, for each whether the XNNPACK\n"
    "path or an own kernel of the WASI-NN backend covers it, and the backend\n"
    "a load chooses (xnnpack, armnn or none) with the reason.  Exits 0 if the\n"
    "model is valid, 1 if not.\n"
    "\n"
    "  --ontology DIR  the ontology a plugin's schemas refer to\n"
    "  -h, --help      show this help\n";

static void print_functype(const wc_functype *ft)
{
    printf("(");
    for (uint32_t i = 0; i < ft->nparams; i++)
        printf("%s%s", i ? " " : "", wc_valtype_name(ft->params[i]));
    printf(") -> (");
    for (uint32_t i = 0; i < ft->nresults; i++)
        printf("%s%s", i ? " " : "", wc_valtype_name(ft->results[i]));
    printf(")");
}

static void print_limits(const wc_limits *l)
{
    if (l->has_max)
        printf("%u..%u", l->min, l->max);
    else
        printf("%u..", l->min);
}

static void print_desc(const wc_module_info *info, const wc_import *imp)
{
    switch (imp->kind) {
    case WC_EXTERN_FUNC:
        printf("func ");
        print_functype(&info->types[imp->desc.func_type]);
        break;
    case WC_EXTERN_TABLE:
        printf("table %s ", wc_valtype_name(imp->desc.table.elemtype));
        print_limits(&imp->desc.table.limits);
        break;
    case WC_EXTERN_MEMORY:
        printf("memory ");
        print_limits(&imp->desc.memory);
        printf(" pages");
        break;
    case WC_EXTERN_GLOBAL:
        printf("global %s%s", imp->desc.global.mutable_ ? "mut " : "",
               wc_valtype_name(imp->desc.global.valtype));
        break;
    case WC_EXTERN_TAG:
        printf("tag ");
        print_functype(&info->types[imp->desc.tag_type]);
        break;
    }
}

static const char *str_or(const json_t *obj, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : dflt;
}

/* The plugin view: ABI, tools, resources, prompts, permissions.  Returns 0,
 * or 1 when the manifest is invalid. */
static int print_manifest(const wc_module_info *info, const char *path, const wc_ontology *ontology)
{
    wc_manifest m;
    wc_error err;
    int rc = wc_manifest_load_in(wc_ontology_docs(ontology), info, path, &m, &err);
    if (rc == WC_ENOENT) {
        printf("plugin: no (no manifest)\n");
        return 0;
    }
    if (rc != 0) {
        printf("plugin: invalid manifest\nerror: %s\n", err.msg);
        return 1;
    }
    const char *abi = wc_module_find_export(info, "wasmcap_call_tool") ? "native"
                      : wc_module_find_export(info, "_start")          ? "command"
                                                                       : "none (no entry point)";
    printf("plugin: %s %s\n", m.name, m.version ? m.version : "(no version)");
    printf("  manifest: %s\n", m.source);
    if (m.description)
        printf("  description: %s\n", m.description);
    printf("  abi: %s\n", abi);
    printf("  tools: %zu\n", m.ntools);
    for (size_t i = 0; i < m.ntools; i++) {
        printf("    %s", m.tools[i].name);
        if (m.tools[i].title)
            printf(" -- %s", m.tools[i].title);
        if (m.tools[i].output)
            printf(" [structured output]");
        printf("\n");
    }
    size_t i;
    json_t *e;
    printf("  resources: %zu\n", json_array_size(m.resources));
    json_array_foreach(m.resources, i, e)
        printf("    %s (%s)\n", str_or(e, "uri", "?"), str_or(e, "name", "?"));
    printf("  resource templates: %zu\n", json_array_size(m.resource_templates));
    json_array_foreach(m.resource_templates, i, e)
        printf("    %s (%s)\n", str_or(e, "uriTemplate", "?"), str_or(e, "name", "?"));
    printf("  prompts: %zu\n", json_array_size(m.prompts));
    json_array_foreach(m.prompts, i, e)
        printf("    %s (%zu arguments)\n", str_or(e, "name", "?"),
               json_array_size(json_object_get(e, "arguments")));
    if (m.permissions && json_object_size(m.permissions)) {
        char *text = json_dumps(m.permissions, JSON_COMPACT | JSON_SORT_KEYS);
        printf("  requested permissions: %s\n", text ? text : "?");
        free(text);
    } else {
        printf("  requested permissions: none\n");
    }
    wc_manifest_free(&m);
    return 0;
}

int wc_cmd_inspect(int argc, char **argv)
{
    const char *path = NULL, *ontology_dir = NULL;
    for (int i = 1; i < argc; i++) {
        static const char *const with_value[] = {"--ontology"};
        const char *opt, *value;
        int found = wc_cli_option(argc, argv, &i, with_value, 1, &opt, &value);
        if (found < 0) {
            fprintf(stderr, "wasmcap inspect: --ontology needs a folder\n%s", inspect_usage);
            return 2;
        }
        if (found) {
            ontology_dir = value;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(inspect_usage, stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "wasmcap inspect: unknown option %s\n%s", argv[i], inspect_usage);
            return 2;
        } else if (path) {
            fprintf(stderr, "wasmcap inspect: one file at a time\n%s", inspect_usage);
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        fputs(inspect_usage, stderr);
        return 2;
    }
    uint8_t *bytes;
    size_t size;
    wc_decode_limits limits;
    wc_decode_limits_default(&limits);
    size_t path_len = strlen(path);
    bool named_model = path_len >= 7 && strcmp(path + path_len - 7, ".tflite") == 0;
    size_t max_bytes = named_model ? WC_INSPECT_MAX_MODEL_BYTES : limits.max_module_bytes;
    int rc = wc_read_regular_file(path, max_bytes, &bytes, &size);
    if (rc) {
        if (rc == WC_ETOOBIG)
            fprintf(stderr, "wasmcap inspect: %s: larger than the %s limit of %zu bytes\n", path,
                    named_model ? "model" : "module", max_bytes);
        else
            fprintf(stderr, "wasmcap inspect: %s: %s\n", path, wc_strerror(rc));
        return 1;
    }
    if (named_model || wc_tflite_identified(bytes, size)) {
        rc = wc_inspect_tflite(path, bytes, size);
        free(bytes);
        return rc;
    }
    wc_module_info *info;
    wc_error err = {0};
    rc = wc_decode(bytes, size, NULL, &info, &err);
    printf("file: %s (%zu bytes)\n", path, size);
    if (rc) {
        printf("valid: no\nerror: %s\n", err.msg);
        free(bytes);
        return 1;
    }
    printf("valid: yes\n");
    printf("functions: %u imported, %u defined\n", info->nimported_funcs, info->nfuncs);
    printf("imports: %u\n", info->nimports);
    for (uint32_t i = 0; i < info->nimports; i++) {
        printf("  %s.%s: ", info->imports[i].module, info->imports[i].name);
        print_desc(info, &info->imports[i]);
        printf("\n");
    }
    printf("exports: %u\n", info->nexports);
    for (uint32_t i = 0; i < info->nexports; i++) {
        const wc_export *ex = &info->exports[i];
        printf("  %s: %s", ex->name, wc_extern_kind_name(ex->kind));
        if (ex->kind == WC_EXTERN_FUNC) {
            printf(" ");
            print_functype(wc_module_func_type(info, ex->index));
        }
        printf("\n");
    }
    for (uint32_t i = 0; i < info->nmemories; i++) {
        printf("memory: ");
        print_limits(&info->memories[i]);
        printf(" pages\n");
    }
    if (info->has_start)
        printf("start: function %u\n", info->start);
    printf("custom sections: %u\n", info->ncustom);
    for (uint32_t i = 0; i < info->ncustom; i++)
        printf("  %s: %zu bytes at 0x%zx\n", info->custom[i].name, info->custom[i].size,
               info->custom[i].offset);
    wc_ontology *ontology = NULL;
    wc_error onto_err = {0};
    if (ontology_dir && wc_ontology_load(ontology_dir, &ontology, &onto_err) != 0) {
        printf("plugin: invalid ontology\nerror: %s\n", onto_err.msg);
        rc = 1;
    } else {
        rc = print_manifest(info, path, ontology);
    }
    wc_ontology_free(ontology);
    wc_module_info_free(info);
    free(bytes);
    return rc;
}
