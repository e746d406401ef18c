/* good.c -- a plugin that writes an assessment through the generated
 * types (tests/gen/run.sh builds it for wasm32-wasi; it must compile). */
#define WASMCAP_IMPLEMENTATION
#include "wasmcap.h"
#include "ontology.h"

static int assess(const wasmcap_json *args, wasmcap_result *out)
{
    onto_ContextualRiskAssessment a = {
        .sku = wasmcap_json_string(wasmcap_json_get(args, "sku"), "SKU-1"),
        .current_stock = 12,
        .stockout_probability = 0.25,
        .recommended_action = onto_RecommendedAction_RouteSecondary,
    };
    return onto_ContextualRiskAssessment_result(out, &a);
}

static int echo_note(const wasmcap_json *args, wasmcap_result *out)
{
    onto_Note note;
    char err[256];
    if (onto_Note_read(args, &note, err, sizeof err))
        return wasmcap_error(out, "%s", err);
    return onto_Note_result(out, &note);
}

WASMCAP_TOOLS({"assess", assess}, {"echo_note", echo_note});
