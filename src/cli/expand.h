/* expand.h -- "${VAR}" in wasmcap.json's strings (docs/CONFIG.md).
 *
 * "${VAR}" is replaced by the environment variable VAR, "${VAR:-default}"
 * by the default (itself expanded) when VAR is unset or empty, "$$" by a
 * literal '$'; an unset variable without a default is an error naming it.
 */
#ifndef WC_CLI_EXPAND_H
#define WC_CLI_EXPAND_H

#include <stddef.h>

#include "util/error.h"

/* A wc_reader_expand_fn (ctx unused): 0 and a malloc'ed *out, or a WC_E*
 * code with the reason in msg. */
int wc_env_expand(void *ctx, const char *in, size_t len, char **out, wc_error *msg);

#endif
