/* auth.h -- who may talk to the Streamable HTTP transport, and which tools
 * they may call (MCP authorization; RFC 6750, RFC 9728, RFC 7519).
 *
 * Two kinds of credentials arrive as "Authorization: Bearer <token>":
 *   - static bearer tokens from the config, compared in constant time
 *     (SHA-256 digests and CRYPTO_memcmp: neither the first differing byte
 *     nor the length of a configured token shows in the timing);
 *   - JWT access tokens from an OAuth authorization server, verified with a
 *     key from its JWKS (a file or an http(s) URL, cached, refetched when a
 *     token names an unknown `kid`) or with a shared HS256 secret, and then
 *     checked: `iss`, `aud`, `exp`, `nbf`, `iat`; scopes from `scope` or
 *     `scp`.
 * Tools, prompts and the resources of a plugin may require scopes (per
 * name, with "*" defaults); a caller needs every scope listed.
 *
 * What the transport does with one request:
 *
 *     wc_auth_result res;
 *     wc_auth_authenticate(auth, authorization_header_or_NULL, &res);
 *     if (res.http_status != 200)
 *         answer res.http_status, with "WWW-Authenticate: <res.www_authenticate>"
 *         when that is not NULL; log res.detail (never send it)
 *     ... for tools/call of `tool` (prompts/get, resources/read likewise):
 *     wc_auth_result denied;
 *     if (!wc_auth_may_use(auth, &res.principal, WC_AUTH_TOOL, tool, &denied))
 *         answer 403 with denied.www_authenticate
 *     wc_auth_result_free(&res);
 *
 * and it serves wc_auth_metadata_json() (Content-Type: application/json) at
 * every path for which wc_auth_is_metadata_path() is true.
 *
 * A wc_auth is immutable after wc_auth_new except for its key cache, which
 * has its own lock: every function may be called from any thread at once.
 * wc_auth_authenticate can block while it fetches the JWKS (bounded by
 * jwt.jwks_timeout_ms), only when a token names a kid the cache does not
 * hold (at most once per jwt.jwks_refresh_min_s) or when the cached set is
 * older than jwt.jwks_max_age_s.
 *
 * docs/AUTH.md describes the "auth" section of wasmcap.json and what clients
 * see.
 */
#ifndef WC_AUTH_AUTH_H
#define WC_AUTH_AUTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* ---- options (the "auth" section of wasmcap.json) ----------------------- */

/* A static token from the config. */
typedef struct wc_auth_static_token {
    char *token;   /* what a client sends: "Authorization: Bearer <token>" (token68 characters) */
    char *subject; /* who it stands for (principal.subject, logs); NULL: "bearer_tokens[<index>]" */
    char *scopes;  /* space-separated scopes it grants; NULL: every scope (it may call every tool) */
} wc_auth_static_token;

/* What runs plugin code, and so may require scopes. */
typedef enum wc_auth_target {
    WC_AUTH_TOOL,     /* tools/call of a tool, by exposed name ("calc-add") */
    WC_AUTH_PROMPT,   /* prompts/get, and completion/complete of a prompt, by exposed name */
    WC_AUTH_RESOURCE, /* resources/read, and completion/complete of a resource, by the
                         name of the plugin (in the config) that serves it */
    WC_AUTH_TARGETS
} wc_auth_target;

/* The scopes one tool, prompt or plugin's resources require. */
typedef struct wc_auth_scope_entry {
    char *name;   /* as wc_auth_target says, or "*" for every one not listed */
    char *scopes; /* space-separated; the caller needs all of them; "" for none */
} wc_auth_scope_entry;

typedef struct wc_auth_scope_table {
    wc_auth_scope_entry *entries;
    size_t count;
} wc_auth_scope_table;

/* JWT access tokens; enabled when jwks_file, jwks_url or hs256_secret is set. */
typedef struct wc_auth_jwt_options {
    char *issuer;              /* required: `iss` must equal it exactly */
    char *audience;            /* `aud` (a string or an array) must contain it; NULL: the resource */
    char *jwks_file;           /* a JWK Set file (RFC 7517); reread when a kid is unknown */
    char *jwks_url;            /* or an http(s) URL serving one; not both */
    char *hs256_secret;        /* accept HS256 tokens signed with this secret (at least 32 bytes) */
    unsigned leeway_s;         /* clock skew allowed for exp, nbf and iat; default 60, at most 600 */
    unsigned jwks_timeout_ms;  /* one JWKS fetch, connect to last byte; default 5000 */
    size_t jwks_max_bytes;     /* the largest JWKS accepted; default 1 MiB */
    unsigned jwks_refresh_min_s; /* least time between two fetches caused by unknown kids; default 60 */
    unsigned jwks_max_age_s;   /* a set older than this is fetched again on use; default 3600 */
    size_t max_token_bytes;    /* longer tokens are refused before any parsing; default 16 KiB */
} wc_auth_jwt_options;

typedef struct wc_auth_options {
    /* The protected resource (RFC 9728). */
    char *resource;              /* required: this server's MCP endpoint, "https://mcp.example.com/mcp" */
    char *resource_name;         /* optional, human-readable, in the metadata */
    char *resource_metadata_url; /* optional: where the metadata is served, when not at the URL
                                    derived from resource (wc_auth_metadata_url_for) */
    char **authorization_servers; /* issuer URLs of the authorization servers clients should use */
    size_t n_authorization_servers;
    char **scopes_supported;     /* advertised; none: every scope the scope tables name */
    size_t n_scopes_supported;
    /* Credentials and what they may do. */
    wc_auth_static_token *bearer_tokens;
    size_t n_bearer_tokens;
    /* by wc_auth_target: the config's tool_scopes, prompt_scopes and
     * resource_scopes.  A name without an entry takes its table's "*",
     * else tool_scopes' "*" (the default for all plugin code), else none. */
    wc_auth_scope_table scopes[WC_AUTH_TARGETS];
    wc_auth_jwt_options jwt;
} wc_auth_options;

/* Zeroes *opts and sets the numeric defaults above. */
void wc_auth_options_init(wc_auth_options *opts);
void wc_auth_options_free(wc_auth_options *opts);

/* Expands "${VAR}" references in a config string: returns 0 with *out
 * malloc'ed and NUL-terminated, or a WC_E* code with a message in msg. */
typedef int (*wc_auth_expand_fn)(void *ctx, const char *in, size_t len, char **out, wc_error *msg);

/* Reads the "auth" object of wasmcap.json into *out (initialized here).
 * Strings go through expand when it is not NULL; a relative jwks_file is
 * taken relative to base_dir (may be NULL).  Unknown keys are errors.  On
 * error returns a WC_E* code with a message that starts with the JSON path of the
 * fault ("auth.jwt.leeway_s: expected an integer from 0 to 600"); *out is
 * then freed. */
int wc_auth_options_parse(const json_t *section, const char *base_dir, wc_auth_expand_fn expand,
                          void *expand_ctx, wc_auth_options *out, wc_error *err);

/* The rules that span fields (resource required; issuer with JWT keys;
 * jwks_file or jwks_url, not both; ranges; URL and scope syntax).  Both
 * wc_auth_options_parse and wc_auth_new apply them.  Returns 0 or WC_EINVAL with a
 * message naming the config key. */
int wc_auth_options_check(const wc_auth_options *opts, wc_error *err);

/* ---- the authorizer ---------------------------------------------------- */

typedef struct wc_auth wc_auth;

/* Checks and copies opts (the caller keeps them), loads the JWKS file, and
 * fetches the JWKS URL once (a failure there is logged, not fatal: tokens
 * get 503 until a fetch succeeds).  Returns 0, or a WC_E* code with a message. */
int wc_auth_new(const wc_auth_options *opts, wc_auth **out, wc_error *err);
void wc_auth_free(wc_auth *auth);

/* Fetches (or rereads) the JWKS now, whatever the refresh interval.
 * Returns 0, or a WC_E* code with a message (the cached set stays in use). */
int wc_auth_refresh_keys(wc_auth *auth, wc_error *err);

/* ---- results ----------------------------------------------------------- */

typedef enum wc_auth_reason {
    WC_AUTH_OK = 0,
    WC_AUTH_MISSING_TOKEN,      /* 401, no error code: no Authorization header, or not Bearer */
    WC_AUTH_MALFORMED_HEADER,   /* 400 invalid_request: "Bearer" without one token68 after it */
    WC_AUTH_UNKNOWN_TOKEN,      /* 401 invalid_token: not a configured token, and not a JWT we take */
    WC_AUTH_MALFORMED_TOKEN,    /* 401 invalid_token: JWT-shaped but not a well-formed JWS, or too long */
    WC_AUTH_UNSUPPORTED_ALG,    /* 401 invalid_token: "none", HS256 without a secret, unknown alg */
    WC_AUTH_UNKNOWN_KID,        /* 401 invalid_token: no key in the JWKS for the token's kid and alg */
    WC_AUTH_BAD_SIGNATURE,      /* 401 invalid_token */
    WC_AUTH_EXPIRED,            /* 401 invalid_token: exp (plus leeway) has passed */
    WC_AUTH_NOT_YET_VALID,      /* 401 invalid_token: nbf, or iat, is in the future (beyond leeway) */
    WC_AUTH_WRONG_ISSUER,       /* 401 invalid_token */
    WC_AUTH_WRONG_AUDIENCE,     /* 401 invalid_token */
    WC_AUTH_INVALID_CLAIMS,     /* 401 invalid_token: no exp, or a claim of the wrong type */
    WC_AUTH_INSUFFICIENT_SCOPE, /* 403 insufficient_scope */
    WC_AUTH_KEYS_UNAVAILABLE,   /* 503: the JWKS could not be fetched, so the token cannot be checked */
    WC_AUTH_INTERNAL_ERROR,     /* 500: out of memory */
} wc_auth_reason;

typedef enum wc_auth_kind {
    WC_AUTH_KIND_NONE = 0,
    WC_AUTH_KIND_STATIC, /* a token from auth.bearer_tokens */
    WC_AUTH_KIND_JWT,    /* a verified JWT access token */
} wc_auth_kind;

/* The length of wc_auth_principal.id: hex digits of a SHA-256. */
#define WC_AUTH_PRINCIPAL_ID_LEN 64

/* Who made a request; owned by the result that holds it. */
typedef struct wc_auth_principal {
    wc_auth_kind kind;
    char *subject;     /* `sub`, else `client_id`, else ""; a static token's subject */
    char *issuer;      /* a JWT's `iss`; NULL for static tokens */
    /* Who, as one opaque name: equal exactly when the authentication
     * method, the issuer and the subject (and the claim it came from) are:
     * a JWT whose `sub` is a static token's subject is someone else.  What
     * sessions are bound to and counted by. */
    char id[WC_AUTH_PRINCIPAL_ID_LEN + 1];
    char *client_id;   /* `client_id`, else `azp`; NULL when neither */
    char **scopes;     /* granted scopes, each once */
    size_t n_scopes;
    bool all_scopes;   /* a static token without "scopes": passes every scope check */
    int64_t expires_at; /* `exp`, seconds since the epoch; 0 for static tokens */
} wc_auth_principal;

typedef struct wc_auth_result {
    int http_status;          /* 200, 400, 401, 403, 500 or 503 */
    wc_auth_reason reason;
    char *www_authenticate;   /* the WWW-Authenticate value to send, or NULL (200, 500, 503) */
    char detail[256];         /* what exactly failed, for the server log; never sent to clients */
    wc_auth_principal principal; /* when http_status is 200 */
} wc_auth_result;

/* Checks the value of the Authorization header (NULL when the request has
 * none; a request with two Authorization headers should get 400 from the
 * transport).  Fills *out; free it with wc_auth_result_free.  A 200 result
 * carries the principal.  WWW-Authenticate values:
 *   401 without a token:  Bearer resource_metadata="<url>"
 *                         (with scope="<scopes of '*'>" before it when "*" needs scopes)
 *   401 bad token:        Bearer error="invalid_token", error_description="<text>",
 *                         resource_metadata="<url>"
 *   400 bad header:       Bearer error="invalid_request", error_description="<text>",
 *                         resource_metadata="<url>"   */
void wc_auth_authenticate(wc_auth *auth, const char *authorization, wc_auth_result *out);

/* Whether `who` holds every scope the target `name` requires (its own
 * entry, else its table's "*", else tool_scopes' "*", else none).  When
 * not and denied is not NULL, *denied is the 403 answer: Bearer
 * error="insufficient_scope", scope="<required scopes>",
 * resource_metadata="<url>" (free it with wc_auth_result_free). */
bool wc_auth_may_use(const wc_auth *auth, const wc_auth_principal *who, wc_auth_target target,
                     const char *name, wc_auth_result *denied);
/* The space-separated scopes the target `name` requires ("" for none). */
const char *wc_auth_required_scopes(const wc_auth *auth, wc_auth_target target, const char *name);
/* The same for a tool (WC_AUTH_TOOL). */
bool wc_auth_may_call_tool(const wc_auth *auth, const wc_auth_principal *who, const char *tool,
                           wc_auth_result *denied);
const char *wc_auth_tool_required_scopes(const wc_auth *auth, const char *tool);
/* The config key of a target's table ("tool_scopes", ...) and what its
 * names name ("tool", "prompt", "plugin"). */
const char *wc_auth_target_key(wc_auth_target target);
const char *wc_auth_target_noun(wc_auth_target target);

/* Whether `who` holds every scope in the space-separated list `scopes`. */
bool wc_auth_has_scopes(const wc_auth_principal *who, const char *scopes);

void wc_auth_result_free(wc_auth_result *result);
/* Frees what a principal holds and zeroes it: for a principal moved out of
 * its result (copy the struct, then zero result.principal). */
void wc_auth_principal_free(wc_auth_principal *principal);

/* Short names for logs ("expired", "unknown_kid", ...). */
const char *wc_auth_reason_name(wc_auth_reason reason);
/* The error_description clients get for a reason ("" for OK). */
const char *wc_auth_reason_description(wc_auth_reason reason);

/* ---- protected resource metadata (RFC 9728) ---------------------------- */

/* The metadata document, compact JSON, built once:
 *   {"resource":"...","authorization_servers":[...],"scopes_supported":[...],
 *    "bearer_methods_supported":["header"],"resource_name":"..."}
 * (authorization_servers, scopes_supported and resource_name only when
 * there are any). */
const char *wc_auth_metadata_json(const wc_auth *auth);
/* Where clients look for it: auth.resource_metadata_url, else the URL
 * derived from the resource. */
const char *wc_auth_metadata_url(const wc_auth *auth);
/* Whether a request path (without its query) is one the document is served
 * at: "/.well-known/oauth-protected-resource" and the path of
 * wc_auth_metadata_url ("/.well-known/oauth-protected-resource/mcp"). */
bool wc_auth_is_metadata_path(const wc_auth *auth, const char *path);
/* RFC 9728 section 3.1: "/.well-known/oauth-protected-resource" inserted
 * between the host and the path of `resource` (an absolute http(s) URI
 * without query or fragment; a path of just "/" is dropped):
 *   https://mcp.example.com/mcp -> https://mcp.example.com/.well-known/oauth-protected-resource/mcp
 * Returns a malloc'ed string, or NULL when resource is not such a URI. */
char *wc_auth_metadata_url_for(const char *resource);

#endif
