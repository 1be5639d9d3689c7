/*
 * gemm_common.h -- the ISA-independent parts of the exact GEMM tile
 * kernels, shared by lib/x86/avx2/gemm_avx2.c and
 * lib/x86/avx512/gemm_avx512.c.
 *
 * Included by each ISA file and so compiled with that file's flags.  It
 * holds plain C and the SSE MXCSR accessors, as static functions: the
 * tables of the 8-bit formats, the tile context, the exactness check by
 * the inexact flag, the store of a finished block, and the BLIS-shaped
 * driver of the element x element family (gemm_elem_run), which calls an
 * ISA's packing and micro-kernel through a gemm_elem_isa.  The file
 * comment of gemm_avx512.c gives the method and its exactness argument.
 */
#ifndef TRUEPOINT_X86_GEMM_COMMON_H
#define TRUEPOINT_X86_GEMM_COMMON_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xmmintrin.h>

#include "ref.h"

#define PE_FLAG 0x20u /* MXCSR precision (inexact) flag */

/* ------------------------------------------------------------ tables */

/* bfloat16 bits of every code of the 8-bit built-in formats whose finite
 * values are all normal bfloat16 values (exponent field 0x7F80 for NaN, Inf
 * and codes wider than the format: such vectors go to the generic path). */
static uint16_t tab16[TP_FORMAT_COUNT][256] __attribute__((aligned(64)));
static int tab_ok[TP_FORMAT_COUNT];

static void build_tables(void)
{
    for (int f = 0; f < TP_FORMAT_COUNT; f++) {
        const tp_format_desc *d = tp_format_get((tp_format)f);
        tab_ok[f] = 0;
        if (d == NULL || tpi_code_size(d) != 1 || f == TP_E8M0)
            continue;
        tpi_fmt p;
        tpi_fmt_init(&p, d);
        int ok = 1;
        for (unsigned c = 0; c < 256 && ok; c++) {
            tpi_val v;
            unsigned junk = 0;
            if (c > p.code_mask) {
                tab16[f][c] = 0x7FC0;
                continue;
            }
            tpi_ref_unpack(&p, c, &v, &junk);
            if (v.cls == TPI_NAN || v.cls == TPI_INF) {
                tab16[f][c] = 0x7FC0;
            } else if (v.cls == TPI_ZERO) {
                tab16[f][c] = (uint16_t)(v.sign ? 0x8000 : 0);
            } else {
                double x = ldexp((double)v.mant, v.exp);
                float y = (float)x;
                uint32_t u;
                memcpy(&u, &y, sizeof u);
                uint32_t e = (u >> 23) & 0xFF;
                if ((double)y != x || (u & 0xFFFF) != 0 || e == 0 || e == 0xFF)
                    ok = 0;
                tab16[f][c] = (uint16_t)((u >> 16) | (v.sign ? 0x8000u : 0));
            }
        }
        tab_ok[f] = ok;
    }
}

/* ------------------------------------------------------------ helpers */

static size_t round_up(size_t x, size_t m)
{
    return (x + m - 1) / m * m;
}

/* An ISA's store of binary32 outputs (see f32_direct): rounds c[q] * post
 * for the columns q in todo (nr <= 16) to nearest even and stores them at
 * row[q] where it can; returns the columns it left. */
typedef uint32_t (*gemm_row_f32)(const double *c, double post, uint32_t todo, float *row,
                                 unsigned *flags);

/* One tile call: the generic path gets a scratch of its own (gws). */
typedef struct tile_ctx {
    const tpi_mm *mm;
    tpi_ws gws;
    unsigned *flags;
    unsigned csr;       /* the caller's MXCSR */
    unsigned raised;    /* status flags raised by the generic path and the stores */
    gemm_row_f32 row32; /* the ISA's direct binary32 store, or NULL */
} tile_ctx;

static void generic(tile_ctx *t, size_t i0, size_t i1, size_t j0, size_t j1)
{
    if (i0 < i1 && j0 < j1)
        tpi_mm_generic(t->mm, i0, i1, j0, j1, &t->gws, t->flags);
}

/* The common case C = A B into a binary32 C with rows of unit stride,
 * rounded to nearest even, where an ISA may store the outputs of a block
 * row several at a time. */
static int f32_direct(const tpi_mm *mm)
{
    return mm->beta == 0 && mm->alpha == 1.0 && mm->rnd == TP_RNE && mm->c_js == 1
           && tpi_builtin_index(mm->cf->d) == TP_F32;
}

/* A tile context (row32: the ISA's direct store, used when f32_direct). */
static tile_ctx tile_start(const tpi_mm *mm, unsigned *flags, gemm_row_f32 row32)
{
    tile_ctx t = {mm, {NULL, 0}, flags, _mm_getcsr(), 0, f32_direct(mm) ? row32 : NULL};
    return t;
}

/* Stores the outputs of one MR x NR block of a sub-tile: rows i .. i+mr-1,
 * columns j .. j+nr-1 (nr <= 16); c holds the binary64 sums (row stride
 * ldc) in units of 1/post, a power of two. */
static void finish_block(tile_ctx *t, size_t i, size_t mr, size_t j, size_t nr, const double *c,
                         size_t ldc, double post, int bad, const uint8_t *spa, const uint8_t *spb)
{
    if (bad) {
        generic(t, i, i + mr, j, j + nr);
        return;
    }
    const tpi_mm *mm = t->mm;
    uint32_t spm = 0; /* the special columns */
    for (size_t q = 0; q < nr; q++)
        spm |= (uint32_t)(spb[q] != 0) << q;
    for (size_t r = 0; r < mr; r++) {
        if (spa[r]) {
            generic(t, i + r, i + r + 1, j, j + nr);
            continue;
        }
        uint32_t rest = ((uint32_t)1 << nr) - 1; /* outputs left */
        if (t->row32 != NULL)
            rest = t->row32(c + r * ldc, post, rest & ~spm,
                            (float *)(void *)mm->c + (i + r) * mm->c_is + j, t->flags)
                   | spm;
        for (size_t q = 0; q < nr; q++) {
            if (!((rest >> q) & 1))
                continue;
            double s = c[r * ldc + q] * post; /* exact */
            if (spb[q] || s == 0.0)
                generic(t, i + r, i + r + 1, j + q, j + q + 1);
            else
                tpi_mm_put_f64(mm, i + r, j + q, s, t->flags);
        }
    }
}

/* The MXCSR of the packing and the micro-kernels: the caller's rounding
 * and FTZ/DAZ bits (which change nothing here), every exception masked (a
 * NaN of a special vector must not trap), the status flags clear. */
static unsigned csr_kernel(const tile_ctx *t)
{
    return (t->csr & ~0x3Fu) | 0x1F80u;
}

static void csr_clear(const tile_ctx *t)
{
    __asm__ __volatile__("" ::: "memory");
    _mm_setcsr(csr_kernel(t));
    __asm__ __volatile__("" ::: "memory");
}

static int csr_inexact(void)
{
    __asm__ __volatile__("" ::: "memory");
    unsigned v = _mm_getcsr();
    __asm__ __volatile__("" ::: "memory");
    return (v & PE_FLAG) != 0;
}

/* 1 if the FPU raises the inexact flag for an inexact vector FMA (probe:
 * one such FMA, kept from being optimised away): the kernels' exactness
 * check depends on it.  Not every environment does (valgrind does not
 * emulate the MXCSR status flags), and there the kernels are not installed
 * and every product takes the generic path. */
static int inexact_flag_works(void (*probe)(void))
{
    unsigned csr = _mm_getcsr();
    _mm_setcsr((csr & ~0x3Fu) | 0x1F80u);
    probe();
    int ok = (_mm_getcsr() & PE_FLAG) != 0;
    _mm_setcsr(csr);
    return ok;
}

/* ================================================= element x element, fp64 */

/* Operands of the element family: bfloat16, or an 8-bit format in tab16. */
static int elem_ok(const tpi_vecs *x)
{
    if (x->is_block || x->fidx < 0)
        return 0;
    if (x->fidx == TP_BF16)
        return x->size == 2;
    return x->size == 1 && tab_ok[x->fidx];
}

/* bfloat16 bits of code i (counted in codes) from p. */
static inline uint16_t elem_bits(const tpi_vecs *x, const uint8_t *p, size_t i)
{
    if (x->size == 1)
        return tab16[x->fidx][p[i]];
    uint16_t w;
    memcpy(&w, p + 2 * i, sizeof w);
    return w;
}

/* The exact binary64 value of bfloat16 bits (any, DAZ-independent). */
static inline double bf16_f64(uint16_t w)
{
    return tpi_f32_bits_to_f64((uint32_t)w << 16);
}

static inline int bf16_special(uint16_t w)
{
    return (w & 0x7F80) == 0x7F80;
}

/* E4M3 takes a shorter road: code c maps to the binary16 bits
 * (sign << 15) | ((c & 0x7F) << 7), whose value is exactly value(c) * 2^-8
 * (the biases differ by 8; E4M3 subnormals become binary16 subnormals, which
 * vcvtph2ps widens exactly whatever DAZ says).  Such an operand is packed as
 * value * 2^-8 (E4_SCALE) on every path, and the sums are scaled back. */
#define E4_SCALE 0x1p-8

static inline int is_e4m3(const tpi_vecs *x)
{
    return x->size == 1 && x->fidx == TP_E4M3;
}

/* The packed binary64 of bfloat16 bits w of operand x (scalar paths). */
static inline double elem_f64(const tpi_vecs *x, uint16_t w)
{
    return is_e4m3(x) ? bf16_f64(w) * E4_SCALE : bf16_f64(w);
}

/* Values k0 .. k0+kc-1 of vector v (any strides) -> dst[t * ds], one at a
 * time; returns 1 if one is NaN/Inf. */
static int pack_vec_scalar(const tpi_vecs *x, size_t v, size_t k0, size_t kc, double *dst,
                           size_t ds)
{
    const uint8_t *p = tpi_vec_data(x, v) + k0 * x->kstride * x->size;
    int sp = 0;
    for (size_t t = 0; t < kc; t++) {
        uint16_t w = elem_bits(x, p, t * x->kstride);
        sp |= bf16_special(w);
        dst[t * ds] = elem_f64(x, w);
    }
    return sp;
}

#define PACK_AHEAD 8 /* vectors: see pack_vec_run */

/* Values k0 .. k0+kc-1 of vector v -> dst[t * ds] (binary64), by cvt
 * (which converts n <= step contiguous codes at p to dst and returns 1 if
 * one is NaN/Inf); returns 1 if one is NaN/Inf.  With kstride 1 the same
 * values of vector v + PACK_AHEAD are prefetched if that is below vend:
 * vectors lie k codes apart, too far for the hardware prefetchers to
 * follow, and every chunk of a vector comes a whole micro-kernel pass after
 * the previous one.  ds != 1 goes through tmp (kc values). */
static inline int pack_vec_run(const tpi_vecs *x, size_t v, size_t vend, size_t k0, size_t kc,
                               double *dst, size_t ds, double *tmp, size_t step,
                               int (*cvt)(const tpi_vecs *, const uint8_t *, size_t, double *))
{
    if (x->kstride != 1)
        return pack_vec_scalar(x, v, k0, kc, dst, ds);
    const uint8_t *p = tpi_vec_data(x, v) + k0 * x->size;
    double *o = ds == 1 ? dst : tmp;
    const uint8_t *ah = v + PACK_AHEAD < vend ? tpi_vec_data(x, v + PACK_AHEAD) + k0 * x->size
                                              : NULL;
    int sp = 0;
    for (size_t t = 0; t < kc; t += step) {
        if (ah != NULL)
            for (size_t b = 0; b < step * x->size; b += 64)
                _mm_prefetch((const char *)(ah + t * x->size + b), _MM_HINT_T0);
        sp |= cvt(x, p + t * x->size, kc - t < step ? kc - t : step, o + t);
    }
    if (ds != 1)
        for (size_t t = 0; t < kc; t++)
            dst[t * ds] = tmp[t];
    return sp;
}

/* Columns j .. j+n-1 (n <= nr) one vector at a time (pack_vec_run with
 * step and cvt), values k0 .. k0+kc-1, into bp[t * nr + q]; columns
 * n .. nr-1 are zero.  Special columns set spb[q]. */
static inline void pack_b_cols(const tpi_vecs *x, size_t j, size_t jend, size_t n, size_t nr,
                               size_t k0, size_t kc, double *bp, uint8_t *spb, double *tmp,
                               size_t step,
                               int (*cvt)(const tpi_vecs *, const uint8_t *, size_t, double *))
{
    for (size_t q = 0; q < n; q++)
        spb[q] |= (uint8_t)pack_vec_run(x, j + q, jend, k0, kc, bp + q, nr, tmp, step, cvt);
    for (size_t q = n; q < nr; q++)
        for (size_t t = 0; t < kc; t++)
            bp[t * nr + q] = 0.0;
}

/* The special columns among q .. q+n-1 of a k-major operand (codes of one
 * k adjacent for neighbouring vectors) over kc values from p. */
static void special_cols(const tpi_vecs *x, const uint8_t *p, size_t kc, size_t n, uint8_t *spb)
{
    for (size_t t = 0; t < kc; t++)
        for (size_t q = 0; q < n; q++)
            spb[q] |= (uint8_t)bf16_special(elem_bits(x, p, t * x->kstride + q));
}

/* An ISA's side of the element family.  The micro-kernel updates an
 * mr x nr block of binary64 sums (row stride ldc) with kc steps of A
 * (mr rows, stride lda) times B (kc x nr, row stride nr). */
typedef struct gemm_elem_isa {
    size_t mr, nr, kc, mc, nc; /* register block, k chunk, sub-tile */
    /* A: values k0 .. k0+kc-1 of vector v into dst (contiguous); vend
     * bounds the vectors it may prefetch; returns 1 if one is NaN/Inf */
    int (*pack_a)(const tpi_vecs *x, size_t v, size_t vend, size_t k0, size_t kc, double *dst,
                  double *tmp);
    /* B: columns j .. j+n-1 (n <= nr) into bp[t * nr + q], zeros past n;
     * jend bounds the prefetch; special columns set spb[q] */
    void (*pack_b)(const tpi_vecs *x, size_t j, size_t jend, size_t n, size_t k0, size_t kc,
                   double *bp, uint8_t *spb, double *tmp);
    /* B, optional: packs whole panels of nc columns from j at once if it
     * suits the operand's layout; returns the number of panels packed */
    size_t (*pack_b_panels)(const tpi_vecs *x, size_t j, size_t nc, size_t k0, size_t kc,
                            double *bp, uint8_t *spb);
    void (*kern)(size_t kc, const double *ap, size_t lda, const double *bp, double *c,
                 size_t ldc);
    gemm_row_f32 row32; /* optional direct binary32 store */
} gemm_elem_isa;

/* The element x element tile [i0,i1) x [j0,j1); returns 0 (nothing
 * written) if the scratch cannot be had. */
static int gemm_elem_run(const tpi_mm *mm, size_t i0, size_t i1, size_t j0, size_t j1,
                         tpi_ws *ws, unsigned *flags, const gemm_elem_isa *is)
{
    const size_t k = mm->k, MR = is->mr, NR = is->nr, KC = is->kc, MC = is->mc, NC = is->nc;
    const size_t mcap = round_up(i1 - i0 < MC ? i1 - i0 : MC, MR);
    const size_t ncap = round_up(j1 - j0 < NC ? j1 - j0 : NC, NR);
    const size_t kcap = k < KC ? k : KC;
    const size_t nbad = (mcap / MR) * (ncap / NR);
    size_t off_a = 0, off_b = off_a + round_up(mcap * kcap * 8, 64);
    size_t off_c = off_b + round_up(ncap * kcap * 8, 64);
    size_t off_t = off_c + round_up(mcap * ncap * 8, 64);
    size_t off_s = off_t + round_up(kcap * 8, 64);
    size_t total = off_s + round_up(mcap + ncap + nbad, 64);
    uint8_t *base = (uint8_t *)tpi_ws_get(ws, total);
    if (base == NULL)
        return 0;
    const double post = (is_e4m3(&mm->a) ? 1 / E4_SCALE : 1.0) *
                        (is_e4m3(&mm->b) ? 1 / E4_SCALE : 1.0);
    double *ap = (double *)(base + off_a), *bp = (double *)(base + off_b);
    double *cb = (double *)(base + off_c), *tmp = (double *)(base + off_t);
    uint8_t *spa = base + off_s, *spb = spa + mcap, *bad = spb + ncap;

    tile_ctx t = tile_start(mm, flags, is->row32);
    for (size_t jc = j0; jc < j1; jc += NC) {
        size_t nc = j1 - jc < NC ? j1 - jc : NC, ncp = round_up(nc, NR);
        for (size_t ic = i0; ic < i1; ic += MC) {
            size_t mc = i1 - ic < MC ? i1 - ic : MC, mcp = round_up(mc, MR);
            size_t njr = ncp / NR, nir = mcp / MR;
            memset(cb, 0, mcp * ncp * sizeof(double));
            memset(spa, 0, mcap + ncap + nbad);
            _mm_setcsr(csr_kernel(&t));
            for (size_t pc = 0; pc < k; pc += KC) {
                size_t kc = k - pc < KC ? k - pc : KC;
                for (size_t r = 0; r < mcp; r++) {
                    if (r < mc)
                        spa[r] |= (uint8_t)is->pack_a(&mm->a, ic + r, ic + mc, pc, kc,
                                                      ap + r * kc, tmp);
                    else
                        memset(ap + r * kc, 0, kc * sizeof(double));
                }
                size_t jr0 = is->pack_b_panels != NULL
                                 ? is->pack_b_panels(&mm->b, jc, nc, pc, kc, bp, spb)
                                 : 0;
                for (size_t jr = jr0; jr < njr; jr++) {
                    size_t nr = nc - jr * NR < NR ? nc - jr * NR : NR;
                    is->pack_b(&mm->b, jc + jr * NR, jc + nc, nr, pc, kc, bp + jr * NR * kc,
                               spb + jr * NR, tmp);
                }
                for (size_t jr = 0; jr < njr; jr++) {
                    for (size_t ir = 0; ir < nir; ir++) {
                        csr_clear(&t);
                        is->kern(kc, ap + ir * MR * kc, kc, bp + jr * NR * kc,
                                 cb + ir * MR * ncp + jr * NR, ncp);
                        bad[ir * njr + jr] |= (uint8_t)csr_inexact();
                    }
                }
            }
            _mm_setcsr(t.csr);
            for (size_t ir = 0; ir < nir; ir++) {
                size_t mr = mc - ir * MR < MR ? mc - ir * MR : MR;
                for (size_t jr = 0; jr < njr; jr++) {
                    size_t nr = nc - jr * NR < NR ? nc - jr * NR : NR;
                    finish_block(&t, ic + ir * MR, mr, jc + jr * NR, nr,
                                 cb + ir * MR * ncp + jr * NR, ncp, post, bad[ir * njr + jr],
                                 spa + ir * MR, spb + jr * NR);
                }
            }
            t.raised |= _mm_getcsr() & 0x3Fu;
        }
    }
    _mm_setcsr(t.csr | t.raised);
    free(t.gws.p);
    return 1;
}

#endif /* TRUEPOINT_X86_GEMM_COMMON_H */
