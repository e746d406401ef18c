/* calculator.c -- the calculator plugin: `calculate` (a op b, the same tool
 * as the TypeScript SDK anchor in ../shared/anchors/ts-sdk) and `evaluate`
 * (an arithmetic expression, by recursive descent).
 *
 * The text of a result is the number as JavaScript's String(r) writes it,
 * so answers compare byte for byte with the anchor's.  One difference on
 * purpose: the anchor answers 0 for a division by zero; this plugin answers
 * isError "division by zero", which a caller can act on.
 */
#define WASMCAP_IMPLEMENTATION
#include "wasmcap.h"

#include <math.h>
#include <stdlib.h>

WASMCAP_MANIFEST_FILE("manifest.json");

/* Both tools answer the same way: the number as text and {"result": r}. */
static int answer(wasmcap_result *out, double r)
{
    if (!isfinite(r))
        return wasmcap_error(out, "the result is not a finite number (overflow)");
    char text[32];
    wasmcap_format_number(r, text);
    wasmcap_text(out, "%s", text);
    wasmcap_jw_kv_number(wasmcap_structured(out), "result", r);
    return 0;
}

static int calculate(const wasmcap_json *args, wasmcap_result *out)
{
    double a = wasmcap_json_number(wasmcap_json_get(args, "a"), NAN);
    double b = wasmcap_json_number(wasmcap_json_get(args, "b"), NAN);
    const char *op = wasmcap_json_string(wasmcap_json_get(args, "op"), "");
    if (isnan(a) || isnan(b))
        return wasmcap_error(out, "a and b must be numbers");
    if (op[0] == 0 || op[1] != 0)
        return wasmcap_error(out, "unknown operation '%s'; use + - * /", op);
    switch (op[0]) {
    case '+': return answer(out, a + b);
    case '-': return answer(out, a - b);
    case '*': return answer(out, a * b);
    case '/':
        if (b == 0)
            return wasmcap_error(out, "division by zero");
        return answer(out, a / b);
    default:
        return wasmcap_error(out, "unknown operation '%s'; use + - * /", op);
    }
}

/* ---- evaluate ---------------------------------------------------------- *
 *
 *   expr    = term { ("+" | "-") term }
 *   term    = unary { ("*" | "/" | "%") unary }
 *   unary   = ("-" | "+") unary | power
 *   power   = primary [ "^" unary ]          right-associative
 *   primary = number | "(" expr ")"
 */

#define MAX_DEPTH 64

typedef struct parser {
    const char *s, *p;
    int depth;
    const char *error; /* first error; NULL while fine */
    size_t error_at;
} parser;

static double fail(parser *ps, const char *what)
{
    if (!ps->error) {
        ps->error = what;
        ps->error_at = (size_t)(ps->p - ps->s);
    }
    return NAN;
}

static void skip(parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
        ps->p++;
}

static double expr(parser *ps);
static double unary(parser *ps);

static double primary(parser *ps)
{
    skip(ps);
    if (*ps->p == '(') {
        ps->p++;
        double v = expr(ps);
        skip(ps);
        if (ps->error)
            return NAN;
        if (*ps->p != ')')
            return fail(ps, "')' expected");
        ps->p++;
        return v;
    }
    if ((*ps->p >= '0' && *ps->p <= '9') || *ps->p == '.') {
        /* digits [. digits] [e [+-] digits]: strtod would also take hex,
         * inf and nan, so check the shape first */
        const char *q = ps->p;
        int digits = 0;
        while (*q >= '0' && *q <= '9')
            q++, digits++;
        if (*q == '.')
            for (q++; *q >= '0' && *q <= '9'; q++)
                digits++;
        if (!digits)
            return fail(ps, "number expected");
        if (*q == 'e' || *q == 'E') {
            const char *e = q + 1;
            if (*e == '+' || *e == '-')
                e++;
            if (*e >= '0' && *e <= '9') {
                while (*e >= '0' && *e <= '9')
                    e++;
                q = e;
            }
        }
        char *end;
        double v = strtod(ps->p, &end);
        if (end != q)
            return fail(ps, "malformed number");
        ps->p = q;
        return v;
    }
    return fail(ps, *ps->p ? "number or '(' expected" : "unexpected end of expression");
}

static double power(parser *ps)
{
    double base = primary(ps);
    skip(ps);
    if (ps->error || *ps->p != '^')
        return base;
    ps->p++;
    double e = unary(ps);
    return ps->error ? NAN : pow(base, e);
}

static double unary(parser *ps)
{
    skip(ps);
    if (*ps->p != '-' && *ps->p != '+')
        return power(ps);
    if (++ps->depth > MAX_DEPTH)
        return fail(ps, "expression nested too deeply");
    int neg = *ps->p == '-';
    ps->p++;
    double v = unary(ps);
    ps->depth--;
    return neg ? -v : v;
}

static double term(parser *ps)
{
    double v = unary(ps);
    for (;;) {
        skip(ps);
        char op = *ps->p;
        if (ps->error || (op != '*' && op != '/' && op != '%'))
            return v;
        ps->p++;
        const char *at = ps->p;
        double r = unary(ps);
        if (ps->error)
            return NAN;
        if ((op == '/' || op == '%') && r == 0) {
            ps->p = at - 1;
            return fail(ps, "division by zero");
        }
        v = op == '*' ? v * r : op == '/' ? v / r : fmod(v, r);
    }
}

static double expr(parser *ps)
{
    if (++ps->depth > MAX_DEPTH)
        return fail(ps, "expression nested too deeply");
    double v = term(ps);
    for (;;) {
        skip(ps);
        char op = *ps->p;
        if (ps->error || (op != '+' && op != '-'))
            break;
        ps->p++;
        double r = term(ps);
        v = op == '+' ? v + r : v - r;
    }
    ps->depth--;
    return v;
}

static int evaluate(const wasmcap_json *args, wasmcap_result *out)
{
    const wasmcap_json *e = wasmcap_json_get(args, "expression");
    if (!e || e->type != WASMCAP_JSON_STRING)
        return wasmcap_error(out, "expression must be a string");
    if (strlen(e->string) != e->len)
        return wasmcap_error(out, "expression contains a NUL character");
    parser ps = {e->string, e->string, 0, NULL, 0};
    double v = expr(&ps);
    skip(&ps);
    if (!ps.error && *ps.p)
        fail(&ps, *ps.p == ')' ? "unbalanced ')'" : "operator expected");
    if (ps.error)
        return wasmcap_error(out, "%s at character %zu of \"%s\"", ps.error, ps.error_at + 1,
                             e->string);
    return answer(out, v);
}

WASMCAP_TOOLS({"calculate", calculate}, {"evaluate", evaluate});
