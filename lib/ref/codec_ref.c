/*
 * codec_ref.c -- the scalar reference codec.  It is the specification of
 * doc/semantics.md in code: every other kernel must match it bit for bit,
 * flags included.  Integer arithmetic only; no floating-point environment
 * assumptions.
 */
#include <math.h>
#include <string.h>

#include "ref.h"

static int top_bit(uint64_t x) /* x != 0 */
{
    int n = 0;
    while (x >> 1) {
        x >>= 1;
        n++;
    }
    return n;
}

/* The fraction cut off by truncation is rem / 2^shift, with rem < 2^shift
 * (shift may exceed 64: then rem < 2^64 <= 2^(shift-1)).  cmp_half returns
 * <0, 0, >0 as the fraction is below, at or above one half. */
static int cmp_half(uint64_t rem, int shift)
{
    if (shift > 64)
        return -1;
    uint64_t half = UINT64_C(1) << (shift - 1);
    return rem < half ? -1 : rem > half;
}

/* Stochastic rounding: up iff fraction * 2^32 > r. */
static int sr_up(uint64_t rem, int shift, uint32_t r)
{
    if (shift <= 32)
        return (rem << (32 - shift)) > (uint64_t)r;
    int s = shift - 32; /* fraction*2^32 = rem / 2^s */
    uint64_t hi = s >= 64 ? 0 : rem >> s;
    uint64_t lo = s >= 64 ? rem : rem & ((UINT64_C(1) << s) - 1);
    return hi > r || (hi == r && lo != 0);
}

static int round_up(tp_round rnd, int sign, uint64_t c, uint64_t rem, int shift, uint32_t rbits)
{
    if (rem == 0)
        return 0;
    switch (rnd) {
    case TP_RNE: {
        int h = cmp_half(rem, shift);
        return h > 0 || (h == 0 && (c & 1));
    }
    case TP_RNA: return cmp_half(rem, shift) >= 0;
    case TP_RTZ: return 0;
    case TP_RUP: return !sign;
    case TP_RDN: return sign;
    case TP_RTO: return (c & 1) == 0;
    case TP_RSR: return sr_up(rem, shift, rbits);
    }
    return 0;
}

/* Truncates mant * 2^exp to a multiple of 2^qe: t plus the cut-off fraction
 * (rem, shift).  Returns 0 if t does not fit in 63 bits. */
static int truncate(uint64_t mant, int exp, int qe, uint64_t *t, uint64_t *rem, int *shift)
{
    int s = qe - exp;
    if (s <= 0) {
        if (-s >= 63 || (mant >> (63 + s)) != 0)
            return 0;
        *t = mant << -s;
        *rem = 0;
        *shift = 1;
    } else if (s >= 64) {
        *t = 0;
        *rem = mant;
        *shift = s;
    } else {
        *t = mant >> s;
        *rem = mant & ((UINT64_C(1) << s) - 1);
        *shift = s;
    }
    return 1;
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

static uint64_t int_result(const tpi_fmt *p, int64_t v)
{
    return (uint64_t)v & p->code_mask;
}

static uint64_t round_int(const tpi_fmt *p, int sign, uint64_t mant, int exp, int is_nan,
                          int is_inf, tp_round rnd, uint32_t rbits, unsigned *flags)
{
    if (is_nan) {
        *flags |= TP_FLAG_INVALID;
        return 0;
    }
    int64_t lo = p->imin, hi = p->imax;
    if (is_inf) {
        *flags |= TP_FLAG_OVERFLOW | TP_FLAG_INEXACT;
        return int_result(p, sign ? lo : hi);
    }
    if (mant == 0)
        return 0;
    uint64_t t, rem;
    int shift;
    if (!truncate(mant, exp, p->scale_exp, &t, &rem, &shift)) {
        *flags |= TP_FLAG_OVERFLOW | TP_FLAG_INEXACT;
        return int_result(p, sign ? lo : hi);
    }
    if (rem != 0)
        *flags |= TP_FLAG_INEXACT;
    t += (uint64_t)round_up(rnd, sign, t, rem, shift, rbits);
    uint64_t limit = sign ? (uint64_t)(-lo) : (uint64_t)hi;
    if (t > limit) {
        *flags |= TP_FLAG_OVERFLOW | TP_FLAG_INEXACT;
        return int_result(p, sign ? lo : hi);
    }
    return int_result(p, sign ? -(int64_t)t : (int64_t)t);
}

uint64_t tpi_ref_round(const tpi_fmt *p, int sign, uint64_t mant, int exp, int is_nan,
                       int is_inf, tp_round rnd, tp_overflow ovf, uint32_t rbits, unsigned *flags)
{
    if (p->is_int)
        return round_int(p, sign, mant, exp, is_nan, is_inf, rnd, rbits, flags);

    int m = p->man;
    if (is_nan) {
        switch (p->d->nan) {
        case TP_NAN_IEEE: {
            uint64_t q = UINT64_C(1) << (m - 1);
            return with_sign(p, sign, p->inf_mag | q | (mant >> (64 - m)));
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
    int unsigned_fmt = !p->d->sign;
    if (unsigned_fmt && sign && (mant != 0 || is_inf)) {
        *flags |= TP_FLAG_INVALID;
        return p->has_nan ? p->nan_code : 0;
    }
    if (is_inf) {
        if (ovf == TP_OVF_NONSAT && p->has_inf)
            return with_sign(p, sign, p->inf_mag);
        if (ovf == TP_OVF_NONSAT && p->has_nan) {
            *flags |= TP_FLAG_INVALID;
            return nan_result(p, sign);
        }
        *flags |= TP_FLAG_OVERFLOW | TP_FLAG_INEXACT;
        return with_sign(p, sign, p->max_mag);
    }
    if (mant == 0) {
        if (p->no_zero) {
            *flags |= TP_FLAG_INVALID;
            return p->nan_code;
        }
        return sign && p->has_negzero ? with_sign(p, 1, 0) : 0;
    }

    int ex = exp + top_bit(mant); /* |x| in [2^ex, 2^(ex+1)) */
    if (p->no_zero && ex < p->emin) {
        *flags |= TP_FLAG_UNDERFLOW | TP_FLAG_INEXACT;
        return 0;
    }
    int eb = ex > p->emin ? ex : p->emin; /* binade that sets the quantum */
    uint64_t t = 0, rem = 0;
    int shift = 1;
    truncate(mant, exp, eb - m, &t, &rem, &shift); /* t < 2^(m+1): always fits */
    /* Magnitude code of t, with an unbounded exponent: exponent field
     * eb + bias, plus the mantissa t - 2^m; for subnormals eb + bias - 1 = 0
     * and t < 2^m is the code itself. */
    uint64_t c = (uint64_t)((int64_t)(eb + p->d->bias - 1) * (INT64_C(1) << m) + (int64_t)t);
    if (rem != 0) {
        *flags |= TP_FLAG_INEXACT;
        if (ex < p->emin)
            *flags |= TP_FLAG_UNDERFLOW;
    }
    c += (uint64_t)round_up(rnd, sign, c, rem, shift, rbits);
    if (c > p->max_mag) {
        int to_inf = rnd == TP_RNE || rnd == TP_RNA || rnd == TP_RSR ||
                     (rnd == TP_RUP && !sign) || (rnd == TP_RDN && sign);
        *flags |= TP_FLAG_OVERFLOW | TP_FLAG_INEXACT;
        return overflow_result(p, sign, to_inf, ovf, flags);
    }
    if (c == 0)
        return sign && p->has_negzero ? with_sign(p, 1, 0) : 0;
    return with_sign(p, sign, c);
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

static double finite_value(const tpi_fmt *p, int sign, uint64_t mag)
{
    double v;
    int m = p->man;
    uint64_t field = mag >> m, frac = mag & ((UINT64_C(1) << m) - 1);
    if (field == 0 && !p->no_zero)
        v = ldexp((double)frac, p->emin - m);
    else
        v = ldexp((double)((UINT64_C(1) << m) | frac), (int)field - p->d->bias - m);
    return sign ? -v : v;
}

static int64_t int_value(const tpi_fmt *p, uint64_t code)
{
    if (p->d->sign && (code >> (p->bits - 1)) & 1)
        return (int64_t)code - (INT64_C(1) << p->bits);
    return (int64_t)code;
}

double tpi_ref_decode1(const tpi_fmt *p, uint64_t code, unsigned *flags)
{
    if (p->is_int)
        return ldexp((double)int_value(p, code), p->scale_exp);
    int sign = 0;
    uint64_t mag = 0, b;
    double r;
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
        return finite_value(p, sign, mag);
    }
    memcpy(&r, &b, sizeof r);
    return r;
}

float tpi_ref_decode1_f32(const tpi_fmt *p, uint64_t code, unsigned *flags)
{
    if (p->is_int)
        return (float)ldexp((double)int_value(p, code), p->scale_exp);
    int sign = 0;
    uint64_t mag = 0;
    uint32_t b;
    float r;
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
        return (float)finite_value(p, sign, mag);
    }
    memcpy(&r, &b, sizeof r);
    return r;
}

uint64_t tpi_load_code(const void *src, size_t i, size_t size)
{
    switch (size) {
    case 1: return ((const uint8_t *)src)[i];
    case 2: return ((const uint16_t *)src)[i];
    case 4: return ((const uint32_t *)src)[i];
    default: return ((const uint64_t *)src)[i];
    }
}

void tpi_store_code(void *dst, size_t i, size_t size, uint64_t c)
{
    switch (size) {
    case 1: ((uint8_t *)dst)[i] = (uint8_t)c; break;
    case 2: ((uint16_t *)dst)[i] = (uint16_t)c; break;
    case 4: ((uint32_t *)dst)[i] = (uint32_t)c; break;
    default: ((uint64_t *)dst)[i] = c; break;
    }
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
