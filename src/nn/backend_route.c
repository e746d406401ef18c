/* backend_route.c -- backend_route.h: the XNNPACK path first, Arm NN for
 * what it cannot take, a refusal naming the operator when neither can. */
#include "nn/backend_route.h"

#include <stdio.h>
#include <string.h>

#include "nn/tflite.h"
#include "nn/xnnpack_plan.h"

static int load_on(const wc_nn_backend *backend, const uint8_t *bytes, size_t size,
                   wc_nn_routed *out, wc_error *err)
{
    out->backend = backend;
    return backend->load(bytes, size, &out->impl, &out->ninputs, &out->inputs, &out->noutputs,
                         &out->outputs, err);
}

/* A message nested in another, without its own "nn: ". */
static const char *bare(const char *msg)
{
    return strncmp(msg, "nn: ", 4) == 0 ? msg + 4 : msg;
}

/* What the XNNPACK path makes of the model: 0 when it takes it (why says
 * how), else WC_EBADMODULE with why naming what it lacks, or another
 * error (out of memory) that ends the load. */
static int try_xnnpack(const uint8_t *bytes, size_t size, const wc_tflite_model *m,
                       wc_nn_routed *out, char *why, size_t why_size, wc_error *err)
{
    wc_xnn_plan *plan;
    wc_error refusal = {0};
    int rc = wc_xnn_plan_make(m, &plan, &refusal);
    if (rc == WC_EBADMODULE) {
        snprintf(why, why_size, "the XNNPACK path refused it: %.400s", bare(refusal.msg));
        return rc;
    }
    if (rc)
        return wc_error_set(err, rc, "%s", refusal.msg);
    int own = 0;
    for (uint32_t k = 0; k < m->noperators; k++) {
        if (!plan->live[k])
            continue;
        wc_tflite_path path = wc_tflite_operator_path(m, &m->operators[k]);
        if (path == WC_TFLITE_PATH_NONE) {
            snprintf(why, why_size, "operator %u (%s) is not on the XNNPACK path", k,
                     m->operators[k].name);
            wc_xnn_plan_free(plan);
            return WC_EBADMODULE;
        }
        own |= path == WC_TFLITE_PATH_OWN_KERNEL;
    }
    wc_xnn_plan_free(plan);
    rc = load_on(&wc_nn_xnnpack_backend, bytes, size, out, &refusal);
    if (rc == 0)
        snprintf(why, why_size, "every operator is on the XNNPACK path%s",
                 own ? " (some on the project's own kernels)" : "");
    else if (rc == WC_EBADMODULE)
        snprintf(why, why_size, "XNNPACK refused it: %.400s", bare(refusal.msg));
    else
        wc_error_set(err, rc, "%s", refusal.msg);
    return rc;
}

int wc_nn_route_tflite(const uint8_t *bytes, size_t size, wc_nn_backend_choice choice,
                       wc_nn_routed *out, wc_error *err)
{
    memset(out, 0, sizeof *out);
    if (choice == WC_NN_BACKEND_XNNPACK || choice == WC_NN_BACKEND_ARMNN) {
        const wc_nn_backend *b =
            choice == WC_NN_BACKEND_XNNPACK ? &wc_nn_xnnpack_backend : &wc_nn_armnn_backend;
        snprintf(out->reason, sizeof out->reason, "forced (backend \"%s\")", b->name);
        return load_on(b, bytes, size, out, err);
    }
    wc_tflite_model *m;
    int rc = wc_tflite_read(bytes, size, &m, err);
    if (rc < 0)
        return rc;
    rc = try_xnnpack(bytes, size, m, out, out->reason, sizeof out->reason, err);
    wc_tflite_free(m);
    if (rc != WC_EBADMODULE)
        return rc;
    wc_error refusal = {0};
    rc = load_on(&wc_nn_armnn_backend, bytes, size, out, &refusal);
    if (rc == 0 || rc == WC_ENOMEM)
        return rc == 0 ? 0 : wc_error_set(err, rc, "%s", refusal.msg);
    return wc_error_set(err, WC_EBADMODULE, "nn: neither backend runs the model: %s; and %s",
                        out->reason, bare(refusal.msg));
}
