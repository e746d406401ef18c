/* error.h -- wasmcap's one error space and its message carrier.
 *
 * As in libuv, a function that can fail returns 0 (or a count, an index, a
 * pointer: its natural value) on success and a negative WC_E* code on
 * failure, and wc_strerror() names any code.  Codes for what the system
 * reports are the negated errno values, so a helper that returns -errno
 * already speaks this space and keeps the system's exact reason; codes for
 * what only wasmcap reports start at -3000, far from any errno.  No two
 * codes share a value, so a -1 always means WC_EPERM.
 *
 * Where a person needs more than the code ("malformed module at byte 0x1c:
 * unexpected end"), the caller passes a wc_error and the callee fills it
 * with the code and a message.
 *
 * Two spaces stay apart on purpose: the error numbers the guest ABI gives
 * plugins (WC_HOST_E*, sdk/c/wasmcap.h), which are a published contract,
 * and JSON-RPC's codes, which belong to the protocol layer (mcp/).
 *
 * Thread safety: wc_strerror is safe from any thread; a wc_error belongs to
 * its caller.
 */
#ifndef WC_UTIL_ERROR_H
#define WC_UTIL_ERROR_H

#include <errno.h>
#include <stdarg.h>

enum {
    WC_OK = 0,

    /* What the system reports: the negated errno. */
    WC_EPERM = -EPERM,               /* operation not permitted */
    WC_ENOENT = -ENOENT,             /* no such file or directory */
    WC_EIO = -EIO,                   /* a file, process or storage error */
    WC_EAGAIN = -EAGAIN,             /* busy now (a full queue): try again */
    WC_ENOMEM = -ENOMEM,             /* out of memory */
    WC_EACCES = -EACCES,             /* permission denied */
    WC_EISDIR = -EISDIR,             /* a directory where a file was expected */
    WC_EINVAL = -EINVAL,             /* a bad argument from the caller */
    WC_ETOOBIG = -EFBIG,             /* over a size or count limit */
    WC_ENOSPC = -ENOSPC,             /* no room left (a full store) */
    WC_ENAMETOOLONG = -ENAMETOOLONG, /* a path or name too long */
    WC_ENOTSUP = -EOPNOTSUPP,        /* a feature wasmcap does not support */
    WC_ETIMEDOUT = -ETIMEDOUT,       /* a wait ran out of time */
    WC_EQUOTA = -EDQUOT,             /* a quota would be exceeded */
    WC_ECANCELED = -ECANCELED,       /* stopped: the owner is shutting down */
    WC_ENOTCONN = -ENOTCONN,         /* a peer (the bus's server) is not connected */

    /* What only wasmcap reports. */
    WC_EMALFORMED = -3001, /* not a well-formed binary module */
    WC_EBADMODULE = -3002, /* a well-formed module that fails validation */
    WC_ELINK = -3003,      /* a missing or mismatched import */
    WC_ETRAP = -3004,      /* a trap during instantiation or a call */
    WC_ECOMPILE = -3005,   /* translation or compilation failed */
    WC_ENOTFOUND = -3006,  /* no such key, export or name */
    WC_ENOTREG = -3007,    /* not a regular file */
    WC_EPLUGIN = -3008,    /* a plugin's call failed (trap, limit, bad output) */
    WC_EREFUSED = -3009,   /* a plugin answered with an error of its own */
    WC_ENORESPONDERS = -3010, /* a bus request nobody was subscribed to */
    WC_EDIGEST = -3011,    /* content that does not match its digest */
    WC_ESIGNATURE = -3012, /* a signature missing, foreign or invalid */
    WC_EREMOTE = -3013,    /* a server failed or answered outside its protocol */
    WC_ECONFLICT = -3014,  /* a compare-and-set lost: the value changed since it was read */
};

/* A short description of code.  System codes read as the system words
 * them ("No such file or directory"), except where wasmcap gives the errno
 * a meaning of its own (WC_ETOOBIG: "larger than the limit"); wasmcap's own
 * codes read "malformed module", "link error", ...; anything else reads
 * "unknown error".  Never NULL. */
const char *wc_strerror(int code);

/* A code and the message that explains it to a person. */
typedef struct wc_error {
    int code;
    char msg[1024];
} wc_error;

/* Sets err (if not NULL) to code and a printf-style message, truncated to
 * fit and always terminated; returns code, so a callee can
 * `return wc_error_set(err, WC_EINVAL, ...)`. */
int wc_error_set(wc_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int wc_error_setv(wc_error *err, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* The message, or the code's description when no message was set. */
const char *wc_error_message(const wc_error *err);

#endif
