/*
 * oracle_gemm.h -- an independent MPFR oracle for one output of tp_gemm /
 * tp_gemv (include/truepoint.h, group "gemm"): the exact value of the terms
 * alpha * a_k * b_k (every k, each exact) and beta * c, with the special
 * values and signed zeros of the accumulators, rounded once; and the
 * documented binary32 order of TP_MODE_FAST.  Built on oracle.h,
 * oracle_acc.h and oracle_block.h; shares no code with lib/.
 */
#ifndef TP_ORACLE_GEMM_H
#define TP_ORACLE_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "oracle_acc.h"
#include "truepoint.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One vector of k values as the oracle reads it: either element codes of
 * `fmt` (codes[i * inc]) or, with `blk` set, the unpacked element codes
 * codes[0 .. k-1] (low bits) and one scale code per block in scales[]
 * (the E8M0 / UE4M3 byte, or the binary16 bits of d for ggml_q8_0), with
 * the NVFP4 tensor scale. */
typedef struct org_vec {
    const tp_format_desc *fmt;
    const tp_block_desc *blk;
    const uint64_t *codes;
    size_t inc;               /* element vectors: codes between values (>= 1) */
    const uint32_t *scales;   /* block vectors */
    float tensor_scale;       /* NVFP4 */
} org_vec;

/* The exact values of the k values of x as binary64 (block values
 * element x scale, exact; a NaN scale makes its block NaN), ORing the
 * decoding flags (TP_FLAG_INVALID for UE4M3 codes >= 0x80, element or
 * NVFP4 scale) into *flags.  Returns 0, or -1 for a bad vector. */
int org_values(const org_vec *x, size_t k, double *v, unsigned *flags);

/* The binary32 values TP_MODE_FAST takes (element codes decoded to
 * binary32, block values as tp_block_dequantize_f32 gives them).  Returns 0,
 * or -1 (binary64 elements, bad vector). */
int org_values_f32(const org_vec *x, size_t k, float *v);

/* Appends to s the terms of one exact output: alpha * va[i] * vb[i] for
 * i < k (none if alpha == 0), each formed exactly (alpha < 0 flips the sign
 * of every product term, zeros included; 0 x Inf is an invalid NaN), and
 * beta * c when beta != 0.  The values are binary64 with at most 53
 * significant bits each and products of va and vb of at most 106 bits. */
void org_terms(ora_sum *s, const double *va, const double *vb, size_t k, double alpha,
               double beta, double c);

/* One output of an exact product: the code and the flags (ORed) that
 * tp_gemm must produce for output format cfmt, old code c, mode rnd,
 * policy ovf and SR word rbits.  The decoding flags of a and b count when
 * alpha != 0 and k > 0, those of c when beta != 0.  Returns 0 or -1. */
int org_gemm1(const org_vec *a, const org_vec *b, size_t k, double alpha, double beta,
              const tp_format_desc *cfmt, uint64_t c, tp_round rnd, tp_overflow ovf,
              uint32_t rbits, uint64_t *code, unsigned *flags);

/* One output of TP_MODE_FAST from binary32 values: sixteen lanes of fmaf
 * (lane l takes k = l, l + 16, ... in order), the pairwise lane reduction
 * (l += l+8, l += l+4, l += l+2, l += l+1), then t = alpha * s and
 * t = t + beta * c (binary64, beta != 0 only), rounded to cfmt by
 * orc_encode.  With alpha == 0 no product is formed: s = +0 and
 * t = alpha * s.  Returns 0 or -1. */
int org_fast1(const float *va, const float *vb, size_t k, double alpha, double beta,
              const tp_format_desc *cfmt, uint64_t c, tp_round rnd, tp_overflow ovf,
              uint32_t rbits, uint64_t *code, unsigned *flags);

/* The binary32 lane sum s of org_fast1 (before alpha and beta). */
float org_fast_sum(const float *va, const float *vb, size_t k);

#ifdef __cplusplus
}
#endif

#endif /* TP_ORACLE_GEMM_H */
