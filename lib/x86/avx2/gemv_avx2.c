/*
 * gemv_avx2.c -- exact GEMV rows for AVX2 (with FMA and F16C): E4M3 W x
 * E4M3 x, the binary64 chain of the AVX-512 kernel on 256-bit vectors.
 *
 * x is decoded once per task into the scratch, as binary64 value * 2^-8.
 * A code c of W becomes the binary16 bits (sign << 15) | ((c & 0x7F) << 7),
 * whose value is value(c) * 2^-8 exactly (E4M3 subnormals become binary16
 * subnormals, which vcvtph2ps widens exactly whatever DAZ says), then
 * binary32 and binary64.  Each FMA product is value(w) * value(x) * 2^-16:
 * a multiple of 2^-34 below 2^1.62, so k <= 2^17 terms keep every partial
 * sum below 2^18.62 on a grid of 2^-34: 52.62 bits, exact in binary64 in
 * any order, with no range check.  The row's exact sum S is that times
 * 2^16.  A row with a NaN code, or whose S is zero, takes the generic path;
 * an x with a NaN makes the kernel decline the call (nothing written).
 * Other operand pairs take the generic path.
 */
#include <immintrin.h>
#include <string.h>

#include "ref.h"

#define G_R 4 /* rows per pass */

/* 16 E4M3 codes -> binary16 bits of value * 2^-8, as 16 words. */
static inline __m256i e4_half16(__m128i c)
{
    return _mm256_and_si256(_mm256_slli_epi16(_mm256_cvtepi8_epi16(c), 7),
                            _mm256_set1_epi16((short)0xBF80));
}

/* Four binary64 vectors (codes 0-3, 4-7, 8-11, 12-15) of 16 words h. */
static inline void half_f64(__m256i h, __m256d *d)
{
    __m256 lo = _mm256_cvtph_ps(_mm256_castsi256_si128(h));
    __m256 hi = _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1));
    d[0] = _mm256_cvtps_pd(_mm256_castps256_ps128(lo));
    d[1] = _mm256_cvtps_pd(_mm256_extractf128_ps(lo, 1));
    d[2] = _mm256_cvtps_pd(_mm256_castps256_ps128(hi));
    d[3] = _mm256_cvtps_pd(_mm256_extractf128_ps(hi, 1));
}

/* Sums of rows q[0..nr-1] (nr 1 or G_R) with xd (binary64 value * 2^-8,
 * padded with zeros to a multiple of 16), times 2^-16; nan[t] nonzero if
 * row t holds a NaN code (c << 1 == 0xFE). */
static inline __attribute__((always_inline)) void
e4_rows(const uint8_t *const *q, int nr, size_t k, const double *xd, double *out, int *nan)
{
    __m256d acc[G_R][2];
    __m128i mx[G_R];
    for (int t = 0; t < nr; t++) {
        acc[t][0] = acc[t][1] = _mm256_setzero_pd();
        mx[t] = _mm_setzero_si128();
    }
    size_t g = 0;
    for (; g + 16 <= k; g += 16) {
        __m256d x0 = _mm256_load_pd(xd + g), x1 = _mm256_load_pd(xd + g + 4);
        __m256d x2 = _mm256_load_pd(xd + g + 8), x3 = _mm256_load_pd(xd + g + 12);
#pragma GCC unroll 4
        for (int t = 0; t < nr; t++) {
            __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(q[t] + g));
            mx[t] = _mm_max_epu8(mx[t], _mm_add_epi8(c, c));
            __m256d w[4];
            half_f64(e4_half16(c), w);
            acc[t][0] = _mm256_fmadd_pd(w[0], x0, acc[t][0]);
            acc[t][1] = _mm256_fmadd_pd(w[1], x1, acc[t][1]);
            acc[t][0] = _mm256_fmadd_pd(w[2], x2, acc[t][0]);
            acc[t][1] = _mm256_fmadd_pd(w[3], x3, acc[t][1]);
        }
    }
    if (g < k) { /* the last k % 16 codes, through a zero-padded copy */
        for (int t = 0; t < nr; t++) {
            uint8_t cb[16] = {0};
            memcpy(cb, q[t] + g, k - g);
            __m128i c = _mm_loadu_si128((const __m128i *)(const void *)cb);
            mx[t] = _mm_max_epu8(mx[t], _mm_add_epi8(c, c));
            __m256d w[4];
            half_f64(e4_half16(c), w);
            for (int u = 0; u < 4; u++)
                acc[t][u & 1] = _mm256_fmadd_pd(w[u], _mm256_load_pd(xd + g + 4 * (size_t)u),
                                                acc[t][u & 1]);
        }
    }
    for (int t = 0; t < nr; t++) {
        double d[4];
        _mm256_storeu_pd(d, _mm256_add_pd(acc[t][0], acc[t][1]));
        out[t] = (d[0] + d[1]) + (d[2] + d[3]); /* exact: see the file comment */
        nan[t] = _mm_movemask_epi8(_mm_cmpeq_epi8(mx[t], _mm_set1_epi8((char)0xFE))) != 0;
    }
}

static int gemv_e4m3_e4m3(const tpi_mm *mm, size_t i0, size_t i1, tpi_ws *ws, unsigned *flags)
{
    size_t k = mm->k;
    if (k > ((size_t)1 << 17) || mm->a.kstride != 1)
        return 0;
    size_t kp = (k + 15) & ~(size_t)15;
    double *xd = tpi_ws_get(ws, kp * sizeof(double));
    if (xd == NULL)
        return 0;
    const uint8_t *xc = mm->b.data;
    size_t inc = mm->b.kstride;
    int bad = 0;
    for (size_t j = 0; j < kp; j += 16) {
        uint8_t cb[16] = {0};
        for (size_t u = 0; u < 16 && j + u < k; u++)
            cb[u] = xc[(j + u) * inc];
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)cb);
        bad |= _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_add_epi8(c, c), _mm_set1_epi8((char)0xFE)));
        __m256d v[4];
        half_f64(e4_half16(c), v);
        for (int u = 0; u < 4; u++)
            _mm256_store_pd(xd + j + 4 * (size_t)u, v[u]);
    }
    if (bad)
        return 0;
    const tpi_vecs *w = &mm->a;
    for (size_t i = i0; i < i1; i += G_R) {
        int nr = i1 - i >= G_R ? G_R : (int)(i1 - i);
        const uint8_t *q[G_R];
        double s[G_R];
        int nan[G_R];
        for (int t = 0; t < nr; t++)
            q[t] = tpi_vec_data(w, i + (size_t)t);
        if (nr == G_R)
            e4_rows(q, G_R, k, xd, s, nan);
        else
            for (int t = 0; t < nr; t++)
                e4_rows(q + t, 1, k, xd, s + t, nan + t);
        for (int t = 0; t < nr; t++) {
            double sv = s[t] * 65536.0; /* exact */
            if (nan[t] || sv == 0.0)
                tpi_mm_generic(mm, i + (size_t)t, i + (size_t)t + 1, 0, 1, NULL, flags);
            else
                tpi_mm_put_f64(mm, i + (size_t)t, 0, sv, flags);
        }
    }
    return 1;
}

static int gemv_avx2(const tpi_mm *mm, size_t i0, size_t i1, size_t j0, size_t j1, tpi_ws *ws,
                     unsigned *flags)
{
    if (mm->mode != TP_MODE_EXACT || mm->alpha == 0 || mm->k == 0 || j0 != 0 || j1 != 1
        || mm->n != 1)
        return 0;
    const tpi_vecs *a = &mm->a, *b = &mm->b;
    if (!a->is_block && !b->is_block && a->fidx == TP_E4M3 && b->fidx == TP_E4M3)
        return gemv_e4m3_e4m3(mm, i0, i1, ws, flags);
    return 0;
}

void tpi_install_avx2_gemv(tpi_kernels *k)
{
    k->gemv = gemv_avx2;
}
