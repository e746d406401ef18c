/* nn_sdk.c -- WASI-NN through sdk/c/wasi_nn.h, and the hostile calls a
 * guest can make.  Each export returns the wasi_nn_errno the host answered
 * (or a negative test failure); test_wasi_nn.c checks them. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "../../sdk/c/wasi_nn.h"

#define EXPORT(name) __attribute__((export_name(name)))

static const uint32_t dims11[2] = {1, 1};

static int32_t open_sine(wasi_nn_graph *g)
{
    return wasi_nn_load_by_name("sine", 4, g);
}

static int32_t context(wasi_nn_graph_execution_context *ctx)
{
    wasi_nn_graph g;
    int32_t rc = open_sine(&g);
    return rc ? rc : wasi_nn_init_execution_context(g, ctx);
}

/* sin(x) through the SDK: 0 when within 0.1, -1 when not. */
EXPORT("sine") int32_t sine(void)
{
    wasi_nn_graph_execution_context ctx;
    int32_t rc = context(&ctx);
    if (rc)
        return rc;
    for (int i = 0; i <= 6; i++) {
        float x = (float)i, y = 0;
        uint32_t written = 0;
        wasi_nn_tensor in = {dims11, 2, WASI_NN_TYPE_F32, (const uint8_t *)&x, sizeof x};
        if ((rc = wasi_nn_set_input(ctx, 0, &in)) || (rc = wasi_nn_compute(ctx)) ||
            (rc = wasi_nn_get_output(ctx, 0, (uint8_t *)&y, sizeof y, &written)))
            return rc;
        if (written != 4 || fabsf(y - sinf(x)) > 0.1f)
            return -1;
    }
    return 0;
}

EXPORT("open_named") int32_t open_named(const char *name, uint32_t len)
{
    wasi_nn_graph g;
    return wasi_nn_load_by_name(name, len, &g);
}

/* A name buffer in guest memory for the test to fill. */
static char name_buf[64];
EXPORT("name_buf") char *get_name_buf(void) { return name_buf; }

EXPORT("with_config") int32_t with_config(void)
{
    wasi_nn_graph g;
    return wasi_nn_load_by_name_with_config("sine", 4, "{}", 2, &g);
}

EXPORT("bad_name_pointer") int32_t bad_name_pointer(void)
{
    wasi_nn_graph g;
    return wasi_nn_load_by_name((const char *)0xfffffff0u, 64, &g);
}

EXPORT("bad_graph_out") int32_t bad_graph_out(void)
{
    return wasi_nn_load_by_name("sine", 4, (wasi_nn_graph *)0xfffffffeu);
}

EXPORT("unknown_graph") int32_t unknown_graph(void)
{
    wasi_nn_graph_execution_context ctx;
    return wasi_nn_init_execution_context(12345, &ctx);
}

EXPORT("unknown_context") int32_t unknown_context(void)
{
    return wasi_nn_compute(77);
}

/* Opens contexts until the host says no; returns that error, and puts how
 * many it got in *opened. */
static uint32_t opened;
EXPORT("contexts_opened") uint32_t contexts_opened(void) { return opened; }
EXPORT("too_many_contexts") int32_t too_many_contexts(void)
{
    wasi_nn_graph g;
    int32_t rc = open_sine(&g);
    wasi_nn_graph_execution_context ctx;
    for (opened = 0; !rc && opened < 100; opened++)
        if ((rc = wasi_nn_init_execution_context(g, &ctx)) != 0)
            break;
    return rc;
}

static int32_t set_input_with(const uint32_t *dims, uint32_t rank, uint8_t type,
                              const void *data, uint32_t size)
{
    wasi_nn_graph_execution_context ctx;
    int32_t rc = context(&ctx);
    if (rc)
        return -100 - rc;
    wasi_nn_tensor in = {dims, rank, type, (const uint8_t *)data, size};
    return wasi_nn_set_input(ctx, 0, &in);
}

EXPORT("wrong_dims") int32_t wrong_dims(void)
{
    static const uint32_t dims[2] = {1, 2};
    static const float x[2];
    return set_input_with(dims, 2, WASI_NN_TYPE_F32, x, sizeof x);
}

EXPORT("wrong_type") int32_t wrong_type(void)
{
    static const int32_t x;
    return set_input_with(dims11, 2, WASI_NN_TYPE_I32, &x, sizeof x);
}

EXPORT("wrong_size") int32_t wrong_size(void)
{
    static const double x;
    return set_input_with(dims11, 2, WASI_NN_TYPE_F32, &x, sizeof x);
}

EXPORT("unknown_type") int32_t unknown_type(void)
{
    static const float x;
    return set_input_with(dims11, 2, 9, &x, sizeof x);
}

EXPORT("data_past_memory") int32_t data_past_memory(void)
{
    return set_input_with(dims11, 2, WASI_NN_TYPE_F32, (const void *)0xfffffffcu, 8);
}

EXPORT("dims_past_memory") int32_t dims_past_memory(void)
{
    static const float x;
    return set_input_with((const uint32_t *)0xfffffffcu, 2, WASI_NN_TYPE_F32, &x, sizeof x);
}

EXPORT("huge_rank") int32_t huge_rank(void)
{
    static const float x;
    return set_input_with(dims11, 0x40000001u, WASI_NN_TYPE_F32, &x, sizeof x);
}

EXPORT("tensor_past_memory") int32_t tensor_past_memory(void)
{
    wasi_nn_graph_execution_context ctx;
    int32_t rc = context(&ctx);
    return rc ? -100 - rc : wasi_nn_set_input(ctx, 0, (const wasi_nn_tensor *)0xfffffff8u);
}

/* The output into a buffer of cap bytes, of which the next 4 are a guard:
 * returns the error, or -1 when the guard was written. */
EXPORT("small_output") int32_t small_output(uint32_t cap)
{
    wasi_nn_graph_execution_context ctx;
    int32_t rc = context(&ctx);
    if (rc)
        return -100 - rc;
    float x = 1.0f;
    wasi_nn_tensor in = {dims11, 2, WASI_NN_TYPE_F32, (const uint8_t *)&x, sizeof x};
    if ((rc = wasi_nn_set_input(ctx, 0, &in)) || (rc = wasi_nn_compute(ctx)))
        return -100 - rc;
    static uint8_t buf[8];
    memset(buf, 0xAB, sizeof buf);
    uint32_t written = 0xdeadbeef;
    rc = wasi_nn_get_output(ctx, 0, buf, cap, &written);
    for (uint32_t i = cap; i < sizeof buf; i++)
        if (buf[i] != 0xAB)
            return -1;
    if (rc && written != 0xdeadbeef)
        return -2;
    return rc;
}

EXPORT("compute_before_input") int32_t compute_before_input(void)
{
    wasi_nn_graph_execution_context ctx;
    int32_t rc = context(&ctx);
    return rc ? -100 - rc : wasi_nn_compute(ctx);
}

/* load of raw bytes: a model of `size` bytes at `data`, which the test
 * fills through raw_buf. */
static uint8_t raw[8192];
EXPORT("raw_buf") uint8_t *raw_buf(void) { return raw; }
static wasi_nn_graph raw_graph;
EXPORT("raw_load") int32_t raw_load(uint32_t size, uint32_t encoding)
{
    wasi_nn_graph_builder b = {raw, size};
    return wasi_nn_load(&b, 1, encoding, WASI_NN_TARGET_CPU, &raw_graph);
}

/* Runs the graph raw_load made on x = 1: 0 when y is near sin(1). */
EXPORT("raw_run") int32_t raw_run(void)
{
    wasi_nn_graph_execution_context ctx;
    int32_t rc = wasi_nn_init_execution_context(raw_graph, &ctx);
    float x = 1.0f, y = 0;
    uint32_t written;
    wasi_nn_tensor in = {dims11, 2, WASI_NN_TYPE_F32, (const uint8_t *)&x, sizeof x};
    if (rc || (rc = wasi_nn_set_input(ctx, 0, &in)) || (rc = wasi_nn_compute(ctx)) ||
        (rc = wasi_nn_get_output(ctx, 0, (uint8_t *)&y, sizeof y, &written)))
        return rc;
    return fabsf(y - sinf(1.0f)) <= 0.1f ? 0 : -1;
}

EXPORT("raw_bad_array") int32_t raw_bad_array(void)
{
    wasi_nn_graph g;
    return wasi_nn_load((const wasi_nn_graph_builder *)0xfffffffcu, 1,
                        WASI_NN_ENCODING_TENSORFLOWLITE, WASI_NN_TARGET_CPU, &g);
}

EXPORT("raw_two_builders") int32_t raw_two_builders(void)
{
    wasi_nn_graph_builder b[2] = {{raw, 16}, {raw, 16}};
    wasi_nn_graph g;
    return wasi_nn_load(b, 2, WASI_NN_ENCODING_TENSORFLOWLITE, WASI_NN_TARGET_CPU, &g);
}

EXPORT("output_past_memory") int32_t output_past_memory(void)
{
    wasi_nn_graph_execution_context ctx;
    int32_t rc = context(&ctx);
    uint32_t written;
    return rc ? -100 - rc : wasi_nn_get_output(ctx, 0, (uint8_t *)0xfffffff0u, 64, &written);
}

EXPORT("bad_input_index") int32_t bad_input_index(void)
{
    wasi_nn_graph_execution_context ctx;
    int32_t rc = context(&ctx);
    float x = 1.0f;
    wasi_nn_tensor in = {dims11, 2, WASI_NN_TYPE_F32, (const uint8_t *)&x, sizeof x};
    return rc ? -100 - rc : wasi_nn_set_input(ctx, 5, &in);
}

/* The model "slow" (tests/nn_slow_model.h: x and y f32 [1,128,128,1]):
 * slow_setup opens it and sets the input of a context, slow_compute
 * computes it `times` times; each the first error, or 0. */
static float slow_x[128 * 128];
static wasi_nn_graph_execution_context slow_ctx;
EXPORT("slow_setup") int32_t slow_setup(void)
{
    static const uint32_t dims[4] = {1, 128, 128, 1};
    wasi_nn_graph g;
    int32_t rc = wasi_nn_load_by_name("slow", 4, &g);
    if (rc || (rc = wasi_nn_init_execution_context(g, &slow_ctx)))
        return rc;
    wasi_nn_tensor in = {dims, 4, WASI_NN_TYPE_F32, (const uint8_t *)slow_x, sizeof slow_x};
    return wasi_nn_set_input(slow_ctx, 0, &in);
}

EXPORT("slow_compute") int32_t slow_compute(uint32_t times)
{
    int32_t rc = 0;
    for (uint32_t i = 0; i < times && rc == 0; i++)
        rc = wasi_nn_compute(slow_ctx);
    return rc;
}
