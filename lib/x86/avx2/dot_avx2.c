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
 *    summed by error-free extraction, lanes of at most 2048 terms; each
 *    chunk first tries the one-pass fixed levels (fixed2 below).  A chunk
 *    with a subnormal input goes to the reference (DAZ would flush it in
 *    vcvtps2pd; see max_abs_bits).
 *  - MX x MX block dots (MXFP4/MXFP8 E4M3 pairs): see "MX blocks" below.
 */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "ref.h"
#include "../dot_common.h"

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
        size_t m = dot_chunk_len(n, i0, E4_CHUNK);
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
            tnan |= dot_e4m3_isnan(xc[i]) || dot_e4m3_isnan(yc[i]);
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
        nz |= dot_split_tail(p, i, m, sigma, &ts);
        double k = ldexp(1.0, 53 - (e + SP_M));
        int64_t tot = lanes_i64(a0, k) + lanes_i64(a1, k) + (int64_t)(ts * k);
        added |= dot_add_nonzero(acc, tot, e + SP_M - 53);
        if (!nz)
            return added;
        e = e + SP_M - 53;
    }
    return dot_split_rest(acc, p, m) | added;
}

/* ------------------------------------------------------------ two fixed levels
 * The one-pass fixed levels of dot_avx512.c (fixed2: see there for the
 * bounds), in 4 binary64 lanes with a scalar tail doing the same operations.
 * Returns 1 if the chunk was added, 0 to redo it with split_levels, -1 for
 * the reference. */

static inline __m256d ld4_pd(const void *base, size_t i, int bf)
{
    if (bf) {
        __m128i h = _mm_loadl_epi64((const __m128i *)((const uint16_t *)base + i));
        return _mm256_cvtps_pd(_mm_castsi128_ps(_mm_slli_epi32(_mm_cvtepu16_epi32(h), 16)));
    }
    return _mm256_cvtps_pd(_mm_loadu_ps((const float *)base + i));
}

/* The largest magnitude as binary32 bits (>= 0x7F800000: an Inf or NaN),
 * or 0xFFFFFFFF if some element is subnormal, which sends the chunk to the
 * reference: under MXCSR.DAZ vcvtps2pd and (double) read a binary32
 * subnormal as zero (see max_abs_bits in dot_avx512.c for the argument).
 * The test is integer: the unsigned minimum of |x| - 1 is below 0x7FFFFF
 * (bfloat16: 0x7F) exactly when some |x| is subnormal. */
static inline uint32_t max_abs_bits(const void *base, size_t m, int bf)
{
    size_t i = 0;
    uint32_t r = 0, mn = 0xFFFFFFFFu;
    if (bf) {
        const uint16_t *x = (const uint16_t *)base;
        __m256i v = _mm256_setzero_si256(), lo = _mm256_set1_epi16(-1);
        const __m256i k = _mm256_set1_epi16(0x7FFF), one = _mm256_set1_epi16(1);
        for (; i + 16 <= m; i += 16) {
            __m256i a = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(x + i)), k);
            v = _mm256_max_epu16(v, a);
            lo = _mm256_min_epu16(lo, _mm256_sub_epi16(a, one));
        }
        uint16_t t[16], u[16];
        _mm256_storeu_si256((__m256i *)t, v);
        _mm256_storeu_si256((__m256i *)u, lo);
        for (int k2 = 0; k2 < 16; k2++) {
            r = t[k2] > r ? t[k2] : r;
            mn = u[k2] < mn ? u[k2] : mn;
        }
        for (; i < m; i++) {
            uint32_t a = x[i] & 0x7FFFu;
            r = a > r ? a : r;
            mn = a != 0 && a - 1 < mn ? a - 1 : mn;
        }
        return mn < 0x7Fu ? 0xFFFFFFFFu : r << 16;
    }
    const uint32_t *x = (const uint32_t *)base;
    __m256i v = _mm256_setzero_si256(), lo = _mm256_set1_epi32(-1);
    const __m256i k = _mm256_set1_epi32(0x7FFFFFFF), one = _mm256_set1_epi32(1);
    for (; i + 8 <= m; i += 8) {
        __m256i a = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(x + i)), k);
        v = _mm256_max_epu32(v, a);
        lo = _mm256_min_epu32(lo, _mm256_sub_epi32(a, one));
    }
    uint32_t t[8], u[8];
    _mm256_storeu_si256((__m256i *)t, v);
    _mm256_storeu_si256((__m256i *)u, lo);
    for (int k2 = 0; k2 < 8; k2++) {
        r = t[k2] > r ? t[k2] : r;
        mn = u[k2] < mn ? u[k2] : mn;
    }
    for (; i < m; i++) {
        uint32_t a = x[i] & 0x7FFFFFFFu;
        r = a > r ? a : r;
        mn = a != 0 && a - 1 < mn ? a - 1 : mn;
    }
    return mn < 0x7FFFFFu ? 0xFFFFFFFFu : r;
}

static inline int fixed2(tp_acc *acc, const void *a, const void *b, size_t m, int bf, int lv)
{
    int e;
    if (!dot_fixed2_exp(max_abs_bits(a, m, bf), max_abs_bits(b, m, bf), &e))
        return -1;
    const double c1 = ldexp(1.0, e + SP_M), c2 = ldexp(1.0, e + SP_M - 41);
    const __m256d s1 = _mm256_set1_pd(c1), s2 = _mm256_set1_pd(c2), z = _mm256_setzero_pd();
    __m256d a1 = z, a2 = z, nzv = z;
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
        __m256d p = _mm256_mul_pd(ld4_pd(a, i, bf), ld4_pd(b, i, bf));
        __m256d q = _mm256_sub_pd(_mm256_add_pd(s1, p), s1);
        p = _mm256_sub_pd(p, q);
        a1 = _mm256_add_pd(a1, q);
        if (lv == 1) {
            nzv = _mm256_or_pd(nzv, _mm256_cmp_pd(p, z, _CMP_NEQ_UQ));
            continue;
        }
        q = _mm256_sub_pd(_mm256_add_pd(s2, p), s2);
        a2 = _mm256_add_pd(a2, q);
        nzv = _mm256_or_pd(nzv, _mm256_cmp_pd(p, q, _CMP_NEQ_UQ));
    }
    double t1 = 0.0, t2 = 0.0;
    int nz = _mm256_movemask_pd(nzv) != 0;
    for (; i < m; i++) {
        double p = dot_ld1(a, i, bf) * dot_ld1(b, i, bf);
        double q = (c1 + p) - c1;
        p -= q;
        t1 += q;
        if (lv == 1) {
            nz |= p != 0.0;
            continue;
        }
        q = (c2 + p) - c2;
        t2 += q;
        nz |= p != q;
    }
    if (nz)
        return 0;
    double l1[4], l2[4];
    _mm256_storeu_pd(l1, a1);
    _mm256_storeu_pd(l2, a2);
    const double k1 = ldexp(1.0, 53 - (e + SP_M)), k2 = ldexp(1.0, 53 - (e + SP_M - 41));
    int64_t i1 = (int64_t)(t1 * k1), i2 = (int64_t)(t2 * k2);
    for (int k = 0; k < 4; k++) {
        i1 += (int64_t)(l1[k] * k1);
        i2 += (int64_t)(l2[k] * k2);
    }
    return dot_fixed2_add(acc, i1, i2, e);
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
        size_t m = dot_chunk_len(n, i0, SP_CHUNK), i;
        int f2 = fixed2(acc, x + i0, y + i0, m, 0, 2);
        if (dot_fixed2_done(f2, pa, x + i0, pb, y + i0, m, acc))
            continue;
        __m256d badv = _mm256_setzero_pd();
        for (i = 0; i + 4 <= m; i += 4) {
            __m256d pv = _mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i0 + i)),
                                       _mm256_cvtps_pd(_mm_loadu_ps(y + i0 + i)));
            badv = _mm256_or_pd(badv, _mm256_cmp_pd(_mm256_sub_pd(pv, pv), _mm256_setzero_pd(),
                                                    _CMP_NEQ_UQ));
            _mm256_storeu_pd(p + i, pv);
        }
        int bad = _mm256_movemask_pd(badv) != 0;
        bad |= dot_products_tail(p, x + i0, y + i0, i, m, 0);
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
        size_t m = dot_chunk_len(n, i0, SP_CHUNK), i;
        int f2 = fixed2(acc, x + i0, y + i0, m, 1, 1); /* bfloat16: one level, then two */
        if (f2 == 0)
            f2 = fixed2(acc, x + i0, y + i0, m, 1, 2);
        if (dot_fixed2_done(f2, pa, x + i0, pb, y + i0, m, acc))
            continue;
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
        bad |= dot_products_tail(p, x + i0, y + i0, i, m, 1);
        if (bad || !split_levels(acc, p, m))
            tpi_ref_dot_generic(pa, x + i0, 1, pb, y + i0, 1, m, acc);
    }
}


/* ------------------------------------------------------------ MX blocks
 *
 * MX x MX with E8M0 scales, as in dot_avx512.c (the chunks of 64 blocks,
 * their fallbacks to tpi_ref_block_dot, the windows W and the int64 chunk
 * bounds are the same; see there).  Per block:
 *  - MXFP4 x MXFP8: E2M1 -> int8 k (pshufb) -> binary32; E4M3 -> X * 2^-17
 *    (binary16 trick).  The four products k X 2^-17 of a lane are multiples
 *    of 2^-17 below 4 * 2752512 * 2^-17 < 2^7: exact in binary32 (24 bits).
 *    Times 2^17 they convert exactly to int32; two lanes add below 2^25.
 *  - MXFP4 x MXFP4: int8 k_a, k_b (|k| <= 12); pmaddubsw on |k_a| and
 *    sign(k_b, k_a) gives pair sums <= 288 in int16, pmaddwd lane sums <= 1152.
 *  - MXFP8 x MXFP8: the binary32 products X_a X_b 2^-34 (exact) widen to
 *    binary64; a block's 32 are multiples of 2^-34 below 2^6.62, so their
 *    binary64 sum is exact (40.62 bits); times 2^34 it is an integer below
 *    2^51, read as int64 by adding 1.5 * 2^52 (exact) and subtracting the bits.
 * Each block sum is then shifted left by d = ca + cb - min (int64 lanes).
 * BD_CHUNK, the pairs, W (bd_win) and the units (bd_unit): dot_common.h.
 */

/* d[j] = ca + cb - min over a chunk of nb blocks; 0 on a NaN scale or a
 * spread above win. */
static int bd_scales(const uint8_t *sa, const uint8_t *sb, int nb, int win, int *d, int *mn)
{
    int lo = 1 << 20, hi = -1;
    for (int j = 0; j < nb; j++) {
        int t = (int)sa[j] + (int)sb[j];
        if (sa[j] == 0xFF || sb[j] == 0xFF)
            return 0;
        lo = t < lo ? t : lo;
        hi = t > hi ? t : hi;
    }
    if (hi - lo > win)
        return 0;
    for (int j = 0; j < nb; j++)
        d[j] = (int)sa[j] + (int)sb[j] - lo;
    *mn = lo;
    return 1;
}

static inline void e4m3_pair8(__m128i w, __m256 *ev, __m256 *od) /* 16 codes: X * 2^-17 */
{
    const __m128i m = _mm_set1_epi16((short)0xBF80);
    *ev = _mm256_cvtph_ps(_mm_and_si128(_mm_srai_epi16(_mm_slli_epi16(w, 8), 1), m));
    *od = _mm256_cvtph_ps(_mm_and_si128(_mm_srai_epi16(w, 1), m));
}

static void blk_dot_avx2(const tpi_blk *ka, const uint8_t *sa, const void *ea, float tsa,
                         const tpi_blk *kb, const uint8_t *sb, const void *eb, float tsb, size_t n,
                         tp_acc *acc, unsigned *flags)
{
    int pair = bd_pair(&ka, &sa, &ea, &kb, &sb, &eb);
    if (pair < 0) {
        tpi_ref_block_dot(ka, sa, ea, tsa, kb, sb, eb, tsb, n, acc, flags);
        return;
    }
    const size_t ba = bd_bytes_a(pair), bb = bd_bytes_b(pair); /* bytes/block */
    const uint8_t *xa = (const uint8_t *)ea, *xb = (const uint8_t *)eb;
    const __m128i tk = _mm_setr_epi8(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
    const __m128i m0f = _mm_set1_epi8(0x0F);
    const __m256i v80 = _mm256_set1_epi8((char)0x80);
    size_t nblk = n / 32;
    for (size_t b0 = 0; b0 < nblk; b0 += BD_CHUNK) {
        int nb = bd_chunk_blocks(nblk, b0), mn = 0;
        int d[BD_CHUNK];
        const uint8_t *pa = xa + b0 * ba, *pb = xb + b0 * bb;
        __m256i s0 = _mm256_setzero_si256();
        __m256i vmx = _mm256_setzero_si256(); /* max of (E4M3 code | 0x80): 0xFF iff NaN */
        if (!bd_scales(sa + b0, sb + b0, nb, bd_win[pair], d, &mn))
            goto ref;
        if (pair == BD_48) {
            for (int j = 0; j < nb; j++, pa += 16, pb += 32) {
                __m128i x = _mm_loadu_si128((const __m128i *)pa);
                __m128i ke = _mm_shuffle_epi8(tk, _mm_and_si128(x, m0f));
                __m128i ko = _mm_shuffle_epi8(tk, _mm_and_si128(_mm_srli_epi16(x, 4), m0f));
                __m256i w = _mm256_loadu_si256((const __m256i *)pb);
                vmx = _mm256_max_epu8(vmx, _mm256_or_si256(w, v80));
                __m256 be0, bo0, be1, bo1;
                e4m3_pair8(_mm256_castsi256_si128(w), &be0, &bo0);
                e4m3_pair8(_mm256_extracti128_si256(w, 1), &be1, &bo1);
                /* exact: multiples of 2^-17 below 2^7 (see above) */
                __m256 p = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(ke)), be0);
                p = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(ko)), bo0, p);
                p = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(ke, 8))),
                                    be1, p);
                p = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(ko, 8))),
                                    bo1, p);
                __m256i q = _mm256_cvttps_epi32(_mm256_mul_ps(p, _mm256_set1_ps(0x1p17f)));
                __m128i q4 = _mm_add_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
                s0 = _mm256_add_epi64(s0, _mm256_sll_epi64(_mm256_cvtepi32_epi64(q4),
                                                           _mm_cvtsi32_si128(d[j])));
            }
        } else if (pair == BD_44) {
            const __m128i one = _mm_set1_epi16(1);
            for (int j = 0; j < nb; j++, pa += 16, pb += 16) {
                __m128i x = _mm_loadu_si128((const __m128i *)pa);
                __m128i y = _mm_loadu_si128((const __m128i *)pb);
                __m128i ae = _mm_shuffle_epi8(tk, _mm_and_si128(x, m0f));
                __m128i ao = _mm_shuffle_epi8(tk, _mm_and_si128(_mm_srli_epi16(x, 4), m0f));
                __m128i be = _mm_shuffle_epi8(tk, _mm_and_si128(y, m0f));
                __m128i bo = _mm_shuffle_epi8(tk, _mm_and_si128(_mm_srli_epi16(y, 4), m0f));
                /* exact: pairs <= 288 in int16, lanes of 8 products <= 1152 */
                __m128i pe = _mm_maddubs_epi16(_mm_abs_epi8(ae), _mm_sign_epi8(be, ae));
                __m128i po = _mm_maddubs_epi16(_mm_abs_epi8(ao), _mm_sign_epi8(bo, ao));
                __m128i q4 = _mm_madd_epi16(_mm_add_epi16(pe, po), one);
                s0 = _mm256_add_epi64(s0, _mm256_sll_epi64(_mm256_cvtepi32_epi64(q4),
                                                           _mm_cvtsi32_si128(d[j])));
            }
        } else {
            const __m256d magic = _mm256_set1_pd(0x1.8p52), k34 = _mm256_set1_pd(0x1p34);
            for (int j = 0; j < nb; j++, pa += 32, pb += 32) {
                __m256i wa = _mm256_loadu_si256((const __m256i *)pa);
                __m256i wb = _mm256_loadu_si256((const __m256i *)pb);
                vmx = _mm256_max_epu8(vmx, _mm256_or_si256(wa, v80));
                vmx = _mm256_max_epu8(vmx, _mm256_or_si256(wb, v80));
                __m256d t = _mm256_setzero_pd();
                for (int h = 0; h < 2; h++) {
                    __m256 ae, ao, be, bo;
                    __m128i ha = h ? _mm256_extracti128_si256(wa, 1) : _mm256_castsi256_si128(wa);
                    __m128i hb = h ? _mm256_extracti128_si256(wb, 1) : _mm256_castsi256_si128(wb);
                    e4m3_pair8(ha, &ae, &ao);
                    e4m3_pair8(hb, &be, &bo);
                    /* exact products X_a X_b 2^-34; exact binary64 block sum */
                    __m256 pe = _mm256_mul_ps(ae, be), po = _mm256_mul_ps(ao, bo);
                    t = _mm256_add_pd(t, _mm256_cvtps_pd(_mm256_castps256_ps128(pe)));
                    t = _mm256_add_pd(t, _mm256_cvtps_pd(_mm256_extractf128_ps(pe, 1)));
                    t = _mm256_add_pd(t, _mm256_cvtps_pd(_mm256_castps256_ps128(po)));
                    t = _mm256_add_pd(t, _mm256_cvtps_pd(_mm256_extractf128_ps(po, 1)));
                }
                /* t * 2^34: integers below 2^40.62, read exactly as int64 */
                __m256i q = _mm256_sub_epi64(_mm256_castpd_si256(_mm256_fmadd_pd(t, k34, magic)),
                                             _mm256_castpd_si256(magic));
                s0 = _mm256_add_epi64(s0, _mm256_sll_epi64(q, _mm_cvtsi32_si128(d[j])));
            }
        }
        if (_mm256_movemask_epi8(_mm256_cmpeq_epi8(vmx, _mm256_set1_epi8((char)0xFF))) == 0) {
            int64_t l[4];
            _mm256_storeu_si256((__m256i *)l, s0);
            int64_t tot = l[0] + l[1] + l[2] + l[3];
            if (tot != 0) {
                tpi_dot_add_i64(acc, tot, mn - 254 + bd_unit[pair]);
                continue;
            }
        }
    ref:
        bd_chunk_ref(ka, sa, xa, tsa, kb, sb, xb, tsb, pair, b0, nb, acc, flags);
    }
}

void tpi_install_avx2_dot(tpi_kernels *k)
{
    k->blk_dot = blk_dot_avx2;
    ref_e4m3 = k->dot[TP_E4M3][TP_E4M3];
    ref_f32 = k->dot[TP_F32][TP_F32];
    ref_bf16 = k->dot[TP_BF16][TP_BF16];
    k->dot[TP_E4M3][TP_E4M3] = dot_e4m3_avx2;
    k->dot[TP_F32][TP_F32] = dot_f32_avx2;
    k->dot[TP_BF16][TP_BF16] = dot_bf16_avx2;
}
