/* atomic_ops.h -- private to the engine: every 0xfe-prefixed instruction of
 * the threads proposal (runtime/atomic_ops.def), for the validator
 * (validate_atomic.c) and the emitter (emit_atomic.c). */
#ifndef WC_ENGINE_ATOMIC_OPS_H
#define WC_ENGINE_ATOMIC_OPS_H

#include <stdint.h>

enum {
    WC_ATOMIC_NOTIFY,  /* memory.atomic.notify: the waiters woken */
    WC_ATOMIC_WAIT,    /* memory.atomic.wait32/64: 0 woken, 1 not equal, 2 timed out */
    WC_ATOMIC_FENCE,   /* atomic.fence: a zero byte, no memarg */
    WC_ATOMIC_LOAD,
    WC_ATOMIC_STORE,
    WC_ATOMIC_RMW,     /* read-modify-write: the old value */
    WC_ATOMIC_CMPXCHG, /* compare and exchange: the old value */
};

typedef struct wc_atomic_op {
    uint32_t code;      /* after the 0xfe prefix */
    const char *name;   /* "i32.atomic.rmw8.add_u" */
    const char *helper; /* "add": wc_atomic_add<bits> (wasm-atomic.h) */
    uint8_t kind;       /* WC_ATOMIC_* */
    uint8_t bytes;      /* accessed in memory; the alignment is its log2 */
    uint8_t result;     /* value type, 0 for none */
    uint8_t operands[3]; /* the first is the address (i32 in the table) */
    uint8_t noperands;
} wc_atomic_op;

/* The instruction with this code, or NULL. */
const wc_atomic_op *wc_atomic_op_find(uint32_t code);

#endif
