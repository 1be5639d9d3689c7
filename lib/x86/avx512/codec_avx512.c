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
#include "../codec_common.h"
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
 *
 * Packing and sign.  The magnitude codes (dword lanes, each < 2^sign_shift)
 * of 64 elements are gathered into 64 bytes by two vpermt2b (byte 0 of each
 * dword) and a blend; the signs likewise (byte 3 of each input, whose bit 7
 * is the sign), shifted right by 7 - sign_shift as 16-bit lanes and masked
 * to the sign bit, so no bit crosses into a neighbouring byte.  The sign is
 * then applied once per 64 codes: OR (formats with -0), OR where the code is
 * nonzero (no -0: a result that rounds to zero is +0), or two's complement
 * negation masked to the code width (integers: the same as negating the
 * dword and masking, since the code width is <= 8).
 *
 * Flags, cheap form (RNE and RTZ of float formats, "FL_LOW").  For a lane
 * with 2^emin <= |x| < thr (so emin <= E <= emax) the quantum 2^(E-m) is
 * 2^(23-m) binary32 ulps of |x|, so |x| is exact iff its low 23-m bits are
 * zero: the kernel ORs a & (2^(23-m) - 1) (integer ops, MXCSR plays no
 * part).  A zero lane is exact and has those bits zero too.  Only tiny lanes
 * (0 < |x| < 2^emin) are not covered (they may be inexact with those bits
 * zero, and they alone raise underflow).  Per chunk of 64, a byte test on
 * bits 30..24 of the inputs (gathered with the signs) flags every lane
 * whose exponent field is at most 2 floor((kv - 1) / 2) + 1, a superset of
 * the tiny lanes that also holds the zeros; only then are the 64 inputs
 * tested exactly (min(|x| - 1) < 2^emin - 1, unsigned), and if a tiny lane
 * is there the chunk's flags are recomputed with the exact form below.  Once inexact is known only
 * the tiny test remains ("FL_TINY").  Exact form ("FL_FULL"): the
 * t != |x| test above on every lane, and the same on tiny lanes for
 * underflow.  Once underflow is seen (it implies inexact), and for integers
 * once inexact is seen, no flag work is done at all ("FL_NONE").
 */

#define ENC_CHUNK 64

enum { SG_OR, SG_OR_NZ, SG_NEG, SG_NONE };         /* how the sign is applied */
enum { FL_NONE, FL_TINY, FL_LOW, FL_FULL };       /* flag work per element */

/* Per-format constants, built once by the installer (computing them per
 * call cost several ldexp calls and store-forwarding stalls). */
typedef struct enc_tab {
    uint32_t tm[32] __attribute__((aligned(64))), tg[32]; /* M and G by (clamped biased exponent) mod 32 */
    uint32_t kv;               /* biased exponent of 2^emin (clamp) */
    uint32_t kbits;            /* bits of 2^emin: |x| below it is tiny (0: integers) */
    uint32_t low;              /* 2^(23-m) - 1 (floats) */
    uint32_t thr[4];           /* per RM_*: first magnitude (or raw bits) that needs the reference */
    uint8_t smask;             /* sign bit of the code, or the code mask for integers */
    int sshift;                /* 7 - sign position (byte-level shift of the sign) */
    int sg;                    /* SG_*, or -1: no vector path */
} enc_tab;

static enc_tab tpi_avx512_enc[TP_FORMAT_COUNT] __attribute__((aligned(64)));

typedef struct enc_par {
    __m512i tm0, tm1, tg0, tg1;
    __m512i kv, kbits, low, thr;
    int away_neg;              /* RM_DIR: lanes rounded away from zero are the negative ones */
} enc_par;


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

/* Fills tpi_avx512_enc[f]; sg = -1 if the vector path does not apply. */
static void enc_build(int f)
{
    enc_tab *e = &tpi_avx512_enc[f];
    const tp_format_desc *d = tp_format_get((tp_format)f);
    tpi_fmt p;
    tpi_fmt_init(&p, d);
    memset(e, 0, sizeof *e);
    e->sg = -1;
    if (p.bits > 8)
        return;
    if (p.is_int) {
        int sc = p.scale_exp;
        if (sc + 23 + 127 < 1 || sc + 23 + 127 > 254 || sc < -126)
            return;
        /* one magic constant: k = bits(|x| + 2^(sc+23)) - bits(2^(sc+23)),
         * valid while |x| < 2^(sc+24), which thr guarantees (lim < 2^16). */
        uint32_t mb = (uint32_t)(sc + 23 + 127) << 23;
        for (int i = 0; i < 32; i++)
            e->tm[i] = e->tg[i] = mb;
        int64_t lim = p.imax;
        if (d->sign) {
            if (-p.imin < lim)
                lim = -p.imin;
        }
        for (int mode = 0; mode < 4; mode++)
            e->thr[mode] = overflow_thr(ldexp((double)lim, sc), ldexp(1.0, sc), (int)(lim & 1), mode);
        e->smask = (uint8_t)p.code_mask;
        e->sshift = 0;
        e->sg = d->sign ? SG_NEG : SG_NONE;
    } else {
        int m = p.man, k = p.emin + 127;
        if (p.no_zero || m < 1 || m > 20 || p.emax - p.emin > 31 || k < 1 ||
            p.emax + 127 + 23 - m > 254)
            return;
        uint64_t mm = p.max_mag;
        if ((mm >> m) == 0)
            return; /* largest value subnormal: not a built-in case */
        for (int i = k; i <= p.emax + 127; i++) {
            e->tm[i & 31] = (uint32_t)(i + 23 - m) << 23;
            e->tg[i & 31] = e->tm[i & 31] - ((uint32_t)(i - k) << m);
        }
        double v = ldexp((double)((UINT64_C(1) << m) | (mm & ((UINT64_C(1) << m) - 1))),
                         p.emax - m);
        e->kv = (uint32_t)k;
        e->kbits = (uint32_t)k << 23;
        e->low = (UINT32_C(1) << (23 - m)) - 1;
        for (int mode = 0; mode < 4; mode++)
            e->thr[mode] = overflow_thr(v, ldexp(1.0, p.emax - m), (int)(mm & 1), mode);
        if (!d->sign) {
            e->sg = SG_NONE;
        } else {
            if (p.sign_shift > 7)
                return;
            e->sg = d->nan == TP_NAN_NEGZERO || !p.has_negzero ? SG_OR_NZ : SG_OR;
            e->smask = (uint8_t)(1u << p.sign_shift);
            e->sshift = 7 - p.sign_shift;
        }
    }
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
 * 16 elements: the magnitude codes.  rm, sg and fl are constants after
 * inlining.  FL_FULL: accumulate inexact (OR of t ^ |x|, nonzero iff
 * inexact) into *ai and the same on tiny lanes into *au.  FL_LOW: *ai |=
 * |x| & low (see the method above; the tiny test is done per chunk).
 * MXCSR independence: y, M and t are normal or +0, so FTZ never acts, and
 * the embedded rounding overrides MXCSR.RC.  Under DAZ a binary32 subnormal
 * |x| reads as 0 in the additions, giving y = M and k = 0; that is the right
 * code for RNE, RTZ and toward-zero lanes (every accepted format's quantum is
 * far above 2^-126), and inexactness is still seen because t = 0 is compared
 * with |x| as integers (FL_LOW: such a lane is tiny, so its chunk's flags
 * are recomputed in the FL_FULL form): RTO then sets the low bit, and
 * away-from-zero lanes of RUP/RDN are moved to k = 1 explicitly (below).
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
    if (fl == FL_FULL || rm == RM_RTO || rm == RM_DIR) {
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
        if (fl == FL_FULL) {
            /* *ai |= t ^ |x| (nonzero iff inexact); *au likewise on tiny lanes */
            *ai = _mm512_ternarylogic_epi32(*ai, t, a, 0xF6);
            *au = _mm512_mask_ternarylogic_epi32(*au, _mm512_cmplt_epu32_mask(a, e->kbits), t, a,
                                                 0xF6);
        }
    }
    if (fl == FL_LOW)
        *ai = _mm512_ternarylogic_epi32(*ai, a, e->low, 0xF8); /* ai | (a & low) */
    *vmax = _mm512_max_epu32(*vmax, sg == SG_NONE ? x : a);
    return code;
}

/* Byte gather indices: entry j (mod 32) is 4j + b, b = 0 (codes) or 3
 * (signs); built once by the installer. */
static uint8_t tpi_avx512_gix[2][64] __attribute__((aligned(64)));

static void gather_build(void)
{
    for (int j = 0; j < 64; j++) {
        tpi_avx512_gix[0][j] = (uint8_t)(4 * (j & 31));
        tpi_avx512_gix[1][j] = (uint8_t)(4 * (j & 31) + 3);
    }
}

/* Byte b of each dword of v0..v3, in order (64 bytes). */
TPI_INLINE __m512i gather64(__m512i v0, __m512i v1, __m512i v2, __m512i v3, __m512i ix)
{
    return _mm512_mask_blend_epi8(0xFFFFFFFF00000000ull, _mm512_permutex2var_epi8(v0, ix, v1),
                                  _mm512_permutex2var_epi8(v2, ix, v3));
}

/* 64 elements: the codes in 64 bytes.  With FL_TINY or FL_LOW, *kc gets
 * the lanes whose binary32 exponent field is at most 2k' + 1 with
 * k' = (kv - 1) >> 1, from bits 30..24 of the input: a superset of the
 * tiny lanes (exponent field < kv), which also holds the zeros. */
TPI_INLINE __m512i enc_chunk(const enc_par *e, const enc_tab *et, const float *s, int rm, int sg,
                             int fl, __m512i ix0, __m512i ix3, __m512i *vmax, __m512i *ai,
                             __m512i *au, __mmask64 *kc)
{
    __m512i x0 = _mm512_loadu_si512(s), x1 = _mm512_loadu_si512(s + 16);
    __m512i x2 = _mm512_loadu_si512(s + 32), x3 = _mm512_loadu_si512(s + 48);
    __m512i c0 = enc_vec(e, x0, rm, sg, fl, vmax, ai, au);
    __m512i c1 = enc_vec(e, x1, rm, sg, fl, vmax, ai, au);
    __m512i c2 = enc_vec(e, x2, rm, sg, fl, vmax, ai, au);
    __m512i c3 = enc_vec(e, x3, rm, sg, fl, vmax, ai, au);
    __m512i c = gather64(c0, c1, c2, c3, ix0);
    if (sg == SG_NONE && fl != FL_TINY && fl != FL_LOW)
        return c;
    __m512i sb = gather64(x0, x1, x2, x3, ix3); /* bit 7: sign; bits 6..0: exponent >> 1 */
    if (fl == FL_TINY || fl == FL_LOW)
        *kc = _mm512_cmple_epu8_mask(_mm512_and_si512(sb, _mm512_set1_epi8(0x7F)),
                                     _mm512_set1_epi8((char)((et->kv - 1) >> 1)));
    const __m512i sm = _mm512_set1_epi8((char)et->smask);
    switch (sg) {
    case SG_OR:
        if (et->sshift)
            sb = _mm512_srli_epi16(sb, (unsigned)et->sshift);
        return _mm512_ternarylogic_epi32(c, sb, sm, 0xF8); /* c | (sb & sm) */
    case SG_OR_NZ:
        if (et->sshift)
            sb = _mm512_srli_epi16(sb, (unsigned)et->sshift);
        return _mm512_mask_mov_epi8(c, _mm512_test_epi8_mask(c, c),
                                    _mm512_ternarylogic_epi32(c, sb, sm, 0xF8));
    case SG_NEG:
        c = _mm512_mask_sub_epi8(c, _mm512_movepi8_mask(sb), _mm512_setzero_si512(), c);
        return _mm512_and_si512(c, sm);
    default:
        return c;
    }
}

/* Nonzero if some of the 64 inputs at s is tiny: 0 < |x| < 2^emin, i.e.
 * |x| - 1 < kbits - 1 as unsigned integers. */
TPI_INLINE int any_tiny(const enc_par *e, const float *s)
{
    const __m512i abs = _mm512_set1_epi32(0x7FFFFFFF), one = _mm512_set1_epi32(1);
    __m512i m = _mm512_set1_epi32(-1);
    for (int j = 0; j < 64; j += 16)
        m = _mm512_min_epu32(m, _mm512_sub_epi32(_mm512_and_si512(_mm512_loadu_si512(s + j), abs),
                                                 one));
    return _mm512_cmplt_epu32_mask(m, _mm512_sub_epi32(e->kbits, one)) != 0;
}

/* One chunk at src[0..63] with flag form fl; returns 0 if it was stored,
 * 1 if it needs the reference.  ORs the chunk's inexact/underflow
 * accumulators into *gi, *gu (fl != FL_NONE). */
TPI_INLINE int enc_step(const enc_par *e, const enc_tab *et, const float *src, uint8_t *dst,
                        int rm, int sg, int fl, __m512i ix0, __m512i ix3, __m512i *gi,
                        __m512i *gu)
{
    const __m512i zero = _mm512_setzero_si512();
    __m512i vmax = zero, ci = zero, cu = zero, packed;
    __mmask64 kc = 0;
    packed = enc_chunk(e, et, src, rm, sg, fl, ix0, ix3, &vmax, &ci, &cu, &kc);
    if ((fl == FL_TINY || fl == FL_LOW) && kc != 0 && any_tiny(e, src)) {
        /* a tiny lane: exact flags for this chunk */
        __m512i v2 = zero;
        ci = zero;
        packed = enc_chunk(e, et, src, rm, sg, FL_FULL, ix0, ix3, &v2, &ci, &cu, &kc);
    }
    if (_mm512_cmpge_epu32_mask(vmax, e->thr) != 0)
        return 1; /* a special, overflowing or (unsigned format) negative input */
    _mm512_storeu_si512(dst, packed);
    if (fl != FL_NONE) {
        *gi = _mm512_or_si512(*gi, ci);
        *gu = _mm512_or_si512(*gu, cu);
    }
    return 0;
}

/*
 * Three phases, each a tight loop: while inexact is unknown (flags FL_LOW,
 * or FL_FULL where FL_LOW does not apply), while only underflow is unknown
 * (FL_TINY or FL_FULL; integers never underflow, so they skip it), then no
 * flag work (FL_NONE).  Chunks that need the reference go to it in place.
 */
TPI_INLINE void enc_run(const tpi_fmt *p, const enc_par *e, const enc_tab *et, const float *src,
                        uint8_t *dst, size_t n, tp_round rnd, tp_overflow ovf, unsigned *flags,
                        int rm, int sg)
{
    const __m512i ix0 = _mm512_load_si512(tpi_avx512_gix[0]);
    const __m512i ix3 = _mm512_load_si512(tpi_avx512_gix[1]);
    /* FL_LOW needs the tiny test and t-free inexactness: floats, RNE/RTZ */
    const int low_ok = !p->is_int && (rm == RM_RNE || rm == RM_RTZ);
    __m512i gi = _mm512_setzero_si512(), gu = gi;
    size_t i = 0;
#define TPI_ENC_REF()                                                         \
    tpi_ref_enc_f32(p, src + i, dst + i, ENC_CHUNK, rnd, ovf, NULL, flags)
    /* phase 1: inexact (and underflow) unknown */
    for (; i + ENC_CHUNK <= n; i += ENC_CHUNK) {
        int r = low_ok ? enc_step(e, et, src + i, dst + i, rm, sg, FL_LOW, ix0, ix3, &gi, &gu)
                       : enc_step(e, et, src + i, dst + i, rm, sg, FL_FULL, ix0, ix3, &gi, &gu);
        if (r)
            TPI_ENC_REF();
        else if (_mm512_test_epi32_mask(gi, gi) != 0 || _mm512_test_epi32_mask(gu, gu) != 0) {
            i += ENC_CHUNK;
            break;
        }
    }
    /* phase 2: underflow unknown (floats only) */
    if (!p->is_int && _mm512_test_epi32_mask(gu, gu) == 0) {
        for (; i + ENC_CHUNK <= n; i += ENC_CHUNK) {
            int r = low_ok ? enc_step(e, et, src + i, dst + i, rm, sg, FL_TINY, ix0, ix3, &gi, &gu)
                           : enc_step(e, et, src + i, dst + i, rm, sg, FL_FULL, ix0, ix3, &gi, &gu);
            if (r)
                TPI_ENC_REF();
            else if (_mm512_test_epi32_mask(gu, gu) != 0) {
                i += ENC_CHUNK;
                break;
            }
        }
    }
    /* phase 3: every flag the vector path can raise is known */
    for (; i + ENC_CHUNK <= n; i += ENC_CHUNK)
        if (enc_step(e, et, src + i, dst + i, rm, sg, FL_NONE, ix0, ix3, &gi, &gu))
            TPI_ENC_REF();
#undef TPI_ENC_REF
    unsigned f = 0;
    if (_mm512_test_epi32_mask(gi, gi))
        f |= TP_FLAG_INEXACT;
    if (_mm512_test_epi32_mask(gu, gu))
        f |= TP_FLAG_UNDERFLOW | TP_FLAG_INEXACT;
    *flags |= f;
    if (i < n)
        tpi_ref_enc_f32(p, src + i, dst + i, n - i, rnd, ovf, NULL, flags);
}

static const tp_format_desc *tpi_avx512_base; /* descriptor of built-in format 0 */

/* The built-in index of d (kernels are only installed for built-ins). */
static int builtin_of(const tp_format_desc *d)
{
    uintptr_t o = (uintptr_t)d - (uintptr_t)tpi_avx512_base;
    if (o % sizeof *d == 0 && o / sizeof *d < TP_FORMAT_COUNT)
        return (int)(o / sizeof *d);
    return -1;
}

static void enc_small_avx512(const tpi_fmt *p, const float *src, void *dst, size_t n,
                             tp_round rnd, tp_overflow ovf, const tp_sr *sr, unsigned *flags)
{
    enc_par e;
    int rm = rnd_mode(rnd);
    int f = builtin_of(p->d);
    const enc_tab *et = f >= 0 ? &tpi_avx512_enc[f] : NULL;
    uint8_t *o = (uint8_t *)dst;
    if (et == NULL || et->sg < 0 || rm < 0 || n < ENC_CHUNK) {
        tpi_ref_enc_f32(p, src, dst, n, rnd, ovf, sr, flags);
        return;
    }
    int sg = et->sg;
    e.tm0 = _mm512_loadu_si512(et->tm);
    e.tm1 = _mm512_loadu_si512(et->tm + 16);
    e.tg0 = _mm512_loadu_si512(et->tg);
    e.tg1 = _mm512_loadu_si512(et->tg + 16);
    e.kv = _mm512_set1_epi32((int)et->kv);
    e.kbits = _mm512_set1_epi32((int)et->kbits);
    e.low = _mm512_set1_epi32((int)et->low);
    e.thr = _mm512_set1_epi32((int)et->thr[rm]);
    e.away_neg = rnd == TP_RDN;
#define TPI_ENC_SG(RM)                                                                  \
    switch (sg) {                                                                       \
    case SG_OR: enc_run(p, &e, et, src, o, n, rnd, ovf, flags, RM, SG_OR); break;       \
    case SG_OR_NZ: enc_run(p, &e, et, src, o, n, rnd, ovf, flags, RM, SG_OR_NZ); break; \
    case SG_NEG: enc_run(p, &e, et, src, o, n, rnd, ovf, flags, RM, SG_NEG); break;     \
    default: enc_run(p, &e, et, src, o, n, rnd, ovf, flags, RM, SG_NONE); break;        \
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
 * vpermb / vpermi2b and interleaves them into dwords with in-lane unpacks
 * (L,H bytes into words, then zero,word into dwords), after one vpermb that
 * pre-permutes the codes so that the results come out in order (cheaper on
 * Zen 4 than four vpermt2b interleaves).
 *
 * Table shapes (chosen and verified by the installer):
 *  TAB64   codes < 64 (FP4, FP6, int4, uint4): one vpermb per byte plane.
 *  TAB128S code c >= 128 is code c-128 with the sign bit: H |= c & 0x80,
 *          L unchanged; optionally "fixed" codes (FNUZ 0x80, or every code
 *          >= 0x80 of UE4M3) get constant H, L.
 *  ICVT    8-bit two's complement integers times 2^scale_exp (int8, mxint8):
 *          vpmovsxbd and vcvtdq2ps, then (scale_exp != 0) a multiplication
 *          by 2^scale_exp, both with embedded round-to-nearest and
 *          exceptions suppressed.  Exact: |v| <= 128 < 2^24, and |v| 2^sc
 *          is a normal binary32 or zero for the accepted sc (-100..100), so
 *          neither rounding nor FTZ acts, and DAZ does not apply (integer
 *          source, normal factor).  The installer compares all 256 results
 *          with the reference table before choosing this shape.
 *  TAB256H as TAB256 for L, while H[c] = c >> 1 for every code (E8M0, whose
 *          value bits are c << 23 apart from codes 0x00 and 0xFF, which
 *          differ only in L) is computed: a 16-bit shift and a mask.
 *  TAB256  anything else: two vpermi2b and a blend on
 *          bit 7.
 * Flags: only a fixed set of codes may raise flags (all codes >= 0x80, UE4M3
 * invalid); the kernel ORs the codes and tests bit 7.
 */
enum { TAB_NONE, TAB64, TAB128S, TAB256, ICVT, TAB256H };
enum { FIX_NONE, FIX_CODE, FIX_HIGH };

typedef struct dec_tab {
    int shape, fix;
    uint8_t fix_code, fix_h, fix_l;
    unsigned fix_flags;
    float scale;               /* ICVT: 2^scale_exp */
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
    unsigned bad = 0, badc = 0, good_flags = 1;
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
        unsigned fxf = fl[128];
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
    {
        int hs = 1;
        for (unsigned c = 0; c < 256; c++)
            if (t->h[c] != (uint8_t)(c >> 1))
                hs = 0;
        if (hs)
            t->shape = TAB256H;
    }
    if (p.is_int && p.bits == 8 && p.d->sign && p.scale_exp >= -100 && p.scale_exp <= 100) {
        /* the vector ICVT computation, checked on every code */
        int same = 1;
        float sc = (float)ldexp(1.0, p.scale_exp);
        for (unsigned c = 0; c < 256; c++) {
            __m512 v = _mm512_cvt_roundepi32_ps(_mm512_set1_epi32((int8_t)c),
                                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            v = _mm512_mul_round_ps(v, _mm512_set1_ps(sc),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            if ((uint32_t)_mm_cvtsi128_si32(_mm512_castsi512_si128(_mm512_castps_si512(v))) != r[c])
                same = 0;
        }
        if (same) {
            t->shape = ICVT;
            t->scale = sc;
        }
    }
}

/* Pre-permutation of the 64 codes so that the in-lane interleave below
 * emits the results in order: byte 16L + 4g + q (lane L, group g) takes
 * code 16g + 4L + q.  Built once by the installer. */
static uint8_t tpi_avx512_pre[64] __attribute__((aligned(64)));

static void dec_interleave_build(void)
{
    for (int L = 0; L < 4; L++)
        for (int g = 0; g < 4; g++)
            for (int q = 0; q < 4; q++)
                tpi_avx512_pre[16 * L + 4 * g + q] = (uint8_t)(16 * g + 4 * L + q);
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
    const __m512i pre = _mm512_load_si512(tpi_avx512_pre), zero = _mm512_setzero_si512();
    __m512i acc = zero;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        /* permuted codes: the lookups and fixes are per byte, so only the
         * positions change (see tpi_avx512_pre) */
        __m512i c = _mm512_permutexvar_epi8(pre, _mm512_loadu_si512(src + i)), hv, lv;
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
        } else if (shape == TAB256H) {
            __mmask64 k = _mm512_movepi8_mask(c);
            hv = _mm512_and_si512(_mm512_srli_epi16(c, 1), _mm512_set1_epi8(0x7F)); /* c >> 1 */
            lv = _mm512_mask_blend_epi8(k, _mm512_permutex2var_epi8(l0, c, l1),
                                        _mm512_permutex2var_epi8(l2, c, l3));
        } else {
            __mmask64 k = _mm512_movepi8_mask(c);
            hv = _mm512_mask_blend_epi8(k, _mm512_permutex2var_epi8(h0, c, h1),
                                        _mm512_permutex2var_epi8(h2, c, h3));
            lv = _mm512_mask_blend_epi8(k, _mm512_permutex2var_epi8(l0, c, l1),
                                        _mm512_permutex2var_epi8(l2, c, l3));
        }
        if (fix == FIX_HIGH)
            acc = _mm512_or_si512(acc, c);
        /* words L | H << 8 per lane, then dwords with them on top */
        __m512i w0 = _mm512_unpacklo_epi8(lv, hv), w1 = _mm512_unpackhi_epi8(lv, hv);
        _mm512_storeu_si512(dst + i, _mm512_unpacklo_epi16(zero, w0));
        _mm512_storeu_si512(dst + i + 16, _mm512_unpackhi_epi16(zero, w0));
        _mm512_storeu_si512(dst + i + 32, _mm512_unpacklo_epi16(zero, w1));
        _mm512_storeu_si512(dst + i + 48, _mm512_unpackhi_epi16(zero, w1));
    }
    if (fix == FIX_HIGH && _mm512_movepi8_mask(acc) != 0)
        *flags |= t->fix_flags;
    if (i < n)
        tpi_ref_dec_f32(p, src + i, dst + i, n - i, flags);
}

/* ICVT shape (see above); scaled: multiply by t->scale. */
TPI_INLINE void dec_icvt(const tpi_fmt *p, const dec_tab *t, const uint8_t *src, float *dst,
                         size_t n, unsigned *flags, int scaled)
{
    const __m512 sc = _mm512_set1_ps(t->scale);
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        for (int j = 0; j < 64; j += 16) {
            __m512i v = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(src + i + j)));
            __m512 f = _mm512_cvt_roundepi32_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            if (scaled)
                f = _mm512_mul_round_ps(f, sc, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            _mm512_storeu_ps(dst + i + j, f);
        }
    }
    if (i < n)
        tpi_ref_dec_f32(p, src + i, dst + i, n - i, flags);
}

static void dec_small_avx512(const tpi_fmt *p, const void *src, float *dst, size_t n,
                             unsigned *flags)
{
    int f = builtin_of(p->d);
    const dec_tab *t = f >= 0 ? &tpi_avx512_dec[f] : NULL;
    const uint8_t *s = (const uint8_t *)src;
    if (t == NULL || t->shape == TAB_NONE || n < 64) {
        tpi_ref_dec_f32(p, src, dst, n, flags);
        return;
    }
    switch (t->shape) {
    case TAB64: dec_run(p, t, s, dst, n, flags, TAB64, FIX_NONE); break;
    case TAB256: dec_run(p, t, s, dst, n, flags, TAB256, FIX_NONE); break;
    case TAB256H: dec_run(p, t, s, dst, n, flags, TAB256H, FIX_NONE); break;
    case ICVT:
        if (t->scale == 1.0f)
            dec_icvt(p, t, s, dst, n, flags, 0);
        else
            dec_icvt(p, t, s, dst, n, flags, 1);
        break;
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
    /* The tables are built from the reference's binary32 results, and the
     * first call (which installs the kernels) may run with FTZ/DAZ set:
     * e8m0 0x00 decodes to the binary32 subnormal 2^-127, which FTZ would
     * flush.  Build them under the default MXCSR and restore the caller's
     * (status bits included). */
    unsigned int csr = _mm_getcsr();
    _mm_setcsr(0x1F80);
    tpi_avx512_base = tp_format_get((tp_format)0);
    dec_interleave_build();
    gather_build();
    for (int f = 0; f < TP_FORMAT_COUNT; f++) {
        const tp_format_desc *d = tp_format_get((tp_format)f);
        if (d->bits > 8)
            continue;
        enc_build(f);
        k->enc_f32[f] = enc_small_avx512;
        dec_build(f);
        if (tpi_avx512_dec[f].shape != TAB_NONE)
            k->dec_f32[f] = dec_small_avx512;
    }
    _mm_setcsr(csr);
}
