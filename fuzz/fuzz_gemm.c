/*
 * fuzz_gemm.c -- small products: tp_gemm (pool threads, one thread, or a
 * partition into tp_gemm_tile calls) and tp_gemv (or tp_gemv_rows), both
 * layouts and transpositions, element operands of any built-in format and
 * block operands (MX, NVFP4, BFP, ggml) blocked along k, any alpha and beta
 * (zero, negative, huge, tiny, or not finite), any output format, mode and
 * policy, in TP_MODE_EXACT and TP_MODE_FAST.  Every output is compared with
 * the MPFR oracle (tests/oracle/oracle_gemm.h: org_gemm1 / org_fast1);
 * no byte of C outside the m x n outputs may change; an error must write
 * nothing and leave the flags alone.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "oracle.h"
#include "oracle_gemm.h"

#define MAX_MN 4

typedef struct mat {
    int is_block;
    const tp_format_desc *fmt;
    tp_block_desc blk;
    tp_trans trans;
    size_t ld;
    uint8_t *data, *scales;
    size_t dbytes, sbytes;
    float ts;
} mat;

static double pick_scalar(fz_in *in, int *finite)
{
    static const double table[8] = {1.0, 0.0, -1.0, 0.5, -3.0, 0x1p-1000, 0x1p1000, -0.0};
    uint8_t s = fz_u8(in);
    double v = (s & 8) ? fz_u2d(fz_u64(in)) : table[s & 7];
    *finite = isfinite(v);
    return v;
}

static void read_block_desc(fz_in *in, tp_block_desc *b)
{
    uint8_t f = fz_u8(in);
    if ((f % TP_BLOCK_FORMAT_COUNT) == TP_BLOCK_BFP) {
        static const unsigned sizes[4] = {8, 16, 32, 64};
        tp_block_bfp(2 + fz_u8(in) % 15, sizes[(f >> 4) & 3], b);
    } else {
        tp_block_preset((tp_block_format)(f % TP_BLOCK_FORMAT_COUNT), b);
        if (b->format == TP_BLOCK_NVFP4)
            b->recipe = (uint8_t)((f >> 4) & 1);
    }
}

/* The operand's storage for `vecs` vectors (rows of op(A), columns of
 * op(B)) of k values.  Element operands: the stored matrix is vecs x k (or
 * its transpose); block operands: vector v starts at element v * ld. */
static void fill(fz_in *in, mat *x, int role_b, tp_layout layout, size_t vecs, size_t k,
                 int *bad)
{
    uint8_t ex = fz_u8(in);
    if (x->is_block) {
        size_t bs = x->blk.block_size;
        x->ld = k + bs * (ex & 1);
        if (x->ld == 0)
            x->ld = bs;
        size_t nval = vecs ? (vecs - 1) * x->ld + k : 0;
        if (nval % bs)
            nval += bs - nval % bs;
        if (tp_block_storage(&x->blk, nval, &x->sbytes, &x->dbytes) != TP_OK)
            fz_fail("tp_block_storage");
        /* block A: (row-major, NO_TRANS) or (col-major, TRANS); block B the
         * other way round; else TP_ERR_ARG (sometimes tested). */
        int want_trans = (layout == TP_ROW_MAJOR) == (role_b != 0);
        x->trans = (tp_trans)(want_trans ^ ((ex >> 1) == 0x7F));
        if ((int)x->trans != want_trans)
            *bad = 1;
        uint32_t tb = fz_u32(in) & 0x7FFFFFFFu;
        x->ts = (tb == 0 || tb >= 0x7F800000u) ? 1.0f : fz_u2f(tb);
    } else {
        x->trans = (tp_trans)((ex >> 1) & 1);
        /* op(X) is vecs x k (A) or k x vecs (B); the stored matrix is that
         * or its transpose. */
        size_t opr = role_b ? k : vecs, opc = role_b ? vecs : k;
        size_t rows = x->trans ? opc : opr, cols = x->trans ? opr : opc;
        size_t minld = layout == TP_ROW_MAJOR ? cols : rows;
        if (minld == 0)
            minld = 1;
        x->ld = minld + ((ex >> 2) & 3);
        size_t outer = layout == TP_ROW_MAJOR ? rows : cols;
        size_t count = outer ? (outer - 1) * x->ld + minld : 0;
        x->dbytes = count * fz_code_size(x->fmt);
        x->sbytes = 0;
    }
    x->data = malloc(x->dbytes + 1);
    x->scales = malloc(x->sbytes + 1);
    fz_bytes(in, x->data, x->dbytes);
    fz_bytes(in, x->scales, x->sbytes);
    /* Keep the codes inside their width (a wide code is another test). */
    if (!(ex & 0x80)) {
        if (!x->is_block && x->fmt->bits < 8 * fz_code_size(x->fmt)) {
            size_t cnt = x->dbytes / fz_code_size(x->fmt);
            uint64_t m = (UINT64_C(1) << x->fmt->bits) - 1;
            for (size_t i = 0; i < cnt; i++)
                fz_code_store(x->fmt, x->data, i, fz_code_load(x->fmt, x->data, i) & m);
        } else if (x->is_block && !fz_block_is_ggml(&x->blk)) {
            unsigned w = fz_block_elem_width(&x->blk);
            if (!(w == 4 && x->blk.format != TP_BLOCK_BFP)) {
                size_t cnt = w <= 8 ? x->dbytes : x->dbytes / 2;
                for (size_t i = 0; i < cnt; i++) {
                    if (w <= 8) {
                        x->data[i] &= (uint8_t)((1u << w) - 1);
                    } else {
                        uint16_t v;
                        memcpy(&v, x->data + 2 * i, 2);
                        v &= (uint16_t)((1u << w) - 1);
                        memcpy(x->data + 2 * i, &v, 2);
                    }
                }
            }
        }
    }
}

/* Element (r, c) of the stored matrix. */
static uint64_t elem_at(const mat *x, tp_layout layout, size_t r, size_t c)
{
    size_t idx = layout == TP_ROW_MAJOR ? r * x->ld + c : c * x->ld + r;
    return fz_code_load(x->fmt, x->data, idx);
}

/* Vector v (row v of op(A) / column v of op(B)) of k values as an org_vec:
 * codes[] and scales[] are filled. */
static void vector_of(const mat *x, int role_b, tp_layout layout, size_t v, size_t k,
                      uint64_t *codes, uint32_t *scales, org_vec *o)
{
    memset(o, 0, sizeof *o);
    o->codes = codes;
    o->inc = 1;
    if (x->is_block) {
        size_t bs = x->blk.block_size, first = v * x->ld / bs;
        for (size_t t = 0; t < k / bs; t++)
            fz_block_load(&x->blk, x->scales, x->data, first + t, &scales[t], codes + t * bs);
        o->blk = &x->blk;
        o->scales = scales;
        o->tensor_scale = x->ts;
        return;
    }
    o->fmt = x->fmt;
    for (size_t t = 0; t < k; t++) {
        /* op(A)[v][t] or op(B)[t][v] */
        size_t r = role_b ? t : v, c = role_b ? v : t;
        codes[t] = x->trans ? elem_at(x, layout, c, r) : elem_at(x, layout, r, c);
    }
}

static void set_operand(const mat *x, tp_operand *o)
{
    memset(o, 0, sizeof *o);
    if (x->is_block) {
        o->blk = &x->blk;
        o->scales = fz_block_is_ggml(&x->blk) ? NULL : x->scales;
        o->tensor_scale = x->ts;
    } else {
        o->fmt = x->fmt;
    }
    o->data = x->data;
    o->trans = x->trans;
    o->ld = x->ld;
}

static void read_mat(fz_in *in, mat *x, int *any_block)
{
    uint8_t s = fz_u8(in);
    memset(x, 0, sizeof *x);
    x->is_block = (s & 3) == 3;
    if (x->is_block) {
        read_block_desc(in, &x->blk);
        *any_block = 1;
    } else {
        x->fmt = tp_format_get((tp_format)(fz_u8(in) % TP_FORMAT_COUNT));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in;
    fz_init(&in, data, size);
    uint8_t b0 = fz_u8(&in);
    tp_layout layout = (tp_layout)(b0 & 1);
    tp_mode mode = (tp_mode)((b0 >> 1) & 1);
    int api = (b0 >> 2) & 3; /* 0 gemm, 1 gemm one thread / gemv_rows, 2 tiles, 3 gemv */
    unsigned flags0 = b0 >> 5;
    size_t m = fz_u8(&in) % (MAX_MN + 1), n = fz_u8(&in) % (MAX_MN + 1);
    if (api == 3)
        n = 1;
    mat A, B;
    int any_block = 0, bad = 0;
    read_mat(&in, &A, &any_block);
    read_mat(&in, &B, &any_block);
    if (api == 3 && B.is_block)
        B.ld = 1;
    uint8_t kb = fz_u8(&in);
    size_t k = kb % 40;
    if (any_block) {
        size_t l = A.is_block ? A.blk.block_size : 1;
        while (B.is_block && l % B.blk.block_size)
            l += A.is_block ? A.blk.block_size : 1;
        k = l * (kb % 3);
    }
    if ((!A.is_block && A.fmt->bits == 64) || (!B.is_block && B.fmt->bits == 64))
        bad = 1; /* binary64 element operands: TP_ERR_FORMAT (include/truepoint.h) */
    fill(&in, &A, 0, layout, m, k, &bad);
    if (api == 3) {
        /* x: k values with increment ld (block x: contiguous) */
        uint8_t ex = fz_u8(&in);
        if (B.is_block) {
            size_t nval = k;
            B.ld = 1;
            tp_block_storage(&B.blk, nval, &B.sbytes, &B.dbytes);
            uint32_t tb = fz_u32(&in) & 0x7FFFFFFFu;
            B.ts = (tb == 0 || tb >= 0x7F800000u) ? 1.0f : fz_u2f(tb);
        } else {
            B.ld = 1 + (ex & 3);
            B.dbytes = (k ? (k - 1) * B.ld + 1 : 0) * fz_code_size(B.fmt);
        }
        B.data = malloc(B.dbytes + 1);
        B.scales = malloc(B.sbytes + 1);
        fz_bytes(&in, B.data, B.dbytes);
        fz_bytes(&in, B.scales, B.sbytes);
        if (!B.is_block && B.fmt->bits < 8 * fz_code_size(B.fmt) && !(ex & 0x80))
            for (size_t i = 0; i < B.dbytes / fz_code_size(B.fmt); i++)
                fz_code_store(B.fmt, B.data, i,
                              fz_code_load(B.fmt, B.data, i) & ((UINT64_C(1) << B.fmt->bits) - 1));
        if (B.is_block && !fz_block_is_ggml(&B.blk) && !(ex & 0x80)) {
            unsigned w = fz_block_elem_width(&B.blk);
            if (w < 8 && !(w == 4 && B.blk.format != TP_BLOCK_BFP))
                for (size_t i = 0; i < B.dbytes; i++)
                    B.data[i] &= (uint8_t)((1u << w) - 1);
            else if (w > 8 && w < 16)
                for (size_t i = 0; i < B.dbytes / 2; i++) {
                    uint16_t v;
                    memcpy(&v, B.data + 2 * i, 2);
                    v &= (uint16_t)((1u << w) - 1);
                    memcpy(B.data + 2 * i, &v, 2);
                }
        }
    } else {
        fill(&in, &B, 1, layout, n, k, &bad);
    }
    int fa, fb;
    double alpha = pick_scalar(&in, &fa), beta = pick_scalar(&in, &fb);
    if (!fa || !fb)
        bad = 1;
    const tp_format_desc *cf = tp_format_get((tp_format)(fz_u8(&in) % TP_FORMAT_COUNT));
    int cf_maybe = cf->bits > 32; /* binary64 output: not promised */
    uint8_t rb = fz_u8(&in);
    tp_gemm_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.rnd = (tp_round)(rb % 7);
    opts.ovf = (tp_overflow)((rb >> 3) % 3);
    opts.mode = mode;
    tp_sr sr;
    memset(&sr, 0, sizeof sr);
    uint32_t words[MAX_MN * MAX_MN];
    if (rb & 0x40) {
        for (size_t i = 0; i < m * n; i++)
            words[i] = fz_u32(&in);
        sr.bits = words;
    } else {
        sr.seed = fz_u64(&in);
        sr.counter = fz_u64(&in);
    }
    opts.sr = &sr;
    if (api == 1)
        opts.threads = 1;
    /* C: m x n codes in the call's layout, ldc >= the minimum. */
    uint8_t cb = fz_u8(&in);
    size_t cs = fz_code_size(cf);
    size_t minldc = api == 3 ? 1 : layout == TP_ROW_MAJOR ? n : m;
    if (minldc == 0)
        minldc = 1;
    size_t ldc = minldc + (cb & 3);
    size_t outer = api == 3 ? m : layout == TP_ROW_MAJOR ? m : n;
    size_t ccount = outer ? (outer - 1) * ldc + minldc : 0;
    size_t cbytes = ccount * cs;
    uint8_t *c = malloc(cbytes + 1), *c0 = malloc(cbytes + 1);
    fz_bytes(&in, c, cbytes);
    if (cf->bits < 8 * cs && !(cb & 0x80))
        for (size_t i = 0; i < ccount; i++)
            fz_code_store(cf, c, i, fz_code_load(cf, c, i) & ((UINT64_C(1) << cf->bits) - 1));
    memcpy(c0, c, cbytes);

    char what[200];
    snprintf(what, sizeof what,
             "%s(%s, m=%zu n=%zu k=%zu, alpha %a, A %s%u ld %zu trans %d, B %s%u ld %zu trans %d, "
             "beta %a, C %s ldc %zu, rnd %d ovf %d mode %d)",
             api == 3 ? ((cb & 0x40) ? "tp_gemv" : "tp_gemv_rows") : api == 2 ? "tp_gemm_tile" : "tp_gemm",
             layout ? "col" : "row", m, n, k, alpha, A.is_block ? "block " : "",
             A.is_block ? A.blk.format : (unsigned)(A.fmt - tp_format_get(TP_F64)), A.ld,
             (int)A.trans, B.is_block ? "block " : "",
             B.is_block ? B.blk.format : (unsigned)(B.fmt - tp_format_get(TP_F64)), B.ld,
             (int)B.trans, beta, cf->name, ldc, (int)opts.rnd, (int)opts.ovf, (int)mode);
    fz_trace("%s", what);
    tp_operand oa, ob;
    set_operand(&A, &oa);
    set_operand(&B, &ob);
    unsigned flags = flags0;
    tp_status st;
    size_t cut_i = m ? fz_u8(&in) % (m + 1) : 0, cut_j = n ? fz_u8(&in) % (n + 1) : 0;
    if (api == 3) {
        if (cb & 0x40)
            st = tp_gemv(layout, m, k, alpha, &oa, &ob, beta, cf, c, ldc, &opts, &flags);
        else {
            st = tp_gemv_rows(layout, m, k, alpha, &oa, &ob, beta, cf, c, ldc, &opts, 0, cut_i,
                              &flags);
            if (st == TP_OK)
                st = tp_gemv_rows(layout, m, k, alpha, &oa, &ob, beta, cf, c, ldc, &opts, cut_i,
                                  m, &flags);
        }
    } else if (api == 2) {
        size_t is[3] = {0, cut_i, m}, js[3] = {0, cut_j, n};
        st = TP_OK;
        for (int ti = 0; ti < 2 && st == TP_OK; ti++)
            for (int tj = 0; tj < 2 && st == TP_OK; tj++)
                st = tp_gemm_tile(layout, m, n, k, alpha, &oa, &ob, beta, cf, c, ldc, &opts,
                                  is[ti], is[ti + 1], js[tj], js[tj + 1], &flags);
    } else {
        st = tp_gemm(layout, m, n, k, alpha, &oa, &ob, beta, cf, c, ldc, &opts, &flags);
    }
    if (st != TP_OK) {
        FZ_CHECK(bad || cf_maybe || st == TP_ERR_CODE || st == TP_ERR_NOMEM,
                 "%s: status %d for valid arguments", what, (int)st);
        if (api != 2 && !(api == 3 && !(cb & 0x40)))
            FZ_CHECK(memcmp(c, c0, cbytes) == 0 && flags == flags0,
                     "%s: error %d but C or flags changed", what, (int)st);
        goto out;
    }
    FZ_CHECK(!bad || m == 0 || n == 0, "%s: bad arguments accepted", what);
    if (bad)
        goto out;
    unsigned ef = 0;
    uint64_t *ca = malloc((k + 1) * sizeof *ca), *cbv = malloc((k + 1) * sizeof *cbv);
    uint32_t sa[64], sb[64];
    float *fa32 = malloc((k + 1) * sizeof *fa32), *fb32 = malloc((k + 1) * sizeof *fb32);
    for (size_t i = 0; i < m; i++) {
        org_vec va;
        vector_of(&A, 0, layout, i, k, ca, sa, &va);
        for (size_t j = 0; j < n; j++) {
            org_vec vb;
            if (api == 3) {
                memset(&vb, 0, sizeof vb);
                if (B.is_block) {
                    for (size_t t = 0; t < k / B.blk.block_size; t++)
                        fz_block_load(&B.blk, B.scales, B.data, t, &sb[t],
                                      cbv + t * B.blk.block_size);
                    vb.blk = &B.blk;
                    vb.scales = sb;
                    vb.tensor_scale = B.ts;
                } else {
                    for (size_t t = 0; t < k; t++)
                        cbv[t] = fz_code_load(B.fmt, B.data, t * B.ld);
                    vb.fmt = B.fmt;
                }
                vb.codes = cbv;
                vb.inc = 1;
            } else {
                vector_of(&B, 1, layout, j, k, cbv, sb, &vb);
            }
            size_t ci = api == 3 ? i * ldc
                        : layout == TP_ROW_MAJOR ? i * ldc + j : j * ldc + i;
            uint64_t old = fz_code_load(cf, c0, ci), got = fz_code_load(cf, c, ci), exp = 0;
            uint32_t w = opts.rnd == TP_RSR
                             ? (sr.bits ? sr.bits[i * n + j] : orc_sr_word(sr.seed, sr.counter + i * n + j))
                             : 0;
            unsigned f1 = 0;
            int r;
            if (mode == TP_MODE_EXACT) {
                r = org_gemm1(&va, &vb, k, alpha, beta, cf, old, opts.rnd, opts.ovf, w, &exp, &f1);
            } else {
                r = org_values_f32(&va, k, fa32);
                if (r == 0)
                    r = org_values_f32(&vb, k, fb32);
                if (r == 0)
                    r = org_fast1(fa32, fb32, k, alpha, beta, cf, old, opts.rnd, opts.ovf, w, &exp,
                                  &f1);
            }
            if (r != 0) /* e.g. TP_MODE_FAST with binary64 elements */
                continue;
            ef |= f1;
            FZ_CHECK(got == exp, "%s: C(%zu,%zu) old 0x%llx word 0x%08x: 0x%llx, oracle 0x%llx",
                     what, i, j, (unsigned long long)old, (unsigned)w, (unsigned long long)got,
                     (unsigned long long)exp);
            fz_code_store(cf, c0, ci, got); /* for the untouched-bytes check */
        }
    }
    free(ca);
    free(cbv);
    free(fa32);
    free(fb32);
    FZ_CHECK(memcmp(c, c0, cbytes) == 0, "%s: bytes of C outside the outputs changed", what);
    FZ_CHECK(flags == (flags0 | ef), "%s: flags 0x%x, oracle 0x%x", what, flags & ~flags0, ef);
out:
    free(A.data);
    free(A.scales);
    free(B.data);
    free(B.scales);
    free(c);
    free(c0);
    return 0;
}
