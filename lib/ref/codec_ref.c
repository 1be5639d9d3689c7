/*
 * codec_ref.c -- the scalar reference codec.  It is the specification of
 * doc/semantics.md in code: every other kernel must match it bit for bit,
 * flags included.  Integer arithmetic only; no floating-point environment
 * assumptions.
 */
#include <math.h>
#include <string.h>

#include "ref.h"


/* 128-bit helpers on (hi, lo) pairs; shifts of 128 or more give 0. */
static void shr128(uint64_t hi, uint64_t lo, int s, uint64_t *rh, uint64_t *rl)
{
    if (s == 0) {
        *rh = hi;
        *rl = lo;
    } else if (s < 64) {
        *rh = hi >> s;
        *rl = (lo >> s) | (hi << (64 - s));
    } else if (s < 128) {
        *rh = 0;
        *rl = hi >> (s - 64);
    } else {
        *rh = 0;
        *rl = 0;
    }
}

/* Whether (hi, lo) mod 2^k is nonzero (k >= 0). */
static int low_bits(uint64_t hi, uint64_t lo, int k)
{
    if (k <= 0)
        return 0;
    if (k < 64)
        return (lo & ((UINT64_C(1) << k) - 1)) != 0;
    if (k == 64)
        return lo != 0;
    if (k < 128)
        return lo != 0 || (hi & ((UINT64_C(1) << (k - 64)) - 1)) != 0;
    return (hi | lo) != 0;
}

/* A truncation to a multiple of the quantum: the integer t and the cut-off
 * fraction of a quantum, as frac / 2^64 plus `sticky` (a nonzero amount
 * below 2^-64). */
typedef struct cut {
    uint64_t t;
    uint64_t frac;
    int sticky;
} cut;

/* Truncates (w->hi*2^64 + w->lo [+ sticky]) * 2^w->exp to a multiple of
 * 2^qe.  Returns 0 if t does not fit in 63 bits.  The sticky part of w must
 * lie below the quantum (qe >= w->exp), which every caller guarantees. */
static int truncate(const tpi_wide *w, int qe, cut *k)
{
    int s = qe - w->exp;
    k->sticky = w->sticky;
    if (s <= 0) {
        if (w->hi != 0 || -s >= 63 || (w->lo >> (63 + s)) != 0)
            return 0;
        k->t = w->lo << -s;
        k->frac = 0;
        return 1;
    }
    uint64_t th, tl;
    shr128(w->hi, w->lo, s, &th, &tl);
    if (th != 0 || (tl >> 63) != 0)
        return 0;
    k->t = tl;
    if (s < 64) {
        k->frac = w->lo << (64 - s);
    } else {
        uint64_t fh, fl;
        shr128(w->hi, w->lo, s - 64, &fh, &fl);
        k->frac = fl;
        k->sticky |= low_bits(w->hi, w->lo, s - 64);
    }
    return 1;
}

static int round_up(tp_round rnd, int sign, uint64_t c, const cut *k, uint32_t rbits)
{
    const uint64_t half = UINT64_C(1) << 63;
    if (k->frac == 0 && !k->sticky)
        return 0;
    switch (rnd) {
    case TP_RNE: return k->frac > half || (k->frac == half && (k->sticky || (c & 1)));
    case TP_RNA: return k->frac >= half;
    case TP_RTZ: return 0;
    case TP_RUP: return !sign;
    case TP_RDN: return sign;
    case TP_RTO: return (c & 1) == 0;
    case TP_RSR: { /* up iff fraction * 2^32 > r */
        uint64_t top = k->frac >> 32;
        int rest = (k->frac & 0xFFFFFFFFu) != 0 || k->sticky;
        return top > rbits || (top == rbits && rest);
    }
    }
    return 0;
}

static int inexact(const cut *k)
{
    return k->frac != 0 || k->sticky;
}

static uint64_t with_sign(const tpi_fmt *p, int sign, uint64_t mag)
{
    return sign ? mag | (UINT64_C(1) << p->sign_shift) : mag;
}

/* The code of a NaN result: ALLONES keeps the sign where the format is
 * signed; NEGZERO has one NaN; unsigned formats have one. */
static uint64_t nan_result(const tpi_fmt *p, int sign)
{
    if (p->d->nan == TP_NAN_NEGZERO || !p->d->sign)
        return p->nan_code;
    return with_sign(p, sign, p->nan_code);
}

/* Result of an overflow (finite or infinite input) under the policy. */
static uint64_t overflow_result(const tpi_fmt *p, int sign, int to_inf, tp_overflow ovf,
                                unsigned *flags)
{
    if (ovf == TP_OVF_NONSAT && to_inf) {
        if (p->has_inf)
            return with_sign(p, sign, p->inf_mag);
        if (p->has_nan) {
            *flags |= TP_FLAG_INVALID;
            return nan_result(p, sign);
        }
    }
    return with_sign(p, sign, p->max_mag);
}

/* A finite value whose rounding (unbounded exponent) exceeds max. */
static uint64_t overflow_code(const tpi_fmt *p, int sign, tp_round rnd, tp_overflow ovf,
                              unsigned *flags)
{
    int to_inf = rnd == TP_RNE || rnd == TP_RNA || rnd == TP_RSR || (rnd == TP_RUP && !sign) ||
                 (rnd == TP_RDN && sign);
    *flags |= TP_FLAG_OVERFLOW | TP_FLAG_INEXACT;
    return overflow_result(p, sign, to_inf, ovf, flags);
}

static uint64_t int_result(const tpi_fmt *p, int64_t v)
{
    return (uint64_t)v & p->code_mask;
}

static uint64_t int_saturate(const tpi_fmt *p, int sign, unsigned *flags)
{
    *flags |= TP_FLAG_OVERFLOW | TP_FLAG_INEXACT;
    return int_result(p, sign ? p->imin : p->imax);
}

/* Integer formats: a finite nonzero magnitude. */
static uint64_t round_int(const tpi_fmt *p, int sign, const tpi_wide *w, tp_round rnd,
                          uint32_t rbits, unsigned *flags)
{
    cut k;
    if (!truncate(w, p->scale_exp, &k))
        return int_saturate(p, sign, flags);
    if (inexact(&k))
        *flags |= TP_FLAG_INEXACT;
    uint64_t t = k.t + (uint64_t)round_up(rnd, sign, k.t, &k, rbits);
    uint64_t limit = sign ? (uint64_t)(-p->imin) : (uint64_t)p->imax;
    if (t > limit)
        return int_saturate(p, sign, flags);
    return int_result(p, sign ? -(int64_t)t : (int64_t)t);
}

uint64_t tpi_ref_round_wide(const tpi_fmt *p, int sign, const tpi_wide *w, tp_round rnd,
                            tp_overflow ovf, uint32_t rbits, unsigned *flags)
{
    if (w->hi == 0 && w->lo == 0) { /* exact zero (a sticky part needs a nonzero value) */
        if (p->is_int)
            return 0;
        if (p->no_zero) {
            *flags |= TP_FLAG_INVALID;
            return p->nan_code;
        }
        return sign && p->has_negzero ? with_sign(p, 1, 0) : 0;
    }
    if (p->is_int)
        return round_int(p, sign, w, rnd, rbits, flags);
    if (!p->d->sign && sign) {
        *flags |= TP_FLAG_INVALID;
        return p->has_nan ? p->nan_code : 0;
    }
    int m = p->man;
    int ex = w->exp + (w->hi ? 64 + tpi_top_bit(w->hi) : tpi_top_bit(w->lo)); /* |x| in [2^ex, 2^(ex+1)) */
    if (p->no_zero && ex < p->emin) {
        *flags |= TP_FLAG_UNDERFLOW | TP_FLAG_INEXACT;
        return 0;
    }
    if (ex > p->emax + 1) /* |x| >= 2^(emax+2) > max in every mode (accumulator sums) */
        return overflow_code(p, sign, rnd, ovf, flags);
    int eb = ex > p->emin ? ex : p->emin; /* binade that sets the quantum */
    cut k;
    if (!truncate(w, eb - m, &k)) { /* t < 2^(m+1) always fits */
        k.t = 0;
        k.frac = 0;
    }
    /* Magnitude code of t, with an unbounded exponent: exponent field
     * eb + bias, plus the mantissa t - 2^m; for subnormals eb + bias - 1 = 0
     * and t < 2^m is the code itself. */
    uint64_t c = (uint64_t)((int64_t)(eb + p->d->bias - 1) * (INT64_C(1) << m) + (int64_t)k.t);
    if (inexact(&k)) {
        *flags |= TP_FLAG_INEXACT;
        if (ex < p->emin)
            *flags |= TP_FLAG_UNDERFLOW;
    }
    c += (uint64_t)round_up(rnd, sign, c, &k, rbits);
    if (c > p->max_mag)
        return overflow_code(p, sign, rnd, ovf, flags);
    if (c == 0)
        return sign && p->has_negzero ? with_sign(p, 1, 0) : 0;
    return with_sign(p, sign, c);
}

uint64_t tpi_ref_round_special(const tpi_fmt *p, int sign, int is_nan, uint64_t payload,
                               tp_overflow ovf, unsigned *flags)
{
    if (p->is_int) {
        if (is_nan) {
            *flags |= TP_FLAG_INVALID;
            return 0;
        }
        return int_saturate(p, sign, flags);
    }
    int m = p->man;
    if (is_nan) {
        switch (p->d->nan) {
        case TP_NAN_IEEE: {
            uint64_t q = UINT64_C(1) << (m - 1);
            /* an unsigned format has only the positive NaN */
            return with_sign(p, sign && p->d->sign, p->inf_mag | q | (payload >> (64 - m)));
        }
        case TP_NAN_NONE:
            *flags |= TP_FLAG_INVALID;
            return 0;
        default:
            if (p->no_zero) /* E8M0 scales: NaN is an invalid scale input */
                *flags |= TP_FLAG_INVALID;
            return nan_result(p, sign);
        }
    }
    if (!p->d->sign && sign) {
        *flags |= TP_FLAG_INVALID;
        return p->has_nan ? p->nan_code : 0;
    }
    if (ovf == TP_OVF_NONSAT && p->has_inf)
        return with_sign(p, sign, p->inf_mag);
    if (ovf == TP_OVF_NONSAT && p->has_nan) {
        *flags |= TP_FLAG_INVALID;
        return nan_result(p, sign);
    }
    *flags |= TP_FLAG_OVERFLOW | TP_FLAG_INEXACT;
    return with_sign(p, sign, p->max_mag);
}

uint64_t tpi_ref_round(const tpi_fmt *p, int sign, uint64_t mant, int exp, int is_nan,
                       int is_inf, tp_round rnd, tp_overflow ovf, uint32_t rbits, unsigned *flags)
{
    if (is_nan || is_inf)
        return tpi_ref_round_special(p, sign, is_nan, mant, ovf, flags);
    tpi_wide w = {0, mant, exp, 0};
    return tpi_ref_round_wide(p, sign, &w, rnd, ovf, rbits, flags);
}

uint64_t tpi_ref_encode1_f64(const tpi_fmt *p, double x, tp_round rnd, tp_overflow ovf,
                             uint32_t rbits, unsigned *flags)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    int sign = (int)(b >> 63);
    int e = (int)((b >> 52) & 0x7FF);
    uint64_t f = b & ((UINT64_C(1) << 52) - 1);
    if (e == 0x7FF)
        return tpi_ref_round(p, sign, f << 12, 0, f != 0, f == 0, rnd, ovf, rbits, flags);
    if (e == 0)
        return tpi_ref_round(p, sign, f, -1074, 0, 0, rnd, ovf, rbits, flags);
    return tpi_ref_round(p, sign, f | (UINT64_C(1) << 52), e - 1075, 0, 0, rnd, ovf, rbits, flags);
}

uint64_t tpi_ref_encode1_f32(const tpi_fmt *p, float x, tp_round rnd, tp_overflow ovf,
                             uint32_t rbits, unsigned *flags)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    int sign = (int)(b >> 31);
    int e = (int)((b >> 23) & 0xFF);
    uint64_t f = b & 0x7FFFFFu;
    if (e == 0xFF)
        return tpi_ref_round(p, sign, f << 41, 0, f != 0, f == 0, rnd, ovf, rbits, flags);
    if (e == 0)
        return tpi_ref_round(p, sign, f, -149, 0, 0, rnd, ovf, rbits, flags);
    return tpi_ref_round(p, sign, f | (UINT64_C(1) << 23), e - 150, 0, 0, rnd, ovf, rbits, flags);
}

/* Decoding: classify the code, then build the binary64 or binary32 bits. */
enum dec_class { DEC_FINITE, DEC_INF, DEC_NAN, DEC_NAN_CANON };

static enum dec_class classify(const tpi_fmt *p, uint64_t code, int *sign, uint64_t *mag,
                               unsigned *flags)
{
    const tp_format_desc *d = p->d;
    if (p->sign_invalid && (code >> p->sign_shift) != 0) {
        *flags |= TP_FLAG_INVALID;
        return DEC_NAN_CANON;
    }
    *sign = d->sign ? (int)(code >> p->sign_shift) & 1 : 0;
    *mag = d->sign ? code & ((UINT64_C(1) << p->sign_shift) - 1) : code;
    switch (d->nan) {
    case TP_NAN_IEEE:
        if (*mag == p->inf_mag)
            return DEC_INF;
        if (*mag > p->inf_mag)
            return DEC_NAN;
        break;
    case TP_NAN_ALLONES:
        if (*mag == p->nan_code)
            return d->sign ? DEC_NAN : DEC_NAN_CANON;
        break;
    case TP_NAN_NEGZERO:
        if (*sign && *mag == 0)
            return DEC_NAN_CANON;
        break;
    default:
        break;
    }
    return DEC_FINITE;
}

/* The exact value mant * 2^exp of a finite magnitude code (mant may be 0). */
static void finite_parts(const tpi_fmt *p, uint64_t mag, uint64_t *mant, int *exp)
{
    int m = p->man;
    uint64_t field = mag >> m, frac = mag & ((UINT64_C(1) << m) - 1);
    if (field == 0 && !p->no_zero) {
        *mant = frac;
        *exp = p->emin - m;
    } else {
        *mant = (UINT64_C(1) << m) | frac;
        *exp = (int)field - p->d->bias - m;
    }
}

/* The IEEE bits (ebits exponent, mbits mantissa) of +-mant * 2^exp, which
 * must be exactly representable.  Integer operations only, so the result
 * does not depend on the floating-point environment (FTZ/DAZ). */
static uint64_t ieee_bits(int sign, uint64_t mant, int exp, int ebits, int mbits)
{
    uint64_t s = (uint64_t)sign << (ebits + mbits);
    if (mant == 0)
        return s;
    int bias = (1 << (ebits - 1)) - 1, emin = 1 - bias;
    int top = tpi_top_bit(mant), e = exp + top;
    if (e < emin) /* subnormal: mant * 2^(exp - (emin - mbits)) */
        return s | (mant << (exp - (emin - mbits)));
    uint64_t frac = top <= mbits ? mant << (mbits - top) : mant >> (top - mbits);
    return s | ((uint64_t)(e + bias) << mbits) | (frac & ((UINT64_C(1) << mbits) - 1));
}

static int64_t int_value(const tpi_fmt *p, uint64_t code)
{
    if (p->d->sign && (code >> (p->bits - 1)) & 1)
        return (int64_t)code - (INT64_C(1) << p->bits);
    return (int64_t)code;
}

void tpi_ref_unpack(const tpi_fmt *p, uint64_t code, tpi_val *v, unsigned *flags)
{
    v->sign = 0;
    v->mant = 0;
    v->exp = 0;
    if (p->is_int) {
        int64_t k = int_value(p, code);
        v->sign = k < 0;
        v->mant = k < 0 ? (uint64_t)(-k) : (uint64_t)k;
        v->exp = p->scale_exp;
        v->cls = k ? TPI_FINITE : TPI_ZERO;
        return;
    }
    uint64_t mag = 0;
    int sign = 0;
    switch (classify(p, code, &sign, &mag, flags)) {
    case DEC_INF:
        v->cls = TPI_INF;
        v->sign = sign;
        return;
    case DEC_NAN:
    case DEC_NAN_CANON:
        v->cls = TPI_NAN;
        v->sign = sign;
        return;
    default:
        break;
    }
    v->sign = sign;
    finite_parts(p, mag, &v->mant, &v->exp);
    v->cls = v->mant ? TPI_FINITE : TPI_ZERO;
}

/* Integer codes: |k| * 2^scale_exp. */
static uint64_t int_bits(const tpi_fmt *p, uint64_t code, int ebits, int mbits)
{
    int64_t k = int_value(p, code);
    return ieee_bits(k < 0, k < 0 ? (uint64_t)(-k) : (uint64_t)k, p->scale_exp, ebits, mbits);
}

double tpi_ref_decode1(const tpi_fmt *p, uint64_t code, unsigned *flags)
{
    int sign = 0;
    uint64_t mag = 0, b, mant;
    int exp;
    double r;
    if (p->is_int) {
        b = int_bits(p, code, 11, 52);
        memcpy(&r, &b, sizeof r);
        return r;
    }
    switch (classify(p, code, &sign, &mag, flags)) {
    case DEC_INF:
        b = ((uint64_t)sign << 63) | UINT64_C(0x7FF0000000000000);
        break;
    case DEC_NAN:
        b = ((uint64_t)sign << 63) | UINT64_C(0x7FF8000000000000) |
            ((mag & ((UINT64_C(1) << p->man) - 1)) << (52 - p->man));
        break;
    case DEC_NAN_CANON:
        b = UINT64_C(0x7FF8000000000000);
        break;
    default:
        finite_parts(p, mag, &mant, &exp);
        b = ieee_bits(sign, mant, exp, 11, 52);
        break;
    }
    memcpy(&r, &b, sizeof r);
    return r;
}

float tpi_ref_decode1_f32(const tpi_fmt *p, uint64_t code, unsigned *flags)
{
    int sign = 0;
    uint64_t mag = 0, mant;
    int exp;
    uint32_t b;
    float r;
    if (p->is_int) {
        b = (uint32_t)int_bits(p, code, 8, 23);
        memcpy(&r, &b, sizeof r);
        return r;
    }
    switch (classify(p, code, &sign, &mag, flags)) {
    case DEC_INF:
        b = ((uint32_t)sign << 31) | 0x7F800000u;
        break;
    case DEC_NAN:
        b = ((uint32_t)sign << 31) | 0x7FC00000u |
            (uint32_t)((mag & ((UINT64_C(1) << p->man) - 1)) << (23 - p->man));
        break;
    case DEC_NAN_CANON:
        b = 0x7FC00000u;
        break;
    default:
        /* Exact: every finite value of a format decodable to binary32 is a
         * binary32 value (tp_format_check). */
        finite_parts(p, mag, &mant, &exp);
        b = (uint32_t)ieee_bits(sign, mant, exp, 8, 23);
        break;
    }
    memcpy(&r, &b, sizeof r);
    return r;
}

/* Code buffers are void *: any alignment is allowed, so codes move with
 * memcpy (which compiles to plain loads and stores). */
uint64_t tpi_load_code(const void *src, size_t i, size_t size)
{
    const unsigned char *p = (const unsigned char *)src + i * size;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    switch (size) {
    case 1: memcpy(&u8, p, 1); return u8;
    case 2: memcpy(&u16, p, 2); return u16;
    case 4: memcpy(&u32, p, 4); return u32;
    default: memcpy(&u64, p, 8); return u64;
    }
}

void tpi_store_code(void *dst, size_t i, size_t size, uint64_t c)
{
    unsigned char *p = (unsigned char *)dst + i * size;
    uint8_t u8 = (uint8_t)c;
    uint16_t u16 = (uint16_t)c;
    uint32_t u32 = (uint32_t)c;
    switch (size) {
    case 1: memcpy(p, &u8, 1); break;
    case 2: memcpy(p, &u16, 2); break;
    case 4: memcpy(p, &u32, 4); break;
    default: memcpy(p, &c, 8); break;
    }
}

/* binary32 bits to the exact binary64 value, with integer operations only
 * (a float-to-double conversion would flush subnormals under DAZ). */
double tpi_f32_bits_to_f64(uint32_t u)
{
    int sign = (int)(u >> 31), e = (int)((u >> 23) & 0xFF);
    uint64_t m = u & 0x7FFFFFu, b;
    double r;
    if (e == 0xFF)
        b = ((uint64_t)sign << 63) | UINT64_C(0x7FF0000000000000) | (m << 29);
    else if (e == 0)
        b = ieee_bits(sign, m, -149, 11, 52);
    else
        b = ieee_bits(sign, m | 0x800000u, e - 150, 11, 52);
    memcpy(&r, &b, sizeof r);
    return r;
}

static uint32_t sr_bits(const tp_sr *sr, size_t i)
{
    if (sr == NULL)
        return 0;
    return sr->bits ? sr->bits[i] : tp_sr_word(sr->seed, sr->counter + i);
}

void tpi_ref_enc_f32(const tpi_fmt *p, const float *src, void *dst, size_t n, tp_round rnd,
                     tp_overflow ovf, const tp_sr *sr, unsigned *flags)
{
    size_t size = tpi_code_size(p->d);
    const tp_sr *s = rnd == TP_RSR ? sr : NULL;
    for (size_t i = 0; i < n; i++)
        tpi_store_code(dst, i, size, tpi_ref_encode1_f32(p, src[i], rnd, ovf, sr_bits(s, i), flags));
}

void tpi_ref_enc_f64(const tpi_fmt *p, const double *src, void *dst, size_t n, tp_round rnd,
                     tp_overflow ovf, const tp_sr *sr, unsigned *flags)
{
    size_t size = tpi_code_size(p->d);
    const tp_sr *s = rnd == TP_RSR ? sr : NULL;
    for (size_t i = 0; i < n; i++)
        tpi_store_code(dst, i, size, tpi_ref_encode1_f64(p, src[i], rnd, ovf, sr_bits(s, i), flags));
}

void tpi_ref_dec_f32(const tpi_fmt *p, const void *src, float *dst, size_t n, unsigned *flags)
{
    size_t size = tpi_code_size(p->d);
    for (size_t i = 0; i < n; i++)
        dst[i] = tpi_ref_decode1_f32(p, tpi_load_code(src, i, size), flags);
}

void tpi_ref_dec_f64(const tpi_fmt *p, const void *src, double *dst, size_t n, unsigned *flags)
{
    size_t size = tpi_code_size(p->d);
    for (size_t i = 0; i < n; i++)
        dst[i] = tpi_ref_decode1(p, tpi_load_code(src, i, size), flags);
}
