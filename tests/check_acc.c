/*
 * check_acc.c -- the exact accumulators (tp_acc, tp_acc128) against the MPFR
 * oracle (tests/oracle/oracle_acc.h).  Every comparison is on bits and
 * flags: every built-in output format, every rounding mode, both overflow
 * policies.
 *
 * Under TP_TEST_TIER=quick (testutil.h) every test runs on fewer values:
 * a stride through the exhaustive product table (its edge codes kept whole),
 * fewer random sums and iterations, shorter arrays.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "oracle_acc.h"
#include "testutil.h"

static uint64_t d2u(double x)
{
    uint64_t u;
    memcpy(&u, &x, 8);
    return u;
}

static double u2d(uint64_t u)
{
    double x;
    memcpy(&x, &u, 8);
    return x;
}

/* Nonzero in the reduced tier (TP_TEST_TIER=quick); set by main(). */
static int quick;

static const tp_format_desc *F(int f)
{
    return tp_format_get((tp_format)f);
}

/* ------------------------------------------------------------ twins
 * A library accumulator and the oracle's list of the same terms. */
typedef struct twin {
    tp_acc a;
    ora_sum *o;
} twin;

static void tw_init(twin *t)
{
    ck_assert_int_eq(tp_acc_init(&t->a), TP_OK);
    if (t->o == NULL)
        t->o = ora_new();
    ora_clear(t->o);
}

static void tw_free(twin *t)
{
    ora_free(t->o);
    t->o = NULL;
}

static void tw_f64(twin *t, double x)
{
    ck_assert_int_eq(tp_acc_add_f64(&t->a, x), TP_OK);
    ora_add_f64(t->o, x);
}

static void tw_prod(twin *t, double x, double y)
{
    ck_assert_int_eq(tp_acc_add_prod_f64(&t->a, x, y), TP_OK);
    ora_add_prod_f64(t->o, x, y);
}

static void tw_code(twin *t, int f, uint64_t c)
{
    ck_assert_int_eq(tp_acc_add_code(&t->a, F(f), c), TP_OK);
    ck_assert_int_eq(ora_add_code(t->o, F(f), c), 0);
}

static void tw_prod_codes(twin *t, int fa, uint64_t ca, int fb, uint64_t cb)
{
    ck_assert_int_eq(tp_acc_add_prod_codes(&t->a, F(fa), ca, F(fb), cb), TP_OK);
    ck_assert_int_eq(ora_add_prod_codes(t->o, F(fa), ca, F(fb), cb), 0);
}

static const char *what_ctx = "";
static long n_checks;

/* Compares one rounding of the accumulator with the oracle. */
static void cmp1(const tp_acc *a, const ora_sum *o, int f, int r, int ov, uint32_t rb)
{
    uint64_t got = 0, want = 0;
    unsigned gf = 0, wf = 0;
    ck_assert_int_eq(tp_acc_round(a, F(f), (tp_round)r, (tp_overflow)ov, rb, &got, &gf), TP_OK);
    ck_assert_int_eq(ora_round(o, F(f), (tp_round)r, (tp_overflow)ov, rb, &want, &wf), 0);
    n_checks++;
    if (got != want || gf != wf)
        ck_abort_msg("%s: format %s mode %d ovf %d rbits %08x: got %#llx flags %#x, "
                     "oracle %#llx flags %#x",
                     what_ctx, F(f)->name, r, ov, (unsigned)rb, (unsigned long long)got, gf,
                     (unsigned long long)want, wf);
}

static const uint32_t rb_set[] = {0u, 1u, 0x80000000u, 0xFFFFFFFFu, 0x12345678u};

/* Every format, every mode, both explicit policies (and the default). */
static void check_all(const tp_acc *a, const ora_sum *o)
{
    for (int f = 0; f < TP_FORMAT_COUNT; f++)
        for (int r = 0; r <= TP_RSR; r++)
            for (int ov = 0; ov <= TP_OVF_NONSAT; ov++) {
                if (r == TP_RSR) {
                    for (size_t k = 0; k < sizeof rb_set / sizeof rb_set[0]; k++)
                        cmp1(a, o, f, r, ov, rb_set[k]);
                } else {
                    cmp1(a, o, f, r, ov, 0);
                }
            }
}

/* One format, every mode and policy. */
static void check_format(const tp_acc *a, const ora_sum *o, int f)
{
    for (int r = 0; r <= TP_RSR; r++)
        for (int ov = 0; ov <= TP_OVF_NONSAT; ov++) {
            if (r == TP_RSR) {
                for (size_t k = 0; k < sizeof rb_set / sizeof rb_set[0]; k++)
                    cmp1(a, o, f, r, ov, rb_set[k]);
            } else {
                cmp1(a, o, f, r, ov, 0);
            }
        }
}

/* As check_all, plus the same after a serialisation round trip and after
 * negation (against the negated oracle terms). */
static void check_twin(twin *t)
{
    check_all(&t->a, t->o);
    uint8_t buf[TP_ACC_SERIAL_BYTES];
    tp_acc b;
    ck_assert_int_eq(tp_acc_serialize(&t->a, buf, sizeof buf), TP_OK);
    ck_assert_int_eq(tp_acc_deserialize(&b, buf, sizeof buf), TP_OK);
    for (int r = 0; r <= TP_RDN; r++)
        cmp1(&b, t->o, TP_F64, r, 0, 0);
    ck_assert_int_eq(tp_acc_negate(&b), TP_OK);
    ora_sum *neg = ora_new();
    ora_add_sum(neg, t->o, 1);
    for (int f = 0; f < TP_FORMAT_COUNT; f++)
        for (int r = 0; r <= TP_RTO; r++)
            cmp1(&b, neg, f, r, 0, 0);
    ora_free(neg);
}

/* ------------------------------------------------------------ random data */

static uint64_t rng;

static uint64_t r64(void)
{
    return tpt_rand64(&rng);
}

/* A random finite binary64 with exponent in [lo, hi] (any sign). */
static double rand_f64(int lo, int hi)
{
    uint64_t m = r64() & ((UINT64_C(1) << 52) - 1);
    int e = lo + (int)(r64() % (uint64_t)(hi - lo + 1));
    double x = ldexp(1.0 + ldexp((double)m, -52), e); /* exact or subnormal-rounded */
    if (e < -1022)
        x = ldexp((double)(r64() & ((UINT64_C(1) << 52) - 1)), -1074);
    return (r64() & 1) ? -x : x;
}

/* A random binary64 bit pattern (any class, biased to edges). */
static double rand_bits_f64(void)
{
    uint64_t u = r64();
    switch (r64() % 8) {
    case 0: u &= UINT64_C(0x800FFFFFFFFFFFFF); break;        /* subnormal / zero */
    case 1: u |= UINT64_C(0x7FE0000000000000); u &= ~(UINT64_C(1) << 52); break; /* huge */
    case 2: u = (u & UINT64_C(0x8000000000000000)) | UINT64_C(0x7FEFFFFFFFFFFFFF); break;
    default: break;
    }
    if (((u >> 52) & 0x7FF) == 0x7FF)
        u &= ~(UINT64_C(1) << 62); /* keep finite */
    return u2d(u);
}

/* ------------------------------------------------------------ tests */

START_TEST(test_banner)
{
    rng = tpt_seed();
    printf("check_acc: seed %#llx, TP_ACC_WORDS %d, serial %d bytes\n",
           (unsigned long long)rng, TP_ACC_WORDS, TP_ACC_SERIAL_BYTES);
}
END_TEST

START_TEST(test_args)
{
    tp_acc a, b;
    tp_acc128 n, m;
    uint64_t c;
    uint8_t buf[TP_ACC_SERIAL_BYTES];
    tp_format_desc bad = *F(TP_E4M3);
    bad.bits = 3;
    ck_assert_int_eq(tp_acc_init(NULL), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc_init(&a), TP_OK);
    ck_assert_int_eq(tp_acc_init(&b), TP_OK);
    ck_assert_int_eq(tp_acc_add_f64(NULL, 1.0), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc_add_f64_array(&a, NULL, 1), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc_add_f64_array(&a, NULL, 0), TP_OK);
    ck_assert_int_eq(tp_acc_add_f64_array(NULL, (const double *)NULL, 0), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc_add_prod_f64(NULL, 1, 1), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc_add_code(&a, NULL, 0), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc_add_code(NULL, F(TP_E4M3), 0), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc_add_code(&a, &bad, 0), TP_ERR_DESCRIPTOR);
    ck_assert_int_eq(tp_acc_add_code(&a, F(TP_E4M3), 0x100), TP_ERR_CODE);
    ck_assert_int_eq(tp_acc_add_code(&a, F(TP_E2M1), 0x10), TP_ERR_CODE);
    ck_assert_int_eq(tp_acc_add_prod_codes(&a, F(TP_E4M3), 1, F(TP_E2M1), 0x10), TP_ERR_CODE);
    ck_assert_int_eq(tp_acc_add_prod_codes(&a, F(TP_E4M3), 1, NULL, 1), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc_merge(NULL, &a), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc_merge(&a, NULL), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc_negate(NULL), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc_round(NULL, F(TP_F32), TP_RNE, TP_OVF_DEFAULT, 0, &c, NULL), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc_round(&a, NULL, TP_RNE, TP_OVF_DEFAULT, 0, &c, NULL), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc_round(&a, F(TP_F32), TP_RNE, TP_OVF_DEFAULT, 0, NULL, NULL), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc_round(&a, &bad, TP_RNE, TP_OVF_DEFAULT, 0, &c, NULL), TP_ERR_DESCRIPTOR);
    ck_assert_int_eq(tp_acc_round(&a, F(TP_F32), (tp_round)7, TP_OVF_DEFAULT, 0, &c, NULL), TP_ERR_ROUND);
    ck_assert_int_eq(tp_acc_round(&a, F(TP_F32), TP_RNE, (tp_overflow)3, 0, &c, NULL), TP_ERR_POLICY);
    ck_assert_int_eq(tp_acc_serialize(NULL, buf, sizeof buf), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc_serialize(&a, NULL, sizeof buf), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc_serialize(&a, buf, sizeof buf - 1), TP_ERR_ARG);
    ck_assert_int_eq(tp_acc_deserialize(NULL, buf, sizeof buf), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc_deserialize(&a, NULL, sizeof buf), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc_serialize(&a, buf, sizeof buf), TP_OK);
    ck_assert_int_eq(tp_acc_deserialize(&a, buf, sizeof buf - 1), TP_ERR_DATA);
    ck_assert_int_eq(tp_acc128_init(NULL), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc128_init(&n), TP_OK);
    ck_assert_int_eq(tp_acc128_init(&m), TP_OK);
    ck_assert_int_eq(tp_acc128_add_code(NULL, F(TP_E4M3), 1), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc128_add_code(&n, F(TP_E4M3), 0x1FF), TP_ERR_CODE);
    ck_assert_int_eq(tp_acc128_add_prod_codes(&n, &bad, 1, F(TP_E4M3), 1), TP_ERR_DESCRIPTOR);
    ck_assert_int_eq(tp_acc128_merge(NULL, &m), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc128_round(&n, F(TP_F32), (tp_round)9, 0, 0, &c, NULL), TP_ERR_ROUND);
    ck_assert_int_eq(tp_acc128_round(&n, F(TP_F32), TP_RNE, 0, 0, NULL, NULL), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc128_to_acc(NULL, &a), TP_ERR_NULL);
    ck_assert_int_eq(tp_acc128_to_acc(&n, NULL), TP_ERR_NULL);
    /* an empty accumulator is +0 in every mode */
    for (int r = 0; r <= TP_RSR; r++) {
        ck_assert_int_eq(tp_acc_round(&a, F(TP_F64), (tp_round)r, 0, 0, &c, NULL), TP_OK);
        ck_assert_uint_eq(c, 0);
        ck_assert_int_eq(tp_acc128_round(&n, F(TP_F16), (tp_round)r, 0, 0, &c, NULL), TP_OK);
        ck_assert_uint_eq(c, 0);
    }
}
END_TEST

/* The adversarial table (research/exact.md 3.4) and friends. */
START_TEST(test_adversarial)
{
    twin t = {0};
    const double M = DBL_MAX, tiny = 0x1p-1074;
    static const double cases[][6] = {
        {1e308, 1, -1e308, 0, 0, 0},
        {1e308, 1e308, -1e308, 0, 0, 0},
        {DBL_MAX, DBL_MAX, -DBL_MAX, -DBL_MAX, 1e-300, 0},
        {1, 0x1p-1074, -1, 0, 0, 0},
        {1, 0x1p-53, 0x1p-106, 0, 0, 0},
        {1, 0x1p-53, 0x1p-53, 0, 0, 0},
        {-1, -0x1p-53, 0x1p-1074, 0, 0, 0},
        {-DBL_MAX, -1, 0, 0, 0, 0},
        {DBL_MAX, 0x1p970, 0, 0, 0, 0},
        {DBL_MAX, 0x1p969, 0, 0, 0, 0},
        {DBL_MAX, 0x1p969, 0x1p-1074, 0, 0, 0},
        {-DBL_MAX, -0x1p969, 0, 0, 0, 0},
        {0x1p-1022, -0x1p-1074, 0, 0, 0, 0},
        {0x1p-1022, -0x1p-1023, 0x1p-1074, 0, 0, 0},
        {65504, 16, 0, 0, 0, 0},
        {65520, 0, 0, 0, 0, 0},
        {448, 16, 0, 0, 0, 0},
        {3.4028234663852886e38, 0x1p103, 0, 0, 0, 0},
        {3.4028234663852886e38, 0x1p103, -0x1p-1074, 0, 0, 0},
        {0x1p-149, -0x1p-151, 0, 0, 0, 0},
        {0x1p-150, 0, 0, 0, 0, 0},
        {0x1p-150, 0x1p-1074, 0, 0, 0, 0},
        {-0x1p-150, -0x1p-1074, 0, 0, 0, 0},
        {0x1p-24, -0x1p-26, 0, 0, 0, 0},
        {1, -0x1p-60, 0, 0, 0, 0},
        {-1, 0x1p-60, 0, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char ctx[64];
        snprintf(ctx, sizeof ctx, "adversarial case %zu", i);
        what_ctx = ctx;
        tw_init(&t);
        for (int j = 0; j < 6; j++)
            if (cases[i][j] != 0)
                tw_f64(&t, cases[i][j]);
        check_twin(&t);
    }
    /* transient overflow with a finite result, via products */
    what_ctx = "transient overflow products";
    tw_init(&t);
    tw_prod(&t, M, M);
    tw_prod(&t, M, 2.0);
    tw_prod(&t, -M, M);
    tw_f64(&t, 3.0);
    check_twin(&t);
    /* cancellation to exactly 0 and to a subnormal with full-range products */
    what_ctx = "cancel to subnormal";
    tw_init(&t);
    tw_prod(&t, 0x1p1000, 0x1p1000);
    tw_prod(&t, tiny, tiny);
    tw_prod(&t, -0x1p1000, 0x1p1000);
    tw_prod(&t, 0x1p-1000, 0x1p-100);
    tw_prod(&t, -0x1p-1000, 0x1p-100);
    tw_f64(&t, 0x1.8p-1070);
    check_twin(&t);
    what_ctx = "cancel to zero";
    tw_init(&t);
    tw_prod(&t, 3.0, 0x1p-1074);
    tw_f64(&t, -0x1p-1073);
    tw_f64(&t, -0x1p-1074);
    tw_f64(&t, 1e300);
    tw_f64(&t, -1e300);
    check_twin(&t);
    what_ctx = "lowest product bit";
    tw_init(&t);
    tw_prod(&t, tiny, tiny);
    check_twin(&t);
    tw_prod(&t, -tiny, 3 * tiny);
    check_twin(&t);
    tw_init(&t);
    tw_prod(&t, M, M);
    tw_prod(&t, tiny, -tiny);
    check_twin(&t);
    tw_free(&t);
}
END_TEST

/* Special values and signed zeros. */
START_TEST(test_specials)
{
    twin t = {0};
    const double inf = INFINITY, nan = u2d(UINT64_C(0x7FF8000000000001));
    const double nnan = u2d(UINT64_C(0xFFF4000000000000));
    static const int sets[][5] = {
        /* indices into vals: 0 +0, 1 -0, 2 +1, 3 -1, 4 +Inf, 5 -Inf, 6 NaN, 7 -sNaN, 8 none */
        {1, 1, 8, 8, 8}, {1, 8, 8, 8, 8}, {0, 8, 8, 8, 8}, {0, 1, 8, 8, 8},
        {1, 1, 1, 0, 8}, {2, 3, 8, 8, 8}, {2, 3, 1, 8, 8}, {3, 2, 0, 1, 8},
        {4, 2, 8, 8, 8}, {5, 3, 8, 8, 8}, {4, 5, 8, 8, 8}, {4, 6, 8, 8, 8},
        {6, 8, 8, 8, 8}, {7, 2, 8, 8, 8}, {4, 4, 1, 8, 8}, {5, 0, 2, 8, 8},
        {6, 4, 5, 8, 8}, {5, 5, 8, 8, 8},
    };
    const double vals[] = {0.0, -0.0, 1.0, -1.0, inf, -inf, nan, nnan};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        char ctx[64];
        snprintf(ctx, sizeof ctx, "special set %zu", i);
        what_ctx = ctx;
        tw_init(&t);
        for (int j = 0; j < 5; j++)
            if (sets[i][j] != 8)
                tw_f64(&t, vals[sets[i][j]]);
        check_twin(&t);
    }
    /* products: 0 x Inf, Inf x -1, -0 x 5, NaN x 0 */
    static const double prods[][2] = {{0.0, INFINITY}, {-INFINITY, -0.0}, {INFINITY, -1.0},
                                      {-0.0, 5.0}, {-0.0, -0.0}, {0.0, -3.0}};
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < 6; j++) {
            what_ctx = "special products";
            tw_init(&t);
            tw_prod(&t, prods[i][0], prods[i][1]);
            tw_prod(&t, prods[j][0], prods[j][1]);
            check_twin(&t);
        }
    what_ctx = "nan x 0";
    tw_init(&t);
    tw_prod(&t, nan, 0.0);
    check_twin(&t);
    /* codes: E4M3 NaN, FNUZ NaN (0x80), e5m2 -Inf, ue4m3 invalid code, -0 codes */
    what_ctx = "special codes";
    tw_init(&t);
    tw_code(&t, TP_E4M3, 0x80);
    tw_code(&t, TP_E5M2, 0x80);
    tw_code(&t, TP_F16, 0x8000);
    check_twin(&t);
    tw_init(&t);
    tw_code(&t, TP_E5M2, 0xFC);
    tw_code(&t, TP_E4M3, 0x7E);
    check_twin(&t);
    tw_code(&t, TP_E4M3FNUZ, 0x80);
    check_twin(&t);
    tw_init(&t);
    tw_code(&t, TP_UE4M3, 0x85);
    check_twin(&t);
    tw_init(&t);
    tw_prod_codes(&t, TP_E5M2, 0x7C, TP_E2M1, 0x08); /* Inf x -0 */
    check_twin(&t);
    tw_free(&t);
}
END_TEST

/* tsum-style coverage: for every output format, sums that sit on, just
 * above and just below ties and grid points, with sticky bits far below the
 * rounding point (down to 2^-2148), in both signs. */
START_TEST(test_rounding_paths)
{
    int f = _i;
    twin t = {0};
    char ctx[96];
    const tp_format_desc *d = F(f);
    uint64_t maxmag;
    ck_assert_int_eq(orc_max_mag(d, &maxmag), 0);
    static const double stick[] = {0, 0x1p-1074, -0x1p-1074, 0x1p-600, -0x1p-600};
    /* quick: the six edge codes and two random ones, and one sticky term per
     * (code, sign, part), rotating so that every (sign, part, sticky) triple
     * still occurs */
    int nk = quick ? 8 : 20;
    for (int k = 0; k < nk; k++) {
        /* a magnitude code: edges first, then random */
        uint64_t c;
        if (k < 6) {
            static const int edge[] = {0, 1, 2, -1, -2, -3};
            c = edge[k] >= 0 ? (uint64_t)edge[k] : maxmag + 1 + (uint64_t)(edge[k] + 1);
        } else {
            c = r64() % (maxmag + 1);
        }
        if (d->bits == 64 && k >= 6)
            c = d2u(fabs(rand_f64(-1074, 1023)));
        double g0, g1;
        if (orc_grid_value(d, c, &g0) != 0 || orc_grid_value(d, c + 1, &g1) != 0)
            continue;
        if (!isfinite(g1) || !isfinite(g0))
            continue;
        double h = (g1 - g0) / 2;         /* half a step: exact */
        if (h == 0 || !isfinite(h))
            continue;
        for (int sgn = 0; sgn < 2; sgn++)
            for (size_t s = 0; s < sizeof stick / sizeof stick[0]; s++)
                for (int part = 0; part < 3; part++) {
                    if (quick && s != (size_t)(k + sgn + part) % (sizeof stick / sizeof stick[0]))
                        continue;
                    snprintf(ctx, sizeof ctx, "paths %s c=%llu part %d stick %zu sign %d",
                             d->name, (unsigned long long)c, part, s, sgn);
                    what_ctx = ctx;
                    tw_init(&t);
                    double m = sgn ? -1 : 1;
                    tw_f64(&t, m * g0);
                    if (part == 1)
                        tw_f64(&t, m * h); /* the tie */
                    if (part == 2) {
                        tw_f64(&t, m * h / 2); /* a quarter: below the tie */
                        tw_f64(&t, m * h);
                    }
                    if (stick[s] != 0)
                        tw_prod(&t, stick[s], (s & 1) ? 0x1p-1074 : 0x1p-500);
                    check_format(&t.a, t.o, f);
                }
    }
    tw_free(&t);
}
END_TEST

/* Random sums: full-range values and products, condition-number-controlled
 * cancellation, compared in every format and mode. */
START_TEST(test_random_sums)
{
    twin t = {0};
    char ctx[64];
    for (int it = 0; it < (quick ? 12 : 60); it++) {
        snprintf(ctx, sizeof ctx, "random sum %d", it);
        what_ctx = ctx;
        tw_init(&t);
        int n = 1 + (int)(r64() % 40);
        int kind = it % 4;
        double partial = 0;
        for (int j = 0; j < n; j++) {
            switch (kind) {
            case 0: tw_f64(&t, rand_bits_f64()); break;
            case 1: tw_prod(&t, rand_bits_f64(), rand_bits_f64()); break;
            case 2: { /* condition number ~ 2^(spread): values cancel */
                int spread = 20 + (int)(r64() % 1000);
                double x = rand_f64(-spread / 2, spread / 2);
                tw_f64(&t, x);
                tw_f64(&t, -x * (1 + 0x1p-30));
                partial += x;
                break;
            }
            default: tw_prod(&t, rand_f64(-1074, 1023), rand_f64(-1074, 1023)); break;
            }
        }
        if (kind == 2)
            tw_f64(&t, -partial);
        check_all(&t.a, t.o);
    }
    tw_free(&t);
}
END_TEST

/* Quick tier: the codes of d whose magnitude is one of the three smallest
 * or the three largest (signed zero, the smallest subnormals, the largest
 * finite values, Inf and NaN codes). */
static int edge_code(const tp_format_desc *d, uint64_t c)
{
    uint64_t top = d->sign ? (UINT64_C(1) << (d->bits - 1)) - 1 : (UINT64_C(1) << d->bits) - 1;
    uint64_t mag = c & top;
    return mag < 3 || mag + 3 > top;
}

/* Exhaustive pairwise products of the 4- to 8-bit formats, in a tp_acc and
 * a tp_acc128, rounded to binary64 (exact) and compared with the oracle.
 * Quick tier: every 61st pair, and every pair of two edge codes. */
START_TEST(test_products_exhaustive)
{
    int f = _i;
    const tp_format_desc *d = F(f);
    if (d->bits > 8 || d->bits < 4)
        return;
    ora_sum *o = ora_new();
    uint64_t n = UINT64_C(1) << d->bits;
    for (uint64_t a = 0; a < n; a++)
        for (uint64_t b = 0; b < n; b++) {
            if (quick && (a * n + b) % 61 != 0 && !(edge_code(d, a) && edge_code(d, b)))
                continue;
            tp_acc acc;
            tp_acc128 nar;
            uint64_t got, want, g128;
            unsigned gf = 0, wf = 0, nf = 0;
            tp_acc_init(&acc);
            tp_acc128_init(&nar);
            ck_assert_int_eq(tp_acc_add_prod_codes(&acc, d, a, d, b), TP_OK);
            ck_assert_int_eq(tp_acc_round(&acc, F(TP_F64), TP_RNE, 0, 0, &got, &gf), TP_OK);
            ora_clear(o);
            ck_assert_int_eq(ora_add_prod_codes(o, d, a, d, b), 0);
            ck_assert_int_eq(ora_round(o, F(TP_F64), TP_RNE, 0, 0, &want, &wf), 0);
            if (got != want || gf != wf)
                ck_abort_msg("%s %#llx x %#llx: got %#llx/%#x want %#llx/%#x", d->name,
                             (unsigned long long)a, (unsigned long long)b,
                             (unsigned long long)got, gf, (unsigned long long)want, wf);
            tp_status st = tp_acc128_add_prod_codes(&nar, d, a, d, b);
            double v = u2d(want);
            int in_window = !isfinite(v) || v == 0 ||
                            (fabs(v) <= 0x1p32 && ldexp(v, 48) == floor(ldexp(v, 48)));
            if (in_window) {
                ck_assert_msg(st == TP_OK, "%s %#llx x %#llx refused", d->name,
                              (unsigned long long)a, (unsigned long long)b);
                ck_assert_int_eq(tp_acc128_round(&nar, F(TP_F64), TP_RNE, 0, 0, &g128, &nf),
                                 TP_OK);
                ck_assert_uint_eq(g128, want);
                ck_assert_uint_eq(nf, wf);
            } else {
                ck_assert_int_eq(st, TP_ERR_RANGE);
            }
        }
    ora_free(o);
}
END_TEST

/* Every built-in code pair of a few mixed format pairs, summed in one
 * accumulator each (a long exact sum), in every format and mode. */
START_TEST(test_mixed_pairs)
{
    static const int pairs[][2] = {{TP_E4M3, TP_E5M2}, {TP_F16, TP_E2M1}, {TP_BF16, TP_E8M0},
                                   {TP_F32, TP_BF16}, {TP_INT8, TP_E3M2}, {TP_F64, TP_E4M3}};
    twin t = {0};
    char ctx[64];
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        int fa = pairs[i][0], fb = pairs[i][1];
        snprintf(ctx, sizeof ctx, "mixed %s x %s", F(fa)->name, F(fb)->name);
        what_ctx = ctx;
        tw_init(&t);
        for (int k = 0; k < (quick ? 60 : 300); k++) {
            uint64_t ma = F(fa)->bits >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << F(fa)->bits) - 1;
            uint64_t mb = F(fb)->bits >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << F(fb)->bits) - 1;
            uint64_t ca = r64() & ma, cb = r64() & mb;
            if (fa == TP_F64)
                ca = d2u(rand_f64(-1074, 1023));
            double x, y;
            tp_decode1(F(fa), ca, &x, NULL);
            tp_decode1(F(fb), cb, &y, NULL);
            if (isnan(x) || isnan(y) || isinf(x) || isinf(y))
                continue;
            tw_prod_codes(&t, fa, ca, fb, cb);
            if (k % 3 == 0)
                tw_code(&t, fa, ca);
        }
        check_all(&t.a, t.o);
    }
    tw_free(&t);
}
END_TEST

/* Merge and order independence: permutations and partitions give the same
 * bytes; add_f64_array equals one-by-one adds. */
START_TEST(test_merge_order)
{
    enum { N = 3000 };
    static double x[N], y[N];
    uint8_t ref[TP_ACC_SERIAL_BYTES], got[TP_ACC_SERIAL_BYTES];
    for (int rep = 0; rep < 6; rep++) {
        for (int i = 0; i < N; i++) {
            x[i] = rep % 2 ? rand_f64(-60, 60) : rand_bits_f64();
            y[i] = rand_f64(-300, 300);
            if (r64() % 50 == 0)
                x[i] = -0.0;
        }
        tp_acc a, b;
        tp_acc_init(&a);
        for (int i = 0; i < N; i++) {
            tp_acc_add_f64(&a, x[i]);
            tp_acc_add_prod_f64(&a, x[i], y[i]);
        }
        tp_acc_serialize(&a, ref, sizeof ref);
        /* permutation + partition into up to 7 accumulators, merged in a random order */
        for (int p = 0; p < 4; p++) {
            int perm[N];
            for (int i = 0; i < N; i++)
                perm[i] = i;
            for (int i = N - 1; i > 0; i--) {
                int j = (int)(r64() % (uint64_t)(i + 1));
                int tmp = perm[i];
                perm[i] = perm[j];
                perm[j] = tmp;
            }
            int k = 1 + (int)(r64() % 7);
            tp_acc part[7];
            for (int j = 0; j < k; j++)
                tp_acc_init(&part[j]);
            for (int i = 0; i < N; i++) {
                int j = (int)(r64() % (uint64_t)k);
                tp_acc_add_prod_f64(&part[j], x[perm[i]], y[perm[i]]);
                tp_acc_add_f64(&part[(j + 1) % k], x[perm[i]]);
            }
            tp_acc_init(&b);
            for (int j = k - 1; j >= 0; j--)
                ck_assert_int_eq(tp_acc_merge(&b, &part[j]), TP_OK);
            tp_acc_serialize(&b, got, sizeof got);
            ck_assert_int_eq(memcmp(ref, got, sizeof ref), 0);
        }
        /* the array path */
        tp_acc_init(&b);
        ck_assert_int_eq(tp_acc_add_f64_array(&b, x, N), TP_OK);
        for (int i = 0; i < N; i++)
            tp_acc_add_prod_f64(&b, x[i], y[i]);
        tp_acc_serialize(&b, got, sizeof got);
        ck_assert_int_eq(memcmp(ref, got, sizeof ref), 0);
        /* self-merge doubles; a + (-a) is zero */
        tp_acc c = a;
        ck_assert_int_eq(tp_acc_merge(&c, &c), TP_OK);
        tp_acc_negate(&b);
        tp_acc_merge(&c, &b);
        tp_acc_merge(&c, &b);
        uint64_t code;
        ck_assert_int_eq(tp_acc_round(&c, F(TP_F64), TP_RNE, 0, 0, &code, NULL), TP_OK);
        ck_assert_uint_eq(code, 0);
        ck_assert_int_eq(tp_acc_round(&c, F(TP_F64), TP_RDN, 0, 0, &code, NULL), TP_OK);
        ck_assert_uint_eq(code, UINT64_C(0x8000000000000000));
    }
}
END_TEST

/* The array path against the oracle on data with zeros, subnormals, Inf,
 * NaN, and sizes around the chunking. */
START_TEST(test_array_path)
{
    static const size_t sizes[] = {0, 1, 255, 256, 2047, 2048, 4095, 5000};
    twin t = {0};
    char ctx[64];
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int kind = 0; kind < 4; kind++) {
            size_t n = sizes[s];
            double *x = malloc((n ? n : 1) * sizeof *x);
            for (size_t i = 0; i < n; i++) {
                switch (kind) {
                case 0: x[i] = rand_f64(-3, 0); break;
                case 1: x[i] = rand_bits_f64(); break;
                case 2: x[i] = (r64() % 3) ? rand_f64(-1074, -1000) : -0.0; break;
                default: x[i] = rand_f64(1000, 1023); break;
                }
            }
            if (kind == 1 && n > 100) {
                x[n / 2] = INFINITY;
                x[n / 3] = -INFINITY;
            }
            snprintf(ctx, sizeof ctx, "array n=%zu kind %d", n, kind);
            what_ctx = ctx;
            tw_init(&t);
            ck_assert_int_eq(tp_acc_add_f64_array(&t.a, x, n), TP_OK);
            for (size_t i = 0; i < n; i++)
                ora_add_f64(t.o, x[i]);
            for (int r = 0; r <= TP_RSR; r++)
                for (int f = 0; f < TP_FORMAT_COUNT; f += 3)
                    cmp1(&t.a, t.o, f, r, 0, 0x9E3779B9u);
            for (int r = 0; r <= TP_RSR; r++)
                cmp1(&t.a, t.o, TP_F64, r, 0, 0x9E3779B9u);
            free(x);
        }
    /* all -0 through the array path */
    {
        double z[600];
        for (int i = 0; i < 600; i++)
            z[i] = -0.0;
        what_ctx = "array all -0";
        tw_init(&t);
        tp_acc_add_f64_array(&t.a, z, 600);
        for (int i = 0; i < 600; i++)
            ora_add_f64(t.o, -0.0);
        check_all(&t.a, t.o);
        /* x and -x in the same bin cancel: RDN gives -0 */
        for (int i = 0; i < 600; i++)
            z[i] = (i & 1) ? -1.5 : 1.5;
        what_ctx = "array cancel";
        tw_init(&t);
        tp_acc_add_f64_array(&t.a, z, 600);
        for (int i = 0; i < 600; i++)
            ora_add_f64(t.o, z[i]);
        check_all(&t.a, t.o);
    }
    tw_free(&t);
}
END_TEST

/* ------------------------------------------------------------ array path, differential
 * tp_acc_add_f64_array against one-by-one tp_acc_add_f64 on the serialised
 * bytes, on data that drives the array path to its stated bounds
 * (lib/ref/acc_ref.c): two lanes of 2047 adds each per chunk of 4094, the
 * 2^32 cut of the bins into the signed high parts, the AND/OR exponent range
 * and its wide fallback (groups of 32 exponents), and the special bins
 * (e = 0 and e = 2047).  Both accumulators start from the same nonempty
 * prefix state so that the state bits combine too. */
enum { DIFF_CHUNK = 4094 };

static double max_sig(int e, int neg) /* (2^53 - 1) 2^(e - 52), e in [-1022, 1023] */
{
    uint64_t u = ((uint64_t)(e + 1023) << 52) | ((UINT64_C(1) << 52) - 1);
    return u2d(u | (neg ? UINT64_C(0x8000000000000000) : 0));
}

static double pick_special(void)
{
    switch (r64() % 8) {
    case 0: return 0.0;
    case 1: return -0.0;
    case 2: return INFINITY;
    case 3: return -INFINITY;
    case 4: return u2d(UINT64_C(0x7FF8000000000000) | (r64() & UINT64_C(0x8007FFFFFFFFFFFF)));
    case 5: return u2d(r64() & UINT64_C(0x800FFFFFFFFFFFFF)); /* subnormal or zero */
    case 6: return (r64() & 1) ? -DBL_MIN : DBL_MIN;
    default: return (r64() & 1) ? -DBL_MAX : DBL_MAX;
    }
}

/* Fills x[0..n) with data of the given kind. */
static void diff_fill(double *x, size_t n, int kind)
{
    int e0 = -1022 + (int)(r64() % 2046);
    for (size_t i = 0; i < n; i++) {
        double v;
        switch (kind) {
        case 0: v = max_sig(e0, 0); break;                   /* one bin, full lanes */
        case 1: v = max_sig(1023, 1); break;                 /* -DBL_MAX every time */
        case 2: v = max_sig(e0, (int)(i & 1)); break;        /* lanes cancel: exact 0 */
        case 3: v = max_sig(e0, (int)((i >> 1) & 1)); break; /* each lane cancels in pairs */
        case 4: v = u2d(((uint64_t)(e0 + 1023) << 52) | (r64() >> 12) | (r64() & 1) << 63); break;
        case 5: v = rand_bits_f64(); break;                  /* all exponents, subnormals */
        case 6: v = (double)(int64_t)(r64() >> 1) * 0x1p-60 - 4.0; break; /* [-4, 4): wide */
        case 7: v = (r64() & 1) ? rand_f64(-1022, -1000) : rand_f64(1000, 1023); break;
        case 8: v = rand_f64(-1022, 1023); break;            /* every group of exponents */
        case 9: v = (r64() % 16) ? rand_f64(-4, 4) : pick_special(); break;
        case 10: v = (r64() % 3) ? -0.0 : 0.0; break;
        case 11: v = -0.0; break;
        case 12: v = (r64() & 1) ? rand_f64(-1074, -1022) : -0.0; break; /* subnormals */
        case 13: v = pick_special(); break;
        case 14: /* wide chunks (exact-range loop); the top exponent only in lane 1 */
            v = (i & 1) ? max_sig(1000, 0) : (double)(int64_t)(r64() >> 1) * 0x1p-60 - 4.0;
            break;
        case 15: /* the same with the bottom exponent only in lane 0 */
            v = (i & 1) ? (double)(int64_t)(r64() >> 1) * 0x1p-60 - 4.0 : max_sig(-1022, 1);
            break;
        default: v = max_sig(e0, (int)(r64() & 1)) * ((r64() & 1) ? 0.5 : 1.0); break; /* 16 */
        }
        x[i] = v;
    }
    if (kind == 6 && n > 2) { /* make sure both sides of 2.0 appear */
        x[0] = 3.5;
        x[n - 1] = -1.25;
    }
}

static void diff_check(const double *x, size_t n, double prefix, const char *what)
{
    tp_acc a, b;
    uint8_t s1[TP_ACC_SERIAL_BYTES], s2[TP_ACC_SERIAL_BYTES];
    tp_acc_init(&a);
    tp_acc_init(&b);
    if (prefix == prefix) { /* NaN prefix: none */
        tp_acc_add_f64(&a, prefix);
        tp_acc_add_f64(&b, prefix);
    }
    ck_assert_int_eq(tp_acc_add_f64_array(&a, x, n), TP_OK);
    for (size_t i = 0; i < n; i++)
        tp_acc_add_f64(&b, x[i]);
    ck_assert_int_eq(tp_acc_serialize(&a, s1, sizeof s1), TP_OK);
    ck_assert_int_eq(tp_acc_serialize(&b, s2, sizeof s2), TP_OK);
    ck_assert_msg(memcmp(s1, s2, sizeof s1) == 0, "array path != one by one: %s n=%zu", what, n);
    uint64_t c1, c2;
    for (int r = 0; r <= TP_RTO; r++) {
        unsigned f1 = 0, f2 = 0;
        tp_acc_round(&a, F(TP_F64), (tp_round)r, 0, 0, &c1, &f1);
        tp_acc_round(&b, F(TP_F64), (tp_round)r, 0, 0, &c2, &f2);
        ck_assert_msg(c1 == c2 && f1 == f2, "rounding differs: %s n=%zu", what, n);
    }
    n_checks++;
}

START_TEST(test_array_differential)
{
    static const size_t sizes[] = {256,  257,  1000, 4093,  4094,  4095,  4097,
                                   4098, 8188, 8191, 12285, 20001, 100003};
    static const double prefixes[] = {NAN, 0.0, -0.0, 1.0, -0x1p-1074, INFINITY};
    enum { MAXN = 110000, KINDS = 17 }; /* >= 100003 + 3 and 25 DIFF_CHUNK */
    double *buf = malloc(MAXN * sizeof *buf);
    char what[80];
    ck_assert_ptr_nonnull(buf);
    for (int kind = 0; kind < KINDS; kind++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            size_t n = sizes[s];
            if (n > 20001 && !(kind <= 4 || kind == 6 || kind == 8 || kind == 14 || kind == 15))
                continue;
            if (quick && n > 12285) /* quick: the 25-chunk cases below stay */
                continue;
            size_t off = (size_t)(r64() % 4); /* shifts which elements share a lane */
            double prefix = prefixes[r64() % (sizeof prefixes / sizeof prefixes[0])];
            diff_fill(buf + off, n, kind);
            snprintf(what, sizeof what, "kind %d off %zu prefix %g", kind, off, prefix);
            diff_check(buf + off, n, prefix, what);
        }
    /* Full lanes of the largest significand in one bin for many chunks, with
     * a few specials at chunk edges (the special bins of both lanes). */
    size_t n = 25 * DIFF_CHUNK;
    for (size_t i = 0; i < n; i++)
        buf[i] = max_sig(1023, 0);
    buf[DIFF_CHUNK - 1] = 0x1p-1074;
    buf[DIFF_CHUNK] = -0.0;
    buf[2 * DIFF_CHUNK + 1] = -0x1p-1074;
    diff_check(buf, n, NAN, "full lanes of DBL_MAX with subnormals");
    for (size_t i = 0; i < n; i++)
        buf[i] = (i % 3) ? max_sig(-1022, 1) : max_sig(-1022, 0);
    diff_check(buf, n, 0.0, "2^-1022 (2 - 2^-52) with signs 2:1");
    /* a chunk of one special only, then normals */
    for (size_t i = 0; i < n; i++)
        buf[i] = i < DIFF_CHUNK ? -INFINITY : 1.0;
    diff_check(buf, n, NAN, "-Inf chunk then 1.0");
    free(buf);
}
END_TEST

/* Serialisation: golden bytes computed by hand, round trips, corruption. */
START_TEST(test_serialize)
{
    uint8_t buf[TP_ACC_SERIAL_BYTES], want[TP_ACC_SERIAL_BYTES], keep[TP_ACC_SERIAL_BYTES];
    tp_acc a, b;
    /* Layout: "TPACC64", version 1, state (LE u32; 0x30 = a finite nonzero
     * term was added), 4 zero bytes, top digit (LE i64), 137 digits (LE u32)
     * of weight 2^(32 i - 2208), zero padding.  1.0 = digit 69 = 1. */
    memset(want, 0, sizeof want);
    memcpy(want, "TPACC64\x01", 8);
    want[8] = 0x30;
    want[24 + 4 * 69] = 1;
    tp_acc_init(&a);
    tp_acc_add_f64(&a, 1.0);
    ck_assert_int_eq(tp_acc_serialize(&a, buf, sizeof buf), TP_OK);
    ck_assert_int_eq(memcmp(buf, want, sizeof buf), 0);
    /* -0.75 = two's complement: ... digit 68 = 0x40000000, digits 69..136 all
     * ones, top digit -1 */
    memset(want + 16, 0, sizeof want - 16);
    memset(want + 16, 0xFF, 8);
    want[24 + 4 * 68 + 3] = 0x40;
    for (int i = 69; i < 137; i++)
        memset(want + 24 + 4 * i, 0xFF, 4);
    tp_acc_init(&a);
    tp_acc_add_f64(&a, 0.25);
    tp_acc_add_f64(&a, -1.0);
    ck_assert_int_eq(tp_acc_serialize(&a, buf, sizeof buf), TP_OK);
    ck_assert_int_eq(memcmp(buf, want, sizeof buf), 0);
    /* empty; -0 only (state 0x20); NaN (state 1, no digits) */
    memset(want + 8, 0, sizeof want - 8);
    tp_acc_init(&a);
    tp_acc_serialize(&a, buf, sizeof buf);
    ck_assert_int_eq(memcmp(buf, want, sizeof buf), 0);
    tp_acc_add_f64(&a, -0.0);
    want[8] = 0x20;
    tp_acc_serialize(&a, buf, sizeof buf);
    ck_assert_int_eq(memcmp(buf, want, sizeof buf), 0);
    tp_acc_add_f64(&a, 12345.0);
    tp_acc_add_f64(&a, NAN);
    want[8] = 0x01;
    tp_acc_serialize(&a, buf, sizeof buf);
    ck_assert_int_eq(memcmp(buf, want, sizeof buf), 0);

    /* round trips of random values */
    for (int it = 0; it < 200; it++) {
        tp_acc_init(&a);
        int n = (int)(r64() % 20);
        for (int j = 0; j < n; j++)
            tp_acc_add_prod_f64(&a, rand_bits_f64(), rand_bits_f64());
        tp_acc_serialize(&a, buf, sizeof buf);
        ck_assert_int_eq(tp_acc_deserialize(&b, buf, sizeof buf), TP_OK);
        tp_acc_serialize(&b, keep, sizeof keep);
        ck_assert_int_eq(memcmp(buf, keep, sizeof buf), 0);
        for (int r = 0; r <= TP_RDN; r++) {
            uint64_t c1, c2;
            tp_acc_round(&a, F(TP_F64), (tp_round)r, 0, 0, &c1, NULL);
            tp_acc_round(&b, F(TP_F64), (tp_round)r, 0, 0, &c2, NULL);
            ck_assert_uint_eq(c1, c2);
        }
    }

    /* corrupted bytes: TP_ERR_DATA and the target unchanged */
    tp_acc_init(&a);
    tp_acc_add_f64(&a, 3.5);
    tp_acc_serialize(&a, keep, sizeof keep);
    tp_acc_init(&b);
    tp_acc_add_f64(&b, 7.0);
    tp_acc before = b;
    const int bad_at[][2] = {{0, 0x55},  {6, 0x30},  {7, 0x02},  {8, 0x40},  {8, 0x10},
                             {9, 0x01},  {12, 0x01}, {15, 0x80}, {22, 0x01}, {1095, 0x01},
                             {600, 0x01}, {572, 0x01}};
    for (size_t i = 0; i < sizeof bad_at / sizeof bad_at[0]; i++) {
        memcpy(buf, keep, sizeof buf);
        buf[bad_at[i][0]] ^= (uint8_t)bad_at[i][1];
        ck_assert_msg(tp_acc_deserialize(&b, buf, sizeof buf) == TP_ERR_DATA,
                      "corruption %zu accepted", i);
        ck_assert_int_eq(memcmp(&b, &before, sizeof b), 0);
    }
    /* special state with digits; +Inf and -Inf together */
    memcpy(buf, keep, sizeof buf);
    buf[8] = 0x04;
    ck_assert_int_eq(tp_acc_deserialize(&b, buf, sizeof buf), TP_ERR_DATA);
    memset(buf + 16, 0, sizeof buf - 16);
    buf[8] = 0x0C;
    ck_assert_int_eq(tp_acc_deserialize(&b, buf, sizeof buf), TP_ERR_DATA);
    buf[8] = 0x04;
    ck_assert_int_eq(tp_acc_deserialize(&b, buf, sizeof buf), TP_OK);
}
END_TEST

/* The narrow accumulator: its window, headroom, wrap detection, merge and
 * escalation. */
START_TEST(test_acc128)
{
    tp_acc128 n, m, keep;
    tp_acc a;
    uint64_t c;
    const tp_format_desc *f16 = F(TP_F16);
    tp_acc128_init(&n);
    /* window: 2^-48 (f16 min subnormal squared) in, 2^-49 out */
    ck_assert_int_eq(tp_acc128_add_prod_codes(&n, f16, 0x0001, f16, 0x0001), TP_OK);
    ck_assert_int_eq(tp_acc128_add_prod_codes(&n, f16, 0x0001, F(TP_E2M1), 0x01), TP_OK); /* 2^-25 */
    ck_assert_int_eq(tp_acc128_add_code(&n, F(TP_BF16), 0x0001), TP_ERR_RANGE);
    ck_assert_int_eq(tp_acc128_add_code(&n, F(TP_E8M0), 0xFE), TP_ERR_RANGE);
    ck_assert_int_eq(tp_acc128_add_code(&n, F(TP_E8M0), 127 + 32), TP_OK);     /* 2^32 */
    ck_assert_int_eq(tp_acc128_add_code(&n, F(TP_E8M0), 127 + 33), TP_ERR_RANGE);
    ck_assert_int_eq(tp_acc128_add_code(&n, F(TP_E8M0), 127 - 48), TP_OK);     /* 2^-48 */
    ck_assert_int_eq(tp_acc128_add_code(&n, F(TP_E8M0), 127 - 49), TP_ERR_RANGE);
    ck_assert_int_eq(tp_acc128_round(&n, F(TP_F64), TP_RNE, 0, 0, &c, NULL), TP_OK);
    ck_assert(u2d(c) == 0x1p32 + 0x1p-47 + 0x1p-25);
    /* headroom: 65504^2 doubled 47 times fits (< 2^127 units), 48 does not */
    tp_acc128_init(&n);
    ck_assert_int_eq(tp_acc128_add_prod_codes(&n, f16, 0x7BFF, f16, 0x7BFF), TP_OK);
    for (int i = 0; i < 47; i++) {
        m = n;
        ck_assert_int_eq(tp_acc128_merge(&n, &m), TP_OK);
    }
    keep = n;
    m = n;
    ck_assert_int_eq(tp_acc128_merge(&n, &m), TP_ERR_RANGE);
    ck_assert_int_eq(memcmp(&n, &keep, sizeof n), 0);
    ck_assert_int_eq(tp_acc128_round(&n, F(TP_F64), TP_RNE, 0, 0, &c, NULL), TP_OK);
    ck_assert(u2d(c) == 65504.0 * 65504.0 * 0x1p47);
    /* an add that would wrap is refused too: fill greedily with P 2^k */
    {
        tp_acc128 pw[47];
        tp_acc128_init(&pw[0]);
        ck_assert_int_eq(tp_acc128_add_prod_codes(&pw[0], f16, 0x7BFF, f16, 0x7BFF), TP_OK);
        for (int k = 1; k < 47; k++) {
            pw[k] = pw[k - 1];
            ck_assert_int_eq(tp_acc128_merge(&pw[k], &pw[k - 1]), TP_OK);
        }
        for (int k = 46; k >= 0; k--) {
            m = n;
            if (tp_acc128_merge(&m, &pw[k]) == TP_OK)
                n = m;
        }
        keep = n;
        ck_assert_int_eq(tp_acc128_add_prod_codes(&n, f16, 0x7BFF, f16, 0x7BFF), TP_ERR_RANGE);
        ck_assert_int_eq(memcmp(&n, &keep, sizeof n), 0);
        /* the negative side: -(full) minus more is refused as well */
        tp_acc128_init(&m);
        ck_assert_int_eq(tp_acc128_add_prod_codes(&m, f16, 0xFBFF, f16, 0x7BFF), TP_OK);
        tp_acc128 neg;
        tp_acc128_init(&neg);
        for (int k = 0; k < 48; k++) {
            tp_acc128 t2 = neg;
            if (tp_acc128_merge(&t2, &neg) != TP_OK || tp_acc128_merge(&t2, &m) != TP_OK)
                break;
            neg = t2;
        }
        ck_assert_int_eq(tp_acc128_round(&neg, F(TP_F64), TP_RNE, 0, 0, &c, NULL), TP_OK);
        ck_assert(u2d(c) < -0x1p78);
    }
    /* escalation equals the full-range accumulator; negatives round right */
    twin t = {0};
    for (int it = 0; it < (quick ? 10 : 40); it++) {
        tw_init(&t);
        tp_acc128_init(&n);
        for (int k = 0; k < 50; k++) {
            int fa = (int)(r64() % 2) ? TP_F16 : TP_E5M2, fb = (k & 1) ? TP_E4M3 : TP_F16;
            uint64_t ca = r64() & ((UINT64_C(1) << F(fa)->bits) - 1);
            uint64_t cb = r64() & ((UINT64_C(1) << F(fb)->bits) - 1);
            tp_status st = tp_acc128_add_prod_codes(&n, F(fa), ca, F(fb), cb);
            if (st == TP_OK)
                tw_prod_codes(&t, fa, ca, fb, cb);
            else
                ck_assert_int_eq(st, TP_ERR_RANGE);
        }
        tp_acc_init(&a);
        ck_assert_int_eq(tp_acc128_to_acc(&n, &a), TP_OK);
        uint8_t b1[TP_ACC_SERIAL_BYTES], b2[TP_ACC_SERIAL_BYTES];
        tp_acc_serialize(&a, b1, sizeof b1);
        tp_acc_serialize(&t.a, b2, sizeof b2);
        ck_assert_int_eq(memcmp(b1, b2, sizeof b1), 0);
        what_ctx = "acc128 random";
        for (int f = 0; f < TP_FORMAT_COUNT; f++)
            for (int r = 0; r <= TP_RSR; r++) {
                uint64_t got, want;
                unsigned gf = 0, wf = 0;
                ck_assert_int_eq(tp_acc128_round(&n, F(f), (tp_round)r, 0, 0x77777777u, &got, &gf),
                                 TP_OK);
                ck_assert_int_eq(ora_round(t.o, F(f), (tp_round)r, 0, 0x77777777u, &want, &wf), 0);
                if (got != want || gf != wf)
                    ck_abort_msg("acc128 %s mode %d: got %#llx/%#x want %#llx/%#x", F(f)->name, r,
                                 (unsigned long long)got, gf, (unsigned long long)want, wf);
            }
    }
    /* signed zeros and specials in the narrow accumulator */
    tp_acc128_init(&n);
    tp_acc128_add_code(&n, f16, 0x8000);
    tp_acc128_add_code(&n, f16, 0x8000);
    tp_acc128_round(&n, f16, TP_RNE, 0, 0, &c, NULL);
    ck_assert_uint_eq(c, 0x8000);
    tp_acc128_add_code(&n, f16, 0x3C00);
    tp_acc128_add_code(&n, f16, 0xBC00);
    tp_acc128_round(&n, f16, TP_RNE, 0, 0, &c, NULL);
    ck_assert_uint_eq(c, 0x0000);
    tp_acc128_round(&n, f16, TP_RDN, 0, 0, &c, NULL);
    ck_assert_uint_eq(c, 0x8000);
    tp_acc128_add_code(&n, f16, 0x7C00);
    tp_acc128_round(&n, f16, TP_RNE, 0, 0, &c, NULL);
    ck_assert_uint_eq(c, 0x7C00);
    unsigned fl = 0;
    tp_acc128_add_prod_codes(&n, f16, 0xFC00, f16, 0x3C00);
    tp_acc128_round(&n, f16, TP_RNE, 0, 0, &c, &fl);
    ck_assert_uint_eq(c, 0x7E00);
    ck_assert_uint_eq(fl, TP_FLAG_INVALID);
    tw_free(&t);
}
END_TEST

static Suite *acc_suite(void)
{
    Suite *s = suite_create("acc");
    TCase *tc = tcase_create("api");
    tcase_add_test(tc, test_banner);
    tcase_add_test(tc, test_args);
    tcase_add_test(tc, test_serialize);
    tcase_add_test(tc, test_acc128);
    suite_add_tcase(s, tc);
    tc = tcase_create("sums");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_adversarial);
    tcase_add_test(tc, test_specials);
    tcase_add_test(tc, test_random_sums);
    tcase_add_test(tc, test_mixed_pairs);
    tcase_add_test(tc, test_array_path);
    tcase_add_test(tc, test_array_differential);
    suite_add_tcase(s, tc);
    tc = tcase_create("paths");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_rounding_paths, 0, TP_FORMAT_COUNT);
    suite_add_tcase(s, tc);
    tc = tcase_create("products");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_products_exhaustive, 0, TP_FORMAT_COUNT);
    suite_add_tcase(s, tc);
    tc = tcase_create("merge");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_merge_order);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    rng = tpt_seed();
    tpt_banner("check_acc");
    quick = tpt_quick();
    if (quick)
        printf("# tier: quick (reduced sweeps)\n");
    return tpt_run(acc_suite());
}
