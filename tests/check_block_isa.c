/*
 * check_block_isa.c -- every ISA variant of the block kernels gives the
 * reference's bits and flags.
 *
 * The dispatcher reads TP_ISA once per process, so this program re-executes
 * itself (/proc/self/exe, else argv[0]) with TP_ISA=ref, avx2 and avx512, as
 * tests/check_isa.c does.  Each child runs the same deterministic sweep and
 * writes one 64-bit hash per piece (status, flags, scales, elements or
 * values, and the red zones after them).  The sweep covers:
 *   - quantisation of every block format (plus BFP and torchao variants) x
 *     every scale rule x every rounding mode, over tensors of 1..40 blocks
 *     whose blocks are drawn from many kinds: random values across
 *     magnitudes, amax at, just below and just above every element-max and
 *     power-of-two threshold, tiny and subnormal amax, zero, NaN, Inf and
 *     all-NaN blocks, blocks near FLT_MAX; with unaligned source, scale and
 *     element pointers; whole tensors and 2-D calls along both axes; and
 *     long tensors (17..199 blocks, several 16-block groups of the vector
 *     kernels) of the MX float formats under RNE, whose first blocks are
 *     exact, so that the flags still to be found change between groups;
 *   - dequantisation to binary32 of random codes under every scale code
 *     0x00..0xFF (each tensor sweeps the scale codes), of the quantised
 *     tensors above, and 2-D dequantisation.
 * The parent compares each variant's hashes with the ref child's; on the
 * first difference the two children are rerun in detail mode for that piece
 * and both dumps are printed.  A variant the CPU (or build) lacks reports a
 * lower tp_active_isa(); that comparison is skipped and says so.  Every
 * comparison runs again with the children's library calls under MXCSR
 * FTZ|DAZ (testutil.h); NVFP4 and ggml_q8_0 quantisation pieces are marked
 * environment-dependent (the documented exception of doc/blocks.md).  The re-exec
 * harness is tpt_isa_main (testutil.h); this file holds the sweep.
 *
 * Under TP_TEST_TIER=quick (testutil.h; the children inherit it) the sweep
 * takes a tenth or a fifth of the random tensors per (format, rule, mode)
 * and a quarter of the long ones; the scale-code sweeps stay whole.
 */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define ENV_OUT "TPT_BISA_OUT"
#define ENV_DETAIL "TPT_BISA_DETAIL"
#define MAGIC UINT32_C(0x54504249) /* "TPBI" */
#define MAXBLK 40      /* blocks of a random tensor */
#define LONGBLK 200    /* blocks of a long tensor (32-element blocks) */
#define MAXVAL (LONGBLK * 32 > MAXBLK * 256 ? LONGBLK * 32 : MAXBLK * 256)
#define RED 32

/* NVFP4 tensor scales that are binary32 subnormals (valid: finite, > 0).
 * Under DAZ the library's check ts > 0 (lib/core) and the reference's
 * (double) widening of ts (lib/ref/block_ref.c) read them as 0; set to 1
 * once those compare and widen on the bits. */
#ifndef TPT_SUBNORMAL_TS
#define TPT_SUBNORMAL_TS 1
#endif

static float bitsf(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static uint32_t fbits(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/* Nonzero in the reduced tier (TP_TEST_TIER=quick); set by main(). */
static int quick;

/* ------------------------------------------------------------ the configs */

static const char *cfg_names[] = {
    "mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e2m3", "mxfp6_e3m2", "mxfp4",     "mxint8",
    "nvfp4",      "nvfp4_torchao", "bfp8_16", "bfp4_32",    "bfp12_8",   "ggml_mxfp4",
    "ggml_q8_0",
};
#define N_CFG (int)(sizeof cfg_names / sizeof cfg_names[0])

static const char *rnd_name[] = {"RNE", "RNA", "RTZ", "RUP", "RDN", "RTO", "RSR"};

/* ------------------------------------------------------------ inputs */

static uint64_t rng;

static uint32_t r32(void)
{
    return (uint32_t)(tpt_rand64(&rng) >> 32);
}

/* Element max of the block's element format (for threshold blocks). */
static double elem_max(const tp_block_desc *b)
{
    if (b->format == TP_BLOCK_BFP || b->format == TP_BLOCK_GGML_Q8_0)
        return 127.0 / 64;
    double v = 0;
    const tp_format_desc *d = tp_format_get((tp_format)b->elem);
    uint64_t nc = UINT64_C(1) << d->bits;
    for (uint64_t c = 0; c < nc; c++) {
        double x;
        if (tp_decode1(d, c, &x, NULL) == TP_OK && isfinite(x) && x > v)
            v = x;
    }
    return v;
}

/* Fills one block of bs values of kind `kind`. */
static void gen_block(float *x, int bs, int kind, double emaxv)
{
    int sh = (int)(r32() % 280) - 150; /* overall magnitude 2^-150 .. 2^130 */
    for (int j = 0; j < bs; j++) {
        double m = ldexp((double)(r32() | 1u) / 4294967296.0, (int)(r32() % 24) - 12);
        double v = ldexp(m, sh);
        x[j] = (float)((r32() & 1) ? -v : v);
    }
    int p = (int)(r32() % (unsigned)bs);
    switch (kind % 12) {
    case 0: break; /* random across magnitudes */
    case 1:        /* moderate magnitudes: the common vector path */
        for (int j = 0; j < bs; j++)
            x[j] = (float)ldexp((double)(int32_t)r32() / 2147483648.0, (int)(r32() % 20) - 10);
        break;
    case 2: { /* amax = element max * 2^k, one ulp either side */
        int k = (int)(r32() % 300) - 160;
        float a = (float)ldexp(emaxv, k);
        uint32_t ab = fbits(a) + (uint32_t)((int)(r32() % 3) - 1);
        if ((ab & 0x7F800000u) != 0x7F800000u)
            x[p] = bitsf(ab | (r32() & 0x80000000u));
        break;
    }
    case 3: { /* amax a power of two or just below */
        int k = (int)(r32() % 300) - 160;
        float a = (float)ldexp(1.0, k);
        uint32_t ab = fbits(a) - (r32() & 1);
        x[p] = bitsf(ab | (r32() & 0x80000000u));
        for (int j = 0; j < bs; j++)
            if (fabsf(x[j]) > fabsf(x[p]))
                x[j] = x[j] * 0.0f;
        break;
    }
    case 4: /* subnormal amax */
        for (int j = 0; j < bs; j++)
            x[j] = bitsf((r32() & 0x807FFFFFu) >> (r32() % 20));
        break;
    case 5: /* zeros (signed), maybe one tiny value */
        for (int j = 0; j < bs; j++)
            x[j] = bitsf(r32() & 0x80000000u);
        if (r32() & 1)
            x[p] = bitsf((r32() & 0x80FFFFFFu));
        break;
    case 6: /* one NaN */
        x[p] = bitsf(0x7FC00000u | (r32() & 0x803FFFFFu));
        break;
    case 7: /* one Inf */
        x[p] = bitsf(0x7F800000u | (r32() & 0x80000000u));
        break;
    case 8: /* all NaN */
        for (int j = 0; j < bs; j++)
            x[j] = bitsf(0x7F800001u | (r32() & 0x803FFFFFu));
        break;
    case 9: /* near FLT_MAX */
        for (int j = 0; j < bs; j++)
            x[j] = bitsf(0x7F000000u + (r32() & 0x007FFFFFu) + (r32() & 0x80000000u));
        break;
    case 10: /* few significant bits (exact elements), zeros mixed in */
        for (int j = 0; j < bs; j++)
            x[j] = (r32() & 3) ? (float)ldexp((double)((int)(r32() % 15) - 7), (int)(r32() % 8))
                               : 0.0f;
        break;
    default: /* ties of the element grid: k/16 values */
        for (int j = 0; j < bs; j++)
            x[j] = (float)ldexp((double)((int)(r32() % 257) - 128), -4 + (int)(r32() % 3));
        break;
    }
}

/* ------------------------------------------------------------ the sweep */

typedef struct run {
    FILE *out;
    long detail; /* piece to dump, or -1 */
    long piece;
} run;

static void dump_hex(FILE *f, const char *what, const unsigned char *p, size_t n)
{
    fprintf(f, "%s (%zu bytes):", what, n);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%02x", i % 32 == 0 ? "\n  " : " ", p[i]);
    fprintf(f, "\n");
}

/* Records a piece: status, flags, then the given buffers (each with its red
 * zone included by the caller). */
static void record(run *r, const char *desc, int env_dep, tp_status st, unsigned flags,
                   const void *b1, size_t n1, const void *b2, size_t n2, const float *in,
                   size_t nin)
{
    long k = r->piece++;
    if (r->detail < 0) {
        uint64_t h = TPT_FNV_INIT;
        h = tpt_fnv(h, &st, sizeof st);
        h = tpt_fnv(h, &flags, sizeof flags);
        if (b1 != NULL)
            h = tpt_fnv(h, b1, n1);
        if (b2 != NULL)
            h = tpt_fnv(h, b2, n2);
        tpt_isa_put(r->out, h, env_dep);
    } else if (k == r->detail) {
        fprintf(r->out, "piece %ld: %s%s\nstatus %d flags 0x%x\n", k, desc,
                env_dep ? " (environment-dependent)" : "", (int)st, flags);
        if (in != NULL) {
            fprintf(r->out, "inputs (binary32 bits):");
            for (size_t i = 0; i < nin; i++)
                fprintf(r->out, "%s%08x", i % 8 == 0 ? "\n  " : " ", fbits(in[i]));
            fprintf(r->out, "\n");
        }
        if (b1 != NULL)
            dump_hex(r->out, "buffer 1", (const unsigned char *)b1, n1);
        if (b2 != NULL)
            dump_hex(r->out, "buffer 2", (const unsigned char *)b2, n2);
    }
}

static unsigned char *xalloc(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, n + 512) != 0)
        abort();
    return (unsigned char *)p;
}

typedef struct bufs {
    unsigned char *src, *sc, *el, *dst, *codes_sc, *codes_el;
} bufs;

/* Quantises nblk blocks of x (whole tensor and, sometimes, 2-D), records,
 * and then dequantises the result (recorded too). */
static void quant_piece(run *r, bufs *B, const tp_block_desc *b, const char *name, int rule,
                        int rnd, size_t nblk, const float *x, size_t off, float ts)
{
    size_t bs = b->block_size, n = nblk * bs, sb = 0, eb = 0;
    char desc[160];
    if (tp_block_storage(b, n, &sb, &eb) != TP_OK)
        abort();
    float *src = (float *)(void *)(B->src + 64) + off % 4;
    memcpy(src, x, n * sizeof(float));
    uint8_t *sc = B->sc + 64 + off % 3;
    uint8_t *el = B->el + 64 + (off / 3) % 5;
    memset(B->sc, 0xA5, LONGBLK + 512);
    memset(B->el, 0x5A, MAXVAL * 2 + 512);
    uint32_t words[MAXVAL];
    for (size_t i = 0; i < n; i++)
        words[i] = (uint32_t)(i * 0x9E3779B9u) ^ (uint32_t)off;
    tp_sr sr = {(off & 1) ? words : NULL, 12345, off * 1000};
    unsigned flags = 0;
    int twod = (off % 5) == 2 ? 1 : (off % 5) == 4 ? 2 : 0;
    /* the documented exception: NVFP4 and ggml_q8_0 quantisation follow
     * their anchors' binary32 operations, which FTZ/DAZ can change */
    int dep = b->format == TP_BLOCK_NVFP4 || b->format == TP_BLOCK_GGML_Q8_0;
    tp_status st;
    tpt_fpenv_enter();
    if (twod == 0) {
        st = tp_block_quantize_f32(b, src, n, sc, el, ts, (tp_scale_rule)rule, (tp_round)rnd, &sr,
                                   &flags);
    } else if (twod == 1) { /* rows of whole blocks, ld > cols */
        size_t rows = nblk, cols = bs, ld = bs + 3;
        float *m = (float *)(void *)(B->src + 64);
        for (size_t i = 0; i < rows; i++)
            memcpy(m + i * ld, x + i * cols, cols * sizeof(float));
        st = tp_block_quantize_2d_f32(b, m, rows, cols, ld, 1, sc, el, ts, (tp_scale_rule)rule,
                                      (tp_round)rnd, &sr, &flags);
    } else { /* columns: rows = bs, cols = nblk, column j is block j */
        size_t rows = bs, cols = nblk, ld = nblk + 1;
        float *m = (float *)(void *)(B->src + 64);
        for (size_t j = 0; j < cols; j++)
            for (size_t i = 0; i < rows; i++)
                m[i * ld + j] = x[j * bs + i];
        st = tp_block_quantize_2d_f32(b, m, rows, cols, ld, 0, sc, el, ts, (tp_scale_rule)rule,
                                      (tp_round)rnd, &sr, &flags);
    }
    tpt_fpenv_leave();
    snprintf(desc, sizeof desc, "quantize %s rule %d %s nblk %zu off %zu 2d %d", name, rule,
             rnd_name[rnd], nblk, off, twod);
    record(r, desc, dep, st, flags, sc, sb + RED, el, eb + RED, x, n);
    if (st != TP_OK)
        return;
    /* dequantise what was produced */
    float *dst = (float *)(void *)(B->dst + 64) + (off / 2) % 4;
    memset(B->dst, 0xC3, MAXVAL * 4 + 512);
    flags = 0;
    tpt_fpenv_enter();
    if (twod == 2) {
        st = tp_block_dequantize_2d_f32(b, sc, el, bs, nblk, 0, ts, dst, nblk + 2, &flags);
        n = bs * (nblk + 2);
    } else {
        st = tp_block_dequantize_f32(b, sc, el, n, ts, dst, &flags);
    }
    tpt_fpenv_leave();
    snprintf(desc, sizeof desc, "dequantize(quantize) %s rule %d %s nblk %zu off %zu 2d %d", name,
             rule, rnd_name[rnd], nblk, off, twod);
    record(r, desc, dep, st, flags, dst, n * 4 + RED, NULL, 0, NULL, 0);
}

/* Dequantises random codes under the scale codes base, base+1, ... */
static void deq_piece(run *r, bufs *B, const tp_block_desc *b, const char *name, size_t nblk,
                      unsigned base, size_t off, float ts)
{
    size_t bs = b->block_size, n = nblk * bs, sb = 0, eb = 0;
    char desc[160];
    if (tp_block_storage(b, n, &sb, &eb) != TP_OK)
        abort();
    uint8_t *sc = B->codes_sc + 64 + off % 3;
    uint8_t *el = B->codes_el + 64 + (off / 3) % 5;
    for (size_t i = 0; i < sb; i++)
        sc[i] = (uint8_t)(base + i);
    for (size_t i = 0; i < eb; i++)
        el[i] = (uint8_t)r32();
    /* keep codes valid: FP6 in 6 bits, BFP in mant_bits */
    if (b->format == TP_BLOCK_MXFP6_E2M3 || b->format == TP_BLOCK_MXFP6_E3M2)
        for (size_t i = 0; i < eb; i++)
            el[i] &= 0x3F;
    if (b->format == TP_BLOCK_BFP) {
        unsigned mb = b->mant_bits;
        for (size_t i = 0; i < n; i++) {
            uint32_t v = r32() & ((1u << mb) - 1);
            if (mb <= 8)
                el[i] = (uint8_t)v;
            else {
                uint16_t h = (uint16_t)v;
                memcpy(el + 2 * i, &h, 2);
            }
        }
    }
    if (b->format == TP_BLOCK_GGML_MXFP4)
        for (size_t i = 0; i < nblk; i++)
            el[i * 17] = (uint8_t)(base + i);
    if (b->format == TP_BLOCK_GGML_Q8_0)
        for (size_t i = 0; i < nblk; i++) {
            el[i * 34] = (uint8_t)r32();
            el[i * 34 + 1] = (uint8_t)(base + i);
        }
    float *dst = (float *)(void *)(B->dst + 64) + off % 4;
    memset(B->dst, 0xC3, MAXVAL * 4 + 512);
    unsigned flags = 0;
    tpt_fpenv_enter();
    tp_status st = tp_block_dequantize_f32(b, sc, el, n, ts, dst, &flags);
    tpt_fpenv_leave();
    snprintf(desc, sizeof desc, "dequantize %s scales from 0x%02x nblk %zu off %zu", name,
             base & 0xFF, nblk, off);
    record(r, desc, 0, st, flags, dst, n * 4 + RED, NULL, 0, NULL, 0);
}

static void sweep(run *r, uint64_t seed)
{
    bufs B;
    B.src = xalloc(MAXVAL * 4 * 2);
    B.sc = xalloc(LONGBLK);
    B.el = xalloc(MAXVAL * 2);
    B.dst = xalloc(MAXVAL * 4 * 2);
    B.codes_sc = xalloc(LONGBLK);
    B.codes_el = xalloc(MAXVAL * 2);
    float *x = (float *)(void *)xalloc(MAXVAL * 4);
    size_t off = 0;
    for (int c = 0; c < N_CFG; c++) {
        tp_block_desc b;
        if (tp_block_from_name(cfg_names[c], &b) != TP_OK)
            abort();
        rng = seed ^ (uint64_t)(c + 1) * UINT64_C(0x9E3779B97F4A7C15);
        double emaxv = elem_max(&b);
        int bs = b.block_size;
        int nvfp4 = b.format == TP_BLOCK_NVFP4;
        int mx_fast = b.format <= TP_BLOCK_MXFP4; /* the vector formats: more pieces */
        for (int rule = TP_SCALE_FLOOR; rule <= TP_SCALE_EVEN; rule++) {
            if (nvfp4 && rule != TP_SCALE_FLOOR)
                continue; /* ignored by NVFP4 */
            for (int rnd = TP_RNE; rnd <= TP_RSR; rnd++) {
                int pieces = (rnd == TP_RNE && mx_fast) ? 160 : 10;
                if (quick) /* two, so that NVFP4 also takes ts = 1 (pc % 3 == 1) */
                    pieces = pieces > 10 ? 16 : 2;
                for (int pc = 0; pc < pieces; pc++, off++) {
                    size_t nblk = 1 + (size_t)(r32() % MAXBLK);
                    if (bs > 64 && nblk > 8)
                        nblk = 8;
                    for (size_t k = 0; k < nblk; k++)
                        gen_block(x + k * (size_t)bs, bs, (int)(r32() % 12), emaxv);
                    float ts = 1.0f;
                    if (nvfp4) {
                        if (tp_nvfp4_tensor_scale(&b, x, nblk * (size_t)bs, &ts) != TP_OK)
                            abort();
                        if (pc % 3 == 1)
                            ts = 1.0f;
                    }
                    quant_piece(r, &B, &b, cfg_names[c], rule, rnd, nblk, x, off, ts);
                }
            }
        }
        /* long tensors of the vector formats (RNE): several 16-block groups,
         * exact blocks first (so INEXACT appears late), then moderate blocks
         * with a sprinkling of every kind, so that the flags still to find
         * change from group to group */
        for (int rule = TP_SCALE_FLOOR; rule <= TP_SCALE_EVEN && mx_fast; rule++) {
            for (int pc = 0; pc < (quick ? 2 : 8); pc++, off++) {
                size_t nblk = 17 + (size_t)(r32() % (LONGBLK - 16));
                size_t exact = r32() % 40;
                for (size_t k = 0; k < nblk; k++) {
                    int kind = k < exact ? 10 : (r32() % 6 == 0) ? (int)(r32() % 12) : 1;
                    gen_block(x + k * (size_t)bs, bs, kind, emaxv);
                }
                quant_piece(r, &B, &b, cfg_names[c], rule, TP_RNE, nblk, x, off, 1.0f);
            }
        }
        /* every scale code 0x00..0xFF, under random element codes */
        for (unsigned base = 0; base < 256 + 40; base += 7, off++) {
            size_t nblk = 1 + (size_t)(r32() % MAXBLK);
            if (bs > 64 && nblk > 8)
                nblk = 8;
            deq_piece(r, &B, &b, cfg_names[c], nblk, base, off, nvfp4 ? 0.75f : 1.0f);
        }
        for (unsigned base = 0; base < 256; base++, off++)
            deq_piece(r, &B, &b, cfg_names[c], 1, base, off,
                      !nvfp4                           ? 1.0f
                      : base % 3 || !TPT_SUBNORMAL_TS ? 3.0f
                                                      : bitsf(0x00300001u + base));
    }
    free(B.src);
    free(B.sc);
    free(B.el);
    free(B.dst);
    free(B.codes_sc);
    free(B.codes_el);
    free(x);
}

/* The child: the sweep, hashed or (detail >= 0) one piece dumped as text. */
static void isa_sweep(FILE *out, long detail)
{
    run r = {out, detail, 0};
    sweep(&r, tpt_seed());
}

/* ------------------------------------------------------------ the parent */

/* Prints both text dumps of the differing piece. */
static void explain(const char *isa, const unsigned char *a, size_t la, const unsigned char *b,
                    size_t lb)
{
    (void)la;
    (void)lb;
    printf("---- ref:\n%s---- %s:\n%s", a ? (const char *)a : "(none)\n", isa,
           b ? (const char *)b : "(none)\n");
}

int main(int argc, char **argv)
{
    static const tpt_isa_suite suite = {
        "check_block_isa", "block_isa", "bisa", ENV_OUT, ENV_DETAIL, MAGIC,
        "status, flags, scales, codes, values, red zones", isa_sweep, explain,
    };
    int status = 0;
    (void)argc;
    quick = tpt_quick();
    if (tpt_isa_child(&suite, &status))
        return status;
    tpt_banner(suite.program);
    if (quick)
        printf("# tier: quick (reduced sweeps)\n");
    Suite *su = suite_create(suite.suite);
    tpt_isa_add(su, &suite, argv[0]);
    return tpt_run(su);
}
