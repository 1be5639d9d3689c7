/*
 * dot_avx512.c -- AVX-512 exact dot kernels (unit strides; other strides
 * take the reference).  Bit-identical to lib/ref/dot_ref.c: every path adds
 * the same exact value into the accumulator, and a chunk whose products are
 * all zero, that holds a NaN/Inf, or whose exact sum is zero goes to the
 * reference as it does there (so the signed-zero state is the same).
 *
 *  - E4M3 x E4M3, fp64 chain.  A code c maps to binary16 bits
 *    (sign << 15) | ((c & 0x7F) << 7), whose value is exactly value(c) * 2^-8
 *    (the exponent biases differ by 8; E4M3 subnormals become binary16
 *    subnormals).  vcvtph2ps widens exactly; the product of two is exact in
 *    binary32 (8-bit significands, >= 2^-34); it is widened to binary64 and
 *    summed in 16 lanes.  True products are multiples of 2^-18 below
 *    2^17.62, so a lane of at most 2^16 terms stays below 2^33.62 on a grid
 *    of 2^-18: 51.6 bits, exact in binary64.  Lane sums are converted
 *    exactly to int64 (units of 2^-18, < 2^51.7) and added (< 2^56).
 *  - binary32 x binary32 and bfloat16 x bfloat16, split levels: products
 *    exact in binary64 (48 / 16 significant bits, 2^-298 .. 2^256), summed
 *    by Rump's error-free extraction (dot_ref.c) in 8 lanes; each lane holds
 *    at most 2048 terms (2^12 >= 2048 + 2), each lane sum is a multiple of
 *    2^-53 sigma below sigma, so it converts exactly to int64 and 8 of them
 *    sum below 2^56.  Each chunk first tries one pass with the levels fixed
 *    by max|x| * max|y| (fixed2 below: two levels for binary32, one and then
 *    two for bfloat16), and runs the adaptive levels only if that leaves a
 *    remainder.  A chunk with a binary32 or bfloat16 subnormal input goes
 *    to the reference (DAZ would read it as zero in vcvtps2pd; see
 *    max_abs_bits).
 *  - MX x MX block dots (MXFP4/MXFP8 E4M3 pairs): int32/int64 block sums
 *    within a window of scale exponents; see "MX blocks" below.
 */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "ref.h"
#include "../dot_common.h"

static tpi_dot_fn ref_e4m3, ref_f32, ref_bf16;

/* ------------------------------------------------------------ E4M3 */

static inline __m512 e4m3_to_ps_scaled(__m128i c16) /* 16 codes -> value * 2^-8 */
{
    __m256i w = _mm256_cvtepi8_epi16(c16);
    w = _mm256_and_si256(_mm256_slli_epi16(w, 7), _mm256_set1_epi16((short)0xBF80));
    return _mm512_cvtph_ps(w);
}

static void dot_e4m3_avx512(const tpi_fmt *pa, const void *a, size_t inca, const tpi_fmt *pb,
                            const void *b, size_t incb, size_t n, tp_acc *acc)
{
    if (inca != 1 || incb != 1) {
        ref_e4m3(pa, a, inca, pb, b, incb, n, acc);
        return;
    }
    const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
    const __m512i m7f = _mm512_set1_epi8(0x7F);
    for (size_t i0 = 0; i0 < n; i0 += E4_CHUNK) {
        size_t m = dot_chunk_len(n, i0, E4_CHUNK);
        const uint8_t *xc = x + i0, *yc = y + i0;
        __m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
        __mmask64 nan = 0;
        size_t i = 0;
        for (; i + 64 <= m; i += 64) {
            __m512i cx = _mm512_loadu_si512(xc + i), cy = _mm512_loadu_si512(yc + i);
            nan |= _mm512_cmpeq_epi8_mask(_mm512_and_si512(cx, m7f), m7f);
            nan |= _mm512_cmpeq_epi8_mask(_mm512_and_si512(cy, m7f), m7f);
            for (int h = 0; h < 4; h++) {
                __m128i hx = _mm512_extracti32x4_epi32(cx, 0), hy = _mm512_extracti32x4_epi32(cy, 0);
                switch (h) {
                case 1:
                    hx = _mm512_extracti32x4_epi32(cx, 1);
                    hy = _mm512_extracti32x4_epi32(cy, 1);
                    break;
                case 2:
                    hx = _mm512_extracti32x4_epi32(cx, 2);
                    hy = _mm512_extracti32x4_epi32(cy, 2);
                    break;
                case 3:
                    hx = _mm512_extracti32x4_epi32(cx, 3);
                    hy = _mm512_extracti32x4_epi32(cy, 3);
                    break;
                default: break;
                }
                __m512 p = _mm512_mul_ps(e4m3_to_ps_scaled(hx), e4m3_to_ps_scaled(hy));
                __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(p));
                __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(
                    _mm512_castps_pd(p), 1)));
                if (h & 1) {
                    s2 = _mm512_add_pd(s2, lo);
                    s3 = _mm512_add_pd(s3, hi);
                } else {
                    s0 = _mm512_add_pd(s0, lo);
                    s1 = _mm512_add_pd(s1, hi);
                }
            }
        }
        /* the tail: the same products, one lane */
        double t = 0.0;
        int tnan = 0;
        for (; i < m; i++) {
            __m128i hx = _mm_cvtsi32_si128(xc[i]), hy = _mm_cvtsi32_si128(yc[i]);
            tnan |= dot_e4m3_isnan(xc[i]) || dot_e4m3_isnan(yc[i]);
            __m512 p = _mm512_mul_ps(e4m3_to_ps_scaled(hx), e4m3_to_ps_scaled(hy));
            t += (double)_mm512_cvtss_f32(p);
        }
        if (nan || tnan) {
            tpi_ref_dot_generic(pa, xc, 1, pb, yc, 1, m, acc);
            continue;
        }
        /* each lane: a multiple of 2^-34 (scaled) below 2^34: exact int64 */
        const __m512d k = _mm512_set1_pd(0x1p34);
        __m512i q = _mm512_add_epi64(
            _mm512_add_epi64(_mm512_cvtpd_epi64(_mm512_mul_pd(s0, k)),
                             _mm512_cvtpd_epi64(_mm512_mul_pd(s1, k))),
            _mm512_add_epi64(_mm512_cvtpd_epi64(_mm512_mul_pd(s2, k)),
                             _mm512_cvtpd_epi64(_mm512_mul_pd(s3, k))));
        int64_t tot = _mm512_reduce_add_epi64(q) + (int64_t)(t * 0x1p34);
        if (tot == 0)
            tpi_ref_dot_generic(pa, xc, 1, pb, yc, 1, m, acc);
        else
            tpi_dot_add_i64(acc, tot, -18); /* scaled 2^-34 is 2^-18 of the true product */
    }
}

/* ------------------------------------------------------------ split levels */

/* Sums the m finite products p[] exactly into acc (see the file comment);
 * returns nonzero if a nonzero term was added.  p is overwritten. */
static int split_levels(tp_acc *acc, double *p, size_t m)
{
    __m512d vmax = _mm512_setzero_pd();
    size_t i;
    for (i = 0; i + 8 <= m; i += 8)
        vmax = _mm512_max_pd(vmax, _mm512_abs_pd(_mm512_loadu_pd(p + i)));
    double amax = _mm512_reduce_max_pd(vmax);
    for (; i < m; i++)
        amax = fabs(p[i]) > amax ? fabs(p[i]) : amax;
    if (amax == 0.0)
        return 0;
    int e, added = 0;
    frexp(amax, &e);
    for (int lev = 0; lev < SP_LEVELS; lev++) {
        double sigma = ldexp(1.0, e + SP_M);
        __m512d vs = _mm512_set1_pd(sigma), acc0 = _mm512_setzero_pd(), acc1 = acc0;
        __mmask8 nz = 0;
        for (i = 0; i + 16 <= m; i += 16) {
            __m512d p0 = _mm512_loadu_pd(p + i), p1 = _mm512_loadu_pd(p + i + 8);
            __m512d q0 = _mm512_sub_pd(_mm512_add_pd(vs, p0), vs);
            __m512d q1 = _mm512_sub_pd(_mm512_add_pd(vs, p1), vs);
            p0 = _mm512_sub_pd(p0, q0);
            p1 = _mm512_sub_pd(p1, q1);
            _mm512_storeu_pd(p + i, p0);
            _mm512_storeu_pd(p + i + 8, p1);
            acc0 = _mm512_add_pd(acc0, q0);
            acc1 = _mm512_add_pd(acc1, q1);
            nz |= _mm512_cmp_pd_mask(p0, _mm512_setzero_pd(), _CMP_NEQ_UQ) |
                  _mm512_cmp_pd_mask(p1, _mm512_setzero_pd(), _CMP_NEQ_UQ);
        }
        double ts = 0.0;
        nz |= (__mmask8)dot_split_tail(p, i, m, sigma, &ts);
        /* lane sums and ts: multiples of 2^-53 sigma below sigma */
        const __m512d k = _mm512_set1_pd(ldexp(1.0, 53 - (e + SP_M)));
        __m512i qi = _mm512_add_epi64(_mm512_cvtpd_epi64(_mm512_mul_pd(acc0, k)),
                                      _mm512_cvtpd_epi64(_mm512_mul_pd(acc1, k)));
        int64_t tot = _mm512_reduce_add_epi64(qi) + (int64_t)(ts * ldexp(1.0, 53 - (e + SP_M)));
        added |= dot_add_nonzero(acc, tot, e + SP_M - 53);
        if (!nz)
            return added;
        e = e + SP_M - 53;
    }
    return dot_split_rest(acc, p, m) | added;
}

/* ------------------------------------------------------------ two fixed levels
 *
 * One pass per chunk of m <= 2048 binary32 or bfloat16 pairs.  The bound
 * B = max|x| * max|y| (exact in binary64) gives 2^e > B >= every |p_i|, and
 * the two fixed levels of the split path (sigma1 = 2^(e+12), sigma2 =
 * 2^(e+12-41), 2^12 >= m + 2) are applied to each exact binary64 product
 * p_i on the fly: q1 = (sigma1 + p) - sigma1, r = p - q1 (exact,
 * |r| <= 2^-53 sigma1 = 2^(e-41)), q2 = (sigma2 + r) - sigma2, r2 = r - q2.
 * Every partial sum of the q1 (q2) is a multiple of 2^-53 sigma1 (sigma2)
 * below sigma1 (sigma2), so the lanes convert exactly to int64 (< 2^53; 16
 * lanes < 2^57).  If some r2 is not zero (a product more than 81 bits below
 * 2^e) the chunk is redone by split_levels; an Inf/NaN operand, B = 0 or a
 * zero total go to the reference as before.  Returns 1 if the chunk was
 * added, 0 to redo it with split_levels, -1 for the reference.  With
 * lv = 1 only the first level is applied and any nonzero r redoes the chunk
 * (bfloat16 products have 16-bit significands: every product above
 * 2^(e-26) is taken whole by the first level). */
static inline __m512d ld8_pd(const void *base, size_t i, __mmask8 k, int bf)
{
    if (bf) {
        __m128i h = _mm_maskz_loadu_epi16(k, (const uint16_t *)base + i);
        return _mm512_cvtps_pd(_mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)));
    }
    return _mm512_cvtps_pd(_mm256_maskz_loadu_ps(k, (const float *)base + i));
}

/* The largest magnitude as binary32 bits (>= 0x7F800000: an Inf or NaN),
 * or 0xFFFFFFFF if some element is subnormal (exponent field 0, fraction not
 * 0), which sends the chunk to the reference as an Inf/NaN does.
 *
 * Why: under MXCSR.DAZ vcvtps2pd (and the scalar (double) conversion) read
 * a binary32 subnormal as zero, so the widened products below would drop it
 * when the caller runs with FTZ|DAZ (inference engines set MXCSR |= 0x8040).
 * The test is on integer bits (|x| - 1 < 0x7FFFFF unsigned; bfloat16: < 0x7F),
 * which no MXCSR bit affects, so every environment takes the same path and
 * the reference, which widens with integer operations, gives the same bits.
 * Every other floating-point value of the fast paths is normal: widened
 * normal binary32 values, their binary64 products (>= 2^-252), the split
 * levels and remainders (far above 2^-1022), so FTZ and DAZ cannot act. */
static inline uint32_t max_abs_bits(const void *base, size_t m, int bf)
{
    if (bf) {
        const uint16_t *x = (const uint16_t *)base;
        __m512i v = _mm512_setzero_si512(), a;
        const __m512i k = _mm512_set1_epi16(0x7FFF), one = _mm512_set1_epi16(1);
        const __m512i sn = _mm512_set1_epi16(0x7F);
        __mmask32 sub = 0;
        size_t i = 0;
        for (; i + 32 <= m; i += 32) {
            a = _mm512_and_si512(_mm512_loadu_si512(x + i), k);
            sub |= _mm512_cmplt_epu16_mask(_mm512_sub_epi16(a, one), sn);
            v = _mm512_max_epu16(v, a);
        }
        if (i < m) { /* masked-off lanes are 0: 0 - 1 is not below 0x7F */
            a = _mm512_and_si512(_mm512_maskz_loadu_epi16((__mmask32)((1u << (m - i)) - 1), x + i),
                                 k);
            sub |= _mm512_cmplt_epu16_mask(_mm512_sub_epi16(a, one), sn);
            v = _mm512_max_epu16(v, a);
        }
        if (sub)
            return 0xFFFFFFFFu;
        __m512i w = _mm512_max_epu32(_mm512_and_si512(v, _mm512_set1_epi32(0xFFFF)),
                                     _mm512_srli_epi32(v, 16));
        return (uint32_t)_mm512_reduce_max_epu32(w) << 16;
    }
    const float *x = (const float *)base;
    __m512i v = _mm512_setzero_si512(), a;
    const __m512i k = _mm512_set1_epi32(0x7FFFFFFF), one = _mm512_set1_epi32(1);
    const __m512i sn = _mm512_set1_epi32(0x7FFFFF);
    __mmask16 sub = 0;
    size_t i = 0;
    for (; i + 16 <= m; i += 16) {
        a = _mm512_and_si512(_mm512_loadu_si512(x + i), k);
        sub |= _mm512_cmplt_epu32_mask(_mm512_sub_epi32(a, one), sn);
        v = _mm512_max_epu32(v, a);
    }
    if (i < m) {
        a = _mm512_and_si512(_mm512_maskz_loadu_epi32((__mmask16)((1u << (m - i)) - 1), x + i), k);
        sub |= _mm512_cmplt_epu32_mask(_mm512_sub_epi32(a, one), sn);
        v = _mm512_max_epu32(v, a);
    }
    if (sub)
        return 0xFFFFFFFFu;
    return (uint32_t)_mm512_reduce_max_epu32(v);
}

static inline int fixed2(tp_acc *acc, const void *a, const void *b, size_t m, int bf, int lv)
{
    int e;
    if (!dot_fixed2_exp(max_abs_bits(a, m, bf), max_abs_bits(b, m, bf), &e))
        return -1;
    const __m512d s1 = _mm512_set1_pd(ldexp(1.0, e + SP_M));
    const __m512d s2 = _mm512_set1_pd(ldexp(1.0, e + SP_M - 41));
    const __m512d z = _mm512_setzero_pd();
    __m512d a1 = z, a2 = z, b1 = z, b2 = z;
    __mmask8 nz = 0;
    size_t i = 0;
    for (; i + 16 <= m; i += 16) {
        __m512d p = _mm512_mul_pd(ld8_pd(a, i, 0xFF, bf), ld8_pd(b, i, 0xFF, bf));
        __m512d p2 = _mm512_mul_pd(ld8_pd(a, i + 8, 0xFF, bf), ld8_pd(b, i + 8, 0xFF, bf));
        __m512d q = _mm512_sub_pd(_mm512_add_pd(s1, p), s1);
        __m512d q_ = _mm512_sub_pd(_mm512_add_pd(s1, p2), s1);
        p = _mm512_sub_pd(p, q);
        p2 = _mm512_sub_pd(p2, q_);
        a1 = _mm512_add_pd(a1, q);
        b1 = _mm512_add_pd(b1, q_);
        if (lv == 1) { /* p is now r: any nonzero r needs another level */
            nz |= _mm512_cmp_pd_mask(p, z, _CMP_NEQ_UQ) | _mm512_cmp_pd_mask(p2, z, _CMP_NEQ_UQ);
            continue;
        }
        q = _mm512_sub_pd(_mm512_add_pd(s2, p), s2);
        q_ = _mm512_sub_pd(_mm512_add_pd(s2, p2), s2);
        a2 = _mm512_add_pd(a2, q);
        b2 = _mm512_add_pd(b2, q_);
        nz |= _mm512_cmp_pd_mask(p, q, _CMP_NEQ_UQ) | _mm512_cmp_pd_mask(p2, q_, _CMP_NEQ_UQ);
    }
    for (; i < m; i += 8) {
        __mmask8 k = m - i >= 8 ? 0xFF : (__mmask8)((1u << (m - i)) - 1);
        __m512d p = _mm512_mul_pd(ld8_pd(a, i, k, bf), ld8_pd(b, i, k, bf));
        __m512d q = _mm512_sub_pd(_mm512_add_pd(s1, p), s1);
        p = _mm512_sub_pd(p, q);
        a1 = _mm512_add_pd(a1, q);
        if (lv == 1) {
            nz |= _mm512_cmp_pd_mask(p, z, _CMP_NEQ_UQ);
            continue;
        }
        q = _mm512_sub_pd(_mm512_add_pd(s2, p), s2);
        a2 = _mm512_add_pd(a2, q);
        nz |= _mm512_cmp_pd_mask(p, q, _CMP_NEQ_UQ);
    }
    if (nz)
        return 0;
    const __m512d k1 = _mm512_set1_pd(ldexp(1.0, 53 - (e + SP_M)));
    const __m512d k2 = _mm512_set1_pd(ldexp(1.0, 53 - (e + SP_M - 41)));
    int64_t t1 = _mm512_reduce_add_epi64(_mm512_add_epi64(_mm512_cvtpd_epi64(_mm512_mul_pd(a1, k1)),
                                                          _mm512_cvtpd_epi64(_mm512_mul_pd(b1, k1))));
    int64_t t2 = _mm512_reduce_add_epi64(_mm512_add_epi64(_mm512_cvtpd_epi64(_mm512_mul_pd(a2, k2)),
                                                          _mm512_cvtpd_epi64(_mm512_mul_pd(b2, k2))));
    return dot_fixed2_add(acc, t1, t2, e);
}

static void dot_f32_avx512(const tpi_fmt *pa, const void *a, size_t inca, const tpi_fmt *pb,
                           const void *b, size_t incb, size_t n, tp_acc *acc)
{
    if (inca != 1 || incb != 1) {
        ref_f32(pa, a, inca, pb, b, incb, n, acc);
        return;
    }
    const float *x = (const float *)a, *y = (const float *)b;
    double p[SP_CHUNK];
    for (size_t i0 = 0; i0 < n; i0 += SP_CHUNK) {
        size_t m = dot_chunk_len(n, i0, SP_CHUNK), i;
        int f2 = fixed2(acc, x + i0, y + i0, m, 0, 2);
        if (dot_fixed2_done(f2, pa, x + i0, pb, y + i0, m, acc))
            continue;
        __mmask8 bad = 0;
        for (i = 0; i + 8 <= m; i += 8) {
            __m512d pv = _mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + i0 + i)),
                                       _mm512_cvtps_pd(_mm256_loadu_ps(y + i0 + i)));
            bad |= _mm512_cmp_pd_mask(_mm512_sub_pd(pv, pv), _mm512_setzero_pd(), _CMP_NEQ_UQ);
            _mm512_storeu_pd(p + i, pv);
        }
        int tbad = dot_products_tail(p, x + i0, y + i0, i, m, 0);
        if (bad || tbad || !split_levels(acc, p, m))
            tpi_ref_dot_generic(pa, x + i0, 1, pb, y + i0, 1, m, acc);
    }
}

static void dot_bf16_avx512(const tpi_fmt *pa, const void *a, size_t inca, const tpi_fmt *pb,
                            const void *b, size_t incb, size_t n, tp_acc *acc)
{
    if (inca != 1 || incb != 1) {
        ref_bf16(pa, a, inca, pb, b, incb, n, acc);
        return;
    }
    const uint16_t *x = (const uint16_t *)a, *y = (const uint16_t *)b;
    double p[SP_CHUNK];
    for (size_t i0 = 0; i0 < n; i0 += SP_CHUNK) {
        size_t m = dot_chunk_len(n, i0, SP_CHUNK), i;
        int f2 = fixed2(acc, x + i0, y + i0, m, 1, 1); /* bfloat16: one level, then two */
        if (f2 == 0)
            f2 = fixed2(acc, x + i0, y + i0, m, 1, 2);
        if (dot_fixed2_done(f2, pa, x + i0, pb, y + i0, m, acc))
            continue;
        __mmask8 bad = 0;
        for (i = 0; i + 8 <= m; i += 8) {
            __m256i wx = _mm256_slli_epi32(
                _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(x + i0 + i))), 16);
            __m256i wy = _mm256_slli_epi32(
                _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(y + i0 + i))), 16);
            __m512d pv = _mm512_mul_pd(_mm512_cvtps_pd(_mm256_castsi256_ps(wx)),
                                       _mm512_cvtps_pd(_mm256_castsi256_ps(wy)));
            bad |= _mm512_cmp_pd_mask(_mm512_sub_pd(pv, pv), _mm512_setzero_pd(), _CMP_NEQ_UQ);
            _mm512_storeu_pd(p + i, pv);
        }
        int tbad = dot_products_tail(p, x + i0, y + i0, i, m, 1);
        if (bad || tbad || !split_levels(acc, p, m))
            tpi_ref_dot_generic(pa, x + i0, 1, pb, y + i0, 1, m, acc);
    }
}


/* ------------------------------------------------------------ MX blocks
 *
 * MX x MX with E8M0 scales in the default layout: MXFP4 x MXFP4, MXFP4 x
 * MXFP8 (E4M3) in either order, MXFP8 (E4M3) x MXFP8 (E4M3).  Everything
 * else goes to tpi_ref_block_dot, as does every chunk of BD_CHUNK blocks
 * that holds a NaN scale (0xFF), an E4M3 NaN code, a spread of combined
 * scale exponents ca + cb wider than the pair's window W, or whose exact
 * sum is zero (so the signed-zero state is the reference's).
 *
 * Per chunk, d = ca + cb - min(ca + cb) in [0, W].  Element values:
 * E2M1 = k/2 with |k| <= 12; E4M3 = X * 2^-9 with |X| <= 448 * 2^9 < 2^17.81
 * (the binary16 trick of dot_e4m3_avx512 gives X * 2^-17 exactly).
 *  - MXFP4 x MXFP8: the products are the integers k X, |k X| <= 12 * 229376
 *    < 2^21.4 (6 significant bits).  Two blocks at a time, k and X are
 *    looked up as bfloat16 (vpermw, vpermi2b; both exact: at most 4
 *    significant bits) and vdpbf16ps sums 4 products per binary32 lane:
 *    every partial sum is an integer below 4 * 2752512 < 2^24, so its
 *    RNE/DAZ/FTZ arithmetic is exact (no input or result is subnormal).
 *    Groups of 16 blocks convert their lanes to int32 and reduce them by a
 *    shuffle tree to one int32 per block (< 32 * 2^21.4 = 2^26.4), which is
 *    widened and shifted left by d.  Leftover pairs multiply their lanes by
 *    2^d in binary32 (exact) and convert to int64; a leftover single block
 *    uses binary32 products (E2M1 looked up as k * 2^17) summed 4 per lane.
 *    A chunk of 64 blocks sums to < 2^32.4 * 2^d <= 2^62.4 with W = 30: no
 *    int64 lane or total can overflow.  Unit 2^-10.
 *  - MXFP4 x MXFP4: the same with k_a k_b <= 144 (lanes of 4 <= 576, blocks
 *    <= 4608); a chunk sums to < 2^18.2 * 2^d < 2^63 with W = 44.  Unit 2^-2.
 *  - MXFP8 x MXFP8: the binary32 product X_a X_b * 2^-34 is exact (8-bit
 *    significands, >= 2^-34); times 2^(34 + d) it is the integer X_a X_b 2^d
 *    < 2^35.62 * 2^d, converted exactly to int64 one by one.  A chunk sums
 *    to < 2^11 * 2^35.62 * 2^d <= 2^62.62 with W = 16.  Unit 2^-18.
 * The chunk total goes into the accumulator as one exact int64 times
 * 2^(min - 254 + unit).  BD_CHUNK (blocks per chunk), the pairs, W (bd_win)
 * and the units (bd_unit) are in dot_common.h.
 */
static const int bd_mul[3] = {0, 0, 34}; /* 2^(d + bd_mul) per block */

/* E2M1 code -> k * 2^sh as binary32 (code 8 is -0). */
static __m512 e2m1_table(int sh)
{
    static const int k[8] = {0, 1, 2, 3, 4, 6, 8, 12};
    float t[16];
    for (int c = 0; c < 16; c++) {
        float v = ldexpf((float)k[c & 7], sh);
        t[c] = (c & 8) ? -v : v;
    }
    return _mm512_loadu_ps(t);
}

/* bfloat16 tables: t4w maps an E2M1 code (index bits 0-4: duplicated) to
 * k = 2 value; the E4M3 magnitude m (7 bits) maps to the low (l) and high
 * (h) bytes of X = value * 2^9 (at most 4 significant bits, exact); m = 0x7F
 * (NaN) gives h = 0xFF, which no finite code has (X < 2^18: h <= 0x48). */
static void bf16_tables(__m512i *t4w, __m512i *l0, __m512i *l1, __m512i *h0, __m512i *h1)
{
    static const int k[8] = {0, 1, 2, 3, 4, 6, 8, 12};
    uint16_t w[32];
    uint8_t l[128], h[128];
    for (int c = 0; c < 32; c++) {
        float v = (float)k[c & 7];
        uint32_t u;
        memcpy(&u, &v, 4);
        w[c] = (uint16_t)((u >> 16) | ((c & 8) ? 0x8000u : 0));
    }
    for (int m = 0; m < 128; m++) {
        int e = m >> 3, f = m & 7;
        float v = e == 0 ? (float)f : ldexpf((float)(8 + f), e - 1);
        uint32_t u;
        memcpy(&u, &v, 4);
        l[m] = (uint8_t)(u >> 16);
        h[m] = m == 0x7F ? 0xFF : (uint8_t)(u >> 24);
    }
    *t4w = _mm512_loadu_si512(w);
    *l0 = _mm512_loadu_si512(l);
    *l1 = _mm512_loadu_si512(l + 64);
    *h0 = _mm512_loadu_si512(h);
    *h1 = _mm512_loadu_si512(h + 64);
}

/* Blocks j, j+1 of MXFP4 x MXFP8 as bfloat16 pairs (word w holds elements
 * 2w and 2w + 1): 16 binary32 lanes, 8 per block, each the exact sum of 4
 * integer products k X (< 2^21.4 each, < 2^24 together).  vmx collects the
 * high table bytes (0xFF only for E4M3 NaN codes). */
static inline __m512 mx48_pair(const uint8_t *pa, const uint8_t *pb, __m512i t4w, __m512i l0,
                               __m512i l1, __m512i h0, __m512i h1, __m512i *vmx)
{
    const __m512i v80 = _mm512_set1_epi8((char)0x80), m00ff = _mm512_set1_epi16(0x00FF);
    const __m512i mff00 = _mm512_set1_epi16((short)0xFF00);
    __m512i x = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)pa));
    __m512i ae = _mm512_permutexvar_epi16(x, t4w);
    __m512i ao = _mm512_permutexvar_epi16(_mm512_srli_epi16(x, 4), t4w);
    __m512i c = _mm512_loadu_si512(pb);
    __m512i lb = _mm512_permutex2var_epi8(l0, c, l1);
    __m512i hb = _mm512_permutex2var_epi8(h0, c, h1);
    *vmx = _mm512_max_epu8(*vmx, hb);
    hb = _mm512_ternarylogic_epi32(hb, c, v80, 0xF8); /* hb | (c & 0x80) */
    __m512i be = _mm512_ternarylogic_epi32(_mm512_slli_epi16(hb, 8), lb, m00ff, 0xF8);
    __m512i bo = _mm512_ternarylogic_epi32(_mm512_srli_epi16(lb, 8), hb, mff00, 0xF8);
    __m512 r = _mm512_dpbf16_ps(_mm512_setzero_ps(), (__m512bh)ae, (__m512bh)be);
    return _mm512_dpbf16_ps(r, (__m512bh)ao, (__m512bh)bo);
}

/* Blocks j, j+1 of MXFP4 x MXFP4 the same way: lanes of 4 products
 * k_a k_b <= 144, exact. */
static inline __m512 mx44_pair(const uint8_t *pa, const uint8_t *pb, __m512i t4w)
{
    __m512i x = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)pa));
    __m512i y = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)pb));
    __m512i ae = _mm512_permutexvar_epi16(x, t4w);
    __m512i ao = _mm512_permutexvar_epi16(_mm512_srli_epi16(x, 4), t4w);
    __m512i be = _mm512_permutexvar_epi16(y, t4w);
    __m512i bo = _mm512_permutexvar_epi16(_mm512_srli_epi16(y, 4), t4w);
    __m512 r = _mm512_dpbf16_ps(_mm512_setzero_ps(), (__m512bh)ae, (__m512bh)be);
    return _mm512_dpbf16_ps(r, (__m512bh)ao, (__m512bh)bo);
}

/* The per-block multipliers 2^(d + mul) of a chunk of nb blocks into sc[];
 * returns 0 (chunk to the reference) on a NaN scale or a spread above win. */
static int bd_scales(const uint8_t *sa, const uint8_t *sb, int nb, int win, int mul, float *sc,
                     int32_t *dd, int *mn)
{
    __mmask64 m = nb == 64 ? ~(__mmask64)0 : (((__mmask64)1 << nb) - 1);
    __m512i va = _mm512_maskz_loadu_epi8(m, sa), vb = _mm512_maskz_loadu_epi8(m, sb);
    const __m512i ff = _mm512_set1_epi8((char)0xFF);
    if (_mm512_mask_cmpeq_epi8_mask(m, va, ff) | _mm512_mask_cmpeq_epi8_mask(m, vb, ff))
        return 0;
    __m512i s[4];
    int lo = 1 << 20, hi = -1;
    for (int q = 0; q < 4; q++) {
        __mmask16 mq = (__mmask16)(m >> (16 * q));
        s[q] = _mm512_add_epi32(
            _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(mq, sa + 16 * q)),
            _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(mq, sb + 16 * q)));
        if (mq) {
            int a = _mm512_mask_reduce_min_epi32(mq, s[q]), b = _mm512_mask_reduce_max_epi32(mq, s[q]);
            lo = a < lo ? a : lo;
            hi = b > hi ? b : hi;
        }
    }
    if (hi - lo > win)
        return 0;
    const __m512i off = _mm512_set1_epi32(127 + mul), vlo = _mm512_set1_epi32(lo);
    for (int q = 0; q < 4; q++) {
        __m512i d = _mm512_sub_epi32(s[q], vlo);
        _mm512_storeu_si512(dd + 16 * q, d);
        _mm512_storeu_ps(sc + 16 * q,
                         _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(d, off), 23)));
    }
    *mn = lo;
    return 1;
}

/* 32 E4M3 codes as 16 words -> binary16 bits (value * 2^-8) of the even and
 * the odd bytes. */
static inline void e4m3_pair16(__m256i w, __m256i *ev, __m256i *od)
{
    const __m256i m = _mm256_set1_epi16((short)0xBF80);
    *ev = _mm256_and_si256(_mm256_srai_epi16(_mm256_slli_epi16(w, 8), 1), m);
    *od = _mm256_and_si256(_mm256_srai_epi16(w, 1), m);
}

static void blk_dot_avx512(const tpi_blk *ka, const uint8_t *sa, const void *ea, float tsa,
                           const tpi_blk *kb, const uint8_t *sb, const void *eb, float tsb,
                           size_t n, tp_acc *acc, unsigned *flags)
{
    int pair = bd_pair(&ka, &sa, &ea, &kb, &sb, &eb);
    if (pair < 0) {
        tpi_ref_block_dot(ka, sa, ea, tsa, kb, sb, eb, tsb, n, acc, flags);
        return;
    }
    const size_t ba = bd_bytes_a(pair), bb = bd_bytes_b(pair); /* bytes/block */
    const uint8_t *xa = (const uint8_t *)ea, *xb = (const uint8_t *)eb;
    const __m512 t4 = e2m1_table(pair == BD_48 ? 17 : 0);
    __m512i t4w, t8l0, t8l1, t8h0, t8h1;
    bf16_tables(&t4w, &t8l0, &t8l1, &t8h0, &t8h1);
    const __m512i bd_perm = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    const __m256i v80 = _mm256_set1_epi8((char)0x80);
    size_t nblk = n / 32;
    for (size_t b0 = 0; b0 < nblk; b0 += BD_CHUNK) {
        int nb = bd_chunk_blocks(nblk, b0), mn = 0;
        float sc[BD_CHUNK];
        int32_t dd[BD_CHUNK];
        const uint8_t *pa = xa + b0 * ba, *pb = xb + b0 * bb;
        __m512i s0 = _mm512_setzero_si512(), s1 = s0;
        __m256i vmx = _mm256_setzero_si256(); /* max of (E4M3 code | 0x80): 0xFF iff NaN */
        __m512i vmx5 = _mm512_setzero_si512();
        if (!bd_scales(sa + b0, sb + b0, nb, bd_win[pair], bd_mul[pair], sc, dd, &mn))
            goto ref;
        if (pair == BD_48 || pair == BD_44) {
            int j = 0;
            /* groups of 16 blocks: int32 block sums by a reduction tree, in
             * the lane order bd_perm, then int64 << d */
            for (; j + 16 <= nb; j += 16, pa += 16 * ba, pb += 16 * bb) {
                __m512i v[8];
                for (int t = 0; t < 8; t++)
                    v[t] = _mm512_cvttps_epi32(
                        pair == BD_48
                            ? mx48_pair(pa + 2 * ba * t, pb + 2 * bb * t, t4w, t8l0, t8l1, t8h0,
                                        t8h1, &vmx5)
                            : mx44_pair(pa + 2 * ba * t, pb + 2 * bb * t, t4w));
                __m512i w[4];
                for (int u = 0; u < 4; u++)
                    w[u] = _mm512_add_epi32(_mm512_shuffle_i32x4(v[2 * u], v[2 * u + 1], 0x88),
                                            _mm512_shuffle_i32x4(v[2 * u], v[2 * u + 1], 0xDD));
                __m512 x0 = _mm512_castsi512_ps(_mm512_add_epi32(_mm512_unpacklo_epi64(w[0], w[1]),
                                                                 _mm512_unpackhi_epi64(w[0], w[1])));
                __m512 x1 = _mm512_castsi512_ps(_mm512_add_epi32(_mm512_unpacklo_epi64(w[2], w[3]),
                                                                 _mm512_unpackhi_epi64(w[2], w[3])));
                __m512i f = _mm512_add_epi32(_mm512_castps_si512(_mm512_shuffle_ps(x0, x1, 0x88)),
                                             _mm512_castps_si512(_mm512_shuffle_ps(x0, x1, 0xDD)));
                __m512i d = _mm512_permutexvar_epi32(bd_perm, _mm512_loadu_si512(dd + j));
                s0 = _mm512_add_epi64(s0, _mm512_sllv_epi64(
                                              _mm512_cvtepi32_epi64(_mm512_castsi512_si256(f)),
                                              _mm512_cvtepu32_epi64(_mm512_castsi512_si256(d))));
                s1 = _mm512_add_epi64(s1, _mm512_sllv_epi64(
                                              _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(f, 1)),
                                              _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(d, 1))));
            }
            for (; j + 2 <= nb; j += 2, pa += 2 * ba, pb += 2 * bb) {
                __m512 r = pair == BD_48 ? mx48_pair(pa, pb, t4w, t8l0, t8l1, t8h0, t8h1, &vmx5)
                                         : mx44_pair(pa, pb, t4w);
                r = _mm512_mul_ps(r, _mm512_insertf32x8(
                                         _mm512_castps256_ps512(_mm256_broadcast_ss(sc + j)),
                                         _mm256_broadcast_ss(sc + j + 1), 1));
                s0 = _mm512_add_epi64(s0, _mm512_cvttps_epi64(_mm512_castps512_ps256(r)));
                s1 = _mm512_add_epi64(s1, _mm512_cvttps_epi64(_mm512_extractf32x8_ps(r, 1)));
            }
            for (; pair == BD_48 && j < nb; j++, pa += 16, pb += 32) {
                __m512i d = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)pa));
                __m512 ae = _mm512_permutexvar_ps(d, t4);
                __m512 ao = _mm512_permutexvar_ps(_mm512_srli_epi32(d, 4), t4);
                __m256i w = _mm256_loadu_si256((const __m256i *)pb), he, ho;
                vmx = _mm256_max_epu8(vmx, _mm256_or_si256(w, v80));
                e4m3_pair16(w, &he, &ho);
                /* exact: integers k X, sums of 2 and then 4 below 2^24 */
                __m512 p = _mm512_fmadd_ps(ao, _mm512_cvtph_ps(ho),
                                           _mm512_mul_ps(ae, _mm512_cvtph_ps(he)));
                __m256 q = _mm256_add_ps(_mm512_castps512_ps256(p), _mm512_extractf32x8_ps(p, 1));
                q = _mm256_mul_ps(q, _mm256_broadcast_ss(sc + j));
                s0 = _mm512_add_epi64(s0, _mm512_cvttps_epi64(q));
            }
            for (; pair == BD_44 && j < nb; j++, pa += 16, pb += 16) {
                __m512i da = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)pa));
                __m512i db = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)pb));
                __m512 ae = _mm512_permutexvar_ps(da, t4);
                __m512 ao = _mm512_permutexvar_ps(_mm512_srli_epi32(da, 4), t4);
                __m512 be = _mm512_permutexvar_ps(db, t4);
                __m512 bo = _mm512_permutexvar_ps(_mm512_srli_epi32(db, 4), t4);
                /* exact: integers k_a k_b <= 144, a block's sums <= 4608 */
                __m512 p = _mm512_fmadd_ps(ao, bo, _mm512_mul_ps(ae, be));
                __m256 q = _mm256_add_ps(_mm512_castps512_ps256(p), _mm512_extractf32x8_ps(p, 1));
                q = _mm256_mul_ps(q, _mm256_broadcast_ss(sc + j));
                s0 = _mm512_add_epi64(s0, _mm512_cvttps_epi64(q));
            }
        } else {
            for (int j = 0; j < nb; j++, pa += 32, pb += 32) {
                __m256i wa = _mm256_loadu_si256((const __m256i *)pa);
                __m256i wb = _mm256_loadu_si256((const __m256i *)pb), ae, ao, be, bo;
                vmx = _mm256_max_epu8(vmx, _mm256_or_si256(wa, v80));
                vmx = _mm256_max_epu8(vmx, _mm256_or_si256(wb, v80));
                e4m3_pair16(wa, &ae, &ao);
                e4m3_pair16(wb, &be, &bo);
                __m512 k = _mm512_set1_ps(sc[j]);
                /* exact: X_a X_b 2^-34, then the integer X_a X_b 2^d < 2^52 */
                __m512 pe = _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtph_ps(ae), _mm512_cvtph_ps(be)), k);
                __m512 po = _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtph_ps(ao), _mm512_cvtph_ps(bo)), k);
                s0 = _mm512_add_epi64(s0, _mm512_cvttps_epi64(_mm512_castps512_ps256(pe)));
                s1 = _mm512_add_epi64(s1, _mm512_cvttps_epi64(_mm512_extractf32x8_ps(pe, 1)));
                s0 = _mm512_add_epi64(s0, _mm512_cvttps_epi64(_mm512_castps512_ps256(po)));
                s1 = _mm512_add_epi64(s1, _mm512_cvttps_epi64(_mm512_extractf32x8_ps(po, 1)));
            }
        }
        if (_mm256_movemask_epi8(_mm256_cmpeq_epi8(vmx, _mm256_set1_epi8((char)0xFF))) == 0 &&
            _mm512_cmpeq_epi8_mask(vmx5, _mm512_set1_epi8((char)0xFF)) == 0) {
            int64_t tot = _mm512_reduce_add_epi64(_mm512_add_epi64(s0, s1));
            if (tot != 0) {
                tpi_dot_add_i64(acc, tot, mn - 254 + bd_unit[pair]);
                continue;
            }
        }
    ref:
        bd_chunk_ref(ka, sa, xa, tsa, kb, sb, xb, tsb, pair, b0, nb, acc, flags);
    }
}

void tpi_install_avx512_dot(tpi_kernels *k)
{
    k->blk_dot = blk_dot_avx512;
    ref_e4m3 = k->dot[TP_E4M3][TP_E4M3];
    ref_f32 = k->dot[TP_F32][TP_F32];
    ref_bf16 = k->dot[TP_BF16][TP_BF16];
    k->dot[TP_E4M3][TP_E4M3] = dot_e4m3_avx512;
    k->dot[TP_F32][TP_F32] = dot_f32_avx512;
    k->dot[TP_BF16][TP_BF16] = dot_bf16_avx512;
}
