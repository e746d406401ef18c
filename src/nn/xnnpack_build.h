/* xnnpack_build.h -- a TFLite model description as an XNNPACK subgraph.
 *
 * The graph's inputs take external value ids 0..ninputs-1 and its outputs
 * ninputs..ninputs+noutputs-1.  Constant data is referenced, not copied:
 * the model's bytes must outlive the subgraph and every runtime made from
 * it.  An operator this path cannot run is refused with WC_EBADMODULE and
 * a message naming it ("operator 3 (TANH): ...").
 */
#ifndef WC_NN_XNNPACK_BUILD_H
#define WC_NN_XNNPACK_BUILD_H

#include <xnnpack.h>

#include "nn/tflite.h"
#include "util/error.h"

/* Initializes XNNPACK once per process; safe from any thread. */
int wc_xnn_init(wc_error *err);

int wc_xnn_build(const wc_tflite_model *model, xnn_subgraph_t *out, wc_error *err);

#endif
