/* http_authority.c -- Host and Origin values read by their RFC grammars.
 *
 * Both checks run on every request, so a value is read in one pass over its
 * bytes; only a bracketed IPv6 literal (rare) goes through inet_pton.
 */
#include "transport/http_authority.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#define IPV6_TEXT_MAX 45 /* INET6_ADDRSTRLEN - 1 */

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 3986 reg-name bytes other than pct-encoded: unreserved (ALPHA,
 * DIGIT, "-._~") and sub-delims ("!$&'()*+,;="), as a bitmap: the Host of
 * every request goes through here. */
static bool is_reg_name_byte(char c)
{
    static const uint64_t bits[4] = {0x2bff7fd200000000ull, 0x47fffffe87fffffeull, 0, 0};
    unsigned char u = (unsigned char)c;
    return (bits[u >> 6] >> (u & 63)) & 1;
}

static bool ipv6_literal(const char *v, size_t n)
{
    char text[IPV6_TEXT_MAX + 1];
    struct in6_addr addr;
    if (n == 0 || n > IPV6_TEXT_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_hex(v[i]) && v[i] != ':' && v[i] != '.')
            return false; /* no zone ids, no IPvFuture */
    memcpy(text, v, n);
    text[n] = 0;
    return inet_pton(AF_INET6, text, &addr) == 1;
}

bool http_authority_parse(const char *v, size_t n, http_authority *out)
{
    size_t i = 0;
    memset(out, 0, sizeof *out);
    if (n > 0 && v[0] == '[') {
        const char *close = memchr(v, ']', n);
        if (!close || !ipv6_literal(v + 1, (size_t)(close - v) - 1))
            return false;
        i = (size_t)(close - v) + 1;
    } else {
        for (;;) {
            while (i < n && is_reg_name_byte(v[i]))
                i++;
            if (i == n || v[i] != '%')
                break;
            if (n - i < 3 || !is_hex(v[i + 1]) || !is_hex(v[i + 2]))
                return false;
            i += 3;
        }
        if (i == 0)
            return false;
    }
    out->host = v;
    out->host_len = i;
    if (i == n)
        return true;
    if (v[i] != ':')
        return false; /* "[::1]evil" */
    out->has_port = true;
    size_t digits = 0;
    unsigned port = 0;
    for (i++; i < n; i++, digits++) {
        if (!is_digit(v[i]) || digits == 5)
            return false;
        port = port * 10 + (unsigned)(v[i] - '0');
    }
    if (port > 65535)
        return false;
    out->port = port;
    return true;
}

bool http_origin_parse(const char *v, size_t n, const char **scheme, size_t *scheme_len,
                       http_authority *out)
{
    size_t i = 0;
    if (n == 0 || !is_alpha(v[0]))
        return false;
    while (i < n && (is_alpha(v[i]) || is_digit(v[i]) || v[i] == '+' || v[i] == '-' ||
                     v[i] == '.'))
        i++;
    if (n - i < 3 || memcmp(v + i, "://", 3) != 0)
        return false;
    *scheme = v;
    *scheme_len = i;
    /* The authority parser refuses "@", "/", "?" and "#": no userinfo and
     * nothing after the authority. */
    return http_authority_parse(v + i + 3, n - i - 3, out);
}
