/* fuzz_decode.c -- libFuzzer target for the decoder and the instrumentation.
 *
 * Properties checked on every input:
 * - the decoder never crashes, leaks or reads out of bounds, and a failure
 *   always has a message with a byte offset;
 * - a module that validates still validates after instrumentation, with one
 *   more global and the same number of functions: the rewrite never turns a
 *   valid module into one wasm2c would choke on.
 *
 * Built and run by `make fuzz` (clang, -fsanitize=fuzzer,address,undefined).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/decode.h"
#include "engine/instrument.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wc_module_info *info;
    wc_error err = {0};
    if (wc_decode(data, size, NULL, &info, &err) != 0) {
        if (!strstr(err.msg, "byte 0x")) {
            fprintf(stderr, "error without an offset: %s\n", err.msg);
            abort();
        }
        return 0;
    }
    wc_buf out;
    wc_buf_init(&out);
    uint32_t flag;
    if (wc_instrument(info, &out, &flag, &err) != 0) {
        fprintf(stderr, "instrumentation failed: %s\n", err.msg);
        abort();
    }
    wc_module_info *again;
    if (wc_decode(out.data, out.len, NULL, &again, &err) != 0) {
        fprintf(stderr, "instrumented module does not validate: %s\n", err.msg);
        abort();
    }
    if (again->nglobals != info->nglobals + 1 || again->nfuncs != info->nfuncs ||
        again->nimports != info->nimports || flag != info->nimported_globals + info->nglobals) {
        fprintf(stderr, "instrumented module has the wrong shape\n");
        abort();
    }
    wc_module_info_free(again);
    wc_buf_free(&out);
    wc_module_info_free(info);
    return 0;
}
