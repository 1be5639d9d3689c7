/*
 * check_dot.c -- exact dot products (tp_dot, tp_dot_acc, tp_block_dot)
 * against an MPFR oracle, and the ISA variants against the reference.
 *
 * The oracle: every element's exact value comes from orc_decode_f64 (block
 * values from orb_dequantize), products and their sum are formed exactly in
 * MPFR (4400 bits cover every product of two binary64 values, 2^-2148 ..
 * 2^2048, plus carries), and the exact sum is rounded to the output format
 * by round_exact below: truncation to the format's grid with unbounded
 * exponent, the mode's decision on the exact remainder, then orc_encode of
 * the (representable, or beyond max) rounded value for the code and the
 * overflow policy.  round_exact is itself checked against orc_encode on
 * binary64 inputs.  NaN, Inf and zero signs follow the accumulator
 * contract of include/truepoint.h.
 *
 * ISA equivalence (tpt_isa_add, testutil.h): the program re-executes itself
 * with TP_ISA=ref, avx2, avx512; each child writes the results (codes and
 * flags) of a fixed sweep that crosses every chunk bound of the fast paths,
 * with binary32 and bfloat16 subnormals among the inputs; the parent
 * compares, in the default floating-point environment and with the calls of
 * the children under MXCSR FTZ|DAZ.
 *
 * Under TP_TEST_TIER=quick (testutil.h; the sweep children inherit it)
 * every test runs on fewer values: fewer random vectors per format pair,
 * the long vectors up to a few chunks (the E4M3 chain-bound case beyond
 * two of its SIMD chunks), one block count per MX case (beyond the first
 * 64-block chunk where the case needs it), and a thinner ISA sweep that
 * still crosses every chunk bound.
 */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmp.h>
#include <mpfr.h>

#include "oracle.h"
#include "oracle_block.h"
#include "testutil.h"

#define ENV_OUT "TPT_DOT_OUT"
#define PREC 4400

/* Nonzero in the reduced tier (TP_TEST_TIER=quick); set by main(). */
static int quick;

/* NVFP4 tensor scales that are binary32 subnormals (valid: finite, > 0).
 * Under DAZ the library's check ts > 0 (lib/core) and the reference's
 * (double) widening of ts (lib/ref/block_ref.c) read them as 0; set to 1
 * once those compare and widen on the bits. */
#ifndef TPT_SUBNORMAL_TS
#define TPT_SUBNORMAL_TS 1
#endif


/* A requirement of the test's own helpers, usable in the sweep children
 * too (which run outside Check). */
#define REQ(c)                                                                  \
    do {                                                                        \
        if (!(c)) {                                                             \
            fprintf(stderr, "%s:%d: requirement failed: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                            \
        }                                                                       \
    } while (0)

static const tp_format outs[] = {TP_F32, TP_BF16, TP_F16, TP_E4M3, TP_F64};
#define N_OUTS 5

static size_t csize(const tp_format_desc *d)
{
    return d->bits <= 8 ? 1 : d->bits <= 16 ? 2 : d->bits <= 32 ? 4 : 8;
}

static void store(const tp_format_desc *d, void *base, size_t i, uint64_t c)
{
    switch (csize(d)) {
    case 1: ((uint8_t *)base)[i] = (uint8_t)c; break;
    case 2: ((uint16_t *)base)[i] = (uint16_t)c; break;
    case 4: ((uint32_t *)base)[i] = (uint32_t)c; break;
    default: ((uint64_t *)base)[i] = c; break;
    }
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

static uint32_t f2u(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    return u;
}

/* ------------------------------------------------------------ the oracle */

typedef struct oxs {
    mpfr_t s;
    int nan, inv, pinf, ninf, nterms, allpos, allneg;
} oxs;

static void ox_init(oxs *o)
{
    mpfr_init2(o->s, PREC);
    mpfr_set_zero(o->s, 1);
    o->nan = o->inv = o->pinf = o->ninf = o->nterms = 0;
    o->allpos = o->allneg = 1;
}

static void ox_clear(oxs *o)
{
    mpfr_clear(o->s);
}

/* Adds the exact product x * y of two binary64 values. */
static void ox_add(oxs *o, double x, double y)
{
    o->nterms++;
    if (isnan(x) || isnan(y)) {
        o->nan = 1;
        return;
    }
    int sg = (signbit(x) != 0) ^ (signbit(y) != 0);
    if (isinf(x) || isinf(y)) {
        if (x == 0.0 || y == 0.0)
            o->inv = 1;
        else if (sg)
            o->ninf = 1;
        else
            o->pinf = 1;
        return;
    }
    if (x == 0.0 || y == 0.0) {
        if (sg)
            o->allpos = 0;
        else
            o->allneg = 0;
        return;
    }
    o->allpos = o->allneg = 0;
    mpfr_t p;
    mpfr_init2(p, 120);
    mpfr_set_d(p, x, MPFR_RNDN);
    mpfr_mul_d(p, p, y, MPFR_RNDN); /* exact: 106 bits */
    mpfr_add(o->s, o->s, p, MPFR_RNDN); /* exact: PREC bits */
    mpfr_clear(p);
}

/* Result of an overflow (|rounded| > max) for sign neg. */
static void overflow_code(const tp_format_desc *d, int neg, tp_round rnd, tp_overflow ovf,
                          uint32_t rbits, uint64_t *code, unsigned *flags)
{
    if (d->bits == 64) { /* binary64: the same policy seen through binary32 */
        uint64_t c32 = 0;
        orc_encode(tp_format_get(TP_F32), neg ? -0x1p200 : 0x1p200, rnd, ovf, rbits, &c32, flags);
        int inf = (c32 & 0x7FFFFFFFu) == 0x7F800000u;
        *code = ((uint64_t)neg << 63) |
                (inf ? UINT64_C(0x7FF0000000000000) : UINT64_C(0x7FEFFFFFFFFFFFFF));
        return;
    }
    orc_encode(d, neg ? -0x1p1000 : 0x1p1000, rnd, ovf, rbits, code, flags);
}

/* Rounds the exact finite nonzero x to float or integer format d (see the
 * file comment). */
static void round_exact(mpfr_t x, const tp_format_desc *d, tp_round rnd, tp_overflow ovf,
                        uint32_t rbits, uint64_t *code, unsigned *flags)
{
    int neg = mpfr_sgn(x) < 0;
    int is_int = d->kind == TP_KIND_INT;
    int emin = 1 - d->bias;
    long ex = mpfr_get_exp(x); /* 2^(ex-1) <= |x| < 2^ex */
    long lim = is_int ? d->bits + d->scale_exp + 2 : 1025;
    if (ex > lim) {
        overflow_code(d, neg, rnd, ovf, rbits, code, flags);
        return;
    }
    long ue = is_int ? d->scale_exp : ((ex - 1 >= emin ? ex - 1 : emin) - d->man_bits);
    mpfr_t q, fr;
    mpz_t t;
    mpfr_inits2(PREC + 64, q, fr, (mpfr_ptr)0);
    mpz_init(t);
    mpfr_abs(q, x, MPFR_RNDN);
    mpfr_mul_2si(q, q, -ue, MPFR_RNDN);
    mpfr_get_z(t, q, MPFR_RNDZ);
    mpfr_sub_z(fr, q, t, MPFR_RNDN); /* exact */
    int inexact = !mpfr_zero_p(fr);
    int cmp = mpfr_cmp_d(fr, 0.5), up = 0;
    switch (rnd) {
    case TP_RNE: up = cmp > 0 || (cmp == 0 && mpz_odd_p(t)); break;
    case TP_RNA: up = cmp >= 0; break;
    case TP_RTZ: up = 0; break;
    case TP_RUP: up = inexact && !neg; break;
    case TP_RDN: up = inexact && neg; break;
    case TP_RTO: up = inexact && mpz_even_p(t); break;
    case TP_RSR:
        mpfr_mul_2ui(fr, fr, 32, MPFR_RNDN);
        up = mpfr_cmp_ui(fr, rbits) > 0;
        break;
    }
    if (up)
        mpz_add_ui(t, t, 1);
    mpfr_set_z(q, t, MPFR_RNDN);
    mpfr_mul_2si(q, q, ue, MPFR_RNDN);
    unsigned f = 0;
    if (mpfr_get_exp(q) > 1024 && !mpfr_zero_p(q)) {
        overflow_code(d, neg, rnd, ovf, rbits, code, &f);
    } else {
        double v = mpfr_get_d(q, MPFR_RNDN); /* exact: at most 53 bits */
        orc_encode(d, neg ? -v : v, rnd, ovf, rbits, code, &f);
    }
    if (inexact) {
        f |= TP_FLAG_INEXACT;
        if (!is_int && mpfr_get_exp(x) - 1 < emin)
            f |= TP_FLAG_UNDERFLOW;
    }
    *flags |= f;
    mpfr_clears(q, fr, (mpfr_ptr)0);
    mpz_clear(t);
}

/* The expected code and flags of the exact dot in o. */
static void ox_expect(oxs *o, const tp_format_desc *d, tp_round rnd, tp_overflow ovf,
                      uint32_t rbits, uint64_t *code, unsigned *flags)
{
    *flags = 0;
    if (o->nan || o->inv || (o->pinf && o->ninf)) {
        orc_encode(d, NAN, rnd, ovf, rbits, code, flags);
        if (o->inv || (o->pinf && o->ninf))
            *flags |= TP_FLAG_INVALID;
        return;
    }
    if (o->pinf || o->ninf) {
        orc_encode(d, o->ninf ? -INFINITY : INFINITY, rnd, ovf, rbits, code, flags);
        return;
    }
    if (mpfr_zero_p(o->s)) {
        int neg = rnd == TP_RDN ? !o->allpos : (o->nterms > 0 && o->allneg);
        orc_encode(d, neg ? -0.0 : 0.0, rnd, ovf, rbits, code, flags);
        return;
    }
    round_exact(o->s, d, rnd, ovf, rbits, code, flags);
}

/* ------------------------------------------------------------ data */

static uint64_t rng;

static uint64_t rnd64(void)
{
    return tpt_rand64(&rng);
}

static double code_value_f(const tp_format_desc *d, uint64_t c, unsigned *flags)
{
    uint64_t bits;
    REQ(orc_decode_f64(d, c, &bits, flags) == 0);
    return u2d(bits);
}

static double code_value(const tp_format_desc *d, uint64_t c)
{
    unsigned junk = 0;
    return code_value_f(d, c, &junk);
}

/* A random code of d; specials only if allowed.  Binary32/64 values come
 * either from all bits or from a band of exponents (sums that round). */
static uint64_t rand_code(const tp_format_desc *d, int specials)
{
    for (;;) {
        uint64_t r = rnd64(), c;
        if (d->bits == 64) {
            if (r & 1)
                c = r >> 1 ^ (r << 63);
            else
                c = (r & UINT64_C(0x800FFFFFFFFFFFFF)) |
                    ((uint64_t)(1023 - 40 + (int)((r >> 52) % 80)) << 52);
        } else if (d->bits == 32) {
            uint32_t u = (uint32_t)(r >> 16);
            if (r & 1)
                c = u;
            else
                c = (u & 0x807FFFFFu) | ((uint32_t)(127 - 30 + (int)((r >> 8) % 60)) << 23);
        } else {
            c = (r >> 7) & ((UINT64_C(1) << d->bits) - 1);
        }
        double v = code_value(d, c);
        if (specials || (!isnan(v) && !isinf(v)))
            return c;
    }
}

/* ------------------------------------------------------------ element dots */

static const char *rnd_name[] = {"rne", "rna", "rtz", "rup", "rdn", "rto", "rsr"};

/* Checks tp_dot of (a, inca), (b, incb) against the oracle for every output
 * format and rounding mode (policy varied). */
static void check_vectors(const tp_format_desc *da, const void *a, size_t inca,
                          const tp_format_desc *db, const void *b, size_t incb, size_t n,
                          const char *what)
{
    oxs o;
    unsigned dflags = 0; /* decoding flags: UE4M3 codes >= 0x80 are invalid */
    ox_init(&o);
    for (size_t i = 0; i < n; i++) {
        uint64_t ca = 0, cb = 0;
        memcpy(&ca, (const char *)a + i * inca * csize(da), csize(da));
        memcpy(&cb, (const char *)b + i * incb * csize(db), csize(db));
        ox_add(&o, code_value_f(da, ca, &dflags), code_value_f(db, cb, &dflags));
    }
    for (int k = 0; k < N_OUTS; k++) {
        const tp_format_desc *od = tp_format_get(outs[k]);
        for (int r = 0; r <= TP_RSR; r++) {
            tp_overflow ovf = (tp_overflow)(rnd64() % 3);
            uint32_t word = (uint32_t)rnd64();
            tp_sr sr = {&word, 0, 0};
            uint64_t got = 0xDEAD, exp = 0;
            unsigned gf = 0, ef = 0;
            tp_status st = tp_dot(da, a, inca, db, b, incb, n, od, (tp_round)r, ovf, &sr, &got,
                                  &gf);
            ox_expect(&o, od, (tp_round)r, ovf, word, &exp, &ef);
            ef |= dflags;
            ck_assert_msg(st == TP_OK && got == exp && gf == ef,
                          "%s: %s x %s n=%zu inc=%zu,%zu -> %s %s ovf=%d: got 0x%llx flags %u "
                          "(status %d), expected 0x%llx flags %u",
                          what, da->name, db->name, n, inca, incb, od->name, rnd_name[r],
                          (int)ovf, (unsigned long long)got, gf, (int)st,
                          (unsigned long long)exp, ef);
        }
    }
    ox_clear(&o);
}

/* Every pair of built-in formats, short random vectors with and without
 * specials, strides 1..3, and exact cancellations (zero signs). */
START_TEST(test_pairs)
{
    int fa = _i / TP_FORMAT_COUNT, fb = _i % TP_FORMAT_COUNT;
    const tp_format_desc *da = tp_format_get((tp_format)fa), *db = tp_format_get((tp_format)fb);
    rng = tpt_seed() ^ (uint64_t)(_i + 1) * UINT64_C(0x9E3779B97F4A7C15);
    uint64_t abuf[3 * 40], bbuf[3 * 40];
    for (int rep = 0; rep < 6; rep++) {
        if (quick && (rep == 3 || rep == 4)) /* quick: one random vector without specials */
            continue;
        size_t n = rep == 0 ? 0 : rep == 1 ? 1 : 1 + rnd64() % 37;
        size_t inca = 1 + rnd64() % 3, incb = 1 + rnd64() % 3;
        int specials = rep == 5;
        memset(abuf, 0, sizeof abuf);
        memset(bbuf, 0, sizeof bbuf);
        for (size_t i = 0; i < n; i++) {
            store(da, abuf, i * inca, rand_code(da, specials));
            store(db, bbuf, i * incb, rand_code(db, specials));
        }
        check_vectors(da, abuf, inca, db, bbuf, incb, n, "random");
    }
    /* cancellation: (x, x) . (y, -y) and all zeros of both signs */
    if (db->sign && db->kind == TP_KIND_FLOAT) {
        uint64_t sbit = UINT64_C(1) << (db->bits - 1);
        for (int rep = 0; rep < 3; rep++) {
            if (quick && rep == 1)
                continue;
            uint64_t x = rand_code(da, 0), y = rand_code(db, 0);
            if (rep == 2)
                y = sbit; /* -0 */
            store(da, abuf, 0, x);
            store(da, abuf, 1, x);
            store(db, bbuf, 0, y);
            store(db, bbuf, 1, y ^ sbit);
            check_vectors(da, abuf, 1, db, bbuf, 1, 2, "cancel");
            store(db, bbuf, 1, y);
            check_vectors(da, abuf, 1, db, bbuf, 1, 2, "same");
        }
    }
}
END_TEST

/* Long vectors across the chunk bounds of every fast path: E4M3 at its
 * chain bound (all products +-448^2 with the smallest products mixed in),
 * binary32 over the whole exponent range (more split levels than the
 * path takes), bfloat16, and mixed formats. */
START_TEST(test_long)
{
    static const size_t lens[] = {2047, 2048, 2049, 4096 + 3, 131071, 131072, 131073};
    static const struct {
        tp_format a, b;
        int mode;
    } cases[] = {
        {TP_E4M3, TP_E4M3, 0}, {TP_E4M3, TP_E4M3, 1}, {TP_E4M3, TP_E4M3, 2},
        {TP_F32, TP_F32, 3},   {TP_F32, TP_F32, 4},   {TP_BF16, TP_BF16, 3},
        {TP_BF16, TP_BF16, 4}, {TP_E5M2, TP_E4M3, 2}, {TP_F32, TP_BF16, 4},
        {TP_E2M1, TP_E4M3, 2}, {TP_F16, TP_F16, 2},   {TP_INT8, TP_INT8, 2},
        {TP_F32, TP_F32, 5},   {TP_BF16, TP_BF16, 5},
    };
    int c = _i / 7;
    size_t n = lens[_i % 7];
    /* quick: lengths up to two binary32 chunks, and beyond two E4M3 chunks
     * for the chain bound itself (one length) */
    if (quick && n > 5000 && !(c == 0 && _i % 7 == 4))
        return;
    if (n > 5000 && (cases[c].mode == 2) && cases[c].a != TP_E4M3)
        n = 5000; /* the oracle costs ~1 us per term */
    const tp_format_desc *da = tp_format_get(cases[c].a), *db = tp_format_get(cases[c].b);
    rng = tpt_seed() ^ (uint64_t)(_i + 77);
    uint8_t *a = malloc(n * csize(da)), *b = malloc(n * csize(db));
    ck_assert(a != NULL && b != NULL);
    for (size_t i = 0; i < n; i++) {
        uint64_t x, y;
        switch (cases[c].mode) {
        case 0: /* the chain bound: every product +448^2 or the smallest */
            x = (i % 5 == 4) ? 0x01 : 0x7E;
            y = (i % 5 == 4) ? 0x81 : 0x7E;
            break;
        case 1: /* alternating huge products with one tiny residue */
            x = 0x7E;
            y = (i & 1) ? 0xFE : 0x7E;
            if (i == n / 2)
                x = 0x01, y = 0x01;
            break;
        case 3: /* narrow band: few split levels */
            x = (rnd64() & 0x807FFFFFu) | ((uint64_t)(120 + rnd64() % 8) << 23);
            y = (rnd64() & 0x807FFFFFu) | ((uint64_t)(120 + rnd64() % 8) << 23);
            if (da->bits == 16) {
                x >>= 16;
                y >>= 16;
            }
            break;
        case 5: /* staircase: chunk c of 2048 spans products 2^1 .. 2^-(c % 48),
                 * full significands, crossing the fixed-level bounds of the
                 * SIMD paths (2^(e-26) for bfloat16, 2^(e-35) for binary32) */
            x = (rnd64() & 0x807FFFFFu) | ((uint64_t)127 << 23);
            y = (rnd64() & 0x807FFFFFu) |
                ((uint64_t)(127 - (int)(i % (1 + (i / 2048) % 48))) << 23);
            if (da->bits == 16) {
                x >>= 16;
                y >>= 16;
            }
            break;
        case 4: /* the whole exponent range: more levels than the path takes */
            x = rand_code(da, 0);
            y = rand_code(db, 0);
            if (da->bits == 32)
                x = (x & 0x807FFFFFu) | ((rnd64() % 254 + 1) << 23);
            break;
        default:
            x = rand_code(da, 0);
            y = rand_code(db, 0);
            break;
        }
        store(da, a, i, x);
        store(db, b, i, y);
    }
    check_vectors(da, a, 1, db, b, 1, n, "long");
    free(a);
    free(b);
}
END_TEST

/* tp_dot_acc adds into an accumulator: two halves give the whole. */
START_TEST(test_dot_acc)
{
    const tp_format_desc *d = tp_format_get(TP_F32);
    float a[64], b[64];
    rng = tpt_seed() ^ 5;
    for (int i = 0; i < 64; i++) {
        a[i] = u2f((uint32_t)rand_code(d, 0));
        b[i] = u2f((uint32_t)rand_code(d, 0));
    }
    tp_acc acc;
    tp_acc_init(&acc);
    ck_assert_int_eq(tp_dot_acc(d, a, 1, d, b, 1, 30, &acc), TP_OK);
    ck_assert_int_eq(tp_dot_acc(d, a + 30, 1, d, b + 30, 1, 34, &acc), TP_OK);
    uint64_t c1, c2;
    unsigned f1 = 0, f2 = 0;
    ck_assert_int_eq(tp_acc_round(&acc, tp_format_get(TP_F64), TP_RNE, TP_OVF_DEFAULT, 0, &c1, &f1),
                     TP_OK);
    ck_assert_int_eq(tp_dot(d, a, 1, d, b, 1, 64, tp_format_get(TP_F64), TP_RNE, TP_OVF_DEFAULT,
                            NULL, &c2, &f2),
                     TP_OK);
    ck_assert_uint_eq(c1, c2);
    ck_assert_uint_eq(f1, f2);
}
END_TEST

/* Known values and the argument checks: nothing written on error. */
START_TEST(test_api)
{
    const tp_format_desc *e4 = tp_format_get(TP_E4M3), *f32 = tp_format_get(TP_F32);
    uint8_t a[4] = {0x38, 0x40, 0x00, 0x80}; /* 1, 2, 0, -0 */
    uint8_t b[4] = {0x40, 0x38, 0x7E, 0x7E}; /* 2, 1, 448, 448 */
    uint64_t r = 0x1234;
    unsigned f = 0x40;
    ck_assert_int_eq(tp_dot(e4, a, 1, e4, b, 1, 4, f32, TP_RNE, TP_OVF_DEFAULT, NULL, &r, &f),
                     TP_OK);
    ck_assert_uint_eq(r, 0x40800000u); /* 4 */
    ck_assert_uint_eq(f, 0x40);
    /* -0 . 448 alone is -0; 0 x 448 + -0 x 448 is +0, or -0 under RDN */
    ck_assert_int_eq(tp_dot(e4, a + 3, 1, e4, b + 3, 1, 1, f32, TP_RNE, 0, NULL, &r, &f), TP_OK);
    ck_assert_uint_eq(r, 0x80000000u);
    ck_assert_int_eq(tp_dot(e4, a + 2, 1, e4, b + 2, 1, 2, f32, TP_RNE, 0, NULL, &r, &f), TP_OK);
    ck_assert_uint_eq(r, 0);
    ck_assert_int_eq(tp_dot(e4, a + 2, 1, e4, b + 2, 1, 2, f32, TP_RDN, 0, NULL, &r, &f), TP_OK);
    ck_assert_uint_eq(r, 0x80000000u);
    /* no terms: +0 */
    ck_assert_int_eq(tp_dot(e4, NULL, 1, e4, NULL, 1, 0, f32, TP_RDN, 0, NULL, &r, &f), TP_OK);
    ck_assert_uint_eq(r, 0);
    /* errors */
    r = 77;
    f = 0;
    uint8_t bad[2] = {0x40, 0x3F};
    ck_assert_int_eq(tp_dot(NULL, a, 1, e4, b, 1, 4, f32, TP_RNE, 0, NULL, &r, &f), TP_ERR_NULL);
    ck_assert_int_eq(tp_dot(e4, a, 0, e4, b, 1, 4, f32, TP_RNE, 0, NULL, &r, &f), TP_ERR_ARG);
    ck_assert_int_eq(tp_dot(e4, a, 1, e4, b, 0, 0, f32, TP_RNE, 0, NULL, &r, &f), TP_ERR_ARG);
    ck_assert_int_eq(tp_dot(e4, NULL, 1, e4, b, 1, 4, f32, TP_RNE, 0, NULL, &r, &f), TP_ERR_NULL);
    ck_assert_int_eq(tp_dot(e4, a, 1, e4, b, 1, 4, NULL, TP_RNE, 0, NULL, &r, &f), TP_ERR_NULL);
    ck_assert_int_eq(tp_dot(e4, a, 1, e4, b, 1, 4, f32, (tp_round)9, 0, NULL, &r, &f),
                     TP_ERR_ROUND);
    ck_assert_int_eq(tp_dot(e4, a, 1, e4, b, 1, 4, f32, TP_RNE, (tp_overflow)7, NULL, &r, &f),
                     TP_ERR_POLICY);
    ck_assert_int_eq(tp_dot(e4, a, 1, e4, b, 1, 4, f32, TP_RSR, 0, NULL, &r, &f), TP_ERR_ARG);
    ck_assert_int_eq(tp_dot(e4, a, 1, e4, b, 1, 4, f32, TP_RNE, 0, NULL, NULL, &f), TP_ERR_NULL);
    ck_assert_int_eq(tp_dot(tp_format_get(TP_E2M3), bad, 1, e4, b, 1, 2, f32, TP_RNE, 0, NULL, &r,
                            &f),
                     TP_ERR_CODE);
    ck_assert_int_eq(tp_dot(e4, a, SIZE_MAX / 2, e4, b, 1, 4, f32, TP_RNE, 0, NULL, &r, &f),
                     TP_ERR_SIZE);
    tp_format_desc ud = *e4;
    ud.bits = 9;
    ck_assert_int_eq(tp_dot(&ud, a, 1, e4, b, 1, 4, f32, TP_RNE, 0, NULL, &r, &f),
                     TP_ERR_DESCRIPTOR);
    ck_assert_int_eq(tp_dot_acc(e4, a, 1, e4, b, 1, 4, NULL), TP_ERR_NULL);
    ck_assert_uint_eq(r, 77);
    ck_assert_uint_eq(f, 0);
    /* a user format (the e4m3 row under another name) takes the reference */
    tp_format_desc u2 = *e4;
    u2.name = NULL;
    ck_assert_int_eq(tp_dot(&u2, a, 1, e4, b, 1, 4, f32, TP_RNE, 0, NULL, &r, &f), TP_OK);
    ck_assert_uint_eq(r, 0x40800000u);
    /* UE4M3 codes >= 0x80 are NaN with TP_FLAG_INVALID */
    uint8_t u[1] = {0x80};
    f = 0;
    ck_assert_int_eq(tp_dot(tp_format_get(TP_UE4M3), u, 1, e4, b, 1, 1, f32, TP_RNE, 0, NULL, &r,
                            &f),
                     TP_OK);
    ck_assert_uint_eq(r, 0x7FC00000u);
    ck_assert_uint_eq(f, TP_FLAG_INVALID);
    /* 0 x Inf: NaN and invalid; Inf - Inf likewise */
    uint32_t fa[2] = {0x7F800000u, 0}, fb[2] = {0, 0x3F800000u};
    f = 0;
    ck_assert_int_eq(tp_dot(f32, fa, 1, f32, fb, 1, 2, f32, TP_RNE, 0, NULL, &r, &f), TP_OK);
    ck_assert_uint_eq(r, 0x7FC00000u);
    ck_assert_uint_eq(f, TP_FLAG_INVALID);
}
END_TEST

/* The test's own rounding agrees with orc_encode on binary64 inputs. */
START_TEST(test_round_exact)
{
    rng = tpt_seed() ^ 99;
    const tp_format fmts[] = {TP_F32, TP_BF16, TP_F16, TP_E4M3, TP_E5M2, TP_INT8, TP_MXINT8,
                              TP_E2M1, TP_F64};
    mpfr_t x;
    mpfr_init2(x, PREC);
    for (int it = 0; it < (quick ? 400 : 4000); it++) {
        uint64_t r = rnd64();
        double v = u2d((r & UINT64_C(0x800FFFFFFFFFFFFF)) |
                       ((uint64_t)(1023 - 160 + (int)((r >> 52) % 320)) << 52));
        if (it % 7 == 0)
            v = ldexp((double)(int64_t)(r >> 40) * 0.25, (int)(r % 40) - 20);
        if (it % 11 == 0)
            v = u2d(r >> 1 ^ (r << 63));
        if (!(v - v == 0.0) || v == 0.0)
            continue;
        mpfr_set_d(x, v, MPFR_RNDN);
        for (size_t k = 0; k < sizeof fmts / sizeof fmts[0]; k++) {
            const tp_format_desc *d = tp_format_get(fmts[k]);
            for (int m = 0; m <= TP_RSR; m++) {
                tp_overflow ovf = (tp_overflow)(rnd64() % 3);
                uint32_t w = (uint32_t)rnd64();
                uint64_t c1 = 0, c2 = 0;
                unsigned f1 = 0, f2 = 0;
                round_exact(x, d, (tp_round)m, ovf, w, &c1, &f1);
                orc_encode(d, v, (tp_round)m, ovf, w, &c2, &f2);
                ck_assert_msg(c1 == c2 && f1 == f2, "%a -> %s %s: 0x%llx/%u vs orc 0x%llx/%u", v,
                              d->name, rnd_name[m], (unsigned long long)c1, f1,
                              (unsigned long long)c2, f2);
            }
        }
    }
    mpfr_clear(x);
}
END_TEST

/* ------------------------------------------------------------ block dots */

static const char *const blk_names[] = {
    "mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e2m3", "mxfp6_e3m2", "mxfp4", "mxint8",
    "nvfp4", "bfp8_16", "bfp4_16", "bfp12_32", "bfp8_24", "ggml_mxfp4", "ggml_q8_0",
};
#define N_BLK ((int)(sizeof blk_names / sizeof blk_names[0]))

static int is_mx(const tp_block_desc *b)
{
    return b->format <= TP_BLOCK_MXINT8;
}

/* Pairs the test takes: MX x MX, NVFP4 x NVFP4, BFP x BFP, the ggml
 * formats with themselves and with MX, and everything x binary32 (j == N_BLK). */
static int pair_ok(const tp_block_desc *a, const tp_block_desc *b)
{
    if (b == NULL)
        return 1;
    int ka = is_mx(a) ? 0 : a->format, kb = is_mx(b) ? 0 : b->format;
    if (ka == TP_BLOCK_GGML_MXFP4 && kb == 0)
        return 1;
    if (kb == TP_BLOCK_GGML_MXFP4 && ka == 0)
        return 1;
    return ka == kb;
}

/* Random block data of n values: element codes of the format's width,
 * scales over the full range (with NaN scales when `nan`). */
typedef struct bdata {
    tp_block_desc b;
    uint8_t *s, *e;
    uint32_t *scode;  /* per block */
    uint64_t *codes;  /* per value */
    float ts;
} bdata;

static int ewidth(const tp_block_desc *b)
{
    if (b->format == TP_BLOCK_BFP)
        return b->mant_bits;
    if (b->format == TP_BLOCK_GGML_Q8_0)
        return 8;
    return tp_format_get((tp_format)b->elem)->bits;
}

static void bd_make(bdata *d, const char *name, size_t n, int nan, int extreme)
{
    REQ(tp_block_from_name(name, &d->b) == TP_OK);
    size_t sb, eb, nb = n / d->b.block_size;
    REQ(tp_block_storage(&d->b, n, &sb, &eb) == TP_OK);
    d->s = calloc(sb + 1, 1);
    d->e = calloc(eb + 1, 1);
    d->scode = calloc(nb + 1, sizeof *d->scode);
    d->codes = calloc(n + 1, sizeof *d->codes);
    int w = ewidth(&d->b);
    for (size_t i = 0; i < n; i++)
        d->codes[i] = rnd64() & ((UINT64_C(1) << w) - 1);
    for (size_t k = 0; k < nb; k++) {
        uint32_t s;
        uint64_t r = rnd64();
        if (d->b.format == TP_BLOCK_NVFP4) {
            s = (uint32_t)(r & (nan ? 0xFF : 0x7E));
        } else if (d->b.format == TP_BLOCK_GGML_Q8_0) {
            s = (uint32_t)(r & 0xFFFF);
            if (!nan && (s & 0x7C00) == 0x7C00)
                s &= 0xBFFF;
        } else {
            s = extreme ? ((r & 1) ? 0xFE : 0x00) : (uint32_t)(r % 255);
            if (nan && r % 7 == 0)
                s = 0xFF;
        }
        d->scode[k] = s;
    }
    d->ts = extreme ? 0x1p-100f : u2f(0x3F800000u ^ (uint32_t)(rnd64() & 0x0FFFFFu));
    /* pack into the library's layout through the documented layout */
    int bs = d->b.block_size;
    for (size_t k = 0; k < nb; k++) {
        if (d->b.format == TP_BLOCK_GGML_MXFP4 || d->b.format == TP_BLOCK_GGML_Q8_0) {
            orb_ggml_bytes(&d->b, d->scode[k], d->codes + k * (size_t)bs,
                           d->e + k * (eb / nb));
            continue;
        }
        d->s[k] = (uint8_t)d->scode[k];
        for (int j = 0; j < bs; j++) {
            size_t i = k * (size_t)bs + (size_t)j;
            uint64_t c = d->codes[i];
            if (w == 4 && d->b.format != TP_BLOCK_BFP)
                d->e[i / 2] |= (uint8_t)(c << (i % 2 ? 4 : 0));
            else if (w <= 8)
                d->e[i] = (uint8_t)c;
            else {
                uint16_t v = (uint16_t)c;
                memcpy(d->e + 2 * i, &v, 2);
            }
        }
    }
}

static void bd_free(bdata *d)
{
    free(d->s);
    free(d->e);
    free(d->scode);
    free(d->codes);
}

/* Exact values of the n values (orb_dequantize). */
static void bd_values(const bdata *d, size_t n, double *v)
{
    int bs = d->b.block_size;
    uint64_t bits[256];
    uint32_t b32[256];
    for (size_t k = 0; k < n / (size_t)bs; k++) {
        REQ(orb_dequantize(&d->b, d->scode[k], d->codes + k * (size_t)bs, d->ts, bits, b32, NULL) ==
            0);
        for (int j = 0; j < bs; j++)
            v[k * (size_t)bs + (size_t)j] = u2d(bits[j]);
    }
}

static void check_block_pair(int ia, int ib, size_t n, int nan, int extreme)
{
    bdata A, B;
    memset(&B, 0, sizeof B);
    bd_make(&A, blk_names[ia], n, nan, extreme);
    double *va = malloc(n * sizeof *va), *vb = malloc(n * sizeof *vb);
    float *fb = malloc(n * sizeof *fb);
    bd_values(&A, n, va);
    if (ib < N_BLK) {
        bd_make(&B, blk_names[ib], n, nan, extreme);
        bd_values(&B, n, vb);
    } else {
        for (size_t i = 0; i < n; i++) {
            uint64_t r = rnd64();
            uint32_t u = (uint32_t)(r & 0x807FFFFFu) |
                         ((uint32_t)(extreme ? ((r >> 40) % 254 + 1) : 100 + (r >> 40) % 50) << 23);
            if (nan && i == n / 2)
                u = 0x7F800000u;
            fb[i] = u2f(u);
            vb[i] = (double)fb[i];
        }
    }
    oxs o;
    ox_init(&o);
    for (size_t i = 0; i < n; i++)
        ox_add(&o, va[i], vb[i]);
    const tp_block_desc *bbp = ib < N_BLK ? &B.b : NULL;
    const void *eb = ib < N_BLK ? (const void *)B.e : (const void *)fb;
    int nv_inv = 0; /* UE4M3 scale codes >= 0x80 */
    for (size_t k = 0; A.b.format == TP_BLOCK_NVFP4 && k < n / A.b.block_size; k++)
        nv_inv |= A.scode[k] >= 0x80;
    for (size_t k = 0; bbp && B.b.format == TP_BLOCK_NVFP4 && k < n / B.b.block_size; k++)
        nv_inv |= B.scode[k] >= 0x80;
    for (int k = 0; k < N_OUTS; k++) {
        const tp_format_desc *od = tp_format_get(outs[k]);
        for (int r = 0; r <= TP_RSR; r++) {
            uint32_t word = (uint32_t)rnd64();
            tp_sr sr = {&word, 0, 0};
            uint64_t got = 0xDEAD, exp = 0;
            unsigned gf = 0, ef = 0;
            tp_status st = tp_block_dot(&A.b, A.s, A.e, A.ts, bbp, B.s, eb, B.ts, n, od,
                                        (tp_round)r, TP_OVF_DEFAULT, &sr, &got, &gf);
            ox_expect(&o, od, (tp_round)r, TP_OVF_DEFAULT, word, &exp, &ef);
            if (nv_inv)
                ef |= TP_FLAG_INVALID;
            ck_assert_msg(st == TP_OK && got == exp && gf == ef,
                          "block %s x %s n=%zu nan=%d extreme=%d -> %s %s: got 0x%llx/%u (st %d), "
                          "expected 0x%llx/%u",
                          blk_names[ia], ib < N_BLK ? blk_names[ib] : "f32", n, nan, extreme,
                          od->name, rnd_name[r], (unsigned long long)got, gf, (int)st,
                          (unsigned long long)exp, ef);
        }
    }
    ox_clear(&o);
    bd_free(&A);
    if (ib < N_BLK)
        bd_free(&B);
    free(va);
    free(vb);
    free(fb);
}

START_TEST(test_blocks)
{
    int ia = _i / (N_BLK + 1), ib = _i % (N_BLK + 1);
    tp_block_desc a, b;
    ck_assert_int_eq(tp_block_from_name(blk_names[ia], &a), TP_OK);
    if (ib < N_BLK) {
        ck_assert_int_eq(tp_block_from_name(blk_names[ib], &b), TP_OK);
        if (!pair_ok(&a, &b))
            return;
    }
    size_t l = ib < N_BLK ? (a.block_size > b.block_size ? a.block_size : b.block_size) : a.block_size;
    size_t lcm = l;
    while (ib < N_BLK && (lcm % a.block_size || lcm % b.block_size))
        lcm += l;
    rng = tpt_seed() ^ (uint64_t)(_i * 31 + 7);
    check_block_pair(ia, ib, lcm, 0, 0);
    check_block_pair(ia, ib, lcm * 9, 0, 0);
    check_block_pair(ia, ib, lcm * 4, 0, 1); /* scales 2^-127 and 2^127 on both sides */
    check_block_pair(ia, ib, lcm * 4, 1, 0); /* NaN scales */
}
END_TEST


/* ------------------------------------------------------------ MX fast paths
 *
 * The SIMD MX x MX kernels (lib/x86/.../dot_*.c) sum chunks of 64 blocks as
 * int64 when the combined scale exponents ca + cb of the chunk span at most
 * W = 44 (MXFP4 x MXFP4), 30 (MXFP4 x MXFP8) or 16 (MXFP8 x MXFP8); a chunk
 * with a NaN scale, an E4M3 NaN, a wider span or a zero sum goes to the
 * reference.  These cases sit on both sides of those bounds, with all
 * elements at their largest magnitude, exact cancellation, zero blocks,
 * scales 0x00 and 0xFE, ragged chunk counts and unaligned pointers.  The
 * expected values come from the oracle; the same cases feed the ISA sweep. */

static const char *const mx_pairs[4][2] = {
    {"mxfp4", "mxfp4"}, {"mxfp4", "mxfp8_e4m3"}, {"mxfp8_e4m3", "mxfp4"},
    {"mxfp8_e4m3", "mxfp8_e4m3"}};
static const int mx_win[4] = {44, 30, 30, 16};
#define MX_KINDS 6

/* One operand: bdata with its buffers offset by `off` bytes from the
 * allocation (sbase/ebase). */
typedef struct mxop {
    bdata d;
    uint8_t *sbase, *ebase;
} mxop;

static uint64_t mx_code(int fp4, int kind, size_t i, int side)
{
    uint64_t r = rnd64();
    if (kind == 1) /* all at the largest magnitude, positive */
        return fp4 ? 0x7 : 0x7E;
    if (kind == 2) /* largest magnitude, signs that cancel pairwise */
        return (fp4 ? 0x7 : 0x7E) | (side && (i & 1) ? (fp4 ? 0x8 : 0x80) : 0);
    if (kind == 3) /* zeros: +0 on side 0, -0 on side 1 (products -0) */
        return side ? (fp4 ? 0x8 : 0x80) : 0;
    if (fp4)
        return r & 0xF;
    uint64_t c = r & 0xFF;
    if (kind == 5 && i == (side ? 40 * 32 + 3 : 20 * 32 + 8)) /* E4M3 NaNs in the first chunk */
        return side ? 0x7F : 0xFF;
    return (c & 0x7F) == 0x7F ? c ^ 1 : c;
}

/* Case (pair, kind, wsel, bsel) of nb blocks: scales spread over [0, W]
 * (wsel 0) or [0, W + 1] (wsel 1) in every chunk of 64, based at 0x00 on
 * both sides (bsel 0), 0x00 x 0xFE (bsel 1) or near 0xFE on both (bsel 2).
 * kind 0 random codes, 1 all max, 2 cancelling max, 3 zero blocks, 4 a NaN
 * scale in the second chunk, 5 an E4M3 NaN code in the first chunk. */
static void mx_make(mxop *o, int pair, int side, int kind, int wsel, int bsel, size_t nb,
                    size_t off)
{
    const char *name = mx_pairs[pair][side];
    bdata *d = &o->d;
    REQ(tp_block_from_name(name, &d->b) == TP_OK);
    size_t n = nb * 32, sbytes, ebytes;
    REQ(tp_block_storage(&d->b, n, &sbytes, &ebytes) == TP_OK);
    int fp4 = d->b.format == TP_BLOCK_MXFP4;
    o->sbase = calloc(sbytes + off + 1, 1);
    o->ebase = calloc(ebytes + off + 1, 1);
    d->s = o->sbase + off;
    d->e = o->ebase + off;
    d->scode = calloc(nb + 1, sizeof *d->scode);
    d->codes = calloc(n + 1, sizeof *d->codes);
    d->ts = 1.0f;
    int w = mx_win[pair] + wsel;
    for (size_t k = 0; k < nb; k++) {
        int t = (int)(k % 64), sp;
        if (kind == 1 || kind == 2)
            sp = t == 0 ? 0 : w; /* all but one block at the top of the window */
        else
            sp = t == 0 ? 0 : t == 1 ? w : (int)(rnd64() % (uint64_t)(w + 1));
        /* side 0 carries the spread (W + 1 <= 45), side 1 is fixed */
        int sc = side == 0 ? (bsel == 2 ? 254 - w + sp : sp) : (bsel == 0 ? 0 : 254);
        if (kind == 3)
            sc = 0;
        if (kind == 4 && k == 64 + 5 && side == 1)
            sc = 0xFF;
        d->scode[k] = (uint32_t)sc;
        d->s[k] = (uint8_t)sc;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t c = mx_code(fp4, kind, i, side);
        d->codes[i] = c;
        if (fp4)
            d->e[i / 2] |= (uint8_t)(c << (i % 2 ? 4 : 0));
        else
            d->e[i] = (uint8_t)c;
    }
}

static void mx_free(mxop *o)
{
    free(o->sbase);
    free(o->ebase);
    free(o->d.scode);
    free(o->d.codes);
}

static const size_t mx_nb[] = {1, 63, 64, 65, 3 * 64 + 5};

START_TEST(test_mx_fast)
{
    int pair = _i / (MX_KINDS * 2 * 3), r0 = _i % (MX_KINDS * 2 * 3);
    int kind = r0 / 6, wsel = (r0 / 3) % 2, bsel = r0 % 3;
    rng = tpt_seed() ^ (uint64_t)(_i * 131 + 17);
    for (size_t q = 0; q < sizeof mx_nb / sizeof mx_nb[0]; q++) {
        /* quick: one block count; kind 4 (a NaN scale in the second chunk)
         * the longest, the others one of the rest, rotating */
        if (quick && (kind == 4 ? q != 4 : q != (size_t)_i % 4))
            continue;
        size_t nb = mx_nb[q], n = nb * 32, off = q % 2;
        mxop A, B;
        mx_make(&A, pair, 0, kind, wsel, bsel, nb, off);
        mx_make(&B, pair, 1, kind, wsel, bsel, nb, off ^ 1);
        double *va = malloc(n * sizeof *va), *vb = malloc(n * sizeof *vb);
        bd_values(&A.d, n, va);
        bd_values(&B.d, n, vb);
        oxs o;
        ox_init(&o);
        for (size_t i = 0; i < n; i++)
            ox_add(&o, va[i], vb[i]);
        for (int k = 0; k < N_OUTS; k++) {
            const tp_format_desc *od = tp_format_get(outs[k]);
            for (int r = 0; r <= TP_RSR; r++) {
                uint32_t word = (uint32_t)rnd64();
                tp_sr sr = {&word, 0, 0};
                uint64_t got = 0xDEAD, exp = 0;
                unsigned gf = 0, ef = 0;
                tp_status st = tp_block_dot(&A.d.b, A.d.s, A.d.e, 1.0f, &B.d.b, B.d.s, B.d.e,
                                            1.0f, n, od, (tp_round)r, TP_OVF_DEFAULT, &sr, &got,
                                            &gf);
                ox_expect(&o, od, (tp_round)r, TP_OVF_DEFAULT, word, &exp, &ef);
                ck_assert_msg(st == TP_OK && got == exp && gf == ef,
                              "mx %s x %s kind=%d wsel=%d bsel=%d nb=%zu -> %s %s: got "
                              "0x%llx/%u (st %d), expected 0x%llx/%u",
                              mx_pairs[pair][0], mx_pairs[pair][1], kind, wsel, bsel, nb,
                              od->name, rnd_name[r], (unsigned long long)got, gf, (int)st,
                              (unsigned long long)exp, ef);
            }
        }
        ox_clear(&o);
        mx_free(&A);
        mx_free(&B);
        free(va);
        free(vb);
    }
}
END_TEST

/* ------------------------------------------------------------ ISA equivalence
 *
 * The re-exec harness of testutil.h (tpt_isa_add): each record (code,
 * status and flags of one call) is one piece; in detail mode the piece is
 * printed as text with the call that made it. */

#define ENV_DETAIL "TPT_DOT_DETAIL"
#define MAGIC UINT32_C(0x5450444F) /* "TPDO" */

typedef struct sink {
    FILE *f;
    long detail, piece;
    char ctx[160]; /* the call being recorded */
} sink;

static void put(sink *s, uint64_t code, unsigned flags, tp_status st)
{
    long k = s->piece++;
    uint64_t rec[2] = {code, ((uint64_t)st << 32) | flags};
    if (s->detail < 0)
        tpt_isa_put(s->f, tpt_fnv(TPT_FNV_INIT, rec, sizeof rec), 0);
    else if (k == s->detail)
        fprintf(s->f, "record %ld: %s\n  code 0x%llx flags 0x%x status %d\n", k, s->ctx,
                (unsigned long long)code, flags, (int)st);
}

/* The calls under test run in the child's floating-point environment
 * (testutil.h: TP_TEST_MXCSR); the inputs are made in the default one. */
static tp_status dot_env(const tp_format_desc *da, const void *a, size_t inca,
                         const tp_format_desc *db, const void *b, size_t incb, size_t n,
                         const tp_format_desc *od, tp_round r, uint64_t *c, unsigned *fl)
{
    tpt_fpenv_enter();
    tp_status st = tp_dot(da, a, inca, db, b, incb, n, od, r, TP_OVF_DEFAULT, NULL, c, fl);
    tpt_fpenv_leave();
    return st;
}

static tp_status block_dot_env(const tp_block_desc *ba, const uint8_t *sa, const void *ea,
                               float tsa, const tp_block_desc *bb, const uint8_t *sb,
                               const void *eb, float tsb, size_t n, const tp_format_desc *od,
                               tp_round r, uint64_t *c, unsigned *fl)
{
    tpt_fpenv_enter();
    tp_status st = tp_block_dot(ba, sa, ea, tsa, bb, sb, eb, tsb, n, od, r, TP_OVF_DEFAULT, NULL,
                                c, fl);
    tpt_fpenv_leave();
    return st;
}

/* The fixed sweep: every format pair at lengths around the chunk bounds,
 * strides, outputs in several modes; long E4M3/binary32/bfloat16 vectors;
 * block dots of every pair. */
static void sweep(sink *s)
{
    static const size_t lens[] = {0, 1, 7, 8, 33, 64, 100, 2047, 2049, 5000};
    rng = tpt_seed() ^ 0xABCDEF;
    size_t maxn = 5000 * 3;
    uint64_t *a = malloc(maxn * 8), *b = malloc(maxn * 8);
    for (int fa = 0; fa < TP_FORMAT_COUNT; fa++) {
        for (int fb = 0; fb < TP_FORMAT_COUNT; fb++) {
            const tp_format_desc *da = tp_format_get((tp_format)fa);
            const tp_format_desc *db = tp_format_get((tp_format)fb);
            for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
                size_t n = lens[li], inc = (li % 3 == 2) ? 3 : 1;
                if (n >= 2047 && (fa + fb) % 3 != 0)
                    continue;
                if (quick && n >= 2047 && (fa * TP_FORMAT_COUNT + fb) % 7 != 0)
                    continue; /* quick: the long lengths for one pair in 21 */
                int sp = li == 4;
                for (size_t i = 0; i < n; i++) {
                    store(da, a, i * inc, rand_code(da, sp));
                    store(db, b, i * 1, rand_code(db, sp));
                }
                static const struct {
                    tp_format f;
                    tp_round r;
                } o[] = {{TP_F64, TP_RNE}, {TP_F32, TP_RDN}, {TP_E4M3, TP_RTO}, {TP_BF16, TP_RUP}};
                for (int k = 0; k < 4; k++) {
                    uint64_t c = 0;
                    unsigned f = 0;
                    snprintf(s->ctx, sizeof s->ctx, "tp_dot %s (inc %zu) x %s, n %zu -> %s %s",
                             da->name, inc, db->name, n, tp_format_get(o[k].f)->name,
                             rnd_name[o[k].r]);
                    tp_status st = dot_env(da, a, inc, db, b, 1, n, tp_format_get(o[k].f), o[k].r,
                                           &c, &f);
                    put(s, c, f, st);
                }
            }
        }
    }
    free(a);
    free(b);
    /* long vectors of the SIMD paths; modes 10..13 hold binary32 / bfloat16
     * subnormals (DAZ would read them as zero) next to normal values, in
     * sums whose result depends on them */
    size_t n = 150000;
    uint8_t *x = malloc(n * 4), *y = malloc(n * 4);
    for (int mode = 0; mode < 14; mode++) {
        tp_format f = mode < 2 ? TP_E4M3 : mode < 4 ? TP_F32 : mode < 6 ? TP_BF16
                                                     : mode < 10 ? (mode < 8 ? TP_F32 : TP_BF16)
                                                     : mode % 2 == 0 ? TP_F32 : TP_BF16;
        const tp_format_desc *d = tp_format_get(f);
        /* quick: binary32 / bfloat16 vectors of a few chunks; E4M3 ones
         * still beyond its first SIMD chunk */
        size_t nm = quick && f != TP_E4M3 ? 9842 : n;
        for (size_t i = 0; i < nm; i++) {
            for (int t = 0; t < 2; t++) {
                uint64_t r = rnd64(), c;
                uint32_t u = (uint32_t)(r & 0x807FFFFFu) | (uint32_t)((r >> 40) % 254 + 1) << 23;
                if (mode >= 6) /* a narrow band (6, 8) or the staircase of test_long (7, 9) */
                    u = (uint32_t)(r & 0x807FFFFFu) |
                        (uint32_t)(mode % 2 == 0 ? 120 + (int)((r >> 40) % 8)
                                   : t == 0      ? 127
                                                 : 127 - (int)(i % (1 + (i / 2048) % 48))) << 23;
                if (mode >= 10) /* x: exponent field 0..3 (0: subnormal); y: moderate
                                 * (10, 11) or also exponent field 0..3 (12, 13) */
                    u = (uint32_t)(r & 0x807FFFFFu) |
                        (uint32_t)(t == 1 && mode < 12 ? 125 + (int)((r >> 40) % 6)
                                                       : (int)((r >> 40) % 4)) << 23;
                if (f == TP_E4M3)
                    c = (r & 0x7F) == 0x7F ? (r & 0xFE) : (r & 0xFF);
                else
                    c = f == TP_F32 ? u : u >> 16;
                store(d, t ? y : x, i, c);
            }
            if (mode % 2 == 1 && f == TP_E4M3) {
                store(d, x, i, 0x7E);
                store(d, y, i, (i & 1) ? 0x7E : 0xFE);
            }
        }
        if (mode % 2 == 1 && mode < 6 && f != TP_E4M3)
            store(d, x, nm / 3, f == TP_F32 ? 0x7F800000u : 0x7F80u); /* an Inf */
        for (size_t len = 1; len <= nm; len = len * 3 + 1) {
            uint64_t c = 0;
            unsigned fl = 0;
            snprintf(s->ctx, sizeof s->ctx, "long tp_dot %s x %s, mode %d, n %zu -> f64 rne",
                     d->name, d->name, mode, len);
            tp_status st = dot_env(d, x, 1, d, y, 1, len, tp_format_get(TP_F64), TP_RNE, &c, &fl);
            put(s, c, fl, st);
            snprintf(s->ctx, sizeof s->ctx, "long tp_dot %s x %s, mode %d, n %zu -> f32 rdn",
                     d->name, d->name, mode, len);
            st = dot_env(d, x, 1, d, y, 1, len, tp_format_get(TP_F32), TP_RDN, &c, &fl);
            put(s, c, fl, st);
        }
    }
    free(x);
    free(y);
    /* block dots */
    for (int ia = 0; ia < N_BLK; ia++) {
        for (int ib = 0; ib <= N_BLK; ib++) {
            bdata A, B;
            tp_block_desc bd;
            memset(&B, 0, sizeof B);
            tp_block_from_name(blk_names[ia], &bd);
            size_t len = 96 * 32;
            if (ib < N_BLK) {
                tp_block_desc b2;
                tp_block_from_name(blk_names[ib], &b2);
                if (!pair_ok(&bd, &b2))
                    continue;
                if (len % b2.block_size || len % bd.block_size)
                    len = (size_t)bd.block_size * b2.block_size * 8;
            }
            bd_make(&A, blk_names[ia], len, ia % 2, ia % 3 == 0);
            float *fb = malloc(len * sizeof *fb);
            for (size_t i = 0; i < len; i++)
                fb[i] = u2f((uint32_t)rand_code(tp_format_get(TP_F32), 0));
            if (ib < N_BLK)
                bd_make(&B, blk_names[ib], len, 0, ib % 3 == 0);
            uint64_t c = 0;
            unsigned fl = 0;
            if (TPT_SUBNORMAL_TS && A.b.format == TP_BLOCK_NVFP4 && ib % 2 == 1)
                A.ts = u2f(0x00012345u); /* a subnormal tensor scale */
            snprintf(s->ctx, sizeof s->ctx, "tp_block_dot %s (ts 0x%08x) x %s, n %zu -> f64 rne",
                     blk_names[ia], f2u(A.ts), ib < N_BLK ? blk_names[ib] : "binary32", len);
            tp_status st = block_dot_env(&A.b, A.s, A.e, A.ts, ib < N_BLK ? &B.b : NULL, B.s,
                                         ib < N_BLK ? (const void *)B.e : (const void *)fb, B.ts,
                                         len, tp_format_get(TP_F64), TP_RNE, &c, &fl);
            put(s, c, fl, st);
            bd_free(&A);
            if (ib < N_BLK)
                bd_free(&B);
            free(fb);
        }
    }
    /* the MX fast-path cases (test_mx_fast) */
    for (int pair = 0; pair < 4; pair++) {
        for (int r0 = 0; r0 < MX_KINDS * 2 * 3; r0++) {
            for (size_t q = 0; q < sizeof mx_nb / sizeof mx_nb[0]; q++) {
                /* quick: the block counts of test_mx_fast */
                if (quick && (r0 / 6 == 4 ? q != 4 : q != (size_t)(pair * MX_KINDS * 2 * 3 + r0) % 4))
                    continue;
                size_t nb = mx_nb[q], off = q % 2;
                mxop A, B;
                mx_make(&A, pair, 0, r0 / 6, (r0 / 3) % 2, r0 % 3, nb, off);
                mx_make(&B, pair, 1, r0 / 6, (r0 / 3) % 2, r0 % 3, nb, off ^ 1);
                static const struct {
                    tp_format f;
                    tp_round r;
                } o[] = {{TP_F64, TP_RNE}, {TP_F32, TP_RDN}, {TP_BF16, TP_RUP}};
                for (int k = 0; k < 3; k++) {
                    uint64_t c = 0;
                    unsigned fl = 0;
                    snprintf(s->ctx, sizeof s->ctx, "mx %s x %s, case %d, nb %zu -> %s %s",
                             mx_pairs[pair][0], mx_pairs[pair][1], r0, nb,
                             tp_format_get(o[k].f)->name, rnd_name[o[k].r]);
                    tp_status st = block_dot_env(&A.d.b, A.d.s, A.d.e, 1.0f, &B.d.b, B.d.s,
                                                 B.d.e, 1.0f, nb * 32, tp_format_get(o[k].f),
                                                 o[k].r, &c, &fl);
                    put(s, c, fl, st);
                }
                mx_free(&A);
                mx_free(&B);
            }
        }
    }
}

/* The child: the sweep, hashed or (detail >= 0) one record as text. */
static void isa_sweep(FILE *out, long detail)
{
    sink s = {out, detail, 0, ""};
    sweep(&s);
}

static void isa_explain(const char *isa, const unsigned char *a, size_t la,
                        const unsigned char *b, size_t lb)
{
    (void)la;
    (void)lb;
    printf("---- ref:\n%s---- %s:\n%s", a ? (const char *)a : "(none)\n", isa,
           b ? (const char *)b : "(none)\n");
}

static const tpt_isa_suite isa_suite = {
    "dot", "dot", "dot", ENV_OUT, ENV_DETAIL, MAGIC, "codes, flags, status", isa_sweep,
    isa_explain,
};

static Suite *dot_suite(void)
{
    Suite *s = suite_create("dot");
    TCase *tc = tcase_create("api");
    tcase_add_test(tc, test_api);
    tcase_add_test(tc, test_dot_acc);
    tcase_add_test(tc, test_round_exact);
    suite_add_tcase(s, tc);
    tc = tcase_create("oracle");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_pairs, 0, TP_FORMAT_COUNT * TP_FORMAT_COUNT);
    tcase_add_loop_test(tc, test_long, 0, 14 * 7);
    tcase_add_loop_test(tc, test_blocks, 0, N_BLK * (N_BLK + 1));
    tcase_add_loop_test(tc, test_mx_fast, 0, 4 * MX_KINDS * 2 * 3);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    int status = 0;
    (void)argc;
    quick = tpt_quick();
    if (tpt_isa_child(&isa_suite, &status))
        return status;
    tpt_banner("dot");
    if (quick)
        printf("# tier: quick (reduced sweeps)\n");
    Suite *s = dot_suite();
    tpt_isa_add(s, &isa_suite, argv[0]);
    return tpt_run(s);
}
