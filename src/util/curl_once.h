/* curl_once.h -- libcurl's global initialization, once per process, for
 * every module that makes transfers (host http_fetch, auth JWKS). */
#ifndef WC_UTIL_CURL_ONCE_H
#define WC_UTIL_CURL_ONCE_H

#include <curl/curl.h>

/* CURLE_OK, or why libcurl could not start (then no transfer may run). */
CURLcode wc_curl_global_init(void);

#endif
