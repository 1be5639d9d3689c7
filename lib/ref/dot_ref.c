/*
 * dot_ref.c -- exact dot products: the scalar reference (the specification)
 * and the scalar fast exact paths, for element arrays and block formats.
 *
 * Every path adds the exact value of sum(a_i * b_i) into a tp_acc through
 * tpi_acc_add_wide / tpi_acc_add_special, so the rounded result never
 * depends on the path.  A fast path must also leave the accumulator's
 * signed-zero state as the reference would: it only ever skips zero terms
 * of a chunk in which it adds a nonzero term (then the sign of zero no
 * longer matters), and hands a chunk whose exact sum it finds to be zero
 * back to the reference.
 *
 * Paths (chosen per format pair when the dispatch table is built):
 *  - chain: both formats have at most 8 bits and a small span (value grid
 *    2^L .. 2^H): products are multiples of 2^(La+Lb) below 2^(Ha+Hb), so a
 *    binary64 running sum of 2^CHAIN_LOG terms stays exact whenever
 *    (Ha+Hb) - (La+Lb) + CHAIN_LOG <= 53.  E4M3 x E4M3: 2^-18 .. 2^17.62,
 *    span 36 bits, so chains of 2^17 terms are exact (we use 2^11).
 *  - split: every product is exact in binary64 (significands of at most
 *    53 bits together, exponents inside the binary64 normal range: binary32
 *    products lie in 2^-298 .. 2^256).  The products of a chunk are summed
 *    exactly by error-free extraction (Rump, Ogita, Oishi, "Accurate
 *    floating-point summation", ExtractVector): with sigma = 2^(M+e),
 *    all |p_i| < 2^e and 2^M >= m + 2 for m terms, q_i = (sigma+p_i)-sigma and
 *    p_i - q_i are exact, every partial sum of the q_i is an exact multiple
 *    of 2^-53 sigma below sigma, and |p_i - q_i| <= 2^-53 sigma.  Each level
 *    removes 53-M-1 bits of span; the level sums go to the accumulator,
 *    and after SPLIT_LEVELS levels any remaining nonzero p_i is added one by
 *    one (exact in every case).
 *  - generic: tpi_ref_unpack both codes, multiply the integer significands
 *    with tpi_mul64, add with tpi_acc_add_wide.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "ref.h"


#define CHUNK 2048       /* terms per chunk of the chain and split paths */
#define CHAIN_LOG 11     /* log2(CHUNK) */
#define SPLIT_M 12       /* 2^12 >= CHUNK + 2 */
#define SPLIT_LEVELS 6   /* 6 levels of 40 bits: beyond that, one add per term */

/* ------------------------------------------------------------ terms */

/* Adds the exact product of two unpacked values. */
static void add_vals(tp_acc *acc, const tpi_val *x, const tpi_val *y)
{
    int s = x->sign ^ y->sign;
    if (x->cls == TPI_NAN || y->cls == TPI_NAN) {
        tpi_acc_add_special(acc, TPI_ACC_NAN);
    } else if (x->cls == TPI_INF || y->cls == TPI_INF) {
        if (x->cls == TPI_ZERO || y->cls == TPI_ZERO)
            tpi_acc_add_special(acc, TPI_ACC_INVALID); /* 0 x Inf */
        else
            tpi_acc_add_special(acc, s ? TPI_ACC_NINF : TPI_ACC_PINF);
    } else if (x->cls == TPI_ZERO || y->cls == TPI_ZERO) {
        tpi_acc_add_special(acc, s ? TPI_ACC_NZERO : TPI_ACC_PZERO);
    } else {
        uint64_t hi, lo;
        tpi_mul64(x->mant, y->mant, &hi, &lo);
        tpi_acc_add_wide(acc, s, hi, lo, x->exp + y->exp);
    }
}

void tpi_dot_add_f64(tp_acc *acc, double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    int sign = (int)(b >> 63);
    int e = (int)((b >> 52) & 0x7FF);
    uint64_t m = b & UINT64_C(0xFFFFFFFFFFFFF);
    if (e == 0x7FF) {
        tpi_acc_add_special(acc, m ? TPI_ACC_NAN : sign ? TPI_ACC_NINF : TPI_ACC_PINF);
        return;
    }
    if (e == 0) {
        if (m == 0) {
            tpi_acc_add_special(acc, sign ? TPI_ACC_NZERO : TPI_ACC_PZERO);
            return;
        }
        e = 1;
    } else {
        m |= UINT64_C(1) << 52;
    }
    tpi_acc_add_wide(acc, sign, 0, m, e - 1075);
}

void tpi_dot_add_i64(tp_acc *acc, int64_t m, int exp)
{
    if (m == 0)
        return;
    uint64_t u = m < 0 ? (uint64_t)0 - (uint64_t)m : (uint64_t)m;
    tpi_acc_add_wide(acc, m < 0, 0, u, exp);
}

/* ------------------------------------------------------------ reference */

void tpi_ref_dot_generic(const tpi_fmt *pa, const void *a, size_t inca, const tpi_fmt *pb,
                         const void *b, size_t incb, size_t n, tp_acc *acc)
{
    size_t sa = tpi_code_size(pa->d), sb = tpi_code_size(pb->d);
    unsigned junk = 0;
    for (size_t i = 0; i < n; i++) {
        tpi_val x, y;
        tpi_ref_unpack(pa, tpi_load_code(a, i * inca, sa), &x, &junk);
        tpi_ref_unpack(pb, tpi_load_code(b, i * incb, sb), &y, &junk);
        add_vals(acc, &x, &y);
    }
}

/* ------------------------------------------------------------ tables */

/* Formats of at most 8 bits: the exact value of every code (NaN for NaN
 * and Inf codes: a product involving one goes to the reference), and the
 * grid 2^L .. 2^H of the finite values (|v| < 2^H, v a multiple of 2^L). */
static double tab_val[TP_FORMAT_COUNT][256];
static int tab_lo[TP_FORMAT_COUNT], tab_hi[TP_FORMAT_COUNT], tab_ok[TP_FORMAT_COUNT];

static void build_table(int f)
{
    const tp_format_desc *d = tp_format_get((tp_format)f);
    tpi_fmt p;
    tpi_fmt_init(&p, d);
    tab_ok[f] = 0;
    if (d->bits > 8)
        return;
    int lo = 4096, hi = -4096;
    unsigned junk = 0;
    for (unsigned c = 0; c < 256; c++) {
        tpi_val v;
        if (c > p.code_mask) {
            tab_val[f][c] = NAN; /* never read: codes are checked first */
            continue;
        }
        tpi_ref_unpack(&p, c, &v, &junk);
        if (v.cls == TPI_NAN || v.cls == TPI_INF) {
            tab_val[f][c] = NAN;
            continue;
        }
        if (v.cls == TPI_ZERO) {
            tab_val[f][c] = v.sign ? -0.0 : 0.0;
            continue;
        }
        double x = ldexp((double)v.mant, v.exp);
        tab_val[f][c] = v.sign ? -x : x;
        int t = 0; /* trailing zeros of mant: the value is a multiple of 2^(exp+t) */
        while (((v.mant >> t) & 1) == 0)
            t++;
        int top = 0;
        while (top < 63 && (v.mant >> top) > 1)
            top++;
        if (v.exp + t < lo)
            lo = v.exp + t;
        if (v.exp + top + 1 > hi)
            hi = v.exp + top + 1;
    }
    tab_lo[f] = lo;
    tab_hi[f] = hi;
    tab_ok[f] = 1;
}

/* ------------------------------------------------------------ chain path */

static void dot_chain(const tpi_fmt *pa, const void *a, size_t inca, const tpi_fmt *pb,
                      const void *b, size_t incb, size_t n, tp_acc *acc)
{
    const double *ta = tab_val[tpi_builtin_index(pa->d)];
    const double *tb = tab_val[tpi_builtin_index(pb->d)];
    const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
    for (size_t i0 = 0; i0 < n; i0 += CHUNK) {
        size_t m = n - i0 < CHUNK ? n - i0 : CHUNK;
        const uint8_t *xc = x + i0 * inca, *yc = y + i0 * incb;
        double s = 0.0;
        /* Exact: see the file comment (span + CHAIN_LOG <= 53); a NaN
         * table entry (NaN or Inf code) makes s NaN. */
        for (size_t i = 0; i < m; i++)
            s += ta[xc[i * inca]] * tb[yc[i * incb]];
        if (s != 0.0 && s - s == 0.0)
            tpi_dot_add_f64(acc, s);
        else
            tpi_ref_dot_generic(pa, xc, inca, pb, yc, incb, m, acc);
    }
}

/* ------------------------------------------------------------ split path */

/* Sums the m finite products p[] exactly into acc (see the file comment);
 * returns nonzero if a nonzero term was added.  p is overwritten. */
static int split_levels(tp_acc *acc, double *p, size_t m)
{
    double amax = 0.0;
    for (size_t i = 0; i < m; i++) {
        double t = fabs(p[i]);
        amax = t > amax ? t : amax;
    }
    if (amax == 0.0)
        return 0;
    int e;
    frexp(amax, &e); /* amax < 2^e */
    int added = 0, lev;
    for (lev = 0; lev < SPLIT_LEVELS; lev++) {
        double sigma = ldexp(1.0, e + SPLIT_M), s = 0.0;
        int nz = 0;
        for (size_t i = 0; i < m; i++) {
            double q = (sigma + p[i]) - sigma;
            p[i] -= q;
            s += q;
            nz |= p[i] != 0.0;
        }
        if (s != 0.0) {
            tpi_dot_add_f64(acc, s);
            added = 1;
        }
        if (!nz)
            return added;
        e = e + SPLIT_M - 53; /* |p_i| <= 2^-53 sigma */
    }
    for (size_t i = 0; i < m; i++) {
        if (p[i] != 0.0) {
            tpi_dot_add_f64(acc, p[i]);
            added = 1;
        }
    }
    return added;
}

/* The exact binary64 value of code i, for formats the split path takes. */
static double load_f64(const tpi_fmt *p, int f, const void *base, size_t i)
{
    switch (f) {
    case TP_F32:
        return tpi_f32_bits_to_f64((uint32_t)tpi_load_code(base, i, 4));
    case TP_BF16:
        return tpi_f32_bits_to_f64((uint32_t)tpi_load_code(base, i, 2) << 16);
    case TP_F16: {
        uint16_t h = (uint16_t)tpi_load_code(base, i, 2);
        int e = (h >> 10) & 0x1F, m = h & 0x3FF;
        double v = e == 0x1F ? (m ? NAN : INFINITY)
                 : e == 0   ? ldexp((double)m, -24)
                            : ldexp((double)(m | 0x400), e - 25);
        return (h & 0x8000) ? -v : v;
    }
    default:
        (void)p;
        return tab_val[f][((const uint8_t *)base)[i]];
    }
}

static void dot_split(const tpi_fmt *pa, const void *a, size_t inca, const tpi_fmt *pb,
                      const void *b, size_t incb, size_t n, tp_acc *acc)
{
    int fa = tpi_builtin_index(pa->d), fb = tpi_builtin_index(pb->d);
    size_t sa = tpi_code_size(pa->d), sb = tpi_code_size(pb->d);
    double p[CHUNK];
    for (size_t i0 = 0; i0 < n; i0 += CHUNK) {
        size_t m = n - i0 < CHUNK ? n - i0 : CHUNK;
        const char *xc = (const char *)a + i0 * inca * sa;
        const char *yc = (const char *)b + i0 * incb * sb;
        int bad = 0;
        for (size_t i = 0; i < m; i++) {
            p[i] = load_f64(pa, fa, xc, i * inca) * load_f64(pb, fb, yc, i * incb);
            bad |= !(p[i] - p[i] == 0.0); /* NaN or Inf: the reference decides */
        }
        if (bad || !split_levels(acc, p, m))
            tpi_ref_dot_generic(pa, xc, inca, pb, yc, incb, m, acc);
    }
}

/* ------------------------------------------------------------ install */

/* Significand bits of a format's values (integers: magnitude bits). */
static int sig_bits(const tp_format_desc *d)
{
    return d->kind == TP_KIND_INT ? d->bits : d->man_bits + 1;
}

void tpi_install_ref_dot(tpi_kernels *k)
{
    k->blk_dot = tpi_ref_block_dot;
    for (int f = 0; f < TP_FORMAT_COUNT; f++)
        build_table(f);
    for (int fa = 0; fa < TP_FORMAT_COUNT; fa++) {
        for (int fb = 0; fb < TP_FORMAT_COUNT; fb++) {
            const tp_format_desc *da = tp_format_get((tp_format)fa);
            const tp_format_desc *db = tp_format_get((tp_format)fb);
            tpi_dot_fn fn = tpi_ref_dot_generic;
            if (tab_ok[fa] && tab_ok[fb] &&
                (tab_hi[fa] + tab_hi[fb]) - (tab_lo[fa] + tab_lo[fb]) + CHAIN_LOG <= 53)
                fn = dot_chain;
            else if (fa != TP_F64 && fb != TP_F64 && sig_bits(da) + sig_bits(db) <= 53)
                fn = dot_split; /* every product lies in 2^-298 .. 2^256 */
            k->dot[fa][fb] = fn;
        }
    }
}

/* ============================================================ blocks */

#define GGML_MXFP4_BYTES 17
#define GGML_Q8_0_BYTES 34

/* Element code j of block blk (the layouts of block_ref.c / doc/blocks.md). */
static unsigned blk_code(const tpi_blk *k, const uint8_t *e, size_t blk, int j)
{
    size_t i = blk * (size_t)k->bs + (size_t)j;
    switch (k->fmt) {
    case TP_BLOCK_GGML_MXFP4: {
        const uint8_t *q = e + blk * GGML_MXFP4_BYTES + 1;
        return j < 16 ? q[j] & 0xFu : (unsigned)(q[j - 16] >> 4);
    }
    case TP_BLOCK_GGML_Q8_0: return e[blk * GGML_Q8_0_BYTES + 2 + (size_t)j];
    default: break;
    }
    if (k->ebits == 4)
        return i % 2 == 0 ? e[i / 2] & 0xFu : (unsigned)(e[i / 2] >> 4);
    if (k->ebits == 8)
        return e[i];
    uint16_t v;
    memcpy(&v, e + 2 * i, sizeof v);
    return v;
}

static unsigned blk_scale(const tpi_blk *k, const uint8_t *s, const uint8_t *e, size_t blk)
{
    if (k->fmt == TP_BLOCK_GGML_MXFP4)
        return e[blk * GGML_MXFP4_BYTES];
    if (k->fmt == TP_BLOCK_GGML_Q8_0) {
        const uint8_t *p = e + blk * GGML_Q8_0_BYTES;
        return (unsigned)p[0] | ((unsigned)p[1] << 8);
    }
    return s[blk];
}

/* Nonzero for the block formats whose scale is an E8M0 byte. */
static int e8m0_scaled(const tpi_blk *k)
{
    return k->fmt != TP_BLOCK_NVFP4 && k->fmt != TP_BLOCK_GGML_Q8_0;
}

/* The exact value of a block scale: E8M0 2^(c-127) (0xFF NaN), UE4M3 times
 * the binary32 tensor scale (>= 0x80 NaN with TP_FLAG_INVALID), or the
 * binary16 d of ggml_q8_0 (any binary16, Inf and NaN included). */
static void scale_val(const tpi_blk *k, unsigned c, float ts, tpi_val *v, unsigned *flags)
{
    tpi_fmt f;
    if (e8m0_scaled(k)) {
        v->sign = 0;
        v->cls = c == 0xFF ? TPI_NAN : TPI_FINITE;
        v->mant = 1;
        v->exp = (int)c - 127;
        return;
    }
    if (k->fmt == TP_BLOCK_GGML_Q8_0) {
        tpi_fmt_init(&f, tp_format_get(TP_F16));
        tpi_ref_unpack(&f, c, v, flags);
        return;
    }
    tpi_fmt_init(&f, tp_format_get(TP_UE4M3));
    tpi_ref_unpack(&f, c, v, flags);
    if (v->cls == TPI_FINITE) { /* times the finite positive tensor scale */
        uint32_t u;
        memcpy(&u, &ts, sizeof u);
        int te = (int)((u >> 23) & 0xFF);
        uint64_t tm = u & 0x7FFFFFu;
        if (te == 0)
            te = 1;
        else
            tm |= 0x800000u;
        v->mant *= tm; /* 4 x 24 bits */
        v->exp += te - 150;
    }
}

/* elem x scale, exactly (IEEE specials: 0 x Inf is NaN). */
static void mul_val(tpi_val *r, const tpi_val *x, const tpi_val *y)
{
    r->sign = x->sign ^ y->sign;
    r->mant = 0;
    r->exp = 0;
    if (x->cls == TPI_NAN || y->cls == TPI_NAN) {
        r->cls = TPI_NAN;
    } else if (x->cls == TPI_INF || y->cls == TPI_INF) {
        r->cls = (x->cls == TPI_ZERO || y->cls == TPI_ZERO) ? TPI_NAN : TPI_INF;
    } else if (x->cls == TPI_ZERO || y->cls == TPI_ZERO) {
        r->cls = TPI_ZERO;
    } else {
        r->cls = TPI_FINITE;
        r->mant = x->mant * y->mant; /* at most 16 + 28 bits */
        r->exp = x->exp + y->exp;
    }
}

static void f32_val(float x, tpi_val *v)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    int e = (int)((u >> 23) & 0xFF);
    uint64_t m = u & 0x7FFFFFu;
    v->sign = (int)(u >> 31);
    v->mant = 0;
    v->exp = 0;
    if (e == 0xFF) {
        v->cls = m ? TPI_NAN : TPI_INF;
    } else if (e == 0 && m == 0) {
        v->cls = TPI_ZERO;
    } else {
        v->cls = TPI_FINITE;
        v->mant = e ? m | 0x800000u : m;
        v->exp = (e ? e : 1) - 150;
    }
}

/* One operand of a block dot: a block format, or binary32 (k == NULL). */
typedef struct bop {
    const tpi_blk *k;
    const uint8_t *s, *e;
    float ts;
} bop;

static void bop_val(const bop *o, size_t i, tpi_val *v, unsigned *flags)
{
    if (o->k == NULL) {
        float x;
        memcpy(&x, o->e + 4 * i, sizeof x);
        f32_val(x, v);
        return;
    }
    size_t blk = i / (size_t)o->k->bs;
    int j = (int)(i % (size_t)o->k->bs);
    tpi_val el, sc;
    unsigned junk = 0;
    tpi_ref_unpack(&o->k->ef, blk_code(o->k, o->e, blk, j), &el, &junk);
    scale_val(o->k, blk_scale(o->k, o->s, o->e, blk), o->ts, &sc, flags);
    mul_val(v, &el, &sc);
}

/* The reference over values [i0, i0+m). */
static void block_generic(const bop *a, const bop *b, size_t i0, size_t m, tp_acc *acc,
                          unsigned *flags)
{
    for (size_t i = i0; i < i0 + m; i++) {
        tpi_val x, y;
        bop_val(a, i, &x, flags);
        bop_val(b, i, &y, flags);
        add_vals(acc, &x, &y);
    }
}

/* The exact element values of a block format of at most 8-bit codes as a
 * 256-entry table (NaN for NaN/Inf codes), with its grid 2^lo .. 2^hi. */
static const double *elem_table(const tpi_blk *k, double *store, int *lo, int *hi)
{
    int f = tpi_builtin_index(k->ef.d);
    if (f >= 0 && tab_ok[f]) {
        *lo = tab_lo[f];
        *hi = tab_hi[f];
        return tab_val[f];
    }
    if (k->ebits != 8) /* 16-bit BFP elements */
        return NULL;
    unsigned junk = 0;
    int mb = k->ef.d->bits;
    for (unsigned c = 0; c < 256; c++) {
        tpi_val v;
        if (c > k->ef.code_mask) {
            store[c] = NAN;
            continue;
        }
        tpi_ref_unpack(&k->ef, c, &v, &junk);
        double x = ldexp((double)v.mant, v.exp);
        store[c] = v.sign ? -x : x;
    }
    *lo = k->ef.scale_exp;
    *hi = k->ef.scale_exp + mb; /* |v| <= 2^(mb-1) */
    return store;
}

/* Codes j0 .. j0+len-1 of block blk (8-bit codes at most). */
static void seg_codes(const tpi_blk *k, const uint8_t *e, size_t blk, int j0, int len,
                      uint8_t *out)
{
    if (k->fmt == TP_BLOCK_GGML_MXFP4) {
        for (int j = 0; j < len; j++)
            out[j] = (uint8_t)blk_code(k, e, blk, j0 + j);
        return;
    }
    if (k->fmt == TP_BLOCK_GGML_Q8_0) {
        memcpy(out, e + blk * GGML_Q8_0_BYTES + 2 + (size_t)j0, (size_t)len);
        return;
    }
    size_t i0 = blk * (size_t)k->bs + (size_t)j0;
    if (k->ebits == 8) {
        memcpy(out, e + i0, (size_t)len);
        return;
    }
    /* nibbles; i0 and len are even (segments of 8 or more from a block start) */
    const uint8_t *q = e + i0 / 2;
    for (int t = 0; t < len / 2; t++) {
        out[2 * t] = q[t] & 0xFu;
        out[2 * t + 1] = (uint8_t)(q[t] >> 4);
    }
}

/* Fast path for two E8M0-scaled block formats whose element products a
 * binary64 chain sums exactly over a segment (span_a + span_b + log2(seg)
 * <= 53), with one block size a multiple of the other.  Per segment the
 * exact sum is an integer m times 2^(La+Lb) with |m| < 2^mbits; it goes into
 * an int64 bin per combined scale exponent Ea+Eb in [-254, 254], flushed
 * before 2^(62-mbits) segments can overflow it.  Returns 0 if the pair is
 * not eligible (nothing added). */
static int block_e8m0_fast(const bop *a, const bop *b, size_t n, tp_acc *acc, unsigned *flags)
{
    const tpi_blk *ka = a->k, *kb = b->k;
    if (kb == NULL || !e8m0_scaled(ka) || !e8m0_scaled(kb))
        return 0;
    double sta[256], stb[256];
    int la, ha, lb, hb;
    const double *ta = elem_table(ka, sta, &la, &ha);
    const double *tb = elem_table(kb, stb, &lb, &hb);
    if (ta == NULL || tb == NULL)
        return 0;
    int bsa = ka->bs, bsb = kb->bs, seg = bsa < bsb ? bsa : bsb;
    if ((bsa > bsb ? bsa : bsb) % seg != 0)
        return 0;
    int lg = 0;
    while ((1 << lg) < seg)
        lg++;
    int mbits = (ha + hb) - (la + lb) + lg;
    if (mbits > 53)
        return 0;
    int64_t bins[509];
    memset(bins, 0, sizeof bins);
    /* period * 2^mbits <= 2^61: no bin can overflow between flushes */
    size_t period = (size_t)1 << (61 - mbits > 20 ? 20 : 61 - mbits);
    size_t since = 0;
    int lo = 509, hi = -1, any_nz = 0, flushed = 0;
    double scale = ldexp(1.0, -(la + lb));
    for (size_t i0 = 0; i0 < n; i0 += (size_t)seg) {
        size_t ba = i0 / (size_t)bsa, bb = i0 / (size_t)bsb;
        unsigned ca = blk_scale(ka, a->s, a->e, ba), cb = blk_scale(kb, b->s, b->e, bb);
        int ja = (int)(i0 % (size_t)bsa), jb = (int)(i0 % (size_t)bsb);
        uint8_t xa[256], xb[256];
        seg_codes(ka, a->e, ba, ja, seg, xa);
        seg_codes(kb, b->e, bb, jb, seg, xb);
        double s = 0.0;
        for (int j = 0; j < seg; j++) /* exact: mbits <= 53; NaN codes give NaN */
            s += ta[xa[j]] * tb[xb[j]];
        if (ca == 0xFF || cb == 0xFF || s == 0.0 || s != s) {
            block_generic(a, b, i0, (size_t)seg, acc, flags);
            continue;
        }
        int e = (int)ca + (int)cb - 254 + 254;
        bins[e] += (int64_t)(s * scale); /* an integer below 2^mbits */
        any_nz = 1;
        lo = e < lo ? e : lo;
        hi = e > hi ? e : hi;
        if (++since >= period) {
            for (int t = lo; t <= hi; t++) {
                if (bins[t] != 0) {
                    tpi_dot_add_i64(acc, bins[t], t - 254 + la + lb);
                    bins[t] = 0;
                    flushed = 1;
                }
            }
            since = 0;
            lo = 509;
            hi = -1;
        }
    }
    for (int t = lo; t <= hi; t++) {
        if (bins[t] != 0) {
            tpi_dot_add_i64(acc, bins[t], t - 254 + la + lb);
            flushed = 1;
        }
    }
    if (any_nz && !flushed) { /* nonzero terms that cancelled exactly */
        tpi_acc_add_wide(acc, 0, 0, 1, 0);
        tpi_acc_add_wide(acc, 1, 0, 1, 0);
    }
    return 1;
}

/* The exact binary64 value of element i of a block operand, for formats
 * whose values have at most 29 significant bits (not NVFP4). */
static double bop_f64(const bop *o, size_t i)
{
    if (o->k == NULL)
        return tpi_f32_bits_to_f64((uint32_t)tpi_load_code(o->e, i, 4));
    tpi_val v;
    unsigned junk = 0;
    bop_val(o, i, &v, &junk);
    switch (v.cls) {
    case TPI_NAN: return NAN;
    case TPI_INF: return v.sign ? -INFINITY : INFINITY;
    case TPI_ZERO: return v.sign ? -0.0 : 0.0;
    default: break;
    }
    double x = ldexp((double)v.mant, v.exp);
    return v.sign ? -x : x;
}

/* Block format x binary32: the products have at most 29 + 24 bits and lie
 * in 2^-292 .. 2^272, so they are exact in binary64; summed by the split
 * levels. */
static int block_f32_split(const bop *a, const bop *b, size_t n, tp_acc *acc, unsigned *flags)
{
    if (b->k != NULL || a->k->fmt == TP_BLOCK_NVFP4)
        return 0;
    double p[CHUNK];
    for (size_t i0 = 0; i0 < n; i0 += CHUNK) {
        size_t m = n - i0 < CHUNK ? n - i0 : CHUNK;
        int bad = 0;
        for (size_t i = 0; i < m; i++) {
            p[i] = bop_f64(a, i0 + i) * bop_f64(b, i0 + i);
            bad |= !(p[i] - p[i] == 0.0);
        }
        if (bad || !split_levels(acc, p, m))
            block_generic(a, b, i0, m, acc, flags);
    }
    return 1;
}

void tpi_ref_block_dot(const tpi_blk *ka, const uint8_t *sa, const void *ea, float tsa,
                       const tpi_blk *kb, const uint8_t *sb, const void *eb, float tsb, size_t n,
                       tp_acc *acc, unsigned *flags)
{
    bop a = {ka, sa, (const uint8_t *)ea, tsa}, b = {kb, sb, (const uint8_t *)eb, tsb};
    if (n == 0)
        return;
    /* The UE4M3 scales >= 0x80 raise TP_FLAG_INVALID in every path. */
    const bop *ops[2] = {&a, &b};
    for (int o = 0; o < 2; o++) {
        const tpi_blk *k = ops[o]->k;
        if (k != NULL && k->fmt == TP_BLOCK_NVFP4)
            for (size_t blk = 0; blk < n / (size_t)k->bs; blk++)
                if (ops[o]->s[blk] >= 0x80)
                    *flags |= TP_FLAG_INVALID;
    }
    unsigned junk = 0;
    if (block_e8m0_fast(&a, &b, n, acc, &junk))
        return;
    if (block_f32_split(&a, &b, n, acc, &junk))
        return;
    block_generic(&a, &b, 0, n, acc, &junk);
}
