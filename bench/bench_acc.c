/*
 * bench_acc.c -- exact sum of binary64 (tp_acc_add_f64_array + one rounding)
 * against a plain ordered double loop, N = 1e5 and 1e7, one thread.
 *
 * Each sample repeats a method until it has run >= 20 ms; the samples of
 * the two methods are interleaved and the ratio is the median of the
 * per-sample ratios (the machine's clock drifts, so ratios are paired).
 * Before timing, the exact sum is verified against a slow reference: the
 * one-by-one tp_acc_add_f64 path must give the same serialised bytes, and
 * for data whose exact sum is known (each value and its negation, plus a
 * known remainder) the rounded result must be exactly that value.
 *
 * Usage: bench_acc [DIST...], DIST one of uniform (default: x uniform in
 * (-1, 1)), pos ([0, 1)), wide (|x| = e^(30u) u', 2^-26 .. 2^43, random
 * signs: one AND/OR exponent range spans everything, the grouped path),
 * span4 ([-4, 4): values on both sides of 2.0, the same), or all.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "truepoint.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t state = 0x2545F4914F6CDD1DULL;
static uint64_t next(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static volatile double sink_d;
static volatile uint64_t sink_u;

static void plain(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    sink_d = s;
}

static void exact(const double *x, size_t n)
{
    tp_acc a;
    uint64_t c;
    tp_acc_init(&a);
    tp_acc_add_f64_array(&a, x, n);
    tp_acc_round(&a, tp_format_get(TP_F64), TP_RNE, TP_OVF_DEFAULT, 0, &c, NULL);
    sink_u = c;
}

/* Seconds per call of fn, over >= 20 ms. */
static double sample(void (*fn)(const double *, size_t), const double *x, size_t n)
{
    int reps = 0;
    double t0 = now(), t;
    do {
        fn(x, n);
        reps++;
        t = now();
    } while (t - t0 < 0.02);
    return (t - t0) / reps;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The exact sum must be right before it is timed. */
static int verify(const double *x, size_t n)
{
    tp_acc a, b;
    uint8_t s1[TP_ACC_SERIAL_BYTES], s2[TP_ACC_SERIAL_BYTES];
    tp_acc_init(&a);
    tp_acc_init(&b);
    tp_acc_add_f64_array(&a, x, n);
    for (size_t i = 0; i < n; i++)
        tp_acc_add_f64(&b, x[i]);
    tp_acc_serialize(&a, s1, sizeof s1);
    tp_acc_serialize(&b, s2, sizeof s2);
    if (memcmp(s1, s2, sizeof s1) != 0) {
        fprintf(stderr, "bench_acc: array path differs from the one-by-one path (n=%zu)\n", n);
        return -1;
    }
    /* x, then -x (a reversed copy), then 0x1p-1074: the exact sum is 2^-1074 */
    double *y = malloc(2 * n * sizeof *y);
    if (y == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        y[i] = x[i];
        y[2 * n - 1 - i] = -x[i];
    }
    tp_acc_init(&a);
    tp_acc_add_f64_array(&a, y, 2 * n);
    tp_acc_add_f64(&a, 0x1p-1074);
    free(y);
    uint64_t c;
    tp_acc_round(&a, tp_format_get(TP_F64), TP_RNE, TP_OVF_DEFAULT, 0, &c, NULL);
    if (c != 1) {
        fprintf(stderr, "bench_acc: x - x + 2^-1074 gave %#llx\n", (unsigned long long)c);
        return -1;
    }
    return 0;
}

static double gen(int dist)
{
    double u = (double)(next() >> 11) * 0x1p-53; /* [0, 1) */
    switch (dist) {
    case 1: return u;
    case 2: {
        double v = (double)(next() >> 11) * 0x1p-53;
        double m = exp(30.0 * u) * v;
        return (next() & 1) ? -m : m;
    }
    case 3: return 8.0 * u - 4.0;
    default: return 2.0 * u - 1.0;
    }
}

static const char *const dist_names[] = {"uniform", "pos", "wide", "span4"};

static int run_dist(int dist);

int main(int argc, char **argv)
{
    int rc = 0, ran = 0;
    for (int i = 1; i < argc; i++) {
        int found = 0;
        for (int d = 0; d < 4; d++)
            if (strcmp(argv[i], dist_names[d]) == 0 || strcmp(argv[i], "all") == 0) {
                rc |= run_dist(d);
                found = 1;
            }
        if (!found) {
            fprintf(stderr, "usage: bench_acc [uniform|pos|wide|span4|all]...\n");
            return 2;
        }
        ran = 1;
    }
    if (!ran)
        rc = run_dist(0);
    return rc;
}

static int run_dist(int dist)
{
    static const size_t sizes[] = {100000, 10000000};
    enum { REPS = 9 };
    printf("# bench_acc: libtruepoint %s, isa %s, compiler %s\n", tp_version_string(),
           tp_isa_name(tp_active_isa()),
#if defined(__clang__)
           "clang " __clang_version__
#elif defined(__GNUC__)
           "gcc " __VERSION__
#else
           "unknown"
#endif
    );
    printf("# exact sum of binary64 (tp_acc_add_f64_array + round) vs plain ordered double loop\n");
    printf("# data: %s; %d interleaved samples, median of paired ratios [min..max]\n",
           dist_names[dist], REPS);
    printf("%10s %14s %14s %8s %16s\n", "N", "plain ns/elt", "exact ns/elt", "ratio", "[min..max]");
    int rc = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        double *x = malloc(n * sizeof *x);
        if (x == NULL)
            return 1;
        for (size_t i = 0; i < n; i++)
            x[i] = gen(dist);
        if (verify(x, n) != 0) {
            printf("%10zu  VERIFY FAILED: no timing\n", n);
            rc = 1;
            free(x);
            continue;
        }
        double tp[REPS], te[REPS], ratio[REPS];
        for (int r = 0; r < REPS; r++) {
            double p0 = sample(plain, x, n);
            te[r] = sample(exact, x, n);
            double p1 = sample(plain, x, n);
            tp[r] = (p0 + p1) / 2;
            ratio[r] = te[r] / tp[r];
        }
        qsort(tp, REPS, sizeof tp[0], cmp_d);
        qsort(te, REPS, sizeof te[0], cmp_d);
        qsort(ratio, REPS, sizeof ratio[0], cmp_d);
        printf("%10zu %14.3f %14.3f %8.2f     [%.2f..%.2f]\n", n, 1e9 * tp[REPS / 2] / (double)n,
               1e9 * te[REPS / 2] / (double)n, ratio[REPS / 2], ratio[0], ratio[REPS - 1]);
        free(x);
    }
    return rc;
}
