/*
 * block_avx512.c -- AVX-512 block kernels (F/BW/VL/DQ): quantise binary32 to
 * MXFP8 (E4M3, E5M2), MXFP6 (E2M3, E3M2) and MXFP4 in the default layout,
 * and dequantise them to binary32.  Every result and flag equals the
 * reference (lib/ref/block_ref.c); what the vector path does not cover goes
 * to the reference per call (rounding modes other than TP_RNE) or per block
 * (NaN/Inf/zero/subnormal amax, extreme shared exponents, extreme scales).
 *
 * Quantisation works on the binary32 bits with integer instructions only,
 * so MXCSR (rounding mode, FTZ, DAZ) plays no part.  Dequantisation uses one
 * binary32 multiplication that is exact (see below), with embedded rounding
 * and exceptions suppressed; its operands and result are normal, so FTZ and
 * DAZ cannot act either.
 */
#include <immintrin.h>
#include <string.h>

#include "internal.h"
#include "ref.h"

#define TPI_INLINE static inline __attribute__((always_inline))
#define BS 32 /* MX block size */
#define RN_SAE (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

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
 *
 * Method (RNE, per lane, integer only).  Let e be the block's shared
 * exponent, a = |x| as bits, E = a >> 23 its exponent field, m the element
 * fraction bits, s = 23 - m and K = emin + 127 (the biased binary32 exponent
 * of the element's smallest normal).  The scaled value x * 2^-e has biased
 * exponent E - e; with Ke = K + e, clamping E to [1, Ke] as
 *     U   = min(max(E, 1), Ke)
 *     val = a + 2^23 - (U << 23)
 *     sh  = s + Ke - U
 * gives, for E >= Ke (scaled value normal in the element), val =
 * ((E - Ke + 1) << 23) + fraction and sh = s, so val >> s is the magnitude
 * code with an unbounded exponent (field E - e - K + 1 = scaled exponent +
 * bias); and for E < Ke (element subnormal or below) val is the 24-bit
 * significand (no implicit bit for a binary32 subnormal, whose exponent is
 * that of E = 1) and the scaled value is val / 2^sh element quanta.  This
 * needs Ke >= 1 (so that max(E, 1) is never clamped back to 0 for a
 * subnormal input): the kernel takes the vector path only for e >= 1 - K
 * (and e >= -127, e <= 127: no clamping of the shared exponent).
 * sh may exceed 31; vpsrlvd/vpsllvd give 0 for counts >= 32, and then
 * val < 2^24 is below half a quantum, so the code is 0.
 * RNE: code = (val + 2^(sh-1) - 1 + ((val >> sh) & 1)) >> sh, where
 * 2^(sh-1) - 1 = 0x7FFFFFFF >> (32 - sh) (0 for sh > 32); no 32-bit
 * overflow: val < 2^29 (scaled values stay below 2^(emax+2)), 2^(sh-1) <=
 * 2^30.  A carry out of the mantissa moves to the next code, which is the
 * next value.  Codes above the largest finite magnitude saturate to it
 * (TP_OVF_SAT) with OVERFLOW|INEXACT, as the reference does.  Inexact iff
 * (val >> sh) << sh != val; underflow iff inexact and E < Ke (the scaled
 * value is below 2^emin).  The sign bit of x is ORed in: every element
 * format here has -0, so a result that rounds to zero keeps its sign.
 */

typedef struct qpar {
    __m512i s, ke, ske, c2, maxmag, sbit;
    int sshift;
} qpar;

TPI_INLINE __m512i quant_vec(const qpar *q, __m512i x, __m512i a, int fl, __mmask16 *ki,
                             __mmask16 *ku, __mmask16 *ko)
{
    const __m512i one = _mm512_set1_epi32(1);
    __m512i ex = _mm512_srli_epi32(a, 23);
    __m512i u = _mm512_min_epu32(_mm512_max_epu32(ex, one), q->ke);
    __m512i val = _mm512_sub_epi32(_mm512_add_epi32(a, _mm512_set1_epi32(1 << 23)),
                                   _mm512_slli_epi32(u, 23));
    __m512i sh = _mm512_sub_epi32(q->ske, u);
    __m512i hm = _mm512_srlv_epi32(_mm512_set1_epi32(0x7FFFFFFF), _mm512_sub_epi32(u, q->c2));
    __m512i tr = _mm512_srlv_epi32(val, sh);
    __m512i r = _mm512_add_epi32(_mm512_add_epi32(val, hm), _mm512_and_si512(tr, one));
    __m512i code = _mm512_srlv_epi32(r, sh);
    *ko |= _mm512_cmpgt_epu32_mask(code, q->maxmag);
    if (fl) {
        __mmask16 inx = _mm512_cmpneq_epi32_mask(_mm512_sllv_epi32(tr, sh), val);
        *ki |= inx;
        *ku |= _mm512_mask_cmplt_epu32_mask(inx, ex, q->ke);
    }
    code = _mm512_min_epu32(code, q->maxmag);
    /* code | (x >> (31 - sshift)) & sign bit */
    return _mm512_ternarylogic_epi32(code, _mm512_srli_epi32(x, 31 - q->sshift), q->sbit, 0xF8);
}

/* Quantises the block at x into codes c0 (elements 0..15), c1 (16..31);
 * returns the flags. */
TPI_INLINE unsigned quant_block(const qpar *q, const float *x, __m512i *c0, __m512i *c1, int e,
                                int fl)
{
    const __m512i abs = _mm512_set1_epi32(0x7FFFFFFF);
    __m512i x0 = _mm512_loadu_si512((const void *)x), x1 = _mm512_loadu_si512((const void *)(x + 16));
    __m512i a0 = _mm512_and_si512(x0, abs), a1 = _mm512_and_si512(x1, abs);
    __m512i ve = _mm512_set1_epi32(e);
    qpar p = *q;
    p.ke = _mm512_add_epi32(q->ke, ve);
    p.ske = _mm512_add_epi32(q->ske, ve);
    p.c2 = _mm512_add_epi32(q->c2, ve);
    __mmask16 ki = 0, ku = 0, ko = 0;
    *c0 = quant_vec(&p, x0, a0, fl, &ki, &ku, &ko);
    *c1 = quant_vec(&p, x1, a1, fl, &ki, &ku, &ko);
    unsigned f = 0;
    if (ko)
        f |= TP_FLAG_OVERFLOW | TP_FLAG_INEXACT;
    if (ki)
        f |= TP_FLAG_INEXACT;
    if (ku)
        f |= TP_FLAG_UNDERFLOW | TP_FLAG_INEXACT;
    return f;
}

static void ref_quant_block(const tpi_blk *k, const float *src, size_t blk, float ts,
                            uint8_t *scales, void *elems, tp_scale_rule rule, tp_round rnd,
                            const tp_sr *sr, unsigned *flags)
{
    tpi_ref_block_quant1(k, src + blk * (size_t)k->bs, blk, scales, elems, ts, rule, rnd,
                         rnd == TP_RSR ? sr : NULL, flags);
}

static void quant_mx_avx512(const tpi_blk *k, const float *src, size_t nblk, float ts,
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
    q.s = _mm512_set1_epi32(s);
    q.ke = _mm512_set1_epi32(kk);
    q.ske = _mm512_set1_epi32(s + kk);
    q.c2 = _mm512_set1_epi32(s + kk - 32);
    q.maxmag = _mm512_set1_epi32((int)p->max_mag);
    q.sbit = _mm512_set1_epi32(1 << p->sign_shift);
    q.sshift = p->sign_shift;
    const unsigned want = TP_FLAG_INEXACT | TP_FLAG_UNDERFLOW;
    unsigned f = *flags;
    uint8_t *out = (uint8_t *)elems;
    int nib = k->ebits == 4;
    for (size_t blk = 0; blk < nblk; blk++) {
        const float *x = src + blk * BS;
        const __m512i abs = _mm512_set1_epi32(0x7FFFFFFF);
        __m512i m = _mm512_max_epu32(_mm512_and_si512(_mm512_loadu_si512((const void *)x), abs),
                                     _mm512_and_si512(_mm512_loadu_si512((const void *)(x + 16)), abs));
        uint32_t amax = _mm512_reduce_max_epu32(m);
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
        __m512i c0, c1;
        if ((f & want) != want)
            f |= quant_block(&q, x, &c0, &c1, e, 1);
        else
            f |= quant_block(&q, x, &c0, &c1, e, 0);
        if (nib) {
            /* qword i = code 2i | code 2i+1 << 32: byte 0 of q | q >> 28 */
            __m128i b0 = _mm512_cvtepi64_epi8(_mm512_or_si512(c0, _mm512_srli_epi64(c0, 28)));
            __m128i b1 = _mm512_cvtepi64_epi8(_mm512_or_si512(c1, _mm512_srli_epi64(c1, 28)));
            _mm_storeu_si128((__m128i *)(void *)(out + blk * 16), _mm_unpacklo_epi64(b0, b1));
        } else {
            _mm_storeu_si128((__m128i *)(void *)(out + blk * BS), _mm512_cvtepi32_epi8(c0));
            _mm_storeu_si128((__m128i *)(void *)(out + blk * BS + 16), _mm512_cvtepi32_epi8(c1));
        }
    }
    *flags = f;
}

/* ------------------------------------------------------------------ dequantise
 *
 * Method.  A table holds, for every element code c, the binary32 bits the
 * reference produces for c under scale 2^0 (tpi_ref_decode1, then its
 * binary32 rounding); the installer builds it with the reference itself and
 * keeps a format only if no code raises a flag and every NaN entry is
 * quiet.  A block with scale code sc in [lo, hi] is then table[c] * 2^(sc -
 * 127) in binary32: the factor is the normal binary32 with exponent field
 * sc, and lo, hi are chosen so that every nonzero finite element times the
 * factor is a normal binary32 (smallest nonzero element * 2^(sc-127) >=
 * 2^-126, largest < 2^128).  The product of two binary32 values with at
 * most 4 + 24 significant bits that lands in the normal range is exact, so
 * it equals the reference's exact product rounded once, with no flag;
 * zeros keep their sign, Inf stays Inf, and a quiet NaN passes through
 * unchanged (x86 returns the NaN operand).  Other scale codes (0xFF, and
 * the extremes, where the reference may overflow to Inf or round a
 * subnormal with flags) go to the reference per block.
 */
typedef struct deq_tab {
    int ok;
    unsigned lo, hi;
    int ss, sh, esub;      /* sign position; 23 - m; 1 - bias - m (8-bit arithmetic path) */
    uint32_t cnorm, magmask, specthr, subthr;
    uint32_t v[256] __attribute__((aligned(64)));
} deq_tab;

/* Written once by tpi_install_avx512_block (inside the dispatcher's
 * pthread_once), read-only afterwards. */
static deq_tab tpi_avx512_deq[TP_BLOCK_FORMAT_COUNT];

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
    deq_tab *t = &tpi_avx512_deq[fmt];
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

static void deq_mx_avx512(const tpi_blk *k, const uint8_t *scales, const void *elems,
                          size_t nblk, float ts, float *dst, unsigned *flags)
{
    const deq_tab *t = &tpi_avx512_deq[k->fmt];
    const uint8_t *in = (const uint8_t *)elems;
    if (!t->ok || k->bs != BS) {
        for (size_t blk = 0; blk < nblk; blk++)
            ref_deq_block(k, scales, elems, blk, ts, dst, flags);
        return;
    }
    if (k->ebits == 4) {
        const __m512i tab = _mm512_load_si512((const void *)t->v);
        const __m512i nmask = _mm512_set1_epi64(0x0000000F0000000FLL);
        for (size_t blk = 0; blk < nblk; blk++) {
            unsigned sc = scales[blk];
            if (sc < t->lo || sc > t->hi) {
                ref_deq_block(k, scales, elems, blk, ts, dst, flags);
                continue;
            }
            __m512 f = _mm512_castsi512_ps(_mm512_set1_epi32((int)(sc << 23)));
            const uint8_t *b = in + blk * 16;
            for (int h = 0; h < 2; h++) {
                /* byte i -> qword i; code 2i in dword 2i, code 2i+1 in dword 2i+1 */
                __m512i q = _mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i *)(const void *)(b + 8 * h)));
                __m512i c = _mm512_ternarylogic_epi64(q, _mm512_slli_epi64(q, 28), nmask, 0xA8);
                __m512 v = _mm512_castsi512_ps(_mm512_permutexvar_epi32(c, tab));
                _mm512_storeu_ps(dst + blk * BS + 16 * (size_t)h, _mm512_mul_round_ps(v, f, RN_SAE));
            }
        }
        return;
    }
    const __m512i magmask = _mm512_set1_epi32((int)t->magmask);
    const __m512i specthr = _mm512_set1_epi32((int)t->specthr);
    const __m512i subthr = _mm512_set1_epi32((int)t->subthr);
    const __m512i cnorm = _mm512_set1_epi32((int)t->cnorm);
    const __m512i sh = _mm512_set1_epi32(t->sh), sgn = _mm512_set1_epi32(31 - t->ss);
    const __m512i sbit = _mm512_set1_epi32((int)0x80000000u);
    for (size_t blk = 0; blk < nblk; blk++) {
        unsigned sc = scales[blk];
        if (sc < t->lo || sc > t->hi) {
            ref_deq_block(k, scales, elems, blk, ts, dst, flags);
            continue;
        }
        __m512 f = _mm512_castsi512_ps(_mm512_set1_epi32((int)(sc << 23)));
        __m512 fsub = _mm512_castsi512_ps(_mm512_set1_epi32((int)((sc + (unsigned)t->esub) << 23)));
        const uint8_t *b = in + blk * BS;
        for (int h = 0; h < 2; h++) {
            __m512i ix = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(b + 16 * h)));
            __m512i mag = _mm512_and_si512(ix, magmask);
            __m512 v;
            if (_mm512_cmpge_epu32_mask(mag, specthr) != 0) { /* NaN/Inf element: the table */
                v = _mm512_castsi512_ps(_mm512_i32gather_epi32(ix, (const void *)t->v, 4));
                v = _mm512_mul_round_ps(v, f, RN_SAE);
            } else {
                /* normal: the binary32 bits (mag << (23-m)) + ((127-bias) << 23);
                 * subnormal (and zero): mag * 2^(1-bias-m), mag converted
                 * exactly; each times the scale, exact (see above) */
                __m512 vn = _mm512_castsi512_ps(_mm512_add_epi32(_mm512_sllv_epi32(mag, sh), cnorm));
                vn = _mm512_mul_round_ps(vn, f, RN_SAE);
                __m512 vs = _mm512_mul_round_ps(_mm512_cvtepi32_ps(mag), fsub, RN_SAE);
                v = _mm512_mask_blend_ps(_mm512_cmplt_epu32_mask(mag, subthr), vn, vs);
                v = _mm512_castsi512_ps(_mm512_ternarylogic_epi32(
                    _mm512_castps_si512(v), _mm512_sllv_epi32(ix, sgn), sbit, 0xF8));
            }
            _mm512_storeu_ps(dst + blk * BS + 16 * (size_t)h, v);
        }
    }
}

void tpi_install_avx512_block(tpi_kernels *k)
{
    for (int f = 0; f < TP_BLOCK_FORMAT_COUNT; f++) {
        if (!simd_format(f))
            continue;
        k->blk_quant[f] = quant_mx_avx512;
        deq_build(f);
        if (tpi_avx512_deq[f].ok)
            k->blk_dequant[f] = deq_mx_avx512;
    }
}
