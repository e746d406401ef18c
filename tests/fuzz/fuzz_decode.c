/* fuzz_decode.c -- libFuzzer target for the decoder and the emitter.
 *
 * Properties checked on every input:
 * - the decoder never crashes, leaks or reads out of bounds, and a failure
 *   always has a message with a byte offset;
 * - every module that validates is emitted as C, both units (libtcc's, which
 *   the fast tier runs, and gcc's), and libtcc compiles each (the fast
 *   tier's compiler, the stricter one about what it accepts) unless the
 *   fast tier refuses the module (wc_emit_tcc_fits: calls wider than libtcc
 *   takes): the emitter never turns a valid module into a unit that does
 *   not build.
 *
 * Built and run by `make fuzz` (clang, -fsanitize=fuzzer,address,undefined).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/code.h"
#include "engine/decode.h"
#include "engine/emit.h"

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
    bool fits = wc_emit_tcc_fits(info, &err) == 0;
    for (int for_tcc = 0; for_tcc < 2; for_tcc++) {
        wc_buf source;
        wc_buf_init(&source);
        if ((for_tcc ? wc_emit_for_tcc : wc_emit)(info, true, &source, &err) != 0 ||
            !wc_buf_cstr(&source)) {
            fprintf(stderr, "emitting failed: %s\n", err.msg);
            abort();
        }
        wc_code *code = NULL;
        if (fits && wc_code_compile_fast((const char *)source.data, source.len, &code, &err) != 0) {
            fprintf(stderr, "the emitted C (%s's unit) does not compile: %s\n",
                    for_tcc ? "libtcc" : "gcc", err.msg);
            abort();
        }
        wc_code_free(code);
        wc_buf_free(&source);
    }
    wc_module_info_free(info);
    return 0;
}
