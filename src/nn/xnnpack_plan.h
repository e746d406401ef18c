/* xnnpack_plan.h -- how a TFLite model runs: XNNPACK subgraphs (segments
 * of consecutive operators XNNPACK has) and the project's own kernels
 * (kernels.h) between them.
 *
 * Only operators some graph output depends on are planned.  Each step
 * lists its external tensors: those it reads that an earlier step or the
 * caller wrote, then those it writes that a later step or the caller
 * reads; a segment's external value ids are their positions in that list.
 * Making a plan checks the graph as a whole: no operator reads a tensor
 * nothing wrote, none writes one already written, a constant or a graph
 * input, every graph output is computed, inputs and outputs are distinct.
 */
#ifndef WC_NN_XNNPACK_PLAN_H
#define WC_NN_XNNPACK_PLAN_H

#include <stdint.h>

#include "nn/tflite.h"
#include "util/error.h"

typedef struct wc_xnn_step {
    int own;             /* an own kernel (one operator), or an XNNPACK segment */
    uint32_t first, end; /* its operators: the live ones in [first, end) */
    uint32_t nin, nout;
    int32_t *external;   /* nin tensors read, then nout written */
} wc_xnn_step;

typedef struct wc_xnn_plan {
    uint32_t nsteps;
    wc_xnn_step *steps;
    unsigned char *live; /* per operator */
} wc_xnn_plan;

int wc_xnn_plan_make(const wc_tflite_model *m, wc_xnn_plan **out, wc_error *err);
void wc_xnn_plan_free(wc_xnn_plan *plan);

#endif
