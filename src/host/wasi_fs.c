/* wasi_fs.c -- the directories a guest is granted (preopens), and the files
 * and directories it opens beneath them.
 *
 * Confinement is the kernel's: every path the guest names is resolved by
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) from the directory it is
 * relative to, which refuses absolute paths, a `..` above that directory
 * and any symlink (at any depth, followed or raced into place) that leads
 * out of it.  Operations on a name (mkdir, unlink, rename, link, symlink,
 * readlink, stat without following) first open the name's parent that way
 * and then act on one last component that holds no '/' and is not `.` or
 * `..`, through *at() calls that do not follow it.  So nothing a guest
 * passes reaches a file outside its grants, whatever the tree looks like.
 *
 * Read-only grants are enforced twice: their rights (what fdstat reports and
 * path_open hands down) hold no write right, and every change (a write, a
 * create, a truncation, a rename, ...) is refused with EROFS before any
 * host call; the host descriptors of files beneath them are opened O_RDONLY.
 *
 * Only regular files and directories are opened: a FIFO or a device could
 * block the calling thread without any deadline reaching it.
 */
#define _GNU_SOURCE
#include "host/wasi_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

enum { OFLAGS_CREAT = 1, OFLAGS_DIRECTORY = 2, OFLAGS_EXCL = 4, OFLAGS_TRUNC = 8 };
enum { LOOKUP_SYMLINK_FOLLOW = 1 };
enum { FSTFLAGS_ATIM = 1, FSTFLAGS_ATIM_NOW = 2, FSTFLAGS_MTIM = 4, FSTFLAGS_MTIM_NOW = 8 };
enum { ADVICE_NOREUSE = 5 };
enum { PRESTAT_SIZE = 8, DIRENT_SIZE = 24 };

/* Longest path a guest may pass, with its NUL. */
#define GUEST_PATH_MAX 4096
/* openat2 answers EAGAIN when a rename raced a `..` lookup; we retry. */
#define RESOLVE_ATTEMPTS 16

/* The rights that change the tree or a file: none under a read-only grant. */
#define RIGHTS_WRITE                                                                     \
    (RIGHTS_FD_WRITE | RIGHTS_FD_ALLOCATE | RIGHTS_FD_FILESTAT_SET_SIZE |                \
     RIGHTS_FD_FILESTAT_SET_TIMES | RIGHTS_PATH_CREATE_DIRECTORY | RIGHTS_PATH_CREATE_FILE | \
     RIGHTS_PATH_LINK_SOURCE | RIGHTS_PATH_LINK_TARGET | RIGHTS_PATH_RENAME_SOURCE |     \
     RIGHTS_PATH_RENAME_TARGET | RIGHTS_PATH_FILESTAT_SET_SIZE |                         \
     RIGHTS_PATH_FILESTAT_SET_TIMES | RIGHTS_PATH_SYMLINK | RIGHTS_PATH_REMOVE_DIRECTORY | \
     RIGHTS_PATH_UNLINK_FILE)
#define RIGHTS_DIRECTORY                                                                 \
    (RIGHTS_PATH_CREATE_DIRECTORY | RIGHTS_PATH_CREATE_FILE | RIGHTS_PATH_LINK_SOURCE |   \
     RIGHTS_PATH_LINK_TARGET | RIGHTS_PATH_OPEN | RIGHTS_FD_READDIR | RIGHTS_PATH_READLINK | \
     RIGHTS_PATH_RENAME_SOURCE | RIGHTS_PATH_RENAME_TARGET | RIGHTS_PATH_FILESTAT_GET |   \
     RIGHTS_PATH_FILESTAT_SET_SIZE | RIGHTS_PATH_FILESTAT_SET_TIMES | RIGHTS_FD_FILESTAT_GET | \
     RIGHTS_FD_FILESTAT_SET_TIMES | RIGHTS_PATH_SYMLINK | RIGHTS_PATH_REMOVE_DIRECTORY |  \
     RIGHTS_PATH_UNLINK_FILE | RIGHTS_FD_FDSTAT_SET_FLAGS | RIGHTS_FD_SYNC |              \
     RIGHTS_POLL_FD_READWRITE)
#define RIGHTS_FILE                                                                      \
    (RIGHTS_FD_DATASYNC | RIGHTS_FD_READ | RIGHTS_FD_SEEK | RIGHTS_FD_FDSTAT_SET_FLAGS |  \
     RIGHTS_FD_SYNC | RIGHTS_FD_TELL | RIGHTS_FD_WRITE | RIGHTS_FD_ADVISE |               \
     RIGHTS_FD_ALLOCATE | RIGHTS_FD_FILESTAT_GET | RIGHTS_FD_FILESTAT_SET_SIZE |         \
     RIGHTS_FD_FILESTAT_SET_TIMES | RIGHTS_POLL_FD_READWRITE)
/* The rights that need a host descriptor open for writing. */
#define RIGHTS_HOST_WRITE (RIGHTS_FD_WRITE | RIGHTS_FD_ALLOCATE | RIGHTS_FD_FILESTAT_SET_SIZE)

/* ---- resolution -------------------------------------------------------- */

/* Opens path beneath dirfd; -1 with errno (EXDEV: it would leave). */
static int open_beneath(int dirfd, const char *path, int flags, mode_t mode)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .mode = (flags & O_CREAT) ? mode : 0,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    for (int attempt = 0; attempt < RESOLVE_ATTEMPTS; attempt++) {
        long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
        if (fd >= 0)
            return (int)fd;
        if (errno != EAGAIN && errno != EINTR)
            return -1;
    }
    return -1;
}

/* A failed resolution's errno for the guest: leaving the grant is EPERM. */
static uint16_t resolve_errno(int e)
{
    return e == EXDEV ? ERRNO_PERM : wc_wasi_errno(e);
}

/* Copies a guest path into out (GUEST_PATH_MAX bytes) with its NUL. */
static uint16_t copy_path(wc_instance *inst, uint32_t ptr, uint32_t len, char *out)
{
    if (len >= GUEST_PATH_MAX)
        return ERRNO_NAMETOOLONG;
    const uint8_t *p = guest_bytes(inst, ptr, len);
    if (!p)
        return ERRNO_FAULT;
    if (len == 0)
        return ERRNO_NOENT;
    if (memchr(p, 0, len))
        return ERRNO_INVAL;
    memcpy(out, p, len);
    out[len] = 0;
    return ERRNO_SUCCESS;
}

/* Opens the directory that holds path's last component, beneath dirfd, as
 * an O_PATH descriptor in *parent, and points *last at that component
 * (inside path, which it edits).  The component is a single name, never
 * `.` or `..`. */
static uint16_t open_parent(int dirfd, char *path, int *parent, const char **last)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        path[--len] = 0;
    char *slash = strrchr(path, '/');
    const char *dir = ".";
    if (slash == path)
        return ERRNO_PERM; /* absolute: "/" or "/name" */
    if (slash) {
        *slash = 0;
        dir = path;
        *last = slash + 1;
    } else {
        *last = path;
    }
    if (!strcmp(*last, ".") || !strcmp(*last, ".."))
        return ERRNO_INVAL;
    int fd = open_beneath(dirfd, dir, O_PATH | O_DIRECTORY, 0);
    if (fd < 0)
        return resolve_errno(errno);
    *parent = fd;
    return ERRNO_SUCCESS;
}

/* The grant's entry behind a guest fd, for an operation that needs
 * `right` and, when that right changes the tree, a read-write grant; a
 * directory when `directory`, else a file or a directory. */
static uint16_t entry_of(wc_wasi *w, uint32_t fd, uint64_t right, bool directory,
                         wasi_stream **out)
{
    wasi_stream *s = stream_of(w, fd);
    if (!s)
        return ERRNO_BADF;
    if (directory && !s->directory)
        return ERRNO_NOTDIR;
    if (!s->fs)
        return ERRNO_SPIPE; /* a standard stream behaves as a pipe */
    if ((right & RIGHTS_WRITE) && !s->tree_writable)
        return ERRNO_ROFS;
    if (!(s->rights & right))
        return ERRNO_NOTCAPABLE;
    *out = s;
    return ERRNO_SUCCESS;
}

static uint16_t dir_of(wc_wasi *w, uint32_t fd, uint64_t right, wasi_stream **out)
{
    return entry_of(w, fd, right, true, out);
}

static uint16_t file_of(wc_wasi *w, uint32_t fd, uint64_t right, wasi_stream **out)
{
    return entry_of(w, fd, right, false, out);
}

/* ---- descriptors ------------------------------------------------------- */

static wasi_stream *new_entry(int host_fd, bool directory, bool tree_writable, uint64_t rights,
                              uint64_t inheriting)
{
    wasi_stream *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->kind = WC_WASI_STDIO_HOST_FD;
    s->host_fd = host_fd;
    s->fs = true;
    s->directory = directory;
    s->tree_writable = tree_writable;
    if (!tree_writable) {
        rights &= ~RIGHTS_WRITE;
        inheriting &= ~RIGHTS_WRITE;
    }
    s->rights = rights;
    s->inheriting = inheriting;
    return s;
}

void wc_wasi_fs_close(wasi_stream *s)
{
    close(s->host_fd);
    free(s);
}

/* The lowest free guest fd above the standard ones, or -1 (table full). */
static int free_slot(const wc_wasi *w)
{
    for (int fd = 3; fd < WC_WASI_MAX_FDS; fd++)
        if (!w->fds[fd])
            return fd;
    return -1;
}

/* The error code of a host errno for wasmcap's callers. */
static int code_of(int e)
{
    switch (e) {
    case ENOENT: return WC_ENOENT;
    case EACCES: return WC_EACCES;
    case EPERM: return WC_EPERM;
    case ENOMEM: return WC_ENOMEM;
    case ENAMETOOLONG: return WC_ENAMETOOLONG;
    default: return WC_EIO;
    }
}

int wc_wasi_fs_open_preopens(wc_wasi *w, const wc_wasi_config *config, wc_error *err)
{
    if (config->npreopens > WC_WASI_MAX_PREOPENS)
        return wc_error_set(err, WC_ETOOBIG, "wasi: %zu preopens, more than the %d allowed",
                            config->npreopens, WC_WASI_MAX_PREOPENS);
    if (config->npreopens && !config->preopens)
        return wc_error_set(err, WC_EINVAL, "wasi: preopens is NULL");
    for (size_t i = 0; i < config->npreopens; i++) {
        const wc_wasi_preopen *p = &config->preopens[i];
        if (!p->host_path || !p->guest_path || !*p->guest_path)
            return wc_error_set(err, WC_EINVAL, "wasi: preopen %zu has no host or guest path", i);
        int fd = open(p->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            return wc_error_set(err, code_of(e), "wasi: cannot open the granted directory %s: %s",
                                p->host_path, strerror(e));
        }
        uint64_t inheriting = RIGHTS_DIRECTORY | RIGHTS_FILE;
        wasi_stream *s = new_entry(fd, true, p->writable, RIGHTS_DIRECTORY, inheriting);
        if (!s) {
            close(fd);
            return wc_error_set(err, WC_ENOMEM, "wasi: out of memory");
        }
        s->preopen_name = p->guest_path;
        w->fds[3 + i] = s;
        w->fs_fds_end = 3 + i + 1;
    }
    return 0;
}

int wc_wasi_preopens_check(const wc_wasi_preopen *preopens, size_t n, const char *who,
                           wc_error *err)
{
    if (n == 0)
        return 0;
    if (n > WC_WASI_MAX_PREOPENS)
        return wc_error_set(err, WC_ETOOBIG, "%s: %zu granted directories, more than the %d allowed",
                            who, n, WC_WASI_MAX_PREOPENS);
    /* Confinement rests on openat2: without it there is no grant at all. */
    struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_BENEATH};
    long probe = syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof how);
    if (probe < 0 && (errno == ENOSYS || errno == E2BIG || errno == EINVAL)) {
        struct utsname u;
        const char *release = uname(&u) == 0 ? u.release : "unknown";
        return wc_error_set(err, WC_ENOTSUP,
                            "%s: filesystem grants need openat2 with RESOLVE_BENEATH (Linux 5.6 "
                            "or later); this kernel is %s", who, release);
    }
    if (probe >= 0)
        close((int)probe);
    for (size_t i = 0; i < n; i++) {
        const wc_wasi_preopen *p = &preopens[i];
        if (!p->guest_path || !*p->guest_path || !p->host_path || !*p->host_path)
            return wc_error_set(err, WC_EINVAL, "%s: a granted directory needs a host and a guest path",
                                who);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(preopens[j].guest_path, p->guest_path))
                return wc_error_set(err, WC_EINVAL, "%s: the guest path %s is granted twice", who,
                                    p->guest_path);
        int fd = open(p->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            return wc_error_set(err, code_of(e), "%s: cannot grant %s: %s", who, p->host_path,
                                e == ENOTDIR ? "not a directory" : strerror(e));
        }
        close(fd);
    }
    return 0;
}

WASI_FN(wc_wasi_fd_prestat_get)
{
    wasi_stream *s = stream_of(env, args[0].i32);
    /* EBADF past the last preopen is how wasi-libc learns the list ended. */
    if (!s || !s->preopen_name)
        RETURN_ERRNO(ERRNO_BADF);
    uint8_t *out = guest_bytes(caller, args[1].i32, PRESTAT_SIZE);
    if (!out)
        RETURN_ERRNO(ERRNO_FAULT);
    memset(out, 0, PRESTAT_SIZE); /* tag 0: a directory */
    store_u32(out + 4, (uint32_t)strlen(s->preopen_name));
    RETURN_ERRNO(ERRNO_SUCCESS);
}

WASI_FN(wc_wasi_fd_prestat_dir_name)
{
    wasi_stream *s = stream_of(env, args[0].i32);
    if (!s || !s->preopen_name)
        RETURN_ERRNO(ERRNO_BADF);
    size_t len = strlen(s->preopen_name);
    if (args[2].i32 < len)
        RETURN_ERRNO(ERRNO_NAMETOOLONG);
    uint8_t *out = guest_bytes(caller, args[1].i32, len);
    if (!out)
        RETURN_ERRNO(ERRNO_FAULT);
    memcpy(out, s->preopen_name, len);
    RETURN_ERRNO(ERRNO_SUCCESS);
}

/* ---- path_open --------------------------------------------------------- */

/* path_open(fd, lookupflags, path, path_len, oflags, rights_base,
 *           rights_inheriting, fdflags, *newfd) */
WASI_FN(wc_wasi_path_open)
{
    wc_wasi *w = env;
    uint32_t lookup = args[1].i32, oflags = args[4].i32, fdflags = args[7].i32;
    uint64_t base = args[5].i64, inheriting = args[6].i64;
    wasi_stream *dir;
    uint16_t e = dir_of(w, args[0].i32, RIGHTS_PATH_OPEN, &dir);
    if (e)
        RETURN_ERRNO(e);
    uint8_t *newfd = guest_bytes(caller, args[8].i32, 4);
    if (!newfd)
        RETURN_ERRNO(ERRNO_FAULT);
    char path[GUEST_PATH_MAX];
    if ((e = copy_path(caller, args[2].i32, args[3].i32, path)))
        RETURN_ERRNO(e);
    if ((oflags & ~0xfu) || (fdflags & ~0x1fu))
        RETURN_ERRNO(ERRNO_INVAL);

    bool creates = oflags & (OFLAGS_CREAT | OFLAGS_TRUNC);
    bool writes = (base & RIGHTS_HOST_WRITE) || creates || (fdflags & FDFLAGS_APPEND);
    if (writes && !dir->tree_writable)
        RETURN_ERRNO(ERRNO_ROFS);
    if ((oflags & OFLAGS_CREAT) && !(dir->rights & RIGHTS_PATH_CREATE_FILE))
        RETURN_ERRNO(ERRNO_NOTCAPABLE);
    /* A descriptor gets at most what its directory hands down. */
    base &= dir->inheriting;
    inheriting &= dir->inheriting;
    int slot = free_slot(w);
    if (slot < 0)
        RETURN_ERRNO(ERRNO_MFILE);

    bool host_write = base & RIGHTS_HOST_WRITE;
    bool host_read = base & (RIGHTS_FD_READ | RIGHTS_FD_READDIR);
    int flags = host_write ? (host_read ? O_RDWR : O_WRONLY) : O_RDONLY;
    /* Non-blocking while opening, so a FIFO cannot hold the thread; the
     * guest's own choice is set once it is known to be a file. */
    flags |= O_NOCTTY | O_NONBLOCK;
    if (oflags & OFLAGS_CREAT)
        flags |= O_CREAT;
    if (oflags & OFLAGS_EXCL)
        flags |= O_EXCL;
    if (oflags & OFLAGS_TRUNC)
        flags |= O_TRUNC;
    if (oflags & OFLAGS_DIRECTORY)
        flags |= O_DIRECTORY;
    if (fdflags & FDFLAGS_APPEND)
        flags |= O_APPEND;
    if (fdflags & FDFLAGS_DSYNC)
        flags |= O_DSYNC;
    if (fdflags & (FDFLAGS_SYNC | FDFLAGS_RSYNC))
        flags |= O_SYNC;
    if (!(lookup & LOOKUP_SYMLINK_FOLLOW))
        flags |= O_NOFOLLOW;
    int fd = open_beneath(dir->host_fd, path, flags, 0666);
    if (fd < 0)
        RETURN_ERRNO(resolve_errno(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        e = wc_wasi_errno(errno);
        close(fd);
        RETURN_ERRNO(e);
    }
    bool directory = S_ISDIR(st.st_mode);
    if (!directory && !S_ISREG(st.st_mode)) {
        close(fd);
        RETURN_ERRNO(ERRNO_NOTSUP);
    }
    if (!(fdflags & FDFLAGS_NONBLOCK))
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    uint64_t rights = base & (directory ? RIGHTS_DIRECTORY | RIGHTS_FD_READ : RIGHTS_FILE);
    if (!host_write)
        rights &= ~RIGHTS_HOST_WRITE;
    if (!host_read)
        rights &= ~RIGHTS_FD_READ;
    wasi_stream *s = new_entry(fd, directory, dir->tree_writable, rights,
                               directory ? inheriting : 0);
    if (!s) {
        close(fd);
        RETURN_ERRNO(ERRNO_NOMEM);
    }
    w->fds[slot] = s;
    if ((size_t)slot >= w->fs_fds_end)
        w->fs_fds_end = (size_t)slot + 1;
    store_u32(newfd, (uint32_t)slot);
    RETURN_ERRNO(ERRNO_SUCCESS);
}

/* ---- directories ------------------------------------------------------- */

static uint8_t dirent_type(unsigned char t)
{
    switch (t) {
    case DT_DIR: return FILETYPE_DIRECTORY;
    case DT_REG: return FILETYPE_REGULAR_FILE;
    case DT_LNK: return FILETYPE_SYMBOLIC_LINK;
    case DT_CHR: return FILETYPE_CHARACTER_DEVICE;
    case DT_BLK: return FILETYPE_BLOCK_DEVICE;
    case DT_SOCK: return FILETYPE_SOCKET_STREAM;
    default: return FILETYPE_UNKNOWN;
    }
}

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* fd_readdir(fd, buf, buf_len, cookie, *bufused): entries from cookie on,
 * each a 24-byte dirent and its name; the last one cut at the end of buf
 * (bufused == buf_len tells the guest to ask again from its cookie). */
WASI_FN(wc_wasi_fd_readdir)
{
    wasi_stream *s;
    uint16_t e = dir_of(env, args[0].i32, RIGHTS_FD_READDIR, &s);
    if (e)
        RETURN_ERRNO(e);
    uint32_t buf_len = args[2].i32;
    uint8_t *buf = guest_bytes(caller, args[1].i32, buf_len);
    uint8_t *bufused = guest_bytes(caller, args[4].i32, 4);
    if (!buf || !bufused)
        RETURN_ERRNO(ERRNO_FAULT);
    uint64_t cookie = args[3].i64;
    if (cookie > INT64_MAX || lseek(s->host_fd, (off_t)cookie, SEEK_SET) < 0)
        RETURN_ERRNO(cookie > INT64_MAX ? ERRNO_INVAL : wc_wasi_errno(errno));
    _Alignas(struct linux_dirent64) char batch[4096];
    uint32_t used = 0;
    /* Each round takes at least one entry and stops once buf is full, so
     * the rounds are bounded by the directory and by buf. */
    while (used < buf_len) {
        long n = syscall(SYS_getdents64, s->host_fd, batch, sizeof batch);
        if (n < 0)
            RETURN_ERRNO(wc_wasi_errno(errno));
        if (n == 0)
            break;
        for (long at = 0; at < n && used < buf_len;) {
            const struct linux_dirent64 *d = (const void *)(batch + at);
            at += d->d_reclen;
            uint8_t head[DIRENT_SIZE] = {0};
            size_t namelen = strlen(d->d_name);
            store_u64(head, (uint64_t)d->d_off);
            store_u64(head + 8, d->d_ino);
            store_u32(head + 16, (uint32_t)namelen);
            head[20] = dirent_type(d->d_type);
            uint32_t room = buf_len - used;
            uint32_t take = room < DIRENT_SIZE ? room : DIRENT_SIZE;
            memcpy(buf + used, head, take);
            used += take;
            room = buf_len - used;
            take = room < namelen ? room : (uint32_t)namelen;
            memcpy(buf + used, d->d_name, take);
            used += take;
        }
    }
    store_u32(bufused, used);
    RETURN_ERRNO(ERRNO_SUCCESS);
}

WASI_FN(wc_wasi_path_create_directory)
{
    wasi_stream *dir;
    uint16_t e = dir_of(env, args[0].i32, RIGHTS_PATH_CREATE_DIRECTORY, &dir);
    char path[GUEST_PATH_MAX];
    if (e || (e = copy_path(caller, args[1].i32, args[2].i32, path)))
        RETURN_ERRNO(e);
    int parent;
    const char *last;
    if ((e = open_parent(dir->host_fd, path, &parent, &last)))
        RETURN_ERRNO(e);
    int rc = mkdirat(parent, last, 0777);
    e = rc ? wc_wasi_errno(errno) : ERRNO_SUCCESS;
    close(parent);
    RETURN_ERRNO(e);
}

/* unlinkat(2) of a name beneath fd: a file, or a directory with AT_REMOVEDIR. */
static uint16_t unlink_name(wc_instance *caller, wc_wasi *w, const wc_value *args, uint64_t right,
                            int flags)
{
    wasi_stream *dir;
    uint16_t e = dir_of(w, args[0].i32, right, &dir);
    char path[GUEST_PATH_MAX];
    if (e || (e = copy_path(caller, args[1].i32, args[2].i32, path)))
        return e;
    int parent;
    const char *last;
    if ((e = open_parent(dir->host_fd, path, &parent, &last)))
        return e;
    int rc = unlinkat(parent, last, flags);
    e = rc ? wc_wasi_errno(errno) : ERRNO_SUCCESS;
    close(parent);
    return e;
}

WASI_FN(wc_wasi_path_remove_directory)
{
    RETURN_ERRNO(unlink_name(caller, env, args, RIGHTS_PATH_REMOVE_DIRECTORY, AT_REMOVEDIR));
}

WASI_FN(wc_wasi_path_unlink_file)
{
    RETURN_ERRNO(unlink_name(caller, env, args, RIGHTS_PATH_UNLINK_FILE, 0));
}

/* Two names, each beneath its own directory fd: rename and link. */
typedef struct name_pair {
    char path[2][GUEST_PATH_MAX];
    int parent[2];
    const char *last[2];
} name_pair;

static uint16_t open_pair(wc_instance *caller, wc_wasi *w, name_pair *np, const uint32_t fd[2],
                          const uint32_t ptr[2], const uint32_t len[2], const uint64_t right[2])
{
    np->parent[0] = np->parent[1] = -1;
    for (int i = 0; i < 2; i++) {
        wasi_stream *dir;
        uint16_t e = dir_of(w, fd[i], right[i], &dir);
        if (e || (e = copy_path(caller, ptr[i], len[i], np->path[i])) ||
            (e = open_parent(dir->host_fd, np->path[i], &np->parent[i], &np->last[i])))
            return e;
    }
    return ERRNO_SUCCESS;
}

static void close_pair(name_pair *np)
{
    for (int i = 0; i < 2; i++)
        if (np->parent[i] >= 0)
            close(np->parent[i]);
}

/* path_rename(fd, old_path, old_len, new_fd, new_path, new_len) */
WASI_FN(wc_wasi_path_rename)
{
    name_pair *np = malloc(sizeof *np);
    if (!np)
        RETURN_ERRNO(ERRNO_NOMEM);
    uint16_t e = open_pair(caller, env, np, (uint32_t[2]){args[0].i32, args[3].i32},
                           (uint32_t[2]){args[1].i32, args[4].i32},
                           (uint32_t[2]){args[2].i32, args[5].i32},
                           (uint64_t[2]){RIGHTS_PATH_RENAME_SOURCE, RIGHTS_PATH_RENAME_TARGET});
    if (!e && renameat(np->parent[0], np->last[0], np->parent[1], np->last[1]) != 0)
        e = wc_wasi_errno(errno);
    close_pair(np);
    free(np);
    RETURN_ERRNO(e);
}

/* path_link(old_fd, old_flags, old_path, old_len, new_fd, new_path, new_len):
 * a hard link to the old name itself (following a symlink there would
 * resolve it outside openat2's watch, so that is refused). */
WASI_FN(wc_wasi_path_link)
{
    if (args[1].i32 & LOOKUP_SYMLINK_FOLLOW)
        RETURN_ERRNO(ERRNO_NOTSUP);
    name_pair *np = malloc(sizeof *np);
    if (!np)
        RETURN_ERRNO(ERRNO_NOMEM);
    uint16_t e = open_pair(caller, env, np, (uint32_t[2]){args[0].i32, args[4].i32},
                           (uint32_t[2]){args[2].i32, args[5].i32},
                           (uint32_t[2]){args[3].i32, args[6].i32},
                           (uint64_t[2]){RIGHTS_PATH_LINK_SOURCE, RIGHTS_PATH_LINK_TARGET});
    if (!e && linkat(np->parent[0], np->last[0], np->parent[1], np->last[1], 0) != 0)
        e = wc_wasi_errno(errno);
    close_pair(np);
    free(np);
    RETURN_ERRNO(e);
}

/* path_symlink(old_path, old_len, fd, new_path, new_len): any target text
 * may be written; following it later is resolved beneath like any path. */
WASI_FN(wc_wasi_path_symlink)
{
    wasi_stream *dir;
    uint16_t e = dir_of(env, args[2].i32, RIGHTS_PATH_SYMLINK, &dir);
    if (e)
        RETURN_ERRNO(e);
    char *paths = malloc(2 * GUEST_PATH_MAX);
    if (!paths)
        RETURN_ERRNO(ERRNO_NOMEM);
    char *target = paths, *path = paths + GUEST_PATH_MAX;
    int parent = -1;
    const char *last;
    if (!(e = copy_path(caller, args[0].i32, args[1].i32, target)) &&
        !(e = copy_path(caller, args[3].i32, args[4].i32, path)) &&
        !(e = open_parent(dir->host_fd, path, &parent, &last)) &&
        symlinkat(target, parent, last) != 0)
        e = wc_wasi_errno(errno);
    if (parent >= 0)
        close(parent);
    free(paths);
    RETURN_ERRNO(e);
}

/* path_readlink(fd, path, path_len, buf, buf_len, *bufused) */
WASI_FN(wc_wasi_path_readlink)
{
    wasi_stream *dir;
    uint16_t e = dir_of(env, args[0].i32, RIGHTS_PATH_READLINK, &dir);
    char path[GUEST_PATH_MAX];
    if (e || (e = copy_path(caller, args[1].i32, args[2].i32, path)))
        RETURN_ERRNO(e);
    uint8_t *buf = guest_bytes(caller, args[3].i32, args[4].i32);
    uint8_t *bufused = guest_bytes(caller, args[5].i32, 4);
    if (!buf || !bufused)
        RETURN_ERRNO(ERRNO_FAULT);
    int parent;
    const char *last;
    if ((e = open_parent(dir->host_fd, path, &parent, &last)))
        RETURN_ERRNO(e);
    char target[GUEST_PATH_MAX];
    ssize_t n = readlinkat(parent, last, target, sizeof target);
    e = n < 0 ? wc_wasi_errno(errno) : ERRNO_SUCCESS;
    close(parent);
    if (e)
        RETURN_ERRNO(e);
    /* Cut to the guest's buffer, as readlink(2) does. */
    size_t take = (size_t)n < args[4].i32 ? (size_t)n : args[4].i32;
    memcpy(buf, target, take);
    store_u32(bufused, (uint32_t)take);
    RETURN_ERRNO(ERRNO_SUCCESS);
}

/* ---- metadata ---------------------------------------------------------- */

/* path_filestat_get(fd, lookupflags, path, path_len, *filestat) */
WASI_FN(wc_wasi_path_filestat_get)
{
    wasi_stream *dir;
    uint16_t e = dir_of(env, args[0].i32, RIGHTS_PATH_FILESTAT_GET, &dir);
    char path[GUEST_PATH_MAX];
    if (e || (e = copy_path(caller, args[2].i32, args[3].i32, path)))
        RETURN_ERRNO(e);
    uint8_t *out = guest_bytes(caller, args[4].i32, FILESTAT_SIZE);
    if (!out)
        RETURN_ERRNO(ERRNO_FAULT);
    int flags = O_PATH | (args[1].i32 & LOOKUP_SYMLINK_FOLLOW ? 0 : O_NOFOLLOW);
    int fd = open_beneath(dir->host_fd, path, flags, 0);
    if (fd < 0)
        RETURN_ERRNO(resolve_errno(errno));
    struct stat st;
    e = fstat(fd, &st) ? wc_wasi_errno(errno) : ERRNO_SUCCESS;
    close(fd);
    if (!e)
        wc_wasi_put_filestat(out, wc_wasi_filetype(st.st_mode), &st, true);
    RETURN_ERRNO(e);
}

/* Preview-1 times and their flags as utimensat's pair. */
static uint16_t make_times(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2])
{
    if ((fst & ~0xfu) || ((fst & FSTFLAGS_ATIM) && (fst & FSTFLAGS_ATIM_NOW)) ||
        ((fst & FSTFLAGS_MTIM) && (fst & FSTFLAGS_MTIM_NOW)))
        return ERRNO_INVAL;
    const uint64_t when[2] = {atim, mtim};
    const uint32_t set[2] = {FSTFLAGS_ATIM, FSTFLAGS_MTIM}, now[2] = {FSTFLAGS_ATIM_NOW, FSTFLAGS_MTIM_NOW};
    for (int i = 0; i < 2; i++) {
        if (fst & set[i])
            ts[i] = (struct timespec){.tv_sec = (time_t)(when[i] / NSEC_PER_SEC),
                                      .tv_nsec = (long)(when[i] % NSEC_PER_SEC)};
        else
            ts[i] = (struct timespec){.tv_nsec = (fst & now[i]) ? UTIME_NOW : UTIME_OMIT};
    }
    return ERRNO_SUCCESS;
}

/* path_filestat_set_times(fd, lookupflags, path, path_len, atim, mtim, fst_flags) */
WASI_FN(wc_wasi_path_filestat_set_times)
{
    wasi_stream *dir;
    uint16_t e = dir_of(env, args[0].i32, RIGHTS_PATH_FILESTAT_SET_TIMES, &dir);
    char path[GUEST_PATH_MAX];
    struct timespec ts[2];
    if (e || (e = copy_path(caller, args[2].i32, args[3].i32, path)) ||
        (e = make_times(args[4].i64, args[5].i64, args[6].i32, ts)))
        RETURN_ERRNO(e);
    if (args[1].i32 & LOOKUP_SYMLINK_FOLLOW) {
        /* Resolved (and followed) beneath, then set on what was found. */
        int fd = open_beneath(dir->host_fd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
        if (fd < 0)
            RETURN_ERRNO(resolve_errno(errno));
        e = futimens(fd, ts) ? wc_wasi_errno(errno) : ERRNO_SUCCESS;
        close(fd);
        RETURN_ERRNO(e);
    }
    int parent;
    const char *last;
    if ((e = open_parent(dir->host_fd, path, &parent, &last)))
        RETURN_ERRNO(e);
    e = utimensat(parent, last, ts, AT_SYMLINK_NOFOLLOW) ? wc_wasi_errno(errno) : ERRNO_SUCCESS;
    close(parent);
    RETURN_ERRNO(e);
}

/* fd_filestat_set_times(fd, atim, mtim, fst_flags) */
WASI_FN(wc_wasi_fd_filestat_set_times)
{
    wasi_stream *s;
    struct timespec ts[2];
    uint16_t e = file_of(env, args[0].i32, RIGHTS_FD_FILESTAT_SET_TIMES, &s);
    if (e || (e = make_times(args[1].i64, args[2].i64, args[3].i32, ts)))
        RETURN_ERRNO(e);
    RETURN_ERRNO(futimens(s->host_fd, ts) ? wc_wasi_errno(errno) : ERRNO_SUCCESS);
}

/* fd_filestat_set_size(fd, size) */
WASI_FN(wc_wasi_fd_filestat_set_size)
{
    wasi_stream *s;
    uint16_t e = file_of(env, args[0].i32, RIGHTS_FD_FILESTAT_SET_SIZE, &s);
    if (e)
        RETURN_ERRNO(e);
    if (args[1].i64 > INT64_MAX)
        RETURN_ERRNO(ERRNO_INVAL);
    RETURN_ERRNO(ftruncate(s->host_fd, (off_t)args[1].i64) ? wc_wasi_errno(errno) : ERRNO_SUCCESS);
}

/* fd_allocate(fd, offset, len) */
WASI_FN(wc_wasi_fd_allocate)
{
    wasi_stream *s;
    uint16_t e = file_of(env, args[0].i32, RIGHTS_FD_ALLOCATE, &s);
    if (e)
        RETURN_ERRNO(e);
    uint64_t off = args[1].i64, len = args[2].i64;
    if (off > INT64_MAX || len > INT64_MAX || len == 0)
        RETURN_ERRNO(ERRNO_INVAL);
    int rc = posix_fallocate(s->host_fd, (off_t)off, (off_t)len);
    RETURN_ERRNO(rc ? wc_wasi_errno(rc) : ERRNO_SUCCESS);
}

/* fd_advise(fd, offset, len, advice): advice only, so success is enough
 * once the arguments are sound. */
WASI_FN(wc_wasi_fd_advise)
{
    wasi_stream *s;
    uint16_t e = file_of(env, args[0].i32, RIGHTS_FD_ADVISE, &s);
    if (e)
        RETURN_ERRNO(e);
    if (args[3].i32 > ADVICE_NOREUSE || args[1].i64 > INT64_MAX || args[2].i64 > INT64_MAX)
        RETURN_ERRNO(ERRNO_INVAL);
    RETURN_ERRNO(ERRNO_SUCCESS);
}

/* fd_fdstat_set_rights(fd, base, inheriting): rights only shrink. */
WASI_FN(wc_wasi_fd_fdstat_set_rights)
{
    wasi_stream *s = stream_of(env, args[0].i32);
    if (!s)
        RETURN_ERRNO(ERRNO_BADF);
    uint64_t base = args[1].i64, inheriting = args[2].i64;
    if ((base & ~s->rights) || (inheriting & ~s->inheriting))
        RETURN_ERRNO(ERRNO_NOTCAPABLE);
    s->rights = base;
    s->inheriting = inheriting;
    RETURN_ERRNO(ERRNO_SUCCESS);
}
