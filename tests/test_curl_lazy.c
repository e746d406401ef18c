/* test_curl_lazy.c -- util/curl_lazy.c: libcurl is not mapped until the
 * first curl function runs; then every kind of setopt argument (long,
 * pointer, function pointer, curl_off_t) and getinfo reaches libcurl as it
 * was passed (a file:// transfer shows each one's effect); and a libcurl
 * that cannot be loaded makes the functions fail as libcurl's do, with
 * curl_easy_strerror saying why (a child run against a stand-in library
 * that lacks the functions). */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "process_maps.h"
#include "util/fs.h"
#include "util/process.h"

static bool curl_mapped(void)
{
    return process_maps_library("/libcurl.so");
}

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
    size_t *total = arg;
    *total += size * n;
    return size * n;
}

static void test_transfer(const char *dir)
{
    char path[512], url[600];
    snprintf(path, sizeof path, "%s/body", dir);
    static char body[10000];
    memset(body, 'x', sizeof body);
    CHECK(wc_write_file(path, body, sizeof body) == 0, "write %s", path);
    snprintf(url, sizeof url, "file://%s", path);

    CHECK(!curl_mapped(), "libcurl is mapped before any curl function ran");
    CHECK(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK, "curl_global_init");
    CHECK(curl_mapped(), "libcurl is not mapped after curl_global_init");

    CURL *curl = curl_easy_init();
    CHECK(curl != NULL, "curl_easy_init");
    if (!curl)
        return;
    size_t total = 0;
    CHECK(curl_easy_setopt(curl, CURLOPT_URL, url) == CURLE_OK, "URL");          /* pointer */
    CHECK(curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect) == CURLE_OK, "fn"); /* function */
    CHECK(curl_easy_setopt(curl, CURLOPT_WRITEDATA, &total) == CURLE_OK, "data");
    CHECK(curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK, "NOSIGNAL");   /* long */
    CURLcode rc = curl_easy_perform(curl);
    curl_off_t size = -1;
    CHECK(rc == CURLE_OK && total == sizeof body, "transfer: %s, %zu bytes", curl_easy_strerror(rc),
          total);
    CHECK(curl_easy_getinfo(curl, CURLINFO_SIZE_DOWNLOAD_T, &size) == CURLE_OK &&
              size == (curl_off_t)sizeof body,
          "getinfo: %lld bytes", (long long)size);

    /* curl_off_t: resuming from an offset transfers the rest. */
    curl_off_t offset = 4000;
    total = 0;
    CHECK(curl_easy_setopt(curl, CURLOPT_RESUME_FROM_LARGE, offset) == CURLE_OK, "RESUME_FROM");
    rc = curl_easy_perform(curl);
    CHECK(rc == CURLE_OK && total == sizeof body - 4000, "resumed at 4000: %s, %zu bytes",
          curl_easy_strerror(rc), total);
    /* long: NOBODY transfers nothing. */
    curl_easy_reset(curl);
    total = 0;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &total);
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    rc = curl_easy_perform(curl);
    CHECK(rc == CURLE_OK && total == 0, "NOBODY: %s, %zu bytes", curl_easy_strerror(rc), total);
    curl_easy_cleanup(curl);

    struct curl_slist *list = curl_slist_append(NULL, "A: b");
    CHECK(list && strcmp(list->data, "A: b") == 0, "curl_slist_append");
    curl_slist_free_all(list);

    CURLU *u = curl_url();
    char *host = NULL;
    CHECK(u && curl_url_set(u, CURLUPART_URL, "https://example.org:8443/x", 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host &&
              strcmp(host, "example.org") == 0,
          "curl_url: host %s", host ? host : "(none)");
    CHECK(strlen(curl_url_strerror(CURLUE_BAD_HANDLE)) > 0, "curl_url_strerror");
    curl_free(host);
    curl_url_cleanup(u);
}

/* In a child whose LD_LIBRARY_PATH finds a libcurl.so.4 without curl's
 * functions. */
static int child_unloadable(void)
{
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *why = curl_easy_strerror(rc);
    char *host = NULL;
    bool ok = rc == CURLE_FAILED_INIT && strstr(why, "libcurl.so.4 lacks curl_global_init") &&
              curl_easy_init() == NULL && curl_url() == NULL &&
              curl_url_get(NULL, CURLUPART_HOST, &host, 0) != CURLUE_OK &&
              curl_slist_append(NULL, "x") == NULL;
    curl_easy_cleanup(NULL);
    printf("%s: %s\n", ok ? "unloadable ok" : "unloadable wrong", why);
    return ok ? 0 : 1;
}

static void test_unloadable(const char *dir)
{
    char c_path[600], so_path[600], output[2048];
    snprintf(c_path, sizeof c_path, "%s/stand_in.c", dir);
    snprintf(so_path, sizeof so_path, "%s/libcurl.so.4", dir);
    static const char source[] = "int not_curl(void) { return 0; }\n";
    CHECK(wc_write_file(c_path, source, sizeof source - 1) == 0, "write %s", c_path);
    char *gcc[] = {"gcc", "-shared", "-fPIC", "-o", so_path, c_path, NULL};
    int status = wc_run_process(gcc, output, sizeof output, NULL);
    CHECK(status == 0, "gcc: %d %s", status, output);
    char cmd[2048], out[1024] = "";
    snprintf(cmd, sizeof cmd, "LD_LIBRARY_PATH='%s' '%s' --unloadable 2>&1", dir,
             WC_BINARY_DIR "/test_curl_lazy");
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[n] = 0;
    status = p ? pclose(p) : -1;
    CHECK(status == 0 && strstr(out, "unloadable ok"), "%s: status %d: %s", cmd, status, out);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--unloadable") == 0)
        return child_unloadable();
    char dir[] = "/tmp/test_curl_lazy_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    test_transfer(dir);
    test_unloadable(dir);
    static const char *const made[] = {"body", "stand_in.c", "libcurl.so.4"};
    for (size_t i = 0; i < sizeof made / sizeof made[0]; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, made[i]);
        CHECK(unlink(path) == 0, "unlink %s", path);
    }
    CHECK(rmdir(dir) == 0, "rmdir %s", dir);
    printf("%s: %d checks, %d failures\n", failures ? "FAIL" : "ok", checks, failures);
    return failures != 0;
}
