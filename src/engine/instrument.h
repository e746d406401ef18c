/* instrument.h -- the rewrite that adds interrupt checks and predictable names. */
#ifndef WC_ENGINE_INSTRUMENT_H
#define WC_ENGINE_INSTRUMENT_H

#include "engine/decode.h"
#include "util/buf.h"

#define WC_INTERRUPT_EXPORT "wcirq"
#define WC_MEMORY_EXPORT "wcmem"

/* Appends the rewritten module to out; *flag_index gets the index of the
 * interrupt-flag global.  info must describe a validated module. */
int wc_instrument(const wc_module_info *info, wc_buf *out, uint32_t *flag_index, wc_error *err);

#endif
