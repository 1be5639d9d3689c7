/*
 * oracle.c -- an independent MPFR implementation of the conversion contract
 * (doc/semantics.md, include/truepoint.h).
 *
 * Deliberately naive: every rule is re-derived from the descriptor fields and
 * written down the way the documentation states it.  The exact input lives in
 * an MPFR number; the truncated grid point t, the cut-off fraction f and the
 * magnitude code c are computed exactly; the rounding table of
 * doc/semantics.md section 2 then picks c or c + 1.  Nothing here comes from
 * lib/.
 *
 * Not thread-safe: the MPFR scratch numbers are static (tests are
 * single-threaded; Check forks per test).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <gmp.h>
#include <mpfr.h>

#include "oracle.h"

/* ------------------------------------------------------------ scratch */

static int scratch_ready;
static mpfr_t s_ax;   /* |x|, exact (53 bits) */
static mpfr_t s_y;    /* |x| / q, exact */
static mpfr_t s_f;    /* fraction f of y, exact */
static mpfr_t s_v;    /* a decoded value */

static void scratch_init(void)
{
    if (scratch_ready)
        return;
    /* Values are binary64 numbers or short integers times powers of two:
     * 64 bits hold every intermediate exactly (mpfr_frac of a 53-bit number
     * needs at most 53 bits). */
    mpfr_inits2(64, s_ax, s_y, s_f, s_v, (mpfr_ptr)0);
    scratch_ready = 1;
}

/* ------------------------------------------------------------ format facts */

/* Everything the contract needs, derived from the descriptor alone. */
typedef struct orc_fmt {
    int is_int;
    int width;            /* storage bits */
    int e, m;             /* exponent / mantissa field widths */
    int sign_pos;         /* bit of the sign (float: e + m; also the SIGN_INVALID bit) */
    int has_sign;         /* the format can represent negative values */
    int no_zero;          /* TP_DESC_NO_ZERO */
    int sign_invalid;     /* TP_DESC_SIGN_INVALID */
    int emin;             /* exponent of the smallest normal binade */
    int has_inf;
    int nan;              /* tp_nan_policy */
    int has_negzero;
    int sat_default;
    uint64_t top_mag;     /* all-ones magnitude code */
    uint64_t max_mag;     /* magnitude code of the largest finite value */
    /* integers */
    int64_t kmin, kmax;   /* range encoding produces */
    int scale;
} orc_fmt;

static int fmt_derive(const tp_format_desc *d, orc_fmt *p)
{
    if (d == NULL)
        return -1;
    memset(p, 0, sizeof *p);
    p->width = d->bits;
    p->sat_default = (d->flags & TP_DESC_SAT_DEFAULT) != 0;
    if (d->kind == TP_KIND_INT) {
        if (d->bits < 2 || d->bits > 16)
            return -1;
        p->is_int = 1;
        p->has_sign = d->sign != 0;
        p->scale = d->scale_exp;
        if (d->sign) {
            p->kmax = ((int64_t)1 << (d->bits - 1)) - 1;
            p->kmin = -((int64_t)1 << (d->bits - 1));
            if (d->flags & TP_DESC_SYMMETRIC)
                p->kmin += 1;
        } else {
            p->kmax = ((int64_t)1 << d->bits) - 1;
            p->kmin = 0;
        }
        return 0;
    }
    if (d->kind != TP_KIND_FLOAT || d->exp_bits < 1 || d->exp_bits > 11 || d->man_bits > 52)
        return -1;
    p->e = d->exp_bits;
    p->m = d->man_bits;
    p->sign_pos = p->e + p->m;
    p->has_sign = d->sign != 0;
    p->no_zero = (d->flags & TP_DESC_NO_ZERO) != 0;
    p->sign_invalid = (d->flags & TP_DESC_SIGN_INVALID) != 0;
    if (d->bits != p->e + p->m + (d->sign ? 1 : 0) + (p->sign_invalid ? 1 : 0))
        return -1;
    p->emin = p->no_zero ? -d->bias : 1 - d->bias;
    p->has_inf = d->inf == TP_INF_IEEE;
    p->nan = d->nan;
    if (p->nan == TP_NAN_IEEE && (!p->has_inf || p->m == 0))
        return -1;
    p->has_negzero = p->has_sign && d->nan != TP_NAN_NEGZERO && !p->no_zero;
    p->top_mag = ((uint64_t)1 << (p->e + p->m)) - 1;
    if (p->has_inf)
        p->max_mag = (((uint64_t)1 << p->e) - 1) * ((uint64_t)1 << p->m) - 1;
    else if (p->nan == TP_NAN_ALLONES)
        p->max_mag = p->top_mag - 1;
    else
        p->max_mag = p->top_mag;
    return 0;
}

/* The positive NaN code the format produces, or -1 if it has none.  For
 * TP_NAN_IEEE this is the quiet NaN with an empty payload. */
static int64_t nan_code(const orc_fmt *p)
{
    switch (p->nan) {
    case TP_NAN_IEEE:
        return (int64_t)(((((uint64_t)1 << p->e) - 1) << p->m) | ((uint64_t)1 << (p->m - 1)));
    case TP_NAN_ALLONES:
        return (int64_t)p->top_mag;
    case TP_NAN_NEGZERO:
        return (int64_t)((uint64_t)1 << p->sign_pos);
    default:
        return -1;
    }
}

static uint64_t inf_mag(const orc_fmt *p)
{
    return (((uint64_t)1 << p->e) - 1) << p->m;
}

/* The value of magnitude code c on the unbounded grid (exponent not
 * limited above), into `out`.  Exact. */
static void grid_value(const orc_fmt *p, uint64_t c, mpfr_t out)
{
    uint64_t E = c >> p->m;
    uint64_t M = c & (((uint64_t)1 << p->m) - 1);
    long binade;   /* exponent of the binade relative to emin */
    if (p->no_zero) {
        /* field E is the binade emin + E */
        binade = (long)E;
        mpfr_set_uj(out, ((uintmax_t)1 << p->m) + M, MPFR_RNDN);
    } else if (E == 0) {
        binade = 0;
        mpfr_set_uj(out, M, MPFR_RNDN);
    } else {
        binade = (long)E - 1;
        mpfr_set_uj(out, ((uintmax_t)1 << p->m) + M, MPFR_RNDN);
    }
    mpfr_mul_2si(out, out, (long)p->emin + binade - p->m, MPFR_RNDN);
}

/* ------------------------------------------------------------ SR word */

static uint64_t sr_mix(uint64_t z)
{
    z ^= z >> 30;
    z *= UINT64_C(0xBF58476D1CE4E5B9);
    z ^= z >> 27;
    z *= UINT64_C(0x94D049BB133111EB);
    z ^= z >> 31;
    return z;
}

uint32_t orc_sr_word(uint64_t seed, uint64_t counter)
{
    uint64_t k = sr_mix(seed + UINT64_C(0x9E3779B97F4A7C15));
    return (uint32_t)(sr_mix(k + counter * UINT64_C(0x9E3779B97F4A7C15)) >> 32);
}

/* ------------------------------------------------------------ rounding */

/* Decides whether the magnitude code c goes up to c + 1, given the fraction
 * f (in s_f, exact, in [0, 1)), the sign of x and the mode (table of
 * doc/semantics.md section 2). */
static int rounds_up(tp_round rnd, uint64_t c, int neg, uint32_t rbits)
{
    int fpos = mpfr_sgn(s_f) > 0;
    int half = fpos ? mpfr_cmp_ui_2exp(s_f, 1, -1) : -1; /* sign of f - 1/2 */
    switch (rnd) {
    case TP_RNE:
        return half > 0 || (half == 0 && (c & 1) != 0);
    case TP_RNA:
        return half >= 0;
    case TP_RTZ:
        return 0;
    case TP_RUP:
        return fpos && !neg;
    case TP_RDN:
        return fpos && neg;
    case TP_RTO:
        return fpos && (c & 1) == 0;
    case TP_RSR:
        if (!fpos)
            return 0;
        /* f * 2^32 > r, exactly */
        mpfr_mul_2ui(s_y, s_f, 32, MPFR_RNDN);
        return mpfr_cmp_ui(s_y, rbits) > 0;
    }
    return 0;
}

static int valid_args(tp_round rnd, tp_overflow ovf)
{
    return (int)rnd >= TP_RNE && (int)rnd <= TP_RSR && (int)ovf >= TP_OVF_DEFAULT &&
           (int)ovf <= TP_OVF_NONSAT;
}

/* ------------------------------------------------------------ integers */

static void encode_int(const orc_fmt *p, double x, tp_round rnd, uint32_t rbits,
                       uint64_t *code, unsigned *flags)
{
    uint64_t mask = ((uint64_t)1 << p->width) - 1;
    int64_t k;
    int neg = signbit(x) != 0;

    if (isnan(x)) {
        *code = 0;
        *flags |= TP_FLAG_INVALID;
        return;
    }
    if (isinf(x)) {
        k = neg ? p->kmin : p->kmax;
        *code = (uint64_t)k & mask;
        *flags |= TP_FLAG_OVERFLOW | TP_FLAG_INEXACT;
        return;
    }
    if (x == 0) {
        *code = 0;
        return;
    }
    /* y = |x| / 2^scale */
    mpfr_set_d(s_ax, x, MPFR_RNDN);
    mpfr_abs(s_ax, s_ax, MPFR_RNDN);
    mpfr_mul_2si(s_y, s_ax, -(long)p->scale, MPFR_RNDN);
    if (mpfr_cmp_ui_2exp(s_y, 1, 40) >= 0) {
        /* far beyond any 16-bit range whichever way it rounds */
        k = neg ? p->kmin : p->kmax;
        *code = (uint64_t)k & mask;
        *flags |= TP_FLAG_OVERFLOW | TP_FLAG_INEXACT;
        return;
    }
    {
        uint64_t t = (uint64_t)mpfr_get_uj(s_y, MPFR_RNDZ);
        int64_t kk;
        mpfr_frac(s_f, s_y, MPFR_RNDN);
        if (mpfr_sgn(s_f) > 0)
            *flags |= TP_FLAG_INEXACT;
        if (rounds_up(rnd, t, neg, rbits))
            t += 1;
        kk = neg ? -(int64_t)t : (int64_t)t;
        if (kk > p->kmax) {
            kk = p->kmax;
            *flags |= TP_FLAG_OVERFLOW | TP_FLAG_INEXACT;
        } else if (kk < p->kmin) {
            kk = p->kmin;
            *flags |= TP_FLAG_OVERFLOW | TP_FLAG_INEXACT;
        }
        *code = (uint64_t)kk & mask;
    }
}

/* ------------------------------------------------------------ floats */

/* The code of an overflowed or infinite result that is "Inf" in the IEEE
 * sense, in a format that may lack Inf: Inf, else NaN (+INVALID), else max
 * (the caller has already raised overflow where the contract says so). */
static uint64_t inf_result(const orc_fmt *p, int neg, unsigned *flags)
{
    uint64_t sbit = (neg && p->has_sign) ? (uint64_t)1 << p->sign_pos : 0;
    if (p->has_inf)
        return sbit | inf_mag(p);
    if (p->nan != TP_NAN_NONE) {
        *flags |= TP_FLAG_INVALID;
        if (p->nan == TP_NAN_NEGZERO)
            return (uint64_t)nan_code(p);
        /* TP_NAN_ALLONES keeps the sign where the format is signed */
        return sbit | (uint64_t)nan_code(p);
    }
    return sbit | p->max_mag;
}

static void encode_float(const orc_fmt *p, double x, tp_round rnd, int sat, uint32_t rbits,
                         uint64_t *code, unsigned *flags)
{
    int neg = signbit(x) != 0;
    uint64_t sbit = (neg && p->has_sign) ? (uint64_t)1 << p->sign_pos : 0;

    if (isnan(x)) {
        uint64_t xb;
        memcpy(&xb, &x, sizeof xb);
        switch (p->nan) {
        case TP_NAN_IEEE: {
            uint64_t payload = xb & ((UINT64_C(1) << 52) - 1);
            uint64_t mant = (payload >> (52 - p->m)) | ((uint64_t)1 << (p->m - 1));
            *code = sbit | inf_mag(p) | mant;
            return;
        }
        case TP_NAN_ALLONES:
            /* A NaN is no valid E8M0 scale: the foundation issue raises invalid. */
            if (p->no_zero)
                *flags |= TP_FLAG_INVALID;
            *code = sbit | p->top_mag;
            return;
        case TP_NAN_NEGZERO:
            *code = (uint64_t)nan_code(p);
            return;
        default:
            *code = 0;
            *flags |= TP_FLAG_INVALID;
            return;
        }
    }
    /* zeros */
    if (x == 0) {
        if (p->no_zero) {
            *code = (uint64_t)nan_code(p);
            *flags |= TP_FLAG_INVALID;
        } else {
            *code = p->has_negzero ? sbit : 0;
        }
        return;
    }
    /* negative nonzero into an unsigned float format */
    if (neg && !p->has_sign) {
        int64_t nc = nan_code(p);
        *code = nc >= 0 ? (uint64_t)nc : 0;
        *flags |= TP_FLAG_INVALID;
        return;
    }
    /* infinities */
    if (isinf(x)) {
        if (sat) {
            *code = sbit | p->max_mag;
            *flags |= TP_FLAG_OVERFLOW | TP_FLAG_INEXACT;
        } else if (p->has_inf || p->nan != TP_NAN_NONE) {
            *code = inf_result(p, neg, flags);
        } else {
            *code = sbit | p->max_mag;
            *flags |= TP_FLAG_OVERFLOW | TP_FLAG_INEXACT;
        }
        return;
    }

    /* finite nonzero */
    mpfr_set_d(s_ax, x, MPFR_RNDN);
    mpfr_abs(s_ax, s_ax, MPFR_RNDN);
    {
        long ex = (long)mpfr_get_exp(s_ax) - 1; /* floor(log2 |x|) */
        int tiny = ex < p->emin;                /* |x| < 2^emin */
        long qe;
        uint64_t t, c;

        if (tiny && p->no_zero) {
            *code = 0;
            *flags |= TP_FLAG_UNDERFLOW | TP_FLAG_INEXACT;
            return;
        }
        qe = (tiny ? p->emin : ex) - p->m;
        mpfr_mul_2si(s_y, s_ax, -qe, MPFR_RNDN);
        t = (uint64_t)mpfr_get_uj(s_y, MPFR_RNDZ);
        mpfr_frac(s_f, s_y, MPFR_RNDN);
        /* magnitude code of t on the unbounded grid */
        if (tiny)
            c = t;                                   /* subnormal: t < 2^m */
        else if (p->no_zero)
            c = (uint64_t)(ex - p->emin) * ((uint64_t)1 << p->m) + (t - ((uint64_t)1 << p->m));
        else
            c = (uint64_t)(ex - p->emin) * ((uint64_t)1 << p->m) + t;

        if (mpfr_sgn(s_f) > 0) {
            *flags |= TP_FLAG_INEXACT;
            if (tiny)
                *flags |= TP_FLAG_UNDERFLOW;
        }
        if (rounds_up(rnd, c, neg, rbits))
            c += 1;

        if (c > p->max_mag) {
            *flags |= TP_FLAG_OVERFLOW | TP_FLAG_INEXACT;
            if (sat) {
                *code = sbit | p->max_mag;
                return;
            }
            switch (rnd) {
            case TP_RTZ:
            case TP_RTO:
                *code = sbit | p->max_mag;
                return;
            case TP_RUP:
                *code = neg ? sbit | p->max_mag : inf_result(p, neg, flags);
                return;
            case TP_RDN:
                *code = neg ? inf_result(p, neg, flags) : sbit | p->max_mag;
                return;
            default:
                *code = inf_result(p, neg, flags);
                return;
            }
        }
        if (c == 0) {
            *code = p->has_negzero ? sbit : 0;
            return;
        }
        *code = sbit | c;
    }
}

int orc_encode(const tp_format_desc *d, double x, tp_round rnd, tp_overflow ovf, uint32_t rbits,
               uint64_t *code, unsigned *flags)
{
    orc_fmt p;
    unsigned fl = 0;
    int sat;
    if (code == NULL || !valid_args(rnd, ovf) || fmt_derive(d, &p) != 0)
        return -1;
    scratch_init();
    sat = ovf == TP_OVF_SAT || (ovf == TP_OVF_DEFAULT && p.sat_default);
    if (p.is_int)
        encode_int(&p, x, rnd, rbits, code, &fl);
    else
        encode_float(&p, x, rnd, sat, rbits, code, &fl);
    if (flags != NULL)
        *flags |= fl;
    return 0;
}

/* ------------------------------------------------------------ decoding */

/* Target of a decode: binary64 (mbits 52) or binary32 (mbits 23). */
typedef struct orc_target {
    int mbits;
    uint64_t qnan;     /* positive quiet NaN with an empty payload */
    uint64_t inf;      /* +Inf */
    int sign_shift;
} orc_target;

static const orc_target T64 = {52, UINT64_C(0x7FF8000000000000), UINT64_C(0x7FF0000000000000), 63};
static const orc_target T32 = {23, UINT64_C(0x7FC00000), UINT64_C(0x7F800000), 31};

/* Decodes to the bits of the target; -1 for a bad code. */
static int decode_any(const tp_format_desc *d, uint64_t code, const orc_target *T, uint64_t *out,
                      unsigned *flags)
{
    orc_fmt p;
    if (out == NULL || fmt_derive(d, &p) != 0)
        return -1;
    if (p.width < 64 && (code >> p.width) != 0)
        return -1;
    scratch_init();

    if (p.is_int) {
        int64_t k;
        if (p.has_sign && (code >> (p.width - 1)) != 0)
            k = (int64_t)code - ((int64_t)1 << p.width);
        else
            k = (int64_t)code;
        mpfr_set_sj(s_v, k, MPFR_RNDN);
        mpfr_mul_2si(s_v, s_v, p.scale, MPFR_RNDN);
    } else {
        uint64_t mag = code & p.top_mag;
        int neg = p.has_sign && ((code >> p.sign_pos) & 1) != 0;
        uint64_t sbit = neg ? (uint64_t)1 << T->sign_shift : 0;
        uint64_t E = mag >> p.m, M = mag & (((uint64_t)1 << p.m) - 1);
        uint64_t Eall = ((uint64_t)1 << p.e) - 1;

        if (p.sign_invalid && ((code >> p.sign_pos) & 1) != 0) {
            *out = T->qnan;
            if (flags != NULL)
                *flags |= TP_FLAG_INVALID;
            return 0;
        }
        if (p.nan == TP_NAN_NEGZERO && code == ((uint64_t)1 << p.sign_pos)) {
            *out = T->qnan;
            return 0;
        }
        if (p.nan == TP_NAN_ALLONES && mag == p.top_mag) {
            if (p.has_sign)
                *out = sbit | T->qnan | (M << (T->mbits - p.m));
            else
                *out = T->qnan;
            return 0;
        }
        if (p.has_inf && E == Eall) {
            if (M == 0)
                *out = sbit | T->inf;
            else
                *out = sbit | T->qnan | (M << (T->mbits - p.m));
            return 0;
        }
        grid_value(&p, mag, s_v);
        if (neg)
            mpfr_neg(s_v, s_v, MPFR_RNDN);
    }

    if (T->mbits == 52) {
        double v = mpfr_get_d(s_v, MPFR_RNDN);
        memcpy(out, &v, sizeof v);
    } else {
        float v = mpfr_get_flt(s_v, MPFR_RNDN);
        uint32_t b;
        memcpy(&b, &v, sizeof b);
        *out = b;
    }
    return 0;
}

int orc_decode_f64(const tp_format_desc *d, uint64_t code, uint64_t *bits, unsigned *flags)
{
    return decode_any(d, code, &T64, bits, flags);
}

/* Whether every finite value of d is a binary32 number. */
static int fits_f32(const tp_format_desc *d)
{
    orc_fmt p;
    if (fmt_derive(d, &p) != 0)
        return 0;
    if (p.is_int)
        return p.scale >= -149 && p.scale + p.width <= 127;
    {
        /* exponent of the largest finite binade, and of the smallest ulp */
        long top = (long)p.emin + (long)(p.max_mag >> p.m) - (p.no_zero ? 0 : 1);
        long lsb = (long)p.emin - p.m;
        return p.m <= 23 && top <= 127 && lsb >= -149;
    }
}

int orc_decode_f32(const tp_format_desc *d, uint64_t code, uint32_t *bits, unsigned *flags)
{
    uint64_t b;
    int r;
    if (bits == NULL || !fits_f32(d))
        return -1;
    r = decode_any(d, code, &T32, &b, flags);
    if (r == 0)
        *bits = (uint32_t)b;
    return r;
}

int orc_grid_value(const tp_format_desc *d, uint64_t mag, double *v)
{
    orc_fmt p;
    if (v == NULL || fmt_derive(d, &p) != 0)
        return -1;
    scratch_init();
    if (p.is_int) {
        mpfr_set_uj(s_v, mag, MPFR_RNDN);
        mpfr_mul_2si(s_v, s_v, p.scale, MPFR_RNDN);
    } else {
        grid_value(&p, mag, s_v);
    }
    *v = mpfr_get_d(s_v, MPFR_RNDN);
    return 0;
}

int orc_max_mag(const tp_format_desc *d, uint64_t *mag)
{
    orc_fmt p;
    if (mag == NULL || fmt_derive(d, &p) != 0)
        return -1;
    *mag = p.is_int ? (uint64_t)p.kmax : p.max_mag;
    return 0;
}
