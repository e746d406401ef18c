/* fit.h -- the supply-risk model's recipe, part 1: the fit.
 *
 * The model says how likely a SKU is to run out before it is restocked,
 * from two numbers: its days of cover (stock / daily demand) and the buffer
 * days the business wants to keep.  It is a logistic regression
 *     P(stockout) = 1 / (1 + e^-(w_cover * cover + w_buffer * buffer + bias))
 * fitted by Newton's method on synthetic history: SUPPLY_FIT_SAMPLES
 * (cover, buffer) pairs drawn by a fixed generator, each marked "ran out"
 * with the probability of the rule the plugin used before it had a model,
 * 1 / (1 + e^(0.5 * (cover - buffer))).  The fit is deterministic, so
 * write_model.c (which writes the .tflite file) and tests/test_supply_risk.c
 * (which checks that file against it) get the same coefficients.
 *
 * The quantization of the written model, per tensor, int8:
 *   input   f32 [1, 2] = (cover, buffer), QUANTIZE to scale 1/4, zero point
 *           -128: 0 to 63.75 days in quarter days (the plugin clamps to it)
 *   weights int8 [1, 2], scale max|w| / 127, zero point 0
 *   bias    int32 [1], scale input scale * weight scale
 *   logit   int8 [1, 1], scale 1/16, zero point 0: -8 to 7.94, past which
 *           the probability is within 0.0004 of 0 or 1
 *   P       LOGISTIC to int8, scale 1/256, zero point -128 (TFLite's fixed
 *           output quantization), then DEQUANTIZE to f32 [1, 1]
 */
#ifndef SUPPLY_RISK_FIT_H
#define SUPPLY_RISK_FIT_H

#include <math.h>
#include <stdint.h>

#define SUPPLY_FIT_SAMPLES 20000
#define SUPPLY_MAX_COVER 40.0
#define SUPPLY_MAX_BUFFER 20
#define SUPPLY_RULE_STEEPNESS 0.5

#define SUPPLY_INPUT_SCALE 0.25f
#define SUPPLY_INPUT_ZERO_POINT (-128)
#define SUPPLY_LOGIT_SCALE 0.0625f
#define SUPPLY_OUTPUT_SCALE (1.0f / 256)
#define SUPPLY_OUTPUT_ZERO_POINT (-128)

typedef struct supply_fit {
    double w_cover, w_buffer, bias;
} supply_fit;

/* A 64-bit LCG (Knuth's MMIX constants): the same draws everywhere. */
static inline double supply_uniform(uint64_t *state)
{
    *state = *state * 6364136223846793005u + 1442695040888963407u;
    return (double)(*state >> 11) / 9007199254740992.0;
}

static inline double supply_sigmoid(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

static inline double supply_fit_probability(const supply_fit *f, double cover, double buffer)
{
    return supply_sigmoid(f->w_cover * cover + f->w_buffer * buffer + f->bias);
}

/* Solves the 3x3 system a x = b in place (Gaussian elimination with
 * partial pivoting; the Hessian of a logistic fit is positive definite). */
static inline void supply_solve3(double a[3][3], double b[3])
{
    for (int c = 0; c < 3; c++) {
        int p = c;
        for (int r = c + 1; r < 3; r++)
            if (fabs(a[r][c]) > fabs(a[p][c]))
                p = r;
        for (int k = 0; k < 3; k++) {
            double t = a[c][k];
            a[c][k] = a[p][k];
            a[p][k] = t;
        }
        double t = b[c];
        b[c] = b[p];
        b[p] = t;
        for (int r = c + 1; r < 3; r++) {
            double m = a[r][c] / a[c][c];
            for (int k = c; k < 3; k++)
                a[r][k] -= m * a[c][k];
            b[r] -= m * b[c];
        }
    }
    for (int c = 2; c >= 0; c--) {
        for (int k = c + 1; k < 3; k++)
            b[c] -= a[c][k] * b[k];
        b[c] /= a[c][c];
    }
}

static inline supply_fit supply_fit_model(void)
{
    static double x[SUPPLY_FIT_SAMPLES][3];
    static double y[SUPPLY_FIT_SAMPLES];
    uint64_t state = 20261207;
    for (int i = 0; i < SUPPLY_FIT_SAMPLES; i++) {
        double cover = supply_uniform(&state) * SUPPLY_MAX_COVER;
        double buffer = floor(supply_uniform(&state) * (SUPPLY_MAX_BUFFER + 1));
        double truth = supply_sigmoid(SUPPLY_RULE_STEEPNESS * (buffer - cover));
        x[i][0] = cover;
        x[i][1] = buffer;
        x[i][2] = 1;
        y[i] = supply_uniform(&state) < truth;
    }
    double w[3] = {0, 0, 0};
    for (int iteration = 0; iteration < 30; iteration++) {
        double h[3][3] = {{0}}, g[3] = {0};
        for (int i = 0; i < SUPPLY_FIT_SAMPLES; i++) {
            double p = supply_sigmoid(w[0] * x[i][0] + w[1] * x[i][1] + w[2]);
            for (int r = 0; r < 3; r++) {
                g[r] += (p - y[i]) * x[i][r];
                for (int c = 0; c < 3; c++)
                    h[r][c] += p * (1 - p) * x[i][r] * x[i][c];
            }
        }
        supply_solve3(h, g);
        for (int r = 0; r < 3; r++)
            w[r] -= g[r];
    }
    return (supply_fit){w[0], w[1], w[2]};
}

static inline float supply_weight_scale(const supply_fit *f)
{
    double m = fmax(fabs(f->w_cover), fabs(f->w_buffer));
    return (float)(m / 127);
}

#endif
