/* docker_config.c -- credentials from docker's config.json (docker_config.h). */
#include "fetch/docker_config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch/base64.h"
#include "util/fs.h"

#define MAX_CONFIG_BYTES (1u << 20)

/* The entry for registry under the spellings docker writes. */
static json_t *find_entry(json_t *auths, const char *registry)
{
    char key[400];
    const char *forms[] = {"%s", "https://%s", "http://%s", "https://%s/v1/", "https://%s/v2/"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        snprintf(key, sizeof key, forms[i], registry);
        json_t *e = json_object_get(auths, key);
        if (e)
            return e;
    }
    if (strcmp(registry, "registry-1.docker.io") == 0)
        return json_object_get(auths, "https://index.docker.io/v1/");
    return NULL;
}

int wc_docker_config_auth(const char *registry, char **basic, wc_error *err)
{
    *basic = NULL;
    char path[4096];
    const char *dir = getenv("DOCKER_CONFIG");
    const char *home = getenv("HOME");
    if (dir && *dir)
        snprintf(path, sizeof path, "%s/config.json", dir);
    else if (home && *home)
        snprintf(path, sizeof path, "%s/.docker/config.json", home);
    else
        return 0;
    uint8_t *text = NULL;
    size_t len = 0;
    int rc = wc_read_regular_file(path, MAX_CONFIG_BYTES, &text, &len);
    if (rc == WC_ENOENT)
        return 0;
    if (rc != 0)
        return wc_error_set(err, rc, "cannot read %s: %s", path, wc_strerror(rc));
    json_error_t jerr;
    json_t *doc = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    if (!doc)
        return wc_error_set(err, WC_EINVAL, "%s: invalid JSON at line %d: %s", path, jerr.line,
                            jerr.text);
    json_t *entry = find_entry(json_object_get(doc, "auths"), registry);
    const char *auth = json_string_value(json_object_get(entry, "auth"));
    if (entry && auth && *auth) {
        size_t n = 0;
        uint8_t *pair = wc_base64_decode(auth, strlen(auth), &n);
        if (!pair || !memchr(pair, ':', n))
            rc = wc_error_set(err, WC_EINVAL, "%s: auths.%s.auth is not the base64 of user:password",
                              path, registry);
        else if (!(*basic = strdup(auth)))
            rc = wc_error_set(err, WC_ENOMEM, "out of memory");
        if (pair) {
            memset(pair, 0, n);
            free(pair);
        }
    }
    json_decref(doc);
    return rc;
}
