/*
 * dot_avx2.c -- AVX2 (+FMA, F16C) exact dot kernels; the same algorithms and
 * bounds as lib/x86/avx512/dot_avx512.c with 4 binary64 lanes (see there),
 * bit-identical to lib/ref/dot_ref.c.  Unit strides only; other strides take
 * the reference.
 *
 *  - E4M3 x E4M3: code -> binary16 bits (value * 2^-8), vcvtph2ps, exact
 *    binary32 product, binary64 lanes.  Lanes see at most 2^16 terms of
 *    the grid 2^-18 below 2^17.62: 51.6 bits, exact.
 *  - binary32 x binary32, bfloat16 x bfloat16: exact binary64 products
 *    summed by error-free extraction, lanes of at most 2048 terms.
 */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "ref.h"


#define E4_CHUNK 65536
#define SP_CHUNK 2048
#define SP_M 12
#define SP_LEVELS 6

static tpi_dot_fn ref_e4m3, ref_f32, ref_bf16;

/* Sum of the 4 lanes of v, each an integer below 2^53 after scaling by k
 * (exact conversions), as int64. */
static int64_t lanes_i64(__m256d v, double k)
{
    double t[4];
    _mm256_storeu_pd(t, _mm256_mul_pd(v, _mm256_set1_pd(k)));
    return (int64_t)t[0] + (int64_t)t[1] + (int64_t)t[2] + (int64_t)t[3];
}

/* ------------------------------------------------------------ E4M3 */

static inline __m256 e4m3_to_ps_scaled(__m128i w8) /* 8 words (codes sign-extended) */
{
    w8 = _mm_and_si128(_mm_slli_epi16(w8, 7), _mm_set1_epi16((short)0xBF80));
    return _mm256_cvtph_ps(w8);
}

static void dot_e4m3_avx2(const tpi_fmt *pa, const void *a, size_t inca, const tpi_fmt *pb,
                          const void *b, size_t incb, size_t n, tp_acc *acc)
{
    if (inca != 1 || incb != 1) {
        ref_e4m3(pa, a, inca, pb, b, incb, n, acc);
        return;
    }
    const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
    const __m128i m7f = _mm_set1_epi8(0x7F);
    for (size_t i0 = 0; i0 < n; i0 += E4_CHUNK) {
        size_t m = n - i0 < E4_CHUNK ? n - i0 : E4_CHUNK;
        const uint8_t *xc = x + i0, *yc = y + i0;
        __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
        __m128i nan = _mm_setzero_si128();
        size_t i = 0;
        for (; i + 16 <= m; i += 16) {
            __m128i cx = _mm_loadu_si128((const __m128i *)(xc + i));
            __m128i cy = _mm_loadu_si128((const __m128i *)(yc + i));
            nan = _mm_or_si128(nan, _mm_cmpeq_epi8(_mm_and_si128(cx, m7f), m7f));
            nan = _mm_or_si128(nan, _mm_cmpeq_epi8(_mm_and_si128(cy, m7f), m7f));
            __m256i wx = _mm256_cvtepi8_epi16(cx), wy = _mm256_cvtepi8_epi16(cy);
            __m256 p0 = _mm256_mul_ps(e4m3_to_ps_scaled(_mm256_castsi256_si128(wx)),
                                      e4m3_to_ps_scaled(_mm256_castsi256_si128(wy)));
            __m256 p1 = _mm256_mul_ps(e4m3_to_ps_scaled(_mm256_extracti128_si256(wx, 1)),
                                      e4m3_to_ps_scaled(_mm256_extracti128_si256(wy, 1)));
            s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(p0)));
            s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(p0, 1)));
            s2 = _mm256_add_pd(s2, _mm256_cvtps_pd(_mm256_castps256_ps128(p1)));
            s3 = _mm256_add_pd(s3, _mm256_cvtps_pd(_mm256_extractf128_ps(p1, 1)));
        }
        double t = 0.0;
        int tnan = _mm_movemask_epi8(nan) != 0;
        for (; i < m; i++) {
            __m128i hx = _mm_set1_epi16((short)(int8_t)xc[i]);
            __m128i hy = _mm_set1_epi16((short)(int8_t)yc[i]);
            tnan |= (xc[i] & 0x7F) == 0x7F || (yc[i] & 0x7F) == 0x7F;
            __m256 p = _mm256_mul_ps(e4m3_to_ps_scaled(hx), e4m3_to_ps_scaled(hy));
            t += (double)_mm256_cvtss_f32(p);
        }
        if (tnan) {
            tpi_ref_dot_generic(pa, xc, 1, pb, yc, 1, m, acc);
            continue;
        }
        /* lanes: multiples of 2^-34 (scaled) below 2^34: exact int64 */
        int64_t tot = lanes_i64(s0, 0x1p34) + lanes_i64(s1, 0x1p34) + lanes_i64(s2, 0x1p34) +
                      lanes_i64(s3, 0x1p34) + (int64_t)(t * 0x1p34);
        if (tot == 0)
            tpi_ref_dot_generic(pa, xc, 1, pb, yc, 1, m, acc);
        else
            tpi_dot_add_i64(acc, tot, -18);
    }
}

/* ------------------------------------------------------------ split levels */

static int split_levels(tp_acc *acc, double *p, size_t m)
{
    const __m256d absmask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7FFFFFFFFFFFFFFFLL));
    __m256d vmax = _mm256_setzero_pd();
    size_t i;
    for (i = 0; i + 4 <= m; i += 4)
        vmax = _mm256_max_pd(vmax, _mm256_and_pd(_mm256_loadu_pd(p + i), absmask));
    double mx[4];
    _mm256_storeu_pd(mx, vmax);
    double amax = mx[0];
    for (int k = 1; k < 4; k++)
        amax = mx[k] > amax ? mx[k] : amax;
    for (; i < m; i++)
        amax = fabs(p[i]) > amax ? fabs(p[i]) : amax;
    if (amax == 0.0)
        return 0;
    int e, added = 0;
    frexp(amax, &e);
    for (int lev = 0; lev < SP_LEVELS; lev++) {
        double sigma = ldexp(1.0, e + SP_M);
        __m256d vs = _mm256_set1_pd(sigma), a0 = _mm256_setzero_pd(), a1 = a0, nzv = a0;
        for (i = 0; i + 8 <= m; i += 8) {
            __m256d p0 = _mm256_loadu_pd(p + i), p1 = _mm256_loadu_pd(p + i + 4);
            __m256d q0 = _mm256_sub_pd(_mm256_add_pd(vs, p0), vs);
            __m256d q1 = _mm256_sub_pd(_mm256_add_pd(vs, p1), vs);
            p0 = _mm256_sub_pd(p0, q0);
            p1 = _mm256_sub_pd(p1, q1);
            _mm256_storeu_pd(p + i, p0);
            _mm256_storeu_pd(p + i + 4, p1);
            a0 = _mm256_add_pd(a0, q0);
            a1 = _mm256_add_pd(a1, q1);
            nzv = _mm256_or_pd(nzv, _mm256_or_pd(_mm256_cmp_pd(p0, _mm256_setzero_pd(), _CMP_NEQ_UQ),
                                                 _mm256_cmp_pd(p1, _mm256_setzero_pd(), _CMP_NEQ_UQ)));
        }
        int nz = _mm256_movemask_pd(nzv) != 0;
        double ts = 0.0;
        for (; i < m; i++) {
            double q = (sigma + p[i]) - sigma;
            p[i] -= q;
            ts += q;
            nz |= p[i] != 0.0;
        }
        double k = ldexp(1.0, 53 - (e + SP_M));
        int64_t tot = lanes_i64(a0, k) + lanes_i64(a1, k) + (int64_t)(ts * k);
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

static void dot_f32_avx2(const tpi_fmt *pa, const void *a, size_t inca, const tpi_fmt *pb,
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
        __m256d badv = _mm256_setzero_pd();
        for (i = 0; i + 4 <= m; i += 4) {
            __m256d pv = _mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i0 + i)),
                                       _mm256_cvtps_pd(_mm_loadu_ps(y + i0 + i)));
            badv = _mm256_or_pd(badv, _mm256_cmp_pd(_mm256_sub_pd(pv, pv), _mm256_setzero_pd(),
                                                    _CMP_NEQ_UQ));
            _mm256_storeu_pd(p + i, pv);
        }
        int bad = _mm256_movemask_pd(badv) != 0;
        for (; i < m; i++) {
            p[i] = (double)x[i0 + i] * (double)y[i0 + i];
            bad |= !(p[i] - p[i] == 0.0);
        }
        if (bad || !split_levels(acc, p, m))
            tpi_ref_dot_generic(pa, x + i0, 1, pb, y + i0, 1, m, acc);
    }
}

static void dot_bf16_avx2(const tpi_fmt *pa, const void *a, size_t inca, const tpi_fmt *pb,
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
        __m256d badv = _mm256_setzero_pd();
        for (i = 0; i + 4 <= m; i += 4) {
            __m128i wx = _mm_slli_epi32(
                _mm_cvtepu16_epi32(_mm_loadl_epi64((const __m128i *)(x + i0 + i))), 16);
            __m128i wy = _mm_slli_epi32(
                _mm_cvtepu16_epi32(_mm_loadl_epi64((const __m128i *)(y + i0 + i))), 16);
            __m256d pv = _mm256_mul_pd(_mm256_cvtps_pd(_mm_castsi128_ps(wx)),
                                       _mm256_cvtps_pd(_mm_castsi128_ps(wy)));
            badv = _mm256_or_pd(badv, _mm256_cmp_pd(_mm256_sub_pd(pv, pv), _mm256_setzero_pd(),
                                                    _CMP_NEQ_UQ));
            _mm256_storeu_pd(p + i, pv);
        }
        int bad = _mm256_movemask_pd(badv) != 0;
        for (; i < m; i++) {
            uint32_t u = (uint32_t)x[i0 + i] << 16, v = (uint32_t)y[i0 + i] << 16;
            float fu, fv;
            memcpy(&fu, &u, 4);
            memcpy(&fv, &v, 4);
            p[i] = (double)fu * (double)fv;
            bad |= !(p[i] - p[i] == 0.0);
        }
        if (bad || !split_levels(acc, p, m))
            tpi_ref_dot_generic(pa, x + i0, 1, pb, y + i0, 1, m, acc);
    }
}

void tpi_install_avx2_dot(tpi_kernels *k)
{
    ref_e4m3 = k->dot[TP_E4M3][TP_E4M3];
    ref_f32 = k->dot[TP_F32][TP_F32];
    ref_bf16 = k->dot[TP_BF16][TP_BF16];
    k->dot[TP_E4M3][TP_E4M3] = dot_e4m3_avx2;
    k->dot[TP_F32][TP_F32] = dot_f32_avx2;
    k->dot[TP_BF16][TP_BF16] = dot_bf16_avx2;
}
