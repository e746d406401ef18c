/* internal.h -- engine structures shared by engine.c and instance.c. */
#ifndef WC_ENGINE_INTERNAL_H
#define WC_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "engine/cache.h"
#include "engine/code.h"
#include "engine/engine.h"
#include "engine/watchdog.h"

struct wc_engine {
    wc_engine_config config;
    char *cache_dir; /* NULL: no disk cache */
    wc_cache cache;

    /* background optimized-tier builds */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t worker;
    bool worker_running, stopping;
    wc_module *jobs_head, *jobs_tail;
    wc_cancel cancel; /* stops a running gcc when the engine is freed */

    /* Instances whose instantiation trapped after writing references to
     * their functions into imported tables: the spec keeps those writes, so
     * the functions (and the instance they close over) must outlive the
     * failure.  Freed with the engine. */
    pthread_mutex_t orphans_lock;
    wc_instance *orphans;

    wc_watchdog watchdog;
};

typedef struct wc_signature {
    char *params, *results;
} wc_signature;

/* Type letters ("iI", "F") of a value type, as in host-function signatures. */
char wc_type_letter(uint8_t valtype);
/* The type index of imported function `func`. */
uint32_t wc_module_import_func_type(const wc_module_info *info, uint32_t func);

enum { OPTIMIZED_PENDING, OPTIMIZED_READY, OPTIMIZED_FAILED, OPTIMIZED_NONE };

struct wc_module {
    /* Every instance made and freed moves the count, from any worker: it
     * has a cache line to itself, so the fields every instantiation reads
     * are not passed between the cores with it. */
    atomic_int refs;
    char refs_line[64 - sizeof(atomic_int)];
    wc_engine *engine;
    uint8_t *bytes;
    size_t size;
    wc_module_info *info;
    char digest[65]; /* sha256 of the bytes */
    char key[65];    /* cache key: sha256 of the bytes and the toolchain id */

    _Atomic(wc_code *) current; /* what new instances run on */
    wc_code *fast, *optimized;  /* both live as long as the module */

    pthread_mutex_t lock;
    pthread_cond_t cond;
    int optimized_state;
    wc_error optimized_error;
    wc_signature *signatures; /* per type, as host-function type letters */
    /* Which binding satisfied each import last time, so that hosts that
     * link every instance against the same static binding tables skip the
     * name lookups (see link_with_hint in instance.c). */
    _Atomic(struct link_hint *) link_hint;
    wc_module *next_job;
};

/* One import's binding as last resolved: its index and the identity (the
 * addresses) of its strings. */
typedef struct link_hint_entry {
    uint32_t index;
    const char *module, *name, *params, *results;
} link_hint_entry;

typedef struct link_hint {
    uint32_t count;
    link_hint_entry entries[];
} link_hint;

/* How a wasm export of one instance is reached when another imports it. */
typedef struct export_adapter {
    wc_instance *target;
    uint32_t export_index;
} export_adapter;

typedef struct import_slot {
    wc_host_fn fn; /* functions */
    void *env;
    void *ptr; /* memory, table or global storage */
} import_slot;

typedef struct wc_call_scope wc_call_scope;

struct wc_instance {
    /* Must stay first: the runtime reaches the instance from the import
     * context the generated code holds by dereferencing it
     * (wc_rt_call_import, wc_rt_import_ptr). */
    struct wc_instance *self;
    wc_module *module;
    wc_code *code;
    const wc_rt_glue *glue;
    wc_instance_config config;
    import_slot *imports;
    export_adapter *adapters; /* per export, made on first wc_instance_export */
    volatile uint32_t *interrupt;
    wasm_rt_memory_t *memory0;
    uint32_t running; /* nesting of calls into this instance */
    wc_instance *next_orphan;
    int exit_code;
    wc_watch watch;
    wc_watch borrowed_watch; /* another call's deadline, while it runs here */
    wc_call_scope *scope;    /* the call that entered it from another instance */
    /* The scope this instance is the root of, while an interrupt could
     * need to reach the instances it entered (foreign.c, under its lock). */
    wc_call_scope *interruptible;
    bool whole_armed; /* timeout_whole_instance: the watch runs until free */
    bool owns_module_ref; /* not module_borrowed, or an orphan */
    char trap_message[256];

    /* The runtime header must sit immediately before the generated instance. */
    _Alignas(16) wc_rt_hdr hdr;
    unsigned char w2c[];
};

/* Interrupt flag values.  INTERRUPT_FOREIGN: wc_instance_interrupt() of
 * the root of a call that has entered this instance (foreign.c). */
enum { INTERRUPT_NONE = 0, INTERRUPT_DEADLINE = 1, INTERRUPT_REQUESTED = 2, INTERRUPT_FOREIGN = 3 };

/* The outermost host call running on a thread and the other instances it
 * has entered (foreign.c). */
typedef struct wc_entered {
    wc_instance *inst;
    uint32_t depth; /* its call depth when entered, restored at the end */
} wc_entered;

struct wc_call_scope {
    wc_instance *root;
    uint64_t deadline_ns; /* 0: none */
    wc_entered *entered;
    uint32_t n, cap;
    wc_call_scope *outer;
    /* Set under foreign.c's lock once an interrupt could need to walk it:
     * the scope a host function opened inside this one, and whether the
     * root's `interruptible` names it. */
    wc_call_scope *inner;
    bool published;
};

void wc_call_scope_open(wc_call_scope *scope, wc_instance *root, uint64_t deadline_ns);
/* Ends the scope; returns the trap an entered instance's flag explains
 * (WC_TRAP_DEADLINE or WC_TRAP_INTERRUPTED), else WC_TRAP_NONE.  `trapped`:
 * the call ended with a trap (which consumes an entered instance's own
 * interruption). */
wc_trap wc_call_scope_close(wc_call_scope *scope, bool trapped);
/* Gives inst this thread's stack limit and the running call's deadline
 * and interruption. */
void wc_call_enter_foreign(wc_instance *inst);
/* wc_instance_interrupt(): stops inst's call wherever it runs. */
void wc_call_interrupt(wc_instance *inst);

#endif
