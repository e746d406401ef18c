/* emit.h -- from a validated module to the C unit both tiers compile. */
#ifndef WC_ENGINE_EMIT_H
#define WC_ENGINE_EMIT_H

#include <stdbool.h>

#include "engine/decode.h"
#include "util/buf.h"

/* Part of the code-cache key: bump it whenever the emitter changes what it
 * generates, so cached objects built by an older emitter are never loaded. */
#define WC_EMIT_VERSION 23

/* libtcc 0.9.27 holds a call's callee and all its arguments on its value
 * stack of 256 entries at once ("memory full (vstack)" past it), and an
 * argument's own expression takes more while it is evaluated: the emitter
 * passes the arguments of a call of more than WC_EMIT_WIDE_CALL parameters
 * as slots, and the fast tier refuses a module with a function or a
 * call_indirect of more than WC_TCC_MAX_PARAMS parameters.  Measured
 * (test_call_arity): 252 i32, i64 or f64 arguments compile, 249 v128 ones
 * with one result, not 250. */
#define WC_EMIT_WIDE_CALL 64
#define WC_TCC_MAX_PARAMS 249

/* 0 when libtcc can compile the calls of info's unit (WC_TCC_MAX_PARAMS),
 * else WC_ENOTSUP with an error that names the function or the
 * call_indirect it cannot. */
int wc_emit_tcc_fits(const wc_module_info *info, wc_error *err);

/* Appends one complete translation unit for info (which must describe a
 * validated module): the runtime header, the module's code with its
 * interrupt checks, and the glue the engine drives it through.
 * track_writes: every write to linear memory marks its page (WC_DIRTY). */
int wc_emit(const wc_module_info *info, bool track_writes, wc_buf *source, wc_error *err);

/* The same unit for libtcc only: the prelude's hottest macros (loads,
 * stores, interrupt checks) written out, which libtcc compiles faster and
 * gcc must not get (its loads need LD's asm to keep their traps). */
int wc_emit_for_tcc(const wc_module_info *info, bool track_writes, wc_buf *source, wc_error *err);

#endif
