/* process.h -- run a helper program (wasm2c, gcc) and capture its output. */
#ifndef WC_UTIL_PROCESS_H
#define WC_UTIL_PROCESS_H

#include <stddef.h>

/* Runs argv[0] (searched in PATH) with stdin from /dev/null and stdout and
 * stderr together into `output` (up to output_size-1 bytes, NUL-terminated;
 * may be NULL).  Returns the exit status (0..255), 128+signal when killed,
 * or -errno when it could not be started. */
int wc_run_process(char *const argv[], char *output, size_t output_size);

#endif
