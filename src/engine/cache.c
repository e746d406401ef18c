/* cache.c -- the optimized tier's disk cache: safe directory, authenticated entries.
 *
 * See cache.h for the rules.  Every check is on a descriptor (the directory
 * opened once per operation, entries opened relative to it with O_NOFOLLOW
 * and checked with fstat), so what was checked is what is read.
 */
#define _GNU_SOURCE
#include "engine/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/hex.h"
#include "util/log.h"
#include "util/sha256.h"

#define MAC_HEX 64

static char *default_key_path(void)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    char path[4096];
    if (xdg && xdg[0] == '/')
        snprintf(path, sizeof path, "%s/wasmcap/cache.key", xdg);
    else if (home && *home)
        snprintf(path, sizeof path, "%s/.config/wasmcap/cache.key", home);
    else
        return NULL;
    return strdup(path);
}

int wc_cache_init(wc_cache *cache, const char *dir, const char *key_path)
{
    memset(cache, 0, sizeof *cache);
    pthread_mutex_init(&cache->lock, NULL);
    if (!dir || (key_path && !*key_path))
        return 0;
    cache->key_path = key_path ? strdup(key_path) : default_key_path();
    if (!cache->key_path)
        return 0; /* no HOME: no key, so no cache */
    cache->dir = strdup(dir);
    return cache->dir ? 0 : WC_ENOMEM;
}

void wc_cache_destroy(wc_cache *cache)
{
    OPENSSL_cleanse(cache->key, sizeof cache->key);
    free(cache->dir);
    free(cache->key_path);
    pthread_mutex_destroy(&cache->lock);
}

/* Ours and not writable by group or others.  *why gets the reason. */
static bool safe_stat(const struct stat *st, const char **why)
{
    if (st->st_uid != geteuid()) {
        *why = "is not owned by the user running wasmcap";
        return false;
    }
    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        *why = "is writable by group or others";
        return false;
    }
    return true;
}

static void disable(wc_cache *cache, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void disable(wc_cache *cache, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&cache->lock);
    bool first = !cache->disabled;
    cache->disabled = true;
    pthread_mutex_unlock(&cache->lock);
    if (first)
        wc_log(WC_LOG_WARNING, "cache", "%s: compiling without the disk cache (docs/CONFIG.md, storage.cache_dir)",
               msg);
}

/* Creates the key file: written whole to a temporary name, then linked in,
 * so a process that races us reads either no file or the whole key. */
static int create_key(const char *path)
{
    char dir[4096], tmp[4200];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = 0;
        int rc = wc_mkdirs(dir);
        if (rc)
            return rc;
    }
    uint8_t raw[WC_CACHE_KEY_BYTES];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) /* 32 bytes: never partial */
        return WC_EIO;
    char text[2 * WC_CACHE_KEY_BYTES + 2];
    wc_hex_encode(raw, sizeof raw, text);
    text[2 * WC_CACHE_KEY_BYTES] = '\n';
    explicit_bzero(raw, sizeof raw);
    snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
    int fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
    if (fd < 0)
        return -errno;
    int rc = 0;
    if (write(fd, text, sizeof text - 1) != (ssize_t)(sizeof text - 1) || fsync(fd) != 0)
        rc = WC_EIO;
    close(fd);
    OPENSSL_cleanse(text, sizeof text);
    if (rc == 0 && link(tmp, path) != 0 && errno != EEXIST)
        rc = -errno;
    unlink(tmp);
    return rc;
}

/* Loads the key (creating it on first use); on failure disables the cache. */
static bool load_key(wc_cache *cache)
{
    const char *path = cache->key_path;
    size_t dir_len = strlen(cache->dir);
    while (dir_len > 1 && cache->dir[dir_len - 1] == '/')
        dir_len--;
    if (strncmp(path, cache->dir, dir_len) == 0 && path[dir_len] == '/') {
        /* whoever can read the cache could then forge its entries */
        disable(cache, "the cache key %s is inside the cache directory %s", path, cache->dir);
        return false;
    }
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        int rc = create_key(path);
        if (rc) {
            disable(cache, "cannot create the cache key %s: %s", path, wc_strerror(rc));
            return false;
        }
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
        disable(cache, "cannot open the cache key %s: %s", path, wc_strerror(-errno));
        return false;
    }
    struct stat st;
    const char *why = "is not a regular file";
    char text[2 * WC_CACHE_KEY_BYTES + 2];
    ssize_t n = -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && safe_stat(&st, &why)) {
        if (st.st_mode & (S_IRGRP | S_IROTH))
            why = "is readable by group or others (chmod 600 it)";
        else
            n = read(fd, text, sizeof text);
    }
    close(fd);
    if (n < 0) {
        disable(cache, "the cache key %s %s", path, why);
        return false;
    }
    if (n < 2 * WC_CACHE_KEY_BYTES || (n == sizeof text && text[n - 1] != '\n')) {
        disable(cache, "the cache key %s is not %d hex digits", path, 2 * WC_CACHE_KEY_BYTES);
        return false;
    }
    for (int i = 0; i < WC_CACHE_KEY_BYTES; i++) {
        int hi = wc_hex_digit(text[2 * i]), lo = wc_hex_digit(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            disable(cache, "the cache key %s is not %d hex digits", path, 2 * WC_CACHE_KEY_BYTES);
            OPENSSL_cleanse(text, sizeof text);
            return false;
        }
        cache->key[i] = (uint8_t)(hi << 4 | lo);
    }
    OPENSSL_cleanse(text, sizeof text);
    return true;
}

/* The key is loaded once, when the cache is first used. */
static bool usable(wc_cache *cache)
{
    if (!cache->dir)
        return false;
    pthread_mutex_lock(&cache->lock);
    bool ready = cache->ready, disabled = cache->disabled;
    pthread_mutex_unlock(&cache->lock);
    if (disabled)
        return false;
    if (ready)
        return true;
    bool ok = load_key(cache);
    pthread_mutex_lock(&cache->lock);
    cache->ready = ok;
    pthread_mutex_unlock(&cache->lock);
    return ok;
}

/* The cache directory, opened and checked; WC_ENOTFOUND when absent or
 * unsafe. */
static int open_dir(wc_cache *cache)
{
    int fd = open(cache->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return WC_ENOTFOUND; /* absent: a miss, and the store creates it */
    struct stat st = {0};
    const char *why = "cannot be checked";
    if (fstat(fd, &st) != 0 || !safe_stat(&st, &why)) {
        close(fd);
        disable(cache, "the cache directory %s %s (mode %03o, owner uid %u; chmod 700 it, as its owner)",
                cache->dir, why, (unsigned)(st.st_mode & 0777), (unsigned)st.st_uid);
        return WC_ENOTFOUND;
    }
    return fd;
}

/* Reads an entry file: a regular file of ours, not writable by others, at
 * most max bytes.  Returns 0 or WC_ENOTFOUND (absent or refused; refusals
 * warn). */
static int read_entry(wc_cache *cache, int dir_fd, const char *name, size_t max, uint8_t **data, size_t *size)
{
    int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return WC_ENOTFOUND;
    struct stat st;
    const char *why = "is not a regular file";
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !safe_stat(&st, &why)) {
        close(fd);
        disable(cache, "the cache entry %s/%s %s", cache->dir, name, why);
        return WC_ENOTFOUND;
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return WC_ENOTFOUND;
    }
    size_t cap = (size_t)st.st_size, len = 0;
    uint8_t *buf = malloc(cap + 1);
    while (buf && len < cap) {
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (!buf || len != cap) {
        free(buf);
        return WC_ENOTFOUND;
    }
    *data = buf;
    *size = len;
    return 0;
}

/* HMAC-SHA256(key, name || NUL || so) as hex: the name binds an entry to
 * its module and toolchain, so entries cannot be swapped between keys. */
static void entry_mac(const wc_cache *cache, const char *key, const uint8_t *so, size_t so_size,
                      char hex[MAC_HEX + 1])
{
    uint8_t md[WC_SHA256_BYTES];
    wc_hmac_sha256(cache->key, sizeof cache->key, (const void *const[]){key, so},
                   (const size_t[]){strlen(key) + 1, so_size}, 2, md);
    wc_hex_encode(md, sizeof md, hex);
}

int wc_cache_load(wc_cache *cache, const char *key, wc_code **out)
{
    if (!usable(cache))
        return WC_ENOTFOUND;
    int dir_fd = open_dir(cache);
    if (dir_fd < 0)
        return dir_fd;
    char so_name[128], mac_name[128];
    snprintf(so_name, sizeof so_name, "%s.so", key);
    snprintf(mac_name, sizeof mac_name, "%s.hmac", key);
    uint8_t *so = NULL, *mac = NULL;
    size_t so_size = 0, mac_size = 0;
    int rc = WC_ENOTFOUND;
    if (read_entry(cache, dir_fd, mac_name, MAC_HEX + 1, &mac, &mac_size) != 0 || mac_size < MAC_HEX ||
        read_entry(cache, dir_fd, so_name, WC_CACHE_MAX_ENTRY_BYTES, &so, &so_size) != 0)
        goto done;
    char want[MAC_HEX + 1];
    entry_mac(cache, key, so, so_size, want);
    if (CRYPTO_memcmp(want, mac, MAC_HEX) != 0)
        goto done; /* torn, stale, or not ours: rebuilt and replaced, never loaded */
    wc_error ignored;
    rc = wc_code_load_optimized(so, so_size, out, &ignored);
done:
    close(dir_fd);
    free(so);
    free(mac);
    return rc;
}

void wc_cache_store(wc_cache *cache, const char *key, const uint8_t *so, size_t so_size)
{
    if (!usable(cache) || wc_mkdirs(cache->dir) != 0)
        return;
    int dir_fd = open_dir(cache);
    if (dir_fd < 0)
        return;
    close(dir_fd);
    char so_path[4200], mac_path[4200], mac[MAC_HEX + 2];
    snprintf(so_path, sizeof so_path, "%s/%s.so", cache->dir, key);
    snprintf(mac_path, sizeof mac_path, "%s/%s.hmac", cache->dir, key);
    entry_mac(cache, key, so, so_size, mac);
    mac[MAC_HEX] = '\n';
    /* The .so first: a reader that finds the new MAC finds the new .so. */
    if (wc_write_file_atomic(so_path, so, so_size) == 0)
        wc_write_file_atomic(mac_path, mac, MAC_HEX + 1);
}
