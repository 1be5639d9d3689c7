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

#define TPI_INLINE static inline __attribute__((always_inline))
#define BS 32 /* MX block size */

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

/* The vector formats: MX float elements of the default layout. */
static int simd_format(int fmt)
{
    return fmt == TP_BLOCK_MXFP8_E4M3 || fmt == TP_BLOCK_MXFP8_E5M2 ||
           fmt == TP_BLOCK_MXFP6_E2M3 || fmt == TP_BLOCK_MXFP6_E3M2 || fmt == TP_BLOCK_MXFP4;
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
 * codes in [lo, hi], where every product is an exact normal binary32.) */
typedef struct deq_tab {
    int ok;
    unsigned lo, hi;
    int ss, sh, esub;      /* sign position; 23 - m; 1 - bias - m (8-bit arithmetic path) */
    uint32_t cnorm, magmask, specthr, subthr;
    uint32_t v[256] __attribute__((aligned(32)));
} deq_tab;

/* Written once by tpi_install_avx2_block (inside the dispatcher's
 * pthread_once), read-only afterwards. */
static deq_tab tpi_avx2_deq[TP_BLOCK_FORMAT_COUNT];

static void ref_deq_block(const tpi_blk *k, const uint8_t *scales, const void *elems, size_t blk,
                          float ts, float *dst, unsigned *flags)
{
    double out[BS];
    tpi_fmt f32;
    tpi_fmt_init(&f32, tp_format_get(TP_F32));
    tpi_ref_block_dequant1(k, scales, elems, blk, ts, out, flags);
    for (int j = 0; j < k->bs; j++) {
        uint32_t bits = (uint32_t)tpi_ref_encode1_f64(&f32, out[j], TP_RNE, TP_OVF_NONSAT, 0,
                                                      flags);
        memcpy(&dst[blk * (size_t)k->bs + (size_t)j], &bits, sizeof bits);
    }
}

static void deq_build(int fmt)
{
    deq_tab *t = &tpi_avx2_deq[fmt];
    tp_block_desc d;
    tpi_blk k;
    memset(t, 0, sizeof *t);
    if (!simd_format(fmt) || tp_block_preset((tp_block_format)fmt, &d) != TP_OK)
        return;
    tpi_blk_init(&k, &d);
    tpi_fmt f32;
    tpi_fmt_init(&f32, tp_format_get(TP_F32));
    unsigned nc = 1u << k.ef.bits, fl = 0;
    int emin_nz = 1000, emax_nz = -1000;
    for (unsigned c = 0; c < nc; c++) {
        double v = tpi_ref_decode1(&k.ef, c, &fl);
        uint32_t b = (uint32_t)tpi_ref_encode1_f64(&f32, v, TP_RNE, TP_OVF_NONSAT, 0, &fl);
        t->v[c] = b;
        uint32_t ex = (b >> 23) & 0xFF;
        if (ex == 0xFF && (b & 0x7FFFFFu) != 0 && !(b & 0x400000u))
            return; /* a signalling NaN would be quieted by the product */
        if (ex == 0 && (b & 0x7FFFFFu) != 0)
            return; /* binary32 subnormal element: not covered */
        if (ex != 0 && ex != 0xFF) {
            int e2 = (int)ex - 127;
            emin_nz = e2 < emin_nz ? e2 : emin_nz;
            emax_nz = e2 > emax_nz ? e2 : emax_nz;
        }
    }
    if (fl != 0)
        return;
    /* FP4 in AVX2: an 8-entry magnitude table plus the sign bit */
    if (k.ebits == 4)
        for (unsigned c = 0; c < 8; c++)
            if (t->v[c + 8] != (t->v[c] | 0x80000000u))
                return;
    /* es = sc - 127: need emin_nz + es >= -126 and emax_nz + es <= 127 */
    int lo = -126 - emin_nz + 127, hi = 127 - emax_nz + 127;
    t->lo = (unsigned)(lo < 1 ? 1 : lo);
    t->hi = (unsigned)(hi > 254 ? 254 : hi);
    t->ok = t->lo <= t->hi;
    /* The arithmetic path of 8-bit storage: element magnitude codes below
     * specthr are finite; magnitude codes below subthr are subnormal. */
    t->ss = k.ef.sign_shift;
    t->sh = 23 - k.ef.man;
    t->esub = 1 - k.ef.d->bias - k.ef.man;
    t->cnorm = (uint32_t)(127 - k.ef.d->bias) << 23;
    t->magmask = (1u << t->ss) - 1;
    t->subthr = 1u << k.ef.man;
    t->specthr = t->magmask + 1;
    for (unsigned c = 0; c <= t->magmask; c++)
        if (((t->v[c] >> 23) & 0xFF) == 0xFF) {
            t->specthr = c;
            break;
        }
    /* lo guarantees sc + esub >= 1 (the smallest subnormal times the scale
     * is normal); check it, and that the normal formula is the table. */
    if ((int)t->lo + t->esub < 1)
        t->ok = 0;
    for (unsigned c = t->subthr; c < t->specthr && k.ebits == 8; c++)
        if (t->v[c] != (c << t->sh) + t->cnorm)
            t->ok = 0;
}

static void deq_mx_avx2(const tpi_blk *k, const uint8_t *scales, const void *elems,
                        size_t nblk, float ts, float *dst, unsigned *flags)
{
    const deq_tab *t = &tpi_avx2_deq[k->fmt];
    const uint8_t *in = (const uint8_t *)elems;
    if (!t->ok || k->bs != BS) {
        for (size_t blk = 0; blk < nblk; blk++)
            ref_deq_block(k, scales, elems, blk, ts, dst, flags);
        return;
    }
    if (k->ebits == 4) {
        const __m256i tab = _mm256_load_si256((const __m256i *)(const void *)t->v);
        const __m256i nmask = _mm256_set1_epi64x(0x0000000F0000000FLL);
        const __m256i eight = _mm256_set1_epi32(8);
        for (size_t blk = 0; blk < nblk; blk++) {
            unsigned sc = scales[blk];
            if (sc < t->lo || sc > t->hi) {
                ref_deq_block(k, scales, elems, blk, ts, dst, flags);
                continue;
            }
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
        unsigned sc = scales[blk];
        if (sc < t->lo || sc > t->hi) {
            ref_deq_block(k, scales, elems, blk, ts, dst, flags);
            continue;
        }
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
