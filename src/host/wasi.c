/* wasi.c -- WASI preview 1 for command modules.
 *
 * Layout and constants follow the preview-1 witx definitions (wasi-libc's
 * <wasi/api.h>).  The guest only ever hands us offsets into its linear
 * memory; every one is turned into a host pointer by guest_bytes(), which
 * checks the whole range, so a hostile guest gets EFAULT and never reaches
 * host memory.  Guest memory may be unaligned: all loads and stores go
 * through memcpy.
 */
#include "host/wasi.h"
#include "host/wasi_internal.h"
#include "util/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* ---- preview-1 constants of clocks and polls ------------------------ */

enum {
    CLOCK_ID_REALTIME = 0,
    CLOCK_ID_MONOTONIC = 1,
    CLOCK_ID_PROCESS_CPUTIME = 2,
    CLOCK_ID_THREAD_CPUTIME = 3,
};

enum { WHENCE_SET = 0, WHENCE_CUR = 1, WHENCE_END = 2 };

enum { EVENTTYPE_CLOCK = 0, EVENTTYPE_FD_READ = 1, EVENTTYPE_FD_WRITE = 2 };
#define SUBCLOCKFLAGS_ABSTIME 1

enum {
    SUBSCRIPTION_SIZE = 48, /* u64 userdata @0, u8 tag @8, union @16:
                               clock {u32 id @16, u64 timeout @24,
                               u64 precision @32, u16 flags @40},
                               fd {u32 fd @16} */
    EVENT_SIZE = 32,       /* u64 userdata @0, u16 error @8, u8 type @10,
                              u64 nbytes @16, u16 flags @24 */
};

/* Host iovecs gathered for one readv/writev; a guest passing more gets a
 * short transfer, which every libc handles. */
#define MAX_HOST_IOVECS 64

typedef struct wasi_function {
    const char *name, *params, *results;
    wc_host_fn fn;
} wasi_function;

#define WASI_FUNCTION_COUNT 45

/* Stores a u64 result at a guest offset; false when out of bounds. */
static bool put_u64(wc_instance *inst, uint32_t offset, uint64_t v)
{
    uint8_t *p = guest_bytes(inst, offset, 8);
    if (!p)
        return false;
    store_u64(p, v);
    return true;
}

/* ---- helpers ----------------------------------------------------------- */

uint16_t wc_wasi_errno(int e)
{
    switch (e) {
    case E2BIG: return ERRNO_2BIG;
    case EACCES: return ERRNO_ACCES;
    case EAGAIN: return ERRNO_AGAIN;
    case EBADF: return ERRNO_BADF;
    case EBUSY: return ERRNO_BUSY;
    case ECONNRESET: return ERRNO_CONNRESET;
    case EDQUOT: return ERRNO_DQUOT;
    case EEXIST: return ERRNO_EXIST;
    case EFAULT: return ERRNO_FAULT;
    case EFBIG: return ERRNO_FBIG;
    case EILSEQ: return ERRNO_ILSEQ;
    case EINTR: return ERRNO_INTR;
    case EINVAL: return ERRNO_INVAL;
    case EISDIR: return ERRNO_ISDIR;
    case ELOOP: return ERRNO_LOOP;
    case EMFILE: return ERRNO_MFILE;
    case EMLINK: return ERRNO_MLINK;
    case ENAMETOOLONG: return ERRNO_NAMETOOLONG;
    case ENOENT: return ERRNO_NOENT;
    case ENOMEM: return ERRNO_NOMEM;
    case ENOSPC: return ERRNO_NOSPC;
    case ENOSYS: return ERRNO_NOSYS;
    case ENOTDIR: return ERRNO_NOTDIR;
    case ENOTEMPTY: return ERRNO_NOTEMPTY;
    case ENOTSUP: return ERRNO_NOTSUP;
    case ENXIO: return ERRNO_NXIO;
    case EOVERFLOW: return ERRNO_OVERFLOW;
    case EPERM: return ERRNO_PERM;
    case EPIPE: return ERRNO_PIPE;
    case EROFS: return ERRNO_ROFS;
    case ESPIPE: return ERRNO_SPIPE;
    case ETXTBSY: return ERRNO_TXTBSY;
    case EXDEV: return ERRNO_XDEV;
    default: return ERRNO_IO;
    }
}

static uint64_t add_saturating(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t timespec_to_ns(const struct timespec *ts)
{
    return (uint64_t)ts->tv_sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
}

static bool host_clock_id(uint32_t id, clockid_t *out)
{
    switch (id) {
    case CLOCK_ID_REALTIME: *out = CLOCK_REALTIME; return true;
    case CLOCK_ID_MONOTONIC: *out = CLOCK_MONOTONIC; return true;
    case CLOCK_ID_PROCESS_CPUTIME: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
    case CLOCK_ID_THREAD_CPUTIME: *out = CLOCK_THREAD_CPUTIME_ID; return true;
    default: return false;
    }
}

/* The time of a guest clock, or an errno. */
static uint16_t clock_now(const wc_wasi *w, uint32_t id, uint64_t *out)
{
    clockid_t host;
    if (!host_clock_id(id, &host))
        return ERRNO_INVAL;
    if (w->virtual_clock) {
        *out = w->virtual_now_ns;
        return ERRNO_SUCCESS;
    }
    struct timespec ts;
    if (clock_gettime(host, &ts) != 0)
        return wc_wasi_errno(errno);
    *out = timespec_to_ns(&ts);
    return ERRNO_SUCCESS;
}

static bool can_read(const wasi_stream *s) { return s && (s->rights & RIGHTS_FD_READ); }
static bool can_write(const wasi_stream *s) { return s && (s->rights & RIGHTS_FD_WRITE); }

/* ---- args and environ -------------------------------------------------- */

static int string_list_init(string_list *list, size_t count,
                            const char *const *strings, bool need_equals,
                            const char *what, wc_error *err)
{
    memset(list, 0, sizeof *list);
    if (count > 0 && !strings)
        return wc_error_set(err, WC_EINVAL, "wasi: %s is NULL", what);
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        if (!strings[i])
            return wc_error_set(err, WC_EINVAL, "wasi: %s[%zu] is NULL", what, i);
        if (need_equals && !strchr(strings[i], '='))
            return wc_error_set(err, WC_EINVAL,
                                "wasi: %s[%zu] \"%s\" is not KEY=VALUE", what, i,
                                strings[i]);
        total += strlen(strings[i]) + 1;
    }
    /* Guest sizes and pointers are 32 bits. */
    if (total > UINT32_MAX / 2 || count > UINT32_MAX / 8)
        return wc_error_set(err, WC_EINVAL, "wasi: %s is too large", what);
    if (count == 0)
        return 0; /* the usual case for plugins: no allocation per instance */
    list->offsets = malloc(count * sizeof *list->offsets);
    list->blob = malloc(total);
    if (!list->offsets || !list->blob)
        return wc_error_set(err, WC_ENOMEM, "wasi: out of memory");
    size_t pos = 0;
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(strings[i]) + 1;
        list->offsets[i] = (uint32_t)pos;
        memcpy(list->blob + pos, strings[i], len);
        pos += len;
    }
    list->count = count;
    list->blob_size = total;
    return 0;
}

static void string_list_free(string_list *list)
{
    free(list->offsets);
    free(list->blob);
}

static uint16_t string_list_sizes(wc_instance *inst, const string_list *list,
                                  uint32_t count_ptr, uint32_t size_ptr)
{
    uint8_t *count = guest_bytes(inst, count_ptr, 4);
    uint8_t *size = guest_bytes(inst, size_ptr, 4);
    if (!count || !size)
        return ERRNO_FAULT;
    store_u32(count, (uint32_t)list->count);
    store_u32(size, (uint32_t)list->blob_size);
    return ERRNO_SUCCESS;
}

static uint16_t string_list_get(wc_instance *inst, const string_list *list,
                                uint32_t pointers_ptr, uint32_t buf_ptr)
{
    uint8_t *pointers = guest_bytes(inst, pointers_ptr, (uint64_t)list->count * 4);
    uint8_t *buf = guest_bytes(inst, buf_ptr, list->blob_size);
    if (!pointers || !buf)
        return ERRNO_FAULT;
    if (list->blob_size)
        memmove(buf, list->blob, list->blob_size);
    /* Both ranges are inside a 32-bit memory, so these sums fit. */
    for (size_t i = 0; i < list->count; i++)
        store_u32(pointers + 4 * i, buf_ptr + list->offsets[i]);
    return ERRNO_SUCCESS;
}

static wc_trap wasi_args_get(wc_instance *caller, void *env,
                             const wc_value *args, wc_value *results)
{
    wc_wasi *w = env;
    RETURN_ERRNO(string_list_get(caller, &w->args, args[0].i32, args[1].i32));
}

static wc_trap wasi_args_sizes_get(wc_instance *caller, void *env,
                                   const wc_value *args, wc_value *results)
{
    wc_wasi *w = env;
    RETURN_ERRNO(string_list_sizes(caller, &w->args, args[0].i32, args[1].i32));
}

static wc_trap wasi_environ_get(wc_instance *caller, void *env,
                                const wc_value *args, wc_value *results)
{
    wc_wasi *w = env;
    RETURN_ERRNO(string_list_get(caller, &w->env, args[0].i32, args[1].i32));
}

static wc_trap wasi_environ_sizes_get(wc_instance *caller, void *env,
                                      const wc_value *args, wc_value *results)
{
    wc_wasi *w = env;
    RETURN_ERRNO(string_list_sizes(caller, &w->env, args[0].i32, args[1].i32));
}

/* ---- clocks, randomness, process --------------------------------------- */

static wc_trap wasi_clock_res_get(wc_instance *caller, void *env,
                                  const wc_value *args, wc_value *results)
{
    wc_wasi *w = env;
    clockid_t host;
    if (!host_clock_id(args[0].i32, &host))
        RETURN_ERRNO(ERRNO_INVAL);
    uint64_t res = 1;
    if (!w->virtual_clock) {
        struct timespec ts;
        if (clock_getres(host, &ts) != 0)
            RETURN_ERRNO(wc_wasi_errno(errno));
        res = timespec_to_ns(&ts);
    }
    RETURN_ERRNO(put_u64(caller, args[1].i32, res) ? ERRNO_SUCCESS : ERRNO_FAULT);
}

static wc_trap wasi_clock_time_get(wc_instance *caller, void *env,
                                   const wc_value *args, wc_value *results)
{
    wc_wasi *w = env;
    uint64_t now = 0;
    uint16_t e = clock_now(w, args[0].i32, &now); /* args[1]: precision, unused */
    if (e)
        RETURN_ERRNO(e);
    RETURN_ERRNO(put_u64(caller, args[2].i32, now) ? ERRNO_SUCCESS : ERRNO_FAULT);
}

/* splitmix64: a tiny, well-mixed generator for reproducible test runs. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static wc_trap wasi_random_get(wc_instance *caller, void *env,
                               const wc_value *args, wc_value *results)
{
    wc_wasi *w = env;
    uint32_t len = args[1].i32;
    uint8_t *buf = guest_bytes(caller, args[0].i32, len);
    if (!buf)
        RETURN_ERRNO(ERRNO_FAULT);
    if (w->fixed_random) {
        for (uint32_t i = 0; i < len; i += 8) {
            uint64_t r = splitmix64(&w->random_state);
            memcpy(buf + i, &r, len - i < 8 ? len - i : 8);
        }
        RETURN_ERRNO(ERRNO_SUCCESS);
    }
    size_t done = 0;
    while (done < len) {
        /* getrandom returns at most 32 MiB per call; loop for the rest. */
        ssize_t n = getrandom(buf + done, len - done, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            RETURN_ERRNO(wc_wasi_errno(errno));
        }
        done += (size_t)n;
    }
    RETURN_ERRNO(ERRNO_SUCCESS);
}

static wc_trap wasi_proc_exit(wc_instance *caller, void *env,
                              const wc_value *args, wc_value *results)
{
    wc_instance_set_exit_code(caller, (int)args[0].i32);
    return WC_TRAP_EXIT;
}

static wc_trap wasi_sched_yield(wc_instance *caller, void *env,
                                const wc_value *args, wc_value *results)
{
    sched_yield();
    RETURN_ERRNO(ERRNO_SUCCESS);
}

/* ---- reading and writing ----------------------------------------------- */

/* Checks a guest iovec array and maps each entry (at most max_entries) to a
 * host iovec.  Returns an errno; *count gets the number mapped and *total
 * their summed length. */
static uint16_t map_iovecs(wc_instance *inst, uint32_t iovs_ptr, uint32_t iovs_len,
                           struct iovec *out, size_t max_entries, size_t *count,
                           uint64_t *total)
{
    const uint8_t *iovs = guest_bytes(inst, iovs_ptr, (uint64_t)iovs_len * IOVEC_SIZE);
    if (!iovs)
        return ERRNO_FAULT;
    size_t n = 0;
    uint64_t sum = 0;
    for (uint32_t i = 0; i < iovs_len && n < max_entries; i++) {
        uint32_t buf = load_u32(iovs + (size_t)i * IOVEC_SIZE);
        uint32_t len = load_u32(iovs + (size_t)i * IOVEC_SIZE + 4);
        uint8_t *p = guest_bytes(inst, buf, len);
        if (!p)
            return ERRNO_FAULT;
        if (len == 0)
            continue;
        /* The count returned to the guest is a u32: stop before it overflows. */
        if (sum + len > UINT32_MAX)
            break;
        out[n].iov_base = p;
        out[n].iov_len = len;
        n++;
        sum += len;
    }
    *count = n;
    *total = sum;
    return ERRNO_SUCCESS;
}

/* Appends to a capture buffer; returns the bytes kept (short at the cap). */
static size_t capture_append(wasi_stream *s, const uint8_t *data, size_t len,
                             uint16_t *error)
{
    size_t room = s->max_capture - s->captured_size;
    size_t n = len < room ? len : room;
    if (n < len)
        s->truncated = true;
    if (n == 0) {
        *error = len ? ERRNO_FBIG : ERRNO_SUCCESS;
        return 0;
    }
    if (s->captured_size + n > s->captured_cap) {
        size_t cap = s->captured_cap ? s->captured_cap : 4096;
        while (cap < s->captured_size + n)
            cap *= 2;
        if (cap > s->max_capture)
            cap = s->max_capture;
        uint8_t *grown = realloc(s->captured, cap);
        if (!grown) {
            *error = ERRNO_NOMEM;
            return 0;
        }
        s->captured = grown;
        s->captured_cap = cap;
    }
    memcpy(s->captured + s->captured_size, data, n);
    s->captured_size += n;
    *error = ERRNO_SUCCESS;
    return n;
}

static wc_trap wasi_fd_write(wc_instance *caller, void *env,
                             const wc_value *args, wc_value *results)
{
    wc_wasi *w = env;
    wasi_stream *s = stream_of(w, args[0].i32);
    if (!can_write(s))
        RETURN_ERRNO(s && s->directory ? ERRNO_ISDIR : ERRNO_BADF);
    uint8_t *nwritten = guest_bytes(caller, args[3].i32, 4);
    if (!nwritten)
        RETURN_ERRNO(ERRNO_FAULT);
    struct iovec iov[MAX_HOST_IOVECS];
    size_t n;
    uint64_t total;
    uint16_t e = map_iovecs(caller, args[1].i32, args[2].i32, iov, MAX_HOST_IOVECS,
                            &n, &total);
    if (e)
        RETURN_ERRNO(e);

    uint64_t written = 0;
    switch (s->kind) {
    case WC_WASI_STDIO_NULL:
        written = total;
        break;
    case WC_WASI_STDIO_BUFFER:
        for (size_t i = 0; i < n; i++) {
            size_t kept = capture_append(s, iov[i].iov_base, iov[i].iov_len, &e);
            written += kept;
            if (kept < iov[i].iov_len)
                break;
        }
        /* A partial write succeeds; only a write that kept nothing fails. */
        if (written > 0)
            e = ERRNO_SUCCESS;
        if (e)
            RETURN_ERRNO(e);
        break;
    case WC_WASI_STDIO_HOST_FD: {
        if (n == 0)
            break;
        ssize_t r;
        do
            r = writev(s->host_fd, iov, (int)n);
        while (r < 0 && errno == EINTR);
        if (r < 0)
            RETURN_ERRNO(wc_wasi_errno(errno));
        written = (uint64_t)r;
        break;
    }
    }
    store_u32(nwritten, (uint32_t)written);
    RETURN_ERRNO(ERRNO_SUCCESS);
}

static wc_trap wasi_fd_read(wc_instance *caller, void *env,
                            const wc_value *args, wc_value *results)
{
    wc_wasi *w = env;
    wasi_stream *s = stream_of(w, args[0].i32);
    if (!can_read(s))
        RETURN_ERRNO(s && s->directory ? ERRNO_ISDIR : ERRNO_BADF);
    uint8_t *nread = guest_bytes(caller, args[3].i32, 4);
    if (!nread)
        RETURN_ERRNO(ERRNO_FAULT);
    struct iovec iov[MAX_HOST_IOVECS];
    size_t n;
    uint64_t total;
    uint16_t e = map_iovecs(caller, args[1].i32, args[2].i32, iov, MAX_HOST_IOVECS,
                            &n, &total);
    if (e)
        RETURN_ERRNO(e);

    uint64_t got = 0;
    switch (s->kind) {
    case WC_WASI_STDIO_NULL:
        break;
    case WC_WASI_STDIO_BUFFER:
        for (size_t i = 0; i < n && s->input_pos < s->input_size; i++) {
            size_t left = s->input_size - s->input_pos;
            size_t take = iov[i].iov_len < left ? iov[i].iov_len : left;
            memcpy(iov[i].iov_base, s->input + s->input_pos, take);
            s->input_pos += take;
            got += take;
        }
        break;
    case WC_WASI_STDIO_HOST_FD: {
        if (n == 0)
            break;
        ssize_t r;
        do
            r = readv(s->host_fd, iov, (int)n);
        while (r < 0 && errno == EINTR);
        if (r < 0)
            RETURN_ERRNO(wc_wasi_errno(errno));
        got = (uint64_t)r;
        break;
    }
    }
    store_u32(nread, (uint32_t)got);
    RETURN_ERRNO(ERRNO_SUCCESS);
}

/* fd_pread and fd_pwrite: only a host file can be read at an offset; our
 * streams behave like pipes (ESPIPE), the wrong direction like a descriptor
 * opened without it (EBADF). */
static wc_trap positioned_io(wc_instance *caller, wc_wasi *w, const wc_value *args,
                             wc_value *results, bool write)
{
    wasi_stream *s = stream_of(w, args[0].i32);
    if (!(write ? can_write(s) : can_read(s)))
        RETURN_ERRNO(s && s->directory ? ERRNO_ISDIR : ERRNO_BADF);
    if (s->kind != WC_WASI_STDIO_HOST_FD)
        RETURN_ERRNO(ERRNO_SPIPE);
    int64_t offset = (int64_t)args[3].i64;
    uint8_t *count = guest_bytes(caller, args[4].i32, 4);
    if (!count)
        RETURN_ERRNO(ERRNO_FAULT);
    struct iovec iov[MAX_HOST_IOVECS];
    size_t n;
    uint64_t total;
    uint16_t e = map_iovecs(caller, args[1].i32, args[2].i32, iov, MAX_HOST_IOVECS,
                            &n, &total);
    if (e)
        RETURN_ERRNO(e);
    if (offset < 0)
        RETURN_ERRNO(ERRNO_INVAL);
    ssize_t r;
    do
        r = write ? pwritev(s->host_fd, iov, (int)n, (off_t)offset)
                  : preadv(s->host_fd, iov, (int)n, (off_t)offset);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        RETURN_ERRNO(wc_wasi_errno(errno));
    store_u32(count, (uint32_t)r);
    RETURN_ERRNO(ERRNO_SUCCESS);
}

static wc_trap wasi_fd_pread(wc_instance *caller, void *env,
                             const wc_value *args, wc_value *results)
{
    return positioned_io(caller, env, args, results, false);
}

static wc_trap wasi_fd_pwrite(wc_instance *caller, void *env,
                              const wc_value *args, wc_value *results)
{
    return positioned_io(caller, env, args, results, true);
}

/* lseek for fd_seek and fd_tell; returns an errno. */
static uint16_t seek_stream(wasi_stream *s, int64_t offset, uint32_t whence,
                            uint64_t *newoffset)
{
    int host_whence;
    switch (whence) {
    case WHENCE_SET: host_whence = SEEK_SET; break;
    case WHENCE_CUR: host_whence = SEEK_CUR; break;
    case WHENCE_END: host_whence = SEEK_END; break;
    default: return ERRNO_INVAL;
    }
    if (s->kind != WC_WASI_STDIO_HOST_FD)
        return ERRNO_SPIPE;
    off_t r = lseek(s->host_fd, (off_t)offset, host_whence);
    if (r < 0)
        return wc_wasi_errno(errno);
    *newoffset = (uint64_t)r;
    return ERRNO_SUCCESS;
}

static wc_trap wasi_fd_seek(wc_instance *caller, void *env,
                            const wc_value *args, wc_value *results)
{
    wasi_stream *s = stream_of(env, args[0].i32);
    if (!s)
        RETURN_ERRNO(ERRNO_BADF);
    uint8_t *out = guest_bytes(caller, args[3].i32, 8);
    if (!out)
        RETURN_ERRNO(ERRNO_FAULT);
    uint64_t pos = 0;
    if (s->fs && !(s->rights & RIGHTS_FD_SEEK))
        RETURN_ERRNO(s->directory ? ERRNO_BADF : ERRNO_NOTCAPABLE);
    uint16_t e = seek_stream(s, (int64_t)args[1].i64, args[2].i32, &pos);
    if (e)
        RETURN_ERRNO(e);
    store_u64(out, pos);
    RETURN_ERRNO(ERRNO_SUCCESS);
}

static wc_trap wasi_fd_tell(wc_instance *caller, void *env,
                            const wc_value *args, wc_value *results)
{
    wasi_stream *s = stream_of(env, args[0].i32);
    if (!s)
        RETURN_ERRNO(ERRNO_BADF);
    uint8_t *out = guest_bytes(caller, args[1].i32, 8);
    if (!out)
        RETURN_ERRNO(ERRNO_FAULT);
    uint64_t pos = 0;
    if (s->fs && !(s->rights & RIGHTS_FD_TELL))
        RETURN_ERRNO(s->directory ? ERRNO_BADF : ERRNO_NOTCAPABLE);
    uint16_t e = seek_stream(s, 0, WHENCE_CUR, &pos);
    if (e)
        RETURN_ERRNO(e);
    store_u64(out, pos);
    RETURN_ERRNO(ERRNO_SUCCESS);
}

/* ---- descriptors ------------------------------------------------------- */

static wc_trap wasi_fd_close(wc_instance *caller, void *env,
                             const wc_value *args, wc_value *results)
{
    wc_wasi *w = env;
    uint32_t fd = args[0].i32;
    wasi_stream *s = stream_of(w, fd);
    if (!s)
        RETURN_ERRNO(ERRNO_BADF);
    /* A standard stream's host descriptor is borrowed: the guest only loses
     * its handle.  Files and directories are ours. */
    if (s->fs)
        wc_wasi_fs_close(s);
    w->fds[fd] = NULL;
    RETURN_ERRNO(ERRNO_SUCCESS);
}

/* fd_renumber(from, to): `to` now refers to what `from` did; `from` closes. */
static wc_trap wasi_fd_renumber(wc_instance *caller, void *env,
                                const wc_value *args, wc_value *results)
{
    wc_wasi *w = env;
    uint32_t from = args[0].i32, to = args[1].i32;
    if (!stream_of(w, from) || !stream_of(w, to))
        RETURN_ERRNO(ERRNO_BADF);
    if (from != to) {
        if (w->fds[to]->fs)
            wc_wasi_fs_close(w->fds[to]);
        w->fds[to] = w->fds[from];
        w->fds[from] = NULL;
    }
    RETURN_ERRNO(ERRNO_SUCCESS);
}

static wc_trap wasi_fd_sync(wc_instance *caller, void *env,
                            const wc_value *args, wc_value *results)
{
    wasi_stream *s = stream_of(env, args[0].i32);
    if (!s)
        RETURN_ERRNO(ERRNO_BADF);
    /* Host files are synced; a capture or a null stream has nothing to do. */
    if (s->kind == WC_WASI_STDIO_HOST_FD && fsync(s->host_fd) != 0)
        RETURN_ERRNO(wc_wasi_errno(errno));
    RETURN_ERRNO(ERRNO_SUCCESS);
}

/* Host file type of a stream: an errno, *filetype and the stat result. */
static uint16_t stream_stat(const wasi_stream *s, uint8_t *filetype, struct stat *st)
{
    memset(st, 0, sizeof *st);
    switch (s->kind) {
    case WC_WASI_STDIO_NULL:
        *filetype = FILETYPE_CHARACTER_DEVICE; /* like /dev/null */
        return ERRNO_SUCCESS;
    case WC_WASI_STDIO_BUFFER:
        *filetype = FILETYPE_UNKNOWN; /* like a pipe: not a tty, not seekable */
        if (!can_write(s))
            st->st_size = (off_t)s->input_size;
        return ERRNO_SUCCESS;
    case WC_WASI_STDIO_HOST_FD:
        break;
    }
    if (fstat(s->host_fd, st) != 0)
        return wc_wasi_errno(errno);
    *filetype = wc_wasi_filetype(st->st_mode);
    return ERRNO_SUCCESS;
}

uint8_t wc_wasi_filetype(mode_t mode)
{
    if (S_ISREG(mode))
        return FILETYPE_REGULAR_FILE;
    if (S_ISCHR(mode))
        return FILETYPE_CHARACTER_DEVICE;
    if (S_ISDIR(mode))
        return FILETYPE_DIRECTORY;
    if (S_ISBLK(mode))
        return FILETYPE_BLOCK_DEVICE;
    if (S_ISSOCK(mode))
        return FILETYPE_SOCKET_STREAM;
    if (S_ISLNK(mode))
        return FILETYPE_SYMBOLIC_LINK;
    return FILETYPE_UNKNOWN; /* FIFOs have no preview-1 type */
}

void wc_wasi_put_filestat(uint8_t *out, uint8_t filetype, const struct stat *st, bool ids)
{
    memset(out, 0, FILESTAT_SIZE);
    if (ids) {
        store_u64(out, (uint64_t)st->st_dev);
        store_u64(out + 8, (uint64_t)st->st_ino);
    }
    out[16] = filetype;
    store_u64(out + 24, st->st_nlink ? (uint64_t)st->st_nlink : 1);
    store_u64(out + 32, st->st_size > 0 ? (uint64_t)st->st_size : 0);
    store_u64(out + 40, timespec_to_ns(&st->st_atim));
    store_u64(out + 48, timespec_to_ns(&st->st_mtim));
    store_u64(out + 56, timespec_to_ns(&st->st_ctim));
}

static uint16_t stream_fdflags(const wasi_stream *s)
{
    if (s->kind != WC_WASI_STDIO_HOST_FD)
        return s->fdflags;
    int fl = fcntl(s->host_fd, F_GETFL);
    uint16_t flags = 0;
    if (fl >= 0) {
        if (fl & O_APPEND)
            flags |= FDFLAGS_APPEND;
        if (fl & O_NONBLOCK)
            flags |= FDFLAGS_NONBLOCK;
    }
    return flags;
}

static wc_trap wasi_fd_fdstat_get(wc_instance *caller, void *env,
                                  const wc_value *args, wc_value *results)
{
    wasi_stream *s = stream_of(env, args[0].i32);
    if (!s)
        RETURN_ERRNO(ERRNO_BADF);
    uint8_t *out = guest_bytes(caller, args[1].i32, FDSTAT_SIZE);
    if (!out)
        RETURN_ERRNO(ERRNO_FAULT);
    uint8_t filetype = FILETYPE_UNKNOWN;
    struct stat st;
    uint16_t e = stream_stat(s, &filetype, &st);
    if (e)
        RETURN_ERRNO(e);
    uint64_t rights = s->rights;
    /* Only files seek; wasi-libc's isatty() also reads "no seek right" as a
     * sign of a terminal. */
    if (!s->fs && (filetype == FILETYPE_REGULAR_FILE || filetype == FILETYPE_BLOCK_DEVICE))
        rights |= RIGHTS_FD_SEEK | RIGHTS_FD_TELL;
    memset(out, 0, FDSTAT_SIZE);
    out[0] = filetype;
    store_u16(out + 2, stream_fdflags(s));
    store_u64(out + 8, rights);
    store_u64(out + 16, s->inheriting); /* what path_open may grant from it */
    RETURN_ERRNO(ERRNO_SUCCESS);
}

static wc_trap wasi_fd_fdstat_set_flags(wc_instance *caller, void *env,
                                        const wc_value *args, wc_value *results)
{
    wasi_stream *s = stream_of(env, args[0].i32);
    if (!s)
        RETURN_ERRNO(ERRNO_BADF);
    uint32_t flags = args[1].i32;
    const uint32_t known = FDFLAGS_APPEND | FDFLAGS_DSYNC | FDFLAGS_NONBLOCK |
                           FDFLAGS_RSYNC | FDFLAGS_SYNC;
    if (flags & ~known)
        RETURN_ERRNO(ERRNO_INVAL);
    if (flags == stream_fdflags(s))
        RETURN_ERRNO(ERRNO_SUCCESS);
    if (flags & (FDFLAGS_DSYNC | FDFLAGS_RSYNC | FDFLAGS_SYNC))
        RETURN_ERRNO(ERRNO_NOTSUP);
    if (s->fs) { /* our own descriptor: its flags are the guest's to set */
        if (!(s->rights & RIGHTS_FD_FDSTAT_SET_FLAGS))
            RETURN_ERRNO(ERRNO_NOTCAPABLE);
        if ((flags & FDFLAGS_APPEND) && !s->tree_writable)
            RETURN_ERRNO(ERRNO_ROFS);
        int fl = fcntl(s->host_fd, F_GETFL);
        if (fl < 0)
            RETURN_ERRNO(wc_wasi_errno(errno));
        fl &= ~(O_APPEND | O_NONBLOCK);
        fl |= (flags & FDFLAGS_APPEND ? O_APPEND : 0) | (flags & FDFLAGS_NONBLOCK ? O_NONBLOCK : 0);
        if (fcntl(s->host_fd, F_SETFL, fl) != 0)
            RETURN_ERRNO(wc_wasi_errno(errno));
        RETURN_ERRNO(ERRNO_SUCCESS);
    }
    /* A host descriptor's flags are shared with the host process (a terminal
     * left non-blocking would break the shell), so they stay as they are. */
    if (s->kind == WC_WASI_STDIO_HOST_FD)
        RETURN_ERRNO(ERRNO_NOTSUP);
    /* Our streams never block and always append: just remember. */
    s->fdflags = (uint16_t)flags;
    RETURN_ERRNO(ERRNO_SUCCESS);
}

static wc_trap wasi_fd_filestat_get(wc_instance *caller, void *env,
                                    const wc_value *args, wc_value *results)
{
    wasi_stream *s = stream_of(env, args[0].i32);
    if (!s)
        RETURN_ERRNO(ERRNO_BADF);
    uint8_t *out = guest_bytes(caller, args[1].i32, FILESTAT_SIZE);
    if (!out)
        RETURN_ERRNO(ERRNO_FAULT);
    uint8_t filetype = FILETYPE_UNKNOWN;
    struct stat st;
    uint16_t e = stream_stat(s, &filetype, &st);
    if (e)
        RETURN_ERRNO(e);
    /* Device and inode numbers of the host's streams are not the guest's
     * business; those of a grant's files are (find(1) compares them). */
    wc_wasi_put_filestat(out, filetype, &st, s->fs);
    RETURN_ERRNO(ERRNO_SUCCESS);
}

/* ---- poll_oneoff ------------------------------------------------------- */

/* Sleeps ns nanoseconds of guest time.  Returns WC_TRAP_NONE, or the trap
 * that cut the sleep short: the deadline or wc_wasi_interrupt(). */
static wc_trap wasi_sleep(wc_wasi *w, uint64_t ns)
{
    pthread_mutex_lock(&w->lock);
    bool interrupted = w->interrupted;
    bool hit_deadline = false;
    if (!interrupted && w->virtual_clock) {
        w->virtual_now_ns = add_saturating(w->virtual_now_ns, ns);
    } else if (!interrupted) {
        uint64_t until = add_saturating(wc_monotonic_ns(), ns);
        if (w->deadline_ns && until >= w->deadline_ns) {
            until = w->deadline_ns;
            hit_deadline = true;
        }
        struct timespec ts = {.tv_sec = (time_t)(until / NSEC_PER_SEC),
                              .tv_nsec = (long)(until % NSEC_PER_SEC)};
        while (!w->interrupted && wc_monotonic_ns() < until)
            pthread_cond_timedwait(&w->wake, &w->lock, &ts);
        interrupted = w->interrupted;
    }
    pthread_mutex_unlock(&w->lock);
    if (interrupted)
        return WC_TRAP_INTERRUPTED;
    return hit_deadline ? WC_TRAP_DEADLINE : WC_TRAP_NONE;
}

/* What one subscription amounts to before anything is written back. */
typedef struct poll_item {
    uint64_t userdata;
    uint8_t type;
    uint16_t error;
    bool ready;         /* fd events and errors are ready at once */
    uint64_t wait_ns;   /* clock: time left until it fires */
    uint64_t nbytes;
} poll_item;

static void poll_examine(wc_wasi *w, const uint8_t *sub, poll_item *item)
{
    memset(item, 0, sizeof *item);
    item->userdata = load_u64(sub);
    item->type = sub[8];
    switch (item->type) {
    case EVENTTYPE_CLOCK: {
        uint32_t id = load_u32(sub + 16);
        uint64_t timeout = load_u64(sub + 24);
        uint16_t flags = load_u16(sub + 40);
        if (flags & SUBCLOCKFLAGS_ABSTIME) {
            uint64_t now = 0;
            item->error = clock_now(w, id, &now);
            item->wait_ns = timeout > now ? timeout - now : 0;
        } else {
            clockid_t unused;
            item->error = host_clock_id(id, &unused) ? ERRNO_SUCCESS : ERRNO_INVAL;
            item->wait_ns = timeout;
        }
        item->ready = item->error != ERRNO_SUCCESS || item->wait_ns == 0;
        break;
    }
    case EVENTTYPE_FD_READ:
    case EVENTTYPE_FD_WRITE: {
        wasi_stream *s = stream_of(w, load_u32(sub + 16));
        bool want_write = item->type == EVENTTYPE_FD_WRITE;
        /* Our descriptors are reported ready at once; a read then blocks
         * on a host descriptor as it would after a spurious wakeup. */
        item->ready = true;
        if (!(want_write ? can_write(s) : can_read(s)))
            item->error = ERRNO_BADF;
        else if (s->kind == WC_WASI_STDIO_BUFFER && !want_write)
            item->nbytes = s->input_size - s->input_pos;
        break;
    }
    default:
        item->ready = true;
        item->error = ERRNO_INVAL;
        break;
    }
}

static wc_trap wasi_poll_oneoff(wc_instance *caller, void *env,
                                const wc_value *args, wc_value *results)
{
    wc_wasi *w = env;
    uint32_t nsubs = args[2].i32;
    if (nsubs == 0)
        RETURN_ERRNO(ERRNO_INVAL);
    const uint8_t *in = guest_bytes(caller, args[0].i32, (uint64_t)nsubs * SUBSCRIPTION_SIZE);
    uint8_t *out = guest_bytes(caller, args[1].i32, (uint64_t)nsubs * EVENT_SIZE);
    uint8_t *nevents = guest_bytes(caller, args[3].i32, 4);
    if (!in || !out || !nevents)
        RETURN_ERRNO(ERRNO_FAULT);

    /* Everything is read before anything is written: `out` may overlap `in`.
     * The array is no larger than the part of guest memory it describes. */
    poll_item *items = malloc((size_t)nsubs * sizeof *items);
    if (!items)
        RETURN_ERRNO(ERRNO_NOMEM);
    bool any_ready = false;
    uint64_t shortest_wait = UINT64_MAX;
    for (uint32_t i = 0; i < nsubs; i++) {
        poll_examine(w, in + (size_t)i * SUBSCRIPTION_SIZE, &items[i]);
        any_ready |= items[i].ready;
        if (items[i].type == EVENTTYPE_CLOCK && !items[i].error &&
            items[i].wait_ns < shortest_wait)
            shortest_wait = items[i].wait_ns;
    }
    if (!any_ready) {
        /* Only clocks, none due: sleep until the first fires. */
        wc_trap trap = wasi_sleep(w, shortest_wait);
        if (trap != WC_TRAP_NONE) {
            free(items);
            return trap;
        }
        for (uint32_t i = 0; i < nsubs; i++)
            items[i].ready = items[i].wait_ns <= shortest_wait;
    }

    uint32_t count = 0;
    for (uint32_t i = 0; i < nsubs; i++) {
        if (!items[i].ready)
            continue;
        uint8_t *ev = out + (size_t)count * EVENT_SIZE;
        memset(ev, 0, EVENT_SIZE);
        store_u64(ev, items[i].userdata);
        store_u16(ev + 8, items[i].error);
        ev[10] = items[i].type;
        store_u64(ev + 16, items[i].nbytes);
        count++;
    }
    free(items);
    store_u32(nevents, count);
    RETURN_ERRNO(ERRNO_SUCCESS);
}

/* ---- what is not offered ----------------------------------------------- */

/* Sockets: this host gives none.  EBADF for a descriptor that is not open
 * (as a real system would say first), ENOSYS otherwise. */
#define WASI_UNSUPPORTED(fn_name)                                    \
    static wc_trap fn_name(wc_instance *caller, void *env,           \
                           const wc_value *args, wc_value *results)  \
    {                                                                \
        if (!stream_of(env, args[0].i32))                            \
            RETURN_ERRNO(ERRNO_BADF);                                \
        RETURN_ERRNO(ERRNO_NOSYS);                                   \
    }

WASI_UNSUPPORTED(wasi_sock_accept)
WASI_UNSUPPORTED(wasi_sock_recv)
WASI_UNSUPPORTED(wasi_sock_send)
WASI_UNSUPPORTED(wasi_sock_shutdown)

/* ---- the import table -------------------------------------------------- */

/* Signatures as wasi-libc imports them ('i' i32, 'I' i64). */
static const wasi_function wasi_functions[WASI_FUNCTION_COUNT] = {
    {"args_get", "ii", "i", wasi_args_get},
    {"args_sizes_get", "ii", "i", wasi_args_sizes_get},
    {"environ_get", "ii", "i", wasi_environ_get},
    {"environ_sizes_get", "ii", "i", wasi_environ_sizes_get},
    {"clock_res_get", "ii", "i", wasi_clock_res_get},
    {"clock_time_get", "iIi", "i", wasi_clock_time_get},
    {"fd_advise", "iIIi", "i", wc_wasi_fd_advise},
    {"fd_allocate", "iII", "i", wc_wasi_fd_allocate},
    {"fd_close", "i", "i", wasi_fd_close},
    {"fd_datasync", "i", "i", wasi_fd_sync},
    {"fd_fdstat_get", "ii", "i", wasi_fd_fdstat_get},
    {"fd_fdstat_set_flags", "ii", "i", wasi_fd_fdstat_set_flags},
    {"fd_fdstat_set_rights", "iII", "i", wc_wasi_fd_fdstat_set_rights},
    {"fd_filestat_get", "ii", "i", wasi_fd_filestat_get},
    {"fd_filestat_set_size", "iI", "i", wc_wasi_fd_filestat_set_size},
    {"fd_filestat_set_times", "iIIi", "i", wc_wasi_fd_filestat_set_times},
    {"fd_pread", "iiiIi", "i", wasi_fd_pread},
    {"fd_prestat_get", "ii", "i", wc_wasi_fd_prestat_get},
    {"fd_prestat_dir_name", "iii", "i", wc_wasi_fd_prestat_dir_name},
    {"fd_pwrite", "iiiIi", "i", wasi_fd_pwrite},
    {"fd_read", "iiii", "i", wasi_fd_read},
    {"fd_readdir", "iiiIi", "i", wc_wasi_fd_readdir},
    {"fd_renumber", "ii", "i", wasi_fd_renumber},
    {"fd_seek", "iIii", "i", wasi_fd_seek},
    {"fd_sync", "i", "i", wasi_fd_sync},
    {"fd_tell", "ii", "i", wasi_fd_tell},
    {"fd_write", "iiii", "i", wasi_fd_write},
    {"path_create_directory", "iii", "i", wc_wasi_path_create_directory},
    {"path_filestat_get", "iiiii", "i", wc_wasi_path_filestat_get},
    {"path_filestat_set_times", "iiiiIIi", "i", wc_wasi_path_filestat_set_times},
    {"path_link", "iiiiiii", "i", wc_wasi_path_link},
    {"path_open", "iiiiiIIii", "i", wc_wasi_path_open},
    {"path_readlink", "iiiiii", "i", wc_wasi_path_readlink},
    {"path_remove_directory", "iii", "i", wc_wasi_path_remove_directory},
    {"path_rename", "iiiiii", "i", wc_wasi_path_rename},
    {"path_symlink", "iiiii", "i", wc_wasi_path_symlink},
    {"path_unlink_file", "iii", "i", wc_wasi_path_unlink_file},
    {"poll_oneoff", "iiii", "i", wasi_poll_oneoff},
    {"proc_exit", "i", "", wasi_proc_exit},
    {"random_get", "ii", "i", wasi_random_get},
    {"sched_yield", "", "i", wasi_sched_yield},
    {"sock_accept", "iii", "i", wasi_sock_accept},
    {"sock_recv", "iiiiii", "i", wasi_sock_recv},
    {"sock_send", "iiiii", "i", wasi_sock_send},
    {"sock_shutdown", "ii", "i", wasi_sock_shutdown},
};

/* ---- lifetime ---------------------------------------------------------- */

static int stream_init(wasi_stream *s, int fd, const wc_wasi_stdio *cfg, wc_error *err)
{
    static const char *const names[] = {"stdin", "stdout", "stderr"};
    memset(s, 0, sizeof *s);
    s->kind = cfg->kind;
    s->rights = (fd != 0 ? RIGHTS_FD_WRITE : RIGHTS_FD_READ) | RIGHTS_FD_FDSTAT_SET_FLAGS |
                RIGHTS_FD_FILESTAT_GET | RIGHTS_FD_SYNC | RIGHTS_FD_DATASYNC |
                RIGHTS_POLL_FD_READWRITE;
    s->host_fd = -1;
    switch (cfg->kind) {
    case WC_WASI_STDIO_NULL:
        return 0;
    case WC_WASI_STDIO_HOST_FD:
        if (cfg->host_fd < 0)
            return wc_error_set(err, WC_EINVAL, "wasi: %s: host fd %d is not valid",
                                names[fd], cfg->host_fd);
        s->host_fd = cfg->host_fd;
        return 0;
    case WC_WASI_STDIO_BUFFER:
        if (fd != 0) {
            s->max_capture = cfg->max_capture ? cfg->max_capture : WC_WASI_DEFAULT_MAX_CAPTURE;
            return 0;
        }
        if (cfg->size > 0 && !cfg->data)
            return wc_error_set(err, WC_EINVAL, "wasi: stdin buffer is NULL");
        s->input = malloc(cfg->size ? cfg->size : 1);
        if (!s->input)
            return wc_error_set(err, WC_ENOMEM, "wasi: out of memory for stdin");
        if (cfg->size)
            memcpy(s->input, cfg->data, cfg->size);
        s->input_size = cfg->size;
        return 0;
    }
    return wc_error_set(err, WC_EINVAL, "wasi: %s: unknown stream kind %d", names[fd],
                        (int)cfg->kind);
}

wc_wasi *wc_wasi_new(const wc_wasi_config *config, wc_error *err)
{
    wc_wasi *w = calloc(1, sizeof *w);
    if (!w) {
        wc_error_set(err, WC_ENOMEM, "wasi: out of memory");
        return NULL;
    }
    pthread_mutex_init(&w->lock, NULL);
    /* Sleeps are timed on the monotonic clock, immune to clock changes. */
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w->wake, &attr);
    pthread_condattr_destroy(&attr);

    if (string_list_init(&w->args, config->argc, config->argv, false, "argv", err) ||
        string_list_init(&w->env, config->envc, config->environ, true, "environ", err))
        goto fail;
    for (int fd = 0; fd < 3; fd++) {
        if (stream_init(&w->streams[fd], fd, &config->stdio[fd], err))
            goto fail;
        w->fds[fd] = &w->streams[fd];
    }
    if (wc_wasi_fs_open_preopens(w, config, err))
        goto fail;
    w->virtual_clock = config->virtual_clock;
    w->virtual_now_ns = config->virtual_clock_start_ns;
    w->fixed_random = config->fixed_random;
    w->random_state = config->random_seed;
    return w;

fail:
    wc_wasi_free(w);
    return NULL;
}

void wc_wasi_free(wc_wasi *wasi)
{
    if (!wasi)
        return;
    string_list_free(&wasi->args);
    string_list_free(&wasi->env);
    for (int i = 0; i < 3; i++) {
        free(wasi->streams[i].input);
        free(wasi->streams[i].captured);
    }
    for (size_t fd = 0; fd < wasi->fs_fds_end; fd++)
        if (wasi->fds[fd] && wasi->fds[fd]->fs)
            wc_wasi_fs_close(wasi->fds[fd]);
    pthread_cond_destroy(&wasi->wake);
    pthread_mutex_destroy(&wasi->lock);
    free(wasi->bindings);
    free(wasi);
}

size_t wc_wasi_bindings(wc_wasi *wasi, const wc_import_binding **out)
{
    if (!wasi->bindings) {
        wasi->bindings = malloc(WASI_FUNCTION_COUNT * sizeof *wasi->bindings);
        if (!wasi->bindings) {
            *out = NULL;
            return 0;
        }
        for (size_t i = 0; i < WASI_FUNCTION_COUNT; i++) {
            const wasi_function *f = &wasi_functions[i];
            wasi->bindings[i] = (wc_import_binding)WC_HOST_FUNC(
                "wasi_snapshot_preview1", f->name, f->params, f->results, f->fn, wasi);
        }
    }
    *out = wasi->bindings;
    return WASI_FUNCTION_COUNT;
}

/* The capture of stdout/stderr as configured, whatever fd_renumber did. */
static const wasi_stream *output_stream(const wc_wasi *wasi, int fd)
{
    if (fd != 1 && fd != 2)
        return NULL;
    const wasi_stream *s = &wasi->streams[fd];
    return s->kind == WC_WASI_STDIO_BUFFER ? s : NULL;
}

const uint8_t *wc_wasi_output(const wc_wasi *wasi, int fd, size_t *size)
{
    const wasi_stream *s = output_stream(wasi, fd);
    *size = s ? s->captured_size : 0;
    if (!s)
        return NULL;
    return s->captured ? s->captured : (const uint8_t *)"";
}

bool wc_wasi_output_truncated(const wc_wasi *wasi, int fd)
{
    const wasi_stream *s = output_stream(wasi, fd);
    return s && s->truncated;
}

void wc_wasi_set_timeout(wc_wasi *wasi, uint32_t timeout_ms)
{
    wc_wasi_set_deadline(wasi, timeout_ms
                                   ? add_saturating(wc_monotonic_ns(), (uint64_t)timeout_ms * 1000000)
                                   : 0);
}

void wc_wasi_set_deadline(wc_wasi *wasi, uint64_t deadline_ns)
{
    pthread_mutex_lock(&wasi->lock);
    wasi->deadline_ns = deadline_ns;
    pthread_mutex_unlock(&wasi->lock);
}

void wc_wasi_interrupt(wc_wasi *wasi)
{
    pthread_mutex_lock(&wasi->lock);
    wasi->interrupted = true;
    pthread_cond_broadcast(&wasi->wake);
    pthread_mutex_unlock(&wasi->lock);
}
