/* expand.c -- "${VAR}" and "${VAR:-default}" in config strings. */
#include "cli/expand.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

static bool var_char(char c, bool first)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

/* Expands s[0..len) into b.  Returns 0 or -1 with the message in msg. */
static int expand(const char *s, size_t len, wc_buf *b, int depth, char *msg, size_t msg_size)
{
    if (depth > 16) {
        snprintf(msg, msg_size, "defaults nested too deeply");
        return -1;
    }
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
        if (j == start) {
            snprintf(msg, msg_size, "bad variable reference at offset %zu (expected ${NAME})", i);
            return -1;
        }
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
            if (k >= len) {
                snprintf(msg, msg_size, "unterminated ${%s:-...}", name);
                return -1;
            }
            def_len = (size_t)(s + k - def);
            j = k;
        } else if (j >= len || s[j] != '}') {
            snprintf(msg, msg_size, "unterminated or malformed ${%s...} (expected '}' or ':-')", name);
            return -1;
        }
        const char *value = getenv(name);
        if (value && *value) {
            wc_buf_str(b, value);
        } else if (def) {
            if (expand(def, def_len, b, depth + 1, msg, msg_size))
                return -1;
        } else {
            snprintf(msg, msg_size,
                     "environment variable %s is not set (write ${%s:-default} to give a default)",
                     name, name);
            return -1;
        }
        i = j + 1;
    }
    return 0;
}

int wc_env_expand(void *ctx, const char *in, size_t len, char **out, char *msg, size_t msg_size)
{
    (void)ctx;
    wc_buf b;
    wc_buf_init(&b);
    if (expand(in, len, &b, 0, msg, msg_size)) {
        wc_buf_free(&b);
        return -1;
    }
    char *s = wc_buf_cstr(&b);
    if (!s) {
        wc_buf_free(&b);
        snprintf(msg, msg_size, "out of memory");
        return -1;
    }
    if (strlen(s) != b.len) {
        wc_buf_free(&b);
        snprintf(msg, msg_size, "the string contains a NUL character");
        return -1;
    }
    *out = s;
    return 0;
}
