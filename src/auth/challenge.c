/* challenge.c -- what a client is told when it may not pass: the HTTP
 * status and the WWW-Authenticate value (RFC 6750 section 3, RFC 9728
 * section 5.1).
 *
 * A request without credentials gets no error code (RFC 6750 section 3.1),
 * only where to find the resource metadata, so that an MCP client starts
 * its authorization flow.  A malformed Authorization header is 400
 * invalid_request (RFC 6750, and the MCP spec's "malformed authorization
 * request"); a bad token is 401 invalid_token; a good token without the
 * scopes of the tool is 403 insufficient_scope with the scopes to ask for.
 * The descriptions are fixed sentences: nothing the client sent is echoed,
 * and they need no escaping inside the quoted string.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/internal.h"
#include "util/buf.h"

typedef struct reason_info {
    const char *name;
    int http_status;
    const char *error; /* RFC 6750 error code, NULL for none */
    const char *description;
} reason_info;

static const reason_info reasons[] = {
    [WC_AUTH_OK] = {"ok", 200, NULL, ""},
    [WC_AUTH_MISSING_TOKEN] = {"missing_token", 401, NULL, "No bearer token was sent"},
    [WC_AUTH_MALFORMED_HEADER] = {"malformed_header", 400, "invalid_request",
                                  "The Authorization header must be Bearer followed by one token"},
    [WC_AUTH_UNKNOWN_TOKEN] = {"unknown_token", 401, "invalid_token", "The access token is not recognized"},
    [WC_AUTH_MALFORMED_TOKEN] = {"malformed_token", 401, "invalid_token",
                                 "The access token is not a well-formed JWT"},
    [WC_AUTH_UNSUPPORTED_ALG] = {"unsupported_alg", 401, "invalid_token",
                                 "The access token is signed with an algorithm this server does not accept"},
    [WC_AUTH_UNKNOWN_KID] = {"unknown_kid", 401, "invalid_token",
                             "The access token is signed with an unknown key"},
    [WC_AUTH_BAD_SIGNATURE] = {"bad_signature", 401, "invalid_token", "The access token signature is invalid"},
    [WC_AUTH_EXPIRED] = {"expired", 401, "invalid_token", "The access token expired"},
    [WC_AUTH_NOT_YET_VALID] = {"not_yet_valid", 401, "invalid_token", "The access token is not valid yet"},
    [WC_AUTH_WRONG_ISSUER] = {"wrong_issuer", 401, "invalid_token",
                              "The access token was issued by an untrusted issuer"},
    [WC_AUTH_WRONG_AUDIENCE] = {"wrong_audience", 401, "invalid_token",
                                "The access token was issued for another resource"},
    [WC_AUTH_INVALID_CLAIMS] = {"invalid_claims", 401, "invalid_token", "The access token has invalid claims"},
    [WC_AUTH_INSUFFICIENT_SCOPE] = {"insufficient_scope", 403, "insufficient_scope",
                                    "The access token lacks a scope this request requires"},
    [WC_AUTH_KEYS_UNAVAILABLE] = {"keys_unavailable", 503, NULL,
                                  "The authorization server's signing keys are unavailable"},
    [WC_AUTH_INTERNAL_ERROR] = {"internal_error", 500, NULL, "Internal error"},
};

static const reason_info *info_of(wc_auth_reason reason)
{
    if ((unsigned)reason >= sizeof reasons / sizeof reasons[0])
        reason = WC_AUTH_INTERNAL_ERROR;
    return &reasons[reason];
}

const char *wc_auth_reason_name(wc_auth_reason reason)
{
    return info_of(reason)->name;
}

const char *wc_auth_reason_description(wc_auth_reason reason)
{
    return info_of(reason)->description;
}

void wc_auth_fail(const wc_auth *auth, wc_auth_reason reason, const char *scope, const char *detail,
                  wc_auth_result *out)
{
    memset(out, 0, sizeof *out);
    const reason_info *info = info_of(reason);
    out->reason = reason;
    out->http_status = info->http_status;
    snprintf(out->detail, sizeof out->detail, "%s", detail ? detail : "");
    if (info->http_status != 400 && info->http_status != 401 && info->http_status != 403)
        return;

    wc_buf h;
    wc_buf_init(&h);
    wc_buf_str(&h, "Bearer ");
    if (info->error) {
        wc_buf_printf(&h, "error=\"%s\", ", info->error);
        if (reason != WC_AUTH_INSUFFICIENT_SCOPE)
            wc_buf_printf(&h, "error_description=\"%s\", ", info->description);
    }
    if (scope && *scope)
        wc_buf_printf(&h, "scope=\"%s\", ", scope);
    wc_buf_printf(&h, "resource_metadata=\"%s\"", auth->metadata_url);
    out->www_authenticate = wc_buf_cstr(&h);
    if (!out->www_authenticate) {
        wc_buf_free(&h);
        out->reason = WC_AUTH_INTERNAL_ERROR;
        out->http_status = 500;
    }
}

void wc_auth_result_free(wc_auth_result *result)
{
    if (!result)
        return;
    free(result->www_authenticate);
    wc_auth_principal_free(&result->principal);
    memset(result, 0, sizeof *result);
}

void wc_auth_printable(char *out, size_t out_size, const char *s, size_t len)
{
    if (out_size == 0)
        return;
    bool cut = len >= out_size && out_size > 4;
    size_t keep = len < out_size ? len : (cut ? out_size - 4 : out_size - 1);
    for (size_t i = 0; i < keep; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = c >= 0x20 && c <= 0x7e ? (char)c : '?';
    }
    if (cut)
        memcpy(out + keep, "...", 3);
    out[keep + (cut ? 3 : 0)] = 0;
}
