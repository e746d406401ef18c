/* test_fold.c -- the fast tier's folding of wasm2c temporaries, on the
 * patterns that broke it while it was written (the spec suite on the fast
 * tier checks it on real modules; these pin the reasons down). */
#include <stdio.h>
#include <string.h>

#include "engine/fold.h"

static int failures;

#define HEAD "static u32 w2c_f0(Z_m_instance_t* instance, u32 w2c_p0, u32 w2c_p1) {\n"

static void check(const char *name, const char *body, const char *want)
{
    char in[4096], expect[4096];
    snprintf(in, sizeof in, HEAD "%s}\n", body);
    snprintf(expect, sizeof expect, HEAD "%s}\n", want);
    wc_buf out;
    wc_buf_init(&out);
    wc_fold_temporaries(in, &out);
    const char *got = wc_buf_cstr(&out);
    if (!got || strcmp(got, expect) != 0) {
        failures++;
        fprintf(stderr, "FAIL %s\n--- want\n%s--- got\n%s", name, expect, got ? got : "(null)");
    }
    wc_buf_free(&out);
}

int main(void)
{
    /* a chain of pure operations becomes one expression */
    check("chain",
          "  w2c_i0 = w2c_p0;\n  w2c_i1 = 3u;\n  w2c_i0 *= w2c_i1;\n  w2c_p1 = w2c_i0;\n",
          "  w2c_p1 = w2c_p0 * ( 3u);\n  w2c_i0 = w2c_p1;\n"); /* i0 may still be read */

    /* T = f(T) with T not carried is written as is: carrying it would make
     * a later reader see T after the write instead of before */
    check("self reference",
          "  w2c_i1 = i32_load8_u(&instance->w2c_M0, (u64)(w2c_p0));\n"
          "  w2c_i2 = 8u;\n  w2c_i1 <<= (w2c_i2 & 31);\n  w2c_i0 = w2c_p1;\n  w2c_i0 |= w2c_i1;\n"
          "  return w2c_i0;\n",
          "  w2c_i1 = i32_load8_u(&instance->w2c_M0, (u64)(w2c_p0));\n"
          "  w2c_i1 <<= (8u & 31);\n  w2c_i0 = w2c_p1 | ( w2c_i1);\n  return w2c_i0;\n");

    /* only the condition of a branch line is substituted; what the braces
     * do runs after everything needed has been written out */
    check("branch with a move",
          "  w2c_i0 = 2u;\n  w2c_i1 = w2c_p1;\n  if (w2c_p0) {w2c_i0 = w2c_i1; goto w2c_B1;}\n"
          "  w2c_B1:;\n  return w2c_i0;\n",
          "  w2c_i0 = 2u;\n  w2c_i1 = w2c_p1;\n  if (w2c_p0) {w2c_i0 = w2c_i1; goto w2c_B1;}\n"
          "  w2c_B1:;\n  return w2c_i0;\n");

    /* local.tee: the local gets the value and the temporary stays readable */
    check("tee",
          "  w2c_i0 = w2c_p0;\n  w2c_i1 = 1u;\n  w2c_i0 += w2c_i1;\n  w2c_p1 = w2c_i0;\n"
          "  w2c_p0 = w2c_i0;\n",
          "  w2c_p1 = w2c_p0 + ( 1u);\n  w2c_p0 = w2c_p1;\n  w2c_i0 = w2c_p0;\n");

    /* a value read by nothing before a branch is written out for the target */
    check("value across a branch",
          "  w2c_i0 = 7u;\n  w2c_i1 = w2c_p0;\n  if (w2c_i1) {goto w2c_B0;}\n",
          "  w2c_i0 = 7u;\n  if (w2c_p0) {goto w2c_B0;}\n");

    /* an assignment to a variable a carried expression reads writes it first */
    check("reader written first",
          "  w2c_i0 = w2c_p0;\n  w2c_i1 = 1u;\n  w2c_i0 += w2c_i1;\n  w2c_p0 = 5u;\n  w2c_p1 = w2c_i0;\n",
          "  w2c_i0 = w2c_p0 + ( 1u);\n  w2c_p0 = 5u;\n  w2c_p1 = w2c_i0;\n");

    /* division and memory are never carried */
    check("impure right-hand sides",
          "  w2c_i0 = I32_DIV_S(w2c_p0, w2c_p1);\n  w2c_i1 = instance->w2c_g0;\n"
          "  w2c_i0 += w2c_i1;\n  w2c_p0 = w2c_i0;\n",
          "  w2c_i0 = I32_DIV_S(w2c_p0, w2c_p1);\n  w2c_i1 = instance->w2c_g0;\n"
          "  w2c_i0 += w2c_i1;\n  w2c_p0 = w2c_i0;\n"); /* i0 = f(i0): not carried */

    /* lines it does not understand are left alone, after writing everything */
    check("unknown line",
          "  w2c_i0 = w2c_p0;\n  w2c_i1 = w2c_p1;\n  instance->w2c_g0 = w2c_i1;\n  w2c_p0 = w2c_i0;\n",
          "  w2c_i0 = w2c_p0;\n  w2c_i1 = w2c_p1;\n  instance->w2c_g0 = w2c_i1;\n  w2c_p0 = w2c_i0;\n");

    /* a condition that is one carried temporary becomes its expression */
    check("condition",
          "  w2c_i0 = w2c_p0;\n  w2c_i1 = 9u;\n  w2c_i0 = w2c_i0 < w2c_i1;\n  if (w2c_i0) {goto w2c_L1;}\n",
          "  if (w2c_p0 < 9u) {goto w2c_L1;}\n");

    /* the interrupt check reads the flag in the condition itself */
    check("interrupt check",
          "  w2c_i0 = instance->w2c_wcirq;\n  if (w2c_i0) {\n    UNREACHABLE;\n  }\n",
          "  if (instance->w2c_wcirq) {\n    UNREACHABLE;\n  }\n");

    if (failures) {
        fprintf(stderr, "test_fold: %d failures\n", failures);
        return 1;
    }
    printf("test_fold: all passed\n");
    return 0;
}
