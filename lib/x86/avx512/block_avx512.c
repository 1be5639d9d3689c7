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

#define DEQ_ALIGN 64
#include "../block_common.h"

#define TPI_INLINE static inline __attribute__((always_inline))
#define RN_SAE (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

/* ------------------------------------------------------------------ quantise
 *
 * The blocks of a call are taken 16 at a time (a group; the last one may be
 * shorter).
 *
 * 1. amax.  Each block's 32 |x| (binary32 bits, sign cleared) are folded to
 *    16 lanes with vpmaxud; the 16 vectors of a group are then reduced
 *    together by a tree of 15 merges, each two shuffles and a vpmaxud
 *    (vshufi32x4 twice, then vpunpck{l,h}qdq, then vshufps), which leaves
 *    block k + 4j in lane 4k + j; one vpermd restores block order.  As
 *    unsigned integers the bits of finite |x| order like their values.
 *
 * 2. Shared exponent, for the 16 blocks in lanes.  For a normal amax
 *    (2^-126 <= amax < 2^128, bits A), amax = sig * 2^(E - 150) with E =
 *    A >> 23 and sig = (A & 0x7FFFFF) | 2^23 in [2^23, 2^24), so
 *    floor(log2 amax) = E - 127 and e = E - 127 - emax plus the rule's
 *    correction (the same comparisons of sig as the reference's shared_exp),
 *    clamped to [-127, 127].  The scale bytes e + 127 of the group are
 *    stored at once.  A block takes the vector path of step 3 only if its
 *    amax is normal (zero, subnormal, Inf and NaN blocks fail; so does a
 *    block holding a NaN, whose bits exceed every finite value's) and its
 *    constants satisfy the bounds of step 3 (Kb >= m + 2 and max(E, Kb) +
 *    23 - m <= 254); the other blocks are redone by the reference, which
 *    rewrites their scale byte and elements.
 *
 * 3. Elements ("magic add" at the block's scale, as in codec_avx512.c).
 *    Let m be the element's fraction bits, emin its smallest normal
 *    exponent, Kexp = emin + e (the element's 2^emin scaled by 2^e) with
 *    biased field Kb = Kexp + 127, and Kf = Kb << 23.  For a lane with
 *    binary32 exponent field F (a = |x|, EX = a & 0x7F800000), let G =
 *    max(F - 127, Kexp): the element quantum at |x| / 2^e, times 2^e, is
 *    q = 2^(G - m).  D = max(EX - Kf, 0), computed by vpsubusw (the low
 *    16 bits of EX and Kf are zero, so the unsigned saturating subtraction
 *    of the high halves is the 32-bit max(EX - Kf, 0)), is (G - Kexp) << 23,
 * *    and M = D + Kf + ((23 - m) << 23) + 2^22 is the binary32
 *    1.5 * 2^(G + 23 - m), whose binade [2^(G+23-m), 2^(G+24-m)) has ulp q.
 *    Since |x| < 2^(G+1) < 2^(G+22-m) (m <= 3), the binary32 sum t = x + M
 *    of the signed x stays inside that binade, so one addition with
 *    embedded RNE rounds x to a multiple of q with ties to even (bits(M) is
 *    even, so the parity of bits(t) is that of the multiple): t = M + j q
 *    with j = RNE(x / q), |j| <= 2^(m+1), and bits(t) - bits(M) = j as a
 *    signed integer.  RNE is symmetric, so |j| = RNE(|x| / q), and the
 *    magnitude code with an unbounded exponent is
 *        code = |j| + ((G - Kexp) << m) = |j| + (D >> (23 - m)):
 *    for G = Kexp, |j| < 2^m is a subnormal code and 2^m the smallest
 *    normal; for G > Kexp, |j| in [2^m, 2^(m+1)] carries the implicit bit
 *    into the exponent field, and 2^(m+1) is the next binade.  This is the
 *    reference's RNE of the exact x * 2^-e.  Every code is below 256 (the
 *    scaled values are below 2^(emax+2)).
 *    Bounds: M must be finite, max(F, Kb) + 24 - m <= 255 (F <= amax's E);
 *    and Kb >= m + 2, so that q >= 2^-125.  Then M, t and r = t - M (exact
 *    by Sterbenz: 0 or a multiple of q) are normal or zero, so FTZ never
 *    acts, and the embedded rounding ({rn-sae}) overrides MXCSR.RC and
 *    raises nothing.  Under DAZ a binary32 subnormal x reads as 0; since
 *    |x| < 2^-126 < q/2 both give t = M, so the code is the same, and the
 *    flags below compare integer bits, which DAZ does not touch.
 *    Saturation: codes above the largest finite magnitude become it
 *    (TP_OVF_SAT) with OVERFLOW|INEXACT.  Rounding is monotone in |x|, so a
 *    block saturates iff its amax does: step 2 runs the same rounding on
 *    the 16 amax lanes (with M = 2^(G+23-m) and t - M = j, the same j) for
 *    the flag, and the elements take a byte-wise minimum.
 *    Flags of an element: inexact iff |r| != |x| (as integers); underflow
 *    iff inexact and |x| < 2^Kexp (as integers: below Kf).  Such a lane has
 *    a code <= 2^m, so once INEXACT is set only blocks with such a code
 *    (zeros among them) are examined for UNDERFLOW.  The masks are ORed
 *    and tested once per group, and skipped once both flags are set.
 *    Sign: every element format here has -0, so the sign of x is ORed into
 *    the code (a result that rounds to zero keeps its sign).
 *
 * 4. Packing.  vpermt2b gathers byte 0 of the 32 lanes of j and of h,
 *    and byte 3 of the 32 inputs (bit 7: the sign), into bytes; the code
 *    is |j| + h (vpabsb, vpaddb; below 256), saturated by vpminub, and the
 *    sign is moved to the element's sign bit by a 16-bit shift and masked
 *    (no other bit of the shifted byte can land on the sign bit).  FP4
 *    gathers the even elements into bytes 0..15 and the odd ones into
 *    16..31; the odd half, shifted left by 4 as 16-bit lanes (the codes are
 *    below 16, so no bit crosses a byte), is ORed onto the even half.
 */

/* Flags still to find in a group: none, UNDERFLOW only, or all. */
enum { FL_NONE, FL_UNDER, FL_ALL };

/* Per-group block constants, in block order, and the padded last group. */
typedef struct qgrp {
    uint32_t kf[16] __attribute__((aligned(64)));
    uint32_t kfc[16] __attribute__((aligned(64)));
    float pad[16 * BS] __attribute__((aligned(64)));
    __mmask16 good;
} qgrp;

TPI_INLINE __m512i fold_block(const float *x)
{
    const __m512i abs = _mm512_set1_epi32(0x7FFFFFFF);
    return _mm512_max_epu32(_mm512_and_si512(_mm512_loadu_si512((const void *)x), abs),
                            _mm512_and_si512(_mm512_loadu_si512((const void *)(x + 16)), abs));
}

/* The merges of the amax tree: two shuffles and a vpmaxud each. */
TPI_INLINE __m512i merge1(__m512i a, __m512i b) /* 128-bit chunks 0,1 of a; 0,1 of b */
{
    return _mm512_max_epu32(_mm512_shuffle_i32x4(a, b, 0x44), _mm512_shuffle_i32x4(a, b, 0xEE));
}

TPI_INLINE __m512i merge2(__m512i a, __m512i b) /* chunks 0,2 of a; 0,2 of b */
{
    return _mm512_max_epu32(_mm512_shuffle_i32x4(a, b, 0x88), _mm512_shuffle_i32x4(a, b, 0xDD));
}

TPI_INLINE __m512i merge3(__m512i a, __m512i b) /* qwords 0 of a, b in each chunk */
{
    return _mm512_max_epu32(_mm512_unpacklo_epi64(a, b), _mm512_unpackhi_epi64(a, b));
}

TPI_INLINE __m512i merge4(__m512i a, __m512i b) /* dwords 0, 2 of a, b in each chunk */
{
    __m512 fa = _mm512_castsi512_ps(a), fb = _mm512_castsi512_ps(b);
    return _mm512_max_epu32(_mm512_castps_si512(_mm512_shuffle_ps(fa, fb, 0x88)),
                            _mm512_castps_si512(_mm512_shuffle_ps(fa, fb, 0xDD)));
}

/* The amax bits of the 16 blocks at x, block b in lane b. */
TPI_INLINE __m512i group_amax(const float *x)
{
    __m512i q0 = merge2(merge1(fold_block(x), fold_block(x + BS)),
                        merge1(fold_block(x + 2 * BS), fold_block(x + 3 * BS)));
    __m512i q1 = merge2(merge1(fold_block(x + 4 * BS), fold_block(x + 5 * BS)),
                        merge1(fold_block(x + 6 * BS), fold_block(x + 7 * BS)));
    __m512i q2 = merge2(merge1(fold_block(x + 8 * BS), fold_block(x + 9 * BS)),
                        merge1(fold_block(x + 10 * BS), fold_block(x + 11 * BS)));
    __m512i q3 = merge2(merge1(fold_block(x + 12 * BS), fold_block(x + 13 * BS)),
                        merge1(fold_block(x + 14 * BS), fold_block(x + 15 * BS)));
    /* qk: chunk c holds block 4k + c; r: lanes 0,1 of chunk c block c (+8),
     * lanes 2,3 block 4 + c (+8); v: lane 4c + j holds block c + 4j */
    __m512i v = merge4(merge3(q0, q1), merge3(q2, q3));
    const __m512i tr = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    return _mm512_permutexvar_epi32(tr, v);
}

/* Steps 3 and 4 for one block of an element format with m fraction bits,
 * the sign at bit ss, and nib = FP4 packing: writes its 32 codes (16 bytes
 * for FP4) at out, and ORs the inexact and underflow lanes into *ki, *ku as
 * fl asks, for a block with keep = 0xFFFF (keep = 0: a block the reference
 * redoes; its flags are not taken).  kfc1 = bits of 1.5 * 2^(Kexp+23-m). */
TPI_INLINE void quant_block(const float *x, uint32_t kf1, uint32_t kfc1, uint8_t *out,
                            __mmask16 keep, __mmask16 *ki, __mmask16 *ku, const int m,
                            const int ss, const int nib, const unsigned maxmag, const int fl)
{
    const __m512i abs = _mm512_set1_epi32(0x7FFFFFFF), expm = _mm512_set1_epi32(0x7F800000);
    const int s = 23 - m;
    __m512i kf = _mm512_set1_epi32((int)kf1), kfc = _mm512_set1_epi32((int)kfc1);
    __m512i x0 = _mm512_loadu_si512((const void *)x), x1 = _mm512_loadu_si512((const void *)(x + 16));
    __m512i d0 = _mm512_subs_epu16(_mm512_and_si512(x0, expm), kf);
    __m512i d1 = _mm512_subs_epu16(_mm512_and_si512(x1, expm), kf);
    __m512i m0 = _mm512_add_epi32(d0, kfc), m1 = _mm512_add_epi32(d1, kfc);
    __m512 t0 = _mm512_add_round_ps(_mm512_castsi512_ps(x0), _mm512_castsi512_ps(m0), RN_SAE);
    __m512 t1 = _mm512_add_round_ps(_mm512_castsi512_ps(x1), _mm512_castsi512_ps(m1), RN_SAE);
    __m512i j0 = _mm512_sub_epi32(_mm512_castps_si512(t0), m0); /* RNE(x / q), signed */
    __m512i j1 = _mm512_sub_epi32(_mm512_castps_si512(t1), m1);
    __m512i h0 = _mm512_srli_epi32(d0, (unsigned)s), h1 = _mm512_srli_epi32(d1, (unsigned)s);
    /* byte 0 of each lane, and byte 3 of each input lane (its sign bit 7):
     * elements in order, or for FP4 the even elements, then the odd ones */
    const __m512i idx0 = nib ? _mm512_setr_epi32(0x18100800, 0x38302820, 0x58504840, 0x78706860,
                                                 0x1C140C04, 0x3C342C24, 0x5C544C44, 0x7C746C64,
                                                 0, 0, 0, 0, 0, 0, 0, 0)
                             : _mm512_setr_epi32(0x0C080400, 0x1C181410, 0x2C282420, 0x3C383430,
                                                 0x4C484440, 0x5C585450, 0x6C686460, 0x7C787470,
                                                 0, 0, 0, 0, 0, 0, 0, 0);
    const __m512i idx3 = _mm512_add_epi8(idx0, _mm512_set1_epi8(3));
    __m256i jb = _mm512_castsi512_si256(_mm512_permutex2var_epi8(j0, idx0, j1));
    __m256i hb = _mm512_castsi512_si256(_mm512_permutex2var_epi8(h0, idx0, h1));
    __m256i sb = _mm512_castsi512_si256(_mm512_permutex2var_epi8(x0, idx3, x1));
    __m256i cb = _mm256_add_epi8(_mm256_abs_epi8(jb), hb); /* magnitude codes */
    if (fl == FL_ALL) {
        __m512i a0 = _mm512_and_si512(x0, abs), a1 = _mm512_and_si512(x1, abs);
        __m512i r0 = _mm512_and_si512(
            _mm512_castps_si512(_mm512_sub_round_ps(t0, _mm512_castsi512_ps(m0), RN_SAE)), abs);
        __m512i r1 = _mm512_and_si512(
            _mm512_castps_si512(_mm512_sub_round_ps(t1, _mm512_castsi512_ps(m1), RN_SAE)), abs);
        __mmask16 i0 = _mm512_mask_cmpneq_epi32_mask(keep, r0, a0);
        __mmask16 i1 = _mm512_mask_cmpneq_epi32_mask(keep, r1, a1);
        *ki |= (__mmask16)(i0 | i1);
        *ku |= (__mmask16)(_mm512_mask_cmplt_epu32_mask(i0, a0, kf) |
                           _mm512_mask_cmplt_epu32_mask(i1, a1, kf));
    } else if (fl == FL_UNDER) {
        /* a lane with a < 2^Kexp has a code <= 2^m (zeros among them) */
        if (keep && _mm256_cmple_epu8_mask(cb, _mm256_set1_epi8((char)(1 << m))) != 0) {
            __m512i a0 = _mm512_and_si512(x0, abs), a1 = _mm512_and_si512(x1, abs);
            __m512i r0 = _mm512_and_si512(
                _mm512_castps_si512(_mm512_sub_round_ps(t0, _mm512_castsi512_ps(m0), RN_SAE)), abs);
            __m512i r1 = _mm512_and_si512(
                _mm512_castps_si512(_mm512_sub_round_ps(t1, _mm512_castsi512_ps(m1), RN_SAE)), abs);
            *ku |= (__mmask16)(
                _mm512_mask_cmpneq_epi32_mask(_mm512_cmplt_epu32_mask(a0, kf), r0, a0) |
                _mm512_mask_cmpneq_epi32_mask(_mm512_cmplt_epu32_mask(a1, kf), r1, a1));
        }
    }
    cb = _mm256_min_epu8(cb, _mm256_set1_epi8((char)maxmag));
    if (ss != 7)
        sb = _mm256_srli_epi16(sb, 7 - ss);
    cb = _mm256_ternarylogic_epi32(cb, sb, _mm256_set1_epi8((char)(1u << ss)), 0xF8);
    if (nib) /* code 2i | code 2i+1 << 4 (the codes are below 16) */
        _mm_storeu_si128((__m128i *)(void *)out,
                         _mm_or_si128(_mm256_castsi256_si128(cb),
                                      _mm_slli_epi16(_mm256_extracti128_si256(cb, 1), 4)));
    else
        _mm256_storeu_si256((__m256i *)(void *)out, cb);
}

static void ref_quant_block(const tpi_blk *k, const float *src, size_t blk, float ts,
                            uint8_t *scales, void *elems, tp_scale_rule rule, tp_round rnd,
                            const tp_sr *sr, unsigned *flags)
{
    tpi_ref_block_quant1(k, src + blk * (size_t)k->bs, blk, scales, elems, ts, rule, rnd,
                         rnd == TP_RSR ? sr : NULL, flags);
}

/* Steps 1 and 2 for the nb blocks at x (nb <= 16): the scale bytes, the
 * block constants and the good mask in *g, and OVERFLOW|INEXACT in *f if a
 * good block saturates. */
TPI_INLINE void group_stage(const tpi_blk *k, const float *x, int nb, tp_scale_rule rule,
                            uint8_t *scales, qgrp *g, unsigned *f, const int m)
{
    const tpi_fmt *p = &k->ef;
    const __mmask16 live = (__mmask16)((1u << nb) - 1);
    if (nb < 16) { /* the last group: its blocks, then zeros */
        memset(g->pad, 0, sizeof g->pad);
        memcpy(g->pad, x, (size_t)nb * BS * sizeof(float));
        x = g->pad;
    }
    __m512i amax = group_amax(x);
    /* e per lane; the rule's correction compares the fraction bits
     * (sig - 2^23) with the threshold's */
    __m512i fr = _mm512_and_si512(amax, _mm512_set1_epi32(0x7FFFFF));
    __m512i eb = _mm512_srli_epi32(amax, 23); /* biased exponent of amax */
    __m512i e = _mm512_sub_epi32(eb, _mm512_set1_epi32(127 + k->emax));
    __mmask16 up = 0;
    switch (rule) {
    case TP_SCALE_FLOOR: break;
    case TP_SCALE_RCEIL:
        up = _mm512_cmpgt_epu32_mask(fr, _mm512_set1_epi32((int)(k->max_sig & 0x7FFFFFu)));
        break;
    case TP_SCALE_CEIL: up = _mm512_test_epi32_mask(fr, fr); break;
    case TP_SCALE_EVEN:
        up = _mm512_cmpge_epu32_mask(
            fr, _mm512_set1_epi32(
                    (int)(((UINT32_C(1) << 24) - (UINT32_C(1) << (22 - k->mfrac))) & 0x7FFFFFu)));
        break;
    }
    e = _mm512_mask_add_epi32(e, up, e, _mm512_set1_epi32(1));
    e = _mm512_min_epi32(_mm512_max_epi32(e, _mm512_set1_epi32(-127)), _mm512_set1_epi32(127));
    __m512i kb = _mm512_add_epi32(e, _mm512_set1_epi32(p->emin + 127));
    __mmask16 good = _mm512_mask_cmplt_epu32_mask(
        live, _mm512_sub_epi32(amax, _mm512_set1_epi32(0x00800000)), _mm512_set1_epi32(0x7F000000));
    good &= _mm512_cmpge_epi32_mask(kb, _mm512_set1_epi32(m + 2));
    good &= _mm512_cmple_epi32_mask(_mm512_max_epi32(kb, eb), _mm512_set1_epi32(254 - 23 + m));
    __m512i kf = _mm512_slli_epi32(kb, 23);
    __m512i kfc = _mm512_add_epi32(kf, _mm512_set1_epi32((23 - m) << 23));
    _mm512_store_si512((void *)g->kf, kf);
    _mm512_store_si512((void *)g->kfc, _mm512_add_epi32(kfc, _mm512_set1_epi32(0x400000)));
    g->good = good;
    _mm_mask_storeu_epi8(scales, live, _mm512_cvtepi32_epi8(_mm512_add_epi32(e, _mm512_set1_epi32(127))));
    /* saturation in the group: step 3 on the amax lanes */
    __m512i dd = _mm512_subs_epu16(_mm512_and_si512(amax, _mm512_set1_epi32(0x7F800000)), kf);
    __m512i mm = _mm512_add_epi32(dd, kfc);
    __m512i t = _mm512_castps_si512(
        _mm512_add_round_ps(_mm512_castsi512_ps(amax), _mm512_castsi512_ps(mm), RN_SAE));
    __m512i c = _mm512_add_epi32(_mm512_sub_epi32(t, mm), _mm512_srli_epi32(dd, (unsigned)(23 - m)));
    if (_mm512_mask_cmpgt_epu32_mask(good, c, _mm512_set1_epi32((int)p->max_mag)))
        *f |= TP_FLAG_OVERFLOW | TP_FLAG_INEXACT;
}

/* The RNE kernel of one element format (m, ss, nib as in quant_block).
 * Steps 1-2 of the next group are issued before steps 3-4 of the current
 * one, so that the out-of-order core overlaps the amax tree's latency with
 * independent work. */
TPI_INLINE void quant_rne(const tpi_blk *k, const float *src, size_t nblk, float ts,
                          uint8_t *scales, void *elems, tp_scale_rule rule, unsigned *flags,
                          const int m, const int ss, const int nib)
{
    const unsigned maxmag = (unsigned)k->ef.max_mag;
    unsigned f = *flags;
    uint8_t *out = (uint8_t *)elems;
    const size_t bpb = nib ? BS / 2 : BS; /* bytes per block */
    qgrp g[2];
    if (nblk == 0)
        return;
    group_stage(k, src, nblk < 16 ? (int)nblk : 16, rule, scales, &g[0], &f, m);
    for (size_t g0 = 0, gi = 0; g0 < nblk; g0 += 16, gi ^= 1) {
        int nb = nblk - g0 < 16 ? (int)(nblk - g0) : 16;
        const float *x = src + g0 * BS;
        if (g0 + 16 < nblk) {
            size_t n1 = nblk - g0 - 16;
            group_stage(k, x + 16 * BS, n1 < 16 ? (int)n1 : 16, rule, scales + g0 + 16, &g[gi ^ 1],
                        &f, m);
        }
        const qgrp *gc = &g[gi];
        /* every block; those not good are then redone by the reference */
        __mmask16 ki = 0, ku = 0;
        int fl = !(f & TP_FLAG_INEXACT) ? FL_ALL : !(f & TP_FLAG_UNDERFLOW) ? FL_UNDER : FL_NONE;
        for (int b = 0; b < nb; b++) {
            const float *xb = x + BS * b;
            uint8_t *ob = out + (g0 + (size_t)b) * bpb;
            __mmask16 keep = (__mmask16)(0u - ((gc->good >> b) & 1u));
            if (fl == FL_ALL)
                quant_block(xb, gc->kf[b], gc->kfc[b], ob, keep, &ki, &ku, m, ss, nib, maxmag,
                            FL_ALL);
            else if (fl == FL_UNDER)
                quant_block(xb, gc->kf[b], gc->kfc[b], ob, keep, &ki, &ku, m, ss, nib, maxmag,
                            FL_UNDER);
            else
                quant_block(xb, gc->kf[b], gc->kfc[b], ob, keep, &ki, &ku, m, ss, nib, maxmag,
                            FL_NONE);
        }
        if (ki)
            f |= TP_FLAG_INEXACT;
        if (ku)
            f |= TP_FLAG_UNDERFLOW | TP_FLAG_INEXACT;
        unsigned live = (1u << nb) - 1;
        for (unsigned bad = live & ~(unsigned)gc->good; bad != 0; bad &= bad - 1)
            ref_quant_block(k, src, g0 + (size_t)__builtin_ctz(bad), ts, scales, elems, rule,
                            TP_RNE, NULL, &f);
    }
    *flags = f;
}

static void quant_e4m3(const tpi_blk *k, const float *src, size_t nblk, float ts,
                       uint8_t *scales, void *elems, tp_scale_rule rule, unsigned *flags)
{
    quant_rne(k, src, nblk, ts, scales, elems, rule, flags, 3, 7, 0);
}

static void quant_e5m2(const tpi_blk *k, const float *src, size_t nblk, float ts,
                       uint8_t *scales, void *elems, tp_scale_rule rule, unsigned *flags)
{
    quant_rne(k, src, nblk, ts, scales, elems, rule, flags, 2, 7, 0);
}

static void quant_e2m3(const tpi_blk *k, const float *src, size_t nblk, float ts,
                       uint8_t *scales, void *elems, tp_scale_rule rule, unsigned *flags)
{
    quant_rne(k, src, nblk, ts, scales, elems, rule, flags, 3, 5, 0);
}

static void quant_e3m2(const tpi_blk *k, const float *src, size_t nblk, float ts,
                       uint8_t *scales, void *elems, tp_scale_rule rule, unsigned *flags)
{
    quant_rne(k, src, nblk, ts, scales, elems, rule, flags, 2, 5, 0);
}

static void quant_e2m1(const tpi_blk *k, const float *src, size_t nblk, float ts,
                       uint8_t *scales, void *elems, tp_scale_rule rule, unsigned *flags)
{
    quant_rne(k, src, nblk, ts, scales, elems, rule, flags, 1, 3, 1);
}

static void quant_mx_avx512(const tpi_blk *k, const float *src, size_t nblk, float ts,
                            uint8_t *scales, void *elems, tp_scale_rule rule, tp_round rnd,
                            const tp_sr *sr, unsigned *flags)
{
    if (rnd == TP_RNE && k->bs == BS) {
        switch (k->fmt) {
        case TP_BLOCK_MXFP8_E4M3: quant_e4m3(k, src, nblk, ts, scales, elems, rule, flags); return;
        case TP_BLOCK_MXFP8_E5M2: quant_e5m2(k, src, nblk, ts, scales, elems, rule, flags); return;
        case TP_BLOCK_MXFP6_E2M3: quant_e2m3(k, src, nblk, ts, scales, elems, rule, flags); return;
        case TP_BLOCK_MXFP6_E3M2: quant_e3m2(k, src, nblk, ts, scales, elems, rule, flags); return;
        case TP_BLOCK_MXFP4: quant_e2m1(k, src, nblk, ts, scales, elems, rule, flags); return;
        default: break;
        }
    }
    for (size_t blk = 0; blk < nblk; blk++)
        ref_quant_block(k, src, blk, ts, scales, elems, rule, rnd, sr, flags);
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
 * subnormal with flags) go to the reference per block.  The table and its
 * builder (deq_tab, deq_tab_build) are in block_common.h.
 */

/* Written once by tpi_install_avx512_block (inside the dispatcher's
 * pthread_once), read-only afterwards. */
static deq_tab tpi_avx512_deq[TP_BLOCK_FORMAT_COUNT];

static void deq_build(int fmt)
{
    deq_tab_build(&tpi_avx512_deq[fmt], fmt, 0);
}

static void deq_mx_avx512(const tpi_blk *k, const uint8_t *scales, const void *elems,
                          size_t nblk, float ts, float *dst, unsigned *flags)
{
    const deq_tab *t = &tpi_avx512_deq[k->fmt];
    const uint8_t *in = (const uint8_t *)elems;
    if (deq_ref_call(t, k, scales, elems, nblk, ts, dst, flags))
        return;
    if (k->ebits == 4) {
        const __m512i tab = _mm512_load_si512((const void *)t->v);
        const __m512i nmask = _mm512_set1_epi64(0x0000000F0000000FLL);
        for (size_t blk = 0; blk < nblk; blk++) {
            if (deq_ref_scale(t, k, scales, elems, blk, ts, dst, flags))
                continue;
            unsigned sc = scales[blk];
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
        if (deq_ref_scale(t, k, scales, elems, blk, ts, dst, flags))
            continue;
        unsigned sc = scales[blk];
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
