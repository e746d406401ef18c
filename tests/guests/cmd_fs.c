/* cmd_fs.c -- a WASI program that uses the files it is granted, through
 * wasi-libc as any C program does, and through the raw preview-1 calls
 * where libc would stop a hostile path before the host sees it.
 *
 * As a command-ABI plugin (argv: PLUGIN TOOL, arguments on stdin) its tool
 * read_file prints the file {"path": ...} names.  Otherwise argv is an
 * operation for tests/test_wasi_fs.c; failures print "errno=N" (preview-1
 * numbers) and exit 1.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

__asm__(".section .custom_section.wasmcap.manifest,\"\",@\n.incbin \"cmd_fs.manifest.json\"\n"
        ".section .text,\"\",@\n");

#define WASI_IMPORT(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(name)))
/* The imports as the host sees them: offsets and lengths, nothing checked
 * on this side (wasi-libc's wrappers would measure the strings first). */
WASI_IMPORT("path_open")
int32_t bare_path_open(int32_t fd, int32_t lookup, int32_t path, int32_t len, int32_t oflags,
                       int64_t base, int64_t inheriting, int32_t fdflags, int32_t newfd);
WASI_IMPORT("fd_readdir")
int32_t bare_fd_readdir(int32_t fd, int32_t buf, int32_t len, int64_t cookie, int32_t used);
WASI_IMPORT("fd_prestat_dir_name")
int32_t bare_prestat_dir_name(int32_t fd, int32_t buf, int32_t len);
WASI_IMPORT("path_rename")
int32_t bare_path_rename(int32_t fd, int32_t old, int32_t old_len, int32_t new_fd, int32_t path,
                         int32_t len);
WASI_IMPORT("path_filestat_get")
int32_t bare_path_filestat_get(int32_t fd, int32_t lookup, int32_t path, int32_t len, int32_t buf);

/* Bad offsets and lengths, one call each: the errno of each, in order. */
static int hostile(void)
{
    static char buf[256];
    static int32_t newfd;
    const int32_t far = (int32_t)0xfffffff0u;
    int32_t e[8];
    e[0] = bare_path_open(3, 0, far, 100, 0, 2, 0, 0, (int32_t)&newfd);
    e[1] = bare_path_open(3, 0, (int32_t)"a.txt", 0x7fffffff, 0, 2, 0, 0, (int32_t)&newfd);
    e[2] = bare_path_open(3, 0, (int32_t)"a.txt", 5, 0, 2, 0, 0, far);
    e[3] = bare_path_open(3, 0, (int32_t)"a.t\0xt", 7, 0, 2, 0, 0, (int32_t)&newfd);
    e[4] = bare_fd_readdir(3, far, 4096, 0, (int32_t)&newfd);
    e[5] = bare_prestat_dir_name(3, (int32_t)buf, 2);
    e[6] = bare_path_rename(3, (int32_t)"a.txt", 5, 3, far, 8);
    e[7] = bare_path_filestat_get(3, 1, (int32_t)"a.txt", 5, far);
    printf("hostile=%d,%d,%d,%d,%d,%d,%d,%d\n", e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7]);
    return 0;
}

static int fail(void)
{
    printf("errno=%d\n", errno);
    return 1;
}

static int raw(int e)
{
    if (e) {
        printf("errno=%d\n", e);
        return 1;
    }
    printf("ok\n");
    return 0;
}

static int print_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return fail();
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stdout);
    fclose(f);
    return 0;
}

static int write_file(const char *path, const char *text, const char *mode)
{
    FILE *f = fopen(path, mode);
    if (!f)
        return fail();
    if (fputs(text, f) < 0 || fclose(f) != 0)
        return fail();
    printf("ok\n");
    return 0;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a directory, sorted, without . and .. */
static int list(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return fail();
    char *names[512];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 512)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    for (size_t i = 0; i < n; i++)
        printf("%s\n", names[i]);
    return 0;
}

/* Reads path `rounds` times; prints how often it held "OUTSIDE". */
static int race(const char *path, int rounds)
{
    int leaked = 0, opened = 0;
    for (int i = 0; i < rounds; i++) {
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        opened++;
        char buf[64] = {0};
        fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        if (strstr(buf, "OUTSIDE"))
            leaked++;
    }
    printf("opened=%d leaked=%d\n", opened, leaked);
    return 0;
}

/* Opens path until it fails: how many, and why it stopped. */
static int exhaust(const char *path)
{
    int n = 0;
    while (n < 1000 && open(path, O_RDONLY) >= 0)
        n++;
    printf("opened=%d errno=%d\n", n, errno);
    return 0;
}

/* The raw call, relative to preopen fd 3: libc would refuse an absolute
 * path itself, and the host must too. */
static int raw_open(const char *path, int follow, int write)
{
    __wasi_fd_t fd;
    __wasi_rights_t rights = __WASI_RIGHTS_FD_READ | (write ? __WASI_RIGHTS_FD_WRITE : 0);
    int e = __wasi_path_open(3, follow ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0, path, 0, rights,
                             0, 0, &fd);
    if (!e) {
        char buf[64] = {0};
        __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
        __wasi_size_t got = 0;
        if ((e = __wasi_fd_read(fd, &iov, 1, &got)))
            return raw(e);
        printf("read=%s\n", buf);
        return 0;
    }
    return raw(e);
}

static int read_tool(void)
{
    char in[4096];
    size_t n = fread(in, 1, sizeof in - 1, stdin);
    in[n] = 0;
    char *p = strstr(in, "\"path\"");
    char path[1024];
    if (!p || sscanf(p, "\"path\" : \"%1023[^\"]\"", path) != 1 &&
                  sscanf(p, "\"path\":\"%1023[^\"]\"", path) != 1) {
        fprintf(stderr, "expected {\"path\": ...}\n");
        return 2;
    }
    return print_file(path);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "read_file") == 0)
        return read_tool();
    if (argc == 2 && strcmp(argv[1], "hostile") == 0)
        return hostile();
    if (argc < 3) {
        fprintf(stderr, "usage: cmd_fs OP PATH [ARG]\n");
        return 2;
    }
    const char *op = argv[1], *path = argv[2], *arg = argc > 3 ? argv[3] : "";
    if (!strcmp(op, "read"))
        return print_file(path);
    if (!strcmp(op, "write"))
        return write_file(path, arg, "w");
    if (!strcmp(op, "append"))
        return write_file(path, arg, "a");
    if (!strcmp(op, "list"))
        return list(path);
    if (!strcmp(op, "mkdir"))
        return mkdir(path, 0755) ? fail() : (printf("ok\n"), 0);
    if (!strcmp(op, "rmdir"))
        return rmdir(path) ? fail() : (printf("ok\n"), 0);
    if (!strcmp(op, "unlink"))
        return unlink(path) ? fail() : (printf("ok\n"), 0);
    if (!strcmp(op, "rename"))
        return rename(path, arg) ? fail() : (printf("ok\n"), 0);
    if (!strcmp(op, "link"))
        return link(path, arg) ? fail() : (printf("ok\n"), 0);
    if (!strcmp(op, "symlink"))
        return symlink(arg, path) ? fail() : (printf("ok\n"), 0);
    if (!strcmp(op, "readlink")) {
        char buf[256];
        ssize_t n = readlink(path, buf, sizeof buf - 1);
        if (n < 0)
            return fail();
        buf[n] = 0;
        printf("%s\n", buf);
        return 0;
    }
    if (!strcmp(op, "stat")) {
        struct stat st;
        if (stat(path, &st))
            return fail();
        if (S_ISDIR(st.st_mode)) /* a directory's size depends on the filesystem */
            printf("dir\n");
        else
            printf("%s %lld\n", S_ISREG(st.st_mode) ? "file" : "other", (long long)st.st_size);
        return 0;
    }
    if (!strcmp(op, "seek")) { /* the last bytes of a file, from lseek and read */
        int fd = open(path, O_RDONLY);
        if (fd < 0 || lseek(fd, -3, SEEK_END) < 0)
            return fail();
        char buf[4] = {0};
        if (read(fd, buf, 3) != 3)
            return fail();
        printf("tail=%s at=%lld\n", buf, (long long)lseek(fd, 0, SEEK_CUR));
        close(fd);
        return 0;
    }
    if (!strcmp(op, "truncate")) {
        int fd = open(path, O_WRONLY);
        if (fd < 0 || ftruncate(fd, atoi(arg)))
            return fail();
        close(fd);
        printf("ok\n");
        return 0;
    }
    if (!strcmp(op, "race"))
        return race(path, atoi(arg));
    if (!strcmp(op, "exhaust"))
        return exhaust(path);
    if (!strcmp(op, "raw_open"))
        return raw_open(path, 1, 0);
    if (!strcmp(op, "raw_open_nofollow"))
        return raw_open(path, 0, 0);
    if (!strcmp(op, "raw_open_write"))
        return raw_open(path, 1, 1);
    if (!strcmp(op, "raw_mkdir"))
        return raw(__wasi_path_create_directory(3, path));
    if (!strcmp(op, "raw_unlink"))
        return raw(__wasi_path_unlink_file(3, path));
    if (!strcmp(op, "raw_rename")) /* within preopen 3, or to preopen 4 */
        return raw(__wasi_path_rename(3, path, atoi(argc > 4 ? argv[4] : "3"), arg));
    if (!strcmp(op, "raw_link"))
        return raw(__wasi_path_link(3, 0, path, 3, arg));
    if (!strcmp(op, "raw_stat")) {
        __wasi_filestat_t st;
        return raw(__wasi_path_filestat_get(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, &st));
    }
    fprintf(stderr, "unknown operation %s\n", op);
    return 2;
}
