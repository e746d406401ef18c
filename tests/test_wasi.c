/* test_wasi.c -- WASI preview 1 and `wasmcap exec`, end to end.
 *
 * Runs the example programs (built by `make examples`) through
 * the engine with captured streams, drives every risky host function with a
 * hostile module that passes out-of-bounds pointers, and runs the wasmcap
 * binary for exit codes, traps, timeouts and memory limits.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "host/wasi.h"
#include "util/size.h"

#include "check.h"

/* preview-1 errno values the tests expect */
enum {
    E_SUCCESS = 0,
    E_BADF = 8,
    E_FAULT = 21,
    E_FBIG = 22,
    E_INVAL = 28,
    E_NOSYS = 52,
    E_NOTDIR = 54,
    E_SPIPE = 70,
};

#define EXAMPLE(name) WC_SOURCE_DIR "/examples/" name "/" name ".wasm"

static wc_engine *engine;

/* ---- helpers ----------------------------------------------------------- */

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc(len > 0 ? (size_t)len : 1);
    if (data && fread(data, 1, (size_t)len, f) != (size_t)len) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *size = (size_t)len;
    return data;
}

static wc_module *load_module(const uint8_t *bytes, size_t size)
{
    wc_module *module = NULL;
    wc_error err = {0};
    if (wc_module_new(engine, bytes, size, &module, &err) != 0) {
        printf("FAIL: cannot load module: %s\n", err.msg);
        failures++;
        return NULL;
    }
    return module;
}

static wc_module *load_example(const char *path)
{
    size_t size;
    uint8_t *bytes = read_file(path, &size);
    if (!bytes) {
        printf("FAIL: cannot read %s (run `make examples` first)\n", path);
        failures++;
        return NULL;
    }
    wc_module *module = load_module(bytes, size);
    free(bytes);
    return module;
}

static bool output_is(const wc_wasi *wasi, int fd, const char *expected)
{
    size_t len;
    const uint8_t *out = wc_wasi_output(wasi, fd, &len);
    bool same = out && len == strlen(expected) && memcmp(out, expected, len) == 0;
    if (!same)
        printf("  fd %d: expected \"%s\", got \"%.*s\"\n", fd, expected, (int)len,
               out ? (const char *)out : "");
    return same;
}

/* A command's result: exit code 0 when _start returned. */
typedef struct run_result {
    wc_trap trap;
    int exit_code;
} run_result;

static run_result run_start(wc_module *module, wc_wasi *wasi, uint32_t max_pages)
{
    run_result r = {WC_TRAP_HOST, -1};
    const wc_import_binding *bindings;
    size_t n = wc_wasi_bindings(wasi, &bindings);
    wc_instance_config icfg = {.max_memory_pages = max_pages};
    wc_instance *inst = NULL;
    wc_error err = {0};
    if (wc_instance_new(module, &icfg, bindings, n, &inst, NULL, &err) != 0) {
        printf("FAIL: cannot instantiate: %s\n", err.msg);
        failures++;
        return r;
    }
    r.trap = wc_instance_call(inst, "_start", NULL, NULL, &err);
    if (r.trap == WC_TRAP_NONE)
        r.exit_code = 0;
    else if (r.trap == WC_TRAP_EXIT)
        r.exit_code = wc_instance_exit_code(inst);
    wc_instance_free(inst);
    return r;
}

/* ---- the example program ----------------------------------------------- */

static void test_hello_captured(wc_module *hello)
{
    const char *argv[] = {"hello", "alice", "-", "--env"};
    const char *env[] = {"GREETING=Hi", "FOO=bar"};
    const char *input = "bob\ncarol\n";
    wc_wasi_config cfg = {
        .argc = 4, .argv = argv, .envc = 2, .environ = env,
        .stdio = {{.kind = WC_WASI_STDIO_BUFFER, .data = (const uint8_t *)input,
                   .size = strlen(input)},
                  {.kind = WC_WASI_STDIO_BUFFER},
                  {.kind = WC_WASI_STDIO_BUFFER}},
    };
    wc_error err = {0};
    wc_wasi *wasi = wc_wasi_new(&cfg, &err);
    CHECK(wasi, "%s", err.msg);
    if (!wasi)
        return;
    run_result r = run_start(hello, wasi, 0);
    CHECK(r.exit_code == 0, "trap %d exit %d", r.trap, r.exit_code);
    CHECK(output_is(wasi, 1,
                    "Hi, alice!\nHi, bob!\nHi, carol!\nenv: GREETING=Hi\nenv: FOO=bar\n"),
          "stdout");
    CHECK(output_is(wasi, 2, ""), "stderr");
    CHECK(!wc_wasi_output_truncated(wasi, 1), "not truncated");
    wc_wasi_free(wasi);
}

static void test_hello_defaults(wc_module *hello)
{
    /* No environment, stdin and stderr closed to the null stream. */
    const char *argv[] = {"hello"};
    wc_wasi_config cfg = {.argc = 1, .argv = argv,
                          .stdio = {[1] = {.kind = WC_WASI_STDIO_BUFFER}}};
    wc_wasi *wasi = wc_wasi_new(&cfg, NULL);
    run_result r = run_start(hello, wasi, 0);
    CHECK(r.exit_code == 0, "trap %d exit %d", r.trap, r.exit_code);
    CHECK(output_is(wasi, 1, "Hello, world!\n"), "stdout");
    wc_wasi_free(wasi);
}

static void test_exit_code(wc_module *hello)
{
    const char *argv[] = {"hello", "--exit", "7"};
    wc_wasi_config cfg = {.argc = 3, .argv = argv,
                          .stdio = {[1] = {.kind = WC_WASI_STDIO_BUFFER},
                                    [2] = {.kind = WC_WASI_STDIO_BUFFER}}};
    wc_wasi *wasi = wc_wasi_new(&cfg, NULL);
    run_result r = run_start(hello, wasi, 0);
    CHECK(r.trap == WC_TRAP_EXIT, "trap %d", r.trap);
    CHECK(r.exit_code == 7, "exit %d", r.exit_code);
    CHECK(output_is(wasi, 1, "Hello, world!\n"), "stdout");
    CHECK(output_is(wasi, 2, "hello: exiting with 7\n"), "stderr");
    wc_wasi_free(wasi);
}

static void test_capture_limit(wc_module *hello)
{
    const char *argv[] = {"hello", "alice", "bob", "carol"};
    wc_wasi_config cfg = {.argc = 4, .argv = argv,
                          .stdio = {[1] = {.kind = WC_WASI_STDIO_BUFFER, .max_capture = 16},
                                    [2] = {.kind = WC_WASI_STDIO_BUFFER}}};
    wc_wasi *wasi = wc_wasi_new(&cfg, NULL);
    run_start(hello, wasi, 0);
    CHECK(output_is(wasi, 1, "Hello, alice!\nHe"), "kept the first 16 bytes");
    CHECK(wc_wasi_output_truncated(wasi, 1), "truncation flagged");
    CHECK(!wc_wasi_output_truncated(wasi, 2), "stderr untouched");
    wc_wasi_free(wasi);
}

static void test_grow_limit(wc_module *grow)
{
    wc_wasi_config cfg = {.stdio = {[1] = {.kind = WC_WASI_STDIO_BUFFER}}};
    wc_wasi *wasi = wc_wasi_new(&cfg, NULL);
    run_result r = run_start(grow, wasi, 32);
    CHECK(r.exit_code == 0, "trap %d exit %d", r.trap, r.exit_code);
    size_t len;
    const uint8_t *out = wc_wasi_output(wasi, 1, &len);
    CHECK(out && memmem(out, len, "memory is 32 pages (2048 KiB)", 29),
          "got \"%.*s\"", (int)len, out ? (const char *)out : "");
    wc_wasi_free(wasi);
}

static void test_config_errors(void)
{
    wc_error err = {0};
    const char *env[] = {"NOEQUALS"};
    wc_wasi_config cfg = {.envc = 1, .environ = env};
    CHECK(!wc_wasi_new(&cfg, &err) && err.code == WC_EINVAL, "environ without '='");
    wc_wasi_config bad_fd = {.stdio = {[1] = {.kind = WC_WASI_STDIO_HOST_FD, .host_fd = -1}}};
    CHECK(!wc_wasi_new(&bad_fd, &err) && err.code == WC_EINVAL, "negative host fd");
}

/* ---- a hostile guest --------------------------------------------------- */

/* Forwards its parameters to the WASI function of the same name:
 *
 * (module
 *   (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
 *   ... likewise fd_read, args_get, args_sizes_get, random_get, clock_time_get,
 *   poll_oneoff, fd_fdstat_get, fd_pread, fd_seek, path_open, sock_accept,
 *   fd_prestat_get, proc_exit ...
 *   (memory (export "memory") 1)
 *   (func (export "fd_write") (param i32 i32 i32 i32) (result i32)
 *     (call $fd_write (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
 *   ...
 *   (func (export "path_open") (param $fd i32) (result i32)
 *     (call $path_open (local.get $fd) (i32.const 0) (i32.const 0) (i32.const 1)
 *                      (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0)
 *                      (i32.const 0)))
 *   (func (export "sock_accept") (param $fd i32) (result i32)
 *     (call $sock_accept (local.get $fd) (i32.const 0) (i32.const 0))))
 *
 * assembled with wat2wasm. */
static const uint8_t hostile_wasm[] = {
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x44, 0x09, 0x60,
  0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x01,
  0x7f, 0x60, 0x03, 0x7f, 0x7e, 0x7f, 0x01, 0x7f, 0x60, 0x05, 0x7f, 0x7f,
  0x7f, 0x7e, 0x7f, 0x01, 0x7f, 0x60, 0x04, 0x7f, 0x7e, 0x7f, 0x7f, 0x01,
  0x7f, 0x60, 0x09, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7e, 0x7e, 0x7f, 0x7f,
  0x01, 0x7f, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f,
  0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x02, 0xfc, 0x03, 0x0e, 0x16, 0x77,
  0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74,
  0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x08, 0x66, 0x64,
  0x5f, 0x77, 0x72, 0x69, 0x74, 0x65, 0x00, 0x01, 0x16, 0x77, 0x61, 0x73,
  0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70,
  0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x07, 0x66, 0x64, 0x5f, 0x72,
  0x65, 0x61, 0x64, 0x00, 0x01, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73,
  0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76,
  0x69, 0x65, 0x77, 0x31, 0x08, 0x61, 0x72, 0x67, 0x73, 0x5f, 0x67, 0x65,
  0x74, 0x00, 0x00, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61,
  0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65,
  0x77, 0x31, 0x0e, 0x61, 0x72, 0x67, 0x73, 0x5f, 0x73, 0x69, 0x7a, 0x65,
  0x73, 0x5f, 0x67, 0x65, 0x74, 0x00, 0x00, 0x16, 0x77, 0x61, 0x73, 0x69,
  0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72,
  0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x0a, 0x72, 0x61, 0x6e, 0x64, 0x6f,
  0x6d, 0x5f, 0x67, 0x65, 0x74, 0x00, 0x00, 0x16, 0x77, 0x61, 0x73, 0x69,
  0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72,
  0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x0e, 0x63, 0x6c, 0x6f, 0x63, 0x6b,
  0x5f, 0x74, 0x69, 0x6d, 0x65, 0x5f, 0x67, 0x65, 0x74, 0x00, 0x02, 0x16,
  0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f,
  0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x0b, 0x70,
  0x6f, 0x6c, 0x6c, 0x5f, 0x6f, 0x6e, 0x65, 0x6f, 0x66, 0x66, 0x00, 0x01,
  0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68,
  0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x0d,
  0x66, 0x64, 0x5f, 0x66, 0x64, 0x73, 0x74, 0x61, 0x74, 0x5f, 0x67, 0x65,
  0x74, 0x00, 0x00, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61,
  0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65,
  0x77, 0x31, 0x08, 0x66, 0x64, 0x5f, 0x70, 0x72, 0x65, 0x61, 0x64, 0x00,
  0x03, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73,
  0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31,
  0x07, 0x66, 0x64, 0x5f, 0x73, 0x65, 0x65, 0x6b, 0x00, 0x04, 0x16, 0x77,
  0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74,
  0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x09, 0x70, 0x61,
  0x74, 0x68, 0x5f, 0x6f, 0x70, 0x65, 0x6e, 0x00, 0x05, 0x16, 0x77, 0x61,
  0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f,
  0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x0b, 0x73, 0x6f, 0x63,
  0x6b, 0x5f, 0x61, 0x63, 0x63, 0x65, 0x70, 0x74, 0x00, 0x06, 0x16, 0x77,
  0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74,
  0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x0e, 0x66, 0x64,
  0x5f, 0x70, 0x72, 0x65, 0x73, 0x74, 0x61, 0x74, 0x5f, 0x67, 0x65, 0x74,
  0x00, 0x00, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70,
  0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77,
  0x31, 0x09, 0x70, 0x72, 0x6f, 0x63, 0x5f, 0x65, 0x78, 0x69, 0x74, 0x00,
  0x07, 0x03, 0x0f, 0x0e, 0x01, 0x01, 0x00, 0x00, 0x00, 0x02, 0x01, 0x00,
  0x03, 0x04, 0x08, 0x08, 0x00, 0x07, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07,
  0xc3, 0x01, 0x0f, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00,
  0x08, 0x66, 0x64, 0x5f, 0x77, 0x72, 0x69, 0x74, 0x65, 0x00, 0x0e, 0x07,
  0x66, 0x64, 0x5f, 0x72, 0x65, 0x61, 0x64, 0x00, 0x0f, 0x08, 0x61, 0x72,
  0x67, 0x73, 0x5f, 0x67, 0x65, 0x74, 0x00, 0x10, 0x0e, 0x61, 0x72, 0x67,
  0x73, 0x5f, 0x73, 0x69, 0x7a, 0x65, 0x73, 0x5f, 0x67, 0x65, 0x74, 0x00,
  0x11, 0x0a, 0x72, 0x61, 0x6e, 0x64, 0x6f, 0x6d, 0x5f, 0x67, 0x65, 0x74,
  0x00, 0x12, 0x0e, 0x63, 0x6c, 0x6f, 0x63, 0x6b, 0x5f, 0x74, 0x69, 0x6d,
  0x65, 0x5f, 0x67, 0x65, 0x74, 0x00, 0x13, 0x0b, 0x70, 0x6f, 0x6c, 0x6c,
  0x5f, 0x6f, 0x6e, 0x65, 0x6f, 0x66, 0x66, 0x00, 0x14, 0x0d, 0x66, 0x64,
  0x5f, 0x66, 0x64, 0x73, 0x74, 0x61, 0x74, 0x5f, 0x67, 0x65, 0x74, 0x00,
  0x15, 0x08, 0x66, 0x64, 0x5f, 0x70, 0x72, 0x65, 0x61, 0x64, 0x00, 0x16,
  0x07, 0x66, 0x64, 0x5f, 0x73, 0x65, 0x65, 0x6b, 0x00, 0x17, 0x09, 0x70,
  0x61, 0x74, 0x68, 0x5f, 0x6f, 0x70, 0x65, 0x6e, 0x00, 0x18, 0x0b, 0x73,
  0x6f, 0x63, 0x6b, 0x5f, 0x61, 0x63, 0x63, 0x65, 0x70, 0x74, 0x00, 0x19,
  0x0e, 0x66, 0x64, 0x5f, 0x70, 0x72, 0x65, 0x73, 0x74, 0x61, 0x74, 0x5f,
  0x67, 0x65, 0x74, 0x00, 0x1a, 0x09, 0x70, 0x72, 0x6f, 0x63, 0x5f, 0x65,
  0x78, 0x69, 0x74, 0x00, 0x1b, 0x0a, 0xa5, 0x01, 0x0e, 0x0c, 0x00, 0x20,
  0x00, 0x20, 0x01, 0x20, 0x02, 0x20, 0x03, 0x10, 0x00, 0x0b, 0x0c, 0x00,
  0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0x20, 0x03, 0x10, 0x01, 0x0b, 0x08,
  0x00, 0x20, 0x00, 0x20, 0x01, 0x10, 0x02, 0x0b, 0x08, 0x00, 0x20, 0x00,
  0x20, 0x01, 0x10, 0x03, 0x0b, 0x08, 0x00, 0x20, 0x00, 0x20, 0x01, 0x10,
  0x04, 0x0b, 0x0a, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0x10, 0x05,
  0x0b, 0x0c, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0x20, 0x03, 0x10,
  0x06, 0x0b, 0x08, 0x00, 0x20, 0x00, 0x20, 0x01, 0x10, 0x07, 0x0b, 0x0e,
  0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0x20, 0x03, 0x20, 0x04, 0x10,
  0x08, 0x0b, 0x0c, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0x20, 0x03,
  0x10, 0x09, 0x0b, 0x16, 0x00, 0x20, 0x00, 0x41, 0x00, 0x41, 0x00, 0x41,
  0x01, 0x41, 0x00, 0x42, 0x00, 0x42, 0x00, 0x41, 0x00, 0x41, 0x00, 0x10,
  0x0a, 0x0b, 0x0a, 0x00, 0x20, 0x00, 0x41, 0x00, 0x41, 0x00, 0x10, 0x0b,
  0x0b, 0x08, 0x00, 0x20, 0x00, 0x20, 0x01, 0x10, 0x0c, 0x0b, 0x06, 0x00,
  0x20, 0x00, 0x10, 0x0d, 0x0b
};

/* (module (func (export "_start") unreachable)) */
static const uint8_t trap_wasm[] = {
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
  0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x0a, 0x01, 0x06, 0x5f, 0x73,
  0x74, 0x61, 0x72, 0x74, 0x00, 0x00, 0x0a, 0x05, 0x01, 0x03, 0x00, 0x00,
  0x0b
};

#define MEM_SIZE 65536u

typedef struct hostile {
    wc_module *module;
    wc_wasi *wasi;
    wc_instance *inst;
    uint8_t *mem;
} hostile;

static bool hostile_open(hostile *h, wc_module *module, const wc_wasi_config *cfg)
{
    memset(h, 0, sizeof *h);
    wc_error err = {0};
    h->wasi = wc_wasi_new(cfg, &err);
    CHECK(h->wasi, "%s", err.msg);
    if (!h->wasi)
        return false;
    const wc_import_binding *bindings;
    size_t n = wc_wasi_bindings(h->wasi, &bindings);
    wc_instance_config icfg = {0};
    if (wc_instance_new(module, &icfg, bindings, n, &h->inst, NULL, &err) != 0) {
        printf("FAIL: hostile module: %s\n", err.msg);
        failures++;
        wc_wasi_free(h->wasi);
        return false;
    }
    h->mem = wc_memory_data(wc_instance_memory(h->inst));
    return true;
}

static void hostile_close(hostile *h)
{
    wc_instance_free(h->inst);
    wc_wasi_free(h->wasi);
}

/* Calls export `name` with i32 arguments (and i64 where the signature has
 * one); returns its i32 result, or -1000 - trap on a trap. */
static int64_t call(hostile *h, const char *name, int nargs, ...)
{
    const wc_functype *type = wc_instance_func_type(h->inst, name);
    if (!type || (int)type->nparams != nargs) {
        printf("FAIL: export %s missing or wrong arity\n", name);
        failures++;
        return -2000;
    }
    wc_value args[16] = {0}, results[1] = {0};
    va_list ap;
    va_start(ap, nargs);
    for (int i = 0; i < nargs; i++) {
        if (type->params[i] == WC_VT_I64)
            args[i].i64 = va_arg(ap, uint64_t);
        else
            args[i].i32 = va_arg(ap, uint32_t);
    }
    va_end(ap);
    wc_error err = {0};
    wc_trap trap = wc_instance_call(h->inst, name, args, results, &err);
    if (trap != WC_TRAP_NONE)
        return -1000 - (int)trap;
    return type->nresults ? (int64_t)results[0].i32 : 0;
}

static void put32(hostile *h, uint32_t at, uint32_t v) { memcpy(h->mem + at, &v, 4); }
static void put64(hostile *h, uint32_t at, uint64_t v) { memcpy(h->mem + at, &v, 8); }
static uint32_t get32(hostile *h, uint32_t at) { uint32_t v; memcpy(&v, h->mem + at, 4); return v; }
static uint64_t get64(hostile *h, uint32_t at) { uint64_t v; memcpy(&v, h->mem + at, 8); return v; }

static void test_hostile_pointers(wc_module *module)
{
    const char *argv[] = {"prog", "arg1"};
    const char *input = "abcdef";
    wc_wasi_config cfg = {
        .argc = 2, .argv = argv,
        .stdio = {{.kind = WC_WASI_STDIO_BUFFER, .data = (const uint8_t *)input, .size = 6},
                  {.kind = WC_WASI_STDIO_BUFFER},
                  {.kind = WC_WASI_STDIO_BUFFER}},
        .fixed_random = true, .random_seed = 42,
    };
    hostile h;
    if (!hostile_open(&h, module, &cfg))
        return;

    /* A good write first: iovec at 0 -> "hi" at 100, count at 200. */
    memcpy(h.mem + 100, "hi", 2);
    put32(&h, 0, 100);
    put32(&h, 4, 2);
    CHECK(call(&h, "fd_write", 4, 1, 0, 1, 200) == E_SUCCESS, "good write");
    CHECK(get32(&h, 200) == 2, "nwritten %u", get32(&h, 200));
    CHECK(output_is(h.wasi, 1, "hi"), "stdout");

    /* iovec array, buffer, result pointer: each out of bounds. */
    CHECK(call(&h, "fd_write", 4, 1, MEM_SIZE - 4, 1, 200) == E_FAULT, "iovec array past end");
    CHECK(call(&h, "fd_write", 4, 1, 0, 0x20000000, 200) == E_FAULT, "huge iovec count");
    put32(&h, 0, MEM_SIZE - 1);
    CHECK(call(&h, "fd_write", 4, 1, 0, 1, 200) == E_FAULT, "buffer past end");
    put32(&h, 0, 0xfffffffe);
    put32(&h, 4, 0xffffffff);
    CHECK(call(&h, "fd_write", 4, 1, 0, 1, 200) == E_FAULT, "buffer wraps around");
    put32(&h, 0, 100);
    put32(&h, 4, 2);
    CHECK(call(&h, "fd_write", 4, 1, 0, 1, MEM_SIZE - 2) == E_FAULT, "nwritten past end");
    CHECK(call(&h, "fd_write", 4, 1, 0, 1, 0xffffffff) == E_FAULT, "nwritten at 4G-1");
    CHECK(output_is(h.wasi, 1, "hi"), "nothing written by a faulting call");
    CHECK(call(&h, "fd_write", 4, 7, 0, 1, 200) == E_BADF, "fd 7");
    CHECK(call(&h, "fd_write", 4, 0, 0, 1, 200) == E_BADF, "write to stdin");

    /* fd_read into a buffer out of bounds, then a good read. */
    put32(&h, 0, MEM_SIZE - 2);
    put32(&h, 4, 4);
    CHECK(call(&h, "fd_read", 4, 0, 0, 1, 200) == E_FAULT, "read past end");
    put32(&h, 0, 300);
    put32(&h, 4, 4);
    CHECK(call(&h, "fd_read", 4, 0, 0, 1, 200) == E_SUCCESS, "good read");
    CHECK(get32(&h, 200) == 4 && memcmp(h.mem + 300, "abcd", 4) == 0, "read abcd");
    CHECK(call(&h, "fd_read", 4, 1, 0, 1, 200) == E_BADF, "read from stdout");

    /* args */
    CHECK(call(&h, "args_sizes_get", 2, 400, MEM_SIZE - 3) == E_FAULT, "sizes past end");
    CHECK(call(&h, "args_sizes_get", 2, 400, 404) == E_SUCCESS, "sizes");
    CHECK(get32(&h, 400) == 2 && get32(&h, 404) == 10, "argc %u size %u", get32(&h, 400),
          get32(&h, 404));
    CHECK(call(&h, "args_get", 2, 500, MEM_SIZE - 9) == E_FAULT, "argv_buf past end");
    CHECK(call(&h, "args_get", 2, MEM_SIZE - 4, 600) == E_FAULT, "argv past end");
    CHECK(call(&h, "args_get", 2, 500, 600) == E_SUCCESS, "args_get");
    CHECK(get32(&h, 500) == 600 && get32(&h, 504) == 605 &&
              strcmp((char *)h.mem + 600, "prog") == 0 &&
              strcmp((char *)h.mem + 605, "arg1") == 0,
          "argv contents");

    /* random, clocks */
    CHECK(call(&h, "random_get", 2, MEM_SIZE - 10, 11) == E_FAULT, "random past end");
    CHECK(call(&h, "random_get", 2, 0xffffffff, 2) == E_FAULT, "random wraps");
    CHECK(call(&h, "random_get", 2, 700, 13) == E_SUCCESS, "random");
    CHECK(call(&h, "clock_time_get", 3, 1, (uint64_t)1, MEM_SIZE - 7) == E_FAULT, "clock past end");
    CHECK(call(&h, "clock_time_get", 3, 9, (uint64_t)1, 800) == E_INVAL, "unknown clock");
    for (uint32_t id = 0; id < 4; id++)
        CHECK(call(&h, "clock_time_get", 3, id, (uint64_t)1, 800) == E_SUCCESS, "clock %u", id);

    /* poll_oneoff arrays out of bounds, and no subscriptions at all. */
    CHECK(call(&h, "poll_oneoff", 4, 1000, 2000, 0x10000000, 3000) == E_FAULT, "huge nsubs");
    CHECK(call(&h, "poll_oneoff", 4, MEM_SIZE - 47, 2000, 1, 3000) == E_FAULT, "subs past end");
    CHECK(call(&h, "poll_oneoff", 4, 1000, MEM_SIZE - 31, 1, 3000) == E_FAULT, "events past end");
    CHECK(call(&h, "poll_oneoff", 4, 1000, 2000, 0, 3000) == E_INVAL, "no subscriptions");

    /* fdstat */
    CHECK(call(&h, "fd_fdstat_get", 2, 1, MEM_SIZE - 23) == E_FAULT, "fdstat past end");
    CHECK(call(&h, "fd_fdstat_get", 2, 1, 808) == E_SUCCESS, "fdstat");
    CHECK(h.mem[808] == 0 && (get64(&h, 816) & (1u << 6)), "stdout: stream with write right");
    CHECK(call(&h, "fd_fdstat_get", 2, 3, 808) == E_BADF, "fdstat fd 3");

    /* Streams are not seekable; stdout cannot be read at an offset. */
    put32(&h, 0, 300);
    put32(&h, 4, 4);
    CHECK(call(&h, "fd_pread", 5, 0, 0, 1, (uint64_t)0, 200) == E_SPIPE, "pread stdin");
    CHECK(call(&h, "fd_pread", 5, 1, 0, 1, (uint64_t)0, 200) == E_BADF, "pread stdout");
    CHECK(call(&h, "fd_seek", 4, 0, (uint64_t)0, 0, 200) == E_SPIPE, "seek stdin");
    CHECK(call(&h, "fd_seek", 4, 0, (uint64_t)0, 9, 200) == E_INVAL, "bad whence");

    /* What is not offered. */
    CHECK(call(&h, "path_open", 1, 1) == E_NOTDIR, "path_open on a stream");
    CHECK(call(&h, "path_open", 1, 3) == E_BADF, "path_open on fd 3");
    CHECK(call(&h, "sock_accept", 1, 0) == E_NOSYS, "sock_accept");
    CHECK(call(&h, "sock_accept", 1, 99) == E_BADF, "sock_accept fd 99");
    CHECK(call(&h, "fd_prestat_get", 2, 3, 900) == E_BADF, "no preopens");

    /* proc_exit traps with the code. */
    CHECK(call(&h, "proc_exit", 1, 5) == -1000 - WC_TRAP_EXIT, "proc_exit traps");
    CHECK(wc_instance_exit_code(h.inst) == 5, "exit code %d", wc_instance_exit_code(h.inst));
    hostile_close(&h);
}

static void test_fixed_random(wc_module *module)
{
    uint8_t first[32];
    for (int run = 0; run < 2; run++) {
        wc_wasi_config cfg = {.fixed_random = true, .random_seed = 7};
        hostile h;
        if (!hostile_open(&h, module, &cfg))
            return;
        CHECK(call(&h, "random_get", 2, 64, 32) == E_SUCCESS, "random");
        if (run == 0)
            memcpy(first, h.mem + 64, 32);
        else
            CHECK(memcmp(first, h.mem + 64, 32) == 0, "same seed, same bytes");
        hostile_close(&h);
    }
}

/* Writes one relative clock subscription at 1000 with timeout ns. */
static void put_sleep(hostile *h, uint64_t userdata, uint64_t ns)
{
    memset(h->mem + 1000, 0, 48);
    put64(h, 1000, userdata);
    h->mem[1008] = 0; /* clock */
    put32(h, 1016, 1); /* monotonic */
    put64(h, 1024, ns);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_poll_virtual_clock(wc_module *module)
{
    wc_wasi_config cfg = {.virtual_clock = true, .virtual_clock_start_ns = 1000};
    hostile h;
    if (!hostile_open(&h, module, &cfg))
        return;
    put_sleep(&h, 77, UINT64_C(5000000000));
    double start = now_seconds();
    CHECK(call(&h, "poll_oneoff", 4, 1000, 2000, 1, 3000) == E_SUCCESS, "poll");
    CHECK(now_seconds() - start < 1.0, "virtual sleeps take no real time");
    CHECK(get32(&h, 3000) == 1 && get64(&h, 2000) == 77 && h.mem[2010] == 0, "clock event");
    CHECK(call(&h, "clock_time_get", 3, 1, (uint64_t)1, 800) == E_SUCCESS, "clock");
    CHECK(get64(&h, 800) == UINT64_C(5000001000), "virtual time %llu",
          (unsigned long long)get64(&h, 800));

    /* An fd subscription is ready at once, a clock beside it is not due. */
    memset(h.mem + 1048, 0, 48);
    put64(&h, 1048, 88);
    h.mem[1056] = 2; /* fd_write */
    put32(&h, 1064, 1);
    CHECK(call(&h, "poll_oneoff", 4, 1000, 2000, 2, 3000) == E_SUCCESS, "poll fd");
    CHECK(get32(&h, 3000) == 1 && get64(&h, 2000) == 88, "only the fd event");
    hostile_close(&h);
}

static void test_poll_real_sleep_and_deadline(wc_module *module)
{
    wc_wasi_config cfg = {0};
    hostile h;
    if (!hostile_open(&h, module, &cfg))
        return;
    put_sleep(&h, 1, 20 * 1000000);
    double start = now_seconds();
    CHECK(call(&h, "poll_oneoff", 4, 1000, 2000, 1, 3000) == E_SUCCESS, "sleep 20ms");
    double slept = now_seconds() - start;
    CHECK(slept >= 0.019 && slept < 2.0, "slept %.3f s", slept);

    /* A 10 s sleep under a 100 ms timeout ends at the deadline with a trap. */
    wc_wasi_set_timeout(h.wasi, 100);
    put_sleep(&h, 1, UINT64_C(10000000000));
    start = now_seconds();
    int64_t r = call(&h, "poll_oneoff", 4, 1000, 2000, 1, 3000);
    slept = now_seconds() - start;
    CHECK(r == -1000 - WC_TRAP_DEADLINE, "result %lld", (long long)r);
    CHECK(slept >= 0.09 && slept < 2.0, "slept %.3f s", slept);
    hostile_close(&h);
}

static void *interrupt_later(void *wasi)
{
    struct timespec ts = {0, 50 * 1000000};
    nanosleep(&ts, NULL);
    wc_wasi_interrupt(wasi);
    return NULL;
}

static void test_poll_interrupt(wc_module *module)
{
    wc_wasi_config cfg = {0};
    hostile h;
    if (!hostile_open(&h, module, &cfg))
        return;
    put_sleep(&h, 1, UINT64_C(10000000000));
    pthread_t thread;
    pthread_create(&thread, NULL, interrupt_later, h.wasi);
    double start = now_seconds();
    int64_t r = call(&h, "poll_oneoff", 4, 1000, 2000, 1, 3000);
    double slept = now_seconds() - start;
    pthread_join(thread, NULL);
    CHECK(r == -1000 - WC_TRAP_INTERRUPTED, "result %lld", (long long)r);
    CHECK(slept < 2.0, "slept %.3f s", slept);
    hostile_close(&h);
}

/* ---- size parsing ------------------------------------------------------ */

static void test_parse_size(void)
{
    static const struct {
        const char *text;
        int rc;
        uint64_t bytes;
    } cases[] = {
        {"4096", 0, 4096},         {"64KiB", 0, 65536},      {"64k", 0, 65536},
        {"16M", 0, 16u << 20},     {"16MiB", 0, 16u << 20},  {"16mb", 0, 16u << 20},
        {"1G", 0, 1u << 30},       {"1GiB", 0, 1u << 30},    {"2T", 0, UINT64_C(2) << 40},
        {"0", 0, 0},               {"12B", 0, 12},           {"", WC_EINVAL, 0},
        {"M", WC_EINVAL, 0},       {"-1", WC_EINVAL, 0},     {" 1", WC_EINVAL, 0},
        {"1 M", WC_EINVAL, 0},     {"16X", WC_EINVAL, 0},    {"1.5G", WC_EINVAL, 0},
        {"18446744073709551616", WC_ETOOBIG, 0}, {"17179869184G", WC_ETOOBIG, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t v = 0;
        int rc = wc_parse_size(cases[i].text, &v);
        CHECK(rc == cases[i].rc && (rc != 0 || v == cases[i].bytes), "\"%s\" -> %d, %llu",
              cases[i].text, rc, (unsigned long long)v);
    }
}

/* ---- the wasmcap exec command ------------------------------------------ */

typedef struct cli_result {
    int status; /* exit status, or -1 */
    char out[4096], err[4096];
    double seconds;
} cli_result;

static void slurp(const char *path, char *buf, size_t cap)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* The optimized tier's disk cache of the commands run here, kept out of $HOME. */
static char cache_dir[] = "/tmp/wasmcap-test-cache-XXXXXX";

/* Runs `wasmcap exec ARGS` through the shell with stdout and stderr in files. */
static void run_cli(cli_result *r, const char *args)
{
    char out_path[] = "/tmp/wasmcap-test-out-XXXXXX";
    char err_path[] = "/tmp/wasmcap-test-err-XXXXXX";
    int out_fd = mkstemp(out_path), err_fd = mkstemp(err_path);
    close(out_fd);
    close(err_fd);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "XDG_CACHE_HOME=%s '%s/wasmcap' exec %s </dev/null >%s 2>%s",
             cache_dir, WC_BINARY_DIR, args, out_path, err_path);
    double start = now_seconds();
    int status = system(cmd);
    r->seconds = now_seconds() - start;
    r->status = status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    slurp(out_path, r->out, sizeof r->out);
    slurp(err_path, r->err, sizeof r->err);
    unlink(out_path);
    unlink(err_path);
}

static void test_cli(void)
{
    static cli_result r; /* large: not on the stack */
    if (!mkdtemp(cache_dir)) {
        printf("FAIL: mkdtemp: %s\n", strerror(errno));
        failures++;
        return;
    }

    run_cli(&r, "'" EXAMPLE("hello") "' -- there");
    CHECK(r.status == 0 && strcmp(r.out, "Hello, there!\n") == 0, "status %d out \"%s\" err \"%s\"",
          r.status, r.out, r.err);

    run_cli(&r, "'" EXAMPLE("hello") "' --tier fast --env GREETING=Hey -- --exit 3");
    CHECK(r.status == 3, "status %d err \"%s\"", r.status, r.err);
    CHECK(strcmp(r.out, "Hey, world!\n") == 0, "out \"%s\"", r.out);

    char trap_path[] = "/tmp/wasmcap-test-trap-XXXXXX";
    int fd = mkstemp(trap_path);
    CHECK(fd >= 0 && write(fd, trap_wasm, sizeof trap_wasm) == (ssize_t)sizeof trap_wasm,
          "temp module");
    close(fd);
    char args[512];
    snprintf(args, sizeof args, "--tier fast %s", trap_path);
    run_cli(&r, args);
    CHECK(r.status == 134, "trap status %d", r.status);
    CHECK(strstr(r.err, "wasmcap: trap: unreachable"), "stderr \"%s\"", r.err);
    unlink(trap_path);

    run_cli(&r, "--tier fast --timeout 300 '" EXAMPLE("loop") "'");
    CHECK(r.status == 134, "timeout status %d err \"%s\"", r.status, r.err);
    CHECK(strstr(r.err, "wasmcap: trap: "), "stderr \"%s\"", r.err);
    CHECK(r.seconds < 10, "took %.1f s", r.seconds);

    run_cli(&r, "--tier fast --memory-limit 16MiB '" EXAMPLE("grow") "'");
    CHECK(r.status == 0 && strstr(r.out, "memory is 256 pages"), "status %d out \"%s\" err \"%s\"",
          r.status, r.out, r.err);
    run_cli(&r, "--tier fast --memory-limit=100000 '" EXAMPLE("grow") "'");
    CHECK(r.status == 0 && strstr(r.out, "memory is 2 pages"), "rounded up: out \"%s\" err \"%s\"",
          r.out, r.err);

    run_cli(&r, "--help");
    CHECK(r.status == 0 && strstr(r.out, "usage: wasmcap exec"), "help status %d", r.status);
    run_cli(&r, "");
    CHECK(r.status == 2 && strstr(r.err, "usage:"), "no file: status %d", r.status);
    run_cli(&r, "--memory-limit 12X '" EXAMPLE("grow") "'");
    CHECK(r.status == 2 && strstr(r.err, "12X"), "bad size: status %d err \"%s\"", r.status, r.err);
    run_cli(&r, "--tier slow x.wasm");
    CHECK(r.status == 2, "bad tier: status %d", r.status);
    run_cli(&r, "/nonexistent/x.wasm");
    CHECK(r.status == 1 && strstr(r.err, "/nonexistent/x.wasm"), "missing file: status %d err \"%s\"",
          r.status, r.err);

    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf '%s'", cache_dir);
    CHECK(system(rm) == 0, "removing %s", cache_dir);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_parse_size();
    test_config_errors();

    wc_engine_config ecfg;
    wc_engine_config_default(&ecfg);
    ecfg.tier = WC_TIER_FAST;
    ecfg.cache_dir = "";
    wc_error err = {0};
    if (wc_engine_new(&ecfg, &engine, &err) != 0) {
        printf("FAIL: engine: %s\n", err.msg);
        return 1;
    }
    wc_module *hello = load_example(EXAMPLE("hello"));
    wc_module *grow = load_example(EXAMPLE("grow"));
    wc_module *hostile_module = load_module(hostile_wasm, sizeof hostile_wasm);
    if (hello) {
        test_hello_captured(hello);
        test_hello_defaults(hello);
        test_exit_code(hello);
        test_capture_limit(hello);
        wc_module_release(hello);
    }
    if (grow) {
        test_grow_limit(grow);
        wc_module_release(grow);
    }
    if (hostile_module) {
        test_hostile_pointers(hostile_module);
        test_fixed_random(hostile_module);
        test_poll_virtual_clock(hostile_module);
        test_poll_real_sleep_and_deadline(hostile_module);
        test_poll_interrupt(hostile_module);
        wc_module_release(hostile_module);
    }
    wc_engine_free(engine);

    test_cli();

    if (failures)
        printf("%d check(s) failed\n", failures);
    else
        printf("all WASI tests passed\n");
    return failures != 0;
}
