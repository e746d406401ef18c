/* test_supply_risk.c -- the supply-risk model, a build product of its
 * recipe (plugins/supply-risk/model/, built by `make -C plugins`), run
 * through nn/backend.h against the recipe's fitted logistic function: on
 * the model's input grid (quarter days) the int8 model may differ only by
 * what its quantization allows. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/backend.h"
#include "util/fs.h"

#include "../plugins/supply-risk/model/fit.h"
#include "check.h"

#define MODEL WC_SOURCE_DIR "/plugins/supply-risk/model/supply-risk.tflite"

/* The most the quantized model may be off at (cover, buffer): each weight
 * is rounded by half a step, then the bias and the logit; the logistic's
 * slope is at most 1/4; the output is rounded to 1/512, and a logit past
 * the int8 range changes P by at most 0.0004. */
static double tolerance(const supply_fit *fit, double cover, double buffer)
{
    double w_scale = supply_weight_scale(fit);
    double logit = (cover + buffer) * w_scale / 2 + SUPPLY_INPUT_SCALE * w_scale / 2 +
                   SUPPLY_LOGIT_SCALE / 2;
    return 0.25 * logit + SUPPLY_OUTPUT_SCALE / 2 + 0.0004 + 1e-6;
}

static double run(wc_nn_context *ctx, double cover, double buffer)
{
    wc_error err = {0};
    float x[2] = {(float)cover, (float)buffer}, y = -1;
    size_t needed = 0;
    CHECK(wc_nn_set_input(ctx, 0, WC_NN_F32, (const uint32_t[]){1, 2}, 2, x, sizeof x, &err) == 0,
          "set_input: %s", wc_error_message(&err));
    CHECK(wc_nn_compute(ctx, &err) == 0, "compute: %s", wc_error_message(&err));
    CHECK(wc_nn_get_output(ctx, 0, &y, sizeof y, &needed, &err) == 0 && needed == sizeof y,
          "get_output: %s", wc_error_message(&err));
    return y;
}

int main(void)
{
    uint8_t *bytes = NULL;
    size_t size = 0;
    int rc = wc_read_file(MODEL, 0, &bytes, &size);
    if (rc) {
        printf("FAIL: %s: %s; build it with `make -C plugins`\n", MODEL, strerror(-rc));
        return 1;
    }
    wc_error err = {0};
    wc_nn_graph *graph = NULL;
    rc = wc_nn_graph_load(bytes, size, WC_NN_ENCODING_TENSORFLOWLITE, WC_NN_TARGET_CPU, &graph,
                          &err);
    free(bytes);
    if (rc) {
        printf("FAIL: %s: %s\n", MODEL, wc_error_message(&err));
        return 1;
    }
    CHECK(strcmp(wc_nn_graph_backend(graph), "xnnpack") == 0, "backend %s",
          wc_nn_graph_backend(graph));
    const wc_nn_tensor_info *in = wc_nn_graph_input(graph, 0), *out = wc_nn_graph_output(graph, 0);
    CHECK(wc_nn_graph_input_count(graph) == 1 && in->type == WC_NN_F32 && in->rank == 2 &&
              in->dims[1] == 2,
          "the input is not f32 [1, 2]");
    CHECK(wc_nn_graph_output_count(graph) == 1 && out->type == WC_NN_F32 && out->size == 4,
          "the output is not one f32");

    supply_fit fit = supply_fit_model();
    /* the fit recovers the rule it was drawn from: 0.5 per day, no offset */
    CHECK(fabs(fit.w_cover + SUPPLY_RULE_STEEPNESS) < 0.05 &&
              fabs(fit.w_buffer - SUPPLY_RULE_STEEPNESS) < 0.05 && fabs(fit.bias) < 0.2,
          "fit %g %g %g", fit.w_cover, fit.w_buffer, fit.bias);

    wc_nn_context *ctx = NULL;
    CHECK(wc_nn_context_new(graph, &ctx, &err) == 0, "context: %s", wc_error_message(&err));
    static const double covers[] = {0, 1.25, 2.5, 5, 7.75, 10, 12, 15.25, 20, 30, 40, 63.75};
    static const double buffers[] = {0, 3, 7, 10, 14, 20};
    int checked = 0;
    for (size_t i = 0; ctx && i < sizeof covers / sizeof *covers; i++)
        for (size_t k = 0; k < sizeof buffers / sizeof *buffers; k++) {
            double got = run(ctx, covers[i], buffers[k]);
            double want = supply_fit_probability(&fit, covers[i], buffers[k]);
            double tol = tolerance(&fit, covers[i], buffers[k]);
            CHECK(got >= 0 && got <= 1 && fabs(got - want) <= tol,
                  "cover %g, buffer %g: the model says %.5f, the fit %.5f (tolerance %.5f)",
                  covers[i], buffers[k], got, want, tol);
            checked++;
        }
    /* the decision points the plugin's tests rely on */
    CHECK(fabs(run(ctx, 12, 7) - 19.0 / 256) < 1e-6, "12 days of cover, 7 of buffer");
    CHECK(fabs(run(ctx, 10, 10) - 0.5) < 1e-6, "cover equal to the buffer");
    wc_nn_context_free(ctx);
    wc_nn_graph_free(graph);
    if (failures) {
        printf("%d check(s) failed\n", failures);
        return 1;
    }
    printf("test_supply_risk: all checks passed (%d points)\n", checked);
    return 0;
}
