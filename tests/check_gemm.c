/*
 * check_gemm.c -- tp_gemm, tp_gemm_tile, tp_gemv, tp_gemv_rows, packing and
 * the thread pool against the MPFR oracle (tests/oracle/oracle_gemm.c).
 *
 * Every case builds its operands from logical codes (element codes, or
 * block element and scale codes), stores them in the documented layout
 * (include/truepoint.h, group "gemm"), computes the expected code and flags
 * of every output from the oracle, and compares every byte of C: the m x n
 * codes with the oracle, every other byte (the gaps of ldc > minimum and a
 * red zone on both sides) with its old value.  Identities (threads, tiles,
 * packing, GEMV = GEMM with n = 1) are compared on the bytes and flags.
 * TP_MODE_FAST is checked against the documented binary32 order
 * (org_fast1).
 */
#define _GNU_SOURCE 1
#include <float.h>
#include <math.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "oracle_acc.h"
#include "oracle_block.h"
#include "oracle_gemm.h"
#include "testutil.h"

#define RED 64

#define REQ(c)                                                                                \
    do {                                                                                      \
        if (!(c)) {                                                                           \
            fprintf(stderr, "%s:%d: requirement failed: %s\n", __FILE__, __LINE__, #c);       \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

/* ------------------------------------------------------------ malloc counter
 * GEMV allocates nothing per call after warm-up: with glibc the test
 * interposes malloc and friends (forwarding to glibc's own entry points)
 * and counts the calls made while `g_counting` is set.  Not under the
 * sanitizers, which own malloc. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TPT_NO_MALLOC_COUNT 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define TPT_NO_MALLOC_COUNT 1
#endif
#endif

#if defined(__GLIBC__) && !defined(TPT_NO_MALLOC_COUNT)
#define TPT_MALLOC_COUNT 1
static volatile int g_counting;
/* volatile: the compiler assumes that malloc touches no global */
static volatile unsigned long g_allocs;
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t s);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t al, size_t n);

static void count_one(void)
{
    if (g_counting)
        __atomic_fetch_add(&g_allocs, 1, __ATOMIC_RELAXED);
}

void *malloc(size_t n)
{
    count_one();
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t s)
{
    count_one();
    return __libc_calloc(n, s);
}

void *realloc(void *p, size_t n)
{
    count_one();
    return __libc_realloc(p, n);
}

int posix_memalign(void **p, size_t al, size_t n)
{
    count_one();
    void *q = __libc_memalign(al, n);
    if (q == NULL)
        return 12; /* ENOMEM */
    *p = q;
    return 0;
}

void *aligned_alloc(size_t al, size_t n)
{
    count_one();
    return __libc_memalign(al, n);
}
#endif

/* ------------------------------------------------------------ helpers */

static uint64_t rng;

static uint64_t rnd64(void)
{
    return tpt_rand64(&rng);
}

static size_t rndu(size_t n)
{
    return n ? (size_t)(rnd64() % n) : 0;
}

static double u2d(uint64_t u)
{
    double x;
    memcpy(&x, &u, 8);
    return x;
}

static float u2f(uint32_t u)
{
    float x;
    memcpy(&x, &u, 4);
    return x;
}

static size_t csize(const tp_format_desc *d)
{
    return d->bits <= 8 ? 1 : d->bits <= 16 ? 2 : d->bits <= 32 ? 4 : 8;
}

static void store(const tp_format_desc *d, void *base, size_t i, uint64_t c)
{
    switch (csize(d)) {
    case 1: ((uint8_t *)base)[i] = (uint8_t)c; break;
    case 2: { uint16_t v = (uint16_t)c; memcpy((char *)base + 2 * i, &v, 2); break; }
    case 4: { uint32_t v = (uint32_t)c; memcpy((char *)base + 4 * i, &v, 4); break; }
    default: memcpy((char *)base + 8 * i, &c, 8); break;
    }
}

static uint64_t load(const tp_format_desc *d, const void *base, size_t i)
{
    uint64_t c = 0;
    memcpy(&c, (const char *)base + i * csize(d), csize(d)); /* little-endian host */
    return c;
}

static void *xmalloc(size_t n)
{
    void *p = NULL;
    REQ(posix_memalign(&p, 64, n + 64) == 0);
    return p;
}

static double code_value(const tp_format_desc *d, uint64_t c)
{
    uint64_t bits;
    unsigned junk = 0;
    REQ(orc_decode_f64(d, c, &bits, &junk) == 0);
    return u2d(bits);
}

static uint64_t enc(const tp_format_desc *d, double x)
{
    uint64_t c = 0;
    unsigned junk = 0;
    REQ(orc_encode(d, x, TP_RNE, TP_OVF_NONSAT, 0, &c, &junk) == 0);
    return c;
}

static const char *rnd_name[] = {"rne", "rna", "rtz", "rup", "rdn", "rto", "rsr"};

/* A random code of d.  spec: NaN / Inf / zero / subnormal / max codes at
 * a low rate (1 in spec; 0 = never). */
static uint64_t rand_code(const tp_format_desc *d, unsigned spec)
{
    for (;;) {
        uint64_t r = rnd64(), c;
        if (spec && r % spec == 0) {
            int neg = (int)((r >> 9) & 1);
            uint64_t mag = 0;
            switch ((r >> 12) % 5) {
            case 0: return enc(d, neg ? -0.0 : 0.0);
            case 1: return enc(d, NAN);
            case 2: return enc(d, neg ? -INFINITY : INFINITY);
            case 3:
                c = enc(d, neg ? -1e-300 : 1e-300); /* rounds to 0: the code above it */
                return c + 1;
            default:
                REQ(orc_max_mag(d, &mag) == 0);
                return enc(d, 0.0) == 0 && neg && d->sign && d->kind == TP_KIND_FLOAT
                           ? mag | (UINT64_C(1) << (d->bits - 1))
                           : mag;
            }
        }
        if (d->bits == 64) {
            c = (r & UINT64_C(0x800FFFFFFFFFFFFF)) |
                ((uint64_t)(1023 - 30 + (int)((r >> 52) % 60)) << 52);
        } else if (d->bits == 32) {
            uint32_t u = (uint32_t)(r >> 16);
            c = (r & 1) ? u
                        : (u & 0x807FFFFFu) | ((uint32_t)(127 - 30 + (int)((r >> 8) % 60)) << 23);
        } else if (d->bits == 16 && d->exp_bits == 8) {
            uint32_t u = (uint32_t)(r >> 16) & 0xFFFF;
            c = (r & 1) ? u : (u & 0x807F) | ((uint32_t)(127 - 20 + (int)((r >> 8) % 40)) << 7);
        } else {
            c = (r >> 7) & ((UINT64_C(1) << d->bits) - 1);
        }
        double v = code_value(d, c);
        if (!isnan(v) && !isinf(v))
            return c;
    }
}

/* ------------------------------------------------------------ formats */

static const tp_format elem_list[] = {TP_F32,  TP_BF16, TP_F16,  TP_E4M3,     TP_E5M2,
                                      TP_E2M3, TP_E3M2, TP_E2M1, TP_INT8,     TP_E3M4,
                                      TP_UINT4, TP_E5M2FNUZ, TP_MXINT8};
#define N_ELEM ((int)(sizeof elem_list / sizeof elem_list[0]))
static const char *const blk_list[] = {
    "mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e2m3", "mxfp6_e3m2", "mxfp4",      "mxint8",
    "nvfp4",      "nvfp4_torchao", "msfp16", "bfp12_32",   "ggml_mxfp4", "ggml_q8_0",
};
#define N_BLKF ((int)(sizeof blk_list / sizeof blk_list[0]))
static const tp_format out_list[] = {TP_F32, TP_BF16, TP_F16, TP_E4M3, TP_E5M2};
#define N_OUT 5

/* A format of a case: element (idx < N_ELEM) or block. */
typedef struct fsel {
    const tp_format_desc *fd;
    tp_block_desc bd;
    int is_blk;
    const char *name;
} fsel;

static fsel fsel_of(int idx)
{
    fsel s;
    memset(&s, 0, sizeof s);
    if (idx < N_ELEM) {
        s.fd = tp_format_get(elem_list[idx]);
        s.name = s.fd->name;
    } else {
        REQ(tp_block_from_name(blk_list[idx - N_ELEM], &s.bd) == TP_OK);
        s.is_blk = 1;
        s.name = blk_list[idx - N_ELEM];
    }
    return s;
}

/* ------------------------------------------------------------ operands */

enum { ROLE_A = 0, ROLE_B = 1, ROLE_X = 2 };

typedef struct opnd {
    fsel f;
    int role;
    size_t nvec, k, bs;
    uint64_t *codes;  /* logical: codes[v * k + i] */
    uint32_t *sc;     /* logical block scale codes: sc[v * (k / bs) + j] */
    float ts;
    tp_layout lay;
    tp_trans tr;
    size_t ld;
    unsigned char *data, *scales;
    size_t dbytes, sbytes;
    double *val;      /* exact values, nvec * k */
    float *v32;       /* FAST values */
    unsigned *dfl;    /* decoding flags per vector */
    tp_operand op;
} opnd;

static int ewidth(const tp_block_desc *b)
{
    if (b->format == TP_BLOCK_BFP)
        return b->mant_bits;
    if (b->format == TP_BLOCK_GGML_Q8_0)
        return 8;
    return tp_format_get((tp_format)b->elem)->bits;
}

static uint32_t rand_scale(const tp_block_desc *b, unsigned spec, int wide)
{
    uint64_t r = rnd64();
    int sp = spec && (r >> 40) % spec == 0;
    switch (b->format) {
    case TP_BLOCK_NVFP4:
        if (sp)
            return (r & 1) ? 0x7F : 0x80 | (uint32_t)((r >> 8) & 0x7F);
        return wide ? (uint32_t)((r >> 8) % 0x7F) : 0x28 + (uint32_t)((r >> 8) % 0x20);
    case TP_BLOCK_GGML_Q8_0:
        if (sp)
            return (r & 2) ? 0x7C00 | (uint32_t)(r & 0x8000) : 0x7E00;
        if (wide)
            return (uint32_t)((r >> 8) & 0xFFFF) &
                   ((((r >> 8) & 0x7C00) == 0x7C00) ? 0xBFFF : 0xFFFF);
        return (uint32_t)((r >> 8) & 0x83FF) | ((uint32_t)(9 + (r >> 30) % 12) << 10);
    default:
        if (sp)
            return 0xFF;
        return wide ? (uint32_t)((r >> 8) % 255) : 115 + (uint32_t)((r >> 8) % 25);
    }
}

static uint32_t nan_scale(const tp_block_desc *b)
{
    return b->format == TP_BLOCK_NVFP4 ? 0x7F : b->format == TP_BLOCK_GGML_Q8_0 ? 0x7E00 : 0xFF;
}

static uint64_t rand_elem(const tp_block_desc *b, unsigned spec)
{
    int w = ewidth(b);
    for (;;) {
        uint64_t r = rnd64(), c = (r >> 11) & ((UINT64_C(1) << w) - 1);
        if (b->format != TP_BLOCK_MXFP8_E4M3 && b->format != TP_BLOCK_MXFP8_E5M2)
            return c;
        double v = code_value(tp_format_get((tp_format)b->elem), c);
        if ((!isnan(v) && !isinf(v)) || (spec && (r >> 50) % spec == 0))
            return c;
    }
}

/* Stores the code c of element e (storage index) of a block operand. */
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

/* Writes the block operand's storage from its logical codes (gap blocks:
 * valid codes under a NaN scale, so reading them shows). */
static void blk_store(opnd *o, size_t nel)
{
    const tp_block_desc *b = &o->f.bd;
    size_t bs = o->bs, nb = nel / bs;
    uint64_t tmp[256];
    uint32_t *bsc = calloc(nb + 1, sizeof *bsc);
    uint64_t *bcodes = calloc(nel + 1, sizeof *bcodes);
    for (size_t e = 0; e < nel; e++)
        bcodes[e] = rand_elem(b, 0);
    for (size_t j = 0; j < nb; j++)
        bsc[j] = nan_scale(b);
    size_t step = o->role == ROLE_X ? o->k : o->ld;
    for (size_t v = 0; v < o->nvec; v++) {
        for (size_t i = 0; i < o->k; i++)
            bcodes[v * step + i] = o->codes[v * o->k + i];
        for (size_t j = 0; j < o->k / bs; j++)
            bsc[(v * step) / bs + j] = o->sc[v * (o->k / bs) + j];
    }
    int ggml = b->format == TP_BLOCK_GGML_MXFP4 || b->format == TP_BLOCK_GGML_Q8_0;
    size_t per = nb ? o->dbytes / nb : 0;
    for (size_t j = 0; j < nb; j++) {
        if (ggml) {
            for (size_t t = 0; t < bs; t++)
                tmp[t] = bcodes[j * bs + t];
            REQ(orb_ggml_bytes(b, bsc[j], tmp, o->data + j * per) == (int)per);
            continue;
        }
        o->scales[j] = (unsigned char)bsc[j];
        for (size_t t = 0; t < bs; t++)
            blk_put(o, j * bs + t, bcodes[j * bs + t]);
    }
    free(bsc);
    free(bcodes);
}

typedef struct genp {
    unsigned spec;   /* special-code rate of element codes (0: none) */
    unsigned sspec;  /* special-scale rate */
    int wide;        /* scales over the whole range */
} genp;

/* Builds an operand of nvec vectors of k values in the given layout.
 * ldx: extra leading dimension (elements; blocks for block operands). */
static void op_make(opnd *o, const fsel *f, int role, size_t nvec, size_t k, tp_layout lay,
                    tp_trans tr, size_t ldx, const genp *g)
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
    o->val = calloc(nvec * k + 1, sizeof *o->val);
    o->v32 = calloc(nvec * k + 1, sizeof *o->v32);
    o->dfl = calloc(nvec + 1, sizeof *o->dfl);
    o->ts = 1.0f;
    if (f->is_blk) {
        for (size_t i = 0; i < nvec * k; i++)
            o->codes[i] = rand_elem(&f->bd, g->spec);
        for (size_t i = 0; i < nvec * (k / o->bs); i++)
            o->sc[i] = rand_scale(&f->bd, g->sspec, g->wide);
        if (f->bd.format == TP_BLOCK_NVFP4) {
            uint64_t r = rnd64();
            o->ts = r % 5 == 0 ? 0x1p-100f : u2f(0x3F800000u ^ (uint32_t)(r & 0x0FFFFFu));
        }
    } else {
        for (size_t i = 0; i < nvec * k; i++)
            o->codes[i] = rand_code(f->fd, g->spec);
    }
    /* storage */
    memset(&o->op, 0, sizeof o->op);
    if (f->is_blk) {
        o->ld = role == ROLE_X ? 1 : (k ? k : o->bs) + ldx * o->bs; /* ld >= 1 */
        size_t nel = role == ROLE_X ? k : nvec * o->ld, sb = 0, eb = 0;
        if (nel)
            REQ(tp_block_storage(&f->bd, nel, &sb, &eb) == TP_OK);
        o->dbytes = eb;
        o->sbytes = sb;
        o->data = xmalloc(eb + 1);
        o->scales = xmalloc(sb + 1);
        memset(o->data, 0, eb + 1);
        memset(o->scales, 0, sb + 1);
        if (nel)
            blk_store(o, nel);
        o->op.blk = &o->f.bd;
        o->op.scales = (f->bd.format == TP_BLOCK_GGML_MXFP4 || f->bd.format == TP_BLOCK_GGML_Q8_0)
                           ? NULL
                           : o->scales;
        o->op.tensor_scale = o->ts;
    } else {
        size_t cs = csize(f->fd), nel;
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
        o->dbytes = nel * cs;
        o->data = xmalloc(o->dbytes);
        for (size_t e = 0; e < nel; e++)
            store(f->fd, o->data, e, rand_code(f->fd, 0));
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
                store(f->fd, o->data, idx, o->codes[v * k + i]);
            }
        o->op.fmt = f->fd;
    }
    o->op.data = o->data;
    o->op.trans = tr;
    o->op.ld = o->ld;
    /* oracle values */
    for (size_t v = 0; v < nvec && k > 0; v++) {
        org_vec x = {f->is_blk ? NULL : f->fd, f->is_blk ? &o->f.bd : NULL, o->codes + v * k, 1,
                     o->sc + v * (k / o->bs), o->ts};
        REQ(org_values(&x, k, o->val + v * k, &o->dfl[v]) == 0);
        if (f->is_blk || f->fd->bits != 64)
            REQ(org_values_f32(&x, k, o->v32 + v * k) == 0);
    }
}

/* Rewrites the storage and the oracle values of o from its logical codes
 * (after a test changed them). */
static void op_restore(opnd *o)
{
    size_t k = o->k;
    if (o->f.is_blk) {
        size_t nel = o->role == ROLE_X ? k : o->nvec * o->ld;
        if (nel)
            blk_store(o, nel);
    } else {
        for (size_t v = 0; v < o->nvec; v++)
            for (size_t i = 0; i < k; i++) {
                size_t idx;
                if (o->role == ROLE_X) {
                    idx = i * o->ld;
                } else {
                    int vr = (o->role == ROLE_A) ^ (o->tr == TP_TRANS);
                    size_t r = vr ? v : i, c = vr ? i : v;
                    idx = o->lay == TP_ROW_MAJOR ? r * o->ld + c : c * o->ld + r;
                }
                store(o->f.fd, o->data, idx, o->codes[v * k + i]);
            }
    }
    for (size_t v = 0; v < o->nvec && k > 0; v++) {
        org_vec x = {o->f.is_blk ? NULL : o->f.fd, o->f.is_blk ? &o->f.bd : NULL,
                     o->codes + v * k, 1, o->sc + v * (k / o->bs), o->ts};
        o->dfl[v] = 0;
        REQ(org_values(&x, k, o->val + v * k, &o->dfl[v]) == 0);
        if (o->f.is_blk || o->f.fd->bits != 64)
            REQ(org_values_f32(&x, k, o->v32 + v * k) == 0);
    }
}

/* The element descriptor of an operand (block: its element format). */
static const tp_format_desc *op_elem(const opnd *o, tp_format_desc *store_d)
{
    return o->f.is_blk ? orb_elem_desc(&o->f.bd, store_d) : o->f.fd;
}

/* The orientation the documentation allows for a block operand. */
static tp_trans blk_trans(int role, tp_layout lay)
{
    if (role == ROLE_A)
        return lay == TP_ROW_MAJOR ? TP_NO_TRANS : TP_TRANS;
    return lay == TP_ROW_MAJOR ? TP_TRANS : TP_NO_TRANS;
}

static void op_free(opnd *o)
{
    free(o->codes);
    free(o->sc);
    free(o->val);
    free(o->v32);
    free(o->dfl);
    free(o->data);
    free(o->scales);
}

/* Random operand orientation: block operands take an allowed one. */
static void op_rand(opnd *o, const fsel *f, int role, size_t nvec, size_t k, tp_layout lay,
                    const genp *g)
{
    tp_trans tr = f->is_blk ? blk_trans(role, lay) : (tp_trans)(rnd64() & 1);
    size_t ldx = rndu(4) == 0 ? 1 + rndu(3) : 0;
    op_make(o, f, role, nvec, k, lay, tr, ldx, g);
}

/* ------------------------------------------------------------ C and the run */

typedef struct cbuf {
    unsigned char *base, *c, *orig;
    size_t bytes;    /* of the region c .. (without red zones) */
    size_t ldc;
} cbuf;

typedef struct prob {
    int gemv;
    tp_layout lay;
    size_t m, n, k;
    double alpha, beta;
    opnd *A, *B;
    const tp_format_desc *cf;
    size_t ldc;            /* GEMV: incy */
    tp_gemm_opts opts;
    tp_sr sr;
    uint32_t *bits;
    uint64_t *c0;          /* old codes, c0[i * n + j] */
    int null_cf;           /* pass cfmt = NULL (argument tests) */
} prob;

static size_t c_pos(const prob *p, size_t i, size_t j)
{
    if (p->gemv)
        return i * p->ldc;
    return p->lay == TP_ROW_MAJOR ? i * p->ldc + j : j * p->ldc + i;
}

/* Allocates C (red zones, random bytes) and writes the old codes. */
static void c_make(prob *p, cbuf *cb)
{
    size_t cs = csize(p->cf), nel;
    if (p->gemv)
        nel = p->m ? (p->m - 1) * p->ldc + 1 : 1;
    else
        nel = (p->lay == TP_ROW_MAJOR ? p->m : p->n) * p->ldc;
    if (p->m && p->n && c_pos(p, p->m - 1, p->n - 1) >= nel)
        nel = c_pos(p, p->m - 1, p->n - 1) + 1; /* ldc below the minimum */
    if (nel == 0)
        nel = 1;
    cb->bytes = nel * cs;
    cb->base = xmalloc(cb->bytes + 2 * RED);
    cb->orig = malloc(cb->bytes + 2 * RED);
    for (size_t i = 0; i < cb->bytes + 2 * RED; i++)
        cb->base[i] = (unsigned char)rnd64();
    cb->c = cb->base + RED;
    for (size_t i = 0; i < p->m; i++)
        for (size_t j = 0; j < p->n; j++)
            store(p->cf, cb->c, c_pos(p, i, j), p->c0[i * p->n + j]);
    memcpy(cb->orig, cb->base, cb->bytes + 2 * RED);
}

static void c_free(cbuf *cb)
{
    free(cb->base);
    free(cb->orig);
}

static uint32_t word_of(const prob *p, size_t i, size_t j)
{
    size_t idx = i * p->n + j;
    if (p->opts.rnd != TP_RSR)
        return 0;
    return p->sr.bits != NULL ? p->sr.bits[idx] : orc_sr_word(p->sr.seed, p->sr.counter + idx);
}

/* Expected codes (exp[i * n + j]) and flags of a problem by the oracle. */
static unsigned expect(const prob *p, uint64_t *exp)
{
    unsigned fl = 0;
    ora_sum *s = ora_new();
    for (size_t i = 0; i < p->m; i++)
        for (size_t j = 0; j < p->n; j++) {
            const tp_format_desc *cf = p->cf;
            uint64_t code = 0;
            double cv = 0;
            if (p->beta != 0) {
                uint64_t bits;
                REQ(orc_decode_f64(cf, p->c0[i * p->n + j], &bits, &fl) == 0);
                cv = u2d(bits);
            }
            ora_clear(s);
            if (p->opts.mode == TP_MODE_FAST) {
                REQ(org_fast1(p->A->v32 + i * p->k, p->B->v32 + j * p->k, p->k, p->alpha, p->beta,
                              cf, p->c0[i * p->n + j], p->opts.rnd, p->opts.ovf, word_of(p, i, j),
                              &code, &fl) == 0);
            } else {
                org_terms(s, p->A->val + i * p->k, p->B->val + j * p->k, p->k, p->alpha, p->beta,
                          cv);
                REQ(ora_round(s, cf, p->opts.rnd, p->opts.ovf, word_of(p, i, j), &code, &fl) == 0);
            }
            if (p->alpha != 0 && p->k > 0)
                fl |= p->A->dfl[i] | p->B->dfl[j];
            exp[i * p->n + j] = code;
        }
    ora_free(s);
    return fl;
}

static char g_ctx[512];

static void describe(const prob *p, const char *what)
{
    snprintf(g_ctx, sizeof g_ctx,
             "%s: %s %s m=%zu n=%zu k=%zu A=%s%s ld=%zu B=%s%s ld=%zu alpha=%a beta=%a -> %s "
             "ldc=%zu %s ovf=%d mode=%d sr=%s thr=%u",
             what, p->gemv ? "gemv" : "gemm", p->lay == TP_ROW_MAJOR ? "row" : "col", p->m, p->n,
             p->k, p->A->f.name, p->A->tr ? "^T" : "", p->A->ld, p->B->f.name,
             p->B->tr ? "^T" : "", p->B->ld, p->alpha, p->beta, p->cf->name, p->ldc,
             (unsigned)p->opts.rnd <= TP_RSR ? rnd_name[p->opts.rnd] : "bad-rnd",
             (int)p->opts.ovf, (int)p->opts.mode,
             p->sr.bits ? "bits" : "seed", p->opts.threads);
}

/* Compares C with the expected codes and the old bytes elsewhere. */
static void c_compare(const prob *p, const cbuf *cb, const uint64_t *exp)
{
    size_t cs = csize(p->cf);
    unsigned char *want = malloc(cb->bytes + 2 * RED);
    memcpy(want, cb->orig, cb->bytes + 2 * RED);
    for (size_t i = 0; i < p->m; i++)
        for (size_t j = 0; j < p->n; j++)
            store(p->cf, want + RED, c_pos(p, i, j), exp[i * p->n + j]);
    for (size_t b = 0; b < cb->bytes + 2 * RED; b++) {
        if (cb->base[b] == want[b])
            continue;
        long off = (long)b - RED;
        if (off < 0 || (size_t)off >= cb->bytes)
            ck_abort_msg("%s: red zone byte %ld changed", g_ctx, off);
        for (size_t i = 0; i < p->m; i++)
            for (size_t j = 0; j < p->n; j++)
                if (c_pos(p, i, j) == (size_t)off / cs)
                    ck_abort_msg("%s: output (%zu,%zu) old 0x%llx: got 0x%llx expected 0x%llx",
                                 g_ctx, i, j, (unsigned long long)p->c0[i * p->n + j],
                                 (unsigned long long)load(p->cf, cb->c, (size_t)off / cs),
                                 (unsigned long long)exp[i * p->n + j]);
        ck_abort_msg("%s: byte %ld of C outside the outputs changed", g_ctx, off);
    }
    free(want);
}

static tp_status call(const prob *p, void *c, unsigned *flags)
{
    const tp_format_desc *cf = p->null_cf ? NULL : p->cf;
    if (p->gemv)
        return tp_gemv(p->lay, p->m, p->k, p->alpha, &p->A->op, &p->B->op, p->beta, cf, c,
                       p->ldc, &p->opts, flags);
    return tp_gemm(p->lay, p->m, p->n, p->k, p->alpha, &p->A->op, &p->B->op, p->beta, cf, c,
                   p->ldc, &p->opts, flags);
}

/* Runs the problem and checks it against the oracle; returns the flags. */
static unsigned run_check(prob *p, const char *what)
{
    cbuf cb;
    c_make(p, &cb);
    uint64_t *exp = calloc(p->m * p->n + 1, sizeof *exp);
    unsigned ef = expect(p, exp);
    unsigned gf = 0x100;
    describe(p, what);
    tp_status st = call(p, cb.c, &gf);
    ck_assert_msg(st == TP_OK, "%s: status %d", g_ctx, (int)st);
    c_compare(p, &cb, exp);
    ck_assert_msg(gf == (ef | 0x100), "%s: flags 0x%x, expected 0x%x", g_ctx, gf & 0xFF, ef);
    free(exp);
    c_free(&cb);
    return gf;
}

static double rand_scalar(int allow_zero)
{
    uint64_t r = rnd64();
    switch (r % 12) {
    case 0: return allow_zero ? ((r >> 8) & 1 ? -0.0 : 0.0) : 1.0;
    case 1: return 1.0;
    case 2: return -1.0;
    case 3: return ldexp(1.0, (int)((r >> 8) % 40) - 20);
    case 4: return -ldexp(1.0, (int)((r >> 8) % 40) - 20);
    case 5: return ldexp(1.0, (int)((r >> 8) % 2000) - 1000);
    case 6: return (r >> 8) & 1 ? 0x1p-1074 : -0x1.fffffffffffffp1000;
    default: {
        double m = (double)(r >> 11) * 0x1p-53 + 0.5; /* 53 random bits */
        return ldexp((r & 2) ? -m : m, (int)((r >> 3) % 40) - 20);
    }
    }
}

/* Fills the old codes, SR words and options of p. */
static void prob_fill(prob *p, tp_round rnd, tp_overflow ovf, unsigned cspec)
{
    size_t mn = p->m * p->n;
    p->c0 = calloc(mn + 1, sizeof *p->c0);
    for (size_t i = 0; i < mn; i++)
        p->c0[i] = rand_code(p->cf, cspec);
    p->bits = calloc(mn + 1, sizeof *p->bits);
    for (size_t i = 0; i < mn; i++)
        p->bits[i] = (uint32_t)rnd64();
    memset(&p->sr, 0, sizeof p->sr);
    if (rnd64() & 1)
        p->sr.bits = p->bits;
    p->sr.seed = rnd64();
    p->sr.counter = rnd64() >> (rnd64() & 1 ? 0 : 40);
    memset(&p->opts, 0, sizeof p->opts);
    p->opts.rnd = rnd;
    p->opts.ovf = ovf;
    p->opts.sr = (rnd == TP_RSR || (rnd64() & 1)) ? &p->sr : NULL;
}

static void prob_free(prob *p)
{
    free(p->c0);
    free(p->bits);
}

static size_t lcm_bs(const fsel *a, const fsel *b)
{
    size_t x = a->is_blk ? a->bd.block_size : 1, y = b->is_blk ? b->bd.block_size : 1, l = x;
    while (l % y)
        l += x;
    return l;
}

/* ------------------------------------------------------------ test: pairs
 * Every pair of element and block formats (element x element, block x
 * block, both mixes), a small random shape and orientation, and every
 * output format with a random mode and policy; a GEMV of the same operands
 * for every third pair. */
#define N_ALL (N_ELEM + N_BLKF)

/* The reduced tier (TP_TEST_TIER=quick, for valgrind and emulators): every
 * format still meets a seventh of the others as either operand, and the
 * long dot products are 2^12..2^14 terms. */
static int quick;

START_TEST(test_pairs)
{
    int ia = _i / N_ALL, ib = _i % N_ALL;
    if (quick && (ia + 3 * ib) % 7 != 0)
        return;
    rng = tpt_seed() ^ (uint64_t)(_i + 1) * UINT64_C(0x9E3779B97F4A7C15);
    fsel fa = fsel_of(ia), fb = fsel_of(ib);
    size_t l = lcm_bs(&fa, &fb);
    for (int rep = 0; rep < 2; rep++) {
        genp g = {rep ? 48u : 0u, rep ? 16u : 0u, (int)(rnd64() % 3 == 0)};
        prob p;
        memset(&p, 0, sizeof p);
        p.lay = (tp_layout)(rnd64() & 1);
        p.m = 1 + rndu(5);
        p.n = 1 + rndu(5);
        p.k = l > 1 ? l * (1 + rndu(2)) : 1 + rndu(40);
        opnd A, B;
        op_rand(&A, &fa, ROLE_A, p.m, p.k, p.lay, &g);
        op_rand(&B, &fb, ROLE_B, p.n, p.k, p.lay, &g);
        p.A = &A;
        p.B = &B;
        p.alpha = rand_scalar(1);
        p.beta = rand_scalar(1);
        for (int o = 0; o < N_OUT; o++) {
            p.cf = tp_format_get(out_list[o]);
            p.ldc = (p.lay == TP_ROW_MAJOR ? p.n : p.m) + (rnd64() & 1 ? rndu(3) : 0);
            tp_round r = (tp_round)((_i + o + rep) % 7);
            prob_fill(&p, r, (tp_overflow)rndu(3), rep ? 32 : 0);
            run_check(&p, "pairs");
            prob_free(&p);
        }
        if ((_i + rep) % 3 == 0) { /* GEMV: x = B's vector 0 */
            opnd X;
            op_make(&X, &fb, ROLE_X, 1, p.k, p.lay, TP_NO_TRANS, fb.is_blk ? 0 : rndu(3), &g);
            prob q = p;
            q.gemv = 1;
            q.n = 1;
            q.B = &X;
            q.cf = tp_format_get(out_list[rndu(N_OUT)]);
            q.ldc = 1 + rndu(3);
            prob_fill(&q, (tp_round)rndu(7), (tp_overflow)rndu(3), 0);
            run_check(&q, "pairs gemv");
            prob_free(&q);
            op_free(&X);
        }
        op_free(&A);
        op_free(&B);
    }
}
END_TEST

/* ------------------------------------------------------------ test: modes
 * A few pairs x every output format x every rounding mode (SR with bits and
 * with the generator) x every overflow policy, with scales and alpha that
 * reach the output's overflow and underflow ranges. */
static const char *const mode_pairs[][2] = {
    {"f32", "f32"},   {"e4m3", "e4m3"}, {"mxfp4", "mxfp4"},      {"nvfp4", "nvfp4"},
    {"bf16", "mxfp8_e4m3"}, {"mxfp4", "mxfp8_e4m3"}, {"e2m1", "f16"}, {"ggml_q8_0", "ggml_q8_0"},
};
#define N_MODE_PAIRS 8

static fsel fsel_name(const char *name)
{
    fsel s;
    memset(&s, 0, sizeof s);
    tp_format f;
    if (tp_block_from_name(name, &s.bd) == TP_OK) { /* "mxint8": the block format */
        s.is_blk = 1;
        s.name = name;
        return s;
    }
    REQ(tp_format_from_name(name, &f) == TP_OK);
    s.fd = tp_format_get(f);
    s.name = s.fd->name;
    return s;
}

START_TEST(test_modes)
{
    int pi = _i / N_OUT, o = _i % N_OUT;
    rng = tpt_seed() ^ (uint64_t)(_i + 1000) * UINT64_C(0x9E3779B97F4A7C15);
    fsel fa = fsel_name(mode_pairs[pi][0]), fb = fsel_name(mode_pairs[pi][1]);
    size_t l = lcm_bs(&fa, &fb);
    for (int r = 0; r <= TP_RSR; r++)
        for (int ovf = 0; ovf <= TP_OVF_NONSAT; ovf++)
            for (int srm = 0; srm < (r == TP_RSR ? 2 : 1); srm++) {
                genp g = {0, 0, (int)(rnd64() & 1)};
                prob p;
                memset(&p, 0, sizeof p);
                p.lay = (tp_layout)(rnd64() & 1);
                p.m = 1 + rndu(3);
                p.n = 1 + rndu(3);
                p.k = l > 1 ? l : 1 + rndu(24);
                opnd A, B;
                op_rand(&A, &fa, ROLE_A, p.m, p.k, p.lay, &g);
                op_rand(&B, &fb, ROLE_B, p.n, p.k, p.lay, &g);
                p.A = &A;
                p.B = &B;
                /* alpha spreads the results over the output's whole range */
                p.alpha = ldexp(1.0 + (double)(rnd64() >> 12) * 0x1p-52, (int)rndu(80) - 40);
                if (rnd64() & 1)
                    p.alpha = -p.alpha;
                p.beta = (rnd64() & 1) ? rand_scalar(1) : 0.0;
                p.cf = tp_format_get(out_list[o]);
                p.ldc = p.lay == TP_ROW_MAJOR ? p.n : p.m;
                prob_fill(&p, (tp_round)r, (tp_overflow)ovf, 16);
                p.sr.bits = srm ? NULL : p.bits;
                p.opts.sr = &p.sr;
                run_check(&p, "modes");
                prob_free(&p);
                op_free(&A);
                op_free(&B);
            }
}
END_TEST

/* ------------------------------------------------------------ test: layouts
 * Every layout x transposition (element operands) with leading dimensions
 * above the minimum; block operands in their allowed orientations, and
 * TP_ERR_ARG (nothing written) for the others and for a k that is not a
 * multiple of the block size. */

/* Calls p with an expected error: nothing written, flags unchanged. */
static void expect_err(prob *p, tp_status want, const char *what)
{
    cbuf cb;
    if (p->c0 == NULL)
        prob_fill(p, p->opts.rnd, p->opts.ovf, 0);
    c_make(p, &cb);
    unsigned f = 0x5A0;
    describe(p, what);
    tp_status st = call(p, cb.c, &f);
    ck_assert_msg(st == want, "%s: status %d, expected %d", g_ctx, (int)st, (int)want);
    ck_assert_msg(memcmp(cb.base, cb.orig, cb.bytes + 2 * RED) == 0, "%s: C written on error",
                  g_ctx);
    ck_assert_msg(f == 0x5A0, "%s: flags changed on error", g_ctx);
    c_free(&cb);
}

START_TEST(test_layouts)
{
    rng = tpt_seed() ^ 0x4C41594Fu;
    genp g = {0, 0, 0};
    fsel f1 = fsel_name("bf16"), f2 = fsel_name("e5m2");
    for (int lay = 0; lay < 2; lay++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (int rep = 0; rep < 3; rep++) {
                    prob p;
                    memset(&p, 0, sizeof p);
                    p.lay = (tp_layout)lay;
                    p.m = 1 + rndu(9);
                    p.n = 1 + rndu(9);
                    p.k = 1 + rndu(40);
                    opnd A, B;
                    op_make(&A, &f1, ROLE_A, p.m, p.k, p.lay, (tp_trans)ta, rep ? rndu(5) : 0, &g);
                    op_make(&B, &f2, ROLE_B, p.n, p.k, p.lay, (tp_trans)tb, rep ? rndu(5) : 0, &g);
                    p.A = &A;
                    p.B = &B;
                    p.alpha = rand_scalar(0);
                    p.beta = rand_scalar(1);
                    p.cf = tp_format_get(out_list[rndu(N_OUT)]);
                    p.ldc = (p.lay == TP_ROW_MAJOR ? p.n : p.m) + rndu(4);
                    prob_fill(&p, (tp_round)rndu(7), TP_OVF_DEFAULT, 0);
                    run_check(&p, "layouts");
                    /* ld one below the minimum: TP_ERR_ARG */
                    size_t mina = (p.lay == TP_ROW_MAJOR) == (ta == TP_NO_TRANS) ? p.k : p.m;
                    A.op.ld = mina - 1;
                    expect_err(&p, TP_ERR_ARG, "layouts lda too small");
                    A.op.ld = A.ld;
                    size_t minb = (p.lay == TP_ROW_MAJOR) == (tb == TP_TRANS) ? p.k : p.n;
                    B.op.ld = minb - 1;
                    expect_err(&p, TP_ERR_ARG, "layouts ldb too small");
                    B.op.ld = B.ld;
                    p.ldc = (p.lay == TP_ROW_MAJOR ? p.n : p.m) - 1;
                    expect_err(&p, TP_ERR_ARG, "layouts ldc too small");
                    prob_free(&p);
                    op_free(&A);
                    op_free(&B);
                }
    /* block operands */
    const char *bn[] = {"mxfp4", "nvfp4", "ggml_q8_0", "bfp12_32"};
    for (int bi = 0; bi < 4; bi++) {
        fsel fbk = fsel_name(bn[bi]), fe = fsel_name("f32");
        size_t bs = fbk.bd.block_size;
        for (int lay = 0; lay < 2; lay++)
            for (int side = 0; side < 3; side++) { /* block A, block B, both */
                const fsel *pa = side != 1 ? &fbk : &fe, *pb = side != 0 ? &fbk : &fe;
                prob p;
                memset(&p, 0, sizeof p);
                p.lay = (tp_layout)lay;
                p.m = 1 + rndu(6);
                p.n = 1 + rndu(6);
                p.k = bs * (1 + rndu(3));
                opnd A, B;
                op_rand(&A, pa, ROLE_A, p.m, p.k, p.lay, &g);
                op_rand(&B, pb, ROLE_B, p.n, p.k, p.lay, &g);
                p.A = &A;
                p.B = &B;
                p.alpha = rand_scalar(0);
                p.beta = rand_scalar(1);
                p.cf = tp_format_get(TP_F32);
                p.ldc = (p.lay == TP_ROW_MAJOR ? p.n : p.m) + rndu(3);
                prob_fill(&p, TP_RNE, TP_OVF_DEFAULT, 0);
                run_check(&p, "block layouts");
                /* the other orientation of a block operand: TP_ERR_ARG */
                opnd *bo = side != 1 ? &A : &B;
                bo->op.trans = (tp_trans)(1 - bo->tr);
                expect_err(&p, TP_ERR_ARG, "block in a forbidden orientation");
                bo->op.trans = bo->tr;
                /* ld not a multiple of the block size / below k */
                bo->op.ld = bo->ld + 1;
                expect_err(&p, TP_ERR_ARG, "block ld not a multiple of the block size");
                bo->op.ld = bo->ld;
                if (p.k > bs) {
                    bo->op.ld = p.k - bs;
                    expect_err(&p, TP_ERR_ARG, "block ld below k");
                    bo->op.ld = bo->ld;
                }
                /* k not a multiple of the block size */
                size_t k0 = p.k;
                p.k = k0 - 1 - rndu(bs - 1);
                expect_err(&p, TP_ERR_ARG, "k not a multiple of the block size");
                p.k = k0;
                prob_free(&p);
                op_free(&A);
                op_free(&B);
            }
        /* GEMV with a block x: must be contiguous (ld = 1) */
        prob p;
        memset(&p, 0, sizeof p);
        p.gemv = 1;
        p.lay = TP_ROW_MAJOR;
        p.m = 3;
        p.n = 1;
        p.k = bs * 2;
        opnd A, X;
        op_rand(&A, &fe, ROLE_A, p.m, p.k, p.lay, &g);
        op_make(&X, &fbk, ROLE_X, 1, p.k, p.lay, TP_NO_TRANS, 0, &g);
        p.A = &A;
        p.B = &X;
        p.alpha = 1.0;
        p.beta = 0.0;
        p.cf = tp_format_get(TP_F32);
        p.ldc = 1;
        prob_fill(&p, TP_RNE, TP_OVF_DEFAULT, 0);
        run_check(&p, "gemv block x");
        X.op.ld = 2;
        expect_err(&p, TP_ERR_ARG, "gemv block x with increment 2");
        prob_free(&p);
        op_free(&A);
        op_free(&X);
    }
}
END_TEST

/* ------------------------------------------------------------ test: shapes
 * m, n, k over {0, 1, 15, 16, 17, 31, 32, 33, 64, 65} (k a multiple of 32
 * for block operands). */
static const size_t shape_list[] = {0, 1, 15, 16, 17, 31, 32, 33, 64, 65};
#define N_SHAPES 10

START_TEST(test_shapes)
{
    rng = tpt_seed() ^ (uint64_t)(_i + 77) * 0x5851F42D4C957F2Dull;
    size_t m = shape_list[_i];
    genp g = {0, 0, 0};
    static const char *const pairs[][2] = {{"e4m3", "e4m3"}, {"mxfp4", "mxfp4"},
                                           {"bf16", "bf16"}, {"mxfp4", "f32"}};
    for (int nn = 0; nn < N_SHAPES; nn++) {
        int pr = (int)rndu(4);
        fsel fa = fsel_name(pairs[pr][0]), fb = fsel_name(pairs[pr][1]);
        int blk = fa.is_blk || fb.is_blk;
        prob p;
        memset(&p, 0, sizeof p);
        p.lay = (tp_layout)(rnd64() & 1);
        p.m = m;
        p.n = shape_list[nn];
        /* k: every value of the list once per m (blocks: 0, 32, 64) */
        p.k = blk ? 32 * ((size_t)(nn + _i) % 3) : shape_list[(nn + _i) % N_SHAPES];
        if (p.m * p.n > 1100 && p.k > 33)
            p.k = blk ? 32 : 17; /* keep the oracle's work modest */
        opnd A, B;
        op_rand(&A, &fa, ROLE_A, p.m, p.k, p.lay, &g);
        op_rand(&B, &fb, ROLE_B, p.n, p.k, p.lay, &g);
        p.A = &A;
        p.B = &B;
        p.alpha = rand_scalar(1);
        p.beta = rand_scalar(1);
        p.cf = tp_format_get(out_list[rndu(N_OUT)]);
        size_t mn = p.lay == TP_ROW_MAJOR ? p.n : p.m;
        p.ldc = (mn ? mn : 1) + rndu(2);
        prob_fill(&p, (tp_round)rndu(7), (tp_overflow)rndu(3), 64);
        run_check(&p, "shapes");
        prob_free(&p);
        /* the GEMV of the same rows */
        if (nn % 3 == 0) {
            opnd X;
            op_make(&X, &fb, ROLE_X, 1, p.k, p.lay, TP_NO_TRANS, fb.is_blk ? 0 : rndu(2), &g);
            prob q = p;
            q.gemv = 1;
            q.n = 1;
            q.B = &X;
            q.ldc = 1 + rndu(2);
            prob_fill(&q, (tp_round)rndu(7), TP_OVF_DEFAULT, 0);
            run_check(&q, "shapes gemv");
            prob_free(&q);
            op_free(&X);
        }
        op_free(&A);
        op_free(&B);
    }
}
END_TEST

/* ------------------------------------------------------------ test: long k
 * k = 2^16 .. 2^18 with adversarial cancellation: a huge product, many
 * small ones, then the negated huge one, so only the small ones survive;
 * and block operands whose scales lie at both ends of E8M0. */
START_TEST(test_long)
{
    rng = tpt_seed() ^ (uint64_t)(_i + 5) * 0x2545F4914F6CDD1Dull;
    size_t k = (size_t)1 << ((quick ? 12 : 16) + _i);
    genp g = {0, 0, 0};
    fsel f32 = fsel_name("f32");
    prob p;
    memset(&p, 0, sizeof p);
    p.lay = TP_ROW_MAJOR;
    p.m = 2;
    p.n = 1;
    p.k = k;
    opnd A, B;
    op_make(&A, &f32, ROLE_A, p.m, k, p.lay, TP_NO_TRANS, 0, &g);
    op_make(&B, &f32, ROLE_B, p.n, k, p.lay, TP_TRANS, 0, &g);
    const tp_format_desc *fd = f32.fd;
    /* row 0: 2^100 * 2^20 and -2^100 * 2^20 at random places among small
     * products (2^-40-scale); row 1: 2^120 * 2^20 cancelling among binary32
     * subnormal products, so the exact sum is tiny */
    for (int row = 0; row < 2; row++) {
        size_t h1 = rndu(k / 4), h2 = k / 2 + rndu(k / 4);
        for (size_t i = 0; i < k; i++) {
            double av, bv;
            if (i == h1 || i == h2) {
                av = row ? 0x1p120 : 0x1p100;
                bv = i == h1 ? 0x1p20 : -0x1p20;
            } else {
                av = row ? ldexp((double)(1 + rndu(1u << 20)), -149)
                         : ldexp((double)(1 + rndu(1u << 23)), -40);
                bv = (rnd64() & 1 ? -1.0 : 1.0) * ldexp((double)(1 + rndu(1u << 23)), -23);
            }
            A.codes[row * k + i] = enc(fd, av);
            if (row == 0 || i == h1 || i == h2)
                B.codes[i] = enc(fd, bv);
        }
    }
    /* rewrite the storage and the values */
    for (size_t v = 0; v < 2; v++)
        for (size_t i = 0; i < k; i++)
            store(fd, A.data, v * A.ld + i, A.codes[v * k + i]);
    for (size_t i = 0; i < k; i++)
        store(fd, B.data, i, B.codes[i]);
    for (size_t v = 0; v < 2; v++) {
        org_vec x = {fd, NULL, A.codes + v * k, 1, NULL, 1.0f};
        REQ(org_values(&x, k, A.val + v * k, NULL) == 0);
    }
    org_vec xb = {fd, NULL, B.codes, 1, NULL, 1.0f};
    REQ(org_values(&xb, k, B.val, NULL) == 0);
    p.A = &A;
    p.B = &B;
    p.alpha = 1.0;
    p.beta = 0.0;
    for (int o = 0; o < 3; o++) {
        p.cf = tp_format_get(out_list[o]);
        p.ldc = 1;
        prob_fill(&p, (tp_round)rndu(7), TP_OVF_DEFAULT, 0);
        run_check(&p, "long k");
        prob_free(&p);
    }
    /* the GEMV of the same */
    opnd X;
    op_make(&X, &f32, ROLE_X, 1, k, p.lay, TP_NO_TRANS, 0, &g);
    memcpy(X.codes, B.codes, k * sizeof *X.codes);
    for (size_t i = 0; i < k; i++)
        store(fd, X.data, i, X.codes[i]);
    memcpy(X.val, B.val, k * sizeof *X.val);
    prob q = p;
    q.gemv = 1;
    q.B = &X;
    q.cf = tp_format_get(TP_BF16);
    q.ldc = 1;
    prob_fill(&q, TP_RNE, TP_OVF_DEFAULT, 0);
    run_check(&q, "long k gemv");
    prob_free(&q);
    op_free(&X);
    op_free(&A);
    op_free(&B);
    /* block x block with wide scales: mxfp4 x mxfp8_e4m3, k = 2^14..2^16 */
    fsel m4 = fsel_name("mxfp4"), m8 = fsel_name("mxfp8_e4m3");
    genp gw = {0, 0, 1};
    memset(&p, 0, sizeof p);
    p.lay = TP_COL_MAJOR;
    p.m = 1;
    p.n = 2;
    p.k = k / 4;
    op_rand(&A, &m4, ROLE_A, p.m, p.k, p.lay, &gw);
    op_rand(&B, &m8, ROLE_B, p.n, p.k, p.lay, &gw);
    p.A = &A;
    p.B = &B;
    p.alpha = -3.0;
    p.beta = 0.5;
    p.cf = tp_format_get(TP_F32);
    p.ldc = 1;
    prob_fill(&p, (tp_round)rndu(7), TP_OVF_DEFAULT, 0);
    run_check(&p, "long k blocks");
    prob_free(&p);
    op_free(&A);
    op_free(&B);
}
END_TEST

/* ------------------------------------------------------------ test: E8M0 ends
 * Block operands whose scales are 0x00, 0x01, 0xFE and 0xFF (NaN) in every
 * combination. */
START_TEST(test_e8m0_ends)
{
    static const uint32_t ends[] = {0x00, 0x01, 0xFE, 0xFF};
    rng = tpt_seed() ^ (uint64_t)(_i + 9) * 0x9E3779B97F4A7C15ull;
    static const char *const bn[] = {"mxfp4", "mxfp8_e4m3", "mxfp8_e5m2", "mxint8", "msfp16",
                                     "ggml_mxfp4"};
    fsel fa = fsel_name(bn[_i % 6]), fb = fsel_name(bn[(_i / 6) % 6]);
    genp g = {0, 0, 0};
    for (int sa = 0; sa < 4; sa++)
        for (int sb = 0; sb < 4; sb++) {
            prob p;
            memset(&p, 0, sizeof p);
            p.lay = (tp_layout)(rnd64() & 1);
            p.m = 2;
            p.n = 2;
            p.k = lcm_bs(&fa, &fb) * 2;
            opnd A, B;
            /* set every scale, then rebuild storage and values */
            op_rand(&A, &fa, ROLE_A, p.m, p.k, p.lay, &g);
            op_rand(&B, &fb, ROLE_B, p.n, p.k, p.lay, &g);
            opnd *ops[2] = {&A, &B};
            for (int t = 0; t < 2; t++) {
                opnd *o = ops[t];
                size_t nb = o->nvec * (o->k / o->bs);
                for (size_t j = 0; j < nb; j++)
                    o->sc[j] = (j % 2) ? ends[t ? sb : sa] : ends[rndu(4)];
                op_restore(o);
            }
            p.A = &A;
            p.B = &B;
            p.alpha = (rnd64() & 1) ? 1.0 : rand_scalar(0);
            p.beta = rand_scalar(1);
            p.cf = tp_format_get(out_list[rndu(N_OUT)]);
            p.ldc = p.lay == TP_ROW_MAJOR ? p.n : p.m;
            prob_fill(&p, (tp_round)rndu(7), (tp_overflow)rndu(3), 0);
            run_check(&p, "e8m0 ends");
            prob_free(&p);
            op_free(&A);
            op_free(&B);
        }
}
END_TEST

/* ------------------------------------------------------------ test: signed zeros
 * Exact zero results: every product a zero of either sign (A all +-0), or
 * products that cancel exactly (a, -a against b, b), with alpha of either
 * sign, beta * (+-0) or no C term, in every mode (RDN gives -0 when terms
 * cancel). */
START_TEST(test_zeros)
{
    static const char *const zp[][2] = {{"e4m3", "f32"},   {"f32", "bf16"}, {"mxfp4", "mxfp4"},
                                        {"nvfp4", "nvfp4"}, {"bf16", "mxfp8_e4m3"},
                                        {"mxint8", "e2m1"}, {"e2m1", "int8"}};
    rng = tpt_seed() ^ (uint64_t)(_i + 61) * 0x9E3779B97F4A7C15ull;
    fsel fa = fsel_name(zp[_i][0]), fb = fsel_name(zp[_i][1]);
    genp g = {0, 0, 0};
    for (int rep = 0; rep < 28; rep++) {
        prob p;
        memset(&p, 0, sizeof p);
        p.lay = (tp_layout)(rnd64() & 1);
        p.m = 1 + rndu(3);
        p.n = 1 + rndu(3);
        p.k = lcm_bs(&fa, &fb) * (1 + rndu(2));
        if (p.k == 1)
            p.k = 2 * (1 + rndu(8));
        opnd A, B;
        op_rand(&A, &fa, ROLE_A, p.m, p.k, p.lay, &g);
        op_rand(&B, &fb, ROLE_B, p.n, p.k, p.lay, &g);
        tp_format_desc st;
        const tp_format_desc *ea = op_elem(&A, &st);
        int kind = rep % 4; /* 0: +-0 mix, 1: all -0, 2: all +0, 3: cancelling pairs */
        for (size_t v = 0; v < p.m; v++)
            for (size_t i = 0; i < p.k; i++) {
                uint64_t *c = &A.codes[v * p.k + i];
                if (kind < 3) {
                    int neg = kind == 1 || (kind == 0 && (rnd64() & 1));
                    *c = enc(ea, neg ? -0.0 : 0.0);
                } else if (i % 2 == 1) {
                    /* the negation of the previous value: flip its sign bit
                     * (or negate the integer) */
                    uint64_t prev = A.codes[v * p.k + i - 1];
                    double pv = code_value(ea, prev);
                    *c = (isnan(pv) || pv == 0) ? prev : enc(ea, -pv);
                }
            }
        if (kind == 3) /* B: pairs of equal values; block scales equal within pairs */
            for (size_t v = 0; v < p.n; v++)
                for (size_t i = 1; i < p.k; i += 2)
                    B.codes[v * p.k + i] = B.codes[v * p.k + i - 1];
        op_restore(&A);
        op_restore(&B);
        p.A = &A;
        p.B = &B;
        p.alpha = (rep & 4) ? -ldexp(1.0, (int)rndu(9) - 4) : ldexp(1.0, (int)rndu(9) - 4);
        p.beta = (rep & 8) ? ((rep & 16) ? -1.0 : 0.5) : 0.0;
        p.cf = tp_format_get(out_list[rndu(N_OUT)]);
        p.ldc = p.lay == TP_ROW_MAJOR ? p.n : p.m;
        prob_fill(&p, (tp_round)(rep % 7), (tp_overflow)rndu(3), 0);
        for (size_t i = 0; i < p.m * p.n; i++)
            p.c0[i] = enc(p.cf, (rnd64() & 1) ? -0.0 : 0.0);
        run_check(&p, "signed zeros");
        prob_free(&p);
        op_free(&A);
        op_free(&B);
    }
}
END_TEST

/* Runs C = A B (codes of A and B set by the caller) into a binary32 C with
 * leading dimension ldc, rounded to nearest even, against the oracle; frees
 * the problem and the operands. */
static void run_f32(prob *p, opnd *A, opnd *B, size_t ldc, tp_overflow ovf, const char *what)
{
    op_restore(A);
    op_restore(B);
    p->A = A;
    p->B = B;
    p->alpha = 1.0;
    p->beta = 0.0;
    p->cf = tp_format_get(TP_F32);
    p->ldc = ldc;
    prob_fill(p, TP_RNE, ovf, 0);
    run_check(p, what);
    prob_free(p);
    op_free(A);
    op_free(B);
}

/* Binary32 outputs near the ends of the normal range and at ties, with
 * one rounding to nearest even (the AVX-512 GEMM kernels store such
 * outputs eight at a time and leave the subnormal, overflowing, zero and
 * NaN ones to the general path).  Each output (i, j) is the sum of four
 * bf16 terms of row i of A, times sigma_j from column j of B; row 1 is row
 * 0 negated.  Every case runs in a row of exact neighbours (so that the
 * call's flags are the case's), at a column that moves across the 16-wide
 * kernel blocks, and all cases together in one row; half the calls have a
 * NaN column. */
START_TEST(test_f32_ends)
{
    static const struct {
        double t[4];
        int sig; /* log2 sigma */
    } cs[] = {
        {{0x1p-126}, 0},                  /* the smallest normal, exact */
        {{0x1p-126, 0x1p-150}, -30},      /* just above it: rounds down */
        {{0x1p-126, -0x1p-150}, -30},     /* just below: rounds up to it */
        {{0x1p-127, 0x1p-151}, -30},      /* subnormal */
        {{0x1p128, -0x1p104}, 64},        /* the largest finite, exact */
        {{0x1p128, -0x1p103}, 64},        /* the tie above it: Inf */
        {{0x1p128, -0x1p103, -0x1p80}, 64}, /* just below that tie */
        {{0x1p128}, 64},                  /* 2^128 */
        {{1, 0x1p-24}, 0},                /* tie to even, down */
        {{1, 0x1p-23, 0x1p-24}, 0},       /* tie to even, up */
        {{1, -1}, 0},                     /* zero */
        {{1.5, 0x1p-30}, 0},              /* inexact */
        {{0x3p100, 0x1p70}, 100},         /* inexact, large */
        {{0x1p-100, 0x1p-125}, -20},      /* exact, small */
    };
    const size_t nc = sizeof cs / sizeof cs[0];
    rng = tpt_seed() ^ 0x5DEECE66DULL;
    fsel fa = fsel_name("bf16"), fb = fsel_name("bf16");
    genp g = {0, 0, 0};
    for (size_t rep = 0; rep <= nc; rep++) {
        for (int v = 0; v < 8; v++) {
            prob p;
            memset(&p, 0, sizeof p);
            p.lay = v & 1 ? TP_COL_MAJOR : TP_ROW_MAJOR;
            p.m = 2;
            p.n = rep < nc ? 17 + rep % 3 : nc;
            p.k = 4 * p.n;
            opnd A, B;
            op_rand(&A, &fa, ROLE_A, p.m, p.k, p.lay, &g);
            op_rand(&B, &fb, ROLE_B, p.n, p.k, p.lay, &g);
            for (size_t j = 0; j < p.n; j++) {
                /* case of column j: all of them in the last call, else
                 * case rep at column (3 * rep) % n and 1.5 * 2^(j - 8)
                 * (exact) elsewhere */
                size_t c = rep == nc ? j : j == (3 * rep) % p.n ? rep : nc;
                int sig = c < nc ? cs[c].sig : (int)j - 8;
                for (size_t t = 0; t < p.k; t++)
                    B.codes[j * p.k + t] =
                        enc(fb.fd, t / 4 == j ? ldexp(1.0, sig) : 0.0);
                for (int u = 0; u < 4; u++) {
                    double tv = c < nc ? ldexp(cs[c].t[u], -sig) : u == 0 ? 1.5 : 0.0;
                    uint64_t code = enc(fa.fd, tv);
                    REQ(code_value(fa.fd, code) == tv); /* the terms are exact bf16 */
                    A.codes[4 * j + (size_t)u] = code;
                    A.codes[p.k + 4 * j + (size_t)u] = enc(fa.fd, -tv);
                }
            }
            if (v & 4) /* a NaN in a column of B: that column is NaN */
                B.codes[(3 * rep + 1) % p.n * p.k] = enc(fb.fd, NAN);
            run_f32(&p, &A, &B, p.lay == TP_ROW_MAJOR ? p.n : p.m,
                    v & 2 ? TP_OVF_SAT : TP_OVF_NONSAT, "binary32 ends");
        }
    }
    /* E4M3: NaN codes are packed as finite values and flagged by column */
    fa = fsel_name("e4m3");
    for (int rep = 0; rep < 6; rep++) {
        prob p;
        memset(&p, 0, sizeof p);
        p.lay = TP_ROW_MAJOR;
        p.m = 3 + rndu(6);
        p.n = 9 + rndu(24);
        p.k = 1 + rndu(40);
        opnd A, B;
        op_rand(&A, &fa, ROLE_A, p.m, p.k, p.lay, &g);
        op_rand(&B, &fa, ROLE_B, p.n, p.k, p.lay, &g);
        B.codes[rndu(p.n) * p.k + rndu(p.k)] = enc(fa.fd, NAN);
        if (rep % 2)
            A.codes[rndu(p.m) * p.k + rndu(p.k)] = enc(fa.fd, NAN);
        run_f32(&p, &A, &B, p.n + rndu(3), TP_OVF_DEFAULT, "binary32 with NaN codes");
    }
}
END_TEST

/* ------------------------------------------------------------ identities */

/* The k granule of a pair: the larger block size, or 1. */
static size_t kmul_of(const char *a, const char *b)
{
    fsel fa = fsel_name(a), fb = fsel_name(b);
    return lcm_bs(&fa, &fb);
}

/* A mid-size problem (several tiles) with its C filled. */
typedef struct big {
    opnd A, B, X;
    prob p;
    cbuf cb;
} big;

static void big_make(big *b, const char *fa_name, const char *fb_name, size_t m, size_t n,
                     size_t k)
{
    genp g = {0, 0, 0};
    fsel fa = fsel_name(fa_name), fb = fsel_name(fb_name);
    memset(&b->p, 0, sizeof b->p);
    b->p.lay = (tp_layout)(rnd64() & 1);
    b->p.m = m;
    b->p.n = n;
    b->p.k = k;
    op_rand(&b->A, &fa, ROLE_A, m, k, b->p.lay, &g);
    op_rand(&b->B, &fb, ROLE_B, n, k, b->p.lay, &g);
    op_make(&b->X, &fb, ROLE_X, 1, k, b->p.lay, TP_NO_TRANS, 0, &g);
    b->p.A = &b->A;
    b->p.B = &b->B;
    b->p.alpha = rand_scalar(0);
    b->p.beta = rand_scalar(0);
    b->p.cf = tp_format_get(out_list[rndu(N_OUT)]);
    b->p.ldc = (b->p.lay == TP_ROW_MAJOR ? n : m) + rndu(3);
    prob_fill(&b->p, (tp_round)rndu(7), TP_OVF_DEFAULT, 32);
    c_make(&b->p, &b->cb);
}

static void big_free(big *b)
{
    c_free(&b->cb);
    prob_free(&b->p);
    op_free(&b->A);
    op_free(&b->B);
    op_free(&b->X);
}

/* Runs p on a fresh copy of the original C; returns the bytes (malloc). */
static unsigned char *run_copy(const prob *p, const cbuf *cb, unsigned *flags)
{
    unsigned char *buf = xmalloc(cb->bytes + 2 * RED);
    memcpy(buf, cb->orig, cb->bytes + 2 * RED);
    *flags = 0;
    tp_status st = call(p, buf + RED, flags);
    ck_assert_msg(st == TP_OK, "%s: status %d", g_ctx, (int)st);
    return buf;
}

static void same_bytes(const unsigned char *x, const unsigned char *y, size_t n, unsigned fx,
                       unsigned fy, const char *what)
{
    ck_assert_msg(memcmp(x, y, n) == 0, "%s: %s: bytes differ", g_ctx, what);
    ck_assert_msg(fx == fy, "%s: %s: flags 0x%x vs 0x%x", g_ctx, what, fx, fy);
}

static const char *const id_pairs[][2] = {
    {"e4m3", "e4m3"}, {"mxfp4", "mxfp4"}, {"bf16", "bf16"}, {"mxfp4", "mxfp8_e4m3"},
    {"f32", "f32"},   {"mxfp4", "f32"},   {"nvfp4", "nvfp4"}, {"e2m1", "mxint8"},
};
#define N_ID_PAIRS 8

/* Threads: identical bits for 1, 2, 3, 7 threads (opts->threads and
 * tp_set_num_threads), and against the oracle once. */
START_TEST(test_threads)
{
    rng = tpt_seed() ^ (uint64_t)(_i + 31) * 0x9E3779B97F4A7C15ull;
    big b;
    size_t kmul = kmul_of(id_pairs[_i][0], id_pairs[_i][1]);
    big_make(&b, id_pairs[_i][0], id_pairs[_i][1], 33 + rndu(18), 33 + rndu(18),
             kmul * (2 + rndu(2)) + (kmul == 1 ? rndu(40) : 0));
    unsigned f0;
    run_check(&b.p, "threads (default pool)");
    describe(&b.p, "threads");
    b.p.opts.threads = 1;
    unsigned char *ref = run_copy(&b.p, &b.cb, &f0);
    /* and counts far beyond the machine (capped; the GEMV split must not wrap) */
    static const unsigned nt[] = {1, 2, 3, 7, 0x40000000u, UINT_MAX};
    for (int t = 0; t < 6; t++) {
        unsigned f;
        b.p.opts.threads = nt[t];
        unsigned char *x = run_copy(&b.p, &b.cb, &f);
        same_bytes(ref, x, b.cb.bytes + 2 * RED, f0, f, "opts->threads");
        free(x);
        b.p.opts.threads = 0;
        ck_assert_int_eq(tp_set_num_threads(nt[t]), TP_OK);
        unsigned g = tp_get_num_threads();
        ck_assert_msg(g >= 1 && g <= nt[t], "tp_get_num_threads %u after set %u", g, nt[t]);
        x = run_copy(&b.p, &b.cb, &f);
        same_bytes(ref, x, b.cb.bytes + 2 * RED, f0, f, "tp_set_num_threads");
        free(x);
        /* GEMV */
        prob q = b.p;
        q.gemv = 1;
        q.n = 1;
        q.B = &b.X;
        q.ldc = 1;
        cbuf cq;
        c_make(&q, &cq);
        unsigned fa, fb;
        q.opts.threads = 1;
        unsigned char *y1 = run_copy(&q, &cq, &fa);
        q.opts.threads = nt[t];
        unsigned char *y2 = run_copy(&q, &cq, &fb);
        same_bytes(y1, y2, cq.bytes + 2 * RED, fa, fb, "gemv threads");
        free(y1);
        free(y2);
        c_free(&cq);
    }
    ck_assert_int_eq(tp_set_num_threads(0), TP_OK);
    ck_assert_uint_ge(tp_get_num_threads(), 1);
    free(ref);
    big_free(&b);
}
END_TEST

/* Tiles: any partition into tp_gemm_tile calls equals one tp_gemm; rows of
 * tp_gemv_rows equal one tp_gemv; GEMV equals GEMM with n = 1. */
static size_t *partition(size_t n, size_t *count)
{
    size_t *cut = malloc((n + 2) * sizeof *cut), c = 0;
    cut[c++] = 0;
    size_t at = 0;
    while (at < n) {
        at += 1 + rndu(rndu(2) ? 7 : 40);
        if (at > n)
            at = n;
        cut[c++] = at;
    }
    if (c == 1)
        cut[c++] = 0;
    *count = c;
    return cut;
}

START_TEST(test_tiles)
{
    rng = tpt_seed() ^ (uint64_t)(_i + 41) * 0x9E3779B97F4A7C15ull;
    big b;
    size_t kmul = kmul_of(id_pairs[_i][0], id_pairs[_i][1]);
    big_make(&b, id_pairs[_i][0], id_pairs[_i][1], 1 + rndu(70), 1 + rndu(70),
             kmul * (1 + rndu(3)) + (kmul == 1 ? rndu(40) : 0));
    describe(&b.p, "tiles");
    unsigned f0;
    unsigned char *ref = run_copy(&b.p, &b.cb, &f0);
    for (int rep = 0; rep < 3; rep++) {
        size_t ni, nj;
        size_t *ci = partition(b.p.m, &ni), *cj = partition(b.p.n, &nj);
        unsigned char *buf = xmalloc(b.cb.bytes + 2 * RED);
        memcpy(buf, b.cb.orig, b.cb.bytes + 2 * RED);
        unsigned f = 0;
        /* the tiles in a random order */
        size_t nt = (ni - 1) * (nj - 1);
        size_t *order = malloc((nt + 1) * sizeof *order);
        for (size_t t = 0; t < nt; t++)
            order[t] = t;
        for (size_t t = nt; t > 1; t--) {
            size_t u = rndu(t), tmp = order[t - 1];
            order[t - 1] = order[u];
            order[u] = tmp;
        }
        for (size_t t = 0; t < nt; t++) {
            size_t ti = order[t] % (ni - 1), tj = order[t] / (ni - 1);
            tp_status st = tp_gemm_tile(b.p.lay, b.p.m, b.p.n, b.p.k, b.p.alpha, &b.A.op, &b.B.op,
                                        b.p.beta, b.p.cf, buf + RED, b.p.ldc, &b.p.opts, ci[ti],
                                        ci[ti + 1], cj[tj], cj[tj + 1], &f);
            ck_assert_msg(st == TP_OK, "%s: tile status %d", g_ctx, (int)st);
        }
        same_bytes(ref, buf, b.cb.bytes + 2 * RED, f0, f, "tiles");
        free(order);
        /* bad tiles */
        unsigned fx = 0x5A0;
        memcpy(buf, b.cb.orig, b.cb.bytes + 2 * RED);
        ck_assert_int_eq(tp_gemm_tile(b.p.lay, b.p.m, b.p.n, b.p.k, b.p.alpha, &b.A.op, &b.B.op,
                                      b.p.beta, b.p.cf, buf + RED, b.p.ldc, &b.p.opts, 0,
                                      b.p.m + 1, 0, b.p.n, &fx),
                         TP_ERR_ARG);
        ck_assert_int_eq(tp_gemm_tile(b.p.lay, b.p.m, b.p.n, b.p.k, b.p.alpha, &b.A.op, &b.B.op,
                                      b.p.beta, b.p.cf, buf + RED, b.p.ldc, &b.p.opts, 1, 0, 0,
                                      b.p.n, &fx),
                         TP_ERR_ARG);
        ck_assert_int_eq(tp_gemm_tile(b.p.lay, b.p.m, b.p.n, b.p.k, b.p.alpha, &b.A.op, &b.B.op,
                                      b.p.beta, b.p.cf, buf + RED, b.p.ldc, &b.p.opts, 0, b.p.m,
                                      b.p.n, b.p.n + 1, &fx),
                         TP_ERR_ARG);
        ck_assert(memcmp(buf, b.cb.orig, b.cb.bytes + 2 * RED) == 0 && fx == 0x5A0);
        free(buf);
        free(ci);
        free(cj);
    }
    /* GEMV rows, and GEMV = GEMM with n = 1 */
    prob q = b.p;
    q.gemv = 1;
    q.n = 1;
    q.B = &b.X;
    q.ldc = q.lay == TP_ROW_MAJOR ? 1 + rndu(3) : 1;
    cbuf cq;
    c_make(&q, &cq);
    unsigned fv;
    unsigned char *yv = run_copy(&q, &cq, &fv);
    size_t nr;
    size_t *cr = partition(q.m, &nr);
    unsigned char *buf = xmalloc(cq.bytes + 2 * RED);
    memcpy(buf, cq.orig, cq.bytes + 2 * RED);
    unsigned f = 0;
    for (size_t t = nr - 1; t-- > 0;) {
        tp_status st = tp_gemv_rows(q.lay, q.m, q.k, q.alpha, &q.A->op, &q.B->op, q.beta, q.cf,
                                    buf + RED, q.ldc, &q.opts, cr[t], cr[t + 1], &f);
        ck_assert_int_eq(st, TP_OK);
    }
    same_bytes(yv, buf, cq.bytes + 2 * RED, fv, f, "gemv rows");
    unsigned fx = 0x5A0;
    ck_assert_int_eq(tp_gemv_rows(q.lay, q.m, q.k, q.alpha, &q.A->op, &q.B->op, q.beta, q.cf,
                                  buf + RED, q.ldc, &q.opts, 0, q.m + 1, &fx),
                     TP_ERR_ARG);
    ck_assert_uint_eq(fx, 0x5A0);
    free(buf);
    free(cr);
    /* GEMM with n = 1 on the same storage: x is op(B), a k x 1 matrix (an
     * element x with increment inc is row-major B with ld = inc, or
     * column-major B^T with ld = inc); y is C with the same positions */
    prob g1 = q;
    g1.gemv = 0;
    opnd B1 = b.X;
    if (b.X.f.is_blk) {
        B1.op.trans = blk_trans(ROLE_B, q.lay);
        B1.op.ld = q.k;
    } else {
        B1.op.trans = q.lay == TP_ROW_MAJOR ? TP_NO_TRANS : TP_TRANS;
        B1.op.ld = b.X.ld;
    }
    g1.B = &B1;
    g1.ldc = q.lay == TP_ROW_MAJOR ? q.ldc : q.m;
    unsigned fg;
    unsigned char *yg = run_copy(&g1, &cq, &fg);
    same_bytes(yv, yg, cq.bytes + 2 * RED, fv, fg, "gemv = gemm n=1");
    free(yg);
    free(yv);
    c_free(&cq);
    free(ref);
    big_free(&b);
}
END_TEST

/* Packing: packed operands give the same bits; wrong role or shape gives
 * TP_ERR_MISMATCH, a corrupted buffer TP_ERR_DATA, an unaligned buffer
 * TP_ERR_ARG. */
static void *pack_op(tp_layout lay, tp_pack_role role, size_t rows, size_t k, const opnd *o,
                     size_t *len)
{
    size_t bytes = 0;
    tp_status st = tp_pack_operand_size(lay, role, rows, k, &o->op, &bytes);
    ck_assert_msg(st == TP_OK, "%s: pack size status %d", g_ctx, (int)st);
    unsigned char *buf = xmalloc(bytes + 64);
    memset(buf, 0xEE, bytes + 64);
    if (bytes > 0) {
        st = tp_pack_operand(lay, role, rows, k, &o->op, buf + 1, bytes);
        ck_assert_msg(st == TP_ERR_ARG, "%s: unaligned pack status %d", g_ctx, (int)st);
        ck_assert_msg(buf[0] == 0xEE && buf[1] == 0xEE, "%s: unaligned pack wrote", g_ctx);
        if (bytes > 1) {
            st = tp_pack_operand(lay, role, rows, k, &o->op, buf, bytes - 1);
            ck_assert_msg(st != TP_OK, "%s: short pack buffer accepted", g_ctx);
        }
    }
    st = tp_pack_operand(lay, role, rows, k, &o->op, buf, bytes);
    ck_assert_msg(st == TP_OK, "%s: pack status %d", g_ctx, (int)st);
    for (size_t i = bytes; i < bytes + 64; i++)
        ck_assert_msg(buf[i] == 0xEE, "%s: pack wrote beyond its size", g_ctx);
    *len = bytes;
    return buf;
}

START_TEST(test_pack)
{
    rng = tpt_seed() ^ (uint64_t)(_i + 51) * 0x9E3779B97F4A7C15ull;
    big b;
    size_t kmul = kmul_of(id_pairs[_i][0], id_pairs[_i][1]);
    big_make(&b, id_pairs[_i][0], id_pairs[_i][1], 1 + rndu(40), 1 + rndu(40),
             kmul * (1 + rndu(3)) + (kmul == 1 ? rndu(40) : 0));
    describe(&b.p, "pack");
    unsigned f0;
    unsigned char *ref = run_copy(&b.p, &b.cb, &f0);
    size_t la, lb;
    void *pa = pack_op(b.p.lay, TP_PACK_A, b.p.m, b.p.k, &b.A, &la);
    void *pb = pack_op(b.p.lay, TP_PACK_B, b.p.n, b.p.k, &b.B, &lb);
    tp_operand oa, ob;
    memset(&oa, 0, sizeof oa);
    memset(&ob, 0, sizeof ob);
    oa.packed = pa;
    ob.packed = pb;
    opnd A2 = b.A, B2 = b.B;
    prob p = b.p;
    unsigned f;
    unsigned char *x;
    for (int mode = 1; mode < 4; mode++) {
        A2.op = (mode & 1) ? oa : b.A.op;
        B2.op = (mode & 2) ? ob : b.B.op;
        p.A = &A2;
        p.B = &B2;
        x = run_copy(&p, &b.cb, &f);
        same_bytes(ref, x, b.cb.bytes + 2 * RED, f0, f, mode == 3 ? "packed A and B"
                                                        : mode == 1 ? "packed A"
                                                                    : "packed B");
        free(x);
    }
    /* a copy of the packed buffers elsewhere */
    void *pa2 = xmalloc(la), *pb2 = xmalloc(lb);
    memcpy(pa2, pa, la);
    memcpy(pb2, pb, lb);
    A2.op.packed = pa2;
    B2.op.packed = pb2;
    x = run_copy(&p, &b.cb, &f);
    same_bytes(ref, x, b.cb.bytes + 2 * RED, f0, f, "copied packed buffers");
    free(x);
    /* packed W of GEMV */
    prob q = b.p;
    q.gemv = 1;
    q.n = 1;
    q.B = &b.X;
    q.ldc = 1;
    cbuf cq;
    c_make(&q, &cq);
    unsigned fv, fw;
    unsigned char *yv = run_copy(&q, &cq, &fv);
    q.A = &A2;
    A2.op = oa;
    unsigned char *yw = run_copy(&q, &cq, &fw);
    same_bytes(yv, yw, cq.bytes + 2 * RED, fv, fw, "gemv packed W");
    free(yv);
    free(yw);
    c_free(&cq);
    /* mismatches */
    A2.op = ob; /* B in the role of A */
    B2.op = b.B.op;
    expect_err(&p, TP_ERR_MISMATCH, "packed B as A");
    A2.op = b.A.op;
    B2.op = oa;
    expect_err(&p, TP_ERR_MISMATCH, "packed A as B");
    A2.op = oa;
    B2.op = b.B.op;
    prob ps = p;
    ps.m = p.m > 1 ? p.m - 1 : p.m + 1;
    ps.ldc = ps.lay == TP_ROW_MAJOR ? p.n : ps.m;
    ps.c0 = NULL;
    expect_err(&ps, TP_ERR_MISMATCH, "packed A with another m");
    prob_free(&ps);
    ps = p;
    ps.k = p.k + (size_t)(b.A.f.is_blk ? b.A.bs : 1) * (b.B.f.is_blk ? b.B.bs : 1);
    ps.c0 = NULL;
    B2.op = ob;
    expect_err(&ps, TP_ERR_MISMATCH, "packed operands with another k");
    prob_free(&ps);
    /* corruption: the header's first byte, and a byte in the middle */
    B2.op = b.B.op;
    memcpy(pa2, pa, la);
    ((unsigned char *)pa2)[0] ^= 0x40;
    A2.op.packed = pa2;
    expect_err(&p, TP_ERR_DATA, "packed A with a corrupted header");
    static const size_t hdr_bytes[] = {5, 9, 17, 33, 41, 60, 77, 100, 121};
    for (int t = 0; t < 9; t++) {
        memcpy(pa2, pa, la);
        ((unsigned char *)pa2)[hdr_bytes[t]] ^= (unsigned char)(1u << (t % 8));
        expect_err(&p, TP_ERR_DATA, "packed A with a corrupted header byte");
    }
    /* an unaligned packed buffer */
    unsigned char *un = xmalloc(la + 8);
    memcpy(un + 8, pa, la);
    A2.op.packed = (const tp_packed *)(void *)(un + 8);
    if (((uintptr_t)(un + 8) & 63) != 0) {
        tp_status st;
        cbuf cb;
        c_make(&p, &cb);
        unsigned fx = 0x5A0;
        st = call(&p, cb.c, &fx);
        ck_assert_msg(st == TP_ERR_ARG || st == TP_ERR_DATA, "%s: unaligned packed use: %d",
                      g_ctx, (int)st);
        ck_assert(memcmp(cb.base, cb.orig, cb.bytes + 2 * RED) == 0 && fx == 0x5A0);
        c_free(&cb);
    }
    free(un);
    free(pa2);
    free(pb2);
    free(pa);
    free(pb);
    free(ref);
    big_free(&b);
}
END_TEST

/* ------------------------------------------------------------ test: aliasing */
START_TEST(test_alias)
{
    rng = tpt_seed() ^ 0xA11A5ull;
    genp g = {0, 0, 0};
    const tp_format_desc *f32 = tp_format_get(TP_F32);
    /* one buffer holding A, B and C: C overlapping either gives TP_ERR_ALIAS */
    fsel fe = fsel_name("f32"), fbk = fsel_name("mxfp8_e4m3");
    for (int blk = 0; blk < 2; blk++) {
        prob p;
        memset(&p, 0, sizeof p);
        p.lay = TP_ROW_MAJOR;
        p.m = 4;
        p.n = 4;
        p.k = 32;
        opnd A, B;
        op_rand(&A, blk ? &fbk : &fe, ROLE_A, p.m, p.k, p.lay, &g);
        op_rand(&B, blk ? &fbk : &fe, ROLE_B, p.n, p.k, p.lay, &g);
        p.A = &A;
        p.B = &B;
        p.alpha = 1;
        p.beta = 1;
        p.cf = f32;
        p.ldc = 4;
        prob_fill(&p, TP_RNE, TP_OVF_DEFAULT, 0);
        unsigned char *targets[4] = {A.data, B.data, blk ? A.scales : NULL,
                                     blk ? B.scales : NULL};
        size_t tl[4] = {A.dbytes, B.dbytes, A.sbytes, B.sbytes};
        for (int t = 0; t < 4; t++) {
            if (targets[t] == NULL)
                continue;
            size_t offs[3] = {0, tl[t] / 2, tl[t] - 1};
            for (int o = 0; o < 3; o++) {
                unsigned char *save = malloc(tl[t] + 64);
                memcpy(save, targets[t], tl[t]);
                unsigned char *cptr = targets[t] + offs[o]; /* C starting inside */
                unsigned fx = 0x5A0;
                tp_status st = tp_gemm(p.lay, p.m, p.n, p.k, 1.0, &A.op, &B.op, 0.0, f32, cptr,
                                       p.ldc, NULL, &fx);
                ck_assert_msg(st == TP_ERR_ALIAS, "alias target %d off %zu: status %d", t, offs[o],
                              (int)st);
                ck_assert_msg(memcmp(save, targets[t], tl[t]) == 0 && fx == 0x5A0,
                              "alias target %d: written", t);
                free(save);
            }
        }
        /* C ending inside A: C placed so that its last code is A's first byte */
        {
            size_t cl = 16 * 4;
            unsigned char *big_buf = xmalloc(cl + A.dbytes + 64);
            memset(big_buf, 0x77, cl + A.dbytes + 64);
            unsigned char *cc = big_buf, *aa = big_buf + cl - 4;
            memcpy(aa, A.data, A.dbytes);
            tp_operand ao = A.op;
            ao.data = aa;
            unsigned char *save = malloc(cl + A.dbytes);
            memcpy(save, big_buf, cl + A.dbytes - 4);
            unsigned fx = 0x5A0;
            tp_status st = tp_gemm(p.lay, p.m, p.n, p.k, 1.0, &ao, &B.op, 0.0, f32, cc, p.ldc,
                                   NULL, &fx);
            ck_assert_msg(st == TP_ERR_ALIAS, "C ending inside A: status %d", (int)st);
            ck_assert(memcmp(save, big_buf, cl + A.dbytes - 4) == 0 && fx == 0x5A0);
            free(save);
            free(big_buf);
        }
        prob_free(&p);
        op_free(&A);
        op_free(&B);
    }
}
END_TEST

/* ------------------------------------------------------------ test: arguments */
START_TEST(test_args)
{
    rng = tpt_seed() ^ 0xA265ull;
    genp g = {0, 0, 0};
    fsel fe = fsel_name("e4m3"), fbk = fsel_name("mxfp4");
    prob p;
    memset(&p, 0, sizeof p);
    p.lay = TP_ROW_MAJOR;
    p.m = 3;
    p.n = 4;
    p.k = 32;
    opnd A, B, Bk;
    op_rand(&A, &fe, ROLE_A, p.m, p.k, p.lay, &g);
    op_rand(&B, &fe, ROLE_B, p.n, p.k, p.lay, &g);
    op_rand(&Bk, &fbk, ROLE_B, p.n, p.k, p.lay, &g);
    p.A = &A;
    p.B = &B;
    p.alpha = 1.5;
    p.beta = -2;
    p.cf = tp_format_get(TP_BF16);
    p.ldc = 5;
    prob_fill(&p, TP_RNE, TP_OVF_DEFAULT, 0);
    run_check(&p, "args baseline");
    /* org_gemm1 (the oracle from codes) agrees on every output */
    {
        cbuf cb;
        c_make(&p, &cb);
        unsigned gf = 0;
        ck_assert_int_eq(call(&p, cb.c, &gf), TP_OK);
        for (size_t i = 0; i < p.m; i++)
            for (size_t j = 0; j < p.n; j++) {
                org_vec va = {A.f.fd, NULL, A.codes + i * p.k, 1, NULL, 1.0f};
                org_vec vb = {B.f.fd, NULL, B.codes + j * p.k, 1, NULL, 1.0f};
                uint64_t code = 0;
                unsigned ef = 0;
                REQ(org_gemm1(&va, &vb, p.k, p.alpha, p.beta, p.cf, p.c0[i * p.n + j],
                              p.opts.rnd, p.opts.ovf, 0, &code, &ef) == 0);
                ck_assert_uint_eq(load(p.cf, cb.c, c_pos(&p, i, j)), code);
            }
        c_free(&cb);
    }
    prob q;
#define WITH(field, value, want, what)                                                        \
    do {                                                                                      \
        q = p;                                                                                \
        q.field = value;                                                                      \
        expect_err(&q, want, what);                                                           \
    } while (0)
    WITH(alpha, NAN, TP_ERR_ARG, "alpha NaN");
    WITH(alpha, INFINITY, TP_ERR_ARG, "alpha Inf");
    WITH(beta, -INFINITY, TP_ERR_ARG, "beta -Inf");
    WITH(beta, NAN, TP_ERR_ARG, "beta NaN");
    WITH(lay, (tp_layout)2, TP_ERR_ARG, "bad layout");
    WITH(opts.rnd, (tp_round)7, TP_ERR_ROUND, "bad rounding mode");
    WITH(opts.ovf, (tp_overflow)3, TP_ERR_POLICY, "bad policy");
    WITH(opts.mode, (tp_mode)2, TP_ERR_ARG, "bad mode");
    q = p;
    q.opts.rnd = TP_RSR;
    q.opts.sr = NULL;
    expect_err(&q, TP_ERR_ARG, "TP_RSR without sr");
    WITH(ldc, 3, TP_ERR_ARG, "ldc < n");
    WITH(null_cf, 1, TP_ERR_NULL, "NULL cfmt");
    /* operands */
    opnd A2 = A;
    q = p;
    q.A = &A2;
    A2.op.trans = (tp_trans)2;
    expect_err(&q, TP_ERR_ARG, "bad trans");
    A2 = A;
    A2.op.data = NULL;
    expect_err(&q, TP_ERR_NULL, "NULL A data");
    A2 = A;
    A2.op.ld = 0;
    expect_err(&q, TP_ERR_ARG, "lda 0");
    A2 = A;
    A2.op.fmt = NULL;
    expect_err(&q, TP_ERR_NULL, "no format");
    A2 = A;
    A2.op.blk = &Bk.f.bd;
    expect_err(&q, TP_ERR_ARG, "both fmt and blk");
    opnd B2 = Bk;
    q = p;
    q.B = &B2;
    B2.op.scales = NULL;
    expect_err(&q, TP_ERR_NULL, "NULL block scales");
    B2 = Bk;
    B2.op.tensor_scale = 0.0f;
    tp_block_desc nv;
    REQ(tp_block_from_name("nvfp4", &nv) == TP_OK);
    B2.op.blk = &nv; /* same storage size per 32 values? only the status matters */
    B2.op.tensor_scale = NAN;
    expect_err(&q, TP_ERR_ARG, "NVFP4 tensor scale NaN");
    /* f64 element x block: TP_ERR_FORMAT */
    {
        double *d = calloc(p.m * p.k + 1, sizeof *d);
        opnd A3 = A;
        A3.op.fmt = tp_format_get(TP_F64);
        A3.op.data = d;
        q = p;
        q.A = &A3;
        q.B = &Bk;
        expect_err(&q, TP_ERR_FORMAT, "f64 x block");
        free(d);
    }
    /* bad element codes: an FP6 code above 0x3F */
    {
        fsel f6 = fsel_name("e2m3");
        opnd A6;
        op_rand(&A6, &f6, ROLE_A, p.m, p.k, p.lay, &g);
        A6.data[A6.ld + 1] = 0x40;
        q = p;
        q.A = &A6;
        expect_err(&q, TP_ERR_CODE, "FP6 code above 0x3F");
        op_free(&A6);
    }
    /* size overflow: a leading dimension that makes the extent wrap */
    A2 = A;
    q = p;
    q.A = &A2;
    A2.op.ld = SIZE_MAX / 2;
    expect_err(&q, TP_ERR_SIZE, "lda * m overflows");
    /* NULL operand pointers */
    {
        cbuf cb;
        c_make(&p, &cb);
        unsigned fx = 0x5A0;
        ck_assert_int_eq(tp_gemm(p.lay, p.m, p.n, p.k, 1.0, NULL, &B.op, 0.0, p.cf, cb.c, p.ldc,
                                 NULL, &fx),
                         TP_ERR_NULL);
        ck_assert_int_eq(tp_gemm(p.lay, p.m, p.n, p.k, 1.0, &A.op, NULL, 0.0, p.cf, cb.c, p.ldc,
                                 NULL, &fx),
                         TP_ERR_NULL);
        ck_assert_int_eq(tp_gemm(p.lay, p.m, p.n, p.k, 1.0, &A.op, &B.op, 0.0, p.cf, NULL,
                                 p.ldc, NULL, &fx),
                         TP_ERR_NULL);
        ck_assert_int_eq(tp_gemv(p.lay, p.m, p.k, 1.0, &A.op, NULL, 0.0, p.cf, cb.c, 1, NULL,
                                 &fx),
                         TP_ERR_NULL);
        ck_assert_int_eq(tp_gemv(p.lay, p.m, p.k, 1.0, &A.op, &B.op, 0.0, p.cf, cb.c, 0, NULL,
                                 &fx),
                         TP_ERR_ARG);
        ck_assert(memcmp(cb.base, cb.orig, cb.bytes + 2 * RED) == 0 && fx == 0x5A0);
        /* empty products write nothing and are valid with NULL C */
        ck_assert_int_eq(tp_gemm(p.lay, 0, p.n, p.k, 1.0, &A.op, &B.op, 1.0, p.cf, NULL, p.ldc,
                                 NULL, &fx),
                         TP_OK);
        ck_assert_int_eq(tp_gemm(p.lay, p.m, 0, p.k, 1.0, &A.op, &B.op, 1.0, p.cf, NULL, p.ldc,
                                 NULL, &fx),
                         TP_OK);
        ck_assert_uint_eq(fx, 0x5A0);
        c_free(&cb);
    }
    /* beta == 0: C is not read (it may hold anything, even bad codes) */
    {
        prob z = p;
        z.cf = tp_format_get(TP_E2M3);
        z.beta = 0.0;
        z.c0 = NULL;
        prob_fill(&z, TP_RNE, TP_OVF_DEFAULT, 0);
        cbuf cb;
        c_make(&z, &cb);
        for (size_t i = 0; i < z.m; i++)
            for (size_t j = 0; j < z.n; j++)
                cb.c[c_pos(&z, i, j)] = 0xFF; /* not a valid FP6 code */
        memcpy(cb.orig, cb.base, cb.bytes + 2 * RED);
        uint64_t *exp = calloc(z.m * z.n + 1, sizeof *exp);
        unsigned ef = expect(&z, exp);
        unsigned gf = 0;
        describe(&z, "beta 0 with invalid old codes");
        ck_assert_int_eq(call(&z, cb.c, &gf), TP_OK);
        c_compare(&z, &cb, exp);
        ck_assert_uint_eq(gf, ef);
        /* with beta != 0 the same C is TP_ERR_CODE */
        z.beta = 1.0;
        memcpy(cb.base, cb.orig, cb.bytes + 2 * RED);
        gf = 0x5A0;
        ck_assert_int_eq(call(&z, cb.c, &gf), TP_ERR_CODE);
        ck_assert(memcmp(cb.base, cb.orig, cb.bytes + 2 * RED) == 0 && gf == 0x5A0);
        free(exp);
        c_free(&cb);
        prob_free(&z);
    }
    prob_free(&p);
    op_free(&A);
    op_free(&B);
    op_free(&Bk);
#undef WITH
}
END_TEST

/* alpha == 0: A and B are validated but not used (NaN everywhere gives
 * beta * c); k == 0 gives the rounded beta * c. */
START_TEST(test_alpha_zero)
{
    rng = tpt_seed() ^ 0xA1FA0ull;
    genp g = {8, 4, 1};
    for (int rep = 0; rep < 24; rep++) {
        fsel fa = fsel_of((int)rndu(N_ALL)), fb = fsel_of((int)rndu(N_ALL));
        size_t l = lcm_bs(&fa, &fb);
        prob p;
        memset(&p, 0, sizeof p);
        p.lay = (tp_layout)(rnd64() & 1);
        p.m = 1 + rndu(4);
        p.n = 1 + rndu(4);
        p.k = rep % 4 == 0 ? 0 : l * (1 + rndu(2));
        opnd A, B;
        op_rand(&A, &fa, ROLE_A, p.m, p.k, p.lay, &g);
        op_rand(&B, &fb, ROLE_B, p.n, p.k, p.lay, &g);
        p.A = &A;
        p.B = &B;
        p.alpha = rep % 4 == 0 ? rand_scalar(1) : ((rep & 1) ? 0.0 : -0.0);
        p.beta = rand_scalar(1);
        p.cf = tp_format_get(out_list[rndu(N_OUT)]);
        p.ldc = (p.lay == TP_ROW_MAJOR ? p.n : p.m) + rndu(2);
        prob_fill(&p, (tp_round)rndu(7), (tp_overflow)rndu(3), 8);
        run_check(&p, "alpha zero / k zero");
        prob_free(&p);
        op_free(&A);
        op_free(&B);
    }
}
END_TEST

/* ------------------------------------------------------------ test: FAST */
START_TEST(test_fast)
{
    int ia = _i / N_ALL, ib = _i % N_ALL;
    if (quick && (ia + 3 * ib) % 7 != 0)
        return;
    rng = tpt_seed() ^ (uint64_t)(_i + 3) * 0xF457ull;
    fsel fa = fsel_of(ia), fb = fsel_of(ib);
    size_t l = lcm_bs(&fa, &fb);
    genp g = {0, 0, 0};
    prob p;
    memset(&p, 0, sizeof p);
    p.lay = (tp_layout)(rnd64() & 1);
    p.m = 1 + rndu(4);
    p.n = 1 + rndu(4);
    p.k = l > 1 ? l * (1 + rndu(3)) : 1 + rndu(70);
    opnd A, B;
    op_rand(&A, &fa, ROLE_A, p.m, p.k, p.lay, &g);
    op_rand(&B, &fb, ROLE_B, p.n, p.k, p.lay, &g);
    p.A = &A;
    p.B = &B;
    p.alpha = rand_scalar(1);
    p.beta = rand_scalar(1);
    p.cf = tp_format_get(out_list[rndu(N_OUT)]);
    p.ldc = (p.lay == TP_ROW_MAJOR ? p.n : p.m) + rndu(2);
    prob_fill(&p, (tp_round)rndu(7), (tp_overflow)rndu(3), 0);
    p.opts.mode = TP_MODE_FAST;
    run_check(&p, "fast");
    prob_free(&p);
    op_free(&A);
    op_free(&B);
}
END_TEST

/* ------------------------------------------------------------ test: header
 * The group text: "Element operands may be in every built-in format but
 * binary64 (user formats and binary64 give TP_ERR_FORMAT)": both are
 * rejected, with nothing written. */
START_TEST(test_any_format)
{
    rng = tpt_seed() ^ 0xF64ull;
    genp g = {0, 0, 0};
    /* binary64 in a band of exponents (the products stay far from the
     * subnormal range) */
    fsel f64 = {tp_format_get(TP_F64), {0, 0, 0, 0, 0, 0}, 0, "f64"};
    fsel f32 = fsel_name("f32");
    prob p;
    memset(&p, 0, sizeof p);
    p.lay = TP_ROW_MAJOR;
    p.m = 2;
    p.n = 3;
    p.k = 9;
    opnd A, B;
    /* rand_code for binary64 draws every bit pattern: keep a band */
    op_rand(&A, &f32, ROLE_A, p.m, p.k, p.lay, &g);
    op_rand(&B, &f32, ROLE_B, p.n, p.k, p.lay, &g);
    opnd D;
    op_make(&D, &f64, ROLE_A, p.m, p.k, p.lay, TP_NO_TRANS, 0, &g);
    for (size_t i = 0; i < p.m * p.k; i++) {
        double v = ldexp((double)(rnd64() >> 11) * 0x1p-53 + 1.0, (int)rndu(60) - 30);
        D.codes[i] = enc(D.f.fd, (rnd64() & 1) ? -v : v);
        D.val[i] = code_value(D.f.fd, D.codes[i]);
    }
    for (size_t v = 0; v < p.m; v++)
        for (size_t i = 0; i < p.k; i++)
            store(D.f.fd, D.data, v * D.ld + i, D.codes[v * p.k + i]);
    p.A = &D;
    p.B = &B;
    p.alpha = 1.0;
    p.beta = 0.0;
    p.cf = tp_format_get(TP_F32);
    p.ldc = p.n;
    prob_fill(&p, TP_RNE, TP_OVF_DEFAULT, 0);
    if (_i == 0)
        expect_err(&p, TP_ERR_FORMAT, "binary64 element operand");
    prob_free(&p);
    /* a user format: e3m3 with IEEE-style specials off */
    static const tp_format_desc e3m3 = {"e3m3u", TP_KIND_FLOAT, 7, 1, 3, 3, TP_INF_NONE,
                                        TP_NAN_NONE, 0, 3, 0};
    REQ(tp_format_check(&e3m3) == TP_OK);
    fsel fu = {&e3m3, {0, 0, 0, 0, 0, 0}, 0, "e3m3u"};
    opnd U;
    op_make(&U, &fu, ROLE_A, p.m, p.k, p.lay, TP_NO_TRANS, 0, &g);
    p.A = &U;
    prob_fill(&p, TP_RNE, TP_OVF_DEFAULT, 0);
    if (_i == 1)
        expect_err(&p, TP_ERR_FORMAT, "user element format");
    prob_free(&p);
    op_free(&U);
    op_free(&D);
    op_free(&A);
    op_free(&B);
}
END_TEST

/* ------------------------------------------------------------ test: GEMV allocations */
START_TEST(test_gemv_noalloc)
{
#ifdef TPT_MALLOC_COUNT
    rng = tpt_seed() ^ 0x6E3Full;
    /* the counter must see this program's own malloc (else: skip) */
    g_allocs = 0;
    g_counting = 1;
    void *volatile probe = malloc(24);
    g_counting = 0;
    free(probe);
    if (g_allocs != 1) {
        printf("# gemv allocation count: skipped (malloc is not interposable here)\n");
        return;
    }
    static const char *const pairs[][2] = {
        {"e4m3", "e4m3"}, {"mxfp4", "mxfp4"}, {"bf16", "bf16"}, {"mxfp4", "f32"}, {"f32", "f32"}};
    for (int pi = 0; pi < 5; pi++) {
        big b;
        size_t kmul = kmul_of(pairs[pi][0], pairs[pi][1]);
        big_make(&b, pairs[pi][0], pairs[pi][1], 64 + rndu(200), 1, kmul * (8 + rndu(8)));
        prob q = b.p;
        q.gemv = 1;
        q.n = 1;
        q.B = &b.X;
        q.ldc = 1;
        cbuf cq;
        c_make(&q, &cq);
        for (unsigned nt = 1; nt <= 2; nt++) {
            q.opts.threads = nt;
            unsigned f = 0;
            g_allocs = 0;
            g_counting = 1;
            ck_assert_int_eq(call(&q, cq.c, &f), TP_OK); /* warm-up */
            g_counting = 0;
            if (pi == 0 && nt == 1)
                printf("# gemv warm-up: %lu allocations\n", g_allocs);
            ck_assert_int_eq(call(&q, cq.c, &f), TP_OK);
            g_allocs = 0;
            g_counting = 1;
            for (int it = 0; it < 20; it++)
                call(&q, cq.c, &f);
            g_counting = 0;
            ck_assert_msg(g_allocs == 0, "%s x %s: %lu allocations in 20 GEMV calls (threads %u)",
                          pairs[pi][0], pairs[pi][1], g_allocs, nt);
        }
        c_free(&cq);
        big_free(&b);
    }
#else
    printf("# gemv allocation count: skipped (needs glibc without sanitizers)\n");
#endif
}
END_TEST

static Suite *gemm_suite(void)
{
    Suite *s = suite_create("gemm");
    TCase *tc = tcase_create("oracle");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_pairs, 0, N_ALL * N_ALL);
    tcase_add_loop_test(tc, test_modes, 0, N_MODE_PAIRS * N_OUT);
    tcase_add_test(tc, test_layouts);
    tcase_add_loop_test(tc, test_shapes, 0, N_SHAPES);
    tcase_add_loop_test(tc, test_long, 0, 3);
    tcase_add_loop_test(tc, test_e8m0_ends, 0, 12);
    tcase_add_test(tc, test_alpha_zero);
    tcase_add_loop_test(tc, test_zeros, 0, 7);
    tcase_add_test(tc, test_f32_ends);
    tcase_add_loop_test(tc, test_fast, 0, N_ALL * N_ALL);
    suite_add_tcase(s, tc);
    tc = tcase_create("identities");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_threads, 0, N_ID_PAIRS);
    tcase_add_loop_test(tc, test_tiles, 0, N_ID_PAIRS);
    tcase_add_loop_test(tc, test_pack, 0, N_ID_PAIRS);
    tcase_add_test(tc, test_gemv_noalloc);
    suite_add_tcase(s, tc);
    tc = tcase_create("arguments");
    tcase_add_test(tc, test_alias);
    tcase_add_test(tc, test_args);
    suite_add_tcase(s, tc);
    tc = tcase_create("any_format");
    tcase_add_loop_test(tc, test_any_format, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    tpt_banner("check_gemm");
    quick = tpt_quick();
    if (quick)
        printf("# tier: quick (reduced sweeps)\n");
    return tpt_run(gemm_suite());
}
