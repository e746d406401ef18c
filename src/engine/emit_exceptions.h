/* emit_exceptions.h -- exception handling in the emitted C (the legacy
 * proposal: try, catch, catch_all, delegate, throw, rethrow), private to
 * the emitter.  emit_func.c keeps the operand stack and the control
 * frames; this keeps the function's open tries and writes their code
 * (emit_exceptions.c explains the scheme). */
#ifndef WC_ENGINE_EMIT_EXCEPTIONS_H
#define WC_ENGINE_EMIT_EXCEPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/emit_internal.h"
#include "util/buf.h"

/* The tag of catch_all, for wc_eh_catch. */
#define WC_EH_CATCH_ALL UINT32_MAX

typedef struct wc_eh_try {
    uint32_t frame;   /* its index among the function's control frames */
    uint32_t label;   /* its dispatch is C<label> */
    uint32_t handler; /* wc_h<handler>: tries open together need one each */
    bool in_catch;    /* past its body: the handler is off the chain */
    bool inert;       /* its body can raise nothing: no handler is installed */
    bool has_catch_all;
    uint32_t catch_all; /* catch_all's clause label */
    wc_buf dispatch;  /* "if (wc_tag == <tag>) goto K<clause>;" per catch */
} wc_eh_try;

typedef struct wc_emit_eh {
    wc_eh_try *open; /* innermost last */
    uint32_t nopen, open_cap;
    uint32_t nhandlers; /* tries open together at most */
    bool used;          /* a try was emitted */
    bool builtin_jmp;   /* gcc's unit: __builtin_setjmp, locals need not be volatile */
    bool failed;
} wc_emit_eh;

/* A try's body begins (frame `frame`, label `label`): its handler is
 * installed and set, unless `inert`: a body without a call, throw,
 * rethrow or delegate can raise no exception (a trap is none), so it runs
 * as a plain block and its catch clauses are unreachable. */
void wc_eh_begin(wc_emit_eh *eh, uint32_t frame, uint32_t label, bool inert, wc_buf *out);
/* The code a way out of every frame from index `first` up runs: the
 * handlers of the try bodies it leaves come off the chain and, when
 * `catches`, the exceptions of the catch bodies it leaves are dropped. */
void wc_eh_leave(const wc_emit_eh *eh, uint32_t first, bool catches, wc_buf *out);
/* A catch clause of the innermost try (tag, or WC_EH_CATCH_ALL), as label
 * K<clause>: the exception's payload goes to the slots from height `base`
 * (the caller pushes them). */
void wc_eh_catch(wc_emit_eh *eh, const wc_emit_module *m, uint32_t tag, uint32_t clause,
                 uint32_t base, wc_buf *out);
/* The innermost try ends: where its handler lands, the dispatch to its
 * clauses, or the exception goes on outward. */
void wc_eh_end(wc_emit_eh *eh, wc_buf *out);
/* The innermost try ends with delegate: its exception goes to the
 * handlers outside frame `first` (the frames from `first` up are left). */
void wc_eh_delegate(wc_emit_eh *eh, uint32_t first, wc_buf *out);
/* rethrow of the exception that the catch of the try at frame `frame` holds. */
void wc_eh_rethrow(const wc_emit_eh *eh, uint32_t frame, wc_buf *out);
/* throw of tag with its payload's values (C expressions). */
void wc_eh_throw(const wc_emit_module *m, uint32_t tag, char **values, wc_buf *out);
/* The function's handlers, declared at its top. */
void wc_eh_declare(const wc_emit_eh *eh, wc_buf *out);
void wc_eh_free(wc_emit_eh *eh);

/* Tags in the unit: wc_inst's fields, their setting in wc_instantiate, and
 * a pointer expression to tag k. */
void wc_emit_tag_fields(const wc_emit_module *m, wc_buf *out);
void wc_emit_tag_init(const wc_emit_module *m, wc_buf *out);
void wc_emit_tag(const wc_emit_module *m, uint32_t tag, wc_buf *out);
/* What a unit with exception handling declares before its functions. */
void wc_emit_exceptions_prelude(const wc_emit_module *m, wc_buf *out);

#endif
