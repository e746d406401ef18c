/* engine.h -- the WebAssembly engine: modules, instances, calls.
 *
 * Everything above the engine (plugins, host functions, the MCP server) sees
 * only this header.  A module is decoded and validated by our own reader,
 * emitted as C with its interrupt checks (emit.c) and compiled in two
 * tiers: libtcc in memory (fast, ready in milliseconds) and gcc -O2 as
 * a shared object built in the background and cached on disk.  Instances are
 * cheap (pooled linear memories); a fresh one per call is the intended use.
 *
 * Thread safety: an engine and its modules may be used from any number of
 * threads at once.  An instance is used by one thread at a time, except
 * wc_instance_interrupt(), which any thread may call.
 *
 * Errors: functions return 0 or a negative WC_E* code and fill a wc_error.
 */
#ifndef WC_ENGINE_ENGINE_H
#define WC_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/decode.h"
#include "util/error.h"

typedef struct wc_engine wc_engine;
typedef struct wc_module wc_module;
typedef struct wc_instance wc_instance;
typedef struct wc_memory wc_memory; /* a linear memory */
typedef struct wc_table wc_table;   /* a table of funcref or externref */
typedef struct wc_tag wc_tag;       /* an exception tag (exception handling) */

/* ---- values ------------------------------------------------------------ */

/* A function reference, layout-compatible with the runtime's own. */
typedef struct wc_funcref {
    uint32_t type;
    void (*func)(void);
    void *instance;
    void (*tail)(void); /* its tail-call entry, or NULL (wasm-rt.h) */
} wc_funcref;

typedef union wc_value {
    uint32_t i32;
    uint8_t v128[16]; /* a v128's bytes, lane 0 first */
    uint64_t i64;
    float f32;
    double f64;
    wc_funcref funcref; /* func == NULL is ref.null func */
    void *externref;    /* NULL is ref.null extern */
} wc_value;

/* ---- traps ------------------------------------------------------------- */

typedef enum wc_trap {
    WC_TRAP_NONE = 0,
    WC_TRAP_UNREACHABLE,
    WC_TRAP_OOB_MEMORY,      /* out-of-bounds memory access */
    WC_TRAP_OOB_TABLE,       /* out-of-bounds table access or element */
    WC_TRAP_INT_OVERFLOW,    /* integer overflow */
    WC_TRAP_DIV_BY_ZERO,     /* integer divide by zero */
    WC_TRAP_INVALID_CONVERSION,
    WC_TRAP_INDIRECT_CALL,   /* indirect call type mismatch or null */
    WC_TRAP_STACK_EXHAUSTED, /* call stack exhausted */
    WC_TRAP_DEADLINE,        /* deadline exceeded */
    WC_TRAP_INTERRUPTED,     /* wc_instance_interrupt() */
    WC_TRAP_MEMORY_LIMIT,    /* memory limit of the instance reached */
    WC_TRAP_HOST,            /* a host function failed; see the message */
    WC_TRAP_EXIT,            /* WASI proc_exit; see wc_instance_exit_code() */
    WC_TRAP_UNALIGNED_ATOMIC, /* threads: an atomic access not naturally aligned */
    WC_TRAP_UNSHARED_WAIT,   /* threads: memory.atomic.wait on an unshared memory */
    WC_TRAP_UNCAUGHT_EXCEPTION, /* a Wasm exception no handler took reached the host */
} wc_trap;

/* "unreachable", "out of bounds memory access", "call stack exhausted", ... */
const char *wc_trap_name(wc_trap trap);

/* ---- engine ------------------------------------------------------------ */

typedef enum wc_tier {
    WC_TIER_AUTO = 0,  /* fast tier now, optimized tier when the background build is ready
                        * (at once for a module the fast tier refuses: calls too wide) */
    WC_TIER_FAST,      /* libtcc only */
    WC_TIER_OPTIMIZED, /* gcc -O2 only: wc_module_new waits for it (or the cache) */
} wc_tier;

typedef struct wc_engine_config {
    wc_tier tier;
    /* Directory for the optimized-tier cache (created if missing).  NULL:
     * $XDG_CACHE_HOME/wasmcap or ~/.cache/wasmcap; "" disables the disk cache
     * (optimized code is then built per process). */
    const char *cache_dir;
    /* The file holding the key that authenticates cache entries (HMAC-SHA256
     * over each .so), kept outside cache_dir and created 0600 on first use.
     * NULL: $XDG_CONFIG_HOME/wasmcap/cache.key or ~/.config/wasmcap/cache.key;
     * "" (or no usable key): the disk cache is not used. */
    const char *cache_key;
    wc_decode_limits limits; /* zeros: defaults */
    /* Linear memories kept for reuse after their instance is freed. 0: 64. */
    uint32_t memory_pool_size;
    /* Generated code marks the pages it writes, so that freeing a memory
     * zeroes only those (see wasm-rt.h, WC_DIRTY).  It pays where instances
     * are many and short, as a plugin host's are: zeroing a 64 KiB memory
     * whole was 15% of a small tool call, while the marks cost store-heavy
     * code up to a fifth of its speed (docs/BENCHMARKS.md).  Off: memories
     * are zeroed whole. */
    bool track_writes;
} wc_engine_config;

void wc_engine_config_default(wc_engine_config *config);

int wc_engine_new(const wc_engine_config *config, wc_engine **out, wc_error *err);
/* Waits for background compiles to stop; every module and instance must be
 * freed first. */
void wc_engine_free(wc_engine *engine);
/* The largest module wc_module_new accepts, in bytes: readers of module
 * files stop there (wc_read_regular_file). */
size_t wc_engine_max_module_bytes(const wc_engine *engine);

/* ---- modules ----------------------------------------------------------- */

/* Decodes, validates, emits C and compiles.  bytes are copied. */
int wc_module_new(wc_engine *engine, const uint8_t *bytes, size_t size,
                  wc_module **out, wc_error *err);
/* Reference counting: a module lives while it or any instance of it lives. */
wc_module *wc_module_retain(wc_module *module);
void wc_module_release(wc_module *module);

const wc_module_info *wc_module_get_info(const wc_module *module);
/* Instances alive now and made so far in this process (all engines). */
void wc_instance_counts(unsigned long long *live, unsigned long long *created);
/* The tier new instances get now: WC_TIER_FAST or WC_TIER_OPTIMIZED. */
wc_tier wc_module_tier(const wc_module *module);
/* Waits up to timeout_ms (negative: forever) for the optimized tier.
 * Returns 0 when it is in use, WC_ECOMPILE if its build failed (err
 * says why; the fast tier keeps serving), WC_ETIMEDOUT on timeout, or
 * WC_ENOTSUP when the engine builds no optimized tier (WC_TIER_FAST). */
int wc_module_wait_optimized(wc_module *module, int timeout_ms, wc_error *err);
/* The sha256 of the module bytes, as 64 hex digits. */
const char *wc_module_digest(const wc_module *module);

/* ---- imports ----------------------------------------------------------- */

/* A host function.  Signatures are strings of type letters:
 * 'i' i32, 'I' i64, 'f' f32, 'F' f64, 'r' funcref, 'x' externref, 'v' v128.
 * Returns WC_TRAP_NONE, or a trap to raise in the caller (WC_TRAP_HOST with a
 * message set by wc_instance_set_trap_message, WC_TRAP_EXIT after
 * wc_instance_set_exit_code). */
typedef wc_trap (*wc_host_fn)(wc_instance *caller, void *env,
                              const wc_value *args, wc_value *results);

/* Something that satisfies an import. */
typedef struct wc_extern {
    wc_extern_kind kind;
    union {
        struct {
            const char *params, *results;
            wc_host_fn fn;
            void *env;
        } func;
        wc_memory *memory;
        wc_table *table;
        struct {
            uint8_t valtype; /* WC_VT_* */
            bool mutable_;
            /* Storage shared with the importer, as wide as the type: only
             * the wc_value member of valtype may be read or written. */
            wc_value *value;
        } global;
        /* Another instance's exported tag: the same tag, not a copy (its
         * type must equal the import's). */
        wc_tag *tag;
    } u;
} wc_extern;

typedef struct wc_import_binding {
    const char *module, *name;
    wc_extern ext;
} wc_import_binding;

/* Helpers to build bindings in a table. */
#define WC_HOST_FUNC(mod, nm, params_, results_, fn_, env_)                  \
    {.module = (mod), .name = (nm),                                         \
     .ext = {.kind = WC_EXTERN_FUNC,                                        \
             .u.func = {.params = (params_), .results = (results_),         \
                        .fn = (fn_), .env = (env_)}}}

/* ---- host-created memories, tables (for linking tests and hosts) ------- */

int wc_memory_new(wc_engine *engine, uint32_t initial_pages, uint32_t max_pages,
                  bool has_max, wc_memory **out, wc_error *err);
/* A shared memory (threads): it has a maximum, and only a shared import
 * takes it. */
int wc_memory_new_shared(wc_engine *engine, uint32_t initial_pages, uint32_t max_pages,
                         wc_memory **out, wc_error *err);
void wc_memory_free(wc_memory *memory);
uint8_t *wc_memory_data(wc_memory *memory); /* all of it counts as written */
uint64_t wc_memory_size(const wc_memory *memory); /* in bytes */

int wc_table_new(wc_engine *engine, uint8_t elemtype, uint32_t initial,
                 uint32_t max, bool has_max, wc_table **out, wc_error *err);
void wc_table_free(wc_table *table);

/* ---- instances --------------------------------------------------------- */

typedef struct wc_instance_config {
    /* Memory pages (64 KiB) an instance may have; memory.grow beyond returns
     * -1 and a module that needs more initially fails to instantiate.
     * 0: 16384 (1 GiB). */
    uint32_t max_memory_pages;
    /* Nested Wasm calls; 0: 10000.  The native stack is checked as well. */
    uint32_t max_call_depth;
    /* Wall-clock limit for each call (and the start function), in ms; 0: none. */
    uint32_t timeout_ms;
    /* When true, timeout_ms bounds the instance's whole life instead: it
     * starts at wc_instance_new and covers instantiation and every call
     * together; once passed, every call traps with WC_TRAP_DEADLINE.  For
     * hosts that create an instance per request (and pay one watchdog arm
     * instead of one per call). */
    bool timeout_whole_instance;
    /* Passed to host functions through wc_instance_host_data(). */
    void *host_data;
    /* The caller keeps the module alive until wc_instance_free returns, so
     * the instance need not hold a reference: two atomic operations fewer
     * on a count every worker making instances of the module shares. */
    bool module_borrowed;
} wc_instance_config;

/* Resolves every import of the module against bindings (by module, name,
 * kind and type; a missing or mismatched import is WC_ELINK naming it),
 * allocates the instance and runs the start function.  A trap there is
 * WC_ETRAP with the trap's name; *trap (if not NULL) gets its kind. */
int wc_instance_new(wc_module *module, const wc_instance_config *config,
                    const wc_import_binding *bindings, size_t nbindings,
                    wc_instance **out, wc_trap *trap, wc_error *err);
void wc_instance_free(wc_instance *instance);

/* Calls export `name` (a function).  args and results hold exactly the
 * function's parameter and result counts.  Returns WC_TRAP_NONE or the trap;
 * the instance stays usable after a trap (its state is whatever the trap
 * left).  A wrong name or kind is WC_ENOTFOUND in err and WC_TRAP_HOST. */
wc_trap wc_instance_call(wc_instance *instance, const char *name,
                         const wc_value *args, wc_value *results, wc_error *err);

/* The index of export `name` of `len` bytes (names may contain NUL), or
 * WC_ENOTFOUND. */
int wc_instance_export_index(const wc_instance *instance, const char *name, size_t len);
/* wc_instance_call by export index. */
wc_trap wc_instance_call_index(wc_instance *instance, uint32_t export_index,
                               const wc_value *args, wc_value *results, wc_error *err);

/* The export's function type, or NULL if `name` is not an exported function. */
const wc_functype *wc_instance_func_type(const wc_instance *instance, const char *name);

/* An export as something another instance can import.  Returns WC_ENOTFOUND
 * if there is no such export.  The extern is valid while the instance lives. */
int wc_instance_export(wc_instance *instance, const char *name, wc_extern *out);

/* Memory index 0 (defined or imported), or NULL when the module has none. */
wc_memory *wc_instance_memory(wc_instance *instance);

/* Asks the running call to stop at its next loop header or function entry:
 * it traps with WC_TRAP_INTERRUPTED.  It reaches the call wherever its
 * thread runs: code of other instances the call entered (imported exports,
 * funcrefs in shared tables) and calls into Wasm its host functions made.
 * Any thread.  A request made while no call runs stops the next call at its
 * start; either way it is consumed by the call it stops. */
void wc_instance_interrupt(wc_instance *instance);

/* With timeout_whole_instance: when the instance's time is up
 * (CLOCK_MONOTONIC ns), for waits in host functions to end by then; 0 when
 * it has no such deadline. */
uint64_t wc_instance_deadline_ns(const wc_instance *instance);

/* True once a memory.grow of memory 0 failed because of the instance's
 * max_memory_pages (not the module's own maximum): the way to tell "the
 * guest ran out of memory under our limit" from other failures. */
bool wc_instance_memory_limit_reached(const wc_instance *instance);

void *wc_instance_host_data(const wc_instance *instance);
const wc_module *wc_instance_module(const wc_instance *instance);
/* For host functions: a message for the trap they are about to return. */
void wc_instance_set_trap_message(wc_instance *instance, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The message of the last trap: its name, or the host's own message. */
const char *wc_instance_trap_message(const wc_instance *instance);
void wc_instance_set_exit_code(wc_instance *instance, int code);
int wc_instance_exit_code(const wc_instance *instance);

/* For host functions: a pointer to `len` bytes at `offset` of the caller's
 * memory 0, or NULL if the range is out of bounds.  The range counts as
 * written (freeing the memory zeroes only written pages): write guest
 * memory through no other pointer. */
void *wc_instance_mem(wc_instance *instance, uint64_t offset, uint64_t len);
/* The same range for reading only: it does not count as written. */
const void *wc_instance_mem_view(const wc_instance *instance, uint64_t offset, uint64_t len);

#endif
