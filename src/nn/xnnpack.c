/* xnnpack.c -- the TFLite-on-XNNPACK backend behind backend.h.
 *
 * This XNNPACK snapshot has no weights cache: a runtime packs the weights
 * when it is made (most of a load's cost), and it is mutable while it runs.
 * So the packed weights live in a graph's pool of runners -- a runner is
 * one ready copy of the model: a runtime per XNNPACK segment, set up once
 * on its own buffers for the tensors the steps exchange -- and a compute
 * borrows one for its length: it copies the context's inputs in, runs the
 * steps, copies the outputs out and gives the runner back.  A context is
 * then only its input and output buffers, so a thousand contexts of one
 * model (a thousand instances that each opened it) share the runners, and
 * no compute sets up or repacks anything.  The copies cost the input's and
 * output's size, where XNNPACK's setup of a runtime on new buffers cost a
 * few tens of microseconds (issue 13's measurements, docs/BENCHMARKS.md).
 *
 * The pool makes runners as computes need them, up to max_runners (the
 * number of CPUs unless set: runners run on the caller's thread, so more
 * computes at once than cores only take turns).  A compute that finds them
 * all busy joins a queue and is handed the first one returned, in arrival
 * order; it waits in slices of WAIT_SLICE_NS so that it sees its
 * cancellation, and no longer than its deadline.  Load makes the first runner, so that a model XNNPACK
 * refuses is refused at load.
 *
 * A model with operators XNNPACK lacks runs as a plan (xnnpack_plan.h):
 * one runtime per XNNPACK segment, the project's kernels between them, on
 * the runner's buffers; between steps the compute checks its limits.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nn/backend_ops.h"
#include "nn/kernels.h"
#include "nn/tflite.h"
#include "nn/xnnpack_build.h"
#include "nn/xnnpack_plan.h"
#include "util/clock.h"

/* How long a compute waiting for a runner sleeps before it looks at its
 * cancellation token again (a returned runner wakes it at once). */
#define WAIT_SLICE_NS 10000000ull

typedef struct runner {
    xnn_runtime_t *runtimes; /* per step; NULL for an own kernel */
    void **buffers; /* per tensor: those the steps or the caller exchange, XNN_EXTRA_BYTES
                     * longer as XNNPACK reads past; NULL for the others */
    struct runner *next; /* in the idle list */
} runner;

typedef struct xnn_graph {
    wc_tflite_model *model;
    wc_xnn_plan *plan;
    pthread_mutex_t lock;   /* guards what follows */
    pthread_cond_t returned; /* a runner was handed over or freed, or a waiter left */
    runner *idle;
    struct waiter *waiting; /* computes waiting for a runner, oldest first */
    uint32_t runners;       /* made and alive: idle, busy or being made */
    uint32_t max_runners;
    uint64_t waits;
} xnn_graph;

typedef struct xnn_context {
    xnn_graph *graph;
    void **inputs, **outputs; /* per graph input and output: the caller's copies */
} xnn_context;

static size_t tensor_bytes(const wc_tflite_tensor *t)
{
    size_t size = wc_tflite_type_bits(t->type) / 8;
    for (uint32_t d = 0; d < t->rank; d++)
        size *= (size_t)t->shape[d];
    return size;
}

static void runner_free(const xnn_graph *g, runner *r)
{
    if (!r)
        return;
    for (uint32_t s = 0; r->runtimes && s < g->plan->nsteps; s++)
        if (r->runtimes[s])
            xnn_delete_runtime(r->runtimes[s]);
    for (uint32_t t = 0; r->buffers && t < g->model->ntensors; t++)
        free(r->buffers[t]);
    free(r->runtimes);
    free(r->buffers);
    free(r);
}

static int add_buffer(const xnn_graph *g, runner *r, int32_t t, wc_error *err)
{
    if (r->buffers[t])
        return 0;
    size_t size = tensor_bytes(&g->model->tensors[t]);
    r->buffers[t] = calloc(1, size + XNN_EXTRA_BYTES);
    if (!r->buffers[t])
        return wc_error_set(err, WC_ENOMEM, "nn: out of memory for a %zu-byte tensor", size);
    return 0;
}

/* Points step s's runtime at the runner's buffers, once for its life. */
static int set_up(const xnn_graph *g, runner *r, uint32_t s, wc_error *err)
{
    const wc_xnn_step *st = &g->plan->steps[s];
    uint32_t n = st->nin + st->nout;
    struct xnn_external_value *ext = calloc((size_t)n + 1, sizeof *ext);
    if (!ext)
        return wc_error_set(err, WC_ENOMEM, "nn: out of memory making an XNNPACK runtime");
    for (uint32_t i = 0; i < n; i++)
        ext[i] = (struct xnn_external_value){.id = i, .data = r->buffers[st->external[i]]};
    enum xnn_status status = xnn_setup_runtime(r->runtimes[s], n, ext);
    free(ext);
    if (status != xnn_status_success)
        return wc_error_set(err, WC_EIO, "nn: XNNPACK cannot set up a runtime (status %d)",
                            (int)status);
    return 0;
}

static int runtime_new(xnn_graph *g, runner *r, uint32_t s, wc_error *err)
{
    xnn_subgraph_t sg;
    int rc = wc_xnn_build(g->model, g->plan, s, &sg, err);
    if (rc)
        return rc;
    enum xnn_status st = xnn_create_runtime_v2(sg, NULL, 0, &r->runtimes[s]);
    xnn_delete_subgraph(sg);
    if (st != xnn_status_success) {
        r->runtimes[s] = NULL;
        return wc_error_set(err, st == xnn_status_out_of_memory ? WC_ENOMEM : WC_EBADMODULE,
                            "nn: XNNPACK cannot make a runtime of the model (status %d)", (int)st);
    }
    return set_up(g, r, s, err);
}

/* A runner: the buffers of the graph's inputs, outputs and exchanged
 * tensors, and a runtime per segment set up on them. */
static int runner_new(xnn_graph *g, runner **out, wc_error *err)
{
    const wc_tflite_model *m = g->model;
    const wc_xnn_plan *p = g->plan;
    runner *r = calloc(1, sizeof *r);
    if (!r || !(r->runtimes = calloc((size_t)p->nsteps + 1, sizeof *r->runtimes)) ||
        !(r->buffers = calloc((size_t)m->ntensors + 1, sizeof *r->buffers))) {
        runner_free(g, r);
        return wc_error_set(err, WC_ENOMEM, "nn: out of memory making XNNPACK runtimes");
    }
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < m->ninputs; i++)
        rc = add_buffer(g, r, m->inputs[i], err);
    for (uint32_t i = 0; rc == 0 && i < m->noutputs; i++)
        rc = add_buffer(g, r, m->outputs[i], err);
    for (uint32_t s = 0; rc == 0 && s < p->nsteps; s++)
        for (uint32_t i = 0; rc == 0 && i < p->steps[s].nin + p->steps[s].nout; i++)
            rc = add_buffer(g, r, p->steps[s].external[i], err);
    for (uint32_t s = 0; rc == 0 && s < p->nsteps; s++)
        if (!p->steps[s].own)
            rc = runtime_new(g, r, s, err);
    if (rc) {
        runner_free(g, r);
        return rc;
    }
    *out = r;
    return 0;
}

/* ---- the pool ----------------------------------------------------------- */

/* A compute waiting for a runner, in the graph's queue (on its stack). */
typedef struct waiter {
    runner *given; /* handed over by runner_return */
    struct waiter *next;
} waiter;

static void dequeue(xnn_graph *g, waiter *w)
{
    waiter **at = &g->waiting;
    while (*at && *at != w)
        at = &(*at)->next;
    if (*at)
        *at = w->next;
}

static void enqueue(xnn_graph *g, waiter *w)
{
    waiter **at = &g->waiting;
    while (*at)
        at = &(*at)->next;
    w->next = NULL;
    *at = w;
}

/* Hands the runner to the longest waiter, or back to idle; the surplus of
 * a lowered bound is freed. */
static void runner_return(xnn_graph *g, runner *r)
{
    pthread_mutex_lock(&g->lock);
    int surplus = g->runners > g->max_runners;
    if (surplus) {
        g->runners--;
    } else if (g->waiting) {
        waiter *w = g->waiting;
        g->waiting = w->next;
        w->given = r;
    } else {
        r->next = g->idle;
        g->idle = r;
    }
    pthread_cond_broadcast(&g->returned);
    pthread_mutex_unlock(&g->lock);
    if (surplus)
        runner_free(g, r);
}

/* Called with the lock held, which it releases: makes a runner while the
 * count already includes it. */
static int runner_make(xnn_graph *g, runner **out, wc_error *err)
{
    pthread_mutex_unlock(&g->lock);
    /* outside the lock: packing takes long, and others may return runners */
    int rc = runner_new(g, out, err);
    if (rc) {
        pthread_mutex_lock(&g->lock);
        g->runners--;
        pthread_cond_broadcast(&g->returned);
        pthread_mutex_unlock(&g->lock);
    }
    return rc;
}

static struct timespec abs_time(uint64_t ns)
{
    return (struct timespec){.tv_sec = (time_t)(ns / 1000000000u),
                             .tv_nsec = (long)(ns % 1000000000u)};
}

/* An idle runner, or a new one while fewer than max_runners exist, or --
 * in arrival order -- the first one returned; WC_ETIMEDOUT or WC_ECANCELED
 * when the limits end the wait first. */
static int runner_borrow(xnn_graph *g, const wc_nn_limits *limits, runner **out, wc_error *err)
{
    pthread_mutex_lock(&g->lock);
    if (!g->waiting) {
        if (g->idle) {
            *out = g->idle;
            g->idle = g->idle->next;
            pthread_mutex_unlock(&g->lock);
            return 0;
        }
        if (g->runners < g->max_runners) {
            g->runners++;
            return runner_make(g, out, err);
        }
    }
    g->waits++;
    waiter me = {0};
    enqueue(g, &me);
    int rc;
    for (;;) {
        if (me.given) {
            *out = me.given;
            pthread_mutex_unlock(&g->lock);
            return 0;
        }
        if (g->waiting == &me && (g->idle || g->runners < g->max_runners)) {
            g->waiting = me.next;
            if (g->idle) {
                *out = g->idle;
                g->idle = g->idle->next;
                pthread_mutex_unlock(&g->lock);
                return 0;
            }
            g->runners++;
            return runner_make(g, out, err);
        }
        char where[96];
        snprintf(where, sizeof where, "while it waited for a runtime (all %u busy)",
                 g->max_runners);
        if ((rc = wc_nn_limits_check(limits, where, err)) != 0)
            break;
        uint64_t until = wc_monotonic_ns() + WAIT_SLICE_NS;
        if (limits->deadline_ns && limits->deadline_ns < until)
            until = limits->deadline_ns;
        struct timespec ts = abs_time(until);
        pthread_cond_timedwait(&g->returned, &g->lock, &ts);
    }
    dequeue(g, &me);
    /* the next in line may now be first, with room to make one */
    pthread_cond_broadcast(&g->returned);
    pthread_mutex_unlock(&g->lock);
    return rc;
}

static uint32_t cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > (long)WC_NN_MAX_RUNTIMES ? WC_NN_MAX_RUNTIMES : (uint32_t)n;
}

static void set_max_runtimes(void *impl, uint32_t max)
{
    xnn_graph *g = impl;
    runner *drop = NULL;
    pthread_mutex_lock(&g->lock);
    g->max_runners = max;
    /* idle runners over the bound go now, busy ones as they return */
    while (g->runners > g->max_runners && g->idle) {
        runner *r = g->idle;
        g->idle = r->next;
        r->next = drop;
        drop = r;
        g->runners--;
    }
    pthread_cond_broadcast(&g->returned);
    pthread_mutex_unlock(&g->lock);
    while (drop) {
        runner *next = drop->next;
        runner_free(g, drop);
        drop = next;
    }
}

static void stats(void *impl, wc_nn_graph_stats *out)
{
    xnn_graph *g = impl;
    pthread_mutex_lock(&g->lock);
    out->runtimes = g->runners;
    out->max_runtimes = g->max_runners;
    out->waits = g->waits;
    pthread_mutex_unlock(&g->lock);
}

static int describe(const wc_tflite_tensor *t, wc_nn_tensor_info *info, wc_error *err)
{
    memset(info, 0, sizeof *info);
    switch (t->type) {
    case WC_TFLITE_FLOAT32:
        info->type = WC_NN_F32;
        break;
    case WC_TFLITE_INT8:
        info->is_int8 = 1;
        info->type = WC_NN_U8;
        break;
    case WC_TFLITE_UINT8:
        info->type = WC_NN_U8;
        break;
    default:
        return wc_error_set(err, WC_EBADMODULE, "nn: a graph input or output of type %s",
                            wc_tflite_type_name(t->type));
    }
    info->rank = t->rank;
    size_t n = wc_tflite_type_bits(t->type) / 8;
    for (uint32_t i = 0; i < t->rank; i++) {
        info->dims[i] = (uint32_t)t->shape[i];
        n *= (size_t)t->shape[i];
    }
    info->size = n;
    return 0;
}

static void graph_free(void *impl)
{
    xnn_graph *g = impl;
    if (!g)
        return;
    while (g->idle) {
        runner *next = g->idle->next;
        runner_free(g, g->idle);
        g->idle = next;
    }
    wc_xnn_plan_free(g->plan);
    pthread_cond_destroy(&g->returned);
    pthread_mutex_destroy(&g->lock);
    wc_tflite_free(g->model);
    free(g);
}

static int graph_new(xnn_graph **out)
{
    xnn_graph *g = calloc(1, sizeof *g);
    pthread_condattr_t attr;
    if (!g || pthread_condattr_init(&attr)) {
        free(g);
        return WC_ENOMEM;
    }
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&g->returned, &attr);
    pthread_condattr_destroy(&attr);
    if (rc) {
        free(g);
        return WC_ENOMEM;
    }
    pthread_mutex_init(&g->lock, NULL);
    g->max_runners = cpu_count();
    *out = g;
    return 0;
}

static int load(const uint8_t *bytes, size_t size, void **out, uint32_t *ninputs,
                wc_nn_tensor_info **inputs, uint32_t *noutputs, wc_nn_tensor_info **outputs,
                wc_error *err)
{
    int rc = wc_xnn_init(err);
    if (rc)
        return rc;
    xnn_graph *g;
    if (graph_new(&g))
        return wc_error_set(err, WC_ENOMEM, "nn: out of memory loading a model");
    if ((rc = wc_tflite_read(bytes, size, &g->model, err)) < 0) {
        graph_free(g);
        return rc;
    }
    const wc_tflite_model *m = g->model;
    *inputs = calloc((size_t)m->ninputs + 1, sizeof **inputs);
    *outputs = calloc((size_t)m->noutputs + 1, sizeof **outputs);
    if (!*inputs || !*outputs)
        rc = wc_error_set(err, WC_ENOMEM, "nn: out of memory loading a model");
    for (uint32_t i = 0; rc == 0 && i < m->ninputs; i++)
        rc = describe(&m->tensors[m->inputs[i]], &(*inputs)[i], err);
    for (uint32_t i = 0; rc == 0 && i < m->noutputs; i++)
        rc = describe(&m->tensors[m->outputs[i]], &(*outputs)[i], err);
    if (rc == 0)
        rc = wc_xnn_plan_make(m, &g->plan, err);
    runner *first;
    if (rc == 0 && (rc = runner_new(g, &first, err)) == 0) {
        g->idle = first;
        g->runners = 1;
    }
    if (rc) {
        free(*inputs);
        free(*outputs);
        *inputs = *outputs = NULL;
        graph_free(g);
        return rc;
    }
    *ninputs = m->ninputs;
    *noutputs = m->noutputs;
    *out = g;
    return 0;
}

static void context_free(void *graph, void *impl)
{
    xnn_context *c = impl;
    (void)graph;
    if (!c)
        return;
    for (uint32_t i = 0; c->inputs && i < c->graph->model->ninputs; i++)
        free(c->inputs[i]);
    for (uint32_t i = 0; c->outputs && i < c->graph->model->noutputs; i++)
        free(c->outputs[i]);
    free(c->inputs);
    free(c->outputs);
    free(c);
}

static int context_new(void *graph, void **out, void **inputs, void **outputs, wc_error *err)
{
    xnn_graph *g = graph;
    const wc_tflite_model *m = g->model;
    xnn_context *c = calloc(1, sizeof *c);
    int ok = c && (c->inputs = calloc((size_t)m->ninputs + 1, sizeof *c->inputs)) &&
             (c->outputs = calloc((size_t)m->noutputs + 1, sizeof *c->outputs));
    if (c)
        c->graph = g;
    for (uint32_t i = 0; ok && i < m->ninputs; i++)
        ok = (c->inputs[i] = calloc(1, tensor_bytes(&m->tensors[m->inputs[i]]) + 1)) != NULL;
    for (uint32_t i = 0; ok && i < m->noutputs; i++)
        ok = (c->outputs[i] = calloc(1, tensor_bytes(&m->tensors[m->outputs[i]]) + 1)) != NULL;
    if (!ok) {
        context_free(g, c);
        return wc_error_set(err, WC_ENOMEM, "nn: out of memory making an execution context");
    }
    memcpy(inputs, c->inputs, m->ninputs * sizeof *inputs);
    memcpy(outputs, c->outputs, m->noutputs * sizeof *outputs);
    *out = c;
    return 0;
}

/* The steps in order on a borrowed runner, the limits checked between them. */
static int run_steps(xnn_graph *g, runner *r, const wc_nn_limits *limits, wc_error *err)
{
    const wc_xnn_plan *p = g->plan;
    for (uint32_t s = 0; s < p->nsteps; s++) {
        const wc_xnn_step *st = &p->steps[s];
        if (s > 0) {
            char where[64];
            snprintf(where, sizeof where, "before step %u of %u", s + 1, p->nsteps);
            int rc = wc_nn_limits_check(limits, where, err);
            if (rc)
                return rc;
        }
        if (st->own) {
            int rc = wc_nn_kernel_run(g->model, &g->model->operators[st->first], r->buffers, err);
            if (rc)
                return rc;
            continue;
        }
        enum xnn_status status = xnn_invoke_runtime(r->runtimes[s]);
        if (status != xnn_status_success)
            return wc_error_set(err, WC_EIO, "nn: XNNPACK failed running the model (status %d)",
                                (int)status);
    }
    return 0;
}

static int compute(void *impl, const wc_nn_limits *limits, wc_error *err)
{
    xnn_context *c = impl;
    xnn_graph *g = c->graph;
    const wc_tflite_model *m = g->model;
    runner *r;
    int rc = runner_borrow(g, limits, &r, err);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < m->ninputs; i++)
        memcpy(r->buffers[m->inputs[i]], c->inputs[i], tensor_bytes(&m->tensors[m->inputs[i]]));
    rc = run_steps(g, r, limits, err);
    for (uint32_t i = 0; rc == 0 && i < m->noutputs; i++)
        memcpy(c->outputs[i], r->buffers[m->outputs[i]],
               tensor_bytes(&m->tensors[m->outputs[i]]));
    runner_return(g, r);
    return rc;
}

const wc_nn_backend wc_nn_xnnpack_backend = {
    .name = "xnnpack",
    .load = load,
    .graph_free = graph_free,
    .context_new = context_new,
    .context_free = context_free,
    .compute = compute,
    .set_max_runtimes = set_max_runtimes,
    .stats = stats,
};
