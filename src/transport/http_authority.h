/* http_authority.h -- strict readers for the Host and Origin header values,
 * so that the DNS-rebinding checks compare a name that is really the one
 * the client addressed (not "[::1]evil" nor "localhost:@evil.com").
 */
#ifndef WC_TRANSPORT_HTTP_AUTHORITY_H
#define WC_TRANSPORT_HTTP_AUTHORITY_H

#include <stdbool.h>
#include <stddef.h>

/* Parts of a value, pointing into it. */
typedef struct http_authority {
    const char *host; /* reg-name, IPv4 address or "[IPv6]" (with its brackets) */
    size_t host_len;
    bool has_port;    /* a ":" followed (its digits may be empty, RFC 3986) */
    unsigned port;
} http_authority;

/* Host (RFC 9110 section 7.2): uri-host [":" port] as in RFC 3986 section
 * 3.2.2, without userinfo: a reg-name of unreserved, sub-delims and
 * %-escapes, or an IP literal in brackets that inet_pton reads as IPv6;
 * the port is at most 5 digits up to 65535.  False for anything else,
 * including an empty host. */
bool http_authority_parse(const char *v, size_t n, http_authority *out);

/* Origin (RFC 6454 section 7, RFC 9110): scheme "://" authority, nothing
 * after it (no path, query, fragment or userinfo).  scheme is RFC 3986's
 * ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).  "null" is not parsed. */
bool http_origin_parse(const char *v, size_t n, const char **scheme, size_t *scheme_len,
                       http_authority *out);

#endif
