/* main.c -- the wasmcap command line: dispatch to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"serve", wc_cmd_serve, "serve the configured plugins over MCP on stdio"},
    {"call", wc_cmd_call, "call one tool and print its result"},
    {"pull", wc_cmd_pull, "fetch and verify a plugin (oci://, https://) into the cache"},
    {"push", wc_cmd_push, "publish a module to an OCI registry (hyper-mcp's ORAS layout)"},
    {"check", wc_cmd_check, "check the plugins' tool schemas against the ontology"},
    {"gen", wc_cmd_gen, "generate C types from the ontology (gen c DIR > ontology.h)"},
    {"compile", wc_cmd_compile, "build modules' optimized code into the cache"},
    {"exec", wc_cmd_exec, "run a WASI command module"},
    {"new", wc_cmd_new, "create a plugin project (C, wasm32-wasi) to start from"},
    {"inspect", wc_cmd_inspect, "show a module's imports and exports, or a .tflite model"},
    {"convert", wc_cmd_convert, "print the wasmcap.json of a hyper-mcp config"},
};

static void usage(FILE *out)
{
    fputs("usage: wasmcap [--help | --version] COMMAND [ARGS...]\n"
          "\n"
          "wasmcap runs WebAssembly capabilities for AI agents.\n"
          "\n"
          "commands:\n", out);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\n'wasmcap COMMAND --help' describes a command.\n", out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("wasmcap %s\n", WASMCAP_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "wasmcap: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
