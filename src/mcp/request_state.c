/* request_state.c -- the requestState of input-required results
 * (protocol revision 2026-07-28), sealed so that a client can hand it back
 * but not change it.
 *
 * A plugin's state goes out as "s1.<base64url state>.<base64url MAC>",
 * the MAC an HMAC-SHA256 under the server's secret over the request it
 * belongs to (method and tool, prompt or resource) and the state, so a
 * state is good only for the request that produced it.  The secret is
 * random per process unless the config gives one (servers that share
 * clients must share it).
 */
#include "mcp/internal.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "util/base64url.h"

#define MAC_LEN 32
#define MAX_STATE (64u << 10)

int wc_mcp_state_init(wc_mcp_server *s, const char *secret)
{
    if (secret && *secret) {
        size_t n = strlen(secret);
        s->state_key_len = n < sizeof s->state_key ? n : sizeof s->state_key;
        memcpy(s->state_key, secret, s->state_key_len);
        return 0;
    }
    s->state_key_len = 32;
    return getrandom(s->state_key, s->state_key_len, 0) == (ssize_t)s->state_key_len ? 0 : -1;
}

static bool mac_of(const wc_mcp_server *s, const char *scope, const char *state, size_t len,
                   unsigned char mac[MAC_LEN])
{
    /* scope and state are separated by a NUL, which neither contains. */
    size_t scope_len = strlen(scope);
    unsigned char *msg = malloc(scope_len + 1 + len);
    unsigned int mac_len = 0;
    if (!msg)
        return false;
    memcpy(msg, scope, scope_len);
    msg[scope_len] = 0;
    memcpy(msg + scope_len + 1, state, len);
    bool ok = HMAC(EVP_sha256(), s->state_key, (int)s->state_key_len, msg, scope_len + 1 + len,
                   mac, &mac_len) != NULL && mac_len == MAC_LEN;
    free(msg);
    return ok;
}

char *wc_mcp_state_seal(const wc_mcp_server *s, const char *scope, const char *state)
{
    size_t len = strlen(state);
    if (len > MAX_STATE)
        return NULL;
    unsigned char mac[MAC_LEN];
    if (!mac_of(s, scope, state, len, mac))
        return NULL;
    size_t n = 3 + wc_b64url_encoded_len(len) + 1 + wc_b64url_encoded_len(MAC_LEN) + 1;
    char *out = malloc(n);
    if (!out)
        return NULL;
    memcpy(out, "s1.", 3);
    size_t o = 3 + wc_b64url_encode((const uint8_t *)state, len, out + 3);
    out[o++] = '.';
    wc_b64url_encode(mac, MAC_LEN, out + o);
    return out;
}

char *wc_mcp_state_open(const wc_mcp_server *s, const char *scope, const char *sealed)
{
    size_t n = strlen(sealed);
    if (n < 4 || n > 3 + MAX_STATE * 2 || memcmp(sealed, "s1.", 3) != 0)
        return NULL;
    const char *body = sealed + 3, *dot = strrchr(body, '.');
    if (!dot)
        return NULL;
    size_t state_len = 0, mac_len = 0;
    char *state = (char *)wc_b64url_decode(body, (size_t)(dot - body), &state_len);
    unsigned char *given = wc_b64url_decode(dot + 1, strlen(dot + 1), &mac_len);
    unsigned char want[MAC_LEN];
    bool ok = state && given && mac_len == MAC_LEN && memchr(state, 0, state_len) == NULL;
    if (ok)
        ok = mac_of(s, scope, state, state_len, want) && CRYPTO_memcmp(want, given, MAC_LEN) == 0;
    free(given);
    if (!ok) {
        free(state);
        return NULL;
    }
    return state;
}
