/* trap.c -- catching traps: wasm_rt_trap, guard-page faults, the native stack.
 *
 * A trap unwinds with siglongjmp to the innermost wc_rt_run on the thread.
 * Generated code raises traps by calling wasm_rt_trap(); loads and stores past
 * the end of a linear memory fault in its guard region instead, and the
 * SIGSEGV handler (running on an alternate stack, so that it works even when
 * the thread's own stack is exhausted) converts such a fault into the same
 * unwinding.  A fault anywhere else is not ours: the previous handler (the
 * default one, or a sanitizer's) gets it.
 */
#define _GNU_SOURCE
#include "engine/runtime/runtime.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* Room left below the stack limit for host functions and libc. */
#define STACK_RESERVE (256 * 1024)
#define ALTSTACK_SIZE (64 * 1024)

typedef struct rt_thread {
    sigjmp_buf *target;   /* innermost wc_rt_run, NULL outside Wasm */
    wc_rt_entry *entries; /* the calls into other instances when it began */
    volatile int trap;
    const char *stack_lo; /* lowest address of the thread's stack */
    const char *stack_hi;
    const char *stack_limit;
    void *altstack;
    int ready;
} rt_thread;

static __thread rt_thread tls;
static pthread_key_t thread_key;
static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static struct sigaction previous_segv, previous_bus;

static void thread_exit(void *unused)
{
    (void)unused;
    if (tls.altstack) {
        stack_t ss = {.ss_flags = SS_DISABLE};
        sigaltstack(&ss, NULL);
        munmap(tls.altstack, ALTSTACK_SIZE);
        tls.altstack = NULL;
    }
}

static void chain(int sig, siginfo_t *info, void *uctx, const struct sigaction *prev)
{
    if (prev->sa_flags & SA_SIGINFO) {
        if (prev->sa_sigaction) {
            prev->sa_sigaction(sig, info, uctx);
            return;
        }
    } else if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
        prev->sa_handler(sig);
        return;
    }
    /* Default action: restore it and return, so the fault repeats and kills. */
    signal(sig, SIG_DFL);
}

static void on_fault(int sig, siginfo_t *info, void *uctx)
{
    if (tls.target) {
        const char *addr = info->si_addr;
        int trap = 0;
        if (wc_rt_memory_contains(addr))
            trap = WASM_RT_TRAP_OOB;
        else if (tls.stack_lo && addr >= tls.stack_lo - (1 << 20) && addr < tls.stack_lo + STACK_RESERVE)
            trap = WASM_RT_TRAP_EXHAUSTION;
        if (trap) {
            tls.trap = trap;
            wc_rt_entries_unwind(tls.entries); /* its frames are intact: this is the alternate stack */
            siglongjmp(*tls.target, 1);
        }
    }
    chain(sig, info, uctx, sig == SIGBUS ? &previous_bus : &previous_segv);
}

static void global_init(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    /* SA_NODEFER: we leave the handler by siglongjmp without restoring the
     * signal mask, so the signal must not stay blocked. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &previous_segv);
    sigaction(SIGBUS, &sa, &previous_bus);
    pthread_key_create(&thread_key, thread_exit);
}

void wc_rt_global_init(void)
{
    pthread_once(&global_once, global_init);
}

static void thread_init(void)
{
    wc_rt_global_init();
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        void *lo;
        size_t size;
        if (pthread_attr_getstack(&attr, &lo, &size) == 0) {
            tls.stack_lo = lo;
            tls.stack_hi = (const char *)lo + size;
            if (size > 2 * STACK_RESERVE)
                tls.stack_limit = tls.stack_lo + STACK_RESERVE;
            else
                tls.stack_limit = tls.stack_lo + size / 2;
        }
        pthread_attr_destroy(&attr);
    }
    void *alt = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (alt != MAP_FAILED) {
        stack_t ss = {.ss_sp = alt, .ss_size = ALTSTACK_SIZE, .ss_flags = 0};
        stack_t old;
        /* Keep an alternate stack someone else (a sanitizer) installed. */
        if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE) && old.ss_size >= ALTSTACK_SIZE) {
            munmap(alt, ALTSTACK_SIZE);
        } else if (sigaltstack(&ss, NULL) == 0) {
            tls.altstack = alt;
            pthread_setspecific(thread_key, &tls);
        } else {
            munmap(alt, ALTSTACK_SIZE);
        }
    }
    tls.ready = 1;
}

const char *wc_rt_stack_limit(void)
{
    if (!tls.ready)
        thread_init();
    return tls.stack_limit;
}

wasm_rt_trap_t wc_rt_run(void (*fn)(void *arg), void *arg)
{
    if (!tls.ready)
        thread_init();
    sigjmp_buf here;
    sigjmp_buf *outer = tls.target;
    wc_rt_entry *outer_entries = tls.entries;
    /* volatile: read after siglongjmp returns to this frame */
    volatile wasm_rt_trap_t result = WASM_RT_TRAP_NONE;
    wc_rt_exceptions_mark exceptions = wc_rt_exceptions_enter();
    if (sigsetjmp(here, 0) == 0) {
        tls.target = &here;
        tls.entries = exceptions.entries;
        fn(arg);
    } else {
        result = (wasm_rt_trap_t)tls.trap;
    }
    tls.target = outer;
    tls.entries = outer_entries;
    wc_rt_exceptions_leave(exceptions);
    return result;
}

void wasm_rt_trap(wasm_rt_trap_t code)
{
    if (!tls.target) {
        /* A trap outside any wc_rt_run is an engine bug, not a guest's. */
        fprintf(stderr, "wasmcap: wasm trap %d outside of a call\n", (int)code);
        abort();
    }
    tls.trap = code == WASM_RT_TRAP_NONE ? WASM_RT_TRAP_UNREACHABLE : code;
    wc_rt_entries_unwind(tls.entries);
    siglongjmp(*tls.target, 1);
}

const char *wasm_rt_strerror(wasm_rt_trap_t trap)
{
    switch (trap) {
    case WASM_RT_TRAP_NONE: return "no trap";
    case WASM_RT_TRAP_OOB: return "out of bounds memory access";
    case WASM_RT_TRAP_INT_OVERFLOW: return "integer overflow";
    case WASM_RT_TRAP_DIV_BY_ZERO: return "integer divide by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
    case WASM_RT_TRAP_UNREACHABLE: return "unreachable";
    case WASM_RT_TRAP_CALL_INDIRECT: return "indirect call type mismatch";
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION: return "uncaught exception";
    case WASM_RT_TRAP_EXHAUSTION: return "call stack exhausted";
    case WASM_RT_TRAP_OOB_TABLE: return "out of bounds table access";
    case WASM_RT_TRAP_MEMORY_LIMIT: return "memory limit exceeded";
    case WASM_RT_TRAP_DEADLINE: return "deadline exceeded";
    case WASM_RT_TRAP_INTERRUPTED: return "interrupted";
    case WASM_RT_TRAP_HOST: return "host function failed";
    case WASM_RT_TRAP_EXIT: return "exit";
    case WASM_RT_TRAP_UNALIGNED_ATOMIC: return "unaligned atomic";
    case WASM_RT_TRAP_UNSHARED_WAIT: return "expected shared memory";
    }
    return "unknown trap";
}

static int initialized = 1;

void wasm_rt_init(void)
{
    wc_rt_global_init();
}

bool wasm_rt_is_initialized(void)
{
    return initialized;
}

void wasm_rt_free(void)
{
}
