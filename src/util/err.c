/* err.c -- see err.h. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>

int wc_err_set(char *err, size_t err_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
    return -1;
}
