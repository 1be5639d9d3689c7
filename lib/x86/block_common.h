/*
 * block_common.h -- ISA-independent scalar pieces of the MX block kernels,
 * shared by lib/x86/avx2/block_avx2.c and lib/x86/avx512/block_avx512.c:
 * the set of vector formats, the per-block reference fallback of
 * dequantisation and the dequantisation table (method: block_avx512.c).
 *
 * Included by each ISA file and so compiled with that file's flags: plain C
 * only (no intrinsics), as static inline functions.  The includer defines
 * DEQ_ALIGN, the alignment of deq_tab.v (its vector loads are aligned).
 */
#ifndef TRUEPOINT_X86_BLOCK_COMMON_H
#define TRUEPOINT_X86_BLOCK_COMMON_H

#include <stdint.h>
#include <string.h>

#include "internal.h"
#include "ref.h"

#ifndef DEQ_ALIGN
#error "define DEQ_ALIGN before including block_common.h"
#endif

#define BS 32 /* MX block size */

/* The vector formats: MX float elements of the default layout. */
static inline int simd_format(int fmt)
{
    return fmt == TP_BLOCK_MXFP8_E4M3 || fmt == TP_BLOCK_MXFP8_E5M2 ||
           fmt == TP_BLOCK_MXFP6_E2M3 || fmt == TP_BLOCK_MXFP6_E3M2 || fmt == TP_BLOCK_MXFP4;
}

typedef struct deq_tab {
    int ok;
    unsigned lo, hi;
    int ss, sh, esub;      /* sign position; 23 - m; 1 - bias - m (8-bit arithmetic path) */
    uint32_t cnorm, magmask, specthr, subthr;
    uint32_t v[256] __attribute__((aligned(DEQ_ALIGN)));
} deq_tab;

/* Block blk of a dequantisation by the reference, rounded to binary32 as
 * the reference rounds. */
static inline void ref_deq_block(const tpi_blk *k, const uint8_t *scales, const void *elems,
                                 size_t blk, float ts, float *dst, unsigned *flags)
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

/* Dequantises all nblk blocks of the call by the reference when t does not
 * cover k, and returns 1; returns 0 otherwise. */
static inline int deq_ref_call(const deq_tab *t, const tpi_blk *k, const uint8_t *scales,
                               const void *elems, size_t nblk, float ts, float *dst,
                               unsigned *flags)
{
    if (t->ok && k->bs == BS)
        return 0;
    for (size_t blk = 0; blk < nblk; blk++)
        ref_deq_block(k, scales, elems, blk, ts, dst, flags);
    return 1;
}

/* Dequantises block blk by the reference when its scale code is outside
 * [t->lo, t->hi], and returns 1; returns 0 otherwise. */
static inline int deq_ref_scale(const deq_tab *t, const tpi_blk *k, const uint8_t *scales,
                                const void *elems, size_t blk, float ts, float *dst,
                                unsigned *flags)
{
    unsigned sc = scales[blk];
    if (sc >= t->lo && sc <= t->hi)
        return 0;
    ref_deq_block(k, scales, elems, blk, ts, dst, flags);
    return 1;
}

/* Builds the dequantisation table *t of block format fmt (t->ok = 0: not
 * covered).  fp4_sign: also require that the FP4 codes 8-15 are codes 0-7
 * with the sign bit set (the AVX2 path keeps an 8-entry magnitude table). */
static inline void deq_tab_build(deq_tab *t, int fmt, int fp4_sign)
{
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
    if (fp4_sign && k.ebits == 4)
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

#endif /* TRUEPOINT_X86_BLOCK_COMMON_H */
