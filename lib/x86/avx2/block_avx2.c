/*
 * block_avx2.c -- AVX2 block kernels (AVX2 + FMA + F16C): quantise binary32
 * to MXFP8 (E4M3, E5M2), MXFP6 (E2M3, E3M2) and MXFP4 in the default layout,
 * and dequantise them to binary32.  Every result and flag equals the
 * reference (lib/ref/block_ref.c); what the vector path does not cover goes
 * to the reference per call (rounding modes other than TP_RNE) or per block
 * (NaN/Inf/zero/subnormal amax, extreme shared exponents, extreme scales).
 *
 * The lane algorithms and their exactness arguments are those stated in
 * lib/x86/avx512/block_avx512.c, on 8 lanes.  Quantisation uses integer
 * instructions only, so MXCSR plays no part.  Dequantisation uses one
 * binary32 multiplication whose operands and result are normal and whose
 * result is exact, so neither the MXCSR rounding mode nor FTZ/DAZ can
 * change it.
 */
#include <immintrin.h>
#include <string.h>

#include "internal.h"
#include "ref.h"

#define DEQ_ALIGN 32
#include "../block_common.h"

#define TPI_INLINE static inline __attribute__((always_inline))

/* ------------------------------------------------------------------ shared
 * exponent.  For a normal amax (binary32 bits a, 2^-126 <= amax < 2^128) this
 * is the reference's shared_exp before clamping: amax = sig * 2^(E-127-23)
 * with sig in [2^23, 2^24), so k = E - 127 exactly (doc/blocks.md). */
static int shared_exp_normal(const tpi_blk *k, uint32_t a, tp_scale_rule rule)
{
    uint32_t sig = (a & 0x7FFFFFu) | 0x800000u;
    int e = (int)(a >> 23) - 127 - k->emax;
    switch (rule) {
    case TP_SCALE_FLOOR: break;
    case TP_SCALE_RCEIL: e += sig > k->max_sig; break;
    case TP_SCALE_CEIL: e += sig != 0x800000u; break;
    case TP_SCALE_EVEN: e += sig >= (UINT32_C(1) << 24) - (UINT32_C(1) << (22 - k->mfrac)); break;
    }
    return e;
}

/* ------------------------------------------------------------------ quantise
 * (method: block_avx512.c.  U = min(max(E, 1), Ke), val = a + 2^23 -
 * (U << 23), sh = s + Ke - U; RNE by adding 2^(sh-1) - 1 + lsb; counts of
 * 32 or more shift to 0, and then val < 2^24 is below half a quantum.) */

typedef struct qpar {
    __m256i ke, ske, c2, maxmag, sbit;
    int sshift;
} qpar;

typedef struct qacc {
    __m256i exact; /* all-ones lanes: every element so far exact */
    __m256i und;   /* nonzero lanes: an inexact element below 2^emin */
    __m256i vmax;  /* largest code before saturation */
} qacc;

TPI_INLINE __m256i quant_vec(const qpar *q, __m256i x, int fl, qacc *acc)
{
    const __m256i one = _mm256_set1_epi32(1);
    __m256i a = _mm256_and_si256(x, _mm256_set1_epi32(0x7FFFFFFF));
    __m256i ex = _mm256_srli_epi32(a, 23);
    __m256i u = _mm256_min_epu32(_mm256_max_epu32(ex, one), q->ke);
    __m256i val = _mm256_sub_epi32(_mm256_add_epi32(a, _mm256_set1_epi32(1 << 23)),
                                   _mm256_slli_epi32(u, 23));
    __m256i sh = _mm256_sub_epi32(q->ske, u);
    __m256i hm = _mm256_srlv_epi32(_mm256_set1_epi32(0x7FFFFFFF), _mm256_sub_epi32(u, q->c2));
    __m256i tr = _mm256_srlv_epi32(val, sh);
    __m256i r = _mm256_add_epi32(_mm256_add_epi32(val, hm), _mm256_and_si256(tr, one));
    __m256i code = _mm256_srlv_epi32(r, sh);
    acc->vmax = _mm256_max_epu32(acc->vmax, code);
    if (fl) {
        __m256i eq = _mm256_cmpeq_epi32(_mm256_sllv_epi32(tr, sh), val);
        acc->exact = _mm256_and_si256(acc->exact, eq);
        acc->und = _mm256_or_si256(acc->und,
                                   _mm256_andnot_si256(eq, _mm256_cmpgt_epi32(q->ke, ex)));
    }
    code = _mm256_min_epu32(code, q->maxmag);
    return _mm256_or_si256(code, _mm256_and_si256(_mm256_srli_epi32(x, 31 - q->sshift), q->sbit));
}

/* Quantises the block at x into 32 codes, one per byte of the result (in
 * order); returns the flags. */
TPI_INLINE unsigned quant_block(const qpar *q, const float *x, __m256i *bytes, int e, int fl)
{
    const __m256i ord = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    __m256i ve = _mm256_set1_epi32(e);
    qpar p = *q;
    p.ke = _mm256_add_epi32(q->ke, ve);
    p.ske = _mm256_add_epi32(q->ske, ve);
    p.c2 = _mm256_add_epi32(q->c2, ve);
    qacc acc = {_mm256_set1_epi32(-1), _mm256_setzero_si256(), _mm256_setzero_si256()};
    __m256i c[4];
    for (int j = 0; j < 4; j++)
        c[j] = quant_vec(&p, _mm256_loadu_si256((const __m256i *)(const void *)(x + 8 * j)), fl,
                         &acc);
    __m256i b = _mm256_packus_epi16(_mm256_packus_epi32(c[0], c[1]), _mm256_packus_epi32(c[2], c[3]));
    *bytes = _mm256_permutevar8x32_epi32(b, ord);
    unsigned f = 0;
    /* some code above the largest finite magnitude: saturated */
    if (_mm256_movemask_epi8(_mm256_cmpeq_epi32(_mm256_min_epu32(acc.vmax, q->maxmag), acc.vmax)) != -1)
        f |= TP_FLAG_OVERFLOW | TP_FLAG_INEXACT;
    if (fl) {
        if (_mm256_movemask_epi8(acc.exact) != -1)
            f |= TP_FLAG_INEXACT;
        if (!_mm256_testz_si256(acc.und, acc.und))
            f |= TP_FLAG_UNDERFLOW | TP_FLAG_INEXACT;
    }
    return f;
}

static void ref_quant_block(const tpi_blk *k, const float *src, size_t blk, float ts,
                            uint8_t *scales, void *elems, tp_scale_rule rule, tp_round rnd,
                            const tp_sr *sr, unsigned *flags)
{
    tpi_ref_block_quant1(k, src + blk * (size_t)k->bs, blk, scales, elems, ts, rule, rnd,
                         rnd == TP_RSR ? sr : NULL, flags);
}

static uint32_t block_amax(const float *x)
{
    const __m256i abs = _mm256_set1_epi32(0x7FFFFFFF);
    __m256i m = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(const void *)x), abs);
    for (int j = 1; j < 4; j++)
        m = _mm256_max_epu32(m, _mm256_and_si256(
                                    _mm256_loadu_si256((const __m256i *)(const void *)(x + 8 * j)), abs));
    __m128i h = _mm_max_epu32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
    h = _mm_max_epu32(h, _mm_shuffle_epi32(h, 0x4E));
    h = _mm_max_epu32(h, _mm_shuffle_epi32(h, 0xB1));
    return (uint32_t)_mm_cvtsi128_si32(h);
}

static void quant_mx_avx2(const tpi_blk *k, const float *src, size_t nblk, float ts,
                          uint8_t *scales, void *elems, tp_scale_rule rule, tp_round rnd,
                          const tp_sr *sr, unsigned *flags)
{
    if (rnd != TP_RNE || k->bs != BS || !simd_format(k->fmt)) {
        for (size_t blk = 0; blk < nblk; blk++)
            ref_quant_block(k, src, blk, ts, scales, elems, rule, rnd, sr, flags);
        return;
    }
    const tpi_fmt *p = &k->ef;
    int kk = p->emin + 127, s = 23 - p->man;
    int elo = 1 - kk > -127 ? 1 - kk : -127;
    qpar q;
    q.ke = _mm256_set1_epi32(kk);
    q.ske = _mm256_set1_epi32(s + kk);
    q.c2 = _mm256_set1_epi32(s + kk - 32);
    q.maxmag = _mm256_set1_epi32((int)p->max_mag);
    q.sbit = _mm256_set1_epi32(1 << p->sign_shift);
    q.sshift = p->sign_shift;
    const unsigned want = TP_FLAG_INEXACT | TP_FLAG_UNDERFLOW;
    unsigned f = *flags;
    uint8_t *out = (uint8_t *)elems;
    int nib = k->ebits == 4;
    for (size_t blk = 0; blk < nblk; blk++) {
        const float *x = src + blk * BS;
        uint32_t amax = block_amax(x);
        /* zero or subnormal amax (wraps), NaN or Inf: the reference */
        if (amax - 0x00800000u >= 0x7F000000u) {
            ref_quant_block(k, src, blk, ts, scales, elems, rule, rnd, sr, &f);
            continue;
        }
        int e = shared_exp_normal(k, amax, rule);
        if (e < elo || e > 127) {
            ref_quant_block(k, src, blk, ts, scales, elems, rule, rnd, sr, &f);
            continue;
        }
        scales[blk] = (uint8_t)(e + 127);
        __m256i b;
        if ((f & want) != want)
            f |= quant_block(&q, x, &b, e, 1);
        else
            f |= quant_block(&q, x, &b, e, 0);
        if (nib) {
            /* word i = code 2i | code 2i+1 << 8 -> byte code 2i | code 2i+1 << 4 */
            __m256i w = _mm256_and_si256(_mm256_or_si256(b, _mm256_srli_epi16(b, 4)),
                                         _mm256_set1_epi16(0xFF));
            _mm_storeu_si128((__m128i *)(void *)(out + blk * 16),
                             _mm_packus_epi16(_mm256_castsi256_si128(w),
                                              _mm256_extracti128_si256(w, 1)));
        } else {
            _mm256_storeu_si256((__m256i *)(void *)(out + blk * BS), b);
        }
    }
    *flags = f;
}

/* ------------------------------------------------------------------ dequantise
 * (method and exactness: block_avx512.c.  table[c] * 2^(sc - 127) for scale
 * codes in [lo, hi], where every product is an exact normal binary32; the
 * table and its builder: block_common.h.) */

/* Written once by tpi_install_avx2_block (inside the dispatcher's
 * pthread_once), read-only afterwards. */
static deq_tab tpi_avx2_deq[TP_BLOCK_FORMAT_COUNT];

static void deq_build(int fmt)
{
    deq_tab_build(&tpi_avx2_deq[fmt], fmt, 1);
}

static void deq_mx_avx2(const tpi_blk *k, const uint8_t *scales, const void *elems,
                        size_t nblk, float ts, float *dst, unsigned *flags)
{
    const deq_tab *t = &tpi_avx2_deq[k->fmt];
    const uint8_t *in = (const uint8_t *)elems;
    if (deq_ref_call(t, k, scales, elems, nblk, ts, dst, flags))
        return;
    if (k->ebits == 4) {
        const __m256i tab = _mm256_load_si256((const __m256i *)(const void *)t->v);
        const __m256i nmask = _mm256_set1_epi64x(0x0000000F0000000FLL);
        const __m256i eight = _mm256_set1_epi32(8);
        for (size_t blk = 0; blk < nblk; blk++) {
            if (deq_ref_scale(t, k, scales, elems, blk, ts, dst, flags))
                continue;
            unsigned sc = scales[blk];
            __m256 f = _mm256_castsi256_ps(_mm256_set1_epi32((int)(sc << 23)));
            const uint8_t *b = in + blk * 16;
            for (int h = 0; h < 4; h++) {
                int32_t w;
                memcpy(&w, b + 4 * h, sizeof w);
                /* byte i -> qword i; code 2i in dword 2i, code 2i+1 in dword 2i+1 */
                __m256i q = _mm256_cvtepu8_epi64(_mm_cvtsi32_si128(w));
                __m256i c = _mm256_and_si256(_mm256_or_si256(q, _mm256_slli_epi64(q, 28)), nmask);
                __m256i v = _mm256_or_si256(_mm256_permutevar8x32_epi32(tab, c),
                                            _mm256_slli_epi32(_mm256_and_si256(c, eight), 28));
                _mm256_storeu_ps(dst + blk * BS + 8 * (size_t)h,
                                 _mm256_mul_ps(_mm256_castsi256_ps(v), f));
            }
        }
        return;
    }
    const int *tab = (const int *)t->v;
    const __m256i magmask = _mm256_set1_epi32((int)t->magmask);
    const __m256i specm1 = _mm256_set1_epi32((int)t->specthr - 1);
    const __m256i subm1 = _mm256_set1_epi32((int)t->subthr - 1);
    const __m256i cnorm = _mm256_set1_epi32((int)t->cnorm);
    const __m256i sh = _mm256_set1_epi32(t->sh), sgn = _mm256_set1_epi32(31 - t->ss);
    const __m256i sbit = _mm256_set1_epi32((int)0x80000000u);
    for (size_t blk = 0; blk < nblk; blk++) {
        if (deq_ref_scale(t, k, scales, elems, blk, ts, dst, flags))
            continue;
        unsigned sc = scales[blk];
        __m256 f = _mm256_castsi256_ps(_mm256_set1_epi32((int)(sc << 23)));
        __m256 fsub = _mm256_castsi256_ps(_mm256_set1_epi32((int)((sc + (unsigned)t->esub) << 23)));
        const uint8_t *b = in + blk * BS;
        for (int h = 0; h < 4; h++) {
            __m256i ix = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(b + 8 * h)));
            __m256i mag = _mm256_and_si256(ix, magmask);
            __m256 v;
            if (_mm256_movemask_epi8(_mm256_cmpgt_epi32(mag, specm1)) != 0) {
                v = _mm256_mul_ps(_mm256_castsi256_ps(_mm256_i32gather_epi32(tab, ix, 4)), f);
            } else {
                /* block_avx512.c: normal codes by their binary32 bits,
                 * subnormal codes converted exactly, each times the scale */
                __m256 vn = _mm256_castsi256_ps(_mm256_add_epi32(_mm256_sllv_epi32(mag, sh), cnorm));
                vn = _mm256_mul_ps(vn, f);
                __m256 vs = _mm256_mul_ps(_mm256_cvtepi32_ps(mag), fsub);
                v = _mm256_blendv_ps(vs, vn, _mm256_castsi256_ps(_mm256_cmpgt_epi32(mag, subm1)));
                v = _mm256_or_ps(v, _mm256_castsi256_ps(
                                        _mm256_and_si256(_mm256_sllv_epi32(ix, sgn), sbit)));
            }
            _mm256_storeu_ps(dst + blk * BS + 8 * (size_t)h, v);
        }
    }
}

void tpi_install_avx2_block(tpi_kernels *k)
{
    for (int f = 0; f < TP_BLOCK_FORMAT_COUNT; f++) {
        if (!simd_format(f))
            continue;
        k->blk_quant[f] = quant_mx_avx2;
        deq_build(f);
        if (tpi_avx2_deq[f].ok)
            k->blk_dequant[f] = deq_mx_avx2;
    }
}
