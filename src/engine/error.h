/* error.h -- error codes and messages returned by the engine.
 *
 * Functions return 0 on success or a negative WC_ERR_* code, and fill a
 * caller-provided wc_error with a message a person can act on.  Nothing in the
 * engine prints.
 */
#ifndef WC_ENGINE_ERROR_H
#define WC_ENGINE_ERROR_H

#include <stddef.h>

enum {
    WC_OK = 0,
    WC_ERR_MALFORMED = -1,   /* not a well-formed binary module */
    WC_ERR_INVALID = -2,     /* well-formed but fails validation */
    WC_ERR_LIMIT = -3,       /* passes a configured limit */
    WC_ERR_UNSUPPORTED = -4, /* uses a feature the engine does not support */
    WC_ERR_LINK = -5,        /* missing or mismatched import */
    WC_ERR_TRAP = -6,        /* a trap during instantiation or a call */
    WC_ERR_COMPILE = -7,     /* translation or compilation failed */
    WC_ERR_IO = -8,          /* file or process error */
    WC_ERR_NOMEM = -9,       /* out of memory */
    WC_ERR_ARG = -10,        /* bad argument from the caller */
    WC_ERR_NOTFOUND = -11,   /* no such export */
};

typedef struct wc_error {
    int code;
    char msg[512];
} wc_error;

/* Sets err (if not NULL) to code and a printf-style message; returns code. */
int wc_error_set(wc_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A short name for a code: "malformed module", "invalid module", ... */
const char *wc_error_code_name(int code);

#endif
