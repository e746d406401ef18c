/* transfer.h -- one HTTP(S) exchange for the source fetchers, bounded.
 *
 * Every answer body stops at max_bytes (util/curl_sink.h), the whole
 * exchange at a deadline, redirects at five and to http(s) only; TLS is
 * always verified (against ca_file too when given).  Plain http is used
 * only when the caller allows it (a registry the config marks plain_http).
 */
#ifndef WC_FETCH_TRANSFER_H
#define WC_FETCH_TRANSFER_H

#include <stdbool.h>
#include <stddef.h>

#include "fetch/source.h"
#include "util/curl_sink.h"
#include "util/error.h"

typedef struct wc_transfer {
    const char *method;       /* NULL: GET */
    const char *url;
    const char *const *headers; /* "Name: value" strings, NULL-terminated; may be NULL */
    const void *body;         /* PUT/POST/PATCH body */
    size_t body_len;
    size_t max_bytes;         /* answer body limit */
    const char *ca_file;
    bool allow_http;
    long timeout_ms;          /* 0: 300 s */
    const char *what;         /* progress label; NULL: no progress */
    wc_fetch_progress_fn progress;
    void *progress_ctx;
} wc_transfer;

/* What came back.  Header values are the last of their name, trimmed. */
typedef struct wc_transfer_answer {
    long status;
    wc_curl_sink body;
    char www_authenticate[1024];
    char location[2048];
    char content_type[256];
    char docker_digest[128];  /* Docker-Content-Digest */
} wc_transfer_answer;

/* Runs the exchange; 0 once an answer came (whatever its status), else a
 * WC_E* code with err naming the URL and the reason.  answer is always
 * initialized and must be freed. */
int wc_transfer_run(const wc_transfer *t, wc_transfer_answer *answer, wc_error *err);
void wc_transfer_answer_free(wc_transfer_answer *answer);

#endif
