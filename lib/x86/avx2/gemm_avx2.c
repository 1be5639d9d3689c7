/*
 * gemm_avx2.c -- exact GEMM tile kernels for AVX2 (with FMA and F16C).
 *
 * The element x element family of gemm_avx512.c on 256-bit vectors:
 * bfloat16 and the 8-bit formats whose values are all exact in bfloat16, in
 * any mix, widened exactly to binary64 when packed (E4M3 through binary16,
 * as value * 2^-8; the others through bfloat16), and a 6 x 8 micro-kernel
 * that adds the products (at most 8 + 8 significant bits, exact) with FMA.
 * The driver, the exactness check by the inexact flag and the stores are
 * those of lib/x86/gemm_common.h, whose argument holds here unchanged:
 * every accepted sum is exact, so results are bit-identical to the
 * reference and to AVX-512, whatever MXCSR says (bfloat16 subnormals are
 * widened with integer operations, vcvtph2ps ignores DAZ, and no binary64
 * value is subnormal).  MXFP4 x MXFP4 has no AVX2 kernel (no VNNI): it takes
 * the generic path, as do the operands this family declines.
 */
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref.h"
#include "../gemm_common.h"

#define A_MR 6
#define A_NR 8
#define A_KC 128
#define A_MC 252 /* a multiple of A_MR */
#define A_NC 256

/* 8 bfloat16 words -> binary64 at dst; returns 1 if one is NaN/Inf. */
static int words8(__m128i w, double *dst)
{
    const __m128i zero = _mm_setzero_si128();
    __m128i e = _mm_and_si128(w, _mm_set1_epi16(0x7F80));
    int sp = _mm_movemask_epi8(_mm_cmpeq_epi16(e, _mm_set1_epi16(0x7F80))) != 0;
    __m128i sub = _mm_andnot_si128(_mm_cmpeq_epi16(_mm_and_si128(w, _mm_set1_epi16(0x7F)), zero),
                                   _mm_cmpeq_epi16(e, zero));
    if (_mm_movemask_epi8(sub)) { /* subnormals: vcvtps2pd would read them as 0 under DAZ */
        uint16_t u[8];
        _mm_storeu_si128((__m128i *)(void *)u, w);
        for (int i = 0; i < 8; i++)
            dst[i] = bf16_f64(u[i]);
        return sp;
    }
    __m256 f = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(w), 16));
    _mm256_storeu_pd(dst, _mm256_cvtps_pd(_mm256_castps256_ps128(f)));
    _mm256_storeu_pd(dst + 4, _mm256_cvtps_pd(_mm256_extractf128_ps(f, 1)));
    return sp;
}

/* 8 contiguous codes at p -> binary64 at dst; returns 1 if one is NaN/Inf
 * (or wider than its format). */
static int cvt8(const tpi_vecs *x, const uint8_t *p, double *dst)
{
    if (is_e4m3(x)) {
        __m128i c = _mm_loadl_epi64((const __m128i *)(const void *)p);
        __m128i nan = _mm_cmpeq_epi8(_mm_and_si128(c, _mm_set1_epi8(0x7F)), _mm_set1_epi8(0x7F));
        __m128i w = _mm_and_si128(_mm_slli_epi16(_mm_cvtepi8_epi16(c), 7),
                                  _mm_set1_epi16((short)0xBF80));
        __m256 f = _mm256_cvtph_ps(w);
        _mm256_storeu_pd(dst, _mm256_cvtps_pd(_mm256_castps256_ps128(f)));
        _mm256_storeu_pd(dst + 4, _mm256_cvtps_pd(_mm256_extractf128_ps(f, 1)));
        return (_mm_movemask_epi8(nan) & 0xFF) != 0;
    }
    if (x->size == 2)
        return words8(_mm_loadu_si128((const __m128i *)(const void *)p), dst);
    uint16_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = tab16[x->fidx][p[i]];
    return words8(_mm_loadu_si128((const __m128i *)(const void *)b), dst);
}

/* n <= 32 contiguous codes at p -> binary64 at dst (pack_vec_run's cvt). */
static int cvt_run(const tpi_vecs *x, const uint8_t *p, size_t n, double *dst)
{
    int sp = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        sp |= cvt8(x, p + i * x->size, dst + i);
    for (; i < n; i++) {
        uint16_t w = elem_bits(x, p, i);
        sp |= bf16_special(w);
        dst[i] = elem_f64(x, w);
    }
    return sp;
}

static int pack_a(const tpi_vecs *x, size_t v, size_t vend, size_t k0, size_t kc, double *dst,
                  double *tmp)
{
    return pack_vec_run(x, v, vend, k0, kc, dst, 1, tmp, 32, cvt_run);
}

/* Columns j .. j+n-1 (n <= 8), values k0 .. k0+kc-1, into bp[t*8 + q]
 * (binary64); columns n .. 7 are zero.  Special columns set spb[q]. */
static void pack_b(const tpi_vecs *x, size_t j, size_t jend, size_t n, size_t k0, size_t kc,
                   double *bp, uint8_t *spb, double *tmp)
{
    if (x->vstride == 1 && x->kstride != 1 && n == A_NR) { /* k-major: 8 codes per k */
        const size_t st = x->kstride * x->size;
        const uint8_t *p = tpi_vec_data(x, j) + k0 * st;
        int sp = 0;
        for (size_t t = 0; t < kc; t++) {
            if (t + 8 < kc) /* rows lie a page or more apart: fetch ahead */
                _mm_prefetch((const char *)(p + (t + 8) * st), _MM_HINT_T0);
            sp |= cvt8(x, p + t * st, bp + t * A_NR);
        }
        if (sp) /* find the columns */
            special_cols(x, p, kc, A_NR, spb);
        return;
    }
    pack_b_cols(x, j, jend, n, A_NR, k0, kc, bp, spb, tmp, 32, cvt_run);
}

/* C[6 x 8] (row stride ldc) += A[6 rows, stride lda] * B[kc x 8]. */
static __attribute__((noinline)) void kern_f64(size_t kc, const double *ap, size_t lda,
                                               const double *bp, double *c, size_t ldc)
{
    __m256d acc[A_MR][2];
#pragma GCC unroll 6
    for (int r = 0; r < A_MR; r++) {
        acc[r][0] = _mm256_loadu_pd(c + r * ldc);
        acc[r][1] = _mm256_loadu_pd(c + r * ldc + 4);
    }
    for (size_t t = 0; t < kc; t++) {
        __m256d b0 = _mm256_load_pd(bp + t * A_NR), b1 = _mm256_load_pd(bp + t * A_NR + 4);
#pragma GCC unroll 6
        for (int r = 0; r < A_MR; r++) {
            __m256d a = _mm256_broadcast_sd(ap + r * lda + t);
            acc[r][0] = _mm256_fmadd_pd(a, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_pd(a, b1, acc[r][1]);
        }
    }
#pragma GCC unroll 6
    for (int r = 0; r < A_MR; r++) {
        _mm256_storeu_pd(c + r * ldc, acc[r][0]);
        _mm256_storeu_pd(c + r * ldc + 4, acc[r][1]);
    }
}

static const gemm_elem_isa elem_isa = {A_MR, A_NR, A_KC, A_MC, A_NC, pack_a,
                                       pack_b, NULL, kern_f64, NULL};

static int gemm_avx2(const tpi_mm *mm, size_t i0, size_t i1, size_t j0, size_t j1, tpi_ws *ws,
                     unsigned *flags)
{
    if (mm->mode != TP_MODE_EXACT || mm->alpha == 0.0 || mm->k == 0 || i0 >= i1 || j0 >= j1)
        return 0;
    if (elem_ok(&mm->a) && elem_ok(&mm->b))
        return gemm_elem_run(mm, i0, i1, j0, j1, ws, flags, &elem_isa);
    return 0;
}

/* An inexact FMA, as the micro-kernel's (inexact_flag_works). */
static void fma_probe(void)
{
    __m256d one = _mm256_set1_pd(1.0), tiny = _mm256_set1_pd(0x1p-60);
    __asm__ __volatile__("" : "+x"(one), "+x"(tiny)); /* not known at compile time */
    __m256d r = _mm256_fmadd_pd(one, one, tiny);
    __asm__ __volatile__("" : : "x"(r)); /* computed */
}

void tpi_install_avx2_gemm(tpi_kernels *k)
{
    build_tables();
    if (inexact_flag_works(fma_probe))
        k->gemm = gemm_avx2;
}
