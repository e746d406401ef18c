/* scopes.c -- OAuth scopes: the syntax of RFC 6749 section 3.3, what a
 * principal holds, and what each tool, prompt and plugin's resources
 * require.
 *
 * A requirement is a conjunction: the caller needs every scope its entry
 * lists (a name without an entry takes its table's "*" entry, else the
 * "*" of tool_scopes).  Scope names
 * are compared exactly, as RFC 6749 says they are case-sensitive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/internal.h"
#include "util/buf.h"
#include "util/sha256.h"

bool wc_scope_token_ok(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x21 || c > 0x7e || c == '"' || c == '\\')
            return false;
    }
    return true;
}

/* The next scope of a space-separated list at *pos: its start and length,
 * false at the end. */
static bool next_scope(const char *list, size_t len, size_t *pos, const char **scope, size_t *scope_len)
{
    size_t i = *pos;
    while (i < len && list[i] == ' ')
        i++;
    if (i >= len) {
        *pos = i;
        return false;
    }
    size_t start = i;
    while (i < len && list[i] != ' ')
        i++;
    *scope = list + start;
    *scope_len = i - start;
    *pos = i;
    return true;
}

/* Whether the space-separated list[0..len) holds scope[0..scope_len). */
static bool list_has(const char *list, size_t len, const char *scope, size_t scope_len)
{
    size_t pos = 0;
    const char *s;
    size_t n;
    while (next_scope(list, len, &pos, &s, &n))
        if (n == scope_len && memcmp(s, scope, n) == 0)
            return true;
    return false;
}

char *wc_scopes_normalize(const char *list, wc_error *err)
{
    wc_buf out;
    wc_buf_init(&out);
    size_t pos = 0, len = strlen(list);
    const char *s;
    size_t n;
    while (next_scope(list, len, &pos, &s, &n)) {
        if (!wc_scope_token_ok(s, n)) {
            char printable[80];
            wc_auth_printable(printable, sizeof printable, s, n);
            wc_error_set(err, WC_EINVAL,
                         "'%s' is not a valid scope (printable ASCII without spaces, '\"' or '\\')",
                         printable);
            wc_buf_free(&out);
            return NULL;
        }
        if (out.data && list_has((const char *)out.data, out.len, s, n))
            continue;
        if (out.len)
            wc_buf_byte(&out, ' ');
        wc_buf_append(&out, s, n);
    }
    char *text = out.len ? wc_buf_cstr(&out) : strdup("");
    if (!text) {
        wc_buf_free(&out);
        wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    return text;
}

static bool principal_has(const wc_auth_principal *p, const char *scope, size_t len)
{
    for (size_t i = 0; i < p->n_scopes; i++)
        if (strlen(p->scopes[i]) == len && memcmp(p->scopes[i], scope, len) == 0)
            return true;
    return false;
}

int wc_principal_add_scopes(wc_auth_principal *p, const char *list, size_t len)
{
    size_t pos = 0;
    const char *s;
    size_t n;
    while (next_scope(list, len, &pos, &s, &n)) {
        if (principal_has(p, s, n))
            continue;
        char **grown = realloc(p->scopes, (p->n_scopes + 1) * sizeof *grown);
        if (!grown)
            return -1;
        p->scopes = grown;
        if (!(p->scopes[p->n_scopes] = strndup(s, n)))
            return -1;
        p->n_scopes++;
    }
    return 0;
}

void wc_principal_set_id(wc_auth_principal *p, const char *method, const char *issuer,
                         const char *claim, const char *subject)
{
    /* Each part after its length, so that no two tuples make the same text. */
    const char *text[4] = {method, issuer ? issuer : "", claim ? claim : "", subject};
    unsigned long long lens[4];
    const void *parts[8];
    size_t sizes[8];
    for (int i = 0; i < 4; i++) {
        lens[i] = strlen(text[i]);
        parts[2 * i] = &lens[i];
        sizes[2 * i] = sizeof lens[i];
        parts[2 * i + 1] = text[i];
        sizes[2 * i + 1] = lens[i];
    }
    wc_sha256_hex(parts, sizes, 8, p->id);
}

void wc_auth_principal_free(wc_auth_principal *p)
{
    for (size_t i = 0; i < p->n_scopes; i++)
        free(p->scopes[i]);
    free(p->scopes);
    free(p->subject);
    free(p->issuer);
    free(p->client_id);
    memset(p, 0, sizeof *p);
}

bool wc_auth_has_scopes(const wc_auth_principal *who, const char *scopes)
{
    if (who->all_scopes)
        return true;
    size_t pos = 0, len = strlen(scopes);
    const char *s;
    size_t n;
    while (next_scope(scopes, len, &pos, &s, &n))
        if (!principal_has(who, s, n))
            return false;
    return true;
}

const char *wc_auth_target_key(wc_auth_target target)
{
    static const char *const keys[WC_AUTH_TARGETS] = {"tool_scopes", "prompt_scopes",
                                                      "resource_scopes"};
    return (unsigned)target < WC_AUTH_TARGETS ? keys[target] : "?";
}

const char *wc_auth_target_noun(wc_auth_target target)
{
    static const char *const nouns[WC_AUTH_TARGETS] = {"tool", "prompt", "plugin"};
    return (unsigned)target < WC_AUTH_TARGETS ? nouns[target] : "?";
}

const char *wc_auth_required_scopes(const wc_auth *auth, wc_auth_target target, const char *name)
{
    if ((unsigned)target >= WC_AUTH_TARGETS)
        return auth->default_scopes;
    const wc_auth_scope_table *table = &auth->opts.scopes[target];
    for (size_t i = 0; i < table->count; i++)
        if (strcmp(table->entries[i].name, name) == 0)
            return table->entries[i].scopes;
    if (auth->table_defaults[target])
        return auth->table_defaults[target];
    return auth->default_scopes; /* tool_scopes' "*": the default for all plugin code */
}

const char *wc_auth_tool_required_scopes(const wc_auth *auth, const char *tool)
{
    return wc_auth_required_scopes(auth, WC_AUTH_TOOL, tool);
}

bool wc_auth_may_call_tool(const wc_auth *auth, const wc_auth_principal *who, const char *tool,
                           wc_auth_result *denied)
{
    return wc_auth_may_use(auth, who, WC_AUTH_TOOL, tool, denied);
}

bool wc_auth_may_use(const wc_auth *auth, const wc_auth_principal *who, wc_auth_target target,
                     const char *name, wc_auth_result *denied)
{
    const char *required = wc_auth_required_scopes(auth, target, name);
    if (wc_auth_has_scopes(who, required))
        return true;
    if (denied) {
        wc_buf held;
        wc_buf_init(&held);
        for (size_t i = 0; i < who->n_scopes; i++)
            wc_buf_printf(&held, "%s%s", i ? " " : "", who->scopes[i]);
        char printable_name[80], printable_subject[80], printable_held[200];
        wc_auth_printable(printable_name, sizeof printable_name, name, strlen(name));
        const char *subject = who->subject ? who->subject : "";
        wc_auth_printable(printable_subject, sizeof printable_subject, subject, strlen(subject));
        wc_auth_printable(printable_held, sizeof printable_held, held.data ? (const char *)held.data : "",
                          held.len);
        wc_buf detail;
        wc_buf_init(&detail);
        wc_buf_printf(&detail, "%s%s '%s' needs scopes '%s'; %s '%s' has '%s'",
                      target == WC_AUTH_RESOURCE ? "the resources of " : "",
                      wc_auth_target_noun(target), printable_name, required,
                      who->kind == WC_AUTH_KIND_STATIC ? "static token" : "subject", printable_subject,
                      printable_held);
        wc_buf_free(&held);
        const char *text = wc_buf_cstr(&detail);
        wc_auth_fail(auth, WC_AUTH_INSUFFICIENT_SCOPE, required, text ? text : "insufficient scope", denied);
        wc_buf_free(&detail);
    }
    return false;
}
