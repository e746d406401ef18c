/* nn_probe.c -- bench_nn_call's probe plugin (built by bench/nn_probe.sh
 * with Debian's clang, as plugins/ are).
 *
 * One tool, infer {"inferences": N}: N = 0 opens no model and answers "ok"
 * (what is left is the tool call's fixed cost: the host's path and the
 * SDK's argument parse and result); N >= 1 opens the model supply_risk with
 * load_by_name, makes one execution context and runs set_input, compute and
 * get_output N times on it, as supply-risk does once.  The difference of
 * N = 1 and N = 0 is a call's first inference through WASI-NN; the slope
 * over N, one more inference on a context the call holds. */
#define WASMCAP_IMPLEMENTATION
#include "wasmcap.h"
#include "wasi_nn.h"

WASMCAP_MANIFEST_FILE("manifest.json");

#define MODEL_NAME "supply_risk"
#define MAX_INFERENCES 1000

static int infer(const wasmcap_json *args, wasmcap_result *out)
{
    double n = wasmcap_json_number(wasmcap_json_get(args, "inferences"), -1);
    if (!(n >= 0 && n <= MAX_INFERENCES))
        return wasmcap_error(out, "inferences must be from 0 to %d", MAX_INFERENCES);
    if (n == 0) {
        wasmcap_text(out, "ok");
        return 0;
    }
    wasi_nn_graph graph;
    wasi_nn_graph_execution_context ctx;
    int32_t rc = wasi_nn_load_by_name(MODEL_NAME, sizeof MODEL_NAME - 1, &graph);
    if (!rc)
        rc = wasi_nn_init_execution_context(graph, &ctx);
    /* (days of cover, buffer days) as supply-risk gives them for SKU-1 */
    float x[2] = {12.0f, 7.0f}, y = -1;
    uint32_t dims[] = {1, 2}, written = 0;
    wasi_nn_tensor in = {dims, 2, WASI_NN_TYPE_F32, (const uint8_t *)x, sizeof x};
    for (int i = 0; i < (int)n && !rc; i++) {
        rc = wasi_nn_set_input(ctx, 0, &in);
        if (!rc)
            rc = wasi_nn_compute(ctx);
        if (!rc)
            rc = wasi_nn_get_output(ctx, 0, (uint8_t *)&y, sizeof y, &written);
    }
    if (rc)
        return wasmcap_error(out, "WASI-NN error %d", rc);
    if (written != sizeof y || !(y >= 0 && y <= 1))
        return wasmcap_error(out, "the model answered no probability");
    wasmcap_text(out, "ok");
    return 0;
}

WASMCAP_TOOLS({"infer", infer});
