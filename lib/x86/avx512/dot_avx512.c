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
 *    sum below 2^56.
 */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "ref.h"


#define E4_CHUNK 65536 /* terms per chunk; lanes see at most 2^16 each */
#define SP_CHUNK 2048
#define SP_M 12
#define SP_LEVELS 6

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
        size_t m = n - i0 < E4_CHUNK ? n - i0 : E4_CHUNK;
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
            tnan |= (xc[i] & 0x7F) == 0x7F || (yc[i] & 0x7F) == 0x7F;
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
        for (; i < m; i++) {
            double q = (sigma + p[i]) - sigma;
            p[i] -= q;
            ts += q;
            nz |= p[i] != 0.0;
        }
        /* lane sums and ts: multiples of 2^-53 sigma below sigma */
        const __m512d k = _mm512_set1_pd(ldexp(1.0, 53 - (e + SP_M)));
        __m512i qi = _mm512_add_epi64(_mm512_cvtpd_epi64(_mm512_mul_pd(acc0, k)),
                                      _mm512_cvtpd_epi64(_mm512_mul_pd(acc1, k)));
        int64_t tot = _mm512_reduce_add_epi64(qi) + (int64_t)(ts * ldexp(1.0, 53 - (e + SP_M)));
        if (tot != 0) {
            tpi_dot_add_i64(acc, tot, e + SP_M - 53);
            added = 1;
        }
        if (!nz)
            return added;
        e = e + SP_M - 53;
    }
    for (i = 0; i < m; i++) {
        if (p[i] != 0.0) {
            tpi_dot_add_f64(acc, p[i]);
            added = 1;
        }
    }
    return added;
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
        size_t m = n - i0 < SP_CHUNK ? n - i0 : SP_CHUNK, i;
        __mmask8 bad = 0;
        for (i = 0; i + 8 <= m; i += 8) {
            __m512d pv = _mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + i0 + i)),
                                       _mm512_cvtps_pd(_mm256_loadu_ps(y + i0 + i)));
            bad |= _mm512_cmp_pd_mask(_mm512_sub_pd(pv, pv), _mm512_setzero_pd(), _CMP_NEQ_UQ);
            _mm512_storeu_pd(p + i, pv);
        }
        int tbad = 0;
        for (; i < m; i++) {
            p[i] = (double)x[i0 + i] * (double)y[i0 + i];
            tbad |= !(p[i] - p[i] == 0.0);
        }
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
        size_t m = n - i0 < SP_CHUNK ? n - i0 : SP_CHUNK, i;
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
        int tbad = 0;
        for (; i < m; i++) {
            uint32_t u = (uint32_t)x[i0 + i] << 16, v = (uint32_t)y[i0 + i] << 16;
            float fu, fv;
            memcpy(&fu, &u, 4);
            memcpy(&fv, &v, 4);
            p[i] = (double)fu * (double)fv;
            tbad |= !(p[i] - p[i] == 0.0);
        }
        if (bad || tbad || !split_levels(acc, p, m))
            tpi_ref_dot_generic(pa, x + i0, 1, pb, y + i0, 1, m, acc);
    }
}

void tpi_install_avx512_dot(tpi_kernels *k)
{
    ref_e4m3 = k->dot[TP_E4M3][TP_E4M3];
    ref_f32 = k->dot[TP_F32][TP_F32];
    ref_bf16 = k->dot[TP_BF16][TP_BF16];
    k->dot[TP_E4M3][TP_E4M3] = dot_e4m3_avx512;
    k->dot[TP_F32][TP_F32] = dot_f32_avx512;
    k->dot[TP_BF16][TP_BF16] = dot_bf16_avx512;
}
