/* emit_exceptions.c -- exception handling as C (runtime/wasm-rt.h has the
 * runtime's side: the handler chain and the caught exceptions).
 *
 * A try installs its handler, wc_h<n>, a local of the function (one per
 * try open at once: sequential tries share), and sets its jump buffer.
 * gcc's unit installs it inline (WC_RT_TRY_ENTER: no call, the thread's
 * chain through its thread-local) and sets it with __builtin_setjmp (a
 * frame pointer, a stack pointer and a label, where glibc's _setjmp saves
 * every callee-saved register and mangles pointers; gcc saves those
 * registers once, at the function's entry, and knows every call may come
 * back at the label, so the locals stay ordinary).  libtcc's unit calls
 * wc_rt_try_enter and _setjmp (tcc has neither thread-locals nor the
 * builtin); its locals of a function with a try are volatile, since
 * setjmp keeps no register (the operand stack's slots need not be: those
 * a handler's code reads lie below the try and no code in the body writes
 * them).
 *
 * A throw anywhere below longjmps back, and the try's dispatch (C<label>)
 * compares the exception's tag, by address, with each catch's and jumps to
 * that clause (K<n>), which reads the payload into its slots; no match
 * goes on outward (a rethrow to the next handler).  The handler comes off
 * the chain on every way out of the body: its end, a branch, return, tail
 * call or delegate that leaves it (a throw's unwind takes it off by
 * itself).  A catch body holds its exception at index wc_h<n>.caught
 * (rethrow reads it there) until it ends or is left the same ways.  Traps
 * are not exceptions: they leave through wc_rt_run, never through a
 * handler.
 *
 * A tag is a wc_rt_tag in the instance (its payload's length and type id);
 * an imported one is the exporter's, by pointer, so tags compare by
 * address across instances.
 */
#include "engine/emit_exceptions.h"

#include <inttypes.h>
#include <stdlib.h>

static const wc_functype *tag_type(const wc_emit_module *m, uint32_t tag)
{
    return &m->info->types[m->info->tag_types[tag]];
}

void wc_emit_tag(const wc_emit_module *m, uint32_t tag, wc_buf *out)
{
    if (tag < m->info->nimported_tags)
        wc_buf_printf(out, "instance->x%" PRIu32, tag);
    else
        wc_buf_printf(out, "(&instance->x%" PRIu32 ")", tag);
}

void wc_emit_tag_fields(const wc_emit_module *m, wc_buf *out)
{
    const wc_module_info *info = m->info;
    for (uint32_t k = 0; k < info->nimported_tags + info->ntags; k++)
        wc_buf_printf(out, "  %swc_rt_tag %sx%" PRIu32 ";\n", k < info->nimported_tags ? "const " : "",
                      k < info->nimported_tags ? "*" : "", k);
}

void wc_emit_tag_init(const wc_emit_module *m, wc_buf *out)
{
    const wc_module_info *info = m->info;
    for (uint32_t i = 0; i < info->nimports; i++)
        if (info->imports[i].kind == WC_EXTERN_TAG)
            wc_buf_printf(out, "  instance->x%" PRIu32 " = wc_rt_import_ptr(ctx, %" PRIu32 ");\n",
                          m->import_of[i], i);
    for (uint32_t k = info->nimported_tags; k < info->nimported_tags + info->ntags; k++)
        wc_buf_printf(out, "  instance->x%" PRIu32 ".nvalues = %" PRIu32 "u;\n"
                           "  instance->x%" PRIu32 ".func_type = wc_types[%" PRIu32 "];\n",
                      k, tag_type(m, k)->nparams, k, info->tag_types[k]);
}

void wc_emit_exceptions_prelude(const wc_emit_module *m, wc_buf *out)
{
    if (m->info->exceptions) /* glibc's, declared here: the unit has no libc header */
        wc_buf_str(out, "int _setjmp(void *) __attribute__((returns_twice));\n");
}

void wc_eh_begin(wc_emit_eh *eh, uint32_t frame, uint32_t label, bool inert, wc_buf *out)
{
    if (eh->nopen == eh->open_cap) {
        uint32_t cap = eh->open_cap ? eh->open_cap * 2 : 8;
        wc_eh_try *open = realloc(eh->open, cap * sizeof *open);
        if (!open) {
            eh->failed = true;
            return;
        }
        eh->open = open;
        eh->open_cap = cap;
    }
    wc_eh_try *t = &eh->open[eh->nopen++];
    *t = (wc_eh_try){.frame = frame, .label = label, .handler = eh->nopen - 1, .inert = inert};
    wc_buf_init(&t->dispatch);
    if (eh->nhandlers < eh->nopen) /* an inert try's dead catches name theirs */
        eh->nhandlers = eh->nopen;
    if (inert)
        return;
    eh->used = true;
    if (eh->builtin_jmp)
        wc_buf_printf(out,
                      "  WC_RT_TRY_ENTER(wc_h%" PRIu32 ", &WC_RT_HDR(instance)->depth);\n"
                      "  if (WC_RT_SETJMP(wc_h%" PRIu32 ".env)) goto C%" PRIu32 ";\n",
                      t->handler, t->handler, label);
    else
        wc_buf_printf(out,
                      "  wc_rt_try_enter(&wc_h%" PRIu32 ", &WC_RT_HDR(instance)->depth);\n"
                      "  if (_setjmp(wc_h%" PRIu32 ".env)) goto C%" PRIu32 ";\n",
                      t->handler, t->handler, label);
}

void wc_eh_leave(const wc_emit_eh *eh, uint32_t first, bool catches, wc_buf *out)
{
    /* the outermost of each kind: the chain and the exceptions are stacks */
    const wc_eh_try *body = NULL, *caught = NULL;
    for (uint32_t i = eh->nopen; i-- > 0 && eh->open[i].frame >= first;) {
        if (eh->open[i].in_catch)
            caught = &eh->open[i];
        else if (!eh->open[i].inert)
            body = &eh->open[i];
    }
    if (body)
        wc_buf_printf(out, eh->builtin_jmp ? "  WC_RT_TRY_LEAVE(wc_h%" PRIu32 ");\n"
                                           : "  wc_rt_try_leave(&wc_h%" PRIu32 ");\n",
                      body->handler);
    if (caught && catches)
        wc_buf_printf(out, "  wc_rt_catch_leave(wc_h%" PRIu32 ".caught);\n", caught->handler);
}

void wc_eh_catch(wc_emit_eh *eh, const wc_emit_module *m, uint32_t tag, uint32_t clause,
                 uint32_t base, wc_buf *out)
{
    if (!eh->nopen) {
        eh->failed = true;
        return;
    }
    wc_eh_try *t = &eh->open[eh->nopen - 1];
    t->in_catch = true;
    wc_buf_printf(out, "  K%" PRIu32 ":;\n", clause);
    if (tag == WC_EH_CATCH_ALL) {
        t->has_catch_all = true;
        t->catch_all = clause;
        return;
    }
    wc_buf_str(&t->dispatch, "  if (wc_tag == ");
    wc_emit_tag(m, tag, &t->dispatch);
    wc_buf_printf(&t->dispatch, ") goto K%" PRIu32 ";\n", clause);
    const wc_functype *ft = tag_type(m, tag);
    if (!ft->nparams)
        return;
    wc_buf_printf(out, "  { const wc_rt_value *wc_v = wc_rt_caught_values(wc_h%" PRIu32 ".caught);\n",
                  t->handler);
    for (uint32_t i = 0; i < ft->nparams; i++)
        wc_buf_printf(out, "  %c%" PRIu32 " = wc_v[%" PRIu32 "].%s;\n", wc_emit_letter(ft->params[i]),
                      base + i, i, wc_emit_field(ft->params[i]));
    wc_buf_str(out, "  }\n");
}

static void pop_try(wc_emit_eh *eh)
{
    wc_buf_free(&eh->open[eh->nopen - 1].dispatch);
    eh->nopen--;
}

void wc_eh_end(wc_emit_eh *eh, wc_buf *out)
{
    if (!eh->nopen) {
        eh->failed = true;
        return;
    }
    wc_eh_try *t = &eh->open[eh->nopen - 1];
    wc_buf_printf(out, "  C%" PRIu32 ":;\n", t->label);
    if (t->dispatch.len) {
        wc_buf_printf(out, "  { const wc_rt_tag *wc_tag = wc_rt_caught_tag(wc_h%" PRIu32 ".caught);\n",
                      t->handler);
        wc_buf_append(out, t->dispatch.data, t->dispatch.len);
        wc_buf_str(out, "  }\n");
    }
    if (t->has_catch_all)
        wc_buf_printf(out, "  goto K%" PRIu32 ";\n", t->catch_all);
    else
        wc_buf_printf(out, "  wc_rt_rethrow(wc_h%" PRIu32 ".caught);\n", t->handler);
    eh->failed |= t->dispatch.failed;
    pop_try(eh);
}

void wc_eh_delegate(wc_emit_eh *eh, uint32_t first, wc_buf *out)
{
    if (!eh->nopen) {
        eh->failed = true;
        return;
    }
    uint32_t label = eh->open[eh->nopen - 1].label, handler = eh->open[eh->nopen - 1].handler;
    pop_try(eh);
    wc_buf_printf(out, "  C%" PRIu32 ":;\n", label);
    /* the exception stays where it is: only handlers in between come off */
    wc_eh_leave(eh, first, false, out);
    wc_buf_printf(out, "  wc_rt_rethrow(wc_h%" PRIu32 ".caught);\n", handler);
}

void wc_eh_rethrow(const wc_emit_eh *eh, uint32_t frame, wc_buf *out)
{
    for (uint32_t i = eh->nopen; i-- > 0;)
        if (eh->open[i].frame == frame) {
            wc_buf_printf(out, "  wc_rt_rethrow(wc_h%" PRIu32 ".caught);\n", eh->open[i].handler);
            return;
        }
    wc_buf_str(out, "  TRAP(UNREACHABLE);\n"); /* not in a validated module */
}

void wc_eh_throw(const wc_emit_module *m, uint32_t tag, char **values, wc_buf *out)
{
    const wc_functype *ft = tag_type(m, tag);
    wc_buf_printf(out, "  { wc_rt_value wc_p[%" PRIu32 "];\n", ft->nparams ? ft->nparams : 1);
    for (uint32_t i = 0; i < ft->nparams; i++)
        wc_buf_printf(out, "  wc_p[%" PRIu32 "].%s = %s;\n", i, wc_emit_field(ft->params[i]),
                      values[i] ? values[i] : "0");
    wc_buf_str(out, "  wc_rt_throw(");
    wc_emit_tag(m, tag, out);
    wc_buf_str(out, ", wc_p); }\n");
}

void wc_eh_declare(const wc_emit_eh *eh, wc_buf *out)
{
    for (uint32_t i = 0; i < eh->nhandlers; i++)
        wc_buf_printf(out, "  wc_rt_handler wc_h%" PRIu32 ";\n", i);
}

void wc_eh_free(wc_emit_eh *eh)
{
    while (eh->nopen)
        pop_try(eh);
    free(eh->open);
    *eh = (wc_emit_eh){0};
}
