/* wasm-rt.h -- the runtime interface the emitted code is compiled against.
 *
 * It began as wasmcap's own implementation of wasm2c's runtime interface
 * (wabt 1.0.32), whose names it keeps; the engine's emitter (emit.c) now
 * writes the code compiled against it.  The header is embedded in the
 * wasmcap binary and handed to libtcc and gcc together with the generated
 * code, and the functions it declares are implemented in
 * src/engine/runtime/.
 *
 * What differs from wabt's header, and why:
 * - Linear memories are reserved with guard pages, so loads and stores are
 *   unchecked and an out-of-bounds access faults into a signal handler that
 *   turns it into a trap (WASM_RT_MEMCHECK_SIGNAL_HANDLER).
 * - The call depth is counted per instance, not in a process-wide global: a
 *   wc_rt_hdr sits just before every instance struct and the generated
 *   FUNC_PROLOGUE reaches it through the `instance` parameter every
 *   generated function has.  The limit expression also checks the native
 *   stack pointer, so deep recursion traps before the thread's stack ends.
 * - Memories carry their pool slot and declared maximum; traps have extra
 *   reasons (deadline, memory limit, host).
 * - The glue section at the end describes the code unit to the engine
 *   (wc_rt_glue) and lets imports call back into the host (wc_rt_*).
 */
#ifndef WASM_RT_H_
#define WASM_RT_H_

#ifdef __TINYC__
/* libtcc compiles the unit without a single libc header (translate.c guards
 * the generated #include lines): preprocessing glibc's headers was most of
 * a fast-tier compile.  What the generated code uses is declared here, and
 * isnan/signbit become inline tests instead of calls into libm. */
#include <stdbool.h> /* libtcc's own headers, cheap */
#include <stddef.h>
typedef signed char int8_t;
typedef unsigned char uint8_t;
typedef short int16_t;
typedef unsigned short uint16_t;
typedef int int32_t;
typedef unsigned int uint32_t;
typedef long int64_t;
typedef unsigned long uint64_t;
typedef unsigned long uintptr_t;
#define INT32_MIN (-2147483647 - 1)
#define INT32_MAX 2147483647
#define UINT32_MAX 4294967295u
#define INT64_MIN (-9223372036854775807L - 1)
#define INT64_MAX 9223372036854775807L
#define UINT64_MAX 18446744073709551615ul
void *memcpy(void *, const void *, size_t);
void *memmove(void *, const void *, size_t);
void *memset(void *, int, size_t);
void abort(void);
void *alloca(size_t);
double floor(double);
float floorf(float);
double ceil(double);
float ceilf(float);
double trunc(double);
float truncf(float);
double nearbyint(double);
float nearbyintf(float);
double sqrt(double);
float sqrtf(float);
double fabs(double);
float fabsf(float);
double copysign(double, double);
float copysignf(float, float);
static inline float wc_rt_f32_bits(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}
static inline int wc_rt_signbitf(float x)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    return bits >> 31;
}
static inline int wc_rt_signbit(double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    return (int)(bits >> 63);
}
#define NAN (wc_rt_f32_bits(0x7fc00000u))
#define INFINITY (wc_rt_f32_bits(0x7f800000u))
#define isnan(x) ((x) != (x))
#define signbit(x) (sizeof(x) == sizeof(float) ? wc_rt_signbitf(x) : wc_rt_signbit(x))
#define assert(x) ((void)0)
#else
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && !defined(__TINYC__)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define wasm_rt_memcpy __builtin_memcpy
#define wasm_rt_unreachable __builtin_unreachable
#else
#define UNLIKELY(x) (x)
#define LIKELY(x) (x)
#define wasm_rt_memcpy memcpy
#define wasm_rt_unreachable abort
#endif

#ifdef __TINYC__
/* libtcc has none of the bit-counting builtins the generated code uses. */
static inline int __builtin_clzll(unsigned long long x)
{
    int n = 0;
    if (!(x & 0xffffffff00000000ull)) { n += 32; x <<= 32; }
    if (!(x & 0xffff000000000000ull)) { n += 16; x <<= 16; }
    if (!(x & 0xff00000000000000ull)) { n += 8; x <<= 8; }
    if (!(x & 0xf000000000000000ull)) { n += 4; x <<= 4; }
    if (!(x & 0xc000000000000000ull)) { n += 2; x <<= 2; }
    if (!(x & 0x8000000000000000ull)) { n += 1; }
    return n;
}
static inline int __builtin_clz(unsigned x) { return __builtin_clzll(x) - 32; }
static inline int __builtin_ctzll(unsigned long long x)
{
    int n = 0;
    if (!(x & 0xffffffffull)) { n += 32; x >>= 32; }
    if (!(x & 0xffffull)) { n += 16; x >>= 16; }
    if (!(x & 0xffull)) { n += 8; x >>= 8; }
    if (!(x & 0xfull)) { n += 4; x >>= 4; }
    if (!(x & 0x3ull)) { n += 2; x >>= 2; }
    if (!(x & 0x1ull)) { n += 1; }
    return n;
}
static inline int __builtin_ctz(unsigned x) { return __builtin_ctzll(x); }
static inline int __builtin_popcountll(unsigned long long x)
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (int)((x * 0x0101010101010101ull) >> 56);
}
static inline int __builtin_popcount(unsigned x) { return __builtin_popcountll(x); }
#endif

#define WASM_RT_SKIP_SIGNAL_RECOVERY 0
#define WASM_RT_SIGNAL_RECOVERY_SUPPORTED 1
#define WASM_RT_MEMCHECK_SIGNAL_HANDLER 1
#define WASM_RT_USE_STACK_DEPTH_COUNT 1
#define WASM_RT_MERGED_OOB_AND_EXHAUSTION_TRAPS 0
#define WASM_RT_NO_RETURN __attribute__((noreturn))

/* Per-instance call state, placed immediately before the instance struct. */
typedef struct wc_rt_hdr {
    uint32_t depth;
    uint32_t max_depth;
    const char *stack_limit; /* lowest frame address allowed; NULL: unchecked */
} wc_rt_hdr;

#define WC_RT_HDR(inst) (((wc_rt_hdr *)(void *)(inst)) - 1)

/* A macro, not a function: libtcc would not inline a function.  When the
 * native stack is nearly used up the limit becomes 0, so the call traps. */
#define wasm_rt_call_stack_depth (WC_RT_HDR(instance)->depth)
#define WASM_RT_MAX_CALL_STACK_DEPTH                                               \
    (UNLIKELY((const char *)__builtin_frame_address(0) < WC_RT_HDR(instance)->stack_limit) \
         ? 0u                                                                      \
         : WC_RT_HDR(instance)->max_depth)

typedef enum {
    WASM_RT_TRAP_NONE,
    WASM_RT_TRAP_OOB,
    WASM_RT_TRAP_INT_OVERFLOW,
    WASM_RT_TRAP_DIV_BY_ZERO,
    WASM_RT_TRAP_INVALID_CONVERSION,
    WASM_RT_TRAP_UNREACHABLE,
    WASM_RT_TRAP_CALL_INDIRECT,
    WASM_RT_TRAP_UNCAUGHT_EXCEPTION,
    WASM_RT_TRAP_EXHAUSTION,
    /* wasmcap's own reasons */
    WASM_RT_TRAP_OOB_TABLE,
    WASM_RT_TRAP_MEMORY_LIMIT,
    WASM_RT_TRAP_DEADLINE,
    WASM_RT_TRAP_INTERRUPTED,
    WASM_RT_TRAP_HOST,
    WASM_RT_TRAP_EXIT,
    WASM_RT_TRAP_UNALIGNED_ATOMIC, /* threads: a misaligned atomic access */
    WASM_RT_TRAP_UNSHARED_WAIT,    /* threads: memory.atomic.wait on an unshared memory */
} wasm_rt_trap_t;

typedef enum {
    WASM_RT_I32,
    WASM_RT_I64,
    WASM_RT_F32,
    WASM_RT_F64,
    WASM_RT_FUNCREF,
    WASM_RT_EXTERNREF,
    WASM_RT_V128,
} wasm_rt_type_t;

typedef void (*wasm_rt_function_ptr_t)(void);

typedef struct {
    uint32_t func_type;
    wasm_rt_function_ptr_t func;
    void *module_instance;
    /* The function's tail-call entry (a wc_rt_tail_fn), set by units that
     * make tail calls; NULL: a tail call through this reference is an
     * ordinary call followed by a return. */
    wasm_rt_function_ptr_t tail;
} wasm_rt_funcref_t;

static const wasm_rt_funcref_t wasm_rt_funcref_null_value = {0, NULL, NULL, NULL};

typedef void *wasm_rt_externref_t;
static const wasm_rt_externref_t wasm_rt_externref_null_value = NULL;

typedef struct {
    uint8_t *data;
    uint32_t pages, max_pages; /* max_pages: the effective maximum (declared or limit) */
    uint64_t size;             /* in bytes */
    uint32_t declared_max;     /* as the module declared it; UINT32_MAX: none */
    void *slot;                /* the memory pool's bookkeeping */
    uint32_t limit_refused;    /* a memory.grow failed on the host's limit, not the module's */
    /* 4 KiB pages written (nonzero): see WC_DIRTY.  The memory slot's map,
     * one entry per page a memory can reach.  Not a char type, so that a
     * mark does not alias data. */
    uint32_t *dirty;
    uint32_t tracked;          /* every writer marks dirty: zero only those pages */
    uint32_t loaded[64];       /* pages of the first 64 the active data segments loaded */
    uint32_t loading;          /* the active data segments are being loaded */
    uint64_t reload;           /* ... bit i: page i holds its bytes already */
    uint32_t loaded_all;       /* they all were (wc_rt_data_loaded was reached) */
    const char *owner;         /* the module's digest, while tracked */
    uint32_t is64;             /* memory64: i64 addresses (an importer must agree) */
    uint32_t shared;           /* threads: a shared memory (an importer must agree) */
} wasm_rt_memory_t;

/* Which 4 KiB pages of a memory have been written since it was allocated:
 * the generated code marks every store, bulk operation and data segment,
 * the host every range it is handed (wc_instance_mem), and freeing zeroes
 * only those pages -- zeroing the whole of a freed memory was the largest
 * cost of a small call, and dropping its pages (MADV_DONTNEED) made the next
 * instance fault every page in again.  The map covers all of a memory (one
 * entry per page of the 4 GiB a 32-bit address reaches); a mark comes after
 * its write succeeded, so the index is in bounds, and the mask only keeps a
 * stray one inside the map.  The data segments' image is tracked for the
 * first WC_DIRTY_PAGES pages (loaded, reload).  A store marks only its
 * first byte's page: one that crosses into the next page writes at most
 * WC_DIRTY_SPILL bytes there (a v128 store at a page's last byte), and
 * freeing zeroes those bytes after every marked page too, or puts a data
 * segment's bytes back there (memory.c): less than a second mark on every
 * store wider than a byte. */
#define WC_DIRTY_SHIFT 12
#define WC_DIRTY_SPILL 15
#define WC_DIRTY_PAGES 64
#define WC_DIRTY_MAP_PAGES (1ull << 20)
#define WC_DIRTY(m, a) \
    ((void)((m)->dirty[((uint64_t)(a) >> WC_DIRTY_SHIFT) & (WC_DIRTY_MAP_PAGES - 1)] = 1))

static inline void wc_dirty_range(wasm_rt_memory_t *m, uint64_t start, uint64_t n)
{
    if (n == 0)
        return;
    uint64_t first = start >> WC_DIRTY_SHIFT, last = (start + n - 1) >> WC_DIRTY_SHIFT;
    if (last - first >= WC_DIRTY_MAP_PAGES)
        last = first + WC_DIRTY_MAP_PAGES - 1;
    for (uint64_t i = first; i <= last; i++)
        m->dirty[i & (WC_DIRTY_MAP_PAGES - 1)] = 1;
}

/* An active data segment while the memory is being set up: its pages are
 * marked apart (loaded), and pages that still hold this module's loaded
 * bytes from the memory's last instance (reload) are not copied again. */
void wc_rt_load_segment(wasm_rt_memory_t *m, uint64_t o, const void *src, size_t n);

/* LOAD_DATA, after its range check: an active data segment, or
 * memory.init. */
static inline void wc_load_data(wasm_rt_memory_t *m, uint64_t o, const void *src, size_t n)
{
    if (m->loading) {
        wc_rt_load_segment(m, o, src, n);
    } else {
        memcpy(m->data + o, src, n);
        wc_dirty_range(m, o, n);
    }
}

/* Called by the generated code once the active data segments are loaded. */
void wc_rt_data_loaded(void);

/* Both table kinds share one layout; elemtype (0x70 funcref, 0x6f externref,
 * set when the table is allocated) lets the linker check table imports. */
typedef struct {
    wasm_rt_funcref_t *data;
    uint32_t max_size; /* UINT32_MAX: no maximum */
    uint32_t size;
    uint32_t elemtype;
} wasm_rt_funcref_table_t;

typedef struct {
    wasm_rt_externref_t *data;
    uint32_t max_size;
    uint32_t size;
    uint32_t elemtype;
} wasm_rt_externref_table_t;

void wasm_rt_init(void);
bool wasm_rt_is_initialized(void);
void wasm_rt_free(void);
WASM_RT_NO_RETURN void wasm_rt_trap(wasm_rt_trap_t);
const char *wasm_rt_strerror(wasm_rt_trap_t trap);
uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...);
/* The same from an array of params + results WASM_RT_* codes: what the
 * emitted units call (libtcc cannot pass more than about 250 arguments). */
uint32_t wc_rt_register_func_type_sig(uint32_t params, uint32_t results, const uint8_t *sig);
void wasm_rt_allocate_memory(wasm_rt_memory_t *, uint32_t initial_pages, uint32_t max_pages);
uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *, uint32_t pages);
void wasm_rt_free_memory(wasm_rt_memory_t *);
void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *, uint32_t elements,
                                    uint32_t max_elements);
void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *);
void wasm_rt_allocate_externref_table(wasm_rt_externref_table_t *, uint32_t elements,
                                      uint32_t max_elements);
void wasm_rt_free_externref_table(wasm_rt_externref_table_t *);
uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t *, uint32_t delta,
                                    wasm_rt_funcref_t init);
uint32_t wasm_rt_grow_externref_table(wasm_rt_externref_table_t *, uint32_t delta,
                                      wasm_rt_externref_t init);

/* ---- glue between a generated code unit and the engine ---------------- */

#define WC_RT_ABI "wasmcap-rt-1"

/* A v128: bytes 0-7 of the vector in the first u64, 8-15 in the second
 * (little-endian lanes).  gcc's units of a module that uses SIMD define
 * WC_RT_VECTOR_V128 and make it a vector (aligned as a u64, so the layouts
 * of wc_rt_value and of every struct stay those of the struct); elsewhere
 * (the runtime, libtcc's units, which have no vector types) it is a struct
 * of two u64, passed and returned in integer registers. */
#ifdef WC_RT_VECTOR_V128
typedef uint64_t wc_rt_v128 __attribute__((vector_size(16), aligned(8)));
#else
typedef struct wc_rt_v128 {
    uint64_t lo, hi;
} wc_rt_v128;
#endif

/* One value, layout-compatible with the engine's wc_value. */
typedef union {
    uint32_t i32;
    wc_rt_v128 v128;
    uint64_t i64;
    float f32;
    double f64;
    wasm_rt_funcref_t funcref;
    wasm_rt_externref_t externref;
} wc_rt_value;

/* Tail calls (return_call, return_call_indirect).  A function that makes
 * tail calls is compiled as a tail entry, `void f(instance, area, next)`:
 * its arguments and its results pass through `area`, and a tail call stores
 * the callee's arguments there, names the callee's tail entry in *next and
 * returns.  wc_rt_tail_run calls tail entries one after another until one
 * returns without naming another, so a chain of tail calls of any length
 * uses the stack of two frames.  Every other function of such a unit has a
 * tail entry that calls it ordinarily. */
typedef struct wc_rt_tail wc_rt_tail;
typedef void (*wc_rt_tail_fn)(void *instance, wc_rt_value *area, wc_rt_tail *next);
struct wc_rt_tail {
    wc_rt_tail_fn fn; /* NULL: the chain has returned, its results are in the area */
    void *instance;
};
/* Parameters or results one tail call may carry at most (a larger type is
 * refused at validation: WC_TAIL_CALL_MAX_VALUES in decode.h), and one
 * more: a call through a funcref without a tail entry puts the funcref
 * after the arguments. */
#define WC_RT_TAIL_AREA_VALUES 1001
/* This thread's area, WC_RT_TAIL_AREA_VALUES values. */
wc_rt_value *wc_rt_tail_area(void);
/* Runs fn and the tail calls it makes in turn; the last one's results are
 * left in area. */
void wc_rt_tail_run(wc_rt_tail_fn fn, void *instance, wc_rt_value *area);

/* Exception handling (the legacy proposal; runtime/exceptions.c).  A tag
 * is identified by its address: an imported tag is the exporter's.  A try
 * installs a handler (wc_rt_try_enter, then _setjmp on its env; gcc's unit
 * WC_RT_TRY_ENTER and __builtin_setjmp) and removes it on every way out of
 * its body (wc_rt_try_leave, WC_RT_TRY_LEAVE); a throw copies the
 * payload onto the thread's stack of caught exceptions and longjmps to the
 * innermost handler, which finds the exception at index `caught` and the
 * catching instance's call depth restored.  A catch body keeps its
 * exception there (for rethrow) until wc_rt_catch_leave.  Each entry from
 * the host (wc_rt_run) starts an empty chain: an exception no handler takes
 * becomes the trap WASM_RT_TRAP_UNCAUGHT_EXCEPTION there, so an exception
 * never unwinds a host frame, and each instance's depth is restored by the
 * host call that entered it.  Traps are not exceptions: they leave through
 * wc_rt_run, which drops the handlers and exceptions of the frames they
 * unwind. */
typedef struct wc_rt_tag {
    uint32_t nvalues;   /* the payload's length */
    uint32_t func_type; /* its type's registered id (params, no results): imports match on it */
} wc_rt_tag;

/* A call into another instance (an import that is another instance's
 * export, or a call_indirect through a table holding another instance's
 * function, in any unit: a unit without exception handling may sit between
 * a throw and its catch) records that instance's call depth: push before
 * the call, pop after it.  A throw caught below it, or a
 * trap, puts back the depth of every such call it unwinds (the instance's
 * frames are gone). */
typedef struct wc_rt_entry {
    struct wc_rt_entry *outer;
    uint32_t *depth;
    uint32_t saved;
} wc_rt_entry;
void wc_rt_entry_push(wc_rt_entry *entry, uint32_t *depth);
void wc_rt_entry_pop(wc_rt_entry *entry);

typedef struct wc_rt_handler {
    /* A glibc jmp_buf (exceptions.c checks that it fits: 200 bytes on
     * x86-64, 312 on aarch64): the generated code declares _setjmp itself,
     * this header stays free of glibc's.  A function holds one handler per
     * try open at once, on its frame. */
    long env[40];
    struct wc_rt_handler *outer;
    uint32_t *depth; /* the catching instance's call depth, and its value */
    uint32_t saved_depth;
    uint32_t caught; /* caught exceptions live when the try began */
    wc_rt_entry *entries; /* the innermost call into another instance then */
    int builtin_jmp;      /* env was set by __builtin_setjmp, not _setjmp */
} wc_rt_handler;

/* Caught exceptions one thread may hold at most (nested catch bodies), and
 * payload values in all of them; past these a throw traps (exhaustion). */
#define WC_RT_MAX_CAUGHT 10000u
#define WC_RT_MAX_CAUGHT_VALUES 1000000u

/* The thread's innermost handler, calls into other instances and count of
 * caught exceptions (runtime/exceptions.c). */
typedef struct wc_rt_eh_thread {
    wc_rt_handler *handlers;
    wc_rt_entry *entries;
    uint32_t nexceptions;
} wc_rt_eh_thread;

/* libtcc's unit (no thread-locals, no __builtin_setjmp) installs a handler
 * with wc_rt_try_enter and sets it with _setjmp. */
void wc_rt_try_enter(wc_rt_handler *h, uint32_t *depth);
void wc_rt_try_leave(wc_rt_handler *h);
#ifndef __TINYC__
/* gcc's unit installs and removes a handler inline, without a call (a try
 * in every C++ frame with a destructor), and sets it with __builtin_setjmp
 * (its first five words), which a throw answers with __builtin_longjmp. */
extern __thread wc_rt_eh_thread wc_rt_eh __attribute__((tls_model("initial-exec")));
#define WC_RT_TRY_ENTER(h, call_depth)                                                     \
    ((h).builtin_jmp = 1, (h).outer = wc_rt_eh.handlers, (h).depth = (call_depth),       \
     (h).saved_depth = *(call_depth), (h).caught = wc_rt_eh.nexceptions,                   \
     (h).entries = wc_rt_eh.entries, wc_rt_eh.handlers = &(h))
#define WC_RT_TRY_LEAVE(h) (wc_rt_eh.handlers = (h).outer)
#define WC_RT_SETJMP(env) __builtin_setjmp((void **)(env))
#else /* gcc's unit given to libtcc (the fuzzer's check): the call, _setjmp */
#define WC_RT_TRY_ENTER(h, call_depth) wc_rt_try_enter(&(h), (call_depth))
#define WC_RT_TRY_LEAVE(h) wc_rt_try_leave(&(h))
#define WC_RT_SETJMP(env) _setjmp(env)
#endif
WASM_RT_NO_RETURN void wc_rt_throw(const wc_rt_tag *tag, const wc_rt_value *values);
/* Throws caught exception `index` again (rethrow). */
WASM_RT_NO_RETURN void wc_rt_rethrow(uint32_t index);
const wc_rt_tag *wc_rt_caught_tag(uint32_t index);
const wc_rt_value *wc_rt_caught_values(uint32_t index);
/* Drops the caught exceptions from `height` up (a catch body ends). */
void wc_rt_catch_leave(uint32_t height);

/* Calls import `index` of the instance whose import context is ctx. */
void wc_rt_call_import(void *ctx, uint32_t index, const wc_rt_value *args,
                       wc_rt_value *results);
/* The storage of a table, memory or global import. */
void *wc_rt_import_ptr(void *ctx, uint32_t index);
/* The module's bytes (its data segments are read in place). */
const uint8_t *wc_rt_module_bytes(void *ctx);
/* Before guest code of another instance runs through a funcref: it takes
 * the running thread's stack limit and the running call's deadline and
 * interruption.  wc_rt_enter_foreign_call also pushes `entry` for that
 * instance's depth (a call that returns here pops it); a tail call, which
 * does not return, uses wc_rt_enter_foreign. */
void wc_rt_enter_foreign(void *instance);
void wc_rt_enter_foreign_call(void *instance, wc_rt_entry *entry);

/* How every unit's instance begins (emit.c writes its wc_inst so): the
 * interrupt flag first, which libtcc's code then tests at every back-edge
 * with no field offset to add, then the engine's import context, whose
 * first word is the wc_instance. */
typedef struct wc_rt_instance_head {
    volatile uint32_t irq;
    void *ctx;
} wc_rt_instance_head;

typedef void (*wc_rt_export_call_fn)(void *instance, const wc_rt_value *args,
                                     wc_rt_value *results);
typedef void *(*wc_rt_export_ptr_fn)(void *instance);

/* What a compiled unit exports to the engine, as the symbol `wc_glue`. */
typedef struct wc_rt_glue {
    const char *abi; /* WC_RT_ABI */
    size_t instance_size;
    void (*init_module)(void);
    void (*instantiate)(void *instance, void *import_ctx);
    void (*free)(void *instance);
    uint32_t nexports;
    const wc_rt_export_call_fn *export_call; /* NULL for non-functions */
    const wc_rt_export_ptr_fn *export_ptr;   /* NULL for functions */
    volatile uint32_t *(*interrupt_flag)(void *instance);
    wasm_rt_memory_t *(*memory0)(void *instance); /* NULL: no memory */
} wc_rt_glue;

#ifdef __cplusplus
}
#endif

#endif /* WASM_RT_H_ */
