/*
 * oracle_acc.c -- the MPFR oracle of the exact accumulators (see
 * oracle_acc.h).  Deliberately naive: the terms are kept as exact MPFR
 * numbers, summed by mpfr_sum in a precision that makes the sum exact, and
 * rounded:
 *  - to binary64 by a direct rounding written here from doc/semantics.md
 *    (integer significand t, fraction f, the table of rounding modes);
 *  - to every other format through orc_encode of a binary64 that rounds the
 *    same way: the exact sum rounded to odd at 53 bits.  Round to odd at
 *    p >= q + 2 bits followed by any rounding to q bits equals the direct
 *    rounding (every other format has at most 24 significant bits, and
 *    their ranges lie far inside binary64's); values beyond 2^1000 or below
 *    2^-1000 are clamped there, which changes no rounding.  Stochastic
 *    rounding needs 32 bits of fraction, so it is decided here exactly
 *    (f * 2^32 > r) and carried out as a truncation or a rounding away.
 * Shares no code with lib/.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gmp.h>
#include <mpfr.h>

#include "oracle.h"
#include "oracle_acc.h"

#define ORA_PREC 128    /* every term: a product of two 53-bit values */
#define ORA_SUMPREC 4800 /* > 2^-2148 .. 2^2048 plus 2^60 terms of carries */

struct ora_sum {
    size_t n, cap;
    mpfr_t *t;
    int invalid; /* a 0 x Inf product was added */
    int cached[2];  /* cache of the exact sum (RNDN, RNDD zero sign) */
    mpfr_t cs[2];
};

ora_sum *ora_new(void)
{
    ora_sum *s = calloc(1, sizeof *s);
    if (s == NULL)
        abort();
    mpfr_init2(s->cs[0], ORA_SUMPREC);
    mpfr_init2(s->cs[1], ORA_SUMPREC);
    return s;
}

void ora_clear(ora_sum *s)
{
    for (size_t i = 0; i < s->n; i++)
        mpfr_clear(s->t[i]);
    s->n = 0;
    s->invalid = 0;
    s->cached[0] = s->cached[1] = 0;
}

void ora_free(ora_sum *s)
{
    if (s == NULL)
        return;
    ora_clear(s);
    mpfr_clear(s->cs[0]);
    mpfr_clear(s->cs[1]);
    free(s->t);
    free(s);
}

size_t ora_count(const ora_sum *s)
{
    return s->n;
}

static mpfr_ptr push(ora_sum *s)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        mpfr_t *t = realloc(s->t, cap * sizeof *t);
        if (t == NULL)
            abort();
        s->t = t;
        s->cap = cap;
    }
    mpfr_init2(s->t[s->n], ORA_PREC);
    s->cached[0] = s->cached[1] = 0;
    return s->t[s->n++];
}

void ora_add_f64(ora_sum *s, double x)
{
    mpfr_set_d(push(s), x, MPFR_RNDN); /* exact */
}

void ora_add_prod_f64(ora_sum *s, double x, double y)
{
    mpfr_t a, b;
    mpfr_inits2(53, a, b, (mpfr_ptr)0);
    mpfr_set_d(a, x, MPFR_RNDN);
    mpfr_set_d(b, y, MPFR_RNDN);
    if ((mpfr_zero_p(a) && mpfr_inf_p(b)) || (mpfr_inf_p(a) && mpfr_zero_p(b)))
        s->invalid = 1;
    mpfr_mul(push(s), a, b, MPFR_RNDN); /* exact in 106 bits; 0 x Inf is NaN */
    mpfr_clears(a, b, (mpfr_ptr)0);
}

static int code_value(const tp_format_desc *d, uint64_t code, double *x)
{
    uint64_t bits;
    unsigned f = 0;
    if (orc_decode_f64(d, code, &bits, &f) != 0)
        return -1;
    memcpy(x, &bits, sizeof *x);
    return 0;
}

int ora_add_code(ora_sum *s, const tp_format_desc *d, uint64_t code)
{
    double x;
    if (code_value(d, code, &x) != 0)
        return -1;
    ora_add_f64(s, x);
    return 0;
}

int ora_add_prod_codes(ora_sum *s, const tp_format_desc *da, uint64_t ca,
                       const tp_format_desc *db, uint64_t cb)
{
    double x, y;
    if (code_value(da, ca, &x) != 0 || code_value(db, cb, &y) != 0)
        return -1;
    ora_add_prod_f64(s, x, y);
    return 0;
}

void ora_add_sum(ora_sum *s, const ora_sum *src, int neg)
{
    size_t n = src->n; /* s == src allowed */
    for (size_t i = 0; i < n; i++) {
        mpfr_ptr t = push(s);
        if (neg)
            mpfr_neg(t, src->t[i], MPFR_RNDN);
        else
            mpfr_set(t, src->t[i], MPFR_RNDN);
    }
    s->invalid |= src->invalid;
}

/* The exact sum (zero signed as IEEE 754 says for mode `rdn`). */
static void exact_sum(const ora_sum *cs, int rdn, mpfr_t out)
{
    ora_sum *s = (ora_sum *)cs; /* the cache is not part of the value */
    if (s->cached[rdn]) {
        mpfr_set(out, s->cs[rdn], MPFR_RNDN);
        return;
    }
    mpfr_ptr *p = malloc((s->n ? s->n : 1) * sizeof *p);
    if (p == NULL)
        abort();
    for (size_t i = 0; i < s->n; i++)
        p[i] = s->t[i];
    mpfr_sum(out, p, (unsigned long)s->n, rdn ? MPFR_RNDD : MPFR_RNDN);
    free(p);
    mpfr_set(s->cs[rdn], out, MPFR_RNDN);
    s->cached[rdn] = 1;
}

static int produced_nan(const ora_sum *s)
{
    int pinf = 0, ninf = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (mpfr_inf_p(s->t[i])) {
            if (mpfr_sgn(s->t[i]) > 0)
                pinf = 1;
            else
                ninf = 1;
        }
    }
    return s->invalid || (pinf && ninf);
}

/* binary64 rounding of a finite nonzero exact value. */
static uint64_t round_f64(mpfr_t x, tp_round rnd, int sat, uint32_t rbits, unsigned *fl)
{
    int neg = mpfr_sgn(x) < 0;
    mpfr_t a, f, h;
    mpz_t t;
    mpfr_inits2(ORA_SUMPREC, a, f, h, (mpfr_ptr)0);
    mpz_init(t);
    mpfr_abs(a, x, MPFR_RNDN);
    long E = mpfr_get_exp(a) - 1; /* a in [2^E, 2^(E+1)) */
    long qe = (E > -1022 ? E : -1022) - 52;
    mpfr_mul_2si(a, a, -qe, MPFR_RNDN);  /* exact */
    mpfr_get_z(t, a, MPFR_RNDZ);
    mpfr_frac(f, a, MPFR_RNDN);          /* exact, in [0, 1) */
    int inexact = !mpfr_zero_p(f);
    int odd = mpz_odd_p(t);
    int half = mpfr_cmp_d(f, 0.5);
    int up = 0;
    if (inexact) {
        switch (rnd) {
        case TP_RNE: up = half > 0 || (half == 0 && odd); break;
        case TP_RNA: up = half >= 0; break;
        case TP_RTZ: up = 0; break;
        case TP_RUP: up = !neg; break;
        case TP_RDN: up = neg; break;
        case TP_RTO: up = !odd; break;
        case TP_RSR:
            mpfr_mul_2ui(h, f, 32, MPFR_RNDN);
            up = mpfr_cmp_ui(h, rbits) > 0;
            break;
        }
        *fl |= TP_FLAG_INEXACT;
        if (E < -1022)
            *fl |= TP_FLAG_UNDERFLOW;
    }
    if (up)
        mpz_add_ui(t, t, 1);
    uint64_t sbit = neg ? UINT64_C(1) << 63 : 0, r;
    /* overflow: t * 2^qe > DBL_MAX = (2^53 - 1) 2^971 */
    int over = qe > 971 || (qe == 971 && mpz_sizeinbase(t, 2) > 53);
    if (over) {
        int to_inf = rnd == TP_RNE || rnd == TP_RNA || rnd == TP_RSR ||
                     (rnd == TP_RUP && !neg) || (rnd == TP_RDN && neg);
        *fl |= TP_FLAG_OVERFLOW | TP_FLAG_INEXACT;
        r = sbit | (!sat && to_inf ? UINT64_C(0x7FF0000000000000) : UINT64_C(0x7FEFFFFFFFFFFFFF));
    } else if (mpz_sgn(t) == 0) {
        r = sbit;
    } else {
        mpfr_set_z_2exp(h, t, qe, MPFR_RNDN); /* exact */
        double d = mpfr_get_d(h, MPFR_RNDN);
        memcpy(&r, &d, sizeof r);
        r |= sbit;
    }
    mpz_clear(t);
    mpfr_clears(a, f, h, (mpfr_ptr)0);
    return r;
}

/* The magnitude code of a code and whether it is negative. */
static uint64_t mag_of(const tp_format_desc *d, uint64_t code)
{
    if (d->kind == TP_KIND_INT) {
        if (d->sign && (code >> (d->bits - 1)) & 1)
            return (UINT64_C(1) << d->bits) - code;
        return code;
    }
    if (d->sign || (d->flags & TP_DESC_SIGN_INVALID))
        return code & ((UINT64_C(1) << (d->bits - 1)) - 1);
    return code;
}

static double d_of_bits(uint64_t b)
{
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

int ora_round(const ora_sum *s, const tp_format_desc *out, tp_round rnd, tp_overflow ovf,
              uint32_t rbits, uint64_t *code, unsigned *flags)
{
    if (out == NULL || code == NULL || (unsigned)rnd > TP_RSR || (unsigned)ovf > TP_OVF_NONSAT)
        return -1;
    unsigned fl = 0;
    int rc = 0;
    mpfr_t S;
    mpfr_init2(S, ORA_SUMPREC);
    exact_sum(s, rnd == TP_RDN, S);
    int sat = ovf == TP_OVF_SAT || (ovf == TP_OVF_DEFAULT && (out->flags & TP_DESC_SAT_DEFAULT));
    if (mpfr_nan_p(S)) {
        if (produced_nan(s))
            fl |= TP_FLAG_INVALID;
        rc = orc_encode(out, d_of_bits(UINT64_C(0x7FF8000000000000)), rnd, ovf, rbits, code, &fl);
    } else if (mpfr_inf_p(S) || mpfr_zero_p(S)) {
        rc = orc_encode(out, mpfr_get_d(S, MPFR_RNDN), rnd, ovf, rbits, code, &fl);
    } else if (out->kind == TP_KIND_FLOAT && out->bits == 64) {
        *code = round_f64(S, rnd, sat, rbits, &fl);
    } else {
        /* round to odd at 53 bits, clamped to [2^-1000, 2^1000] */
        mpfr_t o, u;
        mpfr_inits2(53, o, u, (mpfr_ptr)0);
        int inex = mpfr_set(o, S, MPFR_RNDZ);
        if (inex) {
            mpz_t m;
            mpz_init(m);
            mpfr_get_z_2exp(m, o);
            if (!mpz_odd_p(m))
                mpfr_set(o, S, MPFR_RNDA);
            mpz_clear(m);
        }
        int neg = mpfr_sgn(o) < 0;
        if (mpfr_cmp_si_2exp(o, 1, 1000) > 0 || mpfr_cmp_si_2exp(o, -1, 1000) < 0)
            mpfr_set_si_2exp(o, neg ? -1 : 1, 1000, MPFR_RNDN);
        else {
            mpfr_set_ui_2exp(u, 1, -1000, MPFR_RNDN);
            if (mpfr_cmpabs(o, u) < 0)
                mpfr_set_si_2exp(o, neg ? -1 : 1, -1000, MPFR_RNDN);
        }
        double x = mpfr_get_d(o, MPFR_RNDN); /* exact */
        if (rnd != TP_RSR) {
            rc = orc_encode(out, x, rnd, ovf, rbits, code, &fl);
        } else {
            /* truncation t (its code c), next grid point g(c+1), exact S */
            unsigned ftz = 0;
            uint64_t tz;
            rc = orc_encode(out, x, TP_RTZ, ovf, 0, &tz, &ftz);
            int up = 0;
            if (rc == 0 && !(ftz & (TP_FLAG_OVERFLOW | TP_FLAG_INVALID))) {
                uint64_t c = mag_of(out, tz);
                double g0, g1;
                if (orc_grid_value(out, c, &g0) == 0 && orc_grid_value(out, c + 1, &g1) == 0) {
                    mpfr_t dlt, q;
                    mpfr_inits2(ORA_SUMPREC, dlt, q, (mpfr_ptr)0);
                    mpfr_abs(dlt, S, MPFR_RNDN);
                    mpfr_sub_d(dlt, dlt, g0, MPFR_RNDN); /* exact */
                    mpfr_mul_2ui(dlt, dlt, 32, MPFR_RNDN);
                    mpfr_set_d(q, g1 - g0, MPFR_RNDN); /* exact: adjacent grid */
                    mpfr_mul_ui(q, q, rbits, MPFR_RNDN);
                    up = mpfr_cmp(dlt, q) > 0;
                    mpfr_clears(dlt, q, (mpfr_ptr)0);
                }
            } else if (ftz & TP_FLAG_OVERFLOW) {
                up = 1;
            }
            if (up)
                rc = orc_encode(out, x, neg ? TP_RDN : TP_RUP, ovf, 0, code, &fl);
            else {
                *code = tz;
                fl |= ftz;
            }
        }
        mpfr_clears(o, u, (mpfr_ptr)0);
    }
    mpfr_clear(S);
    if (rc == 0 && flags != NULL)
        *flags |= fl;
    return rc;
}

int ora_exact_f64(const ora_sum *s, double *x)
{
    mpfr_t S, d;
    int ok = 0;
    mpfr_init2(S, ORA_SUMPREC);
    mpfr_init2(d, 53);
    exact_sum(s, 0, S);
    if (mpfr_number_p(S) && mpfr_set(d, S, MPFR_RNDN) == 0) {
        double v = mpfr_get_d(d, MPFR_RNDN);
        if (isfinite(v) && (mpfr_zero_p(S) || mpfr_cmp_d(S, v) == 0)) {
            *x = v;
            ok = 1;
        }
    }
    mpfr_clears(S, d, (mpfr_ptr)0);
    return ok;
}
