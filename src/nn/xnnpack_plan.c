/* xnnpack_plan.c -- XNNPACK segments and own kernels in execution order
 * (see xnnpack_plan.h). */
#include "nn/xnnpack_plan.h"

#include <stdlib.h>
#include <string.h>

#include "nn/kernels.h"

/* Whether op computes on its input i (RESHAPE takes its shape from its
 * declared output, not from its second input). */
static int reads(const wc_tflite_operator *op, uint32_t i)
{
    return op->inputs[i] >= 0 && !(op->code == WC_TFLITE_OP_RESHAPE && i == 1);
}

/* Marks the operators some graph output depends on.  XNNPACK allocates no
 * buffer for a value nothing reads and then fails on the node that writes
 * it, so an operator whose result is unused is left out, as TFLite's
 * result would not show it either.  TFLite lists operators in execution
 * order, so one pass backwards suffices. */
static void mark_live(const wc_tflite_model *m, unsigned char *needed, unsigned char *live)
{
    for (uint32_t i = 0; i < m->noutputs; i++)
        needed[m->outputs[i]] = 1;
    for (uint32_t k = m->noperators; k-- > 0;) {
        const wc_tflite_operator *op = &m->operators[k];
        for (uint32_t o = 0; o < op->noutputs; o++)
            if (op->outputs[o] >= 0 && needed[op->outputs[o]])
                live[k] = 1;
        for (uint32_t i = 0; live[k] && i < op->ninputs; i++)
            if (reads(op, i))
                needed[op->inputs[i]] = 1;
    }
}

static int refuse_op(const wc_tflite_model *m, uint32_t k, wc_error *err, const char *what,
                     int32_t tensor)
{
    return wc_error_set(err, WC_EBADMODULE, "nn: operator %u (%s): %s tensor \"%s\"%s", k,
                        m->operators[k].name, what, m->tensors[tensor].name,
                        strcmp(what, "reads") == 0 ? " before any operator writes it"
                                                   : ", which is already written or constant");
}

/* The checks on the graph as a whole; ready is scratch, one per tensor. */
static int check_graph(const wc_tflite_model *m, const unsigned char *live, unsigned char *ready,
                       wc_error *err)
{
    for (uint32_t t = 0; t < m->ntensors; t++)
        ready[t] = m->tensors[t].data != NULL;
    for (uint32_t i = 0; i < m->ninputs; i++) {
        if (ready[m->inputs[i]])
            return wc_error_set(err, WC_EBADMODULE,
                                "nn: graph input %u is a constant or another input", i);
        ready[m->inputs[i]] = 1;
    }
    for (uint32_t k = 0; k < m->noperators; k++) {
        const wc_tflite_operator *op = &m->operators[k];
        if (!live[k])
            continue;
        if (op->noutputs != 1 || op->outputs[0] < 0)
            return wc_error_set(err, WC_EBADMODULE,
                                "nn: operator %u (%s): it does not have exactly one output", k,
                                op->name);
        for (uint32_t i = 0; i < op->ninputs; i++)
            if (reads(op, i) && !ready[op->inputs[i]])
                return refuse_op(m, k, err, "reads", op->inputs[i]);
        if (ready[op->outputs[0]])
            return refuse_op(m, k, err, "it writes", op->outputs[0]);
        ready[op->outputs[0]] = 1;
    }
    for (uint32_t i = 0; i < m->noutputs; i++) {
        int32_t t = m->outputs[i];
        int produced = 0;
        for (uint32_t k = 0; k < m->noperators; k++)
            produced |= live[k] && m->operators[k].outputs[0] == t;
        if (!produced)
            return wc_error_set(err, WC_EBADMODULE,
                                "nn: graph output %u is not computed by any operator", i);
        for (uint32_t j = 0; j < i; j++)
            if (m->outputs[j] == t)
                return wc_error_set(err, WC_EBADMODULE,
                                    "nn: graph outputs %u and %u are one tensor", j, i);
    }
    return 0;
}

void wc_xnn_plan_free(wc_xnn_plan *p)
{
    if (!p)
        return;
    for (uint32_t s = 0; s < p->nsteps; s++)
        free(p->steps[s].external);
    free(p->steps);
    free(p->live);
    free(p);
}

static int own_kernel(const wc_tflite_model *m, const wc_tflite_operator *op)
{
    return wc_tflite_operator_path(m, op) == WC_TFLITE_PATH_OWN_KERNEL;
}

/* Splits the live operators into steps: each own kernel alone, the
 * operators between them together. */
static int split(const wc_tflite_model *m, wc_xnn_plan *p, int32_t *step_of)
{
    for (uint32_t k = 0; k < m->noperators; k++) {
        if (!p->live[k])
            continue;
        int own = own_kernel(m, &m->operators[k]);
        wc_xnn_step *last = p->nsteps ? &p->steps[p->nsteps - 1] : NULL;
        if (!last || own || last->own)
            p->steps[p->nsteps++] = (wc_xnn_step){.own = own, .first = k};
        p->steps[p->nsteps - 1].end = k + 1;
        step_of[k] = (int32_t)p->nsteps - 1;
    }
    return 0;
}

/* Lists each step's external tensors.  producer[t] is the step writing
 * tensor t (-1: the caller or a constant); crosses[t] says another step
 * or the caller reads it. */
static int list_externals(const wc_tflite_model *m, wc_xnn_plan *p, const int32_t *step_of,
                          int32_t *producer, unsigned char *crosses, wc_error *err)
{
    for (uint32_t t = 0; t < m->ntensors; t++)
        producer[t] = -1;
    for (uint32_t k = 0; k < m->noperators; k++)
        if (p->live[k])
            producer[m->operators[k].outputs[0]] = step_of[k];
    for (uint32_t i = 0; i < m->noutputs; i++)
        crosses[m->outputs[i]] = 1;
    for (uint32_t k = 0; k < m->noperators; k++)
        for (uint32_t i = 0; p->live[k] && i < m->operators[k].ninputs; i++) {
            int32_t t = m->operators[k].inputs[i];
            if (reads(&m->operators[k], i) && !m->tensors[t].data && producer[t] != step_of[k])
                crosses[t] = 1;
        }
    for (uint32_t s = 0; s < p->nsteps; s++) {
        wc_xnn_step *st = &p->steps[s];
        size_t cap = 8;
        st->external = malloc(cap * sizeof *st->external);
        if (!st->external)
            return wc_error_set(err, WC_ENOMEM, "nn: out of memory planning a model");
        for (int pass = 0; pass < 2; pass++)
            for (uint32_t k = st->first; k < st->end; k++) {
                const wc_tflite_operator *op = &m->operators[k];
                for (uint32_t i = 0; p->live[k] && i < (pass ? 1 : op->ninputs); i++) {
                    int32_t t = pass ? op->outputs[0] : op->inputs[i];
                    if (pass ? !crosses[t]
                             : !reads(op, i) || m->tensors[t].data || producer[t] == (int32_t)s)
                        continue;
                    uint32_t n = st->nin + st->nout, j = 0;
                    while (j < n && st->external[j] != t)
                        j++;
                    if (j < n)
                        continue;
                    if (n == cap) {
                        int32_t *more = realloc(st->external, 2 * cap * sizeof *more);
                        if (!more)
                            return wc_error_set(err, WC_ENOMEM, "nn: out of memory planning a model");
                        st->external = more;
                        cap *= 2;
                    }
                    st->external[n] = t;
                    if (pass)
                        st->nout++;
                    else
                        st->nin++;
                }
            }
    }
    return 0;
}

int wc_xnn_plan_make(const wc_tflite_model *m, wc_xnn_plan **out, wc_error *err)
{
    *out = NULL;
    wc_xnn_plan *p = calloc(1, sizeof *p);
    unsigned char *flags = calloc((size_t)m->ntensors + 1, 1);
    unsigned char *crosses = calloc((size_t)m->ntensors + 1, 1);
    int32_t *producer = calloc((size_t)m->ntensors + 1, sizeof *producer);
    int32_t *step_of = calloc((size_t)m->noperators + 1, sizeof *step_of);
    int rc = 0;
    if (!p || !flags || !crosses || !producer || !step_of ||
        !(p->live = calloc((size_t)m->noperators + 1, 1)) ||
        !(p->steps = calloc((size_t)m->noperators + 1, sizeof *p->steps)))
        rc = wc_error_set(err, WC_ENOMEM, "nn: out of memory planning a model");
    if (rc == 0) {
        mark_live(m, flags, p->live);
        rc = check_graph(m, p->live, flags, err);
    }
    for (uint32_t k = 0; rc == 0 && k < m->noperators; k++)
        if (p->live[k] && own_kernel(m, &m->operators[k]))
            rc = wc_nn_kernel_check(m, k, err);
    if (rc == 0)
        rc = split(m, p, step_of);
    if (rc == 0)
        rc = list_externals(m, p, step_of, producer, crosses, err);
    free(flags);
    free(crosses);
    free(producer);
    free(step_of);
    if (rc) {
        wc_xnn_plan_free(p);
        return rc;
    }
    *out = p;
    return 0;
}
