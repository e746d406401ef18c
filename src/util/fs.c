/* fs.c -- file helpers. */
#define _GNU_SOURCE
#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads fd to its end into a new buffer.  With max_size, never asks for more
 * than max_size + 1 bytes: one byte past the limit proves the file too
 * large, whatever it is (a pipe, /dev/zero, a file that grows). */
static int read_to_end(int fd, size_t expected, size_t max_size, uint8_t **data, size_t *size)
{
    size_t cap = expected + 1, len = 0;
    if (max_size && cap > max_size + 2)
        cap = max_size + 2;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return WC_ENOMEM;
    for (;;) {
        if (max_size && len > max_size) {
            free(buf);
            return WC_ETOOBIG;
        }
        if (len + 1 >= cap) { /* a pipe, or the file grew while we read it */
            size_t grown_cap = cap * 2;
            if (max_size && grown_cap > max_size + 2)
                grown_cap = max_size + 2;
            uint8_t *grown = realloc(buf, grown_cap);
            if (!grown) {
                free(buf);
                return WC_ENOMEM;
            }
            buf = grown;
            cap = grown_cap;
        }
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            return -e;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = 0;
    *data = buf;
    *size = len;
    return 0;
}

static int read_file(const char *path, size_t max_size, bool regular_only, uint8_t **data, size_t *size)
{
    /* O_NONBLOCK: opening a FIFO with no writer must not wait for one. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | (regular_only ? O_NONBLOCK : 0));
    if (fd < 0)
        return -errno;
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0)
        rc = -errno;
    else if (S_ISDIR(st.st_mode))
        rc = WC_EISDIR;
    else if (regular_only && !S_ISREG(st.st_mode))
        rc = WC_ENOTREG;
    if (rc == 0) {
        if (!S_ISREG(st.st_mode))
            st.st_size = 0; /* a pipe or device: read until end of file */
        if (max_size && (uint64_t)st.st_size > max_size)
            rc = WC_ETOOBIG; /* refused on its size alone: nothing is read */
        else
            rc = read_to_end(fd, (size_t)st.st_size, max_size, data, size);
    }
    close(fd);
    return rc;
}

int wc_read_file(const char *path, size_t max_size, uint8_t **data, size_t *size)
{
    return read_file(path, max_size, false, data, size);
}

int wc_read_regular_file(const char *path, size_t max_size, uint8_t **data, size_t *size)
{
    return read_file(path, max_size, true, data, size);
}

static int write_all(int fd, const void *data, size_t size)
{
    const uint8_t *p = data;
    while (size) {
        ssize_t n = write(fd, p, size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

int wc_write_file(const char *path, const void *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    int rc = write_all(fd, data, size);
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    return rc;
}

int wc_write_file_atomic(const char *path, const void *data, size_t size)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof tmp)
        return WC_ENAMETOOLONG;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = write_all(fd, data, size);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != 0)
        unlink(tmp);
    return rc;
}

int wc_mkdirs(const char *path)
{
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf)
        return WC_ENAMETOOLONG;
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, 0700) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

int wc_make_temp_dir(char *path, size_t path_size, const char *prefix)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    if (snprintf(path, path_size, "%s/%s-XXXXXX", tmp, prefix) >= (int)path_size)
        return WC_ENAMETOOLONG;
    if (!mkdtemp(path))
        return -errno;
    return 0;
}

void wc_remove_dir(const char *path)
{
    DIR *dir = opendir(path);
    if (dir) {
        struct dirent *e;
        while ((e = readdir(dir))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            unlinkat(dirfd(dir), e->d_name, 0);
        }
        closedir(dir);
    }
    rmdir(path);
}
