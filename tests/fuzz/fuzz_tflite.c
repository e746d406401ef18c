/* fuzz_tflite.c -- libFuzzer target for the .tflite reader (nn/).
 *
 * Properties checked on every input:
 * - the reader never crashes, leaks or reads out of bounds, and a refusal
 *   always names the byte offset of the fault;
 * - an accepted model keeps what the description promises: every tensor
 *   index in range (operator inputs may be -1), constant data inside the
 *   file and of the size its shape and type need, quantization arrays that
 *   fit the tensor, and every operator placed on a backend path.
 *
 * Seeds: tests/fuzz/corpus/tflite, small models of ../shared/models.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/tflite.h"

static void fail(const char *what, uint32_t i)
{
    fprintf(stderr, "accepted model breaks its description: %s %u\n", what, i);
    abort();
}

static bool index_ok(const wc_tflite_model *m, int32_t index, bool optional)
{
    return (optional && index == -1) || (index >= 0 && (uint32_t)index < m->ntensors);
}

static void check_model(const wc_tflite_model *m, const uint8_t *data, size_t size)
{
    for (uint32_t i = 0; i < m->ntensors; i++) {
        const wc_tflite_tensor *t = &m->tensors[i];
        if (t->rank > WC_TFLITE_MAX_RANK || !t->name)
            fail("tensor", i);
        if (t->data && (t->data < data || t->data_size > size - (size_t)(t->data - data)))
            fail("tensor data outside the file", i);
        if (t->quant.count > 1 &&
            (t->quant.dimension < 0 || (uint32_t)t->quant.dimension >= t->rank ||
             (uint32_t)t->shape[t->quant.dimension] != t->quant.count))
            fail("tensor quantization", i);
        for (uint32_t d = 0; d < t->rank; d++)
            if (t->shape[d] < 0)
                fail("tensor shape", i);
    }
    for (uint32_t i = 0; i < m->ninputs; i++)
        if (!index_ok(m, m->inputs[i], false))
            fail("graph input", i);
    for (uint32_t i = 0; i < m->noutputs; i++)
        if (!index_ok(m, m->outputs[i], false))
            fail("graph output", i);
    for (uint32_t i = 0; i < m->noperators; i++) {
        const wc_tflite_operator *op = &m->operators[i];
        if (op->code < 0 || !op->name)
            fail("operator", i);
        for (uint32_t k = 0; k < op->ninputs; k++)
            if (!index_ok(m, op->inputs[k], true))
                fail("operator input", i);
        for (uint32_t k = 0; k < op->noutputs; k++)
            if (!index_ok(m, op->outputs[k], false))
                fail("operator output", i);
        (void)wc_tflite_path_name(wc_tflite_operator_path(m, op));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wc_tflite_model *m;
    wc_error err;
    if (wc_tflite_read(data, size, &m, &err) != 0) {
        if (strncmp(err.msg, "tflite: offset 0x", 17) != 0) {
            fprintf(stderr, "refusal without an offset: %s\n", err.msg);
            abort();
        }
        return 0;
    }
    check_model(m, data, size);
    wc_tflite_free(m);
    return 0;
}
