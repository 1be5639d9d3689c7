/*
 * codec_avx2.c -- AVX2 codec kernels (AVX2 + FMA + F16C; integer ops only).
 *
 * Encoding binary32 -> every float format of 8 bits or fewer except E8M0,
 * for TP_RNE, TP_RTZ and TP_RTO under either overflow policy; decoding every
 * format of 8 bits or fewer to binary32.  Everything else (and every chunk
 * holding a special input) goes to the reference kernels, which define the
 * result.  No floating-point instruction is used, so MXCSR plays no part.
 */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "internal.h"
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

enum { RM_RNE, RM_RTZ, RM_RTO };
enum { SG_OR, SG_OR_NZ, SG_NONE };

typedef struct enc_par {
    __m256i k, s_plus_k, kbits, thr, smask, sshift;
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

/* Smallest |x| whose rounded magnitude exceeds lim (quantum q there; lim_odd:
 * parity of lim's code).  RNE: lim + q/2, a tie going up iff lim is odd;
 * RTZ: lim + q; RTO: lim + q if lim is odd, else just above lim. */
static uint32_t overflow_thr(double lim, double q, int lim_odd, int mode)
{
    switch (mode) {
    case RM_RNE: return exact_bits(lim + q / 2) + (lim_odd ? 0u : 1u);
    case RM_RTZ: return exact_bits(lim + q);
    default: return lim_odd ? exact_bits(lim + q) : exact_bits(lim) + 1u;
    }
}

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
 * A gather from a 256-entry table of binary32 bits built by the installer
 * with the reference decoder itself (tpi_ref_decode1_f32), so the result is
 * exact by construction.  Flags: the table is used only if no code raises a
 * flag, or if exactly the codes >= 0x80 raise one common set (UE4M3
 * invalid); the kernel ORs the codes and tests bit 7.
 */
typedef struct dec_tab {
    int ok;
    unsigned high_flags;
    uint32_t v[256];
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
    for (int f = 0; f < TP_FORMAT_COUNT; f++) {
        const tp_format_desc *d = tp_format_get((tp_format)f);
        if (d->bits > 8)
            continue;
        k->enc_f32[f] = enc_small_avx2;
        dec_build(f);
        if (tpi_avx2_dec[f].ok)
            k->dec_f32[f] = dec_small_avx2;
    }
}
