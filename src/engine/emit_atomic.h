/* emit_atomic.h -- private to the emitter: the threads proposal's atomic
 * instructions as C statements for emit_func.c (emit_atomic.c). */
#ifndef WC_ENGINE_EMIT_ATOMIC_H
#define WC_ENGINE_EMIT_ATOMIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/atomic_ops.h"
#include "engine/emit_internal.h"
#include "engine/memarg.h"

typedef struct wc_atomic_emit {
    const wc_atomic_op *op;
    wc_memarg arg; /* of a memory access (not atomic.fence) */
} wc_atomic_emit;

/* Reads the instruction after a 0xfe byte at b[*pos] with its immediates;
 * *pos moves past it.  False for what a validated module cannot hold. */
bool wc_emit_atomic_read(const uint8_t *b, size_t *pos, size_t end, wc_atomic_emit *out);

/* The statements of one atomic instruction: operands[] are its operands'
 * slots (simple names), result the slot its result goes to (NULL for
 * none: stores and atomic.fence).  The address is checked (aligned, and
 * within a 64-bit memory) before the access; writes mark their page when
 * the unit tracks writes. */
void wc_emit_atomic(const wc_emit_module *m, const wc_atomic_emit *a, char *const *operands,
                    const char *result, wc_buf *out);

/* What a unit of a module using atomics adds to the prelude: the helpers,
 * wasm-atomic.h for gcc, the runtime's for libtcc; wait and notify. */
void wc_emit_atomic_prelude(wc_buf *out);

#endif
