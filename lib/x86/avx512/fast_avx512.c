/*
 * fast_avx512.c -- TP_MODE_FAST tiles for AVX-512: the documented order of
 * doc/gemm.md with one zmm register as the sixteen binary32 lanes.
 *
 * Lane l of the register is the lane of k = l (mod 16): each step is one
 * vfmadd over sixteen consecutive k (one rounding per lane, as fmaf), a
 * ragged end uses merge masking so the lanes past k keep their value (a -0
 * lane stays -0), and the reduction adds the halves in the documented
 * pairs: l += l + 8, then + 4, + 2, + 1.  The operands are first decoded to
 * binary32 by the dispatch table's decoders, which give exactly the values
 * the documented order takes (element codes exactly, block values as
 * tp_block_dequantize_f32).  The result is therefore that of the generic
 * fast_one of lib/core/gemm.c, under any MXCSR (both follow it).
 */
#include <immintrin.h>
#include <string.h>

#include "internal.h"
#include "ref.h"

/* Vector v of an operand as k binary32 values in dst; 0 if the operand
 * needs the generic path (strided element codes). */
static int decode_vec(const tpi_vecs *x, size_t v, size_t k, float *dst)
{
    const tpi_kernels *kt = tpi_kernels_get();
    unsigned f = 0;
    if (!x->is_block) {
        if (x->kstride != 1)
            return 0;
        kt->dec_f32[x->fidx](x->f, tpi_vec_data(x, v), dst, k, &f);
        return 1;
    }
    kt->blk_dequant[x->kb->fmt](x->kb, tpi_vec_scales(x, v), tpi_vec_data(x, v),
                                k / (size_t)x->kb->bs, x->ts, dst, &f);
    return 1; /* FAST mode raises only the flags of its final encode */
}

static float lanes_dot(const float *a, const float *b, size_t k)
{
    __m512 acc = _mm512_setzero_ps();
    size_t t = 0;
    for (; t + 16 <= k; t += 16)
        acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + t), _mm512_loadu_ps(b + t), acc);
    if (t < k) {
        __mmask16 m = (__mmask16)((1u << (k - t)) - 1);
        acc = _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(m, a + t), _mm512_maskz_loadu_ps(m, b + t),
                                    acc, m);
    }
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(acc),
                             _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc), 1)));
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));       /* l += l + 2 */
    q = _mm_add_ss(q, _mm_shuffle_ps(q, q, 0x1)); /* l += l + 1 */
    return _mm_cvtss_f32(q);
}

static int fast_tile(const tpi_mm *mm, size_t i0, size_t i1, size_t j0, size_t j1, tpi_ws *ws,
                     unsigned *flags)
{
    size_t k = mm->k, nb = j1 - j0;
    if ((!mm->a.is_block && mm->a.kstride != 1) || (!mm->b.is_block && mm->b.kstride != 1))
        return 0;
    if (k > SIZE_MAX / 8)
        return 0;
    size_t stride = (k + 15) & ~(size_t)15;
    if (stride > SIZE_MAX / sizeof(float) / (nb + 1))
        return 0;
    float *buf = tpi_ws_get(ws, (nb + 1) * stride * sizeof(float));
    if (buf == NULL)
        return 0;
    float *arow = buf + nb * stride;
    int any = mm->alpha != 0 && k != 0; /* k == 0: nothing to decode (data may be NULL) */
    if (any)
        for (size_t j = j0; j < j1; j++)
            decode_vec(&mm->b, j, k, buf + (j - j0) * stride);
    for (size_t i = i0; i < i1; i++) {
        if (any)
            decode_vec(&mm->a, i, k, arow);
        for (size_t j = j0; j < j1; j++) {
            float s = any ? lanes_dot(arow, buf + (j - j0) * stride, k) : 0.0f;
            tpi_mm_put_fast(mm, i, j, s, flags);
        }
    }
    return 1;
}

void tpi_install_avx512_fast(tpi_kernels *k)
{
    k->fast = fast_tile;
}
