/*
 * codec_avx512.c -- AVX-512 codec kernels (F/BW/VL/DQ/VBMI).
 *
 * Encoding binary32 -> any float or integer format of 8 bits or fewer, for
 * TP_RNE, TP_RTZ, TP_RTO, TP_RUP and TP_RDN under either overflow policy;
 * decoding every format of 8 bits or fewer to binary32.  Everything else (and
 * every chunk holding a special input) goes to the reference kernels, which
 * define the result.
 *
 * No kernel reads or depends on MXCSR: the only floating-point operations use
 * embedded rounding with exceptions suppressed ({rn,rz,ru}-sae), and their
 * results are never subnormal (so FTZ cannot act) while a subnormal input
 * treated as zero by DAZ gives the same code and flags (see enc_vec).
 */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "internal.h"
#include "ref.h"

/* ------------------------------------------------------------------ encode
 *
 * Method ("magic add").  Let q = 2^(E - m) be the quantum of the format at
 * |x|, with E = max(floor(log2 |x|), emin), and M = 2^(E + 23 - m).  For
 * |x| < 2^(E+1) the binary32 sum y = M + |x| stays in M's binade, whose ulp
 * is exactly q, so the hardware rounds |x| to a multiple of q in the mode
 * requested by the embedded rounding: y = M + k q with k = round(|x| / q)
 * <= 2^(m+1), and bits(y) = bits(M) + k.  The magnitude code with an
 * unbounded exponent is ((E - emin) << m) + k (k >= 2^m carries the implicit
 * bit into the exponent field; for E = emin, k < 2^m is a subnormal code and
 * k = 2^m the smallest normal), hence code = bits(y) - G(E) with
 * G(E) = bits(M) - ((E - emin) << m).  M and G are looked up by the biased
 * binary32 exponent clamped below at emin (vpermi2d, index mod 32: needs
 * emax - emin < 32).  t = y - M is exact (Sterbenz), so the result is inexact
 * iff t != |x| (compared as integers).
 *
 * Overflow, Inf and NaN are not handled in the vector path at all: a chunk
 * is accepted only if every |x| is below `thr`, the smallest binary32
 * magnitude whose rounded code exceeds the largest finite code (computed per
 * mode below).  Otherwise the chunk is redone by the reference kernel.  For
 * unsigned formats the test is on the raw bits, so negative inputs (and -0)
 * also take the reference path.  Integers use the same sum with a constant
 * M = 2^(scale_exp + 23): k is the rounded integer magnitude.
 */

#define ENC_CHUNK 64

enum { RM_RNE, RM_RTZ, RM_RTO, RM_DIR };           /* vector rounding variants */
enum { SG_OR, SG_OR_NZ, SG_NEG, SG_NONE };         /* how the sign is applied */

typedef struct enc_par {
    __m512i tm0, tm1, tg0, tg1; /* M and G by (clamped biased exponent) mod 32 */
    __m512i kv;                 /* biased exponent of 2^emin (clamp) */
    __m512i kbits;              /* bits of 2^emin: |x| below it is tiny */
    __m512i thr;                /* first magnitude (or raw bits) that needs the reference */
    __m512i smask;              /* sign bit of the code, or the code mask for integers */
    int sshift;                 /* 31 - sign position */
    int away_neg;               /* RM_DIR: lanes rounded away from zero are the negative ones */
} enc_par;

static uint32_t f32_bits(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/* bits of v, which must be exactly representable in binary32 */
static uint32_t exact_bits(double v)
{
    return f32_bits((float)v);
}

/*
 * Threshold for a largest rounded magnitude `lim` (value of the largest
 * finite code, or of the integer limit) with quantum q there; `lim_odd` is
 * the parity of its code.  The smallest |x| whose rounded magnitude exceeds
 * lim is: RNE lim + q/2 (a tie rounds to the even neighbour, so up iff lim is
 * odd); RTZ lim + q; RTO lim + q if lim's code is odd, else anything above
 * lim (its round-to-odd is lim's code + 1); directed rounding away from zero
 * anything above lim (the toward-zero lanes use the same, lower, bound).
 */
static uint32_t overflow_thr(double lim, double q, int lim_odd, int mode)
{
    switch (mode) {
    case RM_RNE: return exact_bits(lim + q / 2) + (lim_odd ? 0u : 1u);
    case RM_RTZ: return exact_bits(lim + q);
    case RM_RTO: return lim_odd ? exact_bits(lim + q) : exact_bits(lim) + 1u;
    default: return exact_bits(lim) + 1u;
    }
}

static int rnd_mode(tp_round rnd)
{
    switch (rnd) {
    case TP_RNE: return RM_RNE;
    case TP_RTZ: return RM_RTZ;
    case TP_RTO: return RM_RTO;
    case TP_RUP:
    case TP_RDN: return RM_DIR;
    default: return -1;
    }
}

/* Fills e for (p, mode); returns the sign variant, or -1 if the vector path
 * does not apply. */
static int enc_setup(const tpi_fmt *p, int mode, tp_round rnd, enc_par *e)
{
    uint32_t tm[32], tg[32];
    const tp_format_desc *d = p->d;
    int sg;
    if (p->bits > 8 || mode < 0)
        return -1;
    e->away_neg = rnd == TP_RDN;
    if (p->is_int) {
        int sc = p->scale_exp;
        if (sc + 23 + 127 < 1 || sc + 23 + 127 > 254 || sc < -126)
            return -1;
        /* one magic constant: k = bits(|x| + 2^(sc+23)) - bits(2^(sc+23)),
         * valid while |x| < 2^(sc+24), which thr guarantees (lim < 2^16). */
        uint32_t mb = (uint32_t)(sc + 23 + 127) << 23;
        for (int i = 0; i < 32; i++)
            tm[i] = tg[i] = mb;
        int64_t lim = p->imax;
        if (d->sign) {
            if (-p->imin < lim)
                lim = -p->imin;
            sg = SG_NEG;
        } else {
            sg = SG_NONE;
        }
        e->kv = _mm512_setzero_si512();
        e->kbits = _mm512_setzero_si512(); /* integers never underflow */
        e->thr = _mm512_set1_epi32((int)overflow_thr(ldexp((double)lim, sc), ldexp(1.0, sc),
                                                     (int)(lim & 1), mode));
        e->smask = _mm512_set1_epi32((int)p->code_mask);
        e->sshift = 0;
    } else {
        int m = p->man, k = p->emin + 127;
        if (p->no_zero || m < 1 || m > 20 || p->emax - p->emin > 31 || k < 1 ||
            p->emax + 127 + 23 - m > 254)
            return -1;
        memset(tm, 0, sizeof tm);
        memset(tg, 0, sizeof tg);
        for (int i = k; i <= p->emax + 127; i++) {
            tm[i & 31] = (uint32_t)(i + 23 - m) << 23;
            tg[i & 31] = tm[i & 31] - ((uint32_t)(i - k) << m);
        }
        uint64_t mm = p->max_mag;
        double v = ldexp((double)((UINT64_C(1) << m) | (mm & ((UINT64_C(1) << m) - 1))),
                         p->emax - m);
        if ((mm >> m) == 0)
            return -1; /* largest value subnormal: not a built-in case */
        e->kv = _mm512_set1_epi32(k);
        e->kbits = _mm512_set1_epi32((int)((uint32_t)k << 23));
        e->thr = _mm512_set1_epi32((int)overflow_thr(v, ldexp(1.0, p->emax - m), (int)(mm & 1),
                                                     mode));
        if (!d->sign) {
            sg = SG_NONE;
            e->smask = _mm512_setzero_si512();
            e->sshift = 0;
        } else {
            sg = d->nan == TP_NAN_NEGZERO || !p->has_negzero ? SG_OR_NZ : SG_OR;
            e->smask = _mm512_set1_epi32((int)(1u << p->sign_shift));
            e->sshift = 31 - p->sign_shift;
        }
    }
    e->tm0 = _mm512_loadu_si512(tm);
    e->tm1 = _mm512_loadu_si512(tm + 16);
    e->tg0 = _mm512_loadu_si512(tg);
    e->tg1 = _mm512_loadu_si512(tg + 16);
    return sg;
}

#define TPI_INLINE static inline __attribute__((always_inline))

TPI_INLINE __m512 add_mode(__m512 a, __m512 b, int rm)
{
    switch (rm) {
    case RM_RNE: return _mm512_add_round_ps(a, b, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    case RM_DIR: return _mm512_add_round_ps(a, b, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC);
    default: return _mm512_add_round_ps(a, b, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    }
}

/*
 * 16 elements.  rm, sg and fl are constants after inlining.  fl: accumulate
 * inexact (OR of t ^ |x|, nonzero iff inexact) into *ai and the same on tiny
 * lanes into *au.
 * MXCSR independence: y, M and t are normal or +0, so FTZ never acts, and
 * the embedded rounding overrides MXCSR.RC.  Under DAZ a binary32 subnormal
 * |x| reads as 0 in the additions, giving y = M and k = 0; that is the right
 * code for RNE, RTZ and toward-zero lanes (every accepted format's quantum is
 * far above 2^-126), and inexactness is still seen because t = 0 is compared
 * with |x| as integers: RTO then sets the low bit, and away-from-zero lanes
 * of RUP/RDN are moved to k = 1 explicitly (below).
 */
TPI_INLINE __m512i enc_vec(const enc_par *e, __m512i x, int rm, int sg, int fl, __m512i *vmax,
                           __m512i *ai, __m512i *au)
{
    const __m512i abs = _mm512_set1_epi32(0x7FFFFFFF);
    __m512i a = _mm512_and_si512(x, abs);
    __m512i idx = _mm512_max_epu32(_mm512_srli_epi32(a, 23), e->kv);
    __m512i mi = _mm512_permutex2var_epi32(e->tm0, idx, e->tm1);
    __m512 af = _mm512_castsi512_ps(a), mf = _mm512_castsi512_ps(mi);
    __m512 y;
    if (rm == RM_DIR) {
        __mmask16 neg = _mm512_movepi32_mask(x);
        __mmask16 away = e->away_neg ? neg : (__mmask16)~neg;
        __m512 yz = add_mode(af, mf, RM_RTZ);
        __m512 yu = add_mode(af, mf, RM_DIR);
        y = _mm512_mask_blend_ps(away, yz, yu);
    } else {
        y = add_mode(af, mf, rm);
    }
    __m512i code = _mm512_sub_epi32(_mm512_castps_si512(y),
                                    _mm512_permutex2var_epi32(e->tg0, idx, e->tg1));
    if (fl || rm == RM_RTO || rm == RM_DIR) {
        __m512i t = _mm512_castps_si512(
            _mm512_sub_round_ps(y, mf, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        if (rm == RM_RTO)
            code = _mm512_mask_or_epi32(code, _mm512_cmpneq_epi32_mask(t, a), code,
                                        _mm512_set1_epi32(1));
        if (rm == RM_DIR) {
            /* Under DAZ a subnormal |x| reads as 0 and yu = M; an away lane
             * must then still move to k = 1.  Only such lanes have k == 0
             * and t != |x| when rounding away. */
            __mmask16 neg = _mm512_movepi32_mask(x);
            __mmask16 away = e->away_neg ? neg : (__mmask16)~neg;
            __mmask16 fix = away & _mm512_cmpneq_epi32_mask(t, a) &
                            _mm512_cmpeq_epi32_mask(t, _mm512_setzero_si512());
            code = _mm512_mask_add_epi32(code, fix, code, _mm512_set1_epi32(1));
        }
        if (fl) {
            /* *ai |= t ^ |x| (nonzero iff inexact); *au likewise on tiny lanes */
            *ai = _mm512_ternarylogic_epi32(*ai, t, a, 0xF6);
            *au = _mm512_mask_ternarylogic_epi32(*au, _mm512_cmplt_epu32_mask(a, e->kbits), t, a,
                                                 0xF6);
        }
    }
    switch (sg) {
    case SG_OR:
        code = _mm512_ternarylogic_epi32(code, _mm512_srlv_epi32(x, _mm512_set1_epi32(e->sshift)),
                                         e->smask, 0xF8);
        break;
    case SG_OR_NZ:
        code = _mm512_mask_ternarylogic_epi32(
            code, _mm512_test_epi32_mask(code, code),
            _mm512_srlv_epi32(x, _mm512_set1_epi32(e->sshift)), e->smask, 0xF8);
        break;
    case SG_NEG:
        code = _mm512_and_si512(
            _mm512_mask_sub_epi32(code, _mm512_movepi32_mask(x), _mm512_setzero_si512(), code),
            e->smask);
        break;
    default:
        break;
    }
    *vmax = _mm512_max_epu32(*vmax, sg == SG_NONE ? x : a);
    return code;
}

/* 64 codes of dword lanes (each 0..255) to 64 bytes in order. */
TPI_INLINE __m512i pack64(__m512i c0, __m512i c1, __m512i c2, __m512i c3)
{
    const __m512i ord = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    __m512i b = _mm512_packus_epi16(_mm512_packus_epi32(c0, c1), _mm512_packus_epi32(c2, c3));
    return _mm512_permutexvar_epi32(ord, b);
}

TPI_INLINE void enc_chunk(const enc_par *e, const float *s, int rm, int sg, int fl,
                          __m512i *vmax, __m512i *ai, __m512i *au, __m512i *packed)
{
    __m512i c0 = enc_vec(e, _mm512_loadu_si512(s), rm, sg, fl, vmax, ai, au);
    __m512i c1 = enc_vec(e, _mm512_loadu_si512(s + 16), rm, sg, fl, vmax, ai, au);
    __m512i c2 = enc_vec(e, _mm512_loadu_si512(s + 32), rm, sg, fl, vmax, ai, au);
    __m512i c3 = enc_vec(e, _mm512_loadu_si512(s + 48), rm, sg, fl, vmax, ai, au);
    *packed = pack64(c0, c1, c2, c3);
}

TPI_INLINE void enc_run(const tpi_fmt *p, const enc_par *e, const float *src, uint8_t *dst,
                        size_t n, tp_round rnd, tp_overflow ovf, unsigned *flags, int rm, int sg)
{
    const __m512i zero = _mm512_setzero_si512();
    __m512i gi = zero, gu = zero;
    int need = 1; /* flags still unknown */
    size_t i = 0;
    for (; i + ENC_CHUNK <= n; i += ENC_CHUNK) {
        __m512i vmax = zero, ci = zero, cu = zero, packed;
        if (need)
            enc_chunk(e, src + i, rm, sg, 1, &vmax, &ci, &cu, &packed);
        else
            enc_chunk(e, src + i, rm, sg, 0, &vmax, &ci, &cu, &packed);
        if (_mm512_cmpge_epu32_mask(vmax, e->thr) != 0) {
            /* a special, overflowing or (unsigned format) negative input */
            tpi_ref_enc_f32(p, src + i, dst + i, ENC_CHUNK, rnd, ovf, NULL, flags);
            continue;
        }
        _mm512_storeu_si512(dst + i, packed);
        if (need) {
            gi = _mm512_or_si512(gi, ci);
            gu = _mm512_or_si512(gu, cu);
            if (_mm512_test_epi32_mask(gu, gu) != 0 || (p->is_int && _mm512_test_epi32_mask(gi, gi)))
                need = 0; /* every flag the vector path can raise is known */
        }
    }
    unsigned f = 0;
    if (_mm512_test_epi32_mask(gi, gi))
        f |= TP_FLAG_INEXACT;
    if (_mm512_test_epi32_mask(gu, gu))
        f |= TP_FLAG_UNDERFLOW | TP_FLAG_INEXACT;
    *flags |= f;
    if (i < n)
        tpi_ref_enc_f32(p, src + i, dst + i, n - i, rnd, ovf, NULL, flags);
}

static void enc_small_avx512(const tpi_fmt *p, const float *src, void *dst, size_t n,
                             tp_round rnd, tp_overflow ovf, const tp_sr *sr, unsigned *flags)
{
    enc_par e;
    int rm = rnd_mode(rnd);
    int sg = n >= ENC_CHUNK ? enc_setup(p, rm, rnd, &e) : -1;
    uint8_t *o = (uint8_t *)dst;
    if (sg < 0) {
        tpi_ref_enc_f32(p, src, dst, n, rnd, ovf, sr, flags);
        return;
    }
#define TPI_ENC_SG(RM)                                                          \
    switch (sg) {                                                               \
    case SG_OR: enc_run(p, &e, src, o, n, rnd, ovf, flags, RM, SG_OR); break;   \
    case SG_OR_NZ: enc_run(p, &e, src, o, n, rnd, ovf, flags, RM, SG_OR_NZ); break; \
    case SG_NEG: enc_run(p, &e, src, o, n, rnd, ovf, flags, RM, SG_NEG); break; \
    default: enc_run(p, &e, src, o, n, rnd, ovf, flags, RM, SG_NONE); break;    \
    }
    switch (rm) {
    case RM_RNE: TPI_ENC_SG(RM_RNE) break;
    case RM_RTZ: TPI_ENC_SG(RM_RTZ) break;
    case RM_RTO: TPI_ENC_SG(RM_RTO) break;
    default: TPI_ENC_SG(RM_DIR) break;
    }
#undef TPI_ENC_SG
}

/* ------------------------------------------------------------------ decode
 *
 * Every finite value of a format of 8 bits or fewer has at most 5
 * significant bits (e3m4: 1 + 4) or, for the integers, 8; every NaN keeps at
 * most 4 payload bits.  So each decoded binary32 has its low 16 bits zero and
 * is given by two bytes, bits 31..24 (H) and 23..16 (L).  The installer
 * builds, for every such format, byte tables H[c], L[c] from the reference
 * decoder itself (tpi_ref_decode1_f32), and checks the zero low half, so the
 * vector decode is exact by construction.  The kernel looks H and L up with
 * vpermb / vpermi2b and interleaves them into dwords with a zero-masked
 * vpermt2b.
 *
 * Table shapes (chosen and verified by the installer):
 *  TAB64   codes < 64 (FP4, FP6, int4, uint4): one vpermb per byte plane.
 *  TAB128S code c >= 128 is code c-128 with the sign bit: H |= c & 0x80,
 *          L unchanged; optionally "fixed" codes (FNUZ 0x80, or every code
 *          >= 0x80 of UE4M3) get constant H, L.
 *  TAB256  anything else (E8M0, int8, mxint8): two vpermi2b and a blend on
 *          bit 7.
 * Flags: only a fixed set of codes may raise flags (all codes >= 0x80, UE4M3
 * invalid); the kernel ORs the codes and tests bit 7.
 */
enum { TAB_NONE, TAB64, TAB128S, TAB256 };
enum { FIX_NONE, FIX_CODE, FIX_HIGH };

typedef struct dec_tab {
    int shape, fix;
    uint8_t fix_code, fix_h, fix_l;
    unsigned fix_flags;
    uint8_t h[256], l[256];
} dec_tab;

/* Written once by tpi_install_avx512 (inside the dispatcher's pthread_once),
 * read-only afterwards. */
static dec_tab tpi_avx512_dec[TP_FORMAT_COUNT];

static void dec_build(int f)
{
    dec_tab *t = &tpi_avx512_dec[f];
    tpi_fmt p;
    uint32_t r[256];
    unsigned fl[256];
    tpi_fmt_init(&p, tp_format_get((tp_format)f));
    memset(t, 0, sizeof *t);
    if (p.bits > 8)
        return;
    unsigned nc = 1u << p.bits;
    for (unsigned c = 0; c < 256; c++) {
        fl[c] = 0;
        r[c] = 0;
        if (c < nc)
            r[c] = f32_bits(tpi_ref_decode1_f32(&p, c, &fl[c]));
        if (r[c] & 0xFFFF)
            return;
    }
    for (unsigned c = 0; c < 256; c++) {
        t->h[c] = (uint8_t)(r[c] >> 24);
        t->l[c] = (uint8_t)(r[c] >> 16);
    }
    if (nc <= 64) {
        for (unsigned c = 0; c < nc; c++)
            if (fl[c])
                return;
        t->shape = TAB64;
        return;
    }
    /* TAB128S with the fixes: find which high codes break the sign rule */
    unsigned bad = 0, badc = 0, fxf = 0, good_flags = 1;
    for (unsigned c = 0; c < 128; c++)
        if (fl[c])
            good_flags = 0;
    for (unsigned c = 128; c < 256; c++) {
        int ok = c < nc && t->h[c] == (t->h[c - 128] | 0x80) && t->l[c] == t->l[c - 128] &&
                 fl[c] == 0;
        if (!ok) {
            bad++;
            badc = c;
        }
    }
    if (good_flags && bad == 0) {
        t->shape = TAB128S;
        return;
    }
    if (good_flags && bad == 1 && badc < nc) {
        t->shape = TAB128S;
        t->fix = FIX_CODE;
        t->fix_code = (uint8_t)badc;
        t->fix_h = t->h[badc];
        t->fix_l = t->l[badc];
        if (fl[badc])
            t->shape = TAB_NONE; /* not needed by any built-in format */
        return;
    }
    if (good_flags && nc == 256) {
        int same = 1;
        fxf = fl[128];
        for (unsigned c = 128; c < 256; c++)
            if (r[c] != r[128] || fl[c] != fxf)
                same = 0;
        if (same) {
            t->shape = TAB128S;
            t->fix = FIX_HIGH;
            t->fix_h = t->h[128];
            t->fix_l = t->l[128];
            t->fix_flags = fxf;
            return;
        }
    }
    for (unsigned c = 0; c < 256; c++)
        if (fl[c])
            return;
    t->shape = TAB256;
}

/* Interleave indices: dword q of output group j takes byte 2 = L[16j+q] and
 * byte 3 = H[16j+q] (index bit 6 selects the second table); bytes 0 and 1
 * are zeroed by the mask.  Built once by the installer (building them on the
 * stack per call cost a store-forwarding stall per vector). */
static uint8_t tpi_avx512_ilv[4][64] __attribute__((aligned(64)));

static void dec_interleave_build(void)
{
    for (int j = 0; j < 4; j++) {
        for (int q = 0; q < 16; q++) {
            tpi_avx512_ilv[j][4 * q] = tpi_avx512_ilv[j][4 * q + 1] = 0;
            tpi_avx512_ilv[j][4 * q + 2] = (uint8_t)(16 * j + q);
            tpi_avx512_ilv[j][4 * q + 3] = (uint8_t)(64 + 16 * j + q);
        }
    }
}

TPI_INLINE void dec_run(const tpi_fmt *p, const dec_tab *t, const uint8_t *src, float *dst,
                        size_t n, unsigned *flags, int shape, int fix)
{
    __m512i h0 = _mm512_loadu_si512(t->h), h1 = _mm512_loadu_si512(t->h + 64);
    __m512i h2 = _mm512_loadu_si512(t->h + 128), h3 = _mm512_loadu_si512(t->h + 192);
    __m512i l0 = _mm512_loadu_si512(t->l), l1 = _mm512_loadu_si512(t->l + 64);
    __m512i l2 = _mm512_loadu_si512(t->l + 128), l3 = _mm512_loadu_si512(t->l + 192);
    const __m512i sbit = _mm512_set1_epi8((char)0x80);
    const __m512i fc = _mm512_set1_epi8((char)t->fix_code);
    const __m512i fh = _mm512_set1_epi8((char)t->fix_h), fl = _mm512_set1_epi8((char)t->fix_l);
    const __mmask64 kz = 0xCCCCCCCCCCCCCCCCull;
    __m512i acc = _mm512_setzero_si512(), ix[4];
    size_t i = 0;
    for (int j = 0; j < 4; j++)
        ix[j] = _mm512_load_si512(tpi_avx512_ilv[j]);
    for (; i + 64 <= n; i += 64) {
        __m512i c = _mm512_loadu_si512(src + i), hv, lv;
        if (shape == TAB64) {
            hv = _mm512_permutexvar_epi8(c, h0);
            lv = _mm512_permutexvar_epi8(c, l0);
        } else if (shape == TAB128S) {
            hv = _mm512_permutex2var_epi8(h0, c, h1);
            lv = _mm512_permutex2var_epi8(l0, c, l1);
            hv = _mm512_ternarylogic_epi32(hv, c, sbit, 0xF8); /* H | (c & 0x80) */
            if (fix != FIX_NONE) {
                __mmask64 k = fix == FIX_CODE ? _mm512_cmpeq_epi8_mask(c, fc)
                                              : _mm512_movepi8_mask(c);
                hv = _mm512_mask_mov_epi8(hv, k, fh);
                lv = _mm512_mask_mov_epi8(lv, k, fl);
            }
        } else {
            __mmask64 k = _mm512_movepi8_mask(c);
            hv = _mm512_mask_blend_epi8(k, _mm512_permutex2var_epi8(h0, c, h1),
                                        _mm512_permutex2var_epi8(h2, c, h3));
            lv = _mm512_mask_blend_epi8(k, _mm512_permutex2var_epi8(l0, c, l1),
                                        _mm512_permutex2var_epi8(l2, c, l3));
        }
        if (fix == FIX_HIGH)
            acc = _mm512_or_si512(acc, c);
        _mm512_storeu_si512(dst + i, _mm512_maskz_permutex2var_epi8(kz, lv, ix[0], hv));
        _mm512_storeu_si512(dst + i + 16, _mm512_maskz_permutex2var_epi8(kz, lv, ix[1], hv));
        _mm512_storeu_si512(dst + i + 32, _mm512_maskz_permutex2var_epi8(kz, lv, ix[2], hv));
        _mm512_storeu_si512(dst + i + 48, _mm512_maskz_permutex2var_epi8(kz, lv, ix[3], hv));
    }
    if (fix == FIX_HIGH && _mm512_movepi8_mask(acc) != 0)
        *flags |= t->fix_flags;
    if (i < n)
        tpi_ref_dec_f32(p, src + i, dst + i, n - i, flags);
}

static void dec_small_avx512(const tpi_fmt *p, const void *src, float *dst, size_t n,
                             unsigned *flags)
{
    int f = tpi_builtin_index(p->d);
    const dec_tab *t = f >= 0 ? &tpi_avx512_dec[f] : NULL;
    const uint8_t *s = (const uint8_t *)src;
    if (t == NULL || t->shape == TAB_NONE || n < 64) {
        tpi_ref_dec_f32(p, src, dst, n, flags);
        return;
    }
    switch (t->shape) {
    case TAB64: dec_run(p, t, s, dst, n, flags, TAB64, FIX_NONE); break;
    case TAB256: dec_run(p, t, s, dst, n, flags, TAB256, FIX_NONE); break;
    default:
        switch (t->fix) {
        case FIX_NONE: dec_run(p, t, s, dst, n, flags, TAB128S, FIX_NONE); break;
        case FIX_CODE: dec_run(p, t, s, dst, n, flags, TAB128S, FIX_CODE); break;
        default: dec_run(p, t, s, dst, n, flags, TAB128S, FIX_HIGH); break;
        }
    }
}

void tpi_install_avx512(tpi_kernels *k)
{
    dec_interleave_build();
    for (int f = 0; f < TP_FORMAT_COUNT; f++) {
        const tp_format_desc *d = tp_format_get((tp_format)f);
        if (d->bits > 8)
            continue;
        k->enc_f32[f] = enc_small_avx512;
        dec_build(f);
        if (tpi_avx512_dec[f].shape != TAB_NONE)
            k->dec_f32[f] = dec_small_avx512;
    }
}
