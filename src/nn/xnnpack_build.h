/* xnnpack_build.h -- a TFLite model description as an XNNPACK subgraph.
 *
 * One XNNPACK step of a plan (xnnpack_plan.h) becomes one subgraph, its
 * external tensors the external values in the plan's order.  Constant data
 * is referenced, not copied:
 * the model's bytes must outlive the subgraph and every runtime made from
 * it.  An operator this path cannot run is refused with WC_EBADMODULE and
 * a message naming it ("nn: operator 3 (LSTM): ...").
 */
#ifndef WC_NN_XNNPACK_BUILD_H
#define WC_NN_XNNPACK_BUILD_H

#include <xnnpack.h>

#include "nn/tflite.h"
#include "nn/xnnpack_plan.h"
#include "util/error.h"

/* Initializes XNNPACK once per process; safe from any thread. */
int wc_xnn_init(wc_error *err);

int wc_xnn_build(const wc_tflite_model *model, const wc_xnn_plan *plan, uint32_t step,
                 xnn_subgraph_t *out, wc_error *err);

#endif
