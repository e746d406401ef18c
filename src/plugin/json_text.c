/* json_text.c -- compact JSON text of a jansson value, fast.
 *
 * Every tool call serializes its arguments for the guest and, for results
 * with only structuredContent, that content for the text block.  jansson's
 * json_dumpb spends most of its time in loop detection (a hash table keyed by
 * snprintf'd pointers for each container); a value we hold cannot contain
 * itself, so this plain recursive writer does the same job several times
 * faster.  Output is compact (no spaces), keys in the object's order.
 */
#include "plugin/plugin_internal.h"

#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 2048 /* jansson's own parse limit; deeper values are refused */

static void write_string(wc_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (!wc_buf_reserve(b, len + 2))
        return;
    b->data[b->len++] = '"';
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        wc_buf_append(b, s + start, i - start);
        start = i + 1;
        char esc[6] = {'\\', 0};
        size_t n = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            esc[1] = 'u', esc[2] = '0', esc[3] = '0', esc[4] = hex[c >> 4], esc[5] = hex[c & 15];
            n = 6;
        }
        wc_buf_append(b, esc, n);
    }
    wc_buf_append(b, s + start, len - start);
    wc_buf_byte(b, '"');
}

static void write_integer(wc_buf *b, json_int_t v)
{
    char tmp[24];
    size_t n = 0;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[n++] = '-';
    if (!wc_buf_reserve(b, n))
        return;
    while (n)
        b->data[b->len++] = (uint8_t)tmp[--n];
}

static void write_real(wc_buf *b, double v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%.17g", v);
    if (n <= 0 || (size_t)n >= sizeof tmp)
        return wc_buf_str(b, "null");
    /* Keep it a real: 1 -> 1.0, as jansson writes it. */
    if (!strpbrk(tmp, ".eEn"))
        memcpy(tmp + n, ".0", 3), n += 2;
    wc_buf_append(b, tmp, (size_t)n);
}

static int write_value(wc_buf *b, const json_t *v, int depth)
{
    if (depth > MAX_DEPTH)
        return -1;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        wc_buf_byte(b, '{');
        const char *key;
        size_t klen;
        json_t *item;
        bool first = true;
        json_object_keylen_foreach((json_t *)v, key, klen, item) {
            if (!first)
                wc_buf_byte(b, ',');
            first = false;
            write_string(b, key, klen);
            wc_buf_byte(b, ':');
            if (write_value(b, item, depth + 1))
                return -1;
        }
        wc_buf_byte(b, '}');
        return 0;
    }
    case JSON_ARRAY: {
        wc_buf_byte(b, '[');
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            if (i)
                wc_buf_byte(b, ',');
            if (write_value(b, item, depth + 1))
                return -1;
        }
        wc_buf_byte(b, ']');
        return 0;
    }
    case JSON_STRING:
        write_string(b, json_string_value(v), json_string_length(v));
        return 0;
    case JSON_INTEGER:
        write_integer(b, json_integer_value(v));
        return 0;
    case JSON_REAL:
        write_real(b, json_real_value(v));
        return 0;
    case JSON_TRUE:
        wc_buf_str(b, "true");
        return 0;
    case JSON_FALSE:
        wc_buf_str(b, "false");
        return 0;
    case JSON_NULL:
        wc_buf_str(b, "null");
        return 0;
    }
    return -1;
}

int wc_json_text(const json_t *value, wc_buf *out)
{
    if (!value || write_value(out, value, 0) != 0 || out->failed)
        return -1;
    return 0;
}
