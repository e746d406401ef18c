/* error.c -- engine error messages. */
#include "engine/error.h"

#include <stdarg.h>
#include <stdio.h>

int wc_error_set(wc_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *wc_error_code_name(int code)
{
    switch (code) {
    case WC_OK: return "ok";
    case WC_ERR_MALFORMED: return "malformed module";
    case WC_ERR_INVALID: return "invalid module";
    case WC_ERR_LIMIT: return "module exceeds a limit";
    case WC_ERR_UNSUPPORTED: return "unsupported feature";
    case WC_ERR_LINK: return "link error";
    case WC_ERR_TRAP: return "trap";
    case WC_ERR_COMPILE: return "compile error";
    case WC_ERR_IO: return "i/o error";
    case WC_ERR_NOMEM: return "out of memory";
    case WC_ERR_ARG: return "bad argument";
    case WC_ERR_NOTFOUND: return "not found";
    default: return "error";
    }
}
