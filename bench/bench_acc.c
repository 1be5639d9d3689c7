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
 * Usage: bench_acc [--reps R] [--json FILE] [--quick] [DIST...], DIST one
 * of uniform (default: x uniform in (-1, 1)), pos ([0, 1)), wide (|x| =
 * e^(30u) u', 2^-26 .. 2^43, random signs: one AND/OR exponent range spans
 * everything, the grouped path), span4 ([-4, 4): values on both sides of
 * 2.0, the same), or all.  --reps R: samples per size (default 9); --json
 * FILE: the results as JSON; --quick: 3 samples of >= 5 ms, N = 1e5 and 1e6.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "truepoint.h"
#include "bench_util.h"

#define MAX_REPS 1001
#define MAX_RESULTS 16

/* The settings (--reps, --quick) and the results for --json. */
static int g_reps = 9;
static double g_secs = 0.02;
static size_t g_sizes[2] = {100000, 10000000};

typedef struct result {
    const char *dist;
    size_t n;
    int verified;
    double plain_ns, exact_ns, r_med, r_min, r_max;
} result;
static result g_res[MAX_RESULTS];
static int g_nres;

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

/* Seconds per call of fn, over >= g_secs (20 ms by default). */
static double sample(void (*fn)(const double *, size_t), const double *x, size_t n)
{
    int reps = 0;
    double t0 = now(), t;
    do {
        fn(x, n);
        reps++;
        t = now();
    } while (t - t0 < g_secs);
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

static void usage(void)
{
    fprintf(stderr, "usage: bench_acc [--reps R] [--json FILE] [--quick] "
                    "[uniform|pos|wide|span4|all]...\n");
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static int write_json(const char *path)
{
    char cpu[256];
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        return 1;
    }
    bench_cpu_model(cpu, sizeof cpu);
    fprintf(f, "{\n  \"bench\": \"bench_acc\",\n  \"version\": ");
    json_str(f, tp_version_string());
    fprintf(f, ",\n  \"isa\": ");
    json_str(f, tp_isa_name(tp_active_isa()));
    fprintf(f, ",\n  \"cpu\": ");
    json_str(f, cpu);
    fprintf(f, ",\n  \"reps\": %d,\n  \"sample_s\": %g,\n  \"peer\": \"plain ordered double "
               "loop\",\n  \"ratio_is\": \"exact_time/peer_time\",\n  \"cases\": [\n",
            g_reps, g_secs);
    for (int i = 0; i < g_nres; i++) {
        const result *r = &g_res[i];
        fprintf(f, "    {\"name\": \"sum f64 %s\", \"dist\": \"%s\", \"n\": %zu, "
                   "\"verified\": %s",
                r->dist, r->dist, r->n, r->verified ? "true" : "false");
        if (r->verified)
            fprintf(f, ", \"peer_ns_per_elem\": %.5g, \"exact_ns_per_elem\": %.5g, \"ratio\": "
                       "{\"median\": %.5g, \"min\": %.5g, \"max\": %.5g}",
                    r->plain_ns, r->exact_ns, r->r_med, r->r_min, r->r_max);
        fprintf(f, "}%s\n", i + 1 < g_nres ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    if (fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int rc = 0, nd = 0, quick = 0;
    int dists[64];
    const char *json = NULL;
    /* The common options go through bench_options; the rest are DISTs. */
    char **opt = malloc(sizeof(char *) * (size_t)(argc + 1));
    int nopt = 1;
    if (opt == NULL)
        return 1;
    opt[0] = argv[0];
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "--reps") == 0 || strcmp(argv[i], "--json") == 0) && i + 1 < argc) {
            opt[nopt++] = argv[i];
            opt[nopt++] = argv[++i];
        } else if (strcmp(argv[i], "--quick") == 0) {
            opt[nopt++] = argv[i];
            quick = 1;
        } else if (argv[i][0] == '-') {
            usage();
            free(opt);
            return 2;
        } else {
            int found = 0;
            for (int d = 0; d < 4; d++)
                if ((strcmp(argv[i], dist_names[d]) == 0 || strcmp(argv[i], "all") == 0) &&
                    nd < 64) {
                    dists[nd++] = d;
                    found = 1;
                }
            if (!found) {
                usage();
                free(opt);
                return 2;
            }
        }
    }
    opt[nopt] = NULL;
    int ok = bench_options(nopt, opt, &g_reps, &g_secs, &json);
    free(opt);
    if (!ok)
        return 2;
    if (g_reps < 1 || g_reps > MAX_REPS) {
        fprintf(stderr, "bench_acc: --reps must be 1 to %d\n", MAX_REPS);
        return 2;
    }
    if (quick)
        g_sizes[1] = 1000000;
    if (nd == 0)
        dists[nd++] = 0;
    for (int i = 0; i < nd; i++)
        rc |= run_dist(dists[i]);
    if (json != NULL)
        rc |= write_json(json);
    return rc;
}

static int run_dist(int dist)
{
    const size_t *sizes = g_sizes;
    const int reps = g_reps;
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
    printf("# data: %s; %d interleaved samples of >= %.0f ms, median of paired ratios "
           "[min..max]\n",
           dist_names[dist], reps, g_secs * 1e3);
    printf("%10s %14s %14s %8s %16s\n", "N", "plain ns/elt", "exact ns/elt", "ratio", "[min..max]");
    int rc = 0;
    for (size_t k = 0; k < sizeof g_sizes / sizeof g_sizes[0]; k++) {
        size_t n = sizes[k];
        double *x = malloc(n * sizeof *x);
        result *res = g_nres < MAX_RESULTS ? &g_res[g_nres++] : NULL;
        if (x == NULL)
            return 1;
        if (res != NULL) {
            memset(res, 0, sizeof *res);
            res->dist = dist_names[dist];
            res->n = n;
        }
        for (size_t i = 0; i < n; i++)
            x[i] = gen(dist);
        if (verify(x, n) != 0) {
            printf("%10zu  VERIFY FAILED: no timing\n", n);
            rc = 1;
            free(x);
            continue;
        }
        double *tp = malloc(3 * sizeof(double) * (size_t)reps);
        if (tp == NULL) {
            free(x);
            return 1;
        }
        double *te = tp + reps, *ratio = te + reps;
        for (int r = 0; r < reps; r++) {
            double p0 = sample(plain, x, n);
            te[r] = sample(exact, x, n);
            double p1 = sample(plain, x, n);
            tp[r] = (p0 + p1) / 2;
            ratio[r] = te[r] / tp[r];
        }
        qsort(tp, (size_t)reps, sizeof tp[0], cmp_d);
        qsort(te, (size_t)reps, sizeof te[0], cmp_d);
        qsort(ratio, (size_t)reps, sizeof ratio[0], cmp_d);
        printf("%10zu %14.3f %14.3f %8.2f     [%.2f..%.2f]\n", n, 1e9 * tp[reps / 2] / (double)n,
               1e9 * te[reps / 2] / (double)n, ratio[reps / 2], ratio[0], ratio[reps - 1]);
        fflush(stdout);
        if (res != NULL) {
            res->verified = 1;
            res->plain_ns = 1e9 * tp[reps / 2] / (double)n;
            res->exact_ns = 1e9 * te[reps / 2] / (double)n;
            res->r_med = ratio[reps / 2];
            res->r_min = ratio[0];
            res->r_max = ratio[reps - 1];
        }
        free(tp);
        free(x);
    }
    return rc;
}
