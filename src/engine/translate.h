/* translate.h -- from a validated module to the C source both tiers compile. */
#ifndef WC_ENGINE_TRANSLATE_H
#define WC_ENGINE_TRANSLATE_H

#include "engine/decode.h"
#include "util/buf.h"

/* Part of the code-cache key: bump it whenever instrument.c or translate.c
 * change what they generate, so cached objects built by older code are
 * never loaded. */
#define WC_TRANSLATION_VERSION 6

/* Instruments the module, runs wasm2c and appends the complete translation
 * unit (runtime header, generated code, glue) to source. */
int wc_translate(const wc_module_info *info, wc_buf *source, wc_error *err);

#endif
