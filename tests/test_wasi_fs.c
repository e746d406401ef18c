/* test_wasi_fs.c -- filesystem grants (WASI preopens), end to end.
 *
 * Runs tests/guests/cmd_fs.c, a C program on wasi-libc, against a tree
 * made here: a read-write grant seen as /data, a read-only one as /ro, and
 * beside them a directory `outside` holding a secret.  Every way out of a
 * grant is tried (`..`, absolute paths, symlinks pointing out, relative and
 * absolute, a symlink swapped in while the guest opens, rename, link,
 * stat, unlink of an outside name) and must fail without reading,
 * changing or creating anything outside; the ordinary read, write, list,
 * seek, rename and delete must work; a read-only grant refuses every
 * change; the descriptor table is bounded; hostile offsets and lengths are
 * refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "host/wasi.h"
#include "plugin/config.h"
#include "plugin/plugin.h"
#include "util/log.h"

#include "check.h"

/* preview-1 errno values */
enum {
    E_FAULT = 21,
    E_INVAL = 28,
    E_LOOP = 32,
    E_MFILE = 33,
    E_NAMETOOLONG = 37,
    E_NOENT = 44,
    E_PERM = 63,
    E_ROFS = 69,
};

static wc_engine *engine;
static wc_module *guest;
static char root[256], grant[300], ro[300], outside[300];
static char out[65536];

static void path_in(char *dst, size_t size, const char *dir, const char *name)
{
    snprintf(dst, size, "%s/%s", dir, name);
}

static void put_file(const char *dir, const char *name, const char *text)
{
    char p[512];
    path_in(p, sizeof p, dir, name);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* The file's text, or "(missing)". */
static const char *host_text(const char *dir, const char *name)
{
    static char text[256];
    char p[512];
    path_in(p, sizeof p, dir, name);
    FILE *f = fopen(p, "r");
    if (!f)
        return "(missing)";
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    return text;
}

static bool host_exists(const char *dir, const char *name)
{
    char p[512];
    struct stat st;
    path_in(p, sizeof p, dir, name);
    return lstat(p, &st) == 0;
}

static void make_tree(void)
{
    snprintf(root, sizeof root, "/tmp/wc_wasi_fs_XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        exit(1);
    }
    path_in(grant, sizeof grant, root, "grant");
    path_in(ro, sizeof ro, root, "ro");
    path_in(outside, sizeof outside, root, "outside");
    mkdir(grant, 0755);
    mkdir(ro, 0755);
    mkdir(outside, 0755);
    char p[512], q[512];
    put_file(outside, "secret", "OUTSIDE");
    put_file(grant, "a.txt", "hello");
    path_in(p, sizeof p, grant, "sub");
    mkdir(p, 0755);
    put_file(grant, "sub/b.txt", "bee");
    put_file(ro, "r.txt", "read me");
    path_in(p, sizeof p, grant, "link_in");
    CHECK(symlink("a.txt", p) == 0, "symlink");
    path_in(p, sizeof p, grant, "link_out");
    CHECK(symlink("../outside/secret", p) == 0, "symlink");
    path_in(p, sizeof p, grant, "abs_link");
    path_in(q, sizeof q, outside, "secret");
    CHECK(symlink(q, p) == 0, "symlink");
}

static void remove_tree(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", root);
}

/* Runs cmd_fs with argv and the two grants; returns its exit code, with its
 * stdout in `out`. */
static int run_guest(int argc, ...)
{
    const char *argv[8] = {"cmd_fs"};
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc && i < 7; i++)
        argv[i + 1] = va_arg(ap, const char *);
    va_end(ap);
    wc_wasi_preopen preopens[] = {
        {.host_path = grant, .guest_path = "/data", .writable = true},
        {.host_path = ro, .guest_path = "/ro", .writable = false},
    };
    wc_wasi_config cfg = {
        .argc = (size_t)argc + 1, .argv = argv,
        .stdio = {[1] = {.kind = WC_WASI_STDIO_BUFFER}, [2] = {.kind = WC_WASI_STDIO_BUFFER}},
        .npreopens = 2, .preopens = preopens,
    };
    wc_error err = {0};
    out[0] = 0;
    wc_wasi *wasi = wc_wasi_new(&cfg, &err);
    CHECK(wasi, "wc_wasi_new: %s", err.msg);
    if (!wasi)
        return -1;
    const wc_import_binding *bindings;
    size_t n = wc_wasi_bindings(wasi, &bindings);
    wc_instance_config icfg = {0};
    wc_instance *inst = NULL;
    int code = -1;
    if (wc_instance_new(guest, &icfg, bindings, n, &inst, NULL, &err) == 0) {
        wc_trap trap = wc_instance_call(inst, "_start", NULL, NULL, &err);
        code = trap == WC_TRAP_NONE ? 0 : trap == WC_TRAP_EXIT ? wc_instance_exit_code(inst) : -2;
        wc_instance_free(inst);
    } else {
        CHECK(false, "instantiate: %s", err.msg);
    }
    size_t len;
    const uint8_t *text = wc_wasi_output(wasi, 1, &len);
    if (len >= sizeof out)
        len = sizeof out - 1;
    memcpy(out, text, len);
    out[len] = 0;
    wc_wasi_free(wasi);
    return code;
}

#define EXPECT(want_code, want_out, ...)                                          \
    do {                                                                          \
        int code_ = run_guest(__VA_ARGS__);                                       \
        CHECK(code_ == (want_code) && strcmp(out, want_out) == 0,                 \
              "%s: exit %d, out \"%s\" (want %d, \"%s\")", #__VA_ARGS__, code_, out, \
              want_code, want_out);                                               \
    } while (0)

/* ---- the ordinary path ------------------------------------------------- */

static void test_read_write_list(void)
{
    EXPECT(0, "hello", 2, "read", "/data/a.txt");
    EXPECT(0, "bee", 2, "read", "/data/sub/b.txt");
    EXPECT(0, "hello", 2, "read", "/data/link_in");
    EXPECT(0, "hello", 2, "read", "/data/sub/../a.txt");
    EXPECT(0, "a.txt\nabs_link\nlink_in\nlink_out\nsub\n", 2, "list", "/data");
    EXPECT(0, "file 5\n", 2, "stat", "/data/a.txt");
    EXPECT(0, "dir\n", 2, "stat", "/data/sub");
    EXPECT(0, "tail=llo at=5\n", 2, "seek", "/data/a.txt");
    EXPECT(0, "a.txt\n", 2, "readlink", "/data/link_in");
    EXPECT(1, "errno=44\n", 2, "read", "/data/nothing");

    EXPECT(0, "ok\n", 3, "write", "/data/new.txt", "fresh");
    CHECK(strcmp(host_text(grant, "new.txt"), "fresh") == 0, "written: %s", host_text(grant, "new.txt"));
    EXPECT(0, "ok\n", 3, "append", "/data/new.txt", " more");
    CHECK(strcmp(host_text(grant, "new.txt"), "fresh more") == 0, "appended");
    EXPECT(0, "ok\n", 3, "truncate", "/data/new.txt", "3");
    CHECK(strcmp(host_text(grant, "new.txt"), "fre") == 0, "truncated: %s", host_text(grant, "new.txt"));
    EXPECT(0, "ok\n", 2, "mkdir", "/data/d");
    EXPECT(0, "ok\n", 3, "rename", "/data/new.txt", "/data/d/n.txt");
    CHECK(strcmp(host_text(grant, "d/n.txt"), "fre") == 0, "renamed");
    EXPECT(0, "n.txt\n", 2, "list", "/data/d");
    EXPECT(0, "ok\n", 3, "link", "/data/d/n.txt", "/data/d/hard");
    EXPECT(0, "fre", 2, "read", "/data/d/hard");
    EXPECT(0, "ok\n", 3, "symlink", "/data/d/soft", "n.txt");
    EXPECT(0, "fre", 2, "read", "/data/d/soft");
    EXPECT(0, "ok\n", 2, "unlink", "/data/d/n.txt");
    EXPECT(0, "ok\n", 2, "unlink", "/data/d/hard");
    EXPECT(0, "ok\n", 2, "unlink", "/data/d/soft");
    EXPECT(0, "ok\n", 2, "rmdir", "/data/d");
    CHECK(!host_exists(grant, "d"), "removed");
}

/* ---- escapes ----------------------------------------------------------- */

static void test_escapes(void)
{
    char perm[32];
    snprintf(perm, sizeof perm, "errno=%d\n", E_PERM);
    /* `..` above the grant, at once or after a step down */
    EXPECT(1, perm, 2, "read", "/data/../outside/secret");
    EXPECT(1, perm, 2, "read", "/data/sub/../../outside/secret");
    EXPECT(1, perm, 2, "list", "/data/..");
    /* symlinks out: relative, absolute, and a hard link to one */
    EXPECT(1, perm, 2, "read", "/data/link_out");
    EXPECT(1, perm, 2, "read", "/data/abs_link");
    EXPECT(1, perm, 2, "raw_open", "link_out");
    EXPECT(1, "errno=32\n", 2, "raw_open_nofollow", "link_out");
    EXPECT(0, "ok\n", 3, "raw_link", "link_out", "hard_out");
    EXPECT(1, perm, 2, "raw_open", "hard_out");
    /* absolute paths straight to the host call (libc would stop them) */
    EXPECT(1, perm, 2, "raw_open", "/etc/passwd");
    char abs[512];
    path_in(abs, sizeof abs, outside, "secret");
    EXPECT(1, perm, 2, "raw_open", abs);
    EXPECT(1, perm, 2, "raw_open", "../outside/secret");
    EXPECT(1, perm, 2, "raw_open", "sub/../../outside/secret");
    /* a name of the host that is not granted is not found by libc */
    CHECK(run_guest(2, "read", "/outside/secret") == 1 && !strstr(out, "OUTSIDE"), "out: %s", out);
    /* creating, moving, linking, removing and stat'ing outside */
    EXPECT(1, perm, 2, "raw_mkdir", "../made");
    CHECK(!host_exists(root, "made"), "mkdir outside");
    EXPECT(1, perm, 3, "raw_rename", "a.txt", "../moved");
    CHECK(!host_exists(root, "moved") && host_exists(grant, "a.txt"), "rename outside");
    EXPECT(1, perm, 3, "raw_rename", "../outside/secret", "stolen");
    CHECK(!host_exists(grant, "stolen") && host_exists(outside, "secret"), "rename in");
    EXPECT(1, perm, 3, "raw_link", "../outside/secret", "stolen");
    CHECK(!host_exists(grant, "stolen"), "link in");
    EXPECT(1, perm, 3, "raw_link", "a.txt", "../linked");
    CHECK(!host_exists(root, "linked"), "link out");
    EXPECT(1, perm, 2, "raw_unlink", "../outside/secret");
    CHECK(host_exists(outside, "secret"), "unlink outside");
    EXPECT(1, perm, 2, "raw_stat", "../outside");
    EXPECT(1, perm, 2, "raw_stat", "link_out");
    /* writing through a symlink that points out */
    EXPECT(1, perm, 3, "write", "/data/link_out", "overwritten");
    CHECK(strcmp(host_text(outside, "secret"), "OUTSIDE") == 0, "secret kept");
    char hard[512];
    path_in(hard, sizeof hard, grant, "hard_out");
    unlink(hard);
}

/* A directory and a symlink to `outside` trade places (renameat2
 * RENAME_EXCHANGE) as fast as the host can while the guest opens race/secret
 * over and over: openat2 must never let one open through the link. */
static atomic_bool racing;

static void *swapper(void *arg)
{
    (void)arg;
    char a[512], b[512];
    path_in(a, sizeof a, grant, "race");
    path_in(b, sizeof b, grant, "race_swap");
    while (atomic_load(&racing))
        renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
    return NULL;
}

static void test_symlink_race(void)
{
    char p[512];
    path_in(p, sizeof p, grant, "race");
    mkdir(p, 0755);
    put_file(grant, "race/secret", "inside");
    path_in(p, sizeof p, grant, "race_swap");
    CHECK(symlink(outside, p) == 0, "symlink");
    atomic_store(&racing, true);
    pthread_t t;
    pthread_create(&t, NULL, swapper, NULL);
    int code = run_guest(3, "race", "/data/race/secret", "3000");
    atomic_store(&racing, false);
    pthread_join(t, NULL);
    int opened = -1, leaked = -1;
    sscanf(out, "opened=%d leaked=%d", &opened, &leaked);
    CHECK(code == 0 && leaked == 0 && opened > 0, "race: %s", out);
    printf("symlink race: %d of 3000 opens went through, %d leaked\n", opened, leaked);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/race' '%s/race_swap'", grant, grant);
    CHECK(system(cmd) == 0, "cleanup");
}

/* ---- read-only grants -------------------------------------------------- */

static void test_read_only(void)
{
    char rofs[32];
    snprintf(rofs, sizeof rofs, "errno=%d\n", E_ROFS);
    EXPECT(0, "read me", 2, "read", "/ro/r.txt");
    EXPECT(0, "r.txt\n", 2, "list", "/ro");
    EXPECT(1, rofs, 3, "write", "/ro/new", "x");
    EXPECT(1, rofs, 3, "write", "/ro/r.txt", "x");
    EXPECT(1, rofs, 3, "append", "/ro/r.txt", "x");
    EXPECT(1, rofs, 3, "truncate", "/ro/r.txt", "0");
    EXPECT(1, rofs, 2, "mkdir", "/ro/d");
    EXPECT(1, rofs, 2, "unlink", "/ro/r.txt");
    EXPECT(1, rofs, 3, "rename", "/ro/r.txt", "/ro/s.txt");
    EXPECT(1, rofs, 3, "rename", "/ro/r.txt", "/data/stolen");
    EXPECT(1, rofs, 3, "rename", "/data/a.txt", "/ro/a.txt");
    EXPECT(1, rofs, 3, "symlink", "/ro/s", "r.txt");
    EXPECT(1, rofs, 3, "link", "/ro/r.txt", "/ro/h");
    CHECK(strcmp(host_text(ro, "r.txt"), "read me") == 0, "kept: %s", host_text(ro, "r.txt"));
    CHECK(!host_exists(ro, "new") && !host_exists(ro, "d") && !host_exists(grant, "stolen"),
          "nothing made");
}

/* ---- limits and hostile arguments -------------------------------------- */

/* The descriptors this process has open. */
static int open_host_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 4096; fd++)
        n += fcntl(fd, F_GETFD) != -1;
    return n;
}

static void test_limits(void)
{
    char want[64];
    /* 3 streams and 2 preopens hold 5 of the table's slots; the guest
     * exits with all of them open, and freeing its WASI closes them */
    int before = open_host_fds();
    snprintf(want, sizeof want, "opened=%d errno=%d\n", WC_WASI_MAX_FDS - 5, E_MFILE);
    EXPECT(0, want, 2, "exhaust", "/data/a.txt");
    CHECK(open_host_fds() == before, "%d host descriptors left open by a full table",
          open_host_fds() - before);
    snprintf(want, sizeof want, "hostile=%d,%d,%d,%d,%d,%d,%d,%d\n", E_FAULT, E_NAMETOOLONG,
             E_FAULT, E_INVAL, E_FAULT, E_NAMETOOLONG, E_FAULT, E_FAULT);
    EXPECT(0, want, 1, "hostile");
}

static void test_config_errors(void)
{
    wc_error err = {0};
    char missing[512], file[512];
    path_in(missing, sizeof missing, root, "missing");
    path_in(file, sizeof file, grant, "a.txt");
    wc_wasi_preopen one = {.host_path = missing, .guest_path = "/m"};
    CHECK(wc_wasi_preopens_check(&one, 1, "plugin 'p'", &err) == WC_ENOENT &&
              strstr(err.msg, "plugin 'p': cannot grant") && strstr(err.msg, missing),
          "missing: %s", err.msg);
    wc_wasi_preopen notdir = {.host_path = file, .guest_path = "/f"};
    CHECK(wc_wasi_preopens_check(&notdir, 1, "plugin 'p'", &err) != 0 &&
              strstr(err.msg, "not a directory"), "file: %s", err.msg);
    wc_wasi_preopen twice[2] = {{.host_path = grant, .guest_path = "/d"},
                                {.host_path = ro, .guest_path = "/d"}};
    CHECK(wc_wasi_preopens_check(twice, 2, "plugin 'p'", &err) == WC_EINVAL &&
              strstr(err.msg, "granted twice"), "twice: %s", err.msg);
    wc_wasi_preopen many[WC_WASI_MAX_PREOPENS + 1];
    for (int i = 0; i <= WC_WASI_MAX_PREOPENS; i++)
        many[i] = (wc_wasi_preopen){.host_path = grant, .guest_path = "/d"};
    CHECK(wc_wasi_preopens_check(many, WC_WASI_MAX_PREOPENS + 1, "plugin 'p'", &err) == WC_ETOOBIG,
          "many: %s", err.msg);
    wc_wasi_preopen good[2] = {{.host_path = grant, .guest_path = "/data"},
                               {.host_path = ro, .guest_path = "/ro"}};
    CHECK(wc_wasi_preopens_check(good, 2, "plugin 'p'", &err) == 0, "good: %s", err.msg);
    wc_wasi_config cfg = {.npreopens = 1, .preopens = &one};
    CHECK(!wc_wasi_new(&cfg, &err) && err.code == WC_ENOENT, "new with a missing dir: %s", err.msg);
}

/* ---- every plugin ABI ------------------------------------------------- */

/* The text of tool read_file of the plugin at path, granted `grants`;
 * *is_error tells whether the result was an error. */
static char *read_through(const char *path, wc_wasi_preopen *grants, size_t n, const char *file,
                          bool *is_error)
{
    wc_plugin_config pc = {.name = "fs", .path = (char *)path};
    pc.perms.preopens = grants;
    pc.perms.n_preopens = n;
    wc_plugin *p = NULL;
    wc_error err = {0};
    if (wc_plugin_load(&pc, engine, NULL, &p, &err) != 0) {
        CHECK(false, "cannot load %s: %s", path, err.msg);
        return strdup("");
    }
    int index = wc_manifest_find_tool(wc_plugin_manifest(p), "read_file");
    CHECK(index >= 0, "%s has no read_file", path);
    json_t *args = json_pack("{s:s}", "path", file), *res = NULL;
    int rc = index < 0 ? -1 : wc_plugin_call_tool(p, (size_t)index, NULL, args, NULL, &res, &err);
    json_decref(args);
    char *text;
    if (rc == 0) {
        *is_error = json_is_true(json_object_get(res, "isError"));
        const char *t = json_string_value(
            json_object_get(json_array_get(json_object_get(res, "content"), 0), "text"));
        text = strdup(t ? t : "(no text)");
    } else {
        *is_error = true;
        text = strdup(err.msg);
    }
    json_decref(res);
    wc_plugin_free(p);
    return text;
}

static void test_every_abi(void)
{
    static const char *const guests[] = {"fs_native", "cmd_fs", "extism_fs"};
    wc_wasi_preopen grants[] = {{.host_path = grant, .guest_path = "/data", .writable = false}};
    for (size_t i = 0; i < sizeof guests / sizeof *guests; i++) {
        char path[512];
        snprintf(path, sizeof path, WC_BINARY_DIR "/guests/%s.wasm", guests[i]);
        bool is_error = false;
        char *text = read_through(path, grants, 1, "/data/a.txt", &is_error);
        CHECK(!is_error && strcmp(text, "hello") == 0, "%s granted: %s", guests[i], text);
        free(text);
        text = read_through(path, grants, 1, "/data/../outside/secret", &is_error);
        CHECK(is_error && strstr(text, "errno=63") && !strstr(text, "OUTSIDE"), "%s escape: %s",
              guests[i], text);
        free(text);
        /* denied by default: no grant, no file */
        text = read_through(path, NULL, 0, "/data/a.txt", &is_error);
        CHECK(is_error && strstr(text, "errno=") && !strstr(text, "hello"), "%s ungranted: %s",
              guests[i], text);
        free(text);
    }
    /* A grant that cannot be given stops the load with the reason. */
    char missing[512];
    path_in(missing, sizeof missing, root, "missing");
    wc_wasi_preopen bad = {.host_path = missing, .guest_path = "/m"};
    wc_plugin_config pc = {.name = "fs", .path = WC_BINARY_DIR "/guests/fs_native.wasm"};
    pc.perms.preopens = &bad;
    pc.perms.n_preopens = 1;
    wc_plugin *p = NULL;
    wc_error err = {0};
    CHECK(wc_plugin_load(&pc, engine, NULL, &p, &err) == WC_ENOENT &&
              strstr(err.msg, "plugin 'fs': cannot grant"), "bad grant: %s", err.msg);
    wc_plugin_free(p);
}

/* permissions.allowed_paths in wasmcap.json */
static void test_config(void)
{
    const char *text =
        "{\"fs\": {\"path\": \"p.wasm\", \"permissions\": {\"allowed_paths\": ["
        "{\"host\": \"data\"}, {\"host\": \"/srv/out\", \"guest\": \"/out\", \"writable\": true}]}}}";
    wc_reader reader;
    wc_reader_init(&reader, "wasmcap.json");
    reader.base_dir = "/base";
    json_t *doc = wc_reader_load(&reader, text, strlen(text));
    wc_rnode root_node = wc_reader_root(&reader, doc, "plugins");
    wc_plugin_config *pcs = NULL;
    size_t n = 0;
    bool ok = wc_plugin_configs_read(&root_node, &pcs, &n);
    CHECK(ok && n == 1, "read: %s", reader.error);
    if (ok && n == 1) {
        const wc_permissions *pm = &pcs[0].perms;
        CHECK(pm->n_preopens == 2, "%zu grants", pm->n_preopens);
        CHECK(pm->n_preopens == 2 && !strcmp(pm->preopens[0].host_path, "/base/data") &&
                  !strcmp(pm->preopens[0].guest_path, "data") && !pm->preopens[0].writable &&
                  !strcmp(pm->preopens[1].host_path, "/srv/out") &&
                  !strcmp(pm->preopens[1].guest_path, "/out") && pm->preopens[1].writable,
              "grants as read");
    }
    wc_plugin_configs_free(pcs, n);
    json_decref(doc);

    static const char *const bad[][2] = {
        {"[{\"guest\": \"/x\"}]", "allowed_paths[0].host: required"},
        {"[{\"host\": \"/x\", \"mode\": \"rw\"}]", "allowed_paths[0].mode: unknown key"},
        {"[{\"host\": \"/x\", \"writable\": \"yes\"}]", "allowed_paths[0].writable"},
        {"\"/x\"", "allowed_paths: expected an array"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char doc_text[512];
        snprintf(doc_text, sizeof doc_text,
                 "{\"fs\": {\"path\": \"p.wasm\", \"permissions\": {\"allowed_paths\": %s}}}", bad[i][0]);
        wc_reader_init(&reader, "wasmcap.json");
        json_t *d = wc_reader_load(&reader, doc_text, strlen(doc_text));
        wc_rnode r = wc_reader_root(&reader, d, "plugins");
        pcs = NULL;
        n = 0;
        CHECK(!wc_plugin_configs_read(&r, &pcs, &n) && strstr(reader.error, bad[i][1]),
              "%s: %s", bad[i][0], reader.error);
        json_decref(d);
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    wc_engine_config ecfg;
    wc_engine_config_default(&ecfg);
    ecfg.tier = WC_TIER_FAST;
    ecfg.cache_dir = "";
    wc_error err = {0};
    if (wc_engine_new(&ecfg, &engine, &err) != 0) {
        printf("FAIL: engine: %s\n", err.msg);
        return 1;
    }
    const char *path = WC_BINARY_DIR "/guests/cmd_fs.wasm";
    FILE *f = fopen(path, "rb");
    static uint8_t bytes[1 << 20];
    size_t size = f ? fread(bytes, 1, sizeof bytes, f) : 0;
    if (f)
        fclose(f);
    if (!size || wc_module_new(engine, bytes, size, &guest, &err) != 0) {
        printf("FAIL: cannot load %s: %s\n", path, err.msg);
        return 1;
    }
    make_tree();
    test_read_write_list();
    test_escapes();
    test_symlink_race();
    test_read_only();
    test_limits();
    test_config_errors();
    wc_log_set_level(WC_LOG_ERROR);
    test_every_abi();
    test_config();
    remove_tree();
    wc_module_release(guest);
    wc_engine_free(engine);
    if (failures)
        printf("%d of %d check(s) failed\n", failures, checks);
    else
        printf("all %d filesystem grant checks passed\n", checks);
    return failures != 0;
}
