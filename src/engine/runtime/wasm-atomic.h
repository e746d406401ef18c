/* wasm-atomic.h -- the threads proposal's atomic accesses (atomic_ops.def)
 * as C over GCC's __atomic builtins, written once and compiled two ways,
 * as wasm-simd.h is:
 *
 * - embedded in every gcc unit of a module that uses atomics (the
 *   optimized tier): each helper is a static inline function
 *   wc_atomic_<helper><bits>, which gcc turns into the one locked
 *   instruction it is (lock xadd, lock cmpxchg, xchg, mfence...);
 * - compiled into the runtime with WC_ATOMIC_RUNTIME defined (atomic.c):
 *   exported functions wc_rt_atomic_<helper><bits> that libtcc's units
 *   call, libtcc having no __atomic builtins.
 *
 * Every access is sequentially consistent, as the proposal's are.  The
 * caller has checked the address: naturally aligned (else "unaligned
 * atomic"), and within the memory for a 64-bit memory (a 32-bit memory's
 * guard region faults as for any access).  Values pass as u32 or u64 and
 * narrow results come back zero-extended (a narrow C return value's upper
 * bits are unspecified in the x86-64 ABI, and libtcc and gcc disagree on
 * who extends).
 */
#ifndef WC_WASM_ATOMIC_H
#define WC_WASM_ATOMIC_H

#ifdef WC_ATOMIC_RUNTIME
#define WC_ATOMIC(name) wc_rt_atomic_##name
#define WC_ATOMIC_LINK
#else
#define WC_ATOMIC(name) wc_atomic_##name
#define WC_ATOMIC_LINK static inline __attribute__((unused))
#endif

#define WC_SC __ATOMIC_SEQ_CST

/* A read-modify-write of one width: the old value. */
#define WC_ATOMIC_RMW(name, bits, t, w, builtin)                                                   \
    WC_ATOMIC_LINK w WC_ATOMIC(name##bits)(uint8_t *p, w v)                                        \
    {                                                                                              \
        return builtin((t *)p, (t)v, WC_SC);                                                       \
    }

/* The helpers of one width: t the access's C type, w the value's (u32 up
 * to 32 bits, u64 for 64). */
#define WC_ATOMIC_WIDTH(bits, t, w)                                                                \
    WC_ATOMIC_LINK w WC_ATOMIC(load##bits)(uint8_t *p)                                             \
    {                                                                                              \
        return __atomic_load_n((t *)p, WC_SC);                                                     \
    }                                                                                              \
    WC_ATOMIC_LINK void WC_ATOMIC(store##bits)(uint8_t *p, w v)                                    \
    {                                                                                              \
        __atomic_store_n((t *)p, (t)v, WC_SC);                                                     \
    }                                                                                              \
    WC_ATOMIC_RMW(add, bits, t, w, __atomic_fetch_add)                                             \
    WC_ATOMIC_RMW(sub, bits, t, w, __atomic_fetch_sub)                                             \
    WC_ATOMIC_RMW(and, bits, t, w, __atomic_fetch_and)                                             \
    WC_ATOMIC_RMW(or, bits, t, w, __atomic_fetch_or)                                               \
    WC_ATOMIC_RMW(xor, bits, t, w, __atomic_fetch_xor)                                             \
    WC_ATOMIC_RMW(xchg, bits, t, w, __atomic_exchange_n)                                           \
    /* the expected value is wrapped to the width, as the spec says */                            \
    WC_ATOMIC_LINK w WC_ATOMIC(cmpxchg##bits)(uint8_t *p, w expected, w replacement)               \
    {                                                                                              \
        t old = (t)expected;                                                                       \
        __atomic_compare_exchange_n((t *)p, &old, (t)replacement, 0, WC_SC, WC_SC);                \
        return old;                                                                                \
    }

WC_ATOMIC_WIDTH(8, uint8_t, uint32_t)
WC_ATOMIC_WIDTH(16, uint16_t, uint32_t)
WC_ATOMIC_WIDTH(32, uint32_t, uint32_t)
WC_ATOMIC_WIDTH(64, uint64_t, uint64_t)

WC_ATOMIC_LINK void WC_ATOMIC(fence)(void)
{
    __atomic_thread_fence(WC_SC);
}

#undef WC_ATOMIC_WIDTH
#undef WC_ATOMIC_RMW
#undef WC_SC

#endif
