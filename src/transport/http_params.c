/* http_params.c -- Mcp-Param-* headers (SEP-2243, protocol revision
 * 2026-07-28): a tool's inputSchema may mark a primitive argument with
 * "x-mcp-header": "Name", and a request to call it then carries the
 * argument's value in the header Mcp-Param-Name as well, so that proxies
 * can route on it without reading the body.  The server checks the two
 * agree: a missing header, a value that differs, or a broken
 * =?base64?...?= encoding is refused (400, -32020).
 */
#include "transport/http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Standard base64 with its padding (RFC 4648 section 4), strictly. */
static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes in[0, n) into out (at least n bytes); returns the length, or -1. */
static long b64_decode(const char *in, size_t n, char *out)
{
    if (n % 4 != 0)
        return -1;
    size_t pad = n >= 1 && in[n - 1] == '=' ? (n >= 2 && in[n - 2] == '=' ? 2 : 1) : 0;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n - pad; i++) {
        int v = b64_value(in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) /* bits past the last byte must be zero: one encoding per value */
        return -1;
    return (long)o;
}

/* The argument as the header carries it. */
static bool header_text(const json_t *arg, char *out, size_t size)
{
    if (json_is_string(arg))
        return snprintf(out, size, "%s", json_string_value(arg)) < (int)size;
    if (json_is_integer(arg))
        return snprintf(out, size, "%lld", (long long)json_integer_value(arg)) < (int)size;
    if (json_is_real(arg))
        return snprintf(out, size, "%.17g", json_real_value(arg)) < (int)size;
    if (json_is_boolean(arg))
        return snprintf(out, size, "%s", json_is_true(arg) ? "true" : "false") < (int)size;
    return false;
}

static bool agrees(const char *v, size_t n, const json_t *arg, wc_error *why,
                   const char *header)
{
    while (n > 0 && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    char want[1024];
    if (!header_text(arg, want, sizeof want)) {
        wc_error_set(why, WC_EINVAL, "the argument mirrored in %s is not a short primitive value",
                     header);
        return false;
    }
    static const char head[] = "=?base64?", tail[] = "?=";
    if (n >= sizeof head - 1 + sizeof tail - 1 && memcmp(v, head, sizeof head - 1) == 0 &&
        memcmp(v + n - (sizeof tail - 1), tail, sizeof tail - 1) == 0) {
        const char *b = v + sizeof head - 1;
        size_t bn = n - (sizeof head - 1) - (sizeof tail - 1);
        char *decoded = malloc(bn + 1);
        long dn = decoded ? b64_decode(b, bn, decoded) : -1;
        bool same = dn >= 0 && (size_t)dn == strlen(want) && memcmp(decoded, want, (size_t)dn) == 0;
        free(decoded);
        if (dn < 0)
            wc_error_set(why, WC_EINVAL, "%s: malformed =?base64?...?= value", header);
        else if (!same)
            wc_error_set(why, WC_EINVAL, "%s does not match the argument it mirrors", header);
        return same;
    }
    if (strlen(want) != n || memcmp(v, want, n) != 0) {
        wc_error_set(why, WC_EINVAL, "%s does not match the argument it mirrors", header);
        return false;
    }
    return true;
}

bool http_params_check(http_server *srv, const http_request *req, const json_t *params,
                       wc_error *why)
{
    const char *name = json_string_value(json_object_get(params, "name"));
    json_t *schema = name ? wc_mcp_server_tool_input_schema(srv->mcp, name) : NULL;
    if (!schema)
        return true;
    bool ok = true;
    const json_t *props = json_object_get(schema, "properties");
    const json_t *args = json_object_get(params, "arguments");
    const char *key;
    const json_t *prop;
    json_object_foreach((json_t *)props, key, prop) {
        const char *suffix = json_string_value(json_object_get(prop, "x-mcp-header"));
        if (!suffix)
            continue;
        char header[128];
        snprintf(header, sizeof header, "Mcp-Param-%s", suffix);
        size_t n;
        const char *v = http_header_get(req, header, &n);
        const json_t *arg = json_object_get(args, key);
        if (!arg && !v)
            continue;
        if (!v) {
            wc_error_set(why, WC_EINVAL, "the %s header is required: it mirrors argument %s",
                         header, key);
            ok = false;
        } else if (!arg) {
            wc_error_set(why, WC_EINVAL, "%s is sent but argument %s is not", header, key);
            ok = false;
        } else {
            ok = agrees(v, n, arg, why, header);
        }
        if (!ok)
            break;
    }
    json_decref(schema);
    return ok;
}
