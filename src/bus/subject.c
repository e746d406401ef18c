/* subject.c -- NATS subjects: which are valid, which a filter matches, and
 * the names of streams, buckets and keys.  The rules are the server's, so
 * the in-process bus refuses what NATS would and a test on one holds on
 * the other. */
#include <string.h>

#include "bus/internal.h"

/* A token is the text between dots; len excludes the dot. */
static bool token_is(const char *t, size_t len, char c)
{
    return len == 1 && t[0] == c;
}

int wc_bus_check_subject(const char *subject, bool wildcards, wc_error *err)
{
    if (!subject || !subject[0])
        return wc_error_set(err, WC_EINVAL, "empty subject");
    size_t n = strlen(subject);
    if (n > WC_BUS_MAX_SUBJECT)
        return wc_error_set(err, WC_ETOOBIG, "subject of %zu bytes (the limit is %d)", n,
                            WC_BUS_MAX_SUBJECT);
    const char *t = subject;
    for (;;) {
        const char *dot = strchr(t, '.');
        size_t len = dot ? (size_t)(dot - t) : strlen(t);
        if (len == 0)
            return wc_error_set(err, WC_EINVAL, "subject '%s' has an empty token", subject);
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)t[i];
            if (c <= ' ' || c == 0x7f)
                return wc_error_set(err, WC_EINVAL,
                                    "subject '%s' has whitespace or a control character", subject);
        }
        bool star = token_is(t, len, '*'), rest = token_is(t, len, '>');
        if ((star || rest) && !wildcards)
            return wc_error_set(err, WC_EINVAL, "subject '%s' has a wildcard: publish to a "
                                "concrete subject", subject);
        if (rest && dot)
            return wc_error_set(err, WC_EINVAL, "subject '%s': '>' must be the last token",
                                subject);
        if (!dot)
            return 0;
        t = dot + 1;
    }
}

bool wc_bus_subject_matches(const char *filter, const char *subject)
{
    const char *f = filter, *s = subject;
    for (;;) {
        const char *fd = strchr(f, '.'), *sd = strchr(s, '.');
        size_t fl = fd ? (size_t)(fd - f) : strlen(f);
        size_t sl = sd ? (size_t)(sd - s) : strlen(s);
        if (token_is(f, fl, '>'))
            return true; /* '>' needs at least one token, and s has one here */
        if (!token_is(f, fl, '*') && (fl != sl || memcmp(f, s, fl) != 0))
            return false;
        if (!fd || !sd)
            return !fd && !sd;
        f = fd + 1;
        s = sd + 1;
    }
}

bool wc_bus_filters_overlap(const char *a, const char *b)
{
    for (;;) {
        const char *ad = strchr(a, '.'), *bd = strchr(b, '.');
        size_t al = ad ? (size_t)(ad - a) : strlen(a);
        size_t bl = bd ? (size_t)(bd - b) : strlen(b);
        if (token_is(a, al, '>') || token_is(b, bl, '>'))
            return true;
        bool wild = token_is(a, al, '*') || token_is(b, bl, '*');
        if (!wild && (al != bl || memcmp(a, b, al) != 0))
            return false;
        if (!ad || !bd)
            return !ad && !bd;
        a = ad + 1;
        b = bd + 1;
    }
}

int wc_bus_check_name(const char *what, const char *name, wc_error *err)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > WC_BUS_MAX_NAME)
        return wc_error_set(err, WC_EINVAL, "a %s name takes 1 to %d characters", what,
                            WC_BUS_MAX_NAME);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return wc_error_set(err, WC_EINVAL, "%s name '%s': only letters, digits, '-' and '_'",
                                what, name);
    }
    return 0;
}

int wc_bus_check_key(const char *key, wc_error *err)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0 || n > WC_BUS_MAX_KEY)
        return wc_error_set(err, WC_EINVAL, "a key takes 1 to %d characters", WC_BUS_MAX_KEY);
    if (key[0] == '.' || key[n - 1] == '.')
        return wc_error_set(err, WC_EINVAL, "key '%s' starts or ends with '.'", key);
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("-/_=.", c)))
            return wc_error_set(err, WC_EINVAL,
                                "key '%s': only letters, digits and - / _ = . are allowed", key);
    }
    return 0;
}
