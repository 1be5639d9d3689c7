/*
 * check_gemm_isa.c -- every ISA variant of tp_gemm, tp_gemm_tile and
 * tp_gemv gives the reference's bits and flags.
 *
 * The program re-executes itself with TP_ISA=ref, avx2 and avx512 (the
 * harness tpt_isa_main of testutil.h, as tests/check_isa.c and
 * tests/check_block_isa.c do).  Each child runs the same deterministic
 * sweep and writes one 64-bit hash per piece: the status, the flags and
 * every byte of C with a red zone on both sides.  The sweep covers the
 * pairs with vector kernels (mxfp4 x mxfp4, mxfp4 x mxfp8_e4m3, mxfp4 x
 * binary32, e4m3 x e4m3, bfloat16 x bfloat16, binary32 x binary32) and
 * some others, GEMM and GEMV in both layouts, shapes around the tile and
 * microtile edges, k up to a few thousand, every output format, mode and
 * policy, and operands whose values defeat the fast paths:
 *   - block scales spread over the whole E8M0 range, in two clusters 60
 *     binades apart (exact sums of more than 53 bits), in windows of 28..44
 *     binades (around the bound where the binary64 fast paths stop being
 *     exact), at 0x00/0x01/0xFE, and NaN scales;
 *   - blocks that cancel their neighbours exactly, leaving small sums;
 *   - binary32 / bfloat16 values over the whole exponent range, subnormals,
 *     cancelling pairs, NaN and Inf at a low rate.
 * TP_MODE_FAST pieces follow the caller's floating-point environment and
 * are marked environment-dependent.  On a difference both children are
 * rerun in detail mode for the piece and print it.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle_block.h"
#include "testutil.h"

#define ENV_OUT "TPT_GISA_OUT"
#define ENV_DETAIL "TPT_GISA_DETAIL"
#define MAGIC UINT32_C(0x54504749) /* "TPGI" */
#define RED 64

static uint64_t rng;

static uint64_t r64(void)
{
    return tpt_rand64(&rng);
}

static size_t ru(size_t n)
{
    return n ? (size_t)(r64() % n) : 0;
}

static void *xalloc(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, n + 64) != 0)
        abort();
    memset(p, 0, n + 64);
    return p;
}

/* ------------------------------------------------------------ operands */

typedef struct fmtsel {
    const tp_format_desc *fd; /* element format, or NULL */
    tp_block_desc bd;
    int is_blk;
    const char *name;
} fmtsel;

static fmtsel sel(const char *name)
{
    fmtsel s;
    memset(&s, 0, sizeof s);
    s.name = name;
    if (tp_block_from_name(name, &s.bd) == TP_OK) {
        s.is_blk = 1;
        return s;
    }
    tp_format f;
    if (tp_format_from_name(name, &f) != TP_OK)
        abort();
    s.fd = tp_format_get(f);
    return s;
}

static size_t csize(const tp_format_desc *d)
{
    return d->bits <= 8 ? 1 : d->bits <= 16 ? 2 : d->bits <= 32 ? 4 : 8;
}

static void put_code(const tp_format_desc *d, void *base, size_t i, uint64_t c)
{
    size_t cs = csize(d);
    memcpy((char *)base + i * cs, &c, cs); /* little-endian host */
}

static int ewidth(const tp_block_desc *b)
{
    if (b->format == TP_BLOCK_BFP)
        return b->mant_bits;
    if (b->format == TP_BLOCK_GGML_Q8_0)
        return 8;
    return tp_format_get((tp_format)b->elem)->bits;
}

enum { ROLE_A = 0, ROLE_B = 1, ROLE_X = 2 };

typedef struct opnd {
    fmtsel f;
    int role;
    size_t nvec, k, bs, ld;
    tp_layout lay;
    tp_trans tr;
    uint64_t *codes;  /* logical codes[v * k + i] */
    uint32_t *sc;     /* logical scales[v * (k / bs) + j] */
    unsigned char *data, *scales;
    tp_operand op;
} opnd;

/* An element code of kind `kind` (binary32 / bfloat16 get whole-range,
 * subnormal and special values; narrow formats random bits). */
static uint64_t elem_code(const tp_format_desc *d, int kind)
{
    uint64_t r = r64();
    int spec = kind == 4 && r % 41 == 0;
    if (d->bits == 32) {
        uint32_t u = (uint32_t)(r >> 16);
        if (spec)
            return (r & 2) ? 0x7F800000u | (u & 0x80000000u) : 0x7FC00000u | (u & 0x803FFFFFu);
        switch (kind) {
        case 0: /* moderate */
            return (u & 0x807FFFFFu) | ((uint32_t)(127 - 10 + (r >> 8) % 20) << 23);
        case 1: /* whole finite range */
            return (u & 0x7F800000u) == 0x7F800000u ? u & 0xBFFFFFFFu : u;
        case 2: /* subnormals and tiny */
            return (u & 0x80FFFFFFu) >> ((r >> 8) % 8);
        case 6: /* a window of 24..40 binades: near the fast paths' exactness bound */
            return (u & 0x807FFFFFu) |
                   ((uint32_t)(127 - 12 + (r >> 8) % (24 + (r >> 40) % 17)) << 23);
        default:
            return (u & 0x807FFFFFu) | ((uint32_t)(127 - 60 + (r >> 8) % 120) << 23);
        }
    }
    if (d->bits == 16 && d->exp_bits == 8) {
        uint32_t u = (uint32_t)(r >> 16) & 0xFFFF;
        if (spec)
            return (r & 2) ? 0x7F80u | (u & 0x8000u) : 0x7FC0u;
        switch (kind) {
        case 0: return (u & 0x807F) | ((uint32_t)(127 - 10 + (r >> 8) % 20) << 7);
        case 1: return (u & 0x7F80) == 0x7F80 ? u & 0xBFFF : u;
        case 2: return (u & 0x80FF) >> ((r >> 8) % 4);
        case 6:
            return (u & 0x807F) | ((uint32_t)(127 - 12 + (r >> 8) % (24 + (r >> 40) % 17)) << 7);
        default: return (u & 0x807F) | ((uint32_t)(127 - 60 + (r >> 8) % 120) << 7);
        }
    }
    uint64_t c = (r >> 7) & ((UINT64_C(1) << d->bits) - 1);
    double v;
    if (!spec && tp_decode1(d, c, &v, NULL) == TP_OK && !isfinite(v))
        c &= ~(UINT64_C(1) << (d->bits - 2)); /* clear the top exponent bit */
    return c;
}

static uint32_t scale_code(const tp_block_desc *b, int kind, size_t j)
{
    uint64_t r = r64();
    if (b->format == TP_BLOCK_NVFP4) {
        if (kind == 4 && r % 23 == 0)
            return (r & 1) ? 0x7F : 0x80 | (uint32_t)((r >> 8) & 0x7F);
        return kind == 0 ? 0x30 + (uint32_t)((r >> 8) % 16) : (uint32_t)((r >> 8) % 0x7F);
    }
    if (b->format == TP_BLOCK_GGML_Q8_0) {
        uint32_t e = kind == 0 ? 12 + (uint32_t)((r >> 30) % 6) : 1 + (uint32_t)((r >> 30) % 29);
        if (kind == 4 && r % 23 == 0)
            return 0x7C00;
        return (uint32_t)((r >> 8) & 0x83FF) | (e << 10);
    }
    switch (kind) {
    case 0: return 125 + (uint32_t)((r >> 8) % 5);           /* the fast window */
    case 1: return (uint32_t)((r >> 8) % 255);               /* everywhere */
    case 2: return (j % 2) ? 127 - 30 : 127 + 30;            /* 60 binades apart */
    case 3: {                                                 /* the ends */
        static const uint32_t ends[] = {0x00, 0x01, 0xFE, 0x7F};
        return ends[(r >> 8) % 4];
    }
    case 4: return (r % 29 == 0) ? 0xFF : 120 + (uint32_t)((r >> 8) % 16); /* NaN scales */
    case 6: return 110 + (uint32_t)((r >> 8) % (28 + (r >> 40) % 17)); /* near the bound */
    default: return 100 + (uint32_t)((r >> 8) % 60);
    }
}

/* Negation of an element code of block format b (sign bit, or integer). */
static uint64_t neg_elem(const tp_block_desc *b, uint64_t c)
{
    int w = ewidth(b);
    if (b->format == TP_BLOCK_BFP || b->format == TP_BLOCK_GGML_Q8_0 ||
        b->format == TP_BLOCK_MXINT8) {
        uint64_t m = (UINT64_C(1) << w) - 1, n = (~c + 1) & m;
        return n == (UINT64_C(1) << (w - 1)) ? c : n; /* the most negative stays */
    }
    return c ^ (UINT64_C(1) << (w - 1));
}

static void blk_put(const opnd *o, size_t e, uint64_t c)
{
    const tp_block_desc *b = &o->f.bd;
    int w = ewidth(b);
    if (w == 4 && b->format != TP_BLOCK_BFP) {
        unsigned char *p = o->data + e / 2;
        *p = (unsigned char)((*p & (e % 2 ? 0x0F : 0xF0)) | (c << (e % 2 ? 4 : 0)));
    } else if (w <= 8) {
        o->data[e] = (unsigned char)c;
    } else {
        uint16_t v = (uint16_t)c;
        memcpy(o->data + 2 * e, &v, 2);
    }
}

/* Builds an operand: kind selects the value distribution (see above);
 * kind 5 adds exact cancellation between neighbouring blocks / pairs. */
static void op_make(opnd *o, const fmtsel *f, int role, size_t nvec, size_t k, tp_layout lay,
                    tp_trans tr, size_t ldx, int kind)
{
    memset(o, 0, sizeof *o);
    o->f = *f;
    o->role = role;
    o->nvec = nvec;
    o->k = k;
    o->lay = lay;
    o->tr = tr;
    o->bs = f->is_blk ? f->bd.block_size : 1;
    o->codes = calloc(nvec * k + 1, sizeof *o->codes);
    o->sc = calloc(nvec * (k / o->bs) + 1, sizeof *o->sc);
    if (f->is_blk) {
        const tp_block_desc *b = &f->bd;
        int w = ewidth(b);
        int fp8 = b->format == TP_BLOCK_MXFP8_E4M3 || b->format == TP_BLOCK_MXFP8_E5M2;
        /* FP8 elements of kinds 0 and 6 keep to a window of binades (1 to 4,
         * or 4 to 12), so that the blocks' values span few or many bits */
        const tp_format_desc *ed = fp8 ? tp_format_get((tp_format)b->elem) : NULL;
        unsigned win = 0, ebase = 0, mb = ed ? (unsigned)(ed->bits - 1 - ed->exp_bits) : 0;
        if (fp8 && (kind == 0 || kind == 6)) {
            win = kind == 0 ? 1 + (unsigned)(r64() % 4) : 4 + (unsigned)(r64() % 9);
            ebase = (unsigned)(r64() % ((1u << ed->exp_bits) - win));
        }
        for (size_t i = 0; i < nvec * k; i++) {
            uint64_t c = (r64() >> 9) & ((UINT64_C(1) << w) - 1);
            if (win)
                c = (c & (((UINT64_C(1) << mb) - 1) | 0x80)) |
                    (uint64_t)(ebase + (unsigned)(r64() % win)) << mb;
            if (fp8 && !(kind == 4 && r64() % 37 == 0)) {
                double v;
                if (tp_decode1(tp_format_get((tp_format)b->elem), c, &v, NULL) == TP_OK &&
                    !isfinite(v))
                    c &= 0xBF;
            }
            o->codes[i] = c;
        }
        for (size_t j = 0; j < nvec * (k / o->bs); j++)
            o->sc[j] = scale_code(b, kind == 5 ? 0 : kind, j);
        if (kind == 5) /* block 2j+1 = -(block 2j) under the same scale */
            for (size_t v = 0; v < nvec; v++)
                for (size_t j = 0; j + 1 < k / o->bs; j += 2) {
                    size_t nb = k / o->bs;
                    o->sc[v * nb + j + 1] = o->sc[v * nb + j];
                    for (size_t t = 0; t < o->bs; t++)
                        o->codes[v * k + (j + 1) * o->bs + t] =
                            neg_elem(b, o->codes[v * k + j * o->bs + t]);
                    if (r64() & 1) /* and a small difference */
                        o->codes[v * k + (j + 1) * o->bs] = 1;
                }
    } else {
        for (size_t i = 0; i < nvec * k; i++)
            o->codes[i] = elem_code(f->fd, kind == 5 ? 3 : kind);
        if (kind == 5)
            for (size_t v = 0; v < nvec; v++)
                for (size_t i = 1; i < k; i += 2) {
                    uint64_t c = o->codes[v * k + i - 1];
                    const tp_format_desc *d = f->fd;
                    o->codes[v * k + i] = d->kind == TP_KIND_FLOAT && d->sign
                                              ? c ^ (UINT64_C(1) << (d->bits - 1))
                                              : c;
                }
    }
    /* storage */
    if (f->is_blk) {
        const tp_block_desc *b = &f->bd;
        o->ld = role == ROLE_X ? 1 : (k ? k : o->bs) + ldx * o->bs;
        size_t nel = role == ROLE_X ? k : nvec * o->ld, sb = 0, eb = 0;
        if (nel && tp_block_storage(b, nel, &sb, &eb) != TP_OK)
            abort();
        o->data = xalloc(eb + 1);
        o->scales = xalloc(sb + 1);
        size_t nb = nel / o->bs, step = role == ROLE_X ? k : o->ld;
        uint32_t *bsc = calloc(nb + 1, sizeof *bsc);
        uint64_t *bc = calloc(nel + 1, sizeof *bc);
        for (size_t j = 0; j < nb; j++)
            bsc[j] = b->format == TP_BLOCK_NVFP4       ? 0x7F
                     : b->format == TP_BLOCK_GGML_Q8_0 ? 0x7E00
                                                       : 0xFF;
        for (size_t v = 0; v < nvec; v++) {
            for (size_t i = 0; i < k; i++)
                bc[v * step + i] = o->codes[v * k + i];
            for (size_t j = 0; j < k / o->bs; j++)
                bsc[v * step / o->bs + j] = o->sc[v * (k / o->bs) + j];
        }
        int ggml = b->format == TP_BLOCK_GGML_MXFP4 || b->format == TP_BLOCK_GGML_Q8_0;
        size_t per = nb ? eb / nb : 0;
        for (size_t j = 0; j < nb; j++) {
            if (ggml) {
                if (orb_ggml_bytes(b, bsc[j], bc + j * o->bs, o->data + j * per) != (int)per)
                    abort();
                continue;
            }
            o->scales[j] = (unsigned char)bsc[j];
            for (size_t t = 0; t < o->bs; t++)
                blk_put(o, j * o->bs + t, bc[j * o->bs + t]);
        }
        free(bsc);
        free(bc);
        o->op.blk = &o->f.bd;
        o->op.scales = ggml ? NULL : o->scales;
        o->op.tensor_scale = b->format == TP_BLOCK_NVFP4 ? (kind == 3 ? 0x1p-120f : 0.375f) : 0.0f;
    } else {
        size_t nel;
        if (role == ROLE_X) {
            o->ld = 1 + ldx;
            nel = k ? (k - 1) * o->ld + 1 : 1;
        } else {
            int vr = (role == ROLE_A) ^ (tr == TP_TRANS);
            size_t rows = vr ? nvec : k, cols = vr ? k : nvec;
            size_t minld = lay == TP_ROW_MAJOR ? cols : rows;
            o->ld = (minld ? minld : 1) + ldx;
            nel = (lay == TP_ROW_MAJOR ? rows : cols) * o->ld;
            if (nel == 0)
                nel = 1;
        }
        o->data = xalloc(nel * csize(f->fd));
        for (size_t v = 0; v < nvec; v++)
            for (size_t i = 0; i < k; i++) {
                size_t idx;
                if (role == ROLE_X) {
                    idx = i * o->ld;
                } else {
                    int vr = (role == ROLE_A) ^ (tr == TP_TRANS);
                    size_t r = vr ? v : i, c = vr ? i : v;
                    idx = lay == TP_ROW_MAJOR ? r * o->ld + c : c * o->ld + r;
                }
                put_code(f->fd, o->data, idx, o->codes[v * k + i]);
            }
        o->op.fmt = f->fd;
    }
    o->op.data = o->data;
    o->op.trans = tr;
    o->op.ld = o->ld;
}

static void op_free(opnd *o)
{
    free(o->codes);
    free(o->sc);
    free(o->data);
    free(o->scales);
}

/* ------------------------------------------------------------ pieces */

typedef struct sink {
    FILE *out;
    long detail;
    long piece;
} sink;

static void dump_hex(FILE *f, const char *what, const unsigned char *p, size_t n, size_t cs)
{
    fprintf(f, "%s (%zu bytes, codes of %zu bytes after the %d-byte red zone):", what, n, cs,
            RED);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%02x", i % 32 == 0 ? "\n  " : " ", p[i]);
    fprintf(f, "\n");
}

static const char *rnd_name[] = {"rne", "rna", "rtz", "rup", "rdn", "rto", "rsr"};

static const char *const fast_pairs[][2] = {
    {"mxfp4", "mxfp4"}, {"mxfp4", "mxfp8_e4m3"}, {"mxfp4", "f32"}, {"e4m3", "e4m3"},
    {"bf16", "bf16"},   {"f32", "f32"},
    /* others */
    {"mxfp8_e4m3", "mxfp8_e4m3"}, {"mxfp8_e4m3", "mxfp4"}, {"f32", "mxfp4"},
    {"nvfp4", "nvfp4"}, {"e2m1", "e2m1"}, {"f16", "f16"}, {"mxfp6_e2m3", "mxfp4"},
    {"ggml_mxfp4", "ggml_q8_0"}, {"mxint8", "mxint8"}, {"int8", "e4m3"}, {"bf16", "f32"},
    {"mxfp8_e5m2", "bf16"},
};
#define N_FP ((int)(sizeof fast_pairs / sizeof fast_pairs[0]))

static const size_t m_list[] = {1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 129};
static const size_t n_list[] = {1, 2, 3, 4, 5, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65};
static const tp_format outs[] = {TP_F32, TP_BF16, TP_F16, TP_E4M3, TP_E5M2};

static double scalar(void)
{
    static const double v[] = {1.0, -1.0, 0.5, 3.0, -0.375, 0x1p-60, 0x1p70, 0.0, 1.0 / 3.0};
    return v[ru(9)];
}

/* One GEMM or GEMV piece. */
static void piece(sink *s, int pair, int gemv, size_t m, size_t n, size_t k, int kind,
                  int fast)
{
    fmtsel fa = sel(fast_pairs[pair][0]), fb = sel(fast_pairs[pair][1]);
    tp_layout lay = (tp_layout)(r64() & 1);
    opnd A, B;
    /* block operands: k contiguous (the allowed orientations) */
    tp_trans ta = fa.is_blk ? (lay == TP_ROW_MAJOR ? TP_NO_TRANS : TP_TRANS)
                            : (tp_trans)(r64() & 1);
    tp_trans tb = fb.is_blk ? (lay == TP_ROW_MAJOR ? TP_TRANS : TP_NO_TRANS)
                            : (tp_trans)(r64() & 1);
    op_make(&A, &fa, ROLE_A, m, k, lay, ta, ru(3) == 0 ? 1 : 0, kind);
    if (gemv)
        op_make(&B, &fb, ROLE_X, 1, k, lay, TP_NO_TRANS, fb.is_blk ? 0 : ru(2), kind);
    else
        op_make(&B, &fb, ROLE_B, n, k, lay, tb, ru(3) == 0 ? 1 : 0, kind);
    const tp_format_desc *cf = tp_format_get(outs[ru(5)]);
    size_t cs = csize(cf), ldc, nel;
    if (gemv) {
        n = 1;
        ldc = 1 + ru(2);
        nel = (m - 1) * ldc + 1;
    } else {
        ldc = (lay == TP_ROW_MAJOR ? n : m) + ru(3);
        nel = (lay == TP_ROW_MAJOR ? m : n) * ldc;
    }
    size_t bytes = nel * cs + 2 * RED;
    unsigned char *cbuf = xalloc(bytes);
    for (size_t i = 0; i < bytes; i++)
        cbuf[i] = (unsigned char)r64();
    if (cf->bits < 8 * cs) /* keep old codes valid */
        for (size_t i = 0; i < nel; i++)
            cbuf[RED + i * cs] &= (unsigned char)((1u << cf->bits) - 1);
    uint32_t *bits = calloc(m * n + 1, sizeof *bits);
    for (size_t i = 0; i < m * n; i++)
        bits[i] = (uint32_t)r64();
    tp_sr sr = {(r64() & 1) ? bits : NULL, r64(), r64() >> 20};
    tp_gemm_opts o;
    memset(&o, 0, sizeof o);
    o.rnd = (tp_round)ru(7);
    o.ovf = (tp_overflow)ru(3);
    o.sr = &sr;
    o.mode = fast ? TP_MODE_FAST : TP_MODE_EXACT;
    o.threads = (unsigned)ru(3);
    double alpha = scalar(), beta = scalar();
    unsigned flags = 0;
    int tile = !gemv && (r64() % 4 == 0);
    tp_status st;
    tpt_fpenv_enter();
    if (gemv) {
        st = tp_gemv(lay, m, k, alpha, &A.op, &B.op, beta, cf, cbuf + RED, ldc, &o, &flags);
    } else if (tile) { /* two tiles: the bits of one call */
        size_t ih = m / 2, jh = n / 3;
        st = tp_gemm_tile(lay, m, n, k, alpha, &A.op, &B.op, beta, cf, cbuf + RED, ldc, &o, 0, m,
                          0, jh, &flags);
        if (st == TP_OK)
            st = tp_gemm_tile(lay, m, n, k, alpha, &A.op, &B.op, beta, cf, cbuf + RED, ldc, &o, 0,
                              ih, jh, n, &flags);
        if (st == TP_OK)
            st = tp_gemm_tile(lay, m, n, k, alpha, &A.op, &B.op, beta, cf, cbuf + RED, ldc, &o, ih,
                              m, jh, n, &flags);
    } else {
        st = tp_gemm(lay, m, n, k, alpha, &A.op, &B.op, beta, cf, cbuf + RED, ldc, &o, &flags);
    }
    tpt_fpenv_leave();
    long id = s->piece++;
    if (s->detail < 0) {
        uint64_t h = TPT_FNV_INIT;
        h = tpt_fnv(h, &st, sizeof st);
        h = tpt_fnv(h, &flags, sizeof flags);
        h = tpt_fnv(h, cbuf, bytes);
        tpt_isa_put(s->out, h, fast);
    } else if (id == s->detail) {
        fprintf(s->out,
                "piece %ld: %s %s x %s %s m=%zu n=%zu k=%zu kind=%d lda=%zu%s ldb=%zu%s ldc=%zu "
                "alpha=%a beta=%a -> %s %s ovf=%d %s threads=%u%s\nstatus %d flags 0x%x\n",
                id, gemv ? "gemv" : tile ? "gemm_tile" : "gemm", fa.name, fb.name,
                lay == TP_ROW_MAJOR ? "row" : "col", m, n, k, kind, A.ld, ta ? "^T" : "", B.ld,
                tb ? "^T" : "", ldc, alpha, beta, cf->name, rnd_name[o.rnd], (int)o.ovf,
                fast ? "FAST" : "EXACT", o.threads, fast ? " (environment-dependent)" : "",
                (int)st, flags);
        dump_hex(s->out, "C", cbuf, bytes, cs);
    }
    free(cbuf);
    free(bits);
    op_free(&A);
    op_free(&B);
}

static void sweep(sink *s)
{
    uint64_t seed = tpt_seed();
    for (int pr = 0; pr < N_FP; pr++) {
        rng = seed ^ (uint64_t)(pr + 1) * UINT64_C(0x9E3779B97F4A7C15);
        fmtsel fa = sel(fast_pairs[pr][0]), fb = sel(fast_pairs[pr][1]);
        size_t l = fa.is_blk ? fa.bd.block_size : 1, lb = fb.is_blk ? fb.bd.block_size : 1;
        while (l % lb)
            l += fa.is_blk ? fa.bd.block_size : 1;
        int main_pair = pr < 6;
        int pieces = main_pair ? 72 : 20;
        for (int pc = 0; pc < pieces; pc++) {
            size_t m = m_list[ru(15)], n = n_list[ru(15)];
            /* k: up to a few thousand, less when the output is large */
            size_t budget = 400000 / (m * n), kmax = budget < 3200 ? budget : 3200;
            if (kmax < 2 * l)
                kmax = 2 * l;
            size_t k = l * (1 + ru(kmax / l));
            if (pc % 9 == 0)
                k = l * (1 + ru(3)); /* short */
            int kind = pc % 7;
            piece(s, pr, 0, m, n, k, kind, 0);
            /* GEMV: rows around GEMV_ROWS-style edges */
            size_t gm = (pc % 3 == 0) ? 255 + ru(3) : 1 + ru(70);
            size_t gk = l * (1 + ru((main_pair ? 3200 : 800) / l));
            if (gm * gk > 600000)
                gk = l * (1 + ru(600000 / gm / l));
            piece(s, pr, 1, gm, 1, gk, (kind + 1) % 7, 0);
            if (pc % 6 == 0) /* FAST mode */
                piece(s, pr, pc % 12 == 0, m_list[ru(15)], n_list[ru(15)], l * (1 + ru(64 / l + 1)),
                      kind, 1);
        }
    }
}

static void isa_sweep(FILE *out, long detail)
{
    sink s = {out, detail, 0};
    sweep(&s);
}

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
        "check_gemm_isa", "gemm_isa", "gisa", ENV_OUT, ENV_DETAIL, MAGIC,
        "status, flags, every byte of C with red zones", isa_sweep, explain,
    };
    return tpt_isa_main(&suite, argc, argv);
}
