/*
 * codec_avx2.c -- AVX2 codec kernels (AVX2 + FMA + F16C; integer ops only).
 *
 * Encoding binary32 -> every float format of 8 bits or fewer except E8M0,
 * for TP_RNE, TP_RTZ and TP_RTO under either overflow policy; decoding every
 * format of 8 bits or fewer to binary32.  Everything else (and every chunk
 * holding a special input) goes to the reference kernels, which define the
 * result.  The only floating-point instructions are the int8/mxint8 decode's
 * vcvtdq2ps and multiplication by 2^scale_exp, whose results are exact and
 * normal or zero, so MXCSR plays no part (see dec_icvt_avx2).
 */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "internal.h"
#include "../codec_common.h"
#include "ref.h"

/* ------------------------------------------------------------------ encode
 *
 * Integer rounding with a per-lane shift.  With a = |x| as bits, E its
 * biased exponent field, K = emin + 127 and s = 23 - m:
 *   Ec  = min(max(E, 1), K)
 *   val = a + 2^23 - (Ec << 23)
 *   sh  = min(s + K - Ec, 31)
 * For E >= K (normal in the format) val = ((E - K + 1) << 23) + fraction,
 * and val >> s is the magnitude code: exponent field E - K + 1 = e + bias,
 * top m fraction bits.  For E < K (subnormal in the format) val is the
 * 24-bit significand (no implicit bit for a binary32 subnormal, where
 * Ec = 1 matches its exponent -126) and |x| / 2^(emin - m) = val / 2^sh.
 * When the clamp at 31 acts, val < 2^24 <= 2^(sh-1), so the code is 0 and
 * the fraction is below one half in both cases.  The bits cut off are
 * rem = val & (2^sh - 1): RNE adds 2^(sh-1) - 1 + (lsb of val >> sh) before
 * the shift (no 32-bit overflow: val < 2^31, 2^(sh-1) <= 2^30); a carry out of
 * the mantissa moves to the next code, which is the next value in every
 * case.  Inexact iff rem != 0; underflow iff also |x| < 2^emin.
 *
 * A chunk is accepted only if every |x| (raw bits for unsigned formats) is
 * below `thr`, the smallest binary32 magnitude whose rounded code exceeds
 * the largest finite code; otherwise the reference kernel redoes the chunk.
 * So overflow, Inf, NaN and (unsigned formats) negative inputs never reach
 * the vector path.
 */

#define ENC_CHUNK 32

enum { SG_OR, SG_OR_NZ, SG_NONE };

typedef struct enc_par {
    __m256i k, s_plus_k, kbits, thr, smask, sshift;
} enc_par;


static int enc_setup(const tpi_fmt *p, int mode, enc_par *e)
{
    const tp_format_desc *d = p->d;
    int m = p->man, k = p->emin + 127;
    if (p->bits > 8 || p->is_int || p->no_zero || mode < 0 || m < 1 || m > 20 || k < 1 ||
        (p->max_mag >> m) == 0)
        return -1;
    uint64_t mm = p->max_mag;
    double v = ldexp((double)((UINT64_C(1) << m) | (mm & ((UINT64_C(1) << m) - 1))), p->emax - m);
    e->k = _mm256_set1_epi32(k);
    e->s_plus_k = _mm256_set1_epi32(23 - m + k);
    e->kbits = _mm256_set1_epi32((int)((uint32_t)k << 23));
    e->thr = _mm256_set1_epi32((int)overflow_thr(v, ldexp(1.0, p->emax - m), (int)(mm & 1), mode));
    if (!d->sign) {
        e->smask = _mm256_setzero_si256();
        e->sshift = _mm256_setzero_si256();
        return SG_NONE;
    }
    e->smask = _mm256_set1_epi32((int)(1u << p->sign_shift));
    e->sshift = _mm256_set1_epi32(31 - p->sign_shift);
    return p->has_negzero ? SG_OR : SG_OR_NZ;
}

#define TPI_INLINE static inline __attribute__((always_inline))

TPI_INLINE __m256i enc_vec(const enc_par *e, __m256i x, int rm, int sg, int fl, __m256i *vmax,
                           __m256i *ai, __m256i *au)
{
    const __m256i one = _mm256_set1_epi32(1);
    __m256i a = _mm256_and_si256(x, _mm256_set1_epi32(0x7FFFFFFF));
    __m256i ec = _mm256_min_epi32(_mm256_max_epi32(_mm256_srli_epi32(a, 23), one), e->k);
    __m256i val = _mm256_sub_epi32(_mm256_add_epi32(a, _mm256_set1_epi32(1 << 23)),
                                   _mm256_slli_epi32(ec, 23));
    __m256i sh = _mm256_min_epi32(_mm256_sub_epi32(e->s_plus_k, ec), _mm256_set1_epi32(31));
    __m256i q1 = _mm256_sllv_epi32(one, sh);
    __m256i rem = _mm256_and_si256(val, _mm256_sub_epi32(q1, one));
    __m256i tr = _mm256_srlv_epi32(val, sh);
    __m256i code;
    if (rm == RM_RNE) {
        __m256i r = _mm256_add_epi32(_mm256_add_epi32(val, _mm256_and_si256(tr, one)),
                                     _mm256_sub_epi32(_mm256_srli_epi32(q1, 1), one));
        code = _mm256_srlv_epi32(r, sh);
    } else if (rm == RM_RTZ) {
        code = tr;
    } else {
        __m256i nz = _mm256_andnot_si256(_mm256_cmpeq_epi32(rem, _mm256_setzero_si256()), one);
        code = _mm256_or_si256(tr, nz);
    }
    if (fl) {
        *ai = _mm256_or_si256(*ai, rem);
        *au = _mm256_or_si256(*au, _mm256_and_si256(rem, _mm256_cmpgt_epi32(e->kbits, a)));
    }
    if (sg != SG_NONE) {
        __m256i sb = _mm256_and_si256(_mm256_srlv_epi32(x, e->sshift), e->smask);
        if (sg == SG_OR_NZ) /* no -0: a zero result stays +0 */
            sb = _mm256_andnot_si256(_mm256_cmpeq_epi32(code, _mm256_setzero_si256()), sb);
        code = _mm256_or_si256(code, sb);
    }
    *vmax = _mm256_max_epu32(*vmax, sg == SG_NONE ? x : a);
    return code;
}

TPI_INLINE void enc_run(const tpi_fmt *p, const enc_par *e, const float *src, uint8_t *dst,
                        size_t n, tp_round rnd, tp_overflow ovf, unsigned *flags, int rm, int sg)
{
    const __m256i zero = _mm256_setzero_si256();
    const __m256i ord = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    __m256i gi = zero, gu = zero;
    int need = 1;
    size_t i = 0;
    for (; i + ENC_CHUNK <= n; i += ENC_CHUNK) {
        __m256i vmax = zero, ci = zero, cu = zero, c[4];
        const float *s = src + i;
        for (int j = 0; j < 4; j++) {
            __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(s + 8 * j));
            c[j] = need ? enc_vec(e, x, rm, sg, 1, &vmax, &ci, &cu)
                        : enc_vec(e, x, rm, sg, 0, &vmax, &ci, &cu);
        }
        /* vmax >= thr (unsigned) in some lane? */
        __m256i ge = _mm256_cmpeq_epi32(_mm256_max_epu32(vmax, e->thr), vmax);
        if (_mm256_movemask_epi8(ge) != 0) {
            tpi_ref_enc_f32(p, s, dst + i, ENC_CHUNK, rnd, ovf, NULL, flags);
            continue;
        }
        __m256i b = _mm256_packus_epi16(_mm256_packus_epi32(c[0], c[1]),
                                        _mm256_packus_epi32(c[2], c[3]));
        _mm256_storeu_si256((__m256i *)(void *)(dst + i), _mm256_permutevar8x32_epi32(b, ord));
        if (need) {
            gi = _mm256_or_si256(gi, ci);
            gu = _mm256_or_si256(gu, cu);
            if (!_mm256_testz_si256(gu, gu))
                need = 0; /* underflow seen, so inexact too: nothing left to learn */
        }
    }
    if (!_mm256_testz_si256(gi, gi))
        *flags |= TP_FLAG_INEXACT;
    if (!_mm256_testz_si256(gu, gu))
        *flags |= TP_FLAG_UNDERFLOW | TP_FLAG_INEXACT;
    if (i < n)
        tpi_ref_enc_f32(p, src + i, dst + i, n - i, rnd, ovf, NULL, flags);
}

static void enc_small_avx2(const tpi_fmt *p, const float *src, void *dst, size_t n, tp_round rnd,
                           tp_overflow ovf, const tp_sr *sr, unsigned *flags)
{
    enc_par e;
    int rm = rnd == TP_RNE ? RM_RNE : rnd == TP_RTZ ? RM_RTZ : rnd == TP_RTO ? RM_RTO : -1;
    int sg = n >= ENC_CHUNK ? enc_setup(p, rm, &e) : -1;
    uint8_t *o = (uint8_t *)dst;
    if (sg < 0) {
        tpi_ref_enc_f32(p, src, dst, n, rnd, ovf, sr, flags);
        return;
    }
#define TPI_ENC_SG(RM)                                                              \
    switch (sg) {                                                                   \
    case SG_OR: enc_run(p, &e, src, o, n, rnd, ovf, flags, RM, SG_OR); break;       \
    case SG_OR_NZ: enc_run(p, &e, src, o, n, rnd, ovf, flags, RM, SG_OR_NZ); break; \
    default: enc_run(p, &e, src, o, n, rnd, ovf, flags, RM, SG_NONE); break;        \
    }
    switch (rm) {
    case RM_RNE: TPI_ENC_SG(RM_RNE) break;
    case RM_RTZ: TPI_ENC_SG(RM_RTZ) break;
    default: TPI_ENC_SG(RM_RTO) break;
    }
#undef TPI_ENC_SG
}

/* ------------------------------------------------------------------ decode
 *
 * Byte-plane vpshufb lookups (dec_nib_avx2: <= 4-bit formats; dec_tree_avx2:
 * 6- and 8-bit float formats), vcvtdq2ps (dec_icvt_avx2: int8, mxint8), or
 * else (E8M0) a gather from a 256-entry table of binary32 bits.  All tables
 * are built by the installer with the reference decoder itself
 * (tpi_ref_decode1_f32), so the result is exact by construction.  Flags: the table is used only if no code raises a
 * flag, or if exactly the codes >= 0x80 raise one common set (UE4M3
 * invalid); the kernel ORs the codes and tests bit 7.
 */
typedef struct dec_tab {
    int ok;
    int nib;                   /* codes < 16, no flags, low 16 result bits zero: vpshufb path */
    unsigned high_flags;
    uint32_t v[256];
    uint8_t h[32], l[32];      /* nib: bits 31..24 and 23..16 of v[c], twice (one per lane) */
    /* tree path (see dec_tree_avx2): magnitude tables, 16 entries per
     * 32-byte vector (twice, one per lane), ntab = 2^(mbits - 4) of them */
    int tree, mbits, ntab, fix;  /* fix: 0 none, 1 one code (fix_code), 2 every code >= 0x80 */
    uint8_t fix_code, fix_h, fix_l;
    uint8_t th[8][32], tl[8][32];
    int icvt;                  /* int8, mxint8: vpmovsxbd + vcvtdq2ps (+ scale) */
    float scale;
} dec_tab;

/* Written once by tpi_install_avx2 (inside the dispatcher's pthread_once),
 * read-only afterwards. */
static dec_tab tpi_avx2_dec[TP_FORMAT_COUNT];

static void dec_build(int f)
{
    dec_tab *t = &tpi_avx2_dec[f];
    tpi_fmt p;
    unsigned fl[256];
    tpi_fmt_init(&p, tp_format_get((tp_format)f));
    memset(t, 0, sizeof *t);
    if (p.bits > 8)
        return;
    unsigned nc = 1u << p.bits;
    for (unsigned c = 0; c < 256; c++) {
        fl[c] = 0;
        if (c < nc)
            t->v[c] = f32_bits(tpi_ref_decode1_f32(&p, c, &fl[c]));
    }
    for (unsigned c = 0; c < 128; c++)
        if (fl[c])
            return;
    for (unsigned c = 128; c < 256; c++)
        if (fl[c] != fl[128] || (fl[128] && nc != 256))
            return;
    t->high_flags = fl[128];
    t->ok = 1;
    if (nc <= 16) {
        int nib = 1;
        for (unsigned c = 0; c < nc; c++)
            if (fl[c] || (t->v[c] & 0xFFFF))
                nib = 0;
        for (unsigned c = 0; c < 32; c++) {
            t->h[c] = (uint8_t)(t->v[c & 15] >> 24);
            t->l[c] = (uint8_t)(t->v[c & 15] >> 16);
        }
        t->nib = nib;
    }
    if (p.is_int && p.bits == 8 && p.d->sign && p.scale_exp >= -100 && p.scale_exp <= 100) {
        /* dec_icvt_avx2's computation, checked on every code */
        int same = 1;
        float sc = (float)ldexp(1.0, p.scale_exp);
        for (unsigned c = 0; c < 256; c++) {
            __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_set1_epi32((int8_t)c)),
                                     _mm256_set1_ps(sc));
            if ((uint32_t)_mm256_extract_epi32(_mm256_castps_si256(v), 0) != t->v[c] || fl[c])
                same = 0;
        }
        t->icvt = same;
        t->scale = sc;
        return;
    }
    /* tree path: signed 8-bit or 6-bit floats whose negative codes are the
     * positive ones with the binary32 sign set, except at most one code
     * (FNUZ 0x80), or unsigned 8-bit ones whose codes >= 0x80 all decode
     * alike (UE4M3); every value with its low 16 bits zero */
    if (p.is_int || (p.bits != 8 && p.bits != 6))
        return;
    for (unsigned c = 0; c < nc; c++)
        if (t->v[c] & 0xFFFF)
            return;
    int mb = p.d->sign ? p.sign_shift : 7;
    if (mb != p.bits - 1)
        return;
    unsigned half = 1u << mb, bad = 0, badc = 0;
    if (p.d->sign) {
        for (unsigned c = 0; c < half; c++)
            if (fl[c])
                return;
        for (unsigned c = half; c < nc; c++)
            if (t->v[c] != (t->v[c - half] | 0x80000000u) || fl[c]) {
                bad++;
                badc = c;
            }
        if (bad > 1 || (bad == 1 && (fl[badc] || p.bits != 8)))
            return;
        t->fix = bad ? 1 : 0;
        t->fix_code = (uint8_t)badc;
    } else {
        for (unsigned c = half; c < nc; c++)
            if (t->v[c] != t->v[half])
                return;
        t->fix = 2;
        badc = half;
    }
    t->fix_h = (uint8_t)(t->v[badc] >> 24);
    t->fix_l = (uint8_t)(t->v[badc] >> 16);
    t->mbits = mb;
    t->ntab = 1 << (mb - 4);
    for (int j = 0; j < t->ntab; j++)
        for (unsigned c = 0; c < 32; c++) {
            t->th[j][c] = (uint8_t)(t->v[16 * j + (c & 15)] >> 24);
            t->tl[j][c] = (uint8_t)(t->v[16 * j + (c & 15)] >> 16);
        }
    t->tree = 1;
}

/*
 * Formats of at most 4 bits whose every value has its low 16 bits zero and
 * raises no flag (e2m1, int4, uint4; checked by dec_build from the
 * reference's own results): byte-plane lookups with vpshufb (the codes are
 * < 16, so the index is the code) and an interleave.  vpermd first puts the
 * 4-code groups of 32 codes in the order [0 2 4 6 | 1 3 5 7], so that the
 * in-lane unpacks (bytes L,H into words, then words under zero into dwords)
 * emit the results in order.
 */
static void dec_nib_avx2(const tpi_fmt *p, const dec_tab *t, const uint8_t *s, float *dst,
                         size_t n, unsigned *flags)
{
    const __m256i th = _mm256_loadu_si256((const __m256i *)(const void *)t->h);
    const __m256i tl = _mm256_loadu_si256((const __m256i *)(const void *)t->l);
    const __m256i ord = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    const __m256i zero = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i c = _mm256_permutevar8x32_epi32(
            _mm256_loadu_si256((const __m256i *)(const void *)(s + i)), ord);
        __m256i hv = _mm256_shuffle_epi8(th, c), lv = _mm256_shuffle_epi8(tl, c);
        __m256i w0 = _mm256_unpacklo_epi8(lv, hv), w1 = _mm256_unpackhi_epi8(lv, hv);
        _mm256_storeu_si256((__m256i *)(void *)(dst + i), _mm256_unpacklo_epi16(zero, w0));
        _mm256_storeu_si256((__m256i *)(void *)(dst + i + 8), _mm256_unpackhi_epi16(zero, w0));
        _mm256_storeu_si256((__m256i *)(void *)(dst + i + 16), _mm256_unpacklo_epi16(zero, w1));
        _mm256_storeu_si256((__m256i *)(void *)(dst + i + 24), _mm256_unpackhi_epi16(zero, w1));
    }
    if (i < n)
        tpi_ref_dec_f32(p, s + i, dst + i, n - i, flags);
}

/*
 * 8-bit and 6-bit float formats (tree path of dec_build): the magnitude
 * m = c & (2^mbits - 1) is looked up in 2^(mbits-4) vpshufb tables of 16
 * entries per byte plane (H = bits 31..24, L = bits 23..16 of the
 * reference's own binary32 results, whose low 16 bits are zero), and
 * pblendvb selects on bits 4, 5, 6 of m (moved to bit 7 by 16-bit shifts:
 * only bit 7 of each byte is read, which is the wanted bit of the same
 * byte).  The sign bit of the code becomes bit 7 of H; the fixed codes get
 * their constant H, L.  Then the interleave of dec_nib_avx2.  Exact by
 * construction; integer ops only.
 */
/* 128-entry byte lookup of m (< 128) in T[0..7] (16 entries each, per lane);
 * b4, b5, b6: m shifted so that its bit 4, 5, 6 is bit 7 of each byte.  The
 * tables are read from memory each time (16 ymm registers do not hold them
 * and the temporaries). */
TPI_INLINE __m256i tree8(const uint8_t (*T)[32], __m256i m, __m256i b4, __m256i b5, __m256i b6)
{
#define TPI_T(j) _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(const void *)T[j]), m)
    __m256i q0 = _mm256_blendv_epi8(TPI_T(0), TPI_T(1), b4);
    __m256i q1 = _mm256_blendv_epi8(TPI_T(2), TPI_T(3), b4);
    __m256i q2 = _mm256_blendv_epi8(TPI_T(4), TPI_T(5), b4);
    __m256i q3 = _mm256_blendv_epi8(TPI_T(6), TPI_T(7), b4);
#undef TPI_T
    return _mm256_blendv_epi8(_mm256_blendv_epi8(q0, q1, b5), _mm256_blendv_epi8(q2, q3, b5), b6);
}

TPI_INLINE void dec_tree_avx2(const tpi_fmt *p, const dec_tab *t, const uint8_t *s, float *dst,
                              size_t n, unsigned *flags, int ntab, int fix)
{
    const __m256i th0 = _mm256_loadu_si256((const __m256i *)(const void *)t->th[0]);
    const __m256i th1 = _mm256_loadu_si256((const __m256i *)(const void *)t->th[1]);
    const __m256i tl0 = _mm256_loadu_si256((const __m256i *)(const void *)t->tl[0]);
    const __m256i tl1 = _mm256_loadu_si256((const __m256i *)(const void *)t->tl[1]);
    const __m256i ord = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    const __m256i zero = _mm256_setzero_si256(), sbit = _mm256_set1_epi8((char)0x80);
    const __m256i mmask = _mm256_set1_epi8((char)((1 << t->mbits) - 1));
    const __m256i fc = _mm256_set1_epi8((char)t->fix_code);
    const __m256i fh = _mm256_set1_epi8((char)t->fix_h), fl = _mm256_set1_epi8((char)t->fix_l);
    __m256i acc = zero;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i c = _mm256_permutevar8x32_epi32(
            _mm256_loadu_si256((const __m256i *)(const void *)(s + i)), ord);
        __m256i m = _mm256_and_si256(c, mmask), hv, lv;
        __m256i b4 = _mm256_slli_epi16(m, 3);
        if (ntab == 2) {
            hv = _mm256_blendv_epi8(_mm256_shuffle_epi8(th0, m), _mm256_shuffle_epi8(th1, m), b4);
            lv = _mm256_blendv_epi8(_mm256_shuffle_epi8(tl0, m), _mm256_shuffle_epi8(tl1, m), b4);
            /* sign: bit 5 of the code to bit 7 */
            hv = _mm256_or_si256(hv, _mm256_and_si256(_mm256_slli_epi16(c, 2), sbit));
        } else {
            __m256i b5 = _mm256_slli_epi16(m, 2), b6 = _mm256_slli_epi16(m, 1);
            hv = tree8(t->th, m, b4, b5, b6);
            lv = tree8(t->tl, m, b4, b5, b6);
            if (fix != 2)
                hv = _mm256_or_si256(hv, _mm256_and_si256(c, sbit));
        }
        if (fix == 1) {
            __m256i k = _mm256_cmpeq_epi8(c, fc);
            hv = _mm256_blendv_epi8(hv, fh, k);
            lv = _mm256_blendv_epi8(lv, fl, k);
        } else if (fix == 2) {
            hv = _mm256_blendv_epi8(hv, fh, c);
            lv = _mm256_blendv_epi8(lv, fl, c);
            acc = _mm256_or_si256(acc, c);
        }
        __m256i w0 = _mm256_unpacklo_epi8(lv, hv), w1 = _mm256_unpackhi_epi8(lv, hv);
        _mm256_storeu_si256((__m256i *)(void *)(dst + i), _mm256_unpacklo_epi16(zero, w0));
        _mm256_storeu_si256((__m256i *)(void *)(dst + i + 8), _mm256_unpackhi_epi16(zero, w0));
        _mm256_storeu_si256((__m256i *)(void *)(dst + i + 16), _mm256_unpacklo_epi16(zero, w1));
        _mm256_storeu_si256((__m256i *)(void *)(dst + i + 24), _mm256_unpackhi_epi16(zero, w1));
    }
    if (fix == 2 && _mm256_movemask_epi8(acc) != 0)
        *flags |= t->high_flags;
    if (i < n)
        tpi_ref_dec_f32(p, s + i, dst + i, n - i, flags);
}

/*
 * int8 and mxint8: vpmovsxbd, vcvtdq2ps and a multiplication by
 * 2^scale_exp.  Exact: |v| <= 128, and |v| 2^sc is a normal binary32 or zero
 * for the accepted sc, so MXCSR's rounding mode and FTZ cannot act, and DAZ
 * does not apply (integer source, normal factor).  dec_build compares all
 * 256 results with the reference before choosing this path.
 */
static void dec_icvt_avx2(const tpi_fmt *p, const dec_tab *t, const uint8_t *s, float *dst,
                          size_t n, unsigned *flags)
{
    const __m256 sc = _mm256_set1_ps(t->scale);
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int j = 0; j < 32; j += 8) {
            __m256i v = _mm256_cvtepi8_epi32(
                _mm_loadl_epi64((const __m128i *)(const void *)(s + i + j)));
            _mm256_storeu_ps(dst + i + j, _mm256_mul_ps(_mm256_cvtepi32_ps(v), sc));
        }
    if (i < n)
        tpi_ref_dec_f32(p, s + i, dst + i, n - i, flags);
}

static void dec_small_avx2(const tpi_fmt *p, const void *src, float *dst, size_t n,
                           unsigned *flags)
{
    int f = tpi_builtin_index(p->d);
    const dec_tab *t = f >= 0 ? &tpi_avx2_dec[f] : NULL;
    const uint8_t *s = (const uint8_t *)src;
    if (t == NULL || !t->ok || n < 32) {
        tpi_ref_dec_f32(p, src, dst, n, flags);
        return;
    }
    if (t->nib) {
        dec_nib_avx2(p, t, s, dst, n, flags);
        return;
    }
    if (t->icvt) {
        dec_icvt_avx2(p, t, s, dst, n, flags);
        return;
    }
    if (t->tree) {
        if (t->ntab == 2)
            dec_tree_avx2(p, t, s, dst, n, flags, 2, 0);
        else if (t->fix == 0)
            dec_tree_avx2(p, t, s, dst, n, flags, 8, 0);
        else if (t->fix == 1)
            dec_tree_avx2(p, t, s, dst, n, flags, 8, 1);
        else
            dec_tree_avx2(p, t, s, dst, n, flags, 8, 2);
        return;
    }
    const int *tab = (const int *)t->v;
    __m256i acc = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i c = _mm256_loadu_si256((const __m256i *)(const void *)(s + i));
        acc = _mm256_or_si256(acc, c);
        for (int j = 0; j < 4; j++) {
            __m256i ix = _mm256_cvtepu8_epi32(
                _mm_loadl_epi64((const __m128i *)(const void *)(s + i + 8 * j)));
            _mm256_storeu_si256((__m256i *)(void *)(dst + i + 8 * j),
                                _mm256_i32gather_epi32(tab, ix, 4));
        }
    }
    if (t->high_flags && _mm256_movemask_epi8(acc) != 0)
        *flags |= t->high_flags;
    if (i < n)
        tpi_ref_dec_f32(p, s + i, dst + i, n - i, flags);
}

void tpi_install_avx2(tpi_kernels *k)
{
    /* The tables are built from the reference's binary32 results, and the
     * first call (which installs the kernels) may run with FTZ/DAZ set:
     * e8m0 0x00 decodes to the binary32 subnormal 2^-127, which FTZ would
     * flush.  Build them under the default MXCSR and restore the caller's
     * (status bits included). */
    unsigned int csr = _mm_getcsr();
    _mm_setcsr(0x1F80);
    for (int f = 0; f < TP_FORMAT_COUNT; f++) {
        const tp_format_desc *d = tp_format_get((tp_format)f);
        if (d->bits > 8)
            continue;
        k->enc_f32[f] = enc_small_avx2;
        dec_build(f);
        if (tpi_avx2_dec[f].ok)
            k->dec_f32[f] = dec_small_avx2;
    }
    _mm_setcsr(csr);
}
