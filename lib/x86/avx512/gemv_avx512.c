/*
 * gemv_avx512.c -- exact GEMV row kernels for AVX-512 (n == 1: each output
 * is the exact dot product S of a row of op(W) with x, handed to
 * tpi_mm_put_f64 or tpi_mm_put_acc).  Every kernel decodes x once per call
 * (per row range: a task) into the scratch ws, then streams rows of W.  A
 * row whose range check fails, whose exact sum is zero, or that holds a NaN
 * code goes to tpi_mm_generic (which knows the sign of zero and the
 * specials), called with no scratch so that the decoded x stays intact; an
 * x with a NaN (or Inf) makes the kernel decline the whole call (return 0,
 * nothing written).
 * Results do not depend on MXCSR: the kernels only form exact values, clear
 * DAZ where they read binary64 subnormals, and set round-to-nearest where
 * they test exactness with TwoSum.
 *
 *  - MXFP4 W x MXFP8 E4M3 x (default layouts, k a multiple of 32): 2 * E2M1
 *    is an integer w in [-12, 12]; x * 2^9 is an integer below 2^17.81, and
 *    per block of x it is divided by the largest power of two dividing every
 *    element (X', with the block exponent raised to match).  X' is cut into
 *    one to three 7-bit slices (per panel of 16 blocks, as few as its values
 *    need; the top slice signed), which are vpdpbusd's signed operand; the
 *    unsigned one is w + 12, and the bias 12 * sum X' is subtracted per
 *    block.  Every int32 sum is exact (bounds at MX_GROUP), so a block gives
 *    its exact L = sum w * X', worth L * 2^E_b with E_b the sum of the two
 *    block exponents.  The L are converted exactly to binary64 and
 *    accumulated as L * 2^E_b by FMA.  Range check (per row): every term is
 *    a multiple of 2^Emin (Emin: smallest E_b over the blocks whose x is not
 *    all zero) and the sum of |terms| is at most
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
 *    with the weights by vpdpwssd (lane sums below 4 * 12 * 2^15 = 2^20.6,
 *    block sums below 2^23.6, exact in int32) into its own binary64 chain,
 *    with the same range check as above per chain (bound 12 * sum |slice|
 *    per block); a block of x whose values span more than 45 bits declines
 *    the call.  The chain sums are exact; S is their sum, stored directly
 *    when TwoSum shows it exact, else through an accumulator.
 *
 * The block kernels reduce their int32 lane sums to one sum per block in
 * panels of 16 blocks before converting, so that a panel costs two FMAs a
 * chain; the range checks are the pattern of "range checks" below (a
 * quick one from the row's smallest and largest scale codes, the full one
 * when that fails).  Rows this short (a few KiB) lose the hardware
 * prefetchers at every page boundary, so the kernels prefetch the rows a
 * pass or two ahead.
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

/* ============================================================ range checks */

/* The per-row range checks of the block kernels follow one pattern: the
 * row's terms are L_b * 2^E_b with E_b = sw_b + xe_b (biased; sw_b the W
 * scale code), |L_b| <= bnd_b, every term a multiple of 2^Emin (Emin: the
 * smallest sw_b + xmin_b), and a chain of FMAs over them is exact when
 * B = sum_b 2^E_b * bnd_b < 2^(Emin + 51) (the kernels' comments).  The
 * quick form needs only the smallest and largest scale code of the row. */

/* For x: span = ilogb(T) + 2 with T = sum_b 2^(xe_b - xmn) * bnd_b in
 * binary64 (positive terms, relative error below nb * 2^-52, so the true T
 * is below 2^span), xmn the smallest xmin; -1 if x is all zero. */
static int64_t x_span(const int64_t *xe, const int64_t *xmin, const double *bnd, size_t nb)
{
    int64_t xmn = (int64_t)1 << 40;
    for (size_t b = 0; b < nb; b++)
        xmn = xmin[b] < xmn ? xmin[b] : xmn;
    if (xmn >= (int64_t)1 << 40)
        return -1;
    double t = 0.0;
    for (size_t b = 0; b < nb; b++)
        if (bnd[b] != 0.0)
            t += ldexp(bnd[b], (int)(xe[b] - xmn));
    return isfinite(t) && t > 0.0 ? (int64_t)ilogb(t) + 2 : -1;
}

/* The quick check of a row with scale codes sw: B <= 2^(smax + xmn) * T
 * and Emin >= smin + xmn, so smax - smin + span <= 51 gives
 * B < 2^(Emin + 51).  A scale 0xFF (NaN) fails it. */
static int row_ok(const uint8_t *sw, size_t nb, int64_t span)
{
    if (span < 0)
        return 0;
    __m512i mn = _mm512_set1_epi8((char)0xFF), mx = _mm512_setzero_si512();
    for (size_t b = 0; b < nb; b += 64) {
        __mmask64 m = nb - b >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (nb - b)) - 1);
        __m512i v = _mm512_maskz_loadu_epi8(m, sw + b);
        mn = _mm512_mask_min_epu8(mn, m, mn, v);
        mx = _mm512_max_epu8(mx, v);
    }
    __m256i mn2 = _mm256_min_epu8(_mm512_castsi512_si256(mn), _mm512_extracti64x4_epi64(mn, 1));
    __m256i mx2 = _mm256_max_epu8(_mm512_castsi512_si256(mx), _mm512_extracti64x4_epi64(mx, 1));
    unsigned smin = _mm512_reduce_min_epu32(
        _mm512_min_epu32(_mm512_cvtepu8_epi32(_mm256_castsi256_si128(mn2)),
                         _mm512_cvtepu8_epi32(_mm256_extracti128_si256(mn2, 1))));
    unsigned smax = _mm512_reduce_max_epu32(
        _mm512_max_epu32(_mm512_cvtepu8_epi32(_mm256_castsi256_si128(mx2)),
                         _mm512_cvtepu8_epi32(_mm256_extracti128_si256(mx2, 1))));
    return smax != 0xFF && (int64_t)(smax - smin) + span <= 51;
}

/* 2^E_b for 16 blocks as binary64: E_b = sw_b + xe_b (sw loaded with mask
 * sm, the rest zero; xe zero past the end), which lies in [1, 2046] for
 * every block in use and is zero (0.0) for the padding. */
static inline void scales16(const uint8_t *sw, __mmask16 sm, const int64_t *xe, __m512d *sc0,
                            __m512d *sc1)
{
    __m128i s8 = _mm_maskz_loadu_epi8(sm, sw);
    *sc0 = _mm512_castsi512_pd(_mm512_slli_epi64(
        _mm512_add_epi64(_mm512_cvtepu8_epi64(s8), _mm512_load_si512(xe)), 52));
    *sc1 = _mm512_castsi512_pd(_mm512_slli_epi64(
        _mm512_add_epi64(_mm512_cvtepu8_epi64(_mm_srli_si128(s8, 8)), _mm512_load_si512(xe + 8)),
        52));
}

/* One step of the lane reductions: per 128-bit lane j,
 * [a0 + a2, b0 + b2, a1 + a3, b1 + b3] of a and b. */
static inline __m512i fold32(__m512i a, __m512i b)
{
    return _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
}

/* The second step: per 128-bit lane j, the sums of lane j's four dwords
 * of the four vectors folded into p (first two) and q (last two). */
static inline __m512i fold64(__m512i p, __m512i q)
{
    return _mm512_add_epi32(_mm512_unpacklo_epi64(p, q), _mm512_unpackhi_epi64(p, q));
}

/* The next rows of a pass: from *pi up to i1, up to nr rows that pass the
 * quick check or full(sw, nb, dx) go to q / sw / rows, the others to the
 * generic path.  Returns the number gathered; *pi is past the last row
 * looked at. */
static int gather_rows(const tpi_mm *mm, size_t *pi, size_t i1, size_t nb, int64_t span,
                       int (*full)(const uint8_t *, size_t, const void *), const void *dx,
                       int nr, const uint8_t **q, const uint8_t **sw, size_t *rows,
                       unsigned *flags)
{
    const tpi_vecs *w = &mm->a;
    size_t i = *pi;
    int n = 0;
    while (i < i1 && n < nr) {
        const uint8_t *s = tpi_vec_scales(w, i);
        if (row_ok(s, nb, span) || full(s, nb, dx)) {
            q[n] = tpi_vec_data(w, i);
            sw[n] = s;
            rows[n++] = i;
        } else {
            tpi_mm_generic(mm, i, i + 1, 0, 1, NULL, flags);
        }
        i++;
    }
    *pi = i;
    return n;
}

/* ============================================================ MXFP4 x MXFP8 */

/* Per-call decoded x of the MXFP4 x MXFP8 kernel (in ws).  W is read in
 * panels of 16 blocks (256 bytes, four groups of 64 bytes: group g holds
 * blocks 4g .. 4g+3, 16 bytes each).  Byte t of a group holds elements 2p
 * (low nibble) and 2p + 1 (high nibble) of block 4g + t / 16, p = t % 16;
 * x holds, per group, the slices of X' for the low nibbles and for the high
 * ones in the same byte order: xl0, xh0, xl1, xh1, xl2, xh2 (64 bytes each,
 * the first 2 * nsl[g] in use). */
typedef struct mx_x {
    int8_t *x;       /* per group: MX_SL * 128 bytes */
    int32_t *corr;   /* per block: 12 * sum of X' over the block */
    int64_t *xe;     /* per block: biased exponent of the block minus the W scale code */
    int64_t *xmin;   /* xe, or a huge value for an all-zero block (not in Emin) */
    double *bnd;     /* per block: 12 * sum |X'| */
    uint8_t *nsl;    /* per group: slices needed (1 to 3) */
    int64_t span;    /* for the quick range check (row_ok) */
} mx_x;

#define MX_SL 3 /* at most three slices */

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

/* Decodes x (nb blocks; x and corr are padded with zeros to whole
 * panels); returns 0 if x has a NaN (scale 0xFF or element 0x7F/0xFF). */
static int mx_decode_x(const tpi_mm *mm, size_t nb, mx_x *d)
{
    const uint8_t *xs = mm->b.scales, *xc = mm->b.data;
    __mmask16 bad = 0;
    int32_t xv[4][32]; /* X' of the blocks of one group */
    size_t ngp = (nb + 15) / 16 * 4;
    memset(d->corr + nb, 0, (ngp * 4 - nb) * sizeof *d->corr);
    memset(d->xe + nb, 0, (ngp * 4 - nb) * sizeof *d->xe);
    for (size_t g = 0; g < ngp; g++) {
        size_t b0 = 4 * g, gn = b0 >= nb ? 0 : nb - b0 < 4 ? nb - b0 : 4;
        int32_t lo = 0, hi = 0;
        int8_t *xg = d->x + g * MX_SL * 128;
        memset(xg, 0, MX_SL * 128);
        for (size_t j = 0; j < gn; j++) {
            size_t b = b0 + j;
            unsigned sx = xs[b];
            if (sx == 0xFF)
                return 0;
            const uint8_t *cb = xc + b * 32;
            __m512i X0 = mx_x16(
                _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)cb)), &bad);
            __m512i X1 = mx_x16(
                _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(cb + 16))),
                &bad);
            uint32_t orv = (uint32_t)_mm512_reduce_or_epi32(_mm512_or_si512(X0, X1));
            int tz = orv != 0 ? __builtin_ctz(orv) : 0;
            /* exact: 2^tz divides every element (arithmetic shift) */
            __m128i sh = _mm_cvtsi32_si128(tz);
            X0 = _mm512_sra_epi32(X0, sh);
            X1 = _mm512_sra_epi32(X1, sh);
            int32_t l = _mm512_reduce_min_epi32(_mm512_min_epi32(X0, X1));
            int32_t h = _mm512_reduce_max_epi32(_mm512_max_epi32(X0, X1));
            lo = l < lo ? l : lo;
            hi = h > hi ? h : hi;
            /* |X'| < 2^18: these sums are exact in int32 */
            d->corr[b] = 12 * _mm512_reduce_add_epi32(_mm512_add_epi32(X0, X1));
            double sum = (double)(_mm512_reduce_add_epi32(
                _mm512_add_epi32(_mm512_abs_epi32(X0), _mm512_abs_epi32(X1))));
            _mm512_storeu_si512(xv[j], X0);
            _mm512_storeu_si512(xv[j] + 16, X1);
            /* E_b = (sw - 127) + (sx - 127) - 1 - 9 + tz; biased: sw + xe */
            d->xe[b] = (int64_t)sx + 759 + tz;
            d->xmin[b] = orv != 0 ? d->xe[b] : (int64_t)1 << 40;
            d->bnd[b] = 12.0 * sum;
        }
        /* n slices of 7 bits: X' = sum_s slice_s * 2^(7s), every slice in
         * [0, 127] but the top one, which is signed and lies in [-128, 127]
         * when X' lies in [-2^(7n), 2^(7n)); |X'| < 2^18 needs at most 3.
         * (>> of a negative int32 is arithmetic with the compilers this
         * file is built with, as the vector shifts above.) */
        int n = lo >= -128 && hi <= 127 ? 1 : lo >= -16384 && hi <= 16383 ? 2 : 3;
        d->nsl[g] = (uint8_t)n;
        for (size_t j = 0; j < gn; j++)
            for (int s = 0; s < n; s++) {
                int8_t *pl = xg + s * 128 + j * 16, *ph = pl + 64;
                for (int p = 0; p < 16; p++) {
                    int32_t e = xv[j][2 * p] >> (7 * s), o = xv[j][2 * p + 1] >> (7 * s);
                    pl[p] = (int8_t)(s == n - 1 ? e : e & 0x7F);
                    ph[p] = (int8_t)(s == n - 1 ? o : o & 0x7F);
                }
            }
    }
    d->span = x_span(d->xe, d->xmin, d->bnd, nb);
    return bad == 0;
}

/* The full range check of a row (when row_ok fails).  Returns 1 if the
 * row may take the fast path. */
static int mx_row_scales(const uint8_t *sw, size_t nb, const mx_x *d)
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

static int mx_full_check(const uint8_t *sw, size_t nb, const void *d)
{
    return mx_row_scales(sw, nb, (const mx_x *)d);
}

#define MX_R 4   /* rows per pass */
#define MX_PFD 4 /* prefetch: the rows MX_PFD past the end of the pass */


/* The int32 lane sums of one group of 64 bytes of a row (at qq + off,
 * loaded with mask lm): lanes 4j .. 4j+3 sum (w + 12) * X' over block
 * 4g + j, where w is 2 * E2M1 and w + 12 in [0, 24] is vpdpbusd's unsigned
 * operand.  Each vpdpbusd lane adds 4 products below 24 * 2^7; the n
 * slices combine to (w + 12) * X' summed over 8 elements, below
 * 8 * 24 * 2^18 < 2^25.6: everything is exact in int32. */
static inline __attribute__((always_inline)) __m512i mx_group(const uint8_t *qq, __mmask64 lm,
                                                              __m512i tab, const __m512i *xs,
                                                              int n)
{
    const __m512i zero = _mm512_setzero_si512();
    __m512i v = _mm512_maskz_loadu_epi8(lm, qq);
    __m512i wl = _mm512_permutexvar_epi8(v, tab);
    __m512i wh = _mm512_permutexvar_epi8(_mm512_srli_epi16(v, 4), tab);
    __m512i a = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zero, wl, xs[0]), wh, xs[1]);
    if (n > 1)
        a = _mm512_add_epi32(
            a, _mm512_slli_epi32(
                   _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zero, wl, xs[2]), wh, xs[3]), 7));
    if (n > 2)
        a = _mm512_add_epi32(
            a, _mm512_slli_epi32(
                   _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zero, wl, xs[4]), wh, xs[5]), 14));
    return a;
}

/* The 16 block sums of a panel from the folds p (groups 0, 1) and q
 * (groups 2, 3), in block order, minus the bias 12 * sum X'; then into the
 * two binary64 chains. */
static inline __attribute__((always_inline)) void
mx_panel(__m512i p, __m512i q, __m512i corr, const uint8_t *sw, __mmask16 sm, const int64_t *xe,
         __m512d *acc0, __m512d *acc1)
{
    __m512d sc0, sc1;
    scales16(sw, sm, xe, &sc0, &sc1); /* E_b in [759, 1267] */
    /* per 128-bit lane j: the sums of blocks j, 4 + j, 8 + j, 12 + j */
    __m512i r = fold64(p, q);
    const __m512i ord = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
    __m512i l = _mm512_sub_epi32(_mm512_permutexvar_epi32(ord, r), corr);
    *acc0 = _mm512_fmadd_pd(_mm512_cvtepi32_pd(_mm512_castsi512_si256(l)), sc0, *acc0);
    *acc1 = _mm512_fmadd_pd(_mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(l, 1)), sc1, *acc1);
}

/* Sums of rows q[0..nr-1] (nr 1 or MX_R, each nb blocks) with the decoded
 * x; sw[t] their scale codes.  pf[t] (nb * 16 bytes) is prefetched: the
 * rows of the next pass, since the hardware prefetchers lose rows this
 * short at every page boundary. */
static inline __attribute__((always_inline)) void
mx_rows(const uint8_t *const *q, const uint8_t *const *sw, const uint8_t *const *pf,
        const uint8_t *const *pfs, int nr, size_t nb, const mx_x *d, double *out)
{
    /* nibble -> 2 * E2M1 + 12, repeated: vpermb reads the low 6 bits */
    static const int8_t tab8[16] = {12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0};
    const __m512i tab =
        _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(const void *)tab8));
    __m512d acc[MX_R][2];
    for (int t = 0; t < MX_R; t++)
        acc[t][0] = acc[t][1] = _mm512_setzero_pd();
    size_t bytes = nb * 16;
    for (size_t p0 = 0; p0 < nb; p0 += 16) {
        __m512i pq[MX_R][2];
        if (p0 % 64 == 0) {
#pragma GCC unroll 4
            for (int t = 0; t < nr; t++)
                _mm_prefetch((const char *)(pfs[t] + p0), _MM_HINT_T0);
        }
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++) {
            size_t gi = p0 / 4 + (size_t)g, off = gi * 64;
            __mmask64 lm = off + 64 <= bytes ? ~(__mmask64)0
                           : off >= bytes    ? 0
                                             : (((__mmask64)1 << (bytes - off)) - 1);
            int n = d->nsl[gi];
            const int8_t *xg = d->x + gi * MX_SL * 128;
            __m512i xs[2 * MX_SL];
#pragma GCC unroll 6
            for (int s = 0; s < 2 * MX_SL; s++)
                xs[s] = s < 2 * n ? _mm512_load_si512(xg + s * 64) : _mm512_setzero_si512();
#pragma GCC unroll 4
            for (int t = 0; t < nr; t++) {
                if (lm != 0)
                    _mm_prefetch((const char *)(pf[t] + off), _MM_HINT_T0);
                __m512i a = mx_group(q[t] + off, lm, tab, xs, n);
                if (g % 2 == 0)
                    pq[t][g / 2] = a;
                else
                    pq[t][g / 2] = fold32(pq[t][g / 2], a);
            }
        }
        __m512i corr = _mm512_load_si512(d->corr + p0);
        __mmask16 sm = nb - p0 >= 16 ? 0xFFFF : (__mmask16)((1u << (nb - p0)) - 1);
#pragma GCC unroll 4
        for (int t = 0; t < nr; t++)
            mx_panel(pq[t][0], pq[t][1], corr, sw[t] + p0, sm, d->xe + p0, &acc[t][0],
                     &acc[t][1]);
    }
    for (int t = 0; t < nr; t++)
        out[t] = _mm512_reduce_add_pd(_mm512_add_pd(acc[t][0], acc[t][1]));
}

static int gemv_mxfp4_mxfp8(const tpi_mm *mm, size_t i0, size_t i1, tpi_ws *ws, unsigned *flags)
{
    size_t k = mm->k, nb = k / 32, npan = (nb + 15) / 16, nbp = npan * 16;
    if (k % 32 != 0)
        return 0;
    size_t o0 = 0, o1 = o0 + npan * 4 * MX_SL * 128, o2 = o1 + ALIGN64(nbp * 4),
           o3 = o2 + ALIGN64(nbp * 8), o4 = o3 + ALIGN64(nb * 8), o5 = o4 + ALIGN64(nb * 8),
           o6 = o5 + ALIGN64(npan * 4);
    uint8_t *base = tpi_ws_get(ws, o6);
    if (base == NULL)
        return 0;
    mx_x d;
    d.x = (int8_t *)(void *)(base + o0);
    d.corr = (int32_t *)(void *)(base + o1);
    d.xe = (int64_t *)(void *)(base + o2);
    d.xmin = (int64_t *)(void *)(base + o3);
    d.bnd = (double *)(void *)(base + o4);
    d.nsl = base + o5;
    if (!mx_decode_x(mm, nb, &d))
        return 0;
    const tpi_vecs *w = &mm->a;
    size_t i = i0;
    while (i < i1) {
        const uint8_t *q[MX_R], *sw[MX_R];
        size_t rows[MX_R];
        int nr = gather_rows(mm, &i, i1, nb, d.span, mx_full_check, &d, MX_R, q, sw, rows, flags);
        if (nr == 0)
            continue;
        const uint8_t *pf[MX_R], *pfs[MX_R];
        for (int t = 0; t < MX_R; t++) { /* rows of a pass ahead, or these again */
            size_t ip = i + MX_PFD + (size_t)t < i1 ? i + MX_PFD + (size_t)t : rows[0];
            pf[t] = tpi_vec_data(w, ip);
            pfs[t] = tpi_vec_scales(w, ip);
        }
        double r[MX_R];
        if (nr == MX_R)
            mx_rows(q, sw, pf, pfs, MX_R, nb, &d, r);
        else
            for (int t = 0; t < nr; t++)
                mx_rows(q + t, sw + t, pf + t, pfs + t, 1, nb, &d, r + t);
        for (int t = 0; t < nr; t++)
            put_row(mm, rows[t], r[t], flags);
    }
    return 1;
}

/* ============================================================ E4M3 x E4M3 */

#define E4_R 4   /* rows per pass */
#define E4_PFD 4 /* prefetch distance in rows */

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
e4_rows(const uint8_t *const *q, const uint8_t *const *pf, int nr, size_t k, const double *xd,
        double *out, int *nan)
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
        for (int t = 0; t < nr; t++)
            _mm_prefetch((const char *)(pf[t] + g), _MM_HINT_T0);
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
        const uint8_t *pf[E4_R]; /* rows of a pass ahead (see mx_rows), or these again */
        for (int t = 0; t < nr; t++) {
            q[t] = tpi_vec_data(w, i + (size_t)t);
            size_t ip = i + E4_PFD + (size_t)t;
            pf[t] = ip < i1 ? tpi_vec_data(w, ip) : q[t];
        }
        _mm_setcsr(csr & ~0x0040u); /* DAZ off: the W values may be subnormal */
        if (nr == E4_R)
            e4_rows(q, pf, E4_R, k, xd, s, nan);
        else
            for (int t = 0; t < nr; t++)
                e4_rows(q + t, pf + t, 1, k, xd, s + t, nan + t);
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
    int64_t span;       /* for the quick range check (row_ok): the largest of the chains' */
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
    d->span = -1;
    for (int c = 0; c < 3; c++) {
        int64_t sp = x_span(d->xe, d->xmin, d->bnd[c], nb);
        d->span = sp > d->span ? sp : d->span;
    }
    return 1;
}

/* The full range checks of the three chains of a row of MXFP4 x binary32
 * (when row_ok fails; see mx_row_scales: the grid of chain c is
 * 2^(Gmin + 15 * (1 - c)), its sum of |terms| at most 2^(15 * (1 - c)) *
 * sum_b 2^G_b * bnd_c[b]). */
static int f4_row_scales(const uint8_t *sw, size_t nb, const f4_x *d)
{
    __m512i vmin = _mm512_set1_epi64((int64_t)1 << 40);
    __m512d b0 = _mm512_setzero_pd(), b1 = b0, b2 = b0;
    __mmask8 nan = 0;
    for (size_t b = 0; b < nb; b += 8) {
        __mmask8 m = nb - b >= 8 ? 0xFF : (__mmask8)((1u << (nb - b)) - 1);
        __m512i s = _mm512_cvtepu8_epi64(_mm_maskz_loadu_epi8((__mmask16)m, sw + b));
        __m512d p2 = _mm512_castsi512_pd(
            _mm512_slli_epi64(_mm512_add_epi64(s, _mm512_maskz_loadu_epi64(m, d->xe + b)), 52));
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

static int f4_full_check(const uint8_t *sw, size_t nb, const void *d)
{
    return f4_row_scales(sw, nb, (const f4_x *)d);
}

/* The int32 lane sums of one chain (slice xs) of group g with the decoded
 * weights lo / hi: lanes 0-7 belong to block 2g, lanes 8-15 to block
 * 2g + 1; each below 4 * 12 * 2^15 = 2^20.6, a block's eight below 2^23.6:
 * exact. */
#define F4_LANES(xs)                                                                      \
    _mm512_dpwssd_epi32(_mm512_dpwssd_epi32(zero, lo, _mm512_load_si512((xs) + g * 64)), hi, \
                        _mm512_load_si512((xs) + g * 64 + 32))

/* The 16 block sums (natural order) of a panel from r0 and r1: per 128-bit
 * lane j, the sums of lane j of groups 0-3 (r0) and 4-7 (r1), where lanes
 * 0-1 of group g belong to block 2g and lanes 2-3 to block 2g + 1. */
static inline __m512i f4_blocks(__m512i r0, __m512i r1)
{
    /* lanes: blocks 0 2 4 6 | 1 3 5 7 | 8 10 12 14 | 9 11 13 15 */
    __m512i t = _mm512_add_epi32(_mm512_shuffle_i32x4(r0, r1, _MM_SHUFFLE(2, 0, 2, 0)),
                                 _mm512_shuffle_i32x4(r0, r1, _MM_SHUFFLE(3, 1, 3, 1)));
    const __m512i ord = _mm512_set_epi32(15, 11, 14, 10, 13, 9, 12, 8, 7, 3, 6, 2, 5, 1, 4, 0);
    return _mm512_permutexvar_epi32(ord, t);
}

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

#define F4_PFD 2 /* prefetch: the rows F4_PFD past the end of the pass */

#define F4_R 2 /* rows per pass */

/* The three chain sums of rows q[0..nr-1] (nr 1 or F4_R; exact, see f4_x),
 * in panels of eight groups (16 blocks); sw[t] the rows' scale codes; pf[t]
 * is prefetched. */
static inline __attribute__((always_inline)) void
f4_rows(const uint8_t *const *q, const uint8_t *const *sw, const uint8_t *const *pf, int nr,
        size_t nb, const f4_x *d, double (*out)[3])
{
    const __m512i tab = _mm512_set_epi16(-12, -8, -6, -4, -3, -2, -1, 0, 12, 8, 6, 4, 3, 2, 1,
                                         0, -12, -8, -6, -4, -3, -2, -1, 0, 12, 8, 6, 4, 3, 2, 1,
                                         0);
    const __m512i zero = _mm512_setzero_si512();
    size_t ng = nb / 2;
    __m512d acc[F4_R][3][2];
#pragma GCC unroll 2
    for (int t = 0; t < nr; t++)
#pragma GCC unroll 3
        for (int c = 0; c < 3; c++)
            acc[t][c][0] = acc[t][c][1] = _mm512_setzero_pd();
    for (size_t p0 = 0; p0 < nb; p0 += 16) {
        /* the lane sums of the panel's groups, folded as they come (h: an
         * even group, f: a pair, r[0] / r[1]: groups 0-3 / 4-7) */
        __m512i h[F4_R][3], f[F4_R][3], r[F4_R][2][3];
        int three = 0;
#pragma GCC unroll 8
        for (int u = 0; u < 8; u++) {
            size_t g = p0 / 2 + (size_t)u;
            __m512i a[F4_R][3];
            int th = g < ng && d->three[g];
            three |= th;
#pragma GCC unroll 2
            for (int t = 0; t < nr; t++) {
                a[t][0] = a[t][1] = a[t][2] = zero;
                if (g < ng) {
                    if (u % 2 == 0)
                        _mm_prefetch((const char *)(pf[t] + g * 32), _MM_HINT_T0);
                    __m512i w = _mm512_cvtepu8_epi16(
                        _mm256_loadu_si256((const __m256i *)(const void *)(q[t] + g * 32)));
                    __m512i lo = _mm512_permutexvar_epi16(w, tab);
                    __m512i hi = _mm512_permutexvar_epi16(_mm512_srli_epi16(w, 4), tab);
                    a[t][0] = F4_LANES(d->s[0]);
                    a[t][1] = F4_LANES(d->s[1]);
                    if (th)
                        a[t][2] = F4_LANES(d->s[2]);
                }
            }
#pragma GCC unroll 2
            for (int t = 0; t < nr; t++)
#pragma GCC unroll 3
                for (int c = 0; c < 3; c++) {
                    if (u % 2 == 0)
                        h[t][c] = a[t][c];
                    else if (u % 4 == 1)
                        f[t][c] = fold32(h[t][c], a[t][c]);
                    else
                        r[t][u / 4][c] = fold64(f[t][c], fold32(h[t][c], a[t][c]));
                }
        }
        __mmask16 sm = nb - p0 >= 16 ? 0xFFFF : (__mmask16)((1u << (nb - p0)) - 1);
#pragma GCC unroll 2
        for (int t = 0; t < nr; t++) {
            __m512d sc0, sc1;
            scales16(sw[t] + p0, sm, d->xe + p0, &sc0, &sc1);
#pragma GCC unroll 3
            for (int c = 0; c < 2 + three; c++) {
                __m512i l = f4_blocks(r[t][0][c], r[t][1][c]);
                acc[t][c][0] = _mm512_fmadd_pd(_mm512_cvtepi32_pd(_mm512_castsi512_si256(l)),
                                               sc0, acc[t][c][0]);
                acc[t][c][1] = _mm512_fmadd_pd(
                    _mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(l, 1)), sc1, acc[t][c][1]);
            }
        }
    }
#pragma GCC unroll 2
    for (int t = 0; t < nr; t++)
        for (int c = 0; c < 3; c++)
            out[t][c] = _mm512_reduce_add_pd(_mm512_add_pd(acc[t][c][0], acc[t][c][1]));
}

/* Row i from its three exact chain sums: S = 2^15 * c3[0] + c3[1] +
 * 2^-15 * c3[2], each term exact. */
static void f4_put(const tpi_mm *mm, size_t i, const double *c3, unsigned *flags)
{
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

static int gemv_mxfp4_f32(const tpi_mm *mm, size_t i0, size_t i1, tpi_ws *ws, unsigned *flags)
{
    size_t k = mm->k, nb = k / 32, ng = k / 64;
    if (k % 64 != 0)
        return 0;
    size_t nbp = (nb + 15) / 16 * 16; /* xe is padded with zeros to whole panels */
    size_t sl = ALIGN64(k * 2), bb = ALIGN64(nbp * 8);
    size_t need = 3 * sl + 5 * bb + ALIGN64(ng);
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
    d.three = base + 3 * sl + 5 * bb;
    memset(d.three, 0, ng);
    memset(d.xe + nb, 0, (nbp - nb) * sizeof *d.xe);
    if (!f4_decode_x(mm, nb, &d))
        return 0;
    const tpi_vecs *w = &mm->a;
    size_t i = i0;
    while (i < i1) {
        const uint8_t *q[F4_R], *sw[F4_R], *pf[F4_R];
        size_t rows[F4_R];
        int nr = gather_rows(mm, &i, i1, nb, d.span, f4_full_check, &d, F4_R, q, sw, rows, flags);
        if (nr == 0)
            continue;
        for (int t = 0; t < F4_R; t++) /* rows of a pass ahead, or these again */
            pf[t] = i + F4_PFD + (size_t)t < i1 ? tpi_vec_data(w, i + F4_PFD + (size_t)t) : q[0];
        double c3[F4_R][3];
        if (nr == F4_R)
            f4_rows(q, sw, pf, F4_R, nb, &d, c3);
        else
            for (int t = 0; t < nr; t++)
                f4_rows(q + t, sw + t, pf + t, 1, nb, &d, c3 + t);
        for (int t = 0; t < nr; t++)
            f4_put(mm, rows[t], c3[t], flags);
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
