/* curl_once.c -- curl_global_init is not thread-safe: run it once. */
#include "util/curl_once.h"

#include <pthread.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static CURLcode init_rc = CURLE_FAILED_INIT;

static void init(void)
{
    init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

CURLcode wc_curl_global_init(void)
{
    pthread_once(&once, init);
    return init_rc;
}
