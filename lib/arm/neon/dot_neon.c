/*
 * dot_neon.c -- AArch64 Advanced SIMD (NEON) exact dot kernels,
 * bit-identical to lib/ref/dot_ref.c.  Unit strides only; other strides
 * take the reference.
 *
 *  - E4M3 x E4M3, with integer operations only (so FPCR plays no part).
 *    A code of magnitude field E (4 bits), M (3 bits) has the value
 *    m * 2^(s - 9) with m = 8 + M, s = E - 1 for E > 0 and m = M, s = 0 for
 *    E = 0 (subnormals).  A product is (ma * mb) << (sa + sb) in units of
 *    2^-18: ma * mb <= 225 and sa + sb <= 28, so every product is an
 *    integer below 2^36, summed exactly in int64 lanes (a chunk of 2^16
 *    terms stays below 2^52).  The chunk's total goes to the accumulator
 *    as one integer times 2^-18.  A chunk with a NaN code, or whose total
 *    is zero (where the sign of zero depends on the terms), goes to the
 *    reference.
 */
#include <arm_neon.h>
#include <stdint.h>

#include "internal.h"
#include "ref.h"

#define E4_CHUNK 65536 /* terms per chunk */

static tpi_dot_fn ref_e4m3;

/* Significand and shift of the magnitudes of 16 codes. */
static inline void e4m3_parts(uint8x16_t c, uint8x16_t *m, uint8x16_t *s)
{
    uint8x16_t e = vandq_u8(vshrq_n_u8(c, 3), vdupq_n_u8(0x0F));
    uint8x16_t man = vandq_u8(c, vdupq_n_u8(0x07));
    uint8x16_t normal = vtstq_u8(e, e); /* 0xFF where E > 0 */
    *m = vorrq_u8(man, vandq_u8(normal, vdupq_n_u8(0x08)));
    *s = vandq_u8(vsubq_u8(e, vdupq_n_u8(1)), normal);
}

/* The same for one code, in scalar form. */
static inline int64_t e4m3_term(uint8_t x, uint8_t y)
{
    unsigned ex = (x >> 3) & 15u, ey = (y >> 3) & 15u;
    int64_t mx = (int64_t)((x & 7u) | (ex ? 8u : 0u)), my = (int64_t)((y & 7u) | (ey ? 8u : 0u));
    int sh = (int)(ex ? ex - 1 : 0) + (int)(ey ? ey - 1 : 0);
    int64_t v = (mx * my) * ((int64_t)1 << sh);
    return ((x ^ y) & 0x80u) ? -v : v;
}

/* Adds the signed products of 8 lanes (16-bit signed product, 8-bit shift)
 * into two int64x2 accumulators. */
static inline void e4m3_acc8(int16x8_t p, uint8x8_t sh, int64x2_t *s0, int64x2_t *s1)
{
    int32x4_t lo = vmovl_s16(vget_low_s16(p)), hi = vmovl_high_s16(p);
    uint16x8_t sh16 = vmovl_u8(sh);
    uint32x4_t shl = vmovl_u16(vget_low_u16(sh16)), shh = vmovl_high_u16(sh16);
    int64x2_t a0 = vshlq_s64(vmovl_s32(vget_low_s32(lo)),
                             vreinterpretq_s64_u64(vmovl_u32(vget_low_u32(shl))));
    int64x2_t a1 = vshlq_s64(vmovl_high_s32(lo), vreinterpretq_s64_u64(vmovl_high_u32(shl)));
    int64x2_t a2 = vshlq_s64(vmovl_s32(vget_low_s32(hi)),
                             vreinterpretq_s64_u64(vmovl_u32(vget_low_u32(shh))));
    int64x2_t a3 = vshlq_s64(vmovl_high_s32(hi), vreinterpretq_s64_u64(vmovl_high_u32(shh)));
    *s0 = vaddq_s64(*s0, vaddq_s64(a0, a1));
    *s1 = vaddq_s64(*s1, vaddq_s64(a2, a3));
}

static void dot_e4m3_neon(const tpi_fmt *pa, const void *a, size_t inca, const tpi_fmt *pb,
                          const void *b, size_t incb, size_t n, tp_acc *acc)
{
    if (inca != 1 || incb != 1) {
        ref_e4m3(pa, a, inca, pb, b, incb, n, acc);
        return;
    }
    const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
    const uint8x16_t m7f = vdupq_n_u8(0x7F), sbit = vdupq_n_u8(0x80);
    for (size_t i0 = 0; i0 < n; i0 += E4_CHUNK) {
        size_t m = n - i0 < E4_CHUNK ? n - i0 : E4_CHUNK;
        const uint8_t *xc = x + i0, *yc = y + i0;
        int64x2_t s0 = vdupq_n_s64(0), s1 = s0, s2 = s0, s3 = s0;
        uint8x16_t nan = vdupq_n_u8(0);
        size_t i = 0;
        for (; i + 16 <= m; i += 16) {
            uint8x16_t cx = vld1q_u8(xc + i), cy = vld1q_u8(yc + i);
            nan = vorrq_u8(nan, vceqq_u8(vandq_u8(cx, m7f), m7f));
            nan = vorrq_u8(nan, vceqq_u8(vandq_u8(cy, m7f), m7f));
            uint8x16_t mx, sx, my, sy;
            e4m3_parts(cx, &mx, &sx);
            e4m3_parts(cy, &my, &sy);
            uint8x16_t sh = vaddq_u8(sx, sy);
            /* -1 where the signs differ, else 0: p = (p ^ neg) - neg */
            int8x16_t neg = vreinterpretq_s8_u8(vtstq_u8(veorq_u8(cx, cy), sbit));
            int16x8_t nl = vmovl_s8(vget_low_s8(neg)), nh = vmovl_high_s8(neg);
            int16x8_t pl = vreinterpretq_s16_u16(vmull_u8(vget_low_u8(mx), vget_low_u8(my)));
            int16x8_t ph = vreinterpretq_s16_u16(vmull_high_u8(mx, my));
            pl = vsubq_s16(veorq_s16(pl, nl), nl);
            ph = vsubq_s16(veorq_s16(ph, nh), nh);
            e4m3_acc8(pl, vget_low_u8(sh), &s0, &s1);
            e4m3_acc8(ph, vget_high_u8(sh), &s2, &s3);
        }
        int tnan = vmaxvq_u8(nan) != 0;
        int64_t t = 0;
        for (; i < m; i++) {
            tnan |= (xc[i] & 0x7F) == 0x7F || (yc[i] & 0x7F) == 0x7F;
            t += e4m3_term(xc[i], yc[i]);
        }
        if (tnan) {
            tpi_ref_dot_generic(pa, xc, 1, pb, yc, 1, m, acc);
            continue;
        }
        int64x2_t s = vaddq_s64(vaddq_s64(s0, s1), vaddq_s64(s2, s3));
        int64_t tot = vgetq_lane_s64(s, 0) + vgetq_lane_s64(s, 1) + t;
        if (tot == 0)
            tpi_ref_dot_generic(pa, xc, 1, pb, yc, 1, m, acc);
        else
            tpi_dot_add_i64(acc, tot, -18);
    }
}

void tpi_install_neon_dot(tpi_kernels *k)
{
    ref_e4m3 = k->dot[TP_E4M3][TP_E4M3];
    k->dot[TP_E4M3][TP_E4M3] = dot_e4m3_neon;
}
