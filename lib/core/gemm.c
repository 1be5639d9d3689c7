/*
 * gemm.c -- tp_gemm, tp_gemm_tile, tp_gemv, tp_gemv_rows: argument checks,
 * the operands as vectors along k, the tiling over the worker threads, the
 * generic exact and FAST paths, and the final alpha/beta/rounding step.
 *
 * Every output is independent of every other: a tile computes its outputs
 * completely, so any tiling, thread count or kernel gives the same bits as
 * long as each kernel gives the exact dot product.  All checks happen before
 * the first write, and nothing after them can fail (the generic path needs
 * no memory; a kernel that cannot get scratch declines), so an error leaves
 * the output and the flags untouched.
 */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "pool.h"
#include "ref.h"
#include "gemm_pack.h"

/* Tile sizes of the worker split: a GEMM task is a TILE_M x TILE_N block of
 * the output, a GEMV task at least GEMV_ROWS rows (more when there are many
 * rows: about GEMV_TASKS tasks a thread, since each task decodes x again).
 * Outputs do not depend on the split. */
#define TILE_M 256
#define TILE_N 256
#define GEMV_ROWS 256
#define GEMV_TASKS 4
/* Values per chunk when the generic path converts an element operand to
 * binary32 for a block dot (a multiple of every block size is used). */
#define CHUNK 1024

/* ------------------------------------------------------------ operands */

/* One operand, resolved.  tpi_blk points into itself: kept in place. */
typedef struct opnd {
    tpi_fmt f;
    tpi_blk kb;
    tp_block_desc bd;   /* a copy (packed operands) */
    tpi_vecs v;
    const void *lo;     /* the bytes it reads, for the alias check */
    size_t len;
    const void *slo;
    size_t slen;
    unsigned flags;     /* TP_FLAG_INVALID for UE4M3 codes with the sign bit */
} opnd;

static int overlap(const void *a, size_t na, const void *b, size_t nb)
{
    if (a == NULL || b == NULL || na == 0 || nb == 0)
        return 0;
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    return x < y + nb && y < x + na;
}

static int wraps(const void *p, size_t len)
{
    return len != 0 && (uintptr_t)p > UINTPTR_MAX - len;
}

/* a*b + c without overflow, else nonzero. */
static int mul_add(size_t a, size_t b, size_t c, size_t *r)
{
    if (b != 0 && a > (SIZE_MAX - c) / b)
        return 1;
    *r = a * b + c;
    return 0;
}

/* Element codes of `count` vectors of k values: bad-width codes and UE4M3
 * sign bits. */
static tp_status scan_codes(opnd *o, size_t count, size_t k)
{
    const tpi_fmt *p = &o->f;
    int narrow = (uint64_t)p->bits < o->v.size * 8;
    if (!narrow && !p->sign_invalid)
        return TP_OK;
    uint64_t any = 0;
    for (size_t v = 0; v < count; v++) {
        const uint8_t *base = tpi_vec_data(&o->v, v);
        for (size_t t = 0; t < k; t++)
            any |= tpi_load_code(base, t * o->v.kstride, o->v.size);
    }
    if (narrow && (any & ~p->code_mask))
        return TP_ERR_CODE;
    if (p->sign_invalid && (any & (UINT64_C(1) << p->sign_shift)))
        o->flags |= TP_FLAG_INVALID;
    return TP_OK;
}

/* An element format GEMM takes: built-in, not binary64. */
static tp_status elem_format(const tp_format_desc *d, opnd *o)
{
    int idx = tpi_builtin_index(d);
    if (idx < 0) {
        if (tp_format_check(d) != TP_OK)
            return TP_ERR_DESCRIPTOR;
        return TP_ERR_FORMAT;
    }
    if (idx == TP_F64)
        return TP_ERR_FORMAT;
    tpi_fmt_init(&o->f, d);
    o->v.f = &o->f;
    o->v.fidx = idx;
    o->v.size = tpi_code_size(d);
    return TP_OK;
}

/* Block descriptor and tensor scale checks, shared with packing. */
tp_status tpi_gemm_block_ok(const tp_block_desc *bd, float ts)
{
    tp_status st = tp_block_check(bd);
    if (st != TP_OK)
        return st == TP_ERR_NULL ? TP_ERR_FORMAT : TP_ERR_DESCRIPTOR;
    uint32_t u; /* on the bits: DAZ would compare a subnormal as 0 */
    memcpy(&u, &ts, sizeof u);
    if (bd->format == TP_BLOCK_NVFP4 && !(u - 1u < 0x7F7FFFFFu))
        return TP_ERR_ARG;
    return TP_OK;
}

/*
 * Resolves `count` vectors of k values of an unpacked operand.  role 0 is
 * op(A) (rows), 1 is op(B) (columns), 2 a vector (x of GEMV: count 1,
 * ld the increment).
 */
static tp_status resolve(tp_layout layout, int role, size_t count, size_t k, const tp_operand *x,
                         opnd *o)
{
    memset(o, 0, sizeof *o);
    if ((x->fmt == NULL) == (x->blk == NULL))
        return x->fmt == NULL ? TP_ERR_NULL : TP_ERR_ARG;
    if ((unsigned)x->trans > TP_TRANS && role != 2)
        return TP_ERR_ARG;
    int kcontig;
    if (role == 2)
        kcontig = x->ld == 1;
    else if (role == 0)
        kcontig = (layout == TP_ROW_MAJOR) == (x->trans == TP_NO_TRANS);
    else
        kcontig = (layout == TP_ROW_MAJOR) == (x->trans == TP_TRANS);
    if (x->ld == 0)
        return TP_ERR_ARG;
    tp_status st;
    if (x->fmt != NULL) {
        st = elem_format(x->fmt, o);
        if (st != TP_OK)
            return st;
        size_t ld = x->ld;
        if (role == 2) {
            o->v.vstride = 0;
            o->v.kstride = ld;
        } else if (kcontig) {
            if (ld < k)
                return TP_ERR_ARG;
            o->v.vstride = ld;
            o->v.kstride = 1;
        } else {
            if (ld < count)
                return TP_ERR_ARG;
            o->v.vstride = 1;
            o->v.kstride = ld;
        }
        if (count == 0 || k == 0)
            return TP_OK;
        if (x->data == NULL)
            return TP_ERR_NULL;
        size_t last, n;
        if (mul_add(count - 1, o->v.vstride, 0, &last) || mul_add(k - 1, o->v.kstride, last, &last)
            || mul_add(last + 1, o->v.size, 0, &n))
            return TP_ERR_SIZE;
        if (wraps(x->data, n))
            return TP_ERR_SIZE;
        o->v.data = x->data;
        o->lo = x->data;
        o->len = n;
        return scan_codes(o, count, k);
    }
    /* block operand: k contiguous */
    st = tpi_gemm_block_ok(x->blk, x->tensor_scale);
    if (st != TP_OK)
        return st;
    o->bd = *x->blk;
    tpi_blk_init(&o->kb, &o->bd);
    size_t bs = o->bd.block_size;
    if (!kcontig || k % bs != 0 || (role != 2 && (x->ld % bs != 0 || x->ld < k)))
        return TP_ERR_ARG;
    o->v.is_block = 1;
    o->v.kb = &o->kb;
    o->v.ts = x->tensor_scale;
    size_t ld = role == 2 ? k : x->ld, sb = 0, eb = 0;
    if (ld != 0) {
        st = tp_block_storage(&o->bd, ld, &sb, &eb);
        if (st != TP_OK)
            return st;
    }
    o->v.vbytes = eb;
    o->v.sbytes = sb;
    if (count == 0 || k == 0)
        return TP_OK;
    size_t kb_s, kb_e, n, ns = 0;
    st = tp_block_storage(&o->bd, k, &kb_s, &kb_e);
    if (st != TP_OK)
        return st;
    if (mul_add(count - 1, eb, kb_e, &n) || (sb != 0 && mul_add(count - 1, sb, kb_s, &ns)))
        return TP_ERR_SIZE;
    if (x->data == NULL || (sb != 0 && x->scales == NULL))
        return TP_ERR_NULL;
    if (wraps(x->data, n) || (sb != 0 && wraps(x->scales, ns)))
        return TP_ERR_SIZE;
    o->v.data = x->data;
    o->v.scales = sb != 0 ? x->scales : NULL;
    o->lo = x->data;
    o->len = n;
    o->slo = o->v.scales;
    o->slen = ns;
    for (size_t v = 0; v < count; v++)
        if (tpi_ref_block_bad_codes(&o->kb, tpi_vec_scales(&o->v, v), tpi_vec_data(&o->v, v),
                                    k / bs))
            return TP_ERR_CODE;
    return TP_OK;
}

/* A packed operand: its header must match the role and shape of the call. */
static tp_status resolve_packed(int role, size_t count, size_t k, const tp_packed *pk, opnd *o)
{
    memset(o, 0, sizeof *o);
    tpi_pack_info pi;
    tp_status st = tpi_pack_read(pk, &pi);
    if (st != TP_OK)
        return st;
    if (pi.role != (role == 1 ? TP_PACK_B : TP_PACK_A) || pi.rows != count || pi.k != k)
        return TP_ERR_MISMATCH;
    if (pi.is_block) {
        o->bd = pi.bd;
        tpi_blk_init(&o->kb, &o->bd);
        o->v.is_block = 1;
        o->v.kb = &o->kb;
        o->v.ts = pi.ts;
        o->v.vbytes = pi.vbytes;
        o->v.sbytes = pi.sbytes;
        o->v.scales = pi.scales;
    } else {
        st = elem_format(tp_format_get((tp_format)pi.fmt), o);
        if (st != TP_OK)
            return TP_ERR_DATA;
        o->v.vstride = pi.vbytes / o->v.size;
        o->v.kstride = 1;
    }
    o->v.data = pi.data;
    o->v.meta = pi.meta;
    o->lo = pk;
    o->len = pi.total;
    /* The header is checksummed, the data are not (other weights of the
     * same shape are legitimate): codes are checked as for an unpacked
     * operand, a pass over formats whose codes do not fill their storage. */
    if (!pi.is_block)
        return scan_codes(o, count, k);
    for (size_t v = 0; v < count && k != 0; v++)
        if (tpi_ref_block_bad_codes(&o->kb, tpi_vec_scales(&o->v, v), tpi_vec_data(&o->v, v),
                                    k / o->bd.block_size))
            return TP_ERR_CODE;
    return TP_OK;
}

static tp_status resolve_any(tp_layout layout, int role, size_t count, size_t k,
                             const tp_operand *x, opnd *o)
{
    if (x == NULL)
        return TP_ERR_NULL;
    if (x->packed != NULL && role != 2)
        return resolve_packed(role, count, k, x->packed, o);
    if (x->packed != NULL)
        return TP_ERR_ARG; /* vectors are not packed */
    return resolve(layout, role, count, k, x, o);
}

/* ------------------------------------------------------------ the call */

typedef struct call {
    opnd a, b;
    tpi_fmt cf;
    tpi_mm mm;
    unsigned flags;   /* from the operands */
    int gemv;
    size_t tm;        /* rows of a task */
    size_t ntm, ntn;  /* tiles */
} call;

static tp_status check_out(const tp_format_desc *cfmt, const tp_gemm_opts *o)
{
    if (cfmt == NULL)
        return TP_ERR_NULL;
    if (tp_format_check(cfmt) != TP_OK)
        return TP_ERR_DESCRIPTOR;
    if ((unsigned)o->rnd > TP_RSR)
        return TP_ERR_ROUND;
    if ((unsigned)o->ovf > TP_OVF_NONSAT)
        return TP_ERR_POLICY;
    if ((unsigned)o->mode > TP_MODE_FAST)
        return TP_ERR_ARG;
    if (o->rnd == TP_RSR && o->sr == NULL)
        return TP_ERR_ARG;
    return TP_OK;
}

/* Validates everything and fills *cl; C is (m x n, ldc, layout) or, for
 * GEMV, y (m codes, increment ldc). */
static tp_status setup(call *cl, int gemv, tp_layout layout, size_t m, size_t n, size_t k,
                       double alpha, const tp_operand *a, const tp_operand *b, double beta,
                       const tp_format_desc *cfmt, void *c, size_t ldc, const tp_gemm_opts *opts)
{
    static const tp_gemm_opts defaults;
    const tp_gemm_opts *o = opts != NULL ? opts : &defaults;
    if ((unsigned)layout > TP_COL_MAJOR)
        return TP_ERR_ARG;
    tp_status st = resolve_any(layout, 0, m, k, a, &cl->a);
    if (st == TP_OK)
        st = resolve_any(layout, gemv ? 2 : 1, n, k, b, &cl->b);
    if (st == TP_OK)
        st = check_out(cfmt, o);
    if (st != TP_OK)
        return st;
    if (!isfinite(alpha) || !isfinite(beta))
        return TP_ERR_ARG;
    tpi_mm *mm = &cl->mm;
    memset(mm, 0, sizeof *mm);
    tpi_fmt_init(&cl->cf, cfmt);
    size_t csize = tpi_code_size(cfmt);
    /* C: element (i, j) at i * c_is + j * c_js */
    size_t c_is, c_js;
    if (gemv) {
        if (ldc == 0)
            return TP_ERR_ARG;
        c_is = ldc;
        c_js = 0;
    } else if (layout == TP_ROW_MAJOR) {
        if (ldc < (n > 1 ? n : 1))
            return TP_ERR_ARG;
        c_is = ldc;
        c_js = 1;
    } else {
        if (ldc < (m > 1 ? m : 1))
            return TP_ERR_ARG;
        c_is = 1;
        c_js = ldc;
    }
    size_t clen = 0;
    if (m != 0 && n != 0) {
        size_t last;
        if (mul_add(m - 1, c_is, 0, &last) || mul_add(n - 1, c_js, last, &last)
            || mul_add(last + 1, csize, 0, &clen))
            return TP_ERR_SIZE;
        if (c == NULL)
            return TP_ERR_NULL;
        if (wraps(c, clen))
            return TP_ERR_SIZE;
        if (overlap(c, clen, cl->a.lo, cl->a.len) || overlap(c, clen, cl->a.slo, cl->a.slen)
            || overlap(c, clen, cl->b.lo, cl->b.len) || overlap(c, clen, cl->b.slo, cl->b.slen))
            return TP_ERR_ALIAS;
    }
    mm->a = cl->a.v;
    mm->b = cl->b.v;
    mm->a.kb = cl->a.v.is_block ? &cl->a.kb : NULL;
    mm->b.kb = cl->b.v.is_block ? &cl->b.kb : NULL;
    mm->a.f = &cl->a.f;
    mm->b.f = &cl->b.f;
    mm->m = m;
    mm->n = n;
    mm->k = k;
    mm->alpha = alpha;
    mm->beta = beta;
    mm->cf = &cl->cf;
    mm->ovf = tpi_resolve_ovf(&cl->cf, o->ovf);
    mm->csize = csize;
    mm->c = c;
    mm->c_is = c_is;
    mm->c_js = c_js;
    mm->rnd = o->rnd;
    mm->sr = o->sr;
    mm->mode = o->mode;
    cl->gemv = gemv;
    /* UE4M3 element codes with the sign bit: TP_FLAG_INVALID in exact mode
     * (FAST mode raises only the flags of its final encode) */
    cl->flags = o->mode == TP_MODE_EXACT && alpha != 0 && m != 0 && n != 0 && k != 0
                    ? (cl->a.flags | cl->b.flags)
                    : 0;
    if (beta != 0 && clen != 0 && (uint64_t)cl->cf.bits < csize * 8) { /* C is read */
        uint64_t any = 0;
        for (size_t j = 0; j < n; j++)
            for (size_t i = 0; i < m; i++)
                any |= tpi_load_code(c, i * c_is + j * c_js, csize);
        if (any & ~cl->cf.code_mask)
            return TP_ERR_CODE;
    }
    return TP_OK;
}

/* ------------------------------------------------------------ one output */

static uint32_t rbits(const tpi_mm *mm, size_t i, size_t j)
{
    if (mm->rnd != TP_RSR)
        return 0;
    size_t idx = i * mm->n + j;
    return mm->sr->bits != NULL ? mm->sr->bits[idx]
                                : tp_sr_word(mm->sr->seed, mm->sr->counter + idx);
}

static size_t c_index(const tpi_mm *mm, size_t i, size_t j)
{
    return i * mm->c_is + j * mm->c_js;
}

/* beta as an exact value. */
static void f64_val(double x, tpi_val *v)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    int e = (int)((u >> 52) & 0x7FF);
    uint64_t f = u & ((UINT64_C(1) << 52) - 1);
    v->sign = (int)(u >> 63);
    v->cls = (e == 0 && f == 0) ? TPI_ZERO : TPI_FINITE; /* finite by the checks */
    v->mant = e ? f | (UINT64_C(1) << 52) : f;
    v->exp = (e ? e : 1) - 1075;
}

void tpi_mm_put_acc(const tpi_mm *mm, size_t i, size_t j, tp_acc *acc, unsigned *flags)
{
    double al = mm->alpha;
    if (al != 1.0) {
        if (al < 0) {
            tpi_ref_acc_negate(acc);
            al = -al;
        }
        if (al != 1.0) {
            tpi_val v;
            f64_val(al, &v);
            tpi_acc_scale(acc, v.mant, v.exp);
        }
    }
    size_t ci = c_index(mm, i, j);
    if (mm->beta != 0) {
        tpi_val bv, cv;
        f64_val(mm->beta, &bv);
        tpi_ref_unpack(mm->cf, tpi_load_code(mm->c, ci, mm->csize), &cv, flags);
        tpi_ref_acc_add_prod_val(acc, &bv, &cv);
    }
    uint64_t code = tpi_ref_acc_round(acc, mm->cf, mm->rnd, mm->ovf, rbits(mm, i, j), flags);
    tpi_store_code(mm->c, ci, mm->csize, code);
}

/* The common output formats, rounded to nearest even with integer
 * operations (independent of MXCSR): the binary32 or bfloat16 code of a
 * finite double p whose result is a normal number below the overflow
 * threshold, else 0 (the caller then takes the general path).  `drop` is
 * 29 (binary32) or 45 (bfloat16), `shift` the code's position (0 or 16). */
static int rne_narrow(double p, int drop, uint64_t *code, unsigned *flags)
{
    uint64_t u;
    memcpy(&u, &p, sizeof u);
    int e = (int)((u >> 52) & 0x7FF) - 1023;
    if (e < -126 || e > 127)
        return 0;
    uint64_t m = u & ((UINT64_C(1) << 52) - 1), half = UINT64_C(1) << (drop - 1);
    uint64_t r = m >> drop, rem = m & ((UINT64_C(1) << drop) - 1);
    /* the magnitude bits of the result: exponent field above the fraction */
    uint64_t mag = ((uint64_t)(e + 127) << (52 - drop)) + r;
    if (rem > half || (rem == half && (r & 1)))
        mag++; /* a carry into the exponent is the correct next binade */
    if (mag >= (UINT64_C(0xFF) << (52 - drop)))
        return 0; /* rounds to Inf: the general path raises overflow */
    *code = ((u >> 63) << (60 - drop)) | mag;
    if (rem != 0)
        *flags |= TP_FLAG_INEXACT;
    return 1;
}

void tpi_mm_put_f64(const tpi_mm *mm, size_t i, size_t j, double s, unsigned *flags)
{
    if (mm->beta == 0) {
        /* alpha * s is exact if the FMA residual is 0 and the product is
         * far from the subnormal range (where the residual itself could be
         * rounded away). */
        double p = mm->alpha == 1.0 ? s : mm->alpha * s;
        if (mm->alpha == 1.0
            || (fabs(p) >= 0x1p-900 && fabs(p) <= 0x1p1000 && fma(mm->alpha, s, -p) == 0)) {
            uint64_t code;
            int fmt = mm->rnd == TP_RNE ? tpi_builtin_index(mm->cf->d) : -1;
            if (fmt == TP_F32 && rne_narrow(p, 29, &code, flags)) {
                tpi_store_code(mm->c, c_index(mm, i, j), 4, code);
                return;
            }
            if (fmt == TP_BF16 && rne_narrow(p, 45, &code, flags)) {
                tpi_store_code(mm->c, c_index(mm, i, j), 2, code);
                return;
            }
            code = tpi_ref_encode1_f64(mm->cf, p, mm->rnd, mm->ovf, rbits(mm, i, j), flags);
            tpi_store_code(mm->c, c_index(mm, i, j), mm->csize, code);
            return;
        }
    }
    tp_acc acc;
    tpi_ref_acc_init(&acc);
    tpi_dot_add_f64(&acc, s);
    tpi_mm_put_acc(mm, i, j, &acc, flags);
}

/* Decodes values [k0, k0 + len) of element vector v to binary32 (exact:
 * every format GEMM takes is a subset of binary32). */
static void elem_to_f32(const tpi_vecs *x, size_t v, size_t k0, size_t len, float *dst)
{
    const uint8_t *base = tpi_vec_data(x, v);
    unsigned dummy = 0; /* UE4M3 sign flags were raised by the checks */
    if (x->kstride == 1) {
        tpi_kernels_get()->dec_f32[x->fidx](x->f, base + k0 * x->size, dst, len, &dummy);
        return;
    }
    for (size_t t = 0; t < len; t++)
        dst[t] = tpi_ref_decode1_f32(x->f, tpi_load_code(base, (k0 + t) * x->kstride, x->size),
                                     &dummy);
}

/* Byte offsets of value k0 (a multiple of the block size) in a block vector. */
static void blk_offsets(const tpi_vecs *x, size_t k0, size_t *so, size_t *eo)
{
    size_t sb = 0, eb = 0;
    if (k0 != 0)
        tp_block_storage(x->kb->b, k0, &sb, &eb);
    *so = sb;
    *eo = eb;
}

/* acc += the exact dot product of vector i of a and vector j of b. */
static void dot_vec(const tpi_mm *mm, size_t i, size_t j, tp_acc *acc, unsigned *flags)
{
    const tpi_kernels *kt = tpi_kernels_get();
    const tpi_vecs *a = &mm->a, *b = &mm->b;
    size_t k = mm->k;
    if (k == 0)
        return;
    if (!a->is_block && !b->is_block) {
        kt->dot[a->fidx][b->fidx](a->f, tpi_vec_data(a, i), a->kstride, b->f, tpi_vec_data(b, j),
                                  b->kstride, k, acc);
        return;
    }
    if (a->is_block && b->is_block) {
        kt->blk_dot(a->kb, tpi_vec_scales(a, i), tpi_vec_data(a, i), a->ts, b->kb,
                    tpi_vec_scales(b, j), tpi_vec_data(b, j), b->ts, k, acc, flags);
        return;
    }
    /* block x element: the element side in binary32 chunks */
    const tpi_vecs *bl = a->is_block ? a : b, *el = a->is_block ? b : a;
    size_t bv = a->is_block ? i : j, ev = a->is_block ? j : i;
    size_t bs = (size_t)bl->kb->bs, ch = (CHUNK / bs) * bs;
    float buf[CHUNK];
    const uint8_t *sc = tpi_vec_scales(bl, bv), *el0 = tpi_vec_data(bl, bv);
    for (size_t k0 = 0; k0 < k; k0 += ch) {
        size_t len = k - k0 < ch ? k - k0 : ch, so, eo;
        elem_to_f32(el, ev, k0, len, buf);
        blk_offsets(bl, k0, &so, &eo);
        kt->blk_dot(bl->kb, sc != NULL ? sc + so : NULL, el0 + eo, bl->ts, NULL, NULL, buf, 0.0f,
                    len, acc, flags);
    }
}

static void exact_one(const tpi_mm *mm, size_t i, size_t j, unsigned *flags)
{
    tp_acc acc;
    tpi_ref_acc_init(&acc);
    if (mm->alpha != 0)
        dot_vec(mm, i, j, &acc, flags);
    tpi_mm_put_acc(mm, i, j, &acc, flags);
}

void tpi_mm_generic(const tpi_mm *mm, size_t i0, size_t i1, size_t j0, size_t j1, tpi_ws *ws,
                    unsigned *flags)
{
    (void)ws;
    for (size_t j = j0; j < j1; j++)
        for (size_t i = i0; i < i1; i++)
            exact_one(mm, i, j, flags);
}

/* ------------------------------------------------------------ FAST mode */

/* Values [k0, k0 + len) of vector v as binary32 (block values as
 * tp_block_dequantize_f32 gives them; len a multiple of the block size).
 * FAST mode raises only the flags of its final encode: the decoding
 * flags are dropped. */
static void vec_to_f32(const tpi_vecs *x, size_t v, size_t k0, size_t len, float *dst)
{
    if (!x->is_block) {
        elem_to_f32(x, v, k0, len, dst);
        return;
    }
    size_t so, eo;
    blk_offsets(x, k0, &so, &eo);
    const uint8_t *sc = tpi_vec_scales(x, v);
    unsigned f = 0;
    tpi_kernels_get()->blk_dequant[x->kb->fmt](x->kb, sc != NULL ? sc + so : NULL,
                                               tpi_vec_data(x, v) + eo, len / (size_t)x->kb->bs,
                                               x->ts, dst, &f);
}

/* Values of one vector as binary32, a window at a time: a block (block
 * operands) or up to FAST_WIN values (element operands). */
#define FAST_WIN 256
typedef struct fstream {
    const tpi_vecs *x;
    size_t v, k, pos, len;
    float buf[FAST_WIN];
} fstream;

static float fs_get(fstream *s, size_t t)
{
    if (t >= s->pos + s->len) {
        size_t w = s->x->is_block ? (size_t)s->x->kb->bs : FAST_WIN;
        s->pos = t; /* a block boundary for block operands */
        s->len = s->k - t < w ? s->k - t : w;
        vec_to_f32(s->x, s->v, t, s->len, s->buf);
    }
    return s->buf[t - s->pos];
}

/* The documented FAST order: 16 binary32 lanes by k mod 16, fmaf, then a
 * pairwise reduction; alpha and beta in binary64; one encode. */
static void fast_one(const tpi_mm *mm, size_t i, size_t j, unsigned *flags)
{
    float lane[16] = {0};
    if (mm->alpha != 0) {
        fstream sa = {&mm->a, i, mm->k, 0, 0, {0}}, sb = {&mm->b, j, mm->k, 0, 0, {0}};
        for (size_t t = 0; t < mm->k; t++)
            lane[t % 16] = fmaf(fs_get(&sa, t), fs_get(&sb, t), lane[t % 16]);
    }
    for (int w = 8; w >= 1; w /= 2)
        for (int l = 0; l < w; l++)
            lane[l] = lane[l] + lane[l + w];
    tpi_mm_put_fast(mm, i, j, lane[0], flags);
}

void tpi_mm_put_fast(const tpi_mm *mm, size_t i, size_t j, float s, unsigned *flags)
{
    double t = mm->alpha * (double)s;
    size_t ci = c_index(mm, i, j);
    if (mm->beta != 0) {
        unsigned dropped = 0; /* FAST mode: only the final encode's flags */
        t = t + mm->beta * tpi_ref_decode1(mm->cf, tpi_load_code(mm->c, ci, mm->csize), &dropped);
    }
    if (t != t) /* a NaN's sign and payload depend on the hardware's operand order */
        t = (double)NAN;
    uint64_t code = tpi_ref_encode1_f64(mm->cf, t, mm->rnd, mm->ovf, rbits(mm, i, j), flags);
    tpi_store_code(mm->c, ci, mm->csize, code);
}

/* ------------------------------------------------------------ tiles */

static void run_tile(const call *cl, size_t i0, size_t i1, size_t j0, size_t j1, tpi_ws *ws,
                     unsigned *flags)
{
    const tpi_mm *mm = &cl->mm;
    if (i0 >= i1 || j0 >= j1)
        return;
    if (mm->mode == TP_MODE_FAST) {
        tpi_mm_fn ff = tpi_kernels_get()->fast;
        if (ff != NULL && ff(mm, i0, i1, j0, j1, ws, flags))
            return;
        for (size_t j = j0; j < j1; j++)
            for (size_t i = i0; i < i1; i++)
                fast_one(mm, i, j, flags);
        return;
    }
    if (mm->alpha != 0 && mm->k != 0) {
        const tpi_kernels *kt = tpi_kernels_get();
        tpi_mm_fn fn = cl->gemv ? kt->gemv : kt->gemm;
        if (fn != NULL && fn(mm, i0, i1, j0, j1, ws, flags))
            return;
    }
    tpi_mm_generic(mm, i0, i1, j0, j1, ws, flags);
}

static void task(void *arg, size_t t, tpi_ws *ws, unsigned *flags)
{
    const call *cl = arg;
    size_t tm = cl->tm, tn = TILE_N;
    size_t ti = t % cl->ntm, tj = t / cl->ntm;
    size_t i0 = ti * tm, j0 = tj * tn;
    size_t i1 = cl->mm.m - i0 < tm ? cl->mm.m : i0 + tm;
    size_t j1 = cl->mm.n - j0 < tn ? cl->mm.n : j0 + tn;
    run_tile(cl, i0, i1, j0, j1, ws, flags);
}

static void run_all(call *cl, const tp_gemm_opts *opts, unsigned *flags)
{
    size_t m = cl->mm.m, n = cl->mm.n;
    unsigned f = cl->flags;
    if (m != 0 && n != 0) {
        unsigned nt = opts != NULL && opts->threads != 0 ? opts->threads : tpi_pool_default();
        size_t tm = TILE_M, tn = TILE_N;
        if (cl->gemv) {
            size_t per = m / GEMV_TASKS / nt; /* nt * GEMV_TASKS could wrap a 32-bit size_t */
            tm = per > GEMV_ROWS ? (per + 15) / 16 * 16 : GEMV_ROWS;
        }
        cl->tm = tm;
        cl->ntm = (m + tm - 1) / tm;
        cl->ntn = (n + tn - 1) / tn;
        tpi_pool_run(nt, cl->ntm * cl->ntn, task, cl, &f);
    }
    if (flags != NULL)
        *flags |= f;
}

static void run_part(call *cl, size_t i0, size_t i1, size_t j0, size_t j1, unsigned *flags)
{
    unsigned f = cl->flags;
    tpi_ws *ws = tpi_ws_acquire();
    run_tile(cl, i0, i1, j0, j1, ws, &f);
    tpi_ws_release(ws);
    if (flags != NULL)
        *flags |= f;
}

/* ------------------------------------------------------------ entry points */

tp_status tp_gemm(tp_layout layout, size_t m, size_t n, size_t k, double alpha, const tp_operand *a,
                  const tp_operand *b, double beta, const tp_format_desc *cfmt, void *c, size_t ldc,
                  const tp_gemm_opts *opts, unsigned *flags)
{
    call cl;
    tp_status st = setup(&cl, 0, layout, m, n, k, alpha, a, b, beta, cfmt, c, ldc, opts);
    if (st != TP_OK)
        return st;
    run_all(&cl, opts, flags);
    return TP_OK;
}

tp_status tp_gemm_tile(tp_layout layout, size_t m, size_t n, size_t k, double alpha,
                       const tp_operand *a, const tp_operand *b, double beta,
                       const tp_format_desc *cfmt, void *c, size_t ldc, const tp_gemm_opts *opts,
                       size_t i0, size_t i1, size_t j0, size_t j1, unsigned *flags)
{
    call cl;
    tp_status st = setup(&cl, 0, layout, m, n, k, alpha, a, b, beta, cfmt, c, ldc, opts);
    if (st != TP_OK)
        return st;
    if (i0 > i1 || i1 > m || j0 > j1 || j1 > n)
        return TP_ERR_ARG;
    run_part(&cl, i0, i1, j0, j1, flags);
    return TP_OK;
}

tp_status tp_gemv(tp_layout layout, size_t m, size_t k, double alpha, const tp_operand *w,
                  const tp_operand *x, double beta, const tp_format_desc *yfmt, void *y,
                  size_t incy, const tp_gemm_opts *opts, unsigned *flags)
{
    call cl;
    tp_status st = setup(&cl, 1, layout, m, 1, k, alpha, w, x, beta, yfmt, y, incy, opts);
    if (st != TP_OK)
        return st;
    run_all(&cl, opts, flags);
    return TP_OK;
}

tp_status tp_gemv_rows(tp_layout layout, size_t m, size_t k, double alpha, const tp_operand *w,
                       const tp_operand *x, double beta, const tp_format_desc *yfmt, void *y,
                       size_t incy, const tp_gemm_opts *opts, size_t r0, size_t r1,
                       unsigned *flags)
{
    call cl;
    tp_status st = setup(&cl, 1, layout, m, 1, k, alpha, w, x, beta, yfmt, y, incy, opts);
    if (st != TP_OK)
        return st;
    if (r0 > r1 || r1 > m)
        return TP_ERR_ARG;
    run_part(&cl, r0, r1, 0, 1, flags);
    return TP_OK;
}

/* ------------------------------------------------------------ packing */

static tp_status pack_setup(tp_layout layout, tp_pack_role role, size_t rows, size_t k,
                            const tp_operand *x, opnd *o, tpi_pack_info *pi)
{
    if ((unsigned)layout > TP_COL_MAJOR || (unsigned)role > TP_PACK_B)
        return TP_ERR_ARG;
    if (x == NULL)
        return TP_ERR_NULL;
    if (x->packed != NULL)
        return TP_ERR_ARG;
    tp_status st = resolve(layout, role == TP_PACK_B ? 1 : 0, rows, k, x, o);
    if (st != TP_OK)
        return st;
    memset(pi, 0, sizeof *pi);
    pi->role = (int)role;
    pi->is_block = o->v.is_block;
    pi->fmt = o->v.is_block ? 0 : o->v.fidx;
    pi->inv = (o->flags & TP_FLAG_INVALID) != 0;
    if (o->v.is_block) {
        pi->bd = o->bd;
        pi->ts = o->v.ts;
    }
    pi->rows = rows;
    pi->k = k;
    return tpi_pack_layout(pi);
}

tp_status tp_pack_operand_size(tp_layout layout, tp_pack_role role, size_t rows, size_t k,
                               const tp_operand *x, size_t *bytes)
{
    opnd o;
    tpi_pack_info pi;
    tp_status st = pack_setup(layout, role, rows, k, x, &o, &pi);
    if (st != TP_OK)
        return st;
    if (bytes == NULL)
        return TP_ERR_NULL;
    *bytes = pi.total;
    return TP_OK;
}

tp_status tp_pack_operand(tp_layout layout, tp_pack_role role, size_t rows, size_t k,
                          const tp_operand *x, void *buf, size_t len)
{
    opnd o;
    tpi_pack_info pi;
    tp_status st = pack_setup(layout, role, rows, k, x, &o, &pi);
    if (st != TP_OK)
        return st;
    if (buf == NULL)
        return TP_ERR_NULL;
    if (((uintptr_t)buf & 63) != 0 || len < pi.total)
        return TP_ERR_ARG;
    if (wraps(buf, pi.total))
        return TP_ERR_SIZE;
    if (overlap(buf, pi.total, o.lo, o.len) || overlap(buf, pi.total, o.slo, o.slen))
        return TP_ERR_ALIAS;
    uint8_t *b = buf;
    uint8_t *data = b + (uintptr_t)pi.data, *scales = b + (uintptr_t)pi.scales;
    uint8_t *meta = b + (uintptr_t)pi.meta;
    memset(b, 0, pi.total); /* padding included: the bytes are deterministic */
    size_t sb = 0, eb = 0;
    if (o.v.is_block && k != 0)
        tp_block_storage(&o.bd, k, &sb, &eb);
    for (size_t v = 0; v < rows; v++) {
        uint8_t *dv = data + v * pi.vbytes;
        if (o.v.is_block) {
            memcpy(dv, tpi_vec_data(&o.v, v), eb);
            if (sb != 0)
                memcpy(scales + v * sb, tpi_vec_scales(&o.v, v), sb);
            tpi_vmeta m;
            tpi_pack_meta(&o.v, v, k, &m);
            memcpy(meta + v * sizeof m, &m, sizeof m);
        } else {
            const uint8_t *sv = tpi_vec_data(&o.v, v);
            for (size_t t = 0; t < k; t++)
                tpi_store_code(dv, t, o.v.size, tpi_load_code(sv, t * o.v.kstride, o.v.size));
        }
    }
    tpi_pack_write_header(&pi, b);
    return TP_OK;
}
