/* error.c -- see error.h. */
#define _GNU_SOURCE
#include "util/error.h"

#include <stdio.h>
#include <string.h>

const char *wc_strerror(int code)
{
    switch (code) {
    case WC_OK: return "success";
    /* errno values that wasmcap gives a meaning of its own */
    case WC_ETOOBIG: return "larger than the limit";
    case WC_ETIMEDOUT: return "timed out";
    case WC_EQUOTA: return "quota exceeded";
    case WC_ENOTCONN: return "not connected";
    /* wasmcap's own */
    case WC_EMALFORMED: return "malformed module";
    case WC_EBADMODULE: return "invalid module";
    case WC_ELINK: return "link error";
    case WC_ETRAP: return "trap";
    case WC_ECOMPILE: return "compile error";
    case WC_ENOTFOUND: return "not found";
    case WC_ENOTREG: return "not a regular file";
    case WC_EPLUGIN: return "plugin call failed";
    case WC_EREFUSED: return "refused by the plugin";
    case WC_ENORESPONDERS: return "no responders";
    case WC_EDIGEST: return "digest mismatch";
    case WC_ESIGNATURE: return "signature not verified";
    case WC_EREMOTE: return "remote server error";
    case WC_ECONFLICT: return "changed since it was read";
    }
    /* Any other -errno in the system's words, exactly as strerror() gives
     * them (strerrordesc_np, unlike strerror, is thread-safe). */
    if (code < 0 && code > -4096) {
        const char *text = strerrordesc_np(-code);
        if (text)
            return text;
    }
    return "unknown error";
}

int wc_error_setv(wc_error *err, int code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return code;
}

int wc_error_set(wc_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wc_error_setv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

const char *wc_error_message(const wc_error *err)
{
    return err->msg[0] ? err->msg : wc_strerror(err->code);
}
