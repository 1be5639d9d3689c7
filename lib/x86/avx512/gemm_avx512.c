/*
 * gemm_avx512.c -- exact GEMM tile kernels for AVX-512.
 *
 * Two families, both BLIS-shaped: a tile is cut into sub-tiles of at most
 * MC x NC outputs, k into chunks of KC; per chunk both operands are packed
 * into the scratch and a register-blocked micro-kernel updates an MR x 16
 * block of binary64 sums kept in the scratch.
 *
 *  - Element x element: bfloat16, and every built-in format of at most 8
 *    bits whose values are all exact in bfloat16 (E4M3, E5M2, the FNUZ
 *    formats, E3M4, FP6, FP4, INT8, ...), in any mix.  Values are widened
 *    exactly to binary64 (bytes through a 256-entry bfloat16 table; E4M3
 *    through binary16, see E4_SCALE); the product of two has at most 8 + 8
 *    significant bits and lies in 2^-266 .. 2^256, so it is exact in
 *    binary64, and the 8 x 16 micro-kernel adds products with FMA.
 *  - MXFP4 x MXFP4 with int8 VNNI, 4 x 16.  An E2M1 value times 2 is an
 *    integer in [-12, 12]; vpdpbusd (u8 x s8) takes the B values biased by
 *    +12 (in [0, 24]) and the A values signed, and each int32 lane starts at
 *    -12 * (sum of the A values of the block), so that after the 8 steps of
 *    a 32-element block it holds the exact block sum: |sum| <= 32 * 144 <
 *    2^13, and no intermediate exceeds 32 * 24 * 12 + 12 * 384 < 2^14.  The
 *    block sum is converted to binary64 (exact) and multiplied by
 *    2^(ea-128) * 2^(eb-128), an exact power of two in 2^-256 .. 2^254 (the
 *    two factors 1/2 undo the doubling); FMA adds it.
 *
 * Exactness check.  In both families every product or block term reaching
 * a binary64 sum is exact, so a sum is exact iff no FMA rounded.  Every
 * micro-kernel call runs with the inexact flag (MXCSR.PE) clear and reads it
 * after; a call that raised it sends its whole MR x 16 block of outputs to
 * the generic path.  For the narrow formats this never happens, by a static
 * bound (E4M3 x E4M3: products are multiples of 2^-18 below 2^17.62, so any
 * k <= 2^17 is exact); for bfloat16 and MXFP4 it happens only when the
 * values of a row and a column span more than about 53 - 16 - log2(k)
 * (bfloat16) or 53 - 13 - log2(k/32) (MXFP4, in scale exponents) bits.
 * Packing and kernels run with every exception masked; the caller's MXCSR
 * is restored on return, with the status flags that the generic path and
 * the stores raised.  The rounding mode and FTZ/DAZ change nothing: every
 * accepted operation is exact and no binary64 value is subnormal, and the
 * binary32 -> binary64 widening never sees a subnormal (bfloat16 subnormals
 * are widened with integer operations).
 *
 * With a binary32 C of unit column stride, alpha 1, beta 0 and round to
 * nearest even, the outputs of a block are rounded and stored eight at a
 * time (f32_row8); those that would be subnormal or overflow take the
 * scalar store.  Outputs whose exact sum is zero (the sign of zero), rows
 * or columns with NaN/Inf codes or NaN scales, and blocks that raised the
 * inexact flag go to tpi_mm_generic, each output exactly once.  The generic
 * path gets its own scratch so that the packed panels survive.
 */
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref.h"
#include "../gemm_common.h"

/* Up to eight outputs of a row (lanes m) from their exact sums s: the lanes
 * whose |s| is at least 2^-126 and rounds to a finite binary32 are
 * stored (embedded round to nearest even: the one rounding of the exact
 * value, whatever MXCSR says, and a normal result, so FTZ cannot apply) and
 * raise TP_FLAG_INEXACT if rounded; the others, and the zeros, are left to
 * the caller (returned as a mask). */
static __mmask8 f32_row8(__m512d s, __mmask8 m, float *dst, unsigned *flags)
{
    __m512i e = _mm512_and_si512(_mm512_srli_epi64(_mm512_castpd_si512(s), 52),
                                 _mm512_set1_epi64(0x7FF));
    __mmask8 ok = _mm512_mask_cmpge_epi64_mask(m, e, _mm512_set1_epi64(1023 - 126));
    __m256 f = _mm512_cvt_roundpd_ps(s, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    ok &= (__mmask8)~_mm256_cmp_ps_mask(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), f),
                                        _mm256_set1_ps(INFINITY), _CMP_EQ_OQ);
    if (_mm512_mask_cmp_pd_mask(ok, _mm512_cvtps_pd(f), s, _CMP_NEQ_OQ))
        *flags |= TP_FLAG_INEXACT;
    _mm256_mask_storeu_ps(dst, ok, f);
    return (__mmask8)(m & ~ok);
}

/* ================================================= element x element, fp64 */

#define F_MR 8
#define F_NR 16
#define F_KC 128
#define F_MC 256
#define F_NC 256

/* bfloat16 bits of 32 byte codes (table lookup over 4 x 64 entries). */
static inline __m512i tab_words(const tpi_vecs *x, __m256i codes)
{
    const __m512i *T = (const __m512i *)tab16[x->fidx];
    __m512i idx = _mm512_cvtepu8_epi16(codes);
    __m512i r0 = _mm512_permutex2var_epi16(T[0], idx, T[1]);
    __m512i r1 = _mm512_permutex2var_epi16(T[2], idx, T[3]);
    __m512i r2 = _mm512_permutex2var_epi16(T[4], idx, T[5]);
    __m512i r3 = _mm512_permutex2var_epi16(T[6], idx, T[7]);
    __mmask32 b6 = _mm512_test_epi16_mask(idx, _mm512_set1_epi16(0x40));
    __mmask32 b7 = _mm512_test_epi16_mask(idx, _mm512_set1_epi16((short)0x80));
    r0 = _mm512_mask_mov_epi16(r0, b6, r1);
    r2 = _mm512_mask_mov_epi16(r2, b6, r3);
    return _mm512_mask_mov_epi16(r0, b7, r2);
}

/* Widens 32 binary32 values (flo: 0..15, fhi: 16..31) to binary64 and
 * stores the lanes m: 0..15 at d0, 16..31 at d1. */
static inline void store_f64x32(__m512 flo, __m512 fhi, __mmask32 m, double *d0, double *d1)
{
    __m512d d[4];
    d[0] = _mm512_cvtps_pd(_mm512_castps512_ps256(flo));
    d[1] = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(flo), 1)));
    d[2] = _mm512_cvtps_pd(_mm512_castps512_ps256(fhi));
    d[3] = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(fhi), 1)));
    for (int q = 0; q < 4; q++) {
        __mmask8 mq = (__mmask8)(m >> (8 * q));
        double *dst = q < 2 ? d0 + 8 * q : d1 + 8 * (q - 2);
        if (mq == 0xFF)
            _mm512_storeu_pd(dst, d[q]);
        else
            _mm512_mask_storeu_pd(dst, mq, d[q]);
    }
}

/* The lanes m of 32 bfloat16 values w -> binary64 at dst; returns 1 if one
 * is NaN/Inf. */
static int words_f64(__m512i w, __mmask32 m, double *d0, double *d1)
{
    __m512i e = _mm512_and_si512(w, _mm512_set1_epi16(0x7F80));
    int sp = (_mm512_cmpeq_epi16_mask(e, _mm512_set1_epi16(0x7F80)) & m) != 0;
    __mmask32 sub = _mm512_cmpeq_epi16_mask(e, _mm512_setzero_si512()) &
                    _mm512_test_epi16_mask(w, _mm512_set1_epi16(0x7F)) & m;
    if (sub) { /* bfloat16 subnormals: vcvtps2pd would read them as 0 under DAZ */
        uint16_t u[32];
        _mm512_storeu_si512((void *)u, w);
        for (int i = 0; i < 32; i++)
            if ((m >> i) & 1)
                (i < 16 ? d0 : d1 - 16)[i] = bf16_f64(u[i]);
        return sp;
    }
    __m512i lo = _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(w)), 16);
    __m512i hi = _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(w, 1)), 16);
    store_f64x32(_mm512_castsi512_ps(lo), _mm512_castsi512_ps(hi), m, d0, d1);
    return sp;
}

/* The lanes m of 32 E4M3 codes -> binary64 value * 2^-8 at dst; returns 1
 * if one is NaN. */
static int e4m3_f64(__m256i codes, __mmask32 m, double *d0, double *d1)
{
    int sp = (_mm256_cmpeq_epi8_mask(_mm256_and_si256(codes, _mm256_set1_epi8(0x7F)),
                                     _mm256_set1_epi8(0x7F)) & m) != 0;
    __m512i w = _mm512_and_si512(_mm512_slli_epi16(_mm512_cvtepi8_epi16(codes), 7),
                                 _mm512_set1_epi16((short)0xBF80));
    store_f64x32(_mm512_cvtph_ps(_mm512_castsi512_si256(w)),
                 _mm512_cvtph_ps(_mm512_extracti64x4_epi64(w, 1)), m, d0, d1);
    return sp;
}

/* n <= 32 contiguous codes at p -> binary64 at dst; returns 1 if one is
 * NaN/Inf (or wider than its format). */
static int cvt_run(const tpi_vecs *x, const uint8_t *p, size_t n, double *dst)
{
    __mmask32 m = n >= 32 ? 0xFFFFFFFFu : (((__mmask32)1 << n) - 1);
    if (is_e4m3(x))
        return e4m3_f64(_mm256_maskz_loadu_epi8(m, p), m, dst, dst + 16);
    __m512i w = x->size == 1 ? tab_words(x, _mm256_maskz_loadu_epi8(m, p))
                             : _mm512_maskz_loadu_epi16(m, p);
    return words_f64(w, m, dst, dst + 16);
}

/* 16 contiguous codes at p0 and 16 at p1 -> binary64 at dst[0..31]. */
static int cvt_pair(const tpi_vecs *x, const uint8_t *p0, const uint8_t *p1, double *dst)
{
    __m512i w;
    if (x->size == 1) {
        __m256i c = _mm256_inserti128_si256(
            _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)p0)),
            _mm_loadu_si128((const __m128i *)p1), 1);
        if (is_e4m3(x))
            return e4m3_f64(c, 0xFFFFFFFFu, dst, dst + 16);
        w = tab_words(x, c);
    } else {
        w = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)p0)),
                               _mm256_loadu_si256((const __m256i *)p1), 1);
    }
    return words_f64(w, 0xFFFFFFFFu, dst, dst + 16);
}

/* 32 contiguous codes at p -> binary64: 0..15 at d0, 16..31 at d1. */
static int cvt_split(const tpi_vecs *x, const uint8_t *p, double *d0, double *d1)
{
    if (is_e4m3(x))
        return e4m3_f64(_mm256_loadu_si256((const __m256i *)p), 0xFFFFFFFFu, d0, d1);
    __m512i w = x->size == 1 ? tab_words(x, _mm256_loadu_si256((const __m256i *)p))
                             : _mm512_loadu_si512((const void *)p);
    return words_f64(w, 0xFFFFFFFFu, d0, d1);
}

static int pack_a(const tpi_vecs *x, size_t v, size_t vend, size_t k0, size_t kc, double *dst,
                  double *tmp)
{
    return pack_vec_run(x, v, vend, k0, kc, dst, 1, tmp, 32, cvt_run);
}

/* A k-major operand (the codes of one k adjacent for neighbouring vectors):
 * panels 0 .. 2*npair-1 of 16 columns from column j, values k0 .. k0+kc-1,
 * into bp (panel p at bp + p * 16 * kc, as pack_b_f64), reading each k
 * row once, 32 codes at a time.  Special columns set spb. */
static void pack_b_rows(const tpi_vecs *x, size_t j, size_t npair, size_t k0, size_t kc,
                        double *bp, uint8_t *spb)
{
    const size_t st = x->kstride * x->size;
    const uint8_t *p = tpi_vec_data(x, j) + k0 * st;
    int sp = 0;
    const size_t rowb = npair * 32 * x->size;
    for (size_t t = 0; t < kc; t++) {
        if (t + 8 < kc) /* rows lie a page or more apart: fetch ahead */
            for (size_t o = 0; o < rowb; o += 64)
                _mm_prefetch((const char *)(p + (t + 8) * st + o), _MM_HINT_T0);
        for (size_t pr = 0; pr < npair; pr++)
            sp |= cvt_split(x, p + t * st + pr * 32 * x->size, bp + 2 * pr * F_NR * kc + t * F_NR,
                            bp + (2 * pr + 1) * F_NR * kc + t * F_NR);
    }
    if (sp) /* find the columns */
        special_cols(x, p, kc, 32 * npair, spb);
}

/* pack_b_panels of gemm_elem_isa: pairs of panels of a k-major operand. */
static size_t pack_b_panels(const tpi_vecs *x, size_t j, size_t nc, size_t k0, size_t kc,
                            double *bp, uint8_t *spb)
{
    if (x->vstride != 1 || x->kstride == 1 || nc < 2 * F_NR)
        return 0;
    pack_b_rows(x, j, nc / (2 * F_NR), k0, kc, bp, spb);
    return nc / (2 * F_NR) * 2;
}

/* Columns j .. j+nr-1 (nr <= 16), values k0 .. k0+kc-1, into bp[t*16 + q]
 * (binary64); columns nr .. 15 are zero.  Special columns set spb[q]. */
static void pack_b_f64(const tpi_vecs *x, size_t j, size_t jend, size_t nr, size_t k0, size_t kc,
                       double *bp, uint8_t *spb, double *tmp)
{
    if (x->vstride == 1 && x->kstride != 1 && nr == F_NR) { /* k-major: 16 codes per k */
        const uint8_t *p = tpi_vec_data(x, j) + k0 * x->kstride * x->size;
        const size_t st = x->kstride * x->size;
        int sp = 0;
        size_t t = 0;
        for (; t + 1 < kc; t += 2)
            sp |= cvt_pair(x, p + t * st, p + (t + 1) * st, bp + t * F_NR);
        if (t < kc)
            sp |= cvt_run(x, p + t * st, F_NR, bp + t * F_NR);
        if (sp) /* find the columns */
            special_cols(x, p, kc, F_NR, spb);
        return;
    }
    pack_b_cols(x, j, jend, nr, F_NR, k0, kc, bp, spb, tmp, 32, cvt_run);
}

/* C[8 x 16] (row stride ldc) += A[8 rows, stride lda] * B[kc x 16]. */
static __attribute__((noinline)) void kern_f64(size_t kc, const double *ap, size_t lda,
                                               const double *bp, double *c, size_t ldc)
{
    __m512d acc[F_MR][2];
#pragma GCC unroll 8
    for (int r = 0; r < F_MR; r++) {
        acc[r][0] = _mm512_loadu_pd(c + r * ldc);
        acc[r][1] = _mm512_loadu_pd(c + r * ldc + 8);
    }
    for (size_t t = 0; t < kc; t++) {
        __m512d b0 = _mm512_load_pd(bp + t * F_NR), b1 = _mm512_load_pd(bp + t * F_NR + 8);
#pragma GCC unroll 8
        for (int r = 0; r < F_MR; r++) {
            __m512d a = _mm512_set1_pd(ap[r * lda + t]);
            acc[r][0] = _mm512_fmadd_pd(a, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_pd(a, b1, acc[r][1]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < F_MR; r++) {
        _mm512_storeu_pd(c + r * ldc, acc[r][0]);
        _mm512_storeu_pd(c + r * ldc + 8, acc[r][1]);
    }
}

/* gemm_row_f32: eight outputs at a time by f32_row8. */
static uint32_t row32(const double *c, double post, uint32_t todo, float *row, unsigned *flags)
{
    uint32_t left = 0;
    for (size_t q = 0; q < 16 && (todo >> q) != 0; q += 8) {
        __mmask8 m = (__mmask8)(todo >> q);
        __m512d s = _mm512_mul_pd(_mm512_maskz_loadu_pd(m, c + q), _mm512_set1_pd(post));
        left |= (uint32_t)f32_row8(s, m, row + q, flags) << q;
    }
    return left;
}

static const gemm_elem_isa elem_isa = {F_MR,          F_NR,     F_KC, F_MC, F_NC, pack_a,
                                       pack_b_f64, pack_b_panels, kern_f64, row32};

/* ================================================= MXFP4 x MXFP4, VNNI */

#define X_MR 4
#define X_NR 16
#define X_KC 1024 /* elements: 32 blocks */
#define X_MC 256
#define X_NC 256
#define X_NBK (X_KC / 32)

static const int8_t e2m1_x2[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
static const int8_t e2m1_x2b[16] = {12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0};

static int mx_ok(const tpi_vecs *x)
{
    return x->is_block && x->kb->fmt == TP_BLOCK_MXFP4 && x->scales != NULL;
}

/* 2^(c - 128) (the scale times the 1/2 of the doubled elements). */
static inline double mx_scale(unsigned c)
{
    uint64_t u = (uint64_t)(c + 1023 - 128) << 52;
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static inline __m128i load16(const uint8_t *p)
{
    return _mm_loadu_si128((const __m128i *)p);
}

/* The kernel takes the 32 values of a block in the order of the nibbles:
 * the low nibbles of bytes 0..15, then the high nibbles (elements 0, 2, ..,
 * 30, 1, 3, .., 31).  A and B use the same order, so the block sums are
 * those of the element order. */
static inline __m256i mx_block(const uint8_t *e, __m128i tb)
{
    __m128i x = _mm_loadu_si128((const __m128i *)e);
    __m128i m = _mm_set1_epi8(0x0F);
    __m128i lo = _mm_and_si128(x, m), hi = _mm_and_si128(_mm_srli_epi16(x, 4), m);
    return _mm256_set_m128i(_mm_shuffle_epi8(tb, hi), _mm_shuffle_epi8(tb, lo));
}

/* Row v, blocks b0 .. b0+nb-1: signed doubled values (ap), -12 * block sums
 * (corr) and scales (sa).  Returns 1 for a NaN scale. */
static int mx_pack_a(const tpi_vecs *x, size_t v, size_t b0, size_t nb, int8_t *ap, int32_t *corr,
                     double *sa)
{
    const uint8_t *e = tpi_vec_data(x, v) + b0 * 16, *s = tpi_vec_scales(x, v) + b0;
    __m128i ts = _mm_loadu_si128((const __m128i *)e2m1_x2);
    __m128i tb = _mm_loadu_si128((const __m128i *)e2m1_x2b);
    int sp = 0;
    for (size_t b = 0; b < nb; b++) {
        _mm256_storeu_si256((__m256i *)(ap + 32 * b), mx_block(e + 16 * b, ts));
        __m256i u = mx_block(e + 16 * b, tb);
        __m256i sad = _mm256_sad_epu8(u, _mm256_setzero_si256());
        __m128i s2 = _mm_add_epi64(_mm256_castsi256_si128(sad), _mm256_extracti128_si256(sad, 1));
        int sum = (int)(_mm_cvtsi128_si64(s2) + _mm_extract_epi64(s2, 1)) - 12 * 32;
        corr[b] = -12 * sum;
        if (s[b] == 0xFF) {
            sp = 1;
            sa[b] = 0.0;
        } else {
            sa[b] = mx_scale(s[b]);
        }
    }
    return sp;
}

/* Columns j .. j+nr-1, blocks b0 .. b0+nb-1: biased values at
 * bp[(b * 8 + q) * 64 + col * 4 + t] (the value of nibble order 4 q + t),
 * scales at sb[b * 16 + col]; absent columns hold zeros (bias 12, scale 0). */
static void mx_pack_b(const tpi_vecs *x, size_t j, size_t nr, size_t b0, size_t nb, size_t kblk,
                      uint8_t *bp, double *sb, uint8_t *spb)
{
    size_t bv = 0; /* blocks whose scales were done 16 columns at a time */
    if (nr == X_NR && x->sbytes < ((size_t)1 << 26)) {
        /* one gather takes 4 scale bytes of each column, while they stay
         * inside the column's kblk scales */
        const __m512i sidx = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7,
                                                                 6, 5, 4, 3, 2, 1, 0),
                                                _mm512_set1_epi32((int)x->sbytes));
        const uint8_t *s0 = tpi_vec_scales(x, j) + b0;
        const __m512i ff = _mm512_set1_epi32(0xFF), bias = _mm512_set1_epi32(1023 - 128);
        __mmask16 nan = 0;
        for (; bv + 4 <= nb && b0 + bv + 4 <= kblk; bv += 4) {
            __m512i d = _mm512_i32gather_epi32(sidx, (const void *)(s0 + bv), 1);
#pragma GCC unroll 4
            for (unsigned t = 0; t < 4; t++) {
                __m512i c = _mm512_and_si512(_mm512_srli_epi32(d, 8 * t), ff);
                __mmask16 n = _mm512_cmpeq_epi32_mask(c, ff);
                nan |= n;
                __m512i e = _mm512_maskz_add_epi32((__mmask16)~n, c, bias);
                __m512i lo = _mm512_cvtepu32_epi64(_mm512_castsi512_si256(e));
                __m512i hi = _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(e, 1));
                lo = _mm512_slli_epi64(lo, 52);
                hi = _mm512_slli_epi64(hi, 52);
                _mm512_store_si512((void *)(sb + (bv + t) * 16), lo);
                _mm512_store_si512((void *)(sb + (bv + t) * 16 + 8), hi);
            }
        }
        for (size_t q = 0; q < X_NR; q++)
            spb[q] |= (uint8_t)((nan >> q) & 1);
    }
    for (size_t q = 0; q < X_NR; q++) {
        if (q >= nr) {
            for (size_t b = bv; b < nb; b++)
                sb[b * 16 + q] = 0.0;
            continue;
        }
        const uint8_t *s = tpi_vec_scales(x, j + q) + b0;
        for (size_t b = bv; b < nb; b++) {
            if (s[b] == 0xFF) {
                spb[q] = 1;
                sb[b * 16 + q] = 0.0;
            } else {
                sb[b * 16 + q] = mx_scale(s[b]);
            }
        }
    }
    const __m512i tb = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)e2m1_x2b));
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    if (nr == X_NR) {
        /* z[r] holds the blocks of columns r, 4 + r, 8 + r, 12 + r in its
         * 128-bit lanes; a 4 x 4 dword transpose in every lane then gives
         * dword p of the 16 columns in order. */
        const uint8_t *col[X_NR];
        for (size_t q = 0; q < X_NR; q++)
            col[q] = tpi_vec_data(x, j + q) + b0 * 16;
        for (size_t b = 0; b < nb; b++) {
            __m512i z[4];
            for (int r = 0; r < 4; r++) {
                __m512i v = _mm512_castsi128_si512(load16(col[r] + 16 * b));
                v = _mm512_inserti32x4(v, load16(col[4 + r] + 16 * b), 1);
                v = _mm512_inserti32x4(v, load16(col[8 + r] + 16 * b), 2);
                z[r] = _mm512_inserti32x4(v, load16(col[12 + r] + 16 * b), 3);
            }
            __m512i t0 = _mm512_unpacklo_epi32(z[0], z[1]), t1 = _mm512_unpackhi_epi32(z[0], z[1]);
            __m512i t2 = _mm512_unpacklo_epi32(z[2], z[3]), t3 = _mm512_unpackhi_epi32(z[2], z[3]);
            __m512i d[4] = {_mm512_unpacklo_epi64(t0, t2), _mm512_unpackhi_epi64(t0, t2),
                            _mm512_unpacklo_epi64(t1, t3), _mm512_unpackhi_epi64(t1, t3)};
            for (int p = 0; p < 4; p++) {
                __m512i lo = _mm512_shuffle_epi8(tb, _mm512_and_si512(d[p], m4));
                __m512i hn = _mm512_and_si512(_mm512_srli_epi16(d[p], 4), m4);
                __m512i hi = _mm512_shuffle_epi8(tb, hn);
                _mm512_store_si512((void *)(bp + (b * 8 + (size_t)p) * 64), lo);
                _mm512_store_si512((void *)(bp + (b * 8 + 4 + (size_t)p) * 64), hi);
            }
        }
        return;
    }
    __m128i t16 = _mm512_castsi512_si128(tb);
    for (size_t q = 0; q < X_NR; q++) {
        const uint8_t *e = tpi_vec_data(x, j + (q < nr ? q : 0)) + b0 * 16;
        for (size_t b = 0; b < nb; b++) {
            uint32_t w[8];
            if (q < nr)
                _mm256_storeu_si256((__m256i *)w, mx_block(e + 16 * b, t16));
            else
                memset(w, 12, sizeof w);
            for (size_t t = 0; t < 8; t++)
                memcpy(bp + (b * 8 + t) * 64 + q * 4, &w[t], 4);
        }
    }
}

/* C[6 x 16] (row stride ldc) += the nb blocks of 6 packed rows (values at
 * ap + r * lda, corrections and scales at r * lds) and 16 packed columns. */
static __attribute__((noinline)) void kern_mx(size_t nb, const int8_t *ap, size_t lda,
                                              const int32_t *corr, const double *sa, size_t lds,
                                              const uint8_t *bp, const double *sb, double *c,
                                              size_t ldc)
{
    __m512d f[X_MR][2];
#pragma GCC unroll 8
    for (int r = 0; r < X_MR; r++) {
        f[r][0] = _mm512_loadu_pd(c + r * ldc);
        f[r][1] = _mm512_loadu_pd(c + r * ldc + 8);
    }
    for (size_t b = 0; b < nb; b++) {
        __m512i acc[X_MR];
#pragma GCC unroll 8
        for (int r = 0; r < X_MR; r++)
            acc[r] = _mm512_set1_epi32(corr[r * lds + b]);
#pragma GCC unroll 8
        for (int q = 0; q < 8; q++) {
            __m512i bv = _mm512_load_si512((const void *)(bp + (b * 8 + (size_t)q) * 64));
#pragma GCC unroll 8
            for (int r = 0; r < X_MR; r++) {
                int32_t a4;
                memcpy(&a4, ap + r * lda + b * 32 + (size_t)q * 4, 4);
                acc[r] = _mm512_dpbusd_epi32(acc[r], bv, _mm512_set1_epi32(a4));
            }
        }
        __m512d s0 = _mm512_load_pd(sb + b * 16), s1 = _mm512_load_pd(sb + b * 16 + 8);
#pragma GCC unroll 8
        for (int r = 0; r < X_MR; r++) {
            __m512d sr = _mm512_set1_pd(sa[r * lds + b]);
            __m512d d0 = _mm512_cvtepi32_pd(_mm512_castsi512_si256(acc[r]));
            __m512d d1 = _mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(acc[r], 1));
            f[r][0] = _mm512_fmadd_pd(d0, _mm512_mul_pd(s0, sr), f[r][0]);
            f[r][1] = _mm512_fmadd_pd(d1, _mm512_mul_pd(s1, sr), f[r][1]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < X_MR; r++) {
        _mm512_storeu_pd(c + r * ldc, f[r][0]);
        _mm512_storeu_pd(c + r * ldc + 8, f[r][1]);
    }
}

static int gemm_mxfp4(const tpi_mm *mm, size_t i0, size_t i1, size_t j0, size_t j1, tpi_ws *ws,
                      unsigned *flags)
{
    const size_t k = mm->k;
    const size_t mcap = round_up(i1 - i0 < X_MC ? i1 - i0 : X_MC, X_MR);
    const size_t ncap = round_up(j1 - j0 < X_NC ? j1 - j0 : X_NC, X_NR);
    const size_t kcap = k < X_KC ? k : X_KC, nbcap = kcap / 32;
    const size_t nbad = (mcap / X_MR) * (ncap / X_NR);
    size_t off_a = 0, off_ca = off_a + round_up(mcap * kcap, 64);
    size_t off_sa = off_ca + round_up(mcap * nbcap * 4, 64);
    size_t off_b = off_sa + round_up(mcap * nbcap * 8, 64);
    size_t off_sb = off_b + round_up(ncap * kcap, 64);
    size_t off_c = off_sb + round_up(ncap * nbcap * 8, 64);
    size_t off_s = off_c + round_up(mcap * ncap * 8, 64);
    size_t total = off_s + round_up(mcap + ncap + nbad, 64);
    uint8_t *base = (uint8_t *)tpi_ws_get(ws, total);
    if (base == NULL)
        return 0;
    int8_t *ap = (int8_t *)(base + off_a);
    int32_t *ca = (int32_t *)(base + off_ca);
    double *sa = (double *)(base + off_sa), *sb = (double *)(base + off_sb);
    uint8_t *bp = base + off_b;
    double *cb = (double *)(base + off_c);
    uint8_t *spa = base + off_s, *spb = spa + mcap, *bad = spb + ncap;

    tile_ctx t = tile_start(mm, flags, row32);
    for (size_t jc = j0; jc < j1; jc += X_NC) {
        size_t nc = j1 - jc < X_NC ? j1 - jc : X_NC, ncp = round_up(nc, X_NR);
        for (size_t ic = i0; ic < i1; ic += X_MC) {
            size_t mc = i1 - ic < X_MC ? i1 - ic : X_MC, mcp = round_up(mc, X_MR);
            size_t njr = ncp / X_NR, nir = mcp / X_MR;
            memset(cb, 0, mcp * ncp * sizeof(double));
            memset(spa, 0, mcap + ncap + nbad);
            _mm_setcsr(csr_kernel(&t));
            for (size_t pc = 0; pc < k; pc += X_KC) {
                size_t kc = k - pc < X_KC ? k - pc : X_KC, nb = kc / 32;
                for (size_t r = 0; r < mcp; r++) {
                    if (r < mc) {
                        spa[r] |= (uint8_t)mx_pack_a(&mm->a, ic + r, pc / 32, nb, ap + r * kc,
                                                     ca + r * nb, sa + r * nb);
                    } else {
                        memset(ap + r * kc, 0, kc);
                        memset(ca + r * nb, 0, nb * sizeof(int32_t));
                        memset(sa + r * nb, 0, nb * sizeof(double));
                    }
                }
                for (size_t jr = 0; jr < njr; jr++) {
                    size_t nr = nc - jr * X_NR < X_NR ? nc - jr * X_NR : X_NR;
                    mx_pack_b(&mm->b, jc + jr * X_NR, nr, pc / 32, nb, k / 32, bp + jr * X_NR * kc,
                              sb + jr * X_NR * nb, spb + jr * X_NR);
                }
                for (size_t jr = 0; jr < njr; jr++) {
                    for (size_t ir = 0; ir < nir; ir++) {
                        csr_clear(&t);
                        kern_mx(nb, ap + ir * X_MR * kc, kc, ca + ir * X_MR * nb,
                                sa + ir * X_MR * nb, nb, bp + jr * X_NR * kc, sb + jr * X_NR * nb,
                                cb + ir * X_MR * ncp + jr * X_NR, ncp);
                        bad[ir * njr + jr] |= (uint8_t)csr_inexact();
                    }
                }
            }
            _mm_setcsr(t.csr);
            for (size_t ir = 0; ir < nir; ir++) {
                size_t mr = mc - ir * X_MR < X_MR ? mc - ir * X_MR : X_MR;
                for (size_t jr = 0; jr < njr; jr++) {
                    size_t nr = nc - jr * X_NR < X_NR ? nc - jr * X_NR : X_NR;
                    finish_block(&t, ic + ir * X_MR, mr, jc + jr * X_NR, nr,
                                 cb + ir * X_MR * ncp + jr * X_NR, ncp, 1.0, bad[ir * njr + jr],
                                 spa + ir * X_MR, spb + jr * X_NR);
                }
            }
            t.raised |= _mm_getcsr() & 0x3Fu;
        }
    }
    _mm_setcsr(t.csr | t.raised);
    free(t.gws.p);
    return 1;
}

/* ------------------------------------------------------------ entry */

static int gemm_avx512(const tpi_mm *mm, size_t i0, size_t i1, size_t j0, size_t j1, tpi_ws *ws,
                       unsigned *flags)
{
    if (mm->mode != TP_MODE_EXACT || mm->alpha == 0.0 || mm->k == 0 || i0 >= i1 || j0 >= j1)
        return 0;
    if (mx_ok(&mm->a) && mx_ok(&mm->b))
        return gemm_mxfp4(mm, i0, i1, j0, j1, ws, flags);
    if (elem_ok(&mm->a) && elem_ok(&mm->b))
        return gemm_elem_run(mm, i0, i1, j0, j1, ws, flags, &elem_isa);
    return 0;
}

/* An inexact FMA, as the micro-kernels' (inexact_flag_works). */
static void fma_probe(void)
{
    __m512d one = _mm512_set1_pd(1.0), tiny = _mm512_set1_pd(0x1p-60);
    __asm__ __volatile__("" : "+v"(one), "+v"(tiny)); /* not known at compile time */
    __m512d r = _mm512_fmadd_pd(one, one, tiny);
    __asm__ __volatile__("" : : "v"(r)); /* computed */
}

void tpi_install_avx512_gemm(tpi_kernels *k)
{
    build_tables();
    if (inexact_flag_works(fma_probe))
        k->gemm = gemm_avx512;
}
