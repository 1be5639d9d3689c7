/*
 * check_codec.c -- the element codecs against the MPFR oracle, bit for bit,
 * flags included.
 *
 *  - decode: every code of every format of 16 bits or fewer (a sample of
 *    binary32/binary64 codes), array and scalar forms, and the
 *    decode -> encode round trip in every mode and policy;
 *  - every binary16 and every bfloat16 input to every narrower format, every
 *    mode (stochastic rounding with caller bits and with the generator) and
 *    every policy, codes and per-element flags;
 *  - a strided and a random binary32 sweep plus every rounding boundary of
 *    every format (midpoints, +-1 ulp, overflow thresholds, subnormal edges,
 *    zeros, infinities, NaN payloads);
 *  - binary64 inputs: double-rounding traps, values between binary32
 *    neighbours, random patterns;
 *  - the hard cases of tests/data/codec_hard.txt.
 *
 * The expected value of every comparison comes from tests/oracle.
 *
 * Under TP_TEST_TIER=quick (testutil.h) the same tests run on fewer values:
 * of a format wider than 8 bits (and of the binary16 / bfloat16 sources)
 * every 61st code plus the codes near zero, near the largest magnitudes
 * and at every binade edge; a 61 times sparser binary32 stride; a 20th
 * (or less) of the random samples.  Formats of at most 8 bits stay
 * exhaustive.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "testutil.h"

/* Check's ck_assert records every passing assertion (a write to the parent
 * process), which costs more than the conversions themselves in the hot
 * loops here: these macros only call into Check on failure. */
#define REQUIRE(expr)                                                                      \
    do {                                                                                   \
        if (!(expr))                                                                       \
            ck_abort_msg("%s:%d: assertion failed: %s", __FILE__, __LINE__, #expr);        \
    } while (0)
#define REQUIRE_MSG(expr, ...)                                                             \
    do {                                                                                   \
        if (!(expr))                                                                       \
            ck_abort_msg(__VA_ARGS__);                                                     \
    } while (0)

/* Nonzero in the reduced tier (TP_TEST_TIER=quick); set by main(). */
static int quick;

/* Quick tier: whether magnitude index m (0..top) of format d is kept: all
 * of them when top < 256, else every 61st, the 8 smallest and the 8
 * largest, and for floats the first and last significand of every binade
 * (the subnormal/normal boundary among them). */
static int quick_keep(const tp_format_desc *d, uint64_t m, uint64_t top)
{
    uint64_t mm = (UINT64_C(1) << d->man_bits) - 1;
    if (top < 256 || m % 61 == 0 || m < 8 || m + 8 > top)
        return 1;
    return d->kind == TP_KIND_FLOAT && d->man_bits > 0 && ((m & mm) == 0 || (m & mm) == mm);
}

/* Quick tier: whether code c of a format of at most 16 bits is kept (on
 * its magnitude bits; for integers both ends of either sign). */
static int quick_keep_code(const tp_format_desc *d, uint64_t c)
{
    uint64_t top = (UINT64_C(1) << (d->bits - (d->sign ? 1 : 0))) - 1;
    return quick_keep(d, c & top, top);
}

/* ------------------------------------------------------------ formats */

/* Hand-built user formats (checked with tp_format_check in a test). */
static const tp_format_desc user_formats[] = {
    /* name     kind           bits sign e  m  inf          nan          flags bias scale */
    {"e3m3", TP_KIND_FLOAT, 7, 1, 3, 3, TP_INF_IEEE, TP_NAN_IEEE, 0, 3, 0},
    {"ue5m3", TP_KIND_FLOAT, 8, 0, 5, 3, TP_INF_NONE, TP_NAN_NONE, 0, 15, 0},
    {"e5m6", TP_KIND_FLOAT, 12, 1, 5, 6, TP_INF_IEEE, TP_NAN_IEEE, 0, 15, 0},
    {"int12s3", TP_KIND_INT, 12, 1, 0, 0, TP_INF_NONE, TP_NAN_NONE, 0, 0, -3},
};
#define N_USER ((int)(sizeof user_formats / sizeof user_formats[0]))
#define N_FMT (TP_FORMAT_COUNT + N_USER)

static const tp_format_desc *fmt_desc(int i)
{
    if (i < TP_FORMAT_COUNT)
        return tp_format_get((tp_format)i);
    return &user_formats[i - TP_FORMAT_COUNT];
}

static const char *fmt_name(const tp_format_desc *d)
{
    return d->name != NULL ? d->name : "(user)";
}

/* The enum of a built-in format, or -1 for a user format. */
static int fmt_enum(int i)
{
    return i < TP_FORMAT_COUNT ? i : -1;
}

static size_t code_size(const tp_format_desc *d)
{
    if (d->bits <= 8)
        return 1;
    if (d->bits <= 16)
        return 2;
    return d->bits == 32 ? 4 : 8;
}

static uint64_t get_code(const void *buf, size_t sz, size_t i)
{
    const unsigned char *p = (const unsigned char *)buf + i * sz;
    uint8_t b8;
    uint16_t b16;
    uint32_t b32;
    uint64_t b64;
    switch (sz) {
    case 1:
        memcpy(&b8, p, 1);
        return b8;
    case 2:
        memcpy(&b16, p, 2);
        return b16;
    case 4:
        memcpy(&b32, p, 4);
        return b32;
    default:
        memcpy(&b64, p, 8);
        return b64;
    }
}

static void set_code(void *buf, size_t sz, size_t i, uint64_t c)
{
    unsigned char *p = (unsigned char *)buf + i * sz;
    uint8_t b8 = (uint8_t)c;
    uint16_t b16 = (uint16_t)c;
    uint32_t b32 = (uint32_t)c;
    switch (sz) {
    case 1:
        memcpy(p, &b8, 1);
        break;
    case 2:
        memcpy(p, &b16, 2);
        break;
    case 4:
        memcpy(p, &b32, 4);
        break;
    default:
        memcpy(p, &c, 8);
        break;
    }
}

static uint32_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint64_t d2u(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static double u2d(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n != 0 ? n : 1);
    REQUIRE_MSG(p != NULL, "out of memory");
    return p;
}

/* ------------------------------------------------------------ mismatches */

#define MAX_PRINTED 25
static long g_mismatches;

static const char *const mode_names[] = {"rne", "rna", "rtz", "rup", "rdn", "rto", "rsr",
                                         "rsr-gen"};
static const char *const ovf_names[] = {"default", "sat", "nonsat"};

static void mismatch(const char *what, const tp_format_desc *d, int mode, int ovf, int src64,
                     uint64_t in, uint64_t rbits, uint64_t ec, unsigned ef, uint64_t gc,
                     unsigned gf)
{
    g_mismatches++;
    if (g_mismatches > MAX_PRINTED) {
        if (g_mismatches == MAX_PRINTED + 1)
            printf("  ... further mismatches not printed\n");
        fflush(stdout);
        return;
    }
    printf("  MISMATCH %s: format %s mode %s policy %s input %s 0x%0*llx (%a) rbits 0x%08llx: "
           "expected code 0x%llx flags 0x%x, got code 0x%llx flags 0x%x\n",
           what, fmt_name(d), mode >= 0 ? mode_names[mode] : "-", ovf >= 0 ? ovf_names[ovf] : "-",
           src64 ? "f64" : "f32", src64 ? 16 : 8, (unsigned long long)in,
           src64 ? u2d(in) : (double)u2f((uint32_t)in), (unsigned long long)rbits,
           (unsigned long long)ec, ef, (unsigned long long)gc, gf);
    fflush(stdout); /* a failing Check child may not flush stdio */
}

static void finish(const char *test)
{
    fflush(stdout);
    REQUIRE_MSG(g_mismatches == 0, "%s: %ld mismatches against the oracle", test, g_mismatches);
}

/* ------------------------------------------------------------ encode batches */

static const int chunk_sizes[] = {64, 1, 37, 256, 7, 100, 2, 500, 3, 64, 129};
#define N_CHUNK_SIZES ((int)(sizeof chunk_sizes / sizeof chunk_sizes[0]))

/*
 * Encodes n inputs (binary32 `in32` or binary64 `in64`) to format index fi
 * in `mode` (0..6 = tp_round, 7 = TP_RSR from the generator) and policy ovf,
 * three ways: the array API on chunks of varying size (codes and each
 * chunk's flags), and tp_encode1 per element (code and flags); all against
 * the oracle.  Returns the number of mismatches it found.
 */
static long encode_batch(int fi, const float *in32, const double *in64, size_t n, int mode,
                         tp_overflow ovf, uint64_t *rng)
{
    const tp_format_desc *d = fmt_desc(fi);
    int fe = fmt_enum(fi);
    size_t sz = code_size(d);
    tp_round rnd = mode == 7 ? TP_RSR : (tp_round)mode;
    uint32_t *rb = xmalloc(n * sizeof *rb);
    uint64_t *ec = xmalloc(n * sizeof *ec);
    unsigned *ef = xmalloc(n * sizeof *ef);
    unsigned char *out = xmalloc(n * sz);
    uint64_t seed = tpt_rand64(rng), counter0 = tpt_rand64(rng);
    long before = g_mismatches;
    size_t i, off;
    int k = 0;

    for (i = 0; i < n; i++) {
        double x = in64 != NULL ? in64[i] : (double)in32[i];
        if (mode == 6)
            rb[i] = (uint32_t)(tpt_rand64(rng) >> 32);
        else if (mode == 7)
            rb[i] = orc_sr_word(seed, counter0 + i);
        else
            rb[i] = 0;
        ef[i] = 0;
        REQUIRE(orc_encode(d, x, rnd, ovf, rb[i], &ec[i], &ef[i]) == 0);
    }
    memset(out, 0xA5, n * sz);

    /* array form, chunk by chunk */
    for (off = 0; off < n; k++) {
        size_t len = (size_t)chunk_sizes[k % N_CHUNK_SIZES], j;
        unsigned fl = 0x100, want = 0x100;
        tp_sr sr;
        const tp_sr *psr = NULL;
        tp_status st;
        if (len > n - off)
            len = n - off;
        if (mode == 6) {
            sr.bits = rb + off;
            sr.seed = 0;
            sr.counter = 0;
            psr = &sr;
        } else if (mode == 7) {
            sr.bits = NULL;
            sr.seed = seed;
            sr.counter = counter0 + off;
            psr = &sr;
        }
        if (in64 != NULL) {
            st = (fe >= 0 && (k & 1) == 0)
                     ? tp_encode_f64((tp_format)fe, in64 + off, out + off * sz, len, rnd, ovf, psr, &fl)
                     : tp_encode_f64_desc(d, in64 + off, out + off * sz, len, rnd, ovf, psr, &fl);
        } else {
            st = (fe >= 0 && (k & 1) == 0)
                     ? tp_encode_f32((tp_format)fe, in32 + off, out + off * sz, len, rnd, ovf, psr, &fl)
                     : tp_encode_f32_desc(d, in32 + off, out + off * sz, len, rnd, ovf, psr, &fl);
        }
        REQUIRE_MSG(st == TP_OK, "encode %s returned %d (%s)", fmt_name(d), (int)st,
                      tp_status_string(st));
        for (j = off; j < off + len; j++) {
            uint64_t got = get_code(out, sz, j);
            uint64_t inb = in64 != NULL ? d2u(in64[j]) : f2u(in32[j]);
            want |= ef[j];
            if (got != ec[j])
                mismatch("array code", d, mode, (int)ovf, in64 != NULL, inb, rb[j], ec[j], ef[j],
                         got, 0);
        }
        if (fl != want) {
            /* name the first element with a flag the chunk lacks (a flag raised
             * in excess cannot be attributed: tp_encode1 checks each element) */
            size_t bad = off;
            char what[80];
            for (j = off; j < off + len; j++) {
                if ((ef[j] & (fl ^ want)) != 0) {
                    bad = j;
                    break;
                }
            }
            snprintf(what, sizeof what, "array flags of chunk [%zu, %zu), element %zu", off,
                     off + len, bad);
            mismatch(what, d, mode, (int)ovf, in64 != NULL,
                     in64 != NULL ? d2u(in64[bad]) : f2u(in32[bad]), rb[bad], ec[bad], want,
                     get_code(out, sz, bad), fl);
        }
        off += len;
    }

    /* scalar form */
    for (i = 0; i < n; i++) {
        double x = in64 != NULL ? in64[i] : (double)in32[i];
        uint64_t got = 0;
        unsigned gf = 0;
        tp_status st = tp_encode1(d, x, rnd, ovf, rb[i], &got, &gf);
        if (st != TP_OK || got != ec[i] || gf != ef[i])
            mismatch(st != TP_OK ? "tp_encode1 status" : "tp_encode1", d, mode, (int)ovf,
                     in64 != NULL, in64 != NULL ? d2u(in64[i]) : f2u(in32[i]), rb[i], ec[i], ef[i],
                     got, gf);
    }

    free(rb);
    free(ec);
    free(ef);
    free(out);
    return g_mismatches - before;
}

/* Runs every mode (including the generator) and every policy. */
static void encode_all_modes(int fi, const float *in32, const double *in64, size_t n,
                             uint64_t *rng)
{
    int mode, ovf;
    for (mode = 0; mode < 8; mode++)
        for (ovf = 0; ovf < 3; ovf++)
            encode_batch(fi, in32, in64, n, mode, (tp_overflow)ovf, rng);
}

/* ------------------------------------------------------------ tests: setup */

START_TEST(test_user_formats_valid)
{
    int i;
    for (i = 0; i < N_USER; i++)
        REQUIRE_MSG(tp_format_check(&user_formats[i]) == TP_OK, "user format %s rejected",
                      user_formats[i].name);
    for (i = 0; i < TP_FORMAT_COUNT; i++) {
        const tp_format_desc *d = tp_format_get((tp_format)i);
        REQUIRE_MSG(d != NULL, "built-in format %d missing", i);
        REQUIRE_MSG(tp_format_check(d) == TP_OK, "built-in %s rejected", fmt_name(d));
    }
}
END_TEST

START_TEST(test_sr_word)
{
    uint64_t rng = tpt_seed() ^ 0x5157u;
    int i;
    static const uint64_t fixed[][2] = {
        {0, 0}, {0, 1}, {1, 0}, {UINT64_MAX, UINT64_MAX}, {0x123456789ABCDEFu, 42}};
    for (i = 0; i < 5; i++)
        ck_assert_uint_eq(tp_sr_word(fixed[i][0], fixed[i][1]),
                          orc_sr_word(fixed[i][0], fixed[i][1]));
    for (i = 0; i < (quick ? 2000 : 100000); i++) {
        uint64_t s = tpt_rand64(&rng), c = tpt_rand64(&rng);
        if (tp_sr_word(s, c) != orc_sr_word(s, c)) {
            ck_abort_msg("tp_sr_word(0x%llx, 0x%llx) = 0x%x, expected 0x%x",
                         (unsigned long long)s, (unsigned long long)c, tp_sr_word(s, c),
                         orc_sr_word(s, c));
        }
    }
}
END_TEST

/* ------------------------------------------------------------ tests: decode */

/* The codes to test for format d: all of them up to 16 bits, else a sample
 * (quick: quick_keep_code's share of them, and a smaller sample). */
static uint64_t *codes_of(const tp_format_desc *d, size_t *n, uint64_t *rng)
{
    uint64_t *c;
    size_t i, k = 0;
    if (d->bits <= 16) {
        size_t all = (size_t)1 << d->bits;
        c = xmalloc(all * sizeof *c);
        for (i = 0; i < all; i++)
            if (!quick || quick_keep_code(d, i))
                c[k++] = i;
        *n = k;
        return c;
    }
    *n = quick ? 3000 : 70000;
    c = xmalloc(*n * sizeof *c);
    if (d->bits == 32) {
        static const uint32_t sp[] = {0, 0x80000000u, 1, 0x807FFFFFu, 0x00800000u, 0x7F7FFFFFu,
                                      0x7F800000u, 0xFF800000u, 0x7F800001u, 0x7FC00000u,
                                      0xFFFFFFFFu, 0x7FBFFFFFu, 0x3F800000u};
        for (i = 0; i < sizeof sp / sizeof sp[0]; i++)
            c[k++] = sp[i];
        for (i = 0; k < (quick ? 1700u : 40000u); i++)
            c[k++] = (uint32_t)(i * (quick ? 107377u * 23u : 107377u));
        while (k < *n)
            c[k++] = tpt_rand64(rng) >> 32;
    } else {
        static const uint64_t sp[] = {0, UINT64_C(0x8000000000000000), 1,
                                      UINT64_C(0x000FFFFFFFFFFFFF), UINT64_C(0x0010000000000000),
                                      UINT64_C(0x7FEFFFFFFFFFFFFF), UINT64_C(0x7FF0000000000000),
                                      UINT64_C(0xFFF0000000000000), UINT64_C(0x7FF0000000000001),
                                      UINT64_C(0x7FF8000000000000), UINT64_C(0xFFFFFFFFFFFFFFFF),
                                      UINT64_C(0x7FF7FFFFFFFFFFFF), UINT64_C(0x3FF0000000000000)};
        for (i = 0; i < sizeof sp / sizeof sp[0]; i++)
            c[k++] = sp[i];
        while (k < *n)
            c[k++] = tpt_rand64(rng);
    }
    return c;
}

START_TEST(test_decode_all_codes)
{
    int fi = _i;
    const tp_format_desc *d = fmt_desc(fi);
    int fe = fmt_enum(fi);
    size_t sz = code_size(d), n, i;
    uint64_t rng = tpt_seed() ^ (uint64_t)(fi + 1) * 0x1000193u;
    uint64_t *codes = codes_of(d, &n, &rng);
    unsigned char *src = xmalloc(n * sz);
    double *o64 = xmalloc(n * sizeof *o64);
    float *o32 = xmalloc(n * sizeof *o32);
    unsigned want64 = 0x100, want32 = 0x100, fl64 = 0x100, fl32 = 0x100;
    int f32_ok;
    uint32_t probe;
    tp_status st;

    g_mismatches = 0;
    for (i = 0; i < n; i++)
        set_code(src, sz, i, codes[i]);
    f32_ok = orc_decode_f32(d, 0, &probe, NULL) == 0;

    st = fe >= 0 ? tp_decode_f64((tp_format)fe, src, o64, n, &fl64)
                 : tp_decode_f64_desc(d, src, o64, n, &fl64);
    REQUIRE_MSG(st == TP_OK, "tp_decode_f64 %s: %s", fmt_name(d), tp_status_string(st));
    st = fe >= 0 ? tp_decode_f32((tp_format)fe, src, o32, n, &fl32)
                 : tp_decode_f32_desc(d, src, o32, n, &fl32);
    if (!f32_ok) {
        REQUIRE_MSG(st == TP_ERR_FORMAT, "tp_decode_f32 %s should be refused", fmt_name(d));
        ck_assert_uint_eq(fl32, 0x100);
    } else {
        REQUIRE_MSG(st == TP_OK, "tp_decode_f32 %s: %s", fmt_name(d), tp_status_string(st));
    }

    for (i = 0; i < n; i++) {
        uint64_t e64, g64;
        unsigned ef = 0, gf = 0;
        double x1 = 0;
        REQUIRE(orc_decode_f64(d, codes[i], &e64, &ef) == 0);
        want64 |= ef;
        if (d2u(o64[i]) != e64)
            mismatch("tp_decode_f64", d, -1, -1, 1, codes[i], 0, e64, ef, d2u(o64[i]), 0);
        st = tp_decode1(d, codes[i], &x1, &gf);
        g64 = d2u(x1);
        if (st != TP_OK || g64 != e64 || gf != ef)
            mismatch("tp_decode1", d, -1, -1, 1, codes[i], 0, e64, ef, g64, gf);
        if (f32_ok) {
            uint32_t e32;
            unsigned ef32 = 0;
            REQUIRE(orc_decode_f32(d, codes[i], &e32, &ef32) == 0);
            want32 |= ef32;
            if (f2u(o32[i]) != e32)
                mismatch("tp_decode_f32", d, -1, -1, 0, codes[i], 0, e32, ef32, f2u(o32[i]), 0);
        }
    }
    if (fl64 != want64)
        mismatch("tp_decode_f64 flags", d, -1, -1, 1, 0, 0, 0, want64, 0, fl64);
    if (f32_ok && fl32 != want32)
        mismatch("tp_decode_f32 flags", d, -1, -1, 0, 0, 0, 0, want32, 0, fl32);

    free(codes);
    free(src);
    free(o64);
    free(o32);
    finish("decode");
}
END_TEST

/* Codes with bits beyond the width are refused, with nothing written. */
START_TEST(test_decode_bad_code)
{
    int fi = _i;
    const tp_format_desc *d = fmt_desc(fi);
    int fe = fmt_enum(fi);
    size_t sz = code_size(d), i;
    unsigned char src[4 * 8];
    double o64[4];
    float o32[4];
    unsigned fl = 0x100;
    double x1 = -7.0;
    uint64_t bad;
    tp_status st;
    uint64_t tmp;

    if ((size_t)d->bits == sz * 8) /* the storage has no spare bits */
        return;
    bad = (uint64_t)1 << d->bits;
    REQUIRE(orc_decode_f64(d, bad, &tmp, NULL) == -1);
    for (i = 0; i < 3; i++)
        set_code(src, sz, i, i);
    set_code(src, sz, 3, bad | 1);
    for (i = 0; i < 4; i++) {
        o64[i] = -7.0;
        o32[i] = -7.0f;
    }
    st = fe >= 0 ? tp_decode_f64((tp_format)fe, src, o64, 4, &fl)
                 : tp_decode_f64_desc(d, src, o64, 4, &fl);
    ck_assert_int_eq(st, TP_ERR_CODE);
    st = fe >= 0 ? tp_decode_f32((tp_format)fe, src, o32, 4, &fl)
                 : tp_decode_f32_desc(d, src, o32, 4, &fl);
    ck_assert_int_eq(st, TP_ERR_CODE);
    st = tp_decode_f64_desc(d, src, o64, 4, &fl);
    ck_assert_int_eq(st, TP_ERR_CODE);
    for (i = 0; i < 4; i++) {
        REQUIRE_MSG(o64[i] == -7.0 && o32[i] == -7.0f, "%s: output written on TP_ERR_CODE",
                      fmt_name(d));
    }
    ck_assert_uint_eq(fl, 0x100);
    /* the top storage bit too */
    set_code(src, sz, 0, (uint64_t)1 << (sz * 8 - 1));
    st = tp_decode_f64_desc(d, src, o64, 1, &fl);
    ck_assert_int_eq(st, TP_ERR_CODE);
    st = tp_decode1(d, bad, &x1, &fl);
    ck_assert_int_eq(st, TP_ERR_CODE);
    REQUIRE(x1 == -7.0);
    ck_assert_uint_eq(fl, 0x100);
}
END_TEST

/* Every finite non-NaN code re-encodes to itself in every mode and policy,
 * exactly and without flags; other codes re-encode as the oracle says (a
 * NaN code to a NaN code). */
START_TEST(test_round_trip)
{
    int fi = _i;
    const tp_format_desc *d = fmt_desc(fi);
    size_t n, i;
    uint64_t rng = tpt_seed() ^ (uint64_t)(fi + 7) * 0x9E3779B9u;
    uint64_t *codes = codes_of(d, &n, &rng);
    int sym_neg = d->kind == TP_KIND_INT && (d->flags & TP_DESC_SYMMETRIC) != 0;
    int f32_ok;
    uint32_t probe;
    int mode, ovf;

    g_mismatches = 0;
    f32_ok = orc_decode_f32(d, 0, &probe, NULL) == 0;
    for (i = 0; i < n; i++) {
        uint64_t vb;
        unsigned df = 0;
        double v;
        int finite, identity;
        REQUIRE(orc_decode_f64(d, codes[i], &vb, &df) == 0);
        v = u2d(vb);
        finite = isfinite(v);
        identity = finite && !(sym_neg && codes[i] == ((uint64_t)1 << (d->bits - 1)));
        for (mode = 0; mode < 7; mode++) {
            for (ovf = 0; ovf < 3; ovf++) {
                uint32_t rb = (uint32_t)(tpt_rand64(&rng) >> 32);
                uint64_t ec, gc = 0;
                unsigned ef = 0, gf = 0;
                tp_status st;
                REQUIRE(orc_encode(d, v, (tp_round)mode, (tp_overflow)ovf, rb, &ec, &ef) == 0);
                if (identity && (ec != codes[i] || ef != 0)) {
                    /* the oracle itself breaks the round trip */
                    mismatch("oracle round trip", d, mode, ovf, 1, vb, rb, codes[i], 0, ec, ef);
                }
                if (isnan(v)) {
                    uint64_t nb;
                    REQUIRE(orc_decode_f64(d, ec, &nb, NULL) == 0);
                    /* NaN re-encodes silently, except into E8M0, where the
                     * foundation issue makes a NaN scale input invalid */
                    unsigned want = (d->flags & TP_DESC_NO_ZERO) ? TP_FLAG_INVALID : 0;
                    if (!isnan(u2d(nb)) || ef != want)
                        mismatch("NaN round trip (oracle)", d, mode, ovf, 1, vb, rb, 0, 0, ec, ef);
                }
                st = tp_encode1(d, v, (tp_round)mode, (tp_overflow)ovf, rb, &gc, &gf);
                if (st != TP_OK || gc != ec || gf != ef)
                    mismatch("round trip tp_encode1", d, mode, ovf, 1, vb, rb, ec, ef, gc, gf);
                if (f32_ok) {
                    float v32 = (float)v;
                    size_t sz = code_size(d);
                    unsigned char out[8];
                    unsigned fl = 0;
                    tp_sr sr = {&rb, 0, 0};
                    st = tp_encode_f32_desc(d, &v32, out, 1, (tp_round)mode, (tp_overflow)ovf,
                                            &sr, &fl);
                    if (isnan(v)) {
                        /* binary32 widening keeps the top payload bits: ask the oracle */
                        ec = 0;
                        ef = 0;
                        REQUIRE(orc_encode(d, (double)v32, (tp_round)mode, (tp_overflow)ovf, rb,
                                             &ec, &ef) == 0);
                    }
                    if (st != TP_OK || get_code(out, sz, 0) != ec || fl != ef)
                        mismatch("round trip tp_encode_f32", d, mode, ovf, 0, f2u(v32), rb, ec,
                                 ef, get_code(out, sz, 0), fl);
                }
            }
        }
    }
    free(codes);
    finish("round trip");
}
END_TEST

/* ------------------------------------------------------------ tests: 16-bit sweep */

/* Every binary16 (source 0) or bfloat16 (source 1) pattern as a float
 * (quick: quick_keep_code's share of them); *n of them. */
static float *half_inputs(int source, size_t *n)
{
    float *in = xmalloc(65536 * sizeof *in);
    const tp_format_desc *src = tp_format_get(source == 0 ? TP_F16 : TP_BF16);
    uint32_t i;
    size_t k = 0;
    for (i = 0; i < 65536; i++) {
        if (quick && !quick_keep_code(src, i))
            continue;
        if (source == 0) {
            uint32_t b;
            REQUIRE(orc_decode_f32(src, i, &b, NULL) == 0);
            in[k++] = u2f(b);
        } else {
            in[k++] = u2f(i << 16);
        }
    }
    *n = k;
    return in;
}

/* Targets of the 16-bit sweep: every format of at most 16 bits. */
static int sweep16_target(int fi)
{
    return fmt_desc(fi)->bits <= 16;
}

START_TEST(test_sweep_f16_bf16)
{
    int fi = _i;
    uint64_t rng = tpt_seed() ^ (uint64_t)(fi + 3) * 0xC2B2AE35u;
    int source;
    if (!sweep16_target(fi))
        return;
    g_mismatches = 0;
    for (source = 0; source < 2; source++) {
        float *in;
        size_t n;
        if ((source == 0 && fi == TP_F16) || (source == 1 && fi == TP_BF16))
            continue;
        in = half_inputs(source, &n);
        encode_all_modes(fi, in, NULL, n, &rng);
        free(in);
    }
    finish("binary16/bfloat16 sweep");
}
END_TEST

/* ------------------------------------------------------------ tests: binary32 */

/* Appends x and -x. */
static void push2(float *v, size_t *k, size_t cap, float x)
{
    if (*k + 2 <= cap) {
        v[(*k)++] = x;
        v[(*k)++] = -x;
    }
}

/* Every boundary of format d as binary32 inputs: each representable value,
 * each midpoint between consecutive values (up to the first value beyond the
 * largest finite one), each +-1 binary32 ulp, the overflow thresholds, the
 * subnormal edges, zeros, infinities and NaN payloads. */
static float *boundary_inputs_f32(const tp_format_desc *d, size_t *n)
{
    uint64_t maxm, c;
    size_t cap, k = 0;
    float *v;
    static const uint32_t nans[] = {0x7FC00000u, 0x7F800001u, 0x7FA00000u, 0x7FFFFFFFu,
                                    0x7F812345u, 0x7FC12345u, 0x7FBFFFFFu, 0x7FD55555u,
                                    0x7F900000u, 0x7FE00001u};
    size_t i;

    REQUIRE(orc_max_mag(d, &maxm) == 0);
    cap = (size_t)(maxm + 4) * 14 + 200;
    v = xmalloc(cap * sizeof *v);
    for (c = 0; c <= maxm + 2; c++) {
        double a, b, mid;
        float fa, fm;
        if (quick && !quick_keep(d, c, maxm + 2))
            continue;
        REQUIRE(orc_grid_value(d, c, &a) == 0);
        REQUIRE(orc_grid_value(d, c + 1, &b) == 0);
        mid = (a + b) / 2;
        if ((double)(float)a == a && isfinite((float)a)) {
            fa = (float)a;
            push2(v, &k, cap, fa);
            push2(v, &k, cap, nextafterf(fa, INFINITY));
            if (fa != 0)
                push2(v, &k, cap, nextafterf(fa, 0));
        }
        if ((double)(float)mid == mid && isfinite((float)mid)) {
            fm = (float)mid;
            push2(v, &k, cap, fm);
            push2(v, &k, cap, nextafterf(fm, INFINITY));
            push2(v, &k, cap, nextafterf(fm, 0));
        }
    }
    {
        double mn, mx;
        REQUIRE(orc_grid_value(d, 1, &mn) == 0);
        REQUIRE(orc_grid_value(d, maxm, &mx) == 0);
        if (d->kind == TP_KIND_FLOAT && (d->flags & TP_DESC_NO_ZERO) != 0)
            REQUIRE(orc_grid_value(d, 0, &mn) == 0);
        push2(v, &k, cap, (float)(mn / 4));
        push2(v, &k, cap, (float)(mn * 0.75));
        push2(v, &k, cap, (float)(mn / 2));
        push2(v, &k, cap, (float)(mn / 1024));
        push2(v, &k, cap, (float)(mn * 1.25));
        if (isfinite((float)(mx * 2))) {
            push2(v, &k, cap, (float)(mx * 2));
            push2(v, &k, cap, (float)(mx * 4));
        }
    }
    push2(v, &k, cap, 0.0f);
    push2(v, &k, cap, INFINITY);
    push2(v, &k, cap, FLT_MAX);
    push2(v, &k, cap, FLT_MIN);
    push2(v, &k, cap, nextafterf(FLT_MIN, 0));
    push2(v, &k, cap, u2f(1));
    push2(v, &k, cap, 1.0f);
    push2(v, &k, cap, 0x1p-127f);
    push2(v, &k, cap, 0x1p-128f);
    push2(v, &k, cap, 0x1.4p-127f);
    push2(v, &k, cap, 0x1.8p-127f);
    push2(v, &k, cap, 0x1.8p127f);
    for (i = 0; i < sizeof nans / sizeof nans[0]; i++)
        push2(v, &k, cap, u2f(nans[i]));
    *n = k;
    return v;
}

START_TEST(test_f32_boundaries)
{
    int fi = _i;
    const tp_format_desc *d = fmt_desc(fi);
    uint64_t rng = tpt_seed() ^ (uint64_t)(fi + 11) * 0x27D4EB2Fu;
    size_t n;
    float *in;
    g_mismatches = 0;
    if (d->bits > 16) {
        /* binary32/binary64 targets: the specials and edges of binary32 */
        static const uint32_t sp[] = {0, 1, 2, 0x007FFFFFu, 0x00800000u, 0x00800001u, 0x3F800000u,
                                      0x7F7FFFFFu, 0x7F800000u, 0x7F800001u, 0x7FC00000u,
                                      0x7FA00000u, 0x7FFFFFFFu, 0x7F812345u, 0x7FC12345u};
        size_t i;
        n = 2 * sizeof sp / sizeof sp[0];
        in = xmalloc(n * sizeof *in);
        for (i = 0; i < n / 2; i++) {
            in[2 * i] = u2f(sp[i]);
            in[2 * i + 1] = u2f(sp[i] | 0x80000000u);
        }
    } else {
        in = boundary_inputs_f32(d, &n);
    }
    encode_all_modes(fi, in, NULL, n, &rng);
    free(in);
    finish("binary32 boundaries");
}
END_TEST

/* The oracle itself, against a brute-force search of the decoded value table:
 * for an in-range finite input, RTZ gives the largest magnitude not above |x|
 * and RNE the nearest one (ties to the even code).  This checks the oracle's
 * quantum arithmetic by a different route. */
START_TEST(test_oracle_vs_table)
{
    int fi = _i;
    const tp_format_desc *d = fmt_desc(fi);
    uint64_t maxm, c;
    double *val;
    size_t n, i;
    float *in;
    g_mismatches = 0;
    if (d->kind != TP_KIND_FLOAT || d->bits > 16)
        return;
    REQUIRE(orc_max_mag(d, &maxm) == 0);
    val = xmalloc((size_t)(maxm + 1) * sizeof *val);
    for (c = 0; c <= maxm; c++) {
        uint64_t b;
        REQUIRE(orc_decode_f64(d, c, &b, NULL) == 0);
        val[c] = u2d(b);
        REQUIRE_MSG(c == 0 || val[c] > val[c - 1], "%s: values not increasing at 0x%llx",
                    fmt_name(d), (unsigned long long)c);
    }
    in = boundary_inputs_f32(d, &n);
    for (i = 0; i < n; i++) {
        double ax = fabs((double)in[i]);
        uint64_t lo = 0, hi = maxm, t, r, got;
        unsigned fl;
        if (!(ax >= val[0] && ax <= val[maxm]) || ax == 0 || signbit(in[i]))
            continue;
        /* largest code with val <= ax */
        while (lo < hi) {
            uint64_t mid = lo + (hi - lo + 1) / 2;
            if (val[mid] <= ax)
                lo = mid;
            else
                hi = mid - 1;
        }
        t = lo;
        r = t;
        if (val[t] != ax && t < maxm) {
            double dl = ax - val[t], du = val[t + 1] - ax; /* exact: few significant bits */
            if (du < dl || (du == dl && (t & 1) != 0))
                r = t + 1;
        }
        fl = 0;
        REQUIRE(orc_encode(d, ax, TP_RTZ, TP_OVF_SAT, 0, &got, &fl) == 0);
        if (got != t)
            mismatch("oracle RTZ vs table", d, TP_RTZ, TP_OVF_SAT, 0, f2u((float)ax), 0, t, 0,
                     got, fl);
        fl = 0;
        REQUIRE(orc_encode(d, ax, TP_RNE, TP_OVF_SAT, 0, &got, &fl) == 0);
        if (got != r)
            mismatch("oracle RNE vs table", d, TP_RNE, TP_OVF_SAT, 0, f2u((float)ax), 0, r, 0,
                     got, fl);
    }
    free(in);
    free(val);
    finish("oracle vs value table");
}
END_TEST

/* Strided and random binary32 patterns.  RNE under the default policy takes
 * every 4099th pattern; every other (mode, policy) a 13 times sparser
 * stride with its own offset; plus a seeded random sample in every mode. */
#define F32_STRIDE 4099u
#define F32_SPARSE (4099u * 13u)
#define F32_RANDOM 20000u
#define QUICK_F32 61u /* quick: strides this much longer, this many times fewer random */

START_TEST(test_f32_sweep)
{
    int fi = _i;
    uint64_t rng = tpt_seed() ^ (uint64_t)(fi + 5) * 0x165667B1u;
    size_t cap = (size_t)(UINT32_MAX / F32_STRIDE) + 2, n;
    float *in = xmalloc(cap * sizeof *in);
    int mode, ovf;
    g_mismatches = 0;
    for (mode = 0; mode < 8; mode++) {
        for (ovf = 0; ovf < 3; ovf++) {
            uint64_t u, stride = (mode == 0 && ovf == 0) ? F32_STRIDE : F32_SPARSE;
            uint64_t start = (uint64_t)(mode * 3 + ovf) * 977u % stride;
            if (quick)
                stride *= QUICK_F32;
            n = 0;
            for (u = start; u <= UINT32_MAX; u += stride)
                in[n++] = u2f((uint32_t)u);
            encode_batch(fi, in, NULL, n, mode, (tp_overflow)ovf, &rng);
            for (n = 0; n < (quick ? F32_RANDOM / QUICK_F32 : F32_RANDOM); n++)
                in[n] = u2f((uint32_t)(tpt_rand64(&rng) >> 32));
            encode_batch(fi, in, NULL, n, mode, (tp_overflow)ovf, &rng);
        }
    }
    free(in);
    finish("binary32 sweep");
}
END_TEST

/* ------------------------------------------------------------ tests: binary64 */

static void push2d(double *v, size_t *k, size_t cap, double x)
{
    if (*k + 2 <= cap) {
        v[(*k)++] = x;
        v[(*k)++] = -x;
    }
}

START_TEST(test_f64_inputs)
{
    int fi = _i;
    const tp_format_desc *d = fmt_desc(fi);
    uint64_t rng = tpt_seed() ^ (uint64_t)(fi + 13) * 0x85EBCA77u;
    size_t cap = 600000, k = 0, i;
    double *v = xmalloc(cap * sizeof *v);
    static const uint64_t sp[] = {
        0, 1, UINT64_C(0x000FFFFFFFFFFFFF), UINT64_C(0x0010000000000000),
        UINT64_C(0x7FEFFFFFFFFFFFFF), UINT64_C(0x7FF0000000000000), UINT64_C(0x7FF0000000000001),
        UINT64_C(0x7FF8000000000000), UINT64_C(0x7FF8000000000001), UINT64_C(0x7FF4000000000000),
        UINT64_C(0x7FFFFFFFFFFFFFFF), UINT64_C(0x7FF0000020000000), UINT64_C(0x7FF000001FFFFFFF),
        UINT64_C(0x7FFA5A5A5A5A5A5A), UINT64_C(0x3FF0000000000000),
        UINT64_C(0x47EFFFFFE0000000), /* FLT_MAX */
        UINT64_C(0x47EFFFFFF0000000), /* FLT_MAX + half ulp: binary32 overflow threshold */
        UINT64_C(0x47EFFFFFEFFFFFFF), UINT64_C(0x47EFFFFFF0000001),
        UINT64_C(0x36A0000000000000), /* 2^-149 */
        UINT64_C(0x3690000000000000), /* 2^-150 */
        UINT64_C(0x3690000000000001), UINT64_C(0x368FFFFFFFFFFFFF),
        UINT64_C(0x3FF1000004000000), /* 1 + 2^-4 + 2^-30: e4m3 RNE 0x39 */
    };
    uint64_t maxm, c;

    g_mismatches = 0;
    for (i = 0; i < sizeof sp / sizeof sp[0]; i++)
        push2d(v, &k, cap, u2d(sp[i]));

    /* boundaries of the format, nudged below binary32 resolution */
    REQUIRE(orc_max_mag(d, &maxm) == 0);
    if (maxm <= 0xFFFF) {
        for (c = 0; c <= maxm + 1; c++) {
            double a, b, mid;
            int e;
            if (quick && !quick_keep(d, c, maxm + 1))
                continue;
            REQUIRE(orc_grid_value(d, c, &a) == 0);
            REQUIRE(orc_grid_value(d, c + 1, &b) == 0);
            mid = (a + b) / 2;
            if (!isfinite(mid))
                continue;
            frexp(mid, &e);
            push2d(v, &k, cap, mid);
            push2d(v, &k, cap, nextafter(mid, 0));
            push2d(v, &k, cap, nextafter(mid, INFINITY));
            push2d(v, &k, cap, mid + ldexp(1.0, e - 40)); /* within half a binary32 ulp */
            push2d(v, &k, cap, mid - ldexp(1.0, e - 40));
            if (c % 4 == 0)
                push2d(v, &k, cap, nextafter(a, INFINITY));
        }
    }

    /* between binary32 neighbours: eighths, including the exact midpoint */
    for (i = 0; i < (quick ? 150u : 3000u); i++) {
        float a = u2f((uint32_t)(tpt_rand64(&rng) >> 33)); /* positive */
        float b = nextafterf(a, INFINITY);
        int j;
        if (!isfinite(b))
            continue;
        for (j = 1; j < 8; j++)
            push2d(v, &k, cap, (double)a + ((double)b - (double)a) * j / 8);
    }
    /* random binary64 patterns: all of them, and a band of exponents that
     * reaches the narrow formats */
    for (i = 0; i < (quick ? 400u : 8000u); i++)
        push2d(v, &k, cap, u2d(tpt_rand64(&rng)));
    for (i = 0; i < (quick ? 800u : 16000u); i++) {
        uint64_t r = tpt_rand64(&rng);
        uint64_t e = 1023 - 160 + (r >> 55) % 300;
        push2d(v, &k, cap, u2d((e << 52) | (tpt_rand64(&rng) & UINT64_C(0x000FFFFFFFFFFFFF))));
    }
    encode_all_modes(fi, NULL, v, k, &rng);
    free(v);
    finish("binary64 inputs");
}
END_TEST

/* The double-rounding trap named in the contract, stated on its own. */
START_TEST(test_double_rounding_trap)
{
    double x = 1.0 + 0x1p-4 + 0x1p-30;
    uint8_t out = 0;
    unsigned fl = 0;
    uint64_t c1 = 0;
    ck_assert_int_eq(tp_encode_f64(TP_E4M3, &x, &out, 1, TP_RNE, TP_OVF_DEFAULT, NULL, &fl), TP_OK);
    ck_assert_uint_eq(out, 0x39);
    ck_assert_uint_eq(fl, TP_FLAG_INEXACT);
    fl = 0;
    ck_assert_int_eq(tp_encode1(tp_format_get(TP_E4M3), x, TP_RNE, TP_OVF_DEFAULT, 0, &c1, &fl),
                     TP_OK);
    ck_assert_uint_eq(c1, 0x39);
    ck_assert_uint_eq(fl, TP_FLAG_INEXACT);
}
END_TEST

/* ------------------------------------------------------------ tests: hard cases */

static int user_by_name(const char *name)
{
    int i;
    for (i = 0; i < N_USER; i++)
        if (strcmp(user_formats[i].name, name) == 0)
            return TP_FORMAT_COUNT + i;
    return -1;
}

static int index_of(const char *const *names, int n, const char *s)
{
    int i;
    for (i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

START_TEST(test_hard_cases)
{
    const char *top = getenv("top_srcdir");
    char path[4096], line[512];
    FILE *fp;
    long lines = 0, cases = 0;
    g_mismatches = 0;
    snprintf(path, sizeof path, "%s/tests/data/codec_hard.txt", top != NULL ? top : ".");
    fp = fopen(path, "r");
    REQUIRE_MSG(fp != NULL, "cannot open %s (set top_srcdir)", path);
    while (fgets(line, sizeof line, fp) != NULL) {
        char fname[32], mname[16], pname[16], src[8];
        unsigned long long inb, rb, want, wantfl;
        int fi, mode, ovf, src64;
        tp_format fe;
        const tp_format_desc *d;
        uint64_t oc, gc = 0;
        unsigned of = 0, gf = 0;
        double x;
        tp_status st;
        lines++;
        if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
            continue;
        if (sscanf(line, "%31s %15s %15s %7s %llx %llx %llx %llx", fname, mname, pname, src, &inb,
                   &rb, &want, &wantfl) != 8)
            ck_abort_msg("%s:%ld: malformed line", path, lines);
        if (tp_format_from_name(fname, &fe) == TP_OK)
            fi = (int)fe;
        else
            fi = user_by_name(fname);
        mode = index_of(mode_names, 7, mname);
        ovf = index_of(ovf_names, 3, pname);
        src64 = strcmp(src, "f64") == 0;
        REQUIRE_MSG(fi >= 0 && mode >= 0 && ovf >= 0 && (src64 || strcmp(src, "f32") == 0),
                      "%s:%ld: unknown name", path, lines);
        d = fmt_desc(fi);
        x = src64 ? u2d((uint64_t)inb) : (double)u2f((uint32_t)inb);
        cases++;
        /* the oracle must agree with the recorded value */
        REQUIRE(orc_encode(d, x, (tp_round)mode, (tp_overflow)ovf, (uint32_t)rb, &oc, &of) == 0);
        if (oc != want || of != wantfl) {
            printf("  %s:%ld: the oracle disagrees with the data file\n", path, lines);
            mismatch("oracle vs data", d, mode, ovf, src64, inb, rb, want, (unsigned)wantfl, oc,
                     of);
        }
        /* the library: scalar and array forms */
        st = tp_encode1(d, x, (tp_round)mode, (tp_overflow)ovf, (uint32_t)rb, &gc, &gf);
        if (st != TP_OK || gc != want || gf != wantfl)
            mismatch("hard case tp_encode1", d, mode, ovf, src64, inb, rb, want,
                     (unsigned)wantfl, gc, gf);
        {
            unsigned char out[8];
            uint32_t r32 = (uint32_t)rb;
            tp_sr sr = {&r32, 0, 0};
            float xf = (float)x;
            gf = 0;
            st = src64 ? tp_encode_f64_desc(d, &x, out, 1, (tp_round)mode, (tp_overflow)ovf, &sr, &gf)
                       : tp_encode_f32_desc(d, &xf, out, 1, (tp_round)mode, (tp_overflow)ovf, &sr,
                                            &gf);
            gc = get_code(out, code_size(d), 0);
            if (st != TP_OK || gc != want || gf != wantfl)
                mismatch("hard case array", d, mode, ovf, src64, inb, rb, want, (unsigned)wantfl,
                         gc, gf);
        }
    }
    fclose(fp);
    printf("# %ld hard cases from %s\n", cases, path);
    REQUIRE_MSG(cases > 0, "no hard cases in %s", path);
    finish("hard cases");
}
END_TEST

/* ------------------------------------------------------------ suite */

static Suite *codec_suite(void)
{
    Suite *s = suite_create("codec");
    TCase *tc;

    tc = tcase_create("setup");
    tcase_add_test(tc, test_user_formats_valid);
    tcase_add_test(tc, test_sr_word);
    tcase_add_test(tc, test_double_rounding_trap);
    suite_add_tcase(s, tc);

    tc = tcase_create("decode");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_decode_all_codes, 0, N_FMT);
    tcase_add_loop_test(tc, test_decode_bad_code, 0, N_FMT);
    tcase_add_loop_test(tc, test_round_trip, 0, N_FMT);
    suite_add_tcase(s, tc);

    tc = tcase_create("sweep16");
    tcase_set_timeout(tc, 900);
    tcase_add_loop_test(tc, test_sweep_f16_bf16, 0, N_FMT);
    suite_add_tcase(s, tc);

    tc = tcase_create("binary32");
    tcase_set_timeout(tc, 900);
    tcase_add_loop_test(tc, test_oracle_vs_table, 0, N_FMT);
    tcase_add_loop_test(tc, test_f32_boundaries, 0, N_FMT);
    tcase_add_loop_test(tc, test_f32_sweep, 0, N_FMT);
    suite_add_tcase(s, tc);

    tc = tcase_create("binary64");
    tcase_set_timeout(tc, 900);
    tcase_add_loop_test(tc, test_f64_inputs, 0, N_FMT);
    suite_add_tcase(s, tc);

    tc = tcase_create("hard");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_hard_cases);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    tpt_banner("check_codec");
    quick = tpt_quick();
    if (quick)
        printf("# tier: quick (reduced sweeps)\n");
    return tpt_run(codec_suite());
}
