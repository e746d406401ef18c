/* wasi.h -- WASI preview 1 ("wasi_snapshot_preview1") for command modules.
 *
 * A wc_wasi is the world one guest program sees: its arguments, the
 * environment variables the caller chose to pass (nothing of the host's own),
 * three standard streams, the clocks, a source of randomness, and the
 * directories the caller grants (preopens, read-only or read-write; none by
 * default).  Everything the guest opens by path is resolved beneath one of
 * them by openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), so `..`,
 * absolute paths and symlinks cannot leave it, even while the tree changes
 * under the guest (wasi_fs.c).  There are no sockets: those functions exist
 * (every preview-1 import links) and fail with EBADF for a descriptor that
 * is not open, ENOSYS otherwise.
 *
 * Each standard stream is bound to a host file descriptor (not owned, never
 * closed), to a caller buffer (stdin: bytes to read; stdout/stderr: output
 * captured up to a maximum), or to nothing (reads see end of file, writes are
 * discarded).
 *
 * Usage:
 *     wc_wasi *wasi = wc_wasi_new(&cfg, &err);
 *     const wc_import_binding *b;
 *     size_t n = wc_wasi_bindings(wasi, &b);
 *     wc_instance_new(module, &icfg, b, n, &inst, &trap, &err);
 *     wc_instance_call(inst, "_start", NULL, NULL, &err);
 *     ... wc_wasi_output(wasi, 1, &len) ...
 *     wc_instance_free(inst); wc_wasi_free(wasi);
 *
 * A wc_wasi holds per-program state (stream positions, open descriptors):
 * use one per instance, from one thread at a time (wc_wasi_interrupt excepted).
 */
#ifndef WC_HOST_WASI_H
#define WC_HOST_WASI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

typedef struct wc_wasi wc_wasi;

typedef enum wc_wasi_stdio_kind {
    WC_WASI_STDIO_NULL = 0, /* reads see end of file, writes are discarded */
    WC_WASI_STDIO_HOST_FD,  /* a host file descriptor, borrowed */
    WC_WASI_STDIO_BUFFER,   /* stdin: `data`; stdout/stderr: a capture buffer */
} wc_wasi_stdio_kind;

/* Default and ceiling of a capture buffer when max_capture is 0. */
#define WC_WASI_DEFAULT_MAX_CAPTURE (1u << 20)

typedef struct wc_wasi_stdio {
    wc_wasi_stdio_kind kind;
    int host_fd;          /* WC_WASI_STDIO_HOST_FD */
    const uint8_t *data;  /* stdin as WC_WASI_STDIO_BUFFER: copied */
    size_t size;
    /* stdout/stderr as WC_WASI_STDIO_BUFFER: bytes kept at most (0: the
     * default).  A write beyond it keeps what fits and returns the count, the
     * next fails with EFBIG, and wc_wasi_output_truncated() turns true. */
    size_t max_capture;
} wc_wasi_stdio;

/* Descriptors one guest may hold open at once: the three streams, its
 * preopens and what it opens; path_open fails with EMFILE beyond. */
#define WC_WASI_MAX_FDS 64
/* Preopens one guest may be given. */
#define WC_WASI_MAX_PREOPENS 16

/* A directory granted to the guest. */
typedef struct wc_wasi_preopen {
    const char *host_path;  /* a directory of the host */
    const char *guest_path; /* the name the guest sees ("/data"); borrowed:
                             * it must outlive the wc_wasi */
    bool writable;          /* false: every write is refused (EROFS) */
} wc_wasi_preopen;

typedef struct wc_wasi_config {
    size_t argc;
    const char *const *argv; /* argv[0] is the program name; copied */
    size_t envc;
    const char *const *environ; /* "KEY=VALUE" strings; copied */
    wc_wasi_stdio stdio[3];     /* stdin, stdout, stderr */
    /* Directories the guest may use, as fds 3, 4, ... in this order (at
     * most WC_WASI_MAX_PREOPENS); each host directory is opened by
     * wc_wasi_new. */
    size_t npreopens;
    const wc_wasi_preopen *preopens;

    /* Reproducible runs, for tests: every clock reads virtual time, which
     * starts at virtual_clock_start_ns and advances only when the guest
     * sleeps (poll_oneoff returns at once); random_get returns a
     * deterministic stream derived from random_seed. */
    bool virtual_clock;
    uint64_t virtual_clock_start_ns;
    bool fixed_random;
    uint64_t random_seed;
} wc_wasi_config;

/* Returns NULL and fills err (WC_ENOMEM, WC_EINVAL; a preopen that cannot
 * be opened: its errno, negated) on failure. */
wc_wasi *wc_wasi_new(const wc_wasi_config *config, wc_error *err);

/* Checks grants before they are used: the kernel resolves paths beneath a
 * directory (openat2, Linux >= 5.6), each host path is a directory this
 * process can open, each guest path is a non-empty name, and there are no
 * more than WC_WASI_MAX_PREOPENS.  0, or a WC_E* code with err saying
 * which (`who` starts the sentence, e.g. "plugin 'notes'"). */
int wc_wasi_preopens_check(const wc_wasi_preopen *preopens, size_t n, const char *who,
                           wc_error *err);
void wc_wasi_free(wc_wasi *wasi);

/* Import bindings for every preview-1 function (module
 * "wasi_snapshot_preview1"), valid while wasi lives.  Returns their count
 * (0, with *out NULL, when out of memory). */
size_t wc_wasi_bindings(wc_wasi *wasi, const wc_import_binding **out);

/* Output captured on fd 1 or 2 (a BUFFER stream; otherwise NULL and 0).
 * Valid until the next write by the guest or wc_wasi_free. */
const uint8_t *wc_wasi_output(const wc_wasi *wasi, int fd, size_t *size);
/* True when the guest wrote more to fd 1 or 2 than its capture could keep. */
bool wc_wasi_output_truncated(const wc_wasi *wasi, int fd);

/* Bounds the guest's sleeps (poll_oneoff) by the engine's call timeout: a
 * sleep that would pass now + timeout_ms ends at that time with a
 * WC_TRAP_DEADLINE trap.  Call it just before each call with the instance's
 * timeout_ms; 0 removes the bound. */
void wc_wasi_set_timeout(wc_wasi *wasi, uint32_t timeout_ms);
/* The same as a time (CLOCK_MONOTONIC ns; 0: none), e.g. the deadline of
 * the instance the calls come from. */
void wc_wasi_set_deadline(wc_wasi *wasi, uint64_t deadline_ns);

/* Wakes a guest sleeping in poll_oneoff, which then traps with
 * WC_TRAP_INTERRUPTED; later sleeps trap at once.  Any thread.  Pair it with
 * wc_instance_interrupt(), which stops running Wasm code. */
void wc_wasi_interrupt(wc_wasi *wasi);

#endif
