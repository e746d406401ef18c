/* wasi_internal.h -- what wasi.c (streams, clocks, the import table) and
 * wasi_fs.c (preopened directories and the files opened beneath them) share.
 *
 * Layout and constants follow the preview-1 witx definitions (wasi-libc's
 * <wasi/api.h>).  Private to the host layer.
 */
#ifndef WC_HOST_WASI_INTERNAL_H
#define WC_HOST_WASI_INTERNAL_H

#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#include "host/wasi.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "wasi stores guest values in host byte order, which must be little-endian"
#endif

/* ---- preview-1 constants --------------------------------------------- */

enum {
    ERRNO_SUCCESS = 0,
    ERRNO_2BIG = 1,
    ERRNO_ACCES = 2,
    ERRNO_AGAIN = 6,
    ERRNO_BADF = 8,
    ERRNO_BUSY = 10,
    ERRNO_CONNRESET = 15,
    ERRNO_DQUOT = 19,
    ERRNO_EXIST = 20,
    ERRNO_FAULT = 21,
    ERRNO_FBIG = 22,
    ERRNO_ILSEQ = 25,
    ERRNO_INTR = 27,
    ERRNO_INVAL = 28,
    ERRNO_IO = 29,
    ERRNO_ISDIR = 31,
    ERRNO_LOOP = 32,
    ERRNO_MFILE = 33,
    ERRNO_MLINK = 34,
    ERRNO_NAMETOOLONG = 37,
    ERRNO_NOENT = 44,
    ERRNO_NOMEM = 48,
    ERRNO_NOSPC = 51,
    ERRNO_NOSYS = 52,
    ERRNO_NOTDIR = 54,
    ERRNO_NOTEMPTY = 55,
    ERRNO_NOTSUP = 58,
    ERRNO_NXIO = 60,
    ERRNO_OVERFLOW = 61,
    ERRNO_PERM = 63,
    ERRNO_PIPE = 64,
    ERRNO_ROFS = 69,
    ERRNO_SPIPE = 70,
    ERRNO_TXTBSY = 74,
    ERRNO_XDEV = 75,
    ERRNO_NOTCAPABLE = 76,
};

enum {
    FILETYPE_UNKNOWN = 0,
    FILETYPE_BLOCK_DEVICE = 1,
    FILETYPE_CHARACTER_DEVICE = 2,
    FILETYPE_DIRECTORY = 3,
    FILETYPE_REGULAR_FILE = 4,
    FILETYPE_SOCKET_STREAM = 6,
    FILETYPE_SYMBOLIC_LINK = 7,
};

enum {
    FDFLAGS_APPEND = 1 << 0,
    FDFLAGS_DSYNC = 1 << 1,
    FDFLAGS_NONBLOCK = 1 << 2,
    FDFLAGS_RSYNC = 1 << 3,
    FDFLAGS_SYNC = 1 << 4,
};

#define RIGHT(bit) (UINT64_C(1) << (bit))
#define RIGHTS_FD_DATASYNC RIGHT(0)
#define RIGHTS_FD_READ RIGHT(1)
#define RIGHTS_FD_SEEK RIGHT(2)
#define RIGHTS_FD_FDSTAT_SET_FLAGS RIGHT(3)
#define RIGHTS_FD_SYNC RIGHT(4)
#define RIGHTS_FD_TELL RIGHT(5)
#define RIGHTS_FD_WRITE RIGHT(6)
#define RIGHTS_FD_ADVISE RIGHT(7)
#define RIGHTS_FD_ALLOCATE RIGHT(8)
#define RIGHTS_PATH_CREATE_DIRECTORY RIGHT(9)
#define RIGHTS_PATH_CREATE_FILE RIGHT(10)
#define RIGHTS_PATH_LINK_SOURCE RIGHT(11)
#define RIGHTS_PATH_LINK_TARGET RIGHT(12)
#define RIGHTS_PATH_OPEN RIGHT(13)
#define RIGHTS_FD_READDIR RIGHT(14)
#define RIGHTS_PATH_READLINK RIGHT(15)
#define RIGHTS_PATH_RENAME_SOURCE RIGHT(16)
#define RIGHTS_PATH_RENAME_TARGET RIGHT(17)
#define RIGHTS_PATH_FILESTAT_GET RIGHT(18)
#define RIGHTS_PATH_FILESTAT_SET_SIZE RIGHT(19)
#define RIGHTS_PATH_FILESTAT_SET_TIMES RIGHT(20)
#define RIGHTS_FD_FILESTAT_GET RIGHT(21)
#define RIGHTS_FD_FILESTAT_SET_SIZE RIGHT(22)
#define RIGHTS_FD_FILESTAT_SET_TIMES RIGHT(23)
#define RIGHTS_PATH_SYMLINK RIGHT(24)
#define RIGHTS_PATH_REMOVE_DIRECTORY RIGHT(25)
#define RIGHTS_PATH_UNLINK_FILE RIGHT(26)
#define RIGHTS_POLL_FD_READWRITE RIGHT(27)

/* Sizes of guest structures. */
enum {
    IOVEC_SIZE = 8,     /* {u32 buf, u32 len} */
    FDSTAT_SIZE = 24,   /* u8 filetype @0, u16 flags @2, u64 rights @8, @16 */
    FILESTAT_SIZE = 64, /* dev, ino, u8 filetype @16, nlink @24, size @32,
                           atim @40, mtim @48, ctim @56 */
};

#define NSEC_PER_SEC UINT64_C(1000000000)

/* ---- state ------------------------------------------------------------- */

/* What a guest descriptor refers to (an "open file description"): one of
 * the three standard streams, or a directory or file of a preopen. */
typedef struct wasi_stream {
    wc_wasi_stdio_kind kind; /* files and directories are HOST_FD */
    uint64_t rights, inheriting; /* what the guest may do with it */
    int host_fd;
    uint16_t fdflags; /* recorded for NULL and BUFFER streams */
    /* stdin BUFFER: our copy and the read position */
    uint8_t *input;
    size_t input_size, input_pos;
    /* stdout/stderr BUFFER */
    uint8_t *captured;
    size_t captured_size, captured_cap, max_capture;
    bool truncated;
    /* Filesystem entries (wasi_fs.c): heap-allocated, host_fd owned. */
    bool fs;
    bool directory;
    bool tree_writable;       /* beneath a read-write grant */
    const char *preopen_name; /* a preopen: its guest path (borrowed) */
} wasi_stream;

/* argv or environ, laid out the way args_get/environ_get return them. */
typedef struct string_list {
    size_t count;
    uint32_t *offsets; /* of each string in blob */
    char *blob;        /* the strings, each NUL-terminated */
    size_t blob_size;
} string_list;

struct wc_wasi {
    string_list args, env;
    wasi_stream streams[3];
    /* guest fd -> its stream: &streams[i] for the standard ones, a heap
     * wasi_stream for filesystem entries; NULL when closed.  A full table
     * makes path_open fail with EMFILE. */
    wasi_stream *fds[WC_WASI_MAX_FDS];
    /* One past the highest fd a file or directory was given: fd_renumber
     * only moves one onto a lower open fd, so wc_wasi_free closes them all
     * below it (and skips the scan in a call that opened none). */
    size_t fs_fds_end;

    bool virtual_clock;
    uint64_t virtual_now_ns;
    bool fixed_random;
    uint64_t random_state;

    /* Sleeping guests wait on `wake` so another thread can interrupt them. */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool interrupted;
    uint64_t deadline_ns; /* CLOCK_MONOTONIC; 0: none */

    /* Made on the first wc_wasi_bindings: hosts that bind only the few
     * functions a module imports (the plugin layer, per call) never pay for
     * the table. */
    wc_import_binding *bindings;
};

/* ---- helpers (wasi.c) -------------------------------------------------- */

/* A host pointer to guest bytes [offset, offset + len), or NULL when out of
 * bounds.  An empty range is always valid (and never dereferenced). */
static inline uint8_t *guest_bytes(wc_instance *inst, uint64_t offset, uint64_t len)
{
    static uint8_t nothing;
    if (len == 0)
        return &nothing;
    return wc_instance_mem(inst, offset, len);
}

/* The stream behind a guest fd, or NULL if it is not open. */
static inline wasi_stream *stream_of(wc_wasi *w, uint32_t fd)
{
    return fd < WC_WASI_MAX_FDS ? w->fds[fd] : NULL;
}

static inline uint16_t load_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t load_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t load_u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline void store_u16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void store_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void store_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* A host errno as a preview-1 one. */
uint16_t wc_wasi_errno(int host_errno);
/* The preview-1 file type of a stat mode. */
uint8_t wc_wasi_filetype(mode_t mode);
/* A stat as a preview-1 filestat at out (FILESTAT_SIZE bytes); device and
 * inode numbers only when ids (files of a grant, not the host's streams). */
void wc_wasi_put_filestat(uint8_t *out, uint8_t filetype, const struct stat *st, bool ids);

#define RETURN_ERRNO(e)             \
    do {                            \
        results[0].i32 = (e);       \
        return WC_TRAP_NONE;        \
    } while (0)

/* ---- the filesystem (wasi_fs.c) ---------------------------------------- */

/* Opens the config's preopens as fds 3, 4, ...; 0 or a WC_E* code. */
int wc_wasi_fs_open_preopens(wc_wasi *w, const wc_wasi_config *config, wc_error *err);
/* Closes a filesystem entry's host descriptor and frees it. */
void wc_wasi_fs_close(wasi_stream *s);

#define WASI_FN(name)                                                 \
    wc_trap name(wc_instance *caller, void *env, const wc_value *args, \
                 wc_value *results)
WASI_FN(wc_wasi_fd_prestat_get);
WASI_FN(wc_wasi_fd_prestat_dir_name);
WASI_FN(wc_wasi_path_open);
WASI_FN(wc_wasi_fd_readdir);
WASI_FN(wc_wasi_path_filestat_get);
WASI_FN(wc_wasi_path_filestat_set_times);
WASI_FN(wc_wasi_path_create_directory);
WASI_FN(wc_wasi_path_remove_directory);
WASI_FN(wc_wasi_path_unlink_file);
WASI_FN(wc_wasi_path_rename);
WASI_FN(wc_wasi_path_link);
WASI_FN(wc_wasi_path_symlink);
WASI_FN(wc_wasi_path_readlink);
WASI_FN(wc_wasi_fd_advise);
WASI_FN(wc_wasi_fd_allocate);
WASI_FN(wc_wasi_fd_fdstat_set_rights);
WASI_FN(wc_wasi_fd_filestat_set_size);
WASI_FN(wc_wasi_fd_filestat_set_times);

#endif
