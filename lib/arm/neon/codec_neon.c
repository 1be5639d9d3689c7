/*
 * codec_neon.c -- AArch64 Advanced SIMD (NEON) codec kernels, integer
 * operations only, bit-identical to lib/ref/codec_ref.c.
 *
 *  - Decoding every format of 8 bits or fewer to binary32: four byte-plane
 *    table lookups (vqtbl4q_u8 / vqtbx4q_u8 over 256-entry planes) of the
 *    reference decoder's own binary32 results, interleaved into words by
 *    vst4q_u8.  Exact by construction.
 *  - Encoding binary32 to every float format of 8 bits or fewer except
 *    E8M0 (the FP8 family, FP6, FP4, UE4M3), for TP_RNE, TP_RTZ and TP_RTO
 *    under either overflow policy, by the integer rounding with a per-lane
 *    shift that lib/x86/avx2/codec_avx2.c describes.  A chunk holding a
 *    value at or above the overflow threshold (so also Inf, NaN and, for
 *    unsigned formats, negative inputs) goes to the reference kernel.
 *
 * No floating-point instruction touches the data, so FPCR (rounding mode,
 * FZ) plays no part.  The tables are built from the reference with integer
 * bit patterns; decoding to binary32 is exact and never depends on FPCR.
 */
#include <arm_neon.h>
#include <math.h>
#include <string.h>

#include "internal.h"
#include "ref.h"
#include "../../x86/codec_common.h"

/* ------------------------------------------------------------------ encode */

#define ENC_CHUNK 16

enum { SG_OR, SG_OR_NZ, SG_NONE };

typedef struct enc_par {
    uint32_t k, s_plus_k, kbits, thr, smask, sshift;
} enc_par;

/* The constants of a format (see codec_avx2.c); -1 if the vector path does
 * not apply, else the sign handling. */
static int enc_setup(const tpi_fmt *p, int mode, enc_par *e)
{
    const tp_format_desc *d = p->d;
    int m = p->man, k = p->emin + 127;
    if (p->bits > 8 || p->is_int || p->no_zero || mode < 0 || m < 1 || m > 20 || k < 1 ||
        (p->max_mag >> m) == 0)
        return -1;
    uint64_t mm = p->max_mag;
    double v = ldexp((double)((UINT64_C(1) << m) | (mm & ((UINT64_C(1) << m) - 1))), p->emax - m);
    e->k = (uint32_t)k;
    e->s_plus_k = (uint32_t)(23 - m + k);
    e->kbits = (uint32_t)k << 23;
    e->thr = overflow_thr(v, ldexp(1.0, p->emax - m), (int)(mm & 1), mode);
    if (!d->sign) {
        e->smask = 0;
        e->sshift = 0;
        return SG_NONE;
    }
    e->smask = 1u << p->sign_shift;
    e->sshift = (uint32_t)(31 - p->sign_shift);
    return p->has_negzero ? SG_OR : SG_OR_NZ;
}

#define TPI_INLINE static inline __attribute__((always_inline))

/* Four codes (in the low bits of 32-bit lanes) from four binary32 inputs. */
TPI_INLINE uint32x4_t enc_vec(const enc_par *e, uint32x4_t x, int rm, int sg, uint32x4_t *vmax,
                              uint32x4_t *ai, uint32x4_t *au)
{
    const uint32x4_t one = vdupq_n_u32(1);
    uint32x4_t a = vandq_u32(x, vdupq_n_u32(0x7FFFFFFFu));
    uint32x4_t ec = vminq_u32(vmaxq_u32(vshrq_n_u32(a, 23), one), vdupq_n_u32(e->k));
    uint32x4_t val = vsubq_u32(vaddq_u32(a, vdupq_n_u32(1u << 23)), vshlq_n_u32(ec, 23));
    uint32x4_t sh = vminq_u32(vsubq_u32(vdupq_n_u32(e->s_plus_k), ec), vdupq_n_u32(31));
    int32x4_t nsh = vnegq_s32(vreinterpretq_s32_u32(sh));
    uint32x4_t q1 = vshlq_u32(one, vreinterpretq_s32_u32(sh));
    uint32x4_t rem = vandq_u32(val, vsubq_u32(q1, one));
    uint32x4_t tr = vshlq_u32(val, nsh);
    uint32x4_t code;
    if (rm == RM_RNE) {
        uint32x4_t r = vaddq_u32(vaddq_u32(val, vandq_u32(tr, one)),
                                 vsubq_u32(vshrq_n_u32(q1, 1), one));
        code = vshlq_u32(r, nsh);
    } else if (rm == RM_RTZ) {
        code = tr;
    } else {
        code = vorrq_u32(tr, vandq_u32(vtstq_u32(rem, rem), one));
    }
    *ai = vorrq_u32(*ai, rem);
    *au = vorrq_u32(*au, vandq_u32(rem, vcgtq_u32(vdupq_n_u32(e->kbits), a)));
    if (sg != SG_NONE) {
        uint32x4_t sb = vandq_u32(vshlq_u32(x, vdupq_n_s32(-(int32_t)e->sshift)),
                                  vdupq_n_u32(e->smask));
        if (sg == SG_OR_NZ) /* no -0: a zero result stays +0 */
            sb = vandq_u32(sb, vtstq_u32(code, code));
        code = vorrq_u32(code, sb);
    }
    *vmax = vmaxq_u32(*vmax, sg == SG_NONE ? x : a);
    return code;
}

TPI_INLINE void enc_run(const tpi_fmt *p, const enc_par *e, const float *src, uint8_t *dst,
                        size_t n, tp_round rnd, tp_overflow ovf, unsigned *flags, int rm, int sg)
{
    const uint32x4_t zero = vdupq_n_u32(0);
    uint32x4_t gi = zero, gu = zero;
    size_t i = 0;
    for (; i + ENC_CHUNK <= n; i += ENC_CHUNK) {
        uint32x4_t vmax = zero, ci = zero, cu = zero, c[4];
        const float *s = src + i;
        for (int j = 0; j < 4; j++) {
            uint32x4_t x = vld1q_u32((const uint32_t *)(const void *)(s + 4 * j));
            c[j] = enc_vec(e, x, rm, sg, &vmax, &ci, &cu);
        }
        if (vmaxvq_u32(vmax) >= e->thr) {
            tpi_ref_enc_f32(p, s, dst + i, ENC_CHUNK, rnd, ovf, NULL, flags);
            continue;
        }
        /* every code is at most the largest finite code (< 256) */
        uint16x8_t h0 = vcombine_u16(vmovn_u32(c[0]), vmovn_u32(c[1]));
        uint16x8_t h1 = vcombine_u16(vmovn_u32(c[2]), vmovn_u32(c[3]));
        vst1q_u8(dst + i, vcombine_u8(vmovn_u16(h0), vmovn_u16(h1)));
        gi = vorrq_u32(gi, ci);
        gu = vorrq_u32(gu, cu);
    }
    if (vmaxvq_u32(gi) != 0)
        *flags |= TP_FLAG_INEXACT;
    if (vmaxvq_u32(gu) != 0)
        *flags |= TP_FLAG_UNDERFLOW | TP_FLAG_INEXACT;
    if (i < n)
        tpi_ref_enc_f32(p, src + i, dst + i, n - i, rnd, ovf, NULL, flags);
}

static void enc_small_neon(const tpi_fmt *p, const float *src, void *dst, size_t n, tp_round rnd,
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
 * One table per format: byte plane b (b = 0 the least significant) of the
 * reference's binary32 result for each of the 256 codes (codes beyond the
 * format's width never reach the kernel: the API rejects them first).  The
 * table is used only if no code below 0x80 raises a flag and the codes from
 * 0x80 up all raise one common set (UE4M3: invalid); the kernel ORs the
 * codes and tests bit 7.
 */
typedef struct dec_tab {
    int ok;
    unsigned high_flags;
    uint8_t plane[4][256];
} dec_tab;

/* Written once by tpi_install_neon (inside the dispatcher's pthread_once),
 * read-only afterwards. */
static dec_tab tpi_neon_dec[TP_FORMAT_COUNT];

static void dec_build(int f)
{
    dec_tab *t = &tpi_neon_dec[f];
    tpi_fmt p;
    unsigned fl[256];
    tpi_fmt_init(&p, tp_format_get((tp_format)f));
    memset(t, 0, sizeof *t);
    if (p.bits > 8)
        return;
    unsigned nc = 1u << p.bits;
    for (unsigned c = 0; c < 256; c++) {
        uint32_t v = 0;
        fl[c] = 0;
        if (c < nc)
            v = f32_bits(tpi_ref_decode1_f32(&p, c, &fl[c]));
        for (int b = 0; b < 4; b++)
            t->plane[b][c] = (uint8_t)(v >> (8 * b));
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

/* 256-entry byte lookup: vqtbl4q_u8 gives 0 for indices >= 64, vqtbx4q_u8
 * leaves the lane alone; four 64-byte quarters cover every index. */
TPI_INLINE uint8x16_t lut256(const uint8x16x4_t *q, uint8x16_t c)
{
    const uint8x16_t k64 = vdupq_n_u8(64);
    uint8x16_t r = vqtbl4q_u8(q[0], c);
    c = vsubq_u8(c, k64);
    r = vqtbx4q_u8(r, q[1], c);
    c = vsubq_u8(c, k64);
    r = vqtbx4q_u8(r, q[2], c);
    c = vsubq_u8(c, k64);
    return vqtbx4q_u8(r, q[3], c);
}

/* Formats of at most 6 bits (codes < 64) need only the first quarter of
 * each plane; 8-bit formats use all four (lut256). */
static void dec_small_neon(const tpi_fmt *p, const void *src, float *dst, size_t n,
                           unsigned *flags)
{
    int f = tpi_builtin_index(p->d);
    const dec_tab *t = f >= 0 ? &tpi_neon_dec[f] : NULL;
    const uint8_t *s = (const uint8_t *)src;
    if (t == NULL || !t->ok || n < 16) {
        tpi_ref_dec_f32(p, src, dst, n, flags);
        return;
    }
    uint8x16x4_t q[4][4]; /* [plane][quarter] */
    for (int b = 0; b < 4; b++)
        for (int j = 0; j < 4; j++)
            q[b][j] = vld1q_u8_x4(&t->plane[b][64 * j]);
    uint8x16_t acc = vdupq_n_u8(0);
    size_t i = 0;
    if (p->bits <= 6) {
        for (; i + 16 <= n; i += 16) {
            uint8x16_t c = vld1q_u8(s + i);
            uint8x16x4_t w;
            w.val[0] = vqtbl4q_u8(q[0][0], c);
            w.val[1] = vqtbl4q_u8(q[1][0], c);
            w.val[2] = vqtbl4q_u8(q[2][0], c);
            w.val[3] = vqtbl4q_u8(q[3][0], c);
            vst4q_u8((uint8_t *)(void *)(dst + i), w);
        }
    } else {
        for (; i + 16 <= n; i += 16) {
            uint8x16_t c = vld1q_u8(s + i);
            uint8x16x4_t w;
            acc = vorrq_u8(acc, c);
            w.val[0] = lut256(q[0], c);
            w.val[1] = lut256(q[1], c);
            w.val[2] = lut256(q[2], c);
            w.val[3] = lut256(q[3], c);
            vst4q_u8((uint8_t *)(void *)(dst + i), w);
        }
    }
    if (t->high_flags && (vmaxvq_u8(acc) & 0x80) != 0)
        *flags |= t->high_flags;
    if (i < n)
        tpi_ref_dec_f32(p, s + i, dst + i, n - i, flags);
}

void tpi_install_neon(tpi_kernels *k)
{
    /* vst4q_u8 writes plane 0 first: the words are little-endian */
#if !defined(__AARCH64EB__)
    for (int f = 0; f < TP_FORMAT_COUNT; f++) {
        const tp_format_desc *d = tp_format_get((tp_format)f);
        if (d->bits > 8)
            continue;
        k->enc_f32[f] = enc_small_neon;
        dec_build(f);
        if (tpi_neon_dec[f].ok)
            k->dec_f32[f] = dec_small_neon;
    }
#else
    (void)k;
#endif
}
