/*
 * gemv_avx512.c -- exact GEMV row kernels for AVX-512 (n == 1: each output
 * is the exact dot product S of a row of op(W) with x, handed to
 * tpi_mm_put_f64 or tpi_mm_put_acc).  Every kernel decodes x once per call
 * (per row range) into the scratch ws, then streams rows of W.  A row whose
 * range check fails, whose exact sum is zero, or that holds a NaN code goes
 * to tpi_mm_generic (which knows the sign of zero and the specials), called
 * with no scratch so that the decoded x stays intact; an x with a NaN (or
 * Inf) makes the kernel decline the whole call (return 0, nothing written).
 * Results do not depend on MXCSR: the kernels only form exact values, clear
 * DAZ where they read binary64 subnormals, and set round-to-nearest where
 * they test exactness with TwoSum.
 *
 *  - MXFP4 W x MXFP8 E4M3 x (default layouts, k a multiple of 64): 2 * E2M1
 *    is an integer in [-12, 12]; x * 2^9 is an integer below 2^17.81, and
 *    per block of x it is divided by the largest power of two dividing every
 *    element (X', with the block exponent raised to match).  X' is held in
 *    int16 as X' = x1 * 2^15 + x0: x1 = 0 for a block whose |X'| < 2^15 (the
 *    usual case), else x0 in [0, 2^15) and x1 = X' >> 15 in [-8, 7].
 *    vpdpwssd forms int32 lane sums of 4 products (< 4 * 12 * 2^18 < 2^23.6,
 *    exact); a lane belongs to one block, so its exact value is L * 2^E_b
 *    with E_b the sum of the two block exponents.  The lanes are converted
 *    exactly to binary64 and accumulated as L * 2^E_b by FMA.  Range check
 *    (per row): every term is a multiple of 2^Emin (Emin: smallest E_b over
 *    the blocks whose x is not all zero) and the sum of |terms| is at most
 *    B = sum_b 2^E_b * 12 * sum_{j in b} |X'_j|, so every partial sum is
 *    exact when B <= 2^(Emin + 53).  B is computed in binary64 (positive
 *    terms, relative error below nb * 2^-52 in any rounding mode) and the
 *    row takes the fast path only if B < 2^(Emin + 51).
 *  - E4M3 x E4M3 (W with unit stride along k, k <= 2^17): a code c becomes
 *    the binary64 with bits (c & 0x80) << 56 | (c & 0x7F) << 49, whose value
 *    is value(c) * 2^-1016 (E4M3 subnormals land on binary64 subnormals,
 *    which is why DAZ is cleared while these are read).  x is stored as
 *    value * 2^1007 (normal, below 2^1016), so each FMA product is exactly
 *    w * x * 2^-9: a multiple of 2^-27 below 2^8.62.  k <= 2^17 terms keep
 *    every partial sum below 2^25.62, on a grid of 2^-27: 52.62 bits, exact
 *    in binary64 (the reference chain's bound).  No range check is needed.
 *  - MXFP4 W x binary32 x (k a multiple of 64): x is sliced per block into
 *    two or three int16 slices aligned across blocks (see f4_x), each summed
 *    with the weights by vpdpwssd (lane sums below 4 * 12 * 2^15 = 2^20.6)
 *    into its own binary64 chain, with the same range check as above per
 *    chain (bound 12 * sum |slice| per block); a block of x whose values
 *    span more than 45 bits declines the call.  The chain sums are exact;
 *    S is their sum, stored directly when TwoSum shows it exact, else
 *    through an accumulator.
 */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "ref.h"

#define ALIGN64(x) (((x) + 63) & ~(size_t)63)

/* Row i of the output from the exact value s of its dot product: s must be
 * finite and nonzero for tpi_mm_put_f64; zero goes to the generic path. */
static void put_row(const tpi_mm *mm, size_t i, double s, unsigned *flags)
{
    if (s != 0.0)
        tpi_mm_put_f64(mm, i, 0, s, flags);
    else
        tpi_mm_generic(mm, i, i + 1, 0, 1, NULL, flags);
}

/* ============================================================ MXFP4 x MXFP8 */

/* Per-call decoded x of the MXFP4 x MXFP8 kernel (in ws). */
typedef struct mx_x {
    int16_t *x0, *x1;   /* per group of 64: the 32 even elements, then the 32 odd ones */
    int64_t *xe;        /* per block: biased exponent of the block minus the W scale code */
    int64_t *xmin;      /* xe, or a huge value for an all-zero block (not in Emin) */
    double *bnd;        /* per block: 12 * sum |X'| */
    uint8_t *two;       /* per group: some block needs the x1 slice */
} mx_x;

/* x * 2^9 of 16 E4M3 codes (in int32 lanes) as int32: M << (E - 1) with
 * M = 8 + m (normal) or m, E = max(e, 1); *bad gets the NaN lanes. */
static inline __m512i mx_x16(__m512i c, __mmask16 *bad)
{
    const __m512i one = _mm512_set1_epi32(1);
    __m512i e = _mm512_and_si512(_mm512_srli_epi32(c, 3), _mm512_set1_epi32(15));
    __m512i m = _mm512_and_si512(c, _mm512_set1_epi32(7));
    m = _mm512_mask_or_epi32(m, _mm512_test_epi32_mask(e, e), m, _mm512_set1_epi32(8));
    __m512i mag = _mm512_sllv_epi32(m, _mm512_sub_epi32(_mm512_max_epi32(e, one), one));
    *bad |= _mm512_cmpeq_epi32_mask(_mm512_and_si512(c, _mm512_set1_epi32(0x7F)),
                                    _mm512_set1_epi32(0x7F));
    return _mm512_mask_sub_epi32(mag, _mm512_test_epi32_mask(c, _mm512_set1_epi32(0x80)),
                                 _mm512_setzero_si512(), mag);
}

/* Decodes x; returns 0 if x has a NaN (scale 0xFF or element 0x7F/0xFF). */
static int mx_decode_x(const tpi_mm *mm, size_t nb, mx_x *d)
{
    const uint8_t *xs = mm->b.scales, *xc = mm->b.data;
    /* words 0..31 of a block -> the even elements, then the odd ones */
    const __m512i deint = _mm512_set_epi16(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5,
                                           3, 1, 30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8,
                                           6, 4, 2, 0);
    __mmask16 bad = 0;
    for (size_t b = 0; b < nb; b++) {
        unsigned sx = xs[b];
        if (sx == 0xFF)
            return 0;
        const uint8_t *cb = xc + b * 32;
        __m512i X0 = mx_x16(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)cb)), &bad);
        __m512i X1 = mx_x16(
            _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(cb + 16))), &bad);
        __m512i A0 = _mm512_abs_epi32(X0), A1 = _mm512_abs_epi32(X1);
        uint32_t orv = (uint32_t)_mm512_reduce_or_epi32(_mm512_or_si512(A0, A1));
        uint32_t mx = (uint32_t)_mm512_reduce_max_epi32(_mm512_max_epi32(A0, A1));
        int tz = 0;
        if (orv != 0)
            while (((orv >> tz) & 1) == 0)
                tz++;
        int two = (mx >> tz) > 32767;
        /* exact: 2^tz divides every element (arithmetic shift) */
        __m128i sh = _mm_cvtsi32_si128(tz);
        X0 = _mm512_sra_epi32(X0, sh);
        X1 = _mm512_sra_epi32(X1, sh);
        double sum = (double)(_mm512_reduce_add_epi32(
            _mm512_add_epi32(_mm512_abs_epi32(X0), _mm512_abs_epi32(X1)))); /* < 2^23 */
        __m512i lo0 = X0, lo1 = X1, hi0 = _mm512_setzero_si512(), hi1 = hi0;
        if (two) {
            const __m512i m15 = _mm512_set1_epi32(0x7FFF);
            hi0 = _mm512_srai_epi32(X0, 15);
            hi1 = _mm512_srai_epi32(X1, 15);
            lo0 = _mm512_and_si512(X0, m15);
            lo1 = _mm512_and_si512(X1, m15);
            d->two[b / 2] = 1;
        }
        size_t off = (b / 2) * 64 + (b % 2) * 16;
        __m512i wl = _mm512_permutexvar_epi16(
            deint, _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi32_epi16(lo0)),
                                      _mm512_cvtepi32_epi16(lo1), 1));
        __m512i wh = _mm512_permutexvar_epi16(
            deint, _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi32_epi16(hi0)),
                                      _mm512_cvtepi32_epi16(hi1), 1));
        _mm256_store_si256((__m256i *)(void *)(d->x0 + off), _mm512_castsi512_si256(wl));
        _mm256_store_si256((__m256i *)(void *)(d->x0 + off + 32), _mm512_extracti64x4_epi64(wl, 1));
        _mm256_store_si256((__m256i *)(void *)(d->x1 + off), _mm512_castsi512_si256(wh));
        _mm256_store_si256((__m256i *)(void *)(d->x1 + off + 32), _mm512_extracti64x4_epi64(wh, 1));
        /* E_b = (sw - 127) + (sx - 127) - 1 - 9 + tz; biased: sw + xe */
        d->xe[b] = (int64_t)sx + 759 + tz;
        d->xmin[b] = orv != 0 ? d->xe[b] : (int64_t)1 << 40;
        d->bnd[b] = 12.0 * sum;
    }
    return bad == 0;
}

/* The per-row scale pass: sc[b] = 2^E_b, and the range check.  Returns 1
 * if the row may take the fast path. */
static int mx_row_scales(const uint8_t *sw, size_t nb, const mx_x *d, double *sc)
{
    __m512i vmin = _mm512_set1_epi64((int64_t)1 << 40);
    __m512d bsum = _mm512_setzero_pd();
    __mmask8 nan = 0;
    const __m512i ff = _mm512_set1_epi64(0xFF);
    for (size_t b = 0; b < nb; b += 8) {
        __mmask8 m = nb - b >= 8 ? 0xFF : (__mmask8)((1u << (nb - b)) - 1);
        __m512i s = _mm512_cvtepu8_epi64(_mm_maskz_loadu_epi8((__mmask16)m, sw + b));
        __m512i e = _mm512_add_epi64(s, _mm512_maskz_loadu_epi64(m, d->xe + b));
        __m512d scv = _mm512_castsi512_pd(_mm512_slli_epi64(e, 52));
        _mm512_mask_storeu_pd(sc + b, m, scv);
        vmin = _mm512_mask_min_epi64(vmin, m, vmin,
                                     _mm512_add_epi64(s, _mm512_maskz_loadu_epi64(m, d->xmin + b)));
        bsum = _mm512_mask3_fmadd_pd(scv, _mm512_maskz_loadu_pd(m, d->bnd + b), bsum, m);
        nan |= _mm512_mask_cmpeq_epi64_mask(m, s, ff);
    }
    if (nan)
        return 0;
    int64_t emin = _mm512_reduce_min_epi64(vmin);
    if (emin >= (int64_t)1 << 40)
        return 0; /* x is all zero: S = 0, the generic path */
    if (emin + 51 > 2046)
        return 0;
    double lim;
    uint64_t lb = (uint64_t)(emin + 51) << 52;
    memcpy(&lim, &lb, sizeof lim);
    double bs = _mm512_reduce_add_pd(bsum);
    return bs < lim;
}

#define MX_R 4 /* rows per pass */

/* One row of a group of 64 weights: int32 lane sums of the block pair,
 * then the two scaled FMAs into acc0 / acc1. */
#define MX_STEP(qq, scp, acc0, acc1)                                                         \
    do {                                                                                   \
        __m512i u_ = _mm512_cvtepu8_epi16(                                                 \
            _mm256_loadu_si256((const __m256i *)(const void *)((qq) + g * 32)));           \
        __m512i lo_ = _mm512_permutexvar_epi16(u_, tab);                                   \
        __m512i hi_ = _mm512_permutexvar_epi16(_mm512_srli_epi16(u_, 4), tab);             \
        __m512i a_ = _mm512_dpwssd_epi32(_mm512_dpwssd_epi32(zero, lo_, xe), hi_, xo);     \
        if (two) {                                                                         \
            __m512i h_ = _mm512_dpwssd_epi32(_mm512_dpwssd_epi32(zero, lo_, ye), hi_, yo); \
            a_ = _mm512_add_epi32(a_, _mm512_slli_epi32(h_, 15));                          \
        }                                                                                  \
        acc0 = _mm512_fmadd_pd(_mm512_cvtepi32_pd(_mm512_castsi512_si256(a_)),             \
                               _mm512_set1_pd((scp)[2 * g]), acc0);                        \
        acc1 = _mm512_fmadd_pd(_mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(a_, 1)),      \
                               _mm512_set1_pd((scp)[2 * g + 1]), acc1);                    \
    } while (0)

/* Sums of rows q[0..nr-1] (nr 1 or MX_R) with the decoded x; sc[t] their
 * per-block scales 2^E_b. */
static inline __attribute__((always_inline)) void
mx_rows(const uint8_t *const *q, const double *const *sc, int nr, size_t ng, const mx_x *d,
        double *out)
{
    const __m512i tab = _mm512_set_epi16(-12, -8, -6, -4, -3, -2, -1, 0, 12, 8, 6, 4, 3, 2, 1,
                                         0, -12, -8, -6, -4, -3, -2, -1, 0, 12, 8, 6, 4, 3, 2, 1,
                                         0);
    const __m512i zero = _mm512_setzero_si512();
    __m512d a00 = _mm512_setzero_pd(), a01 = a00, a10 = a00, a11 = a00;
    __m512d a20 = a00, a21 = a00, a30 = a00, a31 = a00;
    for (size_t g = 0; g < ng; g++) {
        const __m512i xe = _mm512_load_si512(d->x0 + g * 64);
        const __m512i xo = _mm512_load_si512(d->x0 + g * 64 + 32);
        __m512i ye = zero, yo = zero;
        int two = d->two[g];
        if (two) {
            ye = _mm512_load_si512(d->x1 + g * 64);
            yo = _mm512_load_si512(d->x1 + g * 64 + 32);
        }
        MX_STEP(q[0], sc[0], a00, a01);
        if (nr == MX_R) {
            MX_STEP(q[1], sc[1], a10, a11);
            MX_STEP(q[2], sc[2], a20, a21);
            MX_STEP(q[3], sc[3], a30, a31);
        }
    }
    out[0] = _mm512_reduce_add_pd(_mm512_add_pd(a00, a01));
    if (nr == MX_R) {
        out[1] = _mm512_reduce_add_pd(_mm512_add_pd(a10, a11));
        out[2] = _mm512_reduce_add_pd(_mm512_add_pd(a20, a21));
        out[3] = _mm512_reduce_add_pd(_mm512_add_pd(a30, a31));
    }
}

static int gemv_mxfp4_mxfp8(const tpi_mm *mm, size_t i0, size_t i1, tpi_ws *ws, unsigned *flags)
{
    size_t k = mm->k, nb = k / 32, ng = k / 64;
    if (k % 64 != 0)
        return 0;
    size_t o0 = 0, o1 = o0 + ALIGN64(k * 2), o2 = o1 + ALIGN64(k * 2), o3 = o2 + ALIGN64(nb * 8),
           o4 = o3 + ALIGN64(nb * 8), o5 = o4 + ALIGN64(nb * 8), o6 = o5 + ALIGN64(ng),
           o7 = o6 + MX_R * ALIGN64(nb * 8);
    uint8_t *base = tpi_ws_get(ws, o7);
    if (base == NULL)
        return 0;
    mx_x d;
    d.x0 = (int16_t *)(void *)(base + o0);
    d.x1 = (int16_t *)(void *)(base + o1);
    d.xe = (int64_t *)(void *)(base + o2);
    d.xmin = (int64_t *)(void *)(base + o3);
    d.bnd = (double *)(void *)(base + o4);
    d.two = base + o5;
    memset(d.two, 0, ng);
    if (!mx_decode_x(mm, nb, &d))
        return 0;
    double *scb[MX_R];
    for (int t = 0; t < MX_R; t++)
        scb[t] = (double *)(void *)(base + o6 + (size_t)t * ALIGN64(nb * 8));
    const tpi_vecs *w = &mm->a;
    size_t i = i0;
    while (i < i1) {
        const uint8_t *q[MX_R];
        const double *sc[MX_R];
        size_t rows[MX_R];
        int nr = 0;
        /* gather up to MX_R rows that pass the check; others go generic */
        while (i < i1 && nr < MX_R) {
            if (mx_row_scales(tpi_vec_scales(w, i), nb, &d, scb[nr])) {
                q[nr] = tpi_vec_data(w, i);
                sc[nr] = scb[nr];
                rows[nr++] = i;
            } else {
                tpi_mm_generic(mm, i, i + 1, 0, 1, NULL, flags);
            }
            i++;
        }
        double s[MX_R];
        if (nr == MX_R)
            mx_rows(q, sc, MX_R, ng, &d, s);
        else
            for (int t = 0; t < nr; t++)
                mx_rows(q + t, sc + t, 1, ng, &d, s + t);
        for (int t = 0; t < nr; t++)
            put_row(mm, rows[t], s[t], flags);
    }
    return 1;
}

/* ============================================================ E4M3 x E4M3 */

#define E4_R 4 /* rows per pass */

/* One row of a group of 64 codes: A = sign bytes, B = code << 1, NaN
 * tracking (B == 0xFE exactly for 0x7F / 0xFF). */
#define E4_LOAD(qq, A, B, mu)                                        \
    do {                                                             \
        __m512i v_ = _mm512_maskz_loadu_epi8(lm, (qq) + g);          \
        A = _mm512_and_si512(v_, s80);                               \
        B = _mm512_add_epi8(v_, v_);                                 \
        mu = _mm512_max_epu8(mu, B);                                 \
    } while (0)
/* Eight binary64 values value(c) * 2^-1016 of codes 8r .. 8r+7 of the group:
 * byte 7 of each qword from A (sign), byte 6 from B, bytes 0-5 zero. */
#define E4_W(A, B, r) _mm512_castsi512_pd(_mm512_maskz_permutex2var_epi8(km, A, idx[r], B))

/* Sums of rows q[0..nr-1] (nr 1 or 4) with x (xd: value * 2^1007, padded
 * with zeros to a multiple of 64), times 2^9; nan[t] gets nonzero if row t
 * holds a NaN code.  Needs DAZ off. */
static inline __attribute__((always_inline)) void
e4_rows(const uint8_t *const *q, int nr, size_t k, const double *xd, double *out,
                    int *nan)
{
    __m512i idx[8];
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++) {
        uint8_t b[64];
        memset(b, 0, sizeof b);
        for (int u = 0; u < 8; u++) {
            b[8 * u + 7] = (uint8_t)(8 * r + u);      /* sign byte from A */
            b[8 * u + 6] = (uint8_t)(64 + 8 * r + u); /* (c << 1) from B */
        }
        idx[r] = _mm512_loadu_si512(b);
    }
    const __mmask64 km = 0xC0C0C0C0C0C0C0C0ull;
    const __m512i s80 = _mm512_set1_epi8((char)0x80);
    __m512d c0 = _mm512_setzero_pd(), c1 = c0, c2 = c0, c3 = c0;
    __m512d e0 = c0, e1 = c0, e2 = c0, e3 = c0;
    __m512i m0 = _mm512_setzero_si512(), m1 = m0, m2 = m0, m3 = m0;
    for (size_t g = 0; g < k; g += 64) {
        __mmask64 lm = k - g >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (k - g)) - 1);
        __m512i A0, B0, A1, B1, A2, B2, A3, B3;
        if (nr == 4) {
            E4_LOAD(q[0], A0, B0, m0);
            E4_LOAD(q[1], A1, B1, m1);
            E4_LOAD(q[2], A2, B2, m2);
            E4_LOAD(q[3], A3, B3, m3);
#pragma GCC unroll 4
            for (int r = 0; r < 8; r += 2) {
                __m512d x0 = _mm512_load_pd(xd + g + 8 * (size_t)r);
                __m512d x1 = _mm512_load_pd(xd + g + 8 * (size_t)r + 8);
                c0 = _mm512_fmadd_pd(E4_W(A0, B0, r), x0, c0);
                c1 = _mm512_fmadd_pd(E4_W(A1, B1, r), x0, c1);
                c2 = _mm512_fmadd_pd(E4_W(A2, B2, r), x0, c2);
                c3 = _mm512_fmadd_pd(E4_W(A3, B3, r), x0, c3);
                e0 = _mm512_fmadd_pd(E4_W(A0, B0, r + 1), x1, e0);
                e1 = _mm512_fmadd_pd(E4_W(A1, B1, r + 1), x1, e1);
                e2 = _mm512_fmadd_pd(E4_W(A2, B2, r + 1), x1, e2);
                e3 = _mm512_fmadd_pd(E4_W(A3, B3, r + 1), x1, e3);
            }
        } else {
            E4_LOAD(q[0], A0, B0, m0);
#pragma GCC unroll 4
            for (int r = 0; r < 8; r += 2) {
                c0 = _mm512_fmadd_pd(E4_W(A0, B0, r), _mm512_load_pd(xd + g + 8 * (size_t)r), c0);
                e0 = _mm512_fmadd_pd(E4_W(A0, B0, r + 1),
                                     _mm512_load_pd(xd + g + 8 * (size_t)r + 8), e0);
            }
        }
    }
    const __m512i fe = _mm512_set1_epi8((char)0xFE);
    /* exact sums times 2^-9 (see the file comment); * 512 is exact */
    out[0] = _mm512_reduce_add_pd(_mm512_add_pd(c0, e0)) * 512.0;
    nan[0] = _mm512_cmpeq_epi8_mask(m0, fe) != 0;
    if (nr == 4) {
        out[1] = _mm512_reduce_add_pd(_mm512_add_pd(c1, e1)) * 512.0;
        out[2] = _mm512_reduce_add_pd(_mm512_add_pd(c2, e2)) * 512.0;
        out[3] = _mm512_reduce_add_pd(_mm512_add_pd(c3, e3)) * 512.0;
        nan[1] = _mm512_cmpeq_epi8_mask(m1, fe) != 0;
        nan[2] = _mm512_cmpeq_epi8_mask(m2, fe) != 0;
        nan[3] = _mm512_cmpeq_epi8_mask(m3, fe) != 0;
    }
}

static int gemv_e4m3_e4m3(const tpi_mm *mm, size_t i0, size_t i1, tpi_ws *ws, unsigned *flags)
{
    size_t k = mm->k;
    if (k > ((size_t)1 << 17) || mm->a.kstride != 1)
        return 0;
    size_t kp = (k + 63) & ~(size_t)63;
    double *xd = tpi_ws_get(ws, kp * sizeof(double));
    if (xd == NULL)
        return 0;
    const uint8_t *xc = mm->b.data;
    size_t inc = mm->b.kstride;
    unsigned csr = _mm_getcsr();
    _mm_setcsr(csr & ~0x0040u); /* DAZ off: subnormal binary64 inputs below */
    __mmask8 bad = 0;
    for (size_t j = 0; j < kp; j += 8) {
        __m512i c;
        if (inc == 1 && j + 8 <= k) {
            c = _mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i *)(const void *)(xc + j)));
        } else {
            uint8_t cb[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            for (size_t u = 0; u < 8 && j + u < k; u++)
                cb[u] = xc[(j + u) * inc];
            c = _mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i *)(const void *)cb));
        }
        __m512i mag = _mm512_and_si512(c, _mm512_set1_epi64(0x7F));
        bad |= _mm512_cmpeq_epi64_mask(mag, _mm512_set1_epi64(0x7F));
        /* value(c) * 2^-1016, then * 2^1016 * 2^1007: both products exact */
        __m512i bits = _mm512_or_si512(_mm512_slli_epi64(_mm512_xor_si512(c, mag), 56),
                                       _mm512_slli_epi64(mag, 49));
        __m512d v = _mm512_mul_pd(_mm512_castsi512_pd(bits), _mm512_set1_pd(0x1p1016));
        _mm512_store_pd(xd + j, _mm512_mul_pd(v, _mm512_set1_pd(0x1p1007)));
    }
    _mm_setcsr(csr);
    if (bad)
        return 0;
    const tpi_vecs *w = &mm->a;
    for (size_t i = i0; i < i1; i += E4_R) {
        int nr = i1 - i >= E4_R ? E4_R : (int)(i1 - i);
        const uint8_t *q[E4_R];
        double s[E4_R];
        int nan[E4_R];
        for (int t = 0; t < nr; t++)
            q[t] = tpi_vec_data(w, i + (size_t)t);
        _mm_setcsr(csr & ~0x0040u); /* DAZ off: the W values may be subnormal */
        if (nr == E4_R)
            e4_rows(q, E4_R, k, xd, s, nan);
        else
            for (int t = 0; t < nr; t++)
                e4_rows(q + t, 1, k, xd, s + t, nan + t);
        _mm_setcsr(csr);
        for (int t = 0; t < nr; t++) {
            if (nan[t])
                tpi_mm_generic(mm, i + (size_t)t, i + (size_t)t + 1, 0, 1, NULL, flags);
            else
                put_row(mm, i + (size_t)t, s[t], flags);
        }
    }
    return 1;
}

/* ============================================================ MXFP4 x binary32 */

/* Per-call decoded x of the MXFP4 x binary32 kernel (in ws).  Block b of x
 * is X * 2^-t_b with t_b = 29 - floor(log2 max|x|): X is an integer below
 * 2^30 (two slices) or, if some element has bits below that, X * 2^15 is an
 * integer below 2^45 (three slices; else the call is declined).  Slices are
 * aligned across blocks: T = the bits from 2^15 up (of X), M = the 15 bits
 * below, L = 15 more bits below (three-slice blocks only), so chain c sums
 * lane sums times 2^(G_b + 15 * (1 - c)) with G_b = sw_b - 128 - t_b. */
typedef struct f4_x {
    int16_t *s[3];      /* slices T, M, L, in the group layout of mx_x */
    int64_t *xe;        /* per block: 895 - t_b (biased exponent of G_b minus sw_b) */
    int64_t *xmin;      /* xe, or a huge value for an all-zero block */
    double *bnd[3];     /* per block and slice: 12 * sum |slice| */
    uint8_t *three;     /* per group: some block uses the L slice */
} f4_x;

/* 16 binary32 bit patterns (int32 lanes) as exact binary64 in two vectors;
 * *bad gets NaN/Inf lanes.  From the bits: no DAZ dependence. */
static inline void f4_cvt16(__m512i v, __m512d *lo, __m512d *hi, __mmask16 *bad)
{
    __m512i ex = _mm512_and_si512(_mm512_srli_epi32(v, 23), _mm512_set1_epi32(0xFF));
    *bad |= _mm512_cmpeq_epi32_mask(ex, _mm512_set1_epi32(0xFF));
    for (int h = 0; h < 2; h++) {
        __m512i u = _mm512_cvtepu32_epi64(h ? _mm512_extracti64x4_epi64(v, 1)
                                            : _mm512_castsi512_si256(v));
        __m512i e = _mm512_and_si512(_mm512_srli_epi64(u, 23), _mm512_set1_epi64(0xFF));
        __m512i fr = _mm512_and_si512(u, _mm512_set1_epi64(0x7FFFFF));
        /* normal: exponent + 896, fraction << 29; subnormal: fraction * 2^-149 */
        __m512d d = _mm512_castsi512_pd(_mm512_or_si512(
            _mm512_slli_epi64(_mm512_add_epi64(e, _mm512_set1_epi64(896)), 52),
            _mm512_slli_epi64(fr, 29)));
        d = _mm512_mask_mul_pd(d, _mm512_cmpeq_epi64_mask(e, _mm512_setzero_si512()),
                               _mm512_cvtepi64_pd(fr), _mm512_set1_pd(0x1p-149));
        d = _mm512_castsi512_pd(_mm512_or_si512(
            _mm512_castpd_si512(d), _mm512_slli_epi64(_mm512_srli_epi64(u, 31), 63)));
        if (h)
            *hi = d;
        else
            *lo = d;
    }
}

/* Decodes x; returns 0 for a NaN/Inf or a block that needs more than three
 * slices (both for the generic path). */
static int f4_decode_x(const tpi_mm *mm, size_t nb, f4_x *d)
{
    const uint8_t *xb = mm->b.data;
    size_t inc = mm->b.kstride;
    const __m512i deint = _mm512_set_epi16(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5,
                                           3, 1, 30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8,
                                           6, 4, 2, 0);
    const __m512i m15 = _mm512_set1_epi64(0x7FFF);
    __mmask16 bad = 0;
    for (size_t b = 0; b < nb; b++) {
        uint32_t u[32];
        if (inc == 1)
            memcpy(u, xb + 4 * 32 * b, sizeof u);
        else
            for (int t = 0; t < 32; t++)
                memcpy(&u[t], xb + 4 * (32 * b + (size_t)t) * inc, 4);
        __m512d v[4];
        f4_cvt16(_mm512_loadu_si512(u), &v[0], &v[1], &bad);
        f4_cvt16(_mm512_loadu_si512(u + 16), &v[2], &v[3], &bad);
        if (bad)
            return 0;
        __m512d am = _mm512_max_pd(_mm512_max_pd(_mm512_abs_pd(v[0]), _mm512_abs_pd(v[1])),
                                   _mm512_max_pd(_mm512_abs_pd(v[2]), _mm512_abs_pd(v[3])));
        double amax = _mm512_reduce_max_pd(am);
        int tb = 0, three = 0;
        __m512i X[4];
        if (amax != 0.0) {
            int ex;
            frexp(amax, &ex); /* amax in [2^(ex-1), 2^ex) */
            tb = 29 - (ex - 1);
            /* x * 2^t is exact (binary64 normal); integer iff no bits below */
            __m512d sc = _mm512_set1_pd(ldexp(1.0, tb)), sc15 = _mm512_set1_pd(ldexp(1.0, tb + 15));
            __mmask8 frac = 0;
            for (int q = 0; q < 4; q++) {
                __m512d y = _mm512_mul_pd(v[q], sc);
                frac |= _mm512_cmpneq_pd_mask(
                    y, _mm512_roundscale_pd(y, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC));
            }
            if (frac) {
                three = 1;
                for (int q = 0; q < 4; q++) {
                    __m512d y = _mm512_mul_pd(v[q], sc15); /* below 2^45 */
                    if (_mm512_cmpneq_pd_mask(
                            y, _mm512_roundscale_pd(y, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC)))
                        return 0;
                    X[q] = _mm512_cvtpd_epi64(y); /* exact: an integer below 2^45 */
                }
            } else {
                for (int q = 0; q < 4; q++)
                    X[q] = _mm512_cvtpd_epi64(_mm512_mul_pd(v[q], sc)); /* below 2^30 */
            }
        } else {
            for (int q = 0; q < 4; q++)
                X[q] = _mm512_setzero_si512();
        }
        /* slices (two's complement: X = T * 2^30 + M * 2^15 + L, or T * 2^15 + M) */
        __m512i sl[3][4];
        for (int q = 0; q < 4; q++) {
            if (three) {
                sl[0][q] = _mm512_srai_epi64(X[q], 30);
                sl[1][q] = _mm512_and_si512(_mm512_srai_epi64(X[q], 15), m15);
                sl[2][q] = _mm512_and_si512(X[q], m15);
            } else {
                sl[0][q] = _mm512_srai_epi64(X[q], 15);
                sl[1][q] = _mm512_and_si512(X[q], m15);
                sl[2][q] = _mm512_setzero_si512();
            }
        }
        size_t off = (b / 2) * 64 + (b % 2) * 16;
        for (int c = 0; c < 3; c++) {
            __m512i w16 = _mm512_inserti64x4(
                _mm512_castsi256_si512(_mm256_set_m128i(_mm512_cvtepi64_epi16(sl[c][1]),
                                                        _mm512_cvtepi64_epi16(sl[c][0]))),
                _mm256_set_m128i(_mm512_cvtepi64_epi16(sl[c][3]), _mm512_cvtepi64_epi16(sl[c][2])),
                1);
            w16 = _mm512_permutexvar_epi16(deint, w16);
            _mm256_store_si256((__m256i *)(void *)(d->s[c] + off), _mm512_castsi512_si256(w16));
            _mm256_store_si256((__m256i *)(void *)(d->s[c] + off + 32),
                               _mm512_extracti64x4_epi64(w16, 1));
            __m512i ab = _mm512_add_epi64(_mm512_add_epi64(_mm512_abs_epi64(sl[c][0]),
                                                           _mm512_abs_epi64(sl[c][1])),
                                          _mm512_add_epi64(_mm512_abs_epi64(sl[c][2]),
                                                           _mm512_abs_epi64(sl[c][3])));
            d->bnd[c][b] = 12.0 * (double)_mm512_reduce_add_epi64(ab); /* < 2^25, exact */
        }
        if (three)
            d->three[b / 2] = 1;
        d->xe[b] = 895 - tb;
        d->xmin[b] = amax != 0.0 ? d->xe[b] : (int64_t)1 << 40;
    }
    return 1;
}

/* The per-row scale pass of MXFP4 x binary32: sc[b] = 2^G_b and the range
 * checks of the three chains (see mx_row_scales: the grid of chain c is
 * 2^(Gmin + 15 * (1 - c)), its sum of |terms| at most 2^(15 * (1 - c)) *
 * sum_b 2^G_b * bnd_c[b]). */
static int f4_row_scales(const uint8_t *sw, size_t nb, const f4_x *d, double *sc)
{
    __m512i vmin = _mm512_set1_epi64((int64_t)1 << 40);
    __m512d b0 = _mm512_setzero_pd(), b1 = b0, b2 = b0;
    __mmask8 nan = 0;
    for (size_t b = 0; b < nb; b += 8) {
        __mmask8 m = nb - b >= 8 ? 0xFF : (__mmask8)((1u << (nb - b)) - 1);
        __m512i s = _mm512_cvtepu8_epi64(_mm_maskz_loadu_epi8((__mmask16)m, sw + b));
        __m512d p2 = _mm512_castsi512_pd(
            _mm512_slli_epi64(_mm512_add_epi64(s, _mm512_maskz_loadu_epi64(m, d->xe + b)), 52));
        _mm512_mask_storeu_pd(sc + b, m, p2);
        vmin = _mm512_mask_min_epi64(vmin, m, vmin,
                                     _mm512_add_epi64(s, _mm512_maskz_loadu_epi64(m, d->xmin + b)));
        b0 = _mm512_mask3_fmadd_pd(p2, _mm512_maskz_loadu_pd(m, d->bnd[0] + b), b0, m);
        b1 = _mm512_mask3_fmadd_pd(p2, _mm512_maskz_loadu_pd(m, d->bnd[1] + b), b1, m);
        b2 = _mm512_mask3_fmadd_pd(p2, _mm512_maskz_loadu_pd(m, d->bnd[2] + b), b2, m);
        nan |= _mm512_mask_cmpeq_epi64_mask(m, s, _mm512_set1_epi64(0xFF));
    }
    if (nan)
        return 0;
    int64_t emin = _mm512_reduce_min_epi64(vmin);
    if (emin >= (int64_t)1 << 40 || emin + 51 > 2046)
        return 0;
    double lim;
    uint64_t lb = (uint64_t)(emin + 51) << 52;
    memcpy(&lim, &lb, sizeof lim);
    return _mm512_reduce_add_pd(b0) < lim && _mm512_reduce_add_pd(b1) < lim
           && _mm512_reduce_add_pd(b2) < lim;
}

/* One chain of one row: lane sums of slice xs (even/odd halves) with the
 * decoded weights lo_/hi_, scaled and accumulated into A0 / A1. */
#define F4_CHAIN(xs, scp, A0, A1)                                                          \
    do {                                                                                   \
        __m512i a_ = _mm512_dpwssd_epi32(                                                  \
            _mm512_dpwssd_epi32(zero, lo_, _mm512_load_si512((xs) + g * 64)), hi_,         \
            _mm512_load_si512((xs) + g * 64 + 32));                                        \
        A0 = _mm512_fmadd_pd(_mm512_cvtepi32_pd(_mm512_castsi512_si256(a_)),               \
                             _mm512_set1_pd((scp)[2 * g]), A0);                            \
        A1 = _mm512_fmadd_pd(_mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(a_, 1)),        \
                             _mm512_set1_pd((scp)[2 * g + 1]), A1);                        \
    } while (0)

/* Knuth's TwoSum (round to nearest): the rounding error of a + b. */
static double two_sum_err(double a, double b, double s)
{
    double bv = s - a, av = s - bv;
    return (a - av) + (b - bv);
}

/* *s = a + b + c if that sum is exact in binary64 (three exact finite
 * values well inside the range), checked by TwoSum under round to nearest
 * (the caller's rounding mode is saved and restored).  Returns 0 if not
 * exact, or if the sum is zero while some term is not (the generic path
 * then knows the sign). */
static int sum3_exact(double a, double b, double c, double *s)
{
    unsigned csr = _mm_getcsr();
    _mm_setcsr(csr & ~0x6000u);
    double s1 = a + b, s2 = s1 + c;
    int ok = two_sum_err(a, b, s1) == 0.0 && two_sum_err(s1, c, s2) == 0.0;
    _mm_setcsr(csr);
    *s = s2;
    return ok && (s2 != 0.0 || (a == 0.0 && b == 0.0 && c == 0.0));
}

/* The three chain sums of one row (exact; see f4_x). */
static void f4_row(const uint8_t *q, const double *sc, size_t ng, const f4_x *d, double *out)
{
    const __m512i tab = _mm512_set_epi16(-12, -8, -6, -4, -3, -2, -1, 0, 12, 8, 6, 4, 3, 2, 1,
                                         0, -12, -8, -6, -4, -3, -2, -1, 0, 12, 8, 6, 4, 3, 2, 1,
                                         0);
    const __m512i zero = _mm512_setzero_si512();
    __m512d t0 = _mm512_setzero_pd(), t1 = t0, m0 = t0, m1 = t0, l0 = t0, l1 = t0;
    for (size_t g = 0; g < ng; g++) {
        __m512i u_ = _mm512_cvtepu8_epi16(
            _mm256_loadu_si256((const __m256i *)(const void *)(q + g * 32)));
        __m512i lo_ = _mm512_permutexvar_epi16(u_, tab);
        __m512i hi_ = _mm512_permutexvar_epi16(_mm512_srli_epi16(u_, 4), tab);
        F4_CHAIN(d->s[0], sc, t0, t1);
        F4_CHAIN(d->s[1], sc, m0, m1);
        if (d->three[g])
            F4_CHAIN(d->s[2], sc, l0, l1);
    }
    out[0] = _mm512_reduce_add_pd(_mm512_add_pd(t0, t1));
    out[1] = _mm512_reduce_add_pd(_mm512_add_pd(m0, m1));
    out[2] = _mm512_reduce_add_pd(_mm512_add_pd(l0, l1));
}

static int gemv_mxfp4_f32(const tpi_mm *mm, size_t i0, size_t i1, tpi_ws *ws, unsigned *flags)
{
    size_t k = mm->k, nb = k / 32, ng = k / 64;
    if (k % 64 != 0)
        return 0;
    size_t sl = ALIGN64(k * 2), bb = ALIGN64(nb * 8);
    size_t need = 3 * sl + 6 * bb + ALIGN64(ng);
    uint8_t *base = tpi_ws_get(ws, need);
    if (base == NULL)
        return 0;
    f4_x d;
    for (int c = 0; c < 3; c++) {
        d.s[c] = (int16_t *)(void *)(base + (size_t)c * sl);
        d.bnd[c] = (double *)(void *)(base + 3 * sl + (size_t)c * bb);
    }
    d.xe = (int64_t *)(void *)(base + 3 * sl + 3 * bb);
    d.xmin = (int64_t *)(void *)(base + 3 * sl + 4 * bb);
    double *sc = (double *)(void *)(base + 3 * sl + 5 * bb);
    d.three = base + 3 * sl + 6 * bb;
    memset(d.three, 0, ng);
    if (!f4_decode_x(mm, nb, &d))
        return 0;
    const tpi_vecs *w = &mm->a;
    for (size_t i = i0; i < i1; i++) {
        if (!f4_row_scales(tpi_vec_scales(w, i), nb, &d, sc)) {
            tpi_mm_generic(mm, i, i + 1, 0, 1, NULL, flags);
            continue;
        }
        double c3[3];
        f4_row(tpi_vec_data(w, i), sc, ng, &d, c3);
        /* S = 2^15 * c3[0] + c3[1] + 2^-15 * c3[2], each term exact */
        double tv = c3[0] * 32768.0, lv = c3[2] * 0x1p-15, sv;
        if (sum3_exact(tv, c3[1], lv, &sv)) {
            put_row(mm, i, sv, flags);
        } else { /* the exact sum of the nonzero chain sums */
            tp_acc acc;
            tpi_ref_acc_init(&acc);
            if (tv != 0.0)
                tpi_dot_add_f64(&acc, tv);
            if (c3[1] != 0.0)
                tpi_dot_add_f64(&acc, c3[1]);
            if (lv != 0.0)
                tpi_dot_add_f64(&acc, lv);
            tpi_mm_put_acc(mm, i, 0, &acc, flags);
        }
    }
    return 1;
}

/* ============================================================ dispatch */

static int gemv_avx512(const tpi_mm *mm, size_t i0, size_t i1, size_t j0, size_t j1,
                       tpi_ws *ws, unsigned *flags)
{
    if (mm->mode != TP_MODE_EXACT || mm->alpha == 0 || mm->k == 0 || j0 != 0 || j1 != 1
        || mm->n != 1)
        return 0;
    const tpi_vecs *a = &mm->a, *b = &mm->b;
    if (a->is_block && b->is_block && a->kb->fmt == TP_BLOCK_MXFP4
        && b->kb->fmt == TP_BLOCK_MXFP8_E4M3)
        return gemv_mxfp4_mxfp8(mm, i0, i1, ws, flags);
    if (!a->is_block && !b->is_block && a->fidx == TP_E4M3 && b->fidx == TP_E4M3)
        return gemv_e4m3_e4m3(mm, i0, i1, ws, flags);
    if (a->is_block && !b->is_block && a->kb->fmt == TP_BLOCK_MXFP4 && b->fidx == TP_F32)
        return gemv_mxfp4_f32(mm, i0, i1, ws, flags);
    return 0;
}

void tpi_install_avx512_gemv(tpi_kernels *k)
{
    k->gemv = gemv_avx512;
}
