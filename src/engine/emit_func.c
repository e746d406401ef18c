/* emit_func.c -- one function body as C.
 *
 * The operand stack lives in C locals: the slot at height h holding type
 * letter c is `<c><h>`.  An entry may also be pending: a C expression not
 * yet assigned to its slot, so straight-line code becomes one expression
 * (libtcc spills every statement's result; fewer statements, fewer
 * spills).  Only expressions that cannot trap and read no memory stay
 * pending (locals, constants, globals, arithmetic), so dropping or
 * reordering them changes nothing observable; everything that may trap or
 * has an effect runs as a statement once every pending entry below it is
 * written out.  Writing an entry out first writes out those below it: a
 * pending expression reads only slots at or above its own height.
 *
 * Control flow is flat: labels and gotos.  At the entry of every block,
 * loop and if the whole stack is written out, so a branch target always
 * finds its values in their slots; a branch moves its values down into
 * the target's slots.  Code after br, br_table, return and unreachable is
 * skipped up to the end of its block.
 *
 * Interrupt checks (IRQ, see emit_prelude.c) run at every function entry
 * and on every branch back to a loop: a loop repeats only through such a
 * branch, so no code runs unboundedly unchecked.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/emit.h"
#include "engine/emit_exceptions.h"
#include "engine/emit_internal.h"
#include "engine/emit_ops.h"
#include "engine/emit_atomic.h"
#include "engine/emit_simd.h"
#include "engine/memarg.h"

/* Longer pending expressions are written out: they stay readable, and no
 * compiler meets a pathological nesting. */
#define MAX_PENDING 240

enum { FRAME_BLOCK, FRAME_LOOP, FRAME_IF, FRAME_FUNC, FRAME_TRY };

typedef struct entry {
    uint8_t type;
    char *expr; /* pending expression; NULL: the value is in its slot */
} entry;

typedef struct frame {
    uint8_t kind;
    bool has_else;
    uint8_t single; /* storage for a one-result block type */
    uint32_t label;
    uint32_t base; /* stack height below the block's parameters */
    uint32_t nparams, nresults;
    const uint8_t *params, *results;
} frame;

typedef struct fn_state {
    const wc_emit_module *m;
    const uint8_t *b;
    size_t pos, end;
    wc_buf *out;
    entry *stack;
    uint32_t height, stack_cap;
    frame *frames;
    uint32_t nframes, frames_cap;
    uint8_t *local_types;
    uint32_t nlocals;
    uint8_t *used; /* per height, a bit per slot letter written */
    uint32_t used_cap;
    uint32_t next_label;
    uint32_t type; /* the function's */
    bool dead;
    bool uses_memory;
    bool failed;
    bool tail; /* emitted as its tail entry: results go to the area (emit_tail.c) */
    /* The last "  <slot> = <expr>;\n" written (libtcc's unit): where it
     * starts, where its " = " is, where it ends, and its slot's height; a
     * local.set right after it assigns the local instead (fuse_local_set). */
    size_t stmt_at, stmt_eq, stmt_end;
    uint32_t stmt_height;
    uint32_t widest_call; /* the most arguments and results of one call */
    bool throws;          /* a throw's values are an array on the frame */
    wc_emit_eh eh; /* open tries (emit_exceptions.c) */
} fn_state;

static int letter_bit(char c)
{
    switch (c) {
    case 'i': return 1;
    case 'j': return 2;
    case 'F': return 4;
    case 'D': return 8;
    case 'r': return 16;
    case 'V': return 64;
    default: return 32;
    }
}

static char *dup_printf(fn_state *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *dup_printf(fn_state *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    if (vasprintf(&text, fmt, ap) < 0) {
        text = NULL;
        s->failed = true;
    }
    va_end(ap);
    return text;
}

/* A letter (none if 0), n in decimal and a suffix into to[32]: the names
 * of slots and locals and the i32 constants, the commonest text the emitter
 * writes (through printf, formatting was a tenth of a fast-tier compile). */
static size_t format_name(char *to, char letter, uint32_t n, const char *suffix)
{
    char digits[10];
    size_t k = 0, len = 0;
    do {
        digits[k++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    if (letter)
        to[len++] = letter;
    while (k)
        to[len++] = digits[--k];
    while (*suffix && len < 31)
        to[len++] = *suffix++;
    to[len] = 0;
    return len;
}

static void append_name(wc_buf *out, char letter, uint32_t n)
{
    char text[32];
    wc_buf_append(out, text, format_name(text, letter, n, ""));
}

static char *dup_name(fn_state *s, char letter, uint32_t n, const char *suffix)
{
    char text[32];
    size_t len = format_name(text, letter, n, suffix);
    char *copy = malloc(len + 1);
    if (!copy) {
        s->failed = true;
        return NULL;
    }
    memcpy(copy, text, len + 1);
    return copy;
}

static void slot_name(fn_state *s, uint32_t h, uint8_t type, wc_buf *out)
{
    (void)s;
    append_name(out, wc_emit_letter(type), h);
}

/* Whether expr is "(...)" with its first parenthesis closed by its last;
 * from is where that parenthesis is.  A statement expression, "({...})",
 * is not: it needs them. */
static bool wrapped_from(const char *expr, size_t from)
{
    size_t len = strlen(expr);
    if (len < from + 2 || expr[from] != '(' || expr[from + 1] == '{' || expr[len - 1] != ')')
        return false;
    int depth = 0;
    for (size_t i = from; i < len; i++) {
        depth += expr[i] == '(' ? 1 : expr[i] == ')' ? -1 : 0;
        if (depth == 0)
            return i == len - 1;
    }
    return false;
}

/* expr without its outer parentheses, in place, if it has them */
static void unwrap(char *expr)
{
    if (expr && wrapped_from(expr, 0)) {
        size_t len = strlen(expr);
        memmove(expr, expr + 1, len - 2);
        expr[len - 2] = 0;
    }
}

/* "  <target> = <value>;\n"; libtcc's unit drops the value's outer
 * parentheses (fewer tokens, a tenth of its cost is reading them). */
static void assign(fn_state *s, const char *value)
{
    wc_buf_str(s->out, " = ");
    if (s->m->for_tcc && wrapped_from(value, 0))
        wc_buf_append(s->out, value + 1, strlen(value) - 2);
    else
        wc_buf_str(s->out, value);
    wc_buf_str(s->out, ";\n");
}

/* A condition as libtcc's unit spells it: "(u32)(x == y)" as "x == y"
 * (a comparison's int is as true as its u32).  cond is owned, changed in
 * place. */
static char *as_condition(const fn_state *s, char *cond)
{
    if (cond && s->m->for_tcc && strncmp(cond, "(u32)(", 6) == 0 && wrapped_from(cond, 5)) {
        size_t len = strlen(cond);
        memmove(cond, cond + 6, len - 7);
        cond[len - 7] = 0;
    }
    return cond;
}

static void mark_used(fn_state *s, uint32_t h, uint8_t type)
{
    if (h >= s->used_cap) {
        uint32_t cap = s->used_cap ? s->used_cap * 2 : 64;
        while (cap <= h)
            cap *= 2;
        uint8_t *used = realloc(s->used, cap);
        if (!used) {
            s->failed = true;
            return;
        }
        memset(used + s->used_cap, 0, cap - s->used_cap);
        s->used = used;
        s->used_cap = cap;
    }
    s->used[h] |= (uint8_t)letter_bit(wc_emit_letter(type));
}

static void push(fn_state *s, uint8_t type, char *expr)
{
    if (s->height == s->stack_cap) {
        uint32_t cap = s->stack_cap ? s->stack_cap * 2 : 64;
        entry *stack = realloc(s->stack, cap * sizeof *stack);
        if (!stack) {
            free(expr);
            s->failed = true;
            return;
        }
        s->stack = stack;
        s->stack_cap = cap;
    }
    if (!expr)
        mark_used(s, s->height, type);
    s->stack[s->height++] = (entry){type, expr};
}

static bool is_simple(const char *expr);

/* libtcc copies a struct it assigns with a call of memmove: a v128 that is
 * a name goes half by half there, into <letter><n>.  False if not. */
static bool copy_halves(fn_state *s, uint8_t type, char letter, uint32_t n, const char *value)
{
    if (!s->m->for_tcc || type != WC_VT_V128 || !is_simple(value))
        return false;
    char name[32];
    format_name(name, letter, n, "");
    wc_buf_printf(s->out, "  %s.lo = %s.lo; %s.hi = %s.hi;\n", name, value, name, value);
    return true;
}

/* Writes out entry h, and every pending entry below it first. */
static void flush_upto(fn_state *s, uint32_t h)
{
    for (uint32_t i = 0; i <= h && i < s->height; i++) {
        entry *e = &s->stack[i];
        if (!e->expr)
            continue;
        mark_used(s, i, e->type);
        if (copy_halves(s, e->type, wc_emit_letter(e->type), i, e->expr)) {
            free(e->expr);
            e->expr = NULL;
            continue;
        }
        wc_buf_str(s->out, "  ");
        slot_name(s, i, e->type, s->out);
        assign(s, e->expr);
        free(e->expr);
        e->expr = NULL;
    }
}

static void flush_all(fn_state *s)
{
    if (s->height)
        flush_upto(s, s->height - 1);
}

static void flush_below(fn_state *s, uint32_t n)
{
    if (s->height > n)
        flush_upto(s, s->height - n - 1);
}

/* The entry at height h as an operand (its expression, or its slot);
 * the caller frees it.  The entry is left without an expression. */
static char *take(fn_state *s, uint32_t h)
{
    entry *e = &s->stack[h];
    if (e->expr) {
        char *expr = e->expr;
        e->expr = NULL;
        return expr;
    }
    return dup_name(s, wc_emit_letter(e->type), h, "");
}

static bool is_simple(const char *expr)
{
    for (const char *p = expr; *p; p++)
        if (!(*p == '_' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z')))
            return false;
    return true;
}

static void make_simple(fn_state *s, uint32_t h)
{
    if (s->stack[h].expr && !is_simple(s->stack[h].expr))
        flush_upto(s, h);
}

/* Pops n entries into operands[] (freed by the caller). */
static void pop_operands(fn_state *s, uint32_t n, char **operands)
{
    for (uint32_t i = 0; i < n; i++)
        operands[i] = take(s, s->height - n + i);
    s->height -= n;
}

static void free_operands(uint32_t n, char **operands)
{
    for (uint32_t i = 0; i < n; i++)
        free(operands[i]);
}

/* tmpl with $0 .. $3 replaced. */
static char *fill(fn_state *s, const char *tmpl, char **operands)
{
    wc_buf b;
    wc_buf_init(&b);
    const char *run = tmpl;
    for (const char *p = strchr(tmpl, '$'); p; p = strchr(p + 1, '$')) {
        if (p[1] < '0' || p[1] > '3')
            continue;
        wc_buf_append(&b, run, (size_t)(p - run));
        wc_buf_str(&b, operands[p[1] - '0'] ? operands[p[1] - '0'] : "");
        run = p + 2;
    }
    wc_buf_str(&b, run);
    char *text = wc_buf_cstr(&b);
    if (!text || b.failed) {
        wc_buf_free(&b);
        s->failed = true;
        return NULL;
    }
    return text;
}

/* Pushes a pure expression (taking it); a long one is written out. */
static void push_expr(fn_state *s, uint8_t type, char *expr)
{
    if (!expr)
        s->failed = true;
    push(s, type, expr);
    if (expr && strlen(expr) > MAX_PENDING && s->height)
        flush_upto(s, s->height - 1);
}

/* Pushes the result of an expression that may trap or reads memory: it
 * runs now, after everything below it. */
static void push_statement(fn_state *s, uint8_t type, char *expr)
{
    flush_all(s);
    if (!expr) {
        s->failed = true;
        expr = dup_printf(s, "0");
    }
    push(s, type, NULL);
    s->stmt_at = s->out->len;
    wc_buf_str(s->out, "  ");
    slot_name(s, s->height - 1, type, s->out);
    s->stmt_eq = s->out->len;
    assign(s, expr ? expr : "0");
    s->stmt_end = s->out->len;
    s->stmt_height = s->height - 1;
    free(expr);
}

/* Does expr read local x? */
static bool mentions_local(const char *expr, uint32_t x)
{
    for (const char *p = strchr(expr, 'l'); p; p = strchr(p + 1, 'l')) {
        if (p > expr && (p[-1] == '_' || (p[-1] >= '0' && p[-1] <= '9') ||
                         (p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z')))
            continue;
        char *after;
        unsigned long n = strtoul(p + 1, &after, 10);
        if (after != p + 1 && n == x && !(*after == '_' || (*after >= '0' && *after <= '9') ||
                                          (*after >= 'a' && *after <= 'z') ||
                                          (*after >= 'A' && *after <= 'Z')))
            return true;
    }
    return false;
}

/* ---- control ----------------------------------------------------------- */

static frame *push_frame(fn_state *s, uint8_t kind)
{
    if (s->nframes == s->frames_cap) {
        uint32_t cap = s->frames_cap ? s->frames_cap * 2 : 16;
        frame *frames = realloc(s->frames, cap * sizeof *frames);
        if (!frames) {
            s->failed = true;
            return NULL;
        }
        s->frames = frames;
        s->frames_cap = cap;
    }
    frame *f = &s->frames[s->nframes++];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->label = s->next_label++;
    return f;
}

static void read_blocktype(fn_state *s, frame *f)
{
    uint8_t byte = s->pos < s->end ? s->b[s->pos] : 0x40;
    if (byte == 0x40) {
        s->pos++;
    } else if (byte == WC_VT_I32 || byte == WC_VT_I64 || byte == WC_VT_F32 || byte == WC_VT_F64 ||
               byte == WC_VT_FUNCREF || byte == WC_VT_EXTERNREF || byte == WC_VT_V128) {
        s->pos++;
        f->single = byte; /* read through results_of: frames move as they grow */
        f->nresults = 1;
    } else {
        int64_t index = wc_emit_s64(s->b, &s->pos, s->end, 33);
        const wc_functype *ft = &s->m->info->types[index];
        f->params = ft->params;
        f->nparams = ft->nparams;
        f->results = ft->results;
        f->nresults = ft->nresults;
    }
}

static const uint8_t *results_of(const frame *f)
{
    return f->single ? &f->single : f->results;
}

/* The values a branch to f carries. */
static uint32_t branch_arity(const frame *f, const uint8_t **types)
{
    if (f->kind == FRAME_LOOP) {
        *types = f->params;
        return f->nparams;
    }
    *types = results_of(f);
    return f->nresults;
}

/* Returns the top n values of the stack from the function. */
static void emit_return(fn_state *s)
{
    const frame *f = &s->frames[0];
    uint32_t n = f->nresults;
    wc_eh_leave(&s->eh, 0, true, s->out);
    if (s->tail) {
        for (uint32_t i = 0; i < n; i++) {
            char *value = take(s, s->height - n + i);
            wc_buf_printf(s->out, "  wc_a[%" PRIu32 "].%s = %s;\n", i, wc_emit_field(f->results[i]),
                          value ? value : "0");
            free(value);
        }
        wc_buf_printf(s->out, "  %s return;\n", wc_emit_epilogue(s->m));
        return;
    }
    if (n == 0) {
        wc_buf_printf(s->out, "  %s return;\n", wc_emit_epilogue(s->m));
        return;
    }
    if (n == 1) {
        char *value = take(s, s->height - 1);
        wc_buf_printf(s->out, "  %s return %s;\n", wc_emit_epilogue(s->m), value ? value : "0");
        free(value);
        return;
    }
    wc_buf_printf(s->out, "  { %s ", wc_emit_epilogue(s->m));
    wc_buf_str(s->out, "return (");
    wc_buf_printf(s->out, "R%" PRIu32, s->type);
    wc_buf_str(s->out, "){");
    for (uint32_t i = 0; i < n; i++) {
        char *value = take(s, s->height - n + i);
        wc_buf_printf(s->out, "%s%s", i ? ", " : "", value ? value : "0");
        free(value);
    }
    wc_buf_str(s->out, "}; }\n");
}

/* Moves the values a branch to frame depth carries into its slots and
 * jumps.  The stack is left as it was (a br_if falls through with it). */
static void emit_branch(fn_state *s, uint32_t depth)
{
    const frame *f = &s->frames[s->nframes - 1 - depth];
    if (f->kind == FRAME_FUNC) {
        /* take() leaves the entries in their slots: a copy of the stack's
         * expressions is consumed, the entries themselves stay */
        uint32_t n = f->nresults;
        char *saved[n ? n : 1];
        for (uint32_t i = 0; i < n; i++)
            saved[i] = s->stack[s->height - n + i].expr ? strdup(s->stack[s->height - n + i].expr)
                                                       : NULL;
        emit_return(s);
        for (uint32_t i = 0; i < n; i++)
            s->stack[s->height - n + i].expr = saved[i];
        return;
    }
    const uint8_t *types;
    uint32_t n = branch_arity(f, &types);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t from = s->height - n + i, to = f->base + i;
        const entry *e = &s->stack[from];
        if (from == to && !e->expr)
            continue;
        wc_buf_str(s->out, "  ");
        slot_name(s, to, types[i], s->out);
        wc_buf_str(s->out, " = ");
        if (e->expr)
            wc_buf_str(s->out, e->expr);
        else
            slot_name(s, from, e->type, s->out);
        wc_buf_str(s->out, ";\n");
        mark_used(s, to, types[i]);
    }
    wc_eh_leave(&s->eh, s->nframes - 1 - depth + (f->kind == FRAME_LOOP), true, s->out);
    if (f->kind == FRAME_LOOP) {
        wc_emit_loop_back(s->m, f->label, s->out);
        return;
    }
    wc_buf_str(s->out, "  goto ");
    append_name(s->out, 'L', f->label);
    wc_buf_str(s->out, ";\n");
}

static void drop_entries(fn_state *s, uint32_t height)
{
    while (s->height > height) {
        s->height--;
        free(s->stack[s->height].expr);
        s->stack[s->height].expr = NULL;
    }
}

/* The stack at the end (or else) of f: its values in their slots. */
static void reset_to(fn_state *s, const frame *f, const uint8_t *types, uint32_t n)
{
    drop_entries(s, f->base);
    for (uint32_t i = 0; i < n; i++)
        push(s, types[i], NULL);
}

/* "  <letter><n>:;\n" */
static void label(fn_state *s, char letter, uint32_t n)
{
    wc_buf_str(s->out, "  ");
    append_name(s->out, letter, n);
    wc_buf_str(s->out, ":;\n");
}

static void begin_block(fn_state *s, uint8_t kind)
{
    frame *f = push_frame(s, kind);
    if (!f)
        return;
    read_blocktype(s, f);
    char *cond = NULL;
    if (kind == FRAME_IF) {
        cond = as_condition(s, take(s, s->height - 1));
        s->height--;
    }
    flush_all(s);
    f->base = s->height - f->nparams;
    if (kind == FRAME_LOOP)
        label(s, 'L', f->label);
    if (kind == FRAME_IF) {
        wc_buf_printf(s->out, "  if (!(%s)) goto E%" PRIu32 ";\n", cond ? cond : "0", f->label);
        free(cond);
    }
}

static void do_else(fn_state *s)
{
    frame *f = &s->frames[s->nframes - 1];
    if (!s->dead) {
        flush_all(s);
        wc_buf_printf(s->out, "  goto L%" PRIu32 ";\n", f->label);
    }
    wc_buf_printf(s->out, "  E%" PRIu32 ":;\n", f->label);
    f->has_else = true;
    reset_to(s, f, f->params, f->nparams);
    s->dead = false;
}

/* ---- exception handling (emit_exceptions.c) ---------------------------- */

/* The end of the innermost try's body or catch body when it falls through. */
static void end_try_part(fn_state *s, const frame *f)
{
    if (s->dead)
        return;
    flush_all(s);
    wc_eh_leave(&s->eh, s->nframes - 1, true, s->out);
    wc_buf_printf(s->out, "  goto L%" PRIu32 ";\n", f->label);
    s->dead = true;
}

static void do_catch(fn_state *s, uint32_t tag)
{
    frame *f = &s->frames[s->nframes - 1];
    end_try_part(s, f);
    reset_to(s, f, NULL, 0);
    wc_eh_catch(&s->eh, s->m, tag, s->next_label++, f->base, s->out);
    const wc_functype *ft =
        tag == WC_EH_CATCH_ALL ? NULL : &s->m->info->types[s->m->info->tag_types[tag]];
    for (uint32_t i = 0; ft && i < ft->nparams; i++)
        push(s, ft->params[i], NULL);
    s->dead = false;
}

static void do_throw(fn_state *s, uint32_t tag)
{
    const wc_functype *ft = &s->m->info->types[s->m->info->tag_types[tag]];
    char *values[ft->nparams ? ft->nparams : 1];
    pop_operands(s, ft->nparams, values);
    s->throws = true;
    wc_eh_throw(s->m, tag, values, s->out);
    free_operands(ft->nparams, values);
    s->dead = true;
}

static bool do_end(fn_state *s);

/* delegate l: the try's exceptions go to the handlers outside label l. */
static void do_delegate(fn_state *s, uint32_t depth)
{
    frame *f = &s->frames[s->nframes - 1];
    end_try_part(s, f);
    uint32_t target = depth + 1 < s->nframes ? s->nframes - 2 - depth : 0;
    wc_eh_delegate(&s->eh, target + 1, s->out);
    f->kind = FRAME_BLOCK; /* the rest of its end is a block's */
    do_end(s);
}

/* Returns true at the function's own end. */
static bool do_end(fn_state *s)
{
    frame *f = &s->frames[s->nframes - 1];
    if (f->kind == FRAME_TRY) {
        end_try_part(s, f);
        wc_eh_end(&s->eh, s->out);
    }
    if (f->kind == FRAME_FUNC) {
        if (!s->dead)
            emit_return(s);
        s->nframes--;
        return true;
    }
    if (!s->dead)
        flush_all(s);
    if (f->kind == FRAME_IF && !f->has_else)
        label(s, 'E', f->label);
    if (f->kind != FRAME_LOOP)
        label(s, 'L', f->label);
    reset_to(s, f, results_of(f), f->nresults);
    s->nframes--;
    s->dead = false;
    return false;
}

static void do_br_table(fn_state *s)
{
    uint32_t n = wc_emit_u32(s->b, &s->pos, s->end);
    /* bounded by the body: each target is at least one byte */
    if (n > s->end - s->pos) {
        s->failed = true;
        return;
    }
    uint32_t *targets = malloc(((size_t)n + 1) * sizeof *targets);
    uint32_t *order = malloc(((size_t)n + 1) * sizeof *order);
    uint32_t *count = calloc((size_t)s->nframes + 1, sizeof *count);
    if (!targets || !order || !count) {
        free(targets);
        free(order);
        free(count);
        s->failed = true;
        return;
    }
    for (uint32_t i = 0; i <= n; i++) {
        targets[i] = wc_emit_u32(s->b, &s->pos, s->end);
        if (targets[i] >= s->nframes)
            targets[i] = s->nframes - 1;
        count[targets[i]]++;
    }
    /* the cases grouped by target (a counting sort), each target's moves once */
    uint32_t at = 0;
    for (uint32_t d = 0; d < s->nframes; d++) {
        uint32_t c = count[d];
        count[d] = at;
        at += c;
    }
    for (uint32_t i = 0; i <= n; i++)
        order[count[targets[i]]++] = i;
    char *index = take(s, s->height - 1);
    s->height--;
    wc_buf_printf(s->out, "  switch (%s) {\n", index ? index : "0");
    free(index);
    for (uint32_t i = 0; i <= n;) {
        uint32_t d = targets[order[i]];
        for (; i <= n && targets[order[i]] == d; i++) {
            if (order[i] == n)
                wc_buf_str(s->out, "  default:\n");
            else
                wc_buf_printf(s->out, "  case %" PRIu32 ":\n", order[i]);
        }
        emit_branch(s, d);
    }
    wc_buf_str(s->out, "  }\n");
    free(targets);
    free(order);
    free(count);
}

/* ---- calls ------------------------------------------------------------- */

/* After the callee's arguments are popped as operands: the call of
 * `callee` (a C expression of function type) with them, its results
 * pushed. */
static void emit_call(fn_state *s, uint32_t type, const char *callee, const char *callee_inst,
                      char **args)
{
    const wc_functype *ft = &s->m->info->types[type];
    if (ft->nparams + ft->nresults > s->widest_call)
        s->widest_call = ft->nparams + ft->nresults;
    wc_buf call;
    wc_buf_init(&call);
    /* appended, not formatted: calls are a tenth of the text */
    wc_buf_str(&call, callee);
    wc_buf_str(&call, "(");
    wc_buf_str(&call, callee_inst);
    for (uint32_t i = 0; i < ft->nparams; i++) {
        wc_buf_str(&call, ", ");
        wc_buf_str(&call, args[i] ? args[i] : "0");
    }
    wc_buf_str(&call, ")");
    const char *text = wc_buf_cstr(&call) ? (const char *)call.data : "0";
    if (ft->nresults == 0) {
        wc_buf_str(s->out, "  ");
        wc_buf_str(s->out, text);
        wc_buf_str(s->out, ";\n");
    } else if (ft->nresults == 1) {
        push(s, ft->results[0], NULL);
        s->stmt_at = s->out->len;
        wc_buf_str(s->out, "  ");
        slot_name(s, s->height - 1, ft->results[0], s->out);
        s->stmt_eq = s->out->len;
        wc_buf_str(s->out, " = ");
        wc_buf_str(s->out, text);
        wc_buf_str(s->out, ";\n");
        s->stmt_end = s->out->len;
        s->stmt_height = s->height - 1;
    } else {
        wc_buf_printf(s->out, "  { R%" PRIu32 " wc_r = %s;", type, text);
        for (uint32_t i = 0; i < ft->nresults; i++) {
            push(s, ft->results[i], NULL);
            wc_buf_str(s->out, " ");
            slot_name(s, s->height - 1, ft->results[i], s->out);
            wc_buf_printf(s->out, " = wc_r.v%" PRIu32 ";", i);
        }
        wc_buf_str(s->out, " }\n");
    }
    s->failed |= call.failed;
    wc_buf_free(&call);
}

static void do_call(fn_state *s, uint32_t func)
{
    uint32_t type = s->m->info->func_types[func];
    const wc_functype *ft = &s->m->info->types[type];
    /* libtcc holds every argument of a call on its value stack at once: a
     * wide call's arguments are slots, one entry each (WC_TCC_MAX_PARAMS) */
    if (ft->nparams > WC_EMIT_WIDE_CALL)
        flush_all(s);
    else
        flush_below(s, ft->nparams);
    char *args[ft->nparams ? ft->nparams : 1];
    pop_operands(s, ft->nparams, args);
    char callee[32];
    snprintf(callee, sizeof callee, "fn%" PRIu32, func);
    emit_call(s, type, callee, "instance", args);
    free_operands(ft->nparams, args);
}

/* Opens a block in which wc_t->data[wc_x] is the table's element at
 * `index`, of function type `type` (or traps). */
static void open_indirect(fn_state *s, uint32_t type, uint32_t table, const char *index)
{
    wc_buf_str(s->out, "  { wasm_rt_funcref_table_t *wc_t = ");
    wc_emit_table(s->m, table, s->out);
    wc_buf_printf(s->out,
                  "; u32 wc_x = %s;\n"
                  "  if (UNLIKELY(wc_x >= wc_t->size || !wc_t->data[wc_x].func ||\n"
                  "      wc_t->data[wc_x].func_type != wc_types[%" PRIu32 "])) TRAP(CALL_INDIRECT);\n",
                  index ? index : "0", type);
}

static void do_call_indirect(fn_state *s, uint32_t type, uint32_t table)
{
    const wc_functype *ft = &s->m->info->types[type];
    flush_all(s);
    char *index = take(s, s->height - 1);
    s->height--;
    char *args[ft->nparams ? ft->nparams : 1];
    pop_operands(s, ft->nparams, args);
    open_indirect(s, type, table, index);
    free(index);
    wc_buf callee, call;
    wc_buf_init(&callee);
    wc_buf_init(&call);
    wc_buf_str(&callee, "((");
    wc_emit_return_type(s->m, type, &callee);
    wc_buf_str(&callee, " (*)(void *");
    for (uint32_t i = 0; i < ft->nparams; i++)
        wc_buf_printf(&callee, ", %s", wc_emit_ctype(ft->params[i]));
    wc_buf_str(&callee, "))wc_t->data[wc_x].func)");
    wc_buf *out = s->out; /* the call's text, written twice below */
    s->out = &call;
    emit_call(s, type, wc_buf_cstr(&callee) ? (const char *)callee.data : "0",
              "wc_t->data[wc_x].module_instance", args);
    s->out = out;
    const char *text = wc_buf_cstr(&call) ? (const char *)call.data : "";
    /* Another instance's code checks the running call's deadline and this
     * thread's stack only once told of them, and its depth is recorded so
     * that an exception unwinding its frames puts it back (whatever unit
     * catches it).  The call is written out twice so that a call within
     * the instance costs what it did: one compare. */
    wc_buf_printf(out,
                  "  if (UNLIKELY(wc_t->data[wc_x].module_instance != instance)) {\n"
                  "  wc_rt_entry wc_e; wc_rt_enter_foreign_call(wc_t->data[wc_x].module_instance, &wc_e);\n"
                  "%s  wc_rt_entry_pop(&wc_e);\n  } else {\n%s  }\n  }\n",
                  text, text);
    s->failed |= callee.failed | call.failed;
    wc_buf_free(&callee);
    wc_buf_free(&call);
    free_operands(ft->nparams, args);
}

/* A tail call (the function is emitted as its tail entry): the callee's
 * arguments go to the area, the callee to *wc_next, and the function
 * returns; what was below the arguments is discarded unwritten. */
static void tail_call(fn_state *s, uint32_t type, const char *callee, const char *callee_inst)
{
    const wc_functype *ft = &s->m->info->types[type];
    for (uint32_t i = 0; i < ft->nparams; i++) {
        char *value = take(s, s->height - ft->nparams + i);
        wc_buf_printf(s->out, "  wc_a[%" PRIu32 "].%s = %s;\n", i, wc_emit_field(ft->params[i]),
                      value ? value : "0");
        free(value);
    }
    s->height -= ft->nparams;
    wc_eh_leave(&s->eh, 0, true, s->out);
    if (callee)
        wc_buf_printf(s->out, "  wc_next->fn = %s;\n", callee);
    wc_buf_printf(s->out, "  wc_next->instance = %s;\n  %s return;\n", callee_inst, wc_emit_epilogue(s->m));
    s->dead = true;
}

static void do_return_call(fn_state *s, uint32_t func)
{
    char callee[32];
    snprintf(callee, sizeof callee, "fn%" PRIu32 "_tail", func);
    tail_call(s, s->m->info->func_types[func], callee, "instance");
}

/* Through a funcref without a tail entry, wc_tail_via<type> calls it. */
static void do_return_call_indirect(fn_state *s, uint32_t type, uint32_t table)
{
    const wc_functype *ft = &s->m->info->types[type];
    char *index = take(s, s->height - 1);
    s->height--;
    open_indirect(s, type, table, index);
    free(index);
    wc_buf_str(s->out, "  if (UNLIKELY(wc_t->data[wc_x].module_instance != instance))\n"
                       "    wc_rt_enter_foreign(wc_t->data[wc_x].module_instance);\n");
    wc_buf_printf(s->out,
                  "  if (wc_t->data[wc_x].tail) wc_next->fn = (wc_rt_tail_fn)wc_t->data[wc_x].tail;\n"
                  "  else { wc_a[%" PRIu32 "].funcref = wc_t->data[wc_x]; wc_next->fn = wc_tail_via%" PRIu32 "; }\n",
                  ft->nparams, type);
    tail_call(s, type, NULL, "wc_t->data[wc_x].module_instance");
    wc_buf_str(s->out, "  }\n");
}

/* ---- memory, tables, references -------------------------------------- */

/* "(u64)<addr> + <offset>u", the address of a load or store */
static char *address(fn_state *s, const char *addr, uint32_t offset)
{
    wc_buf b;
    wc_buf_init(&b);
    wc_buf_str(&b, "(u64)");
    wc_buf_str(&b, addr ? addr : "0");
    if (offset) {
        char text[32];
        wc_buf_str(&b, " + ");
        wc_buf_append(&b, text, format_name(text, 0, offset, "u"));
    }
    char *text = wc_buf_cstr(&b);
    if (!text)
        s->failed = true;
    return text;
}

/* Bytes an access of opcode 0x28..0x3e reads or writes. */
static const uint8_t access_bytes[0x3f - 0x28] = {4, 8, 4, 8, 1, 1, 2, 2, 1, 1, 2, 2, 4, 4,
                                                  4, 8, 4, 8, 1, 2, 1, 2, 4};

/* The address of an access: (u64)addr + offset.  A 32-bit memory's guard
 * region covers every such address (8 GiB reserved); a 64-bit one's cannot,
 * so the access is checked first (WC_ADDR64 traps out of bounds; an offset
 * so large that the access would end past 2^64 always does).  libtcc's
 * unit reads it after M+ (emit_spelled.c), so a 32-bit address there is
 * addr+offset, without the cast. */
static char *effective_address(fn_state *s, const wc_memarg *arg, const char *addr, uint64_t size)
{
    if (s->m->memory_is64[arg->memory]) {
        uint64_t end = arg->offset <= UINT64_MAX - size ? arg->offset + size : UINT64_MAX;
        return dup_printf(s, "WC_ADDR64(%s, %s, %" PRIu64 "ull, %" PRIu64 "ull)",
                          wc_emit_memory_at(s->m, arg->memory), addr ? addr : "0", arg->offset, end);
    }
    if (s->m->for_tcc) {
        char *where = wc_emit_tcc_address(addr ? addr : "0", (uint32_t)arg->offset);
        s->failed |= !where;
        return where;
    }
    return address(s, addr, (uint32_t)arg->offset); /* valid: at most 2^32-1 */
}

/* LD and ST read and write at M, memory 0's base; an access to another
 * memory (multi-memory) runs in a scope whose M is that memory's base. */
static char *at_memory(fn_state *s, uint32_t memory, char *access)
{
    if (memory == 0 || !access)
        return access;
    char *scoped = dup_printf(s, "({ u8 *const M = %s->data; %s; })",
                              wc_emit_memory_at(s->m, memory), access);
    free(access);
    return scoped;
}

static char *funcref_of(fn_state *s, uint32_t func)
{
    wc_buf ref;
    wc_buf_init(&ref);
    wc_buf_printf(&ref, "((wasm_rt_funcref_t){wc_types[%" PRIu32 "], (wasm_rt_function_ptr_t)fn%" PRIu32 ", instance",
                  s->m->info->func_types[func], func);
    wc_emit_tail_ref(s->m, func, &ref);
    wc_buf_str(&ref, "})");
    char *text = wc_buf_cstr(&ref) ? strdup((const char *)ref.data) : NULL;
    s->failed |= ref.failed || !text;
    wc_buf_free(&ref);
    return text;
}

static void do_load(fn_state *s, uint8_t op, const wc_memory_op *mop)
{
    wc_memarg arg;
    wc_emit_memarg(s->b, &s->pos, s->end, &arg); /* the alignment is a hint */
    flush_below(s, 1);
    char *addr = take(s, s->height - 1);
    s->height--;
    char *where = effective_address(s, &arg, addr, access_bytes[op - 0x28]);
    free(addr);
    char *operands[1] = {where};
    wc_buf tmpl;
    wc_buf_init(&tmpl);
    wc_emit_load_template(s->m, mop->tmpl, &tmpl);
    push_statement(s, mop->type,
                   at_memory(s, arg.memory,
                             wc_buf_cstr(&tmpl) ? fill(s, (const char *)tmpl.data, operands) : NULL));
    wc_buf_free(&tmpl);
    free(where);
    s->uses_memory |= arg.memory == 0;
}

static void do_store(fn_state *s, uint8_t op, const wc_memory_op *mop)
{
    wc_memarg arg;
    wc_emit_memarg(s->b, &s->pos, s->end, &arg);
    flush_below(s, 2);
    bool is64 = s->m->memory_is64[arg.memory];
    if (s->m->track_writes || is64)
        make_simple(s, s->height - 2);
    char *operands[2];
    pop_operands(s, 2, operands);
    char *where = effective_address(s, &arg, operands[0], access_bytes[op - 0x28]);
    if (s->m->for_tcc) /* the store's value is assigned: its parentheses go */
        unwrap(operands[1]);
    if (is64 && where) { /* checked once, before the store and its mark */
        wc_buf_printf(s->out, "  { u64 wc_ea = %s;\n", where);
        free(where);
        where = dup_printf(s, "wc_ea");
    }
    if (arg.memory != 0) /* ST and its spelling write at M */
        wc_buf_printf(s->out, "  { u8 *const M = %s->data;\n", wc_emit_memory_at(s->m, arg.memory));
    wc_emit_store(s->m, arg.memory, mop->tmpl, where ? where : "0", operands[1] ? operands[1] : "0",
                  s->out);
    if (arg.memory != 0)
        wc_buf_str(s->out, "  }\n");
    if (is64)
        wc_buf_str(s->out, "  }\n");
    free(where);
    free_operands(2, operands);
    s->uses_memory |= arg.memory == 0;
}

/* A statement over the top n operands, flushed first: fmt's %s are the
 * operands in order (n <= 3). */
static void statement(fn_state *s, uint32_t n, const char *prefix, const char *suffix)
{
    flush_all(s);
    char *operands[3] = {NULL, NULL, NULL};
    pop_operands(s, n, operands);
    wc_buf_printf(s->out, "  %s", prefix);
    for (uint32_t i = 0; i < n; i++)
        wc_buf_printf(s->out, "%s%s", i ? ", " : "", operands[i] ? operands[i] : "0");
    wc_buf_printf(s->out, "%s;\n", suffix);
    free_operands(n, operands);
}

static const char *table_kind(const wc_emit_module *m, uint32_t table)
{
    return m->table_types[table]->elemtype == WC_VT_FUNCREF ? "funcref" : "externref";
}

static void do_prefixed(fn_state *s)
{
    uint32_t sub = wc_emit_u32(s->b, &s->pos, s->end);
    const wc_emit_module *m = s->m;
    wc_buf prefix;
    wc_buf_init(&prefix);
    if (sub < 8) {
        const wc_numeric_op *op = wc_emit_trunc_sat(sub);
        make_simple(s, s->height - 1);
        char *operands[1];
        pop_operands(s, 1, operands);
        push_expr(s, op->out, fill(s, op->tmpl, operands));
        free_operands(1, operands);
        return;
    }
    uint32_t a, b;
    switch (sub) {
    case 8: /* memory.init data memory: d s n */
        a = wc_emit_u32(s->b, &s->pos, s->end);
        b = wc_emit_u32(s->b, &s->pos, s->end);
        wc_buf_printf(&prefix, "wc_memory_init(%s, wc_data%" PRIu32 ", instance->dlen[%" PRIu32 "], ",
                      wc_emit_memory_at(m, b), a, a);
        statement(s, 3, (const char *)wc_buf_cstr(&prefix), ")");
        break;
    case 9: /* data.drop */
        a = wc_emit_u32(s->b, &s->pos, s->end);
        flush_all(s);
        wc_buf_printf(s->out, "  instance->dlen[%" PRIu32 "] = 0;\n", a);
        break;
    case 10: /* memory.copy dst src: d s n */
        a = wc_emit_u32(s->b, &s->pos, s->end);
        b = wc_emit_u32(s->b, &s->pos, s->end);
        wc_buf_printf(&prefix, "wc_memory_copy(%s, ", wc_emit_memory_at(m, a));
        wc_buf_printf(&prefix, "%s, ", wc_emit_memory_at(m, b));
        statement(s, 3, (const char *)wc_buf_cstr(&prefix), ")");
        break;
    case 11: /* memory.fill memory: d val n */
        a = wc_emit_u32(s->b, &s->pos, s->end);
        wc_buf_printf(&prefix, "wc_memory_fill(%s, ", wc_emit_memory_at(m, a));
        statement(s, 3, (const char *)wc_buf_cstr(&prefix), ")");
        break;
    case 12: /* table.init elem table: d s n */
        a = wc_emit_u32(s->b, &s->pos, s->end);
        b = wc_emit_u32(s->b, &s->pos, s->end);
        wc_buf_printf(&prefix, "wc_%s_table_init(instance, ", table_kind(m, b));
        wc_emit_table(m, b, &prefix);
        wc_buf_printf(&prefix, ", wc_elem%" PRIu32 ", instance->elen[%" PRIu32 "], ", a, a);
        statement(s, 3, (const char *)wc_buf_cstr(&prefix), ")");
        break;
    case 13: /* elem.drop */
        a = wc_emit_u32(s->b, &s->pos, s->end);
        flush_all(s);
        wc_buf_printf(s->out, "  instance->elen[%" PRIu32 "] = 0;\n", a);
        break;
    case 14: /* table.copy dst src: d s n */
        a = wc_emit_u32(s->b, &s->pos, s->end);
        b = wc_emit_u32(s->b, &s->pos, s->end);
        wc_buf_printf(&prefix, "%s_copy(", table_kind(m, a));
        wc_emit_table(m, a, &prefix);
        wc_buf_str(&prefix, ", ");
        wc_emit_table(m, b, &prefix);
        wc_buf_str(&prefix, ", ");
        statement(s, 3, (const char *)wc_buf_cstr(&prefix), ")");
        break;
    case 15: { /* table.grow: init n -> old size or -1 */
        a = wc_emit_u32(s->b, &s->pos, s->end);
        flush_all(s);
        char *operands[2];
        pop_operands(s, 2, operands);
        wc_buf_printf(&prefix, "wasm_rt_grow_%s_table(", table_kind(m, a));
        wc_emit_table(m, a, &prefix);
        wc_buf_printf(&prefix, ", %s, %s)", operands[1] ? operands[1] : "0",
                      operands[0] ? operands[0] : "0");
        free_operands(2, operands);
        push_statement(s, WC_VT_I32, wc_buf_cstr(&prefix) ? strdup((char *)prefix.data) : NULL);
        break;
    }
    case 16: /* table.size */
        a = wc_emit_u32(s->b, &s->pos, s->end);
        wc_buf_str(&prefix, "(");
        wc_emit_table(m, a, &prefix);
        wc_buf_str(&prefix, ")->size");
        push_expr(s, WC_VT_I32, wc_buf_cstr(&prefix) ? strdup((char *)prefix.data) : NULL);
        break;
    default: /* 17, table.fill: d val n */
        a = wc_emit_u32(s->b, &s->pos, s->end);
        wc_buf_printf(&prefix, "%s_fill(", table_kind(m, a));
        wc_emit_table(m, a, &prefix);
        wc_buf_str(&prefix, ", ");
        statement(s, 3, (const char *)wc_buf_cstr(&prefix), ")");
        break;
    }
    s->failed |= prefix.failed;
    wc_buf_free(&prefix);
}

/* A SIMD instruction from its template (emit_simd.c): pure ones stay
 * pending like arithmetic; memory accesses run in order as statements,
 * with the scalar accesses' address arithmetic, traps and dirty marks.
 * libtcc's templates (emit_simd_tcc.c) name their operands, which are
 * made names first, and write a v128 result into its slot ($3). */
static void do_simd(fn_state *s)
{
    wc_simd_emit simd;
    wc_emit_simd_op(s->b, &s->pos, s->end, s->m->for_tcc, &simd);
    if (simd.kind == WC_SIMD_EMIT_INVALID || simd.kind == WC_SIMD_EMIT_NOMEM) {
        wc_buf_free(&simd.tmpl);
        s->failed = true;
        return;
    }
    const char *tmpl = (const char *)simd.tmpl.data;
    uint32_t n = simd.noperands;
    bool memory = simd.kind != WC_SIMD_EMIT_PURE;
    if (memory || simd.sets) /* nothing pending below may name the result's slot */
        flush_below(s, n);
    wc_memarg arg = {.memory = simd.memory, .offset = simd.offset};
    bool is64 = memory && s->m->memory_is64[arg.memory];
    for (uint32_t i = 0; i < n; i++)
        if (memory && i == 0 ? simd.kind == WC_SIMD_EMIT_STORE && (s->m->track_writes || is64) : simd.names)
            make_simple(s, s->height - n + i);
    char *operands[4] = {NULL, NULL, NULL, NULL};
    pop_operands(s, n, operands);
    if (simd.sets)
        operands[3] = dup_name(s, wc_emit_letter(simd.result), s->height, "");
    if (!memory) {
        char *expr = fill(s, tmpl, operands);
        if (simd.sets) {
            wc_buf_printf(s->out, "  %s\n", expr ? expr : "");
            free(expr);
            push(s, simd.result, NULL);
        } else {
            push_expr(s, simd.result, expr);
        }
        free_operands(4, operands);
        wc_buf_free(&simd.tmpl);
        return;
    }
    char *where = effective_address(s, &arg, operands[0], simd.bytes);
    free(operands[0]);
    operands[0] = where;
    if (simd.kind == WC_SIMD_EMIT_LOAD && !simd.sets) {
        push_statement(s, simd.result, at_memory(s, arg.memory, fill(s, tmpl, operands)));
    } else {
        /* as do_store: a 64-bit address checked once, M memory's base */
        if (is64 && where) {
            wc_buf_printf(s->out, "  { u64 wc_ea = %s;\n", where);
            free(where);
            operands[0] = where = dup_printf(s, "wc_ea");
        }
        if (arg.memory != 0)
            wc_buf_printf(s->out, "  { u8 *const M = %s->data;\n", wc_emit_memory_at(s->m, arg.memory));
        char *expr = fill(s, tmpl, operands);
        wc_buf_printf(s->out, "  %s;\n", expr ? expr : "0");
        free(expr);
        if (simd.kind == WC_SIMD_EMIT_STORE && s->m->track_writes)
            wc_emit_page_marks(s->m, arg.memory, where ? where : "0", simd.bytes, s->out);
        if (arg.memory != 0)
            wc_buf_str(s->out, "  }\n");
        if (is64)
            wc_buf_str(s->out, "  }\n");
        if (simd.kind == WC_SIMD_EMIT_LOAD)
            push(s, simd.result, NULL);
    }
    free_operands(4, operands);
    wc_buf_free(&simd.tmpl);
    s->uses_memory |= arg.memory == 0;
}

/* An atomic instruction (emit_atomic.c): a statement after everything
 * below it, over its operands' slots. */
static void do_atomic(fn_state *s)
{
    wc_atomic_emit a;
    if (!wc_emit_atomic_read(s->b, &s->pos, s->end, &a)) {
        s->failed = true;
        return;
    }
    uint32_t n = a.op->noperands;
    flush_all(s);
    char *operands[3] = {NULL, NULL, NULL};
    pop_operands(s, n, operands);
    char *result = NULL;
    if (a.op->result) {
        push(s, a.op->result, NULL);
        result = dup_name(s, wc_emit_letter(a.op->result), s->height - 1, "");
    }
    wc_emit_atomic(s->m, &a, operands, result, s->out);
    free(result);
    free_operands(n, operands);
    s->uses_memory |= a.op->kind != WC_ATOMIC_FENCE && a.arg.memory == 0;
}

/* ---- the instruction loop --------------------------------------------- */

/* A shift by a constant (op 0x74..0x76, 0x86..0x88) in libtcc's unit: the
 * count masked here, so the template has no "& 31" to read. */
static const char *const constant_shifts[6] = {"($0 << $1)", "(u32)((s32)$0 >> $1)", "($0 >> $1)",
                                               "($0 << $1)", "(u64)((s64)$0 >> $1)", "($0 >> $1)"};

static const char *shift_by_constant(fn_state *s, uint8_t opcode, char **operands)
{
    bool is32 = opcode >= 0x74 && opcode <= 0x76, is64 = opcode >= 0x86 && opcode <= 0x88;
    const char *count = operands[1];
    if (!s->m->for_tcc || !(is32 || is64) || !count || count[0] < '0' || count[0] > '9')
        return NULL;
    char *end;
    unsigned long long value = strtoull(count, &end, 10);
    if (strcmp(end, is32 ? "u" : "ull") != 0)
        return NULL;
    char *masked = dup_name(s, 0, (uint32_t)(value & (is32 ? 31 : 63)), "");
    if (!masked)
        return NULL;
    free(operands[1]);
    operands[1] = masked;
    return constant_shifts[is32 ? opcode - 0x74 : 3 + opcode - 0x86];
}

static void do_numeric(fn_state *s, uint8_t opcode, const wc_numeric_op *op)
{
    uint32_t n = op->in2 ? 2 : 1;
    if (op->kind == WC_OP_TRAP) {
        flush_all(s);
    } else if (op->kind == WC_OP_SIMPLE) {
        for (uint32_t i = 0; i < n; i++)
            make_simple(s, s->height - n + i);
    }
    char *operands[2] = {NULL, NULL};
    pop_operands(s, n, operands);
    const char *shift = n == 2 ? shift_by_constant(s, opcode, operands) : NULL;
    char *expr = fill(s, shift ? shift : op->tmpl, operands);
    free_operands(n, operands);
    if (op->kind == WC_OP_TRAP)
        push_statement(s, op->out, expr);
    else
        push_expr(s, op->out, expr);
}

/* local.set x of the value the last statement just put in its slot (libtcc's
 * unit): that statement assigns l<x> instead, one copy less to compile and
 * run.  The slot keeps no value anyone reads: local.set took it.  False
 * if the last thing written is not that statement. */
static bool fuse_local_set(fn_state *s, uint32_t x)
{
    uint32_t h = s->height - 1;
    wc_buf *out = s->out;
    if (!s->m->for_tcc || s->stack[h].expr || h != s->stmt_height || out->len != s->stmt_end ||
        s->stmt_end == 0 || s->stack[h].type != s->local_types[x] || s->stack[h].type == WC_VT_V128)
        return false;
    char name[32];
    size_t name_len = format_name(name, 'l', x, "");
    size_t tail = s->stmt_end - s->stmt_eq, at = s->stmt_at + 2;
    if (!wc_buf_reserve(out, name_len + 2)) {
        s->failed = true;
        return false;
    }
    memmove(out->data + at + name_len, out->data + s->stmt_eq, tail);
    memcpy(out->data + at, name, name_len);
    out->len = at + name_len + tail;
    s->stmt_end = 0;
    s->height--;
    return true;
}

static void do_local_set(fn_state *s, uint32_t x, bool tee)
{
    if (fuse_local_set(s, x)) {
        if (tee)
            push(s, s->local_types[x], dup_name(s, 'l', x, ""));
        return;
    }
    char *value = take(s, s->height - 1);
    s->height--;
    for (uint32_t h = s->height; h-- > 0;)
        if (s->stack[h].expr && mentions_local(s->stack[h].expr, x)) {
            flush_upto(s, h);
            break;
        }
    if (!value || !copy_halves(s, s->local_types[x], 'l', x, value)) {
        wc_buf_str(s->out, "  ");
        append_name(s->out, 'l', x);
        assign(s, value ? value : "0");
    }
    free(value);
    if (tee)
        push(s, s->local_types[x], dup_name(s, 'l', x, ""));
}

/* One instruction (opcode already read); returns true at the function's
 * end. */
static bool try_body_may_raise(fn_state *s);

static bool instruction(fn_state *s, uint8_t op)
{
    const wc_emit_module *m = s->m;
    const wc_numeric_op *numeric = wc_emit_numeric(op);
    if (numeric) {
        do_numeric(s, op, numeric);
        return false;
    }
    const wc_memory_op *mop = wc_emit_memory_op(op);
    if (mop) {
        if (op <= 0x35)
            do_load(s, op, mop);
        else
            do_store(s, op, mop);
        return false;
    }
    uint32_t x, y;
    wc_buf text;
    wc_buf_init(&text);
    switch (op) {
    case 0x00: /* unreachable */
        flush_all(s);
        wc_buf_str(s->out, "  TRAP(UNREACHABLE);\n");
        s->dead = true;
        break;
    case 0x01:
        break;
    case 0x02:
        begin_block(s, FRAME_BLOCK);
        break;
    case 0x03:
        begin_block(s, FRAME_LOOP);
        break;
    case 0x04:
        begin_block(s, FRAME_IF);
        break;
    case 0x05:
        do_else(s);
        break;
    case 0x06: /* try */
        begin_block(s, FRAME_TRY);
        wc_eh_begin(&s->eh, s->nframes - 1, s->frames[s->nframes - 1].label, !try_body_may_raise(s),
                    s->out);
        break;
    case 0x07: /* catch x */
        do_catch(s, wc_emit_u32(s->b, &s->pos, s->end));
        break;
    case 0x19:
        do_catch(s, WC_EH_CATCH_ALL);
        break;
    case 0x08: /* throw x */
        do_throw(s, wc_emit_u32(s->b, &s->pos, s->end));
        break;
    case 0x09: /* rethrow l */
        x = wc_emit_u32(s->b, &s->pos, s->end);
        wc_eh_rethrow(&s->eh, x < s->nframes ? s->nframes - 1 - x : 0, s->out);
        s->dead = true;
        break;
    case 0x18: /* delegate l */
        do_delegate(s, wc_emit_u32(s->b, &s->pos, s->end));
        break;
    case 0x0b:
        wc_buf_free(&text);
        return do_end(s);
    case 0x0c: /* br */
        x = wc_emit_u32(s->b, &s->pos, s->end);
        emit_branch(s, x < s->nframes ? x : s->nframes - 1);
        s->dead = true;
        break;
    case 0x0d: { /* br_if */
        x = wc_emit_u32(s->b, &s->pos, s->end);
        char *cond = as_condition(s, take(s, s->height - 1));
        s->height--;
        wc_buf_printf(s->out, "  if (%s) ", cond ? cond : "0");
        free(cond);
        size_t open = s->out->len;
        wc_buf_str(s->out, "{\n");
        emit_branch(s, x < s->nframes ? x : s->nframes - 1);
        /* a branch that only jumps needs no braces (libtcc's unit) */
        const char *body = (const char *)s->out->data + open + 2;
        size_t body_len = s->out->len - open - 2;
        if (s->m->for_tcc && !s->out->failed && body_len > 9 && memcmp(body, "  goto ", 7) == 0 &&
            memchr(body, '\n', body_len) == body + body_len - 1) {
            memmove(s->out->data + open, body + 2, body_len - 2);
            s->out->len = open + body_len - 2;
        } else {
            wc_buf_str(s->out, "  }\n");
        }
        break;
    }
    case 0x0e:
        do_br_table(s);
        s->dead = true;
        break;
    case 0x0f:
        emit_return(s);
        s->dead = true;
        break;
    case 0x10:
        do_call(s, wc_emit_u32(s->b, &s->pos, s->end));
        break;
    case 0x11:
    case 0x13:
        x = wc_emit_u32(s->b, &s->pos, s->end);
        y = wc_emit_u32(s->b, &s->pos, s->end);
        if (op == 0x11)
            do_call_indirect(s, x, y);
        else
            do_return_call_indirect(s, x, y);
        break;
    case 0x12:
        do_return_call(s, wc_emit_u32(s->b, &s->pos, s->end));
        break;
    case 0x1a: /* drop: pending expressions have no effect */
        drop_entries(s, s->height - 1);
        break;
    case 0x1c: /* select t*: one type */
        x = wc_emit_u32(s->b, &s->pos, s->end);
        s->pos += x;
        /* fall through */
    case 0x1b: {
        char *operands[3];
        pop_operands(s, 3, operands);
        uint8_t type = s->stack[s->height].type;
        as_condition(s, operands[2]);
        push_expr(s, type, dup_printf(s, "(%s ? %s : %s)", operands[2] ? operands[2] : "0",
                                      operands[0] ? operands[0] : "0", operands[1] ? operands[1] : "0"));
        free_operands(3, operands);
        break;
    }
    case 0x20:
        x = wc_emit_u32(s->b, &s->pos, s->end);
        push(s, s->local_types[x], dup_name(s, 'l', x, ""));
        break;
    case 0x21:
    case 0x22:
        do_local_set(s, wc_emit_u32(s->b, &s->pos, s->end), op == 0x22);
        break;
    case 0x23:
        x = wc_emit_u32(s->b, &s->pos, s->end);
        wc_emit_global(m, x, &text);
        push_expr(s, m->global_types[x]->valtype, wc_buf_cstr(&text) ? strdup((char *)text.data) : NULL);
        break;
    case 0x24: {
        x = wc_emit_u32(s->b, &s->pos, s->end);
        flush_below(s, 1);
        char *value = take(s, s->height - 1);
        s->height--;
        wc_buf_str(s->out, "  ");
        wc_emit_global(m, x, s->out);
        wc_buf_printf(s->out, " = %s;\n", value ? value : "0");
        free(value);
        break;
    }
    case 0x25: { /* table.get */
        x = wc_emit_u32(s->b, &s->pos, s->end);
        flush_all(s);
        char *operands[1];
        pop_operands(s, 1, operands);
        wc_buf_printf(&text, "%s_get(", table_kind(m, x));
        wc_emit_table(m, x, &text);
        wc_buf_printf(&text, ", %s)", operands[0] ? operands[0] : "0");
        free_operands(1, operands);
        push_statement(s, m->table_types[x]->elemtype,
                       wc_buf_cstr(&text) ? strdup((char *)text.data) : NULL);
        break;
    }
    case 0x26: /* table.set: i v */
        x = wc_emit_u32(s->b, &s->pos, s->end);
        wc_buf_printf(&text, "%s_set(", table_kind(m, x));
        wc_emit_table(m, x, &text);
        wc_buf_str(&text, ", ");
        statement(s, 2, (const char *)wc_buf_cstr(&text), ")");
        break;
    case 0x3f: /* memory.size */
        x = wc_emit_u32(s->b, &s->pos, s->end);
        if (m->memory_is64[x])
            push_expr(s, WC_VT_I64, dup_printf(s, "(u64)%s->pages", wc_emit_memory_at(m, x)));
        else
            push_expr(s, WC_VT_I32, dup_printf(s, "(u32)%s->pages", wc_emit_memory_at(m, x)));
        break;
    case 0x40: { /* memory.grow */
        x = wc_emit_u32(s->b, &s->pos, s->end);
        flush_all(s);
        char *operands[1];
        pop_operands(s, 1, operands);
        push_statement(s, m->memory_is64[x] ? WC_VT_I64 : WC_VT_I32,
                       dup_printf(s, "%s(%s, %s)", m->memory_is64[x] ? "wc_grow64" : "wasm_rt_grow_memory",
                                  wc_emit_memory_at(m, x), operands[0] ? operands[0] : "0"));
        free_operands(1, operands);
        break;
    }
    case 0x41:
        push(s, WC_VT_I32, dup_name(s, 0, (uint32_t)wc_emit_s64(s->b, &s->pos, s->end, 32), "u"));
        break;
    case 0x42:
        push(s, WC_VT_I64,
             dup_printf(s, "%" PRIu64 "ull", (uint64_t)wc_emit_s64(s->b, &s->pos, s->end, 64)));
        break;
    case 0x43: {
        uint32_t bits = 0;
        if (s->pos + 4 <= s->end)
            memcpy(&bits, s->b + s->pos, 4);
        s->pos += 4;
        wc_emit_f32_literal(bits, &text);
        push(s, WC_VT_F32, wc_buf_cstr(&text) ? strdup((char *)text.data) : NULL);
        break;
    }
    case 0x44: {
        uint64_t bits = 0;
        if (s->pos + 8 <= s->end)
            memcpy(&bits, s->b + s->pos, 8);
        s->pos += 8;
        wc_emit_f64_literal(bits, &text);
        push(s, WC_VT_F64, wc_buf_cstr(&text) ? strdup((char *)text.data) : NULL);
        break;
    }
    case 0xd0: /* ref.null t */
        x = s->pos < s->end ? s->b[s->pos++] : WC_VT_FUNCREF;
        push(s, (uint8_t)x, strdup(x == WC_VT_FUNCREF ? "wasm_rt_funcref_null_value"
                                                     : "((wasm_rt_externref_t)0)"));
        break;
    case 0xd1: { /* ref.is_null */
        make_simple(s, s->height - 1);
        uint8_t type = s->stack[s->height - 1].type;
        char *operands[1];
        pop_operands(s, 1, operands);
        push_expr(s, WC_VT_I32, dup_printf(s, type == WC_VT_FUNCREF ? "(u32)(%s.func == 0)" : "(u32)(%s == 0)",
                                           operands[0] ? operands[0] : "0"));
        free_operands(1, operands);
        break;
    }
    case 0xd2: /* ref.func */
        x = wc_emit_u32(s->b, &s->pos, s->end);
        push_expr(s, WC_VT_FUNCREF,
                  funcref_of(s, x));
        break;
    case 0xfc:
        do_prefixed(s);
        break;
    case 0xfd:
        do_simd(s);
        break;
    case 0xfe:
        do_atomic(s);
        break;
    default: /* not in a validated module */
        s->failed = true;
        break;
    }
    s->failed |= text.failed;
    wc_buf_free(&text);
    return false;
}

/* Immediates of instructions in dead code. */
static void skip_immediates(fn_state *s, uint8_t op)
{
    const uint8_t *b = s->b;
    if (op >= 0x28 && op <= 0x3e) {
        wc_emit_u32(b, &s->pos, s->end);
        wc_emit_u32(b, &s->pos, s->end);
        return;
    }
    switch (op) {
    case 0x02: case 0x03: case 0x04: case 0x06: {
        uint8_t byte = s->pos < s->end ? b[s->pos] : 0x40;
        if (byte == 0x40 || byte == WC_VT_I32 || byte == WC_VT_I64 || byte == WC_VT_F32 ||
            byte == WC_VT_F64 || byte == WC_VT_FUNCREF || byte == WC_VT_EXTERNREF ||
            byte == WC_VT_V128)
            s->pos++;
        else
            wc_emit_s64(b, &s->pos, s->end, 33);
        break;
    }
    case 0x0c: case 0x0d: case 0x10: case 0x12: case 0x20: case 0x21: case 0x22: case 0x23: case 0x24:
    case 0x25: case 0x26: case 0xd2: case 0x07: case 0x08: case 0x09: case 0x18:
        wc_emit_u32(b, &s->pos, s->end);
        break;
    case 0x0e: {
        uint32_t n = wc_emit_u32(b, &s->pos, s->end);
        for (uint64_t i = 0; i <= n && s->pos < s->end; i++)
            wc_emit_u32(b, &s->pos, s->end);
        break;
    }
    case 0x11: case 0x13:
        wc_emit_u32(b, &s->pos, s->end);
        wc_emit_u32(b, &s->pos, s->end);
        break;
    case 0x1c: {
        uint32_t n = wc_emit_u32(b, &s->pos, s->end);
        s->pos += n;
        break;
    }
    case 0x3f: case 0x40: case 0xd0:
        s->pos++;
        break;
    case 0x41: case 0x42:
        wc_emit_s64(b, &s->pos, s->end, 64);
        break;
    case 0x43:
        s->pos += 4;
        break;
    case 0x44:
        s->pos += 8;
        break;
    case 0xfd: {
        wc_simd_emit simd;
        wc_emit_simd_op(b, &s->pos, s->end, false, &simd);
        wc_buf_free(&simd.tmpl);
        break;
    }
    case 0xfe: {
        wc_atomic_emit atomic;
        wc_emit_atomic_read(b, &s->pos, s->end, &atomic);
        break;
    }
    case 0xfc: {
        uint32_t sub = wc_emit_u32(b, &s->pos, s->end);
        switch (sub) {
        case 8: wc_emit_u32(b, &s->pos, s->end); s->pos++; break;
        case 9: case 13: case 15: case 16: case 17: wc_emit_u32(b, &s->pos, s->end); break;
        case 10: s->pos += 2; break;
        case 11: s->pos++; break;
        case 12: case 14: wc_emit_u32(b, &s->pos, s->end); wc_emit_u32(b, &s->pos, s->end); break;
        default: break;
        }
        break;
    }
    default:
        break;
    }
}

/* Bytes of a try's body looked at for a call or a throw; a longer body
 * counts as one that may raise (nested tries would rescan it otherwise). */
#define TRY_SCAN_LIMIT 4096u

/* Whether the try body starting at s->pos (past its block type) may raise
 * an exception: a call, throw, rethrow or delegate before the catch,
 * catch_all, delegate or end that closes it. */
static bool try_body_may_raise(fn_state *s)
{
    size_t start = s->pos, limit = s->pos + TRY_SCAN_LIMIT;
    uint32_t nesting = 0;
    bool may_raise = true;
    while (s->pos < s->end && s->pos < limit) {
        uint8_t op = s->b[s->pos++];
        if (op == 0x08 || op == 0x09 || op == 0x18 || (op >= 0x10 && op <= 0x15))
            break; /* throw, rethrow, delegate, the calls */
        if (op == 0x02 || op == 0x03 || op == 0x04 || op == 0x06)
            nesting++;
        else if (op == 0x0b && nesting)
            nesting--;
        else if (nesting == 0 && (op == 0x0b || op == 0x07 || op == 0x19)) {
            may_raise = false;
            break;
        }
        skip_immediates(s, op);
    }
    s->pos = start;
    return may_raise;
}

/* Skips the instruction op in dead code, keeping track of nesting;
 * returns true at the `else` or `end` that ends the dead stretch. */
static bool skip_dead(fn_state *s, uint8_t op, uint32_t *nesting)
{
    if (op == 0x02 || op == 0x03 || op == 0x04 || op == 0x06) {
        skip_immediates(s, op);
        (*nesting)++;
        return false;
    }
    /* else, catch and catch_all end a dead stretch as end does; delegate
     * is its try's end */
    if (op == 0x0b || op == 0x05 || op == 0x07 || op == 0x19 || op == 0x18) {
        if (*nesting == 0)
            return true;
        if (op == 0x0b || op == 0x18)
            (*nesting)--;
        if (op != 0x19 && op != 0x05 && op != 0x0b)
            skip_immediates(s, op);
        return false;
    }
    skip_immediates(s, op);
    return false;
}

/* Whether libtcc's frame of this function may be as large as a page, so
 * that STACK_PROBE must touch it a page at a time before writing it (see
 * emit_prelude.c).  A smaller frame cannot jump the guard page below the
 * stack: its lowest write is less than a page below the memory already
 * touched (the return address, under a caller's frame that was small or
 * probed), so it faults in the guard page if it is past the end.  Probing
 * is skipped only where a bound on the frame is below a page: at most
 * FRAME_VALUE_BYTES for each parameter, local, slot, block-scoped
 * declaration (a brace in the body) and argument or result of its widest
 * call, and FRAME_TEMPORARY_BYTES for what libtcc spills evaluating one
 * expression (MAX_PENDING bounds them); a function with a try or a throw
 * (jmp_bufs, arrays of values) is probed always. */
#define FRAME_VALUE_BYTES 32u /* a funcref, the widest value */
#define FRAME_TEMPORARY_BYTES 1024u
#define GUARD_PAGE_BYTES 4096u

static bool needs_stack_probe(const fn_state *s, const wc_buf *body)
{
    if (!s->m->for_tcc || s->eh.used || s->throws)
        return true;
    uint64_t values = (uint64_t)s->nlocals + s->widest_call + 4; /* M, wc_D, H, instance */
    for (uint32_t h = 0; h < s->used_cap; h++)
        values += (uint32_t)__builtin_popcount(s->used[h]);
    const uint8_t *p = body->data, *end = body->data + body->len;
    while (p && values * FRAME_VALUE_BYTES < GUARD_PAGE_BYTES) { /* at most a page's worth */
        p = p < end ? memchr(p, '{', (size_t)(end - p)) : NULL;
        if (p) {
            values++;
            p++;
        }
    }
    return values * FRAME_VALUE_BYTES + FRAME_TEMPORARY_BYTES >= GUARD_PAGE_BYTES;
}

int wc_emit_function(const wc_emit_module *m, uint32_t index, wc_buf *out, wc_error *err)
{
    const wc_module_info *info = m->info;
    const wc_func *fn = &info->funcs[index];
    uint32_t func = info->nimported_funcs + index;
    uint32_t type = info->func_types[func];
    const wc_functype *ft = &info->types[type];

    fn_state s = {.m = m, .eh = {.builtin_jmp = !m->for_tcc}, .b = info->bytes, .end = fn->body_offset + fn->body_size, .type = type,
                  .tail = fn->tail_calls};
    wc_buf body;
    wc_buf_init(&body);
    s.out = &body;

    /* locals: parameters, then the declared ones (count, type)* */
    s.nlocals = ft->nparams + fn->nlocals;
    s.local_types = malloc((size_t)s.nlocals + 1);
    if (!s.local_types)
        return wc_error_set(err, WC_ENOMEM, "out of memory while emitting function %" PRIu32, func);
    memcpy(s.local_types, ft->params, ft->nparams);
    s.pos = fn->body_offset;
    uint32_t groups = wc_emit_u32(s.b, &s.pos, s.end);
    uint32_t at = ft->nparams;
    for (uint32_t g = 0; g < groups && s.pos < s.end; g++) {
        uint32_t count = wc_emit_u32(s.b, &s.pos, s.end);
        uint8_t vt = s.pos < s.end ? s.b[s.pos++] : WC_VT_I32;
        for (uint32_t i = 0; i < count && at < s.nlocals; i++)
            s.local_types[at++] = vt;
    }
    s.pos = fn->code_offset;

    frame *f = push_frame(&s, FRAME_FUNC);
    if (f) {
        f->results = ft->results;
        f->nresults = ft->nresults;
    }
    uint32_t nesting = 0;
    while (!s.failed && s.pos < s.end) {
        uint8_t op = s.b[s.pos++];
        if (s.dead && !skip_dead(&s, op, &nesting))
            continue;
        if (instruction(&s, op))
            break;
    }
    drop_entries(&s, 0);

    /* the function: signature, locals, slots, body; with a try and
     * glibc's _setjmp, locals are volatile (emit_exceptions.c) */
    const char *qualifier = s.eh.used && !s.eh.builtin_jmp ? "volatile " : "";
    if (s.tail) {
        wc_emit_tail_head(m, func, qualifier, out);
    } else {
        wc_emit_signature_qualified(m, func, qualifier, out);
        /* before any local is written */
        wc_buf_str(out, needs_stack_probe(&s, &body) ? " {\n  STACK_PROBE;\n" : " {\n");
    }
    for (uint32_t i = ft->nparams; i < s.nlocals; i++) {
        uint8_t vt = s.local_types[i];
        const char *decl[4] = {"  ", qualifier, wc_emit_ctype(vt), " "};
        for (size_t k = 0; k < 4; k++)
            wc_buf_str(out, decl[k]);
        append_name(out, 'l', i);
        wc_buf_str(out, vt == WC_VT_FUNCREF ? " = wasm_rt_funcref_null_value;\n"
                        : vt == WC_VT_V128  ? " = {0};\n"
                                            : " = 0;\n");
    }
    static const struct {
        char letter;
        const char *ctype;
    } kinds[] = {{'i', "u32"}, {'j', "u64"}, {'F', "f32"}, {'D', "f64"},
                 {'r', "wasm_rt_funcref_t"}, {'x', "wasm_rt_externref_t"}, {'V', "v128"}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        int bit = letter_bit(kinds[k].letter);
        bool any = false;
        for (uint32_t h = 0; h < s.used_cap; h++) {
            if (!(s.used[h] & bit))
                continue;
            if (!any) {
                wc_buf_str(out, "  ");
                wc_buf_str(out, kinds[k].ctype);
                wc_buf_str(out, " ");
            } else {
                wc_buf_str(out, ", ");
            }
            append_name(out, kinds[k].letter, h);
            any = true;
        }
        if (any)
            wc_buf_str(out, ";\n");
    }
    if (s.uses_memory)
        wc_buf_printf(out, "  u8 *const M = %s->data;\n", wc_emit_memory(m));
    if (s.uses_memory && m->track_writes) /* the map a memory keeps for life */
        wc_buf_printf(out, "  u32 *const wc_D = %s->dirty;\n", wc_emit_memory(m));
    wc_eh_declare(&s.eh, out);
    wc_buf_str(out, wc_emit_prologue(m));
    wc_buf_str(out, wc_emit_irq(m));
    wc_buf_append(out, body.data, body.len);
    wc_buf_str(out, "}\n\n");

    bool failed = s.failed || body.failed || s.eh.failed;
    wc_eh_free(&s.eh);
    wc_buf_free(&body);
    free(s.stack);
    free(s.frames);
    free(s.local_types);
    free(s.used);
    if (failed)
        return wc_error_set(err, WC_ENOMEM, "out of memory while emitting function %" PRIu32, func);
    return 0;
}
