/* test_thread_footprint.c -- what every thread of a wasmcap process costs
 * before it does anything: its static thread-local storage, which the C
 * library allocates and zeroes for each thread at creation (a server
 * starts a dozen).  The program's TLS segment (this test links every
 * layer, as the server does) stays under 4 KiB: a large per-thread buffer
 * is allocated by the thread that needs it (the tail-call area was a
 * 32 KiB thread-local array). */
#define _GNU_SOURCE /* dl_iterate_phdr */
#include <elf.h>
#include <link.h>
#include <stdio.h>

#include "check.h"
#include "engine/engine.h"

#define MAX_STATIC_TLS 4096

static int find_tls(struct dl_phdr_info *info, size_t size, void *arg)
{
    size_t *tls = arg;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_TLS)
            *tls = info->dlpi_phdr[i].p_memsz;
    return 1; /* the first object is the program itself */
}

int main(void)
{
    /* Referenced, so the engine's objects (and their TLS) are linked in. */
    wc_engine_config config;
    wc_engine_config_default(&config);
    wc_engine *engine = NULL;
    wc_error err;
    CHECK(wc_engine_new(&config, &engine, &err) == 0, "wc_engine_new: %s", err.msg);
    size_t tls = 0;
    dl_iterate_phdr(find_tls, &tls);
    CHECK(tls > 0 && tls < MAX_STATIC_TLS, "the program's static TLS is %zu bytes (at most %d)",
          tls, MAX_STATIC_TLS);
    wc_engine_free(engine);
    printf("%s: %d checks, %d failures (static TLS %zu bytes)\n", failures ? "FAIL" : "ok", checks,
           failures, tls);
    return failures != 0;
}
