/* fold.h -- carry wasm2c's integer temporaries into expressions (fast tier). */
#ifndef WC_ENGINE_FOLD_H
#define WC_ENGINE_FOLD_H

#include "util/buf.h"

/* Appends text (a translation unit from translate.c) to out with the
 * generated function bodies folded.  Semantics are unchanged; libtcc just
 * gets fewer statements to spill. */
void wc_fold_temporaries(const char *text, wc_buf *out);

#endif
