/* wrong_type.c -- writes a value of the wrong type (a string where the
 * ontology has a number, and where it has an enum): must not compile
 * (tests/gen/run.sh expects the failure). */
#define WASMCAP_IMPLEMENTATION
#include "wasmcap.h"
#include "ontology.h"

static int assess(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    onto_ContextualRiskAssessment a = {
        .sku = "SKU-1",
        .current_stock = "12",
        .stockout_probability = 0.25,
        .recommended_action = "Hold",
    };
    return onto_ContextualRiskAssessment_result(out, &a);
}

WASMCAP_TOOLS({"assess", assess});
