/* translate.h -- from a validated module to the C source both tiers compile. */
#ifndef WC_ENGINE_TRANSLATE_H
#define WC_ENGINE_TRANSLATE_H

#include <stdbool.h>

#include "engine/decode.h"
#include "util/buf.h"

/* Part of the code-cache key: bump it whenever instrument.c or translate.c
 * change what they generate, so cached objects built by older code are
 * never loaded. */
#define WC_TRANSLATION_VERSION 8

/* Instruments the module, runs wasm2c and appends the complete translation
 * unit (runtime header, generated code, glue) to source. */
/* track_writes: add the page marks of wasm-rt.h's WC_DIRTY to every write. */
int wc_translate(const wc_module_info *info, bool track_writes, wc_buf *source, wc_error *err);

#endif
