/* isolate.h -- a step that might crash, run where a crash cannot hurt.
 *
 * Arm NN 20.08 refuses some models with an exception, which its shim
 * catches, but has also crashed inside its C++ API, which nothing in the
 * process could catch.  So before a model is loaded for real, a forked
 * child tries it (armnn.c: parse, optimize for CpuRef, load, one run on
 * zero inputs) and reports by pipe; the parent kills it past a time limit.
 * The child's address space is limited too (RLIMIT_AS: what it inherited
 * from the server plus memory_bytes), so a model whose trial would take all
 * the machine's memory fails in the child, not in the OOM killer's choice of
 * process.  A child that crashes, exits without a report, runs out of
 * memory or of time fails, and the model is refused with what happened.
 *
 * The child writes nothing to the parent's stdin, stdout or stderr (they
 * are /dev/null in it: a library's own printing must not reach the MCP
 * stdio channel or the JSON log), has default handlers for the signals of
 * a crash (not the engine's, which are for Wasm traps), and dies with its
 * parent.  It leaves by _exit, so nothing of the parent's runs at its exit.
 *
 * Thread-safe; blocks the calling thread for the step (at most timeout_ms
 * plus the time to reap the child).
 */
#ifndef WC_NN_ISOLATE_H
#define WC_NN_ISOLATE_H

#include <stdint.h>

#include "util/error.h"

/* Runs step(arg, err) in a forked child whose address space may grow by at
 * most memory_bytes (0: no limit).  Returns 0 when it returned 0; else its
 * error (WC_ENOMEM kept, "<who> ran out of memory within its trial's limit
 * of N MiB (nn.trial_memory): <its message>: refused"; any other code as
 * WC_EBADMODULE, with its message), WC_EBADMODULE when it crashed or
 * exited without a report ("<who> crashed (signal 11, SIGSEGV): refused",
 * and with a limit, what it was: a library, or a sanitizer's allocator,
 * may end the process when memory runs out), WC_ETIMEDOUT past timeout_ms, or a
 * system error making the child. */
int wc_nn_isolate(const char *who, int (*step)(const void *arg, wc_error *err), const void *arg,
                  int timeout_ms, uint64_t memory_bytes, wc_error *err);

#endif
