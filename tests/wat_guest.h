/* wat_guest.h -- a guest written in the text format for the host-function
 * tests (tests/host_guests/NAME.wat): compiled with wat2wasm at test time
 * and driven export by export with i32 arguments. */
#ifndef WC_TESTS_WAT_GUEST_H
#define WC_TESTS_WAT_GUEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/engine.h"
#include "util/fs.h"
#include "util/process.h"

#include "check.h"

/* tests/DIR/NAME.wat as a module of engine, compiled with wat2wasm and
 * `flag` (a proposal's --enable-..., or NULL); tmp_dir holds the .wasm for
 * a moment.  False, having said why, when it cannot. */
static inline bool wat_guest_compile_in(wc_engine *engine, const char *dir, const char *name,
                                        char *flag, const char *tmp_dir, wc_module **out)
{
    char in[600], wasm[700], msg[4096];
    snprintf(in, sizeof in, "%s/tests/%s/%s.wat", WC_SOURCE_DIR, dir, name);
    snprintf(wasm, sizeof wasm, "%s/%s.wasm", tmp_dir, name);
    char *argv[] = {"wat2wasm", in, "-o", wasm, flag, NULL};
    int rc = wc_run_process(argv, msg, sizeof msg, NULL);
    if (rc != 0) {
        printf("FAIL: wat2wasm: %d %s\n", rc, msg);
        return false;
    }
    uint8_t *bytes;
    size_t size;
    if (wc_read_file(wasm, 0, &bytes, &size) != 0) {
        printf("FAIL: cannot read %s\n", wasm);
        return false;
    }
    remove(wasm);
    wc_error err = {0};
    rc = wc_module_new(engine, bytes, size, out, &err);
    free(bytes);
    if (rc != 0) {
        printf("FAIL: guest module: %s\n", err.msg);
        return false;
    }
    return true;
}

/* tests/host_guests/NAME.wat as a module of engine. */
static inline bool wat_guest_compile(wc_engine *engine, const char *name, const char *tmp_dir,
                                     wc_module **out)
{
    return wat_guest_compile_in(engine, "host_guests", name, NULL, tmp_dir, out);
}

/* Calls export name with nargs i32 arguments (at most 6); returns its i32
 * result (0 for none).  A trap goes to *trap, or without trap counts as a
 * failure. */
static inline int32_t wat_guest_call(wc_instance *inst, const char *name, wc_trap *trap, int nargs, ...)
{
    wc_value args[6] = {0}, results[1] = {0};
    va_list ap;
    va_start(ap, nargs);
    for (int i = 0; i < nargs && i < 6; i++)
        args[i].i32 = va_arg(ap, uint32_t);
    va_end(ap);
    wc_error err = {0};
    wc_trap t = wc_instance_call(inst, name, args, results, &err);
    if (trap)
        *trap = t;
    else if (t != WC_TRAP_NONE) {
        failures++;
        printf("FAIL: %s trapped: %s %s\n", name, wc_instance_trap_message(inst), err.msg);
    }
    return (int32_t)results[0].i32;
}

#endif
