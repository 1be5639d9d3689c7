/*
 * gemm_avx2.c -- exact GEMM / GEMV tile kernels for AVX2 (none yet: the
 * generic path of lib/core/gemm.c serves every operand pair).
 */
#include "internal.h"

void tpi_install_avx2_gemm(tpi_kernels *k)
{
    (void)k;
}
