/* wrong_field.c -- writes a field the ontology does not have: must not
 * compile (tests/gen/run.sh expects the failure). */
#define WASMCAP_IMPLEMENTATION
#include "wasmcap.h"
#include "ontology.h"

static int assess(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    onto_ContextualRiskAssessment a = {
        .sku = "SKU-1",
        .current_stock = 12,
        .stockout_percentage = 25,
        .recommended_action = onto_RecommendedAction_Hold,
    };
    return onto_ContextualRiskAssessment_result(out, &a);
}

WASMCAP_TOOLS({"assess", assess});
