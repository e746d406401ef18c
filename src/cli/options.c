/* options.c -- "--name VALUE" / "--name=VALUE" and usage errors. */
#include "cli/options.h"

#include <stdio.h>
#include <string.h>

int wc_cli_option(int argc, char **argv, int *i, const char *const *names, size_t n,
                  const char **name, const char **value)
{
    const char *arg = argv[*i];
    for (size_t k = 0; k < n; k++) {
        size_t len = strlen(names[k]);
        if (strncmp(arg, names[k], len) != 0)
            continue;
        if (arg[len] == '=') {
            *name = names[k];
            *value = arg + len + 1;
            return 1;
        }
        if (arg[len] == '\0') {
            *name = names[k];
            if (*i + 1 >= argc)
                return -1;
            *value = argv[++*i];
            return 1;
        }
    }
    return 0;
}

int wc_cli_usage_error(const char *cmd, const char *usage, const char *fmt, const char *arg)
{
    fprintf(stderr, "wasmcap %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fputs("\n\n", stderr);
    fputs(usage, stderr);
    return WC_EXIT_USAGE;
}
