/* code.c -- the two compiler tiers and loading their output. */
#define _GNU_SOURCE
#include "engine/code.h"

#include <dlfcn.h>
#include <errno.h>
#include <libtcc.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/fs.h"
#include "util/process.h"
#include "util/sha256.h"
#include "engine/emit.h"
#include "engine/runtime/atomic.h"
#include "engine/runtime/simd.h"

#ifndef WC_MULTIARCH
#define WC_MULTIARCH "x86_64-linux-gnu"
#endif
#ifndef WC_TCC_LIB_DIR
#define WC_TCC_LIB_DIR "/usr/lib/" WC_MULTIARCH "/tcc"
#endif

extern const char wc_wasm_rt_header[];
extern const char wc_wasm_simd_header[];
extern const char wc_wasm_atomic_header[];

/* libtcc 0.9.27 keeps compiler state in globals. */
static pthread_mutex_t tcc_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct runtime_symbol {
    const char *name;
    const void *addr;
} runtime_symbol;

static const runtime_symbol runtime_symbols[] = {
    {"wasm_rt_init", (const void *)wasm_rt_init},
    {"wasm_rt_is_initialized", (const void *)wasm_rt_is_initialized},
    {"wasm_rt_free", (const void *)wasm_rt_free},
    {"wasm_rt_trap", (const void *)wasm_rt_trap},
    {"wasm_rt_strerror", (const void *)wasm_rt_strerror},
    {"wasm_rt_register_func_type", (const void *)wasm_rt_register_func_type},
    {"wc_rt_register_func_type_sig", (const void *)wc_rt_register_func_type_sig},
    {"wasm_rt_allocate_memory", (const void *)wasm_rt_allocate_memory},
    {"wasm_rt_grow_memory", (const void *)wasm_rt_grow_memory},
    {"wasm_rt_free_memory", (const void *)wasm_rt_free_memory},
    {"wasm_rt_allocate_funcref_table", (const void *)wasm_rt_allocate_funcref_table},
    {"wasm_rt_free_funcref_table", (const void *)wasm_rt_free_funcref_table},
    {"wasm_rt_allocate_externref_table", (const void *)wasm_rt_allocate_externref_table},
    {"wasm_rt_free_externref_table", (const void *)wasm_rt_free_externref_table},
    {"wasm_rt_grow_funcref_table", (const void *)wasm_rt_grow_funcref_table},
    {"wasm_rt_grow_externref_table", (const void *)wasm_rt_grow_externref_table},
    {"wc_rt_call_import", (const void *)wc_rt_call_import},
    {"wc_rt_import_ptr", (const void *)wc_rt_import_ptr},
    {"wc_rt_enter_foreign", (const void *)wc_rt_enter_foreign},
    {"wc_rt_enter_foreign_call", (const void *)wc_rt_enter_foreign_call},
    {"wc_rt_module_bytes", (const void *)wc_rt_module_bytes},
    {"wc_rt_data_loaded", (const void *)wc_rt_data_loaded},
    {"wc_rt_load_segment", (const void *)wc_rt_load_segment},
    {"wc_rt_tail_area", (const void *)wc_rt_tail_area},
    {"wc_rt_tail_run", (const void *)wc_rt_tail_run},
    {"wc_rt_try_enter", (const void *)wc_rt_try_enter},
    {"wc_rt_try_leave", (const void *)wc_rt_try_leave},
    {"wc_rt_throw", (const void *)wc_rt_throw},
    {"wc_rt_rethrow", (const void *)wc_rt_rethrow},
    {"wc_rt_caught_tag", (const void *)wc_rt_caught_tag},
    {"wc_rt_caught_values", (const void *)wc_rt_caught_values},
    {"wc_rt_catch_leave", (const void *)wc_rt_catch_leave},
    {"wc_rt_entry_push", (const void *)wc_rt_entry_push},
    {"wc_rt_entry_pop", (const void *)wc_rt_entry_pop},
    {"_setjmp", (const void *)_setjmp}, /* a try's handler (emit_exceptions.c) */
    /* The math the generated code calls (the float operators): given
     * here, so the fast tier does not depend on whether the program that
     * embeds the engine happens to have libm among its loaded objects. */
    {"ceil", (const void *)ceil},
    {"ceilf", (const void *)ceilf},
    {"copysign", (const void *)copysign},
    {"copysignf", (const void *)copysignf},
    {"fabs", (const void *)fabs},
    {"fabsf", (const void *)fabsf},
    {"floor", (const void *)floor},
    {"floorf", (const void *)floorf},
    {"nearbyint", (const void *)nearbyint},
    {"nearbyintf", (const void *)nearbyintf},
    {"sqrt", (const void *)sqrt},
    {"sqrtf", (const void *)sqrtf},
    {"trunc", (const void *)trunc},
    {"truncf", (const void *)truncf},
};

static int check_glue(const wc_rt_glue *glue, wc_error *err)
{
    if (!glue)
        return wc_error_set(err, WC_ECOMPILE, "compiled code has no wc_glue symbol");
    if (strcmp(glue->abi, WC_RT_ABI) != 0)
        return wc_error_set(err, WC_ECOMPILE, "compiled code is for runtime %s, not %s",
                            glue->abi, WC_RT_ABI);
    return 0;
}

static void collect_tcc_error(void *opaque, const char *msg)
{
    wc_buf *b = opaque;
    if (b->len < 1500) {
        wc_buf_str(b, msg);
        wc_buf_byte(b, '\n');
    }
}

int wc_code_compile_fast(const char *source, size_t size, wc_code **out, wc_error *err)
{
    (void)size;
    wc_buf messages;
    wc_buf_init(&messages);
    int rc = 0;
    wc_code *code = calloc(1, sizeof *code);
    if (!code)
        return wc_error_set(err, WC_ENOMEM, "out of memory");

    pthread_mutex_lock(&tcc_lock);
    TCCState *s = tcc_new();
    if (!s) {
        rc = wc_error_set(err, WC_ENOMEM, "libtcc: cannot create a compiler state");
        goto unlock;
    }
    tcc_set_error_func(s, &messages, collect_tcc_error);
    tcc_set_lib_path(s, WC_TCC_LIB_DIR);
    /* Only the directories the unit's system headers live in: libtcc's
     * default list makes every #include probe a dozen missing paths. */
    tcc_set_options(s, "-w -DNDEBUG -nostdinc");
    tcc_add_sysinclude_path(s, WC_TCC_LIB_DIR "/include");
    tcc_add_sysinclude_path(s, "/usr/include/" WC_MULTIARCH);
    tcc_add_sysinclude_path(s, "/usr/include");
    tcc_set_output_type(s, TCC_OUTPUT_MEMORY);
    int compiled = tcc_compile_string(s, source);
    if (compiled < 0) {
        rc = wc_error_set(err, WC_ECOMPILE, "libtcc: %s", wc_buf_cstr(&messages) ?: "compile failed");
        goto unlock;
    }
    for (size_t i = 0; i < sizeof runtime_symbols / sizeof runtime_symbols[0]; i++)
        tcc_add_symbol(s, runtime_symbols[i].name, runtime_symbols[i].addr);
    for (size_t i = 0; i < wc_rt_simd_nsymbols; i++)
        tcc_add_symbol(s, wc_rt_simd_symbols[i].name, wc_rt_simd_symbols[i].addr);
    for (size_t i = 0; i < wc_rt_atomic_nsymbols; i++)
        tcc_add_symbol(s, wc_rt_atomic_symbols[i].name, wc_rt_atomic_symbols[i].addr);
    /* The code goes to pages of its own, not to libtcc's malloc'ed block:
     * libtcc makes the pages under its code executable, and an allocator
     * that later recommits memory on those pages (mimalloc does, with
     * mprotect) takes that away again from under running code. */
    int text_size = tcc_relocate(s, NULL);
    void *text = text_size > 0 ? mmap(NULL, (size_t)text_size, PROT_READ | PROT_WRITE,
                                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                               : MAP_FAILED;
    if (text == MAP_FAILED || tcc_relocate(s, text) < 0) {
        if (text != MAP_FAILED)
            munmap(text, (size_t)text_size);
        rc = wc_error_set(err, WC_ECOMPILE, "libtcc: %s", wc_buf_cstr(&messages) ?: "link failed");
        goto unlock;
    }
    code->text = text;
    code->text_size = (size_t)text_size;
    code->glue = tcc_get_symbol(s, "wc_glue");
unlock:
    pthread_mutex_unlock(&tcc_lock);
    wc_buf_free(&messages);
    if (rc == 0)
        rc = check_glue(code->glue, err);
    code->tcc = s;
    code->tier = WC_TIER_FAST;
    if (rc != 0) {
        wc_code_free(code);
        return rc;
    }
    code->glue->init_module();
    *out = code;
    return 0;
}

/* The optimized tier's bounds on gcc: far above what real modules need,
 * low enough that a hostile one cannot take the machine down. */
#define GCC_ADDRESS_SPACE_MIB 4096ull
#define GCC_CPU_SECONDS 300u
#define GCC_WALL_SECONDS 600u

int wc_code_build_optimized(const char *source, size_t size, uint8_t **so_data,
                            size_t *so_size, wc_cancel *cancel, wc_error *err)
{
    char dir[4096], c_path[4200], so_path[4200];
    int rc = wc_make_temp_dir(dir, sizeof dir, "wasmcap-gcc");
    if (rc)
        return wc_error_set(err, rc, "cannot create a temporary directory: %s", wc_strerror(rc));
    snprintf(c_path, sizeof c_path, "%s/unit.c", dir);
    snprintf(so_path, sizeof so_path, "%s/unit.so", dir);
    rc = wc_write_file(c_path, source, size);
    if (rc) {
        rc = wc_error_set(err, rc, "cannot write %s: %s", c_path, wc_strerror(rc));
        goto done;
    }
    char output[2048];
    /* -fsignaling-nans: without it gcc folds x*1.0, x/1.0, x-0.0 to x,
     * which would let signaling NaNs through where WebAssembly makes them
     * quiet. */
    /* -fstack-clash-protection: a function's frame can be megabytes (its
     * operand stack's slots); gcc then touches it a page at a time, so
     * the guard page below a thread's stack is never jumped over. */
    char *argv[] = {"gcc", "-O2", "-fsignaling-nans", "-fstack-clash-protection", "-w", "-DNDEBUG", "-fPIC", "-shared",
                    "-fno-plt", "-o", so_path, c_path, "-lm", NULL};
    /* A hostile module must not take the machine's memory or hold a core
     * for ever: each of gcc's processes gets an address space and CPU time
     * limit, and the whole run a wall-clock one. */
    const wc_process_limits limits = {GCC_ADDRESS_SPACE_MIB << 20, GCC_CPU_SECONDS, GCC_WALL_SECONDS * 1000};
    bool timed_out;
    int status = wc_run_process_limited(argv, output, sizeof output, cancel, &limits, &timed_out);
    if (status < 0) {
        rc = wc_error_set(err, WC_ECOMPILE, "cannot run gcc: %s", wc_strerror(status));
        goto done;
    }
    if (timed_out || status == 128 + SIGXCPU) {
        rc = wc_error_set(err, WC_ECOMPILE, "gcc stopped: the module's code took more than the optimized tier's "
                          "limit of %u s %s", timed_out ? GCC_WALL_SECONDS : GCC_CPU_SECONDS,
                          timed_out ? "(wall clock)" : "of CPU time");
        goto done;
    }
    if (status != 0) {
        rc = wc_error_set(err, WC_ECOMPILE, "gcc failed (status %d, under the optimized tier's limit of %u MiB "
                          "of address space): %s", status, (unsigned)GCC_ADDRESS_SPACE_MIB, output);
        goto done;
    }
    rc = wc_read_file(so_path, 0, so_data, so_size);
    if (rc)
        rc = wc_error_set(err, rc, "cannot read %s: %s", so_path, wc_strerror(rc));
done:
    wc_remove_dir(dir);
    return rc;
}

int wc_code_load_optimized(const uint8_t *so_data, size_t so_size, wc_code **out, wc_error *err)
{
    int fd = memfd_create("wasmcap-code", MFD_CLOEXEC);
    if (fd < 0) {
        int rc = -errno;
        return wc_error_set(err, rc, "memfd_create: %s", wc_strerror(rc));
    }
    size_t done = 0;
    while (done < so_size) {
        ssize_t n = write(fd, so_data + done, so_size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int rc = n < 0 ? -errno : WC_EIO;
            close(fd);
            return wc_error_set(err, rc, "writing compiled code: %s", wc_strerror(rc));
        }
        done += (size_t)n;
    }
    /* The memfd stays open while the object is loaded: dlopen recognises
     * objects by path, and a reused descriptor number would make it return
     * another module's code. */
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        close(fd);
        return wc_error_set(err, WC_ECOMPILE, "cannot load compiled code: %s", dlerror());
    }
    wc_code *code = calloc(1, sizeof *code);
    if (!code) {
        dlclose(dl);
        close(fd);
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    code->dl = dl;
    code->fd = fd;
    code->tier = WC_TIER_OPTIMIZED;
    code->glue = dlsym(dl, "wc_glue");
    int rc = check_glue(code->glue, err);
    if (rc) {
        wc_code_free(code);
        return rc;
    }
    code->glue->init_module();
    *out = code;
    return 0;
}

void wc_code_free(wc_code *code)
{
    if (!code)
        return;
    if (code->tcc) {
        pthread_mutex_lock(&tcc_lock);
        tcc_delete(code->tcc);
        pthread_mutex_unlock(&tcc_lock);
    }
    if (code->text)
        munmap(code->text, code->text_size);
    if (code->dl) {
        dlclose(code->dl);
        close(code->fd);
    }
    free(code);
}

static pthread_once_t toolchain_once = PTHREAD_ONCE_INIT;
static char toolchain_id[512];

static void first_line(char *s)
{
    s[strcspn(s, "\r\n")] = 0;
}

static void compute_toolchain_id(void)
{
    char gcc_version[128] = "unknown";
    char *gcc_argv[] = {"gcc", "-dumpfullversion", NULL};
    if (wc_run_process(gcc_argv, gcc_version, sizeof gcc_version, NULL) != 0)
        strcpy(gcc_version, "unavailable");
    first_line(gcc_version);
    char header_digest[65];
    /* every header the units embed */
    const void *parts[] = {wc_wasm_rt_header, wc_wasm_simd_header, wc_wasm_atomic_header};
    size_t sizes[] = {strlen(wc_wasm_rt_header), strlen(wc_wasm_simd_header),
                      strlen(wc_wasm_atomic_header)};
    wc_sha256_hex(parts, sizes, 3, header_digest);
    snprintf(toolchain_id, sizeof toolchain_id,
             "emitter %d; gcc %s -O2 -fsignaling-nans -fstack-clash-protection; %s; wasm-rt.h+wasm-simd.h+wasm-atomic.h %.16s",
             WC_EMIT_VERSION,
             gcc_version, WC_RT_ABI, header_digest);
}

const char *wc_code_toolchain_id(void)
{
    pthread_once(&toolchain_once, compute_toolchain_id);
    return toolchain_id;
}
