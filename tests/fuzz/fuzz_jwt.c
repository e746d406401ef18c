/* fuzz_jwt.c -- libFuzzer target for what a client's Authorization header
 * and a JWKS document reach in src/auth: the Bearer header, JWT header and
 * claims (jwt.c), static tokens (bearer.c) and JSON Web Keys (jwk.c).
 *
 * The first input byte picks the mode, the rest is its text:
 *   0  the whole Authorization header, as a client sends it;
 *   1  "<JOSE header JSON>\n<claims JSON>": the target encodes both and
 *      signs them with the configured HS256 secret, so the fuzzer gets
 *      past the signature to the header and claim checks;
 *   2  a JWK Set (as read from jwks_file or jwks_url).
 * Properties: no crash, leak or UB; every answer has a status that goes
 * with its reason (200 only for OK, with a subject; 401/400 with a
 * WWW-Authenticate challenge); a JWK Set either fails with a message or
 * holds at least one key with its PEM.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/internal.h"
#include "util/log.h"
#include "check.h"

#define SECRET "0123456789abcdef0123456789abcdef-fuzz"

static wc_auth *authorizer(void)
{
    static wc_auth *auth;
    if (auth)
        return auth;
    static wc_auth_static_token token = {"static-token-0123456789", "static-user", "mcp:read"};
    wc_auth_options o;
    wc_auth_options_init(&o);
    o.resource = "https://mcp.example.com/mcp";
    o.jwt.issuer = "https://auth.example.com";
    o.jwt.hs256_secret = SECRET;
    o.jwt.max_token_bytes = 4096;
    o.bearer_tokens = &token;
    o.n_bearer_tokens = 1;
    wc_error err;
    if (wc_auth_new(&o, &auth, &err) != 0) {
        fprintf(stderr, "wc_auth_new: %s\n", err.msg);
        abort();
    }
    return auth;
}

/* "Bearer " + b64(header) "." b64(claims) "." b64(HMAC-SHA256), or NULL. */
static char *signed_header(const char *text, size_t len)
{
    const char *nl = memchr(text, '\n', len);
    if (!nl)
        return NULL;
    size_t hlen = (size_t)(nl - text), clen = len - hlen - 1;
    size_t cap = 7 + wc_b64url_encoded_len(hlen) + 1 + wc_b64url_encoded_len(clen) + 1 +
                 wc_b64url_encoded_len(32) + 1;
    char *out = malloc(cap);
    if (!out)
        abort();
    memcpy(out, "Bearer ", 7);
    char *p = out + 7, *input = p;
    p += wc_b64url_encode((const uint8_t *)text, hlen, p);
    *p++ = '.';
    p += wc_b64url_encode((const uint8_t *)nl + 1, clen, p);
    uint8_t mac[32];
    unsigned mac_len = 0;
    HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const uint8_t *)input, (size_t)(p - input),
         mac, &mac_len);
    *p++ = '.';
    wc_b64url_encode(mac, mac_len, p);
    return out;
}

static void check_authenticate(const char *header)
{
    wc_auth_result r;
    wc_auth_authenticate(authorizer(), header, &r);
    bool ok = r.reason == WC_AUTH_OK;
    CHECK(ok == (r.http_status == 200) && (!ok || r.principal.subject) &&
              (r.http_status != 401 || r.www_authenticate) && r.detail[sizeof r.detail - 1] == 0,
          "status %d with reason %s", r.http_status, wc_auth_reason_name(r.reason));
    if (ok) {
        (void)wc_auth_may_call_tool(authorizer(), &r.principal, "calc-add", NULL);
        (void)wc_auth_has_scopes(&r.principal, "mcp:read mcp:write");
    }
    wc_auth_result_free(&r);
}

static void check_jwk_set(const char *text, size_t len)
{
    wc_jwk_set *set = NULL;
    wc_error err = {0};
    int rc = wc_jwk_set_parse(text, len, "fuzz", &set, &err);
    if (rc != 0) {
        CHECK(rc < 0 && err.code == rc && err.msg[0] != 0, "a JWK Set refused without a message");
        return;
    }
    bool ok = set && set->n > 0;
    for (size_t i = 0; ok && i < set->n; i++)
        ok = set->keys[i].pkey && set->keys[i].pem && set->keys[i].pem_len > 0;
    CHECK(ok, "a JWK Set accepted with %zu keys, one without its material", set ? set->n : 0);
    if (set)
        wc_jwk_set_unref(set);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    wc_log_set_level(WC_LOG_ERROR); /* skipped keys are warnings */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    switch (data[0] % 3) {
    case 0: {
        char *header = strndup(text, len); /* a header value cannot hold a NUL */
        if (!header)
            abort();
        check_authenticate(header);
        free(header);
        break;
    }
    case 1: {
        char *header = signed_header(text, len);
        if (header) {
            check_authenticate(header);
            free(header);
        }
        break;
    }
    default:
        check_jwk_set(text, len);
    }
    if (failures) {
        fflush(stdout); /* CHECK printed why */
        abort();
    }
    return 0;
}
