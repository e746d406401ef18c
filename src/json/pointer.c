/* pointer.c -- JSON pointers in URI fragments (pointer.h). */
#include "json/pointer.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* Decodes one reference token in place: percent escapes (URI) then ~1 and
 * ~0 (JSON pointer). */
static bool decode_token(char *token)
{
    char *out = token;
    for (char *in = token; *in; in++) {
        if (*in == '%') {
            if (!isxdigit((unsigned char)in[1]) || !isxdigit((unsigned char)in[2]))
                return false;
            char hex[3] = {in[1], in[2], '\0'};
            *out++ = (char)strtoul(hex, NULL, 16);
            in += 2;
        } else {
            *out++ = *in;
        }
    }
    *out = '\0';
    out = token;
    for (char *in = token; *in; in++) {
        if (*in == '~') {
            if (in[1] != '0' && in[1] != '1')
                return false;
            *out++ = in[1] == '0' ? '~' : '/';
            in++;
        } else {
            *out++ = *in;
        }
    }
    *out = '\0';
    return true;
}

int wc_json_pointer_follow(const json_t *root, const char *pointer, const json_t **out)
{
    *out = NULL;
    char *copy = strdup(pointer);
    if (!copy)
        return WC_ENOMEM;
    const json_t *target = root;
    char *rest = copy;
    while (target && *rest == '/') {
        char *token = rest + 1;
        char *end = strchr(token, '/');
        rest = end ? end : token + strlen(token);
        char saved = *rest;
        *rest = '\0';
        if (!decode_token(token)) {
            target = NULL;
        } else if (json_is_object(target)) {
            target = json_object_get(target, token);
        } else if (json_is_array(target)) {
            char *digits_end;
            unsigned long long index = strtoull(token, &digits_end, 10);
            bool canonical = token[0] >= '0' && token[0] <= '9' && *digits_end == '\0' &&
                             (token[0] != '0' || token[1] == '\0');
            target = canonical ? json_array_get(target, index) : NULL;
        } else {
            target = NULL;
        }
        *rest = saved;
    }
    bool whole = *rest == '\0';
    free(copy);
    if (!target || !whole)
        return WC_ENOTFOUND;
    *out = target;
    return 0;
}
