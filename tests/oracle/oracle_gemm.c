/*
 * oracle_gemm.c -- the MPFR oracle of one GEMM / GEMV output (see
 * oracle_gemm.h), derived from include/truepoint.h (group "gemm") and
 * doc/accumulators.md:
 *  - values: orc_decode_f64 for element codes, orb_dequantize for block
 *    values (element x scale, exact in binary64);
 *  - terms: a product a * b of two such values has at most 60 significant
 *    bits, so it is split exactly (MPFR) into hi + lo, two binary64 values,
 *    and alpha * hi and alpha * lo go to the exact sum of oracle_acc.c as
 *    exact products of two binary64 values; special values and zeros are
 *    added as single terms with the sign the contract gives them;
 *  - rounding: ora_round (exact sum, one rounding, IEEE zero signs).
 * Shares no code with lib/.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gmp.h>
#include <mpfr.h>

#include "oracle.h"
#include "oracle_acc.h"
#include "oracle_block.h"
#include "oracle_gemm.h"

static double d_of(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

static float f_of(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* Block size of a block descriptor as the documentation fixes it. */
static size_t blk_size(const tp_block_desc *b)
{
    switch (b->format) {
    case TP_BLOCK_NVFP4: return 16;
    case TP_BLOCK_BFP: return b->block_size;
    default: return 32;
    }
}

int org_values(const org_vec *x, size_t k, double *v, unsigned *flags)
{
    unsigned f = 0;
    if (x == NULL || (x->fmt == NULL) == (x->blk == NULL))
        return -1;
    if (x->fmt != NULL) {
        size_t inc = x->inc ? x->inc : 1;
        for (size_t i = 0; i < k; i++) {
            uint64_t bits;
            if (orc_decode_f64(x->fmt, x->codes[i * inc], &bits, &f) != 0)
                return -1;
            v[i] = d_of(bits);
        }
    } else {
        size_t bs = blk_size(x->blk);
        if (bs == 0 || bs > 256 || k % bs != 0)
            return -1;
        uint64_t b64[256];
        uint32_t b32[256];
        for (size_t blk = 0; blk < k / bs; blk++) {
            uint32_t s = x->scales[blk];
            if (x->blk->format == TP_BLOCK_NVFP4 && s >= 0x80)
                f |= TP_FLAG_INVALID;
            if (orb_dequantize(x->blk, s, x->codes + blk * bs, x->tensor_scale, b64, b32, NULL) !=
                0)
                return -1;
            for (size_t j = 0; j < bs; j++)
                v[blk * bs + j] = d_of(b64[j]);
        }
    }
    if (flags != NULL)
        *flags |= f;
    return 0;
}

int org_values_f32(const org_vec *x, size_t k, float *v)
{
    if (x == NULL || (x->fmt == NULL) == (x->blk == NULL))
        return -1;
    if (x->fmt != NULL) {
        size_t inc = x->inc ? x->inc : 1;
        for (size_t i = 0; i < k; i++) {
            uint32_t bits;
            unsigned junk = 0;
            if (orc_decode_f32(x->fmt, x->codes[i * inc], &bits, &junk) != 0)
                return -1;
            v[i] = f_of(bits);
        }
        return 0;
    }
    size_t bs = blk_size(x->blk);
    if (bs == 0 || bs > 256 || k % bs != 0)
        return -1;
    uint64_t b64[256];
    uint32_t b32[256];
    for (size_t blk = 0; blk < k / bs; blk++) {
        unsigned junk = 0;
        if (orb_dequantize(x->blk, x->scales[blk], x->codes + blk * bs, x->tensor_scale, b64, b32,
                           &junk) != 0)
            return -1;
        for (size_t j = 0; j < bs; j++)
            v[blk * bs + j] = f_of(b32[j]);
    }
    return 0;
}

/* Appends the exact term alpha * a * b (alpha finite and nonzero). */
static void add_prod3(ora_sum *s, mpfr_t p, mpfr_t r, double alpha, double a, double b)
{
    if (isnan(a) || isnan(b)) {
        ora_add_f64(s, NAN); /* a propagated NaN */
        return;
    }
    int neg = (signbit(a) != 0) ^ (signbit(b) != 0) ^ (alpha < 0);
    if (isinf(a) || isinf(b)) {
        if (a == 0.0 || b == 0.0)
            ora_add_prod_f64(s, 0.0, INFINITY); /* 0 x Inf: an invalid NaN */
        else
            ora_add_f64(s, neg ? -INFINITY : INFINITY);
        return;
    }
    if (a == 0.0 || b == 0.0) {
        ora_add_f64(s, neg ? -0.0 : 0.0);
        return;
    }
    mpfr_set_d(p, a, MPFR_RNDN);
    mpfr_mul_d(p, p, b, MPFR_RNDN); /* exact: at most 106 bits */
    double hi = mpfr_get_d(p, MPFR_RNDN);
    mpfr_sub_d(r, p, hi, MPFR_RNDN); /* exact */
    double lo = mpfr_get_d(r, MPFR_RNDN);
    mpfr_sub_d(r, r, lo, MPFR_RNDN);
    if (!mpfr_zero_p(r) || isinf(hi))
        abort(); /* the split must be exact: values of at most 53 bits in range */
    ora_add_prod_f64(s, alpha, hi);
    if (lo != 0.0)
        ora_add_prod_f64(s, alpha, lo);
}

void org_terms(ora_sum *s, const double *va, const double *vb, size_t k, double alpha,
               double beta, double c)
{
    if (alpha != 0.0 && k > 0) {
        mpfr_t p, r;
        mpfr_inits2(128, p, r, (mpfr_ptr)0);
        for (size_t i = 0; i < k; i++)
            add_prod3(s, p, r, alpha, va[i], vb[i]);
        mpfr_clears(p, r, (mpfr_ptr)0);
    }
    if (beta != 0.0)
        ora_add_prod_f64(s, beta, c); /* c NaN: propagated; c Inf: +-Inf */
}

int org_gemm1(const org_vec *a, const org_vec *b, size_t k, double alpha, double beta,
              const tp_format_desc *cfmt, uint64_t c, tp_round rnd, tp_overflow ovf,
              uint32_t rbits, uint64_t *code, unsigned *flags)
{
    unsigned f = 0;
    double cv = 0.0;
    if (cfmt == NULL || code == NULL || !isfinite(alpha) || !isfinite(beta))
        return -1;
    double *va = NULL, *vb = NULL;
    if (alpha != 0.0 && k > 0) {
        va = malloc(k * sizeof *va);
        vb = malloc(k * sizeof *vb);
        if (va == NULL || vb == NULL)
            abort();
        if (org_values(a, k, va, &f) != 0 || org_values(b, k, vb, &f) != 0) {
            free(va);
            free(vb);
            return -1;
        }
    }
    if (beta != 0.0) {
        uint64_t bits;
        if (orc_decode_f64(cfmt, c, &bits, &f) != 0) {
            free(va);
            free(vb);
            return -1;
        }
        cv = d_of(bits);
    }
    ora_sum *s = ora_new();
    org_terms(s, va, vb, va != NULL ? k : 0, alpha, beta, cv);
    int rc = ora_round(s, cfmt, rnd, ovf, rbits, code, &f);
    ora_free(s);
    free(va);
    free(vb);
    if (rc == 0 && flags != NULL)
        *flags |= f;
    return rc;
}

float org_fast_sum(const float *va, const float *vb, size_t k)
{
    float lane[16];
    for (int l = 0; l < 16; l++)
        lane[l] = 0.0f;
    for (size_t i = 0; i < k; i++)
        lane[i % 16] = fmaf(va[i], vb[i], lane[i % 16]);
    for (int w = 8; w >= 1; w /= 2)
        for (int l = 0; l < w; l++)
            lane[l] = lane[l] + lane[l + w];
    return lane[0];
}

/* With alpha == 0 no product is formed (the BLAS convention of the group
 * text): the lanes stay +0, so s = +0 and t = alpha * s (-0 for alpha = -0). */
int org_fast1(const float *va, const float *vb, size_t k, double alpha, double beta,
              const tp_format_desc *cfmt, uint64_t c, tp_round rnd, tp_overflow ovf,
              uint32_t rbits, uint64_t *code, unsigned *flags)
{
    if (cfmt == NULL || code == NULL || !isfinite(alpha) || !isfinite(beta))
        return -1;
    float s = alpha != 0.0 ? org_fast_sum(va, vb, k) : 0.0f;
    volatile double t = alpha * (double)s;
    if (beta != 0.0) {
        uint64_t bits;
        unsigned junk = 0;
        if (orc_decode_f64(cfmt, c, &bits, &junk) != 0)
            return -1;
        volatile double bc = beta * d_of(bits);
        t = t + bc;
    }
    if (t != t) /* the documented FAST order takes a NaN as the default quiet NaN */
        t = (double)NAN;
    unsigned f = 0;
    if (orc_encode(cfmt, t, rnd, ovf, rbits, code, &f) != 0)
        return -1;
    if (flags != NULL)
        *flags |= f;
    return 0;
}
