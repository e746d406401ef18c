/* memarg.h -- private to the engine: the immediate of every memory access
 * (loads, stores and, with their proposals, SIMD and atomic ones), read in
 * one place for the validator and the emitter.
 *
 * Its binary form: the alignment flags (u32), then -- with multi-memory,
 * when bit 6 of the flags is set -- a memory index (u32), then the offset
 * (u32; u64 with memory64, checked against the memory's index type by the
 * validator).
 */
#ifndef WC_ENGINE_MEMARG_H
#define WC_ENGINE_MEMARG_H

#include <stddef.h>
#include <stdint.h>

#include "engine/decode.h"

struct wc_decoder;

/* Bit 6 of the alignment flags: a memory index follows (multi-memory). */
#define WC_MEMARG_HAS_MEMORY 0x40u

typedef struct wc_memarg {
    uint32_t align;  /* log2, flags without WC_MEMARG_HAS_MEMORY */
    uint32_t memory; /* 0 unless given */
    uint64_t offset;
} wc_memarg;

/* The natural alignment (log2) of an access of `bytes` bytes (a power of
 * two up to 16). */
static inline uint32_t wc_memarg_natural_align(uint32_t bytes)
{
    uint32_t n = 0;
    while (bytes > 1 && n < 31) {
        bytes >>= 1;
        n++;
    }
    return n;
}

/* The decoder: reads a memarg at d->pos; malformed encodings are returned,
 * nothing is validated (the memory may not exist, the alignment may pass
 * the natural one). */
int wc_dec_memarg(struct wc_decoder *d, wc_memarg *out);

/* The emitter: reads the memarg of a validated body at bytes[*pos],
 * never past end. */
void wc_emit_memarg(const uint8_t *bytes, size_t *pos, size_t end, wc_memarg *out);

#endif
