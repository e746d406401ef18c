/* nn_tool.c -- test guest: WASI-NN inside a plugin's tool call, as the
 * plugin's permissions grant it (tests/test_wasi_nn.c). */
#include "guest.h"

#include "../../sdk/c/wasi_nn.h"

MANIFEST("nn_tool.manifest.json");

static char out[128];

/* {"structuredContent":{"rc":A,"KEY":B}} */
static int64_t answer(int32_t rc, const char *key, int32_t value)
{
    char *p = out;
    int32_t nums[2] = {rc, value};
    const char *keys[2] = {"rc", key};
    memcpy(p, "{\"structuredContent\":{", 22);
    p += 22;
    for (int i = 0; i < 2 && keys[i]; i++) {
        if (i)
            *p++ = ',';
        *p++ = '"';
        size_t k = strlen(keys[i]);
        memcpy(p, keys[i], k);
        p += k;
        *p++ = '"';
        *p++ = ':';
        int32_t v = nums[i];
        if (v < 0) {
            *p++ = '-';
            v = -v;
        }
        char digits[12];
        int n = 0;
        do
            digits[n++] = (char)('0' + v % 10);
        while ((v /= 10) != 0);
        while (n)
            *p++ = digits[--n];
    }
    *p++ = '}';
    *p++ = '}';
    return result(out, (size_t)(p - out));
}

static int32_t sine_milli(int32_t *milli)
{
    wasi_nn_graph g;
    wasi_nn_graph_execution_context ctx;
    static const uint32_t dims[2] = {1, 1};
    float x = 1.0f, y = 0;
    uint32_t written;
    wasi_nn_tensor in = {dims, 2, WASI_NN_TYPE_F32, (const uint8_t *)&x, sizeof x};
    int32_t rc;
    if ((rc = wasi_nn_load_by_name("sine", 4, &g)) || (rc = wasi_nn_init_execution_context(g, &ctx)) ||
        (rc = wasi_nn_set_input(ctx, 0, &in)) || (rc = wasi_nn_compute(ctx)) ||
        (rc = wasi_nn_get_output(ctx, 0, (uint8_t *)&y, sizeof y, &written)))
        return rc;
    *milli = (int32_t)(y * 1000.0f);
    return 0;
}

/* The model in args {"hex": "..."}: bytes decoded into model (at most
 * cap); returns their count, or -1. */
static int32_t hex_model(const char *args, int len, uint8_t *model, int32_t cap)
{
    const char *p = args, *end = args + len;
    while (p + 7 <= end && memcmp(p, "\"hex\":", 6) != 0)
        p++;
    if (p + 7 > end)
        return -1;
    for (p += 6; p < end && *p != '"'; p++)
        ;
    int32_t n = 0;
    for (p++; p + 1 < end && *p != '"' && n < cap; p += 2) {
        int hi = *p <= '9' ? *p - '0' : *p - 'a' + 10, lo = p[1] <= '9' ? p[1] - '0' : p[1] - 'a' + 10;
        model[n++] = (uint8_t)(hi << 4 | lo);
    }
    return n;
}

EXPORT("wasmcap_call_tool")
int64_t call_tool(const char *name, int name_len, const char *args, int args_len)
{
    if (name_is(name, name_len, "load_hex")) {
        static uint8_t model[65536];
        int32_t n = hex_model(args, args_len, model, sizeof model);
        if (n < 0)
            return answer(-1, NULL, 0);
        wasi_nn_graph_builder b = {model, (uint32_t)n};
        wasi_nn_graph g;
        return answer(wasi_nn_load(&b, 1, WASI_NN_ENCODING_TENSORFLOWLITE, WASI_NN_TARGET_CPU, &g),
                      NULL, 0);
    }
    if (name_is(name, name_len, "sine")) {
        int32_t milli = 0;
        int32_t rc = sine_milli(&milli);
        return answer(rc, "milli", milli);
    }
    if (name_is(name, name_len, "slow")) {
        static float x[128 * 128];
        static const uint32_t dims[4] = {1, 128, 128, 1};
        wasi_nn_graph g;
        wasi_nn_graph_execution_context ctx;
        wasi_nn_tensor in = {dims, 4, WASI_NN_TYPE_F32, (const uint8_t *)x, sizeof x};
        int32_t rc, runs = 0;
        if (!(rc = wasi_nn_load_by_name("slow", 4, &g)) &&
            !(rc = wasi_nn_init_execution_context(g, &ctx)) && !(rc = wasi_nn_set_input(ctx, 0, &in)))
            while (runs < 1000000 && !(rc = wasi_nn_compute(ctx)))
                runs++;
        return answer(rc, "runs", runs);
    }
    if (name_is(name, name_len, "contexts")) {
        wasi_nn_graph g;
        wasi_nn_graph_execution_context ctx;
        int32_t rc = wasi_nn_load_by_name("sine", 4, &g), opened = 0;
        while (!rc && opened < 100 && !(rc = wasi_nn_init_execution_context(g, &ctx)))
            opened++;
        return answer(rc, "opened", opened);
    }
    static const uint8_t junk[16] = "not a model.....";
    wasi_nn_graph_builder b = {junk, sizeof junk};
    wasi_nn_graph g;
    return answer(wasi_nn_load(&b, 1, WASI_NN_ENCODING_TENSORFLOWLITE, WASI_NN_TARGET_CPU, &g), NULL, 0);
}
