/*
 * dot_common.h -- ISA-independent scalar pieces of the exact dot kernels,
 * shared by lib/x86/avx2/dot_avx2.c and lib/x86/avx512/dot_avx512.c.
 *
 * Included by each ISA file and so compiled with that file's flags: it holds
 * only plain C (no intrinsics), as static inline functions and constants.
 * The floating-point operations here are the scalar tails of the vector
 * loops and do exactly what the loops they came from did (-ffp-contract=off).
 */
#ifndef TRUEPOINT_X86_DOT_COMMON_H
#define TRUEPOINT_X86_DOT_COMMON_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ref.h"

#define E4_CHUNK 65536 /* E4M3 terms per chunk; lanes see at most 2^16 each */
#define SP_CHUNK 2048  /* binary32 / bfloat16 terms per chunk */
#define SP_M 12
#define SP_LEVELS 6

/* Length of the chunk of at most c terms that starts at i0 of n. */
static inline size_t dot_chunk_len(size_t n, size_t i0, size_t c)
{
    return n - i0 < c ? n - i0 : c;
}

/* 1 if E4M3 code c is a NaN (S.1111.111). */
static inline int dot_e4m3_isnan(uint8_t c)
{
    return (c & 0x7F) == 0x7F;
}

/* Element i of a binary32 (bf = 0) or bfloat16 (bf = 1) array, widened
 * exactly to binary64 (bfloat16 with integer operations). */
static inline double dot_ld1(const void *base, size_t i, int bf)
{
    float f;
    if (bf) {
        uint32_t u = (uint32_t)((const uint16_t *)base)[i] << 16;
        memcpy(&f, &u, 4);
    } else {
        f = ((const float *)base)[i];
    }
    return (double)f;
}

/* The scalar tail of a chunk's products: p[j] = x[j] * y[j] (exact in
 * binary64) for j in [i, m); returns nonzero if one of them is Inf or NaN. */
static inline int dot_products_tail(double *p, const void *x, const void *y, size_t i, size_t m,
                                    int bf)
{
    int bad = 0;
    for (; i < m; i++) {
        p[i] = dot_ld1(x, i, bf) * dot_ld1(y, i, bf);
        bad |= !(p[i] - p[i] == 0.0);
    }
    return bad;
}

/* What the caller of fixed2 does with its result f2 for the chunk x, y of m
 * terms: 0 -> returns 0 (run the split levels); -1 -> the reference, 1 ->
 * nothing more; both return 1 (the chunk is done). */
static inline int dot_fixed2_done(int f2, const tpi_fmt *pa, const void *x, const tpi_fmt *pb,
                                  const void *y, size_t m, tp_acc *acc)
{
    if (f2 == 0)
        return 0;
    if (f2 < 0)
        tpi_ref_dot_generic(pa, x, 1, pb, y, 1, m, acc);
    return 1;
}

/* The start of fixed2: from the max_abs_bits of both operands, the exponent
 * e with 2^e > max|x| * max|y|; returns 0 (the reference) on an Inf/NaN or
 * subnormal operand (bits >= 0x7F800000) or a zero bound. */
static inline int dot_fixed2_exp(uint32_t ua, uint32_t ub, int *e)
{
    if (ua >= 0x7F800000u || ub >= 0x7F800000u)
        return 0;
    float fa, fb;
    memcpy(&fa, &ua, 4);
    memcpy(&fb, &ub, 4);
    double bound = (double)fa * (double)fb;
    if (bound == 0.0)
        return 0;
    frexp(bound, e); /* bound < 2^e */
    return 1;
}

/* The end of fixed2: adds the two levels' integer sums (units 2^(e+SP_M-53)
 * and 2^(e+SP_M-41-53)); returns 1, or -1 (the reference) if both are 0. */
static inline int dot_fixed2_add(tp_acc *acc, int64_t t1, int64_t t2, int e)
{
    if (t1 == 0 && t2 == 0)
        return -1;
    tpi_dot_add_i64(acc, t1, e + SP_M - 53);
    tpi_dot_add_i64(acc, t2, e + SP_M - 41 - 53);
    return 1;
}

/* The scalar tail of one split level over p[i .. m): extracts the part of
 * each p above 2^-53 sigma into *ts, leaves the rest in p; returns nonzero
 * if a remainder is not zero. */
static inline int dot_split_tail(double *p, size_t i, size_t m, double sigma, double *ts)
{
    int nz = 0;
    for (; i < m; i++) {
        double q = (sigma + p[i]) - sigma;
        p[i] -= q;
        *ts += q;
        nz |= p[i] != 0.0;
    }
    return nz;
}

/* Adds a level's integer total tot (unit 2^exp) if it is not zero; returns
 * 1 if it added. */
static inline int dot_add_nonzero(tp_acc *acc, int64_t tot, int exp)
{
    if (tot == 0)
        return 0;
    tpi_dot_add_i64(acc, tot, exp);
    return 1;
}

/* After the last split level: adds the nonzero remainders one by one;
 * returns 1 if it added one. */
static inline int dot_split_rest(tp_acc *acc, const double *p, size_t m)
{
    int added = 0;
    for (size_t i = 0; i < m; i++) {
        if (p[i] != 0.0) {
            tpi_dot_add_f64(acc, p[i]);
            added = 1;
        }
    }
    return added;
}

/* ------------------------------------------------------------ MX blocks */
#define BD_CHUNK 64 /* blocks per chunk */

enum { BD_44, BD_48, BD_88 };
static const int bd_win[3] = {44, 30, 16}; /* W, see dot_avx512.c */
static const int bd_unit[3] = {-2, -10, -18};

/* The MX pair of a block dot (BD_44, BD_48 or BD_88), or -1 for the
 * reference.  MXFP8 (E4M3) x MXFP4 is commuted in place to MXFP4 x MXFP8. */
static inline int bd_pair(const tpi_blk **ka, const uint8_t **sa, const void **ea,
                          const tpi_blk **kb, const uint8_t **sb, const void **eb)
{
    if (*kb == NULL || (*ka)->bs != 32 || (*kb)->bs != 32)
        return -1;
    int fa = (*ka)->fmt, fb = (*kb)->fmt;
    if (fa == TP_BLOCK_MXFP8_E4M3 && fb == TP_BLOCK_MXFP4) { /* commute */
        const tpi_blk *tk = *ka;
        const uint8_t *ts = *sa;
        const void *te = *ea;
        *ka = *kb, *sa = *sb, *ea = *eb;
        *kb = tk, *sb = ts, *eb = te;
        fa = TP_BLOCK_MXFP4, fb = TP_BLOCK_MXFP8_E4M3;
    }
    if (fa == TP_BLOCK_MXFP4 && fb == TP_BLOCK_MXFP4)
        return BD_44;
    if (fa == TP_BLOCK_MXFP4 && fb == TP_BLOCK_MXFP8_E4M3)
        return BD_48;
    if (fa == TP_BLOCK_MXFP8_E4M3 && fb == TP_BLOCK_MXFP8_E4M3)
        return BD_88;
    return -1;
}

/* Element bytes per block of the two operands of a pair. */
static inline size_t bd_bytes_a(int pair)
{
    return pair == BD_88 ? 32 : 16;
}

static inline size_t bd_bytes_b(int pair)
{
    return pair == BD_44 ? 16 : 32;
}

/* Blocks in the chunk that starts at block b0 of nblk. */
static inline int bd_chunk_blocks(size_t nblk, size_t b0)
{
    return nblk - b0 < BD_CHUNK ? (int)(nblk - b0) : BD_CHUNK;
}

/* The chunk of nb blocks at block b0, to the reference. */
static inline void bd_chunk_ref(const tpi_blk *ka, const uint8_t *sa, const uint8_t *xa, float tsa,
                                const tpi_blk *kb, const uint8_t *sb, const uint8_t *xb, float tsb,
                                int pair, size_t b0, int nb, tp_acc *acc, unsigned *flags)
{
    tpi_ref_block_dot(ka, sa + b0, xa + b0 * bd_bytes_a(pair), tsa, kb, sb + b0,
                      xb + b0 * bd_bytes_b(pair), tsb, (size_t)nb * 32, acc, flags);
}

#endif /* TRUEPOINT_X86_DOT_COMMON_H */
