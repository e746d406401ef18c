/* code.h -- compiled code units: libtcc in memory, or gcc shared objects.
 *
 * A wc_code is one translation unit (see emit.c) compiled and loaded,
 * with its module-level initialisation done; instances of a module run on
 * it.  Both tiers produce the same wc_rt_glue interface.
 */
#ifndef WC_ENGINE_CODE_H
#define WC_ENGINE_CODE_H

#include <stdatomic.h>

#include "engine/engine.h"
#include "engine/runtime/runtime.h"
#include "util/process.h"

typedef struct wc_code {
    wc_tier tier; /* WC_TIER_FAST or WC_TIER_OPTIMIZED */
    const wc_rt_glue *glue;
    void *tcc; /* TCCState, fast tier */
    void *text; /* the fast tier's relocated code: pages of its own (mmap) */
    size_t text_size;
    void *dl;  /* dlopen handle, optimized tier */
    int fd;    /* the memfd dl was loaded from */
} wc_code;

/* Compiles source with libtcc in memory.  libtcc is not thread-safe: calls
 * are serialized by a process-wide lock. */
int wc_code_compile_fast(const char *source, size_t size, wc_code **out, wc_error *err);

/* Compiles source with gcc -O2 into a shared object; *so_data gets its bytes
 * (malloc'ed) for caching and loading.  cancel (may be NULL) stops gcc. */
int wc_code_build_optimized(const char *source, size_t size, uint8_t **so_data,
                            size_t *so_size, wc_cancel *cancel, wc_error *err);

/* Loads a shared object from memory (through a memfd, so what was verified
 * is exactly what is loaded). */
int wc_code_load_optimized(const uint8_t *so_data, size_t so_size, wc_code **out, wc_error *err);

void wc_code_free(wc_code *code);

/* A string naming everything the compiled code depends on: the emitter's
 * version (emit.h), gcc's, the runtime header.  Part of the
 * cache key.  Computed once per process. */
const char *wc_code_toolchain_id(void);

#endif
