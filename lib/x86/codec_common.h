/*
 * codec_common.h -- ISA-independent scalar pieces of the SIMD codec kernels,
 * shared by lib/x86/avx2/codec_avx2.c and lib/x86/avx512/codec_avx512.c.
 * Plain C only (no intrinsics); used at install time to derive constants.
 */
#ifndef TRUEPOINT_X86_CODEC_COMMON_H
#define TRUEPOINT_X86_CODEC_COMMON_H

#include <stdint.h>
#include <string.h>

/* Vector rounding variants (AVX2 implements the first three). */
enum { RM_RNE, RM_RTZ, RM_RTO, RM_DIR };

static inline uint32_t f32_bits(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/* bits of v, which must be exactly representable in binary32 */
static inline uint32_t exact_bits(double v)
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
static inline uint32_t overflow_thr(double lim, double q, int lim_odd, int mode)
{
    switch (mode) {
    case RM_RNE: return exact_bits(lim + q / 2) + (lim_odd ? 0u : 1u);
    case RM_RTZ: return exact_bits(lim + q);
    case RM_RTO: return lim_odd ? exact_bits(lim + q) : exact_bits(lim) + 1u;
    default: return exact_bits(lim) + 1u;
    }
}

#endif /* TRUEPOINT_X86_CODEC_COMMON_H */
