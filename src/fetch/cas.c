/* cas.c -- the content-addressed store of fetched sources (cas.h). */
#include "fetch/cas.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/sha256.h"

/* The user's own and not writable by group or others; why says otherwise. */
static bool safe(const struct stat *st, const char **why)
{
    if (st->st_uid != geteuid())
        *why = "is not owned by the user running wasmcap";
    else if (st->st_mode & (S_IWGRP | S_IWOTH))
        *why = "is writable by group or others";
    else
        return true;
    return false;
}

static bool hex_ok(const char *hex)
{
    size_t n = 0;
    for (; hex[n]; n++)
        if (!((hex[n] >= '0' && hex[n] <= '9') || (hex[n] >= 'a' && hex[n] <= 'f')))
            return false;
    return n == WC_SHA256_HEX_LEN;
}

int wc_cas_open(wc_cas *cas, const char *cache_dir, wc_error *err)
{
    if (!cache_dir || !*cache_dir)
        return wc_error_set(err, WC_EINVAL,
                            "remote plugin sources need a cache directory (storage.cache_dir)");
    if (snprintf(cas->dir, sizeof cas->dir, "%s/sources/sha256", cache_dir) >= (int)sizeof cas->dir)
        return wc_error_set(err, WC_ENAMETOOLONG, "the cache directory's name is too long");
    int rc = wc_mkdirs(cas->dir);
    if (rc != 0)
        return wc_error_set(err, rc, "cannot create %s: %s", cas->dir, wc_strerror(rc));
    /* Each folder from the cache dir down: a writable parent could swap a child. */
    char path[4096];
    const char *tails[] = {"", "/sources", "/sources/sha256"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s%s", cache_dir, tails[i]);
        struct stat st;
        const char *why = NULL;
        if (stat(path, &st) != 0)
            return wc_error_set(err, -errno, "cannot check %s: %s", path, wc_strerror(-errno));
        if (!safe(&st, &why))
            return wc_error_set(err, WC_EACCES,
                                "the cache folder %s %s (mode %03o, owner uid %u; chmod 700 it, as "
                                "its owner)",
                                path, why, (unsigned)(st.st_mode & 0777), (unsigned)st.st_uid);
    }
    return 0;
}

void wc_cas_path(const wc_cas *cas, const char *hex, char *out, size_t out_size)
{
    snprintf(out, out_size, "%s/%s", cas->dir, hex);
}

int wc_cas_load(const wc_cas *cas, const char *hex, size_t max, uint8_t **data, size_t *len,
                wc_error *err)
{
    if (!hex_ok(hex))
        return wc_error_set(err, WC_EINVAL, "'%s' is not a sha256 digest in hex", hex);
    char path[4200];
    wc_cas_path(cas, hex, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return WC_ENOTFOUND;
        return wc_error_set(err, -errno, "cannot open the cache entry %s: %s", path,
                            wc_strerror(-errno));
    }
    struct stat st;
    const char *why = "is not a regular file";
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && safe(&st, &why);
    close(fd);
    if (!ok)
        return wc_error_set(err, WC_EACCES, "the cache entry %s %s; remove it", path, why);
    int rc = wc_read_regular_file(path, max, data, len);
    if (rc == WC_ETOOBIG)
        return wc_error_set(err, rc, "the cache entry %s is larger than the limit of %zu bytes",
                            path, max);
    if (rc != 0)
        return wc_error_set(err, rc, "cannot read the cache entry %s: %s", path, wc_strerror(rc));
    char got[65];
    wc_sha256_hex((const void *const[]){*data}, (const size_t[]){*len}, 1, got);
    if (strcmp(got, hex) != 0) {
        free(*data);
        *data = NULL;
        return wc_error_set(err, WC_EDIGEST,
                            "the cache entry %s was modified: its bytes have sha256 %s, not %s "
                            "(remove it to fetch it again)",
                            path, got, hex);
    }
    return 0;
}

int wc_cas_store(const wc_cas *cas, const char *hex, const void *data, size_t len, wc_error *err)
{
    if (!hex_ok(hex))
        return wc_error_set(err, WC_EINVAL, "'%s' is not a sha256 digest in hex", hex);
    char got[65];
    wc_sha256_hex((const void *const[]){data}, (const size_t[]){len}, 1, got);
    if (strcmp(got, hex) != 0)
        return wc_error_set(err, WC_EDIGEST, "content with sha256 %s is not sha256:%s", got, hex);
    char path[4200];
    wc_cas_path(cas, hex, path, sizeof path);
    int rc = wc_write_file_atomic(path, data, len);
    if (rc != 0)
        return wc_error_set(err, rc, "cannot write the cache entry %s: %s", path, wc_strerror(rc));
    return 0;
}
