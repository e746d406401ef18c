/* memarg.c -- the memory-access immediate, for the validator and the
 * emitter (memarg.h). */
#include "engine/memarg.h"

#include "engine/emit_internal.h"
#include "engine/validate.h"

int wc_dec_memarg(wc_decoder *d, wc_memarg *out)
{
    uint32_t flags = 0, offset = 0;
    *out = (wc_memarg){0};
    int rc = wc_dec_u32(d, &flags);
    if (rc == 0 && (flags & WC_MEMARG_HAS_MEMORY) &&
        wc_feature_enabled(&d->limits, WC_FEATURE_MULTI_MEMORY)) {
        flags &= ~WC_MEMARG_HAS_MEMORY;
        rc = wc_dec_u32(d, &out->memory);
    }
    out->align = flags;
    /* memory64: any offset is read; the validator bounds a 32-bit memory's */
    if (rc == 0 && wc_feature_enabled(&d->limits, WC_FEATURE_MEMORY64))
        return wc_dec_u64(d, &out->offset);
    if (rc == 0)
        rc = wc_dec_u32(d, &offset);
    out->offset = offset;
    return rc;
}

void wc_emit_memarg(const uint8_t *bytes, size_t *pos, size_t end, wc_memarg *out)
{
    uint32_t flags = wc_emit_u32(bytes, pos, end);
    *out = (wc_memarg){0};
    /* valid: bit 6 is set only with multi-memory (else the alignment would
     * pass every natural one) */
    if (flags & WC_MEMARG_HAS_MEMORY) {
        flags &= ~WC_MEMARG_HAS_MEMORY;
        out->memory = wc_emit_u32(bytes, pos, end);
    }
    out->align = flags;
    out->offset = wc_emit_u64(bytes, pos, end);
}
