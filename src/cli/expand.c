/* expand.c -- "${VAR}" and "${VAR:-default}" in config strings. */
#include "cli/expand.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/error.h"

static bool var_char(char c, bool first)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

/* Expands s[0..len) into b.  Returns 0 or WC_EINVAL with the message in msg. */
static int expand(const char *s, size_t len, wc_buf *b, int depth, wc_error *msg)
{
    if (depth > 16)
        return wc_error_set(msg, WC_EINVAL, "defaults nested too deeply");
    size_t i = 0;
    while (i < len) {
        char c = s[i];
        if (c != '$' || i + 1 >= len || (s[i + 1] != '$' && s[i + 1] != '{')) {
            wc_buf_byte(b, (uint8_t)c);
            i++;
            continue;
        }
        if (s[i + 1] == '$') {
            wc_buf_byte(b, '$');
            i += 2;
            continue;
        }
        /* ${NAME} or ${NAME:-default} */
        size_t start = i + 2, j = start;
        while (j < len && var_char(s[j], j == start))
            j++;
        if (j == start)
            return wc_error_set(msg, WC_EINVAL,
                                "bad variable reference at offset %zu (expected ${NAME})", i);
        char name[128];
        size_t nlen = j - start < sizeof name - 1 ? j - start : sizeof name - 1;
        memcpy(name, s + start, nlen);
        name[nlen] = 0;
        const char *def = NULL;
        size_t def_len = 0;
        if (j + 1 < len && s[j] == ':' && s[j + 1] == '-') {
            def = s + j + 2;
            size_t k = j + 2;
            int open = 1;
            for (; k < len; k++) {
                if (s[k] == '{')
                    open++;
                else if (s[k] == '}' && --open == 0)
                    break;
            }
            if (k >= len)
                return wc_error_set(msg, WC_EINVAL, "unterminated ${%s:-...}", name);
            def_len = (size_t)(s + k - def);
            j = k;
        } else if (j >= len || s[j] != '}') {
            return wc_error_set(msg, WC_EINVAL,
                                "unterminated or malformed ${%s...} (expected '}' or ':-')", name);
        }
        const char *value = getenv(name);
        if (value && *value) {
            wc_buf_str(b, value);
        } else if (def) {
            int rc = expand(def, def_len, b, depth + 1, msg);
            if (rc)
                return rc;
        } else {
            return wc_error_set(msg, WC_EINVAL,
                                "environment variable %s is not set (write ${%s:-default} to give a default)",
                                name, name);
        }
        i = j + 1;
    }
    return 0;
}

int wc_env_expand(void *ctx, const char *in, size_t len, char **out, wc_error *msg)
{
    (void)ctx;
    wc_buf b;
    wc_buf_init(&b);
    int rc = expand(in, len, &b, 0, msg);
    if (rc) {
        wc_buf_free(&b);
        return rc;
    }
    char *s = wc_buf_cstr(&b);
    if (!s) {
        wc_buf_free(&b);
        return wc_error_set(msg, WC_ENOMEM, "out of memory");
    }
    if (strlen(s) != b.len) {
        wc_buf_free(&b);
        return wc_error_set(msg, WC_EINVAL, "the string contains a NUL character");
    }
    *out = s;
    return 0;
}
