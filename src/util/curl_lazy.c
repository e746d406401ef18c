/* curl_lazy.c -- the libcurl functions wasmcap calls, defined here and
 * forwarded to libcurl.so.4, which the first of them dlopens.
 *
 * Linked, libcurl brings GnuTLS, p11-kit, Kerberos, LDAP, nettle, libssh2
 * and more, whose relocations and constructors (GnuTLS initializes itself
 * at load) keep ~3.5 MiB resident in every server, although only the
 * plugins granted HTTP, https:// and OCI sources and JWKS URLs use it.
 * Defining the functions here, with <curl/curl.h>'s own prototypes, keeps
 * every caller as it is; the executable does not export them, so libcurl's
 * calls inside itself stay its own.
 *
 * When the library cannot be loaded, the functions fail as libcurl's do
 * (NULL handles, CURLE_FAILED_INIT, CURLUE_OUT_OF_MEMORY) and
 * curl_easy_strerror says why.  Thread-safe: the load runs once. */
#define CURL_DISABLE_TYPECHECK /* the macros would rename what is defined here */
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "util/dl_table.h"

#define LIBCURL "libcurl.so.4"

static struct curl_functions {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    void (*free)(void *);
    CURLU *(*url)(void);
    void (*url_cleanup)(CURLU *);
    CURLUcode (*url_get)(CURLU *, CURLUPart, char **, unsigned int);
    CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
    const char *(*url_strerror)(CURLUcode);
} lib;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char failure[256]; /* empty once every function is found */

static void load(void)
{
    void *h = dlopen(LIBCURL, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(failure, sizeof failure, "libcurl cannot be loaded: %s", dlerror());
        return;
    }
    static const wc_dl_symbol symbols[] = {
#define SYMBOL(field) {"curl_" #field, offsetof(struct curl_functions, field)}
        SYMBOL(global_init),  SYMBOL(easy_init),      SYMBOL(easy_setopt), SYMBOL(easy_perform),
        SYMBOL(easy_cleanup), SYMBOL(easy_reset),     SYMBOL(easy_getinfo), SYMBOL(easy_strerror),
        SYMBOL(slist_append), SYMBOL(slist_free_all), SYMBOL(free),         SYMBOL(url),
        SYMBOL(url_cleanup),  SYMBOL(url_get),        SYMBOL(url_set),      SYMBOL(url_strerror),
#undef SYMBOL
    };
    /* loaded for the process's life: handles may outlive any caller */
    const char *missing = wc_dl_fill(h, symbols, sizeof symbols / sizeof symbols[0], &lib, sizeof lib);
    if (missing) {
        snprintf(failure, sizeof failure, LIBCURL " lacks %s", missing);
        dlclose(h);
    }
}

static int loaded(void)
{
    pthread_once(&once, load);
    return failure[0] == 0;
}

CURLcode curl_global_init(long flags)
{
    return loaded() ? lib.global_init(flags) : CURLE_FAILED_INIT;
}

CURL *curl_easy_init(void)
{
    return loaded() ? lib.easy_init() : NULL;
}

/* The one argument after the option has the type its number's range
 * says (curl.h's CURLOPTTYPE_*), and is passed on as that type. */
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
    if (!loaded())
        return CURLE_FAILED_INIT;
    va_list ap;
    va_start(ap, option);
    CURLcode rc;
    if (option < CURLOPTTYPE_OBJECTPOINT)
        rc = lib.easy_setopt(curl, option, va_arg(ap, long));
    else if (option < CURLOPTTYPE_FUNCTIONPOINT)
        rc = lib.easy_setopt(curl, option, va_arg(ap, void *));
    else if (option < CURLOPTTYPE_OFF_T)
        rc = lib.easy_setopt(curl, option, va_arg(ap, void (*)(void)));
    else if (option < CURLOPTTYPE_BLOB)
        rc = lib.easy_setopt(curl, option, va_arg(ap, curl_off_t));
    else
        rc = lib.easy_setopt(curl, option, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

CURLcode curl_easy_perform(CURL *curl)
{
    return loaded() ? lib.easy_perform(curl) : CURLE_FAILED_INIT;
}

void curl_easy_cleanup(CURL *curl)
{
    if (curl && loaded())
        lib.easy_cleanup(curl);
}

void curl_easy_reset(CURL *curl)
{
    if (curl && loaded())
        lib.easy_reset(curl);
}

/* Every CURLINFO's argument is a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
    if (!loaded())
        return CURLE_FAILED_INIT;
    va_list ap;
    va_start(ap, info);
    CURLcode rc = lib.easy_getinfo(curl, info, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

const char *curl_easy_strerror(CURLcode code)
{
    return loaded() ? lib.easy_strerror(code) : failure;
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *s)
{
    return loaded() ? lib.slist_append(list, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *list)
{
    if (list && loaded())
        lib.slist_free_all(list);
}

void curl_free(void *p)
{
    if (p && loaded())
        lib.free(p);
}

CURLU *curl_url(void)
{
    return loaded() ? lib.url() : NULL;
}

void curl_url_cleanup(CURLU *u)
{
    if (u && loaded())
        lib.url_cleanup(u);
}

CURLUcode curl_url_get(CURLU *u, CURLUPart what, char **part, unsigned int flags)
{
    return loaded() ? lib.url_get(u, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

CURLUcode curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags)
{
    return loaded() ? lib.url_set(u, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

const char *curl_url_strerror(CURLUcode code)
{
    return loaded() ? lib.url_strerror(code) : failure;
}
