/* options.h -- the command line conventions every wasmcap command shares:
 * "--name VALUE" and "--name=VALUE", and usage errors that end with the
 * command's usage on stderr and exit status 2. */
#ifndef WC_CLI_OPTIONS_H
#define WC_CLI_OPTIONS_H

#include <stddef.h>

#define WC_EXIT_USAGE 2

/* Matches argv[*i] against names[0..n).  Returns 1 with *name and *value
 * set (and *i moved past a separate value), 0 when no name matches, or -1
 * with *name set when the option is last and its value is missing. */
int wc_cli_option(int argc, char **argv, int *i, const char *const *names, size_t n,
                  const char **name, const char **value);

/* Prints "wasmcap CMD: " + fmt (with arg), a blank line and usage on
 * stderr; returns WC_EXIT_USAGE. */
int wc_cli_usage_error(const char *cmd, const char *usage, const char *fmt, const char *arg);

#endif
