/* fold.c -- fold wasm2c's integer temporaries into expressions, for libtcc.
 *
 * wasm2c writes one C statement per stack-machine operation through
 * temporaries:
 *
 *     w2c_j0 = w2c_l2;  w2c_j1 = 3ull;  w2c_j0 *= w2c_j1;  w2c_l2 = w2c_j0;
 *
 * gcc folds these away; libtcc, which has no register allocation across
 * statements, stores and reloads every temporary.  This pass rewrites the
 * generated function bodies so that a pure integer expression assigned to a
 * temporary is carried forward and substituted where the temporary is read:
 *
 *     w2c_l2 = ((u64)(w2c_l2 * 3ull));
 *
 * It is deliberately conservative, working line by line on wasm2c's regular
 * output:
 * - only i32/i64 temporaries (w2c_i<N>, w2c_j<N>) are carried, and only
 *   when their expression is pure: locals, parameters, other temporaries,
 *   integer literals, casts and operators that cannot trap (no division, no
 *   memory, no globals, no calls except the bit-counting macros);
 * - a substituted expression is cast to the temporary's type, so values
 *   wrap exactly as the assignment would have wrapped them;
 * - a carried expression never reads a carried variable (those are
 *   substituted), so carried expressions can be written out in any order;
 * - before a variable is assigned, every carried expression that reads it
 *   is written out first, so expressions always see the values they saw;
 * - at every line that is not a plain statement (labels, branches, braces,
 *   returns) every carried expression is written out, so values that flow
 *   across branches are in their variables exactly as wasm2c left them;
 * - anything not understood is left alone after writing everything out.
 *
 * Only the fast tier compiles the folded text; gcc gets wasm2c's own.
 */
#define _GNU_SOURCE /* memmem */
#include "engine/fold.h"
#include "engine/instrument.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PENDING 64
#define MAX_EXPR 480 /* longer expressions are written out instead */

typedef struct pending {
    char name[16]; /* w2c_i3 */
    char expr[MAX_EXPR + 1];
    bool consumed; /* read by a later line: wasm2c pops a stack temporary once */
} pending;

typedef struct folder {
    wc_buf *out;
    const char *indent; /* of the line being processed */
    size_t indent_len;
    pending items[MAX_PENDING];
    int n;
} folder;

static bool is_ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* Length of a variable token like w2c_i12 at s for one of `kinds`, or 0. */
static size_t var_token(const char *s, const char *kinds)
{
    if (strncmp(s, "w2c_", 4) != 0 || !s[4] || !strchr(kinds, s[4]))
        return 0;
    size_t n = 5;
    if (!isdigit((unsigned char)s[n]))
        return 0;
    while (isdigit((unsigned char)s[n]))
        n++;
    return is_ident_char(s[n]) ? 0 : n;
}

static int find(const folder *f, const char *name, size_t len)
{
    for (int i = 0; i < f->n; i++)
        if (strlen(f->items[i].name) == len && memcmp(f->items[i].name, name, len) == 0)
            return i;
    return -1;
}

/* Does text mention the variable `name` as a whole token? */
static bool mentions(const char *text, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = strstr(text, name); p; p = strstr(p + 1, name)) {
        bool start_ok = p == text || !is_ident_char(p[-1]);
        if (start_ok && !is_ident_char(p[len]))
            return true;
    }
    return false;
}

static void write_item(folder *f, int i)
{
    wc_buf_append(f->out, f->indent, f->indent_len);
    wc_buf_printf(f->out, "%s = %s;\n", f->items[i].name, f->items[i].expr);
}

static void drop(folder *f, int i)
{
    memmove(&f->items[i], &f->items[i + 1], (size_t)(f->n - i - 1) * sizeof f->items[0]);
    f->n--;
}

/* Writes out what is still needed (a consumed temporary is dead: wasm2c
 * read it as it popped it) and forgets everything carried. */
static void flush_all(folder *f)
{
    for (int i = 0; i < f->n; i++)
        if (!f->items[i].consumed)
            write_item(f, i);
    f->n = 0;
}

/* Before `name` is assigned: the carried expressions that read it are
 * written out (or forgotten, if consumed).  Order does not matter: carried
 * expressions read no carried variable. */
static void flush_readers(folder *f, const char *name)
{
    for (int i = 0; i < f->n;) {
        if (mentions(f->items[i].expr, name)) {
            if (!f->items[i].consumed)
                write_item(f, i);
            drop(f, i);
        } else {
            i++;
        }
    }
}

/* Marks the items substitute() used as consumed, once its output is kept. */
static void consume(folder *f, uint64_t used)
{
    for (int i = 0; i < f->n; i++)
        if (used & (1ull << i))
            f->items[i].consumed = true;
}

/* Is text (an expression) made only of what folding may carry? */
static bool is_pure(const char *s, size_t len)
{
    static const char *const allowed[] = {
        "u32", "u64", "s32", "s64", "u16", "s16", "u8", "s8",
        "I32_ROTL", "I32_ROTR", "I64_ROTL", "I64_ROTR",
    };
    /* The interrupt check reads the flag into a temporary for the `if` on
     * the next line: carrying that read moves it by nothing. */
    static const char flag[] = "instance->w2c_" WC_INTERRUPT_EXPORT;
    while (len && *s == ' ')
        s++, len--;
    if (len == sizeof flag - 1 && memcmp(s, flag, len) == 0)
        return true;
    for (size_t i = 0; i < len;) {
        char c = s[i];
        if (c == ' ' || strchr("+-*&|^~!<>=?:()", c)) {
            i++;
        } else if (isdigit((unsigned char)c)) {
            while (i < len && (isdigit((unsigned char)s[i]) || s[i] == 'u' || s[i] == 'l'))
                i++;
            if (i < len && is_ident_char(s[i]))
                return false; /* hex, float or suffix we do not know */
        } else if (is_ident_char(c)) {
            size_t n = var_token(s + i, "ijlp");
            if (!n) {
                n = 0;
                while (i + n < len && is_ident_char(s[i + n]))
                    n++;
                bool ok = false;
                for (size_t k = 0; k < sizeof allowed / sizeof allowed[0]; k++)
                    if (strlen(allowed[k]) == n && memcmp(allowed[k], s + i, n) == 0)
                        ok = true;
                if (!ok)
                    return false;
            }
            i += n;
        } else {
            return false; /* '/', '%', '.', '[', '"', ',' ... */
        }
    }
    return true;
}

/* Appends text with every carried temporary replaced by its expression
 * (cast to the temporary's type).  `skip` (may be NULL) is left alone: the
 * variable a line assigns.  *used gets a bit per item substituted.  Returns
 * false if the result grows too long. */
static bool substitute(const folder *f, const char *s, size_t len, const char *skip, wc_buf *out,
                       uint64_t *used)
{
    size_t start = out->len;
    for (size_t i = 0; i < len;) {
        size_t n = (i == 0 || !is_ident_char(s[i - 1])) ? var_token(s + i, "ij") : 0;
        int k = n ? find(f, s + i, n) : -1;
        if (k >= 0 && !(skip && s + i == skip)) {
            *used |= 1ull << k;
            const char *expr = f->items[k].expr;
            bool simple = var_token(expr, "ijlp") == strlen(expr) || isdigit((unsigned char)expr[0]);
            for (const char *p = expr; simple && *p; p++)
                if (!is_ident_char(*p))
                    simple = false;
            if (simple)
                wc_buf_str(out, expr);
            else
                wc_buf_printf(out, "((%s)(%s))", s[i + 4] == 'i' ? "u32" : "u64", expr);
            i += n;
        } else if (n) {
            wc_buf_append(out, s + i, n);
            i += n;
        } else {
            wc_buf_byte(out, (uint8_t)s[i]);
            i++;
        }
        if (out->len - start > MAX_EXPR)
            return false;
    }
    return true;
}

static const char *const compound_ops[] = {"<<=", ">>=", "+=", "-=", "*=", "&=", "|=", "^="};

/* One line of a function body (without its newline). */
static void fold_line(folder *f, const char *line, size_t len)
{
    const char *s = line;
    while (s < line + len && (*s == ' ' || *s == '\t'))
        s++;
    f->indent = line;
    f->indent_len = (size_t)(s - line);
    size_t rest = len - f->indent_len;
    bool statement = rest > 1 && s[rest - 1] == ';';

    /* w2c_T = EXPR;  or  w2c_T op= EXPR;  with T an integer temporary */
    size_t t = var_token(s, "ij");
    if (statement && t) {
        const char *after = s + t;
        while (*after == ' ')
            after++;
        const char *op = NULL;
        size_t op_len = 0;
        if (after[0] == '=' && after[1] != '=') {
            op = "=";
            op_len = 1;
        } else {
            for (size_t k = 0; k < sizeof compound_ops / sizeof compound_ops[0]; k++)
                if (strncmp(after, compound_ops[k], strlen(compound_ops[k])) == 0)
                    op = compound_ops[k], op_len = strlen(op);
        }
        if (op) {
            const char *rhs = after + op_len;
            size_t rhs_len = (size_t)(s + rest - 1 - rhs); /* without ';' */
            if (is_pure(rhs, rhs_len) && f->n < MAX_PENDING) {
                wc_buf expr;
                wc_buf_init(&expr);
                bool ok = true;
                uint64_t used = 0;
                if (op_len > 1) {
                    /* T op= R  →  T op (R), with T's own carried value */
                    ok = substitute(f, s, t, NULL, &expr, &used);
                    wc_buf_byte(&expr, ' ');
                    wc_buf_append(&expr, op, op_len - 1);
                    wc_buf_str(&expr, " (");
                }
                ok = ok && substitute(f, rhs, rhs_len, NULL, &expr, &used);
                if (op_len > 1)
                    wc_buf_byte(&expr, ')');
                const char *text = wc_buf_cstr(&expr);
                char name[16];
                memcpy(name, s, t);
                name[t] = 0;
                /* Invariant: a carried expression reads no carried variable,
                 * so they can be written out in any order.  T = f(T) with T
                 * not carried would break it: write such a line as is. */
                if (ok && text && expr.len <= MAX_EXPR && !mentions(text, name)) {
                    consume(f, used);
                    int old = find(f, name, t);
                    if (old >= 0)
                        drop(f, old);
                    flush_readers(f, name);
                    pending *p = &f->items[f->n++];
                    memcpy(p->name, name, t + 1);
                    p->consumed = false;
                    /* strip the leading blanks the operators leave */
                    while (*text == ' ')
                        text++;
                    snprintf(p->expr, sizeof p->expr, "%s", text);
                    wc_buf_free(&expr);
                    return;
                }
                wc_buf_free(&expr);
            }
        }
    }

    /* Any other line: substitute what it reads, write out what it needs. */
    size_t assigned = var_token(s, "ijfdlp");
    bool plain = statement && (assigned || strncmp(s, "i32_store", 9) == 0 ||
                               strncmp(s, "i64_store", 9) == 0 || strncmp(s, "f32_store", 9) == 0 ||
                               strncmp(s, "f64_store", 9) == 0);
    bool control = strncmp(s, "if (", 4) == 0 || strncmp(s, "switch (", 8) == 0;
    /* w2c_lN = w2c_T;  with T carried: the local gets T's expression and T
     * is carried on as the local (local.tee keeps the value on the stack). */
    size_t local = var_token(s, "lp");
    if (statement && local && strncmp(s + local, " = ", 3) == 0) {
        const char *rhs = s + local + 3;
        size_t tlen = var_token(rhs, "ij");
        int k = tlen && rhs + tlen == s + rest - 1 ? find(f, rhs, tlen) : -1;
        if (k >= 0) {
            char name[16];
            memcpy(name, s, local);
            name[local] = 0;
            pending carried = f->items[k];
            drop(f, k);
            flush_readers(f, name);
            wc_buf_append(f->out, f->indent, f->indent_len);
            wc_buf_printf(f->out, "%s = %s;\n", name, carried.expr);
            pending *p = &f->items[f->n++];
            memcpy(p->name, carried.name, sizeof p->name);
            snprintf(p->expr, sizeof p->expr, "%s", name);
            p->consumed = false; /* local.tee leaves the value on the stack */
            return;
        }
    }
    if (plain && memmem(s, rest, "goto", 4) == NULL && memchr(s, '{', rest) == NULL) {
        wc_buf line_out;
        wc_buf_init(&line_out);
        const char *skip = assigned ? s : NULL;
        uint64_t used = 0;
        if (substitute(f, s, rest, skip, &line_out, &used) && wc_buf_cstr(&line_out)) {
            consume(f, used);
            if (assigned) {
                char name[16];
                memcpy(name, s, assigned);
                name[assigned] = 0;
                int old = find(f, name, assigned);
                if (old >= 0)
                    drop(f, old);
                flush_readers(f, name);
            }
            wc_buf_append(f->out, f->indent, f->indent_len);
            wc_buf_append(f->out, line_out.data, line_out.len);
            wc_buf_byte(f->out, '\n');
            wc_buf_free(&line_out);
            return;
        }
        wc_buf_free(&line_out);
    } else if (control) {
        /* Only the condition is substituted: what follows it on the line
         * (`{w2c_i0 = w2c_i1; goto w2c_B1;}`) runs after everything carried
         * has been written out. */
        const char *open = strchr(s, '(');
        int depth = 0;
        const char *close = NULL;
        for (const char *p = open; p && p < s + rest; p++) {
            if (*p == '(')
                depth++;
            else if (*p == ')' && --depth == 0) {
                close = p;
                break;
            }
        }
        wc_buf cond;
        wc_buf_init(&cond);
        uint64_t used = 0;
        /* `if (w2c_i0)` tests only zero or not, which the cast to the
         * temporary's type cannot change: leave it out, so libtcc compiles a
         * comparison into a compare-and-branch. */
        size_t only = close ? var_token(open + 1, "ij") : 0;
        int k = only && open + 1 + only == close ? find(f, open + 1, only) : -1;
        if (k >= 0) {
            wc_buf_printf(&cond, "(%s", f->items[k].expr);
            used = 1ull << k;
        } else if (!close || !substitute(f, open, (size_t)(close - open), NULL, &cond, &used)) {
            close = NULL;
        }
        if (close && wc_buf_cstr(&cond)) {
            consume(f, used);
            flush_all(f);
            wc_buf_append(f->out, f->indent, f->indent_len);
            wc_buf_append(f->out, s, (size_t)(open - s));
            wc_buf_append(f->out, cond.data, cond.len);
            wc_buf_append(f->out, close, (size_t)(s + rest - close));
            wc_buf_byte(f->out, '\n');
            wc_buf_free(&cond);
            return;
        }
        wc_buf_free(&cond);
    }
    flush_all(f);
    wc_buf_append(f->out, line, len);
    wc_buf_byte(f->out, '\n');
}

static bool starts_body(const char *line, size_t len)
{
    return len > 2 && strncmp(line, "static ", 7) == 0 && line[len - 1] == '{' &&
           line[len - 2] == ' ' && memmem(line, len, "_instance_t* instance", 21) != NULL;
}

void wc_fold_temporaries(const char *text, wc_buf *out)
{
    folder *fp = calloc(1, sizeof *fp); /* about 32 KiB: not on the stack */
    if (!fp) {
        wc_buf_str(out, text);
        return;
    }
    fp->out = out;
    bool in_body = false;
    const char *line = text;
    while (*line) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (!in_body) {
            wc_buf_append(out, line, len);
            if (eol)
                wc_buf_byte(out, '\n');
            in_body = starts_body(line, len);
        } else if (len == 1 && line[0] == '}') {
            fp->indent = "  ";
            fp->indent_len = 2;
            flush_all(fp);
            wc_buf_str(out, "}\n");
            in_body = false;
        } else {
            fold_line(fp, line, len);
        }
        if (!eol)
            break;
        line = eol + 1;
    }
    free(fp);
}
