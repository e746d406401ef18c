/* jwks.c -- the cached JWK Set of the authorization server, from a file or
 * an http(s) URL.
 *
 * Authorization servers rotate keys by publishing the new one in the JWKS
 * before signing with it, so a token naming a kid we do not hold is the
 * signal to fetch again.  Anyone can send such a token, so a fetch happens
 * at most once per jwks_refresh_min_s; a set older than jwks_max_age_s is
 * fetched again on use, so a key the server withdrew stops working.
 *
 * Concurrency: the current set is swapped under the lock and handed out by
 * reference count, so validations never hold the lock while they verify.
 * One fetch runs at a time.  A thread that needs a key the cache lacks
 * waits for the fetch under way instead of starting another; a thread whose
 * key is merely in a stale set keeps using it while another thread fetches.
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/internal.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/curl_once.h"
#include "util/curl_sink.h"
#include "util/fs.h"
#include "util/log.h"

#define MAX_REDIRECTS 3

struct wc_jwks {
    char *file, *url; /* exactly one is set */
    unsigned timeout_ms, refresh_min_s, max_age_s;
    size_t max_bytes;

    pthread_mutex_t lock;
    pthread_cond_t fetched;  /* a fetch finished (or failed) */
    wc_jwk_set *current;     /* NULL until a load succeeds */
    uint64_t loaded_ms;      /* when current was loaded (monotonic) */
    uint64_t attempt_ms;     /* when the last fetch started */
    bool fetching;
    bool last_failed;        /* the last finished fetch failed */
    wc_error last_error;
};

/* ---- fetching a URL ---------------------------------------------------- */

int wc_jwks_fetch_url(const char *url, unsigned timeout_ms, size_t max_bytes, char **body,
                      size_t *len, wc_error *err)
{
    *body = NULL;
    *len = 0;
    CURLcode curl_init_rc = wc_curl_global_init();
    if (curl_init_rc != CURLE_OK)
        return wc_error_set(err, WC_EIO, "%s: libcurl failed to initialize: %s", url,
                            curl_easy_strerror(curl_init_rc));
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Accept: application/jwk-set+json, application/json");
    if (!curl || !headers) {
        curl_easy_cleanup(curl);
        curl_slist_free_all(headers);
        return wc_error_set(err, WC_ENOMEM, "%s: out of memory", url);
    }
    wc_curl_sink s;
    wc_curl_sink_init(&s, max_bytes);
    char curl_err[CURL_ERROR_SIZE] = "";
    /* A key set fetched over https must not be downgraded to http by a redirect. */
    bool https = strncmp(url, "https://", 8) == 0;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_bytes);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "wasmcap");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, wc_curl_sink_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);

    int result = 0;
    if (s.exceeded || rc == CURLE_FILESIZE_EXCEEDED)
        result = wc_error_set(err, WC_ETOOBIG,
                              "%s: the key set is larger than %zu bytes (auth.jwt.jwks_max_bytes)",
                              url, max_bytes);
    else if (rc == CURLE_OPERATION_TIMEDOUT)
        result = wc_error_set(err, WC_ETIMEDOUT,
                              "%s: no complete answer within %u ms (auth.jwt.jwks_timeout_ms)", url,
                              timeout_ms);
    else if (rc != CURLE_OK)
        result = wc_error_set(err, WC_EIO, "%s: %s", url,
                              curl_err[0] ? curl_err : curl_easy_strerror(rc));
    else if (status != 200)
        result = wc_error_set(err, WC_EIO, "%s: HTTP status %ld", url, status);
    else if (s.body.failed)
        result = wc_error_set(err, WC_ENOMEM, "%s: out of memory", url);
    if (result == 0) {
        char *text = wc_buf_cstr(&s.body);
        if (!text) {
            result = wc_error_set(err, WC_ENOMEM, "%s: out of memory", url);
        } else {
            *body = text;
            *len = s.body.len;
            return 0;
        }
    }
    wc_curl_sink_free(&s);
    return result;
}

/* ---- loading ----------------------------------------------------------- */

static int load(const wc_jwks *jwks, wc_jwk_set **out, wc_error *err)
{
    char *text = NULL;
    size_t len = 0;
    if (jwks->file) {
        uint8_t *data = NULL;
        int rc = wc_read_file(jwks->file, jwks->max_bytes, &data, &len);
        if (rc == WC_ETOOBIG)
            return wc_error_set(err, rc,
                                "%s: the key set is larger than %zu bytes (auth.jwt.jwks_max_bytes)",
                                jwks->file, jwks->max_bytes);
        if (rc)
            return wc_error_set(err, rc, "%s: %s", jwks->file, wc_strerror(rc));
        text = (char *)data;
    } else {
        int rc = wc_jwks_fetch_url(jwks->url, jwks->timeout_ms, jwks->max_bytes, &text, &len, err);
        if (rc)
            return rc;
    }
    int rc = wc_jwk_set_parse(text, len, jwks->file ? jwks->file : jwks->url, out, err);
    free(text);
    return rc;
}

/* With the lock held: fetches unless one is under way (then, when `wait`,
 * waits for it) or the last attempt was less than refresh_min_s ago (unless
 * `force`).  Returns 0 after a successful fetch, 1 when none was made, a
 * WC_E* code after a failed one (message in err). */
static int refresh_locked(wc_jwks *jwks, bool force, bool wait, wc_error *err)
{
    if (jwks->fetching) {
        if (!wait)
            return 1;
        while (jwks->fetching)
            pthread_cond_wait(&jwks->fetched, &jwks->lock);
        if (jwks->last_failed)
            return wc_error_set(err, jwks->last_error.code, "%s", jwks->last_error.msg);
        return 0;
    }
    uint64_t start = wc_monotonic_ms();
    if (!force && jwks->attempt_ms && start - jwks->attempt_ms < (uint64_t)jwks->refresh_min_s * 1000)
        return 1;
    jwks->fetching = true;
    jwks->attempt_ms = start ? start : 1;
    pthread_mutex_unlock(&jwks->lock);

    wc_jwk_set *fresh = NULL;
    wc_error failure;
    int rc = load(jwks, &fresh, &failure);

    pthread_mutex_lock(&jwks->lock);
    wc_jwk_set *old = NULL;
    if (rc == 0) {
        old = jwks->current;
        jwks->current = fresh;
        jwks->loaded_ms = wc_monotonic_ms();
        jwks->last_failed = false;
    } else {
        jwks->last_failed = true;
        jwks->last_error = failure;
        wc_error_set(err, rc, "%s", failure.msg);
    }
    jwks->fetching = false;
    pthread_cond_broadcast(&jwks->fetched);
    /* Validations still using the old set hold their own references. */
    wc_jwk_set_unref(old);
    if (rc)
        wc_log(WC_LOG_WARNING, "auth", "cannot load the JWKS: %s", failure.msg);
    return rc;
}

int wc_jwks_refresh(wc_jwks *jwks, wc_error *err)
{
    pthread_mutex_lock(&jwks->lock);
    int rc = refresh_locked(jwks, true, true, err);
    pthread_mutex_unlock(&jwks->lock);
    return rc < 0 ? rc : 0;
}

int wc_jwks_new(const wc_auth_jwt_options *opts, wc_jwks **out, wc_error *err)
{
    *out = NULL;
    wc_jwks *jwks = calloc(1, sizeof *jwks);
    if (!jwks)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    jwks->timeout_ms = opts->jwks_timeout_ms;
    jwks->max_bytes = opts->jwks_max_bytes;
    jwks->refresh_min_s = opts->jwks_refresh_min_s;
    jwks->max_age_s = opts->jwks_max_age_s;
    pthread_mutex_init(&jwks->lock, NULL);
    pthread_cond_init(&jwks->fetched, NULL);
    if ((opts->jwks_file && !(jwks->file = strdup(opts->jwks_file))) ||
        (opts->jwks_url && !(jwks->url = strdup(opts->jwks_url)))) {
        wc_jwks_free(jwks);
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    wc_error failure;
    pthread_mutex_lock(&jwks->lock);
    int rc = refresh_locked(jwks, true, true, &failure);
    pthread_mutex_unlock(&jwks->lock);
    /* A file is part of the configuration: a broken one is a config error.
     * A server that is down now may be up by the first request. */
    if (rc && jwks->file) {
        wc_error_set(err, rc, "auth.jwt.jwks_file: %s", failure.msg);
        wc_jwks_free(jwks);
        return rc;
    }
    *out = jwks;
    return 0;
}

void wc_jwks_free(wc_jwks *jwks)
{
    if (!jwks)
        return;
    wc_jwk_set_unref(jwks->current);
    pthread_mutex_destroy(&jwks->lock);
    pthread_cond_destroy(&jwks->fetched);
    free(jwks->file);
    free(jwks->url);
    free(jwks);
}

/* ---- lookup ------------------------------------------------------------ */

typedef enum find_result { FIND_FOUND, FIND_MISSING, FIND_AMBIGUOUS } find_result;

static find_result find(const wc_jwk_set *set, const char *kid, const wc_jws_alg *alg, const wc_jwk **key,
                        char *detail, size_t detail_size)
{
    *key = NULL;
    if (!set) {
        snprintf(detail, detail_size, "no signing keys are loaded");
        return FIND_MISSING;
    }
    size_t fitting = 0;
    bool kid_seen = false;
    for (size_t i = 0; i < set->n; i++) {
        const wc_jwk *k = &set->keys[i];
        if (kid && !(k->kid && strcmp(k->kid, kid) == 0))
            continue;
        kid_seen = true;
        wc_error why;
        if (!wc_jwk_fits(k, alg, &why)) {
            snprintf(detail, detail_size, "%s", why.msg);
            continue;
        }
        if (kid) {
            *key = k;
            return FIND_FOUND;
        }
        if (!fitting++)
            *key = k;
    }
    if (!kid && fitting == 1)
        return FIND_FOUND;
    *key = NULL;
    char printable[80];
    if (kid)
        wc_auth_printable(printable, sizeof printable, kid, strlen(kid));
    if (!kid && fitting > 1) {
        snprintf(detail, detail_size, "the token has no kid and %zu keys of the JWKS can verify %s", fitting,
                 alg->name);
        return FIND_AMBIGUOUS;
    }
    if (!kid)
        snprintf(detail, detail_size, "the token has no kid and no key of the JWKS can verify %s", alg->name);
    else if (!kid_seen)
        snprintf(detail, detail_size, "no key with kid '%s' in the JWKS", printable);
    return FIND_MISSING;
}

wc_jwks_lookup_result wc_jwks_lookup(wc_jwks *jwks, const char *kid, const wc_jws_alg *alg,
                                     wc_jwk_set **set, const wc_jwk **key, char *detail,
                                     size_t detail_size)
{
    *set = NULL;
    *key = NULL;
    pthread_mutex_lock(&jwks->lock);
    wc_jwk_set *current = jwks->current;
    if (current)
        wc_jwk_set_ref(current);
    bool stale = current && jwks->max_age_s && wc_monotonic_ms() - jwks->loaded_ms >= (uint64_t)jwks->max_age_s * 1000;
    pthread_mutex_unlock(&jwks->lock);

    find_result found = find(current, kid, alg, key, detail, detail_size);
    if (found == FIND_AMBIGUOUS || (found == FIND_FOUND && !stale)) {
        if (found == FIND_FOUND) {
            *set = current;
            return WC_JWKS_FOUND;
        }
        wc_jwk_set_unref(current);
        return WC_JWKS_NO_KEY;
    }

    /* Missing: wait for a fetch.  Stale: fetch if no one else is; meanwhile
     * the key we have is still good. */
    pthread_mutex_lock(&jwks->lock);
    int rc = refresh_locked(jwks, false, found != FIND_FOUND, NULL);
    bool failed = jwks->last_failed;
    wc_error last_error = jwks->last_error;
    wc_jwk_set *latest = jwks->current;
    if (latest)
        wc_jwk_set_ref(latest);
    pthread_mutex_unlock(&jwks->lock);

    if (rc == 0 || (latest && latest != current)) {
        wc_jwk_set_unref(current);
        current = latest;
        found = find(current, kid, alg, key, detail, detail_size);
    } else {
        wc_jwk_set_unref(latest);
    }
    if (found == FIND_FOUND) {
        *set = current;
        return WC_JWKS_FOUND;
    }
    wc_jwk_set_unref(current);
    *key = NULL;
    if (failed && found == FIND_MISSING) {
        snprintf(detail, detail_size, "no key for the token, and the JWKS cannot be loaded: %s",
                 last_error.msg);
        return WC_JWKS_UNAVAILABLE;
    }
    return WC_JWKS_NO_KEY;
}
