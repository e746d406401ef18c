/* cmd_nn_raw.c -- a WASI-NN program written against the standard
 * wasi_ephemeral_nn imports, declared here by hand as the witx gives them
 * (not through sdk/c/wasi_nn.h), so it checks the ABI itself.
 *
 * Opens the model named argv[1] (hello_world_float: y = sin(x)), runs it
 * for a few x, prints "x y" lines, and exits 0 when every y is within 0.1
 * of sin(x), 1 otherwise.  Also runs under wasmtime --wasi-nn-graph.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NN(name) __attribute__((import_module("wasi_ephemeral_nn"), import_name(name)))

NN("load_by_name") int32_t nn_load_by_name(int32_t name, int32_t name_len, int32_t graph_out);
NN("init_execution_context") int32_t nn_init_execution_context(int32_t graph, int32_t ctx_out);
NN("set_input") int32_t nn_set_input(int32_t ctx, int32_t index, int32_t tensor);
NN("compute") int32_t nn_compute(int32_t ctx);
NN("get_output") int32_t nn_get_output(int32_t ctx, int32_t index, int32_t out, int32_t out_max,
                                       int32_t written_out);

/* The witx tensor record, laid out by hand: 20 bytes. */
static uint8_t tensor[20];

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "sine";
    uint32_t graph = 0, ctx = 0;
    int32_t rc = nn_load_by_name((int32_t)(uintptr_t)name, (int32_t)strlen(name),
                                 (int32_t)(uintptr_t)&graph);
    if (rc) {
        printf("load_by_name: error %d\n", rc);
        return 1;
    }
    rc = nn_init_execution_context((int32_t)graph, (int32_t)(uintptr_t)&ctx);
    if (rc) {
        printf("init_execution_context: error %d\n", rc);
        return 1;
    }
    static const uint32_t dims[2] = {1, 1};
    static const float xs[] = {0.0f, 0.5f, 1.0f, 1.5f, 3.0f, 4.5f, 6.0f};
    int bad = 0;
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        float x = xs[i], y = -100.0f;
        uint32_t written = 0;
        put32(tensor + 0, (uint32_t)(uintptr_t)dims);
        put32(tensor + 4, 2);
        tensor[8] = 1; /* f32 */
        put32(tensor + 12, (uint32_t)(uintptr_t)&x);
        put32(tensor + 16, sizeof x);
        if ((rc = nn_set_input((int32_t)ctx, 0, (int32_t)(uintptr_t)tensor)) != 0 ||
            (rc = nn_compute((int32_t)ctx)) != 0 ||
            (rc = nn_get_output((int32_t)ctx, 0, (int32_t)(uintptr_t)&y, sizeof y,
                                (int32_t)(uintptr_t)&written)) != 0) {
            printf("inference of %g: error %d\n", x, rc);
            return 1;
        }
        printf("%.2f %.4f\n", x, y);
        if (written != sizeof y || fabsf(y - sinf(x)) > 0.1f)
            bad = 1;
    }
    return bad;
}
